//! Runs: the user-facing face of the job queue, with cancellation and snapshot indexes.
//!
//! # Design: a run is a job
//!
//! A run (generate a division's bracket, generate all of an event's brackets, replay a log,
//! simulate placements) is a [`Job`] seen through [`Run`], not a record of its own. The queue
//! already has what a run needs to be correct (one place that leases work, retries it,
//! recovers it from a dead worker, and completes it in the same commit as its effect), and a
//! second table kept in step with it would have to repeat each of those guarantees. So the
//! job carries the few things a run adds, as columns every store keeps:
//!
//! - `target`: what the run works on (`division:u17-60`, `competition:c1`), indexed for
//!   listings (only jobs that have one are in the index, so the queue's hot path pays
//!   nothing); listings filter by `kind` and state alongside;
//! - `created_at`, `started_at` (the latest attempt's claim) and `finished_at`;
//! - `cancel_requested`, and the state [`JobState::Cancelled`];
//! - the [`SnapshotIndex`]: the blobs and aggregate versions the run read and wrote, stored
//!   by the commit that completes the run ([`CompletedRun`] in
//!   [`Commit::completed_runs`](crate::store::Commit::completed_runs)), so the index exists
//!   exactly when the run's effect does.
//!
//! [`RunStatus`] is the run's face of [`JobState`]: a failed job waiting for its retry is a
//! `queued` run (with the last error), a dead job a `failed` one. Listing filters by status,
//! kind and target, and pages by id ([`JobStore::runs`](crate::store::JobStore::runs)).
//!
//! # Cancellation
//!
//! [`JobStore::request_cancel`](crate::store::JobStore::request_cancel) decides by
//! [`CANCEL_RULES`], a table like the lifecycle machines': a queued run (or one waiting for
//! its retry) is cancelled at once and no claim takes it again; a running one is marked
//! `cancel_requested`, which its worker sees at its next checkpoint (in
//! [`JobStore::heartbeat`](crate::store::JobStore::heartbeat)'s answer or by reading the
//! job). From then on [`STOP_RULES`] hold: whatever the worker reports ends the run as
//! cancelled, and a commit that would complete it is refused with
//! [`StoreError::RunCancelled`](crate::store::StoreError::RunCancelled) and applies nothing,
//! so a cancelled run never commits a partial effect. A running run whose lease has expired
//! when the cancellation is asked (its worker is gone) is cancelled at once, and a
//! cancel-requested run is never claimed again after its lease expires.
//!
//! `finished_at` is set wherever a run ends: a cancellation, a sweep, a completed run's
//! commit, a failure that ends it (dead, or cancelled at a checkpoint). A cancel-requested
//! run its worker completes or releases without a time (`complete`, `release`) ends
//! cancelled without one; the server's workers stop such runs by failing them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::jobs::{Job, JobId, JobState};
use super::AggregateRef;
use crate::version::ContentHash;

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Waiting to run (first time or again after a failed attempt).
    Queued,
    /// A worker runs it.
    Running,
    /// Done; its effect is committed.
    Succeeded,
    /// Failed with no attempts left.
    Failed,
    /// Cancelled: it committed nothing.
    Cancelled,
}

impl RunStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [RunStatus; 5] = [
        RunStatus::Queued,
        RunStatus::Running,
        RunStatus::Succeeded,
        RunStatus::Failed,
        RunStatus::Cancelled,
    ];

    /// The run status of a job in `state`.
    pub fn of(state: JobState) -> RunStatus {
        match state {
            JobState::Queued | JobState::Failed => RunStatus::Queued,
            JobState::Running => RunStatus::Running,
            JobState::Succeeded => RunStatus::Succeeded,
            JobState::Dead => RunStatus::Failed,
            JobState::Cancelled => RunStatus::Cancelled,
        }
    }

    /// The job states a run in this status is in.
    pub fn job_states(self) -> &'static [JobState] {
        match self {
            RunStatus::Queued => &[JobState::Queued, JobState::Failed],
            RunStatus::Running => &[JobState::Running],
            RunStatus::Succeeded => &[JobState::Succeeded],
            RunStatus::Failed => &[JobState::Dead],
            RunStatus::Cancelled => &[JobState::Cancelled],
        }
    }

    /// The snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }

    /// The status named `name`, if any.
    pub fn parse(name: &str) -> Option<RunStatus> {
        RunStatus::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing a run read or wrote.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "entry", rename_all = "snake_case", deny_unknown_fields)]
pub enum SnapshotEntry {
    /// An aggregate at a version.
    Aggregate {
        /// Which.
        aggregate: AggregateRef,
        /// Its version (read: the one read; wrote: the one written).
        version: u64,
    },
    /// A content blob.
    Blob {
        /// Its hash.
        hash: ContentHash,
    },
}

/// What a run read and what it wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotIndex {
    /// Read, in the order the run read them.
    #[serde(default)]
    pub read: Vec<SnapshotEntry>,
    /// Written, in the order the run wrote them.
    #[serde(default)]
    pub wrote: Vec<SnapshotEntry>,
}

/// A run completed by a commit, with its snapshot index (see
/// [`Commit::completed_runs`](crate::store::Commit::completed_runs)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedRun {
    /// The run's job.
    pub job: JobId,
    /// The worker holding its lease.
    pub worker: String,
    /// What it read and wrote.
    pub index: SnapshotIndex,
    /// When it finished.
    pub finished_at: DateTime<Utc>,
}

/// Which runs to list; every field given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunFilter {
    /// Only runs in this status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<RunStatus>,
    /// Only runs of this kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Only runs on this target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

impl RunFilter {
    /// Whether `job` passes the filter.
    pub fn matches(&self, job: &Job) -> bool {
        self.status.is_none_or(|s| RunStatus::of(job.state) == s)
            && self.kind.as_ref().is_none_or(|k| *k == job.kind)
            && self
                .target
                .as_ref()
                .is_none_or(|t| job.target.as_ref() == Some(t))
    }
}

/// What a cancellation request does to a run, by its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelOutcome {
    /// Cancelled now: it never starts (again).
    Cancelled,
    /// Running: asked to stop at its next checkpoint, committing nothing.
    StopRequested,
    /// Finished already (succeeded, failed or cancelled): nothing changes.
    AlreadyFinished,
}

/// What [`JobStore::request_cancel`](crate::store::JobStore::request_cancel) did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancellation {
    /// The run as it is now.
    pub job: Job,
    /// What the request did.
    pub outcome: CancelOutcome,
}

/// The cancellation rule: what a request does in each job state. A running job whose lease
/// has expired when the request comes (its worker is gone) is cancelled at once instead.
pub const CANCEL_RULES: [(JobState, CancelOutcome); 6] = [
    (JobState::Queued, CancelOutcome::Cancelled),
    (JobState::Failed, CancelOutcome::Cancelled),
    (JobState::Running, CancelOutcome::StopRequested),
    (JobState::Succeeded, CancelOutcome::AlreadyFinished),
    (JobState::Dead, CancelOutcome::AlreadyFinished),
    (JobState::Cancelled, CancelOutcome::AlreadyFinished),
];

/// What a cancellation request does to `job` at `now`, by [`CANCEL_RULES`].
pub fn cancel_outcome(job: &Job, now: DateTime<Utc>) -> CancelOutcome {
    let outcome = CANCEL_RULES
        .iter()
        .find(|(state, _)| *state == job.state)
        .map_or(CancelOutcome::AlreadyFinished, |(_, outcome)| *outcome);
    let worker_gone = job.lease_until.is_none_or(|until| until <= now);
    if outcome == CancelOutcome::StopRequested && worker_gone {
        CancelOutcome::Cancelled
    } else {
        outcome
    }
}

/// What a worker's report does to a running job whose cancellation was requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkerReport {
    /// `complete`, `complete_all`, `complete_and_claim`.
    Complete,
    /// `fail` (its error is kept).
    Fail,
    /// `release` (a worker shutting down).
    Release,
    /// `heartbeat`: the lease is extended and the answer shows the request.
    Heartbeat,
    /// A commit completing the job with its effect.
    Commit,
}

/// What a cancel-requested job becomes on a report of its worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopOutcome {
    /// The job ends cancelled.
    Cancelled,
    /// The job keeps running (its worker has yet to reach a checkpoint).
    KeepsRunning,
    /// Refused with `RunCancelled`; nothing of the report is applied.
    Refused,
}

/// The stop rule: each report of the worker of a cancel-requested job, and its outcome.
pub const STOP_RULES: [(WorkerReport, StopOutcome); 5] = [
    (WorkerReport::Complete, StopOutcome::Cancelled),
    (WorkerReport::Fail, StopOutcome::Cancelled),
    (WorkerReport::Release, StopOutcome::Cancelled),
    (WorkerReport::Heartbeat, StopOutcome::KeepsRunning),
    (WorkerReport::Commit, StopOutcome::Refused),
];

/// A run as users see it: a job through its run fields. Its JSON is the document
/// `GET /v1/runs/{id}` answers (absent values as `null`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Run {
    /// Id (the job's).
    pub id: JobId,
    /// What it does.
    pub kind: String,
    /// What it works on.
    #[serde(default)]
    pub target: Option<String>,
    /// Its options (the job's payload).
    pub options: serde_json::Value,
    /// Where it stands.
    pub status: RunStatus,
    /// Whether a cancellation was requested.
    pub cancel_requested: bool,
    /// Attempts started.
    pub attempts: u32,
    /// Attempts allowed.
    pub max_attempts: u32,
    /// When it was submitted.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// When its latest attempt started.
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    /// When it finished.
    #[serde(default)]
    pub finished_at: Option<DateTime<Utc>>,
    /// The last failure.
    #[serde(default)]
    pub error: Option<String>,
    /// What it read and wrote (once succeeded).
    #[serde(default)]
    pub snapshot: Option<SnapshotIndex>,
}

impl From<Job> for Run {
    fn from(job: Job) -> Self {
        Run {
            id: job.id,
            status: RunStatus::of(job.state),
            kind: job.kind,
            target: job.target,
            options: job.payload,
            cancel_requested: job.cancel_requested,
            attempts: job.attempts,
            max_attempts: job.max_attempts,
            created_at: job.created_at,
            started_at: job.started_at,
            finished_at: job.finished_at,
            error: job.last_error,
            snapshot: job.snapshot,
        }
    }
}

/// The outcome [`STOP_RULES`] give `report`.
pub fn stop_outcome(report: WorkerReport) -> StopOutcome {
    STOP_RULES
        .iter()
        .find(|(r, _)| *r == report)
        .map_or(StopOutcome::Refused, |(_, outcome)| *outcome)
}
