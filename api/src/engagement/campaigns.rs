//! Marketing campaigns: a MARKETING template sent to an audience, now or at a time in the
//! brand's time zone; paused, resumed, cancelled; delivered by a background worker.
//!
//! Delivery, at most once per member: when a campaign starts, one recipient row is written per
//! mailable member of the audience (unique per campaign and member), in the same transaction as
//! the status change, so a crash there leaves nothing half-done. Each mail is then claimed by a
//! conditional update (QUEUED -> SENDING, with a lease), sent, and marked SENT. Two workers never
//! claim the same row; a worker that stops between two mails leaves the rest QUEUED for the
//! next run; a worker that stops inside the SMTP exchange leaves one row SENDING, marked FAILED
//! (INTERRUPTED) when its lease runs out rather than risking a duplicate.
//!
//! Temporary SMTP failures are retried with exponential backoff (1, 2, 4, 8 minutes), then
//! FAILED; permanent ones are BOUNCED and the address is suppressed. A brand's rate limit caps
//! the mails it sends per minute (counted from what was sent in the last 60 s, so it holds across
//! workers). The frequency cap skips members who already received the brand's cap of marketing
//! mails in the last 7 days (SKIPPED, FREQUENCY_CAP). A member who unsubscribes or withdraws
//! consent before their turn is skipped.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone as _, Utc};
use entity::{
    campaign::{self, CampaignStatus},
    campaign_recipient::{self, RecipientStatus},
    email_template::{self, TemplatePurpose},
    mail_settings, member, suppression,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, ExprTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    core::{
        deps::Deps,
        error::AppError,
        mail::{MarketingMail, SendError},
        signing::Purpose,
        tenancy::{Scoped, TenantScope},
        types::text,
    },
    engagement::{
        audiences,
        audiences::Filter,
        mail_templates::{CampaignData, Parts},
        store as db,
    },
};

const LEASE: i64 = 300;
const MAX_ATTEMPTS: i32 = 5;
/// Mails in flight at once per worker (each over its own pooled SMTP connection).
const CONCURRENCY: usize = 16;
const UNSUBSCRIBE_VALID_DAYS: i64 = 90;
/// The reason prefix of recipients whose worker stopped mid-delivery (see `db::campaigns`).
pub const INTERRUPTED: &str = "INTERRUPTED";

/// A campaign with its delivery figures.
#[derive(Debug, Clone)]
pub struct View {
    pub campaign: campaign::Model,
    pub stats: Stats,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub queued: i64,
    pub sent: i64,
    /// Not delivered, for good (gave up after retries, bad recipient address, template).
    pub failed: i64,
    /// The worker stopped during the SMTP exchange: maybe delivered, never resent.
    pub interrupted: i64,
    pub bounced: i64,
    pub skipped: i64,
    pub unsubscribed: i64,
    pub opened: i64,
    pub clicked: i64,
    pub skipped_reasons: Vec<(String, i64)>,
    /// Failed and interrupted recipients per reason (`GAVE_UP`, `INVALID`, `INTERRUPTED`...).
    pub failed_reasons: Vec<(String, i64)>,
}

fn add_reason(list: &mut Vec<(String, i64)>, reason: Option<String>, n: i64) {
    let reason = reason.unwrap_or_default();
    let key = reason.split(':').next().unwrap_or("").to_owned();
    match list.iter_mut().find(|(r, _)| *r == key) {
        Some((_, total)) => *total += n,
        None => list.push((key, n)),
    }
}

/// Per status and reason: recipients, and how many of them unsubscribed, opened, clicked.
type StatusCounts = (RecipientStatus, Option<String>, i64, i64, i64, i64);

async fn stats<C: ConnectionTrait>(conn: &Scoped<C>, campaign: Uuid) -> Result<Stats, AppError> {
    let rows: Vec<StatusCounts> = conn
        .find::<campaign_recipient::Entity>()
        .select_only()
        .column(campaign_recipient::Column::Status)
        .column(campaign_recipient::Column::Reason)
        .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "n")
        .column_as(
            Expr::cust("CAST(COUNT(unsubscribed_at) AS BIGINT)"),
            "unsubscribed",
        )
        .column_as(Expr::cust("CAST(COUNT(opened_at) AS BIGINT)"), "opened")
        .column_as(Expr::cust("CAST(COUNT(clicked_at) AS BIGINT)"), "clicked")
        .filter(campaign_recipient::Column::CampaignId.eq(campaign))
        .group_by(campaign_recipient::Column::Status)
        .group_by(campaign_recipient::Column::Reason)
        .into_tuple()
        .all(conn.db())
        .await?;
    let mut s = Stats::default();
    for (status, reason, n, unsubscribed, opened, clicked) in rows {
        s.unsubscribed += unsubscribed;
        s.opened += opened;
        s.clicked += clicked;
        match status {
            RecipientStatus::Queued | RecipientStatus::Sending => s.queued += n,
            RecipientStatus::Sent => s.sent += n,
            RecipientStatus::Failed => {
                if reason
                    .as_deref()
                    .is_some_and(|r| r.starts_with(INTERRUPTED))
                {
                    s.interrupted += n;
                } else {
                    s.failed += n;
                }
                add_reason(&mut s.failed_reasons, reason, n);
            }
            RecipientStatus::Bounced => s.bounced += n,
            RecipientStatus::Skipped => {
                s.skipped += n;
                add_reason(&mut s.skipped_reasons, reason, n);
            }
        }
    }
    s.skipped_reasons.sort();
    s.failed_reasons.sort();
    Ok(s)
}

pub async fn get(scope: &TenantScope, id: Uuid) -> Result<View, AppError> {
    let conn = scope.conn();
    let campaign = conn.get::<campaign::Entity>(id).await?;
    let stats = stats(&conn, campaign.id).await?;
    Ok(View { campaign, stats })
}

pub async fn list(scope: &TenantScope) -> Result<Vec<View>, AppError> {
    let conn = scope.conn();
    let campaigns = conn
        .find::<campaign::Entity>()
        .order_by_desc(campaign::Column::Id)
        .limit(100)
        .all(conn.db())
        .await?;
    let mut out = Vec::with_capacity(campaigns.len());
    for campaign in campaigns {
        let stats = stats(&conn, campaign.id).await?;
        out.push(View { campaign, stats });
    }
    Ok(out)
}

/// A new campaign (DRAFT) of a MARKETING template to an audience.
pub async fn create(
    scope: &TenantScope,
    user: Option<Uuid>,
    name: &str,
    template: Uuid,
    filter: &Filter,
) -> Result<View, AppError> {
    let name = text("input.name", name, 200)?;
    audiences::check(filter)?;
    let tx = scope.begin().await?;
    let template = tx
        .get::<email_template::Entity>(template)
        .await
        .map_err(|_| {
            AppError::validation("input.templateId", "no template of this brand has this id")
        })?;
    if template.purpose != TemplatePurpose::Marketing {
        return Err(AppError::validation(
            "input.templateId",
            "is a transactional template; campaigns send MARKETING templates",
        ));
    }
    // The filter must evaluate (its segments exist): checked now, not when it starts.
    audiences::evaluate(&tx, filter).await?;
    let now = scope.now();
    let id = Uuid::now_v7();
    tx.insert(campaign::ActiveModel {
        id: Set(id),
        tenant_id: Set(scope.tenant_id()),
        name: Set(name),
        template_id: Set(template.id),
        filter: Set(serde_json::to_value(filter).map_err(|e| AppError::Internal(e.into()))?),
        status: Set(CampaignStatus::Draft),
        scheduled_at: Set(None),
        started_at: Set(None),
        finished_at: Set(None),
        audience_size: Set(0),
        created_by: Set(user),
        status_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .await?;
    tx.commit().await?;
    get(scope, id).await
}

/// Moves a campaign from one of `from` to `to` (with extra columns); CONFLICT when it is in
/// another status (two racing changes cannot both pass).
async fn transition(
    scope: &TenantScope,
    id: Uuid,
    from: &[CampaignStatus],
    to: CampaignStatus,
    extra: Vec<(campaign::Column, sea_orm::Value)>,
    what: &str,
) -> Result<View, AppError> {
    let conn = scope.conn();
    let current = conn.get::<campaign::Entity>(id).await?;
    let mut update = conn
        .update_many::<campaign::Entity>()
        .col_expr(campaign::Column::Status, Expr::value(to))
        .col_expr(campaign::Column::UpdatedAt, Expr::value(scope.now()))
        .filter(campaign::Column::Id.eq(current.id))
        .filter(campaign::Column::Status.is_in(from.iter().copied()));
    for (column, value) in extra {
        update = update.col_expr(column, Expr::value(value));
    }
    if update.exec(conn.db()).await?.rows_affected != 1 {
        return Err(AppError::conflict(format!(
            "a {} campaign cannot be {what}",
            sea_orm::ActiveEnum::to_value(&current.status)
        )));
    }
    get(scope, id).await
}

/// Schedules at a local time of the brand's time zone (DST gaps refused, ambiguous times take
/// the first occurrence).
pub async fn schedule(
    state: &Deps,
    scope: &TenantScope,
    id: Uuid,
    local: NaiveDateTime,
) -> Result<View, AppError> {
    ensure_sendable(state, scope).await?;
    let brand = scope.brand().await?;
    let tz: chrono_tz::Tz = brand.timezone.parse().unwrap_or(chrono_tz::UTC);
    let at = tz
        .from_local_datetime(&local)
        .earliest()
        .ok_or_else(|| {
            AppError::validation(
                "input.at",
                "does not exist in the brand's time zone (clock change)",
            )
        })?
        .with_timezone(&Utc);
    if at < scope.now() - Duration::minutes(1) {
        return Err(AppError::validation("input.at", "is in the past"));
    }
    transition(
        scope,
        id,
        &[CampaignStatus::Draft, CampaignStatus::Scheduled],
        CampaignStatus::Scheduled,
        vec![(campaign::Column::ScheduledAt, Some(at).into())],
        "scheduled",
    )
    .await
}

/// CONFLICT when the brand's mail settings cannot send anything (said before it starts).
async fn ensure_sendable(state: &Deps, scope: &TenantScope) -> Result<(), AppError> {
    match crate::engagement::mail_settings::settings(state, scope)
        .await?
        .sending_problem()
    {
        Some(problem) => Err(AppError::conflict(format!(
            "the brand's mail settings cannot send: {problem}; fix them first"
        ))),
        None => Ok(()),
    }
}

pub async fn send_now(state: &Deps, scope: &TenantScope, id: Uuid) -> Result<View, AppError> {
    ensure_sendable(state, scope).await?;
    let view = transition(
        scope,
        id,
        &[CampaignStatus::Draft, CampaignStatus::Scheduled],
        CampaignStatus::Scheduled,
        vec![(campaign::Column::ScheduledAt, Some(scope.now()).into())],
        "sent",
    )
    .await?;
    // The delivery worker starts it now rather than at its next poll.
    state.mail_work.notify_one();
    Ok(view)
}

pub async fn pause(scope: &TenantScope, id: Uuid) -> Result<View, AppError> {
    transition(
        scope,
        id,
        &[CampaignStatus::Scheduled, CampaignStatus::Sending],
        CampaignStatus::Paused,
        Vec::new(),
        "paused",
    )
    .await
}

/// Resumes a paused campaign: sending again if it had started, scheduled otherwise.
pub async fn resume(state: &Deps, scope: &TenantScope, id: Uuid) -> Result<View, AppError> {
    ensure_sendable(state, scope).await?;
    let current = scope.conn().get::<campaign::Entity>(id).await?;
    let to = if current.started_at.is_some() {
        CampaignStatus::Sending
    } else {
        CampaignStatus::Scheduled
    };
    let view = transition(
        scope,
        id,
        &[CampaignStatus::Paused],
        to,
        vec![(
            campaign::Column::StatusReason,
            Option::<String>::None.into(),
        )],
        "resumed",
    )
    .await?;
    state.mail_work.notify_one();
    Ok(view)
}

/// Cancels: nothing more is sent; queued recipients are SKIPPED (CANCELLED).
pub async fn cancel(scope: &TenantScope, id: Uuid) -> Result<View, AppError> {
    transition(
        scope,
        id,
        &[
            CampaignStatus::Draft,
            CampaignStatus::Scheduled,
            CampaignStatus::Sending,
            CampaignStatus::Paused,
        ],
        CampaignStatus::Cancelled,
        vec![(campaign::Column::FinishedAt, Some(scope.now()).into())],
        "cancelled",
    )
    .await?;
    let conn = scope.conn();
    conn.update_many::<campaign_recipient::Entity>()
        .col_expr(
            campaign_recipient::Column::Status,
            Expr::value(RecipientStatus::Skipped),
        )
        .col_expr(
            campaign_recipient::Column::Reason,
            Expr::value(Some("CANCELLED".to_owned())),
        )
        .filter(campaign_recipient::Column::CampaignId.eq(id))
        .filter(campaign_recipient::Column::Status.eq(RecipientStatus::Queued))
        .exec(conn.db())
        .await?;
    get(scope, id).await
}

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
    state: &Deps,
    now: DateTime<Utc>,
    max_sends: Option<u64>,
) -> Result<DeliveryReport, AppError> {
    let mut report = DeliveryReport {
        interrupted: db::fail_interrupted(&state.db, now).await?,
        ..DeliveryReport::default()
    };
    for campaign in db::due(&state.db, now).await? {
        let scope =
            TenantScope::with_clock(state.db.clone(), campaign.tenant_id, state.clock.clone());
        if start(state, &scope, &campaign, now).await? {
            report.started += 1;
        }
    }
    let mut budget_left = max_sends;
    for campaign in db::sending(&state.db).await? {
        let scope =
            TenantScope::with_clock(state.db.clone(), campaign.tenant_id, state.clock.clone());
        deliver(state, &scope, &campaign, now, &mut report, &mut budget_left).await?;
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
async fn hold_for_config(
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
async fn start(
    state: &Deps,
    scope: &TenantScope,
    campaign: &campaign::Model,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    if let Some(problem) = crate::engagement::mail_settings::settings(state, scope)
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

async fn settings_of<C: ConnectionTrait>(
    conn: &Scoped<C>,
) -> Result<Option<mail_settings::Model>, AppError> {
    Ok(conn.find::<mail_settings::Entity>().one(conn.db()).await?)
}

/// Marketing mails sent to each member of the brand in the 7 days before `now`.
async fn recent_marketing<C: ConnectionTrait>(
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

async fn deliver(
    state: &Deps,
    scope: &TenantScope,
    campaign: &campaign::Model,
    now: DateTime<Utc>,
    report: &mut DeliveryReport,
    budget_left: &mut Option<u64>,
) -> Result<(), AppError> {
    let conn = scope.conn();
    let settings = crate::engagement::mail_settings::settings(state, scope).await?;
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
                .map(|recipient| process(state, scope, &pass, recipient, now)),
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
struct Pass<'a> {
    campaign: &'a campaign::Model,
    parts: Parts,
    settings: crate::engagement::mail_settings::Settings,
    brand: (
        crate::engagement::mail_templates::BrandData,
        crate::core::types::Currency,
    ),
}

/// What became of one recipient.
enum Delivered {
    Sent,
    Skipped,
    Retried,
    Failed,
    Bounced,
    /// The brand's configuration cannot send: the recipient is queued again.
    Held(String),
}

/// Claims, sends and records one recipient; `None` when another worker had claimed it.
async fn process(
    state: &Deps,
    scope: &TenantScope,
    pass: &Pass<'_>,
    recipient: &campaign_recipient::Model,
    now: DateTime<Utc>,
) -> Result<Option<Delivered>, AppError> {
    let conn = scope.conn();
    if !claim(&conn, recipient.id, now).await? {
        return Ok(None);
    }
    let outcome = send_one(state, &conn, pass, recipient, now).await;
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
async fn claim<C: ConnectionTrait>(
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

enum Outcome {
    Sent,
    Skipped(String),
}

async fn send_one<C: ConnectionTrait>(
    state: &Deps,
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
        crate::engagement::mail_settings::data_of(state, conn, member, brand.clone(), currency)
            .await
            .map_err(internal)?;
    let unsubscribe = unsubscribe_url(state, recipient.id, now);
    data.links.unsubscribe = unsubscribe.clone();
    data.campaign = Some(CampaignData {
        name: pass.campaign.name.clone(),
    });
    let mut rendered = crate::engagement::mail_templates::render(&pass.parts, &data)
        .map_err(|e| SendError::Invalid(format!("the template does not render: {e}")))?;
    if settings.tracking && !rendered.html.trim().is_empty() {
        rendered.html = track_html(state, recipient.id, &rendered.html, &unsubscribe);
    }
    state
        .mailer
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
async fn finish(
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

/// The open pixel's and the click redirect's token: the recipient, signed with the target
/// (so the redirect cannot be pointed elsewhere).
fn tracking_token(state: &Deps, recipient: Uuid, target: &str) -> String {
    state
        .signer
        .sign(Purpose::Tracking, recipient.as_bytes(), target.as_bytes())
}

fn check_tracking_token(state: &Deps, token: &str, target: &str) -> Option<Uuid> {
    let payload = state
        .signer
        .verify(Purpose::Tracking, token, 16, target.as_bytes())?;
    Uuid::from_slice(&payload).ok()
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Undoes the HTML escaping MiniJinja applies to variables in attributes.
fn unescape_html(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Tracking for brands that enabled it: links (`<a href="http…">`, except the unsubscribe
/// link) go through the click redirect, and an open pixel is added at the end of the body —
/// rewritten by an HTML rewriter (lol_html), so links are found as elements, not as text.
/// Attribute values arrive as written in the HTML (entities escaped by the template): they are
/// unescaped before signing.
fn track_html(state: &Deps, recipient: Uuid, html: &str, unsubscribe: &str) -> String {
    use lol_html::{RewriteStrSettings, element, html_content::ContentType, rewrite_str};
    let base = state.config.public_url.trim_end_matches('/');
    let pixel = format!(
        "<img src=\"{base}/t/o/{}\" width=\"1\" height=\"1\" alt=\"\">",
        tracking_token(state, recipient, "open")
    );
    let has_body = std::cell::Cell::new(false);
    let settings = RewriteStrSettings::new()
        .append_element_content_handler(element!("a[href]", |el| {
            let url = unescape_html(&el.get_attribute("href").unwrap_or_default());
            if (url.starts_with("http://") || url.starts_with("https://")) && url != unsubscribe {
                let token = tracking_token(state, recipient, &url);
                el.set_attribute(
                    "href",
                    &format!("{base}/t/c/{token}?u={}", percent_encode(&url)),
                )?;
            }
            Ok(())
        }))
        .append_element_content_handler(element!("body", |el| {
            has_body.set(true);
            el.append(&pixel, ContentType::Html);
            Ok(())
        }));
    let rewritten = rewrite_str(html, settings);
    match rewritten {
        Ok(mut out) => {
            if !has_body.get() {
                out.push_str(&pixel);
            }
            out
        }
        // Not HTML the rewriter can read: sent as written, without tracking.
        Err(_) => html.to_owned(),
    }
}

/// Records an open (the pixel). Unknown or forged tokens are ignored.
pub async fn record_open(state: &Deps, token: &str) -> Result<(), AppError> {
    if let Some(recipient) = check_tracking_token(state, token, "open") {
        mark(state, recipient, campaign_recipient::Column::OpenedAt).await?;
    }
    Ok(())
}

/// Records a click and returns where to send the reader; `None` for a forged link (no open
/// redirect).
pub async fn record_click(
    state: &Deps,
    token: &str,
    url: &str,
) -> Result<Option<String>, AppError> {
    let Some(recipient) = check_tracking_token(state, token, url) else {
        return Ok(None);
    };
    mark(state, recipient, campaign_recipient::Column::ClickedAt).await?;
    // A click is also an open (images are often blocked).
    mark(state, recipient, campaign_recipient::Column::OpenedAt).await?;
    Ok(Some(url.to_owned()))
}

async fn mark(
    state: &Deps,
    recipient: Uuid,
    column: campaign_recipient::Column,
) -> Result<(), AppError> {
    let Some(row) = db::recipient(&state.db, recipient).await? else {
        return Ok(());
    };
    let scope = TenantScope::with_clock(state.db.clone(), row.tenant_id, state.clock.clone());
    let conn = scope.conn();
    conn.update_many::<campaign_recipient::Entity>()
        .col_expr(column, Expr::value(Some(state.clock.now())))
        .filter(campaign_recipient::Column::Id.eq(row.id))
        .filter(column.is_null())
        .exec(conn.db())
        .await?;
    Ok(())
}

/// A signed, expiring unsubscribe link for one recipient.
pub fn unsubscribe_url(state: &Deps, recipient: Uuid, now: DateTime<Utc>) -> String {
    let expires = (now + Duration::days(UNSUBSCRIBE_VALID_DAYS)).timestamp();
    let mut payload = recipient.as_bytes().to_vec();
    payload.extend_from_slice(&expires.to_be_bytes());
    format!(
        "{}/unsubscribe?token={}",
        state.config.public_url.trim_end_matches('/'),
        state.signer.sign(Purpose::Unsubscribe, &payload, &[])
    )
}

/// Records the opt-out a token proves: the address is suppressed, the member's e-mail consent
/// withdrawn, the recipient marked. Idempotent. Returns the brand's name and language for the
/// page.
pub async fn unsubscribe(
    state: &Deps,
    token: &str,
) -> Result<(String, crate::core::i18n::Lang), AppError> {
    let bad = || AppError::validation("token", "is not a valid unsubscribe link");
    let payload = state
        .signer
        .verify(Purpose::Unsubscribe, token, 16 + 8, &[])
        .ok_or_else(bad)?;
    let recipient = Uuid::from_slice(&payload[..16]).map_err(|_| bad())?;
    let expires = i64::from_be_bytes(payload[16..24].try_into().map_err(|_| bad())?);
    if state.clock.now().timestamp() > expires {
        return Err(AppError::validation(
            "token",
            "this unsubscribe link has expired",
        ));
    }
    let recipient = db::recipient(&state.db, recipient).await?.ok_or_else(bad)?;
    let scope = TenantScope::with_clock(state.db.clone(), recipient.tenant_id, state.clock.clone());
    let tx = scope.begin().await?;
    let now = state.clock.now();
    audiences::suppress_in(
        &tx,
        &recipient.email,
        suppression::SuppressionReason::Unsubscribed,
    )
    .await?;
    tx.update_many::<member::Entity>()
        .col_expr(member::Column::EmailConsent, Expr::value(false))
        .col_expr(member::Column::EmailConsentAt, Expr::value(Some(now)))
        .col_expr(
            member::Column::EmailConsentSource,
            Expr::value(Some("unsubscribe link".to_owned())),
        )
        .col_expr(member::Column::UpdatedAt, Expr::value(now))
        .filter(member::Column::Id.eq(recipient.member_id))
        .filter(member::Column::EmailConsent.eq(true))
        .exec(tx.db())
        .await?;
    tx.update_many::<campaign_recipient::Entity>()
        .col_expr(
            campaign_recipient::Column::UnsubscribedAt,
            Expr::value(Some(now)),
        )
        .filter(campaign_recipient::Column::Id.eq(recipient.id))
        .filter(campaign_recipient::Column::UnsubscribedAt.is_null())
        .exec(tx.db())
        .await?;
    tx.commit().await?;
    let brand = crate::identity::brands::by_id(&state.db, recipient.tenant_id)
        .await?
        .map(|b| (b.name, crate::core::i18n::Lang::of_locale(&b.locale)))
        .unwrap_or_default();
    tracing::info!(tenant.id = %recipient.tenant_id, "member unsubscribed by link");
    Ok(brand)
}
