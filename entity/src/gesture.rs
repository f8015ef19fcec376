//! A goodwill gesture granted by staff, with its mandatory reason: the audit trail of gestures.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "gesture")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub member_id: Uuid,
    /// The staff member (portal user) who granted it.
    pub granted_by: Uuid,
    pub kind: GestureKind,
    pub points: i64,
    pub voucher_id: Option<Uuid>,
    pub description: Option<String>,
    pub reason: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum GestureKind {
    #[sea_orm(string_value = "POINTS")]
    Points,
    #[sea_orm(string_value = "DISCOUNT_VOUCHER")]
    DiscountVoucher,
    #[sea_orm(string_value = "GIFT")]
    Gift,
    #[sea_orm(string_value = "UPGRADE")]
    Upgrade,
    #[sea_orm(string_value = "EXTRA_QUANTITY")]
    ExtraQuantity,
    #[sea_orm(string_value = "FREE_SERVICE")]
    FreeService,
}
