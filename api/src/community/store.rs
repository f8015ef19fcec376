//! Reads that are not one brand's: the public look-up of a contest's brand (the fairness record
//! is read by anyone with the contest's id), and the referrals a brand's members made at other
//! brands of a coalition (rows of the referees' brands, read by the referrer's brand's
//! `referrer_brand_id`), and clubs run by a coalition's operator (not a brand's; each brand's place
//! in one is a `club` row of the brand, read here across brands only to count members and to
//! find those who consented to share with a brand). Everything else goes through a brand's
//! scope.
#![expect(
    clippy::disallowed_methods,
    reason = "the fairness record and referrals across a coalition's brands are read across brands here; rules live in the callers"
)]

use chrono::{DateTime, Utc};
use entity::{
    club, club_member, coalition_club, contest,
    referral::{self, ReferralStatus},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
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
/// newest first, of one referrer and in one status if given, at most `limit` (none: all).
pub async fn referrals_made_elsewhere<C: ConnectionTrait>(
    conn: &C,
    brand: Uuid,
    referrer: Option<Uuid>,
    status: Option<ReferralStatus>,
    limit: Option<u64>,
) -> Result<Vec<referral::Model>, AppError> {
    let mut q = referral::Entity::find()
        .filter(referral::Column::ReferrerBrandId.eq(brand))
        .filter(referral::Column::TenantId.ne(brand));
    if let Some(r) = referrer {
        q = q.filter(referral::Column::ReferrerId.eq(r));
    }
    if let Some(s) = status {
        q = q.filter(referral::Column::Status.eq(s));
    }
    Ok(q.order_by_desc(referral::Column::StartedAt)
        .order_by_desc(referral::Column::Id)
        .limit(limit)
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

pub async fn insert_coalition_club<C: ConnectionTrait>(
    conn: &C,
    model: coalition_club::ActiveModel,
) -> Result<coalition_club::Model, AppError> {
    Ok(model.insert(conn).await?)
}

pub async fn update_coalition_club<C: ConnectionTrait>(
    conn: &C,
    model: coalition_club::ActiveModel,
) -> Result<coalition_club::Model, AppError> {
    Ok(model.update(conn).await?)
}

pub async fn coalition_club<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<coalition_club::Model>, AppError> {
    Ok(coalition_club::Entity::find_by_id(id).one(conn).await?)
}

/// The club's row, locked until the transaction ends (PostgreSQL; SQLite writes one at a time):
/// a brand's place is written from the club as it stands, never from an older read.
pub async fn lock_coalition_club<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<coalition_club::Model>, AppError> {
    let select = coalition_club::Entity::find_by_id(id);
    let select = if conn.get_database_backend() == sea_orm::DbBackend::Postgres {
        select.lock_exclusive()
    } else {
        select
    };
    Ok(select.one(conn).await?)
}

/// A coalition's clubs, by name.
pub async fn coalition_clubs_of<C: ConnectionTrait>(
    conn: &C,
    coalition: Uuid,
) -> Result<Vec<coalition_club::Model>, AppError> {
    Ok(coalition_club::Entity::find()
        .filter(coalition_club::Column::CoalitionId.eq(coalition))
        .order_by_asc(coalition_club::Column::Name)
        .order_by_asc(coalition_club::Column::Id)
        .all(conn)
        .await?)
}

/// Every brand's place (`club` row) in a coalition club.
pub async fn coalition_club_places<C: ConnectionTrait>(
    conn: &C,
    coalition_club: Uuid,
) -> Result<Vec<club::Model>, AppError> {
    Ok(club::Entity::find()
        .filter(club::Column::CoalitionClubId.eq(coalition_club))
        .order_by_asc(club::Column::TenantId)
        .all(conn)
        .await?)
}

/// The members' rows of these clubs (of any brand).
pub async fn club_members_of<C: ConnectionTrait>(
    conn: &C,
    clubs: &[Uuid],
) -> Result<Vec<club_member::Model>, AppError> {
    Ok(club_member::Entity::find()
        .filter(club_member::Column::ClubId.is_in(clubs.iter().copied()))
        .order_by_asc(club_member::Column::Id)
        .all(conn)
        .await?)
}
