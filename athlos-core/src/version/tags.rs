//! Tags: moves, deletions, undo and redo per tag (as git keeps a reflog per ref), which tags
//! are protected from deletion, and the stored shape of a [`History`].
//!
//! - Every tag has its own undo and redo stack. [`History::undo_tag`] takes back the tag's
//!   last move, deletion or redo; [`History::redo_tag`] replays the tag's last undone one; a
//!   move or deletion of the tag clears its redo stack and no other.
//! - The division-wide [`History::undo`] undoes the newest step of any tag still undoable;
//!   [`History::redo`] redoes the most recently undone step of any tag still redoable.
//! - A deletion ([`MoveKind::Delete`]) is refused for a protected tag ([`Protection`]):
//!   `current`, and any tag naming the locked version. Undoing a tag's creation still
//!   removes it (as before), and only `current` is frozen once the bracket is locked (a
//!   service rule).
//! - Stored histories written before per-tag stacks carry one division-wide `undo`/`redo`
//!   pair; [`StoredHistory`] rebuilds the per-tag stacks by replaying the reflog under the
//!   rules it was written with (a move cleared every redo) and checks them against that pair.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{ContentHash, History, MoveKind, TagMove, VersionError, VersionRecord};
use crate::id::TagName;

/// One tag's undo and redo stacks: positions in the reflog, newest last.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagStacks {
    /// Reflog positions of the moves, deletions and redos an undo would take back.
    undo: Vec<usize>,
    /// Reflog positions of the undos a redo would take back.
    redo: Vec<usize>,
}

/// Why a tag may not be deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case", deny_unknown_fields)]
pub enum Protection {
    /// `current` names the version in use: it moves, it is never deleted.
    Current,
    /// The tag names the locked version, which play depends on.
    LockedVersion {
        /// The locked version.
        version: u32,
    },
}

impl Protection {
    /// Why `tag`, pointing at `points_at`, may not be deleted while `locked` is the locked
    /// version (`None`: the bracket is not locked); `None` when it may.
    pub fn of(tag: &TagName, points_at: Option<u32>, locked: Option<u32>) -> Option<Self> {
        if *tag == TagName::current() {
            return Some(Protection::Current);
        }
        match (points_at, locked) {
            (Some(at), Some(version)) if at == version => {
                Some(Protection::LockedVersion { version })
            }
            _ => None,
        }
    }
}

impl fmt::Display for Protection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Protection::Current => f.write_str("it names the version in use"),
            Protection::LockedVersion { version } => {
                write!(f, "it names version {version}, which is locked for play")
            }
        }
    }
}

impl TagMove {
    /// Whether this step deletes its tag: a deletion, or the redo of one.
    pub fn deletes(&self) -> bool {
        self.to.is_none() && matches!(self.kind, MoveKind::Delete | MoveKind::Redo)
    }

    /// Refuses a step that deletes a protected tag.
    ///
    /// # Errors
    /// [`VersionError::ProtectedTag`].
    pub fn check_protection(&self, locked: Option<u32>) -> Result<(), VersionError> {
        match Protection::of(&self.tag, self.from, locked) {
            Some(protection) if self.deletes() => Err(VersionError::ProtectedTag {
                tag: self.tag.to_string(),
                protection,
            }),
            _ => Ok(()),
        }
    }
}

/// One tag as it stands: where it points, what its undo and redo would do, and whether it
/// may be deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagStatus {
    /// The tag.
    pub tag: TagName,
    /// The version it points at (`None`: deleted, or its creation undone).
    pub version: Option<u32>,
    /// That version's content hash.
    pub hash: Option<ContentHash>,
    /// Whether the tag has a step to undo.
    pub can_undo: bool,
    /// Whether the tag has an undone step to redo.
    pub can_redo: bool,
    /// Why it may not be deleted (`None`: it may).
    pub protection: Option<Protection>,
}

impl History {
    /// Points `tag` at version `to`, recording the move; clears the tag's redo stack.
    ///
    /// # Errors
    /// [`VersionError::UnknownVersion`].
    pub fn move_tag(
        &mut self,
        tag: TagName,
        to: u32,
        at: DateTime<Utc>,
    ) -> Result<TagMove, VersionError> {
        if self.version(to).is_none() {
            return Err(VersionError::UnknownVersion { number: to });
        }
        let step = TagMove {
            from: self.tag(&tag),
            to: Some(to),
            tag,
            kind: MoveKind::Move,
            at,
        };
        Ok(self.record_new(step))
    }

    /// Deletes `tag`, recording the deletion (undoable); clears the tag's redo stack.
    /// `locked` is the locked version, if the bracket is locked.
    ///
    /// # Errors
    /// [`VersionError::UnknownTag`] for a tag that points nowhere;
    /// [`VersionError::ProtectedTag`] (nothing changes).
    pub fn delete_tag(
        &mut self,
        tag: &TagName,
        locked: Option<u32>,
        at: DateTime<Utc>,
    ) -> Result<TagMove, VersionError> {
        let from = self.tag(tag).ok_or_else(|| VersionError::UnknownTag {
            tag: tag.to_string(),
        })?;
        let step = TagMove {
            tag: tag.clone(),
            from: Some(from),
            to: None,
            kind: MoveKind::Delete,
            at,
        };
        step.check_protection(locked)?;
        Ok(self.record_new(step))
    }

    /// Undoes the newest step of any tag not yet undone (division-wide undo).
    ///
    /// # Errors
    /// [`VersionError::NothingToUndo`].
    pub fn undo(&mut self, at: DateTime<Utc>) -> Result<TagMove, VersionError> {
        let tag = self
            .newest(|stacks| &stacks.undo)
            .ok_or(VersionError::NothingToUndo)?;
        self.undo_tag(&tag, at)
    }

    /// Redoes the most recently undone step of any tag still redoable (division-wide redo).
    ///
    /// # Errors
    /// [`VersionError::NothingToRedo`].
    pub fn redo(&mut self, at: DateTime<Utc>) -> Result<TagMove, VersionError> {
        let tag = self
            .newest(|stacks| &stacks.redo)
            .ok_or(VersionError::NothingToRedo)?;
        self.redo_tag(&tag, at)
    }

    /// Undoes `tag`'s last move, deletion or redo: the tag points where it pointed before.
    ///
    /// # Errors
    /// [`VersionError::NothingToUndo`].
    pub fn undo_tag(&mut self, tag: &TagName, at: DateTime<Utc>) -> Result<TagMove, VersionError> {
        let done = self
            .top(tag, |stacks| &stacks.undo)
            .ok_or(VersionError::NothingToUndo)?;
        let step = TagMove {
            tag: tag.clone(),
            from: self.tag(tag),
            to: done.from,
            kind: MoveKind::Undo,
            at,
        };
        let index = self.push(step.clone());
        let stacks = self.stacks.entry(tag.clone()).or_default();
        stacks.undo.pop();
        stacks.redo.push(index);
        Ok(step)
    }

    /// Redoes `tag`'s last undone step: the tag points where that step had put it.
    ///
    /// # Errors
    /// [`VersionError::NothingToRedo`].
    pub fn redo_tag(&mut self, tag: &TagName, at: DateTime<Utc>) -> Result<TagMove, VersionError> {
        let undone = self
            .top(tag, |stacks| &stacks.redo)
            .ok_or(VersionError::NothingToRedo)?;
        let step = TagMove {
            tag: tag.clone(),
            from: self.tag(tag),
            to: undone.from,
            kind: MoveKind::Redo,
            at,
        };
        let index = self.push(step.clone());
        let stacks = self.stacks.entry(tag.clone()).or_default();
        stacks.redo.pop();
        stacks.undo.push(index);
        Ok(step)
    }

    /// Whether a division-wide undo is possible.
    pub fn can_undo(&self) -> bool {
        self.stacks.values().any(|stacks| !stacks.undo.is_empty())
    }

    /// Whether a division-wide redo is possible.
    pub fn can_redo(&self) -> bool {
        self.stacks.values().any(|stacks| !stacks.redo.is_empty())
    }

    /// Whether `tag` has a step to undo.
    pub fn can_undo_tag(&self, tag: &TagName) -> bool {
        self.stacks.get(tag).is_some_and(|s| !s.undo.is_empty())
    }

    /// Whether `tag` has an undone step to redo.
    pub fn can_redo_tag(&self, tag: &TagName) -> bool {
        self.stacks.get(tag).is_some_and(|s| !s.redo.is_empty())
    }

    /// Whether `tag` points somewhere or ever did (it has reflog entries).
    pub fn knows_tag(&self, tag: &TagName) -> bool {
        self.tags.contains_key(tag) || self.reflog.iter().any(|step| step.tag == *tag)
    }

    /// `tag`'s reflog entries, oldest first.
    ///
    /// # Errors
    /// [`VersionError::UnknownTag`] for a tag that never existed.
    pub fn tag_reflog(&self, tag: &TagName) -> Result<Vec<TagMove>, VersionError> {
        self.known(tag)?;
        Ok(self
            .reflog
            .iter()
            .filter(|step| step.tag == *tag)
            .cloned()
            .collect())
    }

    /// Where `tag` points, what its undo and redo can do, and whether it is protected while
    /// `locked` is the locked version.
    ///
    /// # Errors
    /// [`VersionError::UnknownTag`] for a tag that never existed.
    pub fn tag_status(
        &self,
        tag: &TagName,
        locked: Option<u32>,
    ) -> Result<TagStatus, VersionError> {
        self.known(tag)?;
        let version = self.tag(tag);
        Ok(TagStatus {
            tag: tag.clone(),
            version,
            hash: version
                .and_then(|n| self.version(n))
                .map(|record| record.hash.clone()),
            can_undo: self.can_undo_tag(tag),
            can_redo: self.can_redo_tag(tag),
            protection: Protection::of(tag, version, locked),
        })
    }

    /// Refuses a tag that never existed.
    pub(crate) fn known(&self, tag: &TagName) -> Result<(), VersionError> {
        if self.knows_tag(tag) {
            Ok(())
        } else {
            Err(VersionError::UnknownTag {
                tag: tag.to_string(),
            })
        }
    }

    /// Applies and records a new move or deletion: on the tag's undo stack, its redo cleared.
    fn record_new(&mut self, step: TagMove) -> TagMove {
        let index = self.push(step.clone());
        let stacks = self.stacks.entry(step.tag.clone()).or_default();
        stacks.undo.push(index);
        stacks.redo.clear();
        step
    }

    /// Sets the tag as `step` says and appends `step` to the reflog; returns its position.
    fn push(&mut self, step: TagMove) -> usize {
        self.set(&step.tag, step.to);
        self.reflog.push(step);
        self.reflog.len() - 1
    }

    /// The reflog entry on top of one of `tag`'s stacks.
    fn top(&self, tag: &TagName, stack: impl Fn(&TagStacks) -> &Vec<usize>) -> Option<&TagMove> {
        let index = *stack(self.stacks.get(tag)?).last()?;
        self.reflog.get(index)
    }

    /// The tag whose stack has the newest top.
    fn newest(&self, stack: impl Fn(&TagStacks) -> &Vec<usize>) -> Option<TagName> {
        self.stacks
            .iter()
            .filter_map(|(tag, stacks)| stack(stacks).last().map(|&top| (top, tag)))
            .max_by_key(|&(top, _)| top)
            .map(|(_, tag)| tag.clone())
    }
}

/// A [`History`] as stored: the current shape (per-tag `stacks`), or the earlier one (one
/// division-wide `undo`/`redo` pair of moves), which is read by replaying the reflog.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredHistory {
    versions: Vec<VersionRecord>,
    tags: BTreeMap<TagName, u32>,
    reflog: Vec<TagMove>,
    #[serde(default)]
    stacks: Option<BTreeMap<TagName, TagStacks>>,
    #[serde(default)]
    undo: Option<Vec<TagMove>>,
    #[serde(default)]
    redo: Option<Vec<TagMove>>,
}

impl TryFrom<StoredHistory> for History {
    type Error = String;

    fn try_from(stored: StoredHistory) -> Result<Self, Self::Error> {
        let stacks = match (stored.stacks, stored.undo, stored.redo) {
            (Some(stacks), None, None) => {
                check_stacks(&stored.reflog, &stacks)?;
                stacks
            }
            (None, undo, redo) => migrate(
                &stored.reflog,
                &undo.unwrap_or_default(),
                &redo.unwrap_or_default(),
            )?,
            (Some(_), _, _) => {
                return Err("a history has either per-tag stacks or undo/redo, not both".into())
            }
        };
        Ok(History {
            versions: stored.versions,
            tags: stored.tags,
            reflog: stored.reflog,
            stacks,
        })
    }
}

/// Every stack position names an entry of its tag, of the right kind, oldest first.
fn check_stacks(reflog: &[TagMove], stacks: &BTreeMap<TagName, TagStacks>) -> Result<(), String> {
    for (tag, stack) in stacks {
        for (positions, undos) in [(&stack.undo, false), (&stack.redo, true)] {
            let ordered = positions.windows(2).all(|pair| pair[0] < pair[1]);
            let valid = positions.iter().all(|&i| {
                reflog
                    .get(i)
                    .is_some_and(|step| step.tag == *tag && (step.kind == MoveKind::Undo) == undos)
            });
            if !ordered || !valid {
                return Err(format!(
                    "the undo/redo stacks of tag \"{tag}\" do not match the reflog"
                ));
            }
        }
    }
    Ok(())
}

/// Per-tag stacks of a history of the earlier shape: its reflog replayed under the rules it
/// was written with (a move cleared every redo), checked against its division-wide stacks.
fn migrate(
    reflog: &[TagMove],
    undo: &[TagMove],
    redo: &[TagMove],
) -> Result<BTreeMap<TagName, TagStacks>, String> {
    let mut stacks: BTreeMap<TagName, TagStacks> = BTreeMap::new();
    let broken = |i: usize| format!("reflog entry {i} does not follow from the ones before it");
    for (i, step) in reflog.iter().enumerate() {
        match step.kind {
            MoveKind::Move | MoveKind::Delete => {
                for other in stacks.values_mut() {
                    other.redo.clear();
                }
                stacks.entry(step.tag.clone()).or_default().undo.push(i);
            }
            MoveKind::Undo => {
                let stack = stacks.entry(step.tag.clone()).or_default();
                stack.undo.pop().ok_or_else(|| broken(i))?;
                stack.redo.push(i);
            }
            MoveKind::Redo => {
                let stack = stacks.entry(step.tag.clone()).or_default();
                stack.redo.pop().ok_or_else(|| broken(i))?;
                stack.undo.push(i);
            }
        }
    }
    // The division-wide stacks, oldest first, as the replay sees them.
    let replayed = |pick: fn(&TagStacks) -> &Vec<usize>, swap: bool| {
        let mut positions: Vec<usize> = stacks.values().flat_map(|s| pick(s).clone()).collect();
        positions.sort_unstable();
        positions
            .into_iter()
            .filter_map(|i| reflog.get(i))
            .map(|step| {
                let (from, to) = if swap {
                    (step.to, step.from)
                } else {
                    (step.from, step.to)
                };
                (step.tag.clone(), from, to)
            })
            .collect::<Vec<_>>()
    };
    let stored = |moves: &[TagMove]| {
        moves
            .iter()
            .map(|step| (step.tag.clone(), step.from, step.to))
            .collect::<Vec<_>>()
    };
    if replayed(|s| &s.undo, false) != stored(undo) || replayed(|s| &s.redo, true) != stored(redo) {
        return Err("the stored undo/redo stacks do not match the reflog".into());
    }
    Ok(stacks)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::bracket::{BracketOptions, Format};

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap()
    }

    fn tag(name: &str) -> TagName {
        TagName::new(name).unwrap()
    }

    /// A history of `n` generated versions and no tags.
    fn versions(n: u64) -> History {
        let mut history = History::new();
        for seed in 0..n {
            let hash = ContentHash::of(&seed.to_be_bytes());
            let options = BracketOptions::new(Format::SingleElimination);
            history.record_generated(hash, options, seed, at()).unwrap();
        }
        history
    }

    #[test]
    fn each_tag_undoes_and_redoes_on_its_own() {
        let mut h = versions(3);
        let (current, published) = (TagName::current(), TagName::published());
        h.move_tag(current.clone(), 1, at()).unwrap();
        h.move_tag(published.clone(), 2, at()).unwrap();
        h.move_tag(current.clone(), 2, at()).unwrap();
        h.move_tag(published.clone(), 3, at()).unwrap();
        // Undoing `current` leaves `published` (moved later) as it is.
        let step = h.undo_tag(&current, at()).unwrap();
        assert_eq!(
            (step.from, step.to, step.kind),
            (Some(2), Some(1), MoveKind::Undo)
        );
        assert_eq!((h.tag(&current), h.tag(&published)), (Some(1), Some(3)));
        assert!(h.can_redo_tag(&current) && !h.can_redo_tag(&published));
        // Moving `published` clears its own redo only.
        h.undo_tag(&published, at()).unwrap();
        h.move_tag(published.clone(), 1, at()).unwrap();
        assert!(!h.can_redo_tag(&published));
        assert!(h.can_redo_tag(&current));
        let step = h.redo_tag(&current, at()).unwrap();
        assert_eq!(
            (step.from, step.to, step.kind),
            (Some(1), Some(2), MoveKind::Redo)
        );
        assert_eq!(h.redo_tag(&current, at()), Err(VersionError::NothingToRedo));
        // The tag's reflog holds its steps only.
        let kinds: Vec<MoveKind> = h
            .tag_reflog(&current)
            .unwrap()
            .iter()
            .map(|s| s.kind)
            .collect();
        assert_eq!(
            kinds,
            [
                MoveKind::Move,
                MoveKind::Move,
                MoveKind::Undo,
                MoveKind::Redo
            ]
        );
        assert!(matches!(
            h.tag_reflog(&tag("never")),
            Err(VersionError::UnknownTag { .. })
        ));
        // Undo to before its creation removes a tag; it is still known, and redo brings it back.
        let mut fresh = versions(1);
        fresh.move_tag(tag("review"), 1, at()).unwrap();
        fresh.undo_tag(&tag("review"), at()).unwrap();
        let status = fresh.tag_status(&tag("review"), None).unwrap();
        assert_eq!(
            (status.version, status.can_undo, status.can_redo),
            (None, false, true)
        );
        fresh.redo_tag(&tag("review"), at()).unwrap();
        assert_eq!(fresh.tag(&tag("review")), Some(1));
    }

    #[test]
    fn division_wide_undo_takes_the_newest_step_of_any_tag() {
        let mut h = versions(3);
        h.move_tag(tag("a"), 1, at()).unwrap();
        h.move_tag(tag("b"), 2, at()).unwrap();
        h.move_tag(tag("a"), 3, at()).unwrap();
        assert_eq!(h.undo(at()).unwrap().tag, tag("a"));
        assert_eq!(h.undo(at()).unwrap().tag, tag("b"));
        // Redo replays the most recently undone first.
        assert_eq!(h.redo(at()).unwrap().tag, tag("b"));
        // A per-tag undo counts as that tag's newest undone step: `a` goes back past its
        // creation, and division-wide redo replays that first, then `a`'s move to 3.
        h.undo_tag(&tag("a"), at()).unwrap();
        assert_eq!(h.tag(&tag("a")), None);
        assert_eq!(h.redo(at()).unwrap().to, Some(1));
        let step = h.redo(at()).unwrap();
        assert_eq!((step.tag, step.to), (tag("a"), Some(3)));
        assert!(!h.can_redo());
        assert!(h.can_undo());
    }

    #[test]
    fn protected_tags_are_not_deleted_and_nothing_changes() {
        let mut h = versions(3);
        h.move_tag(TagName::current(), 2, at()).unwrap();
        h.move_tag(TagName::published(), 2, at()).unwrap();
        h.move_tag(tag("old"), 1, at()).unwrap();
        let before = h.clone();
        assert_eq!(
            h.delete_tag(&TagName::current(), None, at()),
            Err(VersionError::ProtectedTag {
                tag: "current".to_owned(),
                protection: Protection::Current
            })
        );
        let refused = h
            .delete_tag(&TagName::published(), Some(2), at())
            .unwrap_err();
        assert_eq!(
            refused.to_string(),
            "tag \"published\" may not be deleted: it names version 2, which is locked for play"
        );
        assert_eq!(h, before);
        assert!(matches!(
            h.delete_tag(&tag("gone"), None, at()),
            Err(VersionError::UnknownTag { .. })
        ));
        // Any other tag may go, undoably; a redone deletion is checked again.
        let step = h.delete_tag(&tag("old"), Some(2), at()).unwrap();
        assert_eq!(
            (step.from, step.to, step.kind),
            (Some(1), None, MoveKind::Delete)
        );
        assert!(step.deletes());
        assert_eq!(h.tag(&tag("old")), None);
        h.undo_tag(&tag("old"), at()).unwrap();
        assert_eq!(h.tag(&tag("old")), Some(1));
        let redone = h.redo_tag(&tag("old"), at()).unwrap();
        assert!(redone.deletes());
        assert!(redone.check_protection(Some(2)).is_ok());
        assert!(redone.check_protection(Some(1)).is_err());
        // Status names the protection.
        let status = h.tag_status(&TagName::published(), Some(2)).unwrap();
        assert_eq!(
            status.protection,
            Some(Protection::LockedVersion { version: 2 })
        );
        assert_eq!(status.hash, h.version(2).map(|r| r.hash.clone()));
        assert_eq!(
            h.tag_status(&TagName::published(), None)
                .unwrap()
                .protection,
            None
        );
    }

    /// A history as stored before per-tag stacks: `current` moved to 1 then 2, `published`
    /// to 1, then two division-wide undos (of `published`, then of `current`).
    const OLD_SHAPE: &str = r#"{
        "versions": [
            {"number": 1, "hash": "9a271f2a916b0b6ee6cecb2426f0b3206ef074578be55d9bc94f6f3fe3ab86aa",
             "origin": {"type": "generated", "options": {"format": "single_elimination"}, "seed": 1},
             "base": 1, "patches": [], "created_at": "2026-11-02T09:00:00Z"},
            {"number": 2, "hash": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
             "origin": {"type": "edited", "parent": 1, "patch": {"type": "swap", "a": "p1", "b": "p2"}},
             "base": 1, "patches": [{"type": "swap", "a": "p1", "b": "p2"}],
             "created_at": "2026-11-02T09:05:00Z"}
        ],
        "tags": {"current": 1},
        "reflog": [
            {"tag": "current", "from": null, "to": 1, "kind": "move", "at": "2026-11-02T09:00:00Z"},
            {"tag": "current", "from": 1, "to": 2, "kind": "move", "at": "2026-11-02T09:05:00Z"},
            {"tag": "published", "from": null, "to": 1, "kind": "move", "at": "2026-11-02T09:06:00Z"},
            {"tag": "published", "from": 1, "to": null, "kind": "undo", "at": "2026-11-02T09:07:00Z"},
            {"tag": "current", "from": 2, "to": 1, "kind": "undo", "at": "2026-11-02T09:08:00Z"}
        ],
        "undo": [
            {"tag": "current", "from": null, "to": 1, "kind": "move", "at": "2026-11-02T09:00:00Z"}
        ],
        "redo": [
            {"tag": "published", "from": null, "to": 1, "kind": "move", "at": "2026-11-02T09:06:00Z"},
            {"tag": "current", "from": 1, "to": 2, "kind": "move", "at": "2026-11-02T09:05:00Z"}
        ]
    }"#;

    #[test]
    fn an_old_shape_history_reads_with_its_undo_and_redo() {
        let mut h: History = serde_json::from_str(OLD_SHAPE).unwrap();
        assert_eq!(h.versions().len(), 2);
        assert_eq!(h.reflog().len(), 5);
        assert!(h.can_undo_tag(&TagName::current()));
        assert!(!h.can_undo_tag(&TagName::published()));
        // The division-wide redo replays as the old stack would have: `current` first.
        let step = h.redo(at()).unwrap();
        assert_eq!((step.tag.clone(), step.to), (TagName::current(), Some(2)));
        let step = h.redo(at()).unwrap();
        assert_eq!((step.tag.clone(), step.to), (TagName::published(), Some(1)));
        assert_eq!(h.redo(at()), Err(VersionError::NothingToRedo));
        // Written back, it has the new shape, which reads back the same.
        let json = serde_json::to_value(&h).unwrap();
        assert!(json.get("stacks").is_some() && json.get("undo").is_none());
        assert_eq!(serde_json::from_value::<History>(json).unwrap(), h);
    }

    #[test]
    fn a_stored_history_that_contradicts_its_reflog_is_refused() {
        // Old shape: the stored undo stack is not what the reflog leaves.
        let wrong = OLD_SHAPE.replacen(
            r#""undo": [
            {"tag": "current", "from": null, "to": 1"#,
            r#""undo": [
            {"tag": "current", "from": null, "to": 2"#,
            1,
        );
        assert_ne!(wrong, OLD_SHAPE);
        assert!(serde_json::from_str::<History>(&wrong).is_err());
        // New shape: a stack position naming another tag's entry, or past the reflog.
        let mut h = versions(1);
        h.move_tag(tag("a"), 1, at()).unwrap();
        h.move_tag(tag("b"), 1, at()).unwrap();
        let mut json = serde_json::to_value(&h).unwrap();
        json["stacks"]["a"]["undo"] = serde_json::json!([1]);
        assert!(serde_json::from_value::<History>(json.clone()).is_err());
        json["stacks"]["a"]["undo"] = serde_json::json!([7]);
        assert!(serde_json::from_value::<History>(json.clone()).is_err());
        // Both shapes at once.
        json["stacks"]["a"]["undo"] = serde_json::json!([0]);
        json["undo"] = serde_json::json!([]);
        assert!(serde_json::from_value::<History>(json).is_err());
    }
}
