//! Wiring, and the only module that knows every context: the application builder, the HTTP
//! router, the merged GraphQL schema, the job registry, logging. No business rule lives here.

pub mod app;
#[cfg(test)]
mod architecture;
pub mod graphql_http;
pub mod jobs;
pub mod ledger_audit;
pub mod router;
pub mod schema;
pub mod telemetry;

pub use app::{App, shutdown_signal};
