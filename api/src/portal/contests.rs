//! Contests and referrals in the portal. Contests: the list and a form per kind (draw, instant win, quiz) for owners and
//! managers; a contest's page with its prizes, rules versions, fairness data (commitment, list
//! hash, seed, link to the public record), figures, winners to hand prizes to, the draw and the
//! audit trail, and CSV exports of entries and winners. Members enter and claim in their space
//! ([`super::member`]). Referrals: the brand's rules, figures, top referrers and the latest
//! referrals; members read their code and give a friend's in their space.

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

pub(super) static CONTESTS: View = View {
    template: "contests.html",
    queries: &[
        "{ contests { id name kind phase opensAt closesAt freeEntry purchaseMinimumMinor
            pointsPerEntry entryCount } }",
        "{ contestFigures: contests { id figures { entries participants winners claimed } } }",
        "{ programs(first: 50) { nodes { id name mechanic } } }",
    ],
    lookups: &[],
};

pub(super) static REFERRALS: View = View {
    template: "referrals.html",
    queries: &[
        "{ referralPolicy { enabled programId referrerPoints referrerVoucherMinor refereePoints
            refereeVoucherMinor voucherValidDays minimumPurchaseMinor windowDays capPerReferrer
            capPeriodDays } }",
        "{ referralFigures { started converted capped expired reversed pointsGiven vouchersGiven
            topReferrers { memberId converted } } }",
        "{ referrals { id referrerId refereeId referrerBrandName refereeBrandName status startedAt expiresAt referrerPoints
            refereePoints referrerVoucherId refereeVoucherId } }",
        "{ programs(first: 50) { nodes { id name mechanic } } }",
    ],
    lookups: &[],
};

pub(super) static CONTEST: View = View {
    template: "contest.html",
    queries: &[
        "query($id: ID!) { contest(id: $id) { id name description kind phase opensAt closesAt
            freeEntry purchaseMinimumMinor pointsPerEntry maxEntriesPerMember tierNames
            questions { question choices answer } tiebreakQuestion tiebreakAnswer claimDays
            unclaimed rulesVersion rulesText rulesVersions { version text createdAt }
            seedCommitment entryListHash entryCount seed drawnAt cancelledAt fairnessPath
            oddsOneIn prizesLeft prizes { rank name quantity kind points voucherAmountMinor voucherValidDays } } }",
        "query($id: ID!) { contestManaged: contest(id: $id) { figures { entries withdrawn
            participants winners claimed lapsed }
            winners { id memberId position topUp status claimUntil claimedAt prize { rank name kind } }
            audit { kind at memberId details } } }",
    ],
    lookups: &[],
};

/// `GET /app/contests/{id}/entries.csv`.
pub(super) async fn entries_csv(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    export(
        &portal,
        Visitor::of(&portal, &headers, peer),
        &id,
        Csv::Entries,
    )
    .await
}

/// `GET /app/contests/{id}/winners.csv`.
pub(super) async fn winners_csv(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    export(
        &portal,
        Visitor::of(&portal, &headers, peer),
        &id,
        Csv::Winners,
    )
    .await
}

enum Csv {
    Entries,
    Winners,
}

async fn export(portal: &Portal, mut v: Visitor, id: &str, which: Csv) -> Response {
    if !v.signed_in() {
        return see_other(&v, "/login");
    }
    let (query, field, name) = match which {
        Csv::Entries => (
            "query($id: ID!) { contest(id: $id) { entriesCsv } }",
            "entriesCsv",
            "contest-entries.csv",
        ),
        Csv::Winners => (
            "query($id: ID!) { contest(id: $id) { winnersCsv } }",
            "winnersCsv",
            "contest-winners.csv",
        ),
    };
    match v.run(portal, query, json!({ "id": id })).await {
        Ok(d) => download(
            &v,
            "text/csv; charset=utf-8",
            name,
            d["contest"][field].as_str().unwrap_or_default().to_owned(),
        ),
        Err(f) => failed(portal, &v, &f.for_path_id()),
    }
}
