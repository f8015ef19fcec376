//! A brand (French: enseigne) is a tenant of Fidelis. Its id is the `tenant_id` of every row it owns.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "brand")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Lower-case, URL-safe, unique across the platform.
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    /// ISO 4217 code: every amount of this brand is in this currency.
    pub currency: String,
    /// IANA time zone name, e.g. `Europe/Paris`.
    pub timezone: String,
    /// BCP 47 language tag, e.g. `fr-FR`.
    pub locale: String,
    pub status: BrandStatus,
    pub suspended_reason: Option<String>,
    /// The brand's colour in its member space and mails' pages, `#rrggbb` (the portal's
    /// blue when unset).
    pub accent_color: Option<String>,
    /// The most the offers may take off one basket, in % of its value (none: no cap).
    pub offer_cap_percent: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Whether a brand may use the platform.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum BrandStatus {
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    /// Suspended by a platform admin: its tokens and keys are refused.
    #[sea_orm(string_value = "SUSPENDED")]
    Suspended,
}
