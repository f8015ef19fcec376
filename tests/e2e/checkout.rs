//! The checkout's explanation: `recordPurchase` says which step applied, with its amounts, and
//! which did not, with the reason, in the brand's language; a replay explains the same.

use fidelis_tests::{TestApp, TestBrand, spawn_app};
use serde_json::{Value, json};

const BUY: &str = "mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) {
    purchase { pointsEarned } membershipDiscountMinor amountDueMinor
    explanation { step applied programName label amountMinor points reason note } } }";

async fn buy(app: &TestApp, brand: &TestBrand, input: Value) -> Value {
    let resp = app
        .as_token(&brand.owner.access_token)
        .query(BUY, json!({ "i": input }))
        .await;
    assert!(resp["errors"].is_null(), "{resp}");
    resp["data"]["recordPurchase"].clone()
}

fn steps(payload: &Value) -> Vec<(String, bool, String, Option<String>)> {
    payload["explanation"]
        .as_array()
        .unwrap_or_else(|| panic!("no explanation: {payload}"))
        .iter()
        .map(|s| {
            (
                s["step"].as_str().unwrap_or_default().to_owned(),
                s["applied"].as_bool().unwrap_or_default(),
                s["programName"].as_str().unwrap_or_default().to_owned(),
                s["reason"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_purchase_explains_each_step_that_applied_and_why_the_others_did_not() {
    let app = spawn_app().await;
    let brand = app.new_brand("explained").await;
    let owner = app.as_token(&brand.owner.access_token);
    // 1 point per 1.00, from 20.00, wine excluded.
    app.new_points_program(
        &brand,
        "Points",
        json!({ "points": 1, "perAmountMinor": 100, "minimumPurchaseMinor": 2_000,
                "categoryMultipliers": [{ "category": "wine", "percent": 0 }] }),
    )
    .await;
    let club = owner
        .query(
            "mutation($i: CreateProgramInput!) { createProgram(input: $i) { id } }",
            json!({ "i": { "name": "Premium", "rules": { "membership": {
                "feeMinor": 4_900, "period": "YEARLY", "discountPercent": 10,
                "pointsMultiplierPercent": 200, "perks": [] } } } }),
        )
        .await;
    let club = club["data"]["createProgram"]["id"].clone();
    let (member, card) = app
        .enroll(&brand, json!({ "email": "e@explained.example" }))
        .await;

    // Not a paying member yet: the membership step says so; 30.00 of food earns 30 points,
    // the wine nothing.
    let basket = json!({ "cardNumber": card, "totalMinor": 4_000, "currency": "EUR",
        "idempotencyKey": "till-1",
        "lines": [{ "sku": "F", "category": "food", "quantity": 1, "unitPriceMinor": 3_000 },
                  { "sku": "W", "category": "wine", "quantity": 1, "unitPriceMinor": 1_000 }] });
    let first = buy(&app, &brand, basket.clone()).await;
    assert_eq!(
        steps(&first),
        [
            (
                "MEMBERSHIP_DISCOUNT".into(),
                false,
                "Premium".into(),
                Some("NO_PAID_MEMBERSHIP".into())
            ),
            ("EARNING".into(), true, "Points".into(), None),
        ],
        "{first}"
    );
    assert_eq!(first["explanation"][1]["points"], 30);
    assert_eq!(
        first["explanation"][0]["note"],
        "pas d'adhésion payée à la date de l'achat"
    );
    // A replay explains exactly what the first call did.
    assert_eq!(buy(&app, &brand, basket).await, first);

    // Paying member: 10 % off 40.00, then points doubled on the 36.00 paid, of which food
    // is 27.00 → 54 points.
    let paid = owner
        .query(
            "mutation($i: PayMembershipInput!) { payMembership(input: $i) { id } }",
            json!({ "i": { "memberId": member, "programId": club, "paymentReference": "PSP-1" } }),
        )
        .await;
    assert!(paid["errors"].is_null(), "{paid}");
    let second = buy(
        &app,
        &brand,
        json!({ "cardNumber": card, "totalMinor": 4_000, "currency": "EUR",
        "lines": [{ "sku": "F", "category": "food", "quantity": 1, "unitPriceMinor": 3_000 },
                  { "sku": "W", "category": "wine", "quantity": 1, "unitPriceMinor": 1_000 }] }),
    )
    .await;
    assert_eq!(
        steps(&second),
        [
            ("MEMBERSHIP_DISCOUNT".into(), true, "Premium".into(), None),
            ("EARNING".into(), true, "Points".into(), None),
        ],
        "{second}"
    );
    assert_eq!(second["explanation"][0]["amountMinor"], 400);
    assert_eq!(second["explanation"][1]["points"], 54);
    assert_eq!(second["purchase"]["pointsEarned"], 54);
    assert_eq!(second["amountDueMinor"], 3_600);

    // Below the minimum, only wine, and nobody known: each says why nothing was earned.
    let small = buy(
        &app,
        &brand,
        json!({ "cardNumber": card, "totalMinor": 1_500, "currency": "EUR" }),
    )
    .await;
    assert_eq!(
        small["explanation"][1]["reason"], "MINIMUM_BASKET_NOT_REACHED",
        "{small}"
    );
    assert_eq!(
        small["explanation"][1]["note"],
        "panier minimum non atteint"
    );
    let wine = buy(
        &app,
        &brand,
        json!({ "cardNumber": card, "totalMinor": 5_000, "currency": "EUR",
        "lines": [{ "sku": "W", "category": "wine", "quantity": 5, "unitPriceMinor": 1_000 }] }),
    )
    .await;
    assert_eq!(
        wine["explanation"][1]["reason"], "CATEGORY_EXCLUDED",
        "{wine}"
    );
    let anonymous = buy(
        &app,
        &brand,
        json!({ "totalMinor": 5_000, "currency": "EUR" }),
    )
    .await;
    assert_eq!(
        steps(&anonymous),
        [(
            "EARNING".into(),
            false,
            String::new(),
            Some("NO_MEMBER".into())
        )],
        "{anonymous}"
    );
}
