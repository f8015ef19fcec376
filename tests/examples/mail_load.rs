//! Mail benchmark: one campaign to every member of a brand (MAIL_MEMBERS, 100 000, all with
//! e-mail consent), delivered by the campaign worker over real SMTP to the in-process sink.
//! Prints how long the start (audience + recipient rows) took and the delivery rate. Asserts
//! nothing but that every member got exactly one mail (figures, not a timed test).
//!
//! ```text
//! cargo run --release -p fidelis-tests --example mail_load                  # SQLite in /tmp
//! MAIL_DB_URL=postgres://postgres@127.0.0.1:5432/fidelis_mail_load \
//!   cargo run --release -p fidelis-tests --example mail_load                # PostgreSQL
//! ```
#![expect(
    clippy::disallowed_methods,
    reason = "the benchmark seeds its own database directly"
)]

use std::time::Instant;

use chrono::Utc;
use entity::{brand, member, user_account};
use fidelis::{core::config::Config, server::App};
use fidelis_tests::SmtpSink;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, TransactionTrait};
use secrecy::SecretString;
use serde_json::{Value, json};
use uuid::Uuid;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let members: u64 = std::env::var("MAIL_MEMBERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let url = std::env::var("MAIL_DB_URL").unwrap_or_else(|_| {
        let path = std::env::temp_dir().join("fidelis-mail-load.db");
        let _ = std::fs::remove_file(&path);
        format!("sqlite://{}?mode=rwc", path.display())
    });
    if let Some((server, name)) = url.rsplit_once('/')
        && url.starts_with("postgres")
    {
        let admin = sea_orm::Database::connect(format!("{server}/postgres")).await?;
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
            .await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
    }
    let sink = SmtpSink::start().await;
    let mut config = Config::defaults();
    config.bind = "127.0.0.1:0".parse()?;
    config.database_url = url.clone();
    config.jobs_interval_secs = 0;
    config.smtp_url = Some(SecretString::from(format!("smtp://{}", sink.addr)));
    if std::env::var_os("MAIL_OUTBOX").is_some() {
        config.smtp_url = None;
        config.outbox_dir = std::env::temp_dir().join("fidelis-mail-outbox");
    }
    let db = fidelis::core::db::connect_and_migrate(&config).await?;

    // One brand, its owner, `members` members with e-mail consent.
    let started = Instant::now();
    let now = Utc::now();
    let tenant = Uuid::now_v7();
    let owner = Uuid::now_v7();
    let tx = db.begin().await?;
    brand::Entity::insert(brand::ActiveModel {
        id: Set(tenant),
        slug: Set("mail-bench".to_owned()),
        name: Set("Mail bench".to_owned()),
        currency: Set("EUR".to_owned()),
        timezone: Set("Europe/Paris".to_owned()),
        locale: Set("fr-FR".to_owned()),
        status: Set(brand::BrandStatus::Active),
        suspended_reason: Set(None),
        accent_color: Set(None),
        offer_cap_percent: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec(&tx)
    .await?;
    user_account::Entity::insert(user_account::ActiveModel {
        id: Set(owner),
        tenant_id: Set(Some(tenant)),
        email: Set("owner@mail-bench.example".to_owned()),
        display_name: Set(None),
        password_hash: Set("unused".to_owned()),
        role: Set(user_account::Role::BrandOwner),
        status: Set(user_account::UserStatus::Active),
        email_verified_at: Set(Some(now)),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec(&tx)
    .await?;
    // Enrolled long ago, so the welcome mail (a transactional job not run here) is moot.
    let enrolled = now - chrono::Duration::days(30);
    for chunk in (0..members).collect::<Vec<_>>().chunks(1_000) {
        member::Entity::insert_many(chunk.iter().map(|m| member::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tenant),
            email: Set(Some(format!("m{m}@mail-bench.example"))),
            phone: Set(None),
            first_name: Set(Some(format!("Member {m}"))),
            last_name: Set(None),
            birth_date: Set(None),
            preferred_store: Set(None),
            email_consent: Set(true),
            email_consent_at: Set(Some(enrolled)),
            email_consent_source: Set(Some("bench".to_owned())),
            sms_consent: Set(false),
            sms_consent_at: Set(None),
            sms_consent_source: Set(None),
            attributes: Set(json!({})),
            enrolled_via: Set(member::EnrolmentChannel::Staff),
            password_hash: Set(None),
            sessions_valid_after: Set(None),
            household_id: Set(None),
            created_at: Set(enrolled),
            updated_at: Set(enrolled),
        }))
        .exec(&tx)
        .await?;
    }
    tx.commit().await?;
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        db.execute_unprepared("ANALYZE").await?;
    }
    println!(
        "database {}: {members} members seeded in {:.1} s",
        url.split('@').next_back().unwrap_or(&url),
        started.elapsed().as_secs_f64()
    );

    let app = App::build_with_db(config, db.clone()).await?;
    let addr = app.local_addr()?;
    let state = app.state();
    tokio::spawn(app.run_until(std::future::pending()));
    let token = state
        .auth
        .jwt
        .issue(owner, user_account::Role::BrandOwner, Some(tenant), None)
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let http = reqwest::Client::new();
    let gql = |query: &'static str, variables: Value| {
        let (http, token) = (http.clone(), token.clone());
        let url = format!("http://{addr}/graphql");
        async move {
            let r: Value = http
                .post(url)
                .bearer_auth(token)
                .json(&json!({ "query": query, "variables": variables }))
                .send()
                .await?
                .json()
                .await?;
            anyhow::Ok(r)
        }
    };
    gql("mutation($i: MailSettingsInput!) { updateMailSettings(input: $i) { saved } }",
        json!({ "i": { "fromName": "Mail bench", "fromAddress": "news@mail-bench.example", "sendRatePerMinute": 100000, "marketingCapPerWeek": 0 } })).await?;
    let t = gql("mutation($i: EmailTemplateInput!) { createEmailTemplate(input: $i) { id } }",
        json!({ "i": { "name": "Bench", "subject": "Hello {{ member.first_name }}", "html": "<p>Hello {{ member.first_name }}, you have {{ points.balance }} points.</p><a href=\"{{ links.unsubscribe }}\">unsubscribe</a>", "text": "Hello {{ member.first_name }} - unsubscribe: {{ links.unsubscribe }}" } })).await?;
    let c = gql(
        "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id } }",
        json!({ "i": { "name": "Bench", "templateId": t["data"]["createEmailTemplate"]["id"] } }),
    )
    .await?;
    let id = c["data"]["createCampaign"]["id"].clone();
    gql(
        "mutation($id: ID!) { sendCampaign(id: $id) { status } }",
        json!({ "id": id }),
    )
    .await?;

    // Start (audience evaluation + recipient rows), then delivery passes until all are sent.
    // Each pass is a minute's budget of the brand's rate (100 000/min): the clock is advanced
    // by a minute per pass so the benchmark measures the worker, not the configured rate.
    let err = |e: fidelis::core::error::AppError| anyhow::anyhow!("{e:?}");
    let mut clock = Utc::now();
    let t0 = Instant::now();
    let first = fidelis::engagement::campaigns::run_once(
        &state.base,
        &state.links,
        &state.post,
        clock,
        Some(0),
    )
    .await
    .map_err(err)?;
    let start_secs = t0.elapsed().as_secs_f64();
    println!(
        "campaign start (audience of {members}, recipient rows): {start_secs:.1} s ({first:?})"
    );
    let t1 = Instant::now();
    let mut sent = 0;
    loop {
        clock += chrono::Duration::seconds(61);
        let r = fidelis::engagement::campaigns::run_once(
            &state.base,
            &state.links,
            &state.post,
            clock,
            None,
        )
        .await
        .map_err(err)?;
        sent += r.sent;
        if r.finished > 0 || (r.sent == 0 && r.retried == 0) {
            break;
        }
    }
    let secs = t1.elapsed().as_secs_f64();
    let received = sink.all().await.len() as u64;
    println!(
        "delivered {sent} mails in {secs:.1} s: {:.0} mails/s over SMTP to the local sink ({received} received)",
        sent as f64 / secs
    );
    anyhow::ensure!(
        received == members,
        "expected {members} mails, the sink got {received}"
    );
    Ok(())
}
