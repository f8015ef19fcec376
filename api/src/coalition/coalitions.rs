//! Coalition setup: a platform admin creates a coalition and names its operator; the operator
//! invites brands; a brand owner accepts or declines; a brand leaves at the end of a period.
//!
//! Who sees what: a platform admin sees every coalition; an operator the coalitions they run;
//! a brand the coalitions it was invited to, with the other brands only once they are members.
//! Anything else reads as NOT_FOUND.
//!
//! Leaving: a brand that leaves stays a member until the end of the current month in the
//! coalition's time zone; its members' points stay valid at the remaining brands (the shared
//! currency is the coalition's, not the brand's).

use chrono::{DateTime, Datelike, TimeZone as _, Utc};
use entity::{
    brand, coalition, coalition_brand,
    coalition_brand::{Billing, CoalitionBrandStatus},
    user_account::Role,
};
use sea_orm::ActiveValue::Set;
use uuid::Uuid;

use crate::{
    coalition::store as db,
    core::{
        auth::{Auth, Principal},
        deps::{Base, Links},
        error::AppError,
        mail::Post,
        types::{Currency, Email, TimeZone, text},
    },
};

/// What a platform admin gives to create a coalition.
#[derive(Debug, Clone)]
pub struct NewCoalition {
    pub name: String,
    pub currency: String,
    pub timezone: String,
    pub operator_email: String,
    pub issue_price_per_1000_minor: i64,
    pub redemption_value_per_1000_minor: i64,
    pub fee_per_1000_issued_minor: i64,
    pub fee_basis_points: i64,
    pub points_validity_months: i64,
}

/// A coalition as one caller may see it.
#[derive(Debug, Clone)]
pub struct View {
    pub coalition: coalition::Model,
    pub brands: Vec<(coalition_brand::Model, brand::Model)>,
}

fn check_prices(c: &NewCoalition) -> Result<(), AppError> {
    let bad = |field: &'static str, message: &str| Err(AppError::validation(field, message));
    if !(1..=1_000_000).contains(&c.issue_price_per_1000_minor) {
        return bad(
            "input.issuePricePer1000Minor",
            "must be between 1 and 1000000",
        );
    }
    if !(0..=1_000_000).contains(&c.redemption_value_per_1000_minor) {
        return bad(
            "input.redemptionValuePer1000Minor",
            "must be between 0 and 1000000",
        );
    }
    if !(0..=1_000_000).contains(&c.fee_per_1000_issued_minor) {
        return bad(
            "input.feePer1000IssuedMinor",
            "must be between 0 and 1000000",
        );
    }
    if !(0..=5_000).contains(&c.fee_basis_points) {
        return bad("input.feeBasisPoints", "must be between 0 and 5000");
    }
    if !(1..=120).contains(&c.points_validity_months) {
        return bad("input.pointsValidityMonths", "must be between 1 and 120");
    }
    Ok(())
}

/// Creates a coalition run by the operator with this e-mail. An unknown address becomes a new
/// COALITION_OPERATOR account that sets its password through the link mailed to it.
pub async fn create(
    base: &Base,
    auth: &Auth,
    links: &Links,
    post: &Post,
    input: NewCoalition,
    client: &str,
) -> Result<View, AppError> {
    let name = text("input.name", &input.name, 200)?;
    let currency = Currency::parse("input.currency", &input.currency)?;
    let timezone = TimeZone::parse("input.timezone", &input.timezone)?;
    let email = Email::parse("input.operatorEmail", &input.operator_email)?;
    check_prices(&input)?;
    let operator = match crate::identity::users::by_email(&base.db, email.as_str()).await? {
        Some(user) if user.role == Role::CoalitionOperator => user,
        Some(_) => {
            return Err(AppError::validation(
                "input.operatorEmail",
                "belongs to an account that is not a coalition operator",
            ));
        }
        None => {
            let user = crate::identity::sessions::create_unscoped_user(
                &base.db,
                email.as_str(),
                &crate::core::auth::secrets::new_token(),
                Role::CoalitionOperator,
            )
            .await?;
            // The new operator chooses a password through the reset link.
            crate::identity::sessions::request_password_reset(
                base,
                auth,
                links,
                post,
                &user.email,
                client,
            )
            .await?;
            user
        }
    };
    let now = base.clock.now();
    let coalition = db::insert_coalition(
        &base.db,
        coalition::ActiveModel {
            id: Set(Uuid::now_v7()),
            name: Set(name),
            currency: Set(currency.code().to_owned()),
            timezone: Set(timezone.name().to_owned()),
            issue_price_per_1000_minor: Set(input.issue_price_per_1000_minor),
            redemption_value_per_1000_minor: Set(input.redemption_value_per_1000_minor),
            fee_per_1000_issued_minor: Set(input.fee_per_1000_issued_minor),
            fee_basis_points: Set(input.fee_basis_points),
            points_validity_months: Set(input.points_validity_months),
            cross_brand_referrals: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
        },
        operator.id,
    )
    .await?;
    Ok(View {
        coalition,
        brands: Vec::new(),
    })
}

/// The coalitions the caller may see.
pub async fn visible(base: &Base, principal: &Principal) -> Result<Vec<View>, AppError> {
    let coalitions = match principal {
        Principal::User {
            role: Role::PlatformAdmin,
            ..
        } => db::all(&base.db).await?,
        Principal::User {
            role: Role::CoalitionOperator,
            user_id,
            ..
        } => db::of_operator(&base.db, *user_id).await?,
        Principal::User {
            tenant_id: Some(brand),
            ..
        } => db::of_brand(&base.db, *brand).await?,
        _ => Vec::new(),
    };
    let mut out = Vec::with_capacity(coalitions.len());
    for coalition in coalitions {
        out.push(view_for(base, principal, coalition).await?);
    }
    Ok(out)
}

async fn view_for(
    base: &Base,
    principal: &Principal,
    coalition: coalition::Model,
) -> Result<View, AppError> {
    let mut brands = db::brands_of(&base.db, coalition.id).await?;
    if let Principal::User {
        tenant_id: Some(own),
        ..
    } = principal
    {
        // A brand sees its own place, and the others once they are members.
        brands.retain(|(place, _)| {
            place.brand_id == *own || place.status == CoalitionBrandStatus::Active
        });
    }
    Ok(View { coalition, brands })
}

/// One coalition, if the caller may see it (NOT_FOUND otherwise).
pub async fn get(base: &Base, principal: &Principal, id: Uuid) -> Result<View, AppError> {
    visible(base, principal)
        .await?
        .into_iter()
        .find(|v| v.coalition.id == id)
        .ok_or(AppError::NotFound)
}

/// What an operator sets for a brand it invites.
#[derive(Debug, Clone)]
pub struct Invite {
    pub brand_slug: String,
    pub earn_points: i64,
    pub earn_per_amount_minor: i64,
    pub billing: Billing,
    /// PREPAID: how many points the block may go below zero before accrual is refused.
    pub reserve_points: i64,
}

/// An operator invites a brand (again, after a decline or a departure).
pub async fn invite(
    base: &Base,
    operator: Uuid,
    coalition_id: Uuid,
    invite: Invite,
) -> Result<View, AppError> {
    let coalition = db::coalition(&base.db, coalition_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !db::is_operator(&base.db, coalition.id, operator).await? {
        return Err(AppError::NotFound);
    }
    if !(1..=1_000_000).contains(&invite.earn_points) {
        return Err(AppError::validation(
            "input.earnPoints",
            "must be between 1 and 1000000",
        ));
    }
    if !(1..=100_000_000).contains(&invite.earn_per_amount_minor) {
        return Err(AppError::validation(
            "input.earnPerAmountMinor",
            "must be between 1 and 100000000",
        ));
    }
    if !(0..=1_000_000_000).contains(&invite.reserve_points) {
        return Err(AppError::validation(
            "input.reservePoints",
            "must be between 0 and 1000000000",
        ));
    }
    let brand = crate::identity::brands::by_slug(&base.db, invite.brand_slug.trim())
        .await?
        .ok_or_else(|| AppError::validation("input.brandSlug", "no brand has this slug"))?;
    if brand.currency != coalition.currency {
        return Err(AppError::validation(
            "input.brandSlug",
            format!(
                "this brand works in {}, the coalition in {}",
                brand.currency, coalition.currency
            ),
        ));
    }
    let now = base.clock.now();
    match db::place(&base.db, coalition.id, brand.id).await? {
        None => {
            db::insert_place(
                &base.db,
                coalition_brand::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    coalition_id: Set(coalition.id),
                    brand_id: Set(brand.id),
                    status: Set(CoalitionBrandStatus::Invited),
                    earn_points: Set(invite.earn_points),
                    earn_per_amount_minor: Set(invite.earn_per_amount_minor),
                    billing: Set(invite.billing),
                    reserve_points: Set(invite.reserve_points),
                    invited_by: Set(operator),
                    invited_at: Set(now),
                    responded_at: Set(None),
                    leaves_at: Set(None),
                },
            )
            .await?;
        }
        Some(place)
            if db::has_left(&place, now) || place.status == CoalitionBrandStatus::Declined =>
        {
            use coalition_brand::Column as C;
            let moved = db::move_place(
                &base.db,
                place.id,
                &[
                    CoalitionBrandStatus::Declined,
                    CoalitionBrandStatus::Left,
                    CoalitionBrandStatus::Active,
                ],
                vec![
                    (C::Status, CoalitionBrandStatus::Invited.into()),
                    (C::EarnPoints, invite.earn_points.into()),
                    (C::EarnPerAmountMinor, invite.earn_per_amount_minor.into()),
                    (C::Billing, invite.billing.into()),
                    (C::ReservePoints, invite.reserve_points.into()),
                    (C::InvitedBy, operator.into()),
                    (C::InvitedAt, now.into()),
                    (C::RespondedAt, Option::<DateTime<Utc>>::None.into()),
                    (C::LeavesAt, Option::<DateTime<Utc>>::None.into()),
                ],
                false,
            )
            .await?;
            if !moved {
                return Err(AppError::conflict("this brand's place changed meanwhile"));
            }
        }
        Some(_) => {
            return Err(AppError::conflict(
                "this brand is already invited to or a member of this coalition",
            ));
        }
    }
    view_for(
        base,
        &Principal::User {
            user_id: operator,
            tenant_id: None,
            role: Role::CoalitionOperator,
        },
        coalition,
    )
    .await
}

/// The operator lets members of one brand refer friends to another brand of the coalition (or
/// stops it: referrals already started are honoured).
pub async fn set_referrals(
    base: &Base,
    operator: Uuid,
    coalition_id: Uuid,
    allowed: bool,
) -> Result<coalition::Model, AppError> {
    let coalition = db::coalition(&base.db, coalition_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !db::is_operator(&base.db, coalition.id, operator).await? {
        return Err(AppError::NotFound);
    }
    db::set_cross_brand_referrals(&base.db, coalition.id, allowed, base.clock.now()).await?;
    db::coalition(&base.db, coalition.id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The coalition, when `operator` runs it (NOT_FOUND otherwise, as for anything of another's).
pub async fn operated(
    base: &Base,
    operator: Uuid,
    coalition_id: Uuid,
) -> Result<coalition::Model, AppError> {
    let coalition = db::coalition(&base.db, coalition_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !db::is_operator(&base.db, coalition.id, operator).await? {
        return Err(AppError::NotFound);
    }
    Ok(coalition)
}

/// The coalition's active brands now (a leaving brand until its period ends; a suspended brand
/// is not).
pub async fn active_brands(
    base: &Base,
    coalition_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<brand::Model>, AppError> {
    Ok(db::brands_of(&base.db, coalition_id)
        .await?
        .into_iter()
        .filter(|(p, b)| {
            status_now(p, now) == CoalitionBrandStatus::Active
                && b.status == brand::BrandStatus::Active
        })
        .map(|(_, b)| b)
        .collect())
}

/// The coalitions in which a brand has a place, whatever its status.
pub async fn of_brand(base: &Base, brand: Uuid) -> Result<Vec<coalition::Model>, AppError> {
    db::of_brand(&base.db, brand).await
}

/// The brands a member of `brand` may refer friends to, or be referred from, now: the other
/// active brands of each coalition that allows referrals across its brands and in which `brand`
/// is active. `(coalition, other brand)`, once per brand (the first coalition by id).
pub async fn referral_partners(
    base: &Base,
    brand: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<(Uuid, brand::Model)>, AppError> {
    let mut out: Vec<(Uuid, brand::Model)> = Vec::new();
    for c in db::of_brand(&base.db, brand).await? {
        if !c.cross_brand_referrals {
            continue;
        }
        let places = db::brands_of(&base.db, c.id).await?;
        let active =
            |p: &coalition_brand::Model| status_now(p, now) == CoalitionBrandStatus::Active;
        if !places.iter().any(|(p, _)| p.brand_id == brand && active(p)) {
            continue;
        }
        for (p, b) in places {
            // A suspended brand takes no part.
            if p.brand_id != brand
                && active(&p)
                && b.status == brand::BrandStatus::Active
                && !out.iter().any(|(_, o)| o.id == b.id)
            {
                out.push((c.id, b));
            }
        }
    }
    Ok(out)
}

/// A brand owner accepts or declines an invitation. Answering twice (or racing) is refused.
pub async fn respond(
    base: &Base,
    principal: &Principal,
    coalition_id: Uuid,
    accept: bool,
) -> Result<View, AppError> {
    let brand = own_brand(principal)?;
    let place = db::place(&base.db, coalition_id, brand)
        .await?
        .ok_or(AppError::NotFound)?;
    let (status, now) = if accept {
        (CoalitionBrandStatus::Active, base.clock.now())
    } else {
        (CoalitionBrandStatus::Declined, base.clock.now())
    };
    let moved = db::move_place(
        &base.db,
        place.id,
        &[CoalitionBrandStatus::Invited],
        vec![
            (coalition_brand::Column::Status, status.into()),
            (coalition_brand::Column::RespondedAt, Some(now).into()),
        ],
        false,
    )
    .await?;
    if !moved {
        return Err(AppError::conflict(
            "there is no open invitation of this coalition to answer",
        ));
    }
    get(base, principal, coalition_id).await
}

/// A member brand leaves at the end of the current month in the coalition's time zone.
pub async fn leave(
    base: &Base,
    principal: &Principal,
    coalition_id: Uuid,
) -> Result<View, AppError> {
    let brand = own_brand(principal)?;
    let coalition = db::coalition(&base.db, coalition_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let place = db::place(&base.db, coalition.id, brand)
        .await?
        .ok_or(AppError::NotFound)?;
    let at = period_end(&coalition, base.clock.now());
    let moved = db::move_place(
        &base.db,
        place.id,
        &[CoalitionBrandStatus::Active],
        vec![(coalition_brand::Column::LeavesAt, Some(at).into())],
        true,
    )
    .await?;
    if !moved {
        return Err(AppError::conflict(
            "this brand is not a member of this coalition, or is already leaving",
        ));
    }
    get(base, principal, coalition_id).await
}

fn own_brand(principal: &Principal) -> Result<Uuid, AppError> {
    match principal {
        Principal::User {
            tenant_id: Some(brand),
            ..
        } => Ok(*brand),
        _ => Err(AppError::Forbidden("only a brand can do this")),
    }
}

/// The start of the next month in the coalition's time zone: when the current period ends.
pub fn period_end(coalition: &coalition::Model, now: DateTime<Utc>) -> DateTime<Utc> {
    let tz: chrono_tz::Tz = coalition.timezone.parse().unwrap_or(chrono_tz::UTC);
    let local = now.with_timezone(&tz);
    let (year, month) = if local.month() == 12 {
        (local.year() + 1, 1)
    } else {
        (local.year(), local.month() + 1)
    };
    tz.with_ymd_and_hms(year, month, 1, 0, 0, 0)
        .earliest()
        .map_or(now, |d| d.with_timezone(&Utc))
}

/// The effective status of a place now (a leaving brand is gone once its period ended).
pub fn status_now(place: &coalition_brand::Model, now: DateTime<Utc>) -> CoalitionBrandStatus {
    if db::has_left(place, now) {
        CoalitionBrandStatus::Left
    } else {
        place.status
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_ends_at_the_next_local_month_start() {
        let c = coalition::Model {
            id: Uuid::nil(),
            name: String::new(),
            currency: "EUR".into(),
            timezone: "Europe/Paris".into(),
            issue_price_per_1000_minor: 1_000,
            redemption_value_per_1000_minor: 800,
            fee_per_1000_issued_minor: 0,
            fee_basis_points: 0,
            points_validity_months: 24,
            cross_brand_referrals: false,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let at = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .map(|d| d.with_timezone(&Utc))
                .unwrap_or_default()
        };
        // 31 Dec 23:30 UTC is already 1 Jan in Paris: the period ends on 1 Feb, Paris time.
        assert_eq!(
            period_end(&c, at("2026-12-31T23:30:00Z")).to_rfc3339(),
            "2027-01-31T23:00:00+00:00"
        );
        assert_eq!(
            period_end(&c, at("2026-06-15T10:00:00Z")).to_rfc3339(),
            "2026-06-30T22:00:00+00:00"
        );
    }
}
