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
    core::{deps::Base, error::AppError, tenancy::TenantScope, types::text},
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

/// The operator creates a club for the coalition's brands.
pub async fn create(
    base: &Base,
    operator: Uuid,
    coalition: Uuid,
    spec: &CoalitionClubSpec,
) -> Result<coalition_club::Model, AppError> {
    let coalition = crate::coalition::coalitions::operated(base, operator, coalition).await?;
    let clean = clean(spec)?;
    let now = base.clock.now();
    let saved = store::insert_coalition_club(
        &base.db,
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
async fn sync_place(
    scope: &TenantScope,
    c: &coalition_club::Model,
    brand_active: bool,
) -> Result<(), AppError> {
    let conn = scope.conn();
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

async fn counts(base: &Base, c: &coalition_club::Model) -> Result<Vec<BrandCount>, AppError> {
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
            leaves: count(&mine, |r| {
                r.status == ClubMemberStatus::Left && r.joined_at.is_some()
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
    let places: Vec<club::Model> = store::coalition_club_places(&base.db, c.id)
        .await?
        .into_iter()
        .filter(|p| p.tenant_id != scope.tenant_id())
        .collect();
    let ids: Vec<Uuid> = places.iter().map(|p| p.id).collect();
    let me = scope.tenant_id();
    let mut shown = Vec::new();
    let mut hidden = 0;
    for row in store::club_members_of(&base.db, &ids).await? {
        if row.status != ClubMemberStatus::Active {
            continue;
        }
        let shares =
            crate::coalition::points::shares_with(base, c.coalition_id, row.member_id, me).await?;
        let other = base.scope(row.tenant_id);
        let member = match shares {
            true => other
                .conn()
                .get::<entity::member::Entity>(row.member_id)
                .await
                .ok(),
            false => None,
        };
        match member {
            Some(member) => shown.push(SharedMember {
                brand_name: other.brand().await?.name,
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
