//! Runnable examples of the Athlos library; see the `[[example]]` entries in `Cargo.toml`.
//!
//! `cargo run -p athlos-examples --example judo27 -- [SEED]`
