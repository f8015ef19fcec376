//! Load benchmark of the checkout: `recordPurchase` over HTTP against a seeded database, beside
//! the same accrual done as a plain SQL transaction loop on the same database (its ceiling).
//! Prints throughput and latency percentiles; asserts nothing (figures, not a timed test).
//!
//! ```text
//! # SQLite (default: /tmp/fidelis-load.db, 100 brands, 100 000 members)
//! cargo run --release -p fidelis-tests --example load
//! # PostgreSQL, 1 000 000 members (the database is created if missing, seeded once)
//! LOAD_DB_URL=postgres://postgres@127.0.0.1:5432/fidelis_load LOAD_MEMBERS=1000000 \
//!   cargo run --release -p fidelis-tests --example load
//! ```
//! Knobs: LOAD_BRANDS (100), LOAD_MEMBERS (100000 in all), LOAD_CLIENTS (concurrent clients,
//! 32), LOAD_SECS (seconds per phase, 20), LOAD_POOL (server connections, 16).
//!
//! Then the offers phase (LOAD_OFFERS offers per brand, 200; 0 skips it): the offers are
//! created active (one 5 % discount on wine that applies to every basket, one whose minimum no
//! basket reaches, the rest for SKUs no basket holds, so every one of them is evaluated), the
//! API is measured at full speed again, and the offers are paused at the end (a later run
//! starts without them). The ratio of the two peaks is printed.
//!
//! Then the coalition phase (LOAD_COALITION_CARDS cards, 3000; 0 skips it): a new three-brand
//! coalition, `joinCoalition` for each card, `recordCoalitionPurchase` at full speed (dated last
//! month, so all of it lands in one period), then closing that month and recomputing the closed
//! statements from the ledger, timed.
#![expect(
    clippy::disallowed_methods,
    reason = "the benchmark seeds its own database directly, across brands"
)]

use std::{
    future::Future,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use chrono::Utc;
use entity::{brand, card, member, program, program_rule, user_account};
use fidelis::{
    core::config::Config,
    loyalty::{members::luhn_digit, programs},
    server::App,
};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, Statement,
    TransactionTrait,
};
use serde_json::{Value, json};
use uuid::Uuid;

const PASSWORD: &str = "bench password of the load test";

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn card_number(brand: u64, member: u64) -> String {
    let body = format!("9{brand:03}{member:011}");
    format!("{body}{}", luhn_digit(&body))
}

fn brand_id(i: u64) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | u128::from(i))
}

fn user_id(i: u64) -> Uuid {
    Uuid::from_u128(0x0190_0000_0002_7000_8000_0000_0000_0000 | u128::from(i))
}

fn program_id(i: u64) -> Uuid {
    Uuid::from_u128(0x0190_0000_0001_7000_8000_0000_0000_0000 | u128::from(i))
}

struct Setup {
    brands: u64,
    per_brand: u64,
}

/// Seeds brands, a staff user, a points program and members with a card each (once: a second
/// run finds them and reuses them).
async fn seed(db: &DatabaseConnection, setup: &Setup) -> anyhow::Result<()> {
    let have = brand::Entity::find().count(db).await?;
    let members = member::Entity::find().count(db).await?;
    if have >= setup.brands && members >= setup.brands * setup.per_brand {
        println!("seed: reusing {have} brands and {members} members");
        return Ok(());
    }
    let started = Instant::now();
    let hash = fidelis::core::auth::password::hash(PASSWORD.to_owned())
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let now = Utc::now();
    let rules = serde_json::to_value(programs::Rules::Points(programs::PointsRules {
        points: 1,
        per_amount_minor: 1_000,
        rounding: programs::Rounding::Down,
        earning_base: programs::EarningBase::NetOfDiscounts,
        minimum_purchase_minor: 0,
        category_multipliers: vec![programs::CategoryMultiplier {
            category: "wine".to_owned(),
            percent: 200,
        }],
        bonus_periods: vec![],
        welcome_bonus: 0,
        birthday_bonus: 0,
        validity_months: 12,
        point_value_minor: 100,
        minimum_redemption_points: 25,
        tiers: None,
    }))?;
    for b in 0..setup.brands {
        let tenant = brand_id(b);
        let tx = db.begin().await?;
        brand::Entity::insert(brand::ActiveModel {
            id: Set(tenant),
            slug: Set(format!("bench-{b:03}")),
            name: Set(format!("Bench {b}")),
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
            id: Set(user_id(b)),
            tenant_id: Set(Some(tenant)),
            email: Set(format!("staff@bench-{b:03}.example")),
            display_name: Set(None),
            password_hash: Set(hash.clone()),
            role: Set(user_account::Role::BrandStaff),
            status: Set(user_account::UserStatus::Active),
            email_verified_at: Set(Some(now)),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec(&tx)
        .await?;
        program::Entity::insert(program::ActiveModel {
            id: Set(program_id(b)),
            tenant_id: Set(tenant),
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
            tenant_id: Set(tenant),
            program_id: Set(program_id(b)),
            effective_from: Set(now - chrono::Duration::days(1)),
            rules: Set(rules.clone()),
            created_by: Set(None),
            created_at: Set(now),
        })
        .exec(&tx)
        .await?;
        for chunk in (0..setup.per_brand).collect::<Vec<_>>().chunks(1_000) {
            let ids: Vec<Uuid> = chunk.iter().map(|_| Uuid::now_v7()).collect();
            member::Entity::insert_many(chunk.iter().zip(&ids).map(|(m, id)| {
                member::ActiveModel {
                    id: Set(*id),
                    tenant_id: Set(tenant),
                    email: Set(Some(format!("m{m}@bench-{b:03}.example"))),
                    phone: Set(None),
                    first_name: Set(Some(format!("Member {m}"))),
                    last_name: Set(None),
                    birth_date: Set(None),
                    preferred_store: Set(None),
                    email_consent: Set(false),
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
                    created_at: Set(now),
                    updated_at: Set(now),
                }
            }))
            .exec(&tx)
            .await?;
            card::Entity::insert_many(chunk.iter().zip(&ids).map(|(m, id)| {
                let number = card_number(b, *m);
                card::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    tenant_id: Set(tenant),
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
        }
        tx.commit().await?;
        if b % 10 == 9 {
            println!(
                "seed: {} brands, {} members ({:.0} s)",
                b + 1,
                (b + 1) * setup.per_brand,
                started.elapsed().as_secs_f64()
            );
        }
    }
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        db.execute_unprepared("ANALYZE").await?;
    }
    println!("seed: done in {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Latencies in microseconds, sorted on report.
#[derive(Default)]
struct Sample {
    micros: Vec<u64>,
    errors: u64,
}

impl Sample {
    fn merge(&mut self, other: Sample) {
        self.micros.extend(other.micros);
        self.errors += other.errors;
    }

    fn report(&mut self, label: &str, elapsed: Duration) -> f64 {
        self.micros.sort_unstable();
        let pct = |p: f64| {
            let n = self.micros.len();
            if n == 0 {
                return 0.0;
            }
            let i = ((n as f64 * p).ceil() as usize).clamp(1, n) - 1;
            self.micros[i] as f64 / 1000.0
        };
        let rate = self.micros.len() as f64 / elapsed.as_secs_f64();
        println!(
            "{label:<34} {rate:>8.0} /s   p50 {:>6.2} ms   p99 {:>6.2} ms   max {:>7.2} ms   ({} ok, {} errors)",
            pct(0.50),
            pct(0.99),
            pct(1.0),
            self.micros.len(),
            self.errors
        );
        rate
    }
}

struct Target {
    url: String,
    tokens: Vec<String>,
    setup: Setup,
}

fn purchase_body(brand: u64, member: u64) -> Value {
    let a = 500 + (member * 37 % 9_000) as i64;
    let b = 300 + (member * 11 % 4_000) as i64;
    json!({
        "query": "mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { purchase { id pointsEarned } } }",
        "variables": { "i": {
            "cardNumber": card_number(brand, member),
            "totalMinor": a + b,
            "currency": "EUR",
            "lines": [
                { "sku": "A-1", "category": "wine", "unitPriceMinor": a },
                { "sku": "B-2", "category": "food", "unitPriceMinor": b }
            ],
            "idempotencyKey": Uuid::new_v4().to_string()
        } }
    })
}

async fn one_purchase(http: &reqwest::Client, target: &Target, seq: u64) -> Result<(), String> {
    let brand = seq % target.setup.brands;
    let member = (seq.wrapping_mul(2_654_435_761)) % target.setup.per_brand;
    let resp = http
        .post(&target.url)
        .bearer_auth(&target.tokens[brand as usize])
        .json(&purchase_body(brand, member))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let body: Value = resp.json().await.map_err(|e| e.to_string())?;
    if body["data"]["recordPurchase"]["purchase"]["id"].is_string() {
        Ok(())
    } else {
        Err(body.to_string())
    }
}

/// One unit of work of a closed-loop client, given its sequence number.
type Work =
    Arc<dyn Fn(u64) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync>;

/// `clients` closed-loop clients each doing `work` back to back for `secs`; latencies of the
/// successes, count of the failures (the first one printed).
async fn closed_loop(work: Work, clients: u64, secs: u64, seed: u64) -> (Sample, Duration) {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (work, stop) = (work.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut sample = Sample::default();
            let mut seq = c * 1_000_003 + seed;
            while !stop.load(Ordering::Relaxed) {
                seq += clients;
                let t = Instant::now();
                match work(seq).await {
                    Ok(()) => sample.micros.push(t.elapsed().as_micros() as u64),
                    Err(e) => {
                        if sample.errors == 0 {
                            eprintln!("error: {e}");
                        }
                        sample.errors += 1;
                    }
                }
            }
            sample
        }));
    }
    tokio::time::sleep(Duration::from_secs(secs)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Sample::default();
    for t in tasks {
        if let Ok(s) = t.await {
            all.merge(s);
        }
    }
    (all, started.elapsed())
}

/// recordPurchase over HTTP as closed-loop work.
fn http_work(target: Arc<Target>) -> Work {
    let http = reqwest::Client::new();
    Arc::new(move |seq| {
        let (http, target) = (http.clone(), target.clone());
        Box::pin(async move { one_purchase(&http, &target, seq).await })
    })
}

/// The plain SQL accrual as closed-loop work.
fn sql_work(db: DatabaseConnection, setup: Arc<Setup>) -> Work {
    Arc::new(move |seq| {
        let (db, setup) = (db.clone(), setup.clone());
        Box::pin(async move {
            sql_accrual(&db, &setup, seq)
                .await
                .map_err(|e| format!("sql: {e}"))
        })
    })
}

/// Purchases sent at a fixed `rate` per second whatever the answers (open loop).
async fn open_loop(target: Arc<Target>, rate: f64, secs: u64) -> (Sample, Duration) {
    let http = reqwest::Client::new();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Result<u64, ()>>();
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut seq = u64::from(std::process::id()) * 7;
    while started.elapsed() < Duration::from_secs(secs) {
        tick.tick().await;
        seq += 1;
        let (http, target, tx) = (http.clone(), target.clone(), tx.clone());
        tokio::spawn(async move {
            let t = Instant::now();
            let r = one_purchase(&http, &target, seq).await;
            let _ = tx.send(r.map(|()| t.elapsed().as_micros() as u64).map_err(|_| ()));
        });
    }
    let elapsed = started.elapsed();
    drop(tx);
    let mut sample = Sample::default();
    while let Some(r) = rx.recv().await {
        match r {
            Ok(m) => sample.micros.push(m),
            Err(()) => sample.errors += 1,
        }
    }
    (sample, elapsed)
}

/// The same accrual as `recordPurchase` books, as one plain SQL transaction per purchase:
/// card look-up, purchase and its two lines, member and brand accounts, a lot, a ledger
/// transaction with two entries and the balance updates, and an idempotency record.
async fn sql_accrual(db: &DatabaseConnection, setup: &Setup, seq: u64) -> anyhow::Result<()> {
    let b = seq % setup.brands;
    let m = seq.wrapping_mul(2_654_435_761) % setup.per_brand;
    let tenant = brand_id(b);
    let program = program_id(b);
    let backend = db.get_database_backend();
    let pg = backend == sea_orm::DbBackend::Postgres;
    let sql = |text: &str| -> String {
        if pg {
            let mut out = String::new();
            let mut n = 0;
            for ch in text.chars() {
                if ch == '?' {
                    n += 1;
                    out.push_str(&format!("${n}"));
                } else {
                    out.push(ch);
                }
            }
            out
        } else {
            text.to_owned()
        }
    };
    let st = |text: &str, values: Vec<sea_orm::Value>| {
        Statement::from_sql_and_values(backend, sql(text), values)
    };
    let now = Utc::now();
    let tx = if pg {
        db.begin().await?
    } else {
        fidelis::core::db::begin_write(db).await?
    };
    let number = card_number(b, m);
    let row = tx
        .query_one_raw(st(
            "SELECT id, member_id FROM card WHERE tenant_id = ? AND number = ?",
            vec![tenant.into(), number.into()],
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no card"))?;
    let card: Uuid = row.try_get("", "id")?;
    let member: Uuid = row.try_get("", "member_id")?;
    let purchase = Uuid::now_v7();
    let points: i64 = 3;
    tx.execute_raw(st(
        "INSERT INTO purchase (id, tenant_id, member_id, card_id, store, channel, currency, total_minor, loyalty_paid_minor, points_earned, occurred_at, created_at) \
         VALUES (?, ?, ?, ?, NULL, 'IN_STORE', 'EUR', 3000, 0, ?, ?, ?)",
        vec![purchase.into(), tenant.into(), member.into(), card.into(), points.into(), now.into(), now.into()],
    ))
    .await?;
    for (no, sku) in [(1_i32, "A-1"), (2_i32, "B-2")] {
        tx.execute_raw(st(
            "INSERT INTO purchase_line (id, tenant_id, purchase_id, line_no, sku, category, quantity, unit_price_minor, discount_minor, tax_minor, points_earned, returned_quantity) \
             VALUES (?, ?, ?, ?, ?, NULL, 1, 1500, 0, 0, 1, 0)",
            vec![Uuid::now_v7().into(), tenant.into(), purchase.into(), no.into(), sku.into()],
        ))
        .await?;
    }
    let mut accounts = Vec::new();
    for (kind, code_kind, who) in [
        ("MEMBER_POINTS", "member-points", Some(member)),
        ("BRAND_POINTS_ISSUED", "brand-points-issued", None),
    ] {
        let code = format!(
            "{code_kind}:{}:{program}",
            who.map_or_else(|| "-".to_owned(), |w| w.to_string())
        );
        tx.execute_raw(st(
            "INSERT INTO ledger_account (id, tenant_id, code, kind, member_id, program_id, unit, balance, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, 'POINTS', 0, ?) ON CONFLICT DO NOTHING",
            vec![Uuid::now_v7().into(), tenant.into(), code.clone().into(), kind.into(), who.into(), program.into(), now.into()],
        ))
        .await?;
        let row = tx
            .query_one_raw(st(
                "SELECT id FROM ledger_account WHERE tenant_id = ? AND code = ?",
                vec![tenant.into(), code.into()],
            ))
            .await?
            .ok_or_else(|| anyhow::anyhow!("no account"))?;
        accounts.push(row.try_get::<Uuid>("", "id")?);
    }
    let lot = Uuid::now_v7();
    tx.execute_raw(st(
        "INSERT INTO point_lot (id, tenant_id, account_id, member_id, earned_at, expires_at, amount, remaining) VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
        vec![lot.into(), tenant.into(), accounts[0].into(), member.into(), now.into(), (now + chrono::Duration::days(365)).into(), points.into()],
    ))
    .await?;
    let txn = Uuid::now_v7();
    tx.execute_raw(st(
        "INSERT INTO ledger_transaction (id, tenant_id, kind, reason, cause_type, cause_id, member_id, occurred_at, created_at) \
         VALUES (?, ?, 'EARN', 'bench', 'purchase', ?, ?, ?, ?)",
        vec![txn.into(), tenant.into(), purchase.into(), member.into(), now.into(), now.into()],
    ))
    .await?;
    for (account, amount, lot) in [
        (accounts[0], points, Some(lot)),
        (accounts[1], -points, None),
    ] {
        tx.execute_raw(st(
            "UPDATE ledger_account SET balance = balance + ? WHERE id = ?",
            vec![amount.into(), account.into()],
        ))
        .await?;
        if let Some(lot) = lot {
            tx.execute_raw(st(
                "UPDATE point_lot SET remaining = remaining + ? WHERE id = ?",
                vec![amount.into(), lot.into()],
            ))
            .await?;
        }
        tx.execute_raw(st(
            "INSERT INTO ledger_entry (id, tenant_id, transaction_id, account_id, unit, amount, lot_id) VALUES (?, ?, ?, ?, 'POINTS', ?, ?)",
            vec![Uuid::now_v7().into(), tenant.into(), txn.into(), account.into(), amount.into(), lot.into()],
        ))
        .await?;
    }
    tx.execute_raw(st(
        "INSERT INTO idempotency_record (id, scope_key, operation, key, request_hash, response, created_at) VALUES (?, ?, 'recordPurchase', ?, 'x', ?, ?)",
        vec![Uuid::now_v7().into(), tenant.to_string().into(), Uuid::new_v4().to_string().into(), json!({ "purchase": purchase }).into(), now.into()],
    ))
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn ensure_pg_database(url: &str) -> anyhow::Result<()> {
    let Some((server, name)) = url.rsplit_once('/') else {
        return Ok(());
    };
    let admin = sea_orm::Database::connect(format!("{server}/postgres")).await?;
    let exists = admin
        .query_one_raw(Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "SELECT 1 AS x FROM pg_database WHERE datname = $1",
            [name.into()],
        ))
        .await?
        .is_some();
    if !exists {
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("LOAD_DB_URL")
        .unwrap_or_else(|_| "sqlite:///tmp/fidelis-load.db?mode=rwc".to_owned());
    let brands = env_or("LOAD_BRANDS", 100).max(1);
    let members = env_or("LOAD_MEMBERS", 100_000);
    let clients = env_or("LOAD_CLIENTS", 32).max(1);
    let secs = env_or("LOAD_SECS", 20).max(1);
    let pool = env_or("LOAD_POOL", 16) as u32;
    let setup = Setup {
        brands,
        per_brand: (members / brands).max(1),
    };
    if url.starts_with("postgres") {
        ensure_pg_database(&url).await?;
    }
    let mut config = Config::defaults();
    config.bind = "127.0.0.1:0".parse()?;
    config.database_url = url.clone();
    config.db_max_connections = pool;
    config.jobs_interval_secs = 0;
    config.outbox_dir = std::env::temp_dir().join("fidelis-load-outbox");
    let db = fidelis::core::db::connect_and_migrate(&config).await?;
    println!(
        "database {}: {brands} brands x {} members, {clients} clients, {secs} s per phase, pool {pool}",
        url.split('@').next_back().unwrap_or(&url),
        setup.per_brand
    );
    seed(&db, &setup).await?;

    let app = App::build_with_db(config, db.clone()).await?;
    let addr = app.local_addr()?;
    let app_state = app.state();
    tokio::spawn(app.run_until(std::future::pending()));
    // Staff sessions, as login would issue them (login itself is rate-limited per address).
    let state = app_state;
    let mut tokens = Vec::new();
    for b in 0..brands {
        tokens.push(
            state
                .auth
                .jwt
                .issue(
                    user_id(b),
                    user_account::Role::BrandStaff,
                    Some(brand_id(b)),
                    None,
                )
                .map_err(|e| anyhow::anyhow!("{e:?}"))?,
        );
    }
    let target = Arc::new(Target {
        url: format!("http://{addr}/graphql"),
        tokens,
        setup,
    });
    let setup = Arc::new(Setup {
        brands: target.setup.brands,
        per_brand: target.setup.per_brand,
    });

    // Warm-up, then the database's own ceiling, then the API at full speed and at half of it.
    let seed = u64::from(std::process::id());
    let _ = closed_loop(http_work(target.clone()), clients, 3, seed).await;
    let (mut s, e) = closed_loop(sql_work(db.clone(), setup.clone()), clients, secs, 17).await;
    let ceiling = s.report("plain SQL accrual loop (ceiling)", e);
    let (mut s, e) = closed_loop(http_work(target.clone()), clients, secs, seed).await;
    let peak = s.report("recordPurchase over HTTP (peak)", e);
    let (mut s, e) = open_loop(target.clone(), (peak / 2.0).max(1.0), secs).await;
    s.report("recordPurchase at half the peak", e);
    println!(
        "ratio: recordPurchase peak = {:.0} % of the SQL ceiling",
        100.0 * peak / ceiling.max(1.0)
    );
    let offers = env_or("LOAD_OFFERS", 200);
    if offers > 0 {
        // Every offer evaluated, none applying to the bench's baskets...
        seed_offers(&db, &target.setup, offers, true).await?;
        let (mut s, e) = closed_loop(http_work(target.clone()), clients, secs, seed + 1).await;
        let evaluated = s.report(
            &format!("recordPurchase, {offers} offers per brand, none applying (peak)"),
            e,
        );
        // ... then one of them (5 % off wine) applying to every basket.
        apply_one_offer(&db, &target.setup).await?;
        let (mut s, e) = closed_loop(http_work(target.clone()), clients, secs, seed + 2).await;
        let applying = s.report(
            &format!("recordPurchase, {offers} offers per brand, one applying (peak)"),
            e,
        );
        println!(
            "ratio: with {offers} offers = {:.0} % (none applying) and {:.0} % (one applying, \
             booked in the ledger) of the peak without offers (same run)",
            100.0 * evaluated / peak.max(1.0),
            100.0 * applying / peak.max(1.0)
        );
        seed_offers(&db, &target.setup, offers, false).await?;
    }
    let cards = env_or("LOAD_COALITION_CARDS", 3_000);
    if cards > 0 && brands >= 3 {
        coalition_phase(&state, &target, cards, clients, secs, &db).await?;
    }
    Ok(())
}

/// The offers were changed behind the API's back: every brand's offers version moves, as an
/// API change would move it, so the server reads them again.
async fn bump_offer_versions(db: &DatabaseConnection, setup: &Setup) -> anyhow::Result<()> {
    use entity::offer_version;
    offer_version::Entity::delete_many().exec(db).await?;
    let version = Utc::now().timestamp_micros();
    offer_version::Entity::insert_many((0..setup.brands).map(|b| offer_version::ActiveModel {
        tenant_id: Set(brand_id(b)),
        version: Set(version),
    }))
    .exec(db)
    .await?;
    Ok(())
}

/// Turns each brand's first bench offer into 5 % off wine: it applies to every basket.
async fn apply_one_offer(db: &DatabaseConnection, setup: &Setup) -> anyhow::Result<()> {
    use entity::offer;
    use fidelis::loyalty::offers::{OfferRules, Selector};
    use sea_orm::{ColumnTrait, QueryFilter};
    let rules = OfferRules::Discount {
        selector: Selector {
            skus: vec![],
            categories: vec!["wine".into()],
        },
        amount_minor: 0,
        percent: 5,
        minimum_basket_minor: 0,
    };
    offer::Entity::update_many()
        .col_expr(
            offer::Column::Rules,
            sea_orm::sea_query::Expr::value(serde_json::to_string(&rules)?),
        )
        .col_expr(
            offer::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(offer::Column::Name.eq("bench offer 0"))
        .exec(db)
        .await?;
    bump_offer_versions(db, setup).await
}

/// `count` offers per brand, created active (`active`), or paused (the end of the phase): one
/// never reaches its minimum, the others are for SKUs no basket holds, so each is evaluated on
/// every checkout and none applies (until `apply_one_offer`).
async fn seed_offers(
    db: &DatabaseConnection,
    setup: &Setup,
    count: u64,
    active: bool,
) -> anyhow::Result<()> {
    use entity::offer;
    use fidelis::loyalty::offers::{OfferRules, Selector};
    use sea_orm::{ColumnTrait, QueryFilter};
    let started = Instant::now();
    if !active {
        offer::Entity::update_many()
            .col_expr(
                offer::Column::Status,
                sea_orm::sea_query::Expr::value("PAUSED"),
            )
            .filter(offer::Column::Name.starts_with("bench offer "))
            .exec(db)
            .await?;
        bump_offer_versions(db, setup).await?;
        println!("offers: paused");
        return Ok(());
    }
    let now = Utc::now();
    for b in 0..setup.brands {
        let tenant = brand_id(b);
        let existing = offer::Entity::find()
            .filter(offer::Column::TenantId.eq(tenant))
            .filter(offer::Column::Name.starts_with("bench offer "))
            .count(db)
            .await?;
        if existing >= count {
            offer::Entity::update_many()
                .col_expr(
                    offer::Column::Status,
                    sea_orm::sea_query::Expr::value("ACTIVE"),
                )
                .filter(offer::Column::TenantId.eq(tenant))
                .filter(offer::Column::Name.starts_with("bench offer "))
                .exec(db)
                .await?;
            continue;
        }
        let rows: Vec<offer::ActiveModel> = (existing..count)
            .map(|i| {
                let rules = match i {
                    1 => OfferRules::Discount {
                        selector: Selector::default(),
                        amount_minor: 100,
                        percent: 0,
                        minimum_basket_minor: 1_000_000,
                    },
                    _ => OfferRules::Discount {
                        selector: Selector {
                            skus: vec![format!("PROMO-{i}")],
                            categories: vec![],
                        },
                        amount_minor: 100,
                        percent: 0,
                        minimum_basket_minor: 0,
                    },
                };
                offer::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    tenant_id: Set(tenant),
                    name: Set(format!("bench offer {i}")),
                    description: Set(None),
                    kind: Set(rules.kind().to_owned()),
                    code: Set(None),
                    rules: Set(serde_json::to_string(&rules).unwrap_or_default()),
                    starts_at: Set(now - chrono::Duration::days(1)),
                    ends_at: Set(now + chrono::Duration::days(365)),
                    priority: Set(i32::try_from(i).unwrap_or(0)),
                    exclusive: Set(false),
                    card_holders_only: Set(false),
                    tier_names: Set(None),
                    segment_id: Set(None),
                    club_id: Set(None),
                    exclude_recent_buyers_days: Set(None),
                    status: Set(offer::OfferStatus::Active),
                    max_per_member: Set(None),
                    member_period_days: Set(None),
                    max_redemptions: Set(None),
                    max_per_household: Set(None),
                    budget_minor: Set(None),
                    stock: Set(None),
                    redemptions: Set(0),
                    discount_given_minor: Set(0),
                    value_given_minor: Set(0),
                    revenue_minor: Set(0),
                    created_at: Set(now),
                    updated_at: Set(now),
                }
            })
            .collect();
        offer::Entity::insert_many(rows).exec(db).await?;
    }
    // A run before may have left the first one applying.
    let promo = OfferRules::Discount {
        selector: Selector {
            skus: vec!["PROMO-0".into()],
            categories: vec![],
        },
        amount_minor: 100,
        percent: 0,
        minimum_basket_minor: 0,
    };
    offer::Entity::update_many()
        .col_expr(
            offer::Column::Rules,
            sea_orm::sea_query::Expr::value(serde_json::to_string(&promo)?),
        )
        .col_expr(
            offer::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(offer::Column::Name.eq("bench offer 0"))
        .exec(db)
        .await?;
    bump_offer_versions(db, setup).await?;
    println!(
        "offers: {count} per brand active ({:.0} s)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A three-brand coalition over the seeded brands: joins, shared earning at full speed, the
/// close of a month holding all of it, and the ledger verification.
async fn coalition_phase(
    state: &Arc<fidelis::core::deps::Deps>,
    target: &Arc<Target>,
    cards: u64,
    clients: u64,
    secs: u64,
    db: &DatabaseConnection,
) -> anyhow::Result<()> {
    use entity::{coalition_brand::Billing, user_account::Role};
    use fidelis::{coalition::coalitions, core::auth::Principal};
    let err = |e: fidelis::core::error::AppError| anyhow::anyhow!("{e:?}");
    let tag = Uuid::new_v4().simple().to_string();
    let operator_email = format!("ops-{}@bench.example", &tag[..8]);
    let created = coalitions::create(
        &state.base,
        &state.auth,
        &state.links,
        &state.post,
        coalitions::NewCoalition {
            name: format!("Bench {}", &tag[..8]),
            currency: "EUR".to_owned(),
            timezone: "Europe/Paris".to_owned(),
            operator_email: operator_email.clone(),
            issue_price_per_1000_minor: 1_000,
            redemption_value_per_1000_minor: 800,
            fee_per_1000_issued_minor: 50,
            fee_basis_points: 100,
            points_validity_months: 24,
        },
        "127.0.0.1",
    )
    .await
    .map_err(err)?;
    let coalition = created.coalition.id;
    let operator = fidelis::identity::store::user_by_email(db, &operator_email)
        .await
        .map_err(err)?
        .ok_or_else(|| anyhow::anyhow!("operator not created"))?;
    for b in 0..3 {
        let slug = fidelis::identity::store::brand_by_id(db, brand_id(b))
            .await
            .map_err(err)?
            .map(|b| b.slug)
            .unwrap_or_default();
        coalitions::invite(
            &state.base,
            operator.id,
            coalition,
            coalitions::Invite {
                brand_slug: slug,
                earn_points: 1,
                earn_per_amount_minor: 100,
                billing: Billing::Postpaid,
                reserve_points: 0,
            },
        )
        .await
        .map_err(err)?;
        let owner = Principal::User {
            user_id: user_id(b),
            tenant_id: Some(brand_id(b)),
            role: Role::BrandOwner,
        };
        coalitions::respond(&state.base, &owner, coalition, true)
            .await
            .map_err(err)?;
    }
    // Join the first `cards / 3` members of each of the three brands.
    let http = reqwest::Client::new();
    let started = Instant::now();
    let mut numbers = Vec::new();
    for i in 0..cards {
        let b = i % 3;
        let m = (i / 3) % target.setup.per_brand;
        let token = &target.tokens[b as usize];
        let card: Value = http
            .post(&target.url)
            .bearer_auth(token)
            .json(&json!({ "query": "query($n: String!) { cardByNumber(number: $n) { memberId } }", "variables": { "n": card_number(b, m) } }))
            .send()
            .await?
            .json()
            .await?;
        let joined: Value = http
            .post(&target.url)
            .bearer_auth(token)
            .json(&json!({ "query": "mutation($i: JoinCoalitionInput!) { joinCoalition(input: $i) { cardNumber } }", "variables": { "i": { "coalitionId": coalition, "memberId": card["data"]["cardByNumber"]["memberId"] } } }))
            .send()
            .await?
            .json()
            .await?;
        numbers.push(
            joined["data"]["joinCoalition"]["cardNumber"]
                .as_str()
                .ok_or_else(|| anyhow::anyhow!("join: {joined}"))?
                .to_owned(),
        );
    }
    println!(
        "coalition: {cards} cards joined in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // Dated mid-month one month ago: the whole phase lands in one (past) period.
    let now = Utc::now();
    let last_month = {
        use chrono::Datelike;
        let at = now - chrono::Duration::days(31);
        at.with_day(15).unwrap_or(at)
    };
    let period = coalitions_label(last_month);
    let numbers = Arc::new(numbers);
    let work: Work = {
        let (http, target, numbers) = (http.clone(), target.clone(), numbers.clone());
        Arc::new(move |seq| {
            let (http, target, numbers) = (http.clone(), target.clone(), numbers.clone());
            Box::pin(async move {
                let card = &numbers[(seq % numbers.len() as u64) as usize];
                let brand = (seq / 7) % 3;
                let body = json!({ "query": "mutation($i: CoalitionPurchaseInput!) { recordCoalitionPurchase(input: $i) { points } }",
                    "variables": { "i": { "coalitionId": coalition, "cardNumber": card, "amountMinor": 500 + seq % 9_000, "occurredAt": last_month.to_rfc3339(), "idempotencyKey": Uuid::new_v4().to_string() } } });
                let resp: Value = http
                    .post(&target.url)
                    .bearer_auth(&target.tokens[brand as usize])
                    .json(&body)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?
                    .json()
                    .await
                    .map_err(|e| e.to_string())?;
                if resp["data"]["recordCoalitionPurchase"]["points"].is_i64() {
                    Ok(())
                } else {
                    Err(resp.to_string())
                }
            })
        })
    };
    let (mut s, e) = closed_loop(work, clients, secs, 99).await;
    let events = s.micros.len();
    s.report("recordCoalitionPurchase (peak)", e);
    let operator = Principal::User {
        user_id: operator.id,
        tenant_id: None,
        role: Role::CoalitionOperator,
    };
    let started = Instant::now();
    let closed = fidelis::coalition::settlement::close(&state.base, &operator, coalition, &period)
        .await
        .map_err(err)?;
    let nets: i64 = closed.statements.iter().map(|s| s.line.net_minor).sum();
    println!(
        "coalition: closing {period} ({events} earnings, 3 brands) took {:.0} ms; positions + operator = {}",
        started.elapsed().as_secs_f64() * 1000.0,
        nets + closed.operator.map_or(0, |(n, _)| n)
    );
    let started = Instant::now();
    let again = fidelis::coalition::settlement::close(&state.base, &operator, coalition, &period)
        .await
        .map_err(err)?;
    println!(
        "coalition: closing it again (idempotent) took {:.0} ms, same statements: {}",
        started.elapsed().as_secs_f64() * 1000.0,
        again.statements.len() == closed.statements.len()
    );
    // The statement part of `ledger verify`: every closed period recomputed from its entries.
    let started = Instant::now();
    let (mismatches, not_zero) = fidelis::coalition::settlement::check_closed(db)
        .await
        .map_err(err)?;
    println!(
        "closed statements recomputed from the ledger in {:.0} ms: {mismatches} mismatches, {not_zero} periods not zero-sum",
        started.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}

/// YYYY-MM of `at` in Paris (mid-month dates: the same month as in UTC).
fn coalitions_label(at: chrono::DateTime<Utc>) -> String {
    use chrono::Datelike;
    format!("{:04}-{:02}", at.year(), at.month())
}
