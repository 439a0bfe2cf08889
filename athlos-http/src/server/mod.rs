//! `athlos serve`: the v1 HTTP API over the service layer.
//!
//! Handlers decode and check the request, call the [`Service`], and answer JSON; every error
//! goes out as [`ApiError`](error::ApiError). Background jobs (bracket generation) run in
//! worker tasks of the same process that claim jobs from the store with leases.

pub mod auth;
pub mod directors;
pub mod error;
// The OpenAPI path macros expand to qualified paths.
#[allow(unused_qualifications)]
pub mod events;
pub mod extract;
pub mod jobs;
#[allow(unused_qualifications)]
pub mod ops;
pub mod store;
#[allow(unused_qualifications)]
pub mod tournaments;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use athlos_core::clock::SystemClock;
use athlos_core::service::Service;

use error::ApiError;
use store::SharedStore;

/// The service the handlers call.
pub type AppService = Service<SharedStore, SystemClock>;

/// What the server needs to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen.
    pub address: SocketAddr,
    /// Background job workers in this process (0: none).
    pub workers: usize,
    /// The HS256 secret tokens are signed with.
    pub jwt_secret: String,
    /// Largest request body, bytes.
    pub body_limit: usize,
    /// Longest a request may take.
    pub request_timeout: Duration,
    /// How long a claimed job is leased to a worker.
    pub job_lease: Duration,
    /// How often an idle worker looks for jobs.
    pub job_poll: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            address: SocketAddr::from(([127, 0, 0, 1], 3001)),
            workers: 2,
            jwt_secret: DEV_SECRET.to_owned(),
            body_limit: 2 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            job_lease: Duration::from_secs(60),
            job_poll: Duration::from_millis(100),
        }
    }
}

/// The secret used when none is configured: fine on a laptop, never in production (the
/// server logs a warning).
pub const DEV_SECRET: &str = "athlos-development-secret";

/// State shared by every handler.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The service.
    pub service: Arc<AppService>,
    /// The store (also inside the service).
    pub store: SharedStore,
    /// The configuration.
    pub config: Arc<Config>,
    /// Wakes idle workers when jobs are queued.
    pub jobs_queued: Arc<tokio::sync::Notify>,
    /// Reports whether the store is reachable and migrated.
    pub ready: Arc<dyn ReadyCheck>,
}

/// Answers `/ready`.
#[async_trait::async_trait]
pub trait ReadyCheck: Send + Sync + std::fmt::Debug {
    /// `Ok` when the database is reachable and migrated, else the reason.
    async fn ready(&self) -> Result<(), String>;
}

/// Always ready (in-memory stores).
#[derive(Debug, Clone, Copy)]
pub struct AlwaysReady;

#[async_trait::async_trait]
impl ReadyCheck for AlwaysReady {
    async fn ready(&self) -> Result<(), String> {
        Ok(())
    }
}

impl AppState {
    /// State over `store`.
    pub fn new(store: SharedStore, config: Config, ready: Arc<dyn ReadyCheck>) -> Self {
        Self {
            service: Arc::new(Service::new(store.clone(), SystemClock)),
            store,
            config: Arc::new(config),
            jobs_queued: Arc::new(tokio::sync::Notify::new()),
            ready,
        }
    }
}

/// The routes and the OpenAPI document they describe.
pub fn routes() -> (Router<AppState>, OpenApi) {
    let (router, mut api) = OpenApiRouter::with_openapi(ops::ApiDoc::base())
        .merge(ops::routes())
        .merge(events::routes())
        .merge(tournaments::routes())
        .split_for_parts();
    ops::finish_document(&mut api);
    (router, api)
}

/// The application: routes, error fallbacks and layers, with `state`.
pub fn app(state: AppState) -> Router {
    let (router, api) = routes();
    let api = Arc::new(api);
    let body_limit = state.config.body_limit;
    let timeout = state.config.request_timeout;
    router
        .route(
            "/openapi.json",
            axum::routing::get(move || {
                let api = Arc::clone(&api);
                async move { axum::Json(api.as_ref().clone()) }
            }),
        )
        .fallback(|| async { ApiError::not_found("no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not take that method",
            )
        })
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(CatchPanicLayer::custom(|_| {
            axum::response::IntoResponse::into_response(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error",
            ))
        }))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// A running server.
#[derive(Debug)]
pub struct Running {
    /// The address it listens on.
    pub address: SocketAddr,
    shutdown: watch::Sender<bool>,
    handle: tokio::task::JoinHandle<std::io::Result<()>>,
    workers: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Stops accepting connections, finishes in-flight requests and running jobs, and waits.
    ///
    /// # Errors
    /// The server's I/O error.
    pub async fn stop(self) -> std::io::Result<()> {
        let _ = self.shutdown.send(true);
        let served = self
            .handle
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        for worker in self.workers {
            let _ = worker.await;
        }
        served
    }

    /// Waits until the server ends (after [`shutdown_signal`] or a stop).
    ///
    /// # Errors
    /// The server's I/O error.
    pub async fn wait_for_signal(self) -> std::io::Result<()> {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing in-flight requests and jobs");
        self.stop().await
    }
}

/// Binds `state.config.address` and serves in the background, with the job workers.
///
/// # Errors
/// The bind error.
pub async fn start(state: AppState) -> std::io::Result<Running> {
    let listener = TcpListener::bind(state.config.address).await?;
    let address = listener.local_addr()?;
    let (shutdown, mut watch_rx) = watch::channel(false);
    let workers = (0..state.config.workers)
        .map(|n| {
            let worker = jobs::Worker::new(state.clone(), format!("{}-{n}", worker_prefix(address)));
            tokio::spawn(worker.run(shutdown.subscribe()))
        })
        .collect();
    let app = app(state);
    let handle = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = watch_rx.wait_for(|stop| *stop).await;
            })
            .await
    });
    tracing::info!(%address, "listening");
    Ok(Running {
        address,
        shutdown,
        handle,
        workers,
    })
}

fn worker_prefix(address: SocketAddr) -> String {
    format!("athlos-{}-{}", std::process::id(), address.port())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// The database `athlos serve` uses when none is given.
pub const DEFAULT_DATABASE: &str = "sqlite://athlos.db";

/// Opens the store named by `url` and the check behind `/ready`.
///
/// # Errors
/// A message naming the URL when it cannot be opened.
pub async fn open_store(url: &str) -> Result<(SharedStore, Arc<dyn ReadyCheck>), String> {
    if url == "memory://" || url == "memory:" {
        return Ok((
            SharedStore::new(athlos_core::store::MemoryStore::new()),
            Arc::new(AlwaysReady),
        ));
    }
    Err(format!(
        "cannot open database {url:?}: only memory:// is available in this build"
    ))
}
