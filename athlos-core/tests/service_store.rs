//! The memory store's job queue, deadlines and event log paging.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use athlos_core::error::StoreError;
use athlos_core::id::TournamentId;
use athlos_core::store::{
    AggregateRef, Deadline, DeadlineKey, DeadlineStore, JobState, JobStore, MemoryStore, NewJob,
};
use chrono::{DateTime, Duration, TimeZone, Utc};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

fn job(key: Option<&str>, max_attempts: u32) -> NewJob {
    NewJob {
        kind: "generate_bracket".to_owned(),
        payload: serde_json::json!({"division": "m73"}),
        idempotency_key: key.map(str::to_owned),
        run_at: t0(),
        max_attempts,
        priority: 0,
        target: None,
        created_at: None,
    }
}

#[tokio::test]
async fn jobs_are_leased_retried_and_die() {
    let store = MemoryStore::new();
    let first = store.enqueue(job(Some("gen-m73"), 2)).await.unwrap();
    let again = store.enqueue(job(Some("gen-m73"), 2)).await.unwrap();
    assert_eq!(first.id, again.id, "idempotency key");
    let other = store.enqueue(job(None, 1)).await.unwrap();
    assert_ne!(other.id, first.id);

    let lease = t0() + Duration::seconds(30);
    let claimed = store.claim("w1", t0(), lease, 1).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].id, first.id);
    assert_eq!(
        (claimed[0].state, claimed[0].attempts),
        (JobState::Running, 1)
    );
    // The lease keeps others off until it expires; then the job is claimed again.
    let second = store.claim("w2", t0(), lease, 10).await.unwrap();
    assert_eq!(
        second.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![other.id]
    );
    let rescued = store
        .claim("w3", lease, lease + Duration::seconds(30), 10)
        .await
        .unwrap();
    assert_eq!(
        rescued.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![first.id, other.id]
    );
    assert_eq!(rescued[0].attempts, 2);
    assert!(matches!(
        store.complete(first.id, "w1").await,
        Err(StoreError::LeaseLost { .. })
    ));
    let dead = store
        .fail(first.id, "w3", "boom".to_owned(), lease, t0())
        .await
        .unwrap();
    assert_eq!(dead.state, JobState::Dead, "two attempts of two");
    let done = store.complete(other.id, "w3").await.unwrap();
    assert_eq!(done.state, JobState::Succeeded);
    assert!(store
        .claim("w4", lease + Duration::hours(1), lease, 10)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn failed_jobs_wait_for_their_retry_time() {
    let store = MemoryStore::new();
    let queued = store.enqueue(job(None, 3)).await.unwrap();
    store
        .claim("w", t0(), t0() + Duration::seconds(30), 1)
        .await
        .unwrap();
    let retry_at = t0() + Duration::seconds(10);
    let failed = store
        .fail(queued.id, "w", "transient".to_owned(), retry_at, t0())
        .await
        .unwrap();
    assert_eq!(failed.state, JobState::Failed);
    assert!(store
        .claim("w", t0() + Duration::seconds(5), retry_at, 1)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store.claim("w", retry_at, retry_at, 1).await.unwrap().len(),
        1
    );
}

#[tokio::test]
async fn deadlines_come_due_in_order() {
    let store = MemoryStore::new();
    let key = |id: &str| DeadlineKey {
        aggregate: AggregateRef::Tournament(TournamentId::new(id).unwrap()),
        purpose: "round_timer".to_owned(),
    };
    for (id, seconds) in [("b", 20), ("a", 20), ("c", 5), ("d", 60)] {
        store
            .set_deadline(Deadline {
                key: key(id),
                due: t0() + Duration::seconds(seconds),
                sequence: 1,
            })
            .await
            .unwrap();
    }
    // Re-arming replaces.
    store
        .set_deadline(Deadline {
            key: key("d"),
            due: t0() + Duration::seconds(1),
            sequence: 2,
        })
        .await
        .unwrap();
    store.clear_deadline(&key("c")).await.unwrap();
    let due = store
        .due_deadlines(t0() + Duration::seconds(30), 10)
        .await
        .unwrap();
    let order: Vec<_> = due.iter().map(|d| d.key.clone()).collect();
    assert_eq!(order, vec![key("d"), key("a"), key("b")]);
    assert_eq!(due[0].sequence, 2);
    assert_eq!(
        store
            .due_deadlines(t0() + Duration::seconds(30), 1)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_commit_schedules_jobs_and_deadlines_with_its_writes_or_not_at_all() {
    use athlos_core::bracket::{BracketOptions, Format};
    use athlos_core::lifecycle::TournamentState;
    use athlos_core::store::{AggregateStore, Commit, Store, Write};
    use athlos_core::tournament::{Tournament, TournamentRules};

    let store = MemoryStore::new();
    let id = TournamentId::new("t").unwrap();
    let tournament = Tournament {
        id: id.clone(),
        name: "T".to_owned(),
        rules: TournamentRules {
            options: BracketOptions::new(Format::SingleElimination),
            min_entries: 2,
            max_entries: None,
            seed: 1,
            swiss: None,
        },
        state: TournamentState::Draft,
        entries: Vec::new(),
        play: None,
        round: 0,
        director: None,
        self_reporting: false,
        auto_advance: false,
        finished_at: None,
        starts_at: None,
        started_at: None,
        withdrawals_close_at_start: false,
        teams: Vec::new(),
        followers: Vec::new(),
        reminded_at: None,
        board: None,
        board_games: Default::default(),
        board_moves: Default::default(),
    };
    let key = DeadlineKey {
        aggregate: AggregateRef::Tournament(id.clone()),
        purpose: "round_timer".to_owned(),
    };
    let commit = |expected| Commit {
        writes: vec![Write::Tournament {
            value: tournament.clone(),
            expected,
        }],
        jobs: vec![job(Some("notify-t"), 3)],
        deadlines: vec![Deadline {
            key: key.clone(),
            due: t0(),
            sequence: 1,
        }],
        ..Commit::default()
    };
    // A conflicting commit schedules nothing.
    assert!(store.commit(commit(Some(4))).await.is_err());
    assert!(store.claim("w", t0(), t0(), 10).await.unwrap().is_empty());
    assert!(store.due_deadlines(t0(), 10).await.unwrap().is_empty());
    assert!(store.tournament(&id).await.unwrap().is_none());

    store.commit(commit(None)).await.unwrap();
    assert_eq!(store.due_deadlines(t0(), 10).await.unwrap().len(), 1);
    assert_eq!(store.claim("w", t0(), t0(), 10).await.unwrap().len(), 1);
    let cleared = Commit {
        writes: vec![Write::Tournament {
            value: tournament.clone(),
            expected: Some(1),
        }],
        cleared_deadlines: vec![key.clone()],
        ..Commit::default()
    };
    store.commit(cleared).await.unwrap();
    assert!(store.due_deadlines(t0(), 10).await.unwrap().is_empty());
}

/// A snapshot puts the store back as it was (aggregates, log, jobs), `holds` tells whether
/// anything was written since, and `changed_since` names the aggregates written or created.
#[tokio::test]
async fn snapshots_restore_and_name_what_changed() {
    use athlos_core::clock::ManualClock;
    use athlos_core::id::CompetitionId;
    use athlos_core::service::Service;
    use athlos_core::store::EventLog;

    let service = Service::new(MemoryStore::new(), ManualClock::new(t0()));
    let open = CompetitionId::new("open").unwrap();
    service
        .create_competition(open.clone(), "Open")
        .await
        .unwrap();
    let store = service.store();
    let before = store.snapshot();
    assert!(store.holds(&before));
    assert!(store.changed_since(&before).is_empty());

    let other = CompetitionId::new("other").unwrap();
    service
        .create_competition(other.clone(), "Other")
        .await
        .unwrap();
    store.enqueue(job(Some("k"), 1)).await.unwrap();
    assert!(!store.holds(&before));
    assert_eq!(
        store.changed_since(&before),
        [AggregateRef::Competition(other.clone())]
    );

    store.restore(&before);
    assert!(store.holds(&before));
    assert!(store.changed_since(&before).is_empty());
    assert_eq!(store.job_by_key("k").await.unwrap(), None);
    // The restored store goes on as if nothing had happened: the same id can be created.
    service.create_competition(other, "Other").await.unwrap();
    assert_eq!(store.last_sequence().await.unwrap(), 0);
}
