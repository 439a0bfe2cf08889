//! # athlos-core
//!
//! The deterministic heart of Athlos: seeding and draws, elimination brackets, round robin,
//! the FIDE Dutch Swiss system, tie-breaks and standings.
//!
//! ```
//! use athlos_core::bracket::{BracketOptions, Format};
//! use athlos_core::import::participants_from_csv;
//! use athlos_core::report::DrawReport;
//!
//! let field = participants_from_csv(
//!     "name,club,rating\nAiko,Kodokan,2100\nBruno,Paris,1950\nChen,Kodokan,1900\nDara,Lyon,1800\nEli,Paris,1700\n",
//! )?;
//! let mut options = BracketOptions::new(Format::Repechage);
//! options.max_seeds = Some(2);
//! let bracket = athlos_core::draw(&field, &options, 2026)?;
//! let report = DrawReport::for_bracket(&bracket);
//! assert!(report.seed_integrity.intact);
//! assert_eq!(report.byes.count, 3);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Overview
//!
//! The crate is *sans-IO*: it reads no clock, file, socket or entropy source. Every function
//! takes its inputs (including `now` and a random `seed` where needed) as arguments and returns
//! new values, so the same input always gives byte-identical output.
//!
//! - [`access`]: who may do what: the authorisation decisions adapters ask.
//! - [`account`]: user accounts, their profiles, API tokens and browser sessions, the rules
//!   of their fields and the sign-in throttle (the adapter hashes and draws the secrets).
//! - [`announcement`]: tournaments published, started and finished, read off the event log.
//! - [`chat`]: a tournament's chat: who may post and delete, length and rate limits.
//! - [`chess`]: chess games as a board service reports them: replay of UCI moves, SAN, how
//!   the game ended on the board.
//! - [`profile`]: naming profiles of the streams (the platform's event shapes).
//! - [`model`]: participants and ids.
//! - [`seeding`]: seed order, bracket placement, first-round orderings, byes, seeded draws and
//!   club/nation separation.
//! - [`bracket`]: the bracket document shared by every format, generation, progression and
//!   final placements.
//! - [`report`]: the draw quality report.
//! - [`import`]: reading a field from JSON or CSV.
//! - [`draw()`]: the paved path from a field to a bracket.
//! - [`clock`]: time as an input ([`clock::Clock`], system and manual clocks).
//! - [`id`]: ids of competitions, divisions, tournaments, drafts, users, API tokens, events
//!   and tags.
//! - [`event`]: the domain event catalog and its envelope.
//! - [`browse`]: the filters of a list of tournaments (state, format, text).
//! - [`leaderboard`]: placements and points summed across finished tournaments.
//! - [`lifecycle`]: the bracket, tournament, match and draft state machines as tables.
//! - [`draft`]: fantasy drafts: settings, picks, the pick clock, auto-pick, trades, queues and
//!   replay.
//! - [`version`]: content-addressed bracket versions, tags with undo/redo, manual edits.
//! - [`diff`]: structural and text diffs of brackets, and previews.
//! - [`store`]: async store traits and the in-memory store.
//! - [`service`]: the use cases over a store and a clock, with optimistic concurrency.
//! - [`swiss`]: the FIDE Dutch system (C.04.3, 2025 edition).
//! - [`trf`]: TRF-16 reading and writing with the pairing-program extension lines.
//! - [`tiebreak`]: FIDE tie-breaks (C.07) and standings.

#![deny(missing_docs)]

pub mod access;
pub mod account;
pub mod announcement;
pub mod bracket;
pub mod browse;
pub mod chat;
pub mod chess;
pub mod clock;
pub mod codes;
pub mod competition;
pub mod diff;
pub mod draft;
mod draw;
pub mod error;
pub mod event;
pub mod id;
pub mod import;
pub mod leaderboard;
pub mod lifecycle;
pub mod model;
pub mod notify;
pub mod profile;
pub mod report;
pub mod seeding;
pub mod service;
pub mod simulate;
pub mod store;
pub mod swiss;
#[cfg(any(test, feature = "proptest"))]
pub mod testing;
pub mod tiebreak;
pub mod tournament;
pub mod trf;
pub mod version;

pub use draw::draw;
pub use error::{Error, Result};
