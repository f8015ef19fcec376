//! A brand's portal users and invitations.

use async_graphql::{Context, ID, InputObject, Object, Result, connection::Connection};

use crate::{
    core::{
        auth::Permission,
        error::AppError,
        graphql::{
            ContextExt,
            guards::PermissionGuard,
            relay,
            types::{Invitation, Role, User},
        },
        types::id,
    },
    identity::graphql::sessions::AuthPayload,
};

#[derive(InputObject)]
pub struct InviteUserInput {
    pub email: String,
    /// BRAND_OWNER, BRAND_MANAGER or BRAND_STAFF.
    pub role: Role,
    /// Makes the call safe to retry: a replay returns the first invitation and sends no mail.
    pub idempotency_key: Option<String>,
}

#[derive(InputObject)]
pub struct AcceptInvitationInput {
    /// The token of the mailed link.
    pub token: String,
    /// 10 to 128 characters.
    pub password: String,
    pub display_name: Option<String>,
}

#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// The brand's portal users.
    #[graphql(
        guard = "PermissionGuard(Permission::ViewUsers)",
        complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity + 1"
    )]
    async fn users(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, User>> {
        let page = relay::page_request(first, after)?;
        let had_cursor = page.after.is_some();
        let users = crate::identity::users::list(ctx.scope()?, page).await?;
        Ok(relay::connection(users, had_cursor, |u| u.id, User::from))
    }

    /// One of the brand's users.
    #[graphql(guard = "PermissionGuard(Permission::ViewUsers)")]
    async fn user(&self, ctx: &Context<'_>, id: ID) -> Result<User> {
        Ok(
            crate::identity::users::get(ctx.scope()?, parse_id("id", &id)?)
                .await?
                .into(),
        )
    }

    /// Invitations sent by the brand, newest last.
    #[graphql(
        guard = "PermissionGuard(Permission::ViewUsers)",
        complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity + 1"
    )]
    async fn invitations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Invitation>> {
        let page = relay::page_request(first, after)?;
        let had_cursor = page.after.is_some();
        let invitations = crate::identity::users::list_invitations(ctx.scope()?, page).await?;
        Ok(relay::connection(
            invitations,
            had_cursor,
            |i| i.id,
            Invitation::from,
        ))
    }
}

fn parse_id(field: &'static str, raw: &ID) -> Result<uuid::Uuid, AppError> {
    id(field, raw)
}

#[derive(Default)]
pub struct UserMutation;

#[Object]
impl UserMutation {
    /// Invites a person to the brand and mails them a link. Inviting the same address again
    /// replaces the pending invitation.
    #[graphql(guard = "PermissionGuard(Permission::ManageUsers)")]
    async fn invite_user(&self, ctx: &Context<'_>, input: InviteUserInput) -> Result<Invitation> {
        let inviter = ctx
            .request()?
            .principal
            .user_id()
            .ok_or(AppError::Forbidden("only people can invite"))?;
        Ok(crate::identity::users::invite(
            &ctx.state()?.base,
            &ctx.state()?.links,
            &ctx.state()?.post,
            ctx.scope()?,
            inviter,
            crate::identity::users::Invitee {
                email: &input.email,
                role: input.role.into(),
            },
            input.idempotency_key.as_deref(),
        )
        .await?
        .into())
    }

    /// Withdraws a pending invitation.
    #[graphql(guard = "PermissionGuard(Permission::ManageUsers)")]
    async fn revoke_invitation(&self, ctx: &Context<'_>, id: ID) -> Result<Invitation> {
        Ok(
            crate::identity::users::revoke_invitation(ctx.scope()?, parse_id("id", &id)?)
                .await?
                .into(),
        )
    }

    /// Creates the invited account and opens a session.
    async fn accept_invitation(
        &self,
        ctx: &Context<'_>,
        input: AcceptInvitationInput,
    ) -> Result<AuthPayload> {
        let session = crate::identity::users::accept_invitation(
            &ctx.state()?.base,
            &ctx.state()?.auth,
            &input.token,
            &input.password,
            input.display_name.as_deref(),
        )
        .await?;
        Ok(session.into())
    }

    /// Gives a user another brand role. The last active owner cannot be demoted.
    #[graphql(guard = "PermissionGuard(Permission::ManageUsers)")]
    async fn change_user_role(&self, ctx: &Context<'_>, user_id: ID, role: Role) -> Result<User> {
        Ok(crate::identity::users::change_role(
            ctx.scope()?,
            parse_id("userId", &user_id)?,
            role.into(),
        )
        .await?
        .into())
    }

    /// Deactivates a user and ends their sessions. The last active owner cannot be deactivated.
    #[graphql(guard = "PermissionGuard(Permission::ManageUsers)")]
    async fn deactivate_user(&self, ctx: &Context<'_>, user_id: ID) -> Result<User> {
        Ok(
            crate::identity::users::deactivate(ctx.scope()?, parse_id("userId", &user_id)?)
                .await?
                .into(),
        )
    }

    /// Lets a deactivated user log in again.
    #[graphql(guard = "PermissionGuard(Permission::ManageUsers)")]
    async fn reactivate_user(&self, ctx: &Context<'_>, user_id: ID) -> Result<User> {
        Ok(
            crate::identity::users::reactivate(ctx.scope()?, parse_id("userId", &user_id)?)
                .await?
                .into(),
        )
    }
}
