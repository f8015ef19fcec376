//! The checkout: `recordPurchase` as a pipeline. The input is validated, the buyer found, and a
//! [`Basket`](basket::Basket) passed through small steps — paid membership discount, vouchers,
//! cashback and stored value payments ([`steps`]), then what each program gives
//! ([`earning`]), booked with the tier moves ([`booking`]) — each adding to the explanation the
//! payload returns. A new mechanic is a new step. Invariant: everything is booked in the
//! purchase's transaction, idempotently: a replay returns the first outcome and books nothing.

pub mod basket;
mod booking;
pub mod earning;
pub mod explanation;
pub mod preview;
pub mod returned;
pub mod steps;
mod validate;

use chrono::{DateTime, Utc};
use entity::{card, member, purchase, purchase_line};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use self::{
    basket::Basket,
    explanation::{StepKind, StepLine},
};
use crate::{
    core::{error::AppError, idempotency::Idempotency, tenancy::TenantScope, types::text},
    loyalty::{balances, memberships, offers, programs, programs::Rules, tiers},
};

#[derive(Debug, Clone, Serialize)]
pub struct LineInput {
    pub sku: String,
    pub category: Option<String>,
    pub quantity: i32,
    pub unit_price_minor: i64,
    pub discount_minor: i64,
    pub tax_minor: i64,
}

/// Who bought: a card, a member, or nobody known (anonymous checkouts count for KPIs).
#[derive(Debug, Clone, Serialize)]
pub enum Buyer {
    CardNumber(String),
    Member(Uuid),
    Anonymous,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecordPurchase {
    pub buyer: Buyer,
    pub store: Option<String>,
    pub channel: purchase::Channel,
    pub total_minor: i64,
    pub currency: String,
    pub lines: Vec<LineInput>,
    /// When it happened, for the accounting (earning rules, periods, expiry dates); validity of
    /// vouchers and offers is judged when the purchase is recorded.
    pub occurred_at: Option<DateTime<Utc>>,
    /// How far back `occurred_at` may go for this caller.
    #[serde(skip)]
    pub max_backdate: chrono::Duration,
    /// Vouchers presented at the checkout, each once; minimum baskets are checked on the basket
    /// before any loyalty payment.
    pub voucher_codes: Vec<String>,
    /// Part of the basket paid from the member's stored value (it still earns points: it is the
    /// member's own money, not loyalty value).
    pub stored_value_minor: i64,
    /// Part of the basket paid from the member's cashback (loyalty value: it earns nothing).
    pub cashback_minor: i64,
    /// Tax of the whole purchase, when not given per line (spread over the lines by value).
    pub tax_minor: i64,
    /// Codes of offers applied by code, each once.
    pub offer_codes: Vec<String>,
    /// Old products brought back for a trade-in offer.
    pub trade_ins: Vec<TradeIn>,
}

/// An old product the customer brought back, for a trade-in offer.
#[derive(Debug, Clone, Serialize)]
pub struct TradeIn {
    pub category: String,
    /// A free-text proof or a serial number, kept with the purchase's explanation.
    pub reference: String,
}

/// What one program gave for the purchase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Earning {
    pub program_id: Uuid,
    pub program_name: String,
    pub points: i64,
    pub expires_at: Option<DateTime<Utc>>,
    /// Cashback credited, in minor units of the purchase currency.
    #[serde(default)]
    pub cashback_minor: i64,
    #[serde(default)]
    pub stamps: i64,
    /// Codes of the reward vouchers issued by full stamp cards.
    #[serde(default)]
    pub rewards: Vec<String>,
    /// The tier the member moved up to with this purchase.
    #[serde(default)]
    pub tier: Option<String>,
}

/// The full outcome of a recorded purchase.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub purchase: purchase::Model,
    /// Vouchers used and the discount each gave.
    pub vouchers: Vec<(String, i64)>,
    /// Paid from stored value.
    pub stored_value_minor: i64,
    /// Paid from cashback.
    pub cashback_minor: i64,
    /// Paid membership discount given.
    pub membership_discount_minor: i64,
    pub lines: Vec<purchase_line::Model>,
    pub earnings: Vec<Earning>,
    /// Each step that applied, with its amounts, and each that did not, with the reason.
    pub explanation: Vec<StepLine>,
    /// What each offer gave (discount, free goods, deferred voucher).
    pub offers: Vec<crate::loyalty::offers::checkout::Booked>,
}

/// The largest amount one purchase, line or payment may carry (10 billion in major units):
/// far above any real basket, far below where sums of them could overflow.
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000_000;

/// The most points one purchase may earn in one program: far above any real rule, far below
/// where balances could overflow. A program whose rules would give more is refused for that
/// purchase (VALIDATION), never booked.
pub const MAX_POINTS_PER_PURCHASE: i64 = 1_000_000_000;

/// Records a purchase and books what the programs give. A replay with the same idempotency key
/// returns the first outcome and books nothing.
pub async fn record(
    scope: &TenantScope,
    input: RecordPurchase,
    idempotency_key: Option<&str>,
) -> Result<Recorded, AppError> {
    run(scope, input, idempotency_key, Mode::Record).await
}

/// What the till shows before payment: the very pipeline of [`record`] run in a transaction
/// that is rolled back, so that nothing is written (no purchase, no claim on an offer's limits,
/// no voucher used, no idempotency record) and the answer is exactly what recording would give
/// now.
pub async fn preview(scope: &TenantScope, input: RecordPurchase) -> Result<Recorded, AppError> {
    run(scope, input, None, Mode::Preview).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Record,
    Preview,
}

async fn run(
    scope: &TenantScope,
    input: RecordPurchase,
    idempotency_key: Option<&str>,
    mode: Mode,
) -> Result<Recorded, AppError> {
    let idem = match mode {
        Mode::Record => Idempotency::optional(
            scope.tenant_id().to_string(),
            "recordPurchase",
            idempotency_key,
            &input,
        )?,
        Mode::Preview => None,
    };
    // A replay is answered from inside the transaction below (one look-up on the hot path).
    let brand = scope.brand().await?;
    let currency = validate::validate(&input, &brand.currency, scope.now())?;
    let store = input
        .store
        .as_deref()
        .map(|s| text("input.store", s, 100))
        .transpose()?;
    let now = scope.now();
    let occurred_at = input.occurred_at.unwrap_or(now);

    // The brand's running offers, read before the write transaction begins.
    let basket_products: Vec<(&str, Option<&str>)> = if input.lines.is_empty() {
        vec![("BASKET", None)]
    } else {
        input
            .lines
            .iter()
            .map(|l| (l.sku.as_str(), l.category.as_deref()))
            .collect()
    };
    let offers_running =
        offers::checkout::running(&scope.conn(), &input.offer_codes, &basket_products).await?;
    let tx = scope.begin().await?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.claim(tx.db()).await?
    {
        drop(tx);
        return reload(scope, &previous).await;
    }
    let (member_id, card_id) = buyer(&tx, &input.buyer).await?;
    let purchase_id = Uuid::now_v7();
    if input.voucher_codes.len() > 10 {
        return Err(AppError::validation(
            "input.voucherCodes",
            "at most 10 vouchers per purchase",
        ));
    }
    let mut basket = Basket::new(&input, currency);
    // 0. The brand's offers come first: they change the price of the lines.
    let mut running = if offers_running.is_empty() {
        Vec::new()
    } else {
        offers::checkout::for_buyer(&tx, offers_running, member_id).await?
    };
    let evaluation = if running.is_empty() {
        None
    } else {
        let context = offers::engine::Context {
            traded_in: input.trade_ins.iter().map(|t| t.category.clone()).collect(),
            cap_percent: brand.offer_cap_percent.map(i64::from),
        };
        let evaluation = offers::checkout::evaluate_and_claim(
            &tx,
            &basket.offer_lines(),
            &mut running,
            member_id,
            &context,
            mode == Mode::Record,
        )
        .await?;
        steps::offers(&mut basket, &evaluation);
        Some(evaluation)
    };
    // The brand's programs and their rules at the purchase's time, read once for every step.
    let programs_now = match member_id {
        Some(_) => programs::active_at(&tx, occurred_at).await?,
        None => Vec::new(),
    };

    // 1. A paid membership's discount comes first (a price reduction)...
    let membership_programs: Vec<_> = programs_now
        .iter()
        .filter_map(|p| match &p.rules {
            Rules::Membership(rules) => Some((&p.program, rules)),
            _ => None,
        })
        .collect();
    if let Some(member) = member_id
        && !membership_programs.is_empty()
    {
        let paid = memberships::paid_at(&tx, member, occurred_at).await?;
        let perks: Vec<steps::MembershipPerk<'_>> = membership_programs
            .iter()
            .map(|(program, rules)| steps::MembershipPerk {
                program_id: program.id,
                program_name: &program.name,
                rules,
                paid: paid.contains(&program.id),
            })
            .collect();
        for discount in steps::membership(&mut basket, &perks) {
            balances::earn(
                &tx,
                balances::SAVINGS,
                &input.currency,
                member,
                discount.program_id,
                discount.amount.minor(),
                format!(
                    "{} membership discount ({} %)",
                    discount.amount, discount.percent
                ),
                (crate::core::ledger::CauseType::Purchase, purchase_id),
                occurred_at,
            )
            .await?;
        }
    }
    // 2. ... then vouchers, 3. cashback and 4. stored value on what remains.
    for code in &input.voucher_codes {
        let (voucher, amount) = crate::loyalty::vouchers::use_voucher(
            &tx,
            code,
            member_id,
            basket.total,
            basket.remaining(),
            Some(purchase_id),
            occurred_at,
        )
        .await?;
        steps::voucher(&mut basket, voucher.code, amount);
    }
    if let Some(paid) = steps::cashback_payment(&mut basket, member_id, input.cashback_minor)? {
        balances::spend_cashback(&tx, paid.member, paid.amount, purchase_id, occurred_at).await?;
    }
    if let Some(paid) =
        steps::stored_value_payment(&mut basket, member_id, input.stored_value_minor)?
    {
        crate::loyalty::stored_value::spend(
            &tx,
            paid.member,
            paid.amount,
            purchase_id,
            occurred_at,
        )
        .await?;
    }

    // 5. What each program gives, computed before anything is written.
    let mut earned = Vec::new();
    let mut line_points = vec![0_i64; basket.lines.len()];
    // The lines as the rules read them, built once for every program; the explanation lines
    // join the basket's after the loop (the earning lines borrow the basket).
    let lines = basket.earning_lines();
    let mut explained = Vec::new();
    match member_id {
        None => explained.push(StepLine::skipped(
            StepKind::Earning,
            explanation::SkipReason::NoMember,
        )),
        Some(member) => {
            for program in &programs_now {
                let tier_percent = match program.rules.tiers() {
                    Some(t) => {
                        t.multiplier_of(tiers::level(&tx, member, program.program.id).await?)
                    }
                    None => 100,
                };
                let Some(e) = earning::earn(&basket, &lines, program, tier_percent, occurred_at)?
                else {
                    continue;
                };
                for (total, share) in line_points.iter_mut().zip(&e.line_points) {
                    *total += share;
                }
                let gives =
                    e.earning.points > 0 || e.earning.cashback_minor > 0 || e.earning.stamps > 0;
                explained.push(e.line);
                if gives || program.rules.tiers().is_some() {
                    earned.push((program, e.earning));
                }
            }
        }
    }
    drop(lines);
    basket.explanation.extend(explained);
    let points_earned: i64 = earned.iter().map(|(_, e)| e.points).sum();

    let purchase = tx
        .insert(purchase::ActiveModel {
            id: Set(purchase_id),
            tenant_id: Set(scope.tenant_id()),
            member_id: Set(member_id),
            card_id: Set(card_id),
            store: Set(store),
            channel: Set(input.channel),
            currency: Set(input.currency.clone()),
            total_minor: Set(basket.total.minor()),
            offer_discount_minor: Set(basket.offer_discount.minor()),
            loyalty_paid_minor: Set(basket.loyalty_paid.minor()),
            points_earned: Set(points_earned),
            occurred_at: Set(occurred_at),
            created_at: Set(now),
        })
        .await?;
    let saved_lines: Vec<purchase_line::Model> = basket
        .lines
        .iter()
        .zip(&line_points)
        .enumerate()
        .map(|(i, (line, points))| purchase_line::Model {
            id: Uuid::now_v7(),
            tenant_id: scope.tenant_id(),
            purchase_id,
            line_no: i32::try_from(i + 1).unwrap_or(i32::MAX),
            sku: line.sku.trim().to_owned(),
            category: line.category.as_deref().map(|c| c.trim().to_owned()),
            quantity: line.quantity,
            unit_price_minor: line.unit_price_minor,
            discount_minor: line.discount_minor,
            tax_minor: line.tax_minor,
            points_earned: *points,
            returned_quantity: 0,
            offer_discount_minor: basket.line_offer_discounts.get(i).copied().unwrap_or(0),
            offer_id: basket.line_offers.get(i).copied().flatten(),
        })
        .collect();
    // One statement for every line.
    tx.insert_all(
        saved_lines
            .iter()
            .cloned()
            .map(|l| purchase_line::ActiveModel::from(l).reset_all())
            .collect(),
    )
    .await?;

    // What the offers gave, booked against each offer.
    let offers_booked = match (&evaluation, mode) {
        (Some(evaluation), Mode::Record) => {
            let line_nos: Vec<i32> = saved_lines.iter().map(|l| l.line_no).collect();
            offers::checkout::book(
                &tx,
                evaluation,
                purchase_id,
                member_id,
                &line_nos,
                &running,
                currency,
                occurred_at,
            )
            .await?
        }
        // A preview books no offer (no voucher issued, no account locked): what each gives.
        (Some(evaluation), Mode::Preview) => evaluation
            .applied()
            .map(|(o, a)| {
                // A premium this purchase would complete: what it would give.
                let (premium_points, premium_gift_sku) =
                    offers::checkout::premium_preview(&running, o.offer, a.proofs);
                offers::checkout::Booked {
                    offer_id: o.offer,
                    discount_minor: a.discount(),
                    value_minor: a.value(),
                    voucher_code: None,
                    premium_points,
                    premium_gift_sku,
                }
            })
            .collect(),
        (None, _) => Vec::new(),
    };
    for booked in &offers_booked {
        if let Some(line) = basket
            .explanation
            .iter_mut()
            .find(|l| l.kind == StepKind::Offer && l.offer_id == Some(booked.offer_id))
        {
            if let Some(code) = &booked.voucher_code {
                line.voucher_code = Some(code.clone());
            }
            line.premium_points = booked.premium_points;
            line.premium_gift_sku.clone_from(&booked.premium_gift_sku);
        }
    }

    // 6. Booking, stamp rewards and 7. tiers.
    let mut outcomes = Vec::with_capacity(earned.len());
    if let Some(member) = member_id {
        let booked = booking::Purchase {
            id: purchase_id,
            member_id: member,
            total: basket.total,
            occurred_at,
        };
        for (program, earning) in earned {
            let (earning, tier_line) = booking::book(&tx, program, earning, &booked).await?;
            if !earning.rewards.is_empty()
                && let Some(line) = basket.explanation.iter_mut().rev().find(|l| {
                    l.kind == StepKind::Earning && l.program_id == Some(earning.program_id)
                })
            {
                line.label = Some(earning.rewards.join(" "));
            }
            basket.explanation.extend(tier_line);
            outcomes.push(earning);
        }
    }
    // Programs that gave nothing and moved no tier are left out of the outcome.
    let earnings: Vec<Earning> = outcomes
        .into_iter()
        .filter(|e| e.points > 0 || e.cashback_minor > 0 || e.stamps > 0 || e.tier.is_some())
        .collect();
    crate::core::events::append(
        &tx,
        "purchase.recorded",
        Some(purchase_id),
        member_id,
        serde_json::json!({ "totalMinor": basket.total.minor(), "loyaltyPaidMinor": basket.loyalty_paid.minor(), "offerDiscountMinor": basket.offer_discount.minor(), "tradeIns": input.trade_ins, "currency": input.currency, "pointsEarned": points_earned, "earnings": earnings, "occurredAt": occurred_at }),
    )
    .await?;
    let vouchers: Vec<(String, i64)> = basket
        .vouchers
        .into_iter()
        .map(|(code, amount)| (code, amount.minor()))
        .collect();
    if let Some(idem) = &idem {
        idem.record(
            tx.db(),
            serde_json::json!({ "purchase": purchase_id, "earnings": earnings, "offers": offers_booked, "vouchers": vouchers, "storedValue": basket.stored_value.minor(), "cashback": basket.cashback_paid.minor(), "membershipDiscount": basket.membership_discount.minor(), "explanation": basket.explanation }),
        )
        .await?;
    }
    match mode {
        Mode::Record => {
            tx.commit().await?;
            tracing::info!(tenant.id = %scope.tenant_id(), purchase.id = %purchase_id, "purchase recorded, {points_earned} points earned");
        }
        // Rolled back: nothing the preview did stays.
        Mode::Preview => drop(tx),
    }
    Ok(Recorded {
        offers: offers_booked,
        purchase,
        stored_value_minor: basket.stored_value.minor(),
        cashback_minor: basket.cashback_paid.minor(),
        membership_discount_minor: basket.membership_discount.minor(),
        vouchers,
        lines: saved_lines,
        earnings,
        explanation: basket.explanation,
    })
}

/// The buyer's member and card; a card that is not active is refused.
async fn buyer<C: sea_orm::ConnectionTrait>(
    tx: &crate::core::tenancy::Scoped<C>,
    buyer: &Buyer,
) -> Result<(Option<Uuid>, Option<Uuid>), AppError> {
    Ok(match buyer {
        Buyer::Anonymous => (None, None),
        Buyer::Member(id) => (Some(tx.get::<member::Entity>(*id).await?.id), None),
        Buyer::CardNumber(number) => {
            let card = crate::loyalty::members::find_card(tx, "input.cardNumber", number).await?;
            if card.status != card::CardStatus::Active {
                let state = match card.status {
                    card::CardStatus::Blocked => "blocked",
                    card::CardStatus::Lost => "reported lost",
                    _ => "replaced",
                };
                return Err(AppError::conflict(format!(
                    "this card is {state}: it cannot be used"
                )));
            }
            (Some(card.member_id), Some(card.id))
        }
    })
}

async fn reload(scope: &TenantScope, previous: &serde_json::Value) -> Result<Recorded, AppError> {
    let id = crate::core::idempotency::recorded_id(previous, "purchase")?;
    let earnings: Vec<Earning> =
        serde_json::from_value(previous["earnings"].clone()).unwrap_or_default();
    let vouchers: Vec<(String, i64)> =
        serde_json::from_value(previous["vouchers"].clone()).unwrap_or_default();
    let conn = scope.conn();
    let purchase = conn.get::<purchase::Entity>(id).await?;
    let lines = conn
        .find::<purchase_line::Entity>()
        .filter(purchase_line::Column::PurchaseId.eq(id))
        .order_by_asc(purchase_line::Column::LineNo)
        .all(conn.db())
        .await?;
    let explanation: Vec<StepLine> =
        serde_json::from_value(previous["explanation"].clone()).unwrap_or_default();
    let offers = serde_json::from_value(previous["offers"].clone()).unwrap_or_default();
    Ok(Recorded {
        purchase,
        offers,
        explanation,
        stored_value_minor: previous["storedValue"].as_i64().unwrap_or(0),
        cashback_minor: previous["cashback"].as_i64().unwrap_or(0),
        membership_discount_minor: previous["membershipDiscount"].as_i64().unwrap_or(0),
        vouchers,
        lines,
        earnings,
    })
}

pub async fn get(
    scope: &TenantScope,
    id: Uuid,
) -> Result<(purchase::Model, Vec<purchase_line::Model>), AppError> {
    let conn = scope.conn();
    let purchase = conn.get::<purchase::Entity>(id).await?;
    let lines = conn
        .find::<purchase_line::Entity>()
        .filter(purchase_line::Column::PurchaseId.eq(id))
        .order_by_asc(purchase_line::Column::LineNo)
        .all(conn.db())
        .await?;
    Ok((purchase, lines))
}
