//! The in-memory store: every trait of [`crate::store`] over maps behind one lock.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::runs::cancel_outcome;
use super::{
    retry_job, AggregateRef, AggregateStore, AttemptOutcome, AttemptRun, BlobStore, CancelOutcome,
    Cancellation, Commit, Competition, CompletedAndClaimed, Deadline, DeadlineKey, DeadlineStore,
    Delivery, DeliveryState, Division, DraftRecord, EventLog, Job, JobId, JobState, JobStore,
    LoggedEvent, NewDelivery, NewJob, NewWebhook, QueueStat, Receipt, RecordedRun, RunFilter,
    Store, StoreError, Stored, Tournament, Webhook, WebhookPatch, WebhookStore, Write,
};
use crate::account::{SecretHash, Session, User, Username, UsernameClaim};
use crate::chat::TournamentChat;
use crate::event::Event;
use crate::id::{CompetitionId, DivisionId, DraftId, TournamentId, UserId};
use crate::lifecycle::{DraftState, TournamentState};
use crate::version::ContentHash;

/// Every store trait in memory, for tests and embedding. Cheap to share behind an `Arc`.
///
/// One lock guards everything, so a [`Store::commit`] is trivially atomic and isolated.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default, Clone, PartialEq)]
struct Inner {
    competitions: BTreeMap<CompetitionId, Shared<Stored<Competition>>>,
    divisions: BTreeMap<DivisionId, Shared<Stored<Division>>>,
    tournaments: BTreeMap<TournamentId, Shared<Stored<Tournament>>>,
    drafts: BTreeMap<DraftId, Shared<Stored<DraftRecord>>>,
    users: BTreeMap<UserId, Shared<Stored<User>>>,
    usernames: BTreeMap<Username, Stored<UsernameClaim>>,
    sessions: BTreeMap<SecretHash, Stored<Session>>,
    chats: BTreeMap<TournamentId, Shared<Stored<TournamentChat>>>,
    blobs: BTreeMap<ContentHash, Shared<Vec<u8>>>,
    log: Vec<Shared<LoggedEvent>>,
    jobs: BTreeMap<JobId, Job>,
    deadlines: BTreeMap<DeadlineKey, Deadline>,
    /// Claims of deadlines: the scheduler and the claim's expiry.
    deadline_claims: BTreeMap<DeadlineKey, (String, DateTime<Utc>)>,
    /// Webhook subscriptions, deliveries and the dispatcher's cursor.
    webhooks: BTreeMap<u64, Webhook>,
    deliveries: BTreeMap<u64, Delivery>,
    webhook_cursor: u64,
    /// The last documents of deleted aggregates.
    tombstones: BTreeMap<AggregateRef, serde_json::Value>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of everything the store holds, to [`restore`](Self::restore) later: what lets a
    /// fuzzer or a test prepare a fixture once and start every input from it.
    pub fn snapshot(&self) -> MemorySnapshot {
        MemorySnapshot(self.lock().clone())
    }

    /// Puts back what `snapshot` holds, dropping everything written since.
    pub fn restore(&self, snapshot: &MemorySnapshot) {
        self.lock().clone_from(&snapshot.0);
    }

    /// Whether the store holds exactly what `snapshot` holds (nothing written since, or
    /// everything written since undone).
    pub fn holds(&self, snapshot: &MemorySnapshot) -> bool {
        *self.lock() == snapshot.0
    }

    /// The aggregates written, created or removed since `snapshot`, in the order
    /// competitions, divisions, tournaments, drafts (each by id).
    pub fn changed_since(&self, snapshot: &MemorySnapshot) -> Vec<AggregateRef> {
        fn differ<K: Ord + Clone, V: PartialEq>(
            now: &BTreeMap<K, V>,
            then: &BTreeMap<K, V>,
            to_ref: fn(K) -> AggregateRef,
            out: &mut Vec<AggregateRef>,
        ) {
            let keys: std::collections::BTreeSet<&K> = now.keys().chain(then.keys()).collect();
            out.extend(
                keys.into_iter()
                    .filter(|k| now.get(*k) != then.get(*k))
                    .map(|k| to_ref(k.clone())),
            );
        }
        let now = self.lock();
        let then = &snapshot.0;
        let mut out = Vec::new();
        differ(
            &now.competitions,
            &then.competitions,
            AggregateRef::Competition,
            &mut out,
        );
        differ(
            &now.divisions,
            &then.divisions,
            AggregateRef::Division,
            &mut out,
        );
        differ(
            &now.tournaments,
            &then.tournaments,
            AggregateRef::Tournament,
            &mut out,
        );
        differ(&now.drafts, &then.drafts, AggregateRef::Draft, &mut out);
        out
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every write below validates first and mutates after, without panicking in
        // between, so a poisoned lock still guards consistent data.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A value the store and its snapshots share: a snapshot copies pointers, not aggregates, and
/// two that point at one value are equal without a comparison.
#[derive(Debug)]
struct Shared<T>(Arc<T>);

impl<T> Shared<T> {
    fn new(value: T) -> Self {
        Self(Arc::new(value))
    }
}

impl<T: Clone> Shared<T> {
    /// A copy of the value, for a reader.
    fn value(&self) -> T {
        T::clone(&self.0)
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T: PartialEq> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || *self.0 == *other.0
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Everything a [`MemoryStore`] held at one moment (see [`MemoryStore::snapshot`]).
#[derive(Debug, Clone, PartialEq)]
pub struct MemorySnapshot(Inner);

impl Inner {
    fn enqueue(&mut self, job: NewJob) -> Job {
        if let Some(key) = &job.idempotency_key {
            if let Some(existing) = self
                .jobs
                .values()
                .find(|j| j.idempotency_key.as_ref() == Some(key))
            {
                return existing.clone();
            }
        }
        let id = JobId(
            self.jobs
                .keys()
                .next_back()
                .map_or(1, |id| id.0.saturating_add(1)),
        );
        let stored = Job {
            id,
            kind: job.kind,
            payload: job.payload,
            idempotency_key: job.idempotency_key,
            state: JobState::Queued,
            run_at: job.run_at,
            attempts: 0,
            max_attempts: job.max_attempts.max(1),
            worker: None,
            lease_until: None,
            last_error: None,
            priority: job.priority,
            target: job.target,
            cancel_requested: false,
            created_at: Some(job.created_at.unwrap_or(job.run_at)),
            started_at: None,
            finished_at: None,
            snapshot: None,
        };
        self.jobs.insert(id, stored.clone());
        stored
    }

    /// Claims up to `limit` due jobs (of `kinds`, when given), oldest first.
    fn claim(
        &mut self,
        worker: &str,
        kinds: Option<&[String]>,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Vec<Job> {
        let mut due: Vec<(std::cmp::Reverse<i32>, DateTime<Utc>, JobId)> = self
            .jobs
            .values()
            .filter(|j| kinds.is_none_or(|kinds| kinds.contains(&j.kind)))
            .filter(|j| match j.state {
                JobState::Queued | JobState::Failed => j.run_at <= now,
                JobState::Running => !j.cancel_requested && j.lease_until.is_some_and(|l| l <= now),
                _ => false,
            })
            .map(|j| (std::cmp::Reverse(j.priority), j.run_at, j.id))
            .collect();
        due.sort();
        let mut claimed = Vec::new();
        for (_, _, id) in due.into_iter().take(limit) {
            if let Some(job) = self.jobs.get_mut(&id) {
                job.state = JobState::Running;
                job.attempts = job.attempts.saturating_add(1);
                job.worker = Some(worker.to_owned());
                job.lease_until = Some(lease_until);
                job.started_at = Some(now);
                claimed.push(job.clone());
            }
        }
        claimed
    }

    /// Marks the jobs of `ids` that `worker` holds succeeded; returns those, and those it
    /// completed already (with their effect, in a commit), in the order of `ids`.
    fn complete_all(&mut self, ids: &[JobId], worker: &str) -> Vec<JobId> {
        let mut done = Vec::with_capacity(ids.len());
        for &id in ids {
            if let Ok(job) = leased(self, id, worker) {
                succeed(job);
                done.push(id);
            } else if self.jobs.get(&id).is_some_and(|job| {
                matches!(job.state, JobState::Succeeded | JobState::Cancelled)
                    && job.worker.as_deref() == Some(worker)
            }) {
                done.push(id);
            }
        }
        done
    }

    /// Up to `limit` jobs with an id greater than `after` that `keep` keeps, by id.
    fn jobs_after(
        &self,
        after: Option<JobId>,
        limit: usize,
        keep: impl Fn(&Job) -> bool,
    ) -> Vec<Job> {
        let start = after.map_or(JobId(0), |a| JobId(a.0.saturating_add(1)));
        self.jobs
            .range(start..)
            .map(|(_, j)| j)
            .filter(|j| keep(j))
            .take(limit)
            .cloned()
            .collect()
    }

    fn version_of(&self, aggregate: &AggregateRef) -> Option<u64> {
        match aggregate {
            AggregateRef::Competition(id) => self.competitions.get(id).map(|s| s.version),
            AggregateRef::Division(id) => self.divisions.get(id).map(|s| s.version),
            AggregateRef::Tournament(id) => self.tournaments.get(id).map(|s| s.version),
            AggregateRef::Draft(id) => self.drafts.get(id).map(|s| s.version),
            AggregateRef::User(id) => self.users.get(id).map(|s| s.version),
            AggregateRef::Username(name) => self.usernames.get(name).map(|s| s.version),
            AggregateRef::Session(key) => self.sessions.get(key).map(|s| s.version),
            AggregateRef::Chat(id) => self.chats.get(id).map(|s| s.version),
        }
    }

    fn set_deadline(&mut self, deadline: Deadline) {
        self.deadline_claims.remove(&deadline.key);
        self.deadlines.insert(deadline.key.clone(), deadline);
    }

    fn clear_deadline(&mut self, key: &DeadlineKey) {
        self.deadline_claims.remove(key);
        self.deadlines.remove(key);
    }
}

#[async_trait]
impl AggregateStore for MemoryStore {
    async fn tombstone(
        &self,
        aggregate: &AggregateRef,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        Ok(self.lock().tombstones.get(aggregate).cloned())
    }

    async fn competition(
        &self,
        id: &CompetitionId,
    ) -> Result<Option<Stored<Competition>>, StoreError> {
        Ok(self.lock().competitions.get(id).map(Shared::value))
    }

    async fn version(&self, aggregate: &AggregateRef) -> Result<Option<u64>, StoreError> {
        Ok(self.lock().version_of(aggregate))
    }

    async fn division(&self, id: &DivisionId) -> Result<Option<Stored<Division>>, StoreError> {
        Ok(self.lock().divisions.get(id).map(Shared::value))
    }

    async fn tournament(
        &self,
        id: &TournamentId,
    ) -> Result<Option<Stored<Tournament>>, StoreError> {
        Ok(self.lock().tournaments.get(id).map(Shared::value))
    }

    async fn tournaments(
        &self,
        state: Option<TournamentState>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Stored<Tournament>>, StoreError> {
        Ok(self
            .lock()
            .tournaments
            .values()
            .filter(|t| state.is_none_or(|s| t.value.state == s))
            .skip(offset)
            .take(limit)
            .map(Shared::value)
            .collect())
    }

    async fn competitions(
        &self,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Stored<Competition>>, StoreError> {
        Ok(self
            .lock()
            .competitions
            .values()
            .skip(offset)
            .take(limit)
            .map(Shared::value)
            .collect())
    }

    async fn draft(&self, id: &DraftId) -> Result<Option<Stored<DraftRecord>>, StoreError> {
        Ok(self.lock().drafts.get(id).map(Shared::value))
    }

    async fn drafts(
        &self,
        state: Option<DraftState>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Stored<DraftRecord>>, StoreError> {
        Ok(self
            .lock()
            .drafts
            .values()
            .filter(|d| state.is_none_or(|s| d.value.draft.state() == s))
            .skip(offset)
            .take(limit)
            .map(Shared::value)
            .collect())
    }

    async fn user(&self, id: &UserId) -> Result<Option<Stored<User>>, StoreError> {
        Ok(self.lock().users.get(id).map(Shared::value))
    }

    async fn username_claim(
        &self,
        folded: &Username,
    ) -> Result<Option<Stored<UsernameClaim>>, StoreError> {
        Ok(self.lock().usernames.get(folded).cloned())
    }

    async fn session(&self, key: &SecretHash) -> Result<Option<Stored<Session>>, StoreError> {
        Ok(self.lock().sessions.get(key).cloned())
    }

    async fn chat(
        &self,
        tournament: &TournamentId,
    ) -> Result<Option<Stored<TournamentChat>>, StoreError> {
        Ok(self.lock().chats.get(tournament).map(Shared::value))
    }
}

#[async_trait]
impl BlobStore for MemoryStore {
    async fn blob(&self, hash: &ContentHash) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.lock().blobs.get(hash).map(Shared::value))
    }
}

#[async_trait]
impl EventLog for MemoryStore {
    async fn events_after(&self, after: u64, limit: usize) -> Result<Vec<LoggedEvent>, StoreError> {
        let inner = self.lock();
        // Sequences are 1-based positions in the vector, without gaps.
        let start = usize::try_from(after).unwrap_or(usize::MAX);
        Ok(inner
            .log
            .iter()
            .skip(start)
            .take(limit)
            .map(Shared::value)
            .collect())
    }

    async fn last_sequence(&self) -> Result<u64, StoreError> {
        Ok(self.lock().log.len() as u64)
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn commit(&self, commit: Commit) -> Result<Receipt, StoreError> {
        let mut inner = self.lock();
        for write in &commit.writes {
            let aggregate = write.aggregate();
            let found = inner.version_of(&aggregate);
            if found != write.expected() {
                return Err(StoreError::Conflict {
                    aggregate: aggregate.to_string(),
                    expected: write.expected(),
                    found,
                });
            }
        }
        for fired in &commit.fired_deadlines {
            if inner.deadlines.get(&fired.key).map(|d| d.sequence) != Some(fired.sequence) {
                return Err(StoreError::DeadlineMoved {
                    key: fired.key.to_string(),
                    sequence: fired.sequence,
                });
            }
        }
        let completions = commit
            .completed_jobs
            .iter()
            .map(|(id, worker)| (*id, worker.as_str()))
            .chain(
                commit
                    .completed_runs
                    .iter()
                    .map(|r| (r.job, r.worker.as_str())),
            );
        for (id, worker) in completions {
            if leased(&mut inner, id, worker)?.cancel_requested {
                return Err(StoreError::RunCancelled { id });
            }
        }
        let mut versions = Vec::with_capacity(commit.writes.len());
        for write in commit.writes {
            let version = write.expected().map_or(1, |v| v.saturating_add(1));
            versions.push(version);
            match write {
                Write::Competition { value, .. } => {
                    inner
                        .competitions
                        .insert(value.id.clone(), Shared::new(Stored { version, value }));
                }
                Write::Division { value, .. } => {
                    inner
                        .divisions
                        .insert(value.id.clone(), Shared::new(Stored { version, value }));
                }
                Write::Tournament { value, .. } => {
                    inner
                        .tournaments
                        .insert(value.id.clone(), Shared::new(Stored { version, value }));
                }
                Write::Draft { value, .. } => {
                    inner.drafts.insert(
                        value.id().clone(),
                        Shared::new(Stored {
                            version,
                            value: *value,
                        }),
                    );
                }
                Write::User { value, .. } => {
                    inner.users.insert(
                        value.id.clone(),
                        Shared::new(Stored {
                            version,
                            value: *value,
                        }),
                    );
                }
                Write::UsernameClaim { value, .. } => {
                    inner
                        .usernames
                        .insert(value.username.clone(), Stored { version, value });
                }
                Write::Session { value, .. } => {
                    inner
                        .sessions
                        .insert(value.key.clone(), Stored { version, value });
                }
                Write::Chat { value, .. } => {
                    inner.chats.insert(
                        value.tournament.clone(),
                        Shared::new(Stored {
                            version,
                            value: *value,
                        }),
                    );
                }
            }
        }
        for (hash, bytes) in commit.blobs {
            inner
                .blobs
                .entry(hash)
                .or_insert_with(|| Shared::new(bytes));
        }
        let mut sequences = Vec::with_capacity(commit.events.len());
        for (aggregate, event) in commit.events {
            let sequence = inner.log.len() as u64 + 1;
            sequences.push(sequence);
            inner.log.push(Shared::new(LoggedEvent {
                sequence,
                aggregate,
                event,
            }));
        }
        for (id, worker) in &commit.completed_jobs {
            if let Ok(job) = leased(&mut inner, *id, worker) {
                succeed(job);
            }
        }
        for run in commit.completed_runs {
            if let Ok(job) = leased(&mut inner, run.job, &run.worker) {
                succeed(job);
                job.snapshot = Some(run.index);
                job.finished_at = Some(run.finished_at);
            }
        }
        for job in commit.jobs {
            inner.enqueue(job);
        }
        for fired in &commit.fired_deadlines {
            inner.clear_deadline(&fired.key);
        }
        for deadline in commit.deadlines {
            inner.set_deadline(deadline);
        }
        for key in &commit.cleared_deadlines {
            inner.clear_deadline(key);
        }
        Ok(Receipt {
            versions,
            sequences,
        })
    }

    async fn delete(
        &self,
        aggregate: &AggregateRef,
        expected: u64,
        events: Vec<(AggregateRef, Event)>,
    ) -> Result<Receipt, StoreError> {
        let mut inner = self.lock();
        let found = inner.version_of(aggregate);
        if found != Some(expected) {
            return Err(StoreError::Conflict {
                aggregate: aggregate.to_string(),
                expected: Some(expected),
                found,
            });
        }
        let last = match aggregate {
            AggregateRef::Competition(id) => inner
                .competitions
                .remove(id)
                .map(|s| serde_json::to_value(&s.value)),
            AggregateRef::Division(id) => inner
                .divisions
                .remove(id)
                .map(|s| serde_json::to_value(&s.value)),
            AggregateRef::Tournament(id) => inner
                .tournaments
                .remove(id)
                .map(|s| serde_json::to_value(&s.value)),
            AggregateRef::Draft(id) => inner
                .drafts
                .remove(id)
                .map(|s| serde_json::to_value(&s.value)),
            AggregateRef::User(id) => inner
                .users
                .remove(id)
                .map(|s| serde_json::to_value(&s.value)),
            AggregateRef::Username(name) => inner
                .usernames
                .remove(name)
                .map(|s| serde_json::to_value(&s.value)),
            AggregateRef::Session(key) => inner
                .sessions
                .remove(key)
                .map(|s| serde_json::to_value(&s.value)),
            AggregateRef::Chat(id) => inner
                .chats
                .remove(id)
                .map(|s| serde_json::to_value(&s.value)),
        };
        if let Some(last) = last {
            let last = last.map_err(|e| StoreError::Backend {
                reason: e.to_string(),
            })?;
            inner.tombstones.insert(aggregate.clone(), last);
        }
        let keys: Vec<DeadlineKey> = inner
            .deadlines
            .keys()
            .filter(|key| key.aggregate == *aggregate)
            .cloned()
            .collect();
        for key in &keys {
            inner.clear_deadline(key);
        }
        let mut sequences = Vec::with_capacity(events.len());
        for (aggregate, event) in events {
            let sequence = inner.log.len() as u64 + 1;
            sequences.push(sequence);
            inner.log.push(Shared::new(LoggedEvent {
                sequence,
                aggregate,
                event,
            }));
        }
        Ok(Receipt {
            versions: Vec::new(),
            sequences,
        })
    }
}

#[async_trait]
impl JobStore for MemoryStore {
    async fn enqueue(&self, job: NewJob) -> Result<Job, StoreError> {
        Ok(self.lock().enqueue(job))
    }

    async fn claim(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        Ok(self.lock().claim(worker, None, now, lease_until, limit))
    }

    async fn complete(&self, id: JobId, worker: &str) -> Result<Job, StoreError> {
        let mut inner = self.lock();
        let job = leased(&mut inner, id, worker)?;
        succeed(job);
        Ok(job.clone())
    }

    async fn fail(
        &self,
        id: JobId,
        worker: &str,
        error: String,
        retry_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Job, StoreError> {
        let mut inner = self.lock();
        let job = leased(&mut inner, id, worker)?;
        job.state = if job.cancel_requested {
            JobState::Cancelled
        } else if job.attempts >= job.max_attempts {
            JobState::Dead
        } else {
            JobState::Failed
        };
        if job.state != JobState::Failed {
            job.finished_at = Some(now);
        }
        job.run_at = retry_at;
        job.lease_until = None;
        job.last_error = Some(error);
        Ok(job.clone())
    }

    async fn job(&self, id: JobId) -> Result<Option<Job>, StoreError> {
        Ok(self.lock().jobs.get(&id).cloned())
    }

    async fn job_by_key(&self, key: &str) -> Result<Option<Job>, StoreError> {
        Ok(self
            .lock()
            .jobs
            .values()
            .find(|j| j.idempotency_key.as_deref() == Some(key))
            .cloned())
    }

    async fn jobs(
        &self,
        state: Option<JobState>,
        after: Option<JobId>,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        Ok(self
            .lock()
            .jobs_after(after, limit, |j| state.is_none_or(|s| j.state == s)))
    }

    async fn runs(
        &self,
        filter: &RunFilter,
        after: Option<JobId>,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        Ok(self.lock().jobs_after(after, limit, |j| filter.matches(j)))
    }

    async fn request_cancel(
        &self,
        id: JobId,
        now: DateTime<Utc>,
    ) -> Result<Cancellation, StoreError> {
        let mut inner = self.lock();
        let job = inner
            .jobs
            .get_mut(&id)
            .ok_or(StoreError::UnknownJob { id })?;
        let outcome = cancel_outcome(job, now);
        match outcome {
            CancelOutcome::Cancelled => {
                job.state = JobState::Cancelled;
                job.cancel_requested = true;
                job.lease_until = None;
                job.finished_at = Some(now);
            }
            CancelOutcome::StopRequested => job.cancel_requested = true,
            CancelOutcome::AlreadyFinished => {}
        }
        Ok(Cancellation {
            job: job.clone(),
            outcome,
        })
    }

    async fn sweep_cancelled(&self, now: DateTime<Utc>) -> Result<Vec<Job>, StoreError> {
        let mut inner = self.lock();
        let mut swept = Vec::new();
        for job in inner.jobs.values_mut() {
            let gone = job.lease_until.is_none_or(|until| until <= now);
            if job.state == JobState::Running && job.cancel_requested && gone {
                job.state = JobState::Cancelled;
                job.lease_until = None;
                job.finished_at = Some(now);
                swept.push(job.clone());
            }
        }
        Ok(swept)
    }

    async fn heartbeat(
        &self,
        id: JobId,
        worker: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<Job, StoreError> {
        let mut inner = self.lock();
        let job = leased(&mut inner, id, worker)?;
        job.lease_until = Some(lease_until);
        Ok(job.clone())
    }

    async fn complete_all(&self, ids: &[JobId], worker: &str) -> Result<Vec<JobId>, StoreError> {
        Ok(self.lock().complete_all(ids, worker))
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
        let mut inner = self.lock();
        let mut completed = inner.complete_all(done, worker);
        completed.sort();
        let claimed = inner.claim(worker, kinds, now, lease_until, limit);
        Ok(CompletedAndClaimed { completed, claimed })
    }

    async fn release(&self, id: JobId, worker: &str) -> Result<Job, StoreError> {
        let mut inner = self.lock();
        let job = leased(&mut inner, id, worker)?;
        if job.cancel_requested {
            job.state = JobState::Cancelled;
            job.lease_until = None;
            return Ok(job.clone());
        }
        job.state = JobState::Queued;
        job.attempts = job.attempts.saturating_sub(1);
        job.worker = None;
        job.lease_until = None;
        Ok(job.clone())
    }

    async fn requeue(&self, id: JobId, run_at: DateTime<Utc>) -> Result<Job, StoreError> {
        let mut inner = self.lock();
        let job = inner
            .jobs
            .get_mut(&id)
            .ok_or(StoreError::UnknownJob { id })?;
        if job.state != JobState::Dead {
            return Err(StoreError::JobNotDead {
                id,
                state: job.state.to_string(),
            });
        }
        job.state = JobState::Queued;
        job.attempts = 0;
        job.run_at = run_at;
        job.worker = None;
        job.lease_until = None;
        Ok(job.clone())
    }

    async fn claim_kinds(
        &self,
        worker: &str,
        kinds: &[String],
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        Ok(self
            .lock()
            .claim(worker, Some(kinds), now, lease_until, limit))
    }

    async fn queue_stats(&self, now: DateTime<Utc>) -> Result<Vec<QueueStat>, StoreError> {
        let inner = self.lock();
        let mut stats: BTreeMap<(String, JobState), QueueStat> = BTreeMap::new();
        for job in inner.jobs.values() {
            let stat = stats
                .entry((job.kind.clone(), job.state))
                .or_insert_with(|| QueueStat {
                    kind: job.kind.clone(),
                    state: job.state,
                    count: 0,
                    due: 0,
                    oldest_due: None,
                });
            stat.count += 1;
            if job.run_at <= now {
                stat.due += 1;
                stat.oldest_due = Some(stat.oldest_due.map_or(job.run_at, |t| t.min(job.run_at)));
            }
        }
        Ok(stats.into_values().collect())
    }
}

/// Ends a leased job as its worker reports success: succeeded, or cancelled when its
/// cancellation was requested.
fn succeed(job: &mut Job) {
    job.state = if job.cancel_requested {
        JobState::Cancelled
    } else {
        JobState::Succeeded
    };
    job.lease_until = None;
}

fn leased<'a>(inner: &'a mut Inner, id: JobId, worker: &str) -> Result<&'a mut Job, StoreError> {
    let job = inner
        .jobs
        .get_mut(&id)
        .ok_or(StoreError::UnknownJob { id })?;
    if job.state != JobState::Running || job.worker.as_deref() != Some(worker) {
        return Err(StoreError::LeaseLost {
            id,
            worker: worker.to_owned(),
        });
    }
    Ok(job)
}

#[async_trait]
impl DeadlineStore for MemoryStore {
    async fn set_deadline(&self, deadline: Deadline) -> Result<(), StoreError> {
        self.lock().set_deadline(deadline);
        Ok(())
    }

    async fn clear_deadline(&self, key: &DeadlineKey) -> Result<(), StoreError> {
        self.lock().clear_deadline(key);
        Ok(())
    }

    async fn due_deadlines(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Deadline>, StoreError> {
        let inner = self.lock();
        let mut due: Vec<&Deadline> = inner.deadlines.values().filter(|d| d.due <= now).collect();
        due.sort_by(|a, b| a.due.cmp(&b.due).then_with(|| a.key.cmp(&b.key)));
        Ok(due.into_iter().take(limit).cloned().collect())
    }

    async fn deadline(&self, key: &DeadlineKey) -> Result<Option<Deadline>, StoreError> {
        Ok(self.lock().deadlines.get(key).cloned())
    }

    async fn claim_deadlines(
        &self,
        scheduler: &str,
        now: DateTime<Utc>,
        claim_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Deadline>, StoreError> {
        let mut inner = self.lock();
        let inner = &mut *inner;
        let mut due: Vec<&Deadline> = inner
            .deadlines
            .values()
            .filter(|d| {
                d.due <= now
                    && inner
                        .deadline_claims
                        .get(&d.key)
                        .is_none_or(|(_, until)| *until <= now)
            })
            .collect();
        due.sort_by(|a, b| a.due.cmp(&b.due).then_with(|| a.key.cmp(&b.key)));
        let claimed: Vec<Deadline> = due.into_iter().take(limit).cloned().collect();
        for d in &claimed {
            inner
                .deadline_claims
                .insert(d.key.clone(), (scheduler.to_owned(), claim_until));
        }
        Ok(claimed)
    }

    async fn next_deadline(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let inner = self.lock();
        Ok(inner
            .deadlines
            .values()
            .map(|d| match inner.deadline_claims.get(&d.key) {
                Some((_, until)) => *until,
                None => d.due,
            })
            .min())
    }
}

impl Inner {
    /// The subscription's earliest pending delivery, unless one is `sending` already.
    fn next_in_line(&self, webhook: u64) -> Option<u64> {
        let mut next: Option<(u64, u64)> = None;
        for d in self.deliveries.values().filter(|d| d.webhook == webhook) {
            match d.state {
                DeliveryState::Sending => return None,
                DeliveryState::Pending if next.is_none_or(|n| (d.sequence, d.id) < n) => {
                    next = Some((d.sequence, d.id));
                }
                _ => {}
            }
        }
        next.map(|(_, id)| id)
    }

    /// Makes the subscription's earliest pending delivery `sending` and enqueues its job (due
    /// at the next probe while the circuit is open), unless one is `sending` already.
    fn pump(&mut self, webhook: u64, now: DateTime<Utc>) {
        let Some(id) = self.next_in_line(webhook) else {
            return;
        };
        let due = self
            .webhooks
            .get(&webhook)
            .map_or(now, |hook| hook.circuit.due(now));
        let round = self.deliveries.get(&id).map_or(0, |d| d.round);
        let job = self.enqueue(retry_job(id, round, 1, due));
        if let Some(d) = self.deliveries.get_mut(&id) {
            d.state = DeliveryState::Sending;
            d.job = Some(job.id);
            d.updated_at = now;
        }
    }

    /// The first `count` pending deliveries of the subscription's line, in its order; none
    /// while one is `sending`.
    fn line(&self, webhook: u64, count: usize) -> Vec<u64> {
        if self.next_in_line(webhook).is_none() {
            return Vec::new();
        }
        let mut pending: Vec<(u64, u64)> = self
            .deliveries
            .values()
            .filter(|d| d.webhook == webhook && d.state == DeliveryState::Pending)
            .map(|d| (d.sequence, d.id))
            .collect();
        pending.sort_unstable();
        pending.into_iter().take(count).map(|(_, id)| id).collect()
    }
}

/// Records an attempt's outcome on its delivery: counted, no longer in flight, possibly sent
/// when the outcome says so.
fn record_outcome(delivery: &mut Delivery, outcome: AttemptOutcome, now: DateTime<Utc>) {
    delivery.attempts = delivery.attempts.saturating_add(1);
    delivery.in_flight = false;
    delivery.possibly_sent |= outcome.possibly_sent;
    delivery.last_status = outcome.status;
    delivery.last_error = outcome.error;
    delivery.state = outcome.state;
    delivery.updated_at = now;
}

#[async_trait]
impl WebhookStore for MemoryStore {
    async fn create_webhook(&self, new: NewWebhook) -> Result<Webhook, StoreError> {
        let mut inner = self.lock();
        let id = inner
            .webhooks
            .keys()
            .next_back()
            .map_or(1, |id| id.saturating_add(1));
        let webhook = Webhook {
            id,
            scope: new.scope,
            url: new.url,
            secret: new.secret,
            event_types: new.event_types,
            enabled: new.enabled,
            after: inner.log.len() as u64,
            created_at: new.created_at,
            circuit: super::Circuit::default(),
        };
        inner.webhooks.insert(id, webhook.clone());
        Ok(webhook)
    }

    async fn webhook(&self, id: u64) -> Result<Option<Webhook>, StoreError> {
        Ok(self.lock().webhooks.get(&id).cloned())
    }

    async fn webhooks(&self, scope: Option<&AggregateRef>) -> Result<Vec<Webhook>, StoreError> {
        Ok(self
            .lock()
            .webhooks
            .values()
            .filter(|w| scope.is_none_or(|s| &w.scope == s))
            .cloned()
            .collect())
    }

    async fn update_webhook(
        &self,
        id: u64,
        patch: WebhookPatch,
    ) -> Result<Option<Webhook>, StoreError> {
        let mut inner = self.lock();
        let Some(webhook) = inner.webhooks.get_mut(&id) else {
            return Ok(None);
        };
        if let Some(url) = patch.url {
            webhook.url = url;
        }
        if let Some(types) = patch.event_types {
            webhook.event_types = types;
        }
        if let Some(enabled) = patch.enabled {
            webhook.enabled = enabled;
        }
        Ok(Some(webhook.clone()))
    }

    async fn delete_webhook(&self, id: u64) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        let existed = inner.webhooks.remove(&id).is_some();
        inner.deliveries.retain(|_, d| d.webhook != id);
        Ok(existed)
    }

    async fn webhook_cursor(&self) -> Result<u64, StoreError> {
        Ok(self.lock().webhook_cursor)
    }

    async fn record_deliveries(
        &self,
        from: u64,
        to: u64,
        deliveries: Vec<NewDelivery>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        if inner.webhook_cursor != from {
            return Ok(false);
        }
        inner.webhook_cursor = to;
        let mut touched = std::collections::BTreeSet::new();
        for new in deliveries {
            let exists = inner
                .deliveries
                .values()
                .any(|d| d.webhook == new.webhook && d.sequence == new.sequence);
            if exists || !inner.webhooks.contains_key(&new.webhook) {
                continue;
            }
            let id = inner
                .deliveries
                .keys()
                .next_back()
                .map_or(1, |id| id.saturating_add(1));
            touched.insert(new.webhook);
            inner.deliveries.insert(
                id,
                Delivery {
                    id,
                    webhook: new.webhook,
                    sequence: new.sequence,
                    message_id: new.message_id,
                    state: DeliveryState::Pending,
                    attempts: 0,
                    round: 0,
                    job: None,
                    last_status: None,
                    last_error: None,
                    created_at: now,
                    updated_at: now,
                    in_flight: false,
                    possibly_sent: false,
                },
            );
        }
        for webhook in touched {
            inner.pump(webhook, now);
        }
        Ok(true)
    }

    async fn delivery(&self, id: u64) -> Result<Option<Delivery>, StoreError> {
        Ok(self.lock().deliveries.get(&id).cloned())
    }

    async fn deliveries(
        &self,
        webhook: u64,
        state: Option<DeliveryState>,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        Ok(self
            .lock()
            .deliveries
            .range(after.saturating_add(1)..)
            .map(|(_, d)| d)
            .filter(|d| d.webhook == webhook && state.is_none_or(|s| d.state == s))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn start_attempt(
        &self,
        id: u64,
        job: JobId,
        now: DateTime<Utc>,
    ) -> Result<Option<Delivery>, StoreError> {
        let mut inner = self.lock();
        let Some(delivery) = inner.deliveries.get_mut(&id) else {
            return Ok(None);
        };
        if delivery.state != DeliveryState::Sending || delivery.job != Some(job) {
            return Ok(None);
        }
        delivery.possibly_sent |= delivery.in_flight;
        delivery.in_flight = true;
        delivery.updated_at = now;
        Ok(Some(delivery.clone()))
    }

    async fn finish_delivery(
        &self,
        id: u64,
        job: JobId,
        outcome: AttemptOutcome,
        now: DateTime<Utc>,
    ) -> Result<Option<Delivery>, StoreError> {
        let mut inner = self.lock();
        let Some(delivery) = inner.deliveries.get_mut(&id) else {
            return Ok(None);
        };
        if delivery.state != DeliveryState::Sending || delivery.job != Some(job) {
            return Ok(None);
        }
        record_outcome(delivery, outcome, now);
        let done = delivery.clone();
        if matches!(done.state, DeliveryState::Succeeded | DeliveryState::Dead) {
            inner.pump(done.webhook, now);
        }
        Ok(Some(done))
    }

    async fn record_attempts(
        &self,
        job: JobId,
        run: AttemptRun,
        now: DateTime<Utc>,
    ) -> Result<Option<RecordedRun>, StoreError> {
        let mut inner = self.lock();
        let inner = &mut *inner;
        let Some(hook) = inner.webhooks.get(&run.webhook) else {
            return Ok(None);
        };
        let decision = run.policy.decide_run(&run.attempts, hook.circuit, now);
        let held_by_job = |d: &Delivery| {
            d.state == DeliveryState::Sending && d.job == Some(job) && d.webhook == run.webhook
        };
        let all_held = decision
            .outcomes
            .iter()
            .all(|(id, _)| inner.deliveries.get(id).is_some_and(held_by_job));
        if decision.outcomes.is_empty() || !all_held {
            return Ok(None);
        }
        let mut recorded = Vec::with_capacity(decision.outcomes.len());
        for (id, outcome) in decision.outcomes {
            if let Some(delivery) = inner.deliveries.get_mut(&id) {
                record_outcome(delivery, outcome, now);
                recorded.push(id);
            }
        }
        // What the job held and did not record goes back in line.
        for d in inner.deliveries.values_mut().filter(|d| held_by_job(d)) {
            if !recorded.contains(&d.id) {
                d.state = DeliveryState::Pending;
                d.job = None;
                d.in_flight = false;
                d.updated_at = now;
            }
        }
        let Some(hook) = inner.webhooks.get_mut(&run.webhook) else {
            return Ok(None);
        };
        hook.circuit = decision.circuit;
        let webhook = hook.clone();
        let mut next = Vec::new();
        match decision.retry {
            Some((id, number, at)) => {
                let round = inner.deliveries.get(&id).map_or(0, |d| d.round);
                let retry = inner.enqueue(retry_job(id, round, number, at));
                if let Some(d) = inner.deliveries.get_mut(&id) {
                    d.job = Some(retry.id);
                }
            }
            None if run.take > 0 && !webhook.circuit.is_open() => {
                for id in inner.line(webhook.id, run.take) {
                    if let Some(d) = inner.deliveries.get_mut(&id) {
                        d.state = DeliveryState::Sending;
                        d.job = Some(job);
                        d.in_flight = true;
                        d.updated_at = now;
                        next.push(d.clone());
                    }
                }
            }
            None => inner.pump(webhook.id, now),
        }
        let deliveries = recorded
            .iter()
            .filter_map(|id| inner.deliveries.get(id).cloned())
            .collect();
        Ok(Some(RecordedRun {
            deliveries,
            webhook,
            opened: decision.opened,
            next,
        }))
    }

    async fn redeliver(
        &self,
        webhook: u64,
        delivery: Option<u64>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Delivery>, StoreError> {
        let mut inner = self.lock();
        let mut again = Vec::new();
        for d in inner.deliveries.values_mut() {
            let chosen = d.webhook == webhook
                && match delivery {
                    Some(id) => {
                        d.id == id
                            && matches!(d.state, DeliveryState::Succeeded | DeliveryState::Dead)
                    }
                    None => d.state == DeliveryState::Dead,
                };
            if chosen {
                d.state = DeliveryState::Pending;
                d.round = d.round.saturating_add(1);
                d.updated_at = now;
                again.push(d.id);
            }
        }
        if !again.is_empty() {
            inner.pump(webhook, now);
        }
        Ok(again
            .into_iter()
            .filter_map(|id| inner.deliveries.get(&id).cloned())
            .collect())
    }
}
