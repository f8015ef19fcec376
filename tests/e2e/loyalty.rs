//! The points engine end to end: programs, enrolment, cards, purchases, the ledger.

use fidelis_tests::{RECORD_PURCHASE, TestApp, TestBrand, code_of, field_of, spawn_app};
use serde_json::{Value, json};

async fn setup(app: &TestApp, slug: &str) -> (TestBrand, String, String) {
    let brand = app.new_brand(slug).await;
    app.new_points_program(&brand, "Fidélité", json!({})).await;
    let (member, card) = app
        .enroll(
            &brand,
            json!({ "email": format!("client@{slug}.example"), "firstName": "Léa" }),
        )
        .await;
    (brand, member, card)
}

fn purchase(card: &str, total: i64, key: &str) -> Value {
    json!({ "i": { "cardNumber": card, "totalMinor": total, "currency": "EUR", "store": "Paris 11", "idempotencyKey": key } })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_purchase_earns_one_point_per_ten_euros_on_the_members_card_and_the_ledger_balances() {
    let app = spawn_app().await;
    let (brand, member, card) = setup(&app, "points").await;
    let staff = app
        .invite(&brand, "caisse@points.example", "BRAND_STAFF")
        .await;
    let lookup = app
        .as_token(&staff.access_token)
        .query(
            "query($n: String!) { cardByNumber(number: $n) { memberId status } }",
            json!({ "n": card }),
        )
        .await;
    assert_eq!(
        lookup["data"]["cardByNumber"]["memberId"],
        member.as_str(),
        "{lookup}"
    );

    let resp = app
        .as_token(&staff.access_token)
        .query(
            RECORD_PURCHASE,
            json!({ "i": { "cardNumber": card, "totalMinor": 4_250, "currency": "EUR", "lines": [
                { "sku": "CAFE-1KG", "category": "coffee", "quantity": 1, "unitPriceMinor": 2_950 },
                { "sku": "TASSE", "quantity": 2, "unitPriceMinor": 700, "discountMinor": 100 }
            ]}}),
        )
        .await;
    let p = &resp["data"]["recordPurchase"];
    assert_eq!(p["purchase"]["pointsEarned"], 4, "{resp}");
    assert_eq!(p["purchase"]["memberId"], member.as_str());
    assert_eq!(p["earnings"][0]["points"], 4);
    let line_points: i64 = p["purchase"]["lines"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l["pointsEarned"].as_i64())
        .sum();
    assert_eq!(line_points, 4, "line shares add up: {resp}");
    assert_eq!(app.points(&brand, &member).await, 4);
    let expiring = app
        .as_token(&brand.owner.access_token)
        .query(
            "query($id: ID!) { member(id: $id) { points { expiring { points expiresAt } } } }",
            json!({ "id": member }),
        )
        .await;
    assert_eq!(
        expiring["data"]["member"]["points"][0]["expiring"][0]["points"], 4,
        "{expiring}"
    );

    let report = app.db_verify_ledger().await;
    assert!(report.is_sound(), "{report:?}");
    assert_eq!(report.transactions, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_purchase_replayed_with_the_same_key_is_credited_once() {
    let app = spawn_app().await;
    let (brand, member, card) = setup(&app, "replay").await;
    let owner = app.as_token(&brand.owner.access_token);
    let first = owner
        .query(RECORD_PURCHASE, purchase(&card, 4_200, "till-7-0001"))
        .await;
    let again = owner
        .query(RECORD_PURCHASE, purchase(&card, 4_200, "till-7-0001"))
        .await;
    assert!(first["data"]["recordPurchase"].is_object(), "{first}");
    assert_eq!(first, again);
    assert_eq!(app.points(&brand, &member).await, 4);
    let reused = owner
        .query(RECORD_PURCHASE, purchase(&card, 9_900, "till-7-0001"))
        .await;
    assert_eq!(code_of(&reused), "IDEMPOTENCY_KEY_REUSED", "{reused}");

    // Concurrent retries of one key book one purchase.
    let (a, b) = (
        app.as_token(&brand.owner.access_token),
        app.as_token(&brand.owner.access_token),
    );
    let (ra, rb) = tokio::join!(
        a.query(RECORD_PURCHASE, purchase(&card, 1_000, "till-7-0002")),
        b.query(RECORD_PURCHASE, purchase(&card, 1_000, "till-7-0002"))
    );
    for r in [&ra, &rb] {
        assert!(
            r["data"]["recordPurchase"].is_object() || code_of(r) == "CONFLICT",
            "{r}"
        );
    }
    assert_eq!(app.points(&brand, &member).await, 5);
    let report = app.db_verify_ledger().await;
    assert!(report.is_sound(), "{report:?}");
    assert_eq!(report.transactions, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_purchases_are_refused_with_the_field_and_book_nothing() {
    let app = spawn_app().await;
    let (brand, member, card) = setup(&app, "refus").await;
    let owner = app.as_token(&brand.owner.access_token);
    let cases = [
        (
            json!({ "cardNumber": card, "totalMinor": 1_000, "currency": "USD" }),
            "VALIDATION",
            "input.currency",
        ),
        (
            json!({ "cardNumber": card, "totalMinor": -5, "currency": "EUR" }),
            "VALIDATION",
            "input.totalMinor",
        ),
        (
            json!({ "cardNumber": card, "totalMinor": 999, "currency": "EUR", "lines": [{ "sku": "A", "unitPriceMinor": 1_000 }] }),
            "VALIDATION",
            "input.totalMinor",
        ),
        (
            json!({ "cardNumber": card, "totalMinor": 0, "currency": "EUR", "lines": [{ "sku": "A", "quantity": 0, "unitPriceMinor": 0 }] }),
            "VALIDATION",
            "input.lines.quantity",
        ),
        (
            json!({ "cardNumber": "1234567890123456", "totalMinor": 100, "currency": "EUR" }),
            "VALIDATION",
            "input.cardNumber",
        ),
        (
            json!({ "cardNumber": card, "memberId": member, "totalMinor": 100, "currency": "EUR" }),
            "VALIDATION",
            "input.cardNumber",
        ),
        (
            json!({ "cardNumber": card, "totalMinor": 100, "currency": "EUR", "occurredAt": "2099-01-01T00:00:00Z" }),
            "VALIDATION",
            "input.occurredAt",
        ),
    ];
    for (input, code, field) in cases {
        let resp = owner.query(RECORD_PURCHASE, json!({ "i": input })).await;
        assert_eq!(
            (code_of(&resp), field_of(&resp)),
            (code, field),
            "{input}: {resp}"
        );
    }
    let unknown = owner
        .query(RECORD_PURCHASE, json!({ "i": { "memberId": uuid::Uuid::now_v7(), "totalMinor": 100, "currency": "EUR" } }))
        .await;
    assert_eq!(code_of(&unknown), "NOT_FOUND", "{unknown}");
    assert_eq!(app.points(&brand, &member).await, 0);
    assert_eq!(app.db_verify_ledger().await.transactions, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn anonymous_purchases_are_recorded_and_earn_nothing() {
    let app = spawn_app().await;
    let (brand, _, _) = setup(&app, "anonyme").await;
    let resp = app
        .as_token(&brand.owner.access_token)
        .query(
            RECORD_PURCHASE,
            json!({ "i": { "totalMinor": 12_000, "currency": "EUR" } }),
        )
        .await;
    let p = &resp["data"]["recordPurchase"]["purchase"];
    assert!(p["id"].is_string(), "{resp}");
    assert!(p["memberId"].is_null());
    assert_eq!(p["pointsEarned"], 0);
    assert_eq!(app.db_verify_ledger().await.transactions, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_blocked_card_is_refused_and_a_lost_card_is_replaced_with_the_balance_kept() {
    let app = spawn_app().await;
    let (brand, member, card) = setup(&app, "cartes").await;
    let owner = app.as_token(&brand.owner.access_token);
    owner
        .query(RECORD_PURCHASE, purchase(&card, 5_000, "p1"))
        .await;
    let card_id = owner
        .query(
            "query($n: String!) { cardByNumber(number: $n) { id } }",
            json!({ "n": card }),
        )
        .await["data"]["cardByNumber"]["id"]
        .clone();

    owner
        .query(
            "mutation($id: ID!) { blockCard(cardId: $id) { status } }",
            json!({ "id": card_id }),
        )
        .await;
    let refused = owner
        .query(RECORD_PURCHASE, purchase(&card, 5_000, "p2"))
        .await;
    assert_eq!(code_of(&refused), "CONFLICT", "{refused}");
    owner
        .query(
            "mutation($id: ID!) { unblockCard(cardId: $id) { status } }",
            json!({ "id": card_id }),
        )
        .await;
    assert!(
        owner
            .query(RECORD_PURCHASE, purchase(&card, 5_000, "p3"))
            .await["data"]["recordPurchase"]
            .is_object()
    );

    let lost = owner
        .query(
            "mutation($id: ID!) { reportCardLost(cardId: $id) { number status } }",
            json!({ "id": card_id }),
        )
        .await;
    let new_card = lost["data"]["reportCardLost"]["number"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!new_card.is_empty() && new_card != card, "{lost}");
    assert_eq!(
        code_of(
            &owner
                .query(RECORD_PURCHASE, purchase(&card, 5_000, "p4"))
                .await
        ),
        "CONFLICT"
    );
    assert_eq!(
        app.points(&brand, &member).await,
        10,
        "the balance follows the member"
    );
    owner
        .query(RECORD_PURCHASE, purchase(&new_card, 5_000, "p5"))
        .await;
    assert_eq!(app.points(&brand, &member).await, 15);
    let again = owner
        .query(
            "mutation($id: ID!) { unblockCard(cardId: $id) { status } }",
            json!({ "id": card_id }),
        )
        .await;
    assert_eq!(code_of(&again), "CONFLICT", "{again}");
}

#[tokio::test(flavor = "multi_thread")]
async fn members_are_unique_by_email_and_phone_and_get_their_welcome_bonus() {
    let app = spawn_app().await;
    let brand = app.new_brand("bienvenue").await;
    app.new_points_program(
        &brand,
        "Club",
        json!({ "welcomeBonus": 50, "validityMonths": 24 }),
    )
    .await;
    let (member, _) = app
        .enroll(&brand, json!({ "email": "Anne@Bienvenue.example", "phone": "+33 6 12 34 56 78", "emailConsent": true, "consentSource": "checkout form" }))
        .await;
    assert_eq!(app.points(&brand, &member).await, 50);
    let owner = app.as_token(&brand.owner.access_token);
    let enroll = fidelis_tests::ENROLL;
    for (input, field) in [
        (json!({ "email": "anne@bienvenue.example" }), "e-mail"),
        (json!({ "phone": "+33612345678" }), "phone"),
    ] {
        let resp = owner.query(enroll, json!({ "i": input })).await;
        assert_eq!(code_of(&resp), "CONFLICT", "{field}: {resp}");
    }
    for (input, field) in [
        (json!({ "email": "nope" }), "input.email"),
        (json!({ "phone": "0612" }), "input.phone"),
        (json!({}), "input"),
        (
            json!({ "firstName": "Bob", "emailConsent": true }),
            "input.emailConsent",
        ),
        (
            json!({ "firstName": "Bob", "birthDate": "2999-01-01" }),
            "input.birthDate",
        ),
    ] {
        let resp = owner.query(enroll, json!({ "i": input })).await;
        assert_eq!(
            (code_of(&resp), field_of(&resp)),
            ("VALIDATION", field),
            "{resp}"
        );
    }
    let read = owner
        .query("query($id: ID!) { member(id: $id) { email phone emailConsent { granted source at } cards { status } } }", json!({ "id": member }))
        .await;
    let m = &read["data"]["member"];
    assert_eq!(m["email"], "anne@bienvenue.example", "{read}");
    assert_eq!(m["phone"], "+33612345678");
    assert_eq!(m["emailConsent"]["granted"], true);
    assert_eq!(m["emailConsent"]["source"], "checkout form");
    assert!(m["emailConsent"]["at"].is_string());
    app.enroll(&brand, json!({ "firstName": "Jean", "lastName": "Dupont" }))
        .await;
    let found = owner
        .query(
            "{ members(search: \"dupont\") { edges { node { lastName } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        found["data"]["members"]["edges"],
        json!([{ "node": { "lastName": "Dupont" } }]),
        "{found}"
    );
    assert!(app.db_verify_ledger().await.is_sound());
}

#[tokio::test(flavor = "multi_thread")]
async fn category_multipliers_apply_and_a_rules_change_never_rewrites_past_earnings() {
    let app = spawn_app().await;
    let brand = app.new_brand("regles").await;
    let program = app
        .new_points_program(
            &brand,
            "Vins",
            json!({ "categoryMultipliers": [{ "category": "wine", "percent": 300 }] }),
        )
        .await;
    let (member, card) = app
        .enroll(&brand, json!({ "email": "v@regles.example" }))
        .await;
    let owner = app.as_token(&brand.owner.access_token);
    let basket = |key: &str| {
        json!({ "i": { "cardNumber": card, "totalMinor": 3_000, "currency": "EUR", "idempotencyKey": key, "lines": [
            { "sku": "BORDEAUX", "category": "wine", "unitPriceMinor": 2_000 },
            { "sku": "PAIN", "category": "bread", "unitPriceMinor": 1_000 }
        ]}})
    };
    let first = owner.query(RECORD_PURCHASE, basket("b1")).await;
    assert_eq!(
        first["data"]["recordPurchase"]["purchase"]["pointsEarned"], 7,
        "2 x 3 + 1: {first}"
    );

    let update = "mutation($id: ID!, $r: RulesInput!, $from: DateTime) { updateProgramRules(programId: $id, rules: $r, effectiveFrom: $from) { effectiveFrom points { points } } }";
    let past = owner.query(update, json!({ "id": program, "r": { "points": { "points": 2 } }, "from": "2020-01-01T00:00:00Z" })).await;
    assert_eq!(
        (code_of(&past), field_of(&past)),
        ("VALIDATION", "effectiveFrom"),
        "{past}"
    );
    let now = owner
        .query(
            update,
            json!({ "id": program, "r": { "points": { "points": 2 } } }),
        )
        .await;
    assert_eq!(
        now["data"]["updateProgramRules"]["points"]["points"], 2,
        "{now}"
    );
    let second = owner.query(RECORD_PURCHASE, basket("b2")).await;
    assert_eq!(
        second["data"]["recordPurchase"]["purchase"]["pointsEarned"], 6,
        "new rules, no multiplier: {second}"
    );
    // The first purchase keeps what it earned.
    let replay = owner.query(RECORD_PURCHASE, basket("b1")).await;
    assert_eq!(
        replay["data"]["recordPurchase"]["purchase"]["pointsEarned"],
        7
    );
    assert_eq!(app.points(&brand, &member).await, 13);
    assert!(app.db_verify_ledger().await.is_sound());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_partner_pos_records_purchases_within_its_scopes() {
    let app = spawn_app().await;
    let (brand, member, card) = setup(&app, "caisse").await;
    let pos = app.as_token(&app.partner_token(&brand, &["PURCHASES_WRITE"]).await);
    let resp = pos
        .query(RECORD_PURCHASE, purchase(&card, 2_000, "pos-1"))
        .await;
    assert_eq!(
        resp["data"]["recordPurchase"]["purchase"]["pointsEarned"], 2,
        "{resp}"
    );
    let enroll = pos
        .query(
            fidelis_tests::ENROLL,
            json!({ "i": { "email": "x@caisse.example" } }),
        )
        .await;
    assert_eq!(code_of(&enroll), "FORBIDDEN", "{enroll}");
    assert_eq!(app.points(&brand, &member).await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn another_brands_members_cards_purchases_and_programs_are_not_found() {
    let app = spawn_app().await;
    let (a, a_member, a_card) = setup(&app, "iso-a").await;
    let (b, _, _) = setup(&app, "iso-b").await;
    let a_owner = app.as_token(&a.owner.access_token);
    let a_purchase = a_owner
        .query(RECORD_PURCHASE, purchase(&a_card, 3_000, "k"))
        .await["data"]["recordPurchase"]["purchase"]["id"]
        .clone();
    let a_program = a_owner
        .query("{ programs { edges { node { id } } } }", json!({}))
        .await["data"]["programs"]["edges"][0]["node"]["id"]
        .clone();
    let a_card_id = a_owner
        .query(
            "query($n: String!) { cardByNumber(number: $n) { id } }",
            json!({ "n": a_card }),
        )
        .await["data"]["cardByNumber"]["id"]
        .clone();
    let b_owner = app.as_token(&b.owner.access_token);
    let missing = json!(uuid::Uuid::now_v7());
    let reads = [
        (
            "query($id: ID!) { member(id: $id) { id } }",
            json!(a_member),
        ),
        (
            "query($id: ID!) { purchase(id: $id) { id } }",
            a_purchase.clone(),
        ),
        (
            "query($id: ID!) { program(id: $id) { id } }",
            a_program.clone(),
        ),
        (
            "mutation($id: ID!) { blockCard(cardId: $id) { id } }",
            a_card_id.clone(),
        ),
        (
            "mutation($id: ID!) { reportCardLost(cardId: $id) { id } }",
            a_card_id.clone(),
        ),
        (
            "mutation($id: ID!) { updateProgramRules(programId: $id, rules: { points: {} }) { id } }",
            a_program.clone(),
        ),
    ];
    for (query, id) in reads {
        let foreign = b_owner.query(query, json!({ "id": id })).await;
        let absent = b_owner.query(query, json!({ "id": missing })).await;
        assert_eq!(code_of(&foreign), "NOT_FOUND", "{query}: {foreign}");
        assert_eq!(foreign, absent, "{query}");
    }
    let by_number = b_owner
        .query(
            "query($n: String!) { cardByNumber(number: $n) { id } }",
            json!({ "n": a_card }),
        )
        .await;
    assert_eq!(code_of(&by_number), "NOT_FOUND", "{by_number}");
    for input in [
        json!({ "cardNumber": a_card, "totalMinor": 5_000, "currency": "EUR" }),
        json!({ "memberId": a_member, "totalMinor": 5_000, "currency": "EUR" }),
    ] {
        let resp = b_owner.query(RECORD_PURCHASE, json!({ "i": input })).await;
        assert_eq!(code_of(&resp), "NOT_FOUND", "{resp}");
    }
    let listed = b_owner
        .query(
            "{ members(first: 100) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    // B's list answers (with B's own members only), so the absence below means something.
    assert!(listed["errors"].is_null(), "{listed}");
    assert!(listed["data"]["members"]["edges"].is_array(), "{listed}");
    assert!(!listed.to_string().contains(&a_member), "{listed}");
    assert_eq!(
        app.points(&a, &a_member).await,
        3,
        "A's member is untouched"
    );
    let card_state = a_owner
        .query(
            "query($n: String!) { cardByNumber(number: $n) { status } }",
            json!({ "n": a_card }),
        )
        .await;
    assert_eq!(card_state["data"]["cardByNumber"]["status"], "ACTIVE");
}
