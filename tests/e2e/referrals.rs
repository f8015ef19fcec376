//! Referrals: a referee's first qualifying purchase rewards both (points and a voucher, once,
//! whatever the outbox is re-read), the referrer's cap, a returned purchase reverses the rewards
//! (points taken back, the unused voucher cancelled), the window expires, and the fraud rules
//! refuse self-referral, a disguised address, a second code and a late one; the ledger stays
//! sound; another brand knows nothing of the code.

use chrono::Duration;
use fidelis_tests::{PASSWORD, RECORD_PURCHASE, TestApp, TestBrand, code_of, field_of, spawn_app};
use serde_json::{Value, json};

const APPLY: &str = "mutation($m: ID!, $c: String!, $k: String) { applyReferralCode(memberId: $m, code: $c, idempotencyKey: $k) { id status referrerId expiresAt } }";
const CODE: &str = "query($m: ID!) { memberReferralCode(memberId: $m) }";
const FIGURES: &str = "{ referralFigures { started converted capped expired reversed pointsGiven vouchersGiven topReferrers { memberId converted } } }";

async fn run(app: &TestApp) -> fidelis::community::referrals::Report {
    fidelis::community::referrals::run_once(&app.state.base, app.now())
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
}

async fn buy(app: &TestApp, brand: &TestBrand, card: &str, total: i64) -> String {
    let r = app
        .as_token(&brand.owner.access_token)
        .query(
            RECORD_PURCHASE,
            json!({ "i": { "cardNumber": card, "totalMinor": total, "currency": "EUR", "lines": [
                { "sku": "X", "quantity": 1, "unitPriceMinor": total } ] } }),
        )
        .await;
    r["data"]["recordPurchase"]["purchase"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("recordPurchase: {r}"))
        .to_owned()
}

async fn vouchers(app: &TestApp, brand: &TestBrand, member: &str) -> Vec<Value> {
    let r = app
        .as_token(&brand.owner.access_token)
        .query(
            "query($m: ID!) { member(id: $m) { vouchers { id amountMinor source status } } }",
            json!({ "m": member }),
        )
        .await;
    r["data"]["member"]["vouchers"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("member vouchers: {r}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_first_qualifying_purchase_rewards_both_once_and_a_return_reverses_it() {
    let app = spawn_app().await;
    let brand = app.new_brand("parrain").await;
    let owner = app.as_token(&brand.owner.access_token);
    let program = app
        .new_points_program(
            &brand,
            "Points",
            json!({ "points": 1, "perAmountMinor": 1000 }),
        )
        .await;
    // Disabled until set: nobody can apply a code.
    let (ana, _) = app
        .enroll(
            &brand,
            json!({ "email": "ana.lopez@gmail.com", "phone": "+33612345678" }),
        )
        .await;
    let code = owner.query(CODE, json!({ "m": ana })).await;
    let code = code["data"]["memberReferralCode"]
        .as_str()
        .unwrap_or_else(|| panic!("{code}"))
        .to_owned();
    assert_eq!(code.len(), 8);
    let again = owner.query(CODE, json!({ "m": ana })).await;
    assert_eq!(
        again["data"]["memberReferralCode"],
        code.as_str(),
        "one code per member"
    );
    let (ben, ben_card) = app
        .enroll(&brand, json!({ "email": "ben@parrain.example" }))
        .await;
    let off = owner.query(APPLY, json!({ "m": ben, "c": code })).await;
    assert_eq!(code_of(&off), "CONFLICT", "{off}");

    let bad = owner
        .query(
            "mutation($i: ReferralPolicyInput!) { setReferralPolicy(input: $i) { enabled } }",
            json!({ "i": { "enabled": true, "referrerPoints": 200 } }),
        )
        .await;
    assert_eq!(field_of(&bad), "input.programId", "{bad}");
    let set = owner
        .query(
            "mutation($i: ReferralPolicyInput!) { setReferralPolicy(input: $i) { enabled referrerPoints } }",
            json!({ "i": { "enabled": true, "programId": program, "referrerPoints": 200, "refereeVoucherMinor": 500,
                "minimumPurchaseMinor": 3000, "windowDays": 30, "capPerReferrer": 1, "capPeriodDays": 365 } }),
        )
        .await;
    assert_eq!(
        set["data"]["setReferralPolicy"]["referrerPoints"], 200,
        "{set}"
    );

    // Ben gives Ana's code (typed loosely); a retry with the same key changes nothing.
    let loose = format!("{}-{} ", &code[..4].to_lowercase(), &code[4..]);
    let started = owner
        .query(APPLY, json!({ "m": ben, "c": loose, "k": "ben-1" }))
        .await;
    assert_eq!(
        started["data"]["applyReferralCode"]["status"], "STARTED",
        "{started}"
    );
    let replay = owner
        .query(APPLY, json!({ "m": ben, "c": code, "k": "ben-1" }))
        .await;
    assert_eq!(
        replay["data"]["applyReferralCode"]["id"],
        started["data"]["applyReferralCode"]["id"]
    );
    let second = owner.query(APPLY, json!({ "m": ben, "c": code })).await;
    assert_eq!(
        code_of(&second),
        "CONFLICT",
        "one referral per referee: {second}"
    );
    // Fraud rules: oneself, a disguised address, a disguised phone; an unknown code.
    let own = owner.query(APPLY, json!({ "m": ana, "c": code })).await;
    assert_eq!(code_of(&own), "CONFLICT", "{own}");
    let (alias, _) = app
        .enroll(&brand, json!({ "email": "analopez+friend@gmail.com" }))
        .await;
    let r = owner.query(APPLY, json!({ "m": alias, "c": code })).await;
    assert_eq!(code_of(&r), "CONFLICT", "{r}");
    let (phone, _) = app.enroll(&brand, json!({ "phone": "+41612345678" })).await;
    let r = owner.query(APPLY, json!({ "m": phone, "c": code })).await;
    assert_eq!(code_of(&r), "CONFLICT", "{r}");
    let r = owner
        .query(APPLY, json!({ "m": alias, "c": "ZZZZ2222" }))
        .await;
    assert_eq!(field_of(&r), "code", "{r}");
    // No rings: Ben was referred by Ana, so Ana cannot give Ben's code.
    let ben_code = owner.query(CODE, json!({ "m": ben })).await;
    let ben_code = ben_code["data"]["memberReferralCode"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let ring = owner.query(APPLY, json!({ "m": ana, "c": ben_code })).await;
    assert_eq!(code_of(&ring), "CONFLICT", "{ring}");

    // Under the minimum: nothing. The first qualifying purchase converts it, once.
    buy(&app, &brand, &ben_card, 2_000).await;
    assert_eq!(run(&app).await.converted, 0);
    let qualifying = buy(&app, &brand, &ben_card, 4_000).await;
    let (a, b) = tokio::join!(run(&app), run(&app));
    assert_eq!(a.converted + b.converted, 1, "{a:?} {b:?}");
    assert_eq!(run(&app).await.converted, 0);
    assert_eq!(app.points(&brand, &ana).await, 200);
    let ben_vouchers = vouchers(&app, &brand, &ben).await;
    assert_eq!(ben_vouchers.len(), 1, "{ben_vouchers:?}");
    assert_eq!(ben_vouchers[0]["source"], "REFERRAL");
    assert_eq!(ben_vouchers[0]["amountMinor"], 500);

    // Ana's cap is one rewarded referral a year: Cleo's converts CAPPED (Cleo rewarded, Ana not).
    let (cleo, cleo_card) = app
        .enroll(&brand, json!({ "email": "cleo@parrain.example" }))
        .await;
    owner.query(APPLY, json!({ "m": cleo, "c": code })).await;
    buy(&app, &brand, &cleo_card, 5_000).await;
    run(&app).await;
    assert_eq!(app.points(&brand, &ana).await, 200);
    assert_eq!(vouchers(&app, &brand, &cleo).await.len(), 1);

    // Ben returns the qualifying purchase: Ana's 200 points go, Ben's unused voucher is cancelled.
    let r = owner
        .query(
            "mutation($i: RecordReturnInput!) { recordReturn(input: $i) { refundMinor } }",
            json!({ "i": { "purchaseId": qualifying, "lines": [{ "lineNo": 1, "quantity": 1 }] } }),
        )
        .await;
    assert_eq!(r["data"]["recordReturn"]["refundMinor"], 4_000, "{r}");
    assert_eq!(run(&app).await.reversed, 1);
    assert_eq!(run(&app).await.reversed, 0);
    assert_eq!(app.points(&brand, &ana).await, 0);
    assert_ne!(vouchers(&app, &brand, &ben).await[0]["status"], "ACTIVE");

    // Dana gives the code and buys nothing within 30 days: expired.
    let (dana, _) = app
        .enroll(&brand, json!({ "email": "dana@parrain.example" }))
        .await;
    owner.query(APPLY, json!({ "m": dana, "c": code })).await;
    app.clock().advance(Duration::days(31));
    let brand = TestBrand {
        owner: app.login(&brand.owner.email, PASSWORD).await,
        ..brand
    };
    let owner = app.as_token(&brand.owner.access_token);
    assert_eq!(run(&app).await.expired, 1);
    // Eve joined 31 days ago: too late to give a code.
    let r = owner.query(APPLY, json!({ "m": alias, "c": code })).await;
    assert_eq!(code_of(&r), "CONFLICT", "{r}");

    let f = owner.query(FIGURES, json!({})).await;
    let f = &f["data"]["referralFigures"];
    assert_eq!(
        (
            f["converted"].as_i64(),
            f["capped"].as_i64(),
            f["reversed"].as_i64(),
            f["expired"].as_i64()
        ),
        (Some(0), Some(1), Some(1), Some(1)),
        "{f}"
    );
    assert_eq!(f["topReferrers"][0]["memberId"], ana.as_str());
    let report = app.db_verify_ledger().await;
    assert!(report.is_sound(), "{report:?}");
    // Ana's data export holds her code and the referrals she made.
    let export = owner
        .query(
            "query($m: ID!) { exportMemberData(memberId: $m) }",
            json!({ "m": ana }),
        )
        .await;
    let data = &export["data"]["exportMemberData"];
    assert_eq!(data["referral_code"][0]["code"], code.as_str(), "{export}");
    assert_eq!(
        data["referrals"].as_array().map(Vec::len),
        Some(3),
        "{export}"
    );

    // Another brand knows nothing of Ana's code, nor of Ana.
    let other = app.new_brand("autre-parrain").await;
    let o = app.as_token(&other.owner.access_token);
    o.query(
        "mutation($i: ReferralPolicyInput!) { setReferralPolicy(input: $i) { enabled } }",
        json!({ "i": { "enabled": true, "refereeVoucherMinor": 100 } }),
    )
    .await;
    let (theirs, _) = app
        .enroll(&other, json!({ "email": "t@autre.example" }))
        .await;
    let r = o.query(APPLY, json!({ "m": theirs, "c": code })).await;
    assert_eq!(field_of(&r), "code", "{r}");
    let r = o.query(CODE, json!({ "m": ana })).await;
    assert_eq!(code_of(&r), "NOT_FOUND", "{r}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_member_reads_their_code_and_gives_a_friends() {
    let app = spawn_app().await;
    let brand = app.new_brand("ami").await;
    let owner = app.as_token(&brand.owner.access_token);
    owner
        .query(
            "mutation($i: ReferralPolicyInput!) { setReferralPolicy(input: $i) { enabled } }",
            json!({ "i": { "enabled": true, "refereeVoucherMinor": 300, "referrerVoucherMinor": 300 } }),
        )
        .await;
    let friend = app.member_token(&brand).await;
    let mine = app
        .as_token(&friend)
        .query(
            "{ myReferral { code linkPath referrals { status } joinedWith { status } } }",
            json!({}),
        )
        .await;
    let code = mine["data"]["myReferral"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("{mine}"))
        .to_owned();
    assert_eq!(
        mine["data"]["myReferral"]["linkPath"],
        format!("/m/ami/signup?ref={code}")
    );
    let me = app.member_token(&brand).await;
    let r = app
        .as_token(&me)
        .query(
            "mutation($c: String!) { applyMyReferralCode(code: $c) { status } }",
            json!({ "c": code }),
        )
        .await;
    assert_eq!(r["data"]["applyMyReferralCode"]["status"], "STARTED", "{r}");
    let theirs = app
        .as_token(&friend)
        .query("{ myReferral { referrals { status } } }", json!({}))
        .await;
    assert_eq!(
        theirs["data"]["myReferral"]["referrals"][0]["status"], "STARTED",
        "{theirs}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_coalition_that_allows_it_lets_members_refer_friends_to_its_other_brands() {
    let app = spawn_app().await;
    let (a, b, c) = (
        app.new_brand("ambre").await,
        app.new_brand("boreal").await,
        app.new_brand("cobalt").await,
    );
    let outsider = app.new_brand("dehors").await;
    let co = crate::settlement::coalition(&app, &a, &b, &c).await;
    let (ga, gb) = (
        app.as_token(&a.owner.access_token),
        app.as_token(&b.owner.access_token),
    );
    let policy = "mutation($i: ReferralPolicyInput!) { setReferralPolicy(input: $i) { enabled } }";
    // A rewards its referrers (500 points, one rewarded referral a year); B its referees
    // (200 points on a first purchase of 30.00 or more).
    let pa = app
        .new_points_program(&a, "Ambre", json!({ "points": 1, "perAmountMinor": 1000 }))
        .await;
    let pb = app
        .new_points_program(&b, "Boreal", json!({ "points": 1, "perAmountMinor": 1000 }))
        .await;
    let r = ga
        .query(policy, json!({ "i": { "enabled": true, "programId": pa, "referrerPoints": 500, "capPerReferrer": 1 } }))
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let r = gb
        .query(policy, json!({ "i": { "enabled": true, "programId": pb, "refereePoints": 200, "referrerPoints": 999, "minimumPurchaseMinor": 3000 } }))
        .await;
    assert!(r["errors"].is_null(), "{r}");
    app.as_token(&outsider.owner.access_token)
        .query(
            policy,
            json!({ "i": { "enabled": true, "refereeVoucherMinor": 100 } }),
        )
        .await;

    let (ana, _) = app
        .enroll(&a, json!({ "email": "ana@ambre.example" }))
        .await;
    let code = ga.query(CODE, json!({ "m": ana })).await;
    let code = code["data"]["memberReferralCode"]
        .as_str()
        .unwrap_or_else(|| panic!("{code}"))
        .to_owned();
    let (bob, bob_card) = app
        .enroll(&b, json!({ "email": "bob@boreal.example" }))
        .await;
    let (bea, bea_card) = app
        .enroll(&b, json!({ "email": "bea@boreal.example" }))
        .await;
    let (ana_at_b, _) = app
        .enroll(&b, json!({ "email": "Ana+b@ambre.example" }))
        .await;

    // Not allowed yet: the code is unknown at B.
    let r = gb.query(APPLY, json!({ "m": bob, "c": code })).await;
    assert_eq!(field_of(&r), "code", "{r}");
    // Only the coalition's operator switches it on.
    let switch = "mutation($c: ID!, $a: Boolean!) { setCoalitionReferrals(coalitionId: $c, allowed: $a) { crossBrandReferrals } }";
    let r = ga.query(switch, json!({ "c": co.id, "a": true })).await;
    assert_eq!(code_of(&r), "FORBIDDEN", "{r}");
    let r = co
        .operator
        .query(switch, json!({ "c": co.id, "a": true }))
        .await;
    assert_eq!(
        r["data"]["setCoalitionReferrals"]["crossBrandReferrals"], true,
        "{r}"
    );

    let full = "mutation($m: ID!, $c: String!) { applyReferralCode(memberId: $m, code: $c) { status referrerId refereeId referrerBrandName } }";
    let r = gb.query(full, json!({ "m": bob, "c": code })).await;
    assert_eq!(
        r["data"]["applyReferralCode"],
        json!({ "status": "STARTED", "referrerId": null, "refereeId": bob, "referrerBrandName": "Brand ambre" }),
        "{r}"
    );
    // Ana in disguise at B is still Ana.
    let r = gb.query(APPLY, json!({ "m": ana_at_b, "c": code })).await;
    assert_eq!(code_of(&r), "CONFLICT", "{r}");
    let r = gb.query(APPLY, json!({ "m": bea, "c": code })).await;
    assert_eq!(r["data"]["applyReferralCode"]["status"], "STARTED", "{r}");
    // A brand outside the coalition does not know the code.
    let (olga, _) = app
        .enroll(&outsider, json!({ "email": "olga@dehors.example" }))
        .await;
    let r = app
        .as_token(&outsider.owner.access_token)
        .query(APPLY, json!({ "m": olga, "c": code }))
        .await;
    assert_eq!(field_of(&r), "code", "{r}");

    // Bob's first purchase at B rewards Bob at B and Ana at A, by each brand's rules.
    let (bob_before, ana_before) = (app.points(&b, &bob).await, app.points(&a, &ana).await);
    let bobs = buy(&app, &b, &bob_card, 5000).await;
    run(&app).await;
    assert_eq!(app.points(&b, &bob).await - bob_before, 200 + 5);
    assert_eq!(app.points(&a, &ana).await - ana_before, 500);
    // Bea's is past Ana's cap (A's rule, counted over every brand): Bea rewarded, Ana not.
    let bea_before = app.points(&b, &bea).await;
    buy(&app, &b, &bea_card, 4000).await;
    run(&app).await;
    assert_eq!(app.points(&b, &bea).await - bea_before, 200 + 4);
    assert_eq!(app.points(&a, &ana).await - ana_before, 500);

    // Each brand sees its own member's side.
    let list = "{ referrals { status referrerId refereeId referrerBrandName refereeBrandName referrerPoints refereePoints } }";
    let at_a = ga.query(list, json!({})).await;
    let mut rows = at_a["data"]["referrals"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("{at_a}"));
    rows.sort_by_key(|r| r["status"].as_str().unwrap_or_default().to_owned());
    assert_eq!(
        rows,
        vec![
            json!({ "status": "CAPPED", "referrerId": ana, "refereeId": null, "referrerBrandName": null, "refereeBrandName": "Brand boreal", "referrerPoints": 0, "refereePoints": 0 }),
            json!({ "status": "CONVERTED", "referrerId": ana, "refereeId": null, "referrerBrandName": null, "refereeBrandName": "Brand boreal", "referrerPoints": 500, "refereePoints": 0 }),
        ]
    );
    let fa = ga.query(FIGURES, json!({})).await;
    assert_eq!(fa["data"]["referralFigures"]["pointsGiven"], 500, "{fa}");
    assert_eq!(
        fa["data"]["referralFigures"]["topReferrers"][0]["memberId"], ana,
        "{fa}"
    );
    let fb = gb.query(FIGURES, json!({})).await;
    assert_eq!(fb["data"]["referralFigures"]["pointsGiven"], 400, "{fb}");
    assert_eq!(
        fb["data"]["referralFigures"]["topReferrers"],
        json!([]),
        "B's referees' referrer is not B's member: {fb}"
    );
    let at_b = gb.query(list, json!({})).await;
    assert!(
        at_b["data"]["referrals"].as_array().is_some_and(|rs| rs
            .iter()
            .all(|r| r["referrerId"].is_null() && r["referrerPoints"] == 0)),
        "{at_b}"
    );

    // Exports: Ana's at A holds the referrals she made at B (her side); Bob's at B does not
    // name Ana.
    let export = "query($m: ID!) { exportMemberData(memberId: $m) }";
    let ea = ga.query(export, json!({ "m": ana })).await;
    let made = ea["data"]["exportMemberData"]["referrals"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("{ea}"));
    assert_eq!(made.len(), 2, "{ea}");
    assert!(
        made.iter()
            .all(|r| r["role"] == "REFERRER" && r["other_member_id"].is_null()),
        "{ea}"
    );
    assert_eq!(
        made.iter()
            .map(|r| r["points"].as_i64().unwrap_or(0))
            .sum::<i64>(),
        500
    );
    let eb = gb.query(export, json!({ "m": bob })).await;
    let text = eb["data"]["exportMemberData"].to_string();
    assert!(
        !text.contains(&ana),
        "Ana's id leaks into Bob's export: {text}"
    );
    assert_eq!(
        eb["data"]["exportMemberData"]["referrals"][0]["points"], 200,
        "{eb}"
    );

    // A member of A reads where their code works: B (C runs no referral program).
    let cid = app.member_token(&a).await;
    let mine = app
        .as_token(&cid)
        .query(
            "{ myReferral { code alsoAt { brandName linkPath } } }",
            json!({}),
        )
        .await;
    let cid_code = mine["data"]["myReferral"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("{mine}"))
        .to_owned();
    assert_eq!(
        mine["data"]["myReferral"]["alsoAt"],
        json!([{ "brandName": "Brand boreal", "linkPath": format!("/m/boreal/signup?ref={cid_code}") }])
    );

    // Bob returns his purchase: both rewards are taken back, each at its brand.
    let r = gb
        .query(
            "mutation($i: RecordReturnInput!) { recordReturn(input: $i) { refundMinor } }",
            json!({ "i": { "purchaseId": bobs, "lines": [{ "lineNo": 1, "quantity": 1 }] } }),
        )
        .await;
    assert_eq!(r["data"]["recordReturn"]["refundMinor"], 5000, "{r}");
    run(&app).await;
    assert_eq!(
        app.points(&a, &ana).await,
        ana_before,
        "Ana's 500 taken back"
    );
    assert_eq!(app.points(&b, &bob).await, bob_before, "{bob}");
    let at_a = ga.query(list, json!({})).await;
    assert!(
        at_a["data"]["referrals"]
            .as_array()
            .is_some_and(|rs| rs.iter().any(|r| r["status"] == "REVERSED")),
        "{at_a}"
    );

    // Switched off: new referrals across brands stop.
    co.operator
        .query(switch, json!({ "c": co.id, "a": false }))
        .await;
    let (cy, _) = app
        .enroll(&b, json!({ "email": "cy@boreal.example" }))
        .await;
    let r = gb.query(APPLY, json!({ "m": cy, "c": code })).await;
    assert_eq!(field_of(&r), "code", "{r}");
    let report = app.db_verify_ledger().await;
    assert!(report.is_sound(), "{report:?}");
}
