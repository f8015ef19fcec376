//! Customer knowledge's GraphQL roots: `scoring`, `segmentMovements`, `updateScoring`,
//! `runScoring`. Owners and managers only (staff and partner apps: FORBIDDEN).

use async_graphql::{Context, InputObject, Object, Result, SimpleObject};
use chrono::NaiveDate;

use crate::{
    analytics::{
        scoring::{SegmentRule, Thresholds},
        segments,
    },
    core::{
        auth::Permission,
        error::AppError,
        graphql::{ContextExt, guards::PermissionGuard},
        i18n::Lang,
    },
};

/// The name of a default segment in the reader's language.
fn default_name(key: &str, lang: Lang) -> Option<&'static str> {
    let (fr, en) = match key {
        "NEW" => ("Nouveaux clients", "New customers"),
        "INACTIVE" => ("Inactifs (à reconquérir)", "Inactive (to win back)"),
        "VERY_GOOD" => ("Très bons clients", "Very good customers"),
        "AT_RISK" => (
            "À risque (futurs non-clients)",
            "At risk (future non-customers)",
        ),
        "GOOD" => ("Bons clients", "Good customers"),
        "OCCASIONAL" => ("Occasionnels", "Occasional customers"),
        _ => return None,
    };
    Some(match lang {
        Lang::Fr => fr,
        Lang::En => en,
    })
}

/// One named segment: its conditions (scores 0 to 5; 0: no purchase in the window) and its
/// members after the last run. The first segment whose conditions hold takes the member.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "ScoringSegmentInput")]
pub struct ScoringSegment {
    /// Stable key (`AT_RISK`): what members carry and audiences name (`scoreSegment`).
    pub key: String,
    /// The brand's name for it (the defaults are named in the reader's language).
    pub name: Option<String>,
    pub min_r: Option<i32>,
    pub max_r: Option<i32>,
    pub min_f: Option<i32>,
    pub max_f: Option<i32>,
    pub min_m: Option<i32>,
    pub max_m: Option<i32>,
    pub min_t: Option<i32>,
    pub max_t: Option<i32>,
    /// Enrolled within this many days.
    pub enrolled_within_days: Option<i32>,
    /// Bought (true) or not (false) within the window.
    pub bought: Option<bool>,
    /// Members in it after the last run (0 in input).
    #[graphql(default)]
    pub members: i64,
}

fn score(v: Option<i32>) -> Result<Option<i16>, AppError> {
    v.map(|s| {
        i16::try_from(s)
            .map_err(|_| AppError::validation("input.segments", "scores go from 0 to 5"))
    })
    .transpose()
}

impl ScoringSegment {
    fn rule(&self) -> Result<SegmentRule, AppError> {
        Ok(SegmentRule {
            key: self.key.trim().to_owned(),
            name: self
                .name
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned),
            min_r: score(self.min_r)?,
            max_r: score(self.max_r)?,
            min_f: score(self.min_f)?,
            max_f: score(self.max_f)?,
            min_m: score(self.min_m)?,
            max_m: score(self.max_m)?,
            min_t: score(self.min_t)?,
            max_t: score(self.max_t)?,
            enrolled_within_days: self.enrolled_within_days.map(i64::from),
            bought: self.bought,
        })
    }

    fn view(rule: &SegmentRule, members: i64, lang: Lang) -> Self {
        let wide = |v: Option<i16>| v.map(i32::from);
        Self {
            key: rule.key.clone(),
            name: rule
                .name
                .clone()
                .or_else(|| default_name(&rule.key, lang).map(str::to_owned)),
            min_r: wide(rule.min_r),
            max_r: wide(rule.max_r),
            min_f: wide(rule.min_f),
            max_f: wide(rule.max_f),
            min_m: wide(rule.min_m),
            max_m: wide(rule.max_m),
            min_t: wide(rule.min_t),
            max_t: wide(rule.max_t),
            enrolled_within_days: rule
                .enrolled_within_days
                .and_then(|d| i32::try_from(d).ok()),
            bought: rule.bought,
            members,
        }
    }
}

/// Cut points instead of quintiles: four per dimension, in increasing merit (a value reaching
/// the i-th scores i + 1). Recency in days, decreasing (e.g. 180, 90, 30, 7).
#[derive(SimpleObject, InputObject, Clone, Default)]
#[graphql(input_name = "ScoringThresholdsInput")]
pub struct ScoringThresholds {
    pub recency_days: Option<Vec<i64>>,
    pub frequency: Option<Vec<i64>>,
    pub amount_minor: Option<Vec<i64>>,
    pub categories: Option<Vec<i64>>,
}

fn four(field: &'static str, v: Option<Vec<i64>>) -> Result<Option<[i64; 4]>, AppError> {
    v.map(|c| {
        <[i64; 4]>::try_from(c)
            .map_err(|_| AppError::validation(field, "give exactly four cut points"))
    })
    .transpose()
}

impl ScoringThresholds {
    fn thresholds(self) -> Result<Thresholds, AppError> {
        Ok(Thresholds {
            recency_days: four("input.thresholds.recencyDays", self.recency_days)?,
            frequency: four("input.thresholds.frequency", self.frequency)?,
            amount_minor: four("input.thresholds.amountMinor", self.amount_minor)?,
            categories: four("input.thresholds.categories", self.categories)?,
        })
    }

    fn view(t: &Thresholds) -> Self {
        Self {
            recency_days: t.recency_days.map(Vec::from),
            frequency: t.frequency.map(Vec::from),
            amount_minor: t.amount_minor.map(Vec::from),
            categories: t.categories.map(Vec::from),
        }
    }
}

/// How the brand scores its members (RFM: recency, frequency, amount; FRAT adds the type of
/// product: distinct categories bought), and the segments it names. Scores are 1 to 5 by
/// quintiles among the members who bought within the window (equal values share a score:
/// 1 + ⌊5 × members with a worse value ÷ members who bought⌋), or by the brand's cut points;
/// 0 for members with no purchase in the window.
#[derive(SimpleObject)]
pub struct Scoring {
    /// Purchases within this many days count (default 365).
    pub window_days: i32,
    /// Cut points (none set: quintiles).
    pub thresholds: ScoringThresholds,
    /// The segments in order (the first that holds takes the member).
    pub segments: Vec<ScoringSegment>,
    /// The brand set its own segments (else the defaults from the sources).
    pub custom_segments: bool,
    /// The brand's day of the last run (the job scores every brand once a day).
    pub last_run_on: Option<NaiveDate>,
    /// Members scored by the last run.
    pub members_scored: i64,
}

/// How many members went from one segment to another between two days.
#[derive(SimpleObject)]
pub struct SegmentMovement {
    /// The segment on the first day (null: not scored yet then).
    pub from: Option<String>,
    /// The segment on the second day.
    pub to: Option<String>,
    pub members: i64,
}

async fn view(ctx: &Context<'_>) -> Result<Scoring, AppError> {
    let scope = ctx.scope()?;
    // Default names in the brand's language.
    let lang = Lang::of_locale(&scope.brand().await?.locale);
    let settings = segments::settings(scope).await?;
    let counts = segments::counts(scope).await?;
    let last = segments::last_run(scope).await?;
    Ok(Scoring {
        window_days: i32::try_from(settings.window_days).unwrap_or(365),
        thresholds: ScoringThresholds::view(&settings.thresholds),
        segments: settings
            .rules
            .iter()
            .map(|r| ScoringSegment::view(r, counts.get(&r.key).copied().unwrap_or(0), lang))
            .collect(),
        custom_segments: settings.custom_rules,
        last_run_on: last.as_ref().map(|r| r.day),
        members_scored: counts.values().sum(),
    })
}

#[derive(InputObject)]
pub struct ScoringInput {
    /// 30 to 1095 days.
    #[graphql(default = 365)]
    pub window_days: i32,
    /// Cut points; none: kept as they are (give an empty object to go back to quintiles).
    pub thresholds: Option<ScoringThresholds>,
    /// 2 to 10 segments, the last with no condition (it takes everyone left); none: the
    /// defaults (new, inactive, very good, at risk, good, occasional).
    pub segments: Option<Vec<ScoringSegment>>,
}

#[derive(Default)]
pub struct InsightQuery;

#[Object]
impl InsightQuery {
    /// How the brand scores its members, its segments and how many members each holds.
    #[graphql(guard = "PermissionGuard(Permission::ViewStatistics)")]
    async fn scoring(&self, ctx: &Context<'_>) -> Result<Scoring> {
        Ok(view(ctx).await?)
    }

    /// The movement matrix: how many members were in each segment on `from` and in which on
    /// `to` (days of the brand's calendar, `to` by default today; a member's segment on a day
    /// is the one the last run up to that day gave them).
    #[graphql(guard = "PermissionGuard(Permission::ViewStatistics)")]
    async fn segment_movements(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: Option<NaiveDate>,
    ) -> Result<Vec<SegmentMovement>> {
        let scope = ctx.scope()?;
        let to = match to {
            Some(to) => to,
            None => segments::today(scope).await?,
        };
        Ok(segments::movements(scope, from, to)
            .await?
            .into_iter()
            .map(|(from, to, members)| SegmentMovement { from, to, members })
            .collect())
    }
}

#[derive(Default)]
pub struct InsightMutation;

#[Object]
impl InsightMutation {
    /// Changes the window, cut points and segments (members move at the next run). Setting the
    /// same again changes nothing (safe to retry).
    #[graphql(guard = "PermissionGuard(Permission::ManageInsights)")]
    async fn update_scoring(&self, ctx: &Context<'_>, input: ScoringInput) -> Result<Scoring> {
        let rules = input
            .segments
            .map(|s| {
                s.iter()
                    .map(ScoringSegment::rule)
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        let scope = ctx.scope()?;
        let thresholds = match input.thresholds {
            Some(t) => t.thresholds()?,
            None => segments::settings(scope).await?.thresholds,
        };
        segments::update_settings(scope, i64::from(input.window_days), thresholds, rules).await?;
        Ok(view(ctx).await?)
    }

    /// Scores every member now (the job does it once a day). Running it again the same day
    /// scores again; members move only when their segment changes.
    #[graphql(guard = "PermissionGuard(Permission::ManageInsights)")]
    async fn run_scoring(&self, ctx: &Context<'_>) -> Result<Scoring> {
        segments::run(ctx.scope()?).await?;
        Ok(view(ctx).await?)
    }
}

/// Where purchases were made.
#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
pub enum KpiChannel {
    InStore,
    Online,
    MobileApp,
}

/// How a KPI report is cut.
#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
pub enum KpiGranularity {
    Day,
    /// Monday to Sunday (the first and last may be partial).
    Week,
    /// Calendar months (the first and last may be partial).
    Month,
}

/// One period's KPIs (days of the brand's calendar). Shares are in basis points (10000 =
/// 100 %), money in minor units, every ratio rounded down and null when its base is zero.
#[derive(SimpleObject)]
pub struct KpiPeriod {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Checkouts of known members (with a card or identified).
    pub member_checkouts: i64,
    /// Checkouts without a card (anonymous customers).
    pub anonymous_checkouts: i64,
    /// What members paid (purchase totals, before returns).
    pub member_revenue_minor: i64,
    pub anonymous_revenue_minor: i64,
    /// Share of checkouts made with a card = member checkouts ÷ all checkouts × 10000.
    pub card_checkout_share_bp: Option<i64>,
    /// Card-holder rate = identified customers ÷ all customers × 10000, where identified
    /// customers are the members who bought in the period and each anonymous checkout counts as
    /// one customer (anonymous customers are only known by their checkouts).
    pub card_holder_rate_bp: Option<i64>,
    /// Average basket of card holders = member revenue ÷ member checkouts.
    pub average_member_basket_minor: Option<i64>,
    /// Average basket of non-holders = anonymous revenue ÷ anonymous checkouts.
    pub average_anonymous_basket_minor: Option<i64>,
    /// Members who bought in the period.
    pub active_members: i64,
    /// Members enrolled in the period.
    pub enrolments: i64,
    /// Purchase frequency per member per year = member checkouts ÷ active members × 365 ÷ days
    /// of the period, in thousandths (3300 = 3.3 a year).
    pub purchases_per_member_per_year_milli: Option<i64>,
    /// Relationship length = the active members' average days since enrolment at the period's
    /// end.
    pub relationship_days: Option<i64>,
    /// Customer lifetime value = frequency per year × average basket × relationship length in
    /// years (= member revenue ÷ active members × relationship days ÷ days of the period).
    pub customer_lifetime_value_minor: Option<i64>,
    /// Members who bought in the period of the same length just before.
    pub previous_active_members: i64,
    /// Of them, those who bought again in this period.
    pub retained_members: i64,
    /// Retention = retained ÷ previously active × 10000.
    pub retention_bp: Option<i64>,
    /// Attrition = 10000 − retention.
    pub attrition_bp: Option<i64>,
    /// Points members received (net of points taken back by returns).
    pub points_issued: i64,
    pub points_redeemed: i64,
    pub points_expired: i64,
    /// Redemption rate = points redeemed ÷ points issued × 10000.
    pub redemption_rate_bp: Option<i64>,
    /// Breakage = points expired ÷ points issued × 10000.
    pub breakage_bp: Option<i64>,
    /// What offers took off baskets (their cost at the till).
    pub offer_discount_minor: i64,
}

impl From<&crate::analytics::kpis::Period> for KpiPeriod {
    fn from(p: &crate::analytics::kpis::Period) -> Self {
        Self {
            from: p.from,
            to: p.to,
            member_checkouts: p.member_checkouts,
            anonymous_checkouts: p.anonymous_checkouts,
            member_revenue_minor: p.member_revenue_minor,
            anonymous_revenue_minor: p.anonymous_revenue_minor,
            card_checkout_share_bp: p.card_checkout_share_bp(),
            card_holder_rate_bp: p.card_holder_rate_bp(),
            average_member_basket_minor: p.average_member_basket_minor(),
            average_anonymous_basket_minor: p.average_anonymous_basket_minor(),
            active_members: p.active_members,
            enrolments: p.enrolments,
            purchases_per_member_per_year_milli: p.purchases_per_member_per_year_milli(),
            relationship_days: p.relationship_days(),
            customer_lifetime_value_minor: p.customer_lifetime_value_minor(),
            previous_active_members: p.previous_active_members,
            retained_members: p.retained_members,
            retention_bp: p.retention_bp(),
            attrition_bp: p.attrition_bp(),
            points_issued: p.points_issued,
            points_redeemed: p.points_redeemed,
            points_expired: p.points_expired,
            redemption_rate_bp: p.redemption_rate_bp(),
            breakage_bp: p.breakage_bp(),
            offer_discount_minor: p.offer_discount_minor,
        }
    }
}

/// The brand's KPIs over a range, period by period, with the whole range and the range of the
/// same length just before it (for comparison).
#[derive(SimpleObject)]
pub struct KpiReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub currency: String,
    /// The time zone the days are counted in.
    pub timezone: String,
    pub periods: Vec<KpiPeriod>,
    pub total: KpiPeriod,
    pub previous: KpiPeriod,
    /// Points members hold now (what the brand owes them).
    pub points_outstanding: i64,
    /// Cashback members hold now, in minor units (owed to them).
    pub cashback_outstanding_minor: i64,
    /// Stored value members hold now, in minor units (their prepaid money).
    pub stored_value_outstanding_minor: i64,
    /// The periods as CSV (one row per period, the columns of `KpiPeriod`; empty cells for
    /// ratios without a base).
    pub csv: String,
}

#[derive(Default)]
pub struct KpiQuery;

#[Object]
impl KpiQuery {
    /// The KPIs of `from..=to` (the brand's days, at most 732; by default the twelve months to
    /// today) cut by `granularity` (default MONTH), of every purchase or of one store or
    /// channel (purchase figures only: enrolments and points stay the brand's). Owners and
    /// managers.
    #[graphql(guard = "PermissionGuard(Permission::ViewStatistics)")]
    async fn kpis(
        &self,
        ctx: &Context<'_>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        #[graphql(default_with = "KpiGranularity::Month")] granularity: KpiGranularity,
        #[graphql(desc = "Only the purchases recorded in this store (as the till names it).")]
        store: Option<String>,
        #[graphql(desc = "Only the purchases of this channel.")] channel: Option<KpiChannel>,
    ) -> Result<KpiReport> {
        let store = store
            .map(|s| crate::core::types::text("store", &s, 100))
            .transpose()?;
        let only = crate::analytics::kpis::Only {
            store,
            channel: channel.map(|c| match c {
                KpiChannel::InStore => "IN_STORE",
                KpiChannel::Online => "ONLINE",
                KpiChannel::MobileApp => "MOBILE_APP",
            }),
        };
        let to = match to {
            Some(to) => to,
            None => segments::today(ctx.scope()?).await?,
        };
        let from = from.unwrap_or_else(|| {
            to.checked_sub_months(chrono::Months::new(12))
                .and_then(|d| d.succ_opt())
                .unwrap_or(to)
        });
        let g = match granularity {
            KpiGranularity::Day => crate::analytics::kpis::Granularity::Day,
            KpiGranularity::Week => crate::analytics::kpis::Granularity::Week,
            KpiGranularity::Month => crate::analytics::kpis::Granularity::Month,
        };
        let r = crate::analytics::kpis::report(ctx.scope()?, from, to, g, &only).await?;
        Ok(KpiReport {
            from,
            to,
            csv: crate::analytics::kpis::csv(&r.periods),
            currency: r.currency,
            timezone: r.timezone,
            periods: r.periods.iter().map(Into::into).collect(),
            total: (&r.total).into(),
            previous: (&r.previous).into(),
            points_outstanding: r.points_outstanding,
            cashback_outstanding_minor: r.cashback_outstanding_minor,
            stored_value_outstanding_minor: r.stored_value_outstanding_minor,
        })
    }
}

/// A KPI objectives can target, in its own unit.
#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
pub enum ObjectiveKpi {
    /// Basis points (7000 = 70 %).
    CardHolderRateBp,
    CardCheckoutShareBp,
    /// Thousandths (3300 = 3.3 purchases a year).
    PurchasesPerMemberPerYearMilli,
    /// Minor units.
    AverageMemberBasketMinor,
    CustomerLifetimeValueMinor,
    RetentionBp,
    RedemptionRateBp,
    ActiveMembers,
    /// Counted from zero over the objective's period.
    Enrolments,
    /// Minor units, counted from zero over the objective's period.
    MemberRevenueMinor,
}

fn kpi_key(k: ObjectiveKpi) -> &'static str {
    use crate::analytics::objectives::Kpi as K;
    match k {
        ObjectiveKpi::CardHolderRateBp => K::CardHolderRateBp,
        ObjectiveKpi::CardCheckoutShareBp => K::CardCheckoutShareBp,
        ObjectiveKpi::PurchasesPerMemberPerYearMilli => K::PurchasesPerMemberPerYearMilli,
        ObjectiveKpi::AverageMemberBasketMinor => K::AverageMemberBasketMinor,
        ObjectiveKpi::CustomerLifetimeValueMinor => K::CustomerLifetimeValueMinor,
        ObjectiveKpi::RetentionBp => K::RetentionBp,
        ObjectiveKpi::RedemptionRateBp => K::RedemptionRateBp,
        ObjectiveKpi::ActiveMembers => K::ActiveMembers,
        ObjectiveKpi::Enrolments => K::Enrolments,
        ObjectiveKpi::MemberRevenueMinor => K::MemberRevenueMinor,
    }
    .key()
}

fn kpi_of(k: crate::analytics::objectives::Kpi) -> ObjectiveKpi {
    use crate::analytics::objectives::Kpi as K;
    match k {
        K::CardHolderRateBp => ObjectiveKpi::CardHolderRateBp,
        K::CardCheckoutShareBp => ObjectiveKpi::CardCheckoutShareBp,
        K::PurchasesPerMemberPerYearMilli => ObjectiveKpi::PurchasesPerMemberPerYearMilli,
        K::AverageMemberBasketMinor => ObjectiveKpi::AverageMemberBasketMinor,
        K::CustomerLifetimeValueMinor => ObjectiveKpi::CustomerLifetimeValueMinor,
        K::RetentionBp => ObjectiveKpi::RetentionBp,
        K::RedemptionRateBp => ObjectiveKpi::RedemptionRateBp,
        K::ActiveMembers => ObjectiveKpi::ActiveMembers,
        K::Enrolments => ObjectiveKpi::Enrolments,
        K::MemberRevenueMinor => ObjectiveKpi::MemberRevenueMinor,
    }
}

/// A month of an objective: the KPI (a running total for counts) against the line to the target.
#[derive(SimpleObject)]
pub struct ObjectiveMonth {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub actual: Option<i64>,
    /// Where the straight line to the target is on the month's last day.
    pub expected: i64,
}

/// A target on a KPI over a period, and where it stands. The path to the target is a straight
/// line: a rate from its baseline on the first day to the target on the last; a count
/// (enrolments, revenue) from zero. On track: the KPI so far is at least where the line is
/// today (at most, for a rate meant to go down).
#[derive(SimpleObject)]
pub struct Objective {
    pub id: async_graphql::ID,
    pub name: String,
    pub kpi: ObjectiveKpi,
    /// Where it starts from: as set, or the KPI over the same number of days before `startsOn`.
    pub baseline: Option<i64>,
    pub target: i64,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// The KPI from `startsOn` to today (or `endsOn`); null before it starts or without a base.
    pub actual: Option<i64>,
    /// Where the line is today (or on `endsOn`).
    pub expected: Option<i64>,
    /// Null before it starts.
    pub on_track: Option<bool>,
    pub months: Vec<ObjectiveMonth>,
}

impl From<crate::analytics::objectives::Progress> for Objective {
    fn from(p: crate::analytics::objectives::Progress) -> Self {
        Self {
            id: async_graphql::ID(p.objective.id.to_string()),
            name: p.objective.name,
            kpi: kpi_of(p.kpi),
            baseline: p.baseline,
            target: p.objective.target,
            starts_on: p.objective.starts_on,
            ends_on: p.objective.ends_on,
            actual: p.actual,
            expected: p.expected,
            on_track: p.on_track,
            months: p
                .months
                .into_iter()
                .map(|(from, to, actual, expected)| ObjectiveMonth {
                    from,
                    to,
                    actual,
                    expected,
                })
                .collect(),
        }
    }
}

#[derive(InputObject)]
pub struct ObjectiveInput {
    pub name: String,
    pub kpi: ObjectiveKpi,
    /// Where it starts from, in the KPI's unit; none: the KPI over the same number of days
    /// before `startsOn`.
    pub baseline: Option<i64>,
    /// In the KPI's unit (basis points, thousandths, minor units or a count).
    pub target: i64,
    pub starts_on: NaiveDate,
    /// After `startsOn`, at most 731 days later.
    pub ends_on: NaiveDate,
}

#[derive(Default)]
pub struct ObjectiveQuery;

#[Object]
impl ObjectiveQuery {
    /// The brand's objectives, latest ending first, each with where it stands today.
    #[graphql(guard = "PermissionGuard(Permission::ViewStatistics)")]
    async fn objectives(&self, ctx: &Context<'_>) -> Result<Vec<Objective>> {
        Ok(crate::analytics::objectives::list(ctx.scope()?)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}

#[derive(Default)]
pub struct ObjectiveMutation;

#[Object]
impl ObjectiveMutation {
    /// Sets a target on a KPI. A replay with the same idempotency key answers the first one.
    #[graphql(guard = "PermissionGuard(Permission::ManageInsights)")]
    async fn create_objective(
        &self,
        ctx: &Context<'_>,
        input: ObjectiveInput,
        idempotency_key: Option<String>,
    ) -> Result<Objective> {
        let scope = ctx.scope()?;
        let saved = crate::analytics::objectives::create(
            scope,
            crate::analytics::objectives::Spec {
                name: input.name,
                kpi: kpi_key(input.kpi).to_owned(),
                baseline: input.baseline,
                target: input.target,
                starts_on: input.starts_on,
                ends_on: input.ends_on,
            },
            idempotency_key.as_deref(),
        )
        .await?;
        Ok(crate::analytics::objectives::progress(scope, saved)
            .await?
            .into())
    }

    /// Removes an objective (another brand's: NOT_FOUND). True once removed.
    #[graphql(guard = "PermissionGuard(Permission::ManageInsights)")]
    async fn delete_objective(&self, ctx: &Context<'_>, id: async_graphql::ID) -> Result<bool> {
        let id = crate::core::types::id("id", &id)?;
        crate::analytics::objectives::delete(ctx.scope()?, id).await?;
        Ok(true)
    }
}
