//! Contests and lotteries: the contest (with its seed commitment, frozen entry-list hash and
//! revealed seed), its rules texts by version, prizes, entries, per-member entry counters (moved
//! by conditional updates), instant-win moments and winners.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Contest {
    Table,
    Id,
    TenantId,
    Name,
    Description,
    Kind,
    OpensAt,
    ClosesAt,
    FreeEntry,
    PurchaseMinimumMinor,
    PointsPerEntry,
    ProgramId,
    MaxEntriesPerMember,
    TierNames,
    Questions,
    TiebreakQuestion,
    TiebreakAnswer,
    ClaimDays,
    Unclaimed,
    RulesVersion,
    SeedHash,
    Seed,
    ListHash,
    EntryCount,
    FrozenAt,
    DrawnAt,
    CancelledAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ContestRules {
    Table,
    Id,
    TenantId,
    ContestId,
    Version,
    Text,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ContestPrize {
    Table,
    Id,
    TenantId,
    ContestId,
    Rank,
    Name,
    Quantity,
    Kind,
    Points,
    VoucherAmountMinor,
    VoucherValidDays,
}

#[derive(DeriveIden)]
enum ContestEntry {
    Table,
    Id,
    TenantId,
    ContestId,
    MemberId,
    Source,
    SourceRef,
    Participant,
    Answers,
    Estimate,
    Correct,
    RulesVersion,
    CreatedAt,
    WithdrawnAt,
}

#[derive(DeriveIden)]
enum ContestParticipant {
    Table,
    TenantId,
    ContestId,
    MemberId,
    Entries,
}

#[derive(DeriveIden)]
enum ContestMoment {
    Table,
    Id,
    TenantId,
    ContestId,
    PrizeId,
    At,
    EntryId,
    WonAt,
}

#[derive(DeriveIden)]
enum ContestWinner {
    Table,
    Id,
    TenantId,
    ContestId,
    PrizeId,
    EntryId,
    MemberId,
    Position,
    Status,
    ClaimUntil,
    ClaimedAt,
    VoucherId,
    CreatedAt,
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
                    .table(Contest::Table)
                    .col(uuid(Contest::Id).primary_key())
                    .col(uuid(Contest::TenantId))
                    .col(string_len(Contest::Name, 120))
                    .col(text_null(Contest::Description))
                    .col(string_len(Contest::Kind, 16))
                    .col(timestamp_with_time_zone(Contest::OpensAt))
                    .col(timestamp_with_time_zone(Contest::ClosesAt))
                    .col(boolean(Contest::FreeEntry))
                    .col(big_integer_null(Contest::PurchaseMinimumMinor))
                    .col(big_integer_null(Contest::PointsPerEntry))
                    .col(uuid_null(Contest::ProgramId))
                    .col(integer(Contest::MaxEntriesPerMember))
                    .col(text_null(Contest::TierNames))
                    .col(text_null(Contest::Questions))
                    .col(text_null(Contest::TiebreakQuestion))
                    .col(big_integer_null(Contest::TiebreakAnswer))
                    .col(integer(Contest::ClaimDays))
                    .col(string_len(Contest::Unclaimed, 16))
                    .col(integer(Contest::RulesVersion))
                    .col(string_len(Contest::SeedHash, 64))
                    .col(string_len(Contest::Seed, 64))
                    .col(string_len_null(Contest::ListHash, 64))
                    .col(integer_null(Contest::EntryCount))
                    .col(timestamp_with_time_zone_null(Contest::FrozenAt))
                    .col(timestamp_with_time_zone_null(Contest::DrawnAt))
                    .col(timestamp_with_time_zone_null(Contest::CancelledAt))
                    .col(timestamp_with_time_zone(Contest::CreatedAt))
                    .col(timestamp_with_time_zone(Contest::UpdatedAt))
                    .foreign_key(&mut brand_fk(Contest::Table, Contest::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_contest_closes",
                Contest::Table,
                &["tenant_id", "closes_at"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ContestRules::Table)
                    .col(uuid(ContestRules::Id).primary_key())
                    .col(uuid(ContestRules::TenantId))
                    .col(uuid(ContestRules::ContestId))
                    .col(integer(ContestRules::Version))
                    .col(text(ContestRules::Text))
                    .col(timestamp_with_time_zone(ContestRules::CreatedAt))
                    .foreign_key(&mut brand_fk(ContestRules::Table, ContestRules::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_contest_rules_version",
                ContestRules::Table,
                &["contest_id", "version"],
                true,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ContestPrize::Table)
                    .col(uuid(ContestPrize::Id).primary_key())
                    .col(uuid(ContestPrize::TenantId))
                    .col(uuid(ContestPrize::ContestId))
                    .col(integer(ContestPrize::Rank))
                    .col(string_len(ContestPrize::Name, 120))
                    .col(integer(ContestPrize::Quantity))
                    .col(string_len(ContestPrize::Kind, 16))
                    .col(big_integer(ContestPrize::Points))
                    .col(big_integer(ContestPrize::VoucherAmountMinor))
                    .col(integer(ContestPrize::VoucherValidDays))
                    .foreign_key(&mut brand_fk(ContestPrize::Table, ContestPrize::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_contest_prize_rank",
                ContestPrize::Table,
                &["contest_id", "rank"],
                true,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ContestEntry::Table)
                    .col(uuid(ContestEntry::Id).primary_key())
                    .col(uuid(ContestEntry::TenantId))
                    .col(uuid(ContestEntry::ContestId))
                    .col(uuid(ContestEntry::MemberId))
                    .col(string_len(ContestEntry::Source, 16))
                    .col(string_len_null(ContestEntry::SourceRef, 80))
                    .col(string_len(ContestEntry::Participant, 16))
                    .col(text_null(ContestEntry::Answers))
                    .col(big_integer_null(ContestEntry::Estimate))
                    .col(boolean(ContestEntry::Correct))
                    .col(integer(ContestEntry::RulesVersion))
                    .col(timestamp_with_time_zone(ContestEntry::CreatedAt))
                    .col(timestamp_with_time_zone_null(ContestEntry::WithdrawnAt))
                    .foreign_key(&mut brand_fk(ContestEntry::Table, ContestEntry::TenantId))
                    .to_owned(),
            )
            .await?;
        for (name, cols, unique) in [
            (
                "ux_contest_entry_source",
                &["contest_id", "source_ref"][..],
                true,
            ),
            (
                "ix_contest_entry_member",
                &["tenant_id", "member_id"][..],
                false,
            ),
            ("ix_contest_entry_contest", &["contest_id", "id"][..], false),
        ] {
            manager
                .create_index(index(name, ContestEntry::Table, cols, unique))
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(ContestParticipant::Table)
                    .col(uuid(ContestParticipant::TenantId))
                    .col(uuid(ContestParticipant::ContestId))
                    .col(uuid(ContestParticipant::MemberId))
                    .col(integer(ContestParticipant::Entries))
                    .primary_key(
                        Index::create()
                            .col(ContestParticipant::ContestId)
                            .col(ContestParticipant::MemberId),
                    )
                    .foreign_key(&mut brand_fk(
                        ContestParticipant::Table,
                        ContestParticipant::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ContestMoment::Table)
                    .col(uuid(ContestMoment::Id).primary_key())
                    .col(uuid(ContestMoment::TenantId))
                    .col(uuid(ContestMoment::ContestId))
                    .col(uuid(ContestMoment::PrizeId))
                    .col(timestamp_with_time_zone(ContestMoment::At))
                    .col(uuid_null(ContestMoment::EntryId))
                    .col(timestamp_with_time_zone_null(ContestMoment::WonAt))
                    .foreign_key(&mut brand_fk(ContestMoment::Table, ContestMoment::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_contest_moment_at",
                ContestMoment::Table,
                &["contest_id", "at"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ContestWinner::Table)
                    .col(uuid(ContestWinner::Id).primary_key())
                    .col(uuid(ContestWinner::TenantId))
                    .col(uuid(ContestWinner::ContestId))
                    .col(uuid(ContestWinner::PrizeId))
                    .col(uuid(ContestWinner::EntryId))
                    .col(uuid(ContestWinner::MemberId))
                    .col(integer(ContestWinner::Position))
                    .col(string_len(ContestWinner::Status, 16))
                    .col(timestamp_with_time_zone(ContestWinner::ClaimUntil))
                    .col(timestamp_with_time_zone_null(ContestWinner::ClaimedAt))
                    .col(uuid_null(ContestWinner::VoucherId))
                    .col(timestamp_with_time_zone(ContestWinner::CreatedAt))
                    .foreign_key(&mut brand_fk(ContestWinner::Table, ContestWinner::TenantId))
                    .to_owned(),
            )
            .await?;
        for (name, cols, unique) in [
            (
                "ux_contest_winner_entry",
                &["contest_id", "entry_id"][..],
                true,
            ),
            (
                "ix_contest_winner_member",
                &["tenant_id", "member_id"][..],
                false,
            ),
        ] {
            manager
                .create_index(index(name, ContestWinner::Table, cols, unique))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ContestWinner::Table.into_iden(),
            ContestMoment::Table.into_iden(),
            ContestParticipant::Table.into_iden(),
            ContestEntry::Table.into_iden(),
            ContestPrize::Table.into_iden(),
            ContestRules::Table.into_iden(),
            Contest::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
