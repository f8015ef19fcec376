//! The offers step of the checkout, pure: which offers apply to a basket, with what discount on
//! each line, which free lines and deferred vouchers they give, and why the others do not.
//!
//! How a combination is chosen (deterministic, explained):
//! 1. offers are taken in priority order (lower first, then by id);
//! 2. the stackable ones apply one after the other, each on what the ones before it left of each
//!    line; each exclusive one is tried alone on the whole basket;
//! 3. the combination that gives the customer most (discount plus free goods' value) wins; a tie
//!    goes to the one whose first offer comes first;
//! 4. the brand's cap (a % of the basket) then trims the last offers applied first.
//!
//! Invariants (property-tested): no line's discount exceeds its value, the total discount never
//! exceeds the basket, and an offer's line shares add up to its discount (largest remainder).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::rules::{DeferredVoucher, OfferRules, Selector};
use crate::core::money::allocate;

/// A basket line as the offers read it.
#[derive(Debug, Clone)]
pub struct Line {
    pub sku: String,
    pub category: Option<String>,
    pub quantity: i64,
    pub unit_price_minor: i64,
    /// What the line costs before offers (quantity × unit price − the till's discount).
    pub value_minor: i64,
}

/// An offer the engine may apply, with what is left of its limits.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: Uuid,
    pub name: String,
    pub priority: i32,
    pub exclusive: bool,
    pub rules: OfferRules,
    /// Money left in its budget (discount plus free goods), if it has one.
    pub budget_left: Option<i64>,
    /// Gifts left, if it counts them.
    pub stock_left: Option<i64>,
    /// A reason it cannot apply, found before the basket was read (a limit reached, no card).
    pub blocked: Option<Skip>,
    /// Premium offers: the member's proofs so far in the period.
    pub progress: i64,
    /// Given by its code at the till.
    pub requested: bool,
}

/// Why an offer did not apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Skip {
    /// No line of the basket is one the offer is for.
    NotInBasket,
    MinimumBasketNotReached,
    /// Fewer units than the offer needs (a multi-buy, a bundle part).
    NotEnoughUnits,
    /// Earlier offers left nothing to discount on its lines.
    NothingLeftToDiscount,
    /// No old product of the right category was traded in.
    NoTradeIn,
    /// The offer is for card holders, or gives a voucher: it needs a card or a member.
    NoMember,
    /// The member used it as often as allowed (in this period).
    MemberLimitReached,
    /// It was redeemed as often as allowed.
    RedemptionsExhausted,
    BudgetExhausted,
    OutOfStock,
    /// Another combination (an exclusive offer, or the stackable ones) gave the customer more.
    NotBestCombination,
    /// The offer is for members of other tiers.
    NotForTier,
    /// The offer is for a saved segment the member is not in.
    NotInSegment,
    /// The offer is for the members of a club the member is not in.
    NotInClub,
    /// The member bought the offer's product recently ("just bought" suppression).
    RecentlyBought,
    /// The brand's cap on offers per basket left nothing for it.
    Capped,
}

/// A free line an offer adds (gift, sample, free units): price zero, value for the figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FreeLine {
    pub sku: String,
    pub quantity: i64,
    /// What the free goods are worth at their price (the offer's cost).
    pub value_minor: i64,
}

/// What one offer gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// Discount on each basket line, in line order.
    pub lines: Vec<i64>,
    pub free: Option<FreeLine>,
    pub voucher: Option<DeferredVoucher>,
    /// Cut by the brand's cap on offers per basket.
    pub capped: bool,
    /// Proofs of purchase brought to a premium offer.
    pub proofs: i64,
    /// Premium offers: the qualifying units of each line (what a return takes back).
    pub proof_units: Vec<i64>,
    /// Trade-in offers: the products traded in it used.
    pub traded: i64,
}

impl Applied {
    pub fn discount(&self) -> i64 {
        self.lines.iter().fold(0, |a, d| a.saturating_add(*d))
    }
    pub fn value(&self) -> i64 {
        self.free.as_ref().map_or(0, |f| f.value_minor)
    }
    fn benefit(&self) -> i64 {
        self.discount().saturating_add(self.value())
    }
}

/// The most free units one offer gives one basket (a till line's most), and what they may be
/// worth (a purchase's most): far above any real promotion, far below any overflow.
const MAX_FREE_UNITS: i64 = 100_000;
const MAX_FREE_VALUE: i64 = 1_000_000_000_000;

fn same(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// The outcome for one candidate, in priority order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub offer: Uuid,
    pub name: String,
    pub result: Result<Applied, Skip>,
    /// The till asked for it (by its code).
    pub requested: bool,
}

/// What the offers step decided.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub outcomes: Vec<Outcome>,
    /// The discount of every offer on each line.
    pub line_discounts: Vec<i64>,
}

impl Evaluation {
    pub fn discount(&self) -> i64 {
        self.line_discounts.iter().sum()
    }
    pub fn applied(&self) -> impl Iterator<Item = (&Outcome, &Applied)> {
        self.outcomes
            .iter()
            .filter_map(|o| o.result.as_ref().ok().map(|a| (o, a)))
    }
}

/// What the till told besides the lines.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Categories of the old products traded in, one per product.
    pub traded_in: Vec<String>,
    /// The brand's cap on offers, in % of the basket's value.
    pub cap_percent: Option<i64>,
}

/// Runs the offers over the basket.
pub fn evaluate(lines: &[Line], candidates: &[Candidate], ctx: &Context) -> Evaluation {
    let mut order: Vec<&Candidate> = candidates.iter().collect();
    order.sort_by_key(|c| (c.priority, c.id));
    let values: Vec<i64> = lines.iter().map(|l| l.value_minor.max(0)).collect();

    // The stackable combination, then each exclusive offer alone.
    let mut stack: Vec<(usize, Result<Applied, Skip>)> = Vec::new();
    let mut left = values.clone();
    // Each product traded in pays for one trade-in discount, in the stack as alone.
    let mut traded = ctx.traded_in.clone();
    for (i, c) in order.iter().enumerate().filter(|(_, c)| !c.exclusive) {
        let result = apply(c, lines, &left, &traded, ctx);
        if let Ok(a) = &result {
            for (l, d) in left.iter_mut().zip(&a.lines) {
                *l -= d;
            }
            if let (
                OfferRules::TradeIn {
                    traded_category, ..
                },
                n,
            ) = (&c.rules, a.traded)
                && n > 0
            {
                let mut taken = 0;
                traded.retain(|t| {
                    let take = taken < n && same(t, traded_category);
                    taken += i64::from(take);
                    !take
                });
            }
        }
        stack.push((i, result));
    }
    let stack_benefit: i64 = stack
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok())
        .map(Applied::benefit)
        .fold(0_i64, i64::saturating_add);
    let stack_first = stack
        .iter()
        .find(|(_, r)| r.is_ok())
        .map_or(usize::MAX, |(i, _)| *i);
    let mut alone: Vec<(usize, Result<Applied, Skip>)> = Vec::new();
    // The best: (benefit, first position) — None is the stackable combination.
    let mut best: Option<usize> = None;
    let (mut best_benefit, mut best_first) = (stack_benefit, stack_first);
    for (i, c) in order.iter().enumerate().filter(|(_, c)| c.exclusive) {
        let result = apply(c, lines, &values, &ctx.traded_in, ctx);
        if let Ok(a) = &result {
            let b = a.benefit();
            if b > best_benefit || (b == best_benefit && b > 0 && i < best_first) {
                best = Some(i);
                best_benefit = b;
                best_first = i;
            }
        }
        alone.push((i, result));
    }
    let mut results: Vec<Option<Result<Applied, Skip>>> = vec![None; order.len()];
    for (i, r) in stack.into_iter().chain(alone) {
        results[i] = Some(r);
    }
    for (i, r) in results.iter_mut().enumerate() {
        let chosen = match best {
            Some(b) => i == b,
            None => !order[i].exclusive,
        };
        if !chosen && matches!(r, Some(Ok(_))) {
            *r = Some(Err(Skip::NotBestCombination));
        }
    }
    let mut outcomes: Vec<Outcome> = order
        .iter()
        .zip(results)
        .map(|(c, r)| Outcome {
            offer: c.id,
            name: c.name.clone(),
            result: r.unwrap_or(Err(Skip::NotBestCombination)),
            requested: c.requested,
        })
        .collect();
    if let Some(cap) = ctx.cap_percent {
        let whole: i64 = values.iter().sum();
        let allowed = i64::try_from(i128::from(whole) * i128::from(cap.clamp(0, 100)) / 100)
            .unwrap_or(i64::MAX);
        let mut total: i64 = outcomes
            .iter()
            .filter_map(|o| o.result.as_ref().ok())
            .map(Applied::discount)
            .sum();
        for o in outcomes.iter_mut().rev() {
            if total <= allowed {
                break;
            }
            let Ok(a) = &mut o.result else { continue };
            let d = a.discount();
            if d == 0 {
                continue;
            }
            let keep = (d - (total - allowed)).max(0);
            a.lines = allocate(keep, &a.lines);
            a.capped = true;
            total -= d - keep;
            // Cut to nothing, it gives nothing and uses none of its limits.
            if keep == 0 && a.free.is_none() && a.voucher.is_none() && a.proofs == 0 {
                o.result = Err(Skip::Capped);
            }
        }
    }
    let mut line_discounts = vec![0; lines.len()];
    for a in outcomes.iter().filter_map(|o| o.result.as_ref().ok()) {
        for (t, d) in line_discounts.iter_mut().zip(&a.lines) {
            *t += d;
        }
    }
    Evaluation {
        outcomes,
        line_discounts,
    }
}

/// Units of the selected lines, dearest first, as runs: (line, unit price, units).
fn runs(lines: &[Line], left: &[i64], selector: &Selector) -> Vec<(usize, i64, i64)> {
    let mut runs: Vec<(usize, i64, i64)> = lines
        .iter()
        .enumerate()
        .filter(|(i, l)| {
            l.quantity > 0 && left[*i] > 0 && selector.matches(&l.sku, l.category.as_deref())
        })
        .map(|(i, l)| (i, l.unit_price_minor, l.quantity))
        .collect();
    runs.sort_by_key(|&(i, price, _)| (std::cmp::Reverse(price), i));
    runs
}

/// How many of the positions `[0, x)` of units sorted dearest first fall on the discounted
/// places of full groups of `group` units, places `from..group` of each group.
fn places_before(x: i64, units: i64, group: i64, from: i64) -> i64 {
    let full = units / group * group;
    let x = x.min(full);
    x / group * (group - from) + (x % group - from).max(0)
}

/// `v × num / den` rounded down, in i128.
fn mul_div(v: i64, num: i64, den: i64) -> i64 {
    if den <= 0 {
        return 0;
    }
    i64::try_from(i128::from(v) * i128::from(num) / i128::from(den)).unwrap_or(i64::MAX)
}

fn selected_value(lines: &[Line], left: &[i64], selector: &Selector) -> (i64, Vec<i64>) {
    let weights: Vec<i64> = lines
        .iter()
        .zip(left)
        .map(|(l, v)| {
            if selector.matches(&l.sku, l.category.as_deref()) {
                (*v).max(0)
            } else {
                0
            }
        })
        .collect();
    (weights.iter().sum(), weights)
}

/// Spreads `amount` over lines by `weights` (largest remainder), never above what is left.
fn spread(amount: i64, weights: &[i64], left: &[i64]) -> Vec<i64> {
    let total: i64 = weights.iter().sum();
    if total <= 0 || amount <= 0 {
        return vec![0; weights.len()];
    }
    allocate(amount.min(total), weights)
        .into_iter()
        .zip(left)
        .map(|(d, l)| d.min(*l))
        .collect()
}

/// One offer on what is left of each line.
fn apply(
    c: &Candidate,
    lines: &[Line],
    left: &[i64],
    traded_in: &[String],
    ctx: &Context,
) -> Result<Applied, Skip> {
    let _ = ctx;
    if let Some(skip) = c.blocked {
        return Err(skip);
    }
    let whole: i64 = left.iter().sum();
    let plain = |lines: Vec<i64>| Applied {
        lines,
        free: None,
        voucher: None,
        capped: false,
        proofs: 0,
        proof_units: Vec::new(),
        traded: 0,
    };
    let mut applied = match &c.rules {
        OfferRules::Discount {
            selector,
            amount_minor,
            percent,
            minimum_basket_minor,
        } => {
            let (value, weights) = selected_value(lines, left, selector);
            if value == 0 {
                return Err(if runs(lines, &vec![1; lines.len()], selector).is_empty() {
                    Skip::NotInBasket
                } else {
                    Skip::NothingLeftToDiscount
                });
            }
            if whole < *minimum_basket_minor {
                return Err(Skip::MinimumBasketNotReached);
            }
            let amount = if *percent > 0 {
                mul_div(value, i64::from(*percent), 100)
            } else {
                *amount_minor
            };
            plain(spread(amount, &weights, left))
        }
        OfferRules::MultiBuy { selector, buy, pay } => {
            group_discount(lines, left, selector, *buy, *pay, 100)?
        }
        OfferRules::NthAtPercent {
            selector,
            nth,
            percent,
        } => group_discount(lines, left, selector, *nth, nth - 1, i64::from(*percent))?,
        OfferRules::Bundle { parts, price_minor } => {
            let mut units_left: Vec<i64> = lines
                .iter()
                .zip(left)
                .map(|(l, v)| if *v > 0 { l.quantity.max(0) } else { 0 })
                .collect();
            // How many full bundles: each part takes its units, dearest first, from lines
            // not taken by the parts before it.
            let mut bundles = i64::MAX;
            let mut avail = units_left.clone();
            for part in parts {
                let n: i64 = lines
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| part.selector.matches(&l.sku, l.category.as_deref()))
                    .map(|(i, _)| std::mem::take(&mut avail[i]))
                    .sum();
                bundles = bundles.min(n / part.quantity.max(1));
            }
            if bundles == 0 || bundles == i64::MAX {
                let any = parts.iter().any(|p| {
                    lines
                        .iter()
                        .any(|l| p.selector.matches(&l.sku, l.category.as_deref()))
                });
                return Err(if any {
                    Skip::NotEnoughUnits
                } else {
                    Skip::NotInBasket
                });
            }
            // The regular value of the units the bundles take, per line.
            let mut taken = vec![0_i64; lines.len()];
            for part in parts {
                let mut want = bundles * part.quantity;
                for (i, price, _) in runs(lines, left, &part.selector) {
                    if want == 0 {
                        break;
                    }
                    let n = want.min(units_left[i]);
                    units_left[i] -= n;
                    want -= n;
                    taken[i] = taken[i]
                        .saturating_add(price.saturating_mul(n))
                        .min(left[i]);
                }
            }
            let regular: i64 = taken.iter().sum();
            let price = price_minor.saturating_mul(bundles);
            if regular <= price {
                return Err(Skip::NothingLeftToDiscount);
            }
            plain(spread(regular - price, &taken, left))
        }
        OfferRules::ExtraQuantity {
            selector,
            per,
            free,
            free_sku,
        } => {
            let runs = runs(lines, left, selector);
            let units: i64 = runs.iter().map(|r| r.2).sum();
            if runs.is_empty() {
                return Err(Skip::NotInBasket);
            }
            let free_units = (units / per.max(&1))
                .saturating_mul(*free)
                .min(MAX_FREE_UNITS);
            if free_units == 0 {
                return Err(Skip::NotEnoughUnits);
            }
            let Some(&(cheapest, _, _)) = runs.last() else {
                return Err(Skip::NotInBasket);
            };
            // Valued at what the cheapest selected unit costs net of the till's discount.
            let price = lines[cheapest].value_minor.max(0) / lines[cheapest].quantity.max(1);
            Applied {
                lines: vec![0; lines.len()],
                free: Some(FreeLine {
                    sku: free_sku
                        .clone()
                        .unwrap_or_else(|| lines[cheapest].sku.trim().to_owned()),
                    quantity: free_units,
                    value_minor: price.saturating_mul(free_units).min(MAX_FREE_VALUE),
                }),
                voucher: None,
                capped: false,
                proofs: 0,
                proof_units: Vec::new(),
                traded: 0,
            }
        }
        OfferRules::Gift {
            selector,
            minimum_basket_minor,
            gift_sku,
            gift_value_minor,
        } => {
            let (value, _) = selected_value(lines, left, selector);
            if !selector.is_everything() && runs(lines, left, selector).is_empty() {
                return Err(Skip::NotInBasket);
            }
            if value < *minimum_basket_minor {
                return Err(Skip::MinimumBasketNotReached);
            }
            if c.stock_left.is_some_and(|s| s < 1) {
                return Err(Skip::OutOfStock);
            }
            Applied {
                lines: vec![0; lines.len()],
                free: Some(FreeLine {
                    sku: gift_sku.trim().to_owned(),
                    quantity: 1,
                    value_minor: *gift_value_minor,
                }),
                voucher: None,
                capped: false,
                proofs: 0,
                proof_units: Vec::new(),
                traded: 0,
            }
        }
        OfferRules::TradeIn {
            traded_category,
            selector,
            amount_minor,
        } => {
            let traded = traded_in
                .iter()
                .filter(|t| same(t, traded_category))
                .count();
            if traded == 0 {
                return Err(Skip::NoTradeIn);
            }
            let runs = runs(lines, left, selector);
            let units: i64 = runs.iter().map(|r| r.2).sum();
            if units == 0 {
                return Err(Skip::NotInBasket);
            }
            let n = units.min(i64::try_from(traded).unwrap_or(i64::MAX));
            // One trade-in per unit, dearest units first.
            let mut per_line = vec![0_i64; lines.len()];
            let mut want = n;
            for (i, _, q) in runs {
                let k = want.min(q);
                per_line[i] = amount_minor.saturating_mul(k).min(left[i]);
                want -= k;
                if want == 0 {
                    break;
                }
            }
            let mut a = plain(per_line);
            a.traded = n;
            a
        }
        OfferRules::Premium {
            selector,
            proofs,
            count_units,
            voucher,
            ..
        } => {
            let mut proof_units = vec![0_i64; lines.len()];
            for (i, _, q) in runs(lines, &vec![1; lines.len()], selector) {
                proof_units[i] = q;
            }
            let units: i64 = proof_units.iter().sum();
            if units == 0 {
                return Err(Skip::NotInBasket);
            }
            let brought = if *count_units { units } else { 1 };
            let reached = (c.progress + brought) / (*proofs).max(1) > 0;
            Applied {
                lines: vec![0; lines.len()],
                free: None,
                voucher: reached.then(|| voucher.clone()),
                capped: false,
                proofs: brought,
                proof_units,
                traded: 0,
            }
        }
        // Refund offers are claimed after the purchase, never applied at the till.
        OfferRules::Refund { .. } => return Err(Skip::NotInBasket),
        OfferRules::Deferred {
            selector,
            minimum_basket_minor,
            voucher,
        } => {
            let (value, _) = selected_value(lines, left, selector);
            if !selector.is_everything() && runs(lines, left, selector).is_empty() {
                return Err(Skip::NotInBasket);
            }
            if value < *minimum_basket_minor {
                return Err(Skip::MinimumBasketNotReached);
            }
            Applied {
                lines: vec![0; lines.len()],
                free: None,
                voucher: Some(voucher.clone()),
                capped: false,
                proofs: 0,
                proof_units: Vec::new(),
                traded: 0,
            }
        }
    };
    if applied.discount() == 0
        && applied.free.is_none()
        && applied.voucher.is_none()
        && applied.proofs == 0
    {
        return Err(Skip::NothingLeftToDiscount);
    }
    if let Some(budget) = c.budget_left {
        if budget <= 0 || applied.value() > budget {
            return Err(Skip::BudgetExhausted);
        }
        let room = budget - applied.value();
        let d = applied.discount();
        if d > room {
            applied.lines = allocate(room, &applied.lines);
        }
        if applied.benefit() == 0 && applied.voucher.is_none() {
            return Err(Skip::BudgetExhausted);
        }
    }
    Ok(applied)
}

/// Groups of `group` selected units, dearest first; in each full group the units at places
/// `from..group` (the cheapest) get `percent` off.
fn group_discount(
    lines: &[Line],
    left: &[i64],
    selector: &Selector,
    group: i64,
    from: i64,
    percent: i64,
) -> Result<Applied, Skip> {
    let runs = runs(lines, left, selector);
    if runs.is_empty() {
        return Err(Skip::NotInBasket);
    }
    let units: i64 = runs.iter().map(|r| r.2).sum();
    if units < group {
        return Err(Skip::NotEnoughUnits);
    }
    // What the discounted places are worth, then spread over every unit of the full groups by
    // value: a return of any of them gives back its share, never a whole free unit.
    let full = units / group * group;
    let mut discount = 0_i64;
    let mut weights = vec![0_i64; lines.len()];
    let mut at = 0;
    for (i, price, q) in runs {
        let places =
            places_before(at + q, units, group, from) - places_before(at, units, group, from);
        let grouped = (at + q).min(full) - at.min(full);
        at += q;
        discount = discount.saturating_add(mul_div(price.saturating_mul(places), percent, 100));
        weights[i] = weights[i]
            .saturating_add(price.saturating_mul(grouped))
            .min(left[i]);
    }
    Ok(Applied {
        lines: spread(discount, &weights, left),
        free: None,
        voucher: None,
        capped: false,
        proofs: 0,
        proof_units: Vec::new(),
        traded: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loyalty::offers::rules::BundlePart;

    fn line(sku: &str, category: Option<&str>, quantity: i64, price: i64) -> Line {
        Line {
            sku: sku.into(),
            category: category.map(Into::into),
            quantity,
            unit_price_minor: price,
            value_minor: quantity * price,
        }
    }

    fn offer(priority: i32, exclusive: bool, rules: OfferRules) -> Candidate {
        Candidate {
            id: Uuid::now_v7(),
            name: format!("offer {priority}"),
            priority,
            exclusive,
            rules,
            budget_left: None,
            stock_left: None,
            blocked: None,
            progress: 0,
            requested: false,
        }
    }

    fn skus(s: &[&str]) -> Selector {
        Selector {
            skus: s.iter().map(|x| (*x).to_owned()).collect(),
            categories: Vec::new(),
        }
    }

    fn discount(selector: Selector, amount: i64, percent: i32, min: i64) -> OfferRules {
        OfferRules::Discount {
            selector,
            amount_minor: amount,
            percent,
            minimum_basket_minor: min,
        }
    }

    #[test]
    fn three_for_two_makes_the_cheapest_of_each_group_free() {
        // 4 × 5.00 (A) and 2 × 3.00 (B): 6 units, dearest first A A A | A B B → 2 groups of 3,
        // the free ones are the 3rd and 6th: one A (5.00) and one B (3.00).
        let lines = [line("A", None, 4, 500), line("B", None, 2, 300)];
        let o = offer(
            1,
            false,
            OfferRules::MultiBuy {
                selector: Selector::default(),
                buy: 3,
                pay: 2,
            },
        );
        let e = evaluate(&lines, &[o], &Context::default());
        // 8.00 off, spread over the six units by value: 20.00 of A and 6.00 of B, 6.15 and
        // 1.85 (largest remainder: .62 to B).
        assert_eq!(e.line_discounts, [615, 185]);
    }

    #[test]
    fn the_second_at_half_price_and_a_seventh_unit_alone_pays_full() {
        // 3 units at 9.99: one pair, the second at −50 % → 4.99 (rounded down), third full.
        let lines = [line("A", None, 3, 999)];
        let o = offer(
            1,
            false,
            OfferRules::NthAtPercent {
                selector: skus(&["A"]),
                nth: 2,
                percent: 50,
            },
        );
        assert_eq!(
            evaluate(&lines, &[o], &Context::default()).line_discounts,
            [499]
        );
    }

    #[test]
    fn a_bundle_at_a_set_price_spreads_its_discount_by_value() {
        // Shampoo 6.00 + conditioner 4.00 for 8.00: 2.00 off, 1.20 and 0.80.
        let lines = [
            line("SH", Some("hair"), 1, 600),
            line("CO", Some("hair"), 1, 400),
            line("X", None, 1, 1_000),
        ];
        let o = offer(
            1,
            false,
            OfferRules::Bundle {
                parts: vec![
                    BundlePart {
                        selector: skus(&["SH"]),
                        quantity: 1,
                    },
                    BundlePart {
                        selector: skus(&["CO"]),
                        quantity: 1,
                    },
                ],
                price_minor: 800,
            },
        );
        assert_eq!(
            evaluate(&lines, &[o], &Context::default()).line_discounts,
            [120, 80, 0]
        );
    }

    #[test]
    fn an_exclusive_offer_wins_only_when_it_gives_more_and_the_cap_trims_the_last() {
        // 100.00 basket; stackable: 10 % off (10.00) then 5.00 off; exclusive: 12.00 off.
        let lines = [line("A", None, 1, 6_000), line("B", None, 1, 4_000)];
        let ten = offer(1, false, discount(Selector::default(), 0, 10, 0));
        let five = offer(2, false, discount(Selector::default(), 500, 0, 0));
        let twelve = offer(3, true, discount(Selector::default(), 1_200, 0, 0));
        let e = evaluate(
            &lines,
            &[twelve.clone(), five.clone(), ten.clone()],
            &Context::default(),
        );
        assert_eq!(e.discount(), 1_500);
        assert_eq!(e.outcomes[2].result, Err(Skip::NotBestCombination));
        // A 16.00 exclusive wins over the 15.00 stack.
        let sixteen = offer(3, true, discount(Selector::default(), 1_600, 0, 0));
        let e = evaluate(
            &lines,
            &[ten.clone(), five.clone(), sixteen],
            &Context::default(),
        );
        assert_eq!(e.discount(), 1_600);
        assert_eq!(e.outcomes[0].result, Err(Skip::NotBestCombination));
        // A 12 % cap: 12.00 allowed; the 5.00 (applied last) is cut to 2.00.
        let e = evaluate(
            &lines,
            &[ten, five],
            &Context {
                cap_percent: Some(12),
                ..Context::default()
            },
        );
        assert_eq!(e.discount(), 1_200);
        let last = e.outcomes[1].result.as_ref().ok();
        assert_eq!(last.map(Applied::discount), Some(200));
        assert_eq!(last.map(|a| a.capped), Some(true));
    }

    #[test]
    fn a_minimum_a_budget_and_a_trade_in_say_why() {
        let lines = [line("TV", Some("tv"), 1, 50_000)];
        let min = offer(1, false, discount(Selector::default(), 1_000, 0, 60_000));
        let mut budget = offer(2, false, discount(Selector::default(), 5_000, 0, 0));
        budget.budget_left = Some(3_000);
        let trade = offer(
            3,
            false,
            OfferRules::TradeIn {
                traded_category: "tv".into(),
                selector: skus(&["TV"]),
                amount_minor: 10_000,
            },
        );
        let e = evaluate(&lines, &[min, budget, trade.clone()], &Context::default());
        assert_eq!(e.outcomes[0].result, Err(Skip::MinimumBasketNotReached));
        assert_eq!(
            e.outcomes[1].result.as_ref().map(Applied::discount),
            Ok(3_000)
        );
        assert_eq!(e.outcomes[2].result, Err(Skip::NoTradeIn));
        let e = evaluate(
            &lines,
            &[trade],
            &Context {
                traded_in: vec!["TV".into(), "tv".into()],
                cap_percent: None,
            },
        );
        // Two old TVs, one new: one discount.
        assert_eq!(e.discount(), 10_000);
    }

    #[test]
    fn free_units_and_gifts_are_lines_of_their_own() {
        let lines = [line("CAP", None, 10, 40)];
        let extra = offer(
            1,
            false,
            OfferRules::ExtraQuantity {
                selector: skus(&["CAP"]),
                per: 5,
                free: 1,
                free_sku: None,
            },
        );
        let mut gift = offer(
            2,
            false,
            OfferRules::Gift {
                selector: Selector::default(),
                minimum_basket_minor: 400,
                gift_sku: "BAG".into(),
                gift_value_minor: 250,
            },
        );
        gift.stock_left = Some(0);
        let e = evaluate(&lines, &[extra, gift], &Context::default());
        assert_eq!(e.discount(), 0);
        let free = e.outcomes[0]
            .result
            .as_ref()
            .ok()
            .and_then(|a| a.free.clone());
        assert_eq!(
            free,
            Some(FreeLine {
                sku: "CAP".into(),
                quantity: 2,
                value_minor: 80
            })
        );
        assert_eq!(e.outcomes[1].result, Err(Skip::OutOfStock));
    }

    #[test]
    fn a_trade_in_pays_once_however_many_offers_ask_for_it() {
        let lines = [line("TV55", Some("tv"), 2, 50_000)];
        let trade = |p| {
            offer(
                p,
                false,
                OfferRules::TradeIn {
                    traded_category: "tv".into(),
                    selector: skus(&["TV55"]),
                    amount_minor: 10_000,
                },
            )
        };
        let e = evaluate(
            &lines,
            &[trade(1), trade(2)],
            &Context {
                traded_in: vec!["tv".into()],
                cap_percent: None,
            },
        );
        assert_eq!(e.discount(), 10_000);
        assert_eq!(e.outcomes[1].result, Err(Skip::NoTradeIn));
    }

    #[test]
    fn an_offer_the_cap_leaves_nothing_is_skipped_not_applied_at_zero() {
        let lines = [line("A", None, 1, 10_000)];
        let first = offer(1, false, discount(Selector::default(), 0, 10, 0));
        let second = offer(2, false, discount(Selector::default(), 500, 0, 0));
        let e = evaluate(
            &lines,
            &[first, second],
            &Context {
                cap_percent: Some(10),
                ..Context::default()
            },
        );
        assert_eq!(e.discount(), 1_000);
        assert_eq!(e.outcomes[1].result, Err(Skip::Capped));
    }

    #[test]
    fn free_units_are_valued_net_and_bounded() {
        // 100000 units at 1e12 with a till discount: valued at the net unit price, capped.
        let mut big = line("X", None, 100_000, 1_000_000_000_000);
        big.value_minor = 1;
        let o = offer(
            1,
            false,
            OfferRules::ExtraQuantity {
                selector: Selector::default(),
                per: 1,
                free: 1_000,
                free_sku: None,
            },
        );
        let e = evaluate(&[big], &[o], &Context::default());
        let free = e.outcomes[0]
            .result
            .as_ref()
            .ok()
            .and_then(|a| a.free.clone());
        assert_eq!(
            free.map(|f| (f.quantity, f.value_minor)),
            Some((MAX_FREE_UNITS, 0))
        );
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        fn selector() -> impl Strategy<Value = Selector> {
            prop_oneof![
                Just(Selector::default()),
                Just(skus(&["A"])),
                Just(skus(&["B", "C"])),
                Just(Selector {
                    skus: Vec::new(),
                    categories: vec!["k".into()],
                }),
            ]
        }

        fn rules() -> impl Strategy<Value = OfferRules> {
            prop_oneof![
                (selector(), 0..5_000i64, 0..=100i32, 0..20_000i64).prop_map(
                    |(selector, amount, percent, min)| {
                        let (amount, percent) = if percent > 0 {
                            (0, percent)
                        } else {
                            (amount.max(1), 0)
                        };
                        discount(selector, amount, percent, min)
                    }
                ),
                (selector(), 2..6i64, 1..5i64).prop_map(|(selector, buy, pay)| {
                    OfferRules::MultiBuy {
                        selector,
                        buy,
                        pay: pay.min(buy - 1),
                    }
                }),
                (selector(), 2..4i64, 1..=100i32).prop_map(|(selector, nth, percent)| {
                    OfferRules::NthAtPercent {
                        selector,
                        nth,
                        percent,
                    }
                }),
                (0..3_000i64).prop_map(|price| OfferRules::Bundle {
                    parts: vec![
                        BundlePart {
                            selector: skus(&["A"]),
                            quantity: 1
                        },
                        BundlePart {
                            selector: skus(&["B"]),
                            quantity: 2
                        },
                    ],
                    price_minor: price,
                }),
                (selector(), 1..5i64, 1..3i64).prop_map(|(selector, per, free)| {
                    OfferRules::ExtraQuantity {
                        selector,
                        per,
                        free,
                        free_sku: None,
                    }
                }),
                (selector(), 1..5_000i64).prop_map(|(selector, amount)| OfferRules::TradeIn {
                    traded_category: "old".into(),
                    selector,
                    amount_minor: amount,
                }),
            ]
        }

        fn candidate() -> impl Strategy<Value = Candidate> {
            (
                rules(),
                0..5i32,
                any::<bool>(),
                proptest::option::of(0..5_000i64),
            )
                .prop_map(|(rules, priority, exclusive, budget)| {
                    let mut c = offer(priority, exclusive, rules);
                    c.budget_left = budget;
                    c
                })
        }

        fn basket() -> impl Strategy<Value = Vec<Line>> {
            proptest::collection::vec(
                (
                    prop_oneof![Just("A"), Just("B"), Just("C"), Just("D")],
                    any::<bool>(),
                    1..20i64,
                    0..5_000i64,
                    0..100i64,
                ),
                1..7,
            )
            .prop_map(|ls| {
                ls.into_iter()
                    .map(|(sku, in_k, q, price, off)| {
                        let mut l = line(sku, in_k.then_some("k"), q, price);
                        // The till's own discount, at most the line.
                        l.value_minor -= l.value_minor * off / 100;
                        l
                    })
                    .collect()
            })
        }

        proptest! {
            #[test]
            fn discounts_never_exceed_lines_or_the_cap_and_shares_add_up(
                lines in basket(),
                offers in proptest::collection::vec(candidate(), 0..6),
                cap in proptest::option::of(0..=100i64),
                traded in 0..3usize,
            ) {
                let ctx = Context { traded_in: vec!["old".into(); traded], cap_percent: cap };
                let e = evaluate(&lines, &offers, &ctx);
                let whole: i64 = lines.iter().map(|l| l.value_minor).sum();
                for (d, l) in e.line_discounts.iter().zip(&lines) {
                    prop_assert!(*d >= 0 && *d <= l.value_minor, "{d} on {l:?}");
                }
                prop_assert!(e.discount() <= whole);
                if let Some(cap) = cap {
                    prop_assert!(e.discount() <= whole * cap / 100);
                }
                let mut sum = vec![0; lines.len()];
                for (o, a) in e.applied() {
                    prop_assert!(a.lines.iter().all(|d| *d >= 0));
                    for (s, d) in sum.iter_mut().zip(&a.lines) {
                        *s += d;
                    }
                    let c = offers.iter().find(|c| c.id == o.offer);
                    if let Some(budget) = c.and_then(|c| c.budget_left) {
                        prop_assert!(a.discount() + a.value() <= budget.max(0));
                    }
                }
                prop_assert_eq!(&sum, &e.line_discounts);
                // The same offers in another order choose the same.
                let mut reversed = offers.clone();
                reversed.reverse();
                let again = evaluate(&lines, &reversed, &ctx);
                prop_assert_eq!(again.line_discounts, e.line_discounts);
            }
        }
    }
}
