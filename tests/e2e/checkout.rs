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

/// Amounts the checkout writes for people (ledger reasons, voucher refusals) follow the
/// currency's own exponent: 1250 JPY is "1250 JPY", not "12.50 JPY"; a 30.00 EUR minimum reads
/// "30.00 EUR", not "3000".
#[tokio::test(flavor = "multi_thread")]
async fn amounts_in_texts_follow_the_currency_exponent() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    let yen = app.new_brand("yen").await;
    let backend = app.state.base.db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => "UPDATE brand SET currency = 'JPY' WHERE id = $1",
        _ => "UPDATE brand SET currency = 'JPY' WHERE id = ?",
    };
    let id = uuid::Uuid::parse_str(&yen.id).unwrap_or_else(|e| panic!("{e}"));
    app.state
        .base
        .db
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            sql,
            [id.into()],
        ))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    app.new_points_program(
        &yen,
        "Points",
        json!({ "points": 1, "perAmountMinor": 100 }),
    )
    .await;
    let (member, card) = app.enroll(&yen, json!({ "email": "k@yen.example" })).await;
    let bought = buy(
        &app,
        &yen,
        json!({ "cardNumber": card, "totalMinor": 1_250, "currency": "JPY" }),
    )
    .await;
    assert_eq!(bought["purchase"]["pointsEarned"], 12, "{bought}");
    let history = app
        .as_token(&yen.owner.access_token)
        .query(
            "query($id: ID!) { member(id: $id) { history(first: 10) { nodes { reason } } } }",
            json!({ "id": member }),
        )
        .await;
    let reasons: Vec<String> = history["data"]["member"]["history"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{history}"))
        .iter()
        .filter_map(|n| n["reason"].as_str().map(str::to_owned))
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r == "12 points for a purchase of 1250 JPY"),
        "{reasons:?}"
    );

    let euro = app.new_brand("euro-min").await;
    let owner = app.as_token(&euro.owner.access_token);
    let until = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
    let issued = owner
        .query(
            "mutation($i: IssueVoucherInput!) { issueVoucher(input: $i) { code } }",
            json!({ "i": { "code": "BIG10", "amountMinor": 1_000, "minimumBasketMinor": 3_000,
                           "maxUses": 1, "validUntil": until } }),
        )
        .await;
    let code = issued["data"]["issueVoucher"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("{issued}"));
    let refused = owner
        .query(
            BUY,
            json!({ "i": { "totalMinor": 2_999, "currency": "EUR", "voucherCodes": [code] } }),
        )
        .await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "CONFLICT",
        "{refused}"
    );
    assert_eq!(
        refused["errors"][0]["message"],
        format!("voucher {code} needs a basket of at least 30.00 EUR"),
        "{refused}"
    );
}
