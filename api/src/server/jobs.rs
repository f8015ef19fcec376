//! The one registry of background jobs: the server's loops and `fidelis jobs run` take their
//! list from here, so a job added once runs everywhere. Every job is safe with several
//! instances running at once (each says how in its own module: conditional updates on lots and
//! mail rows, append-once tier history, an idempotency marker per birthday, the coalition row
//! lock), which `tests/e2e/jobs.rs` checks by running the whole registry twice at once.

use std::{future::Future, pin::Pin, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};

use crate::core::{deps::Deps, error::AppError};

/// When a job runs in the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cadence {
    /// The scheduled loop, every `FIDELIS_JOBS_INTERVAL_SECS` (default hourly).
    Scheduled,
    /// The mail worker, every `FIDELIS_MAIL_POLL_SECS` and when woken.
    Mail,
}

type Run = for<'a> fn(
    &'a Deps,
    DateTime<Utc>,
) -> Pin<Box<dyn Future<Output = Result<String, AppError>> + Send + 'a>>;

/// One background job: its name, when it runs, and what one run does (a summary for the
/// log, empty when it did nothing).
pub struct Job {
    pub name: &'static str,
    pub cadence: Cadence,
    run: Run,
}

impl Job {
    pub async fn run(&self, state: &Deps, now: DateTime<Utc>) -> Result<String, AppError> {
        (self.run)(state, now).await
    }
}

/// Every job, in the order one pass runs them.
pub fn registry() -> Vec<Job> {
    vec![
        Job {
            name: "points expiry",
            cadence: Cadence::Scheduled,
            run: |state, now| {
                Box::pin(async move {
                    let r = crate::loyalty::jobs::expiry::run_once(&state.base.db, now).await?;
                    Ok(if r.lots > 0 {
                        format!("{} points in {} lots expired", r.points, r.lots)
                    } else {
                        String::new()
                    })
                })
            },
        },
        Job {
            name: "member scoring",
            cadence: Cadence::Scheduled,
            run: |state, now| {
                Box::pin(async move {
                    let (brands, members) =
                        crate::analytics::jobs::run_once(&state.base.db, now).await?;
                    Ok(if brands > 0 {
                        format!("{members} members of {brands} brands scored")
                    } else {
                        String::new()
                    })
                })
            },
        },
        Job {
            name: "birthday bonuses",
            cadence: Cadence::Scheduled,
            run: |state, now| {
                Box::pin(async move {
                    let n = crate::loyalty::jobs::birthdays::run_once(&state.base.db, now).await?;
                    Ok(if n > 0 {
                        format!("{n} bonuses booked")
                    } else {
                        String::new()
                    })
                })
            },
        },
        Job {
            name: "tier reviews",
            cadence: Cadence::Scheduled,
            run: |state, now| {
                Box::pin(async move {
                    let n = crate::loyalty::tiers::run_once(&state.base.db, now).await?;
                    Ok(if n > 0 {
                        format!("{n} members requalified or moved down")
                    } else {
                        String::new()
                    })
                })
            },
        },
        Job {
            name: "coalition points expiry",
            cadence: Cadence::Scheduled,
            run: |state, now| {
                Box::pin(async move {
                    let r = crate::coalition::points::expire_due(&state.base.db, now).await?;
                    Ok(if r.accounts > 0 {
                        format!("{} points on {} cards expired", r.points, r.accounts)
                    } else {
                        String::new()
                    })
                })
            },
        },
        Job {
            name: "campaign delivery",
            cadence: Cadence::Mail,
            run: |state, now| {
                Box::pin(async move {
                    let r = crate::engagement::campaigns::run_once(
                        &state.base,
                        &state.links,
                        &state.post,
                        now,
                        None,
                    )
                    .await?;
                    Ok(
                        if r == crate::engagement::campaigns::DeliveryReport::default() {
                            String::new()
                        } else {
                            format!("{r:?}")
                        },
                    )
                })
            },
        },
        Job {
            name: "platform mail",
            cadence: Cadence::Mail,
            run: |state, now| {
                Box::pin(async move {
                    let r =
                        crate::core::mail::outbox::run_once(&state.base, &state.post, now).await?;
                    Ok(if r == crate::core::mail::outbox::Report::default() {
                        String::new()
                    } else {
                        format!("{r:?}")
                    })
                })
            },
        },
        Job {
            name: "contest entries",
            cadence: Cadence::Mail,
            run: |state, now| {
                Box::pin(async move {
                    let r = crate::community::contests::entries::run_once(&state.base, now).await?;
                    Ok(
                        if r == crate::community::contests::entries::Report::default() {
                            String::new()
                        } else {
                            format!(
                                "{} entries by purchase, {} withdrawn",
                                r.entered, r.withdrawn
                            )
                        },
                    )
                })
            },
        },
        Job {
            name: "referrals",
            cadence: Cadence::Mail,
            run: |state, now| {
                Box::pin(async move {
                    let r = crate::community::referrals::run_once(&state.base, now).await?;
                    Ok(if r == crate::community::referrals::Report::default() {
                        String::new()
                    } else {
                        format!(
                            "{} referrals converted, {} reversed, {} expired",
                            r.converted, r.reversed, r.expired
                        )
                    })
                })
            },
        },
        Job {
            name: "contest draws",
            cadence: Cadence::Mail,
            run: |state, now| {
                Box::pin(async move {
                    let (drawn, lapsed) =
                        crate::community::contests::draw::run_once(&state.base, now).await?;
                    Ok(if drawn + lapsed > 0 {
                        format!("{drawn} contests drawn, {lapsed} prizes lapsed")
                    } else {
                        String::new()
                    })
                })
            },
        },
        Job {
            name: "clubs and events",
            cadence: Cadence::Mail,
            run: |state, now| {
                Box::pin(async move {
                    let r = crate::community::run_once(&state.base, now).await?;
                    Ok(if r == crate::community::Report::default() {
                        String::new()
                    } else {
                        format!(
                            "{} left paid clubs (membership ended), {} event reminders, {} places of erased members given up",
                            r.left_paid_clubs, r.reminders, r.released
                        )
                    })
                })
            },
        },
        Job {
            name: "transactional mail",
            cadence: Cadence::Mail,
            run: |state, now| {
                Box::pin(async move {
                    let r = crate::engagement::transactional::run_once(
                        &state.base,
                        &state.links,
                        &state.post,
                        now,
                    )
                    .await?;
                    Ok(
                        if r == crate::engagement::transactional::Report::default() {
                            String::new()
                        } else {
                            format!("{r:?}")
                        },
                    )
                })
            },
        },
    ]
}

/// Runs every job of `cadence` (all of them with `None`) once, in registry order; a failing job
/// is logged and the next runs. Returns each job's name and outcome.
pub async fn run_all(
    state: &Deps,
    now: DateTime<Utc>,
    cadence: Option<Cadence>,
) -> Vec<(&'static str, Result<String, AppError>)> {
    let mut out = Vec::new();
    for job in registry()
        .into_iter()
        .filter(|j| cadence.is_none_or(|c| j.cadence == c))
    {
        let result = job.run(state, now).await;
        match &result {
            Ok(summary) if !summary.is_empty() => {
                tracing::info!(job = job.name, "{}: {summary}", job.name);
            }
            Ok(_) => {}
            Err(e) => tracing::error!(job = job.name, error = ?e, "job {} failed", job.name),
        }
        out.push((job.name, result));
    }
    out
}

/// The scheduled loop: every `interval`, the scheduled jobs.
pub fn spawn_scheduled(state: Arc<Deps>, interval: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        loop {
            tick.tick().await;
            run_all(&state, state.base.clock.now(), Some(Cadence::Scheduled)).await;
        }
    });
}

/// The mail worker: the mail jobs every `poll`, and at once when [`Deps::mail_work`] is
/// notified (a campaign sent or resumed, mail settings fixed). Safe with several processes:
/// every mail is claimed by a conditional update before it is sent.
pub fn spawn_mail(state: Arc<Deps>, poll: Duration) {
    tokio::spawn(async move {
        loop {
            run_all(&state, state.base.clock.now(), Some(Cadence::Mail)).await;
            tokio::select! {
                () = state.post.work.notified() => {}
                () = tokio::time::sleep(poll) => {}
            }
        }
    });
}
