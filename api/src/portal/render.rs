//! Page rendering: MiniJinja templates compiled into the binary (autoescaped), the portal's
//! stylesheet, and the response every page gets (security headers, cookies, no caching).
//! Templates call `t("français", "English")` for their texts and format money with
//! `money(minor, currency)`, both in the page's language.

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use minijinja::{Environment, State, Value};

use super::session::Visitor;
use crate::core::{i18n::Lang, money::Money, types::Currency};

const CSS: &str = include_str!("templates/portal.css");
const JS: &str = include_str!("templates/portal.js");

const TEMPLATES: &[(&str, &str)] = &[
    ("layout.html", include_str!("templates/layout.html")),
    ("home.html", include_str!("templates/home.html")),
    ("login.html", include_str!("templates/login.html")),
    ("signup.html", include_str!("templates/signup.html")),
    (
        "signup_sent.html",
        include_str!("templates/signup_sent.html"),
    ),
    ("verified.html", include_str!("templates/verified.html")),
    ("verify.html", include_str!("templates/verify.html")),
    ("dashboard.html", include_str!("templates/dashboard.html")),
    ("programs.html", include_str!("templates/programs.html")),
    ("message.html", include_str!("templates/message.html")),
    ("members.html", include_str!("templates/members.html")),
    ("member.html", include_str!("templates/member.html")),
    ("keys.html", include_str!("templates/keys.html")),
    ("team.html", include_str!("templates/team.html")),
    (
        "member_access.html",
        include_str!("templates/member_access.html"),
    ),
    (
        "member_card.html",
        include_str!("templates/member_card.html"),
    ),
    ("mail_nav.html", include_str!("templates/mail_nav.html")),
    ("mail.html", include_str!("templates/mail.html")),
    ("templates.html", include_str!("templates/templates.html")),
    ("template.html", include_str!("templates/template.html")),
    ("campaigns.html", include_str!("templates/campaigns.html")),
    ("campaign.html", include_str!("templates/campaign.html")),
    ("audiences.html", include_str!("templates/audiences.html")),
    ("rewards.html", include_str!("templates/rewards.html")),
    ("settings.html", include_str!("templates/settings.html")),
    (
        "member_rewards.html",
        include_str!("templates/member_rewards.html"),
    ),
    (
        "member_account.html",
        include_str!("templates/member_account.html"),
    ),
    ("coalitions.html", include_str!("templates/coalitions.html")),
    ("coalition.html", include_str!("templates/coalition.html")),
    ("brands.html", include_str!("templates/brands.html")),
    ("vouchers.html", include_str!("templates/vouchers.html")),
    ("offers.html", include_str!("templates/offers.html")),
    ("contests.html", include_str!("templates/contests.html")),
    ("referrals.html", include_str!("templates/referrals.html")),
    ("insights.html", include_str!("templates/insights.html")),
    ("kpis.html", include_str!("templates/kpis.html")),
    ("clubs.html", include_str!("templates/clubs.html")),
    ("club.html", include_str!("templates/club.html")),
    ("events.html", include_str!("templates/events.html")),
    ("event.html", include_str!("templates/event.html")),
    (
        "member_clubs.html",
        include_str!("templates/member_clubs.html"),
    ),
    (
        "member_events.html",
        include_str!("templates/member_events.html"),
    ),
    (
        "member_referral.html",
        include_str!("templates/member_referral.html"),
    ),
    ("contest.html", include_str!("templates/contest.html")),
    (
        "member_contests.html",
        include_str!("templates/member_contests.html"),
    ),
    ("offer.html", include_str!("templates/offer.html")),
    (
        "offer_fields.html",
        include_str!("templates/offer_fields.html"),
    ),
    ("offer_form.html", include_str!("templates/offer_form.html")),
    (
        "member_offers.html",
        include_str!("templates/member_offers.html"),
    ),
    (
        "rules_fields.html",
        include_str!("templates/rules_fields.html"),
    ),
    ("program.html", include_str!("templates/program.html")),
    (
        "program_new_any.html",
        include_str!("templates/program_new_any.html"),
    ),
];

pub(super) struct Pages {
    env: Environment<'static>,
}

/// The brand's time zone of the page (the signed-in person's brand, or the member space's).
fn tz_of(state: &State<'_, '_>) -> Option<chrono_tz::Tz> {
    let from = |v: Value| {
        v.get_attr("timezone")
            .ok()
            .and_then(|t| t.as_str().and_then(|t| t.parse::<chrono_tz::Tz>().ok()))
    };
    state
        .lookup("viewer")
        .and_then(|v| v.get_attr("brand").ok())
        .and_then(from)
        .or_else(|| state.lookup("brand").and_then(from))
}

fn lang_of(state: &State<'_, '_>) -> Lang {
    state
        .lookup("lang")
        .and_then(|v| v.as_str().and_then(Lang::parse))
        .unwrap_or_default()
}

impl Pages {
    pub fn new() -> Self {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("portal template {name}: {e}"));
        }
        env.add_function(
            "t",
            |state: &State<'_, '_>, fr: String, en: String| match lang_of(state) {
                Lang::Fr => fr,
                Lang::En => en,
            },
        );
        env.add_function(
            "money",
            |state: &State<'_, '_>, minor: i64, currency: String| match Currency::parse(
                "currency", &currency,
            ) {
                Ok(c) => Money::new(minor, c).display(lang_of(state)),
                Err(_) => format!("{minor} {currency}"),
            },
        );
        // A fixed-point number (basis points: 2 decimals; thousandths: 3) as people read it:
        // the language's decimal mark, trailing zeros dropped (5000 bp → "50", 6666 → "66,66").
        env.add_function(
            "decimal",
            |state: &State<'_, '_>, value: i64, decimals: u32| {
                decimal(value, decimals, lang_of(state))
            },
        );
        // An amount as a form field shows it: main units, the language's decimal mark, no code.
        env.add_function(
            "amount",
            |state: &State<'_, '_>, minor: i64, currency: String| match Currency::parse(
                "currency", &currency,
            ) {
                Ok(c) => {
                    let shown = Money::new(minor, c).display(lang_of(state));
                    shown
                        .strip_suffix(&format!(" {}", c.code()))
                        .unwrap_or(&shown)
                        .to_owned()
                }
                Err(_) => minor.to_string(),
            },
        );
        // The day of an instant in the brand's calendar, as a date field's value (YYYY-MM-DD).
        env.add_function("field_day", |state: &State<'_, '_>, iso: String| {
            chrono::DateTime::parse_from_rfc3339(&iso)
                .ok()
                .map(|at| {
                    at.with_timezone(&tz_of(state).unwrap_or(chrono_tz::UTC))
                        .date_naive()
                        .format("%Y-%m-%d")
                        .to_string()
                })
                .unwrap_or_default()
        });
        env.add_function("label", |state: &State<'_, '_>, value: String| {
            super::labels::label(&value, lang_of(state))
        });
        env.add_function("date", |state: &State<'_, '_>, iso: String| {
            display_date(&iso, lang_of(state), tz_of(state))
        });
        // The time of day of an instant in the brand's time zone (`19:30`).
        env.add_function("time", |state: &State<'_, '_>, iso: String| {
            chrono::DateTime::parse_from_rfc3339(&iso)
                .ok()
                .map(|at| {
                    at.with_timezone(&tz_of(state).unwrap_or(chrono_tz::UTC))
                        .format("%H:%M")
                        .to_string()
                })
                .unwrap_or_default()
        });
        // A fresh idempotency key per form shown: a double submit, or a retry after a
        // timeout, replays the first outcome.
        env.add_function("new_key", crate::core::auth::secrets::new_token);
        env.add_filter("urlencode", |raw: String| {
            form_urlencoded::byte_serialize(raw.as_bytes()).collect::<String>()
        });
        Self { env }
    }

    /// Renders `template` with `context` (plus the page's language) into a response.
    pub fn page(
        &self,
        visitor: &Visitor,
        status: StatusCode,
        template: &str,
        context: Value,
    ) -> Response {
        let lang = visitor.lang.code();
        let rendered = self.env.get_template(template).and_then(|t| {
            t.render(minijinja::context! { lang => lang, flash => visitor.flash, ..context })
        });
        match rendered {
            Ok(html) => with_headers(status, html, &visitor.cookies),
            Err(e) => {
                tracing::error!(template, error = %e, "a portal page did not render");
                with_headers(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "<!doctype html><title>Fidelis</title><p>Internal error.</p>".to_owned(),
                    &visitor.cookies,
                )
            }
        }
    }
}

/// `2027-11-30T…` → `30/11/2027` (French) or `30 Nov 2027` (English), the day of that instant
/// in the brand's time zone (a bare date is shown as it is); the text as given when it is not
/// a date.
/// `value` ÷ 10^`decimals`, with the language's decimal mark and no trailing zeros.
fn decimal(value: i64, decimals: u32, lang: Lang) -> String {
    let scale = i128::from(10_i64.pow(decimals.min(9)));
    let (sign, v) = if value < 0 {
        ("-", -i128::from(value))
    } else {
        ("", i128::from(value))
    };
    let fraction = format!("{:0width$}", v % scale, width = decimals as usize);
    let fraction = fraction.trim_end_matches('0');
    let units = v / scale;
    if fraction.is_empty() {
        format!("{sign}{units}")
    } else {
        let mark = match lang {
            Lang::Fr => ',',
            Lang::En => '.',
        };
        format!("{sign}{units}{mark}{fraction}")
    }
}

fn display_date(iso: &str, lang: Lang, tz: Option<chrono_tz::Tz>) -> String {
    let instant = chrono::DateTime::parse_from_rfc3339(iso).ok();
    let date = match (instant, tz) {
        (Some(at), Some(tz)) => Some(at.with_timezone(&tz).date_naive()),
        _ => iso
            .get(..10)
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
    };
    let Some(date) = date else {
        return iso.to_owned();
    };
    match lang {
        Lang::Fr => date.format("%d/%m/%Y").to_string(),
        Lang::En => date.format("%-d %b %Y").to_string(),
    }
}

/// A redirect after a form (303, so the browser follows with GET), with the visitor's cookies.
pub(super) fn see_other(visitor: &Visitor, to: &str) -> Response {
    let mut response = Redirect::to(to).into_response();
    add_cookies(&mut response, &visitor.cookies);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub(super) fn add_cookies(response: &mut Response, cookies: &[String]) {
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(c) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
}

fn with_headers(status: StatusCode, html: String, cookies: &[String]) -> Response {
    let mut response = crate::core::web::secure_html(status, html);
    add_cookies(&mut response, cookies);
    // The portal's own script (live preview and counts) and the mail preview frame, both from
    // this origin; still no inline code.
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; \
             connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; \
             base-uri 'none'",
        ),
    );
    // Same-origin referrers only: the language switch returns to the page it was chosen on,
    // and browsers without Sec-Fetch-Site send a real Origin with forms (under no-referrer
    // they send `Origin: null`); nothing goes to other sites.
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// A file to download (export, statement): never cached, never sniffed, with the visitor's
/// cookies. `filename` must be plain ASCII (callers build it from digits and letters).
pub(super) fn download(
    visitor: &Visitor,
    content_type: &'static str,
    filename: &str,
    body: String,
) -> Response {
    let mut response = (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        body,
    )
        .into_response();
    add_cookies(&mut response, &visitor.cookies);
    response
}

/// Any path nothing answers.
pub(super) async fn not_found(
    axum::extract::State(portal): axum::extract::State<std::sync::Arc<super::Portal>>,
    peer: axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: axum::http::HeaderMap,
) -> Response {
    let v = Visitor::of(&portal, &headers, peer);
    portal.pages.page(
        &v,
        StatusCode::NOT_FOUND,
        "message.html",
        minijinja::context! {
            title => v.lang.pick("Introuvable", "Not found"),
            message => v.lang.pick("Cette page n'existe pas.", "This page does not exist."),
            back => "/",
        },
    )
}

/// A known path asked with a method it does not take.
pub(super) async fn method_not_allowed(
    axum::extract::State(portal): axum::extract::State<std::sync::Arc<super::Portal>>,
    peer: axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: axum::http::HeaderMap,
) -> Response {
    let v = Visitor::of(&portal, &headers, peer);
    portal.pages.page(
        &v,
        StatusCode::METHOD_NOT_ALLOWED,
        "message.html",
        minijinja::context! {
            title => v.lang.pick("Requête refusée", "Request refused"),
            message => v.lang.pick(
                "Cette adresse ne s'ouvre pas ainsi : utilisez les liens et formulaires des pages.",
                "This address is not opened this way: use the pages' links and forms.",
            ),
            back => "/",
        },
    )
}

/// `GET /assets/portal.js`.
pub(super) async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        JS,
    )
        .into_response()
}

/// `GET /assets/portal.css`.
pub(super) async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_each_language_writes_them() {
        assert_eq!(
            display_date("2027-11-30T10:00:00Z", Lang::Fr, None),
            "30/11/2027"
        );
        assert_eq!(
            display_date("2027-11-30T10:00:00Z", Lang::En, None),
            "30 Nov 2027"
        );
        assert_eq!(display_date("soon", Lang::Fr, None), "soon");
        // 23:30 UTC is already the next day in Paris.
        let paris = Some(chrono_tz::Europe::Paris);
        assert_eq!(
            display_date("2027-11-30T23:30:00Z", Lang::Fr, paris),
            "01/12/2027"
        );
        assert_eq!(display_date("1990-05-01", Lang::Fr, paris), "01/05/1990");
    }
}
