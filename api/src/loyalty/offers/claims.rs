//! Refund claims (ODR, offres de remboursement différé): a member, or staff for them, claims a
//! refund offer against a purchase recorded in Fidelis or against a receipt (reference, amount,
//! date); the brand approves (the amount is booked as owed: the offer's expense against ODR
//! payable) or rejects with a reason; an approved claim is paid (reference and date recorded,
//! payable moved to paid: Fidelis records the payout, it moves no money).
//!
//! Invariants: one claim per receipt and offer (a unique key: the same receipt twice is refused,
//! even by two racing submissions); a member's limit moves by a conditional update; the offer's
//! redemptions and budget move by a conditional update on approval; each status change happens
//! once (the claim's row is locked and its status checked).

use chrono::{DateTime, Duration, Utc};
use entity::{
    ledger_account::AccountKind,
    ledger_transaction::TransactionKind,
    member, offer,
    offer_claim::{self, ClaimStatus},
    purchase, purchase_line,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;
use uuid::Uuid;

use super::{
    checkout::{Given, give_back_member_use, take_member_use, take_offer_counters},
    normalise_code,
    rules::OfferRules,
    rules_of,
};
use crate::core::{
    error::AppError,
    idempotency::{Idempotency, recorded_id},
    ledger::{self, CauseType, Header, Posting},
    money::Money,
    tenancy::{Scoped, TenantScope},
    types::{Currency, text},
};

/// A claim as submitted.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimSpec {
    pub offer_id: Uuid,
    pub member_id: Uuid,
    /// A purchase recorded in Fidelis...
    pub purchase_id: Option<Uuid>,
    /// ... or a receipt: its reference, amount (of the offer's products) and date.
    pub receipt_reference: Option<String>,
    pub receipt_amount_minor: Option<i64>,
    pub receipt_date: Option<DateTime<Utc>>,
}

fn refund_rules(offer: &offer::Model) -> Result<(super::Selector, i64, i32, i64), AppError> {
    match rules_of(offer)? {
        OfferRules::Refund {
            selector,
            amount_minor,
            percent,
            deadline_days,
        } => Ok((selector, amount_minor, percent, deadline_days)),
        _ => Err(AppError::validation(
            "input.offerId",
            "is not a refund offer (kind REFUND)",
        )),
    }
}

/// Submits a claim. A replay with the same idempotency key returns the first claim.
pub async fn submit(
    scope: &TenantScope,
    spec: ClaimSpec,
    idempotency_key: Option<&str>,
) -> Result<offer_claim::Model, AppError> {
    let idem = Idempotency::optional(
        scope.tenant_id().to_string(),
        "submitRefundClaim",
        idempotency_key,
        &spec,
    )?;
    let now = scope.now();
    let tx = scope.begin().await?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.claim(tx.db()).await?
    {
        drop(tx);
        return scope
            .conn()
            .get::<offer_claim::Entity>(recorded_id(&previous, "claimId")?)
            .await;
    }
    let offer = tx.get::<offer::Entity>(spec.offer_id).await?;
    let (selector, amount_minor, percent, deadline_days) = refund_rules(&offer)?;
    let claimant = tx.get::<member::Entity>(spec.member_id).await?;
    let (key, reference, date, qualifying) = match (&spec.purchase_id, &spec.receipt_reference) {
        (Some(_), Some(_)) => {
            return Err(AppError::validation(
                "input.purchaseId",
                "give a purchase or a receipt, not both",
            ));
        }
        (Some(id), None) => {
            let purchase = tx.get::<purchase::Entity>(*id).await?;
            if purchase.member_id != Some(spec.member_id) {
                return Err(AppError::NotFound);
            }
            let lines = tx
                .find::<purchase_line::Entity>()
                .filter(purchase_line::Column::PurchaseId.eq(purchase.id))
                .all(tx.db())
                .await?;
            // What was paid for the offer's products still kept (returned units excluded).
            let qualifying: i64 = lines
                .iter()
                .filter(|l| l.offer_id.is_none() && selector.matches(&l.sku, l.category.as_deref()))
                .map(|l| {
                    let value = i64::from(l.quantity) * l.unit_price_minor - l.discount_minor;
                    Money::share_minor(
                        value,
                        i64::from(l.quantity - l.returned_quantity),
                        i64::from(l.quantity),
                    )
                })
                .sum();
            if qualifying <= 0 {
                return Err(AppError::validation(
                    "input.purchaseId",
                    "this purchase holds none of the offer's products",
                ));
            }
            (
                format!("purchase:{id}"),
                None,
                purchase.occurred_at,
                qualifying,
            )
        }
        (None, Some(reference)) => {
            let reference = text("input.receiptReference", reference, 100)?;
            // Letters and digits only: "T-0042 / 7" and "t0042-7" are one receipt.
            let compact: String = normalise_code(&reference)
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect();
            if compact.is_empty() || compact.len() > 80 {
                return Err(AppError::validation(
                    "input.receiptReference",
                    "must hold 1 to 80 letters or digits",
                ));
            }
            let amount = spec.receipt_amount_minor.unwrap_or(0);
            if !(1..=super::checkout_max_amount()).contains(&amount) {
                return Err(AppError::validation(
                    "input.receiptAmountMinor",
                    "a receipt needs the amount paid for the offer's products (above zero)",
                ));
            }
            let Some(date) = spec.receipt_date else {
                return Err(AppError::validation(
                    "input.receiptDate",
                    "a receipt needs its date",
                ));
            };
            if date > now {
                return Err(AppError::validation(
                    "input.receiptDate",
                    "must not be in the future",
                ));
            }
            // With the receipt's day: references of different shops may read alike.
            (
                format!("receipt:{}:{compact}", date.format("%Y-%m-%d")),
                Some(reference),
                date,
                amount,
            )
        }
        (None, None) => {
            return Err(AppError::validation(
                "input.purchaseId",
                "give the purchase or the receipt the claim is for",
            ));
        }
    };
    if date < offer.starts_at || date >= offer.ends_at {
        return Err(AppError::validation(
            "input.receiptDate",
            "the purchase was made outside the offer's dates",
        ));
    }
    if now > date + Duration::days(deadline_days) {
        return Err(AppError::validation(
            "input.receiptDate",
            format!("claims must be made within {deadline_days} days of the purchase"),
        ));
    }
    let amount = if percent > 0 {
        Money::share_minor(qualifying, i64::from(percent), 100)
    } else {
        Ord::min(amount_minor, qualifying)
    };
    let field = if spec.purchase_id.is_some() {
        "input.purchaseId"
    } else {
        "input.receiptReference"
    };
    let duplicate =
        || AppError::validation(field, "this receipt was already claimed for this offer");
    // Said first (the unique key below settles races): a second claim of one receipt.
    if tx
        .find::<offer_claim::Entity>()
        .filter(offer_claim::Column::OfferId.eq(offer.id))
        .filter(offer_claim::Column::ReceiptKey.eq(key.clone()))
        .one(tx.db())
        .await?
        .is_some()
    {
        return Err(duplicate());
    }
    // The member's limit (one per member, or N): a conditional update.
    if let Some(max) = offer.max_per_member
        && !take_member_use(&tx, offer.id, spec.member_id, offer.starts_at, max).await?
    {
        return Err(AppError::conflict(format!(
            "this member already made the {max} claim(s) this offer allows"
        )));
    }
    // The household's limit: the offer's row is locked, so two members of one household
    // claiming at once queue, and the second counts the first's claim.
    if let Some(max) = offer.max_per_household {
        tx.get_for_update::<offer::Entity>(offer.id).await?;
        let household: Vec<Uuid> = crate::loyalty::members::household_of(&tx, &claimant)
            .await?
            .iter()
            .map(|m| m.id)
            .collect();
        let made = tx
            .find::<offer_claim::Entity>()
            .filter(offer_claim::Column::OfferId.eq(offer.id))
            .filter(offer_claim::Column::MemberId.is_in(household))
            .filter(offer_claim::Column::Status.ne(ClaimStatus::Rejected))
            .count(tx.db())
            .await?;
        if made >= u64::try_from(max).unwrap_or(0) {
            // (The member's use taken above goes with the transaction.)
            return Err(AppError::conflict(format!(
                "this member's household already made the {max} claim(s) this offer allows"
            )));
        }
    }
    let id = Uuid::now_v7();
    let inserted = tx
        .insert_if_absent(
            offer_claim::ActiveModel {
                id: Set(id),
                tenant_id: Set(tx.tenant_id()),
                offer_id: Set(offer.id),
                member_id: Set(spec.member_id),
                purchase_id: Set(spec.purchase_id),
                receipt_key: Set(key),
                receipt_reference: Set(reference),
                receipt_date: Set(date),
                receipt_amount_minor: Set(qualifying),
                amount_minor: Set(amount),
                status: Set(ClaimStatus::Submitted),
                reason: Set(None),
                payout_reference: Set(None),
                paid_on: Set(None),
                decided_at: Set(None),
                created_at: Set(now),
            },
            vec![
                offer_claim::Column::TenantId,
                offer_claim::Column::OfferId,
                offer_claim::Column::ReceiptKey,
            ],
        )
        .await?;
    if !inserted {
        return Err(duplicate());
    }
    crate::core::events::append(
        &tx,
        "offer.claim_submitted",
        Some(id),
        Some(spec.member_id),
        serde_json::json!({ "offerId": offer.id, "amountMinor": amount }),
    )
    .await?;
    if let Some(idem) = &idem {
        idem.record(tx.db(), serde_json::json!({ "claimId": id }))
            .await?;
    }
    let claim = tx.get::<offer_claim::Entity>(id).await?;
    tx.commit().await?;
    Ok(claim)
}

/// The claim, locked, in the status a change needs; a replayed change (same idempotency key)
/// answers the claim as the first call left it.
async fn locked<C: ConnectionTrait>(
    tx: &Scoped<C>,
    id: Uuid,
    wanted: ClaimStatus,
) -> Result<offer_claim::Model, AppError> {
    let claim = tx.get_for_update::<offer_claim::Entity>(id).await?;
    if claim.status != wanted {
        return Err(AppError::conflict(format!(
            "this claim is {}: it cannot be changed so",
            sea_orm::ActiveEnum::to_value(&claim.status)
        )));
    }
    Ok(claim)
}

/// Approves a submitted claim (booked as owed) or rejects it with a reason (the member's use is
/// given back).
pub async fn review(
    scope: &TenantScope,
    id: Uuid,
    approve: bool,
    reason: Option<String>,
    idempotency_key: Option<&str>,
) -> Result<offer_claim::Model, AppError> {
    let idem = Idempotency::optional(
        scope.tenant_id().to_string(),
        "reviewRefundClaim",
        idempotency_key,
        &(id, approve, &reason),
    )?;
    let reason = reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| text("reason", r, 500))
        .transpose()?;
    if !approve && reason.is_none() {
        return Err(AppError::validation(
            "reason",
            "a rejection needs its reason",
        ));
    }
    let tx = scope.begin().await?;
    if let Some(idem) = &idem
        && idem.claim(tx.db()).await?.is_some()
    {
        drop(tx);
        return scope.conn().get::<offer_claim::Entity>(id).await;
    }
    let claim = locked(&tx, id, ClaimStatus::Submitted).await?;
    let offer = tx.get::<offer::Entity>(claim.offer_id).await?;
    let status = if approve {
        let given = Given {
            discount: claim.amount_minor,
            value: 0,
            revenue: 0,
            gift: false,
        };
        if !take_offer_counters(&tx, offer.id, &given).await? {
            return Err(AppError::conflict(
                "the offer's budget or number of refunds is spent: reject the claim",
            ));
        }
        let currency = Currency::parse("currency", &tx.brand().await?.currency)?;
        post(
            &tx,
            &claim,
            (AccountKind::BrandOfferExpense, AccountKind::BrandOdrPayable),
            format!(
                "{}: refund of {} approved",
                offer.name,
                Money::new(claim.amount_minor, currency)
            ),
            currency,
        )
        .await?;
        ClaimStatus::Approved
    } else {
        if offer.max_per_member.is_some() {
            give_back_member_use(&tx, offer.id, claim.member_id, offer.starts_at).await?;
        }
        ClaimStatus::Rejected
    };
    let mut model: offer_claim::ActiveModel = claim.into();
    model.status = Set(status);
    model.reason = Set(reason);
    model.decided_at = Set(Some(tx.now()));
    let claim = tx.update(model).await?;
    if let Some(idem) = &idem {
        idem.record(tx.db(), serde_json::json!({ "claimId": id }))
            .await?;
    }
    tx.commit().await?;
    Ok(claim)
}

/// Records the payout of an approved claim: its reference and date.
pub async fn pay(
    scope: &TenantScope,
    id: Uuid,
    reference: &str,
    paid_on: Option<DateTime<Utc>>,
    idempotency_key: Option<&str>,
) -> Result<offer_claim::Model, AppError> {
    let idem = Idempotency::optional(
        scope.tenant_id().to_string(),
        "payRefundClaim",
        idempotency_key,
        &(id, reference, paid_on),
    )?;
    let reference = text("reference", reference, 100)?;
    let paid_on = paid_on.unwrap_or_else(|| scope.now());
    if paid_on > scope.now() + Duration::minutes(5) {
        return Err(AppError::validation("paidOn", "must not be in the future"));
    }
    let tx = scope.begin().await?;
    if let Some(idem) = &idem
        && idem.claim(tx.db()).await?.is_some()
    {
        drop(tx);
        return scope.conn().get::<offer_claim::Entity>(id).await;
    }
    let claim = locked(&tx, id, ClaimStatus::Approved).await?;
    let offer = tx.get::<offer::Entity>(claim.offer_id).await?;
    let currency = Currency::parse("currency", &tx.brand().await?.currency)?;
    post(
        &tx,
        &claim,
        (AccountKind::BrandOdrPayable, AccountKind::BrandOdrPaid),
        format!(
            "{}: refund of {} paid ({reference})",
            offer.name,
            Money::new(claim.amount_minor, currency)
        ),
        currency,
    )
    .await?;
    let mut model: offer_claim::ActiveModel = claim.into();
    model.status = Set(ClaimStatus::Paid);
    model.payout_reference = Set(Some(reference));
    model.paid_on = Set(Some(paid_on));
    let claim = tx.update(model).await?;
    if let Some(idem) = &idem {
        idem.record(tx.db(), serde_json::json!({ "claimId": id }))
            .await?;
    }
    tx.commit().await?;
    Ok(claim)
}

/// `amount` from the first account of the pair to the second, both the offer's.
async fn post<C: ConnectionTrait>(
    tx: &Scoped<C>,
    claim: &offer_claim::Model,
    (from, to): (AccountKind, AccountKind),
    reason: String,
    currency: Currency,
) -> Result<(), AppError> {
    let [from, to] =
        ledger::subject_accounts(tx, [from, to], claim.offer_id, currency.code()).await?;
    ledger::post(
        tx,
        Header {
            kind: TransactionKind::Odr,
            reason,
            cause_type: CauseType::Voucher,
            cause_id: Some(claim.id),
            member_id: Some(claim.member_id),
            occurred_at: tx.now(),
        },
        vec![
            Posting::new(&from, -claim.amount_minor),
            Posting::new(&to, claim.amount_minor),
        ],
    )
    .await?;
    Ok(())
}

/// Claims, newest first (at most 500): of an offer, of a member, in a status.
pub async fn list(
    scope: &TenantScope,
    offer: Option<Uuid>,
    member: Option<Uuid>,
    status: Option<ClaimStatus>,
) -> Result<Vec<offer_claim::Model>, AppError> {
    let conn = scope.conn();
    let mut q = conn.find::<offer_claim::Entity>();
    if let Some(o) = offer {
        conn.get::<offer::Entity>(o).await?;
        q = q.filter(offer_claim::Column::OfferId.eq(o));
    }
    if let Some(m) = member {
        q = q.filter(offer_claim::Column::MemberId.eq(m));
    }
    if let Some(s) = status {
        q = q.filter(offer_claim::Column::Status.eq(s));
    }
    Ok(q.order_by_desc(offer_claim::Column::CreatedAt)
        .order_by_desc(offer_claim::Column::Id)
        .limit(500)
        .all(conn.db())
        .await?)
}

pub async fn get(scope: &TenantScope, id: Uuid) -> Result<offer_claim::Model, AppError> {
    scope.conn().get::<offer_claim::Entity>(id).await
}

/// Claims of an offer by status: how many and for how much.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClaimFigures {
    pub submitted: i64,
    pub approved: i64,
    pub rejected: i64,
    pub paid: i64,
    /// Approved and not yet paid, in minor units.
    pub owed_minor: i64,
    pub paid_minor: i64,
}

pub async fn figures(scope: &TenantScope, offer: Uuid) -> Result<ClaimFigures, AppError> {
    let conn = scope.conn();
    let claims = conn
        .find::<offer_claim::Entity>()
        .filter(offer_claim::Column::OfferId.eq(offer))
        .all(conn.db())
        .await?;
    let mut f = ClaimFigures::default();
    for c in claims {
        match c.status {
            ClaimStatus::Submitted => f.submitted += 1,
            ClaimStatus::Approved => {
                f.approved += 1;
                f.owed_minor += c.amount_minor;
            }
            ClaimStatus::Rejected => f.rejected += 1,
            ClaimStatus::Paid => {
                f.paid += 1;
                f.paid_minor += c.amount_minor;
            }
        }
    }
    Ok(f)
}
