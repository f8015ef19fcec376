//! The HTTP surface: `POST /graphql`, GraphiQL on `GET /graphql`, `POST /oauth/token`,
//! `/healthz`, `/readyz`, `/unsubscribe` (marketing opt-out links) and `/t/...` (open and
//! click tracking), with request ids, tracing, a body limit and a timeout.

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    extract::State,
    http::{HeaderName, Request, StatusCode},
    response::IntoResponse,
    routing::{get, post},
};
use tower_http::{
    catch_panic::CatchPanicLayer,
    cors::{Any, CorsLayer},
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::Level;

use crate::{
    core::deps::Deps,
    engagement::http::{tracking, unsubscribe},
    identity::http::{oauth, pages},
    loyalty::http::member_pages,
    server::{graphql_http as graphql, schema::FidelisSchema},
};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Clone)]
pub(crate) struct HttpState {
    pub app: Arc<Deps>,
    pub schema: FidelisSchema,
    pub portal: Arc<crate::portal::Portal>,
}

/// The portal's handlers extract `State<Arc<Portal>>`.
impl axum::extract::FromRef<HttpState> for Arc<crate::portal::Portal> {
    fn from_ref(state: &HttpState) -> Self {
        state.portal.clone()
    }
}

/// Contexts' handlers extract `State<Arc<Deps>>`: they never see the schema or the router.
impl axum::extract::FromRef<HttpState> for Arc<Deps> {
    fn from_ref(state: &HttpState) -> Self {
        state.app.clone()
    }
}

pub fn router(app: Arc<Deps>, schema: FidelisSchema) -> Router {
    let timeout = Duration::from_secs(app.config.request_timeout_secs);
    let body_limit = app.config.max_body_bytes;
    let portal = Arc::new(crate::portal::Portal::new(
        app.clone(),
        graphql::in_process(app.clone(), schema.clone()),
    ));
    let state = HttpState {
        app,
        schema,
        portal,
    };
    crate::portal::routes(Router::new())
        .route(
            "/graphql",
            post(graphql::post_graphql).get(graphql::get_graphql),
        )
        .route("/oauth/token", post(oauth::token))
        .route(
            "/unsubscribe",
            get(unsubscribe::get_unsubscribe).post(unsubscribe::post_unsubscribe),
        )
        .route("/t/o/{token}", get(tracking::open))
        .route("/t/c/{token}", get(tracking::click))
        .route("/assets/fidelis.css", get(crate::core::web::stylesheet))
        .route(
            "/reset-password",
            get(pages::reset_password_form).post(pages::reset_password),
        )
        .route(
            "/accept-invitation",
            get(pages::invitation_form).post(pages::accept_invitation),
        )
        .route("/m/{slug}", get(member_pages::member_space))
        .route(
            "/m/{slug}/access",
            post(member_pages::member_access).get(member_pages::member_access_again),
        )
        .route(
            "/m/{slug}/set-password",
            get(member_pages::member_password_form).post(member_pages::member_set_password),
        )
        .route(
            "/contests/{id}/fairness",
            get(crate::community::http::fairness::record),
        )
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state)
        // A bug must cost one request a 500, never the connection or the worker.
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        // Tokens travel in headers, never in cookies, so any origin may call the API.
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods(Any)
                .allow_headers(Any),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    let request_id = request
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %request.uri().path(),
                        request.id = %request_id,
                        graphql.operation = tracing::field::Empty,
                        tenant.id = tracing::field::Empty,
                    )
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    tracing::error!("a request handler panicked");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        axum::Json(crate::core::graphql::errors::body(
            crate::core::error::ErrorCode::Internal,
            "internal error",
        )),
    )
        .into_response()
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// The database answers.
async fn readyz(State(state): State<HttpState>) -> impl IntoResponse {
    if crate::core::db::ping(&state.app.base.db).await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    }
}
