//! Contests and lotteries: a draw re-checked from its public record alone (by an independent
//! implementation of the documented function, written here from the README's words), drawn once
//! by two workers at once, winners mailed, prizes claimed (points and vouchers in the ledger),
//! an unclaimed prize redrawn to the next entry in order; instant wins that never exceed their
//! stock under racing entries; a quiz won by the closest estimate; entries earned by purchases
//! and withdrawn by returns; points spent on entries; instant wins by odds (tickets racing for
//! the stock, a win voided by a return, the stock left drawn at the close, re-checked the same
//! way); and the refusals (validation, limits, tiers, staff, another brand's contest).

use chrono::{DateTime, Duration, Utc};
use fidelis_tests::{PASSWORD, TestApp, TestBrand, code_of, field_of, spawn_app};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const CREATE: &str = "mutation($i: ContestInput!, $k: String) { createContest(input: $i, idempotencyKey: $k) { id phase seedCommitment seed entryListHash rulesVersion fairnessPath } }";
const CONTEST: &str = "query($id: ID!) { contest(id: $id) { id phase seed seedCommitment entryListHash entryCount tiebreakAnswer figures { entries withdrawn participants winners claimed lapsed } winners { id memberId entryId position status claimUntil voucherId prize { rank name kind } } audit { kind memberId details } } }";
const ENTER: &str = "mutation($i: EnterInput!) { enterContest(input: $i) { entry { id participant rulesVersion source } won { id status prize { name } } } }";
const DRAW: &str = "mutation($id: ID!) { drawContest(id: $id) { id phase seed entryListHash } }";
const CLAIM: &str =
    "mutation($id: ID!) { claimContestPrize(winnerId: $id) { id status claimedAt voucherId } }";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha(s: &str) -> String {
    hex(&Sha256::digest(s.as_bytes()))
}

fn contest_input(app: &TestApp, name: &str, kind: &str, fields: Value) -> Value {
    let mut input = json!({
        "name": name,
        "kind": kind,
        "opensAt": app.now() - Duration::minutes(1),
        "closesAt": app.now() + Duration::days(7),
        "freeEntry": true,
        "rulesText": "Règlement : un lot par foyer. Rules: one prize per household.",
        "prizes": [{ "name": "Weekend", "kind": "GIFT" }],
    });
    if let (Some(i), Some(f)) = (input.as_object_mut(), fields.as_object()) {
        for (k, v) in f {
            i.insert(k.clone(), v.clone());
        }
    }
    input
}

async fn create(app: &TestApp, brand: &TestBrand, input: Value) -> Value {
    let resp = app
        .as_token(&brand.owner.access_token)
        .query(CREATE, json!({ "i": input }))
        .await;
    assert!(resp["data"]["createContest"]["id"].is_string(), "{resp}");
    resp["data"]["createContest"].clone()
}

async fn enter(
    app: &TestApp,
    brand: &TestBrand,
    contest: &str,
    member: &str,
    extra: Value,
) -> Value {
    let mut input = json!({ "contestId": contest, "memberId": member });
    if let (Some(i), Some(f)) = (input.as_object_mut(), extra.as_object()) {
        for (k, v) in f {
            i.insert(k.clone(), v.clone());
        }
    }
    app.as_token(&brand.owner.access_token)
        .query(ENTER, json!({ "i": input }))
        .await
}

async fn contest(app: &TestApp, brand: &TestBrand, id: &str) -> Value {
    let resp = app
        .as_token(&brand.owner.access_token)
        .query(CONTEST, json!({ "id": id }))
        .await;
    assert!(resp["data"]["contest"].is_object(), "{resp}");
    resp["data"]["contest"].clone()
}

async fn fairness(app: &TestApp, id: &str) -> Value {
    let resp = app
        .http
        .get(app.url(&format!("/contests/{id}/fairness")))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap_or_else(|e| panic!("{e}"))
}

/// Moves the server's clock on; the owner signs in again (access tokens last 15 minutes).
async fn later(app: &TestApp, brand: TestBrand, by: Duration) -> TestBrand {
    app.clock().advance(by);
    TestBrand {
        owner: app.login(&brand.owner.email, PASSWORD).await,
        ..brand
    }
}

async fn run_jobs(app: &TestApp) {
    fidelis::community::contests::entries::run_once(&app.state.base, app.now())
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    fidelis::community::contests::draw::run_once(&app.state.base, app.now())
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
}

/// The README's function, written again from its words (not the server's code).
mod recheck {
    use super::*;

    pub struct Stream {
        seed: String,
        label: String,
        block: u64,
        buf: Vec<u8>,
    }

    impl Stream {
        pub fn new(seed: &str, label: &str) -> Self {
            Self {
                seed: seed.into(),
                label: label.into(),
                block: 0,
                buf: vec![],
            }
        }
        fn u64(&mut self) -> u64 {
            if self.buf.len() < 8 {
                let d = Sha256::digest(
                    format!("{}:{}:{}", self.seed, self.label, self.block).as_bytes(),
                );
                self.block += 1;
                self.buf.extend_from_slice(&d);
            }
            let b: Vec<u8> = self.buf.drain(..8).collect();
            u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
        }
        pub fn below(&mut self, bound: u64) -> u64 {
            // Accept x < 2^64 - (2^64 mod bound).
            let r = ((u128::from(u64::MAX) + 1) % u128::from(bound)) as u64;
            loop {
                let x = self.u64();
                if u128::from(x) < (u128::from(u64::MAX) + 1 - u128::from(r)) {
                    return x % bound;
                }
            }
        }
    }

    /// Entries sorted by id, their list hash.
    pub fn list_hash(entries: &[Value]) -> String {
        let mut lines: Vec<(String, String)> = entries
            .iter()
            .map(|e| {
                let at: DateTime<Utc> = serde_json::from_value(e["at"].clone()).unwrap_or_default();
                let distance = e["distance"]
                    .as_i64()
                    .map(|d| d.to_string())
                    .unwrap_or_default();
                let id = e["entry"].as_str().unwrap_or_default().to_owned();
                // v2: the ticket ends the line.
                let ticket = e["ticket"]
                    .as_i64()
                    .map(|t| format!(",{t}"))
                    .unwrap_or_default();
                let line = format!(
                    "{},{},{},{},{}{}\n",
                    id,
                    e["participant"].as_str().unwrap_or_default(),
                    if e["eligible"] == true { 1 } else { 0 },
                    distance,
                    at.timestamp_millis(),
                    ticket
                );
                (id, line)
            })
            .collect();
        lines.sort();
        sha(&lines.into_iter().map(|(_, l)| l).collect::<String>())
    }

    /// (prize rank, entry id) of the first draw.
    pub fn winners(
        seed: &str,
        hash: &str,
        entries: &[Value],
        prizes: &[(i64, i64)],
    ) -> Vec<(i64, String)> {
        winners_skipping(
            seed,
            hash,
            entries,
            prizes,
            &std::collections::HashSet::new(),
        )
    }

    /// v2: (prize rank, entry id, ticket) won by tickets, in ticket order.
    pub fn ticket_wins(
        seed: &str,
        one_in: u64,
        entries: &[Value],
        prizes: &[(i64, i64)],
    ) -> Vec<(i64, String, i64)> {
        let mut left: Vec<i64> = vec![];
        for (rank, q) in prizes {
            for _ in 0..*q {
                left.push(*rank);
            }
        }
        let mut by_ticket: Vec<&Value> = entries.iter().collect();
        by_ticket.sort_by_key(|e| e["ticket"].as_i64().unwrap_or(i64::MAX));
        let mut won = std::collections::HashSet::new();
        let mut out = vec![];
        for e in by_ticket {
            let participant = e["participant"].as_str().unwrap_or_default().to_owned();
            if won.contains(&participant) {
                continue;
            }
            let ticket = e["ticket"].as_i64().unwrap_or_default();
            let mut s = Stream::new(seed, &format!("ticket:{ticket}"));
            if s.below(one_in) == 0 && !left.is_empty() {
                let k = s.below(left.len() as u64) as usize;
                out.push((
                    left.remove(k),
                    e["entry"].as_str().unwrap_or_default().to_owned(),
                    ticket,
                ));
                won.insert(participant);
            }
        }
        out
    }

    /// The draw, passing over the participants in `holders`.
    pub fn winners_skipping(
        seed: &str,
        hash: &str,
        entries: &[Value],
        prizes: &[(i64, i64)],
        holders: &std::collections::HashSet<String>,
    ) -> Vec<(i64, String)> {
        let mut sorted: Vec<&Value> = entries.iter().collect();
        sorted.sort_by_key(|e| e["entry"].as_str().unwrap_or_default().to_owned());
        let mut eligible: Vec<&Value> = sorted
            .into_iter()
            .filter(|e| e["eligible"] == true)
            .collect();
        let mut s = Stream::new(seed, hash);
        let n = eligible.len();
        for i in 0..n.saturating_sub(1) {
            let j = i + s.below((n - i) as u64) as usize;
            eligible.swap(i, j);
        }
        eligible.sort_by_key(|e| e["distance"].as_i64().unwrap_or(0));
        let mut units = vec![];
        for (rank, q) in prizes {
            for _ in 0..*q {
                units.push(*rank);
            }
        }
        let mut won = holders.clone();
        let mut out = vec![];
        let mut u = units.into_iter();
        let mut next = u.next();
        for e in eligible {
            let Some(rank) = next else { break };
            if won.insert(e["participant"].as_str().unwrap_or_default().to_owned()) {
                out.push((rank, e["entry"].as_str().unwrap_or_default().to_owned()));
                next = u.next();
            }
        }
        out
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_draw_is_drawn_once_rechecked_from_its_public_record_claimed_and_redrawn() {
    let app = spawn_app().await;
    let brand = app.new_brand("jeu").await;
    let owner = app.as_token(&brand.owner.access_token);
    let program = app
        .new_points_program(
            &brand,
            "Points",
            json!({ "points": 1, "perAmountMinor": 100 }),
        )
        .await;
    owner
        .query(
            "mutation($i: MailSettingsInput!) { updateMailSettings(input: $i) { saved } }",
            json!({ "i": { "fromName": "Jeu", "fromAddress": "jeu@jeu.example" } }),
        )
        .await;
    let c = create(
        &app,
        &brand,
        contest_input(
            &app,
            "Grand jeu",
            "DRAW",
            json!({
                "maxEntriesPerMember": 2,
                "programId": program,
                "claimDays": 10,
                "unclaimed": "REDRAW",
                "prizes": [
                    { "name": "500 points", "kind": "POINTS", "points": 500 },
                    { "name": "Bon de 10 €", "kind": "VOUCHER", "quantity": 2, "voucherAmountMinor": 1000, "voucherValidDays": 60 },
                ],
            }),
        ),
    )
    .await;
    let id = c["id"].as_str().unwrap_or_default().to_owned();
    // The commitment is public from the start; the seed is not.
    assert_eq!(c["seedCommitment"].as_str().map(str::len), Some(64));
    assert!(c["seed"].is_null());
    let before = fairness(&app, &id).await;
    assert_eq!(before["seedCommitment"], c["seedCommitment"]);
    assert!(
        before["seed"].is_null() && before["entries"] == json!([]),
        "{before}"
    );

    let mut members = vec![];
    for i in 0..8 {
        let (m, _) = app
            .enroll(
                &brand,
                json!({ "email": format!("p{i}@jeu.example"), "firstName": format!("P{i}") }),
            )
            .await;
        members.push(m);
    }
    for m in &members {
        let r = enter(&app, &brand, &id, m, json!({})).await;
        assert_eq!(r["data"]["enterContest"]["entry"]["rulesVersion"], 1, "{r}");
    }
    // A second entry each for two members; a retried entry (same key) changes nothing.
    let first = enter(
        &app,
        &brand,
        &id,
        &members[0],
        json!({ "idempotencyKey": "e-0-2" }),
    )
    .await;
    let again = enter(
        &app,
        &brand,
        &id,
        &members[0],
        json!({ "idempotencyKey": "e-0-2" }),
    )
    .await;
    assert_eq!(
        first["data"]["enterContest"]["entry"]["id"],
        again["data"]["enterContest"]["entry"]["id"]
    );
    let third = enter(&app, &brand, &id, &members[0], json!({})).await;
    assert_eq!(code_of(&third), "LIMIT_EXCEEDED", "{third}");
    // Both entries of a member carry the same pseudonym.
    assert_eq!(
        first["data"]["enterContest"]["entry"]["participant"]
            .as_str()
            .map(str::len),
        Some(16)
    );
    // Not drawn before entries close.
    let early = owner.query(DRAW, json!({ "id": id })).await;
    assert_eq!(code_of(&early), "CONFLICT", "{early}");

    let brand = later(&app, brand, Duration::days(7) + Duration::minutes(1)).await;
    let owner = app.as_token(&brand.owner.access_token);
    let late = enter(&app, &brand, &id, &members[1], json!({})).await;
    assert_eq!(code_of(&late), "CONFLICT", "{late}");
    // Two workers draw at once (and a manager too): drawn once.
    let base = &app.state.base;
    let now = app.now();
    let (a, b, m) = tokio::join!(
        fidelis::community::contests::draw::run_once(base, now),
        fidelis::community::contests::draw::run_once(base, now),
        owner.query(DRAW, json!({ "id": id })),
    );
    a.unwrap_or_else(|e| panic!("{e:?}"));
    b.unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(m["data"]["drawContest"]["phase"], "DRAWN", "{m}");
    let drawn = contest(&app, &brand, &id).await;
    let audit = drawn["audit"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        audit
            .iter()
            .filter(|s| s["kind"] == "contest.drawn")
            .count(),
        1,
        "{audit:?}"
    );
    assert_eq!(
        drawn["winners"].as_array().map(Vec::len),
        Some(3),
        "{drawn}"
    );
    assert_eq!(drawn["entryCount"], 9);
    assert_eq!(drawn["figures"]["participants"], 8);

    // The public record alone is enough to re-check the draw.
    let record = fairness(&app, &id).await;
    let seed = record["seed"].as_str().unwrap_or_default().to_owned();
    assert_eq!(
        sha(&seed),
        record["seedCommitment"].as_str().unwrap_or_default()
    );
    assert_eq!(record["seedCommitment"], c["seedCommitment"]);
    let entries = record["entries"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 9);
    let hash = recheck::list_hash(&entries);
    assert_eq!(Some(hash.as_str()), record["entryListHash"].as_str());
    let expected = recheck::winners(&seed, &hash, &entries, &[(1, 1), (2, 2)]);
    let mut published: Vec<(i64, String)> = record["winners"]
        .as_array()
        .unwrap_or(&vec![])
        .iter()
        .map(|w| {
            (
                w["prize"].as_i64().unwrap_or(0),
                w["entry"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let mut expected_sorted = expected.clone();
    expected_sorted.sort();
    published.sort();
    assert_eq!(published, expected_sorted);
    // And by the server's own checker, which also refuses a tampered record.
    let typed: fidelis::community::fairness::Published =
        serde_json::from_value(record.clone()).unwrap_or_else(|e| panic!("{e}"));
    assert!(fidelis::community::fairness::verify(&typed).is_empty());
    let mut tampered = typed.clone();
    let loser = tampered
        .entries
        .iter()
        .find(|e| !tampered.winners.iter().any(|w| w.entry == e.entry))
        .map(|e| e.entry)
        .unwrap_or_default();
    tampered.winners[0].entry = loser;
    assert!(!fidelis::community::fairness::verify(&tampered).is_empty());

    // Winners are mailed once.
    let mail = fidelis::engagement::transactional::run_once(
        &app.state.base,
        &app.state.links,
        &app.state.post,
        app.now(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(mail.sent, 3, "{mail:?}");
    let winners = drawn["winners"].as_array().cloned().unwrap_or_default();
    let email_of = |member: &str| {
        members
            .iter()
            .position(|m| m == member)
            .map(|i| format!("p{i}@jeu.example"))
            .unwrap_or_default()
    };
    for w in &winners {
        let m = app
            .smtp
            .wait_for(&email_of(w["memberId"].as_str().unwrap_or_default()))
            .await;
        assert!(
            m.subject().starts_with("Vous avez gagné"),
            "{}",
            m.subject()
        );
        assert!(
            m.text()
                .contains(w["prize"]["name"].as_str().unwrap_or_default()),
            "{}",
            m.text()
        );
    }

    // The points prize is claimed: 500 points in the ledger; claiming twice changes nothing.
    let points_winner = winners
        .iter()
        .find(|w| w["prize"]["kind"] == "POINTS")
        .cloned()
        .unwrap_or_default();
    let pm = points_winner["memberId"].as_str().unwrap_or_default();
    let before = app.points(&brand, pm).await;
    let c1 = owner
        .query(CLAIM, json!({ "id": points_winner["id"] }))
        .await;
    assert_eq!(c1["data"]["claimContestPrize"]["status"], "CLAIMED", "{c1}");
    let c2 = owner
        .query(CLAIM, json!({ "id": points_winner["id"] }))
        .await;
    assert_eq!(
        c2["data"]["claimContestPrize"]["claimedAt"],
        c1["data"]["claimContestPrize"]["claimedAt"]
    );
    assert_eq!(app.points(&brand, pm).await, before + 500);
    // One voucher prize is claimed (a voucher of 10.00), the other is left to lapse.
    let vouchers: Vec<Value> = winners
        .iter()
        .filter(|w| w["prize"]["kind"] == "VOUCHER")
        .cloned()
        .collect();
    let v = owner.query(CLAIM, json!({ "id": vouchers[0]["id"] })).await;
    assert!(
        v["data"]["claimContestPrize"]["voucherId"].is_string(),
        "{v}"
    );
    let voucher = owner
        .query(
            "query($m: ID!) { member(id: $m) { vouchers { id amountMinor source } } }",
            json!({ "m": vouchers[0]["memberId"] }),
        )
        .await;
    assert!(
        voucher["data"]["member"]["vouchers"]
            .as_array()
            .unwrap_or(&vec![])
            .iter()
            .any(|x| x["source"] == "CONTEST" && x["amountMinor"] == 1000),
        "{voucher}"
    );

    // Past the deadline the unclaimed prize lapses and goes to the next entry in the order.
    let brand = later(&app, brand, Duration::days(11)).await;
    let owner = app.as_token(&brand.owner.access_token);
    run_jobs(&app).await;
    let after = contest(&app, &brand, &id).await;
    assert_eq!(after["figures"]["lapsed"], 1, "{after}");
    assert_eq!(after["figures"]["winners"], 3, "{after}");
    let lapsed = after["winners"]
        .as_array()
        .unwrap_or(&vec![])
        .iter()
        .find(|w| w["status"] == "LAPSED")
        .cloned()
        .unwrap_or_default();
    assert_eq!(lapsed["id"], vouchers[1]["id"]);
    let late_claim = owner.query(CLAIM, json!({ "id": lapsed["id"] })).await;
    assert_eq!(code_of(&late_claim), "CONFLICT");
    let record = fairness(&app, &id).await;
    let typed: fidelis::community::fairness::Published =
        serde_json::from_value(record).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(typed.winners.len(), 4);
    assert!(
        fidelis::community::fairness::verify(&typed).is_empty(),
        "{:?}",
        fidelis::community::fairness::verify(&typed)
    );
    // The winner's data export holds their entries and their prize.
    let export = owner
        .query(
            "query($m: ID!) { exportMemberData(memberId: $m) }",
            json!({ "m": pm }),
        )
        .await;
    let data = &export["data"]["exportMemberData"];
    assert!(
        data["contest_entries"]
            .as_array()
            .is_some_and(|e| !e.is_empty()),
        "{export}"
    );
    assert_eq!(data["contest_wins"][0]["status"], "CLAIMED", "{export}");
    let report = app.db_verify_ledger().await;
    assert!(report.is_sound(), "{report:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn instant_wins_never_exceed_their_stock_under_racing_entries() {
    let app = spawn_app().await;
    let brand = app.new_brand("instant").await;
    let c = create(
        &app,
        &brand,
        contest_input(
            &app,
            "Instant gagnant",
            "INSTANT_WIN",
            json!({
                "opensAt": app.now() + Duration::seconds(1),
                "closesAt": app.now() + Duration::days(30),
                "prizes": [
                    { "name": "Sac", "kind": "GIFT", "quantity": 2 },
                    { "name": "Mug", "kind": "GIFT", "quantity": 1 },
                ],
            }),
        ),
    )
    .await;
    let id = c["id"].as_str().unwrap_or_default().to_owned();
    let mut members = vec![];
    for i in 0..16 {
        members.push(
            app.enroll(&brand, json!({ "email": format!("i{i}@instant.example") }))
                .await
                .0,
        );
    }
    // Every moment is due: just after the last one (read from the database: they are secret
    // until the draw). Over 30 days, the last moment is almost never within seconds of the close.
    let last = {
        use sea_orm::{ColumnTrait, QueryFilter};
        let scope = app
            .state
            .base
            .scope(uuid::Uuid::parse_str(&brand.id).unwrap_or_default());
        let conn = scope.conn();
        conn.find::<entity::contest_moment::Entity>()
            .filter(
                entity::contest_moment::Column::ContestId
                    .eq(uuid::Uuid::parse_str(&id).unwrap_or_default()),
            )
            .all(conn.db())
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .map(|m| m.at)
            .max()
            .unwrap_or_else(|| panic!("no moments"))
    };
    let brand = later(&app, brand, last - app.now() + Duration::milliseconds(10)).await;
    let results = futures_util::future::join_all(
        members
            .iter()
            .map(|m| enter(&app, &brand, &id, m, json!({}))),
    )
    .await;
    let mut won = vec![];
    for r in &results {
        assert!(r["data"]["enterContest"]["entry"]["id"].is_string(), "{r}");
        if r["data"]["enterContest"]["won"].is_object() {
            won.push(
                r["data"]["enterContest"]["won"]["prize"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            );
        }
    }
    won.sort();
    assert_eq!(won, vec!["Mug", "Sac", "Sac"]);
    let brand = later(&app, brand, Duration::days(31)).await;
    run_jobs(&app).await;
    let drawn = contest(&app, &brand, &id).await;
    assert_eq!(drawn["phase"], "DRAWN");
    assert_eq!(drawn["winners"].as_array().map(Vec::len), Some(3));
    let record = fairness(&app, &id).await;
    assert_eq!(
        record["moments"].as_array().map(Vec::len),
        Some(3),
        "{record}"
    );
    let typed: fidelis::community::fairness::Published =
        serde_json::from_value(record).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        fidelis::community::fairness::verify(&typed).is_empty(),
        "{:?}",
        fidelis::community::fairness::verify(&typed)
    );
}

const ODDS: &str = "query($id: ID!) { contest(id: $id) { phase oddsOneIn prizesLeft winners { memberId entryId position status topUp prize { rank name } } } }";

async fn odds_view(app: &TestApp, brand: &TestBrand, id: &str) -> Value {
    let resp = app
        .as_token(&brand.owner.access_token)
        .query(ODDS, json!({ "id": id }))
        .await;
    assert!(resp["data"]["contest"].is_object(), "{resp}");
    resp["data"]["contest"].clone()
}

/// Re-checks an odds record with the independent implementation: the tickets' wins, then the
/// stock left drawn among the entries. Returns the number of prizes given (voided ones left out).
fn recheck_odds(record: &Value, one_in: u64, prizes: &[(i64, i64)]) -> usize {
    assert_eq!(record["algorithm"], "fidelis-draw-v2", "{record}");
    let seed = record["seed"].as_str().unwrap_or_default();
    assert_eq!(
        sha(seed),
        record["seedCommitment"].as_str().unwrap_or_default()
    );
    let entries = record["entries"].as_array().cloned().unwrap_or_default();
    let hash = recheck::list_hash(&entries);
    assert_eq!(Some(hash.as_str()), record["entryListHash"].as_str());
    let mut tickets: Vec<i64> = entries
        .iter()
        .filter_map(|e| e["ticket"].as_i64())
        .collect();
    tickets.sort_unstable();
    assert_eq!(tickets, (1..=entries.len() as i64).collect::<Vec<_>>());
    let winners = record["winners"].as_array().cloned().unwrap_or_default();
    let of = |w: &Value| {
        (
            w["prize"].as_i64().unwrap_or_default(),
            w["entry"].as_str().unwrap_or_default().to_owned(),
            w["position"].as_i64().unwrap_or_default(),
        )
    };
    let mut by_ticket: Vec<_> = winners
        .iter()
        .filter(|w| w["topUp"] != true)
        .map(of)
        .collect();
    by_ticket.sort();
    let mut expected = recheck::ticket_wins(seed, one_in, &entries, prizes);
    expected.sort();
    assert_eq!(by_ticket, expected, "{record}");
    // A ticket's win counts unless its entry was withdrawn before the prize was claimed.
    let mut left: Vec<(i64, i64)> = prizes.to_vec();
    let mut holders = std::collections::HashSet::new();
    for w in winners.iter().filter(|w| w["topUp"] != true) {
        let e = entries
            .iter()
            .find(|e| e["entry"] == w["entry"])
            .cloned()
            .unwrap_or_default();
        if e["eligible"] == true || w["status"] == "CLAIMED" {
            if let Some(p) = left
                .iter_mut()
                .find(|p| p.0 == w["prize"].as_i64().unwrap_or_default())
            {
                p.1 -= 1;
            }
            holders.insert(e["participant"].as_str().unwrap_or_default().to_owned());
        }
    }
    let counted = holders.len();
    let mut topped: Vec<(i64, String)> = winners
        .iter()
        .filter(|w| w["topUp"] == true)
        .map(|w| {
            (
                w["prize"].as_i64().unwrap_or_default(),
                w["entry"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    topped.sort();
    let mut expected = recheck::winners_skipping(seed, &hash, &entries, &left, &holders);
    expected.sort();
    assert_eq!(topped, expected, "{record}");
    counted + topped.len()
}

#[tokio::test(flavor = "multi_thread")]
async fn instant_wins_by_odds_give_exactly_their_stock_even_with_racing_entries_and_returns() {
    let app = spawn_app().await;
    let brand = app.new_brand("chance").await;
    // A: one chance in two for 16 racing entrants, three prizes.
    let a = create(
        &app,
        &brand,
        contest_input(
            &app,
            "Une chance sur deux",
            "INSTANT_WIN",
            json!({
                "opensAt": app.now() + Duration::seconds(1),
                "closesAt": app.now() + Duration::days(10),
                "oddsOneIn": 2,
                "prizes": [
                    { "name": "Sac", "kind": "GIFT", "quantity": 2 },
                    { "name": "Mug", "kind": "GIFT", "quantity": 1 },
                ],
            }),
        ),
    )
    .await;
    let a = a["id"].as_str().unwrap_or_default().to_owned();
    // B: entered by purchase, one prize; its ticket winner returns the purchase.
    let b = create(
        &app,
        &brand,
        contest_input(
            &app,
            "Ticket d'or",
            "INSTANT_WIN",
            json!({
                "opensAt": app.now() + Duration::seconds(1),
                "closesAt": app.now() + Duration::days(10),
                "freeEntry": false,
                "purchaseMinimumMinor": 1000,
                "oddsOneIn": 2,
                "unclaimed": "LAPSE",
                "prizes": [{ "name": "Bon d'achat", "kind": "GIFT", "quantity": 1 }],
            }),
        ),
    )
    .await;
    let b = b["id"].as_str().unwrap_or_default().to_owned();
    let refused = app
        .as_token(&brand.owner.access_token)
        .query(
            CREATE,
            json!({ "i": contest_input(&app, "Tirage", "DRAW", json!({ "oddsOneIn": 5 })) }),
        )
        .await;
    assert_eq!(code_of(&refused), "VALIDATION", "{refused}");
    assert_eq!(field_of(&refused), "input.oddsOneIn", "{refused}");
    let refused = app
        .as_token(&brand.owner.access_token)
        .query(
            CREATE,
            json!({ "i": contest_input(&app, "Trop", "INSTANT_WIN", json!({ "oddsOneIn": 1 })) }),
        )
        .await;
    assert_eq!(code_of(&refused), "VALIDATION", "{refused}");

    let mut members = vec![];
    for i in 0..16 {
        members.push(
            app.enroll(&brand, json!({ "email": format!("o{i}@chance.example") }))
                .await
                .0,
        );
    }
    let brand = later(&app, brand, Duration::seconds(2)).await;
    let results = futures_util::future::join_all(
        members
            .iter()
            .map(|m| enter(&app, &brand, &a, m, json!({}))),
    )
    .await;
    let mut won = 0;
    for r in &results {
        assert!(r["data"]["enterContest"]["entry"]["id"].is_string(), "{r}");
        if r["data"]["enterContest"]["won"].is_object() {
            won += 1;
        }
    }
    assert!(won <= 3, "never more than the stock: {won}");
    let view = odds_view(&app, &brand, &a).await;
    assert_eq!(view["oddsOneIn"], 2);
    assert_eq!(view["prizesLeft"], 3 - won, "{view}");

    // B: purchases one by one until a ticket wins (one in two: a few at most), then three more.
    let owner = app.as_token(&brand.owner.access_token);
    let mut buyers: Vec<(String, String)> = vec![];
    let mut winner: Option<(String, String)> = None;
    for i in 0..40 {
        let (member, card) = app
            .enroll(&brand, json!({ "email": format!("b{i}@chance.example") }))
            .await;
        let p = owner
            .query(
                fidelis_tests::RECORD_PURCHASE,
                json!({ "i": { "cardNumber": card, "totalMinor": 2000, "currency": "EUR", "lines": [
                    { "sku": "A", "quantity": 1, "unitPriceMinor": 2000 }
                ] } }),
            )
            .await;
        let purchase = p["data"]["recordPurchase"]["purchase"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(!purchase.is_empty(), "{p}");
        run_jobs(&app).await;
        buyers.push((member.clone(), purchase.clone()));
        if winner.is_none()
            && odds_view(&app, &brand, &b).await["winners"]
                .as_array()
                .is_some_and(|w| w.len() == 1)
        {
            winner = Some((member, purchase));
        }
        if winner.is_some() && buyers.len() >= 4 {
            break;
        }
    }
    let (lucky, purchase) = winner.unwrap_or_else(|| panic!("no ticket won in 40"));
    let view = odds_view(&app, &brand, &b).await;
    assert_eq!(view["prizesLeft"], 0, "{view}");
    let r = owner
        .query(
            "mutation($i: RecordReturnInput!) { recordReturn(input: $i) { refundMinor } }",
            json!({ "i": { "purchaseId": purchase, "lines": [{ "lineNo": 1, "quantity": 1 }] } }),
        )
        .await;
    assert_eq!(r["data"]["recordReturn"]["refundMinor"], 2000, "{r}");
    run_jobs(&app).await;
    let view = odds_view(&app, &brand, &b).await;
    assert_eq!(
        view["winners"][0]["status"], "LAPSED",
        "voided by the return: {view}"
    );
    assert_eq!(
        view["prizesLeft"], 0,
        "a voided prize waits for the close, no ticket can win it: {view}"
    );

    // The close: the stock left is drawn among the entries; exactly the prizes are given.
    let brand = later(&app, brand, Duration::days(11)).await;
    run_jobs(&app).await;
    let view_a = odds_view(&app, &brand, &a).await;
    assert_eq!(view_a["phase"], "DRAWN", "{view_a}");
    let given_a: Vec<&Value> = view_a["winners"]
        .as_array()
        .map(|w| w.iter().filter(|w| w["status"] != "LAPSED").collect())
        .unwrap_or_default();
    assert_eq!(given_a.len(), 3, "{view_a}");
    assert_eq!(
        view_a["winners"]
            .as_array()
            .map(|w| w.iter().filter(|w| w["topUp"] == true).count()),
        Some(3 - won as usize),
        "{view_a}"
    );
    let distinct: std::collections::HashSet<&str> = given_a
        .iter()
        .filter_map(|w| w["memberId"].as_str())
        .collect();
    assert_eq!(distinct.len(), 3, "one prize per member: {view_a}");
    assert_eq!(view_a["prizesLeft"], 0);
    let view_b = odds_view(&app, &brand, &b).await;
    let top: Vec<&Value> = view_b["winners"]
        .as_array()
        .map(|w| w.iter().filter(|w| w["topUp"] == true).collect())
        .unwrap_or_default();
    assert_eq!(top.len(), 1, "the voided prize is given again: {view_b}");
    assert_ne!(
        top[0]["memberId"].as_str(),
        Some(lucky.as_str()),
        "{view_b}"
    );
    assert_eq!(view_b["prizesLeft"], 0);

    // Both records re-check, with the server's verify and with the independent one.
    for (id, prizes) in [(&a, vec![(1, 2), (2, 1)]), (&b, vec![(1, 1)])] {
        let record = fairness(&app, id).await;
        assert_eq!(
            recheck_odds(&record, 2, &prizes),
            prizes.iter().map(|p| p.1 as usize).sum::<usize>()
        );
        let typed: fidelis::community::fairness::Published =
            serde_json::from_value(record.clone()).unwrap_or_else(|e| panic!("{e}"));
        let problems = fidelis::community::fairness::verify(&typed);
        assert!(problems.is_empty(), "{problems:?}");
        // A ticket moved from one entry to another is caught.
        let mut tampered = typed.clone();
        if tampered.entries.len() >= 2 {
            let t0 = tampered.entries[0].ticket;
            tampered.entries[0].ticket = tampered.entries[1].ticket;
            tampered.entries[1].ticket = t0;
            assert!(!fidelis::community::fairness::verify(&tampered).is_empty());
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_quiz_is_won_by_right_answers_and_the_closest_estimate() {
    let app = spawn_app().await;
    let brand = app.new_brand("quiz").await;
    let c = create(
        &app,
        &brand,
        contest_input(
            &app,
            "Quiz",
            "QUIZ",
            json!({
                "questions": [
                    { "question": "Capitale ?", "choices": ["Lyon", "Paris"], "answer": 1 },
                    { "question": "2 + 2 ?", "choices": ["3", "4", "5"], "answer": 1 },
                ],
                "tiebreakQuestion": "Combien de grains dans le bocal ?",
                "tiebreakAnswer": 1234,
            }),
        ),
    )
    .await;
    let id = c["id"].as_str().unwrap_or_default().to_owned();
    // Members do not see the answers before the draw.
    let member_token = app.member_token(&brand).await;
    // A contest for Gold members is not shown to a member without that tier.
    create(
        &app,
        &brand,
        contest_input(&app, "Gold", "DRAW", json!({ "tierNames": ["Gold"] })),
    )
    .await;
    let seen = app
        .as_token(&member_token)
        .query(
            "{ currentContests { id questions { answer } tiebreakAnswer } }",
            json!({}),
        )
        .await;
    assert_eq!(
        seen["data"]["currentContests"][0]["questions"][0]["answer"],
        Value::Null,
        "{seen}"
    );
    assert!(seen["data"]["currentContests"][0]["tiebreakAnswer"].is_null());
    assert_eq!(
        seen["data"]["currentContests"].as_array().map(Vec::len),
        Some(1),
        "only the quiz: {seen}"
    );
    let mut members = vec![];
    for i in 0..5 {
        members.push(
            app.enroll(&brand, json!({ "email": format!("q{i}@quiz.example") }))
                .await
                .0,
        );
    }
    // Member 0: a wrong answer but the exact estimate; member 3: right and closest.
    let plays = [
        ([0, 1], 1234),
        ([1, 1], 1500),
        ([1, 1], 1000),
        ([1, 1], 1230),
        ([1, 1], 1240),
    ];
    for (m, (answers, estimate)) in members.iter().zip(plays) {
        let r = enter(
            &app,
            &brand,
            &id,
            m,
            json!({ "answers": answers, "estimate": estimate }),
        )
        .await;
        assert!(r["data"]["enterContest"]["entry"]["id"].is_string(), "{r}");
    }
    let missing = enter(&app, &brand, &id, &members[0], json!({ "answers": [1] })).await;
    assert_eq!(field_of(&missing), "input.answers", "{missing}");
    let brand = later(&app, brand, Duration::days(8)).await;
    run_jobs(&app).await;
    let drawn = contest(&app, &brand, &id).await;
    assert_eq!(
        drawn["winners"][0]["memberId"],
        members[3].as_str(),
        "{drawn}"
    );
    assert_eq!(drawn["tiebreakAnswer"], 1234);
    let typed: fidelis::community::fairness::Published =
        serde_json::from_value(fairness(&app, &id).await).unwrap_or_else(|e| panic!("{e}"));
    assert!(fidelis::community::fairness::verify(&typed).is_empty());
    assert_eq!(typed.entries.iter().filter(|e| e.eligible).count(), 4);
    // The answers are published with the record: a wrong answer marked right is caught.
    let mut tampered = typed.clone();
    if let Some(e) = tampered.entries.iter_mut().find(|e| !e.eligible) {
        e.eligible = true;
    }
    assert!(!fidelis::community::fairness::verify(&tampered).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn purchases_enter_returns_withdraw_and_points_pay_for_entries() {
    let app = spawn_app().await;
    let brand = app.new_brand("achat").await;
    let owner = app.as_token(&brand.owner.access_token);
    let program = app
        .new_points_program(
            &brand,
            "Points",
            json!({ "points": 1, "perAmountMinor": 100 }),
        )
        .await;
    let c = create(
        &app,
        &brand,
        contest_input(
            &app,
            "Par achat",
            "DRAW",
            json!({ "freeEntry": false, "purchaseMinimumMinor": 5000, "pointsPerEntry": 30, "programId": program, "maxEntriesPerMember": 3 }),
        ),
    )
    .await;
    let id = c["id"].as_str().unwrap_or_default().to_owned();
    let (member, card) = app
        .enroll(&brand, json!({ "email": "a@achat.example" }))
        .await;
    let buy = |total: i64| {
        json!({ "i": { "cardNumber": card, "totalMinor": total, "currency": "EUR", "lines": [
            { "sku": "A", "quantity": 1, "unitPriceMinor": total }
        ] } })
    };
    let p1 = owner.query(fidelis_tests::RECORD_PURCHASE, buy(6000)).await;
    let purchase = p1["data"]["recordPurchase"]["purchase"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!purchase.is_empty(), "{p1}");
    owner.query(fidelis_tests::RECORD_PURCHASE, buy(4000)).await;
    run_jobs(&app).await;
    run_jobs(&app).await;
    let f = contest(&app, &brand, &id).await;
    let listed = owner
        .query(
            "query($c: ID!) { contestEntries(contestId: $c) { id source createdAt } }",
            json!({ "c": id }),
        )
        .await;
    assert_eq!(
        f["figures"]["entries"], 1,
        "a purchase under the minimum is no entry; a re-read adds none: {f} {listed}"
    );

    // Points: 100 earned, 30 per entry.
    assert_eq!(app.points(&brand, &member).await, 100);
    let free = enter(&app, &brand, &id, &member, json!({})).await;
    assert_eq!(code_of(&free), "CONFLICT", "no free entry here: {free}");
    let paid = enter(&app, &brand, &id, &member, json!({ "via": "POINTS" })).await;
    assert_eq!(
        paid["data"]["enterContest"]["entry"]["source"], "POINTS",
        "{paid}"
    );
    assert_eq!(app.points(&brand, &member).await, 70);
    let (poor, _) = app
        .enroll(&brand, json!({ "email": "b@achat.example" }))
        .await;
    let broke = enter(&app, &brand, &id, &poor, json!({ "via": "POINTS" })).await;
    assert_eq!(code_of(&broke), "INSUFFICIENT_BALANCE", "{broke}");
    assert_eq!(
        contest(&app, &brand, &id).await["figures"]["participants"],
        1
    );

    // A return that leaves 40.00 paid withdraws the purchase's entry.
    let r = owner
        .query(
            "mutation($i: RecordReturnInput!) { recordReturn(input: $i) { refundMinor } }",
            json!({ "i": { "purchaseId": purchase, "lines": [{ "lineNo": 1, "quantity": 1 }] } }),
        )
        .await;
    assert_eq!(r["data"]["recordReturn"]["refundMinor"], 6000, "{r}");
    run_jobs(&app).await;
    let f = contest(&app, &brand, &id).await;
    assert_eq!(f["figures"]["entries"], 1, "{f}");
    assert_eq!(f["figures"]["withdrawn"], 1, "{f}");
    assert!(
        f["audit"]
            .as_array()
            .unwrap_or(&vec![])
            .iter()
            .any(|s| s["kind"] == "contest.entry_withdrawn")
    );
    // Cancelled: the points paid for entries come back, once.
    let before = app.points(&brand, &member).await;
    let cancel =
        "mutation($id: ID!) { cancelContest(id: $id, reason: \"Lot indisponible\") { phase } }";
    let r = owner.query(cancel, json!({ "id": id })).await;
    assert_eq!(r["data"]["cancelContest"]["phase"], "CANCELLED", "{r}");
    assert_eq!(app.points(&brand, &member).await, before + 30);
    let again = owner.query(cancel, json!({ "id": id })).await;
    assert_eq!(
        again["data"]["cancelContest"]["phase"], "CANCELLED",
        "{again}"
    );
    assert_eq!(
        app.points(&brand, &member).await,
        before + 30,
        "given back once"
    );
    let late = enter(&app, &brand, &id, &member, json!({ "via": "POINTS" })).await;
    assert_eq!(code_of(&late), "CONFLICT", "{late}");
    let report = app.db_verify_ledger().await;
    assert!(report.is_sound(), "{report:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_limits_tiers_staff_and_other_brands_are_refused() {
    let app = spawn_app().await;
    let brand = app.new_brand("regles").await;
    let other = app.new_brand("autre").await;
    let owner = app.as_token(&brand.owner.access_token);
    for (fields, field) in [
        (
            json!({ "closesAt": app.now() - Duration::days(1) }),
            "input.closesAt",
        ),
        (json!({ "freeEntry": false }), "input.freeEntry"),
        (json!({ "prizes": [] }), "input.prizes"),
        (
            json!({ "prizes": [{ "name": "P", "kind": "POINTS", "points": 0 }] }),
            "input.prizes",
        ),
        (json!({ "pointsPerEntry": 10 }), "input.programId"),
        (
            json!({ "prizes": [{ "name": "P", "kind": "POINTS", "points": 10 }] }),
            "input.programId",
        ),
        (json!({ "rulesText": "  " }), "input.rulesText"),
        (
            json!({ "maxEntriesPerMember": 0 }),
            "input.maxEntriesPerMember",
        ),
    ] {
        let r = owner
            .query(
                CREATE,
                json!({ "i": contest_input(&app, "X", "DRAW", fields) }),
            )
            .await;
        assert_eq!(code_of(&r), "VALIDATION", "{r}");
        assert_eq!(field_of(&r), field, "{r}");
    }
    let quiz = owner
        .query(CREATE, json!({ "i": contest_input(&app, "Q", "QUIZ", json!({ "questions": [{ "question": "?", "choices": ["a", "b"], "answer": 2 }] })) }))
        .await;
    assert_eq!(field_of(&quiz), "input.questions", "{quiz}");
    let none = owner.query("{ contests { id } }", json!({})).await;
    assert_eq!(
        none["data"]["contests"],
        json!([]),
        "nothing half-created: {none}"
    );

    // Staff do not configure contests.
    let staff = app
        .invite(&brand, "staff@regles.example", "BRAND_STAFF")
        .await;
    let r = app
        .as_token(&staff.access_token)
        .query(
            CREATE,
            json!({ "i": contest_input(&app, "X", "DRAW", json!({})) }),
        )
        .await;
    assert_eq!(code_of(&r), "FORBIDDEN", "{r}");

    let gold = create(
        &app,
        &brand,
        contest_input(&app, "Gold only", "DRAW", json!({ "tierNames": ["Gold"] })),
    )
    .await;
    let gold = gold["id"].as_str().unwrap_or_default().to_owned();
    let (member, _) = app
        .enroll(&brand, json!({ "email": "m@regles.example" }))
        .await;
    let r = enter(&app, &brand, &gold, &member, json!({})).await;
    assert_eq!(code_of(&r), "FORBIDDEN", "{r}");
    // A member who is also the brand's staff may not enter.
    let open = create(&app, &brand, contest_input(&app, "Open", "DRAW", json!({}))).await;
    let open = open["id"].as_str().unwrap_or_default().to_owned();
    let (staff_member, _) = app
        .enroll(&brand, json!({ "email": "staff@regles.example" }))
        .await;
    let r = enter(&app, &brand, &open, &staff_member, json!({})).await;
    assert_eq!(code_of(&r), "FORBIDDEN", "{r}");
    // Another brand's contest reads as NOT_FOUND, whatever is asked.
    let (theirs, _) = app
        .enroll(&other, json!({ "email": "o@autre.example" }))
        .await;
    let o = app.as_token(&other.owner.access_token);
    for (q, vars) in [
        (CONTEST, json!({ "id": open })),
        (DRAW, json!({ "id": open })),
        (
            ENTER,
            json!({ "i": { "contestId": open, "memberId": theirs } }),
        ),
        (
            "mutation($id: ID!) { cancelContest(id: $id, reason: \"x\") { id } }",
            json!({ "id": open }),
        ),
    ] {
        let r = o.query(q, vars).await;
        assert_eq!(code_of(&r), "NOT_FOUND", "{q}: {r}");
    }
    // Changing a contest once open is refused; a new rules version is not.
    let r = owner
        .query(
            "mutation($id: ID!, $i: ContestInput!) { updateContest(id: $id, input: $i) { id } }",
            json!({ "id": open, "i": contest_input(&app, "Renamed", "DRAW", json!({})) }),
        )
        .await;
    assert_eq!(code_of(&r), "CONFLICT", "{r}");
    let r = owner
        .query("mutation($id: ID!) { publishContestRules(id: $id, rulesText: \"Version 2\") { rulesVersion rulesVersions { version text } } }",
            json!({ "id": open }))
        .await;
    assert_eq!(r["data"]["publishContestRules"]["rulesVersion"], 2, "{r}");
    let e = enter(&app, &brand, &open, &member, json!({})).await;
    assert_eq!(e["data"]["enterContest"]["entry"]["rulesVersion"], 2, "{e}");
    // The public record of an unknown id is a 404.
    let resp = app
        .http
        .get(app.url(&format!("/contests/{}/fairness", uuid::Uuid::new_v4())))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(resp.status(), 404);
}
