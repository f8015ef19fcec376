//! Background jobs run by the server (and callable from the CLI and tests).

pub mod expiry;
