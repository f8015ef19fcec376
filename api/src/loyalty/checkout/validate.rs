//! Checks a purchase's input before anything is read or written: amounts within bounds, lines
//! that add up to the total, tax given once, a date neither in the future nor too far back,
//! each voucher code once. Invariant: a refused input changes nothing.

use chrono::{DateTime, Utc};

use super::{MAX_AMOUNT_MINOR, RecordPurchase};
use crate::core::{
    error::AppError,
    types::{Currency, text},
};

/// Checks the input; answers the purchase's currency (the brand's).
pub fn validate(
    input: &RecordPurchase,
    currency: &str,
    now: DateTime<Utc>,
) -> Result<Currency, AppError> {
    if input.currency != currency {
        return Err(AppError::validation(
            "input.currency",
            format!("must be the brand's currency, {currency}"),
        ));
    }
    let currency = Currency::parse("input.currency", currency)?;
    if !(0..=MAX_AMOUNT_MINOR).contains(&input.total_minor) {
        return Err(AppError::validation(
            "input.totalMinor",
            format!("must be between 0 and {MAX_AMOUNT_MINOR}"),
        ));
    }
    if input.tax_minor < 0 || input.tax_minor > input.total_minor {
        return Err(AppError::validation(
            "input.taxMinor",
            "must be between 0 and the total",
        ));
    }
    if input.tax_minor > 0 && input.lines.iter().any(|l| l.tax_minor > 0) {
        return Err(AppError::validation(
            "input.taxMinor",
            "give tax per line or for the purchase, not both",
        ));
    }
    if input.lines.len() > 500 {
        return Err(AppError::validation("input.lines", "at most 500 lines"));
    }
    let mut sum: i128 = 0;
    for line in &input.lines {
        text("input.lines.sku", &line.sku, 64)?;
        if let Some(c) = &line.category {
            text("input.lines.category", c, 64)?;
        }
        if !(1..=100_000).contains(&line.quantity) {
            return Err(AppError::validation(
                "input.lines.quantity",
                "must be between 1 and 100000",
            ));
        }
        if line.unit_price_minor < 0
            || line.discount_minor < 0
            || line.tax_minor < 0
            || line.unit_price_minor > MAX_AMOUNT_MINOR
            || line.discount_minor > MAX_AMOUNT_MINOR.saturating_mul(100_000)
            || line.tax_minor > MAX_AMOUNT_MINOR
        {
            if line.unit_price_minor > MAX_AMOUNT_MINOR || line.tax_minor > MAX_AMOUNT_MINOR {
                return Err(AppError::validation(
                    "input.lines.unitPriceMinor",
                    format!("amounts must be at most {MAX_AMOUNT_MINOR}"),
                ));
            }
            return Err(AppError::validation(
                "input.lines.unitPriceMinor",
                "amounts must not be negative",
            ));
        }
        let gross = i128::from(line.quantity) * i128::from(line.unit_price_minor);
        if i128::from(line.discount_minor) > gross {
            return Err(AppError::validation(
                "input.lines.discountMinor",
                "must not exceed the line amount",
            ));
        }
        sum += gross - i128::from(line.discount_minor);
    }
    if !input.lines.is_empty() && sum != i128::from(input.total_minor) {
        return Err(AppError::validation(
            "input.totalMinor",
            format!("must equal the sum of the lines less discounts ({sum})"),
        ));
    }
    if let Some(at) = input.occurred_at {
        if at > now + chrono::Duration::minutes(5) {
            return Err(AppError::validation(
                "input.occurredAt",
                "must not be in the future",
            ));
        }
        if at < now - input.max_backdate {
            let message = if input.max_backdate > chrono::Duration::days(3000) {
                "must be within the last 10 years".to_owned()
            } else {
                format!(
                    "must be within the last {} days (older history is imported by an owner or \
                     manager, or with an API key of the history:import scope)",
                    input.max_backdate.num_days()
                )
            };
            return Err(AppError::validation("input.occurredAt", message));
        }
    }
    let mut seen: Vec<String> = Vec::new();
    for code in &input.voucher_codes {
        let code = crate::loyalty::vouchers::normalise_code(code);
        if seen.contains(&code) {
            return Err(AppError::validation(
                "input.voucherCodes",
                format!("voucher {code} is listed twice: a code is used once per basket"),
            ));
        }
        seen.push(code);
    }
    Ok(currency)
}
