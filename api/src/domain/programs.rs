//! Loyalty programs and their rules. Rules are dated versions: a change applies from its
//! effective date, and what was earned before is never recomputed.
//!
//! Earning arithmetic is integer-only (minor units, percentages, i128 intermediates) and rounds
//! once per purchase; the result is then allocated to lines so that a return takes back exactly
//! a line's share.

use chrono::{DateTime, Utc};
use entity::{program, program_rule};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::types::text;
use crate::{
    db::{
        page::{self, Page, PageRequest},
        scope::{Scoped, TenantScope},
    },
    error::AppError,
};

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
        };
        value.max(0)
    }
}

/// Points a purchase earns, in total and per line. `loyalty_paid_minor` (vouchers, cashback,
/// stored value used to pay) earns nothing: it is taken off the lines in proportion.
pub fn points_for(
    rules: &PointsRules,
    lines: &[EarningLine<'_>],
    loyalty_paid_minor: i64,
    at: DateTime<Utc>,
) -> (i64, Vec<i64>) {
    let gross: i128 = lines.iter().map(EarningLine::gross).sum();
    if lines.is_empty() || gross < i128::from(rules.minimum_purchase_minor) {
        return (0, vec![0; lines.len()]);
    }
    let bases: Vec<i128> = lines.iter().map(|l| l.base(rules.earning_base)).collect();
    let base_total: i128 = bases.iter().sum();
    let paid = i128::from(loyalty_paid_minor.max(0)).min(base_total);
    // Exact points of each line, as numerator / denominator.
    let denominator = i128::from(rules.per_amount_minor) * 100 * 100 * base_total.max(1);
    let bonus = i128::from(rules.bonus(at));
    let numerators: Vec<i128> = lines
        .iter()
        .zip(&bases)
        .map(|(line, base)| {
            // This line's base less its share of what loyalty value paid.
            let earning = base * base_total - paid * base;
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

/// The rules of a program as stored: tagged by mechanic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mechanic", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Rules {
    Points(PointsRules),
    StoredValue(StoredValueRules),
}

impl Rules {
    pub fn mechanic(&self) -> program::Mechanic {
        match self {
            Self::Points(_) => program::Mechanic::Points,
            Self::StoredValue(_) => program::Mechanic::StoredValue,
        }
    }

    fn validate(&self) -> Result<(), AppError> {
        match self {
            Self::Points(p) => p.validate(),
            Self::StoredValue(s) => s.validate(),
        }
    }

    pub fn points(&self) -> Option<&PointsRules> {
        match self {
            Self::Points(p) => Some(p),
            Self::StoredValue(_) => None,
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
pub async fn create(
    scope: &TenantScope,
    author: Option<Uuid>,
    name: &str,
    rules: Rules,
    effective_from: Option<DateTime<Utc>>,
) -> Result<ProgramWithRules, AppError> {
    let name = text("name", name, 200)?;
    rules.validate()?;
    let now = Utc::now();
    let tx = scope.begin().await?;
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
        created_at: Set(Utc::now()),
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
    let now = Utc::now();
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

/// The brand's active programs with the rules in force at `at`.
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
    let mut out = Vec::with_capacity(programs.len());
    for program in programs {
        if let Some((rules, effective_from)) = rules_at(tx, program.id, at).await? {
            out.push(ProgramWithRules {
                program,
                rules,
                effective_from,
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
    if let Some(found) = rules_at(tx, program, Utc::now()).await? {
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
        assert_eq!(points_for(&r, &lines, 0, Utc::now()).0, 4);
        r.rounding = Rounding::Up;
        assert_eq!(points_for(&r, &lines, 0, Utc::now()).0, 5);
        r.rounding = Rounding::Nearest;
        assert_eq!(points_for(&r, &lines, 0, Utc::now()).0, 4);
        assert_eq!(points_for(&r, &[line(None, 1, 4_500)], 0, Utc::now()).0, 5);
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
        assert_eq!(points_for(&r, &lines, 0, Utc::now()), (7, vec![6, 1]));
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
        assert_eq!(points_for(&r, &lines, 0, now).0, 14);
        assert_eq!(
            points_for(&r, &lines, 0, now + chrono::Duration::hours(2)).0,
            7
        );
        r.minimum_purchase_minor = 5_000;
        assert_eq!(
            points_for(&r, &lines, 0, now + chrono::Duration::hours(2)).0,
            0
        );
    }

    #[test]
    fn loyalty_paid_value_earns_nothing_and_discounts_follow_the_base() {
        let mut r = rules();
        let mut l = line(None, 1, 10_000);
        l.discount_minor = 2_000;
        l.tax_minor = 1_000;
        assert_eq!(points_for(&r, &[l.clone()], 0, Utc::now()).0, 8);
        assert_eq!(points_for(&r, &[l.clone()], 3_000, Utc::now()).0, 5);
        r.earning_base = EarningBase::Gross;
        assert_eq!(points_for(&r, &[l.clone()], 0, Utc::now()).0, 10);
        r.earning_base = EarningBase::NetOfTax;
        assert_eq!(points_for(&r, &[l], 0, Utc::now()).0, 7);
    }

    #[test]
    fn line_shares_always_add_up_to_the_rounded_total() {
        let mut r = rules();
        for rounding in [Rounding::Down, Rounding::Nearest, Rounding::Up] {
            r.rounding = rounding;
            for prices in [[333, 333, 334], [999, 1, 5_000], [4_999, 4_999, 4_999]] {
                let lines: Vec<_> = prices.iter().map(|p| line(None, 1, *p)).collect();
                let (total, shares) = points_for(&r, &lines, 0, Utc::now());
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
