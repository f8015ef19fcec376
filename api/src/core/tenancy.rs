//! The tenant scope: the only door to tenant-owned tables.
//!
//! Every query built here is filtered on the brand's id and every insert is stamped with it, so
//! a resolver holding a scope cannot read or write another brand's rows: another brand's object
//! simply does not exist (NOT_FOUND).
#![expect(
    clippy::disallowed_methods,
    reason = "this module is the tenant-scoped door to SeaORM"
)]

use chrono::{DateTime, Utc};
use entity::{TenantOwned, brand};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, IntoActiveModel, PrimaryKeyTrait, QueryFilter, QuerySelect,
    Select, UpdateMany, Value, sea_query::OnConflict,
};
use uuid::Uuid;

use crate::core::{clock::Clock, error::AppError};

/// The brand a request acts for, with the connection pool and the server's clock.
#[derive(Clone)]
pub struct TenantScope {
    db: DatabaseConnection,
    tenant: Uuid,
    clock: Clock,
    /// The brand's own row (settings, currency, time zone), read at most once per scope. A
    /// scope lives for one request or one job pass, so a change of settings is seen by the
    /// next one; nothing is cached beyond that.
    brand: BrandCell,
}

type BrandCell = std::sync::Arc<tokio::sync::OnceCell<brand::Model>>;

impl TenantScope {
    /// A scope on the system clock (jobs that are given their `now`).
    pub(crate) fn new(db: DatabaseConnection, tenant: Uuid) -> Self {
        Self::with_clock(db, tenant, Clock::system())
    }

    /// A scope on the server's clock.
    pub(crate) fn with_clock(db: DatabaseConnection, tenant: Uuid, clock: Clock) -> Self {
        Self {
            db,
            tenant,
            clock,
            brand: BrandCell::default(),
        }
    }

    /// The scope holding its brand's row, read by the caller already (when it is this scope's
    /// brand: another brand's row is ignored).
    pub fn holding(mut self, brand: Option<brand::Model>) -> Self {
        if let Some(brand) = brand.filter(|b| b.id == self.tenant) {
            self.brand = std::sync::Arc::new(tokio::sync::OnceCell::new_with(Some(brand)));
        }
        self
    }

    /// The scope's own brand: its settings, currency and time zone.
    pub async fn brand(&self) -> Result<brand::Model, AppError> {
        self.conn().brand().await
    }

    pub fn tenant_id(&self) -> Uuid {
        self.tenant
    }

    /// Now, on the server's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Scoped access outside a transaction.
    pub fn conn(&self) -> Scoped<DatabaseConnection> {
        // A clone of the pool handle, not a new connection.
        Scoped {
            conn: self.db.clone(),
            tenant: self.tenant,
            clock: self.clock.clone(),
            brand: self.brand.clone(),
        }
    }

    /// Starts a write transaction whose every statement stays within the brand.
    pub async fn begin(&self) -> Result<Scoped<DatabaseTransaction>, AppError> {
        Ok(Scoped {
            conn: crate::core::db::begin_write(&self.db).await?,
            tenant: self.tenant,
            clock: self.clock.clone(),
            brand: self.brand.clone(),
        })
    }
}

/// A connection or transaction bound to one brand.
pub struct Scoped<C> {
    conn: C,
    tenant: Uuid,
    clock: Clock,
    brand: BrandCell,
}

impl<C: ConnectionTrait> Scoped<C> {
    pub fn tenant_id(&self) -> Uuid {
        self.tenant
    }

    /// Now, on the server's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The connection, to execute what [`find`](Self::find) and friends build. Nothing else
    /// can be done with it outside a store file: clippy refuses the raw entry points (entity
    /// finders, raw statements, active-model updates and deletes) everywhere else.
    pub fn db(&self) -> &C {
        &self.conn
    }

    /// The scope's own brand (read once per scope; see [`TenantScope`]).
    pub async fn brand(&self) -> Result<brand::Model, AppError> {
        self.brand
            .get_or_try_init(|| async {
                brand::Entity::find_by_id(self.tenant)
                    .one(&self.conn)
                    .await?
                    .ok_or(AppError::NotFound)
            })
            .await
            .cloned()
    }

    /// Updates a row of this brand from its active model (the key and the changed columns).
    /// The statement is filtered on the brand as well as the key, so an active model built for
    /// another brand's row updates nothing and answers NOT_FOUND.
    pub async fn update<A>(&self, model: A) -> Result<<A::Entity as EntityTrait>::Model, AppError>
    where
        A: ActiveModelTrait + ActiveModelBehavior + Send,
        A::Entity: TenantOwned,
        <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
    {
        let update = sea_orm::ValidatedUpdateOne::try_from(A::Entity::update(model))?
            .filter(<A::Entity as TenantOwned>::tenant_column().eq(self.tenant));
        match update.exec(&self.conn).await {
            Err(sea_orm::DbErr::RecordNotUpdated | sea_orm::DbErr::RecordNotFound(_)) => {
                Err(AppError::NotFound)
            }
            Err(e) => Err(e.into()),
            // With no column to change, SeaORM reads the row back by its key alone: it must
            // still be this brand's.
            Ok(row)
                if sea_orm::ModelTrait::get(&row, <A::Entity as TenantOwned>::tenant_column())
                    != Value::from(self.tenant) =>
            {
                Err(AppError::NotFound)
            }
            Ok(row) => Ok(row),
        }
    }

    /// `SELECT ... WHERE tenant_id = <brand>`.
    pub fn find<E: TenantOwned>(&self) -> Select<E> {
        E::find().filter(E::tenant_column().eq(self.tenant))
    }

    /// One row by primary key, or NOT_FOUND when it is missing or another brand's.
    pub async fn get<E>(&self, id: Uuid) -> Result<E::Model, AppError>
    where
        E: TenantOwned,
        <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<Uuid>,
    {
        E::find_by_id(id)
            .filter(E::tenant_column().eq(self.tenant))
            .one(&self.conn)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// [`get`](Self::get), locking the row for the rest of the transaction on PostgreSQL
    /// (`SELECT ... FOR UPDATE`): concurrent writers of the same object queue instead of
    /// computing from the same stale read. SQLite writers are serialised by `BEGIN IMMEDIATE`.
    pub async fn get_for_update<E>(&self, id: Uuid) -> Result<E::Model, AppError>
    where
        E: TenantOwned,
        <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<Uuid>,
    {
        let select = E::find_by_id(id).filter(E::tenant_column().eq(self.tenant));
        let select = if self.conn.get_database_backend() == sea_orm::DbBackend::Postgres {
            select.lock_exclusive()
        } else {
            select
        };
        select.one(&self.conn).await?.ok_or(AppError::NotFound)
    }

    /// Inserts a row stamped with the brand's id, whatever the caller set.
    pub async fn insert<A>(
        &self,
        mut model: A,
    ) -> Result<<A::Entity as EntityTrait>::Model, AppError>
    where
        A: ActiveModelTrait + ActiveModelBehavior + Send,
        A::Entity: TenantOwned,
        <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
    {
        model.set(
            <A::Entity as TenantOwned>::tenant_column(),
            Value::from(self.tenant),
        );
        Ok(model.insert(&self.conn).await?)
    }

    /// Inserts rows stamped with the brand's id, in one statement, returning nothing.
    pub async fn insert_all<A>(&self, models: Vec<A>) -> Result<(), AppError>
    where
        A: ActiveModelTrait + ActiveModelBehavior + Send,
        A::Entity: TenantOwned,
    {
        if models.is_empty() {
            return Ok(());
        }
        let stamped = models.into_iter().map(|mut model| {
            model.set(
                <A::Entity as TenantOwned>::tenant_column(),
                Value::from(self.tenant),
            );
            model
        });
        A::Entity::insert_many(stamped)
            .exec_without_returning(&self.conn)
            .await?;
        Ok(())
    }

    /// Inserts a row stamped with the brand's id unless one with the same values in
    /// `conflict_columns` (a unique key) exists. Returns whether it inserted.
    pub async fn insert_if_absent<A>(
        &self,
        mut model: A,
        conflict_columns: Vec<<A::Entity as EntityTrait>::Column>,
    ) -> Result<bool, AppError>
    where
        A: ActiveModelTrait + ActiveModelBehavior + Send,
        A::Entity: TenantOwned,
    {
        model.set(
            <A::Entity as TenantOwned>::tenant_column(),
            Value::from(self.tenant),
        );
        let inserted = A::Entity::insert(model)
            .on_conflict(
                OnConflict::columns(conflict_columns)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&self.conn)
            .await?;
        Ok(inserted > 0)
    }

    /// `UPDATE ... WHERE tenant_id = <brand>`; add the row filters before executing.
    pub fn update_many<E: TenantOwned>(&self) -> UpdateMany<E> {
        E::update_many().filter(E::tenant_column().eq(self.tenant))
    }

    /// `DELETE ... WHERE tenant_id = <brand>`; add the row filters before executing.
    pub fn delete_many<E: TenantOwned>(&self) -> sea_orm::DeleteMany<E> {
        E::delete_many().filter(E::tenant_column().eq(self.tenant))
    }
}

impl Scoped<DatabaseTransaction> {
    pub async fn commit(self) -> Result<(), AppError> {
        Ok(self.conn.commit().await?)
    }

    /// The same transaction acting for another brand: for the rare write that spans two brands
    /// of a coalition and must land whole (a referral across brands rewards each member at
    /// their own brand). The caller has checked that the coalition allows it; every statement
    /// made through the result is filtered on, and stamped with, the brand it now acts for.
    pub(crate) fn acting_for(self, tenant: Uuid) -> Self {
        Self {
            conn: self.conn,
            tenant,
            clock: self.clock,
            brand: BrandCell::default(),
        }
    }
}
