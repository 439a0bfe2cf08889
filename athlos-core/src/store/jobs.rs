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
    /// Cancelled before it ran, or stopped at a checkpoint after a cancellation request: it
    /// committed nothing (see [`crate::store::runs`]).
    Cancelled,
}

impl JobState {
    /// Every state, in lifecycle order.
    pub const ALL: [JobState; 6] = [
        JobState::Queued,
        JobState::Running,
        JobState::Succeeded,
        JobState::Failed,
        JobState::Dead,
        JobState::Cancelled,
    ];

    /// The snake-case name (`queued`, `running`, `succeeded`, `failed`, `dead`,
    /// `cancelled`).
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
            JobState::Dead => "dead",
            JobState::Cancelled => "cancelled",
        }
    }

    /// The state named `name`, if any.
    pub fn parse(name: &str) -> Option<JobState> {
        JobState::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl std::fmt::Display for JobState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What [`crate::store::JobStore::complete_and_claim`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompletedAndClaimed {
    /// The ids completed (as [`crate::store::JobStore::complete_all`] counts them), in
    /// increasing order.
    pub completed: Vec<JobId>,
    /// The jobs claimed, in claim order (as [`crate::store::JobStore::claim`] returns them).
    pub claimed: Vec<Job>,
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
    /// Among due jobs, higher priorities are claimed first (default 0).
    #[serde(default)]
    pub priority: i32,
    /// What a run works on (`division:u17-60`), for listings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// When it was submitted (`None`: at `run_at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
}

impl NewJob {
    /// A job of `kind` with `payload`, due at `run_at`, priority 0, 25 attempts, no key.
    pub fn new(kind: impl Into<String>, payload: serde_json::Value, run_at: DateTime<Utc>) -> Self {
        Self {
            kind: kind.into(),
            payload,
            idempotency_key: None,
            run_at,
            max_attempts: 25,
            priority: 0,
            target: None,
            created_at: None,
        }
    }

    /// With a target (what a run works on).
    #[must_use]
    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// Submitted at `created_at` (rather than at `run_at`).
    #[must_use]
    pub fn with_created_at(mut self, created_at: DateTime<Utc>) -> Self {
        self.created_at = Some(created_at);
        self
    }

    /// With an idempotency key.
    #[must_use]
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// With a priority (higher first).
    #[must_use]
    pub fn with_priority(mut self, priority: i32) -> Self {
        self.priority = priority;
        self
    }

    /// With a number of attempts (at least 1).
    #[must_use]
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts;
        self
    }
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
    /// Among due jobs, higher priorities are claimed first.
    #[serde(default)]
    pub priority: i32,
    /// What a run works on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Whether a cancellation was requested (see [`crate::store::runs`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cancel_requested: bool,
    /// When it was submitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// When its latest attempt was claimed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    /// When it finished, where the store was told the time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// What it read and wrote, recorded with its completion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<crate::store::SnapshotIndex>,
}

/// Exponential backoff with jitter for retries: attempt `n` (from 1) waits
/// `base * 2^(n-1)`, capped at `max`, scaled by a factor in `[0.5, 1.0)` derived from the job
/// id and the attempt, so retries of many jobs spread out while every run stays reproducible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first delay.
    pub base: chrono::Duration,
    /// The longest delay.
    pub max: chrono::Duration,
}

impl Default for Backoff {
    /// 1 s doubling up to 1 h.
    fn default() -> Self {
        Self {
            base: chrono::Duration::seconds(1),
            max: chrono::Duration::hours(1),
        }
    }
}

impl Backoff {
    /// The delay before retrying `job` after its attempt number `attempts` failed.
    pub fn delay(&self, id: JobId, attempts: u32) -> chrono::Duration {
        let base = self.base.num_milliseconds().max(0);
        let max = self.max.num_milliseconds().max(0);
        let shift = attempts.saturating_sub(1).min(40);
        let full = base.saturating_mul(1_i64 << shift).min(max);
        // splitmix64 of (id, attempt): a well-mixed, deterministic jitter source.
        let mut z =
            id.0.wrapping_mul(0x9E37_79B9_7F4A_7C15)
                .wrapping_add(u64::from(attempts));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        // factor = 0.5 + (z / 2^64) / 2, applied in integer milliseconds.
        let frac = i64::try_from(z >> 44).unwrap_or(0); // 20 bits
        let half = i128::from(full / 2);
        let jittered = full / 2 + i64::try_from((half * i128::from(frac)) >> 20).unwrap_or(0);
        chrono::Duration::milliseconds(jittered)
    }
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

impl std::fmt::Display for DeadlineKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.aggregate, self.purpose)
    }
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

/// How many jobs of one kind are in one state (for metrics).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueStat {
    /// The kind.
    pub kind: String,
    /// The state.
    pub state: JobState,
    /// Jobs of that kind in that state.
    pub count: u64,
    /// Of those, the ones due at the time asked (`run_at` reached).
    pub due: u64,
    /// The earliest `run_at` among the due ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest_due: Option<DateTime<Utc>>,
}
