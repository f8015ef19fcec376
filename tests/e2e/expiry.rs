//! Points expire on their date, booked exactly once even with two workers at once.

use chrono::Duration;
use fidelis::loyalty::jobs::expiry;
use fidelis_tests::{PASSWORD, RECORD_PURCHASE, spawn_app};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn expired_points_are_booked_once_even_by_two_concurrent_workers() {
    let app = spawn_app().await;
    let brand = app.new_brand("expiration").await;
    let created = app
        .as_token(&brand.owner.access_token)
        .query(
            fidelis_tests::CREATE_PROGRAM,
            json!({ "i": { "name": "Points", "rules": { "points": { "validityMonths": 12 } } } }),
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
    // Two purchases today, then 13 months pass (on the server's clock), then one more: the
    // first two lots are due, the last one is not.
    for total in [10_000, 5_000] {
        let r = owner
            .query(
                RECORD_PURCHASE,
                json!({ "i": { "cardNumber": card, "totalMinor": total, "currency": "EUR" } }),
            )
            .await;
        assert!(r["data"]["recordPurchase"].is_object(), "{r}");
    }
    app.clock().advance(Duration::days(395));
    // 13 months later the owner signs in again (access tokens last 15 minutes).
    let brand = fidelis_tests::TestBrand {
        owner: app.login(&brand.owner.email, PASSWORD).await,
        ..brand
    };
    let owner = app.as_token(&brand.owner.access_token);
    let r = owner
        .query(
            RECORD_PURCHASE,
            json!({ "i": { "cardNumber": card, "totalMinor": 3_000, "currency": "EUR" } }),
        )
        .await;
    assert!(r["data"]["recordPurchase"].is_object(), "{r}");
    // Two workers book the expiries before anyone reads the balance (a read books them too:
    // see money_defects::history_and_balance_agree_between_an_expiry_and_the_job).
    let db = app.state.base.db.clone();
    let (a, b) = tokio::join!(
        expiry::run_once(&db, app.now()),
        expiry::run_once(&db, app.now())
    );
    let (a, b) = (
        a.unwrap_or_else(|e| panic!("{e:?}")),
        b.unwrap_or_else(|e| panic!("{e:?}")),
    );
    assert_eq!(a.points + b.points, 15, "{a:?} {b:?}");
    assert_eq!(a.lots + b.lots, 2);
    let again = expiry::run_once(&db, app.now())
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(again, expiry::ExpiryReport::default());

    assert_eq!(app.points(&brand, &member).await, 3);
    let report = app.db_verify_ledger().await;
    assert!(report.is_sound(), "{report:?}");
    assert_eq!(report.transactions, 3 + 2, "three earnings, two expiries");
}
