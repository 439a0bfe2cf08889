//! Inputs the HTTP fuzz targets (and their smoke run) found breaking the API, kept as
//! regression tests: each must now be refused with a 4xx in the error shape, never a 5xx or
//! a panic. They run through `athlos_http::fuzz`, the same application a request reaches.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

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

/// Runs `target` on `input` once on each store of `common::databases` (in memory, a SQLite
/// file, and PostgreSQL when `ATHLOS_TEST_DATABASE_URL` names a server), each fresh, and
/// answers each store's URL with the status of the last `request` there.
fn on_every_store(target: &str, input: &[u8], request: &str) -> Vec<(String, u16)> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let databases = runtime.block_on(common::databases());
    let mut statuses = Vec::new();
    for database in databases {
        let url = database.url.clone();
        let outcome = trace_on(&url, target, input);
        runtime.block_on(database.drop_it());
        let log = outcome.unwrap_or_else(|e| panic!("{url}: {e}"));
        statuses.push((url, status_of(&log, request)));
    }
    statuses
}

/// Found on PostgreSQL by replaying the seeds with a NUL character: a name holding U+0000
/// (`"a\u0000b"` in JSON, or a raw NUL in CSV) was accepted by the in-memory and SQLite
/// stores, and failed with a 503 `backend` error on PostgreSQL, whose JSONB cannot hold it.
/// Every store now refuses it alike with a 400 naming the body.
#[test]
fn a_nul_character_in_a_body_is_refused_on_every_store() {
    let cases: &[(&str, &[u8], &str)] = &[
        (
            "http_create_event",
            br#"{"id": "nul", "name": "a\u0000b"}"#,
            "POST /v1/events",
        ),
        (
            "http_participants",
            b"id,name\nn1,a\0b\n",
            "POST /v1/events/ev/divisions/csv/participants",
        ),
        (
            "http_participants",
            br#"[{"id": "n1", "name": "N", "club": "\u0000"}]"#,
            "POST /v1/events/ev/divisions/json/participants",
        ),
        (
            "http_join",
            br#"{"name": "x", "nation": "\u0000"}"#,
            "POST /v1/tournaments/reg/join",
        ),
    ];
    for (target, input, request) in cases {
        for (store, status) in on_every_store(target, input, request) {
            assert_eq!(status, 400, "{target} on {store}: {request}");
        }
    }
    // An escaped backslash before `u0000` is text, not a NUL: accepted.
    let log = trace_on(
        MEMORY,
        "http_create_event",
        br#"{"id": "slash", "name": "a\\u0000b"}"#,
    )
    .unwrap();
    assert_eq!(status_of(&log, "POST /v1/events"), 201);
}
