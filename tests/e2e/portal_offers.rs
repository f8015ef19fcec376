//! Offers in the portal, in a real browser: an owner creates a discount and a refund offer from
//! the forms, sees what the discount gave after a purchase at the till; a member submits a
//! refund claim for a paper receipt in their space; the owner approves it and records the
//! payout; the member sees it paid.

use chrono::Duration;
use fidelis_tests::{PASSWORD, spawn_app};
use serde_json::json;

use crate::browser::Browser;

#[tokio::test(flavor = "multi_thread")]
async fn an_owner_runs_offers_and_refund_claims_and_a_member_follows_theirs() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let brand = app.new_brand("promo").await;
    let owner = app.as_token(&brand.owner.access_token);
    let day = |d: i64| {
        (app.now() + Duration::days(d))
            .with_timezone(&chrono_tz::Europe::Paris)
            .format("%Y-%m-%d")
            .to_string()
    };

    browser.goto(&app.url("/login")).await;
    browser.fill("email", "owner@promo.example").await;
    browser.fill("password", PASSWORD).await;
    browser.click("form.card button[type='submit']").await;
    browser.wait_for_text("Brand promo").await;

    // A 10 % discount on wine, typed in the form.
    browser.click("nav a[href='/app/offers']").await;
    browser.wait_for_text("Aucune offre pour l'instant").await;
    browser.fill("name", "Vins -10 %").await;
    browser.set_value("starts", &day(0)).await;
    browser.set_value("ends", &day(30)).await;
    browser.fill("categories", "wine").await;
    browser.fill("percent", "10").await;
    browser.click("#new form button[type='submit']").await;
    browser.wait_for_text("Offre créée").await;
    let path = browser.path().await;
    let wine = path.trim_start_matches("/app/offers/").to_owned();

    // At the till: 2 bottles at 10.00 → 2.00 off.
    let paid = owner
        .query(
            "mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { offerDiscountMinor } }",
            json!({ "i": { "currency": "EUR", "totalMinor": 2_000, "lines": [
                { "sku": "BORDEAUX", "category": "wine", "quantity": 2, "unitPriceMinor": 1_000 } ] } }),
        )
        .await;
    assert_eq!(
        paid["data"]["recordPurchase"]["offerDiscountMinor"], 200,
        "{paid}"
    );
    browser.goto(&app.url(&format!("/app/offers/{wine}"))).await;
    let page = browser.wait_for_text("Résultats").await;
    assert!(
        page.contains("2,00 EUR") && page.contains("18,00 EUR"),
        "{page}"
    );
    browser.screenshot("offer-figures").await;
    // Changed to 20 % in the edit form, filled with what the offer is: the rest stays.
    browser.click("#edit summary").await;
    browser.fill("percent", "20").await;
    browser.click("#edit button[type='submit']").await;
    browser.wait_for_text("Offre enregistrée").await;
    let saved = owner
        .query(
            "query($id: ID!) { offer(id: $id) { percent categories name startsAt endsAt } }",
            json!({ "id": wine }),
        )
        .await;
    let o = &saved["data"]["offer"];
    assert_eq!(
        (
            o["percent"].as_i64(),
            o["categories"].clone(),
            o["name"].as_str()
        ),
        (Some(20), json!(["wine"]), Some("Vins -10 %")),
        "{saved}"
    );
    let ends = o["endsAt"]
        .as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok());
    assert_eq!(
        ends.map(|e| e
            .with_timezone(&chrono_tz::Europe::Paris)
            .format("%Y-%m-%d")
            .to_string()),
        Some(day(30)),
        "the end date kept: {saved}"
    );

    // A refund offer: 5.00 back on a razor.
    browser.goto(&app.url("/app/offers?kind=REFUND#new")).await;
    browser.fill("name", "Rasoir remboursé").await;
    browser.set_value("starts", &day(0)).await;
    browser.set_value("ends", &day(30)).await;
    browser.fill("skus", "RASOIR").await;
    browser.fill("amount", "5").await;
    browser.click("#new form button[type='submit']").await;
    browser.wait_for_text("Offre créée").await;
    let refund = browser
        .path()
        .await
        .trim_start_matches("/app/offers/")
        .to_owned();
    // A premium in points: 3 coffees bring 100 points (no voucher).
    app.new_points_program(
        &brand,
        "Points café",
        json!({ "points": 1, "perAmountMinor": 100 }),
    )
    .await;
    browser.goto(&app.url("/app/offers?kind=PREMIUM#new")).await;
    browser.fill("name", "3 cafés = 100 points").await;
    browser.set_value("starts", &day(0)).await;
    browser.set_value("ends", &day(30)).await;
    browser.fill("skus", "CAFE").await;
    browser.fill("proofs", "3").await;
    browser.fill("premium_points", "100").await;
    browser.click("#new form button[type='submit']").await;
    let made = browser.wait_for_text("Offre créée").await;
    assert!(made.contains("Prime en points"), "{made}");
    browser.screenshot("offer-premium-points").await;
    browser.goto(&app.url("/app/offers")).await;
    browser.wait_for_text("Remboursement différé (ODR)").await;
    browser.screenshot("offers-list").await;

    // A member claims for a paper receipt in their space.
    let signed = app
        .anonymous()
        .query(
            "mutation($i: MemberSignUpInput!) { memberSignUp(input: $i) { accessToken } }",
            json!({ "i": { "brandSlug": "promo", "email": "ann@promo.example", "password": PASSWORD, "firstName": "Ann" } }),
        )
        .await;
    assert!(
        signed["data"]["memberSignUp"]["accessToken"].is_string(),
        "{signed}"
    );
    browser.goto(&app.url("/m/promo/login")).await;
    browser.fill("email", "ann@promo.example").await;
    browser.fill("password", PASSWORD).await;
    browser.click("form.card button[type='submit']").await;
    browser.wait_for_text("Bonjour Ann").await;
    browser.click("nav a[href='/m/promo/offers']").await;
    browser.wait_for_text("Rasoir remboursé").await;
    browser.fill("receipt", "T-2026-77").await;
    browser.fill("receipt_amount", "12,00").await;
    browser.set_value("receipt_date", &day(0)).await;
    browser.click("form.card button[type='submit']").await;
    let page = browser.wait_for_text("Demande envoyée").await;
    assert!(
        page.contains("déposée") && page.contains("5,00 EUR"),
        "{page}"
    );
    browser.screenshot("member-claims").await;

    // The owner approves it, then records the transfer.
    browser
        .goto(&app.url(&format!("/app/offers/{refund}")))
        .await;
    browser.wait_for_text("T-2026-77").await;
    browser
        .click("form[action='/app/act/claim-approve'] button")
        .await;
    browser.wait_for_text("Demande acceptée").await;
    browser
        .find("form[action='/app/act/claim-pay'] input[name='reference']")
        .await
        .send_keys("VIR-0001")
        .await
        .unwrap_or_else(|e| panic!("type the reference: {e}"));
    browser
        .click("form[action='/app/act/claim-pay'] button")
        .await;
    let page = browser.wait_for_text("Paiement enregistré").await;
    assert!(
        page.contains("payées 1") && page.contains("VIR-0001"),
        "{page}"
    );
    browser.screenshot("offer-claims").await;

    browser.goto(&app.url("/m/promo/offers")).await;
    let page = browser.wait_for_text("payée").await;
    assert!(page.contains("payée le"), "{page}");
    let claims = owner
        .query(
            "query($id: ID!) { offer(id: $id) { claims { paid paidMinor } } }",
            json!({ "id": refund }),
        )
        .await;
    assert_eq!(
        claims["data"]["offer"]["claims"],
        json!({ "paid": 1, "paidMinor": 500 }),
        "{claims}"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_owner_gives_a_premium_gift_links_a_household_and_settles_an_offer_debt() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let brand = app.new_brand("mugs").await;
    let owner = app.as_token(&brand.owner.access_token);
    let day = |d: i64| {
        (app.now() + Duration::days(d))
            .with_timezone(&chrono_tz::Europe::Paris)
            .format("%Y-%m-%d")
            .to_string()
    };
    browser.goto(&app.url("/login")).await;
    browser.fill("email", "owner@mugs.example").await;
    browser.fill("password", PASSWORD).await;
    browser.click("form.card button[type='submit']").await;
    browser.wait_for_text("Brand mugs").await;

    // A premium whose gift is a mug worth 8.00, 5 in stock, after 2 coffees.
    browser.goto(&app.url("/app/offers?kind=PREMIUM#new")).await;
    browser.fill("name", "2 cafés = 1 mug").await;
    browser.set_value("starts", &day(0)).await;
    browser.set_value("ends", &day(30)).await;
    browser.fill("skus", "CAFE").await;
    browser.fill("proofs", "2").await;
    browser.fill("gift_sku", "MUG").await;
    browser.fill("gift_value", "8").await;
    browser.fill("stock", "5").await;
    browser.click("#new form button[type='submit']").await;
    let made = browser.wait_for_text("Offre créée").await;
    assert!(
        made.contains("MUG (8,00 EUR)") && made.contains("stock 5"),
        "{made}"
    );
    browser.screenshot("offer-premium-gift").await;
    // A refund offer for one claim per household.
    browser.goto(&app.url("/app/offers?kind=REFUND#new")).await;
    browser.fill("name", "Cafetière remboursée").await;
    browser.set_value("starts", &day(0)).await;
    browser.set_value("ends", &day(30)).await;
    browser.fill("skus", "CAFETIERE").await;
    browser.fill("amount", "10").await;
    browser.fill("max_per_household", "1").await;
    browser.click("#new form button[type='submit']").await;
    let made = browser.wait_for_text("Offre créée").await;
    assert!(made.contains("Demandes par foyer"), "{made}");

    // Ann signs up in her space; Bob is enrolled at the till.
    let me = app
        .anonymous()
        .query(
            "mutation($i: MemberSignUpInput!) { memberSignUp(input: $i) { accessToken member { id cards { number } } } }",
            json!({ "i": { "brandSlug": "mugs", "email": "ann@mugs.example", "password": PASSWORD, "firstName": "Ann" } }),
        )
        .await;
    let ann = me["data"]["memberSignUp"]["member"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{me}"))
        .to_owned();
    let ann_card = me["data"]["memberSignUp"]["member"]["cards"][0]["number"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (_bob, bob_card) = app
        .enroll(
            &brand,
            json!({ "email": "bob@mugs.example", "firstName": "Bob" }),
        )
        .await;
    // Ann's two coffees give her the mug; the first comes back: 8.00 owed, 4.50 kept from
    // its refund, 3.50 left.
    let mut first = None;
    for _ in 0..2 {
        let r = owner
            .query(
                "mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { purchase { id } } }",
                json!({ "i": { "cardNumber": ann_card, "currency": "EUR", "totalMinor": 450, "lines": [{ "sku": "CAFE", "quantity": 1, "unitPriceMinor": 450 }] } }),
            )
            .await;
        first.get_or_insert(r["data"]["recordPurchase"]["purchase"]["id"].clone());
    }
    let back = owner
        .query(
            "mutation($i: RecordReturnInput!) { recordReturn(input: $i) { offerDebtMinor refundDueMinor } }",
            json!({ "i": { "purchaseId": first } }),
        )
        .await;
    assert_eq!(
        back["data"]["recordReturn"],
        json!({ "offerDebtMinor": 800, "refundDueMinor": 0 }),
        "{back}"
    );

    // Ann sees what she owes in her space.
    browser.goto(&app.url("/m/mugs/login")).await;
    browser.fill("email", "ann@mugs.example").await;
    browser.fill("password", PASSWORD).await;
    browser.click("form.card button[type='submit']").await;
    browser.wait_for_text("Bonjour Ann").await;
    browser.goto(&app.url("/m/mugs/account")).await;
    let page = browser.wait_for_text("À régler").await;
    assert!(page.contains("3,50 EUR"), "{page}");
    browser.screenshot("member-offer-debt").await;

    // The owner links Ann to Bob's household by his card, then records her payment.
    browser.goto(&app.url("/login")).await;
    browser.fill("email", "owner@mugs.example").await;
    browser.fill("password", PASSWORD).await;
    browser.click("form.card button[type='submit']").await;
    browser.wait_for_text("Brand mugs").await;
    browser.goto(&app.url(&format!("/app/members/{ann}"))).await;
    browser.wait_for_text("Dette sur offres").await;
    browser.fill("household_card", &bob_card).await;
    browser
        .click("form[action='/app/act/household-join'] button")
        .await;
    let page = browser.wait_for_text("Foyer enregistré").await;
    assert!(page.contains("Vit avec") && page.contains("Bob"), "{page}");
    browser.fill("debt_reason", "payé en espèces").await;
    browser
        .click("form[action='/app/act/offer-debt-settle'] button")
        .await;
    let page = browser
        .wait_for_text("Dette enregistrée comme réglée")
        .await;
    assert!(!page.contains("Dette sur offres"), "{page}");
    browser.screenshot("member-household").await;
    let owed = owner
        .query(
            "query($id: ID!) { member(id: $id) { offerDebtMinor household { email } } }",
            json!({ "id": ann }),
        )
        .await;
    assert_eq!(
        owed["data"]["member"],
        json!({ "offerDebtMinor": 0, "household": [{ "email": "bob@mugs.example" }] }),
        "{owed}"
    );
    assert!(app.db_verify_ledger().await.is_sound());
}
