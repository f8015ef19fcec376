//! A transaction of a coalition's ledger: what happened, at which brand, for which coalition
//! account, and the settlement period it counts in (`late` when its own period was already
//! closed and it went to the next open one).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "coalition_txn")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub coalition_id: Uuid,
    pub kind: CoalitionTxnKind,
    pub brand_id: Option<Uuid>,
    pub coalition_member_id: Option<Uuid>,
    pub reference: Option<String>,
    /// EARN and REVERSAL: the purchase amount (returned amount) in minor units.
    pub amount_minor: Option<i64>,
    /// EARN: how much of the purchase was returned since (a cache of its reversals).
    pub returned_minor: i64,
    /// REVERSAL: the EARN it reverses; SETTLEMENT/PAYMENT: the statement's period.
    pub cause_id: Option<Uuid>,
    pub period_start: DateTimeUtc,
    pub late: bool,
    pub occurred_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum CoalitionTxnKind {
    #[sea_orm(string_value = "EARN")]
    Earn,
    #[sea_orm(string_value = "REDEEM")]
    Redeem,
    #[sea_orm(string_value = "REVERSAL")]
    Reversal,
    #[sea_orm(string_value = "EXPIRY")]
    Expiry,
    #[sea_orm(string_value = "PREPAID_BLOCK")]
    PrepaidBlock,
    #[sea_orm(string_value = "SETTLEMENT")]
    Settlement,
    #[sea_orm(string_value = "PAYMENT")]
    Payment,
}
