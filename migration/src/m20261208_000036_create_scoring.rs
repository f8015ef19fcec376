//! Customer knowledge: each brand's scoring settings, each member's current RFM/FRAT scores and
//! segment, the segment moves (append-only history) and the scoring runs.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ScoringSettings {
    Table,
    TenantId,
    WindowDays,
    Thresholds,
    Rules,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MemberScore {
    Table,
    MemberId,
    TenantId,
    RecencyDays,
    Frequency,
    AmountMinor,
    Categories,
    R,
    F,
    M,
    T,
    Segment,
    PreviousSegment,
    SegmentSince,
    ScoredOn,
}

#[derive(DeriveIden)]
enum SegmentMove {
    Table,
    Id,
    TenantId,
    MemberId,
    Day,
    FromSegment,
    ToSegment,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ScoreRun {
    Table,
    Id,
    TenantId,
    Day,
    Members,
    Moves,
    CreatedAt,
}

fn brand_key<T: IntoIden + 'static>(table: T, column: T) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(crate::Brand::Table, crate::Brand::Id)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ScoringSettings::Table)
                    .col(uuid(ScoringSettings::TenantId).primary_key())
                    .col(integer(ScoringSettings::WindowDays))
                    .col(text(ScoringSettings::Thresholds))
                    .col(text_null(ScoringSettings::Rules))
                    .col(timestamp_with_time_zone(ScoringSettings::UpdatedAt))
                    .foreign_key(&mut brand_key(
                        ScoringSettings::Table,
                        ScoringSettings::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MemberScore::Table)
                    .col(uuid(MemberScore::MemberId).primary_key())
                    .col(uuid(MemberScore::TenantId))
                    .col(integer_null(MemberScore::RecencyDays))
                    .col(integer(MemberScore::Frequency))
                    .col(big_integer(MemberScore::AmountMinor))
                    .col(integer(MemberScore::Categories))
                    .col(small_integer(MemberScore::R))
                    .col(small_integer(MemberScore::F))
                    .col(small_integer(MemberScore::M))
                    .col(small_integer(MemberScore::T))
                    .col(string_len(MemberScore::Segment, 32))
                    .col(string_len_null(MemberScore::PreviousSegment, 32))
                    .col(date(MemberScore::SegmentSince))
                    .col(date(MemberScore::ScoredOn))
                    .foreign_key(
                        ForeignKey::create()
                            .from(MemberScore::Table, MemberScore::MemberId)
                            .to(Alias::new("member"), Alias::new("id")),
                    )
                    .foreign_key(&mut brand_key(MemberScore::Table, MemberScore::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_member_score_segment",
                MemberScore::Table,
                &["tenant_id", "segment"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SegmentMove::Table)
                    .col(uuid(SegmentMove::Id).primary_key())
                    .col(uuid(SegmentMove::TenantId))
                    .col(uuid(SegmentMove::MemberId))
                    .col(date(SegmentMove::Day))
                    .col(string_len_null(SegmentMove::FromSegment, 32))
                    .col(string_len(SegmentMove::ToSegment, 32))
                    .col(timestamp_with_time_zone(SegmentMove::CreatedAt))
                    .foreign_key(&mut brand_key(SegmentMove::Table, SegmentMove::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_segment_move_day",
                SegmentMove::Table,
                &["tenant_id", "day"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ScoreRun::Table)
                    .col(uuid(ScoreRun::Id).primary_key())
                    .col(uuid(ScoreRun::TenantId))
                    .col(date(ScoreRun::Day))
                    .col(integer(ScoreRun::Members))
                    .col(integer(ScoreRun::Moves))
                    .col(timestamp_with_time_zone(ScoreRun::CreatedAt))
                    .foreign_key(&mut brand_key(ScoreRun::Table, ScoreRun::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_score_run_day",
                ScoreRun::Table,
                &["tenant_id", "day"],
                true,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "score_run",
            "segment_move",
            "member_score",
            "scoring_settings",
        ] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
