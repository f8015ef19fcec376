//! The brand's reward catalog: gifts, services and discounts bought with points, with stock and
//! per-member limits. A redeemed reward is a voucher that names it.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{index, tenant_fk, tenant_key};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Reward {
    Table,
    Id,
    TenantId,
    ProgramId,
    Name,
    Description,
    Kind,
    PointsCost,
    AmountMinor,
    Percent,
    StockRemaining,
    PerMemberLimit,
    PerMemberPeriodDays,
    VoucherValidDays,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Voucher {
    Table,
    RewardId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Reward::Table)
                    .col(uuid(Reward::Id).primary_key())
                    .col(uuid(Reward::TenantId))
                    .col(uuid(Reward::ProgramId))
                    .col(string_len(Reward::Name, 200))
                    .col(string_len_null(Reward::Description, 1000))
                    .col(string_len(Reward::Kind, 16))
                    .col(big_integer(Reward::PointsCost))
                    .col(big_integer(Reward::AmountMinor))
                    .col(integer(Reward::Percent))
                    .col(big_integer_null(Reward::StockRemaining))
                    .col(integer_null(Reward::PerMemberLimit))
                    .col(integer_null(Reward::PerMemberPeriodDays))
                    .col(integer(Reward::VoucherValidDays))
                    .col(boolean(Reward::Active))
                    .col(timestamp_with_time_zone(Reward::CreatedAt))
                    .col(timestamp_with_time_zone(Reward::UpdatedAt))
                    .foreign_key(&mut tenant_fk(
                        Reward::Table,
                        Reward::TenantId,
                        Reward::ProgramId,
                        Alias::new("program"),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(tenant_key("ux_reward_tenant_id", Reward::Table))
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Voucher::Table)
                    .add_column(uuid_null(Voucher::RewardId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_voucher_reward_member",
                Voucher::Table,
                &["tenant_id", "reward_id", "member_id", "created_at"],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_voucher_reward_member")
                    .table(Voucher::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Voucher::Table)
                    .drop_column(Voucher::RewardId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Reward::Table).to_owned())
            .await
    }
}
