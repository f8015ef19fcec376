use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{index, tenant_fk, tenant_key};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Purchase {
    Table,
    Id,
    TenantId,
    MemberId,
    CardId,
    Store,
    Channel,
    Currency,
    TotalMinor,
    PointsEarned,
    OccurredAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PurchaseLine {
    Table,
    Id,
    TenantId,
    PurchaseId,
    LineNo,
    Sku,
    Category,
    Quantity,
    UnitPriceMinor,
    DiscountMinor,
    TaxMinor,
    PointsEarned,
    ReturnedQuantity,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Purchase::Table)
                    .col(uuid(Purchase::Id).primary_key())
                    .col(uuid(Purchase::TenantId))
                    .col(uuid_null(Purchase::MemberId))
                    .col(uuid_null(Purchase::CardId))
                    .col(string_len_null(Purchase::Store, 100))
                    .col(string_len(Purchase::Channel, 16))
                    .col(string_len(Purchase::Currency, 3))
                    .col(big_integer(Purchase::TotalMinor))
                    .col(big_integer(Purchase::PointsEarned))
                    .col(timestamp_with_time_zone(Purchase::OccurredAt))
                    .col(timestamp_with_time_zone(Purchase::CreatedAt))
                    .foreign_key(&mut tenant_fk(
                        Purchase::Table,
                        Purchase::TenantId,
                        Purchase::MemberId,
                        Alias::new("member"),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(tenant_key("ux_purchase_tenant_id", Purchase::Table))
            .await?;
        manager
            .create_index(index(
                "ix_purchase_member",
                Purchase::Table,
                &["tenant_id", "member_id", "occurred_at"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PurchaseLine::Table)
                    .col(uuid(PurchaseLine::Id).primary_key())
                    .col(uuid(PurchaseLine::TenantId))
                    .col(uuid(PurchaseLine::PurchaseId))
                    .col(integer(PurchaseLine::LineNo))
                    .col(string_len(PurchaseLine::Sku, 64))
                    .col(string_len_null(PurchaseLine::Category, 64))
                    .col(integer(PurchaseLine::Quantity))
                    .col(big_integer(PurchaseLine::UnitPriceMinor))
                    .col(big_integer(PurchaseLine::DiscountMinor))
                    .col(big_integer(PurchaseLine::TaxMinor))
                    .col(big_integer(PurchaseLine::PointsEarned))
                    .col(integer(PurchaseLine::ReturnedQuantity))
                    .foreign_key(&mut tenant_fk(
                        PurchaseLine::Table,
                        PurchaseLine::TenantId,
                        PurchaseLine::PurchaseId,
                        Purchase::Table,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_purchase_line_purchase",
                PurchaseLine::Table,
                &["purchase_id"],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PurchaseLine::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Purchase::Table).to_owned())
            .await
    }
}
