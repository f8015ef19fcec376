//! Members' rights: `exportMemberData` and `eraseMember` (brand owners and managers), `myData`
//! and `eraseMyData` (the member).

use async_graphql::{Context, ID, Json, Object, Result};

use crate::{
    core::{
        auth::{Permission, Principal},
        error::AppError,
        graphql::{ContextExt, guards::PermissionGuard},
        types::id,
    },
    loyalty::member_rights,
};

#[derive(Default)]
pub struct MemberRightsQuery;

#[Object]
impl MemberRightsQuery {
    /// Everything Fidelis holds about a member of the brand, as one JSON document (profile,
    /// consents, cards, purchases, ledger transactions and entries, lots, vouchers, memberships,
    /// tiers, gestures, mails, coalition cards).
    #[graphql(guard = "PermissionGuard(Permission::ManageMemberData)")]
    async fn export_member_data(
        &self,
        ctx: &Context<'_>,
        member_id: ID,
    ) -> Result<Json<serde_json::Value>> {
        let member = id("memberId", &member_id)?;
        Ok(Json(member_rights::export(ctx.scope()?, member).await?))
    }

    /// The signed-in member's own data export.
    #[graphql(guard = "PermissionGuard(Permission::ViewOwnMembership)")]
    async fn my_data(&self, ctx: &Context<'_>) -> Result<Json<serde_json::Value>> {
        let Principal::Member { member_id, .. } = ctx.request()?.principal else {
            return Err(AppError::Forbidden("this is for members").into());
        };
        Ok(Json(member_rights::export(ctx.scope()?, member_id).await?))
    }
}

#[derive(Default)]
pub struct MemberRightsMutation;

#[Object]
impl MemberRightsMutation {
    /// Erases a member's personal data (profile, consents, addresses in mail logs) and blocks
    /// their cards; ledger entries stay under the member's opaque id so balances and
    /// settlements still add up. Idempotent.
    #[graphql(guard = "PermissionGuard(Permission::ManageMemberData)")]
    async fn erase_member(&self, ctx: &Context<'_>, member_id: ID) -> Result<bool> {
        let member = id("memberId", &member_id)?;
        member_rights::erase(ctx.scope()?, member).await?;
        Ok(true)
    }

    /// The signed-in member erases their own personal data (the right to erasure), as
    /// `eraseMember` does: cards blocked, every session ended, the ledger kept under the
    /// opaque id. `confirm` must be `ERASE`.
    #[graphql(guard = "PermissionGuard(Permission::ViewOwnMembership)")]
    async fn erase_my_data(&self, ctx: &Context<'_>, confirm: String) -> Result<bool> {
        let Principal::Member { member_id, .. } = ctx.request()?.principal else {
            return Err(AppError::Forbidden("this is for members").into());
        };
        if confirm != "ERASE" {
            return Err(AppError::validation("confirm", "type ERASE to confirm").into());
        }
        member_rights::erase(ctx.scope()?, member_id).await?;
        Ok(true)
    }
}
