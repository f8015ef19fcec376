//! Coalition settlement. For each month (in the coalition's time zone) and brand, a statement:
//! points issued, reversed and redeemed, prepaid blocks bought, their values at the coalition's
//! prices, the operator's fees and the net position:
//!
//! ```text
//! issued value   = postpaid points issued net of reversals × issue price
//! prepaid value  = points of prepaid blocks bought × issue price
//! fees           = points issued net of reversals × fee per point
//!                  + (points issued net of reversals × issue price) × fee basis points
//! redeemed value = points redeemed × redemption value
//! net            = redeemed value − issued value − prepaid value − fees
//! ```
//!
//! Each value is rounded to the minor unit once per statement line (half away from zero). A
//! positive net is paid by the operator to the brand, a negative one by the brand. The operator
//! is a party of the ledger: its position is minus the sum of the brands', so it takes the
//! spread, the fees and the breakage (points that expired were paid for and never redeemed), and
//! the positions of a period sum to zero to the cent. Every point figure is a sum of the
//! period's ledger entries; closing books the positions as one SETTLEMENT transaction.
//!
//! Closing: by the operator, once the month has ended; idempotent (closing again returns the
//! same period) and done once even when requested concurrently (the closer holds the
//! coalition row exclusively; bookings hold it shared). A closed period never changes; later
//! events dated in it count in the next open period, flagged late.
//!
//! Size: over 500 lines on purpose: closing a period and proving it (statements, zero-sum check)
//! are one argument (about 100 lines are unit tests).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::{
    coalition, coalition_account::CoalitionAccountKind as K, coalition_period, coalition_statement,
    coalition_txn::CoalitionTxnKind,
};
use sea_orm::{ActiveValue::Set, ConnectionTrait};
use uuid::Uuid;

use crate::{
    coalition::{
        points::{next_month, parse_period, period_label},
        store as places,
    },
    core::{
        auth::Principal,
        deps::Base,
        error::AppError,
        idempotency::Idempotency,
        ledger::{
            coalition as db,
            coalition::{Header, Leg, PeriodSums},
        },
    },
};

/// One brand's figures for a period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Line {
    pub brand_id: Uuid,
    pub issued_points: i64,
    pub reversed_points: i64,
    pub redeemed_points: i64,
    pub prepaid_points: i64,
    pub issued_value_minor: i64,
    pub redeemed_value_minor: i64,
    pub prepaid_value_minor: i64,
    pub fees_minor: i64,
    pub net_minor: i64,
    pub late_events: i64,
}

/// A period's figures: a line per brand and the operator's side.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    pub lines: Vec<Line>,
    pub operator_net_minor: i64,
    pub breakage_points: i64,
    pub late_events: i64,
}

/// `value × numerator / denominator`, rounded half away from zero.
fn round_div(value: i128, denominator: i128) -> i64 {
    let q = value / denominator;
    let r = value % denominator;
    let q = if 2 * r.abs() >= denominator {
        q + value.signum()
    } else {
        q
    };
    i64::try_from(q).unwrap_or(if q > 0 { i64::MAX } else { i64::MIN })
}

/// How a statement's fee line is rounded. Statements closed before 2026-11-30 rounded the
/// per-point fee and the basis-point fee separately and added them; a closed statement never
/// changes, so `ledger verify` still accepts those as they were stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeeRounding {
    /// The whole fee line as one exact fraction, rounded once (the rule).
    Once,
    /// The two fee parts rounded apart, then added (statements closed before the fix).
    Legacy,
}

/// The figures of a period from the sums of its entries (see the module's formulas).
pub fn compute(coalition: &coalition::Model, sums: &PeriodSums, brands: &[Uuid]) -> Figures {
    compute_with(coalition, sums, brands, FeeRounding::Once)
}

/// [`compute`] with a given fee rounding.
pub fn compute_with(
    coalition: &coalition::Model,
    sums: &PeriodSums,
    brands: &[Uuid],
    rounding: FeeRounding,
) -> Figures {
    let issue = i128::from(coalition.issue_price_per_1000_minor);
    let redemption = i128::from(coalition.redemption_value_per_1000_minor);
    let fee = i128::from(coalition.fee_per_1000_issued_minor);
    let bp = i128::from(coalition.fee_basis_points);
    let mut lines: BTreeMap<Uuid, Line> = brands
        .iter()
        .map(|b| {
            (
                *b,
                Line {
                    brand_id: *b,
                    ..Line::default()
                },
            )
        })
        .collect();
    let mut postpaid_net: BTreeMap<Uuid, i64> = BTreeMap::new();
    let mut figures = Figures::default();
    for (brand, akind, tkind, v) in &sums.sums {
        let (akind, tkind) = (akind.as_str(), tkind.as_str());
        if akind == K::OperatorBreakage.code() && tkind == "EXPIRY" {
            figures.breakage_points += v;
            continue;
        }
        let Some(brand) = brand else { continue };
        let line = lines.entry(*brand).or_insert_with(|| Line {
            brand_id: *brand,
            ..Line::default()
        });
        let clearing = akind == K::BrandIssued.code() || akind == K::BrandBlock.code();
        match tkind {
            "EARN" if clearing => line.issued_points -= v,
            "REVERSAL" if clearing => line.reversed_points += v,
            "REDEEM" if akind == K::BrandRedeemed.code() => line.redeemed_points += v,
            "PREPAID_BLOCK" if akind == K::BrandBlock.code() => line.prepaid_points += v,
            _ => {}
        }
        if akind == K::BrandIssued.code() && matches!(tkind, "EARN" | "REVERSAL") {
            *postpaid_net.entry(*brand).or_default() -= v;
        }
    }
    for (brand, n) in &sums.late {
        figures.late_events += n;
        if let Some(brand) = brand
            && let Some(line) = lines.get_mut(brand)
        {
            line.late_events += n;
        }
    }
    for line in lines.values_mut() {
        let net_issued = i128::from(line.issued_points - line.reversed_points);
        let postpaid = i128::from(postpaid_net.get(&line.brand_id).copied().unwrap_or(0));
        line.issued_value_minor = round_div(postpaid * issue, 1000);
        line.prepaid_value_minor = round_div(i128::from(line.prepaid_points) * issue, 1000);
        line.redeemed_value_minor = round_div(i128::from(line.redeemed_points) * redemption, 1000);
        line.fees_minor = match rounding {
            // One exact fraction, rounded once: per-point fee plus basis points of the issue
            // value (net × fee / 1000 + net × issue / 1000 × bp / 10 000, over 10 000 000).
            FeeRounding::Once => round_div(
                net_issued * fee * 10_000 + net_issued * issue * bp,
                1000 * 10_000,
            ),
            FeeRounding::Legacy => {
                round_div(net_issued * fee, 1000)
                    + round_div(net_issued * issue * bp, 1000 * 10_000)
            }
        };
        line.net_minor = line.redeemed_value_minor
            - line.issued_value_minor
            - line.prepaid_value_minor
            - line.fees_minor;
        figures.operator_net_minor -= line.net_minor;
    }
    figures.lines = lines.into_values().collect();
    figures
}

async fn figures_of<C: ConnectionTrait>(
    conn: &C,
    coalition: &coalition::Model,
    start: DateTime<Utc>,
) -> Result<Figures, AppError> {
    let sums = db::period_sums(conn, coalition.id, start).await?;
    // Every brand with a place that is or was a member gets a line, even an empty one.
    let mut brands: Vec<Uuid> = places::brands_of(conn, coalition.id)
        .await?
        .into_iter()
        .filter(|(p, _)| took_part(p))
        .map(|(p, _)| p.brand_id)
        .collect();
    for b in db::brands_in_period(conn, coalition.id, start).await? {
        if !brands.contains(&b) {
            brands.push(b);
        }
    }
    Ok(compute(coalition, &sums, &brands))
}

/// Whether a brand is or was a member (accepted, possibly left): it has statements.
fn took_part(place: &entity::coalition_brand::Model) -> bool {
    place.responded_at.is_some()
        && place.status != entity::coalition_brand::CoalitionBrandStatus::Declined
}

/// A period as one caller sees it: closed (stored statements) or open (figures so far).
#[derive(Debug, Clone)]
pub struct PeriodView {
    pub coalition: coalition::Model,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub closed: Option<coalition_period::Model>,
    pub statements: Vec<Statement>,
    /// The operator's side; `None` for a brand.
    pub operator: Option<(i64, i64)>,
    pub late_events: i64,
    pub brand_names: BTreeMap<Uuid, String>,
    /// Coalition-level flows every reader sees: points issued and redeemed at each brand.
    pub flows: Vec<(Uuid, i64, i64)>,
}

impl PeriodView {
    pub fn label(&self) -> String {
        period_label(&self.coalition, self.start)
    }
}

/// A statement line, stored (closed period) or computed (open period).
#[derive(Debug, Clone)]
pub struct Statement {
    pub id: Option<Uuid>,
    pub line: Line,
    pub paid_at: Option<DateTime<Utc>>,
    pub payment_reference: Option<String>,
}

impl From<coalition_statement::Model> for Statement {
    fn from(s: coalition_statement::Model) -> Self {
        Self {
            id: Some(s.id),
            line: Line {
                brand_id: s.brand_id,
                issued_points: s.issued_points,
                reversed_points: s.reversed_points,
                redeemed_points: s.redeemed_points,
                prepaid_points: s.prepaid_points,
                issued_value_minor: s.issued_value_minor,
                redeemed_value_minor: s.redeemed_value_minor,
                prepaid_value_minor: s.prepaid_value_minor,
                fees_minor: s.fees_minor,
                net_minor: s.net_minor,
                late_events: s.late_events,
            },
            paid_at: s.paid_at,
            payment_reference: s.payment_reference,
        }
    }
}

/// Who may read which statements of a coalition: the operator and platform admins all, a brand
/// with a place its own; anyone else NOT_FOUND.
async fn reader<C: ConnectionTrait>(
    conn: &C,
    principal: &Principal,
    coalition: Uuid,
) -> Result<Option<Uuid>, AppError> {
    use entity::user_account::Role;
    match principal {
        Principal::User {
            role: Role::PlatformAdmin,
            ..
        } => Ok(None),
        Principal::User {
            role: Role::CoalitionOperator,
            user_id,
            ..
        } => {
            if places::is_operator(conn, coalition, *user_id).await? {
                Ok(None)
            } else {
                Err(AppError::NotFound)
            }
        }
        Principal::User {
            tenant_id: Some(brand),
            ..
        } => {
            let place = places::place(conn, coalition, *brand)
                .await?
                .ok_or(AppError::NotFound)?;
            if !took_part(&place) {
                return Err(AppError::NotFound);
            }
            Ok(Some(*brand))
        }
        _ => Err(AppError::NotFound),
    }
}

/// A period's statements as the caller may read them.
pub async fn view(
    base: &Base,
    principal: &Principal,
    coalition_id: Uuid,
    period: &str,
) -> Result<PeriodView, AppError> {
    let conn = &base.db;
    let coalition = places::coalition(conn, coalition_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let only = reader(conn, principal, coalition.id).await?;
    let start = parse_period(&coalition, "period", period)?;
    let mut view = match db::period(conn, coalition.id, start).await? {
        Some((period, statements)) => PeriodView {
            start,
            end: period.period_end,
            operator: Some((period.operator_net_minor, period.breakage_points)),
            late_events: period.late_events,
            statements: statements.into_iter().map(Into::into).collect(),
            closed: Some(period),
            brand_names: BTreeMap::new(),
            flows: Vec::new(),
            coalition,
        },
        None => {
            let figures = figures_of(conn, &coalition, start).await?;
            PeriodView {
                start,
                end: next_month(&coalition, start),
                operator: Some((figures.operator_net_minor, figures.breakage_points)),
                late_events: figures.late_events,
                statements: figures
                    .lines
                    .into_iter()
                    .map(|line| Statement {
                        id: None,
                        line,
                        paid_at: None,
                        payment_reference: None,
                    })
                    .collect(),
                closed: None,
                brand_names: BTreeMap::new(),
                flows: Vec::new(),
                coalition,
            }
        }
    };
    view.flows = view
        .statements
        .iter()
        .map(|s| {
            (
                s.line.brand_id,
                s.line.issued_points - s.line.reversed_points,
                s.line.redeemed_points,
            )
        })
        .collect();
    if let Some(brand) = only {
        view.statements.retain(|s| s.line.brand_id == brand);
        view.operator = None;
        view.late_events = view.statements.iter().map(|s| s.line.late_events).sum();
    }
    view.brand_names = places::brands_of(conn, coalition_id)
        .await?
        .into_iter()
        .map(|(_, b)| (b.id, b.name))
        .collect();
    Ok(view)
}

/// Closes a month: writes its statements and books the positions. Idempotent and once only.
pub async fn close(
    base: &Base,
    principal: &Principal,
    coalition_id: Uuid,
    period: &str,
) -> Result<PeriodView, AppError> {
    let operator = principal.user_id().ok_or(AppError::Forbidden(
        "only the coalition's operator can close a period",
    ))?;
    let tx = crate::core::db::begin_write(&base.db).await?;
    let coalition = db::lock_coalition(&tx, coalition_id, true).await?;
    if !places::is_operator(&tx, coalition.id, operator).await? {
        return Err(AppError::NotFound);
    }
    let start = parse_period(&coalition, "input.period", period)?;
    let end = next_month(&coalition, start);
    let now = base.clock.now();
    if end > now {
        return Err(AppError::validation(
            "input.period",
            "has not ended yet; a period is closed once it is over",
        ));
    }
    if db::period(&tx, coalition.id, start).await?.is_none() {
        let figures = figures_of(&tx, &coalition, start).await?;
        let period_id = Uuid::now_v7();
        let mut legs = Vec::new();
        for line in figures.lines.iter().filter(|l| l.net_minor != 0) {
            let account = db::account(
                &tx,
                coalition.id,
                K::BrandPosition,
                Some(line.brand_id),
                None,
                &coalition.currency,
            )
            .await?;
            legs.push(Leg::new(&account, line.net_minor));
        }
        let settlement = if legs.is_empty() {
            None
        } else {
            let operator_account = db::account(
                &tx,
                coalition.id,
                K::OperatorPosition,
                None,
                None,
                &coalition.currency,
            )
            .await?;
            legs.push(Leg::new(&operator_account, figures.operator_net_minor));
            Some(
                db::post(
                    &tx,
                    coalition.id,
                    Header {
                        kind: CoalitionTxnKind::Settlement,
                        brand_id: None,
                        member_id: None,
                        reference: Some(format!("settlement {}", period_label(&coalition, start))),
                        amount_minor: None,
                        cause_id: Some(period_id),
                        occurred_at: end,
                        period_start: start,
                        late: false,
                    },
                    legs,
                    AppError::conflict("the coalition ledger refused the settlement; retry"),
                )
                .await?
                .id,
            )
        };
        let statements = figures
            .lines
            .iter()
            .map(|l| coalition_statement::ActiveModel {
                id: Set(Uuid::now_v7()),
                period_id: Set(period_id),
                coalition_id: Set(coalition.id),
                brand_id: Set(l.brand_id),
                issued_points: Set(l.issued_points),
                reversed_points: Set(l.reversed_points),
                redeemed_points: Set(l.redeemed_points),
                prepaid_points: Set(l.prepaid_points),
                issued_value_minor: Set(l.issued_value_minor),
                redeemed_value_minor: Set(l.redeemed_value_minor),
                prepaid_value_minor: Set(l.prepaid_value_minor),
                fees_minor: Set(l.fees_minor),
                net_minor: Set(l.net_minor),
                late_events: Set(l.late_events),
                paid_at: Set(None),
                payment_reference: Set(None),
                payment_txn_id: Set(None),
            })
            .collect();
        db::insert_period(
            &tx,
            coalition_period::ActiveModel {
                id: Set(period_id),
                coalition_id: Set(coalition.id),
                period_start: Set(start),
                period_end: Set(end),
                closed_at: Set(now),
                closed_by: Set(operator),
                settlement_txn_id: Set(settlement),
                operator_net_minor: Set(figures.operator_net_minor),
                breakage_points: Set(figures.breakage_points),
                late_events: Set(figures.late_events),
            },
            statements,
        )
        .await?;
        tx.commit().await?;
        tracing::info!(coalition.id = %coalition.id, period = %period_label(&coalition, start), "coalition period closed");
    } else {
        drop(tx);
    }
    view(base, principal, coalition_id, period).await
}

/// Records that a closed statement's position was paid (either way), with the payment's
/// reference: books it against the operator's position. Paying twice is CONFLICT; a replay
/// with the same idempotency key returns the statement.
pub async fn pay(
    base: &Base,
    principal: &Principal,
    statement_id: Uuid,
    reference: &str,
    key: Option<&str>,
) -> Result<PeriodView, AppError> {
    let operator = principal.user_id().ok_or(AppError::Forbidden(
        "only the coalition's operator records payments",
    ))?;
    let reference = crate::core::types::text("input.reference", reference, 200)?;
    let statement = db::statement(&base.db, statement_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !places::is_operator(&base.db, statement.coalition_id, operator).await? {
        return Err(AppError::NotFound);
    }
    let idem = Idempotency::optional(
        format!("c:{}", statement.coalition_id),
        "recordCoalitionPayment",
        key,
        &(statement_id, &reference),
    )?;
    let tx = crate::core::db::begin_write(&base.db).await?;
    let coalition = db::lock_coalition(&tx, statement.coalition_id, false).await?;
    let period = db::all_periods_of(&tx, coalition.id)
        .await?
        .into_iter()
        .find(|p| p.id == statement.period_id)
        .ok_or(AppError::NotFound)?;
    let replay = match &idem {
        Some(idem) => idem.claim(&tx).await?.is_some(),
        None => false,
    };
    if !replay {
        let now = base.clock.now();
        let txn = if statement.net_minor == 0 {
            None
        } else {
            let brand = db::account(
                &tx,
                coalition.id,
                K::BrandPosition,
                Some(statement.brand_id),
                None,
                &coalition.currency,
            )
            .await?;
            let op = db::account(
                &tx,
                coalition.id,
                K::OperatorPosition,
                None,
                None,
                &coalition.currency,
            )
            .await?;
            Some(
                db::post(
                    &tx,
                    coalition.id,
                    Header {
                        kind: CoalitionTxnKind::Payment,
                        brand_id: Some(statement.brand_id),
                        member_id: None,
                        reference: Some(reference.clone()),
                        amount_minor: Some(statement.net_minor),
                        cause_id: Some(statement.id),
                        occurred_at: now,
                        period_start: period.period_start,
                        late: false,
                    },
                    vec![
                        Leg::new(&brand, -statement.net_minor),
                        Leg::new(&op, statement.net_minor),
                    ],
                    AppError::conflict("the coalition ledger refused the payment; retry"),
                )
                .await?
                .id,
            )
        };
        if !db::mark_paid(&tx, statement.id, now, &reference, txn).await? {
            return Err(AppError::conflict("this statement is already paid"));
        }
        if let Some(idem) = &idem {
            idem.record(&tx, serde_json::json!({ "statement": statement.id }))
                .await?;
        }
        tx.commit().await?;
    }
    view(
        base,
        principal,
        coalition.id,
        &period_label(&coalition, period.period_start),
    )
    .await
}

/// The statements of a view as CSV (one line per brand, then the operator's line when the
/// caller may see it). Amounts in minor units.
pub fn csv(view: &PeriodView) -> String {
    use crate::core::types::csv_field;
    let mut out = String::from(
        "period,brand_id,brand,issued_points,reversed_points,redeemed_points,prepaid_points,\
         issued_value_minor,redeemed_value_minor,prepaid_value_minor,fees_minor,net_minor,\
         late_events,currency,closed,paid_at,payment_reference\n",
    );
    let label = view.label();
    let closed = view.closed.is_some();
    for s in &view.statements {
        let l = &s.line;
        let name = view
            .brand_names
            .get(&l.brand_id)
            .cloned()
            .unwrap_or_default();
        out.push_str(&format!(
            "{label},{},{},{},{},{},{},{},{},{},{},{},{},{},{closed},{},{}\n",
            l.brand_id,
            csv_field(&name),
            l.issued_points,
            l.reversed_points,
            l.redeemed_points,
            l.prepaid_points,
            l.issued_value_minor,
            l.redeemed_value_minor,
            l.prepaid_value_minor,
            l.fees_minor,
            l.net_minor,
            l.late_events,
            view.coalition.currency,
            s.paid_at.map(|d| d.to_rfc3339()).unwrap_or_default(),
            csv_field(s.payment_reference.as_deref().unwrap_or("")),
        ));
    }
    if let Some((net, breakage)) = view.operator {
        out.push_str(&format!(
            "{label},,OPERATOR (breakage {breakage} points),,,,,,,,,{net},{},{},{closed},,\n",
            view.late_events, view.coalition.currency
        ));
    }
    out
}

/// For `ledger verify`: closed statements that differ from the entries of their period, and
/// periods whose positions (brands + operator) do not sum to zero or differ from their
/// settlement transaction.
pub async fn check_closed<C: ConnectionTrait>(conn: &C) -> Result<(i64, i64), AppError> {
    let mut mismatches = 0;
    let mut not_zero = 0;
    for period in db::all_periods(conn).await? {
        let Some(coalition) = places::coalition(conn, period.coalition_id).await? else {
            mismatches += 1;
            continue;
        };
        let (_, stored) = db::period(conn, coalition.id, period.period_start)
            .await?
            .unwrap_or((period.clone(), Vec::new()));
        let brands: Vec<Uuid> = stored.iter().map(|s| s.brand_id).collect();
        let sums = db::period_sums(conn, coalition.id, period.period_start).await?;
        let stored_lines: Vec<Line> = stored
            .iter()
            .cloned()
            .map(|s| Statement::from(s).line)
            .collect();
        let matches = |rounding| {
            let figures = compute_with(&coalition, &sums, &brands, rounding);
            figures.lines == stored_lines
                && figures.operator_net_minor == period.operator_net_minor
                && figures.breakage_points == period.breakage_points
        };
        if !matches(FeeRounding::Once) && !matches(FeeRounding::Legacy) {
            mismatches += 1;
        }
        let nets: i64 = stored.iter().map(|s| s.net_minor).sum();
        if nets + period.operator_net_minor != 0 {
            not_zero += 1;
        }
        let booked = match period.settlement_txn_id {
            Some(txn) => db::money_of_txn(conn, txn).await?,
            None => Vec::new(),
        };
        for s in &stored {
            let sum: i64 = booked
                .iter()
                .filter(|(b, _)| *b == Some(s.brand_id))
                .map(|(_, v)| v)
                .sum();
            if sum != s.net_minor {
                mismatches += 1;
            }
        }
        let operator: i64 = booked
            .iter()
            .filter(|(b, _)| b.is_none())
            .map(|(_, v)| v)
            .sum();
        if operator != period.operator_net_minor {
            mismatches += 1;
        }
    }
    Ok((mismatches, not_zero))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_half_away_from_zero() {
        assert_eq!(round_div(6150, 1000), 6);
        assert_eq!(round_div(500, 1000), 1);
        assert_eq!(round_div(-500, 1000), -1);
        assert_eq!(round_div(-2450, 1000), -2);
        assert_eq!(round_div(1499, 1000), 1);
        assert_eq!(round_div(0, 1000), 0);
    }

    #[test]
    fn the_fee_line_is_rounded_once() {
        // 150 net points at 30 per 1000 points (4.5) plus 50 bp of a 135 issue value (0.675):
        // 5.175, so 5 (rounding the parts apart gave 5 + 1 = 6).
        let coalition = coalition::Model {
            id: Uuid::nil(),
            name: String::new(),
            currency: "EUR".into(),
            timezone: "UTC".into(),
            issue_price_per_1000_minor: 900,
            redemption_value_per_1000_minor: 800,
            fee_per_1000_issued_minor: 30,
            fee_basis_points: 50,
            points_validity_months: 24,
            cross_brand_referrals: false,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let a = Uuid::from_u128(1);
        let sums = PeriodSums {
            sums: vec![(Some(a), "BRAND_ISSUED".into(), "EARN".into(), -150)],
            late: vec![],
        };
        let line = &compute(&coalition, &sums, &[a]).lines[0];
        assert_eq!(
            (line.issued_value_minor, line.fees_minor, line.net_minor),
            (135, 5, -140)
        );
        let legacy = &compute_with(&coalition, &sums, &[a], FeeRounding::Legacy).lines[0];
        assert_eq!(legacy.fees_minor, 6);
    }

    #[test]
    fn positions_and_operator_sum_to_zero() {
        let coalition = coalition::Model {
            id: Uuid::nil(),
            name: String::new(),
            currency: "EUR".into(),
            timezone: "UTC".into(),
            issue_price_per_1000_minor: 1_000,
            redemption_value_per_1000_minor: 800,
            fee_per_1000_issued_minor: 50,
            fee_basis_points: 100,
            points_validity_months: 24,
            cross_brand_referrals: false,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let (a, c) = (Uuid::from_u128(1), Uuid::from_u128(3));
        let sums = PeriodSums {
            sums: vec![
                (Some(a), "BRAND_ISSUED".into(), "EARN".into(), -123),
                (Some(a), "BRAND_ISSUED".into(), "REVERSAL".into(), 49),
                (Some(c), "BRAND_REDEEMED".into(), "REDEEM".into(), 150),
                (None, "OPERATOR_BREAKAGE".into(), "EXPIRY".into(), 80),
            ],
            late: vec![(Some(a), 1)],
        };
        let f = compute(&coalition, &sums, &[a, c]);
        let la = &f.lines[0];
        // 74 net issued: value 74, fees 74 × 0.05 + 74 × 1 % = 3.7 + 0.74 = 4.44, rounded once.
        assert_eq!(
            (
                la.issued_points,
                la.reversed_points,
                la.issued_value_minor,
                la.fees_minor,
                la.net_minor
            ),
            (123, 49, 74, 4, -78)
        );
        // Rounded apart (statements closed before the fix): 4 + 1.
        let legacy = compute_with(&coalition, &sums, &[a, c], FeeRounding::Legacy);
        assert_eq!(legacy.lines[0].fees_minor, 5);
        assert_eq!(la.late_events, 1);
        let lc = &f.lines[1];
        assert_eq!(
            (lc.redeemed_points, lc.redeemed_value_minor, lc.net_minor),
            (150, 120, 120)
        );
        assert_eq!(f.breakage_points, 80);
        // The operator keeps the spread and fees: 74 + 4 received, 120 paid.
        assert_eq!(f.operator_net_minor, -42);
        assert_eq!(
            f.lines.iter().map(|l| l.net_minor).sum::<i64>() + f.operator_net_minor,
            0
        );
    }
}
