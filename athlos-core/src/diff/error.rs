//! The error of diffs and previews.

use thiserror::Error;

use crate::bracket::{BracketError, MatchId};

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

crate::codes::error_codes! {
DiffError {
    Mismatch => "mismatch", Invalid;
    Rebuild => "rebuild", Invalid;
    Unapplied => "unapplied", Invalid;
    InvalidOverrides => "invalid_overrides", Invalid;
}
}
