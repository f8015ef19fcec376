//! The data layer's doors. Tenant-owned tables are reached only through [`scope::TenantScope`];
//! the few operations that cross brands on purpose (sign-up, login, platform admin, token
//! exchange) live in [`platform`] and say why. Clippy refuses raw SeaORM entry points elsewhere.

use std::time::Duration;

use anyhow::Context as _;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    SqlErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

use crate::core::config::Config;

/// Connects to the configured database and brings its schema up to date.
pub async fn connect_and_migrate(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let db = connect(&config.database_url, config.db_max_connections).await?;
    Migrator::up(&db, None)
        .await
        .context("running migrations")?;
    Ok(db)
}

/// Connects without migrating. For SQLite, the file's folder is created if missing, and the
/// connection runs in WAL mode with a busy timeout so that readers never block the writer.
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<DatabaseConnection> {
    if let Some(path) = sqlite_path(url)
        && let Some(dir) = std::path::Path::new(path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    Database::connect(options)
        .await
        .context("connecting to the database")
}

fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// Starts a transaction that will write. On SQLite it takes the write lock at `BEGIN IMMEDIATE`,
/// so concurrent writers queue on the busy timeout instead of failing when a read lock cannot be
/// upgraded; on PostgreSQL it is a plain `BEGIN`.
pub async fn begin_write(conn: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    conn.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// Serialises the transactions that name the same `key` (PostgreSQL: a transaction-scoped
/// advisory lock, released at commit or rollback). SQLite writers are serialised already by
/// `BEGIN IMMEDIATE`, so there it does nothing.
#[expect(
    clippy::disallowed_methods,
    reason = "a lock statement touches no table"
)]
pub async fn advisory_lock<C: ConnectionTrait>(conn: &C, key: &str) -> Result<(), DbErr> {
    if conn.get_database_backend() != sea_orm::DbBackend::Postgres {
        return Ok(());
    }
    let digest = crate::core::auth::secrets::hash_token(key);
    let lock_key = i64::from_str_radix(&digest[..15], 16).unwrap_or(0);
    conn.execute_raw(sea_orm::Statement::from_sql_and_values(
        sea_orm::DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1)",
        [lock_key.into()],
    ))
    .await?;
    Ok(())
}

/// Whether the database answers (for `/readyz`).
#[expect(clippy::disallowed_methods, reason = "SELECT 1 touches no table")]
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

/// Whether a database error is a unique-constraint violation (a lost race on a unique value).
pub fn is_unique_violation(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn sqlite_paths_are_found_in_urls() {
        assert_eq!(
            super::sqlite_path("sqlite://data/fidelis.db?mode=rwc"),
            Some("data/fidelis.db")
        );
        assert_eq!(super::sqlite_path("sqlite:/tmp/x.db"), Some("/tmp/x.db"));
        assert_eq!(super::sqlite_path("sqlite::memory:"), None);
        assert_eq!(super::sqlite_path("postgres://postgres@127.0.0.1/x"), None);
    }
}
