//! Contests and lotteries: a brand sets a contest (draw, instant win or quiz) with its rules
//! text, entry paths, eligibility and prizes; members enter (free, by purchase, with points);
//! entries close, the list is frozen and the winners drawn by the documented function of
//! [`fairness`](crate::community::fairness); winners claim their prize before a deadline.
//! Every step is an outbox event with the contest as subject: the audit trail.

pub mod draw;
pub mod entries;

use chrono::{DateTime, Duration, Utc};
use entity::{
    contest::{self, ContestKind, UnclaimedPolicy},
    contest_moment, contest_prize,
    contest_prize::PrizeKind,
    contest_rules,
};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    community::fairness,
    core::{
        error::AppError,
        idempotency::Idempotency,
        tenancy::{Scoped, TenantScope},
        types::text,
    },
};

/// A quiz question: the answer is the index of the right choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub question: String,
    pub choices: Vec<String>,
    pub answer: i32,
}

#[derive(Debug, Clone, Serialize)]
pub struct PrizeSpec {
    pub name: String,
    pub quantity: i32,
    pub kind: PrizeKind,
    pub points: i64,
    pub voucher_amount_minor: i64,
    pub voucher_valid_days: i32,
}

/// A contest as the brand sets it.
#[derive(Debug, Clone, Serialize)]
pub struct ContestSpec {
    pub name: String,
    pub description: Option<String>,
    pub kind: ContestKind,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub free_entry: bool,
    pub purchase_minimum_minor: Option<i64>,
    pub points_per_entry: Option<i64>,
    pub program_id: Option<Uuid>,
    pub max_entries_per_member: i32,
    pub tier_names: Vec<String>,
    /// Only the active members of this club may enter.
    pub club_id: Option<Uuid>,
    pub questions: Vec<Question>,
    pub tiebreak_question: Option<String>,
    pub tiebreak_answer: Option<i64>,
    pub claim_days: i32,
    pub unclaimed: UnclaimedPolicy,
    pub rules_text: String,
    pub prizes: Vec<PrizeSpec>,
    /// INSTANT_WIN: each entry wins with a chance of one in this many while prizes last, the
    /// stock left drawn at the close (none: winning moments spread over the period).
    pub odds_one_in: Option<i32>,
}

/// The longest a contest may run.
const MAX_DAYS: i64 = 400;

/// Where a contest stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Created, entries not open yet (it can still be changed).
    Scheduled,
    Open,
    /// Entries closed, not drawn yet (the job or a manager draws it).
    Closed,
    Drawn,
    Cancelled,
}

pub fn phase(c: &contest::Model, now: DateTime<Utc>) -> Phase {
    if c.cancelled_at.is_some() {
        Phase::Cancelled
    } else if c.drawn_at.is_some() {
        Phase::Drawn
    } else if now < c.opens_at {
        Phase::Scheduled
    } else if now < c.closes_at {
        Phase::Open
    } else {
        Phase::Closed
    }
}

pub fn questions_of(c: &contest::Model) -> Vec<Question> {
    c.questions
        .as_deref()
        .and_then(|q| serde_json::from_str(q).ok())
        .unwrap_or_default()
}

pub fn tiers_of(c: &contest::Model) -> Vec<String> {
    c.tier_names
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default()
}

/// Checks a spec; the cleaned texts.
struct Clean {
    name: String,
    description: Option<String>,
    rules_text: String,
    tiebreak_question: Option<String>,
    questions: Vec<Question>,
    tier_names: Vec<String>,
    prizes: Vec<(String, PrizeSpec)>,
}

fn validate(spec: &ContestSpec, now: DateTime<Utc>) -> Result<Clean, AppError> {
    let bad = |field: &'static str, message: &str| Err(AppError::validation(field, message));
    let name = text("input.name", &spec.name, 120)?;
    let description = spec
        .description
        .as_deref()
        .filter(|d| !d.trim().is_empty())
        .map(|d| text("input.description", d, 2_000))
        .transpose()?;
    let rules_text = text("input.rulesText", &spec.rules_text, 20_000)?;
    if spec.closes_at <= spec.opens_at {
        return bad("input.closesAt", "must be after opensAt");
    }
    if spec.closes_at <= now {
        return bad("input.closesAt", "must be in the future");
    }
    if spec.closes_at - spec.opens_at > Duration::days(MAX_DAYS) {
        return bad("input.closesAt", "a contest runs at most 400 days");
    }
    if !spec.free_entry && spec.purchase_minimum_minor.is_none() && spec.points_per_entry.is_none()
    {
        return bad(
            "input.freeEntry",
            "give at least one way in: free entry, a purchase minimum or points per entry",
        );
    }
    if let Some(m) = spec.purchase_minimum_minor
        && !(0..=100_000_000).contains(&m)
    {
        return bad(
            "input.purchaseMinimumMinor",
            "must be between 0 and 100000000",
        );
    }
    match (spec.points_per_entry, spec.program_id) {
        (Some(p), Some(_)) if (1..=1_000_000_000).contains(&p) => {}
        (Some(_), Some(_)) => {
            return bad("input.pointsPerEntry", "must be between 1 and 1000000000");
        }
        (Some(_), None) => {
            return bad(
                "input.programId",
                "name the points program entries are paid from",
            );
        }
        (None, _) => {}
    }
    if !(1..=10_000).contains(&spec.max_entries_per_member) {
        return bad("input.maxEntriesPerMember", "must be between 1 and 10000");
    }
    if !(1..=365).contains(&spec.claim_days) {
        return bad("input.claimDays", "must be between 1 and 365");
    }
    let tier_names: Vec<String> = spec
        .tier_names
        .iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    if tier_names.len() > 20 || tier_names.iter().any(|t| t.chars().count() > 60) {
        return bad(
            "input.tierNames",
            "at most 20 names of at most 60 characters",
        );
    }
    let mut questions = Vec::new();
    let mut tiebreak_question = None;
    if spec.kind == ContestKind::Quiz {
        if spec.questions.is_empty() || spec.questions.len() > 20 {
            return bad("input.questions", "a quiz has 1 to 20 questions");
        }
        if spec.purchase_minimum_minor.is_some() {
            return bad(
                "input.purchaseMinimumMinor",
                "a quiz is entered by answering: no entries by purchase",
            );
        }
        for q in &spec.questions {
            let question = text("input.questions", &q.question, 500)?;
            if !(2..=10).contains(&q.choices.len()) {
                return bad("input.questions", "each question has 2 to 10 choices");
            }
            let choices = q
                .choices
                .iter()
                .map(|c| text("input.questions", c, 200))
                .collect::<Result<Vec<_>, _>>()?;
            if !(0..i32::try_from(choices.len()).unwrap_or(0)).contains(&q.answer) {
                return bad(
                    "input.questions",
                    "the answer must be the index of one of the choices",
                );
            }
            questions.push(Question {
                question,
                choices,
                answer: q.answer,
            });
        }
        match (&spec.tiebreak_question, spec.tiebreak_answer) {
            (Some(q), Some(a)) if !q.trim().is_empty() => {
                tiebreak_question = Some(text("input.tiebreakQuestion", q, 500)?);
                if !(0..=1_000_000_000_000).contains(&a) {
                    return bad(
                        "input.tiebreakAnswer",
                        "must be between 0 and 1000000000000",
                    );
                }
            }
            (None, None) => {}
            _ => {
                return bad(
                    "input.tiebreakAnswer",
                    "a tie-breaker needs both its question and its answer",
                );
            }
        }
    } else if !spec.questions.is_empty() || spec.tiebreak_question.is_some() {
        return bad("input.questions", "only a quiz has questions");
    }
    match spec.odds_one_in {
        Some(_) if spec.kind != ContestKind::InstantWin => {
            return bad("input.oddsOneIn", "only an instant win has odds");
        }
        Some(n) if !(2..=1_000_000).contains(&n) => {
            return bad("input.oddsOneIn", "must be between 2 and 1000000");
        }
        _ => {}
    }
    if spec.prizes.is_empty() || spec.prizes.len() > 20 {
        return bad("input.prizes", "give 1 to 20 prizes");
    }
    let mut units = 0;
    let mut prizes = Vec::new();
    for p in &spec.prizes {
        let name = text("input.prizes", &p.name, 120)?;
        if !(1..=10_000).contains(&p.quantity) {
            return bad("input.prizes", "a prize's quantity is between 1 and 10000");
        }
        units += p.quantity;
        match p.kind {
            PrizeKind::Points if !(1..=1_000_000_000).contains(&p.points) => {
                return bad(
                    "input.prizes",
                    "a points prize gives 1 to 1000000000 points",
                );
            }
            PrizeKind::Voucher
                if !(1..=100_000_000).contains(&p.voucher_amount_minor)
                    || !(1..=3_650).contains(&p.voucher_valid_days) =>
            {
                return bad(
                    "input.prizes",
                    "a voucher prize is worth 1 to 100000000 and lasts 1 to 3650 days",
                );
            }
            _ => {}
        }
        prizes.push((name, p.clone()));
    }
    if units > 10_000 {
        return bad("input.prizes", "at most 10000 prizes in all");
    }
    if spec.program_id.is_none() && spec.prizes.iter().any(|p| p.kind == PrizeKind::Points) {
        return bad(
            "input.programId",
            "name the points program that points prizes are credited to",
        );
    }
    Ok(Clean {
        name,
        description,
        rules_text,
        tiebreak_question,
        questions,
        tier_names,
        prizes,
    })
}

async fn check_program(scope: &TenantScope, program: Option<Uuid>) -> Result<(), AppError> {
    if let Some(id) = program {
        // Another brand's program reads as NOT_FOUND, like any of its objects.
        let p = crate::loyalty::programs::get(scope, id).await?;
        if p.rules.points().is_none() {
            return Err(AppError::validation(
                "input.programId",
                "is not a points program",
            ));
        }
    }
    Ok(())
}

/// Writes the prizes (and, for an instant win by moments, the moments the seed gives) of a
/// contest.
async fn write_prizes<C: ConnectionTrait>(
    tx: &Scoped<C>,
    c: &contest::Model,
    prizes: &[(String, PrizeSpec)],
) -> Result<(), AppError> {
    tx.delete_many::<contest_moment::Entity>()
        .filter(contest_moment::Column::ContestId.eq(c.id))
        .exec(tx.db())
        .await?;
    tx.delete_many::<contest_prize::Entity>()
        .filter(contest_prize::Column::ContestId.eq(c.id))
        .exec(tx.db())
        .await?;
    let mut ids = Vec::new();
    for (rank, (name, p)) in (1..).zip(prizes) {
        let id = Uuid::now_v7();
        ids.push((rank, id));
        tx.insert(contest_prize::ActiveModel {
            id: Set(id),
            tenant_id: Set(tx.tenant_id()),
            contest_id: Set(c.id),
            rank: Set(rank),
            name: Set(name.clone()),
            quantity: Set(p.quantity),
            kind: Set(p.kind),
            points: Set(if p.kind == PrizeKind::Points {
                p.points
            } else {
                0
            }),
            voucher_amount_minor: Set(if p.kind == PrizeKind::Voucher {
                p.voucher_amount_minor
            } else {
                0
            }),
            voucher_valid_days: Set(if p.kind == PrizeKind::Voucher {
                p.voucher_valid_days
            } else {
                0
            }),
        })
        .await?;
    }
    if c.kind == ContestKind::InstantWin && c.odds_one_in.is_none() {
        let units: Vec<(i32, i32)> = (1..)
            .zip(prizes)
            .map(|(r, (_, p))| (r, p.quantity))
            .collect();
        let moments = fairness::moments(&c.seed, c.opens_at, c.closes_at, &units);
        let rows: Vec<contest_moment::ActiveModel> = moments
            .into_iter()
            .map(|(rank, at)| contest_moment::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(tx.tenant_id()),
                contest_id: Set(c.id),
                prize_id: Set(ids
                    .iter()
                    .find(|(r, _)| *r == rank)
                    .map_or(Uuid::nil(), |(_, id)| *id)),
                at: Set(at),
                entry_id: Set(None),
                won_at: Set(None),
            })
            .collect();
        for chunk in rows.chunks(500) {
            tx.insert_all(chunk.to_vec()).await?;
        }
    }
    Ok(())
}

async fn add_rules_version<C: ConnectionTrait>(
    tx: &Scoped<C>,
    contest: Uuid,
    version: i32,
    text: &str,
) -> Result<(), AppError> {
    tx.insert(contest_rules::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tx.tenant_id()),
        contest_id: Set(contest),
        version: Set(version),
        text: Set(text.to_owned()),
        created_at: Set(tx.now()),
    })
    .await?;
    Ok(())
}

pub(crate) async fn audit<C: ConnectionTrait>(
    tx: &Scoped<C>,
    kind: &'static str,
    contest: Uuid,
    member: Option<Uuid>,
    payload: serde_json::Value,
) -> Result<(), AppError> {
    crate::core::events::append(tx, kind, Some(contest), member, payload).await?;
    Ok(())
}

/// Creates a contest: its secret seed is drawn now and its commitment published at once.
pub async fn create(
    scope: &TenantScope,
    mut spec: ContestSpec,
    idempotency_key: Option<&str>,
) -> Result<contest::Model, AppError> {
    let idem = Idempotency::optional(
        scope.tenant_id().to_string(),
        "createContest",
        idempotency_key,
        &spec,
    )?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.replay(scope.conn().db()).await?
    {
        let id = crate::core::idempotency::recorded_id(&previous, "contest")?;
        return scope.conn().get::<contest::Entity>(id).await;
    }
    let now = scope.now();
    // A contest opens now at the earliest: an instant win dated back would have its moments
    // already due when it is created.
    spec.opens_at = Ord::max(spec.opens_at, now);
    let clean = validate(&spec, now)?;
    check_program(scope, spec.program_id).await?;
    if let Some(club) = spec.club_id {
        crate::community::clubs::get(scope, club).await?;
    }
    let tx = scope.begin().await?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.claim(tx.db()).await?
    {
        drop(tx);
        let id = crate::core::idempotency::recorded_id(&previous, "contest")?;
        return scope.conn().get::<contest::Entity>(id).await;
    }
    let seed = fairness::new_seed();
    let saved = tx
        .insert(contest::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(scope.tenant_id()),
            name: Set(clean.name),
            description: Set(clean.description),
            kind: Set(spec.kind),
            opens_at: Set(spec.opens_at),
            closes_at: Set(spec.closes_at),
            free_entry: Set(spec.free_entry),
            purchase_minimum_minor: Set(spec.purchase_minimum_minor),
            points_per_entry: Set(spec.points_per_entry),
            program_id: Set(spec.program_id),
            max_entries_per_member: Set(spec.max_entries_per_member),
            tier_names: Set((!clean.tier_names.is_empty())
                .then(|| serde_json::to_string(&clean.tier_names).unwrap_or_default())),
            club_id: Set(spec.club_id),
            questions: Set((!clean.questions.is_empty())
                .then(|| serde_json::to_string(&clean.questions).unwrap_or_default())),
            tiebreak_question: Set(clean.tiebreak_question),
            tiebreak_answer: Set(spec
                .tiebreak_answer
                .filter(|_| spec.kind == ContestKind::Quiz)),
            claim_days: Set(spec.claim_days),
            unclaimed: Set(spec.unclaimed),
            odds_one_in: Set(spec.odds_one_in),
            rules_version: Set(1),
            seed_hash: Set(fairness::commitment(&seed)),
            seed: Set(seed),
            list_hash: Set(None),
            entry_count: Set(None),
            frozen_at: Set(None),
            drawn_at: Set(None),
            cancelled_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .await?;
    add_rules_version(&tx, saved.id, 1, &clean.rules_text).await?;
    write_prizes(&tx, &saved, &clean.prizes).await?;
    audit(
        &tx,
        "contest.created",
        saved.id,
        None,
        serde_json::json!({ "seedCommitment": saved.seed_hash, "rulesVersion": 1, "opensAt": saved.opens_at, "closesAt": saved.closes_at }),
    )
    .await?;
    if let Some(idem) = &idem {
        idem.record(tx.db(), serde_json::json!({ "contest": saved.id }))
            .await?;
    }
    tx.commit().await?;
    Ok(saved)
}

/// Changes a contest before it opens (the seed and its commitment stay). A changed rules text
/// is a new version.
pub async fn update(
    scope: &TenantScope,
    id: Uuid,
    spec: ContestSpec,
) -> Result<contest::Model, AppError> {
    let now = scope.now();
    let clean = validate(&spec, now)?;
    check_program(scope, spec.program_id).await?;
    if let Some(club) = spec.club_id {
        crate::community::clubs::get(scope, club).await?;
    }
    let tx = scope.begin().await?;
    let current = tx.get_for_update::<contest::Entity>(id).await?;
    if phase(&current, now) != Phase::Scheduled {
        return Err(AppError::conflict(
            "a contest can be changed only before it opens (its rules text can get a new version until it closes)",
        ));
    }
    if spec.opens_at < now {
        return Err(AppError::validation(
            "input.opensAt",
            "must not be in the past",
        ));
    }
    let mut model: contest::ActiveModel = current.clone().into();
    model.name = Set(clean.name);
    model.description = Set(clean.description);
    model.kind = Set(spec.kind);
    model.opens_at = Set(spec.opens_at);
    model.closes_at = Set(spec.closes_at);
    model.free_entry = Set(spec.free_entry);
    model.purchase_minimum_minor = Set(spec.purchase_minimum_minor);
    model.points_per_entry = Set(spec.points_per_entry);
    model.program_id = Set(spec.program_id);
    model.max_entries_per_member = Set(spec.max_entries_per_member);
    model.tier_names = Set((!clean.tier_names.is_empty())
        .then(|| serde_json::to_string(&clean.tier_names).unwrap_or_default()));
    model.club_id = Set(spec.club_id);
    model.questions = Set((!clean.questions.is_empty())
        .then(|| serde_json::to_string(&clean.questions).unwrap_or_default()));
    model.tiebreak_question = Set(clean.tiebreak_question);
    model.tiebreak_answer = Set(spec
        .tiebreak_answer
        .filter(|_| spec.kind == ContestKind::Quiz));
    model.claim_days = Set(spec.claim_days);
    model.unclaimed = Set(spec.unclaimed);
    model.odds_one_in = Set(spec.odds_one_in);
    model.updated_at = Set(now);
    let latest = rules_versions(&tx, id).await?;
    let changed_rules = latest.last().is_none_or(|r| r.text != clean.rules_text);
    if changed_rules {
        model.rules_version = Set(current.rules_version + 1);
    }
    let saved = tx.update(model).await?;
    if changed_rules {
        add_rules_version(&tx, id, saved.rules_version, &clean.rules_text).await?;
    }
    write_prizes(&tx, &saved, &clean.prizes).await?;
    audit(
        &tx,
        "contest.updated",
        id,
        None,
        serde_json::json!({ "rulesVersion": saved.rules_version }),
    )
    .await?;
    tx.commit().await?;
    Ok(saved)
}

/// A new version of the rules text (until entries close): entries from now on accept it.
pub async fn publish_rules(
    scope: &TenantScope,
    id: Uuid,
    rules_text: &str,
) -> Result<contest::Model, AppError> {
    let rules_text = text("rulesText", rules_text, 20_000)?;
    let now = scope.now();
    let tx = scope.begin().await?;
    let current = tx.get_for_update::<contest::Entity>(id).await?;
    if !matches!(phase(&current, now), Phase::Scheduled | Phase::Open) {
        return Err(AppError::conflict(
            "the rules of a closed contest do not change",
        ));
    }
    let version = current.rules_version + 1;
    let mut model: contest::ActiveModel = current.into();
    model.rules_version = Set(version);
    model.updated_at = Set(now);
    let saved = tx.update(model).await?;
    add_rules_version(&tx, id, version, &rules_text).await?;
    audit(
        &tx,
        "contest.rules_published",
        id,
        None,
        serde_json::json!({ "rulesVersion": version }),
    )
    .await?;
    tx.commit().await?;
    Ok(saved)
}

/// Cancels a contest that has not been drawn (its entries stay recorded; nobody wins).
pub async fn cancel(
    scope: &TenantScope,
    id: Uuid,
    reason: &str,
) -> Result<contest::Model, AppError> {
    let reason = text("reason", reason, 500)?;
    let now = scope.now();
    let tx = scope.begin().await?;
    let current = tx.get_for_update::<contest::Entity>(id).await?;
    match phase(&current, now) {
        Phase::Cancelled => return Ok(current),
        Phase::Drawn => return Err(AppError::conflict("a drawn contest cannot be cancelled")),
        _ => {}
    }
    let refunded = entries::refund_points(&tx, &current).await?;
    // Prizes nobody claimed go with the contest.
    let voided = tx
        .update_many::<entity::contest_winner::Entity>()
        .col_expr(
            entity::contest_winner::Column::Status,
            sea_orm::sea_query::Expr::value(entity::contest_winner::WinnerStatus::Lapsed),
        )
        .filter(entity::contest_winner::Column::ContestId.eq(id))
        .filter(
            entity::contest_winner::Column::Status.eq(entity::contest_winner::WinnerStatus::Won),
        )
        .exec(tx.db())
        .await?
        .rows_affected;
    let mut model: contest::ActiveModel = current.into();
    model.cancelled_at = Set(Some(now));
    model.updated_at = Set(now);
    let saved = tx.update(model).await?;
    audit(
        &tx,
        "contest.cancelled",
        id,
        None,
        serde_json::json!({ "reason": reason, "pointsGivenBack": refunded, "prizesVoided": voided }),
    )
    .await?;
    tx.commit().await?;
    Ok(saved)
}

pub async fn get(scope: &TenantScope, id: Uuid) -> Result<contest::Model, AppError> {
    scope.conn().get::<contest::Entity>(id).await
}

/// The brand's contests, newest first (at most 500).
pub async fn list(scope: &TenantScope) -> Result<Vec<contest::Model>, AppError> {
    use sea_orm::QuerySelect as _;
    let conn = scope.conn();
    Ok(conn
        .find::<contest::Entity>()
        .order_by_desc(contest::Column::OpensAt)
        .order_by_desc(contest::Column::Id)
        .limit(500)
        .all(conn.db())
        .await?)
}

pub async fn prizes<C: ConnectionTrait>(
    conn: &Scoped<C>,
    contest: Uuid,
) -> Result<Vec<contest_prize::Model>, AppError> {
    Ok(conn
        .find::<contest_prize::Entity>()
        .filter(contest_prize::Column::ContestId.eq(contest))
        .order_by_asc(contest_prize::Column::Rank)
        .all(conn.db())
        .await?)
}

pub async fn rules_versions<C: ConnectionTrait>(
    conn: &Scoped<C>,
    contest: Uuid,
) -> Result<Vec<contest_rules::Model>, AppError> {
    Ok(conn
        .find::<contest_rules::Entity>()
        .filter(contest_rules::Column::ContestId.eq(contest))
        .order_by_asc(contest_rules::Column::Version)
        .all(conn.db())
        .await?)
}

/// The contest's audit trail: every event about it, oldest first.
pub async fn audit_trail(
    scope: &TenantScope,
    contest: Uuid,
) -> Result<Vec<entity::event::Model>, AppError> {
    use sea_orm::QuerySelect as _;
    let conn = scope.conn();
    conn.get::<contest::Entity>(contest).await?;
    Ok(conn
        .find::<entity::event::Entity>()
        .filter(entity::event::Column::SubjectId.eq(contest))
        .filter(entity::event::Column::Kind.starts_with("contest."))
        .order_by_asc(entity::event::Column::CreatedAt)
        .order_by_asc(entity::event::Column::Id)
        .limit(10_000)
        .all(conn.db())
        .await?)
}
