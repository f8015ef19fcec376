//! The daily scoring: each active brand is scored once on each of its days (the first pass of
//! the scheduled loop after its midnight); a second worker finds the day scored, or waits on
//! the run's lock and scores again without moving anyone twice.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::core::{clock::Clock, error::AppError, tenancy::TenantScope};

/// Brands scored by one pass.
pub async fn run_once(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<(u64, i64), AppError> {
    let (mut brands, mut members) = (0, 0);
    for brand in crate::identity::brands::active(db).await? {
        let scope = TenantScope::with_clock(db.clone(), brand.id, Clock::starting_at(now));
        // One brand's failure is logged and the others are still scored (it is tried again at
        // the next pass).
        let run = async {
            if super::segments::scored_today(&scope).await? {
                return Ok(None);
            }
            super::segments::run(&scope).await.map(Some)
        }
        .await;
        match run {
            Ok(Some(run)) => {
                brands += 1;
                members += run.members;
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!(tenant.id = %brand.id, "member scoring failed: {e:?}");
            }
        }
    }
    Ok((brands, members))
}
