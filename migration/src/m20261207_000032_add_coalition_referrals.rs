//! Referrals across a coalition's brands, where the coalition says so: the coalition's switch,
//! and on a referral the referrer's brand (when it is another brand of the coalition), the
//! coalition, and the program the referrer's points were credited to.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Coalition {
    Table,
    CrossBrandReferrals,
}

#[derive(DeriveIden)]
enum Referral {
    Table,
    ReferrerBrandId,
    CoalitionId,
    ReferrerProgramId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Coalition::Table)
                    .add_column(boolean(Coalition::CrossBrandReferrals).default(false))
                    .to_owned(),
            )
            .await?;
        // One column per statement: SQLite alters one at a time.
        for column in [
            Referral::ReferrerBrandId,
            Referral::CoalitionId,
            Referral::ReferrerProgramId,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Referral::Table)
                        .add_column(uuid_null(column))
                        .to_owned(),
                )
                .await?;
        }
        // A referrer's referrals made at other brands are read by referrer brand; their cap, by
        // referrer over every brand.
        for (name, cols) in [
            (
                "ix_referral_referrer_brand",
                &["referrer_brand_id", "referrer_id"][..],
            ),
            (
                "ix_referral_referrer_status",
                &["referrer_id", "status", "converted_at"][..],
            ),
        ] {
            manager
                .create_index(index(name, Referral::Table, cols, false))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["ix_referral_referrer_status", "ix_referral_referrer_brand"] {
            manager
                .drop_index(Index::drop().name(name).table(Referral::Table).to_owned())
                .await?;
        }
        for column in [
            Referral::ReferrerProgramId,
            Referral::CoalitionId,
            Referral::ReferrerBrandId,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Referral::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Coalition::Table)
                    .drop_column(Coalition::CrossBrandReferrals)
                    .to_owned(),
            )
            .await
    }
}
