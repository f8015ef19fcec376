//! Events: seats never above the capacity under racing answers (and racing withdrawals hand
//! every freed seat to the waitlist in order), invitations, reminders and seat mails, check-in at
//! the door by card with the attendance reward given once (ledger sound), walk-ins only while
//! seats are left, the figures (attended, no-shows), the audience rules (club, invitation only),
//! the member's own space, and another brand's event read as NOT_FOUND.

use chrono::Duration;
use fidelis_tests::{PASSWORD, TestApp, TestBrand, code_of, field_of, spawn_app};
use serde_json::{Value, json};

const CREATE: &str = "mutation($i: EventInput!, $k: String) { createEvent(input: $i, idempotencyKey: $k) { id capacity seatsLeft } }";
const RESPOND: &str = "mutation($e: ID!, $m: ID!, $g: Boolean!) { respondToEvent(eventId: $e, memberId: $m, going: $g) { id status waitlistedAt } }";
const EVENT: &str = "query($e: ID!) { event(id: $e) { seatsTaken seatsLeft capacity } eventGuests(eventId: $e) { memberId status checkedInAt } eventFigures(eventId: $e) { invited accepted waitlisted declined attended noShows seatsLeft pointsGiven vouchersGiven } }";
const CHECK_IN: &str = "mutation($e: ID!, $c: String) { checkInToEvent(eventId: $e, cardNumber: $c) { firstTime guest { status checkedInAt rewardPoints rewardVoucherId } } }";

fn input(app: &TestApp, capacity: i32, extra: Value) -> Value {
    let starts = app.now() + Duration::days(3);
    let mut i = json!({
        "name": "Soirée dégustation",
        "kind": "WORKSHOP",
        "startsAt": starts,
        "endsAt": starts + Duration::hours(3),
        "place": "12 rue du Port, Nantes",
        "capacity": capacity,
    });
    if let (Some(i), Some(e)) = (i.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            i.insert(k.clone(), v.clone());
        }
    }
    i
}

async fn create(app: &TestApp, brand: &TestBrand, input: Value) -> String {
    let r = app
        .as_token(&brand.owner.access_token)
        .query(CREATE, json!({ "i": input }))
        .await;
    r["data"]["createEvent"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("createEvent: {r}"))
        .to_owned()
}

async fn members(app: &TestApp, brand: &TestBrand, n: usize) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push(
            app.enroll(
                brand,
                json!({ "email": format!("g{i}@{}.example", brand.slug), "emailConsent": true }),
            )
            .await,
        );
    }
    out
}

async fn state(app: &TestApp, brand: &TestBrand, event: &str) -> Value {
    let r = app
        .as_token(&brand.owner.access_token)
        .query(EVENT, json!({ "e": event }))
        .await;
    assert!(r["errors"].is_null(), "{r}");
    r["data"].clone()
}

fn status_of(state: &Value, member: &str) -> String {
    state["eventGuests"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|g| g["memberId"] == member)
        .and_then(|g| g["status"].as_str())
        .unwrap_or("NONE")
        .to_owned()
}

async fn send_mail(app: &TestApp) -> u64 {
    fidelis::engagement::transactional::run_once(
        &app.state.base,
        &app.state.links,
        &app.state.post,
        app.now(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e:?}"))
    .sent
}

#[tokio::test(flavor = "multi_thread")]
async fn racing_answers_never_exceed_the_capacity_and_freed_seats_go_to_the_waitlist_in_order() {
    let app = spawn_app().await;
    let brand = app.new_brand("atelier").await;
    let event = create(&app, &brand, input(&app, 5, json!({}))).await;
    let guests = members(&app, &brand, 14).await;
    assert_eq!(send_mail(&app).await, 14, "welcome mails");
    let answer = |member: String, going: bool| {
        let owner = app.as_token(&brand.owner.access_token);
        let event = event.clone();
        async move {
            owner
                .query(RESPOND, json!({ "e": event, "m": member, "g": going }))
                .await
        }
    };
    let results =
        futures_util::future::join_all(guests.iter().map(|(m, _)| answer(m.clone(), true))).await;
    for r in &results {
        assert!(r["errors"].is_null(), "{r}");
    }
    let s = state(&app, &brand, &event).await;
    let count = |s: &Value, status: &str| {
        s["eventGuests"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|g| g["status"] == status)
            .count()
    };
    assert_eq!(count(&s, "GOING"), 5, "{s}");
    assert_eq!(count(&s, "WAITLISTED"), 9, "{s}");
    assert_eq!(s["event"]["seatsTaken"], 5);
    assert_eq!(s["event"]["seatsLeft"], 0);

    // The waitlist order, as the guests list gives it.
    let waitlist: Vec<String> = s["eventGuests"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|g| g["status"] == "WAITLISTED")
        .filter_map(|g| g["memberId"].as_str().map(str::to_owned))
        .collect();
    let going: Vec<String> = s["eventGuests"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|g| g["status"] == "GOING")
        .filter_map(|g| g["memberId"].as_str().map(str::to_owned))
        .collect();

    // All five with a seat withdraw at once (each twice): the first five of the waitlist get
    // the seats, never more.
    let withdrawals = futures_util::future::join_all(
        going
            .iter()
            .chain(going.iter())
            .map(|m| answer(m.clone(), false)),
    )
    .await;
    for r in &withdrawals {
        assert!(r["errors"].is_null() || code_of(r) == "CONFLICT", "{r}");
    }
    let s = state(&app, &brand, &event).await;
    assert_eq!(count(&s, "GOING"), 5, "{s}");
    assert_eq!(count(&s, "WAITLISTED"), 4, "{s}");
    assert_eq!(count(&s, "DECLINED"), 5, "{s}");
    assert_eq!(s["event"]["seatsTaken"], 5);
    for m in &waitlist[..5] {
        assert_eq!(
            status_of(&s, m),
            "GOING",
            "{m} was among the first five: {s}"
        );
    }
    for m in &waitlist[5..] {
        assert_eq!(status_of(&s, m), "WAITLISTED", "{s}");
    }
    // Each promoted guest is mailed that the seat is theirs.
    assert_eq!(send_mail(&app).await, 5);
    let mail = app
        .smtp
        .wait_for(&format!(
            "g{}@atelier.example",
            guests
                .iter()
                .position(|(m, _)| *m == waitlist[0])
                .unwrap_or(0)
        ))
        .await;
    assert!(mail.subject().contains("place"), "{}", mail.subject());

    // A larger capacity seats the rest of the waitlist; a smaller one than the seats taken is
    // refused.
    let owner = app.as_token(&brand.owner.access_token);
    let update = "mutation($id: ID!, $i: EventInput!) { updateEvent(id: $id, input: $i) { seatsTaken capacity } }";
    let r = owner
        .query(
            update,
            json!({ "id": event, "i": input(&app, 4, json!({})) }),
        )
        .await;
    assert_eq!(
        (code_of(&r), field_of(&r)),
        ("VALIDATION", "input.capacity"),
        "{r}"
    );
    let r = owner
        .query(
            update,
            json!({ "id": event, "i": input(&app, 20, json!({})) }),
        )
        .await;
    assert_eq!(r["data"]["updateEvent"]["seatsTaken"], 9, "{r}");

    // One seat: its holder withdraws while another says yes, again and again. Whatever the
    // order, the seat never stays free while someone waits, and never has two holders.
    let small = create(&app, &brand, input(&app, 1, json!({}))).await;
    let pair = |member: String, going: bool| {
        let owner = app.as_token(&brand.owner.access_token);
        let small = small.clone();
        async move {
            owner
                .query(RESPOND, json!({ "e": small, "m": member, "g": going }))
                .await
        }
    };
    let (a, b) = (guests[0].0.clone(), guests[1].0.clone());
    let r = pair(a.clone(), true).await;
    assert_eq!(r["data"]["respondToEvent"]["status"], "GOING", "{r}");
    let mut holder = a;
    let mut other = b;
    for _ in 0..6 {
        let (no, yes) = tokio::join!(pair(holder.clone(), false), pair(other.clone(), true));
        assert!(no["errors"].is_null(), "{no}");
        assert!(yes["errors"].is_null(), "{yes}");
        let s = state(&app, &brand, &small).await;
        assert_eq!(s["event"]["seatsTaken"], 1, "{s}");
        assert_eq!(
            status_of(&s, &other),
            "GOING",
            "the seat freed went to the one waiting: {s}"
        );
        assert_eq!(status_of(&s, &holder), "DECLINED", "{s}");
        std::mem::swap(&mut holder, &mut other);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn invited_reminded_checked_in_by_card_and_rewarded_once() {
    let app = spawn_app().await;
    let brand = app.new_brand("soiree").await;
    let program = app
        .new_points_program(
            &brand,
            "Points",
            json!({ "points": 1, "perAmountMinor": 100 }),
        )
        .await;
    let owner = app.as_token(&brand.owner.access_token);
    // Validation: nothing created.
    for (bad, field) in [
        (json!({ "capacity": 0 }), "input.capacity"),
        (json!({ "endsAt": app.now() }), "input.endsAt"),
        (json!({ "rewardPoints": 50 }), "input.programId"),
        (json!({ "place": "" }), "input.place"),
    ] {
        let mut i = input(&app, 2, json!({}));
        if let (Some(i), Some(b)) = (i.as_object_mut(), bad.as_object()) {
            for (k, v) in b {
                i.insert(k.clone(), v.clone());
            }
        }
        let r = owner.query(CREATE, json!({ "i": i })).await;
        assert_eq!((code_of(&r), field_of(&r)), ("VALIDATION", field), "{r}");
    }
    let input = input(
        &app,
        2,
        json!({ "invitationOnly": true, "programId": program, "rewardPoints": 50, "rewardVoucherMinor": 500 }),
    );
    let first = owner
        .query(CREATE, json!({ "i": input, "k": "evt-1" }))
        .await;
    assert_eq!(
        owner
            .query(CREATE, json!({ "i": input, "k": "evt-1" }))
            .await,
        first
    );
    let event = first["data"]["createEvent"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();
    let events = owner.query("{ events { id } }", json!({})).await;
    assert_eq!(events["data"]["events"].as_array().map(Vec::len), Some(1));

    let guests = members(&app, &brand, 4).await;
    assert_eq!(send_mail(&app).await, 4, "welcome mails");
    let (ana, ana_card) = guests[0].clone();
    let (bob, bob_card) = guests[1].clone();
    let (cy, cy_card) = guests[2].clone();
    let (dan, _) = guests[3].clone();

    // Invitation only: Dan, not invited, may not answer; the three invited are mailed once.
    let r = owner
        .query(RESPOND, json!({ "e": event, "m": dan, "g": true }))
        .await;
    assert_eq!(code_of(&r), "CONFLICT", "{r}");
    let invite = "mutation($e: ID!, $m: [ID!]) { inviteToEvent(eventId: $e, memberIds: $m) }";
    let r = owner
        .query(invite, json!({ "e": event, "m": [ana, bob, cy] }))
        .await;
    assert_eq!(r["data"]["inviteToEvent"], 3, "{r}");
    let r = owner.query(invite, json!({ "e": event, "m": [ana] })).await;
    assert_eq!(r["data"]["inviteToEvent"], 0, "{r}");
    assert_eq!(send_mail(&app).await, 3);
    let m = app.smtp.wait_for("g0@soiree.example").await;
    assert!(m.subject().starts_with("Invitation"), "{}", m.subject());
    assert!(m.text().contains("12 rue du Port"), "{}", m.text());

    for (m, going) in [(&ana, true), (&bob, true), (&cy, true)] {
        let r = owner
            .query(RESPOND, json!({ "e": event, "m": m, "g": going }))
            .await;
        assert!(r["errors"].is_null(), "{r}");
    }
    let s = state(&app, &brand, &event).await;
    assert_eq!(status_of(&s, &cy), "WAITLISTED", "{s}");

    // A new place: the two with a seat and the one waiting are told; a change that moves
    // nothing they need to know (the capacity) tells nobody.
    let mut moved = input.clone();
    moved["place"] = json!("3 quai de la Fosse, Nantes");
    let update =
        "mutation($id: ID!, $i: EventInput!) { updateEvent(id: $id, input: $i) { place } }";
    let r = owner
        .query(update, json!({ "id": event, "i": moved }))
        .await;
    assert_eq!(
        r["data"]["updateEvent"]["place"], "3 quai de la Fosse, Nantes",
        "{r}"
    );
    assert_eq!(send_mail(&app).await, 3);
    let m = app.smtp.wait_for_count("g2@soiree.example", 3).await;
    assert!(m.subject().starts_with("Changement"), "{}", m.subject());
    assert!(m.text().contains("quai de la Fosse"), "{}", m.text());
    let mut bigger = moved.clone();
    bigger["capacity"] = json!(2);
    let r = owner
        .query(update, json!({ "id": event, "i": bigger }))
        .await;
    assert!(r["errors"].is_null(), "{r}");
    assert_eq!(send_mail(&app).await, 0);

    // The day before: one reminder per guest with a seat.
    app.clock().advance(Duration::days(2) + Duration::hours(1));
    let reminded = fidelis::community::events::remind(&app.state.base, app.now())
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(reminded, 2);
    let again = fidelis::community::events::remind(&app.state.base, app.now())
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(again, 0);
    assert_eq!(send_mail(&app).await, 2);
    let m = app.smtp.wait_for_count("g0@soiree.example", 2).await;
    assert!(m.subject().starts_with("Rappel"), "{}", m.subject());

    // Check-in opens two hours before the start.
    let owner = app.as_token(&app.login(&brand.owner.email, PASSWORD).await.access_token);
    let r = owner
        .query(CHECK_IN, json!({ "e": event, "c": ana_card }))
        .await;
    assert_eq!(code_of(&r), "CONFLICT", "{r}");
    app.clock().advance(Duration::hours(22));
    let brand = TestBrand {
        owner: app.login(&brand.owner.email, PASSWORD).await,
        ..brand.clone()
    };
    let staff = app
        .invite(&brand, "porte@soiree.example", "BRAND_STAFF")
        .await;
    let door = app.as_token(&staff.access_token);
    let before = app.points(&brand, &ana).await;
    let r = door
        .query(CHECK_IN, json!({ "e": event, "c": ana_card }))
        .await;
    let c = &r["data"]["checkInToEvent"];
    assert_eq!(c["firstTime"], true, "{r}");
    assert_eq!(c["guest"]["rewardPoints"], 50);
    assert!(c["guest"]["rewardVoucherId"].is_string());
    let twice = door
        .query(CHECK_IN, json!({ "e": event, "c": ana_card }))
        .await;
    assert_eq!(
        twice["data"]["checkInToEvent"]["firstTime"], false,
        "{twice}"
    );
    assert_eq!(app.points(&brand, &ana).await, before + 50, "rewarded once");
    // Checked in, no answer can give the seat away any more.
    let r = door
        .query(RESPOND, json!({ "e": event, "m": ana, "g": false }))
        .await;
    assert_eq!(code_of(&r), "CONFLICT", "{r}");
    // Racing check-ins of one member reward once.
    let racing = futures_util::future::join_all((0..5).map(|_| {
        let door = app.as_token(&staff.access_token);
        let event = event.clone();
        let card = bob_card.clone();
        async move { door.query(CHECK_IN, json!({ "e": event, "c": card })).await }
    }))
    .await;
    assert_eq!(
        racing
            .iter()
            .filter(|r| r["data"]["checkInToEvent"]["firstTime"] == true)
            .count(),
        1,
        "{racing:?}"
    );
    assert_eq!(app.points(&brand, &bob).await, 50);
    // Cy is on the waitlist and every seat is taken: no walk-in.
    let r = door
        .query(CHECK_IN, json!({ "e": event, "c": cy_card }))
        .await;
    assert_eq!(code_of(&r), "CONFLICT", "{r}");
    let r = door
        .query(CHECK_IN, json!({ "e": event, "c": "0000000000000" }))
        .await;
    assert!(["NOT_FOUND", "VALIDATION"].contains(&code_of(&r)), "{r}");

    // After the end: figures.
    // Under way, it can no longer be cancelled.
    app.clock().advance(Duration::hours(2));
    let r = app
        .as_token(&app.login(&brand.owner.email, PASSWORD).await.access_token)
        .query(
            "mutation($e: ID!) { cancelEvent(id: $e) { id } }",
            json!({ "e": event }),
        )
        .await;
    assert_eq!(code_of(&r), "CONFLICT", "{r}");
    app.clock().advance(Duration::hours(2));
    let owner = TestBrand {
        owner: app.login(&brand.owner.email, PASSWORD).await,
        ..brand.clone()
    };
    let s = state(&app, &owner, &event).await;
    let f = &s["eventFigures"];
    assert_eq!(f["invited"], 3, "{s}");
    assert_eq!(f["accepted"], 2);
    assert_eq!(f["waitlisted"], 1);
    assert_eq!(f["attended"], 2);
    assert_eq!(f["noShows"], 0);
    assert_eq!(f["pointsGiven"], 100);
    assert_eq!(f["vouchersGiven"], 2);
    let report = app.db_verify_ledger().await;
    assert!(report.is_sound(), "{report:?}");
    let _ = dan;
}

#[tokio::test(flavor = "multi_thread")]
async fn club_events_cancellation_member_space_and_another_brand() {
    let app = spawn_app().await;
    let brand = app.new_brand("vente").await;
    let owner = app.as_token(&brand.owner.access_token);
    let club = owner
        .query(
            "mutation { createClub(input: { name: \"Club vin\" }) { id } }",
            json!({}),
        )
        .await;
    let club = club["data"]["createClub"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let event = create(
        &app,
        &brand,
        input(&app, 10, json!({ "kind": "PRIVATE_SALE", "clubId": club })),
    )
    .await;
    // A member of the space who is not in the club does not see the sale and may not answer.
    let token = app.member_token(&brand).await;
    let me = app.as_token(&token);
    let mine = "{ myEvents { event { id kind } status invited waitlistPosition checkedIn } }";
    let r = me.query(mine, json!({})).await;
    assert_eq!(r["data"]["myEvents"], json!([]), "{r}");
    let respond =
        "mutation($e: ID!, $g: Boolean!) { respondToMyEvent(eventId: $e, going: $g) { status } }";
    let r = me.query(respond, json!({ "e": event, "g": true })).await;
    assert_eq!(code_of(&r), "CONFLICT", "{r}");
    // In the club, they see it and answer.
    let r = me
        .query(
            "mutation($c: ID!) { joinMyClub(clubId: $c) { status } }",
            json!({ "c": club }),
        )
        .await;
    assert_eq!(r["data"]["joinMyClub"]["status"], "ACTIVE", "{r}");
    let r = me.query(mine, json!({})).await;
    assert_eq!(
        r["data"]["myEvents"][0]["event"]["id"],
        event.as_str(),
        "{r}"
    );
    assert!(r["data"]["myEvents"][0]["status"].is_null());
    let r = me.query(respond, json!({ "e": event, "g": true })).await;
    assert_eq!(r["data"]["respondToMyEvent"]["status"], "GOING", "{r}");
    let r = me.query(mine, json!({})).await;
    assert_eq!(r["data"]["myEvents"][0]["status"], "GOING", "{r}");

    // An audience invitation reaches the club's members who accept mail and are not already
    // coming: Yan (consent, in the club), not the space member (no consent, and seated), nor
    // Ugo (consent, not in the club); once.
    let (yan, _) = app
        .enroll(
            &brand,
            json!({ "email": "yan@vente.example", "emailConsent": true }),
        )
        .await;
    app.enroll(
        &brand,
        json!({ "email": "ugo@vente.example", "emailConsent": true }),
    )
    .await;
    owner
        .query(
            "mutation($c: ID!, $m: ID!) { joinClub(clubId: $c, memberId: $m) { id } }",
            json!({ "c": club, "m": yan }),
        )
        .await;
    let audience = "mutation($e: ID!) { inviteToEvent(eventId: $e) }";
    let r = owner.query(audience, json!({ "e": event })).await;
    assert_eq!(r["data"]["inviteToEvent"], 1, "{r}");
    let r = owner.query(audience, json!({ "e": event })).await;
    assert_eq!(r["data"]["inviteToEvent"], 0, "{r}");

    // Another brand: the event reads as a missing one, in reads and writes.
    let other = app.new_brand("vente-autre").await;
    let b = app.as_token(&other.owner.access_token);
    let (b_member, b_card) = app
        .enroll(&other, json!({ "email": "x@vente-autre.example" }))
        .await;
    let missing = uuid::Uuid::now_v7().to_string();
    for (q, vars) in [
        ("query($e: ID!) { event(id: $e) { id } }", json!({})),
        (
            "query($e: ID!) { eventGuests(eventId: $e) { id } }",
            json!({}),
        ),
        (RESPOND, json!({ "m": b_member, "g": true })),
        (CHECK_IN, json!({ "c": b_card })),
        (
            "mutation($e: ID!) { cancelEvent(id: $e) { id } }",
            json!({}),
        ),
    ] {
        let with = |e: &str| {
            let mut v = vars.clone();
            v["e"] = json!(e);
            v
        };
        let foreign = b.query(q, with(&event)).await;
        let absent = b.query(q, with(&missing)).await;
        assert_eq!(code_of(&foreign), "NOT_FOUND", "{q}: {foreign}");
        assert_eq!(foreign, absent, "{q}");
    }

    // An erased member's seat goes back (the community's job reads the erasure).
    let (zoe, _) = app
        .enroll(&brand, json!({ "email": "zoe@vente.example" }))
        .await;
    owner
        .query(
            "mutation($c: ID!, $m: ID!) { joinClub(clubId: $c, memberId: $m) { id } }",
            json!({ "c": club, "m": zoe }),
        )
        .await;
    let r = owner
        .query(RESPOND, json!({ "e": event, "m": zoe, "g": true }))
        .await;
    assert_eq!(r["data"]["respondToEvent"]["status"], "GOING", "{r}");
    let seats = || {
        let owner = app.as_token(&brand.owner.access_token);
        let event = event.clone();
        async move {
            let r = owner
                .query(
                    "query($e: ID!) { event(id: $e) { seatsTaken } }",
                    json!({ "e": event }),
                )
                .await;
            r["data"]["event"]["seatsTaken"].as_i64().unwrap_or(-1)
        }
    };
    assert_eq!(seats().await, 2);
    let r = owner
        .query(
            "mutation($m: ID!) { eraseMember(memberId: $m) }",
            json!({ "m": zoe }),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let done = fidelis::community::run_once(&app.state.base, app.now())
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(done.released, 2, "a club place and a seat: {done:?}");
    assert_eq!(seats().await, 1);
    // Erased, they cannot be signed up again.
    let r = owner
        .query(RESPOND, json!({ "e": event, "m": zoe, "g": true }))
        .await;
    assert_eq!(code_of(&r), "CONFLICT", "{r}");
    let r = owner
        .query(
            "mutation($c: ID!, $m: ID!) { joinClub(clubId: $c, memberId: $m) { id } }",
            json!({ "c": club, "m": zoe }),
        )
        .await;
    assert_eq!(code_of(&r), "CONFLICT", "{r}");

    // Cancelled: guests are told, and nobody answers any more.
    let r = owner
        .query(
            "mutation($e: ID!) { cancelEvent(id: $e) { cancelledAt } }",
            json!({ "e": event }),
        )
        .await;
    assert!(r["data"]["cancelEvent"]["cancelledAt"].is_string(), "{r}");
    let r = me.query(respond, json!({ "e": event, "g": false })).await;
    assert_eq!(code_of(&r), "CONFLICT", "{r}");
    let queued = fidelis::engagement::transactional::run_once(
        &app.state.base,
        &app.state.links,
        &app.state.post,
        app.now(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e:?}"));
    // The member signed up in the space: mailed the cancellation (their address is known).
    assert!(queued.sent >= 1, "{queued:?}");
    let mails = app.smtp.all().await;
    assert!(
        mails.iter().any(|m| m.subject().starts_with("Annulation")),
        "{:?}",
        mails.iter().map(|m| m.subject()).collect::<Vec<_>>()
    );
}
