//! SQLite and PostgreSQL storage for Athlos behind the core's store traits.
//!
//! [`connect`] opens a store from a URL (`sqlite://athlos.db`, `sqlite::memory:`,
//! `postgres://user@host/db`), creates a SQLite file on first use, and applies the embedded,
//! versioned migrations of its backend. The [`AnyStore`] it returns is cheap to clone and
//! implements [`athlos_core::store::Store`]: aggregates as JSON documents with optimistic
//! versions, content blobs by hash, a gapless event log that doubles as the outbox, a job
//! queue with leases, retries and idempotency keys, and deadlines claimed by schedulers.
//!
//! Consumers of the log, the queue and the deadlines wait on [`AnyStore::wakeup`] instead of
//! polling tightly: a commit in this process wakes them at once; on PostgreSQL a commit in
//! another process wakes them through a payload-free, debounced `NOTIFY`. A wake-up is only a
//! hint: the tables are the truth, so consumers also poll at a slow pace.
//!
//! [`Worker`] runs jobs and [`Scheduler`] fires deadlines on top of any store. Both read the
//! time from a [`Clock`] (the system's unless [`Worker::with_clock`] or
//! [`Scheduler::with_clock`] sets another): it decides what is due, leases, claims and retry
//! times. On a clock that moves when told (a
//! [`ManualClock`](athlos_core::clock::ManualClock)), a move wakes them, and nothing waits in
//! real time for a due time.
//!
//! # Effects exactly once
//!
//! The queue runs a job at least once: a job whose worker died (or stalled past its lease) is
//! claimed again when the lease runs out. A job's effect happens once when the job commits
//! it with its own completion: a [`Commit`] listing the job in
//! [`Commit::completed_jobs`] (with the worker holding the lease) applies only if the job is
//! still `running` under that worker and moves it to `succeeded` in the same transaction, on
//! both backends as in the core's memory store. A run killed before that commit wrote
//! nothing; one killed after it left a succeeded job that is never claimed again; a stale run
//! fails with [`StoreError::LeaseLost`] and writes nothing. [`JobStore::complete_all`] (the
//! worker's own completion afterwards) counts a job completed that way as completed.
//! Deadlines work alike: a [`Scheduler`] commits a deadline's effect with the deadline in
//! [`Commit::fired_deadlines`], fenced by its sequence, so a second firing fails with
//! [`StoreError::DeadlineMoved`]. Webhook deliveries leave the process: their outcome is
//! recorded once (a delivery is sent only while `sending` for its job), and a send whose
//! worker died before recording it is sent again with the same `webhook-id`, the delivery
//! marked `possibly_sent` (an attempt marks it in flight before sending,
//! [`WebhookStore::start_attempt`]) and the request `webhook-possibly-sent: true`.
//!
//! [`Clock`]: athlos_core::clock::Clock
//! [`Commit`]: athlos_core::store::Commit
//! [`Commit::completed_jobs`]: athlos_core::store::Commit::completed_jobs
//! [`Commit::fired_deadlines`]: athlos_core::store::Commit::fired_deadlines
//! [`JobStore::complete_all`]: athlos_core::store::JobStore::complete_all
//! [`WebhookStore::start_attempt`]: athlos_core::store::WebhookStore::start_attempt

mod aggregates;
mod codec;
mod deadlines;
mod dialect;
mod jobs;
mod scheduler;
mod signals;
#[cfg(feature = "testing")]
pub mod testing;
mod webhooks;
mod worker;

use std::sync::Arc;

use athlos_core::error::StoreError;

pub use athlos_core::store::{Topic, Wakeup};
pub use scheduler::{DeadlineHandler, Scheduler, SchedulerConfig, SchedulerStats};
pub use worker::{JobHandler, Worker, WorkerConfig, WorkerStats};

use crate::dialect::Db;

/// What the store's functions return.
type Result<T, E = StoreError> = std::result::Result<T, E>;
use crate::signals::Signals;

/// Why a store could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// A URL that names no supported backend or is malformed.
    #[error("invalid database URL {url:?}: {reason}")]
    Url {
        /// The URL.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// The database could not be reached or opened.
    #[error("cannot open the database: {reason}")]
    Connect {
        /// The driver's message.
        reason: String,
    },
    /// The migrations could not be applied.
    #[error("cannot apply the database migrations: {reason}")]
    Migrate {
        /// The driver's message.
        reason: String,
    },
}

/// Opens the store a URL names and applies its migrations.
///
/// - `sqlite://path/to/athlos.db` (created with its directory entry on first use, WAL mode),
///   `sqlite::memory:` (one connection, gone when the last clone is dropped);
/// - `postgres://user@host:port/database` (or `postgresql://`).
///
/// Must be called inside a tokio runtime: on PostgreSQL it starts the `LISTEN` task that
/// turns other processes' commits into wake-ups.
///
/// # Errors
/// [`OpenError::Url`] for an unknown scheme, [`OpenError::Connect`], [`OpenError::Migrate`].
pub async fn connect(url: &str) -> Result<AnyStore, OpenError> {
    let db = if url.starts_with("sqlite:") {
        Db::sqlite(url).await?
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Db::postgres(url).await?
    } else {
        return Err(OpenError::Url {
            url: url.to_owned(),
            reason: "expected sqlite://…, sqlite::memory: or postgres://…".to_owned(),
        });
    };
    let signals = match &db {
        Db::Sqlite { .. } => Signals::local(),
        Db::Postgres { pool, .. } => Signals::postgres(pool.clone()),
    };
    Ok(AnyStore {
        inner: Arc::new(Inner { db, signals }),
    })
}

/// A SQLite or PostgreSQL store; clones share one connection pool.
///
/// One implementation of the store traits serves both databases: the logic (commits with
/// expected versions, the job queue, deadlines, webhooks) is written once over a small
/// dialect layer that supplies what differs (statement texts where they differ, how times
/// and JSON are stored, `BEGIN IMMEDIATE` against `FOR UPDATE SKIP LOCKED`, in-process
/// wake-ups against `NOTIFY`).
#[derive(Debug, Clone)]
pub struct AnyStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    db: Db,
    signals: Signals,
}

impl AnyStore {
    /// `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        self.inner.db.name()
    }

    /// Whether the database answers and every migration is applied (for a readiness probe).
    ///
    /// # Errors
    /// [`StoreError::Backend`] naming what is wrong.
    pub async fn ready(&self) -> Result<()> {
        self.inner.db.ready().await
    }

    /// A wake-up for `topic`: resolves after commits that append events ([`Topic::Events`]),
    /// enqueue or give back jobs ([`Topic::Jobs`]) or set deadlines ([`Topic::Deadlines`]).
    /// The same as [`JobStore::wakeup`](athlos_core::store::JobStore::wakeup), never `None`.
    pub fn wakeup(&self, topic: Topic) -> Wakeup {
        self.inner.signals.subscribe(topic)
    }

    /// Closes the connections; later calls fail with [`StoreError::Backend`].
    pub async fn close(&self) {
        self.inner.signals.stop();
        self.inner.db.close().await;
    }

    fn db(&self) -> &Db {
        &self.inner.db
    }

    fn wake(&self, topic: Topic) {
        self.inner.signals.wake(topic);
    }
}
