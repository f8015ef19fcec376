//! The web portal: brands sign up, sign in and run their program in a browser, served by the
//! same binary at `/`. Server-rendered pages (MiniJinja templates compiled into the binary), no
//! script needed, no Node at build time.
//!
//! Invariants:
//! - every page runs the same GraphQL operations as the API, in process, as the signed-in
//!   person ([`Gql`], built by `server`): the portal has no second authorization path, so what a
//!   role cannot do through the API it cannot do here;
//! - the session lives in HttpOnly, SameSite=Lax cookies (Secure in production); every form that
//!   changes something carries a CSRF token bound to the session (or, before sign-in, to a
//!   pre-session cookie) and must come from the portal's own origin;
//! - pages carry a Content-Security-Policy without `unsafe-inline` and `frame-ancestors 'none'`,
//!   are never cached, and never show internal error details.

mod act;
mod auth;
mod catalog;
mod charts;
mod clubs;
mod coalitions;
mod contests;
mod dashboard;
mod insights;
mod keys;
mod labels;
mod mail;
mod member;
mod members;
mod offers;
mod programs;
mod render;
mod rules;
mod session;
mod team;
mod view;

use std::{future::Future, pin::Pin, sync::Arc};

use axum::{
    Router,
    routing::{get, post},
};

use crate::core::{deps::Deps, error::AppError};

/// One GraphQL operation run for a page.
pub struct Call {
    /// The access token of the signed-in person (none: anonymous).
    pub token: Option<String>,
    /// The visitor's address, for the API's rate limits.
    pub client: String,
    pub query: &'static str,
    pub variables: serde_json::Value,
}

/// Runs a [`Call`] through the API's schema (principal, scope, guards, limits).
pub type Gql = Arc<
    dyn Fn(Call) -> Pin<Box<dyn Future<Output = Result<async_graphql::Response, AppError>> + Send>>
        + Send
        + Sync,
>;

/// What the portal's handlers share.
pub struct Portal {
    deps: Arc<Deps>,
    gql: Gql,
    pages: render::Pages,
}

impl Portal {
    pub fn new(deps: Arc<Deps>, gql: Gql) -> Self {
        Self {
            deps,
            gql,
            pages: render::Pages::new(),
        }
    }
}

/// The portal's routes, added to the server's router.
pub fn routes<S>(router: Router<S>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Arc<Portal>: axum::extract::FromRef<S>,
{
    router
        .route("/", get(auth::home))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/signup", get(auth::signup_form).post(auth::signup))
        .route(
            "/verify-email",
            get(auth::verify_email_page).post(auth::verify_email),
        )
        .route("/logout", post(auth::logout))
        .route("/lang", get(auth::choose_lang))
        .route("/app", get(dashboard::dashboard))
        .route("/app/programs", get(programs::list))
        .route("/app/programs/new", get(programs::new_form))
        .route(
            "/app/programs/{id}",
            get(programs::show).post(programs::edit),
        )
        .route(
            "/app/programs/new/{mechanic}",
            get(programs::new_of).post(programs::create_of),
        )
        .route("/app/settings", view::route(&catalog::SETTINGS))
        .route("/m/{slug}/brand.css", get(member::brand_css))
        .route("/app/rewards", view::route(&catalog::REWARDS))
        .route("/app/offers", view::route(&offers::OFFERS))
        .route("/app/offers/{id}", view::route(&offers::OFFER))
        .route("/m/{slug}/offers", member::space_route(&member::OFFERS))
        .route("/app/contests", view::route(&contests::CONTESTS))
        .route("/app/contests/{id}", view::route(&contests::CONTEST))
        .route("/app/contests/{id}/entries.csv", get(contests::entries_csv))
        .route("/app/contests/{id}/winners.csv", get(contests::winners_csv))
        .route("/m/{slug}/contests", member::space_route(&member::CONTESTS))
        .route("/app/referrals", view::route(&contests::REFERRALS))
        .route("/app/insights", view::route(&insights::INSIGHTS))
        .route("/app/insights/kpis", get(insights::kpis))
        .route("/app/insights/kpis.csv", get(insights::kpis_csv))
        .route("/m/{slug}/referral", member::space_route(&member::REFERRAL))
        .route("/app/clubs", view::route(&clubs::CLUBS))
        .route("/app/clubs/{id}", view::route(&clubs::CLUB))
        .route("/app/events", view::route(&clubs::EVENTS))
        .route("/app/events/{id}", view::route(&clubs::EVENT))
        .route("/m/{slug}/clubs", member::space_route(&member::CLUBS))
        .route("/m/{slug}/events", member::space_route(&member::EVENTS))
        .route("/app/vouchers", view::route(&catalog::VOUCHERS))
        .route("/app/coalitions", view::route(&coalitions::COALITIONS))
        .route("/app/coalitions/{id}", view::route(&coalitions::COALITION))
        .route(
            "/app/coalitions/{id}/periods/{period}/statements.csv",
            get(coalitions::statements_csv),
        )
        .route("/app/brands", view::route(&coalitions::BRANDS))
        .route("/app/members", get(members::list))
        .route("/app/members/{id}", get(members::show))
        .route("/app/members/{id}/gesture", post(members::gesture))
        .route("/app/members/{id}/export.json", get(members::export))
        .route("/app/keys", get(keys::list).post(keys::create))
        .route("/app/team", get(team::list))
        .route("/app/team/invite", post(team::invite))
        .route("/app/team/{id}/role", post(team::change_role))
        .route("/app/team/{id}/deactivate", post(team::deactivate))
        .route("/app/keys/{id}/revoke", post(keys::revoke))
        .route(
            "/m/{slug}/login",
            get(member::login_form).post(member::login),
        )
        .route(
            "/m/{slug}/signup",
            get(member::signup_form).post(member::signup),
        )
        .route("/m/{slug}/card", get(member::card))
        .route("/m/{slug}/rewards", member::space_route(&member::REWARDS))
        .route("/m/{slug}/account", member::space_route(&member::ACCOUNT))
        .route("/m/{slug}/my-data.json", get(member::my_data))
        .route("/m/{slug}/logout", post(member::logout))
        .route("/app/act/{name}", post(act::staff))
        .route("/m/{slug}/act/{name}", post(act::member))
        .route("/app/mail", view::route(&mail::SETTINGS))
        .route("/app/mail/templates", view::route(&mail::TEMPLATES))
        .route("/app/mail/templates/{id}", view::route(&mail::TEMPLATE))
        .route("/app/mail/preview", post(mail::preview))
        .route("/app/mail/audiences", get(mail::audiences))
        .route("/app/mail/audiences/count", get(mail::audience_count))
        .route("/app/mail/campaigns", view::route(&mail::CAMPAIGNS))
        .route("/app/mail/campaigns/{id}", view::route(&mail::CAMPAIGN))
        .route("/assets/portal.css", get(render::stylesheet))
        .route("/assets/portal.js", get(render::script))
        // Any other path, or a path with the wrong method: a page in the visitor's language,
        // with the portal's headers, not an empty body.
        .fallback(render::not_found)
        .method_not_allowed_fallback(render::method_not_allowed)
}
