//! Identity's plain HTTP endpoints: the OAuth token exchange and the pages a mailed link opens.

pub mod oauth;
pub mod pages;
