//! Loyalty's GraphQL roots: programs, members, purchases, vouchers, stored value, memberships,
//! gestures, member rights.

pub mod gestures;
pub mod member_auth;
pub mod member_rights;
pub mod members;
pub mod memberships;
pub mod offers;
pub mod programs;
pub mod purchases;
pub mod statistics;
pub mod stored_value;
pub mod vouchers;
