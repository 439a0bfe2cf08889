//! The bracket document shared by every format, its generation and its progression.
//!
//! A [`Bracket`] is one serde document for every format: single and double elimination, judo
//! repechage, round robin and groups. It holds the options, the field (in seed order), the
//! first-round draw of elimination formats, the pools of round-robin formats, every match and
//! the withdrawals.
//!
//! # Building
//!
//! Seeding decides who goes where; this module builds the structure around it:
//! [`Bracket::elimination`] takes the first-round slots, [`Bracket::round_robin`] the field.
//!
//! ```
//! use athlos_core::bracket::{Bracket, BracketOptions, Format, MatchResult};
//! use athlos_core::model::Participant;
//!
//! let field: Vec<Participant> = (1..=4)
//!     .map(|i| Participant::new(format!("p{i}"), format!("Player {i}")))
//!     .collect::<Result<_, _>>()?;
//! let slots: Vec<_> = [0, 3, 1, 2].iter().map(|&i| Some(field[i].id.clone())).collect();
//! let mut bracket = Bracket::elimination(&BracketOptions::new(Format::SingleElimination), &field, &slots)?;
//! let semi = "MAIN-R1-M1".parse()?;
//! bracket.record_result(&semi, MatchResult::win(field[0].id.clone()))?;
//! let final_match = bracket.match_by_id(&"MAIN-R2-M1".parse()?).ok_or("no final")?;
//! assert_eq!(final_match.participant(0), Some(&field[0].id));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The JSON document
//!
//! ```json
//! {
//!   "format": "single_elimination",
//!   "options": { "format": "single_elimination", ... },
//!   "participants": [ { "id": "p1", "name": "Player 1" }, ... ],
//!   "slots": [ "p1", "p4", "p2", "p3" ],
//!   "matches": [
//!     { "id": "MAIN-R1-M1", "part": "main", "round": 1, "number": 1,
//!       "slots": [ { "source": { "type": "entry" }, "occupant": { "type": "participant", "id": "p1" } },
//!                  { "source": { "type": "entry" }, "occupant": { "type": "bye" } } ],
//!       "status": "bye", "winner": "p1" },
//!     { "id": "MAIN-R2-M1", "part": "main", "round": 2, "number": 1,
//!       "slots": [ { "source": { "type": "winner", "match": "MAIN-R1-M1" }, "occupant": { "type": "participant", "id": "p1" } },
//!                  { "source": { "type": "winner", "match": "MAIN-R1-M2" }, "occupant": { "type": "pending" } } ],
//!       "status": "pending" }
//!   ],
//!   "withdrawn": [ "p7" ]
//! }
//! ```
//!
//! - `format`: the concrete format (`auto` resolved); `options`: the options as given.
//! - `slots`: elimination formats only: the first-round draw in bracket order (`null` = bye).
//! - `pools`: round robin and groups only: `{ "number", "name", "members" }`.
//! - match ids: see [`MatchId`]; `part`: see [`Part`]; `pool`: the pool number of pool matches.
//! - slot `source`: `entry` (the draw or the pool), `winner` / `loser` of `match`, `rematch`
//!   (the participant in `slot` 1 or 2 of `match`: the grand-final reset), `pool_rank` (`rank`
//!   of `pool` once the pool is complete).
//! - slot `occupant`: `pending`, `bye` (nobody will come), `participant` with its `id`.
//! - `status`: see [`MatchStatus`]; `result`: the recorded [`MatchResult`]; `winner`: the
//!   winner when decided (absent for draws and matches nobody won).
//!
//! Field names are stable: new fields may be added, none is renamed or removed.
//!
//! # Pictures
//!
//! [`Bracket::to_svg`] draws any bracket as a self-contained, deterministic SVG document
//! (elimination trees as round columns, pools as cross tables): the same bracket, the same
//! bytes.

mod build;
mod id;
mod options;
mod progress;
mod standings;
mod svg;

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::model::{ModelError, Participant, ParticipantId};

pub use build::{default_loser_orderings, MAX_POOL, MAX_POOL_FIELD, MAX_SLOTS};
pub use id::{MatchId, Part};
pub use options::{BracketOptions, Format, GrandFinal, PoolDistribution};
pub use standings::Standing;

/// A bracket of any format: structure, draw, results and withdrawals.
///
/// Built by [`Bracket::elimination`] or [`Bracket::round_robin`]; changed only through
/// [`Bracket::record_result`] and [`Bracket::withdraw`], which leave it unchanged on error.
/// Serializes to the documented JSON; deserializing rebuilds the structure from the options and
/// draw and refuses a document whose matches disagree with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "BracketDocument")]
pub struct Bracket {
    format: Format,
    options: BracketOptions,
    participants: Vec<Participant>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    slots: Vec<Option<ParticipantId>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pools: Vec<Pool>,
    matches: Vec<Match>,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    withdrawn: BTreeSet<ParticipantId>,
    #[serde(skip)]
    index: Index,
}

/// One match: where its two slots are filled from, who is in them, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Match {
    /// Stable id.
    pub id: MatchId,
    /// The part of the bracket (same as `id.part()`).
    pub part: Part,
    /// Pool number for pool matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<u32>,
    /// Round within the part or pool, from 1.
    pub round: u32,
    /// Number within the round, from 1.
    pub number: u32,
    /// Slot 1 (white, home) and slot 2 (blue, away).
    pub slots: [Slot; 2],
    /// Where the match stands.
    pub status: MatchStatus,
    /// The recorded result, if the match was played (or given as a walkover by the organiser).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<MatchResult>,
    /// The winner once decided (absent for a draw or when nobody goes through).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub winner: Option<ParticipantId>,
}

impl Match {
    /// The participant in slot 1 or 2 (`side` 0 or 1), if known.
    pub fn participant(&self, side: usize) -> Option<&ParticipantId> {
        self.slots.get(side).and_then(|s| s.occupant.participant())
    }

    /// The loser once decided: the other participant when there is a winner.
    pub fn loser(&self) -> Option<&ParticipantId> {
        let winner = self.winner.as_ref()?;
        let [a, b] = &self.slots;
        match (a.occupant.participant(), b.occupant.participant()) {
            (Some(x), other) if x == winner => other,
            (other, Some(y)) if y == winner => other,
            _ => None,
        }
    }
}

/// One side of a match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Slot {
    /// Where the occupant comes from.
    pub source: Source,
    /// Who is there now.
    pub occupant: Occupant,
}

/// Where a slot gets its occupant from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Source {
    /// Filled at creation: from the draw (first round) or the pool.
    Entry,
    /// The winner of a match.
    Winner {
        /// The match.
        #[serde(rename = "match")]
        match_id: MatchId,
    },
    /// The loser of a match.
    Loser {
        /// The match.
        #[serde(rename = "match")]
        match_id: MatchId,
    },
    /// The participant who stood in `slot` (1 or 2) of a match, whatever its result: the
    /// grand-final reset, played only when the losers' champion (slot 2) won the first final.
    Rematch {
        /// The match.
        #[serde(rename = "match")]
        match_id: MatchId,
        /// 1 or 2.
        slot: u8,
    },
    /// The participant finishing `rank` in `pool` once every pool match is decided.
    PoolRank {
        /// Pool number, from 1.
        pool: u32,
        /// Rank in the pool, from 1.
        rank: u32,
    },
}

/// Who stands in a slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Occupant {
    /// Not decided yet.
    Pending,
    /// Nobody will ever stand here; the opponent goes through without playing.
    Bye,
    /// A participant.
    Participant {
        /// The participant.
        id: ParticipantId,
    },
}

impl Occupant {
    /// The participant, if any.
    pub fn participant(&self) -> Option<&ParticipantId> {
        match self {
            Occupant::Participant { id } => Some(id),
            _ => None,
        }
    }
}

/// Where a match stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MatchStatus {
    /// At least one opponent is not known yet.
    Pending,
    /// Both opponents known; waiting for a result.
    Ready,
    /// Played; the result is recorded.
    Completed,
    /// Decided without play: a participant withdrew or did not show (the organiser recorded a
    /// walkover, or a withdrawal made it one). Nobody wins when both withdrew.
    Walkover,
    /// Decided without play because a slot holds a bye.
    Bye,
    /// Not needed: a grand-final reset after the winners' champion won the first final.
    Skipped,
}

impl MatchStatus {
    /// Whether the match needs nothing more.
    pub fn is_decided(self) -> bool {
        matches!(
            self,
            MatchStatus::Completed
                | MatchStatus::Walkover
                | MatchStatus::Bye
                | MatchStatus::Skipped
        )
    }

    /// The snake_case name used in JSON.
    pub fn name(self) -> &'static str {
        match self {
            MatchStatus::Pending => "pending",
            MatchStatus::Ready => "ready",
            MatchStatus::Completed => "completed",
            MatchStatus::Walkover => "walkover",
            MatchStatus::Bye => "bye",
            MatchStatus::Skipped => "skipped",
        }
    }
}

impl fmt::Display for MatchStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A result given to [`Bracket::record_result`].
///
/// `score` is in slot order (slot 1 first) and only informs pool tie-breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum MatchResult {
    /// A played match with a winner.
    Win {
        /// The winner.
        winner: ParticipantId,
        /// Scores in slot order.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        score: Option<[u32; 2]>,
    },
    /// A drawn match (pools only).
    Draw {
        /// Scores in slot order.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        score: Option<[u32; 2]>,
    },
    /// The opponent did not compete; `winner` goes through.
    Walkover {
        /// The winner.
        winner: ParticipantId,
    },
    /// The match will not be played and both sides lose it (an abandoned match, a double
    /// forfeit): in a knockout neither goes through — the next match's opponent advances by
    /// bye —, in a pool both take a loss and no points. `{"type": "double_forfeit"}`, with no
    /// other field.
    DoubleForfeit {},
}

impl MatchResult {
    /// A win without a score.
    pub fn win(winner: ParticipantId) -> Self {
        MatchResult::Win {
            winner,
            score: None,
        }
    }

    /// The winner, if any.
    pub fn winner(&self) -> Option<&ParticipantId> {
        match self {
            MatchResult::Win { winner, .. } | MatchResult::Walkover { winner } => Some(winner),
            MatchResult::Draw { .. } | MatchResult::DoubleForfeit {} => None,
        }
    }

    fn score(&self) -> Option<[u32; 2]> {
        match self {
            MatchResult::Win { score, .. } | MatchResult::Draw { score } => *score,
            MatchResult::Walkover { .. } | MatchResult::DoubleForfeit {} => None,
        }
    }
}

/// A pool of a round robin or groups stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Pool {
    /// Pool number, from 1.
    pub number: u32,
    /// Pool name: A, B, …
    pub name: String,
    /// Members in seed order (Berger numbers 1, 2, …).
    pub members: Vec<ParticipantId>,
}

/// A final place.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Placement {
    /// 1 for the winner; shared places repeat (3, 3, 5, 5, 7, 7 in judo).
    pub place: u32,
    /// The participant.
    pub participant: ParticipantId,
}

impl Bracket {
    /// The concrete format (never [`Format::Auto`]).
    pub fn format(&self) -> Format {
        self.format
    }

    /// The options the bracket was built with.
    pub fn options(&self) -> &BracketOptions {
        &self.options
    }

    /// The field in seed order (index 0 = seed 1).
    pub fn participants(&self) -> &[Participant] {
        &self.participants
    }

    /// Every match, ordered by id (which is also a playable order).
    pub fn matches(&self) -> &[Match] {
        &self.matches
    }

    /// The match with this id.
    pub fn match_by_id(&self, id: &MatchId) -> Option<&Match> {
        self.position(id).and_then(|i| self.matches.get(i))
    }

    /// The first-round draw of an elimination format, in bracket order (`None` = bye); `None`
    /// for round robin and groups.
    pub fn first_round_slots(&self) -> Option<&[Option<ParticipantId>]> {
        (!self.slots.is_empty()).then_some(self.slots.as_slice())
    }

    /// The pools of a round robin or groups stage (empty otherwise).
    pub fn pools(&self) -> &[Pool] {
        &self.pools
    }

    /// Number of rounds of the main bracket: the main table, the winners' bracket or the
    /// knockout; for a round robin, the rounds of the largest pool.
    pub fn rounds(&self) -> u32 {
        self.index.rounds
    }

    /// Participants who withdrew or were disqualified.
    pub fn withdrawn(&self) -> &BTreeSet<ParticipantId> {
        &self.withdrawn
    }

    /// Whether every match is decided.
    pub fn is_complete(&self) -> bool {
        self.matches.iter().all(|m| m.status.is_decided())
    }

    fn position(&self, id: &MatchId) -> Option<usize> {
        self.matches.binary_search_by(|m| m.id.cmp(id)).ok()
    }

    /// The 0-based seed (field position) of a participant; a linear scan, used off hot paths.
    fn seed_index(&self, id: &ParticipantId) -> Option<usize> {
        self.participants.iter().position(|p| &p.id == id)
    }
}

/// Derived lookup tables, rebuilt whenever a bracket is built or loaded; never serialized.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Index {
    meta: Vec<Meta>,
    dependents: Vec<u32>,
    rounds: u32,
    advance: u32,
}

/// Per-match facts the document does not carry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Meta {
    /// Match index each slot's source refers to (winner, loser, rematch).
    sources: [Option<u32>; 2],
    /// Range in `Index::dependents`.
    dependents: (u32, u32),
    /// Pool index for pool matches.
    pool: Option<u32>,
    /// Placement level of a winner who stops here (champion, bronze).
    winner_level: Option<i64>,
    /// Placement level of a loser who is out here.
    loser_level: Option<i64>,
    /// Level of both participants when nobody goes through (double walkover).
    both_out_level: i64,
    /// Levels apply only when slot 1 wins (first grand final before a possible reset).
    levels_if_first_wins: bool,
}

/// The serialized form, checked and rebuilt into a [`Bracket`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BracketDocument {
    format: Format,
    options: BracketOptions,
    participants: Vec<Participant>,
    #[serde(default)]
    slots: Vec<Option<ParticipantId>>,
    #[serde(default)]
    pools: Vec<Pool>,
    matches: Vec<Match>,
    #[serde(default)]
    withdrawn: BTreeSet<ParticipantId>,
}

impl TryFrom<BracketDocument> for Bracket {
    type Error = BracketError;

    fn try_from(doc: BracketDocument) -> Result<Self, Self::Error> {
        let mut bracket = if doc.slots.is_empty() {
            Bracket::round_robin(&doc.options, &doc.participants)?
        } else {
            Bracket::elimination(&doc.options, &doc.participants, &doc.slots)?
        };
        if bracket.matches.len() != doc.matches.len() {
            return Err(BracketError::MatchCount {
                found: doc.matches.len(),
                expected: bracket.matches.len(),
            });
        }
        let mismatch = |match_id, reason| BracketError::InconsistentDocument { match_id, reason };
        for (ours, theirs) in bracket.matches.iter().zip(&doc.matches) {
            if ours.id != theirs.id
                || ours.part != theirs.part
                || ours.pool != theirs.pool
                || ours.round != theirs.round
                || ours.number != theirs.number
                || ours.slots[0].source != theirs.slots[0].source
                || ours.slots[1].source != theirs.slots[1].source
            {
                return Err(mismatch(theirs.id, "structure differs"));
            }
        }
        if doc.format != bracket.format || doc.pools != bracket.pools {
            let first = bracket
                .matches
                .first()
                .map(|m| m.id)
                .unwrap_or(MatchId::new(Part::Main, 0, 1, 1));
            return Err(mismatch(first, "format or pools differ"));
        }
        for participant in &doc.withdrawn {
            if bracket.seed_index(participant).is_none() {
                return Err(BracketError::UnknownParticipant {
                    participant: participant.clone(),
                });
            }
        }
        bracket.withdrawn = doc.withdrawn;
        for (ours, theirs) in bracket.matches.iter_mut().zip(&doc.matches) {
            ours.result = theirs.result.clone();
        }
        bracket.recompute_all();
        for (ours, theirs) in bracket.matches.iter().zip(&doc.matches) {
            if ours.result != theirs.result {
                return Err(mismatch(
                    theirs.id,
                    "recorded result does not fit the match",
                ));
            }
            if ours.status != theirs.status
                || ours.winner != theirs.winner
                || ours.slots[0].occupant != theirs.slots[0].occupant
                || ours.slots[1].occupant != theirs.slots[1].occupant
            {
                return Err(mismatch(theirs.id, "state differs from its results"));
            }
        }
        Ok(bracket)
    }
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
    MatchNotReady => "match_not_ready", Conflict;
    MatchNotPlayable => "match_not_playable", Conflict;
    NotInMatch => "not_in_match", Invalid;
    DrawNotAllowed => "draw_not_allowed", Invalid;
    DependentPlayed => "dependent_played", Conflict;
    AlreadyWithdrawn => "already_withdrawn", Conflict;
    Incomplete => "incomplete", Conflict;
    InconsistentDocument => "inconsistent_document", Internal;
    MatchCount => "match_count", Internal;
}
}
