//! The loyalty queries that cannot go through the tenant scope's builders: the jobs' scans over
//! every brand (due lots, due tiers, birthdays) and aggregate SQL over a member's history.
//! Invariant: every query on tenant-owned rows either names one brand's id or is a job's scan
//! whose rows each carry their brand and are processed in that brand's scope.
#![expect(
    clippy::disallowed_methods,
    reason = "jobs scan every brand's due rows; aggregates are written in SQL"
)]

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    core::{error::AppError, tenancy::Scoped},
    loyalty::programs::TierBasis,
};

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

/// Qualifying value over `(from, to]`.
pub(crate) async fn qualifying_value<C: ConnectionTrait>(
    tx: &Scoped<C>,
    basis: TierBasis,
    member: Uuid,
    program: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<i64, AppError> {
    let conn = tx.db();
    let backend = conn.get_database_backend();
    let pg = backend == sea_orm::DbBackend::Postgres;
    let p = |n: usize| if pg { format!("${n}") } else { "?".to_owned() };
    let (sql, values): (String, Vec<sea_orm::Value>) = match basis {
        TierBasis::Earned => (
            format!(
                "SELECT CAST(COALESCE(SUM(e.amount), 0) AS BIGINT) AS v FROM ledger_entry e \
                 JOIN ledger_transaction t ON t.id = e.transaction_id \
                 JOIN ledger_account a ON a.id = e.account_id \
                 WHERE a.tenant_id = {} AND a.member_id = {} AND a.program_id = {} \
                 AND a.kind IN ('MEMBER_POINTS', 'MEMBER_POINTS_DEBT', 'MEMBER_CASHBACK', 'MEMBER_CASHBACK_DEBT') \
                 AND t.kind IN ('EARN', 'RETURN') AND t.occurred_at > {} AND t.occurred_at <= {}",
                p(1),
                p(2),
                p(3),
                p(4),
                p(5)
            ),
            vec![
                tx.tenant_id().into(),
                member.into(),
                program.into(),
                from.into(),
                to.into(),
            ],
        ),
        TierBasis::Spend => (
            format!(
                "SELECT CAST(COALESCE(SUM((l.quantity - l.returned_quantity) * l.unit_price_minor \
                 - l.discount_minor * (l.quantity - l.returned_quantity) / l.quantity), 0) AS BIGINT) AS v \
                 FROM purchase_line l JOIN purchase p ON p.id = l.purchase_id \
                 WHERE p.tenant_id = {} AND p.member_id = {} AND p.occurred_at > {} AND p.occurred_at <= {}",
                p(1),
                p(2),
                p(3),
                p(4)
            ),
            vec![tx.tenant_id().into(), member.into(), from.into(), to.into()],
        ),
    };
    let row = conn
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            backend, sql, values,
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "v"))
        .transpose()?
        .unwrap_or(0))
}

/// The SQL expression for the quarter of an hour a timestamp column falls in, as a number of
/// quarter hours since 1970 (every time zone's offset is a multiple of a quarter of an hour, so
/// a quarter never straddles two local days); integer arithmetic, cheaper to group by than
/// formatted text.
fn utc_hour(backend: sea_orm::DbBackend, column: &str) -> String {
    match backend {
        sea_orm::DbBackend::Postgres => {
            format!("CAST(floor(extract(epoch FROM {column}) / 900) AS BIGINT)")
        }
        _ => format!("CAST(strftime('%s', {column}) AS INTEGER) / 900"),
    }
}

/// Rows of a grouped statistics query: the UTC quarter hour, a key, a count and a sum.
async fn hourly<C: ConnectionTrait>(
    conn: &C,
    sql: String,
    values: Vec<sea_orm::Value>,
) -> Result<Vec<(i64, String, i64, i64)>, AppError> {
    let backend = conn.get_database_backend();
    let rows = conn
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            backend, sql, values,
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get::<i64>("", "h")?,
                r.try_get::<String>("", "k")?,
                r.try_get::<i64>("", "n")?,
                r.try_get::<i64>("", "s")?,
            ))
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()
        .map_err(AppError::from)
}

/// A brand's purchases in `[from, to)` by UTC quarter hour: key `member` or `anonymous`, count and
/// total in minor units.
pub async fn purchases_by_hour<C: ConnectionTrait>(
    conn: &C,
    tenant: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(i64, String, i64, i64)>, AppError> {
    let backend = conn.get_database_backend();
    let p = placeholders(backend);
    let sql = format!(
        "SELECT {h} AS h, CASE WHEN member_id IS NULL THEN 'anonymous' ELSE 'member' END AS k, \
         CAST(COUNT(*) AS BIGINT) AS n, CAST(COALESCE(SUM(total_minor), 0) AS BIGINT) AS s \
         FROM purchase WHERE tenant_id = {} AND occurred_at >= {} AND occurred_at < {} \
         GROUP BY 1, 2",
        p[0],
        p[1],
        p[2],
        h = utc_hour(backend, "occurred_at"),
    );
    hourly(conn, sql, vec![tenant.into(), from.into(), to.into()]).await
}

/// A brand's enrolments in `[from, to)` by UTC quarter hour (key `member`, sum 0).
pub async fn enrolments_by_hour<C: ConnectionTrait>(
    conn: &C,
    tenant: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(i64, String, i64, i64)>, AppError> {
    let backend = conn.get_database_backend();
    let p = placeholders(backend);
    let sql = format!(
        "SELECT {h} AS h, 'member' AS k, CAST(COUNT(*) AS BIGINT) AS n, CAST(0 AS BIGINT) AS s \
         FROM member WHERE tenant_id = {} AND created_at >= {} AND created_at < {} GROUP BY 1",
        p[0],
        p[1],
        p[2],
        h = utc_hour(backend, "created_at"),
    );
    hourly(conn, sql, vec![tenant.into(), from.into(), to.into()]).await
}

/// Points moved on the brand's issued, redeemed and expired accounts in `[from, to)` by UTC
/// hour of the transaction's date: key the account kind, sum the entries' amount (issued
/// entries are negative: the brand's side of what members received).
pub async fn brand_points_by_hour<C: ConnectionTrait>(
    conn: &C,
    tenant: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(i64, String, i64, i64)>, AppError> {
    let backend = conn.get_database_backend();
    let p = placeholders(backend);
    let sql = format!(
        "SELECT {h} AS h, a.kind AS k, CAST(COUNT(*) AS BIGINT) AS n, \
         CAST(COALESCE(SUM(e.amount), 0) AS BIGINT) AS s \
         FROM ledger_transaction t JOIN ledger_entry e ON e.transaction_id = t.id \
         JOIN ledger_account a ON a.id = e.account_id \
         WHERE t.tenant_id = {} AND t.occurred_at >= {} AND t.occurred_at < {} \
         AND a.kind IN ('BRAND_POINTS_ISSUED', 'BRAND_POINTS_REDEEMED', 'BRAND_POINTS_EXPIRED') \
         GROUP BY 1, 2",
        p[0],
        p[1],
        p[2],
        h = utc_hour(backend, "t.occurred_at"),
    );
    hourly(conn, sql, vec![tenant.into(), from.into(), to.into()]).await
}

/// A brand's members (erased ones included: they are still counted as enrolled once) and the
/// points its members hold now.
pub async fn members_and_points<C: ConnectionTrait>(
    conn: &C,
    tenant: Uuid,
) -> Result<(i64, i64), AppError> {
    let backend = conn.get_database_backend();
    let p = placeholders(backend);
    let sql = format!(
        "SELECT (SELECT CAST(COUNT(*) AS BIGINT) FROM member WHERE tenant_id = {}) AS members, \
         (SELECT CAST(COALESCE(SUM(balance), 0) AS BIGINT) FROM ledger_account \
          WHERE tenant_id = {} AND kind = 'MEMBER_POINTS') AS points",
        p[0], p[1],
    );
    let row = conn
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            sql,
            [tenant.into(), tenant.into()],
        ))
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no row")))?;
    Ok((row.try_get("", "members")?, row.try_get("", "points")?))
}

fn placeholders(backend: sea_orm::DbBackend) -> [&'static str; 3] {
    match backend {
        sea_orm::DbBackend::Postgres => ["$1", "$2", "$3"],
        _ => ["?", "?", "?"],
    }
}

/// Referrals a brand's member made at other brands of a coalition (rows of the referees'
/// brands), for the member's export: only the member's own side.
pub async fn referrals_made_elsewhere_by<C: ConnectionTrait>(
    conn: &C,
    brand: Uuid,
    member: Uuid,
) -> Result<Vec<entity::referral::Model>, AppError> {
    use entity::referral;
    Ok(referral::Entity::find()
        .filter(referral::Column::ReferrerId.eq(member))
        .filter(referral::Column::ReferrerBrandId.eq(brand))
        .filter(referral::Column::TenantId.ne(brand))
        .all(conn)
        .await?)
}
