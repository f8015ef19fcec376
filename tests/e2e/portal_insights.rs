//! Customer knowledge in the portal, in a real browser: the owner scores the members, sees the
//! segments and a member's scores, renames a segment in the settings, and reads the movements.

use chrono::Duration;
use fidelis_tests::{PASSWORD, TestBrand, spawn_app};
use serde_json::json;

use crate::browser::Browser;

#[tokio::test(flavor = "multi_thread")]
async fn an_owner_scores_members_and_reads_segments_and_movements() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let brand = app.new_brand("savoir").await;
    let (regular, card) = app
        .enroll(
            &brand,
            json!({ "email": "r@savoir.example", "firstName": "Rita" }),
        )
        .await;
    app.enroll(&brand, json!({ "email": "q@savoir.example" }))
        .await;
    // 200 days later Rita has bought three times lately; the other member never.
    app.clock().advance(Duration::days(200));
    let brand = TestBrand {
        owner: app.login(&brand.owner.email, PASSWORD).await,
        ..brand
    };
    let owner = app.as_token(&brand.owner.access_token);
    for days in [2, 9, 30] {
        let r = owner
            .query(
                "mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { purchase { id } } }",
                json!({ "i": { "cardNumber": card, "currency": "EUR", "totalMinor": 2_500,
                    "occurredAt": (app.now() - Duration::days(days)).to_rfc3339() } }),
            )
            .await;
        assert!(r["data"]["recordPurchase"].is_object(), "{r}");
    }

    browser.goto(&app.url("/login")).await;
    browser.fill("email", "owner@savoir.example").await;
    browser.fill("password", PASSWORD).await;
    browser.click("form.card button[type='submit']").await;
    browser.wait_for_text("Brand savoir").await;
    browser.click("nav a[href='/app/insights']").await;
    let page = browser.wait_for_text("Pas encore calculé").await;
    assert!(page.contains("Très bons clients"), "{page}");
    browser
        .click("form[action='/app/act/scoring-run'] button")
        .await;
    let page = browser.wait_for_text("Membres notés").await;
    assert!(page.contains("2 membres notés"), "{page}");
    // One buyer: scores 1 in every dimension (no one worse), so occasional; the other inactive.
    let row = |key: &str| format!("tr[data-segment='{key}']");
    let occasional = browser
        .find(&row("OCCASIONAL"))
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(occasional.ends_with('1'), "{occasional}");
    let inactive = browser
        .find(&row("INACTIVE"))
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(inactive.ends_with('1'), "{inactive}");
    browser.screenshot("insights-segments").await;

    // Rita's page shows her segment and scores.
    browser
        .goto(&app.url(&format!("/app/members/{regular}")))
        .await;
    let page = browser.wait_for_text("Occasionnels").await;
    assert!(
        page.contains("R 1 · F 1 · M 1 · T 1") && page.contains("3 achats"),
        "{page}"
    );

    // The movements since before the first run: both arrive from "not scored yet".
    browser.goto(&app.url("/app/insights")).await;
    browser.wait_for_text("Mouvements entre segments").await;
    browser.set_value("from", "2020-01-01").await;
    browser.click("form[action='/app/insights'] button").await;
    let page = browser.wait_for_text("pas encore noté").await;
    assert!(page.contains("Occasionnels"), "{page}");

    // The owner renames "occasional" in the settings: the brand's own segments from now on.
    browser.click("#settings summary").await;
    browser.click("#settings input[name='defaults']").await;
    browser
        .find("#settings input[name='name5']")
        .await
        .clear()
        .await
        .unwrap_or_else(|e| panic!("clear: {e}"));
    browser
        .find("#settings input[name='name5']")
        .await
        .send_keys("Clients de passage")
        .await
        .unwrap_or_else(|e| panic!("type: {e}"));
    browser.click("#settings button[type='submit']").await;
    browser.wait_for_text("Réglages enregistrés").await;
    let saved = owner
        .query(
            "{ scoring { customSegments segments { key name } } }",
            json!({}),
        )
        .await;
    assert_eq!(saved["data"]["scoring"]["customSegments"], true, "{saved}");
    assert_eq!(
        saved["data"]["scoring"]["segments"][5],
        json!({ "key": "OCCASIONAL", "name": "Clients de passage" }),
        "{saved}"
    );
    let page = browser.text().await;
    assert!(page.contains("Clients de passage"), "{page}");
    browser.screenshot("insights-settings").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_owner_reads_kpis_exports_them_and_sets_an_objective() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let brand = app.new_brand("mesures").await;
    let owner = app.as_token(&brand.owner.access_token);
    let (_, card) = app
        .enroll(&brand, json!({ "email": "m@mesures.example" }))
        .await;
    // Today: one checkout with a card (30.00), one without (10.00).
    for card in [Some(card.as_str()), None] {
        let r = owner
            .query(
                "mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { purchase { id } } }",
                json!({ "i": { "cardNumber": card, "currency": "EUR", "totalMinor": if card.is_some() { 3_000 } else { 1_000 } } }),
            )
            .await;
        assert!(r["data"]["recordPurchase"].is_object(), "{r}");
    }
    browser.goto(&app.url("/login")).await;
    browser.fill("email", "owner@mesures.example").await;
    browser.fill("password", PASSWORD).await;
    browser.click("form.card button[type='submit']").await;
    browser.wait_for_text("Brand mesures").await;
    browser.goto(&app.url("/app/insights")).await;
    browser.wait_for_text("Indicateurs et objectifs").await;
    browser.click("a[href='/app/insights/kpis']").await;
    let page = browser.wait_for_text("Taux de porteurs de carte").await;
    // 1 member ÷ (1 + 1 anonymous checkout) = 50 %; baskets 30.00 and 10.00.
    let rate = browser
        .find("td[data-kpi='cardHolderRate']")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert_eq!(rate, "50 %", "{page}");
    assert!(page.contains("30,00 EUR / 10,00 EUR"), "{page}");
    browser.screenshot("insights-kpis").await;
    // An objective: 10 enrolments over the next 30 days.
    let today = app
        .now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive();
    browser.fill("o_name", "Adhésions de l'hiver").await;
    browser.set_value("o_kpi", "ENROLMENTS").await;
    browser.fill("o_target", "10").await;
    browser.set_value("o_starts", &today.to_string()).await;
    browser
        .set_value("o_ends", &(today + Duration::days(29)).to_string())
        .await;
    browser
        .click("form[action='/app/act/objective-create'] button")
        .await;
    let page = browser.wait_for_text("Objectif fixé").await;
    // One enrolment today against a line at 10 × 1 ÷ 30 = 0: on track.
    assert!(
        page.contains("Adhésions de l'hiver") && page.contains("dans les temps"),
        "{page}"
    );
    let o = owner
        .query("{ objectives { kpi target actual onTrack } }", json!({}))
        .await;
    assert_eq!(
        o["data"]["objectives"],
        json!([{ "kpi": "ENROLMENTS", "target": 10, "actual": 1, "onTrack": true }]),
        "{o}"
    );
    browser.screenshot("insights-objectives").await;
    // The CSV export of the last twelve months: a header and one row per month, this month's
    // with the two checkouts.
    let csv = reqwest::Client::new()
        .get(app.url("/app/insights/kpis.csv"))
        .header("cookie", format!("fidelis_at={}", brand.owner.access_token))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(csv.status(), 200);
    let body = csv.text().await.unwrap_or_default();
    let lines: Vec<&str> = body.lines().collect();
    assert!(
        lines[0].starts_with("from,to,member_checkouts,anonymous_checkouts"),
        "{body}"
    );
    assert!((13..=14).contains(&lines.len()), "{body}");
    let last: Vec<&str> = lines
        .last()
        .map(|l| l.split(',').collect())
        .unwrap_or_default();
    assert_eq!((last[2], last[3], last[4]), ("1", "1", "3000"), "{body}");
}
