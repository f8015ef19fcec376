//! Forms that run one API mutation and go back to the page they came from: `POST
//! /app/act/{name}` (brand portal) and `POST /m/{slug}/act/{name}` (a member space). Each action
//! is a row of [`STAFF`] or [`MEMBER`]: the mutation, how the form's fields become its
//! variables, and what the person reads when it is done.
//!
//! Invariants: the same CSRF and same-origin checks as every form; a field that does not parse
//! is refused here by name and nothing is called; the API decides everything else (roles,
//! limits, tenancy) and its refusal is shown with a way back; the page returned to is one of
//! the portal's own (never another site).

use std::{net::SocketAddr, sync::Arc};

use axum::{
    body::Bytes,
    extract::{ConnectInfo, Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use minijinja::context;
use serde_json::{Value, json};

use super::{
    Portal,
    auth::{form_ok, refused},
    dashboard::failed,
    render::see_other,
    session::Visitor,
};
use crate::core::i18n::Lang;

/// A posted form's fields, read in the brand's currency and calendar (taken from the signed-in
/// person's brand on the server, never from the form).
pub(super) struct Fields {
    pairs: Vec<(String, String)>,
    brand: Option<(crate::core::types::Currency, chrono_tz::Tz)>,
}

/// Labels are given in both languages: a refusal names the field as the page shows it.
type Label = (&'static str, &'static str);

impl Fields {
    pub fn parse(body: &[u8]) -> Self {
        Self {
            pairs: form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
            brand: None,
        }
    }

    /// The fields of a query string read as a map (GET forms).
    pub fn of_query(q: &std::collections::HashMap<String, String>) -> Self {
        Self {
            pairs: q.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            brand: None,
        }
    }

    /// Reads amounts in `viewer`'s brand currency and dates in its time zone.
    pub fn for_viewer(mut self, viewer: &Value) -> Self {
        let brand = &viewer["brand"];
        let currency = brand["currency"]
            .as_str()
            .and_then(|c| crate::core::types::Currency::parse("currency", c).ok());
        let tz = brand["timezone"]
            .as_str()
            .and_then(|t| t.parse::<chrono_tz::Tz>().ok());
        self.brand = currency.zip(tz);
        self
    }

    /// The field's value, trimmed ("" when absent).
    pub fn text(&self, key: &str) -> String {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    }

    /// The field's value, or `None` when absent or blank.
    pub fn opt(&self, key: &str) -> Option<String> {
        Some(self.text(key)).filter(|v| !v.is_empty())
    }

    /// Every value of a repeated field (checkboxes).
    pub fn all(&self, key: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    }

    /// A checkbox: ticked or not.
    pub fn checked(&self, key: &str) -> bool {
        self.pairs.iter().any(|(k, v)| k == key && !v.is_empty())
    }

    /// A whole number that fits the API's (32-bit) Int.
    pub fn int(&self, key: &str, label: Label, lang: Lang) -> Result<i64, String> {
        self.opt_int(key, label, lang)?
            .ok_or_else(|| whole_number(label, lang))
    }

    /// A whole number, or `None` when blank.
    pub fn opt_int(&self, key: &str, label: Label, lang: Lang) -> Result<Option<i64>, String> {
        match self.opt(key) {
            None => Ok(None),
            Some(raw) => raw
                .replace([' ', '\u{a0}', '\u{202f}'], "")
                .parse::<i32>()
                .map(|n| Some(i64::from(n)))
                .map_err(|_| whole_number(label, lang)),
        }
    }

    /// An amount typed in the currency's main unit (`12,50` or `12.50`), in minor units, for a
    /// currency with `decimals` digits after the point. No floats: the digits are read as text.
    pub fn amount(
        &self,
        key: &str,
        decimals: u32,
        label: Label,
        lang: Lang,
    ) -> Result<Option<i64>, String> {
        let Some(raw) = self.opt(key) else {
            return Ok(None);
        };
        parse_amount(&raw, decimals)
            .filter(|m| i32::try_from(*m).is_ok())
            .map(Some)
            .ok_or_else(|| match lang {
                Lang::Fr => format!("{} : un montant est attendu (par exemple 12,50).", label.0),
                Lang::En => format!("{}: an amount is expected (for example 12.50).", label.1),
            })
    }

    /// An amount in the brand's currency, in minor units; `None` when blank.
    pub fn money(&self, key: &str, label: Label, lang: Lang) -> Result<Option<i64>, String> {
        let Some((currency, _)) = self.brand else {
            return Err(lang
                .pick(
                    "Montant : seule une enseigne saisit des montants.",
                    "Amount: only a brand types amounts.",
                )
                .to_owned());
        };
        self.amount(key, u32::from(currency.minor_units()), label, lang)
    }

    /// A date and time typed in a `datetime-local` field (`2026-12-01T10:00`), as the API's
    /// NaiveDateTime (seconds added).
    pub fn local_time(&self, key: &str, label: Label, lang: Lang) -> Result<String, String> {
        let raw = self.text(key);
        let with_seconds = if raw.len() == 16 {
            format!("{raw}:00")
        } else {
            raw
        };
        chrono::NaiveDateTime::parse_from_str(&with_seconds, "%Y-%m-%dT%H:%M:%S")
            .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())
            .map_err(|_| match lang {
                Lang::Fr => format!("{} : une date et une heure sont attendues.", label.0),
                Lang::En => format!("{}: a date and a time are expected.", label.1),
            })
    }

    /// A date and time typed in a `datetime-local` field, read in the brand's time zone, as an
    /// instant (RFC 3339, UTC). A time that does not exist locally (a DST gap) is refused.
    pub fn instant(&self, key: &str, label: Label, lang: Lang) -> Result<String, String> {
        use chrono::TimeZone;
        let naive = self.local_time(key, label, lang)?;
        let tz = self.brand.map_or(chrono_tz::UTC, |(_, tz)| tz);
        chrono::NaiveDateTime::parse_from_str(&naive, "%Y-%m-%dT%H:%M:%S")
            .ok()
            .and_then(|t| tz.from_local_datetime(&t).earliest())
            .map(|at| at.with_timezone(&chrono::Utc).to_rfc3339())
            .ok_or_else(|| match lang {
                Lang::Fr => format!("{} : cette heure n'existe pas ce jour-là.", label.0),
                Lang::En => format!("{}: that time does not exist on that day.", label.1),
            })
    }

    /// The fields whose names start with `prefix`, the prefix taken off, in form order.
    pub fn prefixed(&self, prefix: &str) -> Vec<(String, String)> {
        self.pairs
            .iter()
            .filter_map(|(k, v)| {
                k.strip_prefix(prefix)
                    .map(|rest| (rest.to_owned(), v.trim().to_owned()))
            })
            .collect()
    }

    /// A date typed in a `date` field, as the instant its day starts in the brand's calendar,
    /// or (`end`) the last second of that day.
    pub fn day(&self, key: &str, end: bool, label: Label, lang: Lang) -> Result<String, String> {
        let refused = || match lang {
            Lang::Fr => format!("{} : une date est attendue.", label.0),
            Lang::En => format!("{}: a date is expected.", label.1),
        };
        let date = chrono::NaiveDate::parse_from_str(&self.text(key), "%Y-%m-%d")
            .map_err(|_| refused())?;
        let tz = self.brand.map_or(chrono_tz::UTC, |(_, tz)| tz);
        let start_of = |d: chrono::NaiveDate| {
            use chrono::TimeZone as _;
            // The first valid local time of the day (a DST gap at midnight moves it on).
            (0..3).find_map(|h| tz.from_local_datetime(&d.and_hms_opt(h, 0, 0)?).earliest())
        };
        let at = if end {
            date.succ_opt()
                .and_then(start_of)
                .map(|t| t - chrono::Duration::seconds(1))
        } else {
            start_of(date)
        };
        at.map(|t| t.with_timezone(&chrono::Utc).to_rfc3339())
            .ok_or_else(refused)
    }
}

fn whole_number(label: Label, lang: Lang) -> String {
    match lang {
        Lang::Fr => format!(
            "{} : un nombre entier (jusqu'à 2 147 483 647) est attendu.",
            label.0
        ),
        Lang::En => format!(
            "{}: a whole number (up to 2,147,483,647) is expected.",
            label.1
        ),
    }
}

/// `12,5` → 1250 for two decimals; `-`, more decimals than the currency has, or anything but
/// digits and one separator → `None`.
pub(super) fn parse_amount(raw: &str, decimals: u32) -> Option<i64> {
    let raw = raw.replace([' ', '\u{a0}', '\u{202f}'], "");
    let (units, fraction) = match raw.split_once([',', '.']) {
        Some((u, f)) => (u, f),
        None => (raw.as_str(), ""),
    };
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if !digits(units) || (!fraction.is_empty() && !digits(fraction)) {
        return None;
    }
    if fraction.len() > decimals as usize {
        return None;
    }
    let scale = 10_i64.checked_pow(decimals)?;
    let units: i64 = units.parse().ok()?;
    let mut frac: i64 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().ok()?
    };
    for _ in fraction.len()..decimals as usize {
        frac *= 10;
    }
    units.checked_mul(scale)?.checked_add(frac)
}

/// One form: the mutation it runs.
pub(super) struct Action {
    pub name: &'static str,
    pub query: &'static str,
    /// The variables from the form's fields, or the sentence that refuses a field.
    pub vars: fn(&Fields, Lang) -> Result<Value, String>,
    /// What the person reads back on the page.
    pub done: Label,
    /// Where to go next, from the mutation's data (a new object's page); `None`: back.
    pub next: fn(&Value) -> Option<String>,
}

fn back(_: &Value) -> Option<String> {
    None
}

fn id_field(f: &Fields, key: &str) -> Value {
    json!(f.text(key))
}

/// The brand portal's actions.
pub(super) static STAFF: &[Action] = &[
    Action {
        name: "mail-settings",
        query: "mutation($i: MailSettingsInput!) { updateMailSettings(input: $i) { saved } }",
        vars: |f, lang| {
            Ok(json!({ "i": {
                "fromName": f.text("from_name"),
                "fromAddress": f.text("from_address"),
                "replyTo": f.opt("reply_to"),
                "marketingCapPerWeek": f.int("cap", ("Plafond hebdomadaire", "Weekly cap"), lang)?,
                "sendRatePerMinute": f.int("rate", ("Envois par minute", "Mails per minute"), lang)?,
                "tracking": f.checked("tracking"),
                "noticeDays": f.int("notice_days", ("Préavis (jours)", "Notice (days)"), lang)?,
                "transactionalDisabled": f.all("disabled"),
            } }))
        },
        done: ("Réglages d'envoi enregistrés.", "Mail settings saved."),
        next: back,
    },
    Action {
        name: "dkim",
        query: "mutation($i: DkimKeyInput!) { setDkimKey(input: $i) { saved } }",
        vars: |f, _| {
            Ok(json!({ "i": {
                "selector": f.text("selector"),
                "domain": f.text("domain"),
                "algorithm": f.text("algorithm"),
                "privateKey": f.text("private_key"),
            } }))
        },
        done: ("Clé DKIM enregistrée.", "DKIM key saved."),
        next: back,
    },
    Action {
        name: "dkim-remove",
        query: "mutation { removeDkimKey { saved } }",
        vars: |_, _| Ok(json!({})),
        done: ("Clé DKIM retirée.", "DKIM key removed."),
        next: back,
    },
    Action {
        name: "suppress",
        query: "mutation($e: String!, $r: SuppressionReason!) { suppressEmail(email: $e, reason: $r) }",
        vars: |f, _| Ok(json!({ "e": f.text("email"), "r": f.text("reason") })),
        done: (
            "Adresse ajoutée à la liste d'exclusion.",
            "Address added to the suppression list.",
        ),
        next: back,
    },
    Action {
        name: "template-create",
        query: "mutation($i: EmailTemplateInput!) { createEmailTemplate(input: $i) { id } }",
        vars: |f, _| Ok(json!({ "i": template_input(f) })),
        done: ("Modèle créé.", "Template created."),
        next: |d| {
            d["createEmailTemplate"]["id"]
                .as_str()
                .map(|id| format!("/app/mail/templates/{id}"))
        },
    },
    Action {
        name: "template-update",
        query: "mutation($id: ID!, $i: EmailTemplateInput!) { updateEmailTemplate(id: $id, input: $i) { id } }",
        vars: |f, _| Ok(json!({ "id": id_field(f, "id"), "i": template_input(f) })),
        done: ("Modèle enregistré.", "Template saved."),
        next: back,
    },
    Action {
        name: "segment-save",
        query: "mutation($n: String!, $f: AudienceFilterInput!) { saveSegment(name: $n, filter: $f) { id } }",
        vars: |f, lang| {
            Ok(json!({ "n": f.text("segment_name"), "f": super::mail::filter_of(f, lang)? }))
        },
        done: ("Segment enregistré.", "Segment saved."),
        next: back,
    },
    Action {
        name: "campaign-create",
        query: "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id } }",
        vars: |f, lang| {
            let filter = match f.opt("segment_id") {
                Some(segment) => json!({ "segmentId": segment }),
                None => json!({}),
            };
            Ok(json!({ "i": {
                "name": f.text("name"), "templateId": f.text("template_id"), "filter": filter,
                "holdoutPercent": f.opt_int("holdout", ("Groupe témoin", "Control group"), lang)?.unwrap_or(0),
            } }))
        },
        done: ("Campagne créée.", "Campaign created."),
        next: |d| {
            d["createCampaign"]["id"]
                .as_str()
                .map(|id| format!("/app/mail/campaigns/{id}"))
        },
    },
    Action {
        name: "campaign-send",
        query: "mutation($id: ID!) { sendCampaign(id: $id) { id } }",
        vars: |f, _| Ok(json!({ "id": id_field(f, "id") })),
        done: ("Envoi lancé.", "Sending started."),
        next: back,
    },
    Action {
        name: "campaign-schedule",
        query: "mutation($id: ID!, $at: NaiveDateTime!) { scheduleCampaign(id: $id, at: $at) { id } }",
        vars: |f, lang| {
            Ok(json!({
                "id": id_field(f, "id"),
                "at": f.local_time("at", ("Date d'envoi", "Sending time"), lang)?,
            }))
        },
        done: ("Campagne programmée.", "Campaign scheduled."),
        next: back,
    },
    Action {
        name: "campaign-pause",
        query: "mutation($id: ID!) { pauseCampaign(id: $id) { id } }",
        vars: |f, _| Ok(json!({ "id": id_field(f, "id") })),
        done: ("Campagne en pause.", "Campaign paused."),
        next: back,
    },
    Action {
        name: "campaign-resume",
        query: "mutation($id: ID!) { resumeCampaign(id: $id) { id } }",
        vars: |f, _| Ok(json!({ "id": id_field(f, "id") })),
        done: ("Campagne reprise.", "Campaign resumed."),
        next: back,
    },
    Action {
        name: "campaign-cancel",
        query: "mutation($id: ID!) { cancelCampaign(id: $id) { id } }",
        vars: |f, _| Ok(json!({ "id": id_field(f, "id") })),
        done: ("Campagne annulée.", "Campaign cancelled."),
        next: back,
    },
    Action {
        name: "reward-create",
        query: "mutation($i: CreateRewardInput!) { createReward(input: $i) { id } }",
        vars: |f, lang| {
            Ok(json!({ "i": {
                "programId": f.text("program_id"),
                "name": f.text("name"),
                "description": f.opt("description"),
                "kind": f.text("kind"),
                "pointsCost": f.int("points_cost", ("Coût en points", "Points cost"), lang)?,
                "amountMinor": f.money("amount", ("Valeur du bon", "Voucher value"), lang)?.unwrap_or(0),
                "percent": f.opt_int("percent", ("Remise en %", "Percent off"), lang)?.unwrap_or(0),
                "stock": f.opt_int("stock", ("Stock", "Stock"), lang)?,
                "perMemberLimit": f.opt_int("per_member_limit", ("Limite par membre", "Limit per member"), lang)?,
                "perMemberPeriodDays": f.opt_int("per_member_days", ("Période de la limite (jours)", "Limit period (days)"), lang)?,
                "voucherValidDays": f.int("valid_days", ("Validité du bon (jours)", "Voucher validity (days)"), lang)?,
                "idempotencyKey": f.opt("idempotency_key"),
            } }))
        },
        done: (
            "Récompense ajoutée au catalogue.",
            "Reward added to the catalog.",
        ),
        next: back,
    },
    Action {
        name: "offer-create",
        query: "mutation($i: OfferInput!, $k: String) { createOffer(input: $i, idempotencyKey: $k) { id } }",
        vars: |f, lang| Ok(json!({ "i": offer_input(f, lang)?, "k": f.opt("idempotency_key") })),
        done: ("Offre créée.", "Offer created."),
        next: |d| {
            d["createOffer"]["id"]
                .as_str()
                .map(|id| format!("/app/offers/{id}"))
        },
    },
    Action {
        name: "contest-create",
        query: "mutation($i: ContestInput!, $k: String) { createContest(input: $i, idempotencyKey: $k) { id } }",
        vars: |f, lang| Ok(json!({ "i": contest_input(f, lang)?, "k": f.opt("idempotency_key") })),
        done: (
            "Jeu créé : l'empreinte de sa graine est publiée.",
            "Contest created: its seed commitment is published.",
        ),
        next: |d| {
            d["createContest"]["id"]
                .as_str()
                .map(|id| format!("/app/contests/{id}"))
        },
    },
    Action {
        name: "contest-rules",
        query: "mutation($id: ID!, $r: String!) { publishContestRules(id: $id, rulesText: $r) { id } }",
        vars: |f, _| Ok(json!({ "id": id_field(f, "id"), "r": f.text("rules") })),
        done: (
            "Nouvelle version du règlement publiée.",
            "New rules version published.",
        ),
        next: back,
    },
    Action {
        name: "contest-draw",
        query: "mutation($id: ID!) { drawContest(id: $id) { id } }",
        vars: |f, _| Ok(json!({ "id": id_field(f, "id") })),
        done: (
            "Tirage effectué : la graine est révélée.",
            "Drawn: the seed is revealed.",
        ),
        next: back,
    },
    Action {
        name: "contest-cancel",
        query: "mutation($id: ID!, $r: String!) { cancelContest(id: $id, reason: $r) { id } }",
        vars: |f, _| Ok(json!({ "id": id_field(f, "id"), "r": f.text("reason") })),
        done: ("Jeu annulé.", "Contest cancelled."),
        next: back,
    },
    Action {
        name: "contest-claim",
        query: "mutation($id: ID!) { claimContestPrize(winnerId: $id) { id } }",
        vars: |f, _| Ok(json!({ "id": id_field(f, "id") })),
        done: ("Lot remis.", "Prize handed over."),
        next: back,
    },
    Action {
        name: "club-create",
        query: "mutation($i: ClubInput!, $k: String) { createClub(input: $i, idempotencyKey: $k) { id } }",
        vars: |f, _| Ok(json!({ "i": club_input(f), "k": f.opt("idempotency_key") })),
        done: ("Club créé.", "Club created."),
        next: |d| {
            d["createClub"]["id"]
                .as_str()
                .map(|id| format!("/app/clubs/{id}"))
        },
    },
    Action {
        name: "club-archive",
        query: "mutation($id: ID!) { archiveClub(id: $id) { id } }",
        vars: |f, _| Ok(json!({ "id": id_field(f, "id") })),
        done: ("Club fermé aux adhésions.", "Club closed to new members."),
        next: back,
    },
    Action {
        name: "club-join",
        query: "mutation($c: ID!, $m: ID!, $k: String) { joinClub(clubId: $c, memberId: $m, idempotencyKey: $k) { id } }",
        vars: |f, _| {
            Ok(
                json!({ "c": f.text("club_id"), "m": f.text("member_id"), "k": f.opt("idempotency_key") }),
            )
        },
        done: ("Membre ajouté au club.", "Member added to the club."),
        next: back,
    },
    Action {
        name: "club-invite",
        query: "mutation($c: ID!, $m: ID!) { inviteToClub(clubId: $c, memberIds: [$m]) }",
        vars: |f, _| Ok(json!({ "c": f.text("club_id"), "m": f.text("member_id") })),
        done: (
            "Invitation enregistrée (envoyée par e-mail si le membre l'accepte).",
            "Invitation recorded (sent by e-mail if the member accepts e-mail).",
        ),
        next: back,
    },
    Action {
        name: "club-leave",
        query: "mutation($c: ID!, $m: ID!) { leaveClub(clubId: $c, memberId: $m) { id } }",
        vars: |f, _| Ok(json!({ "c": f.text("club_id"), "m": f.text("member_id") })),
        done: ("Membre retiré du club.", "Member removed from the club."),
        next: back,
    },
    Action {
        name: "event-create",
        query: "mutation($i: EventInput!, $k: String) { createEvent(input: $i, idempotencyKey: $k) { id } }",
        vars: |f, lang| Ok(json!({ "i": event_input(f, lang)?, "k": f.opt("idempotency_key") })),
        done: ("Événement créé.", "Event created."),
        next: |d| {
            d["createEvent"]["id"]
                .as_str()
                .map(|id| format!("/app/events/{id}"))
        },
    },
    Action {
        name: "event-cancel",
        query: "mutation($id: ID!) { cancelEvent(id: $id) { id } }",
        vars: |f, _| Ok(json!({ "id": id_field(f, "id") })),
        done: (
            "Événement annulé : les inscrits sont prévenus par e-mail.",
            "Event cancelled: guests are told by e-mail.",
        ),
        next: back,
    },
    Action {
        name: "event-invite",
        query: "mutation($id: ID!) { inviteToEvent(eventId: $id) }",
        vars: |f, _| Ok(json!({ "id": id_field(f, "id") })),
        done: (
            "Invitations envoyées (chacun n'est invité qu'une fois).",
            "Invitations sent (each member is invited once).",
        ),
        next: back,
    },
    Action {
        name: "event-check-in",
        query: "mutation($id: ID!, $c: String!) { checkInToEvent(eventId: $id, cardNumber: $c) { firstTime } }",
        vars: |f, _| Ok(json!({ "id": id_field(f, "id"), "c": f.text("card") })),
        done: (
            "Arrivée pointée (la récompense de présence n'est donnée qu'une fois).",
            "Checked in (the attendance reward is given once).",
        ),
        next: back,
    },
    Action {
        name: "event-register",
        query: "mutation($id: ID!, $c: String!, $g: Boolean!) { respondToEvent(eventId: $id, cardNumber: $c, going: $g) { status } }",
        vars: |f, _| {
            Ok(
                json!({ "id": id_field(f, "id"), "c": f.text("card"), "g": f.text("going") != "no" }),
            )
        },
        done: (
            "Réponse enregistrée (complet : en liste d'attente).",
            "Answer recorded (full: on the waitlist).",
        ),
        next: back,
    },
    Action {
        name: "referral-policy",
        query: "mutation($i: ReferralPolicyInput!) { setReferralPolicy(input: $i) { enabled } }",
        vars: |f, lang| {
            let int = |key: &str, label: Label| f.opt_int(key, label, lang);
            Ok(json!({ "i": {
                "enabled": f.checked("enabled"),
                "programId": f.opt("program_id"),
                "referrerPoints": int("referrer_points", ("Points pour le parrain", "Points for the referrer"))?.unwrap_or(0),
                "referrerVoucherMinor": f.money("referrer_voucher", ("Bon pour le parrain", "Voucher for the referrer"), lang)?.unwrap_or(0),
                "refereePoints": int("referee_points", ("Points pour le filleul", "Points for the referee"))?.unwrap_or(0),
                "refereeVoucherMinor": f.money("referee_voucher", ("Bon du filleul", "Voucher for the referee"), lang)?.unwrap_or(0),
                "voucherValidDays": int("voucher_days", ("Validité des bons", "Vouchers valid for"))?.unwrap_or(60),
                "minimumPurchaseMinor": f.money("minimum", ("Premier achat minimum", "Minimum first purchase"), lang)?.unwrap_or(0),
                "windowDays": int("window", ("Délai", "Days"))?.unwrap_or(30),
                "capPerReferrer": int("cap", ("Parrainages récompensés", "Rewarded referrals"))?,
                "capPeriodDays": int("cap_days", ("Période", "Period"))?.unwrap_or(365),
            } }))
        },
        done: (
            "Règles du parrainage enregistrées.",
            "Referral rules saved.",
        ),
        next: back,
    },
    Action {
        name: "offer-update",
        query: "mutation($id: ID!, $i: OfferInput!, $k: String) { updateOffer(id: $id, input: $i, idempotencyKey: $k) { id } }",
        vars: |f, lang| {
            Ok(
                json!({ "id": id_field(f, "id"), "i": offer_input(f, lang)?, "k": f.opt("idempotency_key") }),
            )
        },
        done: ("Offre enregistrée.", "Offer saved."),
        next: back,
    },
    Action {
        name: "offer-status",
        query: "mutation($id: ID!, $s: OfferStatus!) { setOfferStatus(id: $id, status: $s) { id } }",
        vars: |f, _| Ok(json!({ "id": id_field(f, "id"), "s": f.text("status") })),
        done: ("Offre mise à jour.", "Offer updated."),
        next: back,
    },
    Action {
        name: "claim-approve",
        query: "mutation($id: ID!, $k: String) { reviewRefundClaim(id: $id, approve: true, idempotencyKey: $k) { id } }",
        vars: |f, _| Ok(json!({ "id": id_field(f, "id"), "k": f.opt("idempotency_key") })),
        done: ("Demande acceptée.", "Claim approved."),
        next: back,
    },
    Action {
        name: "claim-reject",
        query: "mutation($id: ID!, $r: String, $k: String) { reviewRefundClaim(id: $id, approve: false, reason: $r, idempotencyKey: $k) { id } }",
        vars: |f, _| {
            Ok(
                json!({ "id": id_field(f, "id"), "r": f.opt("reason"), "k": f.opt("idempotency_key") }),
            )
        },
        done: ("Demande refusée.", "Claim rejected."),
        next: back,
    },
    Action {
        name: "claim-pay",
        query: "mutation($id: ID!, $r: String!, $k: String) { payRefundClaim(id: $id, reference: $r, idempotencyKey: $k) { id } }",
        vars: |f, _| {
            Ok(
                json!({ "id": id_field(f, "id"), "r": f.text("reference"), "k": f.opt("idempotency_key") }),
            )
        },
        done: ("Paiement enregistré.", "Payout recorded."),
        next: back,
    },
    Action {
        name: "reward-active",
        query: "mutation($i: UpdateRewardInput!) { updateReward(input: $i) { id } }",
        vars: |f, _| {
            Ok(json!({ "i": { "rewardId": f.text("id"), "active": f.text("active") == "true" } }))
        },
        done: ("Récompense mise à jour.", "Reward updated."),
        next: back,
    },
    Action {
        name: "reward-stock",
        query: "mutation($i: UpdateRewardInput!) { updateReward(input: $i) { id } }",
        vars: |f, lang| {
            Ok(json!({ "i": {
                "rewardId": f.text("id"),
                "addStock": f.int("add_stock", ("Unités à ajouter", "Units to add"), lang)?,
                "idempotencyKey": f.opt("idempotency_key"),
            } }))
        },
        done: ("Stock ajouté.", "Stock added."),
        next: back,
    },
    Action {
        name: "voucher-issue",
        query: "mutation($i: IssueVoucherInput!) { issueVoucher(input: $i) { code } }",
        vars: |f, lang| {
            let amount = f.money("amount", ("Valeur", "Value"), lang)?.unwrap_or(0);
            let percent = f
                .opt_int("percent", ("Remise en %", "Percent off"), lang)?
                .unwrap_or(0);
            Ok(json!({ "i": {
                "memberId": f.opt("member_id"),
                "code": f.opt("code"),
                "amountMinor": amount,
                "percent": percent,
                "minimumBasketMinor": f.money("minimum", ("Panier minimum", "Minimum basket"), lang)?.unwrap_or(0),
                "validFrom": if f.opt("valid_from").is_some() {
                    Some(f.day("valid_from", false, ("Valable à partir du", "Valid from"), lang)?)
                } else {
                    None
                },
                "validUntil": f.day("valid_until", true, ("Valable jusqu'au", "Valid until"), lang)?,
                "maxUses": f.opt_int("max_uses", ("Utilisations", "Uses"), lang)?.unwrap_or(1),
                "label": f.opt("label"),
                "idempotencyKey": f.opt("idempotency_key"),
            } }))
        },
        done: ("Bon émis.", "Voucher issued."),
        next: |d| {
            d["issueVoucher"]["code"]
                .as_str()
                .map(|code| format!("/app/vouchers?code={}", urlencode(code)))
        },
    },
    Action {
        name: "voucher-redeem",
        query: "mutation($c: String!, $k: String) { redeemVoucher(code: $c, idempotencyKey: $k) { code } }",
        vars: |f, _| Ok(json!({ "c": f.text("code"), "k": f.opt("idempotency_key") })),
        done: ("Bon utilisé.", "Voucher used."),
        next: back,
    },
    Action {
        name: "objective-create",
        query: "mutation($i: ObjectiveInput!, $k: String) { createObjective(input: $i, idempotencyKey: $k) { id } }",
        vars: |f, lang| {
            let kpi = f.text("kpi");
            // Typed as people read them: a percentage, purchases a year, an amount, a count.
            let value = |key: &str, label: Label| -> Result<Option<i64>, String> {
                if kpi.ends_with("_BP") {
                    f.amount(key, 2, label, lang)
                } else if kpi.ends_with("_MILLI") {
                    f.amount(key, 3, label, lang)
                } else if kpi.ends_with("_MINOR") {
                    f.money(key, label, lang)
                } else {
                    f.amount(key, 0, label, lang)
                }
            };
            Ok(json!({ "k": f.opt("idempotency_key"), "i": {
                "name": f.text("name"),
                "kpi": kpi,
                "baseline": value("baseline", ("Départ", "Start"))?,
                "target": value("target", ("Cible", "Target"))?.unwrap_or(0),
                "startsOn": f.text("starts"),
                "endsOn": f.text("ends"),
            } }))
        },
        done: ("Objectif fixé.", "Objective set."),
        next: back,
    },
    Action {
        name: "objective-delete",
        query: "mutation($id: ID!) { deleteObjective(id: $id) }",
        vars: |f, _| Ok(json!({ "id": f.text("id") })),
        done: ("Objectif supprimé.", "Objective deleted."),
        next: back,
    },
    Action {
        name: "scoring-run",
        query: "mutation { runScoring { lastRunOn } }",
        vars: |_, _| Ok(json!({})),
        done: ("Membres notés.", "Members scored."),
        next: back,
    },
    Action {
        name: "scoring-update",
        query: "mutation($i: ScoringInput!) { updateScoring(input: $i) { windowDays } }",
        vars: |f, lang| Ok(json!({ "i": scoring_input(f, lang)? })),
        done: (
            "Réglages enregistrés : ils s'appliquent au prochain calcul.",
            "Settings saved: they apply from the next scoring.",
        ),
        next: back,
    },
    Action {
        name: "household-join",
        query: "mutation($m: ID!, $c: String) { setMemberHousehold(memberId: $m, withCardNumber: $c) { id } }",
        vars: |f, _| Ok(json!({ "m": f.text("member_id"), "c": f.text("card_number") })),
        done: ("Foyer enregistré.", "Household saved."),
        next: back,
    },
    Action {
        name: "household-leave",
        query: "mutation($m: ID!) { setMemberHousehold(memberId: $m) { id } }",
        vars: |f, _| Ok(json!({ "m": f.text("member_id") })),
        done: (
            "Membre retiré du foyer.",
            "Member taken out of the household.",
        ),
        next: back,
    },
    Action {
        name: "offer-debt-settle",
        query: "mutation($i: SettleOfferDebtInput!) { settleOfferDebt(input: $i) { owedMinor } }",
        vars: |f, lang| {
            Ok(json!({ "i": {
                "memberId": f.text("member_id"),
                "amountMinor": f.money("amount", ("Montant", "Amount"), lang)?.unwrap_or(0),
                "how": if f.text("how") == "WAIVED" { "WAIVED" } else { "PAID" },
                "reason": f.text("reason"),
                "idempotencyKey": f.opt("idempotency_key"),
            } }))
        },
        done: (
            "Dette enregistrée comme réglée.",
            "Debt recorded as settled.",
        ),
        next: back,
    },
    Action {
        name: "card-block",
        query: "mutation($id: ID!) { blockCard(cardId: $id) { id } }",
        vars: |f, _| Ok(json!({ "id": f.text("card_id") })),
        done: ("Carte bloquée.", "Card blocked."),
        next: back,
    },
    Action {
        name: "card-unblock",
        query: "mutation($id: ID!) { unblockCard(cardId: $id) { id } }",
        vars: |f, _| Ok(json!({ "id": f.text("card_id") })),
        done: ("Carte débloquée.", "Card unblocked."),
        next: back,
    },
    Action {
        name: "card-lost",
        query: "mutation($id: ID!) { reportCardLost(cardId: $id) { id } }",
        vars: |f, _| Ok(json!({ "id": f.text("card_id") })),
        done: ("Carte déclarée perdue.", "Card reported lost."),
        next: back,
    },
    Action {
        name: "card-replace",
        query: "mutation($id: ID!) { replaceCard(cardId: $id) { number } }",
        vars: |f, _| Ok(json!({ "id": f.text("card_id") })),
        done: ("Nouvelle carte émise.", "New card issued."),
        next: back,
    },
    Action {
        name: "member-erase",
        query: "mutation($id: ID!) { eraseMember(memberId: $id) }",
        vars: |f, lang| {
            if f.text("confirm") != "ERASE" {
                return Err(lang
                    .pick(
                        "Confirmation : tapez ERASE pour effacer ce membre.",
                        "Confirmation: type ERASE to erase this member.",
                    )
                    .to_owned());
            }
            Ok(json!({ "id": f.text("member_id") }))
        },
        done: ("Membre effacé.", "Member erased."),
        next: |_| Some("/app/members".to_owned()),
    },
    Action {
        name: "coalition-respond",
        query: "mutation($id: ID!, $a: Boolean!) { respondToCoalitionInvitation(coalitionId: $id, accept: $a) { id } }",
        vars: |f, _| Ok(json!({ "id": f.text("coalition_id"), "a": f.text("accept") == "true" })),
        done: ("Réponse enregistrée.", "Answer recorded."),
        next: back,
    },
    Action {
        name: "coalition-referrals",
        query: "mutation($id: ID!, $a: Boolean!) { setCoalitionReferrals(coalitionId: $id, allowed: $a) { id } }",
        vars: |f, _| Ok(json!({ "id": f.text("coalition_id"), "a": f.text("allowed") == "yes" })),
        done: (
            "Parrainage entre enseignes mis à jour.",
            "Referrals across brands updated.",
        ),
        next: back,
    },
    Action {
        name: "coalition-club-create",
        query: "mutation($c: ID!, $i: CoalitionClubInput!, $k: String) { createCoalitionClub(coalitionId: $c, input: $i, idempotencyKey: $k) { id } }",
        vars: |f, _| {
            Ok(
                json!({ "c": f.text("coalition_id"), "i": coalition_club_input(f), "k": f.opt("idempotency_key") }),
            )
        },
        done: (
            "Club créé : chaque enseigne active de la coalition le propose à ses membres.",
            "Club created: each active brand of the coalition offers it to its members.",
        ),
        next: back,
    },
    Action {
        name: "coalition-club-archive",
        query: "mutation($id: ID!) { archiveCoalitionClub(id: $id) { id } }",
        vars: |f, _| Ok(json!({ "id": id_field(f, "id") })),
        done: (
            "Club fermé aux adhésions dans toutes les enseignes.",
            "Club closed to new members at every brand.",
        ),
        next: back,
    },
    Action {
        name: "coalition-leave",
        query: "mutation($id: ID!) { leaveCoalition(coalitionId: $id) { id } }",
        vars: |f, _| Ok(json!({ "id": f.text("coalition_id") })),
        done: (
            "Départ enregistré : il prend effet à la fin de la période.",
            "Leaving recorded: it takes effect at the end of the period.",
        ),
        next: back,
    },
    Action {
        name: "coalition-create",
        query: "mutation($i: CreateCoalitionInput!) { createCoalition(input: $i) { id } }",
        vars: |f, lang| {
            Ok(json!({ "i": {
                "name": f.text("name"),
                "currency": f.text("currency").to_uppercase(),
                "timezone": f.text("timezone"),
                "operatorEmail": f.text("operator_email"),
                "issuePricePer1000Minor": f.int("issue_price", ("Prix d'émission pour 1000 points", "Issue price per 1000 points"), lang)?,
                "redemptionValuePer1000Minor": f.int("redemption_value", ("Valeur de rachat pour 1000 points", "Redemption value per 1000 points"), lang)?,
                "pointsValidityMonths": f.int("validity", ("Validité des points (mois)", "Points validity (months)"), lang)?,
            } }))
        },
        done: ("Coalition créée.", "Coalition created."),
        next: |d| {
            d["createCoalition"]["id"]
                .as_str()
                .map(|id| format!("/app/coalitions/{id}"))
        },
    },
    Action {
        name: "coalition-invite",
        query: "mutation($i: InviteBrandInput!) { inviteBrandToCoalition(input: $i) { id } }",
        vars: |f, lang| {
            Ok(json!({ "i": {
                "coalitionId": f.text("coalition_id"),
                "brandSlug": f.text("brand_slug"),
                "earnPoints": f.int("earn_points", ("Points partagés", "Shared points"), lang)?,
                "earnPerAmountMinor": f.int("earn_per", ("par montant (unités mineures)", "per amount (minor units)"), lang)?,
                "billing": f.text("billing"),
                "reservePoints": f.opt_int("reserve", ("Réserve (points)", "Reserve (points)"), lang)?.unwrap_or(0),
            } }))
        },
        done: ("Enseigne invitée.", "Brand invited."),
        next: back,
    },
    Action {
        name: "coalition-prepaid",
        query: "mutation($i: PrepaidBlockInput!) { addCoalitionPrepaidBlock(input: $i) { balance } }",
        vars: |f, lang| {
            Ok(json!({ "i": {
                "coalitionId": f.text("coalition_id"),
                "brandId": f.text("brand_id"),
                "points": f.int("points", ("Points", "Points"), lang)?,
                "reference": f.opt("reference"),
                "idempotencyKey": f.opt("idempotency_key"),
            } }))
        },
        done: ("Bloc prépayé enregistré.", "Prepaid block recorded."),
        next: back,
    },
    Action {
        name: "coalition-close",
        query: "mutation($i: CloseCoalitionPeriodInput!) { closeCoalitionPeriod(input: $i) { period } }",
        vars: |f, _| {
            Ok(
                json!({ "i": { "coalitionId": f.text("coalition_id"), "period": f.text("period") } }),
            )
        },
        done: ("Période clôturée.", "Period closed."),
        next: back,
    },
    Action {
        name: "coalition-payment",
        query: "mutation($i: CoalitionPaymentInput!) { recordCoalitionPayment(input: $i) { period } }",
        vars: |f, _| {
            Ok(json!({ "i": {
                "statementId": f.text("statement_id"),
                "reference": f.text("reference"),
                "idempotencyKey": f.opt("idempotency_key"),
            } }))
        },
        done: ("Paiement enregistré.", "Payment recorded."),
        next: back,
    },
    Action {
        name: "brand-settings",
        query: "mutation($i: BrandSettingsInput!) { updateBrandSettings(input: $i) { id } }",
        vars: |f, _| {
            Ok(json!({ "i": {
                "name": f.text("name"),
                "timezone": f.text("timezone"),
                "locale": f.text("locale"),
                "accentColor": f.opt("accent_color"),
            } }))
        },
        done: (
            "Réglages de l'enseigne enregistrés.",
            "Brand settings saved.",
        ),
        next: back,
    },
    Action {
        name: "brand-suspend",
        query: "mutation($id: ID!, $r: String!) { suspendBrand(id: $id, reason: $r) { id } }",
        vars: |f, _| Ok(json!({ "id": f.text("brand_id"), "r": f.text("reason") })),
        done: ("Enseigne suspendue.", "Brand suspended."),
        next: back,
    },
    Action {
        name: "brand-reactivate",
        query: "mutation($id: ID!) { reactivateBrand(id: $id) { id } }",
        vars: |f, _| Ok(json!({ "id": f.text("brand_id") })),
        done: ("Enseigne réactivée.", "Brand reactivated."),
        next: back,
    },
];

fn urlencode(raw: &str) -> String {
    form_urlencoded::byte_serialize(raw.as_bytes()).collect()
}

fn template_input(f: &Fields) -> Value {
    json!({
        "name": f.text("name"),
        "purpose": f.opt("purpose").unwrap_or_else(|| "MARKETING".to_owned()),
        "subject": f.text("subject"),
        "html": f.text("html"),
        "text": f.text("text"),
    })
}

/// Comma-separated words of a field (SKUs, categories, tiers).
fn words(f: &Fields, key: &str) -> Vec<String> {
    f.text(key)
        .split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The ScoringInput of the scoring settings form: the window, then up to ten segment rows
/// (a row without a key is left out); "defaults" ticked: the default segments.
fn scoring_input(f: &Fields, lang: Lang) -> Result<Value, String> {
    let window = f.int("window_days", ("Période observée", "Window"), lang)?;
    if f.checked("defaults") {
        return Ok(json!({ "windowDays": window }));
    }
    let mut segments = Vec::new();
    for i in 0..10 {
        let Some(key) = f.opt(&format!("key{i}")) else {
            continue;
        };
        let score = |name: &str| f.opt_int(&format!("{name}{i}"), ("Note", "Score"), lang);
        segments.push(json!({
            "key": key.trim().to_uppercase(),
            "name": f.opt(&format!("name{i}")),
            "minR": score("minR")?, "maxR": score("maxR")?,
            "minF": score("minF")?, "maxF": score("maxF")?,
            "minM": score("minM")?, "maxM": score("maxM")?,
            "minT": score("minT")?, "maxT": score("maxT")?,
            "enrolledWithinDays": f.opt_int(&format!("enrolled{i}"), ("Inscrits depuis", "Enrolled within"), lang)?,
            "bought": match f.text(&format!("bought{i}")).as_str() {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
        }));
    }
    Ok(json!({ "windowDays": window, "segments": segments }))
}

/// The OfferInput of the new-offer form (the fields of its kind; the API checks the rest).
fn offer_input(f: &Fields, lang: Lang) -> Result<Value, String> {
    let kind = f.text("kind");
    let money = |key: &str, label: Label| f.money(key, label, lang);
    let int = |key: &str, label: Label| f.opt_int(key, label, lang);
    let bundle_parts: Vec<Value> = ["part1", "part2", "part3"]
        .iter()
        .filter_map(|k| f.opt(k))
        .map(|sku| json!({ "skus": [sku], "quantity": 1 }))
        .collect();
    Ok(json!({
        "name": f.text("name"),
        "description": f.opt("description"),
        "kind": kind,
        "code": f.opt("code"),
        "startsAt": f.day("starts", false, ("Du", "From"), lang)?,
        "endsAt": f.day("ends", true, ("Au", "To"), lang)?,
        "priority": int("priority", ("Priorité", "Priority"))?.unwrap_or(100),
        "exclusive": f.checked("exclusive"),
        "cardHoldersOnly": f.checked("card_holders_only"),
        "tierNames": words(f, "tiers"),
        "segmentId": f.opt("segment"),
        "excludeRecentBuyersDays": int("recent", ("Exclure qui a acheté depuis", "Leave out who bought in the last"))?,
        "maxPerMember": int("max_per_member", ("Limite par membre", "Limit per member"))?,
        "maxRedemptions": int("max_redemptions", ("Utilisations au total", "Uses in all"))?,
        "maxPerHousehold": int("max_per_household", ("Demandes par foyer", "Claims per household"))?,
        "budgetMinor": money("budget", ("Budget", "Budget"))?,
        "stock": int("stock", ("Stock de cadeaux", "Gifts in stock"))?,
        "skus": words(f, "skus"),
        "categories": words(f, "categories"),
        "amountMinor": money("amount", ("Montant", "Amount"))?.unwrap_or(0),
        "percent": int("percent", ("Pourcentage", "Percentage"))?.unwrap_or(0),
        "minimumBasketMinor": money("minimum", ("Panier minimum", "Minimum basket"))?.unwrap_or(0),
        "buyQuantity": int("buy", ("Articles achetés", "Items bought"))?.unwrap_or(0),
        "payQuantity": int("pay", ("Articles payés", "Items paid"))?.unwrap_or(0),
        "nth": int("nth", ("Tous les combien", "Every how many"))?.unwrap_or(0),
        "bundleParts": bundle_parts,
        "bundlePriceMinor": money("bundle_price", ("Prix du lot", "Bundle price"))?.unwrap_or(0),
        "perQuantity": int("per", ("Pour N articles achetés", "Per N items bought"))?.unwrap_or(0),
        "freeQuantity": int("free", ("Articles offerts", "Items free"))?.unwrap_or(0),
        "giftSku": f.opt("gift_sku"),
        "giftValueMinor": money("gift_value", ("Valeur du cadeau", "Gift value"))?.unwrap_or(0),
        "tradeInCategory": f.opt("trade_in"),
        "voucherAmountMinor": money("voucher_amount", ("Valeur du bon émis", "Value of the voucher issued"))?.unwrap_or(0),
        "voucherPercent": int("voucher_percent", ("Remise du bon", "Voucher discount"))?.unwrap_or(0),
        "voucherValidFromDays": int("voucher_from", ("Utilisable après", "Usable after"))?.unwrap_or(1),
        "voucherValidDays": int("voucher_days", ("Pendant", "For"))?.unwrap_or(30),
        "claimDeadlineDays": int("deadline", ("Délai pour demander", "Deadline to claim"))?.unwrap_or(30),
        "proofsNeeded": int("proofs", ("Preuves d'achat nécessaires", "Proofs of purchase needed"))?.unwrap_or(0),
        "countUnits": f.checked("count_units"),
        "premiumPoints": int("premium_points", ("Points offerts par la prime", "Points the premium gives"))?.unwrap_or(0),
        "premiumProgramId": f.opt("premium_program_id").filter(|_| f.opt("premium_points").is_some()),
    }))
}

/// A contest from the new-contest form: up to three prizes and three quiz questions (choices
/// separated by `;`, the right one numbered from 1).
fn contest_input(f: &Fields, lang: Lang) -> Result<Value, String> {
    let int = |key: &str, label: Label| f.opt_int(key, label, lang);
    let mut prizes = Vec::new();
    for i in 1..=3 {
        let Some(name) = f.opt(&format!("prize{i}")) else {
            continue;
        };
        prizes.push(json!({
            "name": name,
            "quantity": int(&format!("prize{i}_quantity"), ("Quantité", "Quantity"))?.unwrap_or(1),
            "kind": f.opt(&format!("prize{i}_kind")).unwrap_or_else(|| "GIFT".to_owned()),
            "points": int(&format!("prize{i}_points"), ("Points", "Points"))?.unwrap_or(0),
            "voucherAmountMinor": f.money(&format!("prize{i}_voucher"), ("Valeur du bon", "Voucher value"), lang)?.unwrap_or(0),
        }));
    }
    let mut questions = Vec::new();
    for i in 1..=3 {
        let Some(question) = f.opt(&format!("q{i}")) else {
            continue;
        };
        let choices: Vec<String> = f
            .text(&format!("q{i}_choices"))
            .split(';')
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .collect();
        let answer = int(
            &format!("q{i}_answer"),
            ("Numéro de la bonne réponse", "Number of the right choice"),
        )?
        .unwrap_or(0);
        questions.push(json!({ "question": question, "choices": choices, "answer": answer - 1 }));
    }
    let points_per_entry = int(
        "points_per_entry",
        ("Points par participation", "Points per entry"),
    )?;
    Ok(json!({
        "name": f.text("name"),
        "description": f.opt("description"),
        "kind": f.text("kind"),
        "opensAt": f.day("starts", false, ("Ouvert du", "Open from"), lang)?,
        "closesAt": f.day("ends", true, ("Au", "To"), lang)?,
        "freeEntry": f.checked("free_entry"),
        "purchaseMinimumMinor": f.money("purchase_minimum", ("Achat minimum", "Purchase minimum"), lang)?,
        "pointsPerEntry": points_per_entry,
        "programId": f.opt("program_id"),
        "maxEntriesPerMember": int("max_entries", ("Participations par membre", "Entries per member"))?.unwrap_or(1),
        "tierNames": words(f, "tiers"),
        "questions": questions,
        "tiebreakQuestion": f.opt("tiebreak_question"),
        "tiebreakAnswer": f.opt("tiebreak_question").and(int("tiebreak_answer", ("Réponse de la question subsidiaire", "Tie-breaker answer"))?),
        "claimDays": int("claim_days", ("Jours pour réclamer", "Days to claim"))?.unwrap_or(30),
        "unclaimed": f.opt("unclaimed").unwrap_or_else(|| "REDRAW".to_owned()),
        "rulesText": f.text("rules"),
        "prizes": prizes,
        "oddsOneIn": int("odds_one_in", ("Chances de gagner : 1 sur", "Chance to win: 1 in"))?,
    }))
}

/// A club run by a coalition, from the operator's form (the same questions as a brand club's).
fn coalition_club_input(f: &Fields) -> Value {
    let club = club_input(f);
    json!({ "name": club["name"], "description": club["description"], "questions": club["questions"] })
}

/// A club from the new-club form: up to three questions (their keys made from their labels).
fn club_input(f: &Fields) -> Value {
    let mut questions = Vec::new();
    for i in 1..=3 {
        let Some(label) = f.opt(&format!("q{i}")) else {
            continue;
        };
        let kind = f
            .opt(&format!("q{i}_kind"))
            .unwrap_or_else(|| "TEXT".to_owned());
        let choices: Vec<String> = if kind == "CHOICE" {
            f.text(&format!("q{i}_choices"))
                .split(';')
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .collect()
        } else {
            Vec::new()
        };
        questions.push(json!({ "key": question_key(&label, i), "label": label, "kind": kind, "choices": choices }));
    }
    let rule = f.opt("join_rule").unwrap_or_else(|| "OPEN".to_owned());
    json!({
        "name": f.text("name"),
        "description": f.opt("description"),
        "joinRule": rule,
        "segmentId": f.opt("segment_id").filter(|_| rule == "SEGMENT"),
        "tierNames": if rule == "TIER" { words(f, "tiers") } else { Vec::new() },
        "membershipProgramId": f.opt("membership_program_id"),
        "questions": questions,
    })
}

/// A question's key from its label: lower-case ASCII letters and digits joined by `_`, with
/// its number when nothing is left (`q2`).
fn question_key(label: &str, i: usize) -> String {
    let folded: String = label
        .chars()
        .map(|c| match c {
            'à' | 'â' | 'ä' | 'À' | 'Â' | 'Ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'e',
            'î' | 'ï' | 'Î' | 'Ï' => 'i',
            'ô' | 'ö' | 'Ô' | 'Ö' => 'o',
            'ù' | 'û' | 'ü' | 'Ù' | 'Û' | 'Ü' => 'u',
            'ç' | 'Ç' => 'c',
            c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
            _ => ' ',
        })
        .collect();
    let key = folded
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("_")
        .chars()
        .take(36)
        .collect::<String>();
    if key.is_empty() { format!("q{i}") } else { key }
}

/// An event from the new-event form (times in the brand's time zone).
fn event_input(f: &Fields, lang: Lang) -> Result<Value, String> {
    let int = |key: &str, label: Label| f.opt_int(key, label, lang);
    let points = int("reward_points", ("Points", "Points"))?.unwrap_or(0);
    Ok(json!({
        "name": f.text("name"),
        "kind": f.opt("kind").unwrap_or_else(|| "EVENT".to_owned()),
        "description": f.opt("description"),
        "startsAt": f.instant("starts", ("Début", "Starts"), lang)?,
        "endsAt": f.instant("ends", ("Fin", "Ends"), lang)?,
        "place": f.text("place"),
        "capacity": int("capacity", ("Places", "Seats"))?.unwrap_or(0),
        "invitationOnly": f.checked("invitation_only"),
        "clubId": f.opt("club_id"),
        "segmentId": f.opt("segment_id"),
        "tierNames": words(f, "tiers"),
        "programId": f.opt("program_id").filter(|_| points > 0),
        "rewardPoints": points,
        "rewardVoucherMinor": f.money("reward_voucher", ("Bon d'achat", "Voucher"), lang)?.unwrap_or(0),
        "voucherValidDays": int("voucher_days", ("Validité du bon", "Voucher validity"))?.unwrap_or(30),
    }))
}

/// The member spaces' actions (each runs as the signed-in member, on their own account).
pub(super) static MEMBER: &[Action] = &[
    Action {
        name: "club-join-mine",
        query: "mutation($c: ID!, $a: [ClubAnswerInput!], $consent: Boolean, $k: String) { joinMyClub(clubId: $c, answers: $a, consent: $consent, idempotencyKey: $k) { id } }",
        vars: |f, _| {
            let answers: Vec<Value> = f
                .prefixed("answer_")
                .into_iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(key, value)| json!({ "key": key, "value": value }))
                .collect();
            Ok(
                json!({ "c": f.text("club_id"), "a": answers, "consent": f.checked("consent"), "k": f.opt("idempotency_key") }),
            )
        },
        done: (
            "C'est noté : bienvenue au club.",
            "Done: welcome to the club.",
        ),
        next: back,
    },
    Action {
        name: "club-leave-mine",
        query: "mutation($c: ID!) { leaveMyClub(clubId: $c) { id } }",
        vars: |f, _| Ok(json!({ "c": f.text("club_id") })),
        done: (
            "Vous avez quitté le club ; vos réponses sont effacées.",
            "You left the club; your answers are erased.",
        ),
        next: back,
    },
    Action {
        name: "event-respond-mine",
        query: "mutation($e: ID!, $g: Boolean!, $k: String) { respondToMyEvent(eventId: $e, going: $g, idempotencyKey: $k) { status } }",
        vars: |f, _| {
            Ok(
                json!({ "e": f.text("event_id"), "g": f.text("going") == "yes", "k": f.opt("idempotency_key") }),
            )
        },
        done: ("Réponse enregistrée.", "Answer recorded."),
        next: back,
    },
    Action {
        name: "claim-submit",
        query: "mutation($i: RefundClaimInput!) { submitMyRefundClaim(input: $i) { id } }",
        vars: |f, lang| {
            let receipt_date = match f.opt("receipt_date") {
                Some(_) => Some(f.day(
                    "receipt_date",
                    false,
                    ("Date du ticket", "Receipt date"),
                    lang,
                )?),
                None => None,
            };
            Ok(json!({ "i": {
                "offerId": f.text("offer_id"),
                "purchaseId": f.opt("purchase_id"),
                "receiptReference": f.opt("receipt"),
                "receiptAmountMinor": f.money("receipt_amount", ("Montant des articles sur le ticket", "Amount of the items on the receipt"), lang)?,
                "receiptDate": receipt_date,
                "idempotencyKey": f.opt("idempotency_key"),
            } }))
        },
        done: (
            "Demande envoyée : suivez-la ci-dessous.",
            "Claim sent: follow it below.",
        ),
        next: back,
    },
    Action {
        name: "contest-enter",
        query: "mutation($i: EnterInput!) { enterMyContest(input: $i) { entry { id } won { prize { name } } } }",
        vars: |f, lang| {
            if !f.checked("accept") {
                return Err(lang
                    .pick(
                        "Règlement : acceptez-le pour participer.",
                        "Rules: accept them to enter.",
                    )
                    .to_owned());
            }
            let questions = f
                .opt_int("questions", ("Questions", "Questions"), lang)?
                .unwrap_or(0);
            let mut answers = Vec::new();
            for i in 0..questions.clamp(0, 20) {
                answers.push(f.int(&format!("answer{i}"), ("Réponse", "Answer"), lang)?);
            }
            Ok(json!({ "i": {
                "contestId": f.text("contest_id"),
                "via": f.opt("via").unwrap_or_else(|| "FREE".to_owned()),
                "answers": answers,
                "estimate": f.opt("estimate").map(|_| f.int("estimate", ("Estimation", "Estimate"), lang)).transpose()?,
                "idempotencyKey": f.opt("idempotency_key"),
            } }))
        },
        done: (
            "Participation enregistrée. Bonne chance !",
            "Entry recorded. Good luck!",
        ),
        next: back,
    },
    Action {
        name: "contest-claim-mine",
        query: "mutation($id: ID!) { claimMyContestPrize(winnerId: $id) { id } }",
        vars: |f, _| Ok(json!({ "id": f.text("winner_id") })),
        done: (
            "Lot réclamé : points et bons sont sur votre compte ; un cadeau vous attend en magasin.",
            "Prize claimed: points and vouchers are on your account; a gift waits for you in store.",
        ),
        next: back,
    },
    Action {
        name: "referral-apply",
        query: "mutation($c: String!, $k: String) { applyMyReferralCode(code: $c, idempotencyKey: $k) { id } }",
        vars: |f, _| Ok(json!({ "c": f.text("code"), "k": f.opt("idempotency_key") })),
        done: (
            "Code enregistré : votre premier achat vous récompensera tous les deux.",
            "Code recorded: your first purchase rewards you both.",
        ),
        next: back,
    },
    Action {
        name: "redeem-reward",
        query: "mutation($r: ID!, $k: String) { redeemMyReward(rewardId: $r, idempotencyKey: $k) { code } }",
        vars: |f, _| Ok(json!({ "r": f.text("reward_id"), "k": f.opt("idempotency_key") })),
        done: (
            "Récompense obtenue : votre bon est dans « Ma carte ».",
            "Reward redeemed: your voucher is on 'My card'.",
        ),
        next: back,
    },
    Action {
        name: "convert-points",
        query: "mutation($p: ID!, $n: Int, $k: String) { convertMyPoints(programId: $p, points: $n, idempotencyKey: $k) { code } }",
        vars: |f, lang| {
            Ok(json!({
                "p": f.text("program_id"),
                "n": f.int("points", ("Points à convertir", "Points to convert"), lang)?,
                "k": f.opt("idempotency_key"),
            }))
        },
        done: (
            "Points convertis en bon d'achat : il est dans « Ma carte ».",
            "Points converted into a voucher: it is on 'My card'.",
        ),
        next: back,
    },
    Action {
        name: "profile",
        query: "mutation($i: UpdateMemberInput!) { updateMyProfile(input: $i) { id } }",
        vars: |f, _| {
            Ok(json!({ "i": {
                "firstName": f.opt("first_name"),
                "lastName": f.opt("last_name"),
                "phone": f.opt("phone"),
                "emailConsent": f.checked("email_consent"),
                "smsConsent": f.checked("sms_consent"),
                "consentSource": "member space",
            } }))
        },
        done: ("Profil enregistré.", "Profile saved."),
        next: back,
    },
    Action {
        name: "cancel-membership",
        query: "mutation($id: ID!) { cancelMyMembership(membershipId: $id) { id } }",
        vars: |f, _| Ok(json!({ "id": f.text("membership_id") })),
        done: (
            "Abonnement résilié : il reste actif jusqu'à la fin de la période payée.",
            "Membership cancelled: it stays active until the end of the paid period.",
        ),
        next: back,
    },
    Action {
        name: "erase-me",
        query: "mutation($c: String!) { eraseMyData(confirm: $c) }",
        vars: |f, _| Ok(json!({ "c": f.text("confirm") })),
        done: ("Vos données ont été effacées.", "Your data was erased."),
        next: back,
    },
];

/// Forms with pages of their own that come back with `?done=`.
const OTHER_NOTICES: &[(&str, Label)] = &[
    (
        "program-rules",
        (
            "Règles enregistrées : elles s'appliquent dès maintenant.",
            "Rules saved: they apply from now.",
        ),
    ),
    ("program-created", ("Programme créé.", "Program created.")),
];

/// The sentence for `?done=<action>` on the page gone back to.
pub(super) fn notice(done: Option<&str>, lang: Lang) -> Option<String> {
    let done = done?;
    STAFF
        .iter()
        .chain(MEMBER)
        .map(|a| (a.name, a.done))
        .chain(OTHER_NOTICES.iter().copied())
        .find(|(name, _)| *name == done)
        .map(|(_, text)| lang.pick(text.0, text.1).to_owned())
}

/// The page to go back to: one of this area's own paths (`prefix`), else `fallback`.
fn safe_back<'a>(raw: &'a str, prefix: &str, fallback: &'a str) -> &'a str {
    let safe = raw.starts_with(prefix)
        && !raw.contains("//")
        && !raw.contains("..")
        && !raw.contains('\\')
        && raw.chars().all(|c| c.is_ascii_graphic());
    if safe { raw } else { fallback }
}

/// `url` with `done=<action>` in its query (any earlier `done` dropped).
fn with_done(url: &str, done: &str) -> String {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let mut kept: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("done="))
        .collect();
    let pair = format!("done={done}");
    kept.push(&pair);
    format!("{path}?{}", kept.join("&"))
}

/// `POST /app/act/{name}`.
pub(super) async fn staff(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let v = Visitor::of(&portal, &headers, peer);
    act(
        &portal,
        v,
        &headers,
        STAFF,
        &name,
        ("/app", "/login"),
        &body,
    )
    .await
}

/// `POST /m/{slug}/act/{name}`.
pub(super) async fn member(
    State(portal): State<Arc<Portal>>,
    peer: ConnectInfo<SocketAddr>,
    Path((slug, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // An unknown or suspended brand's space is not found (and its slug never reaches a header).
    let Some(brand) = super::member::brand_of(&portal, &slug).await else {
        return super::render::not_found(State(portal), peer, headers).await;
    };
    let v = Visitor::member(&portal, &headers, peer, &brand.slug);
    let home = format!("/m/{}/card", brand.slug);
    let login = format!("/m/{}/login", brand.slug);
    act(&portal, v, &headers, MEMBER, &name, (&home, &login), &body).await
}

async fn act(
    portal: &Portal,
    mut v: Visitor,
    headers: &HeaderMap,
    table: &[Action],
    name: &str,
    (home, login): (&str, &str),
    body: &[u8],
) -> Response {
    let fields = Fields::parse(body);
    if !form_ok(portal, &mut v, headers, fields.opt("csrf").as_deref()) {
        return refused(portal, &v);
    }
    let Some(action) = table.iter().find(|a| a.name == name) else {
        return failed(portal, &v, &super::session::Failure::not_found());
    };
    // Paths of this area only: the staff portal's, or this member space's.
    let prefix = home
        .strip_suffix("/card")
        .map_or_else(|| format!("{home}/"), |p| format!("{p}/"));
    let raw_back = fields.text("back");
    let back = safe_back(&raw_back, &prefix, home).to_owned();
    let refusal = |v: &Visitor, message: String| {
        portal.pages.page(
            v,
            StatusCode::BAD_REQUEST,
            "message.html",
            context! {
                title => v.lang.pick("Action refusée", "Action refused"),
                message => message,
                back => back,
            },
        )
    };
    // Amounts and dates are read in the person's brand currency and calendar.
    let fields = match v
        .run(
            portal,
            "{ viewer { brand { currency timezone } } }",
            json!({}),
        )
        .await
    {
        Ok(data) => fields.for_viewer(&data["viewer"]),
        Err(f) if f.code == "UNAUTHENTICATED" => {
            v.end_session();
            return see_other(&v, login);
        }
        Err(f) => return failed(portal, &v, &f),
    };
    let variables = match (action.vars)(&fields, v.lang) {
        Ok(variables) => variables,
        Err(message) => return refusal(&v, message),
    };
    match v.run(portal, action.query, variables).await {
        Ok(data) => {
            let to = (action.next)(&data).unwrap_or(back.clone());
            see_other(&v, &with_done(&to, action.name))
        }
        // The person's input or role: said on the page, with the way back.
        Err(f)
            if matches!(
                f.code.as_str(),
                "VALIDATION"
                    | "CONFLICT"
                    | "LIMIT_EXCEEDED"
                    | "INSUFFICIENT_BALANCE"
                    | "BAD_REQUEST"
                    | "NOT_FOUND"
                    | "FORBIDDEN"
            ) =>
        {
            let message = f.text(v.lang);
            refusal(&v, message)
        }
        Err(f) if f.code == "UNAUTHENTICATED" => {
            v.end_session();
            see_other(&v, login)
        }
        Err(f) => failed(portal, &v, &f),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_read_as_digits_never_as_floats() {
        assert_eq!(parse_amount("12,5", 2), Some(1250));
        assert_eq!(parse_amount("12.05", 2), Some(1205));
        assert_eq!(parse_amount("1 234", 2), Some(123_400));
        assert_eq!(parse_amount("0,1", 2), Some(10));
        assert_eq!(parse_amount("500", 0), Some(500));
        assert_eq!(parse_amount("5,5", 0), None);
        assert_eq!(parse_amount("1.005", 2), None);
        assert_eq!(parse_amount("-3", 2), None);
        assert_eq!(parse_amount("1,2,3", 2), None);
        assert_eq!(parse_amount("", 2), None);
        assert_eq!(parse_amount("99999999999999999999", 2), None);
    }

    #[test]
    fn going_back_stays_on_the_portal() {
        assert_eq!(safe_back("/app/mail", "/app/", "/app"), "/app/mail");
        assert_eq!(
            safe_back("https://evil.example/app/", "/app/", "/app"),
            "/app"
        );
        assert_eq!(safe_back("/app//evil.example", "/app/", "/app"), "/app");
        assert_eq!(safe_back("/app/\\evil", "/app/", "/app"), "/app");
        assert_eq!(safe_back("/apple", "/app/", "/app"), "/app");
        assert_eq!(
            safe_back("/m/other/card", "/m/mine/", "/m/mine/card"),
            "/m/mine/card"
        );
        assert_eq!(with_done("/app/mail", "dkim"), "/app/mail?done=dkim");
        assert_eq!(
            with_done("/app/mail?x=1&done=old", "dkim"),
            "/app/mail?x=1&done=dkim"
        );
    }
}
