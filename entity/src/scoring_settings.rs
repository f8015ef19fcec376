//! How a brand scores its members (RFM/FRAT): the window, optional cut points, and the named
//! segments' rules (none: the defaults). One row per brand.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scoring_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    /// Purchases within this many days count.
    pub window_days: i32,
    /// Cut points per dimension (JSON), or empty: quintiles.
    pub thresholds: String,
    /// Segment rules in order (JSON); none: the defaults.
    pub rules: Option<String>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
