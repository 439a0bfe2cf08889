//! The store the server runs on, behind one shared handle, and the jobs this process has seen.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use athlos_core::error::StoreError;
use athlos_core::id::{CompetitionId, DivisionId, TournamentId};
use athlos_core::lifecycle::TournamentState;
use athlos_core::store::{
    AggregateStore, BlobStore, Commit, Competition, Deadline, DeadlineKey, DeadlineStore,
    Division, EventLog, Job, JobId, JobStore, LoggedEvent, NewJob, Receipt, Store, Stored,
    Tournament,
};
use athlos_core::version::ContentHash;

/// Any [`Store`] behind an `Arc`, so handlers are not generic over the backend.
///
/// It also remembers the last known record of every job enqueued, claimed, completed or
/// failed through it: the [`JobStore`] contract has no read by id, so `GET /v1/jobs/{id}`
/// answers from what this process has seen.
#[derive(Clone)]
pub struct SharedStore {
    inner: Arc<dyn Store>,
    jobs: Arc<Mutex<BTreeMap<JobId, Job>>>,
}

impl std::fmt::Debug for SharedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedStore").finish_non_exhaustive()
    }
}

impl SharedStore {
    /// Wraps `store`.
    pub fn new(store: impl Store + 'static) -> Self {
        Self {
            inner: Arc::new(store),
            jobs: Arc::new(Mutex::new(BTreeMap::new())),
        }
    }

    /// The last known record of job `id`.
    pub fn known_job(&self, id: JobId) -> Option<Job> {
        self.jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
            .cloned()
    }

    fn remember(&self, job: &Job) {
        self.jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(job.id, job.clone());
    }
}

#[async_trait]
impl AggregateStore for SharedStore {
    async fn competition(
        &self,
        id: &CompetitionId,
    ) -> Result<Option<Stored<Competition>>, StoreError> {
        self.inner.competition(id).await
    }

    async fn division(&self, id: &DivisionId) -> Result<Option<Stored<Division>>, StoreError> {
        self.inner.division(id).await
    }

    async fn tournament(
        &self,
        id: &TournamentId,
    ) -> Result<Option<Stored<Tournament>>, StoreError> {
        self.inner.tournament(id).await
    }

    async fn tournaments(
        &self,
        state: Option<TournamentState>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Stored<Tournament>>, StoreError> {
        self.inner.tournaments(state, limit, offset).await
    }
}

#[async_trait]
impl BlobStore for SharedStore {
    async fn blob(&self, hash: &ContentHash) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.blob(hash).await
    }
}

#[async_trait]
impl EventLog for SharedStore {
    async fn events_after(&self, after: u64, limit: usize) -> Result<Vec<LoggedEvent>, StoreError> {
        self.inner.events_after(after, limit).await
    }
}

#[async_trait]
impl JobStore for SharedStore {
    async fn enqueue(&self, job: NewJob) -> Result<Job, StoreError> {
        let job = self.inner.enqueue(job).await?;
        self.remember(&job);
        Ok(job)
    }

    async fn claim(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        let jobs = self.inner.claim(worker, now, lease_until, limit).await?;
        for job in &jobs {
            self.remember(job);
        }
        Ok(jobs)
    }

    async fn complete(&self, id: JobId, worker: &str) -> Result<Job, StoreError> {
        let job = self.inner.complete(id, worker).await?;
        self.remember(&job);
        Ok(job)
    }

    async fn fail(
        &self,
        id: JobId,
        worker: &str,
        error: String,
        retry_at: DateTime<Utc>,
    ) -> Result<Job, StoreError> {
        let job = self.inner.fail(id, worker, error, retry_at).await?;
        self.remember(&job);
        Ok(job)
    }
}

#[async_trait]
impl DeadlineStore for SharedStore {
    async fn set_deadline(&self, deadline: Deadline) -> Result<(), StoreError> {
        self.inner.set_deadline(deadline).await
    }

    async fn clear_deadline(&self, key: &DeadlineKey) -> Result<(), StoreError> {
        self.inner.clear_deadline(key).await
    }

    async fn due_deadlines(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Deadline>, StoreError> {
        self.inner.due_deadlines(now, limit).await
    }
}

#[async_trait]
impl Store for SharedStore {
    async fn commit(&self, commit: Commit) -> Result<Receipt, StoreError> {
        self.inner.commit(commit).await
    }
}
