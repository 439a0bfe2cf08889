//! Background jobs: what they look like in the API, and the handler the store's worker runs.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use athlos_core::error::{Error, StoreError};
use athlos_core::id::DivisionId;
use athlos_core::lifecycle::BracketState;
use athlos_core::service::{generation_target, Checkpoint, RunProbe, GENERATE_BRACKET};
use athlos_core::store::{Job, JobId, JobState};
use athlos_runner::JobHandler;

use super::AppState;

/// The job kinds [`Handler`] runs: the server's workers claim only these, so workers of
/// other kinds can share the queue.
pub const KINDS: &[&str] = &[
    GENERATE_BRACKET,
    athlos_core::service::REPLAY,
    athlos_core::store::DELIVER_WEBHOOK,
    athlos_core::service::CREATE_BOARD_GAME,
    athlos_core::service::BOARD_GAME_DEADLINE,
];

/// How often a job retries a write that lost an optimistic-concurrency race.
const CONFLICT_RETRIES: u64 = 5;

/// A job as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobView {
    /// Id.
    #[schema(value_type = u64)]
    pub id: JobId,
    /// What it does (`generate_bracket` …).
    pub kind: String,
    /// Where it stands.
    pub status: JobStatus,
    /// Attempts started.
    pub attempts: u32,
    /// Its input (`{"event", "division"}` for `generate_bracket`).
    #[schema(value_type = Object)]
    pub payload: Value,
    /// The last failure (`null` without one).
    pub error: Option<String>,
    /// The division a `generate_bracket` job generates (absent for other jobs, or when the
    /// division is gone).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub division: Option<DivisionId>,
    /// Where that division's bracket stands now (with `division`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub bracket_state: Option<BracketState>,
}

/// Where a job stands, as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting to run.
    Queued,
    /// Running now.
    Running,
    /// Done.
    Succeeded,
    /// Failed; it runs again after a backoff.
    Retrying,
    /// Failed with no attempts left (`error` says why).
    Failed,
    /// Cancelled: it committed nothing.
    Cancelled,
}

impl From<JobState> for JobStatus {
    fn from(state: JobState) -> Self {
        match state {
            JobState::Queued => JobStatus::Queued,
            JobState::Running => JobStatus::Running,
            JobState::Succeeded => JobStatus::Succeeded,
            JobState::Failed => JobStatus::Retrying,
            JobState::Cancelled => JobStatus::Cancelled,
            _ => JobStatus::Failed,
        }
    }
}

impl JobView {
    /// `job` as the API shows it, with its division's bracket state for a bracket job.
    pub async fn of(state: &AppState, job: &Job) -> Self {
        let mut view = Self {
            id: job.id,
            kind: job.kind.clone(),
            status: job.state.into(),
            attempts: job.attempts,
            payload: job.payload.clone(),
            error: job.last_error.clone(),
            division: None,
            bracket_state: None,
        };
        if let Some(id) = generation_target(job) {
            if let Ok(division) = state.service.division(&id).await {
                view.bracket_state = Some(division.value.state);
                view.division = Some(id);
            }
        }
        view
    }
}

/// Runs the jobs this server queues.
#[derive(Debug, Clone)]
pub struct Handler {
    state: AppState,
}

impl Handler {
    /// A handler over `state`.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    async fn generate(&self, job: &Job) -> Result<(), String> {
        // The bracket and the job's completion commit together: a job that generated its
        // bracket is succeeded in that transaction, so a crash after it leaves nothing to run
        // again, and a crash before it leaves nothing generated.
        let probe = self.probe();
        let mut attempt = 0;
        loop {
            match self.state.service.run_generation_with(job, &probe).await {
                Ok(_) => return Ok(()),
                Err(Error::Store(StoreError::Conflict { .. })) if attempt < CONFLICT_RETRIES => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(10 * attempt)).await;
                }
                Err(error) => return Err(run_error(&error)),
            }
        }
    }

    /// The probe runs pass at their checkpoints.
    fn probe(&self) -> Hold {
        Hold {
            file: self.state.config.hold_runs.clone(),
        }
    }

    async fn replay(&self, job: &Job) -> Result<(), String> {
        let probe = self.probe();
        match self.state.service.run_replay(job, &probe).await {
            Ok(_) => Ok(()),
            Err(error) => Err(run_error(&error)),
        }
    }
}

/// What a run that ended with `error` reports.
fn run_error(error: &Error) -> String {
    match error {
        Error::Store(StoreError::RunCancelled { .. }) => {
            "stopped at a checkpoint: its cancellation was requested; nothing was committed"
                .to_owned()
        }
        other => other.to_string(),
    }
}

/// The probe runs pass at their checkpoints: with [`Config::hold_runs`](super::Config::hold_runs)
/// set (a testing aid), a run waits at [`Checkpoint::Computed`] while that file exists.
#[derive(Debug)]
struct Hold {
    file: Option<std::path::PathBuf>,
}

#[async_trait::async_trait]
impl RunProbe for Hold {
    async fn reached(&self, job: &Job, at: Checkpoint) {
        tracing::debug!(job = %job.id, checkpoint = at.as_str(), "run at checkpoint");
        let Some(file) = &self.file else { return };
        if at != Checkpoint::Computed {
            return;
        }
        while tokio::fs::try_exists(file).await.unwrap_or(false) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[async_trait::async_trait]
impl JobHandler for Handler {
    async fn run(&self, job: Job) -> Result<(), String> {
        let outcome = match job.kind.as_str() {
            GENERATE_BRACKET => self.generate(&job).await,
            athlos_core::service::REPLAY => self.replay(&job).await,
            athlos_core::store::DELIVER_WEBHOOK => {
                super::webhooks::deliver(&self.state, &job).await
            }
            kind if super::nowchess_board::KINDS.contains(&kind) => {
                super::nowchess_board::run(&self.state, &job).await
            }
            other => Err(format!("unknown job kind {other:?}")),
        };
        match &outcome {
            Ok(()) => tracing::info!(job = %job.id, kind = %job.kind, "job succeeded"),
            Err(reason) => tracing::warn!(job = %job.id, kind = %job.kind, %reason, "job failed"),
        }
        outcome
    }
}
