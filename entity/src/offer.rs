//! An offer a brand runs beside its programs (an immediate or deferred coupon, a multi-buy, a
//! bundle, free units, a gift, a trade-in), with its validity window, its targeting, its stacking
//! and its limits. The counters (`redemptions`, `discount_given_minor`, `value_given_minor`,
//! `stock`) only move through conditional updates in the checkout's transaction, so that no
//! limit, budget or stock is ever exceeded, even by racing checkouts.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "offer")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    /// The kind, as in `rules` (`DISCOUNT`, `MULTI_BUY`, ...), kept for filtering.
    pub kind: String,
    /// The code the till types for an offer applied by code; `None`: applied by itself.
    pub code: Option<String>,
    /// The offer's mechanics, as JSON (`api::loyalty::offers::OfferRules`).
    #[sea_orm(column_type = "Text")]
    pub rules: String,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    /// Lower runs first.
    pub priority: i32,
    /// An exclusive offer applies alone.
    pub exclusive: bool,
    pub card_holders_only: bool,
    /// JSON array of tier names: only members holding one of them (in any program); `None`:
    /// everyone.
    #[sea_orm(column_type = "Text", nullable)]
    pub tier_names: Option<String>,
    /// Only members in this saved segment (a named campaign audience) when they buy.
    pub segment_id: Option<Uuid>,
    /// Only for members of this club.
    pub club_id: Option<Uuid>,
    /// Members who bought one of the offer's products in the last N days are left out ("just
    /// bought" suppression).
    pub exclude_recent_buyers_days: Option<i32>,
    pub status: OfferStatus,
    pub max_per_member: Option<i32>,
    /// The period of `max_per_member` in days from `starts_at`; `None`: over the whole offer.
    pub member_period_days: Option<i32>,
    pub max_redemptions: Option<i32>,
    /// Refund offers: claims allowed per household (members who live together) over the offer.
    pub max_per_household: Option<i32>,
    pub budget_minor: Option<i64>,
    /// Gifts left (gift offers); never below zero.
    pub stock: Option<i32>,
    pub redemptions: i32,
    pub discount_given_minor: i64,
    /// Value of the free goods given (gifts, free units), at their price.
    pub value_given_minor: i64,
    /// Revenue of the baskets it applied to (after offers).
    pub revenue_minor: i64,
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
pub enum OfferStatus {
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "PAUSED")]
    Paused,
}
