//! Coalition pages. A brand sees its coalitions, answers invitations, reads its statements and
//! downloads them as CSV; a coalition operator sees its brands, invites more, sells prepaid
//! blocks, closes periods and records payments; a platform admin creates coalitions and
//! suspends or reactivates brands. Every figure is the API's, as the role may read it.

use std::{net::SocketAddr, sync::Arc};

use axum::{
    extract::{ConnectInfo, Path, State},
    http::HeaderMap,
    response::Response,
};
use serde_json::json;

use super::{
    Portal,
    dashboard::failed,
    render::{download, see_other},
    session::Visitor,
    view::View,
};

pub(super) static COALITIONS: View = View {
    template: "coalitions.html",
    queries: &[
        "{ coalitions { id name currency timezone brands { brandId brandName status billing } } }",
    ],
    lookups: &[],
};

pub(super) static COALITION: View = View {
    template: "coalition.html",
    queries: &["query($id: ID!) { coalition(id: $id) { id name currency timezone
        issuePricePer1000Minor redemptionValuePer1000Minor feePer1000IssuedMinor feeBasisPoints
        pointsValidityMonths crossBrandReferrals
        brands { brandId brandName brandSlug status earnPoints earnPerAmountMinor billing
            reservePoints invitedAt respondedAt leavesAt } } }",
        "query($id: ID!) { coalitionClubs(coalitionId: $id) { id name description archivedAt
            questions { label kind } brands { brandName members joins leaves } } }"],
    lookups: &[(
        "period",
        "query($id: ID!, $period: String!) { coalitionPeriod(coalitionId: $id, period: $period) {
            period startsAt endsAt closed closedAt currency operatorNetMinor breakagePoints lateEvents
            statements { id brandId brandName issuedPoints reversedPoints redeemedPoints
                prepaidPoints issuedValueMinor redeemedValueMinor prepaidValueMinor feesMinor
                netMinor lateEvents paidAt paymentReference }
            flows { brandName issuedPoints redeemedPoints } } }",
    )],
};

pub(super) static BRANDS: View = View {
    template: "brands.html",
    queries: &["{ brands(first: 100) { nodes { id slug name currency status createdAt } } }"],
    lookups: &[],
};

/// `GET /app/coalitions/{id}/periods/{period}/statements.csv`: the period's statements as
/// the API gives them (RFC 4180, amounts in minor units), as a download.
pub(super) async fn statements_csv(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Path((id, period)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let mut v = Visitor::of(&portal, &headers, peer);
    if !v.signed_in() {
        return see_other(&v, "/login");
    }
    let data = v
        .run(
            &portal,
            "query($id: ID!, $p: String!) { coalitionPeriod(coalitionId: $id, period: $p) { csv } }",
            json!({ "id": id, "p": period }),
        )
        .await;
    match data {
        Ok(d) => {
            let safe: String = period
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '-')
                .take(7)
                .collect();
            let csv = d["coalitionPeriod"]["csv"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            download(
                &v,
                "text/csv; charset=utf-8",
                &format!("statements-{safe}.csv"),
                csv,
            )
        }
        Err(f) => failed(&portal, &v, &f.for_path_id()),
    }
}
