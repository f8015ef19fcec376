//! Property: whatever random earnings, spendings, returns, prepaid blocks, expiry runs and period
//! closes happen across three brands and four months (events dated in any of them, closes in
//! any order), every answer is a typed business outcome, `ledger verify` finds every closed
//! statement equal to its period's entries, and the statements of all periods account for
//! every card's points. (The statements' money is checked against a hand computation by
//! `coalition_model`; a zero-sum check here could not fail: the operator's line is minus the
//! brands' by construction.)

use fidelis_tests::{TestBrand, code_of, spawn_app};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::settlement::{
    BLOCK, CARD, EARN, REDEEM, RETURN, close_query, coalition, join, label, mid_month, period_query,
};

#[derive(Debug, Clone)]
enum Op {
    Earn {
        brand: usize,
        member: usize,
        amount: i64,
        back: u32,
    },
    Redeem {
        brand: usize,
        member: usize,
        points: i64,
        back: u32,
    },
    Return {
        purchase: usize,
        part: i64,
    },
    Block {
        points: i64,
    },
    Expire,
    Close {
        back: u32,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0..3usize, 0..3usize, 0..20_000i64, 0..4u32)
            .prop_map(|(brand, member, amount, back)| Op::Earn { brand, member, amount, back }),
        3 => (0..3usize, 0..3usize, 1..250i64, 0..4u32)
            .prop_map(|(brand, member, points, back)| Op::Redeem { brand, member, points, back }),
        2 => (0..20usize, 1..15_000i64).prop_map(|(purchase, part)| Op::Return { purchase, part }),
        1 => (1..400i64).prop_map(|points| Op::Block { points }),
        1 => Just(Op::Expire),
        2 => (1..4u32).prop_map(|back| Op::Close { back }),
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
    fn statements_match_the_ledger_and_account_for_every_point(ops in proptest::collection::vec(op(), 1..40)) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap_or_else(|e| panic!("{e}"));
        runtime.block_on(run(ops));
    }
}

fn typed(r: &Value, what: &str) {
    if !r["errors"].is_null() {
        let code = code_of(r);
        assert!(
            matches!(
                code,
                "VALIDATION" | "INSUFFICIENT_BALANCE" | "LIMIT_EXCEEDED" | "CONFLICT" | "NOT_FOUND"
            ),
            "{what}: {r}"
        );
    }
}

async fn run(ops: Vec<Op>) {
    let app = spawn_app().await;
    let brands: Vec<TestBrand> = vec![
        app.new_brand("prop-a").await,
        app.new_brand("prop-b").await,
        app.new_brand("prop-c").await,
    ];
    let co = coalition(&app, &brands[0], &brands[1], &brands[2]).await;
    let tokens: Vec<_> = brands
        .iter()
        .map(|b| app.as_token(&b.owner.access_token))
        .collect();
    let mut cards = Vec::new();
    for (i, brand) in brands.iter().enumerate() {
        cards.push(join(&app, brand, &co.id, &format!("p{i}@prop.example"), "P", &[]).await);
    }
    // Purchases: (brand, purchase id).
    let mut purchases: Vec<(usize, String)> = Vec::new();
    for op in ops {
        match op {
            Op::Earn {
                brand,
                member,
                amount,
                back,
            } => {
                let r = tokens[brand]
                    .query(EARN, json!({ "i": { "coalitionId": co.id, "cardNumber": cards[member], "amountMinor": amount, "occurredAt": mid_month(back).to_rfc3339() } }))
                    .await;
                typed(&r, "earn");
                if let Some(id) = r["data"]["recordCoalitionPurchase"]["movement"]["id"].as_str() {
                    purchases.push((brand, id.to_owned()));
                }
            }
            Op::Redeem {
                brand,
                member,
                points,
                back,
            } => {
                let r = tokens[brand]
                    .query(REDEEM, json!({ "i": { "coalitionId": co.id, "cardNumber": cards[member], "points": points, "occurredAt": mid_month(back).to_rfc3339() } }))
                    .await;
                typed(&r, "redeem");
            }
            Op::Return { purchase, part } => {
                if let Some((brand, id)) = purchases.get(purchase % purchases.len().max(1)) {
                    let r = tokens[*brand]
                        .query(RETURN, json!({ "i": { "coalitionId": co.id, "purchaseId": id, "amountMinor": part } }))
                        .await;
                    typed(&r, "return");
                }
            }
            Op::Block { points } => {
                let r = co
                    .operator
                    .query(BLOCK, json!({ "i": { "coalitionId": co.id, "brandId": brands[2].id, "points": points } }))
                    .await;
                typed(&r, "block");
            }
            Op::Expire => {
                fidelis::coalition::points::expire_due(&app.state.base.db, chrono::Utc::now())
                    .await
                    .unwrap_or_else(|e| panic!("expiry: {e:?}"));
            }
            Op::Close { back } => {
                let r = co
                    .operator
                    .query(
                        &close_query(),
                        json!({ "i": { "coalitionId": co.id, "period": label(mid_month(back)) } }),
                    )
                    .await;
                typed(&r, "close");
            }
        }
    }
    let report = app.db_verify_ledger().await;
    assert!(report.is_sound(), "{report:?}");

    // Close every past month; with this month's open figures, the statements account for
    // every point on the cards: issued - reversed - redeemed - breakage = balances - debts.
    let mut net_points = 0;
    for back in (0..4u32).rev() {
        let period = if back > 0 {
            co.operator
                .query(
                    &close_query(),
                    json!({ "i": { "coalitionId": co.id, "period": label(mid_month(back)) } }),
                )
                .await["data"]["closeCoalitionPeriod"]
                .clone()
        } else {
            co.operator
                .query(
                    &period_query(),
                    json!({ "c": co.id, "p": label(mid_month(0)) }),
                )
                .await["data"]["coalitionPeriod"]
                .clone()
        };
        for s in period["statements"].as_array().into_iter().flatten() {
            let n = |k: &str| s[k].as_i64().unwrap_or(0);
            net_points += n("issuedPoints") - n("reversedPoints") - n("redeemedPoints");
        }
        net_points -= period["breakagePoints"].as_i64().unwrap_or(0);
    }
    let mut on_cards = 0;
    for card in &cards {
        let c = co
            .operator
            .query(CARD, json!({ "c": co.id, "n": card }))
            .await;
        on_cards += c["data"]["coalitionCard"]["balance"].as_i64().unwrap_or(0)
            - c["data"]["coalitionCard"]["debt"].as_i64().unwrap_or(0);
    }
    assert_eq!(net_points, on_cards);
    let report = app.db_verify_ledger().await;
    assert!(report.is_sound(), "{report:?}");
}
