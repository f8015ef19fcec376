//! The earning step: what one program gives for the basket (points, cashback or stamps), after
//! the money steps, with the tier's and the paid memberships' multipliers. Pure; the caller
//! books it. Invariant: loyalty value paid earns nothing, and a line's points add up to the
//! purchase's.

use chrono::{DateTime, Utc};

use super::{
    Earning, MAX_POINTS_PER_PURCHASE,
    basket::Basket,
    explanation::{StepKind, StepLine},
};
use crate::{
    core::{error::AppError, money::Points},
    loyalty::{
        members::add_months,
        programs::{self, EarningLine, ProgramWithRules, Rules},
    },
};

/// What a program gives: the earning, each line's points, and the explanation line. `None` for
/// programs that give nothing at a checkout (stored value, memberships).
pub struct Earned {
    pub earning: Earning,
    pub line_points: Vec<i64>,
    pub line: StepLine,
}

/// Computes one program's earning. `tier_percent` is the member's tier multiplier in that
/// program; the basket carries the memberships' multiplier (points only, not cashback).
/// `lines` are the basket's [`Basket::earning_lines`], built once for every program.
pub fn earn(
    basket: &Basket,
    lines: &[EarningLine<'_>],
    program: &ProgramWithRules,
    tier_percent: i64,
    occurred_at: DateTime<Utc>,
) -> Result<Option<Earned>, AppError> {
    let paid = basket.loyalty_paid.minor();
    let name = &program.program.name;
    let mut earning = Earning {
        program_id: program.program.id,
        program_name: name.clone(),
        points: 0,
        expires_at: None,
        cashback_minor: 0,
        stamps: 0,
        rewards: Vec::new(),
        tier: None,
    };
    let mut line_points = vec![0; lines.len()];
    let line = match &program.rules {
        Rules::Points(rules) => {
            let points_percent = tier_percent * basket.points_percent / 100;
            let (points, shares) =
                programs::points_for(rules, lines, paid, occurred_at, points_percent);
            if points > MAX_POINTS_PER_PURCHASE {
                return Err(AppError::validation(
                    "input.totalMinor",
                    format!(
                        "would earn more than {MAX_POINTS_PER_PURCHASE} points in {name}: \
                         check the program's rules"
                    ),
                ));
            }
            if points > 0 {
                line_points = shares;
                earning.points = points;
                earning.expires_at = Some(add_months(occurred_at, rules.validity_months));
                StepLine::applied(StepKind::Earning).points(Points::new(points))
            } else {
                StepLine::skipped(StepKind::Earning, programs::why_nothing(rules, lines, paid))
            }
        }
        Rules::Cashback(rules) => {
            let as_points = rules.as_points_rules();
            earning.cashback_minor =
                programs::points_for(&as_points, lines, paid, occurred_at, tier_percent).0;
            if earning.cashback_minor > 0 {
                StepLine::applied(StepKind::Earning)
                    .amount(basket.total.with_minor(earning.cashback_minor))
            } else {
                StepLine::skipped(
                    StepKind::Earning,
                    programs::why_nothing(&as_points, lines, paid),
                )
            }
        }
        Rules::Stamps(rules) => {
            earning.stamps = rules.stamps_for(lines, paid);
            if earning.stamps > 0 {
                StepLine::applied(StepKind::Earning).points(Points::new(earning.stamps))
            } else {
                StepLine::skipped(StepKind::Earning, rules.why_nothing(lines, paid))
            }
        }
        Rules::StoredValue(_) | Rules::Membership(_) => return Ok(None),
    };
    Ok(Some(Earned {
        earning,
        line_points,
        line: line.program(program.program.id, name),
    }))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;
    use entity::program;
    use uuid::Uuid;

    use super::*;
    use crate::core::money::Money;
    use crate::loyalty::{
        checkout::{
            basket::tests::{eur, input},
            explanation::SkipReason,
        },
        programs::{CategoryMultiplier, EarningBase, PointsRules, Rounding, StampsRules},
    };

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn program_of(rules: Rules) -> ProgramWithRules {
        ProgramWithRules {
            program: program::Model {
                id: Uuid::now_v7(),
                tenant_id: Uuid::now_v7(),
                name: "Club".into(),
                mechanic: program::Mechanic::Points,
                status: program::ProgramStatus::Active,
                created_at: at(),
                updated_at: at(),
            },
            rules,
            effective_from: at(),
        }
    }

    /// 1 point per 1.00 spent, rounded down, 100.00 minimum, wine excluded.
    fn points() -> PointsRules {
        PointsRules {
            points: 1,
            per_amount_minor: 100,
            rounding: Rounding::Down,
            earning_base: EarningBase::NetOfDiscounts,
            minimum_purchase_minor: 10_000,
            category_multipliers: vec![CategoryMultiplier {
                category: "wine".into(),
                percent: 0,
            }],
            bonus_periods: Vec::new(),
            welcome_bonus: 0,
            birthday_bonus: 0,
            validity_months: 12,
            point_value_minor: 1,
            minimum_redemption_points: 100,
            tiers: None,
        }
    }

    #[test]
    fn points_skip_loyalty_value_and_follow_the_multipliers() {
        // 150.00 of food, 50.00 of wine; 20.00 paid by a voucher; gold tier × 2 and a
        // membership × 1.5. Food earns on its share of the money left: 150 × 180/200 = 135
        // base points, × 3 = 405; wine earns nothing.
        let mut basket = Basket::new(
            &input(
                &[("F", Some("food"), 3, 5_000), ("W", Some("wine"), 1, 5_000)],
                0,
            ),
            eur(),
        );
        basket.loyalty_paid = Money::new(2_000, eur());
        basket.points_percent = 150;
        let earned = earn(
            &basket,
            &basket.earning_lines(),
            &program_of(Rules::Points(points())),
            200,
            at(),
        )
        .ok()
        .flatten();
        let Some(earned) = earned else {
            panic!("a points program gives a line");
        };
        assert_eq!(earned.earning.points, 405);
        assert_eq!(earned.line_points, [405, 0]);
        assert!(earned.line.applied);
        assert_eq!(earned.line.points, 405);
    }

    #[test]
    fn a_basket_that_earns_nothing_says_why() {
        let rules = Rules::Points(points());
        let reason = |basket: &Basket| {
            earn(
                basket,
                &basket.earning_lines(),
                &program_of(rules.clone()),
                100,
                at(),
            )
            .ok()
            .flatten()
            .and_then(|e| e.line.reason)
        };
        // 99.99 < 100.00 minimum.
        let small = Basket::new(&input(&[("F", Some("food"), 1, 9_999)], 0), eur());
        assert_eq!(reason(&small), Some(SkipReason::MinimumBasketNotReached));
        // Only wine.
        let wine = Basket::new(&input(&[("W", Some("wine"), 3, 5_000)], 0), eur());
        assert_eq!(reason(&wine), Some(SkipReason::CategoryExcluded));
        // All paid by vouchers.
        let mut paid = Basket::new(&input(&[("F", Some("food"), 2, 6_000)], 0), eur());
        paid.loyalty_paid = Money::new(12_000, eur());
        assert_eq!(reason(&paid), Some(SkipReason::PaidWithLoyaltyValue));
    }

    #[test]
    fn stamps_count_only_their_category() {
        let rules = Rules::Stamps(StampsRules {
            stamps_per_purchase: 1,
            category: Some("coffee".into()),
            minimum_purchase_minor: 300,
            stamps_for_reward: 10,
            reward_label: "Free coffee".into(),
            reward_amount_minor: 300,
            reward_percent: 0,
            reward_validity_days: 30,
        });
        let tea = Basket::new(&input(&[("T", Some("tea"), 1, 400)], 0), eur());
        let line = earn(
            &tea,
            &tea.earning_lines(),
            &program_of(rules.clone()),
            100,
            at(),
        )
        .ok()
        .flatten()
        .map(|e| e.line);
        assert_eq!(
            line.and_then(|l| l.reason),
            Some(SkipReason::CategoryExcluded)
        );
        let coffee = Basket::new(&input(&[("C", Some("coffee"), 1, 350)], 0), eur());
        let stamps = earn(
            &coffee,
            &coffee.earning_lines(),
            &program_of(rules),
            100,
            at(),
        )
        .ok()
        .flatten()
        .map(|e| e.earning.stamps);
        assert_eq!(stamps, Some(1));
    }
}
