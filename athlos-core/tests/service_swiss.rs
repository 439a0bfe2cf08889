//! Swiss tournaments through the service layer: every round the service pairs is the round the
//! Dutch engine pairs from the exported TRF, results advance the tournament, withdrawals
//! forfeit, and the standings equal those computed from the export.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use athlos_core::bracket::{BracketOptions, Format, MatchResult, MatchStatus};
use athlos_core::clock::ManualClock;
use athlos_core::error::{Error, LifecycleError, ServiceError};
use athlos_core::event::{EventData, EventType};
use athlos_core::id::TournamentId;
use athlos_core::lifecycle::TournamentState;
use athlos_core::model::{Participant, ParticipantId};
use athlos_core::service::Service;
use athlos_core::store::{EventLog, MemoryStore};
use athlos_core::swiss::play::SwissRules;
use athlos_core::swiss::{check_round, rounds_paired};
use athlos_core::tiebreak::{self, Value};
use athlos_core::tournament::TournamentRules;
use athlos_core::trf::TrfDocument;
use chrono::{TimeZone, Utc};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn service() -> Service<MemoryStore, ManualClock> {
    Service::new(
        MemoryStore::new(),
        ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 29, 18, 0, 0).unwrap()),
    )
}

fn bots(n: usize) -> Vec<Participant> {
    (1..=n)
        .map(|i| {
            Participant::new(format!("bot{i:02}"), format!("Bot {i:02}"))
                .unwrap()
                .with_rating(2400 - 17 * i as u32)
        })
        .collect()
}

fn swiss_rules(rounds: u32, auto_advance: bool) -> TournamentRules {
    let mut swiss = SwissRules::new(rounds);
    swiss.auto_advance = auto_advance;
    TournamentRules {
        options: BracketOptions::new(Format::SingleElimination),
        min_entries: 2,
        max_entries: None,
        seed: 1,
        swiss: Some(swiss),
    }
}

async fn open(
    service: &Service<MemoryStore, ManualClock>,
    id: &TournamentId,
    entries: &[Participant],
    rules: TournamentRules,
) {
    service
        .create_tournament(id.clone(), "Bot arena", rules)
        .await
        .unwrap();
    service.publish(id).await.unwrap();
    for entry in entries {
        service.join(id, entry.clone()).await.unwrap();
    }
}

/// A result drawn from `rng`, biased towards the higher-rated player as real games are.
fn result(
    rng: &mut ChaCha8Rng,
    white: &ParticipantId,
    black: &ParticipantId,
    entries: &[Participant],
) -> MatchResult {
    let rating = |id: &ParticipantId| {
        entries
            .iter()
            .find(|p| p.id == *id)
            .and_then(|p| p.rating)
            .unwrap()
    };
    let (stronger, weaker) = if rating(white) >= rating(black) {
        (white, black)
    } else {
        (black, white)
    };
    match rng.next_u32() % 10 {
        0..=4 => MatchResult::win(stronger.clone()),
        5..=7 => MatchResult::Draw { score: None },
        _ => MatchResult::win(weaker.clone()),
    }
}

#[tokio::test]
async fn forty_bots_play_nine_rounds_that_the_engine_confirms() {
    let service = service();
    let id = TournamentId::new("arena").unwrap();
    let entries = bots(40);
    open(&service, &id, &entries, swiss_rules(9, true)).await;
    let started = service.start(&id).await.unwrap();
    let kinds: Vec<EventType> = started.events.iter().map(|e| e.data.event_type()).collect();
    assert_eq!(
        kinds,
        [
            EventType::TournamentStateChanged,
            EventType::RoundStarted,
            EventType::PairingReady
        ]
    );

    let mut rng = ChaCha8Rng::seed_from_u64(9);
    loop {
        let tournament = service.tournament(&id).await.unwrap().value;
        if tournament.state == TournamentState::Completed {
            break;
        }
        let play = tournament.swiss().unwrap();
        let round = play.current().unwrap();
        assert_eq!(round.number, tournament.round);
        assert_eq!(round.games.len(), 20, "40 bots: 20 boards, no bye");
        for game in &round.games {
            let black = game.black.clone().unwrap();
            let outcome = result(&mut rng, &game.white, &black, &entries);
            service.record_result(&id, game.id, outcome).await.unwrap();
        }
    }

    let tournament = service.tournament(&id).await.unwrap().value;
    assert_eq!(tournament.round, 9);
    let trf = service.export_trf(&id).await.unwrap();
    let doc = TrfDocument::parse(&trf).unwrap();
    let engine = doc.to_tournament();
    assert_eq!(rounds_paired(&engine), 9);
    for round in 1..=9 {
        assert_eq!(
            check_round(&engine, round).unwrap(),
            None,
            "round {round} differs from the engine's pairing of the exported history"
        );
    }

    let table = service.swiss_standings(&id).await.unwrap();
    let rules = tournament.rules.swiss.as_ref().unwrap();
    let from_trf = tiebreak::standings(&engine, &rules.tiebreaks, &rules.standings_options());
    assert_eq!(table.len(), 40);
    for (ours, theirs) in table.iter().zip(&from_trf) {
        assert_eq!(
            (ours.rank, ours.number, ours.points),
            (theirs.rank, theirs.number, theirs.points)
        );
        assert_eq!(ours.tiebreaks, theirs.tiebreaks);
    }
    let total: i64 = table.iter().map(|r| r.points.hundredths()).sum();
    assert_eq!(total, 9 * 20 * 100, "every game hands out one point");

    let log = service.store().events_after(0, 10_000).await.unwrap();
    let count = |kind: EventType| {
        log.iter()
            .filter(|e| e.event.data.event_type() == kind)
            .count()
    };
    assert_eq!(count(EventType::MatchResult), 180);
    assert_eq!(count(EventType::RoundStarted), 9);
    assert_eq!(count(EventType::RoundFinished), 9);
    assert_eq!(count(EventType::TournamentFinished), 1);
    let finished = log
        .iter()
        .find_map(|e| match &e.event.data {
            EventData::TournamentFinished { placements, .. } => Some(placements.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(finished.len(), 40);
    assert_eq!(finished[0].participant, table[0].participant);
}

#[tokio::test]
async fn the_same_entries_and_results_give_the_same_log() {
    async fn run() -> String {
        let service = service();
        let id = TournamentId::new("repeat").unwrap();
        let entries = bots(11);
        open(&service, &id, &entries, swiss_rules(4, true)).await;
        service.start(&id).await.unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        while let Some(play) = service.tournament(&id).await.unwrap().value.swiss() {
            let round = play.current().unwrap().clone();
            if service.tournament(&id).await.unwrap().value.state != TournamentState::Active {
                break;
            }
            for game in round
                .games
                .iter()
                .filter(|g| g.status() == MatchStatus::Ready)
            {
                let black = game.black.clone().unwrap();
                let outcome = result(&mut rng, &game.white, &black, &entries);
                service.record_result(&id, game.id, outcome).await.unwrap();
            }
        }
        let log = service.store().events_after(0, 10_000).await.unwrap();
        serde_json::to_string(&log).unwrap()
    }
    assert_eq!(run().await, run().await);
}

#[tokio::test]
async fn without_auto_advance_rounds_wait_for_the_director() {
    let service = service();
    let id = TournamentId::new("club").unwrap();
    let entries = bots(7);
    open(&service, &id, &entries, swiss_rules(3, false)).await;
    let started = service.start(&id).await.unwrap().tournament.value;
    let round = started.swiss().unwrap().current().unwrap().clone();
    let bye = round.games.last().unwrap();
    assert_eq!(bye.status(), MatchStatus::Bye);
    assert_eq!(
        bye.white.as_str(),
        "bot07",
        "the lowest-ranked player gets the bye"
    );
    let refused = service
        .record_result(&id, bye.id, MatchResult::win(bye.white.clone()))
        .await;
    assert!(matches!(
        refused,
        Err(Error::Service(ServiceError::NotInCurrentRound { .. }))
    ));

    let early = service.advance(&id).await;
    assert!(matches!(
        early,
        Err(Error::Lifecycle(LifecycleError::GuardFailed { .. }))
    ));

    // A withdrawal forfeits the pending game; the opponent scores the point.
    let leaving = round.games[0].black.clone().unwrap();
    let change = service.withdraw(&id, &leaving).await.unwrap();
    let play = change.tournament.value.swiss().unwrap();
    assert_eq!(
        play.current().unwrap().games[0].status(),
        MatchStatus::Walkover
    );

    for game in &round.games[1..] {
        if game.status() == MatchStatus::Ready {
            service
                .record_result(&id, game.id, MatchResult::Draw { score: None })
                .await
                .unwrap();
        }
    }
    let waiting = service.tournament(&id).await.unwrap().value;
    assert_eq!(waiting.round, 1, "no automatic advance");
    let next = service.advance(&id).await.unwrap().tournament.value;
    assert_eq!(next.round, 2);
    let round2 = next.swiss().unwrap().current().unwrap().clone();
    assert_eq!(
        round2.games.len(),
        3,
        "six players left: three boards, no bye"
    );
    assert!(round2
        .games
        .iter()
        .all(|g| g.white != leaving && g.black.as_ref() != Some(&leaving)));

    let table = service.swiss_standings(&id).await.unwrap();
    let winner_of_forfeit = &round.games[0].white;
    let row = table
        .iter()
        .find(|r| r.participant == *winner_of_forfeit)
        .unwrap();
    assert_eq!(row.points, Value::whole(1));
    assert_eq!(row.wins, 1);
}

#[tokio::test]
async fn swiss_rules_are_checked_when_the_tournament_is_created() {
    let service = service();
    let id = TournamentId::new("empty").unwrap();
    let refused = service
        .create_tournament(id.clone(), "Nothing", swiss_rules(0, false))
        .await;
    assert!(matches!(
        refused,
        Err(Error::Service(ServiceError::NoRounds { .. }))
    ));
    let knockout = TournamentRules {
        swiss: None,
        ..swiss_rules(3, false)
    };
    service
        .create_tournament(id.clone(), "Cup", knockout)
        .await
        .unwrap();
    let not_swiss = service.swiss_standings(&id).await;
    assert!(matches!(
        not_swiss,
        Err(Error::Service(ServiceError::NotSwiss { .. }))
    ));
}
