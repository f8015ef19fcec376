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
        deps::Deps,
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

/// A purchase at a member brand.
#[derive(Debug, Clone, Serialize)]
pub struct Earn {
    pub coalition_id: Uuid,
    pub card_number: String,
    pub amount_minor: i64,
    pub reference: Option<String>,
    pub occurred_at: Option<DateTime<Utc>>,
}

/// Earns shared points at the brand's rate (floor). A prepaid brand draws them from its block;
/// when the block (with its reserve) does not cover them the purchase is refused with
/// LIMIT_EXCEEDED and nothing is booked. Earnings repay a points debt first.
pub async fn earn(
    state: &Deps,
    scope: &TenantScope,
    input: Earn,
    key: Option<&str>,
) -> Result<Movement, AppError> {
    let brand = scope.tenant_id();
    let idem = Idempotency::optional(brand.to_string(), "recordCoalitionPurchase", key, &input)?;
    if !(1..=1_000_000_000_000).contains(&input.amount_minor) {
        return Err(AppError::validation(
            "input.amountMinor",
            "must be between 1 and 1000000000000",
        ));
    }
    let now = scope.now();
    let occurred_at = check_occurred(input.occurred_at, now)?;
    let reference = reference(input.reference.as_deref())?;
    let (tx, coalition) = match open(state, idem.as_ref(), input.coalition_id).await? {
        Opened::Replayed(movement) => return Ok(movement),
        Opened::Fresh(tx, coalition) => (tx, coalition),
    };
    let place = active_place(&tx, &coalition, brand, now).await?;
    let card = card(&tx, coalition.id, &input.card_number).await?;
    let points = i64::try_from(
        i128::from(input.amount_minor) * i128::from(place.earn_points)
            / i128::from(place.earn_per_amount_minor),
    )
    .map_err(|_| AppError::validation("input.amountMinor", "is too large"))?;
    let member_account = db::account(
        &tx,
        coalition.id,
        K::MemberPoints,
        None,
        Some(card.id),
        POINTS,
    )
    .await?;
    let mut txn = None;
    if points > 0 {
        db::lock_account(&tx, member_account.id).await?;
        let debt =
            db::existing_account(&tx, coalition.id, K::MemberDebt, None, Some(card.id)).await?;
        let repay = debt
            .as_ref()
            .map_or(0, |d| Ord::min(-d.balance, points).max(0));
        let (source, refusal) = match place.billing {
            Billing::Postpaid => (
                Leg::new(
                    &db::account(&tx, coalition.id, K::BrandIssued, Some(brand), None, POINTS).await?,
                    -points,
                ),
                AppError::conflict("the coalition ledger refused this movement; retry"),
            ),
            Billing::Prepaid => (
                Leg::new(
                    &db::account(&tx, coalition.id, K::BrandBlock, Some(brand), None, POINTS).await?,
                    -points,
                )
                .floor(-place.reserve_points),
                AppError::LimitExceeded(
                    "this brand's prepaid block of coalition points is exhausted (reserve included); \
                     the operator must add a block first"
                        .to_owned(),
                ),
            ),
        };
        let mut legs = vec![source];
        if let Some(debt) = &debt
            && repay > 0
        {
            legs.push(Leg::new(debt, repay).ceiling(0));
        }
        if points - repay > 0 {
            legs.push(Leg::new(&member_account, points - repay).floor(0));
        }
        let (period_start, late) = settle_in(&tx, &coalition, occurred_at).await?;
        txn = Some(
            db::post(
                &tx,
                coalition.id,
                Header {
                    kind: CoalitionTxnKind::Earn,
                    brand_id: Some(brand),
                    member_id: Some(card.id),
                    reference,
                    amount_minor: Some(input.amount_minor),
                    cause_id: None,
                    occurred_at,
                    period_start,
                    late,
                },
                legs,
                refusal,
            )
            .await?,
        );
        db::touch_member(&tx, card.id, occurred_at).await?;
    }
    let movement = finish(&tx, coalition, card, txn, points).await?;
    commit(tx, idem.as_ref(), movement).await
}

/// Spending shared points at a member brand.
#[derive(Debug, Clone, Serialize)]
pub struct Redeem {
    pub coalition_id: Uuid,
    pub card_number: String,
    pub points: i64,
    pub reference: Option<String>,
    pub occurred_at: Option<DateTime<Utc>>,
}

/// Spends shared points at the caller's brand (INSUFFICIENT_BALANCE when they do not cover it;
/// two racing spends of one balance cannot both pass).
pub async fn redeem(
    state: &Deps,
    scope: &TenantScope,
    input: Redeem,
    key: Option<&str>,
) -> Result<Movement, AppError> {
    let brand = scope.tenant_id();
    let idem = Idempotency::optional(brand.to_string(), "redeemCoalitionPoints", key, &input)?;
    if !(1..=1_000_000_000).contains(&input.points) {
        return Err(AppError::validation(
            "input.points",
            "must be between 1 and 1000000000",
        ));
    }
    let now = scope.now();
    let occurred_at = check_occurred(input.occurred_at, now)?;
    let reference = reference(input.reference.as_deref())?;
    let (tx, coalition) = match open(state, idem.as_ref(), input.coalition_id).await? {
        Opened::Replayed(movement) => return Ok(movement),
        Opened::Fresh(tx, coalition) => (tx, coalition),
    };
    active_place(&tx, &coalition, brand, now).await?;
    let card = card(&tx, coalition.id, &input.card_number).await?;
    let member_account = db::account(
        &tx,
        coalition.id,
        K::MemberPoints,
        None,
        Some(card.id),
        POINTS,
    )
    .await?;
    let redeemed = db::account(
        &tx,
        coalition.id,
        K::BrandRedeemed,
        Some(brand),
        None,
        POINTS,
    )
    .await?;
    let (period_start, late) = settle_in(&tx, &coalition, occurred_at).await?;
    let txn = db::post(
        &tx,
        coalition.id,
        Header {
            kind: CoalitionTxnKind::Redeem,
            brand_id: Some(brand),
            member_id: Some(card.id),
            reference,
            amount_minor: None,
            cause_id: None,
            occurred_at,
            period_start,
            late,
        },
        vec![
            Leg::new(&member_account, -input.points).floor(0),
            Leg::new(&redeemed, input.points),
        ],
        AppError::InsufficientBalance("not enough coalition points on this card"),
    )
    .await?;
    db::touch_member(&tx, card.id, occurred_at).await?;
    let movement = finish(&tx, coalition, card, Some(txn), -input.points).await?;
    commit(tx, idem.as_ref(), movement).await
}

/// The return of (part of) a coalition purchase.
#[derive(Debug, Clone, Serialize)]
pub struct Return {
    pub coalition_id: Uuid,
    pub purchase_id: Uuid,
    pub amount_minor: i64,
    pub reference: Option<String>,
    pub occurred_at: Option<DateTime<Utc>>,
}

/// Reverses, at the brand where the purchase happened, the points the returned part earned:
/// cumulative floors, so partial returns add up to the whole and never more. Points already
/// spent become a debt repaid from the next earning. Another brand's purchase is NOT_FOUND.
pub async fn reverse(
    state: &Deps,
    scope: &TenantScope,
    input: Return,
    key: Option<&str>,
) -> Result<Movement, AppError> {
    let brand = scope.tenant_id();
    let idem = Idempotency::optional(brand.to_string(), "recordCoalitionReturn", key, &input)?;
    if !(1..=1_000_000_000_000).contains(&input.amount_minor) {
        return Err(AppError::validation(
            "input.amountMinor",
            "must be at least 1",
        ));
    }
    let now = scope.now();
    let occurred_at = check_occurred(input.occurred_at, now)?;
    let reference = reference(input.reference.as_deref())?;
    let (tx, coalition) = match open(state, idem.as_ref(), input.coalition_id).await? {
        Opened::Replayed(movement) => return Ok(movement),
        Opened::Fresh(tx, coalition) => (tx, coalition),
    };
    let earn = db::txn(&tx, coalition.id, input.purchase_id)
        .await?
        .filter(|t| t.kind == CoalitionTxnKind::Earn && t.brand_id == Some(brand))
        .ok_or(AppError::NotFound)?;
    let card = db::member_by_id(&tx, earn.coalition_member_id.ok_or(AppError::NotFound)?)
        .await?
        .ok_or(AppError::NotFound)?;
    let amount = earn.amount_minor.unwrap_or(0);
    if !db::add_returned(&tx, earn.id, input.amount_minor).await? {
        return Err(AppError::validation(
            "input.amountMinor",
            format!(
                "is more than is left to return of this purchase ({})",
                amount - earn.returned_minor
            ),
        ));
    }
    // What was returned before this one, read after our conditional update (which holds the
    // purchase's row on PostgreSQL): racing returns of one purchase each see the others'
    // units, so the cumulative shares add up to what the purchase earned.
    let before = db::txn(&tx, coalition.id, earn.id)
        .await?
        .map_or(0, |t| t.returned_minor)
        - input.amount_minor;
    let (source, earned) = db::source_of_earn(&tx, earn.id).await?;
    let share = |returned: i64| {
        i64::try_from(i128::from(earned) * i128::from(returned) / i128::from(amount.max(1)))
            .unwrap_or(earned)
    };
    let points = share(before + input.amount_minor) - share(before);
    let member_account = db::account(
        &tx,
        coalition.id,
        K::MemberPoints,
        None,
        Some(card.id),
        POINTS,
    )
    .await?;
    let mut txn = None;
    if points > 0 {
        db::lock_account(&tx, member_account.id).await?;
        let balance = db::account_by_id(&tx, member_account.id)
            .await?
            .map_or(0, |a| a.balance);
        let from_balance = Ord::min(balance, points).max(0);
        let mut legs = vec![Leg::new(&source, points)];
        if from_balance > 0 {
            legs.push(Leg::new(&member_account, -from_balance).floor(0));
        }
        if points - from_balance > 0 {
            let debt = db::account(
                &tx,
                coalition.id,
                K::MemberDebt,
                None,
                Some(card.id),
                POINTS,
            )
            .await?;
            legs.push(Leg::new(&debt, -(points - from_balance)));
        }
        let (period_start, late) = settle_in(&tx, &coalition, occurred_at).await?;
        txn = Some(
            db::post(
                &tx,
                coalition.id,
                Header {
                    kind: CoalitionTxnKind::Reversal,
                    brand_id: Some(brand),
                    member_id: Some(card.id),
                    reference,
                    amount_minor: Some(input.amount_minor),
                    cause_id: Some(earn.id),
                    occurred_at,
                    period_start,
                    late,
                },
                legs,
                AppError::conflict("the balance moved meanwhile; retry"),
            )
            .await?,
        );
    }
    let movement = finish(&tx, coalition, card, txn, -points).await?;
    commit(tx, idem.as_ref(), movement).await
}

/// A movement's write transaction with the coalition row held shared (see `settle_in`), or
/// the first answer when the idempotency key was used before.
enum Opened {
    Replayed(Movement),
    Fresh(DatabaseTransaction, coalition::Model),
}

async fn open(
    state: &Deps,
    idem: Option<&Idempotency>,
    coalition: Uuid,
) -> Result<Opened, AppError> {
    let tx = crate::core::db::begin_write(&state.db).await?;
    if let Some(idem) = idem
        && let Some(previous) = idem.claim(&tx).await?
    {
        drop(tx);
        return Ok(Opened::Replayed(replayed(state, &previous).await?));
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

async fn replayed(state: &Deps, previous: &serde_json::Value) -> Result<Movement, AppError> {
    let coalition_id = recorded_id(previous, "coalition")?;
    let coalition = places::coalition(&state.db, coalition_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let card = db::member_by_card(
        &state.db,
        coalition.id,
        previous["card"].as_str().unwrap_or(""),
    )
    .await?
    .ok_or(AppError::NotFound)?;
    let txn = match previous["txn"]
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
    {
        Some(id) => db::txn(&state.db, coalition.id, id).await?,
        None => None,
    };
    let points = previous["points"].as_i64().unwrap_or(0);
    finish(&state.db, coalition, card, txn, points).await
}

/// The operator records a prepaid block bought by a PREPAID brand.
#[derive(Debug, Clone, Serialize)]
pub struct Block {
    pub coalition_id: Uuid,
    pub brand_id: Uuid,
    pub points: i64,
    pub reference: Option<String>,
    /// When the block was bought (late paperwork): billed in that month if it is still open,
    /// else in the next open month (flagged late). Default: now.
    pub occurred_at: Option<DateTime<Utc>>,
}

/// Adds a block of points a prepaid brand bought; it is billed at the issue price in the month
/// it was bought (`occurred_at`, default now) while that month is open, else late in the next
/// open month. Returns the brand's block balance after it.
pub async fn add_block(
    state: &Deps,
    operator: Uuid,
    input: Block,
    key: Option<&str>,
) -> Result<i64, AppError> {
    let idem = Idempotency::optional(
        // "c:" + the coalition id: idempotency scopes are at most 40 characters.
        format!("c:{}", input.coalition_id),
        "addCoalitionPrepaidBlock",
        key,
        &input,
    )?;
    if !(1..=1_000_000_000).contains(&input.points) {
        return Err(AppError::validation(
            "input.points",
            "must be between 1 and 1000000000",
        ));
    }
    let reference = reference(input.reference.as_deref())?;
    let tx = crate::core::db::begin_write(&state.db).await?;
    let coalition = db::lock_coalition(&tx, input.coalition_id, false).await?;
    if !places::is_operator(&tx, coalition.id, operator).await? {
        return Err(AppError::NotFound);
    }
    if let Some(idem) = &idem
        && idem.claim(&tx).await?.is_some()
    {
        return block_balance(&tx, coalition.id, input.brand_id).await;
    }
    let place = places::place(&tx, coalition.id, input.brand_id)
        .await?
        .ok_or_else(|| AppError::validation("input.brandId", "is not a brand of this coalition"))?;
    if place.billing != Billing::Prepaid {
        return Err(AppError::validation(
            "input.brandId",
            "this brand is billed after each period (postpaid), not by prepaid blocks",
        ));
    }
    let block = db::account(
        &tx,
        coalition.id,
        K::BrandBlock,
        Some(place.brand_id),
        None,
        POINTS,
    )
    .await?;
    let issuance = db::account(&tx, coalition.id, K::OperatorIssuance, None, None, POINTS).await?;
    let occurred_at = check_occurred(input.occurred_at, state.clock.now())?;
    let (period_start, late) = settle_in(&tx, &coalition, occurred_at).await?;
    db::post(
        &tx,
        coalition.id,
        Header {
            kind: CoalitionTxnKind::PrepaidBlock,
            brand_id: Some(place.brand_id),
            member_id: None,
            reference,
            amount_minor: None,
            cause_id: None,
            occurred_at,
            period_start,
            late,
        },
        vec![
            Leg::new(&issuance, -input.points),
            Leg::new(&block, input.points),
        ],
        AppError::conflict("the coalition ledger refused this movement; retry"),
    )
    .await?;
    if let Some(idem) = &idem {
        idem.record(&tx, serde_json::json!({ "brand": place.brand_id }))
            .await?;
    }
    let balance = block_balance(&tx, coalition.id, place.brand_id).await?;
    tx.commit().await?;
    Ok(balance)
}

async fn block_balance<C: ConnectionTrait>(
    conn: &C,
    coalition: Uuid,
    brand: Uuid,
) -> Result<i64, AppError> {
    Ok(
        db::existing_account(conn, coalition, K::BrandBlock, Some(brand), None)
            .await?
            .map_or(0, |a| a.balance),
    )
}

/// What the expiry job did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpiryReport {
    pub accounts: u64,
    pub points: i64,
}

/// Expires the points of coalition accounts without earning or spending for the coalition's
/// validity: the balance goes to the operator's breakage, dated when it expired (so it counts
/// in that month, or late in the next open one). Each account is booked once, even by two
/// workers at once.
pub async fn expire_due(
    conn: &sea_orm::DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<ExpiryReport, AppError> {
    let mut report = ExpiryReport::default();
    for coalition in db::all_coalitions(conn).await? {
        let months = Months::new(u32::try_from(coalition.points_validity_months).unwrap_or(24));
        let Some(cutoff) = now.checked_sub_months(months) else {
            continue;
        };
        for (member, account) in db::dormant_members(conn, coalition.id, cutoff, 1000).await? {
            let tx = crate::core::db::begin_write(conn).await?;
            let coalition = db::lock_coalition(&tx, coalition.id, false).await?;
            db::lock_account(&tx, account.id).await?;
            let Some(member) = db::member_by_id(&tx, member.id).await? else {
                continue;
            };
            let balance = db::account_by_id(&tx, account.id)
                .await?
                .map_or(0, |a| a.balance);
            let Some(at) = member.last_activity_at.checked_add_months(months) else {
                continue;
            };
            if balance <= 0 || at > now {
                continue;
            }
            let breakage =
                db::account(&tx, coalition.id, K::OperatorBreakage, None, None, POINTS).await?;
            let (period_start, late) = settle_in(&tx, &coalition, at).await?;
            db::post(
                &tx,
                coalition.id,
                Header {
                    kind: CoalitionTxnKind::Expiry,
                    brand_id: None,
                    member_id: Some(member.id),
                    reference: None,
                    amount_minor: None,
                    cause_id: None,
                    occurred_at: at,
                    period_start,
                    late,
                },
                vec![
                    Leg::new(&account, -balance).floor(0),
                    Leg::new(&breakage, balance),
                ],
                AppError::conflict("expired meanwhile"),
            )
            .await?;
            tx.commit().await?;
            report.accounts += 1;
            report.points += balance;
        }
    }
    Ok(report)
}

/// A coalition card as one caller may see it.
#[derive(Debug, Clone)]
pub struct CardView {
    pub coalition: coalition::Model,
    pub card: coalition_member::Model,
    pub balance: i64,
    pub debt: i64,
    /// The person, when the caller may see it (home brand, or a brand the consumer consented to).
    pub profile: Option<member::Model>,
    /// Movements the caller may see: the operator all, a brand those at itself.
    pub movements: Vec<(coalition_txn::Model, db::CardChange)>,
}

/// Who looks at a card.
#[derive(Debug, Clone, Copy)]
pub enum Viewer {
    Operator(Uuid),
    Brand(Uuid),
    /// The consumer: their own cards, every movement, their own profile.
    Member {
        brand: Uuid,
        member: Uuid,
    },
}

/// The member's own coalition cards.
pub async fn my_cards(state: &Deps, brand: Uuid, member: Uuid) -> Result<Vec<CardView>, AppError> {
    let mut out = Vec::new();
    for card in db::cards_of_member(&state.db, member).await? {
        if card.home_brand_id != brand {
            continue;
        }
        out.push(
            card_view(
                state,
                Viewer::Member { brand, member },
                card.coalition_id,
                &card.card_number,
            )
            .await?,
        );
    }
    Ok(out)
}

pub async fn card_view(
    state: &Deps,
    viewer: Viewer,
    coalition_id: Uuid,
    number: &str,
) -> Result<CardView, AppError> {
    let conn = &state.db;
    let coalition = places::coalition(conn, coalition_id)
        .await?
        .ok_or(AppError::NotFound)?;
    match viewer {
        Viewer::Operator(user) => {
            if !places::is_operator(conn, coalition.id, user).await? {
                return Err(AppError::NotFound);
            }
        }
        Viewer::Member { .. } => {}
        Viewer::Brand(brand) => {
            let place = places::place(conn, coalition.id, brand)
                .await?
                .ok_or(AppError::NotFound)?;
            if matches!(
                place.status,
                CoalitionBrandStatus::Invited | CoalitionBrandStatus::Declined
            ) {
                return Err(AppError::NotFound);
            }
        }
    }
    let card = db::member_by_card(
        conn,
        coalition.id,
        &crate::loyalty::members::normalise_card_number(number),
    )
    .await?
    .ok_or(AppError::NotFound)?;
    let balance = |kind| async move {
        Ok::<_, AppError>(
            db::existing_account(conn, coalition_id, kind, None, Some(card.id))
                .await?
                .map_or(0, |a| a.balance),
        )
    };
    let (points, debt) = (
        balance(K::MemberPoints).await?,
        balance(K::MemberDebt).await?,
    );
    let mut movements = db::movements_of(conn, card.id, 100).await?;
    if let Viewer::Member { brand, member } = viewer
        && (card.home_brand_id != brand || card.member_id != member)
    {
        return Err(AppError::NotFound);
    }
    let profile = match viewer {
        Viewer::Operator(_) => None,
        Viewer::Member { .. } => TenantScope::new(conn.clone(), card.home_brand_id)
            .conn()
            .get::<member::Entity>(card.member_id)
            .await
            .ok(),
        Viewer::Brand(brand) => {
            movements.retain(|(t, _)| t.brand_id == Some(brand));
            let allowed =
                brand == card.home_brand_id || db::consents(conn, card.id).await?.contains(&brand);
            if allowed {
                TenantScope::new(conn.clone(), card.home_brand_id)
                    .conn()
                    .get::<member::Entity>(card.member_id)
                    .await
                    .ok()
            } else {
                None
            }
        }
    };
    Ok(CardView {
        coalition,
        card,
        balance: points,
        debt: -debt,
        profile,
        movements,
    })
}
