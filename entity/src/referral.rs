//! A referral: a referee who gave a referrer's code, converted (both rewarded, once) by the
//! referee's first qualifying purchase within the window, reversed when that purchase is
//! returned below the minimum.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "referral")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub referrer_id: Uuid,
    /// One referral per referee.
    pub referee_id: Uuid,
    pub status: ReferralStatus,
    pub started_at: DateTimeUtc,
    /// The first qualifying purchase must come before.
    pub expires_at: DateTimeUtc,
    pub purchase_id: Option<Uuid>,
    pub converted_at: Option<DateTimeUtc>,
    pub reversed_at: Option<DateTimeUtc>,
    pub referrer_points: i64,
    pub referee_points: i64,
    pub referrer_voucher_id: Option<Uuid>,
    pub referee_voucher_id: Option<Uuid>,
    pub program_id: Option<Uuid>,
    /// The minimum in force when it converted (a later return is judged against it).
    pub minimum_minor: i64,
    /// The referrer's brand when it is another brand of a coalition (the row is the referee's
    /// brand's; none: the referrer is a member of the same brand).
    pub referrer_brand_id: Option<Uuid>,
    /// The coalition that allowed a referral across its brands.
    pub coalition_id: Option<Uuid>,
    /// Across brands: the referrer's brand's program their points were credited to.
    pub referrer_program_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ReferralStatus {
    /// Waiting for the referee's first qualifying purchase.
    #[sea_orm(string_value = "STARTED")]
    Started,
    /// Both rewarded.
    #[sea_orm(string_value = "CONVERTED")]
    Converted,
    /// Converted past the referrer's cap: the referee is rewarded, the referrer not.
    #[sea_orm(string_value = "CAPPED")]
    Capped,
    /// No qualifying purchase within the window.
    #[sea_orm(string_value = "EXPIRED")]
    Expired,
    /// The qualifying purchase was returned: rewards taken back.
    #[sea_orm(string_value = "REVERSED")]
    Reversed,
}
