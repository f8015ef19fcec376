use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IdempotencyRecord {
    Table,
    Id,
    ScopeKey,
    Operation,
    Key,
    RequestHash,
    Response,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyRecord::Table)
                    .col(uuid(IdempotencyRecord::Id).primary_key())
                    .col(string_len(IdempotencyRecord::ScopeKey, 40))
                    .col(string_len(IdempotencyRecord::Operation, 64))
                    .col(string_len(IdempotencyRecord::Key, 128))
                    .col(string_len(IdempotencyRecord::RequestHash, 64))
                    .col(json(IdempotencyRecord::Response))
                    .col(timestamp_with_time_zone(IdempotencyRecord::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_idempotency_scope_operation_key")
                    .table(IdempotencyRecord::Table)
                    .col(IdempotencyRecord::ScopeKey)
                    .col(IdempotencyRecord::Operation)
                    .col(IdempotencyRecord::Key)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(IdempotencyRecord::Table).to_owned())
            .await
    }
}
