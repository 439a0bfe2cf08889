//! The service layer over the memory store and a manual clock: divisions from generation to
//! completion, tournaments from draft to archive, and optimistic concurrency.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use athlos_core::bracket::{BracketOptions, Format, MatchResult, MatchStatus};
use athlos_core::clock::ManualClock;
use athlos_core::competition::DivisionRules;
use athlos_core::diff::Overrides;
use athlos_core::error::{Error, LifecycleError, ServiceError, StoreError, VersionError};
use athlos_core::event::{EventData, EventType};
use athlos_core::id::{CompetitionId, DivisionId, TagName, TournamentId};
use athlos_core::lifecycle::{BracketState, TournamentState};
use athlos_core::model::{Participant, ParticipantId};
use athlos_core::service::Service;
use athlos_core::store::{
    AggregateRef, AggregateStore, Commit, EventLog, MemoryStore, Store, Write,
};
use athlos_core::tournament::TournamentRules;
use athlos_core::version::Patch;
use chrono::{Duration, TimeZone, Utc};

fn clock() -> ManualClock {
    ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap())
}

fn judoka(n: usize) -> Vec<Participant> {
    (1..=n)
        .map(|i| {
            Participant::new(format!("j{i}"), format!("Judoka {i}"))
                .unwrap()
                .with_rating(2000 - i as u32)
                .with_club(format!("club{}", i % 4))
        })
        .collect()
}

fn pid(s: &str) -> ParticipantId {
    ParticipantId::new(s).unwrap()
}

async fn division_service(
    n: usize,
    format: Format,
) -> (Service<MemoryStore, ManualClock>, DivisionId) {
    let service = Service::new(MemoryStore::new(), clock());
    let competition = CompetitionId::new("open").unwrap();
    service
        .create_competition(competition.clone(), "Open")
        .await
        .unwrap();
    let division = DivisionId::new("m73").unwrap();
    let rules = DivisionRules {
        options: BracketOptions::new(format),
        seed: 11,
    };
    service
        .create_division(&competition, division.clone(), "Men -73", rules)
        .await
        .unwrap();
    service
        .add_participants(&division, judoka(n))
        .await
        .unwrap();
    (service, division)
}

#[tokio::test]
async fn a_division_goes_from_draft_to_completed() {
    let (service, division) = division_service(6, Format::SingleElimination).await;
    let generated = service.generate(&division).await.unwrap();
    assert_eq!(generated.division.value.state, BracketState::Ready);
    let kinds: Vec<EventType> = generated.events.iter().map(|e| e.event_type()).collect();
    assert_eq!(kinds, [EventType::BracketGenerated, EventType::TagMoved]);
    assert_eq!(generated.events[0].version, generated.division.version);

    // Preview saves nothing.
    let before = service.division(&division).await.unwrap();
    let overrides: Overrides =
        serde_json::from_str(r#"{"rules": {"balance_byes": true}}"#).unwrap();
    let preview = service.preview(&division, &overrides).await.unwrap();
    assert!(!preview.diff.is_empty());
    assert_eq!(service.division(&division).await.unwrap(), before);

    // Edit, then undo and redo the move of `current`.
    let (edited, _) = service
        .edit(
            &division,
            Patch::Swap {
                a: pid("j1"),
                b: pid("j6"),
            },
        )
        .await
        .unwrap();
    assert_eq!(edited.value.history.tag(&TagName::current()), Some(2));
    let v1 = service.version_bracket(&division, 1).await.unwrap();
    let v2 = service.version_bracket(&division, 2).await.unwrap();
    assert_eq!(edited.value.bracket.as_ref(), Some(&v2));
    let (undone, events) = service.undo_tag(&division).await.unwrap();
    assert_eq!(undone.value.bracket.as_ref(), Some(&v1));
    assert!(matches!(
        events[0].data,
        EventData::TagMoved {
            from: Some(2),
            to: Some(1),
            ..
        }
    ));
    let (redone, _) = service.redo_tag(&division).await.unwrap();
    assert_eq!(redone.value.bracket.as_ref(), Some(&v2));
    service
        .move_tag(&division, TagName::published(), 2)
        .await
        .unwrap();

    service.clock().advance(Duration::minutes(10));
    let (locked, events) = service.lock(&division).await.unwrap();
    assert_eq!(locked.value.state, BracketState::Locked);
    assert!(matches!(
        events[0].data,
        EventData::BracketLocked { version: 2, .. }
    ));
    let refused = service
        .edit(
            &division,
            Patch::Swap {
                a: pid("j1"),
                b: pid("j2"),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(
        refused,
        Error::Lifecycle(LifecycleError::InvalidTransition { machine: "bracket", ref state, ref action })
            if state == "locked" && action == "edit"
    ));
    // `published` may still move; `current` may not once locked, and the refusal changes nothing.
    let (_, events) = service.undo_tag(&division).await.unwrap();
    assert!(matches!(
        events[0].data,
        EventData::TagMoved {
            from: Some(2),
            to: None,
            ..
        }
    ));
    let unchanged = service.division(&division).await.unwrap();
    assert!(matches!(
        service.undo_tag(&division).await.unwrap_err(),
        Error::Service(ServiceError::CurrentFrozen { .. })
    ));
    assert_eq!(service.division(&division).await.unwrap(), unchanged);
    assert!(matches!(
        service
            .add_participants(&division, vec![Participant::new("late", "Late").unwrap()])
            .await
            .unwrap_err(),
        Error::Service(ServiceError::FieldFrozen { .. })
    ));

    // Play to the end.
    loop {
        let current = service.division(&division).await.unwrap().value;
        let bracket = current.bracket.unwrap();
        let Some(next) = bracket
            .matches()
            .iter()
            .find(|m| m.status == MatchStatus::Ready)
        else {
            break;
        };
        let winner = next.participant(1).unwrap().clone();
        service.clock().advance(Duration::minutes(4));
        service
            .record_division_result(&division, next.id, MatchResult::win(winner))
            .await
            .unwrap();
    }
    let done = service.division(&division).await.unwrap();
    assert_eq!(done.value.state, BracketState::Completed);

    let log = service.store().events_after(0, 1000).await.unwrap();
    let sequences: Vec<u64> = log.iter().map(|e| e.sequence).collect();
    assert_eq!(sequences, (1..=log.len() as u64).collect::<Vec<_>>());
    assert_eq!(
        log.last().unwrap().event.event_type(),
        EventType::BracketCompleted
    );
    let versions: Vec<u64> = log.iter().map(|e| e.event.version).collect();
    assert!(versions.windows(2).all(|w| w[0] <= w[1]), "{versions:?}");
    assert!(log
        .windows(2)
        .all(|w| w[0].event.timestamp <= w[1].event.timestamp));
    let results = log
        .iter()
        .filter(|e| e.event.event_type() == EventType::MatchResult)
        .count();
    assert_eq!(results, 5, "six entries need five played matches");
    assert_eq!(
        service.store().events_after(3, 2).await.unwrap()[0].sequence,
        4
    );
}

#[tokio::test]
async fn regenerating_reports_edits_that_no_longer_apply() {
    let (service, division) = division_service(6, Format::SingleElimination).await;
    service.generate(&division).await.unwrap();
    let bracket = service
        .division(&division)
        .await
        .unwrap()
        .value
        .bracket
        .unwrap();
    let slots = bracket.first_round_slots().unwrap();
    let bye = slots.iter().position(Option::is_none).unwrap() + 1;
    let mover = slots.iter().flatten().last().unwrap().clone();
    service
        .edit(
            &division,
            Patch::Swap {
                a: pid("j2"),
                b: pid("j3"),
            },
        )
        .await
        .unwrap();
    service
        .edit(
            &division,
            Patch::Move {
                participant: mover,
                slot: bye,
            },
        )
        .await
        .unwrap();
    // Two more entries fill the byes: the move no longer applies, the swap still does.
    service
        .add_participants(&division, judoka(8)[6..].to_vec())
        .await
        .unwrap();
    let regenerated = service.generate(&division).await.unwrap();
    assert_eq!(regenerated.dropped.len(), 1);
    assert!(matches!(
        regenerated.dropped[0].error,
        VersionError::SlotOccupied { .. }
    ));
    let history = &regenerated.division.value.history;
    assert_eq!(
        history.versions().len(),
        5,
        "v1, swap, move, new base, swap replayed"
    );
    assert_eq!(history.tag(&TagName::current()), Some(5));
    assert_eq!(history.version(5).unwrap().patches.len(), 1);
}

#[tokio::test]
async fn a_failed_draw_is_logged_and_changes_nothing_else() {
    let (service, division) = division_service(1, Format::SingleElimination).await;
    let error = service.generate(&division).await.unwrap_err();
    assert!(matches!(error, Error::Model(_)), "{error}");
    let stored = service.division(&division).await.unwrap();
    assert_eq!(stored.value.state, BracketState::Draft);
    let log = service.store().events_after(0, 10).await.unwrap();
    assert_eq!(
        log.last().unwrap().event.event_type(),
        EventType::BracketFailed
    );
}

fn knockout_rules() -> TournamentRules {
    TournamentRules {
        options: BracketOptions::new(Format::SingleElimination),
        min_entries: 4,
        max_entries: Some(6),
        seed: 3,
        swiss: None,
    }
}

#[tokio::test]
async fn a_knockout_tournament_runs_round_by_round() {
    let service = Service::new(MemoryStore::new(), clock());
    let id = TournamentId::new("cup").unwrap();
    service
        .create_tournament(id.clone(), "Cup", knockout_rules())
        .await
        .unwrap();
    let field = judoka(7);
    assert!(matches!(
        service.join(&id, field[0].clone()).await.unwrap_err(),
        Error::Lifecycle(LifecycleError::InvalidTransition { .. })
    ));
    service.publish(&id).await.unwrap();
    for p in &field[..3] {
        service.join(&id, p.clone()).await.unwrap();
    }
    assert!(matches!(
        service.start(&id).await.unwrap_err(),
        Error::Lifecycle(LifecycleError::GuardFailed {
            guard: "minimum_entries",
            ..
        })
    ));
    assert!(matches!(
        service.join(&id, field[0].clone()).await.unwrap_err(),
        Error::Service(ServiceError::AlreadyEntered { .. })
    ));
    for p in &field[3..6] {
        service.join(&id, p.clone()).await.unwrap();
    }
    assert!(matches!(
        service.join(&id, field[6].clone()).await.unwrap_err(),
        Error::Lifecycle(LifecycleError::GuardFailed {
            guard: "entries_below_maximum",
            ..
        })
    ));
    service.withdraw(&id, &pid("j6")).await.unwrap();
    let started = service.start(&id).await.unwrap();
    let kinds: Vec<EventType> = started.events.iter().map(|e| e.event_type()).collect();
    assert_eq!(
        kinds,
        [
            EventType::TournamentStateChanged,
            EventType::RoundStarted,
            EventType::PairingReady
        ]
    );
    assert!(matches!(
        service.cancel(&id).await.unwrap_err(),
        Error::Lifecycle(_)
    ));

    let mut round = 1;
    loop {
        let t = service.tournament(&id).await.unwrap().value;
        assert_eq!(t.round, round);
        let bracket = t.bracket().unwrap();
        if let Some(later) = bracket.matches().iter().find(|m| m.round > round) {
            assert!(service
                .record_result(&id, later.id, MatchResult::win(pid("j1")))
                .await
                .is_err());
        }
        let ready: Vec<_> = bracket
            .matches()
            .iter()
            .filter(|m| m.round == round && m.status == MatchStatus::Ready)
            .map(|m| (m.id, m.participant(0).unwrap().clone()))
            .collect();
        if !ready.is_empty() {
            assert!(matches!(
                service.advance(&id).await.unwrap_err(),
                Error::Lifecycle(LifecycleError::GuardFailed { .. })
            ));
        }
        for (match_id, winner) in ready {
            service.clock().advance(Duration::minutes(5));
            service
                .record_result(&id, match_id, MatchResult::win(winner))
                .await
                .unwrap();
        }
        let step = service.advance(&id).await.unwrap();
        if step.tournament.value.state == TournamentState::Completed {
            break;
        }
        round += 1;
    }
    assert_eq!(round, 3);
    let standings = service.standings(&id).await.unwrap();
    assert_eq!(standings[0].place, 1);
    assert_eq!(standings.len(), 5);
    service.archive(&id).await.unwrap();

    // Replaying the log rebuilds the state.
    let log = service.store().events_after(0, 1000).await.unwrap();
    let mut state = TournamentState::Draft;
    for entry in &log {
        if let EventData::TournamentStateChanged { from, to, .. } = entry.event.data {
            assert_eq!(from, state);
            state = to;
        }
    }
    assert_eq!(state, TournamentState::Archived);
    assert_eq!(state, service.tournament(&id).await.unwrap().value.state);
    let started = log
        .iter()
        .filter(|e| e.event.event_type() == EventType::RoundStarted)
        .count();
    let finished = log
        .iter()
        .filter(|e| e.event.event_type() == EventType::RoundFinished)
        .count();
    assert_eq!((started, finished), (3, 3));
    assert_eq!(
        log.iter()
            .filter(|e| e.event.event_type() == EventType::TournamentFinished)
            .count(),
        1
    );
}

#[tokio::test]
async fn a_round_robin_tournament_completes() {
    let service = Service::new(MemoryStore::new(), clock());
    let id = TournamentId::new("league").unwrap();
    let rules = TournamentRules {
        options: BracketOptions::new(Format::RoundRobin),
        min_entries: 2,
        max_entries: None,
        seed: 1,
        swiss: None,
    };
    service
        .create_tournament(id.clone(), "League", rules)
        .await
        .unwrap();
    service.publish(&id).await.unwrap();
    for p in judoka(4) {
        service.join(&id, p).await.unwrap();
    }
    service.start(&id).await.unwrap();
    for _ in 0..10 {
        let t = service.tournament(&id).await.unwrap().value;
        if t.state == TournamentState::Completed {
            break;
        }
        let bracket = t.bracket().unwrap();
        let ready: Vec<_> = bracket
            .matches()
            .iter()
            .filter(|m| m.round == t.round && m.status == MatchStatus::Ready)
            .map(|m| m.id)
            .collect();
        for match_id in ready {
            let result = MatchResult::Draw { score: None };
            service.record_result(&id, match_id, result).await.unwrap();
        }
        service.advance(&id).await.unwrap();
    }
    let t = service.tournament(&id).await.unwrap().value;
    assert_eq!((t.state, t.round), (TournamentState::Completed, 3));
}

#[tokio::test]
async fn two_writers_on_one_aggregate_exactly_one_wins() {
    let service = Service::new(MemoryStore::new(), clock());
    let id = TournamentId::new("race").unwrap();
    service
        .create_tournament(id.clone(), "Race", knockout_rules())
        .await
        .unwrap();
    service.publish(&id).await.unwrap();
    let loaded = service.store().tournament(&id).await.unwrap().unwrap();
    let field = judoka(2);
    let commit_for = |p: &Participant| {
        let mut value = loaded.value.clone();
        value.entries.push(p.clone());
        Commit {
            writes: vec![Write::Tournament {
                value,
                expected: Some(loaded.version),
            }],
            ..Commit::default()
        }
    };
    let store = service.store();
    let (a, b) = tokio::join!(
        store.commit(commit_for(&field[0])),
        store.commit(commit_for(&field[1]))
    );
    let (won, lost) = match (a, b) {
        (Ok(_), Err(e)) => (0, e),
        (Err(e), Ok(_)) => (1, e),
        other => panic!("expected exactly one winner, got {other:?}"),
    };
    assert_eq!(
        lost,
        StoreError::Conflict {
            aggregate: "tournament:race".to_owned(),
            expected: Some(loaded.version),
            found: Some(loaded.version + 1),
        }
    );
    let after = service.tournament(&id).await.unwrap();
    assert_eq!(after.value.entries, vec![field[won].clone()]);
    // The loser reloads and retries through the service: nothing is lost.
    service.join(&id, field[1 - won].clone()).await.unwrap();
    let entries = service.tournament(&id).await.unwrap().value.entries;
    assert_eq!(entries.len(), 2);
    // A stale write never lands, and never logs its events.
    let stale = Commit {
        writes: vec![Write::Tournament {
            value: loaded.value.clone(),
            expected: Some(loaded.version),
        }],
        events: vec![(AggregateRef::Tournament(id.clone()), stale_event())],
        ..Commit::default()
    };
    let log_before = service.store().events_after(0, 100).await.unwrap().len();
    assert!(matches!(
        service.store().commit(stale).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(
        service.store().events_after(0, 100).await.unwrap().len(),
        log_before
    );
}

fn stale_event() -> athlos_core::event::Event {
    athlos_core::event::Event {
        id: athlos_core::id::EventId::new("stale").unwrap(),
        timestamp: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        version: 99,
        data: EventData::RoundStarted {
            tournament: TournamentId::new("race").unwrap(),
            round: 9,
        },
    }
}

#[tokio::test]
async fn cancel_before_start_then_archive() {
    let service = Service::new(MemoryStore::new(), clock());
    let id = TournamentId::new("off").unwrap();
    service
        .create_tournament(id.clone(), "Off", knockout_rules())
        .await
        .unwrap();
    assert!(service
        .create_tournament(id.clone(), "Again", knockout_rules())
        .await
        .is_err());
    service.publish(&id).await.unwrap();
    let cancelled = service.cancel(&id).await.unwrap();
    assert_eq!(cancelled.tournament.value.state, TournamentState::Cancelled);
    assert!(service.start(&id).await.is_err());
    service.archive(&id).await.unwrap();
    let listed = service
        .store()
        .tournaments(Some(TournamentState::Archived), 10, 0)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    let mut rules = knockout_rules();
    rules.options.format = Format::DoubleElimination;
    assert!(matches!(
        service
            .create_tournament(TournamentId::new("de").unwrap(), "DE", rules)
            .await
            .unwrap_err(),
        Error::Service(ServiceError::UnsupportedFormat {
            format: Format::DoubleElimination
        })
    ));
}

#[tokio::test]
async fn the_third_place_match_is_played_with_the_final() {
    let service = Service::new(MemoryStore::new(), clock());
    let id = TournamentId::new("bronze").unwrap();
    let mut rules = knockout_rules();
    rules.options.third_place = true;
    service
        .create_tournament(id.clone(), "Bronze", rules)
        .await
        .unwrap();
    service.publish(&id).await.unwrap();
    for p in judoka(4) {
        service.join(&id, p).await.unwrap();
    }
    let started = service.start(&id).await.unwrap();
    let EventData::PairingReady { pairings, .. } = &started.events[2].data else {
        panic!("pairings expected");
    };
    assert_eq!(pairings.len(), 2, "the semi-finals only");
    for _ in 0..2 {
        let t = service.tournament(&id).await.unwrap().value;
        let bracket = t.bracket().unwrap();
        let ready: Vec<_> = bracket
            .matches()
            .iter()
            .filter(|m| {
                athlos_core::service::playing_round(bracket, m) == t.round
                    && m.status == MatchStatus::Ready
            })
            .map(|m| (m.id, m.participant(0).unwrap().clone()))
            .collect();
        for (match_id, winner) in ready {
            service
                .record_result(&id, match_id, MatchResult::win(winner))
                .await
                .unwrap();
        }
        let step = service.advance(&id).await.unwrap();
        if t.round == 1 {
            let EventData::PairingReady { pairings, .. } = &step.events[2].data else {
                panic!("pairings expected");
            };
            assert_eq!(pairings.len(), 2, "the final and the third-place match");
        }
    }
    let t = service.tournament(&id).await.unwrap().value;
    assert_eq!(t.state, TournamentState::Completed);
    let places: Vec<u32> = service
        .standings(&id)
        .await
        .unwrap()
        .iter()
        .map(|p| p.place)
        .collect();
    assert_eq!(places, [1, 2, 3, 4]);
}
