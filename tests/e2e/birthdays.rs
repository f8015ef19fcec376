//! Birthday bonuses: on the member's birthday in the brand's time zone, once a year, even with
//! two workers at once.

use chrono::{Datelike, Utc};
use fidelis::loyalty::jobs::birthdays;
use fidelis_tests::spawn_app;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn the_birthday_bonus_is_given_once_on_the_day_in_the_brands_time_zone() {
    let app = spawn_app().await;
    let brand = app.new_brand("anniversaire").await;
    app.new_points_program(&brand, "Points", json!({ "birthdayBonus": 100 }))
        .await;
    let today = Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive();
    // Born on this day 30 years ago (29 Feb falls back to 28 Feb in the tests' own arithmetic).
    let born = today
        .with_year(today.year() - 30)
        .unwrap_or(today - chrono::Duration::days(365 * 30));
    let other_day = born - chrono::Duration::days(100);
    let (celebrated, _) = app
        .enroll(
            &brand,
            json!({ "email": "fete@anniversaire.example", "birthDate": born.to_string() }),
        )
        .await;
    let (not_today, _) = app
        .enroll(
            &brand,
            json!({ "email": "autre@anniversaire.example", "birthDate": other_day.to_string() }),
        )
        .await;

    let db = app.state.base.db.clone();
    let (a, b) = tokio::join!(
        birthdays::run_once(&db, Utc::now()),
        birthdays::run_once(&db, Utc::now())
    );
    let total = a.unwrap_or_else(|e| panic!("{e:?}")) + b.unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(total, 1);
    assert_eq!(
        birthdays::run_once(&db, Utc::now())
            .await
            .unwrap_or_else(|e| panic!("{e:?}")),
        0
    );
    assert_eq!(app.points(&brand, &celebrated).await, 100);
    let untouched = app
        .as_token(&brand.owner.access_token)
        .query(
            "query($id: ID!) { member(id: $id) { points { available } } }",
            json!({ "id": not_today }),
        )
        .await;
    assert_eq!(
        untouched["data"]["member"]["points"],
        json!([]),
        "{untouched}"
    );
    assert!(app.db_verify_ledger().await.is_sound());
}
