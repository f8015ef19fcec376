//! Identity's GraphQL roots: sign-in and sessions, the brand, users, API keys, member accounts.

pub mod api_keys;
pub mod brands;
pub mod sessions;
pub mod users;
