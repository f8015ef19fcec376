//! Clubs run by a coalition's operator: `coalitionClubs`; `createCoalitionClub`,
//! `updateCoalitionClub`, `archiveCoalitionClub`. Brands see their place in them among their
//! `clubs` (`runByCoalition`), with `clubOtherBrandsMembers` for the members of other brands who
//! share their profile with them.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::coalition_club;

use super::clubs::{ClubAnswer, ClubQuestion};
use crate::{
    community::{
        clubs::Question,
        coalition_clubs::{self, BrandCount, CoalitionClubSpec},
    },
    core::{
        auth::{Permission, Principal},
        error::AppError,
        graphql::{ContextExt, guards::PermissionGuard},
        types::id,
    },
};

#[derive(InputObject)]
pub struct CoalitionClubInput {
    pub name: String,
    pub description: Option<String>,
    #[graphql(default)]
    pub questions: Vec<ClubQuestion>,
}

impl CoalitionClubInput {
    fn into_spec(self) -> CoalitionClubSpec {
        CoalitionClubSpec {
            name: self.name,
            description: self.description,
            questions: self
                .questions
                .into_iter()
                .map(|q| Question {
                    key: q.key,
                    label: q.label,
                    kind: q.kind.into(),
                    choices: q.choices,
                })
                .collect(),
        }
    }
}

/// A coalition club's members at one brand (the operator sees counts, never a profile).
#[derive(SimpleObject)]
pub struct CoalitionClubBrand {
    pub brand_id: ID,
    pub brand_name: String,
    /// Members in the club now.
    pub members: i64,
    /// Joins ever (a member who left and came back counts twice).
    pub joins: i64,
    /// Members who left and have not come back.
    pub leaves: i64,
}

/// A club run by a coalition's operator across its brands.
#[derive(SimpleObject)]
pub struct CoalitionClub {
    pub id: ID,
    pub coalition_id: ID,
    pub name: String,
    pub description: Option<String>,
    pub questions: Vec<ClubQuestion>,
    pub archived_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Each brand's place in it.
    pub brands: Vec<CoalitionClubBrand>,
}

fn n(x: u64) -> i64 {
    i64::try_from(x).unwrap_or(i64::MAX)
}

fn view(c: coalition_club::Model, counts: Vec<BrandCount>) -> CoalitionClub {
    let questions = c
        .questions
        .as_deref()
        .and_then(|q| serde_json::from_str::<Vec<Question>>(q).ok())
        .unwrap_or_default()
        .into_iter()
        .map(|q| ClubQuestion {
            key: q.key,
            label: q.label,
            kind: q.kind.into(),
            choices: q.choices,
        })
        .collect();
    CoalitionClub {
        id: ID(c.id.to_string()),
        coalition_id: ID(c.coalition_id.to_string()),
        name: c.name,
        description: c.description,
        questions,
        archived_at: c.archived_at,
        created_at: c.created_at,
        brands: counts
            .into_iter()
            .map(|b| CoalitionClubBrand {
                brand_id: ID(b.brand.id.to_string()),
                brand_name: b.brand.name,
                members: n(b.members),
                joins: n(b.joins),
                leaves: n(b.leaves),
            })
            .collect(),
    }
}

/// A member of another brand of the coalition who shares their profile with this brand.
#[derive(SimpleObject)]
pub struct SharedClubMember {
    pub brand_name: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    /// Their answers, when they consented to keep them.
    pub answers: Vec<ClubAnswer>,
    pub joined_at: Option<DateTime<Utc>>,
}

/// The members of a coalition club at the coalition's other brands, as this brand may see
/// them.
#[derive(SimpleObject)]
pub struct OtherBrandsMembers {
    /// Those who share their profile with this brand (their coalition card's consent).
    pub shared: Vec<SharedClubMember>,
    /// How many others there are.
    pub not_shared: i64,
}

fn operator(ctx: &Context<'_>) -> Result<uuid::Uuid> {
    match ctx.request()?.principal {
        Principal::User { user_id, .. } => Ok(user_id),
        _ => Err(AppError::Forbidden("only a coalition's operator can do this").into()),
    }
}

#[derive(Default)]
pub struct CoalitionClubQuery;

#[Object]
impl CoalitionClubQuery {
    /// The operator's clubs of a coalition, with each brand's counts.
    #[graphql(guard = "PermissionGuard(Permission::ManageCoalitions)")]
    async fn coalition_clubs(
        &self,
        ctx: &Context<'_>,
        coalition_id: ID,
    ) -> Result<Vec<CoalitionClub>> {
        let base = &ctx.state()?.base;
        Ok(
            coalition_clubs::list(base, operator(ctx)?, id("coalitionId", &coalition_id)?)
                .await?
                .into_iter()
                .map(|(c, counts)| view(c, counts))
                .collect(),
        )
    }

    /// A brand's place in a coalition club: the members who joined at the coalition's other
    /// brands and share their profile with this brand, and how many others there are (a club
    /// of the brand's own: none).
    #[graphql(guard = "PermissionGuard(Permission::ManageCommunity)")]
    async fn club_other_brands_members(
        &self,
        ctx: &Context<'_>,
        club_id: ID,
    ) -> Result<OtherBrandsMembers> {
        let base = &ctx.state()?.base;
        let (shown, hidden) =
            coalition_clubs::other_brands_members(base, ctx.scope()?, id("clubId", &club_id)?)
                .await?;
        Ok(OtherBrandsMembers {
            shared: shown
                .into_iter()
                .map(|s| SharedClubMember {
                    brand_name: s.brand_name,
                    first_name: s.member.first_name,
                    last_name: s.member.last_name,
                    email: s.member.email,
                    answers: s
                        .answers
                        .into_iter()
                        .map(|(key, value)| ClubAnswer { key, value })
                        .collect(),
                    joined_at: s.joined_at,
                })
                .collect(),
            not_shared: n(hidden),
        })
    }
}

#[derive(Default)]
pub struct CoalitionClubMutation;

#[Object]
impl CoalitionClubMutation {
    /// The operator creates a club for the coalition's brands: each active brand gets its
    /// place in it, where its own members join (open to every member of the brand).
    #[graphql(guard = "PermissionGuard(Permission::ManageCoalitions)")]
    async fn create_coalition_club(
        &self,
        ctx: &Context<'_>,
        coalition_id: ID,
        input: CoalitionClubInput,
        idempotency_key: Option<String>,
    ) -> Result<CoalitionClub> {
        let base = &ctx.state()?.base;
        let c = coalition_clubs::create(
            base,
            operator(ctx)?,
            id("coalitionId", &coalition_id)?,
            &input.into_spec(),
            idempotency_key.as_deref(),
        )
        .await?;
        let counts = coalition_clubs::counts(base, &c).await?;
        Ok(view(c, counts))
    }

    /// The operator changes a club: every brand's place follows (members and answers stay).
    #[graphql(guard = "PermissionGuard(Permission::ManageCoalitions)")]
    async fn update_coalition_club(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: CoalitionClubInput,
    ) -> Result<CoalitionClub> {
        let base = &ctx.state()?.base;
        let c = coalition_clubs::update(
            base,
            operator(ctx)?,
            crate::core::types::id("id", &id)?,
            &input.into_spec(),
        )
        .await?;
        let counts = coalition_clubs::counts(base, &c).await?;
        Ok(view(c, counts))
    }

    /// The operator archives a club at every brand (members stay listed). Idempotent.
    #[graphql(guard = "PermissionGuard(Permission::ManageCoalitions)")]
    async fn archive_coalition_club(&self, ctx: &Context<'_>, id: ID) -> Result<CoalitionClub> {
        let base = &ctx.state()?.base;
        let c = coalition_clubs::archive(base, operator(ctx)?, crate::core::types::id("id", &id)?)
            .await?;
        let counts = coalition_clubs::counts(base, &c).await?;
        Ok(view(c, counts))
    }
}
