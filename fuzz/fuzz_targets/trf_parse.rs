//! TRF files: refused with a line and column, or read, written and read back to the same
//! document, whatever the line ends.
//! The body is `athlos_core::testing::fuzz::trf_parse`, which the test suite's smoke run shares.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(violation) = athlos_core::testing::fuzz::trf_parse(data) {
        panic!("{violation}");
    }
});
