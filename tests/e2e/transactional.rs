//! Transactional mail over SMTP: welcome, voucher issued, reward ready, points expiring (once
//! per lot), membership renewal reminder; the brand's own template replaces the default; a
//! message switched off is not sent; nothing is sent twice.

use chrono::{Duration, Utc};
use fidelis::engagement::transactional::run_once;
use fidelis_tests::{CREATE_PROGRAM, RECORD_PURCHASE, TestApp, spawn_app};
use serde_json::json;

async fn run(app: &TestApp) -> fidelis::engagement::transactional::Report {
    run_once(
        &app.state.base,
        &app.state.links,
        &app.state.post,
        Utc::now(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e:?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn each_event_mails_its_member_once_with_the_brand_template_or_the_default() {
    let app = spawn_app().await;
    let brand = app.new_brand("savon").await;
    let owner = app.as_token(&brand.owner.access_token);
    let since = (Utc::now() - Duration::days(800)).to_rfc3339();
    let mut ids = Vec::new();
    for rules in [
        json!({ "points": { "validityMonths": 12 } }),
        json!({ "stamps": { "stampsForReward": 2, "rewardLabel": "Soap bar", "rewardAmountMinor": 500 } }),
        json!({ "membership": { "feeMinor": 2_000, "period": "MONTHLY", "discountPercent": 10 } }),
    ] {
        let r = owner
            .query(
                CREATE_PROGRAM,
                json!({ "i": { "name": "P", "effectiveFrom": since, "rules": rules } }),
            )
            .await;
        assert!(r["data"]["createProgram"]["id"].is_string(), "{r}");
        ids.push(r["data"]["createProgram"]["id"].clone());
    }
    let membership = ids[2].clone();
    // Reminders 40 days ahead (a monthly membership ends within that).
    owner
        .query("mutation($i: MailSettingsInput!) { updateMailSettings(input: $i) { saved } }",
            json!({ "i": { "fromName": "Savonnerie", "fromAddress": "hello@savon.example", "noticeDays": 40 } }))
        .await;

    // No consent needed: transactional mail is not marketing.
    let (ana, card) = app
        .enroll(
            &brand,
            json!({ "email": "ana@savon.example", "firstName": "Ana" }),
        )
        .await;
    let r = run(&app).await;
    assert_eq!(r.sent, 1, "{r:?}");
    let welcome = app.smtp.wait_for("ana@savon.example").await;
    // The brand speaks French (the default locale).
    assert_eq!(welcome.subject(), "Bienvenue chez Brand savon");
    assert!(welcome.text().contains(&card), "{}", welcome.text());
    assert!(
        welcome.header("List-Unsubscribe").is_none(),
        "transactional: no unsubscribe header"
    );

    // A purchase a year ago: its points expire within the notice period; today's purchase
    // fills the stamp card (reward ready); a brand voucher; a paid membership.
    let old = (Utc::now() - Duration::days(360)).to_rfc3339();
    for (total, at) in [(5_000, Some(old)), (2_000, None)] {
        let r = owner
            .query(RECORD_PURCHASE, json!({ "i": { "cardNumber": card, "totalMinor": total, "currency": "EUR", "occurredAt": at } }))
            .await;
        assert!(r["errors"].is_null(), "{r}");
    }
    let v = owner
        .query("mutation($i: IssueVoucherInput!) { issueVoucher(input: $i) { code } }",
            json!({ "i": { "memberId": ana, "amountMinor": 750, "validUntil": (Utc::now() + Duration::days(30)).to_rfc3339(), "label": "Sorry for the wait" } }))
        .await;
    let code = v["data"]["issueVoucher"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"))
        .to_owned();
    let paid = owner
        .query(
            "mutation($i: PayMembershipInput!) { payMembership(input: $i) { id } }",
            json!({ "i": { "memberId": ana, "programId": membership } }),
        )
        .await;
    assert!(paid["errors"].is_null(), "{paid}");
    let r = run(&app).await;
    assert_eq!((r.found, r.sent), (4, 4), "{r:?}");
    let mails = app.smtp.to("ana@savon.example").await;
    let subjects: Vec<String> = mails.iter().map(|m| m.subject()).collect();
    assert!(
        subjects.iter().any(|s| s == "Votre récompense est prête"),
        "{subjects:?}"
    );
    assert!(
        subjects
            .iter()
            .any(|s| s == &format!("Un bon d'achat pour vous : {code}")),
        "{subjects:?}"
    );
    assert!(
        subjects.iter().any(|s| s == "5 points expirent bientôt"),
        "{subjects:?}"
    );
    assert!(
        subjects
            .iter()
            .any(|s| s.starts_with("Votre abonnement se renouvelle le ")),
        "{subjects:?}"
    );
    let voucher_mail = mails
        .iter()
        .find(|m| m.subject().contains(&code))
        .map(|m| m.text())
        .unwrap_or_default();
    assert!(
        voucher_mail.contains("7,50 EUR") && voucher_mail.contains("Sorry for the wait"),
        "{voucher_mail}"
    );

    // Nothing twice.
    let again = run(&app).await;
    assert_eq!((again.found, again.sent), (0, 0), "{again:?}");
    assert_eq!(app.smtp.to("ana@savon.example").await.len(), 5);

    // The brand's own WELCOME template replaces the default; a switched-off message is not sent.
    owner
        .query("mutation($i: EmailTemplateInput!) { createEmailTemplate(input: $i) { id } }",
            json!({ "i": { "name": "Our welcome", "purpose": "WELCOME", "subject": "Bienvenue {{ member.first_name }}", "text": "Merci !" } }))
        .await;
    app.enroll(
        &brand,
        json!({ "email": "bo@savon.example", "firstName": "Bo" }),
    )
    .await;
    run(&app).await;
    assert_eq!(
        app.smtp.wait_for("bo@savon.example").await.subject(),
        "Bienvenue Bo"
    );
    owner
        .query("mutation($i: MailSettingsInput!) { updateMailSettings(input: $i) { transactional { purpose enabled } } }",
            json!({ "i": { "fromName": "Savonnerie", "fromAddress": "hello@savon.example", "transactionalDisabled": ["WELCOME"] } }))
        .await;
    app.enroll(
        &brand,
        json!({ "email": "cy@savon.example", "firstName": "Cy" }),
    )
    .await;
    run(&app).await;
    assert!(
        app.smtp.to("cy@savon.example").await.is_empty(),
        "welcome switched off"
    );
}
