//! `athlos serve`: the v1 HTTP API over the service layer.
//!
//! Handlers decode and check the request, call the [`Service`], and answer JSON; every error
//! goes out as [`ApiError`]. Background jobs (bracket generation) run in
//! worker tasks of the same process that claim jobs from the store with leases.

#[allow(unused_qualifications)]
pub mod account_pages;
pub mod accounts;
pub mod auth;
#[allow(unused_qualifications)]
pub mod chat;
pub mod clocks;
pub mod concurrency;
pub mod dashboard;
pub mod draft_pages;
#[allow(unused_qualifications)]
pub mod drafts;
pub mod error;
pub mod event_pages;
// The OpenAPI path macros expand to qualified paths.
#[allow(unused_qualifications)]
pub mod competitions;
pub mod extract;
pub mod jobs;
#[allow(unused_qualifications)]
pub mod leaderboard;
#[allow(unused_qualifications)]
pub mod metrics;
#[allow(unused_qualifications)]
pub mod notifications;
pub mod nowchess;
pub mod nowchess_board;
#[allow(unused_qualifications)]
pub mod ops;
pub mod pages;
pub mod play_pages;
pub mod reads;
#[allow(unused_qualifications)]
pub mod runs;
pub mod secrets;
pub mod store;
#[allow(unused_qualifications)]
pub mod streams;
pub(crate) mod svg;
pub mod swiss_pages;
pub mod tournament_forms;
#[allow(unused_qualifications)]
pub mod tournaments;
#[allow(unused_qualifications)]
pub mod webhooks;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use athlos_core::clock::Clock;
use athlos_core::service::Service;

use error::ApiError;
use store::SharedStore;

/// The service the handlers call.
/// The clock the server reads: the system's, or one a test sets (see [`AppState::with_clock`]).
pub type SharedClock = Arc<dyn Clock>;

/// The service the server runs.
pub type AppService = Service<SharedStore, SharedClock>;

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
    /// How long a scheduler's claim on a due deadline keeps other processes off it (a
    /// crashed process's pick clocks fire elsewhere after it).
    pub deadline_claim: Duration,
    /// How often an idle worker looks for jobs.
    pub job_poll: Duration,
    /// Events a stream subscriber may fall behind before it is dropped.
    pub stream_buffer: usize,
    /// How often an idle stream sends a keep-alive.
    pub stream_keep_alive: Duration,
    /// How webhooks are sent.
    pub webhooks: webhooks::WebhookSettings,
    /// Bytes of rendered public reads kept ([`reads`]; 0 keeps none).
    pub read_cache_bytes: usize,
    /// How long a browser session lasts after sign-in.
    pub session_lifetime: Duration,
    /// Mark the session cookie `Secure` (sent over HTTPS only): set it when the server is
    /// reached over HTTPS.
    pub secure_cookies: bool,
    /// Failed sign-ins allowed per username and per client address within
    /// `sign_in_window` before further attempts are refused (429).
    pub sign_in_limit: usize,
    /// The window the failed sign-ins are counted over.
    pub sign_in_window: Duration,
    /// How long before a tournament's `starts_at` its entrants and followers get the
    /// `tournament_starting` notification.
    pub start_reminder: Duration,
    /// The board service tournaments with a board play their games on.
    pub board: nowchess_board::client::BoardConfig,
    /// A testing aid: while this file exists, every run waits at its last checkpoint before
    /// it commits (tests cancel or kill runs midway with it). `None` in production; `athlos
    /// serve` sets it (`--hold-runs`) only when built with the `test-hooks` feature.
    pub hold_runs: Option<std::path::PathBuf>,
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
            deadline_claim: Duration::from_secs(5),
            job_poll: Duration::from_millis(100),
            stream_buffer: 4096,
            stream_keep_alive: Duration::from_secs(15),
            webhooks: webhooks::WebhookSettings::default(),
            read_cache_bytes: 64 * 1024 * 1024,
            session_lifetime: Duration::from_secs(14 * 24 * 3600),
            secure_cookies: false,
            sign_in_limit: 5,
            sign_in_window: Duration::from_secs(15 * 60),
            start_reminder: Duration::from_secs(
                athlos_core::notify::DEFAULT_REMINDER_MINUTES.unsigned_abs() * 60,
            ),
            board: nowchess_board::client::BoardConfig::default(),
            hold_runs: None,
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
    /// The SQL store, when the server runs on one (for wake-ups).
    pub database: Option<athlos_store::AnyStore>,
    /// Reports whether the store is reachable and migrated.
    pub ready: Arc<dyn ReadyCheck>,
    /// The fan-out of the event log to streams.
    pub streams: streams::Hub,
    /// The client webhooks go out with.
    pub webhooks: webhooks::Sender,
    /// The process's metrics.
    pub metrics: Arc<metrics::Metrics>,
    /// Rendered public reads, by aggregate version.
    pub reads: Arc<reads::Reads>,
    /// The bearer tokens verified so far.
    pub tokens: Arc<auth::Verified>,
    /// What the server reads the time from (the service's clock too).
    pub clock: SharedClock,
    /// Failed sign-ins of this process, by username and by client address.
    pub sign_ins: Arc<std::sync::Mutex<athlos_core::account::Throttle>>,
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
    /// State over `store`, reading the time from `clock` (`athlos serve` wires the system's;
    /// a test may give a `ManualClock`).
    pub fn new(
        store: SharedStore,
        config: Config,
        ready: Arc<dyn ReadyCheck>,
        clock: SharedClock,
    ) -> Self {
        let streams = streams::Hub::new(config.stream_buffer, config.stream_keep_alive);
        let webhooks = webhooks::Sender::new(config.webhooks.clone());
        let reads = Arc::new(reads::Reads::new(config.read_cache_bytes));
        let metrics = Arc::new(metrics::Metrics::new(
            &webhooks.counters,
            streams.dropped(),
            &reads.counters,
        ));
        let config_limit = config.sign_in_limit;
        let config_window =
            chrono::Duration::from_std(config.sign_in_window).unwrap_or(chrono::Duration::MAX);
        Self {
            service: Arc::new(service(&store, &clock, &config)),
            store,
            streams,
            webhooks,
            metrics,
            reads,
            config: Arc::new(config),
            database: None,
            ready,
            tokens: Arc::default(),
            sign_ins: Arc::new(std::sync::Mutex::new(athlos_core::account::Throttle::new(
                config_limit,
                config_window,
            ))),
            clock,
        }
    }

    /// The same state reading the time from `clock`: the service's events and deadlines,
    /// token expiry, webhook deliveries and metrics all follow it, and so do the job worker
    /// and the deadline scheduler [`start`] runs (due jobs and pick clocks, leases, retry
    /// backoffs); a test runs the server on a `ManualClock` and moves it.
    #[must_use]
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.service = Arc::new(service(&self.store, &clock, &self.config));
        self.clock = clock;
        self
    }
}

/// The service over `store` and `clock` with the settings of `config` that are the core's.
fn service(store: &SharedStore, clock: &SharedClock, config: &Config) -> AppService {
    let reminder = chrono::Duration::from_std(config.start_reminder).unwrap_or(
        chrono::Duration::minutes(athlos_core::notify::DEFAULT_REMINDER_MINUTES),
    );
    Service::new(store.clone(), clock.clone()).with_reminder(reminder)
}

/// The routes and the OpenAPI document they describe.
pub fn routes() -> (Router<AppState>, OpenApi) {
    let (router, mut api) = OpenApiRouter::with_openapi(ops::ApiDoc::base())
        .merge(ops::routes())
        .merge(competitions::routes())
        .merge(tournaments::routes())
        .merge(drafts::routes())
        .merge(accounts::routes())
        .merge(chat::routes())
        .merge(notifications::routes())
        // Streams, webhooks and metrics.
        .merge(streams::routes())
        .merge(leaderboard::routes())
        .merge(webhooks::routes())
        .merge(runs::routes())
        .merge(metrics::routes())
        .split_for_parts();
    ops::finish_document(&mut api);
    (router, api)
}

/// The application: routes, error fallbacks and layers, with `state`.
///
/// Building it costs one pass over the routes (giving them `state`): the routes, their
/// fallbacks and the OpenAPI document are built once per process, and the layers that depend
/// on the state or the configuration wrap the routed application once from outside, not each
/// route (a test, a fuzzer or a restarted server builds many).
pub fn app(state: AppState) -> Router {
    static ROUTES: std::sync::OnceLock<Router<AppState>> = std::sync::OnceLock::new();
    let routed = ROUTES
        .get_or_init(|| {
            let (router, api) = routes();
            let api = Arc::new(api);
            router
                // The route a request matched, for the metrics layer outside the router.
                .route_layer(axum::middleware::map_response(
                    |path: Option<axum::extract::MatchedPath>,
                     mut response: axum::response::Response| async move {
                        if let Some(path) = path {
                            response.extensions_mut().insert(path);
                        }
                        response
                    },
                ))
                .route(
                    "/openapi.json",
                    axum::routing::get(move || {
                        let api = Arc::clone(&api);
                        async move { axum::Json(api.as_ref().clone()) }
                    }),
                )
                .merge(pages::routes())
                .merge(account_pages::routes())
                .merge(play_pages::routes())
                .merge(tournament_forms::routes())
                .merge(swiss_pages::routes())
                .merge(dashboard::routes())
                .merge(event_pages::routes())
                .merge(draft_pages::routes())
                .merge(nowchess::routes())
                .merge(nowchess_board::routes())
                // A browser asking for an unknown address gets the 404 page; an API client
                // the JSON error.
                .fallback(|headers: axum::http::HeaderMap| async move {
                    if pages::wants_html(&headers) {
                        pages::not_found_page("There is nothing at this address.")
                    } else {
                        axum::response::IntoResponse::into_response(ApiError::not_found(
                            "no such route",
                        ))
                    }
                })
                .method_not_allowed_fallback(|| async {
                    ApiError::new(
                        StatusCode::METHOD_NOT_ALLOWED,
                        "method_not_allowed",
                        "this route does not take that method",
                    )
                })
        })
        .clone()
        .with_state(state.clone());
    let body_limit = state.config.body_limit;
    let timeout = state.config.request_timeout;
    Router::new()
        .fallback_service(routed)
        .layer(axum::middleware::from_fn_with_state(state, metrics::track))
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
        .layer(
            tower::ServiceBuilder::new()
                .layer(axum::error_handling::HandleErrorLayer::new(
                    |_: tower::BoxError| async {
                        ApiError::new(
                            StatusCode::REQUEST_TIMEOUT,
                            "timeout",
                            "the request took too long",
                        )
                    },
                ))
                .layer(tower::timeout::TimeoutLayer::new(timeout)),
        )
        .layer(CatchPanicLayer::custom(|_| {
            axum::response::IntoResponse::into_response(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error",
            ))
        }))
        .layer(TraceLayer::new_for_http())
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
    /// Connections still open [`SHUTDOWN_GRACE`] after the stop (a stream client that stopped
    /// reading holds its response open) are cut, so a stop always ends.
    ///
    /// # Errors
    /// The server's I/O error.
    pub async fn stop(self) -> std::io::Result<()> {
        let _ = self.shutdown.send(true);
        let mut handle = self.handle;
        let served = match tokio::time::timeout(SHUTDOWN_GRACE, &mut handle).await {
            Ok(joined) => joined.map_err(|e| std::io::Error::other(e.to_string()))?,
            Err(_) => {
                tracing::warn!(
                    grace = ?SHUTDOWN_GRACE,
                    "connections still open after the grace period: closing them"
                );
                handle.abort();
                Ok(())
            }
        };
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

/// How long a stop waits for open connections before cutting them.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Binds `state.config.address` and serves in the background, with the job workers and the
/// deadline scheduler, all on `state.clock`.
///
/// # Errors
/// The bind error.
pub async fn start(state: AppState) -> std::io::Result<Running> {
    let listener = TcpListener::bind(state.config.address).await?;
    let address = listener.local_addr()?;
    let (shutdown, mut watch_rx) = watch::channel(false);
    let mut workers = Vec::new();
    if state.config.workers > 0 {
        // Webhook deliveries run in a worker of their own: a slow receiver holds none of the
        // slots of the other jobs, and every subscription gets one.
        let deliver = athlos_core::store::DELIVER_WEBHOOK;
        let others = jobs::KINDS.iter().filter(|kind| **kind != deliver);
        workers.push(spawn_worker(
            &state,
            worker_name(address),
            others.map(|kind| (*kind).to_owned()).collect(),
            state.config.workers,
            shutdown.subscribe(),
        ));
        workers.push(spawn_worker(
            &state,
            format!("{}-webhooks", worker_name(address)),
            vec![deliver.to_owned()],
            state.config.webhooks.concurrency.max(1),
            shutdown.subscribe(),
        ));
        workers.push(tokio::spawn(webhooks::dispatch(
            state.clone(),
            shutdown.subscribe(),
        )));
        workers.push(spawn_scheduler(&state, address, shutdown.subscribe()));
    }
    let streams = state.streams.clone();
    let app = app(state);
    let handle = tokio::spawn(async move {
        // The client's address reaches the handlers (sign-in attempts are counted by it).
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        // Small writes go out at once: a stream's second event in a row would otherwise wait
        // for the client's delayed acknowledgement of the first (Nagle's algorithm).
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            if let Err(error) = tcp.set_nodelay(true) {
                tracing::debug!(%error, "cannot set TCP_NODELAY");
            }
        });
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = watch_rx.wait_for(|stop| *stop).await;
                streams.close();
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

/// A job worker named `name` running `concurrency` jobs of `kinds` at once, until `stop`.
fn spawn_worker(
    state: &AppState,
    name: String,
    kinds: Vec<String>,
    concurrency: usize,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let mut config = athlos_runner::WorkerConfig::new(name);
    config.concurrency = concurrency;
    config.lease = state.config.job_lease;
    config.heartbeat = state.config.job_lease / 3;
    config.poll = state.config.job_poll;
    config.kinds = Some(kinds);
    let mut worker = athlos_runner::Worker::new(
        Arc::new(state.store.clone()),
        jobs::Handler::new(state.clone()),
        config,
    )
    .with_clock(state.clock.clone());
    if let Some(database) = &state.database {
        worker = worker.with_wakeup(database.wakeup(athlos_store::Topic::Jobs));
    }
    tokio::spawn(async move {
        let stats = worker
            .run(async move {
                let _ = stop.wait_for(|stop| *stop).await;
            })
            .await;
        tracing::info!(?stats, "job worker stopped");
    })
}

/// The deadline scheduler of this process (pick clocks), until `stop`.
fn spawn_scheduler(
    state: &AppState,
    address: SocketAddr,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let mut config = athlos_runner::SchedulerConfig::new(worker_name(address));
    config.claim = state.config.deadline_claim;
    let handler = clocks::Clocks::new(state.service.clone(), state.metrics.clone());
    let mut scheduler =
        athlos_runner::Scheduler::new(Arc::new(state.store.clone()), handler, config)
            .with_clock(state.clock.clone());
    if let Some(database) = &state.database {
        scheduler = scheduler.with_wakeup(database.wakeup(athlos_store::Topic::Deadlines));
    }
    tokio::spawn(async move {
        let stats = scheduler
            .run(async move {
                let _ = stop.wait_for(|stop| *stop).await;
            })
            .await;
        tracing::info!(?stats, "deadline scheduler stopped");
    })
}

fn worker_name(address: SocketAddr) -> String {
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

/// A store opened from a URL.
#[derive(Debug)]
pub struct Opened {
    /// The store.
    pub store: SharedStore,
    /// The check behind `/ready`.
    pub ready: Arc<dyn ReadyCheck>,
    /// The SQL store, if it is one.
    pub database: Option<athlos_store::AnyStore>,
}

impl Opened {
    /// The state to serve it with, on `clock`.
    pub fn into_state(self, config: Config, clock: SharedClock) -> AppState {
        let mut state = AppState::new(self.store, config, self.ready, clock);
        state.database = self.database;
        state
    }
}

#[derive(Debug)]
struct DatabaseReady(athlos_store::AnyStore);

#[async_trait::async_trait]
impl ReadyCheck for DatabaseReady {
    async fn ready(&self) -> Result<(), String> {
        self.0.ready().await.map_err(|e| e.to_string())
    }
}

/// Opens the store named by `url` (`sqlite://FILE`, `postgres://…`, or `memory://` for a
/// store that keeps nothing) and applies its migrations.
///
/// # Errors
/// A message naming the URL when it cannot be opened.
pub async fn open_store(url: &str) -> Result<Opened, String> {
    if url == "memory://" || url == "memory:" {
        return Ok(Opened {
            store: store::shared(athlos_core::store::MemoryStore::new()),
            ready: Arc::new(AlwaysReady),
            database: None,
        });
    }
    let database = athlos_store::connect(url)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Opened {
        store: store::shared(database.clone()),
        ready: Arc::new(DatabaseReady(database.clone())),
        database: Some(database),
    })
}
