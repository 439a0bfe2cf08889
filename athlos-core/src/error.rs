//! Errors of the core, one enum per area gathered in [`Error`](enum@Error).

use thiserror::Error;

pub use crate::codes::ErrorKind;

use chrono::{DateTime, Utc};

use crate::bracket::{Format, MatchId, MatchResult, MatchStatus};
use crate::id::DraftId;
use crate::model::ParticipantId;
use crate::store::JobId;

/// Any error the core returns.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// Invalid participants or ids.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A draw or seeding could not be made.
    #[error(transparent)]
    Seeding(#[from] SeedingError),
    /// A field of participants could not be read.
    #[error(transparent)]
    Import(#[from] crate::import::ImportError),
    /// A bracket could not be built or a result could not be applied.
    #[error(transparent)]
    Bracket(#[from] BracketError),
    /// An action the lifecycle does not allow now.
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
    /// A version, tag or patch problem.
    #[error(transparent)]
    Version(#[from] VersionError),
    /// A diff or preview problem.
    #[error(transparent)]
    Diff(#[from] DiffError),
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A use case of the service layer was refused.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// A TRF file could not be read.
    #[error(transparent)]
    Trf(#[from] crate::trf::TrfError),
    /// A Swiss round could not be paired.
    #[error(transparent)]
    Swiss(#[from] crate::swiss::SwissError),
    /// A tie-break could not be computed.
    #[error(transparent)]
    Tiebreak(#[from] crate::tiebreak::TiebreakError),
    /// Draft settings were invalid or a draft command was refused.
    #[error(transparent)]
    Draft(#[from] DraftError),
}

impl Error {
    /// The stable snake_case code of this error: the code of the area's error inside (a
    /// lifecycle refusal of a draft is the lifecycle's `invalid_transition` or
    /// `guard_failed`; an unreadable TRF file is `trf_error`).
    pub fn code(&self) -> &'static str {
        self.code_and_kind().0
    }

    /// What kind of refusal or failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.code_and_kind().1
    }

    fn code_and_kind(&self) -> (&'static str, ErrorKind) {
        match self {
            Error::Model(e) => (e.code(), e.kind()),
            Error::Seeding(e) => (e.code(), e.kind()),
            Error::Import(e) => (e.code(), e.kind()),
            Error::Bracket(e) => (e.code(), e.kind()),
            Error::Lifecycle(e) | Error::Draft(DraftError::Lifecycle(e)) => (e.code(), e.kind()),
            Error::Version(e) => (e.code(), e.kind()),
            Error::Diff(e) => (e.code(), e.kind()),
            Error::Store(e) => (e.code(), e.kind()),
            Error::Service(e) => (e.code(), e.kind()),
            Error::Trf(_) => ("trf_error", ErrorKind::Invalid),
            Error::Swiss(e) => (e.code(), e.kind()),
            Error::Tiebreak(e) => (e.code(), e.kind()),
            Error::Draft(e) => (e.code(), e.kind()),
        }
    }
}

/// Shorthand for results with the core's [`Error`](enum@Error).
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Invalid participants or ids.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ModelError {
    /// An id is empty, too long or contains control characters.
    #[error("invalid {kind} id {id:?}: must be 1-200 bytes without control characters")]
    InvalidId {
        /// What the id names (`participant`, `event`, `division`, `tournament` …).
        kind: &'static str,
        /// The refused id.
        id: String,
    },
    /// Two participants share an id.
    #[error("duplicate participant id \"{id}\"")]
    DuplicateId {
        /// The repeated id.
        id: ParticipantId,
    },
    /// Two participants share an explicit seed.
    #[error("seed {seed} given to both \"{first}\" and \"{second}\"")]
    DuplicateSeed {
        /// The repeated seed.
        seed: u32,
        /// The first holder.
        first: ParticipantId,
        /// The second holder.
        second: ParticipantId,
    },
    /// A seed of 0 (seeds start at 1).
    #[error("participant \"{id}\" has seed 0; seeds start at 1")]
    InvalidSeed {
        /// The participant.
        id: ParticipantId,
    },
    /// Fewer than two participants.
    #[error("a competition needs at least 2 participants, got {count}")]
    TooFewParticipants {
        /// How many were given.
        count: usize,
    },
}

/// A draw or seeding could not be made.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SeedingError {
    /// `max_seeds` asks for more seeds than there are entries.
    #[error("max_seeds {max_seeds} is larger than the {entries} entries")]
    TooManySeeds {
        /// The requested number of seeds.
        max_seeds: usize,
        /// The number of entries.
        entries: usize,
    },
    /// The field is larger than a bracket may be.
    #[error("{entries} entries exceed the maximum bracket size of {max}")]
    TooLarge {
        /// The number of entries.
        entries: usize,
        /// The limit.
        max: usize,
    },
    /// An ordering name is unknown.
    #[error("unknown ordering {name:?}; expected one of natural, reverse, half_shift, reverse_half_shift, pair_flip, inner_outer")]
    UnknownOrdering {
        /// The refused name.
        name: String,
    },
    /// An ordering needs a list of even length (a power of two for `inner_outer`).
    #[error("ordering {ordering} cannot arrange {len} slots")]
    BadOrderingLength {
        /// The ordering.
        ordering: &'static str,
        /// The list length.
        len: usize,
    },
}

/// A bracket could not be built, or a result, withdrawal or document could not be applied.
///
/// Every operation that returns this error leaves the bracket unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BracketError {
    /// The field itself is invalid (fewer than two entries, duplicate ids or seeds).
    #[error("invalid field: {0}")]
    Field(#[source] ModelError),
    /// The first-round slot list does not have a power-of-two length of at least 2.
    #[error("first-round slots must be a power of two of at least 2, got {len}")]
    SlotCount {
        /// The length given.
        len: usize,
    },
    /// The slot list is shorter than the field.
    #[error("{slots} first-round slots cannot hold {entries} entries")]
    TooFewSlots {
        /// The number of slots.
        slots: usize,
        /// The number of entries.
        entries: usize,
    },
    /// A slot names someone who is not in the field.
    #[error("first-round slot {slot} names \"{participant}\", who is not in the field")]
    UnknownEntrant {
        /// The 1-based slot.
        slot: usize,
        /// The unknown id.
        participant: ParticipantId,
    },
    /// Someone is placed in two slots.
    #[error("\"{participant}\" is placed in first-round slots {first} and {second}")]
    DuplicateEntrant {
        /// The participant.
        participant: ParticipantId,
        /// The first 1-based slot.
        first: usize,
        /// The second 1-based slot.
        second: usize,
    },
    /// Someone in the field has no slot.
    #[error("\"{participant}\" is in the field but in no first-round slot")]
    MissingEntrant {
        /// The participant.
        participant: ParticipantId,
    },
    /// The field is larger than a bracket may be.
    #[error("{entries} entries exceed the maximum of {max} for {format}")]
    TooLarge {
        /// The format.
        format: Format,
        /// The number of entries.
        entries: usize,
        /// The limit.
        max: usize,
    },
    /// The builder called cannot make this format.
    #[error("format {format} is not built by {builder}")]
    WrongBuilder {
        /// The requested format.
        format: Format,
        /// The builder called (`elimination` or `round_robin`).
        builder: &'static str,
    },
    /// An option that the format does not support.
    #[error("{option} is not supported with {format}")]
    UnsupportedOption {
        /// The format.
        format: Format,
        /// The option.
        option: &'static str,
    },
    /// The number of pools does not fit the field.
    #[error("{groups} pools cannot be made from {entries} entries")]
    PoolCount {
        /// The requested number of pools.
        groups: u32,
        /// The number of entries.
        entries: usize,
    },
    /// A pool would be larger than a pool may be.
    #[error("a pool of {size} exceeds the maximum of {max}; use more pools")]
    PoolTooLarge {
        /// The size of the largest pool.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// More qualifiers per pool than the smallest pool holds, or none.
    #[error("{advance} qualifiers per pool do not fit pools of {smallest_pool}")]
    AdvanceCount {
        /// The requested qualifiers per pool.
        advance: u32,
        /// Size of the smallest pool.
        smallest_pool: usize,
    },
    /// No match has this id.
    #[error("unknown match {match_id}")]
    UnknownMatch {
        /// The id.
        match_id: MatchId,
    },
    /// A match id could not be parsed.
    #[error("invalid match id {text:?}")]
    InvalidMatchId {
        /// The refused text.
        text: String,
    },
    /// No participant has this id.
    #[error("unknown participant \"{participant}\"")]
    UnknownParticipant {
        /// The id.
        participant: ParticipantId,
    },
    /// A result for a match whose opponents are not both known yet.
    #[error("match {match_id} is not ready: its opponents are not both known")]
    MatchNotReady {
        /// The match.
        match_id: MatchId,
    },
    /// A result for a match that is decided without being played.
    #[error("match {match_id} is not played: it is {status}")]
    MatchNotPlayable {
        /// The match.
        match_id: MatchId,
        /// Its status.
        status: MatchStatus,
    },
    /// The named winner does not stand in the match.
    #[error("\"{participant}\" does not play in match {match_id}")]
    NotInMatch {
        /// The match.
        match_id: MatchId,
        /// The participant.
        participant: ParticipantId,
    },
    /// A draw in a match that must have a winner.
    #[error("match {match_id} is an elimination match and cannot be drawn")]
    DrawNotAllowed {
        /// The match.
        match_id: MatchId,
    },
    /// A correction that would change a match already played.
    #[error(
        "cannot change the result of {match_id}: {dependent}, which depends on it, has been played"
    )]
    DependentPlayed {
        /// The match whose result was to change.
        match_id: MatchId,
        /// The played match that depends on it.
        dependent: MatchId,
    },
    /// A participant withdrawn twice.
    #[error("\"{participant}\" has already withdrawn")]
    AlreadyWithdrawn {
        /// The participant.
        participant: ParticipantId,
    },
    /// Placements asked for before every match is decided.
    #[error("placements are not final: match {match_id} is {status}")]
    Incomplete {
        /// The first undecided match.
        match_id: MatchId,
        /// Its status.
        status: MatchStatus,
    },
    /// A stored bracket document that does not match what its own options and draw produce.
    #[error("bracket document is inconsistent at match {match_id}: {reason}")]
    InconsistentDocument {
        /// The first match that differs.
        match_id: MatchId,
        /// What differs.
        reason: &'static str,
    },
    /// A stored bracket document whose match list differs in length from its regenerated form.
    #[error("bracket document has {found} matches, its options and draw give {expected}")]
    MatchCount {
        /// Matches in the document.
        found: usize,
        /// Matches regenerated.
        expected: usize,
    },
}

/// An action a lifecycle refuses. Deciding is pure: nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum LifecycleError {
    /// The table has no rule for this action in this state.
    #[error("{machine} in state {state} does not allow {action}")]
    InvalidTransition {
        /// The machine (`bracket`, `tournament`, `match`, `draft`).
        machine: &'static str,
        /// The current state.
        state: String,
        /// The refused action.
        action: String,
    },
    /// The action is allowed in this state but its guard does not hold.
    #[error("{machine} in state {state} cannot {action} now: {guard} does not hold")]
    GuardFailed {
        /// The machine.
        machine: &'static str,
        /// The current state.
        state: String,
        /// The refused action.
        action: String,
        /// The guard that refused.
        guard: &'static str,
    },
}

/// A version, tag or patch problem.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum VersionError {
    /// A content hash that is not 64 lower-case hex digits.
    #[error("invalid content hash {text:?}")]
    InvalidHash {
        /// The refused text.
        text: String,
    },
    /// A bracket could not be serialized.
    #[error("cannot serialize bracket: {reason}")]
    Serialize {
        /// The serializer's message.
        reason: String,
    },
    /// A stored blob does not hash to its address or is not a bracket.
    #[error("blob {hash} is corrupt: {reason}")]
    CorruptBlob {
        /// The address.
        hash: String,
        /// What is wrong.
        reason: String,
    },
    /// Edits need a first-round draw.
    #[error("{format} brackets have no first-round draw to edit")]
    NoDraw {
        /// The format.
        format: Format,
    },
    /// Edits need a bracket without results.
    #[error("cannot edit the draw: match {match_id} has a result")]
    ResultsRecorded {
        /// A match with a result.
        match_id: MatchId,
    },
    /// Edits need a bracket without withdrawals.
    #[error("cannot edit the draw: \"{participant}\" has withdrawn")]
    Withdrawn {
        /// A withdrawn participant.
        participant: ParticipantId,
    },
    /// The entry is not in the draw.
    #[error("\"{participant}\" is not in the draw")]
    NotPlaced {
        /// The entry.
        participant: ParticipantId,
    },
    /// A replacement whose id is already in the field.
    #[error("\"{participant}\" is already in the field")]
    AlreadyInField {
        /// The id.
        participant: ParticipantId,
    },
    /// A move to a slot outside the draw.
    #[error("slot {slot} is outside the draw of {slots} slots")]
    SlotOutOfRange {
        /// The 1-based slot.
        slot: usize,
        /// Slots in the draw.
        slots: usize,
    },
    /// A move to a slot that is not a bye.
    #[error("slot {slot} is taken by \"{occupant}\"")]
    SlotOccupied {
        /// The 1-based slot.
        slot: usize,
        /// Who is there.
        occupant: ParticipantId,
    },
    /// The edited draw could not be built.
    #[error("the edited draw is invalid: {0}")]
    Bracket(#[source] BracketError),
    /// No version with this number.
    #[error("no version {number} in the history")]
    UnknownVersion {
        /// The number.
        number: u32,
    },
    /// No tag with this name.
    #[error("no tag \"{tag}\"")]
    UnknownTag {
        /// The tag.
        tag: String,
    },
    /// Undo with nothing to undo.
    #[error("no tag move to undo")]
    NothingToUndo,
    /// Redo with nothing to redo.
    #[error("no undone tag move to redo")]
    NothingToRedo,
    /// More versions than a history may hold.
    #[error("the version history is full")]
    HistoryFull,
}

/// A diff that cannot be applied, or preview overrides that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DiffError {
    /// The bracket is not the one the diff starts from.
    #[error("the diff does not start from this bracket: its {part} differ")]
    Mismatch {
        /// The part that differs.
        part: &'static str,
    },
    /// The new bracket could not be built.
    #[error("cannot rebuild the bracket: {0}")]
    Rebuild(#[source] BracketError),
    /// A recorded result could not be replayed.
    #[error("cannot replay the result of {}", match_id.map_or_else(|| "a match".to_owned(), |m| m.to_string()))]
    Unapplied {
        /// The first match whose result did not go in.
        match_id: Option<MatchId>,
    },
    /// Overrides with an unknown rule or a value of the wrong type.
    #[error("invalid overrides: {reason}")]
    InvalidOverrides {
        /// The parser's message.
        reason: String,
    },
}

/// A store refused a write or failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// An aggregate is not at the version the write expected; nothing was written.
    #[error("conflict on {aggregate}: expected version {}, found {}", version_text(*expected), version_text(*found))]
    Conflict {
        /// The aggregate (`division:u17-60`).
        aggregate: String,
        /// The version expected (`None`: absent).
        expected: Option<u64>,
        /// The version found (`None`: absent).
        found: Option<u64>,
    },
    /// No job with this id.
    #[error("unknown job {id}")]
    UnknownJob {
        /// The id.
        id: JobId,
    },
    /// The worker no longer holds the job's lease.
    #[error("job {id} is not leased to worker {worker:?}")]
    LeaseLost {
        /// The job.
        id: JobId,
        /// The worker.
        worker: String,
    },
    /// Only dead jobs can be requeued.
    #[error("job {id} is {state}, not dead: only dead jobs can be requeued")]
    JobNotDead {
        /// The job.
        id: JobId,
        /// Its state (`queued`, `running` …).
        state: String,
    },
    /// A deadline acted on was re-armed, cleared or fired since it was claimed.
    #[error(
        "deadline {key} at sequence {sequence} was re-armed, cleared or fired since it was claimed"
    )]
    DeadlineMoved {
        /// The deadline (`tournament:t1/round_timer`).
        key: String,
        /// The sequence the commit expected.
        sequence: u64,
    },
    /// The storage backend failed (adapters only).
    #[error("storage failed: {reason}")]
    Backend {
        /// What failed.
        reason: String,
    },
}

fn version_text(version: Option<u64>) -> String {
    version.map_or_else(|| "none".to_owned(), |v| v.to_string())
}

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
    /// A stored document could not be serialized or parsed.
    #[error("stored document is invalid: {reason}")]
    Document {
        /// The parser's message.
        reason: String,
    },
}

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
ModelError {
    InvalidId => "invalid_id", Invalid;
    DuplicateId => "duplicate_id", Invalid;
    DuplicateSeed => "duplicate_seed", Invalid;
    InvalidSeed => "invalid_seed", Invalid;
    TooFewParticipants => "too_few_participants", Invalid;
}
}

crate::codes::error_codes! {
SeedingError {
    TooManySeeds => "too_many_seeds", Invalid;
    TooLarge => "too_large", Invalid;
    UnknownOrdering => "unknown_ordering", Invalid;
    BadOrderingLength => "bad_ordering_length", Invalid;
}
}

crate::codes::error_codes! {
BracketError {
    Field => "field", Invalid;
    SlotCount => "slot_count", Invalid;
    TooFewSlots => "too_few_slots", Invalid;
    UnknownEntrant => "unknown_entrant", Invalid;
    DuplicateEntrant => "duplicate_entrant", Invalid;
    MissingEntrant => "missing_entrant", Invalid;
    TooLarge => "too_large", Invalid;
    WrongBuilder => "wrong_builder", Invalid;
    UnsupportedOption => "unsupported_option", Invalid;
    PoolCount => "pool_count", Invalid;
    PoolTooLarge => "pool_too_large", Invalid;
    AdvanceCount => "advance_count", Invalid;
    UnknownMatch => "unknown_match", NotFound;
    InvalidMatchId => "invalid_match_id", Invalid;
    UnknownParticipant => "unknown_participant", Invalid;
    MatchNotReady => "match_not_ready", Invalid;
    MatchNotPlayable => "match_not_playable", Invalid;
    NotInMatch => "not_in_match", Invalid;
    DrawNotAllowed => "draw_not_allowed", Invalid;
    DependentPlayed => "dependent_played", Conflict;
    AlreadyWithdrawn => "already_withdrawn", Conflict;
    Incomplete => "incomplete", Invalid;
    InconsistentDocument => "inconsistent_document", Internal;
    MatchCount => "match_count", Internal;
}
}

crate::codes::error_codes! {
LifecycleError {
    InvalidTransition => "invalid_transition", Conflict;
    GuardFailed => "guard_failed", Conflict;
}
}

crate::codes::error_codes! {
VersionError {
    InvalidHash => "invalid_hash", Invalid;
    Serialize => "serialize", Internal;
    CorruptBlob => "corrupt_blob", Internal;
    NoDraw => "no_draw", Invalid;
    ResultsRecorded => "results_recorded", Invalid;
    Withdrawn => "withdrawn", Invalid;
    NotPlaced => "not_placed", Invalid;
    AlreadyInField => "already_in_field", Invalid;
    SlotOutOfRange => "slot_out_of_range", Invalid;
    SlotOccupied => "slot_occupied", Invalid;
    Bracket => "bracket", Invalid;
    UnknownVersion => "unknown_version", NotFound;
    UnknownTag => "unknown_tag", NotFound;
    NothingToUndo => "nothing_to_undo", Conflict;
    NothingToRedo => "nothing_to_redo", Conflict;
    HistoryFull => "history_full", Invalid;
}
}

crate::codes::error_codes! {
DiffError {
    Mismatch => "mismatch", Invalid;
    Rebuild => "rebuild", Invalid;
    Unapplied => "unapplied", Invalid;
    InvalidOverrides => "invalid_overrides", Invalid;
}
}

crate::codes::error_codes! {
StoreError {
    Conflict => "conflict", Conflict;
    UnknownJob => "unknown_job", NotFound;
    LeaseLost => "lease_lost", Unavailable;
    JobNotDead => "job_not_dead", Unavailable;
    DeadlineMoved => "deadline_moved", Unavailable;
    Backend => "backend", Unavailable;
}
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
}
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
    InvalidDocument => "invalid_document", Internal;
    Replay => "replay", Internal;
}
}
