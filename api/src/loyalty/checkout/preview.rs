//! "What would this basket earn": one program's earning step run on a basket typed in the
//! portal or by a partner, with the program's rules in force or with rules not saved yet.
//! Read-only: nothing is written, no member is involved (base tier, no membership perk).

use uuid::Uuid;

use super::{
    RecordPurchase,
    basket::Basket,
    earning::{self, Earned},
    explanation::{StepKind, StepLine},
    validate,
};
use crate::{
    core::{error::AppError, tenancy::TenantScope},
    loyalty::programs::{self, Rules},
};

/// The earning a basket would give in `program_id`, under `rules` when given (checked as a save
/// would check them), else the rules in force. `None` for programs that give nothing at a
/// checkout (stored value, memberships).
pub async fn earning(
    scope: &TenantScope,
    program_id: Uuid,
    rules: Option<Rules>,
    input: &RecordPurchase,
) -> Result<(Option<Earned>, StepLine), AppError> {
    let currency = scope.brand().await?.currency;
    let currency = validate::validate(input, &currency, scope.now())?;
    let mut program = programs::get(scope, program_id).await?;
    if let Some(rules) = rules {
        rules.validate()?;
        if rules.mechanic() != program.program.mechanic {
            return Err(AppError::validation(
                "rules",
                "must be rules of the program's mechanic",
            ));
        }
        program.rules = rules;
    }
    let basket = Basket::new(input, currency);
    let lines = basket.earning_lines();
    let at = input.occurred_at.unwrap_or_else(|| scope.now());
    let earned = earning::earn(&basket, &lines, &program, 100, at)?;
    let line = earned.as_ref().map_or_else(
        || StepLine::applied(StepKind::Earning).program(program.program.id, &program.program.name),
        |e| e.line.clone(),
    );
    Ok((earned, line))
}
