//! API keys: the list, a form that creates one (its secret shown once, on the page that
//! answers the form, never again), and revocation. Owners only, as in the API.

use std::{net::SocketAddr, sync::Arc};

use axum::body::Bytes;
use axum::{
    extract::{ConnectInfo, Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use minijinja::context;
use serde_json::{Value, json};

use super::{
    Portal,
    auth::{PageQuery, form_ok, refused, visitor},
    dashboard::{failed, viewer},
    render::see_other,
    session::Visitor,
};

/// The scopes a key may hold, as the API names them, with what they allow.
const SCOPES: &[(&str, &str, &str)] = &[
    (
        "MEMBERS_READ",
        "Consulter les membres et les cartes",
        "Look up members and cards",
    ),
    (
        "MEMBERS_WRITE",
        "Inscrire des membres et modifier leur profil",
        "Enrol members and update their profile",
    ),
    (
        "PURCHASES_WRITE",
        "Enregistrer achats et retours",
        "Record purchases and returns",
    ),
    (
        "REWARDS_REDEEM",
        "Utiliser points, bons et récompenses",
        "Redeem points, vouchers and rewards",
    ),
    (
        "OFFERS_READ",
        "Lister les offres et le catalogue",
        "List offers and the reward catalog",
    ),
    (
        "HISTORY_IMPORT",
        "Importer un historique d'achats ancien",
        "Import old purchase history",
    ),
];

async fn keys_page(
    portal: &Portal,
    v: &mut Visitor,
    status: StatusCode,
    created: Value,
    error: Option<String>,
) -> Response {
    let viewer = match viewer(portal, v).await {
        Ok(viewer) => viewer,
        Err(f) => return failed(portal, v, &f),
    };
    let keys = match v
        .run(
            portal,
            "{ apiKeys(first: 100) { nodes { id name clientId scopes createdAt lastUsedAt active } } }",
            json!({}),
        )
        .await
    {
        Ok(data) => data["apiKeys"]["nodes"].clone(),
        Err(f) => return failed(portal, v, &f),
    };
    let scopes: Vec<_> = SCOPES
        .iter()
        .map(|(code, fr, en)| context! { code => code, label => v.lang.pick(fr, en) })
        .collect();
    let csrf = v.csrf(portal);
    portal.pages.page(
        v,
        status,
        "keys.html",
        context! {
            csrf => csrf, viewer => viewer, keys => keys, scopes => scopes,
            created => created, error => error,
            idempotency_key => crate::core::auth::secrets::new_token(),
        },
    )
}

/// `GET /app/keys`.
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
    keys_page(&portal, &mut v, StatusCode::OK, Value::Null, None).await
}

/// The posted form: `name`, `scope` (repeated), `csrf`, `idempotency_key`. Read by hand
/// because a repeated field is a list (serde_urlencoded's `Form` takes the last one only).
fn parse_form(body: &[u8]) -> (String, Vec<String>, Option<String>, String) {
    let (mut name, mut scopes, mut csrf, mut key) =
        (String::new(), Vec::new(), None, String::new());
    for (k, value) in form_urlencoded::parse(body) {
        match k.as_ref() {
            "name" => name = value.into_owned(),
            "scope" => scopes.push(value.into_owned()),
            "csrf" => csrf = Some(value.into_owned()),
            "idempotency_key" => key = value.into_owned(),
            _ => {}
        }
    }
    (name, scopes, csrf, key)
}

/// `POST /app/keys`: creates the key and shows its secret once.
pub(super) async fn create(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut v = Visitor::of(&portal, &headers, peer);
    let (name, scopes, csrf, key) = parse_form(&body);
    if !form_ok(&portal, &mut v, &headers, csrf.as_deref()) {
        return refused(&portal, &v);
    }
    let created = v
        .run(
            &portal,
            "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) {
                apiKey { id name clientId scopes } clientSecret } }",
            json!({ "i": { "name": name, "scopes": scopes,
                           "idempotencyKey": (!key.is_empty()).then_some(key) } }),
        )
        .await;
    match created {
        Ok(data) => {
            keys_page(
                &portal,
                &mut v,
                StatusCode::OK,
                data["createApiKey"].clone(),
                None,
            )
            .await
        }
        Err(f) if matches!(f.code.as_str(), "VALIDATION" | "CONFLICT") => {
            let message = f.text(v.lang);
            keys_page(
                &portal,
                &mut v,
                StatusCode::BAD_REQUEST,
                Value::Null,
                Some(message),
            )
            .await
        }
        Err(f) => failed(&portal, &v, &f),
    }
}

/// `POST /app/keys/{id}/revoke`.
pub(super) async fn revoke(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut v = Visitor::of(&portal, &headers, peer);
    let (_, _, csrf, _) = parse_form(&body);
    if !form_ok(&portal, &mut v, &headers, csrf.as_deref()) {
        return refused(&portal, &v);
    }
    match v
        .run(
            &portal,
            "mutation($id: ID!) { revokeApiKey(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await
    {
        Ok(_) => see_other(&v, "/app/keys"),
        Err(f) => failed(&portal, &v, &f),
    }
}
