//! Marketing campaigns: `createCampaign`, `scheduleCampaign`, `sendCampaign`, `pauseCampaign`,
//! `resumeCampaign`, `cancelCampaign`, `campaigns`, `campaign`.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDateTime, Utc};

use crate::{
    core::{
        auth::Permission,
        graphql::{ContextExt, guards::PermissionGuard},
        types::id,
    },
    engagement::{campaigns, campaigns::View, graphql::mail::AudienceFilterInput},
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::campaign::CampaignStatus")]
pub enum CampaignStatus {
    Draft,
    Scheduled,
    Sending,
    Paused,
    Cancelled,
    Sent,
}

/// Skipped recipients for one reason (FREQUENCY_CAP, SUPPRESSED, NO_CONSENT, CANCELLED).
#[derive(SimpleObject, Clone)]
pub struct SkipReason {
    pub reason: String,
    pub count: i64,
}

/// Recipients not delivered for one reason (GAVE_UP after retries, INVALID address or
/// template, INTERRUPTED: the worker stopped during delivery, maybe delivered).
#[derive(SimpleObject, Clone)]
pub struct FailReason {
    pub reason: String,
    pub count: i64,
}

/// Delivery figures of a campaign.
#[derive(SimpleObject, Clone)]
pub struct CampaignStats {
    /// Members the audience selected when the campaign started (mailable or not).
    pub audience_size: i64,
    /// Waiting to be sent (including retries after a temporary failure).
    pub queued: i64,
    pub sent: i64,
    /// Not delivered, for good.
    pub failed: i64,
    /// The delivery worker stopped during the SMTP exchange: maybe delivered, never resent
    /// (a duplicate would be worse).
    pub interrupted: i64,
    pub failed_by_reason: Vec<FailReason>,
    pub bounced: i64,
    pub skipped: i64,
    pub skipped_by_reason: Vec<SkipReason>,
    /// In the control group: drawn at random when the campaign started, not mailed.
    pub held_out: i64,
    pub unsubscribed: i64,
    pub opened: i64,
    pub clicked: i64,
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Campaign {
    pub id: ID,
    #[graphql(skip)]
    pub uuid: uuid::Uuid,
    /// The share of the mailable audience held out as a control group, in %.
    pub holdout_percent: i32,
    pub name: String,
    pub template_id: ID,
    pub status: CampaignStatus,
    /// Why the platform holds it, e.g. `CONFIG: the sender address ... is not an e-mail
    /// address` (it goes on by itself once the brand's mail settings are saved right).
    pub status_reason: Option<String>,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub stats: CampaignStats,
    pub created_at: DateTime<Utc>,
}

impl From<View> for Campaign {
    fn from(v: View) -> Self {
        let c = v.campaign;
        let s = v.stats;
        Self {
            id: ID(c.id.to_string()),
            uuid: c.id,
            holdout_percent: c.holdout_percent,
            name: c.name,
            template_id: ID(c.template_id.to_string()),
            status: c.status.into(),
            status_reason: c.status_reason,
            scheduled_at: c.scheduled_at,
            started_at: c.started_at,
            finished_at: c.finished_at,
            stats: CampaignStats {
                audience_size: c.audience_size,
                queued: s.queued,
                sent: s.sent,
                failed: s.failed,
                interrupted: s.interrupted,
                failed_by_reason: s
                    .failed_reasons
                    .into_iter()
                    .map(|(reason, count)| FailReason { reason, count })
                    .collect(),
                bounced: s.bounced,
                skipped: s.skipped,
                held_out: s.held_out,
                skipped_by_reason: s
                    .skipped_reasons
                    .into_iter()
                    .map(|(reason, count)| SkipReason { reason, count })
                    .collect(),
                unsubscribed: s.unsubscribed,
                opened: s.opened,
                clicked: s.clicked,
            },
            created_at: c.created_at,
        }
    }
}

#[derive(InputObject)]
pub struct CreateCampaignInput {
    pub name: String,
    /// A MARKETING template of the brand.
    pub template_id: ID,
    /// Who receives it (only members with e-mail consent and not suppressed are mailed).
    #[graphql(default)]
    pub filter: AudienceFilterInput,
    /// A control group: this share (0 to 50 %) of the members to be mailed, drawn at random
    /// when the campaign starts, is not mailed; `results` compares the two groups.
    #[graphql(default)]
    pub holdout_percent: i32,
}

/// What a campaign brought, over `days` from its start: the mailed members' purchases against
/// the control group's. Conversion: members who bought ÷ members, in basis points.
#[derive(SimpleObject)]
pub struct CampaignResults {
    pub days: i64,
    /// Members chosen to be mailed (whatever became of the mail).
    pub mailed: i64,
    pub mailed_buyers: i64,
    pub mailed_purchases: i64,
    pub mailed_revenue_minor: i64,
    pub mailed_conversion_bp: Option<i64>,
    pub mailed_revenue_per_member_minor: Option<i64>,
    /// Members held out (not mailed).
    pub control: i64,
    pub control_buyers: i64,
    pub control_purchases: i64,
    pub control_revenue_minor: i64,
    pub control_conversion_bp: Option<i64>,
    pub control_revenue_per_member_minor: Option<i64>,
    /// Mailed conversion − control conversion, in basis points (null without a control group).
    pub uplift_bp: Option<i64>,
    /// Half-width of the uplift's 95 % confidence interval, in basis points (Agresti–Caffo:
    /// one buyer and one non-buyer added to each group, 1.96 × √(p̃₁(1−p̃₁)/(n₁+2) +
    /// p̃₀(1−p̃₀)/(n₀+2)) with p̃ = (buyers + 1) ÷ (members + 2)): the uplift is uplift ± this.
    pub uplift_margin_bp: Option<i64>,
    /// (Revenue per mailed member − revenue per control member) × mailed members.
    pub incremental_revenue_minor: Option<i64>,
}

#[async_graphql::ComplexObject]
impl Campaign {
    /// What the campaign brought over `days` (1 to 365, default 30) from its start; null before
    /// it starts.
    async fn results(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 30)] days: i32,
    ) -> Result<Option<CampaignResults>> {
        let r = campaigns::results(ctx.scope()?, self.uuid, i64::from(days)).await?;
        Ok(r.map(|r| {
            let uplift = r.uplift_bp();
            CampaignResults {
                days: r.days,
                mailed: r.mailed,
                mailed_buyers: r.mailed_buyers,
                mailed_purchases: r.mailed_purchases,
                mailed_revenue_minor: r.mailed_revenue_minor,
                mailed_conversion_bp: r.mailed_conversion_bp(),
                mailed_revenue_per_member_minor: r.mailed_revenue_per_member_minor(),
                control: r.control,
                control_buyers: r.control_buyers,
                control_purchases: r.control_purchases,
                control_revenue_minor: r.control_revenue_minor,
                control_conversion_bp: r.control_conversion_bp(),
                control_revenue_per_member_minor: r.control_revenue_per_member_minor(),
                uplift_bp: uplift.map(|u| u.0),
                uplift_margin_bp: uplift.map(|u| u.1),
                incremental_revenue_minor: r.incremental_revenue_minor(),
            }
        }))
    }
}

#[derive(Default)]
pub struct CampaignQuery;

#[Object]
impl CampaignQuery {
    /// The brand's latest 100 campaigns, newest first, with their figures.
    #[graphql(guard = "PermissionGuard(Permission::ManageMail)")]
    async fn campaigns(&self, ctx: &Context<'_>) -> Result<Vec<Campaign>> {
        Ok(campaigns::list(ctx.scope()?)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    #[graphql(guard = "PermissionGuard(Permission::ManageMail)")]
    async fn campaign(&self, ctx: &Context<'_>, id: ID) -> Result<Campaign> {
        Ok(campaigns::get(ctx.scope()?, id_of(&id)?).await?.into())
    }
}

fn id_of(raw: &ID) -> Result<uuid::Uuid, crate::core::error::AppError> {
    id("id", raw)
}

#[derive(Default)]
pub struct CampaignMutation;

#[Object]
impl CampaignMutation {
    /// A new campaign, in DRAFT.
    #[graphql(guard = "PermissionGuard(Permission::ManageMail)")]
    async fn create_campaign(
        &self,
        ctx: &Context<'_>,
        input: CreateCampaignInput,
    ) -> Result<Campaign> {
        let template = id("input.templateId", &input.template_id)?;
        let filter = input.filter.into_domain()?;
        let user = ctx.request()?.principal.user_id();
        Ok(campaigns::create(
            ctx.scope()?,
            user,
            &input.name,
            template,
            &filter,
            input.holdout_percent,
        )
        .await?
        .into())
    }

    /// Sends at a local time of the brand's time zone (e.g. `2026-12-01T09:00:00`).
    #[graphql(guard = "PermissionGuard(Permission::ManageMail)")]
    async fn schedule_campaign(
        &self,
        ctx: &Context<'_>,
        id: ID,
        at: NaiveDateTime,
    ) -> Result<Campaign> {
        Ok(
            campaigns::schedule(&ctx.state()?.post, ctx.scope()?, id_of(&id)?, at)
                .await?
                .into(),
        )
    }

    /// Sends now: the delivery worker starts it within seconds. CONFLICT when the brand's mail
    /// settings cannot send (the reason is in the message).
    #[graphql(guard = "PermissionGuard(Permission::ManageMail)")]
    async fn send_campaign(&self, ctx: &Context<'_>, id: ID) -> Result<Campaign> {
        Ok(
            campaigns::send_now(&ctx.state()?.post, ctx.scope()?, id_of(&id)?)
                .await?
                .into(),
        )
    }

    #[graphql(guard = "PermissionGuard(Permission::ManageMail)")]
    async fn pause_campaign(&self, ctx: &Context<'_>, id: ID) -> Result<Campaign> {
        Ok(campaigns::pause(ctx.scope()?, id_of(&id)?).await?.into())
    }

    #[graphql(guard = "PermissionGuard(Permission::ManageMail)")]
    async fn resume_campaign(&self, ctx: &Context<'_>, id: ID) -> Result<Campaign> {
        Ok(
            campaigns::resume(&ctx.state()?.post, ctx.scope()?, id_of(&id)?)
                .await?
                .into(),
        )
    }

    /// Stops it for good; recipients not mailed yet are skipped (CANCELLED).
    #[graphql(guard = "PermissionGuard(Permission::ManageMail)")]
    async fn cancel_campaign(&self, ctx: &Context<'_>, id: ID) -> Result<Campaign> {
        Ok(campaigns::cancel(ctx.scope()?, id_of(&id)?).await?.into())
    }
}
