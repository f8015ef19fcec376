//! A brand's portal users: invitations, roles, deactivation. At least one active owner remains.

use chrono::Duration;
use entity::{invitation, user_account};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    core::{
        auth::{
            Auth, Role, password, secrets,
            secrets::{hash_token, looks_like_token},
        },
        deps::{Base, Links},
        error::AppError,
        idempotency::Idempotency,
        mail::{Post, templates},
        page,
        page::{Page, PageRequest},
        tenancy::{Scoped, TenantScope},
        types::{Email, NewPassword, text},
    },
    identity::{
        sessions::{Session, open_session},
        store,
    },
};

pub const INVITATION_TTL: Duration = Duration::days(7);

/// Roles a brand can give its own people.
pub fn is_brand_role(role: Role) -> bool {
    matches!(
        role,
        Role::BrandOwner | Role::BrandManager | Role::BrandStaff
    )
}

pub async fn list(
    scope: &TenantScope,
    page: PageRequest,
) -> Result<Page<user_account::Model>, AppError> {
    let conn = scope.conn();
    Ok(page::fetch(
        conn.db(),
        conn.find::<user_account::Entity>(),
        user_account::Column::Id,
        page,
    )
    .await?)
}

pub async fn get(scope: &TenantScope, id: Uuid) -> Result<user_account::Model, AppError> {
    scope.conn().get::<user_account::Entity>(id).await
}

pub async fn list_invitations(
    scope: &TenantScope,
    page: PageRequest,
) -> Result<Page<invitation::Model>, AppError> {
    let conn = scope.conn();
    Ok(page::fetch(
        conn.db(),
        conn.find::<invitation::Entity>(),
        invitation::Column::Id,
        page,
    )
    .await?)
}

/// Who is invited, as which role.
pub struct Invitee<'a> {
    pub email: &'a str,
    pub role: Role,
}

/// Invites a person by e-mail. Inviting an address again replaces the pending invitation (and
/// mails a fresh link), so a retried call leaves one live invitation.
pub async fn invite(
    base: &Base,
    links: &Links,
    post: &Post,
    scope: &TenantScope,
    inviter: Uuid,
    Invitee { email, role }: Invitee<'_>,
    idempotency_key: Option<&str>,
) -> Result<invitation::Model, AppError> {
    let idem = Idempotency::optional(
        scope.tenant_id().to_string(),
        "inviteUser",
        idempotency_key,
        &(email, role),
    )?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.replay(scope.conn().db()).await?
    {
        let id = crate::core::idempotency::recorded_id(&previous, "invitation")?;
        return scope.conn().get::<invitation::Entity>(id).await;
    }
    let email = Email::parse("email", email)?;
    if !is_brand_role(role) {
        return Err(AppError::validation(
            "role",
            "must be BRAND_OWNER, BRAND_MANAGER or BRAND_STAFF",
        ));
    }
    let now = scope.now();
    let tx = scope.begin().await?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.claim(tx.db()).await?
    {
        drop(tx);
        let id = crate::core::idempotency::recorded_id(&previous, "invitation")?;
        return scope.conn().get::<invitation::Entity>(id).await;
    }
    if store::user_by_email(tx.db(), email.as_str())
        .await?
        .is_some()
    {
        return Err(AppError::conflict("a user with this e-mail already exists"));
    }
    tx.update_many::<invitation::Entity>()
        .col_expr(
            invitation::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(invitation::Column::Email.eq(email.as_str()))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .exec(tx.db())
        .await?;
    let token = secrets::new_token();
    let invitation = tx
        .insert(invitation::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(scope.tenant_id()),
            email: Set(email.as_str().to_owned()),
            role: Set(role),
            token_hash: Set(hash_token(&token)),
            invited_by: Set(inviter),
            created_at: Set(now),
            expires_at: Set(now + INVITATION_TTL),
            accepted_at: Set(None),
            revoked_at: Set(None),
        })
        .await?;
    let brand = tx.brand().await?;
    let mail = templates::invitation(
        crate::core::i18n::Lang::of_locale(&brand.locale),
        &invitation.email,
        &brand.name,
        role_label(role, crate::core::i18n::Lang::of_locale(&brand.locale)),
        &links.link("/accept-invitation", &token),
    );
    let queued = crate::core::mail::outbox::queue(tx.db(), None, mail, now).await?;
    if let Some(idem) = &idem {
        idem.record(tx.db(), serde_json::json!({ "invitation": invitation.id }))
            .await?;
    }
    tx.commit().await?;
    crate::core::mail::outbox::send_now(base, post, queued).await;
    Ok(invitation)
}

fn role_label(role: Role, lang: crate::core::i18n::Lang) -> &'static str {
    match role {
        Role::BrandOwner => lang.pick("propriétaire", "owner"),
        Role::BrandManager => lang.pick("responsable", "manager"),
        _ => lang.pick("équipier", "staff member"),
    }
}

pub async fn revoke_invitation(
    scope: &TenantScope,
    id: Uuid,
) -> Result<invitation::Model, AppError> {
    let conn = scope.conn();
    let found = conn.get::<invitation::Entity>(id).await?;
    if found.accepted_at.is_some() {
        return Err(AppError::conflict("this invitation was already accepted"));
    }
    if found.revoked_at.is_some() {
        return Ok(found);
    }
    let mut model: invitation::ActiveModel = found.into();
    model.revoked_at = Set(Some(scope.now()));
    conn.update(model).await
}

/// Accepts an invitation: creates the account (its address is proven by the link) and opens a
/// session.
pub async fn accept_invitation(
    base: &Base,
    auth: &Auth,
    token: &str,
    new_password: &str,
    display_name: Option<&str>,
) -> Result<Session, AppError> {
    let new_password = NewPassword::parse("password", new_password)?;
    let display_name = display_name
        .map(|n| text("displayName", n, 200))
        .transpose()?;
    let invalid =
        || AppError::conflict("this invitation is invalid, expired, revoked or already accepted");
    if !looks_like_token(token) {
        return Err(AppError::validation("token", "is not a link token"));
    }
    let hash = password::hash(new_password.expose().to_owned()).await?;
    let now = base.clock.now();
    let tx = crate::core::db::begin_write(&base.db).await?;
    let found = store::invitation_by_hash(&tx, &hash_token(token))
        .await?
        .ok_or_else(invalid)?;
    if found.expires_at <= now || !store::mark_invitation_accepted(&tx, found.id, now).await? {
        return Err(invalid());
    }
    let brand = store::brand_by_id(&tx, found.tenant_id)
        .await?
        .ok_or_else(invalid)?;
    if brand.status != entity::brand::BrandStatus::Active {
        return Err(AppError::Forbidden("this brand is suspended"));
    }
    if store::user_by_email(&tx, &found.email).await?.is_some() {
        return Err(AppError::conflict("a user with this e-mail already exists"));
    }
    let created = store::insert_user(
        &tx,
        user_account::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(Some(found.tenant_id)),
            email: Set(found.email.clone()),
            display_name: Set(display_name),
            password_hash: Set(hash),
            role: Set(found.role),
            status: Set(user_account::UserStatus::Active),
            email_verified_at: Set(Some(now)),
            created_at: Set(now),
            updated_at: Set(now),
        },
    )
    .await?;
    let session = open_session(base, auth, &tx, created, Uuid::now_v7()).await?;
    tx.commit().await?;
    tracing::info!(tenant.id = %found.tenant_id, user.id = %session.user.id, "invitation accepted");
    Ok(session)
}

/// Active owners of the brand other than `except`.
async fn other_active_owners<C: ConnectionTrait>(
    tx: &Scoped<C>,
    except: Uuid,
) -> Result<u64, AppError> {
    Ok(tx
        .find::<user_account::Entity>()
        .filter(user_account::Column::Role.eq(Role::BrandOwner))
        .filter(user_account::Column::Status.eq(user_account::UserStatus::Active))
        .filter(user_account::Column::Id.ne(except))
        .count(tx.db())
        .await?)
}

pub async fn change_role(
    scope: &TenantScope,
    user_id: Uuid,
    role: Role,
) -> Result<user_account::Model, AppError> {
    if !is_brand_role(role) {
        return Err(AppError::validation(
            "role",
            "must be BRAND_OWNER, BRAND_MANAGER or BRAND_STAFF",
        ));
    }
    let tx = scope.begin().await?;
    let user = tx.get::<user_account::Entity>(user_id).await?;
    if user.role == role {
        return Ok(user);
    }
    if user.role == Role::BrandOwner && other_active_owners(&tx, user.id).await? == 0 {
        return Err(AppError::conflict(
            "a brand keeps at least one active owner",
        ));
    }
    let mut model: user_account::ActiveModel = user.into();
    model.role = Set(role);
    model.updated_at = Set(scope.now());
    let user = tx.update(model).await?;
    tx.commit().await?;
    Ok(user)
}

/// Deactivates a user: they cannot log in, and their sessions end at once.
pub async fn deactivate(
    scope: &TenantScope,
    user_id: Uuid,
) -> Result<user_account::Model, AppError> {
    let tx = scope.begin().await?;
    let user = tx.get::<user_account::Entity>(user_id).await?;
    if user.status == user_account::UserStatus::Deactivated {
        return Ok(user);
    }
    if user.role == Role::BrandOwner && other_active_owners(&tx, user.id).await? == 0 {
        return Err(AppError::conflict(
            "a brand keeps at least one active owner",
        ));
    }
    let now = scope.now();
    let mut model: user_account::ActiveModel = user.into();
    model.status = Set(user_account::UserStatus::Deactivated);
    model.updated_at = Set(now);
    let user = tx.update(model).await?;
    store::revoke_user_refresh_tokens(tx.db(), user.id, now).await?;
    tx.commit().await?;
    Ok(user)
}

pub async fn reactivate(
    scope: &TenantScope,
    user_id: Uuid,
) -> Result<user_account::Model, AppError> {
    let conn = scope.conn();
    let user = conn.get::<user_account::Entity>(user_id).await?;
    if user.status == user_account::UserStatus::Active {
        return Ok(user);
    }
    let mut model: user_account::ActiveModel = user.into();
    model.status = Set(user_account::UserStatus::Active);
    model.updated_at = Set(scope.now());
    conn.update(model).await
}

/// A platform user by e-mail (an e-mail is unique across the platform).
pub async fn by_email<C: sea_orm::ConnectionTrait>(
    conn: &C,
    email: &str,
) -> Result<Option<user_account::Model>, AppError> {
    store::user_by_email(conn, email).await
}
