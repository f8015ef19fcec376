//! Customer knowledge: RFM/FRAT scores and segments on a small data set scored by hand (returns
//! included), the movement matrix between two runs 30 days apart, the audience leaf, the
//! settings' checks, and who may read and change them.

use chrono::Duration;
use fidelis_tests::{PASSWORD, TestApp, TestBrand, code_of, field_of, spawn_app};
use serde_json::{Value, json};

const SCORING: &str = "{ scoring { windowDays customSegments lastRunOn membersScored segments { key name members } } }";
const RUN: &str = "mutation { runScoring { lastRunOn membersScored segments { key members } } }";
const SCORE: &str = "query($id: ID!) { member(id: $id) { score { segment previousSegment recencyDays frequency amountMinor categories r f m t } } }";

async fn buy(
    app: &TestApp,
    brand: &TestBrand,
    card: &str,
    days_ago: i64,
    lines: &[(&str, &str, i64, i64)],
) -> Value {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(sku, category, quantity, price)| json!({ "sku": sku, "category": category, "quantity": quantity, "unitPriceMinor": price }))
        .collect();
    let total: i64 = lines
        .iter()
        .map(|l| l["quantity"].as_i64().unwrap_or(0) * l["unitPriceMinor"].as_i64().unwrap_or(0))
        .sum();
    let r = app
        .as_token(&brand.owner.access_token)
        .query(
            "mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { purchase { id } } }",
            json!({ "i": { "cardNumber": card, "currency": "EUR", "totalMinor": total, "lines": lines,
                "occurredAt": (app.now() - Duration::days(days_ago)).to_rfc3339() } }),
        )
        .await;
    assert!(r["data"]["recordPurchase"].is_object(), "{r}");
    r["data"]["recordPurchase"]["purchase"].clone()
}

fn counts(scoring: &Value) -> Vec<(String, i64)> {
    scoring["segments"]
        .as_array()
        .map(|s| {
            s.iter()
                .map(|x| {
                    (
                        x["key"].as_str().unwrap_or_default().to_owned(),
                        x["members"].as_i64().unwrap_or(-1),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn members_are_scored_into_segments_by_hand_and_their_moves_are_counted() {
    let app = spawn_app().await;
    let brand = app.new_brand("connaitre").await;
    let mut people = Vec::new();
    for name in ["a", "b", "c", "d", "f", "g"] {
        people.push(
            app.enroll(
                &brand,
                json!({ "email": format!("{name}@connaitre.example") }),
            )
            .await,
        );
    }
    // 300 days later (the owner signs in again), they have a history.
    app.clock().advance(Duration::days(300));
    let brand = TestBrand {
        owner: app.login(&brand.owner.email, PASSWORD).await,
        ..brand
    };
    let owner = app.as_token(&brand.owner.access_token);
    let [a, b, c, d, f, g] = [0, 1, 2, 3, 4, 5].map(|i| people[i].clone());
    // A: 2 shoes 10 days ago (one returned), a bag 40 days ago, shoes 70 days ago.
    let a_recent = buy(&app, &brand, &a.1, 10, &[("SHOE", "shoes", 2, 5_000)]).await;
    buy(&app, &brand, &a.1, 40, &[("BAG", "bags", 1, 5_000)]).await;
    buy(&app, &brand, &a.1, 70, &[("SHOE", "shoes", 1, 5_000)]).await;
    let r = owner
        .query(
            "mutation($i: RecordReturnInput!) { recordReturn(input: $i) { refundMinor } }",
            json!({ "i": { "purchaseId": a_recent["id"], "lines": [{ "lineNo": 1, "quantity": 1 }] } }),
        )
        .await;
    assert_eq!(r["data"]["recordReturn"]["refundMinor"], 5_000, "{r}");
    // B: a bag 200 days ago. C: a hat 100 days ago, and one 5 days ago wholly returned.
    buy(&app, &brand, &b.1, 200, &[("BAG", "bags", 1, 3_000)]).await;
    buy(&app, &brand, &c.1, 100, &[("HAT", "hats", 1, 2_000)]).await;
    let back = buy(&app, &brand, &c.1, 5, &[("HAT", "hats", 1, 2_000)]).await;
    owner
        .query(
            "mutation($i: RecordReturnInput!) { recordReturn(input: $i) { refundMinor } }",
            json!({ "i": { "purchaseId": back["id"] } }),
        )
        .await;
    // D buys nothing. F: 4 purchases in three categories lately. G: 4 bags long ago.
    for (days, sku, category) in [
        (3, "SHOE", "shoes"),
        (20, "SHOE", "shoes"),
        (50, "BAG", "bags"),
        (80, "HAT", "hats"),
    ] {
        buy(&app, &brand, &f.1, days, &[(sku, category, 1, 4_000)]).await;
    }
    for days in [150, 160, 170, 180] {
        buy(&app, &brand, &g.1, days, &[("BAG", "bags", 1, 3_000)]).await;
    }
    // E enrols today and buys a hat.
    let e = app
        .enroll(&brand, json!({ "email": "e@connaitre.example" }))
        .await;
    buy(&app, &brand, &e.1, 0, &[("HAT", "hats", 1, 1_500)]).await;

    // Nothing scored yet.
    let before = owner.query(SCORING, json!({})).await;
    assert_eq!(
        before["data"]["scoring"]["lastRunOn"],
        Value::Null,
        "{before}"
    );
    assert_eq!(before["data"]["scoring"]["windowDays"], 365, "{before}");

    // By hand, over the 6 buyers (D bought nothing):
    //   recency (days) A 10, B 200, C 100, E 0, F 3, G 150 → A 3, B 1, C 2, E 5, F 4, G 1
    //   frequency      A 3,  B 1,   C 1,   E 1, F 4, G 4   → A 3, B 1, C 1, E 1, F 4, G 4
    //   amount         A 150.00 (200.00 less the shoe returned), B 30.00, C 20.00, E 15.00,
    //                  F 160.00, G 120.00                   → A 4, B 2, C 1, E 1, F 5, G 3
    //   categories     A 2, B 1, C 1, E 1, F 3, G 1         → A 4, F 5, the others 1
    // (a score is 1 + ⌊5 × buyers with a worse value ÷ 6⌋). Segments, first rule that holds:
    // E new (enrolled today), D inactive, F very good (R≥4, F≥4, M≥4), G at risk (R≤2, F≥3),
    // A good (R≥3, F≥3), B and C occasional.
    let run = owner.query(RUN, json!({})).await;
    let scoring = &run["data"]["runScoring"];
    assert_eq!(scoring["membersScored"], 7, "{run}");
    assert_eq!(
        counts(scoring),
        vec![
            ("NEW".to_owned(), 1),
            ("INACTIVE".to_owned(), 1),
            ("VERY_GOOD".to_owned(), 1),
            ("AT_RISK".to_owned(), 1),
            ("GOOD".to_owned(), 1),
            ("OCCASIONAL".to_owned(), 2),
        ],
        "{run}"
    );
    let first_day = scoring["lastRunOn"].as_str().unwrap_or_default().to_owned();
    assert_eq!(
        score(&app, &brand, &a.0).await,
        json!({ "segment": "GOOD", "previousSegment": null, "recencyDays": 10, "frequency": 3, "amountMinor": 15_000, "categories": 2, "r": 3, "f": 3, "m": 4, "t": 4 })
    );
    assert_eq!(
        score(&app, &brand, &d.0).await,
        json!({ "segment": "INACTIVE", "previousSegment": null, "recencyDays": null, "frequency": 0, "amountMinor": 0, "categories": 0, "r": 0, "f": 0, "m": 0, "t": 0 })
    );
    assert_eq!(score(&app, &brand, &f.0).await["segment"], "VERY_GOOD");
    assert_eq!(score(&app, &brand, &g.0).await["segment"], "AT_RISK");
    assert_eq!(score(&app, &brand, &c.0).await["amountMinor"], 2_000);

    // The audience leaf: the members at risk.
    let audience = owner
        .query(
            "query($f: AudienceFilterInput!) { audiencePreview(filter: $f) { matched } }",
            json!({ "f": { "scoreSegment": "AT_RISK" } }),
        )
        .await;
    assert_eq!(
        audience["data"]["audiencePreview"]["matched"], 1,
        "{audience}"
    );

    // 30 days later B buys shoes (50.00); the others nothing.
    app.clock().advance(Duration::days(30));
    let brand = TestBrand {
        owner: app.login(&brand.owner.email, PASSWORD).await,
        ..brand
    };
    let owner = app.as_token(&brand.owner.access_token);
    buy(&app, &brand, &b.1, 0, &[("SHOE", "shoes", 1, 5_000)]).await;
    // By hand: recency A 40, B 0, C 130, E 30, F 33, G 180 → A 2, B 5, C 1, E 4, F 3, G 1;
    // frequency A 3, B 2, C 1, E 1, F 4, G 4 → A 3, B 2, F 4, G 4; amount A 150.00, B 80.00,
    // F 160.00 → A 4, B 2, F 5. A is now at risk (R 2, F 3), F good (R 3 < 4), the others stay.
    let run = owner.query(RUN, json!({})).await;
    let scoring = &run["data"]["runScoring"];
    assert_eq!(
        counts(scoring),
        vec![
            ("NEW".to_owned(), 1),
            ("INACTIVE".to_owned(), 1),
            ("VERY_GOOD".to_owned(), 0),
            ("AT_RISK".to_owned(), 2),
            ("GOOD".to_owned(), 1),
            ("OCCASIONAL".to_owned(), 2),
        ],
        "{run}"
    );
    assert_eq!(score(&app, &brand, &a.0).await["previousSegment"], "GOOD");
    let second_day = scoring["lastRunOn"].as_str().unwrap_or_default().to_owned();
    // The movement matrix between the two days.
    let moves = owner
        .query(
            "query($a: NaiveDate!, $b: NaiveDate!) { segmentMovements(from: $a, to: $b) { from to members } }",
            json!({ "a": first_day, "b": second_day }),
        )
        .await;
    assert_eq!(
        moves["data"]["segmentMovements"],
        json!([
            { "from": "AT_RISK", "to": "AT_RISK", "members": 1 },
            { "from": "GOOD", "to": "AT_RISK", "members": 1 },
            { "from": "INACTIVE", "to": "INACTIVE", "members": 1 },
            { "from": "NEW", "to": "NEW", "members": 1 },
            { "from": "OCCASIONAL", "to": "OCCASIONAL", "members": 2 },
            { "from": "VERY_GOOD", "to": "GOOD", "members": 1 },
        ]),
        "{moves}"
    );
    // From before any run: everyone arrives from nowhere.
    let moves = owner
        .query(
            "query($a: NaiveDate!, $b: NaiveDate!) { segmentMovements(from: $a, to: $b) { from to members } }",
            json!({ "a": "2000-01-01", "b": first_day }),
        )
        .await;
    let total: i64 = moves["data"]["segmentMovements"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter(|x| x["from"].is_null())
                .filter_map(|x| x["members"].as_i64())
                .sum()
        })
        .unwrap_or(0);
    assert_eq!(total, 7, "{moves}");
    // A second run the same day moves nobody.
    let matrix = moves_of(&app, &brand, &first_day, &second_day).await;
    owner.query(RUN, json!({})).await;
    assert_eq!(
        moves_of(&app, &brand, &first_day, &second_day).await,
        matrix
    );
    assert_eq!(score(&app, &brand, &a.0).await["previousSegment"], "GOOD");
    // D is erased: their scores and moves go with them.
    let r = owner
        .query(
            "mutation($id: ID!) { eraseMember(memberId: $id) }",
            json!({ "id": d.0 }),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let after = moves_of(&app, &brand, &first_day, &second_day).await;
    assert!(
        !after.to_string().contains("INACTIVE"),
        "no INACTIVE member left: {after}"
    );
    let now = owner.query(SCORING, json!({})).await;
    assert_eq!(now["data"]["scoring"]["membersScored"], 6, "{now}");
    // A segment key is written in capitals.
    let r = owner
        .query(
            "query($f: AudienceFilterInput!) { audiencePreview(filter: $f) { matched } }",
            json!({ "f": { "scoreSegment": "at_risk" } }),
        )
        .await;
    assert_eq!(field_of(&r), "input.filter.scoreSegment", "{r}");
}

async fn score(app: &TestApp, brand: &TestBrand, id: &str) -> Value {
    let r = app
        .as_token(&brand.owner.access_token)
        .query(SCORE, json!({ "id": id }))
        .await;
    r["data"]["member"]["score"].clone()
}

async fn moves_of(app: &TestApp, brand: &TestBrand, a: &str, b: &str) -> Value {
    app.as_token(&brand.owner.access_token)
        .query(
            "query($a: NaiveDate!, $b: NaiveDate!) { segmentMovements(from: $a, to: $b) { from to members } }",
            json!({ "a": a, "b": b }),
        )
        .await["data"]
        .clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn scoring_settings_are_checked_kept_per_brand_and_for_owners_and_managers() {
    let app = spawn_app().await;
    let brand = app.new_brand("reglages").await;
    let owner = app.as_token(&brand.owner.access_token);
    let update = "mutation($i: ScoringInput!) { updateScoring(input: $i) { windowDays customSegments thresholds { frequency } segments { key name } } }";
    // The last segment must take everyone left; keys are unique capitals.
    let r = owner
        .query(
            update,
            json!({ "i": { "windowDays": 180, "segments": [ { "key": "FANS", "minF": 4 }, { "key": "OTHERS", "minR": 1 } ] } }),
        )
        .await;
    assert_eq!(field_of(&r), "input.segments", "{r}");
    let r = owner
        .query(update, json!({ "i": { "windowDays": 10 } }))
        .await;
    assert_eq!(field_of(&r), "input.windowDays", "{r}");
    let r = owner
        .query(
            update,
            json!({ "i": { "thresholds": { "frequency": [1, 2, 3] } } }),
        )
        .await;
    assert_eq!(field_of(&r), "input.thresholds.frequency", "{r}");
    let r = owner
        .query(
            update,
            json!({ "i": { "windowDays": 180, "thresholds": { "frequency": [2, 4, 6, 8] }, "segments": [ { "key": "FANS", "name": "Fans", "minF": 4 }, { "key": "OTHERS", "name": "Les autres" } ] } }),
        )
        .await;
    assert_eq!(
        r["data"]["updateScoring"],
        json!({ "windowDays": 180, "customSegments": true, "thresholds": { "frequency": [2, 4, 6, 8] }, "segments": [ { "key": "FANS", "name": "Fans" }, { "key": "OTHERS", "name": "Les autres" } ] }),
        "{r}"
    );
    // A change of the window alone keeps the cut points.
    let r = owner
        .query(
            update,
            json!({ "i": { "windowDays": 200, "segments": [ { "key": "FANS", "name": "Fans", "minF": 4 }, { "key": "OTHERS", "name": "Les autres" } ] } }),
        )
        .await;
    assert_eq!(
        r["data"]["updateScoring"]["thresholds"],
        json!({ "frequency": [2, 4, 6, 8] }),
        "{r}"
    );
    // Another brand still has the defaults.
    let other = app.new_brand("autresreglages").await;
    let theirs = app
        .as_token(&other.owner.access_token)
        .query(SCORING, json!({}))
        .await;
    assert_eq!(
        theirs["data"]["scoring"]["customSegments"], false,
        "{theirs}"
    );
    assert_eq!(
        theirs["data"]["scoring"]["segments"][0]["key"], "NEW",
        "{theirs}"
    );
    // Staff read none of it.
    let staff = app
        .invite(&brand, "caisse@reglages.example", "BRAND_STAFF")
        .await;
    let staff = app.as_token(&staff.access_token);
    assert_eq!(code_of(&staff.query(SCORING, json!({})).await), "FORBIDDEN");
    assert_eq!(code_of(&staff.query(RUN, json!({})).await), "FORBIDDEN");
    let manager = app
        .invite(&brand, "chef@reglages.example", "BRAND_MANAGER")
        .await;
    let manager = app.as_token(&manager.access_token);
    let run = manager.query(RUN, json!({})).await;
    assert_eq!(run["data"]["runScoring"]["membersScored"], 0, "{run}");
}

async fn pay(
    app: &TestApp,
    brand: &TestBrand,
    card: Option<String>,
    total: i64,
    at: Option<chrono::DateTime<chrono::Utc>>,
) -> Value {
    let r = app
        .as_token(&brand.owner.access_token)
        .query(
            "mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { purchase { id } } }",
            json!({ "i": { "cardNumber": card, "currency": "EUR", "totalMinor": total,
                "lines": [{ "sku": "X", "quantity": 1, "unitPriceMinor": total }],
                "occurredAt": at.map(|t| t.to_rfc3339()) } }),
        )
        .await;
    assert!(r["data"]["recordPurchase"].is_object(), "{r}");
    r["data"]["recordPurchase"]["purchase"]["id"].clone()
}

const KPIS: &str = "query($from: NaiveDate!, $to: NaiveDate!, $g: KpiGranularity) { kpis(from: $from, to: $to, granularity: $g) {
    pointsOutstanding
    periods { from to memberCheckouts anonymousCheckouts memberRevenueMinor anonymousRevenueMinor }
    total { memberCheckouts anonymousCheckouts memberRevenueMinor anonymousRevenueMinor cardCheckoutShareBp
        cardHolderRateBp averageMemberBasketMinor averageAnonymousBasketMinor activeMembers enrolments
        purchasesPerMemberPerYearMilli relationshipDays customerLifetimeValueMinor previousActiveMembers
        retainedMembers retentionBp attritionBp pointsIssued pointsRedeemed pointsExpired redemptionRateBp
        breakageBp offerDiscountMinor }
    previous { memberCheckouts anonymousCheckouts memberRevenueMinor activeMembers } } }";

#[tokio::test(flavor = "multi_thread")]
async fn kpis_of_a_small_known_data_set_add_up_by_hand() {
    use chrono::TimeZone;
    use chrono_tz::Europe::Paris;
    let app = spawn_app().await;
    let brand = app.new_brand("indicateurs").await;
    let owner = app.as_token(&brand.owner.access_token);
    // 1 point per 1.00, points valid one month.
    owner
        .query(
            "mutation($i: CreateProgramInput!) { createProgram(input: $i) { id } }",
            json!({ "i": { "name": "Points", "rules": { "points": { "points": 1, "perAmountMinor": 100, "validityMonths": 1 } } } }),
        )
        .await;
    let (_m1, c1) = app
        .enroll(&brand, json!({ "email": "m1@indicateurs.example" }))
        .await;
    let (_m2, c2) = app
        .enroll(&brand, json!({ "email": "m2@indicateurs.example" }))
        .await;
    // 25 days later M2 buys 20.00: 20 points that expire a month later.
    app.clock().advance(Duration::days(25));
    let brand = TestBrand {
        owner: app.login(&brand.owner.email, PASSWORD).await,
        ..brand
    };
    pay(&app, &brand, Some(c2.clone()), 2_000, None).await;
    // 35 days later (today, D), the rest, dated at noon in Paris.
    app.clock().advance(Duration::days(35));
    let brand = TestBrand {
        owner: app.login(&brand.owner.email, PASSWORD).await,
        ..brand
    };
    let owner = app.as_token(&brand.owner.access_token);
    let today = app.now().with_timezone(&Paris).date_naive();
    let noon = |days_ago: u64| {
        Paris
            .from_local_datetime(
                &(today - chrono::Days::new(days_ago))
                    .and_hms_opt(12, 0, 0)
                    .unwrap_or_default(),
            )
            .single()
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    // The range is D−9..D, the one before D−19..D−10.
    pay(&app, &brand, Some(c1.clone()), 4_000, noon(15)).await; // before
    pay(&app, &brand, Some(c2.clone()), 2_000, noon(12)).await; // before
    pay(&app, &brand, None, 500, noon(11)).await; // before, anonymous
    pay(&app, &brand, Some(c1.clone()), 5_000, noon(5)).await;
    let returned = pay(&app, &brand, Some(c1.clone()), 3_000, noon(2)).await;
    pay(&app, &brand, None, 2_500, noon(5)).await;
    pay(&app, &brand, None, 1_500, noon(1)).await;
    // M3 enrols today and buys 10.00.
    let (_m3, c3) = app
        .enroll(&brand, json!({ "email": "m3@indicateurs.example" }))
        .await;
    pay(&app, &brand, Some(c3), 1_000, None).await;
    // M1 returns the 30.00 purchase today: its 30 points go back.
    let r = owner
        .query(
            "mutation($i: RecordReturnInput!) { recordReturn(input: $i) { pointsReversed } }",
            json!({ "i": { "purchaseId": returned } }),
        )
        .await;
    assert_eq!(r["data"]["recordReturn"]["pointsReversed"], 30, "{r}");
    // M2's first 20 points expired during the range.
    fidelis::loyalty::jobs::expiry::run_once(&app.state.base.db, app.now())
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    // Another brand's activity counts nowhere.
    let other = app.new_brand("autresindicateurs").await;
    let (_, stranger) = app
        .enroll(&other, json!({ "email": "x@autresindicateurs.example" }))
        .await;
    app.as_token(&other.owner.access_token)
        .query(
            "mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { purchase { id } } }",
            json!({ "i": { "cardNumber": stranger, "currency": "EUR", "totalMinor": 99_900 } }),
        )
        .await;

    let from = (today - chrono::Days::new(9)).to_string();
    let r = owner
        .query(
            KPIS,
            json!({ "from": from, "to": today.to_string(), "g": "DAY" }),
        )
        .await;
    let k = &r["data"]["kpis"];
    // By hand, over D−9..D: members M1 (50.00, 30.00 — revenue counts purchases before returns)
    // and M3 (10.00): 3 checkouts, 90.00; anonymous 25.00 and 15.00: 2 checkouts, 40.00.
    // Card share 3 ÷ 5; card holders 2 members ÷ (2 + 2 anonymous checkouts); baskets 90.00 ÷ 3
    // and 40.00 ÷ 2; frequency 3 × 365 ÷ (2 × 10 days) = 54.75 a year; relationship: M1 60 days
    // and M3 0 at the range's end (plus the hours left today, each) → 30 days on average;
    // lifetime value 90.00 ÷ 2 × 30 ÷ 10 = 135.00. Before: M1 and M2 bought; M1 again since:
    // retention 50 %. Points: 50 + 30 + 10 issued, 30 taken back by the return → 60; M2's 20
    // expired; none redeemed. Breakage 20 ÷ 60.
    assert_eq!(
        k["total"],
        json!({ "memberCheckouts": 3, "anonymousCheckouts": 2, "memberRevenueMinor": 9_000,
            "anonymousRevenueMinor": 4_000, "cardCheckoutShareBp": 6_000, "cardHolderRateBp": 5_000,
            "averageMemberBasketMinor": 3_000, "averageAnonymousBasketMinor": 2_000, "activeMembers": 2,
            "enrolments": 1, "purchasesPerMemberPerYearMilli": 54_750, "relationshipDays": 30,
            "customerLifetimeValueMinor": 13_500, "previousActiveMembers": 2, "retainedMembers": 1,
            "retentionBp": 5_000, "attritionBp": 5_000, "pointsIssued": 60, "pointsRedeemed": 0,
            "pointsExpired": 20, "redemptionRateBp": 0, "breakageBp": 3_333, "offerDiscountMinor": 0 }),
        "{r}"
    );
    // The range before: M1 40.00 and M2 20.00, one anonymous 5.00.
    assert_eq!(
        k["previous"],
        json!({ "memberCheckouts": 2, "anonymousCheckouts": 1, "memberRevenueMinor": 6_000, "activeMembers": 2 }),
        "{r}"
    );
    // Ten days; D−5 holds M1's 50.00 and an anonymous 25.00.
    let periods = k["periods"].as_array().cloned().unwrap_or_default();
    assert_eq!(periods.len(), 10, "{r}");
    let five = periods
        .iter()
        .find(|p| p["from"] == (today - chrono::Days::new(5)).to_string())
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (
            &five["memberCheckouts"],
            &five["memberRevenueMinor"],
            &five["anonymousRevenueMinor"]
        ),
        (&json!(1), &json!(5_000), &json!(2_500)),
        "{r}"
    );
    // M1 holds 90 points (40 + 50 + 30 earned, 30 taken back), M2 20 (the other 20 expired),
    // M3 10.
    assert_eq!(k["pointsOutstanding"], 120, "{r}");
    // A bad range is refused.
    let r = owner
        .query(KPIS, json!({ "from": today.to_string(), "to": from }))
        .await;
    assert_eq!(code_of(&r), "VALIDATION", "{r}");
}

#[tokio::test(flavor = "multi_thread")]
async fn objectives_show_actual_against_the_line_to_their_target() {
    use chrono_tz::Europe::Paris;
    let app = spawn_app().await;
    let brand = app.new_brand("objectifs").await;
    let owner = app.as_token(&brand.owner.access_token);
    let today = app.now().with_timezone(&Paris).date_naive();
    let day = |offset: i64| (today + Duration::days(offset)).to_string();
    const CREATE: &str = "mutation($i: ObjectiveInput!, $k: String) { createObjective(input: $i, idempotencyKey: $k) { id kpi baseline target actual expected onTrack months { actual expected } } }";
    // Six members enrol today, one buys with a card, one customer without.
    let mut cards = Vec::new();
    for i in 0..6 {
        cards.push(
            app.enroll(
                &brand,
                json!({ "email": format!("m{i}@objectifs.example") }),
            )
            .await
            .1,
        );
    }
    pay(&app, &brand, Some(cards[0].clone()), 2_000, None).await;
    pay(&app, &brand, None, 2_000, None).await;

    // 10 enrolments over D−9..D+10 (20 days): the line is at 10 × 10 ÷ 20 = 5 today; 6 done.
    let input = json!({ "name": "Inscriptions", "kpi": "ENROLMENTS", "target": 10, "startsOn": day(-9), "endsOn": day(10) });
    let r = owner
        .query(CREATE, json!({ "i": input, "k": "obj-1" }))
        .await;
    let o = &r["data"]["createObjective"];
    assert_eq!(
        (&o["actual"], &o["expected"], &o["onTrack"]),
        (&json!(6), &json!(5), &json!(true)),
        "{r}"
    );
    // The last month's running total is the actual.
    let months = o["months"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        months.last().map(|m| m["actual"].clone()),
        Some(json!(6)),
        "{r}"
    );
    // A replay answers the same objective.
    let again = owner
        .query(CREATE, json!({ "i": input, "k": "obj-1" }))
        .await;
    assert_eq!(again["data"]["createObjective"]["id"], o["id"], "{again}");

    // The card checkout share from 50 % on D−9 to 80 % on D+10: the line is at
    // 5000 + 3000 × 9 ÷ 19 = 6421 today; 1 checkout of 2 with a card is 5000: off track.
    let r = owner
        .query(
            CREATE,
            json!({ "i": { "name": "Carte", "kpi": "CARD_CHECKOUT_SHARE_BP", "baseline": 5_000, "target": 8_000, "startsOn": day(-9), "endsOn": day(10) } }),
        )
        .await;
    let o = &r["data"]["createObjective"];
    assert_eq!(
        (&o["actual"], &o["expected"], &o["onTrack"]),
        (&json!(5_000), &json!(6_421), &json!(false)),
        "{r}"
    );
    // Not started yet: nothing to judge.
    let r = owner
        .query(
            CREATE,
            json!({ "i": { "name": "Plus tard", "kpi": "RETENTION_BP", "target": 6_000, "startsOn": day(5), "endsOn": day(40) } }),
        )
        .await;
    assert_eq!(r["data"]["createObjective"]["onTrack"], Value::Null, "{r}");
    let listed = owner
        .query("{ objectives { name onTrack } }", json!({}))
        .await;
    assert_eq!(
        listed["data"]["objectives"],
        json!([{ "name": "Plus tard", "onTrack": null }, { "name": "Inscriptions", "onTrack": true }, { "name": "Carte", "onTrack": false }]),
        "{listed}"
    );
    // Bad dates are refused; another brand's objective reads as NOT_FOUND.
    let r = owner
        .query(
            CREATE,
            json!({ "i": { "name": "x", "kpi": "ENROLMENTS", "target": 1, "startsOn": day(3), "endsOn": day(1) } }),
        )
        .await;
    assert_eq!(field_of(&r), "input.endsOn", "{r}");
    // A rate beyond 100 %, a baseline out of range: each named.
    let r = owner
        .query(
            CREATE,
            json!({ "i": { "name": "x", "kpi": "CARD_HOLDER_RATE_BP", "target": 50_000, "startsOn": day(0), "endsOn": day(9) } }),
        )
        .await;
    assert_eq!(field_of(&r), "input.target", "{r}");
    let r = owner
        .query(
            CREATE,
            json!({ "i": { "name": "x", "kpi": "ENROLMENTS", "baseline": -1, "target": 5, "startsOn": day(0), "endsOn": day(9) } }),
        )
        .await;
    assert_eq!(field_of(&r), "input.baseline", "{r}");
    let other = app.new_brand("autresobjectifs").await;
    let id = o["id"].clone();
    let r = app
        .as_token(&other.owner.access_token)
        .query(
            "mutation($id: ID!) { deleteObjective(id: $id) }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(code_of(&r), "NOT_FOUND", "{r}");
    let r = owner
        .query(
            "mutation($id: ID!) { deleteObjective(id: $id) }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(r["data"]["deleteObjective"], true, "{r}");
}

#[tokio::test(flavor = "multi_thread")]
async fn kpis_can_be_read_for_one_store_or_one_channel() {
    let app = spawn_app().await;
    let brand = app.new_brand("magasins").await;
    let owner = app.as_token(&brand.owner.access_token);
    let (_, card) = app
        .enroll(&brand, json!({ "email": "m@magasins.example" }))
        .await;
    for (card, total, store, channel) in [
        (Some(card.as_str()), 3_000, Some("Lyon"), "IN_STORE"),
        (None, 1_000, Some("Paris"), "IN_STORE"),
        (None, 500, None, "ONLINE"),
    ] {
        let r = owner
            .query(
                "mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { purchase { id } } }",
                json!({ "i": { "cardNumber": card, "currency": "EUR", "totalMinor": total, "store": store, "channel": channel } }),
            )
            .await;
        assert!(r["data"]["recordPurchase"].is_object(), "{r}");
    }
    let q = "query($s: String, $c: KpiChannel) { kpis(store: $s, channel: $c) { total { memberCheckouts anonymousCheckouts memberRevenueMinor anonymousRevenueMinor activeMembers enrolments } } }";
    let all = owner.query(q, json!({})).await;
    assert_eq!(
        all["data"]["kpis"]["total"],
        json!({ "memberCheckouts": 1, "anonymousCheckouts": 2, "memberRevenueMinor": 3_000, "anonymousRevenueMinor": 1_500, "activeMembers": 1, "enrolments": 1 }),
        "{all}"
    );
    let lyon = owner.query(q, json!({ "s": "Lyon" })).await;
    assert_eq!(
        lyon["data"]["kpis"]["total"],
        json!({ "memberCheckouts": 1, "anonymousCheckouts": 0, "memberRevenueMinor": 3_000, "anonymousRevenueMinor": 0, "activeMembers": 1, "enrolments": 1 }),
        "{lyon}"
    );
    let online = owner.query(q, json!({ "c": "ONLINE" })).await;
    assert_eq!(
        online["data"]["kpis"]["total"],
        json!({ "memberCheckouts": 0, "anonymousCheckouts": 1, "memberRevenueMinor": 0, "anonymousRevenueMinor": 500, "activeMembers": 0, "enrolments": 1 }),
        "{online}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn kpis_show_the_cashback_and_stored_value_members_hold() {
    let app = spawn_app().await;
    let brand = app.new_brand("encours").await;
    let owner = app.as_token(&brand.owner.access_token);
    // 5 % cashback, and a gift card.
    let mut programs = Vec::new();
    for rules in [
        json!({ "cashback": { "rateBasisPoints": 500 } }),
        json!({ "storedValue": { "maxBalanceMinor": 20_000, "minTopUpMinor": 1_000 } }),
    ] {
        let r = owner
            .query(
                "mutation($i: CreateProgramInput!) { createProgram(input: $i) { id } }",
                json!({ "i": { "name": "P", "rules": rules } }),
            )
            .await;
        programs.push(
            r["data"]["createProgram"]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{r}"))
                .to_owned(),
        );
    }
    let (member, card) = app
        .enroll(&brand, json!({ "email": "m@encours.example" }))
        .await;
    // 40.00 bought: 2.00 of cashback; 50.00 put on the gift card.
    pay(&app, &brand, Some(card), 4_000, None).await;
    let r = owner
        .query(
            "mutation($i: StoredValueInput!) { topUpStoredValue(input: $i) { balanceMinor } }",
            json!({ "i": { "memberId": member, "programId": programs[1], "amountMinor": 5_000, "reference": "TPE-1" } }),
        )
        .await;
    assert_eq!(r["data"]["topUpStoredValue"]["balanceMinor"], 5_000, "{r}");
    let k = owner
        .query(
            "{ kpis { pointsOutstanding cashbackOutstandingMinor storedValueOutstandingMinor } }",
            json!({}),
        )
        .await;
    assert_eq!(
        k["data"]["kpis"],
        json!({ "pointsOutstanding": 0, "cashbackOutstandingMinor": 200, "storedValueOutstandingMinor": 5_000 }),
        "{k}"
    );
}
