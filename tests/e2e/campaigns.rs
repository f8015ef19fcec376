//! Campaigns end to end over a real SMTP conversation: personalisation, audience and consent,
//! at most one mail per member through a worker stopping mid-campaign and two workers at once,
//! unsubscribe by link and by RFC 8058 one-click POST, the frequency cap, a temporary failure
//! retried, a bounce suppressed, scheduling in the brand's time zone, pause/resume/cancel.

use chrono::{Duration, NaiveTime, TimeZone, Utc};
use fidelis::engagement::campaigns::run_once;
use fidelis_tests::{Gql, TestApp, TestBrand, code_of, field_of, spawn_app};
use serde_json::{Value, json};

const SETTINGS: &str =
    "mutation($i: MailSettingsInput!) { updateMailSettings(input: $i) { saved } }";
const TEMPLATE: &str =
    "mutation($i: EmailTemplateInput!) { createEmailTemplate(input: $i) { id } }";
const CREATE: &str =
    "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id status } }";
const STATS: &str = "query($id: ID!) { campaign(id: $id) { status scheduledAt stats { audienceSize queued sent failed bounced skipped skippedByReason { reason count } unsubscribed } } }";

async fn setup(app: &TestApp, slug: &str, cap: i64) -> (TestBrand, Gql, String) {
    let brand = app.new_brand(slug).await;
    let owner = app.as_token(&brand.owner.access_token);
    let r = owner
        .query(SETTINGS, json!({ "i": { "fromName": "Papeterie Centrale", "fromAddress": format!("news@{slug}.example"), "marketingCapPerWeek": cap } }))
        .await;
    assert_eq!(r["data"]["updateMailSettings"]["saved"], true, "{r}");
    let t = owner
        .query(TEMPLATE, json!({ "i": { "name": "News", "subject": "Hello {{ member.first_name }}",
            "html": "<p>Hi {{ member.first_name }}</p><a href=\"{{ links.unsubscribe }}\">unsubscribe</a>",
            "text": "Hi {{ member.first_name }} - {{ campaign.name }} - unsubscribe: {{ links.unsubscribe }}" } }))
        .await;
    let template = t["data"]["createEmailTemplate"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{t}"))
        .to_owned();
    (brand, owner, template)
}

async fn member(app: &TestApp, brand: &TestBrand, email: &str, consent: bool) -> String {
    app.enroll(brand, json!({ "email": email, "firstName": email.split('@').next().unwrap_or(""), "emailConsent": consent, "consentSource": "form" }))
        .await
        .0
}

async fn campaign(owner: &Gql, template: &str, name: &str, filter: Value) -> String {
    let c = owner
        .query(
            CREATE,
            json!({ "i": { "name": name, "templateId": template, "filter": filter } }),
        )
        .await;
    assert_eq!(c["data"]["createCampaign"]["status"], "DRAFT", "{c}");
    c["data"]["createCampaign"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn stats(owner: &Gql, id: &str) -> Value {
    owner.query(STATS, json!({ "id": id })).await["data"]["campaign"].clone()
}

async fn run(
    app: &TestApp,
    at: chrono::DateTime<Utc>,
    max: Option<u64>,
) -> fidelis::engagement::campaigns::DeliveryReport {
    run_once(&app.state.base, &app.state.links, &app.state.post, at, max)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_campaign_reaches_each_consenting_member_once_and_unsubscribe_works() {
    let app = spawn_app().await;
    let (brand, owner, template) = setup(&app, "papier", 5).await;
    let consenting: Vec<String> = (0..5).map(|i| format!("m{i}@papier.example")).collect();
    for email in &consenting {
        member(&app, &brand, email, true).await;
    }
    member(&app, &brand, "quiet@papier.example", false).await;
    member(&app, &brand, "gone@papier.example", true).await;
    owner
        .query(
            "mutation { suppressEmail(email: \"gone@papier.example\", reason: COMPLAINED) }",
            json!({}),
        )
        .await;

    let id = campaign(&owner, &template, "Spring news", json!({})).await;
    let sent = owner
        .query(
            "mutation($id: ID!) { sendCampaign(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        sent["data"]["sendCampaign"]["status"], "SCHEDULED",
        "{sent}"
    );

    // A worker stops after two mails; then two workers run at once: nobody twice, nobody missed.
    let now = Utc::now();
    let first = run(&app, now, Some(2)).await;
    assert_eq!((first.started, first.sent), (1, 2), "{first:?}");
    let (a, b) = tokio::join!(run(&app, now, None), run(&app, now, None));
    assert_eq!(a.sent + b.sent, 3, "{a:?} {b:?}");
    run(&app, now, None).await;
    for email in &consenting {
        assert_eq!(app.smtp.to(email).await.len(), 1, "{email}");
    }
    assert!(
        app.smtp.to("quiet@papier.example").await.is_empty(),
        "no consent, no mail"
    );
    assert!(
        app.smtp.to("gone@papier.example").await.is_empty(),
        "suppressed, no mail"
    );
    let s = stats(&owner, &id).await;
    assert_eq!(s["status"], "SENT", "{s}");
    assert_eq!(
        (
            s["stats"]["audienceSize"].as_i64(),
            s["stats"]["sent"].as_i64(),
            s["stats"]["queued"].as_i64()
        ),
        (Some(7), Some(5), Some(0)),
        "{s}"
    );

    // Personalised, from the brand, with RFC 8058 headers.
    let mail = app.smtp.wait_for("m0@papier.example").await;
    assert_eq!(mail.subject(), "Hello m0");
    assert!(
        mail.header("From")
            .unwrap_or_default()
            .contains("news@papier.example"),
        "{}",
        mail.data
    );
    assert!(
        mail.text().contains("Hi m0 - Spring news - unsubscribe: "),
        "{}",
        mail.text()
    );
    assert_eq!(
        mail.header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    let header = mail.header("List-Unsubscribe").unwrap_or_default();
    let token = mail
        .link_token("/unsubscribe")
        .unwrap_or_else(|| panic!("{}", mail.text()));
    assert!(header.contains(&token), "{header}");

    // By link: one click records it (and again: still fine). A tampered token changes nothing.
    let http = reqwest::Client::new();
    let url = app.url(&format!("/unsubscribe?token={token}"));
    for _ in 0..2 {
        let r = http
            .get(&url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status().as_u16(), 200);
        assert!(r.text().await.unwrap_or_default().contains("désinscrit"));
    }
    let mut forged = token.clone();
    forged.replace_range(0..1, if forged.starts_with('A') { "B" } else { "A" });
    let r = http
        .get(app.url(&format!("/unsubscribe?token={forged}")))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status().as_u16(), 400);
    // One-click POST from a mail client, for another member.
    let other = app.smtp.wait_for("m1@papier.example").await;
    let token1 = other.link_token("/unsubscribe").unwrap_or_default();
    let r = http
        .post(app.url(&format!("/unsubscribe?token={token1}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status().as_u16(), 200);
    let s = stats(&owner, &id).await;
    assert_eq!(s["stats"]["unsubscribed"], 2, "{s}");
    let list = owner
        .query("{ suppressions { email reason } }", json!({}))
        .await;
    let emails: Vec<&str> = list["data"]["suppressions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["email"].as_str())
        .collect();
    assert_eq!(
        emails,
        [
            "gone@papier.example",
            "m0@papier.example",
            "m1@papier.example"
        ],
        "{list}"
    );

    // The next campaign no longer reaches them.
    let next = campaign(&owner, &template, "Summer", json!({})).await;
    owner
        .query(
            "mutation($id: ID!) { sendCampaign(id: $id) { status } }",
            json!({ "id": next }),
        )
        .await;
    run(&app, Utc::now(), None).await;
    assert_eq!(app.smtp.to("m0@papier.example").await.len(), 1);
    assert_eq!(app.smtp.to("m2@papier.example").await.len(), 2);
    let s = stats(&owner, &next).await;
    assert_eq!(s["stats"]["sent"], 3, "{s}");
}

#[tokio::test(flavor = "multi_thread")]
async fn frequency_cap_retries_and_bounces() {
    let app = spawn_app().await;
    let (brand, owner, template) = setup(&app, "cahier", 1).await;
    for email in ["a@cahier.example", "b@cahier.example", "c@cahier.example"] {
        member(&app, &brand, email, true).await;
    }
    let send = |id: String| {
        let owner = owner.clone();
        async move {
            owner
                .query(
                    "mutation($id: ID!) { sendCampaign(id: $id) { status } }",
                    json!({ "id": id }),
                )
                .await
        }
    };
    // One mail a week at most: the second campaign skips everyone.
    let first = campaign(&owner, &template, "One", json!({})).await;
    send(first.clone()).await;
    run(&app, Utc::now(), None).await;
    let second = campaign(&owner, &template, "Two", json!({})).await;
    send(second.clone()).await;
    run(&app, Utc::now(), None).await;
    let s = stats(&owner, &second).await;
    assert_eq!(
        (s["stats"]["sent"].as_i64(), s["stats"]["skipped"].as_i64()),
        (Some(0), Some(3)),
        "{s}"
    );
    assert_eq!(
        s["stats"]["skippedByReason"],
        json!([{ "reason": "FREQUENCY_CAP", "count": 3 }])
    );

    // No cap: a temporary failure is retried later; a permanent one bounces and suppresses.
    owner
        .query(SETTINGS, json!({ "i": { "fromName": "Cahier", "fromAddress": "news@cahier.example", "marketingCapPerWeek": 0 } }))
        .await;
    app.smtp
        .script_rcpt("a@cahier.example", &["451 4.3.0 try again later"])
        .await;
    app.smtp
        .script_rcpt("b@cahier.example", &["550 5.1.1 no such user"])
        .await;
    let third = campaign(&owner, &template, "Three", json!({})).await;
    send(third.clone()).await;
    let now = Utc::now();
    let r = run(&app, now, None).await;
    assert_eq!((r.sent, r.retried, r.bounced), (1, 1, 1), "{r:?}");
    let s = stats(&owner, &third).await;
    assert_eq!(
        (s["status"].as_str(), s["stats"]["queued"].as_i64()),
        (Some("SENDING"), Some(1)),
        "{s}"
    );
    // Not before its backoff...
    assert_eq!(run(&app, now, None).await.sent, 0);
    // ...then delivered, once.
    let r = run(&app, now + Duration::minutes(2), None).await;
    assert_eq!(r.sent, 1, "{r:?}");
    run(&app, now + Duration::minutes(2), None).await;
    let s = stats(&owner, &third).await;
    assert_eq!(
        (
            s["status"].as_str(),
            s["stats"]["sent"].as_i64(),
            s["stats"]["bounced"].as_i64()
        ),
        (Some("SENT"), Some(2), Some(1)),
        "{s}"
    );
    assert_eq!(
        app.smtp.to("a@cahier.example").await.len(),
        2,
        "campaigns one and three"
    );
    let list = owner
        .query("{ suppressions { email reason } }", json!({}))
        .await;
    assert_eq!(
        list["data"]["suppressions"],
        json!([{ "email": "b@cahier.example", "reason": "BOUNCED" }])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn scheduling_follows_the_brand_time_zone_and_states_are_guarded() {
    let app = spawn_app().await;
    let (brand, owner, template) = setup(&app, "encre", 5).await;
    member(&app, &brand, "x@encre.example", true).await;
    let id = campaign(&owner, &template, "Later", json!({})).await;
    // Tomorrow 09:00 in Paris.
    let paris = chrono_tz::Europe::Paris;
    let tomorrow = (Utc::now().with_timezone(&paris) + Duration::days(1)).date_naive();
    let local = tomorrow.and_time(NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default());
    let expected = paris
        .from_local_datetime(&local)
        .earliest()
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_else(Utc::now);
    let scheduled = owner
        .query("mutation($id: ID!, $at: NaiveDateTime!) { scheduleCampaign(id: $id, at: $at) { status scheduledAt } }",
            json!({ "id": id, "at": local.format("%Y-%m-%dT%H:%M:%S").to_string() }))
        .await;
    let at = scheduled["data"]["scheduleCampaign"]["scheduledAt"]
        .as_str()
        .unwrap_or_else(|| panic!("{scheduled}"));
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(at)
            .map(|d| d.with_timezone(&Utc))
            .ok(),
        Some(expected)
    );
    let past = owner
        .query("mutation($id: ID!, $at: NaiveDateTime!) { scheduleCampaign(id: $id, at: $at) { status } }", json!({ "id": id, "at": "2020-01-01T09:00:00" }))
        .await;
    assert_eq!(field_of(&past), "input.at", "{past}");
    // Not before its time; at its time, sent.
    assert_eq!(run(&app, Utc::now(), None).await.started, 0);
    assert!(app.smtp.to("x@encre.example").await.is_empty());
    let r = run(&app, expected + Duration::seconds(1), None).await;
    assert_eq!((r.started, r.sent), (1, 1), "{r:?}");

    // Pause, resume, cancel; a cancelled campaign cannot be sent; another brand's is NOT_FOUND.
    let other = campaign(&owner, &template, "Other", json!({})).await;
    let op = |name: &str| format!("mutation($id: ID!) {{ {name}(id: $id) {{ status }} }}");
    let paused = owner
        .query(&op("pauseCampaign"), json!({ "id": other }))
        .await;
    assert_eq!(
        code_of(&paused),
        "CONFLICT",
        "a draft cannot be paused: {paused}"
    );
    owner
        .query(&op("sendCampaign"), json!({ "id": other }))
        .await;
    let paused = owner
        .query(&op("pauseCampaign"), json!({ "id": other }))
        .await;
    assert_eq!(paused["data"]["pauseCampaign"]["status"], "PAUSED");
    assert_eq!(
        run(&app, Utc::now() + Duration::days(2), None)
            .await
            .started,
        0,
        "paused: not started"
    );
    let resumed = owner
        .query(&op("resumeCampaign"), json!({ "id": other }))
        .await;
    assert_eq!(resumed["data"]["resumeCampaign"]["status"], "SCHEDULED");
    let cancelled = owner
        .query(&op("cancelCampaign"), json!({ "id": other }))
        .await;
    assert_eq!(cancelled["data"]["cancelCampaign"]["status"], "CANCELLED");
    assert_eq!(
        code_of(
            &owner
                .query(&op("sendCampaign"), json!({ "id": other }))
                .await
        ),
        "CONFLICT"
    );
    let stranger = app.new_brand("plume").await;
    let foreign = app
        .as_token(&stranger.owner.access_token)
        .query(&op("cancelCampaign"), json!({ "id": other }))
        .await;
    assert_eq!(code_of(&foreign), "NOT_FOUND");
    // A transactional template cannot be a campaign's.
    let t = owner
        .query(TEMPLATE, json!({ "i": { "name": "Welcome", "purpose": "WELCOME", "subject": "Welcome", "text": "Hi" } }))
        .await;
    let welcome = t["data"]["createEmailTemplate"]["id"]
        .as_str()
        .unwrap_or_default();
    let bad = owner
        .query(
            CREATE,
            json!({ "i": { "name": "x", "templateId": welcome } }),
        )
        .await;
    assert_eq!(field_of(&bad), "input.templateId", "{bad}");
}

/// With a brand DKIM key, marketing mail is signed over the List-Unsubscribe headers too, and
/// transactional mail is signed; bad keys and foreign domains are refused.
#[tokio::test(flavor = "multi_thread")]
async fn mail_is_dkim_signed_over_the_unsubscribe_headers() {
    let app = spawn_app().await;
    let (brand, owner, template) = setup(&app, "sceau", 5).await;
    let set = "mutation($i: DkimKeyInput!) { setDkimKey(input: $i) { dkim { selector domain algorithm } } }";
    let key = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
    let bad = owner
        .query(set, json!({ "i": { "selector": "s1", "domain": "sceau.example", "algorithm": "ED25519", "privateKey": "not a key" } }))
        .await;
    assert_eq!(field_of(&bad), "input.privateKey", "{bad}");
    let foreign = owner
        .query(set, json!({ "i": { "selector": "s1", "domain": "other.example", "algorithm": "ED25519", "privateKey": key } }))
        .await;
    assert_eq!(field_of(&foreign), "input.domain", "{foreign}");
    let ok = owner
        .query(set, json!({ "i": { "selector": "s1", "domain": "sceau.example", "algorithm": "ED25519", "privateKey": key } }))
        .await;
    assert_eq!(
        ok["data"]["setDkimKey"]["dkim"],
        json!({ "selector": "s1", "domain": "sceau.example", "algorithm": "ED25519" }),
        "{ok}"
    );
    // Every field of the settings and of the key info: none holds the private key.
    let settings = crate::http::all_scalar_fields(&app, "MailSettings").await;
    let info = crate::http::all_scalar_fields(&app, "DkimInfo").await;
    let shown = owner
        .query(
            &format!("{{ mailSettings {{ {settings} dkim {{ {info} }} }} }}"),
            json!({}),
        )
        .await;
    assert!(shown["errors"].is_null(), "{shown}");
    assert_eq!(shown["data"]["mailSettings"]["dkim"]["selector"], "s1");
    assert!(
        !shown.to_string().contains(key),
        "the private key is never shown"
    );

    member(&app, &brand, "k@sceau.example", true).await;
    let id = campaign(&owner, &template, "Signed", json!({})).await;
    owner
        .query(
            "mutation($id: ID!) { sendCampaign(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    run(&app, Utc::now(), None).await;
    let mail = app.smtp.wait_for("k@sceau.example").await;
    let signature = mail
        .header("DKIM-Signature")
        .unwrap_or_else(|| panic!("{}", mail.data));
    let tags: std::collections::HashMap<String, String> = signature
        .split(';')
        .filter_map(|t| t.split_once('='))
        .map(|(k, v)| {
            (
                k.trim().to_owned(),
                v.split_whitespace().collect::<String>(),
            )
        })
        .collect();
    assert_eq!(
        tags.get("d").map(String::as_str),
        Some("sceau.example"),
        "{signature}"
    );
    assert_eq!(tags.get("s").map(String::as_str), Some("s1"));
    assert_eq!(tags.get("a").map(String::as_str), Some("ed25519-sha256"));
    // An independent verifier, given the public key as the receiver's DNS would: it passes,
    // still passes after a relay adds a header of its own, and fails on a tampered subject.
    let txt = crate::dkim::ed25519_txt(key);
    crate::dkim::verify(mail.data.as_bytes(), "sceau.example", "s1", &txt)
        .await
        .unwrap_or_else(|e| panic!("DKIM: {e}\n{}", mail.data));
    assert!(
        mail.header("Message-ID")
            .is_some_and(|id| id.ends_with("@sceau.example>")),
        "{}",
        mail.data
    );
    let relayed = crate::dkim::prepend(
        "Received: from mta.sceau.example by mx.example.org; Mon, 1 Jan 2024 00:00:00 +0000\r\n",
        mail.data.as_bytes(),
    );
    crate::dkim::verify(&relayed, "sceau.example", "s1", &txt)
        .await
        .unwrap_or_else(|e| panic!("DKIM after a relay: {e}"));
    // A relay adding its own Message-ID (Postfix does, for mail without one) appends a second
    // header: the signed one is still the first, and still verifies.
    let with_id = crate::dkim::prepend("Message-ID: <added@relay.example>\r\n", &relayed);
    crate::dkim::verify(&with_id, "sceau.example", "s1", &txt)
        .await
        .unwrap_or_else(|e| panic!("DKIM after a relay's Message-ID: {e}"));
    let tampered = mail.data.replacen("Subject: ", "Subject: FREE ", 1);
    assert!(
        crate::dkim::verify(tampered.as_bytes(), "sceau.example", "s1", &txt)
            .await
            .is_err(),
        "a tampered subject must fail"
    );
    let signed: Vec<String> = tags
        .get("h")
        .map(|h| h.split(':').map(str::to_ascii_lowercase).collect())
        .unwrap_or_default();
    for header in [
        "from",
        "subject",
        "list-unsubscribe",
        "list-unsubscribe-post",
    ] {
        assert!(
            signed.iter().any(|h| h == header),
            "{header} not signed: {signature}"
        );
    }
    // Transactional mail is signed too (no unsubscribe headers there).
    fidelis::engagement::transactional::run_once(
        &app.state.base,
        &app.state.links,
        &app.state.post,
        Utc::now(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e:?}"));
    let welcome = app
        .smtp
        .to("k@sceau.example")
        .await
        .into_iter()
        .find(|m| m.subject().starts_with("Bienvenue"))
        .unwrap_or_else(|| panic!("no welcome mail"));
    crate::dkim::verify(welcome.data.as_bytes(), "sceau.example", "s1", &txt)
        .await
        .unwrap_or_else(|e| panic!("DKIM of the welcome mail: {e}\n{}", welcome.data));
    assert!(
        welcome
            .header("DKIM-Signature")
            .is_some_and(|s| s.contains("d=sceau.example"))
    );
    // Removed: no longer signed.
    owner
        .query(
            "mutation { removeDkimKey { dkim { selector } } }",
            json!({}),
        )
        .await;
    let next = campaign(&owner, &template, "Unsigned", json!({})).await;
    owner
        .query(
            "mutation($id: ID!) { sendCampaign(id: $id) { status } }",
            json!({ "id": next }),
        )
        .await;
    run(&app, Utc::now(), None).await;
    let last = app.smtp.wait_for_count("k@sceau.example", 3).await;
    assert!(last.header("DKIM-Signature").is_none(), "{}", last.data);
}

/// Where the brand enables tracking: links go through a signed redirect and an open pixel is
/// added; opens and clicks are counted once per recipient; a forged redirect goes nowhere.
#[tokio::test(flavor = "multi_thread")]
async fn opens_and_clicks_are_counted_where_tracking_is_on() {
    let app = spawn_app().await;
    let (brand, owner, _) = setup(&app, "trace", 5).await;
    let plain = owner
        .query(TEMPLATE, json!({ "i": { "name": "Shop", "subject": "New in", "html": "<html><body><p>Hi {{ member.first_name }}</p><a href=\"https://shop.trace.example/new?a=1&b=2\">shop</a> <a href=\"{{ links.unsubscribe }}\">unsubscribe</a></body></html>" } }))
        .await;
    let template = plain["data"]["createEmailTemplate"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // Tracking off (the default): the mail is as written.
    member(&app, &brand, "u@trace.example", true).await;
    member(&app, &brand, "v@trace.example", true).await;
    let first = campaign(&owner, &template, "Untracked", json!({})).await;
    owner
        .query(
            "mutation($id: ID!) { sendCampaign(id: $id) { status } }",
            json!({ "id": first }),
        )
        .await;
    run(&app, Utc::now(), None).await;
    let untracked = app.smtp.wait_for("u@trace.example").await.text();
    assert!(
        untracked.contains("href=\"https://shop.trace.example/new?a=1&b=2\"")
            && !untracked.contains("/t/o/"),
        "{untracked}"
    );

    owner
        .query(SETTINGS, json!({ "i": { "fromName": "Trace", "fromAddress": "news@trace.example", "marketingCapPerWeek": 0, "tracking": true } }))
        .await;
    let id = campaign(&owner, &template, "Tracked", json!({})).await;
    owner
        .query(
            "mutation($id: ID!) { sendCampaign(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    run(&app, Utc::now(), None).await;
    let body = app.smtp.wait_for_count("u@trace.example", 2).await.text();
    let between = |from: &str| {
        body.find(from)
            .map(|at| body[at..].split('"').next().unwrap_or_default().to_owned())
            .unwrap_or_else(|| panic!("no {from} in {body}"))
    };
    // Links point at the public URL; the test server listens elsewhere.
    let pixel = app.url(&between("/t/o/"));
    let click = app.url(&between("/t/c/"));
    assert!(
        body.contains("unsubscribe?token="),
        "the unsubscribe link is left as is"
    );
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    for _ in 0..2 {
        let r = http
            .get(&pixel)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            r.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("image/gif")
        );
    }
    let r = http
        .get(&click)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(r.status().is_redirection(), "{}", r.status());
    assert_eq!(
        r.headers().get("location").and_then(|v| v.to_str().ok()),
        Some("https://shop.trace.example/new?a=1&b=2")
    );
    // The same token pointed elsewhere is refused: no open redirect.
    let forged = format!(
        "{}?u=https%3A%2F%2Fevil.example%2F",
        click.split('?').next().unwrap_or_default()
    );
    let r = http
        .get(&forged)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status().as_u16(), 404);
    let s = owner
        .query(
            "query($id: ID!) { campaign(id: $id) { stats { sent opened clicked } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        s["data"]["campaign"]["stats"],
        json!({ "sent": 2, "opened": 1, "clicked": 1 }),
        "{s}"
    );
}

/// A brand's rate limit holds across passes of the worker: no more than its sends per minute.
#[tokio::test(flavor = "multi_thread")]
async fn the_brand_rate_limit_spreads_a_campaign_over_minutes() {
    let app = spawn_app().await;
    let (brand, owner, template) = setup(&app, "lent", 0).await;
    owner
        .query(SETTINGS, json!({ "i": { "fromName": "Lent", "fromAddress": "news@lent.example", "marketingCapPerWeek": 0, "sendRatePerMinute": 2 } }))
        .await;
    for i in 0..5 {
        member(&app, &brand, &format!("r{i}@lent.example"), true).await;
    }
    let id = campaign(&owner, &template, "Slow", json!({})).await;
    owner
        .query(
            "mutation($id: ID!) { sendCampaign(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    let now = Utc::now();
    assert_eq!(run(&app, now, None).await.sent, 2);
    assert_eq!(
        run(&app, now + Duration::seconds(30), None).await.sent,
        0,
        "same minute"
    );
    assert_eq!(run(&app, now + Duration::seconds(61), None).await.sent, 2);
    assert_eq!(run(&app, now + Duration::seconds(122), None).await.sent, 1);
    let s = stats(&owner, &id).await;
    assert_eq!(
        (s["status"].as_str(), s["stats"]["sent"].as_i64()),
        (Some("SENT"), Some(5)),
        "{s}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_control_group_is_held_out_and_the_uplift_is_measured_against_it() {
    let app = spawn_app().await;
    let (brand, owner, template) = setup(&app, "temoin", 5).await;
    let mut cards = Vec::new();
    for i in 0..10 {
        let (_, card) = app
            .enroll(&brand, json!({ "email": format!("m{i}@temoin.example"), "emailConsent": true, "consentSource": "form" }))
            .await;
        cards.push((format!("m{i}@temoin.example"), card));
    }
    // More than half held out is refused.
    let r = owner
        .query(
            CREATE,
            json!({ "i": { "name": "x", "templateId": template, "holdoutPercent": 60 } }),
        )
        .await;
    assert_eq!(field_of(&r), "input.holdoutPercent", "{r}");
    let r = owner
        .query(
            CREATE,
            json!({ "i": { "name": "Soldes", "templateId": template, "holdoutPercent": 20 } }),
        )
        .await;
    let id = r["data"]["createCampaign"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_owned();
    owner
        .query(
            "mutation($id: ID!) { sendCampaign(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    let started = app.now();
    run(&app, started, None).await;
    run(&app, started, None).await;
    // 20 % of the 10: exactly 2 held out, drawn at random, never mailed; 8 mailed.
    let s = owner
        .query(
            "query($id: ID!) { campaign(id: $id) { holdoutPercent stats { sent heldOut } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        s["data"]["campaign"],
        json!({ "holdoutPercent": 20, "stats": { "sent": 8, "heldOut": 2 } }),
        "{s}"
    );
    let mut mailed = Vec::new();
    let mut control = Vec::new();
    for (email, card) in &cards {
        if app.smtp.to(email).await.is_empty() {
            control.push(card.clone());
        } else {
            mailed.push(card.clone());
        }
    }
    assert_eq!((mailed.len(), control.len()), (8, 2));
    let buy = |card: String, total: i64, at: Option<chrono::DateTime<Utc>>| {
        let owner = app.as_token(&brand.owner.access_token);
        async move {
            let r = owner
                .query(
                    "mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { purchase { id } } }",
                    json!({ "i": { "cardNumber": card, "currency": "EUR", "totalMinor": total, "occurredAt": at.map(|t| t.to_rfc3339()) } }),
                )
                .await;
            assert!(r["data"]["recordPurchase"].is_object(), "{r}");
        }
    };
    // Before the campaign: not counted.
    buy(mailed[7].clone(), 9_000, Some(started - Duration::days(1))).await;
    // Since: six of the mailed buy 20.00, one of them 30.00 more; one of the control 10.00.
    for card in &mailed[..6] {
        buy(card.clone(), 2_000, None).await;
    }
    buy(mailed[0].clone(), 3_000, None).await;
    buy(control[0].clone(), 1_000, None).await;
    // By hand: mailed 6 ÷ 8 = 75 %, control 1 ÷ 2 = 50 %: uplift 25 points; its margin
    // (Agresti–Caffo: 7 ÷ 10 and 2 ÷ 4) ± 1.96 × √(0.7 × 0.3 ÷ 10 + 0.5 × 0.5 ÷ 4) = ± 0.5664
    // (56.64 points: too few members to tell);
    // revenue 150.00 ÷ 8 = 18.75 and 10.00 ÷ 2 = 5.00 per member; incremental
    // (150.00 × 2 − 10.00 × 8) ÷ 2 = 110.00.
    let r = owner
        .query(
            "query($id: ID!) { campaign(id: $id) { results(days: 30) { mailed mailedBuyers mailedPurchases mailedRevenueMinor mailedConversionBp mailedRevenuePerMemberMinor control controlBuyers controlPurchases controlRevenueMinor controlConversionBp controlRevenuePerMemberMinor upliftBp upliftMarginBp incrementalRevenueMinor } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        r["data"]["campaign"]["results"],
        json!({ "mailed": 8, "mailedBuyers": 6, "mailedPurchases": 7, "mailedRevenueMinor": 15_000,
            "mailedConversionBp": 7_500, "mailedRevenuePerMemberMinor": 1_875, "control": 2,
            "controlBuyers": 1, "controlPurchases": 1, "controlRevenueMinor": 1_000,
            "controlConversionBp": 5_000, "controlRevenuePerMemberMinor": 500, "upliftBp": 2_500,
            "upliftMarginBp": 5_664, "incrementalRevenueMinor": 11_000 }),
        "{r}"
    );
    let r = owner
        .query(
            "query($id: ID!) { campaign(id: $id) { results(days: 0) { mailed } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(code_of(&r), "VALIDATION", "{r}");
}

#[tokio::test(flavor = "multi_thread")]
async fn results_count_every_member_chosen_to_be_mailed_even_when_the_campaign_is_cancelled() {
    let app = spawn_app().await;
    let (brand, owner, template) = setup(&app, "annule", 5).await;
    for i in 0..10 {
        member(&app, &brand, &format!("m{i}@annule.example"), true).await;
    }
    let r = owner
        .query(
            CREATE,
            json!({ "i": { "name": "Annulée", "templateId": template, "holdoutPercent": 20 } }),
        )
        .await;
    let id = r["data"]["createCampaign"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_owned();
    owner
        .query(
            "mutation($id: ID!) { sendCampaign(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    // Three mails go out, then the campaign is cancelled: the five left are skipped.
    let report = run(&app, app.now(), Some(3)).await;
    assert_eq!(report.sent, 3, "{report:?}");
    let c = owner
        .query(
            "mutation($id: ID!) { cancelCampaign(id: $id) { stats { sent skipped heldOut } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        c["data"]["cancelCampaign"]["stats"],
        json!({ "sent": 3, "skipped": 5, "heldOut": 2 }),
        "{c}"
    );
    // Intention to treat: the eight chosen to be mailed stay the mailed group.
    let r = owner
        .query(
            "query($id: ID!) { campaign(id: $id) { results { mailed control } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        r["data"]["campaign"]["results"],
        json!({ "mailed": 8, "control": 2 }),
        "{r}"
    );
}
