//! Scoring a brand's members into named segments (see [`super::scoring`] for the rules), once a
//! day by the job and on demand; each member's current scores and segment; the moves between
//! segments kept as history; the movement matrix between two dates.
//!
//! Invariants: one run at a time per brand (the brand's settings row is locked for the run: a
//! second worker waits, then finds the day scored and scores again without moving anyone twice);
//! a move is recorded only when a member's segment changes; a run replaces every score of the
//! brand in one transaction (readers see the last run whole, never half of one).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{member, member_score, score_run, scoring_settings, segment_move};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, ExprTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::Expr,
};
use uuid::Uuid;

use super::scoring::{self, Facts, SegmentRule, Thresholds};
use crate::core::{
    error::AppError,
    tenancy::{Scoped, TenantScope},
};

/// Purchases within this many days count, by default.
pub const DEFAULT_WINDOW_DAYS: i64 = 365;

/// How a brand scores its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub window_days: i64,
    pub thresholds: Thresholds,
    pub rules: Vec<SegmentRule>,
    /// The brand set its own segments (else the defaults).
    pub custom_rules: bool,
}

fn settings_of(row: Option<scoring_settings::Model>) -> Result<Settings, AppError> {
    let Some(row) = row else {
        return Ok(Settings {
            window_days: DEFAULT_WINDOW_DAYS,
            thresholds: Thresholds::default(),
            rules: scoring::default_rules(),
            custom_rules: false,
        });
    };
    let thresholds: Thresholds = if row.thresholds.trim().is_empty() {
        Thresholds::default()
    } else {
        serde_json::from_str(&row.thresholds).map_err(|e| AppError::Internal(e.into()))?
    };
    let rules: Option<Vec<SegmentRule>> = row
        .rules
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(Settings {
        window_days: i64::from(row.window_days),
        thresholds,
        custom_rules: rules.is_some(),
        rules: rules.unwrap_or_else(scoring::default_rules),
    })
}

pub async fn settings(scope: &TenantScope) -> Result<Settings, AppError> {
    let conn = scope.conn();
    settings_of(
        conn.find::<scoring_settings::Entity>()
            .one(conn.db())
            .await?,
    )
}

/// Changes the window, the cut points and the segments (`rules` none: back to the defaults).
/// Members keep their segment until the next run.
pub async fn update_settings(
    scope: &TenantScope,
    window_days: i64,
    thresholds: Thresholds,
    rules: Option<Vec<SegmentRule>>,
) -> Result<Settings, AppError> {
    if !(30..=1_095).contains(&window_days) {
        return Err(AppError::validation(
            "input.windowDays",
            "must be between 30 and 1095",
        ));
    }
    scoring::check_thresholds(&thresholds)?;
    if let Some(rules) = &rules {
        scoring::check_rules(rules)?;
    }
    let thresholds_json = to_json(&thresholds)?;
    let rules_json = rules.as_ref().map(to_json).transpose()?;
    let tx = scope.begin().await?;
    let now = scope.now();
    let inserted = tx
        .insert_if_absent(
            scoring_settings::ActiveModel {
                tenant_id: Set(tx.tenant_id()),
                window_days: Set(i32::try_from(window_days).unwrap_or(365)),
                thresholds: Set(thresholds_json.clone()),
                rules: Set(rules_json.clone()),
                updated_at: Set(now),
            },
            vec![scoring_settings::Column::TenantId],
        )
        .await?;
    if !inserted {
        tx.update_many::<scoring_settings::Entity>()
            .col_expr(
                scoring_settings::Column::WindowDays,
                Expr::value(i32::try_from(window_days).unwrap_or(365)),
            )
            .col_expr(
                scoring_settings::Column::Thresholds,
                Expr::value(thresholds_json),
            )
            .col_expr(scoring_settings::Column::Rules, Expr::value(rules_json))
            .col_expr(scoring_settings::Column::UpdatedAt, Expr::value(now))
            .exec(tx.db())
            .await?;
    }
    let saved = settings_of(tx.find::<scoring_settings::Entity>().one(tx.db()).await?)?;
    tx.commit().await?;
    Ok(saved)
}

/// A settings part as stored.
fn to_json<T: serde::Serialize>(value: &T) -> Result<String, AppError> {
    serde_json::to_string(value).map_err(|e| AppError::Internal(e.into()))
}

/// What a run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub day: NaiveDate,
    pub members: i64,
    pub moves: i64,
}

/// The brand's day now.
pub async fn today(scope: &TenantScope) -> Result<NaiveDate, AppError> {
    day_at(&scope.conn(), scope.now()).await
}

/// The brand's day at `now`.
async fn day_at<C: ConnectionTrait>(
    conn: &Scoped<C>,
    now: DateTime<Utc>,
) -> Result<NaiveDate, AppError> {
    let tz: chrono_tz::Tz = conn
        .brand()
        .await?
        .timezone
        .parse()
        .unwrap_or(chrono_tz::UTC);
    Ok(now.with_timezone(&tz).date_naive())
}

/// Scores every member of the brand now. What they bought is read first, outside the run's
/// transaction (on SQLite a write transaction would hold checkouts back for all of it); then
/// the brand's settings row is locked and the scores and moves are written.
pub async fn run(scope: &TenantScope) -> Result<Run, AppError> {
    let now = scope.now();
    let conn = scope.conn();
    let settings = settings_of(
        conn.find::<scoring_settings::Entity>()
            .one(conn.db())
            .await?,
    )?;
    let tz: chrono_tz::Tz = conn
        .brand()
        .await?
        .timezone
        .parse()
        .unwrap_or(chrono_tz::UTC);
    let day = now.with_timezone(&tz).date_naive();
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).date_naive();
    let members: Vec<(Uuid, DateTime<Utc>, serde_json::Value)> = conn
        .find::<member::Entity>()
        .select_only()
        .column(member::Column::Id)
        .column(member::Column::CreatedAt)
        .column(member::Column::Attributes)
        .order_by_asc(member::Column::Id)
        .into_tuple()
        .all(conn.db())
        .await?;
    // Erased members are not scored (their rows go).
    let members: Vec<(Uuid, DateTime<Utc>)> = members
        .into_iter()
        .filter(|(_, _, attributes)| attributes.get("erased_at").is_none())
        .map(|(id, created, _)| (id, created))
        .collect();
    let bought = super::store::bought_between(
        &conn,
        now - chrono::Duration::days(settings.window_days),
        now,
    )
    .await?;
    let facts: Vec<Facts> = members
        .iter()
        .map(|(id, created)| {
            let b = bought.get(id).copied().unwrap_or_default();
            Facts {
                recency_days: b.last.map(|l| Ord::max((day - local(l)).num_days(), 0)),
                frequency: b.purchases,
                amount_minor: b.amount_minor,
                categories: b.categories,
                member_days: Ord::max((day - local(*created)).num_days(), 0),
            }
        })
        .collect();
    let scored = scoring::score(&facts, &settings.thresholds, &settings.rules);
    let tx = scope.begin().await?;
    // One run at a time: the settings row (made if missing) is locked for the writing.
    tx.insert_if_absent(
        scoring_settings::ActiveModel {
            tenant_id: Set(tx.tenant_id()),
            window_days: Set(i32::try_from(DEFAULT_WINDOW_DAYS).unwrap_or(365)),
            thresholds: Set(String::new()),
            rules: Set(None),
            updated_at: Set(now),
        },
        vec![scoring_settings::Column::TenantId],
    )
    .await?;
    tx.update_many::<scoring_settings::Entity>()
        .col_expr(
            scoring_settings::Column::WindowDays,
            Expr::col(scoring_settings::Column::WindowDays),
        )
        .exec(tx.db())
        .await?;
    let before: HashMap<Uuid, member_score::Model> = tx
        .find::<member_score::Entity>()
        .all(tx.db())
        .await?
        .into_iter()
        .map(|s| (s.member_id, s))
        .collect();
    let mut rows = Vec::with_capacity(members.len());
    let mut moves = Vec::new();
    for (((id, _), x), (s, segment)) in members.iter().zip(&facts).zip(scored) {
        let old = before.get(id);
        let moved = old.is_none_or(|o| o.segment != segment);
        if moved {
            moves.push(segment_move::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(tx.tenant_id()),
                member_id: Set(*id),
                day: Set(day),
                from_segment: Set(old.map(|o| o.segment.clone())),
                to_segment: Set(segment.clone()),
                created_at: Set(now),
            });
        }
        let small = |v: i64| i32::try_from(v).unwrap_or(i32::MAX);
        rows.push(member_score::ActiveModel {
            member_id: Set(*id),
            tenant_id: Set(tx.tenant_id()),
            recency_days: Set(x.recency_days.map(small)),
            frequency: Set(small(x.frequency)),
            amount_minor: Set(x.amount_minor),
            categories: Set(small(x.categories)),
            r: Set(s.r),
            f: Set(s.f),
            m: Set(s.m),
            t: Set(s.t),
            previous_segment: Set(match old {
                Some(o) if moved => Some(o.segment.clone()),
                Some(o) => o.previous_segment.clone(),
                None => None,
            }),
            segment_since: Set(match old {
                Some(o) if !moved => o.segment_since,
                _ => day,
            }),
            segment: Set(segment),
            scored_on: Set(day),
        });
    }
    let (members_scored, moved) = (rows.len(), moves.len());
    tx.delete_many::<member_score::Entity>()
        .exec(tx.db())
        .await?;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        tx.insert_all(rows.by_ref().take(500).collect()).await?;
    }
    let mut moves = moves.into_iter().peekable();
    while moves.peek().is_some() {
        tx.insert_all(moves.by_ref().take(500).collect()).await?;
    }
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let inserted = tx
        .insert_if_absent(
            score_run::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(tx.tenant_id()),
                day: Set(day),
                members: Set(count(members_scored)),
                moves: Set(count(moved)),
                created_at: Set(now),
            },
            vec![score_run::Column::TenantId, score_run::Column::Day],
        )
        .await?;
    if !inserted {
        tx.update_many::<score_run::Entity>()
            .col_expr(
                score_run::Column::Members,
                Expr::value(count(members_scored)),
            )
            .col_expr(
                score_run::Column::Moves,
                Expr::col(score_run::Column::Moves).add(count(moved)),
            )
            .filter(score_run::Column::Day.eq(day))
            .exec(tx.db())
            .await?;
    }
    tx.commit().await?;
    Ok(Run {
        day,
        members: i64::try_from(members_scored).unwrap_or(i64::MAX),
        moves: i64::try_from(moved).unwrap_or(i64::MAX),
    })
}

/// Whether the brand was scored on its day at `now` (the job scores each brand once a day).
pub async fn scored_today(scope: &TenantScope) -> Result<bool, AppError> {
    let conn = scope.conn();
    let day = day_at(&conn, scope.now()).await?;
    Ok(conn
        .find::<score_run::Entity>()
        .filter(score_run::Column::Day.eq(day))
        .one(conn.db())
        .await?
        .is_some())
}

/// The day of the brand's last run.
pub async fn last_run(scope: &TenantScope) -> Result<Option<score_run::Model>, AppError> {
    let conn = scope.conn();
    Ok(conn
        .find::<score_run::Entity>()
        .order_by_desc(score_run::Column::Day)
        .one(conn.db())
        .await?)
}

pub async fn of_member(
    scope: &TenantScope,
    member: Uuid,
) -> Result<Option<member_score::Model>, AppError> {
    let conn = scope.conn();
    Ok(conn
        .find::<member_score::Entity>()
        .filter(member_score::Column::MemberId.eq(member))
        .one(conn.db())
        .await?)
}

/// Members per segment after the last run.
pub async fn counts(scope: &TenantScope) -> Result<HashMap<String, i64>, AppError> {
    let conn = scope.conn();
    let rows: Vec<(String, i64)> = conn
        .find::<member_score::Entity>()
        .select_only()
        .column(member_score::Column::Segment)
        .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "n")
        .group_by(member_score::Column::Segment)
        .into_tuple()
        .all(conn.db())
        .await?;
    Ok(rows.into_iter().collect())
}

/// Members in a segment now (for audiences: the scores of the last run).
pub async fn members_in<C: ConnectionTrait>(
    conn: &Scoped<C>,
    only: Option<Uuid>,
) -> Result<HashMap<Uuid, String>, AppError> {
    let mut q = conn
        .find::<member_score::Entity>()
        .select_only()
        .column(member_score::Column::MemberId)
        .column(member_score::Column::Segment);
    if let Some(m) = only {
        q = q.filter(member_score::Column::MemberId.eq(m));
    }
    let rows: Vec<(Uuid, String)> = q.into_tuple().all(conn.db()).await?;
    Ok(rows.into_iter().collect())
}

/// How many members were in segment A on day `from` and in segment B on day `to` (none: not
/// scored yet on that day), for every pair seen. A member's segment on a day is the one their
/// last move up to that day took them to.
pub async fn movements(
    scope: &TenantScope,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(Option<String>, Option<String>, i64)>, AppError> {
    if from > to {
        return Err(AppError::validation("from", "must not be after `to`"));
    }
    let conn = scope.conn();
    let moves: Vec<(Uuid, NaiveDate, String)> = conn
        .find::<segment_move::Entity>()
        .select_only()
        .column(segment_move::Column::MemberId)
        .column(segment_move::Column::Day)
        .column(segment_move::Column::ToSegment)
        .filter(segment_move::Column::Day.lte(to))
        .order_by_asc(segment_move::Column::Day)
        .order_by_asc(segment_move::Column::CreatedAt)
        .order_by_asc(segment_move::Column::Id)
        .into_tuple()
        .all(conn.db())
        .await?;
    let mut at: HashMap<Uuid, (Option<String>, Option<String>)> = HashMap::new();
    for (member, day, segment) in moves {
        let entry = at.entry(member).or_default();
        if day <= from {
            entry.0 = Some(segment.clone());
        }
        entry.1 = Some(segment);
    }
    let mut pairs: HashMap<(Option<String>, Option<String>), i64> = HashMap::new();
    for (_, pair) in at {
        *pairs.entry(pair).or_default() += 1;
    }
    let mut out: Vec<_> = pairs.into_iter().map(|((a, b), n)| (a, b, n)).collect();
    out.sort();
    Ok(out)
}

/// Forgets a member's scores and segment history (their erasure): they count in no segment and
/// no movement any more.
pub async fn forget<C: ConnectionTrait>(tx: &Scoped<C>, member: Uuid) -> Result<(), AppError> {
    tx.delete_many::<member_score::Entity>()
        .filter(member_score::Column::MemberId.eq(member))
        .exec(tx.db())
        .await?;
    tx.delete_many::<segment_move::Entity>()
        .filter(segment_move::Column::MemberId.eq(member))
        .exec(tx.db())
        .await?;
    Ok(())
}
