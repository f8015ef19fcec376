//! Marketing campaigns and their recipients. A recipient row per member and campaign (unique):
//! the delivery worker claims rows one by one with a conditional update, so that a member
//! receives a campaign at most once, whatever crashes or concurrent workers.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Campaign {
    Table,
    Id,
    TenantId,
    Name,
    TemplateId,
    Filter,
    Status,
    ScheduledAt,
    StartedAt,
    FinishedAt,
    AudienceSize,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CampaignRecipient {
    Table,
    Id,
    TenantId,
    CampaignId,
    MemberId,
    Email,
    Status,
    Reason,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    SentAt,
    UnsubscribedAt,
    OpenedAt,
    ClickedAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Campaign::Table)
                    .col(uuid(Campaign::Id).primary_key())
                    .col(uuid(Campaign::TenantId))
                    .col(string_len(Campaign::Name, 200))
                    .col(uuid(Campaign::TemplateId))
                    .col(json(Campaign::Filter))
                    .col(string_len(Campaign::Status, 16))
                    .col(timestamp_with_time_zone_null(Campaign::ScheduledAt))
                    .col(timestamp_with_time_zone_null(Campaign::StartedAt))
                    .col(timestamp_with_time_zone_null(Campaign::FinishedAt))
                    .col(big_integer(Campaign::AudienceSize))
                    .col(uuid_null(Campaign::CreatedBy))
                    .col(timestamp_with_time_zone(Campaign::CreatedAt))
                    .col(timestamp_with_time_zone(Campaign::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Campaign::Table, Campaign::TemplateId)
                            .to(Alias::new("email_template"), Alias::new("id")),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Campaign::Table, Campaign::TenantId)
                            .to(Alias::new("brand"), Alias::new("id")),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_campaign_status",
                Campaign::Table,
                &["status", "scheduled_at"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CampaignRecipient::Table)
                    .col(uuid(CampaignRecipient::Id).primary_key())
                    .col(uuid(CampaignRecipient::TenantId))
                    .col(uuid(CampaignRecipient::CampaignId))
                    .col(uuid(CampaignRecipient::MemberId))
                    .col(string_len(CampaignRecipient::Email, 254))
                    .col(string_len(CampaignRecipient::Status, 16))
                    .col(string_len_null(CampaignRecipient::Reason, 200))
                    .col(integer(CampaignRecipient::Attempts))
                    .col(timestamp_with_time_zone(CampaignRecipient::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(CampaignRecipient::LeaseUntil))
                    .col(timestamp_with_time_zone_null(CampaignRecipient::SentAt))
                    .col(timestamp_with_time_zone_null(
                        CampaignRecipient::UnsubscribedAt,
                    ))
                    .col(timestamp_with_time_zone_null(CampaignRecipient::OpenedAt))
                    .col(timestamp_with_time_zone_null(CampaignRecipient::ClickedAt))
                    .col(timestamp_with_time_zone(CampaignRecipient::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CampaignRecipient::Table, CampaignRecipient::CampaignId)
                            .to(Campaign::Table, Campaign::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_campaign_recipient",
                CampaignRecipient::Table,
                &["campaign_id", "member_id"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_campaign_recipient_due",
                CampaignRecipient::Table,
                &["campaign_id", "status", "next_attempt_at"],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_campaign_recipient_member",
                CampaignRecipient::Table,
                &["tenant_id", "member_id", "sent_at"],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["campaign_recipient", "campaign"] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
