//! Transactional mail, sent whatever the member's marketing consent: welcome on enrolment,
//! voucher issued, reward ready (a full stamp card), points expiring soon (once per lot, the
//! brand's notice period before), paid membership renewal reminder (once per period), birthday
//! message with its bonus. Each can be switched off per brand; each has a default template a
//! brand overrides with its own template of that purpose.
//!
//! The worker finds the events (recent enrolments, vouchers and birthday bonuses — within the
//! last 48 hours, so switching a message on never mails the whole history — and lots or
//! memberships ending within the notice period), writes one row per message under a unique key
//! (`welcome:<member>`, `expiring:<lot>`...), then sends the rows it claims, so each message
//! goes once, even with two workers. Addresses that hard-bounced are not mailed.
//!
//! Size: over 500 lines on purpose: the transactional mail consumer and its rendering, one event
//! type per arm (about 40 lines are unit tests).

use chrono::{DateTime, Duration, Utc};
use entity::{
    campaign_recipient::RecipientStatus,
    email_template::{self, TemplatePurpose},
    member, membership, point_lot, suppression, transactional_mail, voucher,
};
use sea_orm::{
    ActiveEnum as _, ActiveValue::Set, ColumnTrait, ConnectionTrait, ExprTrait, QueryFilter,
    QueryOrder, QuerySelect, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    core::{
        deps::{Base, Links},
        error::AppError,
        i18n::Lang,
        mail::{MarketingMail, Post, SendError},
        tenancy::Scoped,
    },
    engagement::mail_templates::{
        ClubData, ContestData, EventData, MembershipData, Parts, VoucherData,
    },
};

/// Every transactional purpose.
pub const PURPOSES: [TemplatePurpose; 13] = [
    TemplatePurpose::Welcome,
    TemplatePurpose::VoucherIssued,
    TemplatePurpose::RewardReady,
    TemplatePurpose::PointsExpiring,
    TemplatePurpose::MembershipRenewal,
    TemplatePurpose::Birthday,
    TemplatePurpose::ContestWon,
    TemplatePurpose::ClubInvitation,
    TemplatePurpose::EventInvitation,
    TemplatePurpose::EventReminder,
    TemplatePurpose::EventSeat,
    TemplatePurpose::EventCancelled,
    TemplatePurpose::EventChanged,
];

const LOOKBACK_HOURS: i64 = 48;
const MAX_ATTEMPTS: i32 = 5;
/// How long mail held for a configuration problem waits before it is tried again (saving the
/// settings makes it due at once).
const CONFIG_RETRY_MINUTES: i64 = 10;

pub fn parse_list(s: &str) -> Vec<TemplatePurpose> {
    s.split(',')
        .filter_map(|w| PURPOSES.into_iter().find(|p| p.to_value() == w.trim()))
        .collect()
}

pub fn join_list(list: &[TemplatePurpose]) -> String {
    PURPOSES
        .into_iter()
        .filter(|p| list.contains(p))
        .map(|p| p.to_value())
        .collect::<Vec<_>>()
        .join(",")
}

/// The template used when the brand has none of this purpose, in the brand's language: a text
/// body and the same words as HTML (sent together as `multipart/alternative`).
pub fn default_template(p: TemplatePurpose, lang: Lang) -> Parts {
    const HELLO_FR: &str = "Bonjour{% if member.first_name %} {{ member.first_name }}{% endif %},";
    const HELLO_EN: &str = "Hello{% if member.first_name %} {{ member.first_name }}{% endif %},";
    let (subject, body) = match (p, lang) {
        (TemplatePurpose::Welcome, Lang::Fr) => (
            "Bienvenue chez {{ brand.name }}",
            "Bienvenue dans le programme de fidélité de {{ brand.name }}.{% if member.card_number %} Votre numéro de carte : {{ member.card_number }}.{% endif %}\n\nVotre espace : {{ links.app }}",
        ),
        (TemplatePurpose::Welcome, Lang::En) => (
            "Welcome to {{ brand.name }}",
            "Welcome to {{ brand.name }}'s loyalty program.{% if member.card_number %} Your card number is {{ member.card_number }}.{% endif %}\n\nYour space: {{ links.app }}",
        ),
        (TemplatePurpose::VoucherIssued, Lang::Fr) => (
            "Un bon d'achat pour vous : {{ voucher.code }}",
            "Votre bon {{ voucher.code }}{% if voucher.label %} ({{ voucher.label }}){% endif %} est prêt{% if voucher.amount_minor %} : {{ voucher.amount_minor | money }}{% endif %}{% if voucher.percent %} : {{ voucher.percent }} % de remise{% endif %}. Valable jusqu'au {{ voucher.valid_until | date }}.",
        ),
        (TemplatePurpose::VoucherIssued, Lang::En) => (
            "A voucher for you: {{ voucher.code }}",
            "Your voucher {{ voucher.code }}{% if voucher.label %} ({{ voucher.label }}){% endif %} is ready{% if voucher.amount_minor %}: {{ voucher.amount_minor | money }}{% endif %}{% if voucher.percent %}: {{ voucher.percent }} % off{% endif %}. Valid until {{ voucher.valid_until | date }}.",
        ),
        (TemplatePurpose::RewardReady, Lang::Fr) => (
            "Votre récompense est prête",
            "Votre carte est complète : votre récompense {{ voucher.label }} vous attend avec le code {{ voucher.code }}, valable jusqu'au {{ voucher.valid_until | date }}.",
        ),
        (TemplatePurpose::RewardReady, Lang::En) => (
            "Your reward is ready",
            "Your card is full: your reward {{ voucher.label }} is ready with code {{ voucher.code }}, valid until {{ voucher.valid_until | date }}.",
        ),
        (TemplatePurpose::PointsExpiring, Lang::Fr) => (
            "{{ points.expiring }} points expirent bientôt",
            "{{ points.expiring }} de vos {{ points.balance }} points chez {{ brand.name }} expirent le {{ points.expiring_at | date }}. Utilisez-les avant cette date.",
        ),
        (TemplatePurpose::PointsExpiring, Lang::En) => (
            "{{ points.expiring }} points expire soon",
            "{{ points.expiring }} of your {{ points.balance }} points at {{ brand.name }} expire on {{ points.expiring_at | date }}. Use them before then.",
        ),
        (TemplatePurpose::MembershipRenewal, Lang::Fr) => (
            "Votre abonnement se renouvelle le {{ membership.period_end | date }}",
            "Votre abonnement {{ brand.name }} arrive au terme de sa période le {{ membership.period_end | date }} et sera renouvelé à cette date.",
        ),
        (TemplatePurpose::MembershipRenewal, Lang::En) => (
            "Your membership renews on {{ membership.period_end | date }}",
            "Your {{ brand.name }} membership period ends on {{ membership.period_end | date }} and renews then.",
        ),
        (TemplatePurpose::Birthday, Lang::Fr) => (
            "Joyeux anniversaire{% if member.first_name %}, {{ member.first_name }}{% endif %} !",
            "Joyeux anniversaire ! {{ brand.name }} vous offre un bonus d'anniversaire : vous avez maintenant {{ points.balance }} points.",
        ),
        (TemplatePurpose::Birthday, Lang::En) => (
            "Happy birthday{% if member.first_name %}, {{ member.first_name }}{% endif %}!",
            "Happy birthday! {{ brand.name }} added a birthday bonus to your points: you now have {{ points.balance }} points.",
        ),
        (TemplatePurpose::ContestWon, Lang::Fr) => (
            "Vous avez gagné : {{ contest.prize }}",
            "Bonne nouvelle : vous avez gagné {{ contest.prize }} au jeu {{ contest.name }} de {{ brand.name }}. Réclamez votre lot avant le {{ contest.claim_until | date }} depuis votre espace : {{ links.app }}",
        ),
        (TemplatePurpose::ContestWon, Lang::En) => (
            "You won: {{ contest.prize }}",
            "Good news: you won {{ contest.prize }} in {{ brand.name }}'s {{ contest.name }}. Claim your prize before {{ contest.claim_until | date }} from your space: {{ links.app }}",
        ),
        (TemplatePurpose::ClubInvitation, Lang::Fr) => (
            "Invitation : rejoignez le club {{ club.name }}",
            "{{ brand.name }} vous invite à rejoindre son club {{ club.name }}. Rejoignez-le depuis votre espace : {{ links.app }}",
        ),
        (TemplatePurpose::ClubInvitation, Lang::En) => (
            "You are invited to join {{ club.name }}",
            "{{ brand.name }} invites you to join its club {{ club.name }}. Join it from your space: {{ links.app }}",
        ),
        (TemplatePurpose::EventInvitation, Lang::Fr) => (
            "Invitation : {{ event.name }}",
            "{{ brand.name }} vous invite à {{ event.name }}, le {{ event.date }} à {{ event.time }}, {{ event.place }}. Répondez depuis votre espace : {{ links.app }}",
        ),
        (TemplatePurpose::EventInvitation, Lang::En) => (
            "Invitation: {{ event.name }}",
            "{{ brand.name }} invites you to {{ event.name }} on {{ event.date }} at {{ event.time }}, {{ event.place }}. Answer from your space: {{ links.app }}",
        ),
        (TemplatePurpose::EventReminder, Lang::Fr) => (
            "Rappel : {{ event.name }} le {{ event.date }} à {{ event.time }}",
            "Nous vous attendons à {{ event.name }} le {{ event.date }} à {{ event.time }}, {{ event.place }}. Présentez votre carte à l'entrée. Un empêchement ? Libérez votre place depuis votre espace : {{ links.app }}",
        ),
        (TemplatePurpose::EventReminder, Lang::En) => (
            "Reminder: {{ event.name }} on {{ event.date }} at {{ event.time }}",
            "We look forward to seeing you at {{ event.name }} on {{ event.date }} at {{ event.time }}, {{ event.place }}. Show your card at the door. Can't come? Free your seat from your space: {{ links.app }}",
        ),
        (TemplatePurpose::EventSeat, Lang::Fr) => (
            "Une place s'est libérée : {{ event.name }}",
            "Bonne nouvelle : une place s'est libérée à {{ event.name }} le {{ event.date }} à {{ event.time }}, {{ event.place }}. Elle est à vous. Un empêchement ? Libérez-la depuis votre espace : {{ links.app }}",
        ),
        (TemplatePurpose::EventSeat, Lang::En) => (
            "A seat freed up: {{ event.name }}",
            "Good news: a seat freed up at {{ event.name }} on {{ event.date }} at {{ event.time }}, {{ event.place }}, and it is yours. Can't come? Free it from your space: {{ links.app }}",
        ),
        (TemplatePurpose::EventCancelled, Lang::Fr) => (
            "Annulation : {{ event.name }}",
            "Nous sommes désolés : {{ event.name }}, prévu le {{ event.date }} à {{ event.time }}, est annulé.",
        ),
        (TemplatePurpose::EventCancelled, Lang::En) => (
            "Cancelled: {{ event.name }}",
            "We are sorry: {{ event.name }}, planned on {{ event.date }} at {{ event.time }}, is cancelled.",
        ),
        (TemplatePurpose::EventChanged, Lang::Fr) => (
            "Changement : {{ event.name }}",
            "{{ event.name }} change : rendez-vous le {{ event.date }} à {{ event.time }}, {{ event.place }}. Votre réponse est gardée ; un empêchement ? Changez-la depuis votre espace : {{ links.app }}",
        ),
        (TemplatePurpose::EventChanged, Lang::En) => (
            "Change: {{ event.name }}",
            "{{ event.name }} has changed: see you on {{ event.date }} at {{ event.time }}, {{ event.place }}. Your answer is kept; can't come? Change it from your space: {{ links.app }}",
        ),
        (TemplatePurpose::Marketing, _) => ("{{ brand.name }}", "{{ brand.name }}"),
    };
    let hello = lang.pick(HELLO_FR, HELLO_EN);
    let body = if p == TemplatePurpose::Marketing {
        body.to_owned()
    } else {
        format!("{hello}\n\n{body}")
    };
    // The HTML part: the same paragraphs (template source has no markup of its own, so
    // variables are escaped at render time by the HTML autoescape).
    let paragraphs: String = body
        .split("\n\n")
        .map(|para| format!("<p>{para}</p>"))
        .collect();
    let html = format!(
        "<!doctype html><html lang=\"{}\"><body style=\"font-family:sans-serif\">{paragraphs}<p>{{{{ brand.name }}}}</p></body></html>",
        lang.code()
    );
    Parts {
        subject: subject.to_owned(),
        html,
        text: format!("{body}\n\n-- {{{{ brand.name }}}}\n"),
    }
}

/// What one worker run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    pub found: u64,
    pub sent: u64,
    pub retried: u64,
    pub failed: u64,
    pub skipped: u64,
    /// Held because the brand's mail settings cannot send (they go once it is fixed).
    pub held: u64,
}

/// The outbox reader of transactional mail: enrolments, vouchers and birthday bonuses.
const CONSUMER: crate::core::events::Consumer = crate::core::events::Consumer {
    name: "transactional-mail",
    start_back: Duration::hours(LOOKBACK_HOURS),
};

/// Events read per pass (the next pass goes on from there).
const EVENTS_PER_PASS: u64 = 1_000;

/// Queues the messages new events call for (welcome, voucher issued, reward ready, birthday)
/// and the reminders that fall due (points expiring, membership renewal), then sends what is
/// due, for every active brand.
pub async fn run_once(
    base: &Base,
    links: &Links,
    post: &Post,
    now: DateTime<Utc>,
) -> Result<Report, AppError> {
    let mut report = Report::default();
    consume_events(base, post, now, &mut report).await?;
    for brand in crate::identity::brands::active(&base.db).await? {
        let scope = base.scope(brand.id);
        let settings = crate::engagement::mail_settings::settings(post, &scope).await?;
        let conn = scope.conn();
        for (purpose, member, key) in reminders(&conn, &settings, now).await? {
            if queue(&conn, purpose, member, key, now).await? {
                report.found += 1;
            }
        }
        deliver(links, post, &conn, &settings, now, &mut report).await?;
    }
    Ok(report)
}

/// One row per message, unique per brand and key: queued once, however often it is found.
async fn queue<C: ConnectionTrait>(
    conn: &Scoped<C>,
    purpose: TemplatePurpose,
    member: Uuid,
    key: String,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    conn.insert_if_absent(
        transactional_mail::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(conn.tenant_id()),
            purpose: Set(purpose),
            member_id: Set(member),
            subject_key: Set(key),
            status: Set(RecipientStatus::Queued),
            reason: Set(None),
            attempts: Set(0),
            next_attempt_at: Set(now),
            sent_at: Set(None),
            created_at: Set(now),
        },
        vec![
            transactional_mail::Column::TenantId,
            transactional_mail::Column::SubjectKey,
        ],
    )
    .await
}

/// Reads the outbox: each event that calls for a message queues it (messages a brand switched
/// off, or of a suspended brand, are passed over).
async fn consume_events(
    base: &Base,
    post: &Post,
    now: DateTime<Utc>,
    report: &mut Report,
) -> Result<(), AppError> {
    use std::collections::HashMap;
    let (events, next) = CONSUMER
        .poll(
            &base.db,
            &[
                "member.enrolled",
                "voucher.issued",
                "points.birthday_bonus",
                "contest.won",
                "club.invited",
                "event.invited",
                "event.reminder",
                "event.seat",
                "event.cancelled_for",
                "event.changed",
            ],
            now,
            EVENTS_PER_PASS,
        )
        .await?;
    let mut brands: HashMap<Uuid, Option<crate::engagement::mail_settings::Settings>> =
        HashMap::new();
    for event in &events {
        let scope = base.scope(event.tenant_id);
        if let std::collections::hash_map::Entry::Vacant(slot) = brands.entry(event.tenant_id) {
            let active = crate::identity::brands::by_id(&base.db, event.tenant_id)
                .await?
                .is_some_and(|b| b.status == entity::brand::BrandStatus::Active);
            let settings = if active {
                Some(crate::engagement::mail_settings::settings(post, &scope).await?)
            } else {
                None
            };
            slot.insert(settings);
        }
        let Some(Some(settings)) = brands.get(&event.tenant_id) else {
            continue;
        };
        let (Some(member), Some(subject)) = (event.member_id, event.subject_id) else {
            continue;
        };
        let (purpose, key) = match event.kind.as_str() {
            "member.enrolled" if event.payload["hasEmail"] == true => {
                (TemplatePurpose::Welcome, format!("welcome:{member}"))
            }
            "voucher.issued" => (
                if event.payload["source"] == "STAMPS" {
                    TemplatePurpose::RewardReady
                } else {
                    TemplatePurpose::VoucherIssued
                },
                format!("voucher:{subject}"),
            ),
            "points.birthday_bonus" => (TemplatePurpose::Birthday, format!("birthday:{subject}")),
            // The event carries what the mail says (engagement does not read contests).
            "contest.won" => (TemplatePurpose::ContestWon, format!("contest:{}", event.id)),
            // Clubs and events too: the event carries the names, dates and place.
            "club.invited" => (
                TemplatePurpose::ClubInvitation,
                format!("club:{}", event.id),
            ),
            "event.invited" => (
                TemplatePurpose::EventInvitation,
                format!("event:{}", event.id),
            ),
            "event.reminder" => (
                TemplatePurpose::EventReminder,
                format!("event:{}", event.id),
            ),
            "event.seat" => (TemplatePurpose::EventSeat, format!("event:{}", event.id)),
            "event.cancelled_for" => (
                TemplatePurpose::EventCancelled,
                format!("event:{}", event.id),
            ),
            "event.changed" => (TemplatePurpose::EventChanged, format!("event:{}", event.id)),
            _ => continue,
        };
        if settings.transactional_disabled.contains(&purpose) {
            continue;
        }
        if queue(&scope.conn(), purpose, member, key, now).await? {
            report.found += 1;
        }
    }
    if let Some(next) = next {
        CONSUMER.advance(&base.db, next, now).await?;
    }
    Ok(())
}

/// (purpose, member, unique key) of the reminders due by date: points expiring within the
/// brand's notice period (once per lot), paid memberships renewing within it (once per period).
async fn reminders<C: ConnectionTrait>(
    conn: &Scoped<C>,
    settings: &crate::engagement::mail_settings::Settings,
    now: DateTime<Utc>,
) -> Result<Vec<(TemplatePurpose, Uuid, String)>, AppError> {
    let on = |p| !settings.transactional_disabled.contains(&p);
    let mut out = Vec::new();
    let horizon = now + Duration::days(i64::from(settings.notice_days));
    if on(TemplatePurpose::PointsExpiring) {
        for lot in conn
            .find::<point_lot::Entity>()
            .filter(point_lot::Column::Remaining.gt(0))
            .filter(point_lot::Column::ExpiresAt.gt(now))
            .filter(point_lot::Column::ExpiresAt.lte(horizon))
            .all(conn.db())
            .await?
        {
            out.push((
                TemplatePurpose::PointsExpiring,
                lot.member_id,
                format!("expiring:{}", lot.id),
            ));
        }
    }
    if on(TemplatePurpose::MembershipRenewal) {
        for m in conn
            .find::<membership::Entity>()
            .filter(membership::Column::AutoRenew.eq(true))
            .filter(membership::Column::CancelledAt.is_null())
            .filter(membership::Column::PeriodEnd.gt(now))
            .filter(membership::Column::PeriodEnd.lte(horizon))
            .all(conn.db())
            .await?
        {
            out.push((
                TemplatePurpose::MembershipRenewal,
                m.member_id,
                format!("renewal:{}:{}", m.id, m.period_end.timestamp()),
            ));
        }
    }
    Ok(out)
}

async fn deliver<C: ConnectionTrait>(
    links: &Links,
    post: &Post,
    conn: &Scoped<C>,
    settings: &crate::engagement::mail_settings::Settings,
    now: DateTime<Utc>,
    report: &mut Report,
) -> Result<(), AppError> {
    let due = conn
        .find::<transactional_mail::Entity>()
        .filter(transactional_mail::Column::Status.eq(RecipientStatus::Queued))
        .filter(transactional_mail::Column::NextAttemptAt.lte(now))
        .order_by_asc(transactional_mail::Column::Id)
        .limit(500)
        .all(conn.db())
        .await?;
    if due.is_empty() {
        return Ok(());
    }
    if let Some(problem) = settings.sending_problem() {
        // Nothing can go out: the messages wait, saying why, until the settings are fixed
        // (`mail::release_config_holds` makes them due at once).
        let reason = format!("CONFIG: {problem}");
        let held = conn
            .update_many::<transactional_mail::Entity>()
            .col_expr(
                transactional_mail::Column::Reason,
                Expr::value(Some(reason)),
            )
            .col_expr(
                transactional_mail::Column::NextAttemptAt,
                Expr::value(now + Duration::minutes(CONFIG_RETRY_MINUTES)),
            )
            .filter(transactional_mail::Column::Id.is_in(due.iter().map(|r| r.id)))
            .filter(transactional_mail::Column::Status.eq(RecipientStatus::Queued))
            .exec(conn.db())
            .await?;
        report.held += held.rows_affected;
        return Ok(());
    }
    let brand = crate::engagement::mail_settings::brand_and_currency(conn).await?;
    for row in due {
        let claimed = conn
            .update_many::<transactional_mail::Entity>()
            .col_expr(
                transactional_mail::Column::Status,
                Expr::value(RecipientStatus::Sending),
            )
            .filter(transactional_mail::Column::Id.eq(row.id))
            .filter(transactional_mail::Column::Status.eq(RecipientStatus::Queued))
            .exec(conn.db())
            .await?
            .rows_affected
            == 1;
        if !claimed {
            continue;
        }
        let outcome = send(links, post, conn, settings, &brand, &row).await;
        let (status, reason, next) = match outcome {
            Ok(None) => {
                report.sent += 1;
                (RecipientStatus::Sent, None, None)
            }
            Ok(Some(why)) => {
                report.skipped += 1;
                (RecipientStatus::Skipped, Some(why), None)
            }
            Err(SendError::Config(e)) => {
                // Not the message's fault: held as it was, without using up an attempt.
                report.held += 1;
                conn.update_many::<transactional_mail::Entity>()
                    .col_expr(
                        transactional_mail::Column::Status,
                        Expr::value(RecipientStatus::Queued),
                    )
                    .col_expr(
                        transactional_mail::Column::Reason,
                        Expr::value(Some(format!("CONFIG: {e}"))),
                    )
                    .col_expr(
                        transactional_mail::Column::NextAttemptAt,
                        Expr::value(now + Duration::minutes(CONFIG_RETRY_MINUTES)),
                    )
                    .filter(transactional_mail::Column::Id.eq(row.id))
                    .exec(conn.db())
                    .await?;
                continue;
            }
            Err(SendError::Temporary(e)) if row.attempts + 1 < MAX_ATTEMPTS => {
                report.retried += 1;
                let wait = Duration::minutes(1 << row.attempts.clamp(0, 10));
                (
                    RecipientStatus::Queued,
                    Some(format!("TEMPORARY: {e}")),
                    Some(now + wait),
                )
            }
            Err(e) => {
                report.failed += 1;
                (RecipientStatus::Failed, Some(e.to_string()), None)
            }
        };
        let mut update = conn
            .update_many::<transactional_mail::Entity>()
            .col_expr(transactional_mail::Column::Status, Expr::value(status))
            .col_expr(transactional_mail::Column::Reason, Expr::value(reason))
            .col_expr(
                transactional_mail::Column::Attempts,
                Expr::col(transactional_mail::Column::Attempts).add(1),
            )
            .filter(transactional_mail::Column::Id.eq(row.id));
        if status == RecipientStatus::Sent {
            update = update.col_expr(
                transactional_mail::Column::SentAt,
                Expr::value(Some(conn.now())),
            );
        }
        if let Some(next) = next {
            update = update.col_expr(transactional_mail::Column::NextAttemptAt, Expr::value(next));
        }
        update.exec(conn.db()).await?;
    }
    Ok(())
}

/// Sends one message; `Ok(Some(reason))` when there is nobody to send it to.
async fn send<C: ConnectionTrait>(
    links: &Links,
    post: &Post,
    conn: &Scoped<C>,
    settings: &crate::engagement::mail_settings::Settings,
    (brand, currency): &(
        crate::engagement::mail_templates::BrandData,
        crate::core::types::Currency,
    ),
    row: &transactional_mail::Model,
) -> Result<Option<String>, SendError> {
    let internal = |e: AppError| SendError::Temporary(e.to_string());
    let Ok(member) = conn.get::<member::Entity>(row.member_id).await else {
        return Ok(Some("NO_MEMBER: erased or gone".to_owned()));
    };
    let Some(email) = member.email.clone() else {
        return Ok(Some("NO_ADDRESS".to_owned()));
    };
    // Invitations to a club or an event are offers, not service messages: only with the
    // member's e-mail consent and to an address on no suppression list.
    if matches!(
        row.purpose,
        TemplatePurpose::ClubInvitation | TemplatePurpose::EventInvitation
    ) {
        if !member.email_consent {
            return Ok(Some(
                "NO_CONSENT: invitations need e-mail consent".to_owned(),
            ));
        }
        let suppressed = conn
            .find::<suppression::Entity>()
            .filter(suppression::Column::Email.eq(&email))
            .one(conn.db())
            .await
            .map_err(|e| SendError::Temporary(e.to_string()))?;
        if let Some(s) = suppressed {
            return Ok(Some(format!("SUPPRESSED: {}", s.reason.to_value())));
        }
    }
    let bounced = conn
        .find::<suppression::Entity>()
        .filter(suppression::Column::Email.eq(&email))
        .filter(suppression::Column::Reason.eq(suppression::SuppressionReason::Bounced))
        .one(conn.db())
        .await
        .map_err(|e| SendError::Temporary(e.to_string()))?;
    if bounced.is_some() {
        return Ok(Some("BOUNCED: the address bounced before".to_owned()));
    }
    let mut data =
        crate::engagement::mail_settings::data_of(links, conn, member, brand.clone(), currency)
            .await
            .map_err(internal)?;
    if let Some(id) = row
        .subject_key
        .strip_prefix("voucher:")
        .and_then(|v| Uuid::parse_str(v).ok())
        && let Ok(v) = conn.get::<voucher::Entity>(id).await
    {
        data.voucher = Some(VoucherData {
            code: v.code,
            label: v.label,
            amount_minor: v.amount_minor,
            percent: v.percent,
            valid_until: v.valid_until,
        });
    }
    if let Some(rest) = row.subject_key.strip_prefix("renewal:")
        && let Some(id) = rest.split(':').next().and_then(|v| Uuid::parse_str(v).ok())
        && let Ok(m) = conn.get::<membership::Entity>(id).await
    {
        data.membership = Some(MembershipData {
            period_end: m.period_end,
        });
    }
    if let Some(id) = row
        .subject_key
        .strip_prefix("contest:")
        .and_then(|v| Uuid::parse_str(v).ok())
        && let Ok(event) = conn.get::<entity::event::Entity>(id).await
    {
        data.contest = Some(ContestData {
            name: event.payload["contestName"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            prize: event.payload["prizeName"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            claim_until: serde_json::from_value(event.payload["claimUntil"].clone())
                .unwrap_or(event.created_at),
        });
    }
    if let Some(id) = row
        .subject_key
        .strip_prefix("club:")
        .and_then(|v| Uuid::parse_str(v).ok())
        && let Ok(event) = conn.get::<entity::event::Entity>(id).await
    {
        data.club = Some(ClubData {
            name: event.payload["clubName"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        });
    }
    if let Some(id) = row
        .subject_key
        .strip_prefix("event:")
        .and_then(|v| Uuid::parse_str(v).ok())
        && let Ok(event) = conn.get::<entity::event::Entity>(id).await
    {
        let starts: DateTime<Utc> =
            serde_json::from_value(event.payload["startsAt"].clone()).unwrap_or(event.created_at);
        let zone = conn
            .brand()
            .await
            .ok()
            .and_then(|b| b.timezone.parse::<chrono_tz::Tz>().ok())
            .unwrap_or(chrono_tz::UTC);
        let local = starts.with_timezone(&zone);
        data.event = Some(EventData {
            name: event.payload["eventName"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            place: event.payload["place"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            date: match brand.lang {
                crate::core::i18n::Lang::Fr => local.format("%d/%m/%Y").to_string(),
                crate::core::i18n::Lang::En => local.format("%Y-%m-%d").to_string(),
            },
            time: local.format("%H:%M").to_string(),
        });
    }
    let own = conn
        .find::<email_template::Entity>()
        .filter(email_template::Column::Purpose.eq(row.purpose))
        .order_by_desc(email_template::Column::UpdatedAt)
        .one(conn.db())
        .await
        .map_err(|e| SendError::Temporary(e.to_string()))?;
    let parts = own.map_or_else(
        || default_template(row.purpose, brand.lang),
        |t| Parts {
            subject: t.subject,
            html: t.html,
            text: t.text,
        },
    );
    let rendered = crate::engagement::mail_templates::render(&parts, &data)
        .map_err(|e| SendError::Invalid(format!("the template does not render: {e}")))?;
    post.mailer
        .send_marketing(MarketingMail {
            from_name: settings.from_name.clone(),
            from_address: settings.from_address.clone(),
            reply_to: settings.reply_to.clone(),
            dkim: settings.dkim.clone(),
            to: email,
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
            unsubscribe_url: None,
        })
        .await?;
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engagement::mail_templates::{BrandData, Data, check, render};

    #[test]
    fn every_default_template_is_valid_and_renders() {
        let data = Data::sample(
            BrandData {
                name: "B".into(),
                slug: "b".into(),
                ..BrandData::default()
            },
            "EUR",
            2,
            "https://x.example",
        );
        for lang in [Lang::Fr, Lang::En] {
            for p in PURPOSES {
                let parts = default_template(p, lang);
                assert!(check(&parts).is_ok(), "{p:?}");
                let r = render(&parts, &data).unwrap_or_else(|e| panic!("{p:?}: {e:?}"));
                assert!(!r.subject.is_empty() && !r.text.is_empty() && !r.html.is_empty());
                assert!(r.html.contains(&format!("lang=\"{}\"", lang.code())));
            }
        }
        let fr = render(&default_template(TemplatePurpose::Welcome, Lang::Fr), &data)
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert!(fr.text.starts_with("Bonjour Camille,"), "{}", fr.text);
        assert_eq!(fr.subject, "Bienvenue chez B");
        assert_eq!(
            parse_list(&join_list(&[
                TemplatePurpose::Birthday,
                TemplatePurpose::Welcome
            ])),
            [TemplatePurpose::Welcome, TemplatePurpose::Birthday]
        );
    }
}
