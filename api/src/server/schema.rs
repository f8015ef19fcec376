//! The GraphQL schema: each context's roots merged into [`QueryRoot`] and [`MutationRoot`], with
//! the document limits. Resolvers live in their context's `graphql` folder and stay thin.

use std::sync::Arc;

use async_graphql::{EmptySubscription, MergedObject, Schema, SchemaBuilder};

use crate::{
    analytics::graphql as analytics,
    coalition::graphql as coalition,
    community::graphql as community,
    core::{deps::Deps, graphql::limits},
    engagement::graphql as engagement,
    identity::graphql as identity,
    loyalty::graphql as loyalty,
};

#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    identity::sessions::AuthQuery,
    identity::brands::BrandQuery,
    identity::users::UserQuery,
    identity::api_keys::ApiKeyQuery,
    loyalty::programs::ProgramQuery,
    loyalty::members::MemberQuery,
    loyalty::purchases::PurchaseQuery,
    loyalty::offers::OfferQuery,
    loyalty::offers::ClaimQuery,
    loyalty::statistics::StatisticsQuery,
    loyalty::vouchers::VoucherQuery,
    loyalty::gestures::GestureQuery,
    loyalty::member_auth::MemberAuthQuery,
    coalition::coalitions::CoalitionQuery,
    coalition::points::CoalitionPointsQuery,
    engagement::mail::MailQuery,
    engagement::campaigns::CampaignQuery,
    loyalty::member_rights::MemberRightsQuery,
    community::contests::ContestQuery,
    community::referrals::ReferralQuery,
    community::clubs::ClubQuery,
    community::coalition_clubs::CoalitionClubQuery,
    community::events::EventQuery,
    analytics::InsightQuery,
    analytics::KpiQuery,
    analytics::ObjectiveQuery,
);

#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    identity::sessions::AuthMutation,
    identity::brands::BrandMutation,
    identity::users::UserMutation,
    identity::api_keys::ApiKeyMutation,
    loyalty::programs::ProgramMutation,
    loyalty::members::MemberMutation,
    loyalty::purchases::PurchaseMutation,
    loyalty::offers::OfferMutation,
    loyalty::offers::ClaimMutation,
    loyalty::vouchers::VoucherMutation,
    loyalty::stored_value::StoredValueMutation,
    loyalty::memberships::MembershipMutation,
    loyalty::gestures::GestureMutation,
    loyalty::member_auth::MemberAuthMutation,
    coalition::coalitions::CoalitionMutation,
    coalition::points::CoalitionPointsMutation,
    engagement::mail::MailMutation,
    engagement::campaigns::CampaignMutation,
    loyalty::member_rights::MemberRightsMutation,
    community::contests::ContestMutation,
    community::referrals::ReferralMutation,
    community::clubs::ClubMutation,
    community::coalition_clubs::CoalitionClubMutation,
    community::events::EventMutation,
    analytics::InsightMutation,
    analytics::ObjectiveMutation,
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
pub fn build_schema(state: Arc<Deps>) -> FidelisSchema {
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
