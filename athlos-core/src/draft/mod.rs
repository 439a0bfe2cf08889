//! Fantasy drafts as a sans-IO state machine: settings, picks, the pick clock, auto-pick,
//! trades, queues and replay of the event log.
//!
//! A [`Draft`] changes only through [`Draft::apply`], which takes a [`Command`] and the
//! current time and returns the domain events of the change. A refused command is a
//! [`DraftError`] and changes nothing. Which commands a state allows comes from the
//! [`DraftLifecycle`] table; the pick order and the clock arithmetic from
//! [`lifecycle::draft`](crate::lifecycle::draft).
//!
//! ```
//! use athlos_core::draft::{Command, Draft, DraftConfig, DraftSettings, Player, Position, RosterPosition};
//! use athlos_core::id::DraftId;
//! use athlos_core::lifecycle::draft::PickOrder;
//! use athlos_core::lifecycle::DraftState;
//! use athlos_core::model::ParticipantId;
//! use chrono::{Duration, TimeZone, Utc};
//!
//! let position = |name: &str| Position::new(name);
//! let mut pool = Vec::new();
//! for (i, pos) in ["GK", "GK", "FW", "FW", "FW", "FW"].iter().enumerate() {
//!     pool.push(Player { id: ParticipantId::new(format!("p{i}"))?, position: position(pos)?, rank: i as u32 });
//! }
//! let settings = DraftSettings::new(DraftConfig {
//!     id: DraftId::new("league")?,
//!     teams: 2,
//!     rounds: 2,
//!     order: PickOrder::Snake,
//!     seconds_per_pick: 60,
//!     roster: vec![
//!         RosterPosition { position: position("GK")?, starters: 1, max: Some(1) },
//!         RosterPosition { position: position("FW")?, starters: 1, max: None },
//!     ],
//!     pool,
//! })?;
//! let t0 = Utc.with_ymd_and_hms(2026, 11, 29, 20, 0, 0).single().ok_or("date")?;
//! let mut draft = Draft::new(settings);
//! draft.apply(&Command::Start, t0)?;
//! draft.apply(&Command::Pick { pick: 1, team: 0, player: ParticipantId::new("p0")? }, t0)?;
//! // Team 1 lets its clock run out: the scheduler fires the timeout it was given.
//! let deadline = draft.next_deadline().ok_or("no deadline")?;
//! assert_eq!(deadline.at, t0 + Duration::seconds(60));
//! let events = draft.apply(&Command::Timeout { sequence: deadline.sequence }, deadline.at)?;
//! assert_eq!(events[0].event_type().as_str(), "draft.autopicked");
//! assert_eq!(draft.roster(1), [ParticipantId::new("p1")?]);
//! // A second timeout with the same sequence is stale and changes nothing.
//! assert!(draft.apply(&Command::Timeout { sequence: deadline.sequence }, deadline.at).is_err());
//! assert_eq!(draft.state(), DraftState::InProgress);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub(crate) mod error;
mod record;
mod rights;
mod settings;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::event::{Event, EventData, EventType};
use crate::id::EventId;
use crate::lifecycle::draft::{ClockState, PickClock};
use crate::lifecycle::{
    DraftAction, DraftContext, DraftLifecycle, DraftState, Lifecycle, LifecycleError,
};
use crate::model::ParticipantId;

pub use error::DraftError;
pub use record::{DraftRecord, PICK_CLOCK};
pub use rights::DraftRights;
pub use settings::{
    DraftConfig, DraftSettings, Player, Position, RosterPosition, MAX_ROUNDS, MAX_TEAMS,
};

/// What may be asked of a draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Command {
    /// Start picking: pick 1 comes on the clock.
    Start,
    /// The team that owns pick number `pick` (from 1, the pick on the clock) takes `player`.
    /// Naming the pick makes a late request fail instead of taking the team's next pick.
    Pick {
        /// The overall pick number on the clock, from 1.
        pick: u32,
        /// The picking team, from 0.
        team: u32,
        /// The player taken.
        player: ParticipantId,
    },
    /// The clock armed with `sequence` ran out: pick for the team on the clock. Stale when
    /// anything re-armed or stopped the clock since ([`PickDeadline::sequence`]).
    Timeout {
        /// The clock sequence the deadline was read with.
        sequence: u64,
    },
    /// Freeze the clock.
    Pause,
    /// Restart the clock with the time it had left.
    Resume,
    /// The commissioner takes back the last pick; its team is on the clock again with a
    /// full clock.
    Undo,
    /// Two teams swap two picks still to come (overall numbers, from 1).
    Trade {
        /// The two picks.
        picks: [u32; 2],
    },
    /// A team sets its queue: the players auto-pick tries first, in order.
    SetQueue {
        /// The team, from 0.
        team: u32,
        /// Most wanted first.
        players: Vec<ParticipantId>,
    },
}

impl Command {
    /// The lifecycle action this command is.
    pub fn action(&self) -> DraftAction {
        match self {
            Command::Start => DraftAction::Start,
            Command::Pick { .. } => DraftAction::Pick,
            Command::Timeout { .. } => DraftAction::Autopick,
            Command::Pause => DraftAction::Pause,
            Command::Resume => DraftAction::Resume,
            Command::Undo => DraftAction::Undo,
            Command::Trade { .. } => DraftAction::Trade,
            Command::SetQueue { .. } => DraftAction::SetQueue,
        }
    }
}

/// A pick made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pick {
    /// Overall pick number, from 1.
    pub number: u32,
    /// Round, from 1.
    pub round: u32,
    /// The team, from 0.
    pub team: u32,
    /// The player taken.
    pub player: ParticipantId,
    /// Made by auto-pick when the clock ran out.
    pub auto: bool,
    /// When.
    pub at: DateTime<Utc>,
}

/// When the scheduler must act, and the sequence its timeout must carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickDeadline {
    /// When the clock runs out.
    pub at: DateTime<Utc>,
    /// Fences the timeout: any later change to the clock makes it stale.
    pub sequence: u64,
}

/// The pick on the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnTheClock {
    /// Overall pick number, from 1.
    pub pick: u32,
    /// Round, from 1.
    pub round: u32,
    /// The team that owns it, from 0.
    pub team: u32,
}

/// A fantasy draft: settings, the order after trades, picks made, queues and the clock.
///
/// Two drafts are equal when everything a command or query could observe is equal; a draft
/// rebuilt with [`Draft::replay`] equals the live one.
///
/// Serialized, a draft is the document a store keeps: `{"settings", "state", "version",
/// "order", "picks", "queues", "clock", "sequence"}`; reading one checks it the way commands
/// would have (legal picks in order, a clock that matches the state).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    settings: DraftSettings,
    state: DraftState,
    version: u64,
    /// Owner of each overall pick (index from 0), after trades.
    order: Vec<u32>,
    picks: Vec<Pick>,
    queues: Vec<Vec<ParticipantId>>,
    /// `None` before the start and after the end.
    clock: Option<ClockState>,
    /// Bumped whenever the clock is armed, re-armed or stopped.
    sequence: u64,
    /// Per pool player: the 0-based pick that took them.
    taken: Vec<Option<u32>>,
    /// Per team and position (`team * positions + position`): players held.
    held: Vec<u32>,
}

impl Draft {
    /// A scheduled draft under `settings`.
    pub fn new(settings: DraftSettings) -> Self {
        let teams = settings.teams() as usize;
        Self {
            order: settings.base_order(),
            picks: Vec::new(),
            queues: vec![Vec::new(); teams],
            clock: None,
            sequence: 0,
            taken: vec![None; settings.pool().len()],
            held: vec![0; teams * settings.position_count()],
            state: DraftState::Scheduled,
            version: 0,
            settings,
        }
    }

    /// Rebuilds a draft from its settings and its event log, in order.
    ///
    /// Each change is re-decided from the events' data and timestamps (an auto-pick takes
    /// the player the log names) and must emit exactly the logged events.
    ///
    /// # Errors
    /// [`DraftError::Replay`] naming the first event that belongs to another draft, is out
    /// of order, or does not follow from the state before it.
    pub fn replay<'a>(
        settings: DraftSettings,
        events: impl IntoIterator<Item = &'a Event>,
    ) -> Result<Self, DraftError> {
        let mut draft = Draft::new(settings);
        let events: Vec<&Event> = events.into_iter().collect();
        let mut index = 0;
        while let Some(first) = events.get(index) {
            let replay_error = |reason: String| DraftError::Replay { index, reason };
            let step = match &first.data {
                EventData::DraftStarted { draft: id } => (id, Step::Command(Command::Start)),
                EventData::DraftPickMade {
                    draft: id,
                    pick,
                    team,
                    player,
                } => (
                    id,
                    Step::Command(Command::Pick {
                        pick: *pick,
                        team: *team,
                        player: player.clone(),
                    }),
                ),
                EventData::DraftAutopicked {
                    draft: id, player, ..
                } => (
                    id,
                    Step::Autopick {
                        sequence: draft.sequence,
                        player: player.clone(),
                    },
                ),
                EventData::DraftPaused { draft: id } => (id, Step::Command(Command::Pause)),
                EventData::DraftResumed { draft: id } => (id, Step::Command(Command::Resume)),
                EventData::DraftPickUndone { draft: id, .. } => (id, Step::Command(Command::Undo)),
                EventData::DraftPicksTraded {
                    draft: id, picks, ..
                } => (id, Step::Command(Command::Trade { picks: *picks })),
                EventData::DraftQueueSet {
                    draft: id,
                    team,
                    players,
                } => (
                    id,
                    Step::Command(Command::SetQueue {
                        team: *team,
                        players: players.clone(),
                    }),
                ),
                other => {
                    return Err(replay_error(format!(
                        "{} does not start a draft change",
                        other.event_type()
                    )))
                }
            };
            let (id, step) = step;
            if id != draft.settings.id() {
                return Err(replay_error(format!(
                    "it belongs to draft \"{id}\", not \"{}\"",
                    draft.settings.id()
                )));
            }
            if first.version != draft.version + 1 {
                return Err(replay_error(format!(
                    "version {} follows version {}",
                    first.version, draft.version
                )));
            }
            let produced = draft
                .execute(step, first.timestamp)
                .map_err(|error| replay_error(error.to_string()))?;
            for (offset, event) in produced.iter().enumerate() {
                if events.get(index + offset) != Some(&event) {
                    return Err(DraftError::Replay {
                        index: index + offset,
                        reason: format!("the draft emits {} here", event.event_type()),
                    });
                }
            }
            index += produced.len();
        }
        Ok(draft)
    }

    /// Applies `command` at `now` and returns the events it emits, in order.
    ///
    /// # Errors
    /// [`DraftError::Lifecycle`] when the state does not allow the command (naming both);
    /// otherwise the [`DraftError`] saying what the command got wrong. On error nothing
    /// changed.
    pub fn apply(
        &mut self,
        command: &Command,
        now: DateTime<Utc>,
    ) -> Result<Vec<Event>, DraftError> {
        self.execute(Step::Command(command.clone()), now)
    }

    /// Rebuilds a draft from its stored document, checking it.
    fn from_document(document: DraftDocument) -> Result<Self, DraftError> {
        let invalid = |reason: String| DraftError::InvalidDocument { reason };
        let mut draft = Draft::new(document.settings);
        let total = draft.order.len();
        let teams = draft.settings.teams();
        let mut per_team = vec![0u32; teams as usize];
        for &team in &document.order {
            match per_team.get_mut(team as usize) {
                Some(count) => *count += 1,
                None => return Err(invalid(format!("the order names team {team}"))),
            }
        }
        if document.order.len() != total || per_team.iter().any(|&n| n != draft.settings.rounds()) {
            return Err(invalid(
                "the order does not give every team one pick per round".to_owned(),
            ));
        }
        draft.order = document.order;
        if document.picks.len() > total {
            return Err(invalid("more picks than the draft has".to_owned()));
        }
        let positions = draft.settings.position_count();
        for (index, pick) in document.picks.into_iter().enumerate() {
            let team = draft.order[index];
            if pick.number != pick_number(index)
                || pick.team != team
                || pick.round != round_of(index, teams)
            {
                return Err(invalid(format!("pick {} is out of order", pick.number)));
            }
            let player = draft
                .available(team, &pick.player)
                .map_err(|error| invalid(format!("pick {}: {error}", pick.number)))?;
            draft.taken[player] = Some(index as u32);
            draft.held[team as usize * positions + draft.settings.position_of(player)] += 1;
            draft.picks.push(pick);
        }
        if document.queues.len() != teams as usize {
            return Err(invalid(format!(
                "{} queues for {teams} teams",
                document.queues.len()
            )));
        }
        for (team, players) in document.queues.into_iter().enumerate() {
            let command = Command::SetQueue {
                team: team as u32,
                players,
            };
            match draft.decide(&Step::Command(command), DateTime::<Utc>::MIN_UTC) {
                Ok(Change::Queue { team, players }) => draft.queues[team as usize] = players,
                Ok(_) => return Err(invalid("a queue could not be read".to_owned())),
                Err(error) => return Err(invalid(error.to_string())),
            }
        }
        let picking = draft.picks.len() < total;
        let consistent = match (document.state, document.clock) {
            (DraftState::Scheduled, None) => draft.picks.is_empty(),
            (DraftState::InProgress, Some(ClockState::Running { .. })) => picking,
            (DraftState::Paused, Some(ClockState::Paused { .. })) => picking,
            (DraftState::Completed, None) => !picking,
            _ => false,
        };
        if !consistent {
            return Err(invalid(format!(
                "state {} does not match {} of {total} picks and the clock",
                document.state,
                draft.picks.len()
            )));
        }
        draft.state = document.state;
        draft.clock = document.clock;
        draft.version = document.version;
        draft.sequence = document.sequence;
        Ok(draft)
    }

    /// The settings.
    pub fn settings(&self) -> &DraftSettings {
        &self.settings
    }

    /// The lifecycle state.
    pub fn state(&self) -> DraftState {
        self.state
    }

    /// The number of changes applied: the version of the last events emitted.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The actions that would pass the lifecycle table now.
    pub fn available_actions(&self) -> Vec<DraftAction> {
        DraftLifecycle::available(self.state, &self.context())
    }

    /// The picks made, in order.
    pub fn picks(&self) -> &[Pick] {
        &self.picks
    }

    /// The owner of every overall pick (index from 0), after trades.
    pub fn order(&self) -> &[u32] {
        &self.order
    }

    /// The pick on the clock (also while paused); `None` before the start and at the end.
    pub fn on_the_clock(&self) -> Option<OnTheClock> {
        if !matches!(self.state, DraftState::InProgress | DraftState::Paused) {
            return None;
        }
        let index = self.picks.len();
        let team = *self.order.get(index)?;
        Some(OnTheClock {
            pick: pick_number(index),
            round: round_of(index, self.settings.teams()),
            team,
        })
    }

    /// The clock of the pick on the clock.
    pub fn clock(&self) -> Option<ClockState> {
        self.clock
    }

    /// When the scheduler must send a [`Command::Timeout`], with the sequence to send;
    /// `None` unless a clock is running.
    pub fn next_deadline(&self) -> Option<PickDeadline> {
        match self.clock? {
            ClockState::Running { deadline } if self.state == DraftState::InProgress => {
                Some(PickDeadline {
                    at: deadline,
                    sequence: self.sequence,
                })
            }
            _ => None,
        }
    }

    /// The current clock sequence.
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// The queue of `team` (empty for an unknown team).
    pub fn queue(&self, team: u32) -> &[ParticipantId] {
        self.queues.get(team as usize).map_or(&[], Vec::as_slice)
    }

    /// The players `team` has drafted, in pick order.
    pub fn roster(&self, team: u32) -> Vec<ParticipantId> {
        self.picks
            .iter()
            .filter(|p| p.team == team)
            .map(|p| p.player.clone())
            .collect()
    }

    /// The pick that took `player`, if any.
    pub fn taken_by(&self, player: &ParticipantId) -> Option<&Pick> {
        let index = self.settings.index_of(player)?;
        self.taken[index].and_then(|pick| self.picks.get(pick as usize))
    }

    /// Whether `team` may take `player` now: the player is in the pool, not taken, and fits
    /// an open slot of the team's roster.
    pub fn fits(&self, team: u32, player: &ParticipantId) -> bool {
        match self.settings.index_of(player) {
            Some(index) if team < self.settings.teams() => {
                self.taken[index].is_none()
                    && self.position_fits(team, self.settings.position_of(index))
            }
            _ => false,
        }
    }

    /// The player auto-pick would take for the team on the clock: the first of its queue
    /// that is available and fits, else the best available by rank (ties by id) that
    /// fits. `None` when no pick is on the clock.
    pub fn autopick_choice(&self) -> Option<ParticipantId> {
        let team = self.on_the_clock()?.team;
        self.choose(team)
            .map(|index| self.settings.pool()[index].id.clone())
    }

    /// Checks the invariants a finished or running draft keeps: each player taken at most
    /// once, the order a permutation of the base order's picks per team, and every roster
    /// within its maximums (and, once completed, holding every starter).
    ///
    /// # Errors
    /// A description of the first broken invariant.
    pub fn check_invariants(&self) -> Result<(), String> {
        let positions = self.settings.position_count();
        let mut seen = vec![false; self.settings.pool().len()];
        let mut held = vec![0u32; self.held.len()];
        for (i, pick) in self.picks.iter().enumerate() {
            let index = self
                .settings
                .index_of(&pick.player)
                .ok_or_else(|| format!("pick {} took unknown {}", pick.number, pick.player))?;
            if std::mem::replace(&mut seen[index], true) {
                return Err(format!("{} picked twice", pick.player));
            }
            if self.order.get(i) != Some(&pick.team) || pick.number != pick_number(i) {
                return Err(format!("pick {} made out of order", pick.number));
            }
            held[pick.team as usize * positions + self.settings.position_of(index)] += 1;
        }
        if held != self.held {
            return Err("roster counts drifted from the picks".to_owned());
        }
        let mut per_team = vec![0u32; self.settings.teams() as usize];
        for &team in &self.order {
            per_team[team as usize] += 1;
        }
        if per_team.iter().any(|&n| n != self.settings.rounds()) {
            return Err("a team does not own one pick per round".to_owned());
        }
        let complete = self.state == DraftState::Completed;
        if complete != (self.picks.len() == self.order.len()) {
            return Err("completion does not match the picks made".to_owned());
        }
        for team in 0..self.settings.teams() as usize {
            let counts = &self.held[team * positions..(team + 1) * positions];
            for (p, &count) in counts.iter().enumerate() {
                if count > self.settings.maximums()[p] {
                    return Err(format!("team {team} holds too many of position {p}"));
                }
                if complete && count < self.settings.starters()[p] {
                    return Err(format!("team {team} lacks starters of position {p}"));
                }
            }
        }
        Ok(())
    }

    fn context(&self) -> DraftContext {
        DraftContext {
            picks_made: u32::try_from(self.picks.len()).unwrap_or(u32::MAX),
            total_picks: self.settings.total_picks(),
        }
    }

    /// Decides, then changes: every check comes before the first mutation.
    fn execute(&mut self, step: Step, now: DateTime<Utc>) -> Result<Vec<Event>, DraftError> {
        let transition = DraftLifecycle::apply(self.state, step.action(), &self.context())?;
        let version = self.version + 1;
        let draft = self.settings.id().clone();
        let change = self.decide(&step, now)?;
        let mut data = Vec::with_capacity(transition.emits.len());
        for &kind in transition.emits {
            data.push(match (kind, &change) {
                (EventType::DraftStarted, _) => EventData::DraftStarted {
                    draft: draft.clone(),
                },
                (
                    EventType::DraftPickMade,
                    Change::Pick {
                        index,
                        team,
                        player,
                        ..
                    },
                )
                | (
                    EventType::DraftAutopicked,
                    Change::Pick {
                        index,
                        team,
                        player,
                        ..
                    },
                ) => {
                    let (pick, team, player) = (
                        pick_number(*index),
                        *team,
                        self.settings.pool()[*player].id.clone(),
                    );
                    if kind == EventType::DraftPickMade {
                        EventData::DraftPickMade {
                            draft: draft.clone(),
                            pick,
                            team,
                            player,
                        }
                    } else {
                        EventData::DraftAutopicked {
                            draft: draft.clone(),
                            pick,
                            team,
                            player,
                        }
                    }
                }
                (EventType::DraftCompleted, _) => EventData::DraftCompleted {
                    draft: draft.clone(),
                },
                (EventType::DraftPaused, _) => EventData::DraftPaused {
                    draft: draft.clone(),
                },
                (EventType::DraftResumed, _) => EventData::DraftResumed {
                    draft: draft.clone(),
                },
                (EventType::DraftPickUndone, Change::Undo { team, player }) => {
                    EventData::DraftPickUndone {
                        draft: draft.clone(),
                        pick: pick_number(self.picks.len().saturating_sub(1)),
                        team: *team,
                        player: self.settings.pool()[*player].id.clone(),
                    }
                }
                (EventType::DraftPicksTraded, Change::Trade { picks }) => {
                    EventData::DraftPicksTraded {
                        draft: draft.clone(),
                        picks: [pick_number(picks[0]), pick_number(picks[1])],
                        // After the swap each pick belongs to the other's owner.
                        teams: [self.order[picks[1]], self.order[picks[0]]],
                    }
                }
                (EventType::DraftQueueSet, Change::Queue { team, players }) => {
                    EventData::DraftQueueSet {
                        draft: draft.clone(),
                        team: *team,
                        players: players.clone(),
                    }
                }
                (kind, _) => {
                    return Err(DraftError::UnexpectedEvent {
                        action: step.action().to_string(),
                        event: kind.to_string(),
                    })
                }
            });
        }
        let events = data
            .into_iter()
            .enumerate()
            .map(|(index, data)| {
                Ok(Event {
                    id: EventId::new(format!("draft:{draft}:{version}:{index}"))
                        .map_err(|_| DraftError::IdTooLong { id: draft.clone() })?,
                    timestamp: now,
                    version,
                    data,
                })
            })
            .collect::<Result<Vec<Event>, DraftError>>()?;
        self.commit(change, now);
        self.state = transition.to;
        self.version = version;
        Ok(events)
    }

    /// Checks `step` against the draft and says what it changes.
    fn decide(&self, step: &Step, now: DateTime<Utc>) -> Result<Change, DraftError> {
        let next = self.picks.len();
        Ok(match step {
            Step::Command(Command::Start) => Change::Clock,
            Step::Command(Command::Pause) => Change::Clock,
            Step::Command(Command::Resume) => Change::Clock,
            Step::Command(Command::Pick { pick, team, player }) => {
                let expected = pick_number(next);
                if *pick != expected {
                    return Err(DraftError::WrongPick {
                        expected,
                        got: *pick,
                    });
                }
                let owner = self.owner(next)?;
                if *team != owner {
                    return Err(DraftError::NotOnTheClock {
                        pick: *pick,
                        team: *team,
                        owner,
                    });
                }
                let index = self.available(owner, player)?;
                Change::Pick {
                    index: next,
                    team: owner,
                    player: index,
                    auto: false,
                }
            }
            Step::Command(Command::Timeout { sequence }) => {
                let team = self.due(*sequence, now)?;
                let player = self
                    .choose(team)
                    .ok_or(DraftError::NoEligiblePlayer { team })?;
                Change::Pick {
                    index: next,
                    team,
                    player,
                    auto: true,
                }
            }
            Step::Autopick { sequence, player } => {
                let team = self.due(*sequence, now)?;
                let player = self.available(team, player)?;
                Change::Pick {
                    index: next,
                    team,
                    player,
                    auto: true,
                }
            }
            Step::Command(Command::Undo) => {
                // The table's `a_pick_made` guard already refused an undo without picks.
                let last = self.picks.last().ok_or(DraftError::Lifecycle(
                    LifecycleError::GuardFailed {
                        machine: DraftLifecycle::NAME,
                        state: self.state.to_string(),
                        action: DraftAction::Undo.to_string(),
                        guard: "a_pick_made",
                    },
                ))?;
                let player = self.settings.index_of(&last.player).ok_or_else(|| {
                    DraftError::UnknownPlayer {
                        player: last.player.clone(),
                    }
                })?;
                Change::Undo {
                    team: last.team,
                    player,
                }
            }
            Step::Command(Command::Trade { picks }) => {
                let total = self.settings.total_picks();
                // While a pick is on the clock, only the ones after it are still to come.
                let first = match self.state {
                    DraftState::Scheduled => 0,
                    _ => next + 1,
                };
                let mut indices = [0usize; 2];
                for (slot, &pick) in indices.iter_mut().zip(picks) {
                    if pick == 0 || pick > total {
                        return Err(DraftError::PickOutOfRange { pick, total });
                    }
                    let index = pick as usize - 1;
                    if index < first {
                        return Err(DraftError::PickNotFuture {
                            pick,
                            first_tradable: pick_number(first),
                        });
                    }
                    *slot = index;
                }
                let (a, b) = (self.owner(indices[0])?, self.owner(indices[1])?);
                if a == b {
                    return Err(DraftError::SameTeam {
                        picks: *picks,
                        team: a,
                    });
                }
                Change::Trade { picks: indices }
            }
            Step::Command(Command::SetQueue { team, players }) => {
                let teams = self.settings.teams();
                if *team >= teams {
                    return Err(DraftError::UnknownTeam { team: *team, teams });
                }
                let mut seen = std::collections::BTreeSet::new();
                for player in players {
                    if self.settings.index_of(player).is_none() {
                        return Err(DraftError::UnknownPlayer {
                            player: player.clone(),
                        });
                    }
                    if !seen.insert(player) {
                        return Err(DraftError::DuplicateInQueue {
                            team: *team,
                            player: player.clone(),
                        });
                    }
                }
                Change::Queue {
                    team: *team,
                    players: players.clone(),
                }
            }
        })
    }

    /// Applies a decided change. Infallible: [`Draft::decide`] checked everything.
    fn commit(&mut self, change: Change, now: DateTime<Utc>) {
        let clock = PickClock {
            seconds_per_pick: self.settings.seconds_per_pick(),
        };
        let positions = self.settings.position_count();
        match change {
            Change::Clock => {
                self.clock = Some(match (self.state, self.clock) {
                    (DraftState::Scheduled, _) | (_, None) => clock.start(now),
                    (DraftState::InProgress, Some(running)) => running.pause(now),
                    (_, Some(paused)) => paused.resume(now),
                });
                self.sequence += 1;
            }
            Change::Pick {
                index,
                team,
                player,
                auto,
            } => {
                self.taken[player] = Some(index as u32);
                self.held[team as usize * positions + self.settings.position_of(player)] += 1;
                let number = pick_number(index);
                self.picks.push(Pick {
                    number,
                    round: round_of(index, self.settings.teams()),
                    team,
                    player: self.settings.pool()[player].id.clone(),
                    auto,
                    at: now,
                });
                self.clock = (self.picks.len() < self.order.len()).then(|| clock.start(now));
                self.sequence += 1;
            }
            Change::Undo { team, player } => {
                self.picks.pop();
                self.taken[player] = None;
                let held =
                    &mut self.held[team as usize * positions + self.settings.position_of(player)];
                *held = held.saturating_sub(1);
                let fresh = clock.start(now);
                self.clock = Some(if self.state == DraftState::Paused {
                    fresh.pause(now)
                } else {
                    fresh
                });
                self.sequence += 1;
            }
            Change::Trade { picks } => self.order.swap(picks[0], picks[1]),
            Change::Queue { team, players } => self.queues[team as usize] = players,
        }
    }

    fn owner(&self, index: usize) -> Result<u32, DraftError> {
        self.order
            .get(index)
            .copied()
            .ok_or(DraftError::PickOutOfRange {
                pick: pick_number(index),
                total: self.settings.total_picks(),
            })
    }

    /// The team on the clock, if a timeout with `sequence` at `now` is due.
    fn due(&self, sequence: u64, now: DateTime<Utc>) -> Result<u32, DraftError> {
        if sequence != self.sequence {
            return Err(DraftError::StaleTimeout {
                sequence,
                current: self.sequence,
            });
        }
        if let Some(ClockState::Running { deadline }) = self.clock {
            if now < deadline {
                return Err(DraftError::NotDue { deadline });
            }
        }
        self.owner(self.picks.len())
    }

    /// The pool index of `player` if `team` may take them.
    fn available(&self, team: u32, player: &ParticipantId) -> Result<usize, DraftError> {
        let index = self
            .settings
            .index_of(player)
            .ok_or_else(|| DraftError::UnknownPlayer {
                player: player.clone(),
            })?;
        if let Some(pick) = self.taken[index] {
            return Err(DraftError::PlayerTaken {
                player: player.clone(),
                pick: pick + 1,
            });
        }
        let position = self.settings.position_of(index);
        if !self.position_fits(team, position) {
            return Err(DraftError::NoRosterSlot {
                team,
                player: player.clone(),
                position: self.settings.pool()[index].position.to_string(),
            });
        }
        Ok(index)
    }

    /// Whether one more player of `position` keeps the roster of `team` completable: below
    /// the position's maximum, and the starters still missing fit in the picks left.
    fn position_fits(&self, team: u32, position: usize) -> bool {
        let positions = self.settings.position_count();
        let start = team as usize * positions;
        let Some(held) = self.held.get(start..start + positions) else {
            return false;
        };
        let limits = self.settings.maximums();
        let starters = self.settings.starters();
        if held[position] >= limits[position] {
            return false;
        }
        // Roster places this team would need if it took the player: every position counts
        // its players or its starters, whichever is more.
        let needed: u64 = (0..positions)
            .map(|p| {
                let count = held[p] + u32::from(p == position);
                u64::from(count.max(starters[p]))
            })
            .sum();
        needed <= u64::from(self.settings.rounds())
    }

    /// Auto-pick's choice for `team`, as a pool index.
    fn choose(&self, team: u32) -> Option<usize> {
        let positions = self.settings.position_count();
        let fits: Vec<bool> = (0..positions)
            .map(|p| self.position_fits(team, p))
            .collect();
        let usable =
            |index: usize| self.taken[index].is_none() && fits[self.settings.position_of(index)];
        self.queues
            .get(team as usize)
            .into_iter()
            .flatten()
            .filter_map(|id| self.settings.index_of(id))
            .find(|&index| usable(index))
            .or_else(|| {
                self.settings
                    .by_rank()
                    .iter()
                    .copied()
                    .find(|&index| usable(index))
            })
    }
}

/// The stored form of a [`Draft`], written.
#[derive(Serialize)]
struct DraftDocumentRef<'a> {
    settings: &'a DraftSettings,
    state: DraftState,
    version: u64,
    order: &'a [u32],
    picks: &'a [Pick],
    queues: &'a [Vec<ParticipantId>],
    clock: Option<ClockState>,
    sequence: u64,
}

/// The stored form of a [`Draft`], read.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DraftDocument {
    settings: DraftSettings,
    state: DraftState,
    version: u64,
    order: Vec<u32>,
    picks: Vec<Pick>,
    queues: Vec<Vec<ParticipantId>>,
    clock: Option<ClockState>,
    sequence: u64,
}

impl Serialize for Draft {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        DraftDocumentRef {
            settings: &self.settings,
            state: self.state,
            version: self.version,
            order: &self.order,
            picks: &self.picks,
            queues: &self.queues,
            clock: self.clock,
            sequence: self.sequence,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Draft {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let document = DraftDocument::deserialize(deserializer)?;
        Draft::from_document(document).map_err(serde::de::Error::custom)
    }
}

/// A command, or an auto-pick being replayed with the player its event names.
#[derive(Debug, Clone)]
enum Step {
    Command(Command),
    Autopick {
        sequence: u64,
        player: ParticipantId,
    },
}

impl Step {
    fn action(&self) -> DraftAction {
        match self {
            Step::Command(command) => command.action(),
            Step::Autopick { .. } => DraftAction::Autopick,
        }
    }
}

/// A decided change.
#[derive(Debug)]
enum Change {
    /// Start, pause or resume: only the clock changes.
    Clock,
    /// Pick `index` (0-based) by `team` of pool player `player`.
    Pick {
        index: usize,
        team: u32,
        player: usize,
        auto: bool,
    },
    /// Take back the last pick.
    Undo { team: u32, player: usize },
    /// Swap the owners of two picks (0-based).
    Trade { picks: [usize; 2] },
    /// Replace a queue.
    Queue {
        team: u32,
        players: Vec<ParticipantId>,
    },
}

/// The 1-based number of 0-based pick `index` (picks are at most 100,000).
fn pick_number(index: usize) -> u32 {
    u32::try_from(index).map_or(u32::MAX, |i| i.saturating_add(1))
}

/// The 1-based round of 0-based pick `index`.
fn round_of(index: usize, teams: u32) -> u32 {
    u32::try_from(index).map_or(u32::MAX, |i| i / teams.max(1) + 1)
}
