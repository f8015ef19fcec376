//! Community's GraphQL roots: clubs, events, contests, referrals.

pub mod clubs;
pub mod contests;
pub mod events;
pub mod referrals;
