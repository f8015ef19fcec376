//! One use of a voucher: at a purchase, or on its own.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "voucher_use")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub voucher_id: Uuid,
    pub purchase_id: Option<Uuid>,
    /// The discount it gave, in minor units.
    pub amount_minor: i64,
    /// The part of this use recorded as owed by the member when the purchase that earned the
    /// voucher was returned; what a return of this use's purchase gives back comes off it.
    pub owed_minor: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
