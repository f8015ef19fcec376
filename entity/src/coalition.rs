//! A coalition: several brands sharing one point currency, run by an operator. Not owned by a
//! brand: it is read through `api::db::coalitions`, which checks who may see it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "coalition")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub currency: String,
    pub timezone: String,
    /// What a brand pays the operator per 1000 points it gives out, in minor units.
    pub issue_price_per_1000_minor: i64,
    /// What the operator pays a brand per 1000 points spent there, in minor units.
    pub redemption_value_per_1000_minor: i64,
    /// Operator fee per 1000 points issued, in minor units.
    pub fee_per_1000_issued_minor: i64,
    /// Operator fee as a share of the issue value, in basis points.
    pub fee_basis_points: i64,
    /// Shared points expire when a coalition account has had no earning or spending for this
    /// many months (the balance goes to the operator as breakage).
    pub points_validity_months: i64,
    /// A member of one brand may refer a friend to another brand of the coalition.
    pub cross_brand_referrals: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
