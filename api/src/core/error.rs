//! The one error type of the server and its stable codes.
//!
//! Every error a client can see carries one of the [`ErrorCode`]s in `extensions.code`; the text of
//! internal causes (SQL, I/O) is logged once by `graphql::errors` and never sent.

use std::fmt;

/// Stable, documented error codes (`extensions.code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    Unauthenticated,
    Forbidden,
    NotFound,
    Validation,
    Conflict,
    RateLimited,
    IdempotencyKeyReused,
    InsufficientBalance,
    LimitExceeded,
    BadRequest,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::Validation => "VALIDATION",
            Self::Conflict => "CONFLICT",
            Self::RateLimited => "RATE_LIMITED",
            Self::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            Self::InsufficientBalance => "INSUFFICIENT_BALANCE",
            Self::LimitExceeded => "LIMIT_EXCEEDED",
            Self::BadRequest => "BAD_REQUEST",
            Self::Internal => "INTERNAL",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No valid credentials: missing, malformed, expired or revoked.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// Authenticated, but the role, scope or brand state does not allow it.
    #[error("{0}")]
    Forbidden(&'static str),
    /// Missing, or belonging to another brand: both read the same.
    #[error("not found")]
    NotFound,
    /// Bad input on one field; nothing was written.
    #[error("{field} {message}")]
    Validation {
        field: &'static str,
        message: String,
    },
    /// The request clashes with the current state (taken slug, used token, last owner...).
    #[error("{0}")]
    Conflict(String),
    /// The balance does not cover the request; nothing was written.
    #[error("{0}")]
    InsufficientBalance(&'static str),
    /// A limit the brand set (gestures per day, per member...) would be exceeded.
    #[error("{0}")]
    LimitExceeded(String),
    /// The idempotency key was used before with different input.
    #[error("this idempotency key was used for a different request")]
    IdempotencyKeyReused,
    #[error("too many attempts; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unauthenticated(_) => ErrorCode::Unauthenticated,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::NotFound => ErrorCode::NotFound,
            Self::Validation { .. } => ErrorCode::Validation,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::IdempotencyKeyReused => ErrorCode::IdempotencyKeyReused,
            Self::InsufficientBalance(_) => ErrorCode::InsufficientBalance,
            Self::LimitExceeded(_) => ErrorCode::LimitExceeded,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }

    pub fn validation(field: &'static str, message: impl Into<String>) -> Self {
        Self::Validation {
            field,
            message: message.into(),
        }
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict(message.into())
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Internal(anyhow::Error::new(e).context("database"))
    }
}

impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(e: sea_orm::TransactionError<AppError>) -> Self {
        match e {
            sea_orm::TransactionError::Connection(e) => e.into(),
            sea_orm::TransactionError::Transaction(e) => e,
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        Self::Internal(e)
    }
}
