//! Members in the brand's app: sign-up, login, and their own account only.

use fidelis_tests::{PASSWORD, RECORD_PURCHASE, code_of, field_of, spawn_app};
use serde_json::json;

const SIGN_UP: &str = "mutation($i: MemberSignUpInput!) { memberSignUp(input: $i) { accessToken tokenType member { email } } }";
const LOGIN: &str = "mutation($i: MemberLoginInput!) { memberLogin(input: $i) { accessToken } }";
const ME: &str = "{ me { email emailConsent { granted source } cards { number status } points { available } history { edges { node { kind points } } } } }";

#[tokio::test(flavor = "multi_thread")]
async fn a_member_signs_up_in_the_brand_app_logs_in_and_sees_only_their_own_account() {
    let app = spawn_app().await;
    let brand = app.new_brand("appli").await;
    app.new_points_program(&brand, "Club", json!({ "welcomeBonus": 20 }))
        .await;
    let other = app.new_brand("autre-appli").await;
    let input = |slug: &str, email: &str, password: &str| json!({ "i": { "brandSlug": slug, "email": email, "password": password, "emailConsent": true } });

    let signed = app
        .anonymous()
        .query(SIGN_UP, input("appli", "Lea@Appli.example", PASSWORD))
        .await;
    let token = signed["data"]["memberSignUp"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{signed}"))
        .to_owned();
    assert_eq!(
        signed["data"]["memberSignUp"]["member"]["email"],
        "lea@appli.example"
    );
    let me = app.as_token(&token).query(ME, json!({})).await;
    let m = &me["data"]["me"];
    assert_eq!(m["email"], "lea@appli.example", "{me}");
    assert_eq!(
        m["emailConsent"],
        json!({ "granted": true, "source": "member app sign-up" })
    );
    assert_eq!(m["points"][0]["available"], 20);
    let card = m["cards"][0]["number"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    // Staff record a purchase on the member's card: the member sees it.
    app.as_token(&brand.owner.access_token)
        .query(
            RECORD_PURCHASE,
            json!({ "i": { "cardNumber": card, "totalMinor": 5_000, "currency": "EUR" } }),
        )
        .await;
    let me = app.as_token(&token).query(ME, json!({})).await;
    assert_eq!(me["data"]["me"]["points"][0]["available"], 25, "{me}");
    assert_eq!(
        me["data"]["me"]["history"]["edges"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    let login = app.anonymous().query(LOGIN, json!({ "i": { "brandSlug": "appli", "email": "lea@appli.example", "password": PASSWORD } })).await;
    assert!(
        login["data"]["memberLogin"]["accessToken"].is_string(),
        "{login}"
    );
    for (slug, email, password) in [
        ("appli", "lea@appli.example", "wrong password here"),
        ("appli", "nobody@appli.example", PASSWORD),
        ("autre-appli", "lea@appli.example", PASSWORD),
        ("no-such-brand", "lea@appli.example", PASSWORD),
    ] {
        let resp = app
            .anonymous()
            .query(
                LOGIN,
                json!({ "i": { "brandSlug": slug, "email": email, "password": password } }),
            )
            .await;
        assert_eq!(code_of(&resp), "UNAUTHENTICATED", "{slug} {email}: {resp}");
        assert_eq!(resp["errors"][0]["message"], "invalid e-mail or password");
    }

    let again = app
        .anonymous()
        .query(SIGN_UP, input("appli", "lea@appli.example", PASSWORD))
        .await;
    assert_eq!(code_of(&again), "CONFLICT", "{again}");
    let weak = app
        .anonymous()
        .query(SIGN_UP, input("appli", "x@appli.example", "short"))
        .await;
    assert_eq!(
        (code_of(&weak), field_of(&weak)),
        ("VALIDATION", "input.password"),
        "{weak}"
    );
    let nowhere = app
        .anonymous()
        .query(SIGN_UP, input("no-such-brand", "x@appli.example", PASSWORD))
        .await;
    assert_eq!(code_of(&nowhere), "NOT_FOUND", "{nowhere}");
    // The same person may join another brand, with its own account.
    let elsewhere = app
        .anonymous()
        .query(SIGN_UP, input("autre-appli", "lea@appli.example", PASSWORD))
        .await;
    assert!(elsewhere["data"]["memberSignUp"].is_object(), "{elsewhere}");
    let _ = other;

    // A member reads nothing of other members.
    let member = app.as_token(&token);
    assert_eq!(
        code_of(
            &member
                .query("{ members { edges { node { id } } } }", json!({}))
                .await
        ),
        "FORBIDDEN"
    );
    assert_eq!(
        code_of(
            &member
                .query("{ users { edges { node { id } } } }", json!({}))
                .await
        ),
        "FORBIDDEN"
    );
    assert!(app.db_verify_ledger().await.is_sound());
}

const UPDATE_ME: &str = "mutation($i: UpdateMemberInput!) { updateMyProfile(input: $i) { email phone firstName emailConsent { granted at source } smsConsent { granted source } attributes { key value } } }";
const UPDATE_MEMBER: &str = "mutation($id: ID!, $i: UpdateMemberInput!) { updateMember(memberId: $id, input: $i) { email firstName } }";

#[tokio::test(flavor = "multi_thread")]
async fn members_edit_their_profile_and_consent_and_staff_edit_members_without_duplicates() {
    let app = spawn_app().await;
    let brand = app.new_brand("profil").await;
    let signed = app
        .anonymous()
        .query(
            SIGN_UP,
            json!({ "i": { "brandSlug": "profil", "email": "zoe@profil.example", "password": PASSWORD, "emailConsent": true } }),
        )
        .await;
    let token = signed["data"]["memberSignUp"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{signed}"))
        .to_owned();
    let me = app.as_token(&token);

    // Withdraws e-mail consent, gives SMS consent with a new phone, names herself.
    let updated = me
        .query(UPDATE_ME, json!({ "i": { "phone": "+33 6 12 34 56 78", "firstName": "Zoé", "emailConsent": false, "smsConsent": true, "attributes": [{ "key": "size", "value": "M" }] } }))
        .await;
    let u = &updated["data"]["updateMyProfile"];
    assert_eq!(
        (
            u["phone"].as_str(),
            u["firstName"].as_str(),
            u["emailConsent"]["granted"].as_bool()
        ),
        (Some("+33612345678"), Some("Zoé"), Some(false)),
        "{updated}"
    );
    assert_eq!(u["emailConsent"]["source"], "member app");
    assert!(
        u["emailConsent"]["at"].is_string(),
        "the withdrawal is dated"
    );
    assert_eq!(
        u["smsConsent"],
        json!({ "granted": true, "source": "member app" })
    );
    assert_eq!(u["attributes"], json!([{ "key": "size", "value": "M" }]));

    // Bad values are typed and change nothing.
    let bad = me
        .query(
            UPDATE_ME,
            json!({ "i": { "phone": "12", "firstName": "X" } }),
        )
        .await;
    assert_eq!(
        (code_of(&bad), field_of(&bad)),
        ("VALIDATION", "input.phone"),
        "{bad}"
    );
    let unchanged = me.query(ME, json!({})).await;
    assert_eq!(unchanged["data"]["me"]["email"], "zoe@profil.example");

    // Staff: another member may not take Zoé's e-mail; a free one is fine.
    let (other, _) = app
        .enroll(&brand, json!({ "email": "max@profil.example" }))
        .await;
    let owner = app.as_token(&brand.owner.access_token);
    let taken = owner
        .query(
            UPDATE_MEMBER,
            json!({ "id": other, "i": { "email": "ZOE@profil.example" } }),
        )
        .await;
    assert_eq!(code_of(&taken), "CONFLICT", "{taken}");
    let ok = owner
        .query(UPDATE_MEMBER, json!({ "id": other, "i": { "email": "maxime@profil.example", "firstName": "Maxime" } }))
        .await;
    assert_eq!(
        ok["data"]["updateMember"],
        json!({ "email": "maxime@profil.example", "firstName": "Maxime" }),
        "{ok}"
    );
    let no_phone = owner
        .query(
            UPDATE_MEMBER,
            json!({ "id": other, "i": { "smsConsent": true } }),
        )
        .await;
    assert_eq!(
        (code_of(&no_phone), field_of(&no_phone)),
        ("VALIDATION", "input.smsConsent"),
        "{no_phone}"
    );
    // Another brand's member reads as missing.
    let elsewhere = app.new_brand("ailleurs").await;
    let foreign = app
        .as_token(&elsewhere.owner.access_token)
        .query(
            UPDATE_MEMBER,
            json!({ "id": other, "i": { "firstName": "Y" } }),
        )
        .await;
    assert_eq!(code_of(&foreign), "NOT_FOUND", "{foreign}");
}

#[tokio::test(flavor = "multi_thread")]
async fn members_spend_their_own_points_and_cancel_their_own_membership_only() {
    let app = spawn_app().await;
    let brand = app.new_brand("libre").await;
    let owner = app.as_token(&brand.owner.access_token);
    let program = app
        .new_points_program(&brand, "Club", json!({ "welcomeBonus": 60 }))
        .await;
    let reward = owner
        .query(
            "mutation($i: CreateRewardInput!) { createReward(input: $i) { id } }",
            json!({ "i": { "programId": program, "name": "Tote", "kind": "GIFT", "pointsCost": 30, "amountMinor": 900 } }),
        )
        .await["data"]["createReward"]["id"]
        .clone();
    let club = owner
        .query(
            "mutation($i: CreateProgramInput!) { createProgram(input: $i) { id } }",
            json!({ "i": { "name": "Plus", "rules": { "membership": { "feeMinor": 1_000, "period": "MONTHLY" } } } }),
        )
        .await["data"]["createProgram"]["id"]
        .clone();
    let token = app.member_token(&brand).await;
    let other = app.member_token(&brand).await;
    let me = app.as_token(&token);
    let who = me.query("{ me { id } }", json!({})).await["data"]["me"]["id"].clone();

    let got = me
        .query(
            "mutation($r: ID!) { redeemMyReward(rewardId: $r, idempotencyKey: \"r1\") { label pointsCost } }",
            json!({ "r": reward }),
        )
        .await;
    assert_eq!(
        got["data"]["redeemMyReward"],
        json!({ "label": "Tote", "pointsCost": 30 }),
        "{got}"
    );
    let converted = me
        .query(
            "mutation($p: ID!) { convertMyPoints(programId: $p, points: 25) { amountMinor } }",
            json!({ "p": program }),
        )
        .await;
    assert_eq!(
        converted["data"]["convertMyPoints"]["amountMinor"], 2_500,
        "{converted}"
    );
    let broke = me
        .query(
            "mutation($p: ID!) { convertMyPoints(programId: $p, points: 25) { amountMinor } }",
            json!({ "p": program }),
        )
        .await;
    assert_eq!(
        code_of(&broke),
        "INSUFFICIENT_BALANCE",
        "5 points left: {broke}"
    );

    let paid = owner
        .query(
            "mutation($i: PayMembershipInput!) { payMembership(input: $i) { id } }",
            json!({ "i": { "memberId": who, "programId": club } }),
        )
        .await;
    let membership = paid["data"]["payMembership"]["id"].clone();
    let cancel = "mutation($m: ID!) { cancelMyMembership(membershipId: $m) { status } }";
    let foreign = app
        .as_token(&other)
        .query(cancel, json!({ "m": membership }))
        .await;
    assert_eq!(
        code_of(&foreign),
        "NOT_FOUND",
        "another member's: {foreign}"
    );
    let mine = me.query(cancel, json!({ "m": membership })).await;
    assert_eq!(
        mine["data"]["cancelMyMembership"]["status"], "CANCELLED",
        "{mine}"
    );
    assert!(app.db_verify_ledger().await.is_sound());
}
