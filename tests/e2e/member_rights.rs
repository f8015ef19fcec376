//! Members' rights: a full data export (never the password hash), the member's own export,
//! erasure that removes the person but keeps the ledger sound; another brand sees nothing.

use chrono::Utc;
use fidelis_tests::{PASSWORD, RECORD_PURCHASE, code_of, spawn_app};
use serde_json::json;

const EXPORT: &str = "query($m: ID!) { exportMemberData(memberId: $m) }";

#[tokio::test(flavor = "multi_thread")]
async fn export_and_erasure_keep_the_ledger_sound() {
    let app = spawn_app().await;
    let brand = app.new_brand("lavande").await;
    let owner = app.as_token(&brand.owner.access_token);
    app.new_points_program(
        &brand,
        "Points",
        json!({ "points": 1, "perAmountMinor": 100 }),
    )
    .await;
    let (member, card) = app
        .enroll(&brand, json!({ "email": "eva@lavande.example", "firstName": "Eva", "phone": "+33612345678", "emailConsent": true, "consentSource": "form" }))
        .await;
    let bought = owner
        .query(
            RECORD_PURCHASE,
            json!({ "i": { "cardNumber": card, "totalMinor": 4_200, "currency": "EUR" } }),
        )
        .await;
    assert!(bought["errors"].is_null(), "{bought}");
    let suppressed = owner
        .query(
            "mutation { suppressEmail(email: \"eva@lavande.example\", reason: COMPLAINED) }",
            json!({}),
        )
        .await;
    assert!(suppressed["errors"].is_null(), "{suppressed}");
    // The suppression is there before the erasure, so "empty after" below means something.
    let listed = owner.query("{ suppressions { email } }", json!({})).await;
    assert_eq!(
        listed["data"]["suppressions"],
        json!([{ "email": "eva@lavande.example" }]),
        "{listed}"
    );
    // A welcome mail, so the mail logs hold her address too.
    fidelis::engagement::transactional::run_once(
        &app.state.base,
        &app.state.links,
        &app.state.post,
        Utc::now(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e:?}"));

    let export = owner.query(EXPORT, json!({ "m": member })).await;
    let data = &export["data"]["exportMemberData"];
    assert_eq!(data["member"]["email"], "eva@lavande.example", "{export}");
    assert_eq!(data["member"]["phone"], "+33612345678");
    assert!(data["member"].get("password_hash").is_none());
    assert_eq!(data["cards"][0]["number"], card.as_str());
    assert_eq!(data["purchases"].as_array().map(Vec::len), Some(1));
    assert_eq!(data["purchases"][0]["total_minor"], 4_200);
    assert!(
        data["transactions"]
            .as_array()
            .is_some_and(|t| !t.is_empty())
    );
    assert!(data["entries"].as_array().is_some_and(|e| !e.is_empty()));
    assert_eq!(
        data["transactional_mails"].as_array().map(Vec::len),
        Some(1)
    );
    // Another brand: as if she did not exist.
    let other = app.new_brand("romarin").await;
    let foreign = app
        .as_token(&other.owner.access_token)
        .query(EXPORT, json!({ "m": member }))
        .await;
    assert_eq!(code_of(&foreign), "NOT_FOUND");
    let foreign = app
        .as_token(&other.owner.access_token)
        .query(
            "mutation($m: ID!) { eraseMember(memberId: $m) }",
            json!({ "m": member }),
        )
        .await;
    assert_eq!(code_of(&foreign), "NOT_FOUND");

    let points_before = app.points(&brand, &member).await;
    for _ in 0..2 {
        let erased = owner
            .query(
                "mutation($m: ID!) { eraseMember(memberId: $m) }",
                json!({ "m": member }),
            )
            .await;
        assert_eq!(erased["data"]["eraseMember"], true, "{erased}");
    }
    let after = owner.query(EXPORT, json!({ "m": member })).await;
    let data = &after["data"]["exportMemberData"];
    for field in ["email", "phone", "first_name", "last_name", "birth_date"] {
        assert!(data["member"][field].is_null(), "{field}: {after}");
    }
    assert_eq!(data["member"]["email_consent"], false);
    assert!(data["member"]["attributes"]["erased_at"].is_string());
    assert_eq!(data["cards"][0]["status"], "BLOCKED");
    let list = owner.query("{ suppressions { email } }", json!({})).await;
    assert_eq!(list["data"]["suppressions"], json!([]), "{list}");
    // The ledger keeps her (pseudonymous) entries: balances unchanged, verify clean.
    assert_eq!(app.points(&brand, &member).await, points_before);
    let report = app.db_verify_ledger().await;
    assert!(report.is_sound(), "{report:?}");
    // The card no longer buys anything.
    let refused = owner
        .query(
            RECORD_PURCHASE,
            json!({ "i": { "cardNumber": card, "totalMinor": 100, "currency": "EUR" } }),
        )
        .await;
    assert!(!refused["errors"].is_null(), "{refused}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_member_exports_their_own_data() {
    let app = spawn_app().await;
    let brand = app.new_brand("tilleul").await;
    let email = "zoe@tilleul.example";
    let signed = app
        .anonymous()
        .query(
            "mutation($i: MemberSignUpInput!) { memberSignUp(input: $i) { accessToken } }",
            json!({ "i": { "brandSlug": brand.slug, "email": email, "password": PASSWORD } }),
        )
        .await;
    let token = signed["data"]["memberSignUp"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{signed}"))
        .to_owned();
    let mine = app.as_token(&token).query("{ myData }", json!({})).await;
    let data = &mine["data"]["myData"];
    assert_eq!(data["member"]["email"], email, "{mine}");
    assert_eq!(data["member"]["has_password"], true);
    assert!(data["member"].get("password_hash").is_none());
}
