//! Members' rights. Export: everything Fidelis holds about a member, as one JSON document.
//! Erasure: the person's data is removed or anonymised (profile, consent records, addresses in
//! mail logs, suppression entries, coalition consents), while the ledger keeps its entries under
//! the member's opaque id, so balances, statements and settlements still add up. Contest entries
//! and wins carry no personal data (an opaque id and a pseudonym): they stay, so that published
//! draws can still be re-checked.

use chrono::Utc;
use entity::{
    campaign_recipient, card, gesture, ledger_account, ledger_entry, ledger_transaction, member,
    member_tier, membership, point_lot, purchase, purchase_line, suppression, transactional_mail,
    voucher,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, sea_query::Expr,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::core::{
    error::AppError,
    ledger::coalition,
    tenancy::{Scoped, TenantScope},
};

async fn rows<E, C>(conn: &Scoped<C>, select: sea_orm::Select<E>) -> Result<Vec<Value>, AppError>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    Ok(select.into_json().all(conn.db()).await?)
}

/// The member's referrals, each with the member's own side only: across a coalition's brands
/// the other member's id, reward and vouchers belong to the other brand.
async fn referrals<C: ConnectionTrait>(conn: &Scoped<C>, member: Uuid) -> Result<Value, AppError> {
    let brand = conn.tenant_id();
    let mut list = conn
        .find::<entity::referral::Entity>()
        .filter(
            sea_orm::Condition::any()
                .add(entity::referral::Column::RefereeId.eq(member))
                .add(entity::referral::Column::ReferrerId.eq(member)),
        )
        .all(conn.db())
        .await?;
    list.extend(
        crate::loyalty::store::referrals_made_elsewhere_by(conn.db(), brand, member).await?,
    );
    let out: Vec<Value> = list
        .into_iter()
        .map(|r| {
            let as_referrer = r.referrer_id == member;
            serde_json::json!({
                "id": r.id,
                "role": if as_referrer { "REFERRER" } else { "REFEREE" },
                "status": r.status,
                "started_at": r.started_at,
                "expires_at": r.expires_at,
                "converted_at": r.converted_at,
                "reversed_at": r.reversed_at,
                "other_member_id": (r.tenant_id == brand && r.referrer_brand_id.is_none_or(|b| b == brand))
                    .then_some(if as_referrer { r.referee_id } else { r.referrer_id }),
                "at_brand_id": (r.tenant_id != brand).then_some(r.tenant_id),
                "referrer_brand_id": r.referrer_brand_id.filter(|b| *b != brand),
                "points": if as_referrer { r.referrer_points } else { r.referee_points },
                "voucher_id": if as_referrer { r.referrer_voucher_id } else { r.referee_voucher_id },
            })
        })
        .collect();
    Ok(Value::Array(out))
}

/// Everything held about a member of the brand (NOT_FOUND for another brand's).
pub async fn export(scope: &TenantScope, member_id: Uuid) -> Result<Value, AppError> {
    let conn = scope.conn();
    let member = conn.get::<member::Entity>(member_id).await?;
    let mut profile = conn
        .find::<member::Entity>()
        .filter(member::Column::Id.eq(member.id))
        .into_json()
        .one(conn.db())
        .await?
        .unwrap_or(Value::Null);
    if let Some(obj) = profile.as_object_mut() {
        // A password hash is a secret, not personal data to hand out.
        obj.remove("password_hash");
        obj.insert("has_password".into(), json!(member.password_hash.is_some()));
        // SQLite hands JSON columns back as text: give the attributes as the object they are.
        obj.insert("attributes".into(), member.attributes.clone());
    }
    let purchases = rows(
        &conn,
        conn.find::<purchase::Entity>()
            .filter(purchase::Column::MemberId.eq(member.id))
            .order_by_asc(purchase::Column::OccurredAt),
    )
    .await?;
    let purchase_ids: Vec<Uuid> = purchases
        .iter()
        .filter_map(|p| p["id"].as_str().and_then(|s| Uuid::parse_str(s).ok()))
        .collect();
    let accounts = conn
        .find::<ledger_account::Entity>()
        .filter(ledger_account::Column::MemberId.eq(member.id))
        .all(conn.db())
        .await?;
    let account_ids: Vec<Uuid> = accounts.iter().map(|a| a.id).collect();
    let coalition_cards = coalition::cards_of_member(conn.db(), member.id).await?;
    let mut coalition = Vec::new();
    for c in coalition_cards {
        let movements = coalition::movements_of(conn.db(), c.id, 10_000).await?;
        coalition.push(json!({
            "coalition_id": c.coalition_id,
            "card_number": c.card_number,
            "created_at": c.created_at,
            "last_activity_at": c.last_activity_at,
            "shared_with_brands": coalition::consents(conn.db(), c.id).await?,
            "movements": movements.iter().map(|(t, change)| json!({
                "id": t.id, "kind": t.kind, "brand_id": t.brand_id,
                "points": change.balance + change.debt, "balance_change": change.balance,
                "debt_change": change.debt,
                "amount_minor": t.amount_minor, "occurred_at": t.occurred_at,
            })).collect::<Vec<_>>(),
        }));
    }
    Ok(json!({
        "exported_at": scope.now(),
        "brand_id": scope.tenant_id(),
        "member": profile,
        "cards": rows(&conn, conn.find::<card::Entity>().filter(card::Column::MemberId.eq(member.id))).await?,
        "purchases": purchases,
        "purchase_lines": rows(&conn, conn.find::<purchase_line::Entity>().filter(purchase_line::Column::PurchaseId.is_in(purchase_ids))).await?,
        "accounts": rows(&conn, conn.find::<ledger_account::Entity>().filter(ledger_account::Column::MemberId.eq(member.id))).await?,
        "transactions": rows(&conn, conn.find::<ledger_transaction::Entity>().filter(ledger_transaction::Column::MemberId.eq(member.id)).order_by_asc(ledger_transaction::Column::Id)).await?,
        "entries": rows(&conn, conn.find::<ledger_entry::Entity>().filter(ledger_entry::Column::AccountId.is_in(account_ids)).order_by_asc(ledger_entry::Column::Id)).await?,
        "point_lots": rows(&conn, conn.find::<point_lot::Entity>().filter(point_lot::Column::MemberId.eq(member.id))).await?,
        "vouchers": rows(&conn, conn.find::<voucher::Entity>().filter(voucher::Column::MemberId.eq(member.id))).await?,
        "memberships": rows(&conn, conn.find::<membership::Entity>().filter(membership::Column::MemberId.eq(member.id))).await?,
        "tiers": rows(&conn, conn.find::<member_tier::Entity>().filter(member_tier::Column::MemberId.eq(member.id))).await?,
        "gestures": rows(&conn, conn.find::<gesture::Entity>().filter(gesture::Column::MemberId.eq(member.id))).await?,
        "campaign_mails": rows(&conn, conn.find::<campaign_recipient::Entity>().filter(campaign_recipient::Column::MemberId.eq(member.id))).await?,
        "transactional_mails": rows(&conn, conn.find::<transactional_mail::Entity>().filter(transactional_mail::Column::MemberId.eq(member.id))).await?,
        "coalition_cards": coalition,
        "refund_claims": rows(&conn, conn.find::<entity::offer_claim::Entity>().filter(entity::offer_claim::Column::MemberId.eq(member.id))).await?,
        "contest_entries": rows(&conn, conn.find::<entity::contest_entry::Entity>().filter(entity::contest_entry::Column::MemberId.eq(member.id)).order_by_asc(entity::contest_entry::Column::Id)).await?,
        "referral_code": rows(&conn, conn.find::<entity::referral_code::Entity>().filter(entity::referral_code::Column::MemberId.eq(member.id))).await?,
        "referrals": referrals(&conn, member.id).await?,
        "clubs": rows(&conn, conn.find::<entity::club_member::Entity>().filter(entity::club_member::Column::MemberId.eq(member.id)).order_by_asc(entity::club_member::Column::Id)).await?,
        "events": rows(&conn, conn.find::<entity::event_guest::Entity>().filter(entity::event_guest::Column::MemberId.eq(member.id)).order_by_asc(entity::event_guest::Column::Id)).await?,
        "contest_wins": rows(&conn, conn.find::<entity::contest_winner::Entity>().filter(entity::contest_winner::Column::MemberId.eq(member.id)).order_by_asc(entity::contest_winner::Column::Id)).await?,
        "household_id": member.household_id,
        "score": rows(&conn, conn.find::<entity::member_score::Entity>().filter(entity::member_score::Column::MemberId.eq(member.id))).await?,
        "segment_moves": rows(&conn, conn.find::<entity::segment_move::Entity>().filter(entity::segment_move::Column::MemberId.eq(member.id)).order_by_asc(entity::segment_move::Column::Id)).await?,
    }))
}

/// Erases a member's personal data; the member's id stays on ledger entries (pseudonymous), so
/// every balance and statement still adds up. Idempotent.
pub async fn erase(scope: &TenantScope, member_id: Uuid) -> Result<(), AppError> {
    let tx = scope.begin().await?;
    let member = tx.get::<member::Entity>(member_id).await?;
    let now = scope.now();
    use member::Column as M;
    tx.update_many::<member::Entity>()
        .col_expr(M::Email, Expr::value(Option::<String>::None))
        .col_expr(M::Phone, Expr::value(Option::<String>::None))
        .col_expr(M::FirstName, Expr::value(Option::<String>::None))
        .col_expr(M::LastName, Expr::value(Option::<String>::None))
        .col_expr(M::BirthDate, Expr::value(Option::<chrono::NaiveDate>::None))
        .col_expr(M::PreferredStore, Expr::value(Option::<String>::None))
        .col_expr(M::EmailConsent, Expr::value(false))
        .col_expr(
            M::EmailConsentAt,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        )
        .col_expr(M::EmailConsentSource, Expr::value(Option::<String>::None))
        .col_expr(M::SmsConsent, Expr::value(false))
        .col_expr(
            M::SmsConsentAt,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        )
        .col_expr(M::SmsConsentSource, Expr::value(Option::<String>::None))
        .col_expr(M::Attributes, Expr::value(json!({ "erased_at": now })))
        .col_expr(M::PasswordHash, Expr::value(Option::<String>::None))
        // Who the member lives with is theirs too.
        .col_expr(M::HouseholdId, Expr::value(Option::<uuid::Uuid>::None))
        // Every session of the member ends now.
        .col_expr(M::SessionsValidAfter, Expr::value(Some(now)))
        .col_expr(M::UpdatedAt, Expr::value(now))
        .filter(M::Id.eq(member.id))
        .exec(tx.db())
        .await?;
    // Cards can no longer identify or be used by anyone.
    tx.update_many::<card::Entity>()
        .col_expr(card::Column::Status, Expr::value(card::CardStatus::Blocked))
        .col_expr(card::Column::UpdatedAt, Expr::value(now))
        .filter(card::Column::MemberId.eq(member.id))
        .filter(card::Column::Status.eq(card::CardStatus::Active))
        .exec(tx.db())
        .await?;
    tx.update_many::<campaign_recipient::Entity>()
        .col_expr(campaign_recipient::Column::Email, Expr::value("erased"))
        .filter(campaign_recipient::Column::MemberId.eq(member.id))
        .exec(tx.db())
        .await?;
    if let Some(email) = &member.email {
        tx.delete_many::<suppression::Entity>()
            .filter(suppression::Column::Email.eq(email))
            .exec(tx.db())
            .await?;
    }
    // Their scores and segment history are profiling: gone with them.
    crate::analytics::segments::forget(&tx, member.id).await?;
    // Club answers (a child's birth date...) are personal: dropped with their consent.
    tx.update_many::<entity::club_member::Entity>()
        .col_expr(
            entity::club_member::Column::Answers,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            entity::club_member::Column::AnswersConsentAt,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        )
        .filter(entity::club_member::Column::MemberId.eq(member.id))
        .exec(tx.db())
        .await?;
    // Told to the outbox (the member's id only): the community gives up their club places and
    // event seats.
    crate::core::events::append(
        &tx,
        "member.erased",
        Some(member.id),
        Some(member.id),
        json!({}),
    )
    .await?;
    for card in coalition::cards_of_member(tx.db(), member.id).await? {
        coalition::set_consents(tx.db(), card.id, &[]).await?;
    }
    tx.commit().await?;
    tracing::info!(tenant.id = %scope.tenant_id(), "member erased");
    Ok(())
}
