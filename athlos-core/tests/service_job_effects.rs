//! A job's effect and its completion commit together (`Service::generate_for_job` over the
//! in-memory store): a job that generated its bracket is succeeded in the same commit, a
//! re-run of it writes nothing, and a worker whose lease was taken over commits nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use athlos_core::bracket::{BracketOptions, Format};
use athlos_core::clock::{Clock, ManualClock};
use athlos_core::competition::DivisionRules;
use athlos_core::error::{Error, StoreError};
use athlos_core::event::EventData;
use athlos_core::id::{CompetitionId, DivisionId};
use athlos_core::model::Participant;
use athlos_core::service::Service;
use athlos_core::store::{
    AggregateRef, AggregateStore, CancelOutcome, EventLog, Job, JobState, JobStore, MemoryStore,
    NewJob, SnapshotEntry, SnapshotIndex,
};
use chrono::{Duration, TimeZone, Utc};

async fn division_with_field(service: &Service<MemoryStore, ManualClock>) -> DivisionId {
    let competition = CompetitionId::new("open").unwrap();
    let division = DivisionId::new("u73").unwrap();
    service
        .create_competition(competition.clone(), "Open")
        .await
        .unwrap();
    let rules = DivisionRules {
        options: BracketOptions::new(Format::SingleElimination),
        seed: 3,
    };
    service
        .create_division(&competition, division.clone(), "-73 kg", rules)
        .await
        .unwrap();
    let field = (1..=8)
        .map(|i| Participant::new(format!("p{i}"), format!("P{i}")).unwrap())
        .collect();
    service.add_participants(&division, field).await.unwrap();
    division
}

async fn generated_events(service: &Service<MemoryStore, ManualClock>) -> usize {
    service
        .store()
        .events_after(0, 10_000)
        .await
        .unwrap()
        .iter()
        .filter(|e| matches!(e.event.data, EventData::BracketGenerated { .. }))
        .count()
}

/// A `generate_bracket` job queued now and claimed by `w1` for `lease`.
async fn claimed_by_w1(service: &Service<MemoryStore, ManualClock>, lease: Duration) -> Job {
    let now = service.clock().now();
    let store = service.store();
    let job = store
        .enqueue(NewJob::new("generate_bracket", serde_json::json!({}), now))
        .await
        .unwrap();
    let claimed = store.claim("w1", now, now + lease, 1).await.unwrap();
    assert_eq!(claimed.len(), 1);
    job
}

fn service() -> Service<MemoryStore, ManualClock> {
    let start = Utc.with_ymd_and_hms(2026, 5, 1, 9, 0, 0).unwrap();
    Service::new(MemoryStore::new(), ManualClock::new(start))
}

#[tokio::test]
async fn the_bracket_and_the_jobs_completion_commit_together() {
    let service = service();
    let division = division_with_field(&service).await;
    let now = Utc.with_ymd_and_hms(2026, 5, 1, 9, 0, 0).unwrap();
    let store = service.store();
    let job = store
        .enqueue(NewJob::new("generate_bracket", serde_json::json!({}), now))
        .await
        .unwrap();
    let claimed = store
        .claim("w1", now, now + Duration::seconds(3), 1)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);

    service
        .generate_for_job(&division, job.id, "w1")
        .await
        .unwrap();
    let done = store.job(job.id).await.unwrap().unwrap();
    assert_eq!(done.state, JobState::Succeeded);
    // Its snapshot index: the division's version read; the bracket's blob and the version
    // written.
    let stored = store.division(&division).await.unwrap().unwrap();
    let blob = stored.value.history.versions()[0].hash.clone();
    let aggregate = AggregateRef::Division(division.clone());
    assert_eq!(
        done.snapshot,
        Some(SnapshotIndex {
            read: vec![SnapshotEntry::Aggregate {
                aggregate: aggregate.clone(),
                version: stored.version - 1,
            }],
            wrote: vec![
                SnapshotEntry::Blob { hash: blob },
                SnapshotEntry::Aggregate {
                    aggregate,
                    version: stored.version,
                },
            ],
        })
    );
    assert_eq!(done.finished_at, Some(service.clock().now()));
    // The worker's own completion afterwards counts it as completed, not lost.
    assert_eq!(store.complete_all(&[job.id], "w1").await.unwrap(), [job.id]);

    // A re-run of the same job (its completion lost) writes nothing.
    let again = service.generate_for_job(&division, job.id, "w1").await;
    assert!(
        matches!(again, Err(Error::Store(StoreError::LeaseLost { .. }))),
        "{again:?}"
    );
    let stored = store.division(&division).await.unwrap().unwrap();
    assert_eq!(stored.value.history.versions().len(), 1);
    assert_eq!(generated_events(&service).await, 1);
    // A succeeded job is never claimed again.
    let later = now + Duration::hours(1);
    assert!(store
        .claim("w2", later, later + Duration::seconds(3), 10)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_worker_whose_lease_was_taken_over_commits_nothing() {
    let service = service();
    let division = division_with_field(&service).await;
    let now = Utc.with_ymd_and_hms(2026, 5, 1, 9, 0, 0).unwrap();
    let store = service.store();
    let job = claimed_by_w1(&service, Duration::seconds(3)).await;
    // w1 stalls past its lease; w2 takes the job over.
    let later = now + Duration::seconds(4);
    let taken = store
        .claim("w2", later, later + Duration::seconds(3), 1)
        .await
        .unwrap();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].attempts, 2);

    let stale = service.generate_for_job(&division, job.id, "w1").await;
    assert!(
        matches!(stale, Err(Error::Store(StoreError::LeaseLost { .. }))),
        "{stale:?}"
    );
    let stored = store.division(&division).await.unwrap().unwrap();
    assert!(stored.value.history.versions().is_empty());
    assert_eq!(generated_events(&service).await, 0);

    service
        .generate_for_job(&division, job.id, "w2")
        .await
        .unwrap();
    assert_eq!(
        store.job(job.id).await.unwrap().unwrap().state,
        JobState::Succeeded
    );
    let stored = store.division(&division).await.unwrap().unwrap();
    assert_eq!(stored.value.history.versions().len(), 1);
    assert_eq!(generated_events(&service).await, 1);
}

#[tokio::test]
async fn a_failed_draw_does_not_complete_the_job() {
    let service = service();
    let competition = CompetitionId::new("open").unwrap();
    let division = DivisionId::new("empty").unwrap();
    service
        .create_competition(competition.clone(), "Open")
        .await
        .unwrap();
    let rules = DivisionRules {
        options: BracketOptions::new(Format::SingleElimination),
        seed: 1,
    };
    service
        .create_division(&competition, division.clone(), "Empty", rules)
        .await
        .unwrap();
    let now = Utc.with_ymd_and_hms(2026, 5, 1, 9, 0, 0).unwrap();
    let store = service.store();
    let job = store
        .enqueue(NewJob::new("generate_bracket", serde_json::json!({}), now))
        .await
        .unwrap();
    store
        .claim("w1", now, now + Duration::seconds(3), 1)
        .await
        .unwrap();
    assert!(service
        .generate_for_job(&division, job.id, "w1")
        .await
        .is_err());
    // The attempt is the worker's to fail: still running under w1.
    let running = store.job(job.id).await.unwrap().unwrap();
    assert_eq!(running.state, JobState::Running);
    assert_eq!(running.worker.as_deref(), Some("w1"));
}

#[tokio::test]
async fn generation_is_queued_per_division_and_run_from_the_job() {
    use athlos_core::service::{generation_target, GENERATE_BRACKET};

    let service = service();
    let division = division_with_field(&service).await;
    let competition = CompetitionId::new("open").unwrap();
    let store = service.store();

    let queued = service
        .queue_generation(&competition, Some("k1"))
        .await
        .unwrap();
    assert_eq!(queued.len(), 1);
    let job = &queued[0];
    assert_eq!(job.kind, GENERATE_BRACKET);
    assert_eq!(job.max_attempts, 1);
    assert_eq!(generation_target(job), Some(division.clone()));
    // The same key again: the same job, nothing new queued.
    let again = service
        .queue_generation(&competition, Some("k1"))
        .await
        .unwrap();
    assert_eq!(again[0].id, job.id);
    assert_eq!(store.jobs(None, None, 100).await.unwrap().len(), 1);

    // Not leased: refused, nothing generated.
    let refused = service.run_generation(job).await.unwrap_err();
    assert_eq!(refused.code(), "document");
    assert_eq!(generated_events(&service).await, 0);

    let now = service.clock().now();
    let claimed = store
        .claim("w1", now, now + Duration::seconds(3), 1)
        .await
        .unwrap();
    service.run_generation(&claimed[0]).await.unwrap();
    assert_eq!(generated_events(&service).await, 1);
    assert_eq!(
        store.job(job.id).await.unwrap().unwrap().state,
        JobState::Succeeded
    );

    // A job of another kind names no division.
    let other = store
        .enqueue(NewJob::new(
            "other",
            serde_json::json!({"division": "u73"}),
            now,
        ))
        .await
        .unwrap();
    assert_eq!(generation_target(&other), None);
    // An unknown competition queues nothing.
    let unknown = CompetitionId::new("nope").unwrap();
    let refused = service.queue_generation(&unknown, None).await.unwrap_err();
    assert_eq!(refused.code(), "unknown_competition");
}

#[tokio::test]
async fn a_run_cancelled_while_running_commits_nothing() {
    let service = service();
    let division = division_with_field(&service).await;
    let now = service.clock().now();
    let store = service.store();
    let job = claimed_by_w1(&service, Duration::seconds(30)).await;
    let asked = store.request_cancel(job.id, now).await.unwrap();
    assert_eq!(asked.outcome, CancelOutcome::StopRequested);
    let before = store.division(&division).await.unwrap().unwrap();
    let events = generated_events(&service).await;
    let refused = service.generate_for_job(&division, job.id, "w1").await;
    assert!(
        matches!(refused, Err(Error::Store(StoreError::RunCancelled { id })) if id == job.id),
        "{refused:?}"
    );
    assert_eq!(store.division(&division).await.unwrap().unwrap(), before);
    assert_eq!(generated_events(&service).await, events);
    let stopped = store
        .fail(job.id, "w1", "cancelled".to_owned(), now, now)
        .await
        .unwrap();
    assert_eq!(stopped.state, JobState::Cancelled);
    assert_eq!(stopped.snapshot, None);
}
