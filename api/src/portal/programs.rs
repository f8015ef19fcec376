//! Programs: the list, and a form that creates a points program (the API's `createProgram`).

use std::{net::SocketAddr, sync::Arc};

use axum::{
    Form,
    extract::{ConnectInfo, Query, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use minijinja::context;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{
    Portal,
    auth::{PageQuery, form_ok, refused, visitor},
    dashboard::{failed, viewer},
    render::see_other,
    session::Visitor,
};

/// `GET /app/programs`.
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
    let viewer = match viewer(&portal, &mut v).await {
        Ok(viewer) => viewer,
        Err(f) => return failed(&portal, &v, &f),
    };
    let programs = match v
        .run(
            &portal,
            "{ programs(first: 100) { nodes { id name mechanic status effectiveFrom
                points { points perAmountMinor minimumPurchaseMinor validityMonths } } } }",
            json!({}),
        )
        .await
    {
        Ok(data) => data["programs"]["nodes"].clone(),
        Err(f) => return failed(&portal, &v, &f),
    };
    let csrf = v.csrf(&portal);
    portal.pages.page(
        &v,
        StatusCode::OK,
        "programs.html",
        context! { csrf => csrf, viewer => viewer, programs => programs },
    )
}

/// The new points program form, as typed.
#[derive(Deserialize, Serialize, Default)]
pub(super) struct NewPointsProgram {
    #[serde(default)]
    name: String,
    /// Points given per `per_amount` of the currency's main unit.
    #[serde(default)]
    points: String,
    #[serde(default)]
    per_amount_minor: String,
    #[serde(default)]
    minimum_minor: String,
    #[serde(default)]
    validity_months: String,
    #[serde(default, skip_serializing)]
    csrf: Option<String>,
}

async fn new_page(
    portal: &Portal,
    v: &mut Visitor,
    status: StatusCode,
    form: &NewPointsProgram,
    error: Option<String>,
) -> Response {
    let viewer = match viewer(portal, v).await {
        Ok(viewer) => viewer,
        Err(f) => return failed(portal, v, &f),
    };
    let csrf = v.csrf(portal);
    portal.pages.page(
        v,
        status,
        "program_new.html",
        context! { csrf => csrf, viewer => viewer, form => form, error => error },
    )
}

/// `GET /app/programs/new`.
pub(super) async fn new_form(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    let mut v = visitor(&portal, &headers, peer, &q);
    if !v.signed_in() {
        return see_other(&v, "/login");
    }
    let form = NewPointsProgram {
        points: "1".to_owned(),
        per_amount_minor: "100".to_owned(),
        minimum_minor: "0".to_owned(),
        validity_months: "12".to_owned(),
        ..NewPointsProgram::default()
    };
    new_page(&portal, &mut v, StatusCode::OK, &form, None).await
}

/// `POST /app/programs/new`: a field that is not a whole number is refused here with its
/// name; everything else is the API's to check.
pub(super) async fn create(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<NewPointsProgram>,
) -> Response {
    let mut v = Visitor::of(&portal, &headers, peer);
    if !form_ok(&portal, &mut v, &headers, form.csrf.as_deref()) {
        return refused(&portal, &v);
    }
    let number = |raw: &str, label_fr: &str, label_en: &str| {
        // The API's Int is 32-bit: a larger number is refused here, by name.
        raw.trim().parse::<i32>().map_err(|_| match v.lang {
            crate::core::i18n::Lang::Fr => {
                format!("{label_fr} : un nombre entier (jusqu'à 2 147 483 647) est attendu.")
            }
            crate::core::i18n::Lang::En => {
                format!("{label_en}: a whole number (up to 2,147,483,647) is expected.")
            }
        })
    };
    let parsed = (|| {
        Ok::<_, String>(json!({
            "points": number(&form.points, "Points", "Points")?,
            "perAmountMinor": number(&form.per_amount_minor, "Par montant", "Per amount")?,
            "minimumPurchaseMinor": number(&form.minimum_minor, "Achat minimum", "Minimum purchase")?,
            "validityMonths": number(&form.validity_months, "Validité", "Validity")?,
        }))
    })();
    let rules = match parsed {
        Ok(rules) => rules,
        Err(message) => {
            return new_page(
                &portal,
                &mut v,
                StatusCode::BAD_REQUEST,
                &form,
                Some(message),
            )
            .await;
        }
    };
    let created = v
        .run(
            &portal,
            "mutation($i: CreateProgramInput!) { createProgram(input: $i) { id } }",
            json!({ "i": { "name": form.name, "rules": { "points": rules } } }),
        )
        .await;
    match created {
        Ok(_) => see_other(&v, "/app/programs"),
        Err(f) if matches!(f.code.as_str(), "VALIDATION" | "CONFLICT" | "BAD_REQUEST") => {
            let message = f.text(v.lang);
            new_page(
                &portal,
                &mut v,
                StatusCode::BAD_REQUEST,
                &form,
                Some(message),
            )
            .await
        }
        Err(f) => failed(&portal, &v, &f),
    }
}
