//! The visitor of a page: their session cookies, language and address; the GraphQL calls made
//! as them (renewing the access token from the refresh token when it ran out); CSRF tokens.
//!
//! Cookies: `fidelis_at` (the access token, for its lifetime), `fidelis_rt` (the refresh token),
//! `fidelis_pre` (a random value that binds the CSRF token of forms shown before sign-in),
//! `fidelis_lang` (the chosen language). All HttpOnly, SameSite=Lax, Path=/, Secure in
//! production.

use std::net::SocketAddr;

use axum::{
    extract::ConnectInfo,
    http::{HeaderMap, header},
};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{Call, Portal};
use crate::core::{
    config::Environment, error::AppError, http::client_address, i18n::Lang, signing::Purpose,
};

const ACCESS: &str = "fidelis_at";
const REFRESH: &str = "fidelis_rt";
const PRE: &str = "fidelis_pre";
const LANG: &str = "fidelis_lang";
const MEMBER_ACCESS: &str = "fidelis_mat";

/// A failed operation, as a page shows it.
#[derive(Debug, Clone)]
pub(super) struct Failure {
    pub code: String,
    pub message: String,
    pub field: Option<String>,
}

impl From<&AppError> for Failure {
    /// A typed error of the server, as a page shows it (internal causes logged, never shown).
    fn from(e: &AppError) -> Self {
        if let AppError::Internal(cause) = e {
            tracing::error!(error = ?cause, "a portal call failed");
            return Self::internal();
        }
        Self {
            code: e.code().as_str().to_owned(),
            message: e.to_string(),
            field: None,
        }
    }
}

impl Failure {
    /// Not found (an unknown form, mechanic or object).
    pub fn not_found() -> Self {
        Self {
            code: "NOT_FOUND".to_owned(),
            message: "not found".to_owned(),
            field: None,
        }
    }

    /// For an id taken from the page's path: a malformed one reads as not found, as another
    /// brand's object does.
    pub fn for_path_id(self) -> Self {
        if self.code == "VALIDATION" {
            Self {
                code: "NOT_FOUND".to_owned(),
                ..self
            }
        } else {
            self
        }
    }

    pub fn unauthenticated() -> Self {
        Self {
            code: "UNAUTHENTICATED".to_owned(),
            message: "sign in".to_owned(),
            field: None,
        }
    }

    fn internal() -> Self {
        Self {
            code: "INTERNAL".to_owned(),
            message: "internal error".to_owned(),
            field: None,
        }
    }

    /// What the person reads: the API's message for their input, a plain sentence otherwise.
    pub fn text(&self, lang: Lang) -> String {
        match self.code.as_str() {
            "VALIDATION"
            | "CONFLICT"
            | "LIMIT_EXCEEDED"
            | "INSUFFICIENT_BALANCE"
            | "BAD_REQUEST" => match &self.field {
                Some(f) => format!("{f}: {}", self.message),
                None => self.message.clone(),
            },
            "RATE_LIMITED" => lang
                .pick(
                    "Trop de tentatives : réessayez dans un moment.",
                    "Too many attempts: try again in a moment.",
                )
                .to_owned(),
            "UNAUTHENTICATED" => lang
                .pick(
                    "Adresse ou mot de passe incorrect.",
                    "Wrong address or password.",
                )
                .to_owned(),
            "FORBIDDEN" => match self.message.as_str() {
                m if m.contains("not verified") => lang
                    .pick(
                        "Confirmez d'abord votre adresse : suivez le lien reçu par e-mail.",
                        "Confirm your address first: follow the link we mailed you.",
                    )
                    .to_owned(),
                m if m.contains("deactivated") => lang
                    .pick("Ce compte est désactivé.", "This account is deactivated.")
                    .to_owned(),
                m if m.contains("suspended") => lang
                    .pick("Cette enseigne est suspendue.", "This brand is suspended.")
                    .to_owned(),
                _ => lang
                    .pick(
                        "Votre rôle ne permet pas cette action.",
                        "Your role does not allow this.",
                    )
                    .to_owned(),
            },
            "NOT_FOUND" => lang.pick("Introuvable.", "Not found.").to_owned(),
            _ => lang
                .pick(
                    "Une erreur est survenue ; réessayez dans un moment.",
                    "Something went wrong; try again in a moment.",
                )
                .to_owned(),
        }
    }
}

/// Whose pages: the brand portal (staff accounts, with refresh tokens) or one brand's member
/// space (member sessions, their cookie scoped to `/m/<slug>` so that two brands' member
/// sessions never meet).
#[derive(Clone, PartialEq, Eq)]
pub(super) enum Realm {
    Staff,
    Member { slug: String },
}

/// The visitor of one request.
pub(super) struct Visitor {
    realm: Realm,
    access: Option<String>,
    refresh: Option<String>,
    pre: Option<String>,
    pub client: String,
    pub lang: Lang,
    secure: bool,
    /// `Set-Cookie` values to send with the response.
    pub cookies: Vec<String>,
    /// The sentence for the form just done, shown at the top of the page.
    pub flash: Option<String>,
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

impl Visitor {
    /// A visitor of one brand's member space.
    pub fn member(
        portal: &Portal,
        headers: &HeaderMap,
        peer: ConnectInfo<SocketAddr>,
        slug: &str,
    ) -> Self {
        let mut v = Self::of(portal, headers, peer);
        v.realm = Realm::Member {
            slug: slug.to_owned(),
        };
        v.access = cookie(headers, MEMBER_ACCESS).map(str::to_owned);
        v.refresh = None;
        v
    }

    pub fn of(portal: &Portal, headers: &HeaderMap, peer: ConnectInfo<SocketAddr>) -> Self {
        let config = &portal.deps.config;
        let lang = cookie(headers, LANG)
            .and_then(Lang::parse)
            .or_else(|| {
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(Lang::parse)
            })
            .unwrap_or_default();
        Self {
            realm: Realm::Staff,
            access: cookie(headers, ACCESS).map(str::to_owned),
            refresh: cookie(headers, REFRESH).map(str::to_owned),
            pre: cookie(headers, PRE).map(str::to_owned),
            client: client_address(&portal.deps, headers, peer),
            lang,
            secure: config.env == Environment::Production
                || config.public_url.starts_with("https://"),
            cookies: Vec::new(),
            flash: None,
        }
    }

    pub fn signed_in(&self) -> bool {
        self.access.is_some() || self.refresh.is_some()
    }

    fn set(&mut self, name: &str, value: &str, max_age: Option<u64>) {
        let path = match (&self.realm, name) {
            (Realm::Member { slug }, MEMBER_ACCESS) => format!("/m/{slug}"),
            _ => "/".to_owned(),
        };
        let mut c = format!("{name}={value}; Path={path}; HttpOnly; SameSite=Lax");
        if let Some(age) = max_age {
            c.push_str(&format!("; Max-Age={age}"));
        }
        if self.secure {
            c.push_str("; Secure");
        }
        self.cookies.push(c);
    }

    /// Keeps a language chosen with `?lang=` for the next pages.
    pub fn choose_lang(&mut self, lang: Lang) {
        self.lang = lang;
        self.set(LANG, lang.code(), Some(365 * 24 * 3600));
    }

    /// Stores a member session (the API gives members an access token only: it lasts its
    /// lifetime, then the member signs in again).
    pub fn start_member_session(&mut self, access: &str, expires_in: u64) {
        self.new_binder();
        self.access = Some(access.to_owned());
        self.set(MEMBER_ACCESS, access, Some(expires_in));
    }

    /// Stores a session the API opened (login, refresh, verification link).
    /// A new sign-in: forms opened before it are void.
    pub fn start_session(&mut self, access: &str, refresh: &str, expires_in: u64, days: u32) {
        self.new_binder();
        self.store_tokens(access, refresh, expires_in, days);
    }

    /// Renewed tokens of the same session (the CSRF binder stays).
    fn store_tokens(&mut self, access: &str, refresh: &str, expires_in: u64, days: u32) {
        self.access = Some(access.to_owned());
        self.refresh = Some(refresh.to_owned());
        self.set(ACCESS, access, Some(expires_in));
        self.set(REFRESH, refresh, Some(u64::from(days) * 24 * 3600));
    }

    pub fn end_session(&mut self) {
        self.new_binder();
        self.access = None;
        self.refresh = None;
        if matches!(self.realm, Realm::Member { .. }) {
            self.set(MEMBER_ACCESS, "", Some(0));
            return;
        }
        self.set(ACCESS, "", Some(0));
        self.set(REFRESH, "", Some(0));
    }

    pub fn refresh_token(&self) -> Option<&str> {
        self.refresh.as_deref()
    }

    /// What a CSRF token is bound to: the browser's `fidelis_pre` cookie, a random value created
    /// on first need and replaced at every sign-in and sign-out. Stable while a session renews
    /// its tokens (forms open in other tabs keep working); a value planted before sign-in is
    /// worthless after it.
    fn binder(&mut self) -> Vec<u8> {
        let pre = match &self.pre {
            Some(p) => p.clone(),
            None => self.new_binder(),
        };
        Sha256::digest(format!("pre:{pre}")).to_vec()
    }

    fn new_binder(&mut self) -> String {
        let p = crate::core::auth::secrets::new_token();
        self.set(PRE, &p, None);
        self.pre = Some(p.clone());
        p
    }

    /// The CSRF token for the forms of this page.
    pub fn csrf(&mut self, portal: &Portal) -> String {
        let binder = self.binder();
        portal.deps.links.signer.sign(Purpose::Csrf, &[], &binder)
    }

    /// Whether a posted CSRF token belongs to this visitor's session.
    pub fn csrf_ok(&mut self, portal: &Portal, token: &str) -> bool {
        if self.pre.is_none() {
            return false;
        }
        let binder = self.binder();
        portal
            .deps
            .links
            .signer
            .verify(Purpose::Csrf, token, 0, &binder)
            .is_some()
    }

    /// Runs one operation as the visitor; the access token is renewed from the refresh token
    /// when it ran out (once). UNAUTHENTICATED when there is no usable session.
    pub async fn run(
        &mut self,
        portal: &Portal,
        query: &'static str,
        variables: Value,
    ) -> Result<Value, Failure> {
        if self.access.is_none() && self.refresh.is_some() {
            self.renew(portal).await?;
        }
        match self
            .call(portal, self.access.clone(), query, variables.clone())
            .await
        {
            Err(f) if f.code == "UNAUTHENTICATED" && self.refresh.is_some() => {
                self.renew(portal).await?;
                self.call(portal, self.access.clone(), query, variables)
                    .await
            }
            other => other,
        }
    }

    /// Runs one operation without a session (sign-up, login).
    pub async fn run_anonymous(
        &self,
        portal: &Portal,
        query: &'static str,
        variables: Value,
    ) -> Result<Value, Failure> {
        self.call(portal, None, query, variables).await
    }

    async fn call(
        &self,
        portal: &Portal,
        token: Option<String>,
        query: &'static str,
        variables: Value,
    ) -> Result<Value, Failure> {
        let response = (portal.gql)(Call {
            token,
            client: self.client.clone(),
            query,
            variables,
        })
        .await
        .map_err(|e| Failure::from(&e))?;
        if let Some(error) = response.errors.first() {
            let ext = error.extensions.as_ref();
            let text = |key: &str| {
                ext.and_then(|e| e.get(key))
                    .and_then(|v| v.clone().into_json().ok())
                    .and_then(|v| v.as_str().map(str::to_owned))
            };
            return Err(Failure {
                code: text("code").unwrap_or_else(|| "INTERNAL".to_owned()),
                message: error.message.clone(),
                field: text("field"),
            });
        }
        response.data.into_json().map_err(|_| Failure::internal())
    }

    async fn renew(&mut self, portal: &Portal) -> Result<(), Failure> {
        let Some(refresh) = self.refresh.clone() else {
            return Err(Failure::unauthenticated());
        };
        let renewed = self
            .call(
                portal,
                None,
                "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken expiresIn } }",
                serde_json::json!({ "t": refresh }),
            )
            .await;
        match renewed {
            Ok(data) => {
                let s = &data["refreshToken"];
                self.store_tokens(
                    s["accessToken"].as_str().unwrap_or_default(),
                    s["refreshToken"].as_str().unwrap_or_default(),
                    s["expiresIn"].as_u64().unwrap_or(0),
                    portal.deps.auth.refresh_token_ttl_days,
                );
                Ok(())
            }
            // Another tab renewed with the same refresh token a moment ago: its cookies won;
            // this request leaves the cookies alone and asks for a reload.
            Err(f) if f.message.contains("just used by another request") => Err(Failure {
                code: "RETRY".to_owned(),
                message: f.message,
                field: None,
            }),
            // Only a definite "this session is over" ends it here.
            Err(f) if f.code == "UNAUTHENTICATED" => {
                self.end_session();
                Err(Failure::unauthenticated())
            }
            Err(f) => Err(f),
        }
    }
}
