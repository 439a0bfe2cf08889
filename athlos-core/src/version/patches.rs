//! Patches addressed by content, as git addresses its objects: a patch's id is the
//! [`ContentHash`] of the canonical JSON of `{"base": <hash of the bracket it applies to>,
//! "patch": <the patch>}`. The same edit of the same bracket has the same id wherever and
//! whenever it is made (a regeneration with the same field and seed replays it under the same
//! id), and since edits are deterministic the id also fixes the result.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{ContentHash, History, Origin, Patch, VersionError};

/// The content address of a patch applied to a base.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PatchId(ContentHash);

/// What a patch id hashes; the field order is part of the address.
#[derive(Serialize)]
struct Addressed<'a> {
    base: &'a ContentHash,
    patch: &'a Patch,
}

impl PatchId {
    /// The id of `patch` applied to the bracket whose hash is `base`.
    ///
    /// # Errors
    /// [`VersionError::Serialize`] if serialization fails (it does not for a valid patch).
    pub fn of(base: &ContentHash, patch: &Patch) -> Result<Self, VersionError> {
        let bytes = serde_json::to_vec(&Addressed { base, patch }).map_err(|error| {
            VersionError::Serialize {
                reason: error.to_string(),
            }
        })?;
        Ok(Self(ContentHash::of(&bytes)))
    }

    /// Parses 64 lower-case hex digits.
    ///
    /// # Errors
    /// [`VersionError::InvalidHash`] for anything else.
    pub fn parse(text: &str) -> Result<Self, VersionError> {
        ContentHash::parse(text).map(Self)
    }

    /// The hex digits.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for PatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One edit as recorded: the patch, the version it applied to and the version it produced,
/// with both content hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatchRecord {
    /// The patch's id.
    pub id: PatchId,
    /// The patch.
    pub patch: Patch,
    /// The version it applied to.
    pub parent: u32,
    /// That version's content hash (the patch's base).
    pub base_hash: ContentHash,
    /// The version it produced.
    pub version: u32,
    /// That version's content hash.
    pub result_hash: ContentHash,
}

/// The chain of edits from a generated base to a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatchChain {
    /// The version the chain ends at.
    pub version: u32,
    /// The generated version it starts from.
    pub base: u32,
    /// The generated version's content hash.
    pub base_hash: ContentHash,
    /// The edits, oldest first; each one's `base_hash` is the previous one's `result_hash`.
    pub patches: Vec<PatchRecord>,
}

impl History {
    /// The edit that produced version `number` (`None` for a generated version).
    ///
    /// # Errors
    /// [`VersionError::UnknownVersion`] for a version, or a parent, not in the history.
    pub fn patch_record(&self, number: u32) -> Result<Option<PatchRecord>, VersionError> {
        let record = self
            .version(number)
            .ok_or(VersionError::UnknownVersion { number })?;
        let Origin::Edited { parent, patch } = &record.origin else {
            return Ok(None);
        };
        // A parent is always older; a stored history saying otherwise names no version.
        let base = self
            .version(*parent)
            .filter(|_| *parent < number)
            .ok_or(VersionError::UnknownVersion { number: *parent })?;
        Ok(Some(PatchRecord {
            id: PatchId::of(&base.hash, patch)?,
            patch: patch.clone(),
            parent: *parent,
            base_hash: base.hash.clone(),
            version: number,
            result_hash: record.hash.clone(),
        }))
    }

    /// The patch with this id as first recorded, and every version it produced (the same
    /// edit of the same bracket recurs when a regeneration replays it), oldest first.
    ///
    /// # Errors
    /// [`VersionError::UnknownPatch`].
    pub fn patch(&self, id: &PatchId) -> Result<(PatchRecord, Vec<u32>), VersionError> {
        let mut found: Option<PatchRecord> = None;
        let mut versions = Vec::new();
        for record in &self.versions {
            if let Some(edit) = self.patch_record(record.number)? {
                if edit.id == *id {
                    versions.push(edit.version);
                    found.get_or_insert(edit);
                }
            }
        }
        found
            .map(|record| (record, versions))
            .ok_or_else(|| VersionError::UnknownPatch { id: id.to_string() })
    }

    /// The chain of edits from the generated base of version `number` to it.
    ///
    /// # Errors
    /// [`VersionError::UnknownVersion`].
    pub fn chain(&self, number: u32) -> Result<PatchChain, VersionError> {
        let mut patches = Vec::new();
        let mut at = number;
        while let Some(edit) = self.patch_record(at)? {
            at = edit.parent;
            patches.push(edit);
        }
        patches.reverse();
        let base = self
            .version(at)
            .ok_or(VersionError::UnknownVersion { number: at })?;
        Ok(PatchChain {
            version: number,
            base: at,
            base_hash: base.hash.clone(),
            patches,
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::bracket::{BracketOptions, Format};
    use crate::model::{Participant, ParticipantId};
    use crate::version::{apply_patch, content_hash};

    fn pid(id: &str) -> ParticipantId {
        ParticipantId::new(id).unwrap()
    }

    /// Generated version 1, then two edits (2, 3), then a regeneration (4) with the first
    /// edit replayed (5).
    fn history() -> History {
        let at = Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap();
        let field: Vec<Participant> = (1..=4)
            .map(|i| Participant::new(format!("p{i}"), format!("P{i}")).unwrap())
            .collect();
        let options = BracketOptions::new(Format::SingleElimination);
        let base = crate::draw(&field, &options, 1).unwrap();
        let swap = Patch::Swap {
            a: pid("p1"),
            b: pid("p2"),
        };
        let moved = Patch::Swap {
            a: pid("p3"),
            b: pid("p4"),
        };
        let one = apply_patch(&base, &swap).unwrap();
        let two = apply_patch(&one, &moved).unwrap();
        let mut h = History::new();
        let hash = |b| content_hash(b).unwrap();
        h.record_generated(hash(&base), options.clone(), 1, at)
            .unwrap();
        h.record_edit(1, hash(&one), swap.clone(), at).unwrap();
        h.record_edit(2, hash(&two), moved, at).unwrap();
        h.record_generated(hash(&base), options, 1, at).unwrap();
        h.record_edit(4, hash(&one), swap, at).unwrap();
        h
    }

    #[test]
    fn patch_ids_are_content_addresses_of_base_and_patch() {
        let h = history();
        let base = &h.version(1).unwrap().hash;
        let swap = Patch::Swap {
            a: pid("p1"),
            b: pid("p2"),
        };
        let id = PatchId::of(base, &swap).unwrap();
        // Deterministic, and the hash of exactly {"base":…,"patch":…}.
        assert_eq!(id, PatchId::of(base, &swap).unwrap());
        let text = format!(r#"{{"base":"{base}","patch":{{"type":"swap","a":"p1","b":"p2"}}}}"#);
        assert_eq!(id.as_str(), ContentHash::of(text.as_bytes()).as_str());
        // Another base or another patch, another id.
        assert_ne!(id, PatchId::of(&ContentHash::of(b""), &swap).unwrap());
        let other = Patch::Swap {
            a: pid("p2"),
            b: pid("p1"),
        };
        assert_ne!(id, PatchId::of(base, &other).unwrap());
        assert_eq!(PatchId::parse(id.as_str()).unwrap(), id);
        assert!(PatchId::parse("xyz").is_err());
        // A pinned address: the id of a patch never changes between releases.
        let pinned = PatchId::of(&ContentHash::of(b""), &swap).unwrap();
        assert_eq!(
            pinned.as_str(),
            ContentHash::of(
                br#"{"base":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","patch":{"type":"swap","a":"p1","b":"p2"}}"#
            )
            .as_str()
        );
        // Found with every version it produced: the replay after regeneration has its id.
        let (record, versions) = h.patch(&id).unwrap();
        assert_eq!((record.parent, record.version), (1, 2));
        assert_eq!(versions, [2, 5]);
        assert_eq!(&record.base_hash, base);
        assert_eq!(record.result_hash, h.version(2).unwrap().hash);
        let unknown = PatchId::of(&ContentHash::of(b"x"), &swap).unwrap();
        assert!(matches!(
            h.patch(&unknown),
            Err(VersionError::UnknownPatch { .. })
        ));
    }

    #[test]
    fn a_version_chain_runs_from_its_generated_base() {
        let h = history();
        let chain = h.chain(3).unwrap();
        assert_eq!((chain.version, chain.base), (3, 1));
        assert_eq!(chain.base_hash, h.version(1).unwrap().hash);
        let numbers: Vec<(u32, u32)> = chain
            .patches
            .iter()
            .map(|p| (p.parent, p.version))
            .collect();
        assert_eq!(numbers, [(1, 2), (2, 3)]);
        assert_eq!(chain.patches[0].result_hash, chain.patches[1].base_hash);
        let patches: Vec<Patch> = chain.patches.iter().map(|p| p.patch.clone()).collect();
        assert_eq!(patches, h.version(3).unwrap().patches);
        // A generated version's chain is empty; a replayed edit's starts at the new base.
        assert!(h.chain(4).unwrap().patches.is_empty());
        assert_eq!(h.chain(5).unwrap().base, 4);
        assert_eq!(h.chain(9), Err(VersionError::UnknownVersion { number: 9 }));
    }
}
