//! A contest's prize: `quantity` winners, in `rank` order.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contest_prize")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub contest_id: Uuid,
    pub rank: i32,
    pub name: String,
    pub quantity: i32,
    pub kind: PrizeKind,
    /// POINTS: points credited on claim.
    pub points: i64,
    /// VOUCHER: the voucher's amount and how long it lasts.
    pub voucher_amount_minor: i64,
    pub voucher_valid_days: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum PrizeKind {
    #[sea_orm(string_value = "POINTS")]
    Points,
    #[sea_orm(string_value = "VOUCHER")]
    Voucher,
    /// A thing handed over (recorded, not booked).
    #[sea_orm(string_value = "GIFT")]
    Gift,
}
