//! Objectives: a brand's targets on its KPIs.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Objective {
    Table,
    Id,
    TenantId,
    Name,
    Kpi,
    Baseline,
    Target,
    StartsOn,
    EndsOn,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Objective::Table)
                    .col(uuid(Objective::Id).primary_key())
                    .col(uuid(Objective::TenantId))
                    .col(string_len(Objective::Name, 120))
                    .col(string_len(Objective::Kpi, 64))
                    .col(big_integer_null(Objective::Baseline))
                    .col(big_integer(Objective::Target))
                    .col(date(Objective::StartsOn))
                    .col(date(Objective::EndsOn))
                    .col(timestamp_with_time_zone(Objective::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Objective::Table, Objective::TenantId)
                            .to(crate::Brand::Table, crate::Brand::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_objective_tenant",
                Objective::Table,
                &["tenant_id", "ends_on"],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Objective::Table).to_owned())
            .await
    }
}
