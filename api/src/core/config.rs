//! Configuration: one struct, read from flags and `FIDELIS_*` environment variables.
//!
//! Every default runs on a fresh machine (SQLite under `./data/`, mail to `./data/outbox/`);
//! `FIDELIS_ENV=production` refuses to start on a default or weak signing key.

use std::{net::SocketAddr, path::PathBuf};

use clap::{Args, ValueEnum};
use secrecy::{ExposeSecret, SecretString};

/// The signing key used when none is configured. Fine on a laptop, refused in production.
pub const DEV_SIGNING_KEY: &str = "fidelis-development-signing-key-do-not-use-in-production";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Environment {
    Development,
    Test,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// development, test or production.
    #[arg(long, env = "FIDELIS_ENV", value_enum, default_value = "development")]
    pub env: Environment,
    /// SQLite (`sqlite://data/fidelis.db?mode=rwc`) or PostgreSQL (`postgres://user@host/db`).
    #[arg(
        long,
        env = "FIDELIS_DATABASE_URL",
        default_value = "sqlite://data/fidelis.db?mode=rwc"
    )]
    pub database_url: String,
    /// Largest number of pooled database connections.
    #[arg(long, env = "FIDELIS_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,
    /// Address and port to listen on (port 0 picks a free one).
    #[arg(long, env = "FIDELIS_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Public base URL of the portal, used in links sent by e-mail.
    #[arg(
        long,
        env = "FIDELIS_PUBLIC_URL",
        default_value = "http://localhost:8080"
    )]
    pub public_url: String,
    /// HMAC key signing access tokens (at least 32 bytes in production).
    #[arg(long, env = "FIDELIS_JWT_SIGNING_KEY", default_value = DEV_SIGNING_KEY, value_parser = parse_secret, hide_default_value = true)]
    pub jwt_signing_key: SecretString,
    /// Keys of signed links (unsubscribe, tracking): `kid:secret,kid:secret`, the first signing,
    /// the others still verifying (rotation); each secret at least 32 bytes. Unset: one key
    /// derived from the JWT signing key.
    #[arg(long, env = "FIDELIS_SIGNING_KEYS", value_parser = parse_secret, hide_default_value = true)]
    pub signing_keys: Option<SecretString>,
    /// Lifetime of access tokens, in seconds.
    #[arg(long, env = "FIDELIS_ACCESS_TOKEN_TTL_SECS", default_value_t = 900)]
    pub access_token_ttl_secs: u64,
    /// Lifetime of refresh tokens, in days.
    #[arg(long, env = "FIDELIS_REFRESH_TOKEN_TTL_DAYS", default_value_t = 30)]
    pub refresh_token_ttl_days: u32,
    /// SMTP server, e.g. `smtp://localhost:1025`, `smtps://user:pass@mail.example.com`,
    /// `smtp://user:pass@mail.example.com:587?tls=required`. Unset: mails go to the outbox folder.
    #[arg(long, env = "FIDELIS_SMTP_URL", value_parser = parse_secret)]
    pub smtp_url: Option<SecretString>,
    /// Sender of platform mails.
    #[arg(
        long,
        env = "FIDELIS_MAIL_FROM",
        default_value = "Fidelis <no-reply@fidelis.localhost>"
    )]
    pub mail_from: String,
    /// Where mails are written as .eml files when no SMTP server is configured.
    #[arg(long, env = "FIDELIS_OUTBOX_DIR", default_value = "data/outbox")]
    pub outbox_dir: PathBuf,
    /// text or json.
    #[arg(long, env = "FIDELIS_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Log filter, in `tracing_subscriber::EnvFilter` syntax.
    #[arg(
        long,
        env = "FIDELIS_LOG",
        default_value = "info,sqlx=warn,sea_orm=warn"
    )]
    pub log_filter: String,
    /// Serve GraphiQL on GET /graphql (default: on, except in production).
    #[arg(long, env = "FIDELIS_GRAPHIQL")]
    pub graphiql: Option<bool>,
    /// Requests taking longer are answered 408.
    #[arg(long, env = "FIDELIS_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// Largest accepted request body.
    #[arg(long, env = "FIDELIS_MAX_BODY_BYTES", default_value_t = 256 * 1024)]
    pub max_body_bytes: usize,
    /// Failed logins allowed per account per 15 minutes.
    #[arg(long, env = "FIDELIS_LOGIN_ATTEMPTS_PER_ACCOUNT", default_value_t = 5)]
    pub login_attempts_per_account: u32,
    /// Login attempts allowed per client address per minute.
    #[arg(long, env = "FIDELIS_LOGIN_ATTEMPTS_PER_ADDRESS", default_value_t = 30)]
    pub login_attempts_per_address: u32,
    /// Seconds between runs of the scheduled jobs: points expiry, birthday bonuses, tier reviews,
    /// coalition points expiry (0: never, e.g. when `fidelis jobs run` is scheduled elsewhere).
    #[arg(long, env = "FIDELIS_JOBS_INTERVAL_SECS", default_value_t = 3600)]
    pub jobs_interval_secs: u64,
    /// Seconds between polls of the mail worker, which starts due campaigns, delivers them at
    /// each brand's per-minute rate and sends transactional mail; it is also woken at once when
    /// a campaign is sent (0: no mail worker in this process).
    #[arg(long, env = "FIDELIS_MAIL_POLL_SECS", default_value_t = 5)]
    pub mail_poll_secs: u64,
    /// How many days back a purchase's `occurredAt` may be dated (an offline till syncing,
    /// late paperwork). Importing older history takes the ImportHistory permission (owners,
    /// managers, the `history:import` API scope), up to 10 years.
    #[arg(long, env = "FIDELIS_MAX_BACKDATE_DAYS", default_value_t = 30)]
    pub max_backdate_days: u32,
    /// Brands one client address may sign up per hour.
    #[arg(
        long,
        env = "FIDELIS_SIGNUPS_PER_ADDRESS_PER_HOUR",
        default_value_t = 10
    )]
    pub signups_per_address_per_hour: u32,
    /// Trust the first `X-Forwarded-For` address (only behind a proxy that sets it).
    #[arg(long, env = "FIDELIS_TRUST_FORWARDED_FOR", default_value_t = false)]
    pub trust_forwarded_for: bool,
}

fn parse_secret(s: &str) -> Result<SecretString, String> {
    Ok(SecretString::from(s.to_owned()))
}

impl Config {
    /// The configuration a fresh machine gets: every default, no environment.
    pub fn defaults() -> Self {
        #[derive(clap::Parser)]
        struct Wrapper {
            #[command(flatten)]
            config: Config,
        }
        // Parsing an empty command line cannot fail: every field has a default or is optional.
        match <Wrapper as clap::Parser>::try_parse_from(["fidelis"]) {
            Ok(w) => w.config,
            Err(e) => unreachable!("defaults do not parse: {e}"),
        }
    }

    pub fn is_production(&self) -> bool {
        self.env == Environment::Production
    }

    pub fn graphiql_enabled(&self) -> bool {
        self.graphiql.unwrap_or(!self.is_production())
    }

    /// Refuses settings that would be unsafe in production.
    pub fn validate(&self) -> anyhow::Result<()> {
        let key = self.jwt_signing_key.expose_secret();
        if self.is_production() {
            anyhow::ensure!(
                key != DEV_SIGNING_KEY,
                "FIDELIS_JWT_SIGNING_KEY must be set in production (the development key is public)"
            );
            anyhow::ensure!(
                key.len() >= 32 && distinct_bytes(key) >= 10,
                "FIDELIS_JWT_SIGNING_KEY is too weak: use at least 32 random bytes"
            );
        }
        anyhow::ensure!(
            self.access_token_ttl_secs > 0,
            "FIDELIS_ACCESS_TOKEN_TTL_SECS must be positive"
        );
        anyhow::ensure!(
            self.public_url.starts_with("http://") || self.public_url.starts_with("https://"),
            "FIDELIS_PUBLIC_URL must start with http:// or https://"
        );
        if self.is_production() {
            // Links in mail (unsubscribe, verification, password) carry tokens, and RFC 8058
            // one-click unsubscribe requires HTTPS.
            anyhow::ensure!(
                self.public_url.starts_with("https://"),
                "FIDELIS_PUBLIC_URL must be an https:// URL in production"
            );
        }
        Ok(())
    }
}

fn distinct_bytes(s: &str) -> usize {
    let mut seen = [false; 256];
    s.bytes().for_each(|b| seen[usize::from(b)] = true);
    seen.iter().filter(|s| **s).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_refuses_the_development_signing_key() {
        let mut config = Config::defaults();
        config.env = Environment::Production;
        assert!(config.validate().is_err());
    }

    #[test]
    fn production_refuses_a_short_or_repetitive_key() {
        let mut config = Config::defaults();
        config.env = Environment::Production;
        config.jwt_signing_key = SecretString::from("short".to_owned());
        assert!(config.validate().is_err());
        config.jwt_signing_key = SecretString::from("a".repeat(64));
        assert!(config.validate().is_err());
        config.jwt_signing_key =
            SecretString::from("Zx8#kP2mQ9vL4tR7wE1yU6iO3pA5sD0fG8hJ2kL".to_owned());
        config.public_url = "https://fidelis.example".to_owned();
        assert!(config.validate().is_ok());
    }

    #[test]
    fn production_refuses_a_plain_http_public_url() {
        let mut config = Config::defaults();
        config.env = Environment::Production;
        config.jwt_signing_key =
            SecretString::from("Zx8#kP2mQ9vL4tR7wE1yU6iO3pA5sD0fG8hJ2kL".to_owned());
        config.public_url = "http://fidelis.example".to_owned();
        assert!(config.validate().is_err());
        config.public_url = "https://fidelis.example".to_owned();
        assert!(config.validate().is_ok());
    }

    #[test]
    fn development_accepts_the_defaults() {
        assert!(Config::defaults().validate().is_ok());
        assert!(Config::defaults().graphiql_enabled());
    }
}
