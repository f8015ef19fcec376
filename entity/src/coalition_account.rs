//! An account of a coalition's ledger: shared points (unit POINTS) or settlement money (unit =
//! the coalition currency). `balance` caches the sum of its entries.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "coalition_account")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub coalition_id: Uuid,
    pub code: String,
    pub kind: CoalitionAccountKind,
    pub brand_id: Option<Uuid>,
    pub coalition_member_id: Option<Uuid>,
    pub unit: String,
    pub balance: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum CoalitionAccountKind {
    /// A consumer's shared points (never below zero).
    #[sea_orm(string_value = "MEMBER_POINTS")]
    MemberPoints,
    /// Points reversed after they were spent, repaid from the next earning (never above zero).
    #[sea_orm(string_value = "MEMBER_DEBT")]
    MemberDebt,
    /// Points a postpaid brand gave out (net of reversals): the counterpart of earning there.
    #[sea_orm(string_value = "BRAND_ISSUED")]
    BrandIssued,
    /// A prepaid brand's block of points: bought from the operator, drawn by earning there
    /// (down to minus the brand's reserve).
    #[sea_orm(string_value = "BRAND_BLOCK")]
    BrandBlock,
    /// Points spent at a brand.
    #[sea_orm(string_value = "BRAND_REDEEMED")]
    BrandRedeemed,
    /// The operator's side of prepaid blocks.
    #[sea_orm(string_value = "OPERATOR_ISSUANCE")]
    OperatorIssuance,
    /// Points that expired unspent: the operator's breakage.
    #[sea_orm(string_value = "OPERATOR_BREAKAGE")]
    OperatorBreakage,
    /// Money: what the operator owes the brand (positive) or the brand owes (negative).
    #[sea_orm(string_value = "BRAND_POSITION")]
    BrandPosition,
    /// Money: the operator's side of every position (spread, fees, float).
    #[sea_orm(string_value = "OPERATOR_POSITION")]
    OperatorPosition,
}

impl CoalitionAccountKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::MemberPoints => "MEMBER_POINTS",
            Self::MemberDebt => "MEMBER_DEBT",
            Self::BrandIssued => "BRAND_ISSUED",
            Self::BrandBlock => "BRAND_BLOCK",
            Self::BrandRedeemed => "BRAND_REDEEMED",
            Self::OperatorIssuance => "OPERATOR_ISSUANCE",
            Self::OperatorBreakage => "OPERATOR_BREAKAGE",
            Self::BrandPosition => "BRAND_POSITION",
            Self::OperatorPosition => "OPERATOR_POSITION",
        }
    }
}
