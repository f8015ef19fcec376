//! Background jobs run by the server (and callable from the CLI and tests).

pub mod birthdays;
pub mod expiry;

use std::time::Duration;

/// Runs the scheduled jobs (points expiry, birthday bonuses, tier requalification, coalition
/// points expiry) every `interval` until the process stops. Each job is safe to run
/// concurrently from several processes. Mail has its own worker, [`spawn_mail`].
pub fn spawn(state: std::sync::Arc<crate::app::AppState>, interval: Duration) {
    tokio::spawn(async move {
        let db = state.db.clone();
        let mut tick = tokio::time::interval(interval);
        loop {
            tick.tick().await;
            let now = state.clock.now();
            match expiry::run_once(&db, now).await {
                Ok(r) if r.lots > 0 => {
                    tracing::info!("expiry job: {} points in {} lots expired", r.points, r.lots)
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = ?e, "expiry job failed"),
            }
            match birthdays::run_once(&db, now).await {
                Ok(n) if n > 0 => tracing::info!("birthday job: {n} bonuses booked"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = ?e, "birthday job failed"),
            }
            match crate::domain::tiers::run_once(&db, now).await {
                Ok(n) if n > 0 => tracing::info!("tier job: {n} members requalified or moved down"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = ?e, "tier job failed"),
            }
            match crate::domain::coalition_points::expire_due(&db, now).await {
                Ok(r) if r.accounts > 0 => tracing::info!(
                    "coalition expiry job: {} points on {} cards expired",
                    r.points,
                    r.accounts
                ),
                Ok(_) => {}
                Err(e) => tracing::error!(error = ?e, "coalition expiry job failed"),
            }
        }
    });
}

/// The mail worker: starts due campaigns, delivers them at each brand's per-minute rate and
/// sends transactional mail, every `poll` and whenever [`AppState::mail_work`] is notified (a
/// campaign sent or resumed, mail settings fixed). Safe with several processes: every mail is
/// claimed by a conditional update before it is sent.
///
/// [`AppState::mail_work`]: crate::app::AppState::mail_work
pub fn spawn_mail(state: std::sync::Arc<crate::app::AppState>, poll: Duration) {
    tokio::spawn(async move {
        loop {
            let now = state.clock.now();
            match crate::domain::campaigns::run_once(&state, now, None).await {
                Ok(r) if r != crate::domain::campaigns::DeliveryReport::default() => {
                    tracing::info!(report = ?r, "campaign delivery")
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = ?e, "campaign delivery failed"),
            }
            match crate::domain::transactional::run_once(&state, now).await {
                Ok(r) if r != crate::domain::transactional::Report::default() => {
                    tracing::info!(report = ?r, "transactional mail")
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = ?e, "transactional mail failed"),
            }
            tokio::select! {
                () = state.mail_work.notified() => {}
                () = tokio::time::sleep(poll) => {}
            }
        }
    });
}
