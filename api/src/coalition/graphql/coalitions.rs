//! Coalitions: `createCoalition` (platform admin), `inviteBrandToCoalition` (operator),
//! `respondToCoalitionInvitation` and `leaveCoalition` (brand owner), `coalitions`, `coalition`.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use crate::{
    coalition::coalitions::View,
    core::{
        auth::{Permission, Principal},
        error::AppError,
        graphql::{ContextExt, guards::PermissionGuard},
    },
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::coalition_brand::CoalitionBrandStatus")]
pub enum CoalitionBrandStatus {
    Invited,
    Active,
    Declined,
    Left,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::coalition_brand::Billing")]
pub enum Billing {
    /// Settled after each period.
    Postpaid,
    /// Prepaid point blocks.
    Prepaid,
}

/// A brand's place in a coalition.
#[derive(SimpleObject, Clone)]
pub struct CoalitionBrand {
    pub brand_id: ID,
    pub brand_name: String,
    pub brand_slug: String,
    /// Now: a leaving brand reads LEFT once its period ended.
    pub status: CoalitionBrandStatus,
    /// Shared points per `earnPerAmountMinor` spent at this brand.
    pub earn_points: i64,
    pub earn_per_amount_minor: i64,
    pub billing: Billing,
    /// PREPAID: how far below zero the block may go.
    pub reserve_points: i64,
    pub invited_at: DateTime<Utc>,
    pub responded_at: Option<DateTime<Utc>>,
    /// When a leaving brand stops being a member (the end of a period).
    pub leaves_at: Option<DateTime<Utc>>,
}

/// Several brands sharing one point currency, run by an operator.
#[derive(SimpleObject, Clone)]
pub struct Coalition {
    pub id: ID,
    pub name: String,
    pub currency: String,
    pub timezone: String,
    /// What a brand pays per 1000 points it gives out, in minor units (1000 = 1.0 cent a point).
    pub issue_price_per_1000_minor: i64,
    /// What the operator pays a brand per 1000 points spent there, in minor units.
    pub redemption_value_per_1000_minor: i64,
    pub fee_per_1000_issued_minor: i64,
    pub fee_basis_points: i64,
    pub points_validity_months: i64,
    /// A member of one brand may refer a friend to another brand of the coalition (the
    /// referee's brand rewards the referee, the referrer's brand the referrer, each by its own
    /// referral rules).
    pub cross_brand_referrals: bool,
    /// The brands the caller may see: all for the operator and platform admins; for a brand,
    /// itself and the member brands.
    pub brands: Vec<CoalitionBrand>,
}

impl From<View> for Coalition {
    fn from(v: View) -> Self {
        let now = Utc::now();
        Self {
            id: ID(v.coalition.id.to_string()),
            name: v.coalition.name,
            currency: v.coalition.currency,
            timezone: v.coalition.timezone,
            issue_price_per_1000_minor: v.coalition.issue_price_per_1000_minor,
            redemption_value_per_1000_minor: v.coalition.redemption_value_per_1000_minor,
            fee_per_1000_issued_minor: v.coalition.fee_per_1000_issued_minor,
            fee_basis_points: v.coalition.fee_basis_points,
            points_validity_months: v.coalition.points_validity_months,
            cross_brand_referrals: v.coalition.cross_brand_referrals,
            brands: v
                .brands
                .into_iter()
                .map(|(place, brand)| CoalitionBrand {
                    brand_id: ID(brand.id.to_string()),
                    brand_name: brand.name,
                    brand_slug: brand.slug,
                    status: crate::coalition::coalitions::status_now(&place, now).into(),
                    earn_points: place.earn_points,
                    earn_per_amount_minor: place.earn_per_amount_minor,
                    billing: place.billing.into(),
                    reserve_points: place.reserve_points,
                    invited_at: place.invited_at,
                    responded_at: place.responded_at,
                    leaves_at: place.leaves_at,
                })
                .collect(),
        }
    }
}

#[derive(InputObject)]
pub struct CreateCoalitionInput {
    pub name: String,
    /// ISO 4217; member brands must work in it.
    pub currency: String,
    /// IANA time zone: settlement periods follow it.
    pub timezone: String,
    /// The operator: an existing coalition operator, or a new one (a link to set a password is
    /// mailed to it).
    pub operator_email: String,
    #[graphql(default = 1000)]
    pub issue_price_per_1000_minor: i64,
    #[graphql(default = 800)]
    pub redemption_value_per_1000_minor: i64,
    #[graphql(default)]
    pub fee_per_1000_issued_minor: i64,
    #[graphql(default)]
    pub fee_basis_points: i64,
    /// Shared points expire after this many months without earning or spending on the card
    /// (the balance becomes the operator's breakage).
    #[graphql(default = 24)]
    pub points_validity_months: i64,
}

#[derive(InputObject)]
pub struct InviteBrandInput {
    pub coalition_id: ID,
    pub brand_slug: String,
    /// Shared points per `earnPerAmountMinor` spent at this brand.
    #[graphql(default = 1)]
    pub earn_points: i64,
    #[graphql(default = 100)]
    pub earn_per_amount_minor: i64,
    #[graphql(default_with = "Billing::Postpaid")]
    pub billing: Billing,
    /// PREPAID: how many points the block may go below zero before accrual is refused.
    #[graphql(default)]
    pub reserve_points: i64,
}

#[derive(Default)]
pub struct CoalitionQuery;

#[Object]
impl CoalitionQuery {
    /// The coalitions the caller takes part in (every one for a platform admin).
    #[graphql(guard = "PermissionGuard(Permission::ViewCoalitions)")]
    async fn coalitions(&self, ctx: &Context<'_>) -> Result<Vec<Coalition>> {
        let principal = &ctx.request()?.principal;
        Ok(
            crate::coalition::coalitions::visible(&ctx.state()?.base, principal)
                .await?
                .into_iter()
                .map(Into::into)
                .collect(),
        )
    }

    #[graphql(guard = "PermissionGuard(Permission::ViewCoalitions)")]
    async fn coalition(&self, ctx: &Context<'_>, id: ID) -> Result<Coalition> {
        let id = crate::core::types::id("id", &id)?;
        Ok(
            crate::coalition::coalitions::get(&ctx.state()?.base, &ctx.request()?.principal, id)
                .await?
                .into(),
        )
    }
}

#[derive(Default)]
pub struct CoalitionMutation;

#[Object]
impl CoalitionMutation {
    /// Creates a coalition and names its operator.
    #[graphql(guard = "PermissionGuard(Permission::AdministerPlatform)")]
    async fn create_coalition(
        &self,
        ctx: &Context<'_>,
        input: CreateCoalitionInput,
    ) -> Result<Coalition> {
        let new = crate::coalition::coalitions::NewCoalition {
            name: input.name,
            currency: input.currency,
            timezone: input.timezone,
            operator_email: input.operator_email,
            issue_price_per_1000_minor: input.issue_price_per_1000_minor,
            redemption_value_per_1000_minor: input.redemption_value_per_1000_minor,
            fee_per_1000_issued_minor: input.fee_per_1000_issued_minor,
            fee_basis_points: input.fee_basis_points,
            points_validity_months: input.points_validity_months,
        };
        Ok(crate::coalition::coalitions::create(
            &ctx.state()?.base,
            &ctx.state()?.auth,
            &ctx.state()?.links,
            &ctx.state()?.post,
            new,
            &ctx.request()?.client,
        )
        .await?
        .into())
    }

    /// The operator invites a brand (again after a decline or a departure).
    #[graphql(guard = "PermissionGuard(Permission::ManageCoalitions)")]
    async fn invite_brand_to_coalition(
        &self,
        ctx: &Context<'_>,
        input: InviteBrandInput,
    ) -> Result<Coalition> {
        let Principal::User { user_id, .. } = ctx.request()?.principal else {
            return Err(AppError::Forbidden("only an operator can invite").into());
        };
        let coalition = crate::core::types::id("input.coalitionId", &input.coalition_id)?;
        let invite = crate::coalition::coalitions::Invite {
            brand_slug: input.brand_slug,
            earn_points: input.earn_points,
            earn_per_amount_minor: input.earn_per_amount_minor,
            billing: input.billing.into(),
            reserve_points: input.reserve_points,
        };
        Ok(
            crate::coalition::coalitions::invite(&ctx.state()?.base, user_id, coalition, invite)
                .await?
                .into(),
        )
    }

    /// The operator allows (or stops) referrals across the coalition's brands: a member of one
    /// active brand gives their code to a friend who joins another. Referrals already started
    /// are honoured when it is stopped.
    #[graphql(guard = "PermissionGuard(Permission::ManageCoalitions)")]
    async fn set_coalition_referrals(
        &self,
        ctx: &Context<'_>,
        coalition_id: ID,
        allowed: bool,
    ) -> Result<Coalition> {
        let request = ctx.request()?;
        let Principal::User { user_id, .. } = request.principal else {
            return Err(AppError::Forbidden("only an operator can do this").into());
        };
        let coalition = crate::core::types::id("coalitionId", &coalition_id)?;
        let base = &ctx.state()?.base;
        crate::coalition::coalitions::set_referrals(base, user_id, coalition, allowed).await?;
        Ok(
            crate::coalition::coalitions::get(base, &request.principal, coalition)
                .await?
                .into(),
        )
    }

    /// The brand owner accepts or declines the coalition's invitation.
    #[graphql(guard = "PermissionGuard(Permission::JoinCoalitions)")]
    async fn respond_to_coalition_invitation(
        &self,
        ctx: &Context<'_>,
        coalition_id: ID,
        accept: bool,
    ) -> Result<Coalition> {
        let id = crate::core::types::id("coalitionId", &coalition_id)?;
        Ok(crate::coalition::coalitions::respond(
            &ctx.state()?.base,
            &ctx.request()?.principal,
            id,
            accept,
        )
        .await?
        .into())
    }

    /// The brand leaves at the end of the current period (month, coalition time zone); its
    /// members' shared points stay valid at the remaining brands.
    #[graphql(guard = "PermissionGuard(Permission::JoinCoalitions)")]
    async fn leave_coalition(&self, ctx: &Context<'_>, coalition_id: ID) -> Result<Coalition> {
        let id = crate::core::types::id("coalitionId", &coalition_id)?;
        Ok(
            crate::coalition::coalitions::leave(&ctx.state()?.base, &ctx.request()?.principal, id)
                .await?
                .into(),
        )
    }
}
