//! Money and points as values, not bare integers.
//!
//! [`Money`] is a whole number of a currency's minor units (cents for EUR, yen for JPY, fils for
//! KWD) together with that currency; [`Points`] is a whole number of loyalty points. No floats
//! anywhere: percentages and proportional shares are computed in `i128` and rounded down, and
//! splits by weight hand out the remainder by largest remainder so the parts always add up.
//!
//! Invariants: two amounts of different currencies are never added, compared or split together
//! (the checked operations answer an error; the operators are only used where both sides come
//! from one basket, and a mix-up there is caught by a debug assertion); arithmetic saturates
//! instead of wrapping, and amounts come from inputs bounded far below `i64::MAX`.
//! Storage rows and GraphQL fields keep `i64` minor units (their column and wire types); the
//! checkout pipeline, where amounts are combined, works in these types.

use std::{
    fmt,
    iter::Sum,
    ops::{Add, AddAssign, Neg, Sub, SubAssign},
};

use crate::core::{error::AppError, i18n::Lang, types::Currency};

/// An amount of money: minor units of one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    pub fn zero(currency: Currency) -> Self {
        Self::new(0, currency)
    }

    /// The amount in minor units (what is stored and sent).
    pub fn minor(self) -> i64 {
        self.minor
    }

    pub fn currency(self) -> Currency {
        self.currency
    }

    pub fn is_zero(self) -> bool {
        self.minor == 0
    }

    pub fn is_positive(self) -> bool {
        self.minor > 0
    }

    /// The same currency, another amount.
    pub fn with_minor(self, minor: i64) -> Self {
        Self::new(minor, self.currency)
    }

    /// `self + other`, or an error when the currencies differ or the sum does not fit.
    pub fn checked_add(self, other: Self) -> Result<Self, AppError> {
        self.same_currency(other)?;
        self.minor
            .checked_add(other.minor)
            .map(|m| self.with_minor(m))
            .ok_or_else(|| AppError::validation("amount", "is too large"))
    }

    /// `self - other`, or an error when the currencies differ or the difference does not fit.
    pub fn checked_sub(self, other: Self) -> Result<Self, AppError> {
        self.same_currency(other)?;
        self.minor
            .checked_sub(other.minor)
            .map(|m| self.with_minor(m))
            .ok_or_else(|| AppError::validation("amount", "is too large"))
    }

    fn same_currency(self, other: Self) -> Result<(), AppError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(AppError::validation(
                "currency",
                format!(
                    "{} and {} cannot be combined",
                    self.currency.code(),
                    other.currency.code()
                ),
            ))
        }
    }

    /// `percent` % of the amount, rounded down (towards zero): 10 % of 4.55 is 0.45.
    pub fn percent(self, percent: i64) -> Self {
        self.share(percent, 100)
    }

    /// `part / whole` of the amount, rounded down (towards zero); zero when `whole` is zero.
    /// Used for the returned share of a purchase: 1 of 3 lines worth 10.00 of 30.00.
    pub fn share(self, part: i64, whole: i64) -> Self {
        self.with_minor(Self::share_minor(self.minor, part, whole))
    }

    /// `minor × part / whole`, rounded down (towards zero), for minor units not yet tied to a
    /// currency; zero when `whole` is zero.
    pub fn share_minor(minor: i64, part: i64, whole: i64) -> i64 {
        if whole == 0 {
            return 0;
        }
        clamp(i128::from(minor) * i128::from(part) / i128::from(whole))
    }

    /// The smaller of two amounts of the same currency.
    pub fn min(self, other: Self) -> Self {
        debug_assert_eq!(self.currency, other.currency);
        if other.minor < self.minor {
            other
        } else {
            self
        }
    }

    /// Splits the amount over `weights` in proportion, by largest remainder: the parts always
    /// add up to the amount (all of it to the first part when every weight is zero).
    pub fn allocate(self, weights: &[i64]) -> Vec<Self> {
        allocate(self.minor, weights)
            .into_iter()
            .map(|m| self.with_minor(m))
            .collect()
    }

    /// `12.50 EUR` (English) or `12,50 EUR` (French), with the currency's own exponent
    /// (`1250 JPY`, `1.250 KWD`).
    pub fn display(self, lang: Lang) -> String {
        let s = self.to_string();
        match lang {
            Lang::Fr => s.replacen('.', ",", 1),
            Lang::En => s,
        }
    }
}

impl fmt::Display for Money {
    /// `12.50 EUR`: the amount with the currency's exponent, then the code.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let exponent = self.currency.minor_units();
        let code = self.currency.code();
        if exponent == 0 {
            return write!(f, "{} {code}", self.minor);
        }
        let scale = 10u64.pow(u32::from(exponent));
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        write!(
            f,
            "{sign}{}.{:0width$} {code}",
            abs / scale,
            abs % scale,
            width = usize::from(exponent)
        )
    }
}

impl Add for Money {
    type Output = Self;
    fn add(self, other: Self) -> Self {
        debug_assert_eq!(self.currency, other.currency, "amounts of two currencies");
        self.with_minor(self.minor.saturating_add(other.minor))
    }
}

impl Sub for Money {
    type Output = Self;
    fn sub(self, other: Self) -> Self {
        debug_assert_eq!(self.currency, other.currency, "amounts of two currencies");
        self.with_minor(self.minor.saturating_sub(other.minor))
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, other: Self) {
        *self = *self + other;
    }
}

impl SubAssign for Money {
    fn sub_assign(&mut self, other: Self) {
        *self = *self - other;
    }
}

/// A number of loyalty points (or stamps).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct Points(i64);

impl Points {
    pub const ZERO: Self = Self(0);

    pub fn new(points: i64) -> Self {
        Self(points)
    }

    pub fn get(self) -> i64 {
        self.0
    }

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// `percent` % of the points, rounded down (a multiplier of 150 % on 7 points gives 10).
    pub fn percent(self, percent: i64) -> Self {
        self.share(percent, 100)
    }

    /// `part / whole` of the points, rounded down; zero when `whole` is zero.
    pub fn share(self, part: i64, whole: i64) -> Self {
        if whole == 0 {
            return Self(0);
        }
        Self(clamp(
            i128::from(self.0) * i128::from(part) / i128::from(whole),
        ))
    }

    /// Splits the points over `weights` in proportion; the parts always add up.
    pub fn allocate(self, weights: &[i64]) -> Vec<Self> {
        allocate(self.0, weights).into_iter().map(Self).collect()
    }
}

impl fmt::Display for Points {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Add for Points {
    type Output = Self;
    fn add(self, other: Self) -> Self {
        Self(self.0.saturating_add(other.0))
    }
}

impl Sub for Points {
    type Output = Self;
    fn sub(self, other: Self) -> Self {
        Self(self.0.saturating_sub(other.0))
    }
}

impl Neg for Points {
    type Output = Self;
    fn neg(self) -> Self {
        Self(self.0.saturating_neg())
    }
}

impl AddAssign for Points {
    fn add_assign(&mut self, other: Self) {
        *self = *self + other;
    }
}

impl SubAssign for Points {
    fn sub_assign(&mut self, other: Self) {
        *self = *self - other;
    }
}

impl Sum for Points {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::ZERO, Add::add)
    }
}

fn clamp(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

/// Splits `total` over `weights` in proportion, by largest remainder: the parts always add up
/// to `total` (all to the first part when every weight is zero; negative weights count as
/// zero).
pub fn allocate(total: i64, weights: &[i64]) -> Vec<i64> {
    if weights.is_empty() {
        return Vec::new();
    }
    let sum: i128 = weights.iter().map(|w| i128::from((*w).max(0))).sum();
    if sum == 0 {
        let mut parts = vec![0; weights.len()];
        parts[0] = total;
        return parts;
    }
    let exact: Vec<i128> = weights
        .iter()
        .map(|w| i128::from(total) * i128::from((*w).max(0)))
        .collect();
    let mut parts: Vec<i64> = exact.iter().map(|e| clamp(e / sum)).collect();
    // Truncation leaves |left| < number of parts; hand it out by largest remainder (for a
    // negative total the remainders are negative: the most negative take one each).
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse((exact[i] % sum).abs()));
    let mut left = total - parts.iter().sum::<i64>();
    let step = left.signum();
    for &i in order.iter().cycle() {
        if left == 0 {
            break;
        }
        parts[i] += step;
        left -= step;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(minor: i64) -> Money {
        Money::new(
            minor,
            Currency::parse("c", "EUR").unwrap_or_else(|e| panic!("{e:?}")),
        )
    }

    fn currency(code: &str) -> Currency {
        Currency::parse("c", code).unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn amounts_print_with_their_currency_exponent_in_both_languages() {
        assert_eq!(eur(1_250).to_string(), "12.50 EUR");
        assert_eq!(eur(5).to_string(), "0.05 EUR");
        assert_eq!(eur(-1_005).to_string(), "-10.05 EUR");
        assert_eq!(eur(1_250).display(Lang::Fr), "12,50 EUR");
        assert_eq!(Money::new(1_250, currency("JPY")).to_string(), "1250 JPY");
        assert_eq!(Money::new(1_250, currency("KWD")).to_string(), "1.250 KWD");
        assert_eq!(
            Money::new(i64::MIN, currency("EUR")).to_string(),
            "-92233720368547758.08 EUR"
        );
    }

    #[test]
    fn percentages_and_shares_round_down_without_overflow() {
        assert_eq!(eur(455).percent(10), eur(45));
        assert_eq!(eur(-455).percent(10), eur(-45));
        assert_eq!(eur(3_000).share(1, 3), eur(1_000));
        assert_eq!(eur(1_000).share(1, 3), eur(333));
        assert_eq!(eur(1_000).share(5, 0), eur(0));
        // i64::MAX × 100 does not fit in i64; i128 keeps it exact.
        assert_eq!(eur(i64::MAX).percent(100), eur(i64::MAX));
        assert_eq!(Points::new(7).percent(150), Points::new(10));
        assert_eq!(Points::new(i64::MAX).share(3, 2), Points::new(i64::MAX));
    }

    #[test]
    fn two_currencies_are_never_combined() {
        let yen = Money::new(100, currency("JPY"));
        assert!(eur(100).checked_add(yen).is_err());
        assert!(eur(100).checked_sub(yen).is_err());
        assert_eq!(eur(100).checked_add(eur(50)).ok(), Some(eur(150)));
        assert!(eur(i64::MAX).checked_add(eur(1)).is_err());
        assert!(eur(i64::MIN).checked_sub(eur(1)).is_err());
    }

    #[test]
    fn operators_saturate_instead_of_wrapping() {
        assert_eq!(eur(i64::MAX) + eur(1), eur(i64::MAX));
        assert_eq!(
            Points::new(i64::MIN) - Points::new(1),
            Points::new(i64::MIN)
        );
        assert_eq!(-Points::new(i64::MIN), Points::new(i64::MAX));
        let total: Points = [1, 2, 3].into_iter().map(Points::new).sum();
        assert_eq!(total, Points::new(6));
    }

    #[test]
    fn allocations_always_add_up_to_the_total() {
        assert_eq!(allocate(100, &[1_000, 1_000, 1_000]), [34, 33, 33]);
        assert_eq!(allocate(7, &[0, 0]), [7, 0]);
        assert_eq!(allocate(1_999, &[5_000, 15_000]), [500, 1_499]);
        assert_eq!(allocate(-100, &[1, 1, 1]), [-34, -33, -33]);
        assert_eq!(allocate(5, &[]), Vec::<i64>::new());
        for total in [-12_345, -1, 0, 1, 99, 12_345, i64::MAX / 2] {
            for weights in [
                &[3, 7, 11, 0][..],
                &[1][..],
                &[-5, 2, 2][..],
                &[0, 0, 0][..],
            ] {
                let parts = allocate(total, weights);
                assert_eq!(
                    parts.iter().map(|p| i128::from(*p)).sum::<i128>(),
                    i128::from(total)
                );
                for (part, weight) in parts.iter().zip(weights) {
                    if *weight <= 0 && weights.iter().any(|w| *w > 0) {
                        assert_eq!(*part, 0, "{total} over {weights:?}");
                    }
                }
            }
        }
        let parts = eur(1_001).allocate(&[1, 1]);
        assert_eq!(parts, [eur(501), eur(500)]);
        assert_eq!(
            Points::new(10).allocate(&[1, 2]),
            [Points::new(3), Points::new(7)]
        );
    }
}
