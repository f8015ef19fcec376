//! Business rules. No async-graphql, no axum here: resolvers call these functions with parsed
//! values and a tenant scope, and get domain results or an [`AppError`](crate::AppError).

pub mod api_keys;
pub mod audiences;
pub mod auth;
pub mod balances;
pub mod brands;
pub mod campaigns;
pub mod coalition_points;
pub mod coalitions;
pub mod gestures;
pub mod ledger;
pub mod mail;
pub mod mail_templates;
pub mod member_access;
pub mod member_auth;
pub mod member_rights;
pub mod members;
pub mod memberships;
pub mod outbox_mail;
pub mod programs;
pub mod purchases;
pub mod returns;
pub mod rewards;
pub mod settlement;
pub mod stored_value;
pub mod tiers;
pub mod transactional;
pub mod types;
pub mod users;
pub mod vouchers;
