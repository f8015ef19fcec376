//! E-mail to members: each brand's sender identity and marketing settings, its templates
//! (marketing and transactional), saved audience segments and its suppression list.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{index, tenant_key};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MailSettings {
    Table,
    TenantId,
    FromName,
    FromAddress,
    ReplyTo,
    MarketingCapPerWeek,
    SendRatePerMinute,
    Tracking,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum EmailTemplate {
    Table,
    Id,
    TenantId,
    Name,
    Purpose,
    Subject,
    Html,
    Text,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Segment {
    Table,
    Id,
    TenantId,
    Name,
    Filter,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Suppression {
    Table,
    TenantId,
    Email,
    Reason,
    CreatedAt,
}

fn to_brand(from: impl IntoIden + 'static) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from_tbl(from)
        .from_col(Alias::new("tenant_id"))
        .to_tbl(Alias::new("brand"))
        .to_col(Alias::new("id"))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MailSettings::Table)
                    .col(uuid(MailSettings::TenantId).primary_key())
                    .col(string_len(MailSettings::FromName, 100))
                    .col(string_len(MailSettings::FromAddress, 254))
                    .col(string_len_null(MailSettings::ReplyTo, 254))
                    .col(integer(MailSettings::MarketingCapPerWeek))
                    .col(integer(MailSettings::SendRatePerMinute))
                    .col(boolean(MailSettings::Tracking))
                    .col(timestamp_with_time_zone(MailSettings::UpdatedAt))
                    .foreign_key(&mut to_brand(MailSettings::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EmailTemplate::Table)
                    .col(uuid(EmailTemplate::Id).primary_key())
                    .col(uuid(EmailTemplate::TenantId))
                    .col(string_len(EmailTemplate::Name, 100))
                    .col(string_len(EmailTemplate::Purpose, 32))
                    .col(string_len(EmailTemplate::Subject, 300))
                    .col(text(EmailTemplate::Html))
                    .col(text(EmailTemplate::Text))
                    .col(timestamp_with_time_zone(EmailTemplate::CreatedAt))
                    .col(timestamp_with_time_zone(EmailTemplate::UpdatedAt))
                    .foreign_key(&mut to_brand(EmailTemplate::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(tenant_key(
                "ux_email_template_tenant_id",
                EmailTemplate::Table,
            ))
            .await?;
        manager
            .create_index(index(
                "ux_email_template_name",
                EmailTemplate::Table,
                &["tenant_id", "name"],
                true,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Segment::Table)
                    .col(uuid(Segment::Id).primary_key())
                    .col(uuid(Segment::TenantId))
                    .col(string_len(Segment::Name, 100))
                    .col(json(Segment::Filter))
                    .col(timestamp_with_time_zone(Segment::CreatedAt))
                    .col(timestamp_with_time_zone(Segment::UpdatedAt))
                    .foreign_key(&mut to_brand(Segment::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_segment_name",
                Segment::Table,
                &["tenant_id", "name"],
                true,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Suppression::Table)
                    .col(uuid(Suppression::TenantId))
                    .col(string_len(Suppression::Email, 254))
                    .col(string_len(Suppression::Reason, 16))
                    .col(timestamp_with_time_zone(Suppression::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(Suppression::TenantId)
                            .col(Suppression::Email),
                    )
                    .foreign_key(&mut to_brand(Suppression::Table))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["suppression", "segment", "email_template", "mail_settings"] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
