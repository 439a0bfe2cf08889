//! Three `athlos serve` processes on one PostgreSQL database under load, one of them killed
//! with SIGKILL midway and the database's connections cut once (issue 28): the run behind
//! `examples/cluster_load.rs` (full size) and `tests/http_cluster.rs` (short), included in
//! both with `#[path]` next to `processes.rs`.
//!
//! The run makes a fresh database, starts three servers on it and a webhook receiver (axum,
//! answering 204 and recording each delivery's `webhook-id`), and talks to the servers
//! through a small round-robin client that skips a server that does not answer. Then:
//!
//! 1. an event with `divisions` single-elimination divisions (created over HTTP), webhook
//!    subscriptions (the event, and one draft each), `drafts` drafts of 12 teams × 15 rounds
//!    with pick clocks (created in the database, started over HTTP spread over one clock
//!    period; every pick is left to the clock), and `subscribers` NDJSON stream subscribers
//!    (one in a hundred follows the event, the others a draft each), spread over the three;
//! 2. at `generate_at` the event's generate-all (one job per division); at `kill_at` the
//!    second server is killed with SIGKILL (and started again `restart_killed_after` later,
//!    on a new port); at `postgres_at` every connection to the run's database is terminated
//!    (`pg_terminate_backend`, what a restart looks like to the servers, without disturbing
//!    other databases of the cluster) or, with `restart_postgres`, the whole PostgreSQL
//!    cluster is restarted;
//! 3. at `duration` every draft is paused over HTTP, so the log stops growing; the run waits
//!    (at most `settle`) until every subscriber, webhook delivery and job has caught up, stops
//!    the servers and checks the log.
//!
//! The checks (each failure is listed; the run fails when there is one):
//! - the log: sequences without gaps, no event id twice;
//! - jobs: every generation job succeeded, one per division, one `bracket.generated` per
//!   division; no job dead;
//! - pick clocks: every draft's invariants hold and its log replays to it; each pick number
//!   taken by one event; no clock more than `recovery` seconds overdue when the draft was
//!   paused (a deadline lost); after the kill and after the cut, clocks fire on time again
//!   (within 100 ms) no later than `recovery` seconds after the disturbance;
//! - streams: each subscriber received exactly the public events of its scope, in order,
//!   each once, across its reconnections (after a `stream.dropped`, from its `resume_after`;
//!   after a broken connection, from the last sequence it saw);
//! - webhooks: one delivery row per subscription and event of its scope, all succeeded; the
//!   receiver got each once (a repeat only with `webhook-possibly-sent`), in log order.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sqlx::{Connection, Row};

use athlos_core::clock::SystemClock;
use athlos_core::event::EventData;
use athlos_core::id::{CompetitionId, DraftId};
use athlos_core::service::{Service, GENERATE_BRACKET};
use athlos_core::store::Audience;
use athlos_core::store::{AggregateRef, AggregateStore, EventLog, LogFollower, LoggedEvent};
use athlos_examples::fantasy_draft;
use athlos_http::server::auth::{mint, Claims};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::processes::{summary, wait_ready, Failure, RunDatabase, Server};

/// The run's shape.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The `athlos` binary.
    pub athlos: PathBuf,
    /// A PostgreSQL URL whose server gets a fresh database for the run.
    pub admin: String,
    /// Divisions of the event generated all at once.
    pub divisions: usize,
    /// Entries per division.
    pub entries: usize,
    /// Live drafts.
    pub drafts: usize,
    /// Seconds per pick.
    pub seconds: u32,
    /// Stream subscribers.
    pub subscribers: usize,
    /// Webhook subscriptions (the event's, then one per draft).
    pub webhooks: usize,
    /// Seconds from the first draft's start to the freeze.
    pub duration: f64,
    /// When generate-all is sent (seconds from the start).
    pub generate_at: f64,
    /// When the second server is killed.
    pub kill_at: f64,
    /// Seconds after the kill at which it is started again (`None`: it stays down).
    pub restart_killed_after: Option<f64>,
    /// When the database's connections are cut (or PostgreSQL restarted).
    pub postgres_at: f64,
    /// Restart the whole PostgreSQL cluster (`pg_ctlcluster … restart`) instead.
    pub restart_postgres: bool,
    /// How long a server's claim on a due clock lasts, seconds.
    pub claim: u64,
    /// How long a job's lease lasts, seconds.
    pub lease: u64,
    /// The longest wait for everything to catch up after the freeze, seconds.
    pub settle: f64,
    /// Clocks on time again this many seconds after a disturbance.
    pub recovery: f64,
    /// Whether a slower recovery fails the run (the load runs) or is only reported (the test
    /// suite's run: timing on a shared, unoptimised build is measured, not asserted).
    pub enforce_recovery: bool,
    /// Seed of the draft pools.
    pub seed: u64,
    /// Keep the database afterwards.
    pub keep: bool,
    /// Where the servers' logs go.
    pub logs: PathBuf,
}

impl Plan {
    /// The sizes: 500 divisions, 10,000 drafts with 30 s picks, 5,000 subscribers, 16
    /// webhooks, four minutes.
    pub fn full(athlos: PathBuf, admin: String) -> Plan {
        Plan {
            athlos,
            admin,
            divisions: 500,
            entries: 16,
            drafts: 10_000,
            seconds: 30,
            subscribers: 5_000,
            webhooks: 16,
            duration: 240.0,
            generate_at: 95.0,
            kill_at: 100.0,
            restart_killed_after: Some(10.0),
            postgres_at: 170.0,
            restart_postgres: false,
            claim: 2,
            lease: 5,
            settle: 120.0,
            recovery: 5.0,
            enforce_recovery: true,
            seed: 2026,
            keep: false,
            logs: PathBuf::from("."),
        }
    }

    /// The test suite's: 20 divisions, 200 drafts with 5 s picks, 100 subscribers, 2
    /// webhooks, about 30 s.
    pub fn short(athlos: PathBuf, admin: String) -> Plan {
        Plan {
            divisions: 20,
            entries: 8,
            drafts: 200,
            seconds: 5,
            subscribers: 100,
            webhooks: 2,
            duration: 30.0,
            generate_at: 9.0,
            kill_at: 10.0,
            restart_killed_after: Some(4.0),
            postgres_at: 19.0,
            settle: 30.0,
            logs: std::env::temp_dir(),
            ..Plan::full(athlos, admin)
        }
    }
}

const SECRET: &str = "cluster-load-secret";
const DIRECTOR: &str = "cluster-director";
const EVENT: &str = "cluster";
const SERVERS: usize = 3;

fn token(sub: &str, role: &str) -> Result<String, Failure> {
    let now = Utc::now().timestamp().max(0) as u64;
    Ok(mint(
        &Claims {
            sub: sub.to_owned(),
            role: role.to_owned(),
            exp: now + 24 * 3600,
            iat: now,
        },
        SECRET.as_bytes(),
    )?)
}

/// The servers, reached in turn; a server that is down is skipped.
struct Cluster {
    bases: Mutex<[Option<String>; SERVERS]>,
    turn: AtomicUsize,
    http: reqwest::Client,
    /// Requests that failed on one server and were sent to the next.
    retries: AtomicU64,
    director: String,
}

impl Cluster {
    fn live(&self) -> Vec<String> {
        let bases = self.bases.lock().unwrap_or_else(PoisonError::into_inner);
        bases.iter().flatten().cloned().collect()
    }

    fn set(&self, slot: usize, base: Option<String>) {
        let mut bases = self.bases.lock().unwrap_or_else(PoisonError::into_inner);
        bases[slot] = base;
    }

    fn next(&self) -> Option<String> {
        let live = self.live();
        if live.is_empty() {
            return None;
        }
        Some(live[self.turn.fetch_add(1, Ordering::Relaxed) % live.len()].clone())
    }

    /// Sends a request as the director to the next server, and to the next one on a
    /// transport error or a 5xx (up to 8 tries, backing off); answers the status and JSON.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> Result<(u16, Value), Failure> {
        let mut last = String::new();
        for attempt in 0..8u64 {
            if attempt > 0 {
                self.retries.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
            }
            let Some(base) = self.next() else {
                last = "no server is up".to_owned();
                continue;
            };
            let mut request = self
                .http
                .request(method.clone(), format!("{base}{path}"))
                .bearer_auth(&self.director);
            if let Some(body) = body {
                request = request.json(body);
            }
            if let Some(key) = key {
                request = request.header("idempotency-key", key);
            }
            match request.send().await {
                Ok(response) if response.status().is_server_error() => {
                    last = format!("{base}: {}", response.status());
                }
                Ok(response) => {
                    let status = response.status().as_u16();
                    let text = response.text().await.unwrap_or_default();
                    let value = serde_json::from_str(&text).unwrap_or(Value::Null);
                    return Ok((status, value));
                }
                Err(error) => last = format!("{base}: {error}"),
            }
        }
        Err(format!("{method} {path}: {last}").into())
    }

    /// `call` that must answer one of `ok`.
    async fn expect(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        ok: &[u16],
    ) -> Result<Value, Failure> {
        let (status, answer) = self.call(method.clone(), path, body, None).await?;
        if ok.contains(&status) {
            Ok(answer)
        } else {
            Err(format!("{method} {path}: {status} {answer}").into())
        }
    }
}

/// What one stream subscriber saw.
#[derive(Debug, Default)]
struct Seen {
    /// Event sequences in the order received (repeats and regressions left out).
    received: Vec<u64>,
    /// Events received again or out of order.
    regressions: u64,
    /// `stream.dropped` frames.
    dropped: u64,
    /// Connections after the first.
    reconnects: u64,
    /// Failed connection attempts.
    errors: u64,
}

/// Follows `path` from the start, on server `index` first and then in turn, until `stop`.
async fn follow(
    cluster: Arc<Cluster>,
    http: reqwest::Client,
    index: usize,
    path: String,
    position: Arc<AtomicU64>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Seen {
    let mut seen = Seen::default();
    let mut last = 0u64;
    let mut turn = index;
    let mut connections = 0u64;
    while !*stop.borrow() {
        let live = cluster.live();
        if live.is_empty() {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        let base = &live[turn % live.len()];
        turn += 1;
        let request = http
            .get(format!("{base}{path}?after={last}"))
            .header("accept", "application/x-ndjson");
        let response = tokio::select! {
            response = request.send() => response,
            _ = stop.wait_for(|s| *s) => break,
        };
        connections += 1;
        match response {
            Ok(mut response) if response.status().is_success() => {
                let mut pending: Vec<u8> = Vec::new();
                loop {
                    let chunk = tokio::select! {
                        chunk = response.chunk() => chunk,
                        _ = stop.wait_for(|s| *s) => return finish(seen, connections),
                    };
                    let Ok(Some(chunk)) = chunk else {
                        break; // the stream ended or its connection broke
                    };
                    pending.extend_from_slice(&chunk);
                    while let Some(end) = pending.iter().position(|b| *b == b'\n') {
                        let line: Vec<u8> = pending.drain(..=end).collect();
                        let Ok(value) = serde_json::from_slice::<Value>(&line) else {
                            continue; // a keep-alive (an empty line)
                        };
                        if value["type"] == "stream.dropped" {
                            seen.dropped += 1;
                            last = last.max(value["resume_after"].as_u64().unwrap_or(0));
                            continue;
                        }
                        let Some(sequence) = value["sequence"].as_u64() else {
                            seen.regressions += 1;
                            continue;
                        };
                        if sequence <= last {
                            seen.regressions += 1;
                        } else {
                            last = sequence;
                            seen.received.push(sequence);
                            position.store(sequence, Ordering::Relaxed);
                        }
                    }
                }
            }
            _ => seen.errors += 1,
        }
        let pause = 100 + (index % 10) as u64 * 20;
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(pause)) => {}
            _ = stop.wait_for(|s| *s) => break,
        }
    }
    finish(seen, connections)
}

fn finish(mut seen: Seen, connections: u64) -> Seen {
    seen.reconnects = connections.saturating_sub(1);
    seen
}

/// Deliveries the receiver got: (subscription index, `webhook-id`, `webhook-possibly-sent`).
type Received = Arc<Mutex<Vec<(usize, String, bool)>>>;

async fn receive(
    axum::extract::State(received): axum::extract::State<Received>,
    axum::extract::Path(hook): axum::extract::Path<usize>,
    headers: axum::http::HeaderMap,
) -> axum::http::StatusCode {
    let id = headers
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let possibly_sent = headers.contains_key("webhook-possibly-sent");
    received
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push((hook, id, possibly_sent));
    axum::http::StatusCode::NO_CONTENT
}

/// Runs `plan` on a fresh database (dropped afterwards unless `plan.keep`); answers the
/// report, whose `checks.failures` counts the failed checks.
///
/// # Errors
/// When the run cannot be set up or carried out (not a failed check).
pub async fn run(plan: Plan) -> Result<Value, Failure> {
    let database = RunDatabase::create(&plan.admin, "athlos_cluster_load").await?;
    let result = run_on(&plan, &database).await;
    if !plan.keep {
        database.drop_it().await?;
    }
    result
}

fn elapsed(begun: Instant) -> f64 {
    begun.elapsed().as_secs_f64()
}

async fn sleep_until(begun: Instant, at: f64) {
    if let Some(wait) = Duration::from_secs_f64(at.max(0.0)).checked_sub(begun.elapsed()) {
        tokio::time::sleep(wait).await;
    }
}

fn spawn(plan: &Plan, url: &str, slot: usize, generation: u32) -> Result<Server, Failure> {
    let env = [
        ("ATHLOS_JWT_SECRET", SECRET.to_owned()),
        ("ATHLOS_DEADLINE_CLAIM", plan.claim.to_string()),
        ("ATHLOS_JOB_LEASE", plan.lease.to_string()),
        ("ATHLOS_WEBHOOK_ALLOW_PRIVATE", "true".to_owned()),
    ];
    let log = plan
        .logs
        .join(format!("cluster_load_server{}_{generation}.log", slot + 1));
    Server::spawn(&plan.athlos, url, "127.0.0.1:0", &env, &log)
}

/// A disturbance: its name and when it happened.
type Disturbance = (&'static str, DateTime<Utc>);

async fn run_on(plan: &Plan, database: &RunDatabase) -> Result<Value, Failure> {
    let url = database.url.as_str();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(20))
        .build()?;
    let mut servers = Vec::with_capacity(SERVERS);
    for slot in 0..SERVERS {
        servers.push(spawn(plan, url, slot, 1)?);
    }
    for server in &servers {
        wait_ready(&http, &server.base).await?;
    }
    let cluster = Arc::new(Cluster {
        bases: Mutex::new([
            Some(servers[0].base.clone()),
            Some(servers[1].base.clone()),
            Some(servers[2].base.clone()),
        ]),
        turn: AtomicUsize::new(0),
        http: http.clone(),
        retries: AtomicU64::new(0),
        director: token(DIRECTOR, "director")?,
    });
    let setup = Instant::now();

    // The receiver.
    let received: Received = Arc::default();
    let receiver = axum::Router::new()
        .route("/hook/{hook}", axum::routing::post(receive))
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let receiver_address = listener.local_addr()?;
    let receiving = tokio::spawn(async move { axum::serve(listener, receiver).await });

    // The event, the drafts, the subscriptions, the divisions.
    use reqwest::Method;
    let body = json!({"id": EVENT, "name": "Cluster load"});
    cluster
        .expect(Method::POST, "/v1/events", Some(&body), &[201])
        .await?;
    // The drafts are written by a pool of the run's own, closed once they are (three servers
    // hold up to 75 of PostgreSQL's default 100 connections).
    let creator = athlos_store::connect(url).await?;
    let service = Arc::new(Service::new(creator.clone(), SystemClock));
    let mut rng = ChaCha8Rng::seed_from_u64(plan.seed);
    let mut all = Vec::with_capacity(plan.drafts);
    for n in 0..plan.drafts {
        all.push(fantasy_draft(
            &format!("load-{n:05}"),
            plan.seconds,
            &mut rng,
        )?);
    }
    let ids: Vec<DraftId> = all.iter().map(|s| s.id().clone()).collect();
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in all.chunks(plan.drafts.div_ceil(8).max(1)) {
        let (service, chunk) = (service.clone(), chunk.to_vec());
        tasks.spawn(async move {
            for settings in chunk {
                let teams = settings.teams() as usize;
                service
                    .create_draft(settings, DIRECTOR, vec![None; teams])
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Ok::<(), String>(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    drop(service);
    creator.close().await;
    // The run's reads, one at a time.
    let store = athlos_store::connect(url).await?;
    // Subscription 0 follows the event; the others a draft each.
    let mut hooks: Vec<(u64, AggregateRef)> = Vec::new();
    for n in 0..plan.webhooks {
        let (path, scope) = if n == 0 {
            (
                format!("/v1/events/{EVENT}/webhooks"),
                AggregateRef::Competition(CompetitionId::new(EVENT)?),
            )
        } else {
            let id = &ids[(n - 1) % ids.len().max(1)];
            (
                format!("/v1/drafts/{id}/webhooks"),
                AggregateRef::Draft(id.clone()),
            )
        };
        let body = json!({"url": format!("http://{receiver_address}/hook/{n}")});
        let made = cluster
            .expect(Method::POST, &path, Some(&body), &[201])
            .await?;
        let id = made["id"].as_u64().ok_or("a webhook without an id")?;
        hooks.push((id, scope));
    }
    // Divisions one at a time (each changes the event), then their entries eight at a time.
    for d in 0..plan.divisions {
        let body = json!({
            "id": format!("d{d}"),
            "name": format!("Division {d}"),
            "rules": {"format": "single_elimination"},
        });
        let path = format!("/v1/events/{EVENT}/divisions");
        // 409: a retry after a lost answer found it made.
        cluster
            .expect(Method::POST, &path, Some(&body), &[201, 409])
            .await?;
    }
    let mut divisions = tokio::task::JoinSet::new();
    let next_division = Arc::new(AtomicUsize::new(0));
    for _ in 0..8 {
        let (cluster, next_division) = (cluster.clone(), next_division.clone());
        let (count, entries) = (plan.divisions, plan.entries);
        divisions.spawn(async move {
            loop {
                let d = next_division.fetch_add(1, Ordering::Relaxed);
                if d >= count {
                    return Ok::<(), Failure>(());
                }
                let field: Vec<Value> = (1..=entries)
                    .map(|i| json!({"id": format!("d{d}-{i}"), "name": format!("Entry {i}")}))
                    .collect();
                let path = format!("/v1/events/{EVENT}/divisions/d{d}/participants");
                cluster
                    .expect(Method::POST, &path, Some(&Value::Array(field)), &[200])
                    .await?;
            }
        });
    }
    while let Some(done) = divisions.join_next().await {
        done??;
    }
    let setup_seconds = setup.elapsed().as_secs_f64();
    eprintln!(
        "set up in {setup_seconds:.1} s: {} drafts, {} divisions, {} webhooks",
        plan.drafts, plan.divisions, plan.webhooks
    );

    // The subscribers, spread over the servers.
    let streams = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .pool_max_idle_per_host(0)
        .build()?;
    let (stop_streams, stop) = tokio::sync::watch::channel(false);
    let mut scopes = Vec::with_capacity(plan.subscribers);
    let mut positions = Vec::with_capacity(plan.subscribers);
    let mut followers = Vec::with_capacity(plan.subscribers);
    for i in 0..plan.subscribers {
        let (path, scope) = if i % 100 == 0 || ids.is_empty() {
            (
                format!("/v1/events/{EVENT}/stream"),
                AggregateRef::Competition(CompetitionId::new(EVENT)?),
            )
        } else {
            let id = &ids[i % ids.len()];
            (
                format!("/v1/drafts/{id}/stream"),
                AggregateRef::Draft(id.clone()),
            )
        };
        let position = Arc::new(AtomicU64::new(0));
        followers.push(tokio::spawn(follow(
            cluster.clone(),
            streams.clone(),
            i,
            path,
            position.clone(),
            stop.clone(),
        )));
        scopes.push(scope);
        positions.push(position);
    }

    // The drafts start spread over one clock period, through the servers in turn.
    let begun = Instant::now();
    let started_at = Utc::now();
    let spread = f64::from(plan.seconds);
    let starting = Arc::new(tokio::sync::Semaphore::new(16));
    let mut starts = tokio::task::JoinSet::new();
    for (index, id) in ids.iter().enumerate() {
        let offset = spread * index as f64 / ids.len() as f64;
        let (cluster, starting, id) = (cluster.clone(), starting.clone(), id.clone());
        starts.spawn(async move {
            sleep_until(begun, offset).await;
            let _permit = starting.acquire().await?;
            let path = format!("/v1/drafts/{id}/start");
            // 409: a retry after a lost answer found it started.
            cluster
                .expect(Method::POST, &path, None, &[200, 409])
                .await?;
            Ok::<(), Failure>(())
        });
    }

    // The disturbances, in time order.
    let mut disturbances: Vec<Disturbance> = Vec::new();
    let mut moments = vec![
        (plan.generate_at, "generate_all"),
        (plan.kill_at, "kill"),
        (plan.postgres_at, "postgres"),
    ];
    if let Some(after) = plan.restart_killed_after {
        moments.push((plan.kill_at + after, "restart_killed"));
    }
    moments.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut generate_answer = Value::Null;
    let mut timeline = Vec::new();
    for (at, what) in moments {
        if at >= plan.duration {
            continue;
        }
        sleep_until(begun, at).await;
        let when = Utc::now();
        match what {
            "generate_all" => {
                let path = format!("/v1/events/{EVENT}/generate-all-brackets");
                let (status, answer) = cluster
                    .call(Method::POST, &path, None, Some("cluster-load"))
                    .await?;
                if status != 202 {
                    return Err(format!("generate-all: {status} {answer}").into());
                }
                generate_answer = json!({"jobs": answer["jobs"].as_array().map(Vec::len)});
            }
            "kill" => {
                cluster.set(1, None);
                servers[1].kill()?;
                disturbances.push(("kill", when));
            }
            "restart_killed" => {
                let restarted = spawn(plan, url, 1, 2)?;
                wait_ready(&http, &restarted.base).await?;
                cluster.set(1, Some(restarted.base.clone()));
                servers[1] = restarted;
            }
            _ => {
                cut_postgres(plan, database).await?;
                disturbances.push(("postgres", when));
            }
        }
        timeline.push(json!({"what": what, "at_seconds": elapsed(begun)}));
        eprintln!("{what} at {:.1} s", elapsed(begun));
    }
    // A start or pause no server answered is a failed check, not the end of the run.
    let mut refused = Vec::new();
    while let Some(done) = starts.join_next().await {
        if let Err(error) = done? {
            refused.push(error.to_string());
        }
    }
    sleep_until(begun, plan.duration).await;

    // The freeze: every draft paused (409: completed, or a retry found it paused).
    let frozen_at = elapsed(begun);
    let pausing = Arc::new(tokio::sync::Semaphore::new(32));
    let mut pauses = tokio::task::JoinSet::new();
    for id in &ids {
        let (cluster, pausing, id) = (cluster.clone(), pausing.clone(), id.clone());
        pauses.spawn(async move {
            let _permit = pausing.acquire().await?;
            let path = format!("/v1/drafts/{id}/pause");
            cluster
                .expect(Method::POST, &path, None, &[200, 409])
                .await?;
            Ok::<(), Failure>(())
        });
    }
    while let Some(done) = pauses.join_next().await {
        if let Err(error) = done? {
            refused.push(error.to_string());
        }
    }
    let frozen = store.last_sequence().await?;
    eprintln!(
        "frozen at sequence {frozen} ({frozen_at:.1} s to {:.1} s); settling",
        elapsed(begun)
    );

    // Everything catches up: subscribers, deliveries, jobs.
    let mut conn = sqlx::PgConnection::connect(url).await?;
    let log = read_log(&store).await?;
    let expected_streams: Vec<Vec<u64>> = scopes
        .iter()
        .map(|scope| public_events(&log, scope, frozen))
        .collect();
    let settle_from = Instant::now();
    let settled = loop {
        let streams_behind = expected_streams
            .iter()
            .zip(&positions)
            .filter(|(expected, at)| {
                expected.last().copied().unwrap_or(0) > at.load(Ordering::Relaxed)
            })
            .count();
        let deliveries_open: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM athlos_webhook_deliveries WHERE state <> 'succeeded'",
        )
        .fetch_one(&mut conn)
        .await?;
        let cursor: i64 = sqlx::query_scalar("SELECT position FROM athlos_webhook_cursor")
            .fetch_one(&mut conn)
            .await?;
        let jobs_open: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM athlos_jobs WHERE kind = $1 AND state <> 'succeeded'",
        )
        .bind(GENERATE_BRACKET)
        .fetch_one(&mut conn)
        .await?;
        let caught_up = streams_behind == 0
            && deliveries_open == 0
            && jobs_open == 0
            && cursor as u64 >= frozen;
        if caught_up || settle_from.elapsed().as_secs_f64() > plan.settle {
            break json!({
                "caught_up": caught_up,
                "seconds": settle_from.elapsed().as_secs_f64(),
                "streams_behind": streams_behind,
                "deliveries_open": deliveries_open,
                "jobs_open": jobs_open,
            });
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    stop_streams.send_replace(true);
    let mut seen = Vec::with_capacity(followers.len());
    for follower in followers {
        seen.push(follower.await?);
    }
    for server in &mut servers {
        server.terminate();
    }
    receiving.abort();
    eprintln!("stopped at {:.1} s; checking", elapsed(begun));

    // The checks.
    let mut failures: Vec<String> = refused;
    let log = read_log(&store).await?;
    check_log(&log, &mut failures);
    let jobs = check_jobs(&mut conn, &log, plan, &mut failures).await?;
    let clocks = check_drafts(&store, &mut conn, &ids, plan, &disturbances, &mut failures).await?;
    let stream_report = check_streams(&seen, &expected_streams, &mut failures);
    let received = received
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let webhook_report =
        check_webhooks(&mut conn, &log, &hooks, &received, frozen, &mut failures).await?;
    if settled["caught_up"] != true {
        failures.push(format!(
            "not caught up {} s after the freeze: {settled}",
            plan.settle
        ));
    }
    Ok(json!({
        "plan": {
            "servers": SERVERS,
            "divisions": plan.divisions,
            "entries": plan.entries,
            "drafts": plan.drafts,
            "seconds_per_pick": plan.seconds,
            "subscribers": plan.subscribers,
            "webhooks": plan.webhooks,
            "duration_seconds": plan.duration,
            "claim_seconds": plan.claim,
            "lease_seconds": plan.lease,
            "killed_server_restarted_after_seconds": plan.restart_killed_after,
            "postgres": if plan.restart_postgres { "pg_ctlcluster restart" } else { "pg_terminate_backend of the run's database" },
        },
        "setup_seconds": setup_seconds,
        "started_at": started_at,
        "timeline": timeline,
        "generate_all": generate_answer,
        "frozen_at_seconds": frozen_at,
        "events": frozen,
        "settle": settled,
        "client_retries": cluster.retries.load(Ordering::Relaxed),
        "jobs": jobs,
        "clocks": clocks,
        "streams": stream_report,
        "webhooks": webhook_report,
        "checks": {
            "failures": failures.len(),
            "first": failures.iter().take(20).collect::<Vec<_>>(),
        },
    }))
}

/// Cuts every connection to the run's database, or restarts the PostgreSQL cluster.
async fn cut_postgres(plan: &Plan, database: &RunDatabase) -> Result<(), Failure> {
    if plan.restart_postgres {
        let versions = std::fs::read_dir("/etc/postgresql")?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect::<Vec<_>>();
        let version = versions.first().ok_or("no cluster in /etc/postgresql")?;
        let status = std::process::Command::new("pg_ctlcluster")
            .args(["--skip-systemctl-redirect", version, "main", "restart"])
            .status()?;
        if !status.success() {
            return Err(format!("pg_ctlcluster restart: {status}").into());
        }
        return Ok(());
    }
    let mut admin = sqlx::PgConnection::connect(&database.admin).await?;
    let cut: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = $1 AND pid <> pg_backend_pid()) AS cut",
    )
    .bind(&database.name)
    .fetch_one(&mut admin)
    .await?;
    eprintln!("{cut} connections to {} terminated", database.name);
    Ok(())
}

/// The whole log, each event with its audience and its commit time.
struct Logged {
    event: LoggedEvent,
    audience: Audience,
}

async fn read_log(store: &athlos_store::AnyStore) -> Result<Vec<Logged>, Failure> {
    let mut follower = LogFollower::new(0, 5_000);
    let mut out = Vec::new();
    loop {
        let page = follower.next_page(store).await?;
        if page.is_empty() {
            return Ok(out);
        }
        out.extend(page.into_iter().map(|a| Logged {
            event: a.logged,
            audience: a.audience,
        }));
    }
}

/// The public events a stream of `scope` sends, up to sequence `upto`.
fn public_events(log: &[Logged], scope: &AggregateRef, upto: u64) -> Vec<u64> {
    log.iter()
        .filter(|l| l.event.sequence <= upto)
        .filter(|l| l.audience.includes(scope) && l.event.event.event_type().is_public())
        .map(|l| l.event.sequence)
        .collect()
}

fn check_log(log: &[Logged], failures: &mut Vec<String>) {
    let mut ids = HashSet::new();
    for (n, logged) in log.iter().enumerate() {
        if logged.event.sequence != n as u64 + 1 {
            failures.push(format!(
                "the log has sequence {} at position {}",
                logged.event.sequence,
                n + 1
            ));
            return;
        }
        if !ids.insert(logged.event.event.id.to_string()) {
            failures.push(format!(
                "event {} is in the log twice",
                logged.event.event.id
            ));
        }
    }
}

async fn check_jobs(
    conn: &mut sqlx::PgConnection,
    log: &[Logged],
    plan: &Plan,
    failures: &mut Vec<String>,
) -> Result<Value, Failure> {
    let rows = sqlx::query("SELECT kind, state, count(*) AS n FROM athlos_jobs GROUP BY 1, 2")
        .fetch_all(&mut *conn)
        .await?;
    let mut states = BTreeMap::new();
    let mut generations = 0i64;
    for row in &rows {
        let (kind, state, n): (String, String, i64) = (
            row.try_get("kind")?,
            row.try_get("state")?,
            row.try_get("n")?,
        );
        if kind == GENERATE_BRACKET {
            generations += n;
            if state != "succeeded" {
                failures.push(format!("{n} generation jobs {state}"));
            }
        }
        if state == "dead" {
            failures.push(format!("{n} {kind} jobs dead"));
        }
        states.insert(format!("{kind}.{state}"), n);
    }
    let mut generated: BTreeMap<String, usize> = BTreeMap::new();
    for logged in log {
        if let (AggregateRef::Division(division), EventData::BracketGenerated { .. }) =
            (&logged.event.aggregate, &logged.event.event.data)
        {
            *generated.entry(division.to_string()).or_default() += 1;
        }
    }
    if plan.generate_at < plan.duration {
        if generations != plan.divisions as i64 {
            failures.push(format!(
                "{generations} generation jobs for {} divisions",
                plan.divisions
            ));
        }
        if generated.len() != plan.divisions {
            failures.push(format!(
                "{} of {} divisions generated",
                generated.len(),
                plan.divisions
            ));
        }
        for (division, n) in &generated {
            if *n != 1 {
                failures.push(format!("division {division} generated {n} times"));
            }
        }
    }
    Ok(json!({"by_kind_and_state": states, "divisions_generated": generated.len()}))
}

async fn check_drafts(
    store: &athlos_store::AnyStore,
    conn: &mut sqlx::PgConnection,
    ids: &[DraftId],
    plan: &Plan,
    disturbances: &[Disturbance],
    failures: &mut Vec<String>,
) -> Result<Value, Failure> {
    use athlos_core::draft::Draft;
    use athlos_core::event::Event;
    // Each draft event with its commit time (the committing transaction's start).
    let rows =
        sqlx::query("SELECT aggregate, event, recorded_at FROM athlos_events ORDER BY sequence")
            .fetch_all(&mut *conn)
            .await?;
    let mut logs: BTreeMap<String, Vec<(Event, DateTime<Utc>)>> = BTreeMap::new();
    for row in &rows {
        let aggregate: AggregateRef = serde_json::from_value(row.try_get("aggregate")?)?;
        if let AggregateRef::Draft(id) = aggregate {
            let event: Event = serde_json::from_value(row.try_get("event")?)?;
            let recorded: DateTime<Utc> = row.try_get("recorded_at")?;
            logs.entry(id.to_string())
                .or_default()
                .push((event, recorded));
        }
    }
    let period = chrono::Duration::seconds(i64::from(plan.seconds));
    let before = chrono::Duration::seconds(plan.claim as i64 + 1);
    let window = chrono::Duration::seconds(30);
    let recovery = chrono::Duration::milliseconds((plan.recovery * 1000.0) as i64);
    let mut steady = Vec::new();
    let mut all = Vec::new();
    // Per disturbance: the latest commit of a late clock, seconds after it, and the worst.
    let mut late_until = vec![0.0f64; disturbances.len()];
    let mut worst = vec![0.0f64; disturbances.len()];
    let (mut picks, mut autopicks, mut completed, mut overdue) = (0usize, 0usize, 0usize, 0usize);
    for id in ids {
        let Some(stored) = store.draft(id).await? else {
            failures.push(format!("{id}: missing"));
            continue;
        };
        let draft = stored.value.draft;
        if let Err(reason) = draft.check_invariants() {
            failures.push(format!("{id}: {reason}"));
        }
        if draft.state() == athlos_core::lifecycle::DraftState::Completed {
            completed += 1;
        }
        picks += draft.picks().len();
        let log = logs.remove(id.as_str()).unwrap_or_default();
        let events: Vec<Event> = log.iter().map(|(e, _)| e.clone()).collect();
        match Draft::replay(draft.settings().clone(), &events) {
            Ok(replayed) if replayed == draft => {}
            Ok(_) => failures.push(format!("{id}: the log replays to another draft")),
            Err(error) => failures.push(format!("{id}: {error}")),
        }
        let mut taken = BTreeSet::new();
        let mut armed: Option<DateTime<Utc>> = None;
        for (event, recorded) in &log {
            let number = match &event.data {
                EventData::DraftStarted { .. } => {
                    armed = Some(event.timestamp);
                    continue;
                }
                EventData::DraftPaused { .. } => {
                    if let Some(armed) = armed {
                        if event.timestamp > armed + period + recovery {
                            overdue += 1;
                            failures.push(format!(
                                "{id}: its clock was {:.1} s overdue when paused (a deadline lost)",
                                (event.timestamp - armed - period).num_milliseconds() as f64
                                    / 1000.0
                            ));
                        }
                    }
                    armed = None;
                    continue;
                }
                EventData::DraftPickMade { pick, .. } => {
                    armed = Some(event.timestamp);
                    *pick
                }
                EventData::DraftAutopicked { pick, .. } => {
                    autopicks += 1;
                    if let Some(armed) = armed {
                        let due = armed + period;
                        let late =
                            (*recorded - due).num_microseconds().unwrap_or(i64::MAX) as f64 / 1e6;
                        all.push(late);
                        // The latest disturbance before it (a clock due just before one
                        // may have been claimed by the killed server).
                        let near = disturbances
                            .iter()
                            .rposition(|(_, at)| due >= *at - before && due <= *at + window);
                        match near {
                            Some(k) => {
                                worst[k] = worst[k].max(late);
                                if late > 0.1 {
                                    let since = (*recorded - disturbances[k].1).num_milliseconds()
                                        as f64
                                        / 1000.0;
                                    late_until[k] = late_until[k].max(since);
                                }
                            }
                            None => steady.push(late),
                        }
                    }
                    armed = Some(event.timestamp);
                    *pick
                }
                _ => continue,
            };
            if !taken.insert(number) {
                failures.push(format!("{id}: pick {number} was taken twice"));
            }
        }
    }
    let mut recoveries = Vec::new();
    for (k, (what, at)) in disturbances.iter().enumerate() {
        if plan.enforce_recovery && late_until[k] > plan.recovery {
            failures.push(format!(
                "clocks still late {:.1} s after the {what} (more than {} s)",
                late_until[k], plan.recovery
            ));
        }
        recoveries.push(json!({
            "disturbance": what,
            "at": at,
            "late_until_seconds_after": late_until[k],
            "max_lateness_ms": worst[k] * 1000.0,
        }));
    }
    Ok(json!({
        "picks": picks,
        "autopicks": autopicks,
        "completed_drafts": completed,
        "overdue_when_paused": overdue,
        "lateness": summary(&mut all),
        "lateness_outside_recovery": summary(&mut steady),
        "recovery": recoveries,
        "recovery_enforced": plan.enforce_recovery,
    }))
}

fn check_streams(seen: &[Seen], expected: &[Vec<u64>], failures: &mut Vec<String>) -> Value {
    let (mut events, mut dropped, mut reconnects, mut errors, mut bad) = (0usize, 0, 0, 0, 0);
    for (i, (seen, expected)) in seen.iter().zip(expected).enumerate() {
        let upto = expected.last().copied().unwrap_or(0);
        let got: Vec<u64> = seen
            .received
            .iter()
            .copied()
            .filter(|s| *s <= upto)
            .collect();
        events += got.len();
        dropped += seen.dropped;
        reconnects += seen.reconnects;
        errors += seen.errors;
        if seen.regressions > 0 {
            bad += 1;
            failures.push(format!(
                "subscriber {i}: {} events again or out of order",
                seen.regressions
            ));
        } else if got != *expected {
            bad += 1;
            let want: BTreeSet<u64> = expected.iter().copied().collect();
            let have: BTreeSet<u64> = got.iter().copied().collect();
            failures.push(format!(
                "subscriber {i}: {} of {} events; missing {:?}; unexpected {:?}",
                got.len(),
                expected.len(),
                want.difference(&have).take(5).collect::<Vec<_>>(),
                have.difference(&want).take(5).collect::<Vec<_>>()
            ));
        }
    }
    json!({
        "subscribers": seen.len(),
        "events_received": events,
        "dropped_frames": dropped,
        "reconnects": reconnects,
        "connection_errors": errors,
        "subscribers_failed": bad,
    })
}

async fn check_webhooks(
    conn: &mut sqlx::PgConnection,
    log: &[Logged],
    hooks: &[(u64, AggregateRef)],
    received: &[(usize, String, bool)],
    frozen: u64,
    failures: &mut Vec<String>,
) -> Result<Value, Failure> {
    let mut report = Vec::new();
    let by_id: BTreeMap<String, u64> = log
        .iter()
        .map(|l| (l.event.event.id.to_string(), l.event.sequence))
        .collect();
    for (n, (hook, scope)) in hooks.iter().enumerate() {
        let after: i64 =
            sqlx::query_scalar("SELECT after_sequence FROM athlos_webhooks WHERE id = $1")
                .bind(*hook as i64)
                .fetch_one(&mut *conn)
                .await?;
        let expected: Vec<u64> = log
            .iter()
            .filter(|l| l.event.sequence > after as u64 && l.event.sequence <= frozen)
            .filter(|l| l.audience.includes(scope))
            .map(|l| l.event.sequence)
            .collect();
        // The database: one delivery per event, succeeded.
        let rows = sqlx::query(
            "SELECT sequence, state, attempts, last_error, possibly_sent \
             FROM athlos_webhook_deliveries WHERE webhook = $1 AND sequence <= $2",
        )
        .bind(*hook as i64)
        .bind(frozen as i64)
        .fetch_all(&mut *conn)
        .await?;
        let mut recorded: BTreeMap<u64, usize> = BTreeMap::new();
        // What the database says of each delivery, to explain a repeat.
        let mut history: HashMap<u64, String> = HashMap::new();
        for row in &rows {
            let sequence: i64 = row.try_get("sequence")?;
            let state: String = row.try_get("state")?;
            let attempts: i32 = row.try_get("attempts")?;
            let error: Option<String> = row.try_get("last_error")?;
            let flagged: bool = row.try_get("possibly_sent")?;
            history.insert(
                sequence as u64,
                format!("{sequence}: {attempts} attempts, possibly_sent {flagged}, last error {error:?}"),
            );
            *recorded.entry(sequence as u64).or_default() += 1;
            if state != "succeeded" {
                failures.push(format!("webhook {n}: delivery of {sequence} is {state}"));
            }
        }
        let doubled_rows = recorded.values().filter(|c| **c > 1).count();
        if doubled_rows > 0 {
            failures.push(format!("webhook {n}: {doubled_rows} events recorded twice"));
        }
        let recorded: Vec<u64> = recorded.into_keys().collect();
        if recorded != expected {
            failures.push(format!(
                "webhook {n}: {} deliveries recorded for {} events",
                recorded.len(),
                expected.len()
            ));
        }
        // The receiver: each event once (a repeat only flagged as possibly sent), in order.
        let mut first: Vec<u64> = Vec::new();
        let mut got = HashSet::new();
        let mut repeats = 0usize;
        let mut unflagged = Vec::new();
        for (_, id, possibly_sent) in received.iter().filter(|(h, _, _)| *h == n) {
            let Some(sequence) = by_id.get(id).copied() else {
                failures.push(format!("webhook {n}: a delivery of unknown event {id}"));
                continue;
            };
            if sequence > frozen {
                continue;
            }
            if got.insert(sequence) {
                first.push(sequence);
            } else {
                repeats += 1;
                if !possibly_sent {
                    unflagged.push(history.get(&sequence).cloned().unwrap_or_default());
                }
            }
        }
        if !unflagged.is_empty() {
            failures.push(format!(
                "webhook {n}: {} events delivered again without webhook-possibly-sent ({})",
                unflagged.len(),
                unflagged.join("; ")
            ));
        }
        if first.windows(2).any(|w| w[0] > w[1]) {
            failures.push(format!("webhook {n}: deliveries out of log order"));
        }
        let mut sorted = first.clone();
        sorted.sort_unstable();
        if sorted != expected {
            failures.push(format!(
                "webhook {n}: the receiver got {} of {} events",
                sorted.len(),
                expected.len()
            ));
        }
        report.push(json!({
            "scope": scope.to_string(),
            "events": expected.len(),
            "received": first.len(),
            "repeats_possibly_sent": repeats,
        }));
    }
    Ok(Value::Array(report))
}
