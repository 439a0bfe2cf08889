//! Standings from arbitrary histories with an arbitrary tie-break list (the first line):
//! consistent points, order, ranks and tie-break columns, whatever the order of the players.
//! The body is `athlos_core::testing::fuzz::tiebreak_standings`, which the test suite's smoke run shares.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(violation) = athlos_core::testing::fuzz::tiebreak_standings(data) {
        panic!("{violation}");
    }
});
