//! A line of a purchase, with what it earned, so that a partial return reverses exactly its part.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "purchase_line")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub purchase_id: Uuid,
    pub line_no: i32,
    pub sku: String,
    pub category: Option<String>,
    pub quantity: i32,
    pub unit_price_minor: i64,
    pub discount_minor: i64,
    pub tax_minor: i64,
    pub points_earned: i64,
    pub returned_quantity: i32,
    /// The part of `discount_minor` the brand's offers gave (the line's share, by largest
    /// remainder, of each offer that applied).
    pub offer_discount_minor: i64,
    /// For a free line (gift, sample, free units): the offer that gave it.
    pub offer_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
