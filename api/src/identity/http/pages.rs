//! The pages that links mailed to staff open, besides the portal's (which took over the home
//! page and the e-mail verification landing): a staff invitation and a staff password reset (a
//! form that sets the password). In French or English:
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
    http::{HeaderMap, StatusCode},
    response::Response,
};

use crate::{
    core::{deps::Deps, error::AppError, i18n::Lang, web::*},
    identity::sessions::LinkKind,
};

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
