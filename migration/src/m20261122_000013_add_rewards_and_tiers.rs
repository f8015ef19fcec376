//! Rewards and tiers: a voucher can carry a label (a stamp card's gift, "Free coffee"), and
//! members' tier assignments are kept as an append-only history per program.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{index, tenant_fk, tenant_key};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Voucher {
    Table,
    Label,
}

#[derive(DeriveIden)]
enum MemberTier {
    Table,
    Id,
    TenantId,
    MemberId,
    ProgramId,
    /// The assignment this one follows (nil for a member's first): unique, so that two
    /// evaluations racing on the same state cannot both append.
    PreviousId,
    Level,
    Name,
    Reason,
    QualifyingValue,
    StartsAt,
    QualifiedUntil,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Voucher::Table)
                    .add_column(string_len_null(Voucher::Label, 200))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MemberTier::Table)
                    .col(uuid(MemberTier::Id).primary_key())
                    .col(uuid(MemberTier::TenantId))
                    .col(uuid(MemberTier::MemberId))
                    .col(uuid(MemberTier::ProgramId))
                    .col(uuid(MemberTier::PreviousId))
                    .col(integer(MemberTier::Level))
                    .col(string_len(MemberTier::Name, 100))
                    .col(string_len(MemberTier::Reason, 24))
                    .col(big_integer(MemberTier::QualifyingValue))
                    .col(timestamp_with_time_zone(MemberTier::StartsAt))
                    .col(timestamp_with_time_zone_null(MemberTier::QualifiedUntil))
                    .col(timestamp_with_time_zone(MemberTier::CreatedAt))
                    .foreign_key(&mut tenant_fk(
                        MemberTier::Table,
                        MemberTier::TenantId,
                        MemberTier::MemberId,
                        Alias::new("member"),
                    ))
                    .foreign_key(&mut tenant_fk(
                        MemberTier::Table,
                        MemberTier::TenantId,
                        MemberTier::ProgramId,
                        Alias::new("program"),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(tenant_key("ux_member_tier_tenant_id", MemberTier::Table))
            .await?;
        manager
            .create_index(index(
                "ux_member_tier_previous",
                MemberTier::Table,
                &["tenant_id", "member_id", "program_id", "previous_id"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_member_tier_due",
                MemberTier::Table,
                &["qualified_until"],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MemberTier::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Voucher::Table)
                    .drop_column(Voucher::Label)
                    .to_owned(),
            )
            .await
    }
}
