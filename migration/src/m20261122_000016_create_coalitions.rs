//! Coalitions: several brands sharing one point currency, run by an operator. Prices are
//! integers per 1000 points in minor units of the coalition currency (1.0 cent a point = 1000).

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Coalition {
    Table,
    Id,
    Name,
    Currency,
    Timezone,
    #[sea_orm(iden = "issue_price_per_1000_minor")]
    IssuePricePer1000Minor,
    #[sea_orm(iden = "redemption_value_per_1000_minor")]
    RedemptionValuePer1000Minor,
    #[sea_orm(iden = "fee_per_1000_issued_minor")]
    FeePer1000IssuedMinor,
    FeeBasisPoints,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CoalitionOperator {
    Table,
    CoalitionId,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CoalitionBrand {
    Table,
    Id,
    CoalitionId,
    BrandId,
    Status,
    EarnPoints,
    EarnPerAmountMinor,
    Billing,
    InvitedBy,
    InvitedAt,
    RespondedAt,
    LeavesAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Coalition::Table)
                    .col(uuid(Coalition::Id).primary_key())
                    .col(string_len(Coalition::Name, 200))
                    .col(string_len(Coalition::Currency, 3))
                    .col(string_len(Coalition::Timezone, 64))
                    .col(big_integer(Coalition::IssuePricePer1000Minor))
                    .col(big_integer(Coalition::RedemptionValuePer1000Minor))
                    .col(big_integer(Coalition::FeePer1000IssuedMinor))
                    .col(big_integer(Coalition::FeeBasisPoints))
                    .col(timestamp_with_time_zone(Coalition::CreatedAt))
                    .col(timestamp_with_time_zone(Coalition::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CoalitionOperator::Table)
                    .col(uuid(CoalitionOperator::CoalitionId))
                    .col(uuid(CoalitionOperator::UserId))
                    .col(timestamp_with_time_zone(CoalitionOperator::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(CoalitionOperator::CoalitionId)
                            .col(CoalitionOperator::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CoalitionOperator::Table, CoalitionOperator::CoalitionId)
                            .to(Coalition::Table, Coalition::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CoalitionOperator::Table, CoalitionOperator::UserId)
                            .to(Alias::new("user_account"), Alias::new("id")),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CoalitionBrand::Table)
                    .col(uuid(CoalitionBrand::Id).primary_key())
                    .col(uuid(CoalitionBrand::CoalitionId))
                    .col(uuid(CoalitionBrand::BrandId))
                    .col(string_len(CoalitionBrand::Status, 16))
                    .col(big_integer(CoalitionBrand::EarnPoints))
                    .col(big_integer(CoalitionBrand::EarnPerAmountMinor))
                    .col(string_len(CoalitionBrand::Billing, 16))
                    .col(uuid(CoalitionBrand::InvitedBy))
                    .col(timestamp_with_time_zone(CoalitionBrand::InvitedAt))
                    .col(timestamp_with_time_zone_null(CoalitionBrand::RespondedAt))
                    .col(timestamp_with_time_zone_null(CoalitionBrand::LeavesAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CoalitionBrand::Table, CoalitionBrand::CoalitionId)
                            .to(Coalition::Table, Coalition::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CoalitionBrand::Table, CoalitionBrand::BrandId)
                            .to(Alias::new("brand"), Alias::new("id")),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_coalition_brand",
                CoalitionBrand::Table,
                &["coalition_id", "brand_id"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_coalition_brand_brand",
                CoalitionBrand::Table,
                &["brand_id"],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["coalition_brand", "coalition_operator", "coalition"] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
