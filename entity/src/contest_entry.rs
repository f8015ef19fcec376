//! One entry in a contest. `participant` is the entrant's pseudonym in the published list
//! (the same for every entry of a member in a contest, and nothing else about them).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contest_entry")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub contest_id: Uuid,
    pub member_id: Uuid,
    pub source: EntrySource,
    /// `purchase:<id>` for an entry earned by a purchase (one per purchase).
    pub source_ref: Option<String>,
    pub participant: String,
    /// Quiz: the chosen answers (JSON list of indexes).
    #[sea_orm(column_type = "Text", nullable)]
    pub answers: Option<String>,
    pub estimate: Option<i64>,
    /// Quiz: every answer right (always true for other kinds).
    pub correct: bool,
    pub rules_version: i32,
    /// INSTANT_WIN by odds: the entry's place in the order entries were taken (from 1).
    pub ticket: Option<i32>,
    pub created_at: DateTimeUtc,
    /// A returned purchase withdraws its entry (before the list is frozen).
    pub withdrawn_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum EntrySource {
    #[sea_orm(string_value = "FREE")]
    Free,
    #[sea_orm(string_value = "PURCHASE")]
    Purchase,
    #[sea_orm(string_value = "POINTS")]
    Points,
}
