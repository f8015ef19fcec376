//! Events: `events`, `event`, `eventGuests`, `eventFigures`, `myEvents`; `createEvent`,
//! `updateEvent`, `cancelEvent`, `inviteToEvent`, `respondToEvent`, `respondToMyEvent`,
//! `checkInToEvent`.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{community_event, event_guest};

use crate::{
    community::events::{self, Answer, EventSpec},
    core::{
        auth::Permission,
        error::AppError,
        graphql::{ContextExt, guards::PermissionGuard},
        types::id,
    },
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::community_event::EventKind")]
pub enum EventKind {
    Event,
    PrivateSale,
    Workshop,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::event_guest::GuestStatus")]
pub enum GuestStatus {
    /// Invited, not answered yet.
    Invited,
    /// Has a seat.
    Going,
    /// Said yes when the event was full: gets a seat, in order, when one frees.
    Waitlisted,
    /// Said no (or was never invited nor answered).
    Declined,
}

#[derive(InputObject)]
pub struct EventInput {
    pub name: String,
    pub description: Option<String>,
    #[graphql(default_with = "EventKind::Event")]
    pub kind: EventKind,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub place: String,
    pub capacity: i32,
    /// Only invited members may answer.
    #[graphql(default)]
    pub invitation_only: bool,
    /// Only the active members of this club (or invited members).
    pub club_id: Option<ID>,
    /// Only members of this saved segment (or invited members).
    pub segment_id: Option<ID>,
    /// Only members holding one of these tiers (or invited members).
    #[graphql(default)]
    pub tier_names: Vec<String>,
    /// The points program attendance points are credited to.
    pub program_id: Option<ID>,
    /// Points for coming (given once, at check-in).
    #[graphql(default)]
    pub reward_points: i64,
    /// A voucher for coming, in minor units (0: none).
    #[graphql(default)]
    pub reward_voucher_minor: i64,
    #[graphql(default = 30)]
    pub voucher_valid_days: i32,
}

impl EventInput {
    fn into_spec(self) -> Result<EventSpec, AppError> {
        let opt =
            |field: &'static str, v: Option<ID>| v.as_deref().map(|s| id(field, s)).transpose();
        Ok(EventSpec {
            club_id: opt("input.clubId", self.club_id)?,
            segment_id: opt("input.segmentId", self.segment_id)?,
            program_id: opt("input.programId", self.program_id)?,
            name: self.name,
            description: self.description,
            kind: self.kind.into(),
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            place: self.place,
            capacity: self.capacity,
            invitation_only: self.invitation_only,
            tier_names: self.tier_names,
            reward_points: self.reward_points,
            reward_voucher_minor: self.reward_voucher_minor,
            voucher_valid_days: self.voucher_valid_days,
        })
    }
}

#[derive(SimpleObject, Clone)]
pub struct Event {
    pub id: ID,
    pub name: String,
    pub description: Option<String>,
    pub kind: EventKind,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub place: String,
    pub capacity: i32,
    pub seats_taken: i32,
    pub seats_left: i32,
    pub invitation_only: bool,
    pub club_id: Option<ID>,
    pub segment_id: Option<ID>,
    pub tier_names: Vec<String>,
    pub program_id: Option<ID>,
    pub reward_points: i64,
    pub reward_voucher_minor: i64,
    pub voucher_valid_days: i32,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<community_event::Model> for Event {
    fn from(e: community_event::Model) -> Self {
        let id_of = |u: uuid::Uuid| ID(u.to_string());
        Self {
            id: id_of(e.id),
            tier_names: events::tiers_of(&e),
            seats_left: Ord::max(e.capacity - e.seats_taken, 0),
            name: e.name,
            description: e.description,
            kind: e.kind.into(),
            starts_at: e.starts_at,
            ends_at: e.ends_at,
            place: e.place,
            capacity: e.capacity,
            seats_taken: e.seats_taken,
            invitation_only: e.invitation_only,
            club_id: e.club_id.map(id_of),
            segment_id: e.segment_id.map(id_of),
            program_id: e.program_id.map(id_of),
            reward_points: e.reward_points,
            reward_voucher_minor: e.reward_voucher_minor,
            voucher_valid_days: e.voucher_valid_days,
            cancelled_at: e.cancelled_at,
            created_at: e.created_at,
        }
    }
}

#[derive(SimpleObject, Clone)]
pub struct EventGuest {
    pub id: ID,
    pub event_id: ID,
    pub member_id: ID,
    /// The member's name and address (on staff lists).
    pub member_name: Option<String>,
    pub member_email: Option<String>,
    pub status: GuestStatus,
    pub invited_at: Option<DateTime<Utc>>,
    pub responded_at: Option<DateTime<Utc>>,
    /// On the waitlist: when they said yes (the order of the waitlist).
    pub waitlisted_at: Option<DateTime<Utc>>,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub reward_points: i64,
    pub reward_voucher_id: Option<ID>,
}

impl From<event_guest::Model> for EventGuest {
    fn from(g: event_guest::Model) -> Self {
        let id_of = |u: uuid::Uuid| ID(u.to_string());
        Self {
            id: id_of(g.id),
            event_id: id_of(g.event_id),
            member_id: id_of(g.member_id),
            member_name: None,
            member_email: None,
            status: g.status.into(),
            invited_at: g.invited_at,
            responded_at: g.responded_at,
            waitlisted_at: g.waitlisted_at,
            checked_in_at: g.checked_in_at,
            reward_points: g.reward_points,
            reward_voucher_id: g.reward_voucher_id.map(id_of),
        }
    }
}

#[derive(SimpleObject)]
pub struct EventFigures {
    pub invited: i64,
    /// Guests with a seat (checked in or not).
    pub accepted: i64,
    pub waitlisted: i64,
    pub declined: i64,
    pub attended: i64,
    /// Guests with a seat who did not come (counted once the event is over).
    pub no_shows: i64,
    pub seats_left: i32,
    pub points_given: i64,
    pub vouchers_given: i64,
}

/// An event as a member sees it.
#[derive(SimpleObject)]
pub struct MyEvent {
    pub event: Event,
    /// Their answer (none: not invited, not answered).
    pub status: Option<GuestStatus>,
    pub invited: bool,
    /// Their place on the waitlist (1: next to get a seat).
    pub waitlist_position: Option<i64>,
    pub checked_in: bool,
}

/// What a check-in did.
#[derive(SimpleObject)]
pub struct CheckIn {
    pub guest: EventGuest,
    /// False when the member was checked in already (nothing changed).
    pub first_time: bool,
}

/// The member a staff form names: by card number (printed or scanned) or by id.
async fn member_by(
    scope: &crate::core::tenancy::TenantScope,
    card_number: Option<String>,
    member_id: Option<ID>,
) -> Result<uuid::Uuid, AppError> {
    match (card_number.filter(|c| !c.trim().is_empty()), member_id) {
        (Some(card), None) => {
            let card = crate::loyalty::members::card_by_number(scope, &card).await?;
            if card.status != entity::card::CardStatus::Active {
                return Err(AppError::conflict("this card is not active"));
            }
            Ok(card.member_id)
        }
        (None, Some(m)) => id("memberId", &m),
        _ => Err(AppError::validation(
            "cardNumber",
            "or memberId: exactly one of them is needed",
        )),
    }
}

fn n(x: u64) -> i64 {
    i64::try_from(x).unwrap_or(i64::MAX)
}

#[derive(Default)]
pub struct EventQuery;

#[Object]
impl EventQuery {
    /// The brand's events not over yet (past ones too when asked), soonest first.
    #[graphql(guard = "PermissionGuard(Permission::ViewMembers)")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] past_too: bool,
    ) -> Result<Vec<Event>> {
        Ok(events::list(ctx.scope()?, past_too)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    #[graphql(guard = "PermissionGuard(Permission::ViewMembers)")]
    async fn event(&self, ctx: &Context<'_>, id: ID) -> Result<Event> {
        Ok(
            events::get(ctx.scope()?, crate::core::types::id("id", &id)?)
                .await?
                .into(),
        )
    }

    /// An event's guests (in a status): the waitlist in its order.
    #[graphql(guard = "PermissionGuard(Permission::ViewMembers)")]
    async fn event_guests(
        &self,
        ctx: &Context<'_>,
        event_id: ID,
        status: Option<GuestStatus>,
    ) -> Result<Vec<EventGuest>> {
        let scope = ctx.scope()?;
        let guests =
            events::guests(scope, id("eventId", &event_id)?, status.map(Into::into)).await?;
        let who = super::who(scope, guests.iter().map(|g| g.member_id)).await?;
        Ok(guests
            .into_iter()
            .map(|g| {
                let (name, email) = who.get(&g.member_id).cloned().unwrap_or_default();
                EventGuest {
                    member_name: name,
                    member_email: email,
                    ..g.into()
                }
            })
            .collect())
    }

    #[graphql(guard = "PermissionGuard(Permission::ManageCommunity)")]
    async fn event_figures(&self, ctx: &Context<'_>, event_id: ID) -> Result<EventFigures> {
        let f = events::figures(ctx.scope()?, id("eventId", &event_id)?).await?;
        Ok(EventFigures {
            invited: n(f.invited),
            accepted: n(f.accepted),
            waitlisted: n(f.waitlisted),
            declined: n(f.declined),
            attended: n(f.attended),
            no_shows: n(f.no_shows),
            seats_left: f.seats_left,
            points_given: f.points_given,
            vouchers_given: n(f.vouchers_given),
        })
    }

    /// For a signed-in member: the coming events they are invited to, answered, or may attend.
    #[graphql(guard = "PermissionGuard(Permission::ViewOwnMembership)")]
    async fn my_events(&self, ctx: &Context<'_>) -> Result<Vec<MyEvent>> {
        let member = ctx.member_id()?;
        let scope = ctx.scope()?;
        let mut out = Vec::new();
        for (e, guest) in events::for_member(scope, member).await? {
            let position = match &guest {
                Some(g) => events::waitlist_position(scope, g).await?,
                None => None,
            };
            let answered = guest.as_ref().filter(|g| {
                g.responded_at.is_some() || g.status != event_guest::GuestStatus::Declined
            });
            out.push(MyEvent {
                event: e.into(),
                status: answered.map(|g| g.status.into()),
                invited: guest.as_ref().is_some_and(|g| g.invited_at.is_some()),
                waitlist_position: position.map(n),
                checked_in: guest.as_ref().is_some_and(|g| g.checked_in_at.is_some()),
            });
        }
        Ok(out)
    }
}

#[derive(Default)]
pub struct EventMutation;

#[Object]
impl EventMutation {
    #[graphql(guard = "PermissionGuard(Permission::ManageCommunity)")]
    async fn create_event(
        &self,
        ctx: &Context<'_>,
        input: EventInput,
        idempotency_key: Option<String>,
    ) -> Result<Event> {
        Ok(
            events::create(ctx.scope()?, input.into_spec()?, idempotency_key.as_deref())
                .await?
                .into(),
        )
    }

    /// Changes an event before it starts (every field). The capacity may not go under the seats
    /// taken; new seats go to the waitlist in order.
    #[graphql(guard = "PermissionGuard(Permission::ManageCommunity)")]
    async fn update_event(&self, ctx: &Context<'_>, id: ID, input: EventInput) -> Result<Event> {
        Ok(events::update(
            ctx.scope()?,
            crate::core::types::id("id", &id)?,
            input.into_spec()?,
        )
        .await?
        .into())
    }

    #[graphql(guard = "PermissionGuard(Permission::ManageCommunity)")]
    async fn cancel_event(&self, ctx: &Context<'_>, id: ID) -> Result<Event> {
        Ok(
            events::cancel(ctx.scope()?, crate::core::types::id("id", &id)?)
                .await?
                .into(),
        )
    }

    /// Invites the members named, or (none named) every member of the event's audience who
    /// accepts mail; each is mailed once. Returns how many were newly invited.
    #[graphql(guard = "PermissionGuard(Permission::ManageCommunity)")]
    async fn invite_to_event(
        &self,
        ctx: &Context<'_>,
        event_id: ID,
        member_ids: Option<Vec<ID>>,
    ) -> Result<i64> {
        let members = member_ids
            .map(|list| {
                list.iter()
                    .map(|m| id("memberIds", m))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        Ok(n(events::invite(
            ctx.scope()?,
            id("eventId", &event_id)?,
            members.as_deref(),
        )
        .await?))
    }

    /// Staff record a member's answer (the member by id or by card number). Yes: a seat if one
    /// is left, else the waitlist; no: the seat goes to the next on the waitlist. CONFLICT when
    /// the event is not for them, started or cancelled.
    #[graphql(guard = "PermissionGuard(Permission::EnrollMembers)")]
    async fn respond_to_event(
        &self,
        ctx: &Context<'_>,
        event_id: ID,
        member_id: Option<ID>,
        card_number: Option<String>,
        going: bool,
        idempotency_key: Option<String>,
    ) -> Result<EventGuest> {
        let scope = ctx.scope()?;
        let member = member_by(scope, card_number, member_id).await?;
        Ok(events::respond(
            scope,
            id("eventId", &event_id)?,
            member,
            if going { Answer::Yes } else { Answer::No },
            idempotency_key.as_deref(),
        )
        .await?
        .into())
    }

    /// A signed-in member answers.
    #[graphql(guard = "PermissionGuard(Permission::ViewOwnMembership)")]
    async fn respond_to_my_event(
        &self,
        ctx: &Context<'_>,
        event_id: ID,
        going: bool,
        idempotency_key: Option<String>,
    ) -> Result<EventGuest> {
        Ok(events::respond(
            ctx.scope()?,
            id("eventId", &event_id)?,
            ctx.member_id()?,
            if going { Answer::Yes } else { Answer::No },
            idempotency_key.as_deref(),
        )
        .await?
        .into())
    }

    /// Checks a member in at the door, by card number (printed or scanned) or member id, from
    /// two hours before the start to the end. A member without a seat comes in if one is left;
    /// the attendance reward is given once. Checking in twice changes nothing.
    #[graphql(guard = "PermissionGuard(Permission::RecordPurchases)")]
    async fn check_in_to_event(
        &self,
        ctx: &Context<'_>,
        event_id: ID,
        card_number: Option<String>,
        member_id: Option<ID>,
    ) -> Result<CheckIn> {
        let scope = ctx.scope()?;
        let member = member_by(scope, card_number, member_id).await?;
        let done = events::check_in(scope, id("eventId", &event_id)?, member).await?;
        Ok(CheckIn {
            guest: done.guest.into(),
            first_time: done.first,
        })
    }
}
