//! A closed settlement period of a coalition (a month in its time zone). Immutable once written.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "coalition_period")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub coalition_id: Uuid,
    pub period_start: DateTimeUtc,
    pub period_end: DateTimeUtc,
    pub closed_at: DateTimeUtc,
    pub closed_by: Uuid,
    /// The transaction booking every position of the period (none when all are zero).
    pub settlement_txn_id: Option<Uuid>,
    /// The operator's position: minus the sum of the brands' positions.
    pub operator_net_minor: i64,
    /// Points that expired in the period.
    pub breakage_points: i64,
    pub late_events: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
