//! Clubs: `clubs`, `club`, `clubMembers`, `clubFigures`, `memberClubs`, `myClubs`;
//! `createClub`, `updateClub`, `archiveClub`, `inviteToClub`, `joinClub`, `leaveClub`,
//! `joinMyClub`, `leaveMyClub`.

use std::collections::BTreeMap;

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{club, club_member};

use crate::{
    community::clubs::{self, ClubSpec, Joining, Question},
    core::{
        auth::Permission,
        error::AppError,
        graphql::{ContextExt, guards::PermissionGuard},
        types::id,
    },
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::club::JoinRule")]
pub enum ClubJoinRule {
    /// Any member of the brand joins.
    Open,
    /// Only invited members.
    Invitation,
    /// Members of a saved segment (`segmentId`).
    Segment,
    /// Members holding one of `tierNames`.
    Tier,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::club_member::ClubMemberStatus")]
pub enum ClubMemberStatus {
    Invited,
    Active,
    Left,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::community::clubs::QuestionKind")]
pub enum ClubQuestionKind {
    Text,
    /// Answered `YYYY-MM-DD`.
    Date,
    /// One of the question's choices.
    Choice,
}

/// A profile question a club asks.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "ClubQuestionInput")]
pub struct ClubQuestion {
    /// Stable key: letters, digits, `_`.
    pub key: String,
    pub label: String,
    pub kind: ClubQuestionKind,
    #[graphql(default)]
    pub choices: Vec<String>,
}

#[derive(InputObject)]
pub struct ClubInput {
    pub name: String,
    pub description: Option<String>,
    #[graphql(default_with = "ClubJoinRule::Open")]
    pub join_rule: ClubJoinRule,
    pub segment_id: Option<ID>,
    #[graphql(default)]
    pub tier_names: Vec<String>,
    /// A paid club: joining needs an active membership of this paid-membership program (its
    /// fee and savings are the membership's); the member leaves when it ends.
    pub membership_program_id: Option<ID>,
    #[graphql(default)]
    pub questions: Vec<ClubQuestion>,
}

impl ClubInput {
    fn into_spec(self) -> Result<ClubSpec, AppError> {
        Ok(ClubSpec {
            name: self.name,
            description: self.description,
            join_rule: self.join_rule.into(),
            segment_id: self
                .segment_id
                .as_deref()
                .map(|s| id("input.segmentId", s))
                .transpose()?,
            tier_names: self.tier_names,
            membership_program_id: self
                .membership_program_id
                .as_deref()
                .map(|s| id("input.membershipProgramId", s))
                .transpose()?,
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
        })
    }
}

#[derive(SimpleObject, Clone)]
pub struct Club {
    pub id: ID,
    pub name: String,
    pub description: Option<String>,
    pub join_rule: ClubJoinRule,
    pub segment_id: Option<ID>,
    pub tier_names: Vec<String>,
    pub membership_program_id: Option<ID>,
    /// Joining needs a paid membership.
    pub paid: bool,
    pub questions: Vec<ClubQuestion>,
    /// The brand's place in a club its coalition's operator runs (name, questions and life are
    /// the operator's; `clubOtherBrandsMembers` lists the other brands' members who share).
    pub run_by_coalition: bool,
    pub coalition_club_id: Option<ID>,
    pub archived_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<club::Model> for Club {
    fn from(c: club::Model) -> Self {
        Self {
            id: ID(c.id.to_string()),
            tier_names: clubs::tiers_of(&c),
            questions: clubs::questions_of(&c)
                .into_iter()
                .map(|q| ClubQuestion {
                    key: q.key,
                    label: q.label,
                    kind: q.kind.into(),
                    choices: q.choices,
                })
                .collect(),
            paid: c.membership_program_id.is_some(),
            run_by_coalition: c.coalition_club_id.is_some(),
            coalition_club_id: c.coalition_club_id.map(|i| ID(i.to_string())),
            name: c.name,
            description: c.description,
            join_rule: c.join_rule.into(),
            segment_id: c.segment_id.map(|s| ID(s.to_string())),
            membership_program_id: c.membership_program_id.map(|s| ID(s.to_string())),
            archived_at: c.archived_at,
            created_at: c.created_at,
        }
    }
}

/// An answer to a club question.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "ClubAnswerInput")]
pub struct ClubAnswer {
    pub key: String,
    pub value: String,
}

/// A member's place in a club.
#[derive(SimpleObject, Clone)]
pub struct ClubPlace {
    pub id: ID,
    pub club_id: ID,
    pub member_id: ID,
    /// The member's name and address (on staff lists).
    pub member_name: Option<String>,
    pub member_email: Option<String>,
    pub status: ClubMemberStatus,
    /// Kept only with the member's consent.
    pub answers: Vec<ClubAnswer>,
    pub answers_consent_at: Option<DateTime<Utc>>,
    pub invited_at: Option<DateTime<Utc>>,
    pub joined_at: Option<DateTime<Utc>>,
    pub left_at: Option<DateTime<Utc>>,
    pub joins: i32,
}

impl From<club_member::Model> for ClubPlace {
    fn from(p: club_member::Model) -> Self {
        Self {
            id: ID(p.id.to_string()),
            answers: clubs::answers_of(&p)
                .into_iter()
                .map(|(key, value)| ClubAnswer { key, value })
                .collect(),
            club_id: ID(p.club_id.to_string()),
            member_id: ID(p.member_id.to_string()),
            member_name: None,
            member_email: None,
            status: p.status.into(),
            answers_consent_at: p.answers_consent_at,
            invited_at: p.invited_at,
            joined_at: p.joined_at,
            left_at: p.left_at,
            joins: p.joins,
        }
    }
}

/// A club as a member sees it.
#[derive(SimpleObject)]
pub struct MyClub {
    pub club: Club,
    /// Their place (none: never joined nor invited).
    pub place: Option<ClubPlace>,
    /// Why they may not join now (none: they may, or are in).
    pub why_not: Option<String>,
}

#[derive(SimpleObject)]
pub struct ClubFigures {
    /// Members in the club now.
    pub members: i64,
    /// Invitations not answered yet.
    pub invited: i64,
    /// Joins ever (a member who left and came back counts twice).
    pub joins: i64,
    /// Members who left and have not come back.
    pub leaves: i64,
    /// Members in the club who bought something in the last 90 days.
    pub active_members: i64,
    /// Revenue in the last 365 days of the club's members, and of the brand's other members.
    pub members_revenue_minor: i64,
    pub others_revenue_minor: i64,
    /// The same per member: of the club, of the brand's other members.
    pub revenue_per_member_minor: i64,
    pub revenue_per_other_member_minor: i64,
}

fn n(x: u64) -> i64 {
    i64::try_from(x).unwrap_or(i64::MAX)
}

fn answers(list: Vec<ClubAnswer>) -> Result<BTreeMap<String, String>, AppError> {
    if list.len() > 40 {
        return Err(AppError::validation("answers", "at most 40 answers"));
    }
    let mut out = BTreeMap::new();
    for a in list {
        if out.insert(a.key, a.value).is_some() {
            return Err(AppError::validation("answers", "a question answered twice"));
        }
    }
    Ok(out)
}

#[derive(Default)]
pub struct ClubQuery;

#[Object]
impl ClubQuery {
    /// The brand's clubs, by name (archived ones too when asked).
    #[graphql(guard = "PermissionGuard(Permission::ViewOffers)")]
    async fn clubs(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] archived: bool,
    ) -> Result<Vec<Club>> {
        // The brand's places in its coalitions' clubs, brought in step first.
        crate::community::coalition_clubs::sync_brand(&ctx.state()?.base, ctx.scope()?).await?;
        Ok(clubs::list(ctx.scope()?, archived)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    #[graphql(guard = "PermissionGuard(Permission::ViewOffers)")]
    async fn club(&self, ctx: &Context<'_>, id: ID) -> Result<Club> {
        Ok(clubs::get(ctx.scope()?, crate::core::types::id("id", &id)?)
            .await?
            .into())
    }

    /// A club's members (with their answers), newest change first (at most 1000).
    #[graphql(guard = "PermissionGuard(Permission::ManageCommunity)")]
    async fn club_members(
        &self,
        ctx: &Context<'_>,
        club_id: ID,
        status: Option<ClubMemberStatus>,
    ) -> Result<Vec<ClubPlace>> {
        let scope = ctx.scope()?;
        let places = clubs::members(scope, id("clubId", &club_id)?, status.map(Into::into)).await?;
        let who = super::who(scope, places.iter().map(|p| p.member_id)).await?;
        Ok(places
            .into_iter()
            .map(|p| {
                let (name, email) = who.get(&p.member_id).cloned().unwrap_or_default();
                ClubPlace {
                    member_name: name,
                    member_email: email,
                    ..p.into()
                }
            })
            .collect())
    }

    #[graphql(guard = "PermissionGuard(Permission::ManageCommunity)")]
    async fn club_figures(&self, ctx: &Context<'_>, club_id: ID) -> Result<ClubFigures> {
        let f = clubs::figures(ctx.scope()?, id("clubId", &club_id)?).await?;
        Ok(ClubFigures {
            members: n(f.members),
            invited: n(f.invited),
            joins: n(f.joins),
            leaves: n(f.leaves),
            active_members: n(f.active_members),
            members_revenue_minor: f.members_revenue_minor,
            others_revenue_minor: f.others_revenue_minor,
            revenue_per_member_minor: f.revenue_per_member_minor,
            revenue_per_other_member_minor: f.revenue_per_other_member_minor,
        })
    }

    /// A member's places in clubs (every status). Their answers are shown to owners and
    /// managers only (as in `clubMembers`).
    #[graphql(guard = "PermissionGuard(Permission::ViewMembers)")]
    async fn member_clubs(&self, ctx: &Context<'_>, member_id: ID) -> Result<Vec<ClubPlace>> {
        let scope = ctx.scope()?;
        let member = id("memberId", &member_id)?;
        crate::loyalty::members::get(scope, member).await?;
        let answers = ctx.request()?.principal.can(Permission::ManageCommunity);
        Ok(clubs::of_member(scope, member)
            .await?
            .into_iter()
            .map(|(_, p)| {
                let mut place = ClubPlace::from(p);
                if !answers {
                    place.answers.clear();
                }
                place
            })
            .collect())
    }

    /// For a signed-in member: the clubs they are in or invited to, and the open ones they may
    /// join (or could, with a paid membership).
    #[graphql(guard = "PermissionGuard(Permission::ViewOwnMembership)")]
    async fn my_clubs(&self, ctx: &Context<'_>) -> Result<Vec<MyClub>> {
        let member = ctx.member_id()?;
        let scope = ctx.scope()?;
        crate::community::coalition_clubs::sync_brand(&ctx.state()?.base, scope).await?;
        let places = clubs::of_member(scope, member).await?;
        let mut out = Vec::new();
        for c in clubs::list(scope, false).await? {
            let place = places
                .iter()
                .find(|(k, _)| k.id == c.id)
                .map(|(_, p)| p.clone());
            let why = clubs::why_not(scope, &c, member).await?;
            let shown = place
                .as_ref()
                .is_some_and(|p| p.status != entity::club_member::ClubMemberStatus::Left)
                || why.is_none()
                || c.membership_program_id.is_some() && c.join_rule == club::JoinRule::Open;
            if shown {
                out.push(MyClub {
                    club: c.into(),
                    place: place.map(Into::into),
                    why_not: why.map(str::to_owned),
                });
            }
        }
        Ok(out)
    }
}

#[derive(Default)]
pub struct ClubMutation;

#[Object]
impl ClubMutation {
    #[graphql(guard = "PermissionGuard(Permission::ManageCommunity)")]
    async fn create_club(
        &self,
        ctx: &Context<'_>,
        input: ClubInput,
        idempotency_key: Option<String>,
    ) -> Result<Club> {
        Ok(
            clubs::create(ctx.scope()?, input.into_spec()?, idempotency_key.as_deref())
                .await?
                .into(),
        )
    }

    /// Changes a club (every field); its members stay.
    #[graphql(guard = "PermissionGuard(Permission::ManageCommunity)")]
    async fn update_club(&self, ctx: &Context<'_>, id: ID, input: ClubInput) -> Result<Club> {
        Ok(clubs::update(
            ctx.scope()?,
            crate::core::types::id("id", &id)?,
            input.into_spec()?,
        )
        .await?
        .into())
    }

    /// Closes a club to new members (members stay listed).
    #[graphql(guard = "PermissionGuard(Permission::ManageCommunity)")]
    async fn archive_club(&self, ctx: &Context<'_>, id: ID) -> Result<Club> {
        Ok(
            clubs::archive(ctx.scope()?, crate::core::types::id("id", &id)?)
                .await?
                .into(),
        )
    }

    /// Invites members (mailed once each); returns how many were newly invited.
    #[graphql(guard = "PermissionGuard(Permission::ManageCommunity)")]
    async fn invite_to_club(
        &self,
        ctx: &Context<'_>,
        club_id: ID,
        member_ids: Vec<ID>,
    ) -> Result<i64> {
        let members = member_ids
            .iter()
            .map(|m| id("memberIds", m))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(n(clubs::invite(
            ctx.scope()?,
            id("clubId", &club_id)?,
            &members,
        )
        .await?))
    }

    /// Staff join a member to a club (or update their answers), with the member's consent to
    /// keep the answers. `answers` given replace the earlier ones (an empty list erases them);
    /// left out, earlier answers stay. CONFLICT when the club's rule keeps them out.
    #[graphql(guard = "PermissionGuard(Permission::EnrollMembers)")]
    async fn join_club(
        &self,
        ctx: &Context<'_>,
        club_id: ID,
        member_id: ID,
        answers: Option<Vec<ClubAnswer>>,
        consent: Option<bool>,
        idempotency_key: Option<String>,
    ) -> Result<ClubPlace> {
        // A coalition's club: the brand's place as it stands now (closed if the brand left).
        crate::community::coalition_clubs::sync_brand(&ctx.state()?.base, ctx.scope()?).await?;
        let j = Joining {
            club: id("clubId", &club_id)?,
            member: id("memberId", &member_id)?,
            answers: answers.map(self::answers).transpose()?,
            consent: consent.unwrap_or(false),
        };
        Ok(clubs::join(ctx.scope()?, j, idempotency_key.as_deref())
            .await?
            .into())
    }

    #[graphql(guard = "PermissionGuard(Permission::EnrollMembers)")]
    async fn leave_club(&self, ctx: &Context<'_>, club_id: ID, member_id: ID) -> Result<ClubPlace> {
        Ok(clubs::leave(
            ctx.scope()?,
            id("clubId", &club_id)?,
            id("memberId", &member_id)?,
            "by staff",
        )
        .await?
        .into())
    }

    /// A signed-in member joins a club (or updates their answers).
    #[graphql(guard = "PermissionGuard(Permission::ViewOwnMembership)")]
    async fn join_my_club(
        &self,
        ctx: &Context<'_>,
        club_id: ID,
        answers: Option<Vec<ClubAnswer>>,
        consent: Option<bool>,
        idempotency_key: Option<String>,
    ) -> Result<ClubPlace> {
        crate::community::coalition_clubs::sync_brand(&ctx.state()?.base, ctx.scope()?).await?;
        let j = Joining {
            club: id("clubId", &club_id)?,
            member: ctx.member_id()?,
            answers: answers.map(self::answers).transpose()?,
            consent: consent.unwrap_or(false),
        };
        Ok(clubs::join(ctx.scope()?, j, idempotency_key.as_deref())
            .await?
            .into())
    }

    /// A signed-in member leaves a club (their answers are dropped).
    #[graphql(guard = "PermissionGuard(Permission::ViewOwnMembership)")]
    async fn leave_my_club(&self, ctx: &Context<'_>, club_id: ID) -> Result<ClubPlace> {
        Ok(clubs::leave(
            ctx.scope()?,
            id("clubId", &club_id)?,
            ctx.member_id()?,
            "by the member",
        )
        .await?
        .into())
    }
}
