//! Returns reverse exactly what the returned part earned, never more, never twice.

use fidelis_tests::{RECORD_PURCHASE, TestApp, TestBrand, code_of, field_of, spawn_app};
use serde_json::{Value, json};

const RETURN: &str = "mutation($i: RecordReturnInput!) { recordReturn(input: $i) { pointsReversed pointsToDebt purchase { lines { lineNo returnedQuantity } } } }";

/// A member with a 4-point purchase: 2 bottles of wine (3 points) and bread (1 point).
async fn bought(app: &TestApp, slug: &str) -> (TestBrand, String, String) {
    let brand = app.new_brand(slug).await;
    app.new_points_program(&brand, "Points", json!({})).await;
    let (member, card) = app
        .enroll(&brand, json!({ "email": format!("m@{slug}.example") }))
        .await;
    let resp = app
        .as_token(&brand.owner.access_token)
        .query(
            RECORD_PURCHASE,
            json!({ "i": { "cardNumber": card, "totalMinor": 4_000, "currency": "EUR", "lines": [
                { "sku": "VIN", "quantity": 2, "unitPriceMinor": 1_500 },
                { "sku": "PAIN", "quantity": 1, "unitPriceMinor": 1_000 }
            ]}}),
        )
        .await;
    let purchase = resp["data"]["recordPurchase"]["purchase"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{resp}"))
        .to_owned();
    assert_eq!(
        resp["data"]["recordPurchase"]["purchase"]["pointsEarned"],
        4
    );
    (brand, member, purchase)
}

fn ret(purchase: &str, lines: Value, key: Option<&str>) -> Value {
    json!({ "i": { "purchaseId": purchase, "lines": lines, "idempotencyKey": key } })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_partial_return_reverses_its_share_and_the_whole_never_more_than_was_earned() {
    let app = spawn_app().await;
    let (brand, member, purchase) = bought(&app, "retour").await;
    let owner = app.as_token(&brand.owner.access_token);

    let one_bottle = owner
        .query(
            RETURN,
            ret(&purchase, json!([{ "lineNo": 1, "quantity": 1 }]), None),
        )
        .await;
    assert_eq!(
        one_bottle["data"]["recordReturn"]["pointsReversed"], 1,
        "{one_bottle}"
    );
    assert_eq!(app.points(&brand, &member).await, 3);
    let second = owner
        .query(
            RETURN,
            ret(&purchase, json!([{ "lineNo": 1, "quantity": 1 }]), None),
        )
        .await;
    assert_eq!(
        second["data"]["recordReturn"]["pointsReversed"], 2,
        "{second}"
    );
    let too_many = owner
        .query(
            RETURN,
            ret(&purchase, json!([{ "lineNo": 1, "quantity": 1 }]), None),
        )
        .await;
    assert_eq!(
        (code_of(&too_many), field_of(&too_many)),
        ("VALIDATION", "input.lines.quantity"),
        "{too_many}"
    );
    let unknown_line = owner
        .query(
            RETURN,
            ret(&purchase, json!([{ "lineNo": 9, "quantity": 1 }]), None),
        )
        .await;
    assert_eq!(
        field_of(&unknown_line),
        "input.lines.lineNo",
        "{unknown_line}"
    );

    let rest = owner.query(RETURN, ret(&purchase, json!([]), None)).await;
    assert_eq!(rest["data"]["recordReturn"]["pointsReversed"], 1, "{rest}");
    assert_eq!(
        rest["data"]["recordReturn"]["purchase"]["lines"],
        json!([{ "lineNo": 1, "returnedQuantity": 2 }, { "lineNo": 2, "returnedQuantity": 1 }])
    );
    assert_eq!(app.points(&brand, &member).await, 0);
    let nothing_left = owner.query(RETURN, ret(&purchase, json!([]), None)).await;
    assert_eq!(code_of(&nothing_left), "CONFLICT", "{nothing_left}");
    let report = app.db_verify_ledger().await;
    assert!(report.is_sound(), "{report:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_return_replayed_or_raced_is_booked_once() {
    let app = spawn_app().await;
    let (brand, member, purchase) = bought(&app, "course-retour").await;
    let owner = app.as_token(&brand.owner.access_token);
    let first = owner
        .query(
            RETURN,
            ret(
                &purchase,
                json!([{ "lineNo": 2, "quantity": 1 }]),
                Some("r-1"),
            ),
        )
        .await;
    let again = owner
        .query(
            RETURN,
            ret(
                &purchase,
                json!([{ "lineNo": 2, "quantity": 1 }]),
                Some("r-1"),
            ),
        )
        .await;
    assert_eq!(
        first["data"]["recordReturn"]["pointsReversed"], 1,
        "{first}"
    );
    assert_eq!(first, again);
    assert_eq!(app.points(&brand, &member).await, 3);

    // Two tills return the same last bottle... twice over: only the units that exist come back.
    let (a, b) = (
        app.as_token(&brand.owner.access_token),
        app.as_token(&brand.owner.access_token),
    );
    let body = ret(&purchase, json!([{ "lineNo": 1, "quantity": 2 }]), None);
    let (ra, rb) = tokio::join!(a.query(RETURN, body.clone()), b.query(RETURN, body));
    let ok = [&ra, &rb]
        .iter()
        .filter(|r| r["data"]["recordReturn"].is_object())
        .count();
    assert_eq!(ok, 1, "{ra} {rb}");
    // The other one is told, typed, that the units are not there any more.
    let loser = if ra["data"]["recordReturn"].is_object() {
        &rb
    } else {
        &ra
    };
    assert_eq!(
        (code_of(loser), field_of(loser)),
        ("VALIDATION", "input.lines.quantity"),
        "{loser}"
    );
    assert_eq!(app.points(&brand, &member).await, 0);
    assert!(app.db_verify_ledger().await.is_sound());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_anonymous_return_records_quantities_and_reverses_nothing() {
    let app = spawn_app().await;
    let brand = app.new_brand("anon-retour").await;
    let owner = app.as_token(&brand.owner.access_token);
    let resp = owner
        .query(
            RECORD_PURCHASE,
            json!({ "i": { "totalMinor": 1_000, "currency": "EUR", "lines": [{ "sku": "A", "unitPriceMinor": 1_000 }] } }),
        )
        .await;
    let purchase = resp["data"]["recordPurchase"]["purchase"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let back = owner.query(RETURN, ret(&purchase, json!([]), None)).await;
    assert_eq!(back["data"]["recordReturn"]["pointsReversed"], 0, "{back}");
    assert_eq!(
        back["data"]["recordReturn"]["purchase"]["lines"][0]["returnedQuantity"],
        1
    );
    let other = app.new_brand("autre-retour").await;
    let foreign = app
        .as_token(&other.owner.access_token)
        .query(RETURN, ret(&purchase, json!([]), None))
        .await;
    assert_eq!(code_of(&foreign), "NOT_FOUND", "{foreign}");
}
