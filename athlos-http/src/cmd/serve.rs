//! `athlos serve`: the v1 HTTP API.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, ValueEnum};

use athlos_core::clock::SystemClock;
use athlos_http::server::{self, Config};

use super::CliError;

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line.
    Json,
    /// Human-readable lines.
    Text,
}

/// Flags of `athlos serve`; each has an `ATHLOS_*` environment variable.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "ATHLOS_ADDRESS", default_value = "127.0.0.1:3001")]
    pub address: SocketAddr,
    /// Database URL: `sqlite://FILE`, `postgres://…`, or `memory://` (nothing kept).
    #[arg(long, env = "ATHLOS_DATABASE_URL", default_value = server::DEFAULT_DATABASE)]
    pub database: String,
    /// Background job workers in this process.
    #[arg(long, env = "ATHLOS_WORKERS", default_value_t = 2)]
    pub workers: usize,
    /// HS256 secret for bearer tokens (a development secret when unset).
    #[arg(long, env = "ATHLOS_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Log format.
    #[arg(long, env = "ATHLOS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Largest request body, bytes.
    #[arg(long, env = "ATHLOS_BODY_LIMIT", default_value_t = 2 * 1024 * 1024)]
    pub body_limit: usize,
    /// Longest a request may take, seconds.
    #[arg(long, env = "ATHLOS_REQUEST_TIMEOUT", default_value_t = 30)]
    pub request_timeout: u64,
    /// How long a claimed job is leased, seconds (a crashed process's jobs run again after it).
    #[arg(long, env = "ATHLOS_JOB_LEASE", default_value_t = 60)]
    pub job_lease: u64,
    /// How long a process's claim on a due pick clock lasts, seconds (a crashed process's
    /// clocks fire in another process after it).
    #[arg(long, env = "ATHLOS_DEADLINE_CLAIM", default_value_t = 5)]
    pub deadline_claim: u64,
    /// Let webhooks target loopback, private and internal addresses.
    #[arg(long, env = "ATHLOS_WEBHOOK_ALLOW_PRIVATE", default_value_t = false)]
    pub webhook_allow_private: bool,
    /// Longest one webhook delivery attempt may take, seconds.
    #[arg(long, env = "ATHLOS_WEBHOOK_TIMEOUT", default_value_t = 10)]
    pub webhook_timeout: u64,
    /// Megabytes of rendered public reads (brackets, standings, pairings) kept in memory,
    /// each until its aggregate's next commit (0: none; conditional requests still get 304).
    #[arg(long, env = "ATHLOS_READ_CACHE_MB", default_value_t = 64)]
    pub read_cache_mb: usize,
    /// Webhook delivery jobs run at once in this process (one per subscription sending).
    #[arg(long, env = "ATHLOS_WEBHOOK_CONCURRENCY", default_value_t = 16)]
    pub webhook_concurrency: usize,
    /// Deliveries of one subscription a job sends one after the other (each once the one
    /// before succeeded) before recording them together, 1 to 64 (1: each recorded before
    /// the next is sent).
    #[arg(long, env = "ATHLOS_WEBHOOK_WINDOW", default_value_t = 8,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub webhook_window: u16,
    /// Consecutive failed attempts that open a webhook subscription's circuit (its deliveries
    /// wait for probes; 0: never).
    #[arg(long, env = "ATHLOS_WEBHOOK_FAILURE_THRESHOLD", default_value_t = 5)]
    pub webhook_failure_threshold: u32,
    /// Longest delay between probes of an open webhook circuit, seconds (the first is 5 s,
    /// doubling).
    #[arg(long, env = "ATHLOS_WEBHOOK_PROBE_MAX", default_value_t = 600)]
    pub webhook_probe_max: u64,
    /// Mark the session cookie `Secure` (set it when clients reach the server over HTTPS).
    #[arg(long, env = "ATHLOS_SECURE_COOKIES", default_value_t = false)]
    pub secure_cookies: bool,
    /// How long a browser session lasts after sign-in, hours.
    #[arg(long, env = "ATHLOS_SESSION_HOURS", default_value_t = 14 * 24)]
    pub session_hours: u64,
    /// Minutes before a tournament's announced start that its entrants and followers are
    /// notified (`tournament_starting`).
    #[arg(long, env = "ATHLOS_START_REMINDER_MINUTES", default_value_t = 15)]
    pub start_reminder_minutes: u64,
    /// The board service's base URL: tournaments with a board create their games there.
    #[arg(long, env = "ATHLOS_BOARD_URL")]
    pub board_url: Option<String>,
    /// The secret shared with the board service (signs game creations and its callbacks).
    #[arg(long, env = "ATHLOS_BOARD_SECRET", hide_env_values = true)]
    pub board_secret: Option<String>,
    /// Testing aid (builds with the `test-hooks` feature only): while this file exists, runs
    /// wait at their last checkpoint before committing.
    #[cfg(feature = "test-hooks")]
    #[arg(long, hide = true)]
    pub hold_runs: Option<std::path::PathBuf>,
}

/// Runs the server until Ctrl-C or SIGTERM.
///
/// # Errors
/// [`CliError::Usage`] for a bad database URL or an address in use.
pub fn run(args: &ServeArgs) -> Result<(), CliError> {
    init_logging(args.log_format);
    let secret = match &args.jwt_secret {
        Some(secret) if !secret.is_empty() => secret.clone(),
        _ => {
            tracing::warn!("ATHLOS_JWT_SECRET is not set: using the development secret; never do this in production");
            server::DEV_SECRET.to_owned()
        }
    };
    let config = Config {
        address: args.address,
        workers: args.workers,
        jwt_secret: secret,
        body_limit: args.body_limit,
        request_timeout: Duration::from_secs(args.request_timeout.max(1)),
        job_lease: Duration::from_secs(args.job_lease.max(1)),
        deadline_claim: Duration::from_secs(args.deadline_claim.max(1)),
        webhooks: server::webhooks::WebhookSettings {
            allow_private: args.webhook_allow_private,
            timeout: Duration::from_secs(args.webhook_timeout.max(1)),
            concurrency: args.webhook_concurrency.max(1),
            window: usize::from(args.webhook_window.clamp(1, 64)),
            policy: webhook_policy(args),
        },
        read_cache_bytes: args.read_cache_mb.saturating_mul(1024 * 1024),
        secure_cookies: args.secure_cookies,
        session_lifetime: Duration::from_secs(args.session_hours.max(1).saturating_mul(3600)),
        start_reminder: Duration::from_secs(args.start_reminder_minutes.saturating_mul(60)),
        board: server::nowchess_board::client::BoardConfig {
            url: args.board_url.clone().filter(|u| !u.is_empty()),
            secret: args.board_secret.clone().filter(|s| !s.is_empty()),
        },
        #[cfg(feature = "test-hooks")]
        hold_runs: args.hold_runs.clone(),
        ..Config::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Usage(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async {
        let opened = server::open_store(&args.database)
            .await
            .map_err(CliError::Usage)?;
        // The one place the server meets the wall clock.
        let state = opened.into_state(config, std::sync::Arc::new(SystemClock));
        let running = server::start(state)
            .await
            .map_err(|e| CliError::Usage(format!("cannot listen on {}: {e}", args.address)))?;
        println!("athlos listening on http://{}", running.address);
        running
            .wait_for_signal()
            .await
            .map_err(|e| CliError::Output(e.to_string()))
    })
}

/// The webhook delivery policy the flags set.
fn webhook_policy(args: &ServeArgs) -> server::webhooks::DeliveryPolicy {
    let mut policy = server::webhooks::DeliveryPolicy {
        failure_threshold: args.webhook_failure_threshold,
        ..server::webhooks::DeliveryPolicy::default()
    };
    let max = i64::try_from(args.webhook_probe_max.max(1)).unwrap_or(i64::MAX);
    policy.probe.max = chrono::Duration::try_seconds(max).unwrap_or(chrono::Duration::MAX);
    policy.probe.base = policy.probe.base.min(policy.probe.max);
    policy
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
