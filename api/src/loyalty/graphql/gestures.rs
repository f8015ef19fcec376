//! Goodwill gestures: `grantGesture`, `gestures` (audit report), `gesturePolicy`, `setGesturePolicy`.

use async_graphql::{
    Context, Enum, ID, InputObject, Object, Result, SimpleObject, connection::Connection,
};
use chrono::{DateTime, Utc};
use entity::{gesture, gesture_policy};

use crate::{
    core::{
        auth::Permission,
        error::AppError,
        graphql::{ContextExt, guards::PermissionGuard, relay},
    },
    loyalty::gestures::Grant,
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::gesture::GestureKind")]
pub enum GestureKind {
    Points,
    DiscountVoucher,
    Gift,
    Upgrade,
    ExtraQuantity,
    FreeService,
}

/// A goodwill gesture, as the audit trail keeps it.
#[derive(SimpleObject, Clone)]
pub struct Gesture {
    pub id: ID,
    pub member_id: ID,
    /// The staff member who granted it.
    pub granted_by: ID,
    pub kind: GestureKind,
    pub points: i64,
    pub voucher_id: Option<ID>,
    pub description: Option<String>,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

impl From<gesture::Model> for Gesture {
    fn from(g: gesture::Model) -> Self {
        Self {
            id: ID(g.id.to_string()),
            member_id: ID(g.member_id.to_string()),
            granted_by: ID(g.granted_by.to_string()),
            kind: g.kind.into(),
            points: g.points,
            voucher_id: g.voucher_id.map(|v| ID(v.to_string())),
            description: g.description,
            reason: g.reason,
            created_at: g.created_at,
        }
    }
}

/// The brand's limits on gestures.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "GesturePolicyInput")]
pub struct GesturePolicy {
    pub max_points_per_gesture: i64,
    pub max_points_per_staff_per_day: i64,
    pub max_gestures_per_staff_per_day: i32,
    pub max_gestures_per_member: i32,
    pub member_period_days: i32,
    pub max_voucher_minor: i64,
}

impl From<gesture_policy::Model> for GesturePolicy {
    fn from(p: gesture_policy::Model) -> Self {
        Self {
            max_points_per_gesture: p.max_points_per_gesture,
            max_points_per_staff_per_day: p.max_points_per_staff_per_day,
            max_gestures_per_staff_per_day: p.max_gestures_per_staff_per_day,
            max_gestures_per_member: p.max_gestures_per_member,
            member_period_days: p.member_period_days,
            max_voucher_minor: p.max_voucher_minor,
        }
    }
}

#[derive(InputObject)]
pub struct GrantGestureInput {
    pub member_id: ID,
    pub kind: GestureKind,
    /// For POINTS gestures.
    #[graphql(default)]
    pub points: i64,
    /// The points program (default: the brand's active points program).
    pub program_id: Option<ID>,
    /// For DISCOUNT_VOUCHER gestures, in minor units.
    #[graphql(default)]
    pub voucher_amount_minor: i64,
    /// What was given (gift, upgrade...).
    pub description: Option<String>,
    /// Why: mandatory, kept in the audit trail.
    pub reason: String,
    pub idempotency_key: Option<String>,
}

#[derive(Default)]
pub struct GestureQuery;

#[Object]
impl GestureQuery {
    /// Gestures granted, oldest first; optionally those of one member.
    #[graphql(
        guard = "PermissionGuard(Permission::ManagePrograms)",
        complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity + 1"
    )]
    async fn gestures(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        member_id: Option<ID>,
    ) -> Result<Connection<String, Gesture>> {
        let page = relay::page_request(first, after)?;
        let had_cursor = page.after.is_some();
        let member = member_id
            .map(|m| crate::core::types::id("memberId", &m))
            .transpose()?;
        let gestures = crate::loyalty::gestures::list(ctx.scope()?, member, page).await?;
        Ok(relay::connection(
            gestures,
            had_cursor,
            |g| g.id,
            Gesture::from,
        ))
    }

    #[graphql(guard = "PermissionGuard(Permission::ManagePrograms)")]
    async fn gesture_policy(&self, ctx: &Context<'_>) -> Result<GesturePolicy> {
        Ok(crate::loyalty::gestures::policy(ctx.scope()?).await?.into())
    }
}

#[derive(Default)]
pub struct GestureMutation;

#[Object]
impl GestureMutation {
    /// Grants a goodwill gesture with its reason, within the brand's limits (LIMIT_EXCEEDED).
    #[graphql(guard = "PermissionGuard(Permission::GrantGestures)")]
    async fn grant_gesture(&self, ctx: &Context<'_>, input: GrantGestureInput) -> Result<Gesture> {
        let staff = ctx
            .request()?
            .principal
            .user_id()
            .ok_or(AppError::Forbidden("only staff grant gestures"))?;
        let grant = Grant {
            member_id: crate::core::types::id("input.memberId", &input.member_id)?,
            kind: input.kind.into(),
            points: input.points,
            program_id: input
                .program_id
                .map(|p| crate::core::types::id("input.programId", &p))
                .transpose()?,
            voucher_amount_minor: input.voucher_amount_minor,
            description: input.description,
            reason: input.reason,
        };
        Ok(crate::loyalty::gestures::grant(
            ctx.scope()?,
            staff,
            grant,
            input.idempotency_key.as_deref(),
        )
        .await?
        .into())
    }

    /// Sets the brand's limits on gestures.
    #[graphql(guard = "PermissionGuard(Permission::ManagePrograms)")]
    async fn set_gesture_policy(
        &self,
        ctx: &Context<'_>,
        input: GesturePolicy,
    ) -> Result<GesturePolicy> {
        let scope = ctx.scope()?;
        let model = gesture_policy::Model {
            tenant_id: scope.tenant_id(),
            max_points_per_gesture: input.max_points_per_gesture,
            max_points_per_staff_per_day: input.max_points_per_staff_per_day,
            max_gestures_per_staff_per_day: input.max_gestures_per_staff_per_day,
            max_gestures_per_member: input.max_gestures_per_member,
            member_period_days: input.member_period_days,
            max_voucher_minor: input.max_voucher_minor,
            updated_at: Utc::now(),
        };
        Ok(crate::loyalty::gestures::set_policy(scope, model)
            .await?
            .into())
    }
}
