//! CASHBACK, STAMPS and tiers, end to end: earning, spending, rewards, returns with debt, tier
//! upgrades, requalification and downgrade (with two concurrent reviewers).

use chrono::{Duration, Utc};
use fidelis_tests::{TestApp, TestBrand, code_of, field_of, spawn_app};
use serde_json::{Value, json};

const CREATE: &str = "mutation($i: CreateProgramInput!) { createProgram(input: $i) { id mechanic cashback { rateBasisPoints } stamps { stampsForReward rewardLabel } points { tiers { baseName levels { name threshold } } } } }";
const BUY: &str = "mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { purchase { id pointsEarned } cashbackMinor amountDueMinor earnings { programName points cashbackMinor stamps rewardVoucherCodes newTier } } }";
const RETURN: &str = "mutation($i: RecordReturnInput!) { recordReturn(input: $i) { pointsReversed cashbackReversedMinor cashbackToDebtMinor stampsReversed stampsToDebt } }";
const MEMBER: &str = "query($id: ID!) { member(id: $id) { cashback { balanceMinor debtMinor } stampCards { stamps stampsToNextReward debt } vouchers { code label source amountMinor status } tiers { level name multiplierPercent perks qualifiedUntil qualifyingValue nextLevelName toNextLevel history { name reason } } history { edges { node { kind cashbackMinor stamps } } } } }";

async fn program(app: &TestApp, brand: &TestBrand, input: Value) -> String {
    let resp = app
        .as_token(&brand.owner.access_token)
        .query(CREATE, json!({ "i": input }))
        .await;
    resp["data"]["createProgram"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("createProgram: {resp}"))
        .to_owned()
}

async fn buy(app: &TestApp, brand: &TestBrand, input: Value) -> Value {
    app.as_token(&brand.owner.access_token)
        .query(BUY, json!({ "i": input }))
        .await
}

fn earned<'a>(resp: &'a Value, program: &str) -> &'a Value {
    resp["data"]["recordPurchase"]["earnings"]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["programName"] == program))
        .unwrap_or(&Value::Null)
}

async fn member(app: &TestApp, brand: &TestBrand, id: &str) -> Value {
    let resp = app
        .as_token(&brand.owner.access_token)
        .query(MEMBER, json!({ "id": id }))
        .await;
    resp["data"]["member"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn cashback_is_earned_spent_from_the_next_purchase_and_taken_back_on_return_with_a_debt() {
    let app = spawn_app().await;
    let brand = app.new_brand("cagnotte").await;
    program(
        &app,
        &brand,
        json!({ "name": "Cagnotte", "rules": { "cashback": { "rateBasisPoints": 500 } } }),
    )
    .await;
    let (member_id, card) = app
        .enroll(&brand, json!({ "email": "c@cagnotte.example" }))
        .await;

    // Nothing to spend yet: refused, nothing booked.
    let early = buy(&app, &brand, json!({ "cardNumber": card, "totalMinor": 10_000, "currency": "EUR", "cashbackMinor": 100 })).await;
    assert_eq!(code_of(&early), "INSUFFICIENT_BALANCE", "{early}");

    // 5 % of 100.00 = 5.00.
    let first = buy(
        &app,
        &brand,
        json!({
            "cardNumber": card, "totalMinor": 10_000, "currency": "EUR",
            "lines": [
                { "sku": "SHIRT", "quantity": 2, "unitPriceMinor": 3_000 },
                { "sku": "JEANS", "quantity": 1, "unitPriceMinor": 4_000 }
            ],
            "idempotencyKey": "cb-1"
        }),
    )
    .await;
    assert_eq!(earned(&first, "Cagnotte")["cashbackMinor"], 500, "{first}");
    let purchase_a = first["data"]["recordPurchase"]["purchase"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    // Spent on the next purchase: the part it pays earns nothing (5 % of 55.00 = 2.75).
    let second = buy(&app, &brand, json!({ "cardNumber": card, "totalMinor": 6_000, "currency": "EUR", "cashbackMinor": 500, "idempotencyKey": "cb-2" })).await;
    let p = &second["data"]["recordPurchase"];
    assert_eq!(
        (p["cashbackMinor"].as_i64(), p["amountDueMinor"].as_i64()),
        (Some(500), Some(5_500)),
        "{second}"
    );
    assert_eq!(earned(&second, "Cagnotte")["cashbackMinor"], 275);
    let replay = buy(&app, &brand, json!({ "cardNumber": card, "totalMinor": 6_000, "currency": "EUR", "cashbackMinor": 500, "idempotencyKey": "cb-2" })).await;
    assert_eq!(replay, second, "a replay spends and earns nothing more");
    assert_eq!(
        member(&app, &brand, &member_id).await["cashback"][0]["balanceMinor"],
        275
    );

    // Bad input: typed, nothing booked.
    for (input, field) in [
        (
            json!({ "cardNumber": card, "totalMinor": 1_000, "currency": "EUR", "cashbackMinor": -1 }),
            "input.cashbackMinor",
        ),
        (
            json!({ "cardNumber": card, "totalMinor": 100, "currency": "EUR", "cashbackMinor": 200 }),
            "input.cashbackMinor",
        ),
        (
            json!({ "totalMinor": 1_000, "currency": "EUR", "cashbackMinor": 100 }),
            "input.cashbackMinor",
        ),
    ] {
        let resp = buy(&app, &brand, input).await;
        assert_eq!(
            (code_of(&resp), field_of(&resp)),
            ("VALIDATION", field),
            "{resp}"
        );
    }

    // One shirt of the first purchase back: 30.00 of 100.00, so 1.50 of its 5.00.
    let ret = |lines: Value, key: &str| json!({ "i": { "purchaseId": purchase_a, "lines": lines, "idempotencyKey": key } });
    let owner = app.as_token(&brand.owner.access_token);
    let partial = owner
        .query(RETURN, ret(json!([{ "lineNo": 1, "quantity": 1 }]), "r-1"))
        .await;
    let r = &partial["data"]["recordReturn"];
    assert_eq!(
        (
            r["cashbackReversedMinor"].as_i64(),
            r["cashbackToDebtMinor"].as_i64()
        ),
        (Some(150), Some(0)),
        "{partial}"
    );
    // The rest: 3.50 more, of which the member holds 1.25; 2.25 becomes a debt.
    let rest = owner.query(RETURN, ret(json!([]), "r-2")).await;
    let r = &rest["data"]["recordReturn"];
    assert_eq!(
        (
            r["cashbackReversedMinor"].as_i64(),
            r["cashbackToDebtMinor"].as_i64()
        ),
        (Some(125), Some(225)),
        "{rest}"
    );
    let again = owner.query(RETURN, ret(json!([]), "r-3")).await;
    assert_eq!(code_of(&again), "CONFLICT", "never twice: {again}");
    let m = member(&app, &brand, &member_id).await;
    assert_eq!(
        (
            m["cashback"][0]["balanceMinor"].as_i64(),
            m["cashback"][0]["debtMinor"].as_i64()
        ),
        (Some(0), Some(225))
    );

    // The next cashback repays the debt first: 5.00 = 2.25 + 2.75.
    buy(
        &app,
        &brand,
        json!({ "cardNumber": card, "totalMinor": 10_000, "currency": "EUR" }),
    )
    .await;
    let m = member(&app, &brand, &member_id).await;
    assert_eq!(
        (
            m["cashback"][0]["balanceMinor"].as_i64(),
            m["cashback"][0]["debtMinor"].as_i64()
        ),
        (Some(275), Some(0)),
        "{m}"
    );
    let moves: Vec<i64> = m["history"]["edges"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|n| n["node"]["cashbackMinor"].as_i64())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(moves.iter().sum::<i64>(), 275, "history adds up: {moves:?}");

    // Returning the purchase that was paid with 5.00 of cashback gives those 5.00 back and
    // takes back the 2.75 it earned.
    let back = owner
        .query(
            "mutation($i: RecordReturnInput!) { recordReturn(input: $i) { cashbackReversedMinor cashbackRefundedMinor refundDueMinor } }",
            json!({ "i": { "purchaseId": second["data"]["recordPurchase"]["purchase"]["id"] } }),
        )
        .await;
    // 60.00 paid 55.00 in money and 5.00 in cashback: the cashback goes back to the balance,
    // the till hands back 55.00.
    assert_eq!(
        back["data"]["recordReturn"],
        json!({ "cashbackReversedMinor": 275, "cashbackRefundedMinor": 500, "refundDueMinor": 5_500 }),
        "{back}"
    );
    let m = member(&app, &brand, &member_id).await;
    assert_eq!(m["cashback"][0]["balanceMinor"], 500, "{m}");
    assert!(app.db_verify_ledger().await.is_sound());
}

#[tokio::test(flavor = "multi_thread")]
async fn stamps_fill_a_card_issue_the_reward_and_a_return_after_the_reward_leaves_a_debt() {
    let app = spawn_app().await;
    let brand = app.new_brand("tampons").await;
    program(
        &app,
        &brand,
        json!({ "name": "Carte café", "rules": { "stamps": {
        "category": "coffee", "minimumPurchaseMinor": 500, "stampsForReward": 3,
        "rewardLabel": "Free coffee", "rewardAmountMinor": 350, "rewardValidityDays": 30
    } } }),
    )
    .await;
    let (member_id, card) = app
        .enroll(&brand, json!({ "email": "s@tampons.example" }))
        .await;
    let coffee = |price: i64| json!({ "cardNumber": card, "totalMinor": price, "currency": "EUR", "lines": [{ "sku": "ESPRESSO", "category": "coffee", "unitPriceMinor": price }] });

    let small = buy(&app, &brand, coffee(400)).await;
    assert!(
        earned(&small, "Carte café").is_null(),
        "below the minimum: {small}"
    );
    let pastry = buy(&app, &brand, json!({ "cardNumber": card, "totalMinor": 900, "currency": "EUR", "lines": [{ "sku": "CROISSANT", "category": "pastry", "unitPriceMinor": 900 }] })).await;
    assert!(
        earned(&pastry, "Carte café").is_null(),
        "not the category: {pastry}"
    );
    for _ in 0..2 {
        let r = buy(&app, &brand, coffee(500)).await;
        assert_eq!(earned(&r, "Carte café")["stamps"], 1, "{r}");
    }
    let third = buy(&app, &brand, coffee(500)).await;
    let e = earned(&third, "Carte café");
    let codes = e["rewardVoucherCodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(codes.len(), 1, "a full card gives its reward: {third}");
    let m = member(&app, &brand, &member_id).await;
    assert_eq!(
        (
            m["stampCards"][0]["stamps"].as_i64(),
            m["stampCards"][0]["stampsToNextReward"].as_i64()
        ),
        (Some(0), Some(3))
    );
    let voucher = &m["vouchers"][0];
    assert_eq!(
        (
            voucher["label"].as_str(),
            voucher["source"].as_str(),
            voucher["amountMinor"].as_i64()
        ),
        (Some("Free coffee"), Some("STAMPS"), Some(350)),
        "{m}"
    );

    // The reward is used once at the checkout.
    let code = codes[0].as_str().unwrap_or_default();
    let used = buy(
        &app,
        &brand,
        json!({ "cardNumber": card, "totalMinor": 350, "currency": "EUR", "voucherCodes": [code] }),
    )
    .await;
    assert_eq!(
        used["data"]["recordPurchase"]["amountDueMinor"], 0,
        "{used}"
    );
    let twice = buy(
        &app,
        &brand,
        json!({ "cardNumber": card, "totalMinor": 350, "currency": "EUR", "voucherCodes": [code] }),
    )
    .await;
    assert_eq!(
        code_of(&twice),
        "CONFLICT",
        "a reward is used once: {twice}"
    );
    assert!(twice.to_string().contains("already used"), "{twice}");

    // Returning the purchase that completed the card: its stamp was already rewarded -> debt.
    let purchase = third["data"]["recordPurchase"]["purchase"]["id"].clone();
    let back = app
        .as_token(&brand.owner.access_token)
        .query(RETURN, json!({ "i": { "purchaseId": purchase } }))
        .await;
    let r = &back["data"]["recordReturn"];
    assert_eq!(
        (r["stampsReversed"].as_i64(), r["stampsToDebt"].as_i64()),
        (Some(0), Some(1)),
        "{back}"
    );
    // The next stamp repays it.
    buy(&app, &brand, coffee(500)).await;
    let m = member(&app, &brand, &member_id).await;
    assert_eq!(
        (
            m["stampCards"][0]["stamps"].as_i64(),
            m["stampCards"][0]["debt"].as_i64()
        ),
        (Some(0), Some(0)),
        "{m}"
    );
    // Bad rules are refused.
    let bad = app
        .as_token(&brand.owner.access_token)
        .query(CREATE, json!({ "i": { "name": "x", "rules": { "stamps": { "stampsForReward": 3, "rewardLabel": "x", "rewardAmountMinor": 100, "rewardPercent": 10 } } } }))
        .await;
    assert_eq!(
        (code_of(&bad), field_of(&bad)),
        ("VALIDATION", "stamps.rewardAmountMinor"),
        "{bad}"
    );
    assert!(app.db_verify_ledger().await.is_sound());
}

fn tiered_rules() -> Value {
    json!({ "points": {
        "points": 1, "perAmountMinor": 1_000,
        "tiers": {
            "basis": "EARNED", "windowMonths": 12, "baseName": "Blue",
            "levels": [
                { "name": "Silver", "threshold": 100, "multiplierPercent": 150, "perks": ["Priority checkout"] },
                { "name": "Gold", "threshold": 500, "multiplierPercent": 200, "perks": ["Early access"] }
            ]
        }
    } })
}

#[tokio::test(flavor = "multi_thread")]
async fn tiers_go_up_at_once_then_requalify_or_go_down_once_even_with_two_reviewers() {
    let app = spawn_app().await;
    let brand = app.new_brand("niveaux").await;
    let since = Utc::now() - Duration::days(800);
    program(
        &app,
        &brand,
        json!({ "name": "Club", "rules": tiered_rules(), "effectiveFrom": since }),
    )
    .await;
    let (down, down_card) = app
        .enroll(&brand, json!({ "email": "down@niveaux.example" }))
        .await;
    let (kept, kept_card) = app
        .enroll(&brand, json!({ "email": "kept@niveaux.example" }))
        .await;
    let at = |days: i64| Utc::now() - Duration::days(days);

    // Both reach Silver 15 months ago (100 points); only `kept` buys again within the window.
    for card in [&down_card, &kept_card] {
        let r = buy(&app, &brand, json!({ "cardNumber": card, "totalMinor": 100_000, "currency": "EUR", "occurredAt": at(456) })).await;
        assert_eq!(earned(&r, "Club")["newTier"], "Silver", "{r}");
    }
    let silver = buy(&app, &brand, json!({ "cardNumber": kept_card, "totalMinor": 100_000, "currency": "EUR", "occurredAt": at(200) })).await;
    assert_eq!(
        earned(&silver, "Club")["points"],
        150,
        "Silver earns 1.5x: {silver}"
    );
    let m = member(&app, &brand, &kept).await;
    assert_eq!(m["tiers"][0]["perks"], json!(["Priority checkout"]), "{m}");

    // The qualification period ended ~3 months ago; two reviewers run at once.
    let db = app.state.base.db.clone();
    let (a, b) = tokio::join!(
        fidelis::loyalty::tiers::run_once(&db, Utc::now()),
        fidelis::loyalty::tiers::run_once(&db, Utc::now())
    );
    let changed = a.unwrap_or_else(|e| panic!("{e:?}")) + b.unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(changed, 2, "one review per member, whoever runs it");
    let again = fidelis::loyalty::tiers::run_once(&db, Utc::now()).await;
    assert_eq!(again.ok(), Some(0), "nothing left to review");

    let d = member(&app, &brand, &down).await;
    let t = &d["tiers"][0];
    assert_eq!(
        (
            t["name"].as_str(),
            t["level"].as_i64(),
            t["qualifiedUntil"].is_null()
        ),
        (Some("Blue"), Some(0), true),
        "{d}"
    );
    assert_eq!(
        t["history"],
        json!([{ "name": "Silver", "reason": "UPGRADE" }, { "name": "Blue", "reason": "DOWNGRADE" }])
    );
    let k = member(&app, &brand, &kept).await;
    let t = &k["tiers"][0];
    assert_eq!(
        (t["name"].as_str(), t["history"][1]["reason"].as_str()),
        (Some("Silver"), Some("REQUALIFIED")),
        "{k}"
    );
    assert!(
        t["qualifiedUntil"]
            .as_str()
            .is_some_and(|u| u > Utc::now().to_rfc3339().as_str()),
        "requalified for another window: {k}"
    );

    // `down` climbs again now: 60 then 40 points reach Silver, and the multiplier applies after.
    let r = buy(
        &app,
        &brand,
        json!({ "cardNumber": down_card, "totalMinor": 60_000, "currency": "EUR" }),
    )
    .await;
    assert!(earned(&r, "Club")["newTier"].is_null(), "{r}");
    let d = member(&app, &brand, &down).await;
    assert_eq!(
        (
            d["tiers"][0]["qualifyingValue"].as_i64(),
            d["tiers"][0]["toNextLevel"].as_i64()
        ),
        (Some(60), Some(40)),
        "{d}"
    );
    let r = buy(
        &app,
        &brand,
        json!({ "cardNumber": down_card, "totalMinor": 40_000, "currency": "EUR" }),
    )
    .await;
    assert_eq!(earned(&r, "Club")["newTier"], "Silver", "{r}");
    let r = buy(
        &app,
        &brand,
        json!({ "cardNumber": down_card, "totalMinor": 10_000, "currency": "EUR" }),
    )
    .await;
    assert_eq!(earned(&r, "Club")["points"], 15, "{r}");

    // Bad tier rules are refused with the field.
    let bad = app
        .as_token(&brand.owner.access_token)
        .query(CREATE, json!({ "i": { "name": "x", "rules": { "points": { "tiers": { "baseName": "B", "levels": [
            { "name": "A", "threshold": 100 }, { "name": "C", "threshold": 50 }
        ] } } } } }))
        .await;
    assert_eq!(
        (code_of(&bad), field_of(&bad)),
        ("VALIDATION", "points.tiers"),
        "{bad}"
    );
    assert!(app.db_verify_ledger().await.is_sound());
}

const PAY_MEMBERSHIP: &str = "mutation($i: PayMembershipInput!) { payMembership(input: $i) { id status periodEnd feesPaidMinor savingsMinor netSavingsMinor perks cancelledAt } }";
const MEMBERSHIPS: &str = "query($id: ID!) { member(id: $id) { memberships { id status periodEnd feesPaidMinor savingsMinor netSavingsMinor cancelledAt } } }";
const BUY_PAID: &str = "mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { purchase { id pointsEarned } membershipDiscountMinor amountDueMinor } }";

#[tokio::test(flavor = "multi_thread")]
async fn a_paid_membership_gives_its_perks_and_counts_what_it_saved_against_its_fee() {
    let app = spawn_app().await;
    let brand = app.new_brand("premium").await;
    let owner = app.as_token(&brand.owner.access_token);
    app.new_points_program(&brand, "Points", json!({})).await;
    let club = program(
        &app,
        &brand,
        json!({ "name": "Premium", "rules": { "membership": {
        "feeMinor": 4_900, "period": "YEARLY", "discountPercent": 10,
        "pointsMultiplierPercent": 200, "perks": ["Free delivery"]
    } } }),
    )
    .await;
    let (member_id, card) = app
        .enroll(&brand, json!({ "email": "p@premium.example" }))
        .await;
    let purchase = |total: i64, quantity: i64| {
        json!({ "i": { "cardNumber": card, "totalMinor": total, "currency": "EUR",
        "lines": [{ "sku": "BOX", "quantity": quantity, "unitPriceMinor": total / quantity }] } })
    };

    let before = owner.query(BUY_PAID, purchase(10_000, 1)).await;
    let p = &before["data"]["recordPurchase"];
    assert_eq!(
        (
            p["membershipDiscountMinor"].as_i64(),
            p["purchase"]["pointsEarned"].as_i64()
        ),
        (Some(0), Some(10)),
        "{before}"
    );

    let pay = json!({ "i": { "memberId": member_id, "programId": club, "paymentReference": "PSP-1", "idempotencyKey": "sub-1" } });
    let subscribed = owner.query(PAY_MEMBERSHIP, pay.clone()).await;
    let m = &subscribed["data"]["payMembership"];
    assert_eq!(
        (
            m["status"].as_str(),
            m["feesPaidMinor"].as_i64(),
            m["netSavingsMinor"].as_i64()
        ),
        (Some("ACTIVE"), Some(4_900), Some(-4_900)),
        "{subscribed}"
    );
    assert_eq!(m["perks"], json!(["Free delivery"]));
    let replay = owner.query(PAY_MEMBERSHIP, pay).await;
    assert_eq!(
        replay, subscribed,
        "a replayed payment charges nothing more"
    );
    let membership = m["id"].as_str().unwrap_or_default().to_owned();
    let first_end = m["periodEnd"].as_str().unwrap_or_default().to_owned();

    // 10 % off 200.00; points (doubled) on the 180.00 actually paid.
    let paid = owner.query(BUY_PAID, purchase(20_000, 2)).await;
    let p = &paid["data"]["recordPurchase"];
    assert_eq!(
        (
            p["membershipDiscountMinor"].as_i64(),
            p["amountDueMinor"].as_i64(),
            p["purchase"]["pointsEarned"].as_i64()
        ),
        (Some(2_000), Some(18_000), Some(36)),
        "{paid}"
    );
    // Half of it comes back: half of its discount is no longer a saving.
    let back = owner
        .query(
            "mutation($i: RecordReturnInput!) { recordReturn(input: $i) { savingsReversedMinor pointsReversed } }",
            json!({ "i": { "purchaseId": p["purchase"]["id"], "lines": [{ "lineNo": 1, "quantity": 1 }] } }),
        )
        .await;
    assert_eq!(
        (
            back["data"]["recordReturn"]["savingsReversedMinor"].as_i64(),
            back["data"]["recordReturn"]["pointsReversed"].as_i64()
        ),
        (Some(1_000), Some(18)),
        "{back}"
    );
    owner.query(BUY_PAID, purchase(30_000, 1)).await;

    // Cancelled: no renewal, but the perks last to the end of the paid period.
    let cancel =
        "mutation($id: ID!) { cancelMembership(membershipId: $id) { status cancelledAt } }";
    let cancelled = owner.query(cancel, json!({ "id": membership })).await;
    assert_eq!(
        cancelled["data"]["cancelMembership"]["status"], "CANCELLED",
        "{cancelled}"
    );
    let again = owner.query(cancel, json!({ "id": membership })).await;
    assert_eq!(again, cancelled, "cancelling twice changes nothing");
    let still = owner.query(BUY_PAID, purchase(10_000, 1)).await;
    assert_eq!(
        still["data"]["recordPurchase"]["membershipDiscountMinor"], 1_000,
        "{still}"
    );

    // 20.00 - 10.00 + 30.00 + 10.00 saved against a 49.00 fee.
    let view = owner.query(MEMBERSHIPS, json!({ "id": member_id })).await;
    let m = &view["data"]["member"]["memberships"][0];
    assert_eq!(
        (
            m["savingsMinor"].as_i64(),
            m["feesPaidMinor"].as_i64(),
            m["netSavingsMinor"].as_i64()
        ),
        (Some(5_000), Some(4_900), Some(100)),
        "{view}"
    );

    // Renewal: one more year after the paid one, the cancellation lifted.
    let renewed = owner
        .query(PAY_MEMBERSHIP, json!({ "i": { "memberId": member_id, "programId": club, "idempotencyKey": "renew-1" } }))
        .await;
    let r = &renewed["data"]["payMembership"];
    assert_eq!(
        (
            r["status"].as_str(),
            r["feesPaidMinor"].as_i64(),
            r["cancelledAt"].is_null()
        ),
        (Some("ACTIVE"), Some(9_800), true),
        "{renewed}"
    );
    let end = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .map(|d| d.with_timezone(&Utc))
            .ok()
    };
    let (first, second) = (end(&first_end), r["periodEnd"].as_str().and_then(end));
    assert!(
        first
            .zip(second)
            .is_some_and(|(a, b)| (b - a).num_days() >= 365),
        "{first_end} -> {renewed}"
    );

    // Bad input: typed, nothing charged.
    let points_program = app.new_points_program(&brand, "Other", json!({})).await;
    let wrong = owner
        .query(
            PAY_MEMBERSHIP,
            json!({ "i": { "memberId": member_id, "programId": points_program } }),
        )
        .await;
    assert_eq!(
        (code_of(&wrong), field_of(&wrong)),
        ("VALIDATION", "input.programId"),
        "{wrong}"
    );
    let nobody = owner
        .query(
            PAY_MEMBERSHIP,
            json!({ "i": { "memberId": uuid_like(), "programId": club } }),
        )
        .await;
    assert_eq!(code_of(&nobody), "NOT_FOUND", "{nobody}");
    let view = owner.query(MEMBERSHIPS, json!({ "id": member_id })).await;
    assert_eq!(
        view["data"]["member"]["memberships"][0]["feesPaidMinor"],
        9_800
    );
    let bad = owner
        .query(
            CREATE,
            json!({ "i": { "name": "x", "rules": { "membership": { "feeMinor": -1 } } } }),
        )
        .await;
    assert_eq!(
        (code_of(&bad), field_of(&bad)),
        ("VALIDATION", "membership.feeMinor"),
        "{bad}"
    );
    let too_much = owner
        .query(
            CREATE,
            json!({ "i": { "name": "x", "rules": { "membership": { "feeMinor": 0, "discountPercent": 101 } } } }),
        )
        .await;
    assert_eq!(
        field_of(&too_much),
        "membership.discountPercent",
        "{too_much}"
    );
    assert!(app.db_verify_ledger().await.is_sound());
}

fn uuid_like() -> String {
    "0190f1a2-0000-7000-8000-000000000000".to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn tax_given_for_the_whole_purchase_is_taken_off_a_net_of_tax_base() {
    let app = spawn_app().await;
    let brand = app.new_brand("taxes").await;
    app.new_points_program(&brand, "HT", json!({ "earningBase": "NET_OF_TAX" }))
        .await;
    let (_, card) = app
        .enroll(&brand, json!({ "email": "t@taxes.example" }))
        .await;
    let lines = json!([
        { "sku": "A", "unitPriceMinor": 6_000 },
        { "sku": "B", "unitPriceMinor": 4_000 }
    ]);
    let r = buy(&app, &brand, json!({ "cardNumber": card, "totalMinor": 10_000, "currency": "EUR", "lines": lines, "taxMinor": 2_000 })).await;
    assert_eq!(
        earned(&r, "HT")["points"],
        8,
        "100.00 less 20.00 of tax: {r}"
    );
    let both = buy(
        &app,
        &brand,
        json!({ "cardNumber": card, "totalMinor": 10_000, "currency": "EUR", "taxMinor": 100,
        "lines": [{ "sku": "A", "unitPriceMinor": 10_000, "taxMinor": 100 }] }),
    )
    .await;
    assert_eq!(
        (code_of(&both), field_of(&both)),
        ("VALIDATION", "input.taxMinor"),
        "{both}"
    );
    let too_much = buy(
        &app,
        &brand,
        json!({ "cardNumber": card, "totalMinor": 1_000, "currency": "EUR", "taxMinor": 1_001 }),
    )
    .await;
    assert_eq!(
        (code_of(&too_much), field_of(&too_much)),
        ("VALIDATION", "input.taxMinor"),
        "{too_much}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_checkouts_never_spend_the_same_cashback_twice() {
    let app = spawn_app().await;
    let brand = app.new_brand("course").await;
    program(
        &app,
        &brand,
        json!({ "name": "Cagnotte", "rules": { "cashback": { "rateBasisPoints": 1_000 } } }),
    )
    .await;
    let (member_id, card) = app
        .enroll(&brand, json!({ "email": "r@course.example" }))
        .await;
    // 10 % of 50.00 = 5.00 of cashback.
    buy(
        &app,
        &brand,
        json!({ "cardNumber": card, "totalMinor": 5_000, "currency": "EUR" }),
    )
    .await;
    let spend = || json!({ "i": { "cardNumber": card, "totalMinor": 2_000, "currency": "EUR", "cashbackMinor": 400 } });
    let c: Vec<_> = (0..3)
        .map(|_| app.as_token(&brand.owner.access_token))
        .collect();
    let (a, b, d) = tokio::join!(
        c[0].query(BUY, spend()),
        c[1].query(BUY, spend()),
        c[2].query(BUY, spend())
    );
    let passed = [&a, &b, &d]
        .iter()
        .filter(|r| r["data"]["recordPurchase"].is_object())
        .count();
    let refused = [&a, &b, &d]
        .iter()
        .filter(|r| code_of(r) == "INSUFFICIENT_BALANCE")
        .count();
    assert_eq!((passed, refused), (1, 2), "{a} {b} {d}");
    // 5.00 - 4.00 spent + 10 % of the 16.00 paid = 2.60.
    let m = member(&app, &brand, &member_id).await;
    assert_eq!(m["cashback"][0]["balanceMinor"], 260, "{m}");
    assert!(app.db_verify_ledger().await.is_sound());
}
