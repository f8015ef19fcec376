//! Customer knowledge in the portal: the brand's scoring segments and how many members each
//! holds, the movements since a day, the scoring settings (owners and managers).

use super::view::View;

pub(super) static INSIGHTS: View = View {
    template: "insights.html",
    queries: &["{ scoring { windowDays customSegments lastRunOn membersScored
        thresholds { recencyDays frequency amountMinor categories }
        segments { key name minR maxR minF maxF minM maxM minT maxT enrolledWithinDays bought members } } }"],
    lookups: &[(
        "from",
        "query($from: NaiveDate!) { segmentMovements(from: $from) { from to members } }",
    )],
};

use std::{collections::HashMap, net::SocketAddr, sync::Arc};

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
    dashboard::{failed, viewer},
    render::{download, see_other},
};

const KPIS: &str = "query($from: NaiveDate, $to: NaiveDate, $g: KpiGranularity, $store: String, $channel: KpiChannel) {
    kpis(from: $from, to: $to, granularity: $g, store: $store, channel: $channel) { from to currency timezone pointsOutstanding cashbackOutstandingMinor storedValueOutstandingMinor
        periods { ...K } total { ...K } previous { ...K } } }
    fragment K on KpiPeriod { from to memberCheckouts anonymousCheckouts memberRevenueMinor
        anonymousRevenueMinor cardCheckoutShareBp cardHolderRateBp averageMemberBasketMinor
        averageAnonymousBasketMinor activeMembers enrolments purchasesPerMemberPerYearMilli
        relationshipDays customerLifetimeValueMinor retentionBp attritionBp pointsIssued
        pointsRedeemed pointsExpired redemptionRateBp breakageBp offerDiscountMinor }";

const OBJECTIVES: &str = "{ objectives { id name kpi baseline target startsOn endsOn actual
    expected onTrack months { from to actual expected } } }";

/// The range asked in the query string: `from`, `to` (days; by default the API's: the twelve
/// months to the brand's today) and `g` (DAY, WEEK, MONTH; default MONTH).
fn range(q: &HashMap<String, String>) -> Value {
    let day = |k: &str| q.get(k).filter(|d| !d.trim().is_empty()).cloned();
    let g = match q.get("g").map(String::as_str) {
        Some("DAY") => "DAY",
        Some("WEEK") => "WEEK",
        _ => "MONTH",
    };
    let channel = match q.get("channel").map(String::as_str) {
        Some("IN_STORE") => Some("IN_STORE"),
        Some("ONLINE") => Some("ONLINE"),
        Some("MOBILE_APP") => Some("MOBILE_APP"),
        _ => None,
    };
    json!({ "from": day("from"), "to": day("to"), "g": g, "store": day("store"), "channel": channel })
}

/// `GET /app/insights/kpis`: the KPIs over a range, with the range before, and the objectives.
pub(super) async fn kpis(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut v = visitor(&portal, &headers, peer, &PageQuery::of_map(&q));
    if !v.signed_in() {
        return see_other(&v, "/login");
    }
    let viewer = match viewer(&portal, &mut v).await {
        Ok(viewer) => viewer,
        Err(f) => return failed(&portal, &v, &f),
    };
    let asked = range(&q);
    let (report, error) = match v.run(&portal, KPIS, asked.clone()).await {
        Ok(data) => (data["kpis"].clone(), None),
        Err(f) if f.code == "VALIDATION" => (Value::Null, Some(f.text(v.lang))),
        Err(f) => return failed(&portal, &v, &f),
    };
    let objectives = match v.run(&portal, OBJECTIVES, json!({})).await {
        Ok(data) => data["objectives"].clone(),
        Err(f) => return failed(&portal, &v, &f),
    };
    let csrf = v.csrf(&portal);
    let (from, to) = (report["from"].clone(), report["to"].clone());
    let g = asked["g"].clone();
    let (store, channel) = (asked["store"].clone(), asked["channel"].clone());
    let here = format!(
        "/app/insights/kpis?from={}&to={}&g={}&store={}&channel={}",
        from.as_str().unwrap_or_default(),
        to.as_str().unwrap_or_default(),
        g.as_str().unwrap_or_default(),
        form_urlencoded::byte_serialize(store.as_str().unwrap_or_default().as_bytes())
            .collect::<String>(),
        channel.as_str().unwrap_or_default()
    );
    portal.pages.page(
        &v,
        StatusCode::OK,
        "kpis.html",
        context! {
            csrf => csrf, viewer => viewer, report => report, error => error,
            objectives => objectives, from => from, to => to, g => g, here => here,
            store => store, channel => channel,
        },
    )
}

/// `GET /app/insights/kpis.csv`: the same range's periods as CSV.
pub(super) async fn kpis_csv(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut v = visitor(&portal, &headers, peer, &PageQuery::of_map(&q));
    if !v.signed_in() {
        return see_other(&v, "/login");
    }
    match v
        .run(
            &portal,
            "query($from: NaiveDate, $to: NaiveDate, $g: KpiGranularity, $store: String, $channel: KpiChannel) { kpis(from: $from, to: $to, granularity: $g, store: $store, channel: $channel) { from to csv } }",
            range(&q),
        )
        .await
    {
        Ok(d) => download(
            &v,
            "text/csv; charset=utf-8",
            &format!(
                "kpis-{}-{}.csv",
                d["kpis"]["from"].as_str().unwrap_or_default(),
                d["kpis"]["to"].as_str().unwrap_or_default()
            ),
            d["kpis"]["csv"].as_str().unwrap_or_default().to_owned(),
        ),
        Err(f) => failed(&portal, &v, &f),
    }
}
