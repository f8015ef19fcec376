//! One dated version of a program's rules. The version in force for an event is the latest whose
//! `effective_from` is at or before the event's time.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "program_rule")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub program_id: Uuid,
    pub effective_from: DateTimeUtc,
    /// The mechanic's rules, as `api::domain::programs::Rules` serialises them.
    pub rules: Json,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
