//! Draw any field into any format and play any sequence of results, withdrawals and bad
//! inputs: every refused step leaves the bracket unchanged, an unfinished bracket always has a
//! match ready, and a completed one has placements for everyone.
//! The body is `athlos_core::testing::fuzz::bracket_progression`, which the test suite's smoke run shares.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(violation) = athlos_core::testing::fuzz::bracket_progression(data) {
        panic!("{violation}");
    }
});
