//! Points into vouchers, vouchers at the checkout, and what concurrency must never allow.

use fidelis_tests::{RECORD_PURCHASE, TestApp, TestBrand, code_of, field_of, spawn_app};
use serde_json::{Value, json};

const CONVERT: &str = "mutation($i: ConvertPointsInput!) { convertPointsToVoucher(input: $i) { code amountMinor pointsCost status } }";

/// A brand with a 1 point / 10.00 program (1 point = 1.00, at least 25 to convert), and a
/// member who spent `spent_minor`.
async fn member_with(
    app: &TestApp,
    slug: &str,
    spent_minor: i64,
) -> (TestBrand, String, String, String, String) {
    let brand = app.new_brand(slug).await;
    let program = app.new_points_program(&brand, "Points", json!({})).await;
    let (member, card) = app
        .enroll(&brand, json!({ "email": format!("m@{slug}.example") }))
        .await;
    let resp = app
        .as_token(&brand.owner.access_token)
        .query(
            RECORD_PURCHASE,
            json!({ "i": { "cardNumber": card, "totalMinor": spent_minor, "currency": "EUR" } }),
        )
        .await;
    let purchase = resp["data"]["recordPurchase"]["purchase"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{resp}"))
        .to_owned();
    (brand, program, member, card, purchase)
}

fn convert(member: &str, program: &str, points: Value, amount: Value) -> Value {
    json!({ "i": { "memberId": member, "programId": program, "points": points, "amountMinor": amount } })
}

#[tokio::test(flavor = "multi_thread")]
async fn points_become_a_voucher_at_their_value_with_prices_rounded_up_and_a_minimum() {
    let app = spawn_app().await;
    let (brand, program, member, _, _) = member_with(&app, "bons", 70_000).await;
    let owner = app.as_token(&brand.owner.access_token);
    let v = owner
        .query(CONVERT, convert(&member, &program, json!(25), Value::Null))
        .await;
    assert_eq!(
        v["data"]["convertPointsToVoucher"]["amountMinor"], 2_500,
        "{v}"
    );
    assert_eq!(v["data"]["convertPointsToVoucher"]["status"], "ACTIVE");
    let priced = owner
        .query(
            CONVERT,
            convert(&member, &program, Value::Null, json!(2_995)),
        )
        .await;
    assert_eq!(
        priced["data"]["convertPointsToVoucher"]["pointsCost"], 30,
        "29.95 costs 30 points: {priced}"
    );
    assert_eq!(app.points(&brand, &member).await, 70 - 25 - 30);

    let small = owner
        .query(CONVERT, convert(&member, &program, json!(24), Value::Null))
        .await;
    assert_eq!(
        (code_of(&small), field_of(&small)),
        ("VALIDATION", "input.points"),
        "{small}"
    );
    let too_much = owner
        .query(CONVERT, convert(&member, &program, json!(30), Value::Null))
        .await;
    assert_eq!(code_of(&too_much), "INSUFFICIENT_BALANCE", "{too_much}");
    let both = owner
        .query(CONVERT, convert(&member, &program, json!(25), json!(2_500)))
        .await;
    assert_eq!(code_of(&both), "VALIDATION", "{both}");
    assert_eq!(app.points(&brand, &member).await, 15);
    assert!(app.db_verify_ledger().await.is_sound());
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_conversions_never_overdraw_the_balance() {
    let app = spawn_app().await;
    let (brand, program, member, _, _) = member_with(&app, "concurrence", 30_000).await;
    let c: Vec<_> = (0..4)
        .map(|_| app.as_token(&brand.owner.access_token))
        .collect();
    let body = || convert(&member, &program, json!(25), Value::Null);
    let (r0, r1, r2, r3) = tokio::join!(
        c[0].query(CONVERT, body()),
        c[1].query(CONVERT, body()),
        c[2].query(CONVERT, body()),
        c[3].query(CONVERT, body())
    );
    let results = [r0, r1, r2, r3];
    let won = results
        .iter()
        .filter(|r| r["data"]["convertPointsToVoucher"].is_object())
        .count();
    let refused = results
        .iter()
        .filter(|r| code_of(r) == "INSUFFICIENT_BALANCE")
        .count();
    assert_eq!((won, refused), (1, 3), "{results:?}");
    assert_eq!(app.points(&brand, &member).await, 5);
    let report = app.db_verify_ledger().await;
    assert!(report.is_sound(), "{report:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_voucher_pays_part_of_a_basket_that_then_earns_points_on_the_rest_only_and_works_once() {
    let app = spawn_app().await;
    let (brand, program, member, card, _) = member_with(&app, "caisse-bon", 25_000).await;
    let owner = app.as_token(&brand.owner.access_token);
    let code = owner
        .query(CONVERT, convert(&member, &program, json!(25), Value::Null))
        .await["data"]["convertPointsToVoucher"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let basket = |key: &str, code: &str| json!({ "i": { "cardNumber": card, "totalMinor": 10_000, "currency": "EUR", "voucherCodes": [code.to_lowercase()], "idempotencyKey": key } });
    let q = "mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { amountDueMinor vouchers { code discountMinor } purchase { pointsEarned } } }";
    let paid = owner.query(q, basket("k1", &code)).await;
    let p = &paid["data"]["recordPurchase"];
    assert_eq!(p["vouchers"][0]["discountMinor"], 2_500, "{paid}");
    assert_eq!(p["amountDueMinor"], 7_500);
    assert_eq!(
        p["purchase"]["pointsEarned"], 7,
        "75.00 earns 7 points, the voucher part nothing"
    );
    let again = owner.query(q, basket("k2", &code)).await;
    assert_eq!(code_of(&again), "CONFLICT", "{again}");
    let alone = owner
        .query(
            "mutation($c: String!) { redeemVoucher(code: $c) { status } }",
            json!({ "c": code }),
        )
        .await;
    assert_eq!(code_of(&alone), "CONFLICT", "{alone}");
    // The refused purchase booked nothing.
    assert_eq!(app.points(&brand, &member).await, 7);

    // Someone else's personal voucher is refused.
    let (_, second_card) = app
        .enroll(&brand, json!({ "email": "third@caisse-bon.example" }))
        .await;
    let fresh = {
        owner
            .query(
                RECORD_PURCHASE,
                json!({ "i": { "cardNumber": card, "totalMinor": 30_000, "currency": "EUR" } }),
            )
            .await;
        owner
            .query(CONVERT, convert(&member, &program, json!(25), Value::Null))
            .await["data"]["convertPointsToVoucher"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let stolen = owner
        .query(
            RECORD_PURCHASE,
            json!({ "i": { "cardNumber": second_card, "totalMinor": 5_000, "currency": "EUR", "voucherCodes": [fresh] } }),
        )
        .await;
    assert_eq!(code_of(&stolen), "CONFLICT", "{stolen}");
    let used = owner
        .query(
            "mutation($c: String!) { redeemVoucher(code: $c) { status uses } }",
            json!({ "c": fresh }),
        )
        .await;
    assert_eq!(used["data"]["redeemVoucher"]["status"], "USED", "{used}");
    assert!(app.db_verify_ledger().await.is_sound());
}

#[tokio::test(flavor = "multi_thread")]
async fn returning_a_purchase_whose_points_were_spent_records_a_debt_repaid_by_the_next_earnings() {
    let app = spawn_app().await;
    let (brand, program, member, card, purchase) = member_with(&app, "dette", 30_000).await;
    let owner = app.as_token(&brand.owner.access_token);
    owner
        .query(CONVERT, convert(&member, &program, json!(25), Value::Null))
        .await;
    let back = owner
        .query(
            "mutation($i: RecordReturnInput!) { recordReturn(input: $i) { pointsReversed pointsToDebt } }",
            json!({ "i": { "purchaseId": purchase } }),
        )
        .await;
    assert_eq!(
        back["data"]["recordReturn"],
        json!({ "pointsReversed": 5, "pointsToDebt": 25 }),
        "{back}"
    );
    let balance = |app: &TestApp| {
        let owner = app.as_token(&brand.owner.access_token);
        let member = member.clone();
        async move {
            let r = owner
                .query(
                    "query($id: ID!) { member(id: $id) { points { available debt } } }",
                    json!({ "id": member }),
                )
                .await;
            (
                r["data"]["member"]["points"][0]["available"].as_i64(),
                r["data"]["member"]["points"][0]["debt"].as_i64(),
            )
        }
    };
    assert_eq!(balance(&app).await, (Some(0), Some(25)));
    owner
        .query(
            RECORD_PURCHASE,
            json!({ "i": { "cardNumber": card, "totalMinor": 10_000, "currency": "EUR" } }),
        )
        .await;
    assert_eq!(
        balance(&app).await,
        (Some(0), Some(15)),
        "10 points repay the debt first"
    );
    owner
        .query(
            RECORD_PURCHASE,
            json!({ "i": { "cardNumber": card, "totalMinor": 20_000, "currency": "EUR" } }),
        )
        .await;
    assert_eq!(balance(&app).await, (Some(5), Some(0)));
    let history = owner
        .query(
            "query($id: ID!) { member(id: $id) { history(first: 10) { edges { node { kind points reason } } } } }",
            json!({ "id": member }),
        )
        .await;
    let moves: Vec<(String, i64)> = history["data"]["member"]["history"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["node"]["kind"].as_str().unwrap_or_default().to_owned(),
                e["node"]["points"].as_i64().unwrap_or(i64::MIN),
            )
        })
        .collect();
    let expected: Vec<(String, i64)> = [
        ("EARN", 30),
        ("REDEEM", -25),
        ("RETURN", -5),
        ("EARN", 0),
        ("EARN", 5),
    ]
    .iter()
    .map(|(k, p)| ((*k).to_owned(), *p))
    .collect();
    assert_eq!(moves, expected, "{history}");
    let report = app.db_verify_ledger().await;
    assert!(report.is_sound(), "{report:?}");
}
