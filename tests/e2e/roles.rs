//! The role matrix, over the whole schema: every root field is classified here (a new field
//! without a line fails the test), and every field refuses every caller whose role is not listed
//! (UNAUTHENTICATED without a token, FORBIDDEN otherwise).

use std::collections::{BTreeMap, HashMap};

use fidelis_tests::{TestApp, code_of, spawn_app};
use serde_json::{Value, json};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Access {
    /// Anyone, without a token (sign-up, login, mailed-link operations).
    Public,
    /// Any authenticated caller.
    Authenticated,
    /// Only these roles.
    Roles(&'static [&'static str]),
}

const OWNER: &[&str] = &["BRAND_OWNER"];
const OWNER_MANAGER: &[&str] = &["BRAND_OWNER", "BRAND_MANAGER"];
const ADMIN: &[&str] = &["PLATFORM_ADMIN"];
const BRAND_PEOPLE_AND_APPS: &[&str] =
    &["BRAND_OWNER", "BRAND_MANAGER", "BRAND_STAFF", "PARTNER_APP"];
const PROGRAM_READERS: &[&str] = &[
    "BRAND_OWNER",
    "BRAND_MANAGER",
    "BRAND_STAFF",
    "PARTNER_APP",
    "MEMBER",
];

fn matrix() -> BTreeMap<&'static str, Access> {
    use Access::*;
    BTreeMap::from([
        ("Query.viewer", Authenticated),
        ("Query.brands", Roles(ADMIN)),
        ("Query.brand", Roles(ADMIN)),
        ("Query.users", Roles(OWNER_MANAGER)),
        ("Query.user", Roles(OWNER_MANAGER)),
        ("Query.invitations", Roles(OWNER_MANAGER)),
        ("Query.apiKeys", Roles(OWNER)),
        ("Query.programs", Roles(PROGRAM_READERS)),
        ("Query.program", Roles(PROGRAM_READERS)),
        ("Query.previewEarning", Roles(PROGRAM_READERS)),
        ("Query.brandStatistics", Roles(OWNER_MANAGER)),
        ("Mutation.updateBrandSettings", Roles(OWNER)),
        ("Query.members", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Query.member", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Query.cardByNumber", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Query.purchase", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Mutation.createProgram", Roles(OWNER_MANAGER)),
        ("Mutation.updateProgramRules", Roles(OWNER_MANAGER)),
        ("Mutation.enrollMember", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Mutation.updateMember", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Mutation.setMemberHousehold", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Mutation.blockCard", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Mutation.unblockCard", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Mutation.reportCardLost", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Mutation.replaceCard", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Mutation.recordPurchase", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Mutation.recordReturn", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Query.previewCheckout", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Query.offers", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Query.offer", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Mutation.createOffer", Roles(OWNER_MANAGER)),
        ("Mutation.updateOffer", Roles(OWNER_MANAGER)),
        ("Mutation.setOfferStatus", Roles(OWNER_MANAGER)),
        ("Query.refundClaims", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Query.myRefundClaims", Roles(&["MEMBER"])),
        ("Query.currentOffers", Roles(&["MEMBER"])),
        ("Mutation.submitRefundClaim", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Mutation.submitMyRefundClaim", Roles(&["MEMBER"])),
        ("Mutation.reviewRefundClaim", Roles(OWNER_MANAGER)),
        ("Mutation.payRefundClaim", Roles(OWNER_MANAGER)),
        ("Mutation.settleOfferDebt", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Query.scoring", Roles(OWNER_MANAGER)),
        ("Query.segmentMovements", Roles(OWNER_MANAGER)),
        ("Query.kpis", Roles(OWNER_MANAGER)),
        ("Query.objectives", Roles(OWNER_MANAGER)),
        ("Mutation.createObjective", Roles(OWNER_MANAGER)),
        ("Mutation.deleteObjective", Roles(OWNER_MANAGER)),
        ("Mutation.updateScoring", Roles(OWNER_MANAGER)),
        ("Mutation.runScoring", Roles(OWNER_MANAGER)),
        ("Query.contests", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Query.contest", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Query.contestEntries", Roles(OWNER_MANAGER)),
        ("Query.currentContests", Roles(&["MEMBER"])),
        ("Query.myContestEntries", Roles(&["MEMBER"])),
        ("Query.myContestWins", Roles(&["MEMBER"])),
        ("Mutation.createContest", Roles(OWNER_MANAGER)),
        ("Mutation.updateContest", Roles(OWNER_MANAGER)),
        ("Mutation.publishContestRules", Roles(OWNER_MANAGER)),
        ("Mutation.cancelContest", Roles(OWNER_MANAGER)),
        ("Mutation.drawContest", Roles(OWNER_MANAGER)),
        ("Mutation.enterContest", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Mutation.enterMyContest", Roles(&["MEMBER"])),
        ("Mutation.claimContestPrize", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Mutation.claimMyContestPrize", Roles(&["MEMBER"])),
        ("Query.referralPolicy", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Query.referrals", Roles(OWNER_MANAGER)),
        ("Query.referralFigures", Roles(OWNER_MANAGER)),
        ("Query.memberReferralCode", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Query.myReferral", Roles(&["MEMBER"])),
        ("Mutation.setReferralPolicy", Roles(OWNER_MANAGER)),
        ("Mutation.applyReferralCode", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Mutation.applyMyReferralCode", Roles(&["MEMBER"])),
        ("Query.clubs", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Query.club", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Query.clubMembers", Roles(OWNER_MANAGER)),
        ("Query.clubFigures", Roles(OWNER_MANAGER)),
        ("Query.clubOtherBrandsMembers", Roles(OWNER_MANAGER)),
        ("Query.coalitionClubs", Roles(&["COALITION_OPERATOR"])),
        (
            "Mutation.createCoalitionClub",
            Roles(&["COALITION_OPERATOR"]),
        ),
        (
            "Mutation.updateCoalitionClub",
            Roles(&["COALITION_OPERATOR"]),
        ),
        (
            "Mutation.archiveCoalitionClub",
            Roles(&["COALITION_OPERATOR"]),
        ),
        ("Query.memberClubs", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Query.myClubs", Roles(&["MEMBER"])),
        ("Mutation.createClub", Roles(OWNER_MANAGER)),
        ("Mutation.updateClub", Roles(OWNER_MANAGER)),
        ("Mutation.archiveClub", Roles(OWNER_MANAGER)),
        ("Mutation.inviteToClub", Roles(OWNER_MANAGER)),
        ("Mutation.joinClub", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Mutation.leaveClub", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Mutation.joinMyClub", Roles(&["MEMBER"])),
        ("Mutation.leaveMyClub", Roles(&["MEMBER"])),
        ("Query.events", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Query.event", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Query.eventGuests", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Query.eventFigures", Roles(OWNER_MANAGER)),
        ("Query.myEvents", Roles(&["MEMBER"])),
        ("Mutation.createEvent", Roles(OWNER_MANAGER)),
        ("Mutation.updateEvent", Roles(OWNER_MANAGER)),
        ("Mutation.cancelEvent", Roles(OWNER_MANAGER)),
        ("Mutation.inviteToEvent", Roles(OWNER_MANAGER)),
        ("Mutation.respondToEvent", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Mutation.respondToMyEvent", Roles(&["MEMBER"])),
        ("Mutation.checkInToEvent", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Query.voucher", Roles(BRAND_PEOPLE_AND_APPS)),
        (
            "Mutation.convertPointsToVoucher",
            Roles(BRAND_PEOPLE_AND_APPS),
        ),
        ("Mutation.redeemVoucher", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Mutation.issueVoucher", Roles(OWNER_MANAGER)),
        ("Mutation.createReward", Roles(OWNER_MANAGER)),
        ("Mutation.updateReward", Roles(OWNER_MANAGER)),
        ("Mutation.redeemReward", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Query.rewards", Roles(PROGRAM_READERS)),
        ("Mutation.topUpStoredValue", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Mutation.refundStoredValue", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Mutation.payMembership", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Mutation.cancelMembership", Roles(BRAND_PEOPLE_AND_APPS)),
        ("Query.gestures", Roles(OWNER_MANAGER)),
        ("Query.gesturePolicy", Roles(OWNER_MANAGER)),
        ("Mutation.setGesturePolicy", Roles(OWNER_MANAGER)),
        (
            "Mutation.grantGesture",
            Roles(&["BRAND_OWNER", "BRAND_MANAGER", "BRAND_STAFF"]),
        ),
        ("Mutation.createCoalition", Roles(&["PLATFORM_ADMIN"])),
        (
            "Mutation.inviteBrandToCoalition",
            Roles(&["COALITION_OPERATOR"]),
        ),
        (
            "Mutation.respondToCoalitionInvitation",
            Roles(&["BRAND_OWNER"]),
        ),
        ("Mutation.leaveCoalition", Roles(&["BRAND_OWNER"])),
        (
            "Mutation.setCoalitionReferrals",
            Roles(&["COALITION_OPERATOR"]),
        ),
        (
            "Query.coalitions",
            Roles(&[
                "PLATFORM_ADMIN",
                "COALITION_OPERATOR",
                "BRAND_OWNER",
                "BRAND_MANAGER",
            ]),
        ),
        (
            "Query.coalition",
            Roles(&[
                "PLATFORM_ADMIN",
                "COALITION_OPERATOR",
                "BRAND_OWNER",
                "BRAND_MANAGER",
            ]),
        ),
        (
            "Query.coalitionPeriod",
            Roles(&[
                "PLATFORM_ADMIN",
                "COALITION_OPERATOR",
                "BRAND_OWNER",
                "BRAND_MANAGER",
            ]),
        ),
        (
            "Query.coalitionCard",
            Roles(&[
                "COALITION_OPERATOR",
                "BRAND_OWNER",
                "BRAND_MANAGER",
                "BRAND_STAFF",
                "PARTNER_APP",
            ]),
        ),
        ("Mutation.joinCoalition", Roles(BRAND_PEOPLE_AND_APPS)),
        (
            "Mutation.updateCoalitionSharing",
            Roles(BRAND_PEOPLE_AND_APPS),
        ),
        (
            "Mutation.recordCoalitionPurchase",
            Roles(BRAND_PEOPLE_AND_APPS),
        ),
        (
            "Mutation.recordCoalitionReturn",
            Roles(BRAND_PEOPLE_AND_APPS),
        ),
        (
            "Mutation.redeemCoalitionPoints",
            Roles(BRAND_PEOPLE_AND_APPS),
        ),
        (
            "Mutation.addCoalitionPrepaidBlock",
            Roles(&["COALITION_OPERATOR"]),
        ),
        (
            "Mutation.closeCoalitionPeriod",
            Roles(&["COALITION_OPERATOR"]),
        ),
        (
            "Mutation.recordCoalitionPayment",
            Roles(&["COALITION_OPERATOR"]),
        ),
        ("Query.mailSettings", Roles(OWNER_MANAGER)),
        ("Query.emailTemplates", Roles(OWNER_MANAGER)),
        ("Query.emailTemplate", Roles(OWNER_MANAGER)),
        ("Query.emailTemplateVariables", Roles(OWNER_MANAGER)),
        ("Query.previewEmailTemplate", Roles(OWNER_MANAGER)),
        ("Query.segments", Roles(OWNER_MANAGER)),
        ("Query.suppressions", Roles(OWNER_MANAGER)),
        ("Query.audiencePreview", Roles(OWNER_MANAGER)),
        ("Mutation.updateMailSettings", Roles(OWNER_MANAGER)),
        ("Mutation.createEmailTemplate", Roles(OWNER_MANAGER)),
        ("Mutation.updateEmailTemplate", Roles(OWNER_MANAGER)),
        ("Mutation.saveSegment", Roles(OWNER_MANAGER)),
        ("Mutation.suppressEmail", Roles(OWNER_MANAGER)),
        ("Query.campaigns", Roles(OWNER_MANAGER)),
        ("Mutation.setDkimKey", Roles(OWNER_MANAGER)),
        ("Mutation.removeDkimKey", Roles(OWNER_MANAGER)),
        ("Query.exportMemberData", Roles(OWNER_MANAGER)),
        ("Mutation.eraseMember", Roles(OWNER_MANAGER)),
        ("Query.myData", Roles(&["MEMBER"])),
        ("Mutation.eraseMyData", Roles(&["MEMBER"])),
        ("Query.defaultEmailTemplate", Roles(OWNER_MANAGER)),
        ("Query.campaign", Roles(OWNER_MANAGER)),
        ("Mutation.createCampaign", Roles(OWNER_MANAGER)),
        ("Mutation.scheduleCampaign", Roles(OWNER_MANAGER)),
        ("Mutation.sendCampaign", Roles(OWNER_MANAGER)),
        ("Mutation.pauseCampaign", Roles(OWNER_MANAGER)),
        ("Mutation.resumeCampaign", Roles(OWNER_MANAGER)),
        ("Mutation.cancelCampaign", Roles(OWNER_MANAGER)),
        ("Mutation.memberSignUp", Public),
        ("Mutation.memberLogin", Public),
        ("Mutation.requestMemberAccess", Public),
        ("Mutation.setMemberPassword", Public),
        ("Query.me", Roles(&["MEMBER"])),
        ("Query.myCoalitionCards", Roles(&["MEMBER"])),
        ("Mutation.updateMyCoalitionSharing", Roles(&["MEMBER"])),
        ("Mutation.updateMyProfile", Roles(&["MEMBER"])),
        ("Mutation.redeemMyReward", Roles(&["MEMBER"])),
        ("Mutation.convertMyPoints", Roles(&["MEMBER"])),
        ("Mutation.cancelMyMembership", Roles(&["MEMBER"])),
        ("Mutation.signUpBrand", Public),
        ("Mutation.login", Public),
        ("Mutation.refreshToken", Public),
        ("Mutation.logout", Public),
        ("Mutation.verifyEmail", Public),
        ("Mutation.resendVerificationEmail", Public),
        ("Mutation.requestPasswordReset", Public),
        ("Mutation.resetPassword", Public),
        ("Mutation.acceptInvitation", Public),
        ("Mutation.suspendBrand", Roles(ADMIN)),
        ("Mutation.reactivateBrand", Roles(ADMIN)),
        ("Mutation.inviteUser", Roles(OWNER)),
        ("Mutation.revokeInvitation", Roles(OWNER)),
        ("Mutation.changeUserRole", Roles(OWNER)),
        ("Mutation.deactivateUser", Roles(OWNER)),
        ("Mutation.reactivateUser", Roles(OWNER)),
        ("Mutation.createApiKey", Roles(OWNER)),
        ("Mutation.revokeApiKey", Roles(OWNER)),
    ])
}

const INTROSPECTION: &str = r"
{ __schema { types { name kind
    fields { name args { name type { ...T } } type { ...T } }
    inputFields { name type { ...T } }
    enumValues { name } } } }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }";

struct Schema {
    types: HashMap<String, Value>,
}

impl Schema {
    fn named(t: &Value) -> &Value {
        let mut t = t;
        while t["ofType"].is_object() {
            t = &t["ofType"];
        }
        t
    }

    /// A literal of the type, valid enough to reach the resolver.
    fn dummy(&self, t: &Value) -> String {
        match t["kind"].as_str() {
            Some("NON_NULL") => self.dummy(&t["ofType"]),
            Some("LIST") => format!("[{}]", self.dummy(&t["ofType"])),
            _ => {
                let name = t["name"].as_str().unwrap_or_default();
                let def = &self.types[name];
                match def["kind"].as_str() {
                    Some("ENUM") => def["enumValues"][0]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    Some("INPUT_OBJECT") => {
                        let fields: Vec<String> = def["inputFields"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter(|f| f["type"]["kind"] == "NON_NULL")
                            .map(|f| {
                                format!(
                                    "{}: {}",
                                    f["name"].as_str().unwrap_or_default(),
                                    self.dummy(&f["type"])
                                )
                            })
                            .collect();
                        format!("{{ {} }}", fields.join(", "))
                    }
                    _ => match name {
                        "Int" => "1".to_owned(),
                        "Float" => "1.0".to_owned(),
                        "Boolean" => "false".to_owned(),
                        "ID" => format!("\"{}\"", uuid::Uuid::now_v7()),
                        "DateTime" => "\"2026-01-01T00:00:00Z\"".to_owned(),
                        "NaiveDateTime" => "\"2026-01-01T00:00:00\"".to_owned(),
                        "NaiveDate" => "\"2026-01-01\"".to_owned(),
                        _ => "\"x\"".to_owned(),
                    },
                }
            }
        }
    }

    /// `field(arg: value, ...) { __typename }` with every required argument.
    fn call(&self, field: &Value) -> String {
        let args: Vec<String> = field["args"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|a| a["type"]["kind"] == "NON_NULL")
            .map(|a| {
                format!(
                    "{}: {}",
                    a["name"].as_str().unwrap_or_default(),
                    self.dummy(&a["type"])
                )
            })
            .collect();
        let name = field["name"].as_str().unwrap_or_default();
        let args = if args.is_empty() {
            String::new()
        } else {
            format!("({})", args.join(", "))
        };
        let returned = Self::named(&field["type"]);
        let kind = self.types[returned["name"].as_str().unwrap_or_default()]["kind"]
            .as_str()
            .unwrap_or_default();
        let selection = if matches!(kind, "OBJECT" | "INTERFACE" | "UNION") {
            " { __typename }"
        } else {
            ""
        };
        format!("{name}{args}{selection}")
    }
}

async fn principals(app: &TestApp) -> Vec<(&'static str, Option<String>)> {
    let brand = app.new_brand("matrix").await;
    let manager = app
        .invite(&brand, "manager@matrix.example", "BRAND_MANAGER")
        .await;
    let staff = app
        .invite(&brand, "staff@matrix.example", "BRAND_STAFF")
        .await;
    let all_scopes = [
        "MEMBERS_READ",
        "MEMBERS_WRITE",
        "PURCHASES_WRITE",
        "REWARDS_REDEEM",
        "OFFERS_READ",
    ];
    vec![
        ("ANONYMOUS", None),
        (
            "PLATFORM_ADMIN",
            Some(app.db_platform_admin().await.access_token),
        ),
        ("BRAND_OWNER", Some(brand.owner.access_token.clone())),
        ("BRAND_MANAGER", Some(manager.access_token)),
        ("BRAND_STAFF", Some(staff.access_token)),
        (
            "PARTNER_APP",
            Some(app.partner_token(&brand, &all_scopes).await),
        ),
        (
            "COALITION_OPERATOR",
            Some(app.db_coalition_operator().await.access_token),
        ),
        ("MEMBER", Some(app.member_token(&brand).await)),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn every_root_field_refuses_every_caller_without_its_role() {
    let app = spawn_app().await;
    let introspection = app.anonymous().query(INTROSPECTION, json!({})).await;
    let types: HashMap<String, Value> = introspection["data"]["__schema"]["types"]
        .as_array()
        .unwrap_or_else(|| panic!("no introspection: {introspection}"))
        .iter()
        .map(|t| (t["name"].as_str().unwrap_or_default().to_owned(), t.clone()))
        .collect();
    let schema = Schema { types };
    let matrix = matrix();
    let principals = principals(&app).await;

    let mut seen = Vec::new();
    for (root, keyword) in [("Query", "query"), ("Mutation", "mutation")] {
        for field in schema.types[root]["fields"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let key = format!("{root}.{}", field["name"].as_str().unwrap_or_default());
            let access = *matrix
                .get(key.as_str())
                .unwrap_or_else(|| panic!("{key} is not in the role matrix"));
            seen.push(key.clone());
            let document = format!("{keyword} {{ {} }}", schema.call(field));
            for (role, token) in &principals {
                let client = match token {
                    Some(t) => app.as_token(t),
                    None => app.anonymous(),
                };
                let resp = client.query(&document, json!({})).await;
                let code = code_of(&resp);
                let allowed = match access {
                    Access::Public => true,
                    Access::Authenticated => *role != "ANONYMOUS",
                    Access::Roles(roles) => roles.contains(role),
                };
                if !allowed {
                    let expected = if *role == "ANONYMOUS" {
                        "UNAUTHENTICATED"
                    } else {
                        "FORBIDDEN"
                    };
                    assert_eq!(code, expected, "{role} reached {key}: {document} -> {resp}");
                    assert!(resp["data"].is_null(), "{role} got data from {key}: {resp}");
                } else if access != Access::Public {
                    assert!(
                        !matches!(
                            code,
                            "UNAUTHENTICATED" | "FORBIDDEN" | "BAD_REQUEST" | "INTERNAL"
                        ),
                        "{role} was refused {key}: {document} -> {resp}"
                    );
                }
            }
        }
    }
    let stale: Vec<_> = matrix
        .keys()
        .filter(|k| !seen.iter().any(|s| s == *k))
        .collect();
    assert!(
        stale.is_empty(),
        "the matrix names fields the schema does not have: {stale:?}"
    );
}
