//! Outgoing mail through lettre: SMTP when `FIDELIS_SMTP_URL` is set, otherwise `.eml` files in the
//! outbox folder, so that a default run needs no mail server.

pub mod outbox;
pub mod sender;
pub mod store;
pub mod templates;

use anyhow::Context as _;
use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{
        Mailbox, MultiPart, SinglePart,
        header::{Header, HeaderName, HeaderValue},
    },
};
use secrecy::ExposeSecret;

use crate::core::config::Config;

/// A mail ready to send: text and HTML bodies of the same content.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A mail to a member from the brand's sender identity: marketing (with the RFC 8058
/// one-click unsubscribe) or transactional (without).
#[derive(Debug, Clone)]
pub struct MarketingMail {
    pub from_name: String,
    pub from_address: String,
    pub reply_to: Option<String>,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The brand's DKIM key, when it configured one.
    pub dkim: Option<DkimKey>,
    /// Marketing: the link that unsubscribes in one click (GET shows it done; POST for mail
    /// clients). Transactional mail has none.
    pub unsubscribe_url: Option<String>,
}

/// A brand's DKIM signing key.
#[derive(Clone)]
pub struct DkimKey {
    pub selector: String,
    pub domain: String,
    /// `RSA` (PKCS#1 PEM) or `ED25519` (base64 of the 32-byte seed).
    pub algorithm: String,
    pub private_key: String,
}

impl std::fmt::Debug for DkimKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DkimKey")
            .field("selector", &self.selector)
            .field("domain", &self.domain)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// A DKIM private key in the form lettre signs with: RSA as PKCS#1 PEM, Ed25519 as base64 of
/// the 32-byte seed. PKCS#8 PEM keys (what `openssl genpkey` writes) are converted.
pub fn normalize_dkim_key(algorithm: &str, key: &str) -> Result<String, String> {
    let key = key.trim();
    let bad = || "the DKIM private key does not parse".to_owned();
    match algorithm {
        "RSA" if key.contains("BEGIN PRIVATE KEY") => {
            use rsa::{
                pkcs1::{EncodeRsaPrivateKey, LineEnding},
                pkcs8::DecodePrivateKey,
            };
            let parsed = rsa::RsaPrivateKey::from_pkcs8_pem(key).map_err(|_| bad())?;
            Ok(parsed
                .to_pkcs1_pem(LineEnding::LF)
                .map_err(|_| bad())?
                .trim()
                .to_owned())
        }
        "ED25519" if key.contains("BEGIN") => {
            use base64::Engine as _;
            use ed25519_dalek::pkcs8::DecodePrivateKey;
            let parsed = ed25519_dalek::SigningKey::from_pkcs8_pem(key).map_err(|_| bad())?;
            Ok(base64::engine::general_purpose::STANDARD.encode(parsed.to_bytes()))
        }
        _ => Ok(key.to_owned()),
    }
}

impl DkimKey {
    fn signing_key(&self) -> Result<lettre::message::dkim::DkimSigningKey, String> {
        use lettre::message::dkim::{DkimSigningAlgorithm, DkimSigningKey};
        let algorithm = match self.algorithm.as_str() {
            "RSA" => DkimSigningAlgorithm::Rsa,
            "ED25519" => DkimSigningAlgorithm::Ed25519,
            other => return Err(format!("unknown DKIM algorithm {other}")),
        };
        let key = normalize_dkim_key(&self.algorithm, &self.private_key)?;
        DkimSigningKey::new(&key, algorithm)
            .map_err(|_| "the DKIM private key does not parse".to_owned())
    }

    /// Checks that the key parses.
    pub fn check(&self) -> Result<(), String> {
        self.signing_key().map(|_| ())
    }

    /// The headers signed: From, To, Subject, Date, Message-ID and, in marketing mail,
    /// List-Unsubscribe and List-Unsubscribe-Post (RFC 8058 wants them signed; lettre's
    /// default set does not include them). Relaxed canonicalization for both.
    fn config(&self, marketing: bool) -> Result<lettre::message::dkim::DkimConfig, String> {
        use lettre::message::dkim::{DkimCanonicalization, DkimCanonicalizationType, DkimConfig};
        let mut headers = vec![
            HeaderName::new_from_ascii_str("From"),
            HeaderName::new_from_ascii_str("To"),
            HeaderName::new_from_ascii_str("Subject"),
            HeaderName::new_from_ascii_str("Date"),
            HeaderName::new_from_ascii_str("Message-ID"),
        ];
        if marketing {
            headers.push(HeaderName::new_from_ascii_str("List-Unsubscribe"));
            headers.push(HeaderName::new_from_ascii_str("List-Unsubscribe-Post"));
        }
        Ok(DkimConfig::new(
            self.selector.clone(),
            self.domain.clone(),
            self.signing_key()?,
            headers,
            DkimCanonicalization {
                header: DkimCanonicalizationType::Relaxed,
                body: DkimCanonicalizationType::Relaxed,
            },
        ))
    }
}

/// Why a mail was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth retrying later (4xx reply, connection trouble).
    #[error("temporary: {0}")]
    Temporary(String),
    /// The server refused it for good (5xx reply: unknown mailbox, policy).
    #[error("permanent: {0}")]
    Permanent(String),
    /// The mail could not be built for this recipient (bad address).
    #[error("invalid: {0}")]
    Invalid(String),
    /// The brand's sending configuration cannot send anything (sender, reply-to, DKIM key):
    /// the mail is held, not failed, until the configuration is fixed.
    #[error("configuration: {0}")]
    Config(String),
}

/// The sender of a brand's mail: the brand's display name and an address, given either bare
/// (`news@brand.fr`) or as a mailbox (`Name <news@brand.fr>`, the form of `FIDELIS_MAIL_FROM`).
pub fn sender_mailbox(name: &str, address: &str) -> Result<Mailbox, String> {
    let email = match address.trim().parse::<lettre::Address>() {
        Ok(a) => a,
        Err(_) => address
            .trim()
            .parse::<Mailbox>()
            .map(|m| m.email)
            .map_err(|_| format!("the sender address {address:?} is not an e-mail address"))?,
    };
    let name = name.trim();
    Ok(Mailbox::new(
        (!name.is_empty()).then(|| name.to_owned()),
        email,
    ))
}

/// A unique `Message-ID` under the sender's domain (RFC 5322 3.6.4), which large mailbox
/// providers expect and DKIM signs.
fn message_id(from: &Mailbox) -> String {
    format!(
        "<{}@{}>",
        uuid::Uuid::new_v4().simple(),
        from.email.domain()
    )
}

/// The body of a mail: text and HTML as `multipart/alternative` when both exist, otherwise the
/// one part alone (never a `multipart/mixed` wrapping a single part).
fn with_body(
    builder: lettre::message::MessageBuilder,
    text: String,
    html: String,
) -> Result<Message, lettre::error::Error> {
    match (text.trim().is_empty(), html.trim().is_empty()) {
        (false, false) => builder.multipart(
            MultiPart::alternative()
                // lettre picks the transfer encoding (7bit, quoted-printable or base64) that
                // keeps every line within the RFC 5322 limit.
                .singlepart(SinglePart::plain(text))
                .singlepart(SinglePart::html(html)),
        ),
        (true, false) => builder.singlepart(SinglePart::html(html)),
        _ => builder.singlepart(SinglePart::plain(text)),
    }
}

/// `List-Unsubscribe: <https://...>` (RFC 2369).
#[derive(Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(AsyncFileTransport<Tokio1Executor>),
}

/// The way out for mail: the transport, the worker's wake-up and the platform's own sender.
pub struct Post {
    pub mailer: Mailer,
    /// Wakes the mail worker when mail is queued (a campaign sent, settings fixed), so that it
    /// does not wait for its next poll.
    pub work: tokio::sync::Notify,
    /// `FIDELIS_MAIL_FROM` as written: the sender of brands without settings of their own.
    pub default_from: String,
}

pub struct Mailer {
    transport: Transport,
    from: Mailbox,
}

impl Mailer {
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        let from: Mailbox = config
            .mail_from
            .parse()
            .context("FIDELIS_MAIL_FROM is not a mailbox")?;
        let transport = match &config.smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
                    .context("FIDELIS_SMTP_URL is not a valid SMTP URL")?
                    // The campaign worker keeps up to 16 mails in flight.
                    .pool_config(lettre::transport::smtp::PoolConfig::new().max_size(16))
                    .build(),
            ),
            None => {
                std::fs::create_dir_all(&config.outbox_dir).with_context(|| {
                    format!("creating the outbox {}", config.outbox_dir.display())
                })?;
                Transport::Outbox(AsyncFileTransport::new(&config.outbox_dir))
            }
        };
        Ok(Self { transport, from })
    }

    /// Where mails go, for the start-up log (no credentials).
    pub fn describe(&self, config: &Config) -> String {
        match self.transport {
            Transport::Smtp(_) => "SMTP".to_owned(),
            Transport::Outbox(_) => format!("outbox folder {}", config.outbox_dir.display()),
        }
    }

    /// Sends a brand's mail (marketing or transactional), telling temporary failures (retry
    /// later) from permanent ones and from a configuration that cannot send.
    pub async fn send_marketing(&self, mail: MarketingMail) -> Result<(), SendError> {
        let from =
            sender_mailbox(&mail.from_name, &mail.from_address).map_err(SendError::Config)?;
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|_| SendError::Invalid("the recipient address".to_owned()))?;
        let mut builder = Message::builder()
            .message_id(Some(message_id(&from)))
            .date_now()
            .from(from)
            .to(to)
            .subject(mail.subject);
        let marketing = mail.unsubscribe_url.is_some();
        if let Some(url) = mail.unsubscribe_url {
            builder = builder
                .header(ListUnsubscribe(url))
                .header(ListUnsubscribePost);
        }
        if let Some(reply_to) = &mail.reply_to {
            builder = builder.reply_to(reply_to.parse().map_err(|_| {
                SendError::Config(format!("the reply-to address {reply_to:?} does not parse"))
            })?);
        }
        let mut message = with_body(builder, mail.text, mail.html)
            .map_err(|e| SendError::Invalid(e.to_string()))?;
        if let Some(dkim) = &mail.dkim {
            message.sign(&dkim.config(marketing).map_err(SendError::Config)?);
        }
        self.transmit(message).await
    }

    /// Sends one of the platform's own mails (verification, reset, invitation) from the
    /// platform's sender.
    pub async fn send(&self, mail: OutgoingMail) -> Result<(), SendError> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|_| SendError::Invalid("the recipient address".to_owned()))?;
        let builder = Message::builder()
            .message_id(Some(message_id(&self.from)))
            .date_now()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject);
        let message = with_body(builder, mail.text, mail.html)
            .map_err(|e| SendError::Invalid(e.to_string()))?;
        self.transmit(message).await
    }

    async fn transmit(&self, message: Message) -> Result<(), SendError> {
        match &self.transport {
            Transport::Smtp(smtp) => smtp.send(message).await.map(|_| ()).map_err(|e| {
                if e.is_permanent() {
                    SendError::Permanent(e.to_string())
                } else {
                    SendError::Temporary(e.to_string())
                }
            }),
            Transport::Outbox(outbox) => outbox
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| SendError::Temporary(e.to_string())),
        }
    }
}
