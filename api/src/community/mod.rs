//! Community and games: consumer clubs, events, contests and lotteries with provably fair
//! draws, referrals. Depends on identity
//! (the brand's staff may not enter) and loyalty (tiers, points, vouchers); the winners' mail
//! is told by the `contest.won` event, which carries what the mail says.

pub mod clubs;
pub mod coalition_clubs;
pub mod contests;
pub mod events;
pub mod fairness;
pub mod graphql;
pub mod http;
pub mod referrals;
mod store;

use chrono::{DateTime, Duration, Utc};

use crate::core::{deps::Base, error::AppError};

/// The outbox reader that takes erased members out of clubs and events.
const ERASURES: crate::core::events::Consumer = crate::core::events::Consumer {
    name: "community erasures",
    start_back: Duration::hours(48),
};

/// What one pass of the `clubs and events` job did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    /// Members who left a paid club when their membership ended.
    pub left_paid_clubs: u64,
    pub reminders: u64,
    /// Club places and event seats given up by erased members.
    pub released: u64,
}

/// The `clubs and events` job: paid clubs whose membership ended, day-before reminders, and
/// erased members' places and seats.
pub async fn run_once(base: &Base, now: DateTime<Utc>) -> Result<Report, AppError> {
    // Erasures first: the other parts failing must not hold them up.
    let mut report = Report::default();
    let (erased, next) = ERASURES
        .poll(&base.db, &["member.erased"], now, 1_000)
        .await?;
    let mut failed = false;
    for event in &erased {
        let Some(member) = event.member_id else {
            continue;
        };
        let scope = base.scope(event.tenant_id);
        // Both steps act on what is left (idempotent): a pass that failed is simply run again.
        let done = match clubs::leave_all(&scope, member).await {
            Ok(n) => events::release(&scope, member).await.map(|m| n + m),
            Err(e) => Err(e),
        };
        match done {
            Ok(n) => report.released += n,
            Err(e) => {
                tracing::warn!(event.id = %event.id, "places of an erased member: {e}; retried next pass");
                failed = true;
            }
        }
    }
    if !failed && let Some(next) = next {
        ERASURES.advance(&base.db, next, now).await?;
    }
    report.left_paid_clubs = clubs::settle_paid(base, now).await?;
    report.reminders = events::remind(base, now).await?;
    Ok(report)
}
