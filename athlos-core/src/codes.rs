//! Stable error codes and kinds: what a program reads of an error, in every adapter alike.
//!
//! Each error enum of the core declares, in one table per enum, the code and the kind of
//! every variant. The code is part of the public API (`"code"` in an HTTP refusal): it is
//! written out here, never derived from a variant's name, so renaming a variant changes
//! nothing a client sees, and the golden test of the codes (`tests/error_codes.rs`) fails when a
//! code changes.

/// What kind of refusal or failure an error is: what an adapter answers with (an HTTP status,
/// a Python exception).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input breaks a rule or cannot be read (HTTP 422).
    Invalid,
    /// An id names nothing (HTTP 404).
    NotFound,
    /// The state does not allow it now, or another change came first (HTTP 409).
    Conflict,
    /// The aggregate is no longer at the version the caller expected (HTTP 412).
    PreconditionFailed,
    /// The storage is unreachable or failed; the same call may succeed later (HTTP 503).
    Unavailable,
    /// A stored document or an internal step broke its own rules (HTTP 500).
    Internal,
    /// The caller may not do this (HTTP 403).
    Forbidden,
    /// The caller did this too often lately; the same call succeeds after a wait (HTTP 429).
    RateLimited,
}

impl ErrorKind {
    /// The kind's name (`not_found` …).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Invalid => "invalid",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::PreconditionFailed => "precondition_failed",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Internal => "internal",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::RateLimited => "rate_limited",
        }
    }
}

/// Gives an error enum `code()`, `kind()` and `CODES` from one table of
/// `Variant => "code", Kind;` rows, one per variant (the match is exhaustive, so a new variant
/// without a row does not compile).
macro_rules! error_codes {
    ($enum:ident { $($variant:ident => $code:literal, $kind:ident;)* }) => {
        impl $enum {
            /// The stable snake_case code of this error.
            pub fn code(&self) -> &'static str {
                match self {
                    $(Self::$variant { .. } => $code,)*
                }
            }

            /// What kind of refusal or failure this is.
            pub fn kind(&self) -> $crate::codes::ErrorKind {
                match self {
                    $(Self::$variant { .. } => $crate::codes::ErrorKind::$kind,)*
                }
            }

            /// Every variant's code and kind, in declaration order.
            pub const CODES: &'static [(&'static str, $crate::codes::ErrorKind)] =
                &[$(($code, $crate::codes::ErrorKind::$kind)),*];
        }
    };
}
pub(crate) use error_codes;
