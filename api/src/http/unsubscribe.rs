//! `GET /unsubscribe?token=…` (the link in every marketing mail: one click records the opt-out
//! and says so) and `POST /unsubscribe?token=…` (RFC 8058 one-click, sent by mail clients with
//! the body `List-Unsubscribe=One-Click`). Both are idempotent; a bad or expired token changes
//! nothing and says so.

use axum::{
    extract::{Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::HttpState;
use crate::{domain::campaigns, error::AppError, mail::templates::escape_html};

#[derive(Deserialize)]
pub(crate) struct TokenQuery {
    token: Option<String>,
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title></head>\
         <body><h1>{t}</h1><p>{b}</p></body></html>",
        t = escape_html(title),
        b = escape_html(body)
    );
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}

async fn run(state: &HttpState, token: Option<String>) -> Response {
    let Some(token) = token else {
        return page(
            StatusCode::BAD_REQUEST,
            "Unsubscribe",
            "This link is incomplete.",
        );
    };
    match campaigns::unsubscribe(&state.app, &token).await {
        Ok(brand) => page(
            StatusCode::OK,
            "You are unsubscribed",
            &format!("{brand} will not send you marketing e-mails any more."),
        ),
        Err(AppError::Validation { message, .. }) => {
            page(StatusCode::BAD_REQUEST, "Unsubscribe", &message)
        }
        Err(e) => {
            tracing::error!(error = ?e, "unsubscribe failed");
            page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Unsubscribe",
                "Something went wrong; please try the link again later.",
            )
        }
    }
}

pub(crate) async fn get_unsubscribe(
    State(state): State<HttpState>,
    Query(q): Query<TokenQuery>,
) -> Response {
    run(&state, q.token).await
}

pub(crate) async fn post_unsubscribe(
    State(state): State<HttpState>,
    Query(q): Query<TokenQuery>,
) -> Response {
    run(&state, q.token).await
}
