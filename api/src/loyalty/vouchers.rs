//! Vouchers: points converted into a voucher, and vouchers used at the checkout or on their own.
//! A voucher is used at most `max_uses` times, whatever the concurrency.
//!
//! Size: over 500 lines on purpose: issuing, converting and using vouchers share their code rules
//! and limits.

use crate::core::{money::Money, types::Currency};
use chrono::{DateTime, Duration, Utc};
use entity::{
    ledger_account::AccountKind,
    ledger_transaction::TransactionKind,
    program, voucher,
    voucher::{VoucherKind, VoucherSource},
    voucher_use,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, ExprTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};
use serde::Serialize;
use uuid::Uuid;

use crate::{
    core::{
        error::AppError,
        idempotency::Idempotency,
        ledger,
        ledger::{Header, POINTS, Posting},
        tenancy::{Scoped, TenantScope},
        types::text,
    },
    loyalty::{programs, programs::Rules},
};

const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A fresh code such as `K7PM-2QXD-9HTW` (no 0/O or 1/I to misread).
fn new_code() -> String {
    let chars: Vec<char> = (0..12)
        .map(|_| char::from(ALPHABET[rand::random_range(0..ALPHABET.len())]))
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// A code as typed: upper-cased, spaces and dashes ignored, dashes put back every 4 characters.
pub fn normalise_code(raw: &str) -> String {
    let compact: String = raw
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    compact
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// Points needed for a voucher worth `amount_minor`: the value rounded up to whole points
/// (29.95 at 1 point = 1.00 costs 30 points).
pub fn points_for_amount(amount_minor: i64, point_value_minor: i64) -> i64 {
    if point_value_minor <= 0 {
        return i64::MAX;
    }
    (amount_minor + point_value_minor - 1) / point_value_minor
}

/// The discount a voucher gives on what is left of the basket.
pub fn discount(v: &voucher::Model, remaining_minor: i64) -> i64 {
    let raw = match v.kind {
        VoucherKind::Amount => v.amount_minor,
        VoucherKind::Percent => {
            i64::try_from(i128::from(remaining_minor) * i128::from(v.percent) / 100).unwrap_or(0)
        }
    };
    raw.clamp(0, Ord::max(remaining_minor, 0))
}

/// What the member asks for: a number of points, or a voucher value.
#[derive(Debug, Clone, Copy, Serialize)]
pub enum Conversion {
    Points(i64),
    AmountMinor(i64),
}

/// Converts points into a single-use voucher of their value.
pub async fn convert_points(
    scope: &TenantScope,
    member_id: Uuid,
    program_id: Uuid,
    conversion: Conversion,
    valid_days: i64,
    idempotency_key: Option<&str>,
) -> Result<voucher::Model, AppError> {
    let fingerprint = (member_id, program_id, conversion, valid_days);
    let idem = Idempotency::optional(
        scope.tenant_id().to_string(),
        "convertPointsToVoucher",
        idempotency_key,
        &fingerprint,
    )?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.replay(scope.conn().db()).await?
    {
        return reload(scope, &previous).await;
    }
    if !(1..=3650).contains(&valid_days) {
        return Err(AppError::validation(
            "input.validDays",
            "must be between 1 and 3650",
        ));
    }
    let now = scope.now();
    let tx = scope.begin().await?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.claim(tx.db()).await?
    {
        drop(tx);
        return reload(scope, &previous).await;
    }
    let member = tx.get::<entity::member::Entity>(member_id).await?;
    let program = tx.get::<program::Entity>(program_id).await?;
    let Some((Rules::Points(rules), _)) = programs::rules_at(&tx, program.id, now).await? else {
        return Err(AppError::validation(
            "input.programId",
            "must be a points program with rules in force",
        ));
    };
    let (points, amount) = match conversion {
        Conversion::Points(p) if (1..=1_000_000_000).contains(&p) => {
            (p, p.saturating_mul(rules.point_value_minor))
        }
        Conversion::Points(_) => {
            return Err(AppError::validation(
                "input.points",
                "must be between 1 and 1000000000",
            ));
        }
        Conversion::AmountMinor(a)
            if (1..=crate::loyalty::checkout::MAX_AMOUNT_MINOR).contains(&a) =>
        {
            (points_for_amount(a, rules.point_value_minor), a)
        }
        Conversion::AmountMinor(_) => {
            return Err(AppError::validation(
                "input.amountMinor",
                "must be positive",
            ));
        }
    };
    if points < rules.minimum_redemption_points {
        return Err(AppError::validation(
            "input.points",
            format!(
                "at least {} points can be converted",
                rules.minimum_redemption_points
            ),
        ));
    }
    let account = ledger::account(
        &tx,
        AccountKind::MemberPoints,
        Some(member.id),
        Some(program.id),
        POINTS,
    )
    .await?;
    let redeemed = ledger::account(
        &tx,
        AccountKind::BrandPointsRedeemed,
        None,
        Some(program.id),
        POINTS,
    )
    .await?;
    ledger::lock(&tx, account.id).await?;
    ledger::expire_due(&tx, account.id, now).await?;
    let lots = ledger::live_lots(&tx, account.id, now).await?;
    let mut postings = ledger::take_from_lots(&account, &lots, points)?;
    postings.push(Posting::new(&redeemed, points));
    let brand = tx.brand().await?;
    let voucher = insert_voucher(
        &tx,
        voucher::ActiveModel {
            member_id: Set(Some(member.id)),
            kind: Set(VoucherKind::Amount),
            amount_minor: Set(amount),
            percent: Set(0),
            currency: Set(brand.currency),
            minimum_basket_minor: Set(0),
            valid_from: Set(now),
            valid_until: Set(now + Duration::days(valid_days)),
            max_uses: Set(1),
            uses: Set(0),
            source: Set(VoucherSource::Points),
            program_id: Set(Some(program.id)),
            points_cost: Set(points),
            cancelled_at: Set(None),
            created_at: Set(now),
            ..Default::default()
        },
    )
    .await?;
    ledger::post(
        &tx,
        Header {
            kind: TransactionKind::Redeem,
            reason: format!("{points} points converted into voucher {}", voucher.code),
            cause_type: crate::core::ledger::CauseType::Voucher,
            cause_id: Some(voucher.id),
            member_id: Some(member.id),
            occurred_at: now,
        },
        postings,
    )
    .await?;
    if let Some(idem) = &idem {
        idem.record(tx.db(), serde_json::json!({ "voucher": voucher.id }))
            .await?;
    }
    tx.commit().await?;
    Ok(voucher)
}

/// A voucher the brand issues: a personal voucher for a member, or a bearer promo code (its own
/// code such as SUMMER10, or a drawn one), worth an amount or a percentage, single or multi use.
#[derive(Debug, Clone, Serialize)]
pub struct IssueVoucher {
    pub member_id: Option<Uuid>,
    pub code: Option<String>,
    pub amount_minor: i64,
    pub percent: i32,
    pub minimum_basket_minor: i64,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: DateTime<Utc>,
    pub max_uses: i32,
    pub label: Option<String>,
}

pub async fn issue(
    scope: &TenantScope,
    spec: IssueVoucher,
    idempotency_key: Option<&str>,
) -> Result<voucher::Model, AppError> {
    let idem = Idempotency::optional(
        scope.tenant_id().to_string(),
        "issueVoucher",
        idempotency_key,
        &spec,
    )?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.replay(scope.conn().db()).await?
    {
        return reload(scope, &previous).await;
    }
    let bad = |field: &'static str, message: &str| Err(AppError::validation(field, message));
    let kind = match (spec.amount_minor, spec.percent) {
        (a, 0) if (1..=10_000_000).contains(&a) => VoucherKind::Amount,
        (0, p) if (1..=100).contains(&p) => VoucherKind::Percent,
        _ => {
            return bad(
                "input.amountMinor",
                "set either an amount (1 to 10000000) or a percent (1 to 100)",
            );
        }
    };
    let now = scope.now();
    let valid_from = spec.valid_from.unwrap_or(now);
    if spec.valid_until <= valid_from || spec.valid_until <= now {
        return bad(
            "input.validUntil",
            "must be in the future and after validFrom",
        );
    }
    if !(1..=1_000_000).contains(&spec.max_uses) {
        return bad("input.maxUses", "must be between 1 and 1000000");
    }
    if !(0..=100_000_000).contains(&spec.minimum_basket_minor) {
        return bad(
            "input.minimumBasketMinor",
            "must be between 0 and 100000000",
        );
    }
    let label = spec
        .label
        .as_deref()
        .map(|l| text("input.label", l, 200))
        .transpose()?;
    let code = match spec.code.as_deref() {
        Some(raw) => {
            let code = normalise_code(raw);
            let compact = code.replace('-', "");
            if !(4..=24).contains(&compact.len()) {
                return bad("input.code", "must have 4 to 24 letters or digits");
            }
            Some(code)
        }
        None => None,
    };
    let tx = scope.begin().await?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.claim(tx.db()).await?
    {
        drop(tx);
        return reload(scope, &previous).await;
    }
    if let Some(member) = spec.member_id {
        tx.get::<entity::member::Entity>(member).await?;
    }
    let currency = tx.brand().await?.currency;
    let model = voucher::ActiveModel {
        member_id: Set(spec.member_id),
        kind: Set(kind),
        amount_minor: Set(spec.amount_minor),
        percent: Set(spec.percent),
        currency: Set(currency),
        minimum_basket_minor: Set(spec.minimum_basket_minor),
        valid_from: Set(valid_from),
        valid_until: Set(spec.valid_until),
        max_uses: Set(spec.max_uses),
        uses: Set(0),
        source: Set(VoucherSource::Brand),
        program_id: Set(None),
        points_cost: Set(0),
        cancelled_at: Set(None),
        label: Set(label),
        reward_id: Set(None),
        created_at: Set(now),
        ..Default::default()
    };
    let voucher = match code {
        None => insert_voucher(&tx, model).await?,
        Some(code) => {
            let mut model = model;
            model.id = Set(Uuid::now_v7());
            model.tenant_id = Set(scope.tenant_id());
            model.code = Set(code.clone());
            if !tx
                .insert_if_absent(
                    model,
                    vec![voucher::Column::TenantId, voucher::Column::Code],
                )
                .await?
            {
                return Err(AppError::validation(
                    "input.code",
                    "this code is already used by another voucher",
                ));
            }
            let voucher = by_code_in(&tx, &code).await?;
            issued_event(&tx, &voucher).await?;
            voucher
        }
    };
    if let Some(idem) = &idem {
        idem.record(tx.db(), serde_json::json!({ "voucher": voucher.id }))
            .await?;
    }
    tx.commit().await?;
    Ok(voucher)
}

/// The reward voucher of a full stamp card, for its member.
pub(crate) async fn issue_reward<C: ConnectionTrait>(
    tx: &Scoped<C>,
    member: Uuid,
    program: Uuid,
    rules: &programs::StampsRules,
    currency: &str,
    at: DateTime<Utc>,
) -> Result<voucher::Model, AppError> {
    let now = tx.now();
    let from = Ord::min(at, now);
    insert_voucher(
        tx,
        voucher::ActiveModel {
            member_id: Set(Some(member)),
            kind: Set(if rules.reward_percent > 0 {
                VoucherKind::Percent
            } else {
                VoucherKind::Amount
            }),
            amount_minor: Set(rules.reward_amount_minor),
            percent: Set(rules.reward_percent),
            currency: Set(currency.to_owned()),
            minimum_basket_minor: Set(0),
            valid_from: Set(from),
            valid_until: Set(from + Duration::days(rules.reward_validity_days)),
            max_uses: Set(1),
            uses: Set(0),
            source: Set(VoucherSource::Stamps),
            program_id: Set(Some(program)),
            points_cost: Set(0),
            cancelled_at: Set(None),
            label: Set(Some(rules.reward_label.trim().to_owned())),
            created_at: Set(now),
            ..Default::default()
        },
    )
    .await
}

/// A single-use voucher of `amount_minor` in the brand's currency, valid from now for
/// `valid_days` (a contest prize, a referral or attendance reward).
pub(crate) async fn issue_amount<C: ConnectionTrait>(
    tx: &Scoped<C>,
    member: Uuid,
    amount_minor: i64,
    valid_days: i32,
    source: VoucherSource,
    label: &str,
) -> Result<voucher::Model, AppError> {
    let now = tx.now();
    let currency = tx.brand().await?.currency;
    insert_voucher(
        tx,
        voucher::ActiveModel {
            member_id: Set(Some(member)),
            kind: Set(VoucherKind::Amount),
            amount_minor: Set(amount_minor),
            percent: Set(0),
            currency: Set(currency),
            minimum_basket_minor: Set(0),
            valid_from: Set(now),
            valid_until: Set(now + Duration::days(i64::from(valid_days))),
            max_uses: Set(1),
            uses: Set(0),
            source: Set(source),
            program_id: Set(None),
            points_cost: Set(0),
            cancelled_at: Set(None),
            label: Set(Some(label.to_owned())),
            created_at: Set(now),
            ..Default::default()
        },
    )
    .await
}

/// The voucher a deferred coupon issues for the member's next visit.
pub(crate) async fn issue_for_offer<C: ConnectionTrait>(
    tx: &Scoped<C>,
    member: Uuid,
    spec: &crate::loyalty::offers::DeferredVoucher,
    label: &str,
    currency: &str,
) -> Result<voucher::Model, AppError> {
    let now = tx.now();
    // "From tomorrow" is from the start of the brand's next day, not 24 hours from now.
    let from = if spec.valid_from_days > 0 {
        let tz: chrono_tz::Tz = tx.brand().await?.timezone.parse().unwrap_or(chrono_tz::UTC);
        let day = now.with_timezone(&tz).date_naive() + Duration::days(spec.valid_from_days);
        (0..3)
            .find_map(|h| {
                chrono::TimeZone::from_local_datetime(&tz, &day.and_hms_opt(h, 0, 0)?).earliest()
            })
            .map_or(now + Duration::days(spec.valid_from_days), |t| {
                t.with_timezone(&Utc)
            })
    } else {
        now
    };
    insert_voucher(
        tx,
        voucher::ActiveModel {
            member_id: Set(Some(member)),
            kind: Set(if spec.percent > 0 {
                VoucherKind::Percent
            } else {
                VoucherKind::Amount
            }),
            amount_minor: Set(spec.amount_minor),
            percent: Set(spec.percent),
            currency: Set(currency.to_owned()),
            minimum_basket_minor: Set(spec.minimum_basket_minor),
            valid_from: Set(from),
            valid_until: Set(from + Duration::days(spec.valid_days)),
            max_uses: Set(1),
            uses: Set(0),
            source: Set(VoucherSource::Offer),
            program_id: Set(None),
            points_cost: Set(0),
            cancelled_at: Set(None),
            label: Set(Some(label.to_owned())),
            created_at: Set(now),
            ..Default::default()
        },
    )
    .await
}

pub(crate) async fn insert_voucher<C: ConnectionTrait>(
    tx: &Scoped<C>,
    mut model: voucher::ActiveModel,
) -> Result<voucher::Model, AppError> {
    for _ in 0..5 {
        let code = new_code();
        model.id = Set(Uuid::now_v7());
        model.tenant_id = Set(tx.tenant_id());
        model.code = Set(code.clone());
        if tx
            .insert_if_absent(
                model.clone(),
                vec![voucher::Column::TenantId, voucher::Column::Code],
            )
            .await?
        {
            let voucher = by_code_in(tx, &code).await?;
            issued_event(tx, &voucher).await?;
            return Ok(voucher);
        }
    }
    Err(AppError::Internal(anyhow::anyhow!(
        "could not draw a free voucher code"
    )))
}

/// `voucher.issued`, in the voucher's transaction.
async fn issued_event<C: ConnectionTrait>(
    tx: &Scoped<C>,
    voucher: &voucher::Model,
) -> Result<(), AppError> {
    crate::core::events::append(
        tx,
        "voucher.issued",
        Some(voucher.id),
        voucher.member_id,
        serde_json::json!({ "code": voucher.code, "source": sea_orm::ActiveEnum::to_value(&voucher.source), "amountMinor": voucher.amount_minor, "percent": voucher.percent }),
    )
    .await?;
    Ok(())
}

async fn by_code_in<C: ConnectionTrait>(
    tx: &Scoped<C>,
    code: &str,
) -> Result<voucher::Model, AppError> {
    tx.find::<voucher::Entity>()
        .filter(voucher::Column::Code.eq(normalise_code(code)))
        .one(tx.db())
        .await?
        .ok_or(AppError::NotFound)
}

async fn reload(
    scope: &TenantScope,
    previous: &serde_json::Value,
) -> Result<voucher::Model, AppError> {
    let id = crate::core::idempotency::recorded_id(previous, "voucher")?;
    scope.conn().get::<voucher::Entity>(id).await
}

pub async fn by_code(scope: &TenantScope, code: &str) -> Result<voucher::Model, AppError> {
    by_code_in(&scope.conn(), code).await
}

pub async fn of_member(scope: &TenantScope, member: Uuid) -> Result<Vec<voucher::Model>, AppError> {
    let conn = scope.conn();
    Ok(conn
        .find::<voucher::Entity>()
        .filter(voucher::Column::MemberId.eq(member))
        .order_by_asc(voucher::Column::Id)
        .all(conn.db())
        .await?)
}

/// Uses a voucher once, for `member` (if the voucher is personal), on a basket worth
/// `basket_minor` before any loyalty payment (what its minimum is checked against, whatever the
/// order of the codes) of which `remaining_minor` is left to pay (what it may take off);
/// returns the discount. Validity is judged now, when the purchase is recorded, whatever date
/// the purchase carries (`at` only dates the use). CONFLICT when it cannot be used.
pub async fn use_voucher<C: ConnectionTrait>(
    tx: &Scoped<C>,
    code: &str,
    member: Option<Uuid>,
    basket: Money,
    remaining: Money,
    purchase: Option<Uuid>,
    at: DateTime<Utc>,
) -> Result<(voucher::Model, Money), AppError> {
    let now = tx.now();
    let v = by_code_in(tx, code).await?;
    if v.member_id.is_some() && v.member_id != member {
        return Err(AppError::conflict(format!(
            "voucher {} belongs to another member",
            v.code
        )));
    }
    if v.cancelled_at.is_some() || now < v.valid_from || now >= v.valid_until {
        return Err(AppError::conflict(format!(
            "voucher {} is not valid now",
            v.code
        )));
    }
    if v.currency != basket.currency().code() {
        return Err(AppError::conflict(format!(
            "voucher {} is in another currency",
            v.code
        )));
    }
    if basket.minor() < v.minimum_basket_minor {
        return Err(AppError::conflict(format!(
            "voucher {} needs a basket of at least {}",
            v.code,
            basket.with_minor(v.minimum_basket_minor)
        )));
    }
    let moved = tx
        .update_many::<voucher::Entity>()
        .col_expr(
            voucher::Column::Uses,
            Expr::col(voucher::Column::Uses).add(1),
        )
        .filter(voucher::Column::Id.eq(v.id))
        .filter(Expr::col(voucher::Column::Uses).lt(Expr::col(voucher::Column::MaxUses)))
        .filter(voucher::Column::CancelledAt.is_null())
        .exec(tx.db())
        .await?;
    if moved.rows_affected != 1 {
        return Err(AppError::conflict(format!(
            "voucher {} was already used",
            v.code
        )));
    }
    let amount = remaining.with_minor(discount(&v, remaining.minor()));
    tx.insert(voucher_use::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tx.tenant_id()),
        voucher_id: Set(v.id),
        purchase_id: Set(purchase),
        amount_minor: Set(amount.minor()),
        owed_minor: Set(0),
        created_at: Set(at),
    })
    .await?;
    let v = tx.get::<voucher::Entity>(v.id).await?;
    Ok((v, amount))
}

/// Uses a voucher outside a purchase (a gift handed over, a service given).
pub async fn redeem_alone(
    scope: &TenantScope,
    code: &str,
    idempotency_key: Option<&str>,
) -> Result<voucher::Model, AppError> {
    let idem = Idempotency::optional(
        scope.tenant_id().to_string(),
        "redeemVoucher",
        idempotency_key,
        &normalise_code(code),
    )?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.replay(scope.conn().db()).await?
    {
        return reload(scope, &previous).await;
    }
    let tx = scope.begin().await?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.claim(tx.db()).await?
    {
        drop(tx);
        return reload(scope, &previous).await;
    }
    let v = by_code_in(&tx, code).await?;
    let basket = match v.kind {
        VoucherKind::Amount => Ord::max(v.amount_minor, v.minimum_basket_minor),
        VoucherKind::Percent => v.minimum_basket_minor,
    };
    let basket = Money::new(basket, Currency::parse("voucher.currency", &v.currency)?);
    let (v, _) = use_voucher(&tx, code, v.member_id, basket, basket, None, scope.now()).await?;
    if let Some(idem) = &idem {
        idem.record(tx.db(), serde_json::json!({ "voucher": v.id }))
            .await?;
    }
    tx.commit().await?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_prices_in_points_round_up() {
        assert_eq!(points_for_amount(2_995, 100), 30);
        assert_eq!(points_for_amount(3_000, 100), 30);
        assert_eq!(points_for_amount(1, 100), 1);
    }

    #[test]
    fn codes_are_readable_and_normalised() {
        let code = new_code();
        assert_eq!(code.len(), 14);
        assert!(!code.contains(['0', 'O', '1', 'I']));
        assert_eq!(normalise_code(&code.to_lowercase().replace('-', " ")), code);
    }
}
