//! The job registry, run twice at once over work for every job: each lot expires once, each
//! birthday bonus is given once, each tier review happens once, each coalition card expires
//! once, each campaign and transactional mail goes once.

use chrono::{Datelike, Duration};
use fidelis::server::{jobs, jobs::Cadence};
use fidelis_tests::{CREATE_PROGRAM, PASSWORD, RECORD_PURCHASE, TestBrand, spawn_app};
use serde_json::{Value, json};

use crate::settlement::{EARN, coalition, join};

#[tokio::test(flavor = "multi_thread")]
async fn two_runs_of_the_whole_registry_at_once_do_each_thing_once() {
    let app = spawn_app().await;
    let (a, b, c) = (
        app.new_brand("tache-a").await,
        app.new_brand("tache-b").await,
        app.new_brand("tache-c").await,
    );
    let owner = app.as_token(&a.owner.access_token);
    let r = owner
        .query(CREATE_PROGRAM, json!({ "i": { "name": "Club", "rules": { "points": { "validityMonths": 12, "birthdayBonus": 50,
            "tiers": { "baseName": "Bleu", "windowMonths": 12, "levels": [{ "name": "Argent", "threshold": 100 }] } } } } }))
        .await;
    assert!(r["errors"].is_null(), "{r}");
    // Work that falls due in 13 months: a lot that expires, a tier to review, a coalition card
    // that lies idle past its two months.
    let (old, old_card) = app
        .enroll(&a, json!({ "email": "ancien@tache.example" }))
        .await;
    let r = owner
        .query(
            RECORD_PURCHASE,
            json!({ "i": { "cardNumber": old_card, "totalMinor": 150_000, "currency": "EUR" } }),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let co = coalition(&app, &a, &b, &c).await;
    let coalition_card = join(&app, &a, &co.id, "carte@tache.example", "C", &[]).await;
    owner
        .query(EARN, json!({ "i": { "coalitionId": co.id, "cardNumber": coalition_card, "amountMinor": 4_200 } }))
        .await;
    app.clock().advance(Duration::days(395));
    let a = TestBrand {
        owner: app.login(&a.owner.email, PASSWORD).await,
        ..a
    };
    let owner = app.as_token(&a.owner.access_token);
    // Work of today: a member whose birthday it is (welcome and birthday mails), a campaign.
    let today = app
        .now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive();
    let born = today
        .with_year(today.year() - 30)
        .unwrap_or(today - Duration::days(365 * 30));
    let (fete, _) = app
        .enroll(&a, json!({ "email": "fete@tache.example", "birthDate": born.to_string(), "emailConsent": true, "consentSource": "form" }))
        .await;
    let t = owner
        .query(
            "mutation($i: EmailTemplateInput!) { createEmailTemplate(input: $i) { id } }",
            json!({ "i": { "name": "N", "subject": "Nouvelles", "text": "Bonjour" } }),
        )
        .await;
    let campaign = owner
        .query(
            "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id } }",
            json!({ "i": { "name": "C", "templateId": t["data"]["createEmailTemplate"]["id"] } }),
        )
        .await["data"]["createCampaign"]["id"]
        .clone();
    owner
        .query(
            "mutation($id: ID!) { sendCampaign(id: $id) { status } }",
            json!({ "id": campaign }),
        )
        .await;

    let now = app.now();
    let (one, two) = tokio::join!(
        jobs::run_all(&app.state, now, None),
        jobs::run_all(&app.state, now, None)
    );
    for (name, result) in one.iter().chain(&two) {
        assert!(result.is_ok(), "{name}: {result:?}");
    }
    // A second pass of the mail jobs sends what the first pass queued (birthday mail).
    let (three, four) = tokio::join!(
        jobs::run_all(&app.state, app.now(), Some(Cadence::Mail)),
        jobs::run_all(&app.state, app.now(), Some(Cadence::Mail))
    );
    for (name, result) in three.iter().chain(&four) {
        assert!(result.is_ok(), "{name}: {result:?}");
    }

    let kinds = |member: &str| {
        let owner = owner.clone();
        let member = member.to_owned();
        async move {
            let r = owner
                .query(
                    "query($id: ID!) { member(id: $id) { points { available } history(first: 50) { edges { node { kind } } } tiers { history { reason } } } }",
                    json!({ "id": member }),
                )
                .await;
            r["data"]["member"].clone()
        }
    };
    let count = |m: &Value, kind: &str| {
        m["history"]["edges"].as_array().map_or(0, |e| {
            e.iter().filter(|e| e["node"]["kind"] == kind).count()
        })
    };
    let o = kinds(&old).await;
    assert_eq!(count(&o, "EXPIRE"), 1, "{o}");
    assert_eq!(o["points"][0]["available"], 0, "{o}");
    let reviews: Vec<&str> = o["tiers"][0]["history"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["reason"].as_str())
        .collect();
    assert_eq!(reviews, ["UPGRADE", "DOWNGRADE"], "{o}");
    let f = kinds(&fete).await;
    assert_eq!(count(&f, "BONUS"), 1, "{f}");
    assert_eq!(f["points"][0]["available"], 50, "{f}");
    // The operator signs in again too (13 months have passed).
    let operator = app.as_token(
        &app.login("operator@coalition.test", PASSWORD)
            .await
            .access_token,
    );
    let card = operator
        .query(
            "query($c: ID!, $n: String!) { coalitionCard(coalitionId: $c, cardNumber: $n) { balance movements { kind } } }",
            json!({ "c": co.id, "n": coalition_card }),
        )
        .await;
    let expiries = card["data"]["coalitionCard"]["movements"]
        .as_array()
        .map_or(0, |m| m.iter().filter(|m| m["kind"] == "EXPIRY").count());
    assert_eq!(expiries, 1, "{card}");
    let mails: Vec<String> = app
        .smtp
        .to("fete@tache.example")
        .await
        .iter()
        .map(|m| m.subject())
        .collect();
    assert_eq!(mails.len(), 3, "{mails:?}");
    for start in ["Bienvenue", "Nouvelles", "Joyeux anniversaire"] {
        assert_eq!(
            mails.iter().filter(|s| s.starts_with(start)).count(),
            1,
            "{start}: {mails:?}"
        );
    }
    assert!(app.db_verify_ledger().await.is_sound());
}
