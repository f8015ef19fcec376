//! Offers and promotions a brand runs beside its programs: immediate coupons (by code or by
//! themselves), multi-buys, the n-th unit at −X %, bundles, free units, gifts with purchase,
//! trade-ins and deferred coupons. The checkout evaluates them as its first step
//! ([`engine`], pure; [`checkout`] claims the limits and books them); this file configures them.
//!
//! Invariants: an offer's counters (redemptions, budget, stock, each member's uses) move only by
//! conditional updates in the checkout's transaction; every discount and free good is booked in
//! the ledger against the offer's own expense account; another brand's offer reads NOT_FOUND.

pub mod checkout;
pub mod claims;
pub mod debts;
pub mod engine;
pub mod rules;

use chrono::{DateTime, Utc};
use entity::{offer, offer::OfferStatus};
use sea_orm::{ActiveValue::Set, ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use uuid::Uuid;

pub use self::rules::{BundlePart, DeferredVoucher, OfferRules, Selector};
use crate::core::{
    error::AppError,
    idempotency::{Idempotency, recorded_id},
    tenancy::TenantScope,
    types::text,
};

/// What the brand sets for an offer.
#[derive(Debug, Clone, Serialize)]
pub struct OfferSpec {
    pub name: String,
    pub description: Option<String>,
    /// Applied only when the till gives this code; none: applied by itself.
    pub code: Option<String>,
    pub rules: OfferRules,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub priority: i32,
    pub exclusive: bool,
    pub card_holders_only: bool,
    /// Only members holding one of these tiers (in any program); empty: everyone.
    pub tier_names: Vec<String>,
    /// Only members in this saved segment when they buy.
    pub segment_id: Option<Uuid>,
    /// Only active members of this club.
    pub club_id: Option<Uuid>,
    /// Leaves out members who bought one of the offer's products in the last N days.
    pub exclude_recent_buyers_days: Option<i32>,
    pub max_per_member: Option<i32>,
    pub member_period_days: Option<i32>,
    pub max_redemptions: Option<i32>,
    /// Refund offers: claims per household (members who live together) over the offer.
    pub max_per_household: Option<i32>,
    pub budget_minor: Option<i64>,
    pub stock: Option<i32>,
}

/// Checks a spec; answers its name, description and code as stored.
/// A segment named by an offer must be one of the brand's (another brand's reads NOT_FOUND).
async fn check_segment(scope: &TenantScope, segment: Option<Uuid>) -> Result<(), AppError> {
    if let Some(id) = segment
        && !crate::engagement::audiences::segments(scope)
            .await?
            .iter()
            .any(|s| s.id == id)
    {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// A premium's points program must be the brand's (NOT_FOUND otherwise) and give points.
async fn check_premium_program(scope: &TenantScope, rules: &OfferRules) -> Result<(), AppError> {
    if let OfferRules::Premium {
        premium_program_id: Some(id),
        ..
    } = rules
    {
        let p = crate::loyalty::programs::get(scope, *id).await?;
        if p.rules.points().is_none() {
            return Err(AppError::validation(
                "input.premiumProgramId",
                "is not a points program",
            ));
        }
    }
    Ok(())
}

/// A club named by an offer must be the brand's (another brand's reads as NOT_FOUND).
async fn check_club(scope: &TenantScope, club: Option<Uuid>) -> Result<(), AppError> {
    if let Some(id) = club {
        scope.conn().get::<entity::club::Entity>(id).await?;
    }
    Ok(())
}

fn validate(spec: &OfferSpec) -> Result<(String, Option<String>, Option<String>), AppError> {
    let bad = |field: &'static str, message: &str| Err(AppError::validation(field, message));
    let name = text("input.name", &spec.name, 120)?;
    let description = spec
        .description
        .as_deref()
        .filter(|d| !d.trim().is_empty())
        .map(|d| text("input.description", d, 1000))
        .transpose()?;
    let code = match spec
        .code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        Some(raw) => {
            let code = normalise_code(raw);
            if !(3..=24).contains(&code.len()) || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
                return bad("input.code", "must have 3 to 24 letters or digits");
            }
            Some(code)
        }
        None => None,
    };
    spec.rules.validate()?;
    if spec.ends_at <= spec.starts_at {
        return bad("input.endsAt", "must be after startsAt");
    }
    if !(0..=10_000).contains(&spec.priority) {
        return bad("input.priority", "must be between 0 and 10000");
    }
    if spec
        .max_per_member
        .is_some_and(|m| !(1..=10_000).contains(&m))
    {
        return bad("input.maxPerMember", "must be between 1 and 10000");
    }
    if spec.member_period_days.is_some() && spec.max_per_member.is_none() {
        return bad("input.memberPeriodDays", "needs maxPerMember");
    }
    if spec
        .member_period_days
        .is_some_and(|d| !(1..=3650).contains(&d))
    {
        return bad("input.memberPeriodDays", "must be between 1 and 3650");
    }
    if spec
        .max_redemptions
        .is_some_and(|m| !(1..=100_000_000).contains(&m))
    {
        return bad("input.maxRedemptions", "must be between 1 and 100000000");
    }
    if spec
        .budget_minor
        .is_some_and(|b| !(1..=100_000_000_000).contains(&b))
    {
        return bad("input.budgetMinor", "must be between 1 and 100000000000");
    }
    match spec.max_per_household {
        Some(_) if !matches!(spec.rules, OfferRules::Refund { .. }) => {
            return bad(
                "input.maxPerHousehold",
                "only refund offers are limited per household",
            );
        }
        Some(n) if !(1..=1_000).contains(&n) => {
            return bad("input.maxPerHousehold", "must be between 1 and 1000");
        }
        _ => {}
    }
    let gives_gift = matches!(
        spec.rules,
        OfferRules::Gift { .. }
            | OfferRules::Premium {
                gift_sku: Some(_),
                ..
            }
    );
    match spec.stock {
        Some(s) if gives_gift && (0..=10_000_000).contains(&s) => {}
        None => {}
        Some(_) if gives_gift => {
            return bad("input.stock", "must be between 0 and 10000000");
        }
        Some(_) => {
            return bad(
                "input.stock",
                "only gift offers and premiums with a gift have a stock",
            );
        }
    }
    if spec.tier_names.len() > 20 {
        return bad("input.tierNames", "at most 20 tiers");
    }
    for t in &spec.tier_names {
        text("input.tierNames", t, 100)?;
    }
    if spec
        .exclude_recent_buyers_days
        .is_some_and(|d| !(1..=365).contains(&d))
    {
        return bad("input.excludeRecentBuyersDays", "must be between 1 and 365");
    }
    if matches!(
        spec.rules,
        OfferRules::Refund { .. } | OfferRules::Premium { .. }
    ) && spec.code.is_some()
    {
        return bad(
            "input.code",
            "refund and premium offers are not applied by a code at the till",
        );
    }
    let issues_voucher = matches!(
        spec.rules,
        OfferRules::Deferred { .. } | OfferRules::Premium { .. } | OfferRules::Refund { .. }
    );
    if issues_voucher && spec.exclusive {
        return bad(
            "input.exclusive",
            "deferred coupons, premiums and refund offers discount nothing at the till: they \
             cannot be exclusive",
        );
    }
    if issues_voucher
        && !matches!(spec.rules, OfferRules::Refund { .. })
        && spec.budget_minor.is_some()
    {
        return bad(
            "input.budgetMinor",
            "the budget counts discounts and gifts given at the till: limit deferred coupons \
             and premiums with maxRedemptions or maxPerMember",
        );
    }
    Ok((name, description, code))
}

/// An offer code as stored and compared: its letters and digits, upper case (`ete-24` and
/// `ETE24` are one code).
pub fn normalise_code(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn tiers_json(tiers: &[String]) -> Result<Option<String>, AppError> {
    let tiers: Vec<String> = tiers
        .iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    if tiers.is_empty() {
        return Ok(None);
    }
    serde_json::to_string(&tiers)
        .map(Some)
        .map_err(|e| AppError::Internal(e.into()))
}

/// An offer's tiers as stored (empty: everyone).
pub fn tiers_of(offer: &offer::Model) -> Vec<String> {
    offer
        .tier_names
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default()
}

/// The largest amount a receipt or a purchase may carry.
pub(crate) fn checkout_max_amount() -> i64 {
    crate::loyalty::checkout::MAX_AMOUNT_MINOR
}

/// Bumps the brand's offers version (in the transaction that changes an offer): every instance's
/// checkout sees it at its next purchase and reads the offers again.
async fn bump_version<C: sea_orm::ConnectionTrait>(
    tx: &crate::core::tenancy::Scoped<C>,
) -> Result<(), AppError> {
    use entity::offer_version;
    use sea_orm::{ExprTrait, sea_query::Expr};
    tx.insert_if_absent(
        offer_version::ActiveModel {
            tenant_id: Set(tx.tenant_id()),
            version: Set(0),
        },
        vec![offer_version::Column::TenantId],
    )
    .await?;
    tx.update_many::<offer_version::Entity>()
        .col_expr(
            offer_version::Column::Version,
            Expr::col(offer_version::Column::Version).add(1),
        )
        .exec(tx.db())
        .await?;
    Ok(())
}

fn rules_json(rules: &OfferRules) -> Result<String, AppError> {
    serde_json::to_string(rules).map_err(|e| AppError::Internal(e.into()))
}

/// An offer's rules as stored.
pub fn rules_of(offer: &offer::Model) -> Result<OfferRules, AppError> {
    serde_json::from_str(&offer.rules).map_err(|e| AppError::Internal(e.into()))
}

/// Creates an offer. A replay with the same idempotency key returns the first offer.
pub async fn create(
    scope: &TenantScope,
    spec: OfferSpec,
    idempotency_key: Option<&str>,
) -> Result<offer::Model, AppError> {
    let idem = Idempotency::optional(
        scope.tenant_id().to_string(),
        "createOffer",
        idempotency_key,
        &spec,
    )?;
    let (name, description, code) = validate(&spec)?;
    check_segment(scope, spec.segment_id).await?;
    check_club(scope, spec.club_id).await?;
    check_premium_program(scope, &spec.rules).await?;
    let now = scope.now();
    let tx = scope.begin().await?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.claim(tx.db()).await?
    {
        drop(tx);
        return scope
            .conn()
            .get::<offer::Entity>(recorded_id(&previous, "offerId")?)
            .await;
    }
    let id = Uuid::now_v7();
    let inserted = tx
        .insert_if_absent(
            offer::ActiveModel {
                id: Set(id),
                tenant_id: Set(scope.tenant_id()),
                name: Set(name),
                description: Set(description),
                kind: Set(spec.rules.kind().to_owned()),
                code: Set(code),
                rules: Set(rules_json(&spec.rules)?),
                starts_at: Set(spec.starts_at),
                ends_at: Set(spec.ends_at),
                priority: Set(spec.priority),
                exclusive: Set(spec.exclusive),
                card_holders_only: Set(spec.card_holders_only),
                tier_names: Set(tiers_json(&spec.tier_names)?),
                segment_id: Set(spec.segment_id),
                club_id: Set(spec.club_id),
                exclude_recent_buyers_days: Set(spec.exclude_recent_buyers_days),
                status: Set(OfferStatus::Active),
                max_per_member: Set(spec.max_per_member),
                member_period_days: Set(spec.member_period_days),
                max_redemptions: Set(spec.max_redemptions),
                max_per_household: Set(spec.max_per_household),
                budget_minor: Set(spec.budget_minor),
                stock: Set(spec.stock),
                redemptions: Set(0),
                discount_given_minor: Set(0),
                value_given_minor: Set(0),
                revenue_minor: Set(0),
                created_at: Set(now),
                updated_at: Set(now),
            },
            vec![offer::Column::TenantId, offer::Column::Code],
        )
        .await?;
    if !inserted {
        return Err(AppError::validation(
            "input.code",
            "another offer already has this code",
        ));
    }
    bump_version(&tx).await?;
    if let Some(idem) = &idem {
        idem.record(tx.db(), serde_json::json!({ "offerId": id }))
            .await?;
    }
    let offer = tx.get::<offer::Entity>(id).await?;
    tx.commit().await?;
    Ok(offer)
}

/// Changes an offer's settings; its counters and figures stay. The stock given replaces what is
/// left. A replay with the same idempotency key changes nothing more.
pub async fn update(
    scope: &TenantScope,
    id: Uuid,
    spec: OfferSpec,
    idempotency_key: Option<&str>,
) -> Result<offer::Model, AppError> {
    let idem = Idempotency::optional(
        scope.tenant_id().to_string(),
        "updateOffer",
        idempotency_key,
        &(id, &spec),
    )?;
    let (name, description, code) = validate(&spec)?;
    check_segment(scope, spec.segment_id).await?;
    check_club(scope, spec.club_id).await?;
    check_premium_program(scope, &spec.rules).await?;
    let tx = scope.begin().await?;
    if let Some(idem) = &idem
        && let Some(_previous) = idem.claim(tx.db()).await?
    {
        drop(tx);
        return scope.conn().get::<offer::Entity>(id).await;
    }
    let current = tx.get_for_update::<offer::Entity>(id).await?;
    if let Some(code) = &code
        && current.code.as_ref() != Some(code)
        && tx
            .find::<offer::Entity>()
            .filter(offer::Column::Code.eq(code.clone()))
            .one(tx.db())
            .await?
            .is_some()
    {
        return Err(AppError::validation(
            "input.code",
            "another offer already has this code",
        ));
    }
    let mut model: offer::ActiveModel = current.into();
    model.name = Set(name);
    model.description = Set(description);
    model.code = Set(code);
    model.kind = Set(spec.rules.kind().to_owned());
    model.rules = Set(rules_json(&spec.rules)?);
    model.starts_at = Set(spec.starts_at);
    model.ends_at = Set(spec.ends_at);
    model.priority = Set(spec.priority);
    model.exclusive = Set(spec.exclusive);
    model.card_holders_only = Set(spec.card_holders_only);
    model.tier_names = Set(tiers_json(&spec.tier_names)?);
    model.segment_id = Set(spec.segment_id);
    model.club_id = Set(spec.club_id);
    model.exclude_recent_buyers_days = Set(spec.exclude_recent_buyers_days);
    model.max_per_member = Set(spec.max_per_member);
    model.member_period_days = Set(spec.member_period_days);
    model.max_redemptions = Set(spec.max_redemptions);
    model.max_per_household = Set(spec.max_per_household);
    model.budget_minor = Set(spec.budget_minor);
    model.stock = Set(spec.stock);
    model.updated_at = Set(scope.now());
    // Two changes racing to one code: the unique key refuses the second, as a refusal.
    let offer = tx.update(model).await.map_err(|e| match &e {
        AppError::Internal(inner)
            if inner.downcast_ref::<sea_orm::DbErr>().is_some_and(|db| {
                matches!(
                    db.sql_err(),
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                )
            }) =>
        {
            AppError::validation("input.code", "another offer already has this code")
        }
        _ => e,
    })?;
    bump_version(&tx).await?;
    if let Some(idem) = &idem {
        idem.record(tx.db(), serde_json::json!({ "offerId": id }))
            .await?;
    }
    tx.commit().await?;
    Ok(offer)
}

/// Pauses or resumes an offer (a paused offer is never evaluated).
pub async fn set_status(
    scope: &TenantScope,
    id: Uuid,
    status: OfferStatus,
) -> Result<offer::Model, AppError> {
    let tx = scope.begin().await?;
    let current = tx.get_for_update::<offer::Entity>(id).await?;
    let mut model: offer::ActiveModel = current.into();
    model.status = Set(status);
    model.updated_at = Set(scope.now());
    let offer = tx.update(model).await?;
    bump_version(&tx).await?;
    tx.commit().await?;
    Ok(offer)
}

pub async fn get(scope: &TenantScope, id: Uuid) -> Result<offer::Model, AppError> {
    scope.conn().get::<offer::Entity>(id).await
}

/// The brand's offers, by priority; `current` keeps those running now (active, in their window).
pub async fn list(scope: &TenantScope, current: bool) -> Result<Vec<offer::Model>, AppError> {
    let conn = scope.conn();
    let mut q = conn.find::<offer::Entity>();
    if current {
        let now = scope.now();
        q = q
            .filter(offer::Column::Status.eq(OfferStatus::Active))
            .filter(offer::Column::StartsAt.lte(now))
            .filter(offer::Column::EndsAt.gt(now));
    }
    Ok(q.order_by_asc(offer::Column::Priority)
        .order_by_asc(offer::Column::Id)
        .limit(1_000)
        .all(conn.db())
        .await?)
}
