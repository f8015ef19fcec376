//! Programs, members, cards and the double-entry ledger.
//!
//! Child rows reference `(tenant_id, parent_id)`, so the database itself refuses a link across
//! brands; parents carry a unique `(tenant_id, id)` for that purpose.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{
    Brand,
    helpers::{index, tenant_fk, tenant_key},
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Program {
    Table,
    Id,
    TenantId,
    Name,
    Mechanic,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProgramRule {
    Table,
    Id,
    TenantId,
    ProgramId,
    EffectiveFrom,
    Rules,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Member {
    Table,
    Id,
    TenantId,
    Email,
    Phone,
    FirstName,
    LastName,
    BirthDate,
    PreferredStore,
    EmailConsent,
    EmailConsentAt,
    EmailConsentSource,
    SmsConsent,
    SmsConsentAt,
    SmsConsentSource,
    Attributes,
    EnrolledVia,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Card {
    Table,
    Id,
    TenantId,
    MemberId,
    Number,
    Payload,
    Status,
    ReplacedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LedgerAccount {
    Table,
    Id,
    TenantId,
    Code,
    Kind,
    MemberId,
    ProgramId,
    Unit,
    Balance,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LedgerTransaction {
    Table,
    Id,
    TenantId,
    Kind,
    Reason,
    CauseType,
    CauseId,
    MemberId,
    OccurredAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LedgerEntry {
    Table,
    Id,
    TenantId,
    TransactionId,
    AccountId,
    Unit,
    Amount,
    LotId,
}

#[derive(DeriveIden)]
enum PointLot {
    Table,
    Id,
    TenantId,
    AccountId,
    MemberId,
    EarnedAt,
    ExpiresAt,
    Amount,
    Remaining,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Program::Table)
                    .col(uuid(Program::Id).primary_key())
                    .col(uuid(Program::TenantId))
                    .col(string_len(Program::Name, 200))
                    .col(string_len(Program::Mechanic, 24))
                    .col(string_len(Program::Status, 16))
                    .col(timestamp_with_time_zone(Program::CreatedAt))
                    .col(timestamp_with_time_zone(Program::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Program::Table, Program::TenantId)
                            .to(Brand::Table, Brand::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(tenant_key("ux_program_tenant_id", Program::Table))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ProgramRule::Table)
                    .col(uuid(ProgramRule::Id).primary_key())
                    .col(uuid(ProgramRule::TenantId))
                    .col(uuid(ProgramRule::ProgramId))
                    .col(timestamp_with_time_zone(ProgramRule::EffectiveFrom))
                    .col(json(ProgramRule::Rules))
                    .col(uuid_null(ProgramRule::CreatedBy))
                    .col(timestamp_with_time_zone(ProgramRule::CreatedAt))
                    .foreign_key(&mut tenant_fk(
                        ProgramRule::Table,
                        ProgramRule::TenantId,
                        ProgramRule::ProgramId,
                        Program::Table,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_program_rule_program",
                ProgramRule::Table,
                &["tenant_id", "program_id", "effective_from"],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Member::Table)
                    .col(uuid(Member::Id).primary_key())
                    .col(uuid(Member::TenantId))
                    .col(string_len_null(Member::Email, 254))
                    .col(string_len_null(Member::Phone, 20))
                    .col(string_len_null(Member::FirstName, 100))
                    .col(string_len_null(Member::LastName, 100))
                    .col(date_null(Member::BirthDate))
                    .col(string_len_null(Member::PreferredStore, 100))
                    .col(boolean(Member::EmailConsent))
                    .col(timestamp_with_time_zone_null(Member::EmailConsentAt))
                    .col(string_len_null(Member::EmailConsentSource, 100))
                    .col(boolean(Member::SmsConsent))
                    .col(timestamp_with_time_zone_null(Member::SmsConsentAt))
                    .col(string_len_null(Member::SmsConsentSource, 100))
                    .col(json(Member::Attributes))
                    .col(string_len(Member::EnrolledVia, 16))
                    .col(timestamp_with_time_zone(Member::CreatedAt))
                    .col(timestamp_with_time_zone(Member::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Member::Table, Member::TenantId)
                            .to(Brand::Table, Brand::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(tenant_key("ux_member_tenant_id", Member::Table))
            .await?;
        // NULLs are distinct in unique indexes on both databases: members without e-mail or phone coexist.
        manager
            .create_index(index(
                "ux_member_email",
                Member::Table,
                &["tenant_id", "email"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "ux_member_phone",
                Member::Table,
                &["tenant_id", "phone"],
                true,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Card::Table)
                    .col(uuid(Card::Id).primary_key())
                    .col(uuid(Card::TenantId))
                    .col(uuid(Card::MemberId))
                    .col(string_len(Card::Number, 32))
                    .col(string_len(Card::Payload, 200))
                    .col(string_len(Card::Status, 16))
                    .col(uuid_null(Card::ReplacedBy))
                    .col(timestamp_with_time_zone(Card::CreatedAt))
                    .col(timestamp_with_time_zone(Card::UpdatedAt))
                    .foreign_key(&mut tenant_fk(
                        Card::Table,
                        Card::TenantId,
                        Card::MemberId,
                        Member::Table,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_card_number",
                Card::Table,
                &["tenant_id", "number"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_card_member",
                Card::Table,
                &["tenant_id", "member_id"],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LedgerAccount::Table)
                    .col(uuid(LedgerAccount::Id).primary_key())
                    .col(uuid(LedgerAccount::TenantId))
                    .col(string_len(LedgerAccount::Code, 200))
                    .col(string_len(LedgerAccount::Kind, 32))
                    .col(uuid_null(LedgerAccount::MemberId))
                    .col(uuid_null(LedgerAccount::ProgramId))
                    .col(string_len(LedgerAccount::Unit, 8))
                    .col(big_integer(LedgerAccount::Balance))
                    .col(timestamp_with_time_zone(LedgerAccount::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(LedgerAccount::Table, LedgerAccount::TenantId)
                            .to(Brand::Table, Brand::Id),
                    )
                    .foreign_key(&mut tenant_fk(
                        LedgerAccount::Table,
                        LedgerAccount::TenantId,
                        LedgerAccount::MemberId,
                        Member::Table,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(tenant_key(
                "ux_ledger_account_tenant_id",
                LedgerAccount::Table,
            ))
            .await?;
        manager
            .create_index(index(
                "ux_ledger_account_code",
                LedgerAccount::Table,
                &["tenant_id", "code"],
                true,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LedgerTransaction::Table)
                    .col(uuid(LedgerTransaction::Id).primary_key())
                    .col(uuid(LedgerTransaction::TenantId))
                    .col(string_len(LedgerTransaction::Kind, 24))
                    .col(string_len(LedgerTransaction::Reason, 500))
                    .col(string_len(LedgerTransaction::CauseType, 32))
                    .col(uuid_null(LedgerTransaction::CauseId))
                    .col(uuid_null(LedgerTransaction::MemberId))
                    .col(timestamp_with_time_zone(LedgerTransaction::OccurredAt))
                    .col(timestamp_with_time_zone(LedgerTransaction::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(LedgerTransaction::Table, LedgerTransaction::TenantId)
                            .to(Brand::Table, Brand::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(tenant_key(
                "ux_ledger_transaction_tenant_id",
                LedgerTransaction::Table,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_ledger_transaction_member",
                LedgerTransaction::Table,
                &["tenant_id", "member_id", "id"],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PointLot::Table)
                    .col(uuid(PointLot::Id).primary_key())
                    .col(uuid(PointLot::TenantId))
                    .col(uuid(PointLot::AccountId))
                    .col(uuid(PointLot::MemberId))
                    .col(timestamp_with_time_zone(PointLot::EarnedAt))
                    .col(timestamp_with_time_zone(PointLot::ExpiresAt))
                    .col(big_integer(PointLot::Amount))
                    .col(big_integer(PointLot::Remaining))
                    .foreign_key(&mut tenant_fk(
                        PointLot::Table,
                        PointLot::TenantId,
                        PointLot::AccountId,
                        LedgerAccount::Table,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_point_lot_account",
                PointLot::Table,
                &["tenant_id", "account_id", "expires_at"],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_point_lot_expiry",
                PointLot::Table,
                &["expires_at"],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LedgerEntry::Table)
                    .col(uuid(LedgerEntry::Id).primary_key())
                    .col(uuid(LedgerEntry::TenantId))
                    .col(uuid(LedgerEntry::TransactionId))
                    .col(uuid(LedgerEntry::AccountId))
                    .col(string_len(LedgerEntry::Unit, 8))
                    .col(big_integer(LedgerEntry::Amount))
                    .col(uuid_null(LedgerEntry::LotId))
                    .foreign_key(&mut tenant_fk(
                        LedgerEntry::Table,
                        LedgerEntry::TenantId,
                        LedgerEntry::TransactionId,
                        LedgerTransaction::Table,
                    ))
                    .foreign_key(&mut tenant_fk(
                        LedgerEntry::Table,
                        LedgerEntry::TenantId,
                        LedgerEntry::AccountId,
                        LedgerAccount::Table,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(LedgerEntry::Table, LedgerEntry::LotId)
                            .to(PointLot::Table, PointLot::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_ledger_entry_transaction",
                LedgerEntry::Table,
                &["transaction_id"],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_ledger_entry_account",
                LedgerEntry::Table,
                &["account_id"],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_ledger_entry_lot",
                LedgerEntry::Table,
                &["lot_id"],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "ledger_entry",
            "point_lot",
            "ledger_transaction",
            "ledger_account",
            "card",
            "member",
            "program_rule",
            "program",
        ] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
