//! The brand's figures over a period of days in its time zone, for the dashboard: enrolments,
//! purchases and revenue of members against anonymous customers, points issued, redeemed and
//! expired, per day; and, now, members and the points they hold (the liability).
//! Read-only. Invariant: every figure is summed from the brand's own rows (purchases, members,
//! ledger entries), never from another brand's, and a day is a day of the brand's calendar.
//!
//! Rows are grouped by UTC quarter hour in SQL and each quarter is put on its local day here, so
//! both databases give the same days, in every time zone (offsets are multiples of 15 minutes:
//! India's +05:30 and Nepal's +05:45 included).

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::{
    core::{error::AppError, tenancy::TenantScope},
    loyalty::store,
};

/// The longest period asked for at once.
pub const MAX_DAYS: u64 = 366;

/// One day's figures (or a period's, summed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    pub enrolments: i64,
    pub member_purchases: i64,
    pub anonymous_purchases: i64,
    pub member_revenue_minor: i64,
    pub anonymous_revenue_minor: i64,
    pub points_issued: i64,
    pub points_redeemed: i64,
    pub points_expired: i64,
}

impl Figures {
    fn add(&mut self, other: &Self) {
        self.enrolments += other.enrolments;
        self.member_purchases += other.member_purchases;
        self.anonymous_purchases += other.anonymous_purchases;
        self.member_revenue_minor += other.member_revenue_minor;
        self.anonymous_revenue_minor += other.anonymous_revenue_minor;
        self.points_issued += other.points_issued;
        self.points_redeemed += other.points_redeemed;
        self.points_expired += other.points_expired;
    }
}

#[derive(Debug, Clone)]
pub struct Statistics {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub currency: String,
    pub timezone: String,
    /// Every day of the period, in order (days without activity included, at zero).
    pub days: Vec<(NaiveDate, Figures)>,
    pub totals: Figures,
    /// Members enrolled, all time.
    pub members: i64,
    /// Points members hold now.
    pub points_outstanding: i64,
}

/// The figures of `from..=to` (days of the brand's calendar).
pub async fn statistics(
    scope: &TenantScope,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Statistics, AppError> {
    if to < from {
        return Err(AppError::validation("to", "must not be before `from`"));
    }
    if (to - from).num_days() >= MAX_DAYS as i64 {
        return Err(AppError::validation(
            "to",
            format!("a period is at most {MAX_DAYS} days"),
        ));
    }
    let brand = scope.brand().await?;
    let tz: Tz = brand.timezone.parse().unwrap_or(chrono_tz::UTC);
    let start = local_midnight(tz, from)?;
    let end = local_midnight(
        tz,
        to.checked_add_days(Days::new(1))
            .ok_or_else(|| AppError::validation("to", "out of range"))?,
    )?;
    let conn = scope.conn();
    let db = conn.db();
    let tenant = scope.tenant_id();
    let mut days: BTreeMap<NaiveDate, Figures> = BTreeMap::new();
    let mut day = from;
    while day <= to {
        days.insert(day, Figures::default());
        day = day.checked_add_days(Days::new(1)).unwrap_or(NaiveDate::MAX);
    }
    // A quarter hour (counted since 1970) on the brand's calendar.
    let on_day = |quarter: &i64| -> Option<NaiveDate> {
        let at = DateTime::<Utc>::from_timestamp(quarter.checked_mul(900)?, 0)?;
        Some(at.with_timezone(&tz).date_naive())
    };
    for (hour, key, count, sum) in store::purchases_by_hour(db, tenant, start, end).await? {
        let Some(f) = on_day(&hour).and_then(|d| days.get_mut(&d)) else {
            continue;
        };
        if key == "member" {
            f.member_purchases += count;
            f.member_revenue_minor += sum;
        } else {
            f.anonymous_purchases += count;
            f.anonymous_revenue_minor += sum;
        }
    }
    for (hour, _, count, _) in store::enrolments_by_hour(db, tenant, start, end).await? {
        if let Some(f) = on_day(&hour).and_then(|d| days.get_mut(&d)) {
            f.enrolments += count;
        }
    }
    for (hour, kind, _, sum) in store::brand_points_by_hour(db, tenant, start, end).await? {
        let Some(f) = on_day(&hour).and_then(|d| days.get_mut(&d)) else {
            continue;
        };
        match kind.as_str() {
            // The brand's side of points given is negative; returns bring it back.
            "BRAND_POINTS_ISSUED" => f.points_issued -= sum,
            "BRAND_POINTS_REDEEMED" => f.points_redeemed += sum,
            _ => f.points_expired += sum,
        }
    }
    let (members, points_outstanding) = store::members_and_points(db, tenant).await?;
    let mut totals = Figures::default();
    for f in days.values() {
        totals.add(f);
    }
    Ok(Statistics {
        from,
        to,
        currency: brand.currency,
        timezone: brand.timezone,
        days: days.into_iter().collect(),
        totals,
        members,
        points_outstanding,
    })
}

/// The instant a local day starts (see [`crate::core::clock::local_midnight`]).
fn local_midnight(tz: Tz, day: NaiveDate) -> Result<DateTime<Utc>, AppError> {
    crate::core::clock::local_midnight(tz, day)
        .ok_or_else(|| AppError::validation("from", "not a day of the brand's calendar"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_starts_at_local_midnight() {
        let paris: Tz = "Europe/Paris".parse().unwrap_or(chrono_tz::UTC);
        let d = NaiveDate::from_ymd_opt(2026, 7, 14).unwrap_or_default();
        let start = local_midnight(paris, d).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(start.to_rfc3339(), "2026-07-13T22:00:00+00:00");
        let winter = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default();
        let start = local_midnight(paris, winter).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(start.to_rfc3339(), "2026-11-30T23:00:00+00:00");
    }
}
