//! Coalition points and settlement, end to end: a three-brand coalition where a member earns at
//! A and B and spends at C, with a return, an expiry, a prepaid brand, late events, double and
//! concurrent closes, payments, and who sees what. Every statement figure is computed by hand
//! below from the coalition's prices.

use chrono::{DateTime, Datelike, Months, TimeZone, Utc};
use fidelis_tests::{Gql, PASSWORD, TestApp, TestBrand, code_of, field_of, spawn_app};
use serde_json::{Value, json};

pub(crate) const CREATE: &str =
    "mutation($i: CreateCoalitionInput!) { createCoalition(input: $i) { id } }";
pub(crate) const INVITE: &str =
    "mutation($i: InviteBrandInput!) { inviteBrandToCoalition(input: $i) { id } }";
pub(crate) const ACCEPT: &str =
    "mutation($c: ID!) { respondToCoalitionInvitation(coalitionId: $c, accept: true) { id } }";
pub(crate) const JOIN: &str =
    "mutation($i: JoinCoalitionInput!) { joinCoalition(input: $i) { cardNumber balance } }";
pub(crate) const EARN: &str = "mutation($i: CoalitionPurchaseInput!) { recordCoalitionPurchase(input: $i) { points balance movement { id period late brandId } } }";
pub(crate) const REDEEM: &str = "mutation($i: RedeemCoalitionPointsInput!) { redeemCoalitionPoints(input: $i) { points balance movement { id period } } }";
pub(crate) const RETURN: &str = "mutation($i: CoalitionReturnInput!) { recordCoalitionReturn(input: $i) { points balance movement { id period late } } }";
pub(crate) const BLOCK: &str =
    "mutation($i: PrepaidBlockInput!) { addCoalitionPrepaidBlock(input: $i) { balance } }";
pub(crate) const PERIOD_FIELDS: &str = "flows { brandId issuedPoints redeemedPoints } period closed closedAt operatorNetMinor breakagePoints lateEvents csv statements { id brandId brandName issuedPoints reversedPoints redeemedPoints prepaidPoints issuedValueMinor redeemedValueMinor prepaidValueMinor feesMinor netMinor lateEvents paidAt paymentReference }";
pub(crate) const CARD: &str = "query($c: ID!, $n: String!) { coalitionCard(coalitionId: $c, cardNumber: $n) { balance debt profile { firstName email } movements { kind brandId points } } }";

pub(crate) fn close_query() -> String {
    format!(
        "mutation($i: CloseCoalitionPeriodInput!) {{ closeCoalitionPeriod(input: $i) {{ {PERIOD_FIELDS} }} }}"
    )
}

pub(crate) fn period_query() -> String {
    format!(
        "query($c: ID!, $p: String!) {{ coalitionPeriod(coalitionId: $c, period: $p) {{ {PERIOD_FIELDS} }} }}"
    )
}

/// The 15th at noon UTC, `back` months ago: the same month in Paris, whatever today is.
/// The 15th at noon of the month `back` months ago; for this month (`back` = 0), halfway
/// between its first instant and now, so that it is never in the future (before the 15th, the
/// 15th would be).
pub(crate) fn mid_month(back: u32) -> DateTime<Utc> {
    let now = Utc::now();
    if back == 0 {
        let first = Utc
            .with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
            .single()
            .unwrap_or(now);
        return first + (now - first) / 2;
    }
    let middle = Utc
        .with_ymd_and_hms(now.year(), now.month(), 15, 12, 0, 0)
        .single()
        .unwrap_or(now);
    middle
        .checked_sub_months(Months::new(back))
        .unwrap_or(middle)
}

pub(crate) fn label(at: DateTime<Utc>) -> String {
    format!("{:04}-{:02}", at.year(), at.month())
}

/// (issued, reversed, redeemed, prepaid, issuedValue, redeemedValue, prepaidValue, fees, net, late)
type Figures = (i64, i64, i64, i64, i64, i64, i64, i64, i64, i64);

fn line_of(period: &Value, brand: &str) -> Figures {
    let s = period["statements"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["brandId"] == brand))
        .unwrap_or_else(|| panic!("no statement for {brand} in {period}"));
    let n = |k: &str| s[k].as_i64().unwrap_or(i64::MIN);
    (
        n("issuedPoints"),
        n("reversedPoints"),
        n("redeemedPoints"),
        n("prepaidPoints"),
        n("issuedValueMinor"),
        n("redeemedValueMinor"),
        n("prepaidValueMinor"),
        n("feesMinor"),
        n("netMinor"),
        n("lateEvents"),
    )
}

pub(crate) struct Coalition {
    pub(crate) id: String,
    pub(crate) operator: Gql,
}

/// A coalition with the prices of the hand computations: 1.0 cent issued, 0.8 cent redeemed,
/// 0.05 cent a point issued plus 1 % of the issue value in fees; points expire after two months
/// without activity. A and B postpaid (1 and 2 points per euro), C prepaid (1 point per euro).
pub(crate) async fn coalition(
    app: &TestApp,
    a: &TestBrand,
    b: &TestBrand,
    c: &TestBrand,
) -> Coalition {
    let admin = app.db_platform_admin().await;
    let ops = app.db_coalition_operator().await;
    let created = app
        .as_token(&admin.access_token)
        .query(CREATE, json!({ "i": { "name": "Quartier", "currency": "EUR", "timezone": "Europe/Paris", "operatorEmail": ops.email, "issuePricePer1000Minor": 1000, "redemptionValuePer1000Minor": 800, "feePer1000IssuedMinor": 50, "feeBasisPoints": 100, "pointsValidityMonths": 2 } }))
        .await;
    let id = created["data"]["createCoalition"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();
    let operator = app.as_token(&ops.access_token);
    for (brand, points, billing) in [(a, 1, "POSTPAID"), (b, 2, "POSTPAID"), (c, 1, "PREPAID")] {
        let r = operator
            .query(INVITE, json!({ "i": { "coalitionId": id, "brandSlug": brand.slug, "earnPoints": points, "earnPerAmountMinor": 100, "billing": billing } }))
            .await;
        assert!(r["errors"].is_null(), "{r}");
        let r = app
            .as_token(&brand.owner.access_token)
            .query(ACCEPT, json!({ "c": id }))
            .await;
        assert!(r["errors"].is_null(), "{r}");
    }
    Coalition { id, operator }
}

pub(crate) async fn join(
    app: &TestApp,
    brand: &TestBrand,
    coalition: &str,
    email: &str,
    first: &str,
    share: &[&str],
) -> String {
    let (member, _) = app
        .enroll(brand, json!({ "email": email, "firstName": first }))
        .await;
    let r = app
        .as_token(&brand.owner.access_token)
        .query(JOIN, json!({ "i": { "coalitionId": coalition, "memberId": member, "shareWithBrandIds": share } }))
        .await;
    r["data"]["joinCoalition"]["cardNumber"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_owned()
}

pub(crate) async fn earn(
    brand: &Gql,
    coalition: &str,
    card: &str,
    amount: i64,
    at: DateTime<Utc>,
) -> Value {
    let r = brand
        .query(EARN, json!({ "i": { "coalitionId": coalition, "cardNumber": card, "amountMinor": amount, "occurredAt": at.to_rfc3339() } }))
        .await;
    r["data"]["recordCoalitionPurchase"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn three_brands_settle_to_the_cent_and_each_role_sees_its_part() {
    let app = spawn_app().await;
    let (a, b, c) = (
        app.new_brand("ambre").await,
        app.new_brand("boreal").await,
        app.new_brand("cobalt").await,
    );
    let outsider = app.new_brand("dehors").await;
    let co = coalition(&app, &a, &b, &c).await;
    let (ga, gb, gc) = (
        app.as_token(&a.owner.access_token),
        app.as_token(&b.owner.access_token),
        app.as_token(&c.owner.access_token),
    );
    // M1 joins at A and shares their profile with C only; M2 joins at B and shares nothing.
    let m1 = join(&app, &a, &co.id, "m1@ambre.example", "Margot", &[&c.id]).await;
    let m2 = join(&app, &b, &co.id, "m2@boreal.example", "Noe", &[]).await;
    // Joining again gives the same card.
    let again = join_existing(&app, &a, &co.id, "m1@ambre.example").await;
    assert_eq!(again, m1);

    let (p3, p2, p1, p0) = (mid_month(3), mid_month(2), mid_month(1), mid_month(0));

    // C is prepaid and has no block yet: accrual is refused and nothing is booked.
    let refused = gc
        .query(EARN, json!({ "i": { "coalitionId": co.id, "cardNumber": m1, "amountMinor": 1000, "occurredAt": p2.to_rfc3339() } }))
        .await;
    assert_eq!(code_of(&refused), "LIMIT_EXCEEDED", "{refused}");
    let block = co
        .operator
        .query(BLOCK, json!({ "i": { "coalitionId": co.id, "brandId": c.id, "points": 5000, "reference": "PO-1", "idempotencyKey": "block-1" } }))
        .await;
    assert_eq!(
        block["data"]["addCoalitionPrepaidBlock"]["balance"], 5000,
        "{block}"
    );
    // Replayed: the same block, not a second one.
    let replay = co
        .operator
        .query(BLOCK, json!({ "i": { "coalitionId": co.id, "brandId": c.id, "points": 5000, "reference": "PO-1", "idempotencyKey": "block-1" } }))
        .await;
    assert_eq!(
        replay["data"]["addCoalitionPrepaidBlock"]["balance"], 5000,
        "{replay}"
    );
    // A postpaid brand buys no blocks.
    let postpaid = co
        .operator
        .query(
            BLOCK,
            json!({ "i": { "coalitionId": co.id, "brandId": a.id, "points": 10 } }),
        )
        .await;
    assert_eq!(field_of(&postpaid), "input.brandId", "{postpaid}");

    // Three months ago M2 earns 80 at B (2 points a euro) and never comes back.
    assert_eq!(earn(&gb, &co.id, &m2, 4_000, p3).await["points"], 80);
    // Two months ago M1 earns at A (123.45 -> 123, rounded down), B (50.00 -> 100), C (10).
    let at_a = earn(&ga, &co.id, &m1, 12_345, p2).await;
    assert_eq!(at_a["points"], 123, "{at_a}");
    assert_eq!(at_a["movement"]["period"], label(p2));
    let purchase_a = at_a["movement"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(earn(&gb, &co.id, &m1, 5_000, p2).await["points"], 100);
    let at_c = earn(&gc, &co.id, &m1, 1_000, p2).await;
    assert_eq!(
        (at_c["points"].as_i64(), at_c["balance"].as_i64()),
        (Some(10), Some(233))
    );
    // Bad input is typed and books nothing.
    let zero = json!({ "i": { "coalitionId": co.id, "cardNumber": m1, "amountMinor": 0 } });
    assert_eq!(field_of(&ga.query(EARN, zero).await), "input.amountMinor");
    let unknown =
        json!({ "i": { "coalitionId": co.id, "cardNumber": "8000", "amountMinor": 100 } });
    assert_eq!(field_of(&ga.query(EARN, unknown).await), "input.cardNumber");

    // Last month M1 spends 150 at C, and returns 50.00 of the 123.45 at A:
    // floor(123 x 5000 / 12345) = 49 points back from the card.
    let spent = gc
        .query(REDEEM, json!({ "i": { "coalitionId": co.id, "cardNumber": m1, "points": 150, "occurredAt": p1.to_rfc3339(), "idempotencyKey": "r-1" } }))
        .await;
    assert_eq!(
        spent["data"]["redeemCoalitionPoints"]["balance"], 83,
        "{spent}"
    );
    let spent_again = gc
        .query(REDEEM, json!({ "i": { "coalitionId": co.id, "cardNumber": m1, "points": 150, "occurredAt": p1.to_rfc3339(), "idempotencyKey": "r-1" } }))
        .await;
    assert_eq!(
        spent_again["data"]["redeemCoalitionPoints"]["movement"]["id"],
        spent["data"]["redeemCoalitionPoints"]["movement"]["id"]
    );
    assert_eq!(spent_again["data"]["redeemCoalitionPoints"]["balance"], 83);
    let too_much = gc
        .query(
            REDEEM,
            json!({ "i": { "coalitionId": co.id, "cardNumber": m1, "points": 84 } }),
        )
        .await;
    assert_eq!(code_of(&too_much), "INSUFFICIENT_BALANCE", "{too_much}");
    // Only A can take back A's purchase.
    let foreign = gb
        .query(
            RETURN,
            json!({ "i": { "coalitionId": co.id, "purchaseId": purchase_a, "amountMinor": 5000 } }),
        )
        .await;
    assert_eq!(code_of(&foreign), "NOT_FOUND", "{foreign}");
    let returned = ga
        .query(RETURN, json!({ "i": { "coalitionId": co.id, "purchaseId": purchase_a, "amountMinor": 5000, "occurredAt": p1.to_rfc3339() } }))
        .await;
    let r = &returned["data"]["recordCoalitionReturn"];
    assert_eq!(
        (r["points"].as_i64(), r["balance"].as_i64()),
        (Some(-49), Some(34)),
        "{returned}"
    );
    let over = ga
        .query(
            RETURN,
            json!({ "i": { "coalitionId": co.id, "purchaseId": purchase_a, "amountMinor": 7346 } }),
        )
        .await;
    assert_eq!(field_of(&over), "input.amountMinor", "{over}");

    // An outsider brand can neither use nor see the card.
    let stranger = app
        .as_token(&outsider.owner.access_token)
        .query(
            EARN,
            json!({ "i": { "coalitionId": co.id, "cardNumber": m1, "amountMinor": 1000 } }),
        )
        .await;
    assert_eq!(code_of(&stranger), "NOT_FOUND", "{stranger}");
    let stranger = app
        .as_token(&outsider.owner.access_token)
        .query(CARD, json!({ "c": co.id, "n": m1 }))
        .await;
    assert_eq!(code_of(&stranger), "NOT_FOUND", "{stranger}");

    // Expiry: M2 has had no activity for two months: the 80 points go to the operator,
    // dated when they expired (last month).
    let expired = fidelis::coalition::points::expire_due(&app.state.base.db, Utc::now())
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!((expired.accounts, expired.points), (1, 80));
    let none = fidelis::coalition::points::expire_due(&app.state.base.db, Utc::now())
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(none.accounts, 0);

    // Who sees what on a card.
    let card = |g: &Gql, n: &str| {
        let g = g.clone();
        let (c, n) = (co.id.clone(), n.to_owned());
        async move { g.query(CARD, json!({ "c": c, "n": n })).await["data"]["coalitionCard"].clone() }
    };
    let by_operator = card(&co.operator, &m1).await;
    assert!(
        by_operator["profile"].is_null(),
        "the operator never sees people: {by_operator}"
    );
    assert_eq!(by_operator["balance"], 34);
    assert_eq!(by_operator["movements"].as_array().map(Vec::len), Some(5));
    let by_c = card(&gc, &m1).await;
    assert_eq!(
        by_c["profile"]["firstName"], "Margot",
        "consented to C: {by_c}"
    );
    assert_eq!(
        by_c["movements"].as_array().map(Vec::len),
        Some(2),
        "C's own movements only: {by_c}"
    );
    let by_b = card(&gb, &m1).await;
    assert!(by_b["profile"].is_null(), "no consent for B: {by_b}");
    assert_eq!(by_b["movements"].as_array().map(Vec::len), Some(1));
    assert_eq!(by_b["balance"], 34);
    let home = card(&gb, &m2).await;
    assert_eq!(home["profile"]["firstName"], "Noe");
    assert_eq!(
        (
            home["balance"].as_i64(),
            home["movements"].as_array().map(Vec::len)
        ),
        (Some(0), Some(1))
    );
    let m2_by_a = card(&ga, &m2).await;
    assert!(m2_by_a["profile"].is_null());
    assert_eq!(m2_by_a["movements"].as_array().map(Vec::len), Some(0));

    // Closing: not before the month is over; not by another coalition's operator.
    let close = close_query();
    let current = co
        .operator
        .query(
            &close,
            json!({ "i": { "coalitionId": co.id, "period": label(p0) } }),
        )
        .await;
    assert_eq!(field_of(&current), "input.period", "{current}");
    fidelis::identity::sessions::create_unscoped_user(
        &app.state.base.db,
        "other@ops.example",
        PASSWORD,
        entity::user_account::Role::CoalitionOperator,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let other = app.login("other@ops.example", PASSWORD).await;
    let other = app.as_token(&other.access_token);
    let foreign = other
        .query(
            &close,
            json!({ "i": { "coalitionId": co.id, "period": label(p1) } }),
        )
        .await;
    assert_eq!(code_of(&foreign), "NOT_FOUND", "{foreign}");
    let foreign = other
        .query(&period_query(), json!({ "c": co.id, "p": label(p1) }))
        .await;
    assert_eq!(code_of(&foreign), "NOT_FOUND", "{foreign}");

    // Three months ago: B issued 80 -> value 80, fees round(4.0) + round(0.8) = 5, net -85.
    let closed3 = co
        .operator
        .query(
            &close,
            json!({ "i": { "coalitionId": co.id, "period": label(p3) } }),
        )
        .await["data"]["closeCoalitionPeriod"]
        .clone();
    assert_eq!(
        line_of(&closed3, &b.id),
        (80, 0, 0, 0, 80, 0, 0, 5, -85, 0),
        "{closed3}"
    );
    assert_eq!(line_of(&closed3, &a.id), (0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    assert_eq!(closed3["operatorNetMinor"], 85);

    // Two months ago, closed by two concurrent requests: one period, the same statements.
    // A: 123 -> 123, fees round(6.15) + round(1.23) = 7, net -130. B: 100, fees 5 + 1, net -106.
    // C (prepaid, billed by its block): issue value 0, fees round(0.5) + round(0.1) = 1, net -1.
    let vars = json!({ "i": { "coalitionId": co.id, "period": label(p2) } });
    let (x, y) = tokio::join!(
        co.operator.query(&close, vars.clone()),
        co.operator.query(&close, vars.clone())
    );
    let (x, y) = (
        &x["data"]["closeCoalitionPeriod"],
        &y["data"]["closeCoalitionPeriod"],
    );
    assert_eq!(x["statements"], y["statements"], "{x} {y}");
    assert_eq!(x["closedAt"], y["closedAt"]);
    assert_eq!(
        line_of(x, &a.id),
        (123, 0, 0, 0, 123, 0, 0, 7, -130, 0),
        "{x}"
    );
    assert_eq!(line_of(x, &b.id), (100, 0, 0, 0, 100, 0, 0, 6, -106, 0));
    assert_eq!(line_of(x, &c.id), (10, 0, 0, 0, 0, 0, 0, 1, -1, 0));
    assert_eq!(x["operatorNetMinor"], 237);

    // Last month: C redeemed 150 -> 120 (0.8 cent), A reversed 49 -> value -49,
    // fees -49 × 0.05 - 49 × 1 c × 1 % = -2.45 - 0.49 = -2.94, rounded once: -3 (rounding the
    // parts apart gave -2), net +52; 80 points of breakage.
    let closed1 = co
        .operator
        .query(
            &close,
            json!({ "i": { "coalitionId": co.id, "period": label(p1) } }),
        )
        .await["data"]["closeCoalitionPeriod"]
        .clone();
    assert_eq!(
        line_of(&closed1, &a.id),
        (0, 49, 0, 0, -49, 0, 0, -3, 52, 0),
        "{closed1}"
    );
    assert_eq!(
        line_of(&closed1, &c.id),
        (0, 0, 150, 0, 0, 120, 0, 0, 120, 0)
    );
    assert_eq!(closed1["operatorNetMinor"], -172);
    assert_eq!(closed1["breakagePoints"], 80);
    // Closing twice changes nothing.
    let twice = co
        .operator
        .query(
            &close,
            json!({ "i": { "coalitionId": co.id, "period": label(p1) } }),
        )
        .await["data"]["closeCoalitionPeriod"]
        .clone();
    assert_eq!(twice, closed1);

    // A late event: a purchase dated last month, recorded after it closed, counts this month.
    let late = earn(&ga, &co.id, &m1, 2_000, p1).await;
    assert_eq!(
        (
            late["movement"]["period"].as_str(),
            late["movement"]["late"].as_bool()
        ),
        (Some(label(p0).as_str()), Some(true)),
        "{late}"
    );
    let closed_again = co
        .operator
        .query(&period_query(), json!({ "c": co.id, "p": label(p1) }))
        .await["data"]["coalitionPeriod"]
        .clone();
    assert_eq!(closed_again, twice, "a closed period never changes");
    // This month (open): A's late 20 points -> value 20, fees 1 + 0, net -21, one late event;
    // C's 5000-point block -> 50.00.
    let open = co
        .operator
        .query(&period_query(), json!({ "c": co.id, "p": label(p0) }))
        .await["data"]["coalitionPeriod"]
        .clone();
    assert_eq!(open["closed"], false);
    assert_eq!(
        line_of(&open, &a.id),
        (20, 0, 0, 0, 20, 0, 0, 1, -21, 1),
        "{open}"
    );
    assert_eq!(
        line_of(&open, &c.id),
        (0, 0, 0, 5000, 0, 0, 5000, 0, -5000, 0)
    );

    // A brand reads its own statement only; the operator's side is hidden from it.
    let own = ga
        .query(&period_query(), json!({ "c": co.id, "p": label(p2) }))
        .await["data"]["coalitionPeriod"]
        .clone();
    assert_eq!(own["statements"].as_array().map(Vec::len), Some(1), "{own}");
    assert_eq!(own["statements"][0]["brandId"], a.id.as_str());
    assert!(own["operatorNetMinor"].is_null());
    // ...and the coalition-level flows: points issued and redeemed at each brand.
    let flows = &own["flows"];
    assert_eq!(flows.as_array().map(Vec::len), Some(3), "{own}");
    assert!(
        flows
            .as_array()
            .into_iter()
            .flatten()
            .any(|f| f["brandId"] == b.id.as_str() && f["issuedPoints"] == 100)
    );
    assert!(
        !own["csv"].as_str().unwrap_or_default().contains("boreal"),
        "{own}"
    );
    let outsider_view = app
        .as_token(&outsider.owner.access_token)
        .query(&period_query(), json!({ "c": co.id, "p": label(p2) }))
        .await;
    assert_eq!(code_of(&outsider_view), "NOT_FOUND");

    // CSV: a line per brand plus the operator's.
    let csv = x["csv"].as_str().unwrap_or_default();
    assert_eq!(csv.lines().count(), 1 + 3 + 1, "{csv}");
    assert!(
        csv.lines()
            .any(|l| l.contains(&a.id) && l.contains(",123,0,0,0,123,0,0,7,-130,0,EUR,true,")),
        "{csv}"
    );

    // A payment closes the loop: once only; the replay returns the same statement.
    let statement_b = x["statements"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["brandId"] == b.id.as_str()))
        .map(|s| s["id"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_default();
    let pay = format!(
        "mutation($i: CoalitionPaymentInput!) {{ recordCoalitionPayment(input: $i) {{ {PERIOD_FIELDS} }} }}"
    );
    let paid = co
        .operator
        .query(&pay, json!({ "i": { "statementId": statement_b, "reference": "SEPA-77", "idempotencyKey": "pay-b" } }))
        .await;
    let paid_line = paid["data"]["recordCoalitionPayment"]["statements"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["id"] == statement_b.as_str()))
        .cloned()
        .unwrap_or_else(|| panic!("{paid}"));
    assert_eq!(paid_line["paymentReference"], "SEPA-77");
    assert!(paid_line["paidAt"].is_string());
    let replayed = co
        .operator
        .query(&pay, json!({ "i": { "statementId": statement_b, "reference": "SEPA-77", "idempotencyKey": "pay-b" } }))
        .await;
    assert!(replayed["errors"].is_null(), "{replayed}");
    let twice = co
        .operator
        .query(
            &pay,
            json!({ "i": { "statementId": statement_b, "reference": "SEPA-78" } }),
        )
        .await;
    assert_eq!(code_of(&twice), "CONFLICT", "{twice}");
    let by_brand = gb
        .query(
            &pay,
            json!({ "i": { "statementId": statement_b, "reference": "x" } }),
        )
        .await;
    assert_eq!(code_of(&by_brand), "FORBIDDEN");

    // The ledger proves it all: balanced, balances cached right, closed statements equal to
    // their entries, positions summing to zero.
    let report = app.db_verify_ledger().await;
    assert!(report.is_sound(), "{report:?}");
    // 1 block + 4 earnings + 1 redemption + 1 reversal + 1 expiry + 1 late earning
    // + 3 settlements (one per closed period with positions) + 1 payment; the refused
    // accrual and the replays booked nothing.
    assert_eq!(report.coalition_transactions, 13, "{report:?}");
}

async fn join_existing(app: &TestApp, brand: &TestBrand, coalition: &str, email: &str) -> String {
    let found = app
        .as_token(&brand.owner.access_token)
        .query(
            "query($e: String!) { members(first: 5, search: $e) { edges { node { id } } } }",
            json!({ "e": email }),
        )
        .await;
    let member = found["data"]["members"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{found}"))
        .to_owned();
    let r = app
        .as_token(&brand.owner.access_token)
        .query(
            JOIN,
            json!({ "i": { "coalitionId": coalition, "memberId": member } }),
        )
        .await;
    r["data"]["joinCoalition"]["cardNumber"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_owned()
}

/// Two brands spend the same card at once (the balance covers one), and a purchase dated last
/// month races the close of last month: exactly one spend passes, and the purchase is settled
/// either in last month's statement or, late, in this month's — never lost, never both.
#[tokio::test(flavor = "multi_thread")]
async fn racing_spends_and_a_booking_racing_the_close_stay_consistent() {
    let app = spawn_app().await;
    let (a, b, c) = (
        app.new_brand("arc").await,
        app.new_brand("bal").await,
        app.new_brand("cap").await,
    );
    let co = coalition(&app, &a, &b, &c).await;
    let (ga, gb) = (
        app.as_token(&a.owner.access_token),
        app.as_token(&b.owner.access_token),
    );
    let card = join(&app, &a, &co.id, "race@arc.example", "R", &[]).await;
    let (p1, p0) = (mid_month(1), mid_month(0));
    assert_eq!(earn(&ga, &co.id, &card, 10_000, p0).await["points"], 100);
    for _ in 0..3 {
        let spend = |g: Gql| {
            let (co, card) = (co.id.clone(), card.clone());
            async move {
                g.query(
                    REDEEM,
                    json!({ "i": { "coalitionId": co, "cardNumber": card, "points": 60 } }),
                )
                .await
            }
        };
        let (x, y) = tokio::join!(spend(ga.clone()), spend(gb.clone()));
        let passed = [&x, &y].iter().filter(|r| r["errors"].is_null()).count();
        let refused: Vec<&str> = [&x, &y]
            .iter()
            .filter(|r| !r["errors"].is_null())
            .map(|r| code_of(r))
            .collect();
        assert_eq!(passed, 1, "{x} {y}");
        assert!(
            refused.iter().all(|c| *c == "INSUFFICIENT_BALANCE"),
            "{x} {y}"
        );
        // Put the card back to 100 for the next round.
        assert_eq!(earn(&ga, &co.id, &card, 6_000, p0).await["points"], 60);
    }
    let view = co
        .operator
        .query(CARD, json!({ "c": co.id, "n": card }))
        .await;
    assert_eq!(view["data"]["coalitionCard"]["balance"], 100, "{view}");

    // A purchase dated last month racing the close of last month.
    let close = close_query();
    let vars = json!({ "i": { "coalitionId": co.id, "period": label(p1) } });
    let (closed, booked) = tokio::join!(
        co.operator.query(&close, vars.clone()),
        earn(&gb, &co.id, &card, 1_000, p1)
    );
    assert_eq!(booked["points"], 20, "{booked}");
    let closed = &closed["data"]["closeCoalitionPeriod"];
    let in_closed = closed["statements"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["brandId"] == b.id.as_str()))
        .map_or(0, |s| s["issuedPoints"].as_i64().unwrap_or(0));
    let open = co
        .operator
        .query(&period_query(), json!({ "c": co.id, "p": label(p0) }))
        .await["data"]["coalitionPeriod"]
        .clone();
    let in_open = open["statements"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["brandId"] == b.id.as_str()))
        .map_or(0, |s| s["issuedPoints"].as_i64().unwrap_or(0));
    let late = booked["movement"]["late"].as_bool() == Some(true);
    assert_eq!(
        (in_closed, in_open),
        if late { (0, 20) } else { (20, 0) },
        "{booked}"
    );
    let report = app.db_verify_ledger().await;
    assert!(report.is_sound(), "{report:?}");
}

/// A member sees their own coalition card with every movement, and chooses which brands may
/// see their profile; a brand's view follows the choice at once.
#[tokio::test(flavor = "multi_thread")]
async fn a_member_sees_their_card_and_chooses_who_sees_them() {
    let app = spawn_app().await;
    let (a, b, c) = (
        app.new_brand("amont").await,
        app.new_brand("berge").await,
        app.new_brand("crique").await,
    );
    let co = coalition(&app, &a, &b, &c).await;
    let token = app.member_token(&a).await;
    let me = app.as_token(&token);
    let member = me.query("{ me { id } }", json!({})).await["data"]["me"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let joined = app
        .as_token(&a.owner.access_token)
        .query(
            JOIN,
            json!({ "i": { "coalitionId": co.id, "memberId": member } }),
        )
        .await;
    let card = joined["data"]["joinCoalition"]["cardNumber"]
        .as_str()
        .unwrap_or_else(|| panic!("{joined}"))
        .to_owned();
    earn(
        &app.as_token(&b.owner.access_token),
        &co.id,
        &card,
        1_000,
        mid_month(0),
    )
    .await;
    let mine = me
        .query("{ myCoalitionCards { cardNumber balance expiresAt profile { email } movements { kind brandId points } } }", json!({}))
        .await;
    let cards = &mine["data"]["myCoalitionCards"];
    assert_eq!(cards.as_array().map(Vec::len), Some(1), "{mine}");
    assert_eq!(
        (
            cards[0]["cardNumber"].as_str(),
            cards[0]["balance"].as_i64()
        ),
        (Some(card.as_str()), Some(20))
    );
    assert!(cards[0]["expiresAt"].is_string());
    assert_eq!(
        cards[0]["movements"][0]["brandId"],
        b.id.as_str(),
        "the member sees B's movement: {mine}"
    );

    let gb = app.as_token(&b.owner.access_token);
    let before = gb.query(CARD, json!({ "c": co.id, "n": card })).await;
    assert!(
        before["data"]["coalitionCard"]["profile"].is_null(),
        "{before}"
    );
    let share = "mutation($c: ID!, $b: [ID!]!) { updateMyCoalitionSharing(coalitionId: $c, shareWithBrandIds: $b) { cardNumber } }";
    let r = me.query(share, json!({ "c": co.id, "b": [b.id] })).await;
    assert!(r["errors"].is_null(), "{r}");
    let after = gb.query(CARD, json!({ "c": co.id, "n": card })).await;
    assert!(
        after["data"]["coalitionCard"]["profile"]["email"].is_string(),
        "{after}"
    );
    // Withdrawn: hidden again. A brand outside the coalition cannot be named.
    me.query(share, json!({ "c": co.id, "b": [] })).await;
    let again = gb.query(CARD, json!({ "c": co.id, "n": card })).await;
    assert!(
        again["data"]["coalitionCard"]["profile"].is_null(),
        "{again}"
    );
    let outsider = app.new_brand("ailleurs").await;
    let bad = me
        .query(share, json!({ "c": co.id, "b": [outsider.id] }))
        .await;
    assert_eq!(field_of(&bad), "shareWithBrandIds", "{bad}");
}
