//! Clubs run by a coalition's operator across its brands: the club itself, and on each brand's
//! `club` row the coalition club it stands for (one row per brand and coalition club).

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CoalitionClub {
    Table,
    Id,
    CoalitionId,
    Name,
    Description,
    Questions,
    ArchivedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Club {
    Table,
    CoalitionClubId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CoalitionClub::Table)
                    .col(uuid(CoalitionClub::Id).primary_key())
                    .col(uuid(CoalitionClub::CoalitionId))
                    .col(string_len(CoalitionClub::Name, 120))
                    .col(text_null(CoalitionClub::Description))
                    .col(text_null(CoalitionClub::Questions))
                    .col(timestamp_with_time_zone_null(CoalitionClub::ArchivedAt))
                    .col(timestamp_with_time_zone(CoalitionClub::CreatedAt))
                    .col(timestamp_with_time_zone(CoalitionClub::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CoalitionClub::Table, CoalitionClub::CoalitionId)
                            .to(Alias::new("coalition"), Alias::new("id")),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_coalition_club_coalition",
                CoalitionClub::Table,
                &["coalition_id"],
                false,
            ))
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Club::Table)
                    .add_column(uuid_null(Club::CoalitionClubId))
                    .to_owned(),
            )
            .await?;
        // One place per brand in a coalition club (NULLs, the brand's own clubs, not compared).
        manager
            .create_index(index(
                "ux_club_coalition_club",
                Club::Table,
                &["tenant_id", "coalition_club_id"],
                true,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ux_club_coalition_club")
                    .table(Club::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Club::Table)
                    .drop_column(Club::CoalitionClubId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(CoalitionClub::Table).to_owned())
            .await
    }
}
