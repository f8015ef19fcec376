//! Premium gifts (what a premium handed over, so a return of its proofs knows what is owed),
//! households (members of a brand who live together: refund offers limited per household), and
//! the offers' household limit.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OfferRedemption {
    Table,
    PremiumGiftSku,
    PremiumGiftMinor,
    PremiumReclaimedAt,
}

#[derive(DeriveIden)]
enum VoucherUse {
    Table,
    OwedMinor,
}

#[derive(DeriveIden)]
enum Member {
    Table,
    TenantId,
    HouseholdId,
}

#[derive(DeriveIden)]
enum Offer {
    Table,
    MaxPerHousehold,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite: one column per ALTER.
        manager
            .alter_table(
                Table::alter()
                    .table(OfferRedemption::Table)
                    .add_column(string_len_null(OfferRedemption::PremiumGiftSku, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(OfferRedemption::Table)
                    .add_column(big_integer(OfferRedemption::PremiumGiftMinor).default(0))
                    .to_owned(),
            )
            .await?;
        // A premium taken back by a return (once).
        manager
            .alter_table(
                Table::alter()
                    .table(OfferRedemption::Table)
                    .add_column(timestamp_with_time_zone_null(
                        OfferRedemption::PremiumReclaimedAt,
                    ))
                    .to_owned(),
            )
            .await?;
        // The part of a voucher's use recorded as owed when the purchase that earned the
        // voucher was returned (given back if the purchase that used it comes back too).
        manager
            .alter_table(
                Table::alter()
                    .table(VoucherUse::Table)
                    .add_column(big_integer(VoucherUse::OwedMinor).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Member::Table)
                    .add_column(uuid_null(Member::HouseholdId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_member_household")
                    .table(Member::Table)
                    .col(Member::TenantId)
                    .col(Member::HouseholdId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Offer::Table)
                    .add_column(integer_null(Offer::MaxPerHousehold))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Offer::Table)
                    .drop_column(Offer::MaxPerHousehold)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_member_household")
                    .table(Member::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Member::Table)
                    .drop_column(Member::HouseholdId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(VoucherUse::Table)
                    .drop_column(VoucherUse::OwedMinor)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(OfferRedemption::Table)
                    .drop_column(OfferRedemption::PremiumReclaimedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(OfferRedemption::Table)
                    .drop_column(OfferRedemption::PremiumGiftMinor)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(OfferRedemption::Table)
                    .drop_column(OfferRedemption::PremiumGiftSku)
                    .to_owned(),
            )
            .await
    }
}
