//! The infrastructure handles every context's services are given: the database, the clock, the
//! mailer, the link signer, the token keys and rate limits, and the configuration they read.
//! Built once by `server::App` from a [`Config`]; services borrow it, never own a copy.
//! Invariant: there is one clock per application, so every "now" of a request, a job or a
//! test moved forward agrees.

use sea_orm::DatabaseConnection;

use crate::core::{
    auth::{jwt::JwtKeys, rate_limit::RateLimits},
    config::Config,
    mail::Mailer,
};

/// What every request shares.
pub struct Deps {
    pub db: DatabaseConnection,
    pub config: Config,
    pub mailer: Mailer,
    pub jwt: JwtKeys,
    pub limits: RateLimits,
    /// Wakes the mail worker when mail is queued (a campaign sent, settings fixed), so that it
    /// does not wait for its next poll.
    pub mail_work: tokio::sync::Notify,
    /// Every "now" of the server (tests move it forward).
    pub clock: crate::core::clock::Clock,
    /// Signs and verifies link tokens (unsubscribe, tracking), one key per purpose.
    pub signer: crate::core::signing::Signer,
}

impl Deps {
    pub fn new(config: Config, db: DatabaseConnection) -> anyhow::Result<Self> {
        config.validate()?;
        let clock = crate::core::clock::Clock::system();
        Ok(Self {
            mailer: Mailer::new(&config)?,
            jwt: JwtKeys::new(
                &config.jwt_signing_key,
                config.access_token_ttl_secs,
                clock.clone(),
            ),
            clock,
            signer: crate::core::signing::Signer::new(
                config.signing_keys.as_ref(),
                &config.jwt_signing_key,
            )?,
            limits: RateLimits::new(&config),
            mail_work: tokio::sync::Notify::new(),
            db,
            config,
        })
    }

    /// A link into the portal, e.g. `link("/verify-email", token)`.
    pub fn link(&self, path: &str, token: &str) -> String {
        format!(
            "{}{path}?token={token}",
            self.config.public_url.trim_end_matches('/')
        )
    }
}
