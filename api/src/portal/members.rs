//! Members: search (name, e-mail, phone, card), a member's page (profile, cards, points,
//! history with reasons) and the goodwill gesture form (the API's `grantGesture`, with its
//! limits and a reason). Another brand's member reads as not found, as in the API.

use std::{net::SocketAddr, sync::Arc};

use axum::{
    Form,
    extract::{ConnectInfo, Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use minijinja::context;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{
    Portal,
    auth::{form_ok, refused, visitor},
    dashboard::{failed, viewer},
    render::{download, see_other},
    session::Visitor,
};

#[derive(Deserialize, Default)]
pub(super) struct SearchQuery {
    q: Option<String>,
    lang: Option<String>,
    done: Option<String>,
}

/// `GET /app/members?q=…`.
pub(super) async fn list(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Query(q): Query<SearchQuery>,
    headers: HeaderMap,
) -> Response {
    let page_query = super::auth::PageQuery {
        lang: q.lang.clone(),
        token: None,
        done: q.done.clone(),
        referral: None,
    };
    let mut v = visitor(&portal, &headers, peer, &page_query);
    if !v.signed_in() {
        return see_other(&v, "/login");
    }
    let viewer = match viewer(&portal, &mut v).await {
        Ok(viewer) => viewer,
        Err(f) => return failed(&portal, &v, &f),
    };
    let search = q.q.unwrap_or_default();
    let members = match v
        .run(
            &portal,
            "query($s: String) { members(first: 50, search: $s) { nodes {
                id email phone firstName lastName createdAt cards { number status } } } }",
            json!({ "s": (!search.trim().is_empty()).then(|| search.trim().to_owned()) }),
        )
        .await
    {
        Ok(data) => data["members"]["nodes"].clone(),
        Err(f) => return failed(&portal, &v, &f),
    };
    let csrf = v.csrf(&portal);
    portal.pages.page(
        &v,
        StatusCode::OK,
        "members.html",
        context! { csrf => csrf, viewer => viewer, members => members, q => search },
    )
}

const MEMBER: &str = "query($id: ID!) { member(id: $id) {
    id email phone firstName lastName birthDate preferredStore createdAt enrolledVia
    emailConsent { granted at source } smsConsent { granted at source }
    cards { id number status createdAt }
    points { programId programName available debt expiring { points expiresAt } }
    cashback { programName balanceMinor debtMinor }
    stampCards { programName stamps stampsForReward stampsToNextReward }
    storedValue { programId balanceMinor }
    tiers { programName name nextLevelName toNextLevel qualifiedUntil }
    memberships { programName status periodEnd feesPaidMinor savingsMinor }
    vouchers { code kind amountMinor percent currency validUntil status label uses maxUses }
    offerDebtMinor household { id email firstName lastName cards { number status } }
    history(first: 50) { nodes { kind reason occurredAt points cashbackMinor stamps storedValueMinor } } } }";

const POINTS_PROGRAMS: &str = "{ programs(first: 100) { nodes { id name mechanic status } } }";

async fn member_page(
    portal: &Portal,
    v: &mut Visitor,
    id: &str,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
    form: &GestureForm,
) -> Response {
    let viewer = match viewer(portal, v).await {
        Ok(viewer) => viewer,
        Err(f) => return failed(portal, v, &f),
    };
    let member = match v.run(portal, MEMBER, json!({ "id": id })).await {
        Ok(data) => data["member"].clone(),
        Err(f) => return failed(portal, v, &f.for_path_id()),
    };
    let programs: Vec<Value> = match v.run(portal, POINTS_PROGRAMS, json!({})).await {
        Ok(data) => data["programs"]["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|p| p["mechanic"] == "POINTS")
            .collect(),
        Err(f) if f.code == "FORBIDDEN" => Vec::new(),
        Err(f) => return failed(portal, v, &f),
    };
    // Clubs: the member's places and the brand's open clubs (staff add members to them).
    let clubs = match v
        .run(
            portal,
            "query($id: ID!) { memberClubs(memberId: $id) { clubId status joinedAt } clubs { id name joinRule } }",
            json!({ "id": id }),
        )
        .await
    {
        Ok(data) => data,
        Err(f) if f.code == "FORBIDDEN" => Value::Null,
        Err(f) => return failed(portal, v, &f),
    };
    // Scores (owners and managers): left out for the others.
    let score = match v
        .run(
            portal,
            "query($id: ID!) { member(id: $id) { score { segment previousSegment segmentSince recencyDays frequency amountMinor categories r f m t scoredOn } } }",
            json!({ "id": id }),
        )
        .await
    {
        Ok(data) => data["member"]["score"].clone(),
        Err(f) if f.code == "FORBIDDEN" => Value::Null,
        Err(f) => return failed(portal, v, &f),
    };
    let csrf = v.csrf(portal);
    // A fresh key per form shown: a double submit (or a retry after a timeout) replays.
    let key = crate::core::auth::secrets::new_token();
    portal.pages.page(
        v,
        status,
        "member.html",
        context! {
            csrf => csrf, viewer => viewer, member => member, programs => programs,
            member_clubs => clubs["memberClubs"].clone(), clubs => clubs["clubs"].clone(),
            score => score,
            notice => notice, error => error, form => form, idempotency_key => key,
            here => format!("/app/members/{id}"),
        },
    )
}

/// `GET /app/members/{id}`.
pub(super) async fn show(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    Query(q): Query<super::auth::PageQuery>,
    headers: HeaderMap,
) -> Response {
    let mut v = visitor(&portal, &headers, peer, &q);
    if !v.signed_in() {
        return see_other(&v, "/login");
    }
    member_page(
        &portal,
        &mut v,
        &id,
        StatusCode::OK,
        None,
        None,
        &GestureForm::default(),
    )
    .await
}

#[derive(Deserialize, Serialize, Default)]
pub(super) struct GestureForm {
    #[serde(default)]
    program_id: String,
    #[serde(default)]
    points: String,
    #[serde(default)]
    reason: String,
    #[serde(default, skip_serializing)]
    idempotency_key: String,
    #[serde(default, skip_serializing)]
    csrf: Option<String>,
}

/// `POST /app/members/{id}/gesture`: points given as a goodwill gesture, with the reason.
pub(super) async fn gesture(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<GestureForm>,
) -> Response {
    let mut v = Visitor::of(&portal, &headers, peer);
    if !form_ok(&portal, &mut v, &headers, form.csrf.as_deref()) {
        return refused(&portal, &v);
    }
    let Ok(points) = form.points.trim().parse::<i64>() else {
        let message = v
            .lang
            .pick(
                "Points : un nombre entier est attendu.",
                "Points: a whole number is expected.",
            )
            .to_owned();
        return member_page(
            &portal,
            &mut v,
            &id,
            StatusCode::BAD_REQUEST,
            None,
            Some(message),
            &form,
        )
        .await;
    };
    let granted = v
        .run(
            &portal,
            "mutation($i: GrantGestureInput!) { grantGesture(input: $i) { id } }",
            json!({ "i": {
                "memberId": id, "kind": "POINTS", "points": points,
                "programId": (!form.program_id.is_empty()).then_some(&form.program_id),
                "reason": form.reason, "idempotencyKey": form.idempotency_key,
            } }),
        )
        .await;
    match granted {
        Ok(_) => {
            let notice = match v.lang {
                crate::core::i18n::Lang::Fr => format!("{points} point(s) offert(s)."),
                crate::core::i18n::Lang::En => format!("{points} point(s) given."),
            };
            member_page(
                &portal,
                &mut v,
                &id,
                StatusCode::OK,
                Some(notice),
                None,
                &GestureForm::default(),
            )
            .await
        }
        Err(f)
            if matches!(
                f.code.as_str(),
                "VALIDATION" | "CONFLICT" | "LIMIT_EXCEEDED"
            ) =>
        {
            let message = f.text(v.lang);
            member_page(
                &portal,
                &mut v,
                &id,
                StatusCode::BAD_REQUEST,
                None,
                Some(message),
                &form,
            )
            .await
        }
        Err(f) => failed(&portal, &v, &f),
    }
}

/// `GET /app/members/{id}/export.json`: everything Fidelis holds about the member (the API's
/// `exportMemberData`, owners and managers), as a download.
pub(super) async fn export(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut v = Visitor::of(&portal, &headers, peer);
    if !v.signed_in() {
        return see_other(&v, "/login");
    }
    match v
        .run(
            &portal,
            "query($id: ID!) { exportMemberData(memberId: $id) }",
            json!({ "id": id }),
        )
        .await
    {
        Ok(data) => {
            let body = serde_json::to_string_pretty(&data["exportMemberData"]).unwrap_or_default();
            let safe: String = id
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(40)
                .collect();
            download(
                &v,
                "application/json; charset=utf-8",
                &format!("member-{safe}.json"),
                body,
            )
        }
        Err(f) => failed(&portal, &v, &f.for_path_id()),
    }
}
