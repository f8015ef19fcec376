//! Sign-in, sessions and e-mail proofs for portal users.
//!
//! A session is a short-lived access JWT plus a refresh token stored hashed. Refresh tokens rotate
//! on every use; presenting one that was already used revokes its whole family (a stolen token
//! can be used at most once, and then the thief and the victim are both logged out).
//!
//! Size: over 500 lines on purpose: login, refresh, logout, verification and reset share the token
//! bookkeeping.

use chrono::{Duration, Utc};
use entity::{brand, one_time_token, refresh_token, user_account};
use sea_orm::{ActiveValue::Set, ConnectionTrait};
use uuid::Uuid;

use crate::{
    core::{
        auth::{
            Auth, Principal, Role,
            jwt::Claims,
            password, secrets,
            secrets::{hash_token, looks_like_token},
        },
        deps::{Base, Links},
        error::AppError,
        mail::{Post, outbox, templates},
        tenancy::TenantScope,
        types::{Email, NewPassword},
    },
    identity::store,
};

/// Lifetime of an e-mail verification link.
pub const VERIFY_EMAIL_TTL: Duration = Duration::hours(48);
/// Lifetime of a password-reset link.
pub const RESET_PASSWORD_TTL: Duration = Duration::hours(1);
/// A refresh token presented again this soon after its use, while the session it opened has not
/// moved on, is a duplicate request (not a theft).
pub const REFRESH_DUPLICATE_GRACE_SECS: i64 = 30;

/// What a successful login, refresh or invitation acceptance returns.
#[derive(Debug, Clone)]
pub struct Session {
    pub access_token: String,
    pub expires_in: u64,
    pub refresh_token: String,
    pub user: user_account::Model,
}

/// Checks an e-mail and password and opens a session.
pub async fn login(
    base: &Base,
    auth: &Auth,
    email: &str,
    password: &str,
    client: &str,
) -> Result<Session, AppError> {
    auth.limits.login_address.check_and_hit(client)?;
    // An invalid address cannot match an account: answer like a wrong password.
    let email = Email::parse("email", email)
        .map_err(|_| AppError::Unauthenticated("invalid e-mail or password"))?;
    let key = email.as_str();
    auth.limits.login_account.check(key)?;
    let user = store::user_by_email(&base.db, key).await?;
    let matches = match &user {
        Some(u) => password::verify(password.to_owned(), u.password_hash.clone()).await?,
        None => {
            // Same cost as a real check, so timing does not tell which e-mails exist.
            let _ = password::verify(password.to_owned(), password::dummy_hash().await?).await?;
            false
        }
    };
    let Some(user) = user.filter(|_| matches) else {
        auth.limits.login_account.hit(key);
        return Err(AppError::Unauthenticated("invalid e-mail or password"));
    };
    auth.limits.login_account.reset(key);
    ensure_may_sign_in(base, &user).await?;
    let tx = crate::core::db::begin_write(&base.db).await?;
    let session = open_session(base, auth, &tx, user, Uuid::now_v7()).await?;
    tx.commit().await?;
    tracing::info!(user.id = %session.user.id, "user logged in");
    Ok(session)
}

/// Refuses deactivated users, unverified addresses and suspended brands.
async fn ensure_may_sign_in(base: &Base, user: &user_account::Model) -> Result<(), AppError> {
    if user.status != user_account::UserStatus::Active {
        return Err(AppError::Forbidden("this account is deactivated"));
    }
    if user.email_verified_at.is_none() {
        return Err(AppError::Forbidden(
            "e-mail address not verified: follow the link we sent",
        ));
    }
    if let Some(tenant) = user.tenant_id {
        let brand = store::brand_by_id(&base.db, tenant)
            .await?
            .ok_or(AppError::NotFound)?;
        if brand.status != brand::BrandStatus::Active {
            return Err(AppError::Forbidden("this brand is suspended"));
        }
    }
    Ok(())
}

/// Issues an access token and a new refresh token of `family`.
pub(crate) async fn open_session<C: ConnectionTrait>(
    base: &Base,
    auth: &Auth,
    conn: &C,
    user: user_account::Model,
    family: Uuid,
) -> Result<Session, AppError> {
    let now = base.clock.now();
    let refresh = secrets::new_token();
    store::insert_refresh_token(
        conn,
        refresh_token::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(user.id),
            family_id: Set(family),
            token_hash: Set(hash_token(&refresh)),
            issued_at: Set(now),
            expires_at: Set(now + Duration::days(i64::from(auth.refresh_token_ttl_days))),
            used_at: Set(None),
            revoked_at: Set(None),
        },
    )
    .await?;
    let access_token =
        auth.jwt
            .issue_in_session(user.id, user.role, user.tenant_id, None, Some(family))?;
    Ok(Session {
        access_token,
        expires_in: auth.jwt.ttl_secs(),
        refresh_token: refresh,
        user,
    })
}

/// Exchanges a refresh token for a new session; a reused token revokes its family.
pub async fn refresh(base: &Base, auth: &Auth, token: &str) -> Result<Session, AppError> {
    const INVALID: AppError = AppError::Unauthenticated("invalid or expired refresh token");
    if !looks_like_token(token) {
        return Err(INVALID);
    }
    let now = base.clock.now();
    let tx = crate::core::db::begin_write(&base.db).await?;
    let stored = store::refresh_token_by_hash(&tx, &hash_token(token))
        .await?
        .ok_or(INVALID)?;
    if stored.revoked_at.is_some() || stored.expires_at <= now {
        return Err(INVALID);
    }
    if stored.used_at.is_some() || !store::mark_refresh_token_used(&tx, stored.id, now).await? {
        // Two requests with one token at once (two tabs, a client's retry): the later one is
        // refused, but the session the first one opened lives on — as long as that session has
        // not moved on (its new token unused) and it is a matter of seconds. A token presented
        // after the session moved on, or later, is a replay: the whole session ends.
        let duplicate = match stored.used_at {
            None => true,
            Some(used) => {
                now - used < Duration::seconds(REFRESH_DUPLICATE_GRACE_SECS)
                    && store::successor_unused(&tx, &stored).await?
            }
        };
        if duplicate {
            return Err(AppError::Unauthenticated(
                "this refresh token was just used by another request; use what it returned",
            ));
        }
        store::revoke_refresh_family(&tx, stored.family_id, now).await?;
        tx.commit().await?;
        tracing::warn!(user.id = %stored.user_id, "refresh token reused; session family revoked");
        return Err(AppError::Unauthenticated(
            "refresh token already used; the session is revoked, log in again",
        ));
    }
    let user = store::user_by_id(&tx, stored.user_id)
        .await?
        .ok_or(INVALID)?;
    ensure_may_sign_in(base, &user).await?;
    let session = open_session(base, auth, &tx, user, stored.family_id).await?;
    tx.commit().await?;
    Ok(session)
}

/// Revokes the session a refresh token belongs to. Unknown tokens are ignored.
pub async fn logout(base: &Base, token: &str) -> Result<(), AppError> {
    if !looks_like_token(token) {
        return Ok(());
    }
    if let Some(stored) = store::refresh_token_by_hash(&base.db, &hash_token(token)).await? {
        store::revoke_refresh_family(&base.db, stored.family_id, base.clock.now()).await?;
    }
    Ok(())
}

/// Creates a single-use token for an e-mail link and returns it in clear.
pub(crate) async fn new_one_time_token<C: ConnectionTrait>(
    conn: &C,
    user: Uuid,
    purpose: one_time_token::TokenPurpose,
    ttl: Duration,
    now: chrono::DateTime<Utc>,
) -> Result<String, AppError> {
    let token = secrets::new_token();
    store::insert_one_time_token(
        conn,
        one_time_token::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(user),
            purpose: Set(purpose),
            token_hash: Set(hash_token(&token)),
            created_at: Set(now),
            expires_at: Set(now + ttl),
            used_at: Set(None),
        },
    )
    .await?;
    Ok(token)
}

/// The name and language of a user's brand ("Fidelis" and French for platform users).
pub(crate) async fn user_brand(
    base: &Base,
    user: &user_account::Model,
) -> Result<(String, crate::core::i18n::Lang), AppError> {
    Ok(match user.tenant_id {
        Some(t) => store::brand_by_id(&base.db, t).await?.map_or_else(
            || ("Fidelis".to_owned(), crate::core::i18n::Lang::default()),
            |b| (b.name, crate::core::i18n::Lang::of_locale(&b.locale)),
        ),
        None => ("Fidelis".to_owned(), crate::core::i18n::Lang::default()),
    })
}

/// What a mailed link of the platform leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    ResetPassword,
    Invitation,
}

/// Whether a password-reset link can still be used (to show its form, or say it cannot).
pub async fn reset_link_usable(base: &Base, token: &str) -> Result<bool, AppError> {
    if !looks_like_token(token) {
        return Ok(false);
    }
    store::one_time_token_usable(
        &base.db,
        &hash_token(token),
        one_time_token::TokenPurpose::ResetPassword,
        base.clock.now(),
    )
    .await
}

/// The brand a mailed link belongs to (to show its page in the brand's language and name),
/// without using the link; `None` for an unknown token or a platform user.
pub async fn brand_of_link(
    base: &Base,
    token: &str,
    kind: LinkKind,
) -> Result<Option<brand::Model>, AppError> {
    if !looks_like_token(token) {
        return Ok(None);
    }
    let hash = hash_token(token);
    let tenant = match kind {
        LinkKind::Invitation => store::invitation_by_hash(&base.db, &hash)
            .await?
            .map(|i| i.tenant_id),
        LinkKind::ResetPassword => match store::one_time_token_user(&base.db, &hash).await? {
            Some(user) => store::user_by_id(&base.db, user)
                .await?
                .and_then(|u| u.tenant_id),
            None => None,
        },
    };
    match tenant {
        Some(t) => store::brand_by_id(&base.db, t).await,
        None => Ok(None),
    }
}

/// Marks the address of the token's user verified.
pub async fn verify_email(base: &Base, token: &str) -> Result<user_account::Model, AppError> {
    let tx = crate::core::db::begin_write(&base.db).await?;
    let user = consume_verification(&tx, token, base.clock.now()).await?;
    tx.commit().await?;
    Ok(user)
}

/// Uses a verification token and marks its user's address verified (in the caller's
/// transaction).
async fn consume_verification<C: ConnectionTrait>(
    tx: &C,
    token: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<user_account::Model, AppError> {
    let invalid = || AppError::conflict("this link is invalid, expired or already used");
    if !looks_like_token(token) {
        return Err(AppError::validation("token", "is not a link token"));
    }
    let user_id = store::consume_one_time_token(
        tx,
        &hash_token(token),
        one_time_token::TokenPurpose::VerifyEmail,
        now,
    )
    .await?
    .ok_or_else(invalid)?;
    let user = store::user_by_id(tx, user_id).await?.ok_or_else(invalid)?;
    let mut model: user_account::ActiveModel = user.into();
    model.email_verified_at = Set(Some(now));
    model.updated_at = Set(now);
    store::update_user(tx, model).await
}

/// Verifies the address of the token's user and signs them in (the link proves the mailbox, as
/// a sign-in link would): the portal's landing from the verification mail. The session opens
/// in the same transaction as the verification, under the same checks as a login (a suspended
/// brand or a deactivated account gets no session, and the address stays unverified).
pub async fn verify_email_and_sign_in(
    base: &Base,
    auth: &Auth,
    token: &str,
) -> Result<Session, AppError> {
    let tx = crate::core::db::begin_write(&base.db).await?;
    let user = consume_verification(&tx, token, base.clock.now()).await?;
    ensure_may_sign_in(base, &user).await?;
    let session = open_session(base, auth, &tx, user, Uuid::now_v7()).await?;
    tx.commit().await?;
    Ok(session)
}

/// Sends a new verification link if the address belongs to an unverified account. Answers the
/// same whether or not it does, so that it cannot be used to find accounts.
pub async fn resend_verification(
    base: &Base,
    auth: &Auth,
    links: &Links,
    post: &Post,
    email: &str,
    client: &str,
) -> Result<(), AppError> {
    auth.limits.mail_address.check_and_hit(client)?;
    let email = Email::parse("email", email)?;
    let Some(user) = store::user_by_email(&base.db, email.as_str()).await? else {
        return Ok(());
    };
    if user.email_verified_at.is_some() {
        return Ok(());
    }
    let (brand_name, lang) = user_brand(base, &user).await?;
    let now = base.clock.now();
    let tx = crate::core::db::begin_write(&base.db).await?;
    let token = new_one_time_token(
        &tx,
        user.id,
        one_time_token::TokenPurpose::VerifyEmail,
        VERIFY_EMAIL_TTL,
        now,
    )
    .await?;
    let mail = templates::verify_email(
        lang,
        &user.email,
        &brand_name,
        &links.link("/verify-email", &token),
    );
    let queued = outbox::queue(&tx, None, mail, now).await?;
    tx.commit().await?;
    outbox::send_now(base, post, queued).await;
    Ok(())
}

/// Mails a password-reset link if the address belongs to an active account; answers the same
/// either way.
pub async fn request_password_reset(
    base: &Base,
    auth: &Auth,
    links: &Links,
    post: &Post,
    email: &str,
    client: &str,
) -> Result<(), AppError> {
    auth.limits.mail_address.check_and_hit(client)?;
    let email = Email::parse("email", email)?;
    let Some(user) = store::user_by_email(&base.db, email.as_str()).await? else {
        return Ok(());
    };
    if user.status != user_account::UserStatus::Active {
        return Ok(());
    }
    let (_, lang) = user_brand(base, &user).await?;
    let now = base.clock.now();
    let tx = crate::core::db::begin_write(&base.db).await?;
    let token = new_one_time_token(
        &tx,
        user.id,
        one_time_token::TokenPurpose::ResetPassword,
        RESET_PASSWORD_TTL,
        now,
    )
    .await?;
    let mail = templates::password_reset(lang, &user.email, &links.link("/reset-password", &token));
    let queued = outbox::queue(&tx, None, mail, now).await?;
    tx.commit().await?;
    outbox::send_now(base, post, queued).await;
    Ok(())
}

/// Sets a new password with a reset token, and logs out every session of the account.
pub async fn reset_password(
    base: &Base,
    auth: &Auth,
    token: &str,
    new_password: &str,
) -> Result<(), AppError> {
    let new_password = NewPassword::parse("newPassword", new_password)?;
    let invalid = || AppError::conflict("this link is invalid, expired or already used");
    if !looks_like_token(token) {
        return Err(AppError::validation("token", "is not a link token"));
    }
    let hash = password::hash(new_password.expose().to_owned()).await?;
    let now = base.clock.now();
    let tx = crate::core::db::begin_write(&base.db).await?;
    let user_id = store::consume_one_time_token(
        &tx,
        &hash_token(token),
        one_time_token::TokenPurpose::ResetPassword,
        now,
    )
    .await?
    .ok_or_else(invalid)?;
    let user = store::user_by_id(&tx, user_id).await?.ok_or_else(invalid)?;
    let email = user.email.clone();
    let verified = user.email_verified_at.unwrap_or(now);
    let mut model: user_account::ActiveModel = user.into();
    model.password_hash = Set(hash);
    // Receiving the link proves the address.
    model.email_verified_at = Set(Some(verified));
    model.updated_at = Set(now);
    store::update_user(&tx, model).await?;
    store::revoke_user_refresh_tokens(&tx, user_id, now).await?;
    tx.commit().await?;
    // A new password ends any lockout of the account.
    auth.limits.login_account.reset(&email);
    Ok(())
}

/// Turns verified token claims into the request's principal, refusing tokens of deactivated
/// users, revoked keys and suspended brands. The role comes from the database, so a role change
/// takes effect at once. The principal's brand, read for that check, comes along so that the
/// request's scope does not read it again.
pub async fn resolve_principal(
    base: &Base,
    claims: Claims,
) -> Result<(Principal, Option<brand::Model>), AppError> {
    let principal = match claims.role {
        Role::PartnerApp => {
            let key = store::api_key_by_id(&base.db, claims.sub)
                .await?
                .filter(|k| k.revoked_at.is_none())
                .ok_or(AppError::Unauthenticated("this API key was revoked"))?;
            Principal::PartnerApp {
                key_id: key.id,
                tenant_id: key.tenant_id,
                // Never more than the key has now, nor more than the token was granted.
                scopes: crate::core::auth::ApiScope::parse_list(
                    claims.scope.as_deref().unwrap_or_default(),
                )
                .into_iter()
                .filter(|s| crate::core::auth::ApiScope::parse_list(&key.scopes).contains(s))
                .collect(),
            }
        }
        // Members' tokens are resolved by loyalty (`loyalty::member_auth::resolve`), which
        // owns their accounts; one reaching here was misrouted.
        Role::Member => return Err(AppError::Unauthenticated("invalid access token")),
        _ => {
            // The user and their brand's status in one query: this runs on every request.
            let (user, brand) = store::user_with_brand(&base.db, claims.sub)
                .await?
                .ok_or(AppError::Unauthenticated("invalid access token"))?;
            if user.status != user_account::UserStatus::Active {
                return Err(AppError::Unauthenticated("this account is deactivated"));
            }
            if let Some(session) = claims.sid
                && store::session_revoked(&base.db, session).await?
            {
                return Err(AppError::Unauthenticated(
                    "this session has ended: log in again",
                ));
            }
            if user.tenant_id.is_some() {
                match &brand {
                    Some(b) if b.status == brand::BrandStatus::Active => {}
                    Some(_) => return Err(AppError::Forbidden("this brand is suspended")),
                    None => return Err(AppError::Unauthenticated("invalid access token")),
                }
            }
            let principal = Principal::User {
                user_id: user.id,
                tenant_id: user.tenant_id,
                role: user.role,
            };
            return Ok((principal, brand.filter(|_| user.tenant_id.is_some())));
        }
    };
    let Some(tenant) = principal.tenant_id() else {
        return Ok((principal, None));
    };
    let brand = store::brand_by_id(&base.db, tenant)
        .await?
        .ok_or(AppError::Unauthenticated("invalid access token"))?;
    if brand.status != brand::BrandStatus::Active {
        return Err(AppError::Forbidden("this brand is suspended"));
    }
    Ok((principal, Some(brand)))
}

/// The scope of the principal's brand, if it has one, holding the brand's row when the caller
/// has it already (read while authenticating).
pub fn scope_of(
    base: &Base,
    principal: &Principal,
    brand: Option<brand::Model>,
) -> Option<TenantScope> {
    principal.tenant_id().map(|t| base.scope(t).holding(brand))
}

/// Creates a platform admin (from the CLI: there is no endpoint for it).
pub async fn create_platform_admin(
    state_db: &sea_orm::DatabaseConnection,
    email: &str,
    password: &str,
) -> Result<user_account::Model, AppError> {
    create_unscoped_user(state_db, email, password, Role::PlatformAdmin).await
}

/// Creates a verified user with no brand (platform admin or coalition operator).
pub async fn create_unscoped_user(
    db: &sea_orm::DatabaseConnection,
    email: &str,
    password: &str,
    role: Role,
) -> Result<user_account::Model, AppError> {
    let email = Email::parse("email", email)?;
    let password = NewPassword::parse("password", password)?;
    if store::user_by_email(db, email.as_str()).await?.is_some() {
        return Err(AppError::conflict("a user with this e-mail already exists"));
    }
    let now = Utc::now();
    store::insert_user(
        db,
        user_account::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(None),
            email: Set(email.as_str().to_owned()),
            display_name: Set(None),
            password_hash: Set(password::hash(password.expose().to_owned()).await?),
            role: Set(role),
            status: Set(user_account::UserStatus::Active),
            email_verified_at: Set(Some(now)),
            created_at: Set(now),
            updated_at: Set(now),
        },
    )
    .await
}
