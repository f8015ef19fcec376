//! Community and games: consumer clubs, events, contests and lotteries with provably fair
//! draws, referrals. Depends on identity
//! (the brand's staff may not enter) and loyalty (tiers, points, vouchers); the winners' mail
//! is told by the `contest.won` event, which carries what the mail says.

pub mod clubs;
pub mod contests;
pub mod events;
pub mod fairness;
pub mod graphql;
pub mod http;
mod points;
pub mod referrals;
mod store;
