//! The HTTP surface: health, transport rules, limits, and what errors never reveal.

use fidelis_tests::{code_of, spawn_app, spawn_app_with};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    for (path, body) in [("/healthz", "ok"), ("/readyz", "ready")] {
        let resp = app
            .http
            .get(app.url(path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(resp.status(), 200);
        assert!(resp.headers().contains_key("x-request-id"));
        assert_eq!(resp.text().await.unwrap_or_default(), body);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn mutations_run_only_from_a_json_post() {
    let app = spawn_app().await;
    let mutation = "mutation { requestPasswordReset(email: \"a@b.example\") }";
    // GET never executes anything: it serves GraphiQL.
    let get = app
        .http
        .get(app.url("/graphql"))
        .query(&[("query", mutation)])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(get.status(), 200);
    assert!(get.text().await.unwrap_or_default().contains("GraphiQL"));
    // A form post or text/plain body (what a cross-site form can send) is refused.
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ] {
        let resp = app
            .http
            .post(app.url("/graphql"))
            .header("content-type", content_type)
            .body(json!({ "query": mutation }).to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(resp.status(), 415, "{content_type}");
        let body: serde_json::Value = resp.json().await.unwrap_or_default();
        assert_eq!(code_of(&body), "BAD_REQUEST");
    }
    assert!(app.smtp.all().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn graphiql_is_off_in_production() {
    let app = spawn_app_with(|c| {
        c.env = fidelis::core::config::Environment::Production;
        c.jwt_signing_key =
            secrecy::SecretString::from("Zx8#kP2mQ9vL4tR7wE1yU6iO3pA5sD0fG8hJ2kL".to_owned());
        c.public_url = "https://portal.test".to_owned();
    })
    .await;
    let get = app
        .http
        .get(app.url("/graphql"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(get.status(), 405);
    let introspection = app
        .anonymous()
        .query("{ __schema { types { name } } }", json!({}))
        .await;
    assert!(
        introspection["data"]["__schema"].is_null(),
        "{introspection}"
    );
    let suggestion = app.anonymous().query("{ viewr { role } }", json!({})).await;
    let message = suggestion["errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(!message.contains("Did you mean"), "{message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn batches_malformed_bodies_and_oversized_bodies_are_refused() {
    let app = spawn_app_with(|c| c.max_body_bytes = 4096).await;
    let post = |body: String| {
        app.http
            .post(app.url("/graphql"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let batch =
        post(json!([{ "query": "{ __typename }" }, { "query": "{ __typename }" }]).to_string())
            .await;
    let batch = batch.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(batch.status(), 400);
    let bad = post("{\"query\": ".to_owned())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bad.status(), 400);
    let body: serde_json::Value = bad.json().await.unwrap_or_default();
    assert_eq!(code_of(&body), "BAD_REQUEST");
    let huge =
        post(json!({ "query": format!("{{ __typename }} #{}", "x".repeat(10_000)) }).to_string())
            .await;
    assert_eq!(huge.unwrap_or_else(|e| panic!("{e}")).status(), 413);
}

#[tokio::test(flavor = "multi_thread")]
async fn depth_alias_and_page_size_limits_hold() {
    let app = spawn_app().await;
    let brand = app.new_brand("limits").await;
    let owner = app.as_token(&brand.owner.access_token);

    let deep = "{ viewer { user { __typename } } }";
    assert!(owner.query(deep, json!({})).await["errors"].is_null());
    let nested = format!(
        "{{ __schema {{ types {{ fields {{ type {} name {} }} }} }} }}",
        "{ ofType ".repeat(12),
        "} ".repeat(12)
    );
    let resp = owner.query(&nested, json!({})).await;
    assert_eq!(code_of(&resp), "BAD_REQUEST", "{resp}");

    let aliases: String = (0..31).map(|i| format!("a{i}: __typename ")).collect();
    let resp = owner.query(&format!("{{ {aliases} }}"), json!({})).await;
    assert_eq!(code_of(&resp), "BAD_REQUEST", "{resp}");
    assert!(
        resp["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("aliases")
    );

    for first in [0, 101, -1] {
        let resp = owner
            .query(
                "query($f: Int) { users(first: $f) { edges { cursor } } }",
                json!({ "f": first }),
            )
            .await;
        assert_eq!(
            (
                code_of(&resp),
                resp["errors"][0]["extensions"]["field"].as_str()
            ),
            ("VALIDATION", Some("first")),
            "{resp}"
        );
    }
    let resp = owner
        .query("{ users(first: 100) { edges { cursor } } }", json!({}))
        .await;
    assert!(resp["errors"].is_null(), "{resp}");
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_never_reveal_sql_or_internals() {
    let app = spawn_app().await;
    let brand = app.new_brand("secrets").await;
    let owner = app.as_token(&brand.owner.access_token);
    let probes = [
        (
            "query($id: ID!) { user(id: $id) { id } }",
            json!({ "id": "1' OR '1'='1" }),
        ),
        (
            "query($id: ID!) { user(id: $id) { id } }",
            json!({ "id": "00000000-0000-0000-0000-000000000000" }),
        ),
        ("{ users(after: \"%%%\") { edges { cursor } } }", json!({})),
        ("{ nosuchfield }", json!({})),
        (
            "mutation { inviteUser(input: { email: \"x\", role: NOPE }) { id } }",
            json!({}),
        ),
    ];
    for (query, vars) in probes {
        let resp = owner.query(query, vars).await;
        let text = resp.to_string().to_lowercase();
        assert!(!code_of(&resp).is_empty(), "{resp}");
        assert_ne!(code_of(&resp), "INTERNAL", "{resp}");
        for leak in [
            "select ",
            "sqlx",
            "sqlite",
            "postgres",
            "panicked",
            "stack backtrace",
            "src/",
        ] {
            assert!(!text.contains(leak), "{leak} in {resp}");
        }
    }
}

/// Every scalar and enum field of an object type, as a selection (for tests that a secret is in
/// no field of it: the selection grows with the type).
pub(crate) async fn all_scalar_fields(app: &fidelis_tests::TestApp, type_name: &str) -> String {
    let r = app
        .anonymous()
        .query(
            "query($n: String!) { __type(name: $n) { fields { name type { kind ofType { kind ofType { kind ofType { kind ofType { kind } } } } } } } }",
            serde_json::json!({ "n": type_name }),
        )
        .await;
    let fields = r["data"]["__type"]["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"))
        .iter()
        .filter(|f| {
            let mut t = &f["type"];
            while t["kind"] == "NON_NULL" || t["kind"] == "LIST" {
                t = &t["ofType"];
            }
            t["kind"] == "SCALAR" || t["kind"] == "ENUM"
        })
        .filter_map(|f| f["name"].as_str())
        .collect::<Vec<_>>();
    assert!(!fields.is_empty(), "{r}");
    fields.join(" ")
}

/// CI's second leg must really run on PostgreSQL: `.ci/run` says which database it expects,
/// and the suite checks the server it starts uses that one (a misspelt variable would otherwise
/// run the "PostgreSQL" leg on SQLite, green).
#[tokio::test(flavor = "multi_thread")]
async fn the_suite_runs_on_the_database_ci_asked_for() {
    let app = spawn_app().await;
    let backend = app.state.base.db.get_database_backend();
    let using_pg = std::env::var(fidelis_tests::db::PG_ENV).is_ok_and(|v| !v.is_empty());
    assert_eq!(backend == sea_orm::DbBackend::Postgres, using_pg);
    if let Ok(expected) = std::env::var("FIDELIS_TEST_EXPECT_BACKEND") {
        let actual = match backend {
            sea_orm::DbBackend::Postgres => "postgres",
            sea_orm::DbBackend::Sqlite => "sqlite",
            _ => "other",
        };
        assert_eq!(actual, expected, "this leg ran on the wrong database");
    }
}
