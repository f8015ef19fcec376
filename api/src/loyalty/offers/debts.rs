//! What a member owes for an offer's advantage already used when the purchase that earned it is
//! returned: a deferred coupon's or a premium's voucher spent, a premium gift handed over. The
//! issue's rule: what was issued by a returned purchase is cancelled if unused, or its value is
//! recorded as a debt. The debt is a ledger account of the member (`MEMBER_OFFER_DEBT`, zero or
//! negative) against the offer's clawback; it is settled by withholding it from a later refund
//! (the till hands back the rest), by a payment at the till, or waived by a manager; each
//! settlement is booked against the brand's settled account. The account's row is locked while
//! it is read and settled: two settlements never take the same debt twice.

use entity::{
    ledger_account::AccountKind, ledger_transaction::TransactionKind, purchase_line, voucher_use,
};
use sea_orm::{ColumnTrait, ConnectionTrait, ExprTrait, QueryFilter, sea_query::Expr};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::core::{
    error::AppError,
    idempotency::Idempotency,
    ledger::{self, CauseType, Header, Posting},
    money::Money,
    tenancy::{Scoped, TenantScope},
    types::{Currency, text},
};

/// Records what a voucher took off baskets as owed, now that the purchase that earned it is
/// returned: each use's discount less the part of it whose own purchase was returned since (that
/// purchase's refund already kept it); each use keeps its owed part (`owed_minor`), which a
/// later return of the purchase that used it gives back. Returns the total owed.
pub async fn owe_voucher<C: ConnectionTrait>(
    tx: &Scoped<C>,
    voucher: Uuid,
) -> Result<i64, AppError> {
    let uses = tx
        .find::<voucher_use::Entity>()
        .filter(voucher_use::Column::VoucherId.eq(voucher))
        .all(tx.db())
        .await?;
    let mut owed = 0;
    for u in uses {
        let part = match u.purchase_id {
            None => u.amount_minor,
            Some(purchase) => {
                let lines = tx
                    .find::<purchase_line::Entity>()
                    .filter(purchase_line::Column::PurchaseId.eq(purchase))
                    .filter(purchase_line::Column::OfferId.is_null())
                    .all(tx.db())
                    .await?;
                let value = |l: &purchase_line::Model| {
                    i64::from(l.quantity) * l.unit_price_minor - l.discount_minor
                };
                let whole: i64 = lines.iter().map(value).sum();
                let kept: i64 = lines
                    .iter()
                    .map(|l| {
                        Money::share_minor(
                            value(l),
                            i64::from(l.quantity - l.returned_quantity),
                            i64::from(Ord::max(l.quantity, 1)),
                        )
                    })
                    .sum();
                if whole > 0 {
                    Money::share_minor(u.amount_minor, kept, whole)
                } else {
                    u.amount_minor
                }
            }
        };
        if part > 0 {
            tx.update_many::<voucher_use::Entity>()
                .col_expr(voucher_use::Column::OwedMinor, Expr::value(part))
                .filter(voucher_use::Column::Id.eq(u.id))
                .exec(tx.db())
                .await?;
        }
        owed += part;
    }
    Ok(owed)
}

/// The member's offer-debt account, made if missing and locked: a return takes it first (after
/// its purchase), so two returns of one member never wait on each other's accounts in opposite
/// orders.
pub async fn lock_account<C: ConnectionTrait>(
    tx: &Scoped<C>,
    member: Uuid,
    currency: Currency,
) -> Result<(), AppError> {
    let debt = ledger::account(
        tx,
        AccountKind::MemberOfferDebt,
        Some(member),
        None,
        currency.code(),
    )
    .await?;
    ledger::lock(tx, debt.id).await
}

/// A return of a purchase that used vouchers whose value was recorded as owed: the returned
/// share of each such use is no longer owed (the member does not keep it). What is still owed
/// comes off the debt; what was already settled (withheld or paid) is given back with the
/// refund. Returns (taken off the debt, given back with the refund).
pub async fn give_back_for_return<C: ConnectionTrait>(
    tx: &Scoped<C>,
    member: Uuid,
    purchase_id: Uuid,
    returned_share: impl Fn(i64) -> i64,
    currency: Currency,
) -> Result<(i64, i64), AppError> {
    let uses = tx
        .find::<voucher_use::Entity>()
        .filter(voucher_use::Column::PurchaseId.eq(purchase_id))
        .filter(voucher_use::Column::OwedMinor.gt(0))
        .all(tx.db())
        .await?;
    let (mut off_debt, mut refunded) = (0, 0);
    for u in uses {
        let back = Ord::min(u.owed_minor, returned_share(u.amount_minor));
        if back <= 0 {
            continue;
        }
        tx.update_many::<voucher_use::Entity>()
            .col_expr(
                voucher_use::Column::OwedMinor,
                Expr::col(voucher_use::Column::OwedMinor).sub(back),
            )
            .filter(voucher_use::Column::Id.eq(u.id))
            .filter(voucher_use::Column::OwedMinor.gte(back))
            .exec(tx.db())
            .await?;
        // The offer whose clawback holds the debt: the one that issued the voucher.
        let Some(offer) = tx
            .find::<entity::offer_redemption::Entity>()
            .filter(entity::offer_redemption::Column::VoucherId.eq(u.voucher_id))
            .one(tx.db())
            .await?
            .map(|r| r.offer_id)
        else {
            continue;
        };
        let (debt, clawback) = debt_and_clawback(tx, member, offer, currency).await?;
        ledger::lock(tx, debt.id).await?;
        let owed_now = -Ord::min(
            tx.get::<entity::ledger_account::Entity>(debt.id)
                .await?
                .balance,
            0,
        );
        let from_debt = Ord::min(back, owed_now);
        let paid_back = back - from_debt;
        let mut postings = vec![Posting::new(&clawback, -back)];
        if from_debt > 0 {
            postings.push(Posting::new(&debt, from_debt));
        }
        if paid_back > 0 {
            let settled = ledger::account(
                tx,
                AccountKind::BrandOfferDebtSettled,
                None,
                None,
                currency.code(),
            )
            .await?;
            postings.push(Posting::new(&settled, paid_back));
        }
        ledger::post(
            tx,
            Header {
                kind: TransactionKind::Return,
                reason: format!(
                    "{} of offer debt no longer owed: the purchase that used the voucher was \
                     returned",
                    Money::new(back, currency)
                ),
                cause_type: CauseType::Purchase,
                cause_id: Some(purchase_id),
                member_id: Some(member),
                occurred_at: tx.now(),
            },
            postings,
        )
        .await?;
        off_debt += from_debt;
        refunded += paid_back;
    }
    Ok((off_debt, refunded))
}

/// The member's debt account and the offer's clawback, made if missing.
async fn debt_and_clawback<C: ConnectionTrait>(
    tx: &Scoped<C>,
    member: Uuid,
    offer: Uuid,
    currency: Currency,
) -> Result<(entity::ledger_account::Model, entity::ledger_account::Model), AppError> {
    let debt = ledger::account(
        tx,
        AccountKind::MemberOfferDebt,
        Some(member),
        None,
        currency.code(),
    )
    .await?;
    let [clawback, _] = ledger::subject_accounts(
        tx,
        [
            AccountKind::BrandOfferClawback,
            AccountKind::BrandOfferExpense,
        ],
        offer,
        currency.code(),
    )
    .await?;
    Ok((debt, clawback))
}

/// Records `amount` as owed by `member` for `offer`'s advantage (a RETURN transaction caused by
/// the returned purchase).
pub async fn record<C: ConnectionTrait>(
    tx: &Scoped<C>,
    member: Uuid,
    offer: Uuid,
    amount: i64,
    reason: String,
    purchase_id: Uuid,
    currency: Currency,
) -> Result<(), AppError> {
    if amount <= 0 {
        return Ok(());
    }
    let (debt, clawback) = debt_and_clawback(tx, member, offer, currency).await?;
    ledger::post(
        tx,
        Header {
            kind: TransactionKind::Return,
            reason,
            cause_type: CauseType::Purchase,
            cause_id: Some(purchase_id),
            member_id: Some(member),
            occurred_at: tx.now(),
        },
        vec![
            Posting::new(&debt, -amount),
            Posting::new(&clawback, amount),
        ],
    )
    .await?;
    Ok(())
}

/// What `member` owes for offers, in minor units (zero or more).
pub async fn owed<C: ConnectionTrait>(
    tx: &Scoped<C>,
    member: Uuid,
    currency: &str,
) -> Result<i64, AppError> {
    Ok(
        ledger::existing_account(tx, AccountKind::MemberOfferDebt, Some(member), None)
            .await?
            .filter(|a| a.unit == currency)
            .map_or(0, |a| -Ord::min(a.balance, 0)),
    )
}

/// How a debt is settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Settlement {
    /// Kept from a refund the till owed the member.
    Withheld,
    /// Paid by the member at the till.
    Paid,
    /// Given up by the brand.
    Waived,
}

/// Settles up to `at_most` of the member's offer debt (the account locked first); returns what
/// was settled (0 when nothing is owed).
pub async fn settle<C: ConnectionTrait>(
    tx: &Scoped<C>,
    member: Uuid,
    currency: Currency,
    at_most: i64,
    how: Settlement,
    reason: &str,
    cause: (CauseType, Option<Uuid>),
) -> Result<i64, AppError> {
    if at_most <= 0 {
        return Ok(0);
    }
    let Some(debt) =
        ledger::existing_account(tx, AccountKind::MemberOfferDebt, Some(member), None).await?
    else {
        return Ok(0);
    };
    ledger::lock(tx, debt.id).await?;
    let debt = tx.get::<entity::ledger_account::Entity>(debt.id).await?;
    let amount = Ord::min(-Ord::min(debt.balance, 0), at_most);
    if amount <= 0 {
        return Ok(0);
    }
    let settled = ledger::account(
        tx,
        AccountKind::BrandOfferDebtSettled,
        None,
        None,
        currency.code(),
    )
    .await?;
    let (kind, what) = match how {
        Settlement::Withheld => (TransactionKind::Refund, "withheld from a refund"),
        Settlement::Paid => (TransactionKind::Adjustment, "paid at the till"),
        Settlement::Waived => (TransactionKind::Adjustment, "waived"),
    };
    ledger::post(
        tx,
        Header {
            kind,
            reason: format!(
                "{} of offer debt {what}: {reason}",
                Money::new(amount, currency)
            ),
            cause_type: cause.0,
            cause_id: cause.1,
            member_id: Some(member),
            occurred_at: tx.now(),
        },
        vec![Posting::new(&debt, amount), Posting::new(&settled, -amount)],
    )
    .await?;
    Ok(amount)
}

/// What a settlement at the till or in the portal did.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Settled {
    pub settled_minor: i64,
    pub owed_minor: i64,
}

/// Staff record that a member paid their offer debt (`Paid`), or a manager waives it (`Waived`):
/// `amount_minor` at most what is owed (more is refused: the till must not take more than the
/// debt). Idempotent by key.
pub async fn settle_by_hand(
    scope: &TenantScope,
    member: Uuid,
    amount_minor: i64,
    how: Settlement,
    reason: &str,
    idempotency_key: Option<&str>,
) -> Result<Settled, AppError> {
    let reason = text("input.reason", reason, 200)?;
    if amount_minor < 1 {
        return Err(AppError::validation(
            "input.amountMinor",
            "must be at least 1",
        ));
    }
    let idem = Idempotency::optional(
        scope.tenant_id().to_string(),
        "settleOfferDebt",
        idempotency_key,
        &(member, amount_minor, how, &reason),
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
    tx.get::<entity::member::Entity>(member).await?;
    let currency = Currency::parse("currency", &tx.brand().await?.currency)?;
    if let Some(debt) =
        ledger::existing_account(&tx, AccountKind::MemberOfferDebt, Some(member), None).await?
    {
        ledger::lock(&tx, debt.id).await?;
    }
    let before = owed(&tx, member, currency.code()).await?;
    if amount_minor > before {
        return Err(AppError::validation(
            "input.amountMinor",
            format!(
                "the member owes {} for offers",
                Money::new(before, currency)
            ),
        ));
    }
    let settled = settle(
        &tx,
        member,
        currency,
        amount_minor,
        how,
        &reason,
        (CauseType::Voucher, None),
    )
    .await?;
    let outcome = Settled {
        settled_minor: settled,
        owed_minor: before - settled,
    };
    if let Some(idem) = &idem {
        idem.record(
            tx.db(),
            serde_json::to_value(outcome).map_err(|e| AppError::Internal(e.into()))?,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(outcome)
}
