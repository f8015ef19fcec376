//! `brandStatistics`, the dashboard's figures, hand-computed: member and anonymous purchases and
//! revenue, points issued and redeemed, enrolments, per day of the brand's calendar (a purchase
//! at 23:30 in Paris is that day's, one at 00:30 the next day's, whatever UTC says), another
//! brand's activity never counted, roles and bad periods refused.

use chrono::{Days, Duration, NaiveDate, TimeZone};
use chrono_tz::Europe::Paris;
use fidelis_tests::{RECORD_PURCHASE, code_of, spawn_app};
use serde_json::{Value, json};

const STATS: &str =
    "query($from: NaiveDate!, $to: NaiveDate!) { brandStatistics(from: $from, to: $to) {
    members pointsOutstanding memberCheckoutShareBasisPoints averageMemberBasketMinor
    averageAnonymousBasketMinor
    totals { enrolments memberPurchases anonymousPurchases memberRevenueMinor anonymousRevenueMinor
        pointsIssued pointsRedeemed pointsExpired }
    days { date memberPurchases anonymousPurchases memberRevenueMinor anonymousRevenueMinor } } }";

fn day(stats: &Value, date: NaiveDate) -> &Value {
    stats["days"]
        .as_array()
        .and_then(|days| days.iter().find(|d| d["date"] == date.to_string()))
        .unwrap_or_else(|| panic!("no {date} in {stats}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_figures_add_up_per_day_of_the_brands_calendar() {
    let app = spawn_app().await;
    let brand = app.new_brand("chiffres").await;
    let owner = app.as_token(&brand.owner.access_token);
    let program = app
        .new_points_program(
            &brand,
            "Points",
            json!({ "points": 1, "perAmountMinor": 100 }),
        )
        .await;
    let (alice, alice_card) = app
        .enroll(&brand, json!({ "email": "alice@chiffres.example" }))
        .await;
    let (_bruno, bruno_card) = app
        .enroll(&brand, json!({ "email": "bruno@chiffres.example" }))
        .await;
    // Another brand's activity, never counted here.
    let other = app.new_brand("ailleurs").await;
    app.new_points_program(
        &other,
        "Points",
        json!({ "points": 1, "perAmountMinor": 100 }),
    )
    .await;
    let (_, stranger_card) = app
        .enroll(&other, json!({ "email": "x@ailleurs.example" }))
        .await;

    let now = app.now();
    let today = now.with_timezone(&Paris).date_naive();
    let three_days_ago = today - Days::new(3);
    // 23:30 and 00:30 in Paris around the end of that day.
    let late = Paris
        .from_local_datetime(&three_days_ago.and_hms_opt(23, 30, 0).unwrap_or_default())
        .single()
        .unwrap_or_else(|| panic!("a Paris time"))
        .with_timezone(&chrono::Utc);
    let after_midnight = late + Duration::hours(1);

    let buy = |card: Option<&str>, total: i64, at: Option<chrono::DateTime<chrono::Utc>>| {
        let owner = owner.clone();
        let card = card.map(str::to_owned);
        async move {
            let r = owner
                .query(
                    RECORD_PURCHASE,
                    json!({ "i": { "cardNumber": card, "totalMinor": total, "currency": "EUR",
                        "occurredAt": at.map(|t| t.to_rfc3339()) } }),
                )
                .await;
            assert!(r["errors"].is_null(), "{r}");
        }
    };
    buy(Some(&alice_card), 4_250, None).await; // 42 points
    // Three days ago, before the program's rules took effect: no points, but a member purchase.
    buy(Some(&bruno_card), 1_000, Some(late)).await;
    buy(None, 2_000, Some(late)).await;
    buy(None, 500, Some(after_midnight)).await; // the next day in Paris
    let r = app
        .as_token(&other.owner.access_token)
        .query(
            RECORD_PURCHASE,
            json!({ "i": { "cardNumber": stranger_card, "totalMinor": 99_900, "currency": "EUR" } }),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    // Alice spends 30 points on a reward.
    let reward = owner
        .query(
            "mutation($i: CreateRewardInput!) { createReward(input: $i) { id } }",
            json!({ "i": { "programId": program, "name": "Mug", "kind": "GIFT", "pointsCost": 30, "amountMinor": 500 } }),
        )
        .await;
    let redeemed = owner
        .query(
            "mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { code } }",
            json!({ "i": { "memberId": alice, "rewardId": reward["data"]["createReward"]["id"] } }),
        )
        .await;
    assert!(redeemed["errors"].is_null(), "{redeemed}");

    let week = owner
        .query(
            STATS,
            json!({ "from": (today - Days::new(6)).to_string(), "to": today.to_string() }),
        )
        .await;
    let s = &week["data"]["brandStatistics"];
    let t = &s["totals"];
    assert_eq!(s["days"].as_array().map(Vec::len), Some(7), "{week}");
    assert_eq!(
        (
            t["enrolments"].as_i64(),
            t["memberPurchases"].as_i64(),
            t["anonymousPurchases"].as_i64(),
            t["memberRevenueMinor"].as_i64(),
            t["anonymousRevenueMinor"].as_i64(),
        ),
        (Some(2), Some(2), Some(2), Some(5_250), Some(2_500)),
        "{week}"
    );
    assert_eq!(
        (
            t["pointsIssued"].as_i64(),
            t["pointsRedeemed"].as_i64(),
            t["pointsExpired"].as_i64()
        ),
        (Some(42), Some(30), Some(0)),
        "{week}"
    );
    assert_eq!(s["members"], 2, "{week}");
    assert_eq!(s["pointsOutstanding"], 12, "{week}");
    assert_eq!(s["memberCheckoutShareBasisPoints"], 5_000, "{week}");
    assert_eq!(s["averageMemberBasketMinor"], 2_625, "{week}");
    assert_eq!(s["averageAnonymousBasketMinor"], 1_250, "{week}");
    // Days of the Paris calendar.
    let that_day = day(s, three_days_ago);
    assert_eq!(
        (
            that_day["memberRevenueMinor"].as_i64(),
            that_day["anonymousRevenueMinor"].as_i64()
        ),
        (Some(1_000), Some(2_000)),
        "{week}"
    );
    let next_day = day(s, three_days_ago + Days::new(1));
    assert_eq!(next_day["anonymousRevenueMinor"], 500, "{week}");
    assert_eq!(day(s, today)["memberRevenueMinor"], 4_250, "{week}");

    // A period that ends before the late purchases leaves them out.
    let before = owner
        .query(
            STATS,
            json!({ "from": (today - Days::new(30)).to_string(), "to": (three_days_ago - Days::new(1)).to_string() }),
        )
        .await;
    assert_eq!(
        before["data"]["brandStatistics"]["totals"]["anonymousRevenueMinor"], 0,
        "{before}"
    );

    // Bad periods are refused by name; staff may not read the figures.
    let reversed = owner
        .query(
            STATS,
            json!({ "from": today.to_string(), "to": (today - Days::new(1)).to_string() }),
        )
        .await;
    assert_eq!(code_of(&reversed), "VALIDATION", "{reversed}");
    let too_long = owner
        .query(
            STATS,
            json!({ "from": (today - Days::new(400)).to_string(), "to": today.to_string() }),
        )
        .await;
    assert_eq!(code_of(&too_long), "VALIDATION", "{too_long}");
    let staff = app
        .invite(&brand, "staff@chiffres.example", "BRAND_STAFF")
        .await;
    let refused = app
        .as_token(&staff.access_token)
        .query(
            STATS,
            json!({ "from": today.to_string(), "to": today.to_string() }),
        )
        .await;
    assert_eq!(code_of(&refused), "FORBIDDEN", "{refused}");
}
