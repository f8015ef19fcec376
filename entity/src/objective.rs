//! A brand's target on one of its KPIs over a period (e.g. purchases per member per year from
//! 3 to 3.3 by June): actual against target is read from the KPIs.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "objective")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    /// The KPI (`PURCHASES_PER_MEMBER_PER_YEAR_MILLI`...), in its own unit.
    pub kpi: String,
    /// Where it starts from; none: the KPI over the period of the same length before `starts_on`.
    pub baseline: Option<i64>,
    pub target: i64,
    pub starts_on: Date,
    pub ends_on: Date,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
