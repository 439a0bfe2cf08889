//! The error of drafts.

use chrono::{DateTime, Utc};
use thiserror::Error;

use crate::id::DraftId;
use crate::lifecycle::LifecycleError;
use crate::model::ParticipantId;

/// Invalid draft settings, a refused draft command, or an event log that does not replay.
///
/// A refused command leaves the draft unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DraftError {
    /// The number of teams is out of range.
    #[error("a draft needs 1 to {max} teams, got {teams}")]
    Teams {
        /// The number given.
        teams: u32,
        /// The largest number allowed.
        max: u32,
    },
    /// The number of rounds is out of range.
    #[error("a draft needs 1 to {max} rounds, got {rounds}")]
    Rounds {
        /// The number given.
        rounds: u32,
        /// The largest number allowed.
        max: u32,
    },
    /// A pick clock of zero seconds.
    #[error("the pick clock needs at least 1 second per pick")]
    ZeroPickTime,
    /// A position name that is empty, too long or contains whitespace or control characters.
    #[error(
        "invalid position {text:?}: must be 1-32 bytes without whitespace or control characters"
    )]
    InvalidPosition {
        /// The refused text.
        text: String,
    },
    /// The roster names no position.
    #[error("the roster names no position")]
    EmptyRoster,
    /// A position listed twice in the roster.
    #[error("position {position} is listed twice in the roster")]
    DuplicatePosition {
        /// The position.
        position: String,
    },
    /// More starters than rounds.
    #[error("the roster has {starters} starters but the draft only {rounds} rounds")]
    StartersExceedRounds {
        /// Starters over all positions.
        starters: u32,
        /// Rounds.
        rounds: u32,
    },
    /// A position's maximum below its starters.
    #[error("position {position} allows at most {max} players but needs {starters} starters")]
    MaxBelowStarters {
        /// The position.
        position: String,
        /// The maximum.
        max: u32,
        /// The starters.
        starters: u32,
    },
    /// The position maximums cannot fill a roster.
    #[error("the position maximums allow {capacity} players, fewer than the {rounds} rounds")]
    RosterTooSmall {
        /// Sum of the maximums.
        capacity: u64,
        /// Rounds.
        rounds: u32,
    },
    /// Two players of the pool share an id.
    #[error("player \"{player}\" is in the pool twice")]
    DuplicatePlayer {
        /// The id.
        player: ParticipantId,
    },
    /// A player whose position the roster does not name.
    #[error("player \"{player}\" plays {position}, which the roster does not name")]
    UnknownPosition {
        /// The player.
        player: ParticipantId,
        /// The position.
        position: String,
    },
    /// Too few players of a position to guarantee that every team can always pick.
    #[error("position {position} has {players} players; {needed} are needed (teams × its maximum): add players or lower its max")]
    ShortSupply {
        /// The position.
        position: String,
        /// Players of that position in the pool.
        players: u64,
        /// Players needed.
        needed: u64,
    },
    /// A draft id too long to build event ids from.
    #[error("draft id \"{id}\" is too long: at most 170 bytes")]
    IdTooLong {
        /// The id.
        id: DraftId,
    },
    /// The lifecycle does not allow the command now.
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
    /// A pick for another pick number than the one on the clock.
    #[error("pick {got} is not on the clock: pick {expected} is")]
    WrongPick {
        /// The pick on the clock, from 1.
        expected: u32,
        /// The pick named.
        got: u32,
    },
    /// A team picking out of turn.
    #[error("team {team} does not own pick {pick}: team {owner} does")]
    NotOnTheClock {
        /// The pick, from 1.
        pick: u32,
        /// The team that tried.
        team: u32,
        /// The team that owns the pick.
        owner: u32,
    },
    /// A player not in the pool.
    #[error("player \"{player}\" is not in the pool")]
    UnknownPlayer {
        /// The id.
        player: ParticipantId,
    },
    /// A player already drafted.
    #[error("player \"{player}\" was taken with pick {pick}")]
    PlayerTaken {
        /// The player.
        player: ParticipantId,
        /// The pick that took them, from 1.
        pick: u32,
    },
    /// A player whose position no open roster slot of the team can take.
    #[error("team {team} has no open roster slot for \"{player}\" ({position})")]
    NoRosterSlot {
        /// The team.
        team: u32,
        /// The player.
        player: ParticipantId,
        /// The player's position.
        position: String,
    },
    /// A timeout armed for an earlier clock: another command came first.
    #[error("timeout for clock {sequence} is stale: the clock is now {current}")]
    StaleTimeout {
        /// The sequence the timeout carried.
        sequence: u64,
        /// The current clock sequence.
        current: u64,
    },
    /// A timeout before the deadline.
    #[error("pick clock runs until {deadline}: the timeout is early")]
    NotDue {
        /// The deadline.
        deadline: DateTime<Utc>,
    },
    /// No available player fits the team's roster (settings validation rules this out).
    #[error("no available player fits an open roster slot of team {team}")]
    NoEligiblePlayer {
        /// The team.
        team: u32,
    },
    /// A team index outside the draft.
    #[error("team {team} is not in the draft of {teams} teams")]
    UnknownTeam {
        /// The index, from 0.
        team: u32,
        /// Teams in the draft.
        teams: u32,
    },
    /// A pick number outside the draft.
    #[error("pick {pick} is not in the draft of {total} picks")]
    PickOutOfRange {
        /// The pick named, from 1.
        pick: u32,
        /// Picks in the draft.
        total: u32,
    },
    /// A trade of a pick made or on the clock.
    #[error("pick {pick} cannot be traded: only picks from {first_tradable} on are still to come")]
    PickNotFuture {
        /// The pick named.
        pick: u32,
        /// The first pick that may be traded.
        first_tradable: u32,
    },
    /// A trade between picks of one team.
    #[error("picks {picks:?} both belong to team {team}: a trade needs two teams")]
    SameTeam {
        /// The picks.
        picks: [u32; 2],
        /// Their owner.
        team: u32,
    },
    /// A queue naming a player twice.
    #[error("the queue of team {team} names \"{player}\" twice")]
    DuplicateInQueue {
        /// The team.
        team: u32,
        /// The player.
        player: ParticipantId,
    },
    /// A transition of the draft table emitted an event type its command does not build (a
    /// table/engine mismatch).
    #[error("{action} emitted {event}, which the draft does not build for it")]
    UnexpectedEvent {
        /// The action.
        action: String,
        /// The event type.
        event: String,
    },
    /// A stored draft document that is not a draft the commands could have made.
    #[error("invalid draft document: {reason}")]
    InvalidDocument {
        /// What is wrong.
        reason: String,
    },
    /// An event of the log that does not belong to this draft or does not follow from it.
    #[error("event {index} of the log does not replay: {reason}")]
    Replay {
        /// Its index in the log, from 0.
        index: usize,
        /// Why.
        reason: String,
    },
}

crate::codes::error_codes! {
DraftError {
    Teams => "teams", Invalid;
    Rounds => "rounds", Invalid;
    ZeroPickTime => "zero_pick_time", Invalid;
    InvalidPosition => "invalid_position", Invalid;
    EmptyRoster => "empty_roster", Invalid;
    DuplicatePosition => "duplicate_position", Invalid;
    StartersExceedRounds => "starters_exceed_rounds", Invalid;
    MaxBelowStarters => "max_below_starters", Invalid;
    RosterTooSmall => "roster_too_small", Invalid;
    DuplicatePlayer => "duplicate_player", Invalid;
    UnknownPosition => "unknown_position", Invalid;
    ShortSupply => "short_supply", Invalid;
    IdTooLong => "id_too_long", Invalid;
    Lifecycle => "lifecycle", Conflict;
    WrongPick => "wrong_pick", Conflict;
    NotOnTheClock => "not_on_the_clock", Conflict;
    UnknownPlayer => "unknown_player", Invalid;
    PlayerTaken => "player_taken", Conflict;
    NoRosterSlot => "no_roster_slot", Invalid;
    StaleTimeout => "stale_timeout", Conflict;
    NotDue => "not_due", Conflict;
    NoEligiblePlayer => "no_eligible_player", Internal;
    UnknownTeam => "unknown_team", NotFound;
    PickOutOfRange => "pick_out_of_range", Invalid;
    PickNotFuture => "pick_not_future", Conflict;
    SameTeam => "same_team", Invalid;
    DuplicateInQueue => "duplicate_in_queue", Invalid;
    UnexpectedEvent => "unexpected_event", Internal;
    InvalidDocument => "invalid_document", Invalid;
    Replay => "replay", Invalid;
}
}
