//! The languages people read Fidelis in: French and English. A brand's locale (`fr-FR`,
//! `en-GB`...) picks the language of what its members and staff receive — mails, pages —
//! French for any `fr*` locale, English otherwise.

/// A language of the product's texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Fr,
    En,
}

impl Lang {
    /// The language of a BCP 47 locale (`fr-FR` -> French; anything else -> English).
    pub fn of_locale(locale: &str) -> Self {
        if locale.trim().to_ascii_lowercase().starts_with("fr") {
            Self::Fr
        } else {
            Self::En
        }
    }

    /// The `lang` attribute of a page.
    pub fn code(self) -> &'static str {
        match self {
            Self::Fr => "fr",
            Self::En => "en",
        }
    }

    /// `fr` or `en` text, by language.
    pub fn pick<'a>(self, fr: &'a str, en: &'a str) -> &'a str {
        match self {
            Self::Fr => fr,
            Self::En => en,
        }
    }

    /// A language asked for by `?lang=` or `Accept-Language`, if it is one of ours.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim().to_ascii_lowercase();
        if raw.starts_with("fr") {
            Some(Self::Fr)
        } else if raw.starts_with("en") {
            Some(Self::En)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_pick_french_or_english() {
        assert_eq!(Lang::of_locale("fr-FR"), Lang::Fr);
        assert_eq!(Lang::of_locale("fr"), Lang::Fr);
        assert_eq!(Lang::of_locale("fr-CA"), Lang::Fr);
        assert_eq!(Lang::of_locale("en-GB"), Lang::En);
        assert_eq!(Lang::of_locale("de-DE"), Lang::En);
        assert_eq!(Lang::parse("en-US,en;q=0.9"), Some(Lang::En));
        assert_eq!(Lang::parse("de"), None);
    }
}
