//! The pages that links mailed to staff open, until the web portal takes them over: the home
//! page, e-mail verification (verified at once, and said so), a staff invitation and a staff
//! password reset (a form that sets the password). In French or English:
//! the brand's language where the link names a brand, otherwise `?lang=` or the browser's.
//!
//! Safe to open by link scanners: `HEAD` never acts, and `GET` only verifies an address (which
//! the link proves anyway); passwords are set by `POST` from the page's own form (a request from
//! another origin is refused). Pages carry a strict Content-Security-Policy, never leak the
//! token in a `Referer`, and are never cached.

use std::sync::Arc;

use axum::{
    Form,
    extract::{Query, State, rejection::FormRejection},
    http::{HeaderMap, Method, StatusCode},
    response::Response,
};

use crate::{
    core::{deps::Deps, error::AppError, i18n::Lang, mail::templates::escape_html, web::*},
    identity::sessions::LinkKind,
};

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
    match crate::identity::sessions::verify_email(&state.base, &token).await {
        Ok(user) => {
            let (brand, lang) = crate::identity::sessions::user_brand(&state.base, &user)
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

/// `GET /reset-password?token=…`: the form for a new password.
pub(crate) async fn reset_password_form(
    State(state): State<Arc<Deps>>,
    Query(q): Query<LinkQuery>,
    headers: HeaderMap,
) -> Response {
    let token = q.token.unwrap_or_default();
    let brand =
        crate::identity::sessions::brand_of_link(&state.base, &token, LinkKind::ResetPassword)
            .await
            .ok()
            .flatten();
    let lang = brand_lang(brand.as_ref(), visitor_lang(q.lang.as_deref(), &headers));
    let title = lang.pick("Nouveau mot de passe", "New password");
    if !crate::identity::sessions::reset_link_usable(&state.base, &token)
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
        crate::identity::sessions::brand_of_link(&state.base, &form.token, LinkKind::ResetPassword)
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
    match crate::identity::sessions::reset_password(&state.base, &state.auth, &form.token, &form.password).await {
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
    let brand = crate::identity::sessions::brand_of_link(&state.base, &token, LinkKind::Invitation)
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
    let brand =
        crate::identity::sessions::brand_of_link(&state.base, &form.token, LinkKind::Invitation)
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
    match crate::identity::users::accept_invitation(
        &state.base,
        &state.auth,
        &form.token,
        &form.password,
        name,
    )
    .await
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
