//! The first result of every write made with an idempotency key, so that a replay returns it
//! and changes nothing. Keyed by (scope, operation, key): a brand's keys never meet another's.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_record")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The brand's id, or `platform` for writes made before any brand exists (sign-up).
    pub scope_key: String,
    /// The GraphQL mutation, e.g. `signUpBrand`.
    pub operation: String,
    pub key: String,
    /// SHA-256 of the request's non-secret fields: the same key with other input is refused.
    pub request_hash: String,
    /// What the first request produced (ids to reload, never secrets).
    pub response: Json,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
