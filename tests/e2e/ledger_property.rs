//! Property: whatever random sequence of purchases (some dated in the past; paid in part with
//! vouchers, cashback or stored value; earning points with tiers, cashback and stamps, with a
//! paid-membership discount), partial and whole returns, conversions into vouchers, catalog
//! rewards, expiry runs and tier reviews happens, every answer is a typed business outcome (never
//! INTERNAL) and `fidelis ledger verify` finds the ledger sound.

use chrono::{Duration, Utc};
use fidelis_tests::{CREATE_PROGRAM, RECORD_PURCHASE, code_of, spawn_app};
use proptest::prelude::*;
use serde_json::{Value, json};

#[derive(Debug, Clone)]
enum Op {
    Buy {
        member: usize,
        amount: i64,
        days_ago: i64,
        two_lines: bool,
        voucher: Option<usize>,
        cashback: i64,
        stored_value: i64,
    },
    Return {
        purchase: usize,
        whole: bool,
    },
    Convert {
        member: usize,
        points: i64,
    },
    Expire,
    Reward {
        member: usize,
    },
    ReviewTiers,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (
            (0..3usize, 0..60_000i64, prop_oneof![Just(0i64), 0..500i64], any::<bool>()),
            (proptest::option::weighted(0.3, 0..8usize), prop_oneof![3 => Just(0i64), 1 => 1..3_000i64], prop_oneof![3 => Just(0i64), 1 => 1..3_000i64]),
        )
            .prop_map(|((member, amount, days_ago, two_lines), (voucher, cashback, stored_value))| Op::Buy { member, amount, days_ago, two_lines, voucher, cashback, stored_value }),
        2 => (0..40usize, any::<bool>()).prop_map(|(purchase, whole)| Op::Return { purchase, whole }),
        2 => (0..3usize, 20..80i64).prop_map(|(member, points)| Op::Convert { member, points }),
        1 => Just(Op::Expire),
        1 => (0..3usize).prop_map(|member| Op::Reward { member }),
        1 => Just(Op::ReviewTiers),
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
    fn any_sequence_of_operations_leaves_a_sound_ledger(ops in proptest::collection::vec(op(), 1..30)) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap_or_else(|e| panic!("{e}"));
        runtime.block_on(run(ops));
    }
}

async fn run(ops: Vec<Op>) {
    let app = spawn_app().await;
    let brand = app.new_brand("propriete").await;
    let owner = app.as_token(&brand.owner.access_token);
    let since = (Utc::now() - Duration::days(800)).to_rfc3339();
    let program = owner
        .query(CREATE_PROGRAM, json!({ "i": { "name": "P", "effectiveFrom": since, "rules": { "points": { "validityMonths": 12,
            "tiers": { "baseName": "Blue", "windowMonths": 6, "levels": [{ "name": "Silver", "threshold": 50, "multiplierPercent": 150 }] } } } } }))
        .await["data"]["createProgram"]["id"]
        .clone();
    let mut other_programs = Vec::new();
    for rules in [
        json!({ "cashback": { "rateBasisPoints": 500 } }),
        json!({ "stamps": { "stampsForReward": 3, "rewardLabel": "Gift", "rewardAmountMinor": 500 } }),
        json!({ "storedValue": { "maxBalanceMinor": 100_000, "minTopUpMinor": 100 } }),
        json!({ "membership": { "feeMinor": 2_000, "discountPercent": 10, "pointsMultiplierPercent": 200 } }),
    ] {
        let r = owner
            .query(
                CREATE_PROGRAM,
                json!({ "i": { "name": "X", "effectiveFrom": since, "rules": rules } }),
            )
            .await;
        assert!(r["data"]["createProgram"]["id"].is_string(), "{r}");
        other_programs.push(r["data"]["createProgram"]["id"].clone());
    }
    let reward = owner
        .query(
            "mutation($i: CreateRewardInput!) { createReward(input: $i) { id } }",
            json!({ "i": { "programId": program, "name": "Mug", "kind": "GIFT", "pointsCost": 30, "amountMinor": 800, "stock": 3, "perMemberLimit": 2 } }),
        )
        .await["data"]["createReward"]["id"]
        .clone();
    assert!(program.is_string() && reward.is_string(), "setup failed");
    let mut members = Vec::new();
    for i in 0..3 {
        members.push(
            app.enroll(
                &brand,
                json!({ "email": format!("m{i}@propriete.example") }),
            )
            .await,
        );
    }
    // Every member holds some stored value; the first one pays for the membership.
    for (member, _) in &members {
        owner
            .query(
                "mutation($i: StoredValueInput!) { topUpStoredValue(input: $i) { balanceMinor } }",
                json!({ "i": { "memberId": member, "programId": other_programs[2], "amountMinor": 5_000 } }),
            )
            .await;
    }
    let paid = owner
        .query(
            "mutation($i: PayMembershipInput!) { payMembership(input: $i) { id } }",
            json!({ "i": { "memberId": members[0].0, "programId": other_programs[3] } }),
        )
        .await;
    assert!(paid["data"]["payMembership"]["id"].is_string(), "{paid}");
    let (mut purchases, mut vouchers): (Vec<Value>, Vec<String>) = (Vec::new(), Vec::new());
    for op in &ops {
        let resp = match op {
            Op::Buy {
                member,
                amount,
                days_ago,
                two_lines,
                voucher,
                cashback,
                stored_value,
            } => {
                let mut input = json!({
                    "cardNumber": members[*member].1, "totalMinor": amount, "currency": "EUR",
                    "occurredAt": (Utc::now() - Duration::days(*days_ago)).to_rfc3339(),
                });
                if *two_lines {
                    let half = amount / 2;
                    input["lines"] = json!([
                        { "sku": "A", "quantity": 1, "unitPriceMinor": half },
                        { "sku": "B", "quantity": 2, "unitPriceMinor": (amount - half) / 2 },
                    ]);
                    input["totalMinor"] = json!(half + (amount - half) / 2 * 2);
                }
                if let Some(v) = voucher.and_then(|i| vouchers.get(i)) {
                    input["voucherCodes"] = json!([v]);
                }
                input["cashbackMinor"] = json!(cashback);
                input["storedValueMinor"] = json!(stored_value);
                let r = owner.query(RECORD_PURCHASE, json!({ "i": input })).await;
                if let Some(id) = r["data"]["recordPurchase"]["purchase"]["id"].as_str() {
                    purchases.push(json!(id));
                }
                r
            }
            Op::Return { purchase, whole } => {
                let Some(id) = purchases.get(purchase % purchases.len().max(1)).cloned() else {
                    continue;
                };
                let lines = if *whole {
                    json!([])
                } else {
                    json!([{ "lineNo": 1, "quantity": 1 }])
                };
                owner
                    .query(
                        "mutation($i: RecordReturnInput!) { recordReturn(input: $i) { pointsReversed } }",
                        json!({ "i": { "purchaseId": id, "lines": lines } }),
                    )
                    .await
            }
            Op::Convert { member, points } => {
                let r = owner
                    .query(
                        "mutation($i: ConvertPointsInput!) { convertPointsToVoucher(input: $i) { code } }",
                        json!({ "i": { "memberId": members[*member].0, "programId": program, "points": points } }),
                    )
                    .await;
                if let Some(code) = r["data"]["convertPointsToVoucher"]["code"].as_str() {
                    vouchers.push(code.to_owned());
                }
                r
            }
            Op::Reward { member } => {
                let r = owner
                    .query(
                        "mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { code } }",
                        json!({ "i": { "memberId": members[*member].0, "rewardId": reward } }),
                    )
                    .await;
                if let Some(code) = r["data"]["redeemReward"]["code"].as_str() {
                    vouchers.push(code.to_owned());
                }
                r
            }
            Op::ReviewTiers => {
                fidelis::loyalty::tiers::run_once(&app.state.base.db, Utc::now())
                    .await
                    .unwrap_or_else(|e| panic!("tiers: {e:?}"));
                continue;
            }
            Op::Expire => {
                fidelis::loyalty::jobs::expiry::run_once(&app.state.base.db, Utc::now())
                    .await
                    .unwrap_or_else(|e| panic!("expiry: {e:?}"));
                continue;
            }
        };
        let code = code_of(&resp);
        assert!(
            matches!(
                code,
                "" | "VALIDATION"
                    | "INSUFFICIENT_BALANCE"
                    | "CONFLICT"
                    | "NOT_FOUND"
                    | "LIMIT_EXCEEDED"
            ),
            "{op:?} answered {resp}"
        );
    }
    let report = app.db_verify_ledger().await;
    assert!(report.is_sound(), "after {ops:?}: {report:?}");
}
