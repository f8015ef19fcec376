//! Instant wins by odds: a contest may give each entry a chance of one in N (instead of
//! winning moments), with its prizes as the stock; entries carry their ticket number (their
//! place in the order entries were taken) and winners say whether they were drawn at the close
//! to give out the stock left (`top_up`).

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Contest {
    Table,
    OddsOneIn,
}

#[derive(DeriveIden)]
enum ContestEntry {
    Table,
    Ticket,
}

#[derive(DeriveIden)]
enum ContestWinner {
    Table,
    TopUp,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Contest::Table)
                    .add_column(integer_null(Contest::OddsOneIn))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ContestEntry::Table)
                    .add_column(integer_null(ContestEntry::Ticket))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ContestWinner::Table)
                    .add_column(boolean(ContestWinner::TopUp).default(false))
                    .to_owned(),
            )
            .await?;
        // Two entries never share a ticket (entries without one, NULL, are not compared).
        manager
            .create_index(index(
                "ux_contest_entry_ticket",
                ContestEntry::Table,
                &["contest_id", "ticket"],
                true,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ux_contest_entry_ticket")
                    .table(ContestEntry::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ContestWinner::Table)
                    .drop_column(ContestWinner::TopUp)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ContestEntry::Table)
                    .drop_column(ContestEntry::Ticket)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Contest::Table)
                    .drop_column(Contest::OddsOneIn)
                    .to_owned(),
            )
            .await
    }
}
