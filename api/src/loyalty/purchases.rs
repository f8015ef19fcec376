//! Recording purchases: what each active program gives for a basket, booked in the ledger in
//! the same transaction as the purchase, idempotently.

use chrono::{DateTime, Utc};
use entity::{
    card, ledger_account::AccountKind, ledger_transaction::TransactionKind, member, purchase,
    purchase_line,
};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    core::{
        error::AppError,
        idempotency::Idempotency,
        ledger,
        ledger::{Header, POINTS, Posting, STAMPS},
        tenancy::TenantScope,
        types::text,
    },
    identity::store,
    loyalty::{
        balances,
        members::add_months,
        memberships, programs,
        programs::{EarningLine, Rules},
        tiers, vouchers,
    },
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
}

/// The largest amount one purchase, line or payment may carry (10 billion in major units):
/// far above any real basket, far below where sums of them could overflow.
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000_000;

/// The most points one purchase may earn in one program: far above any real rule, far below
/// where balances could overflow. A program whose rules would give more is refused for that
/// purchase (VALIDATION), never booked.
pub const MAX_POINTS_PER_PURCHASE: i64 = 1_000_000_000;

fn validate(input: &RecordPurchase, currency: &str, now: DateTime<Utc>) -> Result<(), AppError> {
    if input.currency != currency {
        return Err(AppError::validation(
            "input.currency",
            format!("must be the brand's currency, {currency}"),
        ));
    }
    if !(0..=MAX_AMOUNT_MINOR).contains(&input.total_minor) {
        return Err(AppError::validation(
            "input.totalMinor",
            format!("must be between 0 and {MAX_AMOUNT_MINOR}"),
        ));
    }
    if input.tax_minor < 0 || input.tax_minor > input.total_minor {
        return Err(AppError::validation(
            "input.taxMinor",
            "must be between 0 and the total",
        ));
    }
    if input.tax_minor > 0 && input.lines.iter().any(|l| l.tax_minor > 0) {
        return Err(AppError::validation(
            "input.taxMinor",
            "give tax per line or for the purchase, not both",
        ));
    }
    if input.lines.len() > 500 {
        return Err(AppError::validation("input.lines", "at most 500 lines"));
    }
    let mut sum: i128 = 0;
    for line in &input.lines {
        text("input.lines.sku", &line.sku, 64)?;
        if let Some(c) = &line.category {
            text("input.lines.category", c, 64)?;
        }
        if !(1..=100_000).contains(&line.quantity) {
            return Err(AppError::validation(
                "input.lines.quantity",
                "must be between 1 and 100000",
            ));
        }
        if line.unit_price_minor < 0
            || line.discount_minor < 0
            || line.tax_minor < 0
            || line.unit_price_minor > MAX_AMOUNT_MINOR
            || line.discount_minor > MAX_AMOUNT_MINOR.saturating_mul(100_000)
            || line.tax_minor > MAX_AMOUNT_MINOR
        {
            if line.unit_price_minor > MAX_AMOUNT_MINOR || line.tax_minor > MAX_AMOUNT_MINOR {
                return Err(AppError::validation(
                    "input.lines.unitPriceMinor",
                    format!("amounts must be at most {MAX_AMOUNT_MINOR}"),
                ));
            }
            return Err(AppError::validation(
                "input.lines.unitPriceMinor",
                "amounts must not be negative",
            ));
        }
        let gross = i128::from(line.quantity) * i128::from(line.unit_price_minor);
        if i128::from(line.discount_minor) > gross {
            return Err(AppError::validation(
                "input.lines.discountMinor",
                "must not exceed the line amount",
            ));
        }
        sum += gross - i128::from(line.discount_minor);
    }
    if !input.lines.is_empty() && sum != i128::from(input.total_minor) {
        return Err(AppError::validation(
            "input.totalMinor",
            format!("must equal the sum of the lines less discounts ({sum})"),
        ));
    }
    if let Some(at) = input.occurred_at {
        if at > now + chrono::Duration::minutes(5) {
            return Err(AppError::validation(
                "input.occurredAt",
                "must not be in the future",
            ));
        }
        if at < now - input.max_backdate {
            let message = if input.max_backdate > chrono::Duration::days(3000) {
                "must be within the last 10 years".to_owned()
            } else {
                format!(
                    "must be within the last {} days (older history is imported by an owner or \
                     manager, or with an API key of the history:import scope)",
                    input.max_backdate.num_days()
                )
            };
            return Err(AppError::validation("input.occurredAt", message));
        }
    }
    let mut seen: Vec<String> = Vec::new();
    for code in &input.voucher_codes {
        let code = crate::loyalty::vouchers::normalise_code(code);
        if seen.contains(&code) {
            return Err(AppError::validation(
                "input.voucherCodes",
                format!("voucher {code} is listed twice: a code is used once per basket"),
            ));
        }
        seen.push(code);
    }
    Ok(())
}

/// Records a purchase and books what the programs give. A replay with the same idempotency key
/// returns the first outcome and books nothing.
pub async fn record(
    scope: &TenantScope,
    input: RecordPurchase,
    idempotency_key: Option<&str>,
) -> Result<Recorded, AppError> {
    let idem = Idempotency::optional(
        scope.tenant_id().to_string(),
        "recordPurchase",
        idempotency_key,
        &input,
    )?;
    // A replay is answered from inside the transaction below (one look-up on the hot path).
    let currency = store::brand_currency(scope.conn().db(), scope.tenant_id()).await?;
    validate(&input, &currency, scope.now())?;
    let store = input
        .store
        .as_deref()
        .map(|s| text("input.store", s, 100))
        .transpose()?;
    let now = scope.now();
    let occurred_at = input.occurred_at.unwrap_or(now);

    let tx = scope.begin().await?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.claim(tx.db()).await?
    {
        drop(tx);
        return reload(scope, &previous).await;
    }
    let (member_id, card_id) = match &input.buyer {
        Buyer::Anonymous => (None, None),
        Buyer::Member(id) => (Some(tx.get::<member::Entity>(*id).await?.id), None),
        Buyer::CardNumber(number) => {
            let card = crate::loyalty::members::find_card(&tx, "input.cardNumber", number).await?;
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
    };

    let purchase_id = Uuid::now_v7();
    if input.voucher_codes.len() > 10 {
        return Err(AppError::validation(
            "input.voucherCodes",
            "at most 10 vouchers per purchase",
        ));
    }
    let mut vouchers = Vec::new();
    let mut loyalty_paid = 0_i64;
    // A paid membership's discount comes first (a price reduction), then vouchers, cashback
    // and stored value on what remains.
    let mut membership_discount = 0_i64;
    let mut membership_points_percent = 100_i64;
    // The brand's programs and their rules at the purchase's time, read once for everything
    // below (membership perks, then what each program gives).
    let programs_now = match member_id {
        Some(_) => programs::active_at(&tx, occurred_at).await?,
        None => Vec::new(),
    };
    let membership_programs: Vec<_> = programs_now
        .iter()
        .filter_map(|p| match &p.rules {
            Rules::Membership(rules) => Some((p.program.id, rules)),
            _ => None,
        })
        .collect();
    if let Some(member) = member_id
        && !membership_programs.is_empty()
    {
        let paid = memberships::paid_at(&tx, member, occurred_at).await?;
        for (program_id, rules) in membership_programs
            .into_iter()
            .filter(|(id, _)| paid.contains(id))
        {
            let discount = memberships::discount(rules, input.total_minor - loyalty_paid);
            if discount > 0 {
                balances::earn(
                    &tx,
                    balances::SAVINGS,
                    &input.currency,
                    member,
                    program_id,
                    discount,
                    format!(
                        "{} {} membership discount ({} %)",
                        format_minor(discount),
                        input.currency,
                        rules.discount_percent
                    ),
                    ("purchase", purchase_id),
                    occurred_at,
                )
                .await?;
                membership_discount += discount;
                loyalty_paid += discount;
            }
            membership_points_percent =
                membership_points_percent * rules.points_multiplier_percent / 100;
        }
    }
    for code in &input.voucher_codes {
        let (voucher, amount) = crate::loyalty::vouchers::use_voucher(
            &tx,
            code,
            member_id,
            input.total_minor,
            input.total_minor - loyalty_paid,
            &input.currency,
            Some(purchase_id),
            occurred_at,
        )
        .await?;
        loyalty_paid += amount;
        vouchers.push((voucher.code, amount));
    }
    if input.cashback_minor != 0 {
        let Some(member) = member_id else {
            return Err(AppError::validation(
                "input.cashbackMinor",
                "needs a card or a member",
            ));
        };
        if input.cashback_minor < 0 || input.cashback_minor > input.total_minor - loyalty_paid {
            return Err(AppError::validation(
                "input.cashbackMinor",
                "must be between 0 and what remains to pay",
            ));
        }
        balances::spend_cashback(
            &tx,
            member,
            input.cashback_minor,
            &input.currency,
            purchase_id,
            occurred_at,
        )
        .await?;
        loyalty_paid += input.cashback_minor;
    }
    if input.stored_value_minor != 0 {
        let Some(member) = member_id else {
            return Err(AppError::validation(
                "input.storedValueMinor",
                "needs a card or a member",
            ));
        };
        if input.stored_value_minor < 0
            || input.stored_value_minor > input.total_minor - loyalty_paid
        {
            return Err(AppError::validation(
                "input.storedValueMinor",
                "must be between 0 and what remains to pay",
            ));
        }
        crate::loyalty::stored_value::spend(
            &tx,
            member,
            input.stored_value_minor,
            &input.currency,
            purchase_id,
            occurred_at,
        )
        .await?;
    }
    // Lines: those given, or the whole basket as one line.
    let mut lines: Vec<LineInput> = if input.lines.is_empty() {
        vec![LineInput {
            sku: "BASKET".to_owned(),
            category: None,
            quantity: 1,
            unit_price_minor: input.total_minor,
            discount_minor: 0,
            tax_minor: 0,
        }]
    } else {
        input.lines.clone()
    };
    // Tax given for the whole purchase is spread over the lines by their value.
    if input.tax_minor > 0 {
        let values: Vec<i64> = lines
            .iter()
            .map(|l| i64::from(l.quantity) * l.unit_price_minor - l.discount_minor)
            .collect();
        for (line, tax) in lines.iter_mut().zip(allocate(input.tax_minor, &values)) {
            line.tax_minor = tax;
        }
    }
    let earning_lines: Vec<EarningLine<'_>> = lines
        .iter()
        .map(|l| EarningLine {
            category: l.category.as_deref(),
            quantity: i64::from(l.quantity),
            unit_price_minor: l.unit_price_minor,
            discount_minor: l.discount_minor,
            tax_minor: l.tax_minor,
        })
        .collect();

    // What each program gives, computed before anything is written.
    let mut earnings = Vec::new();
    let mut line_points = vec![0_i64; lines.len()];
    let mut bookings = Vec::new();
    if let Some(member_id) = member_id {
        for program in &programs_now {
            let tier_percent = match program.rules.tiers() {
                Some(t) => t.multiplier_of(tiers::level(&tx, member_id, program.program.id).await?),
                None => 100,
            };
            // The membership's points multiplier applies to points, not to cashback.
            let points_percent = tier_percent * membership_points_percent / 100;
            let mut earning = Earning {
                program_id: program.program.id,
                program_name: program.program.name.clone(),
                points: 0,
                expires_at: None,
                cashback_minor: 0,
                stamps: 0,
                rewards: Vec::new(),
                tier: None,
            };
            match &program.rules {
                Rules::Points(rules) => {
                    let (points, shares) = programs::points_for(
                        rules,
                        &earning_lines,
                        loyalty_paid,
                        occurred_at,
                        points_percent,
                    );
                    if points > MAX_POINTS_PER_PURCHASE {
                        return Err(AppError::validation(
                            "input.totalMinor",
                            format!(
                                "would earn more than {MAX_POINTS_PER_PURCHASE} points in {}: \
                                 check the program's rules",
                                program.program.name
                            ),
                        ));
                    }
                    if points > 0 {
                        for (total, share) in line_points.iter_mut().zip(&shares) {
                            *total += share;
                        }
                        earning.points = points;
                        earning.expires_at = Some(add_months(occurred_at, rules.validity_months));
                    }
                }
                Rules::Cashback(rules) => {
                    earning.cashback_minor = programs::points_for(
                        &rules.as_points_rules(),
                        &earning_lines,
                        loyalty_paid,
                        occurred_at,
                        tier_percent,
                    )
                    .0;
                }
                Rules::Stamps(rules) => {
                    earning.stamps = rules.stamps_for(&earning_lines, loyalty_paid);
                }
                Rules::StoredValue(_) | Rules::Membership(_) => continue,
            }
            let tiered = program.rules.tiers().is_some();
            if earning.points > 0 || earning.cashback_minor > 0 || earning.stamps > 0 || tiered {
                bookings.push((program, earning.clone(), member_id));
                earnings.push(earning);
            }
        }
    }
    let points_earned: i64 = earnings.iter().map(|e| e.points).sum();

    let purchase = tx
        .insert(purchase::ActiveModel {
            id: Set(purchase_id),
            tenant_id: Set(scope.tenant_id()),
            member_id: Set(member_id),
            card_id: Set(card_id),
            store: Set(store),
            channel: Set(input.channel),
            currency: Set(input.currency.clone()),
            total_minor: Set(input.total_minor),
            loyalty_paid_minor: Set(loyalty_paid),
            points_earned: Set(points_earned),
            occurred_at: Set(occurred_at),
            created_at: Set(now),
        })
        .await?;
    let saved_lines: Vec<purchase_line::Model> = lines
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
    let amount = format_minor(input.total_minor);
    let mut outcomes = Vec::with_capacity(bookings.len());
    for (program, mut earning, member_id) in bookings {
        let program_id = program.program.id;
        match &program.rules {
            Rules::Points(_) if earning.points > 0 => {
                book_points(
                    &tx,
                    program_id,
                    member_id,
                    earning.points,
                    earning.expires_at.unwrap_or(occurred_at),
                    format!(
                        "{} points for a purchase of {amount} {}",
                        earning.points, input.currency
                    ),
                    purchase_id,
                    occurred_at,
                )
                .await?;
            }
            Rules::Cashback(_) if earning.cashback_minor > 0 => {
                balances::earn(
                    &tx,
                    balances::CASHBACK,
                    &input.currency,
                    member_id,
                    program_id,
                    earning.cashback_minor,
                    format!(
                        "{} {} cashback for a purchase of {amount} {}",
                        format_minor(earning.cashback_minor),
                        input.currency,
                        input.currency
                    ),
                    ("purchase", purchase_id),
                    occurred_at,
                )
                .await?;
            }
            Rules::Stamps(rules) if earning.stamps > 0 => {
                let card = balances::earn(
                    &tx,
                    balances::STAMP_CARD,
                    STAMPS,
                    member_id,
                    program_id,
                    earning.stamps,
                    format!(
                        "{} stamp(s) for a purchase of {amount} {}",
                        earning.stamps, input.currency
                    ),
                    ("purchase", purchase_id),
                    occurred_at,
                )
                .await?;
                let full = card.balance / rules.stamps_for_reward;
                if full > 0 {
                    balances::convert_stamps(
                        &tx,
                        &card,
                        member_id,
                        program_id,
                        full,
                        rules.stamps_for_reward,
                        purchase_id,
                        occurred_at,
                    )
                    .await?;
                    for _ in 0..full {
                        let voucher = vouchers::issue_reward(
                            &tx,
                            member_id,
                            program_id,
                            rules,
                            &input.currency,
                            occurred_at,
                        )
                        .await?;
                        earning.rewards.push(voucher.code);
                    }
                }
            }
            _ => {}
        }
        if let Some(tier_rules) = program.rules.tiers() {
            earning.tier =
                tiers::after_activity(&tx, tier_rules, member_id, program_id, occurred_at).await?;
        }
        outcomes.push(earning);
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
        serde_json::json!({ "totalMinor": input.total_minor, "currency": input.currency, "pointsEarned": points_earned, "earnings": earnings, "occurredAt": occurred_at }),
    )
    .await?;
    if let Some(idem) = &idem {
        idem.record(
            tx.db(),
            serde_json::json!({ "purchase": purchase_id, "earnings": earnings, "vouchers": vouchers, "storedValue": input.stored_value_minor, "cashback": input.cashback_minor, "membershipDiscount": membership_discount }),
        )
        .await?;
    }
    tx.commit().await?;
    tracing::info!(tenant.id = %scope.tenant_id(), purchase.id = %purchase_id, "purchase recorded, {points_earned} points earned");
    Ok(Recorded {
        purchase,
        stored_value_minor: input.stored_value_minor,
        cashback_minor: input.cashback_minor,
        membership_discount_minor: membership_discount,
        vouchers,
        lines: saved_lines,
        earnings,
    })
}

/// Books points earned by a purchase: a new lot (after repaying any points debt).
#[expect(clippy::too_many_arguments, reason = "one booking, all of it needed")]
async fn book_points<C: sea_orm::ConnectionTrait>(
    tx: &crate::core::tenancy::Scoped<C>,
    program: Uuid,
    member_id: Uuid,
    points: i64,
    expires_at: DateTime<Utc>,
    reason: String,
    purchase_id: Uuid,
    occurred_at: DateTime<Utc>,
) -> Result<(), AppError> {
    // The three accounts in one query; the first purchase of a member creates theirs.
    let [account, issued, debt] = <[_; 3]>::try_from(
        ledger::existing_accounts(
            tx,
            &[
                (AccountKind::MemberPoints, Some(member_id), Some(program)),
                (AccountKind::BrandPointsIssued, None, Some(program)),
                (
                    AccountKind::MemberPointsDebt,
                    Some(member_id),
                    Some(program),
                ),
            ],
        )
        .await?,
    )
    .map_err(|_| AppError::Internal(anyhow::anyhow!("accounts look-up")))?;
    let account = match account {
        Some(a) => a,
        None => {
            ledger::account(
                tx,
                AccountKind::MemberPoints,
                Some(member_id),
                Some(program),
                POINTS,
            )
            .await?
        }
    };
    let issued = match issued {
        Some(a) => a,
        None => {
            ledger::account(
                tx,
                AccountKind::BrandPointsIssued,
                None,
                Some(program),
                POINTS,
            )
            .await?
        }
    };
    let mut postings = vec![Posting::new(&issued, -points)];
    // A points debt (from a return after spending) is repaid first; rare, so only then is the
    // debt locked and read again (a concurrent purchase may have repaid it).
    let debt = match debt {
        Some(d) if d.balance < 0 => {
            ledger::lock(tx, d.id).await?;
            Some(tx.get::<entity::ledger_account::Entity>(d.id).await?)
        }
        _ => None,
    };
    let repay = debt
        .as_ref()
        .map_or(0, |d| Ord::min(points, -Ord::min(d.balance, 0)));
    if let Some(debt) = debt.as_ref().filter(|_| repay > 0) {
        postings.push(Posting::new(debt, repay));
    }
    if points > repay {
        let lot = ledger::new_lot(
            tx,
            &account,
            member_id,
            points - repay,
            occurred_at,
            expires_at,
        )
        .await?;
        postings.push(Posting::new(&account, points - repay).on_lot(lot));
    }
    let reason = match repay {
        0 => reason,
        _ => format!("{reason} ({repay} repaying a points debt)"),
    };
    ledger::post(
        tx,
        Header {
            kind: TransactionKind::Earn,
            reason,
            cause_type: "purchase",
            cause_id: Some(purchase_id),
            member_id: Some(member_id),
            occurred_at,
        },
        postings,
    )
    .await?;
    Ok(())
}

/// Splits `total` over `weights` in proportion, by largest remainder: the parts always add up
/// to `total` (all to the first part when every weight is zero).
fn allocate(total: i64, weights: &[i64]) -> Vec<i64> {
    let sum: i128 = weights.iter().map(|w| i128::from((*w).max(0))).sum();
    if weights.is_empty() {
        return Vec::new();
    }
    if sum == 0 {
        let mut parts = vec![0; weights.len()];
        parts[0] = total;
        return parts;
    }
    let exact: Vec<i128> = weights
        .iter()
        .map(|w| i128::from(total) * i128::from((*w).max(0)))
        .collect();
    let mut parts: Vec<i64> = exact
        .iter()
        .map(|e| i64::try_from(e / sum).unwrap_or(0))
        .collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(exact[i] % sum));
    let mut left = total - parts.iter().sum::<i64>();
    for &i in order.iter().cycle() {
        if left <= 0 {
            break;
        }
        parts[i] += 1;
        left -= 1;
    }
    parts
}

/// 4250 -> "42.50" (two decimals; the currency's own exponent is applied by clients).
fn format_minor(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, (minor % 100).abs())
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
    Ok(Recorded {
        purchase,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purchase_tax_is_spread_over_lines_and_always_adds_up() {
        assert_eq!(allocate(100, &[1_000, 1_000, 1_000]), [34, 33, 33]);
        assert_eq!(allocate(7, &[0, 0]), [7, 0]);
        assert_eq!(allocate(1_999, &[5_000, 15_000]), [500, 1_499]);
        for total in [0, 1, 99, 12_345] {
            let parts = allocate(total, &[3, 7, 11, 0]);
            assert_eq!(parts.iter().sum::<i64>(), total);
            assert_eq!(parts[3], 0);
        }
    }
}
