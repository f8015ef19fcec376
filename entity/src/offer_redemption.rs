//! What one offer gave to one purchase: the discount and its share per line (so that a return
//! gives back exactly its part), the free goods' value, the deferred voucher it issued.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "offer_redemption")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub offer_id: Uuid,
    pub purchase_id: Uuid,
    pub member_id: Option<Uuid>,
    pub discount_minor: i64,
    pub value_minor: i64,
    /// `[[line_no, minor], ...]`: the discount's share of each line, summing to it.
    #[sea_orm(column_type = "Text")]
    pub allocation: String,
    /// Discount given back by returns of its lines.
    pub returned_minor: i64,
    pub voucher_id: Option<Uuid>,
    /// Proofs of purchase this purchase brought to a premium offer.
    pub proofs: i32,
    /// Points a premium credited with this purchase (until a return takes them back).
    pub premium_points: i64,
    /// The program those points went to.
    pub premium_program_id: Option<Uuid>,
    /// Their lot (what expired of it is not taken back again).
    pub premium_lot_id: Option<Uuid>,
    /// The gift a premium handed over (cleared when a return reclaims the premium)...
    pub premium_gift_sku: Option<String>,
    /// ... and its value: what the member owes if the premium's proofs are returned.
    pub premium_gift_minor: i64,
    /// When a return took the premium back (once).
    pub premium_reclaimed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
