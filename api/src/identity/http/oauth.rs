//! `POST /oauth/token`: the OAuth 2.0 client-credentials grant (RFC 6749 §4.4) for partner apps.
//! Credentials come as HTTP Basic or as form fields; errors follow §5.2.

use std::sync::Arc;

use axum::{
    Form,
    extract::{State, rejection::FormRejection},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use serde::Deserialize;

use crate::{
    core::{deps::Deps, error::AppError},
    identity::{api_keys, api_keys::TokenError},
};

#[derive(Deserialize)]
pub(crate) struct TokenRequest {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    scope: Option<String>,
}

pub(crate) async fn token(
    State(state): State<Arc<Deps>>,
    headers: HeaderMap,
    form: Result<Form<TokenRequest>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "send application/x-www-form-urlencoded",
        );
    };
    if form.grant_type.as_deref() != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only client_credentials is supported",
        );
    }
    let (client_id, secret) = match basic_credentials(&headers) {
        Some(pair) => pair,
        None => match (form.client_id, form.client_secret) {
            (Some(id), Some(secret)) => (id, secret),
            _ => {
                return oauth_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    "client credentials are missing",
                );
            }
        },
    };
    match api_keys::exchange(
        &state.base,
        &state.auth,
        &client_id,
        &secret,
        form.scope.as_deref(),
    )
    .await
    {
        Ok(token) => {
            let body = serde_json::json!({
                "access_token": token.access_token,
                "token_type": "Bearer",
                "expires_in": token.expires_in,
                "scope": token.scope,
            });
            let mut response = (StatusCode::OK, axum::Json(body)).into_response();
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("no-store"),
            );
            response
        }
        Err(TokenError::InvalidClient) => oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client, wrong secret, or revoked key",
        ),
        Err(TokenError::InvalidScope) => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "the key does not grant the requested scope",
        ),
        Err(TokenError::Other(AppError::RateLimited { retry_after_secs })) => {
            let mut response = oauth_error(
                StatusCode::TOO_MANY_REQUESTS,
                "slow_down",
                "too many token requests for this client",
            );
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(retry_after_secs),
            );
            response
        }
        Err(TokenError::Other(e)) => {
            tracing::error!(error = ?e, "token exchange failed");
            oauth_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "internal error",
            )
        }
    }
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({ "error": error, "error_description": description })),
    )
        .into_response()
}
