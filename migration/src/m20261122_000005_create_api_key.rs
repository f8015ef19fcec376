use sea_orm_migration::{prelude::*, schema::*};

use crate::{Brand, UserAccount};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiKey {
    Table,
    Id,
    TenantId,
    Name,
    ClientId,
    SecretHash,
    Scopes,
    CreatedBy,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ApiKey::Table)
                    .col(uuid(ApiKey::Id).primary_key())
                    .col(uuid(ApiKey::TenantId))
                    .col(string_len(ApiKey::Name, 200))
                    .col(string_len_uniq(ApiKey::ClientId, 64))
                    .col(string_len(ApiKey::SecretHash, 64))
                    .col(string_len(ApiKey::Scopes, 500))
                    .col(uuid(ApiKey::CreatedBy))
                    .col(timestamp_with_time_zone(ApiKey::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiKey::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiKey::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiKey::Table, ApiKey::TenantId)
                            .to(Brand::Table, Brand::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiKey::Table, ApiKey::CreatedBy)
                            .to(UserAccount::Table, UserAccount::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_api_key_tenant")
                    .table(ApiKey::Table)
                    .col(ApiKey::TenantId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ApiKey::Table).to_owned())
            .await
    }
}
