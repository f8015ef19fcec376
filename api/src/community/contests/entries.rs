//! Entering a contest: free, with points (booked in the ledger), or by a qualifying purchase
//! (read from the outbox by [`run_once`]; a return that brings the purchase under the minimum
//! withdraws its entry while the list is open). The limit per member is a counter moved by a
//! conditional update; an instant-win entry takes its moment (or, by odds, its ticket and its
//! chance) under the contest's row lock, so entries take moments and tickets in turn.

use chrono::{DateTime, Duration, Utc};
use entity::{
    contest::{self, ContestKind},
    contest_entry::{self, EntrySource},
    contest_moment, contest_participant, contest_winner,
    contest_winner::WinnerStatus,
    ledger_account::AccountKind,
    ledger_transaction::TransactionKind,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, ExprTrait, PaginatorTrait, QueryFilter,
    QueryOrder, sea_query::Expr,
};
use serde::Serialize;
use uuid::Uuid;

use super::{Phase, audit, phase, questions_of, tiers_of};
use crate::{
    community::fairness,
    core::{
        deps::Base,
        error::AppError,
        idempotency::Idempotency,
        ledger::{self, Header, POINTS, Posting},
        tenancy::{Scoped, TenantScope},
    },
};

/// How a member enters by themselves (purchases enter them on their own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Via {
    Free,
    Points,
}

#[derive(Debug, Clone, Serialize)]
pub struct EntrySpec {
    pub contest: Uuid,
    pub member: Uuid,
    pub via: Via,
    pub answers: Vec<i32>,
    pub estimate: Option<i64>,
}

/// An entry and, for an instant win, what it won.
#[derive(Debug, Clone)]
pub struct Entered {
    pub entry: contest_entry::Model,
    pub winner: Option<contest_winner::Model>,
}

/// Why a member may not enter (None: they may).
async fn ineligible<C: ConnectionTrait>(
    tx: &Scoped<C>,
    c: &contest::Model,
    member: &entity::member::Model,
) -> Result<Option<&'static str>, AppError> {
    if let Some(email) = &member.email
        && let Some(user) = crate::identity::users::by_email(tx.db(), email).await?
        && user.tenant_id == Some(tx.tenant_id())
    {
        return Ok(Some("the brand's staff may not enter its contests"));
    }
    let tiers = tiers_of(c);
    if !tiers.is_empty() {
        let held = crate::loyalty::tiers::names_held(tx, member.id).await?;
        if !crate::loyalty::tiers::holds_any(&held, &tiers) {
            return Ok(Some("this contest is for members of other tiers"));
        }
    }
    if let Some(club) = c.club_id
        && !crate::community::clubs::is_active(tx, club, member.id).await?
    {
        return Ok(Some("this contest is for the members of a club"));
    }
    Ok(None)
}

/// Takes one place under the limit per member (false: the limit is reached).
async fn take_place<C: ConnectionTrait>(
    tx: &Scoped<C>,
    c: &contest::Model,
    member: Uuid,
) -> Result<bool, AppError> {
    tx.insert_if_absent(
        contest_participant::ActiveModel {
            tenant_id: Set(tx.tenant_id()),
            contest_id: Set(c.id),
            member_id: Set(member),
            entries: Set(0),
        },
        vec![
            contest_participant::Column::ContestId,
            contest_participant::Column::MemberId,
        ],
    )
    .await?;
    let moved = tx
        .update_many::<contest_participant::Entity>()
        .col_expr(
            contest_participant::Column::Entries,
            Expr::col(contest_participant::Column::Entries).add(1),
        )
        .filter(contest_participant::Column::ContestId.eq(c.id))
        .filter(contest_participant::Column::MemberId.eq(member))
        .filter(contest_participant::Column::Entries.lt(c.max_entries_per_member))
        .exec(tx.db())
        .await?;
    Ok(moved.rows_affected == 1)
}

async fn give_place_back<C: ConnectionTrait>(
    tx: &Scoped<C>,
    contest: Uuid,
    member: Uuid,
) -> Result<(), AppError> {
    tx.update_many::<contest_participant::Entity>()
        .col_expr(
            contest_participant::Column::Entries,
            Expr::col(contest_participant::Column::Entries).sub(1),
        )
        .filter(contest_participant::Column::ContestId.eq(contest))
        .filter(contest_participant::Column::MemberId.eq(member))
        .filter(contest_participant::Column::Entries.gt(0))
        .exec(tx.db())
        .await?;
    Ok(())
}

/// Records an entry (the place is taken); for an instant win, takes the moment due if any.
#[expect(clippy::too_many_arguments, reason = "one entry's every part, named")]
async fn insert_entry<C: ConnectionTrait>(
    tx: &Scoped<C>,
    c: &contest::Model,
    member: Uuid,
    source: EntrySource,
    source_ref: Option<String>,
    answers: Option<String>,
    estimate: Option<i64>,
    correct: bool,
) -> Result<Entered, AppError> {
    // The caller holds the contest's row: the time is taken now, after the entries before, and
    // so is the ticket (by odds: the next number).
    let now = tx.now();
    let id = Uuid::now_v7();
    let odds = c.odds_one_in.filter(|_| c.kind == ContestKind::InstantWin);
    // The last ticket, read through the unique (contest, ticket) index: one row, however many.
    let ticket = match odds {
        Some(_) => Some(
            tx.find::<contest_entry::Entity>()
                .filter(contest_entry::Column::ContestId.eq(c.id))
                .filter(contest_entry::Column::Ticket.is_not_null())
                .order_by_desc(contest_entry::Column::Ticket)
                .one(tx.db())
                .await?
                .and_then(|e| e.ticket)
                .unwrap_or(0)
                .saturating_add(1),
        ),
        None => None,
    };
    let entry = tx
        .insert(contest_entry::ActiveModel {
            id: Set(id),
            tenant_id: Set(tx.tenant_id()),
            contest_id: Set(c.id),
            member_id: Set(member),
            source: Set(source),
            source_ref: Set(source_ref),
            participant: Set(fairness::participant(c.id, member)),
            answers: Set(answers),
            estimate: Set(estimate),
            correct: Set(correct),
            rules_version: Set(c.rules_version),
            ticket: Set(ticket),
            created_at: Set(now),
            withdrawn_at: Set(None),
        })
        .await?;
    let mut winner = None;
    if let (Some(one_in), Some(ticket)) = (odds, ticket) {
        winner = ticket_chance(tx, c, &entry, one_in, ticket).await?;
    } else if c.kind == ContestKind::InstantWin {
        let already = tx
            .find::<contest_winner::Entity>()
            .filter(contest_winner::Column::ContestId.eq(c.id))
            .filter(contest_winner::Column::MemberId.eq(member))
            .count(tx.db())
            .await?;
        if already == 0 {
            let due = tx
                .find::<contest_moment::Entity>()
                .filter(contest_moment::Column::ContestId.eq(c.id))
                .filter(contest_moment::Column::EntryId.is_null())
                .filter(contest_moment::Column::At.lte(entry.created_at))
                .order_by_asc(contest_moment::Column::At)
                .order_by_asc(contest_moment::Column::Id)
                .one(tx.db())
                .await?;
            if let Some(moment) = due {
                let taken = tx
                    .update_many::<contest_moment::Entity>()
                    .col_expr(contest_moment::Column::EntryId, Expr::value(Some(id)))
                    .col_expr(contest_moment::Column::WonAt, Expr::value(Some(now)))
                    .filter(contest_moment::Column::Id.eq(moment.id))
                    .filter(contest_moment::Column::EntryId.is_null())
                    .exec(tx.db())
                    .await?;
                if taken.rows_affected == 1 {
                    let position = tx
                        .find::<contest_moment::Entity>()
                        .filter(contest_moment::Column::ContestId.eq(c.id))
                        .filter(contest_moment::Column::At.lt(moment.at))
                        .count(tx.db())
                        .await?;
                    winner = Some(
                        super::draw::add_winner(
                            tx,
                            c,
                            moment.prize_id,
                            &entry,
                            i32::try_from(position).unwrap_or(i32::MAX),
                            false,
                        )
                        .await?,
                    );
                }
            }
        }
    }
    Ok(Entered { entry, winner })
}

/// An instant win by odds: the ticket's chance (`fairness::ticket_draw`) against the units left
/// (every unit not yet won by a ticket, by rank), unless the member already won. The caller
/// holds the contest's row, so tickets are drawn in order and the stock is read as it stands.
async fn ticket_chance<C: ConnectionTrait>(
    tx: &Scoped<C>,
    c: &contest::Model,
    entry: &contest_entry::Model,
    one_in: i32,
    ticket: i32,
) -> Result<Option<contest_winner::Model>, AppError> {
    let won = tx
        .find::<contest_winner::Entity>()
        .filter(contest_winner::Column::ContestId.eq(c.id))
        .all(tx.db())
        .await?;
    if won.iter().any(|w| w.member_id == entry.member_id) {
        return Ok(None);
    }
    let prizes = super::prizes(tx, c.id).await?;
    let mut left: Vec<&entity::contest_prize::Model> = Vec::new();
    for p in &prizes {
        let taken = won
            .iter()
            .filter(|w| w.prize_id == p.id && !w.top_up)
            .count();
        let quantity = usize::try_from(p.quantity).unwrap_or(0);
        left.extend(std::iter::repeat_n(p, quantity.saturating_sub(taken)));
    }
    let Some(prize) =
        fairness::ticket_draw(&c.seed, one_in, ticket, left.len()).and_then(|k| left.get(k))
    else {
        return Ok(None);
    };
    Ok(Some(
        super::draw::add_winner(tx, c, prize.id, entry, ticket, false).await?,
    ))
}

/// A member enters (free or with points): rules accepted are the current version.
pub async fn enter(
    scope: &TenantScope,
    spec: EntrySpec,
    idempotency_key: Option<&str>,
) -> Result<Entered, AppError> {
    let idem = Idempotency::optional(
        scope.tenant_id().to_string(),
        "enterContest",
        idempotency_key,
        &spec,
    )?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.replay(scope.conn().db()).await?
    {
        return reload(scope, &previous).await;
    }
    let tx = scope.begin().await?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.claim(tx.db()).await?
    {
        drop(tx);
        return reload(scope, &previous).await;
    }
    // Every entry path locks the contest's row first (then the member's counter): entries and
    // the draw queue on it, so none lands after the list is frozen, and an instant win's entries
    // take their time, and their moment, in turn.
    let c = tx.get_for_update::<contest::Entity>(spec.contest).await?;
    let member = tx.get::<entity::member::Entity>(spec.member).await?;
    let now = tx.now();
    match phase(&c, now) {
        Phase::Open => {}
        Phase::Scheduled => return Err(AppError::conflict("entries are not open yet")),
        _ => return Err(AppError::conflict("entries are closed")),
    }
    if let Some(why) = ineligible(&tx, &c, &member).await? {
        return Err(AppError::Forbidden(why));
    }
    let questions = questions_of(&c);
    let (answers, correct) = if c.kind == ContestKind::Quiz {
        if spec.answers.len() != questions.len() {
            return Err(AppError::validation(
                "input.answers",
                format!("answer each of the {} questions", questions.len()),
            ));
        }
        for (a, q) in spec.answers.iter().zip(&questions) {
            if !(0..i32::try_from(q.choices.len()).unwrap_or(0)).contains(a) {
                return Err(AppError::validation(
                    "input.answers",
                    "each answer is the index of one of its question's choices",
                ));
            }
        }
        let correct = spec
            .answers
            .iter()
            .zip(&questions)
            .all(|(a, q)| *a == q.answer);
        (
            Some(serde_json::to_string(&spec.answers).unwrap_or_default()),
            correct,
        )
    } else {
        if !spec.answers.is_empty() {
            return Err(AppError::validation(
                "input.answers",
                "only a quiz takes answers",
            ));
        }
        (None, true)
    };
    let estimate = match (c.tiebreak_question.is_some(), spec.estimate) {
        (true, Some(e)) if (0..=1_000_000_000_000).contains(&e) => Some(e),
        (true, Some(_)) => {
            return Err(AppError::validation(
                "input.estimate",
                "must be between 0 and 1000000000000",
            ));
        }
        (true, None) => {
            return Err(AppError::validation(
                "input.estimate",
                "answer the tie-breaker question",
            ));
        }
        (false, Some(_)) => {
            return Err(AppError::validation(
                "input.estimate",
                "this contest has no tie-breaker",
            ));
        }
        (false, None) => None,
    };
    let source = match spec.via {
        Via::Free if c.free_entry => EntrySource::Free,
        Via::Free => {
            return Err(AppError::conflict(
                "this contest has no free entry: enter by purchase or with points",
            ));
        }
        Via::Points if c.points_per_entry.is_some() => EntrySource::Points,
        Via::Points => {
            return Err(AppError::conflict(
                "this contest is not entered with points",
            ));
        }
    };
    if !take_place(&tx, &c, member.id).await? {
        return Err(AppError::LimitExceeded(format!(
            "a member may enter this contest {} time(s)",
            c.max_entries_per_member
        )));
    }
    let entered =
        insert_entry(&tx, &c, member.id, source, None, answers, estimate, correct).await?;
    if source == EntrySource::Points {
        spend_points(&tx, &c, member.id, entered.entry.id, now).await?;
    }
    if let Some(idem) = &idem {
        idem.record(
            tx.db(),
            serde_json::json!({ "entry": entered.entry.id, "winner": entered.winner.as_ref().map(|w| w.id) }),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(entered)
}

async fn spend_points<C: ConnectionTrait>(
    tx: &Scoped<C>,
    c: &contest::Model,
    member: Uuid,
    entry: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let (Some(points), Some(program)) = (c.points_per_entry, c.program_id) else {
        return Ok(());
    };
    let account = ledger::account(
        tx,
        AccountKind::MemberPoints,
        Some(member),
        Some(program),
        POINTS,
    )
    .await?;
    ledger::lock(tx, account.id).await?;
    ledger::expire_due(tx, account.id, now).await?;
    let lots = ledger::live_lots(tx, account.id, now).await?;
    let mut postings = ledger::take_from_lots(&account, &lots, points)?;
    let redeemed = ledger::account(
        tx,
        AccountKind::BrandPointsRedeemed,
        None,
        Some(program),
        POINTS,
    )
    .await?;
    postings.push(Posting::new(&redeemed, points));
    ledger::post(
        tx,
        Header {
            kind: TransactionKind::Contest,
            reason: format!("Entry in the contest {}", c.name),
            cause_type: ledger::CauseType::Contest,
            cause_id: Some(entry),
            member_id: Some(member),
            occurred_at: now,
        },
        postings,
    )
    .await?;
    Ok(())
}

async fn reload(scope: &TenantScope, previous: &serde_json::Value) -> Result<Entered, AppError> {
    let conn = scope.conn();
    let entry = conn
        .get::<contest_entry::Entity>(crate::core::idempotency::recorded_id(previous, "entry")?)
        .await?;
    let winner = match previous["winner"]
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
    {
        Some(id) => Some(conn.get::<contest_winner::Entity>(id).await?),
        None => None,
    };
    Ok(Entered { entry, winner })
}

/// A member's entries (newest first), of one contest or all.
pub async fn of_member(
    scope: &TenantScope,
    member: Uuid,
    contest: Option<Uuid>,
) -> Result<Vec<contest_entry::Model>, AppError> {
    use sea_orm::QuerySelect as _;
    let conn = scope.conn();
    let mut q = conn
        .find::<contest_entry::Entity>()
        .filter(contest_entry::Column::MemberId.eq(member));
    if let Some(c) = contest {
        q = q.filter(contest_entry::Column::ContestId.eq(c));
    }
    Ok(q.order_by_desc(contest_entry::Column::Id)
        .limit(1_000)
        .all(conn.db())
        .await?)
}

/// A contest's entries in id order, from `after` (a page of at most `limit`).
pub async fn of_contest<C: ConnectionTrait>(
    conn: &Scoped<C>,
    contest: Uuid,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<contest_entry::Model>, AppError> {
    use sea_orm::QuerySelect as _;
    let mut q = conn
        .find::<contest_entry::Entity>()
        .filter(contest_entry::Column::ContestId.eq(contest));
    if let Some(a) = after {
        q = q.filter(contest_entry::Column::Id.gt(a));
    }
    Ok(q.order_by_asc(contest_entry::Column::Id)
        .limit(limit)
        .all(conn.db())
        .await?)
}

/// The outbox reader that turns purchases into entries and returns into withdrawals.
const CONSUMER: crate::core::events::Consumer = crate::core::events::Consumer {
    name: "contest-entries",
    start_back: Duration::hours(48),
};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub entered: u64,
    pub withdrawn: u64,
}

/// Reads new purchases and returns: each purchase of a member, dated inside an open contest
/// with a purchase minimum it reaches, is one entry (once: its reference is unique); a return
/// that brings what was paid under the minimum withdraws it, until the list is frozen.
pub async fn run_once(base: &Base, now: DateTime<Utc>) -> Result<Report, AppError> {
    let mut report = Report::default();
    let (events, next) = CONSUMER
        .poll(
            &base.db,
            &["purchase.recorded", "purchase.returned"],
            now,
            1_000,
        )
        .await?;
    for event in &events {
        let (Some(member), Some(purchase)) = (event.member_id, event.subject_id) else {
            continue;
        };
        let scope = base.scope(event.tenant_id);
        let source_ref = format!("purchase:{purchase}");
        match event.kind.as_str() {
            "purchase.recorded" => {
                let total = event.payload["totalMinor"].as_i64().unwrap_or(0);
                let at = event.payload["occurredAt"]
                    .as_str()
                    .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                    .map_or(event.created_at, |d| d.with_timezone(&Utc));
                // One purchase that cannot be handled is logged and passed over: it must not
                // hold up every brand's entries behind it.
                match enter_by_purchase(&scope, member, &source_ref, total, at).await {
                    Ok(n) => report.entered += n,
                    Err(e) => {
                        tracing::warn!(event.id = %event.id, "contest entry by purchase failed: {e}");
                    }
                }
            }
            _ => match withdraw(&scope, purchase, &source_ref).await {
                Ok(n) => report.withdrawn += n,
                Err(e) => {
                    tracing::warn!(event.id = %event.id, "contest entry withdrawal failed: {e}");
                }
            },
        }
    }
    if let Some(next) = next {
        CONSUMER.advance(&base.db, next, now).await?;
    }
    Ok(report)
}

async fn enter_by_purchase(
    scope: &TenantScope,
    member: Uuid,
    source_ref: &str,
    total: i64,
    at: DateTime<Utc>,
) -> Result<u64, AppError> {
    let conn = scope.conn();
    let contests = conn
        .find::<contest::Entity>()
        .filter(contest::Column::PurchaseMinimumMinor.lte(total))
        .filter(contest::Column::OpensAt.lte(at))
        .filter(contest::Column::ClosesAt.gt(at))
        .filter(contest::Column::FrozenAt.is_null())
        .filter(contest::Column::CancelledAt.is_null())
        .all(conn.db())
        .await?;
    let mut entered = 0;
    for c in contests {
        let tx = scope.begin().await?;
        // Locked before anything else (as `enter` does); a purchase dated before the close
        // enters until the list is frozen (the draw waits for them: see `draw::GRACE`).
        let c = tx.get_for_update::<contest::Entity>(c.id).await?;
        if c.frozen_at.is_some() || c.cancelled_at.is_some() {
            continue;
        }
        let exists = tx
            .find::<contest_entry::Entity>()
            .filter(contest_entry::Column::ContestId.eq(c.id))
            .filter(contest_entry::Column::SourceRef.eq(source_ref))
            .count(tx.db())
            .await?;
        if exists > 0 {
            continue;
        }
        let Ok(m) = tx.get::<entity::member::Entity>(member).await else {
            continue;
        };
        if ineligible(&tx, &c, &m).await?.is_some() || !take_place(&tx, &c, member).await? {
            continue;
        }
        insert_entry(
            &tx,
            &c,
            member,
            EntrySource::Purchase,
            Some(source_ref.to_owned()),
            None,
            None,
            true,
        )
        .await?;
        tx.commit().await?;
        entered += 1;
    }
    Ok(entered)
}

async fn withdraw(scope: &TenantScope, purchase: Uuid, source_ref: &str) -> Result<u64, AppError> {
    let conn = scope.conn();
    let entries = conn
        .find::<contest_entry::Entity>()
        .filter(contest_entry::Column::SourceRef.eq(source_ref))
        .filter(contest_entry::Column::WithdrawnAt.is_null())
        .all(conn.db())
        .await?;
    if entries.is_empty() {
        return Ok(0);
    }
    let kept = purchase_kept(&conn, purchase).await?;
    let mut withdrawn = 0;
    for entry in entries {
        let tx = scope.begin().await?;
        let c = tx
            .get_for_update::<contest::Entity>(entry.contest_id)
            .await?;
        if c.frozen_at.is_some() || c.purchase_minimum_minor.is_some_and(|m| kept >= m) {
            continue;
        }
        let moved = tx
            .update_many::<contest_entry::Entity>()
            .col_expr(
                contest_entry::Column::WithdrawnAt,
                Expr::value(Some(tx.now())),
            )
            .filter(contest_entry::Column::Id.eq(entry.id))
            .filter(contest_entry::Column::WithdrawnAt.is_null())
            .exec(tx.db())
            .await?;
        if moved.rows_affected == 1 {
            // By odds, the place stays taken: returning a purchase and buying again must not
            // be a fresh chance.
            if c.odds_one_in.is_none() {
                give_place_back(&tx, c.id, entry.member_id).await?;
            }
            // A prize the returned purchase won and nobody claimed yet goes with it.
            tx.update_many::<contest_winner::Entity>()
                .col_expr(
                    contest_winner::Column::Status,
                    Expr::value(WinnerStatus::Lapsed),
                )
                .filter(contest_winner::Column::EntryId.eq(entry.id))
                .filter(contest_winner::Column::Status.eq(WinnerStatus::Won))
                .exec(tx.db())
                .await?;
            audit(
                &tx,
                "contest.entry_withdrawn",
                c.id,
                Some(entry.member_id),
                serde_json::json!({ "entry": entry.id, "purchase": purchase }),
            )
            .await?;
            tx.commit().await?;
            withdrawn += 1;
        }
    }
    Ok(withdrawn)
}

/// What the customer kept of a purchase: what was paid, less every refund so far (both read
/// from the outbox: the purchase's own events).
pub(crate) async fn purchase_kept<C: ConnectionTrait>(
    conn: &Scoped<C>,
    purchase: Uuid,
) -> Result<i64, AppError> {
    let events = conn
        .find::<entity::event::Entity>()
        .filter(entity::event::Column::SubjectId.eq(purchase))
        .filter(entity::event::Column::Kind.is_in(["purchase.recorded", "purchase.returned"]))
        .all(conn.db())
        .await?;
    let paid: i64 = events
        .iter()
        .filter(|e| e.kind == "purchase.recorded")
        .map(|e| e.payload["totalMinor"].as_i64().unwrap_or(0))
        .sum();
    // The return's outcome, as `recordReturn` serialises it.
    let refunded: i64 = events
        .iter()
        .filter(|e| e.kind == "purchase.returned")
        .map(|e| e.payload["refund_minor"].as_i64().unwrap_or(0))
        .sum();
    Ok(paid - refunded)
}

/// Every winner of a member (newest first).
pub async fn wins_of(
    scope: &TenantScope,
    member: Uuid,
) -> Result<Vec<contest_winner::Model>, AppError> {
    let conn = scope.conn();
    Ok(conn
        .find::<contest_winner::Entity>()
        .filter(contest_winner::Column::MemberId.eq(member))
        .filter(contest_winner::Column::Status.ne(WinnerStatus::Lapsed))
        .order_by_desc(contest_winner::Column::Id)
        .all(conn.db())
        .await?)
}

/// Gives back the points a contest's entries cost (the contest was cancelled): one balanced
/// transaction per entry, into a new lot lasting as the program's points do; the entries are
/// marked withdrawn, so nothing is given back twice.
pub(crate) async fn refund_points<C: ConnectionTrait>(
    tx: &Scoped<C>,
    c: &contest::Model,
) -> Result<i64, AppError> {
    let (Some(points), Some(program)) = (c.points_per_entry, c.program_id) else {
        return Ok(0);
    };
    let now = tx.now();
    let paid = tx
        .find::<contest_entry::Entity>()
        .filter(contest_entry::Column::ContestId.eq(c.id))
        .filter(contest_entry::Column::Source.eq(EntrySource::Points))
        .filter(contest_entry::Column::WithdrawnAt.is_null())
        .all(tx.db())
        .await?;
    let mut given = 0;
    for e in paid {
        crate::loyalty::grants::credit(
            tx,
            e.member_id,
            program,
            points,
            format!("Contest {} cancelled: entry paid back", c.name),
            (TransactionKind::Contest, ledger::CauseType::Contest, e.id),
            // Given back: out of what the entries took in.
            AccountKind::BrandPointsRedeemed,
        )
        .await?;
        tx.update_many::<contest_entry::Entity>()
            .col_expr(contest_entry::Column::WithdrawnAt, Expr::value(Some(now)))
            .filter(contest_entry::Column::Id.eq(e.id))
            .exec(tx.db())
            .await?;
        given += points;
    }
    Ok(given)
}
