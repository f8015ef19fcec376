//! Engagement's GraphQL roots: mail settings, templates, audiences, campaigns.

pub mod campaigns;
pub mod mail;
