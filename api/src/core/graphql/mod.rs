//! GraphQL plumbing every context's resolvers share: the request context the HTTP layer
//! attaches (principal, tenant scope, client address), the `ContextExt` accessors, error
//! mapping, guards, document limits, Relay paging and shared GraphQL enums. Invariant: a
//! resolver reaches a tenant only through `ContextExt::scope`, which an anonymous caller or a
//! principal without a brand cannot obtain.

pub mod errors;
pub mod guards;
pub mod limits;
pub mod relay;
pub mod types;

use std::sync::Arc;

use async_graphql::Context;

use crate::core::{auth::Principal, deps::Deps, error::AppError, tenancy::TenantScope};

/// What the HTTP layer attaches to each request.
#[derive(Clone)]
pub struct RequestContext {
    pub principal: Principal,
    pub scope: Option<TenantScope>,
    /// The client's address, for rate limits.
    pub client: String,
}

pub trait ContextExt {
    fn state(&self) -> Result<&Arc<Deps>, AppError>;
    fn request(&self) -> Result<&RequestContext, AppError>;
    /// The caller's brand scope: UNAUTHENTICATED without a token, FORBIDDEN for a principal
    /// that has no brand.
    fn scope(&self) -> Result<&TenantScope, AppError>;
    /// The signed-in member's id: FORBIDDEN for anyone else.
    fn member_id(&self) -> Result<uuid::Uuid, AppError>;
}

impl ContextExt for Context<'_> {
    fn state(&self) -> Result<&Arc<Deps>, AppError> {
        self.data::<Arc<Deps>>()
            .map_err(|_| AppError::Internal(anyhow::anyhow!("schema built without state")))
    }

    fn request(&self) -> Result<&RequestContext, AppError> {
        self.data::<RequestContext>()
            .map_err(|_| AppError::Internal(anyhow::anyhow!("request without a request context")))
    }

    fn member_id(&self) -> Result<uuid::Uuid, AppError> {
        match self.request()?.principal {
            Principal::Member { member_id, .. } => Ok(member_id),
            _ => Err(AppError::Forbidden("this is for members")),
        }
    }

    fn scope(&self) -> Result<&TenantScope, AppError> {
        let request = self.request()?;
        match (&request.principal, &request.scope) {
            (Principal::Anonymous, _) => Err(AppError::Unauthenticated("authentication required")),
            (_, Some(scope)) => Ok(scope),
            (_, None) => Err(AppError::Forbidden("this operation needs a brand account")),
        }
    }
}
