//! A platform mail (verification, password reset, invitation) queued in the transaction that
//! asked for it, sent right after commit and, if the process stopped first, by the mail
//! worker. Its bodies (which carry one-time links) are cleared once it is sent.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_mail")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Sent from this brand's sender identity (member access mails); the platform's when empty.
    pub brand_id: Option<Uuid>,
    pub recipient: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// QUEUED, SENDING, SENT or FAILED.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
