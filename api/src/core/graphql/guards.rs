//! Field guards. Every root field but the public ones (sign-up, login, token links) carries one;
//! the role-matrix test walks the schema to prove it.

use async_graphql::{Context, Guard, Result};

use crate::core::{
    auth::{Permission, Principal},
    error::AppError,
    graphql::ContextExt,
};

/// Lets through callers holding the permission: UNAUTHENTICATED without a token, FORBIDDEN
/// without the permission.
pub struct PermissionGuard(pub Permission);

impl Guard for PermissionGuard {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        let principal = &ctx.request()?.principal;
        if *principal == Principal::Anonymous {
            return Err(AppError::Unauthenticated("authentication required").into());
        }
        if !principal.can(self.0) {
            if let Principal::PartnerApp { .. } = principal {
                return Err(AppError::Forbidden(missing_scope(self.0)).into());
            }
            return Err(AppError::Forbidden("your role does not allow this").into());
        }
        Ok(())
    }
}

/// What a partner app's token lacks for a permission: the scope to ask for, by name.
fn missing_scope(permission: Permission) -> &'static str {
    use Permission as P;
    match permission {
        P::ViewPrograms => {
            "this API token lacks the offers:read scope (purchases:write or rewards:redeem also \
             grant it)"
        }
        P::EnrollMembers | P::ManageCards => "this API token lacks the members:write scope",
        P::ViewMembers | P::ViewCoalitionCards => {
            "this API token lacks the members:read scope (members:write also grants it)"
        }
        P::RecordPurchases => "this API token lacks the purchases:write scope",
        P::RedeemRewards => "this API token lacks the rewards:redeem scope",
        P::ImportHistory => "this API token lacks the history:import scope",
        _ => "partner apps cannot do this, whatever their scopes: it is for brand users",
    }
}

/// Lets through any authenticated caller.
pub struct AuthenticatedGuard;

impl Guard for AuthenticatedGuard {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        if ctx.request()?.principal == Principal::Anonymous {
            return Err(AppError::Unauthenticated("authentication required").into());
        }
        Ok(())
    }
}
