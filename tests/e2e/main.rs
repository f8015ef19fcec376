//! End-to-end tests: each starts the real server and speaks GraphQL over HTTP. One test binary
//! (modules below) so that the suite links once.

mod admin;
mod birthdays;
mod campaigns;
mod coalition_model;
mod coalition_property;
mod coalitions;
mod dkim;
mod expiry;
mod first_run;
mod gestures;
mod http;
mod idempotency;
mod isolation;
mod jobs;
mod ledger_property;
mod loyalty;
mod mail;
mod mechanics;
mod member_app;
mod member_rights;
mod model_property;
mod model_runner;
mod money_defects;
mod onboarding;
mod outbox;
mod partner;
mod races;
mod returns;
mod rewards;
mod roles;
mod sessions;
mod settlement;
mod stored_value;
mod transactional;
mod vouchers;
