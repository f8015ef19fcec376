//! Transactional mail (welcome, voucher issued, reward ready, points expiring, membership
//! renewal, birthday): one row per message, unique per brand and subject (a lot, a voucher, a
//! membership period...), so each is sent once; and the brand's switches and notice period.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MailSettings {
    Table,
    TransactionalDisabled,
    NoticeDays,
}

#[derive(DeriveIden)]
enum TransactionalMail {
    Table,
    Id,
    TenantId,
    Purpose,
    MemberId,
    SubjectKey,
    Status,
    Reason,
    Attempts,
    NextAttemptAt,
    SentAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(MailSettings::Table)
                    .add_column(string_len(MailSettings::TransactionalDisabled, 300).default(""))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(MailSettings::Table)
                    .add_column(integer(MailSettings::NoticeDays).default(14))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TransactionalMail::Table)
                    .col(uuid(TransactionalMail::Id).primary_key())
                    .col(uuid(TransactionalMail::TenantId))
                    .col(string_len(TransactionalMail::Purpose, 32))
                    .col(uuid(TransactionalMail::MemberId))
                    .col(string_len(TransactionalMail::SubjectKey, 200))
                    .col(string_len(TransactionalMail::Status, 16))
                    .col(string_len_null(TransactionalMail::Reason, 300))
                    .col(integer(TransactionalMail::Attempts))
                    .col(timestamp_with_time_zone(TransactionalMail::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(TransactionalMail::SentAt))
                    .col(timestamp_with_time_zone(TransactionalMail::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(TransactionalMail::Table, TransactionalMail::TenantId)
                            .to(Alias::new("brand"), Alias::new("id")),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_transactional_mail_key",
                TransactionalMail::Table,
                &["tenant_id", "subject_key"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_transactional_mail_due",
                TransactionalMail::Table,
                &["status", "next_attempt_at"],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TransactionalMail::Table).to_owned())
            .await?;
        for column in [
            MailSettings::NoticeDays,
            MailSettings::TransactionalDisabled,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(MailSettings::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
