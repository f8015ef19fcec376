//! One member of a campaign's audience and what happened to their mail.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaign_recipient")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub campaign_id: Uuid,
    pub member_id: Uuid,
    pub email: String,
    pub status: RecipientStatus,
    /// Why it was skipped, failed or bounced.
    pub reason: Option<String>,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// While SENDING: until when the worker that claimed it holds it.
    pub lease_until: Option<DateTimeUtc>,
    pub sent_at: Option<DateTimeUtc>,
    pub unsubscribed_at: Option<DateTimeUtc>,
    pub opened_at: Option<DateTimeUtc>,
    pub clicked_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum RecipientStatus {
    #[sea_orm(string_value = "QUEUED")]
    Queued,
    #[sea_orm(string_value = "SENDING")]
    Sending,
    #[sea_orm(string_value = "SENT")]
    Sent,
    #[sea_orm(string_value = "FAILED")]
    Failed,
    #[sea_orm(string_value = "BOUNCED")]
    Bounced,
    #[sea_orm(string_value = "SKIPPED")]
    Skipped,
    /// In the campaign's control group: drawn at random when it started, not mailed, kept to
    /// measure what the mail brought.
    #[sea_orm(string_value = "HELD_OUT")]
    HeldOut,
}
