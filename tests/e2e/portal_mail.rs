//! The portal's mail pages in a real browser: sender settings, a template written with its live
//! preview for a real member, an audience counted, a campaign created, sent over SMTP and its
//! figures read back.

use fidelis::engagement::campaigns::run_once;
use fidelis_tests::{PASSWORD, spawn_app};
use serde_json::json;

use crate::browser::Browser;

#[tokio::test(flavor = "multi_thread")]
async fn an_owner_writes_a_template_previews_it_and_sends_a_campaign() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let brand = app.new_brand("encre").await;
    for (email, name, consent) in [
        ("alice@encre.example", "Alice", true),
        ("bruno@encre.example", "Bruno", true),
        ("carla@encre.example", "Carla", false),
    ] {
        app.enroll(
            &brand,
            json!({ "email": email, "firstName": name, "emailConsent": consent, "consentSource": "form" }),
        )
        .await;
    }

    browser.goto(&app.url("/login")).await;
    browser.fill("email", "owner@encre.example").await;
    browser.fill("password", PASSWORD).await;
    browser.click("form.card button[type='submit']").await;
    browser.wait_for_text("Brand encre").await;

    // Sender settings.
    browser.click("nav a[href='/app/mail']").await;
    browser.fill("from_name", "Encre & Papier").await;
    browser.fill("from_address", "news@encre.example").await;
    browser
        .click("form[action='/app/act/mail-settings'] button")
        .await;
    browser.wait_for_text("Réglages d'envoi enregistrés").await;
    browser.screenshot("mail-settings").await;

    // A field that does not parse is refused by name; nothing is saved.
    browser.fill("cap", "beaucoup").await;
    browser
        .click("form[action='/app/act/mail-settings'] button")
        .await;
    let refused = browser.wait_for_text("Action refusée").await;
    assert!(refused.contains("Plafond hebdomadaire"), "{refused}");
    browser.click("a[href='/app/mail']").await;
    browser.wait_for_text("Expéditeur").await;

    // A template, previewed live for a real member.
    browser.click("nav.sub a[href='/app/mail/templates']").await;
    browser.fill("name", "Nouveautés").await;
    browser
        .fill("subject", "Bonjour {{ member.first_name }}")
        .await;
    browser
        .fill(
            "html",
            "<p>Bonjour {{ member.first_name }}, voici nos nouveautés.</p><a href=\"{{ links.unsubscribe }}\">se désinscrire</a>",
        )
        .await;
    browser
        .fill(
            "text",
            "Bonjour {{ member.first_name }} — se désinscrire : {{ links.unsubscribe }}",
        )
        .await;
    browser
        .click("form[action='/app/act/template-create'] button")
        .await;
    browser.wait_for_text("Modèle créé").await;
    assert!(browser.path().await.starts_with("/app/mail/templates/"));
    browser.fill("preview_member", "alice@encre.example").await;
    let frame = browser.wait_for_frame_text("Bonjour Alice").await;
    assert!(frame.contains("voici nos nouveautés"), "{frame}");
    assert!(
        frame.contains("Pour : Alice alice@encre.example"),
        "who it was rendered for: {frame}"
    );
    // A search that matches several members is not guessed.
    browser.fill("preview_member", "encre").await;
    browser
        .wait_for_frame_text("Plusieurs membres correspondent")
        .await;
    browser.fill("preview_member", "alice@encre.example").await;
    browser.wait_for_frame_text("Bonjour Alice").await;
    // The preview follows the typing, without a click.
    browser.type_more("html", "<p>Offre spéciale</p>").await;
    browser.wait_for_frame_text("Offre spéciale").await;
    browser.screenshot("mail-template-preview").await;
    // A syntax error is shown in the frame, in the API's words.
    browser.type_more("subject", " {{ oops").await;
    browser.wait_for_frame_text("subject").await;

    // The audience: two of three members can be mailed (one gave no consent).
    browser.goto(&app.url("/app/mail/audiences")).await;
    let audience = browser.wait_for_text("membres recevront l'e-mail").await;
    assert!(audience.contains("2 membres recevront"), "{audience}");
    assert!(audience.contains("Sélectionnés : 3"), "{audience}");
    browser.screenshot("mail-audience").await;

    // A campaign to everyone, sent.
    browser.goto(&app.url("/app/mail/campaigns")).await;
    browser.fill("name", "Rentrée").await;
    browser
        .click("form[action='/app/act/campaign-create'] button")
        .await;
    browser.wait_for_text("Campagne créée").await;
    browser
        .click("form[action='/app/act/campaign-send'] button")
        .await;
    browser.wait_for_text("Envoi lancé").await;
    let report = run_once(
        &app.state.base,
        &app.state.links,
        &app.state.post,
        chrono::Utc::now(),
        None,
    )
    .await
    .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(report.sent, 2, "{report:?}");
    let campaign_page = browser.path().await;
    assert!(
        campaign_page.starts_with("/app/mail/campaigns/"),
        "{campaign_page}"
    );
    browser.goto(&app.url(&campaign_page)).await;
    let figures = browser.wait_for_text("envoyée").await;
    assert_eq!(
        browser
            .find("[data-figure='sent']")
            .await
            .text()
            .await
            .unwrap_or_default(),
        "2",
        "{figures}"
    );
    assert_eq!(
        browser
            .find("[data-figure='audience']")
            .await
            .text()
            .await
            .unwrap_or_default(),
        "3",
        "{figures}"
    );
    // No control group by default: no uplift to show.
    assert_eq!(
        browser
            .find("[data-figure='held-out']")
            .await
            .text()
            .await
            .unwrap_or_default(),
        "0 (0 %)",
        "{figures}"
    );
    assert!(
        figures.contains("Effet sur les achats")
            && figures.contains("Sans groupe témoin, l'effet ne peut pas être mesuré"),
        "{figures}"
    );
    browser.screenshot("mail-campaign").await;
    let alice = app.smtp.to("alice@encre.example").await;
    assert_eq!(alice.len(), 1);
    assert!(
        alice[0].text().contains("Bonjour Alice"),
        "{}",
        alice[0].text()
    );
    assert!(
        app.smtp.to("carla@encre.example").await.is_empty(),
        "no consent, no mail"
    );
    browser.close().await;
}
