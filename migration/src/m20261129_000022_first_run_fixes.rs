//! First-run fixes: members' own e-mail proofs (claiming an account enrolled at the till,
//! resetting a member password), member sessions that can be ended at once (password change,
//! erasure), a campaign's reason for being held, and the requeue of brand mails that failed only
//! because the platform's default sender did not parse.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{index, tenant_fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Member {
    Table,
    SessionsValidAfter,
}

#[derive(DeriveIden)]
enum Campaign {
    Table,
    StatusReason,
}

#[derive(DeriveIden)]
enum MemberToken {
    Table,
    Id,
    TenantId,
    MemberId,
    Purpose,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Member::Table)
                    .add_column(timestamp_with_time_zone_null(Member::SessionsValidAfter))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Campaign::Table)
                    .add_column(string_len_null(Campaign::StatusReason, 500))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MemberToken::Table)
                    .col(uuid(MemberToken::Id).primary_key())
                    .col(uuid(MemberToken::TenantId))
                    .col(uuid(MemberToken::MemberId))
                    .col(string_len(MemberToken::Purpose, 24))
                    .col(string_len_uniq(MemberToken::TokenHash, 64))
                    .col(timestamp_with_time_zone(MemberToken::CreatedAt))
                    .col(timestamp_with_time_zone(MemberToken::ExpiresAt))
                    .col(timestamp_with_time_zone_null(MemberToken::UsedAt))
                    .foreign_key(&mut tenant_fk(
                        MemberToken::Table,
                        MemberToken::TenantId,
                        MemberToken::MemberId,
                        Alias::new("member"),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_member_token_member",
                MemberToken::Table,
                &["tenant_id", "member_id"],
                false,
            ))
            .await?;
        // Brand mails refused only because the platform sender ("Name <address>") was not
        // parsed: queued again, so that they go out now that it is.
        let db = manager.get_connection();
        db.execute_unprepared(
            "UPDATE transactional_mail SET status = 'QUEUED', attempts = 0, reason = NULL \
             WHERE status = 'FAILED' AND reason LIKE '%the sender address%'",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MemberToken::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Campaign::Table)
                    .drop_column(Campaign::StatusReason)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Member::Table)
                    .drop_column(Member::SessionsValidAfter)
                    .to_owned(),
            )
            .await
    }
}
