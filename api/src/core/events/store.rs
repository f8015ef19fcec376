//! The outbox's cross-brand reads: consumers serve every brand, read events here and act
//! through each brand's `TenantScope`.
#![expect(
    clippy::disallowed_methods,
    reason = "event consumers read every brand's outbox; they act through the brand's scope"
)]

use chrono::{DateTime, Utc};
use entity::{event, event_cursor};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::OnConflict,
};

use crate::core::error::AppError;

pub async fn cursor<C: ConnectionTrait>(
    conn: &C,
    consumer: &str,
) -> Result<Option<DateTime<Utc>>, AppError> {
    Ok(event_cursor::Entity::find_by_id(consumer.to_owned())
        .one(conn)
        .await?
        .map(|c| c.position))
}

pub async fn since<C: ConnectionTrait>(
    conn: &C,
    after: DateTime<Utc>,
    kinds: &[&str],
    limit: u64,
) -> Result<Vec<event::Model>, AppError> {
    Ok(event::Entity::find()
        .filter(event::Column::CreatedAt.gt(after))
        .filter(event::Column::Kind.is_in(kinds.iter().copied()))
        .order_by_asc(event::Column::CreatedAt)
        .order_by_asc(event::Column::Id)
        .limit(limit)
        .all(conn)
        .await?)
}

pub async fn advance<C: ConnectionTrait>(
    conn: &C,
    consumer: &str,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    event_cursor::Entity::insert(event_cursor::ActiveModel {
        consumer: Set(consumer.to_owned()),
        position: Set(to),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(event_cursor::Column::Consumer)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    event_cursor::Entity::update_many()
        .col_expr(
            event_cursor::Column::Position,
            sea_orm::sea_query::Expr::value(to),
        )
        .col_expr(
            event_cursor::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(event_cursor::Column::Consumer.eq(consumer))
        .filter(event_cursor::Column::Position.lt(to))
        .exec(conn)
        .await?;
    Ok(())
}
