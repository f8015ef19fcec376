//! The offers step's database side: the offers running now (those applied by themselves and
//! those whose code the till gave), what is left of their limits, the claims that move their
//! counters (conditional updates: a limit, a budget or a stock is never passed, even by racing
//! checkouts; a claim that loses a race makes the engine run again without that offer), and the
//! booking of what they gave: a redemption row with each line's share, a balanced ledger
//! transaction on the offer's own accounts, the deferred voucher. Returns give back each line's
//! share in proportion to the units returned.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use entity::{
    ledger_account::AccountKind, ledger_transaction::TransactionKind, offer, offer::OfferStatus,
    offer_member_use, offer_progress, offer_redemption, offer_version, purchase, purchase_line,
    voucher,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, ExprTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::Expr,
};
use uuid::Uuid;

use super::{
    engine::{self, Applied, Candidate, Context, Evaluation, Line, Skip},
    rules::OfferRules,
    rules_of,
};
use crate::{
    core::{
        error::AppError,
        ledger::{self, CauseType, Header, Posting},
        money::Money,
        tenancy::Scoped,
    },
    loyalty::vouchers,
};

/// An offer running now, as the engine sees it.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub offer: offer::Model,
    pub candidate: Candidate,
    /// The start of the member's current period for `max_per_member`.
    pub period_start: DateTime<Utc>,
}

fn period_start(offer: &offer::Model, now: DateTime<Utc>) -> DateTime<Utc> {
    match offer.member_period_days {
        Some(days) if days > 0 => {
            let length = Duration::days(i64::from(days));
            let elapsed = Ord::max((now - offer.starts_at).num_seconds(), 0);
            let n = elapsed / Ord::max(length.num_seconds(), 1);
            offer.starts_at + Duration::seconds(n * length.num_seconds())
        }
        _ => offer.starts_at,
    }
}

/// The start of a member's current period of proofs for a premium offer.
pub(crate) fn premium_period_start(
    offer: &offer::Model,
    rules: &OfferRules,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    match rules {
        OfferRules::Premium {
            period_days: Some(days),
            ..
        } if *days > 0 => {
            let length = Ord::max(Duration::days(*days).num_seconds(), 1);
            let elapsed = Ord::max((now - offer.starts_at).num_seconds(), 0);
            offer.starts_at + Duration::seconds(elapsed / length * length)
        }
        _ => offer.starts_at,
    }
}

/// Offers' rules parsed once per version (an offer's `updated_at` moves with every change), not
/// at every checkout. Bounded: cleared when it grows past what any brand runs.
type Parsed = std::collections::HashMap<(Uuid, DateTime<Utc>), OfferRules>;
static PARSED: std::sync::LazyLock<std::sync::Mutex<Parsed>> =
    std::sync::LazyLock::new(Default::default);

fn parsed_rules(offer: &offer::Model) -> Result<OfferRules, AppError> {
    let key = (offer.id, offer.updated_at);
    if let Ok(cache) = PARSED.lock()
        && let Some(rules) = cache.get(&key)
    {
        return Ok(rules.clone());
    }
    let rules = rules_of(offer)?;
    if let Ok(mut cache) = PARSED.lock() {
        if cache.len() > 100_000 {
            cache.clear();
        }
        cache.insert(key, rules.clone());
    }
    Ok(rules)
}

/// The candidate of an offer row, with what is left of its limits.
fn candidate(
    offer: &offer::Model,
    member: Option<Uuid>,
    member_uses: i32,
) -> Result<Candidate, AppError> {
    let rules = parsed_rules(offer)?;
    // A limit per member needs to know the member: without one it would not hold.
    let needs_member = offer.card_holders_only
        || offer.tier_names.is_some()
        || offer.segment_id.is_some()
        || offer.club_id.is_some()
        || offer.max_per_member.is_some()
        || matches!(
            rules,
            OfferRules::Deferred { .. } | OfferRules::Premium { .. }
        );
    let blocked = if member.is_none() && needs_member {
        Some(Skip::NoMember)
    } else if offer
        .max_redemptions
        .is_some_and(|max| offer.redemptions >= max)
    {
        Some(Skip::RedemptionsExhausted)
    } else if offer.max_per_member.is_some_and(|max| member_uses >= max) {
        Some(Skip::MemberLimitReached)
    } else {
        None
    };
    Ok(Candidate {
        id: offer.id,
        name: offer.name.clone(),
        priority: offer.priority,
        exclusive: offer.exclusive,
        budget_left: offer
            .budget_minor
            .map(|b| b - offer.discount_given_minor - offer.value_given_minor),
        stock_left: offer.stock.map(i64::from),
        rules,
        blocked,
        progress: 0,
        requested: offer.code.is_some(),
    })
}

/// The offers running at `now` for this checkout: those applied by themselves, and those whose
/// code the till gave (an unknown or expired code is refused: the till must not believe it
/// applied). Read before the purchase's transaction begins (outside SQLite's write lock): the
/// counters read here only inform the engine, the claims check them again.
pub async fn running<C: ConnectionTrait>(
    conn: &Scoped<C>,
    codes: &[String],
    lines: &[(&str, Option<&str>)],
) -> Result<Vec<offer::Model>, AppError> {
    let now = conn.now();
    let codes: Vec<String> = codes.iter().map(|c| super::normalise_code(c)).collect();
    // One key look-up: a brand that never had an offer, or whose offers this instance already
    // holds, reads nothing more.
    let version = conn
        .find::<offer_version::Entity>()
        .one(conn.db())
        .await?
        .map(|v| v.version);
    let all = match version {
        None => Arc::new(Vec::new()),
        Some(version) => match cached(conn.tenant_id(), version) {
            Some(all) => all,
            None => {
                let rows = conn
                    .find::<offer::Entity>()
                    .filter(offer::Column::Status.eq(OfferStatus::Active))
                    .filter(offer::Column::EndsAt.gt(now))
                    .filter(offer::Column::Kind.ne("REFUND"))
                    .order_by_asc(offer::Column::Priority)
                    .order_by_asc(offer::Column::Id)
                    .all(conn.db())
                    .await?;
                let all = Arc::new(
                    rows.into_iter()
                        .map(|o| Ok((parsed_rules(&o)?, o)))
                        .collect::<Result<Vec<_>, AppError>>()?,
                );
                keep(conn.tenant_id(), version, all.clone());
                all
            }
        },
    };
    // The offers running now that the basket could get anything from, and those the till
    // asked for by their code.
    let mut offers: Vec<offer::Model> = all
        .iter()
        .filter(|(_, o)| o.starts_at <= now && o.ends_at > now)
        .filter(|(_, o)| o.code.as_ref().is_none_or(|c| codes.contains(c)))
        .filter(|(rules, o)| o.code.is_some() || rules.touches(lines.iter().copied()))
        .map(|(_, o)| o.clone())
        .collect();
    for code in &codes {
        if !offers.iter().any(|o| o.code.as_ref() == Some(code)) {
            return Err(AppError::validation(
                "input.offerCodes",
                format!("offer code {code} is not known or not running now"),
            ));
        }
    }
    // The counters of offers with limits are read now (the engine is told what is left; the
    // claims check again).
    let limited: Vec<Uuid> = offers
        .iter()
        .filter(|o| o.max_redemptions.is_some() || o.budget_minor.is_some() || o.stock.is_some())
        .map(|o| o.id)
        .collect();
    if !limited.is_empty() {
        let fresh = conn
            .find::<offer::Entity>()
            .filter(offer::Column::Id.is_in(limited))
            .all(conn.db())
            .await?;
        for o in &mut offers {
            if let Some(f) = fresh.iter().find(|f| f.id == o.id) {
                o.redemptions = f.redemptions;
                o.discount_given_minor = f.discount_given_minor;
                o.value_given_minor = f.value_given_minor;
                o.stock = f.stock;
            }
        }
    }
    Ok(offers)
}

/// Each brand's active offers as last read, with the version they were read at.
type Offers = Arc<Vec<(OfferRules, offer::Model)>>;
type Held = std::collections::HashMap<Uuid, (i64, Offers)>;
static HELD: std::sync::LazyLock<std::sync::Mutex<Held>> =
    std::sync::LazyLock::new(Default::default);

fn cached(tenant: Uuid, version: i64) -> Option<Offers> {
    let held = HELD.lock().ok()?;
    held.get(&tenant)
        .filter(|(v, _)| *v == version)
        .map(|(_, all)| all.clone())
}

fn keep(tenant: Uuid, version: i64, all: Offers) {
    if let Ok(mut held) = HELD.lock() {
        if held.len() > 10_000 {
            held.clear();
        }
        held.insert(tenant, (version, all));
    }
}

/// The running offers as the engine sees them for this buyer, in the purchase's transaction:
/// the member's uses of limited offers, tiers, recent purchases and proofs, read only when an
/// offer needs them.
pub async fn for_buyer<C: ConnectionTrait>(
    tx: &Scoped<C>,
    offers: Vec<offer::Model>,
    member: Option<Uuid>,
) -> Result<Vec<Loaded>, AppError> {
    let now = tx.now();
    // Each member's uses of the limited offers, in one query.
    let limited: Vec<Uuid> = offers
        .iter()
        .filter(|o| o.max_per_member.is_some())
        .map(|o| o.id)
        .collect();
    let uses = match member {
        Some(m) if !limited.is_empty() => {
            tx.find::<offer_member_use::Entity>()
                .filter(offer_member_use::Column::MemberId.eq(m))
                .filter(offer_member_use::Column::OfferId.is_in(limited))
                .all(tx.db())
                .await?
        }
        _ => Vec::new(),
    };
    let mut loaded = offers
        .into_iter()
        .map(|offer| {
            let start = period_start(&offer, now);
            let used = uses
                .iter()
                .find(|u| u.offer_id == offer.id && u.period_start == start)
                .map_or(0, |u| u.uses);
            Ok(Loaded {
                candidate: candidate(&offer, member, used)?,
                period_start: start,
                offer,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    if let Some(member) = member {
        target(tx, member, &mut loaded, now).await?;
    }
    Ok(loaded)
}

/// What only a known member's offers need: their tiers (offers for some tiers), what they
/// bought lately ("just bought" suppression), their proofs so far (premium offers). One query
/// each, and only when an offer needs it.
async fn target<C: ConnectionTrait>(
    tx: &Scoped<C>,
    member: Uuid,
    loaded: &mut [Loaded],
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if loaded.iter().any(|l| l.offer.tier_names.is_some()) {
        // The latest assignment of each program is the member's tier there.
        let names = crate::loyalty::tiers::names_held(tx, member).await?;
        for l in loaded.iter_mut().filter(|l| l.candidate.blocked.is_none()) {
            let Some(wanted) = &l.offer.tier_names else {
                continue;
            };
            let wanted: Vec<String> = serde_json::from_str(wanted).unwrap_or_default();
            if !wanted.iter().any(|w| names.contains(&w.to_lowercase())) {
                l.candidate.blocked = Some(Skip::NotForTier);
            }
        }
    }
    // Offers for a saved segment: the member's facts now, one check per segment.
    let mut checked: Vec<(Uuid, bool)> = Vec::new();
    for l in loaded.iter_mut().filter(|l| l.candidate.blocked.is_none()) {
        let Some(segment) = l.offer.segment_id else {
            continue;
        };
        let inside = match checked.iter().find(|(s, _)| *s == segment) {
            Some((_, inside)) => *inside,
            None => {
                // A segment deleted since reads as nobody's.
                let inside = crate::engagement::audiences::segment_contains(tx, segment, member)
                    .await
                    .or_else(|e| match e {
                        AppError::NotFound => Ok(false),
                        e => Err(e),
                    })?;
                checked.push((segment, inside));
                inside
            }
        };
        if !inside {
            l.candidate.blocked = Some(Skip::NotInSegment);
        }
    }
    // Club-only offers: the member's active clubs, one read (club members are rows of the
    // community's `club_member` table; being ACTIVE is the one fact club perks read).
    if loaded
        .iter()
        .any(|l| l.candidate.blocked.is_none() && l.offer.club_id.is_some())
    {
        let clubs: Vec<Uuid> = tx
            .find::<entity::club_member::Entity>()
            .filter(entity::club_member::Column::MemberId.eq(member))
            .filter(
                entity::club_member::Column::Status
                    .eq(entity::club_member::ClubMemberStatus::Active),
            )
            .all(tx.db())
            .await?
            .into_iter()
            .map(|c| c.club_id)
            .collect();
        for l in loaded.iter_mut().filter(|l| l.candidate.blocked.is_none()) {
            if l.offer.club_id.is_some_and(|c| !clubs.contains(&c)) {
                l.candidate.blocked = Some(Skip::NotInClub);
            }
        }
    }
    let longest = loaded
        .iter()
        .filter(|l| l.candidate.blocked.is_none())
        .filter_map(|l| l.offer.exclude_recent_buyers_days)
        .max();
    if let Some(days) = longest {
        let since = now - Duration::days(i64::from(days));
        let recent = tx
            .find::<purchase::Entity>()
            .filter(purchase::Column::MemberId.eq(member))
            .filter(purchase::Column::OccurredAt.gte(since))
            .order_by_desc(purchase::Column::OccurredAt)
            .limit(200)
            .all(tx.db())
            .await?;
        let ids: Vec<Uuid> = recent.iter().map(|p| p.id).collect();
        let bought = if ids.is_empty() {
            Vec::new()
        } else {
            tx.find::<purchase_line::Entity>()
                .filter(purchase_line::Column::PurchaseId.is_in(ids))
                .filter(purchase_line::Column::OfferId.is_null())
                .all(tx.db())
                .await?
        };
        for l in loaded.iter_mut().filter(|l| l.candidate.blocked.is_none()) {
            let Some(days) = l.offer.exclude_recent_buyers_days else {
                continue;
            };
            let since = now - Duration::days(i64::from(days));
            let products = l.candidate.rules.products();
            let hit = bought.iter().any(|line| {
                line.quantity > line.returned_quantity
                    && products.matches(&line.sku, line.category.as_deref())
                    && recent
                        .iter()
                        .any(|p| p.id == line.purchase_id && p.occurred_at >= since)
            });
            if hit {
                l.candidate.blocked = Some(Skip::RecentlyBought);
            }
        }
    }
    let premiums: Vec<Uuid> = loaded
        .iter()
        .filter(|l| matches!(l.candidate.rules, OfferRules::Premium { .. }))
        .map(|l| l.offer.id)
        .collect();
    if !premiums.is_empty() {
        let progress = tx
            .find::<offer_progress::Entity>()
            .filter(offer_progress::Column::MemberId.eq(member))
            .filter(offer_progress::Column::OfferId.is_in(premiums))
            .all(tx.db())
            .await?;
        for l in loaded.iter_mut() {
            let start = premium_period_start(&l.offer, &l.candidate.rules, now);
            if let Some(p) = progress
                .iter()
                .find(|p| p.offer_id == l.offer.id && p.period_start == start)
            {
                l.candidate.progress = i64::from(p.proofs);
            }
        }
    }
    Ok(())
}

/// One claim made in the current round, to undo if a later one fails.
struct Claim {
    offer: Uuid,
    member_use: Option<(Uuid, DateTime<Utc>)>,
    discount: i64,
    value: i64,
    revenue: i64,
    gift: bool,
}

/// Evaluates the offers and claims what the chosen ones use of their limits. A claim that
/// loses a race (a limit, budget or stock taken meanwhile) undoes this round's claims and runs
/// the engine again on the offers as they are now.
pub async fn evaluate_and_claim<C: ConnectionTrait>(
    tx: &Scoped<C>,
    lines: &[Line],
    loaded: &mut [Loaded],
    member: Option<Uuid>,
    ctx: &Context,
    claim_limits: bool,
) -> Result<Evaluation, AppError> {
    if !claim_limits {
        // A preview: the offers as they stand, no row locked.
        let candidates: Vec<Candidate> = loaded.iter().map(|l| l.candidate.clone()).collect();
        return Ok(engine::evaluate(lines, &candidates, ctx));
    }
    let candidates = |loaded: &[Loaded]| -> Vec<Candidate> {
        loaded.iter().map(|l| l.candidate.clone()).collect()
    };
    let whole: i64 = lines.iter().map(|l| l.value_minor).sum();
    for _round in 0..(2 * loaded.len() + 2) {
        let evaluation = engine::evaluate(lines, &candidates(loaded), ctx);
        let revenue = whole - evaluation.discount();
        let mut claims: Vec<Claim> = Vec::new();
        let mut lost: Option<(usize, Option<Skip>)> = None;
        // In offer order (returns take them in the same order: no deadlock between the two).
        let mut applied: Vec<_> = evaluation.applied().collect();
        applied.sort_by_key(|(o, _)| o.offer);
        for (outcome, applied) in applied {
            let Some(index) = loaded.iter().position(|l| l.offer.id == outcome.offer) else {
                continue;
            };
            match claim(tx, &loaded[index], applied, member, revenue).await? {
                Ok(c) => claims.push(c),
                Err(member_limit) => {
                    lost = Some((index, member_limit.then_some(Skip::MemberLimitReached)));
                    break;
                }
            }
        }
        let Some((index, reason)) = lost else {
            return Ok(evaluation);
        };
        for c in claims.into_iter().rev() {
            undo(tx, &c).await?;
        }
        // The offer as it is now (another checkout moved it), or blocked for this member.
        let fresh = tx.get::<offer::Entity>(loaded[index].offer.id).await?;
        let mut candidate = candidate(&fresh, member, 0)?;
        if reason.is_some() {
            candidate.blocked = reason;
        } else if candidate.blocked.is_none() {
            // Nothing visible changed but the claim failed: its budget or stock ran out.
            candidate.blocked = Some(match &candidate.rules {
                OfferRules::Gift { .. } if candidate.stock_left.is_some_and(|s| s < 1) => {
                    Skip::OutOfStock
                }
                _ if candidate.budget_left.is_some() => {
                    // Run again with the budget as it is now, unless none is left.
                    if candidate.budget_left.is_some_and(|b| b > 0) {
                        loaded[index].candidate = candidate;
                        loaded[index].offer = fresh;
                        continue;
                    }
                    Skip::BudgetExhausted
                }
                _ => Skip::RedemptionsExhausted,
            });
        }
        loaded[index].candidate = candidate;
        loaded[index].offer = fresh;
    }
    Err(AppError::conflict(
        "the offers changed too often during this checkout: try again",
    ))
}

/// Claims one offer's use: the member's use in the period (if limited), then the offer's
/// counters. `Ok(Err(true))`: the member's limit was reached; `Ok(Err(false))`: the offer's.
async fn claim<C: ConnectionTrait>(
    tx: &Scoped<C>,
    loaded: &Loaded,
    applied: &Applied,
    member: Option<Uuid>,
    revenue: i64,
) -> Result<Result<Claim, bool>, AppError> {
    let offer = &loaded.offer;
    let mut member_use = None;
    if let (Some(max), Some(member)) = (offer.max_per_member, member) {
        if !take_member_use(tx, offer.id, member, loaded.period_start, max).await? {
            return Ok(Err(true));
        }
        member_use = Some((member, loaded.period_start));
    }
    let gift = matches!(loaded.candidate.rules, OfferRules::Gift { .. }) && offer.stock.is_some();
    let (discount, value) = (applied.discount(), applied.value());
    let given = Given {
        discount,
        value,
        revenue,
        gift,
    };
    if !take_offer_counters(tx, offer.id, &given).await? {
        if let Some((member, start)) = member_use {
            give_back_member_use(tx, offer.id, member, start).await?;
        }
        return Ok(Err(false));
    }
    Ok(Ok(Claim {
        offer: offer.id,
        member_use,
        discount,
        value,
        revenue,
        gift,
    }))
}

/// Takes one of a member's uses of an offer in the period starting at `start`, if fewer than
/// `max` are taken (a conditional update: racing takers never pass `max`). Shared by the
/// checkout's claims and the refund claims.
pub(crate) async fn take_member_use<C: ConnectionTrait>(
    tx: &Scoped<C>,
    offer: Uuid,
    member: Uuid,
    start: DateTime<Utc>,
    max: i32,
) -> Result<bool, AppError> {
    tx.insert_if_absent(
        offer_member_use::ActiveModel {
            tenant_id: Set(tx.tenant_id()),
            offer_id: Set(offer),
            member_id: Set(member),
            period_start: Set(start),
            uses: Set(0),
        },
        vec![
            offer_member_use::Column::OfferId,
            offer_member_use::Column::MemberId,
            offer_member_use::Column::PeriodStart,
        ],
    )
    .await?;
    let moved = tx
        .update_many::<offer_member_use::Entity>()
        .col_expr(
            offer_member_use::Column::Uses,
            Expr::col(offer_member_use::Column::Uses).add(1),
        )
        .filter(offer_member_use::Column::OfferId.eq(offer))
        .filter(offer_member_use::Column::MemberId.eq(member))
        .filter(offer_member_use::Column::PeriodStart.eq(start))
        .filter(offer_member_use::Column::Uses.lt(max))
        .exec(tx.db())
        .await?;
    Ok(moved.rows_affected == 1)
}

/// Gives back a use [`take_member_use`] took (never below zero).
pub(crate) async fn give_back_member_use<C: ConnectionTrait>(
    tx: &Scoped<C>,
    offer: Uuid,
    member: Uuid,
    start: DateTime<Utc>,
) -> Result<(), AppError> {
    tx.update_many::<offer_member_use::Entity>()
        .col_expr(
            offer_member_use::Column::Uses,
            Expr::col(offer_member_use::Column::Uses).sub(1),
        )
        .filter(offer_member_use::Column::OfferId.eq(offer))
        .filter(offer_member_use::Column::MemberId.eq(member))
        .filter(offer_member_use::Column::PeriodStart.eq(start))
        .filter(offer_member_use::Column::Uses.gt(0))
        .exec(tx.db())
        .await?;
    Ok(())
}

/// What one redemption adds to an offer's counters.
pub(crate) struct Given {
    pub discount: i64,
    pub value: i64,
    pub revenue: i64,
    /// Takes one gift from the stock.
    pub gift: bool,
}

/// Moves an offer's counters by one redemption if its redemptions, budget and stock allow it
/// (a conditional update: racing redemptions never pass a limit). Shared by the checkout's
/// claims and the refund claims' approval.
pub(crate) async fn take_offer_counters<C: ConnectionTrait>(
    tx: &Scoped<C>,
    offer: Uuid,
    given: &Given,
) -> Result<bool, AppError> {
    let mut update = tx
        .update_many::<offer::Entity>()
        .col_expr(
            offer::Column::Redemptions,
            Expr::col(offer::Column::Redemptions).add(1),
        )
        .col_expr(
            offer::Column::DiscountGivenMinor,
            Expr::col(offer::Column::DiscountGivenMinor).add(given.discount),
        )
        .col_expr(
            offer::Column::ValueGivenMinor,
            Expr::col(offer::Column::ValueGivenMinor).add(given.value),
        )
        .col_expr(
            offer::Column::RevenueMinor,
            Expr::col(offer::Column::RevenueMinor).add(given.revenue),
        )
        .filter(offer::Column::Id.eq(offer))
        .filter(
            Condition::any()
                .add(offer::Column::MaxRedemptions.is_null())
                .add(
                    Expr::col(offer::Column::Redemptions)
                        .lt(Expr::col(offer::Column::MaxRedemptions)),
                ),
        )
        .filter(
            Condition::any()
                .add(offer::Column::BudgetMinor.is_null())
                .add(
                    Expr::col(offer::Column::DiscountGivenMinor)
                        .add(Expr::col(offer::Column::ValueGivenMinor))
                        .add(given.discount + given.value)
                        .lte(Expr::col(offer::Column::BudgetMinor)),
                ),
        );
    if given.gift {
        update = update
            .col_expr(offer::Column::Stock, Expr::col(offer::Column::Stock).sub(1))
            .filter(offer::Column::Stock.gte(1));
    }
    Ok(update.exec(tx.db()).await?.rows_affected == 1)
}

async fn undo<C: ConnectionTrait>(tx: &Scoped<C>, c: &Claim) -> Result<(), AppError> {
    if let Some((member, start)) = c.member_use {
        give_back_member_use(tx, c.offer, member, start).await?;
    }
    let mut update = tx
        .update_many::<offer::Entity>()
        .col_expr(
            offer::Column::Redemptions,
            Expr::col(offer::Column::Redemptions).sub(1),
        )
        .col_expr(
            offer::Column::DiscountGivenMinor,
            Expr::col(offer::Column::DiscountGivenMinor).sub(c.discount),
        )
        .col_expr(
            offer::Column::ValueGivenMinor,
            Expr::col(offer::Column::ValueGivenMinor).sub(c.value),
        )
        .col_expr(
            offer::Column::RevenueMinor,
            Expr::col(offer::Column::RevenueMinor).sub(c.revenue),
        )
        .filter(offer::Column::Id.eq(c.offer));
    if c.gift {
        update = update.col_expr(offer::Column::Stock, Expr::col(offer::Column::Stock).add(1));
    }
    update.exec(tx.db()).await?;
    Ok(())
}

/// What a premium would give with a purchase bringing `proofs`, as the member's progress was
/// read for the engine (a preview claims nothing): its points and its gift (none while its
/// stock is out: the premium would wait).
pub fn premium_preview(loaded: &[Loaded], offer: Uuid, proofs: i64) -> (i64, Option<String>) {
    let Some(l) = loaded.iter().find(|l| l.offer.id == offer) else {
        return (0, None);
    };
    let OfferRules::Premium {
        proofs: needed,
        premium_points,
        premium_program_id,
        gift_sku,
        ..
    } = &l.candidate.rules
    else {
        return (0, None);
    };
    if proofs <= 0 || l.candidate.progress + proofs < Ord::max(*needed, 1) {
        return (0, None);
    }
    if gift_sku.is_some() && l.offer.stock.is_some_and(|s| s < 1) {
        return (0, None);
    }
    let points = if premium_program_id.is_some() {
        *premium_points
    } else {
        0
    };
    (points, gift_sku.clone())
}

/// What an offer gave a booked purchase.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Booked {
    pub offer_id: Uuid,
    pub discount_minor: i64,
    pub value_minor: i64,
    /// The deferred voucher issued.
    pub voucher_code: Option<String>,
    /// A premium's points credited.
    #[serde(default)]
    pub premium_points: i64,
    /// A premium's gift, for the till to hand over.
    #[serde(default)]
    pub premium_gift_sku: Option<String>,
}

/// Books what the claimed offers gave the purchase: a redemption with each line's share, a
/// balanced ledger transaction (the offer's expense against what its customers received), the
/// deferred voucher for the member.
#[expect(clippy::too_many_arguments, reason = "one booking, all of it needed")]
pub async fn book<C: ConnectionTrait>(
    tx: &Scoped<C>,
    evaluation: &Evaluation,
    purchase_id: Uuid,
    member: Option<Uuid>,
    line_nos: &[i32],
    loaded: &[Loaded],
    currency: crate::core::types::Currency,
    occurred_at: DateTime<Utc>,
) -> Result<Vec<Booked>, AppError> {
    let mut booked = Vec::new();
    let mut applied: Vec<_> = evaluation.applied().collect();
    applied.sort_by_key(|(o, _)| o.offer);
    for (outcome, applied) in applied {
        if applied.proofs > 0
            && let (Some(member), Some(l)) =
                (member, loaded.iter().find(|l| l.offer.id == outcome.offer))
        {
            booked
                .push(book_proofs(tx, l, applied, purchase_id, member, line_nos, currency).await?);
            continue;
        }
        let allocation: Vec<(i32, i64)> = line_nos
            .iter()
            .zip(&applied.lines)
            .filter(|(_, d)| **d > 0)
            .map(|(n, d)| (*n, *d))
            .collect();
        let mut voucher: Option<voucher::Model> = None;
        if let (Some(spec), Some(member)) = (&applied.voucher, member) {
            voucher = Some(
                vouchers::issue_for_offer(tx, member, spec, &outcome.name, currency.code()).await?,
            );
        }
        let (discount, value) = (applied.discount(), applied.value());
        tx.insert(offer_redemption::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tx.tenant_id()),
            offer_id: Set(outcome.offer),
            purchase_id: Set(purchase_id),
            member_id: Set(member),
            discount_minor: Set(discount),
            value_minor: Set(value),
            allocation: Set(
                serde_json::to_string(&allocation).map_err(|e| AppError::Internal(e.into()))?
            ),
            returned_minor: Set(0),
            voucher_id: Set(voucher.as_ref().map(|v| v.id)),
            proofs: Set(0),
            premium_points: Set(0),
            premium_program_id: Set(None),
            premium_lot_id: Set(None),
            premium_gift_sku: Set(None),
            premium_gift_minor: Set(0),
            premium_reclaimed_at: Set(None),
            created_at: Set(tx.now()),
        })
        .await?;
        if discount + value > 0 {
            let given = Money::new(discount + value, currency);
            post(
                tx,
                outcome.offer,
                discount + value,
                format!("{}: {given} given on a purchase", outcome.name),
                purchase_id,
                member,
                occurred_at,
                currency,
            )
            .await?;
        }
        booked.push(Booked {
            offer_id: outcome.offer,
            discount_minor: discount,
            value_minor: value,
            voucher_code: voucher.map(|v| v.code),
            premium_points: 0,
            premium_gift_sku: None,
        });
    }
    Ok(booked)
}

/// A premium offer's proofs brought by the purchase: the member's progress row, locked, moves
/// up; each time it reaches N, N are taken off and the premium voucher is issued. The row, not
/// what the engine read before, decides (two checkouts of one member queue on it).
async fn book_proofs<C: ConnectionTrait>(
    tx: &Scoped<C>,
    loaded: &Loaded,
    applied: &Applied,
    purchase_id: Uuid,
    member: Uuid,
    line_nos: &[i32],
    currency: crate::core::types::Currency,
) -> Result<Booked, AppError> {
    let OfferRules::Premium {
        proofs: needed,
        voucher: spec,
        premium_points,
        premium_program_id,
        gift_sku,
        gift_value_minor,
        ..
    } = &loaded.candidate.rules
    else {
        return Err(AppError::Internal(anyhow::anyhow!("not a premium offer")));
    };
    let start = premium_period_start(&loaded.offer, &loaded.candidate.rules, tx.now());
    let brought = i32::try_from(applied.proofs).unwrap_or(i32::MAX);
    let key = |q: sea_orm::UpdateMany<offer_progress::Entity>| {
        q.filter(offer_progress::Column::OfferId.eq(loaded.offer.id))
            .filter(offer_progress::Column::MemberId.eq(member))
            .filter(offer_progress::Column::PeriodStart.eq(start))
    };
    tx.insert_if_absent(
        offer_progress::ActiveModel {
            tenant_id: Set(tx.tenant_id()),
            offer_id: Set(loaded.offer.id),
            member_id: Set(member),
            period_start: Set(start),
            proofs: Set(0),
            premiums: Set(0),
        },
        vec![
            offer_progress::Column::OfferId,
            offer_progress::Column::MemberId,
            offer_progress::Column::PeriodStart,
        ],
    )
    .await?;
    // The update takes the row's lock; what is read next is this transaction's own value.
    key(tx.update_many::<offer_progress::Entity>().col_expr(
        offer_progress::Column::Proofs,
        Expr::col(offer_progress::Column::Proofs).add(brought),
    ))
    .exec(tx.db())
    .await?;
    let row = tx
        .find::<offer_progress::Entity>()
        .filter(offer_progress::Column::OfferId.eq(loaded.offer.id))
        .filter(offer_progress::Column::MemberId.eq(member))
        .filter(offer_progress::Column::PeriodStart.eq(start))
        .one(tx.db())
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("progress row vanished")))?;
    let needed = Ord::max(i32::try_from(*needed).unwrap_or(i32::MAX), 1);
    // One premium per purchase; proofs beyond carry over to the next one.
    let mut premiums = Ord::min(row.proofs / needed, 1);
    let mut first = None;
    let mut credited = 0;
    let mut premium_lot = None;
    let mut gift = None;
    // A premium with a gift takes one from the stock (a conditional update: never below zero);
    // none left: the premium waits, the proofs stay the member's for the next purchase.
    if premiums > 0
        && let Some(sku) = gift_sku
    {
        let taken = tx
            .update_many::<offer::Entity>()
            .col_expr(offer::Column::Stock, Expr::col(offer::Column::Stock).sub(1))
            .col_expr(
                offer::Column::ValueGivenMinor,
                Expr::col(offer::Column::ValueGivenMinor).add(*gift_value_minor),
            )
            .filter(offer::Column::Id.eq(loaded.offer.id))
            .filter(
                Condition::any()
                    .add(offer::Column::Stock.is_null())
                    .add(offer::Column::Stock.gte(1)),
            )
            .exec(tx.db())
            .await?;
        if taken.rows_affected == 1 {
            gift = Some(sku.clone());
            if *gift_value_minor > 0 {
                post(
                    tx,
                    loaded.offer.id,
                    *gift_value_minor,
                    format!(
                        "{}: premium gift {sku} ({}) handed over",
                        loaded.offer.name,
                        Money::new(*gift_value_minor, currency)
                    ),
                    purchase_id,
                    Some(member),
                    tx.now(),
                    currency,
                )
                .await?;
            }
        } else {
            premiums = 0;
        }
    }
    if premiums > 0 {
        key(tx
            .update_many::<offer_progress::Entity>()
            .col_expr(
                offer_progress::Column::Proofs,
                Expr::col(offer_progress::Column::Proofs).sub(premiums * needed),
            )
            .col_expr(
                offer_progress::Column::Premiums,
                Expr::col(offer_progress::Column::Premiums).add(premiums),
            ))
        .exec(tx.db())
        .await?;
        for _ in 0..premiums {
            if spec.is_set() {
                let v = vouchers::issue_for_offer(
                    tx,
                    member,
                    spec,
                    &loaded.offer.name,
                    currency.code(),
                )
                .await?;
                first.get_or_insert(v);
            }
            if let Some(program) = premium_program_id
                && *premium_points > 0
            {
                premium_lot = Some(
                    crate::loyalty::grants::credit(
                        tx,
                        member,
                        *program,
                        *premium_points,
                        format!("Premium of offer {}", loaded.offer.name),
                        (TransactionKind::Promotion, CauseType::Purchase, purchase_id),
                        AccountKind::BrandPointsIssued,
                    )
                    .await?,
                );
                credited += *premium_points;
            }
        }
    }
    // The qualifying units of each line: what a return takes back.
    let units: Vec<(i32, i64)> = line_nos
        .iter()
        .zip(&applied.proof_units)
        .filter(|(_, u)| **u > 0)
        .map(|(n, u)| (*n, *u))
        .collect();
    tx.insert(offer_redemption::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tx.tenant_id()),
        offer_id: Set(loaded.offer.id),
        purchase_id: Set(purchase_id),
        member_id: Set(Some(member)),
        discount_minor: Set(0),
        value_minor: Set(0),
        allocation: Set(serde_json::to_string(&units).map_err(|e| AppError::Internal(e.into()))?),
        returned_minor: Set(0),
        voucher_id: Set(first.as_ref().map(|v| v.id)),
        proofs: Set(brought),
        premium_points: Set(credited),
        premium_program_id: Set(premium_program_id.filter(|_| credited > 0)),
        premium_lot_id: Set(premium_lot),
        premium_gift_minor: Set(if gift.is_some() { *gift_value_minor } else { 0 }),
        premium_reclaimed_at: Set(None),
        premium_gift_sku: Set(gift.clone()),
        created_at: Set(tx.now()),
    })
    .await?;
    Ok(Booked {
        offer_id: loaded.offer.id,
        discount_minor: 0,
        value_minor: 0,
        voucher_code: first.map(|v| v.code),
        premium_points: credited,
        premium_gift_sku: gift,
    })
}

/// A premium offer's proofs taken back by a return: the qualifying units returned (each unit
/// a proof, or the purchase's one proof once all its qualifying units are back). When the
/// member's progress would go below zero, the premium those proofs paid for is reclaimed: its
/// voucher is cancelled if unused (and N proofs given back); a used one stays.
async fn return_proofs<C: ConnectionTrait>(
    tx: &Scoped<C>,
    redemption: &offer_redemption::Model,
    lines: &[LineReturn],
    currency: crate::core::types::Currency,
) -> Result<(i64, i64, i64), AppError> {
    let Some(member) = redemption.member_id else {
        return Ok((0, 0, 0));
    };
    let offer = tx.get::<offer::Entity>(redemption.offer_id).await?;
    let rules = rules_of(&offer)?;
    let OfferRules::Premium {
        proofs: needed,
        count_units,
        ..
    } = &rules
    else {
        return Ok((0, 0, 0));
    };
    let units: Vec<(i32, i64)> =
        serde_json::from_str(&redemption.allocation).map_err(|e| AppError::Internal(e.into()))?;
    let kept = |after: bool| -> i64 {
        units
            .iter()
            .map(|(n, u)| {
                let returned = lines.iter().find(|l| l.line_no == *n).map_or(0, |l| {
                    if after {
                        l.returned_after
                    } else {
                        l.returned_before
                    }
                });
                Ord::max(u - returned, 0)
            })
            .sum()
    };
    let (before, after) = (kept(false), kept(true));
    let removed = if *count_units {
        before - after
    } else {
        i64::from(before > 0 && after == 0)
    };
    if removed <= 0 {
        return Ok((0, 0, 0));
    }
    let start = premium_period_start(&offer, &rules, redemption.created_at);
    let key = |q: sea_orm::UpdateMany<offer_progress::Entity>| {
        q.filter(offer_progress::Column::OfferId.eq(offer.id))
            .filter(offer_progress::Column::MemberId.eq(member))
            .filter(offer_progress::Column::PeriodStart.eq(start))
    };
    let removed = i32::try_from(removed).unwrap_or(i32::MAX);
    key(tx.update_many::<offer_progress::Entity>().col_expr(
        offer_progress::Column::Proofs,
        Expr::col(offer_progress::Column::Proofs).sub(removed),
    ))
    .exec(tx.db())
    .await?;
    tx.update_many::<offer_redemption::Entity>()
        .col_expr(
            offer_redemption::Column::Proofs,
            Expr::col(offer_redemption::Column::Proofs).sub(removed),
        )
        .filter(offer_redemption::Column::Id.eq(redemption.id))
        .exec(tx.db())
        .await?;
    let Some(row) = tx
        .find::<offer_progress::Entity>()
        .filter(offer_progress::Column::OfferId.eq(offer.id))
        .filter(offer_progress::Column::MemberId.eq(member))
        .filter(offer_progress::Column::PeriodStart.eq(start))
        .one(tx.db())
        .await?
    else {
        return Ok((0, 0, 0));
    };
    if row.proofs >= 0 {
        return Ok((0, 0, 0));
    }
    // The proofs paid for premiums already issued: reclaim the latest ones, if unused, one per
    // N proofs missing.
    let needed = Ord::max(i32::try_from(*needed).unwrap_or(i32::MAX), 1);
    let mut missing = -row.proofs;
    let issued = tx
        .find::<offer_redemption::Entity>()
        .filter(offer_redemption::Column::OfferId.eq(offer.id))
        .filter(offer_redemption::Column::MemberId.eq(member))
        .filter(offer_redemption::Column::PremiumReclaimedAt.is_null())
        .filter(
            sea_orm::Condition::any()
                .add(offer_redemption::Column::VoucherId.is_not_null())
                .add(offer_redemption::Column::PremiumPoints.gt(0))
                .add(offer_redemption::Column::PremiumGiftSku.is_not_null()),
        )
        .order_by_desc(offer_redemption::Column::CreatedAt)
        .all(tx.db())
        .await?;
    let mut reclaimed = 0;
    let mut points_back = (0, 0);
    let mut money_owed = 0;
    // Only the premiums of this period (the proofs were given back to this period's row), the
    // latest first, one per N proofs missing.
    for r in issued
        .into_iter()
        .filter(|r| premium_period_start(&offer, &rules, r.created_at) == start)
    {
        if missing <= 0 {
            break;
        }
        // Once: the premium is marked taken back by a conditional update (two returns never
        // both take it).
        let marked = tx
            .update_many::<offer_redemption::Entity>()
            .col_expr(
                offer_redemption::Column::PremiumReclaimedAt,
                Expr::value(Some(tx.now())),
            )
            .filter(offer_redemption::Column::Id.eq(r.id))
            .filter(offer_redemption::Column::PremiumReclaimedAt.is_null())
            .exec(tx.db())
            .await?;
        if marked.rows_affected != 1 {
            continue;
        }
        // It comes back whole: its voucher is cancelled (if the brand did not already) and
        // what it already took off baskets is owed; a gift handed over is owed at its value;
        // its points are taken back.
        let mut owed_money = 0;
        if let Some(v) = r.voucher_id {
            tx.update_many::<voucher::Entity>()
                .col_expr(voucher::Column::CancelledAt, Expr::value(tx.now()))
                .filter(voucher::Column::Id.eq(v))
                .filter(voucher::Column::CancelledAt.is_null())
                .exec(tx.db())
                .await?;
            owed_money += super::debts::owe_voucher(tx, v).await?;
        }
        if r.premium_gift_sku.is_some() {
            owed_money += r.premium_gift_minor;
        }
        if owed_money > 0 {
            super::debts::record(
                tx,
                member,
                offer.id,
                owed_money,
                format!(
                    "{} owed: premium of offer {} already used, its proofs returned",
                    Money::new(owed_money, currency),
                    offer.name
                ),
                redemption.purchase_id,
                currency,
            )
            .await?;
            money_owed += owed_money;
        }
        // Its points, whatever the member did with them (what was spent since is owed, repaid
        // from later earnings); what of its lot expired is gone already, not taken again.
        if r.premium_points > 0
            && let Some(program) = r.premium_program_id
        {
            let expired = match r.premium_lot_id {
                Some(lot) => {
                    crate::loyalty::grants::expired_of_lots(tx, member, program, &[lot]).await?
                }
                None => 0,
            };
            let due = Ord::max(r.premium_points - expired, 0);
            if due > 0 {
                let (taken, owed) = crate::loyalty::grants::take_back(
                    tx,
                    member,
                    program,
                    due,
                    format!("Premium of offer {} taken back by a return", offer.name),
                    (
                        TransactionKind::Promotion,
                        CauseType::Purchase,
                        r.purchase_id,
                    ),
                    tx.now(),
                )
                .await?;
                points_back = (points_back.0 + taken, points_back.1 + owed);
            }
        }
        reclaimed += 1;
        missing -= needed;
    }
    // Proofs no premium of this period covers are simply gone: the progress starts again from
    // zero.
    let proofs = Ord::max(row.proofs + reclaimed * needed, 0);
    key(tx
        .update_many::<offer_progress::Entity>()
        .col_expr(offer_progress::Column::Proofs, Expr::value(proofs))
        .col_expr(
            offer_progress::Column::Premiums,
            Expr::col(offer_progress::Column::Premiums).sub(reclaimed),
        ))
    .exec(tx.db())
    .await?;
    Ok((points_back.0, points_back.1, money_owed))
}

/// One PROMOTION transaction: `amount` from the offer's expense to what its customers received
/// (negative: given back by a return).
#[expect(clippy::too_many_arguments, reason = "one posting, all of it needed")]
async fn post<C: ConnectionTrait>(
    tx: &Scoped<C>,
    offer: Uuid,
    amount: i64,
    reason: String,
    purchase_id: Uuid,
    member: Option<Uuid>,
    occurred_at: DateTime<Utc>,
    currency: crate::core::types::Currency,
) -> Result<(), AppError> {
    let [expense, given] = ledger::subject_accounts(
        tx,
        [AccountKind::BrandOfferExpense, AccountKind::BrandOfferGiven],
        offer,
        currency.code(),
    )
    .await?;
    ledger::post(
        tx,
        Header {
            kind: TransactionKind::Promotion,
            reason,
            cause_type: CauseType::Purchase,
            cause_id: Some(purchase_id),
            member_id: member,
            occurred_at,
        },
        vec![
            Posting::new(&expense, -amount),
            Posting::new(&given, amount),
        ],
    )
    .await?;
    Ok(())
}

/// A line's units before and after a return.
#[derive(Debug, Clone, Copy)]
pub struct LineReturn {
    pub line_no: i32,
    /// For a free line: the offer that gave it.
    pub given: Option<Uuid>,
    pub quantity: i64,
    pub returned_before: i64,
    pub returned_after: i64,
}

/// What a return gave back to offers: the discount, and the premium points taken back (taken
/// from the member's points, and owed).
#[derive(Debug, Clone, Copy, Default)]
pub struct OffersReturned {
    pub discount_minor: i64,
    pub premium_points_taken: i64,
    pub premium_points_owed: i64,
    /// What the member now owes for offers' advantages already used (vouchers spent, gifts
    /// handed over) that this return took the ground from.
    pub debt_minor: i64,
}

/// Gives back, for a return, each offer's share of the returned units (cumulative floors, so
/// partial returns add up to exactly the whole), booked against the offer; a deferred voucher
/// whose purchase is wholly returned is cancelled if unused; a premium's proofs go, and with
/// them, when the progress falls short, the latest premiums of the period.
pub async fn on_return<C: ConnectionTrait>(
    tx: &Scoped<C>,
    purchase_id: Uuid,
    member: Option<Uuid>,
    lines: &[LineReturn],
    currency: crate::core::types::Currency,
    at: DateTime<Utc>,
) -> Result<OffersReturned, AppError> {
    // In offer order, as checkouts claim them (no two transactions lock two offers in
    // opposite orders).
    let redemptions = tx
        .find::<offer_redemption::Entity>()
        .filter(offer_redemption::Column::PurchaseId.eq(purchase_id))
        .order_by_asc(offer_redemption::Column::OfferId)
        .all(tx.db())
        .await?;
    // Wholly returned: every line bought (the free lines offers gave are not asked back).
    let whole = lines
        .iter()
        .filter(|l| l.given.is_none())
        .all(|l| l.returned_after >= l.quantity);
    let mut total = 0;
    let mut premium = (0, 0);
    let mut debt = 0;
    for r in redemptions {
        if r.proofs > 0 {
            let (taken, owed, money) = return_proofs(tx, &r, lines, currency).await?;
            premium = (premium.0 + taken, premium.1 + owed);
            debt += money;
            continue;
        }
        let allocation: Vec<(i32, i64)> =
            serde_json::from_str(&r.allocation).map_err(|e| AppError::Internal(e.into()))?;
        let share = |done: fn(&LineReturn) -> i64| -> i64 {
            allocation
                .iter()
                .filter_map(|(n, d)| {
                    let l = lines.iter().find(|l| l.line_no == *n)?;
                    Some(Money::share_minor(*d, done(l), Ord::max(l.quantity, 1)))
                })
                .sum()
        };
        let back = share(|l| l.returned_after) - share(|l| l.returned_before);
        if back > 0 {
            tx.update_many::<offer_redemption::Entity>()
                .col_expr(
                    offer_redemption::Column::ReturnedMinor,
                    Expr::col(offer_redemption::Column::ReturnedMinor).add(back),
                )
                .filter(offer_redemption::Column::Id.eq(r.id))
                .exec(tx.db())
                .await?;
            tx.update_many::<offer::Entity>()
                .col_expr(
                    offer::Column::DiscountGivenMinor,
                    Expr::col(offer::Column::DiscountGivenMinor).sub(back),
                )
                .filter(offer::Column::Id.eq(r.offer_id))
                .exec(tx.db())
                .await?;
            post(
                tx,
                r.offer_id,
                -back,
                format!(
                    "{} of offer discount given back by a return",
                    Money::new(back, currency)
                ),
                purchase_id,
                member,
                at,
                currency,
            )
            .await?;
            total += back;
        }
        // Free goods brought back: their value goes back to the offer, a gift to its stock.
        if r.value_minor > 0
            && let Some(free) = lines.iter().find(|l| l.given == Some(r.offer_id))
        {
            let q = Ord::max(free.quantity, 1);
            let value_back = Money::share_minor(r.value_minor, free.returned_after, q)
                - Money::share_minor(r.value_minor, free.returned_before, q);
            let gift_back =
                free.returned_after >= free.quantity && free.returned_before < free.quantity;
            if value_back > 0 || gift_back {
                let mut update = tx
                    .update_many::<offer::Entity>()
                    .col_expr(
                        offer::Column::ValueGivenMinor,
                        Expr::col(offer::Column::ValueGivenMinor).sub(value_back),
                    )
                    .filter(offer::Column::Id.eq(r.offer_id));
                if gift_back {
                    update = update
                        .col_expr(offer::Column::Stock, Expr::col(offer::Column::Stock).add(1));
                }
                update.exec(tx.db()).await?;
            }
            if value_back > 0 {
                post(
                    tx,
                    r.offer_id,
                    -value_back,
                    format!(
                        "{} of free goods brought back by a return",
                        Money::new(value_back, currency)
                    ),
                    purchase_id,
                    member,
                    at,
                    currency,
                )
                .await?;
            }
        }
        // A deferred coupon's voucher, once the purchase that earned it is wholly returned:
        // cancelled (once), and what it already took off a basket is owed.
        if whole && let Some(voucher) = r.voucher_id {
            let cancelled = tx
                .update_many::<voucher::Entity>()
                .col_expr(voucher::Column::CancelledAt, Expr::value(tx.now()))
                .filter(voucher::Column::Id.eq(voucher))
                .filter(voucher::Column::CancelledAt.is_null())
                .exec(tx.db())
                .await?;
            if cancelled.rows_affected == 1
                && let Some(member) = r.member_id
            {
                let used = super::debts::owe_voucher(tx, voucher).await?;
                if used > 0 {
                    let name = tx.get::<offer::Entity>(r.offer_id).await?.name;
                    super::debts::record(
                        tx,
                        member,
                        r.offer_id,
                        used,
                        format!(
                            "{} owed: voucher of offer {name} already used, the purchase that \
                             earned it returned",
                            Money::new(used, currency)
                        ),
                        purchase_id,
                        currency,
                    )
                    .await?;
                    debt += used;
                }
            }
        }
    }
    Ok(OffersReturned {
        discount_minor: total,
        premium_points_taken: premium.0,
        premium_points_owed: premium.1,
        debt_minor: debt,
    })
}
