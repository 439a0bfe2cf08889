//! What the service layer persists, as async traits, and an in-memory implementation.
//!
//! The traits are the one contract the storage adapters implement (SQLite and PostgreSQL in
//! `athlos-store`); [`MemoryStore`] implements them here for tests and embedding. The core
//! picks no async runtime: the traits use `async-trait` and the memory store never waits.
//!
//! # Aggregates and optimistic concurrency
//!
//! Aggregates (defined in their domain modules: [`competition`](crate::competition),
//! [`tournament`](crate::tournament), [`draft`](crate::draft)) are JSON documents with a version ([`Stored`]): [`Competition`]s (an "event" in
//! the HTTP API), [`Division`]s with their participants, rules, lifecycle state, live bracket
//! (matches and results) and version [`History`](crate::version::History) (versions, tags and the tag reflog),
//! [`Tournament`]s with their entries, rules, state, bracket and round, and [`DraftRecord`]s (a
//! fantasy [`Draft`](crate::draft::Draft) with who may act on it), and the accounts of
//! [`account`](crate::account): [`User`]s, the [`UsernameClaim`] that keeps a username to one
//! account, and browser [`Session`]s; and each tournament's [`TournamentChat`]. Bracket snapshots are
//! content blobs addressed by their hash. Every change goes through [`Store::commit`]: a
//! [`Commit`] holds aggregate writes, each with the version it expects (`None`: the aggregate
//! must not exist yet), blobs, the events to append to the log, and the jobs and deadlines the
//! change schedules. The commit is all or
//! nothing: if any expected version differs, it fails with [`StoreError::Conflict`] and
//! changes nothing, so no update is ever lost. [`Store::delete`] removes an aggregate the same
//! way: at an expected version, together with the events that record it.
//!
//! # Event log, jobs and deadlines
//!
//! The event log is append-only with a global sequence from 1 that doubles as the outbox.
//! Each event concerns its aggregate and, for a division, that division's competition
//! ([`audience`]); a [`LogFollower`] reads the log in order with each event's [`Audience`].
//! [`JobStore`] (a queue with leases, retries and idempotency keys) and [`DeadlineStore`]
//! (due times claimed by schedulers, fenced by a sequence) are defined here for the issues
//! that use them; a commit can complete jobs and act on deadlines atomically with its writes.
//!
//! # Shared stores
//!
//! A store behind an [`Arc`](std::sync::Arc) or a [`Box`] is a store too, `Arc<dyn Store>`
//! included: every call goes to the store within, its own [`JobStore::parallel_writes`] (how
//! many claims a worker keeps under way) and [`JobStore::wakeup`] (hints that something
//! changed, by [`Topic`]) among them.

mod audience;
pub(crate) mod error;
mod forward;
mod jobs;
mod memory;
pub mod runs;
mod wakeup;
mod webhooks;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::account::{SecretHash, Session, User, Username, UsernameClaim};
use crate::chat::TournamentChat;
use crate::competition::{Competition, Division};
use crate::draft::DraftRecord;
use crate::event::Event;
use crate::id::{CompetitionId, DivisionId, DraftId, TournamentId, UserId};
use crate::lifecycle::{DraftState, TournamentState};
use crate::tournament::Tournament;
use crate::version::ContentHash;

pub use audience::{audience, AddressedEvent, Audience, AudienceCache, LogFollower};
pub use error::StoreError;
pub use jobs::{
    Backoff, CompletedAndClaimed, Deadline, DeadlineKey, Job, JobId, JobState, NewJob, QueueStat,
};
pub use memory::{MemorySnapshot, MemoryStore};
pub use runs::{
    CancelOutcome, Cancellation, CompletedRun, Run, RunFilter, RunStatus, SnapshotEntry,
    SnapshotIndex,
};
pub use wakeup::{Topic, WakeSource, Wakeup};
pub use webhooks::{
    delivery_job, retry_job, Attempt, AttemptDecision, AttemptOutcome, AttemptRun, Circuit,
    Delivery, DeliveryPolicy, DeliveryState, NewDelivery, NewWebhook, Recorded, RecordedRun,
    RunAttempt, RunDecision, SendFailure, Webhook, WebhookPatch, DELIVERY_ATTEMPTS,
    DELIVERY_WINDOW, DELIVER_WEBHOOK,
};

/// A document with the version it was stored at (1 after creation, +1 per write).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stored<T> {
    /// The version.
    pub version: u64,
    /// The document.
    pub value: T,
}

/// Names an aggregate (in conflicts and the event log).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AggregateRef {
    /// A competition.
    Competition(CompetitionId),
    /// A division.
    Division(DivisionId),
    /// A tournament.
    Tournament(TournamentId),
    /// A fantasy draft.
    Draft(DraftId),
    /// A user account.
    User(UserId),
    /// The claim of a username, by the username folded to lower case.
    Username(Username),
    /// A browser session, by the hash of its id.
    Session(SecretHash),
    /// The chat of a tournament (its events concern the tournament too).
    Chat(TournamentId),
}

impl std::fmt::Display for AggregateRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AggregateRef::Competition(id) => write!(f, "competition:{id}"),
            AggregateRef::Division(id) => write!(f, "division:{id}"),
            AggregateRef::Tournament(id) => write!(f, "tournament:{id}"),
            AggregateRef::Draft(id) => write!(f, "draft:{id}"),
            AggregateRef::User(id) => write!(f, "user:{id}"),
            AggregateRef::Username(name) => write!(f, "username:{name}"),
            AggregateRef::Session(key) => write!(f, "session:{key}"),
            AggregateRef::Chat(id) => write!(f, "chat:{id}"),
        }
    }
}

/// One aggregate write of a [`Commit`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Write {
    /// Store a competition.
    Competition {
        /// The new document.
        value: Competition,
        /// The version it must be at now (`None`: must not exist).
        expected: Option<u64>,
    },
    /// Store a division.
    Division {
        /// The new document.
        value: Division,
        /// The version it must be at now.
        expected: Option<u64>,
    },
    /// Store a tournament.
    Tournament {
        /// The new document.
        value: Tournament,
        /// The version it must be at now.
        expected: Option<u64>,
    },
    /// Store a draft.
    Draft {
        /// The new document.
        value: Box<DraftRecord>,
        /// The version it must be at now.
        expected: Option<u64>,
    },
    /// Store a user account.
    User {
        /// The new document.
        value: Box<User>,
        /// The version it must be at now.
        expected: Option<u64>,
    },
    /// Store the claim of a username (created once, with its account).
    UsernameClaim {
        /// The new document.
        value: UsernameClaim,
        /// The version it must be at now.
        expected: Option<u64>,
    },
    /// Store a browser session.
    Session {
        /// The new document.
        value: Session,
        /// The version it must be at now.
        expected: Option<u64>,
    },
    /// Store a tournament's chat.
    Chat {
        /// The new document.
        value: Box<TournamentChat>,
        /// The version it must be at now.
        expected: Option<u64>,
    },
}

impl Write {
    /// The aggregate written.
    pub fn aggregate(&self) -> AggregateRef {
        match self {
            Write::Competition { value, .. } => AggregateRef::Competition(value.id.clone()),
            Write::Division { value, .. } => AggregateRef::Division(value.id.clone()),
            Write::Tournament { value, .. } => AggregateRef::Tournament(value.id.clone()),
            Write::Draft { value, .. } => AggregateRef::Draft(value.id().clone()),
            Write::User { value, .. } => AggregateRef::User(value.id.clone()),
            Write::UsernameClaim { value, .. } => AggregateRef::Username(value.username.clone()),
            Write::Session { value, .. } => AggregateRef::Session(value.key.clone()),
            Write::Chat { value, .. } => AggregateRef::Chat(value.tournament.clone()),
        }
    }

    /// The version expected.
    pub fn expected(&self) -> Option<u64> {
        match self {
            Write::Competition { expected, .. }
            | Write::Division { expected, .. }
            | Write::Tournament { expected, .. }
            | Write::Draft { expected, .. }
            | Write::User { expected, .. }
            | Write::UsernameClaim { expected, .. }
            | Write::Session { expected, .. }
            | Write::Chat { expected, .. } => *expected,
        }
    }
}

/// A unit of change: writes, blobs and events, applied together or not at all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Commit {
    /// Aggregate writes with their expected versions.
    pub writes: Vec<Write>,
    /// Content blobs (stored under their hash; storing one twice is harmless).
    pub blobs: Vec<(ContentHash, Vec<u8>)>,
    /// Events to append, with the aggregate each concerns, in order.
    pub events: Vec<(AggregateRef, Event)>,
    /// Jobs to enqueue with the change (idempotency keys apply as in [`JobStore::enqueue`]).
    pub jobs: Vec<NewJob>,
    /// Deadlines to set or re-arm with the change.
    pub deadlines: Vec<Deadline>,
    /// Deadlines to remove with the change.
    pub cleared_deadlines: Vec<DeadlineKey>,
    /// Deadlines this change acts on (fencing): each must still be stored with the same
    /// sequence, else the commit fails with [`StoreError::DeadlineMoved`] and changes
    /// nothing; each is removed unless `deadlines` re-arms its key in the same commit (give
    /// a re-armed deadline a new sequence, so a stale claim of the old one cannot act).
    pub fired_deadlines: Vec<Deadline>,
    /// Jobs this change completes, each with the worker holding its lease: the effect of a
    /// job and its completion commit together. A lease no longer held fails the commit with
    /// [`StoreError::LeaseLost`] and changes nothing.
    pub completed_jobs: Vec<(JobId, String)>,
    /// Runs this change completes, as `completed_jobs` does, each recording its
    /// [`SnapshotIndex`] and finish time with the completion. A run whose cancellation was
    /// requested fails the commit with [`StoreError::RunCancelled`] and changes nothing (a
    /// job of `completed_jobs` too).
    pub completed_runs: Vec<CompletedRun>,
}

/// An event in the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoggedEvent {
    /// Global position in the log, from 1, without gaps.
    pub sequence: u64,
    /// The aggregate concerned.
    pub aggregate: AggregateRef,
    /// The event.
    pub event: Event,
}

/// What a successful commit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The new version of each written aggregate, in write order.
    pub versions: Vec<u64>,
    /// The sequence numbers given to the events, in order.
    pub sequences: Vec<u64>,
}

/// Reading aggregates.
#[async_trait]
pub trait AggregateStore: Send + Sync {
    /// What a deleted aggregate left behind: its last document, kept so that its id stays
    /// reserved to its director (a new aggregate under the id would otherwise inherit the
    /// old one's log and webhook subscriptions). `None` when it was never deleted.
    ///
    /// # Errors
    /// [`StoreError::Backend`] when the storage fails.
    async fn tombstone(
        &self,
        aggregate: &AggregateRef,
    ) -> Result<Option<serde_json::Value>, StoreError>;

    /// The version of an aggregate as stored now, without reading its document: `None` when
    /// there is none. A read started after a commit returned sees that commit's version, so a
    /// document rendered at this version is what a full read would give (the read cache of
    /// the HTTP adapter relies on it).
    ///
    /// # Errors
    /// [`StoreError::Backend`] when the storage fails.
    async fn version(&self, aggregate: &AggregateRef) -> Result<Option<u64>, StoreError>;

    /// A competition.
    ///
    /// # Errors
    /// [`StoreError::Backend`] when the storage fails.
    async fn competition(
        &self,
        id: &CompetitionId,
    ) -> Result<Option<Stored<Competition>>, StoreError>;

    /// A division.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn division(&self, id: &DivisionId) -> Result<Option<Stored<Division>>, StoreError>;

    /// A tournament.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn tournament(&self, id: &TournamentId)
        -> Result<Option<Stored<Tournament>>, StoreError>;

    /// Tournaments, by id, optionally only those in `state`, paged.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn tournaments(
        &self,
        state: Option<TournamentState>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Stored<Tournament>>, StoreError>;

    /// Competitions, by id, paged.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn competitions(
        &self,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Stored<Competition>>, StoreError>;

    /// A draft.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn draft(&self, id: &DraftId) -> Result<Option<Stored<DraftRecord>>, StoreError>;

    /// Drafts, by id, optionally only those in `state`, paged.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn drafts(
        &self,
        state: Option<DraftState>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Stored<DraftRecord>>, StoreError>;

    /// A user account.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn user(&self, id: &UserId) -> Result<Option<Stored<User>>, StoreError>;

    /// The claim of a username, by the username folded to lower case
    /// ([`Username::folded`]).
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn username_claim(
        &self,
        folded: &Username,
    ) -> Result<Option<Stored<UsernameClaim>>, StoreError>;

    /// A browser session, by the hash of its id.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn session(&self, key: &SecretHash) -> Result<Option<Stored<Session>>, StoreError>;

    /// The chat of a tournament (`None` until its first message).
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn chat(
        &self,
        tournament: &TournamentId,
    ) -> Result<Option<Stored<TournamentChat>>, StoreError>;
}

/// Content blobs by hash.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// The blob stored under `hash`.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn blob(&self, hash: &ContentHash) -> Result<Option<Vec<u8>>, StoreError>;
}

/// Reading the append-only event log.
#[async_trait]
pub trait EventLog: Send + Sync {
    /// Up to `limit` events with a sequence greater than `after`, in order.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn events_after(&self, after: u64, limit: usize) -> Result<Vec<LoggedEvent>, StoreError>;

    /// The sequence of the last event in the log (0 when empty).
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn last_sequence(&self) -> Result<u64, StoreError>;
}

/// The job queue: `queued → running → succeeded | failed → dead`.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Enqueues a job; a job with the same idempotency key is returned instead of a new one.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn enqueue(&self, job: NewJob) -> Result<Job, StoreError>;

    /// Claims up to `limit` jobs due at `now` (queued, failed and due for retry, or running
    /// with an expired lease and no cancellation requested), oldest first, leasing them to
    /// `worker` until `lease_until`; each claimed job's `started_at` is `now`.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn claim(
        &self,
        worker: &str,
        now: chrono::DateTime<chrono::Utc>,
        lease_until: chrono::DateTime<chrono::Utc>,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError>;

    /// Marks a leased job succeeded (cancelled when its cancellation was requested).
    ///
    /// # Errors
    /// [`StoreError::UnknownJob`], [`StoreError::LeaseLost`] when `worker` no longer holds it.
    async fn complete(&self, id: JobId, worker: &str) -> Result<Job, StoreError>;

    /// Marks a leased job failed at `now`: retried at `retry_at` while attempts remain, else
    /// dead; cancelled when its cancellation was requested. A job that ends (dead or
    /// cancelled) is finished at `now`.
    ///
    /// # Errors
    /// [`StoreError::UnknownJob`], [`StoreError::LeaseLost`].
    async fn fail(
        &self,
        id: JobId,
        worker: &str,
        error: String,
        retry_at: chrono::DateTime<chrono::Utc>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Job, StoreError>;

    /// A job by id.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn job(&self, id: JobId) -> Result<Option<Job>, StoreError>;

    /// The job enqueued under an idempotency key, if any (a read: nothing is enqueued).
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn job_by_key(&self, key: &str) -> Result<Option<Job>, StoreError>;

    /// Jobs by id, optionally only those in `state`, with an id greater than `after`.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn jobs(
        &self,
        state: Option<JobState>,
        after: Option<JobId>,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError>;

    /// Runs (jobs seen as runs, [`runs`]) that `filter` matches, by id, with an id greater
    /// than `after`.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn runs(
        &self,
        filter: &RunFilter,
        after: Option<JobId>,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError>;

    /// Asks to cancel run `id` at `now`, as [`runs::CANCEL_RULES`] decide: a queued run is
    /// cancelled at once (finished at `now`), a running one is marked `cancel_requested`
    /// (its worker stops at its next checkpoint), a finished one is left as it is.
    ///
    /// # Errors
    /// [`StoreError::UnknownJob`], [`StoreError::Backend`].
    async fn request_cancel(
        &self,
        id: JobId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Cancellation, StoreError>;

    /// Ends as cancelled, finished at `now`, every running run whose cancellation was
    /// requested and whose lease ran out by `now` (its worker died before its next
    /// checkpoint: no claim takes such a run again, and its effect was never committed);
    /// returns them, by id. Workers call it about once a lease.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn sweep_cancelled(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<Job>, StoreError>;

    /// Extends the lease `worker` holds on a running job until `lease_until`. The job
    /// returned shows whether its cancellation was requested (a checkpoint of its worker).
    ///
    /// # Errors
    /// [`StoreError::UnknownJob`], [`StoreError::LeaseLost`] when `worker` no longer holds it.
    async fn heartbeat(
        &self,
        id: JobId,
        worker: &str,
        lease_until: chrono::DateTime<chrono::Utc>,
    ) -> Result<Job, StoreError>;

    /// Marks several leased jobs succeeded in one round trip; returns the ids `worker`
    /// completed: now, or before (in a commit with their effect, [`Commit::completed_jobs`]).
    /// Those whose lease `worker` no longer held are left out.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn complete_all(&self, ids: &[JobId], worker: &str) -> Result<Vec<JobId>, StoreError>;

    /// Gives a leased job back without counting the attempt (a worker shutting down before
    /// or while running it): it is due again at once, or cancelled when its cancellation was
    /// requested.
    ///
    /// # Errors
    /// [`StoreError::UnknownJob`], [`StoreError::LeaseLost`].
    async fn release(&self, id: JobId, worker: &str) -> Result<Job, StoreError>;

    /// Requeues a dead job (an operator's decision): queued at `run_at` with its attempts
    /// reset, its last error kept.
    ///
    /// # Errors
    /// [`StoreError::UnknownJob`], [`StoreError::JobNotDead`].
    async fn requeue(
        &self,
        id: JobId,
        run_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Job, StoreError>;

    /// [`JobStore::claim`] limited to jobs whose kind is one of `kinds` (none: nothing is
    /// claimed), so that workers with different handlers share one queue without taking each
    /// other's jobs.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn claim_kinds(
        &self,
        worker: &str,
        kinds: &[String],
        now: chrono::DateTime<chrono::Utc>,
        lease_until: chrono::DateTime<chrono::Utc>,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError>;

    /// Completes the jobs in `done` as [`JobStore::complete_all`] does, then claims up to
    /// `limit` jobs due at `now` as [`JobStore::claim`] does (only of `kinds` when given, as
    /// [`JobStore::claim_kinds`]): a worker whose jobs finished hands them in and takes as
    /// many new ones in one call.
    ///
    /// The effect is that of the two calls one after the other: a job completed here is not
    /// claimed again, and one in `done` that another worker holds is neither completed nor
    /// protected from this claim. The stores of this workspace do both in one round trip and
    /// one transaction; this default makes the two calls (two round trips), so a failed claim
    /// leaves the completion done although it returns the error.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn complete_and_claim(
        &self,
        done: &[JobId],
        worker: &str,
        kinds: Option<&[String]>,
        now: chrono::DateTime<chrono::Utc>,
        lease_until: chrono::DateTime<chrono::Utc>,
        limit: usize,
    ) -> Result<CompletedAndClaimed, StoreError> {
        let mut completed = if done.is_empty() {
            Vec::new()
        } else {
            self.complete_all(done, worker).await?
        };
        completed.sort();
        let claimed = match kinds {
            Some(kinds) => {
                self.claim_kinds(worker, kinds, now, lease_until, limit)
                    .await?
            }
            None => self.claim(worker, now, lease_until, limit).await?,
        };
        Ok(CompletedAndClaimed { completed, claimed })
    }

    /// Jobs counted by kind and state, with those due at `now` and the earliest due
    /// `run_at`, ordered by kind then state.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn queue_stats(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<QueueStat>, StoreError>;

    /// Whether writes (claims above all) run side by side rather than one at a time: a
    /// worker then keeps several claims of free slots under way. `false` by default (one
    /// writer, as SQLite or a store behind one lock).
    fn parallel_writes(&self) -> bool {
        false
    }

    /// A wake-up for `topic`, resolving after this store's commits that change it (in this
    /// process, or in others sharing the database), so that consumers of the log, the queue
    /// and the deadlines need not poll tightly. `None` by default: consumers poll.
    fn wakeup(&self, topic: Topic) -> Option<Wakeup> {
        let _ = topic;
        None
    }
}

/// Deadlines (pick clocks, round timers) claimed by a scheduler.
#[async_trait]
pub trait DeadlineStore: Send + Sync {
    /// Sets (or re-arms) a deadline.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn set_deadline(&self, deadline: Deadline) -> Result<(), StoreError>;

    /// Removes a deadline; absent is fine.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn clear_deadline(&self, key: &DeadlineKey) -> Result<(), StoreError>;

    /// Up to `limit` deadlines due at `now`, earliest first (ties by key).
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn due_deadlines(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: usize,
    ) -> Result<Vec<Deadline>, StoreError>;

    /// A deadline by key.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn deadline(&self, key: &DeadlineKey) -> Result<Option<Deadline>, StoreError>;

    /// Claims up to `limit` deadlines due at `now` for `scheduler` until `claim_until`,
    /// earliest first (ties by key). A claimed deadline is not claimed again until its claim
    /// expires, so several schedulers share the work; a scheduler that dies leaves its claims
    /// to expire. Act on a claimed deadline with a [`Commit`] that lists it in
    /// [`Commit::fired_deadlines`]: the sequence fences a stale claim out.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn claim_deadlines(
        &self,
        scheduler: &str,
        now: chrono::DateTime<chrono::Utc>,
        claim_until: chrono::DateTime<chrono::Utc>,
        limit: usize,
    ) -> Result<Vec<Deadline>, StoreError>;

    /// The earliest instant a deadline may be claimed: the earliest due time of unclaimed
    /// deadlines or the earliest claim expiry, `None` without deadlines.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn next_deadline(&self) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError>;
}

/// Everything the service layer needs, plus the atomic commit.
#[async_trait]
pub trait Store:
    AggregateStore + BlobStore + EventLog + JobStore + DeadlineStore + WebhookStore
{
    /// Applies a [`Commit`] atomically.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when an expected version differs,
    /// [`StoreError::DeadlineMoved`] when a fired deadline changed, [`StoreError::LeaseLost`]
    /// when a completed job's lease is gone (nothing is applied in each case);
    /// [`StoreError::Backend`].
    async fn commit(&self, commit: Commit) -> Result<Receipt, StoreError>;

    /// Deletes `aggregate`, which must be at version `expected`, with its deadlines, and
    /// appends `events` (what the deletion means, e.g. `tournament.deleted`), atomically.
    /// The receipt has no versions and the events' sequences. Deleting a competition does
    /// not delete its divisions: that is the caller's decision.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the aggregate is at another version or absent (`found`
    /// is `None`); nothing is applied then. [`StoreError::Backend`].
    async fn delete(
        &self,
        aggregate: &AggregateRef,
        expected: u64,
        events: Vec<(AggregateRef, Event)>,
    ) -> Result<Receipt, StoreError>;
}

/// Webhook subscriptions and deliveries (see the module `webhooks` notes on the pump).
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Creates a subscription; its `after` is the log's last sequence at that moment.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn create_webhook(&self, webhook: NewWebhook) -> Result<Webhook, StoreError>;

    /// A subscription by id.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn webhook(&self, id: u64) -> Result<Option<Webhook>, StoreError>;

    /// Subscriptions by id, only those of `scope` when given.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn webhooks(&self, scope: Option<&AggregateRef>) -> Result<Vec<Webhook>, StoreError>;

    /// Changes a subscription; `None` when there is none with this id.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn update_webhook(
        &self,
        id: u64,
        patch: WebhookPatch,
    ) -> Result<Option<Webhook>, StoreError>;

    /// Deletes a subscription and its deliveries; whether it existed. A job still queued
    /// for one of its deliveries finds nothing to send.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn delete_webhook(&self, id: u64) -> Result<bool, StoreError>;

    /// The log sequence up to which the dispatcher has recorded deliveries (0 at first).
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn webhook_cursor(&self) -> Result<u64, StoreError>;

    /// Moves the dispatcher's cursor from `from` to `to` and records `deliveries` (pending),
    /// then pumps each subscription concerned, enqueueing the job of its next delivery; all
    /// in one transaction. Returns `false` and changes nothing when the cursor is no longer
    /// at `from` (another dispatcher moved it). A delivery already recorded for the same
    /// subscription and sequence is left as it is.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn record_deliveries(
        &self,
        from: u64,
        to: u64,
        deliveries: Vec<NewDelivery>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError>;

    /// A delivery by id.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn delivery(&self, id: u64) -> Result<Option<Delivery>, StoreError>;

    /// Deliveries of subscription `webhook` by id, only those in `state` when given, with
    /// an id greater than `after`.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn deliveries(
        &self,
        webhook: u64,
        state: Option<DeliveryState>,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError>;

    /// Starts an attempt of delivery `id` by job `job`, before it is sent: marks it
    /// `in_flight`, and `possibly_sent` when it already was (an attempt whose worker stopped
    /// before recording its outcome may have reached the receiver). `None` (and no change)
    /// when the delivery is gone or no longer `sending` by that job (a stale job: send
    /// nothing). This default marks nothing; the stores of this workspace mark.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn start_attempt(
        &self,
        id: u64,
        job: JobId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<Delivery>, StoreError> {
        let _ = now;
        Ok(self
            .delivery(id)
            .await?
            .filter(|d| d.state == DeliveryState::Sending && d.job == Some(job)))
    }

    /// Records an attempt of delivery `id` by job `job`: counts it, clears `in_flight`, keeps
    /// the status and error, and moves it to `outcome.state`; when that is final (succeeded or
    /// dead) the subscription's next delivery is pumped in the same transaction (its job due
    /// at the next probe when the subscription's circuit is open). The circuit is left as
    /// it is: the sweep of stranded deliveries records with this; senders use
    /// [`WebhookStore::record_attempt`]. `None` (and
    /// no change) when the delivery is gone or no longer `sending` by that job (a stale job).
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn finish_delivery(
        &self,
        id: u64,
        job: JobId,
        outcome: AttemptOutcome,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<Delivery>, StoreError>;

    /// Records attempt `attempt.number` of delivery `id` by job `job`: the run of one
    /// attempt ([`WebhookStore::record_attempts`]) that takes at most one next delivery (with
    /// `attempt.chain`). `None` (and no change) as there.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn record_attempt(
        &self,
        id: u64,
        job: JobId,
        attempt: Attempt,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<Recorded>, StoreError> {
        let run = AttemptRun {
            webhook: attempt.webhook,
            attempts: vec![RunAttempt {
                delivery: id,
                number: attempt.number,
                sent: attempt.sent,
            }],
            policy: attempt.policy,
            take: usize::from(attempt.chain),
        };
        let Some(recorded) = self.record_attempts(job, run, now).await? else {
            return Ok(None);
        };
        let Some(delivery) = recorded.deliveries.into_iter().next() else {
            return Ok(None);
        };
        Ok(Some(Recorded {
            delivery,
            webhook: recorded.webhook,
            opened: recorded.opened,
            next: recorded.next.into_iter().next(),
        }))
    }

    /// Records a run of attempts job `job` made of consecutive deliveries of subscription
    /// `run.webhook`, in one transaction. [`DeliveryPolicy::decide_run`] rules on them from
    /// the subscription's [`Circuit`], which is updated; each delivery recorded is counted, its
    /// `in_flight` cleared, its status and error kept, and it is marked `possibly_sent` when
    /// its attempt failed after the request may have arrived
    /// ([`AttemptOutcome::possibly_sent`]). The deliveries the job held and did not record
    /// (after a failure) go back in line (`pending`, not in flight). A retry (`sending`) gets a
    /// new job due at the retry time ([`retry_job`], the next attempt's number), and this job
    /// leaves the line. Otherwise the line moves on: with `run.take` and the circuit closed,
    /// up to `run.take` of the subscription's next deliveries become `sending` by this same
    /// job, marked in flight, and are returned in [`RecordedRun::next`] to send at once;
    /// otherwise the next delivery gets a new job (due at the next probe when the circuit is
    /// open). `None` (and no change) when the run is empty, or a delivery of it is gone, no
    /// longer `sending` by that job, or not of `run.webhook` (a stale job).
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn record_attempts(
        &self,
        job: JobId,
        run: AttemptRun,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<RecordedRun>, StoreError>;

    /// Puts deliveries of subscription `webhook` back in line for another round: delivery
    /// `delivery` when given (if succeeded or dead), else every dead letter of the
    /// subscription; then pumps. Returns the deliveries put back, by id.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn redeliver(
        &self,
        webhook: u64,
        delivery: Option<u64>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<Delivery>, StoreError>;
}
