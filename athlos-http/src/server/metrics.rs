//! `/metrics`: Prometheus (OpenMetrics text) metrics of the process and its queue.
//!
//! - `athlos_http_requests_total{route,method,status}` and
//!   `athlos_http_request_duration_seconds{route,method}` (until the response head);
//! - `athlos_jobs{kind,state}`, `athlos_queue_depth{kind}` (due and waiting) and
//!   `athlos_queue_age_seconds{kind}` (how long the oldest due job has waited), read from
//!   the store at each scrape;
//! - `athlos_webhook_attempts_total`, `athlos_webhook_failures_total`,
//!   `athlos_webhook_dead_letters_total`, `athlos_webhook_circuit_openings_total` (this
//!   process's attempts) and `athlos_webhook_open_circuits` (subscriptions whose circuit is
//!   open, read from the store at each scrape);
//! - `athlos_deadline_lateness_seconds` (how late deadlines fire, observed by the scheduler
//!   through [`Metrics::observe_deadline_lateness`]);
//! - `athlos_stream_subscribers` and `athlos_stream_dropped_total`;
//! - `athlos_read_cache_hits_total`, `athlos_read_cache_misses_total` and
//!   `athlos_read_cache_not_modified_total` (public reads answered from kept bytes, rendered,
//!   or answered 304; see [`super::reads`]).

use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use athlos_core::store::{JobState, JobStore, WebhookStore};

use super::error::ApiError;
use super::reads::ReadCounters;
use super::webhooks::WebhookCounters;
use super::AppState;

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct JobLabels {
    kind: String,
    state: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 1 ms to about 33 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// The process's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily<RouteLabels>,
    jobs: Family<JobLabels, Gauge>,
    depth: Family<KindLabels, Gauge>,
    age: Family<KindLabels, Gauge<f64, AtomicU64>>,
    deadline_lateness: Histogram,
    subscribers: Gauge,
    open_circuits: Gauge,
    /// Scrapes are serialised: the job gauges are rebuilt each time.
    scrape: tokio::sync::Mutex<()>,
}

impl Metrics {
    /// Metrics registering the webhook counters, the stream drop counter and the read cache's
    /// counters given.
    pub fn new(webhooks: &WebhookCounters, stream_dropped: &Counter, reads: &ReadCounters) -> Self {
        let mut registry = Registry::with_prefix("athlos");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route, method and status",
            requests.clone(),
        );
        let latency: HistogramFamily<RouteLabels> =
            Family::new_with_constructor(latency_histogram as fn() -> Histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time to the response head by route and method",
            latency.clone(),
        );
        let jobs = Family::<JobLabels, Gauge>::default();
        registry.register("jobs", "Jobs by kind and state", jobs.clone());
        let depth = Family::<KindLabels, Gauge>::default();
        registry.register(
            "queue_depth",
            "Jobs due and waiting for a worker, by kind",
            depth.clone(),
        );
        let age = Family::<KindLabels, Gauge<f64, AtomicU64>>::default();
        registry.register(
            "queue_age_seconds",
            "How long the oldest due job of a kind has waited",
            age.clone(),
        );
        registry.register(
            "webhook_attempts",
            "Webhook delivery attempts",
            webhooks.attempts.clone(),
        );
        registry.register(
            "webhook_failures",
            "Webhook delivery attempts that failed",
            webhooks.failures.clone(),
        );
        registry.register(
            "webhook_dead_letters",
            "Webhook deliveries that became dead letters",
            webhooks.dead_letters.clone(),
        );
        registry.register(
            "read_cache_hits",
            "Public reads answered from rendered bytes kept for their version",
            reads.hits.clone(),
        );
        registry.register(
            "read_cache_misses",
            "Public reads rendered",
            reads.misses.clone(),
        );
        registry.register(
            "read_cache_not_modified",
            "Public reads answered 304 Not Modified",
            reads.not_modified.clone(),
        );
        registry.register(
            "webhook_circuit_openings",
            "Webhook subscriptions whose circuit opened (consecutive failed attempts)",
            webhooks.circuit_openings.clone(),
        );
        let open_circuits = Gauge::default();
        registry.register(
            "webhook_open_circuits",
            "Webhook subscriptions whose circuit is open (deliveries wait for a probe)",
            open_circuits.clone(),
        );
        // 1 ms to 60 s, with 100 ms (the pick-clock target) a bucket bound.
        let deadline_lateness = Histogram::new([
            0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
        ]);
        registry.register(
            "deadline_lateness_seconds",
            "How late deadlines fire after they are due",
            deadline_lateness.clone(),
        );
        let subscribers = Gauge::default();
        registry.register(
            "stream_subscribers",
            "Open SSE and NDJSON streams",
            subscribers.clone(),
        );
        registry.register(
            "stream_dropped",
            "Streams dropped for falling behind",
            stream_dropped.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            jobs,
            depth,
            age,
            deadline_lateness,
            subscribers,
            open_circuits,
            scrape: tokio::sync::Mutex::new(()),
        }
    }

    /// Records a deadline that fired `lateness` after it was due.
    pub fn observe_deadline_lateness(&self, lateness: Duration) {
        self.deadline_lateness.observe(lateness.as_secs_f64());
    }

    fn observe_request(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_owned(),
                method: method.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
                method: method.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }
}

/// Counts a routed request and times it to its response head. Runs outside the router, which
/// puts the route a request matched on its response; a request no route matched is not
/// counted.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_owned();
    let start = Instant::now();
    let response = next.run(request).await;
    if let Some(route) = response.extensions().get::<MatchedPath>() {
        state.metrics.observe_request(
            route.as_str(),
            &method,
            response.status().as_u16(),
            start.elapsed(),
        );
    }
    response
}

/// The routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(metrics))
}

/// Prometheus metrics (OpenMetrics text format).
#[utoipa::path(get, path = "/metrics", tag = "ops",
    responses((status = 200, description = "Metrics",
        content((String = "application/openmetrics-text")))))]
async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let metrics = &state.metrics;
    let _scrape = metrics.scrape.lock().await;
    let now = state.clock.now();
    let stats = state.store.queue_stats(now).await?;
    metrics.jobs.clear();
    metrics.depth.clear();
    metrics.age.clear();
    for stat in &stats {
        let count = i64::try_from(stat.count).unwrap_or(i64::MAX);
        metrics
            .jobs
            .get_or_create(&JobLabels {
                kind: stat.kind.clone(),
                state: stat.state.to_string(),
            })
            .set(count);
        if matches!(stat.state, JobState::Queued | JobState::Failed) {
            let kind = KindLabels {
                kind: stat.kind.clone(),
            };
            metrics
                .depth
                .get_or_create(&kind)
                .inc_by(i64::try_from(stat.due).unwrap_or(i64::MAX));
            let waited = stat.oldest_due.map_or(0.0, |t| {
                (now - t).num_microseconds().unwrap_or(i64::MAX) as f64 / 1e6
            });
            let gauge = metrics.age.get_or_create(&kind);
            if waited > gauge.get() {
                gauge.set(waited);
            }
        }
    }
    let open = state
        .store
        .webhooks(None)
        .await?
        .iter()
        .filter(|hook| hook.circuit.is_open())
        .count();
    metrics
        .open_circuits
        .set(i64::try_from(open).unwrap_or(i64::MAX));
    metrics
        .subscribers
        .set(i64::try_from(state.streams.subscribers()).unwrap_or(i64::MAX));
    let mut body = String::new();
    prometheus_client::encoding::text::encode(&mut body, &metrics.registry).map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("cannot encode the metrics: {e}"),
        )
    })?;
    Ok((
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response())
}
