//! Vouchers: `convertPointsToVoucher`, `redeemVoucher`, `voucher`.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::voucher;

use super::{ContextExt, guards::PermissionGuard};
use crate::{
    auth::Permission,
    domain::{self, vouchers::Conversion},
    error::AppError,
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::voucher::VoucherKind")]
pub enum VoucherKind {
    /// A fixed amount off.
    Amount,
    /// A percentage off.
    Percent,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum VoucherStatus {
    Active,
    /// Every use taken.
    Used,
    Expired,
    Cancelled,
}

#[derive(SimpleObject, Clone)]
pub struct Voucher {
    pub id: ID,
    /// What the checkout types or scans, e.g. K7PM-2QXD-9HTW.
    pub code: String,
    pub kind: VoucherKind,
    pub amount_minor: i64,
    pub percent: i32,
    pub currency: String,
    pub minimum_basket_minor: i64,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub max_uses: i32,
    pub uses: i32,
    pub status: VoucherStatus,
    /// Points it cost, when converted from points.
    pub points_cost: i64,
    pub member_id: Option<ID>,
    /// What it is for, when the brand named it (a stamp card's gift: "Free coffee").
    pub label: Option<String>,
    pub source: VoucherSource,
}

/// Where a voucher came from.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::voucher::VoucherSource")]
pub enum VoucherSource {
    /// Points converted by or for the member.
    Points,
    /// Issued by the brand (gesture, campaign).
    Brand,
    /// The reward of a full stamp card.
    Stamps,
}

impl From<voucher::Model> for Voucher {
    fn from(v: voucher::Model) -> Self {
        let now = Utc::now();
        let status = if v.cancelled_at.is_some() {
            VoucherStatus::Cancelled
        } else if v.uses >= v.max_uses {
            VoucherStatus::Used
        } else if now >= v.valid_until {
            VoucherStatus::Expired
        } else {
            VoucherStatus::Active
        };
        Self {
            id: ID(v.id.to_string()),
            code: v.code,
            kind: v.kind.into(),
            amount_minor: v.amount_minor,
            percent: v.percent,
            currency: v.currency,
            minimum_basket_minor: v.minimum_basket_minor,
            valid_from: v.valid_from,
            valid_until: v.valid_until,
            max_uses: v.max_uses,
            uses: v.uses,
            status,
            points_cost: v.points_cost,
            member_id: v.member_id.map(|m| ID(m.to_string())),
            label: v.label,
            source: v.source.into(),
        }
    }
}

#[derive(InputObject)]
pub struct ConvertPointsInput {
    pub member_id: ID,
    pub program_id: ID,
    /// Points to convert (worth `points x pointValueMinor`)...
    pub points: Option<i64>,
    /// ...or the voucher value wanted: its price in points is rounded up.
    pub amount_minor: Option<i64>,
    /// Days the voucher stays valid.
    #[graphql(default = 90)]
    pub valid_days: i64,
    /// Makes the call safe to retry: a replay returns the first voucher and spends nothing.
    pub idempotency_key: Option<String>,
}

#[derive(Default)]
pub struct VoucherQuery;

#[Object]
impl VoucherQuery {
    /// A voucher by code (spaces and dashes ignored).
    #[graphql(guard = "PermissionGuard(Permission::ViewMembers)")]
    async fn voucher(&self, ctx: &Context<'_>, code: String) -> Result<Voucher> {
        Ok(domain::vouchers::by_code(ctx.scope()?, &code).await?.into())
    }
}

#[derive(Default)]
pub struct VoucherMutation;

#[Object]
impl VoucherMutation {
    /// Converts a member's points into a single-use voucher ("turn my rewards into a voucher").
    /// Points are spent soonest-expiring first; two conversions can never spend the same points.
    #[graphql(guard = "PermissionGuard(Permission::RedeemRewards)")]
    async fn convert_points_to_voucher(
        &self,
        ctx: &Context<'_>,
        input: ConvertPointsInput,
    ) -> Result<Voucher> {
        let conversion = match (input.points, input.amount_minor) {
            (Some(p), None) => Conversion::Points(p),
            (None, Some(a)) => Conversion::AmountMinor(a),
            _ => {
                return Err(AppError::validation(
                    "input.points",
                    "give points or amountMinor, not both",
                )
                .into());
            }
        };
        let voucher = domain::vouchers::convert_points(
            ctx.scope()?,
            domain::types::id("input.memberId", &input.member_id)?,
            domain::types::id("input.programId", &input.program_id)?,
            conversion,
            input.valid_days,
            input.idempotency_key.as_deref(),
        )
        .await?;
        Ok(voucher.into())
    }

    /// Uses a voucher outside a purchase (a gift handed over). A voucher is never used more
    /// often than allowed.
    #[graphql(guard = "PermissionGuard(Permission::RedeemRewards)")]
    async fn redeem_voucher(
        &self,
        ctx: &Context<'_>,
        code: String,
        idempotency_key: Option<String>,
    ) -> Result<Voucher> {
        Ok(
            domain::vouchers::redeem_alone(ctx.scope()?, &code, idempotency_key.as_deref())
                .await?
                .into(),
        )
    }
}
