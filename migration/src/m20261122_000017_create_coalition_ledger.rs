//! The coalition ledger: coalition accounts (one per consumer, one card usable at every member
//! brand), a double-entry ledger of shared points and settlement money kept per coalition, with
//! the brand that caused each movement, and the settlement periods with their statements.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Coalition {
    Table,
    Id,
    PointsValidityMonths,
}

#[derive(DeriveIden)]
enum CoalitionBrand {
    Table,
    ReservePoints,
}

#[derive(DeriveIden)]
enum CoalitionMember {
    Table,
    Id,
    CoalitionId,
    CardNumber,
    HomeBrandId,
    MemberId,
    CreatedAt,
    LastActivityAt,
}

#[derive(DeriveIden)]
enum CoalitionConsent {
    Table,
    CoalitionMemberId,
    BrandId,
    GrantedAt,
}

#[derive(DeriveIden)]
enum CoalitionAccount {
    Table,
    Id,
    CoalitionId,
    Code,
    Kind,
    BrandId,
    CoalitionMemberId,
    Unit,
    Balance,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CoalitionTxn {
    Table,
    Id,
    CoalitionId,
    Kind,
    BrandId,
    CoalitionMemberId,
    Reference,
    AmountMinor,
    ReturnedMinor,
    CauseId,
    PeriodStart,
    Late,
    OccurredAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CoalitionEntry {
    Table,
    Id,
    TxnId,
    AccountId,
    Unit,
    Amount,
}

#[derive(DeriveIden)]
enum CoalitionPeriod {
    Table,
    Id,
    CoalitionId,
    PeriodStart,
    PeriodEnd,
    ClosedAt,
    ClosedBy,
    SettlementTxnId,
    OperatorNetMinor,
    BreakagePoints,
    LateEvents,
}

#[derive(DeriveIden)]
enum CoalitionStatement {
    Table,
    Id,
    PeriodId,
    CoalitionId,
    BrandId,
    IssuedPoints,
    ReversedPoints,
    RedeemedPoints,
    PrepaidPoints,
    IssuedValueMinor,
    RedeemedValueMinor,
    PrepaidValueMinor,
    FeesMinor,
    NetMinor,
    LateEvents,
    PaidAt,
    PaymentReference,
    PaymentTxnId,
}

fn to_coalition(
    from: impl IntoIden + 'static,
    col: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from_tbl(from)
        .from_col(col)
        .to_tbl(Coalition::Table)
        .to_col(Coalition::Id)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Coalition::Table)
                    .add_column(big_integer(Coalition::PointsValidityMonths).default(24))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(CoalitionBrand::Table)
                    .add_column(big_integer(CoalitionBrand::ReservePoints).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CoalitionMember::Table)
                    .col(uuid(CoalitionMember::Id).primary_key())
                    .col(uuid(CoalitionMember::CoalitionId))
                    .col(string_len(CoalitionMember::CardNumber, 32))
                    .col(uuid(CoalitionMember::HomeBrandId))
                    .col(uuid(CoalitionMember::MemberId))
                    .col(timestamp_with_time_zone(CoalitionMember::CreatedAt))
                    .col(timestamp_with_time_zone(CoalitionMember::LastActivityAt))
                    .foreign_key(&mut to_coalition(
                        CoalitionMember::Table,
                        CoalitionMember::CoalitionId,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CoalitionMember::Table, CoalitionMember::MemberId)
                            .to(Alias::new("member"), Alias::new("id")),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_coalition_member_card",
                CoalitionMember::Table,
                &["card_number"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "ux_coalition_member_member",
                CoalitionMember::Table,
                &["coalition_id", "member_id"],
                true,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CoalitionConsent::Table)
                    .col(uuid(CoalitionConsent::CoalitionMemberId))
                    .col(uuid(CoalitionConsent::BrandId))
                    .col(timestamp_with_time_zone(CoalitionConsent::GrantedAt))
                    .primary_key(
                        Index::create()
                            .col(CoalitionConsent::CoalitionMemberId)
                            .col(CoalitionConsent::BrandId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CoalitionConsent::Table, CoalitionConsent::CoalitionMemberId)
                            .to(CoalitionMember::Table, CoalitionMember::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CoalitionAccount::Table)
                    .col(uuid(CoalitionAccount::Id).primary_key())
                    .col(uuid(CoalitionAccount::CoalitionId))
                    .col(string_len(CoalitionAccount::Code, 200))
                    .col(string_len(CoalitionAccount::Kind, 32))
                    .col(uuid_null(CoalitionAccount::BrandId))
                    .col(uuid_null(CoalitionAccount::CoalitionMemberId))
                    .col(string_len(CoalitionAccount::Unit, 16))
                    .col(big_integer(CoalitionAccount::Balance))
                    .col(timestamp_with_time_zone(CoalitionAccount::CreatedAt))
                    .foreign_key(&mut to_coalition(
                        CoalitionAccount::Table,
                        CoalitionAccount::CoalitionId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_coalition_account_code",
                CoalitionAccount::Table,
                &["coalition_id", "code"],
                true,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CoalitionTxn::Table)
                    .col(uuid(CoalitionTxn::Id).primary_key())
                    .col(uuid(CoalitionTxn::CoalitionId))
                    .col(string_len(CoalitionTxn::Kind, 16))
                    .col(uuid_null(CoalitionTxn::BrandId))
                    .col(uuid_null(CoalitionTxn::CoalitionMemberId))
                    .col(string_len_null(CoalitionTxn::Reference, 200))
                    .col(big_integer_null(CoalitionTxn::AmountMinor))
                    .col(big_integer(CoalitionTxn::ReturnedMinor).default(0))
                    .col(uuid_null(CoalitionTxn::CauseId))
                    .col(timestamp_with_time_zone(CoalitionTxn::PeriodStart))
                    .col(boolean(CoalitionTxn::Late))
                    .col(timestamp_with_time_zone(CoalitionTxn::OccurredAt))
                    .col(timestamp_with_time_zone(CoalitionTxn::CreatedAt))
                    .foreign_key(&mut to_coalition(
                        CoalitionTxn::Table,
                        CoalitionTxn::CoalitionId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_coalition_txn_period",
                CoalitionTxn::Table,
                &["coalition_id", "period_start"],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_coalition_txn_member",
                CoalitionTxn::Table,
                &["coalition_member_id"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CoalitionEntry::Table)
                    .col(uuid(CoalitionEntry::Id).primary_key())
                    .col(uuid(CoalitionEntry::TxnId))
                    .col(uuid(CoalitionEntry::AccountId))
                    .col(string_len(CoalitionEntry::Unit, 16))
                    .col(big_integer(CoalitionEntry::Amount))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CoalitionEntry::Table, CoalitionEntry::TxnId)
                            .to(CoalitionTxn::Table, CoalitionTxn::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CoalitionEntry::Table, CoalitionEntry::AccountId)
                            .to(CoalitionAccount::Table, CoalitionAccount::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_coalition_entry_txn",
                CoalitionEntry::Table,
                &["txn_id"],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_coalition_entry_account",
                CoalitionEntry::Table,
                &["account_id"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CoalitionPeriod::Table)
                    .col(uuid(CoalitionPeriod::Id).primary_key())
                    .col(uuid(CoalitionPeriod::CoalitionId))
                    .col(timestamp_with_time_zone(CoalitionPeriod::PeriodStart))
                    .col(timestamp_with_time_zone(CoalitionPeriod::PeriodEnd))
                    .col(timestamp_with_time_zone(CoalitionPeriod::ClosedAt))
                    .col(uuid(CoalitionPeriod::ClosedBy))
                    .col(uuid_null(CoalitionPeriod::SettlementTxnId))
                    .col(big_integer(CoalitionPeriod::OperatorNetMinor))
                    .col(big_integer(CoalitionPeriod::BreakagePoints))
                    .col(big_integer(CoalitionPeriod::LateEvents))
                    .foreign_key(&mut to_coalition(
                        CoalitionPeriod::Table,
                        CoalitionPeriod::CoalitionId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_coalition_period",
                CoalitionPeriod::Table,
                &["coalition_id", "period_start"],
                true,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CoalitionStatement::Table)
                    .col(uuid(CoalitionStatement::Id).primary_key())
                    .col(uuid(CoalitionStatement::PeriodId))
                    .col(uuid(CoalitionStatement::CoalitionId))
                    .col(uuid(CoalitionStatement::BrandId))
                    .col(big_integer(CoalitionStatement::IssuedPoints))
                    .col(big_integer(CoalitionStatement::ReversedPoints))
                    .col(big_integer(CoalitionStatement::RedeemedPoints))
                    .col(big_integer(CoalitionStatement::PrepaidPoints))
                    .col(big_integer(CoalitionStatement::IssuedValueMinor))
                    .col(big_integer(CoalitionStatement::RedeemedValueMinor))
                    .col(big_integer(CoalitionStatement::PrepaidValueMinor))
                    .col(big_integer(CoalitionStatement::FeesMinor))
                    .col(big_integer(CoalitionStatement::NetMinor))
                    .col(big_integer(CoalitionStatement::LateEvents))
                    .col(timestamp_with_time_zone_null(CoalitionStatement::PaidAt))
                    .col(string_len_null(CoalitionStatement::PaymentReference, 200))
                    .col(uuid_null(CoalitionStatement::PaymentTxnId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CoalitionStatement::Table, CoalitionStatement::PeriodId)
                            .to(CoalitionPeriod::Table, CoalitionPeriod::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_coalition_statement",
                CoalitionStatement::Table,
                &["period_id", "brand_id"],
                true,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "coalition_statement",
            "coalition_period",
            "coalition_entry",
            "coalition_txn",
            "coalition_account",
            "coalition_consent",
            "coalition_member",
        ] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(CoalitionBrand::Table)
                    .drop_column(CoalitionBrand::ReservePoints)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Coalition::Table)
                    .drop_column(Coalition::PointsValidityMonths)
                    .to_owned(),
            )
            .await
    }
}
