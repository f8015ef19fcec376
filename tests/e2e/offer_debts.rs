//! What a member owes when the purchase behind an advantage already used comes back (a deferred
//! coupon's voucher spent, a premium's voucher spent, a premium gift handed over), kept from the
//! refund and settled by hand; premium gifts from a stock; and refund offers limited per
//! household. Every amount is worked out by hand in the comments.

use fidelis_tests::{TestApp, TestBrand, code_of, field_of, spawn_app};
use serde_json::{Value, json};

const RECORD: &str = "mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { purchase { id } vouchers { code discountMinor } offers { offerId voucherCode premiumPoints premiumGiftSku } explanation { offerId premiumPoints premiumGiftSku voucherCode points } } }";
const PREVIEW: &str = "query($i: RecordPurchaseInput!) { previewCheckout(input: $i) { offers { offerId premiumPoints premiumGiftSku } explanation { offerId premiumPoints premiumGiftSku } } }";
const RETURN: &str = "mutation($i: RecordReturnInput!) { recordReturn(input: $i) { refundMinor pointsReversed pointsToDebt offerDebtMinor offerDebtWithheldMinor offerDebtGivenBackMinor refundDueMinor } }";
const SETTLE: &str =
    "mutation($i: SettleOfferDebtInput!) { settleOfferDebt(input: $i) { settledMinor owedMinor } }";

fn line(sku: &str, quantity: i64, price: i64) -> Value {
    json!({ "sku": sku, "quantity": quantity, "unitPriceMinor": price })
}

async fn create(app: &TestApp, brand: &TestBrand, name: &str, kind: &str, fields: Value) -> String {
    let mut input = json!({
        "name": name,
        "kind": kind,
        "startsAt": app.now() - chrono::Duration::hours(1),
        "endsAt": app.now() + chrono::Duration::days(30),
    });
    if let (Some(i), Some(f)) = (input.as_object_mut(), fields.as_object()) {
        for (k, v) in f {
            i.insert(k.clone(), v.clone());
        }
    }
    let resp = app
        .as_token(&brand.owner.access_token)
        .query(
            "mutation($i: OfferInput!) { createOffer(input: $i) { id } }",
            json!({ "i": input }),
        )
        .await;
    resp["data"]["createOffer"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("createOffer {name}: {resp}"))
        .to_owned()
}

/// Records a purchase of `lines` (total: their sum) by `card`, with `vouchers`.
async fn buy(
    app: &TestApp,
    brand: &TestBrand,
    card: &str,
    lines: &[Value],
    vouchers: &[&str],
) -> Value {
    let total: i64 = lines
        .iter()
        .map(|l| l["quantity"].as_i64().unwrap_or(0) * l["unitPriceMinor"].as_i64().unwrap_or(0))
        .sum();
    let r = app
        .as_token(&brand.owner.access_token)
        .query(
            RECORD,
            json!({ "i": { "cardNumber": card, "currency": "EUR", "totalMinor": total, "lines": lines, "voucherCodes": vouchers } }),
        )
        .await;
    assert!(r["data"]["recordPurchase"].is_object(), "{r}");
    r["data"]["recordPurchase"].clone()
}

fn offer_of<'a>(paid: &'a Value, offer: &str) -> &'a Value {
    paid["offers"]
        .as_array()
        .and_then(|o| o.iter().find(|o| o["offerId"] == offer))
        .unwrap_or_else(|| panic!("no offer {offer}: {paid}"))
}

async fn give_back(app: &TestApp, brand: &TestBrand, purchase: &Value) -> Value {
    let r = app
        .as_token(&brand.owner.access_token)
        .query(
            RETURN,
            json!({ "i": { "purchaseId": purchase["purchase"]["id"], "lines": [] } }),
        )
        .await;
    assert!(r["data"]["recordReturn"].is_object(), "{r}");
    r["data"]["recordReturn"].clone()
}

async fn owed(app: &TestApp, brand: &TestBrand, member: &str) -> i64 {
    let r = app
        .as_token(&brand.owner.access_token)
        .query(
            "query($id: ID!) { member(id: $id) { offerDebtMinor } }",
            json!({ "id": member }),
        )
        .await;
    r["data"]["member"]["offerDebtMinor"]
        .as_i64()
        .unwrap_or_else(|| panic!("{r}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_spent_deferred_voucher_is_owed_when_its_purchase_comes_back_and_kept_from_the_refund() {
    let app = spawn_app().await;
    let brand = app.new_brand("dette").await;
    let (member, card) = app
        .enroll(&brand, json!({ "email": "m@dette.example" }))
        .await;
    // 30.00 of shoes earn a 5.00 voucher, usable at once for 30 days.
    let deferred = create(&app, &brand, "5 € pour 30 €", "DEFERRED", json!({ "skus": ["SHOE"], "minimumBasketMinor": 3_000, "voucherAmountMinor": 500, "voucherValidFromDays": 0, "voucherValidDays": 30 })).await;

    // Shoes at 40.00 earn V1; socks at 10.00 spend it: 5.00 off.
    let shoes = buy(&app, &brand, &card, &[line("SHOE", 1, 4_000)], &[]).await;
    let v1 = offer_of(&shoes, &deferred)["voucherCode"]
        .as_str()
        .unwrap_or_else(|| panic!("{shoes}"))
        .to_owned();
    let socks = buy(&app, &brand, &card, &[line("SOCK", 1, 1_000)], &[&v1]).await;
    assert_eq!(
        socks["vouchers"],
        json!([{ "code": v1, "discountMinor": 500 }])
    );
    // The shoes come back: 40.00 paid for them; the voucher they earned gave 5.00, owed, and
    // kept from the refund: the till hands back 35.00; nothing is left owed.
    let back = give_back(&app, &brand, &shoes).await;
    assert_eq!(
        (
            &back["refundMinor"],
            &back["offerDebtMinor"],
            &back["offerDebtWithheldMinor"],
            &back["refundDueMinor"]
        ),
        (&json!(4_000), &json!(500), &json!(500), &json!(3_500)),
        "{back}"
    );
    assert_eq!(owed(&app, &brand, &member).await, 0);
    // Then the socks come back too: they cost 10.00, 5.00 paid in money and 5.00 by V1 — whose
    // 5.00 the shoes' refund already kept. Nothing of V1 is the customer's any more: the 5.00
    // kept come back with the socks' 5.00. Everything returned, the customer paid 45.00 in
    // money and got 35.00 + 10.00 back.
    let back = give_back(&app, &brand, &socks).await;
    assert_eq!(
        (
            &back["refundMinor"],
            &back["offerDebtGivenBackMinor"],
            &back["refundDueMinor"]
        ),
        (&json!(1_000), &json!(500), &json!(1_000)),
        "{back}"
    );
    assert_eq!(owed(&app, &brand, &member).await, 0);

    // Again, but the socks that spent V2 come back first: they cost 10.00, of which the
    // customer paid 5.00 in money (the voucher paid the rest): 5.00 handed back. The voucher's
    // 5.00 is lost with them, so the shoes' return owes nothing.
    let shoes = buy(&app, &brand, &card, &[line("SHOE", 1, 4_000)], &[]).await;
    let v2 = offer_of(&shoes, &deferred)["voucherCode"]
        .as_str()
        .unwrap_or_else(|| panic!("{shoes}"))
        .to_owned();
    let socks = buy(&app, &brand, &card, &[line("SOCK", 1, 1_000)], &[&v2]).await;
    let back = give_back(&app, &brand, &socks).await;
    assert_eq!(
        (&back["refundMinor"], &back["refundDueMinor"]),
        (&json!(1_000), &json!(500)),
        "{back}"
    );
    let back = give_back(&app, &brand, &shoes).await;
    assert_eq!(
        (&back["offerDebtMinor"], &back["refundDueMinor"]),
        (&json!(0), &json!(4_000)),
        "{back}"
    );

    // An unused voucher is cancelled, not owed.
    let shoes = buy(&app, &brand, &card, &[line("SHOE", 1, 4_000)], &[]).await;
    let v3 = offer_of(&shoes, &deferred)["voucherCode"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let back = give_back(&app, &brand, &shoes).await;
    assert_eq!(back["offerDebtMinor"], 0, "{back}");
    let later = app
        .as_token(&brand.owner.access_token)
        .query(
            RECORD,
            json!({ "i": { "cardNumber": card, "currency": "EUR", "totalMinor": 1_000, "lines": [line("SOCK", 1, 1_000)], "voucherCodes": [v3] } }),
        )
        .await;
    assert_eq!(code_of(&later), "CONFLICT", "{later}");
    let report = app.db_verify_ledger().await;
    assert!(report.is_sound(), "{report:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_premium_gift_comes_from_its_stock_and_a_return_of_its_proof_owes_it_beyond_the_refund() {
    let app = spawn_app().await;
    let brand = app.new_brand("mug").await;
    let owner = app.as_token(&brand.owner.access_token);
    let (member, card) = app
        .enroll(&brand, json!({ "email": "a@mug.example" }))
        .await;
    let (_other, other_card) = app
        .enroll(&brand, json!({ "email": "b@mug.example" }))
        .await;
    // A stock is for gifts only; a gift value needs its gift.
    let refused = owner
        .query(
            "mutation($i: OfferInput!) { createOffer(input: $i) { id } }",
            json!({ "i": { "name": "x", "kind": "PREMIUM", "startsAt": app.now(), "endsAt": app.now() + chrono::Duration::days(1), "skus": ["CAFE"], "proofsNeeded": 2, "voucherAmountMinor": 100, "stock": 3 } }),
        )
        .await;
    assert_eq!(field_of(&refused), "input.stock", "{refused}");
    let refused = owner
        .query(
            "mutation($i: OfferInput!) { createOffer(input: $i) { id } }",
            json!({ "i": { "name": "x", "kind": "PREMIUM", "startsAt": app.now(), "endsAt": app.now() + chrono::Duration::days(1), "skus": ["CAFE"], "proofsNeeded": 2, "giftValueMinor": 800 } }),
        )
        .await;
    assert_eq!(field_of(&refused), "input.giftSku", "{refused}");
    // 2 coffees = a mug worth 8.00; one mug in stock.
    let premium = create(&app, &brand, "2 cafés = 1 mug", "PREMIUM", json!({ "skus": ["CAFE"], "proofsNeeded": 2, "giftSku": "MUG", "giftValueMinor": 800, "stock": 1 })).await;
    let coffee = |card: &str| json!({ "i": { "cardNumber": card, "currency": "EUR", "totalMinor": 450, "lines": [line("CAFE", 1, 450)] } });

    // The till's preview: nothing on the first coffee...
    let p = owner.query(PREVIEW, coffee(&card)).await;
    assert_eq!(
        offer_of(&p["data"]["previewCheckout"], &premium)["premiumGiftSku"],
        Value::Null,
        "{p}"
    );
    let first = buy(&app, &brand, &card, &[line("CAFE", 1, 450)], &[]).await;
    assert_eq!(offer_of(&first, &premium)["premiumGiftSku"], Value::Null);
    // ... the mug on the second, before it is recorded (nothing taken by the preview).
    let p = owner.query(PREVIEW, coffee(&card)).await;
    assert_eq!(
        offer_of(&p["data"]["previewCheckout"], &premium)["premiumGiftSku"],
        "MUG",
        "{p}"
    );
    let second = buy(&app, &brand, &card, &[line("CAFE", 1, 450)], &[]).await;
    assert_eq!(
        offer_of(&second, &premium)["premiumGiftSku"],
        "MUG",
        "{second}"
    );
    let step = second["explanation"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["offerId"] == premium.as_str()))
        .cloned()
        .unwrap_or_default();
    assert_eq!(step["premiumGiftSku"], "MUG", "{second}");
    let offer = owner
        .query(
            "query($id: ID!) { offer(id: $id) { stock figures { valueGivenMinor } } }",
            json!({ "id": premium }),
        )
        .await;
    assert_eq!(
        offer["data"]["offer"],
        json!({ "stock": 0, "figures": { "valueGivenMinor": 800 } }),
        "{offer}"
    );
    // Another member's second coffee finds no mug left: the premium waits (no gift, and the
    // preview says so too).
    buy(&app, &brand, &other_card, &[line("CAFE", 1, 450)], &[]).await;
    let p = owner.query(PREVIEW, coffee(&other_card)).await;
    assert_eq!(
        offer_of(&p["data"]["previewCheckout"], &premium)["premiumGiftSku"],
        Value::Null,
        "{p}"
    );
    let waits = buy(&app, &brand, &other_card, &[line("CAFE", 1, 450)], &[]).await;
    assert_eq!(
        offer_of(&waits, &premium)["premiumGiftSku"],
        Value::Null,
        "{waits}"
    );

    // The first coffee comes back: the mug's proofs are gone, and the mug (8.00) was handed
    // over: owed. The refund of 4.50 keeps 4.50 of it; 3.50 stay owed.
    let back = give_back(&app, &brand, &first).await;
    assert_eq!(
        (
            &back["refundMinor"],
            &back["offerDebtMinor"],
            &back["offerDebtWithheldMinor"],
            &back["refundDueMinor"]
        ),
        (&json!(450), &json!(800), &json!(450), &json!(0)),
        "{back}"
    );
    assert_eq!(owed(&app, &brand, &member).await, 350);
    // The second coffee's return owes nothing more (the premium went once) and keeps the
    // 3.50 still owed from its 4.50: 1.00 handed back.
    let back = give_back(&app, &brand, &second).await;
    assert_eq!(
        (
            &back["offerDebtMinor"],
            &back["offerDebtWithheldMinor"],
            &back["refundDueMinor"]
        ),
        (&json!(0), &json!(350), &json!(100)),
        "{back}"
    );
    assert_eq!(owed(&app, &brand, &member).await, 0);
    let report = app.db_verify_ledger().await;
    assert!(report.is_sound(), "{report:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_spent_premium_voucher_is_owed_with_its_points_taken_back_and_settled_by_hand() {
    let app = spawn_app().await;
    let brand = app.new_brand("primedette").await;
    let owner = app.as_token(&brand.owner.access_token);
    let staff = app
        .invite(&brand, "caisse@primedette.example", "BRAND_STAFF")
        .await;
    let staff = app.as_token(&staff.access_token);
    // 1 point per 1.00.
    let program = app
        .new_points_program(
            &brand,
            "Points",
            json!({ "points": 1, "perAmountMinor": 100 }),
        )
        .await;
    let (member, card) = app
        .enroll(&brand, json!({ "email": "m@primedette.example" }))
        .await;
    // 2 teas = a 3.00 voucher and 100 points.
    let premium = create(&app, &brand, "2 thés", "PREMIUM", json!({ "skus": ["THE"], "proofsNeeded": 2, "voucherAmountMinor": 300, "voucherValidFromDays": 0, "voucherValidDays": 30, "premiumPoints": 100, "premiumProgramId": program })).await;
    let tea = [line("THE", 1, 450)];
    // The preview of the second tea shows the 100 points it would credit.
    let first = buy(&app, &brand, &card, &tea, &[]).await;
    let p = owner
        .query(
            PREVIEW,
            json!({ "i": { "cardNumber": card, "currency": "EUR", "totalMinor": 450, "lines": tea } }),
        )
        .await;
    assert_eq!(
        offer_of(&p["data"]["previewCheckout"], &premium)["premiumPoints"],
        100,
        "{p}"
    );
    let second = buy(&app, &brand, &card, &tea, &[]).await;
    let voucher = offer_of(&second, &premium)["voucherCode"]
        .as_str()
        .unwrap_or_else(|| panic!("{second}"))
        .to_owned();
    // 4 + 4 earned, 100 of premium.
    assert_eq!(app.points(&brand, &member).await, 108);
    // The voucher pays 3.00 of a 5.00 cake (2 points earned on the 2.00 paid).
    let cake = buy(&app, &brand, &card, &[line("GATEAU", 1, 500)], &[&voucher]).await;
    assert_eq!(cake["vouchers"][0]["discountMinor"], 300, "{cake}");
    assert_eq!(app.points(&brand, &member).await, 110);
    // The first tea comes back: its 4 points and the premium's 100 go; the voucher's 3.00 is
    // owed, kept from the 4.50 refund: 1.50 handed back.
    let back = give_back(&app, &brand, &first).await;
    assert_eq!(
        back,
        json!({ "refundMinor": 450, "pointsReversed": 104, "pointsToDebt": 0, "offerDebtMinor": 300, "offerDebtWithheldMinor": 300, "offerDebtGivenBackMinor": 0, "refundDueMinor": 150 }),
        "{back}"
    );
    assert_eq!(app.points(&brand, &member).await, 6);
    assert_eq!(owed(&app, &brand, &member).await, 0);

    // Settled by hand: nothing is owed now, so any amount is too much.
    let too_much = staff
        .query(
            SETTLE,
            json!({ "i": { "memberId": member, "amountMinor": 1, "how": "PAID", "reason": "payé" } }),
        )
        .await;
    assert_eq!(field_of(&too_much), "input.amountMinor", "{too_much}");
    // Staff may not waive; another brand's member reads as NOT_FOUND.
    let waive = staff
        .query(
            SETTLE,
            json!({ "i": { "memberId": member, "amountMinor": 1, "how": "WAIVED", "reason": "geste" } }),
        )
        .await;
    assert_eq!(code_of(&waive), "FORBIDDEN", "{waive}");
    let other = app.new_brand("autredette").await;
    let (stranger, _) = app
        .enroll(&other, json!({ "email": "x@autredette.example" }))
        .await;
    let foreign = owner
        .query(
            SETTLE,
            json!({ "i": { "memberId": stranger, "amountMinor": 1, "how": "WAIVED", "reason": "geste" } }),
        )
        .await;
    assert_eq!(code_of(&foreign), "NOT_FOUND", "{foreign}");
    let report = app.db_verify_ledger().await;
    assert!(report.is_sound(), "{report:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_offer_debt_left_owed_is_paid_at_the_till_once_or_waived_by_a_manager() {
    let app = spawn_app().await;
    let brand = app.new_brand("reglement").await;
    let owner = app.as_token(&brand.owner.access_token);
    let staff = app
        .invite(&brand, "caisse@reglement.example", "BRAND_STAFF")
        .await;
    let staff = app.as_token(&staff.access_token);
    let (member, card) = app
        .enroll(&brand, json!({ "email": "m@reglement.example" }))
        .await;
    // 2 cakes = a 20.00 hamper handed over.
    let premium = create(&app, &brand, "2 gâteaux = 1 panier", "PREMIUM", json!({ "skus": ["GATEAU"], "proofsNeeded": 2, "giftSku": "PANIER", "giftValueMinor": 2_000 })).await;
    let first = buy(&app, &brand, &card, &[line("GATEAU", 1, 500)], &[]).await;
    let second = buy(&app, &brand, &card, &[line("GATEAU", 1, 500)], &[]).await;
    assert_eq!(offer_of(&second, &premium)["premiumGiftSku"], "PANIER");
    // The first cake comes back: 20.00 owed, 5.00 kept from its refund, 15.00 left.
    let back = give_back(&app, &brand, &first).await;
    assert_eq!(
        (
            &back["offerDebtMinor"],
            &back["offerDebtWithheldMinor"],
            &back["refundDueMinor"]
        ),
        (&json!(2_000), &json!(500), &json!(0)),
        "{back}"
    );
    assert_eq!(owed(&app, &brand, &member).await, 1_500);
    // The member pays 10.00 at the till; a retry settles nothing more.
    let paid = json!({ "i": { "memberId": member, "amountMinor": 1_000, "how": "PAID", "reason": "espèces", "idempotencyKey": "pay-1" } });
    let r = staff.query(SETTLE, paid.clone()).await;
    assert_eq!(
        r["data"]["settleOfferDebt"],
        json!({ "settledMinor": 1_000, "owedMinor": 500 }),
        "{r}"
    );
    let r = staff.query(SETTLE, paid).await;
    assert_eq!(
        r["data"]["settleOfferDebt"],
        json!({ "settledMinor": 1_000, "owedMinor": 500 }),
        "{r}"
    );
    assert_eq!(owed(&app, &brand, &member).await, 500);
    // More than is owed is refused; the manager waives the rest.
    let r = owner
        .query(
            SETTLE,
            json!({ "i": { "memberId": member, "amountMinor": 501, "how": "WAIVED", "reason": "geste" } }),
        )
        .await;
    assert_eq!(field_of(&r), "input.amountMinor", "{r}");
    let r = owner
        .query(
            SETTLE,
            json!({ "i": { "memberId": member, "amountMinor": 500, "how": "WAIVED", "reason": "geste" } }),
        )
        .await;
    assert_eq!(
        r["data"]["settleOfferDebt"],
        json!({ "settledMinor": 500, "owedMinor": 0 }),
        "{r}"
    );
    assert_eq!(owed(&app, &brand, &member).await, 0);
    let report = app.db_verify_ledger().await;
    assert!(report.is_sound(), "{report:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refund_offer_allows_one_claim_per_household_even_to_racing_claims() {
    let app = spawn_app().await;
    let brand = app.new_brand("foyer").await;
    let owner = app.as_token(&brand.owner.access_token);
    let (a, _) = app
        .enroll(&brand, json!({ "email": "a@foyer.example" }))
        .await;
    let (b, _) = app
        .enroll(&brand, json!({ "email": "b@foyer.example" }))
        .await;
    let (c, _) = app
        .enroll(&brand, json!({ "email": "c@foyer.example" }))
        .await;
    // Only refund offers are limited per household.
    let refused = owner
        .query(
            "mutation($i: OfferInput!) { createOffer(input: $i) { id } }",
            json!({ "i": { "name": "x", "kind": "DISCOUNT", "startsAt": app.now(), "endsAt": app.now() + chrono::Duration::days(1), "amountMinor": 100, "maxPerHousehold": 1 } }),
        )
        .await;
    assert_eq!(field_of(&refused), "input.maxPerHousehold", "{refused}");
    let refund = create(&app, &brand, "Rasoir remboursé", "REFUND", json!({ "skus": ["RASOIR"], "amountMinor": 500, "claimDeadlineDays": 30, "maxPerHousehold": 1 })).await;

    // B joins A's household; the same member twice and another brand's member are refused.
    let link = "mutation($m: ID!, $w: ID) { setMemberHousehold(memberId: $m, withMemberId: $w) { id household { id } } }";
    let r = owner.query(link, json!({ "m": b, "w": a })).await;
    assert_eq!(
        r["data"]["setMemberHousehold"]["household"],
        json!([{ "id": a }]),
        "{r}"
    );
    let r = owner.query(link, json!({ "m": b, "w": b })).await;
    assert_eq!(code_of(&r), "VALIDATION", "{r}");
    let other = app.new_brand("autrefoyer").await;
    let (stranger, _) = app
        .enroll(&other, json!({ "email": "x@autrefoyer.example" }))
        .await;
    let r = owner.query(link, json!({ "m": b, "w": stranger })).await;
    assert_eq!(code_of(&r), "NOT_FOUND", "{r}");
    let r = owner
        .query(
            "query($id: ID!) { member(id: $id) { household { id } } }",
            json!({ "id": a }),
        )
        .await;
    assert_eq!(
        r["data"]["member"]["household"],
        json!([{ "id": b }]),
        "{r}"
    );

    let submit = "mutation($i: RefundClaimInput!) { submitRefundClaim(input: $i) { id status } }";
    let claim = |member: &str, receipt: &str| json!({ "i": { "offerId": refund, "memberId": member, "receiptReference": receipt, "receiptAmountMinor": 2_000, "receiptDate": app.now() - chrono::Duration::hours(1) } });
    // A and B race with three receipts each: one claim for the household, no more.
    let mut racers = Vec::new();
    for (i, who) in [&a, &b, &a, &b, &a, &b].iter().enumerate() {
        let client = app.as_token(&brand.owner.access_token);
        let body = claim(who, &format!("T-{i}"));
        racers.push(tokio::spawn(
            async move { client.query(submit, body).await },
        ));
    }
    let mut made = Vec::new();
    for r in racers {
        let r = r.await.unwrap_or_default();
        if r["data"]["submitRefundClaim"]["id"].is_string() {
            made.push(r["data"]["submitRefundClaim"]["id"].clone());
        } else {
            assert_eq!(code_of(&r), "CONFLICT", "{r}");
        }
    }
    assert_eq!(made.len(), 1, "{made:?}");
    // C lives elsewhere: their claim is theirs.
    let r = owner.query(submit, claim(&c, "T-C")).await;
    assert_eq!(r["data"]["submitRefundClaim"]["status"], "SUBMITTED", "{r}");
    // The household's claim rejected: it no longer counts, another member of it may claim.
    let r = owner
        .query(
            "mutation($id: ID!, $r: String) { reviewRefundClaim(id: $id, approve: false, reason: $r) { status } }",
            json!({ "id": made[0], "r": "ticket illisible" }),
        )
        .await;
    assert_eq!(r["data"]["reviewRefundClaim"]["status"], "REJECTED", "{r}");
    let r = owner.query(submit, claim(&b, "T-9")).await;
    assert_eq!(r["data"]["submitRefundClaim"]["status"], "SUBMITTED", "{r}");
    // A leaves the household: a household of one again, with no claim of its own.
    let r = owner.query(link, json!({ "m": a, "w": null })).await;
    assert_eq!(
        r["data"]["setMemberHousehold"]["household"],
        json!([]),
        "{r}"
    );
    let r = owner.query(submit, claim(&a, "T-10")).await;
    assert_eq!(r["data"]["submitRefundClaim"]["status"], "SUBMITTED", "{r}");
}
