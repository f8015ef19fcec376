use sea_orm_migration::{prelude::*, schema::*};

use crate::{Brand, UserAccount};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Col {
    TenantId,
    Email,
    DisplayName,
    PasswordHash,
    Role,
    Status,
    EmailVerifiedAt,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(UserAccount::Table)
                    .col(uuid(UserAccount::Id).primary_key())
                    .col(uuid_null(Col::TenantId))
                    .col(string_len_uniq(Col::Email, 254))
                    .col(string_len_null(Col::DisplayName, 200))
                    .col(string_len(Col::PasswordHash, 200))
                    .col(string_len(Col::Role, 24))
                    .col(string_len(Col::Status, 16))
                    .col(timestamp_with_time_zone_null(Col::EmailVerifiedAt))
                    .col(timestamp_with_time_zone(Col::CreatedAt))
                    .col(timestamp_with_time_zone(Col::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(UserAccount::Table, Col::TenantId)
                            .to(Brand::Table, Brand::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_user_account_tenant")
                    .table(UserAccount::Table)
                    .col(Col::TenantId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(UserAccount::Table).to_owned())
            .await
    }
}
