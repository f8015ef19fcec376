//! A brand's member space in the portal (`/m/<slug>/…`): sign up, sign in, the card (its number
//! as a QR code drawn by a library), points and what expires, history with reasons, vouchers;
//! sign out. Runs the API's member operations (`memberSignUp`, `memberLogin`, `me`) as the
//! member. The session cookie is scoped to the brand's path; an unknown or suspended brand
//! reads as not found.

use std::{net::SocketAddr, sync::Arc};

use axum::{
    Form,
    extract::{ConnectInfo, Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{
    Portal,
    auth::{PageQuery, form_ok, refused},
    render::see_other,
    session::Visitor,
};
use crate::core::i18n::Lang;

/// The brand of the space: its name and language, or `None` (not found).
pub(super) async fn brand_of(portal: &Portal, slug: &str) -> Option<entity::brand::Model> {
    crate::identity::brands::by_slug(&portal.deps.base.db, slug)
        .await
        .ok()
        .flatten()
        .filter(|b| b.status == entity::brand::BrandStatus::Active)
}

fn visitor(
    portal: &Portal,
    headers: &HeaderMap,
    peer: ConnectInfo<SocketAddr>,
    q: &PageQuery,
    brand: &entity::brand::Model,
) -> Visitor {
    let mut v = Visitor::member(portal, headers, peer, &brand.slug);
    match q.lang.as_deref().and_then(Lang::parse) {
        Some(lang) => v.choose_lang(lang),
        // The brand's language unless the visitor chose one.
        None if headers
            .get(axum::http::header::COOKIE)
            .and_then(|c| c.to_str().ok())
            .is_none_or(|c| !c.contains("fidelis_lang=")) =>
        {
            v.lang = Lang::of_locale(&brand.locale);
        }
        None => {}
    }
    v.flash = super::act::notice(q.done.as_deref(), v.lang);
    v
}

fn not_found(portal: &Portal, headers: &HeaderMap, peer: ConnectInfo<SocketAddr>) -> Response {
    let v = Visitor::of(portal, headers, peer);
    portal.pages.page(
        &v,
        StatusCode::NOT_FOUND,
        "message.html",
        context! { title => v.lang.pick("Introuvable", "Not found"),
                   message => v.lang.pick("Cet espace membre n'existe pas.", "This member space does not exist.") },
    )
}

fn brand_context(brand: &entity::brand::Model) -> Value {
    context! {
        name => brand.name.clone(), slug => brand.slug.clone(), currency => brand.currency.clone(),
        timezone => brand.timezone.clone(),
    }
}

/// `GET /m/{slug}/brand.css`: the brand's colour for its member space (a stylesheet of its own,
/// so the pages keep a policy without inline styles). Only a `#rrggbb` value is ever written.
pub(super) async fn brand_css(
    State(portal): State<Arc<Portal>>,
    Path(slug): Path<String>,
) -> Response {
    use axum::response::IntoResponse as _;
    let color = brand_of(&portal, &slug)
        .await
        .and_then(|b| b.accent_color)
        .filter(|c| {
            c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit())
        });
    let css = color.map_or_else(String::new, |c| {
        format!(":root {{ --accent: {c}; }}\n.logo {{ color: {c}; }}\n")
    });
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=300"),
        ],
        css,
    )
        .into_response()
}

#[derive(Deserialize, Serialize, Default)]
pub(super) struct MemberForm {
    #[serde(default)]
    email: String,
    #[serde(default, skip_serializing)]
    password: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    email_consent: Option<String>,
    /// A friend's referral code, carried from `?ref=`.
    #[serde(default)]
    referral: String,
    #[serde(default, skip_serializing)]
    csrf: Option<String>,
}

async fn form_page(
    portal: &Portal,
    v: &mut Visitor,
    brand: &entity::brand::Model,
    status: StatusCode,
    signup: bool,
    form: &MemberForm,
    error: Option<String>,
) -> Response {
    let csrf = v.csrf(portal);
    portal.pages.page(
        v,
        status,
        "member_access.html",
        context! { csrf => csrf, brand => brand_context(brand), signup => signup, form => form, error => error },
    )
}

/// `GET /m/{slug}/login` and `GET /m/{slug}/signup`.
pub(super) async fn login_form(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Path(slug): Path<String>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    access_form(portal, peer, slug, q, headers, false).await
}

pub(super) async fn signup_form(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Path(slug): Path<String>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    access_form(portal, peer, slug, q, headers, true).await
}

async fn access_form(
    portal: Arc<Portal>,
    peer: ConnectInfo<SocketAddr>,
    slug: String,
    q: PageQuery,
    headers: HeaderMap,
    signup: bool,
) -> Response {
    let Some(brand) = brand_of(&portal, &slug).await else {
        return not_found(&portal, &headers, peer);
    };
    let mut v = visitor(&portal, &headers, peer, &q, &brand);
    let form = MemberForm {
        referral: q
            .referral
            .as_deref()
            .map(crate::community::referrals::normalise_code)
            .unwrap_or_default(),
        ..MemberForm::default()
    };
    form_page(&portal, &mut v, &brand, StatusCode::OK, signup, &form, None).await
}

/// `POST /m/{slug}/login` and `POST /m/{slug}/signup`.
pub(super) async fn login(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Form(form): Form<MemberForm>,
) -> Response {
    access(portal, peer, slug, headers, form, false).await
}

pub(super) async fn signup(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Form(form): Form<MemberForm>,
) -> Response {
    access(portal, peer, slug, headers, form, true).await
}

async fn access(
    portal: Arc<Portal>,
    peer: ConnectInfo<SocketAddr>,
    slug: String,
    headers: HeaderMap,
    form: MemberForm,
    signup: bool,
) -> Response {
    let Some(brand) = brand_of(&portal, &slug).await else {
        return not_found(&portal, &headers, peer);
    };
    let mut v = visitor(&portal, &headers, peer, &PageQuery::default(), &brand);
    if !form_ok(&portal, &mut v, &headers, form.csrf.as_deref()) {
        return refused(&portal, &v);
    }
    let result = if signup {
        v.run_anonymous(
            &portal,
            "mutation($i: MemberSignUpInput!) { memberSignUp(input: $i) { accessToken expiresIn } }",
            json!({ "i": {
                "brandSlug": brand.slug, "email": form.email, "password": form.password,
                "firstName": (!form.first_name.trim().is_empty()).then(|| form.first_name.trim()),
                "emailConsent": form.email_consent.is_some(),
            } }),
        )
        .await
        .map(|d| d["memberSignUp"].clone())
    } else {
        v.run_anonymous(
            &portal,
            "mutation($i: MemberLoginInput!) { memberLogin(input: $i) { accessToken expiresIn } }",
            json!({ "i": { "brandSlug": brand.slug, "email": form.email, "password": form.password } }),
        )
        .await
        .map(|d| d["memberLogin"].clone())
    };
    match result {
        Ok(session) => {
            v.start_member_session(
                session["accessToken"].as_str().unwrap_or_default(),
                session["expiresIn"].as_u64().unwrap_or(0),
            );
            // Signed up with a friend's code: the referral page, where they confirm it.
            let referral = crate::community::referrals::normalise_code(&form.referral);
            if signup && !referral.is_empty() {
                see_other(&v, &format!("/m/{}/referral?ref={referral}", brand.slug))
            } else {
                see_other(&v, &format!("/m/{}/card", brand.slug))
            }
        }
        Err(f) => {
            let status = match f.code.as_str() {
                "RATE_LIMITED" => StatusCode::TOO_MANY_REQUESTS,
                "UNAUTHENTICATED" => StatusCode::UNAUTHORIZED,
                _ => StatusCode::BAD_REQUEST,
            };
            let error = f.text(v.lang);
            form_page(&portal, &mut v, &brand, status, signup, &form, Some(error)).await
        }
    }
}

/// The card number as a QR code (SVG, drawn by the qrcode crate).
fn qr_svg(number: &str) -> Option<String> {
    let code = qrcode::QrCode::new(number.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(180, 180)
        .quiet_zone(true)
        .build();
    // Inline in HTML: from the <svg> element on (no XML prolog).
    svg.find("<svg").map(|at| svg[at..].to_owned())
}

/// `GET /m/{slug}/card`: the member's card, balances, history and vouchers.
pub(super) async fn card(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Path(slug): Path<String>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    let Some(brand) = brand_of(&portal, &slug).await else {
        return not_found(&portal, &headers, peer);
    };
    let mut v = visitor(&portal, &headers, peer, &q, &brand);
    let login = format!("/m/{}/login", brand.slug);
    if !v.signed_in() {
        return see_other(&v, &login);
    }
    let me = match v
        .run(
            &portal,
            "{ me { firstName email cards { number status }
                points { programName available expiring { points expiresAt } }
                history(first: 20) { nodes { occurredAt reason points } }
                vouchers { code status kind amountMinor percent validUntil label } } }",
            json!({}),
        )
        .await
    {
        Ok(data) => data["me"].clone(),
        Err(f)
            if matches!(
                f.code.as_str(),
                "UNAUTHENTICATED" | "FORBIDDEN" | "NOT_FOUND"
            ) =>
        {
            v.end_session();
            return see_other(&v, &login);
        }
        Err(f) => return super::dashboard::failed(&portal, &v, &f),
    };
    let number = me["cards"]
        .as_array()
        .and_then(|cards| cards.iter().find(|c| c["status"] == "ACTIVE"))
        .and_then(|c| c["number"].as_str())
        .unwrap_or_default()
        .to_owned();
    let qr = qr_svg(&number).map(Value::from_safe_string);
    let csrf = v.csrf(&portal);
    portal.pages.page(
        &v,
        StatusCode::OK,
        "member_card.html",
        context! {
            csrf => csrf, brand => brand_context(&brand), me => me, number => number, qr => qr,
            member_nav => true,
        },
    )
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    csrf: Option<String>,
}

/// `POST /m/{slug}/logout`.
pub(super) async fn logout(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let Some(brand) = brand_of(&portal, &slug).await else {
        return not_found(&portal, &headers, peer);
    };
    let mut v = visitor(&portal, &headers, peer, &PageQuery::default(), &brand);
    if !form_ok(&portal, &mut v, &headers, form.csrf.as_deref()) {
        return refused(&portal, &v);
    }
    v.end_session();
    see_other(&v, &format!("/m/{}/login", brand.slug))
}

/// A page of the member space that only reads: its template and the member's queries.
pub(super) struct SpaceView {
    pub template: &'static str,
    pub queries: &'static [&'static str],
}

pub(super) static REWARDS: SpaceView = SpaceView {
    template: "member_rewards.html",
    queries: &[
        "{ me { points { programId programName available } } }",
        "{ rewards(activeOnly: true, first: 100) { nodes { id programId name description kind
            pointsCost amountMinor percent stockRemaining } } }",
        "{ programs(first: 50) { nodes { id name mechanic
            points { pointValueMinor minimumRedemptionPoints } } } }",
    ],
};

/// Offers running now, and the member's refund claims with a form to submit one (against a
/// purchase of their history or a receipt).
pub(super) static OFFERS: SpaceView = SpaceView {
    template: "member_offers.html",
    queries: &[
        "{ currentOffers { id name description kind endsAt skus categories amountMinor percent
            minimumBasketMinor claimDeadlineDays proofsNeeded voucherAmountMinor voucherPercent } }",
        "{ myRefundClaims { id offerId receiptReference receiptDate amountMinor status reason
            payoutReference paidOn createdAt } }",
        "{ me { history(first: 50) { nodes { causeType causeId reason occurredAt } } } }",
    ],
};

/// Contests open now (rules, prizes, a form to enter: free, with points, or the quiz), the
/// member's entries and prizes (claim before the deadline), and each drawn contest's public
/// record.
pub(super) static CONTESTS: SpaceView = SpaceView {
    template: "member_contests.html",
    queries: &[
        "{ currentContests { id name description kind phase closesAt freeEntry oddsOneIn prizesLeft
            purchaseMinimumMinor pointsPerEntry maxEntriesPerMember rulesVersion rulesText
            questions { question choices } tiebreakQuestion seedCommitment seed fairnessPath
            prizes { rank name quantity kind } } }",
        "{ myContestEntries { id contestId source createdAt withdrawnAt } }",
        "{ myContestWins { id contestId contestName status claimUntil claimedAt
            prize { name kind points voucherAmountMinor } } }",
    ],
};

/// The clubs the member is in, is invited to or may join, with a form per club (its profile
/// questions and the consent to keep the answers) and a way out.
pub(super) static CLUBS: SpaceView = SpaceView {
    template: "member_clubs.html",
    queries: &[
        "{ myClubs { club { id name description paid runByCoalition questions { key label kind choices } }
            place { status answers { key value } answersConsentAt } whyNot } }",
    ],
};

/// The coming events the member is invited to or may attend: answer yes or no, the waitlist
/// place, a seat to free.
pub(super) static EVENTS: SpaceView = SpaceView {
    template: "member_events.html",
    queries: &[
        "{ myEvents { event { id name description kind startsAt endsAt place seatsLeft
            rewardPoints } status invited waitlistPosition checkedIn } }",
    ],
};

/// The member's referral code and link, a form to give a friend's code (filled from `?ref=`
/// after a sign-up through a friend's link), and the people they referred.
pub(super) static REFERRAL: SpaceView = SpaceView {
    template: "member_referral.html",
    queries: &[
        "{ myReferral { code linkPath alsoAt { brandName linkPath } joinedWith { status expiresAt otherBrandName } referrals { status startedAt points otherBrandName } } }",
    ],
};

pub(super) static ACCOUNT: SpaceView = SpaceView {
    template: "member_account.html",
    queries: &[
        "{ me { id email phone firstName lastName birthDate
            emailConsent { granted at } smsConsent { granted at }
            memberships { id programName status periodEnd cancelledAt feesPaidMinor savingsMinor netSavingsMinor }
            stampCards { programName stamps stampsForReward }
            cashback { programName balanceMinor }
            storedValue { balanceMinor } offerDebtMinor
            tiers { programName name nextLevelName toNextLevel } } }",
        "{ myCoalitionCards { coalitionId cardNumber balance expiresAt } }",
    ],
};

/// The `GET` route of a [`SpaceView`].
pub(super) fn space_route<S>(view: &'static SpaceView) -> axum::routing::MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Arc<Portal>: axum::extract::FromRef<S>,
{
    axum::routing::get(
        move |State(portal): State<Arc<Portal>>,
              peer: ConnectInfo<SocketAddr>,
              Path(slug): Path<String>,
              Query(q): Query<PageQuery>,
              uri: axum::http::Uri,
              headers: HeaderMap| async move {
            space(&portal, view, &slug, &q, &uri, &headers, peer).await
        },
    )
}

async fn space(
    portal: &Portal,
    view: &SpaceView,
    slug: &str,
    q: &PageQuery,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    peer: ConnectInfo<SocketAddr>,
) -> Response {
    let Some(brand) = brand_of(portal, slug).await else {
        return not_found(portal, headers, peer);
    };
    let mut v = visitor(portal, headers, peer, q, &brand);
    let login = format!("/m/{}/login", brand.slug);
    if !v.signed_in() {
        return see_other(&v, &login);
    }
    let mut data = serde_json::Map::new();
    for query in view.queries {
        match v.run(portal, query, json!({})).await {
            Ok(serde_json::Value::Object(fields)) => data.extend(fields),
            Ok(_) => {}
            Err(f)
                if matches!(
                    f.code.as_str(),
                    "UNAUTHENTICATED" | "FORBIDDEN" | "NOT_FOUND"
                ) =>
            {
                v.end_session();
                return see_other(&v, &login);
            }
            Err(f) => return super::dashboard::failed(portal, &v, &f),
        }
    }
    let csrf = v.csrf(portal);
    portal.pages.page(
        &v,
        StatusCode::OK,
        view.template,
        context! {
            csrf => csrf, brand => brand_context(&brand), here => super::view::here(uri),
            member_nav => true, referral => q.referral.as_deref().map(crate::community::referrals::normalise_code),
            public_url => portal.deps.config.public_url.trim_end_matches('/'),
            ..Value::from_serialize(&data)
        },
    )
}

/// `GET /m/{slug}/my-data.json`: the member's own data export, as a download.
pub(super) async fn my_data(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(brand) = brand_of(&portal, &slug).await else {
        return not_found(&portal, &headers, peer);
    };
    let mut v = visitor(&portal, &headers, peer, &PageQuery::default(), &brand);
    let login = format!("/m/{}/login", brand.slug);
    if !v.signed_in() {
        return see_other(&v, &login);
    }
    match v.run(&portal, "{ myData }", json!({})).await {
        Ok(data) => {
            let body = serde_json::to_string_pretty(&data["myData"]).unwrap_or_default();
            super::render::download(&v, "application/json; charset=utf-8", "my-data.json", body)
        }
        Err(f)
            if matches!(
                f.code.as_str(),
                "UNAUTHENTICATED" | "FORBIDDEN" | "NOT_FOUND"
            ) =>
        {
            v.end_session();
            see_other(&v, &login)
        }
        Err(f) => super::dashboard::failed(&portal, &v, &f),
    }
}
