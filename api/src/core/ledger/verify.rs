//! `fidelis ledger verify`: the ledger's invariants recounted from the entries alone, over every
//! book. Invariant it proves: every transaction sums to zero per unit, every cached balance and
//! lot remainder equals the sum of its entries, no member account is below zero.
#![expect(
    clippy::disallowed_methods,
    reason = "an audit reads every brand's and every coalition's books by design"
)]

use sea_orm::ConnectionTrait;

use crate::core::error::AppError;

/// What `fidelis ledger verify` checks, each a count of offending rows (all zero when sound).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerReport {
    pub transactions: i64,
    pub entries: i64,
    /// Transactions whose entries do not sum to zero in some unit.
    pub unbalanced_transactions: i64,
    /// Transactions without entries.
    pub empty_transactions: i64,
    /// Accounts whose cached balance differs from the sum of their entries.
    pub balance_mismatches: i64,
    /// Lots whose remainder differs from their entries or leaves 0..=amount.
    pub lot_mismatches: i64,
    /// Member accounts below zero, or member debts above zero.
    pub negative_member_accounts: i64,
    /// Entries whose unit differs from their account's.
    pub unit_mismatches: i64,
    /// Coalition ledgers: transactions and entries.
    pub coalition_transactions: i64,
    pub coalition_entries: i64,
    /// Coalition transactions whose entries do not sum to zero per unit, or without entries.
    pub coalition_unbalanced_transactions: i64,
    /// Coalition accounts whose cached balance differs from their entries.
    pub coalition_balance_mismatches: i64,
    /// Coalition cards below zero, or point debts above zero.
    pub coalition_negative_member_accounts: i64,
    /// Figures of closed statements that differ from the ledger entries of their period (or
    /// from the period's settlement transaction).
    pub coalition_statement_mismatches: i64,
    /// Closed periods whose positions (brands + operator) do not sum to zero.
    pub coalition_periods_not_zero_sum: i64,
}

impl LedgerReport {
    pub fn is_sound(&self) -> bool {
        self.unbalanced_transactions == 0
            && self.empty_transactions == 0
            && self.balance_mismatches == 0
            && self.lot_mismatches == 0
            && self.negative_member_accounts == 0
            && self.unit_mismatches == 0
            && self.coalition_unbalanced_transactions == 0
            && self.coalition_balance_mismatches == 0
            && self.coalition_negative_member_accounts == 0
            && self.coalition_statement_mismatches == 0
            && self.coalition_periods_not_zero_sum == 0
    }
}

/// Proves the ledger's invariants over every book (brands' and coalitions'), from the entries
/// alone. The two closed-period figures are left at zero for the coalition context to fill.
pub async fn books<C: ConnectionTrait>(conn: &C) -> Result<LedgerReport, AppError> {
    let count = |sql: &'static str| async move {
        let row = conn
            .query_one_raw(sea_orm::Statement::from_string(
                conn.get_database_backend(),
                sql,
            ))
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no row for {sql}")))?;
        row.try_get::<i64>("", "n").map_err(AppError::from)
    };
    let report = LedgerReport {
        transactions: count("SELECT COUNT(*) AS n FROM ledger_transaction").await?,
        entries: count("SELECT COUNT(*) AS n FROM ledger_entry").await?,
        unbalanced_transactions: count(
            "SELECT COUNT(*) AS n FROM (SELECT transaction_id, unit FROM ledger_entry \
             GROUP BY transaction_id, unit HAVING SUM(amount) <> 0) t",
        )
        .await?,
        empty_transactions: count(
            "SELECT COUNT(*) AS n FROM ledger_transaction t \
             WHERE NOT EXISTS (SELECT 1 FROM ledger_entry e WHERE e.transaction_id = t.id)",
        )
        .await?,
        balance_mismatches: count(
            "SELECT COUNT(*) AS n FROM ledger_account a \
             WHERE a.balance <> COALESCE((SELECT SUM(e.amount) FROM ledger_entry e WHERE e.account_id = a.id), 0)",
        )
        .await?,
        lot_mismatches: count(
            "SELECT COUNT(*) AS n FROM point_lot l \
             WHERE l.remaining <> COALESCE((SELECT SUM(e.amount) FROM ledger_entry e WHERE e.lot_id = l.id), 0) \
             OR l.remaining < 0 OR l.remaining > l.amount",
        )
        .await?,
        negative_member_accounts: count(
            "SELECT COUNT(*) AS n FROM ledger_account WHERE balance < 0 AND kind IN \
             ('MEMBER_POINTS', 'MEMBER_CASHBACK', 'MEMBER_STAMPS', 'MEMBER_STORED_VALUE', \
             'MEMBER_MEMBERSHIP_FEES', 'MEMBER_MEMBERSHIP_SAVINGS') \
             OR balance > 0 AND kind IN ('MEMBER_POINTS_DEBT', 'MEMBER_CASHBACK_DEBT', 'MEMBER_STAMPS_DEBT')",
        )
        .await?,
        unit_mismatches: count(
            "SELECT COUNT(*) AS n FROM ledger_entry e JOIN ledger_account a ON a.id = e.account_id WHERE a.unit <> e.unit",
        )
        .await?,
        coalition_transactions: count("SELECT COUNT(*) AS n FROM coalition_txn").await?,
        coalition_entries: count("SELECT COUNT(*) AS n FROM coalition_entry").await?,
        coalition_unbalanced_transactions: count(
            "SELECT COUNT(*) AS n FROM coalition_txn t WHERE NOT EXISTS \
             (SELECT 1 FROM coalition_entry e WHERE e.txn_id = t.id) \
             OR EXISTS (SELECT 1 FROM coalition_entry e WHERE e.txn_id = t.id \
             GROUP BY e.unit HAVING SUM(e.amount) <> 0)",
        )
        .await?,
        coalition_balance_mismatches: count(
            "SELECT COUNT(*) AS n FROM coalition_account a WHERE a.balance <> \
             COALESCE((SELECT SUM(e.amount) FROM coalition_entry e WHERE e.account_id = a.id), 0) \
             OR EXISTS (SELECT 1 FROM coalition_entry e WHERE e.account_id = a.id AND e.unit <> a.unit)",
        )
        .await?,
        coalition_negative_member_accounts: count(
            "SELECT COUNT(*) AS n FROM coalition_account WHERE balance < 0 AND kind = 'MEMBER_POINTS' \
             OR balance > 0 AND kind = 'MEMBER_DEBT'",
        )
        .await?,
        coalition_statement_mismatches: 0,
        coalition_periods_not_zero_sum: 0,
    };
    // Closed coalition periods are checked against their statements by the coalition
    // context (`server::ledger_audit` adds those figures).
    Ok(report)
}
