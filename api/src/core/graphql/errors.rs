//! Turns every error of a response into a typed one, once: `extensions.code` always set, the
//! field of a validation error named, internal causes logged and replaced by "internal error".

use async_graphql::{Response, ServerError};

use crate::core::error::{AppError, ErrorCode};

/// Rewrites the errors of a response in place.
pub fn finalize(response: &mut Response) {
    for error in &mut response.errors {
        finalize_error(error);
    }
}

fn finalize_error(error: &mut ServerError) {
    if let Some(app) = error.source::<AppError>() {
        let code = app.code();
        let mut field = None;
        let mut retry_after = None;
        match app {
            AppError::Internal(cause) => {
                tracing::error!(error = ?cause, path = ?error.path, "internal error");
                error.message = "internal error".to_owned();
            }
            AppError::Validation { field: f, .. } => field = Some(*f),
            AppError::RateLimited { retry_after_secs } => retry_after = Some(*retry_after_secs),
            _ => {}
        }
        let ext = error.extensions.get_or_insert_with(Default::default);
        ext.set("code", code.as_str());
        if let Some(f) = field {
            ext.set("field", f);
        }
        if let Some(secs) = retry_after {
            ext.set("retryAfter", secs);
        }
        return;
    }
    if error.source.is_some() {
        // An error of another type reached the client through `?`: never show its text.
        tracing::error!(message = %error.message, path = ?error.path, "untyped error from a resolver");
        error.message = "internal error".to_owned();
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", ErrorCode::Internal.as_str());
        return;
    }
    // async-graphql's own errors: parse and validation of the document (no path), or an argument
    // that does not coerce (with a path). Their messages describe the query, not the server.
    let has_code = error
        .extensions
        .as_ref()
        .is_some_and(|e| e.get("code").is_some());
    if !has_code {
        let code = if error.path.is_empty() {
            ErrorCode::BadRequest
        } else {
            ErrorCode::Validation
        };
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", code.as_str());
    }
}

/// A GraphQL-shaped error body for failures before execution (bad JSON, bad token...).
pub fn body(code: ErrorCode, message: &str) -> serde_json::Value {
    serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code.as_str() } }] })
}
