//! One transactional message to a member, unique per brand and subject key (`welcome:<member>`,
//! `expiring:<lot>`, ...): written when the event is found, sent by the worker, once.

use sea_orm::entity::prelude::*;

use crate::{campaign_recipient::RecipientStatus, email_template::TemplatePurpose};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "transactional_mail")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub purpose: TemplatePurpose,
    pub member_id: Uuid,
    pub subject_key: String,
    pub status: RecipientStatus,
    pub reason: Option<String>,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
