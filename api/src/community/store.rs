//! Reads that are not one brand's: the public look-up of a contest's brand (the fairness record
//! is read by anyone with the contest's id), and the referrals a brand's members made at other
//! brands of a coalition (rows of the referees' brands, read by the referrer's brand's
//! `referrer_brand_id`). Everything else goes through a brand's scope.
#![expect(
    clippy::disallowed_methods,
    reason = "the fairness record and referrals across a coalition's brands are read across brands here; rules live in the callers"
)]

use chrono::{DateTime, Utc};
use entity::{
    contest,
    referral::{self, ReferralStatus},
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::core::error::AppError;

/// The brand a contest belongs to.
pub async fn contest_tenant<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<Uuid>, AppError> {
    Ok(contest::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(|c| c.tenant_id))
}

/// Referrals made by members of `brand` at other brands (of a coalition that allowed it),
/// newest first (at most 500), of one referrer if given.
pub async fn referrals_made_elsewhere<C: ConnectionTrait>(
    conn: &C,
    brand: Uuid,
    referrer: Option<Uuid>,
) -> Result<Vec<referral::Model>, AppError> {
    let mut q = referral::Entity::find()
        .filter(referral::Column::ReferrerBrandId.eq(brand))
        .filter(referral::Column::TenantId.ne(brand));
    if let Some(r) = referrer {
        q = q.filter(referral::Column::ReferrerId.eq(r));
    }
    Ok(q.order_by_desc(referral::Column::StartedAt)
        .order_by_desc(referral::Column::Id)
        .limit(500)
        .all(conn)
        .await?)
}

/// A referrer's rewarded referrals converted since `since`, at every brand: their own and the
/// other brands of a coalition (member ids are unique across brands).
pub async fn rewarded_referrals<C: ConnectionTrait>(
    conn: &C,
    referrer: Uuid,
    since: DateTime<Utc>,
) -> Result<u64, AppError> {
    Ok(referral::Entity::find()
        .filter(referral::Column::ReferrerId.eq(referrer))
        .filter(referral::Column::Status.eq(ReferralStatus::Converted))
        .filter(referral::Column::ConvertedAt.gte(since))
        .count(conn)
        .await?)
}
