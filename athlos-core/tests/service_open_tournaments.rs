//! Tournaments created open for entries (one commit: the tournament in registration with its
//! state-change event), withdrawals that close at the start, and the recorded start time —
//! what the NowChess profile's tournaments are made of.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use athlos_core::clock::{Clock, ManualClock};
use athlos_core::error::Error;
use athlos_core::event::EventData;
use athlos_core::id::TournamentId;
use athlos_core::lifecycle::{LifecycleError, TournamentState};
use athlos_core::model::{Participant, ParticipantId};
use athlos_core::service::{Service, ServiceError};
use athlos_core::store::{AggregateRef, EventLog, MemoryStore};
use athlos_core::tournament::{TournamentRules, TournamentSettings};
use chrono::{Duration, TimeZone, Utc};

fn swiss() -> TournamentRules {
    serde_json::from_value(serde_json::json!({"swiss": {"rounds": 3}})).unwrap()
}

fn settings(close: bool) -> TournamentSettings {
    TournamentSettings {
        director: Some("td".to_owned()),
        withdrawals_close_at_start: close,
        ..TournamentSettings::default()
    }
}

#[tokio::test]
async fn created_open_in_one_commit_with_its_event() {
    let service = Service::new(
        MemoryStore::new(),
        ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 1, 18, 0, 0).unwrap()),
    );
    let id = TournamentId::new("open1").unwrap();
    let change = service
        .create_published(id.clone(), "Open", swiss(), settings(false))
        .await
        .unwrap();
    assert_eq!(change.tournament.version, 1);
    assert_eq!(change.tournament.value.state, TournamentState::Registration);
    assert_eq!(change.events.len(), 1);
    assert!(matches!(
        change.events[0].data,
        EventData::TournamentStateChanged {
            from: TournamentState::Draft,
            to: TournamentState::Registration,
            ..
        }
    ));
    let logged: Vec<_> = service
        .store()
        .events_after(0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|l| {
            assert_eq!(l.aggregate, AggregateRef::Tournament(id.clone()));
            l.event
        })
        .collect();
    assert_eq!(logged, change.events);
    assert_eq!(
        service.tournament(&id).await.unwrap(),
        change.tournament,
        "stored as answered"
    );
    // The id is taken: refused, nothing changes.
    let again = service
        .create_published(id.clone(), "Again", swiss(), settings(false))
        .await
        .unwrap_err();
    assert!(
        matches!(again, Error::Service(ServiceError::IdTaken { .. })),
        "{again:?}"
    );
    assert_eq!(service.tournament(&id).await.unwrap(), change.tournament);
}

#[tokio::test]
async fn withdrawals_close_at_the_start_when_the_tournament_says_so() {
    let service = Service::new(
        MemoryStore::new(),
        ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 1, 18, 0, 0).unwrap()),
    );
    let clock = service.clock();
    for close in [false, true] {
        let id = TournamentId::new(format!("w{close}")).unwrap();
        service
            .create_published(id.clone(), "Bots", swiss(), settings(close))
            .await
            .unwrap();
        for n in 1..=4 {
            let bot = Participant::new(format!("bot{n}"), format!("Bot {n}")).unwrap();
            service.join(&id, bot).await.unwrap();
        }
        // Before the start: anyone may leave.
        let four = ParticipantId::new("bot4").unwrap();
        service.withdraw(&id, &four).await.unwrap();
        assert_eq!(
            service.tournament(&id).await.unwrap().value.started_at,
            None
        );
        clock.advance(Duration::minutes(5));
        let started = service.start(&id).await.unwrap().tournament;
        assert_eq!(started.value.started_at, Some(clock.now()));
        let one = ParticipantId::new("bot1").unwrap();
        let during = service.withdraw(&id, &one).await;
        if close {
            let refused = during.unwrap_err();
            assert!(
                matches!(
                    refused,
                    Error::Lifecycle(LifecycleError::GuardFailed { guard, .. })
                        if guard == "withdrawals_open_during_play"
                ),
                "{refused:?}"
            );
            assert_eq!(service.tournament(&id).await.unwrap(), started);
        } else {
            during.unwrap();
        }
        // The start time stays the start's.
        clock.advance(Duration::minutes(5));
        let now = service.tournament(&id).await.unwrap().value;
        assert_eq!(now.started_at, started.value.started_at);
    }
}
