//! Outgoing mail through lettre: SMTP when `FIDELIS_SMTP_URL` is set, otherwise `.eml` files in the
//! outbox folder, so that a default run needs no mail server.

pub mod templates;

use anyhow::Context as _;
use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart, SinglePart},
};
use secrecy::ExposeSecret;

use crate::config::Config;

/// A mail ready to send: text and HTML bodies of the same content.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(AsyncFileTransport<Tokio1Executor>),
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

    pub async fn send(&self, mail: OutgoingMail) -> anyhow::Result<()> {
        let to: Mailbox = mail.to.parse().context("recipient is not a mailbox")?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .multipart(
                MultiPart::alternative()
                    // lettre picks the transfer encoding (7bit, quoted-printable or base64)
                    // that keeps every line within the RFC 5322 limit.
                    .singlepart(SinglePart::plain(mail.text))
                    .singlepart(SinglePart::html(mail.html)),
            )
            .context("building the message")?;
        match &self.transport {
            Transport::Smtp(smtp) => {
                smtp.send(message).await.context("sending over SMTP")?;
            }
            Transport::Outbox(outbox) => {
                outbox
                    .send(message)
                    .await
                    .context("writing to the outbox")?;
            }
        }
        Ok(())
    }
}
