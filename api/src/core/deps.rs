//! The infrastructure handles the services are given, in narrow parts.
//!
//! [`Deps`] is the composition root, built once by `server::App` from a [`Config`]; only adapters
//! (GraphQL, HTTP, the server and its jobs) hold it. A service names the parts it uses — [`Base`]
//! (database and clock), [`Auth`](crate::core::auth::Auth) (token keys and rate limits),
//! [`Links`] (public URL and link signer), [`Post`](crate::core::mail::Post) (the mail transport
//! and the worker's wake-up) — and never the whole, nor the configuration: a service cannot read
//! a setting it was not handed (checked by `server::architecture`).
//! Invariant: there is one clock per application, so every "now" of a request, a job or a
//! test moved forward agrees.

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::core::{
    auth::{Auth, jwt::JwtKeys, rate_limit::RateLimits},
    clock::Clock,
    config::Config,
    mail::{Mailer, Post},
    signing::Signer,
    tenancy::TenantScope,
};

/// What every request shares. Adapters only.
pub struct Deps {
    pub base: Base,
    pub auth: Auth,
    pub links: Links,
    pub post: Post,
    pub config: Config,
}

impl Deps {
    pub fn new(config: Config, db: DatabaseConnection) -> anyhow::Result<Self> {
        config.validate()?;
        let clock = Clock::system();
        Ok(Self {
            post: Post {
                mailer: Mailer::new(&config)?,
                work: tokio::sync::Notify::new(),
                default_from: config.mail_from.clone(),
            },
            auth: Auth {
                jwt: JwtKeys::new(
                    &config.jwt_signing_key,
                    config.access_token_ttl_secs,
                    clock.clone(),
                ),
                limits: RateLimits::new(&config),
                refresh_token_ttl_days: config.refresh_token_ttl_days,
            },
            links: Links {
                public_url: config.public_url.trim_end_matches('/').to_owned(),
                signer: Signer::new(config.signing_keys.as_ref(), &config.jwt_signing_key)?,
            },
            base: Base { db, clock },
            config,
        })
    }
}

/// The stored state and the time: all that most services need.
#[derive(Clone)]
pub struct Base {
    pub db: DatabaseConnection,
    /// Every "now" of the server (tests move it forward).
    pub clock: Clock,
}

impl Base {
    /// The scope of one brand, on this database and clock.
    pub fn scope(&self, brand: Uuid) -> TenantScope {
        TenantScope::with_clock(self.db.clone(), brand, self.clock.clone())
    }
}

/// Where the links Fidelis hands out point, and the signer of the tokens they carry.
pub struct Links {
    /// The public URL without its trailing slash.
    public_url: String,
    /// Signs and verifies link tokens (unsubscribe, tracking), one key per purpose.
    pub signer: Signer,
}

impl Links {
    /// A link into the portal, e.g. `link("/verify-email", token)`.
    pub fn link(&self, path: &str, token: &str) -> String {
        format!("{}{path}?token={token}", self.public_url)
    }

    /// An absolute URL of a page, e.g. `url("/m/acme")`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }
}
