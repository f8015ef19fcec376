//! Points given outside earning and taken back (premiums of offers, contest prizes and refunds,
//! referral and attendance rewards, and their reversal): balanced ledger transactions against
//! the program's issued account, credits in a new lot lasting as the program's points do.

use chrono::{DateTime, Utc};
use entity::{ledger_account::AccountKind, ledger_transaction::TransactionKind};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::core::{
    error::AppError,
    ledger::{self, CauseType, Header, POINTS, Posting},
    tenancy::Scoped,
};

/// Points credited while their program has no points rules in force last this long.
const FALLBACK_MONTHS: u32 = 12;

/// Credits `points` of `program` to `member` (a new lot, whose id is returned), as one
/// transaction, from `counter`: the brand's issued account for something given, its redeemed
/// account for points given back.
pub(crate) async fn credit<C: ConnectionTrait>(
    tx: &Scoped<C>,
    member: Uuid,
    program: Uuid,
    points: i64,
    reason: String,
    cause: (TransactionKind, CauseType, Uuid),
    counter: AccountKind,
) -> Result<Uuid, AppError> {
    let now = tx.now();
    let months = match crate::loyalty::programs::rules_at(tx, program, now).await? {
        Some((rules, _)) => rules
            .points()
            .map_or(FALLBACK_MONTHS, |r| r.validity_months),
        None => FALLBACK_MONTHS,
    };
    let account = ledger::account(
        tx,
        AccountKind::MemberPoints,
        Some(member),
        Some(program),
        POINTS,
    )
    .await?;
    let issued = ledger::account(tx, counter, None, Some(program), POINTS).await?;
    let lot = ledger::new_lot(
        tx,
        &account,
        member,
        points,
        now,
        crate::loyalty::members::add_months(now, months),
    )
    .await?;
    ledger::post(
        tx,
        Header {
            kind: cause.0,
            reason,
            cause_type: cause.1,
            cause_id: Some(cause.2),
            member_id: Some(member),
            occurred_at: now,
        },
        vec![
            Posting::new(&account, points).on_lot(lot),
            Posting::new(&issued, -points),
        ],
    )
    .await?;
    Ok(lot)
}

/// How many points of these lots expired (expiries due by now booked first, so that "expired"
/// means the same as in the member's balance and history): what a reversal of the lots'
/// points must not take a second time.
pub(crate) async fn expired_of_lots<C: ConnectionTrait>(
    tx: &Scoped<C>,
    member: Uuid,
    program: Uuid,
    lots: &[Uuid],
) -> Result<i64, AppError> {
    use entity::{ledger_entry, ledger_transaction};
    use sea_orm::{ColumnTrait, QueryFilter};
    let account = ledger::account(
        tx,
        AccountKind::MemberPoints,
        Some(member),
        Some(program),
        POINTS,
    )
    .await?;
    ledger::lock(tx, account.id).await?;
    ledger::expire_due(tx, account.id, tx.now()).await?;
    if lots.is_empty() {
        return Ok(0);
    }
    let expiries: Vec<Uuid> = tx
        .find::<ledger_transaction::Entity>()
        .filter(ledger_transaction::Column::CauseType.eq("expiry"))
        .filter(ledger_transaction::Column::CauseId.is_in(lots.iter().copied()))
        .filter(ledger_transaction::Column::Kind.eq(TransactionKind::Expire))
        .all(tx.db())
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    Ok(tx
        .find::<ledger_entry::Entity>()
        .filter(ledger_entry::Column::TransactionId.is_in(expiries))
        .filter(ledger_entry::Column::LotId.is_in(lots.iter().copied()))
        .all(tx.db())
        .await?
        .iter()
        .map(|e| -e.amount)
        .sum())
}

/// Takes back `points` given earlier: what the member's live lots cover, the rest as a debt
/// repaid from later earnings. Returns (taken, owed).
pub(crate) async fn take_back<C: ConnectionTrait>(
    tx: &Scoped<C>,
    member: Uuid,
    program: Uuid,
    points: i64,
    reason: String,
    cause: (TransactionKind, CauseType, Uuid),
    at: DateTime<Utc>,
) -> Result<(i64, i64), AppError> {
    crate::loyalty::balances::take_back_points(
        tx,
        member,
        program,
        points,
        &[],
        Header {
            kind: cause.0,
            reason,
            cause_type: cause.1,
            cause_id: Some(cause.2),
            member_id: Some(member),
            occurred_at: at,
        },
    )
    .await
}
