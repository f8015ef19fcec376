//! Password hashing with argon2id at OWASP's recommended parameters (19 MiB, 2 passes, 1 lane).
//! Hashing is CPU-bound (~50 ms), so it runs on the blocking pool, never on a request thread.

use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};

use crate::core::error::AppError;

/// Hashes a password to a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
pub async fn hash(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("argon2 hashing failed: {e}"))
    })
    .await
    .map_err(|e| anyhow::anyhow!("hashing task failed: {e}"))?
    .map_err(AppError::Internal)
}

/// Whether `password` matches the stored PHC string. A malformed hash never matches.
pub async fn verify(password: String, phc: String) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&phc)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("verification task failed: {e}")))
}

/// A hash of a random password, verified against when the account does not exist, so that a
/// failed login takes the same time whether or not the e-mail is known.
pub async fn dummy_hash() -> Result<String, AppError> {
    hash(crate::core::auth::secrets::new_token()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() -> Result<(), AppError> {
        let phc = hash("correct horse battery".into()).await?;
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse battery".into(), phc.clone()).await?);
        assert!(!verify("correct horse batterz".into(), phc).await?);
        assert!(!verify("x".into(), "not a phc string".into()).await?);
        Ok(())
    }
}
