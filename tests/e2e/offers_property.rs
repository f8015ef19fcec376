//! Property: whatever random offers a brand runs (every kind that acts at the till, stackable or
//! exclusive, with budgets and a cap) and whatever random baskets and partial or whole returns
//! follow, every answer is a typed outcome (never INTERNAL), the offers never take more than a
//! basket or a line is worth, their line shares add up, returns never refund more than was paid
//! (and exactly that once everything is back), the offers' figures equal what the purchases
//! kept, and `fidelis ledger verify` finds the ledger sound.

use chrono::Duration;
use fidelis_tests::{code_of, spawn_app};
use proptest::prelude::*;
use serde_json::{Value, json};

#[derive(Debug, Clone)]
struct Offer {
    kind: usize,
    target: usize,
    a: i64,
    b: i64,
    exclusive: bool,
    budget: Option<i64>,
}

#[derive(Debug, Clone)]
enum Op {
    Buy {
        member: bool,
        lines: Vec<(usize, i64, i64)>,
        trade_in: bool,
    },
    Return {
        purchase: usize,
        line: Option<(usize, i64)>,
    },
}

/// A purchase as the test follows it: id, total paid, refunded so far, offer discount, offer
/// discount returned, (units, units returned) per line.
type Kept = (String, i64, i64, i64, i64, Vec<(i64, i64)>);

const SKUS: [(&str, &str); 4] = [("A", "wine"), ("B", "wine"), ("C", "food"), ("D", "hair")];

fn offer() -> impl Strategy<Value = Offer> {
    (
        0..7usize,
        0..4usize,
        1..60i64,
        1..5i64,
        any::<bool>(),
        proptest::option::weighted(0.3, 100..5_000i64),
    )
        .prop_map(|(kind, target, a, b, exclusive, budget)| Offer {
            kind,
            target,
            a,
            b,
            exclusive,
            budget,
        })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (
            any::<bool>(),
            proptest::collection::vec((0..4usize, 1..6i64, 0..3_000i64), 1..5),
            any::<bool>(),
        )
            .prop_map(|(member, lines, trade_in)| Op::Buy { member, lines, trade_in }),
        2 => (0..20usize, proptest::option::of((0..5usize, 1..4i64)))
            .prop_map(|(purchase, line)| Op::Return { purchase, line }),
    ]
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_offers_baskets_and_returns_keep_every_amount_sound(
        offers in proptest::collection::vec(offer(), 1..6),
        cap in proptest::option::weighted(0.3, 5..60i32),
        ops in proptest::collection::vec(op(), 1..16),
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap_or_else(|e| panic!("{e}"));
        runtime.block_on(run(offers, cap, ops));
    }
}

fn offer_input(o: &Offer, i: usize, now: chrono::DateTime<chrono::Utc>) -> Value {
    let (sku, category) = SKUS[o.target];
    let mut input = json!({
        "name": format!("offre {i}"),
        "startsAt": now - Duration::hours(1),
        "endsAt": now + Duration::days(10),
        "priority": i,
        "exclusive": o.exclusive,
        "budgetMinor": o.budget,
    });
    let fields = match o.kind {
        0 => json!({ "kind": "DISCOUNT", "categories": [category], "percent": o.a }),
        1 => {
            json!({ "kind": "DISCOUNT", "amountMinor": o.a * 10, "minimumBasketMinor": o.b * 500 })
        }
        2 => {
            json!({ "kind": "MULTI_BUY", "skus": [sku], "buyQuantity": o.b + 1, "payQuantity": o.b })
        }
        3 => {
            json!({ "kind": "NTH_AT_PERCENT", "categories": [category], "nth": 2, "percent": o.a })
        }
        4 => {
            json!({ "kind": "BUNDLE", "bundleParts": [{ "skus": ["A"], "quantity": 1 }, { "skus": ["C"], "quantity": 1 }], "bundlePriceMinor": o.a * 20 })
        }
        5 => {
            json!({ "kind": "EXTRA_QUANTITY", "skus": [sku], "perQuantity": o.b, "freeQuantity": 1 })
        }
        _ => {
            json!({ "kind": "TRADE_IN", "tradeInCategory": "old", "categories": [category], "amountMinor": o.a * 5 })
        }
    };
    if let (Some(i), Some(f)) = (input.as_object_mut(), fields.as_object()) {
        for (k, v) in f {
            i.insert(k.clone(), v.clone());
        }
    }
    input
}

async fn run(offers: Vec<Offer>, cap: Option<i32>, ops: Vec<Op>) {
    let app = spawn_app().await;
    let brand = app.new_brand("offres-propriete").await;
    let owner = app.as_token(&brand.owner.access_token);
    app.new_points_program(
        &brand,
        "Points",
        json!({ "points": 1, "perAmountMinor": 100 }),
    )
    .await;
    let (_member, card) = app
        .enroll(&brand, json!({ "email": "m@offres-propriete.example" }))
        .await;
    if let Some(cap) = cap {
        let r = owner
            .query(
                "mutation($c: Int) { updateBrandSettings(input: { name: \"P\", timezone: \"Europe/Paris\", locale: \"fr-FR\", offerCapPercent: $c }) { id } }",
                json!({ "c": cap }),
            )
            .await;
        assert!(r["data"]["updateBrandSettings"].is_object(), "{r}");
    }
    let mut ids = Vec::new();
    for (i, o) in offers.iter().enumerate() {
        let r = owner
            .query(
                "mutation($i: OfferInput!) { createOffer(input: $i) { id } }",
                json!({ "i": offer_input(o, i, app.now()) }),
            )
            .await;
        assert!(r["data"]["createOffer"]["id"].is_string(), "{o:?}: {r}");
        ids.push(r["data"]["createOffer"]["id"].clone());
    }
    let mut purchases: Vec<Kept> = Vec::new();
    let mut given = 0_i64;
    for op in &ops {
        match op {
            Op::Buy {
                member,
                lines,
                trade_in,
            } => {
                let lines: Vec<Value> = lines
                    .iter()
                    .map(|(sku, q, price)| json!({ "sku": SKUS[*sku].0, "category": SKUS[*sku].1, "quantity": q, "unitPriceMinor": price }))
                    .collect();
                let total: i64 = lines
                    .iter()
                    .map(|l| {
                        l["quantity"].as_i64().unwrap_or(0)
                            * l["unitPriceMinor"].as_i64().unwrap_or(0)
                    })
                    .sum();
                let r = owner
                    .query(
                        "mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { offerDiscountMinor purchase { id totalMinor offerDiscountMinor lines { quantity unitPriceMinor discountMinor offerDiscountMinor offerId } } } }",
                        json!({ "i": { "cardNumber": if *member { Some(card.clone()) } else { None }, "currency": "EUR", "totalMinor": total,
                            "lines": lines, "tradeIns": if *trade_in { json!([{ "category": "old", "reference": "x" }]) } else { json!([]) } } }),
                    )
                    .await;
                assert_ne!(code_of(&r), "INTERNAL", "{r}");
                let p = &r["data"]["recordPurchase"]["purchase"];
                let Some(id) = p["id"].as_str() else {
                    panic!("a valid basket refused: {r}");
                };
                let discount = p["offerDiscountMinor"].as_i64().unwrap_or(-1);
                assert!((0..=total).contains(&discount), "{r}");
                assert_eq!(p["totalMinor"].as_i64(), Some(total - discount), "{r}");
                let booked = p["lines"].as_array().cloned().unwrap_or_default();
                let shares: i64 = booked
                    .iter()
                    .filter_map(|l| l["offerDiscountMinor"].as_i64())
                    .sum();
                assert_eq!(shares, discount, "line shares add up: {r}");
                for l in &booked {
                    let value = l["quantity"].as_i64().unwrap_or(0)
                        * l["unitPriceMinor"].as_i64().unwrap_or(0);
                    assert!(
                        l["discountMinor"].as_i64().unwrap_or(0) <= value,
                        "a line discounted beyond its value: {r}"
                    );
                }
                given += discount;
                purchases.push((
                    id.to_owned(),
                    total - discount,
                    0,
                    discount,
                    0,
                    booked
                        .iter()
                        .map(|l| (l["quantity"].as_i64().unwrap_or(0), 0))
                        .collect(),
                ));
            }
            Op::Return { purchase, line } => {
                let Some(n) = (!purchases.is_empty()).then(|| purchase % purchases.len()) else {
                    continue;
                };
                let p = &mut purchases[n];
                let lines = match line {
                    Some((l, q)) => {
                        let l = l % p.5.len();
                        json!([{ "lineNo": l + 1, "quantity": q }])
                    }
                    None => json!([]),
                };
                let r = owner
                    .query(
                        "mutation($i: RecordReturnInput!) { recordReturn(input: $i) { refundMinor offerDiscountReturnedMinor } }",
                        json!({ "i": { "purchaseId": p.0, "lines": lines } }),
                    )
                    .await;
                assert_ne!(code_of(&r), "INTERNAL", "{r}");
                if let Some(done) = r["data"]["recordReturn"].as_object() {
                    p.2 += done["refundMinor"].as_i64().unwrap_or(0);
                    p.4 += done["offerDiscountReturnedMinor"].as_i64().unwrap_or(0);
                    match line {
                        Some((l, q)) => {
                            let l = l % p.5.len();
                            p.5[l].1 += q;
                        }
                        None => {
                            for u in &mut p.5 {
                                u.1 = u.0;
                            }
                        }
                    }
                    assert!(p.2 <= p.1, "refunded {} of {} paid: {r}", p.2, p.1);
                    assert!(p.4 <= p.3, "gave back {} of {} discount: {r}", p.4, p.3);
                    given -= done["offerDiscountReturnedMinor"].as_i64().unwrap_or(0);
                    if p.5.iter().all(|(q, back)| back >= q) {
                        assert_eq!(p.2, p.1, "everything back, everything refunded");
                        assert_eq!(p.4, p.3, "everything back, every discount given back");
                    }
                } else {
                    assert!(matches!(code_of(&r), "VALIDATION" | "CONFLICT"), "{r}");
                }
            }
        }
    }
    // The offers' figures are what the purchases kept.
    let figures = owner
        .query("{ offers { figures { discountGivenMinor } } }", json!({}))
        .await;
    let total: i64 = figures["data"]["offers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["figures"]["discountGivenMinor"].as_i64())
        .sum();
    assert_eq!(total, given, "{figures}");
    let report = app.db_verify_ledger().await;
    assert!(report.is_sound(), "{report:?}");
}
