//! What an offer does, as the brand configured it: the kinds of the issue "Offers and
//! promotions" (immediate coupon, multi-buy, n-th unit at −X %, bundle at a set price, free
//! units, gift with purchase, trade-in, deferred coupon), each over the lines a [`Selector`]
//! picks. Stored as JSON in `offer.rules`; checked by [`OfferRules::validate`] before saving.

use serde::{Deserialize, Serialize};

use crate::core::error::AppError;

/// The lines an offer looks at: those whose SKU or category is listed; nothing listed: every
/// line of the basket.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Selector {
    #[serde(default)]
    pub skus: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
}

impl Selector {
    pub fn is_everything(&self) -> bool {
        self.skus.is_empty() && self.categories.is_empty()
    }

    pub fn matches(&self, sku: &str, category: Option<&str>) -> bool {
        self.is_everything()
            || self.skus.iter().any(|s| s.eq_ignore_ascii_case(sku.trim()))
            || category.is_some_and(|c| {
                self.categories
                    .iter()
                    .any(|x| x.eq_ignore_ascii_case(c.trim()))
            })
    }

    fn validate(&self, field: &'static str) -> Result<(), AppError> {
        if self.skus.len() + self.categories.len() > 100 {
            return Err(AppError::validation(
                field,
                "at most 100 SKUs and categories",
            ));
        }
        for s in self.skus.iter().chain(&self.categories) {
            crate::core::types::text(field, s, 64)?;
        }
        Ok(())
    }
}

/// One part of a bundle: `quantity` units among the lines `selector` picks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundlePart {
    pub selector: Selector,
    pub quantity: i64,
}

/// The voucher a deferred coupon issues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeferredVoucher {
    /// Amount off, in minor units (or `percent`).
    pub amount_minor: i64,
    pub percent: i32,
    /// Usable from this many days after the purchase (1: from tomorrow).
    pub valid_from_days: i64,
    /// Then for this many days.
    pub valid_days: i64,
    /// The basket the voucher itself needs.
    pub minimum_basket_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OfferRules {
    /// Immediate coupon: an amount or a percentage off the selected lines (all of them: off the
    /// basket), when the basket reaches a minimum.
    #[serde(rename_all = "camelCase")]
    Discount {
        selector: Selector,
        amount_minor: i64,
        percent: i32,
        minimum_basket_minor: i64,
    },
    /// N for the price of M: in each group of `buy` selected units (dearest first), the
    /// `buy − pay` cheapest are free ("3 for 2", "cheapest free").
    #[serde(rename_all = "camelCase")]
    MultiBuy {
        selector: Selector,
        buy: i64,
        pay: i64,
    },
    /// Every `nth` selected unit (the cheapest of each group of `nth`, dearest first) at
    /// `percent` off ("the second at −50 %").
    #[serde(rename_all = "camelCase")]
    NthAtPercent {
        selector: Selector,
        nth: i64,
        percent: i32,
    },
    /// A set of parts at a set price: as many full bundles as the basket holds (dearest units
    /// first), each at `price_minor`.
    #[serde(rename_all = "camelCase")]
    Bundle {
        parts: Vec<BundlePart>,
        price_minor: i64,
    },
    /// Free units: per `per` selected units bought, `free` more units of `free_sku` (default:
    /// the cheapest selected line's SKU) at no charge, on a line of their own.
    #[serde(rename_all = "camelCase")]
    ExtraQuantity {
        selector: Selector,
        per: i64,
        free: i64,
        free_sku: Option<String>,
    },
    /// A gift or sample (`gift_sku`, worth `gift_value_minor`) when the selected lines reach
    /// `minimum_basket_minor`; limited by the offer's stock.
    #[serde(rename_all = "camelCase")]
    Gift {
        selector: Selector,
        minimum_basket_minor: i64,
        gift_sku: String,
        gift_value_minor: i64,
    },
    /// Trade-in: each old product of `traded_category` brought back (recorded by the till)
    /// takes `amount_minor` off one selected unit.
    #[serde(rename_all = "camelCase")]
    TradeIn {
        traded_category: String,
        selector: Selector,
        amount_minor: i64,
    },
    /// Refund offer (ODR): a claim against a purchase of the selected products (recorded in
    /// Fidelis, or a receipt) within `deadline_days` pays back `amount_minor`, or `percent` of the
    /// qualifying amount. Never applied at the till: members and staff submit claims.
    #[serde(rename_all = "camelCase")]
    Refund {
        selector: Selector,
        amount_minor: i64,
        percent: i32,
        deadline_days: i64,
    },
    /// Premium against proofs (prime de fidélité): each purchase of the selected products (or
    /// each unit, with `count_units`) is a proof; the `proofs`-th within the period (the offer's
    /// window, or `period_days` from its start) issues the premium: the voucher (when it has an
    /// amount or a percent), `premium_points` of `premium_program_id`, and/or a gift
    /// (`gift_sku`, worth `gift_value_minor`, from the offer's stock when it has one) handed
    /// over by the till.
    #[serde(rename_all = "camelCase")]
    Premium {
        selector: Selector,
        proofs: i64,
        count_units: bool,
        period_days: Option<i64>,
        voucher: DeferredVoucher,
        #[serde(default)]
        premium_points: i64,
        #[serde(default)]
        premium_program_id: Option<uuid::Uuid>,
        #[serde(default)]
        gift_sku: Option<String>,
        #[serde(default)]
        gift_value_minor: i64,
    },
    /// Deferred coupon: a purchase whose selected lines reach `minimum_basket_minor` issues a
    /// voucher for a later visit.
    #[serde(rename_all = "camelCase")]
    Deferred {
        selector: Selector,
        minimum_basket_minor: i64,
        voucher: DeferredVoucher,
    },
}

/// Amounts an offer may carry: far above any real promotion.
const MAX_MINOR: i64 = 100_000_000_000;

impl OfferRules {
    /// The kind's stored name.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Discount { .. } => "DISCOUNT",
            Self::MultiBuy { .. } => "MULTI_BUY",
            Self::NthAtPercent { .. } => "NTH_AT_PERCENT",
            Self::Bundle { .. } => "BUNDLE",
            Self::ExtraQuantity { .. } => "EXTRA_QUANTITY",
            Self::Gift { .. } => "GIFT",
            Self::TradeIn { .. } => "TRADE_IN",
            Self::Deferred { .. } => "DEFERRED",
            Self::Refund { .. } => "REFUND",
            Self::Premium { .. } => "PREMIUM",
        }
    }

    /// Whether a basket holding these lines could get anything from the offer: one of its
    /// products is there (an offer for every product always could). Offers no line touches are
    /// not evaluated at all.
    pub fn touches<'a>(&self, mut lines: impl Iterator<Item = (&'a str, Option<&'a str>)>) -> bool {
        match self {
            Self::Bundle { parts, .. } => {
                lines.any(|(sku, category)| parts.iter().any(|p| p.selector.matches(sku, category)))
            }
            Self::Discount { selector, .. }
            | Self::MultiBuy { selector, .. }
            | Self::NthAtPercent { selector, .. }
            | Self::ExtraQuantity { selector, .. }
            | Self::Gift { selector, .. }
            | Self::TradeIn { selector, .. }
            | Self::Deferred { selector, .. }
            | Self::Refund { selector, .. }
            | Self::Premium { selector, .. } => {
                selector.is_everything()
                    || lines.any(|(sku, category)| selector.matches(sku, category))
            }
        }
    }

    /// The products the offer is about (a bundle: all its parts), for "just bought"
    /// suppression.
    pub fn products(&self) -> Selector {
        match self {
            Self::Discount { selector, .. }
            | Self::MultiBuy { selector, .. }
            | Self::NthAtPercent { selector, .. }
            | Self::ExtraQuantity { selector, .. }
            | Self::Gift { selector, .. }
            | Self::TradeIn { selector, .. }
            | Self::Deferred { selector, .. }
            | Self::Refund { selector, .. }
            | Self::Premium { selector, .. } => selector.clone(),
            Self::Bundle { parts, .. } => Selector {
                skus: parts.iter().flat_map(|p| p.selector.skus.clone()).collect(),
                categories: parts
                    .iter()
                    .flat_map(|p| p.selector.categories.clone())
                    .collect(),
            },
        }
    }

    /// Checks the numbers and texts; every refusal names its field.
    pub fn validate(&self) -> Result<(), AppError> {
        let bad = |field: &'static str, message: &str| Err(AppError::validation(field, message));
        let amount = |field: &'static str, v: i64, min: i64| {
            if (min..=MAX_MINOR).contains(&v) {
                Ok(())
            } else {
                Err(AppError::validation(
                    field,
                    format!("must be between {min} and {MAX_MINOR}"),
                ))
            }
        };
        let count = |field: &'static str, v: i64, min: i64| {
            if (min..=1_000).contains(&v) {
                Ok(())
            } else {
                Err(AppError::validation(
                    field,
                    format!("must be between {min} and 1000"),
                ))
            }
        };
        match self {
            Self::Discount {
                selector,
                amount_minor,
                percent,
                minimum_basket_minor,
            } => {
                selector.validate("input.skus")?;
                amount("input.minimumBasketMinor", *minimum_basket_minor, 0)?;
                match (*amount_minor, *percent) {
                    (a, 0) if a > 0 => amount("input.amountMinor", a, 1)?,
                    (0, p) if (1..=100).contains(&p) => {}
                    _ => {
                        return bad(
                            "input.amountMinor",
                            "set either an amount or a percent (1 to 100)",
                        );
                    }
                }
            }
            Self::MultiBuy { selector, buy, pay } => {
                selector.validate("input.skus")?;
                count("input.buyQuantity", *buy, 2)?;
                if !(1..*buy).contains(pay) {
                    return bad(
                        "input.payQuantity",
                        "must be at least 1 and less than buyQuantity",
                    );
                }
            }
            Self::NthAtPercent {
                selector,
                nth,
                percent,
            } => {
                selector.validate("input.skus")?;
                count("input.nth", *nth, 2)?;
                if !(1..=100).contains(percent) {
                    return bad("input.percent", "must be between 1 and 100");
                }
            }
            Self::Bundle { parts, price_minor } => {
                if parts.is_empty() || parts.len() > 10 {
                    return bad("input.bundleParts", "give 1 to 10 parts");
                }
                for part in parts {
                    if part.selector.is_everything() {
                        return bad("input.bundleParts", "each part names SKUs or categories");
                    }
                    part.selector.validate("input.bundleParts")?;
                    count("input.bundleParts.quantity", part.quantity, 1)?;
                }
                amount("input.bundlePriceMinor", *price_minor, 0)?;
            }
            Self::ExtraQuantity {
                selector,
                per,
                free,
                free_sku,
            } => {
                selector.validate("input.skus")?;
                count("input.perQuantity", *per, 1)?;
                count("input.freeQuantity", *free, 1)?;
                if let Some(sku) = free_sku {
                    crate::core::types::text("input.giftSku", sku, 64)?;
                }
            }
            Self::Gift {
                selector,
                minimum_basket_minor,
                gift_sku,
                gift_value_minor,
            } => {
                selector.validate("input.skus")?;
                amount("input.minimumBasketMinor", *minimum_basket_minor, 0)?;
                crate::core::types::text("input.giftSku", gift_sku, 64)?;
                amount("input.giftValueMinor", *gift_value_minor, 0)?;
            }
            Self::TradeIn {
                traded_category,
                selector,
                amount_minor,
            } => {
                crate::core::types::text("input.tradeInCategory", traded_category, 64)?;
                selector.validate("input.skus")?;
                amount("input.amountMinor", *amount_minor, 1)?;
            }
            Self::Refund {
                selector,
                amount_minor,
                percent,
                deadline_days,
            } => {
                selector.validate("input.skus")?;
                match (*amount_minor, *percent) {
                    (a, 0) if a > 0 => amount("input.amountMinor", a, 1)?,
                    (0, p) if (1..=100).contains(&p) => {}
                    _ => {
                        return bad(
                            "input.amountMinor",
                            "set either an amount or a percent (1 to 100)",
                        );
                    }
                }
                if !(1..=730).contains(deadline_days) {
                    return bad("input.claimDeadlineDays", "must be between 1 and 730");
                }
            }
            Self::Premium {
                selector,
                proofs,
                period_days,
                voucher,
                premium_points,
                premium_program_id,
                gift_sku,
                gift_value_minor,
                ..
            } => {
                selector.validate("input.skus")?;
                count("input.proofsNeeded", *proofs, 2)?;
                match gift_sku {
                    Some(sku) => {
                        crate::core::types::text("input.giftSku", sku, 64)?;
                        amount("input.giftValueMinor", *gift_value_minor, 0)?;
                    }
                    None if *gift_value_minor != 0 => {
                        return bad("input.giftSku", "name the gift the value is for");
                    }
                    None => {}
                }
                if period_days.is_some_and(|d| !(1..=3650).contains(&d)) {
                    return bad("input.periodDays", "must be between 1 and 3650");
                }
                if !(0..=1_000_000_000).contains(premium_points) {
                    return bad("input.premiumPoints", "must be between 0 and 1000000000");
                }
                match (*premium_points > 0, premium_program_id.is_some()) {
                    (true, false) => {
                        return bad(
                            "input.premiumProgramId",
                            "name the points program the premium's points are credited to",
                        );
                    }
                    (false, true) => {
                        return bad("input.premiumPoints", "give the premium's points");
                    }
                    _ => {}
                }
                // Points, a gift, a voucher, or several of them: a voucher unless one of the
                // others is given.
                if (*premium_points == 0 && gift_sku.is_none()) || voucher.is_set() {
                    validate_voucher(voucher)?;
                }
            }
            Self::Deferred {
                selector,
                minimum_basket_minor,
                voucher,
            } => {
                selector.validate("input.skus")?;
                amount("input.minimumBasketMinor", *minimum_basket_minor, 0)?;
                validate_voucher(voucher)?;
            }
        }
        Ok(())
    }
}

impl DeferredVoucher {
    /// A premium may give points alone: its voucher then has neither amount nor percent.
    pub fn is_set(&self) -> bool {
        self.amount_minor != 0 || self.percent != 0
    }
}

/// Checks the voucher a deferred coupon or a premium issues.
fn validate_voucher(voucher: &DeferredVoucher) -> Result<(), AppError> {
    let bad = |field: &'static str, message: &str| Err(AppError::validation(field, message));
    match (voucher.amount_minor, voucher.percent) {
        (a, 0) if (1..=10_000_000).contains(&a) => {}
        (0, p) if (1..=100).contains(&p) => {}
        _ => {
            return bad(
                "input.voucherAmountMinor",
                "set either an amount (1 to 10000000) or a percent (1 to 100)",
            );
        }
    }
    if !(0..=365).contains(&voucher.valid_from_days) {
        return bad("input.voucherValidFromDays", "must be between 0 and 365");
    }
    if !(1..=730).contains(&voucher.valid_days) {
        return bad("input.voucherValidDays", "must be between 1 and 730");
    }
    if !(0..=MAX_MINOR).contains(&voucher.minimum_basket_minor) {
        return bad("input.voucherMinimumBasketMinor", "must not be negative");
    }
    Ok(())
}
