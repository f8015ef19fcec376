//! Loyalty's plain HTTP endpoints: the member space pages.

pub mod member_pages;
