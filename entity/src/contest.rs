//! A contest or lottery (jeu-concours, tirage au sort, instant gagnant, quiz). Provably fair:
//! `seed_hash` (SHA-256 of the secret `seed`) is public from creation; when entries close the
//! entry list is frozen and `list_hash` published; the winners are a documented function of
//! (seed, list hash); the seed is shown once `drawn_at` is set.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contest")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    pub kind: ContestKind,
    pub opens_at: DateTimeUtc,
    pub closes_at: DateTimeUtc,
    /// Members may enter without buying (free entry).
    pub free_entry: bool,
    /// Each purchase of at least this much is an entry.
    pub purchase_minimum_minor: Option<i64>,
    /// Points spent per entry (from `program_id`).
    pub points_per_entry: Option<i64>,
    pub program_id: Option<Uuid>,
    pub max_entries_per_member: i32,
    /// JSON list of tier names (empty or none: every member).
    #[sea_orm(column_type = "Text", nullable)]
    pub tier_names: Option<String>,
    /// Only members of this club may enter.
    pub club_id: Option<Uuid>,
    /// JSON list of quiz questions `{question, choices, answer}`.
    #[sea_orm(column_type = "Text", nullable)]
    pub questions: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub tiebreak_question: Option<String>,
    /// The tie-breaker's answer (secret until the list is frozen).
    pub tiebreak_answer: Option<i64>,
    /// Days a winner has to claim the prize.
    pub claim_days: i32,
    pub unclaimed: UnclaimedPolicy,
    /// The current rules text version (`contest_rules`).
    pub rules_version: i32,
    /// INSTANT_WIN by odds: each entry wins with a chance of one in this many, while the
    /// prizes last; the stock left at the close is drawn among the entries (none: winning
    /// moments).
    pub odds_one_in: Option<i32>,
    pub seed_hash: String,
    /// Secret until the draw.
    pub seed: String,
    pub list_hash: Option<String>,
    pub entry_count: Option<i32>,
    pub frozen_at: Option<DateTimeUtc>,
    pub drawn_at: Option<DateTimeUtc>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ContestKind {
    /// Winners drawn when entries close.
    #[sea_orm(string_value = "DRAW")]
    Draw,
    /// Winning moments fixed (and committed) before opening: the first entry at or after a
    /// moment wins it.
    #[sea_orm(string_value = "INSTANT_WIN")]
    InstantWin,
    /// Right answers qualify; the closest tie-breaker estimate wins, ties broken by the draw.
    #[sea_orm(string_value = "QUIZ")]
    Quiz,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum UnclaimedPolicy {
    /// An unclaimed prize goes to the next entry in the draw order.
    #[sea_orm(string_value = "REDRAW")]
    Redraw,
    /// An unclaimed prize is lost.
    #[sea_orm(string_value = "LAPSE")]
    Lapse,
}
