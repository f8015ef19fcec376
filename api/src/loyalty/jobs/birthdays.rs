//! Birthday bonuses: on a member's birthday (in the brand's time zone; 29 February counts on
//! 28 February in other years), each active points program with a birthday bonus gives it, once
//! a year per program — a marker in the idempotency table, written in the bonus's transaction,
//! makes a second worker (or a second run) skip it.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entity::{ledger_account::AccountKind, ledger_transaction::TransactionKind};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::{
    core::{
        error::AppError,
        idempotency::Idempotency,
        ledger,
        ledger::{Header, POINTS, Posting},
        tenancy::TenantScope,
    },
    loyalty::{members::add_months, programs},
};

/// Bonuses booked by one run.
pub async fn run_once(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, AppError> {
    let mut booked = 0;
    for brand in crate::identity::brands::active(db).await? {
        let tz: chrono_tz::Tz = brand.timezone.parse().unwrap_or(chrono_tz::UTC);
        let today = now.with_timezone(&tz).date_naive();
        let mut members =
            crate::loyalty::store::members_born_on(db, brand.id, today.month(), today.day())
                .await?;
        let leap = NaiveDate::from_ymd_opt(today.year(), 2, 29).is_some();
        if today.month() == 2 && today.day() == 28 && !leap {
            members.extend(crate::loyalty::store::members_born_on(db, brand.id, 2, 29).await?);
        }
        for member in members {
            booked += give(db, brand.id, member, today.year(), now).await?;
        }
    }
    Ok(booked)
}

async fn give(
    db: &DatabaseConnection,
    tenant: Uuid,
    member: Uuid,
    year: i32,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    let scope = TenantScope::with_clock(
        db.clone(),
        tenant,
        crate::core::clock::Clock::starting_at(now),
    );
    let mut booked = 0;
    for program in programs::active_at(&scope.conn(), now).await? {
        let Some(rules) = program.rules.points().filter(|r| r.birthday_bonus > 0) else {
            continue;
        };
        let marker = Idempotency::new(
            tenant.to_string(),
            "birthdayBonus",
            &format!("{member}:{}:{year}", program.program.id),
            &(),
        )?;
        let tx = scope.begin().await?;
        if marker.replay(tx.db()).await?.is_some() {
            continue;
        }
        let account = ledger::account(
            &tx,
            AccountKind::MemberPoints,
            Some(member),
            Some(program.program.id),
            POINTS,
        )
        .await?;
        let issued = ledger::account(
            &tx,
            AccountKind::BrandPointsIssued,
            None,
            Some(program.program.id),
            POINTS,
        )
        .await?;
        let lot = ledger::new_lot(
            &tx,
            &account,
            member,
            rules.birthday_bonus,
            now,
            add_months(now, rules.validity_months),
        )
        .await?;
        let txn = ledger::post(
            &tx,
            Header {
                kind: TransactionKind::Bonus,
                reason: format!("Happy birthday! {} bonus points", rules.birthday_bonus),
                cause_type: crate::core::ledger::CauseType::Birthday,
                cause_id: Some(member),
                member_id: Some(member),
                occurred_at: now,
            },
            vec![
                Posting::new(&account, rules.birthday_bonus).on_lot(lot),
                Posting::new(&issued, -rules.birthday_bonus),
            ],
        )
        .await?;
        crate::core::events::append(
            &tx,
            "points.birthday_bonus",
            Some(txn),
            Some(member),
            serde_json::json!({ "program": program.program.id, "points": rules.birthday_bonus }),
        )
        .await?;
        match marker
            .record(tx.db(), serde_json::json!({ "member": member }))
            .await
        {
            Ok(()) => {
                tx.commit().await?;
                booked += 1;
            }
            // Another worker booked it first: ours rolls back.
            Err(AppError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(booked)
}
