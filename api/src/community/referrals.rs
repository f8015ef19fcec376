//! Referrals (parrainage). Each member has a referral code; a new member gives one (when they
//! join, before their first purchase); their first purchase of at least the brand's minimum
//! within the window converts the referral: the referee and the referrer are rewarded (points
//! and/or a voucher, booked once), the referrer up to a cap per period (past it the referral is
//! CAPPED: the referee is rewarded, the referrer not). A return that brings that purchase under
//! the minimum reverses the rewards: points taken back (what is left of them, the rest as a
//! debt), unused vouchers cancelled. Purchases and returns are read from the outbox.
//!
//! Fraud rules: nobody refers themselves, nor an address or phone that is theirs in disguise
//! (e-mail compared without dots in Gmail-like local parts and without `+tags`; phones by their
//! last nine digits); one referral per referee; the code is given within the window after
//! joining and before any purchase.
//!
//! Across a coalition's brands, where the coalition allows it: a new member of brand B may give
//! the code of a member of brand A when both are active in such a coalition and both run a
//! referral program. The referral is B's row (naming A as the referrer's brand); B's rules
//! decide the window, the minimum and the referee's reward, A's rules the referrer's reward and
//! cap (counted over every brand). Each reward is booked at its member's own brand, both in one
//! transaction; a return at B reverses both.

use chrono::{DateTime, Duration, Utc};
use entity::{
    ledger_account::AccountKind,
    ledger_transaction::TransactionKind,
    member,
    referral::{self, ReferralStatus},
    referral_code, referral_policy,
    voucher::VoucherSource,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, sea_query::Expr,
};
use serde::Serialize;
use uuid::Uuid;

use crate::core::{
    deps::Base,
    error::AppError,
    idempotency::Idempotency,
    ledger::CauseType,
    tenancy::{Scoped, TenantScope},
};

fn default_policy(tenant: Uuid) -> referral_policy::Model {
    referral_policy::Model {
        tenant_id: tenant,
        enabled: false,
        program_id: None,
        referrer_points: 0,
        referrer_voucher_minor: 0,
        referee_points: 0,
        referee_voucher_minor: 0,
        voucher_valid_days: 60,
        minimum_purchase_minor: 0,
        window_days: 30,
        cap_per_referrer: None,
        cap_period_days: 365,
        updated_at: Utc::now(),
    }
}

/// The brand's policy (disabled until it sets one).
pub async fn policy(scope: &TenantScope) -> Result<referral_policy::Model, AppError> {
    let conn = scope.conn();
    Ok(conn
        .find::<referral_policy::Entity>()
        .one(conn.db())
        .await?
        .unwrap_or_else(|| default_policy(scope.tenant_id())))
}

/// Sets the brand's policy (every field).
pub async fn set_policy(
    scope: &TenantScope,
    p: referral_policy::Model,
) -> Result<referral_policy::Model, AppError> {
    let bad = |field: &'static str, message: &str| Err(AppError::validation(field, message));
    for (field, v) in [
        ("input.referrerPoints", p.referrer_points),
        ("input.refereePoints", p.referee_points),
    ] {
        if !(0..=1_000_000_000).contains(&v) {
            return bad(field, "must be between 0 and 1000000000");
        }
    }
    for (field, v) in [
        ("input.referrerVoucherMinor", p.referrer_voucher_minor),
        ("input.refereeVoucherMinor", p.referee_voucher_minor),
        ("input.minimumPurchaseMinor", p.minimum_purchase_minor),
    ] {
        if !(0..=100_000_000).contains(&v) {
            return bad(field, "must be between 0 and 100000000");
        }
    }
    if !(1..=3_650).contains(&p.voucher_valid_days) {
        return bad("input.voucherValidDays", "must be between 1 and 3650");
    }
    if !(1..=365).contains(&p.window_days) {
        return bad("input.windowDays", "must be between 1 and 365");
    }
    if !(1..=3_650).contains(&p.cap_period_days) {
        return bad("input.capPeriodDays", "must be between 1 and 3650");
    }
    if p.cap_per_referrer
        .is_some_and(|c| !(1..=100_000).contains(&c))
    {
        return bad("input.capPerReferrer", "must be between 1 and 100000");
    }
    if p.referrer_points + p.referee_points > 0 && p.program_id.is_none() {
        return bad(
            "input.programId",
            "name the points program rewards are credited to",
        );
    }
    if let Some(program) = p.program_id {
        // Another brand's program reads as NOT_FOUND; a program whose points rules are not in
        // force could not credit anything.
        crate::loyalty::programs::get(scope, program).await?;
        let conn = scope.conn();
        let in_force = crate::loyalty::programs::rules_at(&conn, program, scope.now()).await?;
        if in_force.is_none_or(|(rules, _)| rules.points().is_none()) {
            return bad("input.programId", "has no points rules in force");
        }
    }
    if p.enabled
        && p.referrer_points + p.referee_points + p.referrer_voucher_minor + p.referee_voucher_minor
            == 0
    {
        return bad(
            "input.enabled",
            "an enabled referral program rewards someone",
        );
    }
    let tx = scope.begin().await?;
    let default: referral_policy::ActiveModel = default_policy(scope.tenant_id()).into();
    tx.insert_if_absent(default, vec![referral_policy::Column::TenantId])
        .await?;
    let mut model = referral_policy::ActiveModel::from(p).reset_all();
    model.tenant_id = Set(scope.tenant_id());
    model.updated_at = Set(scope.now());
    let saved = tx.update(model).await?;
    tx.commit().await?;
    Ok(saved)
}

/// Letters and digits that cannot be mistaken for each other.
const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

fn new_code() -> String {
    (0..8)
        .map(|_| ALPHABET[usize::from(rand::random::<u8>()) % ALPHABET.len()] as char)
        .collect()
}

/// A code as typed: upper case, without spaces or dashes.
pub fn normalise_code(raw: &str) -> String {
    raw.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The member's referral code (made on first ask).
pub async fn code_of(scope: &TenantScope, member: Uuid) -> Result<String, AppError> {
    let conn = scope.conn();
    conn.get::<member::Entity>(member).await?;
    for _ in 0..5 {
        if let Some(existing) = conn
            .find::<referral_code::Entity>()
            .filter(referral_code::Column::MemberId.eq(member))
            .one(conn.db())
            .await?
        {
            return Ok(existing.code);
        }
        // A clash with another member's code (or a racing first ask) tries again.
        conn.insert_if_absent(
            referral_code::ActiveModel {
                member_id: Set(member),
                tenant_id: Set(scope.tenant_id()),
                code: Set(new_code()),
                created_at: Set(scope.now()),
            },
            vec![referral_code::Column::TenantId, referral_code::Column::Code],
        )
        .await
        .ok();
    }
    Err(AppError::conflict(
        "no referral code could be made; try again",
    ))
}

/// The other brands where this brand's members' codes work: partners in a coalition that allows
/// referrals across its brands, running a referral program of their own.
pub async fn works_at(
    base: &Base,
    scope: &TenantScope,
) -> Result<Vec<entity::brand::Model>, AppError> {
    let mut out = Vec::new();
    for (_, brand) in
        crate::coalition::coalitions::referral_partners(base, scope.tenant_id(), scope.now())
            .await?
    {
        if policy(&base.scope(brand.id)).await?.enabled {
            out.push(brand);
        }
    }
    Ok(out)
}

/// An e-mail as the fraud rule compares it: lower case, `+tag` dropped, dots dropped from the
/// local part (Gmail and others ignore them).
fn email_key(email: &str) -> String {
    let email = email.trim().to_lowercase();
    let Some((local, domain)) = email.split_once('@') else {
        return email;
    };
    let local = local.split('+').next().unwrap_or(local).replace('.', "");
    let domain = if domain == "googlemail.com" {
        "gmail.com"
    } else {
        domain
    };
    format!("{local}@{domain}")
}

fn phone_key(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    digits[digits.len().saturating_sub(9)..].to_owned()
}

/// Why a referee may not use a referrer's code (None: they may).
fn same_person(referrer: &member::Model, referee: &member::Model) -> Option<&'static str> {
    if referrer.id == referee.id {
        return Some("a member cannot refer themselves");
    }
    if let (Some(a), Some(b)) = (&referrer.email, &referee.email)
        && email_key(a) == email_key(b)
    {
        return Some("this e-mail address is the referrer's own");
    }
    if let (Some(a), Some(b)) = (&referrer.phone, &referee.phone)
        && phone_key(a) == phone_key(b)
    {
        return Some("this phone number is the referrer's own");
    }
    None
}

#[derive(Debug, Clone, Serialize)]
struct Fingerprint<'a> {
    referee: Uuid,
    code: &'a str,
}

/// Where a code given at this brand belongs: a member of this brand, or (where a coalition
/// allows referrals across its brands) of another brand of the coalition.
struct CodeOwner {
    code: referral_code::Model,
    /// `(coalition, brand)` when the referrer is another brand's member.
    elsewhere: Option<(Uuid, Uuid)>,
}

async fn owner_of_code(
    base: &Base,
    scope: &TenantScope,
    code: &str,
) -> Result<CodeOwner, AppError> {
    let conn = scope.conn();
    if let Some(code) = conn
        .find::<referral_code::Entity>()
        .filter(referral_code::Column::Code.eq(code))
        .one(conn.db())
        .await?
    {
        return Ok(CodeOwner {
            code,
            elsewhere: None,
        });
    }
    let mut found = Vec::new();
    for (coalition, brand) in
        crate::coalition::coalitions::referral_partners(base, scope.tenant_id(), scope.now())
            .await?
    {
        let other = base.scope(brand.id).conn();
        if let Some(code) = other
            .find::<referral_code::Entity>()
            .filter(referral_code::Column::Code.eq(code))
            .one(other.db())
            .await?
        {
            found.push(CodeOwner {
                code,
                elsewhere: Some((coalition, brand.id)),
            });
        }
    }
    if found.len() > 1 {
        // Codes are unique per brand: two brands of the coalition hand out the same one.
        return Err(AppError::conflict(
            "this code belongs to members of two brands of the coalition and cannot be used here",
        ));
    }
    found
        .pop()
        .ok_or_else(|| AppError::validation("code", "no member has this referral code"))
}

/// A new member gives a referral code (within the window after joining, before any purchase).
pub async fn apply(
    base: &Base,
    scope: &TenantScope,
    referee: Uuid,
    code: &str,
    idempotency_key: Option<&str>,
) -> Result<referral::Model, AppError> {
    let code = normalise_code(code);
    let idem = Idempotency::optional(
        scope.tenant_id().to_string(),
        "applyReferralCode",
        idempotency_key,
        &Fingerprint {
            referee,
            code: &code,
        },
    )?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.replay(scope.conn().db()).await?
    {
        let id = crate::core::idempotency::recorded_id(&previous, "referral")?;
        return scope.conn().get::<referral::Entity>(id).await;
    }
    if code.is_empty() || code.len() > 16 {
        return Err(AppError::validation("code", "is not a referral code"));
    }
    let tx = scope.begin().await?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.claim(tx.db()).await?
    {
        drop(tx);
        let id = crate::core::idempotency::recorded_id(&previous, "referral")?;
        return scope.conn().get::<referral::Entity>(id).await;
    }
    let policy = tx
        .find::<referral_policy::Entity>()
        .one(tx.db())
        .await?
        .filter(|p| p.enabled)
        .ok_or_else(|| AppError::conflict("this brand runs no referral program"))?;
    let referee = tx.get_for_update::<member::Entity>(referee).await?;
    // The cheap checks first (they say nothing of the referrer).
    let now = tx.now();
    if referee.created_at < now - Duration::days(i64::from(policy.window_days)) {
        return Err(AppError::conflict(format!(
            "a referral code is given within {} days of joining",
            policy.window_days
        )));
    }
    let bought = tx
        .find::<entity::purchase::Entity>()
        .filter(entity::purchase::Column::MemberId.eq(referee.id))
        .count(tx.db())
        .await?;
    if bought > 0 {
        return Err(AppError::conflict(
            "a referral code is given before the first purchase",
        ));
    }
    let owner = owner_of_code(base, scope, &code).await?;
    // The referrer's brand: this one, or another brand of the coalition (read in its scope).
    let home = match owner.elsewhere {
        Some((_, brand)) => {
            let theirs = base.scope(brand);
            if !self::policy(&theirs).await?.enabled {
                return Err(AppError::conflict(
                    "the referrer's brand runs no referral program",
                ));
            }
            theirs
        }
        None => scope.clone(),
    };
    let home_conn = home.conn();
    let referrer = match owner.elsewhere {
        Some(_) => {
            home_conn
                .get::<member::Entity>(owner.code.member_id)
                .await?
        }
        None => tx.get::<member::Entity>(owner.code.member_id).await?,
    };
    // Across brands one refusal says it all: which detail matched would tell this brand
    // something of another brand's member.
    let refuse_across = || AppError::conflict("this code cannot be used by this member");
    if let Some(why) = same_person(&referrer, &referee) {
        return Err(match owner.elsewhere {
            Some(_) => refuse_across(),
            None => AppError::conflict(why),
        });
    }
    // No rings: a referrer's own referrer cannot be their referee, nor the same person under
    // another brand's membership (their referral is a row of the referrer's brand).
    let referrers_referrer = home_conn
        .find::<referral::Entity>()
        .filter(referral::Column::RefereeId.eq(referrer.id))
        .one(home_conn.db())
        .await?;
    if let Some(theirs) = referrers_referrer {
        let ring = if theirs.referrer_id == referee.id {
            true
        } else {
            let their_brand = theirs.referrer_brand_id.unwrap_or(theirs.tenant_id);
            base.scope(their_brand)
                .conn()
                .get::<member::Entity>(theirs.referrer_id)
                .await
                .ok()
                .is_some_and(|m| same_person(&m, &referee).is_some())
        };
        if ring {
            return Err(match owner.elsewhere {
                Some(_) => refuse_across(),
                None => AppError::conflict(
                    "this member was referred by the one they name: referrals do not go both ways",
                ),
            });
        }
    }
    let row = referral::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(scope.tenant_id()),
        referrer_id: Set(referrer.id),
        referee_id: Set(referee.id),
        status: Set(ReferralStatus::Started),
        started_at: Set(now),
        expires_at: Set(now + Duration::days(i64::from(policy.window_days))),
        purchase_id: Set(None),
        converted_at: Set(None),
        reversed_at: Set(None),
        referrer_points: Set(0),
        referee_points: Set(0),
        referrer_voucher_id: Set(None),
        referee_voucher_id: Set(None),
        program_id: Set(None),
        minimum_minor: Set(0),
        referrer_brand_id: Set(owner.elsewhere.map(|(_, brand)| brand)),
        coalition_id: Set(owner.elsewhere.map(|(coalition, _)| coalition)),
        referrer_program_id: Set(None),
    };
    if !tx
        .insert_if_absent(
            row.clone(),
            vec![referral::Column::TenantId, referral::Column::RefereeId],
        )
        .await?
    {
        return Err(AppError::conflict(
            "this member already gave a referral code",
        ));
    }
    let saved = tx
        .find::<referral::Entity>()
        .filter(referral::Column::RefereeId.eq(referee.id))
        .one(tx.db())
        .await?
        .ok_or(AppError::NotFound)?;
    crate::core::events::append(
        &tx,
        "referral.started",
        Some(saved.id),
        Some(referee.id),
        serde_json::json!({ "referrer": referrer.id, "referrerBrand": saved.referrer_brand_id, "coalition": saved.coalition_id, "expiresAt": saved.expires_at }),
    )
    .await?;
    if let Some(idem) = &idem {
        idem.record(tx.db(), serde_json::json!({ "referral": saved.id }))
            .await?;
    }
    tx.commit().await?;
    Ok(saved)
}

/// The brand's referrals, newest first (at most 500), of a referrer or in a status: its own
/// rows and the referrals its members made at other brands of a coalition.
pub async fn list(
    scope: &TenantScope,
    referrer: Option<Uuid>,
    status: Option<ReferralStatus>,
) -> Result<Vec<referral::Model>, AppError> {
    let conn = scope.conn();
    let mut q = conn.find::<referral::Entity>();
    if let Some(r) = referrer {
        q = q.filter(referral::Column::ReferrerId.eq(r));
    }
    if let Some(s) = status {
        q = q.filter(referral::Column::Status.eq(s));
    }
    let mut rows = q
        .order_by_desc(referral::Column::StartedAt)
        .order_by_desc(referral::Column::Id)
        .limit(500)
        .all(conn.db())
        .await?;
    rows.extend(
        crate::community::store::referrals_made_elsewhere(
            conn.db(),
            scope.tenant_id(),
            referrer,
            status,
            Some(500),
        )
        .await?,
    );
    rows.sort_by(|a, b| b.started_at.cmp(&a.started_at).then(b.id.cmp(&a.id)));
    rows.truncate(500);
    Ok(rows)
}

/// What this brand gave in a referral: `(points, vouchers)` (across brands, each brand gives
/// its own member's reward).
pub fn given_by(r: &referral::Model, brand: Uuid) -> (i64, u64) {
    let referrer_here = if r.tenant_id == brand {
        r.referrer_brand_id.is_none_or(|b| b == brand)
    } else {
        r.referrer_brand_id == Some(brand)
    };
    let referee_here = r.tenant_id == brand;
    let mut points = 0;
    let mut vouchers = 0;
    if referrer_here {
        points += r.referrer_points;
        vouchers += u64::from(r.referrer_voucher_id.is_some());
    }
    if referee_here {
        points += r.referee_points;
        vouchers += u64::from(r.referee_voucher_id.is_some());
    }
    (points, vouchers)
}

/// The referral a member joined with, if any.
pub async fn of_referee(
    scope: &TenantScope,
    member: Uuid,
) -> Result<Option<referral::Model>, AppError> {
    let conn = scope.conn();
    Ok(conn
        .find::<referral::Entity>()
        .filter(referral::Column::RefereeId.eq(member))
        .one(conn.db())
        .await?)
}

/// The brand's referral figures.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub started: u64,
    pub converted: u64,
    pub capped: u64,
    pub expired: u64,
    pub reversed: u64,
    /// Points given, net of reversals.
    pub points_given: i64,
    pub vouchers_given: u64,
    /// Referrers by referrals converted, most first (at most 10).
    pub top_referrers: Vec<(Uuid, u64)>,
}

pub async fn figures(scope: &TenantScope) -> Result<Figures, AppError> {
    let conn = scope.conn();
    let mut all = conn.find::<referral::Entity>().all(conn.db()).await?;
    all.extend(
        crate::community::store::referrals_made_elsewhere(
            conn.db(),
            scope.tenant_id(),
            None,
            None,
            None,
        )
        .await?,
    );
    let brand = scope.tenant_id();
    let mut f = Figures::default();
    let mut by_referrer: std::collections::HashMap<Uuid, u64> = std::collections::HashMap::new();
    for r in &all {
        match r.status {
            ReferralStatus::Started => f.started += 1,
            ReferralStatus::Converted => f.converted += 1,
            ReferralStatus::Capped => f.capped += 1,
            ReferralStatus::Expired => f.expired += 1,
            ReferralStatus::Reversed => f.reversed += 1,
        }
        if matches!(r.status, ReferralStatus::Converted | ReferralStatus::Capped) {
            let (points, vouchers) = given_by(r, brand);
            f.points_given += points;
            f.vouchers_given += vouchers;
            // Top referrers are this brand's members.
            if r.referrer_brand_id.is_none_or(|b| b == brand) {
                *by_referrer.entry(r.referrer_id).or_default() += 1;
            }
        }
    }
    let mut top: Vec<(Uuid, u64)> = by_referrer.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    top.truncate(10);
    f.top_referrers = top;
    Ok(f)
}

/// The outbox reader that converts and reverses referrals.
const CONSUMER: crate::core::events::Consumer = crate::core::events::Consumer {
    name: "referrals",
    start_back: Duration::hours(48),
};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub converted: u64,
    pub reversed: u64,
    pub expired: u64,
}

/// Converts referrals on the referees' qualifying purchases, reverses them on returns, and
/// expires those whose window has passed, for every brand.
pub async fn run_once(base: &Base, now: DateTime<Utc>) -> Result<Report, AppError> {
    let mut report = Report::default();
    let (events, next) = CONSUMER
        .poll(
            &base.db,
            &["purchase.recorded", "purchase.returned"],
            now,
            1_000,
        )
        .await?;
    for event in &events {
        let (Some(member), Some(purchase)) = (event.member_id, event.subject_id) else {
            continue;
        };
        let scope = base.scope(event.tenant_id);
        if event.kind == "purchase.recorded" {
            let total = event.payload["totalMinor"].as_i64().unwrap_or(0);
            let at = event.payload["occurredAt"]
                .as_str()
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map_or(event.created_at, |d| d.with_timezone(&Utc));
            let paid = total - event.payload["loyaltyPaidMinor"].as_i64().unwrap_or(0);
            // One purchase that cannot be handled is logged and passed over: it must not hold
            // up every brand's referrals behind it.
            match convert(base, &scope, member, purchase, paid, (at, event.created_at)).await {
                Ok(true) => report.converted += 1,
                Ok(false) => {}
                Err(e) => tracing::warn!(event.id = %event.id, "referral conversion failed: {e}"),
            }
        } else {
            match reverse(&scope, purchase).await {
                Ok(true) => report.reversed += 1,
                Ok(false) => {}
                Err(e) => tracing::warn!(event.id = %event.id, "referral reversal failed: {e}"),
            }
        }
    }
    if let Some(next) = next {
        CONSUMER.advance(&base.db, next, now).await?;
    }
    for brand in crate::identity::brands::active(&base.db).await? {
        let conn = base.scope(brand.id).conn();
        let expired = conn
            .update_many::<referral::Entity>()
            .col_expr(
                referral::Column::Status,
                Expr::value(ReferralStatus::Expired),
            )
            .filter(referral::Column::Status.eq(ReferralStatus::Started))
            // A day's grace: purchases recorded within the window but read late still count.
            .filter(referral::Column::ExpiresAt.lt(now - Duration::days(1)))
            .exec(conn.db())
            .await?;
        report.expired += expired.rows_affected;
    }
    Ok(report)
}

async fn reward_voucher<C: ConnectionTrait>(
    tx: &Scoped<C>,
    member: Uuid,
    amount: i64,
    days: i32,
    label: &str,
) -> Result<Option<Uuid>, AppError> {
    if amount <= 0 {
        return Ok(None);
    }
    let v = crate::loyalty::vouchers::issue_amount(
        tx,
        member,
        amount,
        days,
        VoucherSource::Referral,
        label,
    )
    .await?;
    Ok(Some(v.id))
}

/// Converts the member's started referral if this purchase qualifies (once: the referral row is
/// locked and moved from STARTED by a conditional update). Across brands, the referrer's reward
/// and cap follow their own brand's rules, and their reward is booked there, in the same
/// transaction.
async fn convert(
    base: &Base,
    scope: &TenantScope,
    member: Uuid,
    purchase: Uuid,
    paid: i64,
    (at, recorded): (DateTime<Utc>, DateTime<Utc>),
) -> Result<bool, AppError> {
    let tx = scope.begin().await?;
    let Some(found) = tx
        .find::<referral::Entity>()
        .filter(referral::Column::RefereeId.eq(member))
        .filter(referral::Column::Status.eq(ReferralStatus::Started))
        .one(tx.db())
        .await?
    else {
        return Ok(false);
    };
    let r = tx.get_for_update::<referral::Entity>(found.id).await?;
    let Some(policy) = tx.find::<referral_policy::Entity>().one(tx.db()).await? else {
        return Ok(false);
    };
    // Paid in money (not with loyalty value), dated and recorded inside the window, under a
    // program still open.
    if r.status != ReferralStatus::Started
        || !policy.enabled
        || at > r.expires_at
        || at < r.started_at
        || recorded > r.expires_at + Duration::days(1)
        || paid <= 0
        || paid < policy.minimum_purchase_minor
    {
        return Ok(false);
    }
    let now = tx.now();
    let here = tx.tenant_id();
    // The referrer's brand, and its rules for the referrer's side (a brand that stopped its
    // program since, or is no longer active beside this one in the coalition, gives its
    // referrer nothing; the referee is rewarded all the same).
    let elsewhere = r.referrer_brand_id.filter(|b| *b != here);
    let referrer_policy = match elsewhere {
        Some(brand) => {
            let theirs = self::policy(&base.scope(brand)).await?;
            let together = match r.coalition_id {
                Some(c) => {
                    let active = crate::coalition::coalitions::active_brands(base, c, now).await?;
                    [brand, here]
                        .iter()
                        .all(|b| active.iter().any(|x| x.id == *b))
                }
                None => false,
            };
            if theirs.enabled && together {
                theirs
            } else {
                referral_policy::Model {
                    referrer_points: 0,
                    referrer_voucher_minor: 0,
                    ..theirs
                }
            }
        }
        None => policy.clone(),
    };
    // The referrer's rewarded referrals in the cap's period, at every brand (their member row,
    // at their own brand, serialises them).
    let tx = match elsewhere {
        Some(brand) => tx.acting_for(brand),
        None => tx,
    };
    tx.get_for_update::<member::Entity>(r.referrer_id).await?;
    let capped = match referrer_policy.cap_per_referrer {
        Some(cap) => {
            let since = now - Duration::days(i64::from(referrer_policy.cap_period_days));
            let rewarded =
                crate::community::store::rewarded_referrals(tx.db(), r.referrer_id, since).await?;
            rewarded >= u64::try_from(cap).unwrap_or(0)
        }
        None => false,
    };
    let tx = tx.acting_for(here);
    let moved = tx
        .update_many::<referral::Entity>()
        .col_expr(
            referral::Column::Status,
            Expr::value(if capped {
                ReferralStatus::Capped
            } else {
                ReferralStatus::Converted
            }),
        )
        .col_expr(referral::Column::ConvertedAt, Expr::value(Some(now)))
        .col_expr(referral::Column::PurchaseId, Expr::value(Some(purchase)))
        .filter(referral::Column::Id.eq(r.id))
        .filter(referral::Column::Status.eq(ReferralStatus::Started))
        .exec(tx.db())
        .await?;
    if moved.rows_affected != 1 {
        return Ok(false);
    }
    // The referrer's points need a program of theirs to land in.
    let referrer_points = if capped || referrer_policy.program_id.is_none() {
        0
    } else {
        referrer_policy.referrer_points
    };
    let referrer_voucher = if capped {
        0
    } else {
        referrer_policy.referrer_voucher_minor
    };
    // Each side at its member's brand, the brands in id order: two conversions across the same
    // two brands, each way round, take the brands' ledger rows in the same order.
    let referrer_brand = elsewhere.unwrap_or(here);
    let sides = if referrer_brand < here {
        [true, false]
    } else {
        [false, true]
    };
    let (mut referee_voucher, mut referrer_voucher_id) = (None, None);
    let mut tx = tx;
    for referrer_side in sides {
        if referrer_side {
            tx = tx.acting_for(referrer_brand);
            if let Some(program) = referrer_policy.program_id
                && referrer_points > 0
            {
                crate::loyalty::grants::credit(
                    &tx,
                    r.referrer_id,
                    program,
                    referrer_points,
                    "Referral: a friend you referred made their first purchase".to_owned(),
                    (TransactionKind::Referral, CauseType::Referral, r.id),
                    AccountKind::BrandPointsIssued,
                )
                .await?;
            }
            referrer_voucher_id = reward_voucher(
                &tx,
                r.referrer_id,
                referrer_voucher,
                referrer_policy.voucher_valid_days,
                "Referral thanks",
            )
            .await?;
        } else {
            tx = tx.acting_for(here);
            if let Some(program) = policy.program_id
                && policy.referee_points > 0
            {
                crate::loyalty::grants::credit(
                    &tx,
                    r.referee_id,
                    program,
                    policy.referee_points,
                    "Referral: welcome reward".to_owned(),
                    (TransactionKind::Referral, CauseType::Referral, r.id),
                    AccountKind::BrandPointsIssued,
                )
                .await?;
            }
            referee_voucher = reward_voucher(
                &tx,
                r.referee_id,
                policy.referee_voucher_minor,
                policy.voucher_valid_days,
                "Referral welcome",
            )
            .await?;
        }
    }
    let referrer_voucher = referrer_voucher_id;
    let tx = tx.acting_for(here);
    tx.update_many::<referral::Entity>()
        .col_expr(
            referral::Column::RefereePoints,
            Expr::value(if policy.program_id.is_some() {
                policy.referee_points
            } else {
                0
            }),
        )
        .col_expr(
            referral::Column::ReferrerPoints,
            Expr::value(referrer_points),
        )
        .col_expr(referral::Column::ProgramId, Expr::value(policy.program_id))
        .col_expr(
            referral::Column::ReferrerProgramId,
            Expr::value(referrer_policy.program_id.filter(|_| referrer_points > 0)),
        )
        .col_expr(
            referral::Column::MinimumMinor,
            Expr::value(policy.minimum_purchase_minor),
        )
        .col_expr(
            referral::Column::RefereeVoucherId,
            Expr::value(referee_voucher),
        )
        .col_expr(
            referral::Column::ReferrerVoucherId,
            Expr::value(referrer_voucher),
        )
        .filter(referral::Column::Id.eq(r.id))
        .exec(tx.db())
        .await?;
    crate::core::events::append(
        &tx,
        "referral.converted",
        Some(r.id),
        Some(r.referee_id),
        serde_json::json!({ "referrer": r.referrer_id, "referrerBrand": r.referrer_brand_id, "purchase": purchase, "capped": capped }),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Reverses the referral this purchase converted when its return leaves less than the
/// minimum: points taken back (the rest as a debt), unused vouchers cancelled.
async fn reverse(scope: &TenantScope, purchase: Uuid) -> Result<bool, AppError> {
    let tx = scope.begin().await?;
    let Some(found) = tx
        .find::<referral::Entity>()
        .filter(referral::Column::PurchaseId.eq(purchase))
        .one(tx.db())
        .await?
    else {
        return Ok(false);
    };
    let r = tx.get_for_update::<referral::Entity>(found.id).await?;
    if !matches!(r.status, ReferralStatus::Converted | ReferralStatus::Capped) {
        return Ok(false);
    }
    // Judged against the minimum it converted under.
    let minimum = r.minimum_minor;
    let kept = crate::community::contests::entries::purchase_kept(&tx, purchase).await?;
    if kept >= minimum && kept > 0 {
        return Ok(false);
    }
    let now = tx.now();
    let here = tx.tenant_id();
    // Each side at its member's brand: the referee here, the referrer at theirs.
    let elsewhere = r.referrer_brand_id.filter(|b| *b != here);
    let sides = [
        (
            here,
            r.referee_id,
            r.program_id,
            r.referee_points,
            r.referee_voucher_id,
        ),
        (
            elsewhere.unwrap_or(here),
            r.referrer_id,
            if elsewhere.is_some() {
                r.referrer_program_id
            } else {
                r.program_id
            },
            r.referrer_points,
            r.referrer_voucher_id,
        ),
    ];
    let mut sides = sides;
    // The brands in id order, as a conversion takes them.
    sides.sort_by_key(|s| s.0);
    let mut tx = tx;
    for (brand, member, program, given, voucher) in sides {
        tx = tx.acting_for(brand);
        if let Some(program) = program
            && given > 0
        {
            crate::loyalty::grants::take_back(
                &tx,
                member,
                program,
                given,
                "Referral reversed: the qualifying purchase was returned".to_owned(),
                (TransactionKind::Referral, CauseType::Referral, r.id),
                now,
            )
            .await?;
        }
        if let Some(voucher) = voucher {
            tx.update_many::<entity::voucher::Entity>()
                .col_expr(entity::voucher::Column::CancelledAt, Expr::value(Some(now)))
                .filter(entity::voucher::Column::Id.eq(voucher))
                .filter(entity::voucher::Column::Uses.eq(0))
                .filter(entity::voucher::Column::CancelledAt.is_null())
                .exec(tx.db())
                .await?;
        }
    }
    let tx = tx.acting_for(here);
    tx.update_many::<referral::Entity>()
        .col_expr(
            referral::Column::Status,
            Expr::value(ReferralStatus::Reversed),
        )
        .col_expr(referral::Column::ReversedAt, Expr::value(Some(now)))
        .filter(referral::Column::Id.eq(r.id))
        .exec(tx.db())
        .await?;
    crate::core::events::append(
        &tx,
        "referral.reversed",
        Some(r.id),
        Some(r.referee_id),
        serde_json::json!({ "referrer": r.referrer_id, "purchase": purchase }),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disguised_addresses_and_phones_are_the_same_person() {
        assert_eq!(email_key("Ana.Lopez+promo@Gmail.com"), "analopez@gmail.com");
        assert_eq!(email_key("ana.lopez@googlemail.com"), "analopez@gmail.com");
        assert_ne!(email_key("ana@a.example"), email_key("ana@b.example"));
        assert_eq!(phone_key("+33 6 12 34 56 78"), phone_key("06.12.34.56.78"));
        assert_eq!(normalise_code(" ab-cd 23 "), "ABCD23");
        assert!(new_code().chars().all(|c| ALPHABET.contains(&(c as u8))));
    }
}
