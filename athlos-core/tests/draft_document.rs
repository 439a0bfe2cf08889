//! The JSON shapes of a draft pinned by golden files: the stored document and its event log.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use athlos_core::draft::{
    Command, Draft, DraftConfig, DraftSettings, Player, Position, RosterPosition,
};
use athlos_core::id::DraftId;
use athlos_core::lifecycle::draft::PickOrder;
use athlos_core::model::ParticipantId;
use chrono::{Duration, TimeZone, Utc};
use common::assert_golden;

#[test]
fn draft_document_and_events_are_pinned() {
    let player = |id: &str, position: &str, rank: u32| Player {
        id: ParticipantId::new(id).unwrap(),
        position: Position::new(position).unwrap(),
        rank,
    };
    let settings = DraftSettings::new(DraftConfig {
        id: DraftId::new("office-league").unwrap(),
        teams: 2,
        rounds: 2,
        order: PickOrder::Snake,
        seconds_per_pick: 90,
        roster: vec![
            RosterPosition {
                position: Position::new("QB").unwrap(),
                starters: 1,
                max: Some(1),
            },
            RosterPosition {
                position: Position::new("WR").unwrap(),
                starters: 1,
                max: None,
            },
        ],
        pool: vec![
            player("mahomes", "QB", 1),
            player("allen", "QB", 2),
            player("jefferson", "WR", 3),
            player("chase", "WR", 3),
            player("hill", "WR", 5),
        ],
    })
    .unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 9, 1, 19, 0, 0).unwrap();
    let mut draft = Draft::new(settings.clone());
    let mut log = Vec::new();
    let mut apply = |draft: &mut Draft, command: Command, at| {
        log.extend(draft.apply(&command, at).unwrap());
    };
    apply(
        &mut draft,
        Command::SetQueue {
            team: 1,
            players: vec![ParticipantId::new("hill").unwrap()],
        },
        t0,
    );
    apply(&mut draft, Command::Start, t0);
    apply(
        &mut draft,
        Command::Pick {
            pick: 1,
            team: 0,
            player: ParticipantId::new("chase").unwrap(),
        },
        t0 + Duration::seconds(30),
    );
    let deadline = draft.next_deadline().unwrap();
    apply(
        &mut draft,
        Command::Timeout {
            sequence: deadline.sequence,
        },
        deadline.at,
    );
    apply(
        &mut draft,
        Command::Pause,
        deadline.at + Duration::seconds(10),
    );
    let document = serde_json::to_string_pretty(&draft).unwrap() + "\n";
    assert_golden("draft/paused.json", &document);
    let lines: Vec<String> = log
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    assert_golden("draft/events.ndjson", &(lines.join("\n") + "\n"));
    assert_eq!(serde_json::from_str::<Draft>(&document).unwrap(), draft);
    assert_eq!(Draft::replay(settings, &log).unwrap(), draft);
}
