//! Brackets as content-addressed versions: a per-division [`History`] of snapshots, tags that
//! move with undo and redo, and manual edits as [`Patch`]es over a generated base.
//!
//! - A version is identified in storage by the [`ContentHash`] of the bracket's
//!   [`canonical_json`]; the history numbers versions from 1 and records where each came from
//!   ([`Origin`]): a generation (seed and options) or an edit of a parent version.
//! - Tags ([`TagName`]) point at versions. Every move, deletion, undo and redo is appended to
//!   the reflog ([`History::reflog`], per tag [`History::tag_reflog`]). Each tag has its own
//!   undo and redo, like a git ref with its reflog ([`History::undo_tag`],
//!   [`History::redo_tag`]); the division-wide [`History::undo`] and [`History::redo`] act
//!   on the newest step of any tag. `current` and the tags of the locked version may not be
//!   deleted ([`Protection`]). See [`tags`].
//! - Every edit is addressed by a [`PatchId`], the hash of its base's hash and the patch;
//!   [`History::patch`] finds it, [`History::chain`] lists a version's edits from its
//!   generated base.
//! - [`apply_patch`] applies one edit (swap, replace, move to a slot) to a bracket with no
//!   results; [`rebase`] replays a chain of edits over a regenerated base and reports the ones
//!   that no longer apply.
//!
//! ```
//! use athlos_core::bracket::{BracketOptions, Format};
//! use athlos_core::model::{Participant, ParticipantId};
//! use athlos_core::version::{apply_patch, content_hash, Patch};
//!
//! let field: Vec<Participant> = (1..=4)
//!     .map(|i| Participant::new(format!("p{i}"), format!("P{i}")).map(|p| p.with_seed(i)))
//!     .collect::<Result<_, _>>()?;
//! let base = athlos_core::draw(&field, &BracketOptions::new(Format::SingleElimination), 1)?;
//! let patch = Patch::Swap { a: ParticipantId::new("p2")?, b: ParticipantId::new("p3")? };
//! let edited = apply_patch(&base, &patch)?;
//! assert_ne!(content_hash(&base)?, content_hash(&edited)?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub(crate) mod error;
mod hash;
mod patches;
pub mod tags;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::bracket::{Bracket, BracketOptions};
use crate::id::TagName;
use crate::model::{Participant, ParticipantId};

pub use error::VersionError;
pub use hash::{canonical_json, content_hash, ContentHash};
pub use patches::{PatchChain, PatchId, PatchRecord};
pub use tags::{Protection, TagStatus};

use tags::TagStacks;

/// A manual edit of a ready bracket's first-round draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Patch {
    /// Two entries exchange their slots.
    Swap {
        /// One entry.
        a: ParticipantId,
        /// The other.
        b: ParticipantId,
    },
    /// An entry leaves the field and a new one takes its slot and seed position.
    Replace {
        /// The entry leaving.
        out: ParticipantId,
        /// The entry arriving.
        with: Participant,
    },
    /// An entry moves to an empty (bye) slot, 1-based.
    Move {
        /// The entry.
        participant: ParticipantId,
        /// The target slot, 1-based in bracket order.
        slot: usize,
    },
}

/// Applies one edit to a bracket that has no result and no withdrawal.
///
/// # Errors
/// [`VersionError::NoDraw`] for formats without a first-round draw (round robin, groups);
/// [`VersionError::ResultsRecorded`]; [`VersionError::NotPlaced`] for an entry that is not in
/// the draw; [`VersionError::AlreadyInField`] when a replacement's id is taken;
/// [`VersionError::SlotOutOfRange`], [`VersionError::SlotOccupied`] for a move; and
/// [`VersionError::Bracket`] if the edited draw cannot be built.
pub fn apply_patch(bracket: &Bracket, patch: &Patch) -> Result<Bracket, VersionError> {
    let Some(current) = bracket.first_round_slots() else {
        return Err(VersionError::NoDraw {
            format: bracket.format(),
        });
    };
    if let Some(played) = bracket.matches().iter().find(|m| m.result.is_some()) {
        return Err(VersionError::ResultsRecorded {
            match_id: played.id,
        });
    }
    if let Some(withdrawn) = bracket.withdrawn().iter().next() {
        return Err(VersionError::Withdrawn {
            participant: withdrawn.clone(),
        });
    }
    let mut slots = current.to_vec();
    let mut participants = bracket.participants().to_vec();
    let position = |slots: &[Option<ParticipantId>], id: &ParticipantId| {
        slots
            .iter()
            .position(|slot| slot.as_ref() == Some(id))
            .ok_or_else(|| VersionError::NotPlaced {
                participant: id.clone(),
            })
    };
    match patch {
        Patch::Swap { a, b } => {
            let i = position(&slots, a)?;
            let j = position(&slots, b)?;
            slots.swap(i, j);
        }
        Patch::Replace { out, with } => {
            let i = position(&slots, out)?;
            if with.id != *out && participants.iter().any(|p| p.id == with.id) {
                return Err(VersionError::AlreadyInField {
                    participant: with.id.clone(),
                });
            }
            let Some(entry) = participants.iter_mut().find(|p| p.id == *out) else {
                return Err(VersionError::NotPlaced {
                    participant: out.clone(),
                });
            };
            *entry = with.clone();
            slots[i] = Some(with.id.clone());
        }
        Patch::Move { participant, slot } => {
            let i = position(&slots, participant)?;
            let target = slot.checked_sub(1).filter(|&t| t < slots.len()).ok_or(
                VersionError::SlotOutOfRange {
                    slot: *slot,
                    slots: slots.len(),
                },
            )?;
            if let Some(occupant) = &slots[target] {
                if target != i {
                    return Err(VersionError::SlotOccupied {
                        slot: *slot,
                        occupant: occupant.clone(),
                    });
                }
            }
            slots.swap(i, target);
        }
    }
    Bracket::elimination(bracket.options(), &participants, &slots).map_err(VersionError::Bracket)
}

/// A patch that no longer applies to a regenerated base, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedPatch {
    /// The patch.
    pub patch: Patch,
    /// Why it does not apply.
    pub error: VersionError,
}

/// The outcome of replaying a chain of edits over a new base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebase {
    /// The base with every applicable patch applied.
    pub bracket: Bracket,
    /// The patches that applied, in order.
    pub applied: Vec<Patch>,
    /// The patches that did not, in order, with the reason.
    pub dropped: Vec<DroppedPatch>,
}

/// Replays `patches` in order over `base`, skipping (and reporting) those that fail.
pub fn rebase(base: &Bracket, patches: &[Patch]) -> Rebase {
    let mut bracket = base.clone();
    let mut applied = Vec::new();
    let mut dropped = Vec::new();
    for patch in patches {
        match apply_patch(&bracket, patch) {
            Ok(next) => {
                bracket = next;
                applied.push(patch.clone());
            }
            Err(error) => dropped.push(DroppedPatch {
                patch: patch.clone(),
                error,
            }),
        }
    }
    Rebase {
        bracket,
        applied,
        dropped,
    }
}

/// Where a version came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Origin {
    /// Generated from the field with these options and draw seed.
    Generated {
        /// The options.
        options: BracketOptions,
        /// The draw seed.
        seed: u64,
    },
    /// A manual edit of `parent`.
    Edited {
        /// The version edited.
        parent: u32,
        /// The edit.
        patch: Patch,
    },
}

/// One snapshot in a division's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionRecord {
    /// Number in the history, from 1.
    pub number: u32,
    /// Content address of the bracket.
    pub hash: ContentHash,
    /// How it was made.
    pub origin: Origin,
    /// The generated version this one descends from.
    pub base: u32,
    /// The chain of edits from `base` to this version, in order.
    pub patches: Vec<Patch>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

/// How a tag came to move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MoveKind {
    /// An explicit move.
    Move,
    /// An undo of an earlier move (or deletion).
    Undo,
    /// A redo of an undone move (or deletion).
    Redo,
    /// An explicit deletion of the tag (`to` is `None`).
    Delete,
}

/// One entry of the reflog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagMove {
    /// The tag.
    pub tag: TagName,
    /// Where it pointed before (`None`: it did not exist).
    pub from: Option<u32>,
    /// Where it points after (`None`: it was deleted, or removed by an undo of its creation).
    pub to: Option<u32>,
    /// Why it moved.
    pub kind: MoveKind,
    /// When.
    pub at: DateTime<Utc>,
}

/// A division's versions, tags and reflog, with one undo and one redo stack per tag.
///
/// The stacks hold positions in the reflog: a tag's undo stack the entries (moves,
/// deletions, redos) that its undo would take back, newest last; its redo stack the undo
/// entries its redo would take back. The division-wide [`History::undo`] and
/// [`History::redo`] act on the tag whose top entry is the newest, so used alone they behave
/// as one division-wide stack — except that a move clears only the moved tag's redo stack.
///
/// Stored histories of the earlier shape (one division-wide `undo`/`redo` pair) are read by
/// replaying their reflog with the rules they were written under (see [`tags`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "tags::StoredHistory")]
pub struct History {
    versions: Vec<VersionRecord>,
    tags: BTreeMap<TagName, u32>,
    reflog: Vec<TagMove>,
    stacks: BTreeMap<TagName, TagStacks>,
}

impl History {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every version, oldest first.
    pub fn versions(&self) -> &[VersionRecord] {
        &self.versions
    }

    /// Version `number`, if recorded.
    pub fn version(&self, number: u32) -> Option<&VersionRecord> {
        let index = usize::try_from(number.checked_sub(1)?).ok()?;
        self.versions.get(index)
    }

    /// The newest version, if any.
    pub fn latest(&self) -> Option<&VersionRecord> {
        self.versions.last()
    }

    /// Where every tag points.
    pub fn tags(&self) -> &BTreeMap<TagName, u32> {
        &self.tags
    }

    /// Where `tag` points.
    pub fn tag(&self, tag: &TagName) -> Option<u32> {
        self.tags.get(tag).copied()
    }

    /// Every tag move, deletion, undo and redo, oldest first.
    pub fn reflog(&self) -> &[TagMove] {
        &self.reflog
    }

    /// Records a generated version and returns its number. Tags do not move.
    ///
    /// # Errors
    /// [`VersionError::HistoryFull`] past `u32::MAX` versions.
    pub fn record_generated(
        &mut self,
        hash: ContentHash,
        options: BracketOptions,
        seed: u64,
        at: DateTime<Utc>,
    ) -> Result<u32, VersionError> {
        let number = self.next_number()?;
        self.versions.push(VersionRecord {
            number,
            hash,
            origin: Origin::Generated { options, seed },
            base: number,
            patches: Vec::new(),
            created_at: at,
        });
        Ok(number)
    }

    /// Records an edit of `parent` and returns the new version's number. Tags do not move.
    ///
    /// # Errors
    /// [`VersionError::UnknownVersion`] for a parent not in the history;
    /// [`VersionError::HistoryFull`].
    pub fn record_edit(
        &mut self,
        parent: u32,
        hash: ContentHash,
        patch: Patch,
        at: DateTime<Utc>,
    ) -> Result<u32, VersionError> {
        let record = self
            .version(parent)
            .ok_or(VersionError::UnknownVersion { number: parent })?;
        let base = record.base;
        let mut patches = record.patches.clone();
        patches.push(patch.clone());
        let number = self.next_number()?;
        self.versions.push(VersionRecord {
            number,
            hash,
            origin: Origin::Edited { parent, patch },
            base,
            patches,
            created_at: at,
        });
        Ok(number)
    }

    fn set(&mut self, tag: &TagName, to: Option<u32>) {
        match to {
            Some(number) => {
                self.tags.insert(tag.clone(), number);
            }
            None => {
                self.tags.remove(tag);
            }
        }
    }

    fn next_number(&self) -> Result<u32, VersionError> {
        u32::try_from(self.versions.len())
            .ok()
            .and_then(|n| n.checked_add(1))
            .ok_or(VersionError::HistoryFull)
    }
}
