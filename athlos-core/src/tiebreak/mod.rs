//! FIDE tie-breaks (C.07) and standings.

use thiserror::Error;

/// A tie-break could not be understood or computed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TiebreakError {
    /// An unknown tie-break code.
    #[error("unknown tie-break {code:?}")]
    UnknownCode {
        /// The code.
        code: String,
    },
}
