//! Programs: the list; new programs of every mechanic (the API's `createProgram`); a program's
//! page with its rules form (saved with `updateProgramRules`, in force from now) and the "what
//! would this basket earn" preview (`previewEarning`), under the rules in force or under the
//! rules being typed, before saving.

use std::{collections::HashMap, net::SocketAddr, sync::Arc};

use axum::{
    body::Bytes,
    extract::{ConnectInfo, Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use minijinja::context;
use serde_json::{Value, json};

use super::{
    Portal,
    act::Fields,
    auth::{PageQuery, form_ok, refused, visitor},
    dashboard::{failed, viewer},
    render::see_other,
    rules,
    session::{Failure, Visitor},
    view::gather,
};
use crate::core::types::Currency;

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

/// `GET /app/programs/new`: the points program's form (the onboarding checklist's link).
pub(super) async fn new_form(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    let v = visitor(&portal, &headers, peer, &q);
    see_other(&v, "/app/programs/new/POINTS")
}

/// A program with the whole of its rules in force, in the shape `RulesInput` takes back.
const PROGRAM: &str = concat!(
    "query($id: ID!) { program(id: $id) { id name mechanic status effectiveFrom createdAt ",
    "points { points perAmountMinor rounding earningBase minimumPurchaseMinor ",
    "categoryMultipliers { category percent } bonusPeriods { label startsAt endsAt percent } ",
    "welcomeBonus birthdayBonus validityMonths pointValueMinor minimumRedemptionPoints ",
    "tiers { basis windowMonths baseName levels { name threshold multiplierPercent perks } } } ",
    "cashback { rateBasisPoints rounding earningBase minimumPurchaseMinor ",
    "categoryMultipliers { category percent } refundOnReturn ",
    "tiers { basis windowMonths baseName levels { name threshold multiplierPercent perks } } } ",
    "stamps { stampsPerPurchase category minimumPurchaseMinor stampsForReward rewardLabel ",
    "rewardAmountMinor rewardPercent rewardValidityDays } ",
    "storedValue { maxBalanceMinor minTopUpMinor } ",
    "membership { feeMinor period discountPercent pointsMultiplierPercent perks } } }"
);

const PREVIEW: &str = "query($i: PreviewEarningInput!) { previewEarning(input: $i) {
    earning { points cashbackMinor stamps expiresAt } step { applied note points amountMinor } } }";

fn currency_of(viewer: &Value) -> Currency {
    Currency::parse(
        "currency",
        viewer["brand"]["currency"].as_str().unwrap_or("EUR"),
    )
    .unwrap_or_else(|_| Currency::parse("currency", "EUR").unwrap_or_else(|_| unreachable!()))
}

/// What the page shows of a program, its rules form, and a preview when one was asked for.
struct ProgramPage<'a> {
    status: StatusCode,
    typed: Option<&'a Fields>,
    preview: Value,
    error: Option<String>,
}

async fn program_page(
    portal: &Portal,
    v: &mut Visitor,
    id: &str,
    basket: Option<(&Fields, Option<Value>)>,
    page: ProgramPage<'_>,
) -> Response {
    let gathered = gather(
        portal,
        v,
        &[PROGRAM],
        &HashMap::from([("id".to_owned(), id.to_owned())]),
    )
    .await;
    let (viewer, data) = match gathered {
        Ok(g) => g,
        Err(f) => return failed(portal, v, &f),
    };
    let program = data.get("program").cloned().unwrap_or(Value::Null);
    let mechanic = program["mechanic"].as_str().unwrap_or_default().to_owned();
    let currency = currency_of(&viewer);
    let key = rules::input_key(&mechanic).unwrap_or("points");
    let rows = rules::rows(&mechanic, &program[key], page.typed, currency, v.lang);
    let mut preview = page.preview;
    let mut error = page.error;
    let typed_basket = basket
        .as_ref()
        .map(|(f, _)| (f.text("basket_total"), f.text("basket_category")));
    if let Some((form, unsaved)) = basket {
        match preview_basket(portal, v, id, form, unsaved, currency).await {
            Ok(p) => preview = p,
            Err(message) => error = Some(message),
        }
    }
    let csrf = v.csrf(portal);
    let status = if error.is_some() && page.status == StatusCode::OK {
        StatusCode::BAD_REQUEST
    } else {
        page.status
    };
    portal.pages.page(
        v,
        status,
        "program.html",
        context! {
            csrf => csrf, viewer => viewer, program => program, rows => rows,
            preview => preview, error => error,
            basket_total => typed_basket.as_ref().map(|b| b.0.clone()),
            basket_category => typed_basket.as_ref().map(|b| b.1.clone()),
        },
    )
}

/// Runs `previewEarning` on the basket typed in the form (one line when a category is given).
async fn preview_basket(
    portal: &Portal,
    v: &mut Visitor,
    id: &str,
    form: &Fields,
    unsaved: Option<Value>,
    currency: Currency,
) -> Result<Value, String> {
    let label = ("Montant du panier", "Basket amount");
    let total = form
        .amount(
            "basket_total",
            u32::from(currency.minor_units()),
            label,
            v.lang,
        )?
        .ok_or_else(|| {
            v.lang
                .pick("Montant du panier : à remplir.", "Basket amount: required.")
                .to_owned()
        })?;
    let lines = match form.opt("basket_category") {
        Some(category) => {
            json!([{ "sku": "PREVIEW", "category": category, "quantity": 1, "unitPriceMinor": total }])
        }
        None => json!([]),
    };
    let input = json!({ "programId": id, "rules": unsaved, "totalMinor": total, "lines": lines });
    match v.run(portal, PREVIEW, json!({ "i": input })).await {
        Ok(d) => Ok(d["previewEarning"].clone()),
        Err(f) => Err(f.text(v.lang)),
    }
}

/// `GET /app/programs/{id}`: the program, its rules form and the basket preview
/// (`?basket_total=…` runs it under the rules in force).
pub(super) async fn show(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut v = visitor(&portal, &headers, peer, &PageQuery::of_map(&q));
    if !v.signed_in() {
        return see_other(&v, "/login");
    }
    let query_fields = Fields::of_query(&q);
    let basket = q
        .contains_key("basket_total")
        .then_some((&query_fields, None));
    let page = ProgramPage {
        status: StatusCode::OK,
        typed: None,
        preview: Value::Null,
        error: None,
    };
    program_page(&portal, &mut v, &id, basket, page).await
}

/// `POST /app/programs/{id}`: the rules form, either previewed on the basket (`intent=preview`,
/// nothing saved) or saved as the rules in force from now (`intent=save`).
pub(super) async fn edit(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Fields::parse(&body);
    let mut v = Visitor::of(&portal, &headers, peer);
    if !form_ok(&portal, &mut v, &headers, form.opt("csrf").as_deref()) {
        return refused(&portal, &v);
    }
    let current = match v.run(&portal, PROGRAM, json!({ "id": id })).await {
        Ok(d) => d["program"].clone(),
        Err(f) => return failed(&portal, &v, &f.for_path_id()),
    };
    let currency = match viewer(&portal, &mut v).await {
        Ok(viewer) => currency_of(&viewer),
        Err(f) => return failed(&portal, &v, &f),
    };
    let mechanic = current["mechanic"].as_str().unwrap_or_default().to_owned();
    let key = rules::input_key(&mechanic).unwrap_or("points");
    let typed_page = |error: Option<String>| ProgramPage {
        status: if error.is_some() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        },
        typed: Some(&form),
        preview: Value::Null,
        error,
    };
    let rules = match rules::rules_from(&mechanic, &current[key], &form, currency, v.lang) {
        Ok(rules) => rules,
        Err(message) => {
            return program_page(&portal, &mut v, &id, None, typed_page(Some(message))).await;
        }
    };
    if form.text("intent") == "preview" {
        return program_page(
            &portal,
            &mut v,
            &id,
            Some((&form, Some(rules))),
            typed_page(None),
        )
        .await;
    }
    let saved = v
        .run(
            &portal,
            "mutation($p: ID!, $r: RulesInput!) { updateProgramRules(programId: $p, rules: $r) { id } }",
            json!({ "p": id, "r": rules }),
        )
        .await;
    match saved {
        Ok(_) => see_other(&v, &format!("/app/programs/{id}?done=program-rules")),
        Err(f) if matches!(f.code.as_str(), "VALIDATION" | "CONFLICT" | "FORBIDDEN") => {
            let message = f.text(v.lang);
            program_page(&portal, &mut v, &id, None, typed_page(Some(message))).await
        }
        Err(f) => failed(&portal, &v, &f),
    }
}

/// `GET /app/programs/new/{mechanic}`: a new program of any mechanic, its form filled with
/// the defaults.
pub(super) async fn new_of(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Path(mechanic): Path<String>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    let mut v = visitor(&portal, &headers, peer, &q);
    if !v.signed_in() {
        return see_other(&v, "/login");
    }
    new_of_page(&portal, &mut v, &mechanic, None, None).await
}

async fn new_of_page(
    portal: &Portal,
    v: &mut Visitor,
    mechanic: &str,
    typed: Option<&Fields>,
    error: Option<String>,
) -> Response {
    if rules::input_key(mechanic).is_none() {
        return failed(portal, v, &Failure::not_found());
    }
    let viewer = match viewer(portal, v).await {
        Ok(viewer) => viewer,
        Err(f) => return failed(portal, v, &f),
    };
    let rows = rules::rows(
        mechanic,
        &rules::defaults(mechanic),
        typed,
        currency_of(&viewer),
        v.lang,
    );
    let csrf = v.csrf(portal);
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    portal.pages.page(
        v,
        status,
        "program_new_any.html",
        context! {
            csrf => csrf, viewer => viewer, mechanic => mechanic, rows => rows, error => error,
            name => typed.map(|f| f.text("name")),
            idempotency_key => typed.and_then(|f| f.opt("idempotency_key")),
        },
    )
}

/// `POST /app/programs/new/{mechanic}`.
pub(super) async fn create_of(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Path(mechanic): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Fields::parse(&body);
    let mut v = Visitor::of(&portal, &headers, peer);
    if !form_ok(&portal, &mut v, &headers, form.opt("csrf").as_deref()) {
        return refused(&portal, &v);
    }
    let currency = match viewer(&portal, &mut v).await {
        Ok(viewer) => currency_of(&viewer),
        Err(f) => return failed(&portal, &v, &f),
    };
    let rules = match rules::rules_from(
        &mechanic,
        &rules::defaults(&mechanic),
        &form,
        currency,
        v.lang,
    ) {
        Ok(rules) => rules,
        Err(message) => {
            return new_of_page(&portal, &mut v, &mechanic, Some(&form), Some(message)).await;
        }
    };
    let created = v
        .run(
            &portal,
            "mutation($i: CreateProgramInput!) { createProgram(input: $i) { id } }",
            json!({ "i": { "name": form.text("name"), "rules": rules,
                "idempotencyKey": form.opt("idempotency_key") } }),
        )
        .await;
    match created {
        Ok(d) => see_other(
            &v,
            &format!(
                "/app/programs/{}?done=program-created",
                d["createProgram"]["id"].as_str().unwrap_or_default()
            ),
        ),
        Err(f) if matches!(f.code.as_str(), "VALIDATION" | "CONFLICT" | "BAD_REQUEST") => {
            let message = f.text(v.lang);
            new_of_page(&portal, &mut v, &mechanic, Some(&form), Some(message)).await
        }
        Err(f) => failed(&portal, &v, &f),
    }
}
