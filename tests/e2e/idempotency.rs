//! Retried writes: the same idempotency key returns the first result and changes nothing.

use fidelis_tests::{PASSWORD, code_of, field_of, spawn_app, spawn_app_with};
use serde_json::{Value, json};

const SIGN_UP: &str = "mutation($input: SignUpBrandInput!) { signUpBrand(input: $input) { brand { id slug } owner { id email } } }";

fn sign_up(slug: &str, key: &str) -> Value {
    json!({ "input": {
        "brandName": "Maison", "slug": slug, "ownerEmail": format!("owner@{slug}.example"),
        "ownerPassword": PASSWORD, "currency": "EUR", "timezone": "Europe/Paris", "idempotencyKey": key
    }})
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replayed_sign_up_returns_the_first_brand_and_sends_no_second_mail() {
    let app = spawn_app().await;
    let first = app
        .anonymous()
        .query(SIGN_UP, sign_up("maison", "signup-1"))
        .await;
    let again = app
        .anonymous()
        .query(SIGN_UP, sign_up("maison", "signup-1"))
        .await;
    assert!(
        first["data"]["signUpBrand"]["brand"]["id"].is_string(),
        "{first}"
    );
    assert_eq!(first, again);
    // Platform mails are sent before the mutation answers: had the replay sent one, it
    // would be here already.
    app.smtp.wait_for("owner@maison.example").await;
    assert_eq!(app.smtp.to("owner@maison.example").await.len(), 1);

    // The same key with other input is refused, and writes nothing.
    let other = app
        .anonymous()
        .query(SIGN_UP, sign_up("autre-maison", "signup-1"))
        .await;
    assert_eq!(code_of(&other), "IDEMPOTENCY_KEY_REUSED", "{other}");
    let free = app
        .anonymous()
        .query(SIGN_UP, sign_up("autre-maison", "signup-2"))
        .await;
    assert!(free["data"]["signUpBrand"].is_object(), "{free}");

    let bad_key = app
        .anonymous()
        .query(SIGN_UP, sign_up("troisieme", &"k".repeat(129)))
        .await;
    assert_eq!(
        (code_of(&bad_key), field_of(&bad_key)),
        ("VALIDATION", "idempotencyKey"),
        "{bad_key}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_sign_ups_with_one_key_create_one_brand() {
    let app = spawn_app().await;
    let (client_a, client_b) = (app.anonymous(), app.anonymous());
    let (a, b) = tokio::join!(
        client_a.query(SIGN_UP, sign_up("course", "race-key")),
        client_b.query(SIGN_UP, sign_up("course", "race-key")),
    );
    let ids: Vec<&str> = [&a, &b]
        .iter()
        .filter_map(|r| r["data"]["signUpBrand"]["brand"]["id"].as_str())
        .collect();
    assert!(!ids.is_empty(), "{a} {b}");
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "two brands: {a} {b}");
    for r in [&a, &b] {
        assert!(
            r["data"]["signUpBrand"].is_object() || code_of(r) == "CONFLICT",
            "{r}"
        );
    }
    let admin = app.as_token(&app.db_platform_admin().await.access_token);
    let brands = admin
        .query(
            "{ brands(first: 10) { edges { node { slug } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        brands["data"]["brands"]["edges"].as_array().map(Vec::len),
        Some(1),
        "{brands}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn replayed_invitations_and_key_creations_return_the_first_result_and_keys_are_per_brand() {
    let app = spawn_app().await;
    let a = app.new_brand("cle-a").await;
    let b = app.new_brand("cle-b").await;
    let invite = "mutation($i: InviteUserInput!) { inviteUser(input: $i) { id email } }";
    let vars = json!({ "i": { "email": "new@cle-a.example", "role": "BRAND_STAFF", "idempotencyKey": "inv-1" } });
    let owner_a = app.as_token(&a.owner.access_token);
    let first = owner_a.query(invite, vars.clone()).await;
    let again = owner_a.query(invite, vars).await;
    assert!(first["data"]["inviteUser"]["id"].is_string(), "{first}");
    assert_eq!(first, again);
    app.smtp.wait_for("new@cle-a.example").await;
    assert_eq!(app.smtp.to("new@cle-a.example").await.len(), 1);

    let create = "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { apiKey { id } clientSecret } }";
    let vars = json!({ "i": { "name": "Till 1", "scopes": ["PURCHASES_WRITE"], "idempotencyKey": "key-1" } });
    let k1 = owner_a.query(create, vars.clone()).await;
    let k2 = owner_a.query(create, vars.clone()).await;
    assert!(
        k1["data"]["createApiKey"]["clientSecret"].is_string(),
        "{k1}"
    );
    assert!(
        k2["data"]["createApiKey"]["clientSecret"].is_null(),
        "the secret is never shown twice: {k2}"
    );
    assert_eq!(
        k1["data"]["createApiKey"]["apiKey"]["id"],
        k2["data"]["createApiKey"]["apiKey"]["id"]
    );
    let listed = owner_a
        .query("{ apiKeys { edges { node { id } } } }", json!({}))
        .await;
    assert_eq!(
        listed["data"]["apiKeys"]["edges"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );

    // Brand B's identical key is its own: it creates B's key, and reveals nothing of A's.
    let kb = app
        .as_token(&b.owner.access_token)
        .query(create, vars)
        .await;
    assert!(
        kb["data"]["createApiKey"]["clientSecret"].is_string(),
        "{kb}"
    );
    assert_ne!(
        kb["data"]["createApiKey"]["apiKey"]["id"],
        k1["data"]["createApiKey"]["apiKey"]["id"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_ups_are_limited_per_client_address_but_refused_input_does_not_count() {
    let app = spawn_app_with(|c| c.signups_per_address_per_hour = 2).await;
    for i in 0..5 {
        let mut bad = sign_up(&format!("bad-{i}"), &format!("b{i}"));
        bad["input"]["currency"] = json!("ZZZ");
        assert_eq!(
            code_of(&app.anonymous().query(SIGN_UP, bad).await),
            "VALIDATION"
        );
    }
    for slug in ["un", "deux"].map(|s| format!("limite-{s}")) {
        let ok = app.anonymous().query(SIGN_UP, sign_up(&slug, &slug)).await;
        assert!(ok["data"]["signUpBrand"].is_object(), "{ok}");
    }
    let third = app
        .anonymous()
        .query(SIGN_UP, sign_up("limite-trois", "t"))
        .await;
    assert_eq!(code_of(&third), "RATE_LIMITED", "{third}");
    // A replay of a sign-up that went through still answers.
    let replay = app
        .anonymous()
        .query(SIGN_UP, sign_up("limite-un", "limite-un"))
        .await;
    assert!(replay["data"]["signUpBrand"].is_object(), "{replay}");
}

/// Catalog writes a client may retry: a replayed `createProgram` or `createReward` returns the
/// first object and creates nothing; a replayed `updateReward` adds its stock once; a key reused
/// for other input is refused; two concurrent calls with one key create one program.
#[tokio::test(flavor = "multi_thread")]
async fn replayed_program_and_reward_writes_create_and_add_once() {
    let app = spawn_app().await;
    let brand = app.new_brand("rejeu").await;
    let owner = app.as_token(&brand.owner.access_token);
    const PROGRAM: &str =
        "mutation($i: CreateProgramInput!) { createProgram(input: $i) { id name } }";
    let input = json!({ "i": { "name": "Points", "rules": { "points": { "points": 1, "perAmountMinor": 100 } },
        "idempotencyKey": "program-1" } });
    let (a, b) = tokio::join!(
        owner.query(PROGRAM, input.clone()),
        owner.query(PROGRAM, input.clone())
    );
    let first = a["data"]["createProgram"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{a}"));
    let second = b["data"]["createProgram"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{b}"));
    assert_eq!(first, second, "one program for one key");
    let again = owner.query(PROGRAM, input.clone()).await;
    assert_eq!(again["data"]["createProgram"]["id"], first, "{again}");
    let other = owner
        .query(
            PROGRAM,
            json!({ "i": { "name": "Other", "rules": { "points": { "points": 1, "perAmountMinor": 100 } },
                "idempotencyKey": "program-1" } }),
        )
        .await;
    assert_eq!(code_of(&other), "IDEMPOTENCY_KEY_REUSED", "{other}");
    let programs = owner
        .query("{ programs(first: 10) { nodes { id } } }", json!({}))
        .await;
    assert_eq!(
        programs["data"]["programs"]["nodes"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "{programs}"
    );

    const REWARD: &str =
        "mutation($i: CreateRewardInput!) { createReward(input: $i) { id stockRemaining } }";
    let reward = json!({ "i": { "programId": first, "name": "Mug", "kind": "GIFT", "pointsCost": 100,
        "amountMinor": 500, "stock": 10, "idempotencyKey": "reward-1" } });
    let r1 = owner.query(REWARD, reward.clone()).await;
    let r2 = owner.query(REWARD, reward.clone()).await;
    let id = r1["data"]["createReward"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{r1}"));
    assert_eq!(r2["data"]["createReward"]["id"], id, "{r2}");
    let rewards = owner
        .query(
            "{ rewards(activeOnly: false, first: 10) { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        rewards["data"]["rewards"]["nodes"].as_array().map(Vec::len),
        Some(1),
        "{rewards}"
    );

    const STOCK: &str =
        "mutation($i: UpdateRewardInput!) { updateReward(input: $i) { stockRemaining } }";
    let add = json!({ "i": { "rewardId": id, "addStock": 5, "idempotencyKey": "stock-1" } });
    let s1 = owner.query(STOCK, add.clone()).await;
    let s2 = owner.query(STOCK, add.clone()).await;
    assert_eq!(s1["data"]["updateReward"]["stockRemaining"], 15, "{s1}");
    assert_eq!(
        s2["data"]["updateReward"]["stockRemaining"], 15,
        "a replay adds nothing: {s2}"
    );
    let s3 = owner
        .query(
            STOCK,
            json!({ "i": { "rewardId": id, "addStock": 5, "idempotencyKey": "stock-2" } }),
        )
        .await;
    assert_eq!(
        s3["data"]["updateReward"]["stockRemaining"], 20,
        "a new key adds: {s3}"
    );
}
