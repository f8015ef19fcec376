//! The posting engine every book shares (a brand's books and a coalition's): a leg moves one
//! account's cached balance within its bounds, a transaction's legs sum to zero per unit. Each
//! book keeps its own tables (`ledger_*` for brands, `coalition_*` for coalitions) and calls
//! [`check_balanced`] and [`bounded_move`] to post, so both obey the same rules.
//! Invariant: a leg that would cross its account's floor or ceiling moves nothing, and the
//! caller then drops the whole database transaction.

use std::collections::BTreeMap;

use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter, UpdateMany,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use crate::core::error::AppError;

/// The largest amount one leg may carry. Balances are 64-bit: this keeps any realistic number
/// of legs far from overflowing them (SQLite would silently turn an overflowing integer into a
/// float; PostgreSQL would refuse it).
pub const MAX_POSTING: i64 = 10_000_000_000_000;

/// An account of some book: its id, its unit, and the bounds its kind imposes.
pub trait LedgerAccount {
    fn account_id(&self) -> Uuid;
    fn unit(&self) -> &str;
    /// Members' balances: never below zero.
    fn never_negative(&self) -> bool {
        false
    }
    /// Debts: never above zero.
    fn never_positive(&self) -> bool {
        false
    }
}

/// The table of a book's accounts: which columns hold the id and the cached balance.
pub trait AccountTable: EntityTrait {
    fn id_column() -> Self::Column;
    fn balance_column() -> Self::Column;
}

/// One line to post, with the bounds the account's new balance must respect.
#[derive(Debug, Clone)]
pub struct Leg {
    pub account: Uuid,
    pub unit: String,
    pub amount: i64,
    /// The balance may not end below this.
    pub floor: Option<i64>,
    /// The balance may not end above this.
    pub ceiling: Option<i64>,
    /// The lot the leg moves (brand points only).
    pub lot: Option<Uuid>,
}

impl Leg {
    /// A leg on `account`, bounded as its kind requires: an account that is never negative
    /// may not be taken below zero, one never positive not raised above it.
    pub fn new(account: &impl LedgerAccount, amount: i64) -> Self {
        Self {
            account: account.account_id(),
            unit: account.unit().to_owned(),
            amount,
            floor: (account.never_negative() && amount < 0).then_some(0),
            ceiling: (account.never_positive() && amount > 0).then_some(0),
            lot: None,
        }
    }

    /// Also bounded below by `floor` (a prepaid block may go down to minus its reserve). It
    /// only ever tightens: a bound the account's kind sets is kept.
    pub fn floor(mut self, floor: i64) -> Self {
        self.floor = Some(self.floor.map_or(floor, |f| Ord::max(f, floor)));
        self
    }

    /// Also bounded above by `ceiling`; it only ever tightens.
    pub fn ceiling(mut self, ceiling: i64) -> Self {
        self.ceiling = Some(self.ceiling.map_or(ceiling, |c| Ord::min(c, ceiling)));
        self
    }

    /// Moves `lot`'s remainder by the same amount.
    pub fn on_lot(mut self, lot: Uuid) -> Self {
        self.lot = Some(lot);
        self
    }
}

/// Checks that legs balance: per unit, the amounts sum to zero; no zero amounts, none beyond
/// [`MAX_POSTING`], at least one leg.
pub fn check_balanced(legs: &[Leg]) -> Result<(), AppError> {
    let mut sums: BTreeMap<&str, i128> = BTreeMap::new();
    for leg in legs {
        if leg.amount == 0 {
            return Err(AppError::Internal(anyhow::anyhow!("zero-amount posting")));
        }
        if leg.amount.unsigned_abs() > MAX_POSTING.unsigned_abs() {
            return Err(AppError::validation(
                "amount",
                format!("is beyond what one movement may carry ({MAX_POSTING})"),
            ));
        }
        *sums.entry(leg.unit.as_str()).or_default() += i128::from(leg.amount);
    }
    match sums.iter().find(|(_, sum)| **sum != 0) {
        Some((unit, sum)) => Err(AppError::Internal(anyhow::anyhow!(
            "unbalanced transaction: {unit} sums to {sum}"
        ))),
        None if legs.is_empty() => Err(AppError::Internal(anyhow::anyhow!("empty transaction"))),
        None => Ok(()),
    }
}

/// The conditional update that moves one leg: `balance += amount` on the leg's account, only
/// if the new balance stays within its bounds. Executing it must affect exactly one row;
/// anything else means a bound was crossed.
pub fn bounded_move<E: AccountTable>(update: UpdateMany<E>, leg: &Leg) -> UpdateMany<E> {
    let balance = || Expr::col(E::balance_column());
    let mut update = update
        .col_expr(E::balance_column(), balance().add(leg.amount))
        .filter(E::id_column().eq(leg.account));
    if let Some(floor) = leg.floor {
        update = update.filter(balance().add(leg.amount).gte(floor));
    }
    if let Some(ceiling) = leg.ceiling {
        update = update.filter(balance().add(leg.amount).lte(ceiling));
    }
    update
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leg(unit: &str, amount: i64) -> Leg {
        Leg {
            account: Uuid::nil(),
            unit: unit.to_owned(),
            amount,
            floor: None,
            ceiling: None,
            lot: None,
        }
    }

    #[test]
    fn only_transactions_summing_to_zero_per_unit_pass() {
        assert!(check_balanced(&[leg("POINTS", 10), leg("POINTS", -10)]).is_ok());
        assert!(check_balanced(&[leg("POINTS", 10), leg("POINTS", -9)]).is_err());
        // Zero overall but not per unit.
        assert!(check_balanced(&[leg("POINTS", 10), leg("EUR", -10)]).is_err());
        assert!(check_balanced(&[leg("POINTS", 0)]).is_err());
        assert!(check_balanced(&[]).is_err());
        let huge = MAX_POSTING + 1;
        assert!(check_balanced(&[leg("EUR", huge), leg("EUR", -huge)]).is_err());
    }

    struct Member;
    impl LedgerAccount for Member {
        fn account_id(&self) -> Uuid {
            Uuid::nil()
        }
        fn unit(&self) -> &str {
            "POINTS"
        }
        fn never_negative(&self) -> bool {
            true
        }
    }

    #[test]
    fn a_member_account_is_floored_at_zero_only_when_taken_from() {
        assert_eq!(Leg::new(&Member, -5).floor, Some(0));
        assert_eq!(Leg::new(&Member, 5).floor, None);
        assert_eq!(Leg::new(&Member, -5).ceiling, None);
        // An explicit bound never loosens the kind's.
        assert_eq!(Leg::new(&Member, -5).floor(-100).floor, Some(0));
        assert_eq!(Leg::new(&Member, -5).floor(10).floor, Some(10));
    }
}
