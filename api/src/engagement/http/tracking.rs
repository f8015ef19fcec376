//! Campaign tracking for brands that enable it: `GET /t/o/{token}` (the open pixel, a 1x1 GIF)
//! and `GET /t/c/{token}?u=…` (a click: recorded, then redirected to the signed target only).

use std::sync::Arc;

use axum::{
    extract::{Path, Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use crate::{core::deps::Deps, engagement::campaigns};

/// The smallest transparent GIF.
const PIXEL: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

pub(crate) async fn open(State(state): State<Arc<Deps>>, Path(token): Path<String>) -> Response {
    if let Err(e) = campaigns::record_open(&state.base, &state.links, &token).await {
        tracing::warn!(error = ?e, "recording an open failed");
    }
    ([(header::CONTENT_TYPE, "image/gif")], PIXEL).into_response()
}

#[derive(Deserialize)]
pub(crate) struct Target {
    u: Option<String>,
}

pub(crate) async fn click(
    State(state): State<Arc<Deps>>,
    Path(token): Path<String>,
    Query(target): Query<Target>,
) -> Response {
    let Some(url) = target.u else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match campaigns::record_click(&state.base, &state.links, &token, &url).await {
        Ok(Some(to)) => Redirect::to(to.as_str()).into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = ?e, "recording a click failed");
            // The reader still gets where they were going only if the link is genuine, which
            // could not be checked: refuse rather than redirect blindly.
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
