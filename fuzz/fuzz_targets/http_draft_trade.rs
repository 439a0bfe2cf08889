//! The HTTP API: `POST /v1/drafts/{id}/trade` bodies (`TradeRequest`), sent through the
//! whole application in process; never a 5xx, a refusal always in the error shape.
//! The body is `athlos_http::fuzz::draft_trade`, which the test suite's smoke run shares.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(failure) = athlos_http::fuzz::draft_trade(data) {
        panic!("{failure}");
    }
});
