//! Shared points in a coalition: one coalition account and card per consumer, usable at every
//! member brand; earning at a brand's own rate, spending anywhere, returns reversed at the brand
//! where the purchase happened, expiry after a period without activity.
//!
//! Every movement is a transaction of the coalition ledger naming the brand that caused it, with
//! a per-brand clearing account as counterpart of the member's points: BRAND_ISSUED (postpaid
//! brands) or BRAND_BLOCK (prepaid brands, drawn down to minus the brand's reserve) for earning,
//! BRAND_REDEEMED for spending, OPERATOR_BREAKAGE for expiry. What a brand issued or redeemed in
//! a settlement period is therefore a sum of entries (see `settlement`).
//!
//! Periods: a transaction counts in the month (coalition time zone) in which it occurred; when
//! that month is already closed, it counts in the next open month and is flagged late.
//!
//! Privacy: the person's data stays with the brand member who joined; another member brand sees
//! it only with the consumer's consent; the operator never does. A brand sees a card's balance
//! and its own movements, not what the consumer did at other brands.

use chrono::{DateTime, Datelike as _, Months, TimeZone as _, Utc};
use entity::{
    coalition,
    coalition_account::CoalitionAccountKind as K,
    coalition_brand::{Billing, CoalitionBrandStatus},
    coalition_member,
    coalition_txn::{self, CoalitionTxnKind},
    member,
};
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use serde::Serialize;
use uuid::Uuid;

use crate::{
    coalition::store as places,
    core::{
        deps::Base,
        error::AppError,
        idempotency::{Idempotency, recorded_id},
        ledger::{
            coalition as db,
            coalition::{Header, Leg, POINTS},
        },
        tenancy::TenantScope,
        types::text,
    },
};

/// The start of the month containing `at`, in the coalition's time zone.
pub fn month_start(coalition: &coalition::Model, at: DateTime<Utc>) -> DateTime<Utc> {
    let tz = tz_of(coalition);
    let local = at.with_timezone(&tz);
    local_month_start(tz, local.year(), local.month()).unwrap_or(at)
}

/// The start of the month after the one starting at `start`.
pub fn next_month(coalition: &coalition::Model, start: DateTime<Utc>) -> DateTime<Utc> {
    crate::coalition::coalitions::period_end(coalition, start)
}

/// `YYYY-MM` of the month starting at `start`, in the coalition's time zone.
pub fn period_label(coalition: &coalition::Model, start: DateTime<Utc>) -> String {
    let local = start.with_timezone(&tz_of(coalition));
    format!("{:04}-{:02}", local.year(), local.month())
}

/// The start of the month `YYYY-MM` in the coalition's time zone.
pub fn parse_period(
    coalition: &coalition::Model,
    field: &'static str,
    raw: &str,
) -> Result<DateTime<Utc>, AppError> {
    let bad = || AppError::validation(field, "must be a month as YYYY-MM");
    let (y, m) = raw.trim().split_once('-').ok_or_else(bad)?;
    if y.len() != 4 || m.len() != 2 {
        return Err(bad());
    }
    let year: i32 = y.parse().map_err(|_| bad())?;
    let month: u32 = m.parse().map_err(|_| bad())?;
    if !(2000..=2200).contains(&year) || !(1..=12).contains(&month) {
        return Err(bad());
    }
    local_month_start(tz_of(coalition), year, month).ok_or_else(bad)
}

fn tz_of(coalition: &coalition::Model) -> chrono_tz::Tz {
    coalition.timezone.parse().unwrap_or(chrono_tz::UTC)
}

fn local_month_start(tz: chrono_tz::Tz, year: i32, month: u32) -> Option<DateTime<Utc>> {
    tz.with_ymd_and_hms(year, month, 1, 0, 0, 0)
        .earliest()
        .map(|d| d.with_timezone(&Utc))
}

/// The period a transaction occurring at `at` counts in, and whether it is late (its own month
/// was closed already). Call under the coalition lock.
pub async fn settle_in<C: ConnectionTrait>(
    conn: &C,
    coalition: &coalition::Model,
    at: DateTime<Utc>,
) -> Result<(DateTime<Utc>, bool), AppError> {
    let natural = month_start(coalition, at);
    let closed = db::closed_starts_from(conn, coalition.id, natural).await?;
    let mut start = natural;
    while closed.contains(&start) {
        start = next_month(coalition, start);
    }
    Ok((start, start != natural))
}

/// A movement of shared points as its caller sees it.
#[derive(Debug, Clone)]
pub struct Movement {
    pub txn: Option<coalition_txn::Model>,
    pub coalition: coalition::Model,
    pub card_number: String,
    /// The movement's full size: the balance change plus the debt change (an earning that
    /// repays a debt of 12 and adds 18 is +30; a return of 53 taking the last 41 points and
    /// owing 12 is -53).
    pub points: i64,
    /// How the card's balance and debt moved.
    pub change: db::CardChange,
    /// The card's balance after the movement (for a replay: now).
    pub balance: i64,
}

/// The brand's active place in a coalition: NOT_FOUND when it has none, CONFLICT when it is not
/// (or no longer) an active member.
async fn active_place<C: ConnectionTrait>(
    conn: &C,
    coalition: &coalition::Model,
    brand: Uuid,
    now: DateTime<Utc>,
) -> Result<entity::coalition_brand::Model, AppError> {
    let place = places::place(conn, coalition.id, brand)
        .await?
        .ok_or(AppError::NotFound)?;
    if crate::coalition::coalitions::status_now(&place, now) != CoalitionBrandStatus::Active {
        return Err(AppError::conflict(
            "this brand is not an active member of this coalition",
        ));
    }
    Ok(place)
}

async fn card<C: ConnectionTrait>(
    conn: &C,
    coalition: Uuid,
    number: &str,
) -> Result<coalition_member::Model, AppError> {
    db::member_by_card(
        conn,
        coalition,
        &crate::loyalty::members::normalise_card_number(number),
    )
    .await?
    .ok_or_else(|| {
        AppError::validation(
            "input.cardNumber",
            "no card of this coalition has this number",
        )
    })
}

fn check_occurred(
    at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, AppError> {
    let at = at.unwrap_or(now);
    if at > now + chrono::Duration::minutes(5) {
        return Err(AppError::validation("input.occurredAt", "is in the future"));
    }
    Ok(at)
}

fn reference(raw: Option<&str>) -> Result<Option<String>, AppError> {
    raw.map(|r| text("input.reference", r, 200)).transpose()
}

/// Joins a brand member to a coalition: one coalition account and card, usable at every member
/// brand. Joining twice returns the same card. `share_with`: the other member brands the
/// consumer agreed to share their profile with (`None`: unchanged).
pub async fn join(
    scope: &TenantScope,
    coalition_id: Uuid,
    member_id: Uuid,
    share_with: Option<&[Uuid]>,
) -> Result<coalition_member::Model, AppError> {
    let tx = scope.begin().await?;
    let member = tx.get::<member::Entity>(member_id).await?;
    let coalition = places::coalition(tx.db(), coalition_id)
        .await?
        .ok_or(AppError::NotFound)?;
    active_place(tx.db(), &coalition, scope.tenant_id(), scope.now()).await?;
    if let Some(share_with) = share_with {
        check_share_with(tx.db(), &coalition, share_with, "input.shareWithBrandIds").await?;
    }
    let joined = match db::member_of(tx.db(), coalition.id, member.id).await? {
        Some(existing) => existing,
        None => {
            let mut created = None;
            // Card numbers are random; a clash (1 in 10^14 per pair) is retried.
            for _ in 0..5 {
                let now = scope.now();
                let model = coalition_member::Model {
                    id: Uuid::now_v7(),
                    coalition_id: coalition.id,
                    card_number: crate::loyalty::members::new_card_number_with_prefix('8'),
                    home_brand_id: scope.tenant_id(),
                    member_id: member.id,
                    created_at: now,
                    last_activity_at: now,
                };
                if db::insert_member(tx.db(), coalition_member::ActiveModel::from(model.clone()))
                    .await?
                {
                    created = Some(model);
                    break;
                }
                if let Some(raced) = db::member_of(tx.db(), coalition.id, member.id).await? {
                    created = Some(raced);
                    break;
                }
            }
            created.ok_or_else(|| AppError::conflict("could not draw a card number; retry"))?
        }
    };
    if let Some(share_with) = share_with {
        db::set_consents(tx.db(), joined.id, share_with).await?;
    }
    tx.commit().await?;
    Ok(joined)
}

/// The home brand records (on the consumer's behalf) which member brands may see the profile.
pub async fn set_sharing(
    scope: &TenantScope,
    coalition_id: Uuid,
    member_id: Uuid,
    share_with: &[Uuid],
    field: &'static str,
) -> Result<coalition_member::Model, AppError> {
    let tx = scope.begin().await?;
    let member = tx.get::<member::Entity>(member_id).await?;
    let coalition = places::coalition(tx.db(), coalition_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let joined = db::member_of(tx.db(), coalition.id, member.id)
        .await?
        .ok_or(AppError::NotFound)?;
    check_share_with(tx.db(), &coalition, share_with, field).await?;
    db::set_consents(tx.db(), joined.id, share_with).await?;
    tx.commit().await?;
    Ok(joined)
}

async fn check_share_with<C: ConnectionTrait>(
    conn: &C,
    coalition: &coalition::Model,
    share_with: &[Uuid],
    field: &'static str,
) -> Result<(), AppError> {
    if share_with.len() > 100 {
        return Err(AppError::validation(field, "at most 100 brands"));
    }
    let brands = places::brands_of(conn, coalition.id).await?;
    for id in share_with {
        if !brands
            .iter()
            .any(|(p, _)| p.brand_id == *id && p.status == CoalitionBrandStatus::Active)
        {
            return Err(AppError::validation(
                field,
                "names a brand that is not a member of this coalition",
            ));
        }
    }
    Ok(())
}

/// A movement's write transaction with the coalition row held shared (see `settle_in`), or
/// the first answer when the idempotency key was used before.
enum Opened {
    Replayed(Movement),
    Fresh(DatabaseTransaction, coalition::Model),
}

async fn open(
    base: &Base,
    idem: Option<&Idempotency>,
    coalition: Uuid,
) -> Result<Opened, AppError> {
    let tx = crate::core::db::begin_write(&base.db).await?;
    if let Some(idem) = idem
        && let Some(previous) = idem.claim(&tx).await?
    {
        drop(tx);
        return Ok(Opened::Replayed(replayed(base, &previous).await?));
    }
    let coalition = db::lock_coalition(&tx, coalition, false).await?;
    Ok(Opened::Fresh(tx, coalition))
}

/// Records the answer under the idempotency key and commits.
async fn commit(
    tx: DatabaseTransaction,
    idem: Option<&Idempotency>,
    movement: Movement,
) -> Result<Movement, AppError> {
    if let Some(idem) = idem {
        idem.record(&tx, replay_record(&movement)).await?;
    }
    tx.commit().await?;
    Ok(movement)
}

async fn finish<C: ConnectionTrait>(
    conn: &C,
    coalition: coalition::Model,
    card: coalition_member::Model,
    txn: Option<coalition_txn::Model>,
    points: i64,
) -> Result<Movement, AppError> {
    let balance = db::existing_account(conn, coalition.id, K::MemberPoints, None, Some(card.id))
        .await?
        .map_or(0, |a| a.balance);
    let change = match &txn {
        Some(t) => db::card_changes(conn, card.id, &[t.id])
            .await?
            .first()
            .map(|(_, c)| *c)
            .unwrap_or_default(),
        None => db::CardChange::default(),
    };
    Ok(Movement {
        points: if txn.is_some() { points } else { 0 },
        change,
        txn,
        coalition,
        card_number: card.card_number,
        balance,
    })
}

fn replay_record(m: &Movement) -> serde_json::Value {
    serde_json::json!({
        "coalition": m.coalition.id,
        "card": m.card_number,
        "txn": m.txn.as_ref().map(|t| t.id),
        "points": m.points,
    })
}

async fn replayed(base: &Base, previous: &serde_json::Value) -> Result<Movement, AppError> {
    let coalition_id = recorded_id(previous, "coalition")?;
    let coalition = places::coalition(&base.db, coalition_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let card = db::member_by_card(
        &base.db,
        coalition.id,
        previous["card"].as_str().unwrap_or(""),
    )
    .await?
    .ok_or(AppError::NotFound)?;
    let txn = match previous["txn"]
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
    {
        Some(id) => db::txn(&base.db, coalition.id, id).await?,
        None => None,
    };
    let points = previous["points"].as_i64().unwrap_or(0);
    finish(&base.db, coalition, card, txn, points).await
}

mod blocks;
mod movements;
mod views;

pub use self::{
    blocks::{Block, ExpiryReport, add_block, expire_due},
    movements::{Earn, Redeem, Return, earn, redeem, reverse},
    views::{CardView, Viewer, card_view, members_sharing_with, my_cards},
};
