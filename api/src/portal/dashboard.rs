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
    charts,
    render::see_other,
    session::{Failure, Visitor},
};

/// What every page of the signed-in area shows in its header: who, for which brand, as which
/// role (the navigation follows the role).
pub(super) async fn viewer(portal: &Portal, v: &mut Visitor) -> Result<Value, Failure> {
    let data = v
        .run(
            portal,
            "{ viewer { role user { email } brand { id name slug currency locale timezone accentColor } } }",
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

/// The dashboard's period: the last `days` days of the brand's calendar, today included.
#[derive(serde::Deserialize, Default)]
pub(super) struct DashboardQuery {
    lang: Option<String>,
    days: Option<u16>,
}

const PERIODS: &[u16] = &[7, 30, 90, 365];

const STATISTICS: &str =
    "query($from: NaiveDate!, $to: NaiveDate!) { brandStatistics(from: $from, to: $to) {
    from to currency members pointsOutstanding memberCheckoutShareBasisPoints
    averageMemberBasketMinor averageAnonymousBasketMinor
    totals { enrolments memberPurchases anonymousPurchases memberRevenueMinor anonymousRevenueMinor
        pointsIssued pointsRedeemed pointsExpired }
    days { date enrolments memberPurchases anonymousPurchases memberRevenueMinor
        anonymousRevenueMinor pointsIssued pointsRedeemed pointsExpired } } }";

/// The figures and charts of the period, or nothing when the role may not read them.
async fn figures(
    portal: &Portal,
    v: &mut Visitor,
    viewer: &Value,
    days: u16,
) -> Result<minijinja::Value, Failure> {
    let Some(tz) = viewer["brand"]["timezone"]
        .as_str()
        .and_then(|t| t.parse::<chrono_tz::Tz>().ok())
    else {
        return Ok(minijinja::Value::from(()));
    };
    let today = portal.deps.base.clock.now().with_timezone(&tz).date_naive();
    let from = today - chrono::Days::new(u64::from(days.saturating_sub(1)));
    let data = match v
        .run(
            portal,
            STATISTICS,
            json!({ "from": from.to_string(), "to": today.to_string() }),
        )
        .await
    {
        Ok(data) => data["brandStatistics"].clone(),
        Err(f) if f.code == "FORBIDDEN" => return Ok(minijinja::Value::from(())),
        Err(f) => return Err(f),
    };
    let lang = v.lang;
    let currency =
        crate::core::types::Currency::parse("currency", data["currency"].as_str().unwrap_or("EUR"))
            .map_err(|e| Failure::from(&e))?;
    let list = data["days"].as_array().cloned().unwrap_or_default();
    let labels: Vec<String> = list
        .iter()
        .map(|d| {
            let date = d["date"].as_str().unwrap_or_default();
            // `2026-11-30` → `30/11` (French) or `30 Nov` (English).
            chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").map_or_else(
                |_| date.to_owned(),
                |d| d.format(lang.pick("%d/%m", "%-d %b")).to_string(),
            )
        })
        .collect();
    let column =
        |key: &str| -> Vec<i64> { list.iter().map(|d| d[key].as_i64().unwrap_or(0)).collect() };
    let money = move |minor: i64| crate::core::money::Money::new(minor, currency).display(lang);
    let count = |n: i64| n.to_string();
    let revenue = charts::lines(
        lang.pick("Chiffre d'affaires par jour", "Revenue per day"),
        &labels,
        &[
            charts::Series {
                name: lang.pick("Membres", "Members"),
                values: column("memberRevenueMinor"),
                color: charts::BLUE,
            },
            charts::Series {
                name: lang.pick("Clients anonymes", "Anonymous customers"),
                values: column("anonymousRevenueMinor"),
                color: charts::ORANGE,
            },
        ],
        &money,
    );
    let points = charts::lines(
        lang.pick("Points par jour", "Points per day"),
        &labels,
        &[
            charts::Series {
                name: lang.pick("Émis", "Issued"),
                values: column("pointsIssued"),
                color: charts::BLUE,
            },
            charts::Series {
                name: lang.pick("Utilisés", "Redeemed"),
                values: column("pointsRedeemed"),
                color: charts::GREEN,
            },
            charts::Series {
                name: lang.pick("Expirés", "Expired"),
                values: column("pointsExpired"),
                color: charts::ORANGE,
            },
        ],
        &count,
    );
    let activity = charts::lines(
        lang.pick(
            "Inscriptions et achats par jour",
            "Enrolments and purchases per day",
        ),
        &labels,
        &[
            charts::Series {
                name: lang.pick("Inscriptions", "Enrolments"),
                values: column("enrolments"),
                color: charts::GREEN,
            },
            charts::Series {
                name: lang.pick("Achats de membres", "Member purchases"),
                values: column("memberPurchases"),
                color: charts::BLUE,
            },
            charts::Series {
                name: lang.pick("Achats anonymes", "Anonymous purchases"),
                values: column("anonymousPurchases"),
                color: charts::ORANGE,
            },
        ],
        &count,
    );
    let share = data["memberCheckoutShareBasisPoints"]
        .as_i64()
        .map(|bp| format!("{}{}{} %", bp / 100, lang.pick(",", "."), (bp % 100) / 10));
    let safe = |svg: Option<String>| svg.map(minijinja::Value::from_safe_string);
    Ok(context! {
        stats => data, share => share, days => days, periods => PERIODS,
        revenue_chart => safe(revenue), points_chart => safe(points), activity_chart => safe(activity),
    })
}

/// `GET /app`.
pub(super) async fn dashboard(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Query(dq): Query<DashboardQuery>,
    headers: HeaderMap,
) -> Response {
    let q = PageQuery {
        lang: dq.lang.clone(),
        ..PageQuery::default()
    };
    let days = dq.days.filter(|d| PERIODS.contains(d)).unwrap_or(30);
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
        let figures = figures(&portal, &mut v, &viewer, days).await?;
        Ok((viewer, programs, members, mail, keys, team, figures))
    }
    .await;
    let (viewer, programs, members, mail, keys, team, figures) = match result {
        Ok(r) => r,
        Err(f) => return failed(&portal, &v, &f),
    };
    let count = |v: &Value, key: &str| v[key]["nodes"].as_array().map_or(0, Vec::len);
    // Each step is done when the API shows it; a step the role cannot see is not listed.
    let mut checklist = vec![context! {
        key => "brand", done => !viewer["brand"]["accentColor"].is_null(), href => "/app/settings",
        label => v.lang.pick(
            "Régler l'enseigne (nom, fuseau horaire, langue, couleur)",
            "Set up the brand (name, time zone, language, colour)",
        ),
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
            figures => figures,
        },
    )
}
