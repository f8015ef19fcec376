//! Property with an independent oracle: a plain model of every member's point lots, points debt,
//! cashback, cashback debt and stored value, written from the rules as the README states them
//! (not from the server's code), is compared with the API after every step of a random sequence
//! of purchases (dated now, months ago or more than a year ago; paid in part with vouchers,
//! cashback and stored value), partial and whole returns, returns racing each other, a return
//! racing a conversion of the same points or the expiry job, conversions, top-ups and expiry
//! runs. The model also predicts each operation's outcome (done, or refused with which code),
//! bounds every purchase's reversals by what it earned and its refunds by what loyalty money
//! paid, and each case must get most of its operations through.
//!
//! Program rules of the model: POINTS 1 per 10.00 of what was not paid with loyalty value
//! (vouchers, cashback), rounded down, lots live 12 calendar months, 1 point = 1.00 in a
//! voucher; CASHBACK 5 % of the same base, rounded down; STORED_VALUE spends like money and
//! still earns. Earnings repay a debt of their kind first. A return takes back the cumulative
//! floor of the returned share, less what earlier returns took, and never a purchase's points
//! that expired; points come from the purchase's own lot first, then the soonest-expiring ones,
//! the rest becomes a debt; then loyalty money that paid is refunded in the same cumulative way
//! (cashback given back repays a cashback debt first).

use chrono::{DateTime, Duration, Months, Utc};
use fidelis_tests::{CREATE_PROGRAM, Gql, RECORD_PURCHASE, TestApp, code_of, spawn_app};
use proptest::prelude::*;
use serde_json::{Value, json};

#[derive(Debug, Clone)]
enum Op {
    Buy {
        member: usize,
        quantity: i64,
        unit: i64,
        days_ago: i64,
        voucher: Option<usize>,
        cashback: i64,
        stored: i64,
    },
    Return {
        purchase: usize,
        units: Option<i64>,
    },
    RaceReturns {
        purchase: usize,
    },
    RaceReturnAndConvert {
        purchase: usize,
        points: i64,
    },
    RaceReturnAndExpiry {
        purchase: usize,
    },
    Convert {
        member: usize,
        points: i64,
    },
    TopUp {
        member: usize,
        amount: i64,
    },
    Expire,
}

fn days_ago() -> impl Strategy<Value = i64> {
    // Clear of the 12-month boundary: live lots (now, or 200-300 days ago) and lots that
    // expired a few days to three months ago (370-450 days ago).
    prop_oneof![4 => 0..20i64, 2 => 200..300i64, 2 => 370..450i64]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (
            (0..3usize, 1..4i64, 0..6_000i64, days_ago()),
            (proptest::option::weighted(0.25, 0..6usize), prop_oneof![3 => Just(0i64), 1 => 1..1_500i64], prop_oneof![3 => Just(0i64), 1 => 1..4_000i64]),
        )
            .prop_map(|((member, quantity, unit, days_ago), (voucher, cashback, stored))| Op::Buy { member, quantity, unit, days_ago, voucher, cashback, stored }),
        3 => (0..30usize, proptest::option::weighted(0.7, 1..3i64)).prop_map(|(purchase, units)| Op::Return { purchase, units }),
        2 => (0..30usize).prop_map(|purchase| Op::RaceReturns { purchase }),
        1 => (0..30usize, 1..25i64).prop_map(|(purchase, points)| Op::RaceReturnAndConvert { purchase, points }),
        1 => (0..30usize).prop_map(|purchase| Op::RaceReturnAndExpiry { purchase }),
        2 => (0..3usize, 1..25i64).prop_map(|(member, points)| Op::Convert { member, points }),
        1 => (0..3usize, 100..5_000i64).prop_map(|(member, amount)| Op::TopUp { member, amount }),
        1 => Just(Op::Expire),
    ]
}

/// 64 cases on SQLite, 32 on PostgreSQL (each case there takes ~3 s on the 2-core machine);
/// `PROPTEST_CASES` sets it (`.ci/nightly` runs 512).
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if std::env::var_os(fidelis_tests::db::PG_ENV).is_some() {
            32
        } else {
            64
        })
}

#[test]
fn every_balance_follows_an_independent_model() {
    crate::model_runner::check(
        file!(),
        cases(),
        proptest::collection::vec(op(), 8..32),
        run,
    );
}

// ---------------------------------------------------------------------------------------------
// The model.

#[derive(Debug, Clone)]
struct Lot {
    remaining: i64,
    expires_at: DateTime<Utc>,
    /// Creation order (the server's ids are time-ordered).
    seq: usize,
    purchase: Option<usize>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Balances {
    points: i64,
    points_debt: i64,
    cashback: i64,
    cashback_debt: i64,
    stored: i64,
}

#[derive(Debug, Clone, Default)]
struct Member {
    lots: Vec<Lot>,
    points_debt: i64,
    cashback: i64,
    cashback_debt: i64,
    stored: i64,
}

impl Member {
    fn available(&self) -> i64 {
        self.lots.iter().map(|l| l.remaining).sum()
    }

    fn balances(&self) -> Balances {
        Balances {
            points: self.available(),
            points_debt: self.points_debt,
            cashback: self.cashback,
            cashback_debt: self.cashback_debt,
            stored: self.stored,
        }
    }

    /// Takes up to `amount` points from live lots, `own` first, then soonest expiry (then
    /// oldest); returns what it took.
    fn take(&mut self, amount: i64, own: Option<usize>) -> i64 {
        let mut order: Vec<usize> = (0..self.lots.len())
            .filter(|i| self.lots[*i].remaining > 0)
            .collect();
        order.sort_by_key(|i| {
            let l = &self.lots[*i];
            (Some(l.seq) != own, l.expires_at, l.seq)
        });
        let mut left = amount;
        for i in order {
            let t = left.min(self.lots[i].remaining);
            self.lots[i].remaining -= t;
            left -= t;
        }
        amount - left
    }
}

#[derive(Debug, Clone)]
struct Purchase {
    id: String,
    member: usize,
    quantity: i64,
    value: i64,
    points: i64,
    /// `seq` of the lot the purchase filled, if any.
    lot: Option<usize>,
    expired: i64,
    cashback: i64,
    cashback_paid: i64,
    stored_paid: i64,
    returned: i64,
    points_reversed: i64,
    cashback_reversed: i64,
    refunded_cashback: i64,
    refunded_stored: i64,
}

#[derive(Debug, Clone)]
struct Voucher {
    code: String,
    member: usize,
    amount: i64,
    used: bool,
}

#[derive(Debug, Clone, Default)]
struct Model {
    members: Vec<Member>,
    purchases: Vec<Purchase>,
    vouchers: Vec<Voucher>,
    seq: usize,
}

/// What the model says an operation does: done, or refused with this code.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Done,
    Refused(&'static str),
}

fn share(amount: i64, done: i64, total: i64) -> i64 {
    if total <= 0 {
        return 0;
    }
    i64::try_from(i128::from(amount) * i128::from(done) / i128::from(total)).unwrap_or(0)
}

impl Model {
    /// Points are gone at their lot's expiry instant.
    fn expire(&mut self, now: DateTime<Utc>) {
        for member in &mut self.members {
            for lot in &mut member.lots {
                if lot.remaining > 0 && lot.expires_at <= now {
                    if let Some(p) = lot.purchase {
                        self.purchases[p].expired += lot.remaining;
                    }
                    lot.remaining = 0;
                }
            }
        }
    }

    #[expect(clippy::too_many_arguments, reason = "one purchase, all of it")]
    fn buy(
        &mut self,
        member: usize,
        quantity: i64,
        unit: i64,
        at: DateTime<Utc>,
        voucher: Option<usize>,
        cashback_pay: i64,
        stored_pay: i64,
        now: DateTime<Utc>,
    ) -> (Outcome, Option<usize>) {
        self.expire(now);
        let total = quantity * unit;
        let mut next = self.clone();
        let mut loyalty = 0;
        if let Some(v) = voucher {
            let voucher = &mut next.vouchers[v];
            if voucher.member != member || voucher.used {
                return (Outcome::Refused("CONFLICT"), None);
            }
            voucher.used = true;
            loyalty += voucher.amount.min(total - loyalty);
        }
        let m = &mut next.members[member];
        if cashback_pay != 0 {
            if cashback_pay > total - loyalty {
                return (Outcome::Refused("VALIDATION"), None);
            }
            if m.cashback < cashback_pay {
                return (Outcome::Refused("INSUFFICIENT_BALANCE"), None);
            }
            m.cashback -= cashback_pay;
            loyalty += cashback_pay;
        }
        if stored_pay != 0 {
            if stored_pay > total - loyalty {
                return (Outcome::Refused("VALIDATION"), None);
            }
            if m.stored < stored_pay {
                return (Outcome::Refused("INSUFFICIENT_BALANCE"), None);
            }
            m.stored -= stored_pay;
        }
        let base = total - loyalty;
        let points = base / 1_000;
        let cashback = base * 500 / 10_000;
        let mut lot = None;
        if points > 0 {
            let repay = points.min(m.points_debt);
            m.points_debt -= repay;
            if points > repay {
                next.seq += 1;
                lot = Some(next.seq);
                m.lots.push(Lot {
                    remaining: points - repay,
                    expires_at: at.checked_add_months(Months::new(12)).unwrap_or(at),
                    seq: next.seq,
                    purchase: Some(next.purchases.len()),
                });
            }
        }
        if cashback > 0 {
            let repay = cashback.min(m.cashback_debt);
            m.cashback_debt -= repay;
            m.cashback += cashback - repay;
        }
        let purchase = Purchase {
            id: String::new(),
            member,
            quantity,
            value: total,
            points,
            lot,
            expired: 0,
            cashback,
            cashback_paid: cashback_pay,
            stored_paid: stored_pay,
            returned: 0,
            points_reversed: 0,
            cashback_reversed: 0,
            refunded_cashback: 0,
            refunded_stored: 0,
        };
        next.purchases.push(purchase);
        // A lot already past its expiry expires at once.
        next.expire(now);
        *self = next;
        (Outcome::Done, Some(self.purchases.len() - 1))
    }

    /// A return of `units` (all that is left when `None`) of purchase `p`; returns the outcome
    /// and (points reversed + owed, stored value refunded).
    fn ret(&mut self, p: usize, units: Option<i64>, now: DateTime<Utc>) -> (Outcome, i64, i64) {
        self.expire(now);
        let left = self.purchases[p].quantity - self.purchases[p].returned;
        let units = match units {
            None if left == 0 => return (Outcome::Refused("CONFLICT"), 0, 0),
            None => left,
            Some(u) if u > left => return (Outcome::Refused("VALIDATION"), 0, 0),
            Some(u) => u,
        };
        let purchase = self.purchases[p].clone();
        let (q, before, after) = (
            purchase.quantity,
            purchase.returned,
            purchase.returned + units,
        );
        let m = &mut self.members[purchase.member];
        // Points: the cumulative share, never what expired, less what was taken before.
        let mut points_delta = 0;
        if purchase.points > 0 {
            let target = share(purchase.points, after, q);
            let reversible = target.min(purchase.points - purchase.expired);
            points_delta = (reversible - purchase.points_reversed).max(0);
            let taken = m.take(points_delta, purchase.lot);
            m.points_debt += points_delta - taken;
        }
        let (vb, va) = (
            share(purchase.value, before, q),
            share(purchase.value, after, q),
        );
        let mut cashback_delta = 0;
        if purchase.cashback > 0 {
            cashback_delta = share(purchase.cashback, va, purchase.value)
                - share(purchase.cashback, vb, purchase.value);
            let taken = cashback_delta.min(m.cashback.max(0));
            m.cashback -= taken;
            m.cashback_debt += cashback_delta - taken;
        }
        let refund_cb = share(purchase.cashback_paid, va, purchase.value)
            - share(purchase.cashback_paid, vb, purchase.value);
        let refund_sv = share(purchase.stored_paid, va, purchase.value)
            - share(purchase.stored_paid, vb, purchase.value);
        // Cashback given back repays a cashback debt first.
        let repaid = refund_cb.min(m.cashback_debt);
        m.cashback_debt -= repaid;
        m.cashback += refund_cb - repaid;
        m.stored += refund_sv;
        let pm = &mut self.purchases[p];
        pm.returned = after;
        pm.points_reversed += points_delta;
        pm.cashback_reversed += cashback_delta;
        pm.refunded_cashback += refund_cb;
        pm.refunded_stored += refund_sv;
        // Bounds: never more than the purchase earned, never more than loyalty money paid.
        assert!(pm.points_reversed <= pm.points, "{pm:?}");
        assert!(pm.cashback_reversed <= pm.cashback, "{pm:?}");
        assert!(pm.refunded_cashback <= pm.cashback_paid, "{pm:?}");
        assert!(pm.refunded_stored <= pm.stored_paid, "{pm:?}");
        if pm.returned == pm.quantity {
            assert_eq!(
                pm.points_reversed,
                pm.points - pm.expired.min(pm.points),
                "{pm:?}"
            );
            assert_eq!(pm.refunded_stored, pm.stored_paid, "{pm:?}");
            assert_eq!(pm.refunded_cashback, pm.cashback_paid, "{pm:?}");
        }
        (Outcome::Done, points_delta, refund_sv)
    }

    fn convert(&mut self, member: usize, points: i64, now: DateTime<Utc>) -> Outcome {
        self.expire(now);
        let m = &mut self.members[member];
        if points > m.available() {
            return Outcome::Refused("INSUFFICIENT_BALANCE");
        }
        m.take(points, None);
        Outcome::Done
    }
}

// ---------------------------------------------------------------------------------------------
// Running it against the API.

struct World {
    app: TestApp,
    owner: Gql,
    points_program: String,
    wallet: String,
    members: Vec<(String, String)>,
}

const RETURN: &str = "mutation($i: RecordReturnInput!) { recordReturn(input: $i) { pointsReversed pointsToDebt storedValueRefundedMinor } }";
const CONVERT: &str =
    "mutation($i: ConvertPointsInput!) { convertPointsToVoucher(input: $i) { code } }";

fn outcome(r: &Value) -> Outcome {
    match code_of(r) {
        "" => Outcome::Done,
        "CONFLICT" => Outcome::Refused("CONFLICT"),
        "VALIDATION" => Outcome::Refused("VALIDATION"),
        "INSUFFICIENT_BALANCE" => Outcome::Refused("INSUFFICIENT_BALANCE"),
        other => panic!("an untyped or unexpected answer ({other}): {r}"),
    }
}

impl World {
    async fn balances(&self, member: usize) -> Balances {
        let r = self
            .owner
            .query(
                "query($id: ID!) { member(id: $id) { points { available debt } cashback { balanceMinor debtMinor } storedValue { balanceMinor } } }",
                json!({ "id": self.members[member].0 }),
            )
            .await;
        let m = &r["data"]["member"];
        assert!(m.is_object(), "{r}");
        let sum = |list: &Value, key: &str| -> i64 {
            list.as_array()
                .into_iter()
                .flatten()
                .map(|x| x[key].as_i64().unwrap_or(0))
                .sum()
        };
        Balances {
            points: sum(&m["points"], "available"),
            points_debt: sum(&m["points"], "debt"),
            cashback: sum(&m["cashback"], "balanceMinor"),
            cashback_debt: sum(&m["cashback"], "debtMinor"),
            stored: sum(&m["storedValue"], "balanceMinor"),
        }
    }

    async fn ret(&self, id: &str, units: Option<i64>) -> Value {
        let lines = units.map_or(json!([]), |u| json!([{ "lineNo": 1, "quantity": u }]));
        self.owner
            .query(RETURN, json!({ "i": { "purchaseId": id, "lines": lines } }))
            .await
    }

    async fn convert(&self, member: usize, points: i64) -> Value {
        self.owner
            .query(CONVERT, json!({ "i": { "memberId": self.members[member].0, "programId": self.points_program, "points": points } }))
            .await
    }
}

async fn setup() -> World {
    let app = spawn_app().await;
    let brand = app.new_brand("modele").await;
    let owner = app.as_token(&brand.owner.access_token);
    let since = (Utc::now() - Duration::days(800)).to_rfc3339();
    let create = |name: &str, rules: Value| {
        let owner = owner.clone();
        let name = name.to_owned();
        let since = since.clone();
        async move {
            let r = owner
                .query(
                    CREATE_PROGRAM,
                    json!({ "i": { "name": name, "effectiveFrom": since, "rules": rules } }),
                )
                .await;
            r["data"]["createProgram"]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{r}"))
                .to_owned()
        }
    };
    let points_program = create(
        "Points",
        json!({ "points": { "points": 1, "perAmountMinor": 1_000, "validityMonths": 12, "pointValueMinor": 100, "minimumRedemptionPoints": 1 } }),
    )
    .await;
    create(
        "Cagnotte",
        json!({ "cashback": { "rateBasisPoints": 500 } }),
    )
    .await;
    let wallet = create(
        "Carte",
        json!({ "storedValue": { "maxBalanceMinor": 10_000_000, "minTopUpMinor": 100 } }),
    )
    .await;
    let mut members = Vec::new();
    for i in 0..3 {
        members.push(
            app.enroll(&brand, json!({ "email": format!("m{i}@modele.example") }))
                .await,
        );
    }
    World {
        app,
        owner,
        points_program,
        wallet,
        members,
    }
}

async fn run(ops: Vec<Op>) -> (usize, usize) {
    let world = setup().await;
    let mut model = Model {
        members: vec![Member::default(); 3],
        ..Model::default()
    };
    // Every member starts with money on the card and one purchase (points and cashback to
    // spend), so that most random operations have something to work on.
    let prelude: Vec<Op> = (0..3)
        .flat_map(|member| {
            [
                Op::TopUp {
                    member,
                    amount: 20_000,
                },
                Op::Buy {
                    member,
                    quantity: 2,
                    unit: 30_000,
                    days_ago: 10,
                    voucher: None,
                    cashback: 0,
                    stored: 0,
                },
            ]
        })
        .collect();
    let (mut done, mut tried) = (0_usize, 0_usize);
    for (n, op) in prelude.iter().chain(&ops).enumerate() {
        if n == prelude.len() {
            (done, tried) = (0, 0);
        }
        let now = Utc::now();
        // Operations on purchases wait for one to exist (and are not counted until then).
        let needs_purchase = matches!(
            op,
            Op::Return { .. }
                | Op::RaceReturns { .. }
                | Op::RaceReturnAndConvert { .. }
                | Op::RaceReturnAndExpiry { .. }
        );
        if needs_purchase && model.purchases.is_empty() {
            continue;
        }
        tried += 1;
        match op {
            Op::Buy {
                member,
                quantity,
                unit,
                days_ago,
                voucher,
                cashback,
                stored,
            } => {
                let at = Utc::now() - Duration::days(*days_ago);
                let voucher = voucher.filter(|v| *v < model.vouchers.len());
                let mut input = json!({ "cardNumber": world.members[*member].1, "totalMinor": quantity * unit, "currency": "EUR",
                    "occurredAt": at.to_rfc3339(), "cashbackMinor": cashback, "storedValueMinor": stored,
                    "lines": [{ "sku": "X", "quantity": quantity, "unitPriceMinor": unit }] });
                if let Some(v) = voucher {
                    input["voucherCodes"] = json!([model.vouchers[v].code]);
                }
                let r = world
                    .owner
                    .query(RECORD_PURCHASE, json!({ "i": input }))
                    .await;
                let (expected, purchase) = model.buy(
                    *member, *quantity, *unit, at, voucher, *cashback, *stored, now,
                );
                assert_eq!(outcome(&r), expected, "{op:?}: {r}");
                if let Some(p) = purchase {
                    let p = &mut model.purchases[p];
                    p.id = r["data"]["recordPurchase"]["purchase"]["id"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned();
                    assert_eq!(
                        r["data"]["recordPurchase"]["purchase"]["pointsEarned"].as_i64(),
                        Some(p.points),
                        "{op:?}: {r}"
                    );
                    done += 1;
                }
            }
            Op::Return { purchase, units } => {
                let Some(p) = pick(&model, *purchase) else {
                    continue;
                };
                let r = world.ret(&model.purchases[p].id.clone(), *units).await;
                let (expected, points, refund) = model.ret(p, *units, now);
                assert_eq!(outcome(&r), expected, "{op:?}: {r}");
                if expected == Outcome::Done {
                    let g = &r["data"]["recordReturn"];
                    assert_eq!(
                        (
                            g["pointsReversed"].as_i64().unwrap_or(0)
                                + g["pointsToDebt"].as_i64().unwrap_or(0),
                            g["storedValueRefundedMinor"].as_i64()
                        ),
                        (points, Some(refund)),
                        "{op:?}: {r}"
                    );
                    done += 1;
                }
            }
            Op::RaceReturns { purchase } => {
                let Some(p) = pick(&model, *purchase) else {
                    continue;
                };
                let id = model.purchases[p].id.clone();
                let (a, b) = tokio::join!(world.ret(&id, Some(1)), world.ret(&id, Some(1)));
                // Whatever the order, the returns take units one after the other.
                let first = model.ret(p, Some(1), now).0;
                let second = model.ret(p, Some(1), now).0;
                let mut got = [outcome(&a), outcome(&b)];
                let mut want = [first, second];
                got.sort_by_key(|o| format!("{o:?}"));
                want.sort_by_key(|o| format!("{o:?}"));
                assert_eq!(got, want, "{op:?}: {a} {b}");
                done += got.iter().filter(|o| **o == Outcome::Done).count();
            }
            Op::RaceReturnAndConvert { purchase, points } => {
                let Some(p) = pick(&model, *purchase) else {
                    continue;
                };
                let member = model.purchases[p].member;
                let id = model.purchases[p].id.clone();
                let (r, c) = tokio::join!(world.ret(&id, Some(1)), world.convert(member, *points));
                // Two orders are possible: the answers say which happened.
                let mut return_first = model.clone();
                let rf = (
                    return_first.ret(p, Some(1), now).0,
                    return_first.convert(member, *points, now),
                );
                let mut convert_first = model.clone();
                let cf_convert = convert_first.convert(member, *points, now);
                let cf = (convert_first.ret(p, Some(1), now).0, cf_convert);
                let got = (outcome(&r), outcome(&c));
                let candidates: Vec<Model> = [(rf, return_first), (cf, convert_first)]
                    .into_iter()
                    .filter(|(o, _)| *o == got)
                    .map(|(_, m)| m)
                    .collect();
                assert!(!candidates.is_empty(), "{op:?}: {r} {c}");
                let actual = world.balances(member).await;
                model = candidates
                    .into_iter()
                    .find(|m| m.members[member].balances() == actual)
                    .unwrap_or_else(|| panic!("{op:?}: no order explains {actual:?}"));
                if let Some(code) = c["data"]["convertPointsToVoucher"]["code"].as_str() {
                    model.vouchers.push(Voucher {
                        code: code.to_owned(),
                        member,
                        amount: points * 100,
                        used: false,
                    });
                }
                done += usize::from(got.0 == Outcome::Done) + usize::from(got.1 == Outcome::Done);
            }
            Op::RaceReturnAndExpiry { purchase } => {
                let Some(p) = pick(&model, *purchase) else {
                    continue;
                };
                let id = model.purchases[p].id.clone();
                let db = world.app.state.base.db.clone();
                let (r, job) = tokio::join!(
                    world.ret(&id, Some(1)),
                    fidelis::loyalty::jobs::expiry::run_once(&db, Utc::now())
                );
                job.unwrap_or_else(|e| panic!("expiry: {e:?}"));
                let (expected, points, refund) = model.ret(p, Some(1), now);
                assert_eq!(outcome(&r), expected, "{op:?}: {r}");
                if expected == Outcome::Done {
                    let g = &r["data"]["recordReturn"];
                    assert_eq!(
                        (
                            g["pointsReversed"].as_i64().unwrap_or(0)
                                + g["pointsToDebt"].as_i64().unwrap_or(0),
                            g["storedValueRefundedMinor"].as_i64()
                        ),
                        (points, Some(refund)),
                        "{op:?}: {r}"
                    );
                    done += 1;
                }
            }
            Op::Convert { member, points } => {
                let r = world.convert(*member, *points).await;
                let expected = model.convert(*member, *points, now);
                assert_eq!(outcome(&r), expected, "{op:?}: {r}");
                if let Some(code) = r["data"]["convertPointsToVoucher"]["code"].as_str() {
                    model.vouchers.push(Voucher {
                        code: code.to_owned(),
                        member: *member,
                        amount: points * 100,
                        used: false,
                    });
                    done += 1;
                }
            }
            Op::TopUp { member, amount } => {
                let r = world
                    .owner
                    .query(
                        "mutation($i: StoredValueInput!) { topUpStoredValue(input: $i) { balanceMinor } }",
                        json!({ "i": { "memberId": world.members[*member].0, "programId": world.wallet, "amountMinor": amount } }),
                    )
                    .await;
                assert_eq!(outcome(&r), Outcome::Done, "{op:?}: {r}");
                model.members[*member].stored += amount;
                done += 1;
            }
            Op::Expire => {
                fidelis::loyalty::jobs::expiry::run_once(&world.app.state.base.db, Utc::now())
                    .await
                    .unwrap_or_else(|e| panic!("expiry: {e:?}"));
                done += 1;
            }
        }
        model.expire(Utc::now());
        // The member the step touched, after every step (all of them at the end).
        let touched: Vec<usize> = match op {
            Op::Buy { member, .. } | Op::Convert { member, .. } | Op::TopUp { member, .. } => {
                vec![*member]
            }
            Op::Return { purchase, .. }
            | Op::RaceReturns { purchase }
            | Op::RaceReturnAndConvert { purchase, .. }
            | Op::RaceReturnAndExpiry { purchase } => {
                pick(&model, *purchase).map_or(vec![], |p| vec![model.purchases[p].member])
            }
            Op::Expire => vec![0, 1, 2],
        };
        for m in touched {
            assert_eq!(
                world.balances(m).await,
                model.members[m].balances(),
                "member {m} after {op:?}\nops: {ops:?}"
            );
        }
    }
    model.expire(Utc::now());
    for m in 0..3 {
        assert_eq!(
            world.balances(m).await,
            model.members[m].balances(),
            "member {m} at the end\nops: {ops:?}"
        );
    }
    let report = world.app.db_verify_ledger().await;
    assert!(report.is_sound(), "{report:?}");
    (done, tried)
}

/// A purchase of the model by index (wrapping), if there is any.
fn pick(model: &Model, index: usize) -> Option<usize> {
    (!model.purchases.is_empty()).then(|| index % model.purchases.len())
}
