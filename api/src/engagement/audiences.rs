//! Audiences: who a campaign targets. A filter is a tree — `all` / `any` / `not` over leaves on
//! member facts (tier, program, last purchase, total spend, points, enrolment date, attributes)
//! or a saved segment (a named filter) — so that segments computed elsewhere (RFM scores, clubs)
//! can be added later as new leaves or as attributes. Only members with an e-mail address and
//! e-mail consent, and not on the brand's suppression list, are ever mailable.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{
    club_member,
    ledger_account::{self, AccountKind},
    member, member_tier, purchase, purchase_line, segment, suppression,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, ExprTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::core::{
    error::AppError,
    tenancy::{Scoped, TenantScope},
    types::text,
};

/// An audience filter. Leaves set together in one node must all hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Filter {
    pub all: Vec<Filter>,
    pub any: Vec<Filter>,
    pub not: Option<Box<Filter>>,
    pub segment_id: Option<Uuid>,
    /// Current tier name (any program), case-insensitive.
    pub tier: Option<String>,
    /// Holds an account (earned or spent) in this program.
    pub program_id: Option<Uuid>,
    pub last_purchase_after: Option<DateTime<Utc>>,
    pub last_purchase_before: Option<DateTime<Utc>>,
    /// Never bought anything.
    pub never_purchased: Option<bool>,
    pub total_spend_at_least_minor: Option<i64>,
    pub total_spend_below_minor: Option<i64>,
    pub points_at_least: Option<i64>,
    pub enrolled_after: Option<DateTime<Utc>>,
    pub enrolled_before: Option<DateTime<Utc>>,
    /// A brand-defined attribute equal to a value.
    pub attribute: Option<(String, String)>,
    /// Bought one of these products (SKUs or categories; none listed: anything) in the last
    /// N days, not returned since ("just bought": under `not`, leaves them out).
    pub bought_within: Option<BoughtWithin>,
    /// An active member of this club (the community's `club_member` rows: being ACTIVE is the
    /// one fact club perks read).
    pub club_id: Option<Uuid>,
    /// A club member whose answer to one of the club's questions equals a value.
    pub club_answer: Option<ClubAnswer>,
    /// In this scoring segment (its key, `AT_RISK`) after the last scoring run.
    pub score_segment: Option<String>,
}

/// "Member of club X whose answer to `key` is `equals`".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ClubAnswer {
    pub club_id: Uuid,
    pub key: String,
    pub equals: String,
}

/// "Bought one of these products in the last `days` days".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BoughtWithin {
    pub skus: Vec<String>,
    pub categories: Vec<String>,
    pub days: i64,
}

impl BoughtWithin {
    fn matches(&self, sku: &str, category: Option<&str>) -> bool {
        (self.skus.is_empty() && self.categories.is_empty())
            || self
                .skus
                .iter()
                .any(|s| s.trim().eq_ignore_ascii_case(sku.trim()))
            || category.is_some_and(|c| {
                self.categories
                    .iter()
                    .any(|x| x.trim().eq_ignore_ascii_case(c.trim()))
            })
    }
}

/// The longest "bought within" window the filter asks about, if any.
fn longest_window(f: &Filter) -> Option<i64> {
    f.bought_within
        .as_ref()
        .map(|b| b.days)
        .into_iter()
        .chain(
            f.all
                .iter()
                .chain(&f.any)
                .chain(f.not.as_deref())
                .filter_map(longest_window),
        )
        .max()
}

const MAX_NODES: usize = 200;

/// Two club answers compared: case-insensitive, dates (`2026-3-4`) in their padded form.
fn same_answer(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        let s = s.trim();
        let parts: Option<Vec<u32>> = s.split('-').map(|p| p.parse().ok()).collect();
        match parts.as_deref() {
            Some([y, m, d]) if s.len() <= 10 => format!("{y:04}-{m:02}-{d:02}"),
            _ => s.to_lowercase(),
        }
    };
    norm(a) == norm(b)
}

/// Whether the filter has a scoring leaf anywhere.
fn asks_scores(f: &Filter) -> bool {
    f.score_segment.is_some()
        || f.all
            .iter()
            .chain(&f.any)
            .chain(f.not.as_deref())
            .any(asks_scores)
}

/// Whether the filter has a club leaf anywhere.
fn asks_clubs(f: &Filter) -> bool {
    f.club_id.is_some()
        || f.club_answer.is_some()
        || f.all
            .iter()
            .chain(&f.any)
            .chain(f.not.as_deref())
            .any(asks_clubs)
}

/// A line a member bought: SKU, category, when.
type Bought = (String, Option<String>, DateTime<Utc>);
/// A bought line as read: member, when, SKU, category.
type BoughtRow = (Option<Uuid>, DateTime<Utc>, String, Option<String>);

/// Per member: last purchase and total spent.
type PurchaseSums = (Option<Uuid>, Option<DateTime<Utc>>, Option<i64>);
const MAX_SEGMENT_DEPTH: usize = 5;

/// What is known about one member for filtering.
#[derive(Debug, Clone)]
struct Facts {
    member: member::Model,
    tiers: Vec<String>,
    programs: HashSet<Uuid>,
    points: i64,
    last_purchase: Option<DateTime<Utc>>,
    spend: i64,
    /// Lines bought in the longest "bought within" window: SKU, category, when.
    recent: Vec<Bought>,
    /// The clubs the member is an active member of, with their answers.
    clubs: HashMap<Uuid, std::collections::BTreeMap<String, String>>,
    /// The scoring segment of the last run.
    segment: Option<String>,
    now: DateTime<Utc>,
}

fn count_nodes(f: &Filter) -> usize {
    1 + f.all.iter().map(count_nodes).sum::<usize>()
        + f.any.iter().map(count_nodes).sum::<usize>()
        + f.not.as_deref().map_or(0, count_nodes)
}

/// Checks a filter's shape; segments named in it must be the brand's.
pub fn check(filter: &Filter) -> Result<(), AppError> {
    if count_nodes(filter) > MAX_NODES {
        return Err(AppError::validation(
            "input.filter",
            format!("has more than {MAX_NODES} nodes"),
        ));
    }
    if let Some(b) = &filter.bought_within {
        if !(1..=3650).contains(&b.days) {
            return Err(AppError::validation(
                "input.filter.boughtWithin.days",
                "must be between 1 and 3650",
            ));
        }
        if b.skus.len() + b.categories.len() > 100 {
            return Err(AppError::validation(
                "input.filter.boughtWithin",
                "at most 100 SKUs and categories",
            ));
        }
    }
    if let Some(a) = &filter.club_answer
        && (a.key.trim().is_empty()
            || a.key.chars().count() > 40
            || a.equals.trim().is_empty()
            || a.equals.chars().count() > 200)
    {
        return Err(AppError::validation(
            "input.filter.clubAnswer",
            "a question key of 1 to 40 characters and an answer of 1 to 200",
        ));
    }
    if let Some(k) = &filter.score_segment
        && (k.trim().is_empty()
            || k.len() > 32
            || !k
                .trim()
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
    {
        return Err(AppError::validation(
            "input.filter.scoreSegment",
            "a segment key: 1 to 32 capitals, digits or _ (AT_RISK)",
        ));
    }
    if let Some((key, _)) = &filter.attribute
        && key.trim().is_empty()
    {
        return Err(AppError::validation(
            "input.filter.attribute.key",
            "must not be empty",
        ));
    }
    for f in filter
        .all
        .iter()
        .chain(&filter.any)
        .chain(filter.not.as_deref())
    {
        check(f)?;
    }
    Ok(())
}

/// Replaces segment leaves by their filters (the brand's only; NOT_FOUND otherwise), to a
/// bounded depth (a segment naming itself is refused).
async fn expand<C: ConnectionTrait>(
    conn: &Scoped<C>,
    filter: &Filter,
    depth: usize,
) -> Result<Filter, AppError> {
    let mut out = filter.clone();
    // A club named by a leaf must be the brand's (another brand's reads as NOT_FOUND, as a
    // segment does).
    for club in filter
        .club_id
        .into_iter()
        .chain(filter.club_answer.as_ref().map(|a| a.club_id))
    {
        conn.get::<entity::club::Entity>(club).await?;
    }
    if let Some(id) = filter.segment_id {
        if depth >= MAX_SEGMENT_DEPTH {
            return Err(AppError::validation(
                "input.filter.segmentId",
                "segments nest too deep (or refer to themselves)",
            ));
        }
        let segment = conn.get::<segment::Entity>(id).await?;
        let inner: Filter =
            serde_json::from_value(segment.filter).map_err(|e| AppError::Internal(e.into()))?;
        out.segment_id = None;
        out.all
            .push(Box::pin(expand(conn, &inner, depth + 1)).await?);
    }
    let mut all = Vec::with_capacity(out.all.len());
    for f in &out.all {
        all.push(Box::pin(expand(conn, f, depth)).await?);
    }
    out.all = all;
    let mut any = Vec::with_capacity(out.any.len());
    for f in &out.any {
        any.push(Box::pin(expand(conn, f, depth)).await?);
    }
    out.any = any;
    if let Some(not) = &out.not {
        out.not = Some(Box::new(Box::pin(expand(conn, not, depth)).await?));
    }
    Ok(out)
}

fn matches(f: &Filter, x: &Facts) -> bool {
    let leaf = |ok: Option<bool>| ok.unwrap_or(true);
    leaf(
        f.tier
            .as_ref()
            .map(|t| x.tiers.iter().any(|n| n.eq_ignore_ascii_case(t.trim()))),
    ) && leaf(f.program_id.map(|p| x.programs.contains(&p)))
        && leaf(
            f.last_purchase_after
                .map(|d| x.last_purchase.is_some_and(|l| l > d)),
        )
        && leaf(
            f.last_purchase_before
                .map(|d| x.last_purchase.is_some_and(|l| l < d)),
        )
        && leaf(f.never_purchased.map(|n| n == x.last_purchase.is_none()))
        && leaf(f.total_spend_at_least_minor.map(|v| x.spend >= v))
        && leaf(f.total_spend_below_minor.map(|v| x.spend < v))
        && leaf(f.points_at_least.map(|v| x.points >= v))
        && leaf(f.enrolled_after.map(|d| x.member.created_at > d))
        && leaf(f.enrolled_before.map(|d| x.member.created_at < d))
        && leaf(f.attribute.as_ref().map(|(k, v)| {
            x.member.attributes.get(k.trim()).and_then(|a| a.as_str()) == Some(v.as_str())
        }))
        && leaf(f.club_id.map(|c| x.clubs.contains_key(&c)))
        && leaf(
            f.score_segment
                .as_ref()
                .map(|k| x.segment.as_deref() == Some(k.trim())),
        )
        && leaf(f.club_answer.as_ref().map(|a| {
            x.clubs
                .get(&a.club_id)
                .and_then(|answers| answers.get(a.key.trim()))
                .is_some_and(|v| same_answer(v, &a.equals))
        }))
        && leaf(f.bought_within.as_ref().map(|b| {
            let since = x.now - chrono::Duration::days(b.days);
            x.recent
                .iter()
                .any(|(sku, category, at)| *at >= since && b.matches(sku, category.as_deref()))
        }))
        && f.all.iter().all(|g| matches(g, x))
        && (f.any.is_empty() || f.any.iter().any(|g| matches(g, x)))
        && f.not.as_deref().is_none_or(|g| !matches(g, x))
}

/// The members a filter selects, split by whether they may be mailed.
#[derive(Debug, Clone, Default)]
pub struct Audience {
    /// Matched and mailable (address, consent, not suppressed), in enrolment order.
    pub mailable: Vec<member::Model>,
    pub matched: usize,
    pub without_email_or_consent: usize,
    pub suppressed: usize,
}

/// Evaluates a filter over the brand's members.
pub async fn evaluate<C: ConnectionTrait>(
    conn: &Scoped<C>,
    filter: &Filter,
) -> Result<Audience, AppError> {
    evaluate_for(conn, filter, None).await
}

/// Whether a member is in one of the brand's saved segments now (offers restricted to a
/// segment ask at the checkout: the same facts as a campaign's, read for that member only).
pub async fn segment_contains<C: ConnectionTrait>(
    conn: &Scoped<C>,
    segment: Uuid,
    member: Uuid,
) -> Result<bool, AppError> {
    let filter = Filter {
        segment_id: Some(segment),
        ..Filter::default()
    };
    Ok(evaluate_for(conn, &filter, Some(member)).await?.matched == 1)
}

/// Evaluates a filter over the brand's members, or over one of them.
async fn evaluate_for<C: ConnectionTrait>(
    conn: &Scoped<C>,
    filter: &Filter,
    only: Option<Uuid>,
) -> Result<Audience, AppError> {
    check(filter)?;
    let filter = expand(conn, filter, 0).await?;
    let mut members = conn.find::<member::Entity>();
    let mut tier_rows = conn.find::<member_tier::Entity>();
    let mut account_rows = conn
        .find::<ledger_account::Entity>()
        .filter(ledger_account::Column::MemberId.is_not_null());
    let mut purchase_rows = conn
        .find::<purchase::Entity>()
        .filter(purchase::Column::MemberId.is_not_null());
    if let Some(m) = only {
        members = members.filter(member::Column::Id.eq(m));
        tier_rows = tier_rows.filter(member_tier::Column::MemberId.eq(m));
        account_rows = account_rows.filter(ledger_account::Column::MemberId.eq(m));
        purchase_rows = purchase_rows.filter(purchase::Column::MemberId.eq(m));
    }
    let members = members
        .order_by_asc(member::Column::Id)
        .all(conn.db())
        .await?;
    let mut tiers: HashMap<Uuid, HashMap<Uuid, String>> = HashMap::new();
    for t in tier_rows
        .order_by_asc(member_tier::Column::CreatedAt)
        .order_by_asc(member_tier::Column::Id)
        .all(conn.db())
        .await?
    {
        // The newest row per member and program is the current tier.
        tiers
            .entry(t.member_id)
            .or_default()
            .insert(t.program_id, t.name);
    }
    let mut programs: HashMap<Uuid, (HashSet<Uuid>, i64)> = HashMap::new();
    for a in account_rows.all(conn.db()).await? {
        let Some(m) = a.member_id else { continue };
        let entry = programs.entry(m).or_default();
        if let Some(p) = a.program_id {
            entry.0.insert(p);
        }
        if a.kind == AccountKind::MemberPoints {
            entry.1 += a.balance;
        }
    }
    let purchases: Vec<PurchaseSums> = purchase_rows
        .select_only()
        .column(purchase::Column::MemberId)
        .column_as(Expr::col(purchase::Column::OccurredAt).max(), "last")
        .column_as(Expr::cust("CAST(SUM(total_minor) AS BIGINT)"), "spend")
        .group_by(purchase::Column::MemberId)
        .into_tuple()
        .all(conn.db())
        .await?;
    let purchases: HashMap<Uuid, (Option<DateTime<Utc>>, i64)> = purchases
        .into_iter()
        .filter_map(|(m, last, spend)| Some((m?, (last, spend.unwrap_or(0)))))
        .collect();
    // What members bought lately, only when the filter asks (lines kept, not returned).
    let now = conn.now();
    let mut recent: HashMap<Uuid, Vec<Bought>> = HashMap::new();
    if let Some(days) = longest_window(&filter) {
        let since = now - chrono::Duration::days(days);
        let bought: Vec<BoughtRow> = conn
            .find::<purchase_line::Entity>()
            .select_only()
            .column(purchase::Column::MemberId)
            .column(purchase::Column::OccurredAt)
            .column(purchase_line::Column::Sku)
            .column(purchase_line::Column::Category)
            .join(
                sea_orm::JoinType::InnerJoin,
                <purchase_line::Entity as sea_orm::EntityTrait>::belongs_to(purchase::Entity)
                    .from(purchase_line::Column::PurchaseId)
                    .to(purchase::Column::Id)
                    .into(),
            )
            .filter(match only {
                Some(m) => purchase::Column::MemberId.eq(m),
                None => purchase::Column::MemberId.is_not_null(),
            })
            .filter(purchase::Column::OccurredAt.gte(since))
            .filter(purchase_line::Column::OfferId.is_null())
            .filter(
                Expr::col((
                    purchase_line::Entity,
                    purchase_line::Column::ReturnedQuantity,
                ))
                .lt(Expr::col((
                    purchase_line::Entity,
                    purchase_line::Column::Quantity,
                ))),
            )
            .into_tuple()
            .all(conn.db())
            .await?;
        for (member, at, sku, category) in bought {
            if let Some(m) = member {
                recent.entry(m).or_default().push((sku, category, at));
            }
        }
    }
    // Club places, only when the filter asks.
    let mut clubs: HashMap<Uuid, HashMap<Uuid, std::collections::BTreeMap<String, String>>> =
        HashMap::new();
    if asks_clubs(&filter) {
        let mut rows = conn
            .find::<club_member::Entity>()
            .filter(club_member::Column::Status.eq(club_member::ClubMemberStatus::Active));
        if let Some(m) = only {
            rows = rows.filter(club_member::Column::MemberId.eq(m));
        }
        for p in rows.all(conn.db()).await? {
            let answers = p
                .answers
                .as_deref()
                .and_then(|a| serde_json::from_str(a).ok())
                .unwrap_or_default();
            clubs
                .entry(p.member_id)
                .or_default()
                .insert(p.club_id, answers);
        }
    }
    // Scoring segments, only when the filter asks.
    let mut scored = if asks_scores(&filter) {
        crate::analytics::segments::members_in(conn, only).await?
    } else {
        HashMap::new()
    };
    // One member's check (a checkout) needs no mail suppressions.
    let suppressed: HashSet<String> = if only.is_some() {
        HashSet::new()
    } else {
        conn.find::<suppression::Entity>()
            .all(conn.db())
            .await?
            .into_iter()
            .map(|s| s.email)
            .collect()
    };
    let mut audience = Audience::default();
    for m in members {
        let (programs, points) = programs.remove(&m.id).unwrap_or_default();
        let (last_purchase, spend) = purchases.get(&m.id).copied().unwrap_or((None, 0));
        let facts = Facts {
            tiers: tiers
                .remove(&m.id)
                .map(|t| t.into_values().collect())
                .unwrap_or_default(),
            programs,
            points,
            last_purchase,
            spend,
            recent: recent.remove(&m.id).unwrap_or_default(),
            clubs: clubs.remove(&m.id).unwrap_or_default(),
            segment: scored.remove(&m.id),
            now,
            member: m,
        };
        if !matches(&filter, &facts) {
            continue;
        }
        audience.matched += 1;
        // A suppressed address (unsubscribed, bounced, complained) counts as suppressed
        // whatever its consent: unsubscribing withdraws the consent too.
        match &facts.member.email {
            Some(email) if suppressed.contains(email) => audience.suppressed += 1,
            Some(_) if facts.member.email_consent => audience.mailable.push(facts.member),
            _ => audience.without_email_or_consent += 1,
        }
    }
    Ok(audience)
}

/// Saves a named segment (replacing the filter of an existing one of that name).
pub async fn save_segment(
    scope: &TenantScope,
    name: &str,
    filter: &Filter,
) -> Result<segment::Model, AppError> {
    let name = text("input.name", name, 100)?;
    check(filter)?;
    let tx = scope.begin().await?;
    // The filter must evaluate (segments it names exist and do not loop).
    expand(&tx, filter, 1).await?;
    let json = serde_json::to_value(filter).map_err(|e| AppError::Internal(e.into()))?;
    let now = scope.now();
    let inserted = tx
        .insert_if_absent(
            segment::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(scope.tenant_id()),
                name: Set(name.clone()),
                filter: Set(json.clone()),
                created_at: Set(now),
                updated_at: Set(now),
            },
            vec![segment::Column::TenantId, segment::Column::Name],
        )
        .await?;
    if !inserted {
        tx.update_many::<segment::Entity>()
            .col_expr(segment::Column::Filter, Expr::value(json))
            .col_expr(segment::Column::UpdatedAt, Expr::value(now))
            .filter(segment::Column::Name.eq(&name))
            .exec(tx.db())
            .await?;
    }
    let saved = tx
        .find::<segment::Entity>()
        .filter(segment::Column::Name.eq(&name))
        .one(tx.db())
        .await?
        .ok_or(AppError::NotFound)?;
    // A segment may not end up naming itself.
    expand(
        &tx,
        &Filter {
            segment_id: Some(saved.id),
            ..Filter::default()
        },
        0,
    )
    .await?;
    tx.commit().await?;
    Ok(saved)
}

pub async fn segments(scope: &TenantScope) -> Result<Vec<segment::Model>, AppError> {
    let conn = scope.conn();
    Ok(conn
        .find::<segment::Entity>()
        .order_by_asc(segment::Column::Name)
        .all(conn.db())
        .await?)
}

/// Adds an address to the brand's suppression list (idempotent).
pub async fn suppress(
    scope: &TenantScope,
    email: &str,
    reason: suppression::SuppressionReason,
) -> Result<(), AppError> {
    let email = crate::core::types::Email::parse("input.email", email)?;
    suppress_in(&scope.conn(), email.as_str(), reason).await
}

/// Adds an address (already normalised) to the suppression list, in the caller's transaction.
pub async fn suppress_in<C: ConnectionTrait>(
    conn: &Scoped<C>,
    email: &str,
    reason: suppression::SuppressionReason,
) -> Result<(), AppError> {
    conn.insert_if_absent(
        suppression::ActiveModel {
            tenant_id: Set(conn.tenant_id()),
            email: Set(email.to_owned()),
            reason: Set(reason),
            created_at: Set(conn.now()),
        },
        vec![suppression::Column::TenantId, suppression::Column::Email],
    )
    .await?;
    Ok(())
}

pub async fn suppressions(scope: &TenantScope) -> Result<Vec<suppression::Model>, AppError> {
    let conn = scope.conn();
    Ok(conn
        .find::<suppression::Entity>()
        .order_by_asc(suppression::Column::Email)
        .all(conn.db())
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(spend: i64, tier: Option<&str>) -> Facts {
        Facts {
            member: member::Model {
                id: Uuid::nil(),
                tenant_id: Uuid::nil(),
                email: Some("a@b.example".into()),
                phone: None,
                first_name: None,
                last_name: None,
                birth_date: None,
                preferred_store: None,
                email_consent: true,
                email_consent_at: None,
                email_consent_source: None,
                sms_consent: false,
                sms_consent_at: None,
                sms_consent_source: None,
                attributes: serde_json::json!({ "club": "running" }),
                enrolled_via: member::EnrolmentChannel::Staff,
                password_hash: None,
                sessions_valid_after: None,
                household_id: None,
                created_at: Utc::now(),
                updated_at: Utc::now(),
            },
            tiers: tier.map(|t| vec![t.to_owned()]).unwrap_or_default(),
            programs: HashSet::new(),
            points: 0,
            last_purchase: None,
            spend,
            recent: vec![("THE".into(), Some("tea".into()), Utc::now())],
            clubs: HashMap::new(),
            segment: None,
            now: Utc::now(),
        }
    }

    #[test]
    fn club_leaves_read_active_places_and_their_answers() {
        let wine = Uuid::from_u128(7);
        let baby = Uuid::from_u128(8);
        let mut x = facts(0, None);
        x.clubs.insert(
            wine,
            std::collections::BTreeMap::from([("colour".to_owned(), "Red".to_owned())]),
        );
        let member_of = |c| Filter {
            club_id: Some(c),
            ..Filter::default()
        };
        assert!(matches(&member_of(wine), &x));
        assert!(!matches(&member_of(baby), &x));
        let answer = |c, v: &str| Filter {
            club_answer: Some(ClubAnswer {
                club_id: c,
                key: "colour".into(),
                equals: v.into(),
            }),
            ..Filter::default()
        };
        assert!(matches(&answer(wine, "red"), &x));
        assert!(!matches(&answer(wine, "white"), &x));
        assert!(!matches(&answer(baby, "red"), &x));
        assert!(same_answer("2026-03-04", "2026-3-4"));
        assert!(!same_answer("2026-03-04", "2026-3-5"));
        assert!(asks_clubs(&Filter {
            not: Some(Box::new(member_of(wine))),
            ..Filter::default()
        }));
        assert!(!asks_clubs(&Filter::default()));
    }

    #[test]
    fn bought_within_reads_skus_and_categories_in_the_window() {
        let x = facts(0, None);
        let leaf = |skus: &[&str], categories: &[&str], days| Filter {
            bought_within: Some(BoughtWithin {
                skus: skus.iter().map(|s| (*s).to_owned()).collect(),
                categories: categories.iter().map(|s| (*s).to_owned()).collect(),
                days,
            }),
            ..Filter::default()
        };
        assert!(matches(&leaf(&["the"], &[], 1), &x));
        assert!(matches(&leaf(&[], &["TEA"], 1), &x));
        assert!(!matches(&leaf(&["CAFE"], &["coffee"], 1), &x));
        let old = Facts {
            recent: vec![("THE".into(), None, Utc::now() - chrono::Duration::days(3))],
            ..facts(0, None)
        };
        assert!(!matches(&leaf(&["THE"], &[], 2), &old));
    }

    #[test]
    fn filters_combine_with_all_any_and_not() {
        let gold = Filter {
            tier: Some("gold".into()),
            ..Filter::default()
        };
        let big = Filter {
            total_spend_at_least_minor: Some(10_000),
            ..Filter::default()
        };
        let either = Filter {
            any: vec![gold.clone(), big.clone()],
            ..Filter::default()
        };
        assert!(matches(&either, &facts(20_000, None)));
        assert!(matches(&either, &facts(0, Some("Gold"))));
        assert!(!matches(&either, &facts(0, Some("Silver"))));
        let not_gold = Filter {
            not: Some(Box::new(gold)),
            ..Filter::default()
        };
        assert!(!matches(&not_gold, &facts(0, Some("GOLD"))));
        let club = Filter {
            attribute: Some(("club".into(), "running".into())),
            ..Filter::default()
        };
        assert!(matches(
            &Filter {
                all: vec![club, not_gold],
                ..Filter::default()
            },
            &facts(0, None)
        ));
        assert!(
            matches(&Filter::default(), &facts(0, None)),
            "an empty filter is everyone"
        );
    }
}
