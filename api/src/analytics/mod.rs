//! Customer knowledge (read-only over what the other contexts record): RFM/FRAT scoring into
//! named segments, with their history and movements. Never on the checkout's path: scoring runs
//! in a daily job (and on demand) over the brand's purchases.

pub mod graphql;
pub mod jobs;
pub mod kpis;
pub mod objectives;
pub mod scoring;
pub mod segments;
mod store;
