//! Seed order, bracket placement, first-round orderings, byes, seeded draws and separation.
//!
//! - [`seed_order`] ranks a field: explicit seeds, then rank, then rating, ties by id.
//! - [`SeedOrdering`] names the first-round orderings (brackets-manager.js semantics).
//! - [`place`] puts a field into the first round: byes, `max_seeds` draws, separation.
//! - [`DrawRng`] is the only source of randomness, seeded from an explicit `u64`.

pub(crate) mod error;
mod order;
mod ordering;
mod placement;
mod rng;

pub use error::SeedingError;
pub use order::{compare, seed_order};
pub use ordering::{standard_positions, SeedOrdering};
pub(crate) use placement::place_ranked;
pub use placement::{meeting_round, place, FirstRound, MAX_ENTRIES};
pub use rng::DrawRng;
