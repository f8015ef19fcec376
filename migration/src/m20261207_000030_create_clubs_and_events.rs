//! Consumer clubs (a brand's clubs, who is in them, their club answers) and events (date, place,
//! capacity, audience, guests with their answer, waitlist place, check-in and reward). Offers
//! and contests may be kept to a club's members.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Club {
    Table,
    Id,
    TenantId,
    Name,
    Description,
    JoinRule,
    SegmentId,
    TierNames,
    MembershipProgramId,
    Questions,
    ArchivedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ClubMember {
    Table,
    Id,
    TenantId,
    ClubId,
    MemberId,
    Status,
    Answers,
    AnswersConsentAt,
    InvitedAt,
    JoinedAt,
    LeftAt,
    Joins,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CommunityEvent {
    Table,
    Id,
    TenantId,
    Name,
    Description,
    Kind,
    StartsAt,
    EndsAt,
    Place,
    Capacity,
    SeatsTaken,
    InvitationOnly,
    ClubId,
    SegmentId,
    TierNames,
    ProgramId,
    RewardPoints,
    RewardVoucherMinor,
    VoucherValidDays,
    RemindersSentAt,
    CancelledAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum EventGuest {
    Table,
    Id,
    TenantId,
    EventId,
    MemberId,
    Status,
    InvitedAt,
    RespondedAt,
    WaitlistedAt,
    CheckedInAt,
    RewardedAt,
    RewardPoints,
    RewardVoucherId,
    RemindedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Offer {
    Table,
    ClubId,
}

#[derive(DeriveIden)]
enum Contest {
    Table,
    ClubId,
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
                    .table(Club::Table)
                    .col(uuid(Club::Id).primary_key())
                    .col(uuid(Club::TenantId))
                    .col(string_len(Club::Name, 120))
                    .col(text_null(Club::Description))
                    .col(string_len(Club::JoinRule, 16))
                    .col(uuid_null(Club::SegmentId))
                    .col(text_null(Club::TierNames))
                    .col(uuid_null(Club::MembershipProgramId))
                    .col(text_null(Club::Questions))
                    .col(timestamp_with_time_zone_null(Club::ArchivedAt))
                    .col(timestamp_with_time_zone(Club::CreatedAt))
                    .col(timestamp_with_time_zone(Club::UpdatedAt))
                    .foreign_key(&mut brand_fk(Club::Table, Club::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ClubMember::Table)
                    .col(uuid(ClubMember::Id).primary_key())
                    .col(uuid(ClubMember::TenantId))
                    .col(uuid(ClubMember::ClubId))
                    .col(uuid(ClubMember::MemberId))
                    .col(string_len(ClubMember::Status, 16))
                    .col(text_null(ClubMember::Answers))
                    .col(timestamp_with_time_zone_null(ClubMember::AnswersConsentAt))
                    .col(timestamp_with_time_zone_null(ClubMember::InvitedAt))
                    .col(timestamp_with_time_zone_null(ClubMember::JoinedAt))
                    .col(timestamp_with_time_zone_null(ClubMember::LeftAt))
                    .col(integer(ClubMember::Joins).default(0))
                    .col(timestamp_with_time_zone(ClubMember::UpdatedAt))
                    .foreign_key(&mut brand_fk(ClubMember::Table, ClubMember::TenantId))
                    .to_owned(),
            )
            .await?;
        for (name, cols, unique) in [
            (
                "ux_club_member",
                &["tenant_id", "club_id", "member_id"][..],
                true,
            ),
            (
                "ix_club_member_member",
                &["tenant_id", "member_id"][..],
                false,
            ),
        ] {
            manager
                .create_index(index(name, ClubMember::Table, cols, unique))
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(CommunityEvent::Table)
                    .col(uuid(CommunityEvent::Id).primary_key())
                    .col(uuid(CommunityEvent::TenantId))
                    .col(string_len(CommunityEvent::Name, 120))
                    .col(text_null(CommunityEvent::Description))
                    .col(string_len(CommunityEvent::Kind, 16))
                    .col(timestamp_with_time_zone(CommunityEvent::StartsAt))
                    .col(timestamp_with_time_zone(CommunityEvent::EndsAt))
                    .col(string_len(CommunityEvent::Place, 300))
                    .col(integer(CommunityEvent::Capacity))
                    .col(integer(CommunityEvent::SeatsTaken))
                    .col(boolean(CommunityEvent::InvitationOnly))
                    .col(uuid_null(CommunityEvent::ClubId))
                    .col(uuid_null(CommunityEvent::SegmentId))
                    .col(text_null(CommunityEvent::TierNames))
                    .col(uuid_null(CommunityEvent::ProgramId))
                    .col(big_integer(CommunityEvent::RewardPoints))
                    .col(big_integer(CommunityEvent::RewardVoucherMinor))
                    .col(integer(CommunityEvent::VoucherValidDays))
                    .col(timestamp_with_time_zone_null(
                        CommunityEvent::RemindersSentAt,
                    ))
                    .col(timestamp_with_time_zone_null(CommunityEvent::CancelledAt))
                    .col(timestamp_with_time_zone(CommunityEvent::CreatedAt))
                    .col(timestamp_with_time_zone(CommunityEvent::UpdatedAt))
                    .foreign_key(&mut brand_fk(
                        CommunityEvent::Table,
                        CommunityEvent::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_community_event_starts",
                CommunityEvent::Table,
                &["tenant_id", "starts_at"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EventGuest::Table)
                    .col(uuid(EventGuest::Id).primary_key())
                    .col(uuid(EventGuest::TenantId))
                    .col(uuid(EventGuest::EventId))
                    .col(uuid(EventGuest::MemberId))
                    .col(string_len(EventGuest::Status, 16))
                    .col(timestamp_with_time_zone_null(EventGuest::InvitedAt))
                    .col(timestamp_with_time_zone_null(EventGuest::RespondedAt))
                    .col(timestamp_with_time_zone_null(EventGuest::WaitlistedAt))
                    .col(timestamp_with_time_zone_null(EventGuest::CheckedInAt))
                    .col(timestamp_with_time_zone_null(EventGuest::RewardedAt))
                    .col(big_integer(EventGuest::RewardPoints).default(0))
                    .col(uuid_null(EventGuest::RewardVoucherId))
                    .col(timestamp_with_time_zone_null(EventGuest::RemindedAt))
                    .col(timestamp_with_time_zone(EventGuest::UpdatedAt))
                    .foreign_key(&mut brand_fk(EventGuest::Table, EventGuest::TenantId))
                    .to_owned(),
            )
            .await?;
        for (name, cols, unique) in [
            (
                "ux_event_guest",
                &["tenant_id", "event_id", "member_id"][..],
                true,
            ),
            (
                "ix_event_guest_status",
                &["tenant_id", "event_id", "status", "waitlisted_at"][..],
                false,
            ),
            (
                "ix_event_guest_member",
                &["tenant_id", "member_id"][..],
                false,
            ),
        ] {
            manager
                .create_index(index(name, EventGuest::Table, cols, unique))
                .await?;
        }
        // One column per statement: SQLite adds one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Offer::Table)
                    .add_column(uuid_null(Offer::ClubId))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Contest::Table)
                    .add_column(uuid_null(Contest::ClubId))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Contest::Table)
                    .drop_column(Contest::ClubId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Offer::Table)
                    .drop_column(Offer::ClubId)
                    .to_owned(),
            )
            .await?;
        for table in [
            EventGuest::Table.into_iden(),
            CommunityEvent::Table.into_iden(),
            ClubMember::Table.into_iden(),
            Club::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
