//! The delivery worker's cross-brand look-ups: campaigns due to start or sending, and recipients
//! whose worker stopped mid-delivery. Everything else about a campaign goes through its brand's
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
