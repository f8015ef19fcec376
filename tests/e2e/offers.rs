//! Offers and promotions at the checkout: every kind on baskets whose numbers are worked out by
//! hand in the comments, stacking, exclusivity and the brand's cap, limits under racing
//! checkouts, returns that give back each line's share, the read-only preview, and the ledger.

use fidelis_tests::{TestApp, TestBrand, code_of, field_of, spawn_app};
use serde_json::{Value, json};

const CREATE: &str = "mutation($i: OfferInput!, $k: String) { createOffer(input: $i, idempotencyKey: $k) { id name kind code status } }";
const OFFER: &str = "query($id: ID!) { offer(id: $id) { id name stock figures { redemptions discountGivenMinor valueGivenMinor revenueMinor budgetLeftMinor } } }";
const CHECKOUT_FIELDS: &str = "purchase { id totalMinor offerDiscountMinor pointsEarned lines { lineNo sku quantity unitPriceMinor discountMinor offerDiscountMinor offerId pointsEarned } } offerDiscountMinor offers { offerId discountMinor valueMinor voucherCode premiumPoints } explanation { step applied label amountMinor points reason offerId capped freeSku voucherCode premiumPoints }";
const RETURN: &str = "mutation($i: RecordReturnInput!) { recordReturn(input: $i) { refundMinor offerDiscountReturnedMinor pointsReversed } }";

fn record() -> String {
    format!(
        "mutation($i: RecordPurchaseInput!) {{ recordPurchase(input: $i) {{ {CHECKOUT_FIELDS} }} }}"
    )
}

fn preview() -> String {
    format!(
        "query($i: RecordPurchaseInput!) {{ previewCheckout(input: $i) {{ {CHECKOUT_FIELDS} }} }}"
    )
}

/// An offer running from an hour ago for 30 days, with `fields` of OfferInput.
fn offer_input(app: &TestApp, name: &str, kind: &str, fields: Value) -> Value {
    let mut input = json!({
        "name": name,
        "kind": kind,
        "startsAt": app.now() - chrono::Duration::hours(1),
        "endsAt": app.now() + chrono::Duration::days(30),
    });
    if let (Some(i), Some(f)) = (input.as_object_mut(), fields.as_object()) {
        for (k, v) in f {
            i.insert(k.clone(), v.clone());
        }
    }
    input
}

async fn create(app: &TestApp, brand: &TestBrand, name: &str, kind: &str, fields: Value) -> String {
    let resp = app
        .as_token(&brand.owner.access_token)
        .query(CREATE, json!({ "i": offer_input(app, name, kind, fields) }))
        .await;
    resp["data"]["createOffer"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("createOffer {name}: {resp}"))
        .to_owned()
}

async fn figures(app: &TestApp, brand: &TestBrand, id: &str) -> Value {
    let resp = app
        .as_token(&brand.owner.access_token)
        .query(OFFER, json!({ "id": id }))
        .await;
    resp["data"]["offer"].clone()
}

/// A brand with a points program at 1 point per 1.00 (rounded down, on the net) and a member.
async fn brand_with_member(app: &TestApp, slug: &str) -> (TestBrand, String, String) {
    let brand = app.new_brand(slug).await;
    app.new_points_program(
        &brand,
        "Points",
        json!({ "points": 1, "perAmountMinor": 100 }),
    )
    .await;
    let (member, card) = app
        .enroll(&brand, json!({ "email": format!("m@{slug}.example") }))
        .await;
    (brand, member, card)
}

fn line(sku: &str, category: Option<&str>, quantity: i64, price: i64) -> Value {
    json!({ "sku": sku, "category": category, "quantity": quantity, "unitPriceMinor": price })
}

fn step<'a>(payload: &'a Value, offer: &str) -> &'a Value {
    payload["explanation"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["offerId"] == offer))
        .unwrap_or_else(|| panic!("no OFFER step for {offer}: {payload}"))
}

fn line_offer_discounts(payload: &Value) -> Vec<i64> {
    payload["purchase"]["lines"]
        .as_array()
        .map(|ls| {
            ls.iter()
                .filter_map(|l| l["offerDiscountMinor"].as_i64())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_kind_on_a_hand_computed_basket_then_a_return_of_a_bundle_part() {
    let app = spawn_app().await;
    let (brand, _member, card) = brand_with_member(&app, "offres").await;
    let owner = app.as_token(&brand.owner.access_token);
    let wine = create(
        &app,
        &brand,
        "Vins -10 %",
        "DISCOUNT",
        json!({ "categories": ["wine"], "percent": 10, "priority": 10 }),
    )
    .await;
    let yog = create(
        &app,
        &brand,
        "Yaourts 3 pour 2",
        "MULTI_BUY",
        json!({ "skus": ["YOG"], "buyQuantity": 3, "payQuantity": 2, "priority": 20 }),
    )
    .await;
    let bundle = create(&app, &brand, "Duo cheveux", "BUNDLE", json!({ "bundleParts": [{ "skus": ["SH"], "quantity": 1 }, { "skus": ["CO"], "quantity": 1 }], "bundlePriceMinor": 800, "priority": 30 })).await;
    let gift = create(&app, &brand, "Sac offert", "GIFT", json!({ "giftSku": "BAG", "giftValueMinor": 250, "minimumBasketMinor": 5_000, "stock": 1, "priority": 40 })).await;
    let deferred = create(&app, &brand, "5 € la prochaine fois", "DEFERRED", json!({ "minimumBasketMinor": 3_000, "voucherAmountMinor": 500, "voucherValidFromDays": 1, "voucherValidDays": 30, "priority": 50 })).await;
    let welcome = create(&app, &brand, "Bienvenue", "DISCOUNT", json!({ "code": "welcome5", "amountMinor": 500, "minimumBasketMinor": 2_000, "priority": 60 })).await;

    // Wine 2 × 12.00, yoghurts 3 × 1.50, shampoo 6.00, conditioner 4.00, bread 2.50: 41.00.
    let basket = json!({ "i": { "cardNumber": card, "totalMinor": 4_100, "currency": "EUR",
        "offerCodes": ["WELCOME5"], "idempotencyKey": "panier-1",
        "lines": [line("WINE1", Some("wine"), 2, 1_200), line("YOG", None, 3, 150),
                  line("SH", None, 1, 600), line("CO", None, 1, 400), line("BREAD", None, 1, 250)] } });

    // The preview says everything and writes nothing.
    let seen = owner.query(&preview(), basket.clone()).await;
    let seen = &seen["data"]["previewCheckout"];
    assert_eq!(seen["offerDiscountMinor"], 1_090, "{seen}");
    assert_eq!(
        figures(&app, &brand, &wine).await["figures"]["redemptions"],
        0
    );

    let done = owner.query(&record(), basket.clone()).await;
    let paid = &done["data"]["recordPurchase"];
    // Wine: 10 % of 24.00 = 2.40. Yoghurts: one of three free, 1.50. Duo: 6.00 + 4.00 for 8.00,
    // 2.00 off by value: 1.20 and 0.80. Left: 21.60, 3.00, 4.80, 3.20, 2.50 = 35.10.
    // Gift: 35.10 < 50.00, not given. Deferred: 35.10 ≥ 30.00, a voucher. Welcome: 5.00 over
    // 35.10 by largest remainder: 307.69 42.74 68.38 45.58 35.61 → 307 42 68 45 35 (497), the
    // 3 left to the largest remainders (.74 yoghurts, .69 wine, .61 bread): 308 43 68 45 36.
    assert_eq!(paid["offerDiscountMinor"], 1_090, "{paid}");
    assert_eq!(
        line_offer_discounts(paid),
        [548, 193, 188, 125, 36],
        "{paid}"
    );
    assert_eq!(paid["purchase"]["totalMinor"], 3_010);
    // Points on the net: 30.10 → 30 points, spread over the lines.
    assert_eq!(paid["purchase"]["pointsEarned"], 30);
    assert_eq!(step(paid, &gift)["reason"], "MINIMUM_BASKET_NOT_REACHED");
    assert_eq!(step(paid, &bundle)["amountMinor"], 200);
    let voucher = step(paid, &deferred)["voucherCode"]
        .as_str()
        .unwrap_or_else(|| panic!("no deferred voucher: {paid}"))
        .to_owned();
    // The preview showed exactly this.
    assert_eq!(line_offer_discounts(seen), line_offer_discounts(paid));
    // A replay answers the same and books nothing more.
    let again = owner.query(&record(), basket).await;
    assert_eq!(
        again["data"]["recordPurchase"]["purchase"]["id"],
        paid["purchase"]["id"]
    );
    assert_eq!(
        figures(&app, &brand, &welcome).await["figures"]["redemptions"],
        1
    );

    // The deferred voucher is for the next visit: from the start of tomorrow in Paris.
    let v = owner
        .query(
            "query($c: String!) { voucher(code: $c) { validFrom validUntil amountMinor } }",
            json!({ "c": voucher }),
        )
        .await;
    let tomorrow = (app
        .now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive()
        + chrono::Duration::days(1))
    .and_hms_opt(0, 0, 0)
    .and_then(|t| chrono::TimeZone::from_local_datetime(&chrono_tz::Europe::Paris, &t).earliest())
    .map(|t| t.with_timezone(&chrono::Utc));
    let from = v["data"]["voucher"]["validFrom"]
        .as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&chrono::Utc));
    assert_eq!(from, tomorrow, "{v}");
    assert_eq!(v["data"]["voucher"]["amountMinor"], 500);
    // Not usable today.
    let too_soon = owner
        .query(&record(), json!({ "i": { "cardNumber": card, "totalMinor": 1_000, "currency": "EUR", "voucherCodes": [voucher] } }))
        .await;
    assert!(too_soon["errors"].is_array(), "{too_soon}");

    let w = figures(&app, &brand, &wine).await;
    assert_eq!(
        (
            w["figures"]["redemptions"].as_i64(),
            w["figures"]["discountGivenMinor"].as_i64(),
            w["figures"]["revenueMinor"].as_i64()
        ),
        (Some(1), Some(240), Some(3_010)),
        "{w}"
    );

    // The shampoo comes back: the customer gets what they paid for it, 6.00 − 1.88 = 4.12;
    // the duo keeps 0.80 of its 2.00 (the conditioner's share), the welcome offer 4.32.
    let purchase = paid["purchase"]["id"].as_str().unwrap_or_default();
    let back = owner
        .query(
            RETURN,
            json!({ "i": { "purchaseId": purchase, "lines": [{ "lineNo": 3, "quantity": 1 }] } }),
        )
        .await;
    let back = &back["data"]["recordReturn"];
    assert_eq!(
        (
            back["refundMinor"].as_i64(),
            back["offerDiscountReturnedMinor"].as_i64()
        ),
        (Some(412), Some(188)),
        "{back}"
    );
    assert_eq!(
        figures(&app, &brand, &bundle).await["figures"]["discountGivenMinor"],
        80
    );
    assert_eq!(
        figures(&app, &brand, &welcome).await["figures"]["discountGivenMinor"],
        432
    );

    // Everything else back: the deferred voucher, unused, is cancelled.
    let rest = owner
        .query(
            RETURN,
            json!({ "i": { "purchaseId": purchase, "lines": [] } }),
        )
        .await;
    assert_eq!(
        rest["data"]["recordReturn"]["offerDiscountReturnedMinor"],
        1_090 - 188,
        "{rest}"
    );
    let v = owner
        .query(
            "query($c: String!) { voucher(code: $c) { status } }",
            json!({ "c": voucher }),
        )
        .await;
    assert_eq!(v["data"]["voucher"]["status"], "CANCELLED", "{v}");
    for id in [&wine, &yog, &bundle, &welcome] {
        assert_eq!(
            figures(&app, &brand, id).await["figures"]["discountGivenMinor"],
            0,
            "{id}"
        );
    }
    let report = app.db_verify_ledger().await;
    assert!(report.is_sound(), "{report:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn free_units_a_trade_in_and_the_second_at_half_price() {
    let app = spawn_app().await;
    let (brand, _member, card) = brand_with_member(&app, "reprise").await;
    let owner = app.as_token(&brand.owner.access_token);
    let extra = create(
        &app,
        &brand,
        "+20 % gratuit",
        "EXTRA_QUANTITY",
        json!({ "skus": ["CAP"], "perQuantity": 5, "freeQuantity": 1 }),
    )
    .await;
    let trade = create(
        &app,
        &brand,
        "Reprise TV",
        "TRADE_IN",
        json!({ "tradeInCategory": "tv", "categories": ["tv"], "amountMinor": 10_000 }),
    )
    .await;
    let half = create(
        &app,
        &brand,
        "2e à -50 %",
        "NTH_AT_PERCENT",
        json!({ "skus": ["SOCK"], "nth": 2, "percent": 50 }),
    )
    .await;
    // 10 capsules at 0.40 → 2 free (0.80 of free goods); a TV at 500.00 with an old one
    // traded in → 100.00 off; 3 socks at 9.99 → the second at −50 %: 4.99 (rounded down).
    let resp = owner
        .query(&record(), json!({ "i": { "cardNumber": card, "currency": "EUR", "totalMinor": 400 + 50_000 + 2_997,
            "tradeIns": [{ "category": "TV", "reference": "SN-12345" }],
            "lines": [line("CAP", None, 10, 40), line("TV55", Some("tv"), 1, 50_000), line("SOCK", None, 3, 999)] } }))
        .await;
    let paid = &resp["data"]["recordPurchase"];
    assert_eq!(line_offer_discounts(paid), [0, 10_000, 499, 0], "{paid}");
    let free = &paid["purchase"]["lines"][3];
    assert_eq!(
        (
            free["sku"].as_str(),
            free["quantity"].as_i64(),
            free["unitPriceMinor"].as_i64(),
            free["offerId"].as_str()
        ),
        (Some("CAP"), Some(2), Some(0), Some(extra.as_str())),
        "{paid}"
    );
    assert_eq!(step(paid, &extra)["amountMinor"], 80);
    assert_eq!(step(paid, &trade)["amountMinor"], 10_000);
    assert_eq!(step(paid, &half)["amountMinor"], 499);
    assert_eq!(paid["purchase"]["totalMinor"], 53_397 - 10_499);
    // Without the old TV, the trade-in says why.
    let resp = owner
        .query(&preview(), json!({ "i": { "cardNumber": card, "currency": "EUR", "totalMinor": 50_000, "lines": [line("TV55", Some("tv"), 1, 50_000)] } }))
        .await;
    assert_eq!(
        step(&resp["data"]["previewCheckout"], &trade)["reason"],
        "NO_TRADE_IN",
        "{resp}"
    );
    let x = figures(&app, &brand, &extra).await;
    assert_eq!(x["figures"]["valueGivenMinor"], 80, "{x}");
    // The two free capsules come back: their value goes back to the offer, nothing refunded.
    let purchase = paid["purchase"]["id"].as_str().unwrap_or_default();
    let back = owner
        .query(
            "mutation($i: RecordReturnInput!) { recordReturn(input: $i) { refundMinor } }",
            json!({ "i": { "purchaseId": purchase, "lines": [{ "lineNo": 4, "quantity": 2 }] } }),
        )
        .await;
    assert_eq!(back["data"]["recordReturn"]["refundMinor"], 0, "{back}");
    let x = figures(&app, &brand, &extra).await;
    assert_eq!(x["figures"]["valueGivenMinor"], 0, "{x}");
    assert!(app.db_verify_ledger().await.is_sound());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_exclusive_offer_wins_only_when_it_gives_more_and_the_cap_trims_the_last_applied() {
    let app = spawn_app().await;
    let (brand, _member, card) = brand_with_member(&app, "cumul").await;
    let owner = app.as_token(&brand.owner.access_token);
    let ten = create(
        &app,
        &brand,
        "-10 %",
        "DISCOUNT",
        json!({ "percent": 10, "priority": 1 }),
    )
    .await;
    let five = create(
        &app,
        &brand,
        "-5 €",
        "DISCOUNT",
        json!({ "amountMinor": 500, "priority": 2 }),
    )
    .await;
    let twelve = create(
        &app,
        &brand,
        "-12 € seul",
        "DISCOUNT",
        json!({ "amountMinor": 1_200, "priority": 3, "exclusive": true }),
    )
    .await;
    let basket = json!({ "i": { "cardNumber": card, "currency": "EUR", "totalMinor": 10_000, "lines": [line("A", None, 1, 6_000), line("B", None, 1, 4_000)] } });
    // Stackable: 10.00 then 5.00 = 15.00 > 12.00 alone.
    let resp = owner.query(&preview(), basket.clone()).await;
    let p = &resp["data"]["previewCheckout"];
    assert_eq!(p["offerDiscountMinor"], 1_500, "{p}");
    assert_eq!(step(p, &twelve)["reason"], "NOT_BEST_COMBINATION");
    // A 12 % cap: 12.00 at most; the 5.00 applied last is cut to 2.00.
    let cap = owner
        .query("mutation { updateBrandSettings(input: { name: \"Cumul\", timezone: \"Europe/Paris\", locale: \"fr-FR\", offerCapPercent: 12 }) { offerCapPercent } }", json!({}))
        .await;
    assert_eq!(
        cap["data"]["updateBrandSettings"]["offerCapPercent"], 12,
        "{cap}"
    );
    let resp = owner.query(&record(), basket.clone()).await;
    let p = &resp["data"]["recordPurchase"];
    assert_eq!(p["offerDiscountMinor"], 1_200, "{p}");
    assert_eq!(
        (
            step(p, &five)["amountMinor"].as_i64(),
            step(p, &five)["capped"].as_bool()
        ),
        (Some(200), Some(true))
    );
    assert_eq!(step(p, &ten)["amountMinor"], 1_000);
    // Paused, the stackable ones leave the exclusive one alone: 12.00, within the cap.
    for id in [&ten, &five] {
        let r = owner
            .query(
                "mutation($id: ID!) { setOfferStatus(id: $id, status: PAUSED) { status } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(r["data"]["setOfferStatus"]["status"], "PAUSED", "{r}");
    }
    let resp = owner.query(&preview(), basket).await;
    assert_eq!(
        resp["data"]["previewCheckout"]["offerDiscountMinor"], 1_200,
        "{resp}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn limits_budgets_and_stock_hold_under_racing_checkouts() {
    let app = spawn_app().await;
    let (brand, member, card) = brand_with_member(&app, "course-offres").await;
    let owner = app.as_token(&brand.owner.access_token);
    let three = create(
        &app,
        &brand,
        "Trois fois",
        "DISCOUNT",
        json!({ "amountMinor": 100, "maxRedemptions": 3, "priority": 1 }),
    )
    .await;
    let budget = create(
        &app,
        &brand,
        "Budget 2,50 €",
        "DISCOUNT",
        json!({ "amountMinor": 100, "budgetMinor": 250, "priority": 2 }),
    )
    .await;
    let gifts = create(
        &app,
        &brand,
        "Deux cadeaux",
        "GIFT",
        json!({ "giftSku": "BAG", "giftValueMinor": 0, "stock": 2, "priority": 3 }),
    )
    .await;
    let once = create(
        &app,
        &brand,
        "Une fois par membre",
        "DISCOUNT",
        json!({ "amountMinor": 100, "maxPerMember": 1, "memberPeriodDays": 7, "priority": 4 }),
    )
    .await;
    let mut runs = Vec::new();
    for i in 0..8 {
        let client = app.as_token(&brand.owner.access_token);
        let card = card.clone();
        runs.push(tokio::spawn(async move {
            client
                .query(&record(), json!({ "i": { "cardNumber": card, "currency": "EUR", "totalMinor": 2_000, "idempotencyKey": format!("race-{i}"), "lines": [line("A", None, 1, 2_000)] } }))
                .await
        }));
    }
    let mut total = 0;
    for r in runs {
        let r = r.await.unwrap_or_else(|e| panic!("{e}"));
        assert!(r["data"]["recordPurchase"].is_object(), "{r}");
        total += r["data"]["recordPurchase"]["offerDiscountMinor"]
            .as_i64()
            .unwrap_or(0);
    }
    let f = |v: &Value, k: &str| v["figures"][k].as_i64();
    let t = figures(&app, &brand, &three).await;
    assert_eq!(
        (f(&t, "redemptions"), f(&t, "discountGivenMinor")),
        (Some(3), Some(300)),
        "{t}"
    );
    // 1.00, 1.00, then the 0.50 left: never more than the budget.
    let b = figures(&app, &brand, &budget).await;
    assert_eq!(
        (f(&b, "discountGivenMinor"), f(&b, "budgetLeftMinor")),
        (Some(250), Some(0)),
        "{b}"
    );
    let g = figures(&app, &brand, &gifts).await;
    assert_eq!(
        (f(&g, "redemptions"), g["stock"].as_i64()),
        (Some(2), Some(0)),
        "{g}"
    );
    let o = figures(&app, &brand, &once).await;
    assert_eq!(f(&o, "redemptions"), Some(1), "{o}");
    assert_eq!(
        total,
        300 + 250 + 100,
        "the baskets got exactly what the offers gave"
    );
    // The member's limit says why on the next basket.
    let next = owner
        .query(
            &preview(),
            json!({ "i": { "memberId": member, "currency": "EUR", "totalMinor": 2_000 } }),
        )
        .await;
    assert_eq!(
        step(&next["data"]["previewCheckout"], &once)["reason"],
        "MEMBER_LIMIT_REACHED",
        "{next}"
    );
    assert_eq!(
        step(&next["data"]["previewCheckout"], &three)["reason"],
        "REDEMPTIONS_EXHAUSTED"
    );
    assert!(app.db_verify_ledger().await.is_sound());
}

#[tokio::test(flavor = "multi_thread")]
async fn offers_are_checked_replayed_kept_per_brand_and_managed_by_owners_and_managers() {
    let app = spawn_app().await;
    let (brand, _member, card) = brand_with_member(&app, "regles").await;
    let other = app.new_brand("autre-regles").await;
    let owner = app.as_token(&brand.owner.access_token);
    let input = offer_input(
        &app,
        "Code",
        "DISCOUNT",
        json!({ "code": "ETE-24", "percent": 10 }),
    );
    let first = owner
        .query(CREATE, json!({ "i": input.clone(), "k": "offre-1" }))
        .await;
    let again = owner
        .query(CREATE, json!({ "i": input.clone(), "k": "offre-1" }))
        .await;
    assert_eq!(first, again);
    let id = first["data"]["createOffer"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(first["data"]["createOffer"]["code"], "ETE24");
    // The same code twice, a percent and an amount, a window backwards: refused by name.
    let dup = owner.query(CREATE, json!({ "i": input })).await;
    assert_eq!(
        (code_of(&dup), field_of(&dup)),
        ("VALIDATION", "input.code"),
        "{dup}"
    );
    let both = owner.query(CREATE, json!({ "i": offer_input(&app, "X", "DISCOUNT", json!({ "percent": 10, "amountMinor": 100 })) })).await;
    assert_eq!(
        (code_of(&both), field_of(&both)),
        ("VALIDATION", "input.amountMinor"),
        "{both}"
    );
    let mut backwards = offer_input(&app, "X", "DISCOUNT", json!({ "percent": 10 }));
    backwards["endsAt"] = json!(app.now() - chrono::Duration::days(2));
    let backwards = owner.query(CREATE, json!({ "i": backwards })).await;
    assert_eq!(
        (code_of(&backwards), field_of(&backwards)),
        ("VALIDATION", "input.endsAt"),
        "{backwards}"
    );
    // An unknown code at the till is refused, and nothing is recorded.
    let unknown = owner
        .query(&record(), json!({ "i": { "cardNumber": card, "currency": "EUR", "totalMinor": 1_000, "offerCodes": ["NOPE"] } }))
        .await;
    assert_eq!(
        (code_of(&unknown), field_of(&unknown)),
        ("VALIDATION", "input.offerCodes"),
        "{unknown}"
    );
    // By code: applied only when given.
    let with = owner
        .query(&record(), json!({ "i": { "cardNumber": card, "currency": "EUR", "totalMinor": 1_000, "offerCodes": ["ete24"] } }))
        .await;
    assert_eq!(
        with["data"]["recordPurchase"]["offerDiscountMinor"], 100,
        "{with}"
    );
    let without = owner
        .query(
            &record(),
            json!({ "i": { "cardNumber": card, "currency": "EUR", "totalMinor": 1_000 } }),
        )
        .await;
    assert_eq!(
        without["data"]["recordPurchase"]["offerDiscountMinor"], 0,
        "{without}"
    );
    // Another brand's offer reads as missing; staff read offers, not their figures, and cannot
    // create them.
    let theirs = app
        .as_token(&other.owner.access_token)
        .query(OFFER, json!({ "id": id }))
        .await;
    assert_eq!(code_of(&theirs), "NOT_FOUND", "{theirs}");
    let other_owner = app.as_token(&other.owner.access_token);
    let pause = other_owner
        .query(
            "mutation($id: ID!) { setOfferStatus(id: $id, status: PAUSED) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(code_of(&pause), "NOT_FOUND", "{pause}");
    let change = other_owner
        .query(
            "mutation($id: ID!, $i: OfferInput!) { updateOffer(id: $id, input: $i) { id } }",
            json!({ "id": id, "i": offer_input(&app, "Volé", "DISCOUNT", json!({ "percent": 90 })) }),
        )
        .await;
    assert_eq!(code_of(&change), "NOT_FOUND", "{change}");
    let none = other_owner.query("{ offers { id } }", json!({})).await;
    assert_eq!(none["data"]["offers"], json!([]), "{none}");
    let still = figures(&app, &brand, &id).await;
    assert_eq!(still["name"], "Code", "{still}");
    let staff = app
        .invite(&brand, "caisse@regles.example", "BRAND_STAFF")
        .await;
    let staff = app.as_token(&staff.access_token);
    let listed = staff.query("{ offers { id name } }", json!({})).await;
    assert_eq!(listed["data"]["offers"][0]["id"], id.as_str(), "{listed}");
    let hidden = staff.query(OFFER, json!({ "id": id })).await;
    assert_eq!(code_of(&hidden), "FORBIDDEN", "{hidden}");
    let refused = staff
        .query(
            CREATE,
            json!({ "i": offer_input(&app, "Y", "DISCOUNT", json!({ "percent": 5 })) }),
        )
        .await;
    assert_eq!(code_of(&refused), "FORBIDDEN", "{refused}");
}

const CLAIM_FIELDS: &str = "id status amountMinor receiptAmountMinor reason payoutReference paidOn";

#[tokio::test(flavor = "multi_thread")]
async fn a_refund_claim_from_submission_to_payout_and_the_same_receipt_twice_is_refused() {
    let app = spawn_app().await;
    let brand = app.new_brand("odr").await;
    let owner = app.as_token(&brand.owner.access_token);
    let refund = create(&app, &brand, "Rasoir remboursé 5 €", "REFUND", json!({ "skus": ["RASOIR"], "amountMinor": 500, "claimDeadlineDays": 30, "maxPerMember": 2 })).await;
    let share = create(
        &app,
        &brand,
        "20 % remboursés",
        "REFUND",
        json!({ "skus": ["LAME"], "percent": 20, "claimDeadlineDays": 30 }),
    )
    .await;
    // The member signs up in the member app and buys a razor (12.00) and blades (2 × 3.99).
    let member_token = app.member_token(&brand).await;
    let me = app.as_token(&member_token);
    let who = me.query("{ me { id } }", json!({})).await;
    let member = who["data"]["me"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{who}"))
        .to_owned();
    let bought = owner
        .query(
            &record(),
            json!({ "i": { "memberId": member, "currency": "EUR", "totalMinor": 1_200 + 798,
            "lines": [line("RASOIR", None, 1, 1_200), line("LAME", None, 2, 399)] } }),
        )
        .await;
    let purchase = bought["data"]["recordPurchase"]["purchase"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{bought}"))
        .to_owned();
    // The refund offer is not applied at the till.
    assert_eq!(
        bought["data"]["recordPurchase"]["offerDiscountMinor"], 0,
        "{bought}"
    );

    let submit = format!(
        "mutation($i: RefundClaimInput!) {{ submitMyRefundClaim(input: $i) {{ {CLAIM_FIELDS} }} }}"
    );
    let claim = me
        .query(&submit, json!({ "i": { "offerId": refund, "purchaseId": purchase, "idempotencyKey": "odr-1" } }))
        .await;
    let c = &claim["data"]["submitMyRefundClaim"];
    assert_eq!(
        (
            c["status"].as_str(),
            c["amountMinor"].as_i64(),
            c["receiptAmountMinor"].as_i64()
        ),
        (Some("SUBMITTED"), Some(500), Some(1_200)),
        "{claim}"
    );
    let id = c["id"].as_str().unwrap_or_default().to_owned();
    // A retry answers the same claim; the same purchase again is refused.
    let retry = me
        .query(&submit, json!({ "i": { "offerId": refund, "purchaseId": purchase, "idempotencyKey": "odr-1" } }))
        .await;
    assert_eq!(
        retry["data"]["submitMyRefundClaim"]["id"],
        id.as_str(),
        "{retry}"
    );
    let twice = me
        .query(
            &submit,
            json!({ "i": { "offerId": refund, "purchaseId": purchase } }),
        )
        .await;
    assert_eq!(
        (code_of(&twice), field_of(&twice)),
        ("VALIDATION", "input.purchaseId"),
        "{twice}"
    );
    // 20 % of the blades: 7.98 → 1.59 (rounded down).
    let blades = me
        .query(
            &submit,
            json!({ "i": { "offerId": share, "purchaseId": purchase } }),
        )
        .await;
    assert_eq!(
        blades["data"]["submitMyRefundClaim"]["amountMinor"], 159,
        "{blades}"
    );

    // Staff submit one against a paper receipt; the same receipt, written otherwise, is refused.
    let staff_submit = format!(
        "mutation($i: RefundClaimInput!) {{ submitRefundClaim(input: $i) {{ {CLAIM_FIELDS} }} }}"
    );
    let paper = owner
        .query(
            &staff_submit,
            json!({ "i": { "offerId": refund, "memberId": member, "receiptReference": "T-0042 / 7",
            "receiptAmountMinor": 300, "receiptDate": app.now() - chrono::Duration::minutes(30) } }),
        )
        .await;
    // A fixed 5.00 refund on a 3.00 razor pays 3.00.
    assert_eq!(
        paper["data"]["submitRefundClaim"]["amountMinor"], 300,
        "{paper}"
    );
    let paper_id = paper["data"]["submitRefundClaim"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let same = owner
        .query(
            &staff_submit,
            json!({ "i": { "offerId": refund, "memberId": member, "receiptReference": "t0042-7",
            "receiptAmountMinor": 300, "receiptDate": app.now() - chrono::Duration::minutes(30) } }),
        )
        .await;
    assert_eq!(
        (code_of(&same), field_of(&same)),
        ("VALIDATION", "input.receiptReference"),
        "{same}"
    );
    // Two claims per member: a third is refused; a receipt older than the deadline too.
    let third = owner
        .query(
            &staff_submit,
            json!({ "i": { "offerId": refund, "memberId": member, "receiptReference": "T-0099",
            "receiptAmountMinor": 1_000, "receiptDate": app.now() - chrono::Duration::minutes(20) } }),
        )
        .await;
    assert_eq!(code_of(&third), "CONFLICT", "{third}");

    // The brand rejects the paper one (a reason is needed) and approves the first, then pays.
    let review = "mutation($id: ID!, $ok: Boolean!, $r: String) { reviewRefundClaim(id: $id, approve: $ok, reason: $r) { status reason } }";
    let no_reason = owner
        .query(review, json!({ "id": paper_id, "ok": false }))
        .await;
    assert_eq!(
        (code_of(&no_reason), field_of(&no_reason)),
        ("VALIDATION", "reason"),
        "{no_reason}"
    );
    let rejected = owner
        .query(
            review,
            json!({ "id": paper_id, "ok": false, "r": "Ticket illisible" }),
        )
        .await;
    assert_eq!(
        rejected["data"]["reviewRefundClaim"]["status"], "REJECTED",
        "{rejected}"
    );
    let approved = owner.query(review, json!({ "id": id, "ok": true })).await;
    assert_eq!(
        approved["data"]["reviewRefundClaim"]["status"], "APPROVED",
        "{approved}"
    );
    let again = owner.query(review, json!({ "id": id, "ok": true })).await;
    assert_eq!(code_of(&again), "CONFLICT", "reviewed once: {again}");
    let staff = app
        .invite(&brand, "caisse@odr.example", "BRAND_STAFF")
        .await;
    let by_staff = app
        .as_token(&staff.access_token)
        .query(review, json!({ "id": id, "ok": false, "r": "non" }))
        .await;
    assert_eq!(code_of(&by_staff), "FORBIDDEN", "{by_staff}");
    let pay = "mutation($id: ID!) { payRefundClaim(id: $id, reference: \"VIR-2026-001\") { status payoutReference paidOn } }";
    let paid = owner.query(pay, json!({ "id": id })).await;
    assert_eq!(paid["data"]["payRefundClaim"]["status"], "PAID", "{paid}");
    assert_eq!(
        code_of(&owner.query(pay, json!({ "id": id })).await),
        "CONFLICT"
    );

    // The member follows their claims; the figures add up; the ledger holds it.
    let mine = me
        .query("{ myRefundClaims { id status reason } }", json!({}))
        .await;
    let statuses: Vec<&str> = mine["data"]["myRefundClaims"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["status"].as_str())
        .collect();
    assert_eq!(statuses.len(), 3, "{mine}");
    assert!(
        statuses.contains(&"PAID")
            && statuses.contains(&"REJECTED")
            && statuses.contains(&"SUBMITTED"),
        "{mine}"
    );
    let f = owner
        .query("query($id: ID!) { offer(id: $id) { claims { submitted approved rejected paid owedMinor paidMinor } figures { redemptions discountGivenMinor } } }", json!({ "id": refund }))
        .await;
    assert_eq!(
        f["data"]["offer"]["claims"],
        json!({ "submitted": 0, "approved": 0, "rejected": 1, "paid": 1, "owedMinor": 0, "paidMinor": 500 }),
        "{f}"
    );
    assert_eq!(f["data"]["offer"]["figures"]["discountGivenMinor"], 500);
    // Another brand cannot see or review the claim.
    let other = app.new_brand("autre-odr").await;
    let foreign = app
        .as_token(&other.owner.access_token)
        .query(review, json!({ "id": id, "ok": true }))
        .await;
    assert_eq!(code_of(&foreign), "NOT_FOUND", "{foreign}");
    assert!(app.db_verify_ledger().await.is_sound());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_premium_after_n_proofs_then_a_return_takes_the_proof_and_the_unused_premium_back() {
    let app = spawn_app().await;
    let (brand, _member, card) = brand_with_member(&app, "prime").await;
    let owner = app.as_token(&brand.owner.access_token);
    let premium = create(&app, &brand, "3 cafés = 5 €", "PREMIUM", json!({ "skus": ["CAFE"], "proofsNeeded": 3, "voucherAmountMinor": 500, "voucherValidFromDays": 0, "voucherValidDays": 60 })).await;
    let buy = |key: &str| json!({ "i": { "cardNumber": card, "currency": "EUR", "totalMinor": 450, "idempotencyKey": key, "lines": [line("CAFE", None, 1, 450)] } });
    let mut purchases = Vec::new();
    for (i, key) in ["c1", "c2", "c3"].iter().enumerate() {
        let r = owner.query(&record(), buy(key)).await;
        let paid = &r["data"]["recordPurchase"];
        let s = step(paid, &premium);
        // Each purchase is one proof; the third issues the premium.
        assert_eq!(s["points"], 1, "{paid}");
        assert_eq!(s["voucherCode"].is_string(), i == 2, "{paid}");
        purchases.push((
            paid["purchase"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            s["voucherCode"].as_str().map(str::to_owned),
        ));
    }
    let code = purchases[2].1.clone().unwrap_or_default();
    let status = |c: String| {
        let owner = app.as_token(&brand.owner.access_token);
        async move {
            let v = owner
                .query(
                    "query($c: String!) { voucher(code: $c) { status amountMinor } }",
                    json!({ "c": c }),
                )
                .await;
            v["data"]["voucher"].clone()
        }
    };
    assert_eq!(
        status(code.clone()).await,
        json!({ "status": "ACTIVE", "amountMinor": 500 })
    );
    // The first coffee comes back: one proof fewer, and the premium it paid for, unused, is
    // taken back.
    let back = owner
        .query(
            "mutation($i: RecordReturnInput!) { recordReturn(input: $i) { refundMinor } }",
            json!({ "i": { "purchaseId": purchases[0].0, "lines": [] } }),
        )
        .await;
    assert_eq!(back["data"]["recordReturn"]["refundMinor"], 450, "{back}");
    assert_eq!(status(code).await["status"], "CANCELLED");
    // Two proofs are left: the next coffee earns the premium again.
    let r = owner.query(&record(), buy("c4")).await;
    let again = step(&r["data"]["recordPurchase"], &premium);
    assert!(again["voucherCode"].is_string(), "{r}");
    assert!(app.db_verify_ledger().await.is_sound());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_premium_in_points_is_credited_on_the_nth_proof_and_a_return_takes_it_back_as_a_debt() {
    let app = spawn_app().await;
    let brand = app.new_brand("primepts").await;
    let owner = app.as_token(&brand.owner.access_token);
    // 1 point per 1.00 spent.
    let program = app
        .new_points_program(
            &brand,
            "Points",
            json!({ "points": 1, "perAmountMinor": 100 }),
        )
        .await;
    let (member, card) = app
        .enroll(&brand, json!({ "email": "m@primepts.example" }))
        .await;
    // Points need their program; another brand's program reads as NOT_FOUND.
    let refused = owner
        .query(
            "mutation($i: OfferInput!) { createOffer(input: $i) { id } }",
            json!({ "i": offer_input(&app, "Sans programme", "PREMIUM", json!({ "skus": ["THE"], "proofsNeeded": 2, "premiumPoints": 200 })) }),
        )
        .await;
    assert_eq!(field_of(&refused), "input.premiumProgramId", "{refused}");
    let other = app.new_brand("autreprime").await;
    let theirs = app
        .new_points_program(
            &other,
            "Leurs points",
            json!({ "points": 1, "perAmountMinor": 100 }),
        )
        .await;
    let refused = owner
        .query(
            "mutation($i: OfferInput!) { createOffer(input: $i) { id } }",
            json!({ "i": offer_input(&app, "Programme d'autrui", "PREMIUM", json!({ "skus": ["THE"], "proofsNeeded": 2, "premiumPoints": 200, "premiumProgramId": theirs })) }),
        )
        .await;
    assert_eq!(code_of(&refused), "NOT_FOUND", "{refused}");
    // 2 teas = 200 points (no voucher).
    let premium = create(&app, &brand, "2 thés = 200 points", "PREMIUM", json!({ "skus": ["THE"], "proofsNeeded": 2, "premiumPoints": 200, "premiumProgramId": program })).await;
    let buy = |key: &str| json!({ "i": { "cardNumber": card, "currency": "EUR", "totalMinor": 450, "idempotencyKey": key, "lines": [line("THE", None, 1, 450)] } });
    let mut purchases = Vec::new();
    for (key, credited) in [("t1", 0), ("t2", 200)] {
        let r = owner.query(&record(), buy(key)).await;
        let paid = &r["data"]["recordPurchase"];
        assert!(step(paid, &premium)["voucherCode"].is_null(), "{paid}");
        // The till sees the premium's points on the purchase that earned them.
        assert_eq!(step(paid, &premium)["premiumPoints"], credited, "{paid}");
        assert_eq!(
            paid["offers"]
                .as_array()
                .and_then(|o| o.iter().find(|o| o["offerId"] == premium.as_str()))
                .map(|o| o["premiumPoints"].clone()),
            Some(json!(credited)),
            "{paid}"
        );
        purchases.push(
            paid["purchase"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    // 4 + 4 earned, 200 of premium on the second.
    assert_eq!(app.points(&brand, &member).await, 208);
    // A replayed purchase credits nothing more.
    owner.query(&record(), buy("t2")).await;
    assert_eq!(app.points(&brand, &member).await, 208);
    // The member spends 150 of them on a reward.
    let reward = owner
        .query(
            "mutation($i: CreateRewardInput!) { createReward(input: $i) { id } }",
            json!({ "i": { "programId": program, "name": "Tasse", "kind": "GIFT", "pointsCost": 150, "amountMinor": 800 } }),
        )
        .await;
    let reward = reward["data"]["createReward"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{reward}"))
        .to_owned();
    let r = owner
        .query(
            "mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { id } }",
            json!({ "i": { "memberId": member, "rewardId": reward } }),
        )
        .await;
    assert!(r["data"]["redeemReward"]["id"].is_string(), "{r}");
    assert_eq!(app.points(&brand, &member).await, 58);
    // The first tea comes back: its 4 points and the premium's 200 are taken back; the 58
    // left cover 58, the other 146 are owed (the return says so).
    let back = owner
        .query(
            "mutation($i: RecordReturnInput!) { recordReturn(input: $i) { refundMinor pointsReversed pointsToDebt } }",
            json!({ "i": { "purchaseId": purchases[0], "lines": [] } }),
        )
        .await;
    assert_eq!(
        back["data"]["recordReturn"],
        json!({ "refundMinor": 450, "pointsReversed": 58, "pointsToDebt": 146 }),
        "{back}"
    );
    let balance = owner
        .query(
            "query($id: ID!) { member(id: $id) { points { available debt } } }",
            json!({ "id": member }),
        )
        .await;
    assert_eq!(
        balance["data"]["member"]["points"],
        json!([{ "available": 0, "debt": 146 }]),
        "{balance}"
    );
    // Returning the second tea too takes nothing more back (the premium went once).
    owner
        .query(
            "mutation($i: RecordReturnInput!) { recordReturn(input: $i) { refundMinor } }",
            json!({ "i": { "purchaseId": purchases[1], "lines": [] } }),
        )
        .await;
    let balance = owner
        .query(
            "query($id: ID!) { member(id: $id) { points { available debt } } }",
            json!({ "id": member }),
        )
        .await;
    assert_eq!(
        balance["data"]["member"]["points"],
        json!([{ "available": 0, "debt": 150 }]),
        "its own 4 points only: {balance}"
    );
    let report = app.db_verify_ledger().await;
    assert!(report.is_sound(), "{report:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn premium_points_that_expired_are_not_taken_back_again_by_a_return() {
    let app = spawn_app().await;
    let brand = app.new_brand("primexp").await;
    // Points last 1 month.
    let program = app
        .new_points_program(
            &brand,
            "Points",
            json!({ "points": 1, "perAmountMinor": 100, "validityMonths": 1 }),
        )
        .await;
    let (member, card) = app
        .enroll(&brand, json!({ "email": "m@primexp.example" }))
        .await;
    let premium = create(&app, &brand, "2 thés = 200 points", "PREMIUM", json!({ "skus": ["THE"], "proofsNeeded": 2, "premiumPoints": 200, "premiumProgramId": program })).await;
    let owner = app.as_token(&brand.owner.access_token);
    let mut purchases = Vec::new();
    for key in ["x1", "x2"] {
        let r = owner
            .query(&record(), json!({ "i": { "cardNumber": card, "currency": "EUR", "totalMinor": 450, "idempotencyKey": key, "lines": [line("THE", None, 1, 450)] } }))
            .await;
        assert!(
            step(&r["data"]["recordPurchase"], &premium).is_object(),
            "{r}"
        );
        purchases.push(
            r["data"]["recordPurchase"]["purchase"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    assert_eq!(app.points(&brand, &member).await, 208);
    // Two months later every point has expired; the return of the first tea takes nothing
    // more: neither its own 4 nor the premium's 200 are owed.
    app.clock().advance(chrono::Duration::days(62));
    let brand = TestBrand {
        owner: app.login(&brand.owner.email, fidelis_tests::PASSWORD).await,
        ..brand
    };
    let owner = app.as_token(&brand.owner.access_token);
    let back = owner
        .query(
            "mutation($i: RecordReturnInput!) { recordReturn(input: $i) { refundMinor pointsReversed pointsToDebt } }",
            json!({ "i": { "purchaseId": purchases[0], "lines": [] } }),
        )
        .await;
    assert_eq!(
        back["data"]["recordReturn"],
        json!({ "refundMinor": 450, "pointsReversed": 0, "pointsToDebt": 0 }),
        "{back}"
    );
    let balance = owner
        .query(
            "query($id: ID!) { member(id: $id) { points { available debt } } }",
            json!({ "id": member }),
        )
        .await;
    assert_eq!(
        balance["data"]["member"]["points"],
        json!([{ "available": 0, "debt": 0 }]),
        "{balance}"
    );
    let report = app.db_verify_ledger().await;
    assert!(report.is_sound(), "{report:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn offers_for_a_tier_and_just_bought_suppression() {
    let app = spawn_app().await;
    let brand = app.new_brand("cible").await;
    let owner = app.as_token(&brand.owner.access_token);
    // A tiered program: Gold from 100 points.
    let program = owner
        .query(
            "mutation($i: CreateProgramInput!) { createProgram(input: $i) { id } }",
            json!({ "i": { "name": "Club", "rules": { "points": { "points": 1, "perAmountMinor": 100,
                "tiers": { "basis": "EARNED", "windowMonths": 12, "baseName": "Silver", "levels": [
                    { "name": "Gold", "threshold": 100, "multiplierPercent": 100 } ] } } } } }),
        )
        .await;
    assert!(
        program["data"]["createProgram"]["id"].is_string(),
        "{program}"
    );
    let (_m, card) = app
        .enroll(&brand, json!({ "email": "m@cible.example" }))
        .await;
    let gold = create(
        &app,
        &brand,
        "Or -10 %",
        "DISCOUNT",
        json!({ "percent": 10, "tierNames": ["gold"] }),
    )
    .await;
    let fresh = create(
        &app,
        &brand,
        "Essayez le thé",
        "DISCOUNT",
        json!({ "skus": ["THE"], "amountMinor": 100, "excludeRecentBuyersDays": 30 }),
    )
    .await;
    let basket = |total: i64, lines: Value| json!({ "i": { "cardNumber": card, "currency": "EUR", "totalMinor": total, "lines": lines } });
    // Not gold yet; never bought tea: the tea offer applies, the gold one says why not.
    let first = owner
        .query(
            &record(),
            basket(
                12_000,
                json!([line("THE", None, 1, 500), line("X", None, 1, 11_500)]),
            ),
        )
        .await;
    let p = &first["data"]["recordPurchase"];
    assert_eq!(step(p, &gold)["reason"], "NOT_FOR_TIER", "{p}");
    assert_eq!(step(p, &fresh)["amountMinor"], 100, "{p}");
    // 119 points: gold now. Tea bought a moment ago: the tea offer is suppressed.
    let second = owner
        .query(
            &preview(),
            basket(1_000, json!([line("THE", None, 2, 500)])),
        )
        .await;
    let p = &second["data"]["previewCheckout"];
    assert_eq!(step(p, &fresh)["reason"], "RECENTLY_BOUGHT", "{p}");
    assert_eq!(step(p, &gold)["amountMinor"], 100, "{p}");
}

#[tokio::test(flavor = "multi_thread")]
async fn checkouts_and_returns_racing_on_one_offer_all_go_through() {
    let app = spawn_app().await;
    let (brand, _member, card) = brand_with_member(&app, "course-retours").await;
    let owner = app.as_token(&brand.owner.access_token);
    let a = create(
        &app,
        &brand,
        "A",
        "DISCOUNT",
        json!({ "percent": 10, "priority": 2 }),
    )
    .await;
    let b = create(
        &app,
        &brand,
        "B",
        "DISCOUNT",
        json!({ "amountMinor": 100, "priority": 1 }),
    )
    .await;
    let basket = || json!({ "i": { "cardNumber": card, "currency": "EUR", "totalMinor": 3_000, "lines": [line("X", None, 3, 1_000)] } });
    let mut bought = Vec::new();
    for _ in 0..6 {
        let r = owner.query(&record(), basket()).await;
        bought.push(
            r["data"]["recordPurchase"]["purchase"]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{r}"))
                .to_owned(),
        );
    }
    let mut runs = Vec::new();
    for id in bought {
        let (returner, buyer) = (
            app.as_token(&brand.owner.access_token),
            app.as_token(&brand.owner.access_token),
        );
        let body = basket();
        runs.push(tokio::spawn(async move {
            let r = returner.query("mutation($i: RecordReturnInput!) { recordReturn(input: $i) { offerDiscountReturnedMinor } }", json!({ "i": { "purchaseId": id, "lines": [] } })).await;
            (r, Value::Null)
        }));
        runs.push(tokio::spawn(async move {
            (buyer.query(&record(), body).await, Value::Null)
        }));
    }
    for r in runs {
        let (r, _) = r.await.unwrap_or_else(|e| panic!("{e}"));
        assert!(
            r["errors"].is_null(),
            "every checkout and return goes through: {r}"
        );
    }
    // 6 baskets kept: 1.00 then 10 % of 29.00 = 2.90 each, so 6 × 1.00 and 6 × 2.90.
    assert_eq!(
        figures(&app, &brand, &b).await["figures"]["discountGivenMinor"],
        600
    );
    assert_eq!(
        figures(&app, &brand, &a).await["figures"]["discountGivenMinor"],
        1_740
    );
    assert!(app.db_verify_ledger().await.is_sound());
}

#[tokio::test(flavor = "multi_thread")]
async fn campaign_audiences_leave_out_who_just_bought_as_offers_do() {
    let app = spawn_app().await;
    let brand = app.new_brand("deja-achete").await;
    let owner = app.as_token(&brand.owner.access_token);
    let (_a, card_a) = app
        .enroll(&brand, json!({ "email": "a@deja-achete.example" }))
        .await;
    let (_b, card_b) = app
        .enroll(&brand, json!({ "email": "b@deja-achete.example" }))
        .await;
    let (_c, card_c) = app
        .enroll(&brand, json!({ "email": "c@deja-achete.example" }))
        .await;
    let buy = |card: &str, sku: &str| {
        let category = if sku == "THE" { "tea" } else { "coffee" };
        json!({ "i": { "cardNumber": card, "currency": "EUR", "totalMinor": 500, "lines": [line(sku, Some(category), 1, 500)] } })
    };
    // A bought tea, B bought coffee, C bought tea and returned it.
    let tea = owner.query(&record(), buy(&card_a, "THE")).await;
    assert!(tea["data"]["recordPurchase"].is_object(), "{tea}");
    owner.query(&record(), buy(&card_b, "CAFE")).await;
    let returned = owner.query(&record(), buy(&card_c, "THE")).await;
    let id = returned["data"]["recordPurchase"]["purchase"]["id"]
        .as_str()
        .unwrap_or_default();
    owner
        .query(
            "mutation($i: RecordReturnInput!) { recordReturn(input: $i) { refundMinor } }",
            json!({ "i": { "purchaseId": id, "lines": [] } }),
        )
        .await;
    let preview = "query($f: AudienceFilterInput!) { audiencePreview(filter: $f) { matched } }";
    let bought = owner
        .query(
            preview,
            json!({ "f": { "boughtWithin": { "skus": ["the"], "days": 30 } } }),
        )
        .await;
    assert_eq!(bought["data"]["audiencePreview"]["matched"], 1, "{bought}");
    let not_bought = owner
        .query(
            preview,
            json!({ "f": { "not": { "boughtWithin": { "categories": ["TEA"], "days": 30 } } } }),
        )
        .await;
    assert_eq!(
        not_bought["data"]["audiencePreview"]["matched"], 2,
        "{not_bought}"
    );
    let bad = owner
        .query(preview, json!({ "f": { "boughtWithin": { "days": 0 } } }))
        .await;
    assert_eq!(
        (code_of(&bad), field_of(&bad)),
        ("VALIDATION", "input.filter.boughtWithin.days"),
        "{bad}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_offer_for_a_saved_segment_applies_to_its_members_only() {
    let app = spawn_app().await;
    let (brand, big, big_card) = brand_with_member(&app, "segment").await;
    let owner = app.as_token(&brand.owner.access_token);
    let (newbie, newbie_card) = app
        .enroll(&brand, json!({ "email": "new@segment.example" }))
        .await;
    let seg = owner
        .query(
            "mutation($n: String!, $f: AudienceFilterInput!) { saveSegment(name: $n, filter: $f) { id } }",
            json!({ "n": "Gros clients", "f": { "totalSpendAtLeastMinor": 5_000 } }),
        )
        .await;
    let seg = seg["data"]["saveSegment"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{seg}"))
        .to_owned();
    let offer = create(
        &app,
        &brand,
        "VIP -10 %",
        "DISCOUNT",
        json!({ "percent": 10, "segmentId": seg }),
    )
    .await;
    let buy = |card: &str, total: i64| {
        json!({ "i": { "cardNumber": card, "currency": "EUR", "totalMinor": total,
            "lines": [line("A", None, 1, total)] } })
    };
    // 60.00 spent before: in the segment from then on; the 60.00 purchase itself is not.
    let first = owner.query(&record(), buy(&big_card, 6_000)).await;
    assert_eq!(
        first["data"]["recordPurchase"]["offerDiscountMinor"], 0,
        "{first}"
    );
    assert_eq!(
        step(&first["data"]["recordPurchase"], &offer)["reason"],
        "NOT_IN_SEGMENT"
    );
    let vip = owner.query(&record(), buy(&big_card, 2_000)).await;
    assert_eq!(
        vip["data"]["recordPurchase"]["offerDiscountMinor"], 200,
        "{vip}"
    );
    let other = owner.query(&record(), buy(&newbie_card, 2_000)).await;
    assert_eq!(
        other["data"]["recordPurchase"]["offerDiscountMinor"], 0,
        "{other}"
    );
    assert_eq!(
        step(&other["data"]["recordPurchase"], &offer)["reason"],
        "NOT_IN_SEGMENT"
    );
    let anonymous = owner
        .query(&record(), json!({ "i": { "currency": "EUR", "totalMinor": 2_000, "lines": [line("A", None, 1, 2_000)] } }))
        .await;
    assert_eq!(
        step(&anonymous["data"]["recordPurchase"], &offer)["reason"],
        "NO_MEMBER"
    );
    let _ = (big, newbie);
    // Another brand's segment is not one to name.
    let other_brand = app.new_brand("segment-autre").await;
    let r = app
        .as_token(&other_brand.owner.access_token)
        .query(CREATE, json!({ "i": offer_input(&app, "X", "DISCOUNT", json!({ "percent": 5, "segmentId": seg })) }))
        .await;
    assert_eq!(code_of(&r), "NOT_FOUND", "{r}");
}
