//! A brand's referral policy: what the referrer and the referee each get (points of `program_id`
//! and/or a voucher), the first qualifying purchase (minimum, within `window_days` of the
//! referral), and the cap of rewarded referrals per referrer per period.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "referral_policy")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    pub enabled: bool,
    pub program_id: Option<Uuid>,
    pub referrer_points: i64,
    pub referrer_voucher_minor: i64,
    pub referee_points: i64,
    pub referee_voucher_minor: i64,
    pub voucher_valid_days: i32,
    pub minimum_purchase_minor: i64,
    pub window_days: i32,
    pub cap_per_referrer: Option<i32>,
    pub cap_period_days: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
