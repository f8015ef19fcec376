//! A brand's event (an evening, a private sale, a workshop): when and where, how many seats
//! (taken seats counted by conditional updates, so that racing answers never exceed them), who
//! may come, and what coming earns.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "community_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub kind: EventKind,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub place: String,
    pub capacity: i32,
    /// Guests GOING (never above `capacity`).
    pub seats_taken: i32,
    /// Only invited members may answer.
    pub invitation_only: bool,
    pub club_id: Option<Uuid>,
    pub segment_id: Option<Uuid>,
    /// JSON array of tier names (any of them).
    pub tier_names: Option<String>,
    /// The points program attendance points are credited to.
    pub program_id: Option<Uuid>,
    pub reward_points: i64,
    pub reward_voucher_minor: i64,
    pub voucher_valid_days: i32,
    pub reminders_sent_at: Option<DateTimeUtc>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum EventKind {
    #[sea_orm(string_value = "EVENT")]
    Event,
    #[sea_orm(string_value = "PRIVATE_SALE")]
    PrivateSale,
    #[sea_orm(string_value = "WORKSHOP")]
    Workshop,
}
