//! Access tokens: HS256 JWTs with issuer, audience, expiry and key id, the algorithm pinned on
//! decode so that `alg: none` or an RSA/HMAC confusion is refused.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::core::{auth::Role, error::AppError};

pub const ISSUER: &str = "fidelis";
pub const AUDIENCE: &str = "fidelis-api";

/// The claims of a Fidelis access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// User id, API key id or member id, depending on `role`.
    pub sub: Uuid,
    pub iat: u64,
    pub exp: u64,
    pub jti: Uuid,
    pub role: Role,
    /// The brand, for brand roles, partner apps and members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tid: Option<Uuid>,
    /// Space-separated scopes, for partner apps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The session (refresh-token family) of a portal user's token: when the session ends
    /// (logout, password reset, a stolen refresh token replayed) its access tokens are refused
    /// at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<Uuid>,
}

pub struct JwtKeys {
    clock: crate::core::clock::Clock,
    encoding: EncodingKey,
    decoding: DecodingKey,
    kid: String,
    validation: Validation,
    ttl_secs: u64,
}

impl JwtKeys {
    pub fn new(secret: &SecretString, ttl_secs: u64, clock: crate::core::clock::Clock) -> Self {
        let key = secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Expiry is checked against the server's clock below, not the library's.
        validation.validate_exp = false;
        Self {
            clock,
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
            // Names the key without revealing it, so that keys can be rotated later.
            kid: crate::core::auth::secrets::hash_token(&format!("kid:{}", secret.expose_secret()))
                [..16]
                .to_owned(),
            validation,
            ttl_secs,
        }
    }

    pub fn ttl_secs(&self) -> u64 {
        self.ttl_secs
    }

    /// Signs an access token for `sub` with the configured lifetime.
    pub fn issue(
        &self,
        sub: Uuid,
        role: Role,
        tid: Option<Uuid>,
        scope: Option<String>,
    ) -> Result<String, AppError> {
        self.issue_in_session(sub, role, tid, scope, None)
    }

    /// [`issue`](Self::issue) for a portal user's session (refresh-token family `sid`).
    pub fn issue_in_session(
        &self,
        sub: Uuid,
        role: Role,
        tid: Option<Uuid>,
        scope: Option<String>,
        sid: Option<Uuid>,
    ) -> Result<String, AppError> {
        let now = self.clock.timestamp();
        let claims = Claims {
            sid,
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            sub,
            iat: now,
            exp: now + self.ttl_secs,
            jti: Uuid::new_v4(),
            role,
            tid,
            scope,
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.kid.clone());
        encode(&header, &claims, &self.encoding)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("signing a token failed: {e}")))
    }

    /// Checks signature, algorithm, issuer, audience and expiry (5 s of leeway).
    pub fn verify(&self, token: &str) -> Result<Claims, AppError> {
        let claims = decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|_| AppError::Unauthenticated("invalid access token"))?;
        if claims.exp.saturating_add(5) < self.clock.timestamp() {
            return Err(AppError::Unauthenticated("access token expired"));
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &str) -> JwtKeys {
        JwtKeys::new(
            &SecretString::from(secret.to_owned()),
            60,
            crate::core::clock::Clock::system(),
        )
    }

    #[test]
    fn a_token_round_trips_with_its_claims() -> Result<(), AppError> {
        let k = keys("k1-0123456789abcdef0123456789abcdef");
        let (sub, tid) = (Uuid::new_v4(), Uuid::new_v4());
        let claims = k.verify(&k.issue(sub, Role::BrandStaff, Some(tid), None)?)?;
        assert_eq!(
            (claims.sub, claims.role, claims.tid),
            (sub, Role::BrandStaff, Some(tid))
        );
        Ok(())
    }

    #[test]
    fn tokens_signed_with_another_key_or_tampered_are_refused() -> Result<(), AppError> {
        let (a, b) = (
            keys("key-a-0123456789abcdef0123456789ab"),
            keys("key-b-0123456789abcdef0123456789ab"),
        );
        let token = a.issue(Uuid::new_v4(), Role::BrandOwner, None, None)?;
        assert!(b.verify(&token).is_err());
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        parts[1] = parts[1].chars().rev().collect();
        assert!(a.verify(&parts.join(".")).is_err());
        assert!(a.verify("garbage").is_err());
        Ok(())
    }

    #[test]
    fn unsigned_tokens_are_refused() {
        use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
        let k = keys("k1-0123456789abcdef0123456789abcdef");
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(
            format!(r#"{{"iss":"fidelis","aud":"fidelis-api","sub":"{}","iat":0,"exp":99999999999,"jti":"{}","role":"PLATFORM_ADMIN"}}"#, Uuid::nil(), Uuid::nil()),
        );
        assert!(k.verify(&format!("{header}.{body}.")).is_err());
    }
}
