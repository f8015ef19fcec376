//! A brand's consumer club (a baby club, a wine club): how members join it, the profile
//! questions it asks, and (for a paid club) the paid-membership program whose fee it takes.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "club")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub join_rule: JoinRule,
    /// For `SEGMENT`: the saved segment a member must be in to join.
    pub segment_id: Option<Uuid>,
    /// For `TIER`: the tier names (JSON array) a member must hold one of to join.
    pub tier_names: Option<String>,
    /// A paid club: members need an active membership of this paid-membership program (its
    /// fee, renewal and savings are the membership's, booked in the ledger).
    pub membership_program_id: Option<Uuid>,
    /// The club's profile questions (JSON array of `{key, label, kind, choices}`).
    pub questions: Option<String>,
    /// This brand's place in a club its coalition's operator runs (the operator sets name,
    /// description and questions; the brand's own members join here).
    pub coalition_club_id: Option<Uuid>,
    pub archived_at: Option<DateTimeUtc>,
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
pub enum JoinRule {
    /// Any member of the brand joins.
    #[sea_orm(string_value = "OPEN")]
    Open,
    /// Only members the brand invited.
    #[sea_orm(string_value = "INVITATION")]
    Invitation,
    /// Members of a saved segment.
    #[sea_orm(string_value = "SEGMENT")]
    Segment,
    /// Members holding one of the named tiers.
    #[sea_orm(string_value = "TIER")]
    Tier,
}
