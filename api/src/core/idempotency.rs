//! Idempotent writes. A write made with an idempotency key stores its result in the same
//! transaction; a replay with the same key and the same input returns that result and changes
//! nothing; the same key with other input is IDEMPOTENCY_KEY_REUSED. Two concurrent first
//! attempts: the unique index lets one commit, the other gets CONFLICT and, retried, the replay.
#![expect(
    clippy::disallowed_methods,
    reason = "records carry their own scope key (brand id or platform)"
)]

use chrono::Utc;
use entity::idempotency_record;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::core::{auth::secrets::hash_token, error::AppError};

/// The id stored under `key` in a recorded result.
pub fn recorded_id(previous: &Value, key: &str) -> Result<Uuid, AppError> {
    previous[key]
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("idempotency record without {key}")))
}

/// The scope of writes made before any brand exists (brand sign-up).
pub const PLATFORM: &str = "platform";

pub struct Idempotency {
    scope_key: String,
    operation: &'static str,
    key: String,
    request_hash: String,
}

impl Idempotency {
    /// Checks the key (1 to 128 printable ASCII characters) and fingerprints the request. Leave
    /// secrets (passwords) out of `request`: the fingerprint is stored.
    pub fn new(
        scope_key: String,
        operation: &'static str,
        key: &str,
        request: &impl Serialize,
    ) -> Result<Self, AppError> {
        if key.is_empty() || key.len() > 128 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(AppError::validation(
                "idempotencyKey",
                "must be 1 to 128 printable ASCII characters",
            ));
        }
        let canonical = serde_json::to_string(request).map_err(|e| AppError::Internal(e.into()))?;
        Ok(Self {
            scope_key,
            operation,
            key: key.to_owned(),
            request_hash: hash_token(&canonical),
        })
    }

    /// Builds one when the client sent a key.
    pub fn optional(
        scope_key: String,
        operation: &'static str,
        key: Option<&str>,
        request: &impl Serialize,
    ) -> Result<Option<Self>, AppError> {
        key.map(|k| Self::new(scope_key, operation, k, request))
            .transpose()
    }

    /// The stored result of an earlier request with this key, if any.
    pub async fn replay<C: ConnectionTrait>(&self, conn: &C) -> Result<Option<Value>, AppError> {
        let found = idempotency_record::Entity::find()
            .filter(idempotency_record::Column::ScopeKey.eq(&self.scope_key))
            .filter(idempotency_record::Column::Operation.eq(self.operation))
            .filter(idempotency_record::Column::Key.eq(&self.key))
            .one(conn)
            .await?;
        match found {
            None => Ok(None),
            Some(record) if record.request_hash == self.request_hash => Ok(Some(record.response)),
            Some(_) => Err(AppError::IdempotencyKeyReused),
        }
    }

    /// [`replay`](Self::replay) inside the write's transaction, after waiting for any twin
    /// request with the same key that is in flight (PostgreSQL: a transaction-scoped advisory
    /// lock on the key, held until commit; SQLite serialises writers already). So ten
    /// simultaneous calls with one key make one write, and the other nine get its result on
    /// their first call instead of a CONFLICT. The wait is bounded (15 s), then CONFLICT.
    pub async fn claim<C: ConnectionTrait>(&self, conn: &C) -> Result<Option<Value>, AppError> {
        if conn.get_database_backend() == sea_orm::DbBackend::Postgres {
            let digest = hash_token(&format!(
                "{}\u{1f}{}\u{1f}{}",
                self.scope_key, self.operation, self.key
            ));
            let lock_key = i64::from_str_radix(&digest[..15], 16).unwrap_or(0);
            conn.execute_unprepared("SET LOCAL lock_timeout = '15s'")
                .await?;
            conn.execute_raw(sea_orm::Statement::from_sql_and_values(
                sea_orm::DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock($1)",
                [lock_key.into()],
            ))
            .await
            .map_err(|_| {
                AppError::conflict("a request with this idempotency key is in progress; retry it")
            })?;
        }
        self.replay(conn).await
    }

    /// Stores the result, in the transaction of the write.
    pub async fn record<C: ConnectionTrait>(
        &self,
        conn: &C,
        response: Value,
    ) -> Result<(), AppError> {
        let inserted = idempotency_record::ActiveModel {
            id: Set(Uuid::now_v7()),
            scope_key: Set(self.scope_key.clone()),
            operation: Set(self.operation.to_owned()),
            key: Set(self.key.clone()),
            request_hash: Set(self.request_hash.clone()),
            response: Set(response),
            created_at: Set(Utc::now()),
        }
        .insert(conn)
        .await;
        match inserted {
            Ok(_) => Ok(()),
            Err(e) if crate::core::db::is_unique_violation(&e) => Err(AppError::conflict(
                "a request with this idempotency key is in progress; retry it",
            )),
            Err(e) => Err(e.into()),
        }
    }
}
