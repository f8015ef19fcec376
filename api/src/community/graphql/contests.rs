//! Contests: `contests`, `contest`, `currentContests`, `myContestEntries`, `myContestWins`,
//! `contestEntries`; `createContest`, `updateContest`, `publishContestRules`, `cancelContest`,
//! `drawContest`, `enterContest`, `enterMyContest`, `claimContestPrize`, `claimMyContestPrize`.

use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{contest, contest_entry, contest_prize, contest_winner};

use crate::{
    community::contests::{self, ContestSpec, PrizeSpec, Question, draw, entries},
    core::{
        auth::Permission,
        error::AppError,
        graphql::{ContextExt, guards::PermissionGuard},
        types::id,
    },
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::contest::ContestKind")]
pub enum ContestKind {
    /// Winners drawn when entries close.
    Draw,
    /// Winning moments fixed by the seed before opening: the first entry at or after a moment
    /// wins it. With `oddsOneIn`: each entry (its ticket) wins with that chance while prizes
    /// last, and the stock left at the close is drawn among the entries.
    InstantWin,
    /// Right answers qualify; the closest tie-breaker estimate wins, ties broken by the draw.
    Quiz,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::contest::UnclaimedPolicy")]
pub enum UnclaimedPolicy {
    /// An unclaimed prize goes to the next entry in the draw order (a draw or a quiz; an
    /// instant win's unclaimed prizes lapse).
    Redraw,
    /// An unclaimed prize is lost.
    Lapse,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::contest_prize::PrizeKind")]
pub enum PrizeKind {
    Points,
    Voucher,
    Gift,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::contest_entry::EntrySource")]
pub enum EntrySource {
    Free,
    Purchase,
    Points,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::contest_winner::WinnerStatus")]
pub enum WinnerStatus {
    Won,
    Claimed,
    Lapsed,
}

/// Where a contest stands now.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ContestPhase {
    /// Not open yet: it can still be changed.
    Scheduled,
    Open,
    /// Entries closed, not drawn yet.
    Closed,
    Drawn,
    Cancelled,
}

/// How a member enters by themselves.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum EntryVia {
    Free,
    /// Paying the contest's `pointsPerEntry`.
    Points,
}

#[derive(InputObject)]
pub struct QuestionInput {
    pub question: String,
    pub choices: Vec<String>,
    /// The index of the right choice (from 0).
    pub answer: i32,
}

#[derive(InputObject)]
pub struct PrizeInput {
    pub name: String,
    #[graphql(default = 1)]
    pub quantity: i32,
    pub kind: PrizeKind,
    /// POINTS: points credited when claimed.
    #[graphql(default)]
    pub points: i64,
    /// VOUCHER: its amount, in minor units.
    #[graphql(default)]
    pub voucher_amount_minor: i64,
    #[graphql(default = 30)]
    pub voucher_valid_days: i32,
}

/// A contest as the brand sets it.
#[derive(InputObject)]
pub struct ContestInput {
    pub name: String,
    pub description: Option<String>,
    pub kind: ContestKind,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    /// Members may enter without buying.
    #[graphql(default)]
    pub free_entry: bool,
    /// Each purchase of a member of at least this much (minor units) is an entry.
    pub purchase_minimum_minor: Option<i64>,
    /// Members may enter by spending this many points of `programId`.
    pub points_per_entry: Option<i64>,
    pub program_id: Option<ID>,
    #[graphql(default = 1)]
    pub max_entries_per_member: i32,
    /// Only members holding one of these tiers; empty: every member.
    #[graphql(default)]
    pub tier_names: Vec<String>,
    /// Only the active members of this club may enter (another brand's club: NOT_FOUND).
    pub club_id: Option<ID>,
    #[graphql(default)]
    pub questions: Vec<QuestionInput>,
    pub tiebreak_question: Option<String>,
    pub tiebreak_answer: Option<i64>,
    /// Days a winner has to claim the prize.
    #[graphql(default = 30)]
    pub claim_days: i32,
    #[graphql(default_with = "UnclaimedPolicy::Redraw")]
    pub unclaimed: UnclaimedPolicy,
    /// The rules (règlement) entrants accept.
    pub rules_text: String,
    pub prizes: Vec<PrizeInput>,
    /// INSTANT_WIN only: each entry wins with a chance of one in this many (2 to 1000000) while
    /// prizes last; the prizes left at the close are drawn among the entries, so that exactly
    /// the number of prizes is given. Left out: winning moments spread over the period.
    pub odds_one_in: Option<i32>,
}

impl ContestInput {
    fn into_spec(self) -> Result<ContestSpec, AppError> {
        Ok(ContestSpec {
            name: self.name,
            description: self.description,
            kind: self.kind.into(),
            opens_at: self.opens_at,
            closes_at: self.closes_at,
            free_entry: self.free_entry,
            purchase_minimum_minor: self.purchase_minimum_minor,
            points_per_entry: self.points_per_entry,
            program_id: self
                .program_id
                .as_deref()
                .map(|p| id("input.programId", p))
                .transpose()?,
            max_entries_per_member: self.max_entries_per_member,
            tier_names: self.tier_names,
            club_id: self
                .club_id
                .as_deref()
                .map(|c| id("input.clubId", c))
                .transpose()?,
            questions: self
                .questions
                .into_iter()
                .map(|q| Question {
                    question: q.question,
                    choices: q.choices,
                    answer: q.answer,
                })
                .collect(),
            tiebreak_question: self.tiebreak_question.filter(|q| !q.trim().is_empty()),
            tiebreak_answer: self.tiebreak_answer,
            claim_days: self.claim_days,
            unclaimed: self.unclaimed.into(),
            rules_text: self.rules_text,
            odds_one_in: self.odds_one_in,
            prizes: self
                .prizes
                .into_iter()
                .map(|p| PrizeSpec {
                    name: p.name,
                    quantity: p.quantity,
                    kind: p.kind.into(),
                    points: p.points,
                    voucher_amount_minor: p.voucher_amount_minor,
                    voucher_valid_days: p.voucher_valid_days,
                })
                .collect(),
        })
    }
}

/// A quiz question. `answer` is shown to the brand's managers, and to everyone once drawn.
#[derive(SimpleObject, Clone)]
pub struct QuizQuestion {
    pub question: String,
    pub choices: Vec<String>,
    pub answer: Option<i32>,
}

#[derive(SimpleObject, Clone)]
pub struct Prize {
    pub id: ID,
    pub rank: i32,
    pub name: String,
    pub quantity: i32,
    pub kind: PrizeKind,
    pub points: i64,
    pub voucher_amount_minor: i64,
    pub voucher_valid_days: i32,
}

impl From<contest_prize::Model> for Prize {
    fn from(p: contest_prize::Model) -> Self {
        Self {
            id: ID(p.id.to_string()),
            rank: p.rank,
            name: p.name,
            quantity: p.quantity,
            kind: p.kind.into(),
            points: p.points,
            voucher_amount_minor: p.voucher_amount_minor,
            voucher_valid_days: p.voucher_valid_days,
        }
    }
}

/// One version of a contest's rules text.
#[derive(SimpleObject, Clone)]
pub struct ContestRulesVersion {
    pub version: i32,
    pub text: String,
    pub created_at: DateTime<Utc>,
}

/// What a contest did so far.
#[derive(SimpleObject, Clone)]
pub struct ContestFigures {
    /// Entries not withdrawn.
    pub entries: i32,
    /// Entries withdrawn by a return.
    pub withdrawn: i32,
    /// Members with an entry.
    pub participants: i32,
    /// Winners (lapsed prizes left out).
    pub winners: i32,
    pub claimed: i32,
    pub lapsed: i32,
}

/// One step of a contest's audit trail.
#[derive(SimpleObject, Clone)]
pub struct ContestAuditStep {
    /// `contest.created`, `contest.updated`, `contest.rules_published`, `contest.drawn`,
    /// `contest.won`, `contest.prize_claimed`, `contest.prize_lapsed`, `contest.entry_withdrawn`,
    /// `contest.cancelled`.
    pub kind: String,
    pub at: DateTime<Utc>,
    pub member_id: Option<ID>,
    /// What the step recorded (JSON).
    pub details: String,
}

/// A contest or lottery.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Contest {
    pub id: ID,
    pub name: String,
    pub description: Option<String>,
    pub kind: ContestKind,
    pub phase: ContestPhase,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub free_entry: bool,
    pub purchase_minimum_minor: Option<i64>,
    pub points_per_entry: Option<i64>,
    pub program_id: Option<ID>,
    pub max_entries_per_member: i32,
    pub tier_names: Vec<String>,
    pub club_id: Option<ID>,
    pub questions: Vec<QuizQuestion>,
    pub tiebreak_question: Option<String>,
    /// Shown to managers, and to everyone once drawn.
    pub tiebreak_answer: Option<i64>,
    pub claim_days: i32,
    pub unclaimed: UnclaimedPolicy,
    /// INSTANT_WIN by odds: each entry's chance is one in this many.
    pub odds_one_in: Option<i32>,
    /// The rules version entries accept now.
    pub rules_version: i32,
    /// SHA-256 of the secret seed, published from the start.
    pub seed_commitment: String,
    /// SHA-256 of the frozen entry list, once entries closed.
    pub entry_list_hash: Option<String>,
    pub entry_count: Option<i32>,
    /// The seed, revealed once drawn.
    pub seed: Option<String>,
    pub drawn_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Where anyone can read the record to re-check the draw.
    pub fairness_path: String,
    #[graphql(skip)]
    uuid: uuid::Uuid,
}

fn manager(ctx: &Context<'_>) -> bool {
    ctx.request()
        .is_ok_and(|r| r.principal.can(Permission::ManageCommunity))
}

impl Contest {
    fn from_model(c: contest::Model, ctx: &Context<'_>, now: DateTime<Utc>) -> Self {
        let drawn = c.drawn_at.is_some();
        let show = drawn || manager(ctx);
        let questions = contests::questions_of(&c)
            .into_iter()
            .map(|q| QuizQuestion {
                question: q.question,
                choices: q.choices,
                answer: show.then_some(q.answer),
            })
            .collect();
        Self {
            id: ID(c.id.to_string()),
            phase: match contests::phase(&c, now) {
                contests::Phase::Scheduled => ContestPhase::Scheduled,
                contests::Phase::Open => ContestPhase::Open,
                contests::Phase::Closed => ContestPhase::Closed,
                contests::Phase::Drawn => ContestPhase::Drawn,
                contests::Phase::Cancelled => ContestPhase::Cancelled,
            },
            tier_names: contests::tiers_of(&c),
            club_id: c.club_id.map(|c| ID(c.to_string())),
            questions,
            fairness_path: format!("/contests/{}/fairness", c.id),
            name: c.name,
            description: c.description,
            kind: c.kind.into(),
            opens_at: c.opens_at,
            closes_at: c.closes_at,
            free_entry: c.free_entry,
            purchase_minimum_minor: c.purchase_minimum_minor,
            points_per_entry: c.points_per_entry,
            program_id: c.program_id.map(|p| ID(p.to_string())),
            max_entries_per_member: c.max_entries_per_member,
            tiebreak_question: c.tiebreak_question,
            tiebreak_answer: c.tiebreak_answer.filter(|_| show),
            claim_days: c.claim_days,
            unclaimed: c.unclaimed.into(),
            odds_one_in: c.odds_one_in,
            rules_version: c.rules_version,
            seed_commitment: c.seed_hash,
            entry_list_hash: c.list_hash,
            entry_count: c.entry_count,
            seed: drawn.then_some(c.seed),
            drawn_at: c.drawn_at,
            cancelled_at: c.cancelled_at,
            uuid: c.id,
        }
    }
}

#[ComplexObject]
impl Contest {
    async fn prizes(&self, ctx: &Context<'_>) -> Result<Vec<Prize>> {
        let scope = ctx.scope()?;
        Ok(contests::prizes(&scope.conn(), self.uuid)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// The rules text entries accept now.
    async fn rules_text(&self, ctx: &Context<'_>) -> Result<String> {
        let scope = ctx.scope()?;
        Ok(contests::rules_versions(&scope.conn(), self.uuid)
            .await?
            .pop()
            .map(|r| r.text)
            .unwrap_or_default())
    }

    /// Prize units an entry can still win now: a draw's or a quiz's prizes until it is drawn;
    /// an instant win's moments not taken yet, or by odds the units no ticket won (a win voided
    /// by a returned purchase is given again at the close, not before); 0 once drawn or
    /// cancelled.
    async fn prizes_left(&self, ctx: &Context<'_>) -> Result<i32> {
        let scope = ctx.scope()?;
        let c = contests::get(scope, self.uuid).await?;
        Ok(draw::prizes_left(&scope.conn(), &c).await?)
    }

    /// Every version of the rules text, oldest first.
    async fn rules_versions(&self, ctx: &Context<'_>) -> Result<Vec<ContestRulesVersion>> {
        let scope = ctx.scope()?;
        Ok(contests::rules_versions(&scope.conn(), self.uuid)
            .await?
            .into_iter()
            .map(|r| ContestRulesVersion {
                version: r.version,
                text: r.text,
                created_at: r.created_at,
            })
            .collect())
    }

    #[graphql(guard = "PermissionGuard(Permission::ManageCommunity)")]
    async fn figures(&self, ctx: &Context<'_>) -> Result<ContestFigures> {
        let f = draw::figures(ctx.scope()?, self.uuid).await?;
        let n = |x: u64| i32::try_from(x).unwrap_or(i32::MAX);
        Ok(ContestFigures {
            entries: n(f.entries),
            withdrawn: n(f.withdrawn),
            participants: n(f.participants),
            winners: n(f.winners),
            claimed: n(f.claimed),
            lapsed: n(f.lapsed),
        })
    }

    #[graphql(guard = "PermissionGuard(Permission::ManageCommunity)")]
    async fn winners(&self, ctx: &Context<'_>) -> Result<Vec<ContestWinner>> {
        let scope = ctx.scope()?;
        Ok(draw::winners(&scope.conn(), self.uuid)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Every entry as CSV (member, source, answers, times), in id order.
    #[graphql(guard = "PermissionGuard(Permission::ManageCommunity)")]
    async fn entries_csv(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(draw::entries_csv(ctx.scope()?, self.uuid).await?)
    }

    /// Every winner as CSV (prize, member, status, deadline), in draw order.
    #[graphql(guard = "PermissionGuard(Permission::ManageCommunity)")]
    async fn winners_csv(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(draw::winners_csv(ctx.scope()?, self.uuid).await?)
    }

    /// Every step, oldest first.
    #[graphql(guard = "PermissionGuard(Permission::ManageCommunity)")]
    async fn audit(&self, ctx: &Context<'_>) -> Result<Vec<ContestAuditStep>> {
        Ok(contests::audit_trail(ctx.scope()?, self.uuid)
            .await?
            .into_iter()
            .map(|e| ContestAuditStep {
                kind: e.kind,
                at: e.created_at,
                member_id: e.member_id.map(|m| ID(m.to_string())),
                details: e.payload.to_string(),
            })
            .collect())
    }
}

/// One entry.
#[derive(SimpleObject, Clone)]
pub struct ContestEntry {
    pub id: ID,
    pub contest_id: ID,
    pub member_id: ID,
    pub source: EntrySource,
    /// The entrant's pseudonym in the published list.
    pub participant: String,
    /// The rules version the entrant accepted.
    pub rules_version: i32,
    pub estimate: Option<i64>,
    pub created_at: DateTime<Utc>,
    /// Withdrawn by a return of its purchase.
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// INSTANT_WIN by odds: the entry's ticket (its place in the order of entries, from 1).
    pub ticket: Option<i32>,
}

impl From<contest_entry::Model> for ContestEntry {
    fn from(e: contest_entry::Model) -> Self {
        Self {
            id: ID(e.id.to_string()),
            contest_id: ID(e.contest_id.to_string()),
            member_id: ID(e.member_id.to_string()),
            source: e.source.into(),
            participant: e.participant,
            rules_version: e.rules_version,
            estimate: e.estimate,
            created_at: e.created_at,
            withdrawn_at: e.withdrawn_at,
            ticket: e.ticket,
        }
    }
}

/// A prize won.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct ContestWinner {
    pub id: ID,
    pub contest_id: ID,
    pub entry_id: ID,
    pub member_id: ID,
    /// The entry's place in the draw order (an instant win: the moment's place, or by odds the
    /// ticket; a top-up: the place in the draw order).
    pub position: i32,
    /// Drawn at the close to give out the stock an instant win by odds left.
    pub top_up: bool,
    pub status: WinnerStatus,
    pub claim_until: DateTime<Utc>,
    pub claimed_at: Option<DateTime<Utc>>,
    /// VOUCHER prizes, once claimed.
    pub voucher_id: Option<ID>,
    #[graphql(skip)]
    prize_id: uuid::Uuid,
    #[graphql(skip)]
    contest_uuid: uuid::Uuid,
}

impl From<contest_winner::Model> for ContestWinner {
    fn from(w: contest_winner::Model) -> Self {
        Self {
            id: ID(w.id.to_string()),
            contest_id: ID(w.contest_id.to_string()),
            entry_id: ID(w.entry_id.to_string()),
            member_id: ID(w.member_id.to_string()),
            position: w.position,
            top_up: w.top_up,
            status: w.status.into(),
            claim_until: w.claim_until,
            claimed_at: w.claimed_at,
            voucher_id: w.voucher_id.map(|v| ID(v.to_string())),
            prize_id: w.prize_id,
            contest_uuid: w.contest_id,
        }
    }
}

#[ComplexObject]
impl ContestWinner {
    async fn prize(&self, ctx: &Context<'_>) -> Result<Prize> {
        let scope = ctx.scope()?;
        Ok(scope
            .conn()
            .get::<contest_prize::Entity>(self.prize_id)
            .await?
            .into())
    }

    async fn contest_name(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(contests::get(ctx.scope()?, self.contest_uuid).await?.name)
    }
}

/// An entry and, for an instant win, the prize it won at once.
#[derive(SimpleObject)]
pub struct EntryResult {
    pub entry: ContestEntry,
    pub won: Option<ContestWinner>,
}

impl From<entries::Entered> for EntryResult {
    fn from(e: entries::Entered) -> Self {
        Self {
            entry: e.entry.into(),
            won: e.winner.map(Into::into),
        }
    }
}

#[derive(InputObject)]
pub struct EnterInput {
    pub contest_id: ID,
    /// Staff and partner apps: the member entering (members enter for themselves).
    pub member_id: Option<ID>,
    #[graphql(default_with = "EntryVia::Free")]
    pub via: EntryVia,
    /// Quiz: the index of the chosen choice of each question, in order.
    #[graphql(default)]
    pub answers: Vec<i32>,
    /// Quiz: the tie-breaker estimate.
    pub estimate: Option<i64>,
    pub idempotency_key: Option<String>,
}

impl EnterInput {
    fn spec(&self, member: uuid::Uuid) -> Result<entries::EntrySpec, AppError> {
        Ok(entries::EntrySpec {
            contest: id("input.contestId", &self.contest_id)?,
            member,
            via: match self.via {
                EntryVia::Free => entries::Via::Free,
                EntryVia::Points => entries::Via::Points,
            },
            answers: self.answers.clone(),
            estimate: self.estimate,
        })
    }
}

#[derive(Default)]
pub struct ContestQuery;

#[Object]
impl ContestQuery {
    /// The brand's contests, newest first (at most 500).
    #[graphql(guard = "PermissionGuard(Permission::ViewOffers)")]
    async fn contests(&self, ctx: &Context<'_>) -> Result<Vec<Contest>> {
        let scope = ctx.scope()?;
        let now = scope.now();
        Ok(contests::list(scope)
            .await?
            .into_iter()
            .map(|c| Contest::from_model(c, ctx, now))
            .collect())
    }

    #[graphql(guard = "PermissionGuard(Permission::ViewOffers)")]
    async fn contest(&self, ctx: &Context<'_>, id: ID) -> Result<Contest> {
        let scope = ctx.scope()?;
        let c = contests::get(scope, crate::core::types::id("id", &id)?).await?;
        Ok(Contest::from_model(c, ctx, scope.now()))
    }

    /// For a signed-in member: the contests open now and those drawn in the last 30 days, of
    /// those meant for them (a contest for other tiers is left out).
    #[graphql(guard = "PermissionGuard(Permission::ViewOwnMembership)")]
    async fn current_contests(&self, ctx: &Context<'_>) -> Result<Vec<Contest>> {
        let member = ctx.member_id()?;
        let scope = ctx.scope()?;
        let now = scope.now();
        let held = crate::loyalty::tiers::names_held(&scope.conn(), member).await?;
        let clubs: Vec<uuid::Uuid> = crate::community::clubs::of_member(scope, member)
            .await?
            .into_iter()
            .filter(|(_, p)| p.status == entity::club_member::ClubMemberStatus::Active)
            .map(|(c, _)| c.id)
            .collect();
        Ok(contests::list(scope)
            .await?
            .into_iter()
            .filter(|c| match contests::phase(c, now) {
                contests::Phase::Open => true,
                contests::Phase::Drawn => c.closes_at > now - chrono::Duration::days(30),
                _ => false,
            })
            .filter(|c| {
                let tiers = contests::tiers_of(c);
                tiers.is_empty() || crate::loyalty::tiers::holds_any(&held, &tiers)
            })
            .filter(|c| c.club_id.is_none_or(|club| clubs.contains(&club)))
            .map(|c| Contest::from_model(c, ctx, now))
            .collect())
    }

    /// A signed-in member's entries, newest first.
    #[graphql(guard = "PermissionGuard(Permission::ViewOwnMembership)")]
    async fn my_contest_entries(&self, ctx: &Context<'_>) -> Result<Vec<ContestEntry>> {
        let member = ctx.member_id()?;
        Ok(entries::of_member(ctx.scope()?, member, None)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// A signed-in member's prizes (lapsed ones left out), newest first.
    #[graphql(guard = "PermissionGuard(Permission::ViewOwnMembership)")]
    async fn my_contest_wins(&self, ctx: &Context<'_>) -> Result<Vec<ContestWinner>> {
        let member = ctx.member_id()?;
        Ok(entries::wins_of(ctx.scope()?, member)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// A contest's entries in id order (a page of at most 500 from `after`), or a member's.
    #[graphql(guard = "PermissionGuard(Permission::ManageCommunity)")]
    async fn contest_entries(
        &self,
        ctx: &Context<'_>,
        contest_id: ID,
        after: Option<ID>,
        #[graphql(default = 100)] first: i32,
    ) -> Result<Vec<ContestEntry>> {
        let scope = ctx.scope()?;
        let contest = id("contestId", &contest_id)?;
        contests::get(scope, contest).await?;
        let after = after.as_deref().map(|a| id("after", a)).transpose()?;
        let first = u64::try_from(first.clamp(1, 500)).unwrap_or(100);
        Ok(entries::of_contest(&scope.conn(), contest, after, first)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}

#[derive(Default)]
pub struct ContestMutation;

#[Object]
impl ContestMutation {
    /// Creates a contest; its seed commitment is published at once.
    #[graphql(guard = "PermissionGuard(Permission::ManageCommunity)")]
    async fn create_contest(
        &self,
        ctx: &Context<'_>,
        input: ContestInput,
        idempotency_key: Option<String>,
    ) -> Result<Contest> {
        let scope = ctx.scope()?;
        let c = contests::create(scope, input.into_spec()?, idempotency_key.as_deref()).await?;
        Ok(Contest::from_model(c, ctx, scope.now()))
    }

    /// Changes a contest before it opens (CONFLICT after). A changed rules text is a new
    /// version.
    #[graphql(guard = "PermissionGuard(Permission::ManageCommunity)")]
    async fn update_contest(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ContestInput,
    ) -> Result<Contest> {
        let scope = ctx.scope()?;
        let c = contests::update(
            scope,
            crate::core::types::id("id", &id)?,
            input.into_spec()?,
        )
        .await?;
        Ok(Contest::from_model(c, ctx, scope.now()))
    }

    /// A new version of the rules text, until entries close.
    #[graphql(guard = "PermissionGuard(Permission::ManageCommunity)")]
    async fn publish_contest_rules(
        &self,
        ctx: &Context<'_>,
        id: ID,
        rules_text: String,
    ) -> Result<Contest> {
        let scope = ctx.scope()?;
        let c =
            contests::publish_rules(scope, crate::core::types::id("id", &id)?, &rules_text).await?;
        Ok(Contest::from_model(c, ctx, scope.now()))
    }

    /// Cancels a contest not drawn yet (`reason` kept in the audit trail).
    #[graphql(guard = "PermissionGuard(Permission::ManageCommunity)")]
    async fn cancel_contest(&self, ctx: &Context<'_>, id: ID, reason: String) -> Result<Contest> {
        let scope = ctx.scope()?;
        let c = contests::cancel(scope, crate::core::types::id("id", &id)?, &reason).await?;
        Ok(Contest::from_model(c, ctx, scope.now()))
    }

    /// Freezes the entry list, draws the winners and reveals the seed, once entries have closed
    /// (the scheduled job does it by itself). Drawn once: calling again returns it as it is.
    #[graphql(guard = "PermissionGuard(Permission::ManageCommunity)")]
    async fn draw_contest(&self, ctx: &Context<'_>, id: ID) -> Result<Contest> {
        let scope = ctx.scope()?;
        let c = draw::draw(scope, crate::core::types::id("id", &id)?).await?;
        Ok(Contest::from_model(c, ctx, scope.now()))
    }

    /// Staff or a partner app enter a member (free or with their points). FORBIDDEN when the
    /// member may not enter (tier, staff), LIMIT_EXCEEDED past the limit per member.
    #[graphql(guard = "PermissionGuard(Permission::EnrollMembers)")]
    async fn enter_contest(&self, ctx: &Context<'_>, input: EnterInput) -> Result<EntryResult> {
        let Some(member) = &input.member_id else {
            return Err(AppError::validation("input.memberId", "name the member entering").into());
        };
        let member = id("input.memberId", member)?;
        let spec = input.spec(member)?;
        Ok(
            entries::enter(ctx.scope()?, spec, input.idempotency_key.as_deref())
                .await?
                .into(),
        )
    }

    /// A signed-in member enters.
    #[graphql(guard = "PermissionGuard(Permission::ViewOwnMembership)")]
    async fn enter_my_contest(&self, ctx: &Context<'_>, input: EnterInput) -> Result<EntryResult> {
        let member = ctx.member_id()?;
        let spec = input.spec(member)?;
        Ok(
            entries::enter(ctx.scope()?, spec, input.idempotency_key.as_deref())
                .await?
                .into(),
        )
    }

    /// Staff claim a prize for its winner (a gift handed over, points or a voucher issued).
    #[graphql(guard = "PermissionGuard(Permission::RedeemRewards)")]
    async fn claim_contest_prize(&self, ctx: &Context<'_>, winner_id: ID) -> Result<ContestWinner> {
        Ok(draw::claim(ctx.scope()?, id("winnerId", &winner_id)?, None)
            .await?
            .into())
    }

    /// A signed-in member claims their prize before its deadline.
    #[graphql(guard = "PermissionGuard(Permission::ViewOwnMembership)")]
    async fn claim_my_contest_prize(
        &self,
        ctx: &Context<'_>,
        winner_id: ID,
    ) -> Result<ContestWinner> {
        let member = ctx.member_id()?;
        Ok(
            draw::claim(ctx.scope()?, id("winnerId", &winner_id)?, Some(member))
                .await?
                .into(),
        )
    }
}
