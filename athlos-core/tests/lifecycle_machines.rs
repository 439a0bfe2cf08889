//! The lifecycle tables: every (state, action) pair against an independent reference model,
//! random action sequences, event replay, and the event envelope golden file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::assert_golden;

use athlos_core::bracket::MatchResult;
use athlos_core::error::LifecycleError;
use athlos_core::event::{Event, EventData, EventType, MatchOwner};
use athlos_core::id::{EventId, TournamentId};
use athlos_core::lifecycle::{
    BracketAction as BA, BracketContext, BracketLifecycle, BracketState as BS, DraftAction as DA,
    DraftContext, DraftLifecycle, DraftState as DS, Lifecycle, MatchAction as MA, MatchLifecycle,
    MatchState as MS, TournamentAction as TA, TournamentContext, TournamentLifecycle,
    TournamentState as TS,
};
use athlos_core::model::ParticipantId;
use chrono::{TimeZone, Utc};
use proptest::prelude::*;

// Reference models, written from the issue text independently of the tables.

fn bracket_model(state: BS, action: BA, complete: bool) -> Option<BS> {
    match (state, action) {
        (BS::Draft, BA::Generate) => Some(BS::Ready),
        (BS::Draft | BS::Ready, BA::Fail) => Some(state),
        (BS::Ready, BA::Generate | BA::Edit) => Some(BS::Ready),
        (BS::Ready, BA::Lock) => Some(BS::Locked),
        (BS::Locked, BA::RecordResult) if !complete => Some(BS::Locked),
        (BS::Locked, BA::Complete) if complete => Some(BS::Completed),
        _ => None,
    }
}

fn tournament_model(state: TS, action: TA, c: &TournamentContext) -> Option<TS> {
    match (state, action) {
        (TS::Draft, TA::Publish) => Some(TS::Registration),
        (TS::Draft, TA::Edit) => Some(TS::Draft),
        (TS::Draft | TS::Registration, TA::Cancel) => Some(TS::Cancelled),
        (TS::Registration, TA::Join) if c.max_entries.is_none_or(|m| c.entries < m) => {
            Some(TS::Registration)
        }
        (TS::Registration, TA::RegisterTeam) if c.max_entries.is_none_or(|m| c.entries < m) => {
            Some(TS::Registration)
        }
        (TS::Registration, TA::Withdraw | TA::UnregisterTeam) => Some(TS::Registration),
        (TS::Registration, TA::Start) if c.entries >= c.min_entries.max(2) => Some(TS::Active),
        (TS::Active, TA::RecordResult | TA::AbandonMatch) if !c.round_complete => Some(TS::Active),
        (TS::Active, TA::Withdraw) if !c.withdrawals_close_at_start => Some(TS::Active),
        (TS::Active, TA::Advance) if c.round_complete => Some(if c.last_round {
            TS::Completed
        } else {
            TS::Active
        }),
        (TS::Completed | TS::Cancelled, TA::Archive) => Some(TS::Archived),
        // Deleting removes the tournament; the table keeps the state it was in.
        (TS::Draft | TS::Registration, TA::Delete) => Some(state),
        _ => None,
    }
}

fn match_model(state: MS, action: MA) -> Option<MS> {
    match (state, action) {
        (MS::Pending, MA::Fill) => Some(MS::Ready),
        (MS::Ready, MA::Begin) => Some(MS::InProgress),
        (MS::InProgress, MA::Finish) => Some(MS::Completed),
        (MS::Ready | MS::InProgress, MA::Walkover) => Some(MS::Walkover),
        (MS::Ready | MS::InProgress, MA::DoubleForfeit) => Some(MS::DoubleForfeit),
        _ => None,
    }
}

fn draft_model(state: DS, action: DA, c: &DraftContext) -> Option<DS> {
    match (state, action) {
        (DS::Scheduled, DA::Start) if c.total_picks > 0 => Some(DS::InProgress),
        (DS::InProgress, DA::Pick | DA::Autopick) if c.picks_made < c.total_picks => {
            Some(if c.picks_made + 1 == c.total_picks {
                DS::Completed
            } else {
                DS::InProgress
            })
        }
        (DS::InProgress, DA::Pause) => Some(DS::Paused),
        (DS::Paused, DA::Resume) => Some(DS::InProgress),
        (DS::InProgress | DS::Paused, DA::Undo) if c.picks_made > 0 => Some(state),
        (DS::Scheduled | DS::InProgress | DS::Paused, DA::Trade | DA::SetQueue) => Some(state),
        _ => None,
    }
}

fn check_error<S: std::fmt::Display, A: std::fmt::Display>(
    error: &LifecycleError,
    machine: &str,
    state: S,
    action: A,
) {
    let (m, s, a) = match error {
        LifecycleError::InvalidTransition {
            machine,
            state,
            action,
        }
        | LifecycleError::GuardFailed {
            machine,
            state,
            action,
            ..
        } => (*machine, state.clone(), action.clone()),
        other => panic!("unexpected error {other:?}"),
    };
    assert_eq!((m, s, a), (machine, state.to_string(), action.to_string()));
    let text = error.to_string();
    assert!(
        text.contains(&state.to_string()) && text.contains(&action.to_string()),
        "{text}"
    );
}

#[test]
fn bracket_table_matches_the_model_for_every_pair() {
    for &state in BracketLifecycle::states() {
        for &action in BracketLifecycle::actions() {
            for complete in [false, true] {
                let context = BracketContext { complete };
                let decided = BracketLifecycle::apply(state, action, &context);
                match (bracket_model(state, action, complete), decided) {
                    (Some(to), Ok(step)) => assert_eq!(step.to, to, "{state} {action}"),
                    (None, Err(error)) => check_error(&error, "bracket", state, action),
                    (model, table) => panic!("{state} {action} {complete}: {model:?} vs {table:?}"),
                }
            }
        }
    }
}

#[test]
fn tournament_table_matches_the_model_for_every_pair() {
    let mut contexts = Vec::new();
    for entries in [0, 1, 2, 4, 8] {
        for min_entries in [0, 4] {
            for max_entries in [None, Some(4)] {
                for round_complete in [false, true] {
                    for last_round in [false, true] {
                        for closed in [false, true] {
                            contexts.push(TournamentContext {
                                entries,
                                min_entries,
                                max_entries,
                                round_complete,
                                last_round,
                                withdrawals_close_at_start: closed,
                            });
                        }
                    }
                }
            }
        }
    }
    for &state in TournamentLifecycle::states() {
        for &action in TournamentLifecycle::actions() {
            for context in &contexts {
                let decided = TournamentLifecycle::apply(state, action, context);
                match (tournament_model(state, action, context), decided) {
                    (Some(to), Ok(step)) => assert_eq!(step.to, to),
                    (None, Err(error)) => check_error(&error, "tournament", state, action),
                    (model, table) => {
                        panic!("{state} {action} {context:?}: {model:?} vs {table:?}")
                    }
                }
            }
        }
    }
}

#[test]
fn match_and_draft_tables_match_their_models_for_every_pair() {
    for &state in MatchLifecycle::states() {
        for &action in MatchLifecycle::actions() {
            match (
                match_model(state, action),
                MatchLifecycle::apply(state, action, &()),
            ) {
                (Some(to), Ok(step)) => assert_eq!(step.to, to),
                (None, Err(error)) => check_error(&error, "match", state, action),
                (model, table) => panic!("{state} {action}: {model:?} vs {table:?}"),
            }
        }
    }
    for &state in DraftLifecycle::states() {
        for &action in DraftLifecycle::actions() {
            for (picks_made, total_picks) in [(0, 0), (0, 1), (0, 3), (2, 3), (3, 3)] {
                let context = DraftContext {
                    picks_made,
                    total_picks,
                };
                match (
                    draft_model(state, action, &context),
                    DraftLifecycle::apply(state, action, &context),
                ) {
                    (Some(to), Ok(step)) => assert_eq!(step.to, to),
                    (None, Err(error)) => check_error(&error, "draft", state, action),
                    (model, table) => {
                        panic!("{state} {action} {context:?}: {model:?} vs {table:?}")
                    }
                }
            }
        }
    }
}

#[test]
fn allowed_actions_answer_what_may_i_do_now() {
    assert_eq!(
        TournamentLifecycle::allowed(TS::Registration),
        vec![
            TA::Join,
            TA::Withdraw,
            TA::RegisterTeam,
            TA::UnregisterTeam,
            TA::Start,
            TA::Cancel,
            TA::Delete
        ]
    );
    assert_eq!(
        TournamentLifecycle::allowed(TS::Draft),
        vec![TA::Edit, TA::Publish, TA::Cancel, TA::Delete]
    );
    assert_eq!(
        TournamentLifecycle::allowed(TS::Active),
        vec![
            TA::RecordResult,
            TA::AbandonMatch,
            TA::Withdraw,
            TA::Advance
        ]
    );
    assert!(TournamentLifecycle::allowed(TS::Archived).is_empty());
    // A tournament whose withdrawals close at the start: before it, yes; during play, no.
    let closed = TournamentContext {
        withdrawals_close_at_start: true,
        ..TournamentContext::default()
    };
    assert!(TournamentLifecycle::apply(TS::Registration, TA::Withdraw, &closed).is_ok());
    assert!(
        TournamentLifecycle::apply(TS::Active, TA::Withdraw, &TournamentContext::default()).is_ok()
    );
    let error = TournamentLifecycle::apply(TS::Active, TA::Withdraw, &closed).unwrap_err();
    assert_eq!(
        error.to_string(),
        "tournament in state active cannot withdraw now: withdrawals_open_during_play does not hold"
    );
    let few = TournamentContext {
        entries: 1,
        min_entries: 2,
        ..TournamentContext::default()
    };
    assert_eq!(
        TournamentLifecycle::available(TS::Registration, &few),
        vec![
            TA::Join,
            TA::Withdraw,
            TA::RegisterTeam,
            TA::UnregisterTeam,
            TA::Cancel,
            TA::Delete
        ]
    );
    let error = TournamentLifecycle::apply(TS::Registration, TA::Start, &few).unwrap_err();
    assert_eq!(
        error.to_string(),
        "tournament in state registration cannot start now: minimum_entries does not hold"
    );
    let error =
        BracketLifecycle::apply(BS::Locked, BA::Generate, &BracketContext::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "bracket in state locked does not allow generate"
    );
}

/// A simulated tournament: the state, the context, and the events the transitions emitted.
#[derive(Debug, Clone)]
struct Sim {
    state: TS,
    context: TournamentContext,
    rounds: u32,
    round: u32,
    log: Vec<Event>,
    /// Deleted: nothing happens to it any more.
    deleted: bool,
}

#[derive(Debug, Clone, Copy)]
enum Step {
    Act(TA),
    FinishRound,
}

fn step_strategy() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => prop::sample::select(TournamentLifecycle::actions().to_vec()).prop_map(Step::Act),
        1 => Just(Step::FinishRound),
    ]
}

impl Sim {
    fn run(&mut self, step: Step) {
        if self.deleted {
            return;
        }
        let Step::Act(action) = step else {
            self.context.round_complete = true;
            return;
        };
        let before = (self.state, self.context);
        let expected = tournament_model(self.state, action, &self.context);
        match TournamentLifecycle::apply(self.state, action, &self.context) {
            Err(_) => {
                assert_eq!(expected, None, "{} {action}", self.state);
                assert_eq!(
                    (self.state, self.context),
                    before,
                    "a refusal changes nothing"
                );
            }
            Ok(step) => {
                assert_eq!(Some(step.to), expected);
                assert!(TournamentLifecycle::allowed(self.state).contains(&action));
                let from = self.state;
                let finished = self.round;
                self.state = step.to;
                match action {
                    TA::Join | TA::RegisterTeam => self.context.entries += 1,
                    TA::Withdraw | TA::UnregisterTeam if from == TS::Registration => {
                        self.context.entries = self.context.entries.saturating_sub(1)
                    }
                    TA::Delete => self.deleted = true,
                    TA::Start | TA::Advance if step.to == TS::Active => {
                        self.round += 1;
                        self.context.round_complete = false;
                        self.context.last_round = self.round >= self.rounds;
                    }
                    _ => {}
                }
                for &kind in step.emits {
                    let tournament = TournamentId::new("t").unwrap();
                    let data = match kind {
                        EventType::TournamentStateChanged => EventData::TournamentStateChanged {
                            tournament,
                            from,
                            to: step.to,
                        },
                        EventType::RoundStarted => EventData::RoundStarted {
                            tournament,
                            round: self.round,
                        },
                        EventType::RoundFinished => EventData::RoundFinished {
                            tournament,
                            round: finished,
                        },
                        EventType::PairingReady => EventData::PairingReady {
                            tournament,
                            round: self.round,
                            pairings: Vec::new(),
                        },
                        EventType::TournamentFinished => EventData::TournamentFinished {
                            tournament,
                            placements: Vec::new(),
                        },
                        EventType::TournamentDeleted => EventData::TournamentDeleted {
                            tournament,
                            state: from,
                        },
                        EventType::MatchResult => EventData::MatchResult {
                            owner: MatchOwner::Tournament(tournament),
                            match_id: "MAIN-R1-M1".parse().unwrap(),
                            result: MatchResult::win(ParticipantId::new("p1").unwrap()),
                            round: Some(1),
                        },
                        EventType::TournamentEdited => EventData::TournamentEdited {
                            tournament,
                            name: "T".to_owned(),
                            rules: serde_json::from_value(
                                serde_json::json!({"swiss": {"rounds": 3}}),
                            )
                            .unwrap(),
                            starts_at: None,
                        },
                        other => panic!("unexpected emitted type {other}"),
                    };
                    let version = self.log.len() as u64 + 1;
                    self.log.push(Event {
                        id: EventId::new(format!("t:{version}")).unwrap(),
                        timestamp: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
                        version,
                        data,
                    });
                }
                if from != step.to {
                    // Every change of state is announced, exactly once, as the last change.
                    let changes: Vec<_> = self
                        .log
                        .iter()
                        .filter(|e| e.event_type() == EventType::TournamentStateChanged)
                        .collect();
                    let last = changes.last().expect("a state change emits an event");
                    assert!(matches!(
                        last.data,
                        EventData::TournamentStateChanged { from: f, to: t, .. } if f == from && t == step.to
                    ));
                }
            }
        }
    }
}

/// Rebuilds the state from the log alone.
fn replay(log: &[Event]) -> TS {
    log.iter().fold(TS::Draft, |state, event| match event.data {
        EventData::TournamentStateChanged { from, to, .. } => {
            assert_eq!(from, state, "the log is a chain");
            to
        }
        _ => state,
    })
}

proptest! {
    #[test]
    fn random_tournament_runs_stay_in_the_table_and_replay(
        steps in prop::collection::vec(step_strategy(), 0..80),
        rounds in 1u32..5,
    ) {
        let mut sim = Sim {
            state: TS::Draft,
            context: TournamentContext { min_entries: 2, max_entries: Some(6), ..TournamentContext::default() },
            rounds,
            round: 0,
            log: Vec::new(),
            deleted: false,
        };
        for step in steps {
            sim.run(step);
            prop_assert!(TournamentLifecycle::states().contains(&sim.state));
            prop_assert_eq!(replay(&sim.log), sim.state);
        }
        // The log survives a JSON round trip unchanged: no event is lost or altered.
        let text = serde_json::to_string(&sim.log).unwrap();
        let back: Vec<Event> = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(&back, &sim.log);
        let rounds_started = sim.log.iter().filter(|e| e.event_type() == EventType::RoundStarted).count();
        prop_assert_eq!(rounds_started as u32, sim.round);
    }

    #[test]
    fn random_draft_runs_follow_the_model(
        actions in prop::collection::vec(prop::sample::select(DraftLifecycle::actions().to_vec()), 0..60),
        total_picks in 0u32..12,
    ) {
        let mut state = DS::Scheduled;
        let mut context = DraftContext { picks_made: 0, total_picks };
        for action in actions {
            let expected = draft_model(state, action, &context);
            match DraftLifecycle::apply(state, action, &context) {
                Ok(step) => {
                    prop_assert_eq!(Some(step.to), expected);
                    if matches!(action, DA::Pick | DA::Autopick) {
                        context.picks_made += 1;
                        prop_assert_eq!(step.emits.contains(&EventType::DraftCompleted), step.to == DS::Completed);
                    }
                    if action == DA::Undo {
                        context.picks_made -= 1;
                    }
                    state = step.to;
                }
                Err(_) => prop_assert_eq!(expected, None),
            }
            prop_assert!(context.picks_made <= total_picks);
            prop_assert_eq!(state == DS::Completed, total_picks > 0 && context.picks_made == total_picks);
        }
    }
}

#[test]
fn event_envelope_is_pinned() {
    let event = Event {
        id: EventId::new("tournament:t1:2:0").unwrap(),
        timestamp: Utc.with_ymd_and_hms(2026, 11, 23, 9, 30, 0).unwrap(),
        version: 2,
        data: EventData::TournamentStateChanged {
            tournament: TournamentId::new("t1").unwrap(),
            from: TS::Draft,
            to: TS::Registration,
        },
    };
    let text = serde_json::to_string_pretty(&event).unwrap() + "\n";
    assert_golden("event/tournament_state_changed.json", &text);
    assert!(text.find("\"id\"") < text.find("\"type\""));
    assert!(text.find("\"version\"") < text.find("\"data\""));
    assert_eq!(serde_json::from_str::<Event>(&text).unwrap(), event);
}

#[test]
fn event_catalog_is_pinned() {
    use athlos_core::bracket::{Format, Placement};
    use athlos_core::event::Pairing;
    use athlos_core::id::{DivisionId, DraftId, TagName};
    use athlos_core::version::{ContentHash, Patch};

    let division = DivisionId::new("m73").unwrap();
    let tournament = TournamentId::new("cup").unwrap();
    let draft = DraftId::new("league-draft").unwrap();
    let hash = ContentHash::of(b"bracket");
    let p1 = ParticipantId::new("p1").unwrap();
    let p2 = ParticipantId::new("p2").unwrap();
    let placements: Vec<Placement> =
        serde_json::from_str(r#"[{"place":1,"participant":"p1"},{"place":2,"participant":"p2"}]"#)
            .unwrap();
    let final_match = "MAIN-R1-M1".parse().unwrap();
    let catalog = vec![
        EventData::BracketGenerated {
            division: division.clone(),
            version: 1,
            hash: hash.clone(),
            format: Format::Repechage,
            entries: 14,
            seed: 2026,
        },
        EventData::BracketFailed {
            division: division.clone(),
            reason: "a competition needs at least 2 participants, got 1".to_owned(),
        },
        EventData::BracketEdited {
            division: division.clone(),
            version: 2,
            hash: hash.clone(),
            patch: Patch::Swap {
                a: p1.clone(),
                b: p2.clone(),
            },
        },
        EventData::BracketLocked {
            division: division.clone(),
            version: 2,
            hash,
        },
        EventData::BracketCompleted {
            division: division.clone(),
            placements: placements.clone(),
        },
        EventData::TagMoved {
            division: division.clone(),
            tag: TagName::published(),
            from: None,
            to: Some(2),
        },
        EventData::TournamentStateChanged {
            tournament: tournament.clone(),
            from: TS::Registration,
            to: TS::Active,
        },
        EventData::RoundStarted {
            tournament: tournament.clone(),
            round: 1,
        },
        EventData::PairingReady {
            tournament: tournament.clone(),
            round: 1,
            pairings: vec![Pairing {
                match_id: final_match,
                sides: [Some(p1.clone()), Some(p2.clone())],
            }],
        },
        EventData::MatchResult {
            owner: MatchOwner::Tournament(tournament.clone()),
            match_id: final_match,
            result: MatchResult::win(p1.clone()),
            round: None,
        },
        EventData::RoundFinished {
            tournament: tournament.clone(),
            round: 1,
        },
        EventData::TournamentFinished {
            tournament: tournament.clone(),
            placements,
        },
        EventData::DraftStarted {
            draft: draft.clone(),
        },
        EventData::DraftPickMade {
            draft: draft.clone(),
            pick: 1,
            team: 0,
            player: p1,
        },
        EventData::DraftAutopicked {
            draft: draft.clone(),
            pick: 2,
            team: 1,
            player: p2,
        },
        EventData::DraftPaused {
            draft: draft.clone(),
        },
        EventData::DraftResumed {
            draft: draft.clone(),
        },
        EventData::DraftCompleted {
            draft: draft.clone(),
        },
        EventData::DraftPickUndone {
            draft: draft.clone(),
            pick: 2,
            team: 1,
            player: ParticipantId::new("p2").unwrap(),
        },
        EventData::DraftPicksTraded {
            draft: draft.clone(),
            picks: [5, 8],
            teams: [1, 0],
        },
        EventData::DraftQueueSet {
            draft,
            team: 0,
            players: vec![ParticipantId::new("p2").unwrap()],
        },
        EventData::TournamentDeleted {
            tournament: tournament.clone(),
            state: TS::Registration,
        },
        EventData::MatchCorrected {
            owner: MatchOwner::Tournament(tournament),
            match_id: final_match,
            previous: MatchResult::win(ParticipantId::new("p1").unwrap()),
            result: MatchResult::win(ParticipantId::new("p2").unwrap()),
        },
        EventData::EventUpdated {
            event: athlos_core::id::CompetitionId::new("open-2026").unwrap(),
            name: "Open 2026".to_owned(),
        },
        EventData::DivisionUpdated {
            division,
            name: "Men -73 kg".to_owned(),
            rules: athlos_core::bracket::BracketOptions::new(Format::SingleElimination),
            seed: 7,
        },
        EventData::TournamentEdited {
            tournament: TournamentId::new("cup").unwrap(),
            name: "Winter Cup".to_owned(),
            rules: serde_json::from_value(serde_json::json!({"swiss": {"rounds": 5}})).unwrap(),
            starts_at: Some(Utc.with_ymd_and_hms(2026, 12, 24, 18, 0, 0).unwrap()),
        },
        EventData::ChatPosted {
            tournament: TournamentId::new("cup").unwrap(),
            message: 1,
            author: "p1".to_owned(),
            text: "Good luck <everyone> & have fun".to_owned(),
        },
        EventData::ChatDeleted {
            tournament: TournamentId::new("cup").unwrap(),
            message: 1,
            by: "td".to_owned(),
        },
        EventData::TournamentFollowed {
            tournament: TournamentId::new("cup").unwrap(),
            user: "carol".to_owned(),
        },
        EventData::TournamentUnfollowed {
            tournament: TournamentId::new("cup").unwrap(),
            user: "carol".to_owned(),
        },
        EventData::TournamentStarting {
            tournament: TournamentId::new("cup").unwrap(),
            name: "Winter Cup".to_owned(),
            starts_at: Utc.with_ymd_and_hms(2026, 12, 24, 18, 0, 0).unwrap(),
            starts_in_minutes: 15,
        },
        EventData::BoardGameCreated {
            tournament: TournamentId::new("cup").unwrap(),
            match_id: final_match,
            round: 1,
            game_id: "j0nPtcjl".to_owned(),
            players: [
                ParticipantId::new("p1").unwrap(),
                ParticipantId::new("p2").unwrap(),
            ],
        },
    ];
    let kinds: Vec<EventType> = catalog.iter().map(EventData::event_type).collect();
    assert_eq!(
        kinds,
        EventType::ALL.to_vec(),
        "one example of every type, in catalog order"
    );
    let events: Vec<Event> = catalog
        .into_iter()
        .zip(1u64..)
        .map(|(data, version)| Event {
            id: EventId::new(format!("example:{version}:0")).unwrap(),
            timestamp: Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap(),
            version,
            data,
        })
        .collect();
    let lines: Vec<String> = events
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    assert_golden("event/catalog.ndjson", &(lines.join("\n") + "\n"));
    for (line, event) in lines.iter().zip(&events) {
        assert_eq!(&serde_json::from_str::<Event>(line).unwrap(), event);
        assert!(line.contains(&format!("\"type\":\"{}\"", event.event_type())));
    }
}

proptest! {
    /// Any action sequence with any contexts, from any state of each machine: every step
    /// obeys the table (`testing::check_lifecycle`), refusals change nothing.
    #[test]
    fn any_action_sequence_obeys_every_table(
        start in 0usize..8,
        bracket in athlos_core::testing::bracket_actions(0..40),
        tournament in athlos_core::testing::tournament_actions(0..40),
        matches in athlos_core::testing::match_actions(0..20),
        draft in athlos_core::testing::draft_actions(0..40),
    ) {
        use athlos_core::testing::run_lifecycle;
        let pick = |n: usize| start % n;
        let fail = |v: athlos_core::testing::InvariantViolation| TestCaseError::fail(v.to_string());
        run_lifecycle::<BracketLifecycle>(BS::ALL[pick(BS::ALL.len())], &bracket).map_err(fail)?;
        run_lifecycle::<TournamentLifecycle>(TS::ALL[pick(TS::ALL.len())], &tournament).map_err(fail)?;
        run_lifecycle::<MatchLifecycle>(MS::ALL[pick(MS::ALL.len())], &matches).map_err(fail)?;
        run_lifecycle::<DraftLifecycle>(DS::ALL[pick(DS::ALL.len())], &draft).map_err(fail)?;
    }
}

#[test]
fn the_lifecycle_check_catches_a_wrapper_that_disobeys_the_table() {
    use athlos_core::lifecycle::Transition;
    use athlos_core::testing::{check_lifecycle, Invariant};
    let context = DraftContext {
        picks_made: 2,
        total_picks: 3,
    };
    // A wrapper that forgets the last-pick rule and keeps the draft running.
    let wrong: Result<Transition<DS, DA>, LifecycleError> = Ok(Transition {
        from: DS::InProgress,
        action: DA::Pick,
        to: DS::InProgress,
        emits: &[EventType::DraftPickMade],
    });
    let violation =
        check_lifecycle::<DraftLifecycle>(DS::InProgress, DA::Pick, &context, &wrong).unwrap_err();
    assert_eq!(violation.invariant, Invariant::TableAgrees);
    // One that refuses an allowed action with the wrong kind of error.
    let refused: Result<Transition<DS, DA>, LifecycleError> =
        Err(LifecycleError::InvalidTransition {
            machine: "draft",
            state: "paused".to_owned(),
            action: "resume".to_owned(),
        });
    let violation =
        check_lifecycle::<DraftLifecycle>(DS::Paused, DA::Resume, &context, &refused).unwrap_err();
    assert_eq!(violation.invariant, Invariant::TableAgrees);
    // One that refuses a forbidden action as a guard failure.
    let guarded: Result<Transition<DS, DA>, LifecycleError> = Err(LifecycleError::GuardFailed {
        machine: "draft",
        state: "paused".to_owned(),
        action: "pick".to_owned(),
        guard: "last_pick",
    });
    let violation =
        check_lifecycle::<DraftLifecycle>(DS::Paused, DA::Pick, &context, &guarded).unwrap_err();
    assert_eq!(violation.invariant, Invariant::TypedRefusal);
    // The table itself passes.
    let right = DraftLifecycle::apply(DS::InProgress, DA::Pick, &context);
    check_lifecycle::<DraftLifecycle>(DS::InProgress, DA::Pick, &context, &right).unwrap();
}
