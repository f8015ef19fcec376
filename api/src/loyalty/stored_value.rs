//! Stored value (loyalty + payment card): a prepaid money balance, topped up, spent at the
//! checkout and refunded, kept apart from loyalty value. In the ledger the brand's float account
//! holds what members paid in; spending moves value to the brand's revenue account.

use crate::core::money::Money;
use chrono::{DateTime, Utc};
use entity::{ledger_account::AccountKind, ledger_transaction::TransactionKind, program};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::{
    core::{
        error::AppError,
        idempotency::Idempotency,
        ledger,
        ledger::{Header, Posting},
        tenancy::{Scoped, TenantScope},
        types::text,
    },
    loyalty::{
        programs,
        programs::{Rules, StoredValueRules},
    },
};

async fn stored_value_program<C: ConnectionTrait>(
    tx: &Scoped<C>,
    program_id: Uuid,
    at: DateTime<Utc>,
) -> Result<(program::Model, StoredValueRules), AppError> {
    let program = tx.get::<program::Entity>(program_id).await?;
    match programs::rules_at(tx, program.id, at).await? {
        Some((Rules::StoredValue(rules), _)) => Ok((program, rules)),
        _ => Err(AppError::validation(
            "input.programId",
            "must be a stored-value program with rules in force",
        )),
    }
}

/// The brand's stored-value program in force at `at`, if it has one.
pub async fn brand_program<C: ConnectionTrait>(
    tx: &Scoped<C>,
    at: DateTime<Utc>,
) -> Result<Option<program::Model>, AppError> {
    Ok(programs::active_at(tx, at)
        .await?
        .into_iter()
        .find(|p| matches!(p.rules, Rules::StoredValue(_)))
        .map(|p| p.program))
}

/// A member's stored value in one program, in minor units.
pub async fn balance<C: ConnectionTrait>(
    tx: &Scoped<C>,
    member: Uuid,
    program: Uuid,
) -> Result<i64, AppError> {
    Ok(ledger::existing_account(
        tx,
        AccountKind::MemberStoredValue,
        Some(member),
        Some(program),
    )
    .await?
    .map_or(0, |a| a.balance))
}

/// What a top-up or refund asks for.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Movement {
    pub member_id: Uuid,
    pub program_id: Uuid,
    pub amount_minor: i64,
    /// The payment (top-up) or refund reference at the till or the PSP.
    pub reference: Option<String>,
}

/// Adds money paid by the member. Refused above the program's maximum balance.
pub async fn top_up(
    scope: &TenantScope,
    m: Movement,
    idempotency_key: Option<&str>,
) -> Result<i64, AppError> {
    move_value(scope, m, idempotency_key, true).await
}

/// Gives money back to the member from their balance.
pub async fn refund(
    scope: &TenantScope,
    m: Movement,
    idempotency_key: Option<&str>,
) -> Result<i64, AppError> {
    move_value(scope, m, idempotency_key, false).await
}

async fn move_value(
    scope: &TenantScope,
    m: Movement,
    idempotency_key: Option<&str>,
    top_up: bool,
) -> Result<i64, AppError> {
    let operation = if top_up {
        "topUpStoredValue"
    } else {
        "refundStoredValue"
    };
    let idem = Idempotency::optional(
        scope.tenant_id().to_string(),
        operation,
        idempotency_key,
        &m,
    )?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.replay(scope.conn().db()).await?
    {
        return previous["balance"]
            .as_i64()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("malformed record")));
    }
    if m.amount_minor <= 0 || m.amount_minor > crate::loyalty::checkout::MAX_AMOUNT_MINOR {
        return Err(AppError::validation(
            "input.amountMinor",
            "must be between 1 and 1000000000000",
        ));
    }
    let reference = m
        .reference
        .as_deref()
        .map(|r| text("input.reference", r, 100))
        .transpose()?;
    let now = scope.now();
    let tx = scope.begin().await?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.claim(tx.db()).await?
    {
        return previous["balance"]
            .as_i64()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("malformed record")));
    }
    let member = tx.get::<entity::member::Entity>(m.member_id).await?;
    let (program, rules) = stored_value_program(&tx, m.program_id, now).await?;
    let currency = tx.brand().await?.currency;
    let account = ledger::account(
        &tx,
        AccountKind::MemberStoredValue,
        Some(member.id),
        Some(program.id),
        &currency,
    )
    .await?;
    let float = ledger::account(
        &tx,
        AccountKind::StoredValueFloat,
        None,
        Some(program.id),
        &currency,
    )
    .await?;
    ledger::lock(&tx, account.id).await?;
    let before = balance(&tx, member.id, program.id).await?;
    if top_up {
        if m.amount_minor < rules.min_top_up_minor {
            return Err(AppError::validation(
                "input.amountMinor",
                format!("the smallest top-up is {}", rules.min_top_up_minor),
            ));
        }
        if before + m.amount_minor > rules.max_balance_minor {
            return Err(AppError::validation(
                "input.amountMinor",
                format!(
                    "the balance may not exceed {} (it is {before})",
                    rules.max_balance_minor
                ),
            ));
        }
    }
    let (delta, kind, what) = if top_up {
        (m.amount_minor, TransactionKind::TopUp, "top-up")
    } else {
        (-m.amount_minor, TransactionKind::Refund, "refund")
    };
    ledger::post(
        &tx,
        Header {
            kind,
            reason: match &reference {
                Some(r) => format!("stored value {what} (ref. {r})"),
                None => format!("stored value {what}"),
            },
            cause_type: crate::core::ledger::CauseType::StoredValue,
            cause_id: Some(program.id),
            member_id: Some(member.id),
            occurred_at: now,
        },
        vec![Posting::new(&account, delta), Posting::new(&float, -delta)],
    )
    .await
    .map_err(short_balance)?;
    let after = before + delta;
    if let Some(idem) = &idem {
        idem.record(tx.db(), serde_json::json!({ "balance": after }))
            .await?;
    }
    tx.commit().await?;
    Ok(after)
}

/// Pays part of a purchase from the member's stored value (inside the purchase's transaction).
pub async fn spend<C: ConnectionTrait>(
    tx: &Scoped<C>,
    member: Uuid,
    amount: Money,
    purchase: Uuid,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    let (amount_minor, currency) = (amount.minor(), amount.currency().code());
    let program = brand_program(tx, at).await?.ok_or_else(|| {
        AppError::validation(
            "input.storedValueMinor",
            "this brand has no stored-value program",
        )
    })?;
    let account = ledger::account(
        tx,
        AccountKind::MemberStoredValue,
        Some(member),
        Some(program.id),
        currency,
    )
    .await?;
    let spent = ledger::account(
        tx,
        AccountKind::StoredValueSpent,
        None,
        Some(program.id),
        currency,
    )
    .await?;
    ledger::post(
        tx,
        Header {
            kind: TransactionKind::Spend,
            reason: "paid with stored value".to_owned(),
            cause_type: crate::core::ledger::CauseType::Purchase,
            cause_id: Some(purchase),
            member_id: Some(member),
            occurred_at: at,
        },
        vec![
            Posting::new(&account, -amount_minor),
            Posting::new(&spent, amount_minor),
        ],
    )
    .await
    .map_err(short_balance)?;
    Ok(())
}

/// A member's stored value per program: (program, balance in minor units).
pub async fn balances(
    scope: &TenantScope,
    member: Uuid,
) -> Result<Vec<(program::Model, i64)>, AppError> {
    let conn = scope.conn();
    let accounts = conn
        .find::<entity::ledger_account::Entity>()
        .filter(entity::ledger_account::Column::MemberId.eq(member))
        .filter(entity::ledger_account::Column::Kind.eq(AccountKind::MemberStoredValue))
        .order_by_asc(entity::ledger_account::Column::Id)
        .all(conn.db())
        .await?;
    let mut out = Vec::new();
    for account in accounts {
        if let Some(program) = account.program_id {
            out.push((conn.get::<program::Entity>(program).await?, account.balance));
        }
    }
    Ok(out)
}

/// Names the balance in the ledger's generic "does not cover" refusal.
fn short_balance(e: AppError) -> AppError {
    match e {
        AppError::InsufficientBalance(_) => {
            AppError::InsufficientBalance("the stored-value balance does not cover this")
        }
        e => e,
    }
}
