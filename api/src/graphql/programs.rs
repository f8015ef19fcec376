//! Programs: `createProgram`, `updateProgramRules`, `programs`, `program`.

use async_graphql::{
    Context, Enum, ID, InputObject, Object, Result, SimpleObject, connection::Connection,
};
use chrono::{DateTime, Utc};

use super::{ContextExt, guards::PermissionGuard, relay};
use crate::{
    auth::Permission,
    domain::{
        self,
        programs::{self as rules, ProgramWithRules, Rules},
    },
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::program::Mechanic")]
pub enum Mechanic {
    Points,
    Cashback,
    Stamps,
    StoredValue,
    Membership,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::program::ProgramStatus")]
pub enum ProgramStatus {
    Active,
    Archived,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::programs::Rounding")]
pub enum Rounding {
    Down,
    Nearest,
    Up,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::programs::EarningBase")]
pub enum EarningBase {
    /// Quantity x unit price.
    Gross,
    /// Less line discounts.
    NetOfDiscounts,
    /// Less line discounts and tax.
    NetOfTax,
}

#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "CategoryMultiplierInput")]
pub struct CategoryMultiplier {
    pub category: String,
    /// 200 = double points on this category.
    pub percent: i64,
}

#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "BonusPeriodInput")]
pub struct BonusPeriod {
    pub label: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// 200 = double points. Overlapping periods do not stack: the highest applies.
    pub percent: i64,
}

/// Rules of a POINTS program.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "PointsRulesInput")]
pub struct PointsRules {
    /// Points per step of `perAmountMinor` spent.
    #[graphql(default = 1)]
    pub points: i64,
    /// The step, in minor units (1000 = 10.00).
    #[graphql(default = 1000)]
    pub per_amount_minor: i64,
    #[graphql(default_with = "Rounding::Down")]
    pub rounding: Rounding,
    #[graphql(default_with = "EarningBase::NetOfDiscounts")]
    pub earning_base: EarningBase,
    #[graphql(default)]
    pub minimum_purchase_minor: i64,
    #[graphql(default)]
    pub category_multipliers: Vec<CategoryMultiplier>,
    #[graphql(default)]
    pub bonus_periods: Vec<BonusPeriod>,
    #[graphql(default)]
    pub welcome_bonus: i64,
    #[graphql(default)]
    pub birthday_bonus: i64,
    /// Months a point lives from the day it is earned.
    #[graphql(default = 12)]
    pub validity_months: u32,
    /// Value of one point in minor units when converted into a voucher.
    #[graphql(default = 100)]
    pub point_value_minor: i64,
    #[graphql(default = 25)]
    pub minimum_redemption_points: i64,
}

impl From<PointsRules> for rules::PointsRules {
    fn from(r: PointsRules) -> Self {
        Self {
            points: r.points,
            per_amount_minor: r.per_amount_minor,
            rounding: r.rounding.into(),
            earning_base: r.earning_base.into(),
            minimum_purchase_minor: r.minimum_purchase_minor,
            category_multipliers: r
                .category_multipliers
                .into_iter()
                .map(|m| rules::CategoryMultiplier {
                    category: m.category.trim().to_owned(),
                    percent: m.percent,
                })
                .collect(),
            bonus_periods: r
                .bonus_periods
                .into_iter()
                .map(|b| rules::BonusPeriod {
                    label: b.label,
                    starts_at: b.starts_at,
                    ends_at: b.ends_at,
                    percent: b.percent,
                })
                .collect(),
            welcome_bonus: r.welcome_bonus,
            birthday_bonus: r.birthday_bonus,
            validity_months: r.validity_months,
            point_value_minor: r.point_value_minor,
            minimum_redemption_points: r.minimum_redemption_points,
        }
    }
}

impl From<rules::PointsRules> for PointsRules {
    fn from(r: rules::PointsRules) -> Self {
        Self {
            points: r.points,
            per_amount_minor: r.per_amount_minor,
            rounding: r.rounding.into(),
            earning_base: r.earning_base.into(),
            minimum_purchase_minor: r.minimum_purchase_minor,
            category_multipliers: r
                .category_multipliers
                .into_iter()
                .map(|m| CategoryMultiplier {
                    category: m.category,
                    percent: m.percent,
                })
                .collect(),
            bonus_periods: r
                .bonus_periods
                .into_iter()
                .map(|b| BonusPeriod {
                    label: b.label,
                    starts_at: b.starts_at,
                    ends_at: b.ends_at,
                    percent: b.percent,
                })
                .collect(),
            welcome_bonus: r.welcome_bonus,
            birthday_bonus: r.birthday_bonus,
            validity_months: r.validity_months,
            point_value_minor: r.point_value_minor,
            minimum_redemption_points: r.minimum_redemption_points,
        }
    }
}

/// Rules of a STORED_VALUE program: a prepaid balance, topped up, spent and refunded.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "StoredValueRulesInput")]
pub struct StoredValueRules {
    /// Largest balance a member may hold, in minor units.
    #[graphql(default = 50000)]
    pub max_balance_minor: i64,
    /// Smallest top-up, in minor units.
    #[graphql(default = 1000)]
    pub min_top_up_minor: i64,
}

/// A loyalty program of the brand.
#[derive(SimpleObject, Clone)]
pub struct Program {
    pub id: ID,
    pub name: String,
    pub mechanic: Mechanic,
    pub status: ProgramStatus,
    /// When the rules shown took effect.
    pub effective_from: DateTime<Utc>,
    /// The rules, for a POINTS program.
    pub points: Option<PointsRules>,
    /// The rules, for a STORED_VALUE program.
    pub stored_value: Option<StoredValueRules>,
    pub created_at: DateTime<Utc>,
}

impl From<ProgramWithRules> for Program {
    fn from(p: ProgramWithRules) -> Self {
        let (points, stored_value) = match p.rules {
            Rules::Points(points) => (Some(points.into()), None),
            Rules::StoredValue(s) => (
                None,
                Some(StoredValueRules {
                    max_balance_minor: s.max_balance_minor,
                    min_top_up_minor: s.min_top_up_minor,
                }),
            ),
        };
        Self {
            id: ID(p.program.id.to_string()),
            name: p.program.name,
            mechanic: p.program.mechanic.into(),
            status: p.program.status.into(),
            effective_from: p.effective_from,
            points,
            stored_value,
            created_at: p.program.created_at,
        }
    }
}

/// One mechanic's rules: exactly one field is set.
#[derive(InputObject)]
pub struct RulesInput {
    pub points: Option<PointsRules>,
    pub stored_value: Option<StoredValueRules>,
}

impl RulesInput {
    fn into_rules(self) -> Result<Rules, crate::AppError> {
        match (self.points, self.stored_value) {
            (Some(points), None) => Ok(Rules::Points(points.into())),
            (None, Some(s)) => Ok(Rules::StoredValue(domain::programs::StoredValueRules {
                max_balance_minor: s.max_balance_minor,
                min_top_up_minor: s.min_top_up_minor,
            })),
            _ => Err(crate::AppError::validation(
                "rules",
                "give the rules of exactly one mechanic (points or storedValue)",
            )),
        }
    }
}

#[derive(InputObject)]
pub struct CreateProgramInput {
    pub name: String,
    pub rules: RulesInput,
    /// When the rules start to apply (default now). May be in the past when importing a
    /// program's history: purchases recorded with earlier dates then earn under these rules.
    pub effective_from: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct ProgramQuery;

#[Object]
impl ProgramQuery {
    /// The brand's programs with the rules in force now.
    #[graphql(
        guard = "PermissionGuard(Permission::ViewPrograms)",
        complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity + 1"
    )]
    async fn programs(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Program>> {
        let page = relay::page_request(first, after)?;
        let had_cursor = page.after.is_some();
        let programs = domain::programs::list(ctx.scope()?, page).await?;
        Ok(relay::connection(
            programs,
            had_cursor,
            |p| p.program.id,
            Program::from,
        ))
    }

    #[graphql(guard = "PermissionGuard(Permission::ViewPrograms)")]
    async fn program(&self, ctx: &Context<'_>, id: ID) -> Result<Program> {
        Ok(
            domain::programs::get(ctx.scope()?, domain::types::id("id", &id)?)
                .await?
                .into(),
        )
    }
}

#[derive(Default)]
pub struct ProgramMutation;

#[Object]
impl ProgramMutation {
    /// Creates a program; its rules apply from now.
    #[graphql(guard = "PermissionGuard(Permission::ManagePrograms)")]
    async fn create_program(
        &self,
        ctx: &Context<'_>,
        input: CreateProgramInput,
    ) -> Result<Program> {
        let author = ctx.request()?.principal.user_id();
        let rules = input.rules.into_rules()?;
        Ok(domain::programs::create(
            ctx.scope()?,
            author,
            &input.name,
            rules,
            input.effective_from,
        )
        .await?
        .into())
    }

    /// Adds a version of a program's rules, in force from `effectiveFrom` (default now; never in
    /// the past). What was earned before is never recomputed.
    #[graphql(guard = "PermissionGuard(Permission::ManagePrograms)")]
    async fn update_program_rules(
        &self,
        ctx: &Context<'_>,
        program_id: ID,
        rules: RulesInput,
        effective_from: Option<DateTime<Utc>>,
    ) -> Result<Program> {
        let author = ctx.request()?.principal.user_id();
        let id = domain::types::id("programId", &program_id)?;
        Ok(domain::programs::update_rules(
            ctx.scope()?,
            author,
            id,
            rules.into_rules()?,
            effective_from,
        )
        .await?
        .into())
    }
}
