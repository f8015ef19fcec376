//! Field guards. Every root field but the public ones (sign-up, login, token links) carries one;
//! the role-matrix test walks the schema to prove it.

use async_graphql::{Context, Guard, Result};

use super::ContextExt;
use crate::{
    auth::{Permission, Principal},
    error::AppError,
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
            return Err(AppError::Forbidden("your role does not allow this").into());
        }
        Ok(())
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
