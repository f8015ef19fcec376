//! The pages that links mailed to people open, until the web portal takes them over: the home
//! page, e-mail verification (verified at once, and said so), a staff invitation and a staff
//! password reset (a form that sets the password), and a brand's member space
//! (`/m/<slug>`: ask for a link to set one's password; the link's form). In French or English:
//! the brand's language where the link names a brand, otherwise `?lang=` or the browser's.
//!
//! Safe to open by link scanners: `HEAD` never acts, and `GET` only verifies an address (which
//! the link proves anyway); passwords are set by `POST` from the page's own form (a request from
//! another origin is refused). Pages carry a strict Content-Security-Policy, never leak the
//! token in a `Referer`, and are never cached.

use std::{net::SocketAddr, sync::Arc};

use axum::{
    Form,
    extract::{ConnectInfo, Path, Query, State, rejection::FormRejection},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use crate::{
    core::{
        deps::Deps, error::AppError, http::client_address, i18n::Lang, mail::templates::escape_html,
    },
    identity::sessions::LinkKind,
};

const CSS: &str = include_str!("pages.css");

/// `GET /assets/fidelis.css`.
pub(crate) async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

/// A page: the layout around `body` (HTML the caller escaped), with the security headers.
fn page(status: StatusCode, lang: Lang, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/assets/fidelis.css\"></head>\
         <body><main><h1>{title}</h1>{body}</main>\
         <footer>Fidelis</footer></body></html>",
        lang = lang.code(),
        title = escape_html(title),
    );
    let mut response = (status, html).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    // Links carry tokens in their query: never sent on to another site.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

fn para(text: &str) -> String {
    format!("<p>{}</p>", escape_html(text))
}

/// The language a visitor asked for: `?lang=`, then `Accept-Language`, then French.
fn visitor_lang(query: Option<&str>, headers: &HeaderMap) -> Lang {
    query
        .and_then(Lang::parse)
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::parse)
        })
        .unwrap_or_default()
}

fn brand_lang(brand: Option<&entity::brand::Model>, fallback: Lang) -> Lang {
    brand.map_or(fallback, |b| Lang::of_locale(&b.locale))
}

/// Forms post to their own origin only: a request that says it comes from another site
/// (`Sec-Fetch-Site`, `Origin`, or failing both `Referer`) is refused, so a cross-site form
/// cannot set someone's password or send them mail.
fn same_origin(headers: &HeaderMap) -> bool {
    let value = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if let Some(site) = value(header::HeaderName::from_static("sec-fetch-site"))
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    let host = value(header::HOST).unwrap_or_default();
    let authority = |url: &str| {
        url.split_once("://")
            .map(|(_, rest)| rest.split('/').next().unwrap_or(rest).to_owned())
    };
    match (value(header::ORIGIN), value(header::REFERER)) {
        (Some(origin), _) => authority(origin).is_some_and(|a| a.eq_ignore_ascii_case(host)),
        (None, Some(referer)) => authority(referer).is_some_and(|a| a.eq_ignore_ascii_case(host)),
        (None, None) => true,
    }
}

fn incomplete_form(lang: Lang) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        lang,
        lang.pick("Formulaire incomplet", "Incomplete form"),
        &para(lang.pick(
            "Ce formulaire est incomplet : revenez à la page et remplissez chaque champ.",
            "This form is incomplete: go back to the page and fill in every field.",
        )),
    )
}

fn link_unusable(lang: Lang, title: &str) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        lang,
        title,
        &para(lang.pick(
            "Ce lien n'est pas valide, a expiré ou a déjà servi. Demandez-en un nouveau.",
            "This link is invalid, expired or already used. Ask for a new one.",
        )),
    )
}

fn refused_origin(lang: Lang) -> Response {
    page(
        StatusCode::FORBIDDEN,
        lang,
        lang.pick("Requête refusée", "Request refused"),
        &para(lang.pick(
            "Ce formulaire doit être envoyé depuis sa propre page.",
            "This form must be sent from its own page.",
        )),
    )
}

/// A message from a typed error, for the person reading the page (never internal details).
fn error_text(lang: Lang, e: &AppError) -> String {
    match e {
        AppError::Validation { field, message } if field.contains("assword") => {
            let weak = message.contains("weak");
            match (lang, weak) {
                (Lang::Fr, false) => {
                    "Ce mot de passe ne convient pas : il faut de 10 à 128 caractères.".to_owned()
                }
                (Lang::Fr, true) => {
                    "Ce mot de passe est trop faible : variez les caractères.".to_owned()
                }
                (Lang::En, false) => {
                    "This password cannot be used: it needs 10 to 128 characters.".to_owned()
                }
                (Lang::En, true) => "This password is too weak: vary its characters.".to_owned(),
            }
        }
        AppError::Validation { .. } | AppError::Conflict(_) | AppError::NotFound => lang
            .pick(
                "Ce lien n'est pas valide, a expiré ou a déjà servi. Demandez-en un nouveau.",
                "This link is invalid, expired or already used. Ask for a new one.",
            )
            .to_owned(),
        AppError::RateLimited { .. } => lang
            .pick(
                "Trop de demandes : réessayez plus tard.",
                "Too many requests: try again later.",
            )
            .to_owned(),
        AppError::Forbidden(_) => lang
            .pick(
                "Ce compte ne peut pas être utilisé.",
                "This account cannot be used.",
            )
            .to_owned(),
        _ => lang
            .pick(
                "Une erreur est survenue ; réessayez dans un moment.",
                "Something went wrong; try again in a moment.",
            )
            .to_owned(),
    }
}

fn error_status(e: &AppError) -> StatusCode {
    match e {
        AppError::Validation { .. } | AppError::Conflict(_) => StatusCode::BAD_REQUEST,
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::Internal(cause) => {
            tracing::error!(error = ?cause, "a page failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
        _ => StatusCode::BAD_REQUEST,
    }
}

#[derive(Deserialize)]
pub(crate) struct LinkQuery {
    token: Option<String>,
    lang: Option<String>,
}

/// `GET /`: what Fidelis is, and where to go.
pub(crate) async fn home(
    State(state): State<Arc<Deps>>,
    Query(q): Query<LinkQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = visitor_lang(q.lang.as_deref(), &headers);
    let graphiql = if state.config.graphiql_enabled() {
        format!(
            "<p><a href=\"/graphql\">GraphiQL</a> — {}</p>",
            escape_html(lang.pick(
                "explorer l'API GraphQL (collez votre jeton dans l'onglet Headers : {\"Authorization\": \"Bearer …\"}).",
                "explore the GraphQL API (paste your token in the Headers tab: {\"Authorization\": \"Bearer …\"}).",
            ))
        )
    } else {
        String::new()
    };
    let body = format!(
        "{}{}{graphiql}",
        para(lang.pick(
            "Fidelis est la plateforme de fidélité des enseignes : programmes de points, cagnotte, tampons, abonnements, coalitions et e-mails.",
            "Fidelis is the loyalty platform for brands: points, cashback, stamps, paid memberships, coalitions and mail.",
        )),
        para(lang.pick(
            "Les enseignes et leurs applications partenaires utilisent l'API GraphQL à l'adresse /graphql. Les membres d'une enseigne ont leur espace à /m/<enseigne>.",
            "Brands and their partner apps use the GraphQL API at /graphql. A brand's members have their space at /m/<brand>.",
        )),
    );
    page(StatusCode::OK, lang, "Fidelis", &body)
}

/// `GET /verify-email?token=…`: verifies the address at once and says so (not on `HEAD`).
pub(crate) async fn verify_email(
    State(state): State<Arc<Deps>>,
    method: Method,
    Query(q): Query<LinkQuery>,
    headers: HeaderMap,
) -> Response {
    let fallback = visitor_lang(q.lang.as_deref(), &headers);
    let title = |lang: Lang| lang.pick("Confirmation de l'adresse", "Address confirmation");
    if method == Method::HEAD {
        return page(StatusCode::OK, fallback, title(fallback), "");
    }
    let token = q.token.unwrap_or_default();
    match crate::identity::sessions::verify_email(&state, &token).await {
        Ok(user) => {
            let (brand, lang) = crate::identity::sessions::user_brand(&state, &user)
                .await
                .unwrap_or(("Fidelis".to_owned(), fallback));
            let body = format!(
                "{}{}",
                para(&match lang {
                    Lang::Fr => format!("L'adresse {} est confirmée pour {brand}.", user.email),
                    Lang::En => format!("{} is confirmed for {brand}.", user.email),
                }),
                para(lang.pick(
                    "Vous pouvez maintenant vous connecter avec votre adresse et votre mot de passe.",
                    "You can now sign in with your address and password.",
                )),
            );
            page(
                StatusCode::OK,
                lang,
                lang.pick("Adresse confirmée", "Address confirmed"),
                &body,
            )
        }
        Err(e) => page(
            error_status(&e),
            fallback,
            title(fallback),
            &para(&error_text(fallback, &e)),
        ),
    }
}

#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    token: String,
    password: String,
    confirm: String,
    #[serde(default)]
    display_name: Option<String>,
}

/// A form setting a password, posting to `action`.
fn password_form(lang: Lang, action: &str, token: &str, with_name: bool, error: &str) -> String {
    let error = if error.is_empty() {
        String::new()
    } else {
        format!(
            "<p class=\"error\" role=\"alert\">{}</p>",
            escape_html(error)
        )
    };
    let name = if with_name {
        format!(
            "<label for=\"display_name\">{}</label>\
             <input id=\"display_name\" name=\"display_name\" autocomplete=\"name\" maxlength=\"200\">",
            lang.pick("Votre nom (facultatif)", "Your name (optional)")
        )
    } else {
        String::new()
    };
    format!(
        "{error}<form method=\"post\" action=\"{action}\">\
         <input type=\"hidden\" name=\"token\" value=\"{token}\">{name}\
         <label for=\"password\">{pw}</label>\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" minlength=\"10\" maxlength=\"128\" required>\
         <label for=\"confirm\">{again}</label>\
         <input id=\"confirm\" name=\"confirm\" type=\"password\" autocomplete=\"new-password\" minlength=\"10\" maxlength=\"128\" required>\
         <button type=\"submit\">{save}</button></form>",
        action = escape_html(action),
        token = escape_html(token),
        pw = lang.pick(
            "Nouveau mot de passe (10 caractères au moins)",
            "New password (at least 10 characters)"
        ),
        again = lang.pick("Le même, encore", "The same again"),
        save = lang.pick("Enregistrer", "Save"),
    )
}

fn mismatch(lang: Lang) -> &'static str {
    lang.pick(
        "Les deux mots de passe sont différents.",
        "The two passwords differ.",
    )
}

/// `GET /reset-password?token=…`: the form for a new password.
pub(crate) async fn reset_password_form(
    State(state): State<Arc<Deps>>,
    Query(q): Query<LinkQuery>,
    headers: HeaderMap,
) -> Response {
    let token = q.token.unwrap_or_default();
    let brand = crate::identity::sessions::brand_of_link(&state, &token, LinkKind::ResetPassword)
        .await
        .ok()
        .flatten();
    let lang = brand_lang(brand.as_ref(), visitor_lang(q.lang.as_deref(), &headers));
    let title = lang.pick("Nouveau mot de passe", "New password");
    if !crate::identity::sessions::reset_link_usable(&state, &token)
        .await
        .unwrap_or(false)
    {
        return link_unusable(lang, title);
    }
    page(
        StatusCode::OK,
        lang,
        title,
        &password_form(lang, "/reset-password", &token, false, ""),
    )
}

/// `POST /reset-password`: sets the password and ends every session of the account.
pub(crate) async fn reset_password(
    State(state): State<Arc<Deps>>,
    headers: HeaderMap,
    form: Result<Form<PasswordForm>, FormRejection>,
) -> Response {
    let visitor = visitor_lang(None, &headers);
    if !same_origin(&headers) {
        return refused_origin(visitor);
    }
    let Ok(Form(form)) = form else {
        return incomplete_form(visitor);
    };
    let brand =
        crate::identity::sessions::brand_of_link(&state, &form.token, LinkKind::ResetPassword)
            .await
            .ok()
            .flatten();
    let lang = brand_lang(brand.as_ref(), visitor);
    let title = lang.pick("Nouveau mot de passe", "New password");
    if form.password != form.confirm {
        return page(
            StatusCode::BAD_REQUEST,
            lang,
            title,
            &password_form(lang, "/reset-password", &form.token, false, mismatch(lang)),
        );
    }
    match crate::identity::sessions::reset_password(&state, &form.token, &form.password).await {
        Ok(()) => page(
            StatusCode::OK,
            lang,
            lang.pick("Mot de passe changé", "Password changed"),
            &para(lang.pick(
                "Votre nouveau mot de passe est enregistré ; vos autres sessions sont fermées. Connectez-vous avec lui.",
                "Your new password is saved and your other sessions are closed. Sign in with it.",
            )),
        ),
        Err(e @ AppError::Validation { field: "newPassword", .. }) => page(
            StatusCode::BAD_REQUEST,
            lang,
            title,
            &password_form(lang, "/reset-password", &form.token, false, &error_text(lang, &e)),
        ),
        Err(e) => page(error_status(&e), lang, title, &para(&error_text(lang, &e))),
    }
}

/// `GET /accept-invitation?token=…`: the invited person chooses a password.
pub(crate) async fn invitation_form(
    State(state): State<Arc<Deps>>,
    Query(q): Query<LinkQuery>,
    headers: HeaderMap,
) -> Response {
    let token = q.token.unwrap_or_default();
    let brand = crate::identity::sessions::brand_of_link(&state, &token, LinkKind::Invitation)
        .await
        .ok()
        .flatten();
    let lang = brand_lang(brand.as_ref(), visitor_lang(q.lang.as_deref(), &headers));
    let intro = match &brand {
        Some(b) => para(&match lang {
            Lang::Fr => format!(
                "Vous êtes invité à rejoindre {} sur Fidelis. Choisissez votre mot de passe.",
                b.name
            ),
            Lang::En => format!(
                "You are invited to join {} on Fidelis. Choose your password.",
                b.name
            ),
        }),
        None => para(lang.pick(
            "Ce lien n'est pas valide, a expiré ou a déjà servi. Demandez-en un nouveau.",
            "This link is invalid, expired or already used. Ask for a new one.",
        )),
    };
    let form = if brand.is_some() {
        password_form(lang, "/accept-invitation", &token, true, "")
    } else {
        String::new()
    };
    page(
        if brand.is_some() {
            StatusCode::OK
        } else {
            StatusCode::BAD_REQUEST
        },
        lang,
        lang.pick("Invitation", "Invitation"),
        &format!("{intro}{form}"),
    )
}

/// `POST /accept-invitation`: creates the account.
pub(crate) async fn accept_invitation(
    State(state): State<Arc<Deps>>,
    headers: HeaderMap,
    form: Result<Form<PasswordForm>, FormRejection>,
) -> Response {
    let visitor = visitor_lang(None, &headers);
    if !same_origin(&headers) {
        return refused_origin(visitor);
    }
    let Ok(Form(form)) = form else {
        return incomplete_form(visitor);
    };
    let brand = crate::identity::sessions::brand_of_link(&state, &form.token, LinkKind::Invitation)
        .await
        .ok()
        .flatten();
    let lang = brand_lang(brand.as_ref(), visitor);
    let title = lang.pick("Invitation", "Invitation");
    if form.password != form.confirm {
        return page(
            StatusCode::BAD_REQUEST,
            lang,
            title,
            &password_form(
                lang,
                "/accept-invitation",
                &form.token,
                true,
                mismatch(lang),
            ),
        );
    }
    let name = form
        .display_name
        .as_deref()
        .filter(|n| !n.trim().is_empty());
    match crate::identity::users::accept_invitation(&state, &form.token, &form.password, name).await
    {
        Ok(session) => page(
            StatusCode::OK,
            lang,
            lang.pick("Bienvenue", "Welcome"),
            &para(&match lang {
                Lang::Fr => format!(
                    "Votre compte {} est prêt. Connectez-vous avec votre adresse et ce mot de passe.",
                    session.user.email
                ),
                Lang::En => format!(
                    "Your account {} is ready. Sign in with your address and this password.",
                    session.user.email
                ),
            }),
        ),
        Err(
            e @ AppError::Validation {
                field: "password", ..
            },
        ) => page(
            StatusCode::BAD_REQUEST,
            lang,
            title,
            &password_form(
                lang,
                "/accept-invitation",
                &form.token,
                true,
                &error_text(lang, &e),
            ),
        ),
        Err(e) => page(error_status(&e), lang, title, &para(&error_text(lang, &e))),
    }
}

fn brand_missing(lang: Lang) -> Response {
    page(
        StatusCode::NOT_FOUND,
        lang,
        lang.pick("Page introuvable", "Page not found"),
        &para(lang.pick(
            "Aucune enseigne n'a cette adresse.",
            "No brand has this address.",
        )),
    )
}

async fn active_brand(state: &Deps, slug: &str) -> Option<entity::brand::Model> {
    crate::identity::store::brand_by_slug(&state.db, slug)
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
        "{}{}{}",
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
        para(lang.pick(
            "Inscrit en magasin, ou mot de passe oublié ? Recevez par e-mail un lien pour choisir votre mot de passe.",
            "Enrolled in store, or forgot your password? Get a link by e-mail to choose your password.",
        )),
        access_form(lang, &brand.slug),
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
    match crate::identity::member_access::request(&state, &brand.slug, &form.email, &client).await {
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
    if !crate::identity::member_access::link_usable(&state, &brand.slug, &token)
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
    match crate::identity::member_access::set_password(&state, &brand.slug, &form.token, &form.password)
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
