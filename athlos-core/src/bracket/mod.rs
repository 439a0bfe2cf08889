//! The bracket document shared by every format, its generation and its progression.

mod options;

pub use options::{BracketOptions, Format, GrandFinal};
