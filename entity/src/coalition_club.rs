//! A club run by a coalition's operator across its brands: each active brand holds a `club` row
//! naming it (`club.coalition_club_id`), where its own members join, so that each brand sees
//! only its own members (and other brands' members who consented to share with it). Not owned
//! by a brand: read through `api::community::store`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "coalition_club")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub coalition_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    /// The profile questions (JSON array of `{key, label, kind, choices}`), as a brand club's.
    pub questions: Option<String>,
    pub archived_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
