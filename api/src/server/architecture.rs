//! Import rules, checked.
