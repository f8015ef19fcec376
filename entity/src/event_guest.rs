//! A member's place at an event: invited, going, on the waitlist (in order of
//! `waitlisted_at`), or not coming; checked in at the door, rewarded once.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_guest")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub event_id: Uuid,
    pub member_id: Uuid,
    pub status: GuestStatus,
    pub invited_at: Option<DateTimeUtc>,
    pub responded_at: Option<DateTimeUtc>,
    pub waitlisted_at: Option<DateTimeUtc>,
    pub checked_in_at: Option<DateTimeUtc>,
    pub rewarded_at: Option<DateTimeUtc>,
    pub reward_points: i64,
    pub reward_voucher_id: Option<Uuid>,
    pub reminded_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum GuestStatus {
    /// Invited, not answered yet.
    #[sea_orm(string_value = "INVITED")]
    Invited,
    /// Has a seat.
    #[sea_orm(string_value = "GOING")]
    Going,
    /// Said yes when the event was full: promoted in order when a seat frees.
    #[sea_orm(string_value = "WAITLISTED")]
    Waitlisted,
    #[sea_orm(string_value = "DECLINED")]
    Declined,
}
