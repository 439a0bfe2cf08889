//! Opening each store for a test, and removing what it left behind.

#![allow(dead_code)]

pub mod cluster;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use athlos_core::error::StoreError;
use athlos_core::store::{Job, JobId, JobState, JobStore, MemoryStore, NewJob, QueueStat};
use athlos_store::testing::Fixture;
use athlos_store::AnyStore;
use chrono::{DateTime, Utc};
use sqlx::Connection;

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// What to remove after a test.
pub enum Cleanup {
    Nothing,
    Files(Vec<PathBuf>),
    Database { admin_url: String, name: String },
}

impl Cleanup {
    pub async fn finish(self) {
        match self {
            Cleanup::Nothing => {}
            Cleanup::Files(files) => {
                for file in files {
                    let _ = std::fs::remove_file(file);
                }
            }
            Cleanup::Database { admin_url, name } => {
                let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
                sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut admin)
                    .await
                    .unwrap();
            }
        }
    }
}

fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}_{}_{n}_{nanos}", std::process::id())
}

pub async fn open_memory() -> Option<Fixture<MemoryStore>> {
    Some(Fixture::new(MemoryStore::new()))
}

pub async fn open_sqlite() -> Option<Fixture<AnyStore>> {
    let (store, cleanup) = sqlite().await;
    Some(Fixture::new(store).with_cleanup(cleanup.finish()))
}

pub async fn open_postgres() -> Option<Fixture<AnyStore>> {
    let (store, cleanup) = postgres().await?;
    Some(Fixture::new(store).with_cleanup(cleanup.finish()))
}

/// A SQLite store in a temporary file.
pub async fn sqlite() -> (AnyStore, Cleanup) {
    let path = std::env::temp_dir().join(format!("{}.db", unique("athlos_store_test")));
    let url = format!("sqlite://{}", path.display());
    let store = athlos_store::connect(&url).await.unwrap();
    store.ready().await.unwrap();
    assert_eq!(store.backend_name(), "sqlite");
    let files = ["", "-wal", "-shm"]
        .iter()
        .map(|suffix| PathBuf::from(format!("{}{suffix}", path.display())))
        .collect();
    (store, Cleanup::Files(files))
}

/// The URL of the test server, or `None` with a loud message (a failure under `CI=true`).
pub fn postgres_url() -> Option<String> {
    match std::env::var("ATHLOS_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but ATHLOS_TEST_DATABASE_URL is not set: the PostgreSQL conformance \
                 tests must run in CI"
            );
            eprintln!(
                "\n*** SKIPPED: PostgreSQL store tests (set ATHLOS_TEST_DATABASE_URL, e.g. \
                 postgres://postgres@127.0.0.1:5432/test) ***\n"
            );
            None
        }
    }
}

/// `url` pointing at database `name` instead.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

/// A PostgreSQL store in a fresh database of the test server, if one is configured.
pub async fn postgres() -> Option<(AnyStore, Cleanup)> {
    let admin_url = postgres_url()?;
    let name = unique("athlos_store_test");
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .expect("ATHLOS_TEST_DATABASE_URL must reach a PostgreSQL server");
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    let store = athlos_store::connect(&with_database(&admin_url, &name))
        .await
        .unwrap();
    store.ready().await.unwrap();
    assert_eq!(store.backend_name(), "postgres");
    Some((store, Cleanup::Database { admin_url, name }))
}

/// The memory store's job queue without its own `complete_and_claim`: the trait's default
/// (`complete_all`, then `claim` or `claim_kinds`) runs instead.
pub struct DefaultJobStore(pub MemoryStore);

#[async_trait::async_trait]
impl JobStore for DefaultJobStore {
    async fn enqueue(&self, job: NewJob) -> Result<Job, StoreError> {
        self.0.enqueue(job).await
    }

    async fn claim(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        self.0.claim(worker, now, lease_until, limit).await
    }

    async fn complete(&self, id: JobId, worker: &str) -> Result<Job, StoreError> {
        self.0.complete(id, worker).await
    }

    async fn fail(
        &self,
        id: JobId,
        worker: &str,
        error: String,
        retry_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Job, StoreError> {
        self.0.fail(id, worker, error, retry_at, now).await
    }

    async fn job(&self, id: JobId) -> Result<Option<Job>, StoreError> {
        self.0.job(id).await
    }

    async fn job_by_key(&self, key: &str) -> Result<Option<Job>, StoreError> {
        self.0.job_by_key(key).await
    }

    async fn jobs(
        &self,
        state: Option<JobState>,
        after: Option<JobId>,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        self.0.jobs(state, after, limit).await
    }

    async fn runs(
        &self,
        filter: &athlos_core::store::RunFilter,
        after: Option<JobId>,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        self.0.runs(filter, after, limit).await
    }
    async fn request_cancel(
        &self,
        id: JobId,
        now: DateTime<Utc>,
    ) -> Result<athlos_core::store::Cancellation, StoreError> {
        self.0.request_cancel(id, now).await
    }
    async fn sweep_cancelled(&self, now: DateTime<Utc>) -> Result<Vec<Job>, StoreError> {
        self.0.sweep_cancelled(now).await
    }

    async fn heartbeat(
        &self,
        id: JobId,
        worker: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<Job, StoreError> {
        self.0.heartbeat(id, worker, lease_until).await
    }

    async fn complete_all(&self, ids: &[JobId], worker: &str) -> Result<Vec<JobId>, StoreError> {
        self.0.complete_all(ids, worker).await
    }

    async fn release(&self, id: JobId, worker: &str) -> Result<Job, StoreError> {
        self.0.release(id, worker).await
    }

    async fn requeue(&self, id: JobId, run_at: DateTime<Utc>) -> Result<Job, StoreError> {
        self.0.requeue(id, run_at).await
    }

    async fn claim_kinds(
        &self,
        worker: &str,
        kinds: &[String],
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        self.0
            .claim_kinds(worker, kinds, now, lease_until, limit)
            .await
    }

    async fn queue_stats(&self, now: DateTime<Utc>) -> Result<Vec<QueueStat>, StoreError> {
        self.0.queue_stats(now).await
    }
}
