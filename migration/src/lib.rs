//! Schema migrations of Fidelis, for SQLite and PostgreSQL alike.
//!
//! The server runs [`Migrator::up`] at start; `cargo run -p migration -- up|down|status` runs them alone.
//! Migrations are append-only: a released migration is never edited, a change is a new one.

pub use sea_orm_migration::prelude::*;

mod helpers;

mod m20261122_000001_create_brand;
mod m20261122_000002_create_user_account;
mod m20261122_000003_create_auth_tokens;
mod m20261122_000004_create_invitation;
mod m20261122_000005_create_api_key;
mod m20261122_000006_create_idempotency_record;
mod m20261122_000007_create_loyalty_core;
mod m20261122_000008_create_purchase;
mod m20261122_000009_create_voucher;
mod m20261122_000010_add_purchase_loyalty_paid;
mod m20261122_000011_create_gesture;
mod m20261122_000012_add_member_password;
mod m20261122_000013_add_rewards_and_tiers;
mod m20261122_000014_create_membership;
mod m20261122_000015_create_reward;
mod m20261122_000016_create_coalitions;
mod m20261122_000017_create_coalition_ledger;
mod m20261122_000018_create_mail_marketing;
mod m20261122_000019_create_campaigns;
mod m20261122_000020_create_transactional_mail;
mod m20261122_000021_add_dkim;
mod m20261129_000022_first_run_fixes;
mod m20261130_000023_create_event_outbox;
mod m20261130_000024_add_statistics_indexes;
mod m20261130_000025_add_brand_accent_color;
mod m20261207_000026_create_offers;
mod m20261207_000027_create_contests;
mod m20261207_000028_create_referrals;
mod m20261207_000029_add_offer_segment;
mod m20261207_000030_create_clubs_and_events;
mod m20261207_000031_add_instant_win_odds;
mod m20261207_000032_add_coalition_referrals;
mod m20261207_000033_create_coalition_clubs;
mod m20261207_000034_add_premium_points;
mod m20261208_000035_add_premium_gifts_and_households;
mod m20261208_000036_create_scoring;
mod m20261208_000037_create_objectives;
mod m20261208_000038_add_campaign_holdout;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_brand::Migration),
            Box::new(m20261122_000002_create_user_account::Migration),
            Box::new(m20261122_000003_create_auth_tokens::Migration),
            Box::new(m20261122_000004_create_invitation::Migration),
            Box::new(m20261122_000005_create_api_key::Migration),
            Box::new(m20261122_000006_create_idempotency_record::Migration),
            Box::new(m20261122_000007_create_loyalty_core::Migration),
            Box::new(m20261122_000008_create_purchase::Migration),
            Box::new(m20261122_000009_create_voucher::Migration),
            Box::new(m20261122_000010_add_purchase_loyalty_paid::Migration),
            Box::new(m20261122_000011_create_gesture::Migration),
            Box::new(m20261122_000012_add_member_password::Migration),
            Box::new(m20261122_000013_add_rewards_and_tiers::Migration),
            Box::new(m20261122_000014_create_membership::Migration),
            Box::new(m20261122_000015_create_reward::Migration),
            Box::new(m20261122_000016_create_coalitions::Migration),
            Box::new(m20261122_000017_create_coalition_ledger::Migration),
            Box::new(m20261122_000018_create_mail_marketing::Migration),
            Box::new(m20261122_000019_create_campaigns::Migration),
            Box::new(m20261122_000020_create_transactional_mail::Migration),
            Box::new(m20261122_000021_add_dkim::Migration),
            Box::new(m20261129_000022_first_run_fixes::Migration),
            Box::new(m20261130_000023_create_event_outbox::Migration),
            Box::new(m20261130_000024_add_statistics_indexes::Migration),
            Box::new(m20261130_000025_add_brand_accent_color::Migration),
            Box::new(m20261207_000026_create_offers::Migration),
            Box::new(m20261207_000027_create_contests::Migration),
            Box::new(m20261207_000028_create_referrals::Migration),
            Box::new(m20261207_000029_add_offer_segment::Migration),
            Box::new(m20261207_000030_create_clubs_and_events::Migration),
            Box::new(m20261207_000031_add_instant_win_odds::Migration),
            Box::new(m20261207_000032_add_coalition_referrals::Migration),
            Box::new(m20261207_000033_create_coalition_clubs::Migration),
            Box::new(m20261207_000034_add_premium_points::Migration),
            Box::new(m20261208_000035_add_premium_gifts_and_households::Migration),
            Box::new(m20261208_000036_create_scoring::Migration),
            Box::new(m20261208_000037_create_objectives::Migration),
            Box::new(m20261208_000038_add_campaign_holdout::Migration),
        ]
    }
}

/// Identifiers shared by several migrations.
#[derive(DeriveIden)]
pub(crate) enum Brand {
    Table,
    Id,
}

#[derive(DeriveIden)]
pub(crate) enum UserAccount {
    Table,
    Id,
}
