//! The job queue under process faults, on PostgreSQL (a fresh database per test, from
//! `ATHLOS_TEST_DATABASE_URL`; skipped with a message when unset, a failure under `CI=true`).
//!
//! Two worker processes share one database and drain N jobs (`ATHLOS_FAULT_JOBS`, 2,000 by
//! default). Each job's effect is an event appended in the same commit as the job's
//! completion (`Commit::completed_jobs`), so a worker that lost its lease commits nothing.
//! Every handler run is also recorded, outside that commit, in a `fault_runs` table, to see
//! how often jobs ran again.
//!
//! - `two_workers_run_each_job_once`: every job succeeds, its effect is in the log exactly
//!   once, and (with leases far longer than any stall) no job ran twice;
//! - `killed_worker_jobs_are_claimed_again`: one worker is killed with SIGKILL mid-run while
//!   it holds leases; after its 2 s leases expire the other worker claims those jobs, every
//!   job succeeds and its effect is in the log exactly once; the only jobs that ran twice are
//!   jobs the killed worker had run.
//!
//! The worker processes are this test binary run again with `--ignored --exact
//! fault_worker_process` and `ATHLOS_FAULT_WORKER_URL` set, so `cargo test --test faults`
//! builds everything it needs.
//!
//! ```sh
//! ATHLOS_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test ATHLOS_FAULT_JOBS=10000 \
//!     cargo test -p athlos-store --test faults -- --nocapture --test-threads=1
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use athlos_core::event::{Event, EventData};
use athlos_core::id::{DivisionId, EventId};
use athlos_core::store::{AggregateRef, Commit, EventLog, Job, JobState, JobStore, NewJob, Store};
use athlos_store::{AnyStore, Topic, Worker, WorkerConfig};
use chrono::Utc;
use sqlx::{Connection, Row};

const WORKER_URL: &str = "ATHLOS_FAULT_WORKER_URL";
const WORKER_ID: &str = "ATHLOS_FAULT_WORKER_ID";
const WORKER_LEASE_MS: &str = "ATHLOS_FAULT_WORKER_LEASE_MS";

/// Jobs per test: `ATHLOS_FAULT_JOBS` or 2,000.
fn job_count() -> usize {
    std::env::var("ATHLOS_FAULT_JOBS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000)
}

/// How long a worker process may take for `jobs` jobs (a stuck queue fails the test).
fn time_limit(jobs: usize) -> Duration {
    Duration::from_secs(60)
        + Duration::from_millis(20 * u64::try_from(jobs).unwrap_or(u64::MAX / 40))
}

/// The event id of a job's effect.
fn effect_id(job: u64) -> String {
    format!("fault-job:{job}")
}

/// One worker process: runs jobs until none is queued, failed or running, then prints its
/// statistics. Does nothing unless started by the tests below.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a worker process the fault tests start themselves"]
async fn fault_worker_process() {
    let Ok(url) = std::env::var(WORKER_URL) else {
        return;
    };
    let id = std::env::var(WORKER_ID).unwrap();
    let lease_ms: u64 = std::env::var(WORKER_LEASE_MS).unwrap().parse().unwrap();
    let store = athlos_store::connect(&url).await.unwrap();
    let runs = sqlx::PgPool::connect(&url).await.unwrap();
    let handler = {
        let store = store.clone();
        move |job: Job| {
            let (store, runs) = (store.clone(), runs.clone());
            async move {
                let worker = job.worker.clone().ok_or("a claimed job has a worker")?;
                let job_id = i64::try_from(job.id.0).map_err(|e| e.to_string())?;
                sqlx::query("INSERT INTO fault_runs (job_id, worker) VALUES ($1, $2)")
                    .bind(job_id)
                    .bind(&worker)
                    .execute(&runs)
                    .await
                    .map_err(|e| e.to_string())?;
                let work = job.payload["work_ms"].as_u64().unwrap_or(0);
                tokio::time::sleep(Duration::from_millis(work)).await;
                let division = DivisionId::new("fault-effects").map_err(|e| e.to_string())?;
                let event = Event {
                    id: EventId::new(effect_id(job.id.0)).map_err(|e| e.to_string())?,
                    timestamp: Utc::now(),
                    version: 1,
                    data: EventData::BracketFailed {
                        division: division.clone(),
                        reason: format!("effect of job {} by {worker}", job.id.0),
                    },
                };
                store
                    .commit(Commit {
                        events: vec![(AggregateRef::Division(division), event)],
                        completed_jobs: vec![(job.id, worker)],
                        ..Commit::default()
                    })
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(())
            }
        }
    };
    let mut config = WorkerConfig::new(id.clone());
    config.concurrency = 4;
    config.batch = 16;
    config.lease = Duration::from_millis(lease_ms);
    config.heartbeat = Duration::from_millis((lease_ms / 6).max(50));
    config.poll = Duration::from_millis(100);
    let worker = Worker::new(Arc::new(store.clone()), handler, config)
        .with_wakeup(store.wakeup(Topic::Jobs));
    let watcher = store.clone();
    let stats = worker
        .run(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(200)).await;
                let mut open = 0;
                for state in [JobState::Queued, JobState::Failed, JobState::Running] {
                    open += watcher
                        .jobs(Some(state), None, 1)
                        .await
                        .map_or(1, |jobs| jobs.len());
                }
                if open == 0 {
                    break;
                }
            }
        })
        .await;
    println!("FAULT_WORKER {id} {stats:?}");
    store.close().await;
}

/// Worker processes, killed and reaped if the test ends early.
struct Workers(Vec<(String, Child)>);

impl Drop for Workers {
    fn drop(&mut self) {
        for (_, child) in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn spawn_worker(url: &str, id: &str, lease: Duration) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "fault_worker_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(WORKER_URL, url)
        .env(WORKER_ID, id)
        .env(WORKER_LEASE_MS, lease.as_millis().to_string())
        .env_remove("ATHLOS_TEST_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// Waits for `child` to exit within `limit`, and returns its output.
async fn finish(mut child: Child, limit: Duration) -> String {
    let until = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut out = String::new();
            if let Some(mut stdout) = child.stdout.take() {
                std::io::Read::read_to_string(&mut stdout, &mut out).unwrap();
            }
            assert!(status.success(), "worker process failed: {status}\n{out}");
            return out;
        }
        if Instant::now() >= until {
            let _ = child.kill();
            let _ = child.wait();
            panic!("a worker process did not finish within {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

struct Database {
    admin_url: String,
    name: String,
    url: String,
    store: AnyStore,
}

impl Database {
    async fn create(tag: &str) -> Option<Database> {
        let admin_url = support::postgres_url()?;
        let name = format!(
            "athlos_faults_{tag}_{}_{}",
            std::process::id(),
            Utc::now().timestamp_micros()
        );
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .expect("ATHLOS_TEST_DATABASE_URL must reach a PostgreSQL server");
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
        let url = support::with_database(&admin_url, &name);
        let store = athlos_store::connect(&url).await.unwrap();
        store.ready().await.unwrap();
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query("CREATE TABLE fault_runs (job_id BIGINT NOT NULL, worker TEXT NOT NULL)")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        Some(Database {
            admin_url,
            name,
            url,
            store,
        })
    }

    async fn drop(self) {
        self.store.close().await;
        let mut admin = sqlx::PgConnection::connect(&self.admin_url).await.unwrap();
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        ))
        .execute(&mut admin)
        .await
        .unwrap();
    }

    async fn enqueue(&self, jobs: usize, work_ms: u64) -> Vec<u64> {
        let now = Utc::now();
        for start in (0..jobs).step_by(500) {
            let batch = (start..jobs.min(start + 500))
                .map(|i| {
                    NewJob::new(
                        "fault",
                        serde_json::json!({ "i": i, "work_ms": work_ms }),
                        now,
                    )
                })
                .collect();
            self.store
                .commit(Commit {
                    jobs: batch,
                    ..Commit::default()
                })
                .await
                .unwrap();
        }
        let ids = self.all_jobs().await.keys().copied().collect::<Vec<_>>();
        assert_eq!(ids.len(), jobs);
        ids
    }

    async fn all_jobs(&self) -> BTreeMap<u64, Job> {
        let mut all = BTreeMap::new();
        let mut after = None;
        loop {
            let page = self.store.jobs(None, after, 1000).await.unwrap();
            let Some(last) = page.last() else {
                return all;
            };
            after = Some(last.id);
            all.extend(page.into_iter().map(|job| (job.id.0, job)));
        }
    }

    /// How many times each job's effect is in the event log.
    async fn effects(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        let mut after = 0;
        loop {
            let page = self.store.events_after(after, 1000).await.unwrap();
            let Some(last) = page.last() else {
                return counts;
            };
            after = last.sequence;
            for logged in page {
                *counts.entry(logged.event.id.to_string()).or_insert(0) += 1;
            }
        }
    }

    async fn effect_count(&self) -> i64 {
        let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
        sqlx::query_scalar("SELECT COUNT(*) FROM athlos_events")
            .fetch_one(&mut conn)
            .await
            .unwrap()
    }

    async fn running_by(&self, worker: &str) -> i64 {
        let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM athlos_jobs WHERE state = 'running' AND worker = $1",
        )
        .bind(worker)
        .fetch_one(&mut conn)
        .await
        .unwrap()
    }

    /// The workers that ran each job, in run order, from `fault_runs`.
    async fn runs(&self) -> BTreeMap<u64, Vec<String>> {
        let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
        let rows = sqlx::query("SELECT job_id, worker FROM fault_runs ORDER BY ctid")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        let mut runs: BTreeMap<u64, Vec<String>> = BTreeMap::new();
        for row in rows {
            let job: i64 = row.get("job_id");
            runs.entry(u64::try_from(job).unwrap())
                .or_default()
                .push(row.get("worker"));
        }
        runs
    }

    /// Every job succeeded and its effect is in the log exactly once.
    async fn assert_each_effect_once(&self, ids: &[u64]) {
        let jobs = self.all_jobs().await;
        let unfinished: Vec<&Job> = jobs
            .values()
            .filter(|job| job.state != JobState::Succeeded)
            .collect();
        assert!(unfinished.is_empty(), "jobs not succeeded: {unfinished:?}");
        let effects = self.effects().await;
        let expected: BTreeMap<String, usize> = ids.iter().map(|&id| (effect_id(id), 1)).collect();
        let wrong: Vec<(&String, &usize)> = effects
            .iter()
            .filter(|(id, n)| expected.get(*id) != Some(*n))
            .collect();
        assert!(wrong.is_empty(), "effects not exactly once: {wrong:?}");
        assert_eq!(effects.len(), ids.len(), "every job's effect is in the log");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_run_each_job_once() {
    let Some(db) = Database::create("two").await else {
        return;
    };
    let jobs = job_count();
    let ids = db.enqueue(jobs, 2).await;
    let clock = Instant::now();
    // Leases far longer than any stall: no lease expires, so no job may run twice.
    let lease = Duration::from_secs(30);
    let mut workers = Workers(
        ["w1", "w2"]
            .iter()
            .map(|id| ((*id).to_owned(), spawn_worker(&db.url, id, lease)))
            .collect(),
    );
    let mut outputs = Vec::new();
    for (_, child) in std::mem::take(&mut workers.0) {
        outputs.push(finish(child, time_limit(jobs)).await);
    }
    let elapsed = clock.elapsed();
    db.assert_each_effect_once(&ids).await;
    let runs = db.runs().await;
    let twice: Vec<(&u64, &Vec<String>)> = runs.iter().filter(|(_, w)| w.len() != 1).collect();
    assert!(twice.is_empty(), "jobs run more than once: {twice:?}");
    assert_eq!(runs.len(), jobs);
    let by_worker = runs.values().fold(BTreeMap::new(), |mut acc, w| {
        *acc.entry(w[0].clone()).or_insert(0usize) += 1;
        acc
    });
    assert_eq!(by_worker.len(), 2, "both workers ran jobs: {by_worker:?}");
    // Completed in the handler's commit, each job counts as the worker's success, none lost.
    for (output, worker) in outputs.iter().zip(["w1", "w2"]) {
        let ran = by_worker[worker];
        let expected = format!("claimed: {ran}, succeeded: {ran}, failed: 0, lost: 0,");
        assert!(output.contains(&expected), "{worker}: {output}");
    }
    eprintln!(
        "faults: two workers, {jobs} jobs in {:.1} s, runs per worker {by_worker:?}, \
         effects exactly once, duplicates 0\n{}",
        elapsed.as_secs_f64(),
        outputs
            .concat()
            .lines()
            .filter_map(|l| l.find("FAULT_WORKER").map(|i| &l[i..]))
            .collect::<Vec<_>>()
            .join("\n")
    );
    db.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_worker_jobs_are_claimed_again() {
    let Some(db) = Database::create("kill").await else {
        return;
    };
    let jobs = job_count();
    let ids = db.enqueue(jobs, 2).await;
    let clock = Instant::now();
    let lease = Duration::from_secs(2);
    let mut workers = Workers(
        ["victim", "survivor"]
            .iter()
            .map(|id| ((*id).to_owned(), spawn_worker(&db.url, id, lease)))
            .collect(),
    );
    // Kill the victim with SIGKILL once a fifth of the effects are in and it holds leases.
    let until = Instant::now() + Duration::from_secs(300);
    let held = loop {
        assert!(
            Instant::now() < until,
            "the run never reached a fifth of its jobs"
        );
        if db.effect_count().await >= i64::try_from(jobs / 5).unwrap() {
            let held = db.running_by("victim").await;
            if held > 0 {
                break held;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let (_, mut victim) = workers.0.remove(0);
    victim.kill().unwrap();
    victim.wait().unwrap();
    let killed_at = clock.elapsed();
    let (_, survivor) = workers.0.remove(0);
    let output = finish(survivor, time_limit(jobs)).await;
    let elapsed = clock.elapsed();
    db.assert_each_effect_once(&ids).await;
    let runs = db.runs().await;
    assert_eq!(runs.len(), jobs, "every job ran");
    let again: Vec<(&u64, &Vec<String>)> = runs.iter().filter(|(_, w)| w.len() > 1).collect();
    let unexplained: Vec<&(&u64, &Vec<String>)> = again
        .iter()
        .filter(|(_, w)| !w.iter().any(|worker| worker == "victim"))
        .collect();
    assert!(
        unexplained.is_empty(),
        "jobs ran twice though the killed worker never ran them: {unexplained:?}"
    );
    let all = db.all_jobs().await;
    let rescued = all
        .values()
        .filter(|job| job.attempts > 1 && job.worker.as_deref() == Some("survivor"))
        .count();
    assert!(
        rescued > 0,
        "the jobs the killed worker held were claimed again"
    );
    eprintln!(
        "faults: {jobs} jobs, victim killed with SIGKILL at {:.1} s holding {held} leases, \
         all done at {:.1} s; {} jobs claimed again, {} ran twice, effects exactly once, \
         duplicates 0\n{}",
        killed_at.as_secs_f64(),
        elapsed.as_secs_f64(),
        rescued,
        again.len(),
        output
            .lines()
            .filter_map(|l| l.find("FAULT_WORKER").map(|i| &l[i..]))
            .collect::<Vec<_>>()
            .join("\n")
    );
    db.drop().await;
}
