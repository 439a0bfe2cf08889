use chrono::{Duration, TimeZone};

use super::*;
use crate::id::DraftId;
use crate::lifecycle::draft::PickOrder;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 20, 0, 0).unwrap()
}

fn id(text: &str) -> ParticipantId {
    ParticipantId::new(text).unwrap()
}

fn pos(name: &str) -> Position {
    Position::new(name).unwrap()
}

/// Two positions: GK (1 starter, max 1) and FW (1 starter, default max), `teams` teams,
/// `rounds` rounds, enough players of each; ranks follow the number in the id.
fn config(teams: u32, rounds: u32) -> DraftConfig {
    let mut pool = Vec::new();
    for i in 0..teams {
        pool.push(Player {
            id: id(&format!("gk{i:02}")),
            position: pos("GK"),
            rank: 100 + i,
        });
    }
    for i in 0..teams * rounds * 2 + 10 {
        pool.push(Player {
            id: id(&format!("fw{i:02}")),
            position: pos("FW"),
            rank: i,
        });
    }
    DraftConfig {
        id: DraftId::new("league").unwrap(),
        teams,
        rounds,
        order: PickOrder::Snake,
        seconds_per_pick: 60,
        roster: vec![
            RosterPosition {
                position: pos("GK"),
                starters: 1,
                max: Some(1),
            },
            RosterPosition {
                position: pos("FW"),
                starters: 1,
                max: None,
            },
        ],
        pool,
    }
}

fn draft(teams: u32, rounds: u32) -> Draft {
    Draft::new(DraftSettings::new(config(teams, rounds)).unwrap())
}

fn started(teams: u32, rounds: u32) -> Draft {
    let mut d = draft(teams, rounds);
    d.apply(&Command::Start, t0()).unwrap();
    d
}

fn pick(d: &mut Draft, player: &str, now: DateTime<Utc>) -> Result<Vec<Event>, DraftError> {
    let on = d.on_the_clock().unwrap();
    d.apply(
        &Command::Pick {
            pick: on.pick,
            team: on.team,
            player: id(player),
        },
        now,
    )
}

fn types(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(|e| e.event_type().as_str()).collect()
}

/// Applies `command` expecting a refusal, and checks that nothing changed.
fn refused(d: &mut Draft, command: Command, now: DateTime<Utc>) -> DraftError {
    let before = d.clone();
    let error = d.apply(&command, now).unwrap_err();
    assert_eq!(*d, before, "{command:?} changed the draft");
    error
}

#[test]
fn settings_are_checked_on_construction() {
    let check = |change: &dyn Fn(&mut DraftConfig), expected: &str| {
        let mut c = config(2, 3);
        change(&mut c);
        let error = DraftSettings::new(c).unwrap_err();
        assert!(error.to_string().contains(expected), "{error}");
    };
    check(&|c| c.teams = 0, "1 to 1000 teams, got 0");
    check(&|c| c.rounds = 101, "1 to 100 rounds, got 101");
    check(&|c| c.seconds_per_pick = 0, "at least 1 second");
    check(&|c| c.roster.clear(), "names no position");
    check(&|c| c.roster[1].position = pos("GK"), "GK is listed twice");
    check(
        &|c| c.roster[1].starters = 3,
        "4 starters but the draft only 3 rounds",
    );
    check(
        &|c| c.roster[1].max = Some(0),
        "FW allows at most 0 players but needs 1 starters",
    );
    check(
        &|c| c.roster[1].max = Some(1),
        "the position maximums allow 2 players, fewer than the 3 rounds",
    );
    check(
        &|c| c.pool[1].id = id("gk00"),
        "player \"gk00\" is in the pool twice",
    );
    check(
        &|c| c.pool[0].position = pos("DF"),
        "plays DF, which the roster does not name",
    );
    check(
        &|c| c.roster[0].max = Some(2),
        "position GK has 2 players; 4 are needed",
    );
    check(
        &|c| c.id = DraftId::new("x".repeat(180)).unwrap(),
        "is too long",
    );
    assert!(Position::new("Q B").is_err());
    assert!(Position::new("").is_err());
}

#[test]
fn settings_round_trip_through_json_and_refuse_unknown_fields() {
    let settings = DraftSettings::new(config(2, 3)).unwrap();
    let text = serde_json::to_string(&settings).unwrap();
    let back: DraftSettings = serde_json::from_str(&text).unwrap();
    assert_eq!(back, settings);
    let extra = text.replacen("{", "{\"colour\":1,", 1);
    assert!(serde_json::from_str::<DraftSettings>(&extra).is_err());
    let bad = text.replace("\"teams\":2", "\"teams\":0");
    assert!(serde_json::from_str::<DraftSettings>(&bad).is_err());
}

#[test]
fn orders_come_from_the_lifecycle_pick_order() {
    for order in [
        PickOrder::Linear,
        PickOrder::Snake,
        PickOrder::ThirdRoundReversal,
    ] {
        let mut c = config(3, 4);
        c.order = order;
        let d = Draft::new(DraftSettings::new(c).unwrap());
        let expected: Vec<u32> = (0..12).map(|p| order.team(3, p).unwrap()).collect();
        assert_eq!(d.order(), expected);
    }
}

#[test]
fn start_arms_the_clock_and_refuses_a_second_start() {
    let mut d = draft(2, 2);
    assert_eq!(d.next_deadline(), None);
    assert_eq!(d.on_the_clock(), None);
    let events = d.apply(&Command::Start, t0()).unwrap();
    assert_eq!(types(&events), ["draft.started"]);
    assert_eq!(events[0].id.as_str(), "draft:league:1:0");
    assert_eq!(events[0].version, 1);
    assert_eq!(events[0].timestamp, t0());
    assert_eq!(d.state(), DraftState::InProgress);
    assert_eq!(
        d.on_the_clock(),
        Some(OnTheClock {
            pick: 1,
            round: 1,
            team: 0
        })
    );
    let deadline = d.next_deadline().unwrap();
    assert_eq!(deadline.at, t0() + Duration::seconds(60));
    let error = refused(&mut d, Command::Start, t0());
    assert_eq!(
        error,
        DraftError::Lifecycle(LifecycleError::InvalidTransition {
            machine: "draft",
            state: "in_progress".to_owned(),
            action: "start".to_owned(),
        })
    );
    assert_eq!(
        error.to_string(),
        "draft in state in_progress does not allow start"
    );
}

#[test]
fn commands_before_the_start_are_refused() {
    let mut d = draft(2, 2);
    for command in [
        Command::Pick {
            pick: 1,
            team: 0,
            player: id("fw00"),
        },
        Command::Timeout { sequence: 0 },
        Command::Pause,
        Command::Resume,
        Command::Undo,
    ] {
        let error = refused(&mut d, command, t0());
        assert!(
            error.to_string().starts_with("draft in state scheduled"),
            "{error}"
        );
    }
}

#[test]
fn a_pick_records_the_player_and_rearms_the_clock() {
    let mut d = started(2, 2);
    let first = d.next_deadline().unwrap();
    let later = t0() + Duration::seconds(10);
    let events = pick(&mut d, "fw03", later).unwrap();
    assert_eq!(types(&events), ["draft.pick_made"]);
    assert_eq!(
        events[0].data,
        EventData::DraftPickMade {
            draft: DraftId::new("league").unwrap(),
            pick: 1,
            team: 0,
            player: id("fw03"),
        }
    );
    assert_eq!(d.roster(0), [id("fw03")]);
    assert_eq!(d.taken_by(&id("fw03")).unwrap().number, 1);
    assert!(!d.picks()[0].auto);
    let next = d.next_deadline().unwrap();
    assert_eq!(next.at, later + Duration::seconds(60));
    assert!(next.sequence > first.sequence);
    assert_eq!(d.on_the_clock().unwrap().team, 1);
}

#[test]
fn bad_picks_are_refused_with_the_reason() {
    let mut d = started(2, 3);
    let on = |player: &str, pick: u32, team: u32| Command::Pick {
        pick,
        team,
        player: id(player),
    };
    assert_eq!(
        refused(&mut d, on("fw00", 2, 0), t0()),
        DraftError::WrongPick {
            expected: 1,
            got: 2
        }
    );
    assert_eq!(
        refused(&mut d, on("fw00", 1, 1), t0()),
        DraftError::NotOnTheClock {
            pick: 1,
            team: 1,
            owner: 0
        }
    );
    assert_eq!(
        refused(&mut d, on("nobody", 1, 0), t0()),
        DraftError::UnknownPlayer {
            player: id("nobody")
        }
    );
    pick(&mut d, "gk00", t0()).unwrap();
    assert_eq!(
        refused(&mut d, on("gk00", 2, 1), t0()),
        DraftError::PlayerTaken {
            player: id("gk00"),
            pick: 1
        }
    );
    pick(&mut d, "fw00", t0()).unwrap();
    // Snake: team 1 picks again; then team 0 already holds its one goalkeeper.
    pick(&mut d, "fw01", t0()).unwrap();
    assert_eq!(
        refused(&mut d, on("gk01", 4, 0), t0()),
        DraftError::NoRosterSlot {
            team: 0,
            player: id("gk01"),
            position: "GK".to_owned()
        }
    );
}

#[test]
fn a_roster_keeps_room_for_its_missing_starters() {
    // Three rounds: GK 1 (max 1), FW 1 starter. After two forwards the last pick must be the
    // goalkeeper.
    let mut d = started(1, 3);
    pick(&mut d, "fw00", t0()).unwrap();
    pick(&mut d, "fw01", t0()).unwrap();
    assert!(!d.fits(0, &id("fw02")));
    assert!(d.fits(0, &id("gk00")));
    assert!(matches!(
        refused(
            &mut d,
            Command::Pick {
                pick: 3,
                team: 0,
                player: id("fw02")
            },
            t0()
        ),
        DraftError::NoRosterSlot { .. }
    ));
    assert_eq!(d.autopick_choice(), Some(id("gk00")));
}

#[test]
fn the_last_pick_completes_the_draft_and_stops_the_clock() {
    let mut d = started(2, 2);
    pick(&mut d, "fw00", t0()).unwrap();
    pick(&mut d, "fw01", t0()).unwrap();
    pick(&mut d, "gk00", t0()).unwrap();
    let events = pick(&mut d, "gk01", t0()).unwrap();
    assert_eq!(types(&events), ["draft.pick_made", "draft.completed"]);
    assert_eq!(events[1].id.as_str(), "draft:league:5:1");
    assert_eq!(d.state(), DraftState::Completed);
    assert_eq!(d.next_deadline(), None);
    assert_eq!(d.on_the_clock(), None);
    assert_eq!(d.clock(), None);
    assert!(d.available_actions().is_empty());
    d.check_invariants().unwrap();
    for command in [
        Command::Undo,
        Command::Pause,
        Command::Trade { picks: [1, 2] },
        Command::SetQueue {
            team: 0,
            players: vec![],
        },
    ] {
        let error = refused(&mut d, command, t0());
        assert!(
            error.to_string().starts_with("draft in state completed"),
            "{error}"
        );
    }
}

#[test]
fn a_timeout_fires_only_when_due_and_with_the_current_sequence() {
    let mut d = started(2, 2);
    let deadline = d.next_deadline().unwrap();
    assert_eq!(
        refused(
            &mut d,
            Command::Timeout {
                sequence: deadline.sequence
            },
            deadline.at - Duration::milliseconds(1)
        ),
        DraftError::NotDue {
            deadline: deadline.at
        }
    );
    assert_eq!(
        refused(
            &mut d,
            Command::Timeout {
                sequence: deadline.sequence + 1
            },
            deadline.at
        ),
        DraftError::StaleTimeout {
            sequence: deadline.sequence + 1,
            current: deadline.sequence
        }
    );
    let events = d
        .apply(
            &Command::Timeout {
                sequence: deadline.sequence,
            },
            deadline.at,
        )
        .unwrap();
    assert_eq!(types(&events), ["draft.autopicked"]);
    // Best available by rank: fw00 (rank 0).
    assert_eq!(d.roster(0), [id("fw00")]);
    assert!(d.picks()[0].auto);
}

#[test]
fn a_manual_pick_racing_a_timeout_lets_exactly_one_win() {
    // Pick first: the timeout read before it is stale.
    let mut d = started(2, 2);
    let deadline = d.next_deadline().unwrap();
    pick(&mut d, "fw05", deadline.at).unwrap();
    let error = refused(
        &mut d,
        Command::Timeout {
            sequence: deadline.sequence,
        },
        deadline.at,
    );
    assert!(matches!(error, DraftError::StaleTimeout { .. }));
    assert_eq!(d.picks().len(), 1);

    // Timeout first: the manual pick names a pick that is no longer on the clock, even
    // though (snake) the same team picks next.
    let mut d = started(2, 2);
    pick(&mut d, "fw05", t0()).unwrap();
    let deadline = d.next_deadline().unwrap();
    d.apply(
        &Command::Timeout {
            sequence: deadline.sequence,
        },
        deadline.at,
    )
    .unwrap();
    let error = refused(
        &mut d,
        Command::Pick {
            pick: 2,
            team: 1,
            player: id("fw06"),
        },
        deadline.at,
    );
    assert_eq!(
        error,
        DraftError::WrongPick {
            expected: 3,
            got: 2
        }
    );
    assert_eq!(d.picks().len(), 2);
}

#[test]
fn autopick_takes_the_queue_first_then_the_best_fitting_rank() {
    let mut d = started(2, 3);
    d.apply(
        &Command::SetQueue {
            team: 0,
            players: vec![id("fw09"), id("fw04")],
        },
        t0(),
    )
    .unwrap();
    assert_eq!(d.queue(0), [id("fw09"), id("fw04")]);
    assert_eq!(d.autopick_choice(), Some(id("fw09")));
    pick(&mut d, "fw09", t0()).unwrap();
    pick(&mut d, "gk01", t0()).unwrap();
    // Team 1 again (snake); then team 0's queue: fw09 is gone, fw04 is next.
    pick(&mut d, "fw00", t0()).unwrap();
    assert_eq!(d.autopick_choice(), Some(id("fw04")));
    pick(&mut d, "fw04", t0()).unwrap();
    // Team 0's queue is spent; two forwards held, its last pick must be a goalkeeper: the
    // best-ranked fitting player, not fw01 with the better rank.
    assert_eq!(d.autopick_choice(), Some(id("gk00")));
}

#[test]
fn autopick_breaks_rank_ties_by_id() {
    let mut c = config(1, 2);
    for p in &mut c.pool {
        p.rank = 7;
    }
    c.pool.reverse();
    let mut d = Draft::new(DraftSettings::new(c).unwrap());
    d.apply(&Command::Start, t0()).unwrap();
    assert_eq!(d.autopick_choice(), Some(id("fw00")));
}

#[test]
fn pause_freezes_the_clock_and_resume_restarts_it_with_the_time_left() {
    let mut d = started(2, 2);
    let armed = d.next_deadline().unwrap();
    let events = d
        .apply(&Command::Pause, t0() + Duration::seconds(45))
        .unwrap();
    assert_eq!(types(&events), ["draft.paused"]);
    assert_eq!(d.state(), DraftState::Paused);
    assert_eq!(d.next_deadline(), None);
    assert_eq!(
        d.clock(),
        Some(ClockState::Paused {
            remaining_ms: 15_000
        })
    );
    let far = t0() + Duration::hours(2);
    assert!(refused(
        &mut d,
        Command::Timeout {
            sequence: armed.sequence
        },
        far
    )
    .to_string()
    .contains("does not allow autopick"));
    assert!(refused(&mut d, Command::Pause, far)
        .to_string()
        .contains("does not allow pause"));
    let events = d.apply(&Command::Resume, far).unwrap();
    assert_eq!(types(&events), ["draft.resumed"]);
    let resumed = d.next_deadline().unwrap();
    assert_eq!(resumed.at, far + Duration::seconds(15));
    assert!(resumed.sequence > armed.sequence);
    // The deadline read before the pause no longer fires.
    assert!(matches!(
        refused(
            &mut d,
            Command::Timeout {
                sequence: armed.sequence
            },
            resumed.at
        ),
        DraftError::StaleTimeout { .. }
    ));
    assert!(refused(&mut d, Command::Resume, far)
        .to_string()
        .contains("does not allow resume"));
}

#[test]
fn undo_returns_the_player_and_puts_the_team_back_on_the_clock() {
    let mut d = started(2, 2);
    let error = refused(&mut d, Command::Undo, t0());
    assert_eq!(
        error.to_string(),
        "draft in state in_progress cannot undo now: a_pick_made does not hold"
    );
    pick(&mut d, "fw00", t0()).unwrap();
    let later = t0() + Duration::seconds(30);
    let events = d.apply(&Command::Undo, later).unwrap();
    assert_eq!(
        events[0].data,
        EventData::DraftPickUndone {
            draft: DraftId::new("league").unwrap(),
            pick: 1,
            team: 0,
            player: id("fw00"),
        }
    );
    assert!(d.picks().is_empty());
    assert!(d.fits(0, &id("fw00")));
    assert_eq!(d.on_the_clock().unwrap().team, 0);
    assert_eq!(d.next_deadline().unwrap().at, later + Duration::seconds(60));

    // While paused the draft stays paused with a full clock.
    pick(&mut d, "fw00", later).unwrap();
    d.apply(&Command::Pause, later).unwrap();
    d.apply(&Command::Undo, later).unwrap();
    assert_eq!(d.state(), DraftState::Paused);
    assert_eq!(
        d.clock(),
        Some(ClockState::Paused {
            remaining_ms: 60_000
        })
    );
    d.check_invariants().unwrap();
}

#[test]
fn trades_swap_picks_still_to_come() {
    let mut d = draft(2, 3);
    // Before the start every pick may be traded: picks 1 (team 0) and 2 (team 1).
    let events = d.apply(&Command::Trade { picks: [1, 2] }, t0()).unwrap();
    assert_eq!(
        events[0].data,
        EventData::DraftPicksTraded {
            draft: DraftId::new("league").unwrap(),
            picks: [1, 2],
            teams: [1, 0],
        }
    );
    assert_eq!(&d.order()[..2], [1, 0]);
    d.apply(&Command::Start, t0()).unwrap();
    assert_eq!(d.on_the_clock().unwrap().team, 1);
    assert_eq!(
        refused(&mut d, Command::Trade { picks: [1, 3] }, t0()),
        DraftError::PickNotFuture {
            pick: 1,
            first_tradable: 2
        }
    );
    assert_eq!(
        refused(&mut d, Command::Trade { picks: [3, 7] }, t0()),
        DraftError::PickOutOfRange { pick: 7, total: 6 }
    );
    assert_eq!(
        refused(&mut d, Command::Trade { picks: [0, 3] }, t0()),
        DraftError::PickOutOfRange { pick: 0, total: 6 }
    );
    // Snake order after the trade: 1 0 | 1 0 | 0 1 → picks 2 and 4 are both team 0's.
    assert_eq!(
        refused(&mut d, Command::Trade { picks: [2, 4] }, t0()),
        DraftError::SameTeam {
            picks: [2, 4],
            team: 0
        }
    );
    d.apply(&Command::Trade { picks: [3, 4] }, t0()).unwrap();
    assert_eq!(d.order(), [1, 0, 0, 1, 0, 1]);
    d.check_invariants().unwrap();
}

#[test]
fn queues_are_checked() {
    let mut d = draft(2, 2);
    assert_eq!(
        refused(
            &mut d,
            Command::SetQueue {
                team: 2,
                players: vec![]
            },
            t0()
        ),
        DraftError::UnknownTeam { team: 2, teams: 2 }
    );
    assert_eq!(
        refused(
            &mut d,
            Command::SetQueue {
                team: 0,
                players: vec![id("ghost")]
            },
            t0()
        ),
        DraftError::UnknownPlayer {
            player: id("ghost")
        }
    );
    assert_eq!(
        refused(
            &mut d,
            Command::SetQueue {
                team: 0,
                players: vec![id("fw01"), id("fw01")]
            },
            t0()
        ),
        DraftError::DuplicateInQueue {
            team: 0,
            player: id("fw01")
        }
    );
    let events = d
        .apply(
            &Command::SetQueue {
                team: 1,
                players: vec![id("fw01")],
            },
            t0(),
        )
        .unwrap();
    assert_eq!(types(&events), ["draft.queue_set"]);
    assert_eq!(d.queue(1), [id("fw01")]);
    assert!(d.queue(9).is_empty());
}

#[test]
fn commands_read_from_json() {
    let command: Command =
        serde_json::from_str(r#"{"type":"pick","pick":3,"team":1,"player":"fw02"}"#).unwrap();
    assert_eq!(
        command,
        Command::Pick {
            pick: 3,
            team: 1,
            player: id("fw02")
        }
    );
    assert_eq!(
        serde_json::to_string(&Command::Timeout { sequence: 4 }).unwrap(),
        r#"{"type":"timeout","sequence":4}"#
    );
    assert!(
        serde_json::from_str::<Command>(r#"{"type":"timeout","sequence":1,"extra":1}"#).is_err()
    );
    assert!(serde_json::from_str::<Command>(r#"{"type":"explode"}"#).is_err());
}

#[test]
fn replay_rebuilds_the_live_draft_and_refuses_a_foreign_or_altered_log() {
    let settings = DraftSettings::new(config(3, 3)).unwrap();
    let mut d = Draft::new(settings.clone());
    let mut log = Vec::new();
    let mut now = t0();
    let mut run = |d: &mut Draft, command: Command, now: DateTime<Utc>| {
        log.extend(d.apply(&command, now).unwrap());
    };
    run(
        &mut d,
        Command::SetQueue {
            team: 1,
            players: vec![id("fw07")],
        },
        now,
    );
    run(&mut d, Command::Trade { picks: [2, 9] }, now);
    run(&mut d, Command::Start, now);
    now += Duration::seconds(5);
    let on = d.on_the_clock().unwrap();
    run(
        &mut d,
        Command::Pick {
            pick: on.pick,
            team: on.team,
            player: id("fw03"),
        },
        now,
    );
    now += Duration::seconds(20);
    run(&mut d, Command::Pause, now);
    now += Duration::seconds(500);
    run(&mut d, Command::Resume, now);
    let deadline = d.next_deadline().unwrap();
    run(
        &mut d,
        Command::Timeout {
            sequence: deadline.sequence,
        },
        deadline.at,
    );
    now = deadline.at + Duration::seconds(1);
    run(&mut d, Command::Undo, now);
    while d.state() != DraftState::Completed {
        let deadline = d.next_deadline().unwrap();
        run(
            &mut d,
            Command::Timeout {
                sequence: deadline.sequence,
            },
            deadline.at,
        );
    }
    d.check_invariants().unwrap();
    let rebuilt = Draft::replay(settings.clone(), &log).unwrap();
    assert_eq!(rebuilt, d);

    let mut other = config(3, 3);
    other.id = DraftId::new("other").unwrap();
    let error = Draft::replay(DraftSettings::new(other).unwrap(), &log).unwrap_err();
    assert!(
        error.to_string().contains("belongs to draft \"league\""),
        "{error}"
    );

    let mut altered = log.clone();
    let last = altered.len() - 2;
    if let EventData::DraftAutopicked { player, .. } = &mut altered[last].data {
        *player = id("fw00");
    }
    assert!(Draft::replay(settings.clone(), &altered).is_err());

    let mut truncated = log.clone();
    truncated.pop();
    let error = Draft::replay(settings.clone(), &truncated).unwrap_err();
    assert!(
        error.to_string().contains("emits draft.completed"),
        "{error}"
    );

    let mut reordered = log;
    reordered.swap(0, 1);
    assert!(Draft::replay(settings, &reordered).is_err());
}

#[test]
fn a_stored_document_reads_back_to_the_same_draft_and_is_checked() {
    let mut d = started(2, 3);
    d.apply(
        &Command::SetQueue {
            team: 1,
            players: vec![id("fw02")],
        },
        t0(),
    )
    .unwrap();
    pick(&mut d, "fw00", t0()).unwrap();
    pick(&mut d, "gk01", t0()).unwrap();
    d.apply(&Command::Pause, t0() + Duration::seconds(20))
        .unwrap();
    let text = serde_json::to_string(&d).unwrap();
    let back: Draft = serde_json::from_str(&text).unwrap();
    assert_eq!(back, d);

    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let refused = |value: &serde_json::Value| {
        serde_json::from_value::<Draft>(value.clone())
            .unwrap_err()
            .to_string()
    };
    let mut twice = value.clone();
    twice["picks"][1]["player"] = serde_json::json!("fw00");
    assert!(
        refused(&twice).contains("taken with pick 1"),
        "{}",
        refused(&twice)
    );
    let mut wrong_team = value.clone();
    wrong_team["picks"][1]["team"] = serde_json::json!(0);
    assert!(refused(&wrong_team).contains("out of order"));
    let mut running = value.clone();
    running["state"] = serde_json::json!("in_progress");
    assert!(refused(&running).contains("does not match"));
    let mut order = value.clone();
    order["order"][0] = serde_json::json!(1);
    assert!(refused(&order).contains("one pick per round"));
    let mut queue = value.clone();
    queue["queues"][0] = serde_json::json!(["ghost"]);
    assert!(refused(&queue).contains("ghost"));
    value["extra"] = serde_json::json!(1);
    assert!(refused(&value).contains("unknown field"));
}
