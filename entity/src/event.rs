//! An event of the outbox: something that happened in a brand, appended in the transaction
//! that made it happen (`member.enrolled`, `purchase.recorded`, `voucher.issued`...). Events are
//! never updated; consumers keep a cursor each.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event")]
pub struct Model {
    /// Time-ordered (UUID v7): the stable id consumers deduplicate by.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// `member.enrolled`, `purchase.recorded`, ...
    pub kind: String,
    pub version: i32,
    /// The object it is about (purchase, voucher, ledger transaction...).
    pub subject_id: Option<Uuid>,
    pub member_id: Option<Uuid>,
    pub payload: Json,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
