//! The seeded random source of every draw.
//!
//! Only the raw 64-bit stream of ChaCha8 (pinned in `Cargo.toml`) is used; the sampling
//! below is our own, so a draw cannot change when a sampling library changes its algorithm.

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A deterministic random source seeded from an explicit `u64`.
#[derive(Debug, Clone)]
pub struct DrawRng(ChaCha8Rng);

impl DrawRng {
    /// The source for `seed`.
    pub fn new(seed: u64) -> Self {
        Self(ChaCha8Rng::seed_from_u64(seed))
    }

    /// A uniform index in `0..bound` (`bound` > 0), by rejection sampling so no index is
    /// favoured. Returns 0 when `bound` is 0.
    pub fn index(&mut self, bound: usize) -> usize {
        let bound = bound as u64;
        if bound <= 1 {
            return 0;
        }
        // Largest multiple of `bound` that fits: values at or above it are redrawn.
        let zone = u64::MAX - (u64::MAX % bound);
        loop {
            let x = self.0.next_u64();
            if x < zone {
                return (x % bound) as usize;
            }
        }
    }

    /// Shuffles `items` in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.index(i + 1);
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = DrawRng::new(42);
        let mut b = DrawRng::new(42);
        let xs: Vec<usize> = (0..50).map(|_| a.index(1000)).collect();
        let ys: Vec<usize> = (0..50).map(|_| b.index(1000)).collect();
        assert_eq!(xs, ys);
        assert!(xs.iter().all(|&x| x < 1000));
    }

    const PINNED: [u32; 10] = [3, 8, 1, 7, 4, 5, 9, 2, 10, 6];

    #[test]
    fn pinned_stream_for_seed_seven() {
        // Pins the draw stream: if this changes, every published draw would change.
        let mut rng = DrawRng::new(7);
        let mut items: Vec<u32> = (1..=10).collect();
        rng.shuffle(&mut items);
        assert_eq!(items, PINNED);
    }
}
