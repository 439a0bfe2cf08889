//! Who directs what, as the aggregates record it: creators become directors in the same
//! commit, the authorisation decisions read the aggregate, a deleted tournament keeps its id
//! for its director, and a tournament that advances by itself closes a round in the change
//! that records its last result.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use athlos_core::access::{Principal, Refusal};
use athlos_core::bracket::{BracketOptions, Format, MatchResult, MatchStatus};
use athlos_core::clock::ManualClock;
use athlos_core::error::{Error, ServiceError};
use athlos_core::event::EventType;
use athlos_core::id::{CompetitionId, TournamentId};
use athlos_core::lifecycle::TournamentState;
use athlos_core::model::Participant;
use athlos_core::service::Service;
use athlos_core::store::{AggregateRef, AggregateStore, MemoryStore, Stored};
use athlos_core::tournament::{Tournament, TournamentRules, TournamentSettings};
use chrono::{TimeZone, Utc};

fn service() -> Service<MemoryStore, ManualClock> {
    Service::new(
        MemoryStore::new(),
        ManualClock::new(Utc.with_ymd_and_hms(2026, 12, 6, 17, 0, 0).unwrap()),
    )
}

fn knockout() -> TournamentRules {
    TournamentRules {
        options: BracketOptions::new(Format::SingleElimination),
        min_entries: 2,
        max_entries: None,
        seed: 3,
        swiss: None,
    }
}

fn directed_by(director: &str, self_reporting: bool, auto_advance: bool) -> TournamentSettings {
    TournamentSettings {
        director: Some(director.to_owned()),
        self_reporting,
        auto_advance,
        board: None,
        withdrawals_close_at_start: false,
    }
}

async fn create(
    service: &Service<MemoryStore, ManualClock>,
    id: &TournamentId,
    settings: TournamentSettings,
) -> Result<Stored<Tournament>, Error> {
    service
        .create_tournament_with(id.clone(), id.as_str(), knockout(), settings)
        .await
}

/// Opens `id` and enters four bots.
async fn entered(service: &Service<MemoryStore, ManualClock>, id: &TournamentId) {
    service.publish(id).await.unwrap();
    for n in 1..=4 {
        let entry = Participant::new(format!("b{n}"), format!("Bot {n}")).unwrap();
        service.join(id, entry).await.unwrap();
    }
}

fn id_taken(error: &Error) -> bool {
    matches!(error, Error::Service(ServiceError::IdTaken { .. }))
}

#[tokio::test]
async fn the_creator_directs_and_the_settings_are_in_the_document() {
    let service = service();
    let id = TournamentId::new("cup").unwrap();
    let created = create(&service, &id, directed_by("td", true, true))
        .await
        .unwrap();
    let stored = service.tournament(&id).await.unwrap();
    assert_eq!(stored, created);
    assert_eq!(stored.value.director.as_deref(), Some("td"));
    assert!(stored.value.self_reporting && stored.value.auto_advance);
    let t = &stored.value;
    assert_eq!(t.may_direct(&Principal::new("td", false)), Ok(()));
    assert_eq!(t.may_direct(&Principal::new("root", true)), Ok(()));
    assert_eq!(
        t.may_direct(&Principal::new("b1", false)),
        Err(Refusal::NotDirector)
    );

    // A tournament an embedding program creates has no director: administrators only.
    let plain = service
        .create_tournament(TournamentId::new("plain").unwrap(), "Plain", knockout())
        .await
        .unwrap();
    assert_eq!(plain.value.director, None);
    assert_eq!(
        plain.value.may_direct(&Principal::new("td", false)),
        Err(Refusal::NotDirector)
    );
    assert_eq!(
        plain.value.may_direct(&Principal::new("root", true)),
        Ok(())
    );

    // Under an id in use, for anyone: taken, and nothing changes.
    let again = create(&service, &id, directed_by("td", false, false))
        .await
        .unwrap_err();
    assert!(id_taken(&again), "{again:?}");
    assert_eq!(again.code(), "id_taken");
    assert_eq!(service.tournament(&id).await.unwrap(), created);
}

#[tokio::test]
async fn entrants_report_their_own_matches_where_self_reporting_is_on() {
    let service = service();
    for (name, self_reporting) in [("open", true), ("closed", false)] {
        let id = TournamentId::new(name).unwrap();
        create(&service, &id, directed_by("td", self_reporting, false))
            .await
            .unwrap();
        entered(&service, &id).await;
        let started = service.start(&id).await.unwrap().tournament.value;
        let bracket = started.bracket().unwrap();
        let first = bracket
            .matches()
            .iter()
            .find(|m| m.status == MatchStatus::Ready)
            .unwrap();
        let [a, b] = started.sides(&first.id);
        let (a, b) = (a.unwrap(), b.unwrap());
        let outsider = ["b1", "b2", "b3", "b4"]
            .into_iter()
            .find(|p| *p != a.as_str() && *p != b.as_str())
            .unwrap();
        let decide = |who: &str| started.may_report(&Principal::new(who, false), &first.id);
        assert_eq!(decide("td"), Ok(()));
        if self_reporting {
            assert_eq!(decide(a.as_str()), Ok(()));
            assert_eq!(decide(b.as_str()), Ok(()));
            assert_eq!(decide(outsider), Err(Refusal::NotInMatch));
        } else {
            assert_eq!(decide(a.as_str()), Err(Refusal::NoSelfReporting));
        }
        // A match the tournament does not have has no entrants.
        let unknown = "MAIN-R9-M9".parse().unwrap();
        assert!(started
            .may_report(&Principal::new(a.as_str(), false), &unknown)
            .is_err());
    }
}

#[tokio::test]
async fn a_deleted_tournament_keeps_its_id_for_its_director() {
    let service = service();
    let id = TournamentId::new("spring").unwrap();
    create(&service, &id, directed_by("td", false, false))
        .await
        .unwrap();
    service.delete_tournament(&id).await.unwrap();
    let aggregate = AggregateRef::Tournament(id.clone());
    let tombstone = service
        .store()
        .tombstone(&aggregate)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tombstone["director"], "td");

    // Another director is refused, and nothing is written.
    let refused = create(&service, &id, directed_by("x", false, false))
        .await
        .unwrap_err();
    assert!(id_taken(&refused), "{refused:?}");
    assert!(service.store().tournament(&id).await.unwrap().is_none());
    // So is a tournament without a director.
    let refused = service
        .create_tournament(id.clone(), "Plain", knockout())
        .await
        .unwrap_err();
    assert!(id_taken(&refused), "{refused:?}");

    // The director may create it again, with other settings.
    let again = create(&service, &id, directed_by("td", true, true))
        .await
        .unwrap();
    assert_eq!(
        (again.version, again.value.state),
        (1, TournamentState::Draft)
    );
    assert!(again.value.self_reporting);

    // A tournament nobody directed reserves nothing once deleted.
    let plain = TournamentId::new("plain").unwrap();
    service
        .create_tournament(plain.clone(), "Plain", knockout())
        .await
        .unwrap();
    service.delete_tournament(&plain).await.unwrap();
    create(&service, &plain, directed_by("x", false, false))
        .await
        .unwrap();
}

#[tokio::test]
async fn an_auto_advancing_knockout_closes_a_round_with_its_last_result() {
    let service = service();
    let id = TournamentId::new("ko").unwrap();
    create(&service, &id, directed_by("td", false, true))
        .await
        .unwrap();
    entered(&service, &id).await;
    let mut current = service.start(&id).await.unwrap().tournament;
    let mut rounds_closed = 0;
    while current.value.state == TournamentState::Active {
        let round = current.value.round;
        let bracket = current.value.bracket().cloned().unwrap();
        let ready: Vec<_> = bracket
            .matches()
            .iter()
            .filter(|m| m.status == MatchStatus::Ready)
            .map(|m| (m.id, m.participant(0).unwrap().clone()))
            .collect();
        assert!(!ready.is_empty(), "round {round} has nothing to play");
        for (index, (match_id, winner)) in ready.iter().enumerate() {
            let change = service
                .record_result(&id, *match_id, MatchResult::win(winner.clone()))
                .await
                .unwrap();
            // One change per result: the last one also closes the round.
            assert_eq!(change.tournament.version, current.version + 1);
            let types: Vec<EventType> = change.events.iter().map(|e| e.data.event_type()).collect();
            assert_eq!(types[0], EventType::MatchResult);
            if index + 1 == ready.len() {
                assert!(types.contains(&EventType::RoundFinished), "{types:?}");
                rounds_closed += 1;
            } else {
                assert_eq!(types, [EventType::MatchResult]);
                assert_eq!(change.tournament.value.round, round);
            }
            current = change.tournament;
        }
    }
    assert_eq!(current.value.state, TournamentState::Completed);
    assert_eq!(rounds_closed, 2);
}

#[tokio::test]
async fn a_competition_s_creator_directs_it() {
    let service = service();
    let id = CompetitionId::new("worlds").unwrap();
    let created = service
        .create_competition_with(id.clone(), "Worlds", Some("td".to_owned()))
        .await
        .unwrap();
    assert_eq!(
        created.value.may_direct(&Principal::new("td", false)),
        Ok(())
    );
    assert_eq!(
        created.value.may_direct(&Principal::new("x", false)),
        Err(Refusal::NotDirector)
    );
    let again = service
        .create_competition(id, "Worlds again")
        .await
        .unwrap_err();
    assert!(id_taken(&again), "{again:?}");
}

/// What the service answers the director "td", another user and an administrator for `scope`.
async fn answers(
    service: &Service<MemoryStore, ManualClock>,
    scope: AggregateRef,
) -> Vec<Result<(), Refusal>> {
    let mut answers = Vec::new();
    for who in [
        Principal::new("td", false),
        Principal::new("x", false),
        Principal::new("root", true),
    ] {
        answers.push(service.may_direct(&who, &scope).await.unwrap());
    }
    answers
}

#[tokio::test]
async fn the_service_decides_who_directs_any_scope() {
    use athlos_core::competition::DivisionRules;
    use athlos_core::draft::{DraftConfig, DraftSettings, Player, Position, RosterPosition};
    use athlos_core::id::{DivisionId, DraftId};
    use athlos_core::lifecycle::draft::PickOrder;
    use athlos_core::model::ParticipantId;

    let service = service();
    let td = Principal::new("td", false);
    let decide = |scope: AggregateRef| answers(&service, scope);
    let directed = vec![Ok(()), Err(Refusal::NotDirector), Ok(())];

    // A competition and its division: the competition's director.
    let worlds = CompetitionId::new("worlds").unwrap();
    service
        .create_competition_with(worlds.clone(), "Worlds", Some("td".to_owned()))
        .await
        .unwrap();
    let u73 = DivisionId::new("u73").unwrap();
    let rules = DivisionRules {
        options: BracketOptions::new(Format::SingleElimination),
        seed: 1,
    };
    service
        .create_division(&worlds, u73.clone(), "-73 kg", rules)
        .await
        .unwrap();
    assert_eq!(decide(AggregateRef::Competition(worlds)).await, directed);
    assert_eq!(decide(AggregateRef::Division(u73)).await, directed);

    // A tournament, live and deleted: its director, then the one its tombstone names.
    let spring = TournamentId::new("spring").unwrap();
    create(&service, &spring, directed_by("td", false, false))
        .await
        .unwrap();
    let scope = AggregateRef::Tournament(spring.clone());
    assert_eq!(decide(scope.clone()).await, directed);
    service.delete_tournament(&spring).await.unwrap();
    assert_eq!(decide(scope).await, directed);
    // Something that never existed: administrators only.
    let never = AggregateRef::Tournament(TournamentId::new("never").unwrap());
    assert_eq!(
        decide(never).await,
        vec![Err(Refusal::NotDirector), Err(Refusal::NotDirector), Ok(())]
    );

    // A draft: its commissioner; each team's manager for that team only.
    let qb = Position::new("QB").unwrap();
    let pool = (1..=4)
        .map(|i| Player {
            id: ParticipantId::new(format!("p{i}")).unwrap(),
            position: qb.clone(),
            rank: i,
        })
        .collect();
    let settings = DraftSettings::new(DraftConfig {
        id: DraftId::new("league").unwrap(),
        teams: 2,
        rounds: 2,
        order: PickOrder::Snake,
        seconds_per_pick: 60,
        roster: vec![RosterPosition {
            position: qb,
            starters: 2,
            max: None,
        }],
        pool,
    })
    .unwrap();
    let draft = service
        .create_draft(settings, "td", vec![Some("m0".to_owned()), None])
        .await
        .unwrap()
        .value;
    let commissioned = vec![Ok(()), Err(Refusal::NotCommissioner), Ok(())];
    assert_eq!(
        decide(AggregateRef::Draft(draft.id().clone())).await,
        commissioned
    );
    let m0 = Principal::new("m0", false);
    assert_eq!(draft.may_manage(&m0, 0), Ok(()));
    assert_eq!(
        draft.may_manage(&m0, 1),
        Err(Refusal::NotManager { team: 1 })
    );
    assert_eq!(draft.may_manage(&td, 1), Ok(()));
    assert_eq!(draft.may_direct(&m0), Err(Refusal::NotCommissioner));
    let gone = AggregateRef::Draft(DraftId::new("gone").unwrap());
    assert_eq!(
        decide(gone).await,
        vec![
            Err(Refusal::NotCommissioner),
            Err(Refusal::NotCommissioner),
            Ok(())
        ]
    );
}
