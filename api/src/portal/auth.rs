//! Signing up, in and out: the home page, the sign-up and login forms, the landing of the
//! verification link (which confirms the address and signs in), logout (which ends the refresh
//! family through the API).

use std::{net::SocketAddr, sync::Arc};

use axum::{
    Form,
    extract::{ConnectInfo, Query, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use minijinja::context;
use serde::Deserialize;
use serde_json::json;

use super::{
    Portal,
    render::see_other,
    session::{Failure, Visitor},
};
use crate::core::{i18n::Lang, web::same_origin};

#[derive(Deserialize, Default)]
pub(super) struct PageQuery {
    pub lang: Option<String>,
    pub token: Option<String>,
    /// The form just done (`POST /app/act/…` comes back with it): its sentence is shown.
    pub done: Option<String>,
    /// A friend's referral code (`/m/{slug}/signup?ref=…`): carried through the sign-up.
    #[serde(rename = "ref")]
    pub referral: Option<String>,
}

impl PageQuery {
    /// The page parameters of a query string read as a map (pages that take others too).
    pub fn of_map(q: &std::collections::HashMap<String, String>) -> Self {
        Self {
            lang: q.get("lang").cloned(),
            token: None,
            done: q.get("done").cloned(),
            referral: None,
        }
    }
}

/// The visitor, with a language chosen by `?lang=` kept for the next pages.
pub(super) fn visitor(
    portal: &Portal,
    headers: &HeaderMap,
    peer: ConnectInfo<SocketAddr>,
    q: &PageQuery,
) -> Visitor {
    let mut v = Visitor::of(portal, headers, peer);
    if let Some(lang) = q.lang.as_deref().and_then(Lang::parse) {
        v.choose_lang(lang);
    }
    v.flash = super::act::notice(q.done.as_deref(), v.lang);
    v
}

/// A posted form that did not come from the portal's own page (another origin, or no valid
/// CSRF token): refused, nothing done.
pub(super) fn refused(portal: &Portal, v: &Visitor) -> Response {
    portal.pages.page(
        v,
        StatusCode::FORBIDDEN,
        "message.html",
        context! {
            title => v.lang.pick("Requête refusée", "Request refused"),
            message => v.lang.pick(
                "Ce formulaire a expiré ou ne vient pas de cette page : rechargez la page et recommencez.",
                "This form expired or did not come from this page: reload the page and try again.",
            ),
        },
    )
}

/// Whether a posted form may act: same origin and a CSRF token of this visitor.
pub(super) fn form_ok(
    portal: &Portal,
    v: &mut Visitor,
    headers: &HeaderMap,
    csrf: Option<&str>,
) -> bool {
    same_origin(headers) && csrf.is_some_and(|t| v.csrf_ok(portal, t))
}

/// `GET /`: the portal's front page (the dashboard when signed in).
pub(super) async fn home(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    let v = visitor(&portal, &headers, peer, &q);
    if v.signed_in() {
        return see_other(&v, "/app");
    }
    portal.pages.page(
        &v,
        StatusCode::OK,
        "home.html",
        context! { graphiql => portal.deps.config.graphiql_enabled() },
    )
}

/// `GET /login`.
pub(super) async fn login_form(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    let mut v = visitor(&portal, &headers, peer, &q);
    let csrf = v.csrf(&portal);
    portal
        .pages
        .page(&v, StatusCode::OK, "login.html", context! { csrf => csrf })
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    email: Option<String>,
    password: Option<String>,
    csrf: Option<String>,
}

/// `POST /login`: the API's `login` (with its rate limits), then the session cookies.
pub(super) async fn login(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let mut v = Visitor::of(&portal, &headers, peer);
    if !form_ok(&portal, &mut v, &headers, form.csrf.as_deref()) {
        return refused(&portal, &v);
    }
    let email = form.email.unwrap_or_default();
    let result = v
        .run_anonymous(
            &portal,
            "mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken expiresIn } }",
            json!({ "i": { "email": email, "password": form.password.unwrap_or_default() } }),
        )
        .await;
    match result {
        Ok(data) => {
            let s = &data["login"];
            v.start_session(
                s["accessToken"].as_str().unwrap_or_default(),
                s["refreshToken"].as_str().unwrap_or_default(),
                s["expiresIn"].as_u64().unwrap_or(0),
                portal.deps.auth.refresh_token_ttl_days,
            );
            see_other(&v, "/app")
        }
        Err(f) => {
            let csrf = v.csrf(&portal);
            let status = if f.code == "RATE_LIMITED" {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::UNAUTHORIZED
            };
            let error = f.text(v.lang);
            portal.pages.page(
                &v,
                status,
                "login.html",
                context! { csrf => csrf, email => email, error => error },
            )
        }
    }
}

/// `GET /signup`.
pub(super) async fn signup_form(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    let mut v = visitor(&portal, &headers, peer, &q);
    let csrf = v.csrf(&portal);
    portal.pages.page(
        &v,
        StatusCode::OK,
        "signup.html",
        context! {
            csrf => csrf,
            form => context! {
                currency => "EUR", timezone => "Europe/Paris",
                idempotency_key => crate::core::auth::secrets::new_token(),
            },
        },
    )
}

#[derive(Deserialize, serde::Serialize, Default)]
pub(super) struct SignupForm {
    #[serde(default)]
    brand_name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    email: String,
    #[serde(default, skip_serializing)]
    password: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    timezone: String,
    #[serde(default, skip_serializing)]
    csrf: Option<String>,
    /// One per form shown: a double submit replays the first sign-up instead of failing on
    /// the slug it just took.
    #[serde(default)]
    idempotency_key: String,
}

/// `POST /signup`: the API's `signUpBrand`; the owner then confirms the address by mail.
pub(super) async fn signup(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(mut form): Form<SignupForm>,
) -> Response {
    let mut v = Visitor::of(&portal, &headers, peer);
    if !form_ok(&portal, &mut v, &headers, form.csrf.as_deref()) {
        return refused(&portal, &v);
    }
    let locale = match v.lang {
        Lang::Fr => "fr-FR",
        Lang::En => "en-GB",
    };
    let result = v
        .run_anonymous(
            &portal,
            "mutation($i: SignUpBrandInput!) { signUpBrand(input: $i) { brand { id } } }",
            json!({ "i": {
                "brandName": form.brand_name, "slug": form.slug, "ownerEmail": form.email,
                "ownerPassword": form.password, "currency": form.currency,
                "timezone": form.timezone, "locale": locale,
                "idempotencyKey": (!form.idempotency_key.is_empty()).then_some(&form.idempotency_key),
            } }),
        )
        .await;
    match result {
        Ok(_) => portal.pages.page(
            &v,
            StatusCode::OK,
            "signup_sent.html",
            context! { email => form.email },
        ),
        Err(f) => {
            let csrf = v.csrf(&portal);
            let status = match f.code.as_str() {
                "RATE_LIMITED" => StatusCode::TOO_MANY_REQUESTS,
                "CONFLICT" => StatusCode::CONFLICT,
                _ => StatusCode::BAD_REQUEST,
            };
            let error = f.text(v.lang);
            // The next attempt is a new request (possibly with other input): a new key.
            form.idempotency_key = crate::core::auth::secrets::new_token();
            portal.pages.page(
                &v,
                status,
                "signup.html",
                context! { csrf => csrf, form => form, error => error },
            )
        }
    }
}

/// `GET /verify-email?token=…`: a page that asks to confirm (link scanners open links with
/// GET and HEAD: neither acts); its button posts the token with the page's CSRF token.
pub(super) async fn verify_email_page(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    let mut v = visitor(&portal, &headers, peer, &q);
    let csrf = v.csrf(&portal);
    portal.pages.page(
        &v,
        StatusCode::OK,
        "verify.html",
        context! { csrf => csrf, token => q.token.unwrap_or_default() },
    )
}

#[derive(Deserialize)]
pub(super) struct VerifyForm {
    token: Option<String>,
    csrf: Option<String>,
}

/// `POST /verify-email`: confirms the address and signs the owner in. A used or expired link
/// says so and offers the login form.
pub(super) async fn verify_email(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<VerifyForm>,
) -> Response {
    let mut v = Visitor::of(&portal, &headers, peer);
    if !form_ok(&portal, &mut v, &headers, form.csrf.as_deref()) {
        return refused(&portal, &v);
    }
    let token = form.token.unwrap_or_default();
    let deps = &portal.deps;
    match crate::identity::sessions::verify_email_and_sign_in(&deps.base, &deps.auth, &token).await
    {
        Ok(session) => {
            let (brand, lang) = crate::identity::sessions::user_brand(&deps.base, &session.user)
                .await
                .unwrap_or(("Fidelis".to_owned(), v.lang));
            v.lang = lang;
            v.start_session(
                &session.access_token,
                &session.refresh_token,
                session.expires_in,
                deps.auth.refresh_token_ttl_days,
            );
            portal.pages.page(
                &v,
                StatusCode::OK,
                "verified.html",
                context! { email => session.user.email, brand => brand },
            )
        }
        Err(e) => {
            let failure = Failure::from(&e);
            let status = crate::core::web::error_status(&e);
            let message = match failure.code.as_str() {
                "FORBIDDEN" => failure.text(v.lang),
                _ => crate::core::web::error_text(v.lang, &e),
            };
            portal.pages.page(
                &v,
                status,
                "message.html",
                context! {
                    title => v.lang.pick("Confirmation de l'adresse", "Address confirmation"),
                    message => message,
                    login => true,
                },
            )
        }
    }
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    csrf: Option<String>,
}

/// `POST /logout`: ends the refresh family through the API and clears the cookies.
pub(super) async fn logout(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let mut v = Visitor::of(&portal, &headers, peer);
    if !form_ok(&portal, &mut v, &headers, form.csrf.as_deref()) {
        return refused(&portal, &v);
    }
    if let Some(refresh) = v.refresh_token().map(str::to_owned) {
        // Ends the whole family: a stolen copy of an earlier refresh token is dead too.
        let _ = v
            .run_anonymous(
                &portal,
                "mutation($t: String!) { logout(refreshToken: $t) }",
                json!({ "t": refresh }),
            )
            .await;
    }
    v.end_session();
    see_other(&v, "/login")
}

#[derive(Deserialize)]
pub(super) struct LangQuery {
    lang: Option<String>,
}

/// `GET /lang?lang=en`: keeps the chosen language and goes back to the page it was chosen on
/// (read from the same-origin `Referer`; a page that only answers a form goes to its GET
/// counterpart), or home.
pub(super) async fn choose_lang(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let mut v = Visitor::of(&portal, &headers, peer);
    if let Some(lang) = q.lang.as_deref().and_then(Lang::parse) {
        v.choose_lang(lang);
    }
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let back = headers
        .get(axum::http::header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.split_once("://"))
        .and_then(|(_, rest)| rest.split_once('/'))
        .filter(|(authority, _)| authority.eq_ignore_ascii_case(host))
        .map(|(_, path)| format!("/{path}"))
        .map(|target| back_target(&target))
        .unwrap_or_else(|| "/".to_owned());
    see_other(&v, &back)
}

/// Where to go back to after a language change: the same page without `lang=` (and without a
/// link token), the GET page for a form's answer.
fn back_target(target: &str) -> String {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let path = if path == "/verify-email" {
        "/app"
    } else if let Some(member) = path.strip_suffix("/gesture") {
        member
    } else if path.ends_with("/revoke") || path == "/logout" || path.ends_with("/logout") {
        "/"
    } else {
        path
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("lang=") && !p.starts_with("token="))
        .collect();
    // Only paths of this site (never `//host`).
    let path = if path.starts_with('/') && !path.starts_with("//") {
        path
    } else {
        "/"
    };
    if kept.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", kept.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::back_target;

    #[test]
    fn a_language_change_goes_back_to_a_page_of_this_site_without_tokens() {
        assert_eq!(
            back_target("/app/members?q=marie&lang=fr"),
            "/app/members?q=marie"
        );
        assert_eq!(back_target("/app/members/42/gesture"), "/app/members/42");
        assert_eq!(back_target("/verify-email?token=secret"), "/app");
        assert_eq!(
            back_target("/reset-password?token=secret"),
            "/reset-password"
        );
        assert_eq!(back_target("//evil.example/x"), "/");
        assert_eq!(back_target("/app/keys/7/revoke"), "/");
    }
}
