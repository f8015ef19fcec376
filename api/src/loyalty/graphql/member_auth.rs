//! Members in the brand's app: `memberSignUp`, `memberLogin`, `me`, and what a member does on
//! their own account (profile, rewards, points, membership).

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::NaiveDate;

use crate::{
    core::{
        auth::{Permission, Principal},
        error::AppError,
        graphql::{ContextExt, guards::PermissionGuard},
    },
    loyalty::{graphql::members::Member, member_auth::MemberSession, members::Enrol},
};

/// The calling member's id (MEMBER tokens only).
fn own_member(ctx: &Context<'_>) -> Result<uuid::Uuid, AppError> {
    match ctx.request()?.principal {
        Principal::Member { member_id, .. } => Ok(member_id),
        _ => Err(AppError::Forbidden("only members have an own account")),
    }
}

#[derive(InputObject)]
pub struct MemberSignUpInput {
    /// The brand whose app this is.
    pub brand_slug: String,
    pub email: String,
    /// 10 to 128 characters.
    pub password: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub birth_date: Option<NaiveDate>,
    #[graphql(default)]
    pub email_consent: bool,
    #[graphql(default)]
    pub sms_consent: bool,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject)]
pub struct RequestMemberAccessInput {
    /// The brand whose app this is.
    pub brand_slug: String,
    pub email: String,
}

#[derive(InputObject)]
pub struct SetMemberPasswordInput {
    pub brand_slug: String,
    /// The token of the mailed link (`/m/<brand>/set-password?token=…`).
    pub token: String,
    /// 10 to 128 characters.
    pub password: String,
}

#[derive(InputObject)]
pub struct MemberLoginInput {
    pub brand_slug: String,
    pub email: String,
    pub password: String,
}

/// A member's session in the brand's app.
#[derive(SimpleObject)]
pub struct MemberAuthPayload {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    pub expires_in: u64,
    pub member: Member,
}

impl From<MemberSession> for MemberAuthPayload {
    fn from(s: MemberSession) -> Self {
        Self {
            access_token: s.access_token,
            token_type: "Bearer".to_owned(),
            expires_in: s.expires_in,
            member: Member::in_own_session(s.member, s.scope),
        }
    }
}

#[derive(Default)]
pub struct MemberAuthQuery;

#[Object]
impl MemberAuthQuery {
    /// The calling member's own account: profile, cards, points, vouchers, history.
    #[graphql(guard = "PermissionGuard(Permission::ViewOwnMembership)")]
    async fn me(&self, ctx: &Context<'_>) -> Result<Member> {
        let Principal::Member { member_id, .. } = ctx.request()?.principal else {
            return Err(AppError::Forbidden("only members have an own account").into());
        };
        Ok(crate::loyalty::members::get(ctx.scope()?, member_id)
            .await?
            .into())
    }
}

#[derive(Default)]
pub struct MemberAuthMutation;

#[Object]
impl MemberAuthMutation {
    /// Joins a brand's program from its app: enrols the member (with a card) and opens a session.
    async fn member_sign_up(
        &self,
        ctx: &Context<'_>,
        input: MemberSignUpInput,
    ) -> Result<MemberAuthPayload> {
        let enrol = Enrol {
            email: Some(input.email),
            phone: input.phone,
            first_name: input.first_name,
            last_name: input.last_name,
            birth_date: input.birth_date,
            email_consent: input.email_consent,
            sms_consent: input.sms_consent,
            consent_source: Some("member app sign-up".to_owned()),
            ..Enrol::default()
        };
        let session = crate::loyalty::member_auth::sign_up(
            &ctx.state()?.base,
            &ctx.state()?.auth,
            &input.brand_slug,
            enrol,
            &input.password,
            &ctx.request()?.client,
            input.idempotency_key.as_deref(),
        )
        .await?;
        Ok(session.into())
    }

    /// The calling member updates their own profile and consent (only the fields given).
    #[graphql(guard = "PermissionGuard(Permission::ViewOwnMembership)")]
    async fn update_my_profile(
        &self,
        ctx: &Context<'_>,
        input: crate::loyalty::graphql::members::UpdateMemberInput,
    ) -> Result<Member> {
        let Principal::Member { member_id, .. } = ctx.request()?.principal else {
            return Err(AppError::Forbidden("only members have an own account").into());
        };
        Ok(crate::loyalty::members::update_profile(
            ctx.scope()?,
            member_id,
            input.into(),
            "member app",
        )
        .await?
        .into())
    }

    /// The calling member takes a reward of the catalog with their own points.
    #[graphql(guard = "PermissionGuard(Permission::ViewOwnMembership)")]
    async fn redeem_my_reward(
        &self,
        ctx: &Context<'_>,
        reward_id: ID,
        idempotency_key: Option<String>,
    ) -> Result<crate::loyalty::graphql::vouchers::Voucher> {
        let member_id = own_member(ctx)?;
        Ok(crate::loyalty::rewards::redeem(
            ctx.scope()?,
            member_id,
            crate::core::types::id("rewardId", &reward_id)?,
            idempotency_key.as_deref(),
        )
        .await?
        .into())
    }

    /// The calling member converts their own points into a voucher: a number of `points`, or
    /// a voucher of `amountMinor` (its price in points rounded up); exactly one of the two.
    #[graphql(guard = "PermissionGuard(Permission::ViewOwnMembership)")]
    async fn convert_my_points(
        &self,
        ctx: &Context<'_>,
        program_id: ID,
        points: Option<i64>,
        amount_minor: Option<i64>,
        idempotency_key: Option<String>,
    ) -> Result<crate::loyalty::graphql::vouchers::Voucher> {
        let member_id = own_member(ctx)?;
        let conversion = match (points, amount_minor) {
            (Some(p), None) => crate::loyalty::vouchers::Conversion::Points(p),
            (None, Some(a)) => crate::loyalty::vouchers::Conversion::AmountMinor(a),
            _ => {
                return Err(
                    AppError::validation("points", "give either points or amountMinor").into(),
                );
            }
        };
        Ok(crate::loyalty::vouchers::convert_points(
            ctx.scope()?,
            member_id,
            crate::core::types::id("programId", &program_id)?,
            conversion,
            90,
            idempotency_key.as_deref(),
        )
        .await?
        .into())
    }

    /// The calling member cancels their own paid membership (perks to the end of the paid
    /// period).
    #[graphql(guard = "PermissionGuard(Permission::ViewOwnMembership)")]
    async fn cancel_my_membership(
        &self,
        ctx: &Context<'_>,
        membership_id: ID,
    ) -> Result<crate::loyalty::graphql::memberships::Membership> {
        let member_id = own_member(ctx)?;
        let id = crate::core::types::id("membershipId", &membership_id)?;
        Ok(
            crate::loyalty::memberships::cancel(ctx.scope()?, id, Some(member_id))
                .await?
                .into(),
        )
    }

    /// Mails a member of the brand a link to set their password: a member enrolled at the till
    /// (or by a partner app) claims an app login with it, and a member who forgot theirs sets a
    /// new one. Always answers true, whether or not the address is a member's; rate-limited per
    /// client and per address.
    async fn request_member_access(
        &self,
        ctx: &Context<'_>,
        input: RequestMemberAccessInput,
    ) -> Result<bool> {
        crate::loyalty::member_access::request(
            &ctx.state()?.base,
            &ctx.state()?.auth,
            &ctx.state()?.links,
            &ctx.state()?.post,
            &input.brand_slug,
            &input.email,
            &ctx.request()?.client,
        )
        .await?;
        Ok(true)
    }

    /// Sets the member's password with the token of a mailed link (once; the link expires),
    /// ends their other sessions and opens a new one.
    async fn set_member_password(
        &self,
        ctx: &Context<'_>,
        input: SetMemberPasswordInput,
    ) -> Result<MemberAuthPayload> {
        let session = crate::loyalty::member_access::set_password(
            &ctx.state()?.base,
            &ctx.state()?.auth,
            &input.brand_slug,
            &input.token,
            &input.password,
        )
        .await?;
        Ok(session.into())
    }

    /// Opens a member session with the e-mail and password used at sign-up.
    async fn member_login(
        &self,
        ctx: &Context<'_>,
        input: MemberLoginInput,
    ) -> Result<MemberAuthPayload> {
        let session = crate::loyalty::member_auth::login(
            &ctx.state()?.base,
            &ctx.state()?.auth,
            &input.brand_slug,
            &input.email,
            &input.password,
            &ctx.request()?.client,
        )
        .await?;
        Ok(session.into())
    }
}
