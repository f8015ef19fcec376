//! Brands: self-service sign-up, and the platform admin's suspension and reactivation.

use entity::{brand, one_time_token, user_account};
use sea_orm::ActiveValue::Set;
use uuid::Uuid;

use crate::{
    core::{
        auth::{Auth, Role, password},
        deps::{Base, Links},
        error::AppError,
        idempotency::{Idempotency, PLATFORM},
        mail::{Post, templates},
        page::{Page, PageRequest},
        types::{Currency, Email, Locale, NewPassword, Slug, TimeZone, text},
    },
    identity::{
        sessions::{VERIFY_EMAIL_TTL, new_one_time_token},
        store,
    },
};

/// What `signUpBrand` asks for, as received.
pub struct SignUpBrand {
    pub brand_name: String,
    pub slug: String,
    pub owner_email: String,
    pub owner_password: String,
    pub owner_name: Option<String>,
    pub currency: String,
    pub timezone: String,
    pub locale: Option<String>,
    pub idempotency_key: Option<String>,
}

/// Creates a brand and its owner, and mails the owner a verification link. Every field is
/// checked before anything is written.
pub async fn sign_up(
    base: &Base,
    auth: &Auth,
    links: &Links,
    post: &Post,
    input: SignUpBrand,
    client: &str,
) -> Result<(brand::Model, user_account::Model), AppError> {
    // The password stays out of the fingerprint, which is stored.
    let fingerprint = (
        &input.brand_name,
        &input.slug,
        &input.owner_email,
        &input.owner_name,
        &input.currency,
        &input.timezone,
        &input.locale,
    );
    let idem = Idempotency::optional(
        PLATFORM.to_owned(),
        "signUpBrand",
        input.idempotency_key.as_deref(),
        &fingerprint,
    )?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.replay(&base.db).await?
    {
        return reload(base, &previous).await;
    }
    match create(base, auth, links, post, input, client, idem.as_ref()).await {
        Ok(created) => Ok(created),
        // A concurrent twin with the same key committed first (our slug or e-mail check, or
        // our insert, lost to it): answer with its result, as a replay would.
        Err(e) => match &idem {
            Some(idem) => match idem.replay(&base.db).await? {
                Some(previous) => reload(base, &previous).await,
                None => Err(e),
            },
            None => Err(e),
        },
    }
}

async fn create(
    base: &Base,
    auth: &Auth,
    links: &Links,
    post: &Post,
    input: SignUpBrand,
    client: &str,
    idem: Option<&Idempotency>,
) -> Result<(brand::Model, user_account::Model), AppError> {
    // Only sign-ups that go through count: refused input writes and sends nothing.
    auth.limits.signup_address.check(client)?;
    let name = text("input.brandName", &input.brand_name, 200)?;
    let slug = Slug::parse("input.slug", &input.slug)?;
    let email = Email::parse("input.ownerEmail", &input.owner_email)?;
    let password = NewPassword::parse("input.ownerPassword", &input.owner_password)?;
    let owner_name = input
        .owner_name
        .as_deref()
        .map(|n| text("input.ownerName", n, 200))
        .transpose()?;
    let currency = Currency::parse("input.currency", &input.currency)?;
    let timezone = TimeZone::parse("input.timezone", &input.timezone)?;
    let locale = Locale::parse("input.locale", input.locale.as_deref().unwrap_or("fr-FR"))?;
    let password_hash = password::hash(password.expose().to_owned()).await?;

    let now = base.clock.now();
    let tx = crate::core::db::begin_write(&base.db).await?;
    // Again under the write lock: a concurrent twin may have committed since the first look.
    if let Some(idem) = &idem
        && let Some(previous) = idem.claim(&tx).await?
    {
        return reload(base, &previous).await;
    }
    if store::slug_taken(&tx, slug.as_str()).await? {
        return Err(AppError::Validation {
            field: "input.slug",
            message: "is already taken".into(),
        });
    }
    if store::user_by_email(&tx, email.as_str()).await?.is_some() {
        return Err(AppError::conflict("a user with this e-mail already exists"));
    }
    let brand = store::insert_brand(
        &tx,
        brand::ActiveModel {
            id: Set(Uuid::now_v7()),
            slug: Set(slug.as_str().to_owned()),
            name: Set(name),
            currency: Set(currency.code().to_owned()),
            timezone: Set(timezone.name().to_owned()),
            locale: Set(locale.as_str().to_owned()),
            status: Set(brand::BrandStatus::Active),
            suspended_reason: Set(None),
            accent_color: Set(None),
            offer_cap_percent: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        },
    )
    .await
    .map_err(lost_race)?;
    let owner = store::insert_user(
        &tx,
        user_account::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(Some(brand.id)),
            email: Set(email.as_str().to_owned()),
            display_name: Set(owner_name),
            password_hash: Set(password_hash),
            role: Set(Role::BrandOwner),
            status: Set(user_account::UserStatus::Active),
            email_verified_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        },
    )
    .await
    .map_err(lost_race)?;
    let token = new_one_time_token(
        &tx,
        owner.id,
        one_time_token::TokenPurpose::VerifyEmail,
        VERIFY_EMAIL_TTL,
        base.clock.now(),
    )
    .await?;
    let mail = templates::verify_email(
        crate::core::i18n::Lang::of_locale(&brand.locale),
        &owner.email,
        &brand.name,
        &links.link("/verify-email", &token),
    );
    let queued = crate::core::mail::outbox::queue(&tx, None, mail, base.clock.now()).await?;
    if let Some(idem) = &idem {
        idem.record(
            &tx,
            serde_json::json!({ "brand": brand.id, "owner": owner.id }),
        )
        .await?;
    }
    tx.commit().await?;
    auth.limits.signup_address.hit(client);
    tracing::info!(tenant.id = %brand.id, user.id = %owner.id, "brand {} signed up", brand.slug);
    crate::core::mail::outbox::send_now(base, post, queued).await;
    Ok((brand, owner))
}

/// The brand and owner a replayed sign-up created the first time.
async fn reload(
    base: &Base,
    previous: &serde_json::Value,
) -> Result<(brand::Model, user_account::Model), AppError> {
    let id = |key: &str| crate::core::idempotency::recorded_id(previous, key);
    let brand = store::brand_by_id(&base.db, id("brand")?)
        .await?
        .ok_or(AppError::NotFound)?;
    let owner = store::user_by_id(&base.db, id("owner")?)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((brand, owner))
}

/// A concurrent sign-up took the slug or the e-mail between our check and our insert.
fn lost_race(e: AppError) -> AppError {
    match &e {
        AppError::Internal(inner)
            if inner
                .downcast_ref::<sea_orm::DbErr>()
                .is_some_and(crate::core::db::is_unique_violation) =>
        {
            AppError::conflict("this slug or e-mail was just taken")
        }
        _ => e,
    }
}

pub async fn list(
    base: &Base,
    status: Option<brand::BrandStatus>,
    page: PageRequest,
) -> Result<Page<brand::Model>, AppError> {
    store::list_brands(&base.db, status, page).await
}

pub async fn get(base: &Base, id: Uuid) -> Result<brand::Model, AppError> {
    store::brand_by_id(&base.db, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Suspends a brand: its users cannot log in and its tokens and keys are refused at once.
pub async fn suspend(base: &Base, id: Uuid, reason: &str) -> Result<brand::Model, AppError> {
    let reason = text("reason", reason, 500)?;
    let brand = store::set_brand_status(
        &base.db,
        id,
        brand::BrandStatus::Suspended,
        Some(reason),
        base.clock.now(),
    )
    .await?;
    tracing::warn!(tenant.id = %brand.id, "brand {} suspended", brand.slug);
    Ok(brand)
}

/// What a brand's owner may change: not its slug (in every member link) nor its currency
/// (every amount is in it).
pub struct BrandSettings {
    pub name: String,
    pub timezone: String,
    pub locale: String,
    pub accent_color: Option<String>,
    /// The most offers may take off one basket, in % (100: no cap); `None`: unchanged.
    pub offer_cap_percent: Option<i32>,
}

/// Saves the brand's settings, each checked as at sign-up; the colour is `#rrggbb`.
pub async fn update_settings(
    base: &Base,
    id: Uuid,
    input: BrandSettings,
) -> Result<brand::Model, AppError> {
    let name = text("input.name", &input.name, 100)?;
    let timezone = TimeZone::parse("input.timezone", &input.timezone)?;
    let locale = Locale::parse("input.locale", &input.locale)?;
    let accent = match input.accent_color.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(c)
            if c.len() == 7
                && c.starts_with('#')
                && c[1..].chars().all(|ch| ch.is_ascii_hexdigit()) =>
        {
            Some(c.to_ascii_lowercase())
        }
        Some(_) => {
            return Err(AppError::validation(
                "input.accentColor",
                "must be a colour written #rrggbb",
            ));
        }
    };
    let cap = match input.offer_cap_percent {
        None => None,
        Some(100) => Some(None),
        Some(p) if (0..100).contains(&p) => Some(Some(p)),
        Some(_) => {
            return Err(AppError::validation(
                "input.offerCapPercent",
                "must be between 0 and 100 (100: no cap)",
            ));
        }
    };
    let brand = store::set_brand_settings(
        &base.db,
        id,
        (
            name,
            timezone.name().to_owned(),
            locale.as_str().to_owned(),
            accent,
            cap,
        ),
        base.clock.now(),
    )
    .await?;
    tracing::info!(tenant.id = %brand.id, "brand settings saved");
    Ok(brand)
}

pub async fn reactivate(base: &Base, id: Uuid) -> Result<brand::Model, AppError> {
    let brand = store::set_brand_status(
        &base.db,
        id,
        brand::BrandStatus::Active,
        None,
        base.clock.now(),
    )
    .await?;
    tracing::info!(tenant.id = %brand.id, "brand {} reactivated", brand.slug);
    Ok(brand)
}

/// A brand by id, for work that spans brands (jobs, mail delivery). A request's own brand is
/// `TenantScope::brand`.
pub async fn by_id<C: sea_orm::ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<brand::Model>, AppError> {
    store::brand_by_id(conn, id).await
}

/// A brand by its public slug (member pages, coalition invitations).
pub async fn by_slug<C: sea_orm::ConnectionTrait>(
    conn: &C,
    slug: &str,
) -> Result<Option<brand::Model>, AppError> {
    store::brand_by_slug(conn, slug).await
}

/// Active brands, for jobs that run per brand-local day.
pub async fn active<C: sea_orm::ConnectionTrait>(conn: &C) -> Result<Vec<brand::Model>, AppError> {
    store::active_brands(conn).await
}
