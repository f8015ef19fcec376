//! Programs: `createProgram`, `updateProgramRules`, `programs`, `program`.
//!
//! Size: over 500 lines on purpose: the GraphQL input and output of the five mechanics' rules.

use async_graphql::{
    Context, Enum, ID, InputObject, Object, Result, SimpleObject, connection::Connection,
};
use chrono::{DateTime, Utc};

use crate::{
    core::{
        auth::Permission,
        graphql::{ContextExt, guards::PermissionGuard, relay},
    },
    loyalty::{
        programs as rules,
        programs::{ProgramWithRules, Rules},
    },
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::program::Mechanic")]
pub enum Mechanic {
    Points,
    Cashback,
    Stamps,
    StoredValue,
    Membership,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::program::ProgramStatus")]
pub enum ProgramStatus {
    Active,
    Archived,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::loyalty::programs::Rounding")]
pub enum Rounding {
    Down,
    Nearest,
    Up,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::loyalty::programs::EarningBase")]
pub enum EarningBase {
    /// Quantity x unit price.
    Gross,
    /// Less line discounts.
    NetOfDiscounts,
    /// Less line discounts and tax.
    NetOfTax,
    /// Items, not money: `perAmountMinor` counts units bought ("10 items = 1 point"). POINTS
    /// programs only.
    Items,
}

#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "CategoryMultiplierInput")]
pub struct CategoryMultiplier {
    pub category: String,
    /// 200 = double points on this category.
    pub percent: i64,
}

#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "BonusPeriodInput")]
pub struct BonusPeriod {
    pub label: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// 200 = double points. Overlapping periods do not stack: the highest applies.
    pub percent: i64,
}

impl From<CategoryMultiplier> for rules::CategoryMultiplier {
    fn from(m: CategoryMultiplier) -> Self {
        Self {
            category: m.category.trim().to_owned(),
            percent: m.percent,
        }
    }
}

impl From<rules::CategoryMultiplier> for CategoryMultiplier {
    fn from(m: rules::CategoryMultiplier) -> Self {
        Self {
            category: m.category,
            percent: m.percent,
        }
    }
}

/// Rules of a POINTS program.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "PointsRulesInput")]
pub struct PointsRules {
    /// Points per step of `perAmountMinor` spent.
    #[graphql(default = 1)]
    pub points: i64,
    /// The step, in minor units (1000 = 10.00).
    #[graphql(default = 1000)]
    pub per_amount_minor: i64,
    #[graphql(default_with = "Rounding::Down")]
    pub rounding: Rounding,
    #[graphql(default_with = "EarningBase::NetOfDiscounts")]
    pub earning_base: EarningBase,
    #[graphql(default)]
    pub minimum_purchase_minor: i64,
    #[graphql(default)]
    pub category_multipliers: Vec<CategoryMultiplier>,
    #[graphql(default)]
    pub bonus_periods: Vec<BonusPeriod>,
    #[graphql(default)]
    pub welcome_bonus: i64,
    #[graphql(default)]
    pub birthday_bonus: i64,
    /// Months a point lives from the day it is earned.
    #[graphql(default = 12)]
    pub validity_months: u32,
    /// Value of one point in minor units when converted into a voucher.
    #[graphql(default = 100)]
    pub point_value_minor: i64,
    #[graphql(default = 25)]
    pub minimum_redemption_points: i64,
    /// Tier levels of the program, if any.
    pub tiers: Option<TierRules>,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::loyalty::programs::TierBasis")]
pub enum TierBasis {
    /// What the program gave for purchases (points, or cashback in minor units), net of
    /// returns. Bonuses and gestures do not count.
    Earned,
    /// Purchase amounts net of discounts and returns, in minor units.
    Spend,
}

/// A level above the base level.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "TierLevelInput")]
pub struct TierLevel {
    pub name: String,
    /// Qualifying value over the window needed to reach the level.
    pub threshold: i64,
    /// Earning multiplier in % (150 = 1.5x).
    #[graphql(default = 100)]
    pub multiplier_percent: i64,
    /// Non-monetary perks (priority checkout, early access, upgrades, ...).
    #[graphql(default)]
    pub perks: Vec<String>,
}

/// Tiers: reaching a level's threshold over the rolling window moves a member up at once; the
/// level is kept for one window, then requalified or lowered to what the value then supports.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "TierRulesInput")]
pub struct TierRules {
    #[graphql(default_with = "TierBasis::Earned")]
    pub basis: TierBasis,
    #[graphql(default = 12)]
    pub window_months: u32,
    /// Name of the level every member starts at.
    pub base_name: String,
    /// Levels above the base, thresholds strictly increasing.
    pub levels: Vec<TierLevel>,
}

impl From<TierRules> for rules::TierRules {
    fn from(t: TierRules) -> Self {
        Self {
            basis: t.basis.into(),
            window_months: t.window_months,
            base_name: t.base_name.trim().to_owned(),
            levels: t
                .levels
                .into_iter()
                .map(|l| rules::TierLevel {
                    name: l.name.trim().to_owned(),
                    threshold: l.threshold,
                    multiplier_percent: l.multiplier_percent,
                    perks: l.perks.into_iter().map(|p| p.trim().to_owned()).collect(),
                })
                .collect(),
        }
    }
}

impl From<rules::TierRules> for TierRules {
    fn from(t: rules::TierRules) -> Self {
        Self {
            basis: t.basis.into(),
            window_months: t.window_months,
            base_name: t.base_name,
            levels: t
                .levels
                .into_iter()
                .map(|l| TierLevel {
                    name: l.name,
                    threshold: l.threshold,
                    multiplier_percent: l.multiplier_percent,
                    perks: l.perks,
                })
                .collect(),
        }
    }
}

/// Rules of a CASHBACK program (cagnotte): a share of each purchase credited as money in the
/// brand currency, spendable from the next purchase on (`cashbackMinor` of `recordPurchase`).
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "CashbackRulesInput")]
pub struct CashbackRules {
    /// Share of the earning base credited, in basis points (250 = 2.5 %).
    pub rate_basis_points: i64,
    #[graphql(default_with = "Rounding::Down")]
    pub rounding: Rounding,
    #[graphql(default_with = "EarningBase::NetOfDiscounts")]
    pub earning_base: EarningBase,
    #[graphql(default)]
    pub minimum_purchase_minor: i64,
    /// Per category, the rate in % of the base rate (200 = double).
    #[graphql(default)]
    pub category_multipliers: Vec<CategoryMultiplier>,
    pub tiers: Option<TierRules>,
    /// Whether cashback spent on a purchase is given back, in proportion, when it is returned.
    #[graphql(default = true)]
    pub refund_on_return: bool,
}

impl From<CashbackRules> for rules::CashbackRules {
    fn from(c: CashbackRules) -> Self {
        Self {
            rate_basis_points: c.rate_basis_points,
            rounding: c.rounding.into(),
            earning_base: c.earning_base.into(),
            minimum_purchase_minor: c.minimum_purchase_minor,
            category_multipliers: c.category_multipliers.into_iter().map(Into::into).collect(),
            tiers: c.tiers.map(Into::into),
            refund_on_return: c.refund_on_return,
        }
    }
}

impl From<rules::CashbackRules> for CashbackRules {
    fn from(c: rules::CashbackRules) -> Self {
        Self {
            rate_basis_points: c.rate_basis_points,
            rounding: c.rounding.into(),
            earning_base: c.earning_base.into(),
            minimum_purchase_minor: c.minimum_purchase_minor,
            category_multipliers: c.category_multipliers.into_iter().map(Into::into).collect(),
            tiers: c.tiers.map(Into::into),
            refund_on_return: c.refund_on_return,
        }
    }
}

/// Rules of a STAMPS program: stamps per qualifying purchase; a full card issues a reward
/// voucher to the member automatically.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "StampsRulesInput")]
pub struct StampsRules {
    #[graphql(default = 1)]
    pub stamps_per_purchase: i64,
    /// Only lines of this category count (every line when absent).
    pub category: Option<String>,
    /// Smallest qualifying amount: counted lines net of discounts, less the share paid with
    /// loyalty value.
    #[graphql(default)]
    pub minimum_purchase_minor: i64,
    /// Stamps that fill a card.
    pub stamps_for_reward: i64,
    /// The reward as shown on its voucher ("Free coffee").
    pub reward_label: String,
    /// The reward voucher's value in minor units (a gift's price), or...
    #[graphql(default)]
    pub reward_amount_minor: i64,
    /// ... its percentage off the basket. Exactly one of the two.
    #[graphql(default)]
    pub reward_percent: i32,
    #[graphql(default = 90)]
    pub reward_validity_days: i64,
}

impl From<StampsRules> for rules::StampsRules {
    fn from(s: StampsRules) -> Self {
        Self {
            stamps_per_purchase: s.stamps_per_purchase,
            category: s.category.map(|c| c.trim().to_owned()),
            minimum_purchase_minor: s.minimum_purchase_minor,
            stamps_for_reward: s.stamps_for_reward,
            reward_label: s.reward_label.trim().to_owned(),
            reward_amount_minor: s.reward_amount_minor,
            reward_percent: s.reward_percent,
            reward_validity_days: s.reward_validity_days,
        }
    }
}

impl From<rules::StampsRules> for StampsRules {
    fn from(s: rules::StampsRules) -> Self {
        Self {
            stamps_per_purchase: s.stamps_per_purchase,
            category: s.category,
            minimum_purchase_minor: s.minimum_purchase_minor,
            stamps_for_reward: s.stamps_for_reward,
            reward_label: s.reward_label,
            reward_amount_minor: s.reward_amount_minor,
            reward_percent: s.reward_percent,
            reward_validity_days: s.reward_validity_days,
        }
    }
}

impl From<PointsRules> for rules::PointsRules {
    fn from(r: PointsRules) -> Self {
        Self {
            points: r.points,
            per_amount_minor: r.per_amount_minor,
            rounding: r.rounding.into(),
            earning_base: r.earning_base.into(),
            minimum_purchase_minor: r.minimum_purchase_minor,
            category_multipliers: r.category_multipliers.into_iter().map(Into::into).collect(),
            bonus_periods: r
                .bonus_periods
                .into_iter()
                .map(|b| rules::BonusPeriod {
                    label: b.label,
                    starts_at: b.starts_at,
                    ends_at: b.ends_at,
                    percent: b.percent,
                })
                .collect(),
            welcome_bonus: r.welcome_bonus,
            birthday_bonus: r.birthday_bonus,
            validity_months: r.validity_months,
            point_value_minor: r.point_value_minor,
            minimum_redemption_points: r.minimum_redemption_points,
            tiers: r.tiers.map(Into::into),
        }
    }
}

impl From<rules::PointsRules> for PointsRules {
    fn from(r: rules::PointsRules) -> Self {
        Self {
            points: r.points,
            per_amount_minor: r.per_amount_minor,
            rounding: r.rounding.into(),
            earning_base: r.earning_base.into(),
            minimum_purchase_minor: r.minimum_purchase_minor,
            category_multipliers: r.category_multipliers.into_iter().map(Into::into).collect(),
            bonus_periods: r
                .bonus_periods
                .into_iter()
                .map(|b| BonusPeriod {
                    label: b.label,
                    starts_at: b.starts_at,
                    ends_at: b.ends_at,
                    percent: b.percent,
                })
                .collect(),
            welcome_bonus: r.welcome_bonus,
            birthday_bonus: r.birthday_bonus,
            validity_months: r.validity_months,
            point_value_minor: r.point_value_minor,
            minimum_redemption_points: r.minimum_redemption_points,
            tiers: r.tiers.map(Into::into),
        }
    }
}

/// Rules of a STORED_VALUE program: a prepaid balance, topped up, spent and refunded.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "StoredValueRulesInput")]
pub struct StoredValueRules {
    /// Largest balance a member may hold, in minor units.
    #[graphql(default = 50000)]
    pub max_balance_minor: i64,
    /// Smallest top-up, in minor units.
    #[graphql(default = 1000)]
    pub min_top_up_minor: i64,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::loyalty::programs::MembershipPeriod")]
pub enum MembershipPeriod {
    Monthly,
    Yearly,
}

/// Rules of a paid MEMBERSHIP program: a fee per period and its perks.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "MembershipRulesInput")]
pub struct MembershipRules {
    /// Fee per period, in minor units of the brand currency.
    pub fee_minor: i64,
    #[graphql(default_with = "MembershipPeriod::Yearly")]
    pub period: MembershipPeriod,
    /// % off every purchase while active (counted as the member's savings).
    #[graphql(default)]
    pub discount_percent: i64,
    /// Points multiplier while active, in % (100 = none).
    #[graphql(default = 100)]
    pub points_multiplier_percent: i64,
    /// Non-monetary perks (free delivery, priority checkout, ...).
    #[graphql(default)]
    pub perks: Vec<String>,
}

impl From<MembershipRules> for rules::MembershipRules {
    fn from(m: MembershipRules) -> Self {
        Self {
            fee_minor: m.fee_minor,
            period: m.period.into(),
            discount_percent: m.discount_percent,
            points_multiplier_percent: m.points_multiplier_percent,
            perks: m.perks.into_iter().map(|p| p.trim().to_owned()).collect(),
        }
    }
}

impl From<rules::MembershipRules> for MembershipRules {
    fn from(m: rules::MembershipRules) -> Self {
        Self {
            fee_minor: m.fee_minor,
            period: m.period.into(),
            discount_percent: m.discount_percent,
            points_multiplier_percent: m.points_multiplier_percent,
            perks: m.perks,
        }
    }
}

/// A loyalty program of the brand.
#[derive(SimpleObject, Clone)]
pub struct Program {
    pub id: ID,
    pub name: String,
    pub mechanic: Mechanic,
    pub status: ProgramStatus,
    /// When the rules shown took effect.
    pub effective_from: DateTime<Utc>,
    /// The rules, for a POINTS program.
    pub points: Option<PointsRules>,
    /// The rules, for a CASHBACK program.
    pub cashback: Option<CashbackRules>,
    /// The rules, for a STAMPS program.
    pub stamps: Option<StampsRules>,
    /// The rules, for a STORED_VALUE program.
    pub stored_value: Option<StoredValueRules>,
    /// The rules, for a paid MEMBERSHIP program.
    pub membership: Option<MembershipRules>,
    pub created_at: DateTime<Utc>,
}

impl From<ProgramWithRules> for Program {
    fn from(p: ProgramWithRules) -> Self {
        let (mut points, mut cashback, mut stamps, mut stored_value) = (None, None, None, None);
        let mut membership = None;
        match p.rules {
            Rules::Points(r) => points = Some(r.into()),
            Rules::Cashback(r) => cashback = Some(r.into()),
            Rules::Stamps(r) => stamps = Some(r.into()),
            Rules::Membership(r) => membership = Some(r.into()),
            Rules::StoredValue(s) => {
                stored_value = Some(StoredValueRules {
                    max_balance_minor: s.max_balance_minor,
                    min_top_up_minor: s.min_top_up_minor,
                });
            }
        }
        Self {
            id: ID(p.program.id.to_string()),
            name: p.program.name,
            mechanic: p.program.mechanic.into(),
            status: p.program.status.into(),
            effective_from: p.effective_from,
            points,
            cashback,
            stamps,
            stored_value,
            membership,
            created_at: p.program.created_at,
        }
    }
}

/// One mechanic's rules: exactly one field is set.
#[derive(InputObject)]
pub struct RulesInput {
    pub points: Option<PointsRules>,
    pub cashback: Option<CashbackRules>,
    pub stamps: Option<StampsRules>,
    pub stored_value: Option<StoredValueRules>,
    pub membership: Option<MembershipRules>,
}

impl RulesInput {
    pub(crate) fn into_rules(self) -> Result<Rules, crate::core::error::AppError> {
        let mut given: Vec<Rules> = Vec::new();
        given.extend(self.points.map(|r| Rules::Points(r.into())));
        given.extend(self.cashback.map(|r| Rules::Cashback(r.into())));
        given.extend(self.stamps.map(|r| Rules::Stamps(r.into())));
        given.extend(self.stored_value.map(|s| {
            Rules::StoredValue(crate::loyalty::programs::StoredValueRules {
                max_balance_minor: s.max_balance_minor,
                min_top_up_minor: s.min_top_up_minor,
            })
        }));
        given.extend(self.membership.map(|r| Rules::Membership(r.into())));
        match given.pop() {
            Some(rules) if given.is_empty() => Ok(rules),
            _ => Err(crate::core::error::AppError::validation(
                "rules",
                "give the rules of exactly one mechanic (points, cashback, stamps, storedValue or membership)",
            )),
        }
    }
}

#[derive(InputObject)]
pub struct CreateProgramInput {
    pub name: String,
    pub rules: RulesInput,
    /// When the rules start to apply (default now). May be in the past when importing a
    /// program's history: purchases recorded with earlier dates then earn under these rules.
    pub effective_from: Option<DateTime<Utc>>,
    /// Makes the call safe to retry: a replay returns the program the first call created.
    pub idempotency_key: Option<String>,
}

#[derive(Default)]
pub struct ProgramQuery;

#[Object]
impl ProgramQuery {
    /// The brand's programs with the rules in force now.
    #[graphql(
        guard = "PermissionGuard(Permission::ViewPrograms)",
        complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity + 1"
    )]
    async fn programs(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Program>> {
        let page = relay::page_request(first, after)?;
        let had_cursor = page.after.is_some();
        let programs = crate::loyalty::programs::list(ctx.scope()?, page).await?;
        Ok(relay::connection(
            programs,
            had_cursor,
            |p| p.program.id,
            Program::from,
        ))
    }

    #[graphql(guard = "PermissionGuard(Permission::ViewPrograms)")]
    async fn program(&self, ctx: &Context<'_>, id: ID) -> Result<Program> {
        Ok(
            crate::loyalty::programs::get(ctx.scope()?, crate::core::types::id("id", &id)?)
                .await?
                .into(),
        )
    }
}

#[derive(Default)]
pub struct ProgramMutation;

#[Object]
impl ProgramMutation {
    /// Creates a program; its rules apply from now. Replaying the same `idempotencyKey` returns
    /// the first program and creates nothing.
    #[graphql(guard = "PermissionGuard(Permission::ManagePrograms)")]
    async fn create_program(
        &self,
        ctx: &Context<'_>,
        input: CreateProgramInput,
    ) -> Result<Program> {
        let author = ctx.request()?.principal.user_id();
        let rules = input.rules.into_rules()?;
        Ok(crate::loyalty::programs::create(
            ctx.scope()?,
            author,
            &input.name,
            rules,
            input.effective_from,
            input.idempotency_key.as_deref(),
        )
        .await?
        .into())
    }

    /// Adds a version of a program's rules, in force from `effectiveFrom` (default now; never in
    /// the past). What was earned before is never recomputed.
    #[graphql(guard = "PermissionGuard(Permission::ManagePrograms)")]
    async fn update_program_rules(
        &self,
        ctx: &Context<'_>,
        program_id: ID,
        rules: RulesInput,
        effective_from: Option<DateTime<Utc>>,
    ) -> Result<Program> {
        let author = ctx.request()?.principal.user_id();
        let id = crate::core::types::id("programId", &program_id)?;
        Ok(crate::loyalty::programs::update_rules(
            ctx.scope()?,
            author,
            id,
            rules.into_rules()?,
            effective_from,
        )
        .await?
        .into())
    }
}
