//! The money steps of the checkout, in the order they run: a paid membership's discount, then
//! vouchers, then cashback and stored value on what remains. Each is a pure function over the
//! basket (the caller books what it decided), adding its lines to the explanation.
//! Invariant: no step takes more than what remains to pay.

use uuid::Uuid;

use super::{
    basket::Basket,
    explanation::{SkipReason, StepKind, StepLine},
};
use crate::{
    core::{error::AppError, money::Money},
    loyalty::programs::MembershipRules,
};

/// A membership program active at the purchase's date, and whether the member paid for it.
pub struct MembershipPerk<'a> {
    pub program_id: Uuid,
    pub program_name: &'a str,
    pub rules: &'a MembershipRules,
    pub paid: bool,
}

/// A discount the membership step gave, to book as savings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipDiscount {
    pub program_id: Uuid,
    pub amount: Money,
    pub percent: i64,
}

/// Step 1: each paid membership takes its percentage off what remains, in program order, and
/// multiplies the points the basket will earn.
pub fn membership(basket: &mut Basket, perks: &[MembershipPerk<'_>]) -> Vec<MembershipDiscount> {
    let mut discounts = Vec::new();
    for perk in perks {
        let line = |l: StepLine| l.program(perk.program_id, perk.program_name);
        if !perk.paid {
            basket.explanation.push(line(StepLine::skipped(
                StepKind::MembershipDiscount,
                SkipReason::NoPaidMembership,
            )));
            continue;
        }
        // Rounded down, on what remains (never negative).
        let discount = basket
            .remaining()
            .percent(perk.rules.discount_percent.max(0));
        if discount.is_positive() {
            basket.loyalty_paid += discount;
            basket.membership_discount += discount;
            basket.explanation.push(line(
                StepLine::applied(StepKind::MembershipDiscount).amount(discount),
            ));
            discounts.push(MembershipDiscount {
                program_id: perk.program_id,
                amount: discount,
                percent: perk.rules.discount_percent,
            });
        } else if perk.rules.discount_percent > 0 {
            basket.explanation.push(line(StepLine::skipped(
                StepKind::MembershipDiscount,
                SkipReason::NothingLeftToDiscount,
            )));
        }
        basket.points_percent = basket.points_percent * perk.rules.points_multiplier_percent / 100;
    }
    discounts
}

/// Step 0: the offers' discounts go onto the lines (the basket's total falls by as much), their
/// free goods become lines of their own at no charge, and each offer, applied or not, is
/// explained.
pub fn offers(basket: &mut Basket, evaluation: &crate::loyalty::offers::engine::Evaluation) {
    for (i, d) in evaluation.line_discounts.iter().enumerate() {
        if let Some(line) = basket.lines.get_mut(i) {
            line.discount_minor += d;
            basket.line_offer_discounts[i] += d;
        }
    }
    let discount = basket.total.with_minor(evaluation.discount());
    basket.total -= discount;
    basket.offer_discount += discount;
    for outcome in &evaluation.outcomes {
        let line = match &outcome.result {
            Ok(applied) => {
                if let Some(free) = &applied.free {
                    basket.lines.push(super::LineInput {
                        sku: free.sku.clone(),
                        category: None,
                        quantity: i32::try_from(free.quantity).unwrap_or(i32::MAX),
                        unit_price_minor: 0,
                        discount_minor: 0,
                        tax_minor: 0,
                    });
                    basket.line_offer_discounts.push(0);
                    basket.line_offers.push(Some(outcome.offer));
                }
                let mut line = StepLine::applied(StepKind::Offer).amount(
                    basket
                        .total
                        .with_minor(applied.discount() + applied.value()),
                );
                line.capped = applied.capped;
                line.free_sku = applied.free.as_ref().map(|f| f.sku.clone());
                line.points = applied.free.as_ref().map_or(applied.proofs, |f| f.quantity);
                line
            }
            // An offer for products the basket does not hold is not news to the till (a brand
            // may run hundreds): left out, unless the till asked for it by its code.
            Err(crate::loyalty::offers::engine::Skip::NotInBasket) if !outcome.requested => {
                continue;
            }
            Err(skip) => StepLine::skipped(StepKind::Offer, SkipReason::from(*skip)),
        };
        basket
            .explanation
            .push(line.offer(outcome.offer, &outcome.name));
    }
}

/// Step 2, after the voucher was checked and used: its discount is loyalty value paid.
pub fn voucher(basket: &mut Basket, code: String, amount: Money) {
    basket.loyalty_paid += amount;
    basket.explanation.push(
        StepLine::applied(StepKind::Voucher)
            .label(code.clone())
            .amount(amount),
    );
    basket.vouchers.push((code, amount));
}

/// A payment a step decided: who pays, how much.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Payment {
    pub member: Uuid,
    pub amount: Money,
}

/// Checks a requested payment from the member's balance: none when zero; refused without a
/// member or beyond what remains.
fn payment(
    basket: &Basket,
    member: Option<Uuid>,
    requested_minor: i64,
    field: &'static str,
) -> Result<Option<Payment>, AppError> {
    if requested_minor == 0 {
        return Ok(None);
    }
    let Some(member) = member else {
        return Err(AppError::validation(field, "needs a card or a member"));
    };
    if requested_minor < 0 || requested_minor > basket.remaining().minor() {
        return Err(AppError::validation(
            field,
            "must be between 0 and what remains to pay",
        ));
    }
    Ok(Some(Payment {
        member,
        amount: basket.total.with_minor(requested_minor),
    }))
}

/// Step 3: part of what remains paid from cashback (loyalty value: it earns nothing). Returns
/// the payment to book, if any.
pub fn cashback_payment(
    basket: &mut Basket,
    member: Option<Uuid>,
    requested_minor: i64,
) -> Result<Option<Payment>, AppError> {
    let paid = payment(basket, member, requested_minor, "input.cashbackMinor")?;
    if let Some(p) = paid {
        basket.loyalty_paid += p.amount;
        basket.cashback_paid = p.amount;
        basket
            .explanation
            .push(StepLine::applied(StepKind::CashbackPayment).amount(p.amount));
    }
    Ok(paid)
}

/// Step 4: part of what remains paid from stored value (the member's own money: it still
/// earns). Returns the payment to book, if any.
pub fn stored_value_payment(
    basket: &mut Basket,
    member: Option<Uuid>,
    requested_minor: i64,
) -> Result<Option<Payment>, AppError> {
    let paid = payment(basket, member, requested_minor, "input.storedValueMinor")?;
    if let Some(p) = paid {
        basket.stored_value = p.amount;
        basket
            .explanation
            .push(StepLine::applied(StepKind::StoredValuePayment).amount(p.amount));
    }
    Ok(paid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        core::error::ErrorCode,
        loyalty::{
            checkout::basket::tests::{eur, input},
            programs::MembershipPeriod,
        },
    };

    fn rules(discount_percent: i64, points_multiplier_percent: i64) -> MembershipRules {
        MembershipRules {
            fee_minor: 4_900,
            period: MembershipPeriod::Yearly,
            discount_percent,
            points_multiplier_percent,
            perks: Vec::new(),
        }
    }

    #[test]
    fn a_paid_membership_takes_its_share_first_and_an_unpaid_one_says_why() {
        // 80.00 basket; a paid 10 % card and an unpaid 5 % one.
        let mut basket = Basket::new(&input(&[("A", None, 1, 8_000)], 0), eur());
        let paid = rules(10, 150);
        let unpaid = rules(5, 100);
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let discounts = membership(
            &mut basket,
            &[
                MembershipPerk {
                    program_id: a,
                    program_name: "Club",
                    rules: &paid,
                    paid: true,
                },
                MembershipPerk {
                    program_id: b,
                    program_name: "Other",
                    rules: &unpaid,
                    paid: false,
                },
            ],
        );
        assert_eq!(
            discounts,
            [MembershipDiscount {
                program_id: a,
                amount: Money::new(800, eur()),
                percent: 10
            }]
        );
        assert_eq!(basket.remaining().minor(), 7_200);
        assert_eq!(basket.points_percent, 150);
        assert_eq!(basket.explanation.len(), 2);
        assert!(basket.explanation[0].applied);
        assert_eq!(basket.explanation[0].amount_minor, 800);
        assert_eq!(
            basket.explanation[1].reason,
            Some(SkipReason::NoPaidMembership)
        );
    }

    #[test]
    fn two_paid_memberships_compound_on_what_remains() {
        // 100.00: 10 % → 10.00, then 5 % of 90.00 → 4.50; multipliers 200 % × 150 % = 300 %.
        let mut basket = Basket::new(&input(&[("A", None, 1, 10_000)], 0), eur());
        let (first, second) = (rules(10, 200), rules(5, 150));
        let id = Uuid::now_v7();
        let perks = [
            MembershipPerk {
                program_id: id,
                program_name: "A",
                rules: &first,
                paid: true,
            },
            MembershipPerk {
                program_id: id,
                program_name: "B",
                rules: &second,
                paid: true,
            },
        ];
        let given: Vec<i64> = membership(&mut basket, &perks)
            .iter()
            .map(|d| d.amount.minor())
            .collect();
        assert_eq!(given, [1_000, 450]);
        assert_eq!(basket.membership_discount.minor(), 1_450);
        assert_eq!(basket.points_percent, 300);
    }

    #[test]
    fn vouchers_and_cashback_pay_what_remains_and_stored_value_still_earns() {
        let mut basket = Basket::new(&input(&[("A", None, 1, 5_000)], 0), eur());
        let id = Uuid::now_v7();
        let member = Some(id);
        voucher(&mut basket, "WELCOME".into(), Money::new(1_000, eur()));
        let paid = |minor| {
            Some(Some(Payment {
                member: id,
                amount: Money::new(minor, eur()),
            }))
        };
        assert_eq!(
            cashback_payment(&mut basket, member, 1_500).ok(),
            paid(1_500)
        );
        assert_eq!(basket.remaining().minor(), 2_500);
        // More than remains is refused, and changes nothing.
        let refused = stored_value_payment(&mut basket, member, 2_501);
        assert!(matches!(refused, Err(ref e) if matches!(e.code(), ErrorCode::Validation)));
        assert!(basket.stored_value.is_zero());
        assert_eq!(
            stored_value_payment(&mut basket, member, 2_500).ok(),
            paid(2_500)
        );
        // Stored value is the member's money: it is not loyalty value paid.
        assert_eq!(basket.loyalty_paid.minor(), 2_500);
        let kinds: Vec<StepKind> = basket.explanation.iter().map(|l| l.kind).collect();
        assert_eq!(
            kinds,
            [
                StepKind::Voucher,
                StepKind::CashbackPayment,
                StepKind::StoredValuePayment
            ]
        );
    }

    #[test]
    fn payments_need_a_member() {
        let mut basket = Basket::new(&input(&[("A", None, 1, 5_000)], 0), eur());
        assert!(cashback_payment(&mut basket, None, 100).is_err());
        assert!(stored_value_payment(&mut basket, None, 100).is_err());
        assert_eq!(cashback_payment(&mut basket, None, 0).ok(), Some(None));
        assert!(basket.explanation.is_empty());
    }
}
