//! Delivering a campaign: the worker pass that claims due campaigns, picks their audience,
//! sends to each recipient once (leases, bounded attempts, the weekly marketing cap) and
//! counts what happened. Invariant: a recipient is sent a campaign at most once, whatever
//! the number of workers.
//!
//! Size: over 500 lines on purpose: the delivery pass: claim, pick, send, count, one flow.

use super::*;
use crate::core::{
    deps::{Base, Links},
    mail::Post,
};

/// What one worker run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub started: u64,
    pub sent: u64,
    pub retried: u64,
    pub failed: u64,
    pub bounced: u64,
    pub skipped: u64,
    pub interrupted: u64,
    pub finished: u64,
}

/// One pass of the delivery worker: start due campaigns, deliver what the rate limits allow,
/// finish campaigns with nothing left. `max_sends` stops the pass after that many mails (a
/// worker stopping mid-campaign).
pub async fn run_once(
    base: &Base,
    links: &Links,
    post: &Post,
    now: DateTime<Utc>,
    max_sends: Option<u64>,
) -> Result<DeliveryReport, AppError> {
    let mut report = DeliveryReport {
        interrupted: db::fail_interrupted(&base.db, now).await?,
        ..DeliveryReport::default()
    };
    for campaign in db::due(&base.db, now).await? {
        let scope = base.scope(campaign.tenant_id);
        if start(post, &scope, &campaign, now).await? {
            report.started += 1;
        }
    }
    let mut budget_left = max_sends;
    for campaign in db::sending(&base.db).await? {
        let scope = base.scope(campaign.tenant_id);
        deliver(
            links,
            post,
            &scope,
            &campaign,
            now,
            &mut report,
            &mut budget_left,
        )
        .await?;
        if budget_left == Some(0) {
            return Ok(report);
        }
        if finish(&scope, &campaign, now).await? {
            report.finished += 1;
        }
    }
    Ok(report)
}

/// Pauses a campaign the brand's configuration cannot send, saying why (`CONFIG: ...`); it
/// goes on by itself once the settings are saved right (`mail::release_config_holds`).
pub(super) async fn hold_for_config(
    scope: &TenantScope,
    campaign: Uuid,
    problem: &str,
) -> Result<(), AppError> {
    let conn = scope.conn();
    conn.update_many::<campaign::Entity>()
        .col_expr(
            campaign::Column::Status,
            Expr::value(CampaignStatus::Paused),
        )
        .col_expr(
            campaign::Column::StatusReason,
            Expr::value(Some(format!("CONFIG: {problem}"))),
        )
        .col_expr(campaign::Column::UpdatedAt, Expr::value(scope.now()))
        .filter(campaign::Column::Id.eq(campaign))
        .filter(
            campaign::Column::Status.is_in([CampaignStatus::Scheduled, CampaignStatus::Sending]),
        )
        .exec(conn.db())
        .await?;
    tracing::warn!(tenant.id = %scope.tenant_id(), campaign.id = %campaign, "campaign held: {problem}");
    Ok(())
}

/// Starts a due campaign: status SENDING and one recipient row per mailable member, in one
/// transaction (two workers: one starts it). Returns whether this call started it. A campaign
/// the brand's settings cannot send does not start: it is paused with the reason.
pub(super) async fn start(
    post: &Post,
    scope: &TenantScope,
    campaign: &campaign::Model,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    if let Some(problem) = crate::engagement::mail_settings::settings(post, scope)
        .await?
        .sending_problem()
    {
        hold_for_config(scope, campaign.id, &problem).await?;
        return Ok(false);
    }
    let tx = scope.begin().await?;
    let moved = tx
        .update_many::<campaign::Entity>()
        .col_expr(
            campaign::Column::Status,
            Expr::value(CampaignStatus::Sending),
        )
        .col_expr(campaign::Column::StartedAt, Expr::value(Some(now)))
        .col_expr(campaign::Column::UpdatedAt, Expr::value(now))
        .filter(campaign::Column::Id.eq(campaign.id))
        .filter(campaign::Column::Status.eq(CampaignStatus::Scheduled))
        .exec(tx.db())
        .await?;
    if moved.rows_affected != 1 {
        return Ok(false);
    }
    let filter: Filter = serde_json::from_value(campaign.filter.clone())
        .map_err(|e| AppError::Internal(e.into()))?;
    let audience = audiences::evaluate(&tx, &filter).await?;
    let cap = settings_of(&tx)
        .await?
        .map_or(3, |s| s.marketing_cap_per_week);
    let recent = recent_marketing(&tx, now).await?;
    let mut rows = Vec::with_capacity(audience.mailable.len());
    for m in &audience.mailable {
        let capped = cap > 0 && recent.get(&m.id).copied().unwrap_or(0) >= i64::from(cap);
        rows.push(campaign_recipient::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(scope.tenant_id()),
            campaign_id: Set(campaign.id),
            member_id: Set(m.id),
            email: Set(m.email.clone().unwrap_or_default()),
            status: Set(if capped {
                RecipientStatus::Skipped
            } else {
                RecipientStatus::Queued
            }),
            reason: Set(capped.then(|| format!("FREQUENCY_CAP: {cap} marketing mails in 7 days"))),
            attempts: Set(0),
            next_attempt_at: Set(now),
            lease_until: Set(None),
            sent_at: Set(None),
            unsubscribed_at: Set(None),
            opened_at: Set(None),
            clicked_at: Set(None),
            created_at: Set(now),
        });
    }
    // The control group: a share of those to be mailed, drawn at random (a partial
    // Fisher–Yates shuffle), held out and not mailed.
    let mut queued: Vec<usize> = (0..rows.len())
        .filter(|i| rows[*i].status.as_ref() == &RecipientStatus::Queued)
        .collect();
    let held =
        queued.len() * usize::try_from(campaign.holdout_percent.clamp(0, 50)).unwrap_or(0) / 100;
    for k in 0..held {
        let pick = rand::random_range(k..queued.len());
        queued.swap(k, pick);
        let row = &mut rows[queued[k]];
        row.status = Set(RecipientStatus::HeldOut);
        row.reason = Set(Some("CONTROL_GROUP".to_owned()));
    }
    for chunk in rows.chunks(500) {
        tx.insert_all(chunk.to_vec()).await?;
    }
    tx.update_many::<campaign::Entity>()
        .col_expr(
            campaign::Column::AudienceSize,
            Expr::value(audience.matched as i64),
        )
        .filter(campaign::Column::Id.eq(campaign.id))
        .exec(tx.db())
        .await?;
    tx.commit().await?;
    tracing::info!(tenant.id = %scope.tenant_id(), campaign.id = %campaign.id, "campaign started: {} recipients of {} matched", audience.mailable.len(), audience.matched);
    Ok(true)
}

pub(super) async fn settings_of<C: ConnectionTrait>(
    conn: &Scoped<C>,
) -> Result<Option<mail_settings::Model>, AppError> {
    Ok(conn.find::<mail_settings::Entity>().one(conn.db()).await?)
}

/// Marketing mails sent to each member of the brand in the 7 days before `now`.
pub(super) async fn recent_marketing<C: ConnectionTrait>(
    conn: &Scoped<C>,
    now: DateTime<Utc>,
) -> Result<HashMap<Uuid, i64>, AppError> {
    let rows: Vec<(Uuid, i64)> = conn
        .find::<campaign_recipient::Entity>()
        .select_only()
        .column(campaign_recipient::Column::MemberId)
        .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "n")
        .filter(campaign_recipient::Column::Status.eq(RecipientStatus::Sent))
        .filter(campaign_recipient::Column::SentAt.gt(now - Duration::days(7)))
        .group_by(campaign_recipient::Column::MemberId)
        .into_tuple()
        .all(conn.db())
        .await?;
    Ok(rows.into_iter().collect())
}

pub(super) async fn deliver(
    links: &Links,
    post: &Post,
    scope: &TenantScope,
    campaign: &campaign::Model,
    now: DateTime<Utc>,
    report: &mut DeliveryReport,
    budget_left: &mut Option<u64>,
) -> Result<(), AppError> {
    let conn = scope.conn();
    let settings = crate::engagement::mail_settings::settings(post, scope).await?;
    if let Some(problem) = settings.sending_problem() {
        hold_for_config(scope, campaign.id, &problem).await?;
        return Ok(());
    }
    // The brand's rate: what it may still send in this minute.
    let sent_last_minute = {
        use sea_orm::PaginatorTrait;
        conn.find::<campaign_recipient::Entity>()
            .filter(campaign_recipient::Column::SentAt.gt(now - Duration::seconds(60)))
            .count(conn.db())
            .await? as i64
    };
    let allowed = Ord::max(
        i64::from(settings.send_rate_per_minute) - sent_last_minute,
        0,
    ) as u64;
    if allowed == 0 {
        return Ok(());
    }
    let due = conn
        .find::<campaign_recipient::Entity>()
        .filter(campaign_recipient::Column::CampaignId.eq(campaign.id))
        .filter(campaign_recipient::Column::Status.eq(RecipientStatus::Queued))
        .filter(campaign_recipient::Column::NextAttemptAt.lte(now))
        .order_by_asc(campaign_recipient::Column::Id)
        .limit(allowed)
        .all(conn.db())
        .await?;
    if due.is_empty() {
        return Ok(());
    }
    let template = conn
        .get::<email_template::Entity>(campaign.template_id)
        .await?;
    let pass = Pass {
        campaign,
        parts: Parts {
            subject: template.subject,
            html: template.html,
            text: template.text,
        },
        brand: crate::engagement::mail_settings::brand_and_currency(&conn).await?,
        settings,
    };
    for chunk in due.chunks(CONCURRENCY) {
        if *budget_left == Some(0) {
            return Ok(());
        }
        // A pause or cancellation stops delivery at the next batch.
        let current = conn.get::<campaign::Entity>(campaign.id).await?;
        if current.status != CampaignStatus::Sending {
            return Ok(());
        }
        let take = budget_left.map_or(chunk.len(), |b| Ord::min(b as usize, chunk.len()));
        // SMTP is a conversation of small writes: one at a time, each mail waits on round
        // trips (and delayed ACKs). Several in flight over the transport's pool keep it busy.
        let results = futures_util::future::join_all(
            chunk[..take]
                .iter()
                .map(|recipient| process(links, post, scope, &pass, recipient, now)),
        )
        .await;
        let mut held = None;
        for result in results {
            match result? {
                Some(Delivered::Held(problem)) => held = Some(problem),
                Some(Delivered::Sent) => {
                    report.sent += 1;
                    if let Some(b) = budget_left.as_mut() {
                        *b = b.saturating_sub(1);
                    }
                }
                Some(Delivered::Skipped) => report.skipped += 1,
                Some(Delivered::Retried) => report.retried += 1,
                Some(Delivered::Failed) => report.failed += 1,
                Some(Delivered::Bounced) => report.bounced += 1,
                None => {}
            }
        }
        if let Some(problem) = held {
            hold_for_config(scope, campaign.id, &problem).await?;
            return Ok(());
        }
    }
    Ok(())
}

/// What every mail of one delivery pass of a campaign shares (read once per pass).
pub(super) struct Pass<'a> {
    campaign: &'a campaign::Model,
    parts: Parts,
    settings: crate::engagement::mail_settings::Settings,
    brand: (
        crate::engagement::mail_templates::BrandData,
        crate::core::types::Currency,
    ),
}

/// What became of one recipient.
pub(super) enum Delivered {
    Sent,
    Skipped,
    Retried,
    Failed,
    Bounced,
    /// The brand's configuration cannot send: the recipient is queued again.
    Held(String),
}

/// Claims, sends and records one recipient; `None` when another worker had claimed it.
pub(super) async fn process(
    links: &Links,
    post: &Post,
    scope: &TenantScope,
    pass: &Pass<'_>,
    recipient: &campaign_recipient::Model,
    now: DateTime<Utc>,
) -> Result<Option<Delivered>, AppError> {
    let conn = scope.conn();
    if !claim(&conn, recipient.id, now).await? {
        return Ok(None);
    }
    let outcome = send_one(links, post, &conn, pass, recipient, now).await;
    let (delivered, status, reason, next) = match outcome {
        Ok(Outcome::Sent) => (Delivered::Sent, RecipientStatus::Sent, None, None),
        Ok(Outcome::Skipped(why)) => (
            Delivered::Skipped,
            RecipientStatus::Skipped,
            Some(why),
            None,
        ),
        Err(SendError::Temporary(e)) if recipient.attempts + 1 < MAX_ATTEMPTS => {
            let wait = Duration::minutes(1 << recipient.attempts.clamp(0, 10));
            (
                Delivered::Retried,
                RecipientStatus::Queued,
                Some(format!("TEMPORARY: {e}")),
                Some(now + wait),
            )
        }
        Err(SendError::Temporary(e)) => (
            Delivered::Failed,
            RecipientStatus::Failed,
            Some(format!("GAVE_UP: {e}")),
            None,
        ),
        Err(SendError::Invalid(e)) => (
            Delivered::Failed,
            RecipientStatus::Failed,
            Some(format!("INVALID: {e}")),
            None,
        ),
        Err(SendError::Config(e)) => {
            // Not this recipient's fault: back in the queue as it was, for when the brand
            // fixes its settings.
            conn.update_many::<campaign_recipient::Entity>()
                .col_expr(
                    campaign_recipient::Column::Status,
                    Expr::value(RecipientStatus::Queued),
                )
                .col_expr(
                    campaign_recipient::Column::Reason,
                    Expr::value(Some(format!("CONFIG: {e}"))),
                )
                .col_expr(
                    campaign_recipient::Column::LeaseUntil,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .filter(campaign_recipient::Column::Id.eq(recipient.id))
                .exec(conn.db())
                .await?;
            return Ok(Some(Delivered::Held(e)));
        }
        Err(SendError::Permanent(e)) => {
            audiences::suppress_in(
                &conn,
                &recipient.email,
                suppression::SuppressionReason::Bounced,
            )
            .await?;
            (
                Delivered::Bounced,
                RecipientStatus::Bounced,
                Some(format!("BOUNCED: {e}")),
                None,
            )
        }
    };
    let mut update = conn
        .update_many::<campaign_recipient::Entity>()
        .col_expr(campaign_recipient::Column::Status, Expr::value(status))
        .col_expr(campaign_recipient::Column::Reason, Expr::value(reason))
        .col_expr(
            campaign_recipient::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            campaign_recipient::Column::Attempts,
            Expr::col(campaign_recipient::Column::Attempts).add(1),
        )
        .filter(campaign_recipient::Column::Id.eq(recipient.id));
    if status == RecipientStatus::Sent {
        update = update.col_expr(
            campaign_recipient::Column::SentAt,
            Expr::value(Some(scope.now())),
        );
    }
    if let Some(next) = next {
        update = update.col_expr(campaign_recipient::Column::NextAttemptAt, Expr::value(next));
    }
    update.exec(conn.db()).await?;
    Ok(Some(delivered))
}

/// QUEUED -> SENDING under a lease; false when another worker has it.
pub(super) async fn claim<C: ConnectionTrait>(
    conn: &Scoped<C>,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    Ok(conn
        .update_many::<campaign_recipient::Entity>()
        .col_expr(
            campaign_recipient::Column::Status,
            Expr::value(RecipientStatus::Sending),
        )
        .col_expr(
            campaign_recipient::Column::LeaseUntil,
            Expr::value(Some(now + Duration::seconds(LEASE))),
        )
        .filter(campaign_recipient::Column::Id.eq(id))
        .filter(campaign_recipient::Column::Status.eq(RecipientStatus::Queued))
        .exec(conn.db())
        .await?
        .rows_affected
        == 1)
}

pub(super) enum Outcome {
    Sent,
    Skipped(String),
}

pub(super) async fn send_one<C: ConnectionTrait>(
    links: &Links,
    post: &Post,
    conn: &Scoped<C>,
    pass: &Pass<'_>,
    recipient: &campaign_recipient::Model,
    now: DateTime<Utc>,
) -> Result<Outcome, SendError> {
    let settings = &pass.settings;
    let internal = |e: AppError| SendError::Temporary(e.to_string());
    // Consent withdrawn or address suppressed since the campaign started: not mailed.
    let member = conn
        .get::<member::Entity>(recipient.member_id)
        .await
        .map_err(internal)?;
    if !member.email_consent || member.email.as_deref() != Some(recipient.email.as_str()) {
        return Ok(Outcome::Skipped(
            "NO_CONSENT: consent withdrawn or address changed".to_owned(),
        ));
    }
    let suppressed = conn
        .find::<suppression::Entity>()
        .filter(suppression::Column::Email.eq(&recipient.email))
        .one(conn.db())
        .await
        .map_err(|e| SendError::Temporary(e.to_string()))?;
    if suppressed.is_some() {
        return Ok(Outcome::Skipped(
            "SUPPRESSED: on the suppression list".to_owned(),
        ));
    }
    let (brand, currency) = &pass.brand;
    let mut data =
        crate::engagement::mail_settings::data_of(links, conn, member, brand.clone(), currency)
            .await
            .map_err(internal)?;
    let unsubscribe = unsubscribe_url(links, recipient.id, now);
    data.links.unsubscribe = unsubscribe.clone();
    data.campaign = Some(CampaignData {
        name: pass.campaign.name.clone(),
    });
    let mut rendered = crate::engagement::mail_templates::render(&pass.parts, &data)
        .map_err(|e| SendError::Invalid(format!("the template does not render: {e}")))?;
    if settings.tracking && !rendered.html.trim().is_empty() {
        rendered.html = track_html(links, recipient.id, &rendered.html, &unsubscribe);
    }
    post.mailer
        .send_marketing(MarketingMail {
            from_name: settings.from_name.clone(),
            from_address: settings.from_address.clone(),
            reply_to: settings.reply_to.clone(),
            dkim: settings.dkim.clone(),
            to: recipient.email.clone(),
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
            unsubscribe_url: Some(unsubscribe),
        })
        .await?;
    Ok(Outcome::Sent)
}

/// SENDING campaigns with nothing queued or in flight are SENT.
pub(super) async fn finish(
    scope: &TenantScope,
    campaign: &campaign::Model,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    use sea_orm::PaginatorTrait;
    let conn = scope.conn();
    let left = conn
        .find::<campaign_recipient::Entity>()
        .filter(campaign_recipient::Column::CampaignId.eq(campaign.id))
        .filter(
            campaign_recipient::Column::Status
                .is_in([RecipientStatus::Queued, RecipientStatus::Sending]),
        )
        .count(conn.db())
        .await?;
    if left > 0 {
        return Ok(false);
    }
    let tx = scope.begin().await?;
    let finished = tx
        .update_many::<campaign::Entity>()
        .col_expr(campaign::Column::Status, Expr::value(CampaignStatus::Sent))
        .col_expr(campaign::Column::FinishedAt, Expr::value(Some(now)))
        .filter(campaign::Column::Id.eq(campaign.id))
        .filter(campaign::Column::Status.eq(CampaignStatus::Sending))
        .exec(tx.db())
        .await?
        .rows_affected
        == 1;
    if finished {
        let stats = stats(&tx, campaign.id).await?;
        crate::core::events::append(
            &tx,
            "campaign.sent",
            Some(campaign.id),
            None,
            serde_json::json!({ "name": campaign.name, "sent": stats.sent, "failed": stats.failed, "skipped": stats.skipped }),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(finished)
}
