//! Paid memberships: a fee per period (monthly or yearly), renewal, cancellation (the member
//! keeps the perks to the end of the paid period), and the perks: a discount on every purchase
//! and a points multiplier while active, plus non-monetary perks.
//!
//! Fees and savings are ledger entries in the brand currency: each fee moves
//! BRAND_MEMBERSHIP_REVENUE -> MEMBER_MEMBERSHIP_FEES, each discount given
//! BRAND_MEMBERSHIP_DISCOUNTS -> MEMBER_MEMBERSHIP_SAVINGS (taken back in proportion on a
//! return). What the membership saved a member against its fee is the difference of the two.

use chrono::{DateTime, Months, Utc};
use entity::{
    ledger_account::AccountKind, ledger_transaction::TransactionKind, membership, program,
};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use uuid::Uuid;

use crate::{
    core::{
        error::AppError,
        idempotency::Idempotency,
        ledger,
        ledger::{Header, Posting},
        tenancy::{Scoped, TenantScope},
        types::text,
    },
    loyalty::{
        programs,
        programs::{MembershipRules, Rules},
    },
};

/// Where a membership stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    /// Cancelled: runs to the end of the paid period, then ends.
    Cancelled,
    Expired,
}

/// A membership with what it cost and saved.
#[derive(Debug, Clone)]
pub struct View {
    pub membership: membership::Model,
    pub program: program::Model,
    pub rules: Option<MembershipRules>,
    pub fees_paid_minor: i64,
    pub savings_minor: i64,
}

impl View {
    pub fn status(&self, now: DateTime<Utc>) -> Status {
        if now >= self.membership.period_end {
            Status::Expired
        } else if self.membership.cancelled_at.is_some() {
            Status::Cancelled
        } else {
            Status::Active
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Payment {
    pub member_id: Uuid,
    pub program_id: Uuid,
    /// The payment's reference at the till or the payment provider.
    pub reference: Option<String>,
}

fn add_period(at: DateTime<Utc>, rules: &MembershipRules) -> DateTime<Utc> {
    at.checked_add_months(Months::new(rules.period.months()))
        .unwrap_or(at)
}

async fn membership_program<C: ConnectionTrait>(
    tx: &Scoped<C>,
    program_id: Uuid,
    at: DateTime<Utc>,
) -> Result<(program::Model, MembershipRules), AppError> {
    let program = tx.get::<program::Entity>(program_id).await?;
    match programs::rules_at(tx, program.id, at).await? {
        Some((Rules::Membership(rules), _)) if program.status == program::ProgramStatus::Active => {
            Ok((program, rules))
        }
        _ => Err(AppError::validation(
            "input.programId",
            "must be an active membership program with rules in force",
        )),
    }
}

/// Subscribes a member (the first period's fee is paid now), or renews: a payment for an
/// existing membership adds one period after the current one (from now if it had ended) and
/// lifts a cancellation. Idempotent with a key.
pub async fn pay(
    scope: &TenantScope,
    payment: Payment,
    idempotency_key: Option<&str>,
) -> Result<View, AppError> {
    let idem = Idempotency::optional(
        scope.tenant_id().to_string(),
        "payMembership",
        idempotency_key,
        &payment,
    )?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.replay(scope.conn().db()).await?
    {
        return reload(scope, &previous).await;
    }
    let reference = payment
        .reference
        .as_deref()
        .map(|r| text("input.paymentReference", r, 100))
        .transpose()?;
    let now = scope.now();
    let tx = scope.begin().await?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.claim(tx.db()).await?
    {
        drop(tx);
        return reload(scope, &previous).await;
    }
    let member = tx.get::<entity::member::Entity>(payment.member_id).await?;
    let (program, rules) = membership_program(&tx, payment.program_id, now).await?;
    let currency = tx.brand().await?.currency;
    let existing = tx
        .find::<membership::Entity>()
        .filter(membership::Column::MemberId.eq(member.id))
        .filter(membership::Column::ProgramId.eq(program.id))
        .one(tx.db())
        .await?;
    let (id, period_start, period_end, what) = match existing {
        None => {
            let id = Uuid::now_v7();
            let end = add_period(now, &rules);
            let inserted = tx
                .insert_if_absent(
                    membership::ActiveModel {
                        id: Set(id),
                        tenant_id: Set(scope.tenant_id()),
                        member_id: Set(member.id),
                        program_id: Set(program.id),
                        started_at: Set(now),
                        period_start: Set(now),
                        period_end: Set(end),
                        auto_renew: Set(true),
                        cancelled_at: Set(None),
                        created_at: Set(now),
                        updated_at: Set(now),
                    },
                    vec![
                        membership::Column::TenantId,
                        membership::Column::MemberId,
                        membership::Column::ProgramId,
                    ],
                )
                .await?;
            if !inserted {
                return Err(AppError::conflict(
                    "this member just subscribed; retry to renew",
                ));
            }
            (id, now, end, "subscription")
        }
        Some(current) => {
            // A renewal: one more period after the paid one, or from now if it ended.
            let (start, from) = if current.period_end > now {
                (current.period_start, current.period_end)
            } else {
                (now, now)
            };
            let end = add_period(from, &rules);
            // Conditional on the period read: two renewals racing both count, one after the
            // other, never as one.
            let moved = tx
                .update_many::<membership::Entity>()
                .col_expr(membership::Column::PeriodStart, start.into())
                .col_expr(membership::Column::PeriodEnd, end.into())
                .col_expr(membership::Column::AutoRenew, true.into())
                .col_expr(
                    membership::Column::CancelledAt,
                    Option::<DateTime<Utc>>::None.into(),
                )
                .col_expr(membership::Column::UpdatedAt, now.into())
                .filter(membership::Column::Id.eq(current.id))
                .filter(membership::Column::PeriodEnd.eq(current.period_end))
                .exec(tx.db())
                .await?;
            if moved.rows_affected != 1 {
                return Err(AppError::conflict(
                    "this membership changed meanwhile; retry",
                ));
            }
            (current.id, start, end, "renewal")
        }
    };
    let fees = ledger::account(
        &tx,
        AccountKind::MemberMembershipFees,
        Some(member.id),
        Some(program.id),
        &currency,
    )
    .await?;
    let revenue = ledger::account(
        &tx,
        AccountKind::BrandMembershipRevenue,
        None,
        Some(program.id),
        &currency,
    )
    .await?;
    let period = match rules.period {
        programs::MembershipPeriod::Monthly => "monthly",
        programs::MembershipPeriod::Yearly => "yearly",
    };
    // A free card (fee 0) books no money.
    if rules.fee_minor > 0 {
        ledger::post(
            &tx,
            Header {
                kind: TransactionKind::MembershipFee,
                reason: format!(
                    "{} {period} fee ({what}, {} to {}){}",
                    program.name,
                    period_start.date_naive(),
                    period_end.date_naive(),
                    reference
                        .as_deref()
                        .map(|r| format!(", ref. {r}"))
                        .unwrap_or_default()
                ),
                cause_type: crate::core::ledger::CauseType::Membership,
                cause_id: Some(id),
                member_id: Some(member.id),
                occurred_at: now,
            },
            vec![
                Posting::new(&fees, rules.fee_minor),
                Posting::new(&revenue, -rules.fee_minor),
            ],
        )
        .await?;
    }
    crate::core::events::append(
        &tx,
        "membership.paid",
        Some(id),
        Some(member.id),
        serde_json::json!({ "program": program.id, "feeMinor": rules.fee_minor, "periodStart": period_start, "periodEnd": period_end }),
    )
    .await?;
    if let Some(idem) = &idem {
        idem.record(tx.db(), serde_json::json!({ "membership": id }))
            .await?;
    }
    tx.commit().await?;
    get(scope, id).await
}

/// Cancels: no renewal; the perks last to the end of the paid period. Cancelling again changes
/// nothing. With `owner`, only that member's membership (another one reads as NOT_FOUND).
pub async fn cancel(scope: &TenantScope, id: Uuid, owner: Option<Uuid>) -> Result<View, AppError> {
    let now = scope.now();
    let tx = scope.begin().await?;
    let current = tx.get::<membership::Entity>(id).await?;
    if owner.is_some_and(|m| m != current.member_id) {
        return Err(AppError::NotFound);
    }
    if current.cancelled_at.is_none() {
        tx.update_many::<membership::Entity>()
            .col_expr(membership::Column::CancelledAt, Some(now).into())
            .col_expr(membership::Column::AutoRenew, false.into())
            .col_expr(membership::Column::UpdatedAt, now.into())
            .filter(membership::Column::Id.eq(id))
            .filter(membership::Column::CancelledAt.is_null())
            .exec(tx.db())
            .await?;
    }
    tx.commit().await?;
    get(scope, id).await
}

async fn reload(scope: &TenantScope, previous: &serde_json::Value) -> Result<View, AppError> {
    get(
        scope,
        crate::core::idempotency::recorded_id(previous, "membership")?,
    )
    .await
}

async fn view<C: ConnectionTrait>(
    conn: &Scoped<C>,
    membership: membership::Model,
) -> Result<View, AppError> {
    let program = conn.get::<program::Entity>(membership.program_id).await?;
    let rules = match programs::rules_at(conn, program.id, conn.now()).await? {
        Some((Rules::Membership(r), _)) => Some(r),
        _ => None,
    };
    let balance = |kind| async move {
        Ok::<_, AppError>(
            ledger::existing_account(conn, kind, Some(membership.member_id), Some(program.id))
                .await?
                .map_or(0, |a| a.balance),
        )
    };
    let fees_paid_minor = balance(AccountKind::MemberMembershipFees).await?;
    let savings_minor = balance(AccountKind::MemberMembershipSavings).await?;
    Ok(View {
        membership,
        program,
        rules,
        fees_paid_minor,
        savings_minor,
    })
}

pub async fn get(scope: &TenantScope, id: Uuid) -> Result<View, AppError> {
    let conn = scope.conn();
    let membership = conn.get::<membership::Entity>(id).await?;
    view(&conn, membership).await
}

/// A member's memberships, current and past.
pub async fn of_member(scope: &TenantScope, member: Uuid) -> Result<Vec<View>, AppError> {
    let conn = scope.conn();
    let rows = conn
        .find::<membership::Entity>()
        .filter(membership::Column::MemberId.eq(member))
        .order_by_asc(membership::Column::Id)
        .all(conn.db())
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(view(&conn, row).await?);
    }
    Ok(out)
}

/// The membership programs whose paid period covers `at` for this member.
pub async fn paid_at<C: ConnectionTrait>(
    tx: &Scoped<C>,
    member: Uuid,
    at: DateTime<Utc>,
) -> Result<Vec<Uuid>, AppError> {
    Ok(tx
        .find::<membership::Entity>()
        .filter(membership::Column::MemberId.eq(member))
        .filter(membership::Column::PeriodStart.lte(at))
        .filter(membership::Column::PeriodEnd.gt(at))
        .all(tx.db())
        .await?
        .into_iter()
        .map(|m| m.program_id)
        .collect())
}

/// The discount a membership gives on what remains to pay (rounded down: never more than the
/// percentage).
pub fn discount(rules: &MembershipRules, remaining_minor: i64) -> i64 {
    let value = i128::from(remaining_minor.max(0)) * i128::from(rules.discount_percent) / 100;
    i64::try_from(value).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loyalty::programs::MembershipPeriod;

    #[test]
    fn discounts_round_down_and_periods_add_calendar_months() {
        let rules = MembershipRules {
            fee_minor: 4_900,
            period: MembershipPeriod::Yearly,
            discount_percent: 10,
            points_multiplier_percent: 100,
            perks: vec![],
        };
        assert_eq!(discount(&rules, 12_345), 1_234);
        assert_eq!(discount(&rules, -5), 0);
        let at = DateTime::parse_from_rfc3339("2024-02-29T12:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default();
        assert_eq!(
            add_period(at, &rules).to_rfc3339(),
            "2025-02-28T12:00:00+00:00"
        );
    }
}
