//! Brand self-onboarding: sign-up, verification mail over SMTP, login; invitations.

use fidelis_tests::{PASSWORD, code_of, field_of, spawn_app};
use serde_json::json;

const SIGN_UP: &str = "mutation($input: SignUpBrandInput!) { signUpBrand(input: $input) { brand { id slug currency timezone locale status } owner { email role emailVerified } } }";

fn sign_up_input(slug: &str, email: &str) -> serde_json::Value {
    json!({ "input": {
        "brandName": "Café du Coin", "slug": slug, "ownerEmail": email, "ownerPassword": PASSWORD,
        "currency": "EUR", "timezone": "Europe/Paris", "locale": "fr-FR"
    }})
}

#[tokio::test(flavor = "multi_thread")]
async fn two_brands_onboard_and_each_owner_confirms_their_address_from_a_mail_received_over_smtp() {
    let app = spawn_app().await;
    for (slug, email) in [
        ("cafe-du-coin", "Marie@Cafe.example"),
        ("boulangerie-paul", "paul@boulangerie.example"),
    ] {
        let resp = app
            .anonymous()
            .query(SIGN_UP, sign_up_input(slug, email))
            .await;
        let payload = &resp["data"]["signUpBrand"];
        assert_eq!(payload["brand"]["slug"], slug, "{resp}");
        assert_eq!(payload["brand"]["currency"], "EUR");
        assert_eq!(payload["brand"]["status"], "ACTIVE");
        assert_eq!(payload["owner"]["email"], email.to_lowercase());
        assert_eq!(payload["owner"]["role"], "BRAND_OWNER");
        assert_eq!(payload["owner"]["emailVerified"], false);

        let email = email.to_lowercase();
        // Not verified yet: login is refused.
        let early = app.try_login(&email, PASSWORD).await;
        assert_eq!(code_of(&early), "FORBIDDEN", "{early}");

        let mail = app.smtp.wait_for(&email).await;
        assert!(
            mail.subject().contains("Confirmez votre adresse e-mail"),
            "{}",
            mail.subject()
        );
        let token = mail
            .link_token("/verify-email")
            .unwrap_or_else(|| panic!("no link: {}", mail.text()));
        assert!(
            mail.text()
                .contains("http://portal.test/verify-email?token=")
        );

        let verify = "mutation($t: String!) { verifyEmail(token: $t) { email emailVerified } }";
        let verified = app.anonymous().query(verify, json!({ "t": token })).await;
        assert_eq!(
            verified["data"]["verifyEmail"]["emailVerified"], true,
            "{verified}"
        );
        // The link works once.
        let again = app.anonymous().query(verify, json!({ "t": token })).await;
        assert_eq!(code_of(&again), "CONFLICT", "{again}");

        let session = app.login(&email, PASSWORD).await;
        let viewer = app
            .as_token(&session.access_token)
            .query(
                "{ viewer { role user { email } brand { slug } } }",
                json!({}),
            )
            .await;
        assert_eq!(viewer["data"]["viewer"]["role"], "BRAND_OWNER", "{viewer}");
        assert_eq!(viewer["data"]["viewer"]["brand"]["slug"], slug);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_taken_slug_or_email_is_refused_and_the_first_brand_is_untouched() {
    let app = spawn_app().await;
    let first = app
        .anonymous()
        .query(SIGN_UP, sign_up_input("fleurs", "a@fleurs.example"))
        .await;
    assert!(first["data"]["signUpBrand"].is_object(), "{first}");

    let same_slug = app
        .anonymous()
        .query(SIGN_UP, sign_up_input("fleurs", "b@fleurs.example"))
        .await;
    assert_eq!(
        (code_of(&same_slug), field_of(&same_slug)),
        ("VALIDATION", "input.slug"),
        "{same_slug}"
    );

    let same_email = app
        .anonymous()
        .query(SIGN_UP, sign_up_input("fleurs-2", "A@Fleurs.example"))
        .await;
    assert_eq!(code_of(&same_email), "CONFLICT", "{same_email}");
    // Nothing of the refused sign-ups was written: their slug and address are still free.
    let retry = app
        .anonymous()
        .query(SIGN_UP, sign_up_input("fleurs-2", "b@fleurs.example"))
        .await;
    assert!(retry["data"]["signUpBrand"].is_object(), "{retry}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_sign_up_input_is_answered_with_the_field_and_writes_nothing() {
    let app = spawn_app().await;
    let cases = [
        ("slug", json!("Bad Slug"), "input.slug"),
        ("slug", json!("admin"), "input.slug"),
        ("ownerEmail", json!("not-an-email"), "input.ownerEmail"),
        ("ownerPassword", json!("short"), "input.ownerPassword"),
        ("currency", json!("EURO"), "input.currency"),
        ("currency", json!("ZZZ"), "input.currency"),
        ("timezone", json!("Mars/Olympus"), "input.timezone"),
        ("locale", json!("french"), "input.locale"),
        ("brandName", json!("x".repeat(201)), "input.brandName"),
        ("brandName", json!("   "), "input.brandName"),
    ];
    for (key, value, field) in cases {
        let mut input = sign_up_input("valid-slug", "owner@valid.example");
        input["input"][key] = value.clone();
        let resp = app.anonymous().query(SIGN_UP, input).await;
        assert_eq!(code_of(&resp), "VALIDATION", "{key}={value}: {resp}");
        assert_eq!(field_of(&resp), field, "{key}={value}: {resp}");
        assert!(resp["data"].is_null(), "{resp}");
    }
    // A wrong type is refused by the schema itself.
    let mut input = sign_up_input("valid-slug", "owner@valid.example");
    input["input"]["currency"] = json!(978);
    let resp = app.anonymous().query(SIGN_UP, input).await;
    assert!(
        !code_of(&resp).is_empty() && code_of(&resp) != "INTERNAL",
        "{resp}"
    );
    // None of the refused attempts wrote anything or sent mail.
    assert!(app.smtp.all().await.is_empty());
    let ok = app
        .anonymous()
        .query(SIGN_UP, sign_up_input("valid-slug", "owner@valid.example"))
        .await;
    assert!(ok["data"]["signUpBrand"].is_object(), "{ok}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_verification_mail_can_be_sent_again_and_either_link_then_works_once() {
    let app = spawn_app().await;
    app.anonymous()
        .query(SIGN_UP, sign_up_input("thes", "t@thes.example"))
        .await;
    let first = app
        .smtp
        .wait_for("t@thes.example")
        .await
        .link_token("/verify-email");
    let resend = app
        .anonymous()
        .query(
            "mutation { resendVerificationEmail(email: \"t@thes.example\") }",
            json!({}),
        )
        .await;
    assert_eq!(resend["data"]["resendVerificationEmail"], true, "{resend}");
    let second = app
        .smtp
        .wait_for_count("t@thes.example", 2)
        .await
        .link_token("/verify-email");
    assert_ne!(first, second);
    // Unknown addresses get the same answer and no mail.
    let unknown = app
        .anonymous()
        .query(
            "mutation { resendVerificationEmail(email: \"nobody@thes.example\") }",
            json!({}),
        )
        .await;
    assert_eq!(unknown["data"]["resendVerificationEmail"], true);
    assert!(app.smtp.to("nobody@thes.example").await.is_empty());

    let verify = "mutation($t: String!) { verifyEmail(token: $t) { emailVerified } }";
    let resp = app.anonymous().query(verify, json!({ "t": second })).await;
    assert_eq!(resp["data"]["verifyEmail"]["emailVerified"], true, "{resp}");
    app.login("t@thes.example", PASSWORD).await;
    // Malformed tokens are bad input; a well-formed one that is unknown or used, a conflict.
    for bad in ["", "garbage", "'; DROP TABLE user_account; --"] {
        let resp = app.anonymous().query(verify, json!({ "t": bad })).await;
        assert_eq!(code_of(&resp), "VALIDATION", "{resp}");
    }
    let resp = app.anonymous().query(verify, json!({ "t": second })).await;
    assert_eq!(code_of(&resp), "CONFLICT", "{resp}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_owner_invites_a_manager_and_a_cashier_who_join_from_the_mailed_link() {
    let app = spawn_app().await;
    let brand = app.new_brand("epicerie").await;
    let manager = app
        .invite(&brand, "Manager@Epicerie.example", "BRAND_MANAGER")
        .await;
    let staff = app
        .invite(&brand, "caisse@epicerie.example", "BRAND_STAFF")
        .await;
    let mail = app.smtp.wait_for("manager@epicerie.example").await;
    assert!(
        mail.subject().contains("rejoindre Brand epicerie"),
        "{}",
        mail.subject()
    );

    for (session, role) in [(&manager, "BRAND_MANAGER"), (&staff, "BRAND_STAFF")] {
        let viewer = app
            .as_token(&session.access_token)
            .query("{ viewer { role brand { slug } } }", json!({}))
            .await;
        assert_eq!(viewer["data"]["viewer"]["role"], role, "{viewer}");
        assert_eq!(viewer["data"]["viewer"]["brand"]["slug"], "epicerie");
    }
    let users = app
        .as_token(&manager.access_token)
        .query(
            "{ users(first: 10) { edges { node { email role } } pageInfo { hasNextPage } } }",
            json!({}),
        )
        .await;
    let emails: Vec<&str> = users["data"]["users"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["node"]["email"].as_str())
        .collect();
    assert_eq!(
        emails,
        [
            "owner@epicerie.example",
            "manager@epicerie.example",
            "caisse@epicerie.example"
        ],
        "{users}"
    );

    let invitations = app
        .as_token(&brand.owner.access_token)
        .query(
            "{ invitations(first: 10) { edges { node { email status } } } }",
            json!({}),
        )
        .await;
    let statuses: Vec<&str> = invitations["data"]["invitations"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["node"]["status"].as_str())
        .collect();
    assert_eq!(statuses, ["ACCEPTED", "ACCEPTED"], "{invitations}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invitation_works_once_and_a_revoked_one_not_at_all() {
    let app = spawn_app().await;
    let brand = app.new_brand("primeur").await;
    let owner = app.as_token(&brand.owner.access_token);
    let invite = "mutation($i: InviteUserInput!) { inviteUser(input: $i) { id status } }";
    let accept =
        "mutation($i: AcceptInvitationInput!) { acceptInvitation(input: $i) { accessToken } }";

    let first = owner
        .query(
            invite,
            json!({ "i": { "email": "a@primeur.example", "role": "BRAND_STAFF" } }),
        )
        .await;
    let first_id = first["data"]["inviteUser"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let token = app
        .smtp
        .wait_for("a@primeur.example")
        .await
        .link_token("/accept-invitation");
    let revoked = owner
        .query(
            "mutation($id: ID!) { revokeInvitation(id: $id) { status } }",
            json!({ "id": first_id }),
        )
        .await;
    assert_eq!(
        revoked["data"]["revokeInvitation"]["status"], "REVOKED",
        "{revoked}"
    );
    let refused = app
        .anonymous()
        .query(
            accept,
            json!({ "i": { "token": token, "password": PASSWORD } }),
        )
        .await;
    assert_eq!(code_of(&refused), "CONFLICT", "{refused}");

    owner
        .query(
            invite,
            json!({ "i": { "email": "b@primeur.example", "role": "BRAND_STAFF" } }),
        )
        .await;
    let token = app
        .smtp
        .wait_for("b@primeur.example")
        .await
        .link_token("/accept-invitation");
    let short = app
        .anonymous()
        .query(
            accept,
            json!({ "i": { "token": token, "password": "short" } }),
        )
        .await;
    assert_eq!(
        (code_of(&short), field_of(&short)),
        ("VALIDATION", "password"),
        "{short}"
    );
    let ok = app
        .anonymous()
        .query(
            accept,
            json!({ "i": { "token": token, "password": PASSWORD } }),
        )
        .await;
    assert!(
        ok["data"]["acceptInvitation"]["accessToken"].is_string(),
        "{ok}"
    );
    let twice = app
        .anonymous()
        .query(
            accept,
            json!({ "i": { "token": token, "password": PASSWORD } }),
        )
        .await;
    assert_eq!(code_of(&twice), "CONFLICT", "{twice}");

    // Roles outside the brand cannot be handed out, and taken addresses cannot be invited.
    let admin_role = owner
        .query(
            invite,
            json!({ "i": { "email": "c@primeur.example", "role": "PLATFORM_ADMIN" } }),
        )
        .await;
    assert_eq!(
        (code_of(&admin_role), field_of(&admin_role)),
        ("VALIDATION", "role"),
        "{admin_role}"
    );
    let taken = owner
        .query(
            invite,
            json!({ "i": { "email": "b@primeur.example", "role": "BRAND_STAFF" } }),
        )
        .await;
    assert_eq!(code_of(&taken), "CONFLICT", "{taken}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_last_owner_can_be_neither_demoted_nor_deactivated() {
    let app = spawn_app().await;
    let brand = app.new_brand("cave").await;
    let owner = app.as_token(&brand.owner.access_token);
    let demote = owner
        .query(
            "mutation($id: ID!) { changeUserRole(userId: $id, role: BRAND_STAFF) { role } }",
            json!({ "id": brand.owner.user_id }),
        )
        .await;
    assert_eq!(code_of(&demote), "CONFLICT", "{demote}");
    let deactivate = owner
        .query(
            "mutation($id: ID!) { deactivateUser(userId: $id) { status } }",
            json!({ "id": brand.owner.user_id }),
        )
        .await;
    assert_eq!(code_of(&deactivate), "CONFLICT", "{deactivate}");

    // With a second owner, the first may step down.
    let second = app
        .invite(&brand, "second@cave.example", "BRAND_OWNER")
        .await;
    let demoted = app
        .as_token(&second.access_token)
        .query(
            "mutation($id: ID!) { changeUserRole(userId: $id, role: BRAND_MANAGER) { role } }",
            json!({ "id": brand.owner.user_id }),
        )
        .await;
    assert_eq!(
        demoted["data"]["changeUserRole"]["role"], "BRAND_MANAGER",
        "{demoted}"
    );
    // The new role applies to the existing token at once.
    let keys = owner
        .query("{ apiKeys(first: 5) { edges { node { id } } } }", json!({}))
        .await;
    assert_eq!(code_of(&keys), "FORBIDDEN", "{keys}");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_smtp_the_verification_mail_is_written_to_the_outbox_folder() {
    let app = fidelis_tests::spawn_app_with(|c| c.smtp_url = None).await;
    let resp = app
        .anonymous()
        .query(SIGN_UP, sign_up_input("boite", "o@boite.example"))
        .await;
    assert!(resp["data"]["signUpBrand"].is_object(), "{resp}");
    let outbox = app.state.config.outbox_dir.clone();
    let files: Vec<_> = std::fs::read_dir(&outbox)
        .unwrap_or_else(|e| panic!("{}: {e}", outbox.display()))
        .filter_map(Result::ok)
        .filter(|f| f.path().extension().is_some_and(|x| x == "eml"))
        .collect();
    assert_eq!(files.len(), 1);
    let eml = std::fs::read_to_string(files[0].path()).unwrap_or_default();
    assert!(eml.contains("To: o@boite.example"), "{eml}");
    assert!(
        eml.contains("verify-email?token") || eml.contains("verify-email?token=3D"),
        "{eml}"
    );
    assert!(app.smtp.all().await.is_empty());
}
