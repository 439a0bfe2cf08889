//! Bracket documents: any JSON is either refused or a bracket that serializes back to a
//! document describing the same bracket.
//! The body is `athlos_core::testing::fuzz::bracket_document`, which the test suite's smoke run shares.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(violation) = athlos_core::testing::fuzz::bracket_document(data) {
        panic!("{violation}");
    }
});
