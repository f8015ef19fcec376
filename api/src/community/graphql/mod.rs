//! Community's GraphQL roots: clubs, events, contests, referrals.

pub mod clubs;
pub mod coalition_clubs;
pub mod contests;
pub mod events;
pub mod referrals;

use std::collections::HashMap;

use sea_orm::{ColumnTrait, QueryFilter};

/// The names and addresses of the members listed on a staff page (one read for the list).
pub(crate) async fn who(
    scope: &crate::core::tenancy::TenantScope,
    ids: impl IntoIterator<Item = uuid::Uuid>,
) -> Result<HashMap<uuid::Uuid, (Option<String>, Option<String>)>, crate::core::error::AppError> {
    let ids: Vec<uuid::Uuid> = ids.into_iter().collect();
    let conn = scope.conn();
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        for m in conn
            .find::<entity::member::Entity>()
            .filter(entity::member::Column::Id.is_in(chunk.iter().copied()))
            .all(conn.db())
            .await?
        {
            let name = [m.first_name.as_deref(), m.last_name.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            out.insert(m.id, ((!name.is_empty()).then_some(name), m.email));
        }
    }
    Ok(out)
}
