//! Coalition GraphQL roots: coalitions and their members, coalition points and settlement.

pub mod coalitions;
pub mod points;
