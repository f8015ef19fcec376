//! Loyalty: programs and their rules, members and cards, purchases and returns, points,
//! vouchers, rewards, stored value, paid memberships, tiers, gestures, member rights, and the
//! jobs that expire points and grant birthday bonuses. Invariant: every movement of points or
//! money is a balanced ledger transaction posted in the same database transaction as the
//! business row that caused it.

pub mod balances;
pub mod gestures;
pub mod graphql;
pub mod jobs;
pub mod member_rights;
pub mod members;
pub mod memberships;
pub mod programs;
pub mod purchases;
pub mod returns;
pub mod rewards;
pub mod stored_value;
pub mod tiers;
pub mod vouchers;
