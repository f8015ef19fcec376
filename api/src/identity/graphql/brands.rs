//! Brands: `signUpBrand` (public), and the platform admin's `brands`, `brand`, `suspendBrand`,
//! `reactivateBrand`.

use async_graphql::{
    Context, ID, InputObject, Object, Result, SimpleObject, connection::Connection,
};

use crate::{
    core::{
        auth::Permission,
        graphql::{
            ContextExt,
            guards::PermissionGuard,
            relay,
            types::{Brand, BrandStatus, User},
        },
        types::id,
    },
    identity::brands::SignUpBrand,
};

#[derive(InputObject)]
pub struct SignUpBrandInput {
    pub brand_name: String,
    /// 3 to 63 lower-case letters, digits or inner dashes.
    pub slug: String,
    pub owner_email: String,
    /// 10 to 128 characters.
    pub owner_password: String,
    pub owner_name: Option<String>,
    /// ISO 4217, e.g. EUR.
    pub currency: String,
    /// IANA time zone, e.g. Europe/Paris.
    pub timezone: String,
    /// Language tag, default fr-FR.
    pub locale: Option<String>,
    /// Makes the call safe to retry: a replay returns the first result and changes nothing.
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct SignUpBrandPayload {
    pub brand: Brand,
    /// The owner; they must confirm their address (mailed link) before logging in.
    pub owner: User,
}

#[derive(Default)]
pub struct BrandQuery;

#[Object]
impl BrandQuery {
    /// Every brand on the platform (platform admins).
    #[graphql(
        guard = "PermissionGuard(Permission::AdministerPlatform)",
        complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity + 1"
    )]
    async fn brands(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        status: Option<BrandStatus>,
    ) -> Result<Connection<String, Brand>> {
        let page = relay::page_request(first, after)?;
        let had_cursor = page.after.is_some();
        let brands =
            crate::identity::brands::list(&ctx.state()?.base, status.map(Into::into), page).await?;
        Ok(relay::connection(brands, had_cursor, |b| b.id, Brand::from))
    }

    /// One brand by id (platform admins). Brand users read their own brand as `viewer.brand`.
    #[graphql(guard = "PermissionGuard(Permission::AdministerPlatform)")]
    async fn brand(&self, ctx: &Context<'_>, id: ID) -> Result<Brand> {
        Ok(
            crate::identity::brands::get(&ctx.state()?.base, id_of(&id)?)
                .await?
                .into(),
        )
    }
}

fn id_of(raw: &ID) -> Result<uuid::Uuid, crate::core::error::AppError> {
    id("id", raw)
}

/// A brand's settings, as its owner changes them.
#[derive(InputObject)]
pub struct BrandSettingsInput {
    pub name: String,
    /// IANA time zone, e.g. Europe/Paris.
    pub timezone: String,
    /// Language tag, e.g. fr-FR or en-GB.
    pub locale: String,
    /// `#rrggbb`; null or empty: the platform's colour.
    pub accent_color: Option<String>,
    /// The most the offers may take off one basket, in % of its value (100: no cap); null:
    /// unchanged.
    pub offer_cap_percent: Option<i32>,
}

#[derive(Default)]
pub struct BrandMutation;

#[Object]
impl BrandMutation {
    /// Creates a brand and its owner account, and mails the owner a verification link. Sign-ups
    /// are limited per client address (RATE_LIMITED).
    async fn sign_up_brand(
        &self,
        ctx: &Context<'_>,
        input: SignUpBrandInput,
    ) -> Result<SignUpBrandPayload> {
        let (brand, owner) = crate::identity::brands::sign_up(
            &ctx.state()?.base,
            &ctx.state()?.auth,
            &ctx.state()?.links,
            &ctx.state()?.post,
            SignUpBrand {
                brand_name: input.brand_name,
                slug: input.slug,
                owner_email: input.owner_email,
                owner_password: input.owner_password,
                owner_name: input.owner_name,
                currency: input.currency,
                timezone: input.timezone,
                locale: input.locale,
                idempotency_key: input.idempotency_key,
            },
            &ctx.request()?.client,
        )
        .await?;
        Ok(SignUpBrandPayload {
            brand: brand.into(),
            owner: owner.into(),
        })
    }

    /// Suspends a brand: its users, tokens and API keys are refused until reactivation.
    #[graphql(guard = "PermissionGuard(Permission::AdministerPlatform)")]
    async fn suspend_brand(&self, ctx: &Context<'_>, id: ID, reason: String) -> Result<Brand> {
        Ok(
            crate::identity::brands::suspend(&ctx.state()?.base, id_of(&id)?, &reason)
                .await?
                .into(),
        )
    }

    /// The caller's brand's settings (owners): name, time zone (dates, days of the figures,
    /// campaign schedules), language of mails and pages, colour of the member space. The slug
    /// and the currency never change.
    #[graphql(guard = "PermissionGuard(Permission::ManageBrand)")]
    async fn update_brand_settings(
        &self,
        ctx: &Context<'_>,
        input: BrandSettingsInput,
    ) -> Result<Brand> {
        let id = ctx.scope()?.tenant_id();
        Ok(crate::identity::brands::update_settings(
            &ctx.state()?.base,
            id,
            crate::identity::brands::BrandSettings {
                name: input.name,
                timezone: input.timezone,
                locale: input.locale,
                accent_color: input.accent_color,
                offer_cap_percent: input.offer_cap_percent,
            },
        )
        .await?
        .into())
    }

    /// Lifts a suspension.
    #[graphql(guard = "PermissionGuard(Permission::AdministerPlatform)")]
    async fn reactivate_brand(&self, ctx: &Context<'_>, id: ID) -> Result<Brand> {
        Ok(
            crate::identity::brands::reactivate(&ctx.state()?.base, id_of(&id)?)
                .await?
                .into(),
        )
    }
}
