//! A reward of the brand's catalog: a gift, a service or a discount bought with points. Stock
//! only moves through a conditional update, so it never goes below zero, even with concurrent
//! redemptions.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reward")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// The points program whose points pay for it.
    pub program_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub kind: RewardKind,
    pub points_cost: i64,
    /// Value of the voucher it gives, in minor units (a gift's or service's price; 0 for a
    /// service handed over without a price).
    pub amount_minor: i64,
    /// For DISCOUNT rewards given as a percentage off a basket (then `amount_minor` is 0).
    pub percent: i32,
    /// Units left; `None` for an unlimited reward.
    pub stock_remaining: Option<i64>,
    /// Redemptions allowed per member (in the period, or ever); `None` for no limit.
    pub per_member_limit: Option<i32>,
    pub per_member_period_days: Option<i32>,
    pub voucher_valid_days: i32,
    pub active: bool,
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
pub enum RewardKind {
    #[sea_orm(string_value = "GIFT")]
    Gift,
    #[sea_orm(string_value = "SERVICE")]
    Service,
    #[sea_orm(string_value = "DISCOUNT")]
    Discount,
}
