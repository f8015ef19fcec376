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
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter};
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

/// The discount a voucher gave, all its uses together, less the part of each use whose purchase
/// was returned since (the refund of that purchase already kept it): what its holder owes once
/// the purchase that earned the voucher is returned.
pub async fn used_value<C: ConnectionTrait>(
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
        let Some(purchase) = u.purchase_id else {
            owed += u.amount_minor;
            continue;
        };
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
        owed += if whole > 0 {
            Money::share_minor(u.amount_minor, kept, whole)
        } else {
            u.amount_minor
        };
    }
    Ok(owed)
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
