//! A database per test: a copy of a migrated SQLite template file, or on PostgreSQL a
//! `CREATE DATABASE ... TEMPLATE` of a migrated template database, dropped afterwards.
//!
//! Templates are named after the migrations (names and source contents), so a new or edited
//! migration makes a new template, and they are built once per machine (atomic rename on SQLite, an advisory lock on PostgreSQL)
//! whether the tests run as threads or as processes.

use std::path::PathBuf;

use migration::{Migrator, MigratorTrait};
use sea_orm::ConnectionTrait;

/// The PostgreSQL server to use instead of SQLite, e.g. `postgres://postgres@127.0.0.1:5432/postgres`.
pub const PG_ENV: &str = "FIDELIS_TEST_DATABASE_URL";

pub struct TestDatabase {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    File(PathBuf),
    Postgres { admin_url: String, name: String },
}

/// A fingerprint of the migrations: their names and the contents of their source files, so
/// that editing a migration that was never released also builds a new template (a stale one
/// would run every test on an old schema).
fn migrations_fingerprint() -> String {
    let mut material: String = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect::<Vec<_>>()
        .join(",");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migration/src");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    for file in files {
        material.push_str(&std::fs::read_to_string(&file).unwrap_or_default());
    }
    // FNV-1a: stable across runs and toolchains, unlike DefaultHasher.
    let hash = material.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    format!("{hash:016x}")
}

impl TestDatabase {
    pub async fn create() -> Self {
        match std::env::var(PG_ENV) {
            Ok(admin_url) if !admin_url.is_empty() => Self::postgres(admin_url).await,
            _ => Self::sqlite().await,
        }
    }

    async fn sqlite() -> Self {
        let dir = std::env::temp_dir().join("fidelis-tests");
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let template = dir.join(format!("template-{}.db", migrations_fingerprint()));
        if !template.exists() {
            let building = dir.join(format!("building-{}.db", uuid::Uuid::new_v4()));
            let url = format!("sqlite://{}?mode=rwc", building.display());
            let conn = fidelis::core::db::connect(&url, 1)
                .await
                .unwrap_or_else(|e| panic!("template: {e:?}"));
            Migrator::up(&conn, None)
                .await
                .unwrap_or_else(|e| panic!("migrating the template: {e}"));
            // Fold the WAL into the main file so that a plain copy is complete.
            conn.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let _ = conn.close().await;
            std::fs::rename(&building, &template)
                .unwrap_or_else(|e| panic!("publishing the template: {e}"));
            for suffix in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", building.display()));
            }
        }
        let file = dir.join(format!("test-{}.db", uuid::Uuid::new_v4()));
        std::fs::copy(&template, &file).unwrap_or_else(|e| panic!("copying the template: {e}"));
        Self {
            url: format!("sqlite://{}?mode=rwc", file.display()),
            cleanup: Cleanup::File(file),
        }
    }

    async fn postgres(admin_url: String) -> Self {
        let admin = fidelis::core::db::connect(&admin_url, 1)
            .await
            .unwrap_or_else(|e| panic!("{PG_ENV}: {e:?}"));
        let template = format!("fidelis_tpl_{}", migrations_fingerprint());
        // One builder at a time, across test processes; CREATE DATABASE from a template also
        // wants the template to be idle, so copies are serialised by the same lock.
        admin
            .execute_unprepared("SELECT pg_advisory_lock(72616)")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let exists = admin
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                format!("SELECT 1 FROM pg_database WHERE datname = '{template}'"),
            ))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .is_some();
        if !exists {
            let building = format!("{template}_building");
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
                .await
                .ok();
            admin
                .execute_unprepared(&format!("CREATE DATABASE {building}"))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let conn = fidelis::core::db::connect(&with_database(&admin_url, &building), 1)
                .await
                .unwrap_or_else(|e| panic!("{e:?}"));
            Migrator::up(&conn, None)
                .await
                .unwrap_or_else(|e| panic!("migrating the template: {e}"));
            let _ = conn.close().await;
            admin
                .execute_unprepared(&format!("ALTER DATABASE {building} RENAME TO {template}"))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let name = format!("fidelis_t_{}", uuid::Uuid::new_v4().simple());
        let created = admin
            .execute_unprepared(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .await;
        admin
            .execute_unprepared("SELECT pg_advisory_unlock(72616)")
            .await
            .ok();
        created.unwrap_or_else(|e| panic!("creating {name}: {e}"));
        let _ = admin.close().await;
        Self {
            url: with_database(&admin_url, &name),
            cleanup: Cleanup::Postgres { admin_url, name },
        }
    }
}

/// The same server URL with another database name.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let server = base.rsplit_once('/').map_or(base, |(s, _)| s);
    match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Postgres { admin_url, name } => {
                // Drop runs inside the test's runtime: do the async work on a thread of its own.
                let (admin_url, name) = (admin_url.clone(), name.clone());
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    else {
                        return;
                    };
                    rt.block_on(async {
                        if let Ok(admin) = fidelis::core::db::connect(&admin_url, 1).await {
                            let _ = admin
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                                ))
                                .await;
                            let _ = admin.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}
