//! Members and cards: `enrollMember`, `members`, `member`, `cardByNumber`, card blocking and
//! replacement.
//!
//! Size: over 500 lines on purpose: the member object and its many read fields; one type, one file.

use async_graphql::{
    ComplexObject, Context, Enum, ID, InputObject, Object, Result, SimpleObject,
    connection::Connection,
};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{card, member};

use crate::{
    core::{
        auth::{Permission, Principal},
        error::AppError,
        graphql::{ContextExt, guards::PermissionGuard, relay},
    },
    loyalty::members::{Enrol, PointsBalance},
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::card::CardStatus")]
pub enum CardStatus {
    Active,
    Blocked,
    Lost,
    Replaced,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::member::EnrolmentChannel")]
pub enum EnrolmentChannel {
    Staff,
    PartnerApp,
    Member,
}

/// A loyalty card. The balance belongs to the member, not to the card.
#[derive(SimpleObject, Clone)]
pub struct Card {
    pub id: ID,
    /// 16 digits, the last a Luhn check digit.
    pub number: String,
    /// What the barcode or QR code encodes.
    pub payload: String,
    pub status: CardStatus,
    pub member_id: ID,
    pub created_at: DateTime<Utc>,
}

impl From<card::Model> for Card {
    fn from(c: card::Model) -> Self {
        Self {
            id: ID(c.id.to_string()),
            number: c.number,
            payload: c.payload,
            status: c.status.into(),
            member_id: ID(c.member_id.to_string()),
            created_at: c.created_at,
        }
    }
}

#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "AttributeInput")]
pub struct Attribute {
    pub key: String,
    pub value: String,
}

/// Consent to one channel, with when and how it was given.
#[derive(SimpleObject, Clone)]
pub struct Consent {
    pub granted: bool,
    pub at: Option<DateTime<Utc>>,
    pub source: Option<String>,
}

/// Points that expire together.
#[derive(SimpleObject, Clone)]
pub struct ExpiringPoints {
    pub points: i64,
    pub expires_at: DateTime<Utc>,
}

/// A member's points in one program.
#[derive(SimpleObject, Clone)]
pub struct PointsBalanceView {
    pub program_id: ID,
    pub program_name: String,
    /// Points available now.
    pub available: i64,
    /// Live points by expiry date, soonest first.
    pub expiring: Vec<ExpiringPoints>,
    /// Points owed after a return of points already spent; repaid from the next earnings.
    pub debt: i64,
}

impl From<PointsBalance> for PointsBalanceView {
    fn from(b: PointsBalance) -> Self {
        Self {
            program_id: ID(b.program.id.to_string()),
            program_name: b.program.name,
            available: b.available,
            debt: b.debt,
            expiring: b
                .lots
                .into_iter()
                .map(|(points, expires_at)| ExpiringPoints { points, expires_at })
                .collect(),
        }
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::ledger_transaction::TransactionKind")]
pub enum LedgerEventKind {
    Earn,
    Bonus,
    Redeem,
    Return,
    Expire,
    Gesture,
    TopUp,
    Spend,
    Refund,
    Adjustment,
    MembershipFee,
    /// What an offer gave on a purchase (or gave back on a return).
    Promotion,
    /// A refund claim approved or paid out.
    Odr,
    /// Points spent on a contest entry, or won as a contest prize.
    Contest,
    /// A referral reward, or its reversal.
    Referral,
    /// Points for coming to a brand's event.
    Event,
}

/// A movement in a member's history.
#[derive(SimpleObject, Clone)]
pub struct LedgerEvent {
    pub id: ID,
    pub kind: LedgerEventKind,
    pub reason: String,
    /// What caused it: purchase, voucher, expiry, enrolment...
    pub cause_type: String,
    pub cause_id: Option<ID>,
    pub occurred_at: DateTime<Utc>,
    /// Net change of the member's points.
    pub points: i64,
    /// Net change of the member's cashback, in minor units.
    pub cashback_minor: i64,
    /// Net change of the member's stamps.
    pub stamps: i64,
    /// Net change of the member's stored value (prepaid balance), in minor units.
    pub stored_value_minor: i64,
}

/// Cashback of one program.
#[derive(SimpleObject, Clone)]
pub struct CashbackBalance {
    pub program_id: ID,
    pub program_name: String,
    /// Spendable at the checkout (`cashbackMinor`), in minor units.
    pub balance_minor: i64,
    /// Cashback owed after a return of cashback already spent; repaid from the next cashback.
    pub debt_minor: i64,
}

/// A member's stamp card in one program.
#[derive(SimpleObject, Clone)]
pub struct StampCard {
    pub program_id: ID,
    pub program_name: String,
    /// Stamps on the card now (full cards are turned into rewards at once).
    pub stamps: i64,
    pub stamps_for_reward: i64,
    pub stamps_to_next_reward: i64,
    /// Stamps owed after a return of a purchase whose stamp was already rewarded.
    pub debt: i64,
}

/// One change of tier.
#[derive(SimpleObject, Clone)]
pub struct TierChange {
    pub level: i32,
    pub name: String,
    pub reason: TierChangeReason,
    pub qualifying_value: i64,
    pub starts_at: DateTime<Utc>,
    pub qualified_until: Option<DateTime<Utc>>,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::member_tier::TierReason")]
pub enum TierChangeReason {
    Upgrade,
    Requalified,
    Downgrade,
}

/// A member's tier in one program, and the way to the next.
#[derive(SimpleObject, Clone)]
pub struct TierStanding {
    pub program_id: ID,
    pub program_name: String,
    /// 0 for the base level.
    pub level: i32,
    pub name: String,
    /// Earning multiplier of the level in % (100 = none).
    pub multiplier_percent: i64,
    pub perks: Vec<String>,
    pub since: Option<DateTime<Utc>>,
    /// The end of the qualification period: the level is kept if the member still meets its
    /// threshold over the window ending then, and lowered otherwise.
    pub qualified_until: Option<DateTime<Utc>>,
    pub basis: crate::loyalty::graphql::programs::TierBasis,
    /// Qualifying value over the window ending now.
    pub qualifying_value: i64,
    pub next_level_name: Option<String>,
    pub next_level_threshold: Option<i64>,
    /// What is still missing to reach the next level.
    pub to_next_level: Option<i64>,
    /// Every change, oldest first.
    pub history: Vec<TierChange>,
}

impl From<crate::loyalty::tiers::Standing> for TierStanding {
    fn from(s: crate::loyalty::tiers::Standing) -> Self {
        let next = usize::try_from(s.level)
            .ok()
            .and_then(|l| s.rules.levels.get(l))
            .cloned();
        let perks = usize::try_from(s.level)
            .ok()
            .and_then(|l| l.checked_sub(1))
            .and_then(|l| s.rules.levels.get(l))
            .map(|l| l.perks.clone())
            .unwrap_or_default();
        Self {
            program_id: ID(s.program.id.to_string()),
            program_name: s.program.name,
            level: s.level,
            name: s.rules.name_of(s.level).to_owned(),
            multiplier_percent: s.rules.multiplier_of(s.level),
            perks,
            since: s.since,
            qualified_until: s.qualified_until,
            basis: s.rules.basis.into(),
            qualifying_value: s.value,
            to_next_level: next.as_ref().map(|n| (n.threshold - s.value).max(0)),
            next_level_threshold: next.as_ref().map(|n| n.threshold),
            next_level_name: next.map(|n| n.name),
            history: s
                .history
                .into_iter()
                .map(|t| TierChange {
                    level: t.level,
                    name: t.name,
                    reason: t.reason.into(),
                    qualifying_value: t.qualifying_value,
                    starts_at: t.starts_at,
                    qualified_until: t.qualified_until,
                })
                .collect(),
        }
    }
}

/// A consumer enrolled with the brand.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Member {
    pub id: ID,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub preferred_store: Option<String>,
    pub email_consent: Consent,
    pub sms_consent: Consent,
    pub attributes: Vec<Attribute>,
    pub enrolled_via: EnrolmentChannel,
    pub created_at: DateTime<Utc>,
    #[graphql(skip)]
    pub uuid: uuid::Uuid,
    #[graphql(skip)]
    pub household_id: Option<uuid::Uuid>,
    /// The brand to read the member's details in when the caller has no scope of its own yet
    /// (the payload of `memberSignUp`, `memberLogin`, `setMemberPassword`: the new session's
    /// own member).
    #[graphql(skip)]
    pub own_scope: Option<crate::core::tenancy::TenantScope>,
}

impl Member {
    /// The member seen by the session that just opened for them.
    pub fn in_own_session(model: member::Model, scope: crate::core::tenancy::TenantScope) -> Self {
        Self {
            own_scope: Some(scope),
            ..model.into()
        }
    }

    fn scope<'a>(
        &'a self,
        ctx: &'a Context<'_>,
    ) -> Result<&'a crate::core::tenancy::TenantScope, AppError> {
        match &self.own_scope {
            Some(scope) => Ok(scope),
            None => ctx.scope(),
        }
    }
}

impl From<member::Model> for Member {
    fn from(m: member::Model) -> Self {
        let attributes = m
            .attributes
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| Attribute {
                        key: k.clone(),
                        value: v.as_str().unwrap_or_default().to_owned(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            id: ID(m.id.to_string()),
            uuid: m.id,
            household_id: m.household_id,
            email: m.email,
            phone: m.phone,
            first_name: m.first_name,
            last_name: m.last_name,
            birth_date: m.birth_date,
            preferred_store: m.preferred_store,
            email_consent: Consent {
                granted: m.email_consent,
                at: m.email_consent_at,
                source: m.email_consent_source,
            },
            sms_consent: Consent {
                granted: m.sms_consent,
                at: m.sms_consent_at,
                source: m.sms_consent_source,
            },
            attributes,
            enrolled_via: m.enrolled_via.into(),
            created_at: m.created_at,
            own_scope: None,
        }
    }
}

/// A member's RFM/FRAT scores after the last scoring run (see `scoring`).
#[derive(SimpleObject)]
pub struct MemberScore {
    /// The segment's key (`AT_RISK`).
    pub segment: String,
    pub previous_segment: Option<String>,
    /// The brand's day the member entered the segment.
    pub segment_since: NaiveDate,
    /// Days since the last purchase kept in the window (null: none in it).
    pub recency_days: Option<i32>,
    /// Purchases kept in the window.
    pub frequency: i32,
    /// Paid in the window, net of returns, in minor units.
    pub amount_minor: i64,
    /// Distinct categories bought in the window.
    pub categories: i32,
    /// Scores 1 to 5 (0: no purchase in the window): recency, frequency, amount, type.
    pub r: i32,
    pub f: i32,
    pub m: i32,
    pub t: i32,
    pub scored_on: NaiveDate,
}

#[ComplexObject]
impl Member {
    /// The member's scores and segment after the last scoring run (null: not scored yet).
    /// Owners and managers.
    #[graphql(guard = "PermissionGuard(Permission::ViewStatistics)")]
    async fn score(&self, ctx: &Context<'_>) -> Result<Option<MemberScore>> {
        Ok(
            crate::analytics::segments::of_member(self.scope(ctx)?, self.uuid)
                .await?
                .map(|s| MemberScore {
                    segment: s.segment,
                    previous_segment: s.previous_segment,
                    segment_since: s.segment_since,
                    recency_days: s.recency_days,
                    frequency: s.frequency,
                    amount_minor: s.amount_minor,
                    categories: s.categories,
                    r: i32::from(s.r),
                    f: i32::from(s.f),
                    m: i32::from(s.m),
                    t: i32::from(s.t),
                    scored_on: s.scored_on,
                }),
        )
    }

    /// The other members of the member's household (members who live together, linked by
    /// `setMemberHousehold`; refund offers may be limited per household). Empty: a household of
    /// one.
    #[graphql(guard = "PermissionGuard(Permission::ViewMembers)")]
    async fn household(&self, ctx: &Context<'_>) -> Result<Vec<Member>> {
        let Some(household) = self.household_id else {
            return Ok(Vec::new());
        };
        let conn = self.scope(ctx)?.conn();
        let me = conn.get::<member::Entity>(self.uuid).await?;
        if me.household_id != Some(household) {
            return Ok(Vec::new());
        }
        Ok(crate::loyalty::members::household_of(&conn, &me)
            .await?
            .into_iter()
            .filter(|m| m.id != self.uuid)
            .map(Into::into)
            .collect())
    }

    /// What the member owes for offers' advantages already used whose purchase was returned (a
    /// deferred coupon's or premium's voucher spent, a premium gift handed over), in minor units
    /// of the brand's currency: kept from their next refunds, paid at the till or waived
    /// (`settleOfferDebt`).
    async fn offer_debt_minor(&self, ctx: &Context<'_>) -> Result<i64> {
        let scope = self.scope(ctx)?;
        let conn = scope.conn();
        let currency = conn.brand().await?.currency;
        Ok(crate::loyalty::offers::debts::owed(&conn, self.uuid, &currency).await?)
    }

    /// The member's cards, replaced ones included.
    async fn cards(&self, ctx: &Context<'_>) -> Result<Vec<Card>> {
        Ok(
            crate::loyalty::members::cards_of(self.scope(ctx)?, self.uuid)
                .await?
                .into_iter()
                .map(Into::into)
                .collect(),
        )
    }

    /// Every movement of the member's value, in the order booked (oldest first; `occurredAt`
    /// dates each: an imported purchase or an expiry booked later may carry an earlier date).
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity + 1")]
    async fn history(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, LedgerEvent>> {
        let page = relay::page_request(first, after)?;
        let had_cursor = page.after.is_some();
        let entries = crate::loyalty::members::history(self.scope(ctx)?, self.uuid, page).await?;
        Ok(relay::connection(
            entries,
            had_cursor,
            |e| e.transaction.id,
            |e| LedgerEvent {
                id: ID(e.transaction.id.to_string()),
                kind: e.transaction.kind.into(),
                reason: e.transaction.reason,
                cause_type: e.transaction.cause_type,
                cause_id: e.transaction.cause_id.map(|c| ID(c.to_string())),
                occurred_at: e.transaction.occurred_at,
                points: e.points,
                cashback_minor: e.cashback_minor,
                stamps: e.stamps,
                stored_value_minor: e.stored_value_minor,
            },
        ))
    }

    /// Prepaid balances (stored-value programs).
    async fn stored_value(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<crate::loyalty::graphql::stored_value::StoredValueBalance>> {
        Ok(
            crate::loyalty::stored_value::balances(self.scope(ctx)?, self.uuid)
                .await?
                .into_iter()
                .map(|(program, balance)| {
                    crate::loyalty::graphql::stored_value::StoredValueBalance {
                        program_id: ID(program.id.to_string()),
                        balance_minor: balance,
                    }
                })
                .collect(),
        )
    }

    /// The member's vouchers, used ones included.
    async fn vouchers(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<crate::loyalty::graphql::vouchers::Voucher>> {
        Ok(
            crate::loyalty::vouchers::of_member(self.scope(ctx)?, self.uuid)
                .await?
                .into_iter()
                .map(Into::into)
                .collect(),
        )
    }

    /// Cashback per program, in minor units of the brand currency.
    async fn cashback(&self, ctx: &Context<'_>) -> Result<Vec<CashbackBalance>> {
        let conn = self.scope(ctx)?.conn();
        Ok(crate::loyalty::balances::of_member(
            &conn,
            crate::loyalty::balances::CASHBACK,
            self.uuid,
        )
        .await?
        .into_iter()
        .map(|(program, balance, debt)| CashbackBalance {
            program_id: ID(program.id.to_string()),
            program_name: program.name,
            balance_minor: balance,
            debt_minor: debt,
        })
        .collect())
    }

    /// Stamp cards per program.
    async fn stamp_cards(&self, ctx: &Context<'_>) -> Result<Vec<StampCard>> {
        let scope = self.scope(ctx)?;
        let conn = scope.conn();
        let mut out = Vec::new();
        for (program, stamps, debt) in crate::loyalty::balances::of_member(
            &conn,
            crate::loyalty::balances::STAMP_CARD,
            self.uuid,
        )
        .await?
        {
            let per_card = match crate::loyalty::programs::get(scope, program.id)
                .await?
                .rules
            {
                crate::loyalty::programs::Rules::Stamps(r) => r.stamps_for_reward,
                _ => continue,
            };
            out.push(StampCard {
                program_id: ID(program.id.to_string()),
                program_name: program.name,
                stamps,
                stamps_for_reward: per_card,
                stamps_to_next_reward: per_card - stamps % per_card + debt,
                debt,
            });
        }
        Ok(out)
    }

    /// Paid memberships, current and past, with fees paid and savings.
    async fn memberships(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<crate::loyalty::graphql::memberships::Membership>> {
        Ok(
            crate::loyalty::memberships::of_member(self.scope(ctx)?, self.uuid)
                .await?
                .into_iter()
                .map(Into::into)
                .collect(),
        )
    }

    /// Tier standing in every program that has tiers.
    async fn tiers(&self, ctx: &Context<'_>) -> Result<Vec<TierStanding>> {
        Ok(
            crate::loyalty::tiers::standings(self.scope(ctx)?, self.uuid)
                .await?
                .into_iter()
                .map(TierStanding::from)
                .collect(),
        )
    }

    /// Points per program.
    async fn points(&self, ctx: &Context<'_>) -> Result<Vec<PointsBalanceView>> {
        Ok(
            crate::loyalty::members::points_balances(self.scope(ctx)?, self.uuid)
                .await?
                .into_iter()
                .map(Into::into)
                .collect(),
        )
    }
}

#[derive(InputObject)]
pub struct EnrollMemberInput {
    pub email: Option<String>,
    /// International format, e.g. +33612345678.
    pub phone: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub preferred_store: Option<String>,
    #[graphql(default)]
    pub email_consent: bool,
    #[graphql(default)]
    pub sms_consent: bool,
    /// How consent was collected, e.g. "checkout form".
    pub consent_source: Option<String>,
    #[graphql(default)]
    pub attributes: Vec<Attribute>,
    /// Makes the call safe to retry: a replay returns the first member and card.
    pub idempotency_key: Option<String>,
}

/// A change of profile: only the fields given change.
#[derive(InputObject)]
pub struct UpdateMemberInput {
    pub email: Option<String>,
    /// International format, e.g. +33612345678.
    pub phone: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub preferred_store: Option<String>,
    /// Gives (true) or withdraws (false) e-mail marketing consent; when and how are recorded.
    pub email_consent: Option<bool>,
    pub sms_consent: Option<bool>,
    /// How the consent change was collected (default: who made it).
    pub consent_source: Option<String>,
    /// Replaces every custom attribute.
    pub attributes: Option<Vec<Attribute>>,
}

impl From<UpdateMemberInput> for crate::loyalty::members::ProfileUpdate {
    fn from(i: UpdateMemberInput) -> Self {
        Self {
            email: i.email,
            phone: i.phone,
            first_name: i.first_name,
            last_name: i.last_name,
            birth_date: i.birth_date,
            preferred_store: i.preferred_store,
            email_consent: i.email_consent,
            sms_consent: i.sms_consent,
            consent_source: i.consent_source,
            attributes: i
                .attributes
                .map(|a| a.into_iter().map(|a| (a.key, a.value)).collect()),
        }
    }
}

#[derive(SimpleObject)]
pub struct EnrollMemberPayload {
    pub member: Member,
    pub card: Card,
}

#[derive(Default)]
pub struct MemberQuery;

#[Object]
impl MemberQuery {
    /// The brand's members; `search` matches e-mail, phone or name.
    #[graphql(
        guard = "PermissionGuard(Permission::ViewMembers)",
        complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity + 1"
    )]
    async fn members(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        search: Option<String>,
    ) -> Result<Connection<String, Member>> {
        let page = relay::page_request(first, after)?;
        let had_cursor = page.after.is_some();
        let members = crate::loyalty::members::list(ctx.scope()?, search.as_deref(), page).await?;
        Ok(relay::connection(
            members,
            had_cursor,
            |m| m.id,
            Member::from,
        ))
    }

    #[graphql(guard = "PermissionGuard(Permission::ViewMembers)")]
    async fn member(&self, ctx: &Context<'_>, id: ID) -> Result<Member> {
        Ok(
            crate::loyalty::members::get(ctx.scope()?, crate::core::types::id("id", &id)?)
                .await?
                .into(),
        )
    }

    /// The card with this printed number or scanned payload (checkout look-up).
    #[graphql(guard = "PermissionGuard(Permission::ViewMembers)")]
    async fn card_by_number(&self, ctx: &Context<'_>, number: String) -> Result<Card> {
        Ok(
            crate::loyalty::members::card_by_number(ctx.scope()?, &number)
                .await?
                .into(),
        )
    }
}

#[derive(Default)]
pub struct MemberMutation;

#[Object]
impl MemberMutation {
    /// Enrols a member and issues a card; books welcome bonuses. An e-mail or phone already
    /// enrolled with the brand is a CONFLICT.
    #[graphql(guard = "PermissionGuard(Permission::EnrollMembers)")]
    async fn enroll_member(
        &self,
        ctx: &Context<'_>,
        input: EnrollMemberInput,
    ) -> Result<EnrollMemberPayload> {
        let via = match ctx.request()?.principal {
            Principal::PartnerApp { .. } => member::EnrolmentChannel::PartnerApp,
            Principal::Member { .. } => member::EnrolmentChannel::Member,
            _ => member::EnrolmentChannel::Staff,
        };
        let enrol = Enrol {
            email: input.email,
            phone: input.phone,
            first_name: input.first_name,
            last_name: input.last_name,
            birth_date: input.birth_date,
            preferred_store: input.preferred_store,
            email_consent: input.email_consent,
            sms_consent: input.sms_consent,
            consent_source: input.consent_source,
            attributes: input
                .attributes
                .into_iter()
                .map(|a| (a.key, a.value))
                .collect(),
            password_hash: None,
        };
        let (member, card) = crate::loyalty::members::enrol(
            ctx.scope()?,
            enrol,
            via,
            input.idempotency_key.as_deref(),
        )
        .await?;
        Ok(EnrollMemberPayload {
            member: member.into(),
            card: card.into(),
        })
    }

    /// Puts a member in another member's household (`withMemberId` or `withCardNumber`), or
    /// takes them out of theirs (both null). Members who live together share a household: refund offers
    /// may allow a number of claims per household. The same member twice: VALIDATION; another
    /// brand's member: NOT_FOUND. Setting what is already set changes nothing (safe to retry).
    #[graphql(guard = "PermissionGuard(Permission::EnrollMembers)")]
    async fn set_member_household(
        &self,
        ctx: &Context<'_>,
        member_id: ID,
        with_member_id: Option<ID>,
        #[graphql(
            desc = "The other member by a card number (printed or scanned), instead of `withMemberId`."
        )]
        with_card_number: Option<String>,
    ) -> Result<Member> {
        let id = crate::core::types::id("memberId", &member_id)?;
        let with = match (with_member_id, with_card_number) {
            (Some(_), Some(_)) => {
                return Err(AppError::validation(
                    "withCardNumber",
                    "give the other member's id or card number, not both",
                )
                .into());
            }
            (Some(w), None) => Some(crate::core::types::id("withMemberId", &w)?),
            (None, Some(number)) => Some(
                crate::loyalty::members::card_by_number(ctx.scope()?, &number)
                    .await?
                    .member_id,
            ),
            (None, None) => None,
        };
        Ok(
            crate::loyalty::members::set_household(ctx.scope()?, id, with)
                .await?
                .into(),
        )
    }

    /// Updates a member's profile and consent (only the fields given); consent changes record
    /// when and how. An e-mail or phone of another member is refused (CONFLICT).
    #[graphql(guard = "PermissionGuard(Permission::EnrollMembers)")]
    async fn update_member(
        &self,
        ctx: &Context<'_>,
        member_id: ID,
        input: UpdateMemberInput,
    ) -> Result<Member> {
        let id = crate::core::types::id("memberId", &member_id)?;
        Ok(
            crate::loyalty::members::update_profile(ctx.scope()?, id, input.into(), "brand staff")
                .await?
                .into(),
        )
    }

    /// Refuses a card at the checkout until it is unblocked.
    #[graphql(guard = "PermissionGuard(Permission::ManageCards)")]
    async fn block_card(&self, ctx: &Context<'_>, card_id: ID) -> Result<Card> {
        Ok(
            crate::loyalty::members::set_card_blocked(ctx.scope()?, card_id_of(&card_id)?, true)
                .await?
                .into(),
        )
    }

    #[graphql(guard = "PermissionGuard(Permission::ManageCards)")]
    async fn unblock_card(&self, ctx: &Context<'_>, card_id: ID) -> Result<Card> {
        Ok(
            crate::loyalty::members::set_card_blocked(ctx.scope()?, card_id_of(&card_id)?, false)
                .await?
                .into(),
        )
    }

    /// Marks a card lost and returns its replacement; the balance stays with the member.
    #[graphql(guard = "PermissionGuard(Permission::ManageCards)")]
    async fn report_card_lost(&self, ctx: &Context<'_>, card_id: ID) -> Result<Card> {
        Ok(
            crate::loyalty::members::replace_card(ctx.scope()?, card_id_of(&card_id)?, true)
                .await?
                .into(),
        )
    }

    /// Replaces a card (worn, new design) and returns the new one.
    #[graphql(guard = "PermissionGuard(Permission::ManageCards)")]
    async fn replace_card(&self, ctx: &Context<'_>, card_id: ID) -> Result<Card> {
        Ok(
            crate::loyalty::members::replace_card(ctx.scope()?, card_id_of(&card_id)?, false)
                .await?
                .into(),
        )
    }
}

fn card_id_of(id: &ID) -> Result<uuid::Uuid, AppError> {
    crate::core::types::id("cardId", id)
}
