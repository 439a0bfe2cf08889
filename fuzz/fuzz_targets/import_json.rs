//! JSON participant import: any text gives a field or a typed error; a field read back
//! from its own JSON is the same field.
//! The body is `athlos_core::testing::fuzz::import_json`, which the test suite's smoke run shares.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(violation) = athlos_core::testing::fuzz::import_json(data) {
        panic!("{violation}");
    }
});
