//! The money and input defects outside checks found, each as the scenario that showed it, with
//! the figures computed by hand: racing partial returns, a return after expiry, history against
//! balance around an expiry, concurrent twins of an idempotent purchase, tier upgrades recorded
//! out of order or at once, back-dated vouchers, one code twice in a basket, out-of-range
//! quantities, control characters anywhere in the schema, ended sessions, aliases behind
//! fragments, the coalition movement's balance and debt, and what brands could not configure.

use chrono::{Duration, Utc};
use fidelis_tests::{
    CREATE_PROGRAM, PASSWORD, RECORD_PURCHASE, TestApp, TestBrand, code_of, field_of, spawn_app,
};
use serde_json::{Value, json};

const RETURN: &str = "mutation($i: RecordReturnInput!) { recordReturn(input: $i) { pointsReversed pointsToDebt storedValueRefundedMinor } }";
const TOP_UP: &str =
    "mutation($i: StoredValueInput!) { topUpStoredValue(input: $i) { balanceMinor } }";

/// How many times each race is run: more where PostgreSQL really runs them side by side.
fn rounds() -> usize {
    if std::env::var_os(fidelis_tests::db::PG_ENV).is_some() {
        8
    } else {
        3
    }
}

async fn purchase(owner: &fidelis_tests::Gql, input: Value) -> Value {
    let r = owner.query(RECORD_PURCHASE, json!({ "i": input })).await;
    assert!(r["errors"].is_null(), "{r}");
    r["data"]["recordPurchase"].clone()
}

fn id_of(v: &Value) -> String {
    v["purchase"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"))
        .to_owned()
}

async fn stored_value_balance(app: &TestApp, brand: &TestBrand, member: &str) -> i64 {
    let r = app
        .as_token(&brand.owner.access_token)
        .query(
            "query($id: ID!) { member(id: $id) { storedValue { balanceMinor } } }",
            json!({ "id": member }),
        )
        .await;
    r["data"]["member"]["storedValue"][0]["balanceMinor"]
        .as_i64()
        .unwrap_or_else(|| panic!("{r}"))
}

/// A line of 3 × 33.34 earns 10 points (1 per 10.00, rounded down) and, with 50.00 of it paid
/// from stored value, gives back exactly 50.00 and takes back exactly 10 points once all three
/// units are back, however the returns interleave: one unit first, then two at once.
#[tokio::test(flavor = "multi_thread")]
async fn racing_partial_returns_give_back_exactly_what_was_earned_and_paid() {
    let app = spawn_app().await;
    let brand = app.new_brand("course").await;
    let owner = app.as_token(&brand.owner.access_token);
    app.new_points_program(&brand, "Points", json!({})).await;
    let wallet = owner
        .query(CREATE_PROGRAM, json!({ "i": { "name": "Carte", "rules": { "storedValue": { "maxBalanceMinor": 10_000_000, "minTopUpMinor": 100 } } } }))
        .await["data"]["createProgram"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for round in 0..rounds() {
        let (member, card) = app
            .enroll(
                &brand,
                json!({ "email": format!("r{round}@course.example") }),
            )
            .await;
        let up = owner
            .query(
                TOP_UP,
                json!({ "i": { "memberId": member, "programId": wallet, "amountMinor": 5_000 } }),
            )
            .await;
        assert!(up["errors"].is_null(), "{up}");
        let bought = purchase(
            &owner,
            json!({ "cardNumber": card, "totalMinor": 10_002, "currency": "EUR", "storedValueMinor": 5_000,
                "lines": [{ "sku": "X", "quantity": 3, "unitPriceMinor": 3_334 }] }),
        )
        .await;
        assert_eq!(bought["purchase"]["pointsEarned"], 10, "{bought}");
        assert_eq!(app.points(&brand, &member).await, 10);
        assert_eq!(stored_value_balance(&app, &brand, &member).await, 0);
        let id = id_of(&bought);
        let one = json!({ "i": { "purchaseId": id, "lines": [{ "lineNo": 1, "quantity": 1 }] } });
        let first = owner.query(RETURN, one.clone()).await;
        assert!(first["errors"].is_null(), "{first}");
        let (a, b) = tokio::join!(owner.query(RETURN, one.clone()), owner.query(RETURN, one));
        for r in [&a, &b] {
            assert!(r["errors"].is_null(), "round {round}: {r}");
        }
        let reversed: i64 = [&first, &a, &b]
            .iter()
            .map(|r| {
                r["data"]["recordReturn"]["pointsReversed"]
                    .as_i64()
                    .unwrap_or(0)
            })
            .sum();
        let refunded: i64 = [&first, &a, &b]
            .iter()
            .map(|r| {
                r["data"]["recordReturn"]["storedValueRefundedMinor"]
                    .as_i64()
                    .unwrap_or(0)
            })
            .sum();
        assert_eq!((reversed, refunded), (10, 5_000), "round {round}: {a} {b}");
        assert_eq!(app.points(&brand, &member).await, 0, "round {round}");
        assert_eq!(stored_value_balance(&app, &brand, &member).await, 5_000);
        // Nothing is left to return, whoever asks.
        let more = owner
            .query(
                RETURN,
                json!({ "i": { "purchaseId": id, "lines": [{ "lineNo": 1, "quantity": 1 }] } }),
            )
            .await;
        assert_eq!(code_of(&more), "VALIDATION", "{more}");
    }
    // Two returns racing on two different lines of one purchase: 7 + 3 points, each back once.
    let (member, card) = app
        .enroll(&brand, json!({ "email": "lines@course.example" }))
        .await;
    let bought = purchase(
        &owner,
        json!({ "cardNumber": card, "totalMinor": 10_000, "currency": "EUR", "lines": [
            { "sku": "A", "quantity": 1, "unitPriceMinor": 7_000 },
            { "sku": "B", "quantity": 1, "unitPriceMinor": 3_000 } ] }),
    )
    .await;
    let id = id_of(&bought);
    let (a, b) = tokio::join!(
        owner.query(
            RETURN,
            json!({ "i": { "purchaseId": id, "lines": [{ "lineNo": 1, "quantity": 1 }] } })
        ),
        owner.query(
            RETURN,
            json!({ "i": { "purchaseId": id, "lines": [{ "lineNo": 2, "quantity": 1 }] } })
        )
    );
    let total: i64 = [&a, &b]
        .iter()
        .map(|r| {
            r["data"]["recordReturn"]["pointsReversed"]
                .as_i64()
                .unwrap_or(-100)
        })
        .sum();
    assert_eq!(total, 10, "{a} {b}");
    assert_eq!(app.points(&brand, &member).await, 0);
    // An out-of-range quantity is bad input, never an overflow.
    let (_, card) = app
        .enroll(&brand, json!({ "email": "huge@course.example" }))
        .await;
    let id = id_of(
        &purchase(
            &owner,
            json!({ "cardNumber": card, "totalMinor": 2_000, "currency": "EUR", "lines": [{ "sku": "A", "quantity": 2, "unitPriceMinor": 1_000 }] }),
        )
        .await,
    );
    owner
        .query(
            RETURN,
            json!({ "i": { "purchaseId": id, "lines": [{ "lineNo": 1, "quantity": 1 }] } }),
        )
        .await;
    let huge = owner
        .query(RETURN, json!({ "i": { "purchaseId": id, "lines": [{ "lineNo": 1, "quantity": 2_147_483_647 }] } }))
        .await;
    assert_eq!(
        (code_of(&huge), field_of(&huge)),
        ("VALIDATION", "input.lines.quantity"),
        "{huge}"
    );
    let report = app.db_verify_ledger().await;
    assert!(report.is_sound(), "{report:?}");
}

/// A purchase earned 20 points 13 months ago; they expired. Returning it now takes nothing
/// from the 20 points another purchase earned: what expired is not taken a second time.
#[tokio::test(flavor = "multi_thread")]
async fn a_return_after_the_points_expired_does_not_charge_them_twice() {
    let app = spawn_app().await;
    let brand = app.new_brand("perime").await;
    let owner = app.as_token(&brand.owner.access_token);
    let since = (Utc::now() - Duration::days(800)).to_rfc3339();
    owner
        .query(CREATE_PROGRAM, json!({ "i": { "name": "Points", "effectiveFrom": since, "rules": { "points": { "validityMonths": 12 } } } }))
        .await;
    let (member, card) = app
        .enroll(&brand, json!({ "email": "m@perime.example" }))
        .await;
    let old = purchase(
        &owner,
        json!({ "cardNumber": card, "totalMinor": 20_000, "currency": "EUR", "occurredAt": (Utc::now() - Duration::days(395)).to_rfc3339() }),
    )
    .await;
    purchase(
        &owner,
        json!({ "cardNumber": card, "totalMinor": 20_000, "currency": "EUR" }),
    )
    .await;
    fidelis::loyalty::jobs::expiry::run_once(&app.state.base.db, Utc::now())
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(app.points(&brand, &member).await, 20);
    let r = owner
        .query(RETURN, json!({ "i": { "purchaseId": id_of(&old) } }))
        .await;
    assert_eq!(r["data"]["recordReturn"]["pointsReversed"], 0, "{r}");
    assert_eq!(r["data"]["recordReturn"]["pointsToDebt"], 0, "{r}");
    assert_eq!(app.points(&brand, &member).await, 20);
    let report = app.db_verify_ledger().await;
    assert!(report.is_sound(), "{report:?}");
}

/// Between a lot's expiry instant and the next job run, the balance and the history agree: the
/// expiry is booked (dated at its instant) when the account is read.
#[tokio::test(flavor = "multi_thread")]
async fn history_and_balance_agree_between_an_expiry_and_the_job() {
    let app = spawn_app().await;
    let brand = app.new_brand("accord").await;
    let owner = app.as_token(&brand.owner.access_token);
    let since = (Utc::now() - Duration::days(800)).to_rfc3339();
    owner
        .query(CREATE_PROGRAM, json!({ "i": { "name": "Points", "effectiveFrom": since, "rules": { "points": { "validityMonths": 12 } } } }))
        .await;
    let (member, card) = app
        .enroll(&brand, json!({ "email": "m@accord.example" }))
        .await;
    purchase(
        &owner,
        json!({ "cardNumber": card, "totalMinor": 20_000, "currency": "EUR", "occurredAt": (Utc::now() - Duration::days(380)).to_rfc3339() }),
    )
    .await;
    purchase(
        &owner,
        json!({ "cardNumber": card, "totalMinor": 45_000, "currency": "EUR" }),
    )
    .await;
    // The job has not run: read history first, then the balance.
    let read = owner
        .query(
            "query($id: ID!) { member(id: $id) { history(first: 50) { edges { node { kind points occurredAt } } } points { available } } }",
            json!({ "id": member }),
        )
        .await;
    let history: i64 = read["data"]["member"]["history"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{read}"))
        .iter()
        .map(|e| e["node"]["points"].as_i64().unwrap_or(0))
        .sum();
    let available = read["data"]["member"]["points"][0]["available"]
        .as_i64()
        .unwrap_or_default();
    assert_eq!((history, available), (45, 45), "{read}");
    // Booked once: the job finds nothing left.
    let job = fidelis::loyalty::jobs::expiry::run_once(&app.state.base.db, Utc::now())
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(job.lots, 0, "{job:?}");
    assert!(app.db_verify_ledger().await.is_sound());
}

/// Ten simultaneous calls with one idempotency key: one purchase, and every caller gets it on
/// its first call (no CONFLICT to retry).
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_twins_of_an_idempotent_purchase_all_get_the_first_result() {
    let app = spawn_app().await;
    let brand = app.new_brand("jumeaux").await;
    app.new_points_program(&brand, "Points", json!({})).await;
    let (member, card) = app
        .enroll(&brand, json!({ "email": "m@jumeaux.example" }))
        .await;
    let owner = app.as_token(&brand.owner.access_token);
    let input = json!({ "i": { "cardNumber": card, "totalMinor": 5_000, "currency": "EUR", "idempotencyKey": "till-7-ticket-42" } });
    let calls = (0..10).map(|_| owner.query(RECORD_PURCHASE, input.clone()));
    let answers = futures_util::future::join_all(calls).await;
    let ids: Vec<&str> = answers
        .iter()
        .map(|r| {
            r["data"]["recordPurchase"]["purchase"]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("a twin did not get the result: {r}"))
        })
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(app.points(&brand, &member).await, 5);
}

fn tiered(program: &str) -> Value {
    json!({ "i": { "name": program, "effectiveFrom": (Utc::now() - Duration::days(10)).to_rfc3339(), "rules": { "points": {
        "tiers": { "basis": "EARNED", "windowMonths": 12, "baseName": "Bronze", "levels": [
            { "name": "Silver", "threshold": 100, "multiplierPercent": 150 } ] } } } } })
}

async fn tier_of(app: &TestApp, brand: &TestBrand, member: &str) -> Value {
    let r = app
        .as_token(&brand.owner.access_token)
        .query(
            "query($id: ID!) { member(id: $id) { tiers { name qualifyingValue toNextLevel } } }",
            json!({ "id": member }),
        )
        .await;
    r["data"]["member"]["tiers"][0].clone()
}

/// Silver at 100 earned points: a purchase dated a minute ago (60), then one dated two minutes
/// ago (60), moves the member up, and the next 100.00 earns 15 (1.5x). Ten members buying
/// twice at once all reach Silver.
#[tokio::test(flavor = "multi_thread")]
async fn a_tier_counts_every_purchase_in_its_window_whatever_the_order_or_interleaving() {
    let app = spawn_app().await;
    let brand = app.new_brand("paliers").await;
    let owner = app.as_token(&brand.owner.access_token);
    let r = owner.query(CREATE_PROGRAM, tiered("Club")).await;
    assert!(r["errors"].is_null(), "{r}");
    let (member, card) = app
        .enroll(&brand, json!({ "email": "m@paliers.example" }))
        .await;
    for minutes in [1, 2] {
        purchase(
            &owner,
            json!({ "cardNumber": card, "totalMinor": 60_000, "currency": "EUR", "occurredAt": (Utc::now() - Duration::minutes(minutes)).to_rfc3339() }),
        )
        .await;
    }
    let t = tier_of(&app, &brand, &member).await;
    assert_eq!(t["name"], "Silver", "{t}");
    let next = purchase(
        &owner,
        json!({ "cardNumber": card, "totalMinor": 10_000, "currency": "EUR" }),
    )
    .await;
    assert_eq!(next["purchase"]["pointsEarned"], 15, "{next}");

    let mut members = Vec::new();
    for i in 0..10 {
        members.push(
            app.enroll(&brand, json!({ "email": format!("r{i}@paliers.example") }))
                .await,
        );
    }
    let buy = |card: String| {
        let owner = owner.clone();
        async move {
            owner
                .query(
                    RECORD_PURCHASE,
                    json!({ "i": { "cardNumber": card, "totalMinor": 60_000, "currency": "EUR" } }),
                )
                .await
        }
    };
    let all = members
        .iter()
        .flat_map(|(_, card)| [buy(card.clone()), buy(card.clone())]);
    for r in futures_util::future::join_all(all).await {
        assert!(r["errors"].is_null(), "{r}");
    }
    for (member, _) in &members {
        let t = tier_of(&app, &brand, member).await;
        assert_eq!(
            (t["name"].as_str(), t["qualifyingValue"].as_i64()),
            (Some("Silver"), Some(120)),
            "{t}"
        );
    }
}

/// Validity is judged when the purchase is recorded: an expired voucher stays refused however
/// far back `occurredAt` is dated, and how far back a till may date is bounded.
#[tokio::test(flavor = "multi_thread")]
async fn occurred_at_dates_the_accounting_not_the_validity_of_vouchers() {
    let app = spawn_app().await;
    let brand = app.new_brand("datation").await;
    let owner = app.as_token(&brand.owner.access_token);
    app.new_points_program(&brand, "Points", json!({})).await;
    let (member, card) = app
        .enroll(&brand, json!({ "email": "m@datation.example" }))
        .await;
    let issue = "mutation($i: IssueVoucherInput!) { issueVoucher(input: $i) { code } }";
    let issued = Utc::now();
    let v = owner
        .query(issue, json!({ "i": { "memberId": member, "amountMinor": 500, "validUntil": (issued + Duration::seconds(2)).to_rfc3339() } }))
        .await;
    let code = v["data"]["issueVoucher"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"))
        .to_owned();
    app.clock().advance(Duration::seconds(3));
    let staff = app
        .invite(&brand, "cashier@datation.example", "BRAND_STAFF")
        .await;
    let till = app.as_token(&staff.access_token);
    let backdated = till
        // Dated inside the voucher's validity, recorded after it ended.
        .query(RECORD_PURCHASE, json!({ "i": { "cardNumber": card, "totalMinor": 3_000, "currency": "EUR", "voucherCodes": [code], "occurredAt": (issued + Duration::seconds(1)).to_rfc3339() } }))
        .await;
    assert_eq!(code_of(&backdated), "CONFLICT", "{backdated}");
    assert!(
        backdated.to_string().contains("not valid now"),
        "{backdated}"
    );
    // A till may date 30 days back; an owner importing history may go further.
    let old = (Utc::now() - Duration::days(45)).to_rfc3339();
    let refused = till
        .query(RECORD_PURCHASE, json!({ "i": { "cardNumber": card, "totalMinor": 3_000, "currency": "EUR", "occurredAt": old } }))
        .await;
    assert_eq!(field_of(&refused), "input.occurredAt", "{refused}");
    let imported = owner
        .query(RECORD_PURCHASE, json!({ "i": { "cardNumber": card, "totalMinor": 3_000, "currency": "EUR", "occurredAt": old } }))
        .await;
    assert!(imported["errors"].is_null(), "{imported}");
    let importer = app
        .partner_token(&brand, &["PURCHASES_WRITE", "HISTORY_IMPORT"])
        .await;
    let by_key = app
        .as_token(&importer)
        .query(RECORD_PURCHASE, json!({ "i": { "cardNumber": card, "totalMinor": 3_000, "currency": "EUR", "occurredAt": old } }))
        .await;
    assert!(by_key["errors"].is_null(), "{by_key}");
}

/// One code is used once per basket; a voucher's minimum is checked on the basket before any
/// loyalty payment, so the order of the codes does not decide.
#[tokio::test(flavor = "multi_thread")]
async fn vouchers_in_one_basket_apply_once_each_and_in_any_order() {
    let app = spawn_app().await;
    let brand = app.new_brand("panier").await;
    let owner = app.as_token(&brand.owner.access_token);
    let issue = "mutation($i: IssueVoucherInput!) { issueVoucher(input: $i) { code } }";
    let until = (Utc::now() + Duration::days(30)).to_rfc3339();
    let five = owner
        .query(issue, json!({ "i": { "code": "FIVE5", "amountMinor": 500, "maxUses": 100, "validUntil": until } }))
        .await["data"]["issueVoucher"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let twice = owner
        .query(RECORD_PURCHASE, json!({ "i": { "totalMinor": 3_000, "currency": "EUR", "voucherCodes": [five.clone(), "five5"] } }))
        .await;
    assert_eq!(field_of(&twice), "input.voucherCodes", "{twice}");
    // BIG needs a 30.00 basket: with FIVE5 first it still applies (its minimum is on 30.00).
    let big = owner
        .query(issue, json!({ "i": { "code": "BIG10", "amountMinor": 1_000, "minimumBasketMinor": 3_000, "maxUses": 100, "validUntil": until } }))
        .await["data"]["issueVoucher"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for codes in [[five.clone(), big.clone()], [big.clone(), five.clone()]] {
        let r = owner
            .query(
                "mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { amountDueMinor } }",
                json!({ "i": { "totalMinor": 3_000, "currency": "EUR", "voucherCodes": codes } }),
            )
            .await;
        assert_eq!(r["data"]["recordPurchase"]["amountDueMinor"], 1_500, "{r}");
    }
}

/// Every string input of every root field refuses a NUL (and other control characters) with a
/// typed VALIDATION, before anything runs, on both databases: a sweep over the whole schema.
#[tokio::test(flavor = "multi_thread")]
async fn no_text_input_anywhere_in_the_schema_takes_a_control_character() {
    let app = spawn_app().await;
    let schema = app
        .anonymous()
        .query(
            "{ __schema { types { name kind inputFields { name type { ...T } } fields { name args { name type { ...T } } } } queryType { name } mutationType { name } } } fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }",
            json!({}),
        )
        .await;
    let types = schema["data"]["__schema"]["types"]
        .as_array()
        .unwrap_or_else(|| panic!("{schema}"))
        .clone();
    let find = |name: &str| types.iter().find(|t| t["name"] == name).cloned();
    let mut swept = 0;
    for (root, op) in [("Query", "query"), ("Mutation", "mutation")] {
        let fields = find(root).map(|t| t["fields"].clone()).unwrap_or_default();
        for field in fields.as_array().into_iter().flatten() {
            let args = field["args"].as_array().cloned().unwrap_or_default();
            if !args.iter().any(|a| holds_text(&a["type"], &find, 0)) {
                continue;
            }
            let decls: Vec<String> = args
                .iter()
                .map(|a| {
                    format!(
                        "${}: {}",
                        a["name"].as_str().unwrap_or(""),
                        type_ref(&a["type"])
                    )
                })
                .collect();
            let uses: Vec<String> = args
                .iter()
                .map(|a| {
                    let n = a["name"].as_str().unwrap_or("");
                    format!("{n}: ${n}")
                })
                .collect();
            let mut variables = serde_json::Map::new();
            for a in &args {
                variables.insert(
                    a["name"].as_str().unwrap_or("").to_owned(),
                    sample(&a["type"], &find, 0),
                );
            }
            let query = format!(
                "{op}({}) {{ {}({}) {{ __typename }} }}",
                decls.join(", "),
                field["name"].as_str().unwrap_or(""),
                uses.join(", ")
            );
            let r = app
                .anonymous()
                .query(&query, Value::Object(variables))
                .await;
            assert_eq!(code_of(&r), "VALIDATION", "{root}.{}: {r}", field["name"]);
            swept += 1;
        }
    }
    assert!(swept > 60, "only {swept} root fields take text");
}

fn named(t: &Value) -> &Value {
    if t["kind"] == "NON_NULL" || t["kind"] == "LIST" {
        named(&t["ofType"])
    } else {
        t
    }
}

fn type_ref(t: &Value) -> String {
    match t["kind"].as_str() {
        Some("NON_NULL") => format!("{}!", type_ref(&t["ofType"])),
        Some("LIST") => format!("[{}]", type_ref(&t["ofType"])),
        _ => t["name"].as_str().unwrap_or("String").to_owned(),
    }
}

fn holds_text(t: &Value, find: &impl Fn(&str) -> Option<Value>, depth: usize) -> bool {
    let n = named(t);
    match (n["kind"].as_str(), n["name"].as_str()) {
        (Some("SCALAR"), Some("String" | "ID")) => true,
        (Some("INPUT_OBJECT"), Some(name)) if depth < 4 => find(name)
            .and_then(|d| d["inputFields"].as_array().cloned())
            .unwrap_or_default()
            .iter()
            .any(|f| holds_text(&f["type"], find, depth + 1)),
        _ => false,
    }
}

/// A value of type `t` whose every text holds a NUL.
fn sample(t: &Value, find: &impl Fn(&str) -> Option<Value>, depth: usize) -> Value {
    match t["kind"].as_str() {
        Some("NON_NULL") => sample(&t["ofType"], find, depth),
        Some("LIST") => json!([sample(&t["ofType"], find, depth)]),
        Some("ENUM") => {
            let values = find(t["name"].as_str().unwrap_or(""))
                .map(|d| d["enumValues"].clone())
                .unwrap_or_default();
            values[0]["name"].clone()
        }
        Some("INPUT_OBJECT") if depth < 4 => {
            let mut object = serde_json::Map::new();
            for f in find(t["name"].as_str().unwrap_or(""))
                .and_then(|d| d["inputFields"].as_array().cloned())
                .unwrap_or_default()
            {
                object.insert(
                    f["name"].as_str().unwrap_or("").to_owned(),
                    sample(&f["type"], find, depth + 1),
                );
            }
            Value::Object(object)
        }
        _ => match t["name"].as_str() {
            Some("Int") => json!(1),
            Some("Boolean") => json!(true),
            Some("DateTime") => json!("2026-01-01T00:00:00Z"),
            Some("NaiveDateTime") => json!("2026-01-01T00:00:00"),
            Some("NaiveDate") => json!("2000-01-01"),
            Some("JSON") => json!({ "k": "a\u{0}b" }),
            _ => json!("a\u{0}b"),
        },
    }
}

/// Logout, a password reset and an erasure end the sessions they concern at once; a new
/// member reads their own account in the sign-up payload; aliases behind fragments count.
#[tokio::test(flavor = "multi_thread")]
async fn ended_sessions_refuse_their_tokens_at_once() {
    let app = spawn_app().await;
    let brand = app.new_brand("fin").await;
    let viewer = "{ viewer { role } }";
    let session = app.login(&brand.owner.email, PASSWORD).await;
    let ok = app
        .as_token(&session.access_token)
        .query(viewer, json!({}))
        .await;
    assert_eq!(ok["data"]["viewer"]["role"], "BRAND_OWNER", "{ok}");
    app.anonymous()
        .query(
            "mutation($t: String!) { logout(refreshToken: $t) }",
            json!({ "t": session.refresh_token }),
        )
        .await;
    let after = app
        .as_token(&session.access_token)
        .query(viewer, json!({}))
        .await;
    assert_eq!(code_of(&after), "UNAUTHENTICATED", "{after}");
    // The other session of the owner still works (a logout ends one session).
    let other = app
        .as_token(&brand.owner.access_token)
        .query(viewer, json!({}))
        .await;
    assert_eq!(other["data"]["viewer"]["role"], "BRAND_OWNER", "{other}");

    // A new member reads their own account from the sign-up payload.
    let signed = app
        .anonymous()
        .query(
            "mutation($i: MemberSignUpInput!) { memberSignUp(input: $i) { accessToken member { email cards { number status } } } }",
            json!({ "i": { "brandSlug": "fin", "email": "zoe@fin.example", "password": PASSWORD } }),
        )
        .await;
    assert!(signed["errors"].is_null(), "{signed}");
    assert_eq!(
        signed["data"]["memberSignUp"]["member"]["cards"][0]["status"],
        "ACTIVE"
    );
    let token = signed["data"]["memberSignUp"]["accessToken"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let me = app.as_token(&token).query("{ me { id } }", json!({})).await;
    let member = me["data"]["me"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let erased = app
        .as_token(&brand.owner.access_token)
        .query(
            "mutation($id: ID!) { eraseMember(memberId: $id) }",
            json!({ "id": member }),
        )
        .await;
    assert!(erased["errors"].is_null(), "{erased}");
    let gone = app.as_token(&token).query("{ me { id } }", json!({})).await;
    assert_eq!(code_of(&gone), "UNAUTHENTICATED", "{gone}");

    // 15 aliased fields in a fragment spread 15 times is 240 aliases, not 30.
    let fifteen: String = (0..15).map(|i| format!("a{i}: role ")).collect();
    let spreads: String = (0..15)
        .map(|i| format!("v{i}: viewer {{ ...F }} "))
        .collect();
    let query = format!("{{ {spreads} }} fragment F on Viewer {{ {fifteen} }}");
    let refused = app
        .as_token(&brand.owner.access_token)
        .query(&query, json!({}))
        .await;
    assert_eq!(code_of(&refused), "BAD_REQUEST", "{refused}");
    assert!(
        refused.to_string().contains("too many aliases: 240"),
        "{refused}"
    );
}

/// A coalition card's movements say how the balance and the debt moved: a return of 53 that
/// takes the last 41 points owes 12 (balance -41, debt -12); the next earning of 30 repays the
/// 12 and adds 18.
#[tokio::test(flavor = "multi_thread")]
async fn coalition_movements_reconcile_with_balance_and_debt() {
    use crate::settlement::{EARN, REDEEM, RETURN as CO_RETURN, coalition, join};
    let app = spawn_app().await;
    let (a, b, c) = (
        app.new_brand("mouv-a").await,
        app.new_brand("mouv-b").await,
        app.new_brand("mouv-c").await,
    );
    let co = coalition(&app, &a, &b, &c).await;
    let at_a = app.as_token(&a.owner.access_token);
    let card = join(&app, &a, &co.id, "m@mouv.example", "Mo", &[]).await;
    let earned = at_a
        .query(
            EARN,
            json!({ "i": { "coalitionId": co.id, "cardNumber": card, "amountMinor": 5_300 } }),
        )
        .await;
    let purchase = earned["data"]["recordCoalitionPurchase"]["movement"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{earned}"))
        .to_owned();
    // Spent 12 at B: 41 left.
    let spent = app
        .as_token(&b.owner.access_token)
        .query(
            REDEEM,
            json!({ "i": { "coalitionId": co.id, "cardNumber": card, "points": 12 } }),
        )
        .await;
    assert_eq!(
        spent["data"]["redeemCoalitionPoints"]["balance"], 41,
        "{spent}"
    );
    let fields =
        "points balanceChange debtChange balance movement { points balanceChange debtChange }";
    let returned = at_a
        .query(
            &CO_RETURN.replace("points balance movement { id period late }", fields),
            json!({ "i": { "coalitionId": co.id, "purchaseId": purchase, "amountMinor": 5_300 } }),
        )
        .await;
    let r = &returned["data"]["recordCoalitionReturn"];
    assert_eq!(
        (
            r["points"].as_i64(),
            r["balanceChange"].as_i64(),
            r["debtChange"].as_i64(),
            r["balance"].as_i64()
        ),
        (Some(-53), Some(-41), Some(-12), Some(0)),
        "{returned}"
    );
    assert_eq!(r["movement"]["debtChange"], -12);
    let again = at_a
        .query(
            &EARN.replace("points balance movement { id period late brandId }", fields),
            json!({ "i": { "coalitionId": co.id, "cardNumber": card, "amountMinor": 3_000 } }),
        )
        .await;
    let e = &again["data"]["recordCoalitionPurchase"];
    assert_eq!(
        (
            e["points"].as_i64(),
            e["balanceChange"].as_i64(),
            e["debtChange"].as_i64(),
            e["balance"].as_i64()
        ),
        (Some(30), Some(18), Some(12), Some(18)),
        "{again}"
    );
    // The card's history reconciles line by line with its balance and debt.
    let card_view = co
        .operator
        .query(
            "query($c: ID!, $n: String!) { coalitionCard(coalitionId: $c, cardNumber: $n) { balance debt movements { points balanceChange debtChange } } }",
            json!({ "c": co.id, "n": card }),
        )
        .await;
    let v = &card_view["data"]["coalitionCard"];
    let moves = v["movements"].as_array().cloned().unwrap_or_default();
    let balance: i64 = moves
        .iter()
        .map(|m| m["balanceChange"].as_i64().unwrap_or(0))
        .sum();
    let debt: i64 = moves
        .iter()
        .map(|m| m["debtChange"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!((balance, -debt), (18, 0), "{card_view}");
    assert_eq!(
        (v["balance"].as_i64(), v["debt"].as_i64()),
        (Some(18), Some(0))
    );
    for m in &moves {
        assert_eq!(
            m["points"].as_i64(),
            Some(m["balanceChange"].as_i64().unwrap_or(0) + m["debtChange"].as_i64().unwrap_or(0))
        );
    }
}

/// What brands could not configure: a free discount card (fee 0, up to 100 % off), points per
/// item, a member asking for a voucher of an amount, a prepaid block dated last month.
#[tokio::test(flavor = "multi_thread")]
async fn brands_configure_free_cards_items_earning_amount_vouchers_and_late_blocks() {
    let app = spawn_app().await;
    let brand = app.new_brand("reglages").await;
    let owner = app.as_token(&brand.owner.access_token);
    // A free card with 100 % off: the member pays nothing, no fee is booked.
    let card_program = owner
        .query(CREATE_PROGRAM, json!({ "i": { "name": "Carte VIP", "rules": { "membership": { "feeMinor": 0, "discountPercent": 100 } } } }))
        .await;
    let card_program = card_program["data"]["createProgram"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{card_program}"))
        .to_owned();
    let (vip, vip_card) = app
        .enroll(&brand, json!({ "email": "vip@reglages.example" }))
        .await;
    let paid = owner
        .query(
            "mutation($i: PayMembershipInput!) { payMembership(input: $i) { id feesPaidMinor } }",
            json!({ "i": { "memberId": vip, "programId": card_program } }),
        )
        .await;
    assert_eq!(paid["data"]["payMembership"]["feesPaidMinor"], 0, "{paid}");
    let free = owner
        .query(
            "mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { amountDueMinor membershipDiscountMinor } }",
            json!({ "i": { "cardNumber": vip_card, "totalMinor": 4_200, "currency": "EUR" } }),
        )
        .await;
    assert_eq!(
        (
            free["data"]["recordPurchase"]["amountDueMinor"].as_i64(),
            free["data"]["recordPurchase"]["membershipDiscountMinor"].as_i64()
        ),
        (Some(0), Some(4_200)),
        "{free}"
    );
    // 10 items = 1 point, wine counting double.
    let items = owner
        .query(CREATE_PROGRAM, json!({ "i": { "name": "Articles", "rules": { "points": { "earningBase": "ITEMS", "points": 1, "perAmountMinor": 10, "categoryMultipliers": [{ "category": "wine", "percent": 200 }] } } } }))
        .await;
    assert!(items["errors"].is_null(), "{items}");
    let (shopper, card) = app
        .enroll(&brand, json!({ "email": "items@reglages.example" }))
        .await;
    let bought = purchase(
        &owner,
        json!({ "cardNumber": card, "totalMinor": 26_500, "currency": "EUR", "lines": [
            { "sku": "PEN", "quantity": 12, "unitPriceMinor": 100 },
            { "sku": "WINE", "category": "wine", "quantity": 5, "unitPriceMinor": 5_000 },
            { "sku": "CARD", "quantity": 3, "unitPriceMinor": 100 } ] }),
    )
    .await;
    // 12 + 3 plain items and 5 wines counted twice: 25 items-worth, so 2 points (rounded down).
    assert_eq!(bought["purchase"]["pointsEarned"], 2, "{bought}");
    let cashback_items = owner
        .query(CREATE_PROGRAM, json!({ "i": { "name": "x", "rules": { "cashback": { "rateBasisPoints": 100, "earningBase": "ITEMS" } } } }))
        .await;
    assert_eq!(
        field_of(&cashback_items),
        "cashback.earningBase",
        "{cashback_items}"
    );
    // A member asks for a voucher of 7.50: 8 points at 1.00 a point (rounded up).
    let program = app
        .new_points_program(&brand, "Points", json!({ "minimumRedemptionPoints": 1 }))
        .await;
    let signed = app
        .anonymous()
        .query(
            "mutation($i: MemberSignUpInput!) { memberSignUp(input: $i) { accessToken member { id } } }",
            json!({ "i": { "brandSlug": "reglages", "email": "app@reglages.example", "password": PASSWORD } }),
        )
        .await;
    let token = signed["data"]["memberSignUp"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{signed}"))
        .to_owned();
    let me = signed["data"]["memberSignUp"]["member"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    owner
        .query(
            "mutation($i: GrantGestureInput!) { grantGesture(input: $i) { id } }",
            json!({ "i": { "memberId": me, "kind": "POINTS", "points": 10, "programId": program, "reason": "Sorry for the wait" } }),
        )
        .await;
    let voucher = app
        .as_token(&token)
        .query(
            "mutation($p: ID!) { convertMyPoints(programId: $p, amountMinor: 750) { amountMinor pointsCost } }",
            json!({ "p": program }),
        )
        .await;
    assert_eq!(
        (
            voucher["data"]["convertMyPoints"]["amountMinor"].as_i64(),
            voucher["data"]["convertMyPoints"]["pointsCost"].as_i64()
        ),
        (Some(750), Some(8)),
        "{voucher}"
    );
    let both = app
        .as_token(&token)
        .query(
            "mutation($p: ID!) { convertMyPoints(programId: $p, points: 1, amountMinor: 100) { code } }",
            json!({ "p": program }),
        )
        .await;
    assert_eq!(code_of(&both), "VALIDATION", "{both}");
    let _ = shopper;
}

/// A prepaid block bought last month (late paperwork) is billed in last month while it is open.
#[tokio::test(flavor = "multi_thread")]
async fn a_prepaid_block_dated_in_an_open_past_month_is_billed_there() {
    use crate::settlement::{BLOCK, coalition, label, mid_month, period_query};
    let app = spawn_app().await;
    let (a, b, c) = (
        app.new_brand("bloc-a").await,
        app.new_brand("bloc-b").await,
        app.new_brand("bloc-c").await,
    );
    let co = coalition(&app, &a, &b, &c).await;
    let last_month = mid_month(1);
    let r = co
        .operator
        .query(BLOCK, json!({ "i": { "coalitionId": co.id, "brandId": c.id, "points": 5_000, "occurredAt": last_month.to_rfc3339() } }))
        .await;
    assert_eq!(
        r["data"]["addCoalitionPrepaidBlock"]["balance"], 5_000,
        "{r}"
    );
    let period = co
        .operator
        .query(
            &period_query(),
            json!({ "c": co.id, "p": label(last_month) }),
        )
        .await;
    let line = period["data"]["coalitionPeriod"]["statements"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["brandId"] == c.id.as_str()))
        .cloned()
        .unwrap_or_else(|| panic!("{period}"));
    assert_eq!(
        (
            line["prepaidPoints"].as_i64(),
            line["prepaidValueMinor"].as_i64()
        ),
        (Some(5_000), Some(5_000)),
        "{period}"
    );
}

/// Rules that would earn absurd numbers of points are refused for the purchase, typed; nothing
/// overflows a balance (SQLite would turn it into a float, PostgreSQL refuse it).
#[tokio::test(flavor = "multi_thread")]
async fn a_purchase_that_would_earn_absurd_points_is_refused_and_nothing_overflows() {
    let app = spawn_app().await;
    let brand = app.new_brand("demesure").await;
    let owner = app.as_token(&brand.owner.access_token);
    let r = owner
        .query(CREATE_PROGRAM, json!({ "i": { "name": "Huge", "rules": { "points": { "points": 1_000_000, "perAmountMinor": 1,
            "categoryMultipliers": [{ "category": "X", "percent": 1_000 }] } } } }))
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let (member, card) = app
        .enroll(&brand, json!({ "email": "m@demesure.example" }))
        .await;
    for _ in 0..3 {
        let r = owner
            .query(RECORD_PURCHASE, json!({ "i": { "cardNumber": card, "totalMinor": 1_000_000_000_000_i64, "currency": "EUR",
                "lines": [{ "sku": "W", "category": "X", "quantity": 1, "unitPriceMinor": 1_000_000_000_000_i64 }] } }))
            .await;
        assert_eq!(
            (code_of(&r), field_of(&r)),
            ("VALIDATION", "input.totalMinor"),
            "{r}"
        );
    }
    let small = owner
        .query(
            RECORD_PURCHASE,
            json!({ "i": { "cardNumber": card, "totalMinor": 100, "currency": "EUR" } }),
        )
        .await;
    assert_eq!(
        small["data"]["recordPurchase"]["purchase"]["pointsEarned"], 100_000_000,
        "{small}"
    );
    assert_eq!(app.points(&brand, &member).await, 100_000_000);
    let too_big = owner
        .query(RECORD_PURCHASE, json!({ "i": { "cardNumber": card, "totalMinor": 1_000_000_000_001_i64, "currency": "EUR" } }))
        .await;
    assert_eq!(field_of(&too_big), "input.totalMinor", "{too_big}");
    assert!(app.db_verify_ledger().await.is_sound());
}

/// Cashback given back for a return repays a cashback debt first: a member never holds a
/// balance to spend beside a debt of the same kind. Stored value shows in the history.
#[tokio::test(flavor = "multi_thread")]
async fn cashback_given_back_repays_a_cashback_debt_first() {
    let app = spawn_app().await;
    let brand = app.new_brand("dette").await;
    let owner = app.as_token(&brand.owner.access_token);
    owner
        .query(CREATE_PROGRAM, json!({ "i": { "name": "Cagnotte", "rules": { "cashback": { "rateBasisPoints": 1_000 } } } }))
        .await;
    let (member, card) = app
        .enroll(&brand, json!({ "email": "m@dette.example" }))
        .await;
    // 100.00 earns 10.00 of cashback, spent at once on a 10.00 basket (which earns 0.00).
    let first = id_of(
        &purchase(
            &owner,
            json!({ "cardNumber": card, "totalMinor": 10_000, "currency": "EUR" }),
        )
        .await,
    );
    let spent = id_of(
        &purchase(
            &owner,
            json!({ "cardNumber": card, "totalMinor": 1_000, "currency": "EUR", "cashbackMinor": 1_000 }),
        )
        .await,
    );
    // Returning the first purchase: its 10.00 of cashback was spent, so 10.00 is owed.
    owner
        .query(RETURN, json!({ "i": { "purchaseId": first } }))
        .await;
    let read = "query($id: ID!) { member(id: $id) { cashback { balanceMinor debtMinor } } }";
    let before = owner.query(read, json!({ "id": member })).await;
    assert_eq!(
        before["data"]["member"]["cashback"][0],
        json!({ "balanceMinor": 0, "debtMinor": 1_000 }),
        "{before}"
    );
    // Returning the basket the cashback paid for gives the 10.00 back: it repays the debt.
    owner
        .query(RETURN, json!({ "i": { "purchaseId": spent } }))
        .await;
    let after = owner.query(read, json!({ "id": member })).await;
    assert_eq!(
        after["data"]["member"]["cashback"][0],
        json!({ "balanceMinor": 0, "debtMinor": 0 }),
        "{after}"
    );
    assert!(app.db_verify_ledger().await.is_sound());
}
