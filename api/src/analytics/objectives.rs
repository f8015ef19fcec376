//! Objectives: a brand's target on a KPI over a period, and whether it is on track. The path to
//! the target is a straight line: a rate (card-holder rate, purchases per member per year...)
//! goes from its baseline on the first day to the target on the last; a count (enrolments,
//! revenue) from zero. On track: the KPI so far is at least where the line is today (at most,
//! for a rate meant to go down). Read from the KPIs, never stored.

use chrono::{Days, NaiveDate};
use entity::objective;
use sea_orm::{ActiveValue::Set, ColumnTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use uuid::Uuid;

use super::kpis::{self, Granularity, Period};
use crate::core::{
    error::AppError,
    idempotency::{Idempotency, recorded_id},
    tenancy::TenantScope,
    types::text,
};

/// The KPIs a brand may set a target on, each in its own unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Kpi {
    CardHolderRateBp,
    CardCheckoutShareBp,
    PurchasesPerMemberPerYearMilli,
    AverageMemberBasketMinor,
    CustomerLifetimeValueMinor,
    RetentionBp,
    RedemptionRateBp,
    ActiveMembers,
    Enrolments,
    MemberRevenueMinor,
}

impl Kpi {
    pub const ALL: [Kpi; 10] = [
        Self::CardHolderRateBp,
        Self::CardCheckoutShareBp,
        Self::PurchasesPerMemberPerYearMilli,
        Self::AverageMemberBasketMinor,
        Self::CustomerLifetimeValueMinor,
        Self::RetentionBp,
        Self::RedemptionRateBp,
        Self::ActiveMembers,
        Self::Enrolments,
        Self::MemberRevenueMinor,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::CardHolderRateBp => "CARD_HOLDER_RATE_BP",
            Self::CardCheckoutShareBp => "CARD_CHECKOUT_SHARE_BP",
            Self::PurchasesPerMemberPerYearMilli => "PURCHASES_PER_MEMBER_PER_YEAR_MILLI",
            Self::AverageMemberBasketMinor => "AVERAGE_MEMBER_BASKET_MINOR",
            Self::CustomerLifetimeValueMinor => "CUSTOMER_LIFETIME_VALUE_MINOR",
            Self::RetentionBp => "RETENTION_BP",
            Self::RedemptionRateBp => "REDEMPTION_RATE_BP",
            Self::ActiveMembers => "ACTIVE_MEMBERS",
            Self::Enrolments => "ENROLMENTS",
            Self::MemberRevenueMinor => "MEMBER_REVENUE_MINOR",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }

    /// Counted from zero over the objective's period (the others are rates of the period).
    pub fn cumulative(self) -> bool {
        matches!(self, Self::Enrolments | Self::MemberRevenueMinor)
    }

    /// The KPI's value over a period.
    pub fn of(self, p: &Period) -> Option<i64> {
        match self {
            Self::CardHolderRateBp => p.card_holder_rate_bp(),
            Self::CardCheckoutShareBp => p.card_checkout_share_bp(),
            Self::PurchasesPerMemberPerYearMilli => p.purchases_per_member_per_year_milli(),
            Self::AverageMemberBasketMinor => p.average_member_basket_minor(),
            Self::CustomerLifetimeValueMinor => p.customer_lifetime_value_minor(),
            Self::RetentionBp => p.retention_bp(),
            Self::RedemptionRateBp => p.redemption_rate_bp(),
            Self::ActiveMembers => Some(p.active_members),
            Self::Enrolments => Some(p.enrolments),
            Self::MemberRevenueMinor => Some(p.member_revenue_minor),
        }
    }
}

/// What an objective stands at.
#[derive(Debug, Clone)]
pub struct Progress {
    pub objective: objective::Model,
    pub kpi: Kpi,
    /// Where it started from (given, or the KPI over the same number of days before).
    pub baseline: Option<i64>,
    /// The KPI from the first day to today (or the last day), none before it starts.
    pub actual: Option<i64>,
    /// Where the straight line to the target is today.
    pub expected: Option<i64>,
    pub on_track: Option<bool>,
    /// Month by month: (first day, last day, the KPI — running total for counts —, the line).
    pub months: Vec<(NaiveDate, NaiveDate, Option<i64>, i64)>,
}

/// Where the line to the target is on `day`: a rate goes from `baseline` on `starts_on` to the
/// target on `ends_on`; a count from zero before the first day to the target by the end of the
/// last (after day k of n, k ÷ n of it).
fn line(o: &objective::Model, kpi: Kpi, baseline: i64, day: NaiveDate) -> i64 {
    let (from, elapsed, total) = if kpi.cumulative() {
        let total = (o.ends_on - o.starts_on).num_days() + 1;
        (0, (day - o.starts_on).num_days() + 1, total)
    } else {
        let total = (o.ends_on - o.starts_on).num_days();
        (baseline, (day - o.starts_on).num_days(), total)
    };
    let elapsed = elapsed.clamp(0, total.max(0));
    let step = i128::from(o.target - from) * i128::from(elapsed) / i128::from(total.max(1));
    from + i64::try_from(step).unwrap_or(0)
}

pub struct Spec {
    pub name: String,
    pub kpi: String,
    pub baseline: Option<i64>,
    pub target: i64,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

pub async fn create(
    scope: &TenantScope,
    spec: Spec,
    idempotency_key: Option<&str>,
) -> Result<objective::Model, AppError> {
    let name = text("input.name", &spec.name, 120)?;
    let Some(kpi) = Kpi::parse(spec.kpi.trim()) else {
        return Err(AppError::validation(
            "input.kpi",
            "is not a KPI objectives can target",
        ));
    };
    if spec.ends_on <= spec.starts_on
        || (spec.ends_on - spec.starts_on).num_days() >= kpis::MAX_DAYS
    {
        return Err(AppError::validation(
            "input.endsOn",
            format!(
                "must come after startsOn, at most {} days later",
                kpis::MAX_DAYS - 1
            ),
        ));
    }
    // Rates in basis points go to 100 %; the rest to a bound far above any brand's figures.
    let bound = if kpi.key().ends_with("_BP") {
        10_000
    } else {
        1_000_000_000_000
    };
    for (field, value) in [
        ("input.target", Some(spec.target)),
        ("input.baseline", spec.baseline),
    ] {
        if value.is_some_and(|v| !(0..=bound).contains(&v)) {
            return Err(AppError::validation(
                field,
                format!("must be between 0 and {bound} (the KPI's unit)"),
            ));
        }
    }
    let idem = Idempotency::optional(
        scope.tenant_id().to_string(),
        "createObjective",
        idempotency_key,
        &(
            &name,
            kpi,
            spec.baseline,
            spec.target,
            spec.starts_on,
            spec.ends_on,
        ),
    )?;
    let tx = scope.begin().await?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.claim(tx.db()).await?
    {
        drop(tx);
        return scope
            .conn()
            .get::<objective::Entity>(recorded_id(&previous, "objectiveId")?)
            .await;
    }
    let id = Uuid::now_v7();
    tx.insert(objective::ActiveModel {
        id: Set(id),
        tenant_id: Set(tx.tenant_id()),
        name: Set(name),
        kpi: Set(kpi.key().to_owned()),
        baseline: Set(spec.baseline),
        target: Set(spec.target),
        starts_on: Set(spec.starts_on),
        ends_on: Set(spec.ends_on),
        created_at: Set(scope.now()),
    })
    .await?;
    if let Some(idem) = &idem {
        idem.record(tx.db(), serde_json::json!({ "objectiveId": id }))
            .await?;
    }
    let saved = tx.get::<objective::Entity>(id).await?;
    tx.commit().await?;
    Ok(saved)
}

pub async fn delete(scope: &TenantScope, id: Uuid) -> Result<(), AppError> {
    let tx = scope.begin().await?;
    tx.get::<objective::Entity>(id).await?;
    tx.delete_many::<objective::Entity>()
        .filter(objective::Column::Id.eq(id))
        .exec(tx.db())
        .await?;
    tx.commit().await
}

/// Where an objective stands today.
pub async fn progress(scope: &TenantScope, o: objective::Model) -> Result<Progress, AppError> {
    let kpi = Kpi::parse(&o.kpi)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("unknown KPI {}", o.kpi)))?;
    let today = super::segments::today(scope).await?;
    // The default baseline: the KPI over as many days before the start as have passed since it
    // (so a KPI that depends on the window's length, active members say, compares like with
    // like), or the objective's whole length before it starts.
    let until = Ord::min(today, o.ends_on);
    let elapsed = if today < o.starts_on {
        (o.ends_on - o.starts_on).num_days() + 1
    } else {
        (until - o.starts_on).num_days() + 1
    };
    let baseline = match o.baseline {
        Some(b) => Some(b),
        None => {
            let length = Days::new(u64::try_from(elapsed).unwrap_or(1));
            match (o.starts_on.checked_sub_days(length), o.starts_on.pred_opt()) {
                (Some(from), Some(to)) => {
                    let r =
                        kpis::report(scope, from, to, Granularity::Month, &kpis::Only::default())
                            .await?;
                    kpi.of(&r.total)
                }
                _ => None,
            }
        }
    };
    if today < o.starts_on {
        return Ok(Progress {
            objective: o,
            kpi,
            baseline,
            actual: None,
            expected: None,
            on_track: None,
            months: Vec::new(),
        });
    }
    let r = kpis::report(
        scope,
        o.starts_on,
        until,
        Granularity::Month,
        &kpis::Only::default(),
    )
    .await?;
    let actual = kpi.of(&r.total);
    let base = baseline.unwrap_or(0);
    let expected = line(&o, kpi, base, until);
    let rising = kpi.cumulative() || o.target >= base;
    let on_track = actual.map(|a| if rising { a >= expected } else { a <= expected });
    let mut running = 0;
    let months = r
        .periods
        .iter()
        .map(|p| {
            let value = kpi.of(p).map(|v| {
                if kpi.cumulative() {
                    running += v;
                    running
                } else {
                    v
                }
            });
            (p.from, p.to, value, line(&o, kpi, base, p.to))
        })
        .collect();
    Ok(Progress {
        objective: o,
        kpi,
        baseline,
        actual,
        expected: Some(expected),
        on_track,
        months,
    })
}

/// The brand's objectives, latest ending first, with where each stands.
pub async fn list(scope: &TenantScope) -> Result<Vec<Progress>, AppError> {
    let conn = scope.conn();
    let rows = conn
        .find::<objective::Entity>()
        .order_by_desc(objective::Column::EndsOn)
        .order_by_asc(objective::Column::Id)
        .all(conn.db())
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for o in rows {
        out.push(progress(scope, o).await?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objective(target: i64) -> objective::Model {
        objective::Model {
            id: Uuid::nil(),
            tenant_id: Uuid::nil(),
            name: "o".into(),
            kpi: "X".into(),
            baseline: None,
            target,
            starts_on: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap_or_default(),
            ends_on: NaiveDate::from_ymd_opt(2027, 1, 10).unwrap_or_default(),
            created_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn the_line_goes_from_the_baseline_to_the_target() {
        let o = objective(3_300);
        let day = |d| NaiveDate::from_ymd_opt(2027, 1, d).unwrap_or_default();
        // A rate from 3.0 to 3.3 a year from the 1st to the 10th: 3.0 on the 1st, 3.3 on the
        // 10th, 3.0 + 0.3 × 4 ÷ 9 on the 5th.
        let k = Kpi::PurchasesPerMemberPerYearMilli;
        assert_eq!(line(&o, k, 3_000, day(1)), 3_000);
        assert_eq!(line(&o, k, 3_000, day(5)), 3_133);
        assert_eq!(line(&o, k, 3_000, day(10)), 3_300);
        // A count from zero: 100 enrolments by the 10th, 50 by the 5th.
        let o = objective(100);
        assert_eq!(line(&o, Kpi::Enrolments, 40, day(5)), 50);
        assert_eq!(Kpi::parse("ENROLMENTS"), Some(Kpi::Enrolments));
        assert_eq!(Kpi::parse("NOPE"), None);
    }
}
