//! The web portal, in a real browser (headless chromium) against the real server, and its
//! forms' defences over plain HTTP.

use fidelis_tests::{PASSWORD, spawn_app};
use serde_json::json;

use crate::browser::Browser;

/// A brand owner signs up in the browser, opens the verification link from the mail received
/// over SMTP, lands signed in, follows the onboarding checklist to create a points program, sees
/// it listed, and signs out (after which the dashboard sends them to the login form).
#[tokio::test(flavor = "multi_thread")]
async fn a_brand_signs_up_in_the_browser_and_runs_its_first_program() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    browser.goto(&app.url("/")).await;
    browser.wait_for_text("La plateforme de fidélité").await;
    browser.screenshot("home").await;
    browser.click("a[href='/signup']").await;
    browser.fill("brand_name", "Boulangerie Lune").await;
    browser.fill("slug", "lune").await;
    browser.fill("email", "owner@lune.example").await;
    browser.fill("password", PASSWORD).await;
    browser.screenshot("signup").await;
    browser.click("form button[type='submit']").await;
    browser.wait_for_text("Vérifiez votre boîte mail").await;

    let mail = app.smtp.wait_for("owner@lune.example").await;
    let token = mail
        .link_token("/verify-email")
        .unwrap_or_else(|| panic!("no link in {}", mail.text()));
    browser
        .goto(&app.url(&format!("/verify-email?token={token}")))
        .await;
    browser.click("#confirm-address").await;
    browser.wait_for_text("Adresse confirmée").await;
    browser.click("a[href='/app']").await;
    let dashboard = browser.wait_for_text("Pour bien démarrer").await;
    assert!(dashboard.contains("Boulangerie Lune"), "{dashboard}");
    assert!(dashboard.contains("owner@lune.example"), "{dashboard}");
    for step in [
        "Créer un premier programme",
        "Régler l'expéditeur des e-mails",
        "Créer une première clé d'API",
        "Inviter l'équipe",
    ] {
        assert!(dashboard.contains(step), "{step} missing:\n{dashboard}");
    }
    browser.screenshot("dashboard-onboarding").await;

    browser.click("li[data-step='program'] a").await;
    assert_eq!(browser.path().await, "/app/programs/new/POINTS");
    browser.fill("name", "Points Lune").await;
    browser.fill("points", "2").await;
    browser.fill("perAmountMinor", "1,50").await;
    browser.fill("minimumPurchaseMinor", "5").await;
    browser.screenshot("program-new").await;
    browser.click("form.card button[type='submit']").await;
    browser.wait_for_text("Programme créé").await;
    browser.click("nav a[href='/app/programs']").await;
    let list = browser.wait_for_text("Points Lune").await;
    assert_eq!(browser.path().await, "/app/programs");
    assert!(
        list.contains("2 point(s) par 1,50 EUR, dès 5,00 EUR"),
        "{list}"
    );
    browser.screenshot("programs").await;

    // The API sees the program the page created, as the owner.
    let owner = app.login("owner@lune.example", PASSWORD).await;
    let programs = app
        .as_token(&owner.access_token)
        .query(
            "{ programs(first: 5) { nodes { name points { points perAmountMinor } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        programs["data"]["programs"]["nodes"][0]["points"]["perAmountMinor"], 150,
        "{programs}"
    );

    // The checklist step is done; English on request, kept on the page it was chosen on.
    browser.goto(&app.url("/app")).await;
    browser.click("a[hreflang='en']").await;
    assert_eq!(browser.path().await, "/app");
    let english = browser.wait_for_text("Getting started").await;
    assert!(english.contains("Create a first program"), "{english}");
    assert!(english.contains("Points Lune"), "{english}");

    // Bad input comes back on the form with the field named; nothing is created.
    browser.goto(&app.url("/app/programs/new")).await;
    browser.fill("name", "Broken").await;
    browser.fill("points", "two").await;
    browser.click("form.card button[type='submit']").await;
    let refused = browser.wait_for_text("whole number").await;
    assert!(refused.contains("Points"), "{refused}");
    // Beyond the API's 32-bit Int: refused by name on the form, not a generic error page.
    browser.fill("points", "3000000000").await;
    browser.click("form.card button[type='submit']").await;
    browser.wait_for_text("up to 2,147,483,647").await;

    browser.click("header form button").await;
    browser.wait_for_text("Sign in").await;
    assert_eq!(browser.path().await, "/login");
    browser.goto(&app.url("/app")).await;
    browser.wait_for_text("Sign in").await;
    assert_eq!(
        browser.path().await,
        "/login",
        "signed out: back to the form"
    );
    browser.close().await;
}

/// A staff member signs in with the login form: the dashboard leaves out what staff may not
/// read (mail settings, API keys, the team), as the API refuses it to them.
#[tokio::test(flavor = "multi_thread")]
async fn a_staff_member_does_not_see_what_staff_cannot_do() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let brand = app.new_brand("caisse").await;
    app.invite(&brand, "cashier@caisse.example", "BRAND_STAFF")
        .await;
    browser.goto(&app.url("/login")).await;
    browser.fill("email", "cashier@caisse.example").await;
    browser.fill("password", "not the password").await;
    browser.click("form.card button[type='submit']").await;
    browser
        .wait_for_text("Adresse ou mot de passe incorrect")
        .await;
    browser.fill("password", PASSWORD).await;
    browser.click("form.card button[type='submit']").await;
    let dashboard = browser.wait_for_text("Brand caisse").await;
    assert_eq!(browser.path().await, "/app");
    assert!(dashboard.contains("cashier@caisse.example"), "{dashboard}");
    assert!(
        !dashboard.contains("des passages en caisse"),
        "staff do not read the brand's figures:\n{dashboard}"
    );
    for hidden in [
        "Régler l'expéditeur des e-mails",
        "Créer une première clé d'API",
        "Inviter l'équipe",
    ] {
        assert!(
            !dashboard.contains(hidden),
            "staff sees {hidden}:\n{dashboard}"
        );
    }
    browser.screenshot("dashboard-staff").await;
    // Pages of what staff may not do are refused, not shown empty; forms they may not send are
    // not offered.
    for page in [
        "/app/mail",
        "/app/mail/templates",
        "/app/mail/campaigns",
        "/app/keys",
    ] {
        browser.goto(&app.url(page)).await;
        browser
            .wait_for_text("Votre rôle ne permet pas cette action")
            .await;
    }
    browser.goto(&app.url("/app/programs")).await;
    let programs = browser.wait_for_text("Programmes").await;
    assert!(!programs.contains("Nouveau programme"), "{programs}");
    // A path nothing answers: a page in the visitor's language, not an empty body.
    browser.goto(&app.url("/app/nowhere")).await;
    browser.wait_for_text("Cette page n'existe pas").await;

    // The password-reset page mailed to staff works in a real browser (whose form posts carry
    // `Origin: null` under the page's no-referrer policy), and the new password signs in.
    let asked = app
        .anonymous()
        .query(
            "mutation($e: String!) { requestPasswordReset(email: $e) }",
            json!({ "e": "cashier@caisse.example" }),
        )
        .await;
    assert_eq!(asked["data"]["requestPasswordReset"], true, "{asked}");
    let mut token = None;
    for _ in 0..100 {
        token = app
            .smtp
            .to("cashier@caisse.example")
            .await
            .iter()
            .rev()
            .find_map(|m| m.link_token("/reset-password"));
        if token.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let token = token.unwrap_or_else(|| panic!("no reset link mailed"));
    browser
        .goto(&app.url(&format!("/reset-password?token={token}")))
        .await;
    browser.fill("password", "a brand new passphrase").await;
    browser.fill("confirm", "a brand new passphrase").await;
    browser.click("form button[type='submit']").await;
    browser
        .wait_for_text("Votre nouveau mot de passe est enregistré")
        .await;
    app.login("cashier@caisse.example", "a brand new passphrase")
        .await;
    browser.close().await;
}

fn form_body(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                v.bytes()
                    .map(|b| match b {
                        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                            (b as char).to_string()
                        }
                        _ => format!("%{b:02X}"),
                    })
                    .collect::<String>()
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The hidden CSRF field of a page.
fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

/// A form posted without its token, with another visitor's token, or from another origin is
/// refused and does nothing; the same form from the page works. The session cookies are
/// HttpOnly and SameSite, and pages carry the strict CSP.
#[tokio::test(flavor = "multi_thread")]
async fn portal_forms_refuse_posts_without_the_visitors_token() {
    let app = spawn_app().await;
    let brand = app.new_brand("jeton").await;
    let _ = brand;
    let client = || {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let login = |c: reqwest::Client, body: String| {
        let url = app.url("/login");
        async move {
            c.post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}"))
        }
    };
    let creds = |csrf: &str| {
        form_body(&[
            ("email", "owner@jeton.example"),
            ("password", PASSWORD),
            ("csrf", csrf),
        ])
    };

    // No token at all.
    let visitor = client();
    let page = visitor
        .get(app.url("/login"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let csp = page
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let html = page.text().await.unwrap_or_default();
    let token = csrf_of(&html);
    assert!(!token.is_empty(), "{html}");
    let refused = login(visitor.clone(), creds("")).await;
    assert_eq!(refused.status().as_u16(), 403);
    assert!(
        refused.headers().get("set-cookie").is_none() || {
            let c = refused.headers().get_all("set-cookie");
            !c.iter()
                .any(|v| v.to_str().unwrap_or_default().starts_with("fidelis_at="))
        }
    );

    // Another visitor's token (bound to their pre-session cookie).
    let other = client();
    let their_page = other
        .get(app.url("/login"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    let theirs = csrf_of(&their_page);
    assert_eq!(
        login(visitor.clone(), creds(&theirs))
            .await
            .status()
            .as_u16(),
        403
    );

    // From another origin, even with the right token.
    let cross = visitor
        .post(app.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", "https://evil.example")
        .body(creds(&token))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cross.status().as_u16(), 403);

    // The page's own token works: a session in HttpOnly, SameSite cookies.
    let ok = login(visitor.clone(), creds(&token)).await;
    assert_eq!(ok.status().as_u16(), 303);
    assert_eq!(
        ok.headers().get("location").and_then(|v| v.to_str().ok()),
        Some("/app")
    );
    let cookies: Vec<String> = ok
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    for name in ["fidelis_at=", "fidelis_rt="] {
        let c = cookies
            .iter()
            .find(|c| c.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} in {cookies:?}"));
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax"), "{c}");
    }
    let dashboard = visitor
        .get(app.url("/app"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(dashboard.status().as_u16(), 200);
    let dashboard = dashboard.text().await.unwrap_or_default();
    assert!(dashboard.contains("Brand jeton"), "{dashboard}");

    // Signed in, a form still needs the session's token: a pre-session token no longer works.
    let create = |csrf: &str| {
        form_body(&[
            ("name", "Sneaky"),
            ("points", "1"),
            ("perAmountMinor", "1"),
            ("rounding", "DOWN"),
            ("earningBase", "NET_OF_DISCOUNTS"),
            ("minimumPurchaseMinor", "0"),
            ("validityMonths", "12"),
            ("pointValueMinor", "0,01"),
            ("minimumRedemptionPoints", "100"),
            ("welcomeBonus", "0"),
            ("birthdayBonus", "0"),
            ("csrf", csrf),
        ])
    };
    let sneaky = visitor
        .post(app.url("/app/programs/new/POINTS"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(create(&token))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sneaky.status().as_u16(), 403);
    let owner = app.login("owner@jeton.example", PASSWORD).await;
    let programs = app
        .as_token(&owner.access_token)
        .query("{ programs(first: 5) { nodes { name } } }", json!({}))
        .await;
    assert_eq!(
        programs["data"]["programs"]["nodes"],
        json!([]),
        "a refused form wrote nothing: {programs}"
    );
    let session_token = csrf_of(&dashboard);
    let created = visitor
        .post(app.url("/app/programs/new/POINTS"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(create(&session_token))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(created.status().as_u16(), 303);
}

/// An owner finds a member by search, opens their page, gives points as a gesture with a
/// reason (shown in the history and the balance), creates an API key whose secret is shown once
/// and works at /oauth/token; another brand's member reads as not found.
#[tokio::test(flavor = "multi_thread")]
async fn an_owner_finds_a_member_grants_a_gesture_and_creates_an_api_key() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let brand = app.new_brand("geste").await;
    app.new_points_program(
        &brand,
        "Points",
        json!({ "points": 1, "perAmountMinor": 100 }),
    )
    .await;
    let (member, _card) = app
        .enroll(
            &brand,
            json!({ "email": "marie@geste.example", "firstName": "Marie", "lastName": "Curie" }),
        )
        .await;
    let other = app.new_brand("ailleurs").await;
    let (stranger, _) = app
        .enroll(&other, json!({ "email": "paul@ailleurs.example" }))
        .await;

    browser.goto(&app.url("/login")).await;
    browser.fill("email", "owner@geste.example").await;
    browser.fill("password", PASSWORD).await;
    browser.click("form.card button[type='submit']").await;
    browser.wait_for_text("Brand geste").await;

    browser.click("nav a[href='/app/members']").await;
    browser.fill("q", "marie").await;
    browser.click("form.search button").await;
    browser.wait_for_text("marie@geste.example").await;
    browser.screenshot("members").await;
    browser
        .click(&format!("a[href='/app/members/{member}']"))
        .await;
    browser.wait_for_text("Geste commercial").await;
    browser.fill("points", "50").await;
    browser.fill("reason", "Retard de livraison").await;
    browser
        .click("section[aria-labelledby='gesture'] button")
        .await;
    let page = browser.wait_for_text("50 point(s) offert(s)").await;
    assert!(page.contains("Retard de livraison"), "{page}");
    assert!(page.contains("50 points disponibles"), "{page}");
    browser.screenshot("member-gesture").await;
    assert_eq!(app.points(&brand, &member).await, 50);

    // Another brand's member, and a malformed id, read as not found.
    for id in [stranger.as_str(), "not-a-member"] {
        browser.goto(&app.url(&format!("/app/members/{id}"))).await;
        let text = browser.wait_for_text("Introuvable").await;
        assert!(!text.contains("paul@ailleurs.example"), "{text}");
    }

    browser.goto(&app.url("/app")).await;
    browser.click("nav a[href='/app/keys']").await;
    browser.fill("name", "Caisse boutique").await;
    browser.click("#scope-MEMBERS_READ").await;
    browser.click("form.card button[type='submit']").await;
    browser.wait_for_text("notez son secret").await;
    let client_id = browser
        .find("#client-id")
        .await
        .text()
        .await
        .unwrap_or_default();
    let secret = browser
        .find("#client-secret")
        .await
        .text()
        .await
        .unwrap_or_default();
    browser.screenshot("api-key-created").await;
    let (status, token) = app
        .oauth_token(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_secret", &secret),
        ])
        .await;
    assert_eq!(status, 200, "{token}");
    browser.goto(&app.url("/app/keys")).await;
    let again = browser.wait_for_text("Caisse boutique").await;
    assert!(!again.contains(&secret), "the secret is shown once only");

    // The team: invite a cashier (the API mails the link); the last owner cannot be demoted.
    browser.click("nav a[href='/app/team']").await;
    browser.fill("email", "vendeur@geste.example").await;
    browser.click("#invite button[type='submit']").await;
    let team = browser
        .wait_for_text("Invitation envoyée à vendeur@geste.example")
        .await;
    assert!(
        team.contains("vendeur@geste.example — Équipier — en attente"),
        "{team}"
    );
    let invitation = app.smtp.wait_for("vendeur@geste.example").await;
    assert!(invitation.link_token("/accept-invitation").is_some());
    browser.screenshot("team").await;
    let owner_row = "tr[data-user='owner@geste.example']";
    browser
        .find(&format!("{owner_row} select option[value='BRAND_STAFF']"))
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    browser
        .click(&format!("{owner_row} form[action$='/role'] button"))
        .await;
    browser
        .wait_for_text("a brand keeps at least one active owner")
        .await;
    assert!(browser.path().await.ends_with("/role"));
    let still = app
        .as_token(&brand.owner.access_token)
        .query("{ viewer { role } }", json!({}))
        .await;
    assert_eq!(still["data"]["viewer"]["role"], "BRAND_OWNER", "{still}");
    browser.close().await;
}

/// A member signs up in the brand's member space, sees their card (number and QR code) with no
/// points, gets points for a purchase recorded at the till, and sees them after a reload; their
/// session does not open another brand's space.
#[tokio::test(flavor = "multi_thread")]
async fn a_member_signs_up_and_sees_their_balance_after_a_purchase() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let brand = app.new_brand("fournil").await;
    let program = app
        .new_points_program(
            &brand,
            "Points",
            json!({ "points": 1, "perAmountMinor": 100 }),
        )
        .await;
    let other = app.new_brand("voisin").await;
    let _ = other;

    browser.goto(&app.url("/m/fournil")).await;
    browser.click("a[href='/m/fournil/signup']").await;
    browser.fill("first_name", "Léa").await;
    browser.fill("email", "lea@fournil.example").await;
    browser.fill("password", PASSWORD).await;
    browser.click("form.card button[type='submit']").await;
    let card = browser.wait_for_text("Bonjour Léa").await;
    assert!(card.contains("Pas encore de points"), "{card}");
    let number = browser
        .find("#card-number")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(number.len() >= 8, "{number}");
    browser.find("figure.qr svg").await;

    let bought = app
        .as_token(&brand.owner.access_token)
        .query(
            "mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { purchase { pointsEarned } } }",
            json!({ "i": { "cardNumber": number, "totalMinor": 4_250, "currency": "EUR" } }),
        )
        .await;
    assert_eq!(
        bought["data"]["recordPurchase"]["purchase"]["pointsEarned"], 42,
        "{bought}"
    );
    browser.goto(&app.url("/m/fournil/card")).await;
    let after = browser.wait_for_text("42").await;
    assert!(after.contains("42 points"), "{after}");
    assert!(
        after.contains("42.50 EUR") || after.contains("42,50"),
        "{after}"
    );
    browser.screenshot("member-card").await;

    // A reward redeemed with the points: the voucher appears on the card, the points are spent
    // once (a second click on the same form replays).
    let reward = app
        .as_token(&brand.owner.access_token)
        .query(
            "mutation($i: CreateRewardInput!) { createReward(input: $i) { id } }",
            json!({ "i": { "programId": program, "name": "Croissant offert", "kind": "GIFT",
                "pointsCost": 30, "amountMinor": 120 } }),
        )
        .await;
    assert!(reward["data"]["createReward"]["id"].is_string(), "{reward}");
    browser.click("nav a[href='/m/fournil/rewards']").await;
    browser.wait_for_text("Croissant offert").await;
    browser
        .click("li[data-reward='Croissant offert'] form button")
        .await;
    let redeemed = browser.wait_for_text("Récompense obtenue").await;
    assert!(redeemed.contains("12 points disponibles"), "{redeemed}");
    browser.screenshot("member-rewards").await;
    browser.goto(&app.url("/m/fournil/card")).await;
    browser.wait_for_text("Croissant offert").await;

    // Profile and consent from the account page; the data export; then erasure ends it all.
    browser.click("nav a[href='/m/fournil/account']").await;
    browser.fill("last_name", "Martin").await;
    browser.click("#email_consent").await;
    browser
        .click("form[action='/m/fournil/act/profile'] button")
        .await;
    browser.wait_for_text("Profil enregistré").await;
    let member = app
        .as_token(&brand.owner.access_token)
        .query(
            "query($n: String!) { cardByNumber(number: $n) { memberId } }",
            json!({ "n": number }),
        )
        .await;
    let member_id = member["data"]["cardByNumber"]["memberId"]
        .as_str()
        .unwrap_or_else(|| panic!("{member}"))
        .to_owned();
    let profile = app
        .as_token(&brand.owner.access_token)
        .query(
            "query($id: ID!) { member(id: $id) { lastName emailConsent { granted source } } }",
            json!({ "id": member_id }),
        )
        .await;
    assert_eq!(profile["data"]["member"]["lastName"], "Martin", "{profile}");
    assert_eq!(
        profile["data"]["member"]["emailConsent"]["granted"], true,
        "{profile}"
    );
    browser.screenshot("member-account").await;
    browser.fill("confirm", "ERASE").await;
    browser
        .click("form[action='/m/fournil/act/erase-me'] button")
        .await;
    browser.wait_for_text("Vos données ont été effacées").await;
    browser.goto(&app.url("/m/fournil/card")).await;
    browser.wait_for_text("Me connecter").await;
    let erased = app
        .as_token(&brand.owner.access_token)
        .query(
            "query($id: ID!) { member(id: $id) { email lastName } }",
            json!({ "id": member_id }),
        )
        .await;
    assert!(erased["data"]["member"]["email"].is_null(), "{erased}");

    // The member's session is scoped to this brand: another brand's space asks to sign in.
    browser.goto(&app.url("/m/voisin/card")).await;
    browser.wait_for_text("Me connecter").await;
    assert_eq!(browser.path().await, "/m/voisin/login");
    // An unknown brand's space is not found.
    browser.goto(&app.url("/m/nulle-part/card")).await;
    browser.wait_for_text("Introuvable").await;
    browser.close().await;
}
