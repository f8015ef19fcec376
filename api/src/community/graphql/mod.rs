//! Community's GraphQL roots: contests.

pub mod contests;
