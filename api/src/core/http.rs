//! HTTP helpers every context's plain endpoints share. Invariant: a forwarded client address
//! is believed only when the configuration says a trusted proxy sets it.

use std::net::SocketAddr;

use axum::{extract::ConnectInfo, http::HeaderMap};

use crate::core::deps::Deps;

/// The client's address: the socket peer, or the first `X-Forwarded-For` hop when configured.
pub fn client_address(state: &Deps, headers: &HeaderMap, peer: ConnectInfo<SocketAddr>) -> String {
    if state.config.trust_forwarded_for
        && let Some(first) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|s| !s.is_empty())
    {
        return first.to_owned();
    }
    peer.0.ip().to_string()
}
