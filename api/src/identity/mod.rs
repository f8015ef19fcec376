//! Identity: brands (the tenants), their users and roles, sessions and tokens, partner API keys,
//! members' own accounts, and the pages that finish what a mailed link starts. Invariant: a
//! person signs in to exactly one brand, and every token names it.

pub mod api_keys;
pub mod brands;
pub mod graphql;
pub mod http;
pub mod sessions;
pub mod store;
pub mod users;
