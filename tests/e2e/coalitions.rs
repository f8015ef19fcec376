//! Coalition setup: a platform admin creates a coalition and names its operator, the operator
//! invites brands, owners accept or decline, a brand leaves at a period end; who sees what.

use fidelis_tests::{PASSWORD, code_of, field_of, spawn_app};
use serde_json::{Value, json};

const CREATE: &str = "mutation($i: CreateCoalitionInput!) { createCoalition(input: $i) { id name currency issuePricePer1000Minor redemptionValuePer1000Minor } }";
const INVITE: &str = "mutation($i: InviteBrandInput!) { inviteBrandToCoalition(input: $i) { brands { brandSlug status earnPoints billing } } }";
const RESPOND: &str = "mutation($c: ID!, $a: Boolean!) { respondToCoalitionInvitation(coalitionId: $c, accept: $a) { brands { brandSlug status } } }";
const LEAVE: &str = "mutation($c: ID!) { leaveCoalition(coalitionId: $c) { brands { brandSlug status leavesAt } } }";
const LIST: &str = "{ coalitions { id name brands { brandSlug status } } }";

fn slugs(brands: &Value) -> Vec<(String, String)> {
    brands
        .as_array()
        .map(|a| {
            a.iter()
                .map(|b| {
                    (
                        b["brandSlug"].as_str().unwrap_or_default().to_owned(),
                        b["status"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_operator_builds_a_coalition_and_each_role_sees_only_its_part() {
    let app = spawn_app().await;
    let admin = app.db_platform_admin().await;
    let (a, b, c) = (
        app.new_brand("alpha").await,
        app.new_brand("beta").await,
        app.new_brand("gamma").await,
    );
    let outsider = app.new_brand("dehors").await;

    // A new operator e-mail: the account is created and a link to set a password is mailed.
    let created = app
        .as_token(&admin.access_token)
        .query(CREATE, json!({ "i": { "name": "Centre-ville", "currency": "EUR", "timezone": "Europe/Paris", "operatorEmail": "ops@centre.example" } }))
        .await;
    let coalition = created["data"]["createCoalition"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();
    assert_eq!(
        (
            created["data"]["createCoalition"]["issuePricePer1000Minor"].as_i64(),
            created["data"]["createCoalition"]["redemptionValuePer1000Minor"].as_i64()
        ),
        (Some(1_000), Some(800))
    );
    let mail = app.smtp.wait_for("ops@centre.example").await;
    let token = mail
        .link_token("/reset-password")
        .unwrap_or_else(|| panic!("no reset link in {}", mail.text()));
    let reset = app
        .anonymous()
        .query(
            "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }",
            json!({ "t": token, "p": PASSWORD }),
        )
        .await;
    assert!(reset["errors"].is_null(), "{reset}");
    let ops = app.login("ops@centre.example", PASSWORD).await;
    let operator = app.as_token(&ops.access_token);

    // The operator invites three brands; A accepts, B declines, C accepts then leaves.
    for brand in ["alpha", "beta", "gamma"] {
        let r = operator
            .query(INVITE, json!({ "i": { "coalitionId": coalition, "brandSlug": brand, "earnPoints": 1, "earnPerAmountMinor": 100 } }))
            .await;
        assert!(r["errors"].is_null(), "{r}");
    }
    let again = operator
        .query(
            INVITE,
            json!({ "i": { "coalitionId": coalition, "brandSlug": "alpha" } }),
        )
        .await;
    assert_eq!(code_of(&again), "CONFLICT", "{again}");
    let unknown = operator
        .query(
            INVITE,
            json!({ "i": { "coalitionId": coalition, "brandSlug": "nowhere" } }),
        )
        .await;
    assert_eq!(
        (code_of(&unknown), field_of(&unknown)),
        ("VALIDATION", "input.brandSlug"),
        "{unknown}"
    );

    let answer = |owner: &str, accept: bool| {
        let gql = app.as_token(owner);
        let vars = json!({ "c": coalition, "a": accept });
        async move { gql.query(RESPOND, vars).await }
    };
    let accepted = answer(&a.owner.access_token, true).await;
    assert!(accepted["errors"].is_null(), "{accepted}");
    let twice = answer(&a.owner.access_token, false).await;
    assert_eq!(code_of(&twice), "CONFLICT", "an answer is final: {twice}");
    answer(&b.owner.access_token, false).await;
    answer(&c.owner.access_token, true).await;
    let not_invited = answer(&outsider.owner.access_token, true).await;
    assert_eq!(code_of(&not_invited), "NOT_FOUND", "{not_invited}");

    // Views: the operator sees every place; B sees only itself (declined) and the members.
    let seen = operator.query(LIST, json!({})).await;
    assert_eq!(
        slugs(&seen["data"]["coalitions"][0]["brands"]),
        [
            ("alpha".to_owned(), "ACTIVE".to_owned()),
            ("beta".to_owned(), "DECLINED".to_owned()),
            ("gamma".to_owned(), "ACTIVE".to_owned())
        ]
    );
    let by_b = app
        .as_token(&b.owner.access_token)
        .query(LIST, json!({}))
        .await;
    assert_eq!(
        slugs(&by_b["data"]["coalitions"][0]["brands"]),
        [
            ("alpha".to_owned(), "ACTIVE".to_owned()),
            ("beta".to_owned(), "DECLINED".to_owned()),
            ("gamma".to_owned(), "ACTIVE".to_owned())
        ]
    );
    let by_outsider = app
        .as_token(&outsider.owner.access_token)
        .query(LIST, json!({}))
        .await;
    assert_eq!(
        by_outsider["data"]["coalitions"],
        json!([]),
        "{by_outsider}"
    );
    let direct = app
        .as_token(&outsider.owner.access_token)
        .query(
            "query($id: ID!) { coalition(id: $id) { id } }",
            json!({ "id": coalition }),
        )
        .await;
    assert_eq!(code_of(&direct), "NOT_FOUND", "{direct}");

    // Another operator neither sees nor runs this coalition.
    let other_ops = app.db_coalition_operator().await;
    let foreign = app
        .as_token(&other_ops.access_token)
        .query(
            INVITE,
            json!({ "i": { "coalitionId": coalition, "brandSlug": "dehors" } }),
        )
        .await;
    assert_eq!(code_of(&foreign), "NOT_FOUND", "{foreign}");

    // C leaves at the end of the month (Paris time), a member until then; leaving twice fails.
    let left = app
        .as_token(&c.owner.access_token)
        .query(LEAVE, json!({ "c": coalition }))
        .await;
    let gamma = left["data"]["leaveCoalition"]["brands"]
        .as_array()
        .and_then(|a| a.iter().find(|b| b["brandSlug"] == "gamma").cloned())
        .unwrap_or_default();
    assert_eq!(gamma["status"], "ACTIVE", "{left}");
    assert!(
        gamma["leavesAt"]
            .as_str()
            .is_some_and(|t| t.ends_with("T22:00:00+00:00") || t.ends_with("T23:00:00+00:00")),
        "{left}"
    );
    let twice = app
        .as_token(&c.owner.access_token)
        .query(LEAVE, json!({ "c": coalition }))
        .await;
    assert_eq!(code_of(&twice), "CONFLICT", "{twice}");

    // Bad input is typed.
    let bad = app
        .as_token(&admin.access_token)
        .query(CREATE, json!({ "i": { "name": "X", "currency": "EUR", "timezone": "Europe/Paris", "operatorEmail": "owner@alpha.example" } }))
        .await;
    assert_eq!(
        (code_of(&bad), field_of(&bad)),
        ("VALIDATION", "input.operatorEmail"),
        "{bad}"
    );
    let bad = app
        .as_token(&admin.access_token)
        .query(CREATE, json!({ "i": { "name": "X", "currency": "EUR", "timezone": "Europe/Paris", "operatorEmail": "o2@x.example", "issuePricePer1000Minor": 0 } }))
        .await;
    assert_eq!(
        (code_of(&bad), field_of(&bad)),
        ("VALIDATION", "input.issuePricePer1000Minor"),
        "{bad}"
    );
}
