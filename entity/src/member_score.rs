//! A member's current scores and segment (the last scoring run), with the segment before it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "member_score")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: Uuid,
    pub tenant_id: Uuid,
    /// Days since the last purchase kept in the window; none: no purchase in it.
    pub recency_days: Option<i32>,
    pub frequency: i32,
    /// What the member paid in the window, net of returns, in minor units.
    pub amount_minor: i64,
    /// Distinct categories bought in the window.
    pub categories: i32,
    pub r: i16,
    pub f: i16,
    pub m: i16,
    pub t: i16,
    pub segment: String,
    pub previous_segment: Option<String>,
    /// The brand's day the member entered the segment.
    pub segment_since: Date,
    /// The brand's day of the run that scored the member last.
    pub scored_on: Date,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
