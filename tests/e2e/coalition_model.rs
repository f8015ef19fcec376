//! Property with an independent oracle for coalitions: a plain model of the cards (balance,
//! debt), the prepaid brand's block, the months closed, and per month and brand the points
//! issued, reversed, redeemed and prepaid and the late events; each closed statement is
//! computed from it by hand — exact fractions in i128, every line rounded once, half away from
//! zero — and compared with what the API closed, and every card with the API after every step.
//! Racing returns of one purchase are among the steps.
//!
//! The coalition of `settlement::coalition`: issue price 1.0 cent a point, redemption value 0.8,
//! fees 0.05 cent a point issued plus 1 % of the issue value; A and B postpaid at 1 and 2 points
//! a euro, C prepaid at 1 point a euro (no reserve).

use fidelis_tests::{TestBrand, code_of, spawn_app};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::settlement::{
    BLOCK, EARN, REDEEM, RETURN, close_query, coalition, join, label, mid_month,
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
    RaceReturns {
        purchase: usize,
        part: i64,
    },
    Block {
        points: i64,
    },
    Close {
        back: u32,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..3usize, 0..3usize, 0..20_000i64, 0..4u32)
            .prop_map(|(brand, member, amount, back)| Op::Earn { brand, member, amount, back }),
        3 => (0..3usize, 0..3usize, 1..150i64, 0..4u32)
            .prop_map(|(brand, member, points, back)| Op::Redeem { brand, member, points, back }),
        2 => (0..20usize, 1..8_000i64).prop_map(|(purchase, part)| Op::Return { purchase, part }),
        1 => (0..20usize, 1..5_000i64).prop_map(|(purchase, part)| Op::RaceReturns { purchase, part }),
        2 => (1..400i64).prop_map(|points| Op::Block { points }),
        2 => (1..4u32).prop_map(|back| Op::Close { back }),
    ]
}

/// 32 cases on SQLite, 16 on PostgreSQL; `PROPTEST_CASES` sets it.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if std::env::var_os(fidelis_tests::db::PG_ENV).is_some() {
            16
        } else {
            32
        })
}

#[test]
fn closed_statements_equal_a_hand_computation() {
    crate::model_runner::check(
        file!(),
        cases(),
        proptest::collection::vec(op(), 6..30),
        run,
    );
}

/// Points per euro of each brand, and whether it is prepaid.
const RATES: [(i64, bool); 3] = [(1, false), (2, false), (1, true)];

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counts {
    issued: i64,
    reversed: i64,
    redeemed: i64,
    prepaid: i64,
    late: i64,
}

#[derive(Debug, Clone)]
struct Purchase {
    id: String,
    brand: usize,
    card: usize,
    amount: i64,
    points: i64,
    returned: i64,
}

#[derive(Debug, Clone, Default)]
struct Model {
    balance: [i64; 3],
    debt: [i64; 3],
    block: i64,
    purchases: Vec<Purchase>,
    /// Months back (1..=3) that are closed.
    closed: [bool; 4],
    /// Per month back (0..=3) and brand.
    counts: [[Counts; 3]; 4],
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Done,
    Refused(&'static str),
}

impl Model {
    /// The month an event dated `back` months ago counts in, and whether it is late.
    fn month_of(&self, back: u32) -> (usize, bool) {
        let back = back as usize;
        if !self.closed[back] {
            return (back, false);
        }
        // The next open month after it (this month is never closed).
        let open = (0..back).rev().find(|b| !self.closed[*b]).unwrap_or(0);
        (open, true)
    }

    fn earn(&mut self, brand: usize, card: usize, amount: i64, back: u32) -> (Outcome, i64) {
        let (rate, prepaid) = RATES[brand];
        if amount < 1 {
            return (Outcome::Refused("VALIDATION"), 0);
        }
        let points = amount * rate / 100;
        if points == 0 {
            return (Outcome::Done, 0);
        }
        if prepaid {
            if self.block < points {
                return (Outcome::Refused("LIMIT_EXCEEDED"), 0);
            }
            self.block -= points;
        }
        let repay = points.min(self.debt[card]);
        self.debt[card] -= repay;
        self.balance[card] += points - repay;
        let (month, late) = self.month_of(back);
        let c = &mut self.counts[month][brand];
        c.issued += points;
        c.late += i64::from(late);
        (Outcome::Done, points)
    }

    fn redeem(&mut self, brand: usize, card: usize, points: i64, back: u32) -> Outcome {
        if points > self.balance[card] {
            return Outcome::Refused("INSUFFICIENT_BALANCE");
        }
        self.balance[card] -= points;
        let (month, late) = self.month_of(back);
        let c = &mut self.counts[month][brand];
        c.redeemed += points;
        c.late += i64::from(late);
        Outcome::Done
    }

    /// A return of `part` of purchase `p`, dated now; (outcome, points taken back or owed).
    fn ret(&mut self, p: usize, part: i64) -> (Outcome, i64) {
        let purchase = self.purchases[p].clone();
        if part > purchase.amount - purchase.returned {
            return (Outcome::Refused("VALIDATION"), 0);
        }
        let share = |returned: i64| purchase.points * returned / purchase.amount.max(1);
        let points = share(purchase.returned + part) - share(purchase.returned);
        self.purchases[p].returned += part;
        if points > 0 {
            let from_balance = points.min(self.balance[purchase.card].max(0));
            self.balance[purchase.card] -= from_balance;
            self.debt[purchase.card] += points - from_balance;
            if RATES[purchase.brand].1 {
                self.block += points;
            }
            self.counts[0][purchase.brand].reversed += points;
        }
        assert!(
            self.purchases[p].returned <= purchase.amount,
            "{:?}",
            self.purchases[p]
        );
        (Outcome::Done, points)
    }
}

/// `numerator / denominator`, rounded half away from zero.
fn round(numerator: i128, denominator: i128) -> i64 {
    let q = numerator / denominator;
    let r = numerator % denominator;
    let q = if 2 * r.abs() >= denominator {
        q + numerator.signum()
    } else {
        q
    };
    i64::try_from(q).unwrap_or(i64::MAX)
}

/// (issuedValue, redeemedValue, prepaidValue, fees, net) of a statement line, by hand: prices
/// per 1000 points 1000 (issue), 800 (redemption), fee 50 per 1000 issued plus 100 bp.
fn money(c: &Counts, prepaid: bool) -> (i64, i64, i64, i64, i64) {
    let net = i128::from(c.issued - c.reversed);
    let issued_value = if prepaid { 0 } else { round(net * 1000, 1000) };
    let redeemed_value = round(i128::from(c.redeemed) * 800, 1000);
    let prepaid_value = round(i128::from(c.prepaid) * 1000, 1000);
    // 0.05 cent a point plus 1 % of the issue value, as one fraction over 1000 × 10 000.
    let fees = round(net * 50 * 10_000 + net * 1000 * 100, 1000 * 10_000);
    (
        issued_value,
        redeemed_value,
        prepaid_value,
        fees,
        redeemed_value - issued_value - prepaid_value - fees,
    )
}

fn outcome(r: &Value) -> Outcome {
    match code_of(r) {
        "" => Outcome::Done,
        "VALIDATION" => Outcome::Refused("VALIDATION"),
        "INSUFFICIENT_BALANCE" => Outcome::Refused("INSUFFICIENT_BALANCE"),
        "LIMIT_EXCEEDED" => Outcome::Refused("LIMIT_EXCEEDED"),
        other => panic!("an untyped or unexpected answer ({other}): {r}"),
    }
}

async fn run(ops: Vec<Op>) -> (usize, usize) {
    let app = spawn_app().await;
    let brands: Vec<TestBrand> = vec![
        app.new_brand("modele-a").await,
        app.new_brand("modele-b").await,
        app.new_brand("modele-c").await,
    ];
    let co = coalition(&app, &brands[0], &brands[1], &brands[2]).await;
    let tokens: Vec<_> = brands
        .iter()
        .map(|b| app.as_token(&b.owner.access_token))
        .collect();
    let mut cards = Vec::new();
    for (i, brand) in brands.iter().enumerate() {
        cards.push(
            join(
                &app,
                brand,
                &co.id,
                &format!("c{i}@modele.example"),
                "C",
                &[],
            )
            .await,
        );
    }
    let mut model = Model::default();
    let (mut done, mut tried) = (0_usize, 0_usize);
    for op in &ops {
        if matches!(op, Op::Return { .. } | Op::RaceReturns { .. }) && model.purchases.is_empty() {
            continue;
        }
        tried += 1;
        match op {
            Op::Earn {
                brand,
                member,
                amount,
                back,
            } => {
                let r = tokens[*brand]
                    .query(EARN, json!({ "i": { "coalitionId": co.id, "cardNumber": cards[*member], "amountMinor": amount, "occurredAt": mid_month(*back).to_rfc3339() } }))
                    .await;
                let (expected, points) = model.earn(*brand, *member, *amount, *back);
                assert_eq!(outcome(&r), expected, "{op:?}: {r}");
                if expected == Outcome::Done {
                    let p = &r["data"]["recordCoalitionPurchase"];
                    assert_eq!(p["points"].as_i64(), Some(points), "{op:?}: {r}");
                    if let Some(id) = p["movement"]["id"].as_str() {
                        model.purchases.push(Purchase {
                            id: id.to_owned(),
                            brand: *brand,
                            card: *member,
                            amount: *amount,
                            points,
                            returned: 0,
                        });
                    }
                    done += 1;
                }
            }
            Op::Redeem {
                brand,
                member,
                points,
                back,
            } => {
                let r = tokens[*brand]
                    .query(REDEEM, json!({ "i": { "coalitionId": co.id, "cardNumber": cards[*member], "points": points, "occurredAt": mid_month(*back).to_rfc3339() } }))
                    .await;
                let expected = model.redeem(*brand, *member, *points, *back);
                assert_eq!(outcome(&r), expected, "{op:?}: {r}");
                done += usize::from(expected == Outcome::Done);
            }
            Op::Return { purchase, part } => {
                let p = purchase % model.purchases.len();
                let target = model.purchases[p].clone();
                let r = tokens[target.brand]
                    .query(RETURN, json!({ "i": { "coalitionId": co.id, "purchaseId": target.id, "amountMinor": part } }))
                    .await;
                let (expected, points) = model.ret(p, *part);
                assert_eq!(outcome(&r), expected, "{op:?}: {r}");
                if expected == Outcome::Done {
                    assert_eq!(
                        r["data"]["recordCoalitionReturn"]["points"].as_i64(),
                        Some(-points),
                        "{op:?}: {r}"
                    );
                    done += 1;
                }
            }
            Op::RaceReturns { purchase, part } => {
                let p = purchase % model.purchases.len();
                let target = model.purchases[p].clone();
                let body = json!({ "i": { "coalitionId": co.id, "purchaseId": target.id, "amountMinor": part } });
                let (a, b) = tokio::join!(
                    tokens[target.brand].query(RETURN, body.clone()),
                    tokens[target.brand].query(RETURN, body)
                );
                // One after the other, whichever went first.
                let first = model.ret(p, *part);
                let second = model.ret(p, *part);
                let mut got = [
                    (
                        outcome(&a),
                        -a["data"]["recordCoalitionReturn"]["points"]
                            .as_i64()
                            .unwrap_or(0),
                    ),
                    (
                        outcome(&b),
                        -b["data"]["recordCoalitionReturn"]["points"]
                            .as_i64()
                            .unwrap_or(0),
                    ),
                ];
                let mut want = [first, second];
                got.sort_by_key(|o| format!("{o:?}"));
                want.sort_by_key(|o| format!("{o:?}"));
                // Individual shares depend on the order; outcomes and the total do not.
                assert_eq!(
                    got.iter().map(|g| g.0.clone()).collect::<Vec<_>>(),
                    want.iter().map(|w| w.0.clone()).collect::<Vec<_>>(),
                    "{op:?}: {a} {b}"
                );
                assert_eq!(
                    got.iter().map(|g| g.1).sum::<i64>(),
                    want.iter().map(|w| w.1).sum::<i64>(),
                    "{op:?}: {a} {b}"
                );
                done += got.iter().filter(|g| g.0 == Outcome::Done).count();
            }
            Op::Block { points } => {
                let r = co
                    .operator
                    .query(BLOCK, json!({ "i": { "coalitionId": co.id, "brandId": brands[2].id, "points": points } }))
                    .await;
                assert_eq!(outcome(&r), Outcome::Done, "{op:?}: {r}");
                model.block += points;
                model.counts[0][2].prepaid += points;
                done += 1;
            }
            Op::Close { back } => {
                let r = co
                    .operator
                    .query(
                        &close_query(),
                        json!({ "i": { "coalitionId": co.id, "period": label(mid_month(*back)) } }),
                    )
                    .await;
                assert_eq!(outcome(&r), Outcome::Done, "{op:?}: {r}");
                model.closed[*back as usize] = true;
                check_statement(
                    &r["data"]["closeCoalitionPeriod"],
                    &model,
                    *back as usize,
                    &brands,
                );
                done += 1;
            }
        }
        for (i, card) in cards.iter().enumerate() {
            let c = co
                .operator
                .query(
                    "query($c: ID!, $n: String!) { coalitionCard(coalitionId: $c, cardNumber: $n) { balance debt } }",
                    json!({ "c": co.id, "n": card }),
                )
                .await;
            let v = &c["data"]["coalitionCard"];
            assert_eq!(
                (v["balance"].as_i64(), v["debt"].as_i64()),
                (Some(model.balance[i]), Some(model.debt[i])),
                "card {i} after {op:?}\nops: {ops:?}"
            );
        }
    }
    // Every past month closed at the end equals the hand computation too.
    for back in (1..4u32).rev() {
        let r = co
            .operator
            .query(
                &close_query(),
                json!({ "i": { "coalitionId": co.id, "period": label(mid_month(back)) } }),
            )
            .await;
        model.closed[back as usize] = true;
        check_statement(
            &r["data"]["closeCoalitionPeriod"],
            &model,
            back as usize,
            &brands,
        );
    }
    let report = app.db_verify_ledger().await;
    assert!(report.is_sound(), "{report:?}");
    (done, tried)
}

/// A closed period against the model's counts of that month.
fn check_statement(period: &Value, model: &Model, back: usize, brands: &[TestBrand]) {
    let mut operator = 0;
    for (i, brand) in brands.iter().enumerate() {
        let s = period["statements"]
            .as_array()
            .and_then(|a| a.iter().find(|s| s["brandId"] == brand.id.as_str()))
            .unwrap_or_else(|| panic!("no statement of brand {i}: {period}"));
        let c = model.counts[back][i];
        let (issued_value, redeemed_value, prepaid_value, fees, net) = money(&c, RATES[i].1);
        let n = |k: &str| s[k].as_i64().unwrap_or(i64::MIN);
        assert_eq!(
            (
                n("issuedPoints"),
                n("reversedPoints"),
                n("redeemedPoints"),
                n("prepaidPoints"),
                n("issuedValueMinor"),
                n("redeemedValueMinor"),
                n("prepaidValueMinor"),
                n("feesMinor"),
                n("netMinor"),
                n("lateEvents"),
            ),
            (
                c.issued,
                c.reversed,
                c.redeemed,
                c.prepaid,
                issued_value,
                redeemed_value,
                prepaid_value,
                fees,
                net,
                c.late
            ),
            "brand {i}, {back} months back: {period}"
        );
        operator -= net;
    }
    assert_eq!(
        period["operatorNetMinor"].as_i64(),
        Some(operator),
        "{period}"
    );
}
