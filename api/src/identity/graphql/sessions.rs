//! Sign-in and sessions: `login`, `refreshToken`, `logout`, e-mail verification, password reset,
//! and `viewer`.

use async_graphql::{Context, InputObject, Object, Result, SimpleObject};

use crate::{
    core::{
        auth::{ApiScope, Principal},
        graphql::{
            ContextExt,
            guards::AuthenticatedGuard,
            types::{ApiKey, Brand, Role, User},
        },
    },
    identity::{sessions::Session, store},
};

/// A new session.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Bearer token for the `Authorization` header.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Single-use token for `refreshToken`; rotated on every use.
    pub refresh_token: String,
    pub user: User,
}

impl From<Session> for AuthPayload {
    fn from(s: Session) -> Self {
        Self {
            access_token: s.access_token,
            token_type: "Bearer".to_owned(),
            expires_in: s.expires_in,
            refresh_token: s.refresh_token,
            user: s.user.into(),
        }
    }
}

#[derive(InputObject)]
pub struct LoginInput {
    pub email: String,
    pub password: String,
}

/// Who is calling.
pub struct Viewer(Principal);

#[Object]
impl Viewer {
    /// The caller's role.
    async fn role(&self) -> Option<Role> {
        self.0.role().map(Into::into)
    }

    /// The caller's portal account, for people.
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.0.user_id() else {
            return Ok(None);
        };
        Ok(store::user_by_id(&ctx.state()?.base.db, id)
            .await?
            .map(Into::into))
    }

    /// The caller's brand, if it acts for one.
    async fn brand(&self, ctx: &Context<'_>) -> Result<Option<Brand>> {
        let Some(id) = self.0.tenant_id() else {
            return Ok(None);
        };
        Ok(store::brand_by_id(&ctx.state()?.base.db, id)
            .await?
            .map(Into::into))
    }

    /// The API key, for partner apps.
    async fn api_key(&self, ctx: &Context<'_>) -> Result<Option<ApiKey>> {
        let Principal::PartnerApp { key_id, .. } = &self.0 else {
            return Ok(None);
        };
        Ok(store::api_key_by_id(&ctx.state()?.base.db, *key_id)
            .await?
            .map(Into::into))
    }

    /// The scopes of this token, for partner apps.
    async fn scopes(&self) -> Vec<ApiScope> {
        match &self.0 {
            Principal::PartnerApp { scopes, .. } => scopes.clone(),
            _ => Vec::new(),
        }
    }
}

#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// The caller: role, account, brand.
    #[graphql(guard = "AuthenticatedGuard")]
    async fn viewer(&self, ctx: &Context<'_>) -> Result<Viewer> {
        Ok(Viewer(ctx.request()?.principal.clone()))
    }
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Opens a session with an e-mail and a password. Failed attempts are limited per account
    /// and per client address (RATE_LIMITED).
    async fn login(&self, ctx: &Context<'_>, input: LoginInput) -> Result<AuthPayload> {
        let request = ctx.request()?;
        Ok(crate::identity::sessions::login(
            &ctx.state()?.base,
            &ctx.state()?.auth,
            &input.email,
            &input.password,
            &request.client,
        )
        .await?
        .into())
    }

    /// Trades a refresh token for a new session. Each refresh token works once: replaying a used
    /// one revokes the whole session.
    async fn refresh_token(&self, ctx: &Context<'_>, refresh_token: String) -> Result<AuthPayload> {
        Ok(crate::identity::sessions::refresh(
            &ctx.state()?.base,
            &ctx.state()?.auth,
            &refresh_token,
        )
        .await?
        .into())
    }

    /// Ends the session of a refresh token. Always true.
    async fn logout(&self, ctx: &Context<'_>, refresh_token: String) -> Result<bool> {
        crate::identity::sessions::logout(&ctx.state()?.base, &refresh_token).await?;
        Ok(true)
    }

    /// Confirms an e-mail address with the token of the mailed link.
    async fn verify_email(&self, ctx: &Context<'_>, token: String) -> Result<User> {
        Ok(
            crate::identity::sessions::verify_email(&ctx.state()?.base, &token)
                .await?
                .into(),
        )
    }

    /// Mails a new verification link if the address has an unverified account. Always true,
    /// whether or not it has (RATE_LIMITED past 10 mail requests an hour from one client).
    async fn resend_verification_email(&self, ctx: &Context<'_>, email: String) -> Result<bool> {
        crate::identity::sessions::resend_verification(
            &ctx.state()?.base,
            &ctx.state()?.auth,
            &ctx.state()?.links,
            &ctx.state()?.post,
            &email,
            &ctx.request()?.client,
        )
        .await?;
        Ok(true)
    }

    /// Mails a password-reset link if the address has an account. Always true, whether or not
    /// it has (RATE_LIMITED past 10 mail requests an hour from one client).
    async fn request_password_reset(&self, ctx: &Context<'_>, email: String) -> Result<bool> {
        crate::identity::sessions::request_password_reset(
            &ctx.state()?.base,
            &ctx.state()?.auth,
            &ctx.state()?.links,
            &ctx.state()?.post,
            &email,
            &ctx.request()?.client,
        )
        .await?;
        Ok(true)
    }

    /// Sets a new password with the token of the mailed link; ends every session.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        token: String,
        new_password: String,
    ) -> Result<bool> {
        crate::identity::sessions::reset_password(
            &ctx.state()?.base,
            &ctx.state()?.auth,
            &token,
            &new_password,
        )
        .await?;
        Ok(true)
    }
}
