//! `POST /graphql`: JSON only (a mutation can never ride a GET or a text/plain form post), one
//! operation per request (batches refused), the principal resolved from the bearer token before
//! execution, and every error typed on the way out.

use std::{net::SocketAddr, sync::Arc};

use axum::{
    body::Bytes,
    extract::{ConnectInfo, State},
    http::{HeaderMap, StatusCode, header},
    response::{Html, IntoResponse, Response},
};

use crate::{
    core::{
        auth::Principal,
        deps::Deps,
        error::{AppError, ErrorCode},
        graphql::{RequestContext, errors},
        http::client_address,
    },
    server::{router::HttpState, schema::FidelisSchema},
};

pub(crate) async fn post_graphql(
    State(state): State<HttpState>,
    peer: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return reject(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::BadRequest,
            "send GraphQL as application/json",
        );
    }
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return reject(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "batched requests are not supported",
        );
    }
    let Ok(request) = serde_json::from_slice::<async_graphql::Request>(&body) else {
        return reject(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "the body is not a GraphQL request in JSON",
        );
    };

    let (principal, brand) = match authenticate(&state, &headers).await {
        Ok(p) => p,
        Err(e) => {
            let status = match e.code() {
                ErrorCode::Forbidden => StatusCode::FORBIDDEN,
                ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::UNAUTHORIZED,
            };
            if let AppError::Internal(cause) = &e {
                tracing::error!(error = ?cause, "resolving the caller failed");
                return reject(status, ErrorCode::Internal, "internal error");
            }
            return reject(status, e.code(), &e.to_string());
        }
    };

    let span = tracing::Span::current();
    if let Some(name) = &request.operation_name {
        span.record("graphql.operation", name.as_str());
    }
    if let Some(tenant) = principal.tenant_id() {
        span.record("tenant.id", tracing::field::display(tenant));
    }
    let context = RequestContext {
        scope: crate::identity::sessions::scope_of(&state.app.base, &principal, brand),
        principal,
        client: client_address(&state.app, &headers, peer),
    };
    let mut response = state.schema.execute(request.data(context)).await;
    errors::finalize(&mut response);
    let mut http = axum::Json(&response).into_response();
    // Responses may carry tokens and personal data: never cache them.
    http.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    http
}

/// The principal of the bearer token (anonymous without an Authorization header), with its
/// brand's row when it has one.
async fn authenticate(
    state: &HttpState,
    headers: &HeaderMap,
) -> Result<(Principal, Option<entity::brand::Model>), AppError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok((Principal::Anonymous, None));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(AppError::Unauthenticated(
            "use Authorization: Bearer <token>",
        ))?;
    principal_of_token(&state.app, token).await
}

/// The principal a bearer token stands for, with its brand's row when it has one.
async fn principal_of_token(
    app: &Deps,
    token: &str,
) -> Result<(Principal, Option<entity::brand::Model>), AppError> {
    let claims = app.auth.jwt.verify(token)?;
    if claims.role == crate::core::auth::Role::Member {
        return crate::loyalty::member_auth::resolve(&app.base, claims).await;
    }
    crate::identity::sessions::resolve_principal(&app.base, claims).await
}

/// The GraphQL operations the portal's pages run, in process, as the signed-in person: the same
/// schema, the same principal resolution and guards as `POST /graphql`, so the portal has no
/// second authorization path.
pub(crate) fn in_process(app: Arc<Deps>, schema: FidelisSchema) -> crate::portal::Gql {
    Arc::new(move |call: crate::portal::Call| {
        let (app, schema) = (app.clone(), schema.clone());
        Box::pin(async move {
            let (principal, brand) = match &call.token {
                None => (Principal::Anonymous, None),
                Some(token) => principal_of_token(&app, token).await?,
            };
            let context = RequestContext {
                scope: crate::identity::sessions::scope_of(&app.base, &principal, brand),
                principal,
                client: call.client,
            };
            let request = async_graphql::Request::new(call.query)
                .variables(async_graphql::Variables::from_json(call.variables))
                .data(context);
            let mut response = schema.execute(request).await;
            errors::finalize(&mut response);
            Ok(response)
        })
    })
}

fn reject(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    (status, axum::Json(errors::body(code, message))).into_response()
}

/// GraphiQL, where enabled (not in production by default). Queries are never run from GET.
pub(crate) async fn get_graphql(State(state): State<HttpState>) -> Response {
    if state.app.config.graphiql_enabled() {
        Html(GRAPHIQL).into_response()
    } else {
        reject(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::BadRequest,
            "use POST with application/json",
        )
    }
}

const GRAPHIQL: &str = include_str!("graphiql.html");
