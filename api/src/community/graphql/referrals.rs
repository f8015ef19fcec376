//! Referrals: `referralPolicy`, `referrals`, `referralFigures`, `memberReferralCode`,
//! `myReferral`; `setReferralPolicy`, `applyReferralCode`, `applyMyReferralCode`.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{referral, referral_policy};

use crate::{
    community::referrals,
    core::{
        auth::Permission,
        error::AppError,
        graphql::{ContextExt, guards::PermissionGuard},
        types::id,
    },
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::referral::ReferralStatus")]
pub enum ReferralStatus {
    /// Waiting for the referee's first qualifying purchase.
    Started,
    /// Both rewarded.
    Converted,
    /// Converted past the referrer's cap: the referee rewarded, the referrer not.
    Capped,
    /// No qualifying purchase within the window.
    Expired,
    /// The qualifying purchase was returned: rewards taken back.
    Reversed,
}

/// The brand's referral program.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "ReferralPolicyInput")]
pub struct ReferralPolicy {
    pub enabled: bool,
    /// The points program points rewards are credited to.
    pub program_id: Option<ID>,
    #[graphql(default)]
    pub referrer_points: i64,
    /// A voucher for the referrer, in minor units (0: none).
    #[graphql(default)]
    pub referrer_voucher_minor: i64,
    #[graphql(default)]
    pub referee_points: i64,
    #[graphql(default)]
    pub referee_voucher_minor: i64,
    #[graphql(default = 60)]
    pub voucher_valid_days: i32,
    /// The referee's first purchase of at least this much converts the referral.
    #[graphql(default)]
    pub minimum_purchase_minor: i64,
    /// Days after the code is given (and after joining, for giving it) for that purchase.
    #[graphql(default = 30)]
    pub window_days: i32,
    /// Rewarded referrals per referrer per `capPeriodDays` (none: no cap).
    pub cap_per_referrer: Option<i32>,
    #[graphql(default = 365)]
    pub cap_period_days: i32,
}

impl From<referral_policy::Model> for ReferralPolicy {
    fn from(p: referral_policy::Model) -> Self {
        Self {
            enabled: p.enabled,
            program_id: p.program_id.map(|p| ID(p.to_string())),
            referrer_points: p.referrer_points,
            referrer_voucher_minor: p.referrer_voucher_minor,
            referee_points: p.referee_points,
            referee_voucher_minor: p.referee_voucher_minor,
            voucher_valid_days: p.voucher_valid_days,
            minimum_purchase_minor: p.minimum_purchase_minor,
            window_days: p.window_days,
            cap_per_referrer: p.cap_per_referrer,
            cap_period_days: p.cap_period_days,
        }
    }
}

/// A referral. Across a coalition's brands, each brand sees its own member's side: the other
/// member's id and reward are left out (null, 0) and the other brand is named.
#[derive(SimpleObject, Clone)]
pub struct Referral {
    pub id: ID,
    /// Null when the referrer is a member of another brand of the coalition.
    pub referrer_id: Option<ID>,
    /// Null when the referee is a member of another brand of the coalition.
    pub referee_id: Option<ID>,
    /// The referrer's brand, when it is another brand of the coalition.
    pub referrer_brand_name: Option<String>,
    /// The referee's brand, when it is another brand of the coalition.
    pub referee_brand_name: Option<String>,
    pub status: ReferralStatus,
    pub started_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub purchase_id: Option<ID>,
    pub converted_at: Option<DateTime<Utc>>,
    pub reversed_at: Option<DateTime<Utc>>,
    pub referrer_points: i64,
    pub referee_points: i64,
    pub referrer_voucher_id: Option<ID>,
    pub referee_voucher_id: Option<ID>,
}

impl Referral {
    /// The referral as `brand` sees it (`names`: other brands' names by id).
    fn seen_by(
        r: referral::Model,
        brand: uuid::Uuid,
        names: &std::collections::HashMap<uuid::Uuid, String>,
    ) -> Self {
        let id_of = |u: uuid::Uuid| ID(u.to_string());
        let referee_here = r.tenant_id == brand;
        let referrer_brand = r.referrer_brand_id.unwrap_or(r.tenant_id);
        let referrer_here = referrer_brand == brand;
        let name = |b: uuid::Uuid| (b != brand).then(|| names.get(&b).cloned()).flatten();
        Self {
            id: id_of(r.id),
            referrer_id: referrer_here.then(|| id_of(r.referrer_id)),
            referee_id: referee_here.then(|| id_of(r.referee_id)),
            referrer_brand_name: name(referrer_brand),
            referee_brand_name: name(r.tenant_id),
            status: r.status.into(),
            started_at: r.started_at,
            expires_at: r.expires_at,
            purchase_id: r.purchase_id.filter(|_| referee_here).map(id_of),
            converted_at: r.converted_at,
            reversed_at: r.reversed_at,
            referrer_points: if referrer_here { r.referrer_points } else { 0 },
            referee_points: if referee_here { r.referee_points } else { 0 },
            referrer_voucher_id: r.referrer_voucher_id.filter(|_| referrer_here).map(id_of),
            referee_voucher_id: r.referee_voucher_id.filter(|_| referee_here).map(id_of),
        }
    }

    /// Referrals as the scope's brand sees them.
    async fn all_seen_by(
        ctx: &Context<'_>,
        rows: Vec<referral::Model>,
    ) -> Result<Vec<Self>, AppError> {
        let brand = ctx.scope()?.tenant_id();
        let mut names = std::collections::HashMap::new();
        for r in &rows {
            for b in [Some(r.tenant_id), r.referrer_brand_id]
                .into_iter()
                .flatten()
            {
                if b != brand && !names.contains_key(&b) {
                    let other = crate::identity::brands::get(&ctx.state()?.base, b).await?;
                    names.insert(b, other.name);
                }
            }
        }
        Ok(rows
            .into_iter()
            .map(|r| Self::seen_by(r, brand, &names))
            .collect())
    }
}

#[derive(SimpleObject)]
pub struct TopReferrer {
    pub member_id: ID,
    pub converted: i32,
}

/// The brand's referral figures.
#[derive(SimpleObject)]
pub struct ReferralFigures {
    pub started: i32,
    pub converted: i32,
    pub capped: i32,
    pub expired: i32,
    pub reversed: i32,
    /// Points given to referrers and referees (reversed ones left out).
    pub points_given: i64,
    pub vouchers_given: i32,
    pub top_referrers: Vec<TopReferrer>,
}

/// A referral as a member sees it (nobody else's id in it).
#[derive(SimpleObject)]
pub struct ReferralSummary {
    pub status: ReferralStatus,
    pub started_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub converted_at: Option<DateTime<Utc>>,
    /// The points this member got from it.
    pub points: i64,
    /// The friend's brand, when it is another brand of the coalition.
    pub other_brand_name: Option<String>,
}

/// Another brand of a coalition where this member's code works too.
#[derive(SimpleObject)]
pub struct ReferralElsewhere {
    pub brand_name: String,
    /// That brand's sign-up page with the code filled in.
    pub link_path: String,
}

/// A member's side of referrals.
#[derive(SimpleObject)]
pub struct MyReferral {
    /// The code to give to friends.
    pub code: String,
    /// The member space's sign-up page with the code filled in.
    pub link_path: String,
    /// The referral this member joined with, if any.
    pub joined_with: Option<ReferralSummary>,
    /// The referrals this member made, newest first.
    pub referrals: Vec<ReferralSummary>,
    /// Other brands of this brand's coalitions where the code works (the coalition allows
    /// referrals across its brands and the brand runs a referral program).
    pub also_at: Vec<ReferralElsewhere>,
}

fn summary(r: referral::Model, as_referrer: bool, other: Option<String>) -> ReferralSummary {
    ReferralSummary {
        other_brand_name: other,
        status: r.status.into(),
        started_at: r.started_at,
        expires_at: r.expires_at,
        converted_at: r.converted_at,
        points: if as_referrer {
            r.referrer_points
        } else {
            r.referee_points
        },
    }
}

fn n(x: u64) -> i32 {
    i32::try_from(x).unwrap_or(i32::MAX)
}

#[derive(Default)]
pub struct ReferralQuery;

#[Object]
impl ReferralQuery {
    #[graphql(guard = "PermissionGuard(Permission::ViewOffers)")]
    async fn referral_policy(&self, ctx: &Context<'_>) -> Result<ReferralPolicy> {
        Ok(referrals::policy(ctx.scope()?).await?.into())
    }

    /// Referrals, newest first (at most 500): of a referrer, in a status.
    #[graphql(guard = "PermissionGuard(Permission::ManageCommunity)")]
    async fn referrals(
        &self,
        ctx: &Context<'_>,
        referrer_id: Option<ID>,
        status: Option<ReferralStatus>,
    ) -> Result<Vec<Referral>> {
        let referrer = referrer_id
            .as_deref()
            .map(|r| id("referrerId", r))
            .transpose()?;
        if let Some(r) = referrer {
            // Another brand's member reads as NOT_FOUND, not as an empty list.
            crate::loyalty::members::get(ctx.scope()?, r).await?;
        }
        let rows = referrals::list(ctx.scope()?, referrer, status.map(Into::into)).await?;
        Ok(Referral::all_seen_by(ctx, rows).await?)
    }

    #[graphql(guard = "PermissionGuard(Permission::ManageCommunity)")]
    async fn referral_figures(&self, ctx: &Context<'_>) -> Result<ReferralFigures> {
        let f = referrals::figures(ctx.scope()?).await?;
        Ok(ReferralFigures {
            started: n(f.started),
            converted: n(f.converted),
            capped: n(f.capped),
            expired: n(f.expired),
            reversed: n(f.reversed),
            points_given: f.points_given,
            vouchers_given: n(f.vouchers_given),
            top_referrers: f
                .top_referrers
                .into_iter()
                .map(|(m, c)| TopReferrer {
                    member_id: ID(m.to_string()),
                    converted: n(c),
                })
                .collect(),
        })
    }

    /// A member's referral code (made on first ask), for staff to read out.
    #[graphql(guard = "PermissionGuard(Permission::ViewMembers)")]
    async fn member_referral_code(&self, ctx: &Context<'_>, member_id: ID) -> Result<String> {
        Ok(referrals::code_of(ctx.scope()?, id("memberId", &member_id)?).await?)
    }

    /// For a signed-in member: their code and link, the referral they joined with, the ones
    /// they made.
    #[graphql(guard = "PermissionGuard(Permission::ViewOwnMembership)")]
    async fn my_referral(&self, ctx: &Context<'_>) -> Result<MyReferral> {
        let member = ctx.member_id()?;
        let scope = ctx.scope()?;
        let base = &ctx.state()?.base;
        let code = referrals::code_of(scope, member).await?;
        let slug = scope.brand().await?.slug;
        let here = scope.tenant_id();
        let mut referrals_made = Vec::new();
        let mut names: std::collections::HashMap<uuid::Uuid, String> =
            std::collections::HashMap::new();
        for r in referrals::list(scope, Some(member), None).await? {
            let other = if r.tenant_id == here {
                None
            } else {
                if let std::collections::hash_map::Entry::Vacant(slot) = names.entry(r.tenant_id) {
                    slot.insert(crate::identity::brands::get(base, r.tenant_id).await?.name);
                }
                names.get(&r.tenant_id).cloned()
            };
            referrals_made.push(summary(r, true, other));
        }
        let joined_with = match referrals::of_referee(scope, member).await? {
            Some(r) => {
                let other = match r.referrer_brand_id.filter(|b| *b != here) {
                    Some(b) => Some(crate::identity::brands::get(base, b).await?.name),
                    None => None,
                };
                Some(summary(r, false, other))
            }
            None => None,
        };
        Ok(MyReferral {
            link_path: format!("/m/{slug}/signup?ref={code}"),
            also_at: referrals::works_at(base, scope)
                .await?
                .into_iter()
                .map(|b| ReferralElsewhere {
                    link_path: format!("/m/{}/signup?ref={code}", b.slug),
                    brand_name: b.name,
                })
                .collect(),
            code,
            joined_with,
            referrals: referrals_made,
        })
    }
}

#[derive(Default)]
pub struct ReferralMutation;

#[Object]
impl ReferralMutation {
    /// Sets the brand's referral program (every field).
    #[graphql(guard = "PermissionGuard(Permission::ManageCommunity)")]
    async fn set_referral_policy(
        &self,
        ctx: &Context<'_>,
        input: ReferralPolicy,
    ) -> Result<ReferralPolicy> {
        let scope = ctx.scope()?;
        let model = referral_policy::Model {
            tenant_id: scope.tenant_id(),
            enabled: input.enabled,
            program_id: input
                .program_id
                .as_deref()
                .map(|p| id("input.programId", p))
                .transpose()?,
            referrer_points: input.referrer_points,
            referrer_voucher_minor: input.referrer_voucher_minor,
            referee_points: input.referee_points,
            referee_voucher_minor: input.referee_voucher_minor,
            voucher_valid_days: input.voucher_valid_days,
            minimum_purchase_minor: input.minimum_purchase_minor,
            window_days: input.window_days,
            cap_per_referrer: input.cap_per_referrer,
            cap_period_days: input.cap_period_days,
            updated_at: scope.now(),
        };
        Ok(referrals::set_policy(scope, model).await?.into())
    }

    /// Staff or a partner app record the referral code a new member gives (within the window
    /// after joining, before any purchase). CONFLICT for a self-referral, a second code, a late
    /// one; VALIDATION for an unknown code.
    #[graphql(guard = "PermissionGuard(Permission::EnrollMembers)")]
    async fn apply_referral_code(
        &self,
        ctx: &Context<'_>,
        member_id: ID,
        code: String,
        idempotency_key: Option<String>,
    ) -> Result<Referral> {
        let row = referrals::apply(
            &ctx.state()?.base,
            ctx.scope()?,
            id("memberId", &member_id)?,
            &code,
            idempotency_key.as_deref(),
        )
        .await?;
        Ok(Referral::all_seen_by(ctx, vec![row])
            .await?
            .pop()
            .ok_or(AppError::NotFound)?)
    }

    /// A signed-in member gives the code of the friend who referred them.
    #[graphql(guard = "PermissionGuard(Permission::ViewOwnMembership)")]
    async fn apply_my_referral_code(
        &self,
        ctx: &Context<'_>,
        code: String,
        idempotency_key: Option<String>,
    ) -> Result<Referral> {
        let member = ctx.member_id()?;
        let row = referrals::apply(
            &ctx.state()?.base,
            ctx.scope()?,
            member,
            &code,
            idempotency_key.as_deref(),
        )
        .await?;
        Ok(Referral::all_seen_by(ctx, vec![row])
            .await?
            .pop()
            .ok_or(AppError::NotFound)?)
    }
}
