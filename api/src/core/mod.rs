//! What every context shares and no context owns. Today: signing; the error type, value types,
//! tenancy, idempotency, the ledger and events move here with the architecture step. `core`
//! imports no context and no `server`.

pub mod events;
pub mod signing;
