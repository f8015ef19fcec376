use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{index, tenant_fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Gesture {
    Table,
    Id,
    TenantId,
    MemberId,
    GrantedBy,
    Kind,
    Points,
    VoucherId,
    Description,
    Reason,
    CreatedAt,
}

#[derive(DeriveIden)]
enum GesturePolicy {
    Table,
    TenantId,
    MaxPointsPerGesture,
    MaxPointsPerStaffPerDay,
    MaxGesturesPerStaffPerDay,
    MaxGesturesPerMember,
    MemberPeriodDays,
    MaxVoucherMinor,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Gesture::Table)
                    .col(uuid(Gesture::Id).primary_key())
                    .col(uuid(Gesture::TenantId))
                    .col(uuid(Gesture::MemberId))
                    .col(uuid(Gesture::GrantedBy))
                    .col(string_len(Gesture::Kind, 24))
                    .col(big_integer(Gesture::Points))
                    .col(uuid_null(Gesture::VoucherId))
                    .col(string_len_null(Gesture::Description, 500))
                    .col(string_len(Gesture::Reason, 500))
                    .col(timestamp_with_time_zone(Gesture::CreatedAt))
                    .foreign_key(&mut tenant_fk(
                        Gesture::Table,
                        Gesture::TenantId,
                        Gesture::MemberId,
                        Alias::new("member"),
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Gesture::Table, Gesture::GrantedBy)
                            .to(Alias::new("user_account"), Alias::new("id")),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_gesture_staff",
                Gesture::Table,
                &["tenant_id", "granted_by", "created_at"],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_gesture_member",
                Gesture::Table,
                &["tenant_id", "member_id", "created_at"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(GesturePolicy::Table)
                    .col(uuid(GesturePolicy::TenantId).primary_key())
                    .col(big_integer(GesturePolicy::MaxPointsPerGesture))
                    .col(big_integer(GesturePolicy::MaxPointsPerStaffPerDay))
                    .col(integer(GesturePolicy::MaxGesturesPerStaffPerDay))
                    .col(integer(GesturePolicy::MaxGesturesPerMember))
                    .col(integer(GesturePolicy::MemberPeriodDays))
                    .col(big_integer(GesturePolicy::MaxVoucherMinor))
                    .col(timestamp_with_time_zone(GesturePolicy::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(GesturePolicy::Table, GesturePolicy::TenantId)
                            .to(Alias::new("brand"), Alias::new("id")),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(GesturePolicy::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Gesture::Table).to_owned())
            .await
    }
}
