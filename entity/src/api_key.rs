//! API keys of partner apps (POS, e-shops, mobile apps). The client id is public and listed; the
//! secret is shown once and stored as a SHA-256 hash (it is 256 random bits, so a slow hash adds
//! nothing and would slow down every token request).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_key")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    /// Public identifier used as the OAuth `client_id`, e.g. `fk_3f9a0c2e71b4d8a6`.
    #[sea_orm(unique)]
    pub client_id: String,
    pub secret_hash: String,
    /// Space-separated scopes, e.g. `purchases:write members:read`.
    pub scopes: String,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
