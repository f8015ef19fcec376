//! A refund claim (ODR, offre de remboursement différé) against a purchase recorded in Fidelis or
//! a receipt: submitted by the member or by staff for them, approved or rejected by the brand
//! with a reason, then paid (Fidelis records the payout; it does not move the money). One claim
//! per receipt and offer (`receipt_key` is unique per offer).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "offer_claim")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub offer_id: Uuid,
    pub member_id: Uuid,
    pub purchase_id: Option<Uuid>,
    /// `purchase:<id>` or `receipt:<reference, letters and digits>`: one claim per receipt.
    pub receipt_key: String,
    pub receipt_reference: Option<String>,
    pub receipt_date: DateTimeUtc,
    pub receipt_amount_minor: i64,
    /// What the claim pays back.
    pub amount_minor: i64,
    pub status: ClaimStatus,
    /// Why it was rejected (or a note on approval).
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
    pub payout_reference: Option<String>,
    pub paid_on: Option<DateTimeUtc>,
    pub decided_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ClaimStatus {
    #[sea_orm(string_value = "SUBMITTED")]
    Submitted,
    #[sea_orm(string_value = "APPROVED")]
    Approved,
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
    #[sea_orm(string_value = "PAID")]
    Paid,
}
