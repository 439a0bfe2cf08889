//! JSON participant import: any text gives a field or a typed error with a position; a field
//! read back from its own JSON is the same field.
#![no_main]

use athlos_core::import::participants_from_json;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match participants_from_json(text) {
        Ok(field) => {
            let again = serde_json::to_string(&field).expect("a field serializes");
            assert_eq!(participants_from_json(&again).expect("round trip"), field);
        }
        Err(error) => assert!(!error.to_string().is_empty()),
    }
});
