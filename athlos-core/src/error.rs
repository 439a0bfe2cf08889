//! Errors of the core, one enum per area gathered in [`Error`].

use thiserror::Error;

use crate::model::ParticipantId;

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
    /// A TRF file could not be read.
    #[error(transparent)]
    Trf(#[from] crate::trf::TrfError),
    /// A Swiss round could not be paired.
    #[error(transparent)]
    Swiss(#[from] crate::swiss::SwissError),
    /// A tie-break could not be computed.
    #[error(transparent)]
    Tiebreak(#[from] crate::tiebreak::TiebreakError),
}

/// Shorthand for results with the core's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Invalid participants or ids.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ModelError {
    /// An id is empty, too long or contains control characters.
    #[error("invalid participant id {id:?}: must be 1-200 bytes without control characters")]
    InvalidId {
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
