use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{index, tenant_fk};

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
                    .foreign_key(&mut tenant_fk(
                        Voucher::Table,
                        Voucher::TenantId,
                        Voucher::MemberId,
                        Alias::new("member"),
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, cols, unique) in [
            ("ux_voucher_tenant_id", &["tenant_id", "id"][..], true),
            ("ux_voucher_code", &["tenant_id", "code"][..], true),
            ("ix_voucher_member", &["tenant_id", "member_id"][..], false),
        ] {
            manager
                .create_index(index(name, Voucher::Table, cols, unique))
                .await?;
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
                    .foreign_key(&mut tenant_fk(
                        VoucherUse::Table,
                        VoucherUse::TenantId,
                        VoucherUse::VoucherId,
                        Voucher::Table,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_voucher_use_voucher",
                VoucherUse::Table,
                &["voucher_id"],
                false,
            ))
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
