//! The coalition ledger's tables. They span brands by nature (a coalition account is used at
//! every member brand), so they are read and written here rather than through a brand's
//! `TenantScope`; `domain::coalition_points` and `domain::settlement` decide who may do what.
//!
//! Same discipline as the brand ledger: append-only transactions whose entries sum to zero per
//! unit; account balances are caches moved in the same database transaction by conditional
//! updates (a member's points never go below zero, a prepaid block never below its reserve).
//!
//! Size: over 500 lines on purpose: the coalition books' store: accounts, transactions, periods,
//! statements and cards, every query on coalition tables in one place.
#![expect(
    clippy::disallowed_methods,
    reason = "the coalition ledger spans brands by design; access rules live in domain::coalition_points and domain::settlement"
)]

use chrono::{DateTime, Utc};
use entity::{
    coalition,
    coalition_account::{self, CoalitionAccountKind},
    coalition_consent, coalition_entry, coalition_member, coalition_period, coalition_statement,
    coalition_txn::{self, CoalitionTxnKind},
};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, OnConflict},
};
use uuid::Uuid;

use crate::core::error::AppError;

pub const POINTS: &str = "POINTS";

/// The coalition row, locked for the rest of the transaction: shared by every booking (they
/// run side by side), exclusive for closing a period (it waits for bookings in flight and
/// holds new ones back until the period is written). SQLite writers are serialised anyway.
pub async fn lock_coalition<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    exclusive: bool,
) -> Result<coalition::Model, AppError> {
    let select = coalition::Entity::find_by_id(id);
    let select = if conn.get_database_backend() == sea_orm::DbBackend::Postgres {
        if exclusive {
            select.lock_exclusive()
        } else {
            select.lock_shared()
        }
    } else {
        select
    };
    select.one(conn).await?.ok_or(AppError::NotFound)
}

fn account_code(kind: CoalitionAccountKind, brand: Option<Uuid>, member: Option<Uuid>) -> String {
    let id = |v: Option<Uuid>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
    format!("{}:{}:{}", kind.code(), id(brand), id(member))
}

/// The account of `kind` for a brand and/or coalition member, created on first use.
pub async fn account<C: ConnectionTrait>(
    conn: &C,
    coalition: Uuid,
    kind: CoalitionAccountKind,
    brand: Option<Uuid>,
    member: Option<Uuid>,
    unit: &str,
) -> Result<coalition_account::Model, AppError> {
    let code = account_code(kind, brand, member);
    let find = || {
        coalition_account::Entity::find()
            .filter(coalition_account::Column::CoalitionId.eq(coalition))
            .filter(coalition_account::Column::Code.eq(&code))
    };
    if let Some(found) = find().one(conn).await? {
        return Ok(found);
    }
    coalition_account::Entity::insert(coalition_account::ActiveModel {
        id: Set(Uuid::now_v7()),
        coalition_id: Set(coalition),
        code: Set(code.clone()),
        kind: Set(kind),
        brand_id: Set(brand),
        coalition_member_id: Set(member),
        unit: Set(unit.to_owned()),
        balance: Set(0),
        created_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([
            coalition_account::Column::CoalitionId,
            coalition_account::Column::Code,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    find()
        .one(conn)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("coalition account {code} vanished")))
}

/// The account if it was ever used.
pub async fn existing_account<C: ConnectionTrait>(
    conn: &C,
    coalition: Uuid,
    kind: CoalitionAccountKind,
    brand: Option<Uuid>,
    member: Option<Uuid>,
) -> Result<Option<coalition_account::Model>, AppError> {
    Ok(coalition_account::Entity::find()
        .filter(coalition_account::Column::CoalitionId.eq(coalition))
        .filter(coalition_account::Column::Code.eq(account_code(kind, brand, member)))
        .one(conn)
        .await?)
}

/// One line to post: a leg of the shared engine (coalition accounts carry no bound of their
/// own; callers set floors and ceilings).
pub type Leg = crate::core::ledger::engine::Leg;

impl crate::core::ledger::engine::LedgerAccount for coalition_account::Model {
    fn account_id(&self) -> Uuid {
        self.id
    }
    fn unit(&self) -> &str {
        &self.unit
    }
}

impl crate::core::ledger::engine::AccountTable for coalition_account::Entity {
    fn id_column() -> Self::Column {
        coalition_account::Column::Id
    }
    fn balance_column() -> Self::Column {
        coalition_account::Column::Balance
    }
}

/// What a transaction is about.
#[derive(Debug, Clone)]
pub struct Header {
    pub kind: CoalitionTxnKind,
    pub brand_id: Option<Uuid>,
    pub member_id: Option<Uuid>,
    pub reference: Option<String>,
    pub amount_minor: Option<i64>,
    pub cause_id: Option<Uuid>,
    pub occurred_at: DateTime<Utc>,
    pub period_start: DateTime<Utc>,
    pub late: bool,
}

/// Posts a balanced transaction. A bound that would be crossed refuses the whole transaction
/// with `refusal` (the caller's database transaction is then dropped).
pub async fn post<C: ConnectionTrait>(
    conn: &C,
    coalition: Uuid,
    header: Header,
    legs: Vec<Leg>,
    refusal: AppError,
) -> Result<coalition_txn::Model, AppError> {
    crate::core::ledger::engine::check_balanced(&legs)?;
    let txn = coalition_txn::ActiveModel {
        id: Set(Uuid::now_v7()),
        coalition_id: Set(coalition),
        kind: Set(header.kind),
        brand_id: Set(header.brand_id),
        coalition_member_id: Set(header.member_id),
        reference: Set(header.reference),
        amount_minor: Set(header.amount_minor),
        returned_minor: Set(0),
        cause_id: Set(header.cause_id),
        period_start: Set(header.period_start),
        late: Set(header.late),
        occurred_at: Set(header.occurred_at),
        created_at: Set(Utc::now()),
    }
    .insert(conn)
    .await?;
    let mut entries = Vec::with_capacity(legs.len());
    for leg in legs {
        let update = crate::core::ledger::engine::bounded_move(
            coalition_account::Entity::update_many(),
            &leg,
        );
        if update.exec(conn).await?.rows_affected != 1 {
            return Err(refusal);
        }
        entries.push(coalition_entry::ActiveModel {
            id: Set(Uuid::now_v7()),
            txn_id: Set(txn.id),
            account_id: Set(leg.account),
            unit: Set(leg.unit),
            amount: Set(leg.amount),
        });
    }
    coalition_entry::Entity::insert_many(entries)
        .exec_without_returning(conn)
        .await?;
    Ok(txn)
}

/// Starts of the closed periods of a coalition from `from` on, in order.
pub async fn closed_starts_from<C: ConnectionTrait>(
    conn: &C,
    coalition: Uuid,
    from: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, AppError> {
    Ok(coalition_period::Entity::find()
        .filter(coalition_period::Column::CoalitionId.eq(coalition))
        .filter(coalition_period::Column::PeriodStart.gte(from))
        .order_by_asc(coalition_period::Column::PeriodStart)
        .all(conn)
        .await?
        .into_iter()
        .map(|p| p.period_start)
        .collect())
}

pub async fn member_by_card<C: ConnectionTrait>(
    conn: &C,
    coalition: Uuid,
    card: &str,
) -> Result<Option<coalition_member::Model>, AppError> {
    Ok(coalition_member::Entity::find()
        .filter(coalition_member::Column::CoalitionId.eq(coalition))
        .filter(coalition_member::Column::CardNumber.eq(card))
        .one(conn)
        .await?)
}

pub async fn member_of<C: ConnectionTrait>(
    conn: &C,
    coalition: Uuid,
    member: Uuid,
) -> Result<Option<coalition_member::Model>, AppError> {
    Ok(coalition_member::Entity::find()
        .filter(coalition_member::Column::CoalitionId.eq(coalition))
        .filter(coalition_member::Column::MemberId.eq(member))
        .one(conn)
        .await?)
}

/// Inserts a coalition account; `false` if this brand member already has one (or the card
/// number is taken).
pub async fn insert_member<C: ConnectionTrait>(
    conn: &C,
    model: coalition_member::ActiveModel,
) -> Result<bool, AppError> {
    match model.insert(conn).await {
        Ok(_) => Ok(true),
        Err(e) if crate::core::db::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Replaces the brands a coalition member shares their profile with.
pub async fn set_consents<C: ConnectionTrait>(
    conn: &C,
    member: Uuid,
    brands: &[Uuid],
) -> Result<(), AppError> {
    coalition_consent::Entity::delete_many()
        .filter(coalition_consent::Column::CoalitionMemberId.eq(member))
        .exec(conn)
        .await?;
    if brands.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    coalition_consent::Entity::insert_many(brands.iter().map(|b| coalition_consent::ActiveModel {
        coalition_member_id: Set(member),
        brand_id: Set(*b),
        granted_at: Set(now),
    }))
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

pub async fn consents<C: ConnectionTrait>(conn: &C, member: Uuid) -> Result<Vec<Uuid>, AppError> {
    Ok(coalition_consent::Entity::find()
        .filter(coalition_consent::Column::CoalitionMemberId.eq(member))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| c.brand_id)
        .collect())
}

/// Records an earning or spending at `at`: the last activity moves forward, never back, except
/// for the first movement (the card's join time is only a placeholder until then, so that a
/// brand importing its history dates activity by the movements).
pub async fn touch_member<C: ConnectionTrait>(
    conn: &C,
    member: Uuid,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    coalition_member::Entity::update_many()
        .col_expr(coalition_member::Column::LastActivityAt, Expr::value(at))
        .filter(coalition_member::Column::Id.eq(member))
        .filter(
            coalition_member::Column::LastActivityAt
                .lt(at)
                .or(Expr::col(coalition_member::Column::LastActivityAt)
                    .eq(Expr::col(coalition_member::Column::CreatedAt))),
        )
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn txn<C: ConnectionTrait>(
    conn: &C,
    coalition: Uuid,
    id: Uuid,
) -> Result<Option<coalition_txn::Model>, AppError> {
    Ok(coalition_txn::Entity::find_by_id(id)
        .filter(coalition_txn::Column::CoalitionId.eq(coalition))
        .one(conn)
        .await?)
}

/// Adds `amount` to what was returned of an earning, only if it stays within the purchase:
/// two racing returns cannot both take the last part.
pub async fn add_returned<C: ConnectionTrait>(
    conn: &C,
    earn: Uuid,
    amount: i64,
) -> Result<bool, AppError> {
    let moved = coalition_txn::Entity::update_many()
        .col_expr(
            coalition_txn::Column::ReturnedMinor,
            Expr::col(coalition_txn::Column::ReturnedMinor).add(amount),
        )
        .filter(coalition_txn::Column::Id.eq(earn))
        .filter(
            Expr::col(coalition_txn::Column::ReturnedMinor)
                .add(amount)
                .lte(Expr::col(coalition_txn::Column::AmountMinor)),
        )
        .exec(conn)
        .await?;
    Ok(moved.rows_affected == 1)
}

/// How one transaction moved a card: its balance (MEMBER_POINTS) and its debt (MEMBER_DEBT,
/// negative when more is owed, positive when a debt is repaid).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CardChange {
    pub balance: i64,
    pub debt: i64,
}

/// The card's balance and debt changes of each of `txns`.
pub async fn card_changes<C: ConnectionTrait>(
    conn: &C,
    member: Uuid,
    txns: &[Uuid],
) -> Result<Vec<(Uuid, CardChange)>, AppError> {
    let accounts: Vec<(Uuid, CoalitionAccountKind)> = coalition_account::Entity::find()
        .filter(coalition_account::Column::CoalitionMemberId.eq(member))
        .filter(coalition_account::Column::Kind.is_in([
            CoalitionAccountKind::MemberPoints,
            CoalitionAccountKind::MemberDebt,
        ]))
        .all(conn)
        .await?
        .into_iter()
        .map(|a| (a.id, a.kind))
        .collect();
    let entries = coalition_entry::Entity::find()
        .filter(coalition_entry::Column::TxnId.is_in(txns.iter().copied()))
        .filter(coalition_entry::Column::AccountId.is_in(accounts.iter().map(|(id, _)| *id)))
        .all(conn)
        .await?;
    Ok(txns
        .iter()
        .map(|t| {
            let mut change = CardChange::default();
            for e in entries.iter().filter(|e| e.txn_id == *t) {
                match accounts.iter().find(|(id, _)| *id == e.account_id) {
                    Some((_, CoalitionAccountKind::MemberDebt)) => change.debt += e.amount,
                    Some(_) => change.balance += e.amount,
                    None => {}
                }
            }
            (*t, change)
        })
        .collect())
}

/// The card's movements, newest first, with how each moved its balance and debt.
pub async fn movements_of<C: ConnectionTrait>(
    conn: &C,
    member: Uuid,
    limit: u64,
) -> Result<Vec<(coalition_txn::Model, CardChange)>, AppError> {
    let txns = coalition_txn::Entity::find()
        .filter(coalition_txn::Column::CoalitionMemberId.eq(member))
        .order_by_desc(coalition_txn::Column::Id)
        .limit(limit)
        .all(conn)
        .await?;
    let ids: Vec<Uuid> = txns.iter().map(|t| t.id).collect();
    let changes = card_changes(conn, member, &ids).await?;
    Ok(txns
        .into_iter()
        .zip(changes)
        .map(|(t, (_, change))| (t, change))
        .collect())
}

/// Sums of one period's point entries per brand, account kind and transaction kind, and its
/// late transactions per brand: the raw figures of a statement.
#[derive(Debug, Clone, Default)]
pub struct PeriodSums {
    pub sums: Vec<(Option<Uuid>, String, String, i64)>,
    pub late: Vec<(Option<Uuid>, i64)>,
}

pub async fn period_sums<C: ConnectionTrait>(
    conn: &C,
    coalition: Uuid,
    period_start: DateTime<Utc>,
) -> Result<PeriodSums, AppError> {
    let backend = conn.get_database_backend();
    let pg = backend == sea_orm::DbBackend::Postgres;
    let (p1, p2, p3) = if pg {
        ("$1", "$2", "$3")
    } else {
        ("?", "?", "?")
    };
    let sql = format!(
        "SELECT t.brand_id AS brand, a.kind AS akind, t.kind AS tkind, \
         CAST(SUM(e.amount) AS BIGINT) AS v FROM coalition_entry e \
         JOIN coalition_txn t ON t.id = e.txn_id JOIN coalition_account a ON a.id = e.account_id \
         WHERE t.coalition_id = {p1} AND t.period_start = {p2} AND e.unit = {p3} \
         GROUP BY t.brand_id, a.kind, t.kind"
    );
    let rows = conn
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            sql,
            [coalition.into(), period_start.into(), POINTS.into()],
        ))
        .await?;
    let mut out = PeriodSums::default();
    for row in rows {
        out.sums.push((
            row.try_get::<Option<Uuid>>("", "brand")?,
            row.try_get::<String>("", "akind")?,
            row.try_get::<String>("", "tkind")?,
            row.try_get::<i64>("", "v")?,
        ));
    }
    let sql = format!(
        "SELECT brand_id AS brand, CAST(COUNT(*) AS BIGINT) AS n FROM coalition_txn \
         WHERE coalition_id = {p1} AND period_start = {p2} AND late = {p3} GROUP BY brand_id"
    );
    let rows = conn
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            sql,
            [coalition.into(), period_start.into(), true.into()],
        ))
        .await?;
    for row in rows {
        out.late.push((
            row.try_get::<Option<Uuid>>("", "brand")?,
            row.try_get::<i64>("", "n")?,
        ));
    }
    Ok(out)
}

/// Brands with a transaction in a period.
pub async fn brands_in_period<C: ConnectionTrait>(
    conn: &C,
    coalition: Uuid,
    period_start: DateTime<Utc>,
) -> Result<Vec<Uuid>, AppError> {
    let ids: Vec<Option<Uuid>> = coalition_txn::Entity::find()
        .select_only()
        .column(coalition_txn::Column::BrandId)
        .distinct()
        .filter(coalition_txn::Column::CoalitionId.eq(coalition))
        .filter(coalition_txn::Column::PeriodStart.eq(period_start))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(ids.into_iter().flatten().collect())
}

pub async fn period<C: ConnectionTrait>(
    conn: &C,
    coalition: Uuid,
    start: DateTime<Utc>,
) -> Result<Option<(coalition_period::Model, Vec<coalition_statement::Model>)>, AppError> {
    let Some(period) = coalition_period::Entity::find()
        .filter(coalition_period::Column::CoalitionId.eq(coalition))
        .filter(coalition_period::Column::PeriodStart.eq(start))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let statements = coalition_statement::Entity::find()
        .filter(coalition_statement::Column::PeriodId.eq(period.id))
        .order_by_asc(coalition_statement::Column::Id)
        .all(conn)
        .await?;
    Ok(Some((period, statements)))
}

/// Every closed period (for `ledger verify`).
pub async fn all_periods<C: ConnectionTrait>(
    conn: &C,
) -> Result<Vec<coalition_period::Model>, AppError> {
    Ok(coalition_period::Entity::find()
        .order_by_asc(coalition_period::Column::Id)
        .all(conn)
        .await?)
}

pub async fn insert_period<C: ConnectionTrait>(
    conn: &C,
    period: coalition_period::ActiveModel,
    statements: Vec<coalition_statement::ActiveModel>,
) -> Result<(), AppError> {
    period.insert(conn).await?;
    if !statements.is_empty() {
        coalition_statement::Entity::insert_many(statements)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

pub async fn statement<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<coalition_statement::Model>, AppError> {
    Ok(coalition_statement::Entity::find_by_id(id)
        .one(conn)
        .await?)
}

/// Marks a statement paid, only if it was not: two racing payments cannot both pass.
pub async fn mark_paid<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    at: DateTime<Utc>,
    reference: &str,
    txn: Option<Uuid>,
) -> Result<bool, AppError> {
    let moved = coalition_statement::Entity::update_many()
        .col_expr(coalition_statement::Column::PaidAt, Expr::value(Some(at)))
        .col_expr(
            coalition_statement::Column::PaymentReference,
            Expr::value(Some(reference.to_owned())),
        )
        .col_expr(coalition_statement::Column::PaymentTxnId, Expr::value(txn))
        .filter(coalition_statement::Column::Id.eq(id))
        .filter(coalition_statement::Column::PaidAt.is_null())
        .exec(conn)
        .await?;
    Ok(moved.rows_affected == 1)
}

/// Money entries of a transaction, per brand (operator entries under `None`).
pub async fn money_of_txn<C: ConnectionTrait>(
    conn: &C,
    txn: Uuid,
) -> Result<Vec<(Option<Uuid>, i64)>, AppError> {
    let entries = coalition_entry::Entity::find()
        .filter(coalition_entry::Column::TxnId.eq(txn))
        .all(conn)
        .await?;
    let accounts = coalition_account::Entity::find()
        .filter(coalition_account::Column::Id.is_in(entries.iter().map(|e| e.account_id)))
        .all(conn)
        .await?;
    Ok(entries
        .iter()
        .map(|e| {
            let brand = accounts
                .iter()
                .find(|a| a.id == e.account_id)
                .and_then(|a| a.brand_id);
            (brand, e.amount)
        })
        .collect())
}

/// Coalition members with points whose last activity is at or before `cutoff`.
pub async fn dormant_members<C: ConnectionTrait>(
    conn: &C,
    coalition: Uuid,
    cutoff: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<(coalition_member::Model, coalition_account::Model)>, AppError> {
    let accounts = coalition_account::Entity::find()
        .filter(coalition_account::Column::CoalitionId.eq(coalition))
        .filter(coalition_account::Column::Kind.eq(CoalitionAccountKind::MemberPoints))
        .filter(coalition_account::Column::Balance.gt(0))
        .all(conn)
        .await?;
    let members = coalition_member::Entity::find()
        .filter(
            coalition_member::Column::Id
                .is_in(accounts.iter().filter_map(|a| a.coalition_member_id)),
        )
        .filter(coalition_member::Column::LastActivityAt.lte(cutoff))
        .order_by_asc(coalition_member::Column::Id)
        .limit(limit)
        .all(conn)
        .await?;
    Ok(members
        .into_iter()
        .filter_map(|m| {
            let account = accounts
                .iter()
                .find(|a| a.coalition_member_id == Some(m.id))?
                .clone();
            Some((m, account))
        })
        .collect())
}

pub async fn all_coalitions<C: ConnectionTrait>(
    conn: &C,
) -> Result<Vec<coalition::Model>, AppError> {
    Ok(coalition::Entity::find().all(conn).await?)
}

pub async fn account_by_id<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<coalition_account::Model>, AppError> {
    Ok(coalition_account::Entity::find_by_id(id).one(conn).await?)
}

pub async fn member_by_id<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<coalition_member::Model>, AppError> {
    Ok(coalition_member::Entity::find_by_id(id).one(conn).await?)
}

/// Takes the account's row lock (PostgreSQL) before reading its balance, so that movements of
/// one account queue. SQLite writers are already serialised by `BEGIN IMMEDIATE`.
pub async fn lock_account<C: ConnectionTrait>(conn: &C, account: Uuid) -> Result<(), AppError> {
    coalition_account::Entity::update_many()
        .col_expr(
            coalition_account::Column::Balance,
            Expr::col(coalition_account::Column::Balance),
        )
        .filter(coalition_account::Column::Id.eq(account))
        .exec(conn)
        .await?;
    Ok(())
}

/// The brand clearing account an earning drew its points from, and how many points it gave.
pub async fn source_of_earn<C: ConnectionTrait>(
    conn: &C,
    earn: Uuid,
) -> Result<(coalition_account::Model, i64), AppError> {
    let entries = coalition_entry::Entity::find()
        .filter(coalition_entry::Column::TxnId.eq(earn))
        .filter(coalition_entry::Column::Amount.lt(0))
        .all(conn)
        .await?;
    let entry = entries
        .first()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("earning {earn} without a source")))?;
    let account = account_by_id(conn, entry.account_id)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("entry without account")))?;
    Ok((account, -entry.amount))
}

pub async fn all_periods_of<C: ConnectionTrait>(
    conn: &C,
    coalition: Uuid,
) -> Result<Vec<coalition_period::Model>, AppError> {
    Ok(coalition_period::Entity::find()
        .filter(coalition_period::Column::CoalitionId.eq(coalition))
        .order_by_asc(coalition_period::Column::PeriodStart)
        .all(conn)
        .await?)
}

/// The coalition cards of one brand member.
pub async fn cards_of_member<C: ConnectionTrait>(
    conn: &C,
    member: Uuid,
) -> Result<Vec<coalition_member::Model>, AppError> {
    Ok(coalition_member::Entity::find()
        .filter(coalition_member::Column::MemberId.eq(member))
        .order_by_asc(coalition_member::Column::Id)
        .all(conn)
        .await?)
}

/// Of these brand members, those whose card in the coalition shares their profile with `brand`
/// (their home brand is `brand`, or they consented to it). Read in batches.
pub async fn members_sharing_with<C: ConnectionTrait>(
    conn: &C,
    coalition: Uuid,
    members: &[Uuid],
    brand: Uuid,
) -> Result<std::collections::HashSet<Uuid>, AppError> {
    let mut out = std::collections::HashSet::new();
    for chunk in members.chunks(500) {
        let cards = coalition_member::Entity::find()
            .filter(coalition_member::Column::CoalitionId.eq(coalition))
            .filter(coalition_member::Column::MemberId.is_in(chunk.iter().copied()))
            .all(conn)
            .await?;
        let consented: std::collections::HashSet<Uuid> = coalition_consent::Entity::find()
            .filter(coalition_consent::Column::CoalitionMemberId.is_in(cards.iter().map(|c| c.id)))
            .filter(coalition_consent::Column::BrandId.eq(brand))
            .all(conn)
            .await?
            .into_iter()
            .map(|c| c.coalition_member_id)
            .collect();
        for card in cards {
            if card.home_brand_id == brand || consented.contains(&card.id) {
                out.insert(card.member_id);
            }
        }
    }
    Ok(out)
}
