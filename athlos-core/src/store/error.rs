//! The error of the stores.

use thiserror::Error;

use super::jobs::JobId;

/// A store refused a write or failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// An aggregate is not at the version the write expected; nothing was written.
    #[error("conflict on {aggregate}: expected version {}, found {}", version_text(*expected), version_text(*found))]
    Conflict {
        /// The aggregate (`division:u17-60`).
        aggregate: String,
        /// The version expected (`None`: absent).
        expected: Option<u64>,
        /// The version found (`None`: absent).
        found: Option<u64>,
    },
    /// No job with this id.
    #[error("unknown job {id}")]
    UnknownJob {
        /// The id.
        id: JobId,
    },
    /// The worker no longer holds the job's lease.
    #[error("job {id} is not leased to worker {worker:?}")]
    LeaseLost {
        /// The job.
        id: JobId,
        /// The worker.
        worker: String,
    },
    /// Only dead jobs can be requeued.
    #[error("job {id} is {state}, not dead: only dead jobs can be requeued")]
    JobNotDead {
        /// The job.
        id: JobId,
        /// Its state (`queued`, `running` …).
        state: String,
    },
    /// A deadline acted on was re-armed, cleared or fired since it was claimed.
    #[error(
        "deadline {key} at sequence {sequence} was re-armed, cleared or fired since it was claimed"
    )]
    DeadlineMoved {
        /// The deadline (`tournament:t1/round_timer`).
        key: String,
        /// The sequence the commit expected.
        sequence: u64,
    },
    /// A commit would complete a run whose cancellation was requested; nothing was applied.
    #[error("run {id} was cancelled: its completion commits nothing")]
    RunCancelled {
        /// The run's job.
        id: JobId,
    },
    /// The storage backend failed (adapters only).
    #[error("storage failed: {reason}")]
    Backend {
        /// What failed.
        reason: String,
    },
}

fn version_text(version: Option<u64>) -> String {
    version.map_or_else(|| "none".to_owned(), |v| v.to_string())
}

crate::codes::error_codes! {
StoreError {
    Conflict => "conflict", Conflict;
    UnknownJob => "unknown_job", NotFound;
    LeaseLost => "lease_lost", Unavailable;
    JobNotDead => "job_not_dead", Unavailable;
    DeadlineMoved => "deadline_moved", Unavailable;
    RunCancelled => "run_cancelled", Conflict;
    Backend => "backend", Unavailable;
}
}
