//! Tournament play beyond results: edits in draft (`tournament.edited`), abandoned matches
//! (double forfeits) in a knockout, a round robin and a Swiss, and teams as entries.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use athlos_core::access::{Principal, Refusal};
use athlos_core::bracket::{BracketOptions, Format, MatchId, MatchResult, MatchStatus, Placement};
use athlos_core::clock::ManualClock;
use athlos_core::error::{Error, LifecycleError, ServiceError};
use athlos_core::event::{EventData, EventType};
use athlos_core::id::TournamentId;
use athlos_core::lifecycle::TournamentState;
use athlos_core::model::{Participant, ParticipantId};
use athlos_core::service::{Service, TournamentChanges};
use athlos_core::store::MemoryStore;
use athlos_core::tournament::{Team, Tournament, TournamentRules, TournamentSettings};
use chrono::{TimeZone, Utc};

type Svc = Service<MemoryStore, ManualClock>;

fn service() -> Svc {
    Service::new(
        MemoryStore::new(),
        ManualClock::new(Utc.with_ymd_and_hms(2026, 12, 6, 18, 0, 0).unwrap()),
    )
}

fn rules(json: serde_json::Value) -> TournamentRules {
    serde_json::from_value(json).unwrap()
}

fn pid(s: &str) -> ParticipantId {
    ParticipantId::new(s).unwrap()
}

fn mid(s: &str) -> MatchId {
    s.parse().unwrap()
}

fn tid() -> TournamentId {
    TournamentId::new("cup").unwrap()
}

fn td() -> TournamentSettings {
    TournamentSettings {
        director: Some("td".to_owned()),
        self_reporting: true,
        auto_advance: false,
        board: None,
        withdrawals_close_at_start: false,
    }
}

/// A tournament with `rules`, `n` entries `p1` … (rated in order), started.
async fn started(service: &Svc, rules: TournamentRules, n: usize) {
    service
        .create_tournament_with(tid(), "Cup", rules, td())
        .await
        .unwrap();
    service.publish(&tid()).await.unwrap();
    for i in 1..=n {
        let entry = Participant::new(format!("p{i}"), format!("P{i}"))
            .unwrap()
            .with_rating(2400 - i as u32 * 10);
        service.join(&tid(), entry).await.unwrap();
    }
    service.start(&tid()).await.unwrap();
}

fn lifecycle_refusal(error: &Error) -> (String, String) {
    match error {
        Error::Lifecycle(LifecycleError::InvalidTransition { state, action, .. }) => {
            (state.clone(), action.clone())
        }
        other => panic!("not a lifecycle refusal: {other:?}"),
    }
}

fn places(placements: &[Placement]) -> Vec<(u32, &str)> {
    placements
        .iter()
        .map(|p| (p.place, p.participant.as_str()))
        .collect()
}

#[tokio::test]
async fn a_draft_is_edited_and_logged_and_a_published_one_is_not() {
    let service = service();
    service
        .create_tournament_with(
            tid(),
            "Cup",
            rules(serde_json::json!({"options": {"format": "single_elimination"}})),
            td(),
        )
        .await
        .unwrap();
    let starts = Utc.with_ymd_and_hms(2026, 12, 24, 19, 0, 0).unwrap();
    let changes = TournamentChanges {
        name: Some("Winter Cup".to_owned()),
        rules: Some(rules(serde_json::json!({"swiss": {"rounds": 4}}))),
        min_entries: Some(4),
        max_entries: Some(Some(16)),
        starts_at: Some(Some(starts)),
    };
    let edited = service
        .edit_tournament(&tid(), changes.clone())
        .await
        .unwrap();
    assert_eq!(edited.tournament.version, 2);
    let t = &edited.tournament.value;
    assert_eq!(t.name, "Winter Cup");
    assert_eq!(t.rules.swiss.as_ref().unwrap().rounds, 4);
    assert_eq!((t.rules.min_entries, t.rules.max_entries), (4, Some(16)));
    assert_eq!(t.starts_at, Some(starts));
    assert_eq!(t.state, TournamentState::Draft);
    assert_eq!(edited.events.len(), 1);
    assert_eq!(edited.events[0].event_type(), EventType::TournamentEdited);
    assert_eq!(
        edited.events[0].data,
        EventData::TournamentEdited {
            tournament: tid(),
            name: "Winter Cup".to_owned(),
            rules: t.rules.clone(),
            starts_at: Some(starts),
        }
    );
    let json = serde_json::to_value(&edited.events[0]).unwrap();
    assert_eq!(json["type"], "tournament.edited");
    assert_eq!(json["data"]["starts_at"], "2026-12-24T19:00:00Z");
    assert_eq!(json["data"]["name"], "Winter Cup");

    // The same edit again changes nothing: no event, no new version.
    let again = service.edit_tournament(&tid(), changes).await.unwrap();
    assert_eq!(again.tournament.version, 2);
    assert!(again.events.is_empty());

    // Clearing the limit and the start time.
    let cleared = service
        .edit_tournament(
            &tid(),
            TournamentChanges {
                max_entries: Some(None),
                starts_at: Some(None),
                ..TournamentChanges::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(cleared.tournament.version, 3);
    assert_eq!(cleared.tournament.value.rules.max_entries, None);
    assert_eq!(cleared.tournament.value.starts_at, None);

    // Rules a tournament cannot be created with are refused, and nothing changes.
    let refused = service
        .edit_tournament(
            &tid(),
            TournamentChanges {
                max_entries: Some(Some(3)),
                ..TournamentChanges::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused,
            Error::Service(ServiceError::EntryLimits { min: 4, max: 3 })
        ),
        "{refused:?}"
    );
    assert_eq!(refused.code(), "entry_limits");
    let refused = service
        .edit_tournament(
            &tid(),
            TournamentChanges {
                rules: Some(rules(serde_json::json!({"swiss": {"rounds": 0}}))),
                ..TournamentChanges::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "no_rounds");
    let refused = service
        .edit_tournament(
            &tid(),
            TournamentChanges {
                rules: Some(rules(
                    serde_json::json!({"options": {"format": "double_elimination"}}),
                )),
                ..TournamentChanges::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "unsupported_format");
    assert_eq!(service.tournament(&tid()).await.unwrap().version, 3);

    // Once published, the lifecycle refuses edits.
    service.publish(&tid()).await.unwrap();
    let refused = service
        .edit_tournament(
            &tid(),
            TournamentChanges {
                name: Some("Late".to_owned()),
                ..TournamentChanges::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        lifecycle_refusal(&refused),
        ("registration".to_owned(), "edit".to_owned())
    );
    assert_eq!(
        service.tournament(&tid()).await.unwrap().value.name,
        "Winter Cup"
    );
}

#[tokio::test]
async fn creating_with_a_maximum_below_the_minimum_is_refused() {
    let service = service();
    let refused = service
        .create_tournament_with(
            tid(),
            "Cup",
            rules(serde_json::json!({"swiss": {"rounds": 3}, "min_entries": 5, "max_entries": 4})),
            td(),
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "entry_limits");
    assert!(service.tournament(&tid()).await.is_err());
}

#[tokio::test]
async fn an_abandoned_knockout_match_sends_nobody_on_and_the_opponent_goes_through() {
    let service = service();
    started(
        &service,
        rules(serde_json::json!({"options": {"format": "single_elimination"}})),
        4,
    )
    .await;
    let t = service.tournament(&tid()).await.unwrap().value;
    let first = mid("MAIN-R1-M1");
    let sides = t.sides(&first);
    let (a, b) = (sides[0].clone().unwrap(), sides[1].clone().unwrap());

    // Entrants may self-report here, but abandoning is the director's.
    let entrant = Principal::new(a.as_str(), false);
    assert_eq!(
        t.may_record(&entrant, &first, &MatchResult::DoubleForfeit {}),
        Err(Refusal::NotDirector)
    );
    assert_eq!(
        t.may_record(&entrant, &first, &MatchResult::win(a.clone())),
        Ok(())
    );
    assert_eq!(
        t.may_record(
            &Principal::new("td", false),
            &first,
            &MatchResult::DoubleForfeit {}
        ),
        Ok(())
    );

    let abandoned = service.abandon_match(&tid(), first).await.unwrap();
    assert_eq!(abandoned.events.len(), 1);
    assert_eq!(
        abandoned.events[0].data,
        EventData::MatchResult {
            owner: athlos_core::event::MatchOwner::Tournament(tid()),
            match_id: first,
            result: MatchResult::DoubleForfeit {},
            round: Some(1),
        }
    );
    let json = serde_json::to_value(&abandoned.events[0]).unwrap();
    assert_eq!(
        json["data"]["result"],
        serde_json::json!({"type": "double_forfeit"})
    );
    let bracket = abandoned.tournament.value.bracket().unwrap().clone();
    let m = bracket.match_by_id(&first).unwrap();
    assert_eq!(m.status, MatchStatus::Walkover);
    assert_eq!(m.winner, None);

    // The same abandonment again changes nothing; a result over it needs a correction.
    let again = service.abandon_match(&tid(), first).await.unwrap();
    assert!(again.events.is_empty());
    let refused = service
        .record_result(&tid(), first, MatchResult::win(a.clone()))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "result_exists");

    let second = mid("MAIN-R1-M2");
    let winner = t.sides(&second)[0].clone().unwrap();
    let loser = t.sides(&second)[1].clone().unwrap();
    service
        .record_result(&tid(), second, MatchResult::win(winner.clone()))
        .await
        .unwrap();
    let advanced = service.advance(&tid()).await.unwrap();
    // The final has the winner of the other semi-final and a bye: it is decided already.
    let bracket = advanced.tournament.value.bracket().unwrap().clone();
    let final_match = bracket.match_by_id(&mid("MAIN-R2-M1")).unwrap();
    assert_eq!(final_match.status, MatchStatus::Bye);
    assert_eq!(final_match.winner, Some(winner.clone()));
    let finished = service.advance(&tid()).await.unwrap();
    assert_eq!(finished.tournament.value.state, TournamentState::Completed);
    let standings = service.standings(&tid()).await.unwrap();
    // The champion; nobody lost the final, so the three who went out in the semi-finals
    // (two of them by the abandonment) share second, in seed order.
    assert_eq!(
        (winner.as_str(), a.as_str(), b.as_str(), loser.as_str()),
        ("p2", "p1", "p4", "p3")
    );
    assert_eq!(
        places(&standings),
        [(1, "p2"), (2, "p1"), (2, "p3"), (2, "p4")]
    );
}

#[tokio::test]
async fn abandoning_is_refused_outside_play_and_for_a_decided_match() {
    let service = service();
    service
        .create_tournament_with(
            tid(),
            "Cup",
            rules(serde_json::json!({"options": {"format": "single_elimination"}})),
            td(),
        )
        .await
        .unwrap();
    service.publish(&tid()).await.unwrap();
    // Before the start: the lifecycle refuses (a result too).
    let refused = service
        .abandon_match(&tid(), mid("MAIN-R1-M1"))
        .await
        .unwrap_err();
    assert_eq!(
        lifecycle_refusal(&refused),
        ("registration".to_owned(), "abandon_match".to_owned())
    );
    let refused = service
        .record_result(&tid(), mid("MAIN-R1-M1"), MatchResult::win(pid("p1")))
        .await
        .unwrap_err();
    assert_eq!(
        lifecycle_refusal(&refused),
        ("registration".to_owned(), "record_result".to_owned())
    );
    for i in 1..=2 {
        let entry = Participant::new(format!("p{i}"), format!("P{i}")).unwrap();
        service.join(&tid(), entry).await.unwrap();
    }
    service.start(&tid()).await.unwrap();
    let final_match = mid("MAIN-R1-M1");
    service
        .record_result(&tid(), final_match, MatchResult::win(pid("p1")))
        .await
        .unwrap();
    let refused = service
        .abandon_match(&tid(), final_match)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "result_exists");
    service.advance(&tid()).await.unwrap();
    let corrected = service
        .write_result(
            &tid(),
            final_match,
            MatchResult::DoubleForfeit {},
            athlos_core::service::ResultWrite::correction(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        lifecycle_refusal(&corrected),
        ("completed".to_owned(), "abandon_match".to_owned())
    );
}

#[tokio::test]
async fn in_a_round_robin_both_sides_of_an_abandoned_match_take_a_loss() {
    let service = service();
    started(
        &service,
        rules(serde_json::json!({"options": {"format": "round_robin"}})),
        4,
    )
    .await;
    let t = service.tournament(&tid()).await.unwrap().value;
    let games: Vec<MatchId> = t
        .bracket()
        .unwrap()
        .matches()
        .iter()
        .filter(|m| m.round == 1)
        .map(|m| m.id)
        .collect();
    assert_eq!(games.len(), 2);
    service.abandon_match(&tid(), games[0]).await.unwrap();
    let sides = t.sides(&games[1]);
    service
        .record_result(
            &tid(),
            games[1],
            MatchResult::win(sides[0].clone().unwrap()),
        )
        .await
        .unwrap();
    let t = service.tournament(&tid()).await.unwrap().value;
    let table = t.bracket().unwrap().standings(1).unwrap();
    let row = |id: &ParticipantId| table.iter().find(|r| r.participant == *id).unwrap();
    for side in t.sides(&games[0]).iter().flatten() {
        let r = row(side);
        assert_eq!(
            (r.played, r.wins, r.draws, r.losses, r.points),
            (1, 0, 0, 1, 0)
        );
    }
    let won = row(sides[0].as_ref().unwrap());
    assert_eq!((won.played, won.wins, won.points), (1, 1, 2));
}

#[tokio::test]
async fn in_a_swiss_an_abandoned_game_is_a_double_forfeit() {
    let service = service();
    started(
        &service,
        rules(serde_json::json!({"swiss": {"rounds": 2}})),
        4,
    )
    .await;
    let t = service.tournament(&tid()).await.unwrap().value;
    let round = t.swiss().unwrap().round(1).unwrap().clone();
    assert_eq!(round.games.len(), 2);
    let (abandoned, played) = (&round.games[0], &round.games[1]);
    let changed = service.abandon_match(&tid(), abandoned.id).await.unwrap();
    let game = changed
        .tournament
        .value
        .swiss()
        .unwrap()
        .round(1)
        .unwrap()
        .games[0]
        .clone();
    assert_eq!(game.status(), MatchStatus::Walkover);
    assert_eq!(game.result, Some(MatchResult::DoubleForfeit {}));
    service
        .record_result(&tid(), played.id, MatchResult::win(played.white.clone()))
        .await
        .unwrap();
    let table = service.swiss_standings(&tid()).await.unwrap();
    let row = |id: &ParticipantId| table.iter().find(|r| r.participant == *id).unwrap();
    for side in abandoned.sides().iter().flatten() {
        let r = row(side);
        assert_eq!(
            (r.points.to_string().as_str(), r.wins, r.draws, r.losses),
            ("0", 0, 0, 1)
        );
    }
    assert_eq!(row(&played.white).points.to_string(), "1");
    // TRF: both sides lose by forfeit ("-"), each against the other.
    let trf = service.export_trf(&tid()).await.unwrap();
    let line = |id: &ParticipantId| {
        let number = t.swiss().unwrap().number(id).unwrap();
        trf.lines()
            .find(|l| l.starts_with("001") && l[4..8].trim() == number.to_string())
            .unwrap()
            .to_owned()
    };
    let white = line(&abandoned.white);
    let black = line(abandoned.black.as_ref().unwrap());
    assert!(white.trim_end().ends_with(" -"), "{white}");
    assert!(black.trim_end().ends_with(" -"), "{black}");
    // The next round is paired as usual.
    let advanced = service.advance(&tid()).await.unwrap();
    assert_eq!(advanced.tournament.value.round, 2);
}

fn team(id: &str, members: &[&str]) -> Team {
    Team {
        id: pid(id),
        name: format!("Team {id}"),
        members: members.iter().map(|m| (*m).to_owned()).collect(),
    }
}

async fn registering(service: &Svc, max_entries: Option<usize>) {
    let mut r = rules(serde_json::json!({"options": {"format": "single_elimination"}}));
    r.max_entries = max_entries;
    service
        .create_tournament_with(tid(), "Cup", r, td())
        .await
        .unwrap();
    service.publish(&tid()).await.unwrap();
}

#[tokio::test]
async fn teams_register_as_entries_with_their_members() {
    let service = service();
    service
        .create_tournament_with(
            tid(),
            "Cup",
            rules(serde_json::json!({"options": {"format": "single_elimination"}})),
            td(),
        )
        .await
        .unwrap();
    // Not before registration opens.
    let refused = service
        .register_team(&tid(), team("dragons", &["ann"]))
        .await
        .unwrap_err();
    assert_eq!(
        lifecycle_refusal(&refused),
        ("draft".to_owned(), "register_team".to_owned())
    );
    service.publish(&tid()).await.unwrap();

    let dragons = team("dragons", &["ann", "bob"]);
    let t = service.tournament(&tid()).await.unwrap().value;
    assert_eq!(
        t.may_register_team(&Principal::new("ann", false), &dragons),
        Ok(())
    );
    assert_eq!(
        t.may_register_team(&Principal::new("td", false), &dragons),
        Ok(())
    );
    assert_eq!(
        t.may_register_team(&Principal::new("root", true), &dragons),
        Ok(())
    );
    assert_eq!(
        t.may_register_team(&Principal::new("eve", false), &dragons),
        Err(Refusal::NotTeamMember)
    );
    let registered = service
        .register_team(&tid(), dragons.clone())
        .await
        .unwrap();
    let t = &registered.tournament.value;
    assert_eq!(t.teams, std::slice::from_ref(&dragons));
    assert_eq!(
        t.entries,
        [Participant::new("dragons", "Team dragons").unwrap()]
    );
    assert!(registered.events.is_empty());
    // The document keeps the teams.
    let json = serde_json::to_value(t).unwrap();
    assert_eq!(
        json["teams"],
        serde_json::json!([{"id": "dragons", "name": "Team dragons", "members": ["ann", "bob"]}])
    );
    assert_eq!(serde_json::from_value::<Tournament>(json).unwrap(), *t);

    // One team per member per tournament; a team id is an entry id.
    let refused = service
        .register_team(&tid(), team("tigers", &["cat", "bob"]))
        .await
        .unwrap_err();
    match &refused {
        Error::Service(ServiceError::OnAnotherTeam { member, team, .. }) => {
            assert_eq!((member.as_str(), team.as_str()), ("bob", "dragons"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(refused.code(), "on_another_team");
    let refused = service
        .register_team(&tid(), team("dragons", &["cat"]))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "already_entered");

    // Teams that break the rules.
    let mut blank = team("tigers", &["cat"]);
    blank.name = "  ".to_owned();
    for (bad, reason) in [
        (
            blank,
            "invalid team: the name must be 1 to 200 bytes and not blank",
        ),
        (
            team("tigers", &[]),
            "invalid team: a team has 1 to 64 members, not 0",
        ),
        (
            team("tigers", &["cat", ""]),
            "invalid team: member 2 must be 1 to 200 bytes and not blank",
        ),
        (
            team("tigers", &["cat", "cat"]),
            "invalid team: \"cat\" is listed twice",
        ),
    ] {
        let refused = service.register_team(&tid(), bad).await.unwrap_err();
        assert_eq!(refused.code(), "invalid_team");
        assert_eq!(refused.to_string(), reason);
    }
    let many: Vec<String> = (0..65).map(|i| format!("m{i}")).collect();
    let refused = service
        .register_team(
            &tid(),
            Team {
                id: pid("crowd"),
                name: "Crowd".to_owned(),
                members: many,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "invalid_team");

    let tigers = team("tigers", &["cat"]);
    service.register_team(&tid(), tigers.clone()).await.unwrap();

    // Unregistering: a member, the director or an admin; an unknown team is refused.
    let t = service.tournament(&tid()).await.unwrap().value;
    assert_eq!(
        t.may_unregister_team(&Principal::new("cat", false), &pid("tigers")),
        Ok(())
    );
    assert_eq!(
        t.may_unregister_team(&Principal::new("ann", false), &pid("tigers")),
        Err(Refusal::NotTeamMember)
    );
    assert_eq!(
        t.may_unregister_team(&Principal::new("ann", false), &pid("ghosts")),
        Err(Refusal::NotTeamMember)
    );
    assert_eq!(
        t.may_unregister_team(&Principal::new("td", false), &pid("ghosts")),
        Ok(())
    );
    let refused = service
        .unregister_team(&tid(), &pid("ghosts"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "unknown_team");
    let left = service
        .unregister_team(&tid(), &pid("tigers"))
        .await
        .unwrap();
    assert_eq!(left.tournament.value.teams, std::slice::from_ref(&dragons));
    assert_eq!(left.tournament.value.entries.len(), 1);
    // Its member may join another team now.
    service
        .register_team(&tid(), team("lions", &["cat", "dan"]))
        .await
        .unwrap();
    // Withdrawing a team's entry during registration takes the team with it.
    let withdrawn = service.withdraw(&tid(), &pid("lions")).await.unwrap();
    assert_eq!(
        withdrawn.tournament.value.teams,
        std::slice::from_ref(&dragons)
    );

    // Once play starts, teams no longer register or leave.
    service.register_team(&tid(), tigers).await.unwrap();
    service.start(&tid()).await.unwrap();
    let refused = service
        .unregister_team(&tid(), &pid("tigers"))
        .await
        .unwrap_err();
    assert_eq!(
        lifecycle_refusal(&refused),
        ("active".to_owned(), "unregister_team".to_owned())
    );
    let refused = service
        .register_team(&tid(), team("late", &["zed"]))
        .await
        .unwrap_err();
    assert_eq!(
        lifecycle_refusal(&refused),
        ("active".to_owned(), "register_team".to_owned())
    );
    let t = service.tournament(&tid()).await.unwrap().value;
    assert_eq!(
        t.sides(&mid("MAIN-R1-M1")),
        [Some(pid("dragons")), Some(pid("tigers"))]
    );
}

#[tokio::test]
async fn a_full_tournament_takes_no_more_teams() {
    let service = service();
    registering(&service, Some(2)).await;
    service
        .register_team(&tid(), team("a", &["x"]))
        .await
        .unwrap();
    service
        .register_team(&tid(), team("b", &["y"]))
        .await
        .unwrap();
    let refused = service
        .register_team(&tid(), team("c", &["z"]))
        .await
        .unwrap_err();
    match refused {
        Error::Lifecycle(LifecycleError::GuardFailed { guard, action, .. }) => {
            assert_eq!(
                (guard, action.as_str()),
                ("entries_below_maximum", "register_team")
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_document_without_teams_or_a_start_time_reads_and_writes_unchanged() {
    // A document as stored before tournaments had teams and a start time.
    let options = serde_json::to_value(BracketOptions::new(Format::SingleElimination)).unwrap();
    let stored = serde_json::json!({
        "id": "old", "name": "Old",
        "rules": {"options": options, "min_entries": 2, "seed": 0},
        "state": "registration",
        "entries": [{"id": "p1", "name": "P1"}],
        "bracket": null, "round": 0, "director": "td",
        "self_reporting": false, "auto_advance": false,
    });
    let t: Tournament = serde_json::from_value(stored.clone()).unwrap();
    assert_eq!(t.starts_at, None);
    assert!(t.teams.is_empty());
    assert_eq!(serde_json::to_value(&t).unwrap(), stored);
}
