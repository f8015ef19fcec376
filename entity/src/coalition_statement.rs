//! One brand's statement for a closed settlement period. Only the payment columns change later.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "coalition_statement")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub period_id: Uuid,
    pub coalition_id: Uuid,
    pub brand_id: Uuid,
    pub issued_points: i64,
    pub reversed_points: i64,
    pub redeemed_points: i64,
    pub prepaid_points: i64,
    pub issued_value_minor: i64,
    pub redeemed_value_minor: i64,
    pub prepaid_value_minor: i64,
    pub fees_minor: i64,
    /// Positive: the operator pays the brand; negative: the brand pays the operator.
    pub net_minor: i64,
    pub late_events: i64,
    pub paid_at: Option<DateTimeUtc>,
    pub payment_reference: Option<String>,
    pub payment_txn_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
