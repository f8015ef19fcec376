//! A ledger transaction: entries that sum to zero per unit, with a reason and what caused them.
//! Append-only: never updated, never deleted; a correction is a new transaction.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_transaction")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub kind: TransactionKind,
    /// Human-readable reason, shown in the member's history.
    pub reason: String,
    /// What caused it: `purchase`, `return`, `redemption`, `gesture`, `expiry`, `program`...
    pub cause_type: String,
    pub cause_id: Option<Uuid>,
    /// The member concerned, for the history.
    pub member_id: Option<Uuid>,
    /// When the business event happened (e.g. the purchase time).
    pub occurred_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum TransactionKind {
    #[sea_orm(string_value = "EARN")]
    Earn,
    #[sea_orm(string_value = "BONUS")]
    Bonus,
    #[sea_orm(string_value = "REDEEM")]
    Redeem,
    #[sea_orm(string_value = "RETURN")]
    Return,
    #[sea_orm(string_value = "EXPIRE")]
    Expire,
    #[sea_orm(string_value = "GESTURE")]
    Gesture,
    #[sea_orm(string_value = "TOP_UP")]
    TopUp,
    #[sea_orm(string_value = "SPEND")]
    Spend,
    #[sea_orm(string_value = "REFUND")]
    Refund,
    #[sea_orm(string_value = "ADJUSTMENT")]
    Adjustment,
    /// A paid membership's fee, for a period.
    #[sea_orm(string_value = "MEMBERSHIP_FEE")]
    MembershipFee,
    /// What an offer gave a purchase (discount, free goods), or gave back on a return.
    #[sea_orm(string_value = "PROMOTION")]
    Promotion,
    /// A refund claim (ODR) approved, or paid out.
    #[sea_orm(string_value = "ODR")]
    Odr,
    /// Points spent on contest entries, or won as a contest prize.
    #[sea_orm(string_value = "CONTEST")]
    Contest,
    /// A referral reward, or its reversal.
    #[sea_orm(string_value = "REFERRAL")]
    Referral,
    /// Points for coming to a brand's event.
    #[sea_orm(string_value = "EVENT")]
    Event,
}
