//! Members (consumers) and their cards. A member is unique by e-mail and by phone within a
//! brand; a card number has a Luhn check digit; the balance belongs to the member, so a lost
//! card is replaced without moving anything.
//!
//! Size: over 500 lines on purpose: enrolment, cards, profiles and attributes share their
//! validation (about 215 lines are unit tests).

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    card::{self, CardStatus},
    ledger_account::AccountKind,
    ledger_transaction::TransactionKind,
    member::{self, EnrolmentChannel},
};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, ExprTrait, QueryFilter, QueryOrder,
    sea_query::{Expr, Func},
};
use serde::Serialize;
use uuid::Uuid;

use crate::{
    core::{
        error::AppError,
        idempotency::Idempotency,
        ledger,
        ledger::{Header, POINTS, Posting},
        page,
        page::{Page, PageRequest},
        tenancy::{Scoped, TenantScope},
        types::{Email, text},
    },
    loyalty::programs,
};

/// Enrolment input, as received.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Enrol {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub preferred_store: Option<String>,
    pub email_consent: bool,
    pub sms_consent: bool,
    /// How consent was given ("checkout form", "app sign-up").
    pub consent_source: Option<String>,
    pub attributes: Vec<(String, String)>,
    /// For self-service sign-up: the argon2id hash of the member's password (never fingerprinted).
    #[serde(skip)]
    pub password_hash: Option<String>,
}

/// A phone number in E.164: `+` and 8 to 15 digits (spaces, dots and dashes are dropped).
pub fn parse_phone(field: &'static str, raw: &str) -> Result<String, AppError> {
    let compact: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-'))
        .collect();
    let digits = compact.strip_prefix('+').unwrap_or("");
    if !(8..=15).contains(&digits.len())
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || digits.starts_with('0')
    {
        return Err(AppError::validation(
            field,
            "must be an international number such as +33612345678",
        ));
    }
    Ok(compact)
}

/// The Luhn check digit of a string of digits.
pub fn luhn_digit(digits: &str) -> u32 {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let dd = d * 2;
                if dd > 9 { dd - 9 } else { dd }
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

/// A card number as printed or typed (`9524 3349 7302 5662`, `9524-3349-…`): digits only.
pub fn normalise_card_number(raw: &str) -> String {
    raw.trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '\u{a0}'))
        .collect()
}

/// Whether a card number's last digit is its Luhn check digit.
pub fn luhn_valid(number: &str) -> bool {
    number.len() >= 2
        && number.bytes().all(|b| b.is_ascii_digit())
        && luhn_digit(&number[..number.len() - 1])
            == u32::from(number.as_bytes()[number.len() - 1] - b'0')
}

fn new_card_number() -> String {
    // "9" marks a brand's loyalty card.
    new_card_number_with_prefix('9')
}

/// A card number: the prefix (9: a brand's card, 8: a coalition card), 14 random digits and a
/// Luhn check digit.
pub fn new_card_number_with_prefix(prefix: char) -> String {
    let body: String = std::iter::once(prefix)
        .chain((0..14).map(|_| char::from(b'0' + rand::random_range(0..10u8))))
        .collect();
    let check = luhn_digit(&body);
    format!("{body}{check}")
}

async fn issue_card<C: ConnectionTrait>(
    tx: &Scoped<C>,
    member: Uuid,
) -> Result<card::Model, AppError> {
    // Numbers are random; a clash (1 in 10^14 per pair) is retried.
    for _ in 0..5 {
        let number = new_card_number();
        let now = tx.now();
        let inserted = tx
            .insert_if_absent(
                card::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    tenant_id: Set(tx.tenant_id()),
                    member_id: Set(member),
                    number: Set(number.clone()),
                    payload: Set(format!("FIDELIS:{number}")),
                    status: Set(CardStatus::Active),
                    replaced_by: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                },
                vec![card::Column::TenantId, card::Column::Number],
            )
            .await?;
        if inserted {
            return tx
                .find::<card::Entity>()
                .filter(card::Column::Number.eq(number))
                .one(tx.db())
                .await?
                .ok_or(AppError::NotFound);
        }
    }
    Err(AppError::Internal(anyhow::anyhow!(
        "could not draw a free card number"
    )))
}

/// A birth date must be in the past and after 1900.
fn check_birth_date(birth: Option<NaiveDate>) -> Result<(), AppError> {
    if let Some(birth) = birth
        && (birth > Utc::now().date_naive()
            || birth < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(birth))
    {
        return Err(AppError::validation(
            "input.birthDate",
            "must be a past date after 1900",
        ));
    }
    Ok(())
}

/// Custom attributes as stored: at most 50, keys up to 64 and values up to 500 characters.
fn attributes_json(list: &[(String, String)]) -> Result<serde_json::Value, AppError> {
    if list.len() > 50 {
        return Err(AppError::validation(
            "input.attributes",
            "at most 50 attributes",
        ));
    }
    let mut map = serde_json::Map::new();
    for (key, value) in list {
        map.insert(
            text("input.attributes.key", key, 64)?,
            serde_json::Value::String(text("input.attributes.value", value, 500)?),
        );
    }
    Ok(serde_json::Value::Object(map))
}

/// Enrols a member, issues their first card, and books welcome bonuses. Refuses (CONFLICT) an
/// e-mail or phone already enrolled with the brand.
pub async fn enrol(
    scope: &TenantScope,
    input: Enrol,
    via: EnrolmentChannel,
    idempotency_key: Option<&str>,
) -> Result<(member::Model, card::Model), AppError> {
    let idem = Idempotency::optional(
        scope.tenant_id().to_string(),
        "enrollMember",
        idempotency_key,
        &input,
    )?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.replay(scope.conn().db()).await?
    {
        return reload(scope, &previous).await;
    }
    let email = input
        .email
        .as_deref()
        .map(|e| Email::parse("input.email", e))
        .transpose()?;
    let phone = input
        .phone
        .as_deref()
        .map(|p| parse_phone("input.phone", p))
        .transpose()?;
    if email.is_none() && phone.is_none() && input.first_name.is_none() && input.last_name.is_none()
    {
        // An anonymous card is fine, but a member with nothing at all is a mistake more often than not.
        return Err(AppError::validation(
            "input",
            "give at least an e-mail, a phone or a name",
        ));
    }
    let opt_text =
        |field, v: &Option<String>, max| v.as_deref().map(|s| text(field, s, max)).transpose();
    let first_name = opt_text("input.firstName", &input.first_name, 100)?;
    let last_name = opt_text("input.lastName", &input.last_name, 100)?;
    let store = opt_text("input.preferredStore", &input.preferred_store, 100)?;
    let source = opt_text("input.consentSource", &input.consent_source, 100)?;
    check_birth_date(input.birth_date)?;
    if input.email_consent && email.is_none() {
        return Err(AppError::validation(
            "input.emailConsent",
            "needs an e-mail address",
        ));
    }
    if input.sms_consent && phone.is_none() {
        return Err(AppError::validation(
            "input.smsConsent",
            "needs a phone number",
        ));
    }
    let attributes = attributes_json(&input.attributes)?;

    let now = scope.now();
    let tx = scope.begin().await?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.claim(tx.db()).await?
    {
        drop(tx);
        return reload(scope, &previous).await;
    }
    if let Some(email) = &email
        && tx
            .find::<member::Entity>()
            .filter(member::Column::Email.eq(email.as_str()))
            .one(tx.db())
            .await?
            .is_some()
    {
        return Err(AppError::conflict(
            "a member with this e-mail is already enrolled",
        ));
    }
    if let Some(phone) = &phone
        && tx
            .find::<member::Entity>()
            .filter(member::Column::Phone.eq(phone.as_str()))
            .one(tx.db())
            .await?
            .is_some()
    {
        return Err(AppError::conflict(
            "a member with this phone is already enrolled",
        ));
    }
    let consent_at = |given: bool| given.then_some(now);
    let member = tx
        .insert(member::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(scope.tenant_id()),
            email: Set(email.map(|e| e.as_str().to_owned())),
            phone: Set(phone),
            first_name: Set(first_name),
            last_name: Set(last_name),
            birth_date: Set(input.birth_date),
            preferred_store: Set(store),
            email_consent: Set(input.email_consent),
            email_consent_at: Set(consent_at(input.email_consent)),
            email_consent_source: Set(input.email_consent.then(|| source.clone()).flatten()),
            sms_consent: Set(input.sms_consent),
            sms_consent_at: Set(consent_at(input.sms_consent)),
            sms_consent_source: Set(input.sms_consent.then(|| source.clone()).flatten()),
            attributes: Set(attributes),
            enrolled_via: Set(via),
            password_hash: Set(input.password_hash.clone()),
            sessions_valid_after: Set(None),
            household_id: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .await?;
    let card = issue_card(&tx, member.id).await?;
    for program in programs::active_at(&tx, now).await? {
        let Some(rules) = program.rules.points() else {
            continue;
        };
        if rules.welcome_bonus > 0 {
            let account = ledger::account(
                &tx,
                AccountKind::MemberPoints,
                Some(member.id),
                Some(program.program.id),
                POINTS,
            )
            .await?;
            let issued = ledger::account(
                &tx,
                AccountKind::BrandPointsIssued,
                None,
                Some(program.program.id),
                POINTS,
            )
            .await?;
            let expires = add_months(now, rules.validity_months);
            let lot = ledger::new_lot(&tx, &account, member.id, rules.welcome_bonus, now, expires)
                .await?;
            ledger::post(
                &tx,
                Header {
                    kind: TransactionKind::Bonus,
                    reason: format!("Welcome bonus of {}", program.program.name),
                    cause_type: crate::core::ledger::CauseType::Enrolment,
                    cause_id: Some(member.id),
                    member_id: Some(member.id),
                    occurred_at: now,
                },
                vec![
                    Posting::new(&account, rules.welcome_bonus).on_lot(lot),
                    Posting::new(&issued, -rules.welcome_bonus),
                ],
            )
            .await?;
        }
    }
    crate::core::events::append(
        &tx,
        "member.enrolled",
        Some(member.id),
        Some(member.id),
        serde_json::json!({ "card": card.id, "hasEmail": member.email.is_some(), "channel": via }),
    )
    .await?;
    if let Some(idem) = &idem {
        idem.record(
            tx.db(),
            serde_json::json!({ "member": member.id, "card": card.id }),
        )
        .await?;
    }
    tx.commit().await?;
    tracing::info!(tenant.id = %scope.tenant_id(), member.id = %member.id, "member enrolled via {via:?}");
    Ok((member, card))
}

async fn reload(
    scope: &TenantScope,
    previous: &serde_json::Value,
) -> Result<(member::Model, card::Model), AppError> {
    let id = |k: &str| crate::core::idempotency::recorded_id(previous, k);
    let conn = scope.conn();
    Ok((
        conn.get::<member::Entity>(id("member")?).await?,
        conn.get::<card::Entity>(id("card")?).await?,
    ))
}

/// A change of a member's profile: only the fields given change. Consent changes record when
/// and how they were given or withdrawn.
#[derive(Debug, Clone, Default)]
pub struct ProfileUpdate {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub preferred_store: Option<String>,
    pub email_consent: Option<bool>,
    pub sms_consent: Option<bool>,
    pub consent_source: Option<String>,
    /// Replaces every attribute when given.
    pub attributes: Option<Vec<(String, String)>>,
}

/// Updates a member's profile and consent. CONFLICT when the new e-mail or phone belongs to
/// another member of the brand; VALIDATION (nothing written) for bad values.
pub async fn update_profile(
    scope: &TenantScope,
    member_id: Uuid,
    change: ProfileUpdate,
    default_source: &str,
) -> Result<member::Model, AppError> {
    let email = change
        .email
        .as_deref()
        .map(|e| Email::parse("input.email", e))
        .transpose()?;
    let phone = change
        .phone
        .as_deref()
        .map(|p| parse_phone("input.phone", p))
        .transpose()?;
    let opt_text =
        |field, v: &Option<String>, max| v.as_deref().map(|s| text(field, s, max)).transpose();
    let first_name = opt_text("input.firstName", &change.first_name, 100)?;
    let last_name = opt_text("input.lastName", &change.last_name, 100)?;
    let store = opt_text("input.preferredStore", &change.preferred_store, 100)?;
    let source = opt_text("input.consentSource", &change.consent_source, 100)?
        .unwrap_or_else(|| default_source.to_owned());
    check_birth_date(change.birth_date)?;
    let attributes = change
        .attributes
        .as_deref()
        .map(attributes_json)
        .transpose()?;
    let now = scope.now();
    let tx = scope.begin().await?;
    let current = tx.get::<member::Entity>(member_id).await?;
    for (column, value, what) in [
        (
            member::Column::Email,
            email.as_ref().map(|e| e.as_str().to_owned()),
            "e-mail",
        ),
        (member::Column::Phone, phone.clone(), "phone"),
    ] {
        if let Some(value) = value
            && tx
                .find::<member::Entity>()
                .filter(column.eq(value))
                .filter(member::Column::Id.ne(member_id))
                .one(tx.db())
                .await?
                .is_some()
        {
            return Err(AppError::conflict(format!(
                "another member of the brand has this {what}"
            )));
        }
    }
    let email_after = email
        .as_ref()
        .map(|e| e.as_str().to_owned())
        .or(current.email.clone());
    let phone_after = phone.clone().or(current.phone.clone());
    if change.email_consent == Some(true) && email_after.is_none() {
        return Err(AppError::validation(
            "input.emailConsent",
            "needs an e-mail address",
        ));
    }
    if change.sms_consent == Some(true) && phone_after.is_none() {
        return Err(AppError::validation(
            "input.smsConsent",
            "needs a phone number",
        ));
    }
    let mut changes: Vec<(member::Column, sea_orm::Value)> = Vec::new();
    let mut set = |column: member::Column, value: sea_orm::Value| changes.push((column, value));
    if let Some(v) = email_after.clone().filter(|_| email.is_some()) {
        set(member::Column::Email, v.into());
    }
    if let Some(v) = phone {
        set(member::Column::Phone, v.into());
    }
    if let Some(v) = first_name {
        set(member::Column::FirstName, v.into());
    }
    if let Some(v) = last_name {
        set(member::Column::LastName, v.into());
    }
    if let Some(v) = change.birth_date {
        set(member::Column::BirthDate, v.into());
    }
    if let Some(v) = store {
        set(member::Column::PreferredStore, v.into());
    }
    if let Some(v) = attributes {
        set(member::Column::Attributes, v.into());
    }
    if let Some(given) = change.email_consent.filter(|g| *g != current.email_consent) {
        set(member::Column::EmailConsent, given.into());
        set(member::Column::EmailConsentAt, now.into());
        set(member::Column::EmailConsentSource, source.clone().into());
    }
    if let Some(given) = change.sms_consent.filter(|g| *g != current.sms_consent) {
        set(member::Column::SmsConsent, given.into());
        set(member::Column::SmsConsentAt, now.into());
        set(member::Column::SmsConsentSource, source.clone().into());
    }
    let mut update = tx
        .update_many::<member::Entity>()
        .col_expr(member::Column::UpdatedAt, now.into())
        .filter(member::Column::Id.eq(member_id));
    for (column, value) in changes {
        update = update.col_expr(column, sea_orm::sea_query::Expr::value(value));
    }
    update.exec(tx.db()).await.map_err(|e| {
        if crate::core::db::is_unique_violation(&e) {
            AppError::conflict("another member of the brand has this e-mail or phone")
        } else {
            e.into()
        }
    })?;
    let updated = tx.get::<member::Entity>(member_id).await?;
    tx.commit().await?;
    Ok(updated)
}

/// `at` plus whole calendar months (the 31st becomes the month's last day).
pub fn add_months(at: DateTime<Utc>, months: u32) -> DateTime<Utc> {
    at.checked_add_months(chrono::Months::new(months))
        .unwrap_or(at)
}

pub async fn get(scope: &TenantScope, id: Uuid) -> Result<member::Model, AppError> {
    scope.conn().get::<member::Entity>(id).await
}

/// Members, optionally those whose e-mail, phone or name contains `search`, or who hold the
/// card with that number.
pub async fn list(
    scope: &TenantScope,
    search: Option<&str>,
    page: PageRequest,
) -> Result<Page<member::Model>, AppError> {
    let conn = scope.conn();
    let mut select = conn.find::<member::Entity>();
    if let Some(term) = search.map(str::trim).filter(|s| !s.is_empty()) {
        let term = text("search", term, 100)?.to_lowercase();
        select =
            select.filter(
                sea_orm::Condition::any()
                    .add(member::Column::Email.contains(&term))
                    .add(member::Column::Phone.contains(&term))
                    // Names keep their case; compare them lower-cased (LIKE is case-sensitive on PostgreSQL).
                    .add(
                        Expr::expr(Func::lower(Expr::col(member::Column::LastName)))
                            .like(format!("%{term}%")),
                    )
                    .add(
                        Expr::expr(Func::lower(Expr::col(member::Column::FirstName)))
                            .like(format!("%{term}%")),
                    )
                    // A card number, as printed or scanned: its holder (this brand's cards only).
                    .add(
                        member::Column::Id.in_subquery(
                            sea_orm::sea_query::Query::select()
                                .column(card::Column::MemberId)
                                .from(card::Entity)
                                .and_where(card::Column::TenantId.eq(scope.tenant_id()))
                                .and_where(card::Column::Number.eq(
                                    term.trim_start_matches("fidelis:").replace([' ', '-'], ""),
                                ))
                                .to_owned(),
                        ),
                    ),
            );
    }
    Ok(page::fetch(conn.db(), select, member::Column::Id, page).await?)
}

pub async fn cards_of(scope: &TenantScope, member: Uuid) -> Result<Vec<card::Model>, AppError> {
    let conn = scope.conn();
    Ok(conn
        .find::<card::Entity>()
        .filter(card::Column::MemberId.eq(member))
        .order_by_asc(card::Column::Id)
        .all(conn.db())
        .await?)
}

/// A card by its printed number or scanned payload (checkout look-up).
pub async fn card_by_number(scope: &TenantScope, number: &str) -> Result<card::Model, AppError> {
    find_card(&scope.conn(), "number", number).await
}

/// The brand's card with this printed number or scanned payload (`FIDELIS:<number>`);
/// VALIDATION on `field` when the check digit is wrong, NOT_FOUND when no such card.
pub(crate) async fn find_card<C: ConnectionTrait>(
    tx: &Scoped<C>,
    field: &'static str,
    raw: &str,
) -> Result<card::Model, AppError> {
    // As printed or typed: `9524 3349 7302 5662` and `9524-3349-7302-5662` are the same card.
    let trimmed = raw.trim();
    let number = normalise_card_number(trimmed.strip_prefix("FIDELIS:").unwrap_or(trimmed));
    let number = number.as_str();
    if !luhn_valid(number) {
        return Err(AppError::validation(
            field,
            "is not a valid card number (check digit)",
        ));
    }
    tx.find::<card::Entity>()
        .filter(card::Column::Number.eq(number))
        .one(tx.db())
        .await?
        .ok_or(AppError::NotFound)
}

/// Blocks or unblocks a card. Lost and replaced cards stay refused.
pub async fn set_card_blocked(
    scope: &TenantScope,
    card_id: Uuid,
    blocked: bool,
) -> Result<card::Model, AppError> {
    let conn = scope.conn();
    let card = conn.get::<card::Entity>(card_id).await?;
    let status = match (card.status, blocked) {
        (CardStatus::Active | CardStatus::Blocked, true) => CardStatus::Blocked,
        (CardStatus::Active | CardStatus::Blocked, false) => CardStatus::Active,
        (CardStatus::Lost | CardStatus::Replaced, _) => {
            return Err(AppError::conflict(
                "a lost or replaced card cannot be reactivated",
            ));
        }
    };
    let mut model: card::ActiveModel = card.into();
    model.status = Set(status);
    model.updated_at = Set(scope.now());
    conn.update(model).await
}

/// Marks a card lost (or simply replaced) and issues a new one to the same member.
pub async fn replace_card(
    scope: &TenantScope,
    card_id: Uuid,
    lost: bool,
) -> Result<card::Model, AppError> {
    let tx = scope.begin().await?;
    let old = tx.get::<card::Entity>(card_id).await?;
    if matches!(old.status, CardStatus::Lost | CardStatus::Replaced) {
        return Err(AppError::conflict("this card was already replaced"));
    }
    let new = issue_card(&tx, old.member_id).await?;
    let mut model: card::ActiveModel = old.into();
    model.status = Set(if lost {
        CardStatus::Lost
    } else {
        CardStatus::Replaced
    });
    model.replaced_by = Set(Some(new.id));
    model.updated_at = Set(scope.now());
    tx.update(model).await?;
    tx.commit().await?;
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_carry_a_valid_luhn_digit() {
        assert!(luhn_valid("79927398713"));
        assert!(!luhn_valid("79927398710"));
        for _ in 0..100 {
            let n = new_card_number();
            assert_eq!(n.len(), 16);
            assert!(luhn_valid(&n), "{n}");
        }
        // Any single-digit typo is caught.
        let n = new_card_number();
        let mut typo = n.clone().into_bytes();
        typo[5] = if typo[5] == b'9' { b'0' } else { typo[5] + 1 };
        assert!(!luhn_valid(&String::from_utf8(typo).unwrap_or_default()));
    }

    #[test]
    fn phones_are_normalised_to_e164() {
        assert_eq!(
            parse_phone("p", "+33 6 12 34 56 78").ok(),
            Some("+33612345678".into())
        );
        for bad in ["0612345678", "+33", "+33abc45678", "+0612345678"] {
            assert!(parse_phone("p", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn months_are_calendar_months() {
        let at = DateTime::parse_from_rfc3339("2026-01-31T10:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default();
        assert_eq!(add_months(at, 1).to_rfc3339(), "2026-02-28T10:00:00+00:00");
        assert_eq!(add_months(at, 12).to_rfc3339(), "2027-01-31T10:00:00+00:00");
    }
}

/// A member's points in one program.
#[derive(Debug, Clone)]
pub struct PointsBalance {
    pub program: entity::program::Model,
    /// Points the member can spend now (live lots).
    pub available: i64,
    /// Live lots, soonest expiry first: (points, expires at).
    pub lots: Vec<(i64, DateTime<Utc>)>,
    /// Points owed after a return of already-spent points.
    pub debt: i64,
}

/// Books the expiry of the member's points that reached their expiry instant and that the
/// expiry job has not booked yet, so that a balance and a history read now agree (points are
/// gone at their expiry instant). Reads first: it writes only when something is due.
pub async fn settle_expiries(
    scope: &TenantScope,
    member_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    use entity::point_lot;
    let conn = scope.conn();
    let found: Option<point_lot::Model> = conn
        .find::<point_lot::Entity>()
        .filter(point_lot::Column::MemberId.eq(member_id))
        .filter(point_lot::Column::Remaining.gt(0))
        .filter(point_lot::Column::ExpiresAt.lte(now))
        .one(conn.db())
        .await?;
    if found.is_none() {
        return Ok(());
    }
    let tx = scope.begin().await?;
    let mut accounts: Vec<Uuid> = tx
        .find::<point_lot::Entity>()
        .filter(point_lot::Column::MemberId.eq(member_id))
        .filter(point_lot::Column::Remaining.gt(0))
        .filter(point_lot::Column::ExpiresAt.lte(now))
        .all(tx.db())
        .await?
        .into_iter()
        .map(|l| l.account_id)
        .collect();
    accounts.sort();
    accounts.dedup();
    for account in accounts {
        ledger::lock(&tx, account).await?;
        ledger::expire_due(&tx, account, now).await?;
    }
    tx.commit().await
}

pub async fn points_balances(
    scope: &TenantScope,
    member_id: Uuid,
) -> Result<Vec<PointsBalance>, AppError> {
    settle_expiries(scope, member_id, scope.now()).await?;
    let conn = scope.conn();
    let accounts = conn
        .find::<entity::ledger_account::Entity>()
        .filter(entity::ledger_account::Column::MemberId.eq(member_id))
        .filter(entity::ledger_account::Column::Kind.eq(AccountKind::MemberPoints))
        .order_by_asc(entity::ledger_account::Column::Id)
        .all(conn.db())
        .await?;
    let now = scope.now();
    let mut out = Vec::with_capacity(accounts.len());
    for account in accounts {
        let Some(program_id) = account.program_id else {
            continue;
        };
        let program = conn.get::<entity::program::Entity>(program_id).await?;
        let lots = ledger::live_lots(&conn, account.id, now).await?;
        let debt = ledger::existing_account(
            &conn,
            AccountKind::MemberPointsDebt,
            Some(member_id),
            Some(program_id),
        )
        .await?
        .map_or(0, |d| -Ord::min(d.balance, 0));
        out.push(PointsBalance {
            debt,
            program,
            available: lots.iter().map(|l| l.remaining).sum(),
            lots: lots.iter().map(|l| (l.remaining, l.expires_at)).collect(),
        });
    }
    Ok(out)
}

/// One line of a member's history: a ledger transaction and what it did to their points.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    pub transaction: entity::ledger_transaction::Model,
    /// Net change of the member's spendable points (negative when taken).
    pub points: i64,
    /// Net change of the member's cashback, in minor units.
    pub cashback_minor: i64,
    /// Net change of the member's stamps.
    pub stamps: i64,
    /// Net change of the member's stored value (prepaid balance), in minor units.
    pub stored_value_minor: i64,
}

/// The member's ledger transactions in the order they were booked, oldest first (each carries
/// the date it happened, `occurred_at`, which a back-dated import or an expiry booked later may
/// place before earlier lines).
pub async fn history(
    scope: &TenantScope,
    member_id: Uuid,
    page: PageRequest,
) -> Result<Page<HistoryEntry>, AppError> {
    use entity::{ledger_entry, ledger_transaction};
    settle_expiries(scope, member_id, scope.now()).await?;
    let conn = scope.conn();
    let transactions = page::fetch(
        conn.db(),
        conn.find::<ledger_transaction::Entity>()
            .filter(ledger_transaction::Column::MemberId.eq(member_id)),
        ledger_transaction::Column::Id,
        page,
    )
    .await?;
    let accounts: Vec<(Uuid, AccountKind)> = conn
        .find::<entity::ledger_account::Entity>()
        .filter(entity::ledger_account::Column::MemberId.eq(member_id))
        .filter(entity::ledger_account::Column::Kind.is_in([
            AccountKind::MemberPoints,
            AccountKind::MemberCashback,
            AccountKind::MemberStamps,
            AccountKind::MemberStoredValue,
        ]))
        .all(conn.db())
        .await?
        .into_iter()
        .map(|a| (a.id, a.kind))
        .collect();
    let points_accounts: Vec<Uuid> = accounts.iter().map(|(id, _)| *id).collect();
    let ids: Vec<Uuid> = transactions.items.iter().map(|t| t.id).collect();
    let entries = conn
        .find::<ledger_entry::Entity>()
        .filter(ledger_entry::Column::TransactionId.is_in(ids))
        .filter(ledger_entry::Column::AccountId.is_in(points_accounts))
        .all(conn.db())
        .await?;
    let items = transactions
        .items
        .into_iter()
        .map(|t| {
            let net = |kind: AccountKind| {
                entries
                    .iter()
                    .filter(|e| e.transaction_id == t.id)
                    .filter(|e| {
                        accounts
                            .iter()
                            .any(|(id, k)| *id == e.account_id && *k == kind)
                    })
                    .map(|e| e.amount)
                    .sum()
            };
            HistoryEntry {
                points: net(AccountKind::MemberPoints),
                cashback_minor: net(AccountKind::MemberCashback),
                stamps: net(AccountKind::MemberStamps),
                stored_value_minor: net(AccountKind::MemberStoredValue),
                transaction: t,
            }
        })
        .collect();
    Ok(Page {
        items,
        has_next_page: transactions.has_next_page,
    })
}

/// Puts `member` in `with`'s household (members who live together: refund offers may be
/// limited per household), or takes them out of theirs (`with` none). A household is created
/// when `with` is in none. Both must be the brand's (NOT_FOUND otherwise).
pub async fn set_household(
    scope: &TenantScope,
    member: Uuid,
    with: Option<Uuid>,
) -> Result<member::Model, AppError> {
    let tx = scope.begin().await?;
    // Both rows locked in id order: two links of the same pair never wait on each other.
    if let Some(other) = with
        && other < member
    {
        tx.get_for_update::<member::Entity>(other).await?;
    }
    let m = tx.get_for_update::<member::Entity>(member).await?;
    let household = match with {
        None => None,
        Some(other) if other == member => {
            return Err(AppError::validation(
                "withMemberId",
                "name another member of the household",
            ));
        }
        Some(other) => {
            let o = tx.get_for_update::<member::Entity>(other).await?;
            match o.household_id {
                Some(h) => Some(h),
                None => {
                    let h = Uuid::now_v7();
                    tx.update_many::<member::Entity>()
                        .col_expr(member::Column::HouseholdId, Expr::value(Some(h)))
                        .filter(member::Column::Id.eq(o.id))
                        .exec(tx.db())
                        .await?;
                    Some(h)
                }
            }
        }
    };
    if m.household_id != household {
        tx.update_many::<member::Entity>()
            .col_expr(member::Column::HouseholdId, Expr::value(household))
            .col_expr(member::Column::UpdatedAt, Expr::value(scope.now()))
            .filter(member::Column::Id.eq(m.id))
            .exec(tx.db())
            .await?;
    }
    let m = tx.get::<member::Entity>(member).await?;
    tx.commit().await?;
    Ok(m)
}

/// The members of a member's household, the member included (alone: just them).
pub async fn household_of<C: ConnectionTrait>(
    conn: &Scoped<C>,
    member: &member::Model,
) -> Result<Vec<member::Model>, AppError> {
    Ok(match member.household_id {
        None => vec![member.clone()],
        Some(h) => {
            conn.find::<member::Entity>()
                .filter(member::Column::HouseholdId.eq(h))
                .order_by_asc(member::Column::Id)
                .all(conn.db())
                .await?
        }
    })
}
