use sea_orm_migration::{prelude::*, schema::*};

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
                    .foreign_key(
                        ForeignKey::create()
                            .from_tbl(Purchase::Table)
                            .from_col(Purchase::TenantId)
                            .from_col(Purchase::MemberId)
                            .to_tbl(Alias::new("member"))
                            .to_col(Alias::new("tenant_id"))
                            .to_col(Alias::new("id")),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_purchase_tenant_id")
                    .table(Purchase::Table)
                    .col(Purchase::TenantId)
                    .col(Purchase::Id)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_purchase_member")
                    .table(Purchase::Table)
                    .col(Purchase::TenantId)
                    .col(Purchase::MemberId)
                    .col(Purchase::OccurredAt)
                    .to_owned(),
            )
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
                    .foreign_key(
                        ForeignKey::create()
                            .from_tbl(PurchaseLine::Table)
                            .from_col(PurchaseLine::TenantId)
                            .from_col(PurchaseLine::PurchaseId)
                            .to_tbl(Purchase::Table)
                            .to_col(Purchase::TenantId)
                            .to_col(Purchase::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_purchase_line_purchase")
                    .table(PurchaseLine::Table)
                    .col(PurchaseLine::PurchaseId)
                    .to_owned(),
            )
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
