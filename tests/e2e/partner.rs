//! Partner apps: API keys and the OAuth 2.0 client-credentials grant at /oauth/token.

use fidelis_tests::{code_of, spawn_app};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn a_partner_app_trades_its_key_for_a_token_that_acts_for_its_brand_with_its_scopes() {
    let app = spawn_app().await;
    let brand = app.new_brand("pos").await;
    let (_, client_id, secret) = app
        .new_api_key(&brand, &["PURCHASES_WRITE", "MEMBERS_READ"])
        .await;
    assert!(client_id.starts_with("fk_"));

    let (status, body) = app
        .oauth_token(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_secret", &secret),
        ])
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "members:read purchases:write");
    assert!(body["expires_in"].as_u64().unwrap_or(0) > 0);
    let token = body["access_token"].as_str().unwrap_or_default();
    let viewer = app
        .as_token(token)
        .query(
            "{ viewer { role scopes brand { slug } apiKey { clientId } user { id } } }",
            json!({}),
        )
        .await;
    let v = &viewer["data"]["viewer"];
    assert_eq!(v["role"], "PARTNER_APP", "{viewer}");
    assert_eq!(v["scopes"], json!(["MEMBERS_READ", "PURCHASES_WRITE"]));
    assert_eq!(v["brand"]["slug"], "pos");
    assert_eq!(v["apiKey"]["clientId"], client_id.as_str());
    assert!(v["user"].is_null());

    // HTTP Basic works too, and a narrower scope can be asked for.
    let resp = app
        .http
        .post(app.url("/oauth/token"))
        .basic_auth(&client_id, Some(&secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "members:read"),
        ])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap_or_default();
    assert_eq!(body["scope"], "members:read");

    // The secret is shown once: listing keys, with every field an API key has, never shows it.
    let fields = crate::http::all_scalar_fields(&app, "ApiKey").await;
    let keys = app
        .as_token(&brand.owner.access_token)
        .query(
            &format!("{{ apiKeys(first: 10) {{ edges {{ node {{ {fields} }} }} }} }}"),
            json!({}),
        )
        .await;
    assert!(keys["errors"].is_null(), "{keys}");
    let listed = serde_json::to_string(&keys).unwrap_or_default();
    assert!(
        listed.contains(&client_id) && !listed.contains(&secret),
        "{keys}"
    );
    assert!(
        keys["data"]["apiKeys"]["edges"][0]["node"]["lastUsedAt"].is_string(),
        "{keys}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_token_requests_get_rfc_6749_errors() {
    let app = spawn_app().await;
    let brand = app.new_brand("oauth-client").await;
    let (_, client_id, secret) = app.new_api_key(&brand, &["MEMBERS_READ"]).await;
    let wrong_secret = format!("{}x", &secret[..secret.len() - 1]);
    type Case<'a> = (Vec<(&'a str, &'a str)>, u16, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec![
                ("grant_type", "password"),
                ("client_id", &client_id),
                ("client_secret", &secret),
            ],
            400,
            "unsupported_grant_type",
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &client_id),
                ("client_secret", &wrong_secret),
            ],
            401,
            "invalid_client",
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", "fk_unknown"),
                ("client_secret", &secret),
            ],
            401,
            "invalid_client",
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &client_id),
            ],
            401,
            "invalid_client",
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &client_id),
                ("client_secret", &secret),
                ("scope", "purchases:write"),
            ],
            400,
            "invalid_scope",
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &client_id),
                ("client_secret", &secret),
                ("scope", "root"),
            ],
            400,
            "invalid_scope",
        ),
    ];
    for (form, status, error) in cases {
        let (got, body) = app.oauth_token(&form).await;
        assert_eq!(
            (got, body["error"].as_str().unwrap_or("")),
            (status, error),
            "{form:?}: {body}"
        );
    }
    let resp = app
        .http
        .post(app.url("/oauth/token"))
        .header("content-type", "application/json")
        .body("{\"grant_type\":\"client_credentials\"}")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(resp.status(), 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_key_gets_no_new_token_and_its_current_tokens_stop_working() {
    let app = spawn_app().await;
    let brand = app.new_brand("revoke").await;
    let (key_id, client_id, secret) = app.new_api_key(&brand, &["OFFERS_READ"]).await;
    let (_, body) = app
        .oauth_token(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_secret", &secret),
        ])
        .await;
    let token = body["access_token"].as_str().unwrap_or_default().to_owned();
    let revoked = app
        .as_token(&brand.owner.access_token)
        .query(
            "mutation($id: ID!) { revokeApiKey(id: $id) { active revokedAt } }",
            json!({ "id": key_id }),
        )
        .await;
    assert_eq!(
        revoked["data"]["revokeApiKey"]["active"], false,
        "{revoked}"
    );

    let (status, body) = app
        .oauth_token(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_secret", &secret),
        ])
        .await;
    assert_eq!(
        (status, body["error"].as_str().unwrap_or("")),
        (401, "invalid_client")
    );
    let (status, body) = app
        .as_token(&token)
        .post(json!({ "query": "{ viewer { role } }" }))
        .await;
    assert_eq!((status, code_of(&body)), (401, "UNAUTHENTICATED"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn api_key_input_is_checked() {
    let app = spawn_app().await;
    let brand = app.new_brand("keys").await;
    let owner = app.as_token(&brand.owner.access_token);
    let create = "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { clientSecret } }";
    let no_scope = owner
        .query(create, json!({ "i": { "name": "POS", "scopes": [] } }))
        .await;
    assert_eq!(code_of(&no_scope), "VALIDATION", "{no_scope}");
    let no_name = owner
        .query(
            create,
            json!({ "i": { "name": "", "scopes": ["OFFERS_READ"] } }),
        )
        .await;
    assert_eq!(code_of(&no_name), "VALIDATION", "{no_name}");
    let bad_scope = owner
        .query(
            create,
            json!({ "i": { "name": "POS", "scopes": ["EVERYTHING"] } }),
        )
        .await;
    // Not a scope of the schema: the document does not coerce, nothing runs.
    assert_eq!(code_of(&bad_scope), "BAD_REQUEST", "{bad_scope}");
    let keys = owner
        .query("{ apiKeys { edges { node { id } } } }", json!({}))
        .await;
    assert_eq!(keys["data"]["apiKeys"]["edges"], json!([]), "{keys}");
}
