//! The basket the checkout steps pass along: the lines, what loyalty value has paid so far,
//! the payments taken, and the explanation being written. Pure: no database here.
//! Invariant: `loyalty_paid` never exceeds `total` (each step takes at most what remains), every
//! amount is in the purchase's currency ([`Money`]), and tax spread over lines always adds up to
//! the tax given.

use super::{LineInput, RecordPurchase, explanation::StepLine};
use crate::{
    core::{money::Money, types::Currency},
    loyalty::programs::EarningLine,
};

#[derive(Debug, Clone)]
pub struct Basket {
    pub total: Money,
    /// The lines as booked: those given, or the whole basket as one line; purchase-level tax
    /// spread over them.
    pub lines: Vec<LineInput>,
    /// Paid by loyalty value (membership discount, vouchers, cashback): it earns nothing.
    pub loyalty_paid: Money,
    pub membership_discount: Money,
    /// What the offers took off the lines (already out of `total`).
    pub offer_discount: Money,
    /// Each line's part of `offer_discount` (free lines: zero).
    pub line_offer_discounts: Vec<i64>,
    /// The offer that gave each free line.
    pub line_offers: Vec<Option<uuid::Uuid>>,
    /// The paid memberships' multiplier on points, in % (100 = none).
    pub points_percent: i64,
    /// Vouchers used and the discount each gave.
    pub vouchers: Vec<(String, Money)>,
    pub cashback_paid: Money,
    /// Paid from stored value: the member's own money, so it still earns.
    pub stored_value: Money,
    pub explanation: Vec<StepLine>,
}

impl Basket {
    /// The basket of a validated input, in its (already checked) currency.
    pub fn new(input: &RecordPurchase, currency: Currency) -> Self {
        let zero = Money::zero(currency);
        let lines = booked_lines(input);
        Self {
            total: Money::new(input.total_minor, currency),
            offer_discount: zero,
            line_offer_discounts: vec![0; lines.len()],
            line_offers: vec![None; lines.len()],
            lines,
            loyalty_paid: zero,
            membership_discount: zero,
            points_percent: 100,
            vouchers: Vec::new(),
            cashback_paid: zero,
            stored_value: zero,
            explanation: Vec::new(),
        }
    }

    pub fn currency(&self) -> Currency {
        self.total.currency()
    }

    /// What is left to pay after loyalty value.
    pub fn remaining(&self) -> Money {
        self.total - self.loyalty_paid
    }

    /// The lines as the offers read them.
    pub fn offer_lines(&self) -> Vec<crate::loyalty::offers::engine::Line> {
        self.lines
            .iter()
            .map(|l| crate::loyalty::offers::engine::Line {
                sku: l.sku.clone(),
                category: l.category.clone(),
                quantity: i64::from(l.quantity),
                unit_price_minor: l.unit_price_minor,
                value_minor: i64::from(l.quantity) * l.unit_price_minor - l.discount_minor,
            })
            .collect()
    }

    /// The lines as the earning rules read them (built once per checkout, read by every
    /// program).
    pub fn earning_lines(&self) -> Vec<EarningLine<'_>> {
        self.lines
            .iter()
            .zip(&self.line_offers)
            .map(|(l, given)| EarningLine {
                category: l.category.as_deref(),
                // The free lines offers gave earn nothing, even by the item.
                quantity: if given.is_some() {
                    0
                } else {
                    i64::from(l.quantity)
                },
                unit_price_minor: l.unit_price_minor,
                discount_minor: l.discount_minor,
                tax_minor: l.tax_minor,
            })
            .collect()
    }
}

/// The lines given, or the whole basket as one line; tax given for the whole purchase is spread
/// over the lines by their value.
fn booked_lines(input: &RecordPurchase) -> Vec<LineInput> {
    let mut lines: Vec<LineInput> = if input.lines.is_empty() {
        vec![LineInput {
            sku: "BASKET".to_owned(),
            category: None,
            quantity: 1,
            unit_price_minor: input.total_minor,
            discount_minor: 0,
            tax_minor: 0,
        }]
    } else {
        input.lines.clone()
    };
    if input.tax_minor > 0 {
        let values: Vec<i64> = lines
            .iter()
            .map(|l| i64::from(l.quantity) * l.unit_price_minor - l.discount_minor)
            .collect();
        for (line, tax) in lines
            .iter_mut()
            .zip(crate::core::money::allocate(input.tax_minor, &values))
        {
            line.tax_minor = tax;
        }
    }
    lines
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::loyalty::checkout::Buyer;

    pub(crate) fn eur() -> crate::core::types::Currency {
        crate::core::types::Currency::parse("c", "EUR").unwrap_or_else(|e| panic!("{e:?}"))
    }

    /// A basket of `lines` (sku, category, quantity, unit price), paid in EUR.
    pub(crate) fn input(
        lines: &[(&str, Option<&str>, i32, i64)],
        tax_minor: i64,
    ) -> RecordPurchase {
        let lines: Vec<LineInput> = lines
            .iter()
            .map(|(sku, category, quantity, price)| LineInput {
                sku: (*sku).to_owned(),
                category: category.map(str::to_owned),
                quantity: *quantity,
                unit_price_minor: *price,
                discount_minor: 0,
                tax_minor: 0,
            })
            .collect();
        RecordPurchase {
            buyer: Buyer::Anonymous,
            store: None,
            channel: entity::purchase::Channel::InStore,
            total_minor: lines
                .iter()
                .map(|l| i64::from(l.quantity) * l.unit_price_minor)
                .sum(),
            currency: "EUR".to_owned(),
            lines,
            occurred_at: None,
            max_backdate: chrono::Duration::days(30),
            voucher_codes: Vec::new(),
            stored_value_minor: 0,
            cashback_minor: 0,
            tax_minor,
            offer_codes: Vec::new(),
            trade_ins: Vec::new(),
        }
    }

    #[test]
    fn a_basket_without_lines_is_one_line_and_carries_the_purchase_tax() {
        let mut i = input(&[], 0);
        i.total_minor = 4_250;
        i.tax_minor = 708;
        let basket = Basket::new(&i, eur());
        assert_eq!(basket.lines.len(), 1);
        assert_eq!(basket.lines[0].sku, "BASKET");
        assert_eq!(basket.lines[0].unit_price_minor, 4_250);
        assert_eq!(basket.lines[0].tax_minor, 708);
        assert_eq!(basket.remaining().minor(), 4_250);
    }

    #[test]
    fn purchase_tax_goes_to_lines_by_their_net_value() {
        // 2 × 10.00 and 1 × 30.00 with 5.00 of tax: 2.00 and 3.00.
        let basket = Basket::new(
            &input(&[("A", None, 2, 1_000), ("B", None, 1, 3_000)], 500),
            eur(),
        );
        let taxes: Vec<i64> = basket.lines.iter().map(|l| l.tax_minor).collect();
        assert_eq!(taxes, [200, 300]);
    }
}
