//! The delivery worker's cross-brand look-ups: campaigns due to start or sending, and recipients
//! whose worker stopped mid-delivery; and, in one brand's scope, the SQL of a campaign's results
//! (its groups' purchases). Everything else about a campaign goes through its brand's
//! `TenantScope` in `domain::campaigns`.
#![expect(
    clippy::disallowed_methods,
    reason = "the delivery worker serves every brand; it only finds work here and then acts through the brand's scope"
)]

use chrono::{DateTime, Utc};
use entity::{
    campaign::{self, CampaignStatus},
    campaign_recipient::{self, RecipientStatus},
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};
use uuid::Uuid;

use crate::core::error::AppError;

/// Campaigns scheduled at or before `now`, oldest first.
pub async fn due<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
) -> Result<Vec<campaign::Model>, AppError> {
    Ok(campaign::Entity::find()
        .filter(campaign::Column::Status.eq(CampaignStatus::Scheduled))
        .filter(campaign::Column::ScheduledAt.lte(now))
        .order_by_asc(campaign::Column::ScheduledAt)
        .limit(100)
        .all(conn)
        .await?)
}

pub async fn sending<C: ConnectionTrait>(conn: &C) -> Result<Vec<campaign::Model>, AppError> {
    Ok(campaign::Entity::find()
        .filter(campaign::Column::Status.eq(CampaignStatus::Sending))
        .order_by_asc(campaign::Column::StartedAt)
        .all(conn)
        .await?)
}

/// Recipients claimed by a worker whose lease ran out (it stopped mid-delivery): marked FAILED,
/// never resent, since the mail may have left. Returns how many.
pub async fn fail_interrupted<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    Ok(campaign_recipient::Entity::update_many()
        .col_expr(
            campaign_recipient::Column::Status,
            Expr::value(RecipientStatus::Failed),
        )
        .col_expr(
            campaign_recipient::Column::Reason,
            Expr::value(Some(
                "INTERRUPTED: the worker stopped during delivery; not resent to avoid a duplicate"
                    .to_owned(),
            )),
        )
        .filter(campaign_recipient::Column::Status.eq(RecipientStatus::Sending))
        .filter(campaign_recipient::Column::LeaseUntil.lt(now))
        .exec(conn)
        .await?
        .rows_affected)
}

/// The recipient an unsubscribe token names (any brand: the token is the proof).
pub async fn recipient<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<campaign_recipient::Model>, AppError> {
    Ok(campaign_recipient::Entity::find_by_id(id).one(conn).await?)
}

/// One group of a campaign: its members, and their purchases in a window.
#[derive(Debug, Clone, Copy, Default)]
pub struct Group {
    /// The control group (held out) or the mailed one.
    pub control: bool,
    pub members: i64,
    pub buyers: i64,
    pub purchases: i64,
    pub revenue_minor: i64,
}

/// A campaign's mailed and control groups with their members' purchases in `[from, to)`. Mailed:
/// every member chosen to be mailed when it started, whatever became of the mail (skipped
/// later, cancelled, failed); only the members the frequency cap left out at the start are in
/// neither group.
pub async fn campaign_groups<C: ConnectionTrait>(
    conn: &crate::core::tenancy::Scoped<C>,
    campaign: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Group>, AppError> {
    let backend = conn.db().get_database_backend();
    let (a, b, c, d) = match backend {
        sea_orm::DbBackend::Postgres => ("$1", "$2", "$3", "$4"),
        _ => ("?", "?", "?", "?"),
    };
    let sql = format!(
        "SELECT CASE WHEN r.status = 'HELD_OUT' THEN 1 ELSE 0 END AS control, \
         CAST(COUNT(DISTINCT r.member_id) AS BIGINT) AS members, \
         CAST(COUNT(DISTINCT p.member_id) AS BIGINT) AS buyers, \
         CAST(COUNT(p.id) AS BIGINT) AS purchases, \
         CAST(COALESCE(SUM(p.total_minor), 0) AS BIGINT) AS revenue \
         FROM campaign_recipient r LEFT JOIN purchase p ON p.member_id = r.member_id \
           AND p.tenant_id = r.tenant_id AND p.occurred_at >= {c} AND p.occurred_at < {d} \
         WHERE r.tenant_id = {a} AND r.campaign_id = {b} \
           AND NOT (r.status = 'SKIPPED' AND r.reason LIKE 'FREQUENCY_CAP%') \
         GROUP BY 1"
    );
    // SQLite reads `?` in order: from, to (the join), then tenant and campaign.
    let values: Vec<sea_orm::Value> = match backend {
        sea_orm::DbBackend::Postgres => vec![
            conn.tenant_id().into(),
            campaign.into(),
            from.into(),
            to.into(),
        ],
        _ => vec![
            from.into(),
            to.into(),
            conn.tenant_id().into(),
            campaign.into(),
        ],
    };
    let rows = conn
        .db()
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            backend, sql, values,
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Group {
                control: r.try_get::<i32>("", "control")? == 1,
                members: r.try_get("", "members")?,
                buyers: r.try_get("", "buyers")?,
                purchases: r.try_get("", "purchases")?,
                revenue_minor: r.try_get("", "revenue")?,
            })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()
        .map_err(AppError::from)
}
