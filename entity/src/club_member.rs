//! A member's place in a club: invited, in, or gone; their answers to the club's questions,
//! kept only with their consent (and when it was given).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "club_member")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub club_id: Uuid,
    pub member_id: Uuid,
    pub status: ClubMemberStatus,
    /// Answers to the club's questions (JSON object `{key: value}`).
    pub answers: Option<String>,
    pub answers_consent_at: Option<DateTimeUtc>,
    pub invited_at: Option<DateTimeUtc>,
    /// The last time they joined.
    pub joined_at: Option<DateTimeUtc>,
    pub left_at: Option<DateTimeUtc>,
    /// How many times they joined.
    pub joins: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ClubMemberStatus {
    #[sea_orm(string_value = "INVITED")]
    Invited,
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "LEFT")]
    Left,
}
