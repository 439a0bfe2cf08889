//! Follows and notifications on the memory store: who gets which notification and nobody
//! else, the read cursor, and the start reminder that fires once.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use athlos_core::access::{Principal, Refusal};
use athlos_core::account::{AccountError, PasswordHash};
use athlos_core::bracket::{MatchId, MatchResult};
use athlos_core::clock::{Clock, ManualClock};
use athlos_core::error::{Error, ServiceError, StoreError};
use athlos_core::event::EventData;
use athlos_core::id::{TournamentId, UserId};
use athlos_core::lifecycle::TournamentState;
use athlos_core::model::{Participant, ParticipantId};
use athlos_core::notify::{Notification, NotificationBody, NotificationKind, TOURNAMENT_STARTING};
use athlos_core::service::{starting_reminder, NewAccount, Service, TournamentChanges};
use athlos_core::store::{Deadline, DeadlineStore, EventLog, MemoryStore, Store};
use athlos_core::tournament::{Team, TournamentRules, TournamentSettings};
use chrono::{DateTime, Duration, TimeZone, Utc};

type Svc = Service<MemoryStore, ManualClock>;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, 18, 0, 0).unwrap()
}

fn service() -> Svc {
    Service::new(MemoryStore::new(), ManualClock::new(t0()))
}

fn tid() -> TournamentId {
    TournamentId::new("cup").unwrap()
}

fn pid(s: &str) -> ParticipantId {
    ParticipantId::new(s).unwrap()
}

fn uid(s: &str) -> UserId {
    UserId::new(s).unwrap()
}

fn who(subject: &str) -> Principal {
    Principal::new(subject, false)
}

fn knockout() -> TournamentRules {
    serde_json::from_value(serde_json::json!({"options": {"format": "single_elimination"}}))
        .unwrap()
}

async fn create(service: &Svc) {
    let settings = TournamentSettings {
        director: Some("td".to_owned()),
        self_reporting: false,
        auto_advance: false,
        board: None,
        withdrawals_close_at_start: false,
    };
    service
        .create_tournament_with(tid(), "Cup", knockout(), settings)
        .await
        .unwrap();
}

/// Cup, a knockout of four entries: alice, bob and erin entered themselves, team t1 is
/// carol and dave. fred follows it from the start.
async fn field(service: &Svc) {
    create(service).await;
    service.follow(&who("fred"), &tid()).await.unwrap();
    service.publish(&tid()).await.unwrap();
    for name in ["alice", "bob", "erin"] {
        service
            .join(&tid(), Participant::new(name, name.to_uppercase()).unwrap())
            .await
            .unwrap();
    }
    let team = Team {
        id: pid("t1"),
        name: "Dragons".to_owned(),
        members: vec!["carol".to_owned(), "dave".to_owned()],
    };
    service.register_team(&tid(), team).await.unwrap();
}

async fn all(service: &Svc, user: &str) -> Vec<Notification> {
    service
        .notifications(&who(user), &uid(user), 0, 500)
        .await
        .unwrap()
        .unwrap()
        .notifications
}

fn kinds(notifications: &[Notification]) -> Vec<NotificationKind> {
    notifications.iter().map(|n| n.body.kind()).collect()
}

/// The round-1 match of `entry` and its opponent.
async fn pairing_of(service: &Svc, entry: &str) -> (MatchId, ParticipantId) {
    let t = service.tournament(&tid()).await.unwrap().value;
    let bracket = t.bracket().unwrap();
    for m in bracket.matches().iter().filter(|m| m.round == 1) {
        let sides = t.sides(&m.id);
        if sides[0].as_ref() == Some(&pid(entry)) {
            return (m.id, sides[1].clone().unwrap());
        }
        if sides[1].as_ref() == Some(&pid(entry)) {
            return (m.id, sides[0].clone().unwrap());
        }
    }
    panic!("{entry} plays no match in round 1");
}

#[tokio::test]
async fn entrants_team_members_and_followers_get_theirs_and_nobody_else_anything() {
    let service = service();
    field(&service).await;
    service.start(&tid()).await.unwrap();

    // match_ready: to alice with her opponent, to each member of t1 for the team.
    let (alice_match, alice_opponent) = pairing_of(&service, "alice").await;
    let alice = all(&service, "alice").await;
    assert_eq!(kinds(&alice), [NotificationKind::MatchReady]);
    match &alice[0].body {
        NotificationBody::MatchReady {
            match_id,
            entry,
            opponent,
            opponent_name,
            round,
        } => {
            assert_eq!(*match_id, alice_match);
            assert_eq!(entry, &pid("alice"));
            assert_eq!(opponent, &alice_opponent);
            assert_eq!(*round, 1);
            let expected = if alice_opponent == pid("t1") {
                "Dragons".to_owned()
            } else {
                alice_opponent.as_str().to_uppercase()
            };
            assert_eq!(opponent_name, &expected);
        }
        other => panic!("not match_ready: {other:?}"),
    }
    assert_eq!(alice[0].tournament, tid());
    assert!(!alice[0].read);
    let (team_match, _) = pairing_of(&service, "t1").await;
    for member in ["carol", "dave"] {
        let got = all(&service, member).await;
        assert_eq!(kinds(&got), [NotificationKind::MatchReady], "{member}");
        assert!(matches!(
            &got[0].body,
            NotificationBody::MatchReady { entry, match_id, .. } if *entry == pid("t1") && *match_id == team_match
        ));
    }
    // The follower hears of the state changes only; a stranger and the director of nothing.
    let fred = all(&service, "fred").await;
    assert_eq!(
        fred.iter().map(|n| n.body.clone()).collect::<Vec<_>>(),
        [
            NotificationBody::StateChanged {
                from: TournamentState::Draft,
                to: TournamentState::Registration
            },
            NotificationBody::StateChanged {
                from: TournamentState::Registration,
                to: TournamentState::Active
            },
        ]
    );
    assert!(all(&service, "gina").await.is_empty());
    assert!(all(&service, "td").await.is_empty());

    // A result: to both sides' users and the follower, not to the other match's entrants.
    service
        .record_result(
            &tid(),
            alice_match,
            MatchResult::win(alice_opponent.clone()),
        )
        .await
        .unwrap();
    let alice = all(&service, "alice").await;
    assert_eq!(
        kinds(&alice),
        [
            NotificationKind::MatchReady,
            NotificationKind::ResultRecorded
        ]
    );
    assert!(matches!(
        &alice[1].body,
        NotificationBody::ResultRecorded { entry: Some(e), corrected: false, .. } if *e == pid("alice")
    ));
    assert!(matches!(
        &all(&service, "fred").await[2].body,
        NotificationBody::ResultRecorded { entry: None, .. }
    ));
    let others: Vec<&str> = ["bob", "erin", "carol", "dave"]
        .into_iter()
        .filter(|u| {
            let entry = if *u == "carol" || *u == "dave" {
                pid("t1")
            } else {
                pid(u)
            };
            entry != alice_opponent
        })
        .collect();
    for other in others {
        assert_eq!(
            kinds(&all(&service, other).await),
            [NotificationKind::MatchReady],
            "{other}"
        );
    }

    // Play it out: everyone entered learns their place, the follower the winners.
    let t = service.tournament(&tid()).await.unwrap().value;
    let (other_match, _) = pairing_of(
        &service,
        if alice_opponent == pid("bob") {
            "erin"
        } else {
            "bob"
        },
    )
    .await;
    let [a, _] = t.sides(&other_match);
    service
        .record_result(&tid(), other_match, MatchResult::win(a.unwrap()))
        .await
        .unwrap();
    service.advance(&tid()).await.unwrap();
    let t = service.tournament(&tid()).await.unwrap().value;
    let final_match = t
        .bracket()
        .unwrap()
        .matches()
        .iter()
        .find(|m| m.round == 2)
        .unwrap()
        .id;
    let [winner, _] = t.sides(&final_match);
    let winner = winner.unwrap();
    service
        .record_result(&tid(), final_match, MatchResult::win(winner.clone()))
        .await
        .unwrap();
    service.advance(&tid()).await.unwrap();
    let placements = service.standings(&tid()).await.unwrap();
    for (user, entry) in [
        ("alice", "alice"),
        ("bob", "bob"),
        ("erin", "erin"),
        ("carol", "t1"),
        ("dave", "t1"),
    ] {
        let got = all(&service, user).await;
        let last = got.last().unwrap();
        let place = placements
            .iter()
            .find(|p| p.participant == pid(entry))
            .unwrap()
            .place;
        assert_eq!(
            last.body,
            NotificationBody::TournamentFinished {
                entry: Some(pid(entry)),
                place: Some(place),
                winners: vec![winner.clone()],
            },
            "{user}"
        );
    }
    let fred = all(&service, "fred").await;
    assert!(fred.iter().any(|n| matches!(
        &n.body,
        NotificationBody::TournamentFinished { entry: None, place: None, winners } if *winners == vec![winner.clone()]
    )));
    assert!(fred.iter().any(|n| n.body
        == NotificationBody::StateChanged {
            from: TournamentState::Active,
            to: TournamentState::Completed
        }));
    assert!(all(&service, "gina").await.is_empty());
    // Ids are log positions: strictly increasing.
    assert!(fred.windows(2).all(|w| w[0].id < w[1].id));
}

#[tokio::test]
async fn a_follower_hears_only_what_happened_while_following() {
    let service = service();
    field(&service).await;
    // hank follows after publishing: he missed it.
    service.follow(&who("hank"), &tid()).await.unwrap();
    // Following twice changes nothing; fred unfollows before the start.
    let again = service.follow(&who("hank"), &tid()).await.unwrap();
    assert!(again.events.is_empty());
    let gone = service.unfollow(&who("fred"), &tid()).await.unwrap();
    assert_eq!(gone.events.len(), 1);
    assert!(service
        .unfollow(&who("fred"), &tid())
        .await
        .unwrap()
        .events
        .is_empty());
    service.start(&tid()).await.unwrap();
    let started = NotificationBody::StateChanged {
        from: TournamentState::Registration,
        to: TournamentState::Active,
    };
    let hank = all(&service, "hank").await;
    assert_eq!(hank.iter().map(|n| &n.body).collect::<Vec<_>>(), [&started]);
    let fred = all(&service, "fred").await;
    assert_eq!(fred.len(), 1, "only the publication: {fred:?}");
    // The followers are the director's to see.
    let t = service.tournament(&tid()).await.unwrap().value;
    assert_eq!(t.followers, ["hank"]);
    assert_eq!(
        service.followers(&who("td"), &tid()).await.unwrap(),
        Ok(vec!["hank".to_owned()])
    );
    assert_eq!(
        service.followers(&who("hank"), &tid()).await.unwrap(),
        Err(Refusal::NotDirector)
    );
    // What each follows.
    let followed = |who: &'static str| {
        let service = &service;
        async move {
            service
                .followed_by(who)
                .await
                .unwrap()
                .into_iter()
                .map(|t| t.id.to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(followed("hank").await, [tid().to_string()]);
    assert!(followed("fred").await.is_empty());
    assert!(
        followed("han").await.is_empty(),
        "a prefix is not a follower"
    );
    // Following an unknown tournament is refused.
    let unknown = TournamentId::new("nope").unwrap();
    assert!(matches!(
        service.follow(&who("hank"), &unknown).await,
        Err(Error::Service(ServiceError::UnknownTournament { .. }))
    ));
}

#[tokio::test]
async fn the_read_cursor_moves_forward_for_the_holder_only() {
    let service = service();
    for (id, name) in [("fred", "Fred"), ("gina", "Gina")] {
        service
            .create_account(NewAccount {
                id: uid(id),
                username: name.to_owned(),
                display_name: name.to_owned(),
                password_hash: PasswordHash::new("$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA")
                    .unwrap(),
            })
            .await
            .unwrap();
    }
    field(&service).await;
    service.start(&tid()).await.unwrap();
    let fred = all(&service, "fred").await;
    assert_eq!(fred.len(), 2);
    let first = fred[0].id;

    // Paging: after the first, one at a time.
    let page = service
        .notifications(&who("fred"), &uid("fred"), first, 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(page.notifications.len(), 1);
    assert_eq!(page.notifications[0].id, fred[1].id);
    // The page reaches the end of the log (the later events gave fred nothing).
    assert_eq!(
        page.position,
        service.store().last_sequence().await.unwrap()
    );
    let limited = service
        .notifications(&who("fred"), &uid("fred"), 0, 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(limited.notifications, fred[..1]);
    assert!(limited.position < fred[1].id);

    // Mark the first read; marking an older id leaves the cursor where it is.
    let cursor = service
        .mark_notifications_read(&who("fred"), &uid("fred"), first)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cursor, first);
    let back = service
        .mark_notifications_read(&who("fred"), &uid("fred"), 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back, first);
    let fred = all(&service, "fred").await;
    assert_eq!(
        fred.iter().map(|n| n.read).collect::<Vec<_>>(),
        [true, false]
    );

    // Another user may neither read nor mark; an administrator may.
    assert_eq!(
        service
            .notifications(&who("gina"), &uid("fred"), 0, 10)
            .await
            .unwrap(),
        Err(Refusal::NotAccountHolder)
    );
    assert_eq!(
        service
            .mark_notifications_read(&who("gina"), &uid("fred"), 99)
            .await
            .unwrap(),
        Err(Refusal::NotAccountHolder)
    );
    let admin = Principal::new("root", true);
    let seen = service
        .notifications(&admin, &uid("fred"), 0, 10)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seen.read_up_to, first);
    // Marking needs an account.
    assert!(matches!(
        service
            .mark_notifications_read(&who("alice"), &uid("alice"), 1)
            .await,
        Err(Error::Account(AccountError::UnknownUser { .. }))
    ));
}

#[tokio::test]
async fn the_start_reminder_fires_once_to_entrants_and_followers() {
    let service = service();
    create(&service).await;
    service.follow(&who("fred"), &tid()).await.unwrap();
    let starts = t0() + Duration::hours(2);
    service
        .edit_tournament(
            &tid(),
            TournamentChanges {
                starts_at: Some(Some(starts)),
                ..TournamentChanges::default()
            },
        )
        .await
        .unwrap();
    let key = starting_reminder(&tid());
    assert_eq!(key.purpose, TOURNAMENT_STARTING);
    let armed = service.store().deadline(&key).await.unwrap().unwrap();
    assert_eq!(armed.due, starts - Duration::minutes(15));
    service.publish(&tid()).await.unwrap();
    service
        .join(&tid(), Participant::new("alice", "Alice").unwrap())
        .await
        .unwrap();
    // Re-armed by every change, with the tournament's version.
    let armed = service.store().deadline(&key).await.unwrap().unwrap();
    assert_eq!(
        armed.sequence,
        service.tournament(&tid()).await.unwrap().version
    );
    assert!(service
        .store()
        .due_deadlines(service.clock().now(), 10)
        .await
        .unwrap()
        .is_empty());

    service.clock().advance(Duration::minutes(106));
    let due = service
        .store()
        .due_deadlines(service.clock().now(), 10)
        .await
        .unwrap();
    assert_eq!(due, std::slice::from_ref(&armed));
    fire(&service, &armed).await.unwrap();
    // Fired once: the deadline is gone, a second firing of the same claim is fenced out,
    // and later changes do not arm it again.
    assert!(matches!(
        fire(&service, &armed).await,
        Err(StoreError::DeadlineMoved { .. })
    ));
    assert!(service
        .tournament_starting_commit(&armed)
        .await
        .unwrap()
        .writes
        .is_empty());
    service
        .join(&tid(), Participant::new("bob", "Bob").unwrap())
        .await
        .unwrap();
    assert_eq!(service.store().deadline(&key).await.unwrap(), None);

    let expected = NotificationBody::TournamentStarting {
        name: "Cup".to_owned(),
        starts_at: starts,
        starts_in_minutes: 14,
    };
    for user in ["alice", "fred", "bob"] {
        let got = all(&service, user).await;
        let starting: Vec<_> = got
            .iter()
            .filter(|n| n.body.kind() == NotificationKind::TournamentStarting)
            .collect();
        assert_eq!(starting.len(), 1, "{user}: {got:?}");
        assert_eq!(starting[0].body, expected);
    }
    assert!(all(&service, "gina").await.is_empty());
    let log = service.store().events_after(0, 100).await.unwrap();
    assert_eq!(
        log.iter()
            .filter(|l| matches!(l.event.data, EventData::TournamentStarting { .. }))
            .count(),
        1
    );

    // Starting clears a reminder still armed; cancelling too.
    service.start(&tid()).await.unwrap();
    assert_eq!(service.store().deadline(&key).await.unwrap(), None);
}

/// Fires `deadline` as the scheduler does: its effect committed with it fenced.
async fn fire(service: &Svc, deadline: &Deadline) -> Result<(), StoreError> {
    let mut commit = service.tournament_starting_commit(deadline).await.unwrap();
    commit.fired_deadlines.push(deadline.clone());
    service.store().commit(commit).await.map(|_| ())
}

#[tokio::test]
async fn cancelling_clears_the_reminder() {
    let service = service();
    create(&service).await;
    service
        .edit_tournament(
            &tid(),
            TournamentChanges {
                starts_at: Some(Some(t0() + Duration::days(1))),
                ..TournamentChanges::default()
            },
        )
        .await
        .unwrap();
    let key = starting_reminder(&tid());
    assert!(service.store().deadline(&key).await.unwrap().is_some());
    service.publish(&tid()).await.unwrap();
    service.cancel(&tid()).await.unwrap();
    assert_eq!(service.store().deadline(&key).await.unwrap(), None);
}
