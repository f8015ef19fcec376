//! Closing a contest: the entry list frozen and hashed, the winners drawn (once, whoever asks:
//! a conditional update marks the contest drawn), the seed revealed; winners claim their prize
//! before the deadline, unclaimed prizes lapse or go to the next entry in the draw order; and
//! the public record anyone can re-check.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use entity::{
    contest::{self, ContestKind, UnclaimedPolicy},
    contest_entry, contest_moment, contest_prize,
    contest_prize::PrizeKind,
    contest_winner::{self, WinnerStatus},
    ledger_transaction::TransactionKind,
    voucher::VoucherSource,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, PaginatorTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};
use uuid::Uuid;

use super::{Phase, audit, phase, prizes};
use crate::{
    community::fairness::{self, ListedEntry, Published},
    core::{
        deps::Base,
        error::AppError,
        ledger,
        tenancy::{Scoped, TenantScope},
    },
};

/// How long after the close a contest entered by purchase waits before its list is frozen: the
/// purchases recorded before the close are read from the outbox in that time (it reads every
/// few seconds, and re-reads two minutes back).
pub const GRACE: Duration = Duration::minutes(5);

/// When the list of a contest may be frozen.
pub fn freezable_from(c: &contest::Model) -> DateTime<Utc> {
    if c.purchase_minimum_minor.is_some() {
        c.closes_at + GRACE
    } else {
        c.closes_at
    }
}

/// Records a winner and tells the outbox (the winner's mail).
pub(crate) async fn add_winner<C: ConnectionTrait>(
    tx: &Scoped<C>,
    c: &contest::Model,
    prize: Uuid,
    entry: &contest_entry::Model,
    position: i32,
    top_up: bool,
) -> Result<contest_winner::Model, AppError> {
    let now = tx.now();
    let prize_name = tx.get::<contest_prize::Entity>(prize).await?.name;
    let winner = tx
        .insert(contest_winner::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tx.tenant_id()),
            contest_id: Set(c.id),
            prize_id: Set(prize),
            entry_id: Set(entry.id),
            member_id: Set(entry.member_id),
            position: Set(position),
            status: Set(WinnerStatus::Won),
            claim_until: Set(now + Duration::days(i64::from(c.claim_days))),
            claimed_at: Set(None),
            voucher_id: Set(None),
            created_at: Set(now),
            top_up: Set(top_up),
        })
        .await?;
    audit(
        tx,
        "contest.won",
        c.id,
        Some(entry.member_id),
        serde_json::json!({ "winner": winner.id, "entry": entry.id, "prize": prize, "position": position, "topUp": top_up, "claimUntil": winner.claim_until, "contestName": c.name, "prizeName": prize_name }),
    )
    .await?;
    Ok(winner)
}

/// The list as published: entries not withdrawn in id order (an instant win keeps every entry:
/// a withdrawn one took its moment when it was entered).
fn listed(c: &contest::Model, entries: &[contest_entry::Model]) -> Vec<ListedEntry> {
    entries
        .iter()
        .filter(|e| c.kind == ContestKind::InstantWin || e.withdrawn_at.is_none())
        .map(|e| ListedEntry {
            entry: e.id,
            participant: e.participant.clone(),
            eligible: e.correct && e.withdrawn_at.is_none(),
            distance: match (c.tiebreak_answer, e.estimate) {
                (Some(answer), Some(estimate)) => {
                    Some(estimate.saturating_sub(answer).saturating_abs())
                }
                _ => None,
            },
            at: e.created_at,
            answers: (c.kind == ContestKind::Quiz).then(|| {
                e.answers
                    .as_deref()
                    .and_then(|a| serde_json::from_str(a).ok())
                    .unwrap_or_default()
            }),
            estimate: e.estimate.filter(|_| c.kind == ContestKind::Quiz),
            ticket: e.ticket,
        })
        .collect()
}

async fn all_entries<C: ConnectionTrait>(
    tx: &Scoped<C>,
    contest: Uuid,
) -> Result<Vec<contest_entry::Model>, AppError> {
    Ok(tx
        .find::<contest_entry::Entity>()
        .filter(contest_entry::Column::ContestId.eq(contest))
        .order_by_asc(contest_entry::Column::Id)
        .all(tx.db())
        .await?)
}

/// Freezes the list, draws the winners and reveals the seed, once entries have closed. A second
/// call (or a second worker) finds it drawn and returns it as it is.
pub async fn draw(scope: &TenantScope, id: Uuid) -> Result<contest::Model, AppError> {
    let now = scope.now();
    let tx = scope.begin().await?;
    let c = tx.get_for_update::<contest::Entity>(id).await?;
    match phase(&c, now) {
        Phase::Drawn => return Ok(c),
        Phase::Cancelled => return Err(AppError::conflict("this contest was cancelled")),
        Phase::Scheduled | Phase::Open => {
            return Err(AppError::conflict("entries have not closed yet"));
        }
        Phase::Closed if now < freezable_from(&c) => {
            return Err(AppError::conflict(format!(
                "purchases recorded before the close are still being counted: the draw can run from {}",
                freezable_from(&c).to_rfc3339()
            )));
        }
        Phase::Closed => {}
    }
    let entries = all_entries(&tx, id).await?;
    let list = listed(&c, &entries);
    let hash = fairness::list_hash(&list);
    let marked = tx
        .update_many::<contest::Entity>()
        .col_expr(contest::Column::FrozenAt, Expr::value(Some(now)))
        .col_expr(contest::Column::DrawnAt, Expr::value(Some(now)))
        .col_expr(contest::Column::ListHash, Expr::value(Some(hash.clone())))
        .col_expr(
            contest::Column::EntryCount,
            Expr::value(Some(i32::try_from(list.len()).unwrap_or(i32::MAX))),
        )
        .filter(contest::Column::Id.eq(id))
        .filter(contest::Column::DrawnAt.is_null())
        .exec(tx.db())
        .await?;
    if marked.rows_affected != 1 {
        drop(tx);
        return scope.conn().get::<contest::Entity>(id).await;
    }
    let prize_rows = prizes(&tx, id).await?;
    let mut winners = 0;
    let units: Vec<(i32, i32)> = prize_rows.iter().map(|p| (p.rank, p.quantity)).collect();
    let odds = c.odds_one_in.is_some() && c.kind == ContestKind::InstantWin;
    // A draw and a quiz give every prize now; an instant win by odds the stock its tickets left
    // (or gave back: withdrawn before being claimed); an instant win by moments nothing more.
    let to_draw = if odds {
        let rows = tx
            .find::<contest_winner::Entity>()
            .filter(contest_winner::Column::ContestId.eq(id))
            .all(tx.db())
            .await?;
        let wins: Vec<(i32, Uuid, &str)> = rows
            .iter()
            .filter_map(|w| {
                let rank = prize_rows.iter().find(|p| p.id == w.prize_id)?.rank;
                Some((rank, w.entry_id, status_name(w.status)))
            })
            .collect();
        Some(fairness::stock_left(&units, &list, &wins))
    } else if c.kind != ContestKind::InstantWin {
        Some((units, HashSet::new()))
    } else {
        None
    };
    if let Some((units, holders)) = to_draw {
        let order = fairness::order(&c.seed, &hash, &list);
        for (rank, i, position) in fairness::winners_after(&order, &list, &units, &holders) {
            let Some(prize) = prize_rows.iter().find(|p| p.rank == rank) else {
                continue;
            };
            let Some(entry) = entries.iter().find(|e| e.id == list[i].entry) else {
                continue;
            };
            add_winner(
                &tx,
                &c,
                prize.id,
                entry,
                i32::try_from(position).unwrap_or(i32::MAX),
                odds,
            )
            .await?;
            winners += 1;
        }
    }
    audit(
        &tx,
        "contest.drawn",
        id,
        None,
        serde_json::json!({ "entryListHash": hash, "entries": list.len(), "seed": c.seed, "winners": winners }),
    )
    .await?;
    tx.commit().await?;
    scope.conn().get::<contest::Entity>(id).await
}

/// Draws every contest whose entries have closed, and lapses (or redraws) unclaimed prizes past
/// their deadline, for every active brand.
pub async fn run_once(base: &Base, now: DateTime<Utc>) -> Result<(u64, u64), AppError> {
    let (mut drawn, mut lapsed) = (0, 0);
    for brand in crate::identity::brands::active(&base.db).await? {
        let scope = base.scope(brand.id);
        let conn = scope.conn();
        let due = conn
            .find::<contest::Entity>()
            .filter(contest::Column::ClosesAt.lte(now))
            .filter(contest::Column::DrawnAt.is_null())
            .filter(contest::Column::CancelledAt.is_null())
            .all(conn.db())
            .await?;
        for c in due {
            if now < freezable_from(&c) {
                continue;
            }
            let before = c.drawn_at;
            let after = draw(&scope, c.id).await?;
            if before.is_none()
                && after
                    .drawn_at
                    .is_some_and(|d| d >= now - Duration::minutes(1))
            {
                drawn += 1;
            }
        }
        let expired = conn
            .find::<contest_winner::Entity>()
            .filter(contest_winner::Column::Status.eq(WinnerStatus::Won))
            .filter(contest_winner::Column::ClaimUntil.lt(now))
            .order_by_asc(contest_winner::Column::Position)
            .all(conn.db())
            .await?;
        for w in expired {
            if lapse(&scope, &w).await? {
                lapsed += 1;
            }
        }
    }
    Ok((drawn, lapsed))
}

/// Lapses one unclaimed prize; under REDRAW the next entry in the draw order wins it.
async fn lapse(scope: &TenantScope, w: &contest_winner::Model) -> Result<bool, AppError> {
    let tx = scope.begin().await?;
    let c = tx.get_for_update::<contest::Entity>(w.contest_id).await?;
    let moved = tx
        .update_many::<contest_winner::Entity>()
        .col_expr(
            contest_winner::Column::Status,
            Expr::value(WinnerStatus::Lapsed),
        )
        .filter(contest_winner::Column::Id.eq(w.id))
        .filter(contest_winner::Column::Status.eq(WinnerStatus::Won))
        .exec(tx.db())
        .await?;
    if moved.rows_affected != 1 {
        return Ok(false);
    }
    audit(
        &tx,
        "contest.prize_lapsed",
        c.id,
        Some(w.member_id),
        serde_json::json!({ "winner": w.id, "prize": w.prize_id }),
    )
    .await?;
    if c.unclaimed == UnclaimedPolicy::Redraw
        && c.kind != ContestKind::InstantWin
        && let Some(hash) = &c.list_hash
    {
        let entries = all_entries(&tx, c.id).await?;
        let list = listed(&c, &entries);
        let order = fairness::order(&c.seed, hash, &list);
        let all = tx
            .find::<contest_winner::Entity>()
            .filter(contest_winner::Column::ContestId.eq(c.id))
            .all(tx.db())
            .await?;
        let won: HashSet<String> = all
            .iter()
            .filter_map(|x| entries.iter().find(|e| e.id == x.entry_id))
            .map(|e| e.participant.clone())
            .collect();
        let last = all.iter().map(|x| x.position).max().unwrap_or(0);
        if let Some((i, position)) =
            fairness::next_in_order(&order, &list, usize::try_from(last).unwrap_or(0), &won)
            && let Some(entry) = entries.iter().find(|e| e.id == list[i].entry)
        {
            add_winner(
                &tx,
                &c,
                w.prize_id,
                entry,
                i32::try_from(position).unwrap_or(i32::MAX),
                false,
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(true)
}

/// Claims a prize before its deadline (once: a second claim returns it as it is): points are
/// credited, a voucher issued, a gift recorded as to be handed over. `member`: only theirs.
pub async fn claim(
    scope: &TenantScope,
    winner: Uuid,
    member: Option<Uuid>,
) -> Result<contest_winner::Model, AppError> {
    let now = scope.now();
    let tx = scope.begin().await?;
    let w = tx.get_for_update::<contest_winner::Entity>(winner).await?;
    if member.is_some_and(|m| m != w.member_id) {
        return Err(AppError::NotFound);
    }
    match w.status {
        WinnerStatus::Claimed => return Ok(w),
        WinnerStatus::Lapsed => {
            return Err(AppError::conflict(
                "this prize lapsed: its claim deadline passed",
            ));
        }
        WinnerStatus::Won if w.claim_until < now => {
            return Err(AppError::conflict("the claim deadline has passed"));
        }
        WinnerStatus::Won => {}
    }
    let moved = tx
        .update_many::<contest_winner::Entity>()
        .col_expr(
            contest_winner::Column::Status,
            Expr::value(WinnerStatus::Claimed),
        )
        .col_expr(contest_winner::Column::ClaimedAt, Expr::value(Some(now)))
        .filter(contest_winner::Column::Id.eq(w.id))
        .filter(contest_winner::Column::Status.eq(WinnerStatus::Won))
        .exec(tx.db())
        .await?;
    if moved.rows_affected != 1 {
        drop(tx);
        return scope.conn().get::<contest_winner::Entity>(winner).await;
    }
    let c = tx.get::<contest::Entity>(w.contest_id).await?;
    let prize = tx.get::<contest_prize::Entity>(w.prize_id).await?;
    let mut voucher_id = None;
    match prize.kind {
        PrizeKind::Points => {
            let program = c.program_id.ok_or_else(|| {
                AppError::conflict("this contest names no points program to credit")
            })?;
            crate::loyalty::grants::credit(
                &tx,
                w.member_id,
                program,
                prize.points,
                format!("Prize won in the contest {}: {}", c.name, prize.name),
                (TransactionKind::Contest, ledger::CauseType::Contest, w.id),
                entity::ledger_account::AccountKind::BrandPointsIssued,
            )
            .await?;
        }
        PrizeKind::Voucher => {
            let voucher = crate::loyalty::vouchers::issue_amount(
                &tx,
                w.member_id,
                prize.voucher_amount_minor,
                prize.voucher_valid_days,
                VoucherSource::Contest,
                &prize.name,
            )
            .await?;
            voucher_id = Some(voucher.id);
            tx.update_many::<contest_winner::Entity>()
                .col_expr(contest_winner::Column::VoucherId, Expr::value(voucher_id))
                .filter(contest_winner::Column::Id.eq(w.id))
                .exec(tx.db())
                .await?;
        }
        PrizeKind::Gift => {}
    }
    audit(
        &tx,
        "contest.prize_claimed",
        c.id,
        Some(w.member_id),
        serde_json::json!({ "winner": w.id, "prize": prize.id, "voucher": voucher_id }),
    )
    .await?;
    tx.commit().await?;
    scope.conn().get::<contest_winner::Entity>(winner).await
}

/// Prize units an entry can still win now: a draw's or a quiz's prizes until it is drawn; an
/// instant win's moments not taken yet, or by odds the units no ticket won (a win voided by a
/// return waits for the close); none once drawn or cancelled.
pub async fn prizes_left<C: ConnectionTrait>(
    conn: &Scoped<C>,
    c: &contest::Model,
) -> Result<i32, AppError> {
    if c.drawn_at.is_some() || c.cancelled_at.is_some() {
        return Ok(0);
    }
    let units: i64 = prizes(conn, c.id)
        .await?
        .iter()
        .map(|p| i64::from(p.quantity))
        .sum();
    let left = match (c.kind, c.odds_one_in) {
        (ContestKind::InstantWin, Some(_)) => {
            let won = winners(conn, c.id)
                .await?
                .iter()
                .filter(|w| !w.top_up)
                .count();
            units - i64::try_from(won).unwrap_or(i64::MAX)
        }
        (ContestKind::InstantWin, None) => i64::try_from(
            conn.find::<contest_moment::Entity>()
                .filter(contest_moment::Column::ContestId.eq(c.id))
                .filter(contest_moment::Column::EntryId.is_null())
                .count(conn.db())
                .await?,
        )
        .unwrap_or(0),
        _ => units,
    };
    Ok(i32::try_from(left.max(0)).unwrap_or(i32::MAX))
}

pub async fn winners<C: ConnectionTrait>(
    conn: &Scoped<C>,
    contest: Uuid,
) -> Result<Vec<contest_winner::Model>, AppError> {
    Ok(conn
        .find::<contest_winner::Entity>()
        .filter(contest_winner::Column::ContestId.eq(contest))
        .order_by_asc(contest_winner::Column::Position)
        .order_by_asc(contest_winner::Column::Id)
        .all(conn.db())
        .await?)
}

/// A contest's figures.
#[derive(Debug, Clone, Copy, Default)]
pub struct Figures {
    pub entries: u64,
    pub withdrawn: u64,
    pub participants: u64,
    pub winners: u64,
    pub claimed: u64,
    pub lapsed: u64,
}

pub async fn figures(scope: &TenantScope, contest: Uuid) -> Result<Figures, AppError> {
    let conn = scope.conn();
    let entries = conn
        .find::<contest_entry::Entity>()
        .filter(contest_entry::Column::ContestId.eq(contest))
        .all(conn.db())
        .await?;
    let participants: HashSet<Uuid> = entries
        .iter()
        .filter(|e| e.withdrawn_at.is_none())
        .map(|e| e.member_id)
        .collect();
    let ws = winners(&conn, contest).await?;
    Ok(Figures {
        entries: entries.iter().filter(|e| e.withdrawn_at.is_none()).count() as u64,
        withdrawn: entries.iter().filter(|e| e.withdrawn_at.is_some()).count() as u64,
        participants: participants.len() as u64,
        winners: ws
            .iter()
            .filter(|w| w.status != WinnerStatus::Lapsed)
            .count() as u64,
        claimed: ws
            .iter()
            .filter(|w| w.status == WinnerStatus::Claimed)
            .count() as u64,
        lapsed: ws
            .iter()
            .filter(|w| w.status == WinnerStatus::Lapsed)
            .count() as u64,
    })
}

/// The public record of a contest of any brand (it names no member): the commitment at once,
/// the list and its hash once frozen, the seed, winners and moments once drawn.
pub async fn published(base: &Base, id: Uuid) -> Result<Published, AppError> {
    let tenant = crate::community::store::contest_tenant(&base.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let scope = base.scope(tenant);
    let conn = scope.conn();
    let c = conn.get::<contest::Entity>(id).await?;
    let prize_rows = prizes(&conn, id).await?;
    let rank_of = |prize: Uuid| {
        prize_rows
            .iter()
            .find(|p| p.id == prize)
            .map_or(0, |p| p.rank)
    };
    let drawn = c.drawn_at.is_some();
    let (entries, ws, moments) = if drawn {
        let entries = all_entries(&conn, id).await?;
        let list = listed(&c, &entries);
        let ws = winners(&conn, id).await?;
        let moments = if c.kind == ContestKind::InstantWin {
            conn.find::<contest_moment::Entity>()
                .filter(contest_moment::Column::ContestId.eq(id))
                .order_by_asc(contest_moment::Column::At)
                .order_by_asc(contest_moment::Column::Id)
                .all(conn.db())
                .await?
        } else {
            Vec::new()
        };
        (list, ws, moments)
    } else {
        (Vec::new(), Vec::new(), Vec::new())
    };
    Ok(Published {
        algorithm: if c.odds_one_in.is_some() {
            fairness::ALGORITHM_V2
        } else {
            fairness::ALGORITHM
        }
        .to_owned(),
        contest: c.id,
        name: c.name.clone(),
        kind: match c.kind {
            ContestKind::Draw => "DRAW",
            ContestKind::InstantWin => "INSTANT_WIN",
            ContestKind::Quiz => "QUIZ",
        }
        .to_owned(),
        opens_at: c.opens_at,
        unclaimed: Some(
            match c.unclaimed {
                UnclaimedPolicy::Redraw => "REDRAW",
                UnclaimedPolicy::Lapse => "LAPSE",
            }
            .to_owned(),
        ),
        closes_at: c.closes_at,
        seed_commitment: c.seed_hash.clone(),
        prizes: prize_rows
            .iter()
            .map(|p| fairness::PublishedPrize {
                rank: p.rank,
                name: p.name.clone(),
                quantity: p.quantity,
            })
            .collect(),
        entry_list_hash: c.list_hash.clone(),
        entries,
        seed: drawn.then(|| c.seed.clone()),
        winners: ws
            .iter()
            .map(|w| fairness::PublishedWinner {
                prize: rank_of(w.prize_id),
                entry: w.entry_id,
                position: w.position,
                status: status_name(w.status).to_owned(),
                top_up: w.top_up,
            })
            .collect(),
        moments: moments
            .iter()
            .map(|m| fairness::PublishedMoment {
                prize: rank_of(m.prize_id),
                at: m.at,
                entry: m.entry_id,
            })
            .collect(),
        quiz: (drawn && c.kind == ContestKind::Quiz).then(|| fairness::PublishedQuiz {
            answers: super::questions_of(&c).iter().map(|q| q.answer).collect(),
            tiebreak_answer: c.tiebreak_answer,
        }),
        odds_one_in: c.odds_one_in,
    })
}

/// A winner's status as the public record writes it.
fn status_name(status: WinnerStatus) -> &'static str {
    match status {
        WinnerStatus::Won => "WON",
        WinnerStatus::Claimed => "CLAIMED",
        WinnerStatus::Lapsed => "LAPSED",
    }
}

/// Names and addresses of the members given, by id.
async fn members_by_id<C: ConnectionTrait>(
    conn: &Scoped<C>,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, entity::member::Model>, AppError> {
    let mut out = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        for m in conn
            .find::<entity::member::Entity>()
            .filter(entity::member::Column::Id.is_in(chunk.iter().copied()))
            .all(conn.db())
            .await?
        {
            out.insert(m.id, m);
        }
    }
    Ok(out)
}

/// The entries of a contest as CSV, in id order (text fields neutralised for spreadsheets).
pub async fn entries_csv(scope: &TenantScope, contest: Uuid) -> Result<String, AppError> {
    use crate::core::types::csv_field;
    let conn = scope.conn();
    conn.get::<contest::Entity>(contest).await?;
    let entries = all_entries(&conn, contest).await?;
    let mut ids: Vec<Uuid> = entries.iter().map(|e| e.member_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let members = members_by_id(&conn, &ids).await?;
    let mut out = String::from(
        "entry_id,participant,member_id,email,first_name,last_name,source,purchase,rules_version,answers,estimate,correct,entered_at,withdrawn_at,ticket\n",
    );
    for e in &entries {
        let m = members.get(&e.member_id);
        out.push_str(&format!(
            "{},{},{},{},{},{},{:?},{},{},{},{},{},{},{},{}\n",
            e.id,
            e.participant,
            e.member_id,
            csv_field(m.and_then(|m| m.email.as_deref()).unwrap_or("")),
            csv_field(m.and_then(|m| m.first_name.as_deref()).unwrap_or("")),
            csv_field(m.and_then(|m| m.last_name.as_deref()).unwrap_or("")),
            e.source,
            e.source_ref
                .as_deref()
                .and_then(|r| r.strip_prefix("purchase:"))
                .unwrap_or(""),
            e.rules_version,
            csv_field(e.answers.as_deref().unwrap_or("")),
            e.estimate.map(|x| x.to_string()).unwrap_or_default(),
            e.correct,
            e.created_at.to_rfc3339(),
            e.withdrawn_at.map(|d| d.to_rfc3339()).unwrap_or_default(),
            e.ticket.map(|t| t.to_string()).unwrap_or_default(),
        ));
    }
    Ok(out)
}

/// The winners of a contest as CSV, in draw order.
pub async fn winners_csv(scope: &TenantScope, contest: Uuid) -> Result<String, AppError> {
    use crate::core::types::csv_field;
    let conn = scope.conn();
    conn.get::<contest::Entity>(contest).await?;
    let ws = winners(&conn, contest).await?;
    let prize_rows = prizes(&conn, contest).await?;
    let ids: Vec<Uuid> = ws.iter().map(|w| w.member_id).collect();
    let members = members_by_id(&conn, &ids).await?;
    let mut out = String::from(
        "winner_id,position,prize_rank,prize,member_id,email,first_name,last_name,status,claim_until,claimed_at,entry_id\n",
    );
    for w in &ws {
        let m = members.get(&w.member_id);
        let p = prize_rows.iter().find(|p| p.id == w.prize_id);
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{:?},{},{},{}\n",
            w.id,
            w.position,
            p.map_or(0, |p| p.rank),
            csv_field(p.map_or("", |p| p.name.as_str())),
            w.member_id,
            csv_field(m.and_then(|m| m.email.as_deref()).unwrap_or("")),
            csv_field(m.and_then(|m| m.first_name.as_deref()).unwrap_or("")),
            csv_field(m.and_then(|m| m.last_name.as_deref()).unwrap_or("")),
            w.status,
            w.claim_until.to_rfc3339(),
            w.claimed_at.map(|d| d.to_rfc3339()).unwrap_or_default(),
            w.entry_id,
        ));
    }
    Ok(out)
}
