//! The HTTP API: sequences of calls (results, corrections, two clients racing, `If-Match`,
//! rounds advanced, a server killed in the middle of a write and started again) against
//! division brackets and tournaments; no result overwritten without a correction, none
//! logged twice, the state always agreeing with its log.
//! The body is `athlos_http::fuzz::sequence`, which the test suite's smoke run shares.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(failure) = athlos_http::fuzz::sequence(data) {
        panic!("{failure}");
    }
});
