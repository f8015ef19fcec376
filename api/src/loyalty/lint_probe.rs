//! A deliberate breach of the tenancy wall, compiled only by `.ci/lint-probe`
//! (`--cfg fidelis_lint_probe`): each function reaches a tenant-owned table without the brand
//! filter, from a file that is not a store. The probe passes when clippy refuses every one.

use entity::member;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, Statement,
};

/// PROBE entity-finder: every brand's members.
pub async fn every_member(db: &DatabaseConnection) -> Result<usize, DbErr> {
    Ok(member::Entity::find().all(db).await?.len())
}

/// PROBE raw-sql: raw SQL that forgets the brand.
pub async fn raw_count(db: &DatabaseConnection) -> Result<usize, DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id FROM member",
        ))
        .await?;
    Ok(rows.len())
}

/// PROBE active-model-update: an update keyed on an id alone.
pub async fn rename(db: &DatabaseConnection, model: member::ActiveModel) -> Result<(), DbErr> {
    model.update(db).await?;
    Ok(())
}

/// PROBE raw-select-through-scope: a scoped select whose SQL is replaced wholesale.
pub async fn through_scope(
    tx: &crate::core::tenancy::Scoped<DatabaseConnection>,
    stmt: Statement,
) -> Result<usize, DbErr> {
    Ok(tx
        .find::<member::Entity>()
        .from_raw_sql(stmt)
        .all(tx.db())
        .await?
        .len())
}

/// PROBE statement-edit: a scoped select whose statement is edited after the brand filter.
pub fn widen(tx: &crate::core::tenancy::Scoped<DatabaseConnection>) {
    use sea_orm::QueryTrait;
    let mut select = tx.find::<member::Entity>();
    *select.query() = sea_orm::sea_query::Query::select().to_owned();
}
