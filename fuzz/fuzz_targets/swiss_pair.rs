//! The Dutch pairing on arbitrary histories (TRF files, or decoded from the bytes): a typed
//! error or a pairing that keeps the absolute rules, that the engine's checker accepts, and that
//! does not depend on the order of the players. Never a panic; a slow input is a finding
//! (run with `-timeout=`).
//! The body is `athlos_core::testing::fuzz::swiss_pair`, which the test suite's smoke run shares.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(violation) = athlos_core::testing::fuzz::swiss_pair(data) {
        panic!("{violation}");
    }
});
