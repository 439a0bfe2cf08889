//! One module per subcommand.

pub mod bracket;
pub mod demo;
pub mod render;
pub mod serve;
pub mod swiss;
pub mod token;

use std::path::PathBuf;

use thiserror::Error;

/// Why a command failed; every variant maps to exit code 2.
#[derive(Debug, Error)]
pub enum CliError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The core refused the input.
    #[error(transparent)]
    Core(#[from] athlos_core::Error),
    /// A field of participants could not be read.
    #[error("{path}: {source}")]
    Import {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: athlos_core::import::ImportError,
    },
    /// Options that do not fit together.
    #[error("{0}")]
    Usage(String),
    /// Output could not be written or serialized.
    #[error("cannot write output: {0}")]
    Output(String),
}
