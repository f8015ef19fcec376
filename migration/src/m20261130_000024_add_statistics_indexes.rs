//! Indexes for the dashboard's figures over a period: a brand's purchases, enrolments and
//! ledger transactions by date (the figures read a date range of one brand, never a scan of
//! every brand's rows).

use sea_orm_migration::prelude::*;

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: &[(&str, &str, &[&str])] = &[
    (
        "ix_purchase_tenant_time",
        "purchase",
        &["tenant_id", "occurred_at"],
    ),
    (
        "ix_member_tenant_created",
        "member",
        &["tenant_id", "created_at"],
    ),
    (
        "ix_ledger_transaction_tenant_time",
        "ledger_transaction",
        &["tenant_id", "occurred_at"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, cols) in INDEXES {
            manager
                .create_index(index(name, Alias::new(*table), cols, false))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in INDEXES {
            manager
                .drop_index(
                    Index::drop()
                        .name(*name)
                        .table(Alias::new(*table))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
