//! DKIM verification by an independent verifier (cfdkim), with the public key served as the
//! `<selector>._domainkey.<domain>` TXT record a receiver would look up: what a mailbox
//! provider checks, not our signer's own idea of it.

use std::{future::Future, pin::Pin, sync::Arc};

use base64::{Engine as _, engine::general_purpose::STANDARD as B64};

/// Answers the TXT query for one selector; any other name has no key.
struct StaticTxt {
    name: String,
    record: String,
}

impl cfdkim::dns::Lookup for StaticTxt {
    fn lookup_txt<'a>(
        &'a self,
        name: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<String>, cfdkim::DKIMError>> + Send + 'a>> {
        let answer = if name.trim_end_matches('.').eq_ignore_ascii_case(&self.name) {
            Ok(vec![self.record.clone()])
        } else {
            Err(cfdkim::DKIMError::NoKeyForSignature)
        };
        Box::pin(std::future::ready(answer))
    }
}

/// `Ok` when a signature of `domain` verifies; the verifier's verdict otherwise.
pub async fn verify(raw: &[u8], domain: &str, selector: &str, txt: &str) -> Result<(), String> {
    let mail = mailparse::parse_mail(raw).map_err(|e| format!("unparsable mail: {e}"))?;
    let resolver: Arc<dyn cfdkim::dns::Lookup> = Arc::new(StaticTxt {
        name: format!("{selector}._domainkey.{domain}"),
        record: txt.to_owned(),
    });
    let logger = slog::Logger::root(slog::Discard, slog::o!());
    let result = cfdkim::verify_email_with_resolver(&logger, domain, &mail, resolver)
        .await
        .map_err(|e| e.to_string())?;
    if result.summary() == "pass" {
        Ok(())
    } else {
        Err(result.with_detail())
    }
}

/// The TXT record of an Ed25519 key given as base64 of its 32-byte seed.
pub fn ed25519_txt(seed_b64: &str) -> String {
    let seed: [u8; 32] = B64
        .decode(seed_b64.trim())
        .ok()
        .and_then(|s| s.try_into().ok())
        .unwrap_or_else(|| panic!("an Ed25519 seed is 32 bytes of base64"));
    let public = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
    format!("v=DKIM1; k=ed25519; p={}", B64.encode(public.as_bytes()))
}

/// The TXT record of an Ed25519 PKCS#8 PEM key.
pub fn ed25519_pkcs8_txt(pem: &str) -> String {
    use ed25519_dalek::pkcs8::DecodePrivateKey;
    let key =
        ed25519_dalek::SigningKey::from_pkcs8_pem(pem.trim()).unwrap_or_else(|e| panic!("{e}"));
    format!(
        "v=DKIM1; k=ed25519; p={}",
        B64.encode(key.verifying_key().as_bytes())
    )
}

/// The TXT record of an RSA PKCS#8 PEM key (`p=` is the SubjectPublicKeyInfo DER).
pub fn rsa_pkcs8_txt(pem: &str) -> String {
    use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
    let private = rsa::RsaPrivateKey::from_pkcs8_pem(pem.trim()).unwrap_or_else(|e| panic!("{e}"));
    let spki = rsa::RsaPublicKey::from(&private)
        .to_public_key_der()
        .unwrap_or_else(|e| panic!("{e}"));
    format!("v=DKIM1; k=rsa; p={}", B64.encode(spki.as_bytes()))
}

/// What a relay does: a header prepended to the message.
pub fn prepend(header: &str, raw: &[u8]) -> Vec<u8> {
    [header.as_bytes(), raw].concat()
}
