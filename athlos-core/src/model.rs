//! Participants and identifiers.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Identifies a participant: a non-empty string without control characters.
///
/// Cheap to clone (a shared string): brackets and pairings hold an id in every slot.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct ParticipantId(Arc<str>);

impl ParticipantId {
    /// Makes an id from a string.
    ///
    /// # Errors
    /// [`ModelError::InvalidId`] when the string is empty, longer than 200 bytes or contains a
    /// control character.
    pub fn new(id: impl Into<String>) -> Result<Self, ModelError> {
        let id = id.into();
        if id.is_empty() || id.len() > 200 || id.chars().any(char::is_control) {
            return Err(ModelError::InvalidId {
                kind: "participant",
                id,
            });
        }
        Ok(Self(Arc::from(id)))
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ParticipantId {
    type Error = ModelError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<ParticipantId> for String {
    fn from(value: ParticipantId) -> Self {
        value.0.as_ref().to_owned()
    }
}

impl Serialize for ParticipantId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl fmt::Display for ParticipantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Someone (or something: a team, a bot) taking part in a competition.
///
/// Only `id` and `name` are required. `seed` is an explicit seed number given by the organiser
/// (1 = strongest); `rank` is a ranking position (1 = best); `rating` is a rating or ranking
/// points (higher = stronger). See [`crate::seeding::seed_order`] for how they combine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Participant {
    /// Unique id within a competition.
    pub id: ParticipantId,
    /// Display name.
    pub name: String,
    /// Rating or ranking points; higher is stronger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<u32>,
    /// Ranking position; 1 is best.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<u32>,
    /// Explicit seed; 1 is the top seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u32>,
    /// Club, kept apart from team-mates in a draw where possible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub club: Option<String>,
    /// Nation (federation), kept apart after clubs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nation: Option<String>,
    /// Free-form data carried through unchanged.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, serde_json::Value>,
}

impl Participant {
    /// A participant with an id and a name and nothing else.
    ///
    /// # Errors
    /// [`ModelError::InvalidId`] when `id` is not a valid [`ParticipantId`].
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Result<Self, ModelError> {
        Ok(Self {
            id: ParticipantId::new(id)?,
            name: name.into(),
            rating: None,
            rank: None,
            seed: None,
            club: None,
            nation: None,
            metadata: BTreeMap::new(),
        })
    }

    /// Sets the explicit seed.
    #[must_use]
    pub fn with_seed(mut self, seed: u32) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Sets the rating.
    #[must_use]
    pub fn with_rating(mut self, rating: u32) -> Self {
        self.rating = Some(rating);
        self
    }

    /// Sets the ranking position.
    #[must_use]
    pub fn with_rank(mut self, rank: u32) -> Self {
        self.rank = Some(rank);
        self
    }

    /// Sets the club.
    #[must_use]
    pub fn with_club(mut self, club: impl Into<String>) -> Self {
        self.club = Some(club.into());
        self
    }

    /// Sets the nation.
    #[must_use]
    pub fn with_nation(mut self, nation: impl Into<String>) -> Self {
        self.nation = Some(nation.into());
        self
    }
}

/// Checks that a field has at least two entries and no duplicate ids.
///
/// # Errors
/// [`ModelError::TooFewParticipants`] or [`ModelError::DuplicateId`].
pub fn validate_field(participants: &[Participant]) -> Result<(), ModelError> {
    if participants.len() < 2 {
        return Err(ModelError::TooFewParticipants {
            count: participants.len(),
        });
    }
    // A hash set only answers "seen before?" here; nothing is iterated into output.
    let mut ids: HashSet<&str> = HashSet::with_capacity(participants.len());
    if let Some(p) = participants.iter().find(|p| !ids.insert(p.id.as_str())) {
        return Err(ModelError::DuplicateId { id: p.id.clone() });
    }
    let mut seeds: Vec<(u32, usize)> = Vec::new();
    for (index, p) in participants.iter().enumerate() {
        if let Some(seed) = p.seed {
            if seed == 0 {
                return Err(ModelError::InvalidSeed { id: p.id.clone() });
            }
            seeds.push((seed, index));
        }
    }
    seeds.sort_unstable();
    if let Some(pair) = seeds.windows(2).find(|pair| pair[0].0 == pair[1].0) {
        return Err(ModelError::DuplicateSeed {
            seed: pair[0].0,
            first: participants[pair[0].1].id.clone(),
            second: participants[pair[1].1].id.clone(),
        });
    }
    Ok(())
}

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
    /// An id the kind reserves (a tag named `undo`, `redo` or `history`).
    #[error("{kind} name {id:?} is reserved")]
    ReservedId {
        /// What the id names.
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

crate::codes::error_codes! {
ModelError {
    InvalidId => "invalid_id", Invalid;
    ReservedId => "reserved_id", Invalid;
    DuplicateId => "duplicate_id", Invalid;
    DuplicateSeed => "duplicate_seed", Invalid;
    InvalidSeed => "invalid_seed", Invalid;
    TooFewParticipants => "too_few_participants", Invalid;
}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_rejects_empty_and_control_characters() {
        assert!(ParticipantId::new("").is_err());
        assert!(ParticipantId::new("a\nb").is_err());
        assert_eq!(ParticipantId::new("judoka-7").unwrap().as_str(), "judoka-7");
    }

    #[test]
    fn id_is_validated_when_deserialized() {
        let err = serde_json::from_str::<ParticipantId>("\"\"").unwrap_err();
        assert!(err.to_string().contains("invalid participant id"), "{err}");
    }

    #[test]
    fn field_validation_names_the_duplicate() {
        let a = Participant::new("a", "A").unwrap();
        let err = validate_field(&[a.clone(), a]).unwrap_err();
        assert_eq!(err.to_string(), "duplicate participant id \"a\"");
        let one = Participant::new("a", "A").unwrap();
        assert!(matches!(
            validate_field(&[one]),
            Err(ModelError::TooFewParticipants { count: 1 })
        ));
    }

    #[test]
    fn field_validation_refuses_duplicate_seeds() {
        let a = Participant::new("a", "A").unwrap().with_seed(1);
        let b = Participant::new("b", "B").unwrap().with_seed(1);
        assert_eq!(
            validate_field(&[a, b]).unwrap_err().to_string(),
            "seed 1 given to both \"a\" and \"b\""
        );
    }
}
