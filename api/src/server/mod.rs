//! Wiring: what knows every context. Today the job registry; the state, router and schema move
//! here with the architecture step.

pub mod jobs;
