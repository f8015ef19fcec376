//! The reward catalog (stock and per-member limits under concurrency) and vouchers issued by the
//! brand (promo codes, percentages, multi use).

use chrono::{Duration, Utc};
use fidelis_tests::{RECORD_PURCHASE, TestApp, TestBrand, code_of, field_of, spawn_app};
use serde_json::{Value, json};

const CREATE_REWARD: &str =
    "mutation($i: CreateRewardInput!) { createReward(input: $i) { id stockRemaining active } }";
const UPDATE_REWARD: &str =
    "mutation($i: UpdateRewardInput!) { updateReward(input: $i) { stockRemaining active } }";
const REDEEM: &str = "mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { code label source pointsCost amountMinor status } }";
const REWARDS: &str = "query { rewards { edges { node { name stockRemaining } } } }";
const ISSUE: &str = "mutation($i: IssueVoucherInput!) { issueVoucher(input: $i) { code kind percent maxUses label } }";
const PAY: &str = "mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { amountDueMinor vouchers { code discountMinor } } }";

/// A member holding `points` points (1 point per 10.00).
async fn member_with(app: &TestApp, brand: &TestBrand, email: &str, points: i64) -> String {
    let (member, card) = app.enroll(brand, json!({ "email": email })).await;
    if points > 0 {
        let resp = app
            .as_token(&brand.owner.access_token)
            .query(
                RECORD_PURCHASE,
                json!({ "i": { "cardNumber": card, "totalMinor": points * 1_000, "currency": "EUR" } }),
            )
            .await;
        assert_eq!(
            resp["data"]["recordPurchase"]["purchase"]["pointsEarned"], points,
            "{resp}"
        );
    }
    member
}

fn redeem(member: &str, reward: &str, key: Option<&str>) -> Value {
    json!({ "i": { "memberId": member, "rewardId": reward, "idempotencyKey": key } })
}

#[tokio::test(flavor = "multi_thread")]
async fn catalog_rewards_never_go_past_their_stock_or_a_members_limit() {
    let app = spawn_app().await;
    let brand = app.new_brand("catalogue").await;
    let owner = app.as_token(&brand.owner.access_token);
    let program = app.new_points_program(&brand, "Points", json!({})).await;
    let created = owner
        .query(
            CREATE_REWARD,
            json!({ "i": {
            "programId": program, "name": "Tote bag", "kind": "GIFT", "pointsCost": 30,
            "amountMinor": 1_500, "stock": 2, "perMemberLimit": 1, "perMemberPeriodDays": 30
        } }),
        )
        .await;
    let reward = created["data"]["createReward"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();

    // Three members race for two units: exactly two get one, the third is told it is gone.
    let mut members = Vec::new();
    for i in 0..3 {
        members.push(member_with(&app, &brand, &format!("m{i}@catalogue.example"), 100).await);
    }
    let (r0, r1, r2) = tokio::join!(
        owner.query(REDEEM, redeem(&members[0], &reward, None)),
        owner.query(REDEEM, redeem(&members[1], &reward, None)),
        owner.query(REDEEM, redeem(&members[2], &reward, None))
    );
    let results = [r0, r1, r2];
    let won: Vec<&Value> = results
        .iter()
        .filter(|r| r["data"]["redeemReward"]["code"].is_string())
        .collect();
    assert_eq!(won.len(), 2, "{results:?}");
    let lost: Vec<&str> = results
        .iter()
        .map(code_of)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(lost, ["CONFLICT"], "{results:?}");
    let v = &won[0]["data"]["redeemReward"];
    assert_eq!(
        (
            v["label"].as_str(),
            v["source"].as_str(),
            v["pointsCost"].as_i64(),
            v["amountMinor"].as_i64()
        ),
        (Some("Tote bag"), Some("REWARD"), Some(30), Some(1_500))
    );
    let mut balances = Vec::new();
    for m in &members {
        balances.push(app.points(&brand, m).await);
    }
    balances.sort_unstable();
    assert_eq!(balances, [70, 70, 100], "only the winners paid");

    // Restocked: the limit (once per 30 days) now holds, even for two racing calls.
    let restocked = owner
        .query(
            UPDATE_REWARD,
            json!({ "i": { "rewardId": reward, "addStock": 5 } }),
        )
        .await;
    assert_eq!(
        restocked["data"]["updateReward"]["stockRemaining"], 5,
        "{restocked}"
    );
    let winner_again = results
        .iter()
        .zip(&members)
        .find(|(r, _)| r["data"]["redeemReward"]["code"].is_string())
        .map(|(_, m)| m.clone())
        .unwrap_or_default();
    let again = owner
        .query(REDEEM, redeem(&winner_again, &reward, None))
        .await;
    assert_eq!(code_of(&again), "LIMIT_EXCEEDED", "{again}");
    let fresh = member_with(&app, &brand, "fresh@catalogue.example", 100).await;
    let (a, b) = tokio::join!(
        owner.query(REDEEM, redeem(&fresh, &reward, Some("k-a"))),
        owner.query(REDEEM, redeem(&fresh, &reward, Some("k-b")))
    );
    let passed = [&a, &b]
        .iter()
        .filter(|r| r["data"]["redeemReward"]["code"].is_string())
        .count();
    assert_eq!(passed, 1, "{a} {b}");
    assert_eq!(app.points(&brand, &fresh).await, 70);
    // A replay returns the first voucher and spends nothing.
    let first = if a["data"]["redeemReward"]["code"].is_string() {
        (&a, "k-a")
    } else {
        (&b, "k-b")
    };
    let replay = owner
        .query(REDEEM, redeem(&fresh, &reward, Some(first.1)))
        .await;
    assert_eq!(&replay, first.0);
    assert_eq!(app.points(&brand, &fresh).await, 70);

    // Not enough points: refused, the stock untouched.
    let poor = member_with(&app, &brand, "poor@catalogue.example", 10).await;
    let refused = owner.query(REDEEM, redeem(&poor, &reward, None)).await;
    assert_eq!(code_of(&refused), "INSUFFICIENT_BALANCE", "{refused}");
    let listed = owner.query(REWARDS, json!({})).await;
    assert_eq!(
        listed["data"]["rewards"]["edges"][0]["node"]["stockRemaining"], 4,
        "{listed}"
    );

    // Switched off: out of the catalog and not redeemable.
    owner
        .query(
            UPDATE_REWARD,
            json!({ "i": { "rewardId": reward, "active": false } }),
        )
        .await;
    let off = owner.query(REDEEM, redeem(&poor, &reward, None)).await;
    assert_eq!(code_of(&off), "CONFLICT", "{off}");
    let listed = owner.query(REWARDS, json!({})).await;
    assert_eq!(listed["data"]["rewards"]["edges"], json!([]), "{listed}");

    // Bad reward definitions are typed.
    for (input, field) in [
        (
            json!({ "programId": program, "name": "x", "kind": "GIFT", "pointsCost": 0 }),
            "input.pointsCost",
        ),
        (
            json!({ "programId": program, "name": "x", "kind": "GIFT", "pointsCost": 10, "percent": 10 }),
            "input.amountMinor",
        ),
        (
            json!({ "programId": program, "name": " ", "kind": "GIFT", "pointsCost": 10 }),
            "input.name",
        ),
    ] {
        let resp = owner.query(CREATE_REWARD, json!({ "i": input })).await;
        assert_eq!(
            (code_of(&resp), field_of(&resp)),
            ("VALIDATION", field),
            "{resp}"
        );
    }
    assert!(app.db_verify_ledger().await.is_sound());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_brand_promo_code_gives_its_percentage_up_to_its_number_of_uses() {
    let app = spawn_app().await;
    let brand = app.new_brand("promo").await;
    let owner = app.as_token(&brand.owner.access_token);
    let until = Utc::now() + Duration::days(30);
    let issued = owner
        .query(ISSUE, json!({ "i": { "code": "summer 10", "percent": 10, "maxUses": 2, "validUntil": until, "label": "Summer sale", "idempotencyKey": "promo-1" } }))
        .await;
    assert_eq!(
        issued["data"]["issueVoucher"],
        json!({ "code": "SUMM-ER10", "kind": "PERCENT", "percent": 10, "maxUses": 2, "label": "Summer sale" }),
        "{issued}"
    );
    let replay = owner
        .query(ISSUE, json!({ "i": { "code": "summer 10", "percent": 10, "maxUses": 2, "validUntil": until, "label": "Summer sale", "idempotencyKey": "promo-1" } }))
        .await;
    assert_eq!(replay, issued);
    let taken = owner
        .query(
            ISSUE,
            json!({ "i": { "code": "SUMMER10", "amountMinor": 500, "validUntil": until } }),
        )
        .await;
    assert_eq!(
        (code_of(&taken), field_of(&taken)),
        ("VALIDATION", "input.code"),
        "{taken}"
    );
    for (input, field) in [
        (
            json!({ "amountMinor": 500, "percent": 5, "validUntil": until }),
            "input.amountMinor",
        ),
        (
            json!({ "amountMinor": 500, "validUntil": Utc::now() - Duration::days(1) }),
            "input.validUntil",
        ),
        (
            json!({ "amountMinor": 500, "validUntil": until, "maxUses": 0 }),
            "input.maxUses",
        ),
    ] {
        let resp = owner.query(ISSUE, json!({ "i": input })).await;
        assert_eq!(
            (code_of(&resp), field_of(&resp)),
            ("VALIDATION", field),
            "{resp}"
        );
    }

    // Bearer code: anyone may use it, twice in all; 10 % of 80.00.
    for _ in 0..2 {
        let paid = owner
            .query(PAY, json!({ "i": { "totalMinor": 8_000, "currency": "EUR", "voucherCodes": ["summer10"] } }))
            .await;
        assert_eq!(
            paid["data"]["recordPurchase"]["amountDueMinor"], 7_200,
            "{paid}"
        );
    }
    let third = owner
        .query(PAY, json!({ "i": { "totalMinor": 8_000, "currency": "EUR", "voucherCodes": ["SUMMER10"] } }))
        .await;
    assert_eq!(code_of(&third), "CONFLICT", "used up: {third}");
    assert!(third.to_string().contains("already used"), "{third}");
}
