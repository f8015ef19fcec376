//! Contests in the portal, in a real browser: an owner creates a draw from the form (its seed
//! commitment shown at once); a member reads the rules and enters in their space; after the
//! close the owner draws (the seed is revealed, the winner listed); the member claims the
//! points prize in their space; the CSV of entries downloads. An instant win by odds is set
//! from its form and shows its chance and stock to the owner and the member.

use chrono::Duration;
use fidelis_tests::{PASSWORD, spawn_app};
use serde_json::json;

use crate::browser::Browser;

async fn owner_login(b: &Browser, app: &fidelis_tests::TestApp) {
    b.goto(&app.url("/login")).await;
    b.fill("email", "owner@noel.example").await;
    b.fill("password", PASSWORD).await;
    b.click("form.card button[type='submit']").await;
    b.wait_for_text("Brand noel").await;
}

async fn member_login(b: &Browser, app: &fidelis_tests::TestApp) {
    b.goto(&app.url("/m/noel/login")).await;
    b.fill("email", "lea@noel.example").await;
    b.fill("password", PASSWORD).await;
    b.click("form.card button[type='submit']").await;
    b.wait_for_text("Bonjour Léa").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_owner_runs_a_draw_and_a_member_enters_and_claims_the_prize() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let brand = app.new_brand("noel").await;
    app.new_points_program(
        &brand,
        "Points",
        json!({ "points": 1, "perAmountMinor": 100 }),
    )
    .await;
    let day = |d: i64| {
        (app.now() + Duration::days(d))
            .with_timezone(&chrono_tz::Europe::Paris)
            .format("%Y-%m-%d")
            .to_string()
    };
    owner_login(&browser, &app).await;
    browser.click("nav a[href='/app/contests']").await;
    browser.wait_for_text("Aucun jeu pour l'instant").await;
    browser.fill("name", "Grand jeu de Noël").await;
    browser.set_value("starts", &day(0)).await;
    browser.set_value("ends", &day(0)).await;
    browser.fill("prize1", "100 points").await;
    browser.set_value("prize1_kind", "POINTS").await;
    browser.fill("prize1_points", "100").await;
    browser
        .fill(
            "rules",
            "Jeu gratuit sans obligation d'achat. Un lot par personne.",
        )
        .await;
    browser.click("#new form button[type='submit']").await;
    let page = browser.wait_for_text("Jeu créé").await;
    assert!(page.contains("Empreinte de la graine"), "{page}");
    assert!(page.contains("révélée après le tirage"), "{page}");
    let contest = browser
        .path()
        .await
        .trim_start_matches("/app/contests/")
        .to_owned();
    browser.screenshot("contest-created").await;

    // A member enters from their space, after accepting the rules.
    let signed = app
        .anonymous()
        .query(
            "mutation($i: MemberSignUpInput!) { memberSignUp(input: $i) { accessToken } }",
            json!({ "i": { "brandSlug": "noel", "email": "lea@noel.example", "password": PASSWORD, "firstName": "Léa" } }),
        )
        .await;
    assert!(
        signed["data"]["memberSignUp"]["accessToken"].is_string(),
        "{signed}"
    );
    member_login(&browser, &app).await;
    browser.click("nav a[href='/m/noel/contests']").await;
    browser.wait_for_text("Grand jeu de Noël").await;
    browser.click("input[name='accept']").await;
    browser.click("button[name='via'][value='FREE']").await;
    let page = browser.wait_for_text("Participation enregistrée").await;
    assert!(page.contains("mes participations : 1 / 1"), "{page}");
    browser.screenshot("member-contest-entered").await;

    // After the close the owner draws: the seed is revealed and the winner listed.
    app.clock().advance(Duration::days(1) + Duration::hours(1));
    owner_login(&browser, &app).await;
    browser
        .goto(&app.url(&format!("/app/contests/{contest}")))
        .await;
    browser
        .wait_for_text("Clore la liste et tirer au sort")
        .await;
    browser
        .click("form[action='/app/act/contest-draw'] button")
        .await;
    let page = browser.wait_for_text("Tirage effectué").await;
    assert!(
        page.contains("Remettre le lot") && page.contains("gagné"),
        "{page}"
    );
    assert!(!page.contains("révélée après le tirage"), "{page}");
    browser.screenshot("contest-drawn").await;

    // The member claims the points prize in their space.
    member_login(&browser, &app).await;
    browser.goto(&app.url("/m/noel/contests")).await;
    browser.wait_for_text("Mes lots").await;
    browser
        .click("form[action='/m/noel/act/contest-claim-mine'] button")
        .await;
    let page = browser.wait_for_text("Lot réclamé").await;
    assert!(page.contains("réclamé"), "{page}");
    browser.screenshot("member-prize-claimed").await;
    let owner = app.login("owner@noel.example", PASSWORD).await;
    let resp = app
        .as_token(&owner.access_token)
        .query(
            "query($id: ID!) { contest(id: $id) { figures { entries winners claimed } winners { memberId } } }",
            json!({ "id": contest }),
        )
        .await;
    assert_eq!(
        resp["data"]["contest"]["figures"],
        json!({ "entries": 1, "winners": 1, "claimed": 1 }),
        "{resp}"
    );
    let member = resp["data"]["contest"]["winners"][0]["memberId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let brand = fidelis_tests::TestBrand { owner, ..brand };
    assert_eq!(app.points(&brand, &member).await, 100);

    // A quiz answered in the member space: a choice per question and the tie-breaker.
    let owner = app.as_token(&brand.owner.access_token);
    let quiz = owner
        .query(
            "mutation($i: ContestInput!) { createContest(input: $i) { id } }",
            json!({ "i": {
                "name": "Quiz de Noël", "kind": "QUIZ", "opensAt": app.now(),
                "closesAt": app.now() + Duration::days(3), "freeEntry": true,
                "rulesText": "Une participation par personne.",
                "prizes": [{ "name": "Panier garni", "kind": "GIFT" }],
                "questions": [{ "question": "Combien de rennes tirent le traîneau ?", "choices": ["Six", "Huit"], "answer": 1 }],
                "tiebreakQuestion": "Combien de lettres le Père Noël a-t-il reçues ?",
                "tiebreakAnswer": 1200,
            } }),
        )
        .await;
    let quiz = quiz["data"]["createContest"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("createContest: {quiz}"))
        .to_owned();
    browser.goto(&app.url("/m/noel/contests")).await;
    browser.wait_for_text("Combien de rennes").await;
    browser.click("input[name='answer0'][value='1']").await;
    browser.fill(&format!("estimate-{quiz}"), "1150").await;
    browser.click("input[name='accept']").await;
    browser.click("button[name='via'][value='FREE']").await;
    browser.wait_for_text("Participation enregistrée").await;
    browser.screenshot("member-quiz-entered").await;
    let entries = owner
        .query(
            "query($c: ID!) { contestEntries(contestId: $c) { memberId estimate source } }",
            json!({ "c": quiz }),
        )
        .await;
    assert_eq!(
        entries["data"]["contestEntries"],
        json!([{ "memberId": member, "estimate": 1150, "source": "FREE" }]),
        "{entries}"
    );

    // An instant win by odds, from its form: one chance in 3, two mugs.
    owner_login(&browser, &app).await;
    browser
        .goto(&app.url("/app/contests?kind=INSTANT_WIN#new"))
        .await;
    browser.fill("name", "Instant Mug").await;
    let today = (app.now())
        .with_timezone(&chrono_tz::Europe::Paris)
        .format("%Y-%m-%d")
        .to_string();
    let later = (app.now() + Duration::days(5))
        .with_timezone(&chrono_tz::Europe::Paris)
        .format("%Y-%m-%d")
        .to_string();
    browser.set_value("starts", &today).await;
    browser.set_value("ends", &later).await;
    browser.fill("odds_one_in", "3").await;
    browser.fill("prize1", "Mug").await;
    browser.fill("prize1_quantity", "2").await;
    browser
        .fill("rules", "Une chance sur trois à chaque participation.")
        .await;
    browser.click("#new form button[type='submit']").await;
    let page = browser.wait_for_text("Jeu créé").await;
    assert!(page.contains("1 sur 3"), "{page}");
    assert!(page.contains("Lots restants"), "{page}");
    browser.screenshot("contest-odds-created").await;
    let made = owner
        .query("{ contests { name kind oddsOneIn prizesLeft } }", json!({}))
        .await;
    let odds = made["data"]["contests"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["name"] == "Instant Mug").cloned())
        .unwrap_or_else(|| panic!("{made}"));
    assert_eq!(
        odds,
        json!({ "name": "Instant Mug", "kind": "INSTANT_WIN", "oddsOneIn": 3, "prizesLeft": 2 })
    );
    member_login(&browser, &app).await;
    browser.goto(&app.url("/m/noel/contests")).await;
    let page = browser.wait_for_text("Instant Mug").await;
    assert!(page.contains("1 chance sur 3"), "{page}");
    assert!(page.contains("2 lot(s) restant(s)"), "{page}");
    browser.close().await;
}
