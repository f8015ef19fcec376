//! SeaORM entities of Fidelis: one module per table.
//!
//! Every table that belongs to a brand carries `tenant_id` and implements [`TenantOwned`], which is
//! how `api::db::scope::TenantScope` filters it. Nothing here knows about GraphQL or HTTP.

pub mod api_key;
pub mod brand;
pub mod idempotency_record;
pub mod invitation;
pub mod one_time_token;
pub mod refresh_token;
pub mod user_account;

use sea_orm::EntityTrait;

/// A table whose rows belong to one brand (tenant).
pub trait TenantOwned: EntityTrait {
    /// The column holding the owning brand's id.
    fn tenant_column() -> Self::Column;
}

/// Which column holds the owning brand for each tenant-owned entity.
macro_rules! tenant_owned {
    ($($module:ident),* $(,)?) => {$(
        impl TenantOwned for $module::Entity {
            fn tenant_column() -> Self::Column {
                $module::Column::TenantId
            }
        }
    )*};
}
tenant_owned!(api_key, invitation, user_account);
