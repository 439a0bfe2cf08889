//! Simulated drafts with a manual clock: 12 teams, 15 rounds, random manual picks,
//! timeouts fired by a scheduler, pauses, undos, trades, queues, races between a manual
//! pick and a timeout, and commands that must be refused.
//!
//! Every draft must complete with legal rosters and no player picked twice, and its event
//! log must replay to the live state. The test command runs `ATHLOS_DRAFT_SIMULATIONS`
//! drafts (default 100); `ATHLOS_DRAFT_SIMULATIONS=1000` runs the full set. Throughput is
//! measured by `cargo run --release -p athlos-examples --example draft`, not here.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use athlos_core::clock::{Clock, ManualClock};
use athlos_core::draft::{
    Command, Draft, DraftConfig, DraftSettings, Player, Position, RosterPosition,
};
use athlos_core::error::DraftError;
use athlos_core::event::Event;
use athlos_core::id::DraftId;
use athlos_core::lifecycle::draft::PickOrder;
use athlos_core::lifecycle::DraftState;
use athlos_core::model::ParticipantId;
use chrono::{Duration, TimeZone, Utc};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

const TEAMS: u32 = 12;
const ROUNDS: u32 = 15;
/// (position, starters, max, players in the pool): 8 starters, 7 bench places.
const ROSTER: [(&str, u32, u32, u32); 6] = [
    ("QB", 1, 3, 40),
    ("RB", 2, 6, 80),
    ("WR", 2, 7, 96),
    ("TE", 1, 3, 40),
    ("K", 1, 1, 16),
    ("DEF", 1, 1, 16),
];

fn below(rng: &mut ChaCha8Rng, n: u64) -> u64 {
    rng.next_u64() % n.max(1)
}

/// A random span shorter than `left` (which is positive while a clock runs).
fn within(rng: &mut ChaCha8Rng, left: Duration) -> Duration {
    Duration::milliseconds(below(rng, left.num_milliseconds().max(1) as u64) as i64)
}

fn settings(seed: u64, rng: &mut ChaCha8Rng) -> DraftSettings {
    let mut pool = Vec::new();
    for (position, _, _, players) in ROSTER {
        for i in 0..players {
            pool.push(Player {
                id: ParticipantId::new(format!("{position}-{i}")).unwrap(),
                position: Position::new(position).unwrap(),
                // Ranks collide on purpose: ties are broken by id.
                rank: below(rng, 250) as u32,
            });
        }
    }
    let order = [
        PickOrder::Linear,
        PickOrder::Snake,
        PickOrder::ThirdRoundReversal,
    ][below(rng, 3) as usize];
    DraftSettings::new(DraftConfig {
        id: DraftId::new(format!("sim-{seed}")).unwrap(),
        teams: TEAMS,
        rounds: ROUNDS,
        order,
        seconds_per_pick: 30,
        roster: ROSTER
            .iter()
            .map(|&(position, starters, max, _)| RosterPosition {
                position: Position::new(position).unwrap(),
                starters,
                max: Some(max),
            })
            .collect(),
        pool,
    })
    .unwrap()
}

/// What one draft did.
#[derive(Debug, Default)]
struct Outcome {
    manual: usize,
    auto: usize,
    races: usize,
    refused: usize,
}

/// Applies a command that must be refused, and checks that nothing changed.
fn expect_refused(draft: &mut Draft, command: &Command, clock: &ManualClock) -> DraftError {
    let before = draft.clone();
    let error = draft
        .apply(command, clock.now())
        .expect_err("command should be refused");
    assert_eq!(*draft, before, "a refused {command:?} changed the draft");
    error
}

fn run_draft(seed: u64) -> Outcome {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let settings = settings(seed, &mut rng);
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 29, 20, 0, 0).unwrap());
    let mut draft = Draft::new(settings.clone());
    let mut log: Vec<Event> = Vec::new();
    let mut outcome = Outcome::default();
    let mut undos = 0;
    let mut apply = |draft: &mut Draft, command: Command, clock: &ManualClock| {
        let events = draft.apply(&command, clock.now());
        if let Ok(events) = &events {
            log.extend(events.iter().cloned());
        }
        events.map(|_| ())
    };

    // A few trades before the start; the ones between picks of one team are refused.
    for _ in 0..below(&mut rng, 4) {
        let total = u64::from(settings.total_picks());
        let picks = [
            below(&mut rng, total) as u32 + 1,
            below(&mut rng, total) as u32 + 1,
        ];
        if apply(&mut draft, Command::Trade { picks }, &clock).is_err() {
            outcome.refused += 1;
        }
    }
    apply(&mut draft, Command::Start, &clock).unwrap();

    while draft.state() != DraftState::Completed {
        if draft.state() == DraftState::Paused {
            clock.advance(Duration::seconds(below(&mut rng, 600) as i64));
            apply(&mut draft, Command::Resume, &clock).unwrap();
            continue;
        }
        let on = draft.on_the_clock().unwrap();
        let deadline = draft.next_deadline().unwrap();
        match below(&mut rng, 100) {
            // A manual pick within the clock: a random player among the first fitting ones.
            0..=54 => {
                clock.advance(within(&mut rng, deadline.at - clock.now()));
                let choices: Vec<&ParticipantId> = settings
                    .pool()
                    .iter()
                    .map(|p| &p.id)
                    .filter(|id| draft.fits(on.team, id))
                    .collect();
                let player = choices[below(&mut rng, choices.len().min(20) as u64) as usize];
                apply(
                    &mut draft,
                    Command::Pick {
                        pick: on.pick,
                        team: on.team,
                        player: player.clone(),
                    },
                    &clock,
                )
                .unwrap();
                outcome.manual += 1;
            }
            // The manager is away: the scheduler fires the timeout at the deadline.
            55..=79 => {
                clock.set(deadline.at);
                apply(
                    &mut draft,
                    Command::Timeout {
                        sequence: deadline.sequence,
                    },
                    &clock,
                )
                .unwrap();
                outcome.auto += 1;
            }
            // A manual pick and the timeout arrive together: exactly one wins.
            80..=84 => {
                clock.set(deadline.at);
                let player = draft.autopick_choice().unwrap();
                let manual = Command::Pick {
                    pick: on.pick,
                    team: on.team,
                    player,
                };
                let timeout = Command::Timeout {
                    sequence: deadline.sequence,
                };
                let (first, second) = if below(&mut rng, 2) == 0 {
                    (manual, timeout)
                } else {
                    (timeout, manual)
                };
                let picks_before = draft.picks().len();
                apply(&mut draft, first, &clock).unwrap();
                if draft.state() != DraftState::Completed {
                    expect_refused(&mut draft, &second, &clock);
                }
                assert_eq!(draft.picks().len(), picks_before + 1);
                outcome.races += 1;
            }
            85..=87 => {
                clock.advance(within(&mut rng, deadline.at - clock.now()));
                apply(&mut draft, Command::Pause, &clock).unwrap();
            }
            88..=89 if undos < 5 && !draft.picks().is_empty() => {
                apply(&mut draft, Command::Undo, &clock).unwrap();
                undos += 1;
            }
            90..=93 => {
                let team = below(&mut rng, u64::from(TEAMS)) as u32;
                let mut players = Vec::new();
                for _ in 0..below(&mut rng, 6) {
                    let p =
                        &settings.pool()[below(&mut rng, settings.pool().len() as u64) as usize];
                    if !players.contains(&p.id) {
                        players.push(p.id.clone());
                    }
                }
                apply(&mut draft, Command::SetQueue { team, players }, &clock).unwrap();
            }
            94..=95 => {
                let total = u64::from(settings.total_picks());
                let picks = [
                    below(&mut rng, total) as u32 + 1,
                    below(&mut rng, total) as u32 + 1,
                ];
                if apply(&mut draft, Command::Trade { picks }, &clock).is_err() {
                    outcome.refused += 1;
                }
            }
            // Commands that must be refused and change nothing.
            _ => {
                let early = Command::Timeout {
                    sequence: deadline.sequence,
                };
                assert!(matches!(
                    expect_refused(&mut draft, &early, &clock),
                    DraftError::NotDue { .. }
                ));
                let stale = Command::Timeout {
                    sequence: deadline.sequence.wrapping_sub(1),
                };
                expect_refused(&mut draft, &stale, &clock);
                let intruder = Command::Pick {
                    pick: on.pick,
                    team: (on.team + 1) % TEAMS,
                    player: draft.autopick_choice().unwrap(),
                };
                expect_refused(&mut draft, &intruder, &clock);
                expect_refused(&mut draft, &Command::Start, &clock);
                expect_refused(&mut draft, &Command::Resume, &clock);
                outcome.refused += 5;
            }
        }
    }

    // Every roster legal, no player twice.
    draft.check_invariants().unwrap();
    let mut everyone = BTreeSet::new();
    for team in 0..TEAMS {
        let roster = draft.roster(team);
        assert_eq!(roster.len(), ROUNDS as usize, "team {team}");
        for (position, starters, max, _) in ROSTER {
            let held = roster
                .iter()
                .filter(|id| settings.player(id).unwrap().position.as_str() == position)
                .count() as u32;
            assert!(
                (starters..=max).contains(&held),
                "draft {seed} team {team}: {held} {position}"
            );
        }
        for id in roster {
            assert!(everyone.insert(id), "draft {seed}: a player picked twice");
        }
    }
    assert_eq!(everyone.len(), (TEAMS * ROUNDS) as usize);
    assert_eq!(draft.next_deadline(), None);
    // Versions run 1, 2, 3… with no gap, and the log replays to the live state.
    let mut versions: Vec<u64> = log.iter().map(|e| e.version).collect();
    versions.dedup();
    assert_eq!(versions, (1..=draft.version()).collect::<Vec<u64>>());
    assert_eq!(Draft::replay(settings, &log).unwrap(), draft);
    outcome
}

#[test]
fn simulated_drafts_complete_with_legal_rosters_and_replay() {
    let drafts: u64 = std::env::var("ATHLOS_DRAFT_SIMULATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100);
    let mut total = Outcome::default();
    for seed in 0..drafts {
        let outcome = run_draft(seed);
        total.manual += outcome.manual;
        total.auto += outcome.auto;
        total.races += outcome.races;
        total.refused += outcome.refused;
    }
    // Every path was exercised.
    assert!(total.manual > 0 && total.auto > 0 && total.races > 0 && total.refused > 0);
    println!("{drafts} drafts: {total:?}");
}

#[test]
fn the_same_seed_gives_the_same_draft() {
    let log = |seed| {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let settings = settings(seed, &mut rng);
        let mut draft = Draft::new(settings);
        let t0 = Utc.with_ymd_and_hms(2026, 11, 29, 20, 0, 0).unwrap();
        let mut lines = Vec::new();
        let mut now = t0;
        for event in draft.apply(&Command::Start, now).unwrap() {
            lines.push(serde_json::to_string(&event).unwrap());
        }
        while let Some(deadline) = draft.next_deadline() {
            now = deadline.at;
            let command = Command::Timeout {
                sequence: deadline.sequence,
            };
            for event in draft.apply(&command, now).unwrap() {
                lines.push(serde_json::to_string(&event).unwrap());
            }
        }
        lines
    };
    let first = log(7);
    assert_eq!(first.len(), 2 + (TEAMS * ROUNDS) as usize);
    assert_eq!(first, log(7));
    assert_ne!(first, log(8));
}
