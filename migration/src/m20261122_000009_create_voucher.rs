use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Voucher {
    Table,
    Id,
    TenantId,
    MemberId,
    Code,
    Kind,
    AmountMinor,
    Percent,
    Currency,
    MinimumBasketMinor,
    ValidFrom,
    ValidUntil,
    MaxUses,
    Uses,
    Source,
    ProgramId,
    PointsCost,
    CancelledAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum VoucherUse {
    Table,
    Id,
    TenantId,
    VoucherId,
    PurchaseId,
    AmountMinor,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Voucher::Table)
                    .col(uuid(Voucher::Id).primary_key())
                    .col(uuid(Voucher::TenantId))
                    .col(uuid_null(Voucher::MemberId))
                    .col(string_len(Voucher::Code, 32))
                    .col(string_len(Voucher::Kind, 16))
                    .col(big_integer(Voucher::AmountMinor))
                    .col(integer(Voucher::Percent))
                    .col(string_len(Voucher::Currency, 3))
                    .col(big_integer(Voucher::MinimumBasketMinor))
                    .col(timestamp_with_time_zone(Voucher::ValidFrom))
                    .col(timestamp_with_time_zone(Voucher::ValidUntil))
                    .col(integer(Voucher::MaxUses))
                    .col(integer(Voucher::Uses))
                    .col(string_len(Voucher::Source, 16))
                    .col(uuid_null(Voucher::ProgramId))
                    .col(big_integer(Voucher::PointsCost))
                    .col(timestamp_with_time_zone_null(Voucher::CancelledAt))
                    .col(timestamp_with_time_zone(Voucher::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from_tbl(Voucher::Table)
                            .from_col(Voucher::TenantId)
                            .from_col(Voucher::MemberId)
                            .to_tbl(Alias::new("member"))
                            .to_col(Alias::new("tenant_id"))
                            .to_col(Alias::new("id")),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols, unique) in [
            (
                "ux_voucher_tenant_id",
                vec![Voucher::TenantId, Voucher::Id],
                true,
            ),
            (
                "ux_voucher_code",
                vec![Voucher::TenantId, Voucher::Code],
                true,
            ),
            (
                "ix_voucher_member",
                vec![Voucher::TenantId, Voucher::MemberId],
                false,
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Voucher::Table);
            for col in cols {
                index.col(col);
            }
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(VoucherUse::Table)
                    .col(uuid(VoucherUse::Id).primary_key())
                    .col(uuid(VoucherUse::TenantId))
                    .col(uuid(VoucherUse::VoucherId))
                    .col(uuid_null(VoucherUse::PurchaseId))
                    .col(big_integer(VoucherUse::AmountMinor))
                    .col(timestamp_with_time_zone(VoucherUse::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from_tbl(VoucherUse::Table)
                            .from_col(VoucherUse::TenantId)
                            .from_col(VoucherUse::VoucherId)
                            .to_tbl(Voucher::Table)
                            .to_col(Voucher::TenantId)
                            .to_col(Voucher::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_voucher_use_voucher")
                    .table(VoucherUse::Table)
                    .col(VoucherUse::VoucherId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(VoucherUse::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Voucher::Table).to_owned())
            .await
    }
}
