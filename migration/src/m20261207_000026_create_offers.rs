//! Offers and promotions: the offers a brand runs beside its programs, what each gave to each
//! purchase (with its share per line, so that returns give back exactly their part), the uses
//! of each member per period (moved by conditional updates), and the offer discount carried by
//! purchases and their lines.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{index, tenant_fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Offer {
    Table,
    Id,
    TenantId,
    Name,
    Description,
    Kind,
    Code,
    Rules,
    StartsAt,
    EndsAt,
    Priority,
    Exclusive,
    CardHoldersOnly,
    TierNames,
    ExcludeRecentBuyersDays,
    Status,
    MaxPerMember,
    MemberPeriodDays,
    MaxRedemptions,
    BudgetMinor,
    Stock,
    Redemptions,
    DiscountGivenMinor,
    ValueGivenMinor,
    RevenueMinor,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OfferRedemption {
    Table,
    Id,
    TenantId,
    OfferId,
    PurchaseId,
    MemberId,
    DiscountMinor,
    ValueMinor,
    Allocation,
    ReturnedMinor,
    VoucherId,
    Proofs,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OfferProgress {
    Table,
    TenantId,
    OfferId,
    MemberId,
    PeriodStart,
    Proofs,
    Premiums,
}

/// A brand's offers version: bumped by every change to its offers, read by every checkout (one
/// key look-up) to know whether the offers it keeps in memory are still the brand's.
#[derive(DeriveIden)]
enum OfferVersion {
    Table,
    TenantId,
    Version,
}

#[derive(DeriveIden)]
enum OfferClaim {
    Table,
    Id,
    TenantId,
    OfferId,
    MemberId,
    PurchaseId,
    ReceiptKey,
    ReceiptReference,
    ReceiptDate,
    ReceiptAmountMinor,
    AmountMinor,
    Status,
    Reason,
    PayoutReference,
    PaidOn,
    DecidedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OfferMemberUse {
    Table,
    TenantId,
    OfferId,
    MemberId,
    PeriodStart,
    Uses,
}

#[derive(DeriveIden)]
enum Purchase {
    Table,
    OfferDiscountMinor,
}

#[derive(DeriveIden)]
enum PurchaseLine {
    Table,
    OfferDiscountMinor,
    OfferId,
}

#[derive(DeriveIden)]
enum Brand {
    Table,
    OfferCapPercent,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Offer::Table)
                    .col(uuid(Offer::Id).primary_key())
                    .col(uuid(Offer::TenantId))
                    .col(string_len(Offer::Name, 120))
                    .col(text_null(Offer::Description))
                    .col(string_len(Offer::Kind, 24))
                    .col(string_len_null(Offer::Code, 32))
                    .col(text(Offer::Rules))
                    .col(timestamp_with_time_zone(Offer::StartsAt))
                    .col(timestamp_with_time_zone(Offer::EndsAt))
                    .col(integer(Offer::Priority))
                    .col(boolean(Offer::Exclusive))
                    .col(boolean(Offer::CardHoldersOnly))
                    .col(text_null(Offer::TierNames))
                    .col(integer_null(Offer::ExcludeRecentBuyersDays))
                    .col(string_len(Offer::Status, 16))
                    .col(integer_null(Offer::MaxPerMember))
                    .col(integer_null(Offer::MemberPeriodDays))
                    .col(integer_null(Offer::MaxRedemptions))
                    .col(big_integer_null(Offer::BudgetMinor))
                    .col(integer_null(Offer::Stock))
                    .col(integer(Offer::Redemptions))
                    .col(big_integer(Offer::DiscountGivenMinor))
                    .col(big_integer(Offer::ValueGivenMinor))
                    .col(big_integer(Offer::RevenueMinor))
                    .col(timestamp_with_time_zone(Offer::CreatedAt))
                    .col(timestamp_with_time_zone(Offer::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Offer::Table, Offer::TenantId)
                            .to(Alias::new("brand"), Alias::new("id")),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols, unique) in [
            ("ux_offer_tenant_id", &["tenant_id", "id"][..], true),
            ("ux_offer_code", &["tenant_id", "code"][..], true),
            (
                "ix_offer_window",
                &["tenant_id", "status", "ends_at"][..],
                false,
            ),
        ] {
            manager
                .create_index(index(name, Offer::Table, cols, unique))
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(OfferRedemption::Table)
                    .col(uuid(OfferRedemption::Id).primary_key())
                    .col(uuid(OfferRedemption::TenantId))
                    .col(uuid(OfferRedemption::OfferId))
                    .col(uuid(OfferRedemption::PurchaseId))
                    .col(uuid_null(OfferRedemption::MemberId))
                    .col(big_integer(OfferRedemption::DiscountMinor))
                    .col(big_integer(OfferRedemption::ValueMinor))
                    .col(text(OfferRedemption::Allocation))
                    .col(big_integer(OfferRedemption::ReturnedMinor))
                    .col(uuid_null(OfferRedemption::VoucherId))
                    .col(integer(OfferRedemption::Proofs).default(0))
                    .col(timestamp_with_time_zone(OfferRedemption::CreatedAt))
                    .foreign_key(&mut tenant_fk(
                        OfferRedemption::Table,
                        OfferRedemption::TenantId,
                        OfferRedemption::OfferId,
                        Offer::Table,
                    ))
                    .foreign_key(&mut tenant_fk(
                        OfferRedemption::Table,
                        OfferRedemption::TenantId,
                        OfferRedemption::PurchaseId,
                        Alias::new("purchase"),
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, cols, unique) in [
            (
                "ux_offer_redemption_purchase",
                &["tenant_id", "purchase_id", "offer_id"][..],
                true,
            ),
            (
                "ix_offer_redemption_offer",
                &["tenant_id", "offer_id", "created_at"][..],
                false,
            ),
        ] {
            manager
                .create_index(index(name, OfferRedemption::Table, cols, unique))
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(OfferMemberUse::Table)
                    .col(uuid(OfferMemberUse::TenantId))
                    .col(uuid(OfferMemberUse::OfferId))
                    .col(uuid(OfferMemberUse::MemberId))
                    .col(timestamp_with_time_zone(OfferMemberUse::PeriodStart))
                    .col(integer(OfferMemberUse::Uses))
                    .primary_key(
                        Index::create()
                            .col(OfferMemberUse::OfferId)
                            .col(OfferMemberUse::MemberId)
                            .col(OfferMemberUse::PeriodStart),
                    )
                    .foreign_key(&mut tenant_fk(
                        OfferMemberUse::Table,
                        OfferMemberUse::TenantId,
                        OfferMemberUse::OfferId,
                        Offer::Table,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OfferProgress::Table)
                    .col(uuid(OfferProgress::TenantId))
                    .col(uuid(OfferProgress::OfferId))
                    .col(uuid(OfferProgress::MemberId))
                    .col(timestamp_with_time_zone(OfferProgress::PeriodStart))
                    .col(integer(OfferProgress::Proofs))
                    .col(integer(OfferProgress::Premiums))
                    .primary_key(
                        Index::create()
                            .col(OfferProgress::OfferId)
                            .col(OfferProgress::MemberId)
                            .col(OfferProgress::PeriodStart),
                    )
                    .foreign_key(&mut tenant_fk(
                        OfferProgress::Table,
                        OfferProgress::TenantId,
                        OfferProgress::OfferId,
                        Offer::Table,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OfferVersion::Table)
                    .col(uuid(OfferVersion::TenantId).primary_key())
                    .col(big_integer(OfferVersion::Version))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OfferVersion::Table, OfferVersion::TenantId)
                            .to(Alias::new("brand"), Alias::new("id")),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OfferClaim::Table)
                    .col(uuid(OfferClaim::Id).primary_key())
                    .col(uuid(OfferClaim::TenantId))
                    .col(uuid(OfferClaim::OfferId))
                    .col(uuid(OfferClaim::MemberId))
                    .col(uuid_null(OfferClaim::PurchaseId))
                    .col(string_len(OfferClaim::ReceiptKey, 100))
                    .col(string_len_null(OfferClaim::ReceiptReference, 100))
                    .col(timestamp_with_time_zone(OfferClaim::ReceiptDate))
                    .col(big_integer(OfferClaim::ReceiptAmountMinor))
                    .col(big_integer(OfferClaim::AmountMinor))
                    .col(string_len(OfferClaim::Status, 16))
                    .col(text_null(OfferClaim::Reason))
                    .col(string_len_null(OfferClaim::PayoutReference, 100))
                    .col(timestamp_with_time_zone_null(OfferClaim::PaidOn))
                    .col(timestamp_with_time_zone_null(OfferClaim::DecidedAt))
                    .col(timestamp_with_time_zone(OfferClaim::CreatedAt))
                    .foreign_key(&mut tenant_fk(
                        OfferClaim::Table,
                        OfferClaim::TenantId,
                        OfferClaim::OfferId,
                        Offer::Table,
                    ))
                    .foreign_key(&mut tenant_fk(
                        OfferClaim::Table,
                        OfferClaim::TenantId,
                        OfferClaim::MemberId,
                        Alias::new("member"),
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, cols, unique) in [
            (
                "ux_offer_claim_receipt",
                &["tenant_id", "offer_id", "receipt_key"][..],
                true,
            ),
            (
                "ix_offer_claim_member",
                &["tenant_id", "member_id"][..],
                false,
            ),
            (
                "ix_offer_claim_status",
                &["tenant_id", "offer_id", "status"][..],
                false,
            ),
        ] {
            manager
                .create_index(index(name, OfferClaim::Table, cols, unique))
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Purchase::Table)
                    .add_column(big_integer(Purchase::OfferDiscountMinor).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(PurchaseLine::Table)
                    .add_column(big_integer(PurchaseLine::OfferDiscountMinor).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(PurchaseLine::Table)
                    .add_column(uuid_null(PurchaseLine::OfferId))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Brand::Table)
                    .add_column(integer_null(Brand::OfferCapPercent))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OfferVersion::Table.into_iden(),
            OfferClaim::Table.into_iden(),
            OfferProgress::Table.into_iden(),
            OfferMemberUse::Table.into_iden(),
            OfferRedemption::Table.into_iden(),
            Offer::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Brand::Table)
                    .drop_column(Brand::OfferCapPercent)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(PurchaseLine::Table)
                    .drop_column(PurchaseLine::OfferId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(PurchaseLine::Table)
                    .drop_column(PurchaseLine::OfferDiscountMinor)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Purchase::Table)
                    .drop_column(Purchase::OfferDiscountMinor)
                    .to_owned(),
            )
            .await
    }
}
