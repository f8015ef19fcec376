//! Premiums in points: what a premium offer's redemption credited, so that a return takes back
//! exactly that.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OfferRedemption {
    Table,
    PremiumPoints,
    PremiumProgramId,
    PremiumLotId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(OfferRedemption::Table)
                    .add_column(big_integer(OfferRedemption::PremiumPoints).default(0))
                    .to_owned(),
            )
            .await?;
        // The program they went to (the offer's rules may name another one later).
        manager
            .alter_table(
                Table::alter()
                    .table(OfferRedemption::Table)
                    .add_column(uuid_null(OfferRedemption::PremiumProgramId))
                    .to_owned(),
            )
            .await?;
        // And their lot (what expired of it is not taken back again).
        manager
            .alter_table(
                Table::alter()
                    .table(OfferRedemption::Table)
                    .add_column(uuid_null(OfferRedemption::PremiumLotId))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(OfferRedemption::Table)
                    .drop_column(OfferRedemption::PremiumLotId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(OfferRedemption::Table)
                    .drop_column(OfferRedemption::PremiumProgramId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(OfferRedemption::Table)
                    .drop_column(OfferRedemption::PremiumPoints)
                    .to_owned(),
            )
            .await
    }
}
