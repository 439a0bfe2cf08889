//! Runs (`/v1/runs`): the job queue as users see it (see `athlos_core::store::runs`): one run,
//! runs listed by status, kind and target, and cancellation.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use athlos_core::service::RunRequest;
use athlos_core::store::{CancelOutcome, Job, JobId, JobStore, Run, RunFilter, RunStatus};
use axum::http::{HeaderMap, StatusCode};

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::AppState;

/// The runs routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_runs, submit_run))
        .routes(routes!(get_run))
        .routes(routes!(cancel_run))
}

/// A run as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RunView {
    /// Id (the job's: `GET /v1/jobs/{id}` shows it too).
    pub id: u64,
    /// What it does (`generate_bracket` …).
    pub kind: String,
    /// What it works on (`division:u17-60`; `null` for jobs queued without one).
    pub target: Option<String>,
    /// Its options.
    #[schema(value_type = Object)]
    pub options: Value,
    /// `queued`, `running`, `succeeded`, `failed` or `cancelled`.
    #[schema(value_type = String, pattern = "^(queued|running|succeeded|failed|cancelled)$")]
    pub status: RunStatus,
    /// Whether its cancellation was requested (a running run stops at its next checkpoint).
    pub cancel_requested: bool,
    /// Attempts started.
    pub attempts: u32,
    /// Attempts allowed.
    pub max_attempts: u32,
    /// When it was submitted.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub created_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When its latest attempt started.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub started_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When it finished (where known).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The last failure.
    pub error: Option<String>,
    /// What it read and wrote (`{"read": [...], "wrote": [...]}`, entries
    /// `{"entry": "aggregate", "aggregate": {"type", "id"}, "version"}` or
    /// `{"entry": "blob", "hash"}`), once succeeded.
    #[schema(value_type = Option<Object>)]
    pub snapshot: Option<Value>,
}

impl RunView {
    /// `job` as a run.
    pub fn of(job: Job) -> Self {
        let run = Run::from(job);
        Self {
            id: run.id.0,
            kind: run.kind,
            target: run.target,
            options: run.options,
            status: run.status,
            cancel_requested: run.cancel_requested,
            attempts: run.attempts,
            max_attempts: run.max_attempts,
            created_at: run.created_at,
            started_at: run.started_at,
            finished_at: run.finished_at,
            error: run.error,
            snapshot: run
                .snapshot
                .and_then(|index| serde_json::to_value(index).ok()),
        }
    }
}

/// A page of runs.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RunList {
    /// The runs, by id.
    pub runs: Vec<RunView>,
    /// The `after` of the next page (`null`: this is the last one).
    pub next_after: Option<u64>,
}

/// Filters and paging of the run list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RunListQuery {
    /// Only runs in this status (`queued`, `running`, `succeeded`, `failed`, `cancelled`).
    pub status: Option<String>,
    /// Only runs of this kind.
    pub kind: Option<String>,
    /// Only runs on this target (`division:u17-60`).
    pub target: Option<String>,
    /// At most this many (1-500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
    /// Only runs with a greater id (the previous page's `next_after`).
    #[param(minimum = 0, maximum = 9223372036854775807_u64)]
    pub after: Option<u64>,
}

/// Runs by id, filtered by status, kind and target, paged by id.
#[utoipa::path(get, path = "/v1/runs", tag = "runs",
    params(RunListQuery),
    responses((status = 200, body = RunList), (status = 400, body = ErrorBody)))]
async fn list_runs(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<RunListQuery>,
) -> Result<Json<RunList>, ApiError> {
    let (limit, _) = super::tournaments::page(query.limit, None)?;
    // Ids are signed 64-bit integers (the document's `int64`).
    if query
        .after
        .is_some_and(|after| i64::try_from(after).is_err())
    {
        return Err(ApiError::bad_input(
            "after",
            "after must be at most 9223372036854775807",
        ));
    }
    let status = match query.status.as_deref() {
        None => None,
        Some(name) => Some(RunStatus::parse(name).ok_or_else(|| {
            ApiError::bad_input(
                "status",
                "status must be queued, running, succeeded, failed or cancelled",
            )
        })?),
    };
    let filter = RunFilter {
        status,
        kind: query.kind,
        target: query.target,
    };
    let found = state
        .store
        .runs(&filter, query.after.map(JobId), limit)
        .await?;
    let next_after = (found.len() == limit)
        .then(|| found.last().map(|job| job.id.0))
        .flatten();
    Ok(Json(RunList {
        runs: found.into_iter().map(RunView::of).collect(),
        next_after,
    }))
}

/// One run.
#[utoipa::path(get, path = "/v1/runs/{run_id}", tag = "runs",
    params(("run_id" = u64, Path, description = "Run id")),
    responses((status = 200, body = RunView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_run(
    State(state): State<AppState>,
    ApiPath(run_id): ApiPath<u64>,
) -> Result<Json<RunView>, ApiError> {
    let unknown = || ApiError::not_found(format!("unknown run {run_id}"));
    let job = state.store.job(JobId(run_id)).await?.ok_or_else(unknown)?;
    Ok(Json(RunView::of(job)))
}

/// What a cancellation did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CancelAnswer {
    /// `cancelled` (it never starts), `stop_requested` (running: it stops at its next
    /// checkpoint and commits nothing) or `already_finished` (nothing changed).
    #[schema(value_type = String, pattern = "^(cancelled|stop_requested|already_finished)$")]
    pub outcome: CancelOutcome,
    /// The run as it is now.
    pub run: RunView,
}

/// Cancels a run: a queued one never starts; a running one stops at its next checkpoint and
/// commits nothing; a finished one is left as it is. The director of the event a run works
/// for may cancel it, administrators any run.
#[utoipa::path(post, path = "/v1/runs/{run_id}/cancel", tag = "runs",
    params(("run_id" = u64, Path, description = "Run id")),
    responses((status = 200, body = CancelAnswer), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn cancel_run(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(run_id): ApiPath<u64>,
) -> Result<Json<CancelAnswer>, ApiError> {
    let cancellation = state
        .service
        .cancel_run(&caller.principal(), JobId(run_id))
        .await??;
    Ok(Json(CancelAnswer {
        outcome: cancellation.outcome,
        run: RunView::of(cancellation.job),
    }))
}

/// The caller's `Idempotency-Key`, if any: 1-200 visible characters.
///
/// # Errors
/// 400 `bad_input` for an empty, over-long or non-visible key.
pub(super) fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .ok()
        .filter(|t| !t.is_empty() && t.len() <= 200)
        .ok_or_else(|| {
            ApiError::bad_input("Idempotency-Key", "must be 1-200 visible characters")
        })?;
    Ok(Some(text.to_owned()))
}

/// A run to submit.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitRun {
    /// `generate_bracket` (target `division:<id>`) or `generate_all` (target `event:<id>`:
    /// one `generate_bracket` run per division of the event).
    pub kind: String,
    /// What the run works on.
    pub target: String,
    /// The kind's options (the generation kinds take none: `{}` or leave it out).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub options: Value,
}

/// The runs a submission queued.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubmittedRuns {
    /// One run, or one per division for `generate_all`.
    pub runs: Vec<RunView>,
}

/// Submits a run (the director of the event it works on, or an administrator) and answers
/// 202 with the runs queued; the same `Idempotency-Key` returns the same runs and queues
/// nothing new.
#[utoipa::path(post, path = "/v1/runs", tag = "runs",
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key (1-200 visible characters)")),
    request_body = SubmitRun,
    responses((status = 202, body = SubmittedRuns), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn submit_run(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SubmitRun>,
) -> Result<(StatusCode, Json<SubmittedRuns>), ApiError> {
    let key = idempotency_key(&headers)?;
    let request = RunRequest {
        kind: body.kind,
        target: body.target,
        options: body.options,
    };
    let runs = state
        .service
        .submit_run(&caller.principal(), &request, key.as_deref())
        .await??;
    Ok((
        StatusCode::ACCEPTED,
        Json(SubmittedRuns {
            runs: runs.into_iter().map(RunView::of).collect(),
        }),
    ))
}
