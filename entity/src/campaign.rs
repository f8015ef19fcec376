//! A marketing campaign of a brand: a template sent to an audience, now or at a scheduled time.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaign")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub template_id: Uuid,
    /// The audience filter (`api::domain::audiences::Filter`).
    pub filter: Json,
    pub status: CampaignStatus,
    pub scheduled_at: Option<DateTimeUtc>,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    /// Members the audience selected when the campaign started (mailable or not).
    pub audience_size: i64,
    /// The share of the mailable audience (in %, 0 to 50) held out as a control group.
    pub holdout_percent: i32,
    pub created_by: Option<Uuid>,
    /// Why the campaign is held (e.g. `CONFIG: the sender address ...`), when the platform
    /// paused it; cleared when it goes on.
    pub status_reason: Option<String>,
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
pub enum CampaignStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "SCHEDULED")]
    Scheduled,
    #[sea_orm(string_value = "SENDING")]
    Sending,
    #[sea_orm(string_value = "PAUSED")]
    Paused,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
    #[sea_orm(string_value = "SENT")]
    Sent,
}
