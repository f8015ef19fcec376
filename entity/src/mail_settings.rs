//! A brand's sender identity and marketing settings (one row per brand, created on first save).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    pub from_name: String,
    pub from_address: String,
    pub reply_to: Option<String>,
    /// At most this many marketing mails per member per rolling 7 days.
    pub marketing_cap_per_week: i32,
    pub send_rate_per_minute: i32,
    /// Open and click tracking in marketing mails.
    pub tracking: bool,
    pub updated_at: DateTimeUtc,
    /// Transactional purposes switched off, comma-separated (e.g. `WELCOME,BIRTHDAY`).
    pub transactional_disabled: String,
    /// Days before points expire (and before a paid membership ends) that members are told.
    pub notice_days: i32,
    /// DKIM: selector and domain (the key is published at `<selector>._domainkey.<domain>`),
    /// algorithm (RSA or ED25519) and private key (PKCS#1 PEM, or base64 for Ed25519).
    pub dkim_selector: Option<String>,
    pub dkim_domain: Option<String>,
    pub dkim_algorithm: Option<String>,
    pub dkim_private_key: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
