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
//! [`Worker`] runs jobs and [`Scheduler`] fires deadlines on top of any store.
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

mod codec;
mod postgres;
mod scheduler;
mod signals;
mod sqlite;
mod webhook_codec;
mod worker;

use std::sync::Arc;

use async_trait::async_trait;
use athlos_core::error::StoreError;
use athlos_core::event::Event;
use athlos_core::id::{CompetitionId, DivisionId, DraftId, TournamentId};
use athlos_core::lifecycle::{DraftState, TournamentState};
use athlos_core::store::{
    AggregateRef, AttemptOutcome, Delivery, DeliveryState, NewDelivery, NewWebhook, Webhook,
    WebhookPatch, WebhookStore,
};
use athlos_core::store::{
    AggregateStore, BlobStore, Commit, Competition, CompletedAndClaimed, Deadline, DeadlineKey,
    DeadlineStore, Division, DraftRecord, EventLog, Job, JobId, JobState, JobStore, LoggedEvent,
    NewJob, Receipt, Store, Stored, Tournament,
};
use athlos_core::version::ContentHash;
use chrono::{DateTime, Utc};

pub use scheduler::{DeadlineHandler, Scheduler, SchedulerConfig, SchedulerStats};
pub use signals::{Topic, Wakeup};
pub use worker::{JobHandler, Worker, WorkerConfig, WorkerStats};

use crate::postgres::PgStore;
use crate::signals::Signals;
use crate::sqlite::SqliteStore;

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
    let backend = if url.starts_with("sqlite:") {
        Backend::Sqlite(SqliteStore::connect(url).await?)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Backend::Postgres(PgStore::connect(url).await?)
    } else {
        return Err(OpenError::Url {
            url: url.to_owned(),
            reason: "expected sqlite://…, sqlite::memory: or postgres://…".to_owned(),
        });
    };
    let signals = match &backend {
        Backend::Sqlite(_) => Signals::local(),
        Backend::Postgres(pg) => Signals::postgres(pg.pool.clone()),
    };
    Ok(AnyStore {
        inner: Arc::new(Inner { backend, signals }),
    })
}

/// A SQLite or PostgreSQL store; clones share one connection pool.
#[derive(Debug, Clone)]
pub struct AnyStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    backend: Backend,
    signals: Signals,
}

#[derive(Debug)]
enum Backend {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

macro_rules! dispatch {
    ($self:ident, $store:ident => $call:expr) => {
        match &$self.inner.backend {
            Backend::Sqlite($store) => $call,
            Backend::Postgres($store) => $call,
        }
    };
}

impl AnyStore {
    /// `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        match &self.inner.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Whether the database answers and every migration is applied (for a readiness probe).
    ///
    /// # Errors
    /// [`StoreError::Backend`] naming what is wrong.
    pub async fn ready(&self) -> Result<(), StoreError> {
        dispatch!(self, s => s.ready().await)
    }

    /// A wake-up for `topic`: resolves after commits that append events ([`Topic::Events`]),
    /// enqueue or give back jobs ([`Topic::Jobs`]) or set deadlines ([`Topic::Deadlines`]).
    pub fn wakeup(&self, topic: Topic) -> Wakeup {
        self.inner.signals.subscribe(topic)
    }

    /// Closes the connections; later calls fail with [`StoreError::Backend`].
    pub async fn close(&self) {
        self.inner.signals.stop();
        dispatch!(self, s => s.close().await);
    }
}

/// Claimed jobs in claim order: higher priority first, then earlier run time, then id.
pub(crate) fn sort_claimed(jobs: &mut [Job]) {
    jobs.sort_by(|a, b| {
        b.priority
            .cmp(&a.priority)
            .then(a.run_at.cmp(&b.run_at))
            .then(a.id.cmp(&b.id))
    });
}

#[async_trait]
impl AggregateStore for AnyStore {
    async fn competition(
        &self,
        id: &CompetitionId,
    ) -> Result<Option<Stored<Competition>>, StoreError> {
        dispatch!(self, s => s.document(id.as_str()).await)
    }

    async fn division(&self, id: &DivisionId) -> Result<Option<Stored<Division>>, StoreError> {
        dispatch!(self, s => s.document(id.as_str()).await)
    }

    async fn tournament(
        &self,
        id: &TournamentId,
    ) -> Result<Option<Stored<Tournament>>, StoreError> {
        dispatch!(self, s => s.document(id.as_str()).await)
    }

    async fn tournaments(
        &self,
        state: Option<TournamentState>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Stored<Tournament>>, StoreError> {
        let state = codec::state_filter(state)?;
        dispatch!(self, s => s.in_state(state, limit, offset).await)
    }

    async fn competitions(
        &self,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Stored<Competition>>, StoreError> {
        dispatch!(self, s => s.documents(limit, offset).await)
    }

    async fn draft(&self, id: &DraftId) -> Result<Option<Stored<DraftRecord>>, StoreError> {
        dispatch!(self, s => s.document(id.as_str()).await)
    }

    async fn drafts(
        &self,
        state: Option<DraftState>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Stored<DraftRecord>>, StoreError> {
        let state = codec::state_filter(state)?;
        dispatch!(self, s => s.in_state(state, limit, offset).await)
    }
}

#[async_trait]
impl BlobStore for AnyStore {
    async fn blob(&self, hash: &ContentHash) -> Result<Option<Vec<u8>>, StoreError> {
        dispatch!(self, s => s.blob(hash).await)
    }
}

#[async_trait]
impl EventLog for AnyStore {
    async fn events_after(&self, after: u64, limit: usize) -> Result<Vec<LoggedEvent>, StoreError> {
        dispatch!(self, s => s.events_after(after, limit).await)
    }

    async fn last_sequence(&self) -> Result<u64, StoreError> {
        dispatch!(self, s => s.last_sequence().await)
    }
}

#[async_trait]
impl JobStore for AnyStore {
    async fn enqueue(&self, job: NewJob) -> Result<Job, StoreError> {
        let job = dispatch!(self, s => s.enqueue(job).await)?;
        self.inner.signals.wake(Topic::Jobs);
        Ok(job)
    }

    async fn claim(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        dispatch!(self, s => s.claim(worker, None, now, lease_until, limit).await)
    }

    async fn complete(&self, id: JobId, worker: &str) -> Result<Job, StoreError> {
        dispatch!(self, s => s.complete(id, worker).await)
    }

    async fn fail(
        &self,
        id: JobId,
        worker: &str,
        error: String,
        retry_at: DateTime<Utc>,
    ) -> Result<Job, StoreError> {
        dispatch!(self, s => s.fail(id, worker, error, retry_at).await)
    }

    async fn job(&self, id: JobId) -> Result<Option<Job>, StoreError> {
        dispatch!(self, s => s.job(id).await)
    }

    async fn job_by_key(&self, key: &str) -> Result<Option<Job>, StoreError> {
        dispatch!(self, s => s.job_by_key(key).await)
    }

    async fn jobs(
        &self,
        state: Option<JobState>,
        after: Option<JobId>,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        dispatch!(self, s => s.jobs(state, after, limit).await)
    }

    async fn heartbeat(
        &self,
        id: JobId,
        worker: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<Job, StoreError> {
        dispatch!(self, s => s.heartbeat(id, worker, lease_until).await)
    }

    async fn complete_all(&self, ids: &[JobId], worker: &str) -> Result<Vec<JobId>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        dispatch!(self, s => s.complete_all(ids, worker).await)
    }

    async fn complete_and_claim(
        &self,
        done: &[JobId],
        worker: &str,
        kinds: Option<&[String]>,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<CompletedAndClaimed, StoreError> {
        let limit = if kinds.is_some_and(<[String]>::is_empty) {
            0
        } else {
            limit
        };
        if done.is_empty() {
            let claimed = if limit == 0 {
                Vec::new()
            } else {
                dispatch!(self, s => s.claim(worker, kinds, now, lease_until, limit).await)?
            };
            return Ok(CompletedAndClaimed {
                completed: Vec::new(),
                claimed,
            });
        }
        dispatch!(self, s => s.complete_and_claim(done, worker, kinds, now, lease_until, limit).await)
    }

    async fn release(&self, id: JobId, worker: &str) -> Result<Job, StoreError> {
        let job = dispatch!(self, s => s.release(id, worker).await)?;
        self.inner.signals.wake(Topic::Jobs);
        Ok(job)
    }

    async fn requeue(&self, id: JobId, run_at: DateTime<Utc>) -> Result<Job, StoreError> {
        let job = dispatch!(self, s => s.requeue(id, run_at).await)?;
        self.inner.signals.wake(Topic::Jobs);
        Ok(job)
    }

    async fn claim_kinds(
        &self,
        worker: &str,
        kinds: &[String],
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        if kinds.is_empty() {
            return Ok(Vec::new());
        }
        dispatch!(self, s => s.claim(worker, Some(kinds), now, lease_until, limit).await)
    }

    async fn queue_stats(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<athlos_core::store::QueueStat>, StoreError> {
        dispatch!(self, s => s.queue_stats(now).await)
    }
}

#[async_trait]
impl DeadlineStore for AnyStore {
    async fn set_deadline(&self, deadline: Deadline) -> Result<(), StoreError> {
        dispatch!(self, s => s.set_deadline(deadline).await)?;
        self.inner.signals.wake(Topic::Deadlines);
        Ok(())
    }

    async fn clear_deadline(&self, key: &DeadlineKey) -> Result<(), StoreError> {
        dispatch!(self, s => s.clear_deadline(key).await)
    }

    async fn due_deadlines(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Deadline>, StoreError> {
        dispatch!(self, s => s.due_deadlines(now, limit).await)
    }

    async fn deadline(&self, key: &DeadlineKey) -> Result<Option<Deadline>, StoreError> {
        dispatch!(self, s => s.deadline(key).await)
    }

    async fn claim_deadlines(
        &self,
        scheduler: &str,
        now: DateTime<Utc>,
        claim_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Deadline>, StoreError> {
        dispatch!(self, s => s.claim_deadlines(scheduler, now, claim_until, limit).await)
    }

    async fn next_deadline(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        dispatch!(self, s => s.next_deadline().await)
    }
}

#[async_trait]
impl Store for AnyStore {
    async fn commit(&self, commit: Commit) -> Result<Receipt, StoreError> {
        let wake = [
            (Topic::Events, !commit.events.is_empty()),
            (Topic::Jobs, !commit.jobs.is_empty()),
            (Topic::Deadlines, !commit.deadlines.is_empty()),
        ];
        let receipt = dispatch!(self, s => s.commit(commit).await)?;
        for (topic, changed) in wake {
            if changed {
                self.inner.signals.wake(topic);
            }
        }
        Ok(receipt)
    }

    async fn delete(
        &self,
        aggregate: &AggregateRef,
        expected: u64,
        events: Vec<(AggregateRef, Event)>,
    ) -> Result<Receipt, StoreError> {
        let appends = !events.is_empty();
        let receipt = dispatch!(self, s => s.delete(aggregate, expected, events).await)?;
        if appends {
            self.inner.signals.wake(Topic::Events);
        }
        Ok(receipt)
    }
}

#[async_trait]
impl WebhookStore for AnyStore {
    async fn create_webhook(&self, webhook: NewWebhook) -> Result<Webhook, StoreError> {
        dispatch!(self, s => s.create_webhook(webhook).await)
    }

    async fn webhook(&self, id: u64) -> Result<Option<Webhook>, StoreError> {
        dispatch!(self, s => s.webhook(id).await)
    }

    async fn webhooks(&self, scope: Option<&AggregateRef>) -> Result<Vec<Webhook>, StoreError> {
        dispatch!(self, s => s.webhooks(scope).await)
    }

    async fn update_webhook(
        &self,
        id: u64,
        patch: WebhookPatch,
    ) -> Result<Option<Webhook>, StoreError> {
        dispatch!(self, s => s.update_webhook(id, patch).await)
    }

    async fn delete_webhook(&self, id: u64) -> Result<bool, StoreError> {
        dispatch!(self, s => s.delete_webhook(id).await)
    }

    async fn webhook_cursor(&self) -> Result<u64, StoreError> {
        dispatch!(self, s => s.webhook_cursor().await)
    }

    async fn record_deliveries(
        &self,
        from: u64,
        to: u64,
        deliveries: Vec<NewDelivery>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let wake = !deliveries.is_empty();
        let moved = dispatch!(self, s => s.record_deliveries(from, to, deliveries, now).await)?;
        if moved && wake {
            self.inner.signals.wake(Topic::Jobs);
        }
        Ok(moved)
    }

    async fn delivery(&self, id: u64) -> Result<Option<Delivery>, StoreError> {
        dispatch!(self, s => s.delivery(id).await)
    }

    async fn deliveries(
        &self,
        webhook: u64,
        state: Option<DeliveryState>,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        dispatch!(self, s => s.deliveries(webhook, state, after, limit).await)
    }

    async fn start_attempt(
        &self,
        id: u64,
        job: JobId,
        now: DateTime<Utc>,
    ) -> Result<Option<Delivery>, StoreError> {
        dispatch!(self, s => s.start_attempt(id, job, now).await)
    }

    async fn finish_delivery(
        &self,
        id: u64,
        job: JobId,
        outcome: AttemptOutcome,
        now: DateTime<Utc>,
    ) -> Result<Option<Delivery>, StoreError> {
        let done = dispatch!(self, s => s.finish_delivery(id, job, outcome, now).await)?;
        if done.is_some() {
            self.inner.signals.wake(Topic::Jobs);
        }
        Ok(done)
    }

    async fn redeliver(
        &self,
        webhook: u64,
        delivery: Option<u64>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Delivery>, StoreError> {
        let again = dispatch!(self, s => s.redeliver(webhook, delivery, now).await)?;
        if !again.is_empty() {
            self.inner.signals.wake(Topic::Jobs);
        }
        Ok(again)
    }
}
