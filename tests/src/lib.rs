//! End-to-end test harness: every test starts the real server (port 0) on a database of its own
//! and speaks GraphQL over HTTP, with mail going through a real SMTP conversation to an
//! in-process sink.
//!
//! The database is SQLite unless `FIDELIS_TEST_DATABASE_URL` names a PostgreSQL server (e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`); `.ci/run` runs the suite once each way.

pub mod db;
pub mod gql;
pub mod smtp;

use std::{net::SocketAddr, sync::Arc};

use fidelis::{
    App,
    core::{
        auth::Role,
        config::{Config, Environment},
        deps::Deps,
    },
};
pub use gql::{Gql, code_of, field_of};
use secrecy::SecretString;
use serde_json::{Value, json};
pub use smtp::{ReceivedMail, SmtpSink};

/// A running server with its own database and mail sink.
pub struct TestApp {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    pub smtp: SmtpSink,
    pub state: Arc<Deps>,
    _db: db::TestDatabase,
    _outbox: TempDir,
}

/// A temporary folder removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub const PASSWORD: &str = "correct horse battery staple";

/// Starts a server on a fresh database with default settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts a server after letting the test adjust its configuration.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        fidelis::server::telemetry::init(&Config::defaults());
    }
    let database = db::TestDatabase::create().await;
    let smtp = SmtpSink::start().await;
    let outbox =
        TempDir(std::env::temp_dir().join(format!("fidelis-outbox-{}", uuid::Uuid::new_v4())));
    let mut config = Config::defaults();
    config.env = Environment::Test;
    config.bind = "127.0.0.1:0".parse().unwrap_or_else(|_| unreachable!());
    config.database_url = database.url.clone();
    config.db_max_connections = 5;
    config.public_url = "http://portal.test".to_owned();
    config.jwt_signing_key = SecretString::from(format!("test-key-{}", uuid::Uuid::new_v4()));
    config.smtp_url = Some(SecretString::from(format!("smtp://{}", smtp.addr)));
    config.outbox_dir = outbox.0.clone();
    // Tests run the jobs and the mail worker themselves, when and as often as they mean to
    // (a test of the running workers turns them back on).
    config.jobs_interval_secs = 0;
    config.mail_poll_secs = 0;
    adjust(&mut config);
    let app = App::build(config)
        .await
        .unwrap_or_else(|e| panic!("the app does not start: {e:?}"));
    let addr = app
        .local_addr()
        .unwrap_or_else(|e| panic!("no local address: {e}"));
    let state = app.state();
    tokio::spawn(app.run_until(std::future::pending()));
    TestApp {
        addr,
        http: reqwest::Client::new(),
        smtp,
        state,
        _db: database,
        _outbox: outbox,
    }
}

/// A brand onboarded through the public API, with its owner logged in.
#[derive(Debug, Clone)]
pub struct TestBrand {
    pub id: String,
    pub slug: String,
    pub owner: Session,
}

/// A logged-in portal user.
#[derive(Debug, Clone)]
pub struct Session {
    pub user_id: String,
    pub email: String,
    pub access_token: String,
    pub refresh_token: String,
}

impl Session {
    fn from_payload(payload: &Value) -> Self {
        Self {
            user_id: payload["user"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            email: payload["user"]["email"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            access_token: payload["accessToken"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            refresh_token: payload["refreshToken"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        }
    }
}

pub const SESSION_FIELDS: &str =
    "accessToken refreshToken tokenType expiresIn user { id email role }";

impl TestApp {
    /// The server's clock: tests move it forward instead of sleeping or dating data back.
    pub fn clock(&self) -> &fidelis::core::clock::Clock {
        &self.state.base.clock
    }

    /// Now, on the server's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.state.base.clock.now()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A GraphQL client without credentials.
    pub fn anonymous(&self) -> Gql {
        Gql::new(self.http.clone(), self.url("/graphql"), None)
    }

    /// A GraphQL client sending `token` as bearer.
    pub fn as_token(&self, token: &str) -> Gql {
        Gql::new(
            self.http.clone(),
            self.url("/graphql"),
            Some(token.to_owned()),
        )
    }

    /// Signs up a brand, confirms the owner's address from the mail, and logs the owner in.
    pub async fn new_brand(&self, slug: &str) -> TestBrand {
        let email = format!("owner@{slug}.example");
        let resp = self
            .anonymous()
            .query(
                "mutation($input: SignUpBrandInput!) { signUpBrand(input: $input) { brand { id slug } owner { id } } }",
                json!({ "input": {
                    "brandName": format!("Brand {slug}"), "slug": slug, "ownerEmail": email,
                    "ownerPassword": PASSWORD, "currency": "EUR", "timezone": "Europe/Paris"
                }}),
            )
            .await;
        let id = resp["data"]["signUpBrand"]["brand"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("sign-up failed: {resp}"))
            .to_owned();
        let mail = self.smtp.wait_for(&email).await;
        let token = mail
            .link_token("/verify-email")
            .unwrap_or_else(|| panic!("no link in {}", mail.text()));
        let verified = self
            .anonymous()
            .query(
                "mutation($t: String!) { verifyEmail(token: $t) { emailVerified } }",
                json!({ "t": token }),
            )
            .await;
        assert_eq!(
            verified["data"]["verifyEmail"]["emailVerified"], true,
            "{verified}"
        );
        let owner = self.login(&email, PASSWORD).await;
        TestBrand {
            id,
            slug: slug.to_owned(),
            owner,
        }
    }

    pub async fn try_login(&self, email: &str, password: &str) -> Value {
        self.anonymous()
            .query(
                &format!("mutation($i: LoginInput!) {{ login(input: $i) {{ {SESSION_FIELDS} }} }}"),
                json!({ "i": { "email": email, "password": password } }),
            )
            .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Session {
        let resp = self.try_login(email, password).await;
        assert!(
            resp["data"]["login"].is_object(),
            "login of {email} failed: {resp}"
        );
        Session::from_payload(&resp["data"]["login"])
    }

    /// Opens the mailed verification link as a browser would (its page, then its button):
    /// the status and the page that answers the confirmation.
    pub async fn confirm_address(&self, token: &str) -> (u16, String) {
        let browser = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let page = browser
            .get(self.url(&format!("/verify-email?token={token}")))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .text()
            .await
            .unwrap_or_default();
        let csrf = page
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default()
            .to_owned();
        let answer = browser
            .post(self.url("/verify-email"))
            .form(&[("token", token), ("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let status = answer.status().as_u16();
        (status, answer.text().await.unwrap_or_default())
    }

    /// Invites `email` with `role` as the brand's owner and accepts from the mailed link.
    pub async fn invite(&self, brand: &TestBrand, email: &str, role: &str) -> Session {
        let owner = self.as_token(&brand.owner.access_token);
        let invited = owner
            .query(
                "mutation($i: InviteUserInput!) { inviteUser(input: $i) { id status } }",
                json!({ "i": { "email": email, "role": role } }),
            )
            .await;
        assert_eq!(
            invited["data"]["inviteUser"]["status"], "PENDING",
            "{invited}"
        );
        let token = self
            .smtp
            .wait_for(&email.to_lowercase())
            .await
            .link_token("/accept-invitation")
            .unwrap_or_default();
        let accepted = self
            .anonymous()
            .query(
                &format!("mutation($i: AcceptInvitationInput!) {{ acceptInvitation(input: $i) {{ {SESSION_FIELDS} }} }}"),
                json!({ "i": { "token": token, "password": PASSWORD } }),
            )
            .await;
        assert!(
            accepted["data"]["acceptInvitation"].is_object(),
            "{accepted}"
        );
        Session::from_payload(&accepted["data"]["acceptInvitation"])
    }

    /// Creates an API key as the owner; returns (key id, client id, client secret).
    pub async fn new_api_key(
        &self,
        brand: &TestBrand,
        scopes: &[&str],
    ) -> (String, String, String) {
        let resp = self
            .as_token(&brand.owner.access_token)
            .query(
                "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { apiKey { id clientId } clientSecret } }",
                json!({ "i": { "name": "POS", "scopes": scopes } }),
            )
            .await;
        let p = &resp["data"]["createApiKey"];
        assert!(p.is_object(), "{resp}");
        (
            p["apiKey"]["id"].as_str().unwrap_or_default().to_owned(),
            p["apiKey"]["clientId"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            p["clientSecret"].as_str().unwrap_or_default().to_owned(),
        )
    }

    /// `POST /oauth/token` with form credentials; returns (status, JSON body).
    pub async fn oauth_token(&self, form: &[(&str, &str)]) -> (u16, Value) {
        let resp = self
            .http
            .post(self.url("/oauth/token"))
            .form(form)
            .send()
            .await
            .unwrap_or_else(|e| panic!("token request failed: {e}"));
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// A partner app token for a new key with `scopes`.
    pub async fn partner_token(&self, brand: &TestBrand, scopes: &[&str]) -> String {
        let (_, client_id, secret) = self.new_api_key(brand, scopes).await;
        let (status, body) = self
            .oauth_token(&[
                ("grant_type", "client_credentials"),
                ("client_id", &client_id),
                ("client_secret", &secret),
            ])
            .await;
        assert_eq!(status, 200, "{body}");
        body["access_token"].as_str().unwrap_or_default().to_owned()
    }

    /// A platform admin, created the way production creates the first one (the CLI's function:
    /// there is deliberately no endpoint for it), then logged in through the API.
    pub async fn db_platform_admin(&self) -> Session {
        self.db_unscoped_user(Role::PlatformAdmin, "admin@fidelis.test")
            .await
    }

    /// A coalition operator. Written directly because coalitions (and the admin mutation that
    /// names operators) come with the coalition issue.
    pub async fn db_coalition_operator(&self) -> Session {
        self.db_unscoped_user(Role::CoalitionOperator, "operator@coalition.test")
            .await
    }

    async fn db_unscoped_user(&self, role: Role, email: &str) -> Session {
        fidelis::identity::sessions::create_unscoped_user(
            &self.state.base.db,
            email,
            PASSWORD,
            role,
        )
        .await
        .unwrap_or_else(|e| panic!("creating {email}: {e}"));
        self.login(email, PASSWORD).await
    }

    /// A member of the brand signed up through the member app; returns their access token.
    pub async fn member_token(&self, brand: &TestBrand) -> String {
        let resp = self
            .anonymous()
            .query(
                "mutation($i: MemberSignUpInput!) { memberSignUp(input: $i) { accessToken } }",
                json!({ "i": { "brandSlug": brand.slug, "email": format!("member-{}@{}.example", uuid::Uuid::new_v4(), brand.slug), "password": PASSWORD } }),
            )
            .await;
        resp["data"]["memberSignUp"]["accessToken"]
            .as_str()
            .unwrap_or_else(|| panic!("memberSignUp: {resp}"))
            .to_owned()
    }
}

/// A points program: 1 point per 10.00 spent unless `rules` says otherwise.
pub const CREATE_PROGRAM: &str = "mutation($i: CreateProgramInput!) { createProgram(input: $i) { id name mechanic points { points perAmountMinor validityMonths welcomeBonus } } }";
pub const ENROLL: &str = "mutation($i: EnrollMemberInput!) { enrollMember(input: $i) { member { id email } card { id number status } } }";
pub const RECORD_PURCHASE: &str = "mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { purchase { id memberId totalMinor pointsEarned lines { lineNo sku pointsEarned } } earnings { programName points expiresAt } } }";

impl TestApp {
    /// Creates a POINTS program with `rules` (fields of PointsRulesInput); returns its id.
    pub async fn new_points_program(&self, brand: &TestBrand, name: &str, rules: Value) -> String {
        let resp = self
            .as_token(&brand.owner.access_token)
            .query(
                CREATE_PROGRAM,
                json!({ "i": { "name": name, "rules": { "points": rules } } }),
            )
            .await;
        resp["data"]["createProgram"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("createProgram: {resp}"))
            .to_owned()
    }

    /// Enrols a member as the owner; returns (member id, card number).
    pub async fn enroll(&self, brand: &TestBrand, input: Value) -> (String, String) {
        let resp = self
            .as_token(&brand.owner.access_token)
            .query(ENROLL, json!({ "i": input }))
            .await;
        let p = &resp["data"]["enrollMember"];
        (
            p["member"]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("enrollMember: {resp}"))
                .to_owned(),
            p["card"]["number"].as_str().unwrap_or_default().to_owned(),
        )
    }

    /// The points a member can spend now, summed over programs.
    pub async fn points(&self, brand: &TestBrand, member: &str) -> i64 {
        let resp = self
            .as_token(&brand.owner.access_token)
            .query(
                "query($id: ID!) { member(id: $id) { points { available } } }",
                json!({ "id": member }),
            )
            .await;
        resp["data"]["member"]["points"]
            .as_array()
            .unwrap_or_else(|| panic!("member: {resp}"))
            .iter()
            .filter_map(|p| p["available"].as_i64())
            .sum()
    }

    /// The ledger check of `fidelis ledger verify`, run on this test's database (it reads every
    /// brand's entries, which no API exposes).
    pub async fn db_verify_ledger(&self) -> fidelis::core::ledger::verify::LedgerReport {
        fidelis::server::ledger_audit::verify_ledger(&self.state.base.db)
            .await
            .unwrap_or_else(|e| panic!("verify: {e:?}"))
    }
}
