//! Referrals (parrainage): a brand's referral policy, each member's referral code, and the
//! referrals themselves (started by a code, converted by the referee's first qualifying purchase,
//! reversed by its return).

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReferralPolicy {
    Table,
    TenantId,
    Enabled,
    ProgramId,
    ReferrerPoints,
    ReferrerVoucherMinor,
    RefereePoints,
    RefereeVoucherMinor,
    VoucherValidDays,
    MinimumPurchaseMinor,
    WindowDays,
    CapPerReferrer,
    CapPeriodDays,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ReferralCode {
    Table,
    MemberId,
    TenantId,
    Code,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Referral {
    Table,
    Id,
    TenantId,
    ReferrerId,
    RefereeId,
    Status,
    StartedAt,
    ExpiresAt,
    PurchaseId,
    ConvertedAt,
    ReversedAt,
    ReferrerPoints,
    RefereePoints,
    ReferrerVoucherId,
    RefereeVoucherId,
    ProgramId,
    MinimumMinor,
}

fn brand_fk(
    table: impl IntoIden + 'static,
    col: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(Alias::new("brand"), Alias::new("id"))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReferralPolicy::Table)
                    .col(uuid(ReferralPolicy::TenantId).primary_key())
                    .col(boolean(ReferralPolicy::Enabled))
                    .col(uuid_null(ReferralPolicy::ProgramId))
                    .col(big_integer(ReferralPolicy::ReferrerPoints))
                    .col(big_integer(ReferralPolicy::ReferrerVoucherMinor))
                    .col(big_integer(ReferralPolicy::RefereePoints))
                    .col(big_integer(ReferralPolicy::RefereeVoucherMinor))
                    .col(integer(ReferralPolicy::VoucherValidDays))
                    .col(big_integer(ReferralPolicy::MinimumPurchaseMinor))
                    .col(integer(ReferralPolicy::WindowDays))
                    .col(integer_null(ReferralPolicy::CapPerReferrer))
                    .col(integer(ReferralPolicy::CapPeriodDays))
                    .col(timestamp_with_time_zone(ReferralPolicy::UpdatedAt))
                    .foreign_key(&mut brand_fk(
                        ReferralPolicy::Table,
                        ReferralPolicy::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReferralCode::Table)
                    .col(uuid(ReferralCode::MemberId).primary_key())
                    .col(uuid(ReferralCode::TenantId))
                    .col(string_len(ReferralCode::Code, 16))
                    .col(timestamp_with_time_zone(ReferralCode::CreatedAt))
                    .foreign_key(&mut brand_fk(ReferralCode::Table, ReferralCode::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_referral_code",
                ReferralCode::Table,
                &["tenant_id", "code"],
                true,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Referral::Table)
                    .col(uuid(Referral::Id).primary_key())
                    .col(uuid(Referral::TenantId))
                    .col(uuid(Referral::ReferrerId))
                    .col(uuid(Referral::RefereeId))
                    .col(string_len(Referral::Status, 16))
                    .col(timestamp_with_time_zone(Referral::StartedAt))
                    .col(timestamp_with_time_zone(Referral::ExpiresAt))
                    .col(uuid_null(Referral::PurchaseId))
                    .col(timestamp_with_time_zone_null(Referral::ConvertedAt))
                    .col(timestamp_with_time_zone_null(Referral::ReversedAt))
                    .col(big_integer(Referral::ReferrerPoints))
                    .col(big_integer(Referral::RefereePoints))
                    .col(uuid_null(Referral::ReferrerVoucherId))
                    .col(uuid_null(Referral::RefereeVoucherId))
                    .col(uuid_null(Referral::ProgramId))
                    .col(big_integer(Referral::MinimumMinor).default(0))
                    .foreign_key(&mut brand_fk(Referral::Table, Referral::TenantId))
                    .to_owned(),
            )
            .await?;
        for (name, cols, unique) in [
            (
                "ux_referral_referee",
                &["tenant_id", "referee_id"][..],
                true,
            ),
            (
                "ix_referral_referrer",
                &["tenant_id", "referrer_id", "status"][..],
                false,
            ),
        ] {
            manager
                .create_index(index(name, Referral::Table, cols, unique))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Referral::Table.into_iden(),
            ReferralCode::Table.into_iden(),
            ReferralPolicy::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
