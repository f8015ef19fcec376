//! Loyalty programs and their rules. Rules are dated versions: a change applies from its
//! effective date, and what was earned before is never recomputed.
//!
//! Earning arithmetic is integer-only (minor units, percentages, i128 intermediates) and rounds
//! once per purchase; the result is then allocated to lines so that a return takes back exactly
//! a line's share.
//!
//! Size: over 500 lines on purpose: the rule types of the five mechanics, their validation and
//! their pure earning functions read together (about 170 lines are unit tests); to split by
//! mechanic when offers add theirs (issue 11).

use chrono::{DateTime, Utc};
use entity::{program, program_rule};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::core::{
    error::AppError,
    page,
    page::{Page, PageRequest},
    tenancy::{Scoped, TenantScope},
    types::text,
};
use crate::loyalty::checkout::explanation::SkipReason;

/// How points are rounded, once per purchase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Rounding {
    Down,
    Nearest,
    Up,
}

/// What amount points are earned on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EarningBase {
    /// Quantity x unit price.
    Gross,
    /// Less line discounts.
    NetOfDiscounts,
    /// Less line discounts and tax.
    NetOfTax,
    /// Items, not money: `perAmountMinor` counts units bought ("10 items = 1 point"); category
    /// multipliers apply as usual. The part of the basket paid with loyalty value earns
    /// nothing, in proportion. POINTS programs only.
    Items,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryMultiplier {
    pub category: String,
    /// 200 = double points on this category.
    pub percent: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BonusPeriod {
    pub label: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// 200 = double points during the period. Overlapping periods do not stack: the highest wins.
    pub percent: i64,
}

/// Rules of a POINTS program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsRules {
    /// Points per step of `per_amount_minor` spent (1 point per 1000 cents = 1 point per 10 EUR).
    pub points: i64,
    pub per_amount_minor: i64,
    pub rounding: Rounding,
    pub earning_base: EarningBase,
    /// Purchases below this (gross) earn nothing.
    pub minimum_purchase_minor: i64,
    pub category_multipliers: Vec<CategoryMultiplier>,
    pub bonus_periods: Vec<BonusPeriod>,
    /// Points given at enrolment.
    pub welcome_bonus: i64,
    /// Points given on the member's birthday.
    pub birthday_bonus: i64,
    /// Months a point lives from the day it is earned.
    pub validity_months: u32,
    /// Value of one point in minor units when converted into a voucher (100 = 1 EUR).
    pub point_value_minor: i64,
    /// Smallest number of points that can be converted.
    pub minimum_redemption_points: i64,
    /// Tier levels, if the program has any.
    #[serde(default)]
    pub tiers: Option<TierRules>,
}

impl PointsRules {
    /// Checks every field; `prefix` names the input (e.g. `input.points`).
    pub fn validate(&self) -> Result<(), AppError> {
        let bad = |field: &'static str, message: &str| Err(AppError::validation(field, message));
        if !(1..=1_000_000).contains(&self.points) {
            return bad("points.points", "must be between 1 and 1000000");
        }
        if !(1..=100_000_000).contains(&self.per_amount_minor) {
            return bad("points.perAmountMinor", "must be between 1 and 100000000");
        }
        if self.minimum_purchase_minor < 0 {
            return bad("points.minimumPurchaseMinor", "must not be negative");
        }
        if self
            .category_multipliers
            .iter()
            .any(|m| !(0..=10_000).contains(&m.percent) || m.category.trim().is_empty())
        {
            return bad(
                "points.categoryMultipliers",
                "need a category and a percent between 0 and 10000",
            );
        }
        if self
            .bonus_periods
            .iter()
            .any(|b| b.ends_at <= b.starts_at || !(100..=10_000).contains(&b.percent))
        {
            return bad(
                "points.bonusPeriods",
                "need an end after the start and a percent between 100 and 10000",
            );
        }
        if !(0..=1_000_000).contains(&self.welcome_bonus)
            || !(0..=1_000_000).contains(&self.birthday_bonus)
        {
            return bad(
                "points.welcomeBonus",
                "bonuses must be between 0 and 1000000",
            );
        }
        if !(1..=120).contains(&self.validity_months) {
            return bad("points.validityMonths", "must be between 1 and 120");
        }
        if !(1..=1_000_000).contains(&self.point_value_minor) {
            return bad("points.pointValueMinor", "must be between 1 and 1000000");
        }
        if self.minimum_redemption_points < 1 {
            return bad("points.minimumRedemptionPoints", "must be at least 1");
        }
        if let Some(tiers) = &self.tiers {
            tiers.validate("points.tiers")?;
        }
        Ok(())
    }

    fn multiplier(&self, category: Option<&str>) -> i64 {
        category
            .and_then(|c| self.category_multipliers.iter().find(|m| m.category == c))
            .map_or(100, |m| m.percent)
    }

    fn bonus(&self, at: DateTime<Utc>) -> i64 {
        self.bonus_periods
            .iter()
            .filter(|b| b.starts_at <= at && at < b.ends_at)
            .map(|b| b.percent)
            .max()
            .unwrap_or(100)
    }
}

/// A purchase line as the earning rules see it.
#[derive(Debug, Clone)]
pub struct EarningLine<'a> {
    pub category: Option<&'a str>,
    pub quantity: i64,
    pub unit_price_minor: i64,
    pub discount_minor: i64,
    pub tax_minor: i64,
}

impl EarningLine<'_> {
    fn gross(&self) -> i128 {
        i128::from(self.quantity) * i128::from(self.unit_price_minor)
    }

    fn base(&self, base: EarningBase) -> i128 {
        let gross = self.gross();
        let value = match base {
            EarningBase::Gross => gross,
            EarningBase::NetOfDiscounts => gross - i128::from(self.discount_minor),
            EarningBase::NetOfTax => {
                gross - i128::from(self.discount_minor) - i128::from(self.tax_minor)
            }
            EarningBase::Items => i128::from(self.quantity),
        };
        value.max(0)
    }
}

/// Why a basket earns nothing under points (or cashback) rules, for the checkout's
/// explanation; only meaningful when [`points_for`] gave 0.
pub fn why_nothing(
    rules: &PointsRules,
    lines: &[EarningLine<'_>],
    loyalty_paid_minor: i64,
) -> SkipReason {
    let gross: i128 = lines.iter().map(EarningLine::gross).sum();
    if lines.is_empty() || gross < i128::from(rules.minimum_purchase_minor) {
        return SkipReason::MinimumBasketNotReached;
    }
    if lines.iter().all(|l| rules.multiplier(l.category) == 0) {
        return SkipReason::CategoryExcluded;
    }
    let money: i128 = lines
        .iter()
        .map(|l| l.base(EarningBase::NetOfDiscounts))
        .sum();
    if i128::from(loyalty_paid_minor.max(0)) >= money {
        return SkipReason::PaidWithLoyaltyValue;
    }
    SkipReason::TooSmall
}

/// Points a purchase earns, in total and per line. `loyalty_paid_minor` (vouchers, cashback
/// used to pay) earns nothing: it is taken off the lines in proportion. `tier_percent` is the
/// member's tier multiplier (100 = none).
pub fn points_for(
    rules: &PointsRules,
    lines: &[EarningLine<'_>],
    loyalty_paid_minor: i64,
    at: DateTime<Utc>,
    tier_percent: i64,
) -> (i64, Vec<i64>) {
    let gross: i128 = lines.iter().map(EarningLine::gross).sum();
    if lines.is_empty() || gross < i128::from(rules.minimum_purchase_minor) {
        return (0, vec![0; lines.len()]);
    }
    let bases: Vec<i128> = lines.iter().map(|l| l.base(rules.earning_base)).collect();
    // What loyalty value paid is taken off in proportion to the money of the basket (for a
    // money base, the base itself; for items, the lines' net value).
    let money_total: i128 = match rules.earning_base {
        EarningBase::Items => lines
            .iter()
            .map(|l| l.base(EarningBase::NetOfDiscounts))
            .sum(),
        _ => bases.iter().sum(),
    };
    let paid = i128::from(loyalty_paid_minor.max(0)).min(money_total);
    // Exact points of each line, as numerator / denominator.
    let denominator = i128::from(rules.per_amount_minor) * 100 * 100 * 100 * money_total.max(1);
    let bonus = i128::from(rules.bonus(at)) * i128::from(tier_percent.max(0));
    let numerators: Vec<i128> = lines
        .iter()
        .zip(&bases)
        .map(|(line, base)| {
            // This line's base less its share of what loyalty value paid.
            let earning = base * (money_total - paid);
            earning * i128::from(rules.multiplier(line.category)) * bonus * i128::from(rules.points)
        })
        .collect();
    let exact: i128 = numerators.iter().sum();
    let total = match rules.rounding {
        Rounding::Down => exact / denominator,
        Rounding::Up => (exact + denominator - 1) / denominator,
        Rounding::Nearest => (exact * 2 + denominator) / (denominator * 2),
    };
    // Largest-remainder allocation of the rounded total to lines.
    let mut shares: Vec<i128> = numerators.iter().map(|n| n / denominator).collect();
    let mut left = total - shares.iter().sum::<i128>();
    let mut order: Vec<usize> = (0..lines.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(numerators[i] % denominator));
    for &i in order.iter().cycle().take(lines.len() * 2) {
        if left == 0 {
            break;
        }
        if left > 0 {
            shares[i] += 1;
            left -= 1;
        } else if shares[i] > 0 {
            shares[i] -= 1;
            left += 1;
        }
    }
    let to_i64 = |v: i128| i64::try_from(v).unwrap_or(i64::MAX);
    (to_i64(total), shares.into_iter().map(to_i64).collect())
}

/// Rules of a STORED_VALUE program (a prepaid balance beside the loyalty one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredValueRules {
    /// Largest balance a member may hold, in minor units.
    pub max_balance_minor: i64,
    /// Smallest top-up, in minor units.
    pub min_top_up_minor: i64,
}

impl StoredValueRules {
    pub fn validate(&self) -> Result<(), AppError> {
        if !(1..=100_000_000).contains(&self.max_balance_minor) {
            return Err(AppError::validation(
                "storedValue.maxBalanceMinor",
                "must be between 1 and 100000000",
            ));
        }
        if !(1..=self.max_balance_minor).contains(&self.min_top_up_minor) {
            return Err(AppError::validation(
                "storedValue.minTopUpMinor",
                "must be between 1 and the maximum balance",
            ));
        }
        Ok(())
    }
}

/// What tiers are earned on, over the rolling window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TierBasis {
    /// What the program gave for purchases (points, or cashback in minor units), net of returns.
    /// Bonuses and gestures do not count.
    Earned,
    /// Purchase amounts net of discounts and returns, in minor units.
    Spend,
}

/// One level above the base level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierLevel {
    pub name: String,
    /// Qualifying value over the window needed to reach the level.
    pub threshold: i64,
    /// Monetary perk: earning multiplier in % (150 = 1.5x).
    pub multiplier_percent: i64,
    /// Non-monetary perks, as shown to the member (priority checkout, early access, ...).
    pub perks: Vec<String>,
}

/// Tiers of a program: a member reaching a level's threshold over the rolling window moves up at
/// once and keeps the level for a window; at its end the member requalifies (still at or above
/// the threshold over the window that ends then) or moves down to the level the value supports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierRules {
    pub basis: TierBasis,
    pub window_months: u32,
    /// Name of the level every member starts at.
    pub base_name: String,
    /// Levels above the base, thresholds strictly increasing.
    pub levels: Vec<TierLevel>,
}

impl TierRules {
    fn validate(&self, field: &'static str) -> Result<(), AppError> {
        let bad = |message: &str| Err(AppError::validation(field, message));
        if !(1..=60).contains(&self.window_months) {
            return bad("windowMonths must be between 1 and 60");
        }
        if self.base_name.trim().is_empty() || self.base_name.len() > 100 {
            return bad("baseName must be 1 to 100 characters");
        }
        if self.levels.is_empty() || self.levels.len() > 10 {
            return bad("need 1 to 10 levels");
        }
        let mut previous = 0;
        for level in &self.levels {
            if level.name.trim().is_empty() || level.name.len() > 100 {
                return bad("level names must be 1 to 100 characters");
            }
            if level.threshold <= previous {
                return bad("thresholds must be positive and strictly increasing");
            }
            previous = level.threshold;
            if !(100..=1_000).contains(&level.multiplier_percent) {
                return bad("multiplierPercent must be between 100 and 1000");
            }
            if level.perks.len() > 20
                || level
                    .perks
                    .iter()
                    .any(|p| p.trim().is_empty() || p.len() > 200)
            {
                return bad("at most 20 perks of 1 to 200 characters");
            }
        }
        Ok(())
    }

    /// The level (0 = base) a qualifying value reaches.
    pub fn level_for(&self, value: i64) -> i32 {
        let reached = self.levels.iter().filter(|l| value >= l.threshold).count();
        i32::try_from(reached).unwrap_or(0)
    }

    /// Name of a level (0 = base).
    pub fn name_of(&self, level: i32) -> &str {
        match usize::try_from(level) {
            Ok(0) | Err(_) => &self.base_name,
            Ok(i) => self.levels.get(i - 1).map_or(&self.base_name, |l| &l.name),
        }
    }

    /// The level's earning multiplier in % (100 for the base level).
    pub fn multiplier_of(&self, level: i32) -> i64 {
        usize::try_from(level)
            .ok()
            .and_then(|i| i.checked_sub(1))
            .and_then(|i| self.levels.get(i))
            .map_or(100, |l| l.multiplier_percent)
    }
}

/// Rules of a CASHBACK program (cagnotte): a share of each purchase credited as money, spendable
/// from the next purchase on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashbackRules {
    /// Share of the earning base credited, in basis points (250 = 2.5 %).
    pub rate_basis_points: i64,
    pub rounding: Rounding,
    pub earning_base: EarningBase,
    /// Purchases below this (gross) earn nothing.
    pub minimum_purchase_minor: i64,
    /// Per-category multipliers in % of the rate (200 = double rate on the category).
    pub category_multipliers: Vec<CategoryMultiplier>,
    #[serde(default)]
    pub tiers: Option<TierRules>,
    /// Whether cashback spent on a purchase is given back, in proportion, when it is returned.
    #[serde(default = "yes")]
    pub refund_on_return: bool,
}

fn yes() -> bool {
    true
}

impl CashbackRules {
    pub fn validate(&self) -> Result<(), AppError> {
        if self.earning_base == EarningBase::Items {
            return Err(AppError::validation(
                "cashback.earningBase",
                "ITEMS is for points programs: cashback is a share of money",
            ));
        }
        if !(1..=5_000).contains(&self.rate_basis_points) {
            return Err(AppError::validation(
                "cashback.rateBasisPoints",
                "must be between 1 and 5000 (0.01 % to 50 %)",
            ));
        }
        if self.minimum_purchase_minor < 0 {
            return Err(AppError::validation(
                "cashback.minimumPurchaseMinor",
                "must not be negative",
            ));
        }
        if self
            .category_multipliers
            .iter()
            .any(|m| !(0..=1_000).contains(&m.percent) || m.category.trim().is_empty())
        {
            return Err(AppError::validation(
                "cashback.categoryMultipliers",
                "need a category and a percent between 0 and 1000",
            ));
        }
        if let Some(tiers) = &self.tiers {
            tiers.validate("cashback.tiers")?;
        }
        Ok(())
    }

    /// The same arithmetic as points: `rate` "points" (minor units) per 10000 minor units.
    pub fn as_points_rules(&self) -> PointsRules {
        PointsRules {
            points: self.rate_basis_points,
            per_amount_minor: 10_000,
            rounding: self.rounding,
            earning_base: self.earning_base,
            minimum_purchase_minor: self.minimum_purchase_minor,
            category_multipliers: self.category_multipliers.clone(),
            bonus_periods: Vec::new(),
            welcome_bonus: 0,
            birthday_bonus: 0,
            validity_months: 120,
            point_value_minor: 1,
            minimum_redemption_points: 1,
            tiers: None,
        }
    }
}

/// Rules of a STAMPS program: stamps per qualifying purchase; a full card issues a reward.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StampsRules {
    pub stamps_per_purchase: i64,
    /// Only lines of this category count (every line when absent).
    pub category: Option<String>,
    /// Smallest qualifying amount: the counted lines net of discounts, less the share paid with
    /// loyalty value.
    pub minimum_purchase_minor: i64,
    /// Stamps that fill a card.
    pub stamps_for_reward: i64,
    /// The reward, shown on its voucher ("Free coffee").
    pub reward_label: String,
    /// The reward voucher's value in minor units (the gift's price)...
    pub reward_amount_minor: i64,
    /// ... or its percentage off the basket (exactly one of the two is set).
    pub reward_percent: i32,
    pub reward_validity_days: i64,
}

impl StampsRules {
    pub fn validate(&self) -> Result<(), AppError> {
        let bad = |field: &'static str, message: &str| Err(AppError::validation(field, message));
        if !(1..=100).contains(&self.stamps_per_purchase) {
            return bad("stamps.stampsPerPurchase", "must be between 1 and 100");
        }
        if self
            .category
            .as_deref()
            .is_some_and(|c| c.trim().is_empty() || c.len() > 64)
        {
            return bad("stamps.category", "must be 1 to 64 characters");
        }
        if self.minimum_purchase_minor < 0 {
            return bad("stamps.minimumPurchaseMinor", "must not be negative");
        }
        if !(2..=1_000).contains(&self.stamps_for_reward) {
            return bad("stamps.stampsForReward", "must be between 2 and 1000");
        }
        if self.reward_label.trim().is_empty() || self.reward_label.len() > 200 {
            return bad("stamps.rewardLabel", "must be 1 to 200 characters");
        }
        match (self.reward_amount_minor, self.reward_percent) {
            (a, 0) if (1..=10_000_000).contains(&a) => {}
            (0, p) if (1..=100).contains(&p) => {}
            _ => {
                return bad(
                    "stamps.rewardAmountMinor",
                    "set either an amount (1 to 10000000) or a percent (1 to 100)",
                );
            }
        }
        if !(1..=3650).contains(&self.reward_validity_days) {
            return bad("stamps.rewardValidityDays", "must be between 1 and 3650");
        }
        Ok(())
    }

    /// Stamps a purchase earns: `stamps_per_purchase` when the counted lines, less their share of
    /// what loyalty value paid, reach the minimum (and at least one line counts).
    /// Why a basket earns no stamp, for the checkout's explanation; only meaningful when
    /// [`stamps_for`](Self::stamps_for) gave 0.
    pub fn why_nothing(&self, lines: &[EarningLine<'_>], loyalty_paid_minor: i64) -> SkipReason {
        let counted = lines.iter().any(|l| {
            self.category
                .as_deref()
                .is_none_or(|c| l.category == Some(c))
        });
        if !counted {
            return SkipReason::CategoryExcluded;
        }
        let total: i128 = lines
            .iter()
            .map(|l| l.base(EarningBase::NetOfDiscounts))
            .sum();
        if total > 0 && i128::from(loyalty_paid_minor.max(0)) >= total {
            return SkipReason::PaidWithLoyaltyValue;
        }
        SkipReason::MinimumBasketNotReached
    }

    pub fn stamps_for(&self, lines: &[EarningLine<'_>], loyalty_paid_minor: i64) -> i64 {
        let net = |l: &EarningLine<'_>| l.base(EarningBase::NetOfDiscounts);
        let counted: Vec<&EarningLine<'_>> = lines
            .iter()
            .filter(|l| {
                self.category
                    .as_deref()
                    .is_none_or(|c| l.category == Some(c))
            })
            .collect();
        if counted.is_empty() {
            return 0;
        }
        let total: i128 = lines.iter().map(net).sum();
        let counted_net: i128 = counted.iter().map(|l| net(l)).sum();
        let paid = i128::from(loyalty_paid_minor.max(0)).min(total);
        let qualifying = if total > 0 {
            counted_net - paid * counted_net / total
        } else {
            0
        };
        if qualifying >= i128::from(self.minimum_purchase_minor) && qualifying > 0 {
            self.stamps_per_purchase
        } else {
            0
        }
    }
}

/// How long a membership period lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MembershipPeriod {
    Monthly,
    Yearly,
}

impl MembershipPeriod {
    pub fn months(self) -> u32 {
        match self {
            Self::Monthly => 1,
            Self::Yearly => 12,
        }
    }
}

/// Rules of a paid MEMBERSHIP program: a fee per period and the perks it gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipRules {
    /// Fee per period, in minor units of the brand currency.
    pub fee_minor: i64,
    pub period: MembershipPeriod,
    /// Monetary perk: % off every purchase while the membership is active (it counts as savings).
    pub discount_percent: i64,
    /// Monetary perk: multiplier on points earned while active, in % (100 = none).
    pub points_multiplier_percent: i64,
    /// Non-monetary perks (free delivery, priority checkout, ...).
    pub perks: Vec<String>,
}

impl MembershipRules {
    pub fn validate(&self) -> Result<(), AppError> {
        let bad = |field: &'static str, message: &str| Err(AppError::validation(field, message));
        // A fee of 0 is a free card (discount or multiplier without a fee).
        if !(0..=10_000_000).contains(&self.fee_minor) {
            return bad(
                "membership.feeMinor",
                "must be between 0 (a free card) and 10000000",
            );
        }
        if !(0..=100).contains(&self.discount_percent) {
            return bad(
                "membership.discountPercent",
                "must be between 0 and 100 (% off every purchase)",
            );
        }
        if !(100..=500).contains(&self.points_multiplier_percent) {
            return bad(
                "membership.pointsMultiplierPercent",
                "must be between 100 and 500",
            );
        }
        if self.perks.len() > 20
            || self
                .perks
                .iter()
                .any(|p| p.trim().is_empty() || p.len() > 200)
        {
            return bad(
                "membership.perks",
                "at most 20 perks of 1 to 200 characters",
            );
        }
        Ok(())
    }
}

/// The rules of a program as stored: tagged by mechanic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mechanic", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Rules {
    Points(PointsRules),
    Cashback(CashbackRules),
    Stamps(StampsRules),
    StoredValue(StoredValueRules),
    Membership(MembershipRules),
}

impl Rules {
    pub fn mechanic(&self) -> program::Mechanic {
        match self {
            Self::Points(_) => program::Mechanic::Points,
            Self::Cashback(_) => program::Mechanic::Cashback,
            Self::Stamps(_) => program::Mechanic::Stamps,
            Self::StoredValue(_) => program::Mechanic::StoredValue,
            Self::Membership(_) => program::Mechanic::Membership,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), AppError> {
        match self {
            Self::Points(p) => p.validate(),
            Self::Cashback(c) => c.validate(),
            Self::Stamps(s) => s.validate(),
            Self::StoredValue(s) => s.validate(),
            Self::Membership(m) => m.validate(),
        }
    }

    pub fn points(&self) -> Option<&PointsRules> {
        match self {
            Self::Points(p) => Some(p),
            _ => None,
        }
    }

    /// The program's tiers, if it has any.
    pub fn tiers(&self) -> Option<&TierRules> {
        match self {
            Self::Points(p) => p.tiers.as_ref(),
            Self::Cashback(c) => c.tiers.as_ref(),
            _ => None,
        }
    }
}

/// A program with the rules in force now.
#[derive(Debug, Clone)]
pub struct ProgramWithRules {
    pub program: program::Model,
    pub rules: Rules,
    pub effective_from: DateTime<Utc>,
}

fn decode(rule: &program_rule::Model) -> Result<Rules, AppError> {
    serde_json::from_value(rule.rules.clone())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("stored rules do not parse: {e}")))
}

/// Creates a program. `effective_from` may be in the past for a brand bringing its history
/// (purchases imported with their dates then earn under these rules); nothing exists yet that
/// it could rewrite.
/// Creates a program. A replay with the same idempotency key returns the program the first
/// call created and creates nothing.
pub async fn create(
    scope: &TenantScope,
    author: Option<Uuid>,
    name: &str,
    rules: Rules,
    effective_from: Option<DateTime<Utc>>,
    idempotency_key: Option<&str>,
) -> Result<ProgramWithRules, AppError> {
    let idem = crate::core::idempotency::Idempotency::optional(
        scope.tenant_id().to_string(),
        "createProgram",
        idempotency_key,
        &(name, &rules, effective_from),
    )?;
    let name = text("name", name, 200)?;
    rules.validate()?;
    let now = scope.now();
    let tx = scope.begin().await?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.claim(tx.db()).await?
    {
        drop(tx);
        let id = crate::core::idempotency::recorded_id(&previous, "programId")?;
        return get(scope, id).await;
    }
    let program = tx
        .insert(program::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(scope.tenant_id()),
            name: Set(name),
            mechanic: Set(rules.mechanic()),
            status: Set(program::ProgramStatus::Active),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .await?;
    let from = effective_from.unwrap_or(now);
    insert_rules(&tx, program.id, author, from, &rules).await?;
    if let Some(idem) = &idem {
        idem.record(tx.db(), serde_json::json!({ "programId": program.id }))
            .await?;
    }
    tx.commit().await?;
    Ok(ProgramWithRules {
        program,
        rules,
        effective_from: from,
    })
}

async fn insert_rules<C: ConnectionTrait>(
    tx: &Scoped<C>,
    program: Uuid,
    author: Option<Uuid>,
    effective_from: DateTime<Utc>,
    rules: &Rules,
) -> Result<(), AppError> {
    tx.insert(program_rule::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tx.tenant_id()),
        program_id: Set(program),
        effective_from: Set(effective_from),
        rules: Set(serde_json::to_value(rules).map_err(|e| AppError::Internal(e.into()))?),
        created_by: Set(author),
        created_at: Set(tx.now()),
    })
    .await?;
    Ok(())
}

/// Adds a version of the rules, in force from `effective_from` (now if absent; never in the past,
/// so that nothing already earned changes).
pub async fn update_rules(
    scope: &TenantScope,
    author: Option<Uuid>,
    program_id: Uuid,
    rules: Rules,
    effective_from: Option<DateTime<Utc>>,
) -> Result<ProgramWithRules, AppError> {
    rules.validate()?;
    let now = scope.now();
    let from = effective_from.unwrap_or(now);
    if from < now - chrono::Duration::seconds(60) {
        return Err(AppError::validation(
            "effectiveFrom",
            "must not be in the past: past earnings never change",
        ));
    }
    let tx = scope.begin().await?;
    let program = tx.get::<program::Entity>(program_id).await?;
    if program.mechanic != rules.mechanic() {
        return Err(AppError::validation(
            "rules",
            "must be rules of the program's mechanic",
        ));
    }
    insert_rules(&tx, program.id, author, from, &rules).await?;
    tx.commit().await?;
    Ok(ProgramWithRules {
        program,
        rules,
        effective_from: from,
    })
}

/// The rules of a program in force at `at`, if the program had started by then.
pub async fn rules_at<C: ConnectionTrait>(
    tx: &Scoped<C>,
    program: Uuid,
    at: DateTime<Utc>,
) -> Result<Option<(Rules, DateTime<Utc>)>, AppError> {
    let rule = tx
        .find::<program_rule::Entity>()
        .filter(program_rule::Column::ProgramId.eq(program))
        .filter(program_rule::Column::EffectiveFrom.lte(at))
        .order_by_desc(program_rule::Column::EffectiveFrom)
        .order_by_desc(program_rule::Column::Id)
        .one(tx.db())
        .await?;
    rule.map(|r| Ok((decode(&r)?, r.effective_from)))
        .transpose()
}

/// The brand's active programs with the rules in force at `at` (two queries, whatever the
/// number of programs: this runs on every purchase).
pub async fn active_at<C: ConnectionTrait>(
    tx: &Scoped<C>,
    at: DateTime<Utc>,
) -> Result<Vec<ProgramWithRules>, AppError> {
    let programs = tx
        .find::<program::Entity>()
        .filter(program::Column::Status.eq(program::ProgramStatus::Active))
        .order_by_asc(program::Column::Id)
        .all(tx.db())
        .await?;
    if programs.is_empty() {
        return Ok(Vec::new());
    }
    let rules = tx
        .find::<program_rule::Entity>()
        .filter(program_rule::Column::ProgramId.is_in(programs.iter().map(|p| p.id)))
        .filter(program_rule::Column::EffectiveFrom.lte(at))
        .order_by_desc(program_rule::Column::EffectiveFrom)
        .order_by_desc(program_rule::Column::Id)
        .all(tx.db())
        .await?;
    let mut out = Vec::with_capacity(programs.len());
    for program in programs {
        // The latest version in force: the first of this program's rows in that order.
        if let Some(rule) = rules.iter().find(|r| r.program_id == program.id) {
            out.push(ProgramWithRules {
                rules: decode(rule)?,
                effective_from: rule.effective_from,
                program,
            });
        }
    }
    Ok(out)
}

pub async fn get(scope: &TenantScope, id: Uuid) -> Result<ProgramWithRules, AppError> {
    let conn = scope.conn();
    let program = conn.get::<program::Entity>(id).await?;
    let (rules, effective_from) = current_or_first(&conn, program.id).await?;
    Ok(ProgramWithRules {
        program,
        rules,
        effective_from,
    })
}

/// Rules in force now, or the first version if none is yet.
async fn current_or_first<C: ConnectionTrait>(
    tx: &Scoped<C>,
    program: Uuid,
) -> Result<(Rules, DateTime<Utc>), AppError> {
    if let Some(found) = rules_at(tx, program, tx.now()).await? {
        return Ok(found);
    }
    let first = tx
        .find::<program_rule::Entity>()
        .filter(program_rule::Column::ProgramId.eq(program))
        .order_by_asc(program_rule::Column::EffectiveFrom)
        .one(tx.db())
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("program without rules")))?;
    Ok((decode(&first)?, first.effective_from))
}

pub async fn list(
    scope: &TenantScope,
    page: PageRequest,
) -> Result<Page<ProgramWithRules>, AppError> {
    let conn = scope.conn();
    let programs = page::fetch(
        conn.db(),
        conn.find::<program::Entity>(),
        program::Column::Id,
        page,
    )
    .await?;
    let mut items = Vec::with_capacity(programs.items.len());
    for program in programs.items {
        let (rules, effective_from) = current_or_first(&conn, program.id).await?;
        items.push(ProgramWithRules {
            program,
            rules,
            effective_from,
        });
    }
    Ok(Page {
        items,
        has_next_page: programs.has_next_page,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> PointsRules {
        PointsRules {
            points: 1,
            per_amount_minor: 1000,
            rounding: Rounding::Down,
            earning_base: EarningBase::NetOfDiscounts,
            minimum_purchase_minor: 0,
            category_multipliers: vec![],
            bonus_periods: vec![],
            welcome_bonus: 0,
            birthday_bonus: 0,
            validity_months: 12,
            point_value_minor: 100,
            minimum_redemption_points: 25,
            tiers: None,
        }
    }

    fn line(category: Option<&str>, quantity: i64, unit: i64) -> EarningLine<'_> {
        EarningLine {
            category,
            quantity,
            unit_price_minor: unit,
            discount_minor: 0,
            tax_minor: 0,
        }
    }

    #[test]
    fn one_point_per_ten_euros_rounds_as_configured() {
        let mut r = rules();
        let lines = [line(None, 1, 4_250)];
        assert_eq!(points_for(&r, &lines, 0, Utc::now(), 100).0, 4);
        r.rounding = Rounding::Up;
        assert_eq!(points_for(&r, &lines, 0, Utc::now(), 100).0, 5);
        r.rounding = Rounding::Nearest;
        assert_eq!(points_for(&r, &lines, 0, Utc::now(), 100).0, 4);
        assert_eq!(
            points_for(&r, &[line(None, 1, 4_500)], 0, Utc::now(), 100).0,
            5
        );
    }

    #[test]
    fn multipliers_bonus_periods_and_minimum_purchase_apply() {
        let mut r = rules();
        r.category_multipliers = vec![CategoryMultiplier {
            category: "wine".into(),
            percent: 200,
        }];
        let lines = [line(Some("wine"), 2, 1_500), line(Some("bread"), 1, 1_000)];
        // wine 30 EUR x2 = 6 points, bread 10 EUR = 1 point.
        assert_eq!(points_for(&r, &lines, 0, Utc::now(), 100), (7, vec![6, 1]));
        let now = Utc::now();
        r.bonus_periods = vec![
            BonusPeriod {
                label: "weekend".into(),
                starts_at: now - chrono::Duration::hours(1),
                ends_at: now + chrono::Duration::hours(1),
                percent: 200,
            },
            BonusPeriod {
                label: "overlap".into(),
                starts_at: now - chrono::Duration::hours(1),
                ends_at: now + chrono::Duration::hours(1),
                percent: 150,
            },
        ];
        assert_eq!(points_for(&r, &lines, 0, now, 100).0, 14);
        assert_eq!(
            points_for(&r, &lines, 0, now + chrono::Duration::hours(2), 100).0,
            7
        );
        r.minimum_purchase_minor = 5_000;
        assert_eq!(
            points_for(&r, &lines, 0, now + chrono::Duration::hours(2), 100).0,
            0
        );
    }

    #[test]
    fn loyalty_paid_value_earns_nothing_and_discounts_follow_the_base() {
        let mut r = rules();
        let mut l = line(None, 1, 10_000);
        l.discount_minor = 2_000;
        l.tax_minor = 1_000;
        assert_eq!(points_for(&r, &[l.clone()], 0, Utc::now(), 100).0, 8);
        assert_eq!(points_for(&r, &[l.clone()], 3_000, Utc::now(), 100).0, 5);
        r.earning_base = EarningBase::Gross;
        assert_eq!(points_for(&r, &[l.clone()], 0, Utc::now(), 100).0, 10);
        r.earning_base = EarningBase::NetOfTax;
        assert_eq!(points_for(&r, &[l], 0, Utc::now(), 100).0, 7);
    }

    #[test]
    fn line_shares_always_add_up_to_the_rounded_total() {
        let mut r = rules();
        for rounding in [Rounding::Down, Rounding::Nearest, Rounding::Up] {
            r.rounding = rounding;
            for prices in [[333, 333, 334], [999, 1, 5_000], [4_999, 4_999, 4_999]] {
                let lines: Vec<_> = prices.iter().map(|p| line(None, 1, *p)).collect();
                let (total, shares) = points_for(&r, &lines, 0, Utc::now(), 100);
                assert_eq!(shares.iter().sum::<i64>(), total, "{rounding:?} {prices:?}");
                assert!(shares.iter().all(|s| *s >= 0));
            }
        }
    }

    #[test]
    fn rules_are_checked() {
        let mut r = rules();
        assert!(r.validate().is_ok());
        r.per_amount_minor = 0;
        assert!(r.validate().is_err());
        let mut r = rules();
        r.validity_months = 0;
        assert!(r.validate().is_err());
    }
}
