//! Points expire on their date, booked exactly once even with two workers at once.

use chrono::{Duration, Utc};
use fidelis::worker::expiry;
use fidelis_tests::{RECORD_PURCHASE, spawn_app};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn expired_points_are_booked_once_even_by_two_concurrent_workers() {
    let app = spawn_app().await;
    let brand = app.new_brand("expiration").await;
    // A brand importing its history: the program started two years ago.
    let since = (Utc::now() - Duration::days(730)).to_rfc3339();
    let created = app
        .as_token(&brand.owner.access_token)
        .query(
            fidelis_tests::CREATE_PROGRAM,
            json!({ "i": { "name": "Points", "effectiveFrom": since, "rules": { "points": { "validityMonths": 12 } } } }),
        )
        .await;
    assert!(
        created["data"]["createProgram"]["id"].is_string(),
        "{created}"
    );
    let (member, card) = app
        .enroll(&brand, json!({ "email": "m@expiration.example" }))
        .await;
    let owner = app.as_token(&brand.owner.access_token);
    let old = (Utc::now() - Duration::days(400)).to_rfc3339();
    let recent = (Utc::now() - Duration::days(10)).to_rfc3339();
    for (total, at) in [(10_000, &old), (5_000, &old), (3_000, &recent)] {
        let r = owner
            .query(RECORD_PURCHASE, json!({ "i": { "cardNumber": card, "totalMinor": total, "currency": "EUR", "occurredAt": at } }))
            .await;
        assert!(r["data"]["recordPurchase"].is_object(), "{r}");
    }
    // Two workers book the expiries before anyone reads the balance (a read books them too:
    // see money_defects::history_and_balance_agree_between_an_expiry_and_the_job).
    let db = app.state.db.clone();
    let (a, b) = tokio::join!(
        expiry::run_once(&db, Utc::now()),
        expiry::run_once(&db, Utc::now())
    );
    let (a, b) = (
        a.unwrap_or_else(|e| panic!("{e:?}")),
        b.unwrap_or_else(|e| panic!("{e:?}")),
    );
    assert_eq!(a.points + b.points, 15, "{a:?} {b:?}");
    assert_eq!(a.lots + b.lots, 2);
    let again = expiry::run_once(&db, Utc::now())
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(again, expiry::ExpiryReport::default());

    assert_eq!(app.points(&brand, &member).await, 3);
    let report = app.db_verify_ledger().await;
    assert!(report.is_sound(), "{report:?}");
    assert_eq!(report.transactions, 3 + 2, "three earnings, two expiries");
}
