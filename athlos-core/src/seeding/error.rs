//! The error of seeding and draws.

use thiserror::Error;

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

crate::codes::error_codes! {
SeedingError {
    TooManySeeds => "too_many_seeds", Invalid;
    TooLarge => "too_large", Invalid;
    UnknownOrdering => "unknown_ordering", Invalid;
    BadOrderingLength => "bad_ordering_length", Invalid;
}
}
