//! Keyset pagination over time-ordered (UUID v7) ids: `id > after ORDER BY id LIMIT first + 1`.
//! Stable under inserts, and O(page) whatever the offset.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use uuid::Uuid;

/// At most this many items per page.
pub const MAX_PAGE: u64 = 100;
pub const DEFAULT_PAGE: u64 = 20;

#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub first: u64,
    pub after: Option<Uuid>,
}

pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next_page: bool,
}

/// Runs `select` as one page ordered by `id_column`.
pub async fn fetch<E, C>(
    conn: &C,
    select: Select<E>,
    id_column: E::Column,
    page: PageRequest,
) -> Result<Page<E::Model>, sea_orm::DbErr>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let mut select = select.order_by_asc(id_column).limit(page.first + 1);
    if let Some(after) = page.after {
        select = select.filter(id_column.gt(after));
    }
    let mut items = select.all(conn).await?;
    let has_next_page = items.len() as u64 > page.first;
    items.truncate(usize::try_from(page.first).unwrap_or(usize::MAX));
    Ok(Page {
        items,
        has_next_page,
    })
}
