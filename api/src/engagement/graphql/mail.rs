//! Brands' mail: `mailSettings` / `updateMailSettings` (sender identity, marketing cap, rate,
//! tracking), `emailTemplates` / `createEmailTemplate` / `updateEmailTemplate`, and
//! `previewEmailTemplate`.
//!
//! Size: over 500 lines on purpose: mail settings, DKIM, templates and previews: the mail settings
//! page's roots.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use crate::{
    core::{
        auth::Permission,
        graphql::{ContextExt, guards::PermissionGuard},
        types::id,
    },
    engagement::{
        audiences,
        audiences::Filter,
        mail_settings,
        mail_settings::{Settings, Source, TemplateInput},
        mail_templates,
        mail_templates::Parts,
    },
};

/// What a template is for: marketing campaigns, or one transactional message.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::email_template::TemplatePurpose")]
pub enum TemplatePurpose {
    Marketing,
    Welcome,
    VoucherIssued,
    RewardReady,
    PointsExpiring,
    MembershipRenewal,
    Birthday,
    ContestWon,
    ClubInvitation,
    EventInvitation,
    EventReminder,
    EventSeat,
    EventCancelled,
    EventChanged,
}

/// A brand's sender identity and marketing settings.
#[derive(SimpleObject, Clone)]
pub struct MailSettings {
    pub from_name: String,
    pub from_address: String,
    pub reply_to: Option<String>,
    /// At most this many marketing mails per member per rolling 7 days (0: no cap).
    pub marketing_cap_per_week: i32,
    /// Marketing mails sent per minute at most.
    pub send_rate_per_minute: i32,
    /// Open and click tracking in marketing mails.
    pub tracking: bool,
    /// Transactional messages: on unless switched off; each uses the brand's template of that
    /// purpose if it has one, the default otherwise.
    pub transactional: Vec<TransactionalSetting>,
    pub notice_days: i32,
    /// The DKIM key mail is signed with (the private key is never shown).
    pub dkim: Option<DkimInfo>,
    /// False while the platform defaults apply.
    pub saved: bool,
    /// Why these settings cannot send any mail (a sender, reply-to or DKIM key that does not
    /// work); null when they can. Campaigns and transactional mail wait until it is fixed.
    pub sending_problem: Option<String>,
}

#[derive(SimpleObject, Clone)]
pub struct DkimInfo {
    pub selector: String,
    pub domain: String,
    pub algorithm: DkimAlgorithm,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum DkimAlgorithm {
    /// PEM private key: PKCS#1 (`BEGIN RSA PRIVATE KEY`) or PKCS#8 (`BEGIN PRIVATE KEY`, as
    /// `openssl genpkey` writes it).
    Rsa,
    /// Base64 of the 32-byte Ed25519 seed (RFC 8463), or a PKCS#8 PEM Ed25519 key.
    #[graphql(name = "ED25519")]
    Ed25519,
}

impl DkimAlgorithm {
    fn code(self) -> &'static str {
        match self {
            Self::Rsa => "RSA",
            Self::Ed25519 => "ED25519",
        }
    }
}

#[derive(InputObject)]
pub struct DkimKeyInput {
    pub selector: String,
    /// The signing domain: the sender address's domain or a parent of it.
    pub domain: String,
    pub algorithm: DkimAlgorithm,
    pub private_key: String,
}

#[derive(SimpleObject, Clone)]
pub struct TransactionalSetting {
    pub purpose: TemplatePurpose,
    pub enabled: bool,
}

impl From<Settings> for MailSettings {
    fn from(s: Settings) -> Self {
        let sending_problem = s.sending_problem();
        Self {
            sending_problem,
            from_name: s.from_name,
            from_address: s.from_address,
            reply_to: s.reply_to,
            marketing_cap_per_week: s.marketing_cap_per_week,
            send_rate_per_minute: s.send_rate_per_minute,
            tracking: s.tracking,
            transactional: crate::engagement::transactional::PURPOSES
                .into_iter()
                .map(|p| TransactionalSetting {
                    purpose: p.into(),
                    enabled: !s.transactional_disabled.contains(&p),
                })
                .collect(),
            notice_days: s.notice_days,
            dkim: s.dkim.map(|k| DkimInfo {
                algorithm: if k.algorithm == "ED25519" {
                    DkimAlgorithm::Ed25519
                } else {
                    DkimAlgorithm::Rsa
                },
                selector: k.selector,
                domain: k.domain,
            }),
            saved: s.saved,
        }
    }
}

#[derive(InputObject)]
pub struct MailSettingsInput {
    pub from_name: String,
    pub from_address: String,
    pub reply_to: Option<String>,
    #[graphql(default = 3)]
    pub marketing_cap_per_week: i32,
    #[graphql(default = 600)]
    pub send_rate_per_minute: i32,
    #[graphql(default)]
    pub tracking: bool,
    /// Transactional messages to switch off (all are on by default).
    #[graphql(default)]
    pub transactional_disabled: Vec<TemplatePurpose>,
    /// Days before points expire, or a paid membership renews, that members are told.
    #[graphql(default = 14)]
    pub notice_days: i32,
}

/// An e-mail template. Subject and bodies are MiniJinja: `{{ member.first_name }}`,
/// `{% for v in vouchers %}…{% endfor %}`, filters `money` (minor units in the brand currency)
/// and `date`. The HTML body is autoescaped. Variables: see `emailTemplateVariables`.
#[derive(SimpleObject, Clone)]
pub struct EmailTemplate {
    pub id: ID,
    pub name: String,
    pub purpose: TemplatePurpose,
    pub subject: String,
    pub html: String,
    pub text: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<entity::email_template::Model> for EmailTemplate {
    fn from(t: entity::email_template::Model) -> Self {
        Self {
            id: ID(t.id.to_string()),
            name: t.name,
            purpose: t.purpose.into(),
            subject: t.subject,
            html: t.html,
            text: t.text,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

#[derive(InputObject)]
pub struct EmailTemplateInput {
    pub name: String,
    #[graphql(default_with = "TemplatePurpose::Marketing")]
    pub purpose: TemplatePurpose,
    pub subject: String,
    #[graphql(default)]
    pub html: String,
    #[graphql(default)]
    pub text: String,
}

impl EmailTemplateInput {
    fn into_domain(self) -> TemplateInput {
        TemplateInput {
            name: self.name,
            purpose: self.purpose.into(),
            parts: Parts {
                subject: self.subject,
                html: self.html,
                text: self.text,
            },
        }
    }
}

/// A template to preview: a saved one (`templateId`) or a draft (`subject`, `html`, `text`).
#[derive(InputObject)]
pub struct PreviewEmailInput {
    pub template_id: Option<ID>,
    pub subject: Option<String>,
    pub html: Option<String>,
    pub text: Option<String>,
    /// Render for this member of the brand; sample data when absent.
    pub member_id: Option<ID>,
}

/// A rendered mail.
#[derive(SimpleObject, Clone)]
pub struct RenderedEmail {
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// An audience filter: every leaf set in one node must hold; `all`, `any` and `not` combine
/// nodes; `segmentId` includes a saved segment. An empty filter selects every member.
#[derive(InputObject, Clone, Default)]
pub struct AudienceFilterInput {
    pub all: Option<Vec<AudienceFilterInput>>,
    pub any: Option<Vec<AudienceFilterInput>>,
    pub not: Option<Box<AudienceFilterInput>>,
    pub segment_id: Option<ID>,
    /// Current tier name in any program (case-insensitive).
    pub tier: Option<String>,
    /// Members who earned or spent in this program.
    pub program_id: Option<ID>,
    pub last_purchase_after: Option<DateTime<Utc>>,
    pub last_purchase_before: Option<DateTime<Utc>>,
    pub never_purchased: Option<bool>,
    /// Total of the member's purchases, in minor units.
    pub total_spend_at_least_minor: Option<i64>,
    pub total_spend_below_minor: Option<i64>,
    pub points_at_least: Option<i64>,
    pub enrolled_after: Option<DateTime<Utc>>,
    pub enrolled_before: Option<DateTime<Utc>>,
    /// A brand-defined member attribute equal to a value.
    pub attribute: Option<AttributeEqualsInput>,
    /// Bought one of these products in the last N days (returned lines excluded). Under `not`:
    /// "just bought" suppression, as offers have.
    pub bought_within: Option<BoughtWithinInput>,
    /// An active member of this club.
    pub club_id: Option<ID>,
    /// A club member whose answer to one of the club's questions equals a value (answers kept
    /// with consent only).
    pub club_answer: Option<ClubAnswerEqualsInput>,
    /// In this scoring segment after the last scoring run (its key: `NEW`, `INACTIVE`,
    /// `VERY_GOOD`, `AT_RISK`, `GOOD`, `OCCASIONAL`, or the brand's own; see `scoring`).
    pub score_segment: Option<String>,
}

#[derive(InputObject, Clone)]
pub struct ClubAnswerEqualsInput {
    pub club_id: ID,
    pub key: String,
    pub equals: String,
}

#[derive(InputObject, Clone)]
pub struct BoughtWithinInput {
    #[graphql(default)]
    pub skus: Vec<String>,
    #[graphql(default)]
    pub categories: Vec<String>,
    pub days: i32,
}

#[derive(InputObject, Clone)]
pub struct AttributeEqualsInput {
    pub key: String,
    pub equals: String,
}

impl AudienceFilterInput {
    pub fn into_domain(self) -> Result<Filter, crate::core::error::AppError> {
        let list = |l: Option<Vec<AudienceFilterInput>>| {
            l.unwrap_or_default()
                .into_iter()
                .map(AudienceFilterInput::into_domain)
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(Filter {
            all: list(self.all)?,
            any: list(self.any)?,
            not: self.not.map(|n| n.into_domain()).transpose()?.map(Box::new),
            segment_id: self
                .segment_id
                .map(|s| id("input.filter.segmentId", &s))
                .transpose()?,
            tier: self.tier,
            program_id: self
                .program_id
                .map(|p| id("input.filter.programId", &p))
                .transpose()?,
            last_purchase_after: self.last_purchase_after,
            last_purchase_before: self.last_purchase_before,
            never_purchased: self.never_purchased,
            total_spend_at_least_minor: self.total_spend_at_least_minor,
            total_spend_below_minor: self.total_spend_below_minor,
            points_at_least: self.points_at_least,
            enrolled_after: self.enrolled_after,
            enrolled_before: self.enrolled_before,
            attribute: self.attribute.map(|a| (a.key, a.equals)),
            bought_within: self
                .bought_within
                .map(|b| crate::engagement::audiences::BoughtWithin {
                    skus: b.skus,
                    categories: b.categories,
                    days: i64::from(b.days),
                }),
            club_id: self
                .club_id
                .map(|c| id("input.filter.clubId", &c))
                .transpose()?,
            club_answer: self
                .club_answer
                .map(|a| {
                    Ok::<_, crate::core::error::AppError>(
                        crate::engagement::audiences::ClubAnswer {
                            club_id: id("input.filter.clubAnswer.clubId", &a.club_id)?,
                            key: a.key,
                            equals: a.equals,
                        },
                    )
                })
                .transpose()?,
            score_segment: self.score_segment,
        })
    }
}

/// A saved, reusable audience filter.
#[derive(SimpleObject, Clone)]
pub struct Segment {
    pub id: ID,
    pub name: String,
    /// The filter as JSON (the shape of AudienceFilterInput).
    pub filter: async_graphql::Json<serde_json::Value>,
    pub updated_at: DateTime<Utc>,
}

impl From<entity::segment::Model> for Segment {
    fn from(s: entity::segment::Model) -> Self {
        Self {
            id: ID(s.id.to_string()),
            name: s.name,
            filter: async_graphql::Json(s.filter),
            updated_at: s.updated_at,
        }
    }
}

/// Who an audience reaches.
#[derive(SimpleObject, Clone)]
pub struct AudiencePreview {
    /// Members the filter selects.
    pub matched: i64,
    /// Of them, those a campaign would mail (address, e-mail consent, not suppressed).
    pub mailable: i64,
    pub without_email_or_consent: i64,
    /// On the suppression list (unsubscribed, bounced, complained).
    pub suppressed: i64,
    /// Up to 10 mailable members.
    pub sample: Vec<AudienceMember>,
}

#[derive(SimpleObject, Clone)]
pub struct AudienceMember {
    pub id: ID,
    pub email: Option<String>,
    pub first_name: Option<String>,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::suppression::SuppressionReason")]
pub enum SuppressionReason {
    Unsubscribed,
    Bounced,
    Complained,
}

#[derive(SimpleObject, Clone)]
pub struct Suppression {
    pub email: String,
    pub reason: SuppressionReason,
    pub created_at: DateTime<Utc>,
}

#[derive(Default)]
pub struct MailQuery;

#[Object]
impl MailQuery {
    #[graphql(guard = "PermissionGuard(Permission::ManageMail)")]
    async fn mail_settings(&self, ctx: &Context<'_>) -> Result<MailSettings> {
        Ok(mail_settings::settings(&ctx.state()?.post, ctx.scope()?)
            .await?
            .into())
    }

    #[graphql(guard = "PermissionGuard(Permission::ManageMail)")]
    async fn email_templates(&self, ctx: &Context<'_>) -> Result<Vec<EmailTemplate>> {
        Ok(mail_settings::templates(ctx.scope()?)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// One of the brand's templates.
    #[graphql(guard = "PermissionGuard(Permission::ManageMail)")]
    async fn email_template(&self, ctx: &Context<'_>, id: ID) -> Result<EmailTemplate> {
        let id = crate::core::types::id("id", &id)?;
        Ok(mail_settings::template(ctx.scope()?, id).await?.into())
    }

    #[graphql(guard = "PermissionGuard(Permission::ManageMail)")]
    async fn segments(&self, ctx: &Context<'_>) -> Result<Vec<Segment>> {
        Ok(audiences::segments(ctx.scope()?)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// The brand's suppression list: addresses never mailed marketing again.
    #[graphql(guard = "PermissionGuard(Permission::ManageMail)")]
    async fn suppressions(&self, ctx: &Context<'_>) -> Result<Vec<Suppression>> {
        Ok(audiences::suppressions(ctx.scope()?)
            .await?
            .into_iter()
            .map(|s| Suppression {
                email: s.email,
                reason: s.reason.into(),
                created_at: s.created_at,
            })
            .collect())
    }

    /// Who a filter reaches, before sending: counts and a sample of mailable members.
    #[graphql(guard = "PermissionGuard(Permission::ManageMail)")]
    async fn audience_preview(
        &self,
        ctx: &Context<'_>,
        filter: AudienceFilterInput,
    ) -> Result<AudiencePreview> {
        let filter = filter.into_domain()?;
        let scope = ctx.scope()?;
        let a = audiences::evaluate(&scope.conn(), &filter).await?;
        Ok(AudiencePreview {
            matched: a.matched as i64,
            mailable: a.mailable.len() as i64,
            without_email_or_consent: a.without_email_or_consent as i64,
            suppressed: a.suppressed as i64,
            sample: a
                .mailable
                .iter()
                .take(10)
                .map(|m| AudienceMember {
                    id: ID(m.id.to_string()),
                    email: m.email.clone(),
                    first_name: m.first_name.clone(),
                })
                .collect(),
        })
    }

    /// The default template of a transactional message (used until the brand saves its own
    /// template of that purpose), in `language` or else the language of the brand's locale.
    #[graphql(guard = "PermissionGuard(Permission::ManageMail)")]
    async fn default_email_template(
        &self,
        ctx: &Context<'_>,
        purpose: TemplatePurpose,
        language: Option<crate::core::graphql::types::Language>,
    ) -> Result<RenderedEmail> {
        let lang = match language {
            Some(l) => l.into(),
            None => {
                let scope = ctx.scope()?;
                scope
                    .brand()
                    .await
                    .map(|b| crate::core::i18n::Lang::of_locale(&b.locale))
                    .unwrap_or_default()
            }
        };
        let p = crate::engagement::transactional::default_template(purpose.into(), lang);
        Ok(RenderedEmail {
            subject: p.subject,
            html: p.html,
            text: p.text,
        })
    }

    /// The variables templates may use (dotted paths; `vouchers` is a list).
    #[graphql(guard = "PermissionGuard(Permission::ManageMail)")]
    async fn email_template_variables(&self) -> Vec<String> {
        mail_templates::VARIABLES
            .iter()
            .map(|v| (*v).to_owned())
            .chain(
                mail_templates::VOUCHER_FIELDS
                    .iter()
                    .map(|f| format!("vouchers[].{f}")),
            )
            .collect()
    }

    /// Renders a template for a member (or sample data). Unknown variables or syntax errors
    /// are VALIDATION errors naming the part and the variables.
    #[graphql(guard = "PermissionGuard(Permission::ManageMail)")]
    async fn preview_email_template(
        &self,
        ctx: &Context<'_>,
        input: PreviewEmailInput,
    ) -> Result<RenderedEmail> {
        let source = match input.template_id {
            Some(t) => Source::Saved(id("input.templateId", &t)?),
            None => Source::Draft(Parts {
                subject: input.subject.unwrap_or_default(),
                html: input.html.unwrap_or_default(),
                text: input.text.unwrap_or_default(),
            }),
        };
        let member = input
            .member_id
            .map(|m| id("input.memberId", &m))
            .transpose()?;
        let r = mail_settings::preview(&ctx.state()?.links, ctx.scope()?, source, member).await?;
        Ok(RenderedEmail {
            subject: r.subject,
            html: r.html,
            text: r.text,
        })
    }
}

#[derive(Default)]
pub struct MailMutation;

#[Object]
impl MailMutation {
    /// Saves a named segment (replaces the filter of the brand's segment of that name).
    #[graphql(guard = "PermissionGuard(Permission::ManageMail)")]
    async fn save_segment(
        &self,
        ctx: &Context<'_>,
        name: String,
        filter: AudienceFilterInput,
    ) -> Result<Segment> {
        let filter = filter.into_domain()?;
        Ok(audiences::save_segment(ctx.scope()?, &name, &filter)
            .await?
            .into())
    }

    /// Adds an address to the suppression list (for example after a complaint received
    /// elsewhere); idempotent.
    #[graphql(guard = "PermissionGuard(Permission::ManageMail)")]
    async fn suppress_email(
        &self,
        ctx: &Context<'_>,
        email: String,
        reason: SuppressionReason,
    ) -> Result<bool> {
        audiences::suppress(ctx.scope()?, &email, reason.into()).await?;
        Ok(true)
    }

    #[graphql(guard = "PermissionGuard(Permission::ManageMail)")]
    async fn update_mail_settings(
        &self,
        ctx: &Context<'_>,
        input: MailSettingsInput,
    ) -> Result<MailSettings> {
        let input = mail_settings::SettingsInput {
            from_name: input.from_name,
            from_address: input.from_address,
            reply_to: input.reply_to,
            marketing_cap_per_week: input.marketing_cap_per_week,
            send_rate_per_minute: input.send_rate_per_minute,
            tracking: input.tracking,
            transactional_disabled: input
                .transactional_disabled
                .into_iter()
                .map(Into::into)
                .collect(),
            notice_days: input.notice_days,
        };
        Ok(
            mail_settings::update_settings(&ctx.state()?.post, ctx.scope()?, input)
                .await?
                .into(),
        )
    }

    /// Signs the brand's mail with this DKIM key from now on (publish the public key at
    /// `<selector>._domainkey.<domain>`). The List-Unsubscribe headers are signed too.
    #[graphql(guard = "PermissionGuard(Permission::ManageMail)")]
    async fn set_dkim_key(&self, ctx: &Context<'_>, input: DkimKeyInput) -> Result<MailSettings> {
        let key = crate::core::mail::DkimKey {
            selector: input.selector.trim().to_owned(),
            domain: input.domain,
            algorithm: input.algorithm.code().to_owned(),
            private_key: input.private_key,
        };
        Ok(
            mail_settings::set_dkim(&ctx.state()?.post, ctx.scope()?, Some(key))
                .await?
                .into(),
        )
    }

    /// Stops signing the brand's mail.
    #[graphql(guard = "PermissionGuard(Permission::ManageMail)")]
    async fn remove_dkim_key(&self, ctx: &Context<'_>) -> Result<MailSettings> {
        Ok(
            mail_settings::set_dkim(&ctx.state()?.post, ctx.scope()?, None)
                .await?
                .into(),
        )
    }

    /// Saves a template; refused (VALIDATION) when it does not parse or names unknown
    /// variables; CONFLICT when the brand has a template of this name.
    #[graphql(guard = "PermissionGuard(Permission::ManageMail)")]
    async fn create_email_template(
        &self,
        ctx: &Context<'_>,
        input: EmailTemplateInput,
    ) -> Result<EmailTemplate> {
        Ok(
            mail_settings::create_template(ctx.scope()?, input.into_domain())
                .await?
                .into(),
        )
    }

    #[graphql(guard = "PermissionGuard(Permission::ManageMail)")]
    async fn update_email_template(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: EmailTemplateInput,
    ) -> Result<EmailTemplate> {
        let template = crate::core::types::id("id", &id)?;
        Ok(
            mail_settings::update_template(ctx.scope()?, template, input.into_domain())
                .await?
                .into(),
        )
    }
}
