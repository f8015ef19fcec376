//! The reward catalog: gifts, services and discounts bought with points. Redeeming one spends
//! the points (soonest-expiring first), takes one unit of stock (a conditional update: stock
//! never goes below zero), checks the member's limit, and issues a voucher naming the reward —
//! all in one transaction, serialised per member by the lock on the member's points account.

use chrono::Duration;
use entity::{
    ledger_account::AccountKind,
    ledger_transaction::TransactionKind,
    program, reward,
    reward::RewardKind,
    voucher,
    voucher::{VoucherKind, VoucherSource},
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ExprTrait, PaginatorTrait, QueryFilter, sea_query::Expr,
};
use serde::Serialize;
use uuid::Uuid;

use crate::{
    core::{
        error::AppError,
        idempotency::Idempotency,
        ledger,
        ledger::{Header, POINTS, Posting},
        page,
        page::{Page, PageRequest},
        tenancy::TenantScope,
        types::text,
    },
    loyalty::{programs, programs::Rules, vouchers},
};

/// What the brand sets for a reward.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RewardSpec {
    pub program_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub kind: RewardKind,
    pub points_cost: i64,
    pub amount_minor: i64,
    pub percent: i32,
    pub stock: Option<i64>,
    pub per_member_limit: Option<i32>,
    pub per_member_period_days: Option<i32>,
    pub voucher_valid_days: i32,
}

fn validate(spec: &RewardSpec) -> Result<(String, Option<String>), AppError> {
    let bad = |field: &'static str, message: &str| Err(AppError::validation(field, message));
    let name = text("input.name", &spec.name, 200)?;
    let description = spec
        .description
        .as_deref()
        .map(|d| text("input.description", d, 1000))
        .transpose()?;
    if !(1..=10_000_000).contains(&spec.points_cost) {
        return bad("input.pointsCost", "must be between 1 and 10000000");
    }
    match (spec.kind, spec.amount_minor, spec.percent) {
        (RewardKind::Discount, 0, p) if (1..=100).contains(&p) => {}
        (_, a, 0) if (0..=10_000_000).contains(&a) => {}
        _ => {
            return bad(
                "input.amountMinor",
                "a value between 0 and 10000000, or (for a DISCOUNT) a percent between 1 and 100",
            );
        }
    }
    if spec.stock.is_some_and(|s| !(0..=10_000_000).contains(&s)) {
        return bad("input.stock", "must be between 0 and 10000000");
    }
    if spec
        .per_member_limit
        .is_some_and(|l| !(1..=1_000).contains(&l))
    {
        return bad("input.perMemberLimit", "must be between 1 and 1000");
    }
    if spec
        .per_member_period_days
        .is_some_and(|d| !(1..=3650).contains(&d))
    {
        return bad("input.perMemberPeriodDays", "must be between 1 and 3650");
    }
    if !(1..=3650).contains(&spec.voucher_valid_days) {
        return bad("input.voucherValidDays", "must be between 1 and 3650");
    }
    Ok((name, description))
}

/// Adds a reward to the catalog. A replay with the same idempotency key returns the reward the
/// first call created and creates nothing.
pub async fn create(
    scope: &TenantScope,
    spec: RewardSpec,
    idempotency_key: Option<&str>,
) -> Result<reward::Model, AppError> {
    let idem = crate::core::idempotency::Idempotency::optional(
        scope.tenant_id().to_string(),
        "createReward",
        idempotency_key,
        &spec,
    )?;
    let (name, description) = validate(&spec)?;
    let now = scope.now();
    let tx = scope.begin().await?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.claim(tx.db()).await?
    {
        drop(tx);
        let id = crate::core::idempotency::recorded_id(&previous, "rewardId")?;
        return scope.conn().get::<reward::Entity>(id).await;
    }
    let program = tx.get::<program::Entity>(spec.program_id).await?;
    if program.mechanic != program::Mechanic::Points {
        return Err(AppError::validation(
            "input.programId",
            "must be a points program",
        ));
    }
    let reward = tx
        .insert(reward::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(scope.tenant_id()),
            program_id: Set(program.id),
            name: Set(name),
            description: Set(description),
            kind: Set(spec.kind),
            points_cost: Set(spec.points_cost),
            amount_minor: Set(spec.amount_minor),
            percent: Set(spec.percent),
            stock_remaining: Set(spec.stock),
            per_member_limit: Set(spec.per_member_limit),
            per_member_period_days: Set(spec.per_member_period_days),
            voucher_valid_days: Set(spec.voucher_valid_days),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .await?;
    if let Some(idem) = &idem {
        idem.record(tx.db(), serde_json::json!({ "rewardId": reward.id }))
            .await?;
    }
    tx.commit().await?;
    Ok(reward)
}

/// Switches a reward on or off, and/or adds stock (a relative change, so that concurrent
/// redemptions are never overwritten). A replay with the same idempotency key adds nothing
/// again and answers the reward as it is.
pub async fn update(
    scope: &TenantScope,
    id: Uuid,
    active: Option<bool>,
    add_stock: Option<i64>,
    idempotency_key: Option<&str>,
) -> Result<reward::Model, AppError> {
    let idem = crate::core::idempotency::Idempotency::optional(
        scope.tenant_id().to_string(),
        "updateReward",
        idempotency_key,
        &(id, active, add_stock),
    )?;
    if add_stock.is_some_and(|s| !(1..=10_000_000).contains(&s)) {
        return Err(AppError::validation(
            "input.addStock",
            "must be between 1 and 10000000",
        ));
    }
    let tx = scope.begin().await?;
    if let Some(idem) = &idem
        && idem.claim(tx.db()).await?.is_some()
    {
        drop(tx);
        return scope.conn().get::<reward::Entity>(id).await;
    }
    let current = tx.get::<reward::Entity>(id).await?;
    if add_stock.is_some() && current.stock_remaining.is_none() {
        return Err(AppError::validation(
            "input.addStock",
            "this reward has unlimited stock",
        ));
    }
    let mut update = tx
        .update_many::<reward::Entity>()
        .col_expr(reward::Column::UpdatedAt, scope.now().into())
        .filter(reward::Column::Id.eq(id));
    if let Some(active) = active {
        update = update.col_expr(reward::Column::Active, active.into());
    }
    if let Some(n) = add_stock {
        update = update.col_expr(
            reward::Column::StockRemaining,
            Expr::col(reward::Column::StockRemaining).add(n),
        );
    }
    update.exec(tx.db()).await?;
    let updated = tx.get::<reward::Entity>(id).await?;
    if let Some(idem) = &idem {
        idem.record(tx.db(), serde_json::json!({ "rewardId": id }))
            .await?;
    }
    tx.commit().await?;
    Ok(updated)
}

pub async fn list(
    scope: &TenantScope,
    active_only: bool,
    page: PageRequest,
) -> Result<Page<reward::Model>, AppError> {
    let conn = scope.conn();
    let mut query = conn.find::<reward::Entity>();
    if active_only {
        query = query.filter(reward::Column::Active.eq(true));
    }
    Ok(page::fetch(conn.db(), query, reward::Column::Id, page).await?)
}

#[derive(Debug, Clone, Serialize)]
struct Fingerprint {
    member: Uuid,
    reward: Uuid,
}

/// Redeems a reward for a member: points, stock and limit checked together; returns the voucher.
pub async fn redeem(
    scope: &TenantScope,
    member_id: Uuid,
    reward_id: Uuid,
    idempotency_key: Option<&str>,
) -> Result<voucher::Model, AppError> {
    let idem = Idempotency::optional(
        scope.tenant_id().to_string(),
        "redeemReward",
        idempotency_key,
        &Fingerprint {
            member: member_id,
            reward: reward_id,
        },
    )?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.replay(scope.conn().db()).await?
    {
        let id = crate::core::idempotency::recorded_id(&previous, "voucher")?;
        return scope.conn().get::<voucher::Entity>(id).await;
    }
    let now = scope.now();
    let tx = scope.begin().await?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.claim(tx.db()).await?
    {
        let id = crate::core::idempotency::recorded_id(&previous, "voucher")?;
        drop(tx);
        return scope.conn().get::<voucher::Entity>(id).await;
    }
    let member = tx.get::<entity::member::Entity>(member_id).await?;
    let reward = tx.get::<reward::Entity>(reward_id).await?;
    if !reward.active {
        return Err(AppError::conflict("this reward is not available"));
    }
    if !matches!(
        programs::rules_at(&tx, reward.program_id, now).await?,
        Some((Rules::Points(_), _))
    ) {
        return Err(AppError::conflict(
            "this reward's program has no rules in force",
        ));
    }
    let account = ledger::account(
        &tx,
        AccountKind::MemberPoints,
        Some(member.id),
        Some(reward.program_id),
        POINTS,
    )
    .await?;
    // Serialises this member's redemptions, so that the limit below is counted once.
    ledger::lock(&tx, account.id).await?;
    if let Some(limit) = reward.per_member_limit {
        let mut taken = tx
            .find::<voucher::Entity>()
            .filter(voucher::Column::RewardId.eq(reward.id))
            .filter(voucher::Column::MemberId.eq(member.id));
        if let Some(days) = reward.per_member_period_days {
            taken =
                taken.filter(voucher::Column::CreatedAt.gt(now - Duration::days(i64::from(days))));
        }
        if taken.count(tx.db()).await? >= u64::try_from(limit).unwrap_or(0) {
            return Err(AppError::LimitExceeded(
                match reward.per_member_period_days {
                    Some(days) => {
                        format!("this reward may be taken {limit} time(s) per {days} days")
                    }
                    None => format!("this reward may be taken {limit} time(s) per member"),
                },
            ));
        }
    }
    if reward.stock_remaining.is_some() {
        let moved = tx
            .update_many::<reward::Entity>()
            .col_expr(
                reward::Column::StockRemaining,
                Expr::col(reward::Column::StockRemaining).sub(1),
            )
            .filter(reward::Column::Id.eq(reward.id))
            .filter(reward::Column::StockRemaining.gt(0))
            .exec(tx.db())
            .await?;
        if moved.rows_affected != 1 {
            return Err(AppError::conflict("this reward is out of stock"));
        }
    }
    ledger::expire_due(&tx, account.id, now).await?;
    let lots = ledger::live_lots(&tx, account.id, now).await?;
    let mut postings = ledger::take_from_lots(&account, &lots, reward.points_cost)?;
    let redeemed = ledger::account(
        &tx,
        AccountKind::BrandPointsRedeemed,
        None,
        Some(reward.program_id),
        POINTS,
    )
    .await?;
    postings.push(Posting::new(&redeemed, reward.points_cost));
    let currency = tx.brand().await?.currency;
    let voucher = vouchers::insert_voucher(
        &tx,
        voucher::ActiveModel {
            member_id: Set(Some(member.id)),
            kind: Set(if reward.percent > 0 {
                VoucherKind::Percent
            } else {
                VoucherKind::Amount
            }),
            amount_minor: Set(reward.amount_minor),
            percent: Set(reward.percent),
            currency: Set(currency),
            minimum_basket_minor: Set(0),
            valid_from: Set(now),
            valid_until: Set(now + Duration::days(i64::from(reward.voucher_valid_days))),
            max_uses: Set(1),
            uses: Set(0),
            source: Set(VoucherSource::Reward),
            program_id: Set(Some(reward.program_id)),
            points_cost: Set(reward.points_cost),
            cancelled_at: Set(None),
            label: Set(Some(reward.name.clone())),
            reward_id: Set(Some(reward.id)),
            created_at: Set(now),
            ..Default::default()
        },
    )
    .await?;
    ledger::post(
        &tx,
        Header {
            kind: TransactionKind::Redeem,
            reason: format!(
                "{} points for the reward \"{}\" (voucher {})",
                reward.points_cost, reward.name, voucher.code
            ),
            cause_type: crate::core::ledger::CauseType::Reward,
            cause_id: Some(reward.id),
            member_id: Some(member.id),
            occurred_at: now,
        },
        postings,
    )
    .await
    .map_err(|e| match e {
        AppError::InsufficientBalance(_) => AppError::InsufficientBalance("not enough points"),
        other => other,
    })?;
    if let Some(idem) = &idem {
        idem.record(tx.db(), serde_json::json!({ "voucher": voucher.id }))
            .await?;
    }
    tx.commit().await?;
    Ok(voucher)
}
