//! Builds the application from a [`Config`]: database, mailer, keys, schema and router. The
//! binary, the CLI and the tests all go through [`App::build`].

use std::{future::Future, net::SocketAddr, sync::Arc};

use anyhow::Context as _;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::core::{config::Config, deps::Deps};

pub struct App {
    listener: TcpListener,
    router: axum::Router,
    state: Arc<Deps>,
}

impl App {
    /// Connects to the database, migrates it and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        config.validate()?;
        let db = crate::core::db::connect_and_migrate(&config).await?;
        Self::build_with_db(config, db).await
    }

    /// Like [`build`](Self::build), on a database that is already migrated.
    pub async fn build_with_db(config: Config, db: DatabaseConnection) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("binding {}", config.bind))?;
        let state = Arc::new(Deps::new(config, db)?);
        if state.config.jobs_interval_secs > 0 {
            crate::server::jobs::spawn_scheduled(
                state.clone(),
                std::time::Duration::from_secs(state.config.jobs_interval_secs),
            );
        }
        if state.config.mail_poll_secs > 0 {
            crate::server::jobs::spawn_mail(
                state.clone(),
                std::time::Duration::from_secs(state.config.mail_poll_secs),
            );
        }
        let schema = crate::server::schema::build_schema(state.clone());
        let router = crate::server::router::router(state.clone(), schema);
        Ok(Self {
            listener,
            router,
            state,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn state(&self) -> Arc<Deps> {
        self.state.clone()
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
    }
}

/// Completes on SIGTERM or Ctrl-C. The SIGTERM handler is installed when this is called, not
/// when the future is first polled, so a signal sent right after start-up is not lost.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        let ctrl_c = async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        #[cfg(unix)]
        let term = async move {
            match term {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            () = ctrl_c => {},
            () = term => {},
        }
        tracing::info!("shutdown signal received; finishing requests in flight");
    }
}
