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
        error::AppError,
        mail::{MarketingMail, Post, SendError},
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
    /// In the control group: not mailed.
    pub held_out: i64,
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
            RecipientStatus::HeldOut => s.held_out += n,
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
    holdout_percent: i32,
) -> Result<View, AppError> {
    let name = text("input.name", name, 200)?;
    if !(0..=50).contains(&holdout_percent) {
        return Err(AppError::validation(
            "input.holdoutPercent",
            "must be between 0 and 50",
        ));
    }
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
        holdout_percent: Set(holdout_percent),
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
    post: &Post,
    scope: &TenantScope,
    id: Uuid,
    local: NaiveDateTime,
) -> Result<View, AppError> {
    ensure_sendable(post, scope).await?;
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
async fn ensure_sendable(post: &Post, scope: &TenantScope) -> Result<(), AppError> {
    match crate::engagement::mail_settings::settings(post, scope)
        .await?
        .sending_problem()
    {
        Some(problem) => Err(AppError::conflict(format!(
            "the brand's mail settings cannot send: {problem}; fix them first"
        ))),
        None => Ok(()),
    }
}

pub async fn send_now(post: &Post, scope: &TenantScope, id: Uuid) -> Result<View, AppError> {
    ensure_sendable(post, scope).await?;
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
    post.work.notify_one();
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
pub async fn resume(post: &Post, scope: &TenantScope, id: Uuid) -> Result<View, AppError> {
    ensure_sendable(post, scope).await?;
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
    post.work.notify_one();
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

mod delivery;
mod tracking;

#[allow(
    unused_imports,
    reason = "the parts of the campaigns module share their helpers"
)]
use self::{delivery::*, tracking::*};
pub use self::{
    delivery::{DeliveryReport, run_once},
    tracking::{record_click, record_open, unsubscribe, unsubscribe_url},
};

/// What a campaign brought: the purchases of its mailed members within `days` of its start
/// against those of its control group (members drawn at random when it started and not
/// mailed). Mailed: every member chosen to be mailed, whatever became of the mail (intention to
/// treat).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Results {
    pub days: i64,
    pub mailed: i64,
    pub mailed_buyers: i64,
    pub mailed_purchases: i64,
    pub mailed_revenue_minor: i64,
    pub control: i64,
    pub control_buyers: i64,
    pub control_purchases: i64,
    pub control_revenue_minor: i64,
}

impl Results {
    pub fn mailed_conversion_bp(&self) -> Option<i64> {
        (self.mailed > 0).then(|| self.mailed_buyers * 10_000 / self.mailed)
    }

    pub fn control_conversion_bp(&self) -> Option<i64> {
        (self.control > 0).then(|| self.control_buyers * 10_000 / self.control)
    }

    /// Conversion of the mailed less that of the control group, in basis points, with the
    /// half-width of its 95 % confidence interval: Agresti–Caffo (one buyer and one non-buyer
    /// added to each group, p̃ = (buyers + 1) ÷ (members + 2)), 1.96 × √(p̃₁(1−p̃₁)/(n₁+2) +
    /// p̃₀(1−p̃₀)/(n₀+2)) — unlike the plain normal approximation it is not 0 wide when a group
    /// converts at 0 % or 100 %.
    pub fn uplift_bp(&self) -> Option<(i64, i64)> {
        if self.mailed == 0 || self.control == 0 {
            return None;
        }
        let adjusted = |buyers: i64, of: i64| {
            let n = of as f64 + 2.0;
            let p = (buyers as f64 + 1.0) / n;
            p * (1.0 - p) / n
        };
        let se = (adjusted(self.mailed_buyers, self.mailed)
            + adjusted(self.control_buyers, self.control))
        .sqrt();
        Some((
            self.mailed_conversion_bp()? - self.control_conversion_bp()?,
            (1.96 * se * 10_000.0).round() as i64,
        ))
    }

    /// Revenue per member of each group, in minor units (rounded down).
    pub fn mailed_revenue_per_member_minor(&self) -> Option<i64> {
        (self.mailed > 0).then(|| self.mailed_revenue_minor / self.mailed)
    }

    pub fn control_revenue_per_member_minor(&self) -> Option<i64> {
        (self.control > 0).then(|| self.control_revenue_minor / self.control)
    }

    /// What the mail added: (revenue per mailed member − revenue per control member) × mailed
    /// members, computed exactly then rounded down.
    pub fn incremental_revenue_minor(&self) -> Option<i64> {
        if self.mailed == 0 || self.control == 0 {
            return None;
        }
        let per = i128::from(self.mailed_revenue_minor) * i128::from(self.control)
            - i128::from(self.control_revenue_minor) * i128::from(self.mailed);
        i64::try_from(per / i128::from(self.control)).ok()
    }
}

/// A campaign's results over `days` (1 to 365) from its start; none before it starts.
pub async fn results(
    scope: &TenantScope,
    id: Uuid,
    days: i64,
) -> Result<Option<Results>, AppError> {
    if !(1..=365).contains(&days) {
        return Err(AppError::validation("days", "must be between 1 and 365"));
    }
    let conn = scope.conn();
    let campaign = conn.get::<campaign::Entity>(id).await?;
    let Some(started) = campaign.started_at else {
        return Ok(None);
    };
    let groups = crate::engagement::store::campaign_groups(
        &conn,
        campaign.id,
        started,
        started + chrono::Duration::days(days),
    )
    .await?;
    let mut r = Results {
        days,
        ..Results::default()
    };
    for g in groups {
        if g.control {
            r.control = g.members;
            r.control_buyers = g.buyers;
            r.control_purchases = g.purchases;
            r.control_revenue_minor = g.revenue_minor;
        } else {
            r.mailed = g.members;
            r.mailed_buyers = g.buyers;
            r.mailed_purchases = g.purchases;
            r.mailed_revenue_minor = g.revenue_minor;
        }
    }
    Ok(Some(r))
}
