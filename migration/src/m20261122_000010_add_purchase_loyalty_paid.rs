use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Purchase {
    Table,
    LoyaltyPaidMinor,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Purchase::Table)
                    .add_column(big_integer(Purchase::LoyaltyPaidMinor).default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Purchase::Table)
                    .drop_column(Purchase::LoyaltyPaidMinor)
                    .to_owned(),
            )
            .await
    }
}
