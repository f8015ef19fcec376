//! Returns: a whole or partial return reverses exactly what the returned part earned, never
//! more, and can never be booked twice.
//!
//! Rule for points already spent: points are taken back from the purchase's own lot first, then
//! from the member's other live points (soonest expiry first); what the member no longer has
//! becomes a recorded points debt (the MEMBER_POINTS_DEBT account goes below zero), repaid first
//! from the member's next earnings. The balance itself never goes negative.
//!
//! The share each return takes back is the checkout's return step
//! ([`ReturnedShare`](crate::loyalty::checkout::returned::ReturnedShare), pure and unit-tested);
//! this file books it. Size: over 500 lines on purpose: each family of booked value (points with
//! their lots and debt, cashback, stamps, savings, loyalty money that paid) is reversed against
//! its own accounts, in one transaction.

use entity::{
    ledger_account::AccountKind, ledger_entry, ledger_transaction,
    ledger_transaction::TransactionKind, purchase, purchase_line,
};
use sea_orm::{ColumnTrait, ConnectionTrait, ExprTrait, QueryFilter, QueryOrder, sea_query::Expr};
use serde::Serialize;
use uuid::Uuid;

use crate::{
    core::{
        error::AppError,
        idempotency::Idempotency,
        ledger,
        ledger::{Header, POINTS, Posting, STAMPS},
        tenancy::{Scoped, TenantScope},
    },
    loyalty::{
        balances,
        balances::Family,
        checkout::returned::{ReturnedLine, ReturnedShare, of_total},
    },
};

#[derive(Debug, Clone, Serialize)]
pub struct ReturnLine {
    pub line_no: i32,
    pub quantity: i32,
}

/// The outcome of a return.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Returned {
    pub purchase_id: Uuid,
    /// Points taken back from the member's balance.
    pub points_reversed: i64,
    /// Points the member no longer had, recorded as a debt.
    pub points_to_debt: i64,
    /// Cashback taken back, in minor units.
    #[serde(default)]
    pub cashback_reversed_minor: i64,
    /// Cashback the member had already spent, recorded as a debt.
    #[serde(default)]
    pub cashback_to_debt_minor: i64,
    #[serde(default)]
    pub stamps_reversed: i64,
    /// Stamps already turned into a reward, recorded as a debt.
    #[serde(default)]
    pub stamps_to_debt: i64,
    /// Paid-membership savings taken back (the discount on the returned part).
    #[serde(default)]
    pub savings_reversed_minor: i64,
    /// Cashback that paid for the returned part, given back to the member.
    #[serde(default)]
    pub cashback_refunded_minor: i64,
    /// Stored value that paid for the returned part, given back to the member.
    #[serde(default)]
    pub stored_value_refunded_minor: i64,
    /// What the customer paid for the returned units: their lines' net price (the offers'
    /// discounts included), in minor units.
    #[serde(default)]
    pub refund_minor: i64,
    /// The offers' discount on the returned units, given back to the offers.
    #[serde(default)]
    pub offer_discount_returned_minor: i64,
    /// What the member now owes for offers' advantages already used (a deferred coupon's or a
    /// premium's voucher spent, a premium gift handed over) whose purchase this return took
    /// back.
    #[serde(default)]
    pub offer_debt_minor: i64,
    /// The member's offer debt (this return's and earlier ones) kept from this refund.
    #[serde(default)]
    pub offer_debt_withheld_minor: i64,
    /// Offer debt no longer owed because the returned units were paid by a voucher whose value
    /// was owed (the purchase that earned it was returned before): off the debt, or given back
    /// with the refund when already settled.
    #[serde(default)]
    pub offer_debt_given_back_minor: i64,
    /// The money the till hands back: the returned share of what the customer paid in money
    /// (the purchase's total less what vouchers, membership discount, cashback and stored value
    /// paid: those are not money, and cashback and stored value go back to their balances),
    /// less the offer debt withheld. None in outcomes recorded before it existed.
    #[serde(default)]
    pub refund_due_minor: Option<i64>,
}

pub async fn record(
    scope: &TenantScope,
    purchase_id: Uuid,
    lines: Vec<ReturnLine>,
    idempotency_key: Option<&str>,
) -> Result<Returned, AppError> {
    let idem = Idempotency::optional(
        scope.tenant_id().to_string(),
        "recordReturn",
        idempotency_key,
        &(purchase_id, &lines),
    )?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.replay(scope.conn().db()).await?
    {
        return serde_json::from_value(previous).map_err(|e| AppError::Internal(e.into()));
    }
    let tx = scope.begin().await?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.claim(tx.db()).await?
    {
        return serde_json::from_value(previous).map_err(|e| AppError::Internal(e.into()));
    }
    // The purchase row is held for the rest of the transaction: returns of the same purchase
    // (the same line or others) queue, and each computes its cumulative share from what the
    // ones before it committed, never from a stale read.
    let purchase = tx.get_for_update::<purchase::Entity>(purchase_id).await?;
    let currency = crate::core::types::Currency::parse("currency", &purchase.currency)?;
    // Then the member's offer-debt account, before any other account (see `debts`).
    if let Some(member) = purchase.member_id {
        crate::loyalty::offers::debts::lock_account(&tx, member, currency).await?;
    }
    let stored = tx
        .find::<purchase_line::Entity>()
        .filter(purchase_line::Column::PurchaseId.eq(purchase.id))
        .order_by_asc(purchase_line::Column::LineNo)
        .all(tx.db())
        .await?;
    // Nothing named: everything not yet returned.
    let requested: Vec<ReturnLine> = if lines.is_empty() {
        stored
            .iter()
            .filter(|l| l.quantity > l.returned_quantity)
            .map(|l| ReturnLine {
                line_no: l.line_no,
                quantity: l.quantity - l.returned_quantity,
            })
            .collect()
    } else {
        lines
    };
    if requested.is_empty() {
        return Err(AppError::conflict(
            "everything in this purchase was already returned",
        ));
    }
    // Units asked per line, checked against what is left before any arithmetic on them (in
    // i64: a client's 2147483647 never overflows anything).
    let mut asked_per_line: Vec<i64> = vec![0; stored.len()];
    for r in &requested {
        let Some(index) = stored.iter().position(|l| l.line_no == r.line_no) else {
            return Err(AppError::validation(
                "input.lines.lineNo",
                format!("line {} is not in this purchase", r.line_no),
            ));
        };
        if r.quantity < 1 {
            return Err(AppError::validation(
                "input.lines.quantity",
                "must be at least 1",
            ));
        }
        asked_per_line[index] += i64::from(r.quantity);
    }
    for (line, asked) in stored.iter().zip(&asked_per_line) {
        let left = i64::from(line.quantity) - i64::from(line.returned_quantity);
        if *asked > left {
            return Err(AppError::validation(
                "input.lines.quantity",
                format!(
                    "line {} has only {left} unit(s) left to return",
                    line.line_no
                ),
            ));
        }
    }
    // The return step of the checkout: the returned share, in purchase points after this
    // return (points programs) and in value before and after it (cashback, stamps, savings and
    // loyalty money that paid).
    let share = ReturnedShare::of(
        &stored
            .iter()
            .zip(&asked_per_line)
            .map(|(line, asked)| ReturnedLine {
                points_earned: line.points_earned,
                value: line_value(line),
                quantity: i64::from(line.quantity),
                returned_before: i64::from(line.returned_quantity),
                returned_now: *asked,
            })
            .collect::<Vec<_>>(),
    );
    let after = share.points_after.get();
    for (line, asked) in stored.iter().zip(&asked_per_line) {
        if *asked == 0 {
            continue;
        }
        let asked = i32::try_from(*asked).map_err(|_| {
            AppError::validation("input.lines.quantity", "is more than the line holds")
        })?;
        // Conditional too: nothing can return more units than the line holds.
        let moved = tx
            .update_many::<purchase_line::Entity>()
            .col_expr(
                purchase_line::Column::ReturnedQuantity,
                Expr::col(purchase_line::Column::ReturnedQuantity).add(asked),
            )
            .filter(purchase_line::Column::Id.eq(line.id))
            .filter(
                Expr::col(purchase_line::Column::ReturnedQuantity)
                    .lte(Expr::col(purchase_line::Column::Quantity).sub(asked)),
            )
            .exec(tx.db())
            .await?;
        if moved.rows_affected != 1 {
            return Err(AppError::validation(
                "input.lines.quantity",
                format!(
                    "line {} has only {} unit(s) left to return",
                    line.line_no,
                    line.quantity - line.returned_quantity
                ),
            ));
        }
    }
    let offer_returned = {
        // The offers' shares of the returned units go back to them.
        let returned_lines: Vec<crate::loyalty::offers::checkout::LineReturn> = stored
            .iter()
            .zip(&asked_per_line)
            .map(
                |(line, asked)| crate::loyalty::offers::checkout::LineReturn {
                    line_no: line.line_no,
                    quantity: i64::from(line.quantity),
                    returned_before: i64::from(line.returned_quantity),
                    returned_after: i64::from(line.returned_quantity) + asked,
                    given: line.offer_id,
                },
            )
            .collect();
        // Before any ledger account is locked: a checkout locks its offers first, then the
        // accounts; a return does the same (no deadlock between them).
        crate::loyalty::offers::checkout::on_return(
            &tx,
            purchase_id,
            purchase.member_id,
            &returned_lines,
            crate::core::types::Currency::parse("currency", &purchase.currency)?,
            Ord::max(purchase.occurred_at, scope.now()),
        )
        .await?
    };
    let mut cashback_as_money = 0;
    let mut outcome = Returned {
        purchase_id,
        // The premium points a return of proofs took back count with the purchase's own.
        points_reversed: offer_returned.premium_points_taken,
        points_to_debt: offer_returned.premium_points_owed,
        cashback_reversed_minor: 0,
        cashback_to_debt_minor: 0,
        stamps_reversed: 0,
        stamps_to_debt: 0,
        savings_reversed_minor: 0,
        cashback_refunded_minor: 0,
        stored_value_refunded_minor: 0,
        refund_minor: share.value_returned_now(),
        offer_discount_returned_minor: offer_returned.discount_minor,
        offer_debt_minor: offer_returned.debt_minor,
        offer_debt_withheld_minor: 0,
        offer_debt_given_back_minor: 0,
        refund_due_minor: None,
    };
    // Loyalty money that paid for the purchase (only a member's purchase has any), read once.
    let payments = match purchase.member_id {
        Some(_) => payments_of(&tx, purchase.id).await?,
        None => Vec::new(),
    };
    if let Some(member) = purchase.member_id {
        let at = Ord::max(purchase.occurred_at, scope.now());
        for earned in earnings_of(&tx, purchase.id).await? {
            let delta = match earned.family {
                Family::Points => {
                    points_to_reverse(
                        &tx,
                        member,
                        &earned,
                        purchase.id,
                        after,
                        purchase.points_earned,
                    )
                    .await?
                }
                _ => share.delta(earned.amount),
            };
            if delta <= 0 {
                continue;
            }
            match earned.family {
                Family::Points => {
                    let (taken, debt) = reverse_points(
                        &tx,
                        member,
                        earned.program,
                        delta,
                        &earned.lots,
                        purchase_id,
                        purchase.occurred_at,
                    )
                    .await?;
                    outcome.points_reversed += taken;
                    outcome.points_to_debt += debt;
                }
                Family::Cashback => {
                    let (taken, debt) = balances::reverse(
                        &tx,
                        balances::CASHBACK,
                        &purchase.currency,
                        member,
                        earned.program,
                        delta,
                        &format!("{delta} (minor units) of cashback taken back for a return"),
                        purchase_id,
                        at,
                    )
                    .await?;
                    outcome.cashback_reversed_minor += taken;
                    outcome.cashback_to_debt_minor += debt;
                }
                Family::Stamps => {
                    let (taken, debt) = balances::reverse(
                        &tx,
                        balances::STAMP_CARD,
                        STAMPS,
                        member,
                        earned.program,
                        delta,
                        &format!("{delta} stamp(s) taken back for a return"),
                        purchase_id,
                        at,
                    )
                    .await?;
                    outcome.stamps_reversed += taken;
                    outcome.stamps_to_debt += debt;
                }
                Family::Savings => {
                    let (taken, _) = balances::reverse(
                        &tx,
                        balances::SAVINGS,
                        &purchase.currency,
                        member,
                        earned.program,
                        delta,
                        &format!(
                            "{delta} (minor units) of membership savings taken back for a return"
                        ),
                        purchase_id,
                        at,
                    )
                    .await?;
                    outcome.savings_reversed_minor += taken;
                }
            }
        }
        // Loyalty money that paid for the returned part goes back to the member, in the same
        // proportion: stored value always (it is the member's money), cashback unless its
        // program says otherwise.
        for (account, spent) in &payments {
            let delta = share.delta(*spent);
            if delta <= 0 {
                continue;
            }
            let counterpart = match account.kind {
                AccountKind::MemberCashback => {
                    let refund = match account.program_id {
                        Some(p) => {
                            match crate::loyalty::programs::rules_at(&tx, p, purchase.occurred_at)
                                .await?
                            {
                                Some((crate::loyalty::programs::Rules::Cashback(r), _)) => {
                                    r.refund_on_return
                                }
                                _ => true,
                            }
                        }
                        None => true,
                    };
                    if !refund {
                        // Not given back to the balance: handed back as money.
                        cashback_as_money += delta;
                        continue;
                    }
                    outcome.cashback_refunded_minor += delta;
                    AccountKind::BrandCashbackSpent
                }
                _ => {
                    outcome.stored_value_refunded_minor += delta;
                    AccountKind::StoredValueSpent
                }
            };
            let spent_account =
                ledger::account(&tx, counterpart, None, account.program_id, &account.unit).await?;
            let mut postings = vec![Posting::new(&spent_account, -delta)];
            // Cashback given back repays a cashback debt of the program first: a member never
            // holds a balance to spend beside a debt of the same kind.
            let mut repaid = 0;
            if account.kind == AccountKind::MemberCashback
                && let Some(debt) = ledger::existing_account(
                    &tx,
                    AccountKind::MemberCashbackDebt,
                    Some(member),
                    account.program_id,
                )
                .await?
            {
                ledger::lock(&tx, debt.id).await?;
                let owed = -Ord::min(
                    tx.get::<entity::ledger_account::Entity>(debt.id)
                        .await?
                        .balance,
                    0,
                );
                repaid = Ord::min(owed, delta);
                if repaid > 0 {
                    postings.push(Posting::new(&debt, repaid));
                }
            }
            if delta > repaid {
                postings.push(Posting::new(account, delta - repaid));
            }
            ledger::post(
                &tx,
                Header {
                    kind: TransactionKind::Refund,
                    reason: if repaid > 0 {
                        format!(
                            "{delta} (minor units) given back for a return: it paid for the \
                             returned part ({repaid} repaying a debt)"
                        )
                    } else {
                        format!(
                            "{delta} (minor units) given back for a return: it paid for the \
                             returned part"
                        )
                    },
                    cause_type: crate::core::ledger::CauseType::Purchase,
                    cause_id: Some(purchase_id),
                    member_id: Some(member),
                    occurred_at: at,
                },
                postings,
            )
            .await?;
        }
    }
    // The money the till hands back: the returned share of what was paid in money (cumulative
    // floors: partial returns add up to exactly what was paid, never more); what the member
    // owes for offers is kept from it.
    let stored_value_paid: i64 = payments
        .iter()
        .filter(|(account, _)| account.kind == AccountKind::MemberStoredValue)
        .map(|(_, spent)| *spent)
        .sum();
    let mut cash = share.delta(Ord::max(
        purchase.total_minor - purchase.loyalty_paid_minor - stored_value_paid,
        0,
    )) + cashback_as_money;
    outcome.refund_due_minor = Some(cash);
    if let Some(member) = purchase.member_id {
        // Vouchers of this purchase whose value was owed: the returned share is owed no more.
        let (off_debt, paid_back) = crate::loyalty::offers::debts::give_back_for_return(
            &tx,
            member,
            purchase_id,
            |amount| share.delta(amount),
            currency,
        )
        .await?;
        outcome.offer_debt_given_back_minor = off_debt + paid_back;
        cash += paid_back;
        outcome.offer_debt_withheld_minor = crate::loyalty::offers::debts::settle(
            &tx,
            member,
            crate::core::types::Currency::parse("currency", &purchase.currency)?,
            cash,
            crate::loyalty::offers::debts::Settlement::Withheld,
            "kept from the refund of a return",
            (crate::core::ledger::CauseType::Purchase, Some(purchase_id)),
        )
        .await?;
        outcome.refund_due_minor = Some(cash - outcome.offer_debt_withheld_minor);
    }
    crate::core::events::append(
        &tx,
        "purchase.returned",
        Some(purchase_id),
        purchase.member_id,
        serde_json::to_value(&outcome).map_err(|e| AppError::Internal(e.into()))?,
    )
    .await?;
    if let Some(idem) = &idem {
        idem.record(
            tx.db(),
            serde_json::to_value(&outcome).map_err(|e| AppError::Internal(e.into()))?,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(outcome)
}

/// Loyalty money that paid for a purchase: per member account (cashback or stored value), the
/// amount spent.
async fn payments_of<C: ConnectionTrait>(
    tx: &Scoped<C>,
    purchase: Uuid,
) -> Result<Vec<(entity::ledger_account::Model, i64)>, AppError> {
    let payments = tx
        .find::<ledger_transaction::Entity>()
        .filter(ledger_transaction::Column::CauseType.eq("purchase"))
        .filter(ledger_transaction::Column::CauseId.eq(purchase))
        .filter(
            ledger_transaction::Column::Kind
                .is_in([TransactionKind::Redeem, TransactionKind::Spend]),
        )
        .all(tx.db())
        .await?;
    let mut out: Vec<(entity::ledger_account::Model, i64)> = Vec::new();
    if payments.is_empty() {
        return Ok(out);
    }
    let entries = tx
        .find::<ledger_entry::Entity>()
        .filter(ledger_entry::Column::TransactionId.is_in(payments.iter().map(|p| p.id)))
        .filter(ledger_entry::Column::Amount.lt(0))
        .all(tx.db())
        .await?;
    for entry in entries {
        let account = tx
            .get::<entity::ledger_account::Entity>(entry.account_id)
            .await?;
        if !matches!(
            account.kind,
            AccountKind::MemberCashback | AccountKind::MemberStoredValue
        ) {
            continue;
        }
        match out.iter_mut().find(|(a, _)| a.id == account.id) {
            Some((_, spent)) => *spent -= entry.amount,
            None => out.push((account, -entry.amount)),
        }
    }
    Ok(out)
}

/// A line's value: quantity x unit price less its discount.
fn line_value(line: &purchase_line::Model) -> i64 {
    i64::from(line.quantity) * line.unit_price_minor - line.discount_minor
}

/// What a purchase gave in one program.
struct Earned {
    program: Uuid,
    family: Family,
    amount: i64,
    /// Point lots it filled.
    lots: Vec<Uuid>,
}

/// Per program: what the purchase earned (points, cashback or stamps), and the lots it filled.
async fn earnings_of<C: ConnectionTrait>(
    tx: &Scoped<C>,
    purchase: Uuid,
) -> Result<Vec<Earned>, AppError> {
    let earns = tx
        .find::<ledger_transaction::Entity>()
        .filter(ledger_transaction::Column::CauseType.eq("purchase"))
        .filter(ledger_transaction::Column::CauseId.eq(purchase))
        .filter(ledger_transaction::Column::Kind.eq(TransactionKind::Earn))
        .all(tx.db())
        .await?;
    let mut out: Vec<Earned> = Vec::new();
    for earn in earns {
        let entries = tx
            .find::<ledger_entry::Entity>()
            .filter(ledger_entry::Column::TransactionId.eq(earn.id))
            .all(tx.db())
            .await?;
        for entry in entries.into_iter().filter(|e| e.amount > 0) {
            let account = tx
                .get::<entity::ledger_account::Entity>(entry.account_id)
                .await?;
            let (Some(program), Some(family)) =
                (account.program_id, balances::family(account.kind))
            else {
                continue;
            };
            match out.iter_mut().find(|e| e.program == program) {
                Some(earned) => {
                    earned.amount += entry.amount;
                    earned.lots.extend(entry.lot_id);
                }
                None => out.push(Earned {
                    program,
                    family,
                    amount: entry.amount,
                    lots: entry.lot_id.into_iter().collect(),
                }),
            }
        }
    }
    Ok(out)
}

/// Points of one program to take back for this return. The cumulative share of what the
/// purchase earned (`after` of `total` purchase points returned), less what earlier returns
/// already took back, and never the purchase's points that already expired: those were lost
/// once (breakage) and are not taken a second time from the member's other points. So after
/// every unit is back, the purchase's reversals add up to what it earned less what expired.
async fn points_to_reverse<C: ConnectionTrait>(
    tx: &Scoped<C>,
    member: Uuid,
    earned: &Earned,
    purchase: Uuid,
    after: i64,
    total: i64,
) -> Result<i64, AppError> {
    // Expiries due by now are booked first, so that "expired" means the same as in the
    // member's balance and history.
    let expired =
        crate::loyalty::grants::expired_of_lots(tx, member, earned.program, &earned.lots).await?;
    let issued = ledger::account(
        tx,
        AccountKind::BrandPointsIssued,
        None,
        Some(earned.program),
        POINTS,
    )
    .await?;
    let returns: Vec<Uuid> = tx
        .find::<ledger_transaction::Entity>()
        .filter(ledger_transaction::Column::CauseType.eq("purchase"))
        .filter(ledger_transaction::Column::CauseId.eq(purchase))
        .filter(ledger_transaction::Column::Kind.eq(TransactionKind::Return))
        .all(tx.db())
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    let reversed_before: i64 = if returns.is_empty() {
        0
    } else {
        tx.find::<ledger_entry::Entity>()
            .filter(ledger_entry::Column::TransactionId.is_in(returns))
            .filter(ledger_entry::Column::AccountId.eq(issued.id))
            .all(tx.db())
            .await?
            .iter()
            .map(|e| e.amount)
            .sum()
    };
    let reversible = Ord::min(
        of_total(earned.amount, after, total),
        earned.amount - expired,
    );
    Ok(Ord::max(reversible - reversed_before, 0))
}

async fn reverse_points<C: ConnectionTrait>(
    tx: &Scoped<C>,
    member: Uuid,
    program: Uuid,
    amount: i64,
    own_lots: &[Uuid],
    purchase: Uuid,
    occurred_at: chrono::DateTime<chrono::Utc>,
) -> Result<(i64, i64), AppError> {
    // The purchase's own lot first, then the others, soonest expiry first.
    crate::loyalty::balances::take_back_points(
        tx,
        member,
        program,
        amount,
        own_lots,
        Header {
            kind: TransactionKind::Return,
            reason: format!("{amount} points taken back for a return"),
            cause_type: crate::core::ledger::CauseType::Purchase,
            cause_id: Some(purchase),
            member_id: Some(member),
            occurred_at: Ord::max(occurred_at, tx.now()),
        },
    )
    .await
}
