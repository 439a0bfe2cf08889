//! The store traits for shared and boxed stores (`Arc<S>`, `Box<S>`, also of `dyn Store`), as
//! [`crate::clock::Clock`] has them: a store behind a pointer is a store, every call goes to
//! the store itself (the methods with defaults included, so its own versions run).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{
    AggregateRef, AggregateStore, Attempt, AttemptOutcome, AttemptRun, BlobStore, Cancellation,
    Commit, Competition, CompletedAndClaimed, Deadline, DeadlineKey, DeadlineStore, Delivery,
    DeliveryState, Division, DraftRecord, EventLog, Job, JobId, JobState, JobStore, LoggedEvent,
    NewDelivery, NewJob, NewWebhook, QueueStat, Receipt, Recorded, RecordedRun, RunFilter, Store,
    StoreError, Stored, Topic, Tournament, Wakeup, Webhook, WebhookPatch, WebhookStore,
};
use crate::account::{SecretHash, Session, User, Username, UsernameClaim};
use crate::chat::TournamentChat;
use crate::event::Event;
use crate::id::{CompetitionId, DivisionId, DraftId, TournamentId, UserId};
use crate::lifecycle::{DraftState, TournamentState};
use crate::version::ContentHash;

impl std::fmt::Debug for dyn Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("dyn Store")
    }
}

macro_rules! forward {
    ($pointer:ident) => {
        #[async_trait]
        impl<S: AggregateStore + ?Sized> AggregateStore for $pointer<S> {
            async fn tombstone(
                &self,
                aggregate: &AggregateRef,
            ) -> Result<Option<serde_json::Value>, StoreError> {
                (**self).tombstone(aggregate).await
            }

            async fn version(&self, aggregate: &AggregateRef) -> Result<Option<u64>, StoreError> {
                (**self).version(aggregate).await
            }

            async fn competition(
                &self,
                id: &CompetitionId,
            ) -> Result<Option<Stored<Competition>>, StoreError> {
                (**self).competition(id).await
            }

            async fn division(
                &self,
                id: &DivisionId,
            ) -> Result<Option<Stored<Division>>, StoreError> {
                (**self).division(id).await
            }

            async fn tournament(
                &self,
                id: &TournamentId,
            ) -> Result<Option<Stored<Tournament>>, StoreError> {
                (**self).tournament(id).await
            }

            async fn tournaments(
                &self,
                state: Option<TournamentState>,
                limit: usize,
                offset: usize,
            ) -> Result<Vec<Stored<Tournament>>, StoreError> {
                (**self).tournaments(state, limit, offset).await
            }

            async fn competitions(
                &self,
                limit: usize,
                offset: usize,
            ) -> Result<Vec<Stored<Competition>>, StoreError> {
                (**self).competitions(limit, offset).await
            }

            async fn draft(&self, id: &DraftId) -> Result<Option<Stored<DraftRecord>>, StoreError> {
                (**self).draft(id).await
            }

            async fn user(&self, id: &UserId) -> Result<Option<Stored<User>>, StoreError> {
                (**self).user(id).await
            }

            async fn username_claim(
                &self,
                folded: &Username,
            ) -> Result<Option<Stored<UsernameClaim>>, StoreError> {
                (**self).username_claim(folded).await
            }

            async fn session(
                &self,
                key: &SecretHash,
            ) -> Result<Option<Stored<Session>>, StoreError> {
                (**self).session(key).await
            }

            async fn chat(
                &self,
                tournament: &TournamentId,
            ) -> Result<Option<Stored<TournamentChat>>, StoreError> {
                (**self).chat(tournament).await
            }

            async fn drafts(
                &self,
                state: Option<DraftState>,
                limit: usize,
                offset: usize,
            ) -> Result<Vec<Stored<DraftRecord>>, StoreError> {
                (**self).drafts(state, limit, offset).await
            }
        }

        #[async_trait]
        impl<S: BlobStore + ?Sized> BlobStore for $pointer<S> {
            async fn blob(&self, hash: &ContentHash) -> Result<Option<Vec<u8>>, StoreError> {
                (**self).blob(hash).await
            }
        }

        #[async_trait]
        impl<S: EventLog + ?Sized> EventLog for $pointer<S> {
            async fn events_after(
                &self,
                after: u64,
                limit: usize,
            ) -> Result<Vec<LoggedEvent>, StoreError> {
                (**self).events_after(after, limit).await
            }

            async fn last_sequence(&self) -> Result<u64, StoreError> {
                (**self).last_sequence().await
            }
        }

        #[async_trait]
        impl<S: JobStore + ?Sized> JobStore for $pointer<S> {
            async fn enqueue(&self, job: NewJob) -> Result<Job, StoreError> {
                (**self).enqueue(job).await
            }

            async fn claim(
                &self,
                worker: &str,
                now: DateTime<Utc>,
                lease_until: DateTime<Utc>,
                limit: usize,
            ) -> Result<Vec<Job>, StoreError> {
                (**self).claim(worker, now, lease_until, limit).await
            }

            async fn complete(&self, id: JobId, worker: &str) -> Result<Job, StoreError> {
                (**self).complete(id, worker).await
            }

            async fn fail(
                &self,
                id: JobId,
                worker: &str,
                error: String,
                retry_at: DateTime<Utc>,
                now: DateTime<Utc>,
            ) -> Result<Job, StoreError> {
                (**self).fail(id, worker, error, retry_at, now).await
            }

            async fn job(&self, id: JobId) -> Result<Option<Job>, StoreError> {
                (**self).job(id).await
            }

            async fn sweep_cancelled(&self, now: DateTime<Utc>) -> Result<Vec<Job>, StoreError> {
                (**self).sweep_cancelled(now).await
            }

            async fn job_by_key(&self, key: &str) -> Result<Option<Job>, StoreError> {
                (**self).job_by_key(key).await
            }

            async fn jobs(
                &self,
                state: Option<JobState>,
                after: Option<JobId>,
                limit: usize,
            ) -> Result<Vec<Job>, StoreError> {
                (**self).jobs(state, after, limit).await
            }

            async fn runs(
                &self,
                filter: &RunFilter,
                after: Option<JobId>,
                limit: usize,
            ) -> Result<Vec<Job>, StoreError> {
                (**self).runs(filter, after, limit).await
            }

            async fn request_cancel(
                &self,
                id: JobId,
                now: DateTime<Utc>,
            ) -> Result<Cancellation, StoreError> {
                (**self).request_cancel(id, now).await
            }

            async fn heartbeat(
                &self,
                id: JobId,
                worker: &str,
                lease_until: DateTime<Utc>,
            ) -> Result<Job, StoreError> {
                (**self).heartbeat(id, worker, lease_until).await
            }

            async fn complete_all(
                &self,
                ids: &[JobId],
                worker: &str,
            ) -> Result<Vec<JobId>, StoreError> {
                (**self).complete_all(ids, worker).await
            }

            async fn release(&self, id: JobId, worker: &str) -> Result<Job, StoreError> {
                (**self).release(id, worker).await
            }

            async fn requeue(&self, id: JobId, run_at: DateTime<Utc>) -> Result<Job, StoreError> {
                (**self).requeue(id, run_at).await
            }

            async fn claim_kinds(
                &self,
                worker: &str,
                kinds: &[String],
                now: DateTime<Utc>,
                lease_until: DateTime<Utc>,
                limit: usize,
            ) -> Result<Vec<Job>, StoreError> {
                (**self)
                    .claim_kinds(worker, kinds, now, lease_until, limit)
                    .await
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
                (**self)
                    .complete_and_claim(done, worker, kinds, now, lease_until, limit)
                    .await
            }

            async fn queue_stats(&self, now: DateTime<Utc>) -> Result<Vec<QueueStat>, StoreError> {
                (**self).queue_stats(now).await
            }

            fn parallel_writes(&self) -> bool {
                (**self).parallel_writes()
            }

            fn wakeup(&self, topic: Topic) -> Option<Wakeup> {
                (**self).wakeup(topic)
            }
        }

        #[async_trait]
        impl<S: DeadlineStore + ?Sized> DeadlineStore for $pointer<S> {
            async fn set_deadline(&self, deadline: Deadline) -> Result<(), StoreError> {
                (**self).set_deadline(deadline).await
            }

            async fn clear_deadline(&self, key: &DeadlineKey) -> Result<(), StoreError> {
                (**self).clear_deadline(key).await
            }

            async fn due_deadlines(
                &self,
                now: DateTime<Utc>,
                limit: usize,
            ) -> Result<Vec<Deadline>, StoreError> {
                (**self).due_deadlines(now, limit).await
            }

            async fn deadline(&self, key: &DeadlineKey) -> Result<Option<Deadline>, StoreError> {
                (**self).deadline(key).await
            }

            async fn claim_deadlines(
                &self,
                scheduler: &str,
                now: DateTime<Utc>,
                claim_until: DateTime<Utc>,
                limit: usize,
            ) -> Result<Vec<Deadline>, StoreError> {
                (**self)
                    .claim_deadlines(scheduler, now, claim_until, limit)
                    .await
            }

            async fn next_deadline(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
                (**self).next_deadline().await
            }
        }

        #[async_trait]
        impl<S: Store + ?Sized> Store for $pointer<S> {
            async fn commit(&self, commit: Commit) -> Result<Receipt, StoreError> {
                (**self).commit(commit).await
            }

            async fn delete(
                &self,
                aggregate: &AggregateRef,
                expected: u64,
                events: Vec<(AggregateRef, Event)>,
            ) -> Result<Receipt, StoreError> {
                (**self).delete(aggregate, expected, events).await
            }
        }

        #[async_trait]
        impl<S: WebhookStore + ?Sized> WebhookStore for $pointer<S> {
            async fn create_webhook(&self, webhook: NewWebhook) -> Result<Webhook, StoreError> {
                (**self).create_webhook(webhook).await
            }

            async fn webhook(&self, id: u64) -> Result<Option<Webhook>, StoreError> {
                (**self).webhook(id).await
            }

            async fn webhooks(
                &self,
                scope: Option<&AggregateRef>,
            ) -> Result<Vec<Webhook>, StoreError> {
                (**self).webhooks(scope).await
            }

            async fn update_webhook(
                &self,
                id: u64,
                patch: WebhookPatch,
            ) -> Result<Option<Webhook>, StoreError> {
                (**self).update_webhook(id, patch).await
            }

            async fn delete_webhook(&self, id: u64) -> Result<bool, StoreError> {
                (**self).delete_webhook(id).await
            }

            async fn webhook_cursor(&self) -> Result<u64, StoreError> {
                (**self).webhook_cursor().await
            }

            async fn record_deliveries(
                &self,
                from: u64,
                to: u64,
                deliveries: Vec<NewDelivery>,
                now: DateTime<Utc>,
            ) -> Result<bool, StoreError> {
                (**self).record_deliveries(from, to, deliveries, now).await
            }

            async fn delivery(&self, id: u64) -> Result<Option<Delivery>, StoreError> {
                (**self).delivery(id).await
            }

            async fn deliveries(
                &self,
                webhook: u64,
                state: Option<DeliveryState>,
                after: u64,
                limit: usize,
            ) -> Result<Vec<Delivery>, StoreError> {
                (**self).deliveries(webhook, state, after, limit).await
            }

            async fn start_attempt(
                &self,
                id: u64,
                job: JobId,
                now: DateTime<Utc>,
            ) -> Result<Option<Delivery>, StoreError> {
                (**self).start_attempt(id, job, now).await
            }

            async fn finish_delivery(
                &self,
                id: u64,
                job: JobId,
                outcome: AttemptOutcome,
                now: DateTime<Utc>,
            ) -> Result<Option<Delivery>, StoreError> {
                (**self).finish_delivery(id, job, outcome, now).await
            }

            async fn record_attempt(
                &self,
                id: u64,
                job: JobId,
                attempt: Attempt,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<Option<Recorded>, StoreError> {
                (**self).record_attempt(id, job, attempt, now).await
            }

            async fn record_attempts(
                &self,
                job: JobId,
                run: AttemptRun,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<Option<RecordedRun>, StoreError> {
                (**self).record_attempts(job, run, now).await
            }

            async fn redeliver(
                &self,
                webhook: u64,
                delivery: Option<u64>,
                now: DateTime<Utc>,
            ) -> Result<Vec<Delivery>, StoreError> {
                (**self).redeliver(webhook, delivery, now).await
            }
        }
    };
}

forward!(Arc);
forward!(Box);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    fn is_store<S: Store>(_: &S) {}

    #[tokio::test]
    async fn a_shared_store_is_the_store_itself() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        is_store(&store);
        let boxed: Box<dyn Store> = Box::new(store.clone());
        is_store(&boxed);
        let now = DateTime::<Utc>::from_timestamp(1_000, 0).expect("a valid time");
        let job = boxed
            .enqueue(NewJob::new("k", serde_json::json!({}), now))
            .await;
        let job = job.expect("the memory store enqueues");
        assert_eq!(store.job(job.id).await.expect("a read"), Some(job));
        assert!(!boxed.parallel_writes());
        assert!(boxed.wakeup(Topic::Jobs).is_none());
        assert_eq!(format!("{:?}", &*store), "dyn Store");
    }
}
