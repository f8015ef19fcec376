//! A brand's place in a coalition: invited, active (possibly leaving at a period end),
//! declined or gone, with its own earn rate into the shared currency and its billing mode.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "coalition_brand")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub coalition_id: Uuid,
    pub brand_id: Uuid,
    pub status: CoalitionBrandStatus,
    /// Shared points per `earn_per_amount_minor` spent at this brand.
    pub earn_points: i64,
    pub earn_per_amount_minor: i64,
    pub billing: Billing,
    /// PREPAID: how far below zero the prepaid block may go before accrual is refused.
    pub reserve_points: i64,
    pub invited_by: Uuid,
    pub invited_at: DateTimeUtc,
    pub responded_at: Option<DateTimeUtc>,
    /// The end of the period at which the brand leaves (it stays active until then).
    pub leaves_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum CoalitionBrandStatus {
    #[sea_orm(string_value = "INVITED")]
    Invited,
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "DECLINED")]
    Declined,
    #[sea_orm(string_value = "LEFT")]
    Left,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Billing {
    /// Settled after each period.
    #[sea_orm(string_value = "POSTPAID")]
    Postpaid,
    /// Prepaid point blocks.
    #[sea_orm(string_value = "PREPAID")]
    Prepaid,
}
