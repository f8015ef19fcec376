//! Members' own accounts in a brand's app: sign-up and login give a MEMBER token scoped to that
//! brand. Members are people of one brand: the same e-mail may be a member of several brands,
//! each with its own password.

use entity::member::{self, EnrolmentChannel};
use sea_orm::{ColumnTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    core::{
        auth::{Auth, Role, password},
        deps::Base,
        error::AppError,
        tenancy::TenantScope,
        types::{Email, NewPassword},
    },
    loyalty::{members, members::Enrol},
};

/// A member's session: a short-lived access token.
pub struct MemberSession {
    pub access_token: String,
    pub expires_in: u64,
    pub member: member::Model,
    /// The member's brand, to read the rest of their account in the same response.
    pub scope: TenantScope,
}

/// The scope of an active brand named by its slug (NOT_FOUND otherwise), and the brand.
pub(crate) async fn brand_scope(
    base: &Base,
    slug: &str,
) -> Result<(TenantScope, entity::brand::Model), AppError> {
    let brand = crate::identity::brands::by_slug(&base.db, slug.trim())
        .await?
        .filter(|b| b.status == entity::brand::BrandStatus::Active)
        .ok_or(AppError::NotFound)?;
    Ok((base.scope(brand.id), brand))
}

pub(crate) fn session(
    auth: &Auth,
    scope: &TenantScope,
    member: member::Model,
) -> Result<MemberSession, AppError> {
    let access_token = auth
        .jwt
        .issue(member.id, Role::Member, Some(scope.tenant_id()), None)?;
    Ok(MemberSession {
        access_token,
        expires_in: auth.jwt.ttl_secs(),
        member,
        scope: scope.clone(),
    })
}

/// Enrols the member in the brand's app with a password; returns a session.
pub async fn sign_up(
    base: &Base,
    auth: &Auth,
    brand_slug: &str,
    mut enrol: Enrol,
    new_password: &str,
    client: &str,
    idempotency_key: Option<&str>,
) -> Result<MemberSession, AppError> {
    auth.limits.login_address.check_and_hit(client)?;
    let (scope, _) = brand_scope(base, brand_slug).await?;
    if enrol.email.as_deref().is_none_or(|e| e.trim().is_empty()) {
        return Err(AppError::validation(
            "input.email",
            "is required to sign up",
        ));
    }
    let new_password = NewPassword::parse("input.password", new_password)?;
    enrol.password_hash = Some(password::hash(new_password.expose().to_owned()).await?);
    let (member, _card) = members::enrol(&scope, enrol, EnrolmentChannel::Member, idempotency_key)
        .await
        .map_err(|e| match e {
            AppError::Conflict(m) if m.contains("e-mail") => AppError::conflict(
                "this e-mail is already a member of the brand: use requestMemberAccess to get a \
                 link that sets your password",
            ),
            other => other,
        })?;
    session(auth, &scope, member)
}

/// Checks a member's e-mail and password for the brand; answers the same for an unknown e-mail
/// and a wrong password.
pub async fn login(
    base: &Base,
    auth: &Auth,
    brand_slug: &str,
    email: &str,
    pwd: &str,
    client: &str,
) -> Result<MemberSession, AppError> {
    const INVALID: AppError = AppError::Unauthenticated("invalid e-mail or password");
    auth.limits.login_address.check_and_hit(client)?;
    let (scope, _) = brand_scope(base, brand_slug).await.map_err(|_| INVALID)?;
    let email = Email::parse("email", email).map_err(|_| INVALID)?;
    let key = format!("member:{}:{}", scope.tenant_id(), email.as_str());
    auth.limits.login_account.check(&key)?;
    let conn = scope.conn();
    let found = conn
        .find::<member::Entity>()
        .filter(member::Column::Email.eq(email.as_str()))
        .one(conn.db())
        .await?;
    let ok = match found.as_ref().and_then(|m| m.password_hash.clone()) {
        Some(hash) => password::verify(pwd.to_owned(), hash).await?,
        None => {
            let _ = password::verify(pwd.to_owned(), password::dummy_hash().await?).await?;
            false
        }
    };
    let Some(member) = found.filter(|_| ok) else {
        auth.limits.login_account.hit(&key);
        return Err(INVALID);
    };
    auth.limits.login_account.reset(&key);
    session(auth, &scope, member)
}

/// Whether a MEMBER token issued at `issued_at` (seconds) still opens the member's account:
/// the member exists, is not erased, and has not ended their sessions since (a password set or
/// reset, an erasure).
pub async fn token_valid(
    base: &Base,
    tenant: Uuid,
    member: Uuid,
    issued_at: u64,
) -> Result<bool, AppError> {
    let scope = base.scope(tenant);
    match scope.conn().get::<member::Entity>(member).await {
        // An erased member has no account to open, whatever the token's age.
        Ok(m) if m.attributes.get("erased_at").is_some() => Ok(false),
        Ok(m) => Ok(m
            .sessions_valid_after
            .is_none_or(|after| i64::try_from(issued_at).unwrap_or(i64::MAX) >= after.timestamp())),
        Err(AppError::NotFound) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Turns a member's verified token claims into the request's principal, refusing tokens issued
/// before the member's last password change or for a member who is gone.
pub async fn resolve(
    base: &Base,
    claims: crate::core::auth::jwt::Claims,
) -> Result<(crate::core::auth::Principal, Option<entity::brand::Model>), AppError> {
    let tenant_id = claims
        .tid
        .ok_or(AppError::Unauthenticated("invalid access token"))?;
    if !token_valid(base, tenant_id, claims.sub, claims.iat).await? {
        return Err(AppError::Unauthenticated(
            "this session has ended: log in again",
        ));
    }
    let brand = crate::identity::brands::by_id(&base.db, tenant_id)
        .await?
        .ok_or(AppError::Unauthenticated("invalid access token"))?;
    if brand.status != entity::brand::BrandStatus::Active {
        return Err(AppError::Forbidden("this brand is suspended"));
    }
    let principal = crate::core::auth::Principal::Member {
        member_id: claims.sub,
        tenant_id,
    };
    Ok((principal, Some(brand)))
}
