//! A consumer enrolled with a brand. Deduplicated by e-mail and by phone within the brand.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "member")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// Lower-cased; unique within the brand.
    pub email: Option<String>,
    /// E.164 (`+33612345678`); unique within the brand.
    pub phone: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub birth_date: Option<Date>,
    pub preferred_store: Option<String>,
    pub email_consent: bool,
    pub email_consent_at: Option<DateTimeUtc>,
    pub email_consent_source: Option<String>,
    pub sms_consent: bool,
    pub sms_consent_at: Option<DateTimeUtc>,
    pub sms_consent_source: Option<String>,
    /// Brand-defined attributes (string values).
    pub attributes: Json,
    pub enrolled_via: EnrolmentChannel,
    /// argon2id PHC string, for members who signed up in the brand's app.
    pub password_hash: Option<String>,
    /// Member access tokens issued before this instant are refused (password set or reset,
    /// erasure).
    pub sessions_valid_after: Option<DateTimeUtc>,
    /// The household the member belongs to (members who live together), shared by its members;
    /// none: a household of one.
    pub household_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Who enrolled the member.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum EnrolmentChannel {
    /// Staff at the checkout or in the portal.
    #[sea_orm(string_value = "STAFF")]
    Staff,
    /// A partner app (POS, e-shop).
    #[sea_orm(string_value = "PARTNER_APP")]
    PartnerApp,
    /// The member, in the brand's app.
    #[sea_orm(string_value = "MEMBER_APP")]
    Member,
}
