//! A purchase recorded at a checkout or online, with or without a member (anonymous checkouts
//! count for the KPIs). What it earned is in the ledger; `points_earned` is its summary.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "purchase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub member_id: Option<Uuid>,
    pub card_id: Option<Uuid>,
    pub store: Option<String>,
    pub channel: Channel,
    pub currency: String,
    pub total_minor: i64,
    /// Paid with vouchers (and later cashback or stored value): earns nothing.
    pub loyalty_paid_minor: i64,
    pub points_earned: i64,
    pub occurred_at: DateTimeUtc,
    /// Discount the brand's offers gave (already taken off `total_minor`, which is what the
    /// customer owes for the basket: the lines less their discounts).
    pub offer_discount_minor: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Channel {
    #[sea_orm(string_value = "IN_STORE")]
    InStore,
    #[sea_orm(string_value = "ONLINE")]
    Online,
    #[sea_orm(string_value = "MOBILE_APP")]
    MobileApp,
}
