//! The store the server runs on, behind one shared handle.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use athlos_core::error::StoreError;
use athlos_core::event::Event;
use athlos_core::id::{CompetitionId, DivisionId, DraftId, TournamentId};
use athlos_core::lifecycle::{DraftState, TournamentState};
use athlos_core::store::WebhookStore;
use athlos_core::store::{
    AggregateRef, AggregateStore, BlobStore, Commit, Competition, CompletedAndClaimed, Deadline,
    DeadlineKey, DeadlineStore, Division, DraftRecord, EventLog, Job, JobId, JobState, JobStore,
    LoggedEvent, NewJob, Receipt, Store, Stored, Tournament,
};
use athlos_core::version::ContentHash;

/// Any [`Store`] behind an `Arc`, so handlers are not generic over the backend.
#[derive(Clone)]
pub struct SharedStore {
    inner: Arc<dyn Store>,
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
        }
    }

    /// Shares a store the caller also keeps a handle on (the fuzz harness restores its
    /// in-memory store between inputs through its own `Arc`).
    pub fn from_arc(store: Arc<dyn Store>) -> Self {
        Self { inner: store }
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

    async fn competitions(
        &self,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Stored<Competition>>, StoreError> {
        self.inner.competitions(limit, offset).await
    }

    async fn draft(&self, id: &DraftId) -> Result<Option<Stored<DraftRecord>>, StoreError> {
        self.inner.draft(id).await
    }

    async fn drafts(
        &self,
        state: Option<DraftState>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Stored<DraftRecord>>, StoreError> {
        self.inner.drafts(state, limit, offset).await
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

    async fn last_sequence(&self) -> Result<u64, StoreError> {
        self.inner.last_sequence().await
    }
}

#[async_trait]
impl JobStore for SharedStore {
    async fn enqueue(&self, job: NewJob) -> Result<Job, StoreError> {
        self.inner.enqueue(job).await
    }

    async fn claim(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        self.inner.claim(worker, now, lease_until, limit).await
    }

    async fn complete(&self, id: JobId, worker: &str) -> Result<Job, StoreError> {
        self.inner.complete(id, worker).await
    }

    async fn fail(
        &self,
        id: JobId,
        worker: &str,
        error: String,
        retry_at: DateTime<Utc>,
    ) -> Result<Job, StoreError> {
        self.inner.fail(id, worker, error, retry_at).await
    }

    async fn job(&self, id: JobId) -> Result<Option<Job>, StoreError> {
        self.inner.job(id).await
    }

    async fn job_by_key(&self, key: &str) -> Result<Option<Job>, StoreError> {
        self.inner.job_by_key(key).await
    }

    async fn jobs(
        &self,
        state: Option<JobState>,
        after: Option<JobId>,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        self.inner.jobs(state, after, limit).await
    }

    async fn heartbeat(
        &self,
        id: JobId,
        worker: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<Job, StoreError> {
        self.inner.heartbeat(id, worker, lease_until).await
    }

    async fn complete_all(&self, ids: &[JobId], worker: &str) -> Result<Vec<JobId>, StoreError> {
        self.inner.complete_all(ids, worker).await
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
        self.inner
            .complete_and_claim(done, worker, kinds, now, lease_until, limit)
            .await
    }

    async fn release(&self, id: JobId, worker: &str) -> Result<Job, StoreError> {
        self.inner.release(id, worker).await
    }

    async fn requeue(&self, id: JobId, run_at: DateTime<Utc>) -> Result<Job, StoreError> {
        self.inner.requeue(id, run_at).await
    }

    async fn claim_kinds(
        &self,
        worker: &str,
        kinds: &[String],
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        self.inner
            .claim_kinds(worker, kinds, now, lease_until, limit)
            .await
    }

    async fn queue_stats(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<athlos_core::store::QueueStat>, StoreError> {
        self.inner.queue_stats(now).await
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

    async fn deadline(&self, key: &DeadlineKey) -> Result<Option<Deadline>, StoreError> {
        self.inner.deadline(key).await
    }

    async fn claim_deadlines(
        &self,
        scheduler: &str,
        now: DateTime<Utc>,
        claim_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Deadline>, StoreError> {
        self.inner
            .claim_deadlines(scheduler, now, claim_until, limit)
            .await
    }

    async fn next_deadline(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.inner.next_deadline().await
    }
}

#[async_trait]
impl Store for SharedStore {
    async fn commit(&self, commit: Commit) -> Result<Receipt, StoreError> {
        self.inner.commit(commit).await
    }

    async fn delete(
        &self,
        aggregate: &AggregateRef,
        expected: u64,
        events: Vec<(AggregateRef, Event)>,
    ) -> Result<Receipt, StoreError> {
        self.inner.delete(aggregate, expected, events).await
    }
}

#[async_trait]
impl WebhookStore for SharedStore {
    async fn create_webhook(
        &self,
        webhook: athlos_core::store::NewWebhook,
    ) -> Result<athlos_core::store::Webhook, StoreError> {
        self.inner.create_webhook(webhook).await
    }

    async fn webhook(&self, id: u64) -> Result<Option<athlos_core::store::Webhook>, StoreError> {
        self.inner.webhook(id).await
    }

    async fn webhooks(
        &self,
        scope: Option<&AggregateRef>,
    ) -> Result<Vec<athlos_core::store::Webhook>, StoreError> {
        self.inner.webhooks(scope).await
    }

    async fn update_webhook(
        &self,
        id: u64,
        patch: athlos_core::store::WebhookPatch,
    ) -> Result<Option<athlos_core::store::Webhook>, StoreError> {
        self.inner.update_webhook(id, patch).await
    }

    async fn delete_webhook(&self, id: u64) -> Result<bool, StoreError> {
        self.inner.delete_webhook(id).await
    }

    async fn webhook_cursor(&self) -> Result<u64, StoreError> {
        self.inner.webhook_cursor().await
    }

    async fn record_deliveries(
        &self,
        from: u64,
        to: u64,
        deliveries: Vec<athlos_core::store::NewDelivery>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.inner
            .record_deliveries(from, to, deliveries, now)
            .await
    }

    async fn delivery(&self, id: u64) -> Result<Option<athlos_core::store::Delivery>, StoreError> {
        self.inner.delivery(id).await
    }

    async fn deliveries(
        &self,
        webhook: u64,
        state: Option<athlos_core::store::DeliveryState>,
        after: u64,
        limit: usize,
    ) -> Result<Vec<athlos_core::store::Delivery>, StoreError> {
        self.inner.deliveries(webhook, state, after, limit).await
    }

    async fn start_attempt(
        &self,
        id: u64,
        job: JobId,
        now: DateTime<Utc>,
    ) -> Result<Option<athlos_core::store::Delivery>, StoreError> {
        self.inner.start_attempt(id, job, now).await
    }

    async fn finish_delivery(
        &self,
        id: u64,
        job: JobId,
        outcome: athlos_core::store::AttemptOutcome,
        now: DateTime<Utc>,
    ) -> Result<Option<athlos_core::store::Delivery>, StoreError> {
        self.inner.finish_delivery(id, job, outcome, now).await
    }

    async fn redeliver(
        &self,
        webhook: u64,
        delivery: Option<u64>,
        now: DateTime<Utc>,
    ) -> Result<Vec<athlos_core::store::Delivery>, StoreError> {
        self.inner.redeliver(webhook, delivery, now).await
    }
}
