//! `fidelis ledger verify`: the books recounted by `core::ledger::verify`, plus the coalition
//! context's check of closed periods against their statements. Here because only `server`
//! may know both.

use sea_orm::ConnectionTrait;

use crate::core::{error::AppError, ledger::verify::LedgerReport};

/// Proves the ledger's invariants over every brand and coalition, from the entries alone.
pub async fn verify_ledger<C: ConnectionTrait>(conn: &C) -> Result<LedgerReport, AppError> {
    let mut report = crate::core::ledger::verify::books(conn).await?;
    let (mismatches, not_zero) = crate::coalition::settlement::check_closed(conn).await?;
    report.coalition_statement_mismatches = mismatches;
    report.coalition_periods_not_zero_sum = not_zero;
    Ok(report)
}
