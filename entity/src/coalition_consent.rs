//! A coalition member's consent to share their profile with one more member brand.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "coalition_consent")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub coalition_member_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub brand_id: Uuid,
    pub granted_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
