//! Loyalty's scheduled jobs (points expiry, birthday bonuses); `server::jobs` registers them.

pub mod birthdays;
pub mod expiry;
