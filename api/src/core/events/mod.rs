//! The event outbox. A write that others care about appends an event in its own transaction
//! ([`append`]): the event exists if and only if the write committed. Consumers (transactional
//! mail today; webhooks and analytics later) read events with a cursor each ([`Consumer`]),
//! at least once, and deduplicate by event id or by a key of their own, so nobody polls
//! another context's tables.
//!
//! Ordering: an event's id and time are taken before its transaction commits, so a slow
//! transaction can commit an event older than ones already read. Consumers therefore re-read a
//! window behind their cursor ([`OVERLAP`], longer than any write transaction may last: the
//! request timeout is 30 s) and rely on their deduplication.

pub mod store;

use chrono::{DateTime, Duration, Utc};
use entity::event;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseConnection};
use serde_json::Value;
use uuid::Uuid;

use crate::core::{error::AppError, tenancy::Scoped};

/// How far behind its cursor a consumer reads again.
pub const OVERLAP: Duration = Duration::minutes(2);

/// Appends an event to the brand's outbox in the caller's transaction.
pub async fn append<C: ConnectionTrait>(
    tx: &Scoped<C>,
    kind: &'static str,
    subject: Option<Uuid>,
    member: Option<Uuid>,
    payload: Value,
) -> Result<Uuid, AppError> {
    let id = Uuid::now_v7();
    tx.insert(event::ActiveModel {
        id: Set(id),
        tenant_id: Set(tx.tenant_id()),
        kind: Set(kind.to_owned()),
        version: Set(1),
        subject_id: Set(subject),
        member_id: Set(member),
        payload: Set(payload),
        created_at: Set(tx.now()),
    })
    .await?;
    Ok(id)
}

/// A named reader of the outbox.
pub struct Consumer {
    pub name: &'static str,
    /// Where a consumer that never ran starts: this far before now.
    pub start_back: Duration,
}

impl Consumer {
    /// The events of `kinds` since the cursor (less [`OVERLAP`]), oldest first, at most
    /// `limit`; with the position to [`advance`](Self::advance) to once they are handled.
    pub async fn poll(
        &self,
        db: &DatabaseConnection,
        kinds: &[&str],
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<(Vec<event::Model>, Option<DateTime<Utc>>), AppError> {
        let position = store::cursor(db, self.name)
            .await?
            .unwrap_or(now - self.start_back);
        let events = store::since(db, position - OVERLAP, kinds, limit).await?;
        let next = events.last().map(|e| e.created_at.max(position));
        Ok((events, next))
    }

    /// Moves the cursor forward (never back: two workers may race).
    pub async fn advance(
        &self,
        db: &DatabaseConnection,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        store::advance(db, self.name, to, now).await
    }
}
