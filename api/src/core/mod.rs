//! What every context shares and no context owns: the error type, configuration, the clock,
//! value types, the tenancy wall, idempotency, the ledger engine, events, signing, paging, mail
//! transport and the platform mail queue, the principal and its permissions, GraphQL plumbing.
//! Invariant: `core` imports no context and not `server` (checked by `server::architecture`).

pub mod auth;
pub mod clock;
pub mod config;
pub mod db;
pub mod deps;
pub mod error;
pub mod events;
pub mod graphql;
pub mod http;
pub mod i18n;
pub mod idempotency;
pub mod ledger;
pub mod mail;
pub mod money;
pub mod page;
pub mod signing;
pub mod tenancy;
pub mod types;
pub mod web;
