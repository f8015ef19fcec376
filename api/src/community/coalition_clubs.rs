//! Clubs run by a coalition's operator across its brands (a shopping street's family club, a
//! mall's wine club). The operator sets the name, description and profile questions; each active
//! brand of the coalition holds a place in it: a `club` row of the brand naming the coalition
//! club, kept in step by [`sync_brand`] (created when the brand is active, archived when it is
//! not or the club is archived). The brand's own members join its place like any of its clubs,
//! so everything a brand club gives works in it (club-only offers, events and contests,
//! audiences, figures, export and erasure), and each brand sees its own members.
//!
//! Other brands' members: a brand sees the members who joined at another brand of the
//! coalition only when they consented to share their profile with it (the consent of their
//! coalition card, as for coalition cards); the others are counted, not shown. The operator
//! sees counts per brand, never a profile.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::{
    brand, club,
    club::JoinRule,
    club_member::{self, ClubMemberStatus},
    coalition_club,
};
use sea_orm::{ActiveValue::Set, ColumnTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    community::{
        clubs::{self, Question},
        store,
    },
    core::{
        deps::Base, error::AppError, idempotency::Idempotency, tenancy::TenantScope, types::text,
    },
};

/// A coalition club as its operator sets it.
#[derive(Debug, Clone)]
pub struct CoalitionClubSpec {
    pub name: String,
    pub description: Option<String>,
    pub questions: Vec<Question>,
}

struct Clean {
    name: String,
    description: Option<String>,
    questions: Option<String>,
}

fn clean(spec: &CoalitionClubSpec) -> Result<Clean, AppError> {
    let name = text("input.name", &spec.name, 120)?;
    let description = spec
        .description
        .as_deref()
        .filter(|d| !d.trim().is_empty())
        .map(|d| text("input.description", d, 2_000))
        .transpose()?;
    let questions = clubs::clean_questions(&spec.questions)?;
    let questions = if questions.is_empty() {
        None
    } else {
        Some(serde_json::to_string(&questions).map_err(|e| AppError::Internal(e.into()))?)
    };
    Ok(Clean {
        name,
        description,
        questions,
    })
}

/// What a retried `createCoalitionClub` is compared with.
#[derive(Debug, Clone, serde::Serialize)]
struct Fingerprint<'a> {
    coalition: Uuid,
    name: &'a str,
    description: Option<&'a str>,
    questions: Option<&'a str>,
}

/// The operator creates a club for the coalition's brands (a replay with the same key returns
/// the first one).
pub async fn create(
    base: &Base,
    operator: Uuid,
    coalition: Uuid,
    spec: &CoalitionClubSpec,
    idempotency_key: Option<&str>,
) -> Result<coalition_club::Model, AppError> {
    let coalition = crate::coalition::coalitions::operated(base, operator, coalition).await?;
    let clean = clean(spec)?;
    let idem = Idempotency::optional(
        // "c:" + the coalition id: idempotency scopes are at most 40 characters.
        format!("c:{}", coalition.id),
        "createCoalitionClub",
        idempotency_key,
        &Fingerprint {
            coalition: coalition.id,
            name: &clean.name,
            description: clean.description.as_deref(),
            questions: clean.questions.as_deref(),
        },
    )?;
    let now = base.clock.now();
    let tx = crate::core::db::begin_write(&base.db).await?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.claim(&tx).await?
    {
        drop(tx);
        let id = crate::core::idempotency::recorded_id(&previous, "coalitionClub")?;
        return store::coalition_club(&base.db, id)
            .await?
            .ok_or(AppError::NotFound);
    }
    let saved = store::insert_coalition_club(
        &tx,
        coalition_club::ActiveModel {
            id: Set(Uuid::now_v7()),
            coalition_id: Set(coalition.id),
            name: Set(clean.name),
            description: Set(clean.description),
            questions: Set(clean.questions),
            archived_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        },
    )
    .await?;
    if let Some(idem) = &idem {
        idem.record(&tx, serde_json::json!({ "coalitionClub": saved.id }))
            .await?;
    }
    tx.commit().await?;
    sync_club(base, &saved).await?;
    Ok(saved)
}

/// The operator's club (NOT_FOUND for anyone else).
pub async fn operated(
    base: &Base,
    operator: Uuid,
    id: Uuid,
) -> Result<coalition_club::Model, AppError> {
    let c = store::coalition_club(&base.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    crate::coalition::coalitions::operated(base, operator, c.coalition_id).await?;
    Ok(c)
}

/// The operator changes a club: every brand's place follows (members and answers stay).
pub async fn update(
    base: &Base,
    operator: Uuid,
    id: Uuid,
    spec: &CoalitionClubSpec,
) -> Result<coalition_club::Model, AppError> {
    let current = operated(base, operator, id).await?;
    let clean = clean(spec)?;
    let mut model: coalition_club::ActiveModel = current.into();
    model.name = Set(clean.name);
    model.description = Set(clean.description);
    model.questions = Set(clean.questions);
    model.updated_at = Set(base.clock.now());
    let saved = store::update_coalition_club(&base.db, model).await?;
    sync_club(base, &saved).await?;
    Ok(saved)
}

/// The operator archives a club: nobody joins any more, at any brand. Idempotent.
pub async fn archive(
    base: &Base,
    operator: Uuid,
    id: Uuid,
) -> Result<coalition_club::Model, AppError> {
    let current = operated(base, operator, id).await?;
    if current.archived_at.is_some() {
        return Ok(current);
    }
    let now = base.clock.now();
    let mut model: coalition_club::ActiveModel = current.into();
    model.archived_at = Set(Some(now));
    model.updated_at = Set(now);
    let saved = store::update_coalition_club(&base.db, model).await?;
    sync_club(base, &saved).await?;
    Ok(saved)
}

/// Brings every brand's place in step with the club and the coalition's brands now.
async fn sync_club(base: &Base, c: &coalition_club::Model) -> Result<(), AppError> {
    let now = base.clock.now();
    let active = crate::coalition::coalitions::active_brands(base, c.coalition_id, now).await?;
    let mut brands: Vec<Uuid> = active.iter().map(|b| b.id).collect();
    for place in store::coalition_club_places(&base.db, c.id).await? {
        if !brands.contains(&place.tenant_id) {
            brands.push(place.tenant_id);
        }
    }
    for brand in brands {
        let is_active = active.iter().any(|b| b.id == brand);
        sync_place(&base.scope(brand), c, is_active).await?;
    }
    Ok(())
}

/// Brings this brand's places in every club of its coalitions in step (called before a brand
/// or a member lists clubs: a brand that joined a coalition finds its clubs, one that left
/// finds them archived).
pub async fn sync_brand(base: &Base, scope: &TenantScope) -> Result<(), AppError> {
    let now = scope.now();
    let brand = scope.tenant_id();
    for coalition in crate::coalition::coalitions::of_brand(base, brand).await? {
        let clubs = store::coalition_clubs_of(&base.db, coalition.id).await?;
        if clubs.is_empty() {
            continue;
        }
        let active = crate::coalition::coalitions::active_brands(base, coalition.id, now)
            .await?
            .iter()
            .any(|b| b.id == brand);
        for c in &clubs {
            sync_place(scope, c, active).await?;
        }
    }
    Ok(())
}

/// One brand's place: created when the brand is active and the club open; its name,
/// description and questions the club's; archived when the club is or the brand is not active.
/// Written in one transaction holding the club's row, read afresh: a sync that read the club
/// before the operator changed it cannot write the older state over the newer.
async fn sync_place(
    scope: &TenantScope,
    c: &coalition_club::Model,
    brand_active: bool,
) -> Result<(), AppError> {
    let conn = scope.begin().await?;
    let Some(c) = store::lock_coalition_club(conn.db(), c.id).await? else {
        return Ok(());
    };
    let c = &c;
    let existing = conn
        .find::<club::Entity>()
        .filter(club::Column::CoalitionClubId.eq(c.id))
        .one(conn.db())
        .await?;
    let archived = match (&existing, c.archived_at, brand_active) {
        (_, Some(at), _) => Some(at),
        (Some(place), None, false) => Some(place.archived_at.unwrap_or(scope.now())),
        (_, None, false) => return Ok(()),
        (_, None, true) => None,
    };
    let Some(place) = existing else {
        if archived.is_some() {
            return Ok(());
        }
        let now = scope.now();
        // A racing sync inserts it once (one place per brand and club).
        conn.insert_if_absent(
            club::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(scope.tenant_id()),
                name: Set(c.name.clone()),
                description: Set(c.description.clone()),
                join_rule: Set(JoinRule::Open),
                segment_id: Set(None),
                tier_names: Set(None),
                membership_program_id: Set(None),
                questions: Set(c.questions.clone()),
                coalition_club_id: Set(Some(c.id)),
                archived_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            },
            vec![club::Column::TenantId, club::Column::CoalitionClubId],
        )
        .await?;
        conn.commit().await?;
        return Ok(());
    };
    if place.name == c.name
        && place.description == c.description
        && place.questions == c.questions
        && place.archived_at == archived
    {
        return Ok(());
    }
    let mut model: club::ActiveModel = place.into();
    model.name = Set(c.name.clone());
    model.description = Set(c.description.clone());
    model.questions = Set(c.questions.clone());
    model.archived_at = Set(archived);
    model.updated_at = Set(scope.now());
    conn.update(model).await?;
    conn.commit().await?;
    Ok(())
}

/// A coalition club's members at one brand, as the operator sees them (counts only).
#[derive(Debug, Clone)]
pub struct BrandCount {
    pub brand: brand::Model,
    pub members: u64,
    pub joins: u64,
    pub leaves: u64,
}

/// The operator's clubs of a coalition, with counts per brand.
pub async fn list(
    base: &Base,
    operator: Uuid,
    coalition: Uuid,
) -> Result<Vec<(coalition_club::Model, Vec<BrandCount>)>, AppError> {
    crate::coalition::coalitions::operated(base, operator, coalition).await?;
    let mut out = Vec::new();
    for c in store::coalition_clubs_of(&base.db, coalition).await? {
        let counts = counts(base, &c).await?;
        out.push((c, counts));
    }
    Ok(out)
}

/// Each brand's counts in a club (the operator's view).
pub async fn counts(base: &Base, c: &coalition_club::Model) -> Result<Vec<BrandCount>, AppError> {
    let places = store::coalition_club_places(&base.db, c.id).await?;
    let ids: Vec<Uuid> = places.iter().map(|p| p.id).collect();
    let rows = store::club_members_of(&base.db, &ids).await?;
    let mut out = Vec::new();
    for place in places {
        let brand = crate::identity::brands::get(base, place.tenant_id).await?;
        let mine: Vec<&club_member::Model> =
            rows.iter().filter(|r| r.club_id == place.id).collect();
        out.push(BrandCount {
            brand,
            members: count(&mine, |r| r.status == ClubMemberStatus::Active),
            joins: mine
                .iter()
                .map(|r| u64::try_from(r.joins).unwrap_or(0))
                .sum(),
            // As `clubFigures` counts them: had joined, not in now.
            leaves: count(&mine, |r| {
                r.status != ClubMemberStatus::Active && r.joins > 0
            }),
        });
    }
    Ok(out)
}

fn count(rows: &[&club_member::Model], f: impl Fn(&club_member::Model) -> bool) -> u64 {
    u64::try_from(rows.iter().filter(|r| f(r)).count()).unwrap_or(u64::MAX)
}

/// A member of another brand, shown to a brand because they consented to share with it.
#[derive(Debug, Clone)]
pub struct SharedMember {
    pub brand_name: String,
    pub member: entity::member::Model,
    /// Their answers, when they consented to keep them.
    pub answers: BTreeMap<String, String>,
    pub joined_at: Option<DateTime<Utc>>,
}

/// The members who joined a coalition club at the coalition's other brands, as the scope's
/// brand may see them: those whose coalition card shares their profile with it; how many
/// others there are. `club` is the brand's own place.
pub async fn other_brands_members(
    base: &Base,
    scope: &TenantScope,
    club: Uuid,
) -> Result<(Vec<SharedMember>, u64), AppError> {
    let place = scope.conn().get::<club::Entity>(club).await?;
    let Some(coalition_club) = place.coalition_club_id else {
        return Ok((Vec::new(), 0));
    };
    let c = store::coalition_club(&base.db, coalition_club)
        .await?
        .ok_or(AppError::NotFound)?;
    let me = scope.tenant_id();
    // Only while this brand is active in the coalition, and only the places of brands that
    // are (a brand that left, or was suspended, shows nobody and is shown to nobody).
    let active =
        crate::coalition::coalitions::active_brands(base, c.coalition_id, scope.now()).await?;
    if !active.iter().any(|b| b.id == me) {
        return Ok((Vec::new(), 0));
    }
    let places: Vec<club::Model> = store::coalition_club_places(&base.db, c.id)
        .await?
        .into_iter()
        .filter(|p| p.tenant_id != me && active.iter().any(|b| b.id == p.tenant_id))
        .collect();
    let ids: Vec<Uuid> = places.iter().map(|p| p.id).collect();
    let rows: Vec<club_member::Model> = store::club_members_of(&base.db, &ids)
        .await?
        .into_iter()
        .filter(|r| r.status == ClubMemberStatus::Active)
        .collect();
    let member_ids: Vec<Uuid> = rows.iter().map(|r| r.member_id).collect();
    let sharing =
        crate::coalition::points::members_sharing_with(base, c.coalition_id, &member_ids, me)
            .await?;
    // The sharing members' profiles, read at their brand in batches.
    let mut profiles: std::collections::HashMap<Uuid, entity::member::Model> =
        std::collections::HashMap::new();
    for brand in &active {
        let theirs: Vec<Uuid> = rows
            .iter()
            .filter(|r| r.tenant_id == brand.id && sharing.contains(&r.member_id))
            .map(|r| r.member_id)
            .collect();
        let conn = base.scope(brand.id).conn();
        for chunk in theirs.chunks(500) {
            for m in conn
                .find::<entity::member::Entity>()
                .filter(entity::member::Column::Id.is_in(chunk.iter().copied()))
                .all(conn.db())
                .await?
            {
                profiles.insert(m.id, m);
            }
        }
    }
    let mut shown = Vec::new();
    let mut hidden = 0;
    for row in rows {
        match profiles.remove(&row.member_id) {
            Some(member) => shown.push(SharedMember {
                brand_name: active
                    .iter()
                    .find(|b| b.id == row.tenant_id)
                    .map(|b| b.name.clone())
                    .unwrap_or_default(),
                answers: if row.answers_consent_at.is_some() {
                    clubs::answers_of(&row)
                } else {
                    BTreeMap::new()
                },
                joined_at: row.joined_at,
                member,
            }),
            None => hidden += 1,
        }
    }
    Ok((shown, hidden))
}
