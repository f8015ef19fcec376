//! The ledger: append-only, double-entry. Every movement of points, stamps or money is one
//! transaction whose entries sum to zero per unit, with a reason and a cause. Account balances
//! and lot remainders are caches of the sums of their entries, updated in the same transaction;
//! member accounts never go below zero (a conditional update refuses it, so two concurrent
//! spends cannot both pass). `fidelis ledger verify` proves all of it. Posting and bounds are
//! the shared [`engine`]'s, the same as the coalition books' ([`coalition`]).

pub mod coalition;
pub mod engine;
pub mod verify;

use chrono::{DateTime, Utc};
use entity::{
    ledger_account::{self, AccountKind},
    ledger_entry, ledger_transaction, point_lot,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, ExprTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};
use uuid::Uuid;

use crate::core::{error::AppError, tenancy::Scoped};

pub const POINTS: &str = "POINTS";
pub const STAMPS: &str = "STAMPS";

fn account_code(kind: AccountKind, member: Option<Uuid>, program: Option<Uuid>) -> String {
    format!(
        "{}:{}:{}",
        kind.code(),
        member.map_or_else(|| "-".to_owned(), |m| m.to_string()),
        program.map_or_else(|| "-".to_owned(), |p| p.to_string())
    )
}

/// The account of `kind` for a member and/or program, if it was ever used.
pub async fn existing_account<C: ConnectionTrait>(
    tx: &Scoped<C>,
    kind: AccountKind,
    member: Option<Uuid>,
    program: Option<Uuid>,
) -> Result<Option<ledger_account::Model>, AppError> {
    let code = account_code(kind, member, program);
    Ok(tx
        .find::<ledger_account::Entity>()
        .filter(ledger_account::Column::Code.eq(code))
        .one(tx.db())
        .await?)
}

/// Several accounts at once (one query): each found account, or `None` if never used.
pub async fn existing_accounts<C: ConnectionTrait>(
    tx: &Scoped<C>,
    wanted: &[(AccountKind, Option<Uuid>, Option<Uuid>)],
) -> Result<Vec<Option<ledger_account::Model>>, AppError> {
    let codes: Vec<String> = wanted
        .iter()
        .map(|(kind, member, program)| account_code(*kind, *member, *program))
        .collect();
    let found = tx
        .find::<ledger_account::Entity>()
        .filter(ledger_account::Column::Code.is_in(codes.clone()))
        .all(tx.db())
        .await?;
    Ok(codes
        .iter()
        .map(|code| found.iter().find(|a| &a.code == code).cloned())
        .collect())
}

/// The account of `kind` for a member and/or program, created on first use.
pub async fn account<C: ConnectionTrait>(
    tx: &Scoped<C>,
    kind: AccountKind,
    member: Option<Uuid>,
    program: Option<Uuid>,
    unit: &str,
) -> Result<ledger_account::Model, AppError> {
    account_coded(
        tx,
        account_code(kind, member, program),
        kind,
        member,
        program,
        unit,
    )
    .await
}

/// Two brand accounts kept for one subject that is neither a member nor a program (an offer's
/// pair), found in one query and created
/// on first use.
pub async fn subject_accounts<C: ConnectionTrait>(
    tx: &Scoped<C>,
    kinds: [AccountKind; 2],
    subject: Uuid,
    unit: &str,
) -> Result<[ledger_account::Model; 2], AppError> {
    let codes = kinds.map(|k| format!("{}:subject:{subject}", k.code()));
    let found = tx
        .find::<ledger_account::Entity>()
        .filter(ledger_account::Column::Code.is_in(codes.clone()))
        .all(tx.db())
        .await?;
    let pick = |i: usize| found.iter().find(|a| a.code == codes[i]).cloned();
    let first = match pick(0) {
        Some(a) => a,
        None => account_coded(tx, codes[0].clone(), kinds[0], None, None, unit).await?,
    };
    let second = match pick(1) {
        Some(a) => a,
        None => account_coded(tx, codes[1].clone(), kinds[1], None, None, unit).await?,
    };
    Ok([first, second])
}

async fn account_coded<C: ConnectionTrait>(
    tx: &Scoped<C>,
    code: String,
    kind: AccountKind,
    member: Option<Uuid>,
    program: Option<Uuid>,
    unit: &str,
) -> Result<ledger_account::Model, AppError> {
    let find = || {
        tx.find::<ledger_account::Entity>()
            .filter(ledger_account::Column::Code.eq(&code))
    };
    if let Some(found) = find().one(tx.db()).await? {
        return Ok(found);
    }
    tx.insert_if_absent(
        ledger_account::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tx.tenant_id()),
            code: Set(code.clone()),
            kind: Set(kind),
            member_id: Set(member),
            program_id: Set(program),
            unit: Set(unit.to_owned()),
            balance: Set(0),
            created_at: Set(tx.now()),
        },
        vec![
            ledger_account::Column::TenantId,
            ledger_account::Column::Code,
        ],
    )
    .await?;
    find()
        .one(tx.db())
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("account {code} vanished")))
}

/// What caused a ledger transaction (stored as its `cause_type`, with the cause's id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CauseType {
    Purchase,
    Birthday,
    Enrolment,
    Expiry,
    Gesture,
    Membership,
    Reward,
    StoredValue,
    Voucher,
    Contest,
    Referral,
    Event,
}

impl CauseType {
    /// The stored name (`purchase`, `stored_value`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Purchase => "purchase",
            Self::Birthday => "birthday",
            Self::Enrolment => "enrolment",
            Self::Expiry => "expiry",
            Self::Gesture => "gesture",
            Self::Membership => "membership",
            Self::Reward => "reward",
            Self::StoredValue => "stored_value",
            Self::Voucher => "voucher",
            Self::Contest => "contest",
            Self::Referral => "referral",
            Self::Event => "event",
        }
    }
}

/// What a transaction is about.
#[derive(Debug, Clone)]
pub struct Header {
    pub kind: ledger_transaction::TransactionKind,
    pub reason: String,
    pub cause_type: CauseType,
    pub cause_id: Option<Uuid>,
    pub member_id: Option<Uuid>,
    pub occurred_at: DateTime<Utc>,
}

/// One entry to post: a leg of the shared engine, bounded by its account's kind.
pub type Posting = engine::Leg;

impl engine::LedgerAccount for ledger_account::Model {
    fn account_id(&self) -> Uuid {
        self.id
    }
    fn unit(&self) -> &str {
        &self.unit
    }
    fn never_negative(&self) -> bool {
        self.kind.never_negative()
    }
    fn never_positive(&self) -> bool {
        self.kind.never_positive()
    }
}

impl engine::AccountTable for ledger_account::Entity {
    fn id_column() -> Self::Column {
        ledger_account::Column::Id
    }
    fn balance_column() -> Self::Column {
        ledger_account::Column::Balance
    }
}

/// Posts a balanced transaction: inserts it and its entries, and moves the cached balances and
/// lot remainders. A member account or a lot that would go below zero refuses the whole
/// transaction with INSUFFICIENT_BALANCE (the caller's database transaction is then dropped).
pub async fn post<C: ConnectionTrait>(
    tx: &Scoped<C>,
    header: Header,
    postings: Vec<Posting>,
) -> Result<Uuid, AppError> {
    engine::check_balanced(&postings)?;
    let id = Uuid::now_v7();
    tx.insert(ledger_transaction::ActiveModel {
        id: Set(id),
        tenant_id: Set(tx.tenant_id()),
        kind: Set(header.kind),
        reason: Set(header.reason),
        cause_type: Set(header.cause_type.as_str().to_owned()),
        cause_id: Set(header.cause_id),
        member_id: Set(header.member_id),
        occurred_at: Set(header.occurred_at),
        created_at: Set(tx.now()),
    })
    .await?;
    let mut entries = Vec::with_capacity(postings.len());
    for p in postings {
        let update = engine::bounded_move(tx.update_many::<ledger_account::Entity>(), &p);
        if update.exec(tx.db()).await?.rows_affected != 1 {
            return Err(AppError::InsufficientBalance(
                "the balance does not cover this",
            ));
        }
        if let Some(lot) = p.lot {
            let moved = tx
                .update_many::<point_lot::Entity>()
                .col_expr(
                    point_lot::Column::Remaining,
                    Expr::col(point_lot::Column::Remaining).add(p.amount),
                )
                .filter(point_lot::Column::Id.eq(lot))
                .filter(Expr::col(point_lot::Column::Remaining).add(p.amount).gte(0))
                .filter(
                    Expr::col(point_lot::Column::Remaining)
                        .add(p.amount)
                        .lte(Expr::col(point_lot::Column::Amount)),
                )
                .exec(tx.db())
                .await?;
            if moved.rows_affected != 1 {
                return Err(AppError::InsufficientBalance(
                    "these points were already used or expired",
                ));
            }
        }
        entries.push(ledger_entry::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tx.tenant_id()),
            transaction_id: Set(id),
            account_id: Set(p.account),
            unit: Set(p.unit),
            amount: Set(p.amount),
            lot_id: Set(p.lot),
        });
    }
    tx.insert_all(entries).await?;
    Ok(id)
}

/// Takes the account's row lock (PostgreSQL) before reading what to spend, so that concurrent
/// spenders of one balance queue instead of reading the same lots. SQLite writers are already
/// serialised by `BEGIN IMMEDIATE`.
pub async fn lock<C: ConnectionTrait>(tx: &Scoped<C>, account: Uuid) -> Result<(), AppError> {
    tx.update_many::<ledger_account::Entity>()
        .col_expr(
            ledger_account::Column::Balance,
            Expr::col(ledger_account::Column::Balance),
        )
        .filter(ledger_account::Column::Id.eq(account))
        .exec(tx.db())
        .await?;
    Ok(())
}

/// A new, empty lot; the earning posting on it fills it.
pub async fn new_lot<C: ConnectionTrait>(
    tx: &Scoped<C>,
    account: &ledger_account::Model,
    member: Uuid,
    amount: i64,
    earned_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<Uuid, AppError> {
    let id = Uuid::now_v7();
    tx.insert(point_lot::ActiveModel {
        id: Set(id),
        tenant_id: Set(tx.tenant_id()),
        account_id: Set(account.id),
        member_id: Set(member),
        earned_at: Set(earned_at),
        expires_at: Set(expires_at),
        amount: Set(amount),
        remaining: Set(0),
    })
    .await?;
    Ok(id)
}

/// Books the expiry of one lot that reached its expiry date: one EXPIRE transaction, dated at
/// the expiry instant, moving what remains to the program's breakage account. Returns the
/// points expired (0 when nothing was left or it is not due).
pub async fn expire_lot<C: ConnectionTrait>(
    tx: &Scoped<C>,
    lot: &point_lot::Model,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    if lot.remaining <= 0 || lot.expires_at > now {
        return Ok(0);
    }
    let account = tx.get::<ledger_account::Entity>(lot.account_id).await?;
    let breakage = self::account(
        tx,
        AccountKind::BrandPointsExpired,
        None,
        account.program_id,
        POINTS,
    )
    .await?;
    let txn = post(
        tx,
        Header {
            kind: ledger_transaction::TransactionKind::Expire,
            reason: format!(
                "{} points expired (earned {})",
                lot.remaining,
                lot.earned_at.format("%Y-%m-%d")
            ),
            cause_type: crate::core::ledger::CauseType::Expiry,
            cause_id: Some(lot.id),
            member_id: Some(lot.member_id),
            occurred_at: lot.expires_at,
        },
        vec![
            Posting::new(&account, -lot.remaining).on_lot(lot.id),
            Posting::new(&breakage, lot.remaining),
        ],
    )
    .await?;
    crate::core::events::append(
        tx,
        "points.expired",
        Some(txn),
        Some(lot.member_id),
        serde_json::json!({ "lot": lot.id, "points": lot.remaining, "program": account.program_id }),
    )
    .await?;
    Ok(lot.remaining)
}

/// Books, in the caller's transaction, the expiry of every lot of `account` due at `now`, so
/// that a balance read or spent right after a lot's expiry instant agrees with the history
/// (points are gone at their expiry instant, whether or not the expiry job has run). Call after
/// [`lock`].
pub async fn expire_due<C: ConnectionTrait>(
    tx: &Scoped<C>,
    account: Uuid,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    let due = tx
        .find::<point_lot::Entity>()
        .filter(point_lot::Column::AccountId.eq(account))
        .filter(point_lot::Column::Remaining.gt(0))
        .filter(point_lot::Column::ExpiresAt.lte(now))
        .all(tx.db())
        .await?;
    let mut expired = 0;
    for lot in &due {
        expired += expire_lot(tx, lot, now).await?;
    }
    Ok(expired)
}

/// Live lots of an account at `at`, soonest expiry first (the order points are spent in).
pub async fn live_lots<C: ConnectionTrait>(
    tx: &Scoped<C>,
    account: Uuid,
    at: DateTime<Utc>,
) -> Result<Vec<point_lot::Model>, AppError> {
    Ok(tx
        .find::<point_lot::Entity>()
        .filter(point_lot::Column::AccountId.eq(account))
        .filter(point_lot::Column::Remaining.gt(0))
        .filter(point_lot::Column::ExpiresAt.gt(at))
        .order_by_asc(point_lot::Column::ExpiresAt)
        .order_by_asc(point_lot::Column::Id)
        .all(tx.db())
        .await?)
}

/// Postings taking `amount` points from the live lots, oldest expiry first; INSUFFICIENT_BALANCE
/// when the live lots do not cover it. Call [`lock`] first.
pub fn take_from_lots(
    account: &ledger_account::Model,
    lots: &[point_lot::Model],
    amount: i64,
) -> Result<Vec<Posting>, AppError> {
    let mut left = amount;
    let mut postings = Vec::new();
    for lot in lots {
        if left == 0 {
            break;
        }
        let take = Ord::min(lot.remaining, left);
        postings.push(Posting::new(account, -take).on_lot(lot.id));
        left -= take;
    }
    if left > 0 {
        return Err(AppError::InsufficientBalance("not enough points"));
    }
    Ok(postings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_are_taken_from_the_soonest_expiring_lots() {
        let account = ledger_account::Model {
            id: Uuid::nil(),
            tenant_id: Uuid::nil(),
            code: String::new(),
            kind: AccountKind::MemberPoints,
            member_id: None,
            program_id: None,
            unit: POINTS.to_owned(),
            balance: 0,
            created_at: Utc::now(),
        };
        let lot = |remaining| point_lot::Model {
            id: Uuid::now_v7(),
            tenant_id: Uuid::nil(),
            account_id: Uuid::nil(),
            member_id: Uuid::nil(),
            earned_at: Utc::now(),
            expires_at: Utc::now(),
            amount: remaining,
            remaining,
        };
        let lots = [lot(30), lot(50)];
        let taken = take_from_lots(&account, &lots, 40).unwrap_or_default();
        assert_eq!(
            taken.iter().map(|p| (p.lot, p.amount)).collect::<Vec<_>>(),
            [(Some(lots[0].id), -30), (Some(lots[1].id), -10)]
        );
        assert!(take_from_lots(&account, &lots, 81).is_err());
    }
}
