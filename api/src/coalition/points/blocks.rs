//! Prepaid blocks of coalition points a brand buys, and the expiry of points left unused.
//! Invariant: a block is never drawn below minus its reserve; expired points leave the
//! member's card once.

use super::*;
use crate::core::deps::Base;

/// The operator records a prepaid block bought by a PREPAID brand.
#[derive(Debug, Clone, Serialize)]
pub struct Block {
    pub coalition_id: Uuid,
    pub brand_id: Uuid,
    pub points: i64,
    pub reference: Option<String>,
    /// When the block was bought (late paperwork): billed in that month if it is still open,
    /// else in the next open month (flagged late). Default: now.
    pub occurred_at: Option<DateTime<Utc>>,
}

/// Adds a block of points a prepaid brand bought; it is billed at the issue price in the month
/// it was bought (`occurred_at`, default now) while that month is open, else late in the next
/// open month. Returns the brand's block balance after it.
pub async fn add_block(
    base: &Base,
    operator: Uuid,
    input: Block,
    key: Option<&str>,
) -> Result<i64, AppError> {
    let idem = Idempotency::optional(
        // "c:" + the coalition id: idempotency scopes are at most 40 characters.
        format!("c:{}", input.coalition_id),
        "addCoalitionPrepaidBlock",
        key,
        &input,
    )?;
    if !(1..=1_000_000_000).contains(&input.points) {
        return Err(AppError::validation(
            "input.points",
            "must be between 1 and 1000000000",
        ));
    }
    let reference = reference(input.reference.as_deref())?;
    let tx = crate::core::db::begin_write(&base.db).await?;
    let coalition = db::lock_coalition(&tx, input.coalition_id, false).await?;
    if !places::is_operator(&tx, coalition.id, operator).await? {
        return Err(AppError::NotFound);
    }
    if let Some(idem) = &idem
        && idem.claim(&tx).await?.is_some()
    {
        return block_balance(&tx, coalition.id, input.brand_id).await;
    }
    let place = places::place(&tx, coalition.id, input.brand_id)
        .await?
        .ok_or_else(|| AppError::validation("input.brandId", "is not a brand of this coalition"))?;
    if place.billing != Billing::Prepaid {
        return Err(AppError::validation(
            "input.brandId",
            "this brand is billed after each period (postpaid), not by prepaid blocks",
        ));
    }
    let block = db::account(
        &tx,
        coalition.id,
        K::BrandBlock,
        Some(place.brand_id),
        None,
        POINTS,
    )
    .await?;
    let issuance = db::account(&tx, coalition.id, K::OperatorIssuance, None, None, POINTS).await?;
    let occurred_at = check_occurred(input.occurred_at, base.clock.now())?;
    let (period_start, late) = settle_in(&tx, &coalition, occurred_at).await?;
    db::post(
        &tx,
        coalition.id,
        Header {
            kind: CoalitionTxnKind::PrepaidBlock,
            brand_id: Some(place.brand_id),
            member_id: None,
            reference,
            amount_minor: None,
            cause_id: None,
            occurred_at,
            period_start,
            late,
        },
        vec![
            Leg::new(&issuance, -input.points),
            Leg::new(&block, input.points),
        ],
        AppError::conflict("the coalition ledger refused this movement; retry"),
    )
    .await?;
    if let Some(idem) = &idem {
        idem.record(&tx, serde_json::json!({ "brand": place.brand_id }))
            .await?;
    }
    let balance = block_balance(&tx, coalition.id, place.brand_id).await?;
    tx.commit().await?;
    Ok(balance)
}

pub(super) async fn block_balance<C: ConnectionTrait>(
    conn: &C,
    coalition: Uuid,
    brand: Uuid,
) -> Result<i64, AppError> {
    Ok(
        db::existing_account(conn, coalition, K::BrandBlock, Some(brand), None)
            .await?
            .map_or(0, |a| a.balance),
    )
}

/// What the expiry job did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpiryReport {
    pub accounts: u64,
    pub points: i64,
}

/// Expires the points of coalition accounts without earning or spending for the coalition's
/// validity: the balance goes to the operator's breakage, dated when it expired (so it counts
/// in that month, or late in the next open one). Each account is booked once, even by two
/// workers at once.
pub async fn expire_due(
    conn: &sea_orm::DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<ExpiryReport, AppError> {
    let mut report = ExpiryReport::default();
    for coalition in db::all_coalitions(conn).await? {
        let months = Months::new(u32::try_from(coalition.points_validity_months).unwrap_or(24));
        let Some(cutoff) = now.checked_sub_months(months) else {
            continue;
        };
        for (member, account) in db::dormant_members(conn, coalition.id, cutoff, 1000).await? {
            let tx = crate::core::db::begin_write(conn).await?;
            let coalition = db::lock_coalition(&tx, coalition.id, false).await?;
            db::lock_account(&tx, account.id).await?;
            let Some(member) = db::member_by_id(&tx, member.id).await? else {
                continue;
            };
            let balance = db::account_by_id(&tx, account.id)
                .await?
                .map_or(0, |a| a.balance);
            let Some(at) = member.last_activity_at.checked_add_months(months) else {
                continue;
            };
            if balance <= 0 || at > now {
                continue;
            }
            let breakage =
                db::account(&tx, coalition.id, K::OperatorBreakage, None, None, POINTS).await?;
            let (period_start, late) = settle_in(&tx, &coalition, at).await?;
            db::post(
                &tx,
                coalition.id,
                Header {
                    kind: CoalitionTxnKind::Expiry,
                    brand_id: None,
                    member_id: Some(member.id),
                    reference: None,
                    amount_minor: None,
                    cause_id: None,
                    occurred_at: at,
                    period_start,
                    late,
                },
                vec![
                    Leg::new(&account, -balance).floor(0),
                    Leg::new(&breakage, balance),
                ],
                AppError::conflict("expired meanwhile"),
            )
            .await?;
            tx.commit().await?;
            report.accounts += 1;
            report.points += balance;
        }
    }
    Ok(report)
}
