//! Platform mails (verification, reset, invitation, member access) go through the mail queue:
//! queued with their link in one transaction, sent after commit, and sent by the worker when
//! the first attempt could not (mail server saying "later", a sender that stopped mid-way).
//! Their bodies, which carry one-time links, are not kept once sent or given up.

use chrono::Duration;
use fidelis::server::{jobs, jobs::Cadence};
use fidelis_tests::{PASSWORD, TestApp, spawn_app};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

const SIGN_UP: &str =
    "mutation($input: SignUpBrandInput!) { signUpBrand(input: $input) { brand { id } } }";

/// The queue's rows for `recipient`: (status, attempts, reason, text is empty, html is empty).
async fn rows(app: &TestApp, recipient: &str) -> Vec<(String, i32, Option<String>, bool, bool)> {
    let backend = app.state.base.db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => {
            "SELECT status, attempts, reason, text, html FROM outbox_mail WHERE recipient = $1 ORDER BY created_at"
        }
        _ => {
            "SELECT status, attempts, reason, text, html FROM outbox_mail WHERE recipient = ? ORDER BY created_at"
        }
    };
    app.state
        .base
        .db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [recipient.into()],
        ))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .iter()
        .map(|r| {
            let s = |c: &str| r.try_get::<String>("", c).unwrap_or_else(|e| panic!("{e}"));
            (
                s("status"),
                r.try_get::<i32>("", "attempts")
                    .unwrap_or_else(|e| panic!("{e}")),
                r.try_get::<Option<String>>("", "reason")
                    .unwrap_or_else(|e| panic!("{e}")),
                s("text").is_empty(),
                s("html").is_empty(),
            )
        })
        .collect()
}

async fn mail_pass(app: &TestApp) {
    for (name, outcome) in jobs::run_all(&app.state, app.now(), Some(Cadence::Mail)).await {
        assert!(outcome.is_ok(), "{name}: {outcome:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_verification_mail_the_server_defers_is_sent_by_the_worker_and_its_link_still_works() {
    let app = spawn_app().await;
    let email = "owner@plus-tard.example";
    app.smtp
        .script_rcpt(email, &["451 4.3.0 try again later"])
        .await;
    let r = app
        .anonymous()
        .query(
            SIGN_UP,
            json!({ "input": { "brandName": "Plus tard", "slug": "plus-tard", "ownerEmail": email,
                "ownerPassword": PASSWORD, "currency": "EUR", "timezone": "Europe/Paris" } }),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    // The first attempt was deferred: nothing arrived, the mail waits with its reason.
    assert!(app.smtp.to(email).await.is_empty());
    let queued = rows(&app, email).await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    let (status, attempts, reason, text_empty, _) = &queued[0];
    assert_eq!((status.as_str(), *attempts), ("QUEUED", 1), "{queued:?}");
    assert!(
        reason.as_deref().is_some_and(|r| r.contains("451")),
        "{queued:?}"
    );
    assert!(!text_empty, "the link is kept until the mail leaves");
    // Not before its retry time...
    mail_pass(&app).await;
    assert!(app.smtp.to(email).await.is_empty());
    // ...then once.
    app.clock().advance(Duration::seconds(61));
    mail_pass(&app).await;
    mail_pass(&app).await;
    let received = app.smtp.to(email).await;
    assert_eq!(received.len(), 1);
    let sent = rows(&app, email).await;
    assert_eq!(
        sent,
        vec![("SENT".to_owned(), 2, None, true, true)],
        "sent, bodies cleared"
    );
    let token = received[0]
        .link_token("/verify-email")
        .unwrap_or_else(|| panic!("no link in {}", received[0].text()));
    let v = app
        .anonymous()
        .query(
            "mutation($t: String!) { verifyEmail(token: $t) { emailVerified } }",
            json!({ "t": token }),
        )
        .await;
    assert_eq!(v["data"]["verifyEmail"]["emailVerified"], true, "{v}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mail_whose_sender_stopped_mid_way_is_sent_once_after_its_lease() {
    let app = spawn_app().await;
    let brand = app.new_brand("relais").await;
    let email = "nouveau@relais.example";
    // The server says "later" to the invitation: it waits in the queue.
    app.smtp.script_rcpt(email, &["421 4.7.0 busy"]).await;
    let owner = app.as_token(&brand.owner.access_token);
    let r = owner
        .query(
            "mutation($i: InviteUserInput!) { inviteUser(input: $i) { id } }",
            json!({ "i": { "email": email, "role": "BRAND_STAFF" } }),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    assert_eq!(rows(&app, email).await[0].0, "QUEUED");
    // A sender takes it at its retry time and stops before saying how it went.
    app.clock().advance(Duration::seconds(61));
    let due = fidelis::core::mail::store::due(&app.state.base.db, &["QUEUED"], app.now(), 10)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let row = due
        .iter()
        .find(|m| m.recipient == email)
        .unwrap_or_else(|| panic!("{due:?}"));
    let lease_end = app.now() + Duration::minutes(2);
    assert!(
        fidelis::core::mail::store::claim(&app.state.base.db, row, "SENDING", lease_end)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    );
    // While the lease runs nobody else sends it; when it ends, two workers at once send it once.
    mail_pass(&app).await;
    assert!(app.smtp.to(email).await.is_empty());
    app.clock().advance(Duration::minutes(2));
    let (a, b) = tokio::join!(
        jobs::run_all(&app.state, app.now(), Some(Cadence::Mail)),
        jobs::run_all(&app.state, app.now(), Some(Cadence::Mail)),
    );
    for (name, outcome) in a.into_iter().chain(b) {
        assert!(outcome.is_ok(), "{name}: {outcome:?}");
    }
    let received = app.smtp.to(email).await;
    assert_eq!(received.len(), 1);
    assert!(received[0].link_token("/accept-invitation").is_some());
    assert_eq!(
        rows(&app, email).await,
        vec![("SENT".to_owned(), 3, None, true, true)]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_mail_is_given_up_with_its_reason_and_its_link_dropped() {
    let app = spawn_app().await;
    let brand = app.new_brand("refus").await;
    let email = "nobody@refus.example";
    app.smtp
        .script_rcpt(email, &["550 5.1.1 no such user"])
        .await;
    let owner = app.as_token(&brand.owner.access_token);
    let r = owner
        .query(
            "mutation($i: InviteUserInput!) { inviteUser(input: $i) { id } }",
            json!({ "i": { "email": email, "role": "BRAND_STAFF" } }),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let given_up = rows(&app, email).await;
    assert_eq!(given_up.len(), 1, "{given_up:?}");
    let (status, attempts, reason, text_empty, html_empty) = &given_up[0];
    assert_eq!((status.as_str(), *attempts), ("FAILED", 1));
    assert!(reason.as_deref().is_some_and(|r| r.contains("550")));
    assert!(*text_empty && *html_empty);
    // Never tried again.
    app.clock().advance(Duration::hours(2));
    mail_pass(&app).await;
    assert!(app.smtp.to(email).await.is_empty());
    assert_eq!(rows(&app, email).await[0].1, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_member_access_mail_is_retried_from_the_brand_sender() {
    let app = spawn_app().await;
    let brand = app.new_brand("acces").await;
    let email = "lea@acces.example";
    app.enroll(&brand, json!({ "email": email })).await;
    app.smtp.script_rcpt(email, &["451 4.3.0 later"]).await;
    let r = app
        .anonymous()
        .query(
            "mutation($i: RequestMemberAccessInput!) { requestMemberAccess(input: $i) }",
            json!({ "i": { "brandSlug": "acces", "email": email } }),
        )
        .await;
    assert_eq!(r["data"]["requestMemberAccess"], true, "{r}");
    assert_eq!(rows(&app, email).await[0].0, "QUEUED");
    app.clock().advance(Duration::seconds(61));
    mail_pass(&app).await;
    // (The same pass sends the welcome mail too.)
    let received = app.smtp.to(email).await;
    let access: Vec<_> = received
        .iter()
        .filter(|m| m.link_token("/set-password").is_some())
        .collect();
    assert_eq!(access.len(), 1, "{received:?}");
    let mail = access[0];
    let from = mail.header("From").unwrap_or_default();
    assert!(from.contains("Brand acces"), "{from}");
    assert_eq!(rows(&app, email).await[0].0, "SENT");
}
