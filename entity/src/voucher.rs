//! A voucher: a code worth an amount or a percentage, with a minimum basket, a validity window
//! and a number of uses. `uses` only moves through a conditional update, so a voucher is never
//! used more often than it may be, even by two checkouts at once.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "voucher")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// The member it belongs to; `None` for a bearer voucher.
    pub member_id: Option<Uuid>,
    /// Unique within the brand; what the checkout types or scans.
    pub code: String,
    pub kind: VoucherKind,
    /// For AMOUNT vouchers, in minor units of `currency`.
    pub amount_minor: i64,
    /// For PERCENT vouchers, 1 to 100.
    pub percent: i32,
    pub currency: String,
    pub minimum_basket_minor: i64,
    pub valid_from: DateTimeUtc,
    pub valid_until: DateTimeUtc,
    pub max_uses: i32,
    pub uses: i32,
    pub source: VoucherSource,
    /// The program whose points paid for it.
    pub program_id: Option<Uuid>,
    pub points_cost: i64,
    pub cancelled_at: Option<DateTimeUtc>,
    /// What the voucher is for, shown to the member (a stamp card's gift: "Free coffee").
    pub label: Option<String>,
    /// The catalog reward it was bought as.
    pub reward_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum VoucherKind {
    #[sea_orm(string_value = "AMOUNT")]
    Amount,
    #[sea_orm(string_value = "PERCENT")]
    Percent,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum VoucherSource {
    /// Points converted by or for the member.
    #[sea_orm(string_value = "POINTS")]
    Points,
    /// Issued by the brand (campaign, gesture).
    #[sea_orm(string_value = "BRAND")]
    Brand,
    /// The reward of a completed stamp card.
    #[sea_orm(string_value = "STAMPS")]
    Stamps,
    /// A catalog reward bought with points.
    #[sea_orm(string_value = "REWARD")]
    Reward,
    /// Issued by an offer (a deferred coupon) for a later visit.
    #[sea_orm(string_value = "OFFER")]
    Offer,
    /// A contest prize, issued when the winner claims it.
    #[sea_orm(string_value = "CONTEST")]
    Contest,
    /// A referral reward (referrer or referee).
    #[sea_orm(string_value = "REFERRAL")]
    Referral,
    /// A reward for coming to a brand's event.
    #[sea_orm(string_value = "EVENT")]
    Event,
}
