//! Brands' e-mail templates: subject, HTML body and text body in MiniJinja — a sandboxed template
//! language (no code execution, no file or network access; a fuel limit stops runaway loops), with
//! HTML autoescaped in the HTML body. Only the variables listed in [`VARIABLES`] exist: a template
//! naming anything else is refused with VALIDATION (and the unknown names) when it is saved or
//! previewed, before anything can be sent.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};
use serde::Serialize;

use crate::core::error::AppError;

/// Every variable a template may use, as dotted paths (lists: the fields of their items).
pub const VARIABLES: &[&str] = &[
    "member.first_name",
    "member.last_name",
    "member.email",
    "member.card_number",
    "member.member_since",
    "brand.name",
    "brand.slug",
    "points.balance",
    "points.expiring",
    "points.expiring_at",
    "tier.name",
    "tier.qualified_until",
    "vouchers",
    "links.unsubscribe",
    "links.app",
    "campaign.name",
    "voucher.code",
    "voucher.label",
    "voucher.amount_minor",
    "voucher.percent",
    "voucher.valid_until",
    "membership.period_end",
    "contest.name",
    "contest.prize",
    "contest.claim_until",
    "club.name",
    "event.name",
    "event.place",
    "event.date",
    "event.time",
];

/// Fields of each item of `vouchers`.
pub const VOUCHER_FIELDS: &[&str] = &["code", "label", "amount_minor", "percent", "valid_until"];

const MAX_SUBJECT: usize = 300;
const MAX_HTML: usize = 200_000;
const MAX_TEXT: usize = 50_000;
/// Instructions one render may execute (a few thousand per typical mail).
const FUEL: u64 = 200_000;

/// What a template renders.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Data {
    pub member: MemberData,
    pub brand: BrandData,
    pub points: PointsData,
    pub tier: Option<TierData>,
    pub vouchers: Vec<VoucherData>,
    pub links: LinksData,
    pub campaign: Option<CampaignData>,
    /// The voucher a VOUCHER_ISSUED or REWARD_READY mail is about.
    pub voucher: Option<VoucherData>,
    /// The membership a MEMBERSHIP_RENEWAL mail is about.
    pub membership: Option<MembershipData>,
    /// The prize a CONTEST_WON mail is about.
    pub contest: Option<ContestData>,
    /// The club a CLUB_INVITATION mail is about.
    pub club: Option<ClubData>,
    /// The event an EVENT_* mail is about.
    pub event: Option<EventData>,
    /// For the `money` filter.
    #[serde(skip)]
    pub currency_exponent: u16,
    #[serde(skip)]
    pub currency: String,
    /// For the `money` and `date` filters (`7,50 EUR` and `31/12/2026` in French).
    #[serde(skip)]
    pub lang: crate::core::i18n::Lang,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct MemberData {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub card_number: Option<String>,
    pub member_since: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct BrandData {
    pub name: String,
    pub slug: String,
    /// The language of the brand's locale (not a template variable).
    #[serde(skip)]
    pub lang: crate::core::i18n::Lang,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PointsData {
    pub balance: i64,
    /// Points whose lots expire within 30 days, and the soonest date.
    pub expiring: i64,
    pub expiring_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TierData {
    pub name: String,
    pub qualified_until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct VoucherData {
    pub code: String,
    pub label: Option<String>,
    pub amount_minor: i64,
    pub percent: i32,
    pub valid_until: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ContestData {
    pub name: String,
    pub prize: String,
    pub claim_until: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ClubData {
    pub name: String,
}

/// An event, its date and time written in the brand's time zone and language.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EventData {
    pub name: String,
    pub place: String,
    /// `24/12/2026` in French, `2026-12-24` in English.
    pub date: String,
    /// `19:30`.
    pub time: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct MembershipData {
    pub period_end: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct LinksData {
    pub unsubscribe: String,
    pub app: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CampaignData {
    pub name: String,
}

impl Data {
    /// Sample data, for previews without a member.
    pub fn sample(brand: BrandData, currency: &str, exponent: u16, base_url: &str) -> Self {
        let now = Utc::now();
        let brand_lang = brand.lang;
        Self {
            member: MemberData {
                first_name: Some("Camille".to_owned()),
                last_name: Some("Martin".to_owned()),
                email: Some("camille.martin@example.com".to_owned()),
                card_number: Some("9000000000000000".to_owned()),
                member_since: Some(now),
            },
            links: LinksData {
                unsubscribe: format!("{base_url}/unsubscribe?token=sample"),
                app: format!("{}/m/{}", base_url.trim_end_matches('/'), brand.slug),
            },
            brand,
            points: PointsData {
                balance: 1_250,
                expiring: 200,
                expiring_at: Some(now + chrono::Duration::days(21)),
            },
            tier: Some(TierData {
                name: "Gold".to_owned(),
                qualified_until: Some(now + chrono::Duration::days(180)),
            }),
            vouchers: vec![VoucherData {
                code: "SAMPLE-10".to_owned(),
                label: Some("10 off your next visit".to_owned()),
                amount_minor: 1_000,
                percent: 0,
                valid_until: now + chrono::Duration::days(30),
            }],
            campaign: Some(CampaignData {
                name: "Sample campaign".to_owned(),
            }),
            voucher: Some(VoucherData {
                code: "SAMPLE-10".to_owned(),
                label: Some("10 off your next visit".to_owned()),
                amount_minor: 1_000,
                percent: 0,
                valid_until: now + chrono::Duration::days(30),
            }),
            membership: Some(MembershipData {
                period_end: now + chrono::Duration::days(10),
            }),
            contest: Some(ContestData {
                name: "Summer draw".to_owned(),
                prize: "A weekend for two".to_owned(),
                claim_until: now + chrono::Duration::days(30),
            }),
            club: Some(ClubData {
                name: "Wine club".to_owned(),
            }),
            event: Some(EventData {
                name: "Tasting evening".to_owned(),
                place: "12 rue du Port, Nantes".to_owned(),
                date: "24/12/2026".to_owned(),
                time: "19:30".to_owned(),
            }),
            currency_exponent: exponent,
            currency: currency.to_owned(),
            lang: brand_lang,
        }
    }
}

/// A template's three parts.
#[derive(Debug, Clone, Serialize)]
pub struct Parts {
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// A rendered mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// Formats minor units with the currency's exponent, without floats: 1250 EUR -> "12.50 EUR"
/// (English) or "12,50 EUR" (French).
pub fn money_in(
    lang: crate::core::i18n::Lang,
    minor: i64,
    exponent: u16,
    currency: &str,
) -> String {
    let s = money(minor, exponent, currency);
    match lang {
        crate::core::i18n::Lang::Fr => s.replacen('.', ",", 1),
        crate::core::i18n::Lang::En => s,
    }
}

/// Formats minor units with the currency's exponent, without floats: 1250 EUR -> "12.50 EUR".
pub fn money(minor: i64, exponent: u16, currency: &str) -> String {
    if exponent == 0 {
        return format!("{minor} {currency}");
    }
    let scale = 10i64.pow(u32::from(exponent));
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let scale = scale.unsigned_abs();
    format!(
        "{sign}{}.{:0width$} {currency}",
        abs / scale,
        abs % scale,
        width = usize::from(exponent)
    )
}

/// Escapes text for HTML element content and attribute values: `& < > " '` only, so that URLs
/// stay readable (`/` is not escaped, unlike MiniJinja's default).
fn escape_html(s: &str) -> String {
    crate::core::mail::templates::escape_html(s)
}

fn environment(
    exponent: u16,
    currency: String,
    lang: crate::core::i18n::Lang,
) -> Environment<'static> {
    let mut env = Environment::new();
    // Names are checked before saving (unknown variables are refused); at render time an
    // absent optional value (no tier, no voucher) renders as nothing.
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env.set_fuel(Some(FUEL));
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    // Absent values (a member without a first name) render as nothing, not "none".
    env.set_formatter(|out, state, value| {
        if value.is_none() {
            Ok(())
        } else if matches!(state.auto_escape(), AutoEscape::Html) && !value.is_safe() {
            out.write_str(&escape_html(&value.to_string()))
                .map_err(minijinja::Error::from)
        } else {
            minijinja::escape_formatter(out, state, value)
        }
    });
    env.add_filter("money", move |minor: i64| {
        money_in(lang, minor, exponent, &currency)
    });
    env.add_filter("date", move |value: String| {
        let day = value.get(..10).map_or_else(|| value.clone(), str::to_owned);
        match (lang, day.split('-').collect::<Vec<_>>().as_slice()) {
            (crate::core::i18n::Lang::Fr, [y, m, d]) => format!("{d}/{m}/{y}"),
            _ => day,
        }
    });
    env
}

fn check_part(
    env: &Environment<'_>,
    field: &'static str,
    name: &str,
    source: &str,
    max: usize,
) -> Result<(), AppError> {
    if source.chars().count() > max {
        return Err(AppError::validation(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    let template = env.template_from_named_str(name, source).map_err(|e| {
        AppError::validation(
            field,
            format!("does not parse: {}", e.detail().unwrap_or("syntax error")),
        )
    })?;
    let used = template.undeclared_variables(true);
    let unknown: BTreeSet<String> = used.into_iter().filter(|v| !known(v)).collect();
    if !unknown.is_empty() {
        return Err(AppError::validation(
            field,
            format!(
                "uses unknown variables: {}",
                unknown.into_iter().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    Ok(())
}

fn known(path: &str) -> bool {
    let top = path.split('.').next().unwrap_or(path);
    VARIABLES.contains(&path)
        || VARIABLES
            .iter()
            .any(|v| v.split('.').next() == Some(top) && !path.contains('.'))
}

/// Checks a template: sizes, syntax, and that it names only known variables.
pub fn check(parts: &Parts) -> Result<(), AppError> {
    let env = environment(2, String::new(), crate::core::i18n::Lang::En);
    if parts.subject.trim().is_empty() {
        return Err(AppError::validation("input.subject", "must not be empty"));
    }
    if parts.subject.contains(['\r', '\n']) {
        return Err(AppError::validation("input.subject", "must be one line"));
    }
    check_part(
        &env,
        "input.subject",
        "subject.txt",
        &parts.subject,
        MAX_SUBJECT,
    )?;
    check_part(&env, "input.html", "body.html", &parts.html, MAX_HTML)?;
    check_part(&env, "input.text", "body.txt", &parts.text, MAX_TEXT)?;
    if parts.html.trim().is_empty() && parts.text.trim().is_empty() {
        return Err(AppError::validation(
            "input.text",
            "a template needs an HTML or a text body",
        ));
    }
    Ok(())
}

/// Renders a checked template with `data`. A rendering error (a filter given the wrong kind of
/// value, the fuel running out) is a VALIDATION error of the part that failed.
pub fn render(parts: &Parts, data: &Data) -> Result<Rendered, AppError> {
    check(parts)?;
    let env = environment(data.currency_exponent, data.currency.clone(), data.lang);
    let ctx = Value::from_serialize(data);
    let one = |field: &'static str, name: &str, source: &str| -> Result<String, AppError> {
        let template = env
            .template_from_named_str(name, source)
            .map_err(|e| AppError::validation(field, e.to_string()))?;
        template.render(ctx.clone()).map_err(|e| {
            AppError::validation(
                field,
                format!("does not render: {}", e.detail().unwrap_or("error")),
            )
        })
    };
    Ok(Rendered {
        // A subject is one line whatever the data holds.
        subject: one("input.subject", "subject.txt", &parts.subject)?.replace(['\r', '\n'], " "),
        html: one("input.html", "body.html", &parts.html)?,
        text: one("input.text", "body.txt", &parts.text)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(subject: &str, html: &str, text: &str) -> Parts {
        Parts {
            subject: subject.to_owned(),
            html: html.to_owned(),
            text: text.to_owned(),
        }
    }

    fn sample() -> Data {
        Data::sample(
            BrandData {
                name: "Brûlerie".to_owned(),
                slug: "brulerie".to_owned(),
                ..BrandData::default()
            },
            "EUR",
            2,
            "https://fidelis.example",
        )
    }

    #[test]
    fn unknown_variables_are_refused_by_name() {
        let err = check(&parts(
            "Hi {{ member.first_name }}",
            "{{ member.nickname }} {{ secret }}",
            "x",
        ));
        match err {
            Err(AppError::Validation { field, message }) => {
                assert_eq!(field, "input.html");
                assert!(
                    message.contains("member.nickname") && message.contains("secret"),
                    "{message}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(
            check(&parts(
                "{% for v in vouchers %}{{ v.code }}{% endfor %}",
                "",
                "{{ points.balance }}"
            ))
            .is_ok()
        );
    }

    #[test]
    fn html_is_escaped_in_the_html_body_only() {
        let mut data = sample();
        data.member.first_name = Some("<b>Ana</b>".to_owned());
        let r = render(
            &parts(
                "Hi {{ member.first_name }}",
                "<p>{{ member.first_name }}</p>",
                "{{ member.first_name }}",
            ),
            &data,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(r.html, "<p>&lt;b&gt;Ana&lt;/b&gt;</p>");
        assert_eq!(r.text, "<b>Ana</b>");
        assert_eq!(r.subject, "Hi <b>Ana</b>");
    }

    #[test]
    fn money_is_formatted_from_minor_units() {
        assert_eq!(money(1_250, 2, "EUR"), "12.50 EUR");
        assert_eq!(money(-5, 2, "EUR"), "-0.05 EUR");
        assert_eq!(money(1_250, 0, "JPY"), "1250 JPY");
        assert_eq!(money(1_250, 3, "KWD"), "1.250 KWD");
        let r = render(
            &parts("x", "", "{{ vouchers[0].amount_minor | money }}"),
            &sample(),
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        // The sample brand is French (the default language): decimal comma, day first.
        assert_eq!(r.text, "10,00 EUR");
        let mut en = sample();
        en.lang = crate::core::i18n::Lang::En;
        let r = render(
            &parts("x", "", "{{ vouchers[0].amount_minor | money }}"),
            &en,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(r.text, "10.00 EUR");
        assert_eq!(
            money_in(crate::core::i18n::Lang::Fr, -5, 2, "EUR"),
            "-0,05 EUR"
        );
    }

    #[test]
    fn absent_values_render_as_nothing_and_loops_are_bounded() {
        let mut data = sample();
        data.tier = None;
        data.member.first_name = None;
        let r = render(
            &parts(
                "x",
                "",
                "[{{ member.first_name }}]{% if tier %}{{ tier.name }}{% endif %}",
            ),
            &data,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(r.text, "[]");
        let endless = render(
            &parts(
                "x",
                "",
                "{% for i in range(100000) %}{% for j in range(100000) %}.{% endfor %}{% endfor %}",
            ),
            &data,
        );
        assert!(
            matches!(endless, Err(AppError::Validation { .. })),
            "{endless:?}"
        );
    }
}
