//! The team (owners): people and their roles, pending invitations, an invitation form (the
//! API's `inviteUser`, which mails the link), role changes and deactivation. The API keeps its
//! rules: the last owner can be neither demoted nor deactivated.

use std::{net::SocketAddr, sync::Arc};

use axum::{
    Form,
    extract::{ConnectInfo, Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use minijinja::context;
use serde::Deserialize;
use serde_json::json;

use super::{
    Portal,
    auth::{PageQuery, form_ok, refused, visitor},
    dashboard::{failed, viewer},
    render::see_other,
    session::Visitor,
};

const ROLES: &[&str] = &["BRAND_OWNER", "BRAND_MANAGER", "BRAND_STAFF"];

async fn team_page(
    portal: &Portal,
    v: &mut Visitor,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let viewer = match viewer(portal, v).await {
        Ok(viewer) => viewer,
        Err(f) => return failed(portal, v, &f),
    };
    let data = match v
        .run(
            portal,
            "{ users(first: 100) { nodes { id email displayName role status } }
               invitations(first: 100) { nodes { id email role status expiresAt } } }",
            json!({}),
        )
        .await
    {
        Ok(data) => data,
        Err(f) => return failed(portal, v, &f),
    };
    let roles: Vec<_> = ROLES
        .iter()
        .map(|code| context! { code => code, label => super::labels::label(code, v.lang) })
        .collect();
    let csrf = v.csrf(portal);
    portal.pages.page(
        v,
        status,
        "team.html",
        context! {
            csrf => csrf, viewer => viewer, roles => roles, notice => notice, error => error,
            users => data["users"]["nodes"].clone(),
            invitations => data["invitations"]["nodes"].clone(),
            idempotency_key => crate::core::auth::secrets::new_token(),
        },
    )
}

/// `GET /app/team`.
pub(super) async fn list(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    let mut v = visitor(&portal, &headers, peer, &q);
    if !v.signed_in() {
        return see_other(&v, "/login");
    }
    team_page(&portal, &mut v, StatusCode::OK, None, None).await
}

#[derive(Deserialize)]
pub(super) struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    idempotency_key: String,
    csrf: Option<String>,
}

/// `POST /app/team/invite`.
pub(super) async fn invite(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<InviteForm>,
) -> Response {
    let mut v = Visitor::of(&portal, &headers, peer);
    if !form_ok(&portal, &mut v, &headers, form.csrf.as_deref()) {
        return refused(&portal, &v);
    }
    let result = v
        .run(
            &portal,
            "mutation($i: InviteUserInput!) { inviteUser(input: $i) { id email } }",
            json!({ "i": { "email": form.email, "role": form.role,
                           "idempotencyKey": (!form.idempotency_key.is_empty()).then_some(&form.idempotency_key) } }),
        )
        .await;
    match result {
        Ok(data) => {
            let email = data["inviteUser"]["email"].as_str().unwrap_or_default();
            let notice = match v.lang {
                crate::core::i18n::Lang::Fr => format!("Invitation envoyée à {email}."),
                crate::core::i18n::Lang::En => format!("Invitation sent to {email}."),
            };
            team_page(&portal, &mut v, StatusCode::OK, Some(notice), None).await
        }
        Err(f) if matches!(f.code.as_str(), "VALIDATION" | "CONFLICT" | "BAD_REQUEST") => {
            let error = f.text(v.lang);
            team_page(&portal, &mut v, StatusCode::BAD_REQUEST, None, Some(error)).await
        }
        Err(f) => failed(&portal, &v, &f),
    }
}

#[derive(Deserialize)]
pub(super) struct UserForm {
    #[serde(default)]
    role: String,
    csrf: Option<String>,
}

/// `POST /app/team/{id}/role` and `POST /app/team/{id}/deactivate`.
pub(super) async fn change_role(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<UserForm>,
) -> Response {
    user_action(portal, peer, id, headers, form, false).await
}

pub(super) async fn deactivate(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<UserForm>,
) -> Response {
    user_action(portal, peer, id, headers, form, true).await
}

async fn user_action(
    portal: Arc<Portal>,
    peer: ConnectInfo<SocketAddr>,
    id: String,
    headers: HeaderMap,
    form: UserForm,
    deactivate: bool,
) -> Response {
    let mut v = Visitor::of(&portal, &headers, peer);
    if !form_ok(&portal, &mut v, &headers, form.csrf.as_deref()) {
        return refused(&portal, &v);
    }
    let result = if deactivate {
        v.run(
            &portal,
            "mutation($u: ID!) { deactivateUser(userId: $u) { id } }",
            json!({ "u": id }),
        )
        .await
    } else {
        v.run(
            &portal,
            "mutation($u: ID!, $r: Role!) { changeUserRole(userId: $u, role: $r) { id } }",
            json!({ "u": id, "r": form.role }),
        )
        .await
    };
    match result {
        Ok(_) => see_other(&v, "/app/team"),
        Err(f) if matches!(f.code.as_str(), "VALIDATION" | "CONFLICT" | "BAD_REQUEST") => {
            let error = f.text(v.lang);
            team_page(&portal, &mut v, StatusCode::BAD_REQUEST, None, Some(error)).await
        }
        Err(f) => failed(&portal, &v, &f),
    }
}
