//! An instant-win moment, derived from the contest's seed before opening: the first entry at or
//! after `at` takes it (a conditional update: each moment is won once).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contest_moment")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub contest_id: Uuid,
    pub prize_id: Uuid,
    pub at: DateTimeUtc,
    pub entry_id: Option<Uuid>,
    pub won_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
