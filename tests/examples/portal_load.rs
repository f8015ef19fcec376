//! The portal's pages on a large brand: seeds one brand with `PORTAL_MEMBERS` members (100 000;
//! enrolled over the past year) and `PORTAL_PURCHASES` purchases (20 000 over the past 30 days,
//! 70 % by members, recorded through `recordPurchase` so the ledger is real), then requests
//! each main page `PORTAL_RUNS` times (30) as the brand's owner and prints the server's time
//! to answer (p50, p95, max) and the page's weight. Figures, not a timed test.
//!
//! ```text
//! cargo run --release -p fidelis-tests --example portal_load                 # SQLite
//! PORTAL_DB_URL=postgres://postgres@127.0.0.1:5432/fidelis_portal_load \
//!   cargo run --release -p fidelis-tests --example portal_load               # PostgreSQL
//! ```
#![expect(
    clippy::disallowed_methods,
    reason = "the benchmark seeds its own database directly"
)]

use std::time::{Duration, Instant};

use chrono::Utc;
use entity::{brand, card, member, program, program_rule, user_account};
use fidelis::{
    core::config::Config,
    loyalty::{members::luhn_digit, programs},
    server::App,
};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect, Statement, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

const TENANT: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0b0b);
const OWNER: Uuid = Uuid::from_u128(0x0190_0000_0002_7000_8000_0000_0000_0b0b);
const PROGRAM: Uuid = Uuid::from_u128(0x0190_0000_0001_7000_8000_0000_0000_0b0b);

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn card_number(member: u64) -> String {
    let body = format!("8{member:014}");
    format!("{body}{}", luhn_digit(&body))
}

async fn seed_members(db: &DatabaseConnection, members: u64) -> anyhow::Result<()> {
    let have = member::Entity::find()
        .filter(sea_orm::ColumnTrait::eq(&member::Column::TenantId, TENANT))
        .count(db)
        .await?;
    if have >= members {
        println!("seed: reusing {have} members");
        return Ok(());
    }
    let started = Instant::now();
    let now = Utc::now();
    let hash = fidelis::core::auth::password::hash("bench password of the portal".to_owned())
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let rules = serde_json::to_value(programs::Rules::Points(programs::PointsRules {
        points: 1,
        per_amount_minor: 100,
        rounding: programs::Rounding::Down,
        earning_base: programs::EarningBase::NetOfDiscounts,
        minimum_purchase_minor: 0,
        category_multipliers: vec![],
        bonus_periods: vec![],
        welcome_bonus: 0,
        birthday_bonus: 0,
        validity_months: 12,
        point_value_minor: 1,
        minimum_redemption_points: 100,
        tiers: None,
    }))?;
    let tx = db.begin().await?;
    brand::Entity::insert(brand::ActiveModel {
        id: Set(TENANT),
        slug: Set("portal-bench".to_owned()),
        name: Set("Portal Bench".to_owned()),
        currency: Set("EUR".to_owned()),
        timezone: Set("Europe/Paris".to_owned()),
        locale: Set("fr-FR".to_owned()),
        status: Set(brand::BrandStatus::Active),
        suspended_reason: Set(None),
        accent_color: Set(None),
        offer_cap_percent: Set(None),
        created_at: Set(now - chrono::Duration::days(400)),
        updated_at: Set(now),
    })
    .exec(&tx)
    .await?;
    user_account::Entity::insert(user_account::ActiveModel {
        id: Set(OWNER),
        tenant_id: Set(Some(TENANT)),
        email: Set("owner@portal-bench.example".to_owned()),
        display_name: Set(None),
        password_hash: Set(hash),
        role: Set(user_account::Role::BrandOwner),
        status: Set(user_account::UserStatus::Active),
        email_verified_at: Set(Some(now)),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec(&tx)
    .await?;
    program::Entity::insert(program::ActiveModel {
        id: Set(PROGRAM),
        tenant_id: Set(TENANT),
        name: Set("Points".to_owned()),
        mechanic: Set(program::Mechanic::Points),
        status: Set(program::ProgramStatus::Active),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec(&tx)
    .await?;
    program_rule::Entity::insert(program_rule::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(TENANT),
        program_id: Set(PROGRAM),
        effective_from: Set(now - chrono::Duration::days(400)),
        rules: Set(rules),
        created_by: Set(None),
        created_at: Set(now),
    })
    .exec(&tx)
    .await?;
    tx.commit().await?;
    // One transaction per thousand members: PostgreSQL plans the cards' foreign-key checks on
    // what it sees committed, and a single huge transaction makes each check a scan.
    for chunk in (0..members).collect::<Vec<_>>().chunks(1_000) {
        let tx = db.begin().await?;
        let ids: Vec<Uuid> = chunk.iter().map(|_| Uuid::now_v7()).collect();
        member::Entity::insert_many(chunk.iter().zip(&ids).map(|(m, id)| {
            // Enrolled over the past year.
            let enrolled = now - chrono::Duration::minutes((*m * 5 % 525_600) as i64);
            member::ActiveModel {
                id: Set(*id),
                tenant_id: Set(TENANT),
                email: Set(Some(format!("m{m}@portal-bench.example"))),
                phone: Set(None),
                first_name: Set(Some(format!("Member {m}"))),
                last_name: Set(None),
                birth_date: Set(None),
                preferred_store: Set(None),
                email_consent: Set(m % 2 == 0),
                email_consent_at: Set(None),
                email_consent_source: Set(None),
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
            }
        }))
        .exec(&tx)
        .await?;
        card::Entity::insert_many(chunk.iter().zip(&ids).map(|(m, id)| {
            let number = card_number(*m);
            card::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(TENANT),
                member_id: Set(*id),
                payload: Set(format!("FIDELIS:{number}")),
                number: Set(number),
                status: Set(card::CardStatus::Active),
                replaced_by: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            }
        }))
        .exec(&tx)
        .await?;
        tx.commit().await?;
    }
    println!(
        "seed: {members} members in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Purchases through the API (the ledger as the checkout books it), over the past 30 days.
async fn seed_purchases(
    db: &DatabaseConnection,
    url: &str,
    token: &str,
    members: u64,
    purchases: u64,
) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    let have = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            match backend {
                sea_orm::DbBackend::Postgres => {
                    "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM purchase WHERE tenant_id = $1"
                }
                _ => "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM purchase WHERE tenant_id = ?",
            },
            [TENANT.into()],
        ))
        .await?
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    if have as u64 >= purchases {
        println!("seed: reusing {have} purchases");
        return Ok(());
    }
    let started = Instant::now();
    let http = reqwest::Client::new();
    let now = Utc::now();
    let clients = 8;
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (http, url, token) = (http.clone(), url.to_owned(), token.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut errors = 0;
            for i in (have as u64 + c..purchases).step_by(clients as usize) {
                let at = now - chrono::Duration::minutes((i * 7 % 43_000) as i64);
                let card = (i % 10 < 7).then(|| card_number(i * 13 % members));
                let body = json!({
                    "query": "mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { purchase { id } } }",
                    "variables": { "i": { "cardNumber": card, "totalMinor": 500 + (i * 37 % 9_000),
                        "currency": "EUR", "occurredAt": at.to_rfc3339() } },
                });
                let ok = http
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                    .ok()
                    .filter(|r| r.status().is_success());
                let ok = match ok {
                    Some(r) => r
                        .json::<serde_json::Value>()
                        .await
                        .is_ok_and(|v| v["errors"].is_null()),
                    None => false,
                };
                if !ok {
                    errors += 1;
                }
            }
            errors
        }));
    }
    let mut errors = 0;
    for t in tasks {
        errors += t.await.unwrap_or(1);
    }
    println!(
        "seed: {} purchases in {:.0} s ({errors} errors)",
        purchases - have as u64,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("PORTAL_DB_URL")
        .unwrap_or_else(|_| "sqlite:///tmp/fidelis-portal-load.db?mode=rwc".to_owned());
    let members = env_or("PORTAL_MEMBERS", 100_000).max(1);
    let purchases = env_or("PORTAL_PURCHASES", 20_000);
    let runs = env_or("PORTAL_RUNS", 30).max(1);
    if let Some((server, name)) = url.rsplit_once('/').filter(|_| url.starts_with("postgres")) {
        let admin = sea_orm::Database::connect(format!("{server}/postgres")).await?;
        let _ = admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await;
    }
    let mut config = Config::defaults();
    config.bind = "127.0.0.1:0".parse()?;
    config.database_url = url.clone();
    config.jobs_interval_secs = 0;
    config.outbox_dir = std::env::temp_dir().join("fidelis-portal-load-outbox");
    let db = fidelis::core::db::connect_and_migrate(&config).await?;
    seed_members(&db, members).await?;
    let app = App::build_with_db(config, db.clone()).await?;
    let addr = app.local_addr()?;
    let state = app.state();
    tokio::spawn(app.run_until(std::future::pending()));
    let token = state
        .auth
        .jwt
        .issue(OWNER, user_account::Role::BrandOwner, Some(TENANT), None)
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let base = format!("http://{addr}");
    seed_purchases(&db, &format!("{base}/graphql"), &token, members, purchases).await?;
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        db.execute_unprepared("ANALYZE").await?;
    }
    let some_member: Uuid = member::Entity::find()
        .filter(sea_orm::ColumnTrait::eq(&member::Column::TenantId, TENANT))
        .select_only()
        .column(member::Column::Id)
        .into_tuple()
        .one(&db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no member"))?;

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let cookie = format!("fidelis_at={token}; fidelis_lang=fr");
    println!(
        "database {}: one brand, {members} members, {purchases} purchases; {runs} requests per page",
        url.split('@').next_back().unwrap_or(&url)
    );
    println!(
        "{:<40} {:>9} {:>9} {:>9} {:>9}",
        "page", "bytes", "p50 ms", "p95 ms", "max ms"
    );
    let pages = [
        "/app?days=30".to_owned(),
        "/app?days=7".to_owned(),
        "/app?days=365".to_owned(),
        "/app/members".to_owned(),
        "/app/members?q=m4242%40portal-bench.example".to_owned(),
        format!("/app/members/{some_member}"),
        "/app/programs".to_owned(),
        format!("/app/programs/{PROGRAM}"),
        "/app/rewards".to_owned(),
        "/app/mail/campaigns".to_owned(),
        "/app/mail/audiences".to_owned(),
    ];
    for page in &pages {
        let mut times = Vec::new();
        let mut bytes = 0;
        for _ in 0..runs {
            let started = Instant::now();
            let response = http
                .get(format!("{base}{page}"))
                .header("cookie", &cookie)
                .send()
                .await?;
            let status = response.status();
            let body = response.bytes().await?;
            times.push(started.elapsed());
            if !status.is_success() {
                anyhow::bail!("{page}: {status}");
            }
            bytes = body.len();
        }
        times.sort();
        println!(
            "{page:<40} {bytes:>9} {:>9.1} {:>9.1} {:>9.1}",
            percentile(&times, 0.5),
            percentile(&times, 0.95),
            percentile(&times, 1.0)
        );
    }
    for asset in ["/assets/portal.css", "/assets/portal.js"] {
        let body = http
            .get(format!("{base}{asset}"))
            .send()
            .await?
            .bytes()
            .await?;
        println!("{asset:<40} {:>9}", body.len());
    }
    Ok(())
}
