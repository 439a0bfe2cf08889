//! Named first-round orderings, with the meaning brackets-manager.js gives them.
//!
//! An ordering rearranges a list of slots (seeds in order, padded with byes to the bracket
//! size); consecutive pairs of the result meet in the first round. With eight entries:
//!
//! | ordering             | round-1 pairs                          |
//! |----------------------|----------------------------------------|
//! | `natural`            | 1–2, 3–4, 5–6, 7–8                     |
//! | `reverse`            | 8–7, 6–5, 4–3, 2–1                     |
//! | `half_shift`         | 5–6, 7–8, 1–2, 3–4                     |
//! | `reverse_half_shift` | 4–3, 2–1, 8–7, 6–5                     |
//! | `pair_flip`          | 2–1, 4–3, 6–5, 8–7                     |
//! | `inner_outer`        | 1–8, 4–5, 2–7, 3–6 (standard seeding)  |
//!
//! `inner_outer` is the standard seeded placement: the top two seeds can only meet in the
//! final, the top four only in the semi-finals, and so on.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::SeedingError;

/// A first-round ordering of seeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeedOrdering {
    /// Seeds in order: 1–2, 3–4, …
    Natural,
    /// Seeds in reverse order: N–(N−1), …
    Reverse,
    /// The second half first, then the first half.
    HalfShift,
    /// Each half reversed: N/2 … 1, then N … N/2+1.
    ReverseHalfShift,
    /// Each pair swapped: 2–1, 4–3, …
    PairFlip,
    /// Standard seeded placement: 1–N, N/2–N/2+1, … (seeds meet as late as possible).
    InnerOuter,
}

impl SeedOrdering {
    /// Every ordering, in documentation order.
    pub const ALL: [SeedOrdering; 6] = [
        SeedOrdering::Natural,
        SeedOrdering::Reverse,
        SeedOrdering::HalfShift,
        SeedOrdering::ReverseHalfShift,
        SeedOrdering::PairFlip,
        SeedOrdering::InnerOuter,
    ];

    /// The snake_case name used in JSON, the command line and Python.
    pub fn name(self) -> &'static str {
        match self {
            SeedOrdering::Natural => "natural",
            SeedOrdering::Reverse => "reverse",
            SeedOrdering::HalfShift => "half_shift",
            SeedOrdering::ReverseHalfShift => "reverse_half_shift",
            SeedOrdering::PairFlip => "pair_flip",
            SeedOrdering::InnerOuter => "inner_outer",
        }
    }

    /// Rearranges `items` (seed order) into slot order.
    ///
    /// # Errors
    /// [`SeedingError::BadOrderingLength`] when the list length is odd (every ordering pairs
    /// consecutive slots), or for `inner_outer` not a power of two.
    pub fn apply<T: Clone>(self, items: &[T]) -> Result<Vec<T>, SeedingError> {
        let len = items.len();
        let bad = || SeedingError::BadOrderingLength {
            ordering: self.name(),
            len,
        };
        if len % 2 != 0 {
            return Err(bad());
        }
        let half = len / 2;
        Ok(match self {
            SeedOrdering::Natural => items.to_vec(),
            SeedOrdering::Reverse => items.iter().rev().cloned().collect(),
            SeedOrdering::HalfShift => items[half..]
                .iter()
                .chain(&items[..half])
                .cloned()
                .collect(),
            SeedOrdering::ReverseHalfShift => items[..half]
                .iter()
                .rev()
                .chain(items[half..].iter().rev())
                .cloned()
                .collect(),
            SeedOrdering::PairFlip => items
                .chunks_exact(2)
                .flat_map(|pair| [pair[1].clone(), pair[0].clone()])
                .collect(),
            SeedOrdering::InnerOuter => {
                if !len.is_power_of_two() {
                    return Err(bad());
                }
                standard_positions(len)
                    .into_iter()
                    .map(|seed_index| items[seed_index].clone())
                    .collect()
            }
        })
    }
}

/// The standard seeded placement for a bracket of `size` slots (a power of two, or 0/1):
/// element `k` is the 0-based seed index placed in slot `k`.
///
/// Built by doubling: a bracket of 2m slots replaces each seed `s` of the m-slot bracket with
/// the pair `s`, `2m − 1 − s`, so every round's survivors keep the same pattern.
pub fn standard_positions(size: usize) -> Vec<usize> {
    let mut slots = vec![0usize];
    let mut current = 1;
    while current < size {
        let doubled = current * 2;
        slots = slots.iter().flat_map(|&s| [s, doubled - 1 - s]).collect();
        current = doubled;
    }
    slots.truncate(size.max(1));
    if size == 0 {
        slots.clear();
    }
    slots
}

impl fmt::Display for SeedOrdering {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SeedOrdering {
    type Err = SeedingError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SeedOrdering::ALL
            .into_iter()
            .find(|o| o.name() == s)
            .ok_or_else(|| SeedingError::UnknownOrdering { name: s.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(ordering: SeedOrdering, n: usize) -> Vec<(usize, usize)> {
        let seeds: Vec<usize> = (1..=n).collect();
        ordering
            .apply(&seeds)
            .unwrap()
            .chunks(2)
            .map(|p| (p[0], p[1]))
            .collect()
    }

    #[test]
    fn documented_table_for_eight() {
        assert_eq!(
            pairs(SeedOrdering::Natural, 8),
            [(1, 2), (3, 4), (5, 6), (7, 8)]
        );
        assert_eq!(
            pairs(SeedOrdering::Reverse, 8),
            [(8, 7), (6, 5), (4, 3), (2, 1)]
        );
        assert_eq!(
            pairs(SeedOrdering::HalfShift, 8),
            [(5, 6), (7, 8), (1, 2), (3, 4)]
        );
        assert_eq!(
            pairs(SeedOrdering::ReverseHalfShift, 8),
            [(4, 3), (2, 1), (8, 7), (6, 5)]
        );
        assert_eq!(
            pairs(SeedOrdering::PairFlip, 8),
            [(2, 1), (4, 3), (6, 5), (8, 7)]
        );
        assert_eq!(
            pairs(SeedOrdering::InnerOuter, 8),
            [(1, 8), (4, 5), (2, 7), (3, 6)]
        );
    }

    #[test]
    fn inner_outer_sixteen_is_standard_seeding() {
        assert_eq!(
            pairs(SeedOrdering::InnerOuter, 16),
            [
                (1, 16),
                (8, 9),
                (4, 13),
                (5, 12),
                (2, 15),
                (7, 10),
                (3, 14),
                (6, 11)
            ]
        );
    }

    #[test]
    fn names_round_trip_and_unknown_is_an_error() {
        for o in SeedOrdering::ALL {
            assert_eq!(o.name().parse::<SeedOrdering>().unwrap(), o);
            assert_eq!(
                serde_json::to_string(&o).unwrap(),
                format!("\"{}\"", o.name())
            );
        }
        assert_eq!(
            "snake".parse::<SeedOrdering>().unwrap_err(),
            SeedingError::UnknownOrdering {
                name: "snake".into()
            }
        );
    }

    #[test]
    fn odd_lengths_are_refused() {
        assert!(SeedOrdering::Natural.apply(&[1, 2, 3]).is_err());
        assert!(SeedOrdering::InnerOuter.apply(&[1, 2, 3, 4, 5, 6]).is_err());
    }
}
