//! Shapes that recur across migrations: tenant-scoped keys and indexes.

use sea_orm_migration::prelude::*;

/// `(tenant_id, column) -> parent (tenant_id, id)`.
pub(crate) fn tenant_fk(
    from: impl IntoIden + 'static,
    tenant: impl IntoIden + 'static,
    column: impl IntoIden + 'static,
    to: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from_tbl(from)
        .from_col(tenant)
        .from_col(column)
        .to_tbl(to)
        .to_col(Alias::new("tenant_id"))
        .to_col(Alias::new("id"))
        .to_owned()
}

/// A unique `(tenant_id, id)` so that children can reference both.
pub(crate) fn tenant_key(name: &str, table: impl IntoIden + 'static) -> IndexCreateStatement {
    Index::create()
        .name(name)
        .table(table)
        .col(Alias::new("tenant_id"))
        .col(Alias::new("id"))
        .unique()
        .to_owned()
}

/// A named index on `cols`, unique or not.
pub(crate) fn index(
    name: &str,
    table: impl IntoIden + 'static,
    cols: &[&'static str],
    unique: bool,
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for col in cols {
        index.col(Alias::new(*col));
    }
    if unique {
        index.unique();
    }
    index.to_owned()
}
