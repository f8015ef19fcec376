//! Stored value: top-up, spend at the checkout, refund; never below zero, never twice.

use fidelis_tests::{CREATE_PROGRAM, TestApp, TestBrand, code_of, field_of, spawn_app};
use serde_json::{Value, json};

const TOP_UP: &str =
    "mutation($i: StoredValueInput!) { topUpStoredValue(input: $i) { balanceMinor } }";
const REFUND: &str =
    "mutation($i: StoredValueInput!) { refundStoredValue(input: $i) { balanceMinor } }";
const PAY: &str = "mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { amountDueMinor storedValueMinor purchase { id pointsEarned } } }";

async fn setup(app: &TestApp, slug: &str) -> (TestBrand, String, String, String) {
    let brand = app.new_brand(slug).await;
    app.new_points_program(&brand, "Points", json!({})).await;
    let resp = app
        .as_token(&brand.owner.access_token)
        .query(CREATE_PROGRAM, json!({ "i": { "name": "Carte cadeau", "rules": { "storedValue": { "maxBalanceMinor": 20_000, "minTopUpMinor": 1_000 } } } }))
        .await;
    let program = resp["data"]["createProgram"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{resp}"))
        .to_owned();
    let (member, card) = app
        .enroll(&brand, json!({ "email": format!("m@{slug}.example") }))
        .await;
    (brand, program, member, card)
}

fn movement(member: &str, program: &str, amount: i64, key: Option<&str>) -> Value {
    json!({ "i": { "memberId": member, "programId": program, "amountMinor": amount, "reference": "TPE-42", "idempotencyKey": key } })
}

#[tokio::test(flavor = "multi_thread")]
async fn stored_value_is_topped_up_spent_at_the_checkout_and_refunded_without_ever_going_negative()
{
    let app = spawn_app().await;
    let (brand, program, member, card) = setup(&app, "prepaye").await;
    let owner = app.as_token(&brand.owner.access_token);
    let up = owner
        .query(TOP_UP, movement(&member, &program, 10_000, Some("tu-1")))
        .await;
    assert_eq!(
        up["data"]["topUpStoredValue"]["balanceMinor"], 10_000,
        "{up}"
    );
    let replay = owner
        .query(TOP_UP, movement(&member, &program, 10_000, Some("tu-1")))
        .await;
    assert_eq!(replay, up, "a replayed top-up adds nothing");

    let small = owner
        .query(TOP_UP, movement(&member, &program, 500, None))
        .await;
    assert_eq!(
        (code_of(&small), field_of(&small)),
        ("VALIDATION", "input.amountMinor"),
        "{small}"
    );
    let over = owner
        .query(TOP_UP, movement(&member, &program, 10_001, None))
        .await;
    assert_eq!(code_of(&over), "VALIDATION", "{over}");

    let paid = owner
        .query(PAY, json!({ "i": { "cardNumber": card, "totalMinor": 6_000, "currency": "EUR", "storedValueMinor": 4_000 } }))
        .await;
    let p = &paid["data"]["recordPurchase"];
    assert_eq!(
        (p["storedValueMinor"].as_i64(), p["amountDueMinor"].as_i64()),
        (Some(4_000), Some(2_000)),
        "{paid}"
    );
    assert_eq!(
        p["purchase"]["pointsEarned"], 6,
        "stored value is the member's money: it earns"
    );
    let too_much = owner
        .query(PAY, json!({ "i": { "cardNumber": card, "totalMinor": 9_000, "currency": "EUR", "storedValueMinor": 7_000 } }))
        .await;
    assert_eq!(code_of(&too_much), "INSUFFICIENT_BALANCE", "{too_much}");
    let more_than_basket = owner
        .query(PAY, json!({ "i": { "cardNumber": card, "totalMinor": 1_000, "currency": "EUR", "storedValueMinor": 2_000 } }))
        .await;
    assert_eq!(
        field_of(&more_than_basket),
        "input.storedValueMinor",
        "{more_than_basket}"
    );

    let refund_too_much = owner
        .query(REFUND, movement(&member, &program, 6_001, None))
        .await;
    assert_eq!(
        code_of(&refund_too_much),
        "INSUFFICIENT_BALANCE",
        "{refund_too_much}"
    );
    let refunded = owner
        .query(REFUND, movement(&member, &program, 6_000, None))
        .await;
    assert_eq!(
        refunded["data"]["refundStoredValue"]["balanceMinor"], 0,
        "{refunded}"
    );
    let read = owner.query("query($id: ID!) { member(id: $id) { storedValue { balanceMinor } points { available } } }", json!({ "id": member })).await;
    assert_eq!(
        read["data"]["member"]["storedValue"][0]["balanceMinor"], 0,
        "{read}"
    );
    assert_eq!(read["data"]["member"]["points"][0]["available"], 6);
    let report = app.db_verify_ledger().await;
    assert!(report.is_sound(), "{report:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_payments_from_one_stored_value_balance_never_overdraw_it() {
    let app = spawn_app().await;
    let (brand, program, member, card) = setup(&app, "paiements").await;
    let owner = app.as_token(&brand.owner.access_token);
    owner
        .query(TOP_UP, movement(&member, &program, 5_000, None))
        .await;
    let c: Vec<_> = (0..3)
        .map(|_| app.as_token(&brand.owner.access_token))
        .collect();
    let body = || json!({ "i": { "cardNumber": card, "totalMinor": 3_000, "currency": "EUR", "storedValueMinor": 3_000 } });
    let (a, b, d) = tokio::join!(
        c[0].query(PAY, body()),
        c[1].query(PAY, body()),
        c[2].query(PAY, body())
    );
    let paid = [&a, &b, &d]
        .iter()
        .filter(|r| r["data"]["recordPurchase"].is_object())
        .count();
    let refused = [&a, &b, &d]
        .iter()
        .filter(|r| code_of(r) == "INSUFFICIENT_BALANCE")
        .count();
    assert_eq!((paid, refused), (1, 2), "{a} {b} {d}");
    let read = owner
        .query(
            "query($id: ID!) { member(id: $id) { storedValue { balanceMinor } } }",
            json!({ "id": member }),
        )
        .await;
    assert_eq!(
        read["data"]["member"]["storedValue"][0]["balanceMinor"], 2_000,
        "{read}"
    );
    // Returned: the stored value that paid for it goes back to the member, once.
    let purchase = [&a, &b, &d]
        .iter()
        .find_map(|r| r["data"]["recordPurchase"]["purchase"]["id"].as_str())
        .unwrap_or_default()
        .to_owned();
    let returned = owner
        .query(
            "mutation($i: RecordReturnInput!) { recordReturn(input: $i) { storedValueRefundedMinor refundMinor refundDueMinor } }",
            json!({ "i": { "purchaseId": purchase } }),
        )
        .await;
    // 30.00 paid all by stored value: it goes back to the balance, no money at the till.
    assert_eq!(
        returned["data"]["recordReturn"],
        json!({ "storedValueRefundedMinor": 3_000, "refundMinor": 3_000, "refundDueMinor": 0 }),
        "{returned}"
    );
    let read = owner
        .query(
            "query($id: ID!) { member(id: $id) { storedValue { balanceMinor } } }",
            json!({ "id": member }),
        )
        .await;
    assert_eq!(
        read["data"]["member"]["storedValue"][0]["balanceMinor"],
        5_000
    );
    assert!(app.db_verify_ledger().await.is_sound());
}
