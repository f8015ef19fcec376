//! A winning entry and its prize: claimable until `claim_until`, then lapsed (and redrawn when
//! the contest says so).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contest_winner")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub contest_id: Uuid,
    pub prize_id: Uuid,
    pub entry_id: Uuid,
    pub member_id: Uuid,
    /// The entry's place in the draw order (instant win: the moment's place).
    pub position: i32,
    pub status: WinnerStatus,
    pub claim_until: DateTimeUtc,
    pub claimed_at: Option<DateTimeUtc>,
    pub voucher_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    /// Drawn at the close to give out an odds contest's stock left (not won by a ticket).
    pub top_up: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum WinnerStatus {
    #[sea_orm(string_value = "WON")]
    Won,
    #[sea_orm(string_value = "CLAIMED")]
    Claimed,
    #[sea_orm(string_value = "LAPSED")]
    Lapsed,
}
