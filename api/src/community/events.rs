//! Events (événements, ventes privées, ateliers): a date and time, a place, a capacity and an
//! audience (a club, a saved segment, tiers, or an invitation list). Members are invited by
//! mail and answer yes or no; a yes when every seat is taken puts them on the waitlist, and a
//! seat that frees goes to the first on it (mailed). The seats taken are one counter on the
//! event moved by conditional updates in the same transaction as the guest's row, so racing
//! answers never exceed the capacity. Guests are reminded the day before (the `clubs and
//! events` job), checked in at the door by staff (card number), and rewarded once for coming
//! (points and/or a voucher).

use chrono::{DateTime, Duration, Utc};
use entity::{
    community_event::{self, EventKind},
    event_guest::{self, GuestStatus},
    ledger_account::AccountKind,
    ledger_transaction::TransactionKind,
    member,
    voucher::VoucherSource,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, ExprTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, sea_query::Expr,
};
use serde::Serialize;
use uuid::Uuid;

use crate::core::{
    deps::Base,
    error::AppError,
    events,
    idempotency::Idempotency,
    ledger::CauseType,
    tenancy::{Scoped, TenantScope},
    types::text,
};

/// Whether the member's personal data was erased (they may no longer be signed up to anything).
pub(crate) fn erased(m: &member::Model) -> bool {
    m.attributes.get("erased_at").is_some()
}

/// Check-in opens this long before the start.
pub const CHECK_IN_OPENS: Duration = Duration::hours(2);
/// Reminders go out this long before the start.
pub const REMINDER_AHEAD: Duration = Duration::hours(24);

/// An event as the brand sets it.
#[derive(Debug, Clone, Serialize)]
pub struct EventSpec {
    pub name: String,
    pub description: Option<String>,
    pub kind: EventKind,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub place: String,
    pub capacity: i32,
    pub invitation_only: bool,
    pub club_id: Option<Uuid>,
    pub segment_id: Option<Uuid>,
    pub tier_names: Vec<String>,
    pub program_id: Option<Uuid>,
    pub reward_points: i64,
    pub reward_voucher_minor: i64,
    pub voucher_valid_days: i32,
}

impl EventSpec {
    /// Times as the databases keep them (microseconds: PostgreSQL drops the nanoseconds), so
    /// that the same time sent again reads as unchanged.
    fn stored(mut self) -> Self {
        use chrono::SubsecRound;
        self.starts_at = self.starts_at.trunc_subsecs(6);
        self.ends_at = self.ends_at.trunc_subsecs(6);
        self
    }
}

pub fn tiers_of(e: &community_event::Model) -> Vec<String> {
    e.tier_names
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default()
}

struct Clean {
    name: String,
    description: Option<String>,
    place: String,
    tiers: Option<String>,
}

async fn validate(
    scope: &TenantScope,
    spec: &EventSpec,
    club_before: Option<Uuid>,
) -> Result<Clean, AppError> {
    let bad = |field: &'static str, message: &str| Err(AppError::validation(field, message));
    let name = text("input.name", &spec.name, 120)?;
    let description = spec
        .description
        .as_deref()
        .filter(|d| !d.trim().is_empty())
        .map(|d| text("input.description", d, 2_000))
        .transpose()?;
    let place = text("input.place", &spec.place, 300)?;
    if spec.ends_at <= spec.starts_at {
        return bad("input.endsAt", "must be after startsAt");
    }
    if spec.ends_at - spec.starts_at > Duration::days(31) {
        return bad("input.endsAt", "an event lasts at most 31 days");
    }
    if spec.starts_at > scope.now() + Duration::days(730) {
        return bad("input.startsAt", "must be within two years");
    }
    if !(1..=100_000).contains(&spec.capacity) {
        return bad("input.capacity", "must be between 1 and 100000");
    }
    let tiers: Vec<String> = spec
        .tier_names
        .iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    if tiers.len() > 20 || tiers.iter().any(|t| t.chars().count() > 60) {
        return bad("input.tierNames", "at most 20 tier names of 60 characters");
    }
    if !(0..=1_000_000_000).contains(&spec.reward_points) {
        return bad("input.rewardPoints", "must be between 0 and 1000000000");
    }
    if !(0..=100_000_000).contains(&spec.reward_voucher_minor) {
        return bad(
            "input.rewardVoucherMinor",
            "must be between 0 and 100000000",
        );
    }
    if !(1..=3_650).contains(&spec.voucher_valid_days) {
        return bad("input.voucherValidDays", "must be between 1 and 3650");
    }
    if spec.reward_points > 0 && spec.program_id.is_none() {
        return bad(
            "input.programId",
            "name the points program attendance points are credited to",
        );
    }
    if let Some(program) = spec.program_id {
        let p = crate::loyalty::programs::get(scope, program).await?;
        if p.rules.points().is_none() {
            return bad("input.programId", "is not a points program");
        }
    }
    if let Some(club) = spec.club_id.filter(|c| Some(*c) != club_before)
        && crate::community::clubs::get(scope, club)
            .await?
            .archived_at
            .is_some()
    {
        return bad("input.clubId", "names a closed club");
    }
    if let Some(segment) = spec.segment_id {
        scope.conn().get::<entity::segment::Entity>(segment).await?;
    }
    Ok(Clean {
        name,
        description,
        place,
        tiers: (!tiers.is_empty())
            .then(|| serde_json::to_string(&tiers))
            .transpose()
            .map_err(|e| AppError::Internal(e.into()))?,
    })
}

/// Creates an event.
pub async fn create(
    scope: &TenantScope,
    spec: EventSpec,
    idempotency_key: Option<&str>,
) -> Result<community_event::Model, AppError> {
    let spec = spec.stored();
    let idem = Idempotency::optional(
        scope.tenant_id().to_string(),
        "createEvent",
        idempotency_key,
        &spec,
    )?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.replay(scope.conn().db()).await?
    {
        let id = crate::core::idempotency::recorded_id(&previous, "event")?;
        return scope.conn().get::<community_event::Entity>(id).await;
    }
    let clean = validate(scope, &spec, None).await?;
    let now = scope.now();
    if spec.starts_at <= now {
        return Err(AppError::validation(
            "input.startsAt",
            "must be in the future",
        ));
    }
    let tx = scope.begin().await?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.claim(tx.db()).await?
    {
        drop(tx);
        let id = crate::core::idempotency::recorded_id(&previous, "event")?;
        return scope.conn().get::<community_event::Entity>(id).await;
    }
    let saved = tx
        .insert(community_event::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(scope.tenant_id()),
            name: Set(clean.name),
            description: Set(clean.description),
            kind: Set(spec.kind),
            starts_at: Set(spec.starts_at),
            ends_at: Set(spec.ends_at),
            place: Set(clean.place),
            capacity: Set(spec.capacity),
            seats_taken: Set(0),
            invitation_only: Set(spec.invitation_only),
            club_id: Set(spec.club_id),
            segment_id: Set(spec.segment_id),
            tier_names: Set(clean.tiers),
            program_id: Set(spec.program_id),
            reward_points: Set(spec.reward_points),
            reward_voucher_minor: Set(spec.reward_voucher_minor),
            voucher_valid_days: Set(spec.voucher_valid_days),
            reminders_sent_at: Set(None),
            cancelled_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .await?;
    events::append(
        &tx,
        "event.created",
        Some(saved.id),
        None,
        serde_json::json!({ "name": saved.name, "startsAt": saved.starts_at }),
    )
    .await?;
    if let Some(idem) = &idem {
        idem.record(tx.db(), serde_json::json!({ "event": saved.id }))
            .await?;
    }
    tx.commit().await?;
    Ok(saved)
}

/// Changes an event before it starts. The capacity may not go under the seats taken; a larger
/// one gives the new seats to the waitlist, in order.
pub async fn update(
    scope: &TenantScope,
    id: Uuid,
    spec: EventSpec,
) -> Result<community_event::Model, AppError> {
    let spec = spec.stored();
    let club_before = get(scope, id).await?.club_id;
    let clean = validate(scope, &spec, club_before).await?;
    let now = scope.now();
    if spec.starts_at <= now {
        return Err(AppError::validation(
            "input.startsAt",
            "must be in the future",
        ));
    }
    let tx = scope.begin().await?;
    let current = tx.get_for_update::<community_event::Entity>(id).await?;
    if current.cancelled_at.is_some() || current.starts_at <= now {
        return Err(AppError::conflict(
            "an event can be changed only before it starts, and not once cancelled",
        ));
    }
    if spec.capacity < current.seats_taken {
        return Err(AppError::validation(
            "input.capacity",
            "is below the seats already taken",
        ));
    }
    let moved = current.starts_at != spec.starts_at;
    let told = moved || current.ends_at != spec.ends_at || current.place != clean.place;
    if moved {
        // A new date: the day-before reminder goes out again.
        tx.update_many::<event_guest::Entity>()
            .col_expr(
                event_guest::Column::RemindedAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(event_guest::Column::EventId.eq(id))
            .exec(tx.db())
            .await?;
    }
    let mut model: community_event::ActiveModel = current.into();
    if moved {
        model.reminders_sent_at = Set(None);
    }
    model.name = Set(clean.name);
    model.description = Set(clean.description);
    model.kind = Set(spec.kind);
    model.starts_at = Set(spec.starts_at);
    model.ends_at = Set(spec.ends_at);
    model.place = Set(clean.place);
    model.capacity = Set(spec.capacity);
    model.invitation_only = Set(spec.invitation_only);
    model.club_id = Set(spec.club_id);
    model.segment_id = Set(spec.segment_id);
    model.tier_names = Set(clean.tiers);
    model.program_id = Set(spec.program_id);
    model.reward_points = Set(spec.reward_points);
    model.reward_voucher_minor = Set(spec.reward_voucher_minor);
    model.voucher_valid_days = Set(spec.voucher_valid_days);
    model.updated_at = Set(now);
    let saved = tx.update(model).await?;
    if told {
        // A new date, time or place: everyone with a seat or waiting for one is told (mailed).
        for g in tx
            .find::<event_guest::Entity>()
            .filter(event_guest::Column::EventId.eq(id))
            .filter(
                event_guest::Column::Status.is_in([GuestStatus::Going, GuestStatus::Waitlisted]),
            )
            .all(tx.db())
            .await?
        {
            events::append(
                &tx,
                "event.changed",
                Some(id),
                Some(g.member_id),
                mail_payload(&saved),
            )
            .await?;
        }
    }
    promote(&tx, &saved).await?;
    tx.commit().await?;
    get(scope, id).await
}

/// Cancels an event (guests are told by the `event.cancelled` event). Idempotent.
pub async fn cancel(scope: &TenantScope, id: Uuid) -> Result<community_event::Model, AppError> {
    let now = scope.now();
    let tx = scope.begin().await?;
    let current = tx.get_for_update::<community_event::Entity>(id).await?;
    if current.cancelled_at.is_some() {
        return Ok(current);
    }
    if current.starts_at <= now {
        return Err(AppError::conflict(
            "an event can be cancelled only before it starts",
        ));
    }
    let mut model: community_event::ActiveModel = current.into();
    model.cancelled_at = Set(Some(now));
    model.updated_at = Set(now);
    let saved = tx.update(model).await?;
    events::append(
        &tx,
        "event.cancelled",
        Some(saved.id),
        None,
        serde_json::json!({ "name": saved.name }),
    )
    .await?;
    // Everyone with a seat or waiting for one is told (mailed).
    for g in tx
        .find::<event_guest::Entity>()
        .filter(event_guest::Column::EventId.eq(saved.id))
        .filter(event_guest::Column::Status.is_in([GuestStatus::Going, GuestStatus::Waitlisted]))
        .all(tx.db())
        .await?
    {
        events::append(
            &tx,
            "event.cancelled_for",
            Some(saved.id),
            Some(g.member_id),
            mail_payload(&saved),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(saved)
}

pub async fn get(scope: &TenantScope, id: Uuid) -> Result<community_event::Model, AppError> {
    scope.conn().get::<community_event::Entity>(id).await
}

/// The brand's events: upcoming and running ones (or all), soonest first (at most 500).
pub async fn list(
    scope: &TenantScope,
    past_too: bool,
) -> Result<Vec<community_event::Model>, AppError> {
    let conn = scope.conn();
    let mut q = conn
        .find::<community_event::Entity>()
        .order_by_asc(community_event::Column::StartsAt)
        .limit(500);
    if !past_too {
        q = q.filter(community_event::Column::EndsAt.gt(scope.now()));
    }
    Ok(q.all(conn.db()).await?)
}

/// The guests of an event in a status (all when none): the waitlist in its order, then the
/// others (at most 5000).
pub async fn guests(
    scope: &TenantScope,
    event: Uuid,
    status: Option<GuestStatus>,
) -> Result<Vec<event_guest::Model>, AppError> {
    let conn = scope.conn();
    conn.get::<community_event::Entity>(event).await?;
    let mut q = conn
        .find::<event_guest::Entity>()
        .filter(event_guest::Column::EventId.eq(event))
        .order_by_asc(event_guest::Column::Id)
        .limit(5000);
    if let Some(s) = status {
        q = q.filter(event_guest::Column::Status.eq(s));
    }
    let mut rows = q.all(conn.db()).await?;
    // The waitlist first, in its order; then everyone else by id (the same on every database,
    // whatever each puts first of NULLs).
    rows.sort_by_key(|g| (g.waitlisted_at.is_none(), g.waitlisted_at, g.id));
    Ok(rows)
}

/// A waitlisted guest's place on the waitlist (1: next to get a seat).
pub async fn waitlist_position(
    scope: &TenantScope,
    guest: &event_guest::Model,
) -> Result<Option<u64>, AppError> {
    let Some(at) = guest
        .waitlisted_at
        .filter(|_| guest.status == GuestStatus::Waitlisted)
    else {
        return Ok(None);
    };
    let conn = scope.conn();
    let before = conn
        .find::<event_guest::Entity>()
        .filter(event_guest::Column::EventId.eq(guest.event_id))
        .filter(event_guest::Column::Status.eq(GuestStatus::Waitlisted))
        .filter(
            sea_orm::Condition::any()
                .add(event_guest::Column::WaitlistedAt.lt(at))
                .add(
                    sea_orm::Condition::all()
                        .add(event_guest::Column::WaitlistedAt.eq(at))
                        .add(event_guest::Column::Id.lt(guest.id)),
                ),
        )
        .count(conn.db())
        .await?;
    Ok(Some(before + 1))
}

async fn row<C: ConnectionTrait>(
    tx: &Scoped<C>,
    event: Uuid,
    member: Uuid,
) -> Result<event_guest::Model, AppError> {
    tx.insert_if_absent(
        event_guest::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tx.tenant_id()),
            event_id: Set(event),
            member_id: Set(member),
            status: Set(GuestStatus::Declined),
            invited_at: Set(None),
            responded_at: Set(None),
            waitlisted_at: Set(None),
            checked_in_at: Set(None),
            rewarded_at: Set(None),
            reward_points: Set(0),
            reward_voucher_id: Set(None),
            reminded_at: Set(None),
            updated_at: Set(tx.now()),
        },
        vec![
            event_guest::Column::TenantId,
            event_guest::Column::EventId,
            event_guest::Column::MemberId,
        ],
    )
    .await?;
    tx.find::<event_guest::Entity>()
        .filter(event_guest::Column::EventId.eq(event))
        .filter(event_guest::Column::MemberId.eq(member))
        .one(tx.db())
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("guest row vanished")))
}

/// Why a member may not answer yes (None: they may). An invitation opens any event.
pub async fn not_for<C: ConnectionTrait>(
    tx: &Scoped<C>,
    e: &community_event::Model,
    member: Uuid,
    invited: bool,
) -> Result<Option<&'static str>, AppError> {
    if invited {
        return Ok(None);
    }
    if e.invitation_only {
        return Ok(Some("this event is by invitation"));
    }
    if let Some(club) = e.club_id
        && !crate::community::clubs::is_active(tx, club, member).await?
    {
        return Ok(Some("this event is for the members of a club"));
    }
    if let Some(segment) = e.segment_id
        && !crate::engagement::audiences::segment_contains(tx, segment, member).await?
    {
        return Ok(Some("this event is for another group of members"));
    }
    let wanted = tiers_of(e);
    if !wanted.is_empty() {
        let held = crate::loyalty::tiers::names_held(tx, member).await?;
        if !crate::loyalty::tiers::holds_any(&held, &wanted) {
            return Ok(Some("this event is for members of other tiers"));
        }
    }
    Ok(None)
}

/// Takes a seat if one is left (the conditional update is the capacity's guard).
async fn take_seat<C: ConnectionTrait>(tx: &Scoped<C>, event: Uuid) -> Result<bool, AppError> {
    let moved = tx
        .update_many::<community_event::Entity>()
        .col_expr(
            community_event::Column::SeatsTaken,
            Expr::col(community_event::Column::SeatsTaken).add(1),
        )
        .filter(community_event::Column::Id.eq(event))
        .filter(
            Expr::col(community_event::Column::SeatsTaken)
                .lt(Expr::col(community_event::Column::Capacity)),
        )
        .exec(tx.db())
        .await?;
    Ok(moved.rows_affected == 1)
}

async fn free_seat<C: ConnectionTrait>(tx: &Scoped<C>, event: Uuid) -> Result<(), AppError> {
    tx.update_many::<community_event::Entity>()
        .col_expr(
            community_event::Column::SeatsTaken,
            Expr::col(community_event::Column::SeatsTaken).sub(1),
        )
        .filter(community_event::Column::Id.eq(event))
        .filter(community_event::Column::SeatsTaken.gt(0))
        .exec(tx.db())
        .await?;
    Ok(())
}

/// Moves guests from the waitlist, in order, into the seats left; each is told by an
/// `event.seat` event (mailed).
async fn promote<C: ConnectionTrait>(
    tx: &Scoped<C>,
    e: &community_event::Model,
) -> Result<u64, AppError> {
    let mut promoted = 0;
    loop {
        let Some(first) = tx
            .find::<event_guest::Entity>()
            .filter(event_guest::Column::EventId.eq(e.id))
            .filter(event_guest::Column::Status.eq(GuestStatus::Waitlisted))
            .order_by_asc(event_guest::Column::WaitlistedAt)
            .order_by_asc(event_guest::Column::Id)
            .one(tx.db())
            .await?
        else {
            break;
        };
        if !take_seat(tx, e.id).await? {
            break;
        }
        let moved = tx
            .update_many::<event_guest::Entity>()
            .col_expr(event_guest::Column::Status, Expr::value(GuestStatus::Going))
            .col_expr(
                event_guest::Column::WaitlistedAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(event_guest::Column::UpdatedAt, Expr::value(tx.now()))
            .filter(event_guest::Column::Id.eq(first.id))
            .filter(event_guest::Column::Status.eq(GuestStatus::Waitlisted))
            .exec(tx.db())
            .await?;
        if moved.rows_affected != 1 {
            free_seat(tx, e.id).await?;
            continue;
        }
        promoted += 1;
        events::append(
            tx,
            "event.seat",
            Some(e.id),
            Some(first.member_id),
            mail_payload(e),
        )
        .await?;
    }
    Ok(promoted)
}

/// What the event's mails say (engagement does not read events).
fn mail_payload(e: &community_event::Model) -> serde_json::Value {
    serde_json::json!({
        "eventId": e.id,
        "eventName": e.name,
        "startsAt": e.starts_at,
        "place": e.place,
    })
}

/// A member's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Answer {
    Yes,
    No,
}

/// A member answers (themselves, or staff for them). Yes: a seat if one is left, else the
/// waitlist; no: the seat (or the waitlist place) is given up and goes to the next on the
/// waitlist. Answering the same again changes nothing. Answers close when the event starts.
pub async fn respond(
    scope: &TenantScope,
    event: Uuid,
    member: Uuid,
    answer: Answer,
    idempotency_key: Option<&str>,
) -> Result<event_guest::Model, AppError> {
    let idem = Idempotency::optional(
        scope.tenant_id().to_string(),
        "respondToEvent",
        idempotency_key,
        &(event, member, answer),
    )?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.replay(scope.conn().db()).await?
    {
        let id = crate::core::idempotency::recorded_id(&previous, "guest")?;
        return scope.conn().get::<event_guest::Entity>(id).await;
    }
    get(scope, event).await?;
    let m = scope.conn().get::<member::Entity>(member).await?;
    if erased(&m) && answer == Answer::Yes {
        return Err(AppError::conflict("this member's data was erased"));
    }
    let now = scope.now();
    let tx = scope.begin().await?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.claim(tx.db()).await?
    {
        drop(tx);
        let id = crate::core::idempotency::recorded_id(&previous, "guest")?;
        return scope.conn().get::<event_guest::Entity>(id).await;
    }
    // The event's row first, in every transaction that moves its seats or guests: answers,
    // check-ins, invitations, reminders and changes of one event run one after the other, and
    // always take their locks in the same order (event, then guests).
    let e = tx.get_for_update::<community_event::Entity>(event).await?;
    if e.cancelled_at.is_some() {
        return Err(AppError::conflict("this event is cancelled"));
    }
    if e.starts_at <= now {
        return Err(AppError::conflict("answers closed when the event started"));
    }
    let current = row(&tx, e.id, member).await?;
    let never_asked = current.invited_at.is_none() && current.responded_at.is_none();
    if never_asked && let Some(why) = not_for(&tx, &e, member, false).await? {
        // Not even a "no" from someone the event is not for (nothing is written).
        return Err(AppError::conflict(why));
    }
    if current.checked_in_at.is_some() {
        return Err(AppError::conflict("already checked in at the door"));
    }
    match answer {
        Answer::Yes => {
            if !matches!(current.status, GuestStatus::Going | GuestStatus::Waitlisted) {
                if let Some(why) = not_for(&tx, &e, member, current.invited_at.is_some()).await? {
                    return Err(AppError::conflict(why));
                }
                // The guest's row first (a racing answer of the same member waits on it and
                // then finds it moved), then the seat.
                let moved = tx
                    .update_many::<event_guest::Entity>()
                    .col_expr(event_guest::Column::Status, Expr::value(GuestStatus::Going))
                    .col_expr(event_guest::Column::RespondedAt, Expr::value(Some(now)))
                    .col_expr(event_guest::Column::UpdatedAt, Expr::value(now))
                    .filter(event_guest::Column::Id.eq(current.id))
                    .filter(
                        event_guest::Column::Status
                            .is_in([GuestStatus::Invited, GuestStatus::Declined]),
                    )
                    .exec(tx.db())
                    .await?;
                if moved.rows_affected == 1 {
                    let seated = take_seat(&tx, e.id).await?;
                    if !seated {
                        // Strictly after everyone already waiting (the event's lock orders the
                        // answers; equal clocks must not fall back on row order).
                        let last = tx
                            .find::<event_guest::Entity>()
                            .filter(event_guest::Column::EventId.eq(e.id))
                            .filter(event_guest::Column::Status.eq(GuestStatus::Waitlisted))
                            .order_by_desc(event_guest::Column::WaitlistedAt)
                            .one(tx.db())
                            .await?
                            .and_then(|g| g.waitlisted_at);
                        let place =
                            last.map_or(now, |l| Ord::max(now, l + Duration::microseconds(1)));
                        tx.update_many::<event_guest::Entity>()
                            .col_expr(
                                event_guest::Column::Status,
                                Expr::value(GuestStatus::Waitlisted),
                            )
                            .col_expr(event_guest::Column::WaitlistedAt, Expr::value(Some(place)))
                            .filter(event_guest::Column::Id.eq(current.id))
                            .exec(tx.db())
                            .await?;
                    }
                    events::append(
                        &tx,
                        if seated {
                            "event.accepted"
                        } else {
                            "event.waitlisted"
                        },
                        Some(e.id),
                        Some(member),
                        serde_json::json!({}),
                    )
                    .await?;
                }
            }
        }
        Answer::No => {
            let moved = tx
                .update_many::<event_guest::Entity>()
                .col_expr(
                    event_guest::Column::Status,
                    Expr::value(GuestStatus::Declined),
                )
                .col_expr(event_guest::Column::RespondedAt, Expr::value(Some(now)))
                .col_expr(
                    event_guest::Column::WaitlistedAt,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .col_expr(event_guest::Column::UpdatedAt, Expr::value(now))
                .filter(event_guest::Column::Id.eq(current.id))
                .filter(event_guest::Column::Status.eq(current.status))
                .filter(event_guest::Column::Status.ne(GuestStatus::Declined))
                .exec(tx.db())
                .await?;
            if moved.rows_affected == 1 {
                events::append(
                    &tx,
                    "event.declined",
                    Some(e.id),
                    Some(member),
                    serde_json::json!({}),
                )
                .await?;
                if current.status == GuestStatus::Going {
                    free_seat(&tx, e.id).await?;
                    promote(&tx, &e).await?;
                }
            } else if current.status != GuestStatus::Declined {
                return Err(AppError::conflict(
                    "the answer changed meanwhile; try again",
                ));
            }
        }
    }
    let saved = tx.get::<event_guest::Entity>(current.id).await?;
    if let Some(idem) = &idem {
        idem.record(tx.db(), serde_json::json!({ "guest": saved.id }))
            .await?;
    }
    tx.commit().await?;
    Ok(saved)
}

/// Invites members (each mailed once): the ones named, or, with none named, every member of
/// the event's audience (its club, segment or tiers) who accepts mail. Returns how many were
/// newly invited.
pub async fn invite(
    scope: &TenantScope,
    event: Uuid,
    members: Option<&[Uuid]>,
) -> Result<u64, AppError> {
    let e = get(scope, event).await?;
    if e.cancelled_at.is_some() || e.starts_at <= scope.now() {
        return Err(AppError::conflict(
            "invitations go out before the event starts, and not once cancelled",
        ));
    }
    let conn = scope.conn();
    let list: Vec<Uuid> = match members {
        Some(m) => {
            if m.is_empty() || m.len() > 1000 {
                return Err(AppError::validation(
                    "memberIds",
                    "invite 1 to 1000 members at a time",
                ));
            }
            let mut out = Vec::new();
            for &id in m {
                if !erased(&conn.get::<member::Entity>(id).await?) {
                    out.push(id);
                }
            }
            out
        }
        None => {
            if e.club_id.is_none() && e.segment_id.is_none() && tiers_of(&e).is_empty() {
                return Err(AppError::validation(
                    "memberIds",
                    "name the members to invite: this event has no audience (club, segment or tiers)",
                ));
            }
            // The audience (club, segment, tiers) as a campaign filter, evaluated once over the
            // brand's members: those it may mail (address, consent, no suppression).
            use crate::engagement::audiences::Filter;
            let mut all = Vec::new();
            if let Some(club) = e.club_id {
                all.push(Filter {
                    club_id: Some(club),
                    ..Filter::default()
                });
            }
            if let Some(segment) = e.segment_id {
                all.push(Filter {
                    segment_id: Some(segment),
                    ..Filter::default()
                });
            }
            let tiers = tiers_of(&e);
            if !tiers.is_empty() {
                all.push(Filter {
                    any: tiers
                        .into_iter()
                        .map(|t| Filter {
                            tier: Some(t),
                            ..Filter::default()
                        })
                        .collect(),
                    ..Filter::default()
                });
            }
            crate::engagement::audiences::evaluate(
                &conn,
                &Filter {
                    all,
                    ..Filter::default()
                },
            )
            .await?
            .mailable
            .into_iter()
            .map(|m| m.id)
            .collect()
        }
    };
    let now = scope.now();
    let mut invited = 0;
    for chunk in list.chunks(200) {
        let tx = scope.begin().await?;
        let e = tx.get_for_update::<community_event::Entity>(e.id).await?;
        if e.cancelled_at.is_some() || e.starts_at <= scope.now() {
            return Err(AppError::conflict(
                "invitations go out before the event starts, and not once cancelled",
            ));
        }
        for &m in chunk {
            let current = row(&tx, e.id, m).await?;
            if current.invited_at.is_some()
                || matches!(current.status, GuestStatus::Going | GuestStatus::Waitlisted)
            {
                continue;
            }
            let moved = tx
                .update_many::<event_guest::Entity>()
                .col_expr(event_guest::Column::InvitedAt, Expr::value(Some(now)))
                .col_expr(
                    event_guest::Column::Status,
                    // A member who has not answered yet is now waiting to answer; one who has
                    // keeps their answer.
                    Expr::value(
                        if current.status == GuestStatus::Declined && current.responded_at.is_none()
                        {
                            GuestStatus::Invited
                        } else {
                            current.status
                        },
                    ),
                )
                .col_expr(event_guest::Column::UpdatedAt, Expr::value(now))
                .filter(event_guest::Column::Id.eq(current.id))
                .filter(event_guest::Column::Status.eq(current.status))
                .filter(event_guest::Column::InvitedAt.is_null())
                .exec(tx.db())
                .await?;
            if moved.rows_affected == 1 {
                invited += 1;
                events::append(&tx, "event.invited", Some(e.id), Some(m), mail_payload(&e)).await?;
            }
        }
        tx.commit().await?;
    }
    Ok(invited)
}

/// What a check-in did.
#[derive(Debug, Clone)]
pub struct CheckedIn {
    pub guest: event_guest::Model,
    /// False when the guest was checked in already (nothing changed).
    pub first: bool,
}

/// Checks a member in at the door (by card number or id), from two hours before the start to
/// the end. A member without a seat comes in if one is left (a walk-in); the attendance reward
/// is given once.
pub async fn check_in(
    scope: &TenantScope,
    event: Uuid,
    member: Uuid,
) -> Result<CheckedIn, AppError> {
    get(scope, event).await?;
    if erased(&scope.conn().get::<member::Entity>(member).await?) {
        return Err(AppError::conflict("this member's data was erased"));
    }
    let now = scope.now();
    let tx = scope.begin().await?;
    let e = tx.get_for_update::<community_event::Entity>(event).await?;
    if e.cancelled_at.is_some() {
        return Err(AppError::conflict("this event is cancelled"));
    }
    if now < e.starts_at - CHECK_IN_OPENS || now >= e.ends_at {
        return Err(AppError::conflict(
            "check-in is open from two hours before the start to the end",
        ));
    }
    let current = row(&tx, e.id, member).await?;
    if current.checked_in_at.is_some() {
        drop(tx);
        return Ok(CheckedIn {
            guest: current,
            first: false,
        });
    }
    if current.status != GuestStatus::Going {
        // A walk-in: the same rules as answering yes, and a seat must be left.
        if let Some(why) = not_for(&tx, &e, member, current.invited_at.is_some()).await? {
            return Err(AppError::conflict(why));
        }
        let moved = tx
            .update_many::<event_guest::Entity>()
            .col_expr(event_guest::Column::Status, Expr::value(GuestStatus::Going))
            .col_expr(
                event_guest::Column::WaitlistedAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(event_guest::Column::Id.eq(current.id))
            .filter(event_guest::Column::Status.eq(current.status))
            .exec(tx.db())
            .await?;
        if moved.rows_affected != 1 || !take_seat(&tx, e.id).await? {
            return Err(AppError::conflict("the event is full"));
        }
    }
    let moved = tx
        .update_many::<event_guest::Entity>()
        .col_expr(event_guest::Column::CheckedInAt, Expr::value(Some(now)))
        .col_expr(event_guest::Column::UpdatedAt, Expr::value(now))
        .filter(event_guest::Column::Id.eq(current.id))
        .filter(event_guest::Column::Status.eq(GuestStatus::Going))
        .filter(event_guest::Column::CheckedInAt.is_null())
        .exec(tx.db())
        .await?;
    if moved.rows_affected != 1 {
        drop(tx);
        let guest = scope.conn().get::<event_guest::Entity>(current.id).await?;
        return Ok(CheckedIn {
            guest,
            first: false,
        });
    }
    reward(&tx, &e, &current).await?;
    events::append(
        &tx,
        "event.checked_in",
        Some(e.id),
        Some(member),
        serde_json::json!({ "points": e.reward_points, "voucherMinor": e.reward_voucher_minor }),
    )
    .await?;
    let guest = tx.get::<event_guest::Entity>(current.id).await?;
    tx.commit().await?;
    Ok(CheckedIn { guest, first: true })
}

/// The attendance reward, once (the guest's `rewarded_at` moves by a conditional update).
async fn reward<C: ConnectionTrait>(
    tx: &Scoped<C>,
    e: &community_event::Model,
    guest: &event_guest::Model,
) -> Result<(), AppError> {
    if e.reward_points == 0 && e.reward_voucher_minor == 0 {
        return Ok(());
    }
    let now = tx.now();
    let moved = tx
        .update_many::<event_guest::Entity>()
        .col_expr(event_guest::Column::RewardedAt, Expr::value(Some(now)))
        .filter(event_guest::Column::Id.eq(guest.id))
        .filter(event_guest::Column::RewardedAt.is_null())
        .exec(tx.db())
        .await?;
    if moved.rows_affected != 1 {
        return Ok(());
    }
    let mut points_given = 0;
    if e.reward_points > 0
        && let Some(program) = e.program_id
    {
        crate::loyalty::grants::credit(
            tx,
            guest.member_id,
            program,
            e.reward_points,
            format!("event {}", e.name),
            (TransactionKind::Event, CauseType::Event, guest.id),
            AccountKind::BrandPointsIssued,
        )
        .await?;
        points_given = e.reward_points;
    }
    let mut voucher_id = None;
    if e.reward_voucher_minor > 0 {
        let v = crate::loyalty::vouchers::issue_amount(
            tx,
            guest.member_id,
            e.reward_voucher_minor,
            e.voucher_valid_days,
            VoucherSource::Event,
            &e.name,
        )
        .await?;
        voucher_id = Some(v.id);
    }
    tx.update_many::<event_guest::Entity>()
        .col_expr(event_guest::Column::RewardPoints, Expr::value(points_given))
        .col_expr(
            event_guest::Column::RewardVoucherId,
            Expr::value(voucher_id),
        )
        .filter(event_guest::Column::Id.eq(guest.id))
        .exec(tx.db())
        .await?;
    Ok(())
}

/// An event's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    pub invited: u64,
    /// Guests with a seat (checked in or not).
    pub accepted: u64,
    pub waitlisted: u64,
    pub declined: u64,
    pub attended: u64,
    /// Guests with a seat who did not come (counted once the event is over).
    pub no_shows: u64,
    pub seats_left: i32,
    pub points_given: i64,
    pub vouchers_given: u64,
}

pub async fn figures(scope: &TenantScope, event: Uuid) -> Result<Figures, AppError> {
    let e = get(scope, event).await?;
    let conn = scope.conn();
    let rows = conn
        .find::<event_guest::Entity>()
        .filter(event_guest::Column::EventId.eq(event))
        .all(conn.db())
        .await?;
    let over = scope.now() >= e.ends_at;
    let mut f = Figures {
        seats_left: Ord::max(e.capacity - e.seats_taken, 0),
        ..Figures::default()
    };
    for g in rows {
        f.invited += u64::from(g.invited_at.is_some());
        match g.status {
            GuestStatus::Going => f.accepted += 1,
            GuestStatus::Waitlisted => f.waitlisted += 1,
            GuestStatus::Declined if g.responded_at.is_some() => f.declined += 1,
            GuestStatus::Declined | GuestStatus::Invited => {}
        }
        if g.checked_in_at.is_some() {
            f.attended += 1;
        } else if over && g.status == GuestStatus::Going {
            f.no_shows += 1;
        }
        f.points_given += g.reward_points;
        f.vouchers_given += u64::from(g.reward_voucher_id.is_some());
    }
    Ok(f)
}

/// The events a member may see: upcoming ones they are invited to, answered, or may answer
/// yes to; with their row when they have one. Soonest first.
pub async fn for_member(
    scope: &TenantScope,
    member: Uuid,
) -> Result<Vec<(community_event::Model, Option<event_guest::Model>)>, AppError> {
    let conn = scope.conn();
    let now = scope.now();
    // The member's rows at every event, read once.
    let mut rows: std::collections::HashMap<Uuid, event_guest::Model> = conn
        .find::<event_guest::Entity>()
        .filter(event_guest::Column::MemberId.eq(member))
        .all(conn.db())
        .await?
        .into_iter()
        .map(|g| (g.event_id, g))
        .collect();
    let mut out = Vec::new();
    for e in conn
        .find::<community_event::Entity>()
        .filter(community_event::Column::EndsAt.gt(now))
        .filter(community_event::Column::CancelledAt.is_null())
        .order_by_asc(community_event::Column::StartsAt)
        .limit(200)
        .all(conn.db())
        .await?
    {
        let guest = rows.remove(&e.id);
        let invited = guest.as_ref().is_some_and(|g| g.invited_at.is_some());
        let answered = guest
            .as_ref()
            .is_some_and(|g| g.responded_at.is_some() || g.status != GuestStatus::Declined);
        if answered || not_for(&conn, &e, member, invited).await?.is_none() {
            out.push((e, guest));
        }
    }
    Ok(out)
}

/// Part of the `clubs and events` job: the day-before reminders (once per guest with a seat).
/// Returns how many were sent.
pub async fn remind(base: &Base, now: DateTime<Utc>) -> Result<u64, AppError> {
    let mut sent = 0;
    for brand in crate::identity::brands::active(&base.db).await? {
        let scope = base.scope(brand.id);
        let conn = scope.conn();
        for e in conn
            .find::<community_event::Entity>()
            .filter(community_event::Column::StartsAt.gt(now))
            .filter(community_event::Column::StartsAt.lte(now + REMINDER_AHEAD))
            .filter(community_event::Column::CancelledAt.is_null())
            .filter(community_event::Column::RemindersSentAt.is_null())
            .all(conn.db())
            .await?
        {
            let tx = scope.begin().await?;
            let e = tx.get_for_update::<community_event::Entity>(e.id).await?;
            if e.cancelled_at.is_some() || e.reminders_sent_at.is_some() {
                continue;
            }
            let guests = tx
                .find::<event_guest::Entity>()
                .filter(event_guest::Column::EventId.eq(e.id))
                .filter(event_guest::Column::Status.eq(GuestStatus::Going))
                .filter(event_guest::Column::CheckedInAt.is_null())
                .filter(event_guest::Column::RemindedAt.is_null())
                .all(tx.db())
                .await?;
            for g in guests {
                let moved = tx
                    .update_many::<event_guest::Entity>()
                    .col_expr(event_guest::Column::RemindedAt, Expr::value(Some(now)))
                    .filter(event_guest::Column::Id.eq(g.id))
                    .filter(event_guest::Column::RemindedAt.is_null())
                    .exec(tx.db())
                    .await?;
                if moved.rows_affected == 1 {
                    sent += 1;
                    events::append(
                        &tx,
                        "event.reminder",
                        Some(e.id),
                        Some(g.member_id),
                        mail_payload(&e),
                    )
                    .await?;
                }
            }
            // Guests who get a seat after this (from the waitlist) were mailed when they got it.
            tx.update_many::<community_event::Entity>()
                .col_expr(
                    community_event::Column::RemindersSentAt,
                    Expr::value(Some(now)),
                )
                .filter(community_event::Column::Id.eq(e.id))
                .exec(tx.db())
                .await?;
            tx.commit().await?;
        }
    }
    Ok(sent)
}

/// Gives up an erased member's seats and waitlist places at events not started yet (the seats
/// go to the waitlist in order). Returns how many answers were withdrawn.
pub async fn release(scope: &TenantScope, member: Uuid) -> Result<u64, AppError> {
    let conn = scope.conn();
    let now = scope.now();
    let mut released = 0;
    for g in conn
        .find::<event_guest::Entity>()
        .filter(event_guest::Column::MemberId.eq(member))
        .filter(event_guest::Column::Status.is_in([GuestStatus::Going, GuestStatus::Waitlisted]))
        .filter(event_guest::Column::CheckedInAt.is_null())
        .all(conn.db())
        .await?
    {
        let e = get(scope, g.event_id).await?;
        if e.cancelled_at.is_some() || e.starts_at <= now {
            continue;
        }
        match respond(scope, e.id, member, Answer::No, None).await {
            Ok(_) => released += 1,
            // Cancelled or started meanwhile: nothing to give back there.
            Err(AppError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(released)
}
