//! `GET /unsubscribe?token=…` (the link in every marketing mail: one click records the opt-out
//! and says so) and `POST /unsubscribe?token=…` (RFC 8058 one-click, sent by mail clients with
//! the body `List-Unsubscribe=One-Click`). Both are idempotent; a bad or expired token changes
//! nothing and says so. `HEAD` (link scanners, previews) never unsubscribes. The page is in the
//! brand's language.

use std::sync::Arc;

use axum::{
    extract::{Query, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use crate::{
    core::{deps::Deps, error::AppError, i18n::Lang, mail::templates::escape_html},
    engagement::campaigns,
};

#[derive(Deserialize)]
pub(crate) struct TokenQuery {
    token: Option<String>,
}

fn page(status: StatusCode, lang: Lang, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"{l}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t}</title><link rel=\"stylesheet\" href=\"/assets/fidelis.css\"></head>\
         <body><main><h1>{t}</h1><p>{b}</p></main></body></html>",
        l = lang.code(),
        t = escape_html(title),
        b = escape_html(body)
    );
    let mut response = (status, html).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'self'; frame-ancestors 'none'"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn visitor(headers: &HeaderMap) -> Lang {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Lang::parse)
        .unwrap_or_default()
}

async fn run(state: &Deps, token: Option<String>, headers: &HeaderMap) -> Response {
    let fallback = visitor(headers);
    let title = |l: Lang| l.pick("Désinscription", "Unsubscribe");
    let Some(token) = token else {
        return page(
            StatusCode::BAD_REQUEST,
            fallback,
            title(fallback),
            fallback.pick("Ce lien est incomplet.", "This link is incomplete."),
        );
    };
    match campaigns::unsubscribe(&state.base, &state.links, &token).await {
        Ok((brand, lang)) => page(
            StatusCode::OK,
            lang,
            lang.pick("Vous êtes désinscrit", "You are unsubscribed"),
            &match lang {
                Lang::Fr => format!("{brand} ne vous enverra plus d'e-mails promotionnels."),
                Lang::En => format!("{brand} will not send you marketing e-mails any more."),
            },
        ),
        Err(AppError::Validation { message, .. }) => {
            let text = if message.contains("expired") {
                fallback.pick(
                    "Ce lien de désinscription a expiré.",
                    "This unsubscribe link has expired.",
                )
            } else {
                fallback.pick(
                    "Ce lien de désinscription n'est pas valide.",
                    "This is not a valid unsubscribe link.",
                )
            };
            page(StatusCode::BAD_REQUEST, fallback, title(fallback), text)
        }
        Err(e) => {
            tracing::error!(error = ?e, "unsubscribe failed");
            page(
                StatusCode::INTERNAL_SERVER_ERROR,
                fallback,
                title(fallback),
                fallback.pick(
                    "Une erreur est survenue ; réessayez le lien plus tard.",
                    "Something went wrong; please try the link again later.",
                ),
            )
        }
    }
}

pub(crate) async fn get_unsubscribe(
    State(state): State<Arc<Deps>>,
    method: Method,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> Response {
    if method == Method::HEAD {
        // A scanner or a preview looking at the link is not the member clicking it.
        let lang = visitor(&headers);
        return page(
            StatusCode::OK,
            lang,
            lang.pick("Désinscription", "Unsubscribe"),
            "",
        );
    }
    run(&state, q.token, &headers).await
}

pub(crate) async fn post_unsubscribe(
    State(state): State<Arc<Deps>>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> Response {
    run(&state, q.token, &headers).await
}
