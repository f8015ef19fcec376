//! Sessions: login, refresh rotation, reuse detection, logout, password reset, brute force.

use fidelis_tests::{PASSWORD, SESSION_FIELDS, code_of, spawn_app, spawn_app_with};
use serde_json::{Value, json};

async fn refresh(app: &fidelis_tests::TestApp, token: &str) -> Value {
    app.anonymous()
        .query(
            &format!(
                "mutation($t: String!) {{ refreshToken(refreshToken: $t) {{ {SESSION_FIELDS} }} }}"
            ),
            json!({ "t": token }),
        )
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refresh_token_rotates_and_replaying_a_used_one_revokes_the_whole_session() {
    let app = spawn_app().await;
    let brand = app.new_brand("rotation").await;
    let first = brand.owner.refresh_token.clone();

    let r1 = refresh(&app, &first).await;
    let second = r1["data"]["refreshToken"]["refreshToken"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!second.is_empty() && second != first, "{r1}");
    assert_eq!(r1["data"]["refreshToken"]["tokenType"], "Bearer");
    let access = r1["data"]["refreshToken"]["accessToken"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let viewer = app
        .as_token(&access)
        .query("{ viewer { role } }", json!({}))
        .await;
    assert_eq!(viewer["data"]["viewer"]["role"], "BRAND_OWNER", "{viewer}");

    let r2 = refresh(&app, &second).await;
    let third = r2["data"]["refreshToken"]["refreshToken"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!third.is_empty(), "{r2}");

    // A thief replays the first token: refused, and the family is revoked...
    let replay = refresh(&app, &first).await;
    assert_eq!(code_of(&replay), "UNAUTHENTICATED", "{replay}");
    // ...so the legitimate, newest token is dead too.
    let after = refresh(&app, &third).await;
    assert_eq!(code_of(&after), "UNAUTHENTICATED", "{after}");
    // Another login opens a new, independent session.
    let fresh = app.login(&brand.owner.email, PASSWORD).await;
    assert!(refresh(&app, &fresh.refresh_token).await["data"]["refreshToken"].is_object());
}

#[tokio::test(flavor = "multi_thread")]
async fn two_concurrent_refreshes_with_one_token_yield_one_session_and_one_refusal() {
    let app = spawn_app().await;
    let brand = app.new_brand("race").await;
    let token = brand.owner.refresh_token.clone();
    let (a, b) = tokio::join!(refresh(&app, &token), refresh(&app, &token));
    let wins = [&a, &b]
        .iter()
        .filter(|r| r["data"]["refreshToken"].is_object())
        .count();
    assert_eq!(wins, 1, "exactly one refresh wins: {a} {b}");
    let (winner, loser) = if a["data"]["refreshToken"].is_object() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    assert_eq!(code_of(loser), "UNAUTHENTICATED", "{loser}");
    // A race is not a theft: the session the winner opened lives on.
    let access = winner["data"]["refreshToken"]["accessToken"]
        .as_str()
        .unwrap_or_default();
    let viewer = app
        .as_token(access)
        .query("{ viewer { role } }", json!({}))
        .await;
    assert_eq!(viewer["data"]["viewer"]["role"], "BRAND_OWNER", "{viewer}");
    let next = winner["data"]["refreshToken"]["refreshToken"]
        .as_str()
        .unwrap_or_default();
    let again = refresh(&app, next).await;
    assert!(again["data"]["refreshToken"].is_object(), "{again}");
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_ends_the_session() {
    let app = spawn_app().await;
    let brand = app.new_brand("bye").await;
    let resp = app
        .anonymous()
        .query(
            "mutation($t: String!) { logout(refreshToken: $t) }",
            json!({ "t": brand.owner.refresh_token }),
        )
        .await;
    assert_eq!(resp["data"]["logout"], true, "{resp}");
    assert_eq!(
        code_of(&refresh(&app, &brand.owner.refresh_token).await),
        "UNAUTHENTICATED"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_passwords_and_unknown_accounts_read_the_same() {
    let app = spawn_app().await;
    let brand = app.new_brand("same").await;
    let wrong = app
        .try_login(&brand.owner.email, "wrong password here")
        .await;
    let unknown = app.try_login("nobody@same.example", PASSWORD).await;
    let invalid = app.try_login("not an email", PASSWORD).await;
    for resp in [&wrong, &unknown, &invalid] {
        assert_eq!(code_of(resp), "UNAUTHENTICATED", "{resp}");
        assert_eq!(resp["errors"][0]["message"], "invalid e-mail or password");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn repeated_failed_logins_lock_the_account_with_rate_limited_even_for_the_right_password() {
    let app = spawn_app_with(|c| c.login_attempts_per_account = 3).await;
    let brand = app.new_brand("brute").await;
    for _ in 0..3 {
        assert_eq!(
            code_of(
                &app.try_login(&brand.owner.email, "wrong password here")
                    .await
            ),
            "UNAUTHENTICATED"
        );
    }
    let locked = app.try_login(&brand.owner.email, PASSWORD).await;
    assert_eq!(code_of(&locked), "RATE_LIMITED", "{locked}");
    assert!(
        locked["errors"][0]["extensions"]["retryAfter"]
            .as_u64()
            .unwrap_or(0)
            > 0,
        "{locked}"
    );
    // Other accounts are not affected.
    let other = app
        .invite(&brand, "other@brute.example", "BRAND_STAFF")
        .await;
    app.login(&other.email, PASSWORD).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn one_client_address_is_limited_across_accounts() {
    let app = spawn_app_with(|c| c.login_attempts_per_address = 5).await;
    let mut last = Value::Null;
    for i in 0..6 {
        last = app
            .try_login(&format!("user{i}@spray.example"), PASSWORD)
            .await;
    }
    assert_eq!(code_of(&last), "RATE_LIMITED", "{last}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_reset_by_mail_sets_the_new_password_and_ends_every_session() {
    let app = spawn_app().await;
    let brand = app.new_brand("reset").await;
    let email = brand.owner.email.clone();
    let asked = app
        .anonymous()
        .query(
            "mutation($e: String!) { requestPasswordReset(email: $e) }",
            json!({ "e": email }),
        )
        .await;
    assert_eq!(asked["data"]["requestPasswordReset"], true, "{asked}");
    let mail = app.smtp.wait_for_count(&email, 2).await;
    assert!(
        mail.subject()
            .contains("Réinitialisez votre mot de passe Fidelis")
    );
    let token = mail.link_token("/reset-password").unwrap_or_default();

    let reset = "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }";
    let weak = app
        .anonymous()
        .query(reset, json!({ "t": token, "p": "weak" }))
        .await;
    assert_eq!(code_of(&weak), "VALIDATION", "{weak}");
    let done = app
        .anonymous()
        .query(reset, json!({ "t": token, "p": "a brand new passphrase" }))
        .await;
    assert_eq!(done["data"]["resetPassword"], true, "{done}");
    let again = app
        .anonymous()
        .query(reset, json!({ "t": token, "p": "yet another passphrase" }))
        .await;
    assert_eq!(code_of(&again), "CONFLICT", "{again}");

    assert_eq!(
        code_of(&refresh(&app, &brand.owner.refresh_token).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        code_of(&app.try_login(&email, PASSWORD).await),
        "UNAUTHENTICATED"
    );
    app.login(&email, "a brand new passphrase").await;

    // Unknown addresses get the same answer and no mail.
    let unknown = app
        .anonymous()
        .query(
            "mutation { requestPasswordReset(email: \"ghost@reset.example\") }",
            json!({}),
        )
        .await;
    assert_eq!(unknown["data"]["requestPasswordReset"], true);
    assert!(app.smtp.to("ghost@reset.example").await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deactivated_user_is_refused_at_once_and_can_be_reactivated() {
    let app = spawn_app().await;
    let brand = app.new_brand("team").await;
    let staff = app
        .invite(&brand, "staff@team.example", "BRAND_STAFF")
        .await;
    let owner = app.as_token(&brand.owner.access_token);
    let done = owner
        .query(
            "mutation($id: ID!) { deactivateUser(userId: $id) { status } }",
            json!({ "id": staff.user_id }),
        )
        .await;
    assert_eq!(
        done["data"]["deactivateUser"]["status"], "DEACTIVATED",
        "{done}"
    );

    let (status, body) = app
        .as_token(&staff.access_token)
        .post(json!({ "query": "{ viewer { role } }" }))
        .await;
    assert_eq!((status, code_of(&body)), (401, "UNAUTHENTICATED"), "{body}");
    assert_eq!(
        code_of(&refresh(&app, &staff.refresh_token).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        code_of(&app.try_login(&staff.email, PASSWORD).await),
        "FORBIDDEN"
    );

    owner
        .query(
            "mutation($id: ID!) { reactivateUser(userId: $id) { status } }",
            json!({ "id": staff.user_id }),
        )
        .await;
    app.login(&staff.email, PASSWORD).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tampered_expired_or_foreign_tokens_are_unauthenticated() {
    let app = spawn_app().await;
    let brand = app.new_brand("tokens").await;
    let other_server = spawn_app().await;
    let foreign = other_server.new_brand("tokens").await;
    let mut tampered = brand.owner.access_token.clone();
    tampered.pop();
    for token in [
        tampered.as_str(),
        foreign.owner.access_token.as_str(),
        "not.a.jwt",
    ] {
        let (status, body) = app
            .as_token(token)
            .post(json!({ "query": "{ viewer { role } }" }))
            .await;
        assert_eq!((status, code_of(&body)), (401, "UNAUTHENTICATED"), "{body}");
    }
    // Still good just before its 15 minutes are up (5 s of leeway), refused after.
    app.clock().advance(chrono::Duration::seconds(900));
    let (status, body) = app
        .as_token(&brand.owner.access_token)
        .post(json!({ "query": "{ viewer { role } }" }))
        .await;
    assert_eq!(status, 200, "{body}");
    app.clock().advance(chrono::Duration::seconds(10));
    let (status, body) = app
        .as_token(&brand.owner.access_token)
        .post(json!({ "query": "{ viewer { role } }" }))
        .await;
    assert_eq!((status, code_of(&body)), (401, "UNAUTHENTICATED"), "{body}");
    assert_eq!(body["errors"][0]["message"], "access token expired");
}
