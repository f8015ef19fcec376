//! The analytics queries written in SQL: per-member aggregates over a brand's purchases.
//! Invariant: every query names one brand's id.
#![expect(
    clippy::disallowed_methods,
    reason = "aggregates over a brand's purchases are written in SQL"
)]

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::kpis::Only;
use crate::core::{error::AppError, tenancy::Scoped};

/// What a member bought in a window: the last purchase kept, purchases kept, what they paid for
/// what they kept (the lines' net value; a purchase without lines: its total), distinct
/// categories of the lines kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bought {
    pub last: Option<DateTime<Utc>>,
    pub purchases: i64,
    pub amount_minor: i64,
    pub categories: i64,
}

/// Per member, what they bought in `(from, to]`; a purchase wholly returned does not count.
pub async fn bought_between<C: ConnectionTrait>(
    conn: &Scoped<C>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<HashMap<Uuid, Bought>, AppError> {
    let backend = conn.db().get_database_backend();
    let (a, b, c) = (nth(backend, 1), nth(backend, 2), nth(backend, 3));
    // Each purchase's kept value (lines bought, returned units out), and whether any is kept.
    let purchases = format!(
        "SELECT p.member_id AS m, MAX(p.occurred_at) AS last, CAST(COUNT(*) AS BIGINT) AS n, \
         CAST(COALESCE(SUM(CASE WHEN k.lines IS NULL THEN p.total_minor ELSE k.kept END), 0) AS BIGINT) AS amount \
         FROM purchase p LEFT JOIN ( \
           SELECT l.purchase_id AS purchase_id, COUNT(*) AS lines, \
             SUM(CASE WHEN l.returned_quantity < l.quantity THEN 1 ELSE 0 END) AS kept_lines, \
             SUM((l.quantity - l.returned_quantity) * l.unit_price_minor \
                 - l.discount_minor * (l.quantity - l.returned_quantity) / l.quantity) AS kept \
           FROM purchase_line l WHERE l.tenant_id = {a} AND l.offer_id IS NULL GROUP BY l.purchase_id \
         ) k ON k.purchase_id = p.id \
         WHERE p.tenant_id = {a} AND p.member_id IS NOT NULL AND p.occurred_at > {b} AND p.occurred_at <= {c} \
           AND (k.lines IS NULL OR k.kept_lines > 0) \
         GROUP BY p.member_id"
    );
    let categories = format!(
        "SELECT p.member_id AS m, CAST(COUNT(DISTINCT LOWER(l.category)) AS BIGINT) AS n \
         FROM purchase_line l JOIN purchase p ON p.id = l.purchase_id \
         WHERE p.tenant_id = {a} AND p.member_id IS NOT NULL AND p.occurred_at > {b} AND p.occurred_at <= {c} \
           AND l.offer_id IS NULL AND l.category IS NOT NULL AND l.returned_quantity < l.quantity \
         GROUP BY p.member_id"
    );
    let values =
        || -> Vec<sea_orm::Value> { vec![conn.tenant_id().into(), from.into(), to.into()] };
    let mut out: HashMap<Uuid, Bought> = HashMap::new();
    for row in conn
        .db()
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            purchases,
            values(),
        ))
        .await?
    {
        let member: Uuid = row.try_get("", "m")?;
        let last: Option<DateTime<Utc>> = row.try_get("", "last")?;
        out.insert(
            member,
            Bought {
                last,
                purchases: row.try_get("", "n")?,
                amount_minor: row.try_get("", "amount")?,
                categories: 0,
            },
        );
    }
    for row in conn
        .db()
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            categories,
            values(),
        ))
        .await?
    {
        let member: Uuid = row.try_get("", "m")?;
        if let Some(b) = out.get_mut(&member) {
            b.categories = row.try_get("", "n")?;
        }
    }
    Ok(out)
}

/// The SQL expression for the quarter of an hour a timestamp column falls in, counted since
/// 1970 (every time zone's offset is a multiple of a quarter hour: a quarter never straddles two
/// local days).
fn quarter(backend: sea_orm::DbBackend, column: &str) -> String {
    match backend {
        sea_orm::DbBackend::Postgres => {
            format!("CAST(floor(extract(epoch FROM {column}) / 900) AS BIGINT)")
        }
        _ => format!("CAST(strftime('%s', {column}) AS INTEGER) / 900"),
    }
}

/// Per quarter hour of `[from, to)`: what one kind of row adds up to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quarter {
    pub member_checkouts: i64,
    pub anonymous_checkouts: i64,
    pub member_revenue_minor: i64,
    pub anonymous_revenue_minor: i64,
    pub offer_discount_minor: i64,
    pub enrolments: i64,
    pub points_issued: i64,
    pub points_redeemed: i64,
    pub points_expired: i64,
}

impl Quarter {
    /// Adds another quarter's (or day's) sums to these.
    pub fn add(&mut self, q: &Self) {
        self.member_checkouts += q.member_checkouts;
        self.anonymous_checkouts += q.anonymous_checkouts;
        self.member_revenue_minor += q.member_revenue_minor;
        self.anonymous_revenue_minor += q.anonymous_revenue_minor;
        self.offer_discount_minor += q.offer_discount_minor;
        self.enrolments += q.enrolments;
        self.points_issued += q.points_issued;
        self.points_redeemed += q.points_redeemed;
        self.points_expired += q.points_expired;
    }
}

async fn rows<C: ConnectionTrait>(
    conn: &Scoped<C>,
    sql: String,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<sea_orm::QueryResult>, AppError> {
    rows_with(
        conn,
        sql,
        vec![conn.tenant_id().into(), from.into(), to.into()],
    )
    .await
}

async fn rows_with<C: ConnectionTrait>(
    conn: &Scoped<C>,
    sql: String,
    values: Vec<sea_orm::Value>,
) -> Result<Vec<sea_orm::QueryResult>, AppError> {
    let backend = conn.db().get_database_backend();
    Ok(conn
        .db()
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            backend, sql, values,
        ))
        .await?)
}

/// The `i`-th bound value, numbered (`$2`, `?2`): SQLite reads numbered parameters by number,
/// so a fragment may name one anywhere.
fn nth(backend: sea_orm::DbBackend, i: usize) -> String {
    match backend {
        sea_orm::DbBackend::Postgres => format!("${i}"),
        _ => format!("?{i}"),
    }
}

/// `AND alias.store = … AND alias.channel = …` for the purchases of `alias`, naming the values
/// from `next` on, and the values.
fn only_sql(
    only: &Only,
    backend: sea_orm::DbBackend,
    alias: &str,
    next: usize,
) -> (String, Vec<sea_orm::Value>) {
    let mut sql = String::new();
    let mut values: Vec<sea_orm::Value> = Vec::new();
    if let Some(store) = &only.store {
        sql.push_str(&format!(
            " AND {alias}store = {}",
            nth(backend, next + values.len())
        ));
        values.push(store.clone().into());
    }
    if let Some(channel) = only.channel {
        sql.push_str(&format!(
            " AND {alias}channel = {}",
            nth(backend, next + values.len())
        ));
        values.push(channel.into());
    }
    (sql, values)
}

/// Purchases (members' and anonymous), enrolments and the brand's points moves in `[from, to)`,
/// by UTC quarter hour.
pub async fn quarters<C: ConnectionTrait>(
    conn: &Scoped<C>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    only: &Only,
) -> Result<HashMap<i64, Quarter>, AppError> {
    let backend = conn.db().get_database_backend();
    let (a, b, c) = (nth(backend, 1), nth(backend, 2), nth(backend, 3));
    let mut out: HashMap<i64, Quarter> = HashMap::new();
    let (filter, extra) = only_sql(only, backend, "", 4);
    let purchases = format!(
        "SELECT {h} AS h, CASE WHEN member_id IS NULL THEN 0 ELSE 1 END AS k, \
         CAST(COUNT(*) AS BIGINT) AS n, CAST(COALESCE(SUM(total_minor), 0) AS BIGINT) AS s, \
         CAST(COALESCE(SUM(offer_discount_minor), 0) AS BIGINT) AS d \
         FROM purchase WHERE tenant_id = {a} AND occurred_at >= {b} AND occurred_at < {c}{filter} \
         GROUP BY 1, 2",
        h = quarter(backend, "occurred_at"),
    );
    let mut values: Vec<sea_orm::Value> = vec![conn.tenant_id().into(), from.into(), to.into()];
    values.extend(extra);
    for r in rows_with(conn, purchases, values).await? {
        let q = out.entry(r.try_get("", "h")?).or_default();
        let (n, s, d): (i64, i64, i64) = (
            r.try_get("", "n")?,
            r.try_get("", "s")?,
            r.try_get("", "d")?,
        );
        if r.try_get::<i32>("", "k")? == 1 {
            q.member_checkouts += n;
            q.member_revenue_minor += s;
        } else {
            q.anonymous_checkouts += n;
            q.anonymous_revenue_minor += s;
        }
        q.offer_discount_minor += d;
    }
    let enrolments = format!(
        "SELECT {h} AS h, CAST(COUNT(*) AS BIGINT) AS n FROM member \
         WHERE tenant_id = {a} AND created_at >= {b} AND created_at < {c} GROUP BY 1",
        h = quarter(backend, "created_at"),
    );
    for r in rows(conn, enrolments, from, to).await? {
        out.entry(r.try_get("", "h")?).or_default().enrolments += r.try_get::<i64>("", "n")?;
    }
    let points = format!(
        "SELECT {h} AS h, a.kind AS k, CAST(COALESCE(SUM(e.amount), 0) AS BIGINT) AS s \
         FROM ledger_transaction t JOIN ledger_entry e ON e.transaction_id = t.id \
         JOIN ledger_account a ON a.id = e.account_id \
         WHERE t.tenant_id = {a} AND t.occurred_at >= {b} AND t.occurred_at < {c} \
         AND a.kind IN ('BRAND_POINTS_ISSUED', 'BRAND_POINTS_REDEEMED', 'BRAND_POINTS_EXPIRED') \
         GROUP BY 1, 2",
        h = quarter(backend, "t.occurred_at"),
    );
    for r in rows(conn, points, from, to).await? {
        let q = out.entry(r.try_get("", "h")?).or_default();
        let s: i64 = r.try_get("", "s")?;
        match r.try_get::<String>("", "k")?.as_str() {
            // The brand's side of points given is negative; returns bring it back.
            "BRAND_POINTS_ISSUED" => q.points_issued -= s,
            "BRAND_POINTS_REDEEMED" => q.points_redeemed += s,
            _ => q.points_expired += s,
        }
    }
    Ok(out)
}

/// Members who bought in `[from, to)`: how many, and the sum of their enrolment instants in
/// seconds since 1970 (their average relationship length follows).
pub async fn active_members<C: ConnectionTrait>(
    conn: &Scoped<C>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    only: &Only,
) -> Result<(i64, i64), AppError> {
    let backend = conn.db().get_database_backend();
    let (a, b, c) = (nth(backend, 1), nth(backend, 2), nth(backend, 3));
    let (filter, extra) = only_sql(only, backend, "p.", 4);
    let epoch = match backend {
        sea_orm::DbBackend::Postgres => "CAST(floor(extract(epoch FROM m.created_at)) AS BIGINT)",
        _ => "CAST(strftime('%s', m.created_at) AS INTEGER)",
    };
    let sql = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n, CAST(COALESCE(SUM({epoch}), 0) AS BIGINT) AS s \
         FROM member m WHERE m.id IN (SELECT p.member_id FROM purchase p \
           WHERE p.tenant_id = {a} AND p.member_id IS NOT NULL \
           AND p.occurred_at >= {b} AND p.occurred_at < {c}{filter})"
    );
    let mut values: Vec<sea_orm::Value> = vec![conn.tenant_id().into(), from.into(), to.into()];
    values.extend(extra);
    let row = rows_with(conn, sql, values).await?;
    let row = row
        .first()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no row")))?;
    Ok((row.try_get("", "n")?, row.try_get("", "s")?))
}

/// Of the members who bought in `[before, from)`, how many bought again in `[from, to)`.
pub async fn retained<C: ConnectionTrait>(
    conn: &Scoped<C>,
    before: DateTime<Utc>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    only: &Only,
) -> Result<(i64, i64), AppError> {
    let backend = conn.db().get_database_backend();
    let (a, b, c, d) = (
        nth(backend, 1),
        nth(backend, 2),
        nth(backend, 3),
        nth(backend, 4),
    );
    // The same store and channel on both sides (the values are numbered: named twice).
    let (p_filter, extra) = only_sql(only, backend, "p.", 5);
    let (q_filter, _) = only_sql(only, backend, "q.", 5);
    let sql = format!(
        "SELECT CAST(COUNT(DISTINCT p.member_id) AS BIGINT) AS n, \
         CAST(COUNT(DISTINCT CASE WHEN EXISTS (SELECT 1 FROM purchase q \
           WHERE q.tenant_id = {a} AND q.member_id = p.member_id \
           AND q.occurred_at >= {c} AND q.occurred_at < {d}{q_filter}) THEN p.member_id END) AS BIGINT) AS k \
         FROM purchase p WHERE p.tenant_id = {a} AND p.member_id IS NOT NULL \
           AND p.occurred_at >= {b} AND p.occurred_at < {c}{p_filter}"
    );
    let mut values: Vec<sea_orm::Value> = vec![
        conn.tenant_id().into(),
        before.into(),
        from.into(),
        to.into(),
    ];
    values.extend(extra);
    let row = rows_with(conn, sql, values).await?;
    let row = row
        .first()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no row")))?;
    Ok((row.try_get("", "n")?, row.try_get("", "k")?))
}

/// What members hold now: points, cashback and stored value (minor units).
pub async fn outstanding<C: ConnectionTrait>(
    conn: &Scoped<C>,
) -> Result<(i64, i64, i64), AppError> {
    let backend = conn.db().get_database_backend();
    let a = nth(backend, 1);
    let sql = format!(
        "SELECT kind AS k, CAST(COALESCE(SUM(balance), 0) AS BIGINT) AS s FROM ledger_account \
         WHERE tenant_id = {a} AND kind IN ('MEMBER_POINTS', 'MEMBER_CASHBACK', 'MEMBER_STORED_VALUE') \
         GROUP BY kind"
    );
    let (mut points, mut cashback, mut stored) = (0, 0, 0);
    for r in rows_with(conn, sql, vec![conn.tenant_id().into()]).await? {
        let sum: i64 = r.try_get("", "s")?;
        match r.try_get::<String>("", "k")?.as_str() {
            "MEMBER_POINTS" => points = sum,
            "MEMBER_CASHBACK" => cashback = sum,
            _ => stored = sum,
        }
    }
    Ok((points, cashback, stored))
}
