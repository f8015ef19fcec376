//! Points earned together, with their expiry date. Spent oldest-expiry first; `remaining` is a
//! cache of the sum of the entries that name the lot.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "point_lot")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub account_id: Uuid,
    pub member_id: Uuid,
    pub earned_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub amount: i64,
    pub remaining: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
