//! CSV participant import: any text gives a field or a typed error; a field that draws gives
//! a placement that keeps every promise.
#![no_main]

use athlos_core::bracket::{BracketOptions, Format};
use athlos_core::import::participants_from_csv;
use athlos_core::seeding::place;
use athlos_core::testing::check_placement;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(field) = participants_from_csv(text) else { return };
    if field.len() < 2 || field.len() > 4096 {
        return;
    }
    let options = BracketOptions::new(Format::SingleElimination);
    match place(&field, &options, data.len() as u64) {
        Ok(placement) => {
            if let Err(violation) = check_placement(&field, &options, &placement) {
                panic!("{violation}");
            }
        }
        Err(error) => assert!(!error.to_string().is_empty()),
    }
});
