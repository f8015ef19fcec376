//! A brand's limits on goodwill gestures: measured, not systematic, not disproportionate.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "gesture_policy")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    /// Most points one gesture may give.
    pub max_points_per_gesture: i64,
    /// Most points one staff member may give per day (in the brand's time zone).
    pub max_points_per_staff_per_day: i64,
    /// Most gestures one staff member may grant per day.
    pub max_gestures_per_staff_per_day: i32,
    /// Most gestures one member may receive per period.
    pub max_gestures_per_member: i32,
    pub member_period_days: i32,
    /// Largest voucher a gesture may give, in minor units.
    pub max_voucher_minor: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
