//! Seed order, bracket placement, first-round orderings, byes, seeded draws and separation.

mod ordering;

pub use ordering::{standard_positions, Ordering};
