//! The error of versions, tags and draw edits.

use thiserror::Error;

use crate::bracket::{BracketError, Format, MatchId};
use crate::model::ParticipantId;

use super::tags::Protection;

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
    /// A deletion of a protected tag; nothing changed.
    #[error("tag \"{tag}\" may not be deleted: {protection}")]
    ProtectedTag {
        /// The tag.
        tag: String,
        /// Why it is protected.
        protection: Protection,
    },
    /// No patch with this id in the history.
    #[error("no patch {id} in the history")]
    UnknownPatch {
        /// The id.
        id: String,
    },
    /// No version in the history has a bracket with this content hash.
    #[error("no version in the history has the bracket {hash}")]
    UnknownBracket {
        /// The hash.
        hash: String,
    },
    /// More versions than a history may hold.
    #[error("the version history is full")]
    HistoryFull,
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
    ProtectedTag => "protected_tag", Conflict;
    UnknownPatch => "unknown_patch", NotFound;
    UnknownBracket => "unknown_bracket", NotFound;
}
}
