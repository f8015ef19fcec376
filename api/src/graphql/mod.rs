//! The GraphQL schema: one file per capability, merged into [`QueryRoot`] and [`MutationRoot`].
//! Resolvers stay thin: they read the principal and scope from the context, call the domain, and
//! map the result.

pub mod api_keys;
pub mod auth;
pub mod brand;
pub mod campaigns;
pub mod coalition_points;
pub mod coalitions;
pub mod errors;
pub mod gestures;
pub mod guards;
pub mod limits;
pub mod mail;
pub mod member_auth;
pub mod member_rights;
pub mod members;
pub mod memberships;
pub mod programs;
pub mod purchases;
pub mod relay;
pub mod stored_value;
pub mod types;
pub mod users;
pub mod vouchers;

use std::sync::Arc;

use async_graphql::{Context, EmptySubscription, MergedObject, Schema, SchemaBuilder};

use crate::{app::AppState, auth::Principal, db::scope::TenantScope, error::AppError};

#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    auth::AuthQuery,
    brand::BrandQuery,
    users::UserQuery,
    api_keys::ApiKeyQuery,
    programs::ProgramQuery,
    members::MemberQuery,
    purchases::PurchaseQuery,
    vouchers::VoucherQuery,
    gestures::GestureQuery,
    member_auth::MemberAuthQuery,
    coalitions::CoalitionQuery,
    coalition_points::CoalitionPointsQuery,
    mail::MailQuery,
    campaigns::CampaignQuery,
    member_rights::MemberRightsQuery,
);

#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    auth::AuthMutation,
    brand::BrandMutation,
    users::UserMutation,
    api_keys::ApiKeyMutation,
    programs::ProgramMutation,
    members::MemberMutation,
    purchases::PurchaseMutation,
    vouchers::VoucherMutation,
    stored_value::StoredValueMutation,
    memberships::MembershipMutation,
    gestures::GestureMutation,
    member_auth::MemberAuthMutation,
    coalitions::CoalitionMutation,
    coalition_points::CoalitionPointsMutation,
    mail::MailMutation,
    campaigns::CampaignMutation,
    member_rights::MemberRightsMutation,
);

pub type FidelisSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// Deepest accepted selection nesting.
pub const MAX_DEPTH: usize = 12;
/// Largest accepted query complexity (each field counts 1, a connection page counts its size).
pub const MAX_COMPLEXITY: usize = 2_000;
/// Most aliases accepted in one document (aliases multiply work without adding depth).
pub const MAX_ALIASES: usize = 30;

fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, EmptySubscription> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        EmptySubscription,
    )
    // Depth and aliases are counted by `limits::DocumentLimits` (fragments expanded,
    // introspection exempt from depth), which also refuses control characters in inputs.
    .limit_complexity(MAX_COMPLEXITY)
    .limit_recursive_depth(32)
    .limit_directives(10)
    .extension(limits::DocumentLimits {
        max_depth: MAX_DEPTH,
        max_aliases: MAX_ALIASES,
    })
}

/// The schema the server runs.
pub fn build_schema(state: Arc<AppState>) -> FidelisSchema {
    let production = state.config.is_production();
    let mut builder = builder().data(state);
    if production {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder.finish()
}

/// The schema as SDL, as committed in `api/schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}

/// What the HTTP layer attaches to each request.
#[derive(Clone)]
pub struct RequestContext {
    pub principal: Principal,
    pub scope: Option<TenantScope>,
    /// The client's address, for rate limits.
    pub client: String,
}

pub trait ContextExt {
    fn state(&self) -> Result<&Arc<AppState>, AppError>;
    fn request(&self) -> Result<&RequestContext, AppError>;
    /// The caller's brand scope: UNAUTHENTICATED without a token, FORBIDDEN for a principal
    /// that has no brand.
    fn scope(&self) -> Result<&TenantScope, AppError>;
}

impl ContextExt for Context<'_> {
    fn state(&self) -> Result<&Arc<AppState>, AppError> {
        self.data::<Arc<AppState>>()
            .map_err(|_| AppError::Internal(anyhow::anyhow!("schema built without state")))
    }

    fn request(&self) -> Result<&RequestContext, AppError> {
        self.data::<RequestContext>()
            .map_err(|_| AppError::Internal(anyhow::anyhow!("request without a request context")))
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

#[cfg(test)]
mod tests {
    /// The committed SDL is what clients and reviewers read: it must be the schema the code serves.
    #[test]
    fn the_committed_schema_matches_the_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
        let sdl = super::sdl();
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(path, &sdl).expect("writing api/schema.graphql");
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == sdl,
            "api/schema.graphql is stale: run `cargo run -q -- schema > api/schema.graphql` (or UPDATE_SCHEMA=1 cargo test)"
        );
    }
}
