//! A member's subscription to a paid MEMBERSHIP program: one per member and program. Active
//! while `period_start <= now < period_end`; a cancelled membership runs to the end of the
//! period it was paid for and is not renewed. Fees and savings live in the ledger.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "membership")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub member_id: Uuid,
    pub program_id: Uuid,
    pub started_at: DateTimeUtc,
    pub period_start: DateTimeUtc,
    pub period_end: DateTimeUtc,
    pub auto_renew: bool,
    pub cancelled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
