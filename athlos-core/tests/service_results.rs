//! Results that cannot be lost, through the service: a second, different result is refused
//! with the recorded one; the same result again changes nothing; a correction is explicit,
//! refused once a dependent match is played, and logged with the old and the new result; a
//! write that names a stale version is refused. Divisions and tournaments follow the same
//! rules, and so does a bare bracket (`write_bracket_result`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use athlos_core::bracket::{Bracket, BracketOptions, Format, MatchId, MatchResult, MatchStatus};
use athlos_core::clock::ManualClock;
use athlos_core::competition::DivisionRules;
use athlos_core::error::{BracketError, Error, ServiceError};
use athlos_core::event::{EventData, EventType};
use athlos_core::id::{CompetitionId, DivisionId, TournamentId};
use athlos_core::lifecycle::TournamentState;
use athlos_core::model::{Participant, ParticipantId};
use athlos_core::service::{write_bracket_result, ResultWrite, Service, Written};
use athlos_core::store::{EventLog, MemoryStore};
use athlos_core::tournament::TournamentRules;
use chrono::{TimeZone, Utc};

type TestService = Service<MemoryStore, ManualClock>;

fn clock() -> ManualClock {
    ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap())
}

fn field(n: usize) -> Vec<Participant> {
    (1..=n)
        .map(|i| Participant::new(format!("p{i}"), format!("Player {i}")).unwrap())
        .collect()
}

/// A locked single-elimination division of four.
async fn locked_division() -> (TestService, DivisionId) {
    let service = Service::new(MemoryStore::new(), clock());
    let competition = CompetitionId::new("open").unwrap();
    service
        .create_competition(competition.clone(), "Open")
        .await
        .unwrap();
    let division = DivisionId::new("d").unwrap();
    let rules = DivisionRules {
        options: BracketOptions::new(Format::SingleElimination),
        seed: 3,
    };
    service
        .create_division(&competition, division.clone(), "D", rules)
        .await
        .unwrap();
    service.add_participants(&division, field(4)).await.unwrap();
    service.generate(&division).await.unwrap();
    service.lock(&division).await.unwrap();
    (service, division)
}

/// The ready matches of round `round` and their two sides.
fn ready(bracket: &Bracket, round: u32) -> Vec<(MatchId, ParticipantId, ParticipantId)> {
    bracket
        .matches()
        .iter()
        .filter(|m| m.round == round && m.status == MatchStatus::Ready)
        .map(|m| {
            (
                m.id,
                m.participant(0).unwrap().clone(),
                m.participant(1).unwrap().clone(),
            )
        })
        .collect()
}

async fn logged_types(service: &TestService) -> Vec<EventType> {
    service
        .store()
        .events_after(0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|logged| logged.event.event_type())
        .collect()
}

fn count(types: &[EventType], kind: EventType) -> usize {
    types.iter().filter(|&&t| t == kind).count()
}

#[tokio::test]
async fn division_second_result_is_refused_same_result_is_a_no_op_correction_is_logged() {
    let (service, id) = locked_division().await;
    let bracket = service.division(&id).await.unwrap().value.bracket.unwrap();
    let (m, a, b) = ready(&bracket, 1)[0].clone();

    let (first, events) = service
        .record_division_result(&id, m, MatchResult::win(a.clone()))
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event_type(), EventType::MatchResult);

    // The same result again: the division as it stands, no event, no new version.
    let (again, events) = service
        .record_division_result(&id, m, MatchResult::win(a.clone()))
        .await
        .unwrap();
    assert!(events.is_empty());
    assert_eq!(again, first);

    // Another result without a correction: refused with the recorded one; nothing changed.
    let error = service
        .record_division_result(&id, m, MatchResult::win(b.clone()))
        .await
        .unwrap_err();
    match error {
        Error::Service(ServiceError::ResultExists { match_id, recorded }) => {
            assert_eq!(match_id, m);
            assert_eq!(recorded, MatchResult::win(a.clone()));
        }
        other => panic!("expected result_exists, got {other}"),
    }
    assert_eq!(service.division(&id).await.unwrap(), first);

    // A correction naming a stale version: refused with the current one.
    let error = service
        .write_division_result(
            &id,
            m,
            MatchResult::win(b.clone()),
            ResultWrite::correction().expecting(first.version - 1),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Service(ServiceError::PreconditionFailed { expected, current })
                if expected == first.version - 1 && current == first.version
        ),
        "{error}"
    );
    assert_eq!(service.division(&id).await.unwrap(), first);

    // The correction at the current version: logged with the old and the new result.
    let (corrected, events) = service
        .write_division_result(
            &id,
            m,
            MatchResult::win(b.clone()),
            ResultWrite::correction().expecting(first.version),
        )
        .await
        .unwrap();
    assert_eq!(corrected.version, first.version + 1);
    assert_eq!(events.len(), 1);
    match &events[0].data {
        EventData::MatchCorrected {
            match_id,
            previous,
            result,
            ..
        } => {
            assert_eq!(*match_id, m);
            assert_eq!(previous, &MatchResult::win(a.clone()));
            assert_eq!(result, &MatchResult::win(b.clone()));
        }
        other => panic!("expected match.corrected, got {other:?}"),
    }
    let stored = corrected.value.bracket.as_ref().unwrap();
    assert_eq!(stored.match_by_id(&m).unwrap().winner.as_ref(), Some(&b));

    let types = logged_types(&service).await;
    assert_eq!(count(&types, EventType::MatchResult), 1);
    assert_eq!(count(&types, EventType::MatchCorrected), 1);
}

#[tokio::test]
async fn division_correction_is_refused_once_a_dependent_match_is_played() {
    let (service, id) = locked_division().await;
    let bracket = service.division(&id).await.unwrap().value.bracket.unwrap();
    let semis = ready(&bracket, 1);
    for (m, a, _) in &semis {
        service
            .record_division_result(&id, *m, MatchResult::win(a.clone()))
            .await
            .unwrap();
    }
    let bracket = service.division(&id).await.unwrap().value.bracket.unwrap();
    let (final_id, x, _) = ready(&bracket, 2)[0].clone();
    // Before the final is played, the first semi-final may be corrected...
    let (m, a, b) = semis[0].clone();
    service
        .write_division_result(
            &id,
            m,
            MatchResult::win(b.clone()),
            ResultWrite::correction(),
        )
        .await
        .unwrap();
    // ... and back, which is a correction too.
    service
        .write_division_result(
            &id,
            m,
            MatchResult::win(a.clone()),
            ResultWrite::correction(),
        )
        .await
        .unwrap();
    assert_eq!(
        ready(
            &service.division(&id).await.unwrap().value.bracket.unwrap(),
            2
        )[0]
        .1,
        x
    );
    // The final played (it completes the division), the semi-final's winner is final.
    service
        .record_division_result(&id, final_id, MatchResult::win(x.clone()))
        .await
        .unwrap();
    let before = service.division(&id).await.unwrap();
    let error = service
        .write_division_result(&id, m, MatchResult::win(b), ResultWrite::correction())
        .await
        .unwrap_err();
    // A completed division takes no result at all; the lifecycle says so first.
    assert!(
        matches!(error, Error::Lifecycle(_) | Error::Bracket(_)),
        "{error}"
    );
    assert_eq!(service.division(&id).await.unwrap(), before);
    // The final's own result re-posted is still a no-op on the completed division.
    let (same, events) = service
        .record_division_result(&id, final_id, MatchResult::win(x))
        .await
        .unwrap();
    assert!(events.is_empty());
    assert_eq!(same, before);
}

#[test]
fn bracket_writes_follow_the_same_rules() {
    let mut bracket = athlos_core::draw(
        &field(4),
        &BracketOptions::new(Format::SingleElimination),
        3,
    )
    .unwrap();
    let semis = ready(&bracket, 1);
    let (m, a, b) = semis[0].clone();
    assert_eq!(
        write_bracket_result(&mut bracket, &m, MatchResult::win(a.clone()), false).unwrap(),
        Written::Recorded
    );
    assert_eq!(
        write_bracket_result(&mut bracket, &m, MatchResult::win(a.clone()), false).unwrap(),
        Written::Unchanged
    );
    let before = bracket.clone();
    let error =
        write_bracket_result(&mut bracket, &m, MatchResult::win(b.clone()), false).unwrap_err();
    assert!(
        matches!(error, Error::Service(ServiceError::ResultExists { .. })),
        "{error}"
    );
    assert_eq!(bracket, before);
    assert_eq!(
        write_bracket_result(&mut bracket, &m, MatchResult::win(b.clone()), true).unwrap(),
        Written::Corrected {
            previous: MatchResult::win(a.clone())
        }
    );
    // The other semi-final and the final played: the correction is refused.
    let (m2, c, _) = semis[1].clone();
    write_bracket_result(&mut bracket, &m2, MatchResult::win(c), false).unwrap();
    let (final_id, x, _) = ready(&bracket, 2)[0].clone();
    write_bracket_result(&mut bracket, &final_id, MatchResult::win(x), false).unwrap();
    let before = bracket.clone();
    let error = write_bracket_result(&mut bracket, &m, MatchResult::win(a), true).unwrap_err();
    assert!(
        matches!(error, Error::Bracket(BracketError::DependentPlayed { .. })),
        "{error}"
    );
    assert_eq!(bracket, before);
}

async fn started_tournament() -> (TestService, TournamentId) {
    let service = Service::new(MemoryStore::new(), clock());
    let id = TournamentId::new("t").unwrap();
    let rules = TournamentRules {
        options: BracketOptions::new(Format::SingleElimination),
        min_entries: 2,
        max_entries: None,
        seed: 5,
        swiss: None,
    };
    service
        .create_tournament(id.clone(), "T", rules)
        .await
        .unwrap();
    service.publish(&id).await.unwrap();
    for p in field(4) {
        service.join(&id, p).await.unwrap();
    }
    service.start(&id).await.unwrap();
    (service, id)
}

#[tokio::test]
async fn tournament_results_follow_the_same_rules() {
    let (service, id) = started_tournament().await;
    let t = service.tournament(&id).await.unwrap();
    let semis = ready(t.value.bracket().unwrap(), 1);
    let (m, a, b) = semis[0].clone();
    let first = service
        .record_result(&id, m, MatchResult::win(a.clone()))
        .await
        .unwrap();
    let again = service
        .record_result(&id, m, MatchResult::win(a.clone()))
        .await
        .unwrap();
    assert!(again.events.is_empty());
    assert_eq!(again.tournament, first.tournament);
    let error = service
        .record_result(&id, m, MatchResult::win(b.clone()))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Service(ServiceError::ResultExists { recorded, .. }) if *recorded == MatchResult::win(a.clone())),
        "{error}"
    );
    let error = service
        .write_result(
            &id,
            m,
            MatchResult::win(b.clone()),
            ResultWrite::correction().expecting(1),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Service(ServiceError::PreconditionFailed { .. })
        ),
        "{error}"
    );
    assert_eq!(service.tournament(&id).await.unwrap(), first.tournament);
    let corrected = service
        .write_result(
            &id,
            m,
            MatchResult::win(b.clone()),
            ResultWrite::correction(),
        )
        .await
        .unwrap();
    assert_eq!(corrected.events.len(), 1);
    assert_eq!(corrected.events[0].event_type(), EventType::MatchCorrected);

    // The round complete (not yet advanced), its last result may still be corrected.
    let (m2, c, d) = semis[1].clone();
    service
        .record_result(&id, m2, MatchResult::win(c.clone()))
        .await
        .unwrap();
    let fixed = service
        .write_result(
            &id,
            m2,
            MatchResult::win(d.clone()),
            ResultWrite::correction(),
        )
        .await
        .unwrap();
    assert_eq!(fixed.events[0].event_type(), EventType::MatchCorrected);

    // Round 2: before the final is played, a semi-final may still be corrected; after, not.
    service.advance(&id).await.unwrap();
    service
        .write_result(
            &id,
            m2,
            MatchResult::win(c.clone()),
            ResultWrite::correction(),
        )
        .await
        .unwrap();
    let t = service.tournament(&id).await.unwrap();
    let (final_id, x, _) = ready(t.value.bracket().unwrap(), 2)[0].clone();
    service
        .record_result(&id, final_id, MatchResult::win(x.clone()))
        .await
        .unwrap();
    let before = service.tournament(&id).await.unwrap();
    let error = service
        .write_result(&id, m2, MatchResult::win(d), ResultWrite::correction())
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Bracket(BracketError::DependentPlayed { .. })),
        "{error}"
    );
    assert_eq!(service.tournament(&id).await.unwrap(), before);
    service.advance(&id).await.unwrap();
    let done = service.tournament(&id).await.unwrap();
    assert_eq!(done.value.state, TournamentState::Completed);
    // Completed: the final's result again is a no-op, another one is still result_exists.
    let same = service
        .record_result(&id, final_id, MatchResult::win(x))
        .await
        .unwrap();
    assert!(same.events.is_empty());
    let types = logged_types(&service).await;
    assert_eq!(count(&types, EventType::MatchResult), 3);
    assert_eq!(count(&types, EventType::MatchCorrected), 3);
}

/// `expecting` puts any division or tournament use case under a precondition: at another
/// version it is refused with `PreconditionFailed` before any other rule and writes nothing;
/// at the current version it applies; outside `expecting` nothing is checked.
#[tokio::test]
async fn any_write_can_expect_a_version() {
    use athlos_core::service::expecting;
    use athlos_core::store::AggregateStore;

    let (service, division) = locked_division().await;
    let version = service.division(&division).await.unwrap().version;
    let log = service.store().last_sequence().await.unwrap();
    // Stale: refused with the version found, even where another rule would refuse too
    // (locking a locked division).
    for (expected, write) in [(version - 1, 0), (version + 1, 1)] {
        let outcome = if write == 0 {
            expecting(Some(expected), service.lock(&division))
                .await
                .map(drop)
        } else {
            expecting(Some(expected), service.undo_tag(&division))
                .await
                .map(drop)
        };
        match outcome {
            Err(Error::Service(ServiceError::PreconditionFailed {
                expected: e,
                current,
            })) => assert_eq!((e, current), (expected, version)),
            other => panic!("expected a refused precondition, got {other:?}"),
        }
    }
    assert_eq!(service.store().last_sequence().await.unwrap(), log);
    assert_eq!(
        service
            .store()
            .division(&division)
            .await
            .unwrap()
            .unwrap()
            .version,
        version
    );

    let (service, tournament) = started_tournament().await;
    let version = service.tournament(&tournament).await.unwrap().version;
    let stale = expecting(Some(version + 5), service.advance(&tournament)).await;
    assert!(
        matches!(
            stale,
            Err(Error::Service(ServiceError::PreconditionFailed { .. }))
        ),
        "{stale:?}"
    );
    // The current version: the rule of the action itself answers (the round is not over).
    let current = expecting(Some(version), service.advance(&tournament)).await;
    assert!(
        !matches!(
            current,
            Err(Error::Service(ServiceError::PreconditionFailed { .. }))
        ),
        "{current:?}"
    );
    // A withdrawal at the current version applies and moves the version on.
    let entry = service.tournament(&tournament).await.unwrap().value.entries[0]
        .id
        .clone();
    let change = expecting(Some(version), service.withdraw(&tournament, &entry))
        .await
        .unwrap();
    assert_eq!(change.tournament.version, version + 1);
    // Outside `expecting`, no precondition is left behind.
    let entry = service.tournament(&tournament).await.unwrap().value.entries[1]
        .id
        .clone();
    service.withdraw(&tournament, &entry).await.unwrap();
}
