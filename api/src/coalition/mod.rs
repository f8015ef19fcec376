//! Coalitions: programs shared by several brands, coalition points earned at one brand and
//! spent at another, and the periodic settlement between them. Invariant: a closed period's
//! statements sum to zero across its brands and never change afterwards.

pub mod coalitions;
pub mod graphql;
pub mod points;
pub mod settlement;
pub mod store;
