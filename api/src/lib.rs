//! Fidelis, a multi-tenant loyalty platform: the GraphQL API server as a library, so that the
//! binary, the CLI and the end-to-end tests build the very same application.
//!
//! Bounded contexts on top, layers inside each (see README, "Architecture"):
//! - [`core`]: what every context shares and none owns (errors, value types, tenancy,
//!   idempotency, the ledger, events, signing, mail transport, paging, GraphQL plumbing);
//! - [`identity`], [`loyalty`], [`coalition`], [`engagement`]: the capabilities, each with its
//!   rules, its store, its GraphQL types, its pages and its jobs;
//! - [`server`]: the wiring that alone knows every context (app, router, schema, job registry).
//!
//! Import rules (checked by `server::architecture`): `core` imports no context and not
//! `server`; a context never reaches another context's `store`, `graphql`, `http` or `jobs`;
//! contexts form no cycle (identity ← loyalty ← coalition, identity/loyalty ← engagement); only
//! `store` files and `core` may silence `clippy::disallowed_methods`.
// The merged GraphQL roots (one object per context part) nest deeper than the default allows.
#![recursion_limit = "256"]

pub mod analytics;
pub mod coalition;
pub mod community;
pub mod core;
pub mod engagement;
pub mod identity;
pub mod loyalty;
pub mod portal;
pub mod server;

pub use core::{
    config::Config,
    deps::Deps,
    error::{AppError, ErrorCode},
};

pub use server::App;
