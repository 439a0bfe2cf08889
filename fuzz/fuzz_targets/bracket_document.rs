//! Bracket documents: any JSON is either refused or a bracket that serializes back to a
//! document describing the same bracket.
#![no_main]

use athlos_core::bracket::Bracket;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(bracket) = serde_json::from_slice::<Bracket>(data) else { return };
    let text = serde_json::to_string(&bracket).expect("a bracket serializes");
    let again: Bracket = serde_json::from_str(&text).expect("its own document is accepted");
    assert_eq!(again, bracket);
    let _ = athlos_core::report::DrawReport::for_bracket(&bracket);
});
