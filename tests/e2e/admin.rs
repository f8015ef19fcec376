//! The platform admin: brands list, suspension and reactivation.

use fidelis_tests::{PASSWORD, code_of, spawn_app};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn a_suspended_brand_is_refused_everywhere_until_it_is_reactivated() {
    let app = spawn_app().await;
    let admin = app.db_platform_admin().await;
    let brand = app.new_brand("suspendue").await;
    let (_, client_id, secret) = app.new_api_key(&brand, &["MEMBERS_READ"]).await;
    let partner = app.partner_token(&brand, &["MEMBERS_READ"]).await;
    let member = app.member_token(&brand).await;
    let bystander = app.new_brand("voisine").await;

    let admin_gql = app.as_token(&admin.access_token);
    let suspended = admin_gql
        .query(
            "mutation($id: ID!) { suspendBrand(id: $id, reason: \"unpaid invoices\") { status } }",
            json!({ "id": brand.id }),
        )
        .await;
    assert_eq!(
        suspended["data"]["suspendBrand"]["status"], "SUSPENDED",
        "{suspended}"
    );

    for token in [&brand.owner.access_token, &partner, &member] {
        let (status, body) = app
            .as_token(token)
            .post(json!({ "query": "{ viewer { role } }" }))
            .await;
        assert_eq!((status, code_of(&body)), (403, "FORBIDDEN"), "{body}");
    }
    assert_eq!(
        code_of(&app.try_login(&brand.owner.email, PASSWORD).await),
        "FORBIDDEN"
    );
    let refreshed = app
        .anonymous()
        .query(
            "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }",
            json!({ "t": brand.owner.refresh_token }),
        )
        .await;
    assert_eq!(code_of(&refreshed), "FORBIDDEN", "{refreshed}");
    let (status, _) = app
        .oauth_token(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_secret", &secret),
        ])
        .await;
    assert_eq!(status, 401);
    // Other brands carry on.
    let ok = app
        .as_token(&bystander.owner.access_token)
        .query("{ viewer { role } }", json!({}))
        .await;
    assert_eq!(ok["data"]["viewer"]["role"], "BRAND_OWNER");

    let listed = admin_gql
        .query(
            "{ brands(first: 10, status: SUSPENDED) { edges { node { slug status } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed["data"]["brands"]["edges"],
        json!([{ "node": { "slug": "suspendue", "status": "SUSPENDED" } }]),
        "{listed}"
    );

    admin_gql
        .query(
            "mutation($id: ID!) { reactivateBrand(id: $id) { status } }",
            json!({ "id": brand.id }),
        )
        .await;
    let back = app
        .as_token(&brand.owner.access_token)
        .query("{ viewer { role } }", json!({}))
        .await;
    assert_eq!(back["data"]["viewer"]["role"], "BRAND_OWNER", "{back}");
    app.login(&brand.owner.email, PASSWORD).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_admin_pages_through_every_brand() {
    let app = spawn_app().await;
    let admin = app.as_token(&app.db_platform_admin().await.access_token);
    for slug in ["b-one", "b-two", "b-three"] {
        app.new_brand(slug).await;
    }
    let query = "query($after: String) { brands(first: 2, after: $after) { edges { cursor node { slug } } pageInfo { hasNextPage hasPreviousPage endCursor } } }";
    let first = admin.query(query, json!({})).await;
    let page = &first["data"]["brands"];
    assert_eq!(page["edges"].as_array().map(Vec::len), Some(2), "{first}");
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let second = admin
        .query(query, json!({ "after": page["pageInfo"]["endCursor"] }))
        .await;
    let page2 = &second["data"]["brands"];
    assert_eq!(page2["edges"][0]["node"]["slug"], "b-three", "{second}");
    assert_eq!(page2["pageInfo"]["hasNextPage"], false);
    assert_eq!(page2["pageInfo"]["hasPreviousPage"], true);

    let missing = admin
        .query(
            "query($id: ID!) { brand(id: $id) { slug } }",
            json!({ "id": uuid::Uuid::now_v7() }),
        )
        .await;
    assert_eq!(code_of(&missing), "NOT_FOUND", "{missing}");
    let malformed = admin
        .query("{ brand(id: \"nope\") { slug } }", json!({}))
        .await;
    assert_eq!(code_of(&malformed), "VALIDATION", "{malformed}");
}
