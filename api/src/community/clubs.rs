//! Consumer clubs (clubs de consommateurs): a brand's clubs (a baby club, a wine club) with a
//! joining rule (open, by invitation, by saved segment, by tier), profile questions whose
//! answers are kept only with the member's consent, and, for a paid club, a paid-membership
//! program: joining needs an active membership of it (its fee, renewal and "saved you X" are
//! the membership's, booked in the ledger), and when that membership ends the member leaves the
//! club (the `club renewals` job). A member's place is one row moved by conditional updates:
//! INVITED → ACTIVE → LEFT → ACTIVE again. Being ACTIVE is the one fact that club-only offers,
//! contests, events and audiences read.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entity::{
    club::{self, JoinRule},
    club_member::{self, ClubMemberStatus},
    member, purchase,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, ExprTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::core::{
    deps::Base,
    error::AppError,
    events,
    idempotency::Idempotency,
    tenancy::{Scoped, TenantScope},
    types::text,
};

/// How a club question is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum QuestionKind {
    Text,
    /// A date, `YYYY-MM-DD` (a child's birth date).
    Date,
    /// One of `choices`.
    Choice,
}

/// A profile question a club asks its members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    /// Stable key (`child_birth_date`): letters, digits, `_`.
    pub key: String,
    pub label: String,
    pub kind: QuestionKind,
    #[serde(default)]
    pub choices: Vec<String>,
}

/// A club as the brand sets it.
#[derive(Debug, Clone, Serialize)]
pub struct ClubSpec {
    pub name: String,
    pub description: Option<String>,
    pub join_rule: JoinRule,
    pub segment_id: Option<Uuid>,
    pub tier_names: Vec<String>,
    pub membership_program_id: Option<Uuid>,
    pub questions: Vec<Question>,
}

pub fn questions_of(c: &club::Model) -> Vec<Question> {
    c.questions
        .as_deref()
        .and_then(|q| serde_json::from_str(q).ok())
        .unwrap_or_default()
}

pub fn tiers_of(c: &club::Model) -> Vec<String> {
    c.tier_names
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default()
}

pub fn answers_of(m: &club_member::Model) -> BTreeMap<String, String> {
    m.answers
        .as_deref()
        .and_then(|a| serde_json::from_str(a).ok())
        .unwrap_or_default()
}

fn json<T: Serialize>(v: &T) -> Result<String, AppError> {
    serde_json::to_string(v).map_err(|e| AppError::Internal(e.into()))
}

struct Clean {
    name: String,
    description: Option<String>,
    tiers: Vec<String>,
    questions: Vec<Question>,
}

async fn validate(scope: &TenantScope, spec: &ClubSpec) -> Result<Clean, AppError> {
    let bad = |field: &'static str, message: &str| Err(AppError::validation(field, message));
    let name = text("input.name", &spec.name, 120)?;
    let description = spec
        .description
        .as_deref()
        .filter(|d| !d.trim().is_empty())
        .map(|d| text("input.description", d, 2_000))
        .transpose()?;
    let tiers: Vec<String> = spec
        .tier_names
        .iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    if tiers.len() > 20 || tiers.iter().any(|t| t.chars().count() > 60) {
        return bad("input.tierNames", "at most 20 tier names of 60 characters");
    }
    match spec.join_rule {
        JoinRule::Segment if spec.segment_id.is_none() => {
            return bad(
                "input.segmentId",
                "a club joined by segment names its segment",
            );
        }
        JoinRule::Tier if tiers.is_empty() => {
            return bad("input.tierNames", "a club joined by tier names its tiers");
        }
        JoinRule::Segment | JoinRule::Tier | JoinRule::Open | JoinRule::Invitation => {}
    }
    if spec.join_rule != JoinRule::Segment && spec.segment_id.is_some() {
        return bad("input.segmentId", "only a club joined by segment names one");
    }
    if spec.join_rule != JoinRule::Tier && !tiers.is_empty() {
        return bad("input.tierNames", "only a club joined by tier names tiers");
    }
    if let Some(segment) = spec.segment_id {
        // Another brand's segment reads as NOT_FOUND.
        scope.conn().get::<entity::segment::Entity>(segment).await?;
    }
    if let Some(program) = spec.membership_program_id {
        let p = crate::loyalty::programs::get(scope, program).await?;
        if p.rules.mechanic() != entity::program::Mechanic::Membership {
            return bad(
                "input.membershipProgramId",
                "is not a paid-membership program",
            );
        }
    }
    let questions = clean_questions(&spec.questions)?;
    Ok(Clean {
        name,
        description,
        tiers,
        questions,
    })
}

/// A club's profile questions, checked: keys, labels, kinds and choices.
pub(crate) fn clean_questions(list: &[Question]) -> Result<Vec<Question>, AppError> {
    let bad = |field: &'static str, message: &str| Err(AppError::validation(field, message));
    if list.len() > 20 {
        return bad("input.questions", "at most 20 questions");
    }
    let mut questions = Vec::new();
    for q in list {
        let key = q.key.trim().to_owned();
        if key.is_empty()
            || key.len() > 40
            || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return bad(
                "input.questions",
                "a question's key is 1 to 40 letters, digits or _",
            );
        }
        if questions.iter().any(|x: &Question| x.key == key) {
            return bad("input.questions", "two questions have the same key");
        }
        let label = text("input.questions", &q.label, 200)?;
        let choices = q
            .choices
            .iter()
            .map(|c| text("input.questions", c, 100))
            .collect::<Result<Vec<_>, _>>()?;
        if choices
            .iter()
            .enumerate()
            .any(|(i, c)| choices[..i].contains(c))
        {
            return bad("input.questions", "a question lists a choice twice");
        }
        match q.kind {
            QuestionKind::Choice if !(2..=20).contains(&choices.len()) => {
                return bad("input.questions", "a choice question has 2 to 20 choices");
            }
            QuestionKind::Text | QuestionKind::Date if !choices.is_empty() => {
                return bad("input.questions", "only a choice question has choices");
            }
            _ => {}
        }
        questions.push(Question {
            key,
            label,
            kind: q.kind,
            choices,
        });
    }
    Ok(questions)
}

/// Creates a club.
pub async fn create(
    scope: &TenantScope,
    spec: ClubSpec,
    idempotency_key: Option<&str>,
) -> Result<club::Model, AppError> {
    let idem = Idempotency::optional(
        scope.tenant_id().to_string(),
        "createClub",
        idempotency_key,
        &spec,
    )?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.replay(scope.conn().db()).await?
    {
        let id = crate::core::idempotency::recorded_id(&previous, "club")?;
        return scope.conn().get::<club::Entity>(id).await;
    }
    let clean = validate(scope, &spec).await?;
    let now = scope.now();
    let tx = scope.begin().await?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.claim(tx.db()).await?
    {
        drop(tx);
        let id = crate::core::idempotency::recorded_id(&previous, "club")?;
        return scope.conn().get::<club::Entity>(id).await;
    }
    let saved = tx
        .insert(club::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(scope.tenant_id()),
            name: Set(clean.name),
            description: Set(clean.description),
            join_rule: Set(spec.join_rule),
            segment_id: Set(spec.segment_id),
            tier_names: Set((!clean.tiers.is_empty())
                .then(|| json(&clean.tiers))
                .transpose()?),
            membership_program_id: Set(spec.membership_program_id),
            questions: Set((!clean.questions.is_empty())
                .then(|| json(&clean.questions))
                .transpose()?),
            coalition_club_id: Set(None),
            archived_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .await?;
    events::append(
        &tx,
        "club.created",
        Some(saved.id),
        None,
        serde_json::json!({ "name": saved.name }),
    )
    .await?;
    if let Some(idem) = &idem {
        idem.record(tx.db(), serde_json::json!({ "club": saved.id }))
            .await?;
    }
    tx.commit().await?;
    Ok(saved)
}

/// Changes a club (its members stay; answers to a removed question stay until they answer
/// again).
pub async fn update(
    scope: &TenantScope,
    id: Uuid,
    spec: ClubSpec,
) -> Result<club::Model, AppError> {
    let clean = validate(scope, &spec).await?;
    let tx = scope.begin().await?;
    let current = tx.get_for_update::<club::Entity>(id).await?;
    run_by_brand(&current)?;
    let mut model: club::ActiveModel = current.into();
    model.name = Set(clean.name);
    model.description = Set(clean.description);
    model.join_rule = Set(spec.join_rule);
    model.segment_id = Set(spec.segment_id);
    model.tier_names = Set((!clean.tiers.is_empty())
        .then(|| json(&clean.tiers))
        .transpose()?);
    model.membership_program_id = Set(spec.membership_program_id);
    model.questions = Set((!clean.questions.is_empty())
        .then(|| json(&clean.questions))
        .transpose()?);
    model.updated_at = Set(scope.now());
    let saved = tx.update(model).await?;
    tx.commit().await?;
    Ok(saved)
}

/// Archives a club: nobody joins any more; members stay listed. Idempotent.
pub async fn archive(scope: &TenantScope, id: Uuid) -> Result<club::Model, AppError> {
    let tx = scope.begin().await?;
    let current = tx.get_for_update::<club::Entity>(id).await?;
    run_by_brand(&current)?;
    if current.archived_at.is_some() {
        return Ok(current);
    }
    let mut model: club::ActiveModel = current.into();
    model.archived_at = Set(Some(scope.now()));
    model.updated_at = Set(scope.now());
    let saved = tx.update(model).await?;
    tx.commit().await?;
    Ok(saved)
}

/// A club the brand runs itself (not its place in a coalition's club).
fn run_by_brand(c: &club::Model) -> Result<(), AppError> {
    if c.coalition_club_id.is_some() {
        return Err(AppError::conflict(
            "this club is run by the coalition's operator: its name, questions and life are theirs",
        ));
    }
    Ok(())
}

pub async fn get(scope: &TenantScope, id: Uuid) -> Result<club::Model, AppError> {
    scope.conn().get::<club::Entity>(id).await
}

/// The brand's clubs, by name (archived ones only when asked).
pub async fn list(scope: &TenantScope, archived: bool) -> Result<Vec<club::Model>, AppError> {
    let conn = scope.conn();
    let mut q = conn.find::<club::Entity>().order_by_asc(club::Column::Name);
    if !archived {
        q = q.filter(club::Column::ArchivedAt.is_null());
    }
    Ok(q.all(conn.db()).await?)
}

/// The club's members in a status (all statuses when none), by last change, newest first (at
/// most 1000).
pub async fn members(
    scope: &TenantScope,
    club: Uuid,
    status: Option<ClubMemberStatus>,
) -> Result<Vec<club_member::Model>, AppError> {
    let conn = scope.conn();
    conn.get::<club::Entity>(club).await?;
    let mut q = conn
        .find::<club_member::Entity>()
        .filter(club_member::Column::ClubId.eq(club))
        .order_by_desc(club_member::Column::UpdatedAt)
        .order_by_asc(club_member::Column::Id)
        .limit(1000);
    if let Some(s) = status {
        q = q.filter(club_member::Column::Status.eq(s));
    }
    Ok(q.all(conn.db()).await?)
}

/// A member's clubs with their place in each (every status).
pub async fn of_member(
    scope: &TenantScope,
    member: Uuid,
) -> Result<Vec<(club::Model, club_member::Model)>, AppError> {
    let conn = scope.conn();
    let places = conn
        .find::<club_member::Entity>()
        .filter(club_member::Column::MemberId.eq(member))
        .all(conn.db())
        .await?;
    let mut out = Vec::new();
    for place in places {
        if let Ok(c) = conn.get::<club::Entity>(place.club_id).await {
            out.push((c, place));
        }
    }
    out.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    Ok(out)
}

/// Whether the member is an active member of the club.
pub async fn is_active<C: ConnectionTrait>(
    conn: &Scoped<C>,
    club: Uuid,
    member: Uuid,
) -> Result<bool, AppError> {
    Ok(conn
        .find::<club_member::Entity>()
        .filter(club_member::Column::ClubId.eq(club))
        .filter(club_member::Column::MemberId.eq(member))
        .filter(club_member::Column::Status.eq(ClubMemberStatus::Active))
        .count(conn.db())
        .await?
        > 0)
}

/// Checks answers against the club's questions; the cleaned answers.
fn check_answers(
    c: &club::Model,
    answers: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, AppError> {
    let questions = questions_of(c);
    let mut out = BTreeMap::new();
    for (key, value) in answers {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let Some(q) = questions.iter().find(|q| &q.key == key) else {
            return Err(AppError::validation(
                "answers",
                "must answer only the club's questions",
            ));
        };
        // A date is kept as YYYY-MM-DD whatever the padding typed (one form per date, so that
        // audiences compare them).
        let value = match q.kind {
            QuestionKind::Date => value
                .split('-')
                .map(|p| p.parse::<u32>().ok())
                .collect::<Option<Vec<_>>>()
                .filter(|p| p.len() == 3 && value.len() <= 10 && !value.starts_with('+'))
                .and_then(|p| NaiveDate::from_ymd_opt(i32::try_from(p[0]).ok()?, p[1], p[2]))
                .filter(|d| (1900..=2200).contains(&d.year()))
                .map(|d| d.format("%Y-%m-%d").to_string()),
            QuestionKind::Text => (value.chars().count() <= 200).then(|| value.to_owned()),
            QuestionKind::Choice => q
                .choices
                .iter()
                .any(|c| c == value)
                .then(|| value.to_owned()),
        };
        let Some(value) = value else {
            return Err(AppError::validation(
                "answers",
                match q.kind {
                    QuestionKind::Text => "a text answer has at most 200 characters",
                    QuestionKind::Date => "a date answer is written YYYY-MM-DD",
                    QuestionKind::Choice => "a choice answer is one of the question's choices",
                },
            ));
        };
        out.insert(key.clone(), value);
    }
    Ok(out)
}

/// Why a member may not join a club now (None: they may; an active member may update their
/// answers).
pub async fn why_not(
    scope: &TenantScope,
    c: &club::Model,
    member: Uuid,
) -> Result<Option<&'static str>, AppError> {
    let conn = scope.conn();
    let status = conn
        .find::<club_member::Entity>()
        .filter(club_member::Column::ClubId.eq(c.id))
        .filter(club_member::Column::MemberId.eq(member))
        .one(conn.db())
        .await?
        .map(|p| p.status);
    if status == Some(ClubMemberStatus::Active) {
        return Ok(None);
    }
    may_not_join(&conn, c, member, status == Some(ClubMemberStatus::Invited)).await
}

/// Why a member may not join (None: they may). An invitation opens any club.
async fn may_not_join<C: ConnectionTrait>(
    tx: &Scoped<C>,
    c: &club::Model,
    member: Uuid,
    invited: bool,
) -> Result<Option<&'static str>, AppError> {
    if c.archived_at.is_some() {
        return Ok(Some("this club is closed"));
    }
    if let Some(program) = c.membership_program_id
        && !crate::loyalty::memberships::paid_at(tx, member, tx.now())
            .await?
            .contains(&program)
    {
        return Ok(Some(
            "this club is paid: an active membership of its program is needed",
        ));
    }
    if invited {
        return Ok(None);
    }
    Ok(match c.join_rule {
        JoinRule::Open => None,
        JoinRule::Invitation => Some("this club is by invitation"),
        JoinRule::Segment => {
            let segment = c.segment_id.unwrap_or_default();
            (!crate::engagement::audiences::segment_contains(tx, segment, member).await?)
                .then_some("this club is for another group of members")
        }
        JoinRule::Tier => {
            let wanted = tiers_of(c);
            let held = crate::loyalty::tiers::names_held(tx, member).await?;
            (!crate::loyalty::tiers::holds_any(&held, &wanted))
                .then_some("this club is for members of other tiers")
        }
    })
}

async fn place<C: ConnectionTrait>(
    tx: &Scoped<C>,
    club: Uuid,
    member: Uuid,
) -> Result<club_member::Model, AppError> {
    tx.insert_if_absent(
        club_member::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tx.tenant_id()),
            club_id: Set(club),
            member_id: Set(member),
            status: Set(ClubMemberStatus::Left),
            answers: Set(None),
            answers_consent_at: Set(None),
            invited_at: Set(None),
            joined_at: Set(None),
            left_at: Set(None),
            joins: Set(0),
            updated_at: Set(tx.now()),
        },
        vec![
            club_member::Column::TenantId,
            club_member::Column::ClubId,
            club_member::Column::MemberId,
        ],
    )
    .await?;
    tx.find::<club_member::Entity>()
        .filter(club_member::Column::ClubId.eq(club))
        .filter(club_member::Column::MemberId.eq(member))
        .one(tx.db())
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("club place vanished")))
}

/// What a member gives when joining.
#[derive(Debug, Clone, Serialize)]
pub struct Joining {
    pub club: Uuid,
    pub member: Uuid,
    /// The answers, replacing earlier ones (none given: earlier ones stay as they are).
    pub answers: Option<BTreeMap<String, String>>,
    /// The member agrees that the club keeps their answers.
    pub consent: bool,
}

/// A member joins a club (or, already in, updates their answers). Answers given replace the
/// earlier ones and are kept only with consent (refused without it); none given: the earlier
/// ones stay.
pub async fn join(
    scope: &TenantScope,
    j: Joining,
    idempotency_key: Option<&str>,
) -> Result<club_member::Model, AppError> {
    let idem = Idempotency::optional(
        scope.tenant_id().to_string(),
        "joinClub",
        idempotency_key,
        &j,
    )?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.replay(scope.conn().db()).await?
    {
        let id = crate::core::idempotency::recorded_id(&previous, "place")?;
        return scope.conn().get::<club_member::Entity>(id).await;
    }
    let c = get(scope, j.club).await?;
    if crate::community::events::erased(&scope.conn().get::<member::Entity>(j.member).await?) {
        return Err(AppError::conflict("this member's data was erased"));
    }
    let answers = j
        .answers
        .as_ref()
        .map(|a| check_answers(&c, a))
        .transpose()?;
    if answers.as_ref().is_some_and(|a| !a.is_empty()) && !j.consent {
        return Err(AppError::validation(
            "consent",
            "must be given: the club keeps answers only with the member's consent",
        ));
    }
    let now = scope.now();
    let tx = scope.begin().await?;
    if let Some(idem) = &idem
        && let Some(previous) = idem.claim(tx.db()).await?
    {
        drop(tx);
        let id = crate::core::idempotency::recorded_id(&previous, "place")?;
        return scope.conn().get::<club_member::Entity>(id).await;
    }
    let current = place(&tx, c.id, j.member).await?;
    if current.status != ClubMemberStatus::Active {
        let invited = current.status == ClubMemberStatus::Invited;
        if let Some(why) = may_not_join(&tx, &c, j.member, invited).await? {
            return Err(AppError::conflict(why));
        }
        // The conditional update makes two racing joins count once.
        let moved = tx
            .update_many::<club_member::Entity>()
            .col_expr(
                club_member::Column::Status,
                Expr::value(ClubMemberStatus::Active),
            )
            .col_expr(club_member::Column::JoinedAt, Expr::value(Some(now)))
            .col_expr(
                club_member::Column::Joins,
                Expr::col(club_member::Column::Joins).add(1),
            )
            .col_expr(club_member::Column::UpdatedAt, Expr::value(now))
            .filter(club_member::Column::Id.eq(current.id))
            .filter(club_member::Column::Status.ne(ClubMemberStatus::Active))
            .exec(tx.db())
            .await?;
        if moved.rows_affected == 1 {
            events::append(
                &tx,
                "club.joined",
                Some(c.id),
                Some(j.member),
                serde_json::json!({ "club": c.name, "invited": invited }),
            )
            .await?;
        }
    }
    if let Some(answers) = answers {
        tx.update_many::<club_member::Entity>()
            .col_expr(
                club_member::Column::Answers,
                Expr::value((!answers.is_empty()).then(|| json(&answers)).transpose()?),
            )
            .col_expr(
                club_member::Column::AnswersConsentAt,
                Expr::value((!answers.is_empty()).then_some(now)),
            )
            .col_expr(club_member::Column::UpdatedAt, Expr::value(now))
            .filter(club_member::Column::Id.eq(current.id))
            // A leave (or an erasure) that came first keeps the answers dropped.
            .filter(club_member::Column::Status.eq(ClubMemberStatus::Active))
            .exec(tx.db())
            .await?;
    }
    let saved = tx.get::<club_member::Entity>(current.id).await?;
    if let Some(idem) = &idem {
        idem.record(tx.db(), serde_json::json!({ "place": saved.id }))
            .await?;
    }
    tx.commit().await?;
    Ok(saved)
}

/// A member leaves a club (their answers are dropped). Leaving a club one is not in is
/// NOT_FOUND; leaving twice changes nothing.
pub async fn leave(
    scope: &TenantScope,
    club: Uuid,
    member: Uuid,
    reason: &str,
) -> Result<club_member::Model, AppError> {
    let c = get(scope, club).await?;
    let tx = scope.begin().await?;
    leave_in(&tx, &c, member, reason).await?;
    let saved = tx
        .find::<club_member::Entity>()
        .filter(club_member::Column::ClubId.eq(club))
        .filter(club_member::Column::MemberId.eq(member))
        .one(tx.db())
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(saved)
}

async fn leave_in<C: ConnectionTrait>(
    tx: &Scoped<C>,
    c: &club::Model,
    member: Uuid,
    reason: &str,
) -> Result<bool, AppError> {
    let now = tx.now();
    let moved = tx
        .update_many::<club_member::Entity>()
        .col_expr(
            club_member::Column::Status,
            Expr::value(ClubMemberStatus::Left),
        )
        .col_expr(club_member::Column::LeftAt, Expr::value(Some(now)))
        // Coming back to an invitation-only club takes a new invitation.
        .col_expr(
            club_member::Column::InvitedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            club_member::Column::Answers,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            club_member::Column::AnswersConsentAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(club_member::Column::UpdatedAt, Expr::value(now))
        .filter(club_member::Column::ClubId.eq(c.id))
        .filter(club_member::Column::MemberId.eq(member))
        .filter(club_member::Column::Status.ne(ClubMemberStatus::Left))
        .exec(tx.db())
        .await?;
    if moved.rows_affected == 1 {
        events::append(
            tx,
            "club.left",
            Some(c.id),
            Some(member),
            serde_json::json!({ "club": c.name, "reason": reason }),
        )
        .await?;
    }
    Ok(moved.rows_affected == 1)
}

/// Invites members (of the brand, not in the club yet): each is mailed once. Returns how many
/// were newly invited.
pub async fn invite(scope: &TenantScope, club: Uuid, members: &[Uuid]) -> Result<u64, AppError> {
    let c = get(scope, club).await?;
    if c.archived_at.is_some() {
        return Err(AppError::conflict("this club is closed"));
    }
    if members.is_empty() || members.len() > 1000 {
        return Err(AppError::validation(
            "memberIds",
            "invite 1 to 1000 members at a time",
        ));
    }
    let tx = scope.begin().await?;
    let now = scope.now();
    let mut invited = 0;
    for &m in members {
        if crate::community::events::erased(&tx.get::<member::Entity>(m).await?) {
            continue;
        }
        let current = place(&tx, c.id, m).await?;
        if current.status == ClubMemberStatus::Active || current.invited_at.is_some() {
            continue;
        }
        let moved = tx
            .update_many::<club_member::Entity>()
            .col_expr(
                club_member::Column::Status,
                Expr::value(ClubMemberStatus::Invited),
            )
            .col_expr(club_member::Column::InvitedAt, Expr::value(Some(now)))
            .col_expr(club_member::Column::UpdatedAt, Expr::value(now))
            .filter(club_member::Column::Id.eq(current.id))
            .filter(club_member::Column::Status.eq(ClubMemberStatus::Left))
            .filter(club_member::Column::InvitedAt.is_null())
            .exec(tx.db())
            .await?;
        if moved.rows_affected == 1 {
            invited += 1;
            // The event carries what the mail says (engagement does not read clubs).
            events::append(
                &tx,
                "club.invited",
                Some(c.id),
                Some(m),
                serde_json::json!({ "clubName": c.name, "clubId": c.id }),
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(invited)
}

/// A club's figures.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    /// Members in the club now.
    pub members: u64,
    /// Invitations not answered yet.
    pub invited: u64,
    /// Joins ever (a member who left and came back counts twice).
    pub joins: u64,
    /// Members who left (and have not come back).
    pub leaves: u64,
    /// Members in the club who bought something in the last 90 days.
    pub active_members: u64,
    /// Revenue in the last 365 days: of the club's members, of the brand's other members.
    pub members_revenue_minor: i64,
    pub others_revenue_minor: i64,
    /// Per member (club members; other members of the brand).
    pub revenue_per_member_minor: i64,
    pub revenue_per_other_member_minor: i64,
}

pub async fn figures(scope: &TenantScope, club: Uuid) -> Result<Figures, AppError> {
    let conn = scope.conn();
    conn.get::<club::Entity>(club).await?;
    let rows = conn
        .find::<club_member::Entity>()
        .select_only()
        .column(club_member::Column::Status)
        .column_as(club_member::Column::Id.count(), "n")
        .column_as(Expr::cust("CAST(SUM(joins) AS BIGINT)"), "joins")
        .filter(club_member::Column::ClubId.eq(club))
        .group_by(club_member::Column::Status)
        .into_tuple::<(ClubMemberStatus, i64, Option<i64>)>()
        .all(conn.db())
        .await?;
    let mut f = Figures::default();
    for (status, n, joins) in rows {
        let n = u64::try_from(n).unwrap_or(0);
        f.joins += u64::try_from(joins.unwrap_or(0)).unwrap_or(0);
        match status {
            ClubMemberStatus::Active => f.members = n,
            ClubMemberStatus::Invited => f.invited = n,
            ClubMemberStatus::Left => {}
        }
    }
    f.leaves = conn
        .find::<club_member::Entity>()
        .filter(club_member::Column::ClubId.eq(club))
        .filter(club_member::Column::Status.ne(ClubMemberStatus::Active))
        // An invitation turned down is not a leave; a member who left and is invited again is.
        .filter(club_member::Column::Joins.gt(0))
        .count(conn.db())
        .await?;
    let now = scope.now();
    let in_club = || {
        sea_orm::sea_query::Query::select()
            .column(club_member::Column::MemberId)
            .from(club_member::Entity)
            .and_where(club_member::Column::TenantId.eq(scope.tenant_id()))
            .and_where(club_member::Column::ClubId.eq(club))
            .and_where(club_member::Column::Status.eq(ClubMemberStatus::Active))
            .to_owned()
    };
    let sum = |members: bool| {
        let base = conn
            .find::<purchase::Entity>()
            .select_only()
            // SUM of a BIGINT is NUMERIC on PostgreSQL: cast back.
            .column_as(Expr::cust("CAST(SUM(total_minor) AS BIGINT)"), "s")
            .filter(purchase::Column::OccurredAt.gt(now - chrono::Duration::days(365)))
            .filter(purchase::Column::MemberId.is_not_null());
        if members {
            base.filter(purchase::Column::MemberId.in_subquery(in_club()))
        } else {
            base.filter(purchase::Column::MemberId.not_in_subquery(in_club()))
        }
    };
    f.members_revenue_minor = sum(true)
        .into_tuple::<Option<i64>>()
        .one(conn.db())
        .await?
        .flatten()
        .unwrap_or(0);
    f.others_revenue_minor = sum(false)
        .into_tuple::<Option<i64>>()
        .one(conn.db())
        .await?
        .flatten()
        .unwrap_or(0);
    f.active_members = conn
        .find::<purchase::Entity>()
        .select_only()
        .column(purchase::Column::MemberId)
        .distinct()
        .filter(purchase::Column::OccurredAt.gt(now - chrono::Duration::days(90)))
        .filter(purchase::Column::MemberId.in_subquery(in_club()))
        .into_tuple::<Option<Uuid>>()
        .all(conn.db())
        .await?
        .len() as u64;
    let others = conn
        .find::<member::Entity>()
        .count(conn.db())
        .await?
        .saturating_sub(f.members);
    let per = |sum: i64, n: u64| {
        if n == 0 {
            0
        } else {
            sum / i64::try_from(n).unwrap_or(i64::MAX)
        }
    };
    f.revenue_per_member_minor = per(f.members_revenue_minor, f.members);
    f.revenue_per_other_member_minor = per(f.others_revenue_minor, others);
    Ok(f)
}

/// Part of the `clubs and events` job: members of a paid club whose membership of its program
/// has ended leave the club. Returns how many left.
pub async fn settle_paid(base: &Base, now: DateTime<Utc>) -> Result<u64, AppError> {
    let mut left = 0;
    for brand in crate::identity::brands::active(&base.db).await? {
        let scope = base.scope(brand.id);
        let conn = scope.conn();
        for c in conn
            .find::<club::Entity>()
            .filter(club::Column::MembershipProgramId.is_not_null())
            .all(conn.db())
            .await?
        {
            let Some(program) = c.membership_program_id else {
                continue;
            };
            let active = conn
                .find::<club_member::Entity>()
                .filter(club_member::Column::ClubId.eq(c.id))
                .filter(club_member::Column::Status.eq(ClubMemberStatus::Active))
                .all(conn.db())
                .await?;
            for place in active {
                if crate::loyalty::memberships::paid_at(&conn, place.member_id, now)
                    .await?
                    .contains(&program)
                {
                    continue;
                }
                let tx = scope.begin().await?;
                if leave_in(&tx, &c, place.member_id, "membership ended").await? {
                    left += 1;
                }
                tx.commit().await?;
            }
        }
    }
    Ok(left)
}

/// Takes an erased member out of every club (their answers go with it). Returns how many
/// places were left.
pub async fn leave_all(scope: &TenantScope, member: Uuid) -> Result<u64, AppError> {
    let conn = scope.conn();
    let mut left = 0;
    for place in conn
        .find::<club_member::Entity>()
        .filter(club_member::Column::MemberId.eq(member))
        .filter(club_member::Column::Status.ne(ClubMemberStatus::Left))
        .all(conn.db())
        .await?
    {
        let c = conn.get::<club::Entity>(place.club_id).await?;
        let tx = scope.begin().await?;
        if leave_in(&tx, &c, member, "member erased").await? {
            left += 1;
        }
        tx.commit().await?;
    }
    Ok(left)
}
