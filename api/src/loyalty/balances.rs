//! Balances without lots: cashback (money, in the brand currency) and stamps. They are earned
//! with a purchase, taken back with a return, and — for cashback — spent at the checkout.
//!
//! Rule for what was already spent (the same as for points): a return takes back from the
//! member's balance what it covers; the rest becomes a recorded debt (the `*_DEBT` account goes
//! below zero), repaid first from the member's next earnings of the same program. The balance
//! itself never goes negative.

use crate::core::money::Money;
use chrono::{DateTime, Utc};
use entity::{ledger_account, ledger_account::AccountKind, ledger_transaction::TransactionKind};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::core::{
    error::AppError,
    ledger,
    ledger::{Header, Posting, STAMPS},
    tenancy::Scoped,
};

/// The accounts of a lot-less balance.
#[derive(Debug, Clone, Copy)]
pub struct Kinds {
    pub member: AccountKind,
    pub debt: AccountKind,
    pub issued: AccountKind,
}

pub const CASHBACK: Kinds = Kinds {
    member: AccountKind::MemberCashback,
    debt: AccountKind::MemberCashbackDebt,
    issued: AccountKind::BrandCashbackIssued,
};

pub const STAMP_CARD: Kinds = Kinds {
    member: AccountKind::MemberStamps,
    debt: AccountKind::MemberStampsDebt,
    issued: AccountKind::BrandStampsIssued,
};

/// A paid membership's savings: given with a purchase, taken back with its return. Savings are
/// never spent, so a return always finds what it takes back (the debt kind is never used).
pub const SAVINGS: Kinds = Kinds {
    member: AccountKind::MemberMembershipSavings,
    debt: AccountKind::MemberMembershipSavings,
    issued: AccountKind::BrandMembershipDiscounts,
};

/// Which family a member account kind belongs to, for reversing what a purchase earned.
pub fn family(kind: AccountKind) -> Option<Family> {
    match kind {
        AccountKind::MemberPoints | AccountKind::MemberPointsDebt => Some(Family::Points),
        AccountKind::MemberCashback | AccountKind::MemberCashbackDebt => Some(Family::Cashback),
        AccountKind::MemberStamps | AccountKind::MemberStampsDebt => Some(Family::Stamps),
        AccountKind::MemberMembershipSavings => Some(Family::Savings),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Points,
    Cashback,
    Stamps,
    Savings,
}

/// Credits `amount` earned by `member` in `program` (repaying a debt first), as one transaction.
/// Returns the member account after the credit (locked on PostgreSQL until commit).
#[expect(clippy::too_many_arguments, reason = "one booking, all of it needed")]
pub async fn earn<C: ConnectionTrait>(
    tx: &Scoped<C>,
    kinds: Kinds,
    unit: &str,
    member: Uuid,
    program: Uuid,
    amount: i64,
    reason: String,
    cause: (crate::core::ledger::CauseType, Uuid),
    at: DateTime<Utc>,
) -> Result<ledger_account::Model, AppError> {
    let account = ledger::account(tx, kinds.member, Some(member), Some(program), unit).await?;
    let issued = ledger::account(tx, kinds.issued, None, Some(program), unit).await?;
    ledger::lock(tx, account.id).await?;
    let debt = ledger::existing_account(tx, kinds.debt, Some(member), Some(program)).await?;
    let repay = debt
        .as_ref()
        .map_or(0, |d| Ord::min(amount, -Ord::min(d.balance, 0)));
    let mut postings = vec![Posting::new(&issued, -amount)];
    if let Some(debt) = debt.as_ref().filter(|_| repay > 0) {
        postings.push(Posting::new(debt, repay));
    }
    if amount > repay {
        postings.push(Posting::new(&account, amount - repay));
    }
    let reason = if repay > 0 {
        format!("{reason} ({repay} repaying a debt)")
    } else {
        reason
    };
    ledger::post(
        tx,
        Header {
            kind: TransactionKind::Earn,
            reason,
            cause_type: cause.0,
            cause_id: Some(cause.1),
            member_id: Some(member),
            occurred_at: at,
        },
        postings,
    )
    .await?;
    tx.get::<ledger_account::Entity>(account.id).await
}

/// Takes back `amount` a purchase earned: what the balance covers, the rest as a debt.
/// Returns (taken from the balance, put in debt).
#[expect(clippy::too_many_arguments, reason = "one booking, all of it needed")]
pub async fn reverse<C: ConnectionTrait>(
    tx: &Scoped<C>,
    kinds: Kinds,
    unit: &str,
    member: Uuid,
    program: Uuid,
    amount: i64,
    reason: &str,
    purchase: Uuid,
    at: DateTime<Utc>,
) -> Result<(i64, i64), AppError> {
    let account = ledger::account(tx, kinds.member, Some(member), Some(program), unit).await?;
    let issued = ledger::account(tx, kinds.issued, None, Some(program), unit).await?;
    ledger::lock(tx, account.id).await?;
    let balance = tx.get::<ledger_account::Entity>(account.id).await?.balance;
    let taken = Ord::min(amount, balance.max(0));
    let owed = amount - taken;
    let mut postings = vec![Posting::new(&issued, amount)];
    if taken > 0 {
        postings.push(Posting::new(&account, -taken));
    }
    if owed > 0 {
        let debt = ledger::account(tx, kinds.debt, Some(member), Some(program), unit).await?;
        postings.push(Posting::new(&debt, -owed));
    }
    ledger::post(
        tx,
        Header {
            kind: TransactionKind::Return,
            reason: if owed > 0 {
                format!("{reason} ({owed} already spent, owed)")
            } else {
                reason.to_owned()
            },
            cause_type: crate::core::ledger::CauseType::Purchase,
            cause_id: Some(purchase),
            member_id: Some(member),
            occurred_at: at,
        },
        postings,
    )
    .await?;
    Ok((taken, owed))
}

/// Pays `amount` of a purchase with the member's cashback, taken from the member's cashback
/// accounts in program order. INSUFFICIENT_BALANCE when they do not cover it.
pub async fn spend_cashback<C: ConnectionTrait>(
    tx: &Scoped<C>,
    member: Uuid,
    amount: Money,
    purchase: Uuid,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    let currency = amount.currency().code();
    let amount = amount.minor();
    let accounts = tx
        .find::<ledger_account::Entity>()
        .filter(ledger_account::Column::MemberId.eq(member))
        .filter(ledger_account::Column::Kind.eq(AccountKind::MemberCashback))
        .filter(ledger_account::Column::Unit.eq(currency))
        .order_by_asc(ledger_account::Column::Id)
        .all(tx.db())
        .await?;
    let mut left = amount;
    let mut postings = Vec::new();
    for account in accounts {
        if left == 0 {
            break;
        }
        ledger::lock(tx, account.id).await?;
        let balance = tx.get::<ledger_account::Entity>(account.id).await?.balance;
        let take = Ord::min(balance, left);
        if take <= 0 {
            continue;
        }
        let spent = ledger::account(
            tx,
            AccountKind::BrandCashbackSpent,
            None,
            account.program_id,
            currency,
        )
        .await?;
        postings.push(Posting::new(&account, -take));
        postings.push(Posting::new(&spent, take));
        left -= take;
    }
    if left > 0 {
        return Err(AppError::InsufficientBalance(
            "the cashback balance does not cover this",
        ));
    }
    ledger::post(
        tx,
        Header {
            kind: TransactionKind::Redeem,
            reason: "paid with cashback".to_owned(),
            cause_type: crate::core::ledger::CauseType::Purchase,
            cause_id: Some(purchase),
            member_id: Some(member),
            occurred_at: at,
        },
        postings,
    )
    .await
    .map_err(|e| match e {
        AppError::InsufficientBalance(_) => {
            AppError::InsufficientBalance("the cashback balance does not cover this")
        }
        other => other,
    })?;
    Ok(())
}

/// Turns full stamp cards into rewards: takes `cards * per_card` stamps off the member's card
/// (one REDEEM transaction). The caller issues the reward vouchers.
#[expect(clippy::too_many_arguments, reason = "one booking, all of it needed")]
pub async fn convert_stamps<C: ConnectionTrait>(
    tx: &Scoped<C>,
    account: &ledger_account::Model,
    member: Uuid,
    program: Uuid,
    cards: i64,
    per_card: i64,
    purchase: Uuid,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    let converted = ledger::account(
        tx,
        AccountKind::BrandStampsConverted,
        None,
        Some(program),
        STAMPS,
    )
    .await?;
    let stamps = cards * per_card;
    ledger::post(
        tx,
        Header {
            kind: TransactionKind::Redeem,
            reason: format!("{stamps} stamps turned into {cards} reward(s)"),
            cause_type: crate::core::ledger::CauseType::Purchase,
            cause_id: Some(purchase),
            member_id: Some(member),
            occurred_at: at,
        },
        vec![
            Posting::new(account, -stamps),
            Posting::new(&converted, stamps),
        ],
    )
    .await?;
    Ok(())
}

/// A member's lot-less balances of one kind: (program, balance, debt) per program used.
pub async fn of_member<C: ConnectionTrait>(
    conn: &Scoped<C>,
    kinds: Kinds,
    member: Uuid,
) -> Result<Vec<(entity::program::Model, i64, i64)>, AppError> {
    let accounts = conn
        .find::<ledger_account::Entity>()
        .filter(ledger_account::Column::MemberId.eq(member))
        .filter(ledger_account::Column::Kind.is_in([kinds.member, kinds.debt]))
        .order_by_asc(ledger_account::Column::Id)
        .all(conn.db())
        .await?;
    let mut out: Vec<(entity::program::Model, i64, i64)> = Vec::new();
    for account in &accounts {
        let Some(program_id) = account.program_id else {
            continue;
        };
        let position = match out.iter().position(|(p, _, _)| p.id == program_id) {
            Some(i) => i,
            None => {
                let program = conn.get::<entity::program::Entity>(program_id).await?;
                out.push((program, 0, 0));
                out.len() - 1
            }
        };
        if account.kind == kinds.member {
            out[position].1 = account.balance;
        } else {
            out[position].2 = -Ord::min(account.balance, 0);
        }
    }
    Ok(out)
}

/// Takes back `amount` points of `program` from `member`: from the live lots (those in `prefer`
/// first, then soonest expiry first), the rest as a debt repaid from later earnings, against the
/// program's issued account, as one transaction (`header.reason` gets the owed part appended).
/// Returns (taken from the lots, put in debt).
pub async fn take_back_points<C: ConnectionTrait>(
    tx: &Scoped<C>,
    member: Uuid,
    program: Uuid,
    amount: i64,
    prefer: &[Uuid],
    mut header: Header,
) -> Result<(i64, i64), AppError> {
    use ledger::POINTS;
    let account = ledger::account(
        tx,
        AccountKind::MemberPoints,
        Some(member),
        Some(program),
        POINTS,
    )
    .await?;
    let issued = ledger::account(
        tx,
        AccountKind::BrandPointsIssued,
        None,
        Some(program),
        POINTS,
    )
    .await?;
    ledger::lock(tx, account.id).await?;
    let mut lots = ledger::live_lots(tx, account.id, tx.now()).await?;
    lots.sort_by_key(|l| (!prefer.contains(&l.id), l.expires_at, l.id));
    let available: i64 = lots.iter().map(|l| l.remaining).sum();
    let taken = Ord::min(amount, available);
    let debt = amount - taken;
    let mut postings = if taken > 0 {
        ledger::take_from_lots(&account, &lots, taken)?
    } else {
        Vec::new()
    };
    if debt > 0 {
        let debt_account = ledger::account(
            tx,
            AccountKind::MemberPointsDebt,
            Some(member),
            Some(program),
            POINTS,
        )
        .await?;
        postings.push(Posting::new(&debt_account, -debt));
        header.reason = format!("{} ({debt} already spent, owed)", header.reason);
    }
    postings.push(Posting::new(&issued, amount));
    ledger::post(tx, header, postings).await?;
    Ok((taken, debt))
}
