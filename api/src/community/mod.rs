//! Community and games: contests and lotteries with provably fair draws. Depends on identity
//! (the brand's staff may not enter) and loyalty (tiers, points, vouchers); engagement reads
//! it for the winners' mail.

pub mod contests;
pub mod fairness;
pub mod graphql;
pub mod http;
mod store;
