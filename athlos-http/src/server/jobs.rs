//! Background jobs: workers claim due jobs from the store under a lease and run them.

use std::time::Duration;

use athlos_core::clock::{Clock, SystemClock};
use serde_json::{json, Value};
use tokio::sync::watch;

use athlos_core::error::{Error, StoreError};
use athlos_core::id::DivisionId;
use athlos_core::store::{Job, JobState, JobStore};

use super::AppState;

/// Generates one division's bracket; payload `{"event", "division"}`.
pub const GENERATE_BRACKET: &str = "generate_bracket";

/// How often a job retries a write that lost an optimistic-concurrency race.
const CONFLICT_RETRIES: usize = 5;

/// A job as the API shows it.
pub async fn job_view(state: &AppState, job: &Job) -> Value {
    let status = match job.state {
        JobState::Queued => "queued",
        JobState::Running => "running",
        JobState::Succeeded => "succeeded",
        JobState::Failed => "retrying",
        _ => "failed",
    };
    let mut view = json!({
        "id": job.id,
        "kind": job.kind,
        "status": status,
        "attempts": job.attempts,
        "payload": job.payload,
        "error": job.last_error,
    });
    if job.kind == GENERATE_BRACKET {
        let division = job
            .payload
            .get("division")
            .and_then(Value::as_str)
            .and_then(|d| DivisionId::new(d).ok());
        if let Some(id) = division {
            if let Ok(division) = state.service.division(&id).await {
                if let Value::Object(map) = &mut view {
                    map.insert("division".to_owned(), json!(id));
                    map.insert("bracket_state".to_owned(), json!(division.value.state));
                }
            }
        }
    }
    view
}

/// One worker task.
#[derive(Debug)]
pub struct Worker {
    state: AppState,
    name: String,
}

impl Worker {
    /// A worker named `name` (its lease owner name).
    pub fn new(state: AppState, name: String) -> Self {
        Self { state, name }
    }

    /// Claims and runs jobs until `stop` turns true; a job already claimed is finished first.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let poll = self.state.config.job_poll;
        loop {
            if *stop.borrow() {
                break;
            }
            let ran = match self.once().await {
                Ok(ran) => ran,
                Err(error) => {
                    tracing::warn!(worker = %self.name, %error, "claiming jobs failed");
                    false
                }
            };
            if ran {
                continue;
            }
            let notified = self.state.jobs_queued.notified();
            tokio::select! {
                _ = stop.changed() => {},
                () = notified => {},
                () = tokio::time::sleep(poll) => {},
            }
        }
    }

    /// Claims one due job and runs it; `false` when none was due.
    async fn once(&self) -> Result<bool, StoreError> {
        let now = SystemClock.now();
        let lease = chrono::Duration::from_std(self.state.config.job_lease)
            .unwrap_or(chrono::Duration::seconds(60));
        let jobs = self
            .state
            .store
            .claim(&self.name, now, now + lease, 1)
            .await?;
        let Some(job) = jobs.into_iter().next() else {
            return Ok(false);
        };
        let outcome = self.execute(&job).await;
        let store = &self.state.store;
        match outcome {
            Ok(()) => {
                store.complete(job.id, &self.name).await?;
                tracing::info!(job = %job.id, kind = %job.kind, "job succeeded");
            }
            Err(reason) => {
                let backoff = 2_i64.saturating_pow(job.attempts.min(10));
                let retry_at = SystemClock.now() + chrono::Duration::seconds(backoff);
                store
                    .fail(job.id, &self.name, reason.clone(), retry_at)
                    .await?;
                tracing::warn!(job = %job.id, kind = %job.kind, %reason, "job failed");
            }
        }
        Ok(true)
    }

    async fn execute(&self, job: &Job) -> Result<(), String> {
        match job.kind.as_str() {
            GENERATE_BRACKET => {
                let division = job
                    .payload
                    .get("division")
                    .and_then(Value::as_str)
                    .ok_or("the job has no division")?;
                let id = DivisionId::new(division).map_err(|e| e.to_string())?;
                let mut attempt = 0;
                loop {
                    match self.state.service.generate(&id).await {
                        Ok(_) => return Ok(()),
                        Err(Error::Store(StoreError::Conflict { .. }))
                            if attempt < CONFLICT_RETRIES =>
                        {
                            attempt += 1;
                            tokio::time::sleep(Duration::from_millis(10 * attempt as u64)).await;
                        }
                        Err(error) => return Err(error.to_string()),
                    }
                }
            }
            other => Err(format!("unknown job kind {other:?}")),
        }
    }
}
