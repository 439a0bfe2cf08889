//! What a viewer may do with a tournament now (`service::actions_for`): the lifecycle's
//! available actions kept for those who may take them, state by state.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use athlos_core::access::Principal;
use athlos_core::clock::ManualClock;
use athlos_core::id::TournamentId;
use athlos_core::lifecycle::TournamentAction;
use athlos_core::model::{Participant, ParticipantId};
use athlos_core::service::{actions_for, Service};
use athlos_core::store::MemoryStore;
use athlos_core::tournament::{Team, TournamentRules, TournamentSettings};
use chrono::{TimeZone, Utc};

use TournamentAction::*;

type Svc = Service<MemoryStore, ManualClock>;

fn tid() -> TournamentId {
    TournamentId::new("cup").unwrap()
}

async fn actions(service: &Svc, who: Option<&Principal>) -> Vec<TournamentAction> {
    let t = service.tournament(&tid()).await.unwrap().value;
    let mut found = actions_for(&t, who);
    found.sort_by_key(|a| a.to_string());
    found
}

fn sorted(mut wanted: Vec<TournamentAction>) -> Vec<TournamentAction> {
    wanted.sort_by_key(|a| a.to_string());
    wanted
}

#[tokio::test]
async fn each_viewer_gets_the_actions_that_are_theirs_in_each_state() {
    let service = Service::new(
        MemoryStore::new(),
        ManualClock::new(Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap()),
    );
    let rules: TournamentRules = serde_json::from_value(serde_json::json!({
        "options": {"format": "single_elimination"}, "min_entries": 2}))
    .unwrap();
    let settings = TournamentSettings {
        director: Some("td".to_owned()),
        self_reporting: true,
        auto_advance: false,
        board: None,
        withdrawals_close_at_start: false,
    };
    service
        .create_tournament_with(tid(), "Cup", rules, settings)
        .await
        .unwrap();
    let td = Principal::new("td", false);
    let admin = Principal::new("root", true);
    let ann = Principal::new("ann", false);
    let ben = Principal::new("ben", false);
    let eve = Principal::new("eve", false);

    // Nobody signed in may do nothing, in any state.
    assert!(actions(&service, None).await.is_empty());
    // Draft: the director's alone (an administrator directs every tournament).
    let draft = sorted(vec![Publish, Cancel, Delete, Edit]);
    assert_eq!(actions(&service, Some(&td)).await, draft);
    assert_eq!(actions(&service, Some(&admin)).await, draft);
    assert!(actions(&service, Some(&ann)).await.is_empty());

    // Registration: anyone may join or bring a team; an entrant may withdraw; a team's
    // member may unregister it. Start waits for enough entries (its guard).
    service.publish(&tid()).await.unwrap();
    assert_eq!(
        actions(&service, Some(&ann)).await,
        sorted(vec![Join, RegisterTeam])
    );
    assert_eq!(
        actions(&service, Some(&td)).await,
        sorted(vec![Join, RegisterTeam, Cancel, Delete, UnregisterTeam])
    );
    service
        .join(&tid(), Participant::new("ann", "Ann").unwrap())
        .await
        .unwrap();
    assert_eq!(actions(&service, Some(&ann)).await, vec![Withdraw]);
    let team = Team {
        id: ParticipantId::new("rooks").unwrap(),
        name: "Rooks".to_owned(),
        members: vec!["ben".to_owned(), "cai".to_owned()],
    };
    service.register_team(&tid(), team).await.unwrap();
    assert_eq!(actions(&service, Some(&ben)).await, vec![UnregisterTeam]);
    assert!(actions(&service, Some(&td)).await.contains(&Start));

    // Active: results are the director's and, with self-reporting, the entrants'; the round
    // is not complete, so nobody may advance yet.
    service.start(&tid()).await.unwrap();
    assert_eq!(
        actions(&service, Some(&td)).await,
        sorted(vec![RecordResult, AbandonMatch])
    );
    assert_eq!(
        actions(&service, Some(&ann)).await,
        sorted(vec![RecordResult, Withdraw])
    );
    assert!(actions(&service, Some(&eve)).await.is_empty());
}

/// Which matches may end in a draw: every game of a Swiss and the matches of round-robin
/// pools; a knockout match needs a winner (the results form offers "draw" by this).
#[tokio::test]
async fn draws_are_allowed_in_swiss_games_and_pools_only() {
    for (rules, drawn) in [
        (serde_json::json!({"swiss": {"rounds": 3}}), true),
        (
            serde_json::json!({"options": {"format": "round_robin"}}),
            true,
        ),
        (
            serde_json::json!({"options": {"format": "single_elimination"}}),
            false,
        ),
    ] {
        let service = Service::new(
            MemoryStore::new(),
            ManualClock::new(Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap()),
        );
        let rules: TournamentRules = serde_json::from_value(rules.clone()).unwrap();
        let settings = TournamentSettings {
            director: Some("td".to_owned()),
            ..TournamentSettings::default()
        };
        service
            .create_tournament_with(tid(), "Cup", rules, settings)
            .await
            .unwrap();
        service.publish(&tid()).await.unwrap();
        for n in 1..=4 {
            let entry = Participant::new(format!("p{n}"), format!("Player {n}")).unwrap();
            service.join(&tid(), entry).await.unwrap();
        }
        service.start(&tid()).await.unwrap();
        let t = service.tournament(&tid()).await.unwrap().value;
        let ids: Vec<athlos_core::bracket::MatchId> = match (t.swiss(), t.bracket()) {
            (Some(swiss), _) => swiss.rounds[0].games.iter().map(|g| g.id).collect(),
            (None, Some(bracket)) => bracket.matches().iter().map(|m| m.id).collect(),
            (None, None) => panic!("started without play"),
        };
        assert!(!ids.is_empty());
        for id in ids {
            assert_eq!(t.may_be_drawn(&id), drawn, "{id}");
        }
    }
}
