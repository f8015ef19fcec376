use sea_orm_migration::{prelude::*, schema::*};

use crate::Brand;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum BrandCol {
    Slug,
    Name,
    Currency,
    Timezone,
    Locale,
    Status,
    SuspendedReason,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Brand::Table)
                    .col(uuid(Brand::Id).primary_key())
                    .col(string_len_uniq(BrandCol::Slug, 63))
                    .col(string_len(BrandCol::Name, 200))
                    .col(string_len(BrandCol::Currency, 3))
                    .col(string_len(BrandCol::Timezone, 64))
                    .col(string_len(BrandCol::Locale, 35))
                    .col(string_len(BrandCol::Status, 16))
                    .col(string_len_null(BrandCol::SuspendedReason, 500))
                    .col(timestamp_with_time_zone(BrandCol::CreatedAt))
                    .col(timestamp_with_time_zone(BrandCol::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Brand::Table).to_owned())
            .await
    }
}
