//! Runs as people act on them: submitting one, who may cancel one, the store's cancellation
//! rule ([`crate::store::runs`]) applied at the service's clock, and the checkpoints at which
//! a running run stops when asked to.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::access::{self, Principal, Refusal};
use crate::clock::Clock;
use crate::error::{Error, StoreError};
use crate::id::{CompetitionId, DivisionId};
use crate::store::{AggregateRef, Cancellation, Job, JobId, JobState, Store};

use super::divisions::GENERATE_BRACKET;
use super::replay::REPLAY;
use crate::id::TournamentId;
use crate::store::{Commit, CompletedRun, NewJob};

use super::replay::Replay;
use super::{Service, ServiceError};

impl<S: Store, C: Clock> Service<S, C> {
    /// Requests the cancellation of run `id` for `principal`: the director of the event the
    /// run works for (its payload's `event`) may, administrators always; a run that works
    /// for no event, administrators only. The outer result is whether the request could be
    /// carried out; the inner one whether `principal` may (nothing changes when not).
    ///
    /// # Errors
    /// [`ServiceError::UnknownRun`]; the store's failure.
    pub async fn cancel_run(
        &self,
        principal: &Principal,
        id: JobId,
    ) -> Result<Result<Cancellation, Refusal>, Error> {
        let job = self
            .store()
            .job(id)
            .await?
            .ok_or(ServiceError::UnknownRun { id: id.0 })?;
        let event = job
            .payload
            .get("event")
            .and_then(Value::as_str)
            .and_then(|event| CompetitionId::new(event).ok());
        let tournament = run_tournament(&job);
        let scope = match (event, tournament) {
            (Some(event), _) => Some(AggregateRef::Competition(event)),
            (None, Some(tournament)) => Some(AggregateRef::Tournament(tournament)),
            (None, None) => None,
        };
        let allowed = match scope {
            Some(scope) => self.may_direct(principal, &scope).await?,
            None => access::may_direct(principal, None),
        };
        if let Err(refusal) = allowed {
            return Ok(Err(refusal));
        }
        let cancellation = self.store().request_cancel(id, self.clock().now()).await?;
        Ok(Ok(cancellation))
    }
}

/// The kinds of run [`Service::submit_run`] takes, with the target each works on.
pub const RUN_KINDS: [(&str, &str); 3] = [
    (GENERATE_BRACKET, "division:<id>"),
    (GENERATE_ALL, "event:<id>"),
    (REPLAY, "tournament:<id>"),
];

/// The run kind that generates every bracket of an event: one [`GENERATE_BRACKET`] run per
/// division, as `generate-all-brackets` queues them.
pub const GENERATE_ALL: &str = "generate_all";

/// A run as submitted: what to do, on what, with which options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// What to do (see [`RUN_KINDS`]).
    pub kind: String,
    /// What to do it on (`division:u17-60`, `event:open-2027`).
    pub target: String,
    /// The kind's options (`{}` or absent for the generation kinds, which take none).
    #[serde(default)]
    pub options: Value,
}

/// Where a run stands in its work, each a point at which it may stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Checkpoint {
    /// It has read what it works on.
    Read,
    /// It has computed its effect, about to commit it.
    Computed,
}

impl Checkpoint {
    /// The snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Checkpoint::Read => "read",
            Checkpoint::Computed => "computed",
        }
    }
}

/// Told each time a run reaches a [`Checkpoint`], before the run looks whether it was asked
/// to stop: a worker's progress report, or a test holding a run midway. It may take its
/// time; the run waits.
#[async_trait]
pub trait RunProbe: Send + Sync {
    /// `job` has reached `at`.
    async fn reached(&self, job: &Job, at: Checkpoint);
}

/// A probe that does nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProbe;

#[async_trait]
impl RunProbe for NoProbe {
    async fn reached(&self, _job: &Job, _at: Checkpoint) {}
}

impl<S: Store, C: Clock> Service<S, C> {
    /// Submits a run for `principal` (see [`RUN_KINDS`]): a [`GENERATE_BRACKET`] run of a
    /// division, or a [`GENERATE_ALL`], which queues one such run per division of an event.
    /// The event's director may, administrators always. With `key` (the caller's idempotency
    /// key) the same submission returns the same runs and queues nothing new. The outer
    /// result is whether the submission could be carried out; the inner one whether
    /// `principal` may (nothing is queued when not).
    ///
    /// # Errors
    /// [`ServiceError::UnknownRunKind`], [`ServiceError::RunTarget`],
    /// [`ServiceError::RunOptions`]; [`ServiceError::UnknownDivision`] or
    /// [`ServiceError::UnknownCompetition`] for a target that does not exist; the store's.
    pub async fn submit_run(
        &self,
        principal: &Principal,
        request: &RunRequest,
        key: Option<&str>,
    ) -> Result<Result<Vec<Job>, Refusal>, Error> {
        let known = || {
            RUN_KINDS
                .iter()
                .map(|(kind, _)| *kind)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let expected = RUN_KINDS
            .iter()
            .find(|(kind, _)| *kind == request.kind)
            .map(|(_, target)| *target)
            .ok_or_else(|| ServiceError::UnknownRunKind {
                kind: request.kind.clone(),
                known: known(),
            })?;
        let bad_target = || ServiceError::RunTarget {
            kind: request.kind.clone(),
            target: request.target.clone(),
            expected: expected.to_owned(),
        };
        let takes_none = match &request.options {
            Value::Null => true,
            Value::Object(fields) => fields.is_empty(),
            _ => false,
        };
        if !takes_none {
            return Err(ServiceError::RunOptions {
                kind: request.kind.clone(),
                reason: "this kind takes no options: give {} or leave them out".to_owned(),
            }
            .into());
        }
        let (prefix, id) = request.target.split_once(':').ok_or_else(bad_target)?;
        if request.kind == REPLAY {
            if prefix != "tournament" {
                return Err(bad_target().into());
            }
            let tournament = TournamentId::new(id).map_err(|_| bad_target())?;
            self.tournament(&tournament).await?;
            let scope = AggregateRef::Tournament(tournament.clone());
            if let Err(refusal) = self.may_direct(principal, &scope).await? {
                return Ok(Err(refusal));
            }
            let payload = serde_json::json!({ "tournament": tournament });
            let job = NewJob::new(REPLAY, payload, self.clock().now())
                .with_max_attempts(1)
                .with_target(scope.to_string());
            let job = match key {
                Some(key) => job.with_key(format!("replay:{tournament}:{key}")),
                None => job,
            };
            return Ok(Ok(vec![self.store().enqueue(job).await?]));
        }
        let (event, divisions) = match (request.kind.as_str(), prefix) {
            (GENERATE_BRACKET, "division") => {
                let division = DivisionId::new(id).map_err(|_| bad_target())?;
                let stored = self.division(&division).await?.value;
                (stored.competition, Some(division))
            }
            (GENERATE_ALL, "event" | "competition") => {
                let event = CompetitionId::new(id).map_err(|_| bad_target())?;
                // Unknown events are refused before the permission is looked at.
                self.competition(&event).await?;
                (event, None)
            }
            _ => return Err(bad_target().into()),
        };
        if let Err(refusal) = self
            .may_direct(principal, &AggregateRef::Competition(event.clone()))
            .await?
        {
            return Ok(Err(refusal));
        }
        let jobs = match divisions {
            Some(division) => vec![self.queue_division(&event, &division, key).await?],
            None => self.queue_generation(&event, key).await?,
        };
        Ok(Ok(jobs))
    }

    /// Stops run `job` at checkpoint `at` when its cancellation was requested, after telling
    /// `probe`: the run ends there and commits nothing.
    ///
    /// # Errors
    /// [`StoreError::RunCancelled`] when the cancellation was requested;
    /// [`StoreError::LeaseLost`] when the job's worker no longer holds it (another worker
    /// has it, or it ended); [`StoreError::UnknownJob`]; the store's failure.
    pub async fn checkpoint(
        &self,
        job: &Job,
        at: Checkpoint,
        probe: &dyn RunProbe,
    ) -> Result<(), Error> {
        probe.reached(job, at).await;
        let now = self
            .store()
            .job(job.id)
            .await?
            .ok_or(StoreError::UnknownJob { id: job.id })?;
        if now.cancel_requested {
            return Err(StoreError::RunCancelled { id: job.id }.into());
        }
        let held =
            now.state == JobState::Running && now.worker.is_some() && now.worker == job.worker;
        if !held {
            return Err(StoreError::LeaseLost {
                id: job.id,
                worker: job.worker.clone().unwrap_or_default(),
            }
            .into());
        }
        Ok(())
    }
}

impl<S: Store, C: Clock> Service<S, C> {
    /// Runs a [`REPLAY`] run leased to its worker: replays its tournament's log
    /// ([`Service::replay_tournament`]) between checkpoints, and completes it with its
    /// snapshot index (the tournament version it read; it writes nothing) when the log
    /// reproduces the state.
    ///
    /// # Errors
    /// [`ServiceError::ReplayDiverged`] when it does not (the run fails with where);
    /// [`ServiceError::Document`] for a run that names no tournament or is not leased; as
    /// [`Service::checkpoint`]; the store's.
    pub async fn run_replay(&self, job: &Job, probe: &dyn RunProbe) -> Result<Replay, Error> {
        let malformed = |reason: &str| ServiceError::Document {
            reason: format!("job {}: {reason}", job.id),
        };
        let tournament =
            run_tournament(job).ok_or_else(|| malformed("the run names no tournament"))?;
        let worker = job
            .worker
            .clone()
            .ok_or_else(|| malformed("the job is not leased to a worker"))?;
        self.checkpoint(job, Checkpoint::Read, probe).await?;
        let replay = self.replay_tournament(&tournament).await?;
        if let Some(divergence) = &replay.divergence {
            return Err(ServiceError::ReplayDiverged {
                tournament: tournament.to_string(),
                divergence: divergence.clone(),
            }
            .into());
        }
        self.checkpoint(job, Checkpoint::Computed, probe).await?;
        self.store()
            .commit(Commit {
                completed_runs: vec![CompletedRun {
                    job: job.id,
                    worker,
                    index: replay.index.clone(),
                    finished_at: self.clock().now(),
                }],
                ..Commit::default()
            })
            .await?;
        Ok(replay)
    }
}

/// The tournament a run's options name (`{"tournament": "<id>"}`), if a valid one.
fn run_tournament(job: &Job) -> Option<TournamentId> {
    job.payload
        .get("tournament")
        .and_then(Value::as_str)
        .and_then(|id| TournamentId::new(id).ok())
}
