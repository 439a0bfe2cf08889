//! Inputs the HTTP fuzz targets (and their smoke run) found breaking the API, kept as
//! regression tests: each must now be refused with a 4xx in the error shape, never a 5xx or
//! a panic. They run through `athlos_http::fuzz`, the same application a request reaches.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use athlos_http::fuzz::{run_on, trace_on, MEMORY, SQLITE};

/// The status of the last request whose `METHOD URI` is `request`.
fn status_of(log: &[(String, u16)], request: &str) -> u16 {
    log.iter()
        .rev()
        .find(|(sent, _)| sent == request)
        .map(|(_, status)| *status)
        .unwrap_or_else(|| panic!("{request} was not sent: {log:?}"))
}

/// `http_request` (smoke run, SQLite): a job id above 2^63 reached the SQL store, which
/// numbers jobs with signed 64-bit integers, and came back as a 503 `backend` error. Such an
/// id names no job: 404 on every store.
#[test]
fn a_job_id_too_large_for_the_store_is_unknown() {
    for id in ["9223372036854775808", "18446744073709551615"] {
        let request = format!("GET /v1/jobs/{id}");
        for store in [SQLITE, MEMORY] {
            let log = trace_on(store, "http_request", format!("{request}\n").as_bytes())
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(status_of(&log, &request), 404, "{store}");
        }
    }
    // The largest id a store can hold is looked up as usual.
    let log = trace_on(
        SQLITE,
        "http_request",
        b"GET /v1/jobs/9223372036854775807\n",
    )
    .unwrap();
    assert_eq!(status_of(&log, "GET /v1/jobs/9223372036854775807"), 404);
    run_on(SQLITE, "http_request", b"GET /v1/jobs/1\n").unwrap();
}

/// `http_create_tournament` (smoke run, a seed with edge values): a Swiss of 0 rounds was
/// refused by the service with `no_rounds`, which the API answered as a 500. It is the
/// client's rules at fault: 422.
#[test]
fn a_swiss_of_no_rounds_is_unprocessable() {
    let body = br#"{"id": "s0", "name": "S", "rules": {"options": {"format": "auto"},
        "min_entries": 2, "seed": 0, "swiss": {"rounds": 0, "tiebreaks": []}}}"#;
    for store in [MEMORY, SQLITE] {
        let log = trace_on(store, "http_create_tournament", body).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(status_of(&log, "POST /v1/tournaments"), 422, "{store}");
    }
}
