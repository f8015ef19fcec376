//! Goodwill gestures: staff grant points, a discount voucher, a gift, an upgrade, extra quantity
//! or a free service, with a mandatory reason, within the limits the brand sets per gesture, per
//! staff member per day (brand time zone) and per member per period. Every gesture is recorded.
//! Gestures of a brand are serialised on its policy row, so two at once cannot both slip under
//! a limit.

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use entity::{
    gesture::{self, GestureKind},
    gesture_policy,
    ledger_account::AccountKind,
    ledger_transaction::TransactionKind,
    voucher::{VoucherKind, VoucherSource},
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter, sea_query::Expr,
};
use serde::Serialize;
use uuid::Uuid;

use crate::{
    core::{
        error::AppError,
        idempotency::Idempotency,
        ledger,
        ledger::{Header, POINTS, Posting},
        page,
        page::{Page, PageRequest},
        tenancy::{Scoped, TenantScope},
        types::text,
    },
    loyalty::{members::add_months, programs},
};

fn default_policy(tenant: Uuid) -> gesture_policy::Model {
    gesture_policy::Model {
        tenant_id: tenant,
        max_points_per_gesture: 500,
        max_points_per_staff_per_day: 2_000,
        max_gestures_per_staff_per_day: 20,
        max_gestures_per_member: 3,
        member_period_days: 30,
        max_voucher_minor: 5_000,
        updated_at: Utc::now(),
    }
}

async fn ensure_policy<C: ConnectionTrait>(
    tx: &Scoped<C>,
) -> Result<gesture_policy::Model, AppError> {
    let default: gesture_policy::ActiveModel = default_policy(tx.tenant_id()).into();
    tx.insert_if_absent(default, vec![gesture_policy::Column::TenantId])
        .await?;
    tx.find::<gesture_policy::Entity>()
        .one(tx.db())
        .await?
        .ok_or(AppError::NotFound)
}

/// The brand's limits (the defaults until it sets its own).
pub async fn policy(scope: &TenantScope) -> Result<gesture_policy::Model, AppError> {
    let conn = scope.conn();
    Ok(conn
        .find::<gesture_policy::Entity>()
        .one(conn.db())
        .await?
        .unwrap_or_else(|| default_policy(scope.tenant_id())))
}

pub async fn set_policy(
    scope: &TenantScope,
    limits: gesture_policy::Model,
) -> Result<gesture_policy::Model, AppError> {
    let checks = [
        (
            "input.maxPointsPerGesture",
            (0..=1_000_000_000).contains(&limits.max_points_per_gesture),
        ),
        (
            "input.maxPointsPerStaffPerDay",
            (0..=1_000_000_000).contains(&limits.max_points_per_staff_per_day),
        ),
        (
            "input.maxGesturesPerStaffPerDay",
            (0..=1_000_000_000).contains(&limits.max_gestures_per_staff_per_day),
        ),
        (
            "input.maxGesturesPerMember",
            (0..=1_000_000_000).contains(&limits.max_gestures_per_member),
        ),
        (
            "input.memberPeriodDays",
            (1..=366).contains(&limits.member_period_days),
        ),
        (
            "input.maxVoucherMinor",
            (0..=1_000_000_000_000).contains(&limits.max_voucher_minor),
        ),
    ];
    if let Some((field, _)) = checks.iter().find(|(_, ok)| !ok) {
        return Err(AppError::validation(field, "is out of range"));
    }
    let tx = scope.begin().await?;
    ensure_policy(&tx).await?;
    // Every field is written (a converted model would mark them unchanged).
    let mut model = gesture_policy::ActiveModel::from(limits).reset_all();
    model.tenant_id = Set(scope.tenant_id());
    model.updated_at = Set(scope.now());
    let saved = tx.update(model).await?;
    tx.commit().await?;
    Ok(saved)
}

/// A gesture to grant, as received.
#[derive(Debug, Clone, Serialize)]
pub struct Grant {
    pub member_id: Uuid,
    pub kind: GestureKind,
    pub points: i64,
    pub program_id: Option<Uuid>,
    pub voucher_amount_minor: i64,
    pub description: Option<String>,
    pub reason: String,
}

pub async fn grant(
    scope: &TenantScope,
    staff: Uuid,
    g: Grant,
    idempotency_key: Option<&str>,
) -> Result<gesture::Model, AppError> {
    let idem = Idempotency::optional(
        scope.tenant_id().to_string(),
        "grantGesture",
        idempotency_key,
        &(staff, &g),
    )?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.replay(scope.conn().db()).await?
    {
        let id = crate::core::idempotency::recorded_id(&previous, "gesture")?;
        return scope.conn().get::<gesture::Entity>(id).await;
    }
    let reason = text("input.reason", &g.reason, 500)?;
    let description = g
        .description
        .as_deref()
        .map(|d| text("input.description", d, 500))
        .transpose()?;
    match g.kind {
        GestureKind::Points if g.points <= 0 => {
            return Err(AppError::validation("input.points", "must be positive"));
        }
        GestureKind::DiscountVoucher if g.voucher_amount_minor <= 0 => {
            return Err(AppError::validation(
                "input.voucherAmountMinor",
                "must be positive",
            ));
        }
        GestureKind::Points | GestureKind::DiscountVoucher => {}
        _ if g.points != 0 || g.voucher_amount_minor != 0 => {
            return Err(AppError::validation(
                "input.kind",
                "only POINTS and DISCOUNT_VOUCHER gestures carry value",
            ));
        }
        _ => {}
    }
    let now = scope.now();
    let tx = scope.begin().await?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.claim(tx.db()).await?
    {
        drop(tx);
        let id = crate::core::idempotency::recorded_id(&previous, "gesture")?;
        return scope.conn().get::<gesture::Entity>(id).await;
    }
    let policy = ensure_policy(&tx).await?;
    // Serialise the brand's gestures on its policy row (PostgreSQL row lock; SQLite writers are serialised).
    tx.update_many::<gesture_policy::Entity>()
        .col_expr(
            gesture_policy::Column::UpdatedAt,
            Expr::col(gesture_policy::Column::UpdatedAt),
        )
        .exec(tx.db())
        .await?;
    let member = tx.get::<entity::member::Entity>(g.member_id).await?;
    let brand = tx.brand().await?;

    if g.points > policy.max_points_per_gesture {
        return Err(AppError::LimitExceeded(format!(
            "a gesture gives at most {} points",
            policy.max_points_per_gesture
        )));
    }
    if g.voucher_amount_minor > policy.max_voucher_minor {
        return Err(AppError::LimitExceeded(format!(
            "a gesture voucher is worth at most {}",
            policy.max_voucher_minor
        )));
    }
    let day_start = start_of_day(&brand.timezone, now);
    let today: Vec<gesture::Model> = tx
        .find::<gesture::Entity>()
        .filter(gesture::Column::GrantedBy.eq(staff))
        .filter(gesture::Column::CreatedAt.gte(day_start))
        .all(tx.db())
        .await?;
    if today.len() >= usize::try_from(policy.max_gestures_per_staff_per_day).unwrap_or(0) {
        return Err(AppError::LimitExceeded(format!(
            "you have granted {} gestures today, the brand's daily limit",
            policy.max_gestures_per_staff_per_day
        )));
    }
    let points_today: i64 = today.iter().map(|x| x.points).sum();
    if points_today + g.points > policy.max_points_per_staff_per_day {
        return Err(AppError::LimitExceeded(format!(
            "{} points granted today: the daily limit of {} would be exceeded",
            points_today, policy.max_points_per_staff_per_day
        )));
    }
    let recent = tx
        .find::<gesture::Entity>()
        .filter(gesture::Column::MemberId.eq(member.id))
        .filter(
            gesture::Column::CreatedAt
                .gte(now - Duration::days(i64::from(policy.member_period_days))),
        )
        .all(tx.db())
        .await?
        .len();
    if recent >= usize::try_from(policy.max_gestures_per_member).unwrap_or(0) {
        return Err(AppError::LimitExceeded(format!(
            "this member already received {recent} gestures in {} days",
            policy.member_period_days
        )));
    }

    let id = Uuid::now_v7();
    let mut voucher_id = None;
    match g.kind {
        GestureKind::Points => {
            let active = programs::active_at(&tx, now).await?;
            let program = active
                .iter()
                .filter(|p| p.rules.points().is_some())
                .find(|p| g.program_id.is_none_or(|want| want == p.program.id))
                .ok_or_else(|| {
                    AppError::validation("input.programId", "needs an active points program")
                })?;
            let rules = program.rules.points().ok_or(AppError::NotFound)?;
            let account = ledger::account(
                &tx,
                AccountKind::MemberPoints,
                Some(member.id),
                Some(program.program.id),
                POINTS,
            )
            .await?;
            let issued = ledger::account(
                &tx,
                AccountKind::BrandPointsIssued,
                None,
                Some(program.program.id),
                POINTS,
            )
            .await?;
            let lot = ledger::new_lot(
                &tx,
                &account,
                member.id,
                g.points,
                now,
                add_months(now, rules.validity_months),
            )
            .await?;
            ledger::post(
                &tx,
                Header {
                    kind: TransactionKind::Gesture,
                    reason: format!("Goodwill gesture: {reason}"),
                    cause_type: crate::core::ledger::CauseType::Gesture,
                    cause_id: Some(id),
                    member_id: Some(member.id),
                    occurred_at: now,
                },
                vec![
                    Posting::new(&account, g.points).on_lot(lot),
                    Posting::new(&issued, -g.points),
                ],
            )
            .await?;
        }
        GestureKind::DiscountVoucher => {
            let voucher = crate::loyalty::vouchers::insert_voucher(
                &tx,
                entity::voucher::ActiveModel {
                    member_id: Set(Some(member.id)),
                    kind: Set(VoucherKind::Amount),
                    amount_minor: Set(g.voucher_amount_minor),
                    percent: Set(0),
                    currency: Set(brand.currency.clone()),
                    minimum_basket_minor: Set(0),
                    valid_from: Set(now),
                    valid_until: Set(now + Duration::days(90)),
                    max_uses: Set(1),
                    uses: Set(0),
                    source: Set(VoucherSource::Brand),
                    program_id: Set(None),
                    points_cost: Set(0),
                    cancelled_at: Set(None),
                    created_at: Set(now),
                    ..Default::default()
                },
            )
            .await?;
            voucher_id = Some(voucher.id);
        }
        _ => {}
    }
    let saved = tx
        .insert(gesture::ActiveModel {
            id: Set(id),
            tenant_id: Set(scope.tenant_id()),
            member_id: Set(member.id),
            granted_by: Set(staff),
            kind: Set(g.kind),
            points: Set(g.points),
            voucher_id: Set(voucher_id),
            description: Set(description),
            reason: Set(reason),
            created_at: Set(now),
        })
        .await?;
    if let Some(idem) = &idem {
        idem.record(tx.db(), serde_json::json!({ "gesture": saved.id }))
            .await?;
    }
    tx.commit().await?;
    tracing::info!(tenant.id = %scope.tenant_id(), member.id = %member.id, user.id = %staff, "gesture {:?} granted", saved.kind);
    Ok(saved)
}

/// Midnight today in the brand's time zone, as UTC.
fn start_of_day(timezone: &str, now: DateTime<Utc>) -> DateTime<Utc> {
    let tz: chrono_tz::Tz = timezone.parse().unwrap_or(chrono_tz::UTC);
    let local = now.with_timezone(&tz).date_naive();
    local
        .and_hms_opt(0, 0, 0)
        .and_then(|midnight| tz.from_local_datetime(&midnight).earliest())
        .map_or(now - Duration::hours(24), |d| d.with_timezone(&Utc))
}

/// Gestures of the brand (for the audit report), optionally of one member.
pub async fn list(
    scope: &TenantScope,
    member: Option<Uuid>,
    page: PageRequest,
) -> Result<Page<gesture::Model>, AppError> {
    let conn = scope.conn();
    let mut select = conn.find::<gesture::Entity>();
    if let Some(member) = member {
        select = select.filter(gesture::Column::MemberId.eq(member));
    }
    Ok(page::fetch(conn.db(), select, gesture::Column::Id, page).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_starts_at_local_midnight() {
        let now = DateTime::parse_from_rfc3339("2026-07-01T21:30:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default();
        // 23:30 in Paris (UTC+2 in summer): the day began at 22:00 UTC the day before.
        assert_eq!(
            start_of_day("Europe/Paris", now).to_rfc3339(),
            "2026-06-30T22:00:00+00:00"
        );
        assert_eq!(
            start_of_day("UTC", now).to_rfc3339(),
            "2026-07-01T00:00:00+00:00"
        );
    }
}
