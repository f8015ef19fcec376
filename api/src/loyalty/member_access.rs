//! A member's own password, proved by e-mail: a member enrolled at the till (or by a partner
//! app) claims an app login, and a member who forgot theirs sets a new one. Both go through a
//! single-use, expiring link mailed to the member's address (`/m/<brand>/set-password?token=…`),
//! so only the owner of the address gets in. Asking answers the same whether or not the address
//! is a member's (no enumeration) and is rate-limited per client and per address. Setting a
//! password ends the member's other sessions.

use chrono::Duration;
use entity::{
    member,
    member_token::{self, MemberTokenPurpose},
};
use sea_orm::{ActiveValue::Set, ColumnTrait, QueryFilter, sea_query::Expr};
use uuid::Uuid;

use crate::{
    core::{
        auth::{
            Auth, password, secrets,
            secrets::{hash_token, looks_like_token},
        },
        deps::{Base, Links},
        error::AppError,
        i18n::Lang,
        mail::Post,
        tenancy::TenantScope,
        types::{Email, NewPassword},
    },
    loyalty::{member_auth, member_auth::MemberSession},
};

/// Lifetime of a claim link (first password of a member enrolled without one).
pub const CLAIM_TTL: Duration = Duration::hours(48);
/// Lifetime of a password-reset link.
pub const RESET_TTL: Duration = Duration::hours(1);

/// Mails the member of `brand_slug` with this address a link to set their password: a claim
/// link when they have none yet, a reset link otherwise. Answers the same when nobody has the
/// address.
pub async fn request(
    base: &Base,
    auth: &Auth,
    links: &Links,
    post: &Post,
    brand_slug: &str,
    email: &str,
    client: &str,
) -> Result<(), AppError> {
    auth.limits.mail_address.check_and_hit(client)?;
    let email = Email::parse("input.email", email)?;
    let (scope, brand) = member_auth::brand_scope(base, brand_slug).await?;
    auth.limits
        .mail_account
        .check_and_hit(&format!("member:{}:{}", brand.id, email.as_str()))?;
    let conn = scope.conn();
    let Some(found) = conn
        .find::<member::Entity>()
        .filter(member::Column::Email.eq(email.as_str()))
        .one(conn.db())
        .await?
    else {
        return Ok(());
    };
    let (purpose, ttl) = if found.password_hash.is_some() {
        (MemberTokenPurpose::ResetPassword, RESET_TTL)
    } else {
        (MemberTokenPurpose::Claim, CLAIM_TTL)
    };
    let token = secrets::new_token();
    let now = base.clock.now();
    let tx = scope.begin().await?;
    tx.insert(member_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(scope.tenant_id()),
        member_id: Set(found.id),
        purpose: Set(purpose),
        token_hash: Set(hash_token(&token)),
        created_at: Set(now),
        expires_at: Set(now + ttl),
        used_at: Set(None),
    })
    .await?;
    let lang = Lang::of_locale(&brand.locale);
    let link = format!(
        "{}/set-password?token={token}",
        crate::engagement::mail_settings::member_space_url(links, &brand.slug)
    );
    let (subject, intro, action, outro) = match (purpose, lang) {
        (MemberTokenPurpose::Claim, Lang::Fr) => (
            format!("Activez votre compte {}", brand.name),
            format!(
                "Vous êtes membre du programme de fidélité de {}. Choisissez un mot de passe pour accéder à votre compte dans l'application.",
                brand.name
            ),
            "Choisir mon mot de passe",
            "Ce lien ne fonctionne qu'une fois et expire dans 48 heures. Si vous n'avez rien demandé, ignorez ce message.",
        ),
        (MemberTokenPurpose::Claim, Lang::En) => (
            format!("Activate your {} account", brand.name),
            format!(
                "You are a member of {}'s loyalty program. Choose a password to use your account in the app.",
                brand.name
            ),
            "Choose my password",
            "This link works once and expires in 48 hours. If you did not ask for it, ignore this mail.",
        ),
        (MemberTokenPurpose::ResetPassword, Lang::Fr) => (
            format!("Nouveau mot de passe pour {}", brand.name),
            "Quelqu'un (vous, espérons-le) a demandé à changer le mot de passe de votre compte de fidélité.".to_owned(),
            "Choisir un nouveau mot de passe",
            "Ce lien ne fonctionne qu'une fois et expire dans 1 heure. Si vous n'avez rien demandé, ignorez ce message : votre mot de passe ne change pas.",
        ),
        (MemberTokenPurpose::ResetPassword, Lang::En) => (
            format!("A new password for {}", brand.name),
            "Someone (hopefully you) asked to change the password of your loyalty account.".to_owned(),
            "Choose a new password",
            "This link works once and expires in 1 hour. If you did not ask, ignore this mail: your password is unchanged.",
        ),
    };
    let platform = crate::core::mail::templates::link_mail(
        lang,
        found.email.as_deref().unwrap_or(email.as_str()),
        subject,
        &intro,
        action,
        &link,
        outro,
        &brand.name,
    );
    let queued = crate::core::mail::outbox::queue(tx.db(), Some(brand.id), platform, now).await?;
    tx.commit().await?;
    crate::core::mail::outbox::send_now(base, post, queued).await;
    Ok(())
}

/// Sets the password a mailed link allows (single use, unexpired), ends the member's other
/// sessions and opens a new one.
pub async fn set_password(
    base: &Base,
    auth: &Auth,
    brand_slug: &str,
    token: &str,
    new_password: &str,
) -> Result<MemberSession, AppError> {
    if !looks_like_token(token) {
        return Err(AppError::validation("input.token", "is not a link token"));
    }
    let new_password = NewPassword::parse("input.password", new_password)?;
    let (scope, _) = member_auth::brand_scope(base, brand_slug).await?;
    let hash = password::hash(new_password.expose().to_owned()).await?;
    let member = consume(&scope, token, hash).await?;
    tracing::info!(tenant.id = %scope.tenant_id(), member.id = %member.id, "member password set from a mailed link");
    member_auth::session(auth, &scope, member)
}

/// Whether a member's mailed link can still be used (to show its form, or say it cannot).
pub async fn link_usable(base: &Base, brand_slug: &str, token: &str) -> Result<bool, AppError> {
    if !looks_like_token(token) {
        return Ok(false);
    }
    let (scope, _) = member_auth::brand_scope(base, brand_slug).await?;
    let conn = scope.conn();
    Ok(conn
        .find::<member_token::Entity>()
        .filter(member_token::Column::TokenHash.eq(hash_token(token)))
        .one(conn.db())
        .await?
        .is_some_and(|t| t.used_at.is_none() && t.expires_at > scope.now()))
}

async fn consume(
    scope: &TenantScope,
    token: &str,
    password_hash: String,
) -> Result<member::Model, AppError> {
    let invalid = || AppError::conflict("this link is invalid, expired or already used");
    let now = scope.now();
    let tx = scope.begin().await?;
    let found = tx
        .find::<member_token::Entity>()
        .filter(member_token::Column::TokenHash.eq(hash_token(token)))
        .one(tx.db())
        .await?
        .ok_or_else(invalid)?;
    // Single use, also when two requests race with the same link.
    let used = tx
        .update_many::<member_token::Entity>()
        .col_expr(member_token::Column::UsedAt, Expr::value(Some(now)))
        .filter(member_token::Column::Id.eq(found.id))
        .filter(member_token::Column::UsedAt.is_null())
        .filter(member_token::Column::ExpiresAt.gt(now))
        .exec(tx.db())
        .await?;
    if used.rows_affected != 1 {
        return Err(invalid());
    }
    let member = tx.get::<member::Entity>(found.member_id).await?;
    if member.email.is_none() {
        // Erased since the link was sent.
        return Err(invalid());
    }
    tx.update_many::<member::Entity>()
        .col_expr(
            member::Column::PasswordHash,
            Expr::value(Some(password_hash)),
        )
        .col_expr(member::Column::SessionsValidAfter, Expr::value(Some(now)))
        .col_expr(member::Column::UpdatedAt, Expr::value(now))
        .filter(member::Column::Id.eq(member.id))
        .exec(tx.db())
        .await?;
    // Other links of the member stop working too.
    tx.update_many::<member_token::Entity>()
        .col_expr(member_token::Column::UsedAt, Expr::value(Some(now)))
        .filter(member_token::Column::MemberId.eq(member.id))
        .filter(member_token::Column::UsedAt.is_null())
        .exec(tx.db())
        .await?;
    let member = tx.get::<member::Entity>(member.id).await?;
    tx.commit().await?;
    Ok(member)
}
