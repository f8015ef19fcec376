//! A consumer's coalition account: one card usable at every member brand. The person's data stays
//! with the brand member who joined (`home_brand_id`, `member_id`); other brands see it only with
//! the consumer's consent (`coalition_consent`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "coalition_member")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub coalition_id: Uuid,
    pub card_number: String,
    pub home_brand_id: Uuid,
    pub member_id: Uuid,
    pub created_at: DateTimeUtc,
    /// The last earning or spending: shared points expire after the coalition's validity.
    pub last_activity_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
