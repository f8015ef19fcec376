//! Consumer clubs: joining by each rule (open, invitation, segment, paid membership), answers
//! kept only with consent and checked against the club's questions, joins and leaves counted
//! once (idempotent, racing), club-only offers and audience leaves, the invitation mail, the
//! member's own space, export and erasure, and another brand's club read as NOT_FOUND.

use chrono::Duration;
use fidelis_tests::{PASSWORD, RECORD_PURCHASE, TestApp, TestBrand, code_of, field_of, spawn_app};
use serde_json::{Value, json};

const CREATE: &str = "mutation($i: ClubInput!, $k: String) { createClub(input: $i, idempotencyKey: $k) { id name joinRule paid questions { key kind choices } } }";
const JOIN: &str = "mutation($c: ID!, $m: ID!, $a: [ClubAnswerInput!], $consent: Boolean, $k: String) { joinClub(clubId: $c, memberId: $m, answers: $a, consent: $consent, idempotencyKey: $k) { id status joins answers { key value } answersConsentAt } }";
const LEAVE: &str = "mutation($c: ID!, $m: ID!) { leaveClub(clubId: $c, memberId: $m) { id status joins answers { key value } leftAt } }";
const FIGURES: &str = "query($c: ID!) { clubFigures(clubId: $c) { members invited joins leaves activeMembers membersRevenueMinor othersRevenueMinor revenuePerMemberMinor revenuePerOtherMemberMinor } }";
const MEMBER_CLUBS: &str =
    "query($m: ID!) { memberClubs(memberId: $m) { clubId status answers { key value } } }";

async fn create(app: &TestApp, brand: &TestBrand, input: Value) -> String {
    let r = app
        .as_token(&brand.owner.access_token)
        .query(CREATE, json!({ "i": input }))
        .await;
    r["data"]["createClub"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("createClub: {r}"))
        .to_owned()
}

fn baby_club() -> Value {
    json!({
        "name": "Club bébé",
        "description": "Pour les jeunes parents",
        "questions": [
            { "key": "child_birth_date", "label": "Date de naissance de l'enfant", "kind": "DATE" },
            { "key": "diet", "label": "Alimentation", "kind": "CHOICE", "choices": ["bio", "classique"] },
        ],
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn joining_keeps_answers_only_with_consent_and_counts_joins_and_leaves_once() {
    let app = spawn_app().await;
    let brand = app.new_brand("club").await;
    let owner = app.as_token(&brand.owner.access_token);

    // Bad shapes are refused, nothing created.
    for (input, field) in [
        (
            json!({ "name": "X", "questions": [{ "key": "bad key", "label": "L", "kind": "TEXT" }] }),
            "input.questions",
        ),
        (
            json!({ "name": "X", "questions": [{ "key": "k", "label": "L", "kind": "CHOICE", "choices": ["one"] }] }),
            "input.questions",
        ),
        (
            json!({ "name": "X", "questions": [{ "key": "k", "label": "L", "kind": "CHOICE", "choices": ["bio", "bio"] }] }),
            "input.questions",
        ),
        (
            json!({ "name": "X", "joinRule": "SEGMENT" }),
            "input.segmentId",
        ),
        (
            json!({ "name": "X", "joinRule": "TIER" }),
            "input.tierNames",
        ),
        (json!({ "name": "  " }), "input.name"),
    ] {
        let r = owner.query(CREATE, json!({ "i": input })).await;
        assert_eq!((code_of(&r), field_of(&r)), ("VALIDATION", field), "{r}");
    }
    let none = owner.query("{ clubs { id } }", json!({})).await;
    assert_eq!(none["data"]["clubs"], json!([]), "{none}");

    // Created once under an idempotency key.
    let first = owner
        .query(CREATE, json!({ "i": baby_club(), "k": "club-1" }))
        .await;
    let again = owner
        .query(CREATE, json!({ "i": baby_club(), "k": "club-1" }))
        .await;
    assert_eq!(first, again);
    let club = first["data"]["createClub"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();
    assert_eq!(first["data"]["createClub"]["joinRule"], "OPEN");
    let listed = owner.query("{ clubs { id } }", json!({})).await;
    assert_eq!(listed["data"]["clubs"].as_array().map(Vec::len), Some(1));

    let (ana, _) = app
        .enroll(
            &brand,
            json!({ "email": "ana@club.example", "emailConsent": true }),
        )
        .await;
    let answers = json!([{ "key": "child_birth_date", "value": "2026-03-14" }, { "key": "diet", "value": "bio" }]);

    // Answers without consent, a malformed date, an unknown question, a choice not offered:
    // refused, nothing written.
    for (a, consent, field) in [
        (answers.clone(), false, "consent"),
        (
            json!([{ "key": "child_birth_date", "value": "14/03/2026" }]),
            true,
            "answers",
        ),
        (
            json!([{ "key": "shoe_size", "value": "38" }]),
            true,
            "answers",
        ),
        (
            json!([{ "key": "diet", "value": "vegan" }]),
            true,
            "answers",
        ),
    ] {
        let r = owner
            .query(
                JOIN,
                json!({ "c": club, "m": ana, "a": a, "consent": consent }),
            )
            .await;
        assert_eq!((code_of(&r), field_of(&r)), ("VALIDATION", field), "{r}");
    }
    let places = owner.query(MEMBER_CLUBS, json!({ "m": ana })).await;
    assert_eq!(places["data"]["memberClubs"], json!([]), "{places}");

    // Joined with consent: answers kept; a replay of the same key changes nothing.
    let vars = json!({ "c": club, "m": ana, "a": answers, "consent": true, "k": "join-ana" });
    let joined = owner.query(JOIN, vars.clone()).await;
    let p = &joined["data"]["joinClub"];
    assert_eq!(p["status"], "ACTIVE", "{joined}");
    assert_eq!(p["joins"], 1);
    assert_eq!(p["answers"].as_array().map(Vec::len), Some(2));
    assert!(p["answersConsentAt"].is_string());
    assert_eq!(owner.query(JOIN, vars).await, joined);
    // Joining again without answers keeps them; a date is kept in one form.
    let again = owner.query(JOIN, json!({ "c": club, "m": ana })).await;
    assert_eq!(
        again["data"]["joinClub"]["answers"], p["answers"],
        "{again}"
    );
    let padded = owner
        .query(
            JOIN,
            json!({ "c": club, "m": ana, "consent": true,
                "a": [{ "key": "child_birth_date", "value": "2026-3-4" }, { "key": "diet", "value": "bio" }] }),
        )
        .await;
    assert!(padded.to_string().contains("2026-03-04"), "{padded}");
    let r = owner
        .query(
            JOIN,
            json!({ "c": club, "m": ana, "consent": true,
                "a": [{ "key": "child_birth_date", "value": "+02026-03-04" }] }),
        )
        .await;
    assert_eq!(code_of(&r), "VALIDATION", "{r}");

    // Racing joins of one member count one join.
    let (bob, _) = app
        .enroll(&brand, json!({ "email": "bob@club.example" }))
        .await;
    let racing = futures_util::future::join_all((0..6).map(|_| {
        let owner = app.as_token(&brand.owner.access_token);
        let club = club.clone();
        let bob = bob.clone();
        async move { owner.query(JOIN, json!({ "c": club, "m": bob })).await }
    }))
    .await;
    assert!(
        racing
            .iter()
            .any(|r| r["data"]["joinClub"]["status"] == "ACTIVE"),
        "{racing:?}"
    );
    let f = owner.query(FIGURES, json!({ "c": club })).await;
    assert_eq!(f["data"]["clubFigures"]["joins"], 2, "{f}");
    assert_eq!(f["data"]["clubFigures"]["members"], 2, "{f}");

    // Club-answer audience: only Ana (bio); the club leaf: both.
    let audience = |filter: Value| {
        let owner = app.as_token(&brand.owner.access_token);
        async move {
            let r = owner
                .query(
                    "query($f: AudienceFilterInput!) { audiencePreview(filter: $f) { matched } }",
                    json!({ "f": filter }),
                )
                .await;
            r["data"]["audiencePreview"]["matched"]
                .as_i64()
                .unwrap_or_else(|| panic!("{r}"))
        }
    };
    assert_eq!(
        audience(json!({ "clubAnswer": { "clubId": club, "key": "diet", "equals": "BIO" } })).await,
        1
    );
    assert_eq!(audience(json!({ "clubId": club })).await, 2);
    assert_eq!(audience(json!({ "not": { "clubId": club } })).await, 0);

    // Leaving drops the answers; leaving again changes nothing; coming back counts a join.
    let left = owner.query(LEAVE, json!({ "c": club, "m": ana })).await;
    assert_eq!(left["data"]["leaveClub"]["status"], "LEFT", "{left}");
    assert_eq!(left["data"]["leaveClub"]["answers"], json!([]));
    let twice = owner.query(LEAVE, json!({ "c": club, "m": ana })).await;
    assert_eq!(
        twice["data"]["leaveClub"]["leftAt"],
        left["data"]["leaveClub"]["leftAt"]
    );
    let f = owner.query(FIGURES, json!({ "c": club })).await;
    assert_eq!(f["data"]["clubFigures"]["members"], 1, "{f}");
    assert_eq!(f["data"]["clubFigures"]["leaves"], 1, "{f}");
    assert_eq!(audience(json!({ "clubId": club })).await, 1);
    let back = owner
        .query(JOIN, json!({ "c": club, "m": ana, "consent": false }))
        .await;
    assert_eq!(back["data"]["joinClub"]["joins"], 2, "{back}");
    assert_eq!(back["data"]["joinClub"]["answers"], json!([]));

    // Export shows the club place; erasure drops answers kept since.
    owner
        .query(
            JOIN,
            json!({ "c": club, "m": ana, "a": [{ "key": "diet", "value": "bio" }], "consent": true }),
        )
        .await;
    let export = owner
        .query(
            "query($m: ID!) { exportMemberData(memberId: $m) }",
            json!({ "m": ana }),
        )
        .await;
    let text = export.to_string();
    assert!(text.contains("clubs") && text.contains("bio"), "{export}");
    let erased = owner
        .query(
            "mutation($m: ID!) { eraseMember(memberId: $m) }",
            json!({ "m": ana }),
        )
        .await;
    assert!(erased["errors"].is_null(), "{erased}");
    let places = owner.query(MEMBER_CLUBS, json!({ "m": ana })).await;
    assert_eq!(
        places["data"]["memberClubs"][0]["answers"],
        json!([]),
        "{places}"
    );
    // The community's job then takes the erased member out of the club.
    let r = fidelis::community::run_once(&app.state.base, app.now())
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(r.released, 1, "{r:?}");
    let places = owner.query(MEMBER_CLUBS, json!({ "m": ana })).await;
    assert_eq!(
        places["data"]["memberClubs"][0]["status"], "LEFT",
        "{places}"
    );

    // Archived: nobody joins any more.
    let (cy, _) = app
        .enroll(&brand, json!({ "email": "cy@club.example" }))
        .await;
    owner
        .query(
            "mutation($id: ID!) { archiveClub(id: $id) { id } }",
            json!({ "id": club }),
        )
        .await;
    let late = owner.query(JOIN, json!({ "c": club, "m": cy })).await;
    assert_eq!(code_of(&late), "CONFLICT", "{late}");
}

#[tokio::test(flavor = "multi_thread")]
async fn invitation_segment_and_paid_clubs_keep_others_out_and_club_offers_follow() {
    let app = spawn_app().await;
    let brand = app.new_brand("clubs").await;
    let owner = app.as_token(&brand.owner.access_token);
    let (ana, ana_card) = app
        .enroll(&brand, json!({ "email": "ana@clubs.example" }))
        .await;
    let (bob, bob_card) = app
        .enroll(
            &brand,
            json!({ "email": "bob@clubs.example", "emailConsent": true }),
        )
        .await;

    // By invitation: Bob is kept out until invited, mailed once, then joins. Ana, invited too,
    // gave no e-mail consent: invited, not mailed.
    let wine = create(
        &app,
        &brand,
        json!({ "name": "Club vin", "joinRule": "INVITATION" }),
    )
    .await;
    let r = owner.query(JOIN, json!({ "c": wine, "m": bob })).await;
    assert_eq!(code_of(&r), "CONFLICT", "{r}");
    let invite = "mutation($c: ID!, $m: [ID!]!) { inviteToClub(clubId: $c, memberIds: $m) }";
    let welcome = fidelis::engagement::transactional::run_once(
        &app.state.base,
        &app.state.links,
        &app.state.post,
        app.now(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(welcome.sent, 2, "welcome mails: {welcome:?}");
    let r = owner
        .query(invite, json!({ "c": wine, "m": [bob, ana] }))
        .await;
    assert_eq!(r["data"]["inviteToClub"], 2, "{r}");
    let r = owner.query(invite, json!({ "c": wine, "m": [bob] })).await;
    assert_eq!(r["data"]["inviteToClub"], 0, "invited once: {r}");
    let mail = fidelis::engagement::transactional::run_once(
        &app.state.base,
        &app.state.links,
        &app.state.post,
        app.now(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(mail.sent, 1, "{mail:?}");
    assert_eq!(mail.skipped, 1, "no consent, no invitation mail: {mail:?}");
    let m = app.smtp.wait_for("bob@clubs.example").await;
    assert!(m.subject().contains("Club vin"), "{}", m.subject());
    assert!(
        !app.smtp
            .to("ana@clubs.example")
            .await
            .iter()
            .any(|m| m.subject().contains("Club vin"))
    );
    let r = owner.query(JOIN, json!({ "c": wine, "m": bob })).await;
    assert_eq!(r["data"]["joinClub"]["status"], "ACTIVE", "{r}");
    // Gone, he needs a new invitation to come back; one is enough.
    owner.query(LEAVE, json!({ "c": wine, "m": bob })).await;
    let r = owner.query(JOIN, json!({ "c": wine, "m": bob })).await;
    assert_eq!(code_of(&r), "CONFLICT", "{r}");
    let r = owner.query(invite, json!({ "c": wine, "m": [bob] })).await;
    assert_eq!(r["data"]["inviteToClub"], 1, "{r}");
    let r = owner.query(JOIN, json!({ "c": wine, "m": bob })).await;
    assert_eq!(r["data"]["joinClub"]["joins"], 2, "{r}");
    // Ana turns the invitation down: not a leave (she never joined).
    owner.query(LEAVE, json!({ "c": wine, "m": ana })).await;
    let f = owner.query(FIGURES, json!({ "c": wine })).await;
    assert_eq!(f["data"]["clubFigures"]["leaves"], 0, "{f}");
    assert_eq!(f["data"]["clubFigures"]["members"], 1, "{f}");

    // By segment: big spenders only.
    let seg = owner
        .query(
            "mutation($n: String!, $f: AudienceFilterInput!) { saveSegment(name: $n, filter: $f) { id } }",
            json!({ "n": "Gros clients", "f": { "totalSpendAtLeastMinor": 5_000 } }),
        )
        .await;
    let seg = seg["data"]["saveSegment"]["id"].clone();
    let vip = create(
        &app,
        &brand,
        json!({ "name": "Club VIP", "joinRule": "SEGMENT", "segmentId": seg }),
    )
    .await;
    let buy = |card: &str, total: i64| {
        json!({ "i": { "cardNumber": card, "currency": "EUR", "totalMinor": total,
            "lines": [{ "sku": "A", "quantity": 1, "unitPriceMinor": total }] } })
    };
    let r = owner.query(RECORD_PURCHASE, buy(&ana_card, 6_000)).await;
    assert!(r["errors"].is_null(), "{r}");
    let mut ana_spent = r["data"]["recordPurchase"]["purchase"]["totalMinor"]
        .as_i64()
        .unwrap_or_default();
    let r = owner.query(JOIN, json!({ "c": vip, "m": bob })).await;
    assert_eq!(code_of(&r), "CONFLICT", "{r}");
    let r = owner.query(JOIN, json!({ "c": vip, "m": ana })).await;
    assert_eq!(r["data"]["joinClub"]["status"], "ACTIVE", "{r}");

    // A club-only offer: Ana (VIP club) gets it, Bob does not.
    let offer = owner
        .query(
            "mutation($i: OfferInput!) { createOffer(input: $i) { id } }",
            json!({ "i": { "name": "VIP -10 %", "kind": "DISCOUNT", "percent": 10, "clubId": vip,
                "startsAt": app.now() - Duration::minutes(1), "endsAt": app.now() + Duration::days(30) } }),
        )
        .await;
    assert!(offer["data"]["createOffer"]["id"].is_string(), "{offer}");
    let record = "mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { purchase { totalMinor } offerDiscountMinor explanation { reason } } }";
    let r = owner.query(record, buy(&ana_card, 2_000)).await;
    assert_eq!(
        r["data"]["recordPurchase"]["offerDiscountMinor"], 200,
        "{r}"
    );
    ana_spent += r["data"]["recordPurchase"]["purchase"]["totalMinor"]
        .as_i64()
        .unwrap_or_default();
    let r = owner.query(record, buy(&bob_card, 2_000)).await;
    assert_eq!(r["data"]["recordPurchase"]["offerDiscountMinor"], 0, "{r}");
    assert!(r.to_string().contains("NOT_IN_CLUB"), "{r}");
    let bob_spent = r["data"]["recordPurchase"]["purchase"]["totalMinor"]
        .as_i64()
        .unwrap_or_default();
    // The VIP club's revenue against the brand's other members (Bob alone), by hand.
    let f = owner.query(FIGURES, json!({ "c": vip })).await;
    assert_eq!(
        f["data"]["clubFigures"],
        json!({ "members": 1, "invited": 0, "joins": 1, "leaves": 0, "activeMembers": 1,
            "membersRevenueMinor": ana_spent, "othersRevenueMinor": bob_spent,
            "revenuePerMemberMinor": ana_spent, "revenuePerOtherMemberMinor": bob_spent }),
        "{f}"
    );

    // Paid: a membership of the program is needed; when it ends, the member leaves.
    let premium = owner
        .query(
            "mutation($i: CreateProgramInput!) { createProgram(input: $i) { id } }",
            json!({ "i": { "name": "Premium", "rules": { "membership": {
                "feeMinor": 900, "period": "MONTHLY", "discountPercent": 0,
                "pointsMultiplierPercent": 100, "perks": [] } } } }),
        )
        .await;
    let premium = premium["data"]["createProgram"]["id"].clone();
    let paid = create(
        &app,
        &brand,
        json!({ "name": "Club premium", "membershipProgramId": premium }),
    )
    .await;
    let r = owner.query(JOIN, json!({ "c": paid, "m": bob })).await;
    assert_eq!(code_of(&r), "CONFLICT", "{r}");
    let r = owner
        .query(
            "mutation($i: PayMembershipInput!) { payMembership(input: $i) { id } }",
            json!({ "i": { "memberId": bob, "programId": premium, "paymentReference": "PSP-1" } }),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let r = owner.query(JOIN, json!({ "c": paid, "m": bob })).await;
    assert_eq!(r["data"]["joinClub"]["status"], "ACTIVE", "{r}");
    let none = fidelis::community::clubs::settle_paid(&app.state.base, app.now())
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(none, 0, "the membership runs");
    app.clock().advance(Duration::days(40));
    let left = fidelis::community::clubs::settle_paid(&app.state.base, app.now())
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(left, 1);
    let owner = app.as_token(&app.login(&brand.owner.email, PASSWORD).await.access_token);
    let places = owner.query(MEMBER_CLUBS, json!({ "m": bob })).await;
    let status_in = |club: &str| {
        places["data"]["memberClubs"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["clubId"] == club)
            .map(|p| p["status"].clone())
    };
    assert_eq!(status_in(&paid), Some(json!("LEFT")), "{places}");
    assert_eq!(status_in(&wine), Some(json!("ACTIVE")), "{places}");

    // Another brand: the clubs read as missing ones, in reads and writes.
    let other = app.new_brand("clubs-autre").await;
    let b = app.as_token(&other.owner.access_token);
    let (b_member, _) = app
        .enroll(&other, json!({ "email": "x@autre.example" }))
        .await;
    let missing = uuid::Uuid::now_v7().to_string();
    for (q, vars) in [
        ("query($c: ID!) { club(id: $c) { id } }", json!({})),
        (FIGURES, json!({})),
        (
            "query($c: ID!) { clubMembers(clubId: $c) { id } }",
            json!({}),
        ),
        (JOIN, json!({ "m": b_member })),
        (
            "mutation($c: ID!) { archiveClub(id: $c) { id } }",
            json!({}),
        ),
    ] {
        let with = |c: &str| {
            let mut v = vars.clone();
            v["c"] = json!(c);
            v
        };
        let foreign = b.query(q, with(&wine)).await;
        let absent = b.query(q, with(&missing)).await;
        assert_eq!(code_of(&foreign), "NOT_FOUND", "{q}: {foreign}");
        assert_eq!(foreign, absent, "{q}");
    }
    // Nor can it be named in an audience.
    let r = b
        .query(
            "query($f: AudienceFilterInput!) { audiencePreview(filter: $f) { matched } }",
            json!({ "f": { "clubId": vip } }),
        )
        .await;
    assert_eq!(code_of(&r), "NOT_FOUND", "{r}");
    let r = b
        .query(
            "mutation($i: OfferInput!) { createOffer(input: $i) { id } }",
            json!({ "i": { "name": "X", "kind": "DISCOUNT", "percent": 5, "clubId": vip,
                "startsAt": app.now(), "endsAt": app.now() + Duration::days(3) } }),
        )
        .await;
    assert_eq!(code_of(&r), "NOT_FOUND", "{r}");
    let _ = ana;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_member_joins_and_leaves_from_their_own_space() {
    let app = spawn_app().await;
    let brand = app.new_brand("club-membre").await;
    let open = create(&app, &brand, baby_club()).await;
    let closed = create(
        &app,
        &brand,
        json!({ "name": "Club secret", "joinRule": "INVITATION" }),
    )
    .await;
    let token = app.member_token(&brand).await;
    let me = app.as_token(&token);
    let mine = me
        .query(
            "{ myClubs { club { id name questions { key } } place { status } whyNot } }",
            json!({}),
        )
        .await;
    let shown: Vec<&str> = mine["data"]["myClubs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["club"]["id"].as_str())
        .collect();
    assert_eq!(
        shown,
        [open.as_str()],
        "the invitation-only club is not shown: {mine}"
    );
    let r = me
        .query(
            "mutation($c: ID!) { joinMyClub(clubId: $c) { status } }",
            json!({ "c": closed }),
        )
        .await;
    assert_eq!(code_of(&r), "CONFLICT", "{r}");
    let r = me
        .query(
            "mutation($c: ID!, $a: [ClubAnswerInput!]) { joinMyClub(clubId: $c, answers: $a, consent: true) { status answers { key value } } }",
            json!({ "c": open, "a": [{ "key": "diet", "value": "classique" }] }),
        )
        .await;
    assert_eq!(r["data"]["joinMyClub"]["status"], "ACTIVE", "{r}");
    let r = me
        .query(
            "mutation($c: ID!) { leaveMyClub(clubId: $c) { status } }",
            json!({ "c": open }),
        )
        .await;
    assert_eq!(r["data"]["leaveMyClub"]["status"], "LEFT", "{r}");
    // Staff-only reads are not for members.
    let r = me
        .query(
            "query($c: ID!) { clubMembers(clubId: $c) { id } }",
            json!({ "c": open }),
        )
        .await;
    assert_eq!(code_of(&r), "FORBIDDEN", "{r}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_coalition_runs_a_club_across_its_brands_and_each_brand_sees_its_own_and_the_shared() {
    let app = spawn_app().await;
    let (a, b, c) = (
        app.new_brand("ambre").await,
        app.new_brand("boreal").await,
        app.new_brand("cobalt").await,
    );
    let outsider = app.new_brand("dehors").await;
    let co = crate::settlement::coalition(&app, &a, &b, &c).await;
    let (ga, gb) = (
        app.as_token(&a.owner.access_token),
        app.as_token(&b.owner.access_token),
    );
    let create = "mutation($c: ID!, $i: CoalitionClubInput!) { createCoalitionClub(coalitionId: $c, input: $i) { id name questions { key kind } } }";
    let input = json!({ "name": "Club Famille", "description": "Pour les parents du quartier",
        "questions": [{ "key": "child_birth", "label": "Naissance de l'enfant", "kind": "DATE" }] });
    // Only the coalition's operator creates one.
    let r = ga.query(create, json!({ "c": co.id, "i": input })).await;
    assert_eq!(code_of(&r), "FORBIDDEN", "{r}");
    let made = co
        .operator
        .query(create, json!({ "c": co.id, "i": input }))
        .await;
    let cc = made["data"]["createCoalitionClub"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{made}"))
        .to_owned();

    // Each brand finds its place among its clubs; the outsider does not.
    let list = "{ clubs { id name runByCoalition coalitionClubId questions { key } } }";
    let place = |g: &fidelis_tests::Gql| {
        let g = g.clone();
        let cc = cc.clone();
        async move {
            let r = g.query(list, json!({})).await;
            r["data"]["clubs"].as_array().and_then(|cs| {
                cs.iter()
                    .find(|x| x["coalitionClubId"] == cc.as_str())
                    .cloned()
            })
        }
    };
    let pa = place(&ga).await.unwrap_or_else(|| panic!("A has no place"));
    let pb = place(&gb).await.unwrap_or_else(|| panic!("B has no place"));
    assert_eq!(pa["runByCoalition"], true);
    assert_eq!(pa["questions"], json!([{ "key": "child_birth" }]));
    assert_ne!(pa["id"], pb["id"]);
    assert!(
        place(&app.as_token(&outsider.owner.access_token))
            .await
            .is_none()
    );
    let (pa, pb) = (
        pa["id"].as_str().unwrap_or_default().to_owned(),
        pb["id"].as_str().unwrap_or_default().to_owned(),
    );
    // A brand does not change the operator's club.
    let r = ga
        .query(
            "mutation($id: ID!, $i: ClubInput!) { updateClub(id: $id, input: $i) { id } }",
            json!({ "id": pa, "i": { "name": "Autre nom" } }),
        )
        .await;
    assert_eq!(code_of(&r), "CONFLICT", "{r}");
    // Another brand's place reads as NOT_FOUND.
    let r = ga
        .query(
            JOIN,
            json!({ "c": pb, "m": uuid::Uuid::now_v7().to_string() }),
        )
        .await;
    assert_eq!(code_of(&r), "NOT_FOUND", "{r}");

    // Léa joins at A (no coalition card); Noé at B with a card shared with A; Zoé at B with a
    // card shared with nobody.
    let (lea, _) = app
        .enroll(
            &a,
            json!({ "email": "lea@ambre.example", "firstName": "Léa" }),
        )
        .await;
    let (noe, _) = app
        .enroll(
            &b,
            json!({ "email": "noe@boreal.example", "firstName": "Noé" }),
        )
        .await;
    let (zoe, _) = app
        .enroll(
            &b,
            json!({ "email": "zoe@boreal.example", "firstName": "Zoé" }),
        )
        .await;
    for (member, share) in [(&noe, vec![a.id.clone()]), (&zoe, vec![])] {
        let r = gb
            .query(crate::settlement::JOIN, json!({ "i": { "coalitionId": co.id, "memberId": member, "shareWithBrandIds": share } }))
            .await;
        assert!(r["errors"].is_null(), "{r}");
    }
    let answer = json!([{ "key": "child_birth", "value": "2024-03-05" }]);
    for (g, club, member) in [(&ga, &pa, &lea), (&gb, &pb, &noe), (&gb, &pb, &zoe)] {
        let r = g
            .query(
                JOIN,
                json!({ "c": club, "m": member, "a": answer, "consent": true }),
            )
            .await;
        assert_eq!(r["data"]["joinClub"]["status"], "ACTIVE", "{r}");
    }

    // A sees its own member with her answers, and Noé (shared with A), not Zoé.
    let members = "query($c: ID!) { clubMembers(clubId: $c) { memberId answers { key value } } }";
    let own = ga.query(members, json!({ "c": pa })).await;
    assert_eq!(
        own["data"]["clubMembers"],
        json!([{ "memberId": lea, "answers": [{ "key": "child_birth", "value": "2024-03-05" }] }]),
        "{own}"
    );
    let others = "query($c: ID!) { clubOtherBrandsMembers(clubId: $c) { shared { brandName firstName email answers { key value } } notShared } }";
    let seen = ga.query(others, json!({ "c": pa })).await;
    assert_eq!(
        seen["data"]["clubOtherBrandsMembers"],
        json!({ "shared": [{ "brandName": "Brand boreal", "firstName": "Noé", "email": "noe@boreal.example",
            "answers": [{ "key": "child_birth", "value": "2024-03-05" }] }], "notShared": 1 }),
        "{seen}"
    );
    // B sees nobody of A's: Léa holds no card sharing with B.
    let seen = gb.query(others, json!({ "c": pb })).await;
    assert_eq!(
        seen["data"]["clubOtherBrandsMembers"],
        json!({ "shared": [], "notShared": 1 }),
        "{seen}"
    );
    // Another brand's place: NOT_FOUND.
    let r = ga.query(others, json!({ "c": pb })).await;
    assert_eq!(code_of(&r), "NOT_FOUND", "{r}");

    // The operator sees counts per brand, no profile.
    let clubs = "query($c: ID!) { coalitionClubs(coalitionId: $c) { id name brands { brandName members joins leaves } } }";
    let r = co.operator.query(clubs, json!({ "c": co.id })).await;
    let mut brands = r["data"]["coalitionClubs"][0]["brands"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("{r}"));
    brands.sort_by_key(|b| b["brandName"].as_str().unwrap_or_default().to_owned());
    assert_eq!(
        brands,
        vec![
            json!({ "brandName": "Brand ambre", "members": 1, "joins": 1, "leaves": 0 }),
            json!({ "brandName": "Brand boreal", "members": 2, "joins": 2, "leaves": 0 }),
            json!({ "brandName": "Brand cobalt", "members": 0, "joins": 0, "leaves": 0 }),
        ]
    );
    let r = app
        .as_token(&outsider.owner.access_token)
        .query(clubs, json!({ "c": co.id }))
        .await;
    assert_eq!(code_of(&r), "FORBIDDEN", "{r}");

    // Renamed by the operator: every place follows; archived: nobody joins any more.
    let r = co
        .operator
        .query(
            "mutation($id: ID!, $i: CoalitionClubInput!) { updateCoalitionClub(id: $id, input: $i) { name } }",
            json!({ "id": cc, "i": { "name": "Club Familles", "questions": [{ "key": "child_birth", "label": "Naissance", "kind": "DATE" }] } }),
        )
        .await;
    assert_eq!(
        r["data"]["updateCoalitionClub"]["name"], "Club Familles",
        "{r}"
    );
    let renamed = ga
        .query(
            "query($id: ID!) { club(id: $id) { name } }",
            json!({ "id": pa }),
        )
        .await;
    assert_eq!(
        renamed["data"]["club"]["name"], "Club Familles",
        "{renamed}"
    );
    let r = co
        .operator
        .query(
            "mutation($id: ID!) { archiveCoalitionClub(id: $id) { archivedAt } }",
            json!({ "id": cc }),
        )
        .await;
    assert!(
        r["data"]["archiveCoalitionClub"]["archivedAt"].is_string(),
        "{r}"
    );
    assert!(place(&gb).await.is_none(), "archived places leave the list");
    let (late, _) = app
        .enroll(&b, json!({ "email": "late@boreal.example" }))
        .await;
    let r = gb.query(JOIN, json!({ "c": pb, "m": late })).await;
    assert!(r["errors"].is_array(), "{r}");

    // A second club, created once whatever the retries.
    let keyed = "mutation($c: ID!, $i: CoalitionClubInput!, $k: String) { createCoalitionClub(coalitionId: $c, input: $i, idempotencyKey: $k) { id brands { brandName members } } }";
    let velo = json!({ "name": "Club Vélo" });
    let first = co
        .operator
        .query(keyed, json!({ "c": co.id, "i": velo, "k": "velo-1" }))
        .await;
    let again = co
        .operator
        .query(keyed, json!({ "c": co.id, "i": velo, "k": "velo-1" }))
        .await;
    let velo_id = first["data"]["createCoalitionClub"]["id"].clone();
    assert!(velo_id.is_string(), "{first}");
    assert_eq!(
        again["data"]["createCoalitionClub"]["id"], velo_id,
        "{again}"
    );
    assert_eq!(
        first["data"]["createCoalitionClub"]["brands"]
            .as_array()
            .map(Vec::len),
        Some(3),
        "each active brand has its place: {first}"
    );
    let r = co.operator.query(clubs, json!({ "c": co.id })).await;
    assert_eq!(
        r["data"]["coalitionClubs"].as_array().map(Vec::len),
        Some(2),
        "{r}"
    );
    let velo_place = |g: &fidelis_tests::Gql| {
        let g = g.clone();
        let id = velo_id.clone();
        async move {
            let r = g.query(list, json!({})).await;
            r["data"]["clubs"]
                .as_array()
                .and_then(|cs| cs.iter().find(|x| x["coalitionClubId"] == id).cloned())
                .map(|x| x["id"].as_str().unwrap_or_default().to_owned())
        }
    };
    let (va, vb) = (
        velo_place(&ga)
            .await
            .unwrap_or_else(|| panic!("A has no place")),
        velo_place(&gb)
            .await
            .unwrap_or_else(|| panic!("B has no place")),
    );
    let r = gb.query(JOIN, json!({ "c": vb, "m": noe })).await;
    assert_eq!(r["data"]["joinClub"]["status"], "ACTIVE", "{r}");
    let seen = ga.query(others, json!({ "c": va })).await;
    assert_eq!(
        seen["data"]["clubOtherBrandsMembers"]["shared"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "{seen}"
    );
    // B leaves the coalition (at the end of the month): its place closes, and neither brand
    // sees the other's members any more.
    let r = gb
        .query(
            "mutation($c: ID!) { leaveCoalition(coalitionId: $c) { id } }",
            json!({ "c": co.id }),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    app.clock().advance(chrono::Duration::days(32));
    let ga = app.as_token(&app.login(&a.owner.email, PASSWORD).await.access_token);
    let gb = app.as_token(&app.login(&b.owner.email, PASSWORD).await.access_token);
    let seen = ga.query(others, json!({ "c": va })).await;
    assert_eq!(
        seen["data"]["clubOtherBrandsMembers"],
        json!({ "shared": [], "notShared": 0 }),
        "{seen}"
    );
    assert!(velo_place(&gb).await.is_none(), "B's place is closed");
    let r = gb.query(JOIN, json!({ "c": vb, "m": zoe })).await;
    assert!(
        r["errors"].is_array(),
        "nobody joins at a brand that left: {r}"
    );
}
