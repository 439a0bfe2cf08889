//! Fixed-width unsigned integers wide enough for edge weights that pack every pairing
//! criterion into its own bit field. Arithmetic wraps (the matching keeps every value in
//! range), so no operation can panic.

use std::cmp::Ordering;

/// An unsigned integer of `L` 64-bit limbs, least significant limb first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Wide<const L: usize>(pub(crate) [u64; L]);

impl<const L: usize> Default for Wide<L> {
    fn default() -> Self {
        Self([0; L])
    }
}

impl<const L: usize> Ord for Wide<L> {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        for k in (0..L).rev() {
            match self.0[k].cmp(&other.0[k]) {
                Ordering::Equal => {}
                unequal => return unequal,
            }
        }
        Ordering::Equal
    }
}

impl<const L: usize> PartialOrd for Wide<L> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<const L: usize> Wide<L> {
    /// Zero.
    pub(crate) const ZERO: Self = Self([0; L]);

    /// Whether the value is zero.
    #[inline]
    pub(crate) fn is_zero(&self) -> bool {
        self.0.iter().all(|&x| x == 0)
    }

    /// `self + other`, wrapping.
    #[inline]
    pub(crate) fn add(&self, other: &Self) -> Self {
        let mut out = [0u64; L];
        let mut carry = false;
        for (k, slot) in out.iter_mut().enumerate() {
            let (s, c1) = self.0[k].overflowing_add(other.0[k]);
            let (s, c2) = s.overflowing_add(u64::from(carry));
            *slot = s;
            carry = c1 || c2;
        }
        Self(out)
    }

    /// `self - other`, wrapping.
    #[inline]
    pub(crate) fn sub(&self, other: &Self) -> Self {
        let mut out = [0u64; L];
        let mut borrow = false;
        for (k, slot) in out.iter_mut().enumerate() {
            let (s, b1) = self.0[k].overflowing_sub(other.0[k]);
            let (s, b2) = s.overflowing_sub(u64::from(borrow));
            *slot = s;
            borrow = b1 || b2;
        }
        Self(out)
    }

    /// `self / 2`.
    #[inline]
    pub(crate) fn half(&self) -> Self {
        let mut out = [0u64; L];
        for (k, slot) in out.iter_mut().enumerate() {
            let high = if k + 1 < L { self.0[k + 1] << 63 } else { 0 };
            *slot = (self.0[k] >> 1) | high;
        }
        Self(out)
    }

    /// Adds `value << offset` (wrapping; bits beyond the width are dropped).
    #[inline]
    pub(crate) fn add_at(&mut self, offset: u32, value: u64) {
        if value == 0 {
            return;
        }
        let limb = (offset / 64) as usize;
        let bit = offset % 64;
        let low = value << bit;
        let high = if bit == 0 { 0 } else { value >> (64 - bit) };
        let mut addend = [0u64; L];
        if limb < L {
            addend[limb] = low;
        }
        if limb + 1 < L {
            addend[limb + 1] = high;
        }
        *self = self.add(&Self(addend));
    }
}
