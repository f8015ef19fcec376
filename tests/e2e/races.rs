//! Races that race: batches of 12 concurrent requests on one voucher, one reward's stock, one
//! purchase line, one member's points, repeated round after round, each asserting the exact
//! number of winners, the typed code of every loser and the totals; and two real workers over
//! hundreds of rows (expiry, campaign delivery, transactional mail), each row handled once.
//!
//! On SQLite every write transaction starts with `BEGIN IMMEDIATE`, so these requests queue and
//! the races there prove only that nothing breaks under queueing; PostgreSQL runs them side by
//! side, and only there do they prove the row locks and conditional updates (8 rounds on
//! SQLite, 20 on PostgreSQL).

use chrono::{Duration, Utc};
use fidelis_tests::{CREATE_PROGRAM, RECORD_PURCHASE, TestApp, TestBrand, code_of, spawn_app};
use futures_util::future::join_all;
use serde_json::{Value, json};

const BATCH: usize = 12;

fn rounds() -> usize {
    if std::env::var_os(fidelis_tests::db::PG_ENV).is_some() {
        20
    } else {
        8
    }
}

/// Splits answers into winners and the codes (and messages) of the losers.
fn tally(answers: &[Value], data: &str) -> (usize, Vec<(String, String)>) {
    let wins = answers
        .iter()
        .filter(|r| r["data"][data].is_object())
        .count();
    let losers = answers
        .iter()
        .filter(|r| !r["data"][data].is_object())
        .map(|r| {
            (
                code_of(r).to_owned(),
                r["errors"][0]["message"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    (wins, losers)
}

async fn brand_with_points(app: &TestApp, slug: &str) -> (TestBrand, String) {
    let brand = app.new_brand(slug).await;
    let program = app
        .new_points_program(&brand, "Points", json!({ "minimumRedemptionPoints": 1 }))
        .await;
    (brand, program)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_single_use_voucher_is_used_once_however_many_tills_present_it() {
    let app = spawn_app().await;
    let (brand, _) = brand_with_points(&app, "course-bon").await;
    let owner = app.as_token(&brand.owner.access_token);
    for round in 0..rounds() {
        let v = owner
            .query("mutation($i: IssueVoucherInput!) { issueVoucher(input: $i) { code } }",
                json!({ "i": { "amountMinor": 500, "validUntil": (Utc::now() + Duration::days(1)).to_rfc3339() } }))
            .await;
        let code = v["data"]["issueVoucher"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("{v}"))
            .to_owned();
        let answers = join_all((0..BATCH).map(|_| {
            owner.query(
                RECORD_PURCHASE,
                json!({ "i": { "totalMinor": 2_000, "currency": "EUR", "voucherCodes": [code] } }),
            )
        }))
        .await;
        let (wins, losers) = tally(&answers, "recordPurchase");
        assert_eq!(wins, 1, "round {round}: {answers:?}");
        for (code, message) in &losers {
            assert_eq!(code, "CONFLICT", "round {round}: {message}");
            assert!(message.contains("already used"), "round {round}: {message}");
        }
    }
    assert!(app.db_verify_ledger().await.is_sound());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rewards_stock_is_never_oversold() {
    let app = spawn_app().await;
    let (brand, program) = brand_with_points(&app, "course-stock").await;
    let owner = app.as_token(&brand.owner.access_token);
    let mut members = Vec::new();
    for i in 0..BATCH {
        let (member, card) = app
            .enroll(&brand, json!({ "email": format!("s{i}@stock.example") }))
            .await;
        // 1000.00 spent: 100 points each, enough for several rewards.
        let r = owner
            .query(
                RECORD_PURCHASE,
                json!({ "i": { "cardNumber": card, "totalMinor": 100_000, "currency": "EUR" } }),
            )
            .await;
        assert!(r["errors"].is_null(), "{r}");
        members.push(member);
    }
    for round in 0..rounds() {
        let reward = owner
            .query(
                "mutation($i: CreateRewardInput!) { createReward(input: $i) { id } }",
                json!({ "i": { "programId": program, "name": format!("Mug {round}"), "kind": "GIFT", "pointsCost": 1, "amountMinor": 800, "stock": 3, "perMemberLimit": 5 } }),
            )
            .await["data"]["createReward"]["id"]
            .clone();
        assert!(reward.is_string());
        let answers = join_all(members.iter().map(|m| {
            owner.query(
                "mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { code } }",
                json!({ "i": { "memberId": m, "rewardId": reward } }),
            )
        }))
        .await;
        let (wins, losers) = tally(&answers, "redeemReward");
        assert_eq!(wins, 3, "round {round}: {answers:?}");
        for (code, message) in &losers {
            assert_eq!(code, "CONFLICT", "round {round}: {message}");
            assert!(message.contains("out of stock"), "round {round}: {message}");
        }
    }
    assert!(app.db_verify_ledger().await.is_sound());
}

#[tokio::test(flavor = "multi_thread")]
async fn units_of_a_line_come_back_once_each_and_add_up_to_what_they_earned() {
    let app = spawn_app().await;
    let (brand, _) = brand_with_points(&app, "course-ligne").await;
    let owner = app.as_token(&brand.owner.access_token);
    for round in 0..rounds() {
        let (member, card) = app
            .enroll(
                &brand,
                json!({ "email": format!("l{round}@ligne.example") }),
            )
            .await;
        // 10 units of 33.33: 333.30 earns 33 points.
        let bought = owner
            .query(
                RECORD_PURCHASE,
                json!({ "i": { "cardNumber": card, "totalMinor": 33_330, "currency": "EUR",
                "lines": [{ "sku": "X", "quantity": 10, "unitPriceMinor": 3_333 }] } }),
            )
            .await;
        let id = bought["data"]["recordPurchase"]["purchase"]["id"].clone();
        assert_eq!(
            bought["data"]["recordPurchase"]["purchase"]["pointsEarned"], 33,
            "{bought}"
        );
        let answers = join_all((0..BATCH).map(|_| {
            owner.query(
                "mutation($i: RecordReturnInput!) { recordReturn(input: $i) { pointsReversed pointsToDebt } }",
                json!({ "i": { "purchaseId": id, "lines": [{ "lineNo": 1, "quantity": 1 }] } }),
            )
        }))
        .await;
        let (wins, losers) = tally(&answers, "recordReturn");
        assert_eq!(wins, 10, "round {round}: {answers:?}");
        for (code, message) in &losers {
            assert_eq!(code, "VALIDATION", "round {round}: {message}");
        }
        let reversed: i64 = answers
            .iter()
            .map(|r| {
                r["data"]["recordReturn"]["pointsReversed"]
                    .as_i64()
                    .unwrap_or(0)
            })
            .sum();
        assert_eq!(reversed, 33, "round {round}: {answers:?}");
        assert_eq!(app.points(&brand, &member).await, 0, "round {round}");
    }
    assert!(app.db_verify_ledger().await.is_sound());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_members_points_are_spent_once_however_many_conversions_race() {
    let app = spawn_app().await;
    let (brand, program) = brand_with_points(&app, "course-points").await;
    let owner = app.as_token(&brand.owner.access_token);
    for round in 0..rounds() {
        let (member, card) = app
            .enroll(
                &brand,
                json!({ "email": format!("p{round}@points.example") }),
            )
            .await;
        // 50 points in two lots.
        for total in [30_000, 20_000] {
            owner
                .query(
                    RECORD_PURCHASE,
                    json!({ "i": { "cardNumber": card, "totalMinor": total, "currency": "EUR" } }),
                )
                .await;
        }
        let answers = join_all((0..BATCH).map(|_| {
            owner.query(
                "mutation($i: ConvertPointsInput!) { convertPointsToVoucher(input: $i) { code } }",
                json!({ "i": { "memberId": member, "programId": program, "points": 10 } }),
            )
        }))
        .await;
        let (wins, losers) = tally(&answers, "convertPointsToVoucher");
        assert_eq!(wins, 5, "round {round}: {answers:?}");
        for (code, _) in &losers {
            assert_eq!(code, "INSUFFICIENT_BALANCE", "round {round}");
        }
        assert_eq!(app.points(&brand, &member).await, 0, "round {round}");
    }
    assert!(app.db_verify_ledger().await.is_sound());
}

/// A return racing the conversion of the same points: whichever goes first, the member ends
/// with what one order gives (returned points taken or owed, converted points spent once).
#[tokio::test(flavor = "multi_thread")]
async fn a_return_racing_a_spend_of_the_same_points_books_one_order_or_the_other() {
    let app = spawn_app().await;
    let (brand, program) = brand_with_points(&app, "course-retour").await;
    let owner = app.as_token(&brand.owner.access_token);
    for round in 0..rounds() {
        let (member, card) = app
            .enroll(
                &brand,
                json!({ "email": format!("r{round}@retour.example") }),
            )
            .await;
        // 40 points from one purchase of 4 units.
        let bought = owner
            .query(
                RECORD_PURCHASE,
                json!({ "i": { "cardNumber": card, "totalMinor": 40_000, "currency": "EUR",
                "lines": [{ "sku": "X", "quantity": 4, "unitPriceMinor": 10_000 }] } }),
            )
            .await;
        let id = bought["data"]["recordPurchase"]["purchase"]["id"].clone();
        let (r, c) = tokio::join!(
            owner.query(
                "mutation($i: RecordReturnInput!) { recordReturn(input: $i) { pointsReversed pointsToDebt } }",
                json!({ "i": { "purchaseId": id, "lines": [{ "lineNo": 1, "quantity": 2 }] } }),
            ),
            owner.query(
                "mutation($i: ConvertPointsInput!) { convertPointsToVoucher(input: $i) { code } }",
                json!({ "i": { "memberId": member, "programId": program, "points": 35 } }),
            )
        );
        assert!(r["errors"].is_null(), "round {round}: {r}");
        let debt_view = owner
            .query(
                "query($id: ID!) { member(id: $id) { points { available debt } } }",
                json!({ "id": member }),
            )
            .await;
        let p = &debt_view["data"]["member"]["points"][0];
        let (available, debt) = (
            p["available"].as_i64().unwrap_or(-1),
            p["debt"].as_i64().unwrap_or(-1),
        );
        if c["data"]["convertPointsToVoucher"].is_object() {
            // Converted first (35 of 40), then 20 returned: 5 taken, 15 owed...
            // ...or returned first (20 of 40), then 35 could not be converted: refused.
            assert_eq!((available, debt), (0, 15), "round {round}: {r} {c}");
            assert_eq!(r["data"]["recordReturn"]["pointsToDebt"], 15);
        } else {
            assert_eq!(code_of(&c), "INSUFFICIENT_BALANCE", "round {round}: {c}");
            assert_eq!((available, debt), (20, 0), "round {round}: {r} {c}");
        }
    }
    assert!(app.db_verify_ledger().await.is_sound());
}

/// Two expiry workers over 300 due lots: each lot expires once.
#[tokio::test(flavor = "multi_thread")]
async fn two_expiry_workers_book_each_of_hundreds_of_lots_once() {
    let app = spawn_app().await;
    let brand = app.new_brand("course-expire").await;
    let owner = app.as_token(&brand.owner.access_token);
    let since = (Utc::now() - Duration::days(800)).to_rfc3339();
    owner
        .query(CREATE_PROGRAM, json!({ "i": { "name": "P", "effectiveFrom": since, "rules": { "points": { "validityMonths": 12 } } } }))
        .await;
    let old = (Utc::now() - Duration::days(400)).to_rfc3339();
    let mut cards = Vec::new();
    for i in 0..20 {
        cards.push(
            app.enroll(&brand, json!({ "email": format!("e{i}@expire.example") }))
                .await
                .1,
        );
    }
    let purchases: Vec<(String, String)> = cards
        .iter()
        .flat_map(|card| (0..15).map(|_| (card.clone(), old.clone())))
        .collect();
    for chunk in purchases.chunks(25) {
        for r in join_all(chunk.iter().map(|(card, at)| {
            owner.query(RECORD_PURCHASE, json!({ "i": { "cardNumber": card, "totalMinor": 1_000, "currency": "EUR", "occurredAt": at } }))
        }))
        .await
        {
            assert!(r["errors"].is_null(), "{r}");
        }
    }
    let db = app.state.base.db.clone();
    let (a, b) = tokio::join!(
        fidelis::loyalty::jobs::expiry::run_once(&db, Utc::now()),
        fidelis::loyalty::jobs::expiry::run_once(&db, Utc::now())
    );
    let (a, b) = (
        a.unwrap_or_else(|e| panic!("{e:?}")),
        b.unwrap_or_else(|e| panic!("{e:?}")),
    );
    assert_eq!(
        (a.lots + b.lots, a.points + b.points),
        (300, 300),
        "{a:?} {b:?}"
    );
    let report = app.db_verify_ledger().await;
    assert!(report.is_sound(), "{report:?}");
    assert_eq!(report.transactions, 600, "300 earnings, 300 expiries");
}

/// Two mail workers over a campaign of 240 members and their 240 welcome mails: every member
/// gets each mail once.
#[tokio::test(flavor = "multi_thread")]
async fn two_mail_workers_deliver_each_of_hundreds_of_mails_once() {
    let app = spawn_app().await;
    let brand = app.new_brand("course-mail").await;
    let owner = app.as_token(&brand.owner.access_token);
    owner
        .query("mutation($i: MailSettingsInput!) { updateMailSettings(input: $i) { saved } }",
            json!({ "i": { "fromName": "Course", "fromAddress": "news@course.example", "sendRatePerMinute": 100000 } }))
        .await;
    let indexes: Vec<usize> = (0..240).collect();
    for chunk in indexes.chunks(24) {
        join_all(chunk.iter().map(|i| {
            app.enroll(&brand, json!({ "email": format!("c{i}@course.example"), "emailConsent": true, "consentSource": "form" }))
        }))
        .await;
    }
    let t = owner
        .query("mutation($i: EmailTemplateInput!) { createEmailTemplate(input: $i) { id } }",
            json!({ "i": { "name": "N", "subject": "Nouvelles", "text": "Bonjour {{ member.first_name }}" } }))
        .await;
    let c = owner
        .query(
            "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id } }",
            json!({ "i": { "name": "C", "templateId": t["data"]["createEmailTemplate"]["id"] } }),
        )
        .await;
    owner
        .query(
            "mutation($id: ID!) { sendCampaign(id: $id) { status } }",
            json!({ "id": c["data"]["createCampaign"]["id"] }),
        )
        .await;
    let worker = |state: std::sync::Arc<fidelis::core::deps::Deps>| async move {
        for _ in 0..5 {
            fidelis::engagement::campaigns::run_once(
                &state.base,
                &state.links,
                &state.post,
                Utc::now(),
                None,
            )
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
            fidelis::engagement::transactional::run_once(
                &state.base,
                &state.links,
                &state.post,
                Utc::now(),
            )
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        }
    };
    tokio::join!(worker(app.state.clone()), worker(app.state.clone()));
    let mails = app.smtp.all().await;
    for i in 0..240 {
        let to = format!("c{i}@course.example");
        let mine: Vec<String> = mails
            .iter()
            .filter(|m| m.to.contains(&to))
            .map(|m| m.subject())
            .collect();
        assert_eq!(mine.len(), 2, "{to}: {mine:?}");
        assert!(mine.iter().any(|s| s == "Nouvelles"), "{to}: {mine:?}");
        assert!(
            mine.iter().any(|s| s.starts_with("Bienvenue")),
            "{to}: {mine:?}"
        );
    }
}
