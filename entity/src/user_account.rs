//! People who sign in to the portal or the API with an e-mail and a password: platform admins,
//! coalition operators (no brand), and each brand's owners, managers and staff.
//!
//! E-mail addresses are stored lower-cased and are unique across the platform, so a login needs
//! only the e-mail and the password.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_account")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The brand, for brand roles; `None` for platform admins and coalition operators.
    pub tenant_id: Option<Uuid>,
    #[sea_orm(unique)]
    pub email: String,
    pub display_name: Option<String>,
    /// An argon2id PHC string.
    pub password_hash: String,
    pub role: Role,
    pub status: UserStatus,
    pub email_verified_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// A role, as carried in access tokens. Partner apps and members are not user accounts, but their
/// roles live here so that there is one list of roles.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    #[sea_orm(string_value = "PLATFORM_ADMIN")]
    PlatformAdmin,
    #[sea_orm(string_value = "BRAND_OWNER")]
    BrandOwner,
    #[sea_orm(string_value = "BRAND_MANAGER")]
    BrandManager,
    #[sea_orm(string_value = "BRAND_STAFF")]
    BrandStaff,
    #[sea_orm(string_value = "PARTNER_APP")]
    PartnerApp,
    #[sea_orm(string_value = "COALITION_OPERATOR")]
    CoalitionOperator,
    #[sea_orm(string_value = "MEMBER")]
    Member,
}

/// Whether a user may sign in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum UserStatus {
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "DEACTIVATED")]
    Deactivated,
}
