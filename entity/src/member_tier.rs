//! A member's tier in a program, as an append-only history: each row is one assignment (an
//! upgrade, a requalification or a downgrade); the member's tier is the latest row. A row names
//! the one it follows (`previous_id`, unique per member and program), so two evaluations racing
//! on the same state cannot both append.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "member_tier")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub member_id: Uuid,
    pub program_id: Uuid,
    /// The assignment this one follows; the nil id for the member's first.
    pub previous_id: Uuid,
    /// 0 for the base level, then 1, 2, ... in the order of the program's tiers.
    pub level: i32,
    pub name: String,
    pub reason: TierReason,
    /// Points or spend over the rolling window when the assignment was made.
    pub qualifying_value: i64,
    pub starts_at: DateTimeUtc,
    /// When the member must have requalified to keep the level (none for the base level).
    pub qualified_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum TierReason {
    /// The member reached a higher level's threshold.
    #[sea_orm(string_value = "UPGRADE")]
    Upgrade,
    /// At the end of the qualification period the member still met the level's threshold.
    #[sea_orm(string_value = "REQUALIFIED")]
    Requalified,
    /// At the end of the qualification period the member no longer met it.
    #[sea_orm(string_value = "DOWNGRADE")]
    Downgrade,
}
