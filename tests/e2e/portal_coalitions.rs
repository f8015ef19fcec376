//! Coalitions in the portal, in a real browser: a platform admin creates a coalition and
//! suspends then reactivates a brand; the operator invites a brand; the brand's owner accepts;
//! the operator closes last month and the statements download as CSV.

use chrono::{Datelike, Months, Utc};
use fidelis_tests::{PASSWORD, spawn_app};

use crate::browser::Browser;

async fn sign_in(browser: &Browser, app: &fidelis_tests::TestApp, email: &str) {
    browser.goto(&app.url("/login")).await;
    browser.fill("email", email).await;
    browser.fill("password", PASSWORD).await;
    browser.click("form.card button[type='submit']").await;
    browser.wait_for_text(email).await;
}

async fn sign_out(browser: &Browser) {
    browser.click("header form button").await;
    browser.wait_for_text("Se connecter").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_an_operator_and_a_brand_run_a_coalition_in_the_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    app.db_platform_admin().await;
    let operator = app.db_coalition_operator().await;
    app.new_brand("cafe").await;
    app.new_brand("livre").await;

    sign_in(&browser, &app, "admin@fidelis.test").await;
    browser.click("nav a[href='/app/coalitions']").await;
    browser.fill("name", "Quartier Latin").await;
    browser
        .fill("operator_email", "operator@coalition.test")
        .await;
    browser
        .click("form[action='/app/act/coalition-create'] button")
        .await;
    browser.wait_for_text("Coalition créée").await;
    let coalition_page = browser.path().await;
    assert!(
        coalition_page.starts_with("/app/coalitions/"),
        "{coalition_page}"
    );

    browser.click("nav a[href='/app/brands']").await;
    browser
        .fill(
            &format!("reason-{}", brand_id(&app, "livre").await),
            "Impayés",
        )
        .await;
    browser
        .click("tr[data-brand='livre'] form[action='/app/act/brand-suspend'] button")
        .await;
    let suspended = browser.wait_for_text("Enseigne suspendue").await;
    assert!(suspended.contains("suspendue"), "{suspended}");
    browser
        .click("tr[data-brand='livre'] form[action='/app/act/brand-reactivate'] button")
        .await;
    browser.wait_for_text("Enseigne réactivée").await;
    browser.screenshot("admin-brands").await;
    sign_out(&browser).await;

    sign_in(&browser, &app, "operator@coalition.test").await;
    browser.goto(&app.url(&coalition_page)).await;
    browser.fill("brand_slug", "cafe").await;
    browser
        .click("form[action='/app/act/coalition-invite'] button")
        .await;
    let invited = browser.wait_for_text("Enseigne invitée").await;
    assert!(
        invited.contains("Brand cafe") && invited.contains("invitée"),
        "{invited}"
    );
    sign_out(&browser).await;

    sign_in(&browser, &app, "owner@cafe.example").await;
    browser.click("nav a[href='/app/coalitions']").await;
    browser.wait_for_text("Quartier Latin").await;
    browser
        .click("form[action='/app/act/coalition-respond'] input[value='true'] ~ button")
        .await;
    let accepted = browser.wait_for_text("Réponse enregistrée").await;
    assert!(accepted.contains("actif"), "{accepted}");
    browser.screenshot("brand-coalitions").await;
    sign_out(&browser).await;

    // The operator closes last month (in the coalition's time zone) and downloads it.
    let last = Utc::now()
        .date_naive()
        .with_day(1)
        .and_then(|d| d.checked_sub_months(Months::new(1)))
        .unwrap_or_default()
        .format("%Y-%m")
        .to_string();
    sign_in(&browser, &app, "operator@coalition.test").await;
    browser
        .goto(&app.url(&format!("{coalition_page}?period={last}")))
        .await;
    browser.wait_for_text("ouverte").await;
    browser
        .click("form[action='/app/act/coalition-close'] button")
        .await;
    let closed = browser.wait_for_text("Période clôturée").await;
    assert!(closed.contains("clôturée le"), "{closed}");
    browser.screenshot("operator-period").await;
    let csv = reqwest::Client::new()
        .get(app.url(&format!("{coalition_page}/periods/{last}/statements.csv")))
        .header("cookie", format!("fidelis_at={}", operator.access_token))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(csv.status(), 200);
    assert_eq!(
        csv.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/csv; charset=utf-8")
    );
    let body = csv.text().await.unwrap_or_default();
    assert!(
        body.lines().next().is_some_and(|h| h.contains(',')),
        "{body}"
    );

    // The operator allows referrals across brands and creates a club for the coalition.
    browser.goto(&app.url(&coalition_page)).await;
    browser
        .click("form[action='/app/act/coalition-referrals'] button")
        .await;
    let allowed = browser
        .wait_for_text("Parrainage entre enseignes mis à jour")
        .await;
    assert!(allowed.contains("Autorisé"), "{allowed}");
    browser.fill("cc-name", "Club des lecteurs").await;
    browser.fill("cc-q1", "Genre préféré").await;
    browser.set_value("cc-q1-kind", "CHOICE").await;
    browser.fill("cc-q1-choices", "Roman ; Polar ; BD").await;
    browser
        .click("form[action='/app/act/coalition-club-create'] button")
        .await;
    let made = browser.wait_for_text("Club créé").await;
    assert!(
        made.contains("Club des lecteurs") && made.contains("Brand cafe : 0"),
        "{made}"
    );
    browser.screenshot("operator-coalition-club").await;
    sign_out(&browser).await;
    // The brand finds it among its clubs, marked as the coalition's, without the close button.
    sign_in(&browser, &app, "owner@cafe.example").await;
    browser.click("nav a[href='/app/clubs']").await;
    let clubs = browser.wait_for_text("Club des lecteurs").await;
    assert!(clubs.contains("club de la coalition"), "{clubs}");
    browser.click("a[href^='/app/clubs/']").await;
    let page = browser.wait_for_text("Club de la coalition").await;
    assert!(
        page.contains("Membres des autres enseignes de la coalition"),
        "{page}"
    );
    assert!(!page.contains("Fermer le club aux adhésions"), "{page}");
    browser.screenshot("brand-coalition-club").await;
    sign_out(&browser).await;
    // A brand that was never invited reads the coalition's page as not found.
    let livre = app.login("owner@livre.example", PASSWORD).await;
    let outsider = reqwest::Client::new()
        .get(app.url(&coalition_page))
        .header("cookie", format!("fidelis_at={}", livre.access_token))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(outsider.status(), 404);
    browser.close().await;
}

async fn brand_id(app: &fidelis_tests::TestApp, slug: &str) -> String {
    let admin = app.login("admin@fidelis.test", PASSWORD).await;
    let r = app
        .as_token(&admin.access_token)
        .query(
            "{ brands(first: 100) { nodes { id slug } } }",
            serde_json::json!({}),
        )
        .await;
    r["data"]["brands"]["nodes"]
        .as_array()
        .and_then(|b| b.iter().find(|b| b["slug"] == slug))
        .and_then(|b| b["id"].as_str())
        .unwrap_or_else(|| panic!("{r}"))
        .to_owned()
}
