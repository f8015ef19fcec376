//! Stored value: `topUpStoredValue`, `refundStoredValue` (spending is part of `recordPurchase`).

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use crate::{
    core::{
        auth::Permission,
        graphql::{ContextExt, guards::PermissionGuard},
    },
    loyalty::stored_value::Movement,
};

#[derive(InputObject)]
pub struct StoredValueInput {
    pub member_id: ID,
    pub program_id: ID,
    /// In minor units of the brand's currency.
    pub amount_minor: i64,
    /// The payment or refund reference at the till or the payment provider.
    pub reference: Option<String>,
    /// Makes the call safe to retry: a replay returns the first balance and moves nothing.
    pub idempotency_key: Option<String>,
}

/// A member's prepaid balance in one program.
#[derive(SimpleObject, Clone)]
pub struct StoredValueBalance {
    pub program_id: ID,
    pub balance_minor: i64,
}

fn movement(input: &StoredValueInput) -> Result<Movement, crate::core::error::AppError> {
    Ok(Movement {
        member_id: crate::core::types::id("input.memberId", &input.member_id)?,
        program_id: crate::core::types::id("input.programId", &input.program_id)?,
        amount_minor: input.amount_minor,
        reference: input.reference.clone(),
    })
}

#[derive(Default)]
pub struct StoredValueMutation;

#[Object]
impl StoredValueMutation {
    /// Adds money the member paid to their prepaid balance, up to the program's maximum.
    #[graphql(guard = "PermissionGuard(Permission::RecordPurchases)")]
    async fn top_up_stored_value(
        &self,
        ctx: &Context<'_>,
        input: StoredValueInput,
    ) -> Result<StoredValueBalance> {
        let balance = crate::loyalty::stored_value::top_up(
            ctx.scope()?,
            movement(&input)?,
            input.idempotency_key.as_deref(),
        )
        .await?;
        Ok(StoredValueBalance {
            program_id: input.program_id,
            balance_minor: balance,
        })
    }

    /// Gives money back from the member's prepaid balance (never below zero).
    #[graphql(guard = "PermissionGuard(Permission::RecordPurchases)")]
    async fn refund_stored_value(
        &self,
        ctx: &Context<'_>,
        input: StoredValueInput,
    ) -> Result<StoredValueBalance> {
        let balance = crate::loyalty::stored_value::refund(
            ctx.scope()?,
            movement(&input)?,
            input.idempotency_key.as_deref(),
        )
        .await?;
        Ok(StoredValueBalance {
            program_id: input.program_id,
            balance_minor: balance,
        })
    }
}
