//! The dashboard: the onboarding checklist (brand settings, first program, mail sender, first API
//! key, the team) until it is done, the programs and the latest members. Each section is its own
//! GraphQL operation run as the signed-in person: a section their role may not read is left out,
//! not shown empty.

use std::{net::SocketAddr, sync::Arc};

use axum::{
    extract::{ConnectInfo, Query, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use minijinja::context;
use serde_json::{Value, json};

use super::{
    Portal,
    auth::{PageQuery, visitor},
    render::see_other,
    session::{Failure, Visitor},
};

/// What every page of the signed-in area shows in its header: who, for which brand, as which
/// role (the navigation follows the role).
pub(super) async fn viewer(portal: &Portal, v: &mut Visitor) -> Result<Value, Failure> {
    let data = v
        .run(
            portal,
            "{ viewer { role user { email } brand { id name slug currency locale } } }",
            json!({}),
        )
        .await?;
    Ok(data["viewer"].clone())
}

/// An optional section: its data, or nothing when the role may not read it.
async fn section(portal: &Portal, v: &mut Visitor, query: &'static str) -> Result<Value, Failure> {
    match v.run(portal, query, json!({})).await {
        Ok(data) => Ok(data),
        Err(f) if f.code == "FORBIDDEN" => Ok(Value::Null),
        Err(f) => Err(f),
    }
}

/// The page for a failure in the signed-in area: the login form when the session is gone.
pub(super) fn failed(portal: &Portal, v: &Visitor, f: &Failure) -> Response {
    if f.code == "UNAUTHENTICATED" {
        return see_other(v, "/login");
    }
    if f.code == "RETRY" {
        return portal.pages.page(
            v,
            StatusCode::CONFLICT,
            "message.html",
            context! {
                title => "Fidelis",
                message => v.lang.pick(
                    "Votre session vient d'être renouvelée dans un autre onglet : rechargez la page.",
                    "Your session was just renewed in another tab: reload the page.",
                ),
                reload => true,
            },
        );
    }
    let status = match f.code.as_str() {
        "NOT_FOUND" => StatusCode::NOT_FOUND,
        "FORBIDDEN" => StatusCode::FORBIDDEN,
        "INTERNAL" => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    portal.pages.page(
        v,
        status,
        "message.html",
        context! { title => "Fidelis", message => f.text(v.lang) },
    )
}

/// `GET /app`.
pub(super) async fn dashboard(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    let mut v = visitor(&portal, &headers, peer, &q);
    if !v.signed_in() {
        return see_other(&v, "/login");
    }
    let result: Result<_, Failure> = async {
        let viewer = viewer(&portal, &mut v).await?;
        let programs = section(
            &portal,
            &mut v,
            "{ programs(first: 50) { nodes { id name mechanic status } } }",
        )
        .await?;
        let members = section(
            &portal,
            &mut v,
            "{ members(first: 5) { nodes { id email firstName lastName createdAt } } }",
        )
        .await?;
        let mail = section(&portal, &mut v, "{ mailSettings { saved fromAddress } }").await?;
        let keys = section(&portal, &mut v, "{ apiKeys(first: 1) { nodes { id } } }").await?;
        let team = section(&portal, &mut v, "{ users(first: 2) { nodes { id } } }").await?;
        Ok((viewer, programs, members, mail, keys, team))
    }
    .await;
    let (viewer, programs, members, mail, keys, team) = match result {
        Ok(r) => r,
        Err(f) => return failed(&portal, &v, &f),
    };
    let count = |v: &Value, key: &str| v[key]["nodes"].as_array().map_or(0, Vec::len);
    // Each step is done when the API shows it; a step the role cannot see is not listed.
    let mut checklist = vec![context! {
        key => "brand", done => true, href => "/app",
        label => v.lang.pick("Créer l'enseigne", "Create the brand"),
    }];
    if !programs.is_null() {
        checklist.push(context! {
            key => "program", done => count(&programs, "programs") > 0, href => "/app/programs/new",
            label => v.lang.pick("Créer un premier programme", "Create a first program"),
        });
    }
    if !mail.is_null() {
        checklist.push(context! {
            key => "mail", done => mail["mailSettings"]["saved"].as_bool().unwrap_or(false),
            href => "/app/mail",
            label => v.lang.pick("Régler l'expéditeur des e-mails", "Set up the mail sender"),
        });
    }
    if !keys.is_null() {
        checklist.push(context! {
            key => "key", done => count(&keys, "apiKeys") > 0, href => "/app/keys",
            label => v.lang.pick("Créer une première clé d'API", "Create a first API key"),
        });
    }
    if !team.is_null() {
        checklist.push(context! {
            key => "team", done => count(&team, "users") > 1, href => "/app/team",
            label => v.lang.pick("Inviter l'équipe", "Invite the team"),
        });
    }
    let onboarding_done = checklist
        .iter()
        .all(|step| step.get_attr("done").is_ok_and(|d| d.is_true()));
    let csrf = v.csrf(&portal);
    portal.pages.page(
        &v,
        StatusCode::OK,
        "dashboard.html",
        context! {
            csrf => csrf,
            viewer => viewer,
            checklist => checklist,
            onboarding_done => onboarding_done,
            programs => programs["programs"]["nodes"].clone(),
            can_programs => !programs.is_null(),
            members => members["members"]["nodes"].clone(),
            can_members => !members.is_null(),
        },
    )
}
