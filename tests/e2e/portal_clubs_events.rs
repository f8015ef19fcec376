//! Clubs and events in the portal, in a real browser: an owner creates a club with a profile
//! question; a member joins it in their space with an answer kept by consent; the owner creates a
//! club-only evening from the form (times in the brand's time zone); the member answers yes in
//! their space; at the door the owner checks the member in by card number and the attendance
//! points are on their account; the event's figures show one attended.

use chrono::Duration;
use fidelis_tests::{PASSWORD, spawn_app};
use serde_json::json;

use crate::browser::Browser;

async fn owner_login(b: &Browser, app: &fidelis_tests::TestApp) {
    b.goto(&app.url("/login")).await;
    b.fill("email", "owner@cave.example").await;
    b.fill("password", PASSWORD).await;
    b.click("form.card button[type='submit']").await;
    b.wait_for_text("Brand cave").await;
}

async fn member_login(b: &Browser, app: &fidelis_tests::TestApp) {
    b.goto(&app.url("/m/cave/login")).await;
    b.fill("email", "lea@cave.example").await;
    b.fill("password", PASSWORD).await;
    b.click("form.card button[type='submit']").await;
    b.wait_for_text("Bonjour Léa").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_club_and_its_evening_from_the_owners_form_to_the_check_in() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let brand = app.new_brand("cave").await;
    app.new_points_program(
        &brand,
        "Points",
        json!({ "points": 1, "perAmountMinor": 100 }),
    )
    .await;

    // The owner creates a club with a choice question.
    owner_login(&browser, &app).await;
    browser.click("nav a[href='/app/clubs']").await;
    browser.wait_for_text("Aucun club pour l'instant").await;
    browser.fill("name", "Club des amateurs").await;
    browser.fill("q1", "Couleur préférée").await;
    browser.set_value("q1_kind", "CHOICE").await;
    browser.fill("q1_choices", "Rouge; Blanc; Rosé").await;
    browser.click("#new form button[type='submit']").await;
    let page = browser.wait_for_text("Club créé").await;
    assert!(page.contains("Couleur préférée"), "{page}");
    let club = browser
        .path()
        .await
        .trim_start_matches("/app/clubs/")
        .to_owned();

    // A member joins in their space, with an answer and the consent to keep it.
    let signed = app
        .anonymous()
        .query(
            "mutation($i: MemberSignUpInput!) { memberSignUp(input: $i) { accessToken } }",
            json!({ "i": { "brandSlug": "cave", "email": "lea@cave.example", "password": PASSWORD, "firstName": "Léa" } }),
        )
        .await;
    let member_token = signed["data"]["memberSignUp"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{signed}"))
        .to_owned();
    member_login(&browser, &app).await;
    browser.click("nav a[href='/m/cave/clubs']").await;
    browser.wait_for_text("Club des amateurs").await;
    browser
        .set_value(&format!("{club}-couleur_preferee"), "Rosé")
        .await;
    browser.click("input[name='consent']").await;
    browser
        .click("form[action='/m/cave/act/club-join-mine'] button")
        .await;
    let page = browser.wait_for_text("bienvenue au club").await;
    assert!(page.contains("vous en êtes membre"), "{page}");
    browser.screenshot("member-club-joined").await;

    // The owner creates a club-only evening, rewarded with 40 points.
    let starts = (app.now() + Duration::days(2)).with_timezone(&chrono_tz::Europe::Paris);
    let local = |t: chrono::DateTime<chrono_tz::Tz>| t.format("%Y-%m-%dT%H:%M").to_string();
    owner_login(&browser, &app).await;
    browser.click("nav a[href='/app/events']").await;
    browser
        .wait_for_text("Aucun événement pour l'instant")
        .await;
    browser.fill("name", "Soirée dégustation").await;
    browser.set_value("starts", &local(starts)).await;
    browser
        .set_value("ends", &local(starts + Duration::hours(3)))
        .await;
    browser.fill("place", "12 rue du Port, Nantes").await;
    browser.fill("capacity", "20").await;
    browser.set_value("club_id", &club).await;
    browser.fill("reward_points", "40").await;
    browser.click("#new form button[type='submit']").await;
    let page = browser.wait_for_text("Événement créé").await;
    assert!(
        page.contains(&starts.format("%H:%M").to_string()),
        "the time reads in the brand's time zone: {page}"
    );
    assert!(page.contains("Club des amateurs"), "{page}");
    let event = browser
        .path()
        .await
        .trim_start_matches("/app/events/")
        .to_owned();
    browser.screenshot("event-created").await;

    // The member answers yes in their space.
    member_login(&browser, &app).await;
    browser.goto(&app.url("/m/cave/events")).await;
    browser.wait_for_text("Soirée dégustation").await;
    browser
        .click("form[action='/m/cave/act/event-respond-mine'] input[value='yes'] ~ button")
        .await;
    let page = browser.wait_for_text("Vous êtes inscrit").await;
    assert!(page.contains("Libérer ma place"), "{page}");
    browser.screenshot("member-event-going").await;

    // At the door, the owner checks the member in by card number.
    let me = app
        .as_token(&member_token)
        .query("{ me { id cards { number } } }", json!({}))
        .await;
    let card = me["data"]["me"]["cards"][0]["number"]
        .as_str()
        .unwrap_or_else(|| panic!("{me}"))
        .to_owned();
    let member = me["data"]["me"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    app.clock().advance(Duration::days(2));
    owner_login(&browser, &app).await;
    browser
        .goto(&app.url(&format!("/app/events/{event}")))
        .await;
    browser.wait_for_text("À l'accueil").await;
    browser.fill("card", &card).await;
    browser
        .click("form[action='/app/act/event-check-in'] button")
        .await;
    let page = browser.wait_for_text("Arrivée pointée").await;
    assert!(page.contains("+40"), "{page}");
    browser.screenshot("event-checked-in").await;
    let owner = app.login("owner@cave.example", PASSWORD).await;
    let brand = fidelis_tests::TestBrand { owner, ..brand };
    assert_eq!(app.points(&brand, &member).await, 40);
    let figures = app
        .as_token(&brand.owner.access_token)
        .query(
            "query($e: ID!) { eventFigures(eventId: $e) { accepted attended pointsGiven } }",
            json!({ "e": event }),
        )
        .await;
    assert_eq!(
        figures["data"]["eventFigures"],
        json!({ "accepted": 1, "attended": 1, "pointsGiven": 40 }),
        "{figures}"
    );
    // The club's page lists the member with the answer.
    browser.goto(&app.url(&format!("/app/clubs/{club}"))).await;
    let page = browser.wait_for_text("Membres du club").await;
    assert!(page.contains("Rosé"), "{page}");
    browser.screenshot("club-members").await;
    browser.close().await;
}
