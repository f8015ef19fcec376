//! Engagement: a brand's mail settings and templates, audiences, direct-marketing campaigns and
//! the transactional mails that events trigger, plus the tracking and unsubscribe links.
//! Invariant: a member who unsubscribed or withdrew consent is never sent marketing mail.

pub mod audiences;
pub mod campaigns;
pub mod graphql;
pub mod http;
pub mod mail_settings;
pub mod mail_templates;
pub mod store;
pub mod transactional;
