//! Shared points and settlement: `joinCoalition`, `updateCoalitionSharing`,
//! `recordCoalitionPurchase`, `redeemCoalitionPoints`, `recordCoalitionReturn` (member brands),
//! `addCoalitionPrepaidBlock`, `closeCoalitionPeriod`, `recordCoalitionPayment` (operator),
//! `coalitionCard`, `coalitionPeriod`.
//!
//! Size: over 500 lines on purpose: the coalition points roots for members, brands and the
//! operator, with their shared views.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{coalition_txn, user_account::Role};

use crate::{
    coalition::{
        points,
        points::{CardView, Movement, Viewer, period_label},
        settlement,
        settlement::PeriodView,
    },
    core::{
        auth::{Permission, Principal},
        error::AppError,
        graphql::{ContextExt, guards::PermissionGuard},
        types::id,
    },
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::coalition_txn::CoalitionTxnKind")]
pub enum CoalitionMovementKind {
    Earn,
    Redeem,
    Reversal,
    Expiry,
    PrepaidBlock,
    Settlement,
    Payment,
}

/// A movement of a coalition card's points.
#[derive(SimpleObject, Clone)]
pub struct CoalitionMovement {
    /// For an EARN: the purchase id to give to `recordCoalitionReturn`.
    pub id: ID,
    pub kind: CoalitionMovementKind,
    /// The brand where it happened (none for an expiry).
    pub brand_id: Option<ID>,
    /// The movement's full size: `balanceChange + debtChange` (an earning that repays a debt
    /// of 12 and adds 18 to the balance is +30; a return of 53 that takes the last 41 points and
    /// leaves 12 owed is -53).
    pub points: i64,
    /// How the card's balance moved (negative for spending, reversals, expiry).
    pub balance_change: i64,
    /// How the card's debt moved: negative when more is owed (a return of points already
    /// spent), positive when a debt is repaid (by an earning).
    pub debt_change: i64,
    pub amount_minor: Option<i64>,
    pub reference: Option<String>,
    pub occurred_at: DateTime<Utc>,
    /// The settlement period (YYYY-MM, coalition time zone) it counts in.
    pub period: String,
    /// Its own period was already closed: it counts in the next open one.
    pub late: bool,
}

fn movement(
    coalition: &entity::coalition::Model,
    t: &coalition_txn::Model,
    change: crate::core::ledger::coalition::CardChange,
) -> CoalitionMovement {
    CoalitionMovement {
        id: ID(t.id.to_string()),
        kind: t.kind.into(),
        brand_id: t.brand_id.map(|b| ID(b.to_string())),
        points: change.balance + change.debt,
        balance_change: change.balance,
        debt_change: change.debt,
        amount_minor: t.amount_minor,
        reference: t.reference.clone(),
        occurred_at: t.occurred_at,
        period: period_label(coalition, t.period_start),
        late: t.late,
    }
}

/// What a purchase, redemption or return did to a coalition card.
#[derive(SimpleObject, Clone)]
pub struct CoalitionMovementPayload {
    pub card_number: String,
    /// The movement's full size, `balanceChange + debtChange` (0 when the amount earned
    /// nothing).
    pub points: i64,
    /// How the card's balance moved.
    pub balance_change: i64,
    /// How the card's debt moved (negative: more owed; positive: repaid).
    pub debt_change: i64,
    /// The card's balance after it (for a replay: now).
    pub balance: i64,
    /// The booked movement; none when nothing moved.
    pub movement: Option<CoalitionMovement>,
}

impl From<Movement> for CoalitionMovementPayload {
    fn from(m: Movement) -> Self {
        Self {
            movement: m.txn.as_ref().map(|t| movement(&m.coalition, t, m.change)),
            card_number: m.card_number,
            points: if m.txn.is_some() {
                m.change.balance + m.change.debt
            } else {
                0
            },
            balance_change: m.change.balance,
            debt_change: m.change.debt,
            balance: m.balance,
        }
    }
}

/// The person behind a coalition card: shown to the brand they joined at and to the brands they
/// consented to share their profile with; never to the operator.
#[derive(SimpleObject, Clone)]
pub struct CoalitionMemberProfile {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
}

/// A coalition card (one per consumer, usable at every member brand).
#[derive(SimpleObject, Clone)]
pub struct CoalitionCard {
    pub coalition_id: ID,
    pub card_number: String,
    pub balance: i64,
    /// Points reversed after they were spent, repaid from the next earnings.
    pub debt: i64,
    pub last_activity_at: DateTime<Utc>,
    /// When the points expire if nothing is earned or spent before.
    pub expires_at: Option<DateTime<Utc>>,
    pub profile: Option<CoalitionMemberProfile>,
    /// Newest first (100 at most): every movement for the operator, a brand's own for a brand.
    pub movements: Vec<CoalitionMovement>,
}

impl From<CardView> for CoalitionCard {
    fn from(v: CardView) -> Self {
        let months =
            chrono::Months::new(u32::try_from(v.coalition.points_validity_months).unwrap_or(24));
        Self {
            coalition_id: ID(v.coalition.id.to_string()),
            card_number: v.card.card_number.clone(),
            balance: v.balance,
            debt: v.debt,
            last_activity_at: v.card.last_activity_at,
            expires_at: (v.balance > 0)
                .then(|| v.card.last_activity_at.checked_add_months(months))
                .flatten(),
            profile: v.profile.map(|m| CoalitionMemberProfile {
                first_name: m.first_name,
                last_name: m.last_name,
                email: m.email,
            }),
            movements: v
                .movements
                .iter()
                .map(|(t, change)| movement(&v.coalition, t, *change))
                .collect(),
        }
    }
}

/// A brand's statement for a period. Amounts in minor units of the coalition currency.
#[derive(SimpleObject, Clone)]
pub struct CoalitionStatement {
    /// Set once the period is closed (what `recordCoalitionPayment` takes).
    pub id: Option<ID>,
    pub brand_id: ID,
    pub brand_name: String,
    pub issued_points: i64,
    pub reversed_points: i64,
    pub redeemed_points: i64,
    /// Points of prepaid blocks bought in the period.
    pub prepaid_points: i64,
    /// Postpaid points issued net of reversals, at the issue price.
    pub issued_value_minor: i64,
    pub redeemed_value_minor: i64,
    pub prepaid_value_minor: i64,
    pub fees_minor: i64,
    /// redeemed − issued − prepaid − fees: positive, the operator pays the brand; negative, the
    /// brand pays the operator.
    pub net_minor: i64,
    /// Events dated in an earlier, already closed period and settled in this one.
    pub late_events: i64,
    pub paid_at: Option<DateTime<Utc>>,
    pub payment_reference: Option<String>,
}

/// A settlement period (a month in the coalition's time zone): closed, or open with the figures
/// so far.
#[derive(SimpleObject, Clone)]
pub struct CoalitionPeriod {
    pub coalition_id: ID,
    /// YYYY-MM.
    pub period: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub closed: bool,
    pub closed_at: Option<DateTime<Utc>>,
    pub currency: String,
    /// The operator and platform admins: every brand; a brand: its own.
    pub statements: Vec<CoalitionStatement>,
    /// The operator's position (minus the brands' sum: spread, fees, breakage); hidden from
    /// brands.
    pub operator_net_minor: Option<i64>,
    /// Points that expired in the period; hidden from brands.
    pub breakage_points: Option<i64>,
    pub late_events: i64,
    /// The statements above as CSV (RFC 4180, amounts in minor units).
    pub csv: String,
    /// Coalition-level figures every member brand sees: points issued (net of reversals) and
    /// redeemed at each brand. Money positions stay in each brand's own statement.
    pub flows: Vec<CoalitionFlow>,
}

/// Points issued and redeemed at one brand in a period.
#[derive(SimpleObject, Clone)]
pub struct CoalitionFlow {
    pub brand_id: ID,
    pub brand_name: String,
    /// Net of reversals.
    pub issued_points: i64,
    pub redeemed_points: i64,
}

impl From<PeriodView> for CoalitionPeriod {
    fn from(v: PeriodView) -> Self {
        let csv = settlement::csv(&v);
        Self {
            coalition_id: ID(v.coalition.id.to_string()),
            period: v.label(),
            starts_at: v.start,
            ends_at: v.end,
            closed: v.closed.is_some(),
            closed_at: v.closed.as_ref().map(|p| p.closed_at),
            currency: v.coalition.currency.clone(),
            statements: v
                .statements
                .iter()
                .map(|s| CoalitionStatement {
                    id: s.id.map(|i| ID(i.to_string())),
                    brand_id: ID(s.line.brand_id.to_string()),
                    brand_name: v
                        .brand_names
                        .get(&s.line.brand_id)
                        .cloned()
                        .unwrap_or_default(),
                    issued_points: s.line.issued_points,
                    reversed_points: s.line.reversed_points,
                    redeemed_points: s.line.redeemed_points,
                    prepaid_points: s.line.prepaid_points,
                    issued_value_minor: s.line.issued_value_minor,
                    redeemed_value_minor: s.line.redeemed_value_minor,
                    prepaid_value_minor: s.line.prepaid_value_minor,
                    fees_minor: s.line.fees_minor,
                    net_minor: s.line.net_minor,
                    late_events: s.line.late_events,
                    paid_at: s.paid_at,
                    payment_reference: s.payment_reference.clone(),
                })
                .collect(),
            operator_net_minor: v.operator.map(|(net, _)| net),
            breakage_points: v.operator.map(|(_, b)| b),
            late_events: v.late_events,
            csv,
            flows: v
                .flows
                .iter()
                .map(|(brand, issued, redeemed)| CoalitionFlow {
                    brand_id: ID(brand.to_string()),
                    brand_name: v.brand_names.get(brand).cloned().unwrap_or_default(),
                    issued_points: *issued,
                    redeemed_points: *redeemed,
                })
                .collect(),
        }
    }
}

#[derive(InputObject)]
pub struct JoinCoalitionInput {
    pub coalition_id: ID,
    /// A member of the caller's brand.
    pub member_id: ID,
    /// The other member brands the consumer agreed to share their profile with (replaces the
    /// earlier choice; omitted: unchanged, none for a new card).
    pub share_with_brand_ids: Option<Vec<ID>>,
}

#[derive(InputObject)]
pub struct CoalitionPurchaseInput {
    pub coalition_id: ID,
    pub card_number: String,
    /// What the purchase earns on: points = amountMinor × the brand's earn rate, rounded down.
    pub amount_minor: i64,
    pub reference: Option<String>,
    /// When it happened (default now); an event dated in a closed period counts, late, in the
    /// next open one.
    pub occurred_at: Option<DateTime<Utc>>,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject)]
pub struct RedeemCoalitionPointsInput {
    pub coalition_id: ID,
    pub card_number: String,
    pub points: i64,
    pub reference: Option<String>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject)]
pub struct CoalitionReturnInput {
    pub coalition_id: ID,
    /// The EARN movement of the purchase (made at the caller's brand).
    pub purchase_id: ID,
    /// The returned amount; returns of one purchase add up to its amount at most.
    pub amount_minor: i64,
    pub reference: Option<String>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject)]
pub struct PrepaidBlockInput {
    pub coalition_id: ID,
    pub brand_id: ID,
    pub points: i64,
    pub reference: Option<String>,
    /// When the block was bought (late paperwork; default now): billed in that month while it
    /// is open, else in the next open month, flagged late.
    pub occurred_at: Option<DateTime<Utc>>,
    pub idempotency_key: Option<String>,
}

/// A prepaid brand's block after a purchase of points.
#[derive(SimpleObject, Clone)]
pub struct PrepaidBlock {
    pub brand_id: ID,
    /// Points left in the block (negative: drawing on the reserve).
    pub balance: i64,
}

#[derive(InputObject)]
pub struct CloseCoalitionPeriodInput {
    pub coalition_id: ID,
    /// YYYY-MM in the coalition's time zone; the month must be over.
    pub period: String,
}

#[derive(InputObject)]
pub struct CoalitionPaymentInput {
    pub statement_id: ID,
    /// The bank transfer's (or other) reference.
    pub reference: String,
    pub idempotency_key: Option<String>,
}

fn viewer(principal: &Principal) -> Result<Viewer, AppError> {
    match principal {
        Principal::User {
            role: Role::CoalitionOperator,
            user_id,
            ..
        } => Ok(Viewer::Operator(*user_id)),
        other => other
            .tenant_id()
            .map(Viewer::Brand)
            .ok_or(AppError::Forbidden(
                "this needs a brand or an operator account",
            )),
    }
}

fn ids(field: &'static str, raw: &[ID]) -> Result<Vec<uuid::Uuid>, AppError> {
    raw.iter().map(|r| id(field, r)).collect()
}

#[derive(Default)]
pub struct CoalitionPointsQuery;

#[Object]
impl CoalitionPointsQuery {
    /// A coalition card: the operator sees every movement and no personal data; a member brand
    /// sees the balance, its own movements, and the profile only where the consumer consented.
    #[graphql(guard = "PermissionGuard(Permission::ViewCoalitionCards)")]
    async fn coalition_card(
        &self,
        ctx: &Context<'_>,
        coalition_id: ID,
        card_number: String,
    ) -> Result<CoalitionCard> {
        let viewer = viewer(&ctx.request()?.principal)?;
        let coalition = id("coalitionId", &coalition_id)?;
        Ok(
            points::card_view(&ctx.state()?.base, viewer, coalition, &card_number)
                .await?
                .into(),
        )
    }

    /// The signed-in member's coalition cards: balance, expiry, every movement.
    #[graphql(guard = "PermissionGuard(Permission::ViewOwnMembership)")]
    async fn my_coalition_cards(&self, ctx: &Context<'_>) -> Result<Vec<CoalitionCard>> {
        let Principal::Member {
            member_id,
            tenant_id,
        } = ctx.request()?.principal
        else {
            return Err(AppError::Forbidden("this is for members").into());
        };
        Ok(points::my_cards(&ctx.state()?.base, tenant_id, member_id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// A settlement period's statements: closed (final) or open (figures so far).
    #[graphql(guard = "PermissionGuard(Permission::ViewCoalitions)")]
    async fn coalition_period(
        &self,
        ctx: &Context<'_>,
        coalition_id: ID,
        period: String,
    ) -> Result<CoalitionPeriod> {
        let coalition = id("coalitionId", &coalition_id)?;
        Ok(settlement::view(
            &ctx.state()?.base,
            &ctx.request()?.principal,
            coalition,
            &period,
        )
        .await?
        .into())
    }
}

#[derive(Default)]
pub struct CoalitionPointsMutation;

#[Object]
impl CoalitionPointsMutation {
    /// Gives a member of the caller's brand a coalition card (the same one if they joined
    /// before), and records which member brands may see their profile.
    #[graphql(guard = "PermissionGuard(Permission::EnrollMembers)")]
    async fn join_coalition(
        &self,
        ctx: &Context<'_>,
        input: JoinCoalitionInput,
    ) -> Result<CoalitionCard> {
        let scope = ctx.scope()?;
        let coalition = id("input.coalitionId", &input.coalition_id)?;
        let member = id("input.memberId", &input.member_id)?;
        let share = input
            .share_with_brand_ids
            .map(|s| ids("input.shareWithBrandIds", &s))
            .transpose()?;
        let card = points::join(scope, coalition, member, share.as_deref()).await?;
        Ok(points::card_view(
            &ctx.state()?.base,
            Viewer::Brand(scope.tenant_id()),
            coalition,
            &card.card_number,
        )
        .await?
        .into())
    }

    /// Replaces the member brands a member of the caller's brand shares their profile with.
    #[graphql(guard = "PermissionGuard(Permission::EnrollMembers)")]
    async fn update_coalition_sharing(
        &self,
        ctx: &Context<'_>,
        input: JoinCoalitionInput,
    ) -> Result<CoalitionCard> {
        let scope = ctx.scope()?;
        let coalition = id("input.coalitionId", &input.coalition_id)?;
        let member = id("input.memberId", &input.member_id)?;
        let share = ids(
            "input.shareWithBrandIds",
            &input.share_with_brand_ids.unwrap_or_default(),
        )?;
        let card = points::set_sharing(scope, coalition, member, &share, "input.shareWithBrandIds")
            .await?;
        Ok(points::card_view(
            &ctx.state()?.base,
            Viewer::Brand(scope.tenant_id()),
            coalition,
            &card.card_number,
        )
        .await?
        .into())
    }

    /// The signed-in member chooses which member brands of a coalition may see their profile
    /// (replaces the earlier choice).
    #[graphql(guard = "PermissionGuard(Permission::ViewOwnMembership)")]
    async fn update_my_coalition_sharing(
        &self,
        ctx: &Context<'_>,
        coalition_id: ID,
        share_with_brand_ids: Vec<ID>,
    ) -> Result<CoalitionCard> {
        let Principal::Member {
            member_id,
            tenant_id,
        } = ctx.request()?.principal
        else {
            return Err(AppError::Forbidden("this is for members").into());
        };
        let coalition = id("coalitionId", &coalition_id)?;
        let share = ids("shareWithBrandIds", &share_with_brand_ids)?;
        let card = points::set_sharing(
            ctx.scope()?,
            coalition,
            member_id,
            &share,
            "shareWithBrandIds",
        )
        .await?;
        Ok(points::card_view(
            &ctx.state()?.base,
            Viewer::Member {
                brand: tenant_id,
                member: member_id,
            },
            coalition,
            &card.card_number,
        )
        .await?
        .into())
    }

    /// A purchase at the caller's brand earns shared points at its rate. A prepaid brand whose
    /// block (with its reserve) is exhausted is refused with LIMIT_EXCEEDED.
    #[graphql(guard = "PermissionGuard(Permission::RecordPurchases)")]
    async fn record_coalition_purchase(
        &self,
        ctx: &Context<'_>,
        input: CoalitionPurchaseInput,
    ) -> Result<CoalitionMovementPayload> {
        let command = points::Earn {
            coalition_id: id("input.coalitionId", &input.coalition_id)?,
            card_number: input.card_number,
            amount_minor: input.amount_minor,
            reference: input.reference,
            occurred_at: input.occurred_at,
        };
        Ok(points::earn(
            &ctx.state()?.base,
            ctx.scope()?,
            command,
            input.idempotency_key.as_deref(),
        )
        .await?
        .into())
    }

    /// Spends shared points at the caller's brand.
    #[graphql(guard = "PermissionGuard(Permission::RedeemRewards)")]
    async fn redeem_coalition_points(
        &self,
        ctx: &Context<'_>,
        input: RedeemCoalitionPointsInput,
    ) -> Result<CoalitionMovementPayload> {
        let command = points::Redeem {
            coalition_id: id("input.coalitionId", &input.coalition_id)?,
            card_number: input.card_number,
            points: input.points,
            reference: input.reference,
            occurred_at: input.occurred_at,
        };
        Ok(points::redeem(
            &ctx.state()?.base,
            ctx.scope()?,
            command,
            input.idempotency_key.as_deref(),
        )
        .await?
        .into())
    }

    /// The return of (part of) a coalition purchase made at the caller's brand: reverses what
    /// the returned part earned (another brand's purchase reads NOT_FOUND).
    #[graphql(guard = "PermissionGuard(Permission::RecordPurchases)")]
    async fn record_coalition_return(
        &self,
        ctx: &Context<'_>,
        input: CoalitionReturnInput,
    ) -> Result<CoalitionMovementPayload> {
        let command = points::Return {
            coalition_id: id("input.coalitionId", &input.coalition_id)?,
            purchase_id: id("input.purchaseId", &input.purchase_id)?,
            amount_minor: input.amount_minor,
            reference: input.reference,
            occurred_at: input.occurred_at,
        };
        Ok(points::reverse(
            &ctx.state()?.base,
            ctx.scope()?,
            command,
            input.idempotency_key.as_deref(),
        )
        .await?
        .into())
    }

    /// The operator records a block of points bought by a prepaid brand, billed at the issue
    /// price in the month it was bought (`occurredAt`, default now) if that month is open.
    #[graphql(guard = "PermissionGuard(Permission::ManageCoalitions)")]
    async fn add_coalition_prepaid_block(
        &self,
        ctx: &Context<'_>,
        input: PrepaidBlockInput,
    ) -> Result<PrepaidBlock> {
        let operator = ctx
            .request()?
            .principal
            .user_id()
            .ok_or(AppError::Forbidden("only an operator can do this"))?;
        let command = points::Block {
            coalition_id: id("input.coalitionId", &input.coalition_id)?,
            brand_id: id("input.brandId", &input.brand_id)?,
            points: input.points,
            reference: input.reference,
            occurred_at: input.occurred_at,
        };
        let brand = command.brand_id;
        let balance = points::add_block(
            &ctx.state()?.base,
            operator,
            command,
            input.idempotency_key.as_deref(),
        )
        .await?;
        Ok(PrepaidBlock {
            brand_id: ID(brand.to_string()),
            balance,
        })
    }

    /// Closes a month once it is over: writes every brand's statement and books the positions.
    /// Closing again returns the same period; concurrent closes write it once.
    #[graphql(guard = "PermissionGuard(Permission::ManageCoalitions)")]
    async fn close_coalition_period(
        &self,
        ctx: &Context<'_>,
        input: CloseCoalitionPeriodInput,
    ) -> Result<CoalitionPeriod> {
        let coalition = id("input.coalitionId", &input.coalition_id)?;
        Ok(settlement::close(
            &ctx.state()?.base,
            &ctx.request()?.principal,
            coalition,
            &input.period,
        )
        .await?
        .into())
    }

    /// Records that a closed statement's position was paid, with the payment's reference.
    #[graphql(guard = "PermissionGuard(Permission::ManageCoalitions)")]
    async fn record_coalition_payment(
        &self,
        ctx: &Context<'_>,
        input: CoalitionPaymentInput,
    ) -> Result<CoalitionPeriod> {
        let statement = id("input.statementId", &input.statement_id)?;
        Ok(settlement::pay(
            &ctx.state()?.base,
            &ctx.request()?.principal,
            statement,
            &input.reference,
            input.idempotency_key.as_deref(),
        )
        .await?
        .into())
    }
}
