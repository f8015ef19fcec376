//! The portal's program, catalog and member-care pages in a real browser: rules edited with a
//! "what would this basket earn" preview before saving, a cashback program created, a reward
//! added, a promo code issued, looked up and used, a card blocked and replaced, a member's data
//! exported and the member erased.

use fidelis_tests::{PASSWORD, spawn_app};
use serde_json::json;

use crate::browser::Browser;

#[tokio::test(flavor = "multi_thread")]
async fn an_owner_edits_rules_with_a_preview_and_runs_the_catalog() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let brand = app.new_brand("regle").await;
    let program = app
        .new_points_program(
            &brand,
            "Points Règle",
            json!({ "points": 1, "perAmountMinor": 100, "bonusPeriods": [ { "label": "Noël",
                "startsAt": "2020-12-01T00:00:00Z", "endsAt": "2020-12-25T00:00:00Z", "percent": 200 } ] }),
        )
        .await;
    let owner = app.as_token(&brand.owner.access_token);
    let direct = owner
        .query(
            "query($i: PreviewEarningInput!) { previewEarning(input: $i) { earning { points } step { note } } }",
            json!({ "i": { "programId": program, "totalMinor": 1234 } }),
        )
        .await;
    assert_eq!(
        direct["data"]["previewEarning"]["earning"]["points"], 12,
        "{direct}"
    );

    browser.goto(&app.url("/login")).await;
    browser.fill("email", "owner@regle.example").await;
    browser.fill("password", PASSWORD).await;
    browser.click("form.card button[type='submit']").await;
    browser.wait_for_text("Brand regle").await;

    // The basket preview under the rules in force: 12.34 EUR at 1 point per euro = 12 points.
    browser.click("nav a[href='/app/programs']").await;
    browser
        .click(&format!("a[href='/app/programs/{program}']"))
        .await;
    browser.fill("basket_total", "12,34").await;
    browser.click("#preview-rules").await;
    browser.wait_for_text("12 point(s)").await;
    // Rules being typed, previewed before saving: 3 points per 2.50 EUR on 12.34 EUR is
    // 14.808 points: 14 rounded down, 15 rounded up. Nothing saved yet.
    browser.fill("points", "3").await;
    browser.fill("perAmountMinor", "2,50").await;
    browser.click("#preview-rules").await;
    browser.wait_for_text("14 point(s)").await;
    browser.click("#rounding option[value='UP']").await;
    browser.click("#preview-rules").await;
    browser.wait_for_text("15 point(s)").await;
    browser.screenshot("program-preview").await;
    let saved = owner
        .query(
            "query($id: ID!) { program(id: $id) { points { points perAmountMinor } } }",
            json!({ "id": program }),
        )
        .await;
    assert_eq!(saved["data"]["program"]["points"]["points"], 1, "{saved}");
    // Saved: in force from now, the bonus period the form does not show is kept.
    browser.click("#rules-form button[value='save']").await;
    browser.wait_for_text("Règles enregistrées").await;
    let saved = owner
        .query(
            "query($id: ID!) { program(id: $id) { points { points perAmountMinor rounding bonusPeriods { label } } } }",
            json!({ "id": program }),
        )
        .await;
    let p = &saved["data"]["program"]["points"];
    assert_eq!(
        (p["points"].as_i64(), p["perAmountMinor"].as_i64()),
        (Some(3), Some(250)),
        "{saved}"
    );
    assert_eq!(p["rounding"], "UP", "{saved}");
    assert_eq!(p["bonusPeriods"][0]["label"], "Noël", "{saved}");
    // An amount that does not read is refused by name, nothing saved.
    browser.fill("perAmountMinor", "deux euros").await;
    browser.click("#rules-form button[value='save']").await;
    browser
        .wait_for_text("par tranche de : un montant est attendu")
        .await;

    // A cashback program of another mechanic, from its own form.
    browser.goto(&app.url("/app/programs/new/CASHBACK")).await;
    browser.fill("name", "Cagnotte Règle").await;
    browser.fill("rateBasisPoints", "500").await;
    browser.click("form.card button[type='submit']").await;
    browser.wait_for_text("Programme créé").await;
    browser.fill("basket_total", "40").await;
    browser.click("#preview-rules").await;
    browser.wait_for_text("2,00 EUR de cagnotte").await;

    // A reward in the catalog.
    browser.goto(&app.url("/app/rewards")).await;
    browser.fill("name", "Tote bag").await;
    browser.fill("points_cost", "300").await;
    browser.fill("amount", "5").await;
    browser.fill("stock", "10").await;
    browser
        .click("form[action='/app/act/reward-create'] button")
        .await;
    let catalog = browser.wait_for_text("Récompense ajoutée").await;
    assert!(
        catalog.contains("Tote bag") && catalog.contains("300 points"),
        "{catalog}"
    );
    assert!(catalog.contains("5,00 EUR"), "{catalog}");
    browser.screenshot("rewards").await;

    // A promo code issued, looked up, used once.
    browser.goto(&app.url("/app/vouchers")).await;
    browser.fill("new_code", "NOEL2026").await;
    browser.fill("amount", "7,50").await;
    browser.fill("minimum", "30").await;
    browser.set_value("valid_until", "2099-12-31").await;
    browser
        .click("form[action='/app/act/voucher-issue'] button")
        .await;
    let issued = browser.wait_for_text("Bon émis").await;
    assert!(
        issued.contains("7,50 EUR") && issued.contains("30,00 EUR"),
        "{issued}"
    );
    browser
        .click("form[action='/app/act/voucher-redeem'] button")
        .await;
    browser.wait_for_text("Bon utilisé").await;
    assert_eq!(
        browser
            .find("#voucher-status")
            .await
            .text()
            .await
            .unwrap_or_default(),
        "utilisé"
    );
    browser.screenshot("vouchers").await;
    browser.goto(&app.url("/app/vouchers?code=NOPE-NOPE")).await;
    browser.wait_for_text("Introuvable").await;

    // A card blocked then replaced; the member's data exported; the member erased.
    let (member, card) = app
        .enroll(
            &brand,
            json!({ "email": "zoe@regle.example", "firstName": "Zoé" }),
        )
        .await;
    browser
        .goto(&app.url(&format!("/app/members/{member}")))
        .await;
    browser
        .click(&format!(
            "tr[data-card='{card}'] form[action='/app/act/card-block'] button"
        ))
        .await;
    browser.wait_for_text("Carte bloquée").await;
    browser
        .click(&format!(
            "tr[data-card='{card}'] form[action='/app/act/card-replace'] button"
        ))
        .await;
    let replaced = browser.wait_for_text("Nouvelle carte émise").await;
    assert!(replaced.contains("remplacée"), "{replaced}");
    browser.screenshot("member-cards").await;
    let export = reqwest_export(&app, &brand.owner.access_token, &member).await;
    assert!(export.contains("zoe@regle.example"), "{export}");
    browser.fill("confirm", "non").await;
    browser
        .click("form[action='/app/act/member-erase'] button")
        .await;
    browser.wait_for_text("tapez ERASE").await;
    browser
        .goto(&app.url(&format!("/app/members/{member}")))
        .await;
    browser.fill("confirm", "ERASE").await;
    browser
        .click("form[action='/app/act/member-erase'] button")
        .await;
    browser.wait_for_text("Membre effacé").await;
    assert_eq!(browser.path().await, "/app/members");
    let gone = owner
        .query(
            "query($id: ID!) { member(id: $id) { email } }",
            json!({ "id": member }),
        )
        .await;
    assert!(gone["data"]["member"]["email"].is_null(), "{gone}");

    // Brand settings: name and colour; the member space takes the colour; a colour that is not
    // #rrggbb is refused by the API, and only the owner may change the settings.
    browser.goto(&app.url("/app/settings")).await;
    browser.fill("name", "Règle & Co").await;
    browser.set_value("accent_color", "#aa3300").await;
    browser
        .click("form[action='/app/act/brand-settings'] button")
        .await;
    let saved = browser
        .wait_for_text("Réglages de l'enseigne enregistrés")
        .await;
    assert!(saved.contains("Règle & Co"), "{saved}");
    let css = reqwest::get(app.url("/m/regle/brand.css"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    assert!(css.contains("--accent: #aa3300"), "{css}");
    let bad = owner
        .query(
            "mutation($i: BrandSettingsInput!) { updateBrandSettings(input: $i) { id } }",
            json!({ "i": { "name": "X", "timezone": "Europe/Paris", "locale": "fr-FR", "accentColor": "red; }" } }),
        )
        .await;
    assert_eq!(fidelis_tests::code_of(&bad), "VALIDATION", "{bad}");
    let manager = app
        .invite(&brand, "boss@regle.example", "BRAND_MANAGER")
        .await;
    let refused = app
        .as_token(&manager.access_token)
        .query(
            "mutation($i: BrandSettingsInput!) { updateBrandSettings(input: $i) { id } }",
            json!({ "i": { "name": "Taken", "timezone": "Europe/Paris", "locale": "fr-FR" } }),
        )
        .await;
    assert_eq!(fidelis_tests::code_of(&refused), "FORBIDDEN", "{refused}");

    // The dashboard's figures and charts: an anonymous checkout of 20.00 EUR today.
    let bought = owner
        .query(
            fidelis_tests::RECORD_PURCHASE,
            json!({ "i": { "totalMinor": 2_000, "currency": "EUR" } }),
        )
        .await;
    assert!(bought["errors"].is_null(), "{bought}");
    browser.goto(&app.url("/app?days=7")).await;
    browser.wait_for_text("Chiffres").await;
    assert_eq!(
        browser
            .find("[data-kpi='anonymous-revenue']")
            .await
            .text()
            .await
            .unwrap_or_default(),
        "20,00 EUR"
    );
    assert_eq!(
        browser
            .find("[data-kpi='members']")
            .await
            .text()
            .await
            .unwrap_or_default(),
        "1"
    );
    browser.find(".charts figure svg[role='img']").await;
    browser.screenshot("dashboard-figures").await;
    browser.scroll_to(".charts").await;
    browser.screenshot("dashboard-charts").await;
    browser.close().await;
}

/// The export link, fetched with the session cookie the portal sets (as the browser's download
/// would).
async fn reqwest_export(app: &fidelis_tests::TestApp, access: &str, member: &str) -> String {
    let response = reqwest::Client::new()
        .get(app.url(&format!("/app/members/{member}/export.json")))
        .header("cookie", format!("fidelis_at={access}"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), 200);
    assert!(
        response
            .headers()
            .get("content-disposition")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("attachment")),
    );
    response.text().await.unwrap_or_default()
}
