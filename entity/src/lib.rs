//! SeaORM entities of Fidelis: one module per table.
//!
//! Every table that belongs to a brand carries `tenant_id` and implements [`TenantOwned`], which is
//! how `api::db::scope::TenantScope` filters it. Nothing here knows about GraphQL or HTTP.

pub mod api_key;
pub mod brand;
pub mod campaign;
pub mod campaign_recipient;
pub mod card;
pub mod club;
pub mod club_member;
pub mod coalition;
pub mod coalition_account;
pub mod coalition_brand;
pub mod coalition_club;
pub mod coalition_consent;
pub mod coalition_entry;
pub mod coalition_member;
pub mod coalition_operator;
pub mod coalition_period;
pub mod coalition_statement;
pub mod coalition_txn;
pub mod community_event;
pub mod contest;
pub mod contest_entry;
pub mod contest_moment;
pub mod contest_participant;
pub mod contest_prize;
pub mod contest_rules;
pub mod contest_winner;
pub mod email_template;
pub mod event;
pub mod event_cursor;
pub mod event_guest;
pub mod gesture;
pub mod gesture_policy;
pub mod idempotency_record;
pub mod invitation;
pub mod ledger_account;
pub mod ledger_entry;
pub mod ledger_transaction;
pub mod mail_settings;
pub mod member;
pub mod member_score;
pub mod member_tier;
pub mod member_token;
pub mod membership;
pub mod objective;
pub mod offer;
pub mod offer_claim;
pub mod offer_member_use;
pub mod offer_progress;
pub mod offer_redemption;
pub mod offer_version;
pub mod one_time_token;
pub mod outbox_mail;
pub mod point_lot;
pub mod program;
pub mod program_rule;
pub mod purchase;
pub mod purchase_line;
pub mod referral;
pub mod referral_code;
pub mod referral_policy;
pub mod refresh_token;
pub mod reward;
pub mod score_run;
pub mod scoring_settings;
pub mod segment;
pub mod segment_move;
pub mod suppression;
pub mod transactional_mail;
pub mod user_account;
pub mod voucher;
pub mod voucher_use;

use sea_orm::EntityTrait;

/// A table whose rows belong to one brand (tenant).
pub trait TenantOwned: EntityTrait {
    /// The column holding the owning brand's id.
    fn tenant_column() -> Self::Column;
}

/// Which column holds the owning brand for each tenant-owned entity.
macro_rules! tenant_owned {
    ($($module:ident),* $(,)?) => {$(
        impl TenantOwned for $module::Entity {
            fn tenant_column() -> Self::Column {
                $module::Column::TenantId
            }
        }
    )*};
}
tenant_owned!(
    api_key,
    campaign,
    campaign_recipient,
    card,
    club,
    club_member,
    community_event,
    email_template,
    event,
    event_guest,
    gesture,
    gesture_policy,
    invitation,
    ledger_account,
    ledger_entry,
    ledger_transaction,
    mail_settings,
    member,
    member_tier,
    member_token,
    membership,
    contest,
    contest_entry,
    contest_moment,
    contest_participant,
    contest_prize,
    contest_rules,
    contest_winner,
    objective,
    offer,
    offer_claim,
    offer_member_use,
    offer_progress,
    offer_redemption,
    offer_version,
    point_lot,
    program,
    program_rule,
    purchase,
    purchase_line,
    referral,
    referral_code,
    referral_policy,
    reward,
    member_score,
    score_run,
    scoring_settings,
    segment,
    segment_move,
    suppression,
    transactional_mail,
    user_account,
    voucher,
    voucher_use,
);
