//! Runnable examples of the Athlos library; see the `[[example]]` entries in `Cargo.toml`.
//!
//! `cargo run -p athlos-examples --example judo27 -- [SEED]`
//!
//! `cargo run -p athlos-examples --example lifecycle`: a judo event with two divisions through
//! the service layer: generate, preview with `max_seeds` changed and print the diff, lock, play
//! to the end with a manual clock, and print the events.
//!
//! `cargo run --release -p athlos-examples --example draft -- [DRAFTS] [SEED]`: seeded fantasy
//! drafts (12 teams, 15 rounds) with manual picks and timeouts on a manual clock, checked and
//! replayed, with throughput figures.
