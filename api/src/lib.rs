//! Fidelis, a multi-tenant loyalty platform: the GraphQL API server as a library, so that the
//! binary, the CLI and the end-to-end tests build the very same application.
//!
//! Dependencies point one way: `http → graphql → domain → db → entity`.

pub mod app;
pub mod auth;
pub mod clock;
pub mod config;
pub mod core;
pub mod db;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod http;
pub mod i18n;
pub mod mail;
pub mod server;
pub mod telemetry;
pub mod worker;

pub use app::{App, AppState};
pub use config::Config;
pub use error::{AppError, ErrorCode};
