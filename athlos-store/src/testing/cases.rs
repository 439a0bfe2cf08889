//! The conformance cases, each generic over the store: call them through
//! [`crate::store_conformance!`], or one by one on a store of your own.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    reason = "a test suite: a failed expectation panics"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use athlos_core::bracket::{BracketOptions, Format};
use athlos_core::clock::ManualClock;
use athlos_core::competition::DivisionRules;
use athlos_core::error::{Error, ServiceError, StoreError};
use athlos_core::event::EventData;
use athlos_core::id::{CompetitionId, DivisionId, TagName, TournamentId};
use athlos_core::lifecycle::TournamentState;
use athlos_core::model::Participant;
use athlos_core::service::Service;
use athlos_core::store::{
    AggregateRef, Backoff, CancelOutcome, Commit, CompletedRun, Deadline, DeadlineKey, Job, JobId,
    JobState, JobStore, NewJob, Run, RunFilter, RunStatus, SnapshotEntry, SnapshotIndex, Store,
    Write,
};
use athlos_core::tournament::TournamentRules;
use athlos_core::version::{ContentHash, Patch};
use athlos_runner::{Scheduler, SchedulerConfig, Worker, WorkerConfig};
use chrono::{DateTime, Duration, SubsecRound, TimeZone, Utc};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

fn secs(n: i64) -> Duration {
    Duration::seconds(n)
}

fn cid(id: &str) -> CompetitionId {
    CompetitionId::new(id).unwrap()
}

fn did(id: &str) -> DivisionId {
    DivisionId::new(id).unwrap()
}

fn tid(id: &str) -> TournamentId {
    TournamentId::new(id).unwrap()
}

fn field(n: usize) -> Vec<Participant> {
    (1..=n)
        .map(|i| Participant::new(format!("p{i}"), format!("Player {i}")).unwrap())
        .collect()
}

fn rules() -> DivisionRules {
    DivisionRules {
        options: BracketOptions::new(Format::SingleElimination),
        seed: 7,
    }
}

/// A division with a generated bracket; returns the service.
async fn generated<S: Store>(store: S) -> Service<S, ManualClock> {
    let service = Service::new(store, ManualClock::new(t0()));
    service
        .create_competition(cid("open"), "Open")
        .await
        .unwrap();
    service
        .create_division(&cid("open"), did("u73"), "-73 kg", rules())
        .await
        .unwrap();
    service
        .add_participants(&did("u73"), field(6))
        .await
        .unwrap();
    service.generate(&did("u73")).await.unwrap();
    service
}

fn job(kind: &str) -> NewJob {
    NewJob::new(kind, serde_json::json!({"kind": kind}), t0())
}

fn key(aggregate: &str, purpose: &str) -> DeadlineKey {
    DeadlineKey {
        aggregate: AggregateRef::Tournament(tid(aggregate)),
        purpose: purpose.to_owned(),
    }
}

fn ids(jobs: &[Job]) -> Vec<JobId> {
    jobs.iter().map(|j| j.id).collect()
}

pub async fn aggregates_versions_and_conflicts<S: Store>(store: S) {
    let service = generated(store).await;
    let store = service.store();
    let competition = store.competition(&cid("open")).await.unwrap().unwrap();
    assert_eq!(competition.value.name, "Open");
    assert_eq!(competition.value.divisions, vec![did("u73")]);
    let division = store.division(&did("u73")).await.unwrap().unwrap();
    assert_eq!(division.value.participants, field(6));
    assert!(division.value.bracket.is_some());
    assert!(store.division(&did("nope")).await.unwrap().is_none());
    assert!(store.competition(&cid("nope")).await.unwrap().is_none());
    assert!(store.tournament(&tid("nope")).await.unwrap().is_none());
    // The version alone, as the documents have it; none for what does not exist.
    for (aggregate, version) in [
        (AggregateRef::Division(did("u73")), Some(division.version)),
        (
            AggregateRef::Competition(cid("open")),
            Some(competition.version),
        ),
        (AggregateRef::Division(did("nope")), None),
        (AggregateRef::Tournament(tid("nope")), None),
    ] {
        assert_eq!(
            store.version(&aggregate).await.unwrap(),
            version,
            "{aggregate}"
        );
    }

    // Creating what exists is a conflict in the store, which the service answers as a taken
    // id.
    let mut twin = competition.value.clone();
    twin.name = "Again".to_owned();
    let again = store
        .commit(Commit {
            writes: vec![Write::Competition {
                value: twin,
                expected: None,
            }],
            ..Commit::default()
        })
        .await;
    assert!(
        matches!(
            again,
            Err(StoreError::Conflict { expected: None, found: Some(v), .. }) if v == competition.version
        ),
        "{again:?}"
    );
    let again = service.create_competition(cid("open"), "Again").await;
    assert!(
        matches!(again, Err(Error::Service(ServiceError::IdTaken { ref aggregate })) if aggregate == "competition:open"),
        "{again:?}"
    );
    assert_eq!(
        store.competition(&cid("open")).await.unwrap().unwrap(),
        competition
    );

    // One stale write fails the whole commit: nothing else in it is applied.
    let logged = store.events_after(0, 1000).await.unwrap();
    let event = logged[0].clone();
    let mut renamed = competition.value.clone();
    renamed.name = "Renamed".to_owned();
    let blob = b"not applied".to_vec();
    let hash = ContentHash::of(&blob);
    let stale = Commit {
        writes: vec![
            Write::Competition {
                value: renamed.clone(),
                expected: Some(competition.version),
            },
            Write::Division {
                value: division.value.clone(),
                expected: Some(division.version + 5),
            },
        ],
        blobs: vec![(hash.clone(), blob)],
        events: vec![(event.aggregate.clone(), event.event.clone())],
        jobs: vec![job("never")],
        deadlines: vec![Deadline {
            key: key("t1", "never"),
            due: t0(),
            sequence: 1,
        }],
        ..Commit::default()
    };
    match store.commit(stale).await {
        Err(StoreError::Conflict {
            aggregate,
            expected,
            found,
        }) => {
            assert_eq!(aggregate, "division:u73");
            assert_eq!(expected, Some(division.version + 5));
            assert_eq!(found, Some(division.version));
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(
        store.competition(&cid("open")).await.unwrap().unwrap(),
        competition
    );
    assert!(store.blob(&hash).await.unwrap().is_none());
    assert_eq!(store.events_after(0, 1000).await.unwrap(), logged);
    assert!(store.jobs(None, None, 10).await.unwrap().is_empty());
    assert!(store.deadline(&key("t1", "never")).await.unwrap().is_none());

    // The same writes at the right versions apply together.
    let receipt = store
        .commit(Commit {
            writes: vec![
                Write::Competition {
                    value: renamed.clone(),
                    expected: Some(competition.version),
                },
                Write::Division {
                    value: division.value.clone(),
                    expected: Some(division.version),
                },
            ],
            ..Commit::default()
        })
        .await
        .unwrap();
    assert_eq!(
        receipt.versions,
        vec![competition.version + 1, division.version + 1]
    );
    let now = store.competition(&cid("open")).await.unwrap().unwrap();
    assert_eq!((now.version, now.value), (competition.version + 1, renamed));
}

pub async fn tournaments_are_listed_by_state<S: Store>(store: S) {
    let service = Service::new(store, ManualClock::new(t0()));
    let rules = TournamentRules {
        options: BracketOptions::new(Format::SingleElimination),
        min_entries: 2,
        max_entries: None,
        seed: 1,
        swiss: None,
    };
    for id in ["t3", "t1", "t2", "t10"] {
        service
            .create_tournament(tid(id), format!("Cup {id}"), rules.clone())
            .await
            .unwrap();
    }
    service.publish(&tid("t2")).await.unwrap();
    let store = service.store();
    let listed = |all: Vec<athlos_core::store::Stored<athlos_core::tournament::Tournament>>| {
        all.into_iter()
            .map(|t| t.value.id.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        listed(store.tournaments(None, 10, 0).await.unwrap()),
        ["t1", "t10", "t2", "t3"],
        "by id, bytewise"
    );
    assert_eq!(
        listed(store.tournaments(None, 2, 1).await.unwrap()),
        ["t10", "t2"]
    );
    assert_eq!(
        listed(
            store
                .tournaments(Some(TournamentState::Registration), 10, 0)
                .await
                .unwrap()
        ),
        ["t2"]
    );
    assert_eq!(
        listed(
            store
                .tournaments(Some(TournamentState::Draft), 10, 0)
                .await
                .unwrap()
        ),
        ["t1", "t10", "t3"]
    );
    let t2 = store.tournament(&tid("t2")).await.unwrap().unwrap();
    assert_eq!(
        (t2.version, t2.value.state),
        (2, TournamentState::Registration)
    );
}

/// Event text of any content comes back from the log as written: quotes, backslashes,
/// dollar signs and dollar-quote tags, line breaks, text that reads as SQL, and non-ASCII.
pub async fn event_text_comes_back_as_written<S: Store + 'static>(store: S) {
    let service = generated(store).await;
    let first = service.store().events_after(0, 1).await.unwrap();
    let template = first[0].clone();
    let awkward = [
        "$e0$",
        "$e0$$e1$ ' '' \" \\ \\' $$ $",
        "line\nbreak\ttab \u{e9} \u{2713} \u{1f3c6}",
        "$e2$'); DROP TABLE athlos_events; --",
        "ends with a tag's start $e0",
    ];
    let mut events = Vec::new();
    for (i, text) in awkward.iter().enumerate() {
        let mut event = template.event.clone();
        event.data = EventData::ChatPosted {
            tournament: TournamentId::new("chat-cup").unwrap(),
            message: i as u64 + 1,
            author: (*text).to_owned(),
            text: (*text).to_owned(),
        };
        events.push((template.aggregate.clone(), event));
    }
    let receipt = service
        .store()
        .commit(Commit {
            events: events.clone(),
            ..Commit::default()
        })
        .await
        .unwrap();
    assert_eq!(receipt.sequences.len(), awkward.len());
    let logged = service
        .store()
        .events_after(receipt.sequences[0] - 1, awkward.len())
        .await
        .unwrap();
    let read: Vec<_> = logged.into_iter().map(|l| l.event).collect();
    let written: Vec<_> = events.into_iter().map(|(_, e)| e).collect();
    assert_eq!(read, written, "the log gives back what was written");
}

pub async fn event_log_is_gapless_and_replays<S: Store + 'static>(store: S) {
    let service = generated(store).await;
    let first = service.store().events_after(0, 1000).await.unwrap();
    assert!(!first.is_empty());
    let template = first[0].clone();
    let store = Arc::new(service);
    // Eight writers append two events per commit, five commits each, at the same time.
    let mut writers = Vec::new();
    for _ in 0..8 {
        let service = store.clone();
        let template = template.clone();
        writers.push(tokio::spawn(async move {
            let mut receipts = Vec::new();
            for _ in 0..5 {
                let receipt = service
                    .store()
                    .commit(Commit {
                        events: vec![
                            (template.aggregate.clone(), template.event.clone()),
                            (template.aggregate.clone(), template.event.clone()),
                        ],
                        ..Commit::default()
                    })
                    .await
                    .unwrap();
                receipts.push(receipt.sequences);
            }
            receipts
        }));
    }
    let mut given = Vec::new();
    for writer in writers {
        for sequences in writer.await.unwrap() {
            assert_eq!(sequences.len(), 2);
            assert_eq!(
                sequences[1],
                sequences[0] + 1,
                "a commit's events are adjacent"
            );
            given.extend(sequences);
        }
    }
    let store = store.store();
    let log = store.events_after(0, 10_000).await.unwrap();
    let total = first.len() + 80;
    assert_eq!(log.len(), total);
    let sequences: Vec<u64> = log.iter().map(|e| e.sequence).collect();
    assert_eq!(
        sequences,
        (1..=total as u64).collect::<Vec<_>>(),
        "gapless, in order"
    );
    given.sort_unstable();
    assert_eq!(
        given,
        ((first.len() as u64 + 1)..=total as u64).collect::<Vec<_>>()
    );
    assert_eq!(&log[..first.len()], &first[..]);
    assert_eq!(log[total - 1].event, template.event);
    assert_eq!(log[total - 1].aggregate, template.aggregate);
    // A consumer resumes from its cursor and misses nothing.
    let mut cursor = 0;
    let mut replayed = Vec::new();
    loop {
        let page = store.events_after(cursor, 7).await.unwrap();
        if page.is_empty() {
            break;
        }
        cursor = page.last().unwrap().sequence;
        replayed.extend(page);
    }
    assert_eq!(replayed, log);
    assert!(store
        .events_after(total as u64, 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.events_after(3, 2).await.unwrap(), log[3..5].to_vec());
}

pub async fn blobs_are_stored_once<S: Store>(store: S) {
    let bytes = b"{\"bracket\":1}".to_vec();
    let hash = ContentHash::of(&bytes);
    for _ in 0..2 {
        store
            .commit(Commit {
                blobs: vec![(hash.clone(), bytes.clone())],
                ..Commit::default()
            })
            .await
            .unwrap();
    }
    // The address names the content: a second store under it keeps the first bytes.
    store
        .commit(Commit {
            blobs: vec![(hash.clone(), b"other".to_vec())],
            ..Commit::default()
        })
        .await
        .unwrap();
    assert_eq!(store.blob(&hash).await.unwrap(), Some(bytes));
    assert!(store
        .blob(&ContentHash::of(b"missing"))
        .await
        .unwrap()
        .is_none());
}

pub async fn tag_history_undo_redo<S: Store>(store: S) {
    let service = generated(store).await;
    let id = did("u73");
    let current =
        |division: &athlos_core::competition::Division| division.history.tag(&TagName::current());
    let reload = || async { service.store().division(&id).await.unwrap().unwrap() };
    assert_eq!(current(&reload().await.value), Some(1));
    service
        .edit(
            &id,
            Patch::Swap {
                a: field(6)[0].id.clone(),
                b: field(6)[1].id.clone(),
            },
        )
        .await
        .unwrap();
    service
        .move_tag(&id, TagName::published(), 1)
        .await
        .unwrap();
    let stored = reload().await;
    assert_eq!(current(&stored.value), Some(2));
    assert_eq!(stored.value.history.tag(&TagName::published()), Some(1));
    // Every version's bracket is a stored blob.
    for version in stored.value.history.versions() {
        assert!(service.store().blob(&version.hash).await.unwrap().is_some());
    }
    let v2_bracket = stored.value.bracket.clone();

    service.undo_tag(&id).await.unwrap();
    let undone = reload().await;
    assert_eq!(undone.value.history.tag(&TagName::published()), None);
    assert_eq!(current(&undone.value), Some(2));
    service.undo_tag(&id).await.unwrap();
    let undone = reload().await;
    assert_eq!(current(&undone.value), Some(1));
    assert_ne!(undone.value.bracket, v2_bracket);
    service.redo_tag(&id).await.unwrap();
    let redone = reload().await;
    assert_eq!(current(&redone.value), Some(2));
    assert_eq!(redone.value.bracket, v2_bracket);
    service.redo_tag(&id).await.unwrap();
    let redone = reload().await;
    assert_eq!(redone.value.history.tag(&TagName::published()), Some(1));
    assert!(service.redo_tag(&id).await.is_err(), "nothing left to redo");
    // The log holds every tag move, in order.
    let moves = service
        .store()
        .events_after(0, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.event.event_type().as_str() == "tag.moved")
        .count();
    assert_eq!(moves, redone.value.history.reflog().len());
}

pub async fn job_queue<S: Store>(store: S) {
    let lease = t0() + secs(30);
    // Idempotency keys.
    let first = store
        .enqueue(job("a").with_key("gen-a").with_max_attempts(2))
        .await
        .unwrap();
    let again = store
        .enqueue(job("changed").with_key("gen-a"))
        .await
        .unwrap();
    assert_eq!(
        again, first,
        "a second enqueue with the key returns the first job"
    );
    assert_eq!(
        (
            first.state,
            first.attempts,
            first.max_attempts,
            first.kind.as_str()
        ),
        (JobState::Queued, 0, 2, "a")
    );
    let low = store
        .enqueue(job("low").with_max_attempts(1))
        .await
        .unwrap();
    let urgent = store.enqueue(job("urgent").with_priority(5)).await.unwrap();
    let later = store
        .enqueue(NewJob::new(
            "later",
            serde_json::json!(null),
            t0() + secs(60),
        ))
        .await
        .unwrap();
    assert!(first.id < low.id && low.id < urgent.id && urgent.id < later.id);
    assert_eq!(store.job(urgent.id).await.unwrap(), Some(urgent.clone()));
    assert!(store.job(JobId(9_999)).await.unwrap().is_none());

    // Claims: due jobs only, higher priority first, then oldest.
    let claimed = store.claim("w1", t0(), lease, 2).await.unwrap();
    assert_eq!(ids(&claimed), vec![urgent.id, first.id]);
    assert!(claimed.iter().all(|j| j.state == JobState::Running
        && j.attempts == 1
        && j.worker.as_deref() == Some("w1")
        && j.lease_until == Some(lease)));
    let running = store.jobs(Some(JobState::Running), None, 10).await.unwrap();
    assert_eq!(ids(&running), vec![first.id, urgent.id]);
    assert_eq!(
        ids(&store.jobs(None, Some(first.id), 2).await.unwrap()),
        vec![low.id, urgent.id]
    );
    // A lease keeps other workers off.
    let second = store.claim("w2", t0(), lease, 10).await.unwrap();
    assert_eq!(ids(&second), vec![low.id]);

    // Heartbeats extend a lease; only its holder may.
    let extended = lease + secs(30);
    let beat = store.heartbeat(first.id, "w1", extended).await.unwrap();
    assert_eq!(beat.lease_until, Some(extended));
    assert!(matches!(
        store.heartbeat(first.id, "w2", extended).await,
        Err(StoreError::LeaseLost { .. })
    ));
    assert!(matches!(
        store.heartbeat(JobId(9_999), "w1", extended).await,
        Err(StoreError::UnknownJob { .. })
    ));

    // Expired leases are claimed again (urgent's at `lease`, first's extended).
    let rescued = store
        .claim("w3", lease, lease + secs(30), 10)
        .await
        .unwrap();
    assert_eq!(ids(&rescued), vec![urgent.id, low.id]);
    assert_eq!(rescued[0].attempts, 2);
    assert!(matches!(
        store.complete(urgent.id, "w1").await,
        Err(StoreError::LeaseLost { .. })
    ));
    assert!(matches!(
        store.complete(JobId(9_999), "w1").await,
        Err(StoreError::UnknownJob { .. })
    ));

    // Failures: retried at the given time while attempts remain, then dead.
    let retry_at = lease + secs(10);
    let failed = store
        .fail(low.id, "w3", "boom".to_owned(), retry_at, t0())
        .await
        .unwrap();
    assert_eq!(failed.state, JobState::Dead, "one attempt of one");
    assert_eq!(failed.last_error.as_deref(), Some("boom"));
    assert_eq!(failed.finished_at, Some(t0()), "a dead job is finished");
    let failed = store
        .fail(first.id, "w1", "first try".to_owned(), retry_at, t0())
        .await
        .unwrap();
    assert_eq!(failed.finished_at, None, "a job to retry is not finished");
    assert_eq!((failed.state, failed.run_at), (JobState::Failed, retry_at));
    assert!(ids(&store
        .claim("w4", retry_at - secs(1), retry_at, 10)
        .await
        .unwrap())
    .is_empty());
    let retried = store
        .claim("w4", retry_at, retry_at + secs(30), 10)
        .await
        .unwrap();
    assert_eq!(ids(&retried), vec![first.id]);
    assert_eq!(retried[0].attempts, 2);
    let dead = store
        .fail(first.id, "w4", "second try".to_owned(), retry_at, t0())
        .await
        .unwrap();
    assert_eq!(
        (dead.state, dead.last_error.as_deref()),
        (JobState::Dead, Some("second try"))
    );
    assert_eq!(
        ids(&store.jobs(Some(JobState::Dead), None, 10).await.unwrap()),
        vec![first.id, low.id]
    );

    // An operator requeues a dead letter; other jobs are refused.
    assert!(matches!(
        store.requeue(urgent.id, retry_at).await,
        Err(StoreError::JobNotDead { .. })
    ));
    assert!(matches!(
        store.requeue(JobId(9_999), retry_at).await,
        Err(StoreError::UnknownJob { .. })
    ));
    let requeued = store.requeue(first.id, retry_at).await.unwrap();
    assert_eq!(
        (
            requeued.state,
            requeued.attempts,
            requeued.last_error.as_deref()
        ),
        (JobState::Queued, 0, Some("second try"))
    );

    // Release gives a job back without counting the attempt; batch completion.
    let claimed = store
        .claim("w5", retry_at, retry_at + secs(30), 10)
        .await
        .unwrap();
    assert_eq!(ids(&claimed), vec![first.id]);
    let released = store.release(first.id, "w5").await.unwrap();
    assert_eq!(
        (released.state, released.attempts, released.worker),
        (JobState::Queued, 0, None)
    );
    assert!(matches!(
        store.release(first.id, "w5").await,
        Err(StoreError::LeaseLost { .. })
    ));
    assert_eq!(
        store.complete(urgent.id, "w3").await.unwrap().state,
        JobState::Succeeded
    );
    let now = later.run_at;
    let claimed = store.claim("w6", now, now + secs(30), 10).await.unwrap();
    assert_eq!(ids(&claimed), vec![first.id, later.id]);
    let done = store
        .complete_all(&[first.id, later.id, urgent.id], "w6")
        .await
        .unwrap();
    assert_eq!(done, vec![first.id, later.id], "urgent is done already");
    assert_eq!(
        ids(&store
            .jobs(Some(JobState::Succeeded), None, 10)
            .await
            .unwrap()),
        vec![first.id, urgent.id, later.id]
    );
    assert!(store
        .claim("w7", now + secs(3600), now, 10)
        .await
        .unwrap()
        .is_empty());
    // Jobs enqueued by a commit follow the same keys.
    store
        .commit(Commit {
            jobs: vec![
                job("again").with_key("gen-a"),
                job("fresh").with_key("gen-b"),
            ],
            ..Commit::default()
        })
        .await
        .unwrap();
    let all = store.jobs(None, None, 100).await.unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(
        all.iter()
            .filter(|j| j.idempotency_key.as_deref() == Some("gen-a"))
            .count(),
        1
    );
    // A job is found by its key without enqueueing anything.
    let by_key = store.job_by_key("gen-b").await.unwrap().unwrap();
    assert_eq!(by_key.kind, "fresh");
    assert_eq!(by_key.idempotency_key.as_deref(), Some("gen-b"));
    assert!(store.job_by_key("no-such-key").await.unwrap().is_none());
    // An id no database can hold names no job (not a storage failure).
    assert!(store.job(JobId(u64::MAX)).await.unwrap().is_none());
    assert_eq!(store.jobs(None, None, 100).await.unwrap().len(), 5);
}

pub async fn job_completion_commits_with_its_effect<S: Store>(store: S) {
    let queued = store.enqueue(job("effect")).await.unwrap();
    store.claim("w1", t0(), t0() + secs(30), 1).await.unwrap();
    let bytes = b"effect".to_vec();
    let hash = ContentHash::of(&bytes);
    // A worker that lost the lease commits nothing.
    let lost = store
        .commit(Commit {
            blobs: vec![(hash.clone(), bytes.clone())],
            completed_jobs: vec![(queued.id, "w2".to_owned())],
            ..Commit::default()
        })
        .await;
    assert!(
        matches!(lost, Err(StoreError::LeaseLost { .. })),
        "{lost:?}"
    );
    assert!(store.blob(&hash).await.unwrap().is_none());
    assert_eq!(
        store.job(queued.id).await.unwrap().unwrap().state,
        JobState::Running
    );
    store
        .commit(Commit {
            blobs: vec![(hash.clone(), bytes.clone())],
            completed_jobs: vec![(queued.id, "w1".to_owned())],
            ..Commit::default()
        })
        .await
        .unwrap();
    assert_eq!(store.blob(&hash).await.unwrap(), Some(bytes));
    assert_eq!(
        store.job(queued.id).await.unwrap().unwrap().state,
        JobState::Succeeded
    );
    // A worker completing it again (as `Worker` does after its handler returns) counts it as
    // its own success, not as a lost lease; another worker does not.
    assert_eq!(
        store.complete_all(&[queued.id], "w1").await.unwrap(),
        vec![queued.id]
    );
    assert_eq!(
        store.complete_all(&[queued.id], "w2").await.unwrap(),
        vec![]
    );
    assert_eq!(
        store.job(queued.id).await.unwrap().unwrap().state,
        JobState::Succeeded
    );
}

pub async fn deadlines_are_claimed_and_fenced<S: Store>(store: S) {
    assert_eq!(store.next_deadline().await.unwrap(), None);
    for (id, offset, sequence) in [("b", 10, 1), ("a", 10, 4), ("c", 20, 1), ("d", 90, 1)] {
        store
            .set_deadline(Deadline {
                key: key(id, "round_timer"),
                due: t0() + secs(offset),
                sequence,
            })
            .await
            .unwrap();
    }
    assert_eq!(store.next_deadline().await.unwrap(), Some(t0() + secs(10)));
    let due = store.due_deadlines(t0() + secs(20), 10).await.unwrap();
    assert_eq!(
        due.iter().map(|d| d.key.clone()).collect::<Vec<_>>(),
        vec![
            key("a", "round_timer"),
            key("b", "round_timer"),
            key("c", "round_timer")
        ]
    );
    assert_eq!(
        store.deadline(&key("a", "round_timer")).await.unwrap(),
        Some(due[0].clone())
    );
    assert!(store
        .deadline(&key("z", "round_timer"))
        .await
        .unwrap()
        .is_none());

    // Claims: due ones, earliest first, held until the claim expires.
    let now = t0() + secs(20);
    let claim_until = now + secs(30);
    let first = store
        .claim_deadlines("s1", now, claim_until, 2)
        .await
        .unwrap();
    assert_eq!(first, due[..2].to_vec());
    let second = store
        .claim_deadlines("s2", now, claim_until, 10)
        .await
        .unwrap();
    assert_eq!(second, due[2..].to_vec());
    assert!(store
        .claim_deadlines("s2", now, claim_until, 10)
        .await
        .unwrap()
        .is_empty());
    // The next moment anything is claimable: c's claim expires before d is due.
    assert_eq!(store.next_deadline().await.unwrap(), Some(claim_until));

    // Acting fences by sequence: a re-arm moves the deadline on.
    let a = first[0].clone();
    let rearmed = Deadline {
        key: a.key.clone(),
        due: t0() + secs(120),
        sequence: a.sequence + 1,
    };
    store
        .commit(Commit {
            fired_deadlines: vec![a.clone()],
            deadlines: vec![rearmed.clone()],
            ..Commit::default()
        })
        .await
        .unwrap();
    assert_eq!(store.deadline(&a.key).await.unwrap(), Some(rearmed.clone()));
    // A stale claim of the old sequence changes nothing, even with other writes.
    let stale = store
        .commit(Commit {
            fired_deadlines: vec![a.clone()],
            cleared_deadlines: vec![key("d", "round_timer")],
            ..Commit::default()
        })
        .await;
    assert!(
        matches!(stale, Err(StoreError::DeadlineMoved { sequence: 4, .. })),
        "{stale:?}"
    );
    assert!(store
        .deadline(&key("d", "round_timer"))
        .await
        .unwrap()
        .is_some());
    // Firing without a re-arm removes the deadline.
    store
        .commit(Commit {
            fired_deadlines: vec![first[1].clone()],
            ..Commit::default()
        })
        .await
        .unwrap();
    assert!(store.deadline(&first[1].key).await.unwrap().is_none());
    // An expired claim is claimed again; the re-armed one is not due yet.
    let after = claim_until + secs(1);
    let reclaimed = store
        .claim_deadlines("s3", after, after + secs(30), 10)
        .await
        .unwrap();
    assert_eq!(
        reclaimed.iter().map(|d| d.key.clone()).collect::<Vec<_>>(),
        vec![key("c", "round_timer")]
    );
    // Setting a deadline again drops its claim.
    let c = reclaimed[0].clone();
    store
        .set_deadline(Deadline {
            sequence: c.sequence + 1,
            ..c.clone()
        })
        .await
        .unwrap();
    let claimed = store
        .claim_deadlines("s4", after, after + secs(30), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].sequence, c.sequence + 1);
    store.clear_deadline(&c.key).await.unwrap();
    store.clear_deadline(&c.key).await.unwrap();
    assert!(store.deadline(&c.key).await.unwrap().is_none());
    assert_eq!(store.next_deadline().await.unwrap(), Some(t0() + secs(90)));
    // Deadlines set by a commit, and cleared by one.
    store
        .commit(Commit {
            deadlines: vec![Deadline {
                key: key("e", "pick_clock"),
                due: t0(),
                sequence: 1,
            }],
            cleared_deadlines: vec![key("d", "round_timer")],
            ..Commit::default()
        })
        .await
        .unwrap();
    assert_eq!(store.next_deadline().await.unwrap(), Some(t0()));
    assert!(store
        .deadline(&key("d", "round_timer"))
        .await
        .unwrap()
        .is_none());
}

pub async fn concurrent_deadline_claims_never_overlap<S: Store + 'static>(store: S) {
    let store = Arc::new(store);
    let total = 200;
    for i in 0..total {
        store
            .set_deadline(Deadline {
                key: key(&format!("t{i:03}"), "clock"),
                due: t0() + Duration::milliseconds(i),
                sequence: 1,
            })
            .await
            .unwrap();
    }
    let now = t0() + secs(1);
    let mut claimers = Vec::new();
    for name in ["s1", "s2", "s3"] {
        let store = store.clone();
        claimers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let batch = store
                    .claim_deadlines(name, now, now + secs(30), 7)
                    .await
                    .unwrap();
                if batch.is_empty() {
                    return mine;
                }
                mine.extend(batch.into_iter().map(|d| d.key));
            }
        }));
    }
    let mut all = Vec::new();
    for claimer in claimers {
        all.extend(claimer.await.unwrap());
    }
    let distinct: BTreeSet<_> = all.iter().cloned().collect();
    assert_eq!(all.len(), total as usize, "no deadline claimed twice");
    assert_eq!(distinct.len(), total as usize);
}

pub async fn two_schedulers_fire_each_deadline_once<S: Store + 'static>(store: S) {
    let store = Arc::new(store);
    let total = 120;
    let start = Utc::now();
    for i in 0..total {
        store
            .set_deadline(Deadline {
                key: key(&format!("t{i:03}"), "clock"),
                // Half are due already; the rest come due over 0.6 s.
                due: start + Duration::milliseconds((i - total / 2).max(0) * 10),
                sequence: 7,
            })
            .await
            .unwrap();
    }
    let calls: Arc<Mutex<Vec<(DeadlineKey, u64)>>> = Arc::default();
    let mut runs = Vec::new();
    let mut stops = Vec::new();
    for name in ["s1", "s2"] {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        stops.push(stop);
        let calls = calls.clone();
        // The effect: a job per firing, committed with the fence.
        let handler = move |deadline: Deadline| {
            let calls = calls.clone();
            async move {
                calls
                    .lock()
                    .unwrap()
                    .push((deadline.key.clone(), deadline.sequence));
                Ok(Commit {
                    jobs: vec![NewJob::new(
                        "fired",
                        serde_json::to_value(&deadline.key).unwrap(),
                        Utc::now(),
                    )],
                    ..Commit::default()
                })
            }
        };
        let mut config = SchedulerConfig::new(name);
        config.batch = 16;
        config.poll = StdDuration::from_millis(50);
        let scheduler = Scheduler::new(store.clone(), handler, config);
        runs.push(tokio::spawn(scheduler.run(async move {
            let _ = stopped.await;
        })));
    }
    let waited = tokio::time::timeout(StdDuration::from_secs(30), async {
        while store.next_deadline().await.unwrap().is_some() {
            tokio::time::sleep(StdDuration::from_millis(20)).await;
        }
    })
    .await;
    for stop in stops {
        let _ = stop.send(());
    }
    let mut fired = 0;
    for run in runs {
        fired += run.await.unwrap().fired;
    }
    assert!(waited.is_ok(), "every deadline fired within 30 s");
    let calls = calls.lock().unwrap().clone();
    let distinct: BTreeSet<_> = calls.iter().cloned().collect();
    assert_eq!(
        calls.len(),
        total as usize,
        "no deadline handed to two schedulers"
    );
    assert_eq!(distinct.len(), total as usize);
    assert_eq!(fired, total as u64);
    let effects = store.jobs(None, None, 1000).await.unwrap();
    let keys: BTreeSet<String> = effects.iter().map(|j| j.payload.to_string()).collect();
    assert_eq!(effects.len(), total as usize, "each effect landed once");
    assert_eq!(keys.len(), total as usize);
}

/// A scheduler whose claim went stale (another fired and re-armed the deadline) applies
/// nothing.
pub async fn stale_scheduler_applies_nothing<S: Store + 'static>(store: S) {
    let store = Arc::new(store);
    // The stores keep times to the microsecond.
    let deadline = Deadline {
        key: key("t1", "clock"),
        due: Utc::now().trunc_subsecs(6) - secs(60),
        sequence: 1,
    };
    store.set_deadline(deadline.clone()).await.unwrap();
    // Claimed by a scheduler that then stalls past its claim.
    let now = Utc::now();
    let stalled = store
        .claim_deadlines("stalled", now - secs(30), now - secs(1), 10)
        .await
        .unwrap();
    assert_eq!(stalled, vec![deadline.clone()]);
    // A live scheduler fires it and re-arms it.
    let rearmed = Deadline {
        due: now.trunc_subsecs(6) + secs(3600),
        sequence: 2,
        ..deadline.clone()
    };
    let handler = {
        let rearmed = rearmed.clone();
        move |fired: Deadline| {
            let rearmed = rearmed.clone();
            async move {
                Ok(Commit {
                    jobs: vec![NewJob::new(
                        "fired",
                        serde_json::json!(fired.sequence),
                        Utc::now(),
                    )],
                    deadlines: vec![rearmed],
                    ..Commit::default()
                })
            }
        }
    };
    let mut config = SchedulerConfig::new("live");
    config.poll = StdDuration::from_millis(20);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(
        Scheduler::new(store.clone(), handler, config).run(async move {
            let _ = stopped.await;
        }),
    );
    tokio::time::timeout(StdDuration::from_secs(10), async {
        while store.deadline(&deadline.key).await.unwrap() != Some(rearmed.clone()) {
            tokio::time::sleep(StdDuration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
    let _ = stop.send(());
    assert_eq!(run.await.unwrap().fired, 1);
    // The stalled scheduler wakes up and acts on its old claim: nothing is applied.
    let late = store
        .commit(Commit {
            jobs: vec![NewJob::new("fired", serde_json::json!(1), Utc::now())],
            fired_deadlines: stalled,
            ..Commit::default()
        })
        .await;
    assert!(
        matches!(late, Err(StoreError::DeadlineMoved { .. })),
        "{late:?}"
    );
    assert_eq!(store.jobs(None, None, 10).await.unwrap().len(), 1);
    assert_eq!(store.deadline(&deadline.key).await.unwrap(), Some(rearmed));
}

pub async fn worker_runs_retries_and_releases<S: Store + 'static>(store: S) {
    let store = Arc::new(store);
    let now = Utc::now();
    let mut noop = Vec::new();
    for i in 0..40 {
        noop.push(
            store
                .enqueue(NewJob::new("noop", serde_json::json!({"i": i}), now))
                .await
                .unwrap()
                .id,
        );
    }
    let flaky = store
        .enqueue(NewJob::new("flaky", serde_json::json!(null), now).with_max_attempts(3))
        .await
        .unwrap()
        .id;
    let doomed = store
        .enqueue(NewJob::new("doomed", serde_json::json!(null), now).with_max_attempts(2))
        .await
        .unwrap()
        .id;
    let runs: Arc<Mutex<BTreeMap<JobId, u32>>> = Arc::default();
    let handler = {
        let runs = runs.clone();
        move |job: Job| {
            let runs = runs.clone();
            async move {
                *runs.lock().unwrap().entry(job.id).or_default() += 1;
                match job.kind.as_str() {
                    "flaky" if job.attempts == 1 => Err("flaky once".to_owned()),
                    "doomed" => Err(format!("doomed attempt {}", job.attempts)),
                    "slow" => {
                        tokio::time::sleep(StdDuration::from_secs(30)).await;
                        Ok(())
                    }
                    _ => Ok(()),
                }
            }
        }
    };
    let mut config = WorkerConfig::new("worker-1");
    config.concurrency = 4;
    config.batch = 8;
    config.poll = StdDuration::from_millis(20);
    config.backoff = Backoff {
        base: Duration::milliseconds(20),
        max: Duration::milliseconds(100),
    };
    config.grace = StdDuration::from_millis(200);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = Worker::new(store.clone(), handler, config);
    let running = tokio::spawn(worker.run(async move {
        let _ = stopped.await;
    }));
    let settled = tokio::time::timeout(StdDuration::from_secs(30), async {
        loop {
            let succeeded = store
                .jobs(Some(JobState::Succeeded), None, 100)
                .await
                .unwrap();
            let dead = store.jobs(Some(JobState::Dead), None, 100).await.unwrap();
            if succeeded.len() == 41 && dead.len() == 1 {
                break;
            }
            tokio::time::sleep(StdDuration::from_millis(20)).await;
        }
    })
    .await;
    assert!(settled.is_ok(), "the worker finished every job");
    // A slow job is running when the worker stops: it is released, not lost.
    let slow = store
        .enqueue(NewJob::new("slow", serde_json::json!(null), Utc::now()))
        .await
        .unwrap()
        .id;
    tokio::time::timeout(StdDuration::from_secs(10), async {
        while store.job(slow).await.unwrap().unwrap().state != JobState::Running {
            tokio::time::sleep(StdDuration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
    let _ = stop.send(());
    let stats = running.await.unwrap();
    let runs = runs.lock().unwrap().clone();
    for id in &noop {
        assert_eq!(runs.get(id), Some(&1), "job {id} ran once");
    }
    assert_eq!(runs.get(&flaky), Some(&2));
    assert_eq!(runs.get(&doomed), Some(&2));
    let flaky = store.job(flaky).await.unwrap().unwrap();
    assert_eq!((flaky.state, flaky.attempts), (JobState::Succeeded, 2));
    assert_eq!(flaky.last_error.as_deref(), Some("flaky once"));
    let doomed_job = store.job(doomed).await.unwrap().unwrap();
    assert_eq!(
        (doomed_job.state, doomed_job.last_error.as_deref()),
        (JobState::Dead, Some("doomed attempt 2"))
    );
    let slow = store.job(slow).await.unwrap().unwrap();
    assert_eq!((slow.state, slow.attempts), (JobState::Queued, 0));
    assert_eq!(stats.released, 1);
    assert_eq!(stats.succeeded, 41);
    assert_eq!(stats.failed, 3);
    // The dead letter can be requeued and runs again.
    let requeued = store.requeue(doomed, Utc::now()).await.unwrap();
    assert_eq!((requeued.state, requeued.attempts), (JobState::Queued, 0));
}

pub async fn worker_rescues_expired_leases<S: Store + 'static>(store: S) {
    let store = Arc::new(store);
    let job = store
        .enqueue(NewJob::new("orphan", serde_json::json!(null), Utc::now()))
        .await
        .unwrap();
    // A worker claims it and dies: its lease runs out in 300 ms.
    let claimed = store
        .claim(
            "dead-worker",
            Utc::now(),
            Utc::now() + Duration::milliseconds(300),
            1,
        )
        .await
        .unwrap();
    assert_eq!(ids(&claimed), vec![job.id]);
    let mut config = WorkerConfig::new("rescuer");
    config.poll = StdDuration::from_millis(20);
    let ran: Arc<Mutex<Vec<(JobId, u32)>>> = Arc::default();
    let handler = {
        let ran = ran.clone();
        move |job: Job| {
            let ran = ran.clone();
            async move {
                ran.lock().unwrap().push((job.id, job.attempts));
                Ok(())
            }
        }
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(Worker::new(store.clone(), handler, config).run(async move {
        let _ = stopped.await;
    }));
    let done = tokio::time::timeout(StdDuration::from_secs(10), async {
        while store.job(job.id).await.unwrap().unwrap().state != JobState::Succeeded {
            tokio::time::sleep(StdDuration::from_millis(10)).await;
        }
    })
    .await;
    let _ = stop.send(());
    running.await.unwrap();
    assert!(done.is_ok(), "the orphaned job ran after its lease expired");
    assert_eq!(ran.lock().unwrap().clone(), vec![(job.id, 2)]);
    assert!(matches!(
        store.complete(job.id, "dead-worker").await,
        Err(StoreError::LeaseLost { .. })
    ));
}

pub async fn competitions_are_listed_by_id<S: Store>(store: S) {
    let service = Service::new(store, ManualClock::new(t0()));
    for id in ["c3", "c1", "c2", "c10"] {
        service
            .create_competition(cid(id), format!("Open {id}"))
            .await
            .unwrap();
    }
    let store = service.store();
    let listed = |all: Vec<athlos_core::store::Stored<athlos_core::competition::Competition>>| {
        all.into_iter()
            .map(|c| c.value.id.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        listed(store.competitions(10, 0).await.unwrap()),
        ["c1", "c10", "c2", "c3"],
        "by id, bytewise"
    );
    assert_eq!(
        listed(store.competitions(2, 1).await.unwrap()),
        ["c10", "c2"]
    );
    assert!(store.competitions(10, 4).await.unwrap().is_empty());
    // Tournaments and divisions are other kinds: never listed as competitions.
    service
        .create_division(&cid("c1"), did("u73"), "-73 kg", rules())
        .await
        .unwrap();
    let first = store.competitions(1, 0).await.unwrap();
    assert_eq!(
        (first[0].version, first[0].value.divisions.clone()),
        (2, vec![did("u73")])
    );
    assert_eq!(store.competitions(10, 0).await.unwrap().len(), 4);
}

pub async fn aggregates_are_deleted_with_their_event<S: Store>(store: S) {
    let service = Service::new(store, ManualClock::new(t0()));
    let rules = TournamentRules {
        options: BracketOptions::new(Format::SingleElimination),
        min_entries: 2,
        max_entries: None,
        seed: 1,
        swiss: None,
    };
    for id in ["t1", "t2", "t3"] {
        service
            .create_tournament(tid(id), format!("Cup {id}"), rules.clone())
            .await
            .unwrap();
    }
    service.publish(&tid("t1")).await.unwrap();
    let store = service.store();
    for (tournament, purpose) in [("t1", "clock"), ("t2", "clock")] {
        store
            .set_deadline(Deadline {
                key: key(tournament, purpose),
                due: t0(),
                sequence: 1,
            })
            .await
            .unwrap();
    }
    let logged = store.events_after(0, 1000).await.unwrap();
    let t1 = AggregateRef::Tournament(tid("t1"));

    // A stale or absent aggregate is a conflict, and nothing is applied.
    let stray = logged[0].clone();
    match store
        .delete(&t1, 1, vec![(t1.clone(), stray.event.clone())])
        .await
    {
        Err(StoreError::Conflict {
            aggregate,
            expected,
            found,
        }) => {
            assert_eq!(aggregate, "tournament:t1");
            assert_eq!((expected, found), (Some(1), Some(2)));
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    let nobody = AggregateRef::Tournament(tid("nobody"));
    assert!(matches!(
        store.delete(&nobody, 1, Vec::new()).await,
        Err(StoreError::Conflict { found: None, .. })
    ));
    assert_eq!(store.events_after(0, 1000).await.unwrap(), logged);
    assert_eq!(
        store.tournament(&tid("t1")).await.unwrap().unwrap().version,
        2
    );
    assert!(store.deadline(&key("t1", "clock")).await.unwrap().is_some());

    assert_eq!(store.version(&t1).await.unwrap(), Some(2));

    // The service deletes it at its version, with `tournament.deleted` in the same commit.
    let events = service.delete_tournament(&tid("t1")).await.unwrap();
    assert_eq!(
        store.version(&t1).await.unwrap(),
        None,
        "a deleted aggregate has no version (its tombstone is not it)"
    );
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].id.as_str(), "tournament:t1:3:0");
    assert_eq!(events[0].version, 3);
    assert_eq!(
        events[0].data,
        EventData::TournamentDeleted {
            tournament: tid("t1"),
            state: TournamentState::Registration,
        }
    );
    assert!(store.tournament(&tid("t1")).await.unwrap().is_none());
    // Its last document stays as its tombstone; nothing else has one.
    let tombstone = store.tombstone(&t1).await.unwrap().unwrap();
    assert_eq!(
        (&tombstone["id"], &tombstone["name"], &tombstone["state"]),
        (
            &serde_json::json!("t1"),
            &serde_json::json!("Cup t1"),
            &serde_json::json!("registration")
        )
    );
    let t2 = AggregateRef::Tournament(tid("t2"));
    assert_eq!(store.tombstone(&t2).await.unwrap(), None);
    let after = store.events_after(0, 1000).await.unwrap();
    assert_eq!(after.len(), logged.len() + 1);
    let last = after.last().unwrap();
    assert_eq!(last.sequence, logged.len() as u64 + 1);
    assert_eq!((&last.aggregate, &last.event), (&t1, &events[0]));
    // Its deadlines went with it; others stay.
    assert!(store.deadline(&key("t1", "clock")).await.unwrap().is_none());
    assert!(store.deadline(&key("t2", "clock")).await.unwrap().is_some());
    let left: Vec<String> = store
        .tournaments(None, 10, 0)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.value.id.to_string())
        .collect();
    assert_eq!(left, ["t2", "t3"]);
    // Deleting again finds nothing; the id can be used again from version 1.
    assert!(matches!(
        service.delete_tournament(&tid("t1")).await,
        Err(Error::Service(ServiceError::UnknownTournament { .. }))
    ));
    let again = service
        .create_tournament(tid("t1"), "Cup again", rules.clone())
        .await
        .unwrap();
    assert_eq!(again.version, 1);
    // Deleted again, the newer document replaces the tombstone.
    service.delete_tournament(&tid("t1")).await.unwrap();
    let tombstone = store.tombstone(&t1).await.unwrap().unwrap();
    assert_eq!(tombstone["name"], "Cup again");
    assert!(store
        .tournaments(None, 10, 0)
        .await
        .unwrap()
        .iter()
        .all(|t| t.value.id != tid("t1")));

    // Once started, a tournament cannot be deleted.
    service.publish(&tid("t3")).await.unwrap();
    for p in field(2) {
        service.join(&tid("t3"), p).await.unwrap();
    }
    service.start(&tid("t3")).await.unwrap();
    match service.delete_tournament(&tid("t3")).await {
        Err(Error::Lifecycle(refusal)) => {
            assert!(refusal.to_string().contains("active"), "{refusal}");
        }
        other => panic!("expected a lifecycle refusal, got {other:?}"),
    }
    assert!(store.tournament(&tid("t3")).await.unwrap().is_some());
}

pub async fn jobs_are_claimed_by_kind<S: Store + 'static>(store: S) {
    let kinds = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
    let a = store.enqueue(job("bracket")).await.unwrap();
    let b = store.enqueue(job("webhook")).await.unwrap();
    let c = store.enqueue(job("bracket")).await.unwrap();
    let lease = t0() + secs(30);
    assert!(store
        .claim_kinds("w0", &[], t0(), lease, 10)
        .await
        .unwrap()
        .is_empty());
    let webhooks = store
        .claim_kinds("w1", &kinds(&["webhook"]), t0(), lease, 10)
        .await
        .unwrap();
    assert_eq!(ids(&webhooks), vec![b.id]);
    let brackets = store
        .claim_kinds("w2", &kinds(&["bracket", "other"]), t0(), lease, 1)
        .await
        .unwrap();
    assert_eq!(ids(&brackets), vec![a.id], "oldest first, up to the limit");
    assert_eq!(brackets[0].worker.as_deref(), Some("w2"));
    // An expired lease goes back only to a worker of its kind.
    let later = lease + secs(1);
    assert!(store
        .claim_kinds("w3", &kinds(&["webhook"]), later, later + secs(30), 10)
        .await
        .unwrap()
        .iter()
        .all(|j| j.kind == "webhook"));
    let rest = store
        .claim_kinds("w4", &kinds(&["bracket"]), later, later + secs(30), 10)
        .await
        .unwrap();
    assert_eq!(ids(&rest), vec![a.id, c.id]);
    assert_eq!(store.job(a.id).await.unwrap().unwrap().attempts, 2);

    // A worker for one kind leaves the others (queued, or leased long ago) alone.
    let d = store
        .enqueue(NewJob::new("draw", serde_json::json!(null), Utc::now()))
        .await
        .unwrap();
    let e = store
        .enqueue(NewJob::new("mail", serde_json::json!(null), Utc::now()))
        .await
        .unwrap();
    let store = Arc::new(store);
    let mut config = WorkerConfig::new("draws-only");
    config.poll = StdDuration::from_millis(10);
    config.kinds = Some(kinds(&["draw"]));
    let ran: Arc<Mutex<Vec<JobId>>> = Arc::default();
    let handler = {
        let ran = ran.clone();
        move |job: Job| {
            let ran = ran.clone();
            async move {
                ran.lock().unwrap().push(job.id);
                Ok(())
            }
        }
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(Worker::new(store.clone(), handler, config).run(async move {
        let _ = stopped.await;
    }));
    let done = tokio::time::timeout(StdDuration::from_secs(10), async {
        while store.job(d.id).await.unwrap().unwrap().state != JobState::Succeeded {
            tokio::time::sleep(StdDuration::from_millis(10)).await;
        }
    })
    .await;
    let _ = stop.send(());
    running.await.unwrap();
    assert!(done.is_ok(), "the draw job ran");
    assert_eq!(ran.lock().unwrap().clone(), vec![d.id]);
    let mail = store.job(e.id).await.unwrap().unwrap();
    assert_eq!((mail.state, mail.attempts), (JobState::Queued, 0));
    let expired = store.job(c.id).await.unwrap().unwrap();
    assert_eq!(
        (expired.worker.as_deref(), expired.attempts),
        (Some("w4"), 1)
    );
}

/// Webhook subscriptions, the dispatcher's cursor, and deliveries pumped one at a time per
/// subscription, in log order, through the job queue.
pub async fn webhook_deliveries_in_order_with_dead_letters<S: Store>(store: S) {
    use athlos_core::store::{
        AttemptOutcome, DeliveryState, NewDelivery, NewWebhook, WebhookPatch, DELIVERY_ATTEMPTS,
        DELIVER_WEBHOOK,
    };
    assert_eq!(store.last_sequence().await.unwrap(), 0);
    assert!(store.webhook(u64::MAX).await.unwrap().is_none());
    assert!(store.delivery(u64::MAX).await.unwrap().is_none());
    let service = generated(store).await;
    let store = service.store();
    let last = store.last_sequence().await.unwrap();
    let log = store.events_after(0, 1000).await.unwrap();
    assert_eq!(
        last,
        log.last().unwrap().sequence,
        "last_sequence is the log's end"
    );

    let scope = AggregateRef::Tournament(tid("cup"));
    let new = |url: &str, scope: AggregateRef| NewWebhook {
        scope,
        url: url.to_owned(),
        secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned(),
        event_types: vec!["match.result".to_owned()],
        enabled: true,
        created_at: t0(),
    };
    let hook = store
        .create_webhook(new("https://example.com/a", scope.clone()))
        .await
        .unwrap();
    let other = store
        .create_webhook(new(
            "https://example.com/b",
            AggregateRef::Competition(cid("open")),
        ))
        .await
        .unwrap();
    assert!(other.id > hook.id);
    assert_eq!(hook.after, last, "a subscription starts at the log's end");
    assert_eq!(hook.secret, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    assert!(
        !format!("{hook:?}").contains("whsec_"),
        "Debug redacts the secret"
    );
    assert_eq!(store.webhook(hook.id).await.unwrap(), Some(hook.clone()));
    assert_eq!(store.webhook(999).await.unwrap(), None);
    assert_eq!(
        store.webhooks(None).await.unwrap(),
        vec![hook.clone(), other.clone()]
    );
    assert_eq!(
        store.webhooks(Some(&scope)).await.unwrap(),
        vec![hook.clone()]
    );
    let disabled = store
        .update_webhook(
            hook.id,
            WebhookPatch {
                enabled: Some(false),
                event_types: Some(Vec::new()),
                ..WebhookPatch::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert!(!disabled.enabled && disabled.event_types.is_empty());
    assert_eq!(disabled.url, hook.url);
    assert_eq!(
        store
            .update_webhook(999, WebhookPatch::default())
            .await
            .unwrap(),
        None
    );

    // The cursor moves only from where it is.
    assert_eq!(store.webhook_cursor().await.unwrap(), 0);
    let delivery = |sequence: u64| NewDelivery {
        webhook: hook.id,
        sequence,
        message_id: format!("msg_{sequence}"),
    };
    assert!(!store
        .record_deliveries(5, 9, vec![delivery(1)], t0())
        .await
        .unwrap());
    assert!(store
        .record_deliveries(0, 3, vec![delivery(1), delivery(2), delivery(3)], t0())
        .await
        .unwrap());
    assert_eq!(store.webhook_cursor().await.unwrap(), 3);
    // Recording the same ones again (a second dispatcher) changes nothing.
    assert!(store
        .record_deliveries(3, 3, vec![delivery(2)], t0())
        .await
        .unwrap());
    let all = store.deliveries(hook.id, None, 0, 100).await.unwrap();
    assert_eq!(all.len(), 3);
    let ids: Vec<u64> = all.iter().map(|d| d.id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    let states: Vec<DeliveryState> = all.iter().map(|d| d.state).collect();
    assert_eq!(
        states,
        [
            DeliveryState::Sending,
            DeliveryState::Pending,
            DeliveryState::Pending
        ],
        "one delivery at a time per subscription, the earliest first"
    );
    assert_eq!(all[0].message_id, "msg_1");
    assert_eq!(all[0].created_at, t0());
    let job_id = all[0].job.unwrap();
    let job = store.job(job_id).await.unwrap().unwrap();
    assert_eq!(job.kind, DELIVER_WEBHOOK);
    assert_eq!(job.payload, serde_json::json!({ "delivery": all[0].id }));
    assert_eq!(job.max_attempts, DELIVERY_ATTEMPTS);
    assert_eq!(job.state, JobState::Queued);
    assert_eq!(
        store
            .deliveries(hook.id, Some(DeliveryState::Pending), 0, 100)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        store.deliveries(hook.id, None, ids[0], 1).await.unwrap()[0].id,
        ids[1],
        "paged by id"
    );

    let attempt = |state, status: Option<u16>| AttemptOutcome {
        state,
        status,
        error: status.map(|s| format!("receiver answered {s}")),
        possibly_sent: false,
    };
    // A stale job changes nothing.
    assert_eq!(
        store
            .finish_delivery(
                ids[0],
                JobId(job_id.0 + 1000),
                attempt(DeliveryState::Succeeded, Some(200)),
                t0()
            )
            .await
            .unwrap(),
        None
    );
    // A failed attempt that will be retried keeps the line waiting.
    let retried = store
        .finish_delivery(
            ids[0],
            job_id,
            attempt(DeliveryState::Sending, Some(503)),
            t0() + secs(1),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(retried.attempts, 1);
    assert_eq!(retried.last_status, Some(503));
    assert_eq!(retried.updated_at, t0() + secs(1));
    assert_eq!(
        store.delivery(ids[1]).await.unwrap().unwrap().state,
        DeliveryState::Pending
    );
    // Success moves the line on.
    let done = store
        .finish_delivery(
            ids[0],
            job_id,
            attempt(DeliveryState::Succeeded, Some(204)),
            t0(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (done.state, done.attempts, done.last_status),
        (DeliveryState::Succeeded, 2, Some(204))
    );
    let second = store.delivery(ids[1]).await.unwrap().unwrap();
    assert_eq!(second.state, DeliveryState::Sending);
    // A dead letter moves it on too, keeping the last status and error.
    let dead = store
        .finish_delivery(
            ids[1],
            second.job.unwrap(),
            attempt(DeliveryState::Dead, Some(500)),
            t0(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dead.state, DeliveryState::Dead);
    assert_eq!(dead.last_error.as_deref(), Some("receiver answered 500"));
    let third = store.delivery(ids[2]).await.unwrap().unwrap();
    assert_eq!(third.state, DeliveryState::Sending);
    store
        .finish_delivery(
            ids[2],
            third.job.unwrap(),
            attempt(DeliveryState::Succeeded, Some(200)),
            t0(),
        )
        .await
        .unwrap()
        .unwrap();

    // Replaying the dead letters puts them back in line with a new job.
    let again = store.redeliver(hook.id, None, t0()).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, ids[1]);
    assert_eq!(again[0].state, DeliveryState::Sending);
    assert_eq!(again[0].round, 1);
    assert_ne!(again[0].job, second.job, "a new round has a new job");
    let new_job = store.job(again[0].job.unwrap()).await.unwrap().unwrap();
    assert_eq!(new_job.state, JobState::Queued);
    // Redelivering one that succeeded queues it behind the one being sent.
    let one = store.redeliver(hook.id, Some(ids[0]), t0()).await.unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].state, DeliveryState::Pending);
    assert_eq!(one[0].message_id, "msg_1", "the webhook-id never changes");
    // Neither a delivery being sent nor one of another subscription is redelivered.
    assert!(store
        .redeliver(hook.id, Some(ids[1]), t0())
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .redeliver(other.id, Some(ids[2]), t0())
        .await
        .unwrap()
        .is_empty());
    store
        .finish_delivery(
            ids[1],
            again[0].job.unwrap(),
            attempt(DeliveryState::Succeeded, Some(200)),
            t0(),
        )
        .await
        .unwrap()
        .unwrap();
    let first_again = store.delivery(ids[0]).await.unwrap().unwrap();
    assert_eq!(first_again.state, DeliveryState::Sending);
    assert_eq!(first_again.round, 1);

    // Deleting a subscription deletes its deliveries; recording for it does nothing.
    assert!(store.delete_webhook(hook.id).await.unwrap());
    assert!(!store.delete_webhook(hook.id).await.unwrap());
    assert_eq!(store.delivery(ids[0]).await.unwrap(), None);
    assert!(store
        .record_deliveries(3, 4, vec![delivery(4)], t0())
        .await
        .unwrap());
    assert!(store
        .deliveries(hook.id, None, 0, 100)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.webhooks(None).await.unwrap(), vec![other]);
}

/// A subscription's circuit breaker and the job that goes on down its line: attempts recorded
/// with [`WebhookStore::record_attempt`](athlos_core::store::WebhookStore::record_attempt)
/// retry with a new job, hand the next delivery to the same job, open the circuit after the
/// threshold (the line waits for the probe, nothing becomes a dead letter while open) and
/// close it on a success; a pump while it is open is due at the probe. A failure the receiver
/// may have seen (it answered) marks the delivery possibly sent; one it cannot have (no
/// connection) does not.
pub async fn webhook_circuit_breaker_and_chained_deliveries<S: Store>(store: S) {
    use athlos_core::store::{Attempt, AttemptOutcome, DeliveryState, NewDelivery, SendFailure};
    let hook = cup_webhook(&store).await;
    assert!(!hook.circuit.is_open());
    assert_eq!(hook.circuit.failures, 0);
    let policy = test_policy(3);
    let record = |sequences: std::ops::RangeInclusive<u64>| {
        sequences
            .map(|sequence| NewDelivery {
                webhook: hook.id,
                sequence,
                message_id: format!("msg_{sequence}"),
            })
            .collect::<Vec<_>>()
    };
    assert!(store
        .record_deliveries(0, 3, record(1..=3), t0())
        .await
        .unwrap());
    let ids: Vec<u64> = store
        .deliveries(hook.id, None, 0, 10)
        .await
        .unwrap()
        .iter()
        .map(|d| d.id)
        .collect();
    let first_job = store.delivery(ids[0]).await.unwrap().unwrap().job.unwrap();
    let attempt = |number: u32, sent: Result<u16, SendFailure>, chain: bool| Attempt {
        webhook: hook.id,
        number,
        sent,
        policy,
        chain,
    };
    let failed = || Err(SendFailure::answered(503));

    // A stale job, or the wrong subscription, changes nothing.
    for (job, webhook) in [
        (JobId(first_job.0 + 1000), hook.id),
        (first_job, hook.id + 1),
    ] {
        let stale = Attempt {
            webhook,
            ..attempt(1, Ok(204), true)
        };
        assert_eq!(
            store
                .record_attempt(ids[0], job, stale, t0())
                .await
                .unwrap(),
            None
        );
    }
    // A failure below the threshold: retried by a new job after the backoff, counted.
    let now = t0() + secs(1);
    let retried = store
        .record_attempt(ids[0], first_job, attempt(1, failed(), true), now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(retried.delivery.state, DeliveryState::Sending);
    assert_eq!(
        (retried.delivery.attempts, retried.delivery.last_status),
        (1, Some(503))
    );
    assert!(!retried.delivery.in_flight);
    assert!(
        retried.delivery.possibly_sent,
        "the receiver answered: it has the request, the retry says so"
    );
    assert_eq!(retried.webhook.circuit.failures, 1);
    assert!(!retried.webhook.circuit.is_open() && !retried.opened);
    assert_eq!(retried.next, None);
    let second_job = retried.delivery.job.unwrap();
    assert_ne!(second_job, first_job, "the retry is a new job");
    let job = store.job(second_job).await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Queued);
    assert_eq!(
        job.payload,
        serde_json::json!({"delivery": ids[0], "attempt": 2})
    );
    assert!(job.run_at > now && job.run_at <= now + secs(1), "{job:?}");
    assert_eq!(
        store.delivery(ids[1]).await.unwrap().unwrap().state,
        DeliveryState::Pending
    );
    // The last attempt of the round: a dead letter, and the same job takes the next one.
    let dead = store
        .record_attempt(ids[0], second_job, attempt(2, failed(), true), now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dead.delivery.state, DeliveryState::Dead);
    assert_eq!(dead.webhook.circuit.failures, 2);
    let next = dead.next.unwrap();
    assert_eq!(next.id, ids[1]);
    assert_eq!(
        (next.state, next.job, next.in_flight),
        (DeliveryState::Sending, Some(second_job), true)
    );
    assert!(!next.possibly_sent);
    assert_eq!(store.delivery(ids[1]).await.unwrap().unwrap(), next);
    // The third failure in a row (no connection: the receiver has nothing) opens the circuit:
    // the delivery waits for the probe, with a new job due then.
    let refused = Err(SendFailure::not_sent("the request could not connect"));
    let opened = store
        .record_attempt(ids[1], second_job, attempt(1, refused, true), now)
        .await
        .unwrap()
        .unwrap();
    assert!(!opened.delivery.possibly_sent, "{:?}", opened.delivery);
    assert_eq!(
        opened.delivery.last_error.as_deref(),
        Some("the request could not connect")
    );
    assert!(opened.opened);
    let probe = opened.webhook.circuit.next_probe.unwrap();
    assert!(probe >= now + secs(5) && probe <= now + secs(10), "{probe}");
    assert_eq!(opened.webhook.circuit.failures, 3);
    assert_eq!(opened.delivery.state, DeliveryState::Sending);
    assert_eq!(opened.next, None);
    let third_job = opened.delivery.job.unwrap();
    assert_eq!(store.job(third_job).await.unwrap().unwrap().run_at, probe);
    assert_eq!(
        store.webhook(hook.id).await.unwrap().unwrap().circuit,
        opened.webhook.circuit,
        "the circuit is stored"
    );
    // A failed probe: still waiting (past its attempts, never a dead letter while open), the
    // next probe later.
    let again = store
        .record_attempt(ids[1], third_job, attempt(2, failed(), true), probe)
        .await
        .unwrap()
        .unwrap();
    assert!(!again.opened);
    assert_eq!(again.delivery.state, DeliveryState::Sending);
    assert_eq!(again.webhook.circuit.failures, 4);
    let later = again.webhook.circuit.next_probe.unwrap();
    assert!(
        later >= probe + secs(10) && later <= probe + secs(20),
        "{later}"
    );
    assert_eq!(
        store.delivery(ids[2]).await.unwrap().unwrap().state,
        DeliveryState::Pending,
        "the line waits, kept"
    );
    // A successful probe closes it; without chaining, a new job (due now) takes the line.
    let fourth_job = again.delivery.job.unwrap();
    let closed = store
        .record_attempt(ids[1], fourth_job, attempt(3, Ok(204), false), later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(closed.delivery.state, DeliveryState::Succeeded);
    assert_eq!(closed.delivery.attempts, 3);
    assert_eq!(closed.webhook.circuit, Default::default());
    assert_eq!(closed.next, None);
    let third = store.delivery(ids[2]).await.unwrap().unwrap();
    assert_eq!(third.state, DeliveryState::Sending);
    assert!(!third.in_flight);
    let fifth_job = third.job.unwrap();
    assert_ne!(fifth_job, fourth_job);
    assert_eq!(store.job(fifth_job).await.unwrap().unwrap().run_at, later);
    assert_eq!(
        store.webhook(hook.id).await.unwrap().unwrap().circuit,
        Default::default()
    );
    // The end of the line: nothing next.
    let last = store
        .record_attempt(ids[2], fifth_job, attempt(1, Ok(200), true), later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(last.next, None);

    // Open again, a pump (here: the sweep's dead letter) is due at the probe.
    assert!(store
        .record_deliveries(3, 5, record(4..=5), later)
        .await
        .unwrap());
    let line = store.deliveries(hook.id, None, ids[2], 10).await.unwrap();
    let (four, five) = (line[0].clone(), line[1].clone());
    assert_eq!(
        store.job(four.job.unwrap()).await.unwrap().unwrap().run_at,
        later
    );
    let mut job = four.job.unwrap();
    let mut opened_at = None;
    for failure in 1..=3 {
        // Each time the first attempt of a round (as after redeliveries): the failures count
        // across attempts and rounds.
        let recorded = store
            .record_attempt(four.id, job, attempt(1, failed(), true), later)
            .await
            .unwrap()
            .unwrap();
        job = recorded.delivery.job.unwrap();
        if recorded.opened {
            opened_at = recorded.webhook.circuit.next_probe;
        }
        assert_eq!(recorded.delivery.state, DeliveryState::Sending, "{failure}");
        assert_eq!(recorded.webhook.circuit.failures, failure);
        assert_eq!(recorded.next, None);
    }
    let probe = opened_at.expect("opened on the third failure");
    assert_eq!(
        store.job(job).await.unwrap().unwrap().run_at,
        store
            .webhook(hook.id)
            .await
            .unwrap()
            .unwrap()
            .circuit
            .next_probe
            .unwrap()
    );
    let swept = AttemptOutcome {
        state: DeliveryState::Dead,
        status: None,
        error: Some("stranded".to_owned()),
        possibly_sent: false,
    };
    store
        .finish_delivery(four.id, job, swept, later)
        .await
        .unwrap()
        .unwrap();
    let five = store.delivery(five.id).await.unwrap().unwrap();
    assert_eq!(five.state, DeliveryState::Sending);
    let due = store.job(five.job.unwrap()).await.unwrap().unwrap().run_at;
    assert_eq!(due, probe, "due at the probe while the circuit is open");
}

/// A run of attempts of one subscription's deliveries by one job is recorded in one go: the
/// successes, then the first failure (retried by a new job, or a dead letter); what the job
/// held and did not record goes back in line; the line's next deliveries are taken by the same
/// job, up to the run's `take`, in order and in flight; `take` 0 hands the next one to a job
/// of its own. A stale job, another job's run or an empty run changes nothing.
pub async fn webhook_runs_are_recorded_together<S: Store>(store: S) {
    use athlos_core::store::{AttemptRun, DeliveryState, NewDelivery, RunAttempt, SendFailure};
    let hook = cup_webhook(&store).await;
    let policy = test_policy(5);
    let new = (1..=10)
        .map(|sequence| NewDelivery {
            webhook: hook.id,
            sequence,
            message_id: format!("msg_{sequence}"),
        })
        .collect();
    assert!(store.record_deliveries(0, 10, new, t0()).await.unwrap());
    let ids: Vec<u64> = store
        .deliveries(hook.id, None, 0, 20)
        .await
        .unwrap()
        .iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(ids.len(), 10);
    let d = |n: usize| ids[n - 1];
    let ok = |n: usize, status: u16| RunAttempt {
        delivery: d(n),
        number: 1,
        sent: Ok(status),
    };
    let run = |attempts: Vec<RunAttempt>, take: usize| AttemptRun {
        webhook: hook.id,
        attempts,
        policy,
        take,
    };
    let first_job = delivery_of(&store, d(1)).await.job.unwrap();
    store
        .start_attempt(d(1), first_job, t0())
        .await
        .unwrap()
        .unwrap();

    // An empty run, and another job's, change nothing.
    assert_eq!(
        store
            .record_attempts(first_job, run(Vec::new(), 4), t0())
            .await
            .unwrap(),
        None
    );
    let other = JobId(first_job.0 + 1000);
    assert_eq!(
        store
            .record_attempts(other, run(vec![ok(1, 204)], 4), t0())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        delivery_of(&store, d(1)).await.state,
        DeliveryState::Sending
    );

    // One success; the same job takes the next four, in order and in flight.
    let now = t0() + secs(1);
    let first = store
        .record_attempts(first_job, run(vec![ok(1, 204)], 4), now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.deliveries.len(), 1);
    assert_eq!(
        (first.deliveries[0].state, first.deliveries[0].attempts),
        (DeliveryState::Succeeded, 1)
    );
    let taken: Vec<u64> = first.next.iter().map(|x| x.id).collect();
    assert_eq!(taken, [d(2), d(3), d(4), d(5)]);
    for x in &first.next {
        assert_eq!(
            (x.state, x.job, x.in_flight),
            (DeliveryState::Sending, Some(first_job), true),
            "{x:?}"
        );
        assert_eq!(&delivery_of(&store, x.id).await, x, "as stored");
    }
    assert_eq!(
        delivery_of(&store, d(6)).await.state,
        DeliveryState::Pending
    );

    // A success, then a failure the receiver saw (an attempt after it is not recorded): the
    // failure is retried by a new job, possibly sent; the rest go back in line.
    let cut = vec![
        ok(2, 200),
        RunAttempt {
            delivery: d(3),
            number: 1,
            sent: Err(SendFailure::answered(503)),
        },
        ok(4, 204),
    ];
    let second = store
        .record_attempts(first_job, run(cut, 4), now)
        .await
        .unwrap()
        .unwrap();
    let recorded: Vec<(u64, DeliveryState)> =
        second.deliveries.iter().map(|x| (x.id, x.state)).collect();
    assert_eq!(
        recorded,
        [
            (d(2), DeliveryState::Succeeded),
            (d(3), DeliveryState::Sending)
        ]
    );
    assert_eq!(second.deliveries[0].last_status, Some(200));
    let failed = &second.deliveries[1];
    assert!(failed.possibly_sent && !failed.in_flight, "{failed:?}");
    assert_eq!((failed.attempts, failed.last_status), (1, Some(503)));
    let retry_job = failed.job.unwrap();
    assert_ne!(retry_job, first_job);
    assert_eq!(store.delivery(d(3)).await.unwrap().unwrap(), *failed);
    let retry = store.job(retry_job).await.unwrap().unwrap();
    assert_eq!(
        retry.payload,
        serde_json::json!({"delivery": d(3), "attempt": 2})
    );
    assert!(second.next.is_empty());
    assert_eq!(second.webhook.circuit.failures, 1);
    for n in [4, 5] {
        let back = delivery_of(&store, d(n)).await;
        assert_eq!(
            (back.state, back.job, back.in_flight, back.attempts),
            (DeliveryState::Pending, None, false, 0),
            "{back:?}"
        );
    }

    // The retry succeeds and takes three more: the line resumes where it was cut.
    let third = store
        .record_attempts(
            retry_job,
            run(
                vec![RunAttempt {
                    delivery: d(3),
                    number: 2,
                    sent: Ok(204),
                }],
                3,
            ),
            now,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(third.webhook.circuit.failures, 0);
    let taken: Vec<u64> = third.next.iter().map(|x| x.id).collect();
    assert_eq!(taken, [d(4), d(5), d(6)]);

    // A dead letter ends the run too; the line goes on with the same job (the one it held
    // and did not try goes back, and is taken again first).
    let dying = vec![
        ok(4, 204),
        RunAttempt {
            delivery: d(5),
            number: 2,
            sent: Err(SendFailure::not_sent("the request could not connect")),
        },
    ];
    let fourth = store
        .record_attempts(retry_job, run(dying, 2), now)
        .await
        .unwrap()
        .unwrap();
    let dead = &fourth.deliveries[1];
    assert_eq!(dead.state, DeliveryState::Dead);
    assert!(!dead.possibly_sent, "never connected: {dead:?}");
    let taken: Vec<u64> = fourth.next.iter().map(|x| x.id).collect();
    assert_eq!(taken, [d(6), d(7)]);

    // `take` 0: the next delivery gets a job of its own.
    let fifth = store
        .record_attempts(retry_job, run(vec![ok(6, 204), ok(7, 204)], 0), now)
        .await
        .unwrap()
        .unwrap();
    assert!(fifth.next.is_empty());
    assert!(fifth
        .deliveries
        .iter()
        .all(|x| x.state == DeliveryState::Succeeded && !x.in_flight));
    let eighth = delivery_of(&store, d(8)).await;
    assert_eq!(eighth.state, DeliveryState::Sending);
    assert!(!eighth.in_flight);
    let own = eighth.job.unwrap();
    assert_ne!(own, retry_job);
    assert_eq!(
        store.job(own).await.unwrap().unwrap().state,
        JobState::Queued
    );
    // The old job's run is stale now.
    assert_eq!(
        store
            .record_attempts(retry_job, run(vec![ok(8, 204)], 1), now)
            .await
            .unwrap(),
        None
    );
    assert_eq!(delivery_of(&store, d(8)).await, eighth);
}

/// A webhook of tournament `cup`'s events to an outside URL.
async fn cup_webhook<S: Store>(store: &S) -> athlos_core::store::Webhook {
    store
        .create_webhook(athlos_core::store::NewWebhook {
            scope: AggregateRef::Tournament(tid("cup")),
            url: "https://example.com/hook".to_owned(),
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned(),
            event_types: Vec::new(),
            enabled: true,
            created_at: t0(),
        })
        .await
        .unwrap()
}

/// Two attempts a round, retried after a second; the circuit opens after `threshold`
/// failures in a row, probes every 10 s to 40 s.
fn test_policy(threshold: u32) -> athlos_core::store::DeliveryPolicy {
    use athlos_core::store::Backoff;
    athlos_core::store::DeliveryPolicy {
        attempts: 2,
        failure_threshold: threshold,
        retry: Backoff {
            base: secs(1),
            max: secs(1),
        },
        probe: Backoff {
            base: secs(10),
            max: secs(40),
        },
    }
}

/// Delivery `id`, which exists.
async fn delivery_of<S: Store>(store: &S, id: u64) -> athlos_core::store::Delivery {
    store.delivery(id).await.unwrap().unwrap()
}

/// Jobs counted by kind and state, with the due ones and the oldest due time.
pub async fn queue_stats_count_jobs_by_kind_and_state<S: Store>(store: S) {
    use athlos_core::store::QueueStat;
    assert!(store.queue_stats(t0()).await.unwrap().is_empty());
    for (kind, at) in [("b", 0), ("a", -5), ("a", -2), ("a", 60), ("b", 1)] {
        store
            .enqueue(NewJob::new(kind, serde_json::json!({}), t0() + secs(at)))
            .await
            .unwrap();
    }
    let claimed = store.claim("w", t0(), t0() + secs(30), 1).await.unwrap();
    assert_eq!(claimed[0].kind, "a");
    let stats = store.queue_stats(t0()).await.unwrap();
    let stat = |kind: &str, state, count, due, oldest: Option<i64>| QueueStat {
        kind: kind.to_owned(),
        state,
        count,
        due,
        oldest_due: oldest.map(|s| t0() + secs(s)),
    };
    assert_eq!(
        stats,
        vec![
            stat("a", JobState::Queued, 2, 1, Some(-2)),
            stat("a", JobState::Running, 1, 1, Some(-5)),
            stat("b", JobState::Queued, 2, 1, Some(0)),
        ]
    );
}

/// A worker hands in the jobs that finished and takes new ones in one call: completions as
/// `complete_all` (only its own leases), then a claim as `claim` / `claim_kinds` (limit,
/// kinds, priority then due time), never taking back a job it has just completed.
pub async fn jobs_are_completed_and_claimed_together<S: JobStore>(store: S) {
    let noop = vec!["noop".to_owned()];
    let lease = t0() + secs(30);
    let a = store.enqueue(job("noop")).await.unwrap();
    let b = store.enqueue(job("noop")).await.unwrap();
    let c = store.enqueue(job("noop")).await.unwrap();
    let urgent = store.enqueue(job("noop").with_priority(5)).await.unwrap();
    let mail = store.enqueue(job("mail").with_priority(9)).await.unwrap();
    let later = store
        .enqueue(NewJob::new(
            "noop",
            serde_json::json!(null),
            t0() + secs(60),
        ))
        .await
        .unwrap();

    // Nothing to hand in: a claim, limited, of the kinds asked for, by priority then age.
    let first = store
        .complete_and_claim(&[], "w1", Some(&noop), t0(), lease, 2)
        .await
        .unwrap();
    assert!(first.completed.is_empty());
    assert_eq!(ids(&first.claimed), vec![urgent.id, a.id]);
    assert!(first.claimed.iter().all(|j| j.state == JobState::Running
        && j.attempts == 1
        && j.worker.as_deref() == Some("w1")
        && j.lease_until == Some(lease)));
    let other = store.claim("w2", t0(), lease, 1).await.unwrap();
    assert_eq!(ids(&other), vec![mail.id]);

    // w1 hands in its two jobs and one w2 holds: only its own are completed, and it takes
    // the due jobs of its kind that are left (fewer than asked for; `later` is not due).
    let second = store
        .complete_and_claim(
            &[urgent.id, a.id, mail.id],
            "w1",
            Some(&noop),
            t0(),
            lease,
            5,
        )
        .await
        .unwrap();
    assert_eq!(second.completed, vec![a.id, urgent.id]);
    assert_eq!(ids(&second.claimed), vec![b.id, c.id]);
    for id in [a.id, urgent.id] {
        let done = store.job(id).await.unwrap().unwrap();
        assert_eq!(
            (done.state, done.lease_until, done.worker.as_deref()),
            (JobState::Succeeded, None, Some("w1"))
        );
    }
    let held = store.job(mail.id).await.unwrap().unwrap();
    assert_eq!(
        (held.state, held.worker.as_deref(), held.lease_until),
        (JobState::Running, Some("w2"), Some(lease)),
        "another worker's lease is left alone"
    );

    // Handed in again, a job completed already counts for the worker that completed it, not
    // for another; nothing is claimed with a limit of 0.
    let again = store
        .complete_and_claim(&[urgent.id], "w1", None, t0(), lease, 0)
        .await
        .unwrap();
    assert_eq!(again.completed, vec![urgent.id]);
    assert!(again.claimed.is_empty());
    let stranger = store
        .complete_and_claim(&[urgent.id], "w2", None, t0(), lease, 0)
        .await
        .unwrap();
    assert!(stranger.completed.is_empty());
    assert!(store
        .complete_and_claim(&[], "w1", Some(&[]), t0(), lease, 5)
        .await
        .unwrap()
        .claimed
        .is_empty());

    // Once the leases run out (b, c held by w1, mail by w2), w1 hands in b: b is completed
    // and not taken back although its lease had expired; c and mail are taken again.
    let expired = lease + secs(1);
    let third = store
        .complete_and_claim(&[b.id], "w1", None, expired, expired + secs(30), 10)
        .await
        .unwrap();
    assert_eq!(third.completed, vec![b.id]);
    assert_eq!(ids(&third.claimed), vec![mail.id, c.id]);
    assert!(third
        .claimed
        .iter()
        .all(|j| j.attempts == 2 && j.worker.as_deref() == Some("w1")));
    assert_eq!(
        store.job(b.id).await.unwrap().unwrap().state,
        JobState::Succeeded
    );

    // A job handed in by a worker that does not hold it is not completed, and is claimed
    // like any other once its lease has run out.
    let much_later = expired + secs(60);
    let early = store
        .enqueue(NewJob::new(
            "noop",
            serde_json::json!(null),
            t0() + secs(50),
        ))
        .await
        .unwrap();
    let fourth = store
        .complete_and_claim(&[c.id], "w3", None, much_later, much_later + secs(30), 3)
        .await
        .unwrap();
    assert!(fourth.completed.is_empty());
    // Priority first (mail), then the earlier due time (c, then early before later though
    // enqueued after it), up to the limit.
    assert_eq!(ids(&fourth.claimed), vec![mail.id, c.id, early.id]);
    assert_eq!(
        store.job(c.id).await.unwrap().unwrap().worker.as_deref(),
        Some("w3")
    );
    let rest = store
        .complete_and_claim(&[], "w3", None, much_later, much_later + secs(30), 3)
        .await
        .unwrap();
    assert_eq!(ids(&rest.claimed), vec![later.id]);
}

/// Accounts: a sign-up writes the user and the claim of its folded username in one commit;
/// a second claim of the name (in any case) conflicts and leaves nothing behind; profiles,
/// tokens and sessions round-trip through the store with their versions, times and hashes.
pub async fn accounts_claim_usernames_and_keep_sessions<S: Store>(store: S) {
    use athlos_core::account::{PasswordHash, ProfilePatch, SecretHash, Username, UsernameClaim};
    use athlos_core::id::{TokenId, UserId};
    use athlos_core::service::{NewAccount, NewSession, NewToken};

    let service = Service::new(store, ManualClock::new(t0()));
    let uid = |id: &str| UserId::new(id).unwrap();
    let hash = |c: char| SecretHash::new(c.to_string().repeat(64)).unwrap();
    let phc = PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g").unwrap();
    let sign_up = |id: &str, username: &str| NewAccount {
        id: uid(id),
        username: username.to_owned(),
        display_name: format!("{username} Display"),
        password_hash: phc.clone(),
    };
    let alice = service
        .create_account(sign_up("u1", "Alice"))
        .await
        .unwrap();
    let store = service.store();
    let stored = store.user(&uid("u1")).await.unwrap().unwrap();
    assert_eq!(stored, alice);
    assert_eq!(stored.value.created, t0());
    assert_eq!(stored.value.password_hash, phc);
    let claim = store
        .username_claim(&Username::new("alice").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((claim.version, claim.value.user.clone()), (1, uid("u1")));
    // The same name in another case: refused before and at the commit.
    let refused = service
        .create_account(sign_up("u2", "ALICE"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "username_taken");
    let racing = Commit {
        writes: vec![
            Write::User {
                value: Box::new(athlos_core::account::User {
                    id: uid("u2"),
                    username: Username::new("ALICE").unwrap(),
                    ..alice.value.clone()
                }),
                expected: None,
            },
            Write::UsernameClaim {
                value: UsernameClaim {
                    username: Username::new("alice").unwrap(),
                    user: uid("u2"),
                },
                expected: None,
            },
        ],
        ..Commit::default()
    };
    match store.commit(racing).await {
        Err(StoreError::Conflict {
            aggregate,
            expected: None,
            found: Some(1),
        }) => assert_eq!(aggregate, "username:alice"),
        other => panic!("a second claim must conflict: {other:?}"),
    }
    assert!(
        store.user(&uid("u2")).await.unwrap().is_none(),
        "all or nothing"
    );
    assert_eq!(
        service
            .user_by_username("aLiCe")
            .await
            .unwrap()
            .map(|u| u.value.id),
        Some(uid("u1"))
    );
    // A profile change and a token, each a new version.
    let patch = ProfilePatch {
        club: Some(Some("Oslo SK".to_owned())),
        nation: Some(Some("NOR".to_owned())),
        rating: Some(Some(2012)),
        ..ProfilePatch::default()
    };
    let principal = stored.value.principal();
    let changed = service
        .update_profile(&principal, &uid("u1"), &patch)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(changed.version, 2);
    let token = NewToken {
        id: TokenId::new("t1").unwrap(),
        name: "ci".to_owned(),
        secret_hash: hash('a'),
    };
    service.add_token(&uid("u1"), token).await.unwrap();
    let (user, found) = service
        .token(&uid("u1"), &TokenId::new("t1").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.version, 3);
    assert_eq!(user.value.profile.rating, Some(2012));
    assert_eq!((found.secret_hash, found.created), (hash('a'), t0()));
    // A session: live until it ends.
    let session = NewSession {
        key: hash('b'),
        csrf_hash: hash('c'),
        user: uid("u1"),
        lasts: secs(3600),
    };
    service.open_session(session.clone()).await.unwrap();
    let reopened = service.open_session(session).await.unwrap_err();
    assert_eq!(reopened.code(), "id_taken");
    let (live, _) = service.live_session(&hash('b')).await.unwrap().unwrap();
    assert_eq!(live.value.expires, t0() + secs(3600));
    assert!(service.end_session(&hash('b')).await.unwrap());
    let ended = store.session(&hash('b')).await.unwrap().unwrap();
    assert_eq!((ended.version, ended.value.ended), (2, Some(t0())));
    assert!(service.live_session(&hash('b')).await.unwrap().is_none());
    // Accounts are other kinds: never listed as competitions or tournaments.
    assert!(store.competitions(10, 0).await.unwrap().is_empty());
    assert!(store.tournaments(None, 10, 0).await.unwrap().is_empty());
}

/// A tournament's chat is an aggregate of its own (`chat:{tournament}`): created with its
/// first message, read back with its version, written only at the version read, its
/// tombstones kept, and its events logged for the chat.
pub async fn chats_are_kept_per_tournament<S: Store>(store: S) {
    use athlos_core::access::Principal;

    let service = Service::new(store, ManualClock::new(t0()));
    let id = TournamentId::new("chat-cup").unwrap();
    let rules: TournamentRules =
        serde_json::from_value(serde_json::json!({"options": {"format": "single_elimination"}}))
            .unwrap();
    service
        .create_tournament(id.clone(), "Chat Cup", rules)
        .await
        .unwrap();
    service.publish(&id).await.unwrap();
    service
        .join(&id, Participant::new("p1", "P1").unwrap())
        .await
        .unwrap();
    assert!(service.store().chat(&id).await.unwrap().is_none());

    let p1 = Principal::new("p1", false);
    service.post_chat(&id, &p1, "hello <there>").await.unwrap();
    service.post_chat(&id, &p1, "second").await.unwrap();
    let stored = service.store().chat(&id).await.unwrap().unwrap();
    assert_eq!(stored.version, 2);
    assert_eq!(stored.value.messages.len(), 2);
    assert_eq!(
        stored.value.messages[0].text.as_deref(),
        Some("hello <there>")
    );
    assert_eq!(stored.value.messages[0].posted_at, t0());

    // A write at a stale version is a conflict and changes nothing.
    let stale = Commit {
        writes: vec![Write::Chat {
            value: Box::new(stored.value.clone()),
            expected: Some(1),
        }],
        ..Commit::default()
    };
    assert!(matches!(
        service.store().commit(stale).await,
        Err(StoreError::Conflict { .. })
    ));

    service
        .delete_chat_message(&id, &Principal::new("admin", true), 1)
        .await
        .unwrap();
    let after = service.store().chat(&id).await.unwrap().unwrap();
    assert_eq!(after.version, 3);
    assert_eq!(after.value.messages[0].text, None);
    assert!(after.value.messages[0].deleted.is_some());
    assert_eq!(after.value.messages[1].text.as_deref(), Some("second"));

    let log = service.store().events_after(0, 100).await.unwrap();
    let chat: Vec<_> = log
        .iter()
        .filter(|e| e.aggregate == AggregateRef::Chat(id.clone()))
        .map(|e| e.event.event_type().as_str())
        .collect();
    assert_eq!(chat, ["chat.posted", "chat.posted", "chat.deleted"]);
}

fn run(kind: &str, target: &str) -> NewJob {
    job(kind).with_target(target)
}

pub async fn cancelled_queued_runs_are_never_claimed<S: Store>(store: S) {
    let queued = store.enqueue(run("generate", "division:a")).await.unwrap();
    assert_eq!(queued.created_at, Some(t0()));
    assert_eq!(queued.target.as_deref(), Some("division:a"));
    let cancelled = store
        .request_cancel(queued.id, t0() + secs(1))
        .await
        .unwrap();
    assert_eq!(cancelled.outcome, CancelOutcome::Cancelled);
    assert_eq!(cancelled.job.state, JobState::Cancelled);
    assert!(cancelled.job.cancel_requested);
    assert_eq!(cancelled.job.finished_at, Some(t0() + secs(1)));
    assert_eq!(
        store.job(queued.id).await.unwrap(),
        Some(cancelled.job.clone())
    );
    assert!(store
        .claim("w1", t0() + secs(3600), t0() + secs(3630), 10)
        .await
        .unwrap()
        .is_empty());
    // Asking again changes nothing; a cancelled run is not requeued.
    let again = store
        .request_cancel(queued.id, t0() + secs(2))
        .await
        .unwrap();
    assert_eq!(again.outcome, CancelOutcome::AlreadyFinished);
    assert_eq!(again.job, cancelled.job);
    assert!(matches!(
        store.requeue(queued.id, t0()).await,
        Err(StoreError::JobNotDead { .. })
    ));
    // A run waiting for its retry is queued too: cancelled at once, never claimed again.
    let retried = store
        .enqueue(run("generate", "division:b").with_created_at(t0() - secs(5)))
        .await
        .unwrap();
    assert_eq!(retried.created_at, Some(t0() - secs(5)));
    let claimed = store.claim("w1", t0(), t0() + secs(30), 1).await.unwrap();
    assert_eq!(ids(&claimed), vec![retried.id]);
    assert_eq!(claimed[0].started_at, Some(t0()));
    let failed = store
        .fail(retried.id, "w1", "boom".to_owned(), t0() + secs(10), t0())
        .await
        .unwrap();
    assert_eq!(failed.state, JobState::Failed);
    let cancelled = store
        .request_cancel(retried.id, t0() + secs(5))
        .await
        .unwrap();
    assert_eq!(cancelled.outcome, CancelOutcome::Cancelled);
    assert_eq!(cancelled.job.state, JobState::Cancelled);
    assert_eq!(cancelled.job.last_error.as_deref(), Some("boom"));
    assert!(store
        .claim("w1", t0() + secs(60), t0() + secs(90), 10)
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        store.request_cancel(JobId(999_999), t0()).await,
        Err(StoreError::UnknownJob { .. })
    ));
}

pub async fn cancel_requested_runs_commit_nothing<S: Store>(store: S) {
    let a = store.enqueue(run("generate", "division:a")).await.unwrap();
    let b = store.enqueue(run("generate", "division:b")).await.unwrap();
    let c = store.enqueue(run("generate", "division:c")).await.unwrap();
    let d = store.enqueue(run("generate", "division:d")).await.unwrap();
    let e = store.enqueue(run("generate", "division:e")).await.unwrap();
    let claimed = store.claim("w1", t0(), t0() + secs(30), 5).await.unwrap();
    assert_eq!(claimed.len(), 5);
    for id in [a.id, c.id, d.id, e.id] {
        let asked = store.request_cancel(id, t0() + secs(1)).await.unwrap();
        assert_eq!(asked.outcome, CancelOutcome::StopRequested);
        assert_eq!(asked.job.state, JobState::Running);
        assert!(asked.job.cancel_requested);
        assert_eq!(asked.job.finished_at, None);
    }
    // The worker sees the request at its checkpoint (a heartbeat's answer).
    let beat = store.heartbeat(a.id, "w1", t0() + secs(40)).await.unwrap();
    assert!(beat.cancel_requested);
    assert_eq!(beat.state, JobState::Running);
    // Its completion commits nothing, alone or with a snapshot.
    let bytes = b"partial".to_vec();
    let hash = ContentHash::of(&bytes);
    let index = SnapshotIndex {
        read: vec![SnapshotEntry::Aggregate {
            aggregate: AggregateRef::Division(did("a")),
            version: 3,
        }],
        wrote: vec![SnapshotEntry::Blob { hash: hash.clone() }],
    };
    for commit in [
        Commit {
            blobs: vec![(hash.clone(), bytes.clone())],
            completed_jobs: vec![(a.id, "w1".to_owned())],
            ..Commit::default()
        },
        Commit {
            blobs: vec![(hash.clone(), bytes.clone())],
            jobs: vec![job("follow-up")],
            completed_runs: vec![CompletedRun {
                job: a.id,
                worker: "w1".to_owned(),
                index: index.clone(),
                finished_at: t0() + secs(2),
            }],
            ..Commit::default()
        },
    ] {
        let refused = store.commit(commit).await;
        assert!(
            matches!(refused, Err(StoreError::RunCancelled { id }) if id == a.id),
            "{refused:?}"
        );
    }
    assert!(store.blob(&hash).await.unwrap().is_none());
    assert_eq!(store.jobs(None, None, 100).await.unwrap().len(), 5);
    let still = store.job(a.id).await.unwrap().unwrap();
    assert_eq!(still.state, JobState::Running);
    assert_eq!(still.snapshot, None);
    // Whatever its worker reports then, it ends cancelled.
    let stopped = store
        .fail(
            a.id,
            "w1",
            "cancelled at a checkpoint".to_owned(),
            t0() + secs(60),
            t0() + secs(3),
        )
        .await
        .unwrap();
    assert_eq!(stopped.state, JobState::Cancelled);
    assert_eq!(stopped.finished_at, Some(t0() + secs(3)));
    assert_eq!(
        store.complete(c.id, "w1").await.unwrap().state,
        JobState::Cancelled
    );
    assert_eq!(
        store.release(d.id, "w1").await.unwrap().state,
        JobState::Cancelled
    );
    // The run left alone completes with its snapshot index, which reads back.
    store
        .commit(Commit {
            blobs: vec![(hash.clone(), bytes.clone())],
            completed_runs: vec![CompletedRun {
                job: b.id,
                worker: "w1".to_owned(),
                index: index.clone(),
                finished_at: t0() + secs(3),
            }],
            ..Commit::default()
        })
        .await
        .unwrap();
    assert_eq!(store.blob(&hash).await.unwrap(), Some(bytes));
    let done = store.job(b.id).await.unwrap().unwrap();
    assert_eq!(done.state, JobState::Succeeded);
    assert_eq!(done.snapshot, Some(index.clone()));
    assert_eq!(done.finished_at, Some(t0() + secs(3)));
    assert_eq!(done.started_at, Some(t0()));
    // A cancel-requested run whose lease expires is not claimed again; asked again once its
    // worker is gone, it is cancelled.
    assert!(store
        .claim("w2", t0() + secs(300), t0() + secs(330), 10)
        .await
        .unwrap()
        .is_empty());
    let gone = store.request_cancel(e.id, t0() + secs(300)).await.unwrap();
    assert_eq!(gone.outcome, CancelOutcome::Cancelled);
    assert_eq!(gone.job.state, JobState::Cancelled);
    assert_eq!(gone.job.finished_at, Some(t0() + secs(300)));
    let listed = store
        .runs(
            &RunFilter {
                status: Some(RunStatus::Succeeded),
                ..RunFilter::default()
            },
            None,
            10,
        )
        .await
        .unwrap();
    assert_eq!(listed, vec![done.clone()]);
    assert_eq!(Run::from(done).snapshot, Some(index));
    // Cancelling a finished run changes nothing.
    let late = store.request_cancel(b.id, t0() + secs(4)).await.unwrap();
    assert_eq!(late.outcome, CancelOutcome::AlreadyFinished);
    assert_eq!(late.job.state, JobState::Succeeded);
    assert!(!late.job.cancel_requested);
}

pub async fn cancel_requested_runs_complete_as_cancelled_in_batches<S: JobStore>(store: S) {
    let a = store.enqueue(run("generate", "division:a")).await.unwrap();
    let b = store.enqueue(run("generate", "division:b")).await.unwrap();
    store.claim("w1", t0(), t0() + secs(30), 2).await.unwrap();
    store.request_cancel(a.id, t0() + secs(1)).await.unwrap();
    let done = store.complete_all(&[a.id, b.id], "w1").await.unwrap();
    assert_eq!(done.len(), 2);
    assert_eq!(
        store.job(a.id).await.unwrap().unwrap().state,
        JobState::Cancelled
    );
    assert_eq!(
        store.job(b.id).await.unwrap().unwrap().state,
        JobState::Succeeded
    );
    // Handed in again, both count as the worker's (as after a commit with their effect).
    let mut again = store.complete_all(&[a.id, b.id], "w1").await.unwrap();
    again.sort();
    assert_eq!(again, vec![a.id, b.id]);
    let c = store.enqueue(run("generate", "division:c")).await.unwrap();
    store.claim("w1", t0(), t0() + secs(30), 1).await.unwrap();
    store.request_cancel(c.id, t0() + secs(1)).await.unwrap();
    let both = store
        .complete_and_claim(&[c.id], "w1", None, t0() + secs(2), t0() + secs(32), 5)
        .await
        .unwrap();
    assert_eq!(both.completed, vec![c.id]);
    assert!(both.claimed.is_empty());
    assert_eq!(
        store.job(c.id).await.unwrap().unwrap().state,
        JobState::Cancelled
    );
}

pub async fn runs_are_listed_by_status_kind_and_target<S: Store>(store: S) {
    // Five runs and a job without a target: generate a, b, c; replay a, b.
    let g_a = store.enqueue(run("generate", "division:a")).await.unwrap();
    let g_b = store.enqueue(run("generate", "division:b")).await.unwrap();
    let plain = store.enqueue(job("deliver")).await.unwrap();
    let r_a = store.enqueue(run("replay", "division:a")).await.unwrap();
    let g_c = store.enqueue(run("generate", "division:c")).await.unwrap();
    let r_b = store
        .enqueue(run("replay", "division:b").with_max_attempts(1))
        .await
        .unwrap();
    // g_a running, r_b dead (failed), g_c cancelled, g_b and r_a queued.
    let claimed = store
        .claim_kinds("w1", &["generate".to_owned()], t0(), t0() + secs(30), 1)
        .await
        .unwrap();
    assert_eq!(ids(&claimed), vec![g_a.id]);
    store
        .claim_kinds("w1", &["replay".to_owned()], t0(), t0() + secs(30), 2)
        .await
        .unwrap();
    store.release(r_a.id, "w1").await.unwrap();
    let dead = store
        .fail(r_b.id, "w1", "diverged".to_owned(), t0(), t0())
        .await
        .unwrap();
    assert_eq!(dead.state, JobState::Dead);
    store.request_cancel(g_c.id, t0()).await.unwrap();
    let list = |status: Option<RunStatus>, kind: Option<&str>, target: Option<&str>| {
        let filter = RunFilter {
            status,
            kind: kind.map(str::to_owned),
            target: target.map(str::to_owned),
        };
        let store = &store;
        async move { ids(&store.runs(&filter, None, 100).await.unwrap()) }
    };
    assert_eq!(
        list(None, None, None).await,
        vec![g_a.id, g_b.id, plain.id, r_a.id, g_c.id, r_b.id]
    );
    assert_eq!(
        list(Some(RunStatus::Queued), None, None).await,
        vec![g_b.id, plain.id, r_a.id]
    );
    assert_eq!(
        list(Some(RunStatus::Running), None, None).await,
        vec![g_a.id]
    );
    assert_eq!(
        list(Some(RunStatus::Failed), None, None).await,
        vec![r_b.id]
    );
    assert_eq!(
        list(Some(RunStatus::Cancelled), None, None).await,
        vec![g_c.id]
    );
    assert_eq!(
        list(None, Some("generate"), None).await,
        vec![g_a.id, g_b.id, g_c.id]
    );
    assert_eq!(
        list(None, None, Some("division:a")).await,
        vec![g_a.id, r_a.id]
    );
    assert_eq!(
        list(Some(RunStatus::Queued), Some("replay"), Some("division:a")).await,
        vec![r_a.id]
    );
    assert_eq!(
        list(Some(RunStatus::Queued), Some("replay"), Some("division:b")).await,
        vec![]
    );
    assert_eq!(list(None, Some("nothing"), None).await, vec![]);
    // A failed attempt waiting for its retry is a queued run, with its error.
    let retry = store.enqueue(run("generate", "division:d")).await.unwrap();
    store.claim("w1", t0(), t0() + secs(30), 10).await.unwrap();
    let failed = store
        .fail(retry.id, "w1", "busy".to_owned(), t0() + secs(60), t0())
        .await
        .unwrap();
    assert_eq!(failed.state, JobState::Failed);
    let seen = Run::from(failed);
    assert_eq!(seen.status, RunStatus::Queued);
    assert_eq!(seen.error.as_deref(), Some("busy"));
    assert_eq!(seen.target.as_deref(), Some("division:d"));
    // Paging by id.
    let filter = RunFilter {
        kind: Some("generate".to_owned()),
        ..RunFilter::default()
    };
    let first = store.runs(&filter, None, 2).await.unwrap();
    assert_eq!(ids(&first), vec![g_a.id, g_b.id]);
    let next = store.runs(&filter, Some(g_b.id), 2).await.unwrap();
    assert_eq!(ids(&next), vec![g_c.id, retry.id]);
    let last = store.runs(&filter, Some(retry.id), 2).await.unwrap();
    assert!(last.is_empty());
    assert!(store.runs(&filter, None, 0).await.unwrap().is_empty());
    assert!(store
        .runs(&RunFilter::default(), Some(JobId(u64::MAX)), 10)
        .await
        .unwrap()
        .is_empty());
}

pub async fn cancel_requested_runs_of_dead_workers_are_swept<S: Store>(store: S) {
    let a = store.enqueue(run("generate", "division:a")).await.unwrap();
    let b = store.enqueue(run("generate", "division:b")).await.unwrap();
    let c = store.enqueue(run("generate", "division:c")).await.unwrap();
    let claimed = store.claim("w1", t0(), t0() + secs(30), 3).await.unwrap();
    assert_eq!(claimed.len(), 3);
    // Two asked to stop; then their worker dies (it never heartbeats again) while b's
    // worker is alive (a heartbeat extends its lease).
    for id in [a.id, c.id] {
        let asked = store.request_cancel(id, t0() + secs(1)).await.unwrap();
        assert_eq!(asked.outcome, CancelOutcome::StopRequested);
    }
    store.heartbeat(c.id, "w1", t0() + secs(90)).await.unwrap();
    store.heartbeat(b.id, "w1", t0() + secs(90)).await.unwrap();
    // Before the leases run out, nothing is swept.
    assert!(store
        .sweep_cancelled(t0() + secs(10))
        .await
        .unwrap()
        .is_empty());
    // a's lease ran out: swept, finished then; c's has not; b was never asked to stop.
    let swept = store.sweep_cancelled(t0() + secs(60)).await.unwrap();
    assert_eq!(ids(&swept), vec![a.id]);
    assert_eq!(swept[0].state, JobState::Cancelled);
    assert_eq!(swept[0].finished_at, Some(t0() + secs(60)));
    assert_eq!(swept[0].lease_until, None);
    let stored = store.job(a.id).await.unwrap().unwrap();
    assert_eq!(stored, swept[0]);
    // Its worker's late reports change nothing; no claim takes it again.
    assert!(store.complete(a.id, "w1").await.is_err());
    assert!(store
        .claim("w2", t0() + secs(3600), t0() + secs(3630), 10)
        .await
        .unwrap()
        .iter()
        .all(|job| job.id == b.id));
    assert_eq!(
        store.job(a.id).await.unwrap().unwrap().state,
        JobState::Cancelled
    );
    // Later, c is swept too; sweeping again finds nothing.
    let swept = store.sweep_cancelled(t0() + secs(3600)).await.unwrap();
    assert_eq!(ids(&swept), vec![c.id]);
    assert!(store
        .sweep_cancelled(t0() + secs(7200))
        .await
        .unwrap()
        .is_empty());
}
