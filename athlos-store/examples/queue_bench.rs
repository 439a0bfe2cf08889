//! Queue and deadline figures for BENCHMARKS.md, on SQLite (a temporary file) and PostgreSQL
//! (a fresh database from `ATHLOS_BENCH_DATABASE_URL` or `ATHLOS_TEST_DATABASE_URL`, dropped
//! afterwards).
//!
//! ```sh
//! ATHLOS_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
//!     cargo run --release -p athlos-store --example queue_bench -- [jobs] [clocks] [window_secs] \
//!     [sqlite,postgres] [throughput,latency,deadlines] [4,16] [slot_claims]
//! ```
//!
//! (`throughput` is both `free` and `batched`.)
//!
//! - throughput: `jobs` no-op jobs enqueued first, then one worker at concurrency 4 and 16
//!   drains them (claims and completions batched);
//! - enqueue→start latency: jobs enqueued one at a time at 100/s for 5 s (far from saturation),
//!   measured from before the enqueue call to the handler's start;
//! - deadline lateness: `clocks` deadlines due evenly over `window_secs`, fired by one and by
//!   two schedulers (each on its own connection pool, as two processes would be); lateness is
//!   the handler's start minus the due time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use athlos_core::id::TournamentId;
use athlos_core::store::{
    AggregateRef, Commit, Deadline, DeadlineKey, DeadlineStore, Job, JobStore, NewJob, Store,
};
use athlos_runner::{Scheduler, SchedulerConfig, Worker, WorkerConfig, WorkerStats};
use athlos_store::{AnyStore, Topic};
use chrono::Utc;
use sqlx::Connection;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg =
        |i: usize, default: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let jobs = arg(0, 10_000);
    let clocks = arg(1, 10_000);
    let window = arg(2, 60) as u64;
    let pg = std::env::var("ATHLOS_BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("ATHLOS_TEST_DATABASE_URL"))
        .ok();
    println!("| backend | measure | figure |");
    println!("|---|---|---|");
    let wanted = args.get(3).map_or("sqlite,postgres", String::as_str);
    let mut backends: Vec<&str> = wanted.split(',').collect();
    let parts = args
        .get(4)
        .map_or("throughput,latency,deadlines", String::as_str);
    let part = |name: &str| parts.split(',').any(|p| p == name);
    let levels: Vec<usize> = args.get(5).map_or_else(
        || vec![4, 16],
        |l| l.split(',').filter_map(|c| c.parse().ok()).collect(),
    );
    if pg.is_none() {
        backends.retain(|b| *b != "postgres");
        eprintln!("no ATHLOS_BENCH_DATABASE_URL: PostgreSQL skipped");
    }
    for backend in backends {
        for &concurrency in &levels {
            for batch in [1, 500] {
                let mode = if batch == 1 { "free" } else { "batched" };
                if !part("throughput") && !part(mode) {
                    continue;
                }
                let db = Db::open(backend, pg.as_deref()).await;
                let (rate, stats) = throughput(&db.store, jobs, concurrency, batch).await;
                println!(
                    "| {backend} | no-op jobs/s, concurrency {concurrency}, claim batch {} ({jobs} jobs) | {rate:.0} |",
                    batch.max(concurrency)
                );
                eprintln!(
                    "{backend}, concurrency {concurrency}, batch {batch}: {} claim and {} completion round trips",
                    stats.claims, stats.completions
                );
                db.drop().await;
            }
            if !part("latency") {
                continue;
            }
            let db = Db::open(backend, pg.as_deref()).await;
            let (p50, p99, max) = latency(&db.store, concurrency).await;
            println!(
                "| {backend} | enqueue→start p50 / p99 / max, concurrency {concurrency}, 100 jobs/s | {p50:.1} / {p99:.1} / {max:.1} ms |"
            );
            db.drop().await;
        }
        for schedulers in [1, 2] {
            if !part("deadlines") {
                continue;
            }
            let db = Db::open(backend, pg.as_deref()).await;
            let (p50, p99, max, within) = lateness(&db, clocks, window, schedulers).await;
            println!(
                "| {backend} | deadline lateness p50 / p99 / max, {clocks} clocks over {window} s, {schedulers} scheduler(s) | {p50:.1} / {p99:.1} / {max:.1} ms; {within:.2} % within 100 ms |"
            );
            db.drop().await;
        }
    }
}

struct Db {
    store: AnyStore,
    url: String,
    cleanup: Option<(String, String)>,
    file: Option<std::path::PathBuf>,
}

impl Db {
    async fn open(backend: &str, pg: Option<&str>) -> Db {
        let name = format!(
            "athlos_bench_{}_{}",
            std::process::id(),
            Utc::now().timestamp_micros()
        );
        if backend == "sqlite" {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            let url = format!("sqlite://{}", path.display());
            let store = athlos_store::connect(&url).await.unwrap();
            return Db {
                store,
                url,
                cleanup: None,
                file: Some(path),
            };
        }
        let admin = pg.unwrap().to_owned();
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await
            .unwrap();
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        let url = format!("{base}/{name}");
        let store = athlos_store::connect(&url).await.unwrap();
        Db {
            store,
            url,
            cleanup: Some((admin, name)),
            file: None,
        }
    }

    async fn drop(self) {
        self.store.close().await;
        if let Some((admin, name)) = self.cleanup {
            let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
            sqlx::query(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
                .execute(&mut conn)
                .await
                .unwrap();
        }
        if let Some(file) = self.file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
        }
    }
}

fn worker_config(id: &str, concurrency: usize, batch: usize) -> WorkerConfig {
    let mut config = WorkerConfig::new(id);
    config.concurrency = concurrency;
    config.batch = batch;
    config.slot_claims = slot_claims();
    config.poll = Duration::from_millis(100);
    config
}

async fn throughput(
    store: &AnyStore,
    jobs: usize,
    concurrency: usize,
    batch: usize,
) -> (f64, WorkerStats) {
    let now = Utc::now();
    for chunk in (0..jobs).collect::<Vec<_>>().chunks(500) {
        let batch = chunk
            .iter()
            .map(|i| NewJob::new("noop", serde_json::json!({ "i": i }), now))
            .collect();
        store
            .commit(Commit {
                jobs: batch,
                ..Commit::default()
            })
            .await
            .unwrap();
    }
    let started = Arc::new(AtomicUsize::new(0));
    let all = Arc::new(tokio::sync::Notify::new());
    let handler = {
        let (started, all) = (started.clone(), all.clone());
        move |_job: Job| {
            let (started, all) = (started.clone(), all.clone());
            async move {
                if started.fetch_add(1, Ordering::SeqCst) + 1 == jobs {
                    all.notify_one();
                }
                Ok(())
            }
        }
    };
    let worker = Worker::new(
        Arc::new(store.clone()),
        handler,
        worker_config("bench", concurrency, batch),
    )
    .with_wakeup(store.wakeup(Topic::Jobs));
    let clock = Instant::now();
    let stats = worker
        .run(async move {
            all.notified().await;
        })
        .await;
    let elapsed = clock.elapsed().as_secs_f64();
    assert_eq!(stats.succeeded as usize, jobs, "{stats:?}");
    (jobs as f64 / elapsed, stats)
}

async fn latency(store: &AnyStore, concurrency: usize) -> (f64, f64, f64) {
    let samples: Arc<Mutex<Vec<f64>>> = Arc::default();
    let handler = {
        let samples = samples.clone();
        move |job: Job| {
            let samples = samples.clone();
            async move {
                let sent = job.payload["sent"].as_i64().unwrap_or(0);
                let waited = (Utc::now().timestamp_micros() - sent) as f64 / 1000.0;
                samples.lock().unwrap().push(waited);
                Ok(())
            }
        }
    };
    let worker = Worker::new(
        Arc::new(store.clone()),
        handler,
        worker_config("bench", concurrency, 1),
    )
    .with_wakeup(store.wakeup(Topic::Jobs));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(worker.run(async move {
        let _ = stopped.await;
    }));
    let total = 500;
    let mut ticks = tokio::time::interval(Duration::from_millis(10));
    for _ in 0..total {
        ticks.tick().await;
        let sent = Utc::now();
        store
            .enqueue(NewJob::new(
                "noop",
                serde_json::json!({ "sent": sent.timestamp_micros() }),
                sent,
            ))
            .await
            .unwrap();
    }
    while samples.lock().unwrap().len() < total {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let _ = stop.send(());
    running.await.unwrap();
    let mut samples = samples.lock().unwrap().clone();
    samples.sort_by(f64::total_cmp);
    (
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
        samples.last().copied().unwrap_or(0.0),
    )
}

async fn lateness(db: &Db, clocks: usize, window: u64, schedulers: usize) -> (f64, f64, f64, f64) {
    let start = Utc::now() + chrono::Duration::seconds(3);
    let step = (window * 1_000_000) as f64 / clocks as f64;
    let deadlines: Vec<Deadline> = (0..clocks)
        .map(|i| Deadline {
            key: DeadlineKey {
                aggregate: AggregateRef::Tournament(TournamentId::new(format!("t{i:05}")).unwrap()),
                purpose: "clock".to_owned(),
            },
            due: start + chrono::Duration::microseconds((i as f64 * step) as i64),
            sequence: 1,
        })
        .collect();
    for chunk in deadlines.chunks(500) {
        db.store
            .commit(Commit {
                deadlines: chunk.to_vec(),
                ..Commit::default()
            })
            .await
            .unwrap();
    }
    let samples: Arc<Mutex<Vec<f64>>> = Arc::default();
    let mut runs = Vec::new();
    let mut stops = Vec::new();
    for n in 0..schedulers {
        // Each scheduler on its own pool, as separate processes would be.
        let store = athlos_store::connect(&db.url).await.unwrap();
        let samples = samples.clone();
        let handler = move |deadline: Deadline| {
            let samples = samples.clone();
            async move {
                let late =
                    (Utc::now() - deadline.due).num_microseconds().unwrap_or(0) as f64 / 1000.0;
                samples.lock().unwrap().push(late);
                Ok(Commit::default())
            }
        };
        let scheduler = Scheduler::new(
            Arc::new(store.clone()),
            handler,
            SchedulerConfig::new(format!("scheduler-{n}")),
        )
        .with_wakeup(store.wakeup(Topic::Deadlines));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        stops.push(stop);
        runs.push(tokio::spawn(scheduler.run(async move {
            let _ = stopped.await;
        })));
    }
    while db.store.next_deadline().await.unwrap().is_some() {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for stop in stops {
        let _ = stop.send(());
    }
    for run in runs {
        run.await.unwrap();
    }
    let mut samples = samples.lock().unwrap().clone();
    assert_eq!(samples.len(), clocks, "every deadline fired once");
    samples.sort_by(f64::total_cmp);
    let within = samples.iter().filter(|&&l| l <= 100.0).count() as f64 * 100.0 / clocks as f64;
    (
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
        samples.last().copied().unwrap_or(0.0),
        within,
    )
}

/// `WorkerConfig::slot_claims` from the seventh argument (0, the default, lets the worker
/// choose).
fn slot_claims() -> usize {
    std::env::args()
        .nth(7)
        .and_then(|a| a.parse().ok())
        .unwrap_or(0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}
