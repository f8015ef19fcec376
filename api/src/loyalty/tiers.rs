//! Tiers: a member moves up as soon as the qualifying value over the rolling window reaches a
//! level's threshold, keeps the level for one window, and at its end requalifies or moves down
//! to the level the value over the window then ending supports.
//!
//! Assignments are an append-only history (`member_tier`); each names the one it follows, and
//! that link is unique, so two evaluations racing on the same state append once.

use chrono::{DateTime, Months, Utc};
use entity::{member_tier, member_tier::TierReason};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::{
    core::{
        error::AppError,
        tenancy::{Scoped, TenantScope},
    },
    loyalty::{
        programs,
        programs::{TierBasis, TierRules},
    },
};

fn window_start(rules: &TierRules, end: DateTime<Utc>) -> DateTime<Utc> {
    end.checked_sub_months(Months::new(rules.window_months))
        .unwrap_or(end)
}

/// The member's latest assignment in the program, if any.
pub async fn current<C: ConnectionTrait>(
    tx: &Scoped<C>,
    member: Uuid,
    program: Uuid,
) -> Result<Option<member_tier::Model>, AppError> {
    Ok(tx
        .find::<member_tier::Entity>()
        .filter(member_tier::Column::MemberId.eq(member))
        .filter(member_tier::Column::ProgramId.eq(program))
        .order_by_desc(member_tier::Column::CreatedAt)
        .order_by_desc(member_tier::Column::Id)
        .one(tx.db())
        .await?)
}

/// Whether tiers held (as `names_held` gives them) include one of `wanted` (case-insensitive).
pub fn holds_any(held: &[String], wanted: &[String]) -> bool {
    held.iter()
        .any(|h| wanted.iter().any(|w| w.eq_ignore_ascii_case(h)))
}

/// The names of the tiers a member holds (the latest assignment in each program), lower-cased.
pub async fn names_held<C: ConnectionTrait>(
    tx: &Scoped<C>,
    member: Uuid,
) -> Result<Vec<String>, AppError> {
    let assignments = tx
        .find::<member_tier::Entity>()
        .filter(member_tier::Column::MemberId.eq(member))
        .order_by_desc(member_tier::Column::CreatedAt)
        .order_by_desc(member_tier::Column::Id)
        .all(tx.db())
        .await?;
    let mut seen = Vec::new();
    let mut names = Vec::new();
    for a in assignments {
        if !seen.contains(&a.program_id) {
            seen.push(a.program_id);
            names.push(a.name.to_lowercase());
        }
    }
    Ok(names)
}

/// The member's level now (0 when never assigned).
pub async fn level<C: ConnectionTrait>(
    tx: &Scoped<C>,
    member: Uuid,
    program: Uuid,
) -> Result<i32, AppError> {
    Ok(current(tx, member, program).await?.map_or(0, |t| t.level))
}

/// Qualifying value over `(from, to]`.
pub async fn qualifying_value<C: ConnectionTrait>(
    tx: &Scoped<C>,
    basis: TierBasis,
    member: Uuid,
    program: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<i64, AppError> {
    crate::loyalty::store::qualifying_value(tx, basis, member, program, from, to).await
}

/// Appends an assignment after `previous` (nil for the first). `false` when another evaluation
/// appended after the same state first.
#[expect(clippy::too_many_arguments, reason = "one row, all of it needed")]
async fn append<C: ConnectionTrait>(
    tx: &Scoped<C>,
    rules: &TierRules,
    member: Uuid,
    program: Uuid,
    previous: Uuid,
    level: i32,
    reason: TierReason,
    value: i64,
    starts_at: DateTime<Utc>,
) -> Result<bool, AppError> {
    let qualified_until = (level > 0).then(|| {
        starts_at
            .checked_add_months(Months::new(rules.window_months))
            .unwrap_or(starts_at)
    });
    let id = Uuid::now_v7();
    let appended = tx
        .insert_if_absent(
            member_tier::ActiveModel {
                id: Set(id),
                tenant_id: Set(tx.tenant_id()),
                member_id: Set(member),
                program_id: Set(program),
                previous_id: Set(previous),
                level: Set(level),
                name: Set(rules.name_of(level).to_owned()),
                reason: Set(reason),
                qualifying_value: Set(value),
                starts_at: Set(starts_at),
                qualified_until: Set(qualified_until),
                created_at: Set(tx.now()),
            },
            vec![
                member_tier::Column::TenantId,
                member_tier::Column::MemberId,
                member_tier::Column::ProgramId,
                member_tier::Column::PreviousId,
            ],
        )
        .await?;
    if appended {
        crate::core::events::append(
            tx,
            "tier.changed",
            Some(id),
            Some(member),
            serde_json::json!({ "program": program, "level": level, "name": rules.name_of(level), "reason": reason }),
        )
        .await?;
    }
    Ok(appended)
}

/// After a purchase (or a return) dated `at`: moves the member up if the window ending now (or
/// at `at`, if it is later) reaches a higher level. Returns the new level's name when it did.
///
/// The window ends at the latest activity whatever the order purchases are recorded in (a
/// purchase dated before one already recorded counts with it), and evaluations of one member
/// and program are serialised (a lock taken after the purchase's own writes: each sees the
/// purchases committed before it), so two simultaneous purchases cannot each miss the other.
pub async fn after_activity<C: ConnectionTrait>(
    tx: &Scoped<C>,
    rules: &TierRules,
    member: Uuid,
    program: Uuid,
    at: DateTime<Utc>,
) -> Result<Option<String>, AppError> {
    crate::core::db::advisory_lock(tx.db(), &format!("tier:{member}:{program}")).await?;
    let current = current(tx, member, program).await?;
    let level = current.as_ref().map_or(0, |t| t.level);
    // The window ending at the activity (an imported purchase upgrades as of its date), and
    // the one ending now (a purchase recorded after a later-dated one counts with it): the
    // member gets the better of the two.
    let value_at = qualifying_value(
        tx,
        rules.basis,
        member,
        program,
        window_start(rules, at),
        at,
    )
    .await?;
    let end = Ord::max(at, tx.now());
    let value_end = if end > at {
        qualifying_value(
            tx,
            rules.basis,
            member,
            program,
            window_start(rules, end),
            end,
        )
        .await?
    } else {
        value_at
    };
    let (starts_at, value) = if rules.level_for(value_end) > rules.level_for(value_at) {
        (end, value_end)
    } else {
        (at, value_at)
    };
    let reached = rules.level_for(value);
    if reached <= level {
        return Ok(None);
    }
    let previous = current.map_or(Uuid::nil(), |t| t.id);
    if append(
        tx,
        rules,
        member,
        program,
        previous,
        reached,
        TierReason::Upgrade,
        value,
        starts_at,
    )
    .await?
    {
        Ok(Some(rules.name_of(reached).to_owned()))
    } else {
        Err(AppError::conflict(
            "the member's tier changed meanwhile; retry",
        ))
    }
}

/// Requalifies or moves down every member whose qualification period ended by `now`. Safe to
/// run from several workers at once: each step appends after a known state, once.
pub async fn run_once(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, AppError> {
    let mut changed = 0;
    loop {
        let due = crate::loyalty::store::due_tiers(db, now, 200).await?;
        if due.is_empty() {
            return Ok(changed);
        }
        let mut progressed = false;
        for tier in due {
            if evaluate(db, &tier, now).await? {
                changed += 1;
                progressed = true;
            }
        }
        if !progressed {
            return Ok(changed);
        }
    }
}

async fn evaluate(
    db: &DatabaseConnection,
    tier: &member_tier::Model,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let Some(end) = tier.qualified_until else {
        return Ok(false);
    };
    let scope = TenantScope::with_clock(
        db.clone(),
        tier.tenant_id,
        crate::core::clock::Clock::starting_at(now),
    );
    let tx = scope.begin().await?;
    let rules = programs::rules_at(&tx, tier.program_id, end)
        .await?
        .and_then(|(r, _)| r.tiers().cloned());
    let (level, value, rules) = match rules {
        Some(rules) => {
            let value = qualifying_value(
                &tx,
                rules.basis,
                tier.member_id,
                tier.program_id,
                window_start(&rules, end),
                end,
            )
            .await?;
            (rules.level_for(value), value, rules)
        }
        // The program no longer has tiers: back to the base level.
        None => (
            0,
            0,
            TierRules {
                basis: TierBasis::Earned,
                window_months: 12,
                base_name: "Base".to_owned(),
                levels: Vec::new(),
            },
        ),
    };
    let (level, reason) = if level >= tier.level {
        (tier.level.max(level), TierReason::Requalified)
    } else {
        (level, TierReason::Downgrade)
    };
    let appended = append(
        &tx,
        &rules,
        tier.member_id,
        tier.program_id,
        tier.id,
        level,
        reason,
        value,
        end,
    )
    .await?;
    tx.commit().await?;
    Ok(appended)
}

/// A member's standing in one tiered program.
#[derive(Debug, Clone)]
pub struct Standing {
    pub program: entity::program::Model,
    pub rules: TierRules,
    pub level: i32,
    pub since: Option<DateTime<Utc>>,
    pub qualified_until: Option<DateTime<Utc>>,
    /// Qualifying value over the window ending now.
    pub value: i64,
    pub history: Vec<member_tier::Model>,
}

/// The member's standing in every active program that has tiers now.
pub async fn standings(scope: &TenantScope, member: Uuid) -> Result<Vec<Standing>, AppError> {
    let conn = scope.conn();
    let now = scope.now();
    let mut out = Vec::new();
    for program in programs::active_at(&conn, now).await? {
        let Some(rules) = program.rules.tiers().cloned() else {
            continue;
        };
        let history = conn
            .find::<member_tier::Entity>()
            .filter(member_tier::Column::MemberId.eq(member))
            .filter(member_tier::Column::ProgramId.eq(program.program.id))
            .order_by_asc(member_tier::Column::CreatedAt)
            .order_by_asc(member_tier::Column::Id)
            .all(conn.db())
            .await?;
        let latest = history.last();
        let value = qualifying_value(
            &conn,
            rules.basis,
            member,
            program.program.id,
            window_start(&rules, now),
            now,
        )
        .await?;
        out.push(Standing {
            level: latest.map_or(0, |t| t.level),
            since: latest.map(|t| t.starts_at),
            qualified_until: latest.and_then(|t| t.qualified_until),
            program: program.program,
            rules,
            value,
            history,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loyalty::programs::TierLevel;

    fn rules() -> TierRules {
        let level = |name: &str, threshold, multiplier_percent| TierLevel {
            name: name.to_owned(),
            threshold,
            multiplier_percent,
            perks: vec![],
        };
        TierRules {
            basis: TierBasis::Earned,
            window_months: 12,
            base_name: "Blue".into(),
            levels: vec![level("Silver", 100, 125), level("Gold", 500, 150)],
        }
    }

    #[test]
    fn levels_names_and_multipliers_follow_thresholds() {
        let r = rules();
        assert_eq!(
            [0, 99, 100, 499, 500, 10_000].map(|v| r.level_for(v)),
            [0, 0, 1, 1, 2, 2]
        );
        assert_eq!([0, 1, 2].map(|l| r.name_of(l)), ["Blue", "Silver", "Gold"]);
        assert_eq!([0, 1, 2].map(|l| r.multiplier_of(l)), [100, 125, 150]);
        assert_eq!(r.name_of(7), "Blue");
    }
}
