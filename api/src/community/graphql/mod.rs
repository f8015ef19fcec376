//! Community's GraphQL roots: contests, referrals.

pub mod contests;
pub mod referrals;
