//! Job and deadline records shared by every store.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::store::AggregateRef;

/// Identifies a job; assigned by the store, increasing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(pub u64);

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum JobState {
    /// Waiting to run.
    Queued,
    /// Leased to a worker.
    Running,
    /// Done.
    Succeeded,
    /// Failed; will be retried at `run_at`.
    Failed,
    /// Failed with no attempts left: a dead letter.
    Dead,
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewJob {
    /// What to do (`generate_bracket`, `deliver_webhook` …).
    pub kind: String,
    /// Its input.
    pub payload: serde_json::Value,
    /// A job with the same key is not enqueued twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// When it may run first.
    pub run_at: DateTime<Utc>,
    /// Attempts before it is dead (at least 1).
    pub max_attempts: u32,
}

/// A job in the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Job {
    /// Id.
    pub id: JobId,
    /// What to do.
    pub kind: String,
    /// Its input.
    pub payload: serde_json::Value,
    /// The idempotency key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// State.
    pub state: JobState,
    /// When it may run next.
    pub run_at: DateTime<Utc>,
    /// Attempts started.
    pub attempts: u32,
    /// Attempts allowed.
    pub max_attempts: u32,
    /// The worker holding the lease.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker: Option<String>,
    /// When the lease expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_until: Option<DateTime<Utc>>,
    /// The last failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// Names a deadline: one per aggregate and purpose.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineKey {
    /// The aggregate.
    pub aggregate: AggregateRef,
    /// The purpose (`pick_clock`, `round_timer` …).
    pub purpose: String,
}

/// A due time for an aggregate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deadline {
    /// Which.
    pub key: DeadlineKey,
    /// When it is due.
    pub due: DateTime<Utc>,
    /// A fencing sequence: the scheduler acts only if it still matches the aggregate.
    pub sequence: u64,
}
