//! A brand's member space (`/m/<slug>`): ask for a link to set one's password, and the link's
//! form, in the brand's language. Safe to open by link scanners: `GET` never acts; the password
//! is set by `POST` from the page's own form.

use std::{net::SocketAddr, sync::Arc};

use axum::{
    Form,
    extract::{ConnectInfo, Path, Query, State, rejection::FormRejection},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use crate::core::{
    deps::Deps, error::AppError, http::client_address, i18n::Lang, mail::templates::escape_html,
    web::*,
};

async fn active_brand(state: &Deps, slug: &str) -> Option<entity::brand::Model> {
    crate::identity::brands::by_slug(&state.base.db, slug)
        .await
        .ok()
        .flatten()
        .filter(|b| b.status == entity::brand::BrandStatus::Active)
}

fn access_form(lang: Lang, slug: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/m/{slug}/access\">\
         <label for=\"email\">{label}</label>\
         <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\" required>\
         <button type=\"submit\">{send}</button></form>",
        slug = escape_html(slug),
        label = lang.pick("Votre adresse e-mail", "Your e-mail address"),
        send = lang.pick("Recevoir le lien", "Send me the link"),
    )
}

/// `GET /m/<slug>`: a brand's member space (`links.app` in mails).
pub(crate) async fn member_space(
    State(state): State<Arc<Deps>>,
    Path(slug): Path<String>,
    Query(q): Query<LinkQuery>,
    headers: HeaderMap,
) -> Response {
    let visitor = visitor_lang(q.lang.as_deref(), &headers);
    let Some(brand) = active_brand(&state, &slug).await else {
        return brand_missing(visitor);
    };
    let lang = brand_lang(Some(&brand), visitor);
    let body = format!(
        "{}<p><a href=\"/m/{slug}/login\">{}</a> · <a href=\"/m/{slug}/signup\">{}</a></p>{}{}",
        para(&match lang {
            Lang::Fr => format!(
                "Votre compte de fidélité {} : points, bons d'achat et avantages, dans l'application de l'enseigne.",
                brand.name
            ),
            Lang::En => format!(
                "Your {} loyalty account: points, vouchers and perks, in the brand's app.",
                brand.name
            ),
        }),
        lang.pick("Me connecter", "Sign in"),
        lang.pick("Créer mon compte", "Create my account"),
        para(lang.pick(
            "Inscrit en magasin, ou mot de passe oublié ? Recevez par e-mail un lien pour choisir votre mot de passe.",
            "Enrolled in store, or forgot your password? Get a link by e-mail to choose your password.",
        )),
        access_form(lang, &brand.slug),
        slug = escape_html(&brand.slug),
    );
    page(StatusCode::OK, lang, &brand.name, &body)
}

#[derive(Deserialize)]
pub(crate) struct AccessForm {
    email: String,
}

/// `POST /m/<slug>/access`: mails the member a link to set their password (the page answers
/// the same whether or not the address is a member's).
pub(crate) async fn member_access(
    State(state): State<Arc<Deps>>,
    Path(slug): Path<String>,
    peer: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    form: Result<Form<AccessForm>, FormRejection>,
) -> Response {
    let visitor = visitor_lang(None, &headers);
    let Some(brand) = active_brand(&state, &slug).await else {
        return brand_missing(visitor);
    };
    let lang = brand_lang(Some(&brand), visitor);
    if !same_origin(&headers) {
        return refused_origin(lang);
    }
    let Ok(Form(form)) = form else {
        return incomplete_form(lang);
    };
    let client = client_address(&state, &headers, peer);
    match crate::loyalty::member_access::request(&state.base, &state.auth, &state.links, &state.post, &brand.slug, &form.email, &client).await {
        Ok(()) => page(
            StatusCode::OK,
            lang,
            &brand.name,
            &para(lang.pick(
                "Si cette adresse est celle d'un membre, un lien pour choisir le mot de passe vient de lui être envoyé.",
                "If this address is a member's, a link to choose the password has just been sent to it.",
            )),
        ),
        Err(AppError::Validation { .. }) => page(
            StatusCode::BAD_REQUEST,
            lang,
            &brand.name,
            &format!(
                "<p class=\"error\" role=\"alert\">{}</p>{}",
                escape_html(lang.pick(
                    "Cette adresse e-mail n'est pas valide.",
                    "This e-mail address is not valid."
                )),
                access_form(lang, &brand.slug)
            ),
        ),
        Err(e) => page(error_status(&e), lang, &brand.name, &para(&error_text(lang, &e))),
    }
}

/// `GET /m/<slug>/set-password?token=…`: the form of a member's mailed link.
pub(crate) async fn member_password_form(
    State(state): State<Arc<Deps>>,
    Path(slug): Path<String>,
    Query(q): Query<LinkQuery>,
    headers: HeaderMap,
) -> Response {
    let visitor = visitor_lang(q.lang.as_deref(), &headers);
    let Some(brand) = active_brand(&state, &slug).await else {
        return brand_missing(visitor);
    };
    let lang = brand_lang(Some(&brand), visitor);
    let action = format!("/m/{}/set-password", brand.slug);
    let token = q.token.unwrap_or_default();
    if !crate::loyalty::member_access::link_usable(&state.base, &brand.slug, &token)
        .await
        .unwrap_or(false)
    {
        return link_unusable(lang, &brand.name);
    }
    page(
        StatusCode::OK,
        lang,
        &brand.name,
        &password_form(lang, &action, &token, false, ""),
    )
}

/// `GET /m/<slug>/access` (a reload after the form was sent): back to the member space.
pub(crate) async fn member_access_again(Path(slug): Path<String>) -> Response {
    let safe = slug
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let to = if safe {
        format!("/m/{slug}")
    } else {
        "/".to_owned()
    };
    axum::response::Redirect::to(&to).into_response()
}

/// `POST /m/<slug>/set-password`: sets the member's password from the link.
pub(crate) async fn member_set_password(
    State(state): State<Arc<Deps>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Result<Form<PasswordForm>, FormRejection>,
) -> Response {
    let visitor = visitor_lang(None, &headers);
    let Some(brand) = active_brand(&state, &slug).await else {
        return brand_missing(visitor);
    };
    let lang = brand_lang(Some(&brand), visitor);
    if !same_origin(&headers) {
        return refused_origin(lang);
    }
    let Ok(Form(form)) = form else {
        return incomplete_form(lang);
    };
    let action = format!("/m/{}/set-password", brand.slug);
    if form.password != form.confirm {
        return page(
            StatusCode::BAD_REQUEST,
            lang,
            &brand.name,
            &password_form(lang, &action, &form.token, false, mismatch(lang)),
        );
    }
    match crate::loyalty::member_access::set_password(&state.base, &state.auth, &brand.slug, &form.token, &form.password)
        .await
    {
        Ok(_) => page(
            StatusCode::OK,
            lang,
            &brand.name,
            &para(lang.pick(
                "Votre mot de passe est enregistré. Connectez-vous dans l'application avec votre adresse e-mail et ce mot de passe.",
                "Your password is saved. Sign in to the app with your e-mail address and this password.",
            )),
        ),
        Err(e @ AppError::Validation { field: "input.password", .. }) => page(
            StatusCode::BAD_REQUEST,
            lang,
            &brand.name,
            &password_form(lang, &action, &form.token, false, &error_text(lang, &e)),
        ),
        Err(e) => page(error_status(&e), lang, &brand.name, &para(&error_text(lang, &e))),
    }
}
