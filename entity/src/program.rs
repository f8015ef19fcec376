//! A loyalty program of a brand: its mechanic, and its rules as dated versions
//! ([`super::program_rule`]), so that a change applies from its effective date and never
//! rewrites past earnings.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "program")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub mechanic: Mechanic,
    pub status: ProgramStatus,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// How a program rewards.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum Mechanic {
    /// Points per amount spent, exchanged for vouchers and rewards.
    #[sea_orm(string_value = "POINTS")]
    Points,
    /// A share of each purchase credited as money (cagnotte).
    #[sea_orm(string_value = "CASHBACK")]
    Cashback,
    /// A stamp per qualifying purchase; a reward at N stamps.
    #[sea_orm(string_value = "STAMPS")]
    Stamps,
    /// A prepaid money balance (loyalty + payment card).
    #[sea_orm(string_value = "STORED_VALUE")]
    StoredValue,
    /// A paid membership with perks.
    #[sea_orm(string_value = "MEMBERSHIP")]
    Membership,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ProgramStatus {
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "ARCHIVED")]
    Archived,
}
