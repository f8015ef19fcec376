//! Partner API keys: `createApiKey`, `apiKeys`, `revokeApiKey`.

use async_graphql::{
    Context, ID, InputObject, Object, Result, SimpleObject, connection::Connection,
};

use crate::core::{
    auth::{ApiScope, Permission},
    error::AppError,
    graphql::{ContextExt, guards::PermissionGuard, relay, types::ApiKey},
};

#[derive(InputObject)]
pub struct CreateApiKeyInput {
    /// What the key is for, e.g. "Store 12 POS".
    pub name: String,
    pub scopes: Vec<ApiScope>,
    /// Makes the call safe to retry: a replay returns the same key (without its secret).
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct CreateApiKeyPayload {
    pub api_key: ApiKey,
    /// The OAuth `client_secret`. Shown once: only its hash is kept, so a replay of the same
    /// idempotency key answers null here.
    pub client_secret: Option<String>,
}

#[derive(Default)]
pub struct ApiKeyQuery;

#[Object]
impl ApiKeyQuery {
    /// The brand's API keys, revoked ones included.
    #[graphql(
        guard = "PermissionGuard(Permission::ManageApiKeys)",
        complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity + 1"
    )]
    async fn api_keys(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, ApiKey>> {
        let page = relay::page_request(first, after)?;
        let had_cursor = page.after.is_some();
        let keys = crate::identity::api_keys::list(ctx.scope()?, page).await?;
        Ok(relay::connection(keys, had_cursor, |k| k.id, ApiKey::from))
    }
}

#[derive(Default)]
pub struct ApiKeyMutation;

#[Object]
impl ApiKeyMutation {
    /// Creates a key for a partner app. The secret is in the payload and nowhere else.
    #[graphql(guard = "PermissionGuard(Permission::ManageApiKeys)")]
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        input: CreateApiKeyInput,
    ) -> Result<CreateApiKeyPayload> {
        let creator = ctx
            .request()?
            .principal
            .user_id()
            .ok_or(AppError::Forbidden("only people can create keys"))?;
        let created = crate::identity::api_keys::create(
            ctx.scope()?,
            creator,
            &input.name,
            &input.scopes,
            input.idempotency_key.as_deref(),
        )
        .await?;
        Ok(CreateApiKeyPayload {
            api_key: created.key.into(),
            client_secret: created.secret,
        })
    }

    /// Revokes a key: its tokens are refused from now on.
    #[graphql(guard = "PermissionGuard(Permission::ManageApiKeys)")]
    async fn revoke_api_key(&self, ctx: &Context<'_>, id: ID) -> Result<ApiKey> {
        Ok(
            crate::identity::api_keys::revoke(ctx.scope()?, crate::core::types::id("id", &id)?)
                .await?
                .into(),
        )
    }
}
