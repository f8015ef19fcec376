//! A loyalty card: a number with a check digit and a scannable payload, tied to a member. The
//! balance belongs to the member, so a replaced card carries nothing with it.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "card")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub member_id: Uuid,
    /// 16 digits, the last a Luhn check digit; unique within the brand.
    pub number: String,
    /// What the barcode or QR code encodes.
    pub payload: String,
    pub status: CardStatus,
    /// The card that replaced this one, if any.
    pub replaced_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum CardStatus {
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    /// Refused at the checkout until unblocked.
    #[sea_orm(string_value = "BLOCKED")]
    Blocked,
    /// Reported lost; refused for good.
    #[sea_orm(string_value = "LOST")]
    Lost,
    /// Replaced by another card; refused for good.
    #[sea_orm(string_value = "REPLACED")]
    Replaced,
}
