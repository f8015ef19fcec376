//! Loyalty: programs and their rules, members and cards, purchases and returns, points,
//! vouchers, rewards, stored value, paid memberships, tiers, gestures, member rights, and the
//! jobs that expire points and grant birthday bonuses. Invariant: every movement of points or
//! money is a balanced ledger transaction posted in the same database transaction as the
//! business row that caused it.

pub mod balances;
pub mod checkout;
pub mod gestures;
pub mod grants;
pub mod graphql;
pub mod http;
pub mod jobs;
#[cfg(fidelis_lint_probe)]
pub mod lint_probe;
pub mod member_access;
pub mod member_auth;
pub mod member_rights;
pub mod members;
pub mod memberships;
pub mod offers;
pub mod programs;

pub mod returns;
pub mod rewards;
pub mod statistics;
pub mod store;
pub mod stored_value;
pub mod tiers;
pub mod vouchers;
