//! Goodwill gestures: a reason always, limits per gesture, per staff member per day and per
//! member per period, and an audit report.

use fidelis_tests::{code_of, field_of, spawn_app};
use serde_json::{Value, json};

const GRANT: &str = "mutation($i: GrantGestureInput!) { grantGesture(input: $i) { id kind points reason voucherId } }";

fn gesture(member: &str, kind: &str, points: i64, reason: &str) -> Value {
    json!({ "i": { "memberId": member, "kind": kind, "points": points, "reason": reason } })
}

#[tokio::test(flavor = "multi_thread")]
async fn gestures_need_a_reason_stay_within_the_brands_limits_and_are_reported() {
    let app = spawn_app().await;
    let brand = app.new_brand("gestes").await;
    app.new_points_program(&brand, "Points", json!({})).await;
    let (member, _) = app
        .enroll(&brand, json!({ "email": "a@gestes.example" }))
        .await;
    let (other, _) = app
        .enroll(&brand, json!({ "email": "b@gestes.example" }))
        .await;
    let owner = app.as_token(&brand.owner.access_token);
    let set = owner
        .query(
            "mutation($i: GesturePolicyInput!) { setGesturePolicy(input: $i) { maxPointsPerGesture } }",
            json!({ "i": { "maxPointsPerGesture": 100, "maxPointsPerStaffPerDay": 150, "maxGesturesPerStaffPerDay": 2,
                           "maxGesturesPerMember": 2, "memberPeriodDays": 30, "maxVoucherMinor": 2_000 } }),
        )
        .await;
    assert_eq!(
        set["data"]["setGesturePolicy"]["maxPointsPerGesture"], 100,
        "{set}"
    );
    let staff = app.as_token(
        &app.invite(&brand, "caisse@gestes.example", "BRAND_STAFF")
            .await
            .access_token,
    );
    let manager = app.as_token(
        &app.invite(&brand, "chef@gestes.example", "BRAND_MANAGER")
            .await
            .access_token,
    );

    let no_reason = staff
        .query(GRANT, gesture(&member, "POINTS", 50, "  "))
        .await;
    assert_eq!(
        (code_of(&no_reason), field_of(&no_reason)),
        ("VALIDATION", "input.reason"),
        "{no_reason}"
    );
    let too_big = staff
        .query(GRANT, gesture(&member, "POINTS", 101, "late delivery"))
        .await;
    assert_eq!(code_of(&too_big), "LIMIT_EXCEEDED", "{too_big}");
    let first = staff
        .query(GRANT, gesture(&member, "POINTS", 80, "late delivery"))
        .await;
    assert_eq!(first["data"]["grantGesture"]["points"], 80, "{first}");
    assert_eq!(app.points(&brand, &member).await, 80);
    let over_day = staff
        .query(GRANT, gesture(&other, "POINTS", 80, "broken item"))
        .await;
    assert_eq!(
        code_of(&over_day),
        "LIMIT_EXCEEDED",
        "150 points a day: {over_day}"
    );
    let second = staff
        .query(GRANT, gesture(&other, "POINTS", 60, "broken item"))
        .await;
    assert_eq!(second["data"]["grantGesture"]["points"], 60, "{second}");
    let third = staff
        .query(GRANT, gesture(&other, "GIFT", 0, "birthday"))
        .await;
    assert_eq!(
        code_of(&third),
        "LIMIT_EXCEEDED",
        "two gestures a day: {third}"
    );

    // Per member: a second person cannot go around the member's limit.
    let voucher = manager
        .query(GRANT, json!({ "i": { "memberId": member, "kind": "DISCOUNT_VOUCHER", "voucherAmountMinor": 1_500, "reason": "wrong size" } }))
        .await;
    assert!(
        voucher["data"]["grantGesture"]["voucherId"].is_string(),
        "{voucher}"
    );
    let third_for_member = manager
        .query(GRANT, gesture(&member, "FREE_SERVICE", 0, "again"))
        .await;
    assert_eq!(
        code_of(&third_for_member),
        "LIMIT_EXCEEDED",
        "{third_for_member}"
    );
    let valued_gift = manager
        .query(GRANT, gesture(&other, "GIFT", 10, "gift"))
        .await;
    assert_eq!(
        (code_of(&valued_gift), field_of(&valued_gift)),
        ("VALIDATION", "input.kind"),
        "{valued_gift}"
    );

    let vouchers = owner
        .query(
            "query($id: ID!) { member(id: $id) { vouchers { amountMinor status } } }",
            json!({ "id": member }),
        )
        .await;
    assert_eq!(
        vouchers["data"]["member"]["vouchers"],
        json!([{ "amountMinor": 1_500, "status": "ACTIVE" }]),
        "{vouchers}"
    );
    let report = owner
        .query(
            "{ gestures(first: 10) { edges { node { kind points reason } } } }",
            json!({}),
        )
        .await;
    let reasons: Vec<&str> = report["data"]["gestures"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["node"]["reason"].as_str())
        .collect();
    assert_eq!(
        reasons,
        ["late delivery", "broken item", "wrong size"],
        "{report}"
    );
    let staff_report = staff
        .query("{ gestures { edges { node { id } } } }", json!({}))
        .await;
    assert_eq!(code_of(&staff_report), "FORBIDDEN");
    let pos = app.as_token(
        &app.partner_token(
            &brand,
            &["MEMBERS_WRITE", "PURCHASES_WRITE", "REWARDS_REDEEM"],
        )
        .await,
    );
    assert_eq!(
        code_of(&pos.query(GRANT, gesture(&member, "GIFT", 0, "x")).await),
        "FORBIDDEN"
    );
    let ledger = app.db_verify_ledger().await;
    assert!(ledger.is_sound(), "{ledger:?}");
}
