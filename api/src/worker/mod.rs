//! The scheduled loyalty jobs (points expiry, birthday bonuses); the registry that runs every
//! job is `server::jobs`.

pub mod birthdays;
pub mod expiry;
