//! Values parsed once at the edge and trusted afterwards.

use std::str::FromStr;

use crate::core::error::AppError;

/// A lower-cased e-mail address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, AppError> {
        let s = raw.trim().to_lowercase();
        if s.len() > 254 || email_address::EmailAddress::from_str(&s).is_err() || !s.contains('@') {
            return Err(AppError::validation(field, "is not a valid e-mail address"));
        }
        // Display-name forms such as "Bob <bob@x.fr>" parse as e-mail addresses too; refuse them.
        if s.contains(['<', '>', ' ', '"']) {
            return Err(AppError::validation(field, "is not a valid e-mail address"));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A brand's URL name: 3 to 63 of `a-z`, `0-9` and inner dashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

const RESERVED_SLUGS: &[&str] = &[
    "admin", "api", "app", "graphql", "oauth", "platform", "www", "fidelis",
];

impl Slug {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, AppError> {
        let s = raw.trim();
        let ok_chars = s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !(3..=63).contains(&s.len())
            || !ok_chars
            || s.starts_with('-')
            || s.ends_with('-')
            || s.contains("--")
        {
            return Err(AppError::validation(
                field,
                "must be 3 to 63 lower-case letters, digits or single inner dashes",
            ));
        }
        if RESERVED_SLUGS.contains(&s) {
            return Err(AppError::validation(field, "is reserved"));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An ISO 4217 currency code, with the number of minor units of the currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Currency(iso_currency::Currency);

impl Currency {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, AppError> {
        let code = raw.trim();
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(AppError::validation(
                field,
                "must be an ISO 4217 code such as EUR",
            ));
        }
        iso_currency::Currency::from_code(code)
            // Funds and metals (XAU, XDR...) have no minor unit: they are not retail currencies.
            .filter(|c| c.exponent().is_some())
            .map(Self)
            .ok_or_else(|| AppError::validation(field, "is not an ISO 4217 currency"))
    }

    pub fn code(&self) -> &'static str {
        self.0.code()
    }

    /// Digits after the decimal point (2 for EUR, 0 for JPY, 3 for KWD).
    pub fn minor_units(&self) -> u16 {
        self.0.exponent().unwrap_or(0)
    }
}

/// An IANA time zone such as `Europe/Paris`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, AppError> {
        chrono_tz::Tz::from_str(raw.trim()).map(Self).map_err(|_| {
            AppError::validation(field, "is not an IANA time zone such as Europe/Paris")
        })
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }
}

/// A BCP 47 language tag, kept to the common `ll` or `ll-RR` forms (`fr`, `fr-FR`, `pt-BR`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locale(String);

impl Locale {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, AppError> {
        let s = raw.trim();
        let mut parts = s.split('-');
        let lang_ok = parts.next().is_some_and(|l| {
            (2..=3).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_lowercase())
        });
        let region_ok = match parts.next() {
            None => true,
            Some(r) => r.len() == 2 && r.bytes().all(|b| b.is_ascii_uppercase()),
        };
        if !lang_ok || !region_ok || parts.next().is_some() {
            return Err(AppError::validation(
                field,
                "must be a language tag such as fr-FR",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Free text with a length limit, trimmed, never empty.
pub fn text(field: &'static str, raw: &str, max_chars: usize) -> Result<String, AppError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(AppError::validation(field, "must not be empty"));
    }
    if s.chars().count() > max_chars {
        return Err(AppError::validation(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(AppError::validation(
            field,
            "must not contain control characters",
        ));
    }
    Ok(s.to_owned())
}

/// A new password: 10 to 128 characters, not a single repeated character (OWASP ASVS 2.1).
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, AppError> {
        let n = raw.chars().count();
        if !(10..=128).contains(&n) {
            return Err(AppError::validation(field, "must be 10 to 128 characters"));
        }
        let mut chars = raw.chars();
        let first = chars.next();
        if chars.all(|c| Some(c) == first) {
            return Err(AppError::validation(field, "is too weak"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

/// A UUID given as a GraphQL `ID`.
pub fn id(field: &'static str, raw: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw.trim()).map_err(|_| AppError::validation(field, "is not a valid id"))
}

/// A CSV field: RFC 4180 quoting, and a leading formula character (`=`, `+`, `-`, `@`, tab,
/// carriage return) neutralised with a quote (spreadsheet injection).
pub fn csv_field(raw: &str) -> String {
    let safe = if raw.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{raw}")
    } else {
        raw.to_owned()
    };
    if safe.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", safe.replace('"', "\"\""))
    } else {
        safe
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(
            Email::parse("e", " Alice@Example.FR ").map(|e| e.0).ok(),
            Some("alice@example.fr".into())
        );
        for bad in [
            "",
            "alice",
            "alice@",
            "@x.fr",
            "Bob <bob@x.fr>",
            &format!("{}@x.fr", "a".repeat(260)),
        ] {
            assert!(Email::parse("e", bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn slugs_are_lowercase_words_with_inner_dashes() {
        assert!(Slug::parse("s", "cafe-du-coin").is_ok());
        assert!(Slug::parse("s", "abc").is_ok());
        for bad in [
            "ab",
            "Cafe",
            "-cafe",
            "cafe-",
            "ca--fe",
            "café",
            "admin",
            &"a".repeat(64),
            "a b",
        ] {
            assert!(Slug::parse("s", bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn currencies_are_iso_4217_with_their_minor_units() {
        assert_eq!(
            Currency::parse("c", "EUR").map(|c| c.minor_units()).ok(),
            Some(2)
        );
        assert_eq!(
            Currency::parse("c", "JPY").map(|c| c.minor_units()).ok(),
            Some(0)
        );
        assert_eq!(
            Currency::parse("c", "KWD").map(|c| c.minor_units()).ok(),
            Some(3)
        );
        for bad in ["eur", "EU", "EURO", "ZZZ", "XAU", ""] {
            assert!(Currency::parse("c", bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn time_zones_and_locales_are_checked() {
        assert!(TimeZone::parse("t", "Europe/Paris").is_ok());
        assert!(TimeZone::parse("t", "Mars/Olympus").is_err());
        assert!(Locale::parse("l", "fr-FR").is_ok());
        assert!(Locale::parse("l", "fr").is_ok());
        for bad in ["FR", "fr_FR", "fr-fr", "french", "fr-FR-x"] {
            assert!(Locale::parse("l", bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn text_is_trimmed_bounded_and_printable() {
        assert_eq!(text("n", "  Café  ", 10).ok(), Some("Café".into()));
        assert!(text("n", "   ", 10).is_err());
        assert!(text("n", &"é".repeat(11), 10).is_err());
        assert!(text("n", "a\u{0}b", 10).is_err());
    }

    #[test]
    fn passwords_need_length_and_variety() {
        assert!(NewPassword::parse("p", "correct horse battery").is_ok());
        assert!(NewPassword::parse("p", "short").is_err());
        assert!(NewPassword::parse("p", "aaaaaaaaaaaa").is_err());
        assert!(NewPassword::parse("p", &"ab".repeat(65)).is_err());
    }
}
