//! The job queue and the deadline scheduler under process and server faults, on PostgreSQL.
//!
//! The process-fault tests use a fresh database per test on the shared server of
//! `ATHLOS_TEST_DATABASE_URL` (skipped with a message when unset, a failure under `CI=true`).
//! The restart tests stop and start their server, so each runs its own PostgreSQL cluster
//! (`support::cluster`: `initdb` in a temporary directory, a free port; skipped with a message
//! when PostgreSQL's server programs are not installed, a failure under `CI=true`).
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
//!   jobs the killed worker had run;
//! - `workers_finish_across_a_postgres_restart`: the same two worker processes on a private
//!   cluster; once a fifth of the effects are in, PostgreSQL is stopped with a fast shutdown
//!   (every session terminated), kept down for `ATHLOS_FAULT_OUTAGE_MS` (2,000 by default) and
//!   started again; both workers reconnect by themselves and run jobs again, every job
//!   succeeds and its effect is in the log exactly once;
//! - `deadlines_fire_once_across_a_postgres_restart`: a scheduler fires deadlines
//!   (`ATHLOS_FAULT_DEADLINES`, 400 by default) due over 10 s, each effect an event committed
//!   with the firing; PostgreSQL is restarted the same way halfway; every deadline fires, its
//!   effect is in the log exactly once, and the lateness of those due during the outage is
//!   reported;
//! - `wakeups_resume_after_a_postgres_restart`: after a restart, a store's `LISTEN`
//!   connection is back and another store's commits wake it again.
//!
//! The worker processes are this test binary run again with `--ignored --exact
//! fault_worker_process` and `ATHLOS_FAULT_WORKER_URL` set, so `cargo test --test faults`
//! builds everything it needs.
//!
//! ```sh
//! ATHLOS_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test ATHLOS_FAULT_JOBS=10000 \
//!     cargo test -p athlos-store --test faults -- --nocapture --test-threads=1
//! # the restart tests alone (no shared server needed):
//! ATHLOS_FAULT_JOBS=10000 cargo test -p athlos-store --test faults -- --nocapture \
//!     --test-threads=1 postgres_restart
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use athlos_core::event::{Event, EventData};
use athlos_core::id::{DivisionId, EventId, TournamentId};
use athlos_core::store::{
    AggregateRef, Commit, Deadline, DeadlineKey, DeadlineStore, EventLog, Job, JobState, JobStore,
    NewJob, Store,
};
use athlos_runner::{Scheduler, SchedulerConfig, Worker, WorkerConfig};
use athlos_store::{AnyStore, Topic, Wakeup};
use chrono::{DateTime, Utc};
use sqlx::{Connection, Row};
use support::cluster::PrivateCluster;

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
    // The test that started this process is gone (killed): exit with it, as its leases will
    // run out anyway and the server may be gone too.
    let parent = std::os::unix::process::parent_id();
    tokio::spawn(async move {
        while std::os::unix::process::parent_id() == parent {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        eprintln!("fault worker: the test process is gone, exiting");
        std::process::exit(2);
    });
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
    /// A fresh database on the shared test server, `None` when there is none.
    async fn create(tag: &str) -> Option<Database> {
        Some(Database::create_at(support::postgres_url()?, tag).await)
    }

    /// A fresh database on the server `admin_url` names.
    async fn create_at(admin_url: String, tag: &str) -> Database {
        let name = format!(
            "athlos_faults_{tag}_{}_{}",
            std::process::id(),
            Utc::now().timestamp_micros()
        );
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .expect("the test's PostgreSQL server must be reachable");
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
        let url = support::with_database(&admin_url, &name);
        let store = athlos_store::connect(&url).await.unwrap();
        store.ready().await.unwrap();
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query(
            "CREATE TABLE fault_runs (job_id BIGINT NOT NULL, worker TEXT NOT NULL, \
             ran_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
        Database {
            admin_url,
            name,
            url,
            store,
        }
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

/// How long the private server stays down in the restart tests: `ATHLOS_FAULT_OUTAGE_MS` or
/// 2,000 (it is unavailable a little longer: the fast shutdown and the start take time too).
fn outage() -> Duration {
    Duration::from_millis(
        std::env::var("ATHLOS_FAULT_OUTAGE_MS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(2_000),
    )
}

/// Deadlines in the restart test: `ATHLOS_FAULT_DEADLINES` or 400.
fn deadline_count() -> usize {
    std::env::var("ATHLOS_FAULT_DEADLINES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(400)
}

/// The event id of a deadline's effect.
fn deadline_effect_id(key: &DeadlineKey) -> String {
    format!("fault-deadline:{}", key.aggregate)
}

/// What the restart tests read besides the other tests' checks.
impl Database {
    /// When the server last started.
    async fn server_started(&self) -> DateTime<Utc> {
        let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
        sqlx::query_scalar("SELECT pg_postmaster_start_time()")
            .fetch_one(&mut conn)
            .await
            .unwrap()
    }

    /// Handler runs per worker that started at or after `at`.
    async fn runs_since(&self, at: DateTime<Utc>) -> BTreeMap<String, i64> {
        let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
        sqlx::query_as(
            "SELECT worker, COUNT(*) FROM fault_runs WHERE ran_at >= $1 GROUP BY worker \
             ORDER BY worker",
        )
        .bind(at)
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .collect()
    }

    /// When each event was committed (its transaction's start), by event id; the last one
    /// for an id logged more than once.
    async fn recorded_at(&self) -> BTreeMap<String, DateTime<Utc>> {
        let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
        let times: BTreeMap<i64, DateTime<Utc>> =
            sqlx::query_as("SELECT sequence, recorded_at FROM athlos_events")
                .fetch_all(&mut conn)
                .await
                .unwrap()
                .into_iter()
                .collect();
        let mut recorded = BTreeMap::new();
        let mut after = 0;
        loop {
            let page = self.store.events_after(after, 1000).await.unwrap();
            let Some(last) = page.last() else {
                return recorded;
            };
            after = last.sequence;
            for logged in page {
                let at = times[&i64::try_from(logged.sequence).unwrap()];
                recorded.insert(logged.event.id.to_string(), at);
            }
        }
    }
}

/// Two worker processes drain the queue on a private PostgreSQL cluster; once a fifth of the
/// effects are in, the server is stopped with a fast shutdown (every session is terminated,
/// open transactions roll back), kept down for [`outage`] and started again. Both workers
/// reconnect by themselves and finish: every job succeeded, its effect is in the log exactly
/// once, and both ran jobs after the restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_finish_across_a_postgres_restart() {
    let Some(cluster) = PrivateCluster::start("jobs") else {
        return;
    };
    let db = Database::create_at(cluster.url("postgres"), "restart").await;
    let jobs = job_count();
    let ids = db.enqueue(jobs, 2).await;
    let first_start = db.server_started().await;
    let clock = Instant::now();
    let lease = Duration::from_secs(5);
    let mut workers = Workers(
        ["w1", "w2"]
            .iter()
            .map(|id| ((*id).to_owned(), spawn_worker(&db.url, id, lease)))
            .collect(),
    );
    let until = Instant::now() + Duration::from_secs(300);
    let before = loop {
        assert!(
            Instant::now() < until,
            "the run never reached a fifth of its jobs"
        );
        let done = db.effect_count().await;
        if done >= i64::try_from(jobs / 5).unwrap() {
            break done;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        before < i64::try_from(jobs).unwrap(),
        "the restart comes before the run ends"
    );
    let stopped_at = clock.elapsed();
    let outage = tokio::task::block_in_place(|| cluster.restart(outage()));
    let second_start = db.server_started().await;
    assert!(second_start > first_start, "the server restarted");
    let mut outputs = Vec::new();
    for (_, child) in std::mem::take(&mut workers.0) {
        outputs.push(finish(child, time_limit(jobs) + Duration::from_secs(120)).await);
    }
    let elapsed = clock.elapsed();
    db.assert_each_effect_once(&ids).await;
    let runs = db.runs().await;
    assert_eq!(runs.len(), jobs, "every job ran");
    let again = runs.values().filter(|w| w.len() > 1).count();
    let after = db.runs_since(second_start).await;
    for worker in ["w1", "w2"] {
        assert!(
            after.get(worker).copied().unwrap_or(0) > 0,
            "{worker} ran jobs after the restart: {after:?}"
        );
    }
    eprintln!(
        "faults: {jobs} jobs, PostgreSQL stopped (fast) at {:.1} s with {before} effects in, \
         unavailable {:.1} s; all done at {:.1} s; handler runs after the restart {after:?}; \
         {} handler runs, jobs run more than once: {again}, effects exactly once, duplicates 0\n{}",
        stopped_at.as_secs_f64(),
        outage.as_secs_f64(),
        elapsed.as_secs_f64(),
        runs.values().map(Vec::len).sum::<usize>(),
        outputs
            .concat()
            .lines()
            .filter_map(|l| l.find("FAULT_WORKER").map(|i| &l[i..]))
            .collect::<Vec<_>>()
            .join("\n")
    );
    db.drop().await;
}

/// A scheduler fires deadlines due over 10 s on a private PostgreSQL cluster; halfway through,
/// the server is stopped with a fast shutdown, kept down for [`outage`] and started again. Every
/// deadline fires and its effect (an event committed with the firing) is in the log exactly
/// once; the lateness of those due while the server was down is reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadlines_fire_once_across_a_postgres_restart() {
    let Some(cluster) = PrivateCluster::start("deadlines") else {
        return;
    };
    let db = Database::create_at(cluster.url("postgres"), "deadlines").await;
    let count = deadline_count();
    let span_ms = 10_000;
    let first_due = Utc::now() + chrono::Duration::seconds(2);
    let deadlines: Vec<Deadline> = (0..count)
        .map(|i| Deadline {
            key: DeadlineKey {
                aggregate: AggregateRef::Tournament(
                    TournamentId::new(format!("clock-{i:05}")).unwrap(),
                ),
                purpose: "restart".to_owned(),
            },
            due: first_due
                + chrono::Duration::milliseconds(
                    span_ms * i64::try_from(i).unwrap() / i64::try_from(count).unwrap(),
                ),
            sequence: 1,
        })
        .collect();
    let due: BTreeMap<String, DateTime<Utc>> = deadlines
        .iter()
        .map(|d| (deadline_effect_id(&d.key), d.due))
        .collect();
    db.store
        .commit(Commit {
            deadlines,
            ..Commit::default()
        })
        .await
        .unwrap();
    let handler = |deadline: Deadline| async move {
        let division = DivisionId::new("fault-effects").map_err(|e| e.to_string())?;
        let event = Event {
            id: EventId::new(deadline_effect_id(&deadline.key)).map_err(|e| e.to_string())?,
            timestamp: Utc::now(),
            version: 1,
            data: EventData::BracketFailed {
                division: division.clone(),
                reason: format!("effect of the deadline of {}", deadline.key.aggregate),
            },
        };
        Ok(Commit {
            events: vec![(AggregateRef::Division(division), event)],
            ..Commit::default()
        })
    };
    let mut config = SchedulerConfig::new("restart-scheduler");
    config.claim = Duration::from_secs(5);
    config.poll = Duration::from_millis(200);
    let scheduler = Scheduler::new(Arc::new(db.store.clone()), handler, config)
        .with_wakeup(db.store.wakeup(Topic::Deadlines));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(scheduler.run(async move {
        let _ = stopped.await;
    }));
    let first_start = db.server_started().await;
    let halfway = first_due + chrono::Duration::milliseconds(span_ms / 2);
    tokio::time::sleep((halfway - Utc::now()).to_std().unwrap_or(Duration::ZERO)).await;
    let fired_before = db.effect_count().await;
    let down_from = Utc::now();
    let outage = tokio::task::block_in_place(|| cluster.restart(outage()));
    let up_at = Utc::now();
    let second_start = db.server_started().await;
    assert!(second_start > first_start, "the server restarted");
    let total = i64::try_from(count).unwrap();
    let waited = tokio::time::timeout(Duration::from_secs(180), async {
        while db.effect_count().await < total || db.store.next_deadline().await.ok() != Some(None) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let _ = stop.send(());
    let stats = run.await.unwrap();
    assert!(
        waited.is_ok(),
        "every deadline fired within 180 s of the restart: {stats:?}"
    );
    let effects = db.effects().await;
    let wrong: Vec<(&String, &usize)> = effects
        .iter()
        .filter(|(id, n)| !due.contains_key(*id) || **n != 1)
        .collect();
    assert!(wrong.is_empty(), "effects not exactly once: {wrong:?}");
    assert_eq!(
        effects.len(),
        count,
        "every deadline's effect is in the log"
    );
    let recorded = db.recorded_at().await;
    let lateness = |range: &dyn Fn(DateTime<Utc>) -> bool| {
        let mut late: Vec<f64> = due
            .iter()
            .filter(|(_, at)| range(**at))
            .map(|(id, at)| (recorded[id] - *at).num_microseconds().unwrap() as f64 / 1000.0)
            .collect();
        late.sort_by(f64::total_cmp);
        late
    };
    let before = lateness(&|at| at < down_from);
    let during = lateness(&|at| at >= down_from && at <= up_at);
    let after = lateness(&|at| at > up_at);
    assert!(
        !during.is_empty(),
        "deadlines came due while the server was down"
    );
    let max = |late: &[f64]| late.last().copied().unwrap_or(0.0);
    let median = |late: &[f64]| late.get(late.len() / 2).copied().unwrap_or(0.0);
    eprintln!(
        "faults: {count} deadlines due over {} s, {fired_before} fired when PostgreSQL was \
         stopped (fast) halfway, unavailable {:.1} s; lateness max (median): {} due before the \
         stop {:.0} ms ({:.1} ms), {} due while it was down {:.0} ms ({:.0} ms), {} due after \
         it was back {:.0} ms ({:.1} ms); each effect exactly once; scheduler {stats:?}",
        span_ms / 1000,
        outage.as_secs_f64(),
        before.len(),
        max(&before),
        median(&before),
        during.len(),
        max(&during),
        median(&during),
        after.len(),
        max(&after),
        median(&after),
    );
    db.drop().await;
}

/// Wake-ups between processes resume after a restart: the restart terminates a store's
/// `LISTEN` connection, and once the server is back another store's commits wake it again,
/// as they did before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wakeups_resume_after_a_postgres_restart() {
    let Some(cluster) = PrivateCluster::start("wakeups") else {
        return;
    };
    let db = Database::create_at(cluster.url("postgres"), "wakeups").await;
    // Two stores, as two processes have: one listens, the other commits.
    let listener = athlos_store::connect(&db.url).await.unwrap();
    let mut wakeup = listener.wakeup(Topic::Jobs);
    let limit = Duration::from_secs(60);
    let before = woken_by(&mut wakeup, &db.store, limit).await;
    assert!(
        before.is_some(),
        "another store's commit wakes the listener before the restart"
    );
    let outage = tokio::task::block_in_place(|| cluster.restart(outage()));
    let after = woken_by(&mut wakeup, &db.store, limit).await;
    assert!(
        after.is_some(),
        "another store's commit wakes the listener within {limit:?} after the restart"
    );
    eprintln!(
        "faults: PostgreSQL unavailable {:.1} s; another store's commit woke the listener \
         {:.2} s after the start (before the restart: {:.2} s)",
        outage.as_secs_f64(),
        after.unwrap_or_default().as_secs_f64(),
        before.unwrap_or_default().as_secs_f64(),
    );
    listener.close().await;
    db.drop().await;
}

/// Enqueues a job through `other`, again and again, until `wakeup` resolves within a second of
/// one of those commits with nothing pending before it (a reconnection wakes everyone): how
/// long that took, or `None` after `limit`.
async fn woken_by(wakeup: &mut Wakeup, other: &AnyStore, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        while tokio::time::timeout(Duration::from_millis(200), wakeup.wait())
            .await
            .is_ok()
        {}
        let probe = NewJob::new("probe", serde_json::json!({}), Utc::now());
        let committed = other
            .commit(Commit {
                jobs: vec![probe],
                ..Commit::default()
            })
            .await;
        if committed.is_ok()
            && tokio::time::timeout(Duration::from_secs(1), wakeup.wait())
                .await
                .is_ok()
        {
            return Some(start.elapsed());
        }
    }
    None
}
