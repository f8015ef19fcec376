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

fn marks(backend: sea_orm::DbBackend) -> [&'static str; 3] {
    match backend {
        sea_orm::DbBackend::Postgres => ["$1", "$2", "$3"],
        _ => ["?", "?", "?"],
    }
}

/// Per member, what they bought in `(from, to]`; a purchase wholly returned does not count.
pub async fn bought_between<C: ConnectionTrait>(
    conn: &Scoped<C>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<HashMap<Uuid, Bought>, AppError> {
    let backend = conn.db().get_database_backend();
    let [a, b, c] = marks(backend);
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
    // SQLite reads `?` in order: the tenant is asked twice in the first statement.
    let first_values = match backend {
        sea_orm::DbBackend::Postgres => values(),
        _ => vec![
            conn.tenant_id().into(),
            conn.tenant_id().into(),
            from.into(),
            to.into(),
        ],
    };
    let mut out: HashMap<Uuid, Bought> = HashMap::new();
    for row in conn
        .db()
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            purchases,
            first_values,
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
