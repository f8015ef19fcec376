//! Books the expiry of points whose lots reached their expiry date: one EXPIRE transaction per
//! lot, moving what remains to the brand's breakage account.
//!
//! Exactly once, also with several workers or after a crash: each lot is booked in its own
//! transaction, and the lot's remainder only moves through the ledger's conditional update, so a
//! second worker finds nothing left (or fails its update and rolls back).

use chrono::{DateTime, Utc};
use entity::point_lot;
use sea_orm::DatabaseConnection;

use crate::core::{error::AppError, ledger, tenancy::TenantScope};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpiryReport {
    pub lots: u64,
    pub points: i64,
}

/// Books every expiry due at `now`.
pub async fn run_once(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<ExpiryReport, AppError> {
    let mut report = ExpiryReport::default();
    loop {
        let due = crate::loyalty::store::due_lots(db, now, 200).await?;
        if due.is_empty() {
            return Ok(report);
        }
        let mut progressed = false;
        for lot in due {
            match expire_lot(db, &lot, now).await {
                Ok(0) => {}
                Ok(points) => {
                    progressed = true;
                    report.lots += 1;
                    report.points += points;
                }
                // Another worker booked it between our read and our update.
                Err(AppError::InsufficientBalance(_)) => progressed = true,
                Err(e) => return Err(e),
            }
        }
        if !progressed {
            return Ok(report);
        }
    }
}

async fn expire_lot(
    db: &DatabaseConnection,
    lot: &point_lot::Model,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    let scope = TenantScope::with_clock(
        db.clone(),
        lot.tenant_id,
        crate::core::clock::Clock::starting_at(now),
    );
    let tx = scope.begin().await?;
    // Read again inside the transaction: another worker (or a member's own activity, which
    // books due expiries as it goes) may have booked it.
    let lot = tx.get::<point_lot::Entity>(lot.id).await?;
    let points = ledger::expire_lot(&tx, &lot, now).await?;
    if points == 0 {
        return Ok(0);
    }
    tx.commit().await?;
    tracing::info!(tenant.id = %lot.tenant_id, member.id = %lot.member_id, "{points} points expired");
    Ok(points)
}
