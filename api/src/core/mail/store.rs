//! The platform mail queue's rows (not brand-owned: the platform's own mails, and member access
//! mails that name their brand). Claims and outcomes are conditional updates, so two senders
//! never both hold a mail.
#![expect(
    clippy::disallowed_methods,
    reason = "the platform mail queue is the platform's, not a brand's table"
)]

use chrono::{DateTime, Utc};
use entity::outbox_mail::{self, Column, Entity};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::Expr,
};
use uuid::Uuid;

pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    row: outbox_mail::ActiveModel,
) -> Result<(), DbErr> {
    Entity::insert(row).exec_without_returning(conn).await?;
    Ok(())
}

pub async fn get(db: &DatabaseConnection, id: Uuid) -> Result<Option<outbox_mail::Model>, DbErr> {
    Entity::find_by_id(id).one(db).await
}

/// Mails in one of `statuses` whose next attempt is due, oldest first.
pub async fn due(
    db: &DatabaseConnection,
    statuses: &[&str],
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<outbox_mail::Model>, DbErr> {
    Entity::find()
        .filter(Column::Status.is_in(statuses.iter().copied()))
        .filter(Column::NextAttemptAt.lte(now))
        .order_by_asc(Column::NextAttemptAt)
        .limit(limit)
        .all(db)
        .await
}

/// Takes `row` for one attempt until `lease_end`, if it is still as it was read.
pub async fn claim(
    db: &DatabaseConnection,
    row: &outbox_mail::Model,
    sending: &str,
    lease_end: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let r = Entity::update_many()
        .col_expr(Column::Status, Expr::value(sending))
        .col_expr(Column::Attempts, Expr::value(row.attempts + 1))
        .col_expr(Column::NextAttemptAt, Expr::value(lease_end))
        .filter(Column::Id.eq(row.id))
        .filter(Column::Status.eq(row.status.as_str()))
        .filter(Column::Attempts.eq(row.attempts))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Records an attempt's outcome (by the sender that made attempt number `attempts`); with
/// `clear_bodies`, the text and HTML are emptied.
#[expect(
    clippy::too_many_arguments,
    reason = "one row's outcome, field by field"
)]
pub async fn finish(
    db: &DatabaseConnection,
    id: Uuid,
    attempts: i32,
    status: &str,
    next_attempt_at: DateTime<Utc>,
    reason: Option<String>,
    sent_at: Option<DateTime<Utc>>,
    clear_bodies: bool,
) -> Result<(), DbErr> {
    let mut update = Entity::update_many()
        .col_expr(Column::Status, Expr::value(status))
        .col_expr(Column::NextAttemptAt, Expr::value(next_attempt_at))
        .col_expr(Column::Reason, Expr::value(reason))
        .col_expr(Column::SentAt, Expr::value(sent_at));
    if clear_bodies {
        update = update
            .col_expr(Column::Text, Expr::value(""))
            .col_expr(Column::Html, Expr::value(""));
    }
    update
        .filter(Column::Id.eq(id))
        .filter(Column::Attempts.eq(attempts))
        .exec(db)
        .await?;
    Ok(())
}
