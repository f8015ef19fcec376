//! GraphQL object types shared by several capabilities, built from entity models.

use async_graphql::{Enum, ID, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{api_key, brand, invitation, user_account};

use crate::core::auth::ApiScope;

/// A role: what a caller may do.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::user_account::Role")]
pub enum Role {
    /// Runs Fidelis itself.
    PlatformAdmin,
    /// Owns a brand's account: users, keys, settings.
    BrandOwner,
    /// A brand's marketing team.
    BrandManager,
    /// A cashier or sales clerk.
    BrandStaff,
    /// A POS, e-shop or mobile app, by API key.
    PartnerApp,
    /// Runs a multi-brand coalition.
    CoalitionOperator,
    /// A consumer in a brand's app.
    Member,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::brand::BrandStatus")]
pub enum BrandStatus {
    Active,
    /// Refused everywhere until a platform admin reactivates it.
    Suspended,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::user_account::UserStatus")]
pub enum UserStatus {
    Active,
    /// Cannot log in; sessions ended.
    Deactivated,
}

/// A brand (French: enseigne), a tenant of Fidelis.
#[derive(SimpleObject, Clone)]
pub struct Brand {
    pub id: ID,
    /// URL name, unique on the platform.
    pub slug: String,
    pub name: String,
    /// ISO 4217 currency of every amount of the brand.
    pub currency: String,
    /// IANA time zone, e.g. Europe/Paris.
    pub timezone: String,
    /// Language tag, e.g. fr-FR.
    pub locale: String,
    pub status: BrandStatus,
    /// The brand's colour in its member space, `#rrggbb`; null: the platform's.
    pub accent_color: Option<String>,
    /// The most the offers may take off one basket, in % of its value; null: no cap.
    pub offer_cap_percent: Option<i32>,
    pub created_at: DateTime<Utc>,
}

impl From<brand::Model> for Brand {
    fn from(m: brand::Model) -> Self {
        Self {
            id: ID(m.id.to_string()),
            slug: m.slug,
            name: m.name,
            currency: m.currency,
            timezone: m.timezone,
            locale: m.locale,
            status: m.status.into(),
            accent_color: m.accent_color,
            offer_cap_percent: m.offer_cap_percent,
            created_at: m.created_at,
        }
    }
}

/// A person with a portal account.
#[derive(SimpleObject, Clone)]
pub struct User {
    pub id: ID,
    pub email: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub status: UserStatus,
    /// Whether the address was proven by a mailed link.
    pub email_verified: bool,
    pub created_at: DateTime<Utc>,
}

impl From<user_account::Model> for User {
    fn from(m: user_account::Model) -> Self {
        Self {
            id: ID(m.id.to_string()),
            email: m.email,
            display_name: m.display_name,
            role: m.role.into(),
            status: m.status.into(),
            email_verified: m.email_verified_at.is_some(),
            created_at: m.created_at,
        }
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum InvitationStatus {
    Pending,
    Accepted,
    Revoked,
    Expired,
}

/// An invitation to join the brand with a role.
#[derive(SimpleObject, Clone)]
pub struct Invitation {
    pub id: ID,
    pub email: String,
    pub role: Role,
    pub status: InvitationStatus,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl From<invitation::Model> for Invitation {
    fn from(m: invitation::Model) -> Self {
        let status = if m.accepted_at.is_some() {
            InvitationStatus::Accepted
        } else if m.revoked_at.is_some() {
            InvitationStatus::Revoked
        } else if m.expires_at <= Utc::now() {
            InvitationStatus::Expired
        } else {
            InvitationStatus::Pending
        };
        Self {
            id: ID(m.id.to_string()),
            email: m.email,
            role: m.role.into(),
            status,
            created_at: m.created_at,
            expires_at: m.expires_at,
        }
    }
}

/// A partner app's API key. The secret is shown once, at creation.
#[derive(SimpleObject, Clone)]
pub struct ApiKey {
    pub id: ID,
    pub name: String,
    /// Public identifier, the OAuth `client_id`.
    pub client_id: String,
    pub scopes: Vec<ApiScope>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// False once revoked.
    pub active: bool,
}

impl From<api_key::Model> for ApiKey {
    fn from(m: api_key::Model) -> Self {
        Self {
            id: ID(m.id.to_string()),
            name: m.name,
            client_id: m.client_id,
            scopes: ApiScope::parse_list(&m.scopes),
            created_at: m.created_at,
            last_used_at: m.last_used_at,
            active: m.revoked_at.is_none(),
            revoked_at: m.revoked_at,
        }
    }
}

/// A language of the product's texts.
#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// French.
    Fr,
    /// English.
    En,
}

impl From<Language> for crate::core::i18n::Lang {
    fn from(l: Language) -> Self {
        match l {
            Language::Fr => Self::Fr,
            Language::En => Self::En,
        }
    }
}
