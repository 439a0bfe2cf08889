//! Arbitrary action sequences with arbitrary contexts on each lifecycle machine, from any
//! state: every step obeys the machine's table.
//! The body is `athlos_core::testing::fuzz::lifecycle_actions`, which the test suite's smoke run shares.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(violation) = athlos_core::testing::fuzz::lifecycle_actions(data) {
        panic!("{violation}");
    }
});
