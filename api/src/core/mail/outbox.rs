//! Platform mails (address verification, password reset, invitation, member account access):
//! queued in the transaction that created their one-time link ([`queue`]), so the link and its
//! mail commit together; sent right after commit ([`send_now`]) and, if the process stopped in
//! between or the mail server answered "later", by the mail worker ([`run_once`]).
//!
//! Invariants: a queued mail is sent at least once or ends FAILED with a reason (never lost);
//! one sender at a time holds a mail (a conditional update claims it for a lease, and a sender
//! that died gives it back when the lease ends); bodies, which carry one-time links, are cleared
//! once the mail is sent or given up.

use chrono::{DateTime, Duration, Utc};
use entity::outbox_mail;
use sea_orm::{ActiveValue::Set, ConnectionTrait};
use uuid::Uuid;

use crate::core::{
    deps::Base,
    error::AppError,
    mail::{MarketingMail, OutgoingMail, Post, SendError, store},
};

/// How long a sender holds a mail before another may take it (longer than one SMTP exchange).
const LEASE: Duration = Duration::minutes(2);
/// Attempts before a mail is given up.
pub const MAX_ATTEMPTS: i32 = 8;
/// Mails one worker pass sends at most.
const PER_PASS: u64 = 200;

const QUEUED: &str = "QUEUED";
const SENDING: &str = "SENDING";
const SENT: &str = "SENT";
const FAILED: &str = "FAILED";

/// Queues `mail` in the caller's transaction, from the platform's sender or, with `brand`, from
/// that brand's. Returns its id for [`send_now`] once the transaction has committed.
pub async fn queue<C: ConnectionTrait>(
    conn: &C,
    brand: Option<Uuid>,
    mail: OutgoingMail,
    now: DateTime<Utc>,
) -> Result<Uuid, AppError> {
    let id = Uuid::now_v7();
    store::insert(
        conn,
        outbox_mail::ActiveModel {
            id: Set(id),
            brand_id: Set(brand),
            recipient: Set(mail.to),
            subject: Set(mail.subject),
            text: Set(mail.text),
            html: Set(mail.html),
            status: Set(QUEUED.to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            reason: Set(None),
            created_at: Set(now),
            sent_at: Set(None),
        },
    )
    .await?;
    Ok(id)
}

/// Sends a queued mail now (after its transaction committed). A failure is logged and left to
/// the worker's retries; the caller's work stands either way.
pub async fn send_now(base: &Base, post: &Post, id: Uuid) {
    let now = base.clock.now();
    match store::get(&base.db, id).await {
        Ok(Some(row)) => {
            if let Err(e) = attempt(base, post, row, now).await {
                tracing::error!(mail.id = %id, error = ?e, "could not send a platform mail");
            }
            post.work.notify_one();
        }
        Ok(None) => {}
        Err(e) => tracing::error!(mail.id = %id, error = %e, "could not read a queued mail"),
    }
}

/// What one worker pass did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub sent: u32,
    pub retrying: u32,
    pub failed: u32,
}

/// Sends every mail that is due: queued ones whose time came, and ones whose sender's lease ran
/// out.
pub async fn run_once(base: &Base, post: &Post, now: DateTime<Utc>) -> Result<Report, AppError> {
    let due = store::due(&base.db, &[QUEUED, SENDING], now, PER_PASS).await?;
    let mut report = Report::default();
    for row in due {
        match attempt(base, post, row, now).await? {
            Some(Outcome::Sent) => report.sent += 1,
            Some(Outcome::Retrying) => report.retrying += 1,
            Some(Outcome::Failed) => report.failed += 1,
            None => {}
        }
    }
    Ok(report)
}

enum Outcome {
    Sent,
    Retrying,
    Failed,
}

/// Claims `row` (unless another sender did since it was read), sends it and records the
/// outcome.
async fn attempt(
    base: &Base,
    post: &Post,
    row: outbox_mail::Model,
    now: DateTime<Utc>,
) -> Result<Option<Outcome>, AppError> {
    if row.status != QUEUED && row.status != SENDING || row.next_attempt_at > now {
        return Ok(None);
    }
    if !store::claim(&base.db, &row, SENDING, now + LEASE).await? {
        return Ok(None);
    }
    let attempts = row.attempts + 1;
    let result = deliver(base, post, &row).await;
    let (status, next, reason, outcome) = match result {
        Ok(()) => (SENT, now, None, Outcome::Sent),
        Err(SendError::Permanent(r) | SendError::Invalid(r)) => {
            (FAILED, now, Some(r), Outcome::Failed)
        }
        Err(e) if attempts >= MAX_ATTEMPTS => (FAILED, now, Some(e.to_string()), Outcome::Failed),
        Err(e) => (
            QUEUED,
            now + backoff(attempts),
            Some(e.to_string()),
            Outcome::Retrying,
        ),
    };
    // The bodies carry one-time links: nothing keeps them once the mail left or was given up.
    store::finish(
        &base.db,
        row.id,
        attempts,
        status,
        next,
        reason.map(|r| r.chars().take(300).collect()),
        (status == SENT).then_some(now),
        status != QUEUED,
    )
    .await?;
    match outcome {
        Outcome::Retrying => {
            tracing::warn!(mail.id = %row.id, attempts, "platform mail not sent, will retry");
        }
        Outcome::Failed => {
            tracing::error!(mail.id = %row.id, attempts, "platform mail given up");
        }
        Outcome::Sent => {}
    }
    Ok(Some(outcome))
}

/// One minute after the first failure, doubling, at most an hour.
fn backoff(attempts: i32) -> Duration {
    Duration::minutes(1_i64 << attempts.clamp(1, 7).saturating_sub(1)).min(Duration::hours(1))
}

async fn deliver(base: &Base, post: &Post, row: &outbox_mail::Model) -> Result<(), SendError> {
    match row.brand_id {
        None => {
            post.mailer
                .send(OutgoingMail {
                    to: row.recipient.clone(),
                    subject: row.subject.clone(),
                    text: row.text.clone(),
                    html: row.html.clone(),
                })
                .await
        }
        Some(brand) => {
            let scope = base.scope(brand);
            let settings = crate::core::mail::sender::of_brand(post, &scope)
                .await
                .map_err(|e| SendError::Temporary(e.to_string()))?;
            post.mailer
                .send_marketing(MarketingMail {
                    from_name: settings.from_name,
                    from_address: settings.from_address,
                    reply_to: settings.reply_to,
                    dkim: settings.dkim,
                    to: row.recipient.clone(),
                    subject: row.subject.clone(),
                    text: row.text.clone(),
                    html: row.html.clone(),
                    unsubscribe_url: None,
                })
                .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_from_a_minute_to_an_hour() {
        assert_eq!(backoff(1), Duration::minutes(1));
        assert_eq!(backoff(2), Duration::minutes(2));
        assert_eq!(backoff(4), Duration::minutes(8));
        assert_eq!(backoff(7), Duration::hours(1));
        assert_eq!(backoff(MAX_ATTEMPTS), Duration::hours(1));
    }
}
