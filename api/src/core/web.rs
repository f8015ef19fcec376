//! The HTML page shell every context's pages share (layout, stylesheet, language choice,
//! same-origin check, password form, error texts), until the web portal takes the pages over.
//! Invariant: pages carry a strict Content-Security-Policy, never leak a token in a `Referer`,
//! and are never cached; a form posted from another origin is refused.

use axum::{
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use crate::core::{error::AppError, i18n::Lang, mail::templates::escape_html};

pub(crate) const CSS: &str = include_str!("web.css");

/// `GET /assets/fidelis.css`.
pub(crate) async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

/// A page: the layout around `body` (HTML the caller escaped), with the security headers.
pub(crate) fn page(status: StatusCode, lang: Lang, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/assets/fidelis.css\"></head>\
         <body><main><h1>{title}</h1>{body}</main>\
         <footer>Fidelis</footer></body></html>",
        lang = lang.code(),
        title = escape_html(title),
    );
    secure_html(status, html)
}

/// An HTML response with the headers every page carries: a Content-Security-Policy without
/// inline code and with `frame-ancestors 'none'`, no referrer, never cached, no sniffing, no
/// framing. The portal tightens nothing and relaxes only the referrer (same-origin).
pub(crate) fn secure_html(status: StatusCode, html: String) -> Response {
    let mut response = (status, html).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    // Links carry tokens in their query: never sent on to another site.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

pub(crate) fn para(text: &str) -> String {
    format!("<p>{}</p>", escape_html(text))
}

/// The language a visitor asked for: `?lang=`, then `Accept-Language`, then French.
pub(crate) fn visitor_lang(query: Option<&str>, headers: &HeaderMap) -> Lang {
    query
        .and_then(Lang::parse)
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::parse)
        })
        .unwrap_or_default()
}

pub(crate) fn brand_lang(brand: Option<&entity::brand::Model>, fallback: Lang) -> Lang {
    brand.map_or(fallback, |b| Lang::of_locale(&b.locale))
}

/// Forms post to their own origin only: a request that says it comes from another site
/// (`Sec-Fetch-Site`, `Origin`, or failing both `Referer`) is refused, so a cross-site form
/// cannot set someone's password or send them mail.
pub(crate) fn same_origin(headers: &HeaderMap) -> bool {
    let value = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    // Browsers send Sec-Fetch-Site on every request and scripts cannot set it: when present it
    // decides. (Under `Referrer-Policy: no-referrer`, which these pages use to keep link tokens
    // to themselves, a browser's form post carries `Origin: null`, so Origin alone would refuse
    // every real form.)
    if let Some(site) = value(header::HeaderName::from_static("sec-fetch-site")) {
        return matches!(site, "same-origin" | "none");
    }
    let host = value(header::HOST).unwrap_or_default();
    let authority = |url: &str| {
        url.split_once("://")
            .map(|(_, rest)| rest.split('/').next().unwrap_or(rest).to_owned())
    };
    match (value(header::ORIGIN), value(header::REFERER)) {
        (Some(origin), _) => authority(origin).is_some_and(|a| a.eq_ignore_ascii_case(host)),
        (None, Some(referer)) => authority(referer).is_some_and(|a| a.eq_ignore_ascii_case(host)),
        (None, None) => true,
    }
}

pub(crate) fn incomplete_form(lang: Lang) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        lang,
        lang.pick("Formulaire incomplet", "Incomplete form"),
        &para(lang.pick(
            "Ce formulaire est incomplet : revenez à la page et remplissez chaque champ.",
            "This form is incomplete: go back to the page and fill in every field.",
        )),
    )
}

pub(crate) fn link_unusable(lang: Lang, title: &str) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        lang,
        title,
        &para(lang.pick(
            "Ce lien n'est pas valide, a expiré ou a déjà servi. Demandez-en un nouveau.",
            "This link is invalid, expired or already used. Ask for a new one.",
        )),
    )
}

pub(crate) fn refused_origin(lang: Lang) -> Response {
    page(
        StatusCode::FORBIDDEN,
        lang,
        lang.pick("Requête refusée", "Request refused"),
        &para(lang.pick(
            "Ce formulaire doit être envoyé depuis sa propre page.",
            "This form must be sent from its own page.",
        )),
    )
}

/// A message from a typed error, for the person reading the page (never internal details).
pub(crate) fn error_text(lang: Lang, e: &AppError) -> String {
    match e {
        AppError::Validation { field, message } if field.contains("assword") => {
            let weak = message.contains("weak");
            match (lang, weak) {
                (Lang::Fr, false) => {
                    "Ce mot de passe ne convient pas : il faut de 10 à 128 caractères.".to_owned()
                }
                (Lang::Fr, true) => {
                    "Ce mot de passe est trop faible : variez les caractères.".to_owned()
                }
                (Lang::En, false) => {
                    "This password cannot be used: it needs 10 to 128 characters.".to_owned()
                }
                (Lang::En, true) => "This password is too weak: vary its characters.".to_owned(),
            }
        }
        AppError::Validation { .. } | AppError::Conflict(_) | AppError::NotFound => lang
            .pick(
                "Ce lien n'est pas valide, a expiré ou a déjà servi. Demandez-en un nouveau.",
                "This link is invalid, expired or already used. Ask for a new one.",
            )
            .to_owned(),
        AppError::RateLimited { .. } => lang
            .pick(
                "Trop de demandes : réessayez plus tard.",
                "Too many requests: try again later.",
            )
            .to_owned(),
        AppError::Forbidden(_) => lang
            .pick(
                "Ce compte ne peut pas être utilisé.",
                "This account cannot be used.",
            )
            .to_owned(),
        _ => lang
            .pick(
                "Une erreur est survenue ; réessayez dans un moment.",
                "Something went wrong; try again in a moment.",
            )
            .to_owned(),
    }
}

pub(crate) fn error_status(e: &AppError) -> StatusCode {
    match e {
        AppError::Validation { .. } | AppError::Conflict(_) => StatusCode::BAD_REQUEST,
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::Internal(cause) => {
            tracing::error!(error = ?cause, "a page failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
        _ => StatusCode::BAD_REQUEST,
    }
}

#[derive(Deserialize)]
pub(crate) struct LinkQuery {
    pub token: Option<String>,
    pub lang: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    pub token: String,
    pub password: String,
    pub confirm: String,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// A form setting a password, posting to `action`.
pub(crate) fn password_form(
    lang: Lang,
    action: &str,
    token: &str,
    with_name: bool,
    error: &str,
) -> String {
    let error = if error.is_empty() {
        String::new()
    } else {
        format!(
            "<p class=\"error\" role=\"alert\">{}</p>",
            escape_html(error)
        )
    };
    let name = if with_name {
        format!(
            "<label for=\"display_name\">{}</label>\
             <input id=\"display_name\" name=\"display_name\" autocomplete=\"name\" maxlength=\"200\">",
            lang.pick("Votre nom (facultatif)", "Your name (optional)")
        )
    } else {
        String::new()
    };
    format!(
        "{error}<form method=\"post\" action=\"{action}\">\
         <input type=\"hidden\" name=\"token\" value=\"{token}\">{name}\
         <label for=\"password\">{pw}</label>\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" minlength=\"10\" maxlength=\"128\" required>\
         <label for=\"confirm\">{again}</label>\
         <input id=\"confirm\" name=\"confirm\" type=\"password\" autocomplete=\"new-password\" minlength=\"10\" maxlength=\"128\" required>\
         <button type=\"submit\">{save}</button></form>",
        action = escape_html(action),
        token = escape_html(token),
        pw = lang.pick(
            "Nouveau mot de passe (10 caractères au moins)",
            "New password (at least 10 characters)"
        ),
        again = lang.pick("Le même, encore", "The same again"),
        save = lang.pick("Enregistrer", "Save"),
    )
}

pub(crate) fn mismatch(lang: Lang) -> &'static str {
    lang.pick(
        "Les deux mots de passe sont différents.",
        "The two passwords differ.",
    )
}

pub(crate) fn brand_missing(lang: Lang) -> Response {
    page(
        StatusCode::NOT_FOUND,
        lang,
        lang.pick("Page introuvable", "Page not found"),
        &para(lang.pick(
            "Aucune enseigne n'a cette adresse.",
            "No brand has this address.",
        )),
    )
}
