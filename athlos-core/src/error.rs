//! Errors of the core: the umbrella [`Error`](enum@Error) that wraps the error of each area.
//!
//! Each area owns its error enum, next to its stable codes: [`ModelError`] in
//! [`model`](crate::model), [`BracketError`] in [`bracket`](crate::bracket) and so on. They are
//! re-exported here, so `athlos_core::error::BracketError` names the same type as
//! `athlos_core::bracket::BracketError`. This module depends on those areas, never the other way
//! round: an area returns its own error, and only code that mixes areas (the use cases of
//! [`service`](crate::service), [`draw()`](crate::draw()), [`place`](crate::seeding::place),
//! [`preview`](crate::diff::preview)) returns this umbrella.

use thiserror::Error;

pub use crate::account::AccountError;
pub use crate::bracket::BracketError;
pub use crate::chat::ChatError;
pub use crate::codes::ErrorKind;
pub use crate::diff::error::DiffError;
pub use crate::draft::error::DraftError;
pub use crate::import::ImportError;
pub use crate::lifecycle::error::LifecycleError;
pub use crate::model::ModelError;
pub use crate::seeding::error::SeedingError;
pub use crate::service::error::ServiceError;
pub use crate::store::error::StoreError;
pub use crate::swiss::SwissError;
pub use crate::tiebreak::TiebreakError;
pub use crate::trf::TrfError;
pub use crate::version::error::VersionError;

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
    /// A field of participants could not be read.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// A bracket could not be built or a result could not be applied.
    #[error(transparent)]
    Bracket(#[from] BracketError),
    /// An action the lifecycle does not allow now.
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
    /// A version, tag or patch problem.
    #[error(transparent)]
    Version(#[from] VersionError),
    /// A diff or preview problem.
    #[error(transparent)]
    Diff(#[from] DiffError),
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A use case of the service layer was refused.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// A TRF file could not be read.
    #[error(transparent)]
    Trf(#[from] TrfError),
    /// A Swiss round could not be paired.
    #[error(transparent)]
    Swiss(#[from] SwissError),
    /// A tie-break could not be computed.
    #[error(transparent)]
    Tiebreak(#[from] TiebreakError),
    /// Draft settings were invalid or a draft command was refused.
    #[error(transparent)]
    Draft(#[from] DraftError),
    /// An account operation was refused.
    #[error(transparent)]
    Account(#[from] AccountError),
    /// A chat post or deletion was refused.
    #[error(transparent)]
    Chat(#[from] ChatError),
}

impl Error {
    /// The stable snake_case code of this error: the code of the area's error inside (a
    /// lifecycle refusal of a draft is the lifecycle's `invalid_transition` or
    /// `guard_failed`; an unreadable TRF file is `trf_error`).
    pub fn code(&self) -> &'static str {
        self.code_and_kind().0
    }

    /// What kind of refusal or failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.code_and_kind().1
    }

    fn code_and_kind(&self) -> (&'static str, ErrorKind) {
        match self {
            Error::Model(e) => (e.code(), e.kind()),
            Error::Seeding(e) => (e.code(), e.kind()),
            Error::Import(e) => (e.code(), e.kind()),
            Error::Bracket(e) => (e.code(), e.kind()),
            Error::Lifecycle(e) | Error::Draft(DraftError::Lifecycle(e)) => (e.code(), e.kind()),
            Error::Version(e) => (e.code(), e.kind()),
            Error::Diff(e) => (e.code(), e.kind()),
            Error::Store(e) => (e.code(), e.kind()),
            Error::Service(e) => (e.code(), e.kind()),
            Error::Trf(_) => ("trf_error", ErrorKind::Invalid),
            Error::Swiss(e) => (e.code(), e.kind()),
            Error::Tiebreak(e) => (e.code(), e.kind()),
            Error::Draft(e) => (e.code(), e.kind()),
            Error::Account(e) => (e.code(), e.kind()),
            Error::Chat(e) => (e.code(), e.kind()),
        }
    }
}

/// Shorthand for results with the core's [`Error`](enum@Error).
pub type Result<T, E = Error> = std::result::Result<T, E>;
