//! Coalition tables span brands by nature, so they are read and written here rather than through
//! a brand's `TenantScope`; `domain::coalitions` decides who may see or change what.
#![expect(
    clippy::disallowed_methods,
    reason = "coalitions span several brands by design; access rules live in domain::coalitions"
)]

use chrono::{DateTime, Utc};
use entity::{
    brand, coalition, coalition_brand, coalition_brand::CoalitionBrandStatus, coalition_operator,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    sea_query::Expr,
};
use uuid::Uuid;

use crate::core::error::AppError;

pub async fn insert_coalition<C: ConnectionTrait>(
    conn: &C,
    model: coalition::ActiveModel,
    operator: Uuid,
) -> Result<coalition::Model, AppError> {
    let created = model.insert(conn).await?;
    coalition_operator::ActiveModel {
        coalition_id: Set(created.id),
        user_id: Set(operator),
        created_at: Set(Utc::now()),
    }
    .insert(conn)
    .await?;
    Ok(created)
}

pub async fn set_cross_brand_referrals<C: ConnectionTrait>(
    conn: &C,
    coalition: Uuid,
    allowed: bool,
    now: chrono::DateTime<Utc>,
) -> Result<(), AppError> {
    coalition::Entity::update_many()
        .col_expr(coalition::Column::CrossBrandReferrals, Expr::value(allowed))
        .col_expr(coalition::Column::UpdatedAt, Expr::value(now))
        .filter(coalition::Column::Id.eq(coalition))
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn coalition<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<coalition::Model>, AppError> {
    Ok(coalition::Entity::find_by_id(id).one(conn).await?)
}

pub async fn all<C: ConnectionTrait>(conn: &C) -> Result<Vec<coalition::Model>, AppError> {
    Ok(coalition::Entity::find()
        .order_by_asc(coalition::Column::Id)
        .all(conn)
        .await?)
}

/// Coalitions this operator runs.
pub async fn of_operator<C: ConnectionTrait>(
    conn: &C,
    user: Uuid,
) -> Result<Vec<coalition::Model>, AppError> {
    let ids: Vec<Uuid> = coalition_operator::Entity::find()
        .filter(coalition_operator::Column::UserId.eq(user))
        .all(conn)
        .await?
        .into_iter()
        .map(|o| o.coalition_id)
        .collect();
    by_ids(conn, ids).await
}

pub async fn is_operator<C: ConnectionTrait>(
    conn: &C,
    coalition: Uuid,
    user: Uuid,
) -> Result<bool, AppError> {
    Ok(coalition_operator::Entity::find_by_id((coalition, user))
        .one(conn)
        .await?
        .is_some())
}

/// Coalitions in which this brand has a place (whatever its status).
pub async fn of_brand<C: ConnectionTrait>(
    conn: &C,
    brand: Uuid,
) -> Result<Vec<coalition::Model>, AppError> {
    let ids: Vec<Uuid> = coalition_brand::Entity::find()
        .filter(coalition_brand::Column::BrandId.eq(brand))
        .all(conn)
        .await?
        .into_iter()
        .map(|b| b.coalition_id)
        .collect();
    by_ids(conn, ids).await
}

async fn by_ids<C: ConnectionTrait>(
    conn: &C,
    ids: Vec<Uuid>,
) -> Result<Vec<coalition::Model>, AppError> {
    Ok(coalition::Entity::find()
        .filter(coalition::Column::Id.is_in(ids))
        .order_by_asc(coalition::Column::Id)
        .all(conn)
        .await?)
}

/// The brands of a coalition, with their brand rows, in invitation order.
pub async fn brands_of<C: ConnectionTrait>(
    conn: &C,
    coalition: Uuid,
) -> Result<Vec<(coalition_brand::Model, brand::Model)>, AppError> {
    let rows = coalition_brand::Entity::find()
        .filter(coalition_brand::Column::CoalitionId.eq(coalition))
        .order_by_asc(coalition_brand::Column::Id)
        .all(conn)
        .await?;
    let brands = brand::Entity::find()
        .filter(brand::Column::Id.is_in(rows.iter().map(|r| r.brand_id)))
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let b = brands.iter().find(|b| b.id == r.brand_id)?.clone();
            Some((r, b))
        })
        .collect())
}

pub async fn place<C: ConnectionTrait>(
    conn: &C,
    coalition: Uuid,
    brand: Uuid,
) -> Result<Option<coalition_brand::Model>, AppError> {
    Ok(coalition_brand::Entity::find()
        .filter(coalition_brand::Column::CoalitionId.eq(coalition))
        .filter(coalition_brand::Column::BrandId.eq(brand))
        .one(conn)
        .await?)
}

pub async fn insert_place<C: ConnectionTrait>(
    conn: &C,
    model: coalition_brand::ActiveModel,
) -> Result<(), AppError> {
    match model.insert(conn).await {
        Ok(_) => Ok(()),
        Err(e) if crate::core::db::is_unique_violation(&e) => Err(AppError::conflict(
            "this brand was just invited to this coalition",
        )),
        Err(e) => Err(e.into()),
    }
}

/// Moves a place from `from` to `to` (with the given columns), only if it is still in `from`.
/// Returns whether it moved: two racing answers cannot both pass.
pub async fn move_place<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    from: &[CoalitionBrandStatus],
    set: Vec<(coalition_brand::Column, sea_orm::Value)>,
    only_if_not_leaving: bool,
) -> Result<bool, AppError> {
    let mut update = coalition_brand::Entity::update_many()
        .filter(coalition_brand::Column::Id.eq(id))
        .filter(coalition_brand::Column::Status.is_in(from.iter().copied()));
    if only_if_not_leaving {
        update = update.filter(coalition_brand::Column::LeavesAt.is_null());
    }
    for (column, value) in set {
        update = update.col_expr(column, Expr::value(value));
    }
    Ok(update.exec(conn).await?.rows_affected == 1)
}

/// When a leaving brand is gone: `leaves_at` passed.
pub fn has_left(place: &coalition_brand::Model, now: DateTime<Utc>) -> bool {
    place.status == CoalitionBrandStatus::Left
        || (place.status == CoalitionBrandStatus::Active
            && place.leaves_at.is_some_and(|at| at <= now))
}
