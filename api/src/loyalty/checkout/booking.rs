//! Booking what the earning step decided: points as a new lot (after repaying any points
//! debt), cashback, stamps (full cards turned into reward vouchers), then the tier move.
//! Invariant: every booking is one balanced ledger transaction caused by the purchase.

use chrono::{DateTime, Utc};
use entity::{ledger_account::AccountKind, ledger_transaction::TransactionKind};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::{
    Earning,
    explanation::{SkipReason, StepKind, StepLine},
};
use crate::{
    core::{
        error::AppError,
        ledger::{self, Header, POINTS, Posting, STAMPS},
        money::Money,
        tenancy::Scoped,
    },
    loyalty::{
        balances,
        programs::{ProgramWithRules, Rules},
        tiers, vouchers,
    },
};

/// The purchase a booking belongs to.
pub struct Purchase {
    pub id: Uuid,
    pub member_id: Uuid,
    pub total: Money,
    pub occurred_at: DateTime<Utc>,
}

/// Books one program's earning and moves its tier; returns the earning completed with reward
/// codes and the tier reached, and the tier's explanation line (tiered programs only).
pub async fn book<C: ConnectionTrait>(
    tx: &Scoped<C>,
    program: &ProgramWithRules,
    mut earning: Earning,
    purchase: &Purchase,
) -> Result<(Earning, Option<StepLine>), AppError> {
    let program_id = program.program.id;
    let member_id = purchase.member_id;
    let occurred_at = purchase.occurred_at;
    let currency = purchase.total.currency().code();
    let amount = purchase.total;
    match &program.rules {
        Rules::Points(_) if earning.points > 0 => {
            book_points(
                tx,
                program_id,
                member_id,
                earning.points,
                earning.expires_at.unwrap_or(occurred_at),
                format!("{} points for a purchase of {amount}", earning.points),
                purchase.id,
                occurred_at,
            )
            .await?;
        }
        Rules::Cashback(_) if earning.cashback_minor > 0 => {
            balances::earn(
                tx,
                balances::CASHBACK,
                currency,
                member_id,
                program_id,
                earning.cashback_minor,
                format!(
                    "{} cashback for a purchase of {amount}",
                    amount.with_minor(earning.cashback_minor),
                ),
                (crate::core::ledger::CauseType::Purchase, purchase.id),
                occurred_at,
            )
            .await?;
        }
        Rules::Stamps(rules) if earning.stamps > 0 => {
            let card = balances::earn(
                tx,
                balances::STAMP_CARD,
                STAMPS,
                member_id,
                program_id,
                earning.stamps,
                format!("{} stamp(s) for a purchase of {amount}", earning.stamps),
                (crate::core::ledger::CauseType::Purchase, purchase.id),
                occurred_at,
            )
            .await?;
            let full = card.balance / rules.stamps_for_reward;
            if full > 0 {
                balances::convert_stamps(
                    tx,
                    &card,
                    member_id,
                    program_id,
                    full,
                    rules.stamps_for_reward,
                    purchase.id,
                    occurred_at,
                )
                .await?;
                for _ in 0..full {
                    let voucher = vouchers::issue_reward(
                        tx,
                        member_id,
                        program_id,
                        rules,
                        currency,
                        occurred_at,
                    )
                    .await?;
                    earning.rewards.push(voucher.code);
                }
            }
        }
        _ => {}
    }
    let mut tier_line = None;
    if let Some(tier_rules) = program.rules.tiers() {
        earning.tier =
            tiers::after_activity(tx, tier_rules, member_id, program_id, occurred_at).await?;
        let line = match &earning.tier {
            Some(name) => StepLine::applied(StepKind::Tier).label(name.clone()),
            None => StepLine::skipped(StepKind::Tier, SkipReason::NoTierChange),
        };
        tier_line = Some(line.program(program_id, &program.program.name));
    }
    Ok((earning, tier_line))
}

/// Books points earned by a purchase: a new lot (after repaying any points debt).
#[expect(clippy::too_many_arguments, reason = "one booking, all of it needed")]
async fn book_points<C: ConnectionTrait>(
    tx: &Scoped<C>,
    program: Uuid,
    member_id: Uuid,
    points: i64,
    expires_at: DateTime<Utc>,
    reason: String,
    purchase_id: Uuid,
    occurred_at: DateTime<Utc>,
) -> Result<(), AppError> {
    // The three accounts in one query; the first purchase of a member creates theirs.
    let [account, issued, debt] = <[_; 3]>::try_from(
        ledger::existing_accounts(
            tx,
            &[
                (AccountKind::MemberPoints, Some(member_id), Some(program)),
                (AccountKind::BrandPointsIssued, None, Some(program)),
                (
                    AccountKind::MemberPointsDebt,
                    Some(member_id),
                    Some(program),
                ),
            ],
        )
        .await?,
    )
    .map_err(|_| AppError::Internal(anyhow::anyhow!("accounts look-up")))?;
    let account = match account {
        Some(a) => a,
        None => {
            ledger::account(
                tx,
                AccountKind::MemberPoints,
                Some(member_id),
                Some(program),
                POINTS,
            )
            .await?
        }
    };
    let issued = match issued {
        Some(a) => a,
        None => {
            ledger::account(
                tx,
                AccountKind::BrandPointsIssued,
                None,
                Some(program),
                POINTS,
            )
            .await?
        }
    };
    let mut postings = vec![Posting::new(&issued, -points)];
    // A points debt (from a return after spending) is repaid first; rare, so only then is the
    // debt locked and read again (a concurrent purchase may have repaid it).
    let debt = match debt {
        Some(d) if d.balance < 0 => {
            ledger::lock(tx, d.id).await?;
            Some(tx.get::<entity::ledger_account::Entity>(d.id).await?)
        }
        _ => None,
    };
    let repay = debt
        .as_ref()
        .map_or(0, |d| Ord::min(points, -Ord::min(d.balance, 0)));
    if let Some(debt) = debt.as_ref().filter(|_| repay > 0) {
        postings.push(Posting::new(debt, repay));
    }
    if points > repay {
        let lot = ledger::new_lot(
            tx,
            &account,
            member_id,
            points - repay,
            occurred_at,
            expires_at,
        )
        .await?;
        postings.push(Posting::new(&account, points - repay).on_lot(lot));
    }
    let reason = match repay {
        0 => reason,
        _ => format!("{reason} ({repay} repaying a points debt)"),
    };
    ledger::post(
        tx,
        Header {
            kind: TransactionKind::Earn,
            reason,
            cause_type: crate::core::ledger::CauseType::Purchase,
            cause_id: Some(purchase_id),
            member_id: Some(member_id),
            occurred_at,
        },
        postings,
    )
    .await?;
    Ok(())
}
