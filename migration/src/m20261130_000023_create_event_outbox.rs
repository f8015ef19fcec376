//! The event outbox: writes that other parts care about append an event in their own
//! transaction; consumers read events with a cursor each. And the platform's outgoing mail,
//! queued in the transaction that asks for it, so a stop between commit and send loses none.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Event {
    Table,
    Id,
    TenantId,
    Kind,
    Version,
    SubjectId,
    MemberId,
    Payload,
    CreatedAt,
}

#[derive(DeriveIden)]
enum EventCursor {
    Table,
    Consumer,
    Position,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OutboxMail {
    Table,
    Id,
    BrandId,
    Recipient,
    Subject,
    Text,
    Html,
    Status,
    Attempts,
    NextAttemptAt,
    Reason,
    CreatedAt,
    SentAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Event::Table)
                    .col(uuid(Event::Id).primary_key())
                    .col(uuid(Event::TenantId))
                    .col(string_len(Event::Kind, 64))
                    .col(integer(Event::Version))
                    .col(uuid_null(Event::SubjectId))
                    .col(uuid_null(Event::MemberId))
                    .col(json_binary(Event::Payload))
                    .col(timestamp_with_time_zone(Event::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Event::Table, Event::TenantId)
                            .to(Alias::new("brand"), Alias::new("id")),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_event_created",
                Event::Table,
                &["created_at", "id"],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_event_tenant",
                Event::Table,
                &["tenant_id", "id"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EventCursor::Table)
                    .col(string_len(EventCursor::Consumer, 64).primary_key())
                    .col(timestamp_with_time_zone(EventCursor::Position))
                    .col(timestamp_with_time_zone(EventCursor::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OutboxMail::Table)
                    .col(uuid(OutboxMail::Id).primary_key())
                    .col(uuid_null(OutboxMail::BrandId))
                    .col(string_len(OutboxMail::Recipient, 254))
                    .col(string_len(OutboxMail::Subject, 300))
                    .col(text(OutboxMail::Text))
                    .col(text(OutboxMail::Html))
                    .col(string_len(OutboxMail::Status, 16))
                    .col(integer(OutboxMail::Attempts))
                    .col(timestamp_with_time_zone(OutboxMail::NextAttemptAt))
                    .col(string_len_null(OutboxMail::Reason, 300))
                    .col(timestamp_with_time_zone(OutboxMail::CreatedAt))
                    .col(timestamp_with_time_zone_null(OutboxMail::SentAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_outbox_mail_due",
                OutboxMail::Table,
                &["status", "next_attempt_at"],
                false,
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OutboxMail::Table.into_iden(),
            EventCursor::Table.into_iden(),
            Event::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
