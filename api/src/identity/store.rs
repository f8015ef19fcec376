//! Operations that are not inside one brand on purpose: creating brands, signing people in by
//! e-mail (an e-mail is unique across the platform), token bookkeeping, the platform admin's
//! view of all brands, and partner token exchange (a client id names its brand).
#![expect(
    clippy::disallowed_methods,
    reason = "platform-level operations span every brand by design"
)]

use chrono::{DateTime, Utc};
use entity::{api_key, brand, invitation, one_time_token, refresh_token, user_account};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, sea_query::Expr,
};
use uuid::Uuid;

use crate::core::{
    error::AppError,
    page,
    page::{Page, PageRequest},
};

/// A brand's currency. It is fixed when the brand signs up and never changes, so it is read once
/// per process and kept (the checkout needs it on every purchase).
pub async fn brand_currency<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<String, AppError> {
    static CURRENCIES: std::sync::OnceLock<
        std::sync::RwLock<std::collections::HashMap<Uuid, String>>,
    > = std::sync::OnceLock::new();
    let cache = CURRENCIES.get_or_init(Default::default);
    if let Some(found) = cache.read().ok().and_then(|c| c.get(&id).cloned()) {
        return Ok(found);
    }
    let currency = brand_by_id(conn, id)
        .await?
        .ok_or(AppError::NotFound)?
        .currency;
    if let Ok(mut c) = cache.write() {
        c.insert(id, currency.clone());
    }
    Ok(currency)
}

pub async fn brand_by_id<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<brand::Model>, AppError> {
    Ok(brand::Entity::find_by_id(id).one(conn).await?)
}

pub async fn slug_taken<C: ConnectionTrait>(conn: &C, slug: &str) -> Result<bool, AppError> {
    Ok(brand::Entity::find()
        .filter(brand::Column::Slug.eq(slug))
        .one(conn)
        .await?
        .is_some())
}

pub async fn insert_brand<C: ConnectionTrait>(
    conn: &C,
    model: brand::ActiveModel,
) -> Result<brand::Model, AppError> {
    Ok(model.insert(conn).await?)
}

pub async fn list_brands<C: ConnectionTrait>(
    conn: &C,
    status: Option<brand::BrandStatus>,
    page: PageRequest,
) -> Result<Page<brand::Model>, AppError> {
    let mut select = brand::Entity::find();
    if let Some(status) = status {
        select = select.filter(brand::Column::Status.eq(status));
    }
    Ok(page::fetch(conn, select, brand::Column::Id, page).await?)
}

pub async fn update_brand<C: ConnectionTrait>(
    conn: &C,
    model: brand::ActiveModel,
) -> Result<brand::Model, AppError> {
    Ok(model.update(conn).await?)
}

/// A portal user by e-mail (lower-cased), whatever their brand.
pub async fn user_by_email<C: ConnectionTrait>(
    conn: &C,
    email: &str,
) -> Result<Option<user_account::Model>, AppError> {
    Ok(user_account::Entity::find()
        .filter(user_account::Column::Email.eq(email))
        .one(conn)
        .await?)
}

/// A user and their brand (if any), in one query: the principal of every request.
pub async fn user_with_brand<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<(user_account::Model, Option<brand::Model>)>, AppError> {
    use sea_orm::{JoinType, QuerySelect};
    let to_brand: sea_orm::RelationDef = user_account::Entity::belongs_to(brand::Entity)
        .from(user_account::Column::TenantId)
        .to(brand::Column::Id)
        .into();
    Ok(user_account::Entity::find_by_id(id)
        .select_also(brand::Entity)
        .join(JoinType::LeftJoin, to_brand)
        .one(conn)
        .await?)
}

pub async fn user_by_id<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<user_account::Model>, AppError> {
    Ok(user_account::Entity::find_by_id(id).one(conn).await?)
}

/// Inserts a user who has no brand (platform admin, coalition operator) or the first owner of a
/// brand being created in the same transaction.
pub async fn insert_user<C: ConnectionTrait>(
    conn: &C,
    model: user_account::ActiveModel,
) -> Result<user_account::Model, AppError> {
    Ok(model.insert(conn).await?)
}

pub async fn update_user<C: ConnectionTrait>(
    conn: &C,
    model: user_account::ActiveModel,
) -> Result<user_account::Model, AppError> {
    Ok(model.update(conn).await?)
}

pub async fn insert_refresh_token<C: ConnectionTrait>(
    conn: &C,
    model: refresh_token::ActiveModel,
) -> Result<(), AppError> {
    model.insert(conn).await?;
    Ok(())
}

pub async fn refresh_token_by_hash<C: ConnectionTrait>(
    conn: &C,
    hash: &str,
) -> Result<Option<refresh_token::Model>, AppError> {
    Ok(refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash))
        .one(conn)
        .await?)
}

/// Whether the token issued by the use of `used` (the next of its family) is still unused and
/// unrevoked: the session has not moved on since.
pub async fn successor_unused<C: ConnectionTrait>(
    conn: &C,
    used: &refresh_token::Model,
) -> Result<bool, AppError> {
    use sea_orm::QueryOrder;
    let Some(at) = used.used_at else {
        return Ok(true);
    };
    let next = refresh_token::Entity::find()
        .filter(refresh_token::Column::FamilyId.eq(used.family_id))
        .filter(refresh_token::Column::IssuedAt.gte(at))
        .filter(refresh_token::Column::Id.ne(used.id))
        .order_by(refresh_token::Column::IssuedAt, sea_orm::Order::Asc)
        .one(conn)
        .await?;
    Ok(next.is_some_and(|n| n.used_at.is_none() && n.revoked_at.is_none()))
}

/// Marks a refresh token used if nobody did yet; false when another request won the race.
pub async fn mark_refresh_token_used<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let result = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn revoke_refresh_family<C: ConnectionTrait>(
    conn: &C,
    family: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::FamilyId.eq(family))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Whether a session (refresh-token family) was ended: logout, password reset, replay.
pub async fn session_revoked<C: ConnectionTrait>(conn: &C, family: Uuid) -> Result<bool, AppError> {
    use sea_orm::PaginatorTrait;
    Ok(refresh_token::Entity::find()
        .filter(refresh_token::Column::FamilyId.eq(family))
        .filter(refresh_token::Column::RevokedAt.is_not_null())
        .count(conn)
        .await?
        > 0)
}

pub async fn revoke_user_refresh_tokens<C: ConnectionTrait>(
    conn: &C,
    user: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::UserId.eq(user))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn insert_one_time_token<C: ConnectionTrait>(
    conn: &C,
    model: one_time_token::ActiveModel,
) -> Result<(), AppError> {
    model.insert(conn).await?;
    Ok(())
}

/// Consumes a one-time token: returns its user when the token exists for that purpose, is not
/// expired and was not used, and marks it used in the same statement (so it works once, even
/// when two requests race).
pub async fn consume_one_time_token<C: ConnectionTrait>(
    conn: &C,
    hash: &str,
    purpose: one_time_token::TokenPurpose,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, AppError> {
    let Some(token) = one_time_token::Entity::find()
        .filter(one_time_token::Column::TokenHash.eq(hash))
        .filter(one_time_token::Column::Purpose.eq(purpose))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    if token.expires_at <= now || token.used_at.is_some() {
        return Ok(None);
    }
    let result = one_time_token::Entity::update_many()
        .col_expr(one_time_token::Column::UsedAt, Expr::value(now))
        .filter(one_time_token::Column::Id.eq(token.id))
        .filter(one_time_token::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok((result.rows_affected == 1).then_some(token.user_id))
}

/// Whether a one-time token for `purpose` exists, unused and unexpired at `now` (without using
/// it).
pub async fn one_time_token_usable<C: ConnectionTrait>(
    conn: &C,
    hash: &str,
    purpose: one_time_token::TokenPurpose,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    Ok(one_time_token::Entity::find()
        .filter(one_time_token::Column::TokenHash.eq(hash))
        .filter(one_time_token::Column::Purpose.eq(purpose))
        .one(conn)
        .await?
        .is_some_and(|t| t.used_at.is_none() && t.expires_at > now))
}

/// The user a one-time token was issued to, without using it (to show its page in the user's
/// language before they act).
pub async fn one_time_token_user<C: ConnectionTrait>(
    conn: &C,
    hash: &str,
) -> Result<Option<Uuid>, AppError> {
    Ok(one_time_token::Entity::find()
        .filter(one_time_token::Column::TokenHash.eq(hash))
        .one(conn)
        .await?
        .map(|t| t.user_id))
}

/// An invitation by its token, before the invitee has any account (and so any scope).
pub async fn invitation_by_hash<C: ConnectionTrait>(
    conn: &C,
    hash: &str,
) -> Result<Option<invitation::Model>, AppError> {
    Ok(invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(hash))
        .one(conn)
        .await?)
}

/// Marks an invitation accepted if it still is pending; false when another request won.
pub async fn mark_invitation_accepted<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let result = invitation::Entity::update_many()
        .col_expr(invitation::Column::AcceptedAt, Expr::value(now))
        .filter(invitation::Column::Id.eq(id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// A partner key by its public client id (the client id names the brand).
pub async fn api_key_by_client_id<C: ConnectionTrait>(
    conn: &C,
    client_id: &str,
) -> Result<Option<api_key::Model>, AppError> {
    Ok(api_key::Entity::find()
        .filter(api_key::Column::ClientId.eq(client_id))
        .one(conn)
        .await?)
}

pub async fn api_key_by_id<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<api_key::Model>, AppError> {
    Ok(api_key::Entity::find_by_id(id).one(conn).await?)
}

pub async fn touch_api_key<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    api_key::Entity::update_many()
        .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
        .filter(api_key::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Sets a brand's status (platform admin).
pub async fn set_brand_status<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    status: brand::BrandStatus,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<brand::Model, AppError> {
    let current = brand_by_id(conn, id).await?.ok_or(AppError::NotFound)?;
    let mut model: brand::ActiveModel = current.into();
    model.status = Set(status);
    model.suspended_reason = Set(reason);
    model.updated_at = Set(now);
    Ok(model.update(conn).await?)
}

/// What `fidelis ledger verify` checks, each a count of offending rows (all zero when sound).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerReport {
    pub transactions: i64,
    pub entries: i64,
    /// Transactions whose entries do not sum to zero in some unit.
    pub unbalanced_transactions: i64,
    /// Transactions without entries.
    pub empty_transactions: i64,
    /// Accounts whose cached balance differs from the sum of their entries.
    pub balance_mismatches: i64,
    /// Lots whose remainder differs from their entries or leaves 0..=amount.
    pub lot_mismatches: i64,
    /// Member accounts below zero, or member debts above zero.
    pub negative_member_accounts: i64,
    /// Entries whose unit differs from their account's.
    pub unit_mismatches: i64,
    /// Coalition ledgers: transactions and entries.
    pub coalition_transactions: i64,
    pub coalition_entries: i64,
    /// Coalition transactions whose entries do not sum to zero per unit, or without entries.
    pub coalition_unbalanced_transactions: i64,
    /// Coalition accounts whose cached balance differs from their entries.
    pub coalition_balance_mismatches: i64,
    /// Coalition cards below zero, or point debts above zero.
    pub coalition_negative_member_accounts: i64,
    /// Figures of closed statements that differ from the ledger entries of their period (or
    /// from the period's settlement transaction).
    pub coalition_statement_mismatches: i64,
    /// Closed periods whose positions (brands + operator) do not sum to zero.
    pub coalition_periods_not_zero_sum: i64,
}

impl LedgerReport {
    pub fn is_sound(&self) -> bool {
        self.unbalanced_transactions == 0
            && self.empty_transactions == 0
            && self.balance_mismatches == 0
            && self.lot_mismatches == 0
            && self.negative_member_accounts == 0
            && self.unit_mismatches == 0
            && self.coalition_unbalanced_transactions == 0
            && self.coalition_balance_mismatches == 0
            && self.coalition_negative_member_accounts == 0
            && self.coalition_statement_mismatches == 0
            && self.coalition_periods_not_zero_sum == 0
    }
}

/// Proves the ledger's invariants over every brand, from the entries alone.
pub async fn verify_ledger<C: ConnectionTrait>(conn: &C) -> Result<LedgerReport, AppError> {
    let count = |sql: &'static str| async move {
        let row = conn
            .query_one_raw(sea_orm::Statement::from_string(
                conn.get_database_backend(),
                sql,
            ))
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no row for {sql}")))?;
        row.try_get::<i64>("", "n").map_err(AppError::from)
    };
    let mut report = LedgerReport {
        transactions: count("SELECT COUNT(*) AS n FROM ledger_transaction").await?,
        entries: count("SELECT COUNT(*) AS n FROM ledger_entry").await?,
        unbalanced_transactions: count(
            "SELECT COUNT(*) AS n FROM (SELECT transaction_id, unit FROM ledger_entry \
             GROUP BY transaction_id, unit HAVING SUM(amount) <> 0) t",
        )
        .await?,
        empty_transactions: count(
            "SELECT COUNT(*) AS n FROM ledger_transaction t \
             WHERE NOT EXISTS (SELECT 1 FROM ledger_entry e WHERE e.transaction_id = t.id)",
        )
        .await?,
        balance_mismatches: count(
            "SELECT COUNT(*) AS n FROM ledger_account a \
             WHERE a.balance <> COALESCE((SELECT SUM(e.amount) FROM ledger_entry e WHERE e.account_id = a.id), 0)",
        )
        .await?,
        lot_mismatches: count(
            "SELECT COUNT(*) AS n FROM point_lot l \
             WHERE l.remaining <> COALESCE((SELECT SUM(e.amount) FROM ledger_entry e WHERE e.lot_id = l.id), 0) \
             OR l.remaining < 0 OR l.remaining > l.amount",
        )
        .await?,
        negative_member_accounts: count(
            "SELECT COUNT(*) AS n FROM ledger_account WHERE balance < 0 AND kind IN \
             ('MEMBER_POINTS', 'MEMBER_CASHBACK', 'MEMBER_STAMPS', 'MEMBER_STORED_VALUE', \
             'MEMBER_MEMBERSHIP_FEES', 'MEMBER_MEMBERSHIP_SAVINGS') \
             OR balance > 0 AND kind IN ('MEMBER_POINTS_DEBT', 'MEMBER_CASHBACK_DEBT', 'MEMBER_STAMPS_DEBT')",
        )
        .await?,
        unit_mismatches: count(
            "SELECT COUNT(*) AS n FROM ledger_entry e JOIN ledger_account a ON a.id = e.account_id WHERE a.unit <> e.unit",
        )
        .await?,
        coalition_transactions: count("SELECT COUNT(*) AS n FROM coalition_txn").await?,
        coalition_entries: count("SELECT COUNT(*) AS n FROM coalition_entry").await?,
        coalition_unbalanced_transactions: count(
            "SELECT COUNT(*) AS n FROM coalition_txn t WHERE NOT EXISTS \
             (SELECT 1 FROM coalition_entry e WHERE e.txn_id = t.id) \
             OR EXISTS (SELECT 1 FROM coalition_entry e WHERE e.txn_id = t.id \
             GROUP BY e.unit HAVING SUM(e.amount) <> 0)",
        )
        .await?,
        coalition_balance_mismatches: count(
            "SELECT COUNT(*) AS n FROM coalition_account a WHERE a.balance <> \
             COALESCE((SELECT SUM(e.amount) FROM coalition_entry e WHERE e.account_id = a.id), 0) \
             OR EXISTS (SELECT 1 FROM coalition_entry e WHERE e.account_id = a.id AND e.unit <> a.unit)",
        )
        .await?,
        coalition_negative_member_accounts: count(
            "SELECT COUNT(*) AS n FROM coalition_account WHERE balance < 0 AND kind = 'MEMBER_POINTS' \
             OR balance > 0 AND kind = 'MEMBER_DEBT'",
        )
        .await?,
        coalition_statement_mismatches: 0,
        coalition_periods_not_zero_sum: 0,
    };
    let (mismatches, not_zero) = crate::coalition::settlement::check_closed(conn).await?;
    report.coalition_statement_mismatches = mismatches;
    report.coalition_periods_not_zero_sum = not_zero;
    Ok(report)
}

/// Lots of every brand whose points expired at `now` and are not booked yet, oldest first.
pub async fn due_lots<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<entity::point_lot::Model>, AppError> {
    use entity::point_lot;
    use sea_orm::{QueryOrder, QuerySelect};
    Ok(point_lot::Entity::find()
        .filter(point_lot::Column::ExpiresAt.lte(now))
        .filter(point_lot::Column::Remaining.gt(0))
        .order_by_asc(point_lot::Column::ExpiresAt)
        .order_by_asc(point_lot::Column::Id)
        .limit(limit)
        .all(conn)
        .await?)
}

/// Active brands with their time zone (for jobs that run per brand-local day).
pub async fn active_brands<C: ConnectionTrait>(conn: &C) -> Result<Vec<brand::Model>, AppError> {
    Ok(brand::Entity::find()
        .filter(brand::Column::Status.eq(brand::BrandStatus::Active))
        .all(conn)
        .await?)
}

/// Members of a brand born on `month`-`day` (any year).
pub async fn members_born_on<C: ConnectionTrait>(
    conn: &C,
    tenant: Uuid,
    month: u32,
    day: u32,
) -> Result<Vec<Uuid>, AppError> {
    let backend = conn.get_database_backend();
    let mmdd = format!("{month:02}-{day:02}");
    let sql = match backend {
        sea_orm::DbBackend::Postgres => {
            "SELECT id FROM member WHERE tenant_id = $1 AND to_char(birth_date, 'MM-DD') = $2"
        }
        _ => "SELECT id FROM member WHERE tenant_id = ? AND strftime('%m-%d', birth_date) = ?",
    };
    let rows = conn
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            sql,
            [tenant.into(), mmdd.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| r.try_get::<Uuid>("", "id").map_err(AppError::from))
        .collect()
}

pub async fn brand_by_slug<C: ConnectionTrait>(
    conn: &C,
    slug: &str,
) -> Result<Option<brand::Model>, AppError> {
    Ok(brand::Entity::find()
        .filter(brand::Column::Slug.eq(slug))
        .one(conn)
        .await?)
}

/// Members' latest tier assignments (of every brand) whose qualification period ended by `now`.
pub async fn due_tiers<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<entity::member_tier::Model>, AppError> {
    use entity::member_tier;
    let backend = conn.get_database_backend();
    let (at, lim) = match backend {
        sea_orm::DbBackend::Postgres => ("$1", "$2"),
        _ => ("?", "?"),
    };
    let sql = format!(
        "SELECT * FROM member_tier m WHERE m.qualified_until IS NOT NULL AND m.qualified_until <= {at} \
         AND NOT EXISTS (SELECT 1 FROM member_tier n WHERE n.tenant_id = m.tenant_id \
         AND n.member_id = m.member_id AND n.program_id = m.program_id AND n.previous_id = m.id) \
         ORDER BY m.qualified_until, m.id LIMIT {lim}"
    );
    Ok(member_tier::Entity::find()
        .from_raw_sql(sea_orm::Statement::from_sql_and_values(
            backend,
            sql,
            [now.into(), i64::try_from(limit).unwrap_or(200).into()],
        ))
        .all(conn)
        .await?)
}
