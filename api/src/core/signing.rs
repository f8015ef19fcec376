//! Signed tokens for links (unsubscribe, open and click tracking; webhooks later): one key per
//! purpose, derived with HKDF-SHA256 from a root secret, so a tracking tag can never pass as an
//! unsubscribe tag; every token names the key that signed it, so keys rotate — the first key of
//! `FIDELIS_SIGNING_KEYS` signs, the others still verify until they are removed — and tokens
//! mailed before this scheme existed (HMAC keyed by the JWT key and the purpose) still verify.
//!
//! Token: base64url of `2 | kid length | kid | payload | 16-byte tag`; the tag is HMAC-SHA256
//! over the kid, the payload and a context the verifier supplies (e.g. the URL a click goes
//! to), truncated, compared in constant time.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// What a token is for: each purpose has its own key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Unsubscribe,
    Tracking,
    /// The portal's form tokens, bound to the visitor's session.
    Csrf,
}

impl Purpose {
    fn label(self) -> &'static str {
        match self {
            Self::Unsubscribe => "unsubscribe",
            Self::Tracking => "track",
            Self::Csrf => "csrf",
        }
    }
}

const VERSION: u8 = 2;
const TAG: usize = 16;

struct Key {
    id: String,
    root: Vec<u8>,
}

/// The server's link signer.
pub struct Signer {
    /// The first signs; all verify.
    keys: Vec<Key>,
    /// The secret of the scheme before key ids (the JWT signing key), to verify old links.
    legacy: Vec<u8>,
}

impl Signer {
    /// From `FIDELIS_SIGNING_KEYS` (`kid:secret,kid:secret`, the first signing) or, when unset,
    /// one key `k0` derived from the JWT signing key.
    pub fn new(keys: Option<&SecretString>, jwt_key: &SecretString) -> anyhow::Result<Self> {
        let legacy = jwt_key.expose_secret().as_bytes().to_vec();
        let keys = match keys {
            Some(list) => list
                .expose_secret()
                .split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(|entry| {
                    let (id, secret) = entry.split_once(':').ok_or_else(|| {
                        anyhow::anyhow!("FIDELIS_SIGNING_KEYS entries are kid:secret")
                    })?;
                    anyhow::ensure!(
                        (1..=32).contains(&id.len())
                            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'),
                        "FIDELIS_SIGNING_KEYS: a key id is 1 to 32 letters, digits or dashes"
                    );
                    anyhow::ensure!(
                        secret.len() >= 32,
                        "FIDELIS_SIGNING_KEYS: each secret needs at least 32 bytes"
                    );
                    Ok(Key {
                        id: id.to_owned(),
                        root: secret.as_bytes().to_vec(),
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?,
            None => vec![Key {
                id: "k0".to_owned(),
                root: legacy.clone(),
            }],
        };
        anyhow::ensure!(!keys.is_empty(), "FIDELIS_SIGNING_KEYS names no key");
        Ok(Self { keys, legacy })
    }

    /// The key id that signs new tokens.
    pub fn current_key_id(&self) -> &str {
        &self.keys[0].id
    }

    fn mac(root: &[u8], purpose: Purpose) -> Hmac<Sha256> {
        let mut okm = [0_u8; 32];
        // HKDF never fails for a 32-byte output.
        let _ = hkdf::Hkdf::<Sha256>::new(Some(b"fidelis-signing-v2"), root)
            .expand(purpose.label().as_bytes(), &mut okm);
        <Hmac<Sha256> as KeyInit>::new_from_slice(&okm)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"))
    }

    /// Signs `payload` (carried in the token) with `context` (not carried: the verifier must
    /// supply the same).
    pub fn sign(&self, purpose: Purpose, payload: &[u8], context: &[u8]) -> String {
        let key = &self.keys[0];
        let mut m = Self::mac(&key.root, purpose);
        m.update(key.id.as_bytes());
        m.update(payload);
        m.update(context);
        let mut token = vec![VERSION, u8::try_from(key.id.len()).unwrap_or(0)];
        token.extend_from_slice(key.id.as_bytes());
        token.extend_from_slice(payload);
        token.extend_from_slice(&m.finalize().into_bytes()[..TAG]);
        URL_SAFE_NO_PAD.encode(token)
    }

    /// The payload of a token of `len` payload bytes signed for `purpose` and `context` by any
    /// key of this signer (or by the scheme before key ids), if its tag verifies.
    pub fn verify(
        &self,
        purpose: Purpose,
        token: &str,
        len: usize,
        context: &[u8],
    ) -> Option<Vec<u8>> {
        let raw = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
        if raw.len() == len + TAG {
            return self.verify_legacy(purpose, &raw, len, context);
        }
        let (&version, rest) = raw.split_first()?;
        let (&kid_len, rest) = rest.split_first()?;
        let kid_len = usize::from(kid_len);
        if version != VERSION || rest.len() != kid_len + len + TAG {
            return None;
        }
        let (kid, rest) = rest.split_at(kid_len);
        let (payload, tag) = rest.split_at(len);
        let key = self.keys.iter().find(|k| k.id.as_bytes() == kid)?;
        let mut m = Self::mac(&key.root, purpose);
        m.update(kid);
        m.update(payload);
        m.update(context);
        m.verify_truncated_left(tag).ok()?;
        Some(payload.to_vec())
    }

    /// Tokens mailed before key ids: HMAC keyed by `purpose:v1:<JWT key>`, payload then tag.
    fn verify_legacy(
        &self,
        purpose: Purpose,
        raw: &[u8],
        len: usize,
        context: &[u8],
    ) -> Option<Vec<u8>> {
        // Only link tokens existed before key ids.
        if purpose == Purpose::Csrf {
            return None;
        }
        let (payload, tag) = raw.split_at(len);
        let mut key = format!("{}:v1:", purpose.label()).into_bytes();
        key.extend_from_slice(&self.legacy);
        let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).ok()?;
        m.update(payload);
        m.update(context);
        m.verify_truncated_left(tag).ok()?;
        Some(payload.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[test]
    fn tokens_verify_for_their_purpose_and_context_only() {
        let s = Signer::new(None, &secret("jwt-key-0123456789abcdef0123456789"))
            .unwrap_or_else(|e| panic!("{e}"));
        let t = s.sign(Purpose::Tracking, b"0123456789abcdef", b"https://a.example");
        assert_eq!(
            s.verify(Purpose::Tracking, &t, 16, b"https://a.example")
                .as_deref(),
            Some(&b"0123456789abcdef"[..])
        );
        assert!(
            s.verify(Purpose::Tracking, &t, 16, b"https://b.example")
                .is_none()
        );
        assert!(
            s.verify(Purpose::Unsubscribe, &t, 16, b"https://a.example")
                .is_none()
        );
        let mut forged = t.clone();
        forged.replace_range(5..6, if &t[5..6] == "A" { "B" } else { "A" });
        assert!(
            s.verify(Purpose::Tracking, &forged, 16, b"https://a.example")
                .is_none()
        );
    }

    #[test]
    fn keys_rotate_and_old_tokens_still_verify_until_their_key_goes() {
        let jwt = secret("jwt-key-0123456789abcdef0123456789");
        let old = Signer::new(
            Some(&secret("a:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")),
            &jwt,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let token = old.sign(Purpose::Unsubscribe, b"payload!", b"");
        let rotated = Signer::new(
            Some(&secret("b:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb,a:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")),
            &jwt,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rotated.current_key_id(), "b");
        assert!(
            rotated
                .verify(Purpose::Unsubscribe, &token, 8, b"")
                .is_some()
        );
        let retired = Signer::new(
            Some(&secret("b:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")),
            &jwt,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            retired
                .verify(Purpose::Unsubscribe, &token, 8, b"")
                .is_none()
        );
        assert!(Signer::new(Some(&secret("c:short")), &jwt).is_err());
    }

    #[test]
    fn links_mailed_before_key_ids_still_verify() {
        let jwt = secret("jwt-key-0123456789abcdef0123456789");
        // The former scheme, as campaigns signed it.
        let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(
            format!("unsubscribe:v1:{}", jwt.expose_secret()).as_bytes(),
        )
        .unwrap_or_else(|_| unreachable!());
        m.update(b"legacy12");
        let mut raw = b"legacy12".to_vec();
        raw.extend_from_slice(&m.finalize().into_bytes()[..16]);
        let token = URL_SAFE_NO_PAD.encode(raw);
        let s = Signer::new(None, &jwt).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            s.verify(Purpose::Unsubscribe, &token, 8, b"").as_deref(),
            Some(&b"legacy12"[..])
        );
        assert!(s.verify(Purpose::Tracking, &token, 8, b"").is_none());
    }
}
