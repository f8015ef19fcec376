//! Vouchers and rewards: `convertPointsToVoucher`, `redeemVoucher`, `voucher`, `issueVoucher`,
//! the reward catalog (`rewards`, `createReward`, `updateReward`) and `redeemReward`.

use async_graphql::{
    Context, Enum, ID, InputObject, Object, Result, SimpleObject, connection::Connection,
};
use chrono::{DateTime, Utc};
use entity::voucher;

use crate::{
    core::{
        auth::Permission,
        error::AppError,
        graphql::{ContextExt, guards::PermissionGuard, relay},
    },
    loyalty::vouchers::Conversion,
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::voucher::VoucherKind")]
pub enum VoucherKind {
    /// A fixed amount off.
    Amount,
    /// A percentage off.
    Percent,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum VoucherStatus {
    Active,
    /// Every use taken.
    Used,
    Expired,
    Cancelled,
}

#[derive(SimpleObject, Clone)]
pub struct Voucher {
    pub id: ID,
    /// What the checkout types or scans, e.g. K7PM-2QXD-9HTW.
    pub code: String,
    pub kind: VoucherKind,
    pub amount_minor: i64,
    pub percent: i32,
    pub currency: String,
    pub minimum_basket_minor: i64,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub max_uses: i32,
    pub uses: i32,
    pub status: VoucherStatus,
    /// Points it cost, when converted from points.
    pub points_cost: i64,
    pub member_id: Option<ID>,
    /// What it is for, when the brand named it (a stamp card's gift: "Free coffee").
    pub label: Option<String>,
    pub source: VoucherSource,
}

/// Where a voucher came from.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::voucher::VoucherSource")]
pub enum VoucherSource {
    /// Points converted by or for the member.
    Points,
    /// Issued by the brand (gesture, campaign).
    Brand,
    /// The reward of a full stamp card.
    Stamps,
    /// A catalog reward bought with points.
    Reward,
    /// Issued by an offer (a deferred coupon) for a later visit.
    Offer,
    /// A contest prize.
    Contest,
    /// A referral reward.
    Referral,
    /// A reward for coming to a brand's event.
    Event,
}

impl From<voucher::Model> for Voucher {
    fn from(v: voucher::Model) -> Self {
        let now = Utc::now();
        let status = if v.cancelled_at.is_some() {
            VoucherStatus::Cancelled
        } else if v.uses >= v.max_uses {
            VoucherStatus::Used
        } else if now >= v.valid_until {
            VoucherStatus::Expired
        } else {
            VoucherStatus::Active
        };
        Self {
            id: ID(v.id.to_string()),
            code: v.code,
            kind: v.kind.into(),
            amount_minor: v.amount_minor,
            percent: v.percent,
            currency: v.currency,
            minimum_basket_minor: v.minimum_basket_minor,
            valid_from: v.valid_from,
            valid_until: v.valid_until,
            max_uses: v.max_uses,
            uses: v.uses,
            status,
            points_cost: v.points_cost,
            member_id: v.member_id.map(|m| ID(m.to_string())),
            label: v.label,
            source: v.source.into(),
        }
    }
}

#[derive(InputObject)]
pub struct ConvertPointsInput {
    pub member_id: ID,
    pub program_id: ID,
    /// Points to convert (worth `points x pointValueMinor`)...
    pub points: Option<i64>,
    /// ...or the voucher value wanted: its price in points is rounded up.
    pub amount_minor: Option<i64>,
    /// Days the voucher stays valid.
    #[graphql(default = 90)]
    pub valid_days: i64,
    /// Makes the call safe to retry: a replay returns the first voucher and spends nothing.
    pub idempotency_key: Option<String>,
}

/// A voucher the brand issues: personal (a member) or a bearer promo code.
#[derive(InputObject)]
pub struct IssueVoucherInput {
    /// The member it is for; absent for a bearer code anyone may present.
    pub member_id: Option<ID>,
    /// The brand's own code (e.g. SUMMER10: 4 to 24 letters or digits); drawn when absent.
    pub code: Option<String>,
    /// Its value in minor units...
    #[graphql(default)]
    pub amount_minor: i64,
    /// ...or its percentage off the basket. Exactly one of the two.
    #[graphql(default)]
    pub percent: i32,
    #[graphql(default)]
    pub minimum_basket_minor: i64,
    /// Default now.
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: DateTime<Utc>,
    /// How many times it may be used in all (1 = single use).
    #[graphql(default = 1)]
    pub max_uses: i32,
    pub label: Option<String>,
    /// Makes the call safe to retry: a replay returns the first voucher.
    pub idempotency_key: Option<String>,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::reward::RewardKind")]
pub enum RewardKind {
    Gift,
    Service,
    Discount,
}

/// A reward of the brand's catalog, bought with points.
#[derive(SimpleObject, Clone)]
pub struct Reward {
    pub id: ID,
    pub program_id: ID,
    pub name: String,
    pub description: Option<String>,
    pub kind: RewardKind,
    pub points_cost: i64,
    /// Value of the voucher it gives, in minor units.
    pub amount_minor: i64,
    /// For a percentage DISCOUNT.
    pub percent: i32,
    /// Units left; null when unlimited.
    pub stock_remaining: Option<i64>,
    pub per_member_limit: Option<i32>,
    /// The limit's period in days; null: per member, ever.
    pub per_member_period_days: Option<i32>,
    pub voucher_valid_days: i32,
    pub active: bool,
}

impl From<entity::reward::Model> for Reward {
    fn from(r: entity::reward::Model) -> Self {
        Self {
            id: ID(r.id.to_string()),
            program_id: ID(r.program_id.to_string()),
            name: r.name,
            description: r.description,
            kind: r.kind.into(),
            points_cost: r.points_cost,
            amount_minor: r.amount_minor,
            percent: r.percent,
            stock_remaining: r.stock_remaining,
            per_member_limit: r.per_member_limit,
            per_member_period_days: r.per_member_period_days,
            voucher_valid_days: r.voucher_valid_days,
            active: r.active,
        }
    }
}

#[derive(InputObject)]
pub struct CreateRewardInput {
    /// The points program whose points pay for it.
    pub program_id: ID,
    pub name: String,
    pub description: Option<String>,
    pub kind: RewardKind,
    pub points_cost: i64,
    #[graphql(default)]
    pub amount_minor: i64,
    #[graphql(default)]
    pub percent: i32,
    /// Units available; absent for unlimited.
    pub stock: Option<i64>,
    pub per_member_limit: Option<i32>,
    pub per_member_period_days: Option<i32>,
    #[graphql(default = 90)]
    pub voucher_valid_days: i32,
    /// Makes the call safe to retry: a replay returns the reward the first call created.
    pub idempotency_key: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateRewardInput {
    pub reward_id: ID,
    pub active: Option<bool>,
    /// Units to add to the stock.
    pub add_stock: Option<i64>,
    /// Makes the call safe to retry: a replay adds no stock again.
    pub idempotency_key: Option<String>,
}

#[derive(InputObject)]
pub struct RedeemRewardInput {
    pub member_id: ID,
    pub reward_id: ID,
    /// Makes the call safe to retry: a replay returns the first voucher and spends nothing.
    pub idempotency_key: Option<String>,
}

#[derive(Default)]
pub struct VoucherQuery;

#[Object]
impl VoucherQuery {
    /// A voucher by code (spaces and dashes ignored).
    #[graphql(guard = "PermissionGuard(Permission::ViewMembers)")]
    async fn voucher(&self, ctx: &Context<'_>, code: String) -> Result<Voucher> {
        Ok(crate::loyalty::vouchers::by_code(ctx.scope()?, &code)
            .await?
            .into())
    }

    /// The reward catalog (members see it too).
    #[graphql(
        guard = "PermissionGuard(Permission::ViewPrograms)",
        complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity + 1"
    )]
    async fn rewards(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = true)] active_only: bool,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Reward>> {
        let page = relay::page_request(first, after)?;
        let had_cursor = page.after.is_some();
        let rewards = crate::loyalty::rewards::list(ctx.scope()?, active_only, page).await?;
        Ok(relay::connection(
            rewards,
            had_cursor,
            |r| r.id,
            Reward::from,
        ))
    }
}

#[derive(Default)]
pub struct VoucherMutation;

#[Object]
impl VoucherMutation {
    /// Converts a member's points into a single-use voucher ("turn my rewards into a voucher").
    /// Points are spent soonest-expiring first; two conversions can never spend the same points.
    #[graphql(guard = "PermissionGuard(Permission::RedeemRewards)")]
    async fn convert_points_to_voucher(
        &self,
        ctx: &Context<'_>,
        input: ConvertPointsInput,
    ) -> Result<Voucher> {
        let conversion = match (input.points, input.amount_minor) {
            (Some(p), None) => Conversion::Points(p),
            (None, Some(a)) => Conversion::AmountMinor(a),
            _ => {
                return Err(AppError::validation(
                    "input.points",
                    "give points or amountMinor, not both",
                )
                .into());
            }
        };
        let voucher = crate::loyalty::vouchers::convert_points(
            ctx.scope()?,
            crate::core::types::id("input.memberId", &input.member_id)?,
            crate::core::types::id("input.programId", &input.program_id)?,
            conversion,
            input.valid_days,
            input.idempotency_key.as_deref(),
        )
        .await?;
        Ok(voucher.into())
    }

    /// Issues a voucher from the brand: personal or a bearer promo code, amount or percentage,
    /// single or multi use.
    #[graphql(guard = "PermissionGuard(Permission::ManagePrograms)")]
    async fn issue_voucher(&self, ctx: &Context<'_>, input: IssueVoucherInput) -> Result<Voucher> {
        let spec = crate::loyalty::vouchers::IssueVoucher {
            member_id: input
                .member_id
                .as_ref()
                .map(|m| crate::core::types::id("input.memberId", m))
                .transpose()?,
            code: input.code,
            amount_minor: input.amount_minor,
            percent: input.percent,
            minimum_basket_minor: input.minimum_basket_minor,
            valid_from: input.valid_from,
            valid_until: input.valid_until,
            max_uses: input.max_uses,
            label: input.label,
        };
        Ok(
            crate::loyalty::vouchers::issue(ctx.scope()?, spec, input.idempotency_key.as_deref())
                .await?
                .into(),
        )
    }

    /// Adds a reward to the catalog.
    #[graphql(guard = "PermissionGuard(Permission::ManagePrograms)")]
    async fn create_reward(&self, ctx: &Context<'_>, input: CreateRewardInput) -> Result<Reward> {
        let spec = crate::loyalty::rewards::RewardSpec {
            program_id: crate::core::types::id("input.programId", &input.program_id)?,
            name: input.name,
            description: input.description,
            kind: input.kind.into(),
            points_cost: input.points_cost,
            amount_minor: input.amount_minor,
            percent: input.percent,
            stock: input.stock,
            per_member_limit: input.per_member_limit,
            per_member_period_days: input.per_member_period_days,
            voucher_valid_days: input.voucher_valid_days,
        };
        Ok(
            crate::loyalty::rewards::create(ctx.scope()?, spec, input.idempotency_key.as_deref())
                .await?
                .into(),
        )
    }

    /// Switches a reward on or off, or adds stock.
    #[graphql(guard = "PermissionGuard(Permission::ManagePrograms)")]
    async fn update_reward(&self, ctx: &Context<'_>, input: UpdateRewardInput) -> Result<Reward> {
        let id = crate::core::types::id("input.rewardId", &input.reward_id)?;
        Ok(crate::loyalty::rewards::update(
            ctx.scope()?,
            id,
            input.active,
            input.add_stock,
            input.idempotency_key.as_deref(),
        )
        .await?
        .into())
    }

    /// Redeems a catalog reward for a member: spends its points, takes one unit of stock and
    /// gives a voucher naming the reward. Never past the stock or the member's limit.
    #[graphql(guard = "PermissionGuard(Permission::RedeemRewards)")]
    async fn redeem_reward(&self, ctx: &Context<'_>, input: RedeemRewardInput) -> Result<Voucher> {
        Ok(crate::loyalty::rewards::redeem(
            ctx.scope()?,
            crate::core::types::id("input.memberId", &input.member_id)?,
            crate::core::types::id("input.rewardId", &input.reward_id)?,
            input.idempotency_key.as_deref(),
        )
        .await?
        .into())
    }

    /// Uses a voucher outside a purchase (a gift handed over). A voucher is never used more
    /// often than allowed.
    #[graphql(guard = "PermissionGuard(Permission::RedeemRewards)")]
    async fn redeem_voucher(
        &self,
        ctx: &Context<'_>,
        code: String,
        idempotency_key: Option<String>,
    ) -> Result<Voucher> {
        Ok(
            crate::loyalty::vouchers::redeem_alone(ctx.scope()?, &code, idempotency_key.as_deref())
                .await?
                .into(),
        )
    }
}
