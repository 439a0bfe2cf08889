//! CSV participant import: any text gives a field or a typed error; a field that draws
//! gives a placement that keeps every promise.
//! The body is `athlos_core::testing::fuzz::import_csv`, which the test suite's smoke run shares.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(violation) = athlos_core::testing::fuzz::import_csv(data) {
        panic!("{violation}");
    }
});
