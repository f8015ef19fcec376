//! Paid memberships: `payMembership` (subscribe or renew) and `cancelMembership`; a member's
//! memberships are on `Member.memberships`.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use crate::{
    core::{
        auth::Permission,
        graphql::{ContextExt, guards::PermissionGuard},
    },
    loyalty::{
        graphql::programs::MembershipPeriod,
        memberships::{Payment, Status, View},
    },
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum MembershipStatus {
    Active,
    /// Cancelled: the perks last to the end of the paid period, then it ends.
    Cancelled,
    Expired,
}

/// A member's paid membership, with what it cost and what it saved them.
#[derive(SimpleObject, Clone)]
pub struct Membership {
    pub id: ID,
    pub program_id: ID,
    pub program_name: String,
    pub status: MembershipStatus,
    pub started_at: DateTime<Utc>,
    /// The paid period in force (or the last one).
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub fee_minor: Option<i64>,
    pub period: Option<MembershipPeriod>,
    pub discount_percent: Option<i64>,
    pub perks: Vec<String>,
    /// Fees paid so far, in minor units.
    pub fees_paid_minor: i64,
    /// Discounts the membership gave so far, net of returns, in minor units.
    pub savings_minor: i64,
    /// Savings less fees: what the membership has brought the member so far (negative while
    /// it has not paid for itself).
    pub net_savings_minor: i64,
}

impl From<View> for Membership {
    fn from(v: View) -> Self {
        let status = match v.status(Utc::now()) {
            Status::Active => MembershipStatus::Active,
            Status::Cancelled => MembershipStatus::Cancelled,
            Status::Expired => MembershipStatus::Expired,
        };
        Self {
            id: ID(v.membership.id.to_string()),
            program_id: ID(v.program.id.to_string()),
            program_name: v.program.name,
            status,
            started_at: v.membership.started_at,
            period_start: v.membership.period_start,
            period_end: v.membership.period_end,
            cancelled_at: v.membership.cancelled_at,
            fee_minor: v.rules.as_ref().map(|r| r.fee_minor),
            period: v.rules.as_ref().map(|r| r.period.into()),
            discount_percent: v.rules.as_ref().map(|r| r.discount_percent),
            perks: v.rules.map(|r| r.perks).unwrap_or_default(),
            fees_paid_minor: v.fees_paid_minor,
            savings_minor: v.savings_minor,
            net_savings_minor: v.savings_minor - v.fees_paid_minor,
        }
    }
}

#[derive(InputObject)]
pub struct PayMembershipInput {
    pub member_id: ID,
    pub program_id: ID,
    /// The payment's reference at the till or the payment provider.
    pub payment_reference: Option<String>,
    /// Makes the call safe to retry: a replay returns the first outcome and charges nothing.
    pub idempotency_key: Option<String>,
}

#[derive(Default)]
pub struct MembershipMutation;

#[Object]
impl MembershipMutation {
    /// Records a membership fee paid: subscribes the member (first period from now) or renews
    /// (one more period after the paid one, from now if it had ended; lifts a cancellation).
    #[graphql(guard = "PermissionGuard(Permission::RecordPurchases)")]
    async fn pay_membership(
        &self,
        ctx: &Context<'_>,
        input: PayMembershipInput,
    ) -> Result<Membership> {
        let payment = Payment {
            member_id: crate::core::types::id("input.memberId", &input.member_id)?,
            program_id: crate::core::types::id("input.programId", &input.program_id)?,
            reference: input.payment_reference,
        };
        Ok(crate::loyalty::memberships::pay(
            ctx.scope()?,
            payment,
            input.idempotency_key.as_deref(),
        )
        .await?
        .into())
    }

    /// Cancels a membership: it is not renewed and its perks last to the end of the paid period.
    /// Cancelling again changes nothing.
    #[graphql(guard = "PermissionGuard(Permission::EnrollMembers)")]
    async fn cancel_membership(&self, ctx: &Context<'_>, membership_id: ID) -> Result<Membership> {
        let id = crate::core::types::id("membershipId", &membership_id)?;
        Ok(crate::loyalty::memberships::cancel(ctx.scope()?, id, None)
            .await?
            .into())
    }
}
