//! Replay: a tournament's log played again into a fresh aggregate reproduces its state —
//! a Swiss with a bye, manual advances and a correction; a knockout — and a state the log
//! does not explain (a rule changed without an event, a withdrawal during play) is found,
//! with where. A replay run completes with its snapshot index.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use athlos_core::bracket::{BracketOptions, Format, MatchResult, MatchStatus};
use athlos_core::clock::{Clock, ManualClock};
use athlos_core::id::TournamentId;
use athlos_core::lifecycle::TournamentState;
use athlos_core::model::Participant;
use athlos_core::service::{NoProbe, ResultWrite, Service, REPLAY};
use athlos_core::store::{
    AggregateRef, Commit, JobState, JobStore, MemoryStore, NewJob, SnapshotEntry, Store, Write,
};
use athlos_core::swiss::play::SwissRules;
use athlos_core::tournament::TournamentRules;
use chrono::{Duration, TimeZone, Utc};

type Svc = Service<MemoryStore, ManualClock>;

fn service() -> Svc {
    Service::new(
        MemoryStore::new(),
        ManualClock::new(Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap()),
    )
}

fn rules(swiss: Option<u32>) -> TournamentRules {
    TournamentRules {
        options: BracketOptions::new(Format::SingleElimination),
        min_entries: 2,
        max_entries: None,
        seed: 7,
        swiss: swiss.map(|rounds| {
            let mut rules = SwissRules::new(rounds);
            rules.auto_advance = false;
            rules
        }),
    }
}

async fn open(service: &Svc, id: &TournamentId, entries: usize, rules: TournamentRules) {
    service
        .create_tournament(id.clone(), "Replayed", rules)
        .await
        .unwrap();
    service.publish(id).await.unwrap();
    for i in 1..=entries {
        let entry = Participant::new(format!("p{i:02}"), format!("Player {i}"))
            .unwrap()
            .with_rating(2000 - 10 * i as u32);
        service.join(id, entry).await.unwrap();
    }
}

/// Plays the current round: the lower-numbered side wins, except every third board drawn
/// (for a Swiss); a knockout's ready matches go to their first side.
async fn play_round(service: &Svc, id: &TournamentId) {
    let tournament = service.tournament(id).await.unwrap().value;
    service.clock().advance(Duration::minutes(30));
    if let Some(play) = tournament.swiss() {
        let games = play.current().unwrap().games.clone();
        for (n, game) in games.iter().enumerate() {
            if game.status() != MatchStatus::Ready {
                continue;
            }
            let result = if n % 3 == 2 {
                MatchResult::Draw { score: None }
            } else {
                MatchResult::win(game.white.clone())
            };
            service.record_result(id, game.id, result).await.unwrap();
        }
    } else {
        let bracket = tournament.bracket().unwrap();
        let ready: Vec<_> = bracket
            .matches()
            .iter()
            .filter(|m| m.status == MatchStatus::Ready)
            .map(|m| (m.id, tournament.sides(&m.id)[0].clone().unwrap()))
            .collect();
        for (match_id, first) in ready {
            service
                .record_result(id, match_id, MatchResult::win(first))
                .await
                .unwrap();
        }
    }
}

#[tokio::test]
async fn a_swiss_log_with_a_bye_advances_and_a_correction_replays_to_its_state() {
    let service = service();
    let id = TournamentId::new("swiss").unwrap();
    open(&service, &id, 11, rules(Some(4))).await;
    // Nothing to replay before the start.
    let before = service.replay_tournament(&id).await.unwrap();
    assert_eq!((before.commits, before.divergence.clone()), (0, None));

    service.start(&id).await.unwrap();
    for round in 1..=4 {
        play_round(&service, &id).await;
        if round == 2 {
            // A correction of a round-2 result before the round closes.
            let tournament = service.tournament(&id).await.unwrap().value;
            let game = tournament.swiss().unwrap().current().unwrap().games[0].clone();
            let black = game.black.clone().unwrap();
            service
                .write_result(
                    &id,
                    game.id,
                    MatchResult::win(black),
                    ResultWrite::correction(),
                )
                .await
                .unwrap();
        }
        service.clock().advance(Duration::minutes(5));
        service.advance(&id).await.unwrap();
    }
    let tournament = service.tournament(&id).await.unwrap();
    assert_eq!(tournament.value.state, TournamentState::Completed);

    let replay = service.replay_tournament(&id).await.unwrap();
    assert_eq!(replay.divergence, None, "{replay:?}");
    assert_eq!(replay.version, tournament.version);
    // The start, 4 rounds of 5 results and a correction, 4 advances.
    assert_eq!(replay.commits, 1 + 4 * 5 + 1 + 4, "{replay:?}");
    assert_eq!(
        replay.index.read,
        [SnapshotEntry::Aggregate {
            aggregate: AggregateRef::Tournament(id.clone()),
            version: tournament.version,
        }]
    );
    assert!(replay.index.wrote.is_empty());
}

#[tokio::test]
async fn a_knockout_replays_and_a_rule_changed_without_an_event_is_found() {
    let service = service();
    let id = TournamentId::new("cup").unwrap();
    open(&service, &id, 8, rules(None)).await;
    service.start(&id).await.unwrap();
    play_round(&service, &id).await;
    let replay = service.replay_tournament(&id).await.unwrap();
    assert_eq!(replay.divergence, None, "{replay:?}");
    assert_eq!(replay.commits, 1 + 4);

    // A rating changed behind the log's back: the replayed start seeds another bracket.
    let stored = service.tournament(&id).await.unwrap();
    let mut changed = stored.value.clone();
    changed.entries[0] = changed.entries[0].clone().with_rating(1000);
    overwrite(&service, changed, stored.version).await;
    let replay = service.replay_tournament(&id).await.unwrap();
    let divergence = replay.divergence.unwrap();
    assert!(
        divergence.contains("replay gives") || divergence.contains("cannot be replayed"),
        "{divergence}"
    );
    assert_eq!(replay.commits, 0, "the start itself parts from the log");
}

#[tokio::test]
async fn a_withdrawal_during_play_logs_nothing_and_shows_as_a_state_the_log_does_not_explain() {
    let service = service();
    let id = TournamentId::new("withdrawn").unwrap();
    open(&service, &id, 6, rules(Some(3))).await;
    service.start(&id).await.unwrap();
    play_round(&service, &id).await;
    service.advance(&id).await.unwrap();
    let entry = athlos_core::model::ParticipantId::new("p03").unwrap();
    service.withdraw(&id, &entry).await.unwrap();
    let replay = service.replay_tournament(&id).await.unwrap();
    let divergence = replay.divergence.unwrap();
    assert!(divergence.contains("play"), "{divergence}");
}

/// A replay run of tournament `run`, queued and leased to worker `w`.
async fn leased_replay(service: &Svc) -> athlos_core::store::Job {
    let now = service.clock().now();
    let payload = serde_json::json!({"tournament": "run"});
    let queued = service
        .store()
        .enqueue(NewJob::new(REPLAY, payload, now))
        .await
        .unwrap();
    let claimed = service
        .store()
        .claim("w", now, now + Duration::seconds(30), 1)
        .await
        .unwrap();
    assert_eq!(claimed[0].id, queued.id);
    claimed[0].clone()
}

/// Writes `value` over the stored tournament at `version` without logging an event.
async fn overwrite(service: &Svc, value: athlos_core::tournament::Tournament, version: u64) {
    service
        .store()
        .commit(Commit {
            writes: vec![Write::Tournament {
                value,
                expected: Some(version),
            }],
            ..Commit::default()
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_replay_run_completes_with_its_snapshot_index_or_fails_with_where() {
    let service = service();
    let id = TournamentId::new("run").unwrap();
    open(&service, &id, 4, rules(None)).await;
    service.start(&id).await.unwrap();
    let job = leased_replay(&service).await;
    let replay = service.run_replay(&job, &NoProbe).await.unwrap();
    assert_eq!(replay.divergence, None);
    let done = service.store().job(job.id).await.unwrap().unwrap();
    assert_eq!(done.state, JobState::Succeeded);
    assert_eq!(done.snapshot.as_ref(), Some(&replay.index));

    // A stored state the log does not explain: the run fails with where.
    let stored = service.tournament(&id).await.unwrap();
    let mut changed = stored.value.clone();
    changed.round = 2;
    overwrite(&service, changed, stored.version).await;
    let job = leased_replay(&service).await;
    let error = service.run_replay(&job, &NoProbe).await.unwrap_err();
    assert_eq!(error.code(), "replay_diverged");
    assert!(error.to_string().contains("round"), "{error}");
}
