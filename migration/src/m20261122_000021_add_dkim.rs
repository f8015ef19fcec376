//! A brand's DKIM key: marketing and transactional mail from the brand is signed with it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MailSettings {
    Table,
    DkimSelector,
    DkimDomain,
    DkimAlgorithm,
    DkimPrivateKey,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            string_len_null(MailSettings::DkimSelector, 63),
            string_len_null(MailSettings::DkimDomain, 253),
            string_len_null(MailSettings::DkimAlgorithm, 16),
            text_null(MailSettings::DkimPrivateKey),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(MailSettings::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            MailSettings::DkimPrivateKey,
            MailSettings::DkimAlgorithm,
            MailSettings::DkimDomain,
            MailSettings::DkimSelector,
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
