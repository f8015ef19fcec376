//! Paid memberships: a member's subscription to a MEMBERSHIP program, one per member and
//! program, with its current period. Fees paid and savings given are ledger entries.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{index, tenant_fk, tenant_key};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Membership {
    Table,
    Id,
    TenantId,
    MemberId,
    ProgramId,
    StartedAt,
    PeriodStart,
    PeriodEnd,
    AutoRenew,
    CancelledAt,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Membership::Table)
                    .col(uuid(Membership::Id).primary_key())
                    .col(uuid(Membership::TenantId))
                    .col(uuid(Membership::MemberId))
                    .col(uuid(Membership::ProgramId))
                    .col(timestamp_with_time_zone(Membership::StartedAt))
                    .col(timestamp_with_time_zone(Membership::PeriodStart))
                    .col(timestamp_with_time_zone(Membership::PeriodEnd))
                    .col(boolean(Membership::AutoRenew))
                    .col(timestamp_with_time_zone_null(Membership::CancelledAt))
                    .col(timestamp_with_time_zone(Membership::CreatedAt))
                    .col(timestamp_with_time_zone(Membership::UpdatedAt))
                    .foreign_key(&mut tenant_fk(
                        Membership::Table,
                        Membership::TenantId,
                        Membership::MemberId,
                        Alias::new("member"),
                    ))
                    .foreign_key(&mut tenant_fk(
                        Membership::Table,
                        Membership::TenantId,
                        Membership::ProgramId,
                        Alias::new("program"),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(tenant_key("ux_membership_tenant_id", Membership::Table))
            .await?;
        manager
            .create_index(index(
                "ux_membership_member_program",
                Membership::Table,
                &["tenant_id", "member_id", "program_id"],
                true,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Membership::Table).to_owned())
            .await
    }
}
