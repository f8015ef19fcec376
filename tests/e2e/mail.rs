//! Brands' mail: sender settings, templates checked for unknown variables before anything is
//! saved, previews rendered with a member's real data (escaped in HTML), audiences that respect
//! consent and the suppression list, saved segments — each brand only its own.

use fidelis_tests::{RECORD_PURCHASE, code_of, field_of, spawn_app};
use serde_json::json;

const SETTINGS: &str = "mutation($i: MailSettingsInput!) { updateMailSettings(input: $i) { fromName fromAddress replyTo marketingCapPerWeek saved } }";
const CREATE: &str =
    "mutation($i: EmailTemplateInput!) { createEmailTemplate(input: $i) { id name purpose } }";
const PREVIEW: &str =
    "query($i: PreviewEmailInput!) { previewEmailTemplate(input: $i) { subject html text } }";
const AUDIENCE: &str = "query($f: AudienceFilterInput!) { audiencePreview(filter: $f) { matched mailable withoutEmailOrConsent suppressed sample { email } } }";
const SEGMENT: &str = "mutation($n: String!, $f: AudienceFilterInput!) { saveSegment(name: $n, filter: $f) { id name } }";

#[tokio::test(flavor = "multi_thread")]
async fn templates_previews_and_audiences_follow_the_rules() {
    let app = spawn_app().await;
    let brand = app.new_brand("papeterie").await;
    let other = app.new_brand("quincaillerie").await;
    let owner = app.as_token(&brand.owner.access_token);
    let stranger = app.as_token(&other.owner.access_token);

    // Settings: platform defaults until saved; addresses checked.
    let defaults = owner
        .query(
            "{ mailSettings { fromName saved marketingCapPerWeek } }",
            json!({}),
        )
        .await;
    assert_eq!(
        defaults["data"]["mailSettings"]["saved"], false,
        "{defaults}"
    );
    let bad = owner
        .query(
            SETTINGS,
            json!({ "i": { "fromName": "Papeterie", "fromAddress": "not an address" } }),
        )
        .await;
    assert_eq!(field_of(&bad), "input.fromAddress", "{bad}");
    let saved = owner
        .query(SETTINGS, json!({ "i": { "fromName": "Papeterie Centrale", "fromAddress": "news@papeterie.example", "replyTo": "Hello@Papeterie.example", "marketingCapPerWeek": 2 } }))
        .await;
    let s = &saved["data"]["updateMailSettings"];
    assert_eq!(
        (
            s["saved"].as_bool(),
            s["replyTo"].as_str(),
            s["marketingCapPerWeek"].as_i64()
        ),
        (Some(true), Some("hello@papeterie.example"), Some(2)),
        "{saved}"
    );

    // A template naming unknown variables is refused, with their names, and not saved.
    let unknown = owner
        .query(CREATE, json!({ "i": { "name": "Spring", "subject": "Hello {{ member.first_name }}", "html": "<p>{{ member.nickname }} {{ password }}</p>" } }))
        .await;
    assert_eq!(field_of(&unknown), "input.html", "{unknown}");
    let message = unknown["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("member.nickname") && message.contains("password"),
        "{message}"
    );
    let broken = owner
        .query(
            CREATE,
            json!({ "i": { "name": "Spring", "subject": "Hi", "text": "{% for %}" } }),
        )
        .await;
    assert_eq!(field_of(&broken), "input.text", "{broken}");
    let none = owner.query("{ emailTemplates { id } }", json!({})).await;
    assert_eq!(
        none["data"]["emailTemplates"],
        json!([]),
        "nothing saved: {none}"
    );

    let template = owner
        .query(CREATE, json!({ "i": {
            "name": "Spring",
            "subject": "{{ member.first_name }}, {{ points.balance }} points await you",
            "html": "<p>Hello {{ member.first_name }}</p>{% for v in vouchers %}<li>{{ v.code }} {{ v.amount_minor | money }}</li>{% endfor %}<a href=\"{{ links.unsubscribe }}\">unsubscribe</a>",
            "text": "Hello {{ member.first_name }} ({{ brand.name }}){% if tier %}, {{ tier.name }}{% endif %}"
        } }))
        .await;
    let template_id = template["data"]["createEmailTemplate"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{template}"))
        .to_owned();
    let dup = owner
        .query(
            CREATE,
            json!({ "i": { "name": "Spring", "subject": "x", "text": "y" } }),
        )
        .await;
    assert_eq!(code_of(&dup), "CONFLICT");

    // Members: a buyer with consent (and an HTML-looking first name), one without consent,
    // one suppressed, one who never bought.
    let enroll = |email: &str, first: &str, consent: bool, club: &str| json!({ "email": email, "firstName": first, "emailConsent": consent, "consentSource": "form", "attributes": [{ "key": "club", "value": club }] });
    app.new_points_program(
        &brand,
        "Points",
        json!({ "points": 1, "perAmountMinor": 100 }),
    )
    .await;
    let (buyer, card) = app
        .enroll(
            &brand,
            enroll("ana@ex.example", "<b>Ana</b>", true, "running"),
        )
        .await;
    let (_quiet, _) = app
        .enroll(&brand, enroll("bo@ex.example", "Bo", false, "running"))
        .await;
    let (_gone, _) = app
        .enroll(&brand, enroll("cy@ex.example", "Cy", true, "chess"))
        .await;
    let (_new, _) = app
        .enroll(&brand, enroll("di@ex.example", "Di", true, "chess"))
        .await;
    let bought = owner
        .query(
            RECORD_PURCHASE,
            json!({ "i": { "cardNumber": card, "totalMinor": 25_000, "currency": "EUR" } }),
        )
        .await;
    assert!(bought["errors"].is_null(), "{bought}");
    let r = owner
        .query(
            "mutation($e: String!) { suppressEmail(email: $e, reason: UNSUBSCRIBED) }",
            json!({ "e": "CY@ex.example" }),
        )
        .await;
    assert_eq!(r["data"]["suppressEmail"], true, "{r}");

    // Preview for the buyer: real data, escaped in HTML only.
    let preview = owner
        .query(
            PREVIEW,
            json!({ "i": { "templateId": template_id, "memberId": buyer } }),
        )
        .await;
    let p = &preview["data"]["previewEmailTemplate"];
    assert_eq!(
        p["subject"], "<b>Ana</b>, 250 points await you",
        "{preview}"
    );
    assert!(
        p["html"]
            .as_str()
            .unwrap_or_default()
            .starts_with("<p>Hello &lt;b&gt;Ana&lt;/b&gt;</p>"),
        "{preview}"
    );
    assert_eq!(p["text"], "Hello <b>Ana</b> (Brand papeterie)", "{preview}");
    // Sample data without a member; a draft with an unknown variable is refused.
    let sample = owner
        .query(PREVIEW, json!({ "i": { "templateId": template_id } }))
        .await;
    assert!(
        sample["data"]["previewEmailTemplate"]["html"]
            .as_str()
            .unwrap_or_default()
            .contains("SAMPLE-10 10,00 EUR"),
        "{sample}"
    );
    let draft = owner
        .query(
            PREVIEW,
            json!({ "i": { "subject": "Hi {{ membre.prenom }}", "text": "x" } }),
        )
        .await;
    assert_eq!(field_of(&draft), "input.subject", "{draft}");
    // Another brand can neither preview this template nor render this member.
    let foreign = stranger
        .query(PREVIEW, json!({ "i": { "templateId": template_id } }))
        .await;
    assert_eq!(code_of(&foreign), "NOT_FOUND");
    let foreign = stranger
        .query(
            PREVIEW,
            json!({ "i": { "subject": "x", "text": "y", "memberId": buyer } }),
        )
        .await;
    assert_eq!(code_of(&foreign), "NOT_FOUND");

    // Audiences: everyone = 4 matched, 2 mailable (one without consent, one suppressed).
    let everyone = owner.query(AUDIENCE, json!({ "f": {} })).await;
    let a = &everyone["data"]["audiencePreview"];
    assert_eq!(
        (
            a["matched"].as_i64(),
            a["mailable"].as_i64(),
            a["withoutEmailOrConsent"].as_i64(),
            a["suppressed"].as_i64()
        ),
        (Some(4), Some(2), Some(1), Some(1)),
        "{everyone}"
    );
    let big = json!({ "totalSpendAtLeastMinor": 10_000 });
    let spenders = owner.query(AUDIENCE, json!({ "f": big })).await;
    assert_eq!(
        spenders["data"]["audiencePreview"]["sample"],
        json!([{ "email": "ana@ex.example" }]),
        "{spenders}"
    );
    // A saved segment, reused inside another filter: chess players who are not big spenders.
    let seg = owner
        .query(SEGMENT, json!({ "n": "Big spenders", "f": big }))
        .await;
    let seg_id = seg["data"]["saveSegment"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{seg}"))
        .to_owned();
    let chess = owner
        .query(AUDIENCE, json!({ "f": { "attribute": { "key": "club", "equals": "chess" }, "not": { "segmentId": seg_id } } }))
        .await;
    let c = &chess["data"]["audiencePreview"];
    assert_eq!(
        (
            c["matched"].as_i64(),
            c["mailable"].as_i64(),
            c["suppressed"].as_i64()
        ),
        (Some(2), Some(1), Some(1)),
        "{chess}"
    );
    assert_eq!(c["sample"], json!([{ "email": "di@ex.example" }]));
    let never = owner.query(AUDIENCE, json!({ "f": { "neverPurchased": true, "any": [{ "tier": "Gold" }, { "pointsAtLeast": 0 }] } })).await;
    assert_eq!(never["data"]["audiencePreview"]["matched"], 3, "{never}");
    // Another brand's segment reads as missing.
    let foreign = stranger
        .query(AUDIENCE, json!({ "f": { "segmentId": seg_id } }))
        .await;
    assert_eq!(code_of(&foreign), "NOT_FOUND", "{foreign}");
    let theirs = stranger
        .query(
            "{ segments { id } suppressions { email } emailTemplates { id } }",
            json!({}),
        )
        .await;
    assert_eq!(
        theirs["data"],
        json!({ "segments": [], "suppressions": [], "emailTemplates": [] }),
        "{theirs}"
    );
}
