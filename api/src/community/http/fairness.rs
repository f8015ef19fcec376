//! `GET /contests/{id}/fairness`: a contest's public record (JSON), read by anyone, to re-check
//! its draw (README, "Contests").

use std::sync::Arc;

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};

use crate::core::deps::Deps;

pub async fn record(State(app): State<Arc<Deps>>, Path(id): Path<String>) -> Response {
    let Ok(id) = uuid::Uuid::parse_str(id.trim()) else {
        return (StatusCode::NOT_FOUND, "no such contest").into_response();
    };
    match crate::community::contests::draw::published(&app.base, id).await {
        Ok(p) => Json(p).into_response(),
        Err(crate::core::error::AppError::NotFound) => {
            (StatusCode::NOT_FOUND, "no such contest").into_response()
        }
        Err(e) => {
            tracing::error!("fairness record: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "try again later").into_response()
        }
    }
}
