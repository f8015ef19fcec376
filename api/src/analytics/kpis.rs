//! The KPIs the sources define, as a series over a range of the brand's days cut into days,
//! weeks (Monday to Sunday) or months, each period with its figures, the whole range, and the
//! range just before it of the same length for comparison.
//!
//! Every ratio is integer arithmetic: shares in basis points (10000 = 100 %), frequencies in
//! thousandths, money in minor units, rounded down. Counts are summed by UTC quarter hour in
//! SQL and put on the brand's local day here (both databases give the same days in every time
//! zone); counts of distinct members are asked per period.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::core::{
    error::AppError,
    tenancy::{Scoped, TenantScope},
};

/// The longest range asked at once, and the most periods.
pub const MAX_DAYS: i64 = 732;
const MAX_PERIODS: usize = 733;

/// Which purchases the figures count: those of a store, of a channel, or all (enrolments and
/// points are the brand's whatever the store).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Only {
    pub store: Option<String>,
    /// `IN_STORE`, `ONLINE` or `MOBILE_APP`.
    pub channel: Option<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    Day,
    Week,
    Month,
}

/// One period's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub member_checkouts: i64,
    pub anonymous_checkouts: i64,
    pub member_revenue_minor: i64,
    pub anonymous_revenue_minor: i64,
    pub offer_discount_minor: i64,
    pub enrolments: i64,
    pub points_issued: i64,
    pub points_redeemed: i64,
    pub points_expired: i64,
    /// Members who bought in the period.
    pub active_members: i64,
    /// Sum of the active members' enrolment instants (seconds since 1970).
    enrolled_seconds: i64,
    /// When the period ends (the next local midnight), in seconds since 1970.
    end_seconds: i64,
    /// Members who bought in the period before (same length), and of them those who bought in
    /// this one.
    pub previous_active_members: i64,
    pub retained_members: i64,
}

fn ratio(part: i64, whole: i64, scale: i64) -> Option<i64> {
    (whole > 0).then(|| {
        i64::try_from(i128::from(part) * i128::from(scale) / i128::from(whole)).unwrap_or(i64::MAX)
    })
}

impl Period {
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// Checkouts made with a card (by a known member) ÷ all checkouts.
    pub fn card_checkout_share_bp(&self) -> Option<i64> {
        ratio(
            self.member_checkouts,
            self.member_checkouts + self.anonymous_checkouts,
            10_000,
        )
    }

    /// Identified customers ÷ all customers, where each anonymous checkout counts as one
    /// customer (anonymous customers are only known by their checkouts).
    pub fn card_holder_rate_bp(&self) -> Option<i64> {
        ratio(
            self.active_members,
            self.active_members + self.anonymous_checkouts,
            10_000,
        )
    }

    pub fn average_member_basket_minor(&self) -> Option<i64> {
        ratio(self.member_revenue_minor, self.member_checkouts, 1)
    }

    pub fn average_anonymous_basket_minor(&self) -> Option<i64> {
        ratio(self.anonymous_revenue_minor, self.anonymous_checkouts, 1)
    }

    /// Member checkouts per active member, over a year: checkouts ÷ active members × 365 ÷ the
    /// period's days, in thousandths.
    pub fn purchases_per_member_per_year_milli(&self) -> Option<i64> {
        ratio(
            self.member_checkouts * 365,
            self.active_members * self.days(),
            1_000,
        )
    }

    /// The active members' average relationship length at the period's end, in days.
    pub fn relationship_days(&self) -> Option<i64> {
        ratio(
            self.active_members * self.end_seconds - self.enrolled_seconds,
            self.active_members * 86_400,
            1,
        )
    }

    /// Customer lifetime value = frequency per year × average basket × relationship length in
    /// years = member revenue ÷ active members × relationship days ÷ the period's days.
    pub fn customer_lifetime_value_minor(&self) -> Option<i64> {
        // From the relationship length as shown (whole days), so the three factors shown give
        // the value shown.
        let days = self.relationship_days()?;
        ratio(
            self.member_revenue_minor * days,
            self.active_members * self.days(),
            1,
        )
    }

    /// Of the members who bought in the period before, the share who bought in this one.
    pub fn retention_bp(&self) -> Option<i64> {
        ratio(self.retained_members, self.previous_active_members, 10_000)
    }

    pub fn attrition_bp(&self) -> Option<i64> {
        self.retention_bp().map(|r| 10_000 - r)
    }

    /// Points redeemed ÷ points issued.
    pub fn redemption_rate_bp(&self) -> Option<i64> {
        ratio(self.points_redeemed, self.points_issued, 10_000)
    }

    /// Points expired ÷ points issued.
    pub fn breakage_bp(&self) -> Option<i64> {
        ratio(self.points_expired, self.points_issued, 10_000)
    }

    fn add_sums(&mut self, q: &super::store::Quarter) {
        self.member_checkouts += q.member_checkouts;
        self.anonymous_checkouts += q.anonymous_checkouts;
        self.member_revenue_minor += q.member_revenue_minor;
        self.anonymous_revenue_minor += q.anonymous_revenue_minor;
        self.offer_discount_minor += q.offer_discount_minor;
        self.enrolments += q.enrolments;
        self.points_issued += q.points_issued;
        self.points_redeemed += q.points_redeemed;
        self.points_expired += q.points_expired;
    }
}

/// The report.
#[derive(Debug, Clone)]
pub struct Report {
    pub currency: String,
    pub timezone: String,
    pub periods: Vec<Period>,
    pub total: Period,
    /// The same number of days just before `from`.
    pub previous: Period,
    /// Points members hold now.
    pub points_outstanding: i64,
    /// Cashback and stored value members hold now, in minor units.
    pub cashback_outstanding_minor: i64,
    pub stored_value_outstanding_minor: i64,
}

/// The periods as CSV: a header, then one row per period (numbers and dates only: no quoting
/// needed).
pub fn csv(periods: &[Period]) -> String {
    let cell = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    let mut out = String::from(
        "from,to,member_checkouts,anonymous_checkouts,member_revenue_minor,anonymous_revenue_minor,\
         card_checkout_share_bp,card_holder_rate_bp,average_member_basket_minor,\
         average_anonymous_basket_minor,active_members,enrolments,\
         purchases_per_member_per_year_milli,relationship_days,customer_lifetime_value_minor,\
         retention_bp,attrition_bp,points_issued,points_redeemed,points_expired,\
         redemption_rate_bp,breakage_bp,offer_discount_minor\n",
    );
    for p in periods {
        let row = [
            p.from.to_string(),
            p.to.to_string(),
            p.member_checkouts.to_string(),
            p.anonymous_checkouts.to_string(),
            p.member_revenue_minor.to_string(),
            p.anonymous_revenue_minor.to_string(),
            cell(p.card_checkout_share_bp()),
            cell(p.card_holder_rate_bp()),
            cell(p.average_member_basket_minor()),
            cell(p.average_anonymous_basket_minor()),
            p.active_members.to_string(),
            p.enrolments.to_string(),
            cell(p.purchases_per_member_per_year_milli()),
            cell(p.relationship_days()),
            cell(p.customer_lifetime_value_minor()),
            cell(p.retention_bp()),
            cell(p.attrition_bp()),
            p.points_issued.to_string(),
            p.points_redeemed.to_string(),
            p.points_expired.to_string(),
            cell(p.redemption_rate_bp()),
            cell(p.breakage_bp()),
            p.offer_discount_minor.to_string(),
        ];
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

/// The periods of `from..=to`.
fn cut(from: NaiveDate, to: NaiveDate, granularity: Granularity) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    let mut start = from;
    while start <= to && out.len() < MAX_PERIODS {
        let next = match granularity {
            Granularity::Day => start.checked_add_days(Days::new(1)),
            Granularity::Week => start.checked_add_days(Days::new(
                7 - u64::from(start.weekday().num_days_from_monday()),
            )),
            Granularity::Month => start
                .with_day(1)
                .and_then(|d| d.checked_add_months(Months::new(1))),
        }
        .unwrap_or(NaiveDate::MAX);
        let end = Ord::min(next.pred_opt().unwrap_or(next), to);
        out.push((start, end));
        start = next;
    }
    out
}

/// The instant a local day starts (see [`crate::core::clock::local_midnight`]).
fn midnight(tz: Tz, day: NaiveDate) -> Result<DateTime<Utc>, AppError> {
    crate::core::clock::local_midnight(tz, day)
        .ok_or_else(|| AppError::validation("from", "not a day of the brand's calendar"))
}

/// One period's figures: its sums from the quarters, its distinct members asked.
async fn period<C: sea_orm::ConnectionTrait>(
    conn: &Scoped<C>,
    tz: Tz,
    (from, to): (NaiveDate, NaiveDate),
    by_day: &HashMap<NaiveDate, super::store::Quarter>,
    only: &Only,
) -> Result<Period, AppError> {
    let mut p = Period {
        from,
        to,
        ..Period::default()
    };
    let mut day = from;
    while day <= to {
        if let Some(q) = by_day.get(&day) {
            p.add_sums(q);
        }
        day = day.checked_add_days(Days::new(1)).unwrap_or(NaiveDate::MAX);
    }
    let start = midnight(tz, from)?;
    let end = midnight(
        tz,
        to.checked_add_days(Days::new(1))
            .ok_or_else(|| AppError::validation("to", "out of range"))?,
    )?;
    p.end_seconds = end.timestamp();
    (p.active_members, p.enrolled_seconds) =
        super::store::active_members(conn, start, end, only).await?;
    let length = Days::new(u64::try_from(p.days()).unwrap_or(1));
    let before = midnight(
        tz,
        from.checked_sub_days(length)
            .ok_or_else(|| AppError::validation("from", "out of range"))?,
    )?;
    (p.previous_active_members, p.retained_members) =
        super::store::retained(conn, before, start, end, only).await?;
    Ok(p)
}

/// The KPIs of `from..=to` by `granularity`.
pub async fn report(
    scope: &TenantScope,
    from: NaiveDate,
    to: NaiveDate,
    granularity: Granularity,
    only: &Only,
) -> Result<Report, AppError> {
    if to < from {
        return Err(AppError::validation("to", "must not be before `from`"));
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(AppError::validation(
            "to",
            format!("a range is at most {MAX_DAYS} days"),
        ));
    }
    let conn = scope.conn();
    let brand = conn.brand().await?;
    let tz: Tz = brand.timezone.parse().unwrap_or(chrono_tz::UTC);
    let length = Days::new(u64::try_from((to - from).num_days() + 1).unwrap_or(1));
    let previous_from = from
        .checked_sub_days(length)
        .ok_or_else(|| AppError::validation("from", "out of range"))?;
    let previous_to = from.pred_opt().unwrap_or(from);
    let start = midnight(tz, previous_from)?;
    let end = midnight(
        tz,
        to.checked_add_days(Days::new(1))
            .ok_or_else(|| AppError::validation("to", "out of range"))?,
    )?;
    // Every quarter hour of both ranges, put on the brand's day.
    let mut by_day: HashMap<NaiveDate, super::store::Quarter> = HashMap::new();
    for (quarter, q) in super::store::quarters(&conn, start, end, only).await? {
        let Some(at) = quarter
            .checked_mul(900)
            .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
        else {
            continue;
        };
        by_day
            .entry(at.with_timezone(&tz).date_naive())
            .or_default()
            .add(&q);
    }
    let mut periods = Vec::new();
    for bounds in cut(from, to, granularity) {
        periods.push(period(&conn, tz, bounds, &by_day, only).await?);
    }
    let total = period(&conn, tz, (from, to), &by_day, only).await?;
    let previous = period(&conn, tz, (previous_from, previous_to), &by_day, only).await?;
    let held = super::store::outstanding(&conn).await?;
    Ok(Report {
        currency: brand.currency,
        timezone: brand.timezone,
        periods,
        total,
        previous,
        points_outstanding: held.0,
        cashback_outstanding_minor: held.1,
        stored_value_outstanding_minor: held.2,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn ranges_are_cut_into_calendar_weeks_and_months() {
        // 2026-12-02 is a Wednesday.
        assert_eq!(
            cut(d(2026, 12, 2), d(2026, 12, 16), Granularity::Week),
            vec![
                (d(2026, 12, 2), d(2026, 12, 6)),
                (d(2026, 12, 7), d(2026, 12, 13)),
                (d(2026, 12, 14), d(2026, 12, 16)),
            ]
        );
        assert_eq!(
            cut(d(2026, 11, 15), d(2027, 2, 10), Granularity::Month),
            vec![
                (d(2026, 11, 15), d(2026, 11, 30)),
                (d(2026, 12, 1), d(2026, 12, 31)),
                (d(2027, 1, 1), d(2027, 1, 31)),
                (d(2027, 2, 1), d(2027, 2, 10)),
            ]
        );
        assert_eq!(cut(d(2026, 1, 1), d(2026, 1, 3), Granularity::Day).len(), 3);
    }

    #[test]
    fn ratios_round_down_and_stay_null_without_a_base() {
        let p = Period {
            from: d(2026, 1, 1),
            to: d(2026, 1, 31),
            member_checkouts: 3,
            anonymous_checkouts: 1,
            member_revenue_minor: 10_000,
            active_members: 2,
            previous_active_members: 3,
            retained_members: 1,
            ..Period::default()
        };
        assert_eq!(p.card_checkout_share_bp(), Some(7_500));
        // 2 identified customers, 1 anonymous checkout.
        assert_eq!(p.card_holder_rate_bp(), Some(6_666));
        assert_eq!(p.average_member_basket_minor(), Some(3_333));
        assert_eq!(p.average_anonymous_basket_minor(), Some(0));
        // 3 checkouts by 2 members in 31 days: 3 × 365 ÷ (2 × 31) = 17.661…
        assert_eq!(p.purchases_per_member_per_year_milli(), Some(17_661));
        assert_eq!(p.retention_bp(), Some(3_333));
        assert_eq!(p.attrition_bp(), Some(6_667));
        assert_eq!(p.redemption_rate_bp(), None);
    }
}
