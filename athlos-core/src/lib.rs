//! # athlos-core
//!
//! The deterministic heart of Athlos: seeding and draws, elimination brackets, round robin,
//! the FIDE Dutch Swiss system, tie-breaks and standings.
//!
//! ## Overview
//!
//! The crate is *sans-IO*: it reads no clock, file, socket or entropy source. Every function
//! takes its inputs (including `now` and a random `seed` where needed) as arguments and returns
//! new values, so the same input always gives byte-identical output.
//!
//! - [`model`]: participants and ids.
//! - [`seeding`]: seed order, bracket placement, first-round orderings, byes, seeded draws and
//!   club/nation separation.
//! - [`swiss`]: the FIDE Dutch system (C.04.3, 2025 edition).
//! - [`trf`]: TRF-16 reading and writing with the pairing-program extension lines.
//! - [`tiebreak`]: FIDE tie-breaks (C.07) and standings.

#![deny(missing_docs)]

pub mod bracket;
pub mod error;
pub mod model;
pub mod seeding;
pub mod swiss;
pub mod tiebreak;
pub mod trf;

pub use error::{Error, Result};
