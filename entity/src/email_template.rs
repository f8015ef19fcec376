//! A brand's e-mail template: subject, HTML and text bodies in MiniJinja (no code execution,
//! HTML autoescaped), for marketing or for one transactional message.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "email_template")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub purpose: TemplatePurpose,
    pub subject: String,
    pub html: String,
    pub text: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum TemplatePurpose {
    #[sea_orm(string_value = "MARKETING")]
    Marketing,
    #[sea_orm(string_value = "WELCOME")]
    Welcome,
    #[sea_orm(string_value = "VOUCHER_ISSUED")]
    VoucherIssued,
    #[sea_orm(string_value = "REWARD_READY")]
    RewardReady,
    #[sea_orm(string_value = "POINTS_EXPIRING")]
    PointsExpiring,
    #[sea_orm(string_value = "MEMBERSHIP_RENEWAL")]
    MembershipRenewal,
    #[sea_orm(string_value = "BIRTHDAY")]
    Birthday,
    /// A contest prize won (draw or instant win), to claim before its deadline.
    #[sea_orm(string_value = "CONTEST_WON")]
    ContestWon,
    /// An invitation to join a club.
    #[sea_orm(string_value = "CLUB_INVITATION")]
    ClubInvitation,
    /// An invitation to an event.
    #[sea_orm(string_value = "EVENT_INVITATION")]
    EventInvitation,
    /// The day-before reminder of an event the member has a seat at.
    #[sea_orm(string_value = "EVENT_REMINDER")]
    EventReminder,
    /// A seat freed at an event: the member, first on the waitlist, has it.
    #[sea_orm(string_value = "EVENT_SEAT")]
    EventSeat,
    /// An event the member had a seat at (or waited for) is cancelled.
    #[sea_orm(string_value = "EVENT_CANCELLED")]
    EventCancelled,
    /// An event the member had a seat at (or waited for) moved: a new date, time or place.
    #[sea_orm(string_value = "EVENT_CHANGED")]
    EventChanged,
}
