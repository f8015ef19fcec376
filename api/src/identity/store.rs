//! Operations that are not inside one brand on purpose: creating brands, signing people in by
//! e-mail (an e-mail is unique across the platform), token bookkeeping, the platform admin's
//! view of all brands, and partner token exchange (a client id names its brand).
#![expect(
    clippy::disallowed_methods,
    reason = "platform-level operations span every brand by design"
)]

use chrono::{DateTime, Utc};
use entity::{api_key, brand, invitation, one_time_token, refresh_token, user_account};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, sea_query::Expr,
};
use uuid::Uuid;

use crate::core::{
    error::AppError,
    page,
    page::{Page, PageRequest},
};

pub async fn brand_by_id<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<brand::Model>, AppError> {
    Ok(brand::Entity::find_by_id(id).one(conn).await?)
}

pub async fn slug_taken<C: ConnectionTrait>(conn: &C, slug: &str) -> Result<bool, AppError> {
    Ok(brand::Entity::find()
        .filter(brand::Column::Slug.eq(slug))
        .one(conn)
        .await?
        .is_some())
}

pub async fn insert_brand<C: ConnectionTrait>(
    conn: &C,
    model: brand::ActiveModel,
) -> Result<brand::Model, AppError> {
    Ok(model.insert(conn).await?)
}

pub async fn list_brands<C: ConnectionTrait>(
    conn: &C,
    status: Option<brand::BrandStatus>,
    page: PageRequest,
) -> Result<Page<brand::Model>, AppError> {
    let mut select = brand::Entity::find();
    if let Some(status) = status {
        select = select.filter(brand::Column::Status.eq(status));
    }
    Ok(page::fetch(conn, select, brand::Column::Id, page).await?)
}

pub async fn update_brand<C: ConnectionTrait>(
    conn: &C,
    model: brand::ActiveModel,
) -> Result<brand::Model, AppError> {
    Ok(model.update(conn).await?)
}

/// A portal user by e-mail (lower-cased), whatever their brand.
pub async fn user_by_email<C: ConnectionTrait>(
    conn: &C,
    email: &str,
) -> Result<Option<user_account::Model>, AppError> {
    Ok(user_account::Entity::find()
        .filter(user_account::Column::Email.eq(email))
        .one(conn)
        .await?)
}

/// A user and their brand (if any), in one query: the principal of every request.
pub async fn user_with_brand<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<(user_account::Model, Option<brand::Model>)>, AppError> {
    use sea_orm::{JoinType, QuerySelect};
    let to_brand: sea_orm::RelationDef = user_account::Entity::belongs_to(brand::Entity)
        .from(user_account::Column::TenantId)
        .to(brand::Column::Id)
        .into();
    Ok(user_account::Entity::find_by_id(id)
        .select_also(brand::Entity)
        .join(JoinType::LeftJoin, to_brand)
        .one(conn)
        .await?)
}

pub async fn user_by_id<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<user_account::Model>, AppError> {
    Ok(user_account::Entity::find_by_id(id).one(conn).await?)
}

/// Inserts a user who has no brand (platform admin, coalition operator) or the first owner of a
/// brand being created in the same transaction.
pub async fn insert_user<C: ConnectionTrait>(
    conn: &C,
    model: user_account::ActiveModel,
) -> Result<user_account::Model, AppError> {
    Ok(model.insert(conn).await?)
}

pub async fn update_user<C: ConnectionTrait>(
    conn: &C,
    model: user_account::ActiveModel,
) -> Result<user_account::Model, AppError> {
    Ok(model.update(conn).await?)
}

pub async fn insert_refresh_token<C: ConnectionTrait>(
    conn: &C,
    model: refresh_token::ActiveModel,
) -> Result<(), AppError> {
    model.insert(conn).await?;
    Ok(())
}

pub async fn refresh_token_by_hash<C: ConnectionTrait>(
    conn: &C,
    hash: &str,
) -> Result<Option<refresh_token::Model>, AppError> {
    Ok(refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash))
        .one(conn)
        .await?)
}

/// Whether the token issued by the use of `used` (the next of its family) is still unused and
/// unrevoked: the session has not moved on since.
pub async fn successor_unused<C: ConnectionTrait>(
    conn: &C,
    used: &refresh_token::Model,
) -> Result<bool, AppError> {
    use sea_orm::QueryOrder;
    let Some(at) = used.used_at else {
        return Ok(true);
    };
    let next = refresh_token::Entity::find()
        .filter(refresh_token::Column::FamilyId.eq(used.family_id))
        .filter(refresh_token::Column::IssuedAt.gte(at))
        .filter(refresh_token::Column::Id.ne(used.id))
        .order_by(refresh_token::Column::IssuedAt, sea_orm::Order::Asc)
        .one(conn)
        .await?;
    Ok(next.is_some_and(|n| n.used_at.is_none() && n.revoked_at.is_none()))
}

/// Marks a refresh token used if nobody did yet; false when another request won the race.
pub async fn mark_refresh_token_used<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let result = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn revoke_refresh_family<C: ConnectionTrait>(
    conn: &C,
    family: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::FamilyId.eq(family))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Whether a session (refresh-token family) was ended: logout, password reset, replay.
pub async fn session_revoked<C: ConnectionTrait>(conn: &C, family: Uuid) -> Result<bool, AppError> {
    use sea_orm::PaginatorTrait;
    Ok(refresh_token::Entity::find()
        .filter(refresh_token::Column::FamilyId.eq(family))
        .filter(refresh_token::Column::RevokedAt.is_not_null())
        .count(conn)
        .await?
        > 0)
}

pub async fn revoke_user_refresh_tokens<C: ConnectionTrait>(
    conn: &C,
    user: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::UserId.eq(user))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn insert_one_time_token<C: ConnectionTrait>(
    conn: &C,
    model: one_time_token::ActiveModel,
) -> Result<(), AppError> {
    model.insert(conn).await?;
    Ok(())
}

/// Consumes a one-time token: returns its user when the token exists for that purpose, is not
/// expired and was not used, and marks it used in the same statement (so it works once, even
/// when two requests race).
pub async fn consume_one_time_token<C: ConnectionTrait>(
    conn: &C,
    hash: &str,
    purpose: one_time_token::TokenPurpose,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, AppError> {
    let Some(token) = one_time_token::Entity::find()
        .filter(one_time_token::Column::TokenHash.eq(hash))
        .filter(one_time_token::Column::Purpose.eq(purpose))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    if token.expires_at <= now || token.used_at.is_some() {
        return Ok(None);
    }
    let result = one_time_token::Entity::update_many()
        .col_expr(one_time_token::Column::UsedAt, Expr::value(now))
        .filter(one_time_token::Column::Id.eq(token.id))
        .filter(one_time_token::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok((result.rows_affected == 1).then_some(token.user_id))
}

/// Whether a one-time token for `purpose` exists, unused and unexpired at `now` (without using
/// it).
pub async fn one_time_token_usable<C: ConnectionTrait>(
    conn: &C,
    hash: &str,
    purpose: one_time_token::TokenPurpose,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    Ok(one_time_token::Entity::find()
        .filter(one_time_token::Column::TokenHash.eq(hash))
        .filter(one_time_token::Column::Purpose.eq(purpose))
        .one(conn)
        .await?
        .is_some_and(|t| t.used_at.is_none() && t.expires_at > now))
}

/// The user a one-time token was issued to, without using it (to show its page in the user's
/// language before they act).
pub async fn one_time_token_user<C: ConnectionTrait>(
    conn: &C,
    hash: &str,
) -> Result<Option<Uuid>, AppError> {
    Ok(one_time_token::Entity::find()
        .filter(one_time_token::Column::TokenHash.eq(hash))
        .one(conn)
        .await?
        .map(|t| t.user_id))
}

/// An invitation by its token, before the invitee has any account (and so any scope).
pub async fn invitation_by_hash<C: ConnectionTrait>(
    conn: &C,
    hash: &str,
) -> Result<Option<invitation::Model>, AppError> {
    Ok(invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(hash))
        .one(conn)
        .await?)
}

/// Marks an invitation accepted if it still is pending; false when another request won.
pub async fn mark_invitation_accepted<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let result = invitation::Entity::update_many()
        .col_expr(invitation::Column::AcceptedAt, Expr::value(now))
        .filter(invitation::Column::Id.eq(id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// A partner key by its public client id (the client id names the brand).
pub async fn api_key_by_client_id<C: ConnectionTrait>(
    conn: &C,
    client_id: &str,
) -> Result<Option<api_key::Model>, AppError> {
    Ok(api_key::Entity::find()
        .filter(api_key::Column::ClientId.eq(client_id))
        .one(conn)
        .await?)
}

pub async fn api_key_by_id<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<api_key::Model>, AppError> {
    Ok(api_key::Entity::find_by_id(id).one(conn).await?)
}

pub async fn touch_api_key<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    api_key::Entity::update_many()
        .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
        .filter(api_key::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Sets a brand's status (platform admin).
pub async fn set_brand_status<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    status: brand::BrandStatus,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<brand::Model, AppError> {
    let current = brand_by_id(conn, id).await?.ok_or(AppError::NotFound)?;
    let mut model: brand::ActiveModel = current.into();
    model.status = Set(status);
    model.suspended_reason = Set(reason);
    model.updated_at = Set(now);
    Ok(model.update(conn).await?)
}

/// Saves a brand's settings (name, time zone, language, colour).
pub async fn set_brand_settings<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    settings: (String, String, String, Option<String>, Option<Option<i32>>),
    now: DateTime<Utc>,
) -> Result<brand::Model, AppError> {
    let current = brand_by_id(conn, id).await?.ok_or(AppError::NotFound)?;
    let (name, timezone, locale, accent_color, offer_cap) = settings;
    let mut model: brand::ActiveModel = current.into();
    model.name = Set(name);
    model.timezone = Set(timezone);
    model.locale = Set(locale);
    model.accent_color = Set(accent_color);
    if let Some(cap) = offer_cap {
        model.offer_cap_percent = Set(cap);
    }
    model.updated_at = Set(now);
    Ok(model.update(conn).await?)
}

/// Active brands with their time zone (for jobs that run per brand-local day).
pub async fn active_brands<C: ConnectionTrait>(conn: &C) -> Result<Vec<brand::Model>, AppError> {
    Ok(brand::Entity::find()
        .filter(brand::Column::Status.eq(brand::BrandStatus::Active))
        .all(conn)
        .await?)
}

pub async fn brand_by_slug<C: ConnectionTrait>(
    conn: &C,
    slug: &str,
) -> Result<Option<brand::Model>, AppError> {
    Ok(brand::Entity::find()
        .filter(brand::Column::Slug.eq(slug))
        .one(conn)
        .await?)
}
