//! The public look-up of a contest's brand: the fairness record is read by anyone with the
//! contest's id, without a brand's scope; everything else goes through the brand's scope.
#![expect(
    clippy::disallowed_methods,
    reason = "the public fairness record finds its contest's brand here, then reads through the brand's scope"
)]

use entity::contest;
use sea_orm::{ConnectionTrait, EntityTrait};
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
