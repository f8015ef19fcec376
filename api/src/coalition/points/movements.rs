//! Coalition points moving: earned at one brand, redeemed at another, reversed by a return.
//! Invariant: each is one balanced coalition transaction, idempotent by its reference.

use super::*;
use crate::core::deps::Base;

/// A purchase at a member brand.
#[derive(Debug, Clone, Serialize)]
pub struct Earn {
    pub coalition_id: Uuid,
    pub card_number: String,
    pub amount_minor: i64,
    pub reference: Option<String>,
    pub occurred_at: Option<DateTime<Utc>>,
}

/// Earns shared points at the brand's rate (floor). A prepaid brand draws them from its block;
/// when the block (with its reserve) does not cover them the purchase is refused with
/// LIMIT_EXCEEDED and nothing is booked. Earnings repay a points debt first.
pub async fn earn(
    base: &Base,
    scope: &TenantScope,
    input: Earn,
    key: Option<&str>,
) -> Result<Movement, AppError> {
    let brand = scope.tenant_id();
    let idem = Idempotency::optional(brand.to_string(), "recordCoalitionPurchase", key, &input)?;
    if !(1..=1_000_000_000_000).contains(&input.amount_minor) {
        return Err(AppError::validation(
            "input.amountMinor",
            "must be between 1 and 1000000000000",
        ));
    }
    let now = scope.now();
    let occurred_at = check_occurred(input.occurred_at, now)?;
    let reference = reference(input.reference.as_deref())?;
    let (tx, coalition) = match open(base, idem.as_ref(), input.coalition_id).await? {
        Opened::Replayed(movement) => return Ok(movement),
        Opened::Fresh(tx, coalition) => (tx, coalition),
    };
    let place = active_place(&tx, &coalition, brand, now).await?;
    let card = card(&tx, coalition.id, &input.card_number).await?;
    let points = i64::try_from(
        i128::from(input.amount_minor) * i128::from(place.earn_points)
            / i128::from(place.earn_per_amount_minor),
    )
    .map_err(|_| AppError::validation("input.amountMinor", "is too large"))?;
    let member_account = db::account(
        &tx,
        coalition.id,
        K::MemberPoints,
        None,
        Some(card.id),
        POINTS,
    )
    .await?;
    let mut txn = None;
    if points > 0 {
        db::lock_account(&tx, member_account.id).await?;
        let debt =
            db::existing_account(&tx, coalition.id, K::MemberDebt, None, Some(card.id)).await?;
        let repay = debt
            .as_ref()
            .map_or(0, |d| Ord::min(-d.balance, points).max(0));
        let (source, refusal) = match place.billing {
            Billing::Postpaid => (
                Leg::new(
                    &db::account(&tx, coalition.id, K::BrandIssued, Some(brand), None, POINTS).await?,
                    -points,
                ),
                AppError::conflict("the coalition ledger refused this movement; retry"),
            ),
            Billing::Prepaid => (
                Leg::new(
                    &db::account(&tx, coalition.id, K::BrandBlock, Some(brand), None, POINTS).await?,
                    -points,
                )
                .floor(-place.reserve_points),
                AppError::LimitExceeded(
                    "this brand's prepaid block of coalition points is exhausted (reserve included); \
                     the operator must add a block first"
                        .to_owned(),
                ),
            ),
        };
        let mut legs = vec![source];
        if let Some(debt) = &debt
            && repay > 0
        {
            legs.push(Leg::new(debt, repay).ceiling(0));
        }
        if points - repay > 0 {
            legs.push(Leg::new(&member_account, points - repay).floor(0));
        }
        let (period_start, late) = settle_in(&tx, &coalition, occurred_at).await?;
        txn = Some(
            db::post(
                &tx,
                coalition.id,
                Header {
                    kind: CoalitionTxnKind::Earn,
                    brand_id: Some(brand),
                    member_id: Some(card.id),
                    reference,
                    amount_minor: Some(input.amount_minor),
                    cause_id: None,
                    occurred_at,
                    period_start,
                    late,
                },
                legs,
                refusal,
            )
            .await?,
        );
        db::touch_member(&tx, card.id, occurred_at).await?;
    }
    let movement = finish(&tx, coalition, card, txn, points).await?;
    commit(tx, idem.as_ref(), movement).await
}

/// Spending shared points at a member brand.
#[derive(Debug, Clone, Serialize)]
pub struct Redeem {
    pub coalition_id: Uuid,
    pub card_number: String,
    pub points: i64,
    pub reference: Option<String>,
    pub occurred_at: Option<DateTime<Utc>>,
}

/// Spends shared points at the caller's brand (INSUFFICIENT_BALANCE when they do not cover it;
/// two racing spends of one balance cannot both pass).
pub async fn redeem(
    base: &Base,
    scope: &TenantScope,
    input: Redeem,
    key: Option<&str>,
) -> Result<Movement, AppError> {
    let brand = scope.tenant_id();
    let idem = Idempotency::optional(brand.to_string(), "redeemCoalitionPoints", key, &input)?;
    if !(1..=1_000_000_000).contains(&input.points) {
        return Err(AppError::validation(
            "input.points",
            "must be between 1 and 1000000000",
        ));
    }
    let now = scope.now();
    let occurred_at = check_occurred(input.occurred_at, now)?;
    let reference = reference(input.reference.as_deref())?;
    let (tx, coalition) = match open(base, idem.as_ref(), input.coalition_id).await? {
        Opened::Replayed(movement) => return Ok(movement),
        Opened::Fresh(tx, coalition) => (tx, coalition),
    };
    active_place(&tx, &coalition, brand, now).await?;
    let card = card(&tx, coalition.id, &input.card_number).await?;
    let member_account = db::account(
        &tx,
        coalition.id,
        K::MemberPoints,
        None,
        Some(card.id),
        POINTS,
    )
    .await?;
    let redeemed = db::account(
        &tx,
        coalition.id,
        K::BrandRedeemed,
        Some(brand),
        None,
        POINTS,
    )
    .await?;
    let (period_start, late) = settle_in(&tx, &coalition, occurred_at).await?;
    let txn = db::post(
        &tx,
        coalition.id,
        Header {
            kind: CoalitionTxnKind::Redeem,
            brand_id: Some(brand),
            member_id: Some(card.id),
            reference,
            amount_minor: None,
            cause_id: None,
            occurred_at,
            period_start,
            late,
        },
        vec![
            Leg::new(&member_account, -input.points).floor(0),
            Leg::new(&redeemed, input.points),
        ],
        AppError::InsufficientBalance("not enough coalition points on this card"),
    )
    .await?;
    db::touch_member(&tx, card.id, occurred_at).await?;
    let movement = finish(&tx, coalition, card, Some(txn), -input.points).await?;
    commit(tx, idem.as_ref(), movement).await
}

/// The return of (part of) a coalition purchase.
#[derive(Debug, Clone, Serialize)]
pub struct Return {
    pub coalition_id: Uuid,
    pub purchase_id: Uuid,
    pub amount_minor: i64,
    pub reference: Option<String>,
    pub occurred_at: Option<DateTime<Utc>>,
}

/// Reverses, at the brand where the purchase happened, the points the returned part earned:
/// cumulative floors, so partial returns add up to the whole and never more. Points already
/// spent become a debt repaid from the next earning. Another brand's purchase is NOT_FOUND.
pub async fn reverse(
    base: &Base,
    scope: &TenantScope,
    input: Return,
    key: Option<&str>,
) -> Result<Movement, AppError> {
    let brand = scope.tenant_id();
    let idem = Idempotency::optional(brand.to_string(), "recordCoalitionReturn", key, &input)?;
    if !(1..=1_000_000_000_000).contains(&input.amount_minor) {
        return Err(AppError::validation(
            "input.amountMinor",
            "must be at least 1",
        ));
    }
    let now = scope.now();
    let occurred_at = check_occurred(input.occurred_at, now)?;
    let reference = reference(input.reference.as_deref())?;
    let (tx, coalition) = match open(base, idem.as_ref(), input.coalition_id).await? {
        Opened::Replayed(movement) => return Ok(movement),
        Opened::Fresh(tx, coalition) => (tx, coalition),
    };
    let earn = db::txn(&tx, coalition.id, input.purchase_id)
        .await?
        .filter(|t| t.kind == CoalitionTxnKind::Earn && t.brand_id == Some(brand))
        .ok_or(AppError::NotFound)?;
    let card = db::member_by_id(&tx, earn.coalition_member_id.ok_or(AppError::NotFound)?)
        .await?
        .ok_or(AppError::NotFound)?;
    let amount = earn.amount_minor.unwrap_or(0);
    if !db::add_returned(&tx, earn.id, input.amount_minor).await? {
        return Err(AppError::validation(
            "input.amountMinor",
            format!(
                "is more than is left to return of this purchase ({})",
                amount - earn.returned_minor
            ),
        ));
    }
    // What was returned before this one, read after our conditional update (which holds the
    // purchase's row on PostgreSQL): racing returns of one purchase each see the others'
    // units, so the cumulative shares add up to what the purchase earned.
    let before = db::txn(&tx, coalition.id, earn.id)
        .await?
        .map_or(0, |t| t.returned_minor)
        - input.amount_minor;
    let (source, earned) = db::source_of_earn(&tx, earn.id).await?;
    let share = |returned: i64| {
        i64::try_from(i128::from(earned) * i128::from(returned) / i128::from(amount.max(1)))
            .unwrap_or(earned)
    };
    let points = share(before + input.amount_minor) - share(before);
    let member_account = db::account(
        &tx,
        coalition.id,
        K::MemberPoints,
        None,
        Some(card.id),
        POINTS,
    )
    .await?;
    let mut txn = None;
    if points > 0 {
        db::lock_account(&tx, member_account.id).await?;
        let balance = db::account_by_id(&tx, member_account.id)
            .await?
            .map_or(0, |a| a.balance);
        let from_balance = Ord::min(balance, points).max(0);
        let mut legs = vec![Leg::new(&source, points)];
        if from_balance > 0 {
            legs.push(Leg::new(&member_account, -from_balance).floor(0));
        }
        if points - from_balance > 0 {
            let debt = db::account(
                &tx,
                coalition.id,
                K::MemberDebt,
                None,
                Some(card.id),
                POINTS,
            )
            .await?;
            legs.push(Leg::new(&debt, -(points - from_balance)));
        }
        let (period_start, late) = settle_in(&tx, &coalition, occurred_at).await?;
        txn = Some(
            db::post(
                &tx,
                coalition.id,
                Header {
                    kind: CoalitionTxnKind::Reversal,
                    brand_id: Some(brand),
                    member_id: Some(card.id),
                    reference,
                    amount_minor: Some(input.amount_minor),
                    cause_id: Some(earn.id),
                    occurred_at,
                    period_start,
                    late,
                },
                legs,
                AppError::conflict("the balance moved meanwhile; retry"),
            )
            .await?,
        );
    }
    let movement = finish(&tx, coalition, card, txn, -points).await?;
    commit(tx, idem.as_ref(), movement).await
}
