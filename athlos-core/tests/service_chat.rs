//! A tournament's chat: who may post (entrants, team members, the director, admins), the
//! length and rate limits (decided from the stored messages and the clock), deletion by the
//! director only into a tombstone, its events in the tournament's audience, and the
//! platform naming profile of the streams.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use athlos_core::access::Principal;
use athlos_core::bracket::MatchResult;
use athlos_core::chat::{ChatError, MAX_MESSAGE_CHARS, RATE_LIMIT};
use athlos_core::clock::ManualClock;
use athlos_core::codes::ErrorKind;
use athlos_core::error::Error;
use athlos_core::event::{EventData, EventType};
use athlos_core::id::TournamentId;
use athlos_core::model::Participant;
use athlos_core::profile::{PlatformEvent, PlatformShape};
use athlos_core::service::Service;
use athlos_core::store::{AggregateRef, EventLog, LogFollower, MemoryStore};
use athlos_core::tournament::{Team, TournamentRules, TournamentSettings};
use chrono::{Duration, TimeZone, Utc};

type Svc = Service<MemoryStore, ManualClock>;

fn tid() -> TournamentId {
    TournamentId::new("summer").unwrap()
}

fn who(subject: &str) -> Principal {
    Principal::new(subject, false)
}

fn rules() -> TournamentRules {
    serde_json::from_value(serde_json::json!({
        "options": {"format": "single_elimination"},
        "seed": 3
    }))
    .unwrap()
}

/// A tournament directed by `td` in registration, with entrant `p1` and team `dragons`
/// (members `alice` and `bob`).
async fn service() -> Svc {
    let service = Service::new(
        MemoryStore::new(),
        ManualClock::new(Utc.with_ymd_and_hms(2025, 12, 29, 19, 0, 0).unwrap()),
    );
    let settings = TournamentSettings {
        director: Some("td".to_owned()),
        ..TournamentSettings::default()
    };
    service
        .create_tournament_with(tid(), "Summer Championship", rules(), settings)
        .await
        .unwrap();
    service.publish(&tid()).await.unwrap();
    service
        .join(&tid(), Participant::new("p1", "Player One").unwrap())
        .await
        .unwrap();
    let team = Team {
        id: athlos_core::model::ParticipantId::new("dragons").unwrap(),
        name: "Fierce Dragons".to_owned(),
        members: vec!["alice".to_owned(), "bob".to_owned()],
    };
    service.register_team(&tid(), team).await.unwrap();
    service
}

fn chat_error(error: Error) -> ChatError {
    match error {
        Error::Chat(e) => e,
        other => panic!("expected a chat refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn members_the_director_and_admins_may_post_and_others_may_not() {
    let service = service().await;
    for subject in ["p1", "alice", "bob", "td"] {
        let posted = service
            .post_chat(&tid(), &who(subject), &format!("hello from {subject}"))
            .await
            .unwrap();
        assert_eq!(posted.message.author, subject);
    }
    service
        .post_chat(&tid(), &Principal::new("root", true), "admin here")
        .await
        .unwrap();
    let log_before = service.store().last_sequence().await.unwrap();

    let refused = service
        .post_chat(&tid(), &who("mallory"), "let me in")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "not_tournament_member");
    assert_eq!(refused.kind(), ErrorKind::Forbidden);
    // A team's id is an entry, not a person: it does not make its caller a member.
    let refused = service
        .post_chat(&tid(), &who("dragons-fan"), "hi")
        .await
        .unwrap_err();
    assert_eq!(chat_error(refused), ChatError::NotMember);
    assert_eq!(service.store().last_sequence().await.unwrap(), log_before);
    assert_eq!(service.chat(&tid()).await.unwrap().value.messages.len(), 5);

    let unknown = service
        .post_chat(&TournamentId::new("nope").unwrap(), &who("td"), "hi")
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), "unknown_tournament");
}

#[tokio::test]
async fn messages_are_trimmed_and_limited_in_length() {
    let service = service().await;
    let posted = service
        .post_chat(&tid(), &who("p1"), "  <b>hi</b> & bye \n")
        .await
        .unwrap();
    // Plain text: kept as given (trimmed), never interpreted or rewritten.
    assert_eq!(posted.message.text.as_deref(), Some("<b>hi</b> & bye"));
    assert_eq!(
        posted.events[0].data,
        EventData::ChatPosted {
            tournament: tid(),
            message: 1,
            author: "p1".to_owned(),
            text: "<b>hi</b> & bye".to_owned(),
        }
    );

    for empty in ["", "   ", "\n\t"] {
        let refused = service
            .post_chat(&tid(), &who("p1"), empty)
            .await
            .unwrap_err();
        assert_eq!(refused.code(), "empty_message");
        assert_eq!(refused.kind(), ErrorKind::Invalid);
    }
    let longest = "ж".repeat(MAX_MESSAGE_CHARS);
    service
        .post_chat(&tid(), &who("alice"), &format!(" {longest} "))
        .await
        .unwrap();
    let refused = service
        .post_chat(&tid(), &who("alice"), &format!("{longest}!"))
        .await
        .unwrap_err();
    assert_eq!(
        chat_error(refused),
        ChatError::MessageTooLong {
            length: MAX_MESSAGE_CHARS + 1,
            max: MAX_MESSAGE_CHARS
        }
    );
    assert_eq!(service.chat(&tid()).await.unwrap().value.messages.len(), 2);
}

#[tokio::test]
async fn each_author_posts_at_most_five_messages_per_ten_seconds() {
    let service = service().await;
    let clock = service.clock();
    for i in 0..RATE_LIMIT {
        service
            .post_chat(&tid(), &who("p1"), &format!("m{i}"))
            .await
            .unwrap();
        clock.advance(Duration::seconds(1));
    }
    // 5 s after the first: the first leaves the window at 10 s.
    let refused = service
        .post_chat(&tid(), &who("p1"), "one more")
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::RateLimited);
    assert_eq!(
        chat_error(refused),
        ChatError::RateLimited {
            retry_after: 5,
            limit: 5,
            window: 10
        }
    );
    // Others are not held back by p1.
    service.post_chat(&tid(), &who("bob"), "me").await.unwrap();

    clock.advance(Duration::milliseconds(4_500));
    let refused = service
        .post_chat(&tid(), &who("p1"), "now?")
        .await
        .unwrap_err();
    // Half a second left: rounded up to a whole second.
    assert!(
        matches!(
            chat_error(refused),
            ChatError::RateLimited { retry_after: 1, .. }
        ),
        "the wait is rounded up"
    );
    clock.advance(Duration::milliseconds(500));
    service.post_chat(&tid(), &who("p1"), "now").await.unwrap();
    // The second message leaves the window a second later, not before.
    let refused = service
        .post_chat(&tid(), &who("p1"), "again")
        .await
        .unwrap_err();
    assert!(matches!(
        chat_error(refused),
        ChatError::RateLimited { retry_after: 1, .. }
    ));

    // A deleted message still counts: deleting cannot be used to post faster.
    let chat = service.chat(&tid()).await.unwrap().value;
    let last = chat
        .messages
        .iter()
        .rev()
        .find(|m| m.author == "p1")
        .unwrap();
    service
        .delete_chat_message(&tid(), &who("td"), last.id)
        .await
        .unwrap();
    assert_eq!(
        service
            .post_chat(&tid(), &who("p1"), "again")
            .await
            .unwrap_err()
            .code(),
        "chat_rate_limited"
    );
}

#[tokio::test]
async fn only_the_director_or_an_admin_deletes_and_a_tombstone_stays() {
    let service = service().await;
    service
        .post_chat(&tid(), &who("p1"), "first")
        .await
        .unwrap();
    service
        .post_chat(&tid(), &who("alice"), "rude words")
        .await
        .unwrap();
    let before = service.chat(&tid()).await.unwrap();

    for subject in ["p1", "alice", "mallory"] {
        let refused = service
            .delete_chat_message(&tid(), &who(subject), 2)
            .await
            .unwrap_err();
        assert_eq!(refused.code(), "not_chat_moderator");
        assert_eq!(refused.kind(), ErrorKind::Forbidden);
    }
    assert_eq!(service.chat(&tid()).await.unwrap(), before);

    let deleted = service
        .delete_chat_message(&tid(), &who("td"), 2)
        .await
        .unwrap();
    assert_eq!(deleted.message.id, 2);
    assert_eq!(deleted.message.author, "alice");
    assert_eq!(deleted.message.text, None);
    let deletion = deleted.message.deleted.clone().unwrap();
    assert_eq!(deletion.by, "td");
    assert_eq!(
        deleted.events[0].data,
        EventData::ChatDeleted {
            tournament: tid(),
            message: 2,
            by: "td".to_owned()
        }
    );
    let page = service.chat_page(&tid(), 0, 10).await.unwrap();
    assert_eq!(page.messages.len(), 2);
    assert_eq!(page.messages[0].text.as_deref(), Some("first"));
    assert_eq!(page.messages[1], deleted.message);
    let stored = serde_json::to_string(&service.chat(&tid()).await.unwrap().value).unwrap();
    assert!(!stored.contains("rude words"), "{stored}");

    // Again: nothing changes, nothing is logged.
    let log = service.store().last_sequence().await.unwrap();
    let again = service
        .delete_chat_message(&tid(), &Principal::new("root", true), 2)
        .await
        .unwrap();
    assert!(again.events.is_empty());
    assert_eq!(again.message, deleted.message);
    assert_eq!(service.store().last_sequence().await.unwrap(), log);

    let unknown = service
        .delete_chat_message(&tid(), &who("td"), 99)
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), "unknown_message");
    assert_eq!(unknown.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn chat_events_concern_the_tournament_and_a_closed_chat_takes_no_posts() {
    let service = service().await;
    service
        .post_chat(&tid(), &who("bob"), "gl hf")
        .await
        .unwrap();
    service
        .delete_chat_message(&tid(), &who("td"), 1)
        .await
        .unwrap();
    let mut follower = LogFollower::new(0, 100);
    let page = follower.next_page(service.store()).await.unwrap();
    let chat: Vec<_> = page
        .iter()
        .filter(|e| e.logged.aggregate == AggregateRef::Chat(tid()))
        .collect();
    assert_eq!(chat.len(), 2);
    for addressed in &chat {
        assert!(addressed
            .audience
            .includes(&AggregateRef::Tournament(tid())));
    }
    assert_eq!(chat[0].logged.event.event_type(), EventType::ChatPosted);
    assert_eq!(chat[1].logged.event.event_type(), EventType::ChatDeleted);
    assert_eq!(chat[0].logged.event.id.as_str(), "chat:summer:1:0");
    assert_eq!(chat[1].logged.event.id.as_str(), "chat:summer:2:0");

    service.cancel(&tid()).await.unwrap();
    let closed = service
        .post_chat(&tid(), &who("td"), "anyone?")
        .await
        .unwrap_err();
    assert_eq!(closed.code(), "chat_closed");
    assert_eq!(closed.kind(), ErrorKind::Conflict);
    // Reading stays open.
    assert_eq!(
        service
            .chat_page(&tid(), 0, 10)
            .await
            .unwrap()
            .messages
            .len(),
        1
    );
}

#[tokio::test]
async fn the_platform_profile_names_state_changes_results_rounds_and_chat() {
    // Four entrants, no team: two matches in round 1, the final in round 2.
    let service = Service::new(
        MemoryStore::new(),
        ManualClock::new(Utc.with_ymd_and_hms(2025, 12, 29, 19, 0, 0).unwrap()),
    );
    service
        .create_tournament(tid(), "Summer Championship", rules())
        .await
        .unwrap();
    service.publish(&tid()).await.unwrap();
    for i in 1..=4 {
        service
            .join(
                &tid(),
                Participant::new(format!("p{i}"), format!("P{i}")).unwrap(),
            )
            .await
            .unwrap();
    }
    service.start(&tid()).await.unwrap();
    let first = service.tournament(&tid()).await.unwrap().value;
    let bracket = first.bracket().unwrap();
    let round_one: Vec<_> = bracket
        .matches()
        .iter()
        .filter(|m| m.round == 1)
        .map(|m| (m.id, m.participant(0).cloned().unwrap()))
        .collect();
    for (match_id, winner) in &round_one {
        service
            .record_result(&tid(), *match_id, MatchResult::win(winner.clone()))
            .await
            .unwrap();
    }
    service.advance(&tid()).await.unwrap();
    service.post_chat(&tid(), &who("p1"), "gg").await.unwrap();

    let log = service.store().events_after(0, 1000).await.unwrap();
    let shaped: Vec<serde_json::Value> = log
        .iter()
        .filter_map(|l| PlatformEvent::of(&l.event, l.sequence))
        .map(|p| serde_json::to_value(&p).unwrap())
        .collect();
    let types: Vec<&str> = shaped.iter().map(|v| v["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "state_changed",
            "state_changed",
            "round_advanced",
            "match_result",
            "match_result",
            "round_advanced",
            "chat_message"
        ]
    );
    assert_eq!(shaped[0]["from_state"], "DRAFT");
    assert_eq!(shaped[0]["to_state"], "REGISTRATION");
    assert_eq!(shaped[1]["to_state"], "ACTIVE");
    assert_eq!(shaped[1]["tournament_id"], "summer");
    assert_eq!(shaped[2]["new_round"], 1);
    assert_eq!(shaped[2]["matches_count"], 2);
    assert_eq!(shaped[3]["round"], 1);
    assert_eq!(
        shaped[3]["winner"],
        serde_json::to_value(&round_one[0].1).unwrap()
    );
    assert_eq!(shaped[3]["match_id"], round_one[0].0.to_string());
    assert_eq!(shaped[5]["new_round"], 2);
    assert_eq!(shaped[5]["matches_count"], 1);
    assert_eq!(shaped[6]["text"], "gg");
    assert_eq!(shaped[6]["author"], "p1");
    assert_eq!(shaped[6]["message_id"], 1);
    for value in &shaped {
        assert!(value["sequence"].as_u64().unwrap() > 0);
        assert!(value["timestamp"].is_string());
    }

    // Every platform event is one of the kinds the profile names.
    for l in &log {
        if let Some(p) = PlatformEvent::of(&l.event, l.sequence) {
            assert!(matches!(
                p.shape,
                PlatformShape::StateChanged { .. }
                    | PlatformShape::MatchResult { .. }
                    | PlatformShape::RoundAdvanced { .. }
                    | PlatformShape::ChatMessage { .. }
                    | PlatformShape::ChatMessageDeleted { .. }
            ));
            assert_eq!(
                serde_json::to_value(&p).unwrap()["type"],
                p.name(),
                "the type is the name"
            );
        }
    }
}
