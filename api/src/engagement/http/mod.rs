//! Engagement's plain HTTP endpoints: open/click tracking and one-click unsubscribe.

pub mod tracking;
pub mod unsubscribe;
