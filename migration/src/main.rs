//! Runs the migrations alone: `migration [up|down|status]`, database from `FIDELIS_DATABASE_URL`
//! (default: the server's embedded SQLite file `./data/fidelis.db`).

use migration::{Migrator, MigratorTrait};
use sea_orm_migration::sea_orm::{ConnectOptions, Database};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("FIDELIS_DATABASE_URL")
        .unwrap_or_else(|_| "sqlite://data/fidelis.db?mode=rwc".to_owned());
    if url.starts_with("sqlite://data/") {
        std::fs::create_dir_all("data")?;
    }
    let db = Database::connect(ConnectOptions::new(url)).await?;
    match std::env::args().nth(1).as_deref().unwrap_or("up") {
        "up" => Migrator::up(&db, None).await?,
        "down" => Migrator::down(&db, Some(1)).await?,
        "status" => Migrator::status(&db).await?,
        other => return Err(format!("unknown command {other:?}: use up, down or status").into()),
    }
    Ok(())
}
