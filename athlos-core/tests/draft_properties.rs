//! Random command sequences against a small draft: a refused command changes nothing, an
//! accepted one follows the lifecycle table and keeps every invariant, and the events
//! replay to the live state.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use athlos_core::draft::{
    Command, Draft, DraftConfig, DraftSettings, Player, Position, RosterPosition,
};
use athlos_core::event::Event;
use athlos_core::id::DraftId;
use athlos_core::lifecycle::draft::PickOrder;
use athlos_core::lifecycle::{DraftLifecycle, Lifecycle};
use athlos_core::model::ParticipantId;
use chrono::{Duration, TimeZone, Utc};
use proptest::prelude::*;

const TEAMS: u32 = 3;
const ROUNDS: u32 = 4;

fn settings(order: PickOrder) -> DraftSettings {
    // GK: 1 starter, max 1; FW: 2 starters, max 3; 1 bench place.
    let mut pool = Vec::new();
    for i in 0..4 {
        pool.push(player(&format!("gk{i}"), "GK", 10 + i % 2));
    }
    for i in 0..10 {
        pool.push(player(&format!("fw{i}"), "FW", i / 2));
    }
    DraftSettings::new(DraftConfig {
        id: DraftId::new("prop").unwrap(),
        teams: TEAMS,
        rounds: ROUNDS,
        order,
        seconds_per_pick: 60,
        roster: vec![
            RosterPosition {
                position: Position::new("GK").unwrap(),
                starters: 1,
                max: Some(1),
            },
            RosterPosition {
                position: Position::new("FW").unwrap(),
                starters: 2,
                max: Some(3),
            },
        ],
        pool,
    })
    .unwrap()
}

fn player(id: &str, position: &str, rank: u32) -> Player {
    Player {
        id: ParticipantId::new(id).unwrap(),
        position: Position::new(position).unwrap(),
        rank,
    }
}

fn player_id() -> impl Strategy<Value = ParticipantId> {
    prop_oneof![
        (0..4u32).prop_map(|i| ParticipantId::new(format!("gk{i}")).unwrap()),
        (0..10u32).prop_map(|i| ParticipantId::new(format!("fw{i}")).unwrap()),
        Just(ParticipantId::new("ghost").unwrap()),
    ]
}

/// A command, or a pick for whoever is on the clock when it is applied (random picks
/// rarely name the right pick and team).
#[derive(Debug, Clone)]
enum Step {
    Raw(Command),
    OnTheClock(ParticipantId),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => command().prop_map(Step::Raw),
        1 => player_id().prop_map(Step::OnTheClock),
    ]
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        1 => Just(Command::Start),
        4 => (1..14u32, 0..4u32, player_id())
            .prop_map(|(pick, team, player)| Command::Pick { pick, team, player }),
        3 => (0..12u64).prop_map(|sequence| Command::Timeout { sequence }),
        1 => Just(Command::Pause),
        1 => Just(Command::Resume),
        1 => Just(Command::Undo),
        1 => (0..14u32, 0..14u32).prop_map(|(a, b)| Command::Trade { picks: [a, b] }),
        1 => (0..4u32, prop::collection::vec(player_id(), 0..4))
            .prop_map(|(team, players)| Command::SetQueue { team, players }),
    ]
}

proptest! {
    #[test]
    fn random_commands_keep_the_draft_consistent(
        order in prop::sample::select(vec![PickOrder::Linear, PickOrder::Snake, PickOrder::ThirdRoundReversal]),
        steps in prop::collection::vec((step(), 0..90i64), 0..80),
    ) {
        let settings = settings(order);
        let mut draft = Draft::new(settings.clone());
        let mut now = Utc.with_ymd_and_hms(2026, 11, 29, 20, 0, 0).unwrap();
        let mut log: Vec<Event> = Vec::new();
        for (step, seconds) in steps {
            now += Duration::seconds(seconds);
            let command = match (step, draft.on_the_clock()) {
                (Step::Raw(command), _) => command,
                (Step::OnTheClock(player), Some(on)) => Command::Pick { pick: on.pick, team: on.team, player },
                (Step::OnTheClock(player), None) => Command::Pick { pick: 1, team: 0, player },
            };
            let before = draft.clone();
            match draft.apply(&command, now) {
                Ok(events) => {
                    let step = DraftLifecycle::allowed(before.state());
                    prop_assert!(step.contains(&command.action()));
                    prop_assert_eq!(draft.version(), before.version() + 1);
                    prop_assert!(!events.is_empty());
                    for event in &events {
                        prop_assert_eq!(event.version, draft.version());
                        prop_assert_eq!(event.timestamp, now);
                    }
                    log.extend(events);
                }
                Err(_) => prop_assert_eq!(&draft, &before),
            }
            if let Err(broken) = draft.check_invariants() {
                return Err(TestCaseError::fail(broken));
            }
        }
        let replayed = Draft::replay(settings, &log);
        prop_assert_eq!(replayed.as_ref(), Ok(&draft));
        let document = serde_json::to_string(&draft).unwrap();
        prop_assert_eq!(serde_json::from_str::<Draft>(&document).unwrap(), draft);
    }

    #[test]
    fn timeouts_alone_finish_any_draft(order in prop::sample::select(vec![PickOrder::Linear, PickOrder::Snake, PickOrder::ThirdRoundReversal])) {
        let mut draft = Draft::new(settings(order));
        let now = Utc.with_ymd_and_hms(2026, 11, 29, 20, 0, 0).unwrap();
        draft.apply(&Command::Start, now).unwrap();
        while let Some(deadline) = draft.next_deadline() {
            draft.apply(&Command::Timeout { sequence: deadline.sequence }, deadline.at).unwrap();
        }
        prop_assert_eq!(draft.picks().len(), (TEAMS * ROUNDS) as usize);
        prop_assert!(draft.check_invariants().is_ok());
    }
}
