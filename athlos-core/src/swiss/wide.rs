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
    #[inline(always)]
    pub(crate) fn is_zero(&self) -> bool {
        self.0.iter().fold(0, |acc, &x| acc | x) == 0
    }

    /// Whether the value read as two's complement is negative (its top bit is set).
    #[inline]
    pub(crate) fn is_negative(&self) -> bool {
        self.0.last().is_some_and(|top| top >> 63 == 1)
    }

    /// `self + other`, wrapping.
    #[inline(always)]
    pub(crate) fn add(&self, other: &Self) -> Self {
        let mut out = [0u64; L];
        let mut carry = 0u128;
        for (k, slot) in out.iter_mut().enumerate() {
            let t = u128::from(self.0[k]) + u128::from(other.0[k]) + carry;
            *slot = t as u64;
            carry = t >> 64;
        }
        Self(out)
    }

    /// `self - other`, wrapping.
    #[inline(always)]
    pub(crate) fn sub(&self, other: &Self) -> Self {
        let mut out = [0u64; L];
        let mut borrow = 0u128;
        for (k, slot) in out.iter_mut().enumerate() {
            let t = u128::from(self.0[k])
                .wrapping_sub(u128::from(other.0[k]))
                .wrapping_sub(borrow);
            *slot = t as u64;
            borrow = t >> 127;
        }
        Self(out)
    }

    /// `self + other - 2·weight`, wrapping, in one pass (the doubled slack of an edge).
    #[inline(always)]
    pub(crate) fn slack(&self, other: &Self, weight: &Self) -> Self {
        let mut out = [0u64; L];
        let mut carry = 0i128;
        for (k, slot) in out.iter_mut().enumerate() {
            let t = i128::from(self.0[k]) + i128::from(other.0[k]) - 2 * i128::from(weight.0[k])
                + carry;
            *slot = t as u64;
            carry = t >> 64;
        }
        Self(out)
    }

    /// `self + other - 2·(a + b + c + nudge)`, wrapping, in one pass: the doubled slack of an
    /// edge whose weight is the sum of three parts and a signed nudge (`|nudge| < 2^126`).
    #[inline(always)]
    pub(crate) fn slack_of_sum(
        &self,
        other: &Self,
        a: &Self,
        b: &Self,
        c: &Self,
        nudge: i128,
    ) -> Self {
        let mut out = [0u64; L];
        let mut carry = -2 * nudge;
        for (k, slot) in out.iter_mut().enumerate() {
            let parts = i128::from(a.0[k]) + i128::from(b.0[k]) + i128::from(c.0[k]);
            let t = i128::from(self.0[k]) + i128::from(other.0[k]) - 2 * parts + carry;
            *slot = t as u64;
            carry = t >> 64;
        }
        Self(out)
    }

    /// `self + value` for a signed `value`, wrapping.
    #[inline]
    pub(crate) fn add_signed(&self, value: i128) -> Self {
        let mut out = [0u64; L];
        let mut carry = 0i128;
        for (k, slot) in out.iter_mut().enumerate() {
            let addend = match k {
                0 => i128::from(value as u64),
                1 => value >> 64,
                _ => 0,
            };
            let t = i128::from(self.0[k]) + addend + carry;
            *slot = t as u64;
            carry = t >> 64;
        }
        Self(out)
    }

    /// The value with its top bit flipped: for values read as two's complement, the order of
    /// the results is the signed order of the values.
    #[inline]
    pub(crate) fn biased(&self) -> Self {
        let mut out = self.0;
        if let Some(top) = out.last_mut() {
            *top ^= 1 << 63;
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
        if limb >= L {
            return;
        }
        let (sum, overflow) = self.0[limb].overflowing_add(value << bit);
        self.0[limb] = sum;
        let mut carry = if bit == 0 { 0 } else { value >> (64 - bit) } + u64::from(overflow);
        let mut k = limb + 1;
        while carry != 0 && k < L {
            let (sum, overflow) = self.0[k].overflowing_add(carry);
            self.0[k] = sum;
            carry = u64::from(overflow);
            k += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        /// Limbs that are often zero or all ones, so carries and borrows run far.
        fn limb(&mut self) -> u64 {
            match self.next() % 4 {
                0 => 0,
                1 => u64::MAX,
                _ => self.next(),
            }
        }

        fn wide(&mut self) -> Wide<3> {
            Wide([self.limb(), self.limb(), self.limb()])
        }
    }

    #[test]
    fn fused_operations_agree_with_the_plain_ones() {
        let mut rng = Rng(0x1234_5678_9abc_def1);
        for _ in 0..20_000 {
            let (a, b, c) = (rng.wide(), rng.wide(), rng.wide());
            let plain = a.add(&b).sub(&c).sub(&c);
            assert_eq!(a.slack(&b, &c), plain);
            let value =
                (i128::from(rng.next()) << 64 | i128::from(rng.next())) >> (rng.next() % 128);
            let mut expected = a;
            let magnitude = value.unsigned_abs();
            let as_wide = Wide::<3>([magnitude as u64, (magnitude >> 64) as u64, 0]);
            expected = if value < 0 {
                expected.sub(&as_wide)
            } else {
                expected.add(&as_wide)
            };
            assert_eq!(a.add_signed(value), expected);
            let (d, e) = (rng.wide(), rng.wide());
            let nudge = value >> 2;
            let summed = c.add(&d).add(&e).add_signed(nudge);
            assert_eq!(a.slack_of_sum(&b, &c, &d, &e, nudge), a.slack(&b, &summed));
            let offset = (rng.next() % 200) as u32;
            let small = rng.next() >> (rng.next() % 64);
            let mut fast = a;
            fast.add_at(offset, small);
            let mut shifted = [0u64; 5];
            let (limb, bit) = ((offset / 64) as usize, offset % 64);
            shifted[limb] = small << bit;
            if bit != 0 {
                shifted[limb + 1] = small >> (64 - bit);
            }
            let slow = a.add(&Wide([shifted[0], shifted[1], shifted[2]]));
            assert_eq!(fast, slow, "offset {offset}");
        }
    }

    #[test]
    fn addition_carries_and_subtraction_borrows_across_limbs() {
        let one = Wide::<3>([1, 0, 0]);
        let max = Wide::<3>([u64::MAX, u64::MAX, 0]);
        assert_eq!(max.add(&one), Wide([0, 0, 1]));
        assert_eq!(Wide::<3>([0, 0, 1]).sub(&one), max);
        assert_eq!(Wide::<3>::ZERO.sub(&one), Wide([u64::MAX; 3]));
        assert!(max < Wide([0, 0, 1]));
        assert_eq!(Wide::<3>([0, 0, 3]).half(), Wide([0, 1 << 63, 1]));
    }
}
