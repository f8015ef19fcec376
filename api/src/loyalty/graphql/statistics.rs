//! `brandStatistics`: the dashboard's figures over a period of the brand's days.

use async_graphql::{Context, Object, Result, SimpleObject};
use chrono::NaiveDate;

use crate::{
    core::{
        auth::Permission,
        graphql::{ContextExt, guards::PermissionGuard},
    },
    loyalty::statistics::{self, Figures},
};

/// Figures of a day, or of the whole period.
#[derive(SimpleObject)]
pub struct DayFigures {
    /// The day, in the brand's time zone (the period's first day for totals).
    pub date: NaiveDate,
    /// Members enrolled.
    pub enrolments: i64,
    /// Purchases with a card or a known member.
    pub member_purchases: i64,
    /// Purchases without a card (anonymous customers).
    pub anonymous_purchases: i64,
    /// What members paid, in minor units (purchase totals, before returns).
    pub member_revenue_minor: i64,
    /// What anonymous customers paid, in minor units.
    pub anonymous_revenue_minor: i64,
    /// Points members received (purchases, bonuses, gestures), net of points taken back by
    /// returns.
    pub points_issued: i64,
    /// Points spent on rewards and vouchers.
    pub points_redeemed: i64,
    /// Points that expired.
    pub points_expired: i64,
}

fn figures(date: NaiveDate, f: &Figures) -> DayFigures {
    DayFigures {
        date,
        enrolments: f.enrolments,
        member_purchases: f.member_purchases,
        anonymous_purchases: f.anonymous_purchases,
        member_revenue_minor: f.member_revenue_minor,
        anonymous_revenue_minor: f.anonymous_revenue_minor,
        points_issued: f.points_issued,
        points_redeemed: f.points_redeemed,
        points_expired: f.points_expired,
    }
}

/// The brand's figures over a period.
#[derive(SimpleObject)]
pub struct BrandStatistics {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub currency: String,
    /// The time zone the days are counted in.
    pub timezone: String,
    /// Every day of the period, days without activity included.
    pub days: Vec<DayFigures>,
    pub totals: DayFigures,
    /// Members enrolled, all time.
    pub members: i64,
    /// Points members hold now (what the brand owes them).
    pub points_outstanding: i64,
    /// Share of the period's checkouts made by members (with a card or known), in basis points
    /// (10000 = 100 %): member purchases ÷ all purchases. Null without purchases.
    pub member_checkout_share_basis_points: Option<i64>,
    /// Average member basket, in minor units: member revenue ÷ member purchases (rounded
    /// down). Null without member purchases.
    pub average_member_basket_minor: Option<i64>,
    /// Average anonymous basket, in minor units: anonymous revenue ÷ anonymous purchases.
    pub average_anonymous_basket_minor: Option<i64>,
}

#[derive(Default)]
pub struct StatisticsQuery;

#[Object]
impl StatisticsQuery {
    /// The brand's figures for the days `from` to `to` (both included, the brand's calendar,
    /// at most 366 days): enrolments, purchases and revenue of members against anonymous
    /// customers, points issued, redeemed and expired, per day and in total.
    #[graphql(guard = "PermissionGuard(Permission::ViewStatistics)")]
    async fn brand_statistics(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<BrandStatistics> {
        let s = statistics::statistics(ctx.scope()?, from, to).await?;
        let t = &s.totals;
        let all = t.member_purchases + t.anonymous_purchases;
        let ratio = |part: i64, whole: i64| (whole > 0).then(|| part / whole);
        Ok(BrandStatistics {
            from: s.from,
            to: s.to,
            currency: s.currency.clone(),
            timezone: s.timezone.clone(),
            days: s.days.iter().map(|(d, f)| figures(*d, f)).collect(),
            totals: figures(s.from, t),
            members: s.members,
            points_outstanding: s.points_outstanding,
            member_checkout_share_basis_points: ratio(t.member_purchases * 10_000, all),
            average_member_basket_minor: ratio(t.member_revenue_minor, t.member_purchases),
            average_anonymous_basket_minor: ratio(t.anonymous_revenue_minor, t.anonymous_purchases),
        })
    }
}
