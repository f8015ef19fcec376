//! Tenant isolation: another brand's object reads exactly like a missing one, by id, in lists,
//! and through every mutation that takes an id; nothing of it changes.

use fidelis_tests::{code_of, spawn_app};
use serde_json::{Value, json};

fn ids(resp: &Value, list: &str) -> Vec<String> {
    resp["data"][list]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["node"]["id"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn another_brands_users_invitations_and_keys_are_not_found_and_stay_unchanged() {
    let app = spawn_app().await;
    let a = app.new_brand("brand-a").await;
    let b = app.new_brand("brand-b").await;
    let a_staff = app.invite(&a, "staff@brand-a.example", "BRAND_STAFF").await;
    let a_owner = app.as_token(&a.owner.access_token);
    let pending = a_owner
        .query(
            "mutation { inviteUser(input: { email: \"pending@brand-a.example\", role: BRAND_MANAGER }) { id } }",
            json!({}),
        )
        .await;
    let a_invitation = pending["data"]["inviteUser"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (a_key, _, _) = app.new_api_key(&a, &["MEMBERS_READ"]).await;
    let missing = uuid::Uuid::now_v7().to_string();

    let b_owner = app.as_token(&b.owner.access_token);
    let b_manager = app.as_token(
        &app.invite(&b, "manager@brand-b.example", "BRAND_MANAGER")
            .await
            .access_token,
    );

    // By id: exactly the answer for an id that does not exist.
    let by_id = "query($id: ID!) { user(id: $id) { id email } }";
    for reader in [&b_owner, &b_manager] {
        let foreign = reader.query(by_id, json!({ "id": a_staff.user_id })).await;
        let absent = reader.query(by_id, json!({ "id": missing })).await;
        assert_eq!(code_of(&foreign), "NOT_FOUND", "{foreign}");
        assert_eq!(foreign, absent);
    }

    // In lists: none of brand A's objects.
    let users = b_owner
        .query("{ users(first: 100) { edges { node { id } } } }", json!({}))
        .await;
    let invitations = b_owner
        .query(
            "{ invitations(first: 100) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    let keys = b_owner
        .query(
            "{ apiKeys(first: 100) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert!(!ids(&users, "users").contains(&a_staff.user_id), "{users}");
    assert!(!ids(&users, "users").contains(&a.owner.user_id));
    assert!(
        !ids(&invitations, "invitations").contains(&a_invitation),
        "{invitations}"
    );
    assert!(!ids(&keys, "apiKeys").contains(&a_key), "{keys}");
    assert_eq!(
        ids(&users, "users").len(),
        2,
        "B sees its owner and manager only: {users}"
    );

    // Writes by id: NOT_FOUND, exactly as for a missing id.
    let writes = [
        (
            "mutation($id: ID!) { changeUserRole(userId: $id, role: BRAND_OWNER) { id } }",
            a_staff.user_id.clone(),
        ),
        (
            "mutation($id: ID!) { deactivateUser(userId: $id) { id } }",
            a_staff.user_id.clone(),
        ),
        (
            "mutation($id: ID!) { reactivateUser(userId: $id) { id } }",
            a_staff.user_id.clone(),
        ),
        (
            "mutation($id: ID!) { revokeInvitation(id: $id) { id } }",
            a_invitation.clone(),
        ),
        (
            "mutation($id: ID!) { revokeApiKey(id: $id) { id } }",
            a_key.clone(),
        ),
    ];
    for (mutation, id) in &writes {
        let foreign = b_owner.query(mutation, json!({ "id": id })).await;
        let absent = b_owner.query(mutation, json!({ "id": missing })).await;
        assert_eq!(code_of(&foreign), "NOT_FOUND", "{mutation}: {foreign}");
        assert_eq!(foreign, absent, "{mutation}");
    }

    // Brand A's objects are as they were.
    let staff = a_owner.query(by_id, json!({ "id": a_staff.user_id })).await;
    assert_eq!(
        staff["data"]["user"]["email"], "staff@brand-a.example",
        "{staff}"
    );
    let check = a_owner
        .query(
            "{ users(first: 10) { edges { node { id role status } } } invitations(first: 10) { edges { node { id status } } } apiKeys(first: 10) { edges { node { id active } } } }",
            json!({}),
        )
        .await;
    let staff_node = check["data"]["users"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["node"]["id"] == a_staff.user_id.as_str())
        .cloned()
        .unwrap_or_default();
    assert_eq!(staff_node["node"]["role"], "BRAND_STAFF", "{check}");
    assert_eq!(staff_node["node"]["status"], "ACTIVE");
    assert!(
        check["data"]["invitations"]["edges"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|e| e["node"]["id"] == a_invitation.as_str() && e["node"]["status"] == "PENDING"),
        "{check}"
    );
    assert_eq!(
        check["data"]["apiKeys"]["edges"][0]["node"]["active"], true,
        "{check}"
    );
    let a_staff_viewer = app
        .as_token(&a_staff.access_token)
        .query("{ viewer { role } }", json!({}))
        .await;
    assert_eq!(a_staff_viewer["data"]["viewer"]["role"], "BRAND_STAFF");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_partner_app_and_a_member_see_only_their_own_brand() {
    let app = spawn_app().await;
    let a = app.new_brand("maison-a").await;
    app.new_brand("maison-b").await;
    for token in [
        app.partner_token(&a, &["MEMBERS_READ"]).await,
        app.member_token(&a).await,
    ] {
        let viewer = app
            .as_token(&token)
            .query("{ viewer { brand { slug } } }", json!({}))
            .await;
        assert_eq!(
            viewer["data"]["viewer"]["brand"]["slug"], "maison-a",
            "{viewer}"
        );
        let users = app
            .as_token(&token)
            .query("{ users { edges { node { id } } } }", json!({}))
            .await;
        assert_eq!(code_of(&users), "FORBIDDEN", "{users}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cursor_from_another_brands_list_reveals_nothing() {
    let app = spawn_app().await;
    let a = app.new_brand("curseur-a").await;
    let b = app.new_brand("curseur-b").await;
    let a_list = app
        .as_token(&a.owner.access_token)
        .query("{ users(first: 1) { edges { cursor } } }", json!({}))
        .await;
    let cursor = a_list["data"]["users"]["edges"][0]["cursor"].clone();
    let b_page = app
        .as_token(&b.owner.access_token)
        .query(
            "query($c: String) { users(first: 10, after: $c) { edges { node { email } } } }",
            json!({ "c": cursor }),
        )
        .await;
    assert!(cursor.is_string(), "{a_list}");
    // B's page answers; it holds B's users only (its owner at most), never A's.
    assert!(b_page["errors"].is_null(), "{b_page}");
    let emails: Vec<&str> = b_page["data"]["users"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{b_page}"))
        .iter()
        .filter_map(|e| e["node"]["email"].as_str())
        .collect();
    assert!(
        emails.iter().all(|e| e.ends_with("@curseur-b.example")),
        "{b_page}"
    );
    // The same query without A's cursor lists B's owner: the page is B's own list.
    let plain = app
        .as_token(&b.owner.access_token)
        .query(
            "{ users(first: 10) { edges { node { email } } } }",
            json!({}),
        )
        .await;
    assert!(
        plain.to_string().contains("owner@curseur-b.example"),
        "{plain}"
    );
}
