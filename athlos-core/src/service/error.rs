//! The error of the use cases.

use thiserror::Error;

use crate::bracket::{Format, MatchId, MatchResult, MatchStatus};
use crate::chess::{Ending, GameError};
use crate::model::ParticipantId;

/// A use case the service layer refuses for a reason other than a lifecycle rule.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// No competition with this id.
    #[error("unknown competition \"{id}\"")]
    UnknownCompetition {
        /// The id.
        id: String,
    },
    /// No division with this id.
    #[error("unknown division \"{id}\"")]
    UnknownDivision {
        /// The id.
        id: String,
    },
    /// No tournament with this id.
    #[error("unknown tournament \"{id}\"")]
    UnknownTournament {
        /// The id.
        id: String,
    },
    /// A division that belongs to another competition.
    #[error("division \"{division}\" is not in competition \"{competition}\"")]
    WrongCompetition {
        /// The division.
        division: String,
        /// The competition.
        competition: String,
    },
    /// The field may not change once the bracket is locked.
    #[error("division \"{division}\" is {state}: its field can no longer change")]
    FieldFrozen {
        /// The division.
        division: String,
        /// Its state.
        state: String,
    },
    /// A division without a bracket.
    #[error("division \"{division}\" has no bracket")]
    NoBracket {
        /// The division.
        division: String,
    },
    /// A stored version whose blob is missing.
    #[error("blob {hash} of version {version} is missing")]
    MissingBlob {
        /// The version.
        version: u32,
        /// Its hash.
        hash: String,
    },
    /// The `current` tag moves only before the bracket is locked.
    #[error("tag current of division \"{division}\" cannot move: the bracket is {state}")]
    CurrentFrozen {
        /// The division.
        division: String,
        /// Its state.
        state: String,
    },
    /// An entry joining twice.
    #[error("\"{participant}\" is already entered in \"{tournament}\"")]
    AlreadyEntered {
        /// The tournament.
        tournament: String,
        /// The entry.
        participant: ParticipantId,
    },
    /// An entry that is not registered.
    #[error("\"{participant}\" is not entered in \"{tournament}\"")]
    NotEntered {
        /// The tournament.
        tournament: String,
        /// The entry.
        participant: ParticipantId,
    },
    /// A result for a match outside the current round, or one that is not pending play.
    #[error("match {match_id} cannot take a result in round {round}: it is {status} in round {match_round}")]
    NotInCurrentRound {
        /// The match.
        match_id: MatchId,
        /// The current round.
        round: u32,
        /// The match's round.
        match_round: u32,
        /// Its status.
        status: MatchStatus,
    },
    /// A tournament format that is not played round by round yet.
    #[error("tournaments cannot be played as {format} yet: use single_elimination, round_robin or swiss rules")]
    UnsupportedFormat {
        /// The format.
        format: Format,
    },
    /// Swiss rules asking for no rounds.
    #[error("tournament \"{id}\" is a Swiss of 0 rounds: ask for at least 1")]
    NoRounds {
        /// The tournament.
        id: String,
    },
    /// A Swiss-only request for a tournament that is not a started Swiss.
    #[error("tournament \"{id}\" is not a started Swiss")]
    NotSwiss {
        /// The tournament.
        id: String,
    },
    /// No draft with this id.
    #[error("unknown draft \"{id}\"")]
    UnknownDraft {
        /// The id.
        id: String,
    },
    /// A draft's managers do not name one principal (or none) per team.
    #[error("draft \"{id}\" has {teams} teams but {managers} managers were given")]
    Managers {
        /// The draft.
        id: String,
        /// Its teams.
        teams: u32,
        /// The managers given.
        managers: usize,
    },
    /// A transition emitted an event type its use case does not build (a table/service
    /// mismatch).
    #[error("{action} emitted {event}, which its use case does not build")]
    UnexpectedEvent {
        /// The action.
        action: String,
        /// The event type.
        event: String,
    },
    /// A result for a match that already has a different one, without `correction`: the
    /// recorded result stands.
    #[error(
        "match {match_id} already has a result; send the request as a correction to replace it"
    )]
    ResultExists {
        /// The match.
        match_id: MatchId,
        /// The result recorded.
        recorded: MatchResult,
    },
    /// A write that expected another version of the aggregate (`If-Match`): someone changed
    /// it since the writer read it. Nothing was written.
    #[error("expected version {expected}, but the current version is {current}: reload and retry")]
    PreconditionFailed {
        /// The version the writer expected.
        expected: u64,
        /// The current version.
        current: u64,
    },
    /// A create under an id that is in use, or that a deleted aggregate of another director
    /// keeps reserved.
    #[error("{aggregate} already exists")]
    IdTaken {
        /// The aggregate, e.g. `tournament:spring-open`.
        aggregate: String,
    },
    /// A tournament's `max_entries` is below its `min_entries`.
    #[error("max_entries {max} is below min_entries {min}")]
    EntryLimits {
        /// The minimum asked for.
        min: usize,
        /// The maximum asked for.
        max: usize,
    },
    /// A team to register breaks a rule (an empty name, no members, a repeated member …).
    #[error("invalid team: {reason}")]
    InvalidTeam {
        /// What is wrong.
        reason: String,
    },
    /// A member of a team to register is already on another team of the tournament.
    #[error(
        "\"{member}\" is already on team \"{team}\" of \"{tournament}\": one team per tournament"
    )]
    OnAnotherTeam {
        /// The tournament.
        tournament: String,
        /// The member.
        member: String,
        /// The team they are on.
        team: ParticipantId,
    },
    /// The tournament has no team with this id.
    #[error("tournament \"{tournament}\" has no team \"{team}\"")]
    UnknownTeam {
        /// The tournament.
        tournament: String,
        /// The team asked for.
        team: ParticipantId,
    },
    /// No run (job) with this id.
    #[error("unknown run {id}")]
    UnknownRun {
        /// The id.
        id: u64,
    },
    /// A run of a kind that cannot be submitted.
    #[error("unknown run kind \"{kind}\": the kinds are {known}")]
    UnknownRunKind {
        /// The kind asked for.
        kind: String,
        /// The kinds there are, comma-separated.
        known: String,
    },
    /// A run's target that its kind does not work on.
    #[error("a {kind} run works on {expected}, not \"{target}\"")]
    RunTarget {
        /// The run's kind.
        kind: String,
        /// The target given.
        target: String,
        /// What it works on (`division:<id>`).
        expected: String,
    },
    /// A tournament's log that does not reproduce its state (a replay run's failure).
    #[error("the log of tournament \"{tournament}\" does not reproduce its state: {divergence}")]
    ReplayDiverged {
        /// The tournament.
        tournament: String,
        /// Where the replay parted from the log or the state.
        divergence: String,
    },
    /// A run's options its kind does not take.
    #[error("options of a {kind} run: {reason}")]
    RunOptions {
        /// The run's kind.
        kind: String,
        /// What is wrong.
        reason: String,
    },
    /// A board game's end reported for a game that is not the one recorded for its match.
    #[error("game {game_id} is not the board game of match {match_id} of tournament {tournament}")]
    UnknownBoardGame {
        /// The tournament.
        tournament: String,
        /// The match.
        match_id: MatchId,
        /// The game reported.
        game_id: String,
    },
    /// The moves reported with a board game's end are not a legal game from the initial
    /// position.
    #[error("the moves of match {match_id} are not a legal game: {error}")]
    IllegalGame {
        /// The match.
        match_id: MatchId,
        /// The first move refused, and why.
        error: GameError,
    },
    /// A board game's result that its moves contradict: a checkmate is a win for the side
    /// that gave it, a stalemate a draw.
    #[error("the moves of match {match_id} end in {ending}: the result must be {expected}")]
    ResultAgainstBoard {
        /// The match.
        match_id: MatchId,
        /// How the moves end.
        ending: Ending,
        /// The result they call for, in words (`a win for White`, `a draw`).
        expected: String,
    },
    /// A stored document could not be serialized or parsed.
    #[error("stored document is invalid: {reason}")]
    Document {
        /// The parser's message.
        reason: String,
    },
}

crate::codes::error_codes! {
ServiceError {
    UnknownCompetition => "unknown_competition", NotFound;
    UnknownDivision => "unknown_division", NotFound;
    UnknownTournament => "unknown_tournament", NotFound;
    WrongCompetition => "wrong_competition", NotFound;
    FieldFrozen => "field_frozen", Conflict;
    NoBracket => "no_bracket", Conflict;
    MissingBlob => "missing_blob", Internal;
    CurrentFrozen => "current_frozen", Conflict;
    AlreadyEntered => "already_entered", Conflict;
    NotEntered => "not_entered", Conflict;
    NotInCurrentRound => "not_in_current_round", Conflict;
    UnsupportedFormat => "unsupported_format", Invalid;
    NoRounds => "no_rounds", Invalid;
    NotSwiss => "not_swiss", Conflict;
    UnknownDraft => "unknown_draft", NotFound;
    Managers => "managers", Invalid;
    UnexpectedEvent => "unexpected_event", Internal;
    ResultExists => "result_exists", Conflict;
    PreconditionFailed => "precondition_failed", PreconditionFailed;
    IdTaken => "id_taken", Conflict;
    Document => "document", Internal;
    EntryLimits => "entry_limits", Invalid;
    InvalidTeam => "invalid_team", Invalid;
    OnAnotherTeam => "on_another_team", Conflict;
    UnknownTeam => "unknown_team", NotFound;
    UnknownBoardGame => "unknown_board_game", NotFound;
    UnknownRun => "unknown_run", NotFound;
    UnknownRunKind => "unknown_run_kind", Invalid;
    RunTarget => "run_target", Invalid;
    RunOptions => "run_options", Invalid;
    ReplayDiverged => "replay_diverged", Conflict;
    IllegalGame => "illegal_game", Invalid;
    ResultAgainstBoard => "result_against_board", Invalid;
}
}
