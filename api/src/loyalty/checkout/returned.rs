//! The return step: the share of a purchase a return gives back, computed from the lines as
//! booked, so that every amount the checkout booked (points, cashback, stamps, savings, loyalty
//! money that paid) is taken back in the same proportion. Pure; `loyalty::returns` books it.
//!
//! Invariant: shares are cumulative floors (what is reversed after this return minus what was
//! reversed before it), so partial returns add up to exactly the whole and never more, however
//! the units come back.

use crate::core::money::{Money, Points};

/// One booked line and what this return brings back of it.
#[derive(Debug, Clone, Copy)]
pub struct ReturnedLine {
    /// Purchase points the line earned (all points programs together).
    pub points_earned: i64,
    /// The line's net value (quantity × unit price − discount), in minor units.
    pub value: i64,
    pub quantity: i64,
    /// Units returned before this return.
    pub returned_before: i64,
    /// Units this return brings back.
    pub returned_now: i64,
}

/// The returned share of one purchase, before and after this return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReturnedShare {
    /// Purchase points reversed once this return is booked.
    pub points_after: Points,
    value_before: i64,
    value_after: i64,
    value_total: i64,
}

impl ReturnedShare {
    pub fn of(lines: &[ReturnedLine]) -> Self {
        let mut share = Self {
            points_after: Points::ZERO,
            value_before: 0,
            value_after: 0,
            value_total: 0,
        };
        for l in lines {
            let after = l.returned_before + l.returned_now;
            share.points_after += Points::new(l.points_earned).share(after, l.quantity.max(0));
            share.value_total += l.value;
            share.value_before += part(l.value, l.returned_before, l.quantity);
            share.value_after += part(l.value, after, l.quantity);
        }
        share
    }

    /// Of `booked` (an amount the purchase booked in value terms: cashback, stamps, savings, a
    /// payment from loyalty money), what this return takes back.
    pub fn delta(&self, booked: i64) -> i64 {
        of_total(booked, self.value_after, self.value_total)
            - of_total(booked, self.value_before, self.value_total)
    }

    /// The net value of the units this return brings back (what was paid for them).
    pub fn value_returned_now(&self) -> i64 {
        self.value_after - self.value_before
    }

    /// [`delta`](Self::delta) of an amount of money.
    pub fn delta_money(&self, booked: Money) -> Money {
        booked.with_minor(self.delta(booked.minor()))
    }
}

/// `value × done / of`, rounded down; zero for an empty line.
fn part(value: i64, done: i64, of: i64) -> i64 {
    if of <= 0 {
        return 0;
    }
    Money::share_minor(value, done, of)
}

/// Share of a program's `earned` amount reversed once `done` of `total` are.
pub fn of_total(earned: i64, done: i64, total: i64) -> i64 {
    if total <= 0 {
        return 0;
    }
    Points::new(earned).share(done, total).get()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(points: i64, value: i64, quantity: i64, before: i64, now: i64) -> ReturnedLine {
        ReturnedLine {
            points_earned: points,
            value,
            quantity,
            returned_before: before,
            returned_now: now,
        }
    }

    #[test]
    fn units_returned_one_at_a_time_add_up_to_exactly_what_was_booked() {
        // 7 points and 10.00 of cashback on 3 units of 10.00, returned one unit at a time:
        // points 2, 2, 3 (cumulative floors 2, 4, 7); cashback 3.33, 3.33, 3.34.
        let mut points = Vec::new();
        let mut cashback = Vec::new();
        let mut reversed = Points::ZERO;
        for before in 0..3 {
            let share = ReturnedShare::of(&[line(7, 3_000, 3, before, 1)]);
            points.push((share.points_after - reversed).get());
            reversed = share.points_after;
            cashback.push(share.delta(1_000));
        }
        assert_eq!(points, [2, 2, 3]);
        assert_eq!(cashback, [333, 333, 334]);
        assert_eq!(cashback.iter().sum::<i64>(), 1_000);
    }

    #[test]
    fn a_return_of_one_line_takes_back_its_share_of_the_basket() {
        // Lines of 20.00 (2 units) and 60.00 (1 unit); a 5.00 voucher discount and 4.00 of
        // stored value paid the basket; one unit of the first line comes back: 10.00 of 80.00.
        let lines = [line(20, 2_000, 2, 0, 1), line(60, 6_000, 1, 0, 0)];
        let share = ReturnedShare::of(&lines);
        assert_eq!(share.points_after, Points::new(10));
        assert_eq!(share.delta(500), 62, "5.00 × 10/80, rounded down");
        assert_eq!(share.delta(400), 50);
        // The rest comes back later: the two returns add up to the whole.
        let rest = ReturnedShare::of(&[line(20, 2_000, 2, 1, 1), line(60, 6_000, 1, 0, 1)]);
        assert_eq!(share.delta(500) + rest.delta(500), 500);
        assert_eq!(rest.points_after, Points::new(80));
    }

    #[test]
    fn an_empty_or_free_basket_gives_nothing_back() {
        let share = ReturnedShare::of(&[line(0, 0, 1, 0, 1)]);
        assert_eq!(share.delta(700), 0);
        assert_eq!(ReturnedShare::of(&[]).delta(700), 0);
        assert_eq!(of_total(5, 7, 7), 5);
        assert_eq!(of_total(5, 0, 7), 0);
        assert_eq!(of_total(5, 3, 0), 0);
    }
}
