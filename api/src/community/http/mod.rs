//! Community's HTTP: the public fairness record of a contest.

pub mod fairness;
