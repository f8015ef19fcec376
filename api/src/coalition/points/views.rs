//! What a member, a brand or the operator sees of coalition cards and their movements.
//! Invariant: a brand sees only the cards of members who consented to share with it.

use super::*;
use crate::core::deps::Base;

/// A coalition card as one caller may see it.
#[derive(Debug, Clone)]
pub struct CardView {
    pub coalition: coalition::Model,
    pub card: coalition_member::Model,
    pub balance: i64,
    pub debt: i64,
    /// The person, when the caller may see it (home brand, or a brand the consumer consented to).
    pub profile: Option<member::Model>,
    /// Movements the caller may see: the operator all, a brand those at itself.
    pub movements: Vec<(coalition_txn::Model, db::CardChange)>,
}

/// Who looks at a card.
#[derive(Debug, Clone, Copy)]
pub enum Viewer {
    Operator(Uuid),
    Brand(Uuid),
    /// The consumer: their own cards, every movement, their own profile.
    Member {
        brand: Uuid,
        member: Uuid,
    },
}

/// Of these brand members, those whose coalition card shares their profile with `brand`.
pub async fn members_sharing_with(
    base: &Base,
    coalition: Uuid,
    members: &[Uuid],
    brand: Uuid,
) -> Result<std::collections::HashSet<Uuid>, AppError> {
    db::members_sharing_with(&base.db, coalition, members, brand).await
}

/// The member's own coalition cards.
pub async fn my_cards(base: &Base, brand: Uuid, member: Uuid) -> Result<Vec<CardView>, AppError> {
    let mut out = Vec::new();
    for card in db::cards_of_member(&base.db, member).await? {
        if card.home_brand_id != brand {
            continue;
        }
        out.push(
            card_view(
                base,
                Viewer::Member { brand, member },
                card.coalition_id,
                &card.card_number,
            )
            .await?,
        );
    }
    Ok(out)
}

pub async fn card_view(
    base: &Base,
    viewer: Viewer,
    coalition_id: Uuid,
    number: &str,
) -> Result<CardView, AppError> {
    let conn = &base.db;
    let coalition = places::coalition(conn, coalition_id)
        .await?
        .ok_or(AppError::NotFound)?;
    match viewer {
        Viewer::Operator(user) => {
            if !places::is_operator(conn, coalition.id, user).await? {
                return Err(AppError::NotFound);
            }
        }
        Viewer::Member { .. } => {}
        Viewer::Brand(brand) => {
            let place = places::place(conn, coalition.id, brand)
                .await?
                .ok_or(AppError::NotFound)?;
            if matches!(
                place.status,
                CoalitionBrandStatus::Invited | CoalitionBrandStatus::Declined
            ) {
                return Err(AppError::NotFound);
            }
        }
    }
    let card = db::member_by_card(
        conn,
        coalition.id,
        &crate::loyalty::members::normalise_card_number(number),
    )
    .await?
    .ok_or(AppError::NotFound)?;
    let balance = |kind| async move {
        Ok::<_, AppError>(
            db::existing_account(conn, coalition_id, kind, None, Some(card.id))
                .await?
                .map_or(0, |a| a.balance),
        )
    };
    let (points, debt) = (
        balance(K::MemberPoints).await?,
        balance(K::MemberDebt).await?,
    );
    let mut movements = db::movements_of(conn, card.id, 100).await?;
    if let Viewer::Member { brand, member } = viewer
        && (card.home_brand_id != brand || card.member_id != member)
    {
        return Err(AppError::NotFound);
    }
    let profile = match viewer {
        Viewer::Operator(_) => None,
        Viewer::Member { .. } => TenantScope::new(conn.clone(), card.home_brand_id)
            .conn()
            .get::<member::Entity>(card.member_id)
            .await
            .ok(),
        Viewer::Brand(brand) => {
            movements.retain(|(t, _)| t.brand_id == Some(brand));
            let allowed =
                brand == card.home_brand_id || db::consents(conn, card.id).await?.contains(&brand);
            if allowed {
                TenantScope::new(conn.clone(), card.home_brand_id)
                    .conn()
                    .get::<member::Entity>(card.member_id)
                    .await
                    .ok()
            } else {
                None
            }
        }
    };
    Ok(CardView {
        coalition,
        card,
        balance: points,
        debt: -debt,
        profile,
        movements,
    })
}
