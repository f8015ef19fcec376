//! An address a brand never mails marketing to again: unsubscribed, hard-bounced or complained.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "suppression")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    /// Lower-cased.
    #[sea_orm(primary_key, auto_increment = false)]
    pub email: String,
    pub reason: SuppressionReason,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum SuppressionReason {
    #[sea_orm(string_value = "UNSUBSCRIBED")]
    Unsubscribed,
    #[sea_orm(string_value = "BOUNCED")]
    Bounced,
    #[sea_orm(string_value = "COMPLAINED")]
    Complained,
}
