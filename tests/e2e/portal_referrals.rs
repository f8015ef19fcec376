//! Referrals in the portal, in a real browser: the owner sets the rules in the form; a member
//! reads their code in their space; a friend signs up through the member's link, confirms the
//! code on the page it leads to; the friend's first purchase rewards the member; the owner sees
//! the referral converted.

use fidelis_tests::{PASSWORD, spawn_app};
use serde_json::json;

use crate::browser::Browser;

#[tokio::test(flavor = "multi_thread")]
async fn a_friend_signs_up_through_a_members_link_and_both_are_rewarded() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let brand = app.new_brand("ami").await;
    let owner = app.as_token(&brand.owner.access_token);
    app.new_points_program(
        &brand,
        "Points",
        json!({ "points": 1, "perAmountMinor": 100 }),
    )
    .await;

    browser.goto(&app.url("/login")).await;
    browser.fill("email", "owner@ami.example").await;
    browser.fill("password", PASSWORD).await;
    browser.click("form.card button[type='submit']").await;
    browser.wait_for_text("Brand ami").await;
    browser.click("nav a[href='/app/referrals']").await;
    browser.wait_for_text("Règles du parrainage").await;
    browser.click("input[name='enabled']").await;
    browser.fill("referrer_points", "100").await;
    browser.fill("referee_voucher", "5").await;
    browser.fill("minimum", "20").await;
    browser.click("#policy button[type='submit']").await;
    browser
        .wait_for_text("Règles du parrainage enregistrées")
        .await;

    // Ana reads her code in her space.
    let signed = app
        .anonymous()
        .query(
            "mutation($i: MemberSignUpInput!) { memberSignUp(input: $i) { accessToken } }",
            json!({ "i": { "brandSlug": "ami", "email": "ana@ami.example", "password": PASSWORD, "firstName": "Ana" } }),
        )
        .await;
    assert!(
        signed["data"]["memberSignUp"]["accessToken"].is_string(),
        "{signed}"
    );
    browser.goto(&app.url("/m/ami/login")).await;
    browser.fill("email", "ana@ami.example").await;
    browser.fill("password", PASSWORD).await;
    browser.click("form.card button[type='submit']").await;
    browser.wait_for_text("Bonjour Ana").await;
    browser.click("nav a[href='/m/ami/referral']").await;
    let page = browser.wait_for_text("Votre code de parrainage").await;
    let code = browser
        .find("#my-code")
        .await
        .text()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        page.contains(&format!("/m/ami/signup?ref={code}")),
        "{page}"
    );
    browser.screenshot("member-referral-code").await;

    // Ben signs up through Ana's link and confirms her code.
    browser
        .goto(&app.url(&format!("/m/ami/signup?ref={code}")))
        .await;
    browser.wait_for_text(&code).await;
    browser.fill("first_name", "Ben").await;
    browser.fill("email", "ben@ami.example").await;
    browser.fill("password", PASSWORD).await;
    browser.click("form.card button[type='submit']").await;
    browser.wait_for_text("Un proche vous a parrainé").await;
    browser
        .click("form[action='/m/ami/act/referral-apply'] button")
        .await;
    let page = browser.wait_for_text("Code enregistré").await;
    assert!(page.contains("en cours"), "{page}");
    browser.screenshot("member-referral-applied").await;

    // Ben's first purchase of 25.00 rewards both.
    let found = owner
        .query(
            "{ members(search: \"ben@ami.example\") { edges { node { id } } } }",
            json!({}),
        )
        .await;
    let ben = found["data"]["members"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{found}"))
        .to_owned();
    let paid = owner
        .query(
            fidelis_tests::RECORD_PURCHASE,
            json!({ "i": { "memberId": ben, "totalMinor": 2_500, "currency": "EUR" } }),
        )
        .await;
    assert!(paid["data"]["recordPurchase"].is_object(), "{paid}");
    let report = fidelis::community::referrals::run_once(&app.state.base, app.now())
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(report.converted, 1);

    browser.goto(&app.url("/app/referrals")).await;
    let page = browser.wait_for_text("Meilleurs parrains").await;
    assert!(
        page.contains("réussi") && page.contains("100 + 0 points"),
        "{page}"
    );
    browser.screenshot("referrals").await;
    browser.close().await;
}
