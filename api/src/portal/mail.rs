//! Mail pages: sender settings and DKIM, the suppression list, templates with a live preview,
//! audiences with a live count and sample, campaigns (schedule in the brand's time zone, send,
//! pause, figures). Read pages are [`View`]s; their forms are [`super::act`] actions.
//!
//! The template preview is the API's `previewEmailTemplate` rendered into a sandboxed frame:
//! its document gets a policy of its own (no script, no network but images, an opaque origin)
//! so that a brand's HTML never runs with the portal's rights.

use std::{collections::HashMap, net::SocketAddr, sync::Arc};

use axum::{
    Json,
    body::Bytes,
    extract::{ConnectInfo, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use minijinja::context;
use serde_json::{Value, json};

use super::{
    Portal,
    act::Fields,
    auth::{PageQuery, form_ok, refused, visitor},
    dashboard::failed,
    render::see_other,
    session::Visitor,
    view::{View, gather, here},
};
use crate::core::{i18n::Lang, mail::templates::escape_html};

pub(super) static SETTINGS: View = View {
    template: "mail.html",
    queries: &[
        "{ mailSettings { fromName fromAddress replyTo marketingCapPerWeek sendRatePerMinute
            tracking noticeDays saved sendingProblem
            transactional { purpose enabled }
            dkim { selector domain algorithm } } }",
        "{ suppressions { email reason createdAt } }",
    ],
    lookups: &[],
};

pub(super) static TEMPLATES: View = View {
    template: "templates.html",
    queries: &["{ emailTemplates { id name purpose subject updatedAt } }"],
    lookups: &[],
};

pub(super) static TEMPLATE: View = View {
    template: "template.html",
    queries: &[
        "query($id: ID!) { emailTemplate(id: $id) { id name purpose subject html text updatedAt } }",
        "{ emailTemplateVariables }",
    ],
    lookups: &[],
};

pub(super) static CAMPAIGNS: View = View {
    template: "campaigns.html",
    queries: &[
        "{ campaigns { id name status scheduledAt createdAt
            stats { audienceSize sent failed opened clicked } } }",
        "{ emailTemplates { id name purpose } }",
        "{ segments { id name } }",
    ],
    lookups: &[],
};

pub(super) static CAMPAIGN: View = View {
    template: "campaign.html",
    queries: &[
        "query($id: ID!) { campaign(id: $id) { id name templateId status statusReason scheduledAt
            startedAt finishedAt createdAt holdoutPercent
            results(days: 30) { mailed mailedBuyers mailedRevenueMinor mailedConversionBp
                mailedRevenuePerMemberMinor control controlBuyers controlRevenueMinor
                controlConversionBp controlRevenuePerMemberMinor upliftBp upliftMarginBp
                incrementalRevenueMinor }
            stats { audienceSize queued sent failed interrupted bounced skipped heldOut unsubscribed
                opened clicked failedByReason { reason count } skippedByReason { reason count } } } }",
        "{ emailTemplates { id name } }",
    ],
    lookups: &[],
};

/// The audience filter of a form or a page's query: the fields the audience page offers,
/// all of them required together (an empty form is every member).
pub(super) fn filter_of(f: &Fields, lang: Lang) -> Result<Value, String> {
    let mut all = Vec::new();
    if let Some(segment) = f.opt("segment_id") {
        all.push(json!({ "segmentId": segment }));
    }
    if let Some(tier) = f.opt("tier") {
        all.push(json!({ "tier": tier }));
    }
    if let Some(program) = f.opt("program_id") {
        all.push(json!({ "programId": program }));
    }
    if let Some(points) = f.opt_int(
        "points_at_least",
        ("Points au moins", "Points at least"),
        lang,
    )? {
        all.push(json!({ "pointsAtLeast": points }));
    }
    if f.opt("purchased_after").is_some() {
        let at = f.day(
            "purchased_after",
            false,
            ("Dernier achat après", "Last purchase after"),
            lang,
        )?;
        all.push(json!({ "lastPurchaseAfter": at }));
    }
    if f.opt("no_purchase_since").is_some() {
        let at = f.day(
            "no_purchase_since",
            false,
            ("Sans achat depuis", "No purchase since"),
            lang,
        )?;
        all.push(json!({ "any": [ { "lastPurchaseBefore": at }, { "neverPurchased": true } ] }));
    }
    if f.checked("never_purchased") {
        all.push(json!({ "neverPurchased": true }));
    }
    if f.opt("enrolled_after").is_some() {
        let at = f.day(
            "enrolled_after",
            false,
            ("Inscrit après", "Enrolled after"),
            lang,
        )?;
        all.push(json!({ "enrolledAfter": at }));
    }
    Ok(json!({ "all": all }))
}

const AUDIENCE: &str = "query($f: AudienceFilterInput!) { audiencePreview(filter: $f) {
    matched mailable withoutEmailOrConsent suppressed sample { id email firstName } } }";

/// `GET /app/mail/audiences?…`: the filter form, the count and a sample.
pub(super) async fn audiences(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Query(q): Query<HashMap<String, String>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let mut v = visitor(&portal, &headers, peer, &PageQuery::of_map(&q));
    if !v.signed_in() {
        return see_other(&v, "/login");
    }
    let gathered = gather(
        &portal,
        &mut v,
        &[
            "{ segments { id name } }",
            "{ programs(first: 100) { nodes { id name } } }",
        ],
        &HashMap::new(),
    )
    .await;
    let (viewer, data) = match gathered {
        Ok(g) => g,
        Err(f) => return failed(&portal, &v, &f),
    };
    let (preview, error) = match filter_of(&Fields::of_query(&q).for_viewer(&viewer), v.lang) {
        Err(message) => (Value::Null, Some(message)),
        Ok(filter) => match v.run(&portal, AUDIENCE, json!({ "f": filter })).await {
            Ok(d) => (d["audiencePreview"].clone(), None),
            Err(f) if matches!(f.code.as_str(), "VALIDATION" | "NOT_FOUND") => {
                (Value::Null, Some(f.text(v.lang)))
            }
            Err(f) => return failed(&portal, &v, &f),
        },
    };
    let csrf = v.csrf(&portal);
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    portal.pages.page(
        &v,
        status,
        "audiences.html",
        context! {
            csrf => csrf, viewer => viewer, q => q, here => here(&uri),
            segments => data.get("segments"), programs => data.get("programs"),
            preview => preview, error => error,
        },
    )
}

/// `GET /app/mail/audiences/count?…`: the same count as JSON, for the page's script (the count
/// follows the form as it is typed).
pub(super) async fn audience_count(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut v = Visitor::of(&portal, &headers, peer);
    let fields = match super::dashboard::viewer(&portal, &mut v).await {
        Ok(viewer) => Fields::of_query(&q).for_viewer(&viewer),
        Err(_) => Fields::of_query(&q),
    };
    let result = match filter_of(&fields, v.lang) {
        Err(message) => Err((StatusCode::BAD_REQUEST, message)),
        Ok(filter) => match v.run(&portal, AUDIENCE, json!({ "f": filter })).await {
            Ok(d) => Ok(d["audiencePreview"].clone()),
            Err(f) => Err((
                match f.code.as_str() {
                    "UNAUTHENTICATED" => StatusCode::UNAUTHORIZED,
                    "FORBIDDEN" => StatusCode::FORBIDDEN,
                    "INTERNAL" => StatusCode::INTERNAL_SERVER_ERROR,
                    _ => StatusCode::BAD_REQUEST,
                },
                f.text(v.lang),
            )),
        },
    };
    let mut response = match result {
        Ok(preview) => Json(json!({
            "matched": preview["matched"], "mailable": preview["mailable"],
        }))
        .into_response(),
        Err((status, message)) => (status, Json(json!({ "error": message }))).into_response(),
    };
    super::render::add_cookies(&mut response, &v.cookies);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `POST /app/mail/preview`: the template being written (or a saved one), rendered for a member
/// found by e-mail, card or name (sample data when none is given), as a document for the
/// preview frame.
pub(super) async fn preview(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = Fields::parse(&body);
    let mut v = Visitor::of(&portal, &headers, peer);
    if !form_ok(&portal, &mut v, &headers, fields.opt("csrf").as_deref()) {
        return refused(&portal, &v);
    }
    let mut member = None;
    let mut shown_for = None;
    if let Some(who) = fields.opt("preview_member") {
        let found = v
            .run(
                &portal,
                "query($s: String) { members(first: 2, search: $s) { nodes { id email firstName lastName } } }",
                json!({ "s": who }),
            )
            .await;
        let nodes = match found {
            Ok(d) => d["members"]["nodes"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
            Err(f) => return frame_message(&v, &f.text(v.lang)),
        };
        // One member, or the one whose e-mail is exactly what was typed: never a guess.
        let exact = nodes.iter().find(|m| {
            m["email"]
                .as_str()
                .is_some_and(|e| e.eq_ignore_ascii_case(&who))
        });
        let chosen = exact.or_else(|| (nodes.len() == 1).then(|| nodes.first()).flatten());
        match chosen {
            Some(m) => {
                member = m["id"].as_str().map(str::to_owned);
                shown_for = Some(
                    [&m["firstName"], &m["lastName"], &m["email"]]
                        .iter()
                        .filter_map(|v| v.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                );
            }
            None => {
                let text = if nodes.is_empty() {
                    v.lang
                        .pick("Aucun membre ne correspond.", "No member matches.")
                } else {
                    v.lang.pick(
                        "Plusieurs membres correspondent : tapez l'e-mail complet ou le numéro de carte.",
                        "Several members match: type the whole e-mail or the card number.",
                    )
                };
                return frame_message(&v, text);
            }
        }
    }
    let rendered = v
        .run(
            &portal,
            "query($i: PreviewEmailInput!) { previewEmailTemplate(input: $i) { subject html text } }",
            json!({ "i": {
                "subject": fields.text("subject"), "html": fields.text("html"),
                "text": fields.text("text"), "memberId": member,
            } }),
        )
        .await;
    match rendered {
        Ok(d) => {
            let r = &d["previewEmailTemplate"];
            frame(
                &v,
                shown_for.as_deref(),
                r["subject"].as_str().unwrap_or_default(),
                r["html"].as_str().unwrap_or_default(),
                r["text"].as_str().unwrap_or_default(),
            )
        }
        // The frame cannot show the login page (it refuses framing): it says what to do.
        Err(f) if f.code == "UNAUTHENTICATED" || f.code == "RETRY" => frame_message(
            &v,
            v.lang.pick(
                "Votre session a pris fin : rechargez la page pour vous reconnecter.",
                "Your session ended: reload the page to sign in again.",
            ),
        ),
        Err(f) => frame_message(&v, &f.text(v.lang)),
    }
}

/// A sentence in the preview frame (no mail to show).
fn frame_message(v: &Visitor, text: &str) -> Response {
    let message = format!(
        "<p style=\"color:#a11d2d;font:14px system-ui,sans-serif\">{}</p>",
        escape_html(text)
    );
    frame(v, None, "", &message, "")
}

/// The preview frame's document: the subject, the brand's HTML as it will be sent, then the
/// text part. Its own policy: sandboxed (opaque origin, no script, no form), inline styles
/// allowed (mail HTML is styled inline), images from anywhere (as a mail reader would), shown
/// only inside the portal's own pages.
fn frame(v: &Visitor, shown_for: Option<&str>, subject: &str, html: &str, text: &str) -> Response {
    let subject_label = v.lang.pick("Objet :", "Subject:");
    let text_label = v.lang.pick("Version texte", "Text version");
    let for_label = v.lang.pick("Pour :", "For:");
    let who = shown_for.map_or_else(
        || v.lang.pick("données d'exemple", "sample data").to_owned(),
        str::to_owned,
    );
    let document = format!(
        "<!doctype html><meta charset=\"utf-8\">\
         <div style=\"font:14px system-ui,sans-serif;padding:8px;border-bottom:1px solid #ccc\">\
         <b>{for_label}</b> <span id=\"for\">{}</span><br>\
         <b>{subject_label}</b> <span id=\"subject\">{}</span></div>{html}\
         <hr><div style=\"font:13px system-ui,sans-serif;padding:8px\"><b>{text_label}</b>\
         <pre style=\"white-space:pre-wrap\">{}</pre></div>",
        escape_html(&who),
        escape_html(subject),
        escape_html(text),
    );
    let mut response = (StatusCode::OK, document).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; \
             frame-ancestors 'self'; base-uri 'none'; form-action 'none'",
        ),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}
