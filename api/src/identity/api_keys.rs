//! Partner API keys and the OAuth 2.0 client-credentials exchange.
//!
//! A key is a public client id plus a secret shown once. Partner apps trade them at
//! `POST /oauth/token` for a short-lived JWT carrying the brand and the granted scopes. Revoking
//! a key refuses its tokens at once (each request checks the key).

use entity::{api_key, brand};
use sea_orm::ActiveValue::Set;
use uuid::Uuid;

use crate::{
    core::{
        auth::{ApiScope, Auth, Role, secrets},
        deps::Base,
        error::AppError,
        idempotency::Idempotency,
        page,
        page::{Page, PageRequest},
        tenancy::TenantScope,
        types::text,
    },
    identity::store,
};

/// A key just created, with its secret (never stored in clear, never shown again).
pub struct CreatedKey {
    pub key: api_key::Model,
    pub secret: Option<String>,
}

pub async fn create(
    scope: &TenantScope,
    created_by: Uuid,
    name: &str,
    scopes: &[ApiScope],
    idempotency_key: Option<&str>,
) -> Result<CreatedKey, AppError> {
    let fingerprint = (name, scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>());
    let idem = Idempotency::optional(
        scope.tenant_id().to_string(),
        "createApiKey",
        idempotency_key,
        &fingerprint,
    )?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.replay(scope.conn().db()).await?
    {
        let id = crate::core::idempotency::recorded_id(&previous, "key")?;
        return Ok(CreatedKey {
            key: scope.conn().get::<api_key::Entity>(id).await?,
            secret: None,
        });
    }
    let name = text("name", name, 200)?;
    if scopes.is_empty() {
        return Err(AppError::validation(
            "scopes",
            "must name at least one scope",
        ));
    }
    let mut scopes = scopes.to_vec();
    scopes.sort_by_key(|s| s.as_str());
    scopes.dedup();
    let secret = secrets::new_token();
    let tx = scope.begin().await?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.claim(tx.db()).await?
    {
        drop(tx);
        let id = crate::core::idempotency::recorded_id(&previous, "key")?;
        return Ok(CreatedKey {
            key: scope.conn().get::<api_key::Entity>(id).await?,
            secret: None,
        });
    }
    let key = tx
        .insert(api_key::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(scope.tenant_id()),
            name: Set(name),
            client_id: Set(format!("fk_{}", secrets::new_hex_id(8))),
            secret_hash: Set(secrets::hash_token(&secret)),
            scopes: Set(ApiScope::join(&scopes)),
            created_by: Set(created_by),
            created_at: Set(scope.now()),
            last_used_at: Set(None),
            revoked_at: Set(None),
        })
        .await?;
    if let Some(idem) = &idem {
        idem.record(tx.db(), serde_json::json!({ "key": key.id }))
            .await?;
    }
    tx.commit().await?;
    tracing::info!(tenant.id = %scope.tenant_id(), api_key.id = %key.id, "API key {} created", key.client_id);
    Ok(CreatedKey {
        key,
        secret: Some(secret),
    })
}

pub async fn list(
    scope: &TenantScope,
    page: PageRequest,
) -> Result<Page<api_key::Model>, AppError> {
    let conn = scope.conn();
    Ok(page::fetch(
        conn.db(),
        conn.find::<api_key::Entity>(),
        api_key::Column::Id,
        page,
    )
    .await?)
}

/// Revokes a key; revoking it again changes nothing.
pub async fn revoke(scope: &TenantScope, id: Uuid) -> Result<api_key::Model, AppError> {
    let conn = scope.conn();
    let key = conn.get::<api_key::Entity>(id).await?;
    if key.revoked_at.is_some() {
        return Ok(key);
    }
    let mut model: api_key::ActiveModel = key.into();
    model.revoked_at = Set(Some(scope.now()));
    let key = conn.update(model).await?;
    tracing::info!(tenant.id = %scope.tenant_id(), api_key.id = %key.id, "API key {} revoked", key.client_id);
    Ok(key)
}

/// A token granted to a partner app.
pub struct PartnerToken {
    pub access_token: String,
    pub expires_in: u64,
    pub scope: String,
}

/// Why a token request failed, in RFC 6749 §5.2 terms.
#[derive(Debug)]
pub enum TokenError {
    InvalidClient,
    InvalidScope,
    Other(AppError),
}

impl From<AppError> for TokenError {
    fn from(e: AppError) -> Self {
        Self::Other(e)
    }
}

/// Exchanges a client id and secret for an access token. `requested` narrows the key's scopes.
pub async fn exchange(
    base: &Base,
    auth: &Auth,
    client_id: &str,
    secret: &str,
    requested: Option<&str>,
) -> Result<PartnerToken, TokenError> {
    if client_id.len() > 64 || !secrets::looks_like_token(secret) {
        return Err(TokenError::InvalidClient);
    }
    auth.limits.token_client.check_and_hit(client_id)?;
    let key = store::api_key_by_client_id(&base.db, client_id)
        .await?
        .ok_or(TokenError::InvalidClient)?;
    if key.revoked_at.is_some() || secrets::hash_token(secret) != key.secret_hash {
        return Err(TokenError::InvalidClient);
    }
    let brand = store::brand_by_id(&base.db, key.tenant_id)
        .await?
        .ok_or(TokenError::InvalidClient)?;
    if brand.status != brand::BrandStatus::Active {
        return Err(TokenError::InvalidClient);
    }
    let granted = ApiScope::parse_list(&key.scopes);
    let scopes = match requested.map(str::trim).filter(|s| !s.is_empty()) {
        None => granted,
        Some(requested) => {
            let words: Vec<&str> = requested.split_whitespace().collect();
            let asked: Vec<ApiScope> = words.iter().filter_map(|w| ApiScope::parse(w)).collect();
            if asked.len() != words.len() || asked.iter().any(|s| !granted.contains(s)) {
                return Err(TokenError::InvalidScope);
            }
            asked
        }
    };
    let scope = ApiScope::join(&scopes);
    let access_token = auth.jwt.issue(
        key.id,
        Role::PartnerApp,
        Some(key.tenant_id),
        Some(scope.clone()),
    )?;
    store::touch_api_key(&base.db, key.id, base.clock.now()).await?;
    Ok(PartnerToken {
        access_token,
        expires_in: auth.jwt.ttl_secs(),
        scope,
    })
}
