//! The basket the checkout steps pass along: the lines, what loyalty value has paid so far,
//! the payments taken, and the explanation being written. Pure: no database here.
//! Invariant: `loyalty_paid_minor` never exceeds `total_minor` (each step takes at most what
//! remains), and tax spread over lines always adds up to the tax given.

use super::{LineInput, RecordPurchase, explanation::StepLine};
use crate::loyalty::programs::EarningLine;

#[derive(Debug, Clone)]
pub struct Basket {
    pub currency: String,
    pub total_minor: i64,
    /// The lines as booked: those given, or the whole basket as one line; purchase-level tax
    /// spread over them.
    pub lines: Vec<LineInput>,
    /// Paid by loyalty value (membership discount, vouchers, cashback): it earns nothing.
    pub loyalty_paid_minor: i64,
    pub membership_discount_minor: i64,
    /// The paid memberships' multiplier on points, in % (100 = none).
    pub points_percent: i64,
    /// Vouchers used and the discount each gave.
    pub vouchers: Vec<(String, i64)>,
    pub cashback_paid_minor: i64,
    /// Paid from stored value: the member's own money, so it still earns.
    pub stored_value_minor: i64,
    pub explanation: Vec<StepLine>,
}

impl Basket {
    pub fn new(input: &RecordPurchase) -> Self {
        Self {
            currency: input.currency.clone(),
            total_minor: input.total_minor,
            lines: booked_lines(input),
            loyalty_paid_minor: 0,
            membership_discount_minor: 0,
            points_percent: 100,
            vouchers: Vec::new(),
            cashback_paid_minor: 0,
            stored_value_minor: 0,
            explanation: Vec::new(),
        }
    }

    /// What is left to pay after loyalty value.
    pub fn remaining(&self) -> i64 {
        self.total_minor - self.loyalty_paid_minor
    }

    /// The lines as the earning rules read them.
    pub fn earning_lines(&self) -> Vec<EarningLine<'_>> {
        self.lines
            .iter()
            .map(|l| EarningLine {
                category: l.category.as_deref(),
                quantity: i64::from(l.quantity),
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
        for (line, tax) in lines.iter_mut().zip(allocate(input.tax_minor, &values)) {
            line.tax_minor = tax;
        }
    }
    lines
}

/// Splits `total` over `weights` in proportion, by largest remainder: the parts always add up
/// to `total` (all to the first part when every weight is zero).
pub fn allocate(total: i64, weights: &[i64]) -> Vec<i64> {
    let sum: i128 = weights.iter().map(|w| i128::from((*w).max(0))).sum();
    if weights.is_empty() {
        return Vec::new();
    }
    if sum == 0 {
        let mut parts = vec![0; weights.len()];
        parts[0] = total;
        return parts;
    }
    let exact: Vec<i128> = weights
        .iter()
        .map(|w| i128::from(total) * i128::from((*w).max(0)))
        .collect();
    let mut parts: Vec<i64> = exact
        .iter()
        .map(|e| i64::try_from(e / sum).unwrap_or(0))
        .collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(exact[i] % sum));
    let mut left = total - parts.iter().sum::<i64>();
    for &i in order.iter().cycle() {
        if left <= 0 {
            break;
        }
        parts[i] += 1;
        left -= 1;
    }
    parts
}

/// 4250 -> "42.50" (two decimals; the currency's own exponent is applied by clients).
pub fn format_minor(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, (minor % 100).abs())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::loyalty::checkout::Buyer;

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
        }
    }

    #[test]
    fn purchase_tax_is_spread_over_lines_and_always_adds_up() {
        assert_eq!(allocate(100, &[1_000, 1_000, 1_000]), [34, 33, 33]);
        assert_eq!(allocate(7, &[0, 0]), [7, 0]);
        assert_eq!(allocate(1_999, &[5_000, 15_000]), [500, 1_499]);
        for total in [0, 1, 99, 12_345] {
            let parts = allocate(total, &[3, 7, 11, 0]);
            assert_eq!(parts.iter().sum::<i64>(), total);
            assert_eq!(parts[3], 0);
        }
    }

    #[test]
    fn a_basket_without_lines_is_one_line_and_carries_the_purchase_tax() {
        let mut i = input(&[], 0);
        i.total_minor = 4_250;
        i.tax_minor = 708;
        let basket = Basket::new(&i);
        assert_eq!(basket.lines.len(), 1);
        assert_eq!(basket.lines[0].sku, "BASKET");
        assert_eq!(basket.lines[0].unit_price_minor, 4_250);
        assert_eq!(basket.lines[0].tax_minor, 708);
        assert_eq!(basket.remaining(), 4_250);
    }

    #[test]
    fn purchase_tax_goes_to_lines_by_their_net_value() {
        // 2 × 10.00 and 1 × 30.00 with 5.00 of tax: 2.00 and 3.00.
        let basket = Basket::new(&input(&[("A", None, 2, 1_000), ("B", None, 1, 3_000)], 500));
        let taxes: Vec<i64> = basket.lines.iter().map(|l| l.tax_minor).collect();
        assert_eq!(taxes, [200, 300]);
    }
}
