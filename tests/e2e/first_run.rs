//! The first hour of a brand on a server started with the default settings: brand mail goes out
//! with the platform sender, the mail worker runs by itself, every mailed link opens a page,
//! GraphiQL can introspect, members enrolled at the till get an app login, texts follow the
//! brand's language, and the mail details an outside checker looks at are right.

use std::time::Duration;

use chrono::Utc;
use fidelis::core::config::Config;
use fidelis_tests::{
    ENROLL, PASSWORD, ReceivedMail, TestApp, TestBrand, code_of, field_of, spawn_app,
    spawn_app_with,
};
use serde_json::{Value, json};

const TEMPLATE: &str =
    "mutation($i: EmailTemplateInput!) { createEmailTemplate(input: $i) { id } }";
const CAMPAIGN: &str = "query($id: ID!) { campaign(id: $id) { status statusReason stats { sent failed interrupted failedByReason { reason count } queued } } }";

async fn marketing_template(app: &TestApp, brand: &TestBrand) -> String {
    let t = app
        .as_token(&brand.owner.access_token)
        .query(TEMPLATE, json!({ "i": { "name": "News", "subject": "Du nouveau chez {{ brand.name }}",
            "html": "<p>Bonjour {{ member.first_name }}</p><p><a href=\"{{ links.app }}\">Mon espace</a></p>",
            "text": "Bonjour {{ member.first_name }} : {{ links.app }}" } }))
        .await;
    t["data"]["createEmailTemplate"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{t}"))
        .to_owned()
}

async fn new_campaign(app: &TestApp, brand: &TestBrand, template: &str) -> String {
    let c = app
        .as_token(&brand.owner.access_token)
        .query(
            "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id } }",
            json!({ "i": { "name": "Premier envoi", "templateId": template } }),
        )
        .await;
    c["data"]["createCampaign"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{c}"))
        .to_owned()
}

/// Polls the campaign until `done` holds (the worker runs on its own), at most 10 s.
async fn campaign_until(
    app: &TestApp,
    brand: &TestBrand,
    id: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let owner = app.as_token(&brand.owner.access_token);
    for _ in 0..100 {
        let c = owner.query(CAMPAIGN, json!({ "id": id })).await;
        if done(&c["data"]["campaign"]) {
            return c["data"]["campaign"].clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "campaign never reached the state: {}",
        owner.query(CAMPAIGN, json!({ "id": id })).await
    );
}

fn message_id(mail: &ReceivedMail) -> String {
    mail.header("Message-ID")
        .unwrap_or_else(|| panic!("no Message-ID in\n{}", mail.data))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_brand_on_the_defaults_mails_its_members_and_its_first_campaign_within_seconds() {
    // The mail worker as a fresh server runs it (tests otherwise drive it by hand).
    let app = spawn_app_with(|c| c.mail_poll_secs = Config::defaults().mail_poll_secs).await;
    let brand = app.new_brand("premier").await;
    let owner = app.as_token(&brand.owner.access_token);
    let settings = owner
        .query(
            "{ mailSettings { saved fromName fromAddress sendingProblem } }",
            json!({}),
        )
        .await;
    assert_eq!(
        settings["data"]["mailSettings"],
        json!({ "saved": false, "fromName": "Brand premier", "fromAddress": "no-reply@fidelis.localhost", "sendingProblem": null }),
        "{settings}"
    );
    let verification = app.smtp.wait_for("owner@premier.example").await;

    // A member enrolled at the till gets the welcome mail by itself, within seconds.
    let (_, card) = app
        .enroll(&brand, json!({ "email": "lea@premier.example", "firstName": "Léa", "emailConsent": true, "consentSource": "till" }))
        .await;
    let welcome = app.smtp.wait_for("lea@premier.example").await;
    assert_eq!(
        welcome.header("From").as_deref(),
        Some("\"Brand premier\" <no-reply@fidelis.localhost>"),
        "{}",
        welcome.data
    );
    assert_eq!(welcome.subject(), "Bienvenue chez Brand premier");
    assert!(welcome.text().contains("Bonjour Léa"), "{}", welcome.text());
    assert!(welcome.text().contains(&card));
    assert!(
        welcome
            .header("Content-Type")
            .is_some_and(|c| c.starts_with("multipart/alternative")),
        "text and HTML as alternatives: {}",
        welcome.data
    );
    assert!(welcome.text().contains("<html lang=\"fr\">"));
    assert!(welcome.header("Date").is_some());

    // The first campaign starts and is delivered within seconds of sendCampaign.
    let template = marketing_template(&app, &brand).await;
    let id = new_campaign(&app, &brand, &template).await;
    let sent = owner
        .query(
            "mutation($id: ID!) { sendCampaign(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        sent["data"]["sendCampaign"]["status"], "SCHEDULED",
        "{sent}"
    );
    let news = app.smtp.wait_for_count("lea@premier.example", 2).await;
    assert_eq!(news.subject(), "Du nouveau chez Brand premier");
    assert!(
        news.text().contains("http://portal.test/m/premier"),
        "links.app is the member space: {}",
        news.text()
    );
    let done = campaign_until(&app, &brand, &id, |c| c["status"] == "SENT").await;
    assert_eq!(done["stats"]["sent"], 1, "{done}");
    assert_eq!(done["stats"]["failed"], 0, "{done}");

    // Every mail has its own Message-ID under the sender's domain.
    let ids = [
        message_id(&verification),
        message_id(&welcome),
        message_id(&news),
    ];
    for id in &ids {
        assert!(
            id.starts_with('<') && id.ends_with("@fidelis.localhost>"),
            "{id}"
        );
    }
    assert!(ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2]);
}

#[tokio::test(flavor = "multi_thread")]
async fn mail_the_settings_cannot_send_waits_and_says_why_until_they_are_fixed() {
    let app = spawn_app().await;
    let brand = app.new_brand("panne").await;
    let owner = app.as_token(&brand.owner.access_token);
    // A sender that does not parse is refused when saved, and nothing is saved.
    let bad = owner
        .query(
            "mutation($i: MailSettingsInput!) { updateMailSettings(input: $i) { saved } }",
            json!({ "i": { "fromName": "Panne", "fromAddress": "Panne <not an address>" } }),
        )
        .await;
    assert_eq!(field_of(&bad), "input.fromAddress", "{bad}");
    let saved = owner
        .query(
            "mutation($i: MailSettingsInput!) { updateMailSettings(input: $i) { saved } }",
            json!({ "i": { "fromName": "Panne", "fromAddress": "news@panne.example" } }),
        )
        .await;
    assert_eq!(
        saved["data"]["updateMailSettings"]["saved"], true,
        "{saved}"
    );
    let template = marketing_template(&app, &brand).await;
    let scheduled = new_campaign(&app, &brand, &template).await;
    let r = owner
        .query(
            "mutation($id: ID!) { sendCampaign(id: $id) { status } }",
            json!({ "id": scheduled }),
        )
        .await;
    assert_eq!(r["data"]["sendCampaign"]["status"], "SCHEDULED", "{r}");
    app.enroll(
        &brand,
        json!({ "email": "zoe@panne.example", "emailConsent": true, "consentSource": "till" }),
    )
    .await;

    // The stored sender breaks (a row written by an older version: no API can save it), after
    // the campaign was sent: nothing goes out, nothing is lost, and the API says why.
    db_break_sender(&app, &brand).await;
    let problem = owner
        .query("{ mailSettings { sendingProblem } }", json!({}))
        .await;
    assert!(
        problem["data"]["mailSettings"]["sendingProblem"]
            .as_str()
            .is_some_and(|p| p.contains("sender address")),
        "{problem}"
    );
    let delivery = fidelis::engagement::campaigns::run_once(
        &app.state.base,
        &app.state.links,
        &app.state.post,
        Utc::now(),
        None,
    )
    .await
    .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(delivery.sent + delivery.failed, 0, "{delivery:?}");
    let held = owner.query(CAMPAIGN, json!({ "id": scheduled })).await;
    assert_eq!(held["data"]["campaign"]["status"], "PAUSED", "{held}");
    assert!(
        held["data"]["campaign"]["statusReason"]
            .as_str()
            .is_some_and(|r| r.starts_with("CONFIG: ")),
        "{held}"
    );
    let transactional = fidelis::engagement::transactional::run_once(
        &app.state.base,
        &app.state.links,
        &app.state.post,
        Utc::now(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        (transactional.sent, transactional.failed),
        (0, 0),
        "{transactional:?}"
    );
    assert!(transactional.held >= 1, "{transactional:?}");
    // Another campaign is refused before it starts, with the reason.
    let other = new_campaign(&app, &brand, &template).await;
    let refused = owner
        .query(
            "mutation($id: ID!) { sendCampaign(id: $id) { status } }",
            json!({ "id": other }),
        )
        .await;
    assert_eq!(code_of(&refused), "CONFLICT", "{refused}");
    assert!(refused.to_string().contains("sender address"), "{refused}");
    assert!(app.smtp.to("zoe@panne.example").await.is_empty());

    // Fixed: the held campaign and the welcome mail go out, each once.
    let fixed = owner
        .query(
            "mutation($i: MailSettingsInput!) { updateMailSettings(input: $i) { sendingProblem } }",
            json!({ "i": { "fromName": "Panne", "fromAddress": "news@panne.example" } }),
        )
        .await;
    assert_eq!(
        fixed["data"]["updateMailSettings"]["sendingProblem"],
        Value::Null,
        "{fixed}"
    );
    let resumed = owner.query(CAMPAIGN, json!({ "id": scheduled })).await;
    assert_eq!(
        resumed["data"]["campaign"]["status"], "SCHEDULED",
        "{resumed}"
    );
    assert_eq!(resumed["data"]["campaign"]["statusReason"], Value::Null);
    fidelis::engagement::campaigns::run_once(
        &app.state.base,
        &app.state.links,
        &app.state.post,
        Utc::now(),
        None,
    )
    .await
    .unwrap_or_else(|e| panic!("{e:?}"));
    fidelis::engagement::transactional::run_once(
        &app.state.base,
        &app.state.links,
        &app.state.post,
        Utc::now(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e:?}"));
    let mails = app.smtp.to("zoe@panne.example").await;
    let subjects: Vec<String> = mails.iter().map(ReceivedMail::subject).collect();
    assert_eq!(mails.len(), 2, "{subjects:?}");
    assert!(subjects.iter().any(|s| s == "Bienvenue chez Brand panne"));
    assert!(subjects.iter().any(|s| s == "Du nouveau chez Brand panne"));
}

/// Writes a sender address no API accepts, as a row saved by an older version would hold.
async fn db_break_sender(app: &TestApp, brand: &TestBrand) {
    use sea_orm::ConnectionTrait;
    let backend = app.state.base.db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => {
            "UPDATE mail_settings SET from_address = 'not an address' WHERE tenant_id = $1"
        }
        _ => "UPDATE mail_settings SET from_address = 'not an address' WHERE tenant_id = ?",
    };
    let id = uuid::Uuid::parse_str(&brand.id).unwrap_or_else(|e| panic!("{e}"));
    app.state
        .base
        .db
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            sql,
            [id.into()],
        ))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

async fn get(app: &TestApp, path: &str) -> (u16, String) {
    let r = app
        .http
        .get(app.url(path))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let status = r.status().as_u16();
    (status, r.text().await.unwrap_or_default())
}

async fn post_form(
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
    origin: Option<&str>,
) -> (u16, String) {
    let mut request = app.http.post(app.url(path)).form(form);
    if let Some(origin) = origin {
        request = request.header("Origin", origin);
    }
    let r = request.send().await.unwrap_or_else(|e| panic!("{e}"));
    let status = r.status().as_u16();
    (status, r.text().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread")]
async fn every_link_mailed_to_a_person_opens_a_working_page() {
    let app = spawn_app().await;
    let (status, home) = get(&app, "/").await;
    assert_eq!(status, 200);
    assert!(
        home.contains("<html lang=\"fr\">") && home.contains("/graphql"),
        "{home}"
    );

    // Verification: a link scanner's HEAD does nothing; the click verifies and says so.
    let signed = app
        .anonymous()
        .query(
            "mutation($input: SignUpBrandInput!) { signUpBrand(input: $input) { brand { id } } }",
            json!({ "input": { "brandName": "Lien", "slug": "lien", "ownerEmail": "owner@lien.example",
                "ownerPassword": PASSWORD, "currency": "EUR", "timezone": "Europe/Paris" } }),
        )
        .await;
    assert!(signed["errors"].is_null(), "{signed}");
    let mail = app.smtp.wait_for("owner@lien.example").await;
    assert!(
        mail.subject().starts_with("Confirmez votre adresse"),
        "{}",
        mail.subject()
    );
    let token = mail.link_token("/verify-email").unwrap_or_default();
    let head = app
        .http
        .head(app.url(&format!("/verify-email?token={token}")))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(head.status().as_u16(), 200);
    assert_eq!(
        code_of(&app.try_login("owner@lien.example", PASSWORD).await),
        "FORBIDDEN",
        "HEAD must not verify"
    );
    // GET shows a confirmation button and changes nothing either (mail scanners use GET).
    let (status, page) = get(&app, &format!("/verify-email?token={token}")).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        code_of(&app.try_login("owner@lien.example", PASSWORD).await),
        "FORBIDDEN",
        "GET must not verify"
    );
    let (status, page) = app.confirm_address(&token).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Adresse confirmée") && page.contains("owner@lien.example"),
        "{page}"
    );
    let owner = app.login("owner@lien.example", PASSWORD).await;
    let (status, again) = app.confirm_address(&token).await;
    assert_eq!(status, 400, "a used link says so: {again}");

    // Invitation: the form, then the account.
    let invited = app
        .as_token(&owner.access_token)
        .query(
            "mutation($i: InviteUserInput!) { inviteUser(input: $i) { id } }",
            json!({ "i": { "email": "cashier@lien.example", "role": "BRAND_STAFF" } }),
        )
        .await;
    assert!(invited["errors"].is_null(), "{invited}");
    let token = app
        .smtp
        .wait_for("cashier@lien.example")
        .await
        .link_token("/accept-invitation")
        .unwrap_or_default();
    let (status, form) = get(&app, &format!("/accept-invitation?token={token}")).await;
    assert_eq!(status, 200);
    assert!(
        form.contains("<form method=\"post\"") && form.contains("Lien"),
        "{form}"
    );
    let (status, page) = post_form(
        &app,
        "/accept-invitation",
        &[
            ("token", &token),
            ("password", PASSWORD),
            ("confirm", "something else entirely"),
        ],
        None,
    )
    .await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("différents"), "{page}");
    // Posted from another site: refused, nothing created.
    let (status, _) = post_form(
        &app,
        "/accept-invitation",
        &[
            ("token", &token),
            ("password", PASSWORD),
            ("confirm", PASSWORD),
        ],
        Some("https://evil.example"),
    )
    .await;
    assert_eq!(status, 403);
    let (status, page) = post_form(
        &app,
        "/accept-invitation",
        &[
            ("token", &token),
            ("password", PASSWORD),
            ("confirm", PASSWORD),
            ("display_name", "Caissier"),
        ],
        None,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    app.login("cashier@lien.example", PASSWORD).await;

    // Password reset: the form sets a new password, the old one stops working.
    let asked = app
        .anonymous()
        .query(
            "mutation { requestPasswordReset(email: \"cashier@lien.example\") }",
            json!({}),
        )
        .await;
    assert!(asked["errors"].is_null(), "{asked}");
    let reset = app.smtp.wait_for_count("cashier@lien.example", 2).await;
    assert!(
        reset.subject().starts_with("Réinitialisez"),
        "{}",
        reset.subject()
    );
    let token = reset.link_token("/reset-password").unwrap_or_default();
    let (status, form) = get(&app, &format!("/reset-password?token={token}")).await;
    assert_eq!(status, 200);
    assert!(form.contains("name=\"password\""), "{form}");
    let new_password = "a brand new passphrase";
    let (status, page) = post_form(
        &app,
        "/reset-password",
        &[
            ("token", &token),
            ("password", new_password),
            ("confirm", new_password),
        ],
        None,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        code_of(&app.try_login("cashier@lien.example", PASSWORD).await),
        "UNAUTHENTICATED"
    );
    app.login("cashier@lien.example", new_password).await;

    // The member space that mails link to (links.app), and a brand that does not exist.
    let (status, space) = get(&app, "/m/lien").await;
    assert_eq!(status, 200);
    assert!(
        space.contains("Lien") && space.contains("/m/lien/access"),
        "{space}"
    );
    assert_eq!(get(&app, "/m/nobody-here").await.0, 404);
}

/// The full introspection query GraphiQL sends (graphql-js `getIntrospectionQuery` with every
/// option on).
const INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    description
    queryType { name kind }
    mutationType { name kind }
    subscriptionType { name kind }
    types { ...FullType }
    directives {
      name
      description
      isRepeatable
      locations
      args(includeDeprecated: true) { ...InputValue }
    }
  }
}
fragment FullType on __Type {
  kind
  name
  description
  specifiedByURL
  fields(includeDeprecated: true) {
    name
    description
    args(includeDeprecated: true) { ...InputValue }
    type { ...TypeRef }
    isDeprecated
    deprecationReason
  }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue {
  name
  description
  type { ...TypeRef }
  defaultValue
  isDeprecated
  deprecationReason
}
fragment TypeRef on __Type {
  kind
  name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn graphiql_loads_its_schema_with_the_standard_introspection_query() {
    let app = spawn_app().await;
    let (status, resp) = app
        .anonymous()
        .post(json!({ "query": INTROSPECTION, "operationName": "IntrospectionQuery" }))
        .await;
    assert_eq!(status, 200);
    assert!(resp["errors"].is_null(), "{resp}");
    let types = resp["data"]["__schema"]["types"]
        .as_array()
        .unwrap_or_else(|| panic!("{resp}"));
    assert!(types.iter().any(|t| t["name"] == "RecordPurchaseInput"));
    assert_eq!(resp["data"]["__schema"]["queryType"]["name"], "Query");
    // Ordinary queries keep their depth limit.
    let deep = format!(
        "{{ viewer {{ {}role{} }} }}",
        "brand { ".repeat(12),
        " }".repeat(12)
    );
    let refused = app.anonymous().query(&deep, json!({})).await;
    assert_eq!(code_of(&refused), "BAD_REQUEST", "{refused}");
    assert!(refused.to_string().contains("nested too deep"), "{refused}");
    // The page pins exact versions with Subresource Integrity.
    let (status, page) = get(&app, "/graphql").await;
    assert_eq!(status, 200);
    assert!(page.contains("graphiql@4.1.2/graphiql.min.js"), "{page}");
    assert_eq!(page.matches("integrity=\"sha384-").count(), 4, "{page}");
    assert!(
        !page.contains("@3/") && !page.contains("@18/"),
        "no floating versions"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_member_enrolled_at_the_till_claims_an_app_login() {
    let app = spawn_app().await;
    let brand = app.new_brand("caisse").await;
    let (_, card) = app
        .enroll(
            &brand,
            json!({ "email": "Marc@Caisse.example", "firstName": "Marc" }),
        )
        .await;
    let anonymous = app.anonymous();
    let signup = anonymous
        .query(
            "mutation($i: MemberSignUpInput!) { memberSignUp(input: $i) { accessToken } }",
            json!({ "i": { "brandSlug": "caisse", "email": "marc@caisse.example", "password": PASSWORD } }),
        )
        .await;
    assert_eq!(code_of(&signup), "CONFLICT", "{signup}");
    assert!(
        signup.to_string().contains("requestMemberAccess"),
        "{signup}"
    );

    let request = "mutation($i: RequestMemberAccessInput!) { requestMemberAccess(input: $i) }";
    // Unknown addresses get the same answer and no mail.
    let unknown = anonymous
        .query(
            request,
            json!({ "i": { "brandSlug": "caisse", "email": "nobody@caisse.example" } }),
        )
        .await;
    assert_eq!(unknown["data"]["requestMemberAccess"], true, "{unknown}");
    let asked = anonymous
        .query(
            request,
            json!({ "i": { "brandSlug": "caisse", "email": "marc@caisse.example" } }),
        )
        .await;
    assert_eq!(asked["data"]["requestMemberAccess"], true, "{asked}");
    let mail = app.smtp.wait_for("marc@caisse.example").await;
    assert!(
        mail.subject().starts_with("Activez votre compte"),
        "{}",
        mail.subject()
    );
    assert!(message_id(&mail).ends_with("@fidelis.localhost>"));
    let token = mail
        .link_token("/m/caisse/set-password")
        .unwrap_or_else(|| panic!("{}", mail.text()));
    assert!(app.smtp.to("nobody@caisse.example").await.is_empty());

    let set = "mutation($i: SetMemberPasswordInput!) { setMemberPassword(input: $i) { accessToken member { firstName cards { number } points { available } } } }";
    let malformed = anonymous
        .query(
            set,
            json!({ "i": { "brandSlug": "caisse", "token": "x", "password": PASSWORD } }),
        )
        .await;
    assert_eq!(field_of(&malformed), "input.token", "{malformed}");
    let claimed = anonymous
        .query(
            set,
            json!({ "i": { "brandSlug": "caisse", "token": token, "password": PASSWORD } }),
        )
        .await;
    assert!(claimed["errors"].is_null(), "{claimed}");
    let payload = &claimed["data"]["setMemberPassword"];
    assert_eq!(payload["member"]["firstName"], "Marc");
    assert_eq!(
        payload["member"]["cards"][0]["number"],
        card.as_str(),
        "{claimed}"
    );
    let first_session = payload["accessToken"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let me = app
        .as_token(&first_session)
        .query("{ me { firstName } }", json!({}))
        .await;
    assert_eq!(me["data"]["me"]["firstName"], "Marc", "{me}");
    // Single use.
    let replay = anonymous
        .query(set, json!({ "i": { "brandSlug": "caisse", "token": token, "password": "another long password" } }))
        .await;
    assert_eq!(code_of(&replay), "CONFLICT", "{replay}");
    let login = "mutation($i: MemberLoginInput!) { memberLogin(input: $i) { accessToken } }";
    let logged = anonymous
        .query(login, json!({ "i": { "brandSlug": "caisse", "email": "marc@caisse.example", "password": PASSWORD } }))
        .await;
    assert!(
        logged["data"]["memberLogin"]["accessToken"].is_string(),
        "{logged}"
    );

    // Forgotten password, through the member space's pages this time: a reset link, the form,
    // a new password; the sessions opened before it end at once.
    app.clock().advance(chrono::Duration::seconds(2));
    let (status, page) = post_form(
        &app,
        "/m/caisse/access",
        &[("email", "marc@caisse.example")],
        None,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let reset = app.smtp.wait_for_count("marc@caisse.example", 2).await;
    assert!(
        reset.subject().starts_with("Nouveau mot de passe"),
        "{}",
        reset.subject()
    );
    let token = reset
        .link_token("/m/caisse/set-password")
        .unwrap_or_default();
    let (status, form) = get(&app, &format!("/m/caisse/set-password?token={token}")).await;
    assert_eq!(status, 200);
    assert!(form.contains("name=\"token\""), "{form}");
    let new_password = "my new member password";
    let (status, page) = post_form(
        &app,
        "/m/caisse/set-password",
        &[
            ("token", &token),
            ("password", new_password),
            ("confirm", new_password),
        ],
        None,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let ended = app
        .as_token(&first_session)
        .query("{ me { firstName } }", json!({}))
        .await;
    assert_eq!(code_of(&ended), "UNAUTHENTICATED", "{ended}");
    let logged = anonymous
        .query(login, json!({ "i": { "brandSlug": "caisse", "email": "marc@caisse.example", "password": new_password } }))
        .await;
    assert!(
        logged["data"]["memberLogin"]["accessToken"].is_string(),
        "{logged}"
    );
    // Asking again and again for one address is limited.
    let mut limited = false;
    for _ in 0..4 {
        let r = anonymous
            .query(
                request,
                json!({ "i": { "brandSlug": "caisse", "email": "marc@caisse.example" } }),
            )
            .await;
        limited |= code_of(&r) == "RATE_LIMITED";
    }
    assert!(
        limited,
        "a fourth mail to one address within the hour is refused"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn mails_and_pages_follow_the_brand_language() {
    let app = spawn_app().await;
    // An English-speaking brand.
    let signed = app
        .anonymous()
        .query(
            "mutation($input: SignUpBrandInput!) { signUpBrand(input: $input) { brand { id } } }",
            json!({ "input": { "brandName": "Tea Room", "slug": "tea-room", "ownerEmail": "owner@tea.example",
                "ownerPassword": PASSWORD, "currency": "GBP", "timezone": "Europe/London", "locale": "en-GB" } }),
        )
        .await;
    assert!(signed["errors"].is_null(), "{signed}");
    let verification = app.smtp.wait_for("owner@tea.example").await;
    assert!(
        verification
            .subject()
            .starts_with("Confirm your e-mail address")
    );
    let token = verification.link_token("/verify-email").unwrap_or_default();
    let (_, page) = app.confirm_address(&token).await;
    assert!(
        page.contains("<html lang=\"en\">") && page.contains("Address confirmed"),
        "{page}"
    );
    let owner = app.login("owner@tea.example", PASSWORD).await;
    let brand = TestBrand {
        id: String::new(),
        slug: "tea-room".to_owned(),
        owner,
    };
    app.enroll(
        &brand,
        json!({ "email": "ann@tea.example", "firstName": "Ann" }),
    )
    .await;
    fidelis::engagement::transactional::run_once(
        &app.state.base,
        &app.state.links,
        &app.state.post,
        Utc::now(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e:?}"));
    let welcome = app.smtp.wait_for("ann@tea.example").await;
    assert_eq!(welcome.subject(), "Welcome to Tea Room");
    assert!(welcome.text().contains("Hello Ann,"), "{}", welcome.text());
    let default = app
        .as_token(&brand.owner.access_token)
        .query(
            "{ en: defaultEmailTemplate(purpose: WELCOME) { subject } fr: defaultEmailTemplate(purpose: WELCOME, language: FR) { subject } }",
            json!({}),
        )
        .await;
    assert_eq!(
        default["data"]["en"]["subject"], "Welcome to {{ brand.name }}",
        "{default}"
    );
    assert_eq!(
        default["data"]["fr"]["subject"],
        "Bienvenue chez {{ brand.name }}"
    );
    let (_, space) = get(&app, "/m/tea-room").await;
    assert!(space.contains("<html lang=\"en\">"), "{space}");
}

#[tokio::test(flavor = "multi_thread")]
async fn typed_inputs_are_read_as_people_type_them() {
    let app = spawn_app().await;
    let brand = app.new_brand("saisie").await;
    let owner = app.as_token(&brand.owner.access_token);
    let (member, card) = app
        .enroll(
            &brand,
            json!({ "email": "eva@saisie.example", "firstName": "Eva" }),
        )
        .await;
    let spaced = format!(
        "{} {} {} {}",
        &card[..4],
        &card[4..8],
        &card[8..12],
        &card[12..]
    );
    let dashed = spaced.replace(' ', "-");
    for typed in [&spaced, &dashed] {
        let found = owner
            .query(
                "query($n: String!) { cardByNumber(number: $n) { number memberId } }",
                json!({ "n": typed }),
            )
            .await;
        assert_eq!(
            found["data"]["cardByNumber"]["memberId"],
            member.as_str(),
            "{found}"
        );
    }
    // A malformed one-time token is a VALIDATION error, not a CONFLICT.
    let bad = app
        .anonymous()
        .query(
            "mutation { verifyEmail(token: \"not-a-token\") { emailVerified } }",
            json!({}),
        )
        .await;
    assert_eq!(code_of(&bad), "VALIDATION", "{bad}");
    // A partner app missing a scope is told which.
    let token = app.partner_token(&brand, &["PURCHASES_WRITE"]).await;
    let denied = app
        .as_token(&token)
        .query(
            "query($id: ID!) { member(id: $id) { id } }",
            json!({ "id": member }),
        )
        .await;
    assert_eq!(code_of(&denied), "FORBIDDEN", "{denied}");
    assert!(denied.to_string().contains("members:read"), "{denied}");
    // URLs in HTML previews read as URLs.
    let preview = owner
        .query(
            "query($p: PreviewEmailInput!) { previewEmailTemplate(input: $p) { html } }",
            json!({ "p": { "subject": "s", "html": "<a href=\"{{ links.app }}\">{{ links.app }}</a>", "text": "t" } }),
        )
        .await;
    let html = preview["data"]["previewEmailTemplate"]["html"]
        .as_str()
        .unwrap_or_else(|| panic!("{preview}"));
    assert!(html.contains("http://portal.test/m/saisie"), "{html}");
    assert!(!html.contains("&#x2f;"), "{html}");
    // No control character gets in, on either database, in any text input.
    let nul = owner
        .query(
            "mutation($i: EmailTemplateInput!) { createEmailTemplate(input: $i) { id } }",
            json!({ "i": { "name": "n", "subject": "a\u{0}b", "text": "t" } }),
        )
        .await;
    assert_eq!(code_of(&nul), "VALIDATION", "{nul}");
    assert_eq!(field_of(&nul), "variables.i.subject", "{nul}");
    let literal = app
        .anonymous()
        .query(
            "mutation { memberSignUp(input: { brandSlug: \"sai\\u0000sie\", email: \"x@y.example\", password: \"correct horse battery\" }) { accessToken } }",
            json!({}),
        )
        .await;
    assert_eq!(code_of(&literal), "VALIDATION", "{literal}");
    let _ = ENROLL;
}

#[tokio::test(flavor = "multi_thread")]
async fn mail_details_hold_under_outside_checks() {
    let app = spawn_app().await;
    let brand = app.new_brand("detail").await;
    let owner = app.as_token(&brand.owner.access_token);
    owner
        .query(
            "mutation($i: MailSettingsInput!) { updateMailSettings(input: $i) { saved } }",
            json!({ "i": { "fromName": "Détail", "fromAddress": "news@detail.example" } }),
        )
        .await;
    // PKCS#8 keys, as `openssl genpkey` writes them, are accepted and sign verifiably.
    let set = "mutation($i: DkimKeyInput!) { setDkimKey(input: $i) { dkim { algorithm } } }";
    let rsa = owner
        .query(set, json!({ "i": { "selector": "r1", "domain": "detail.example", "algorithm": "RSA", "privateKey": RSA_PKCS8 } }))
        .await;
    assert_eq!(
        rsa["data"]["setDkimKey"]["dkim"]["algorithm"], "RSA",
        "{rsa}"
    );
    let template = marketing_template(&app, &brand).await;
    for email in ["a@detail.example", "b@detail.example"] {
        app.enroll(
            &brand,
            json!({ "email": email, "emailConsent": true, "consentSource": "form" }),
        )
        .await;
    }
    let id = new_campaign(&app, &brand, &template).await;
    owner
        .query(
            "mutation($id: ID!) { sendCampaign(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    fidelis::engagement::campaigns::run_once(
        &app.state.base,
        &app.state.links,
        &app.state.post,
        Utc::now(),
        None,
    )
    .await
    .unwrap_or_else(|e| panic!("{e:?}"));
    let mail = app.smtp.wait_for("a@detail.example").await;
    crate::dkim::verify(
        mail.data.as_bytes(),
        "detail.example",
        "r1",
        &crate::dkim::rsa_pkcs8_txt(RSA_PKCS8),
    )
    .await
    .unwrap_or_else(|e| panic!("RSA DKIM: {e}"));
    let ed = owner
        .query(set, json!({ "i": { "selector": "e1", "domain": "detail.example", "algorithm": "ED25519", "privateKey": ED25519_PKCS8 } }))
        .await;
    assert_eq!(
        ed["data"]["setDkimKey"]["dkim"]["algorithm"], "ED25519",
        "{ed}"
    );
    fidelis::engagement::transactional::run_once(
        &app.state.base,
        &app.state.links,
        &app.state.post,
        Utc::now(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e:?}"));
    let welcome = app
        .smtp
        .to("b@detail.example")
        .await
        .into_iter()
        .find(|m| m.subject().starts_with("Bienvenue"))
        .unwrap_or_else(|| panic!("no welcome"));
    crate::dkim::verify(
        welcome.data.as_bytes(),
        "detail.example",
        "e1",
        &crate::dkim::ed25519_pkcs8_txt(ED25519_PKCS8),
    )
    .await
    .unwrap_or_else(|e| panic!("Ed25519 DKIM: {e}"));

    // A HEAD on the unsubscribe link (a link scanner) unsubscribes nobody; the click does, and
    // the audience preview then counts the member as suppressed.
    let unsubscribe = mail
        .header("List-Unsubscribe")
        .map(|h| h.trim_matches(['<', '>']).replace("http://portal.test", ""))
        .unwrap_or_else(|| panic!("{}", mail.data));
    let head = app
        .http
        .head(app.url(&unsubscribe))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(head.status().as_u16(), 200);
    let audience =
        "{ audiencePreview(filter: {}) { matched mailable suppressed withoutEmailOrConsent } }";
    let before = owner.query(audience, json!({})).await;
    assert_eq!(before["data"]["audiencePreview"]["mailable"], 2, "{before}");
    let (status, page) = get(&app, &unsubscribe).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<html lang=\"fr\">") && page.contains("désinscrit"),
        "{page}"
    );
    let after = owner.query(audience, json!({})).await;
    assert_eq!(
        after["data"]["audiencePreview"],
        json!({ "matched": 2, "mailable": 1, "suppressed": 1, "withoutEmailOrConsent": 0 }),
        "{after}"
    );

    // A worker that stopped inside the SMTP exchange: maybe delivered, counted as such.
    let second = new_campaign(&app, &brand, &template).await;
    owner
        .query(
            "mutation($id: ID!) { sendCampaign(id: $id) { status } }",
            json!({ "id": second }),
        )
        .await;
    db_stall_recipients(&app, &second).await;
    fidelis::engagement::campaigns::run_once(
        &app.state.base,
        &app.state.links,
        &app.state.post,
        Utc::now() + chrono::Duration::minutes(10),
        None,
    )
    .await
    .unwrap_or_else(|e| panic!("{e:?}"));
    let figures = owner.query(CAMPAIGN, json!({ "id": second })).await;
    let stats = &figures["data"]["campaign"]["stats"];
    assert_eq!(stats["interrupted"], 1, "{figures}");
    assert_eq!(stats["failed"], 0, "{figures}");
    assert_eq!(
        stats["failedByReason"],
        json!([{ "reason": "INTERRUPTED", "count": 1 }]),
        "{figures}"
    );
}

/// Starts a campaign and leaves its recipients as a worker that died mid-delivery would:
/// claimed (SENDING) under a lease that then runs out.
async fn db_stall_recipients(app: &TestApp, campaign: &str) {
    use sea_orm::ConnectionTrait;
    fidelis::engagement::campaigns::run_once(
        &app.state.base,
        &app.state.links,
        &app.state.post,
        Utc::now(),
        Some(0),
    )
    .await
    .unwrap_or_else(|e| panic!("{e:?}"));
    let backend = app.state.base.db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => {
            "UPDATE campaign_recipient SET status = 'SENDING', lease_until = $1 WHERE campaign_id = $2 AND status = 'QUEUED'"
        }
        _ => {
            "UPDATE campaign_recipient SET status = 'SENDING', lease_until = ? WHERE campaign_id = ? AND status = 'QUEUED'"
        }
    };
    let id = uuid::Uuid::parse_str(campaign).unwrap_or_else(|e| panic!("{e}"));
    let lease = Utc::now() + chrono::Duration::minutes(5);
    let moved = app
        .state
        .base
        .db
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            sql,
            [lease.into(), id.into()],
        ))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(moved.rows_affected(), 1, "one mailable recipient left");
}

const ED25519_PKCS8: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJY0Ba1Cs4Shaifh+Jw2STyZ6TzjUukjLZv7AdMo1LYH
-----END PRIVATE KEY-----";

const RSA_PKCS8: &str = "-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCl8DoM6G21x0ly
WbbKHnFmefelTybm5Ec8JCZOa6fZ1T8JL3Suk1RKMYvyhEY6Pr2jCY/AalEaEwLq
G5FMlQwgGh4O+ZCY4Pc1629xVGD+wBaL+RbuQM+jWGx2ukWayFxZr02titxImykC
ThHjWLqX4HQKaEmJdW/Lf5HaS1/kkJVlT+bW2AfrKa6o1iHFH9GSi546evSQKdOA
eabj/hGNHpxa/5p/Uj6M4mK0mvX0Ta4wISMfdfbly9/GEn6ciB5oXz5n2mWUFVUz
qrkU9G6aNfjECQVQDnwTf8QSskSkIfWuCLzu4WwBtQXBKsAyljtpT0I2+X1XD3tv
oWJNQvQXAgMBAAECggEAPYqB5P6gjZ2a2it2lLBEq1ZJp4fa7B+2YZIgmM3pYuro
5W2xrvsZ9Cg6+FbhOsHBEAHATALCEFMDrjJKKWZPqGo3QqOA4onwdRFbc+Lw1BoG
YqQfQn5L448sLr43iUeMpIBU5StONilBRMcScEgcb65BKwjxWObybrzhqV1x83Co
Ljo26UXdlkviTCuatgzHKfskPN3W00DxvyjrOMcmohPKJYBkAOkdrx9/GlPrXLbB
I0/zpC0AyT6VbxVodMW4hBAJlKWaJOsRyHSfS5r4j7bDmKMQZnwAi0ITDuMWC5qw
1GC4eBK4N6DA1M6aMsiFOM80u49tl7oMGy+ycE9njQKBgQDjkkXEb5ccP0abnBgL
PmLto5Xh+yHbfjevZn7gqWCnqNVh+X26gN/lVJ4nYx4IuD/K3xy+62mbXHFiOHuM
289NukJqmrqWnsZSkaAdQ4TIY24/k+tVOEzVGSYax5wI9rJ9QOf3BNbi2VP6xwE1
rY5DBVmSHxWLEjgZY1JaumE+1QKBgQC6qu681nAiabNS6zqVoyeoM0rLVdbvINoW
/3I8fKPKxKWeHGhoOCdMKYDRbkNHoRI2kL5huhBBSWVKLF7DWCRViQmNGsNrMCGE
lB+lFvQnIDCJBf/sH3DmB1CKwSPSJOYe7MGXdl7FvNC0YgD64fEu1dK2xKemoflu
bpR0MOoVOwKBgC3/wAhvweycwansiFOlfZupSD+QYoyaW6khn53LvtTE5LTUGFzd
deRGEV3GxChhDcv1Azt4HDWiHu0Km7aiK6n7bzdbJUISv+Wqt+GSZ0GWD4/cV2I3
ahhc5/3bwSdyritxNjIREVpzMW1sUktGVI4pg6xsig89VIeVMu1R5RwtAoGATGQP
d3A6S5r+K/zf6MTwQcFb5oKmhw3msmqvkVlgnmaDcIUnpR711hFWCl8ZYYLlNTde
8hd294DV1tj5nu+/TtHZ+sjtGDyGOv9zQ9h06l4d/rVZ2oOzbC+qIl6QDjvTgOxa
/WUPu9RdhLRmukUksooGxY0NHwBCV5MhZbtu0GkCgYEA0auBEtrQfUfbiKJYHB19
TlZqdH2m/mRWSTELZWvlklD9PeHgMjEG3yRXbSyJw36+GybRrFNnIizBqENa2uU7
f1TqeMKu0E37LEPHbEcT3HZ4TSKWAVecCgjCCg4Np3fGENcJAn13DegzuVI7hZFQ
RLJXwJC0MyGkdNDxXEOx5Yk=
-----END PRIVATE KEY-----";

/// Forms refuse cross-site posts however the browser says so, answer incomplete posts with a
/// page, and links that cannot be used say so before the form.
#[tokio::test(flavor = "multi_thread")]
async fn forms_hold_against_cross_site_posts_and_bad_input() {
    let app = spawn_app().await;
    let brand = app.new_brand("garde").await;
    app.enroll(&brand, json!({ "email": "m@garde.example" }))
        .await;
    for (name, value) in [
        ("Sec-Fetch-Site", "cross-site"),
        ("Referer", "https://evil.example/form"),
    ] {
        let r = app
            .http
            .post(app.url("/m/garde/access"))
            .header(name, value)
            .form(&[("email", "m@garde.example")])
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status().as_u16(), 403, "{name}");
    }
    assert!(app.smtp.to("m@garde.example").await.is_empty());
    let incomplete = app
        .http
        .post(app.url("/m/garde/access"))
        .form(&[("mail", "m@garde.example")])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(incomplete.status().as_u16(), 400);
    assert!(
        incomplete
            .headers()
            .get("content-security-policy")
            .is_some()
    );
    assert!(
        incomplete
            .text()
            .await
            .unwrap_or_default()
            .contains("incomplet")
    );
    let reload = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
        .get(app.url("/m/garde/access"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(reload.status().as_u16(), 303);
    for path in [
        "/reset-password?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "/m/garde/set-password?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "/reset-password",
    ] {
        let (status, page) = get(&app, path).await;
        assert_eq!(status, 400, "{path}: {page}");
        assert!(!page.contains("<form"), "{path}: {page}");
    }
}
