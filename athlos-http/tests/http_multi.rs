//! Two `athlos serve` processes on one PostgreSQL database share the work: an event built
//! through both and generated through one is run from the one queue both workers claim from,
//! every division's bracket exactly once (each job on its first attempt, one version per
//! division), and each server answers the same for everything.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{serve_process, token};
use serde_json::{json, Value};

async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = client.request(method, url).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_postgres_generate_every_bracket_once() {
    let Some(postgres) = common::postgres_only().await else {
        return; // `databases` said why (a loud skip, or a failure under CI=true)
    };
    // The first process migrates; the second finds the schema in place.
    let (first, a) = serve_process(&postgres.url, &[], &[]);
    let (second, b) = serve_process(&postgres.url, &[], &[]);
    let client = reqwest::Client::new();
    let director = token("organiser", "director");
    let post = |base: &str, path: &str, body: Value| {
        call(
            &client,
            reqwest::Method::POST,
            format!("{base}{path}"),
            &director,
            Some(body),
        )
    };

    let (status, _) = post(&a, "/v1/events", json!({"id": "shared", "name": "Shared"})).await;
    assert_eq!(status, 201);
    let divisions = 24;
    for d in 0..divisions {
        // Alternate the servers: each sees what the other wrote.
        let base = if d % 2 == 0 { &a } else { &b };
        let id = format!("d{d:02}");
        let (status, body) = post(
            base,
            "/v1/events/shared/divisions",
            json!({"id": id, "name": format!("Division {d}"),
                   "rules": {"format": "single_elimination"}, "seed": d}),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        let field: Vec<Value> = (1..=16)
            .map(|i| json!({"id": format!("{id}-{i}"), "name": format!("Entry {i}"), "seed": i}))
            .collect();
        let (status, body) = post(
            base,
            &format!("/v1/events/shared/divisions/{id}/participants"),
            json!(field),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }

    let (status, queued) = post(&b, "/v1/events/shared/generate-all-brackets", json!(null)).await;
    assert_eq!(status, 202, "{queued}");
    let ids: Vec<u64> = queued["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids.len(), divisions);

    // Both workers claim from the same queue: every job ends once, on its first attempt.
    let deadline = Instant::now() + Duration::from_secs(120);
    let jobs = loop {
        let mut jobs = Vec::new();
        for (k, id) in ids.iter().enumerate() {
            let base = if k % 2 == 0 { &a } else { &b };
            let (status, job) = call(
                &client,
                reqwest::Method::GET,
                format!("{base}/v1/jobs/{id}"),
                &director,
                None,
            )
            .await;
            assert_eq!(status, 200, "{job}");
            jobs.push(job);
        }
        if jobs
            .iter()
            .all(|j| j["status"] == "succeeded" || j["status"] == "failed")
        {
            break jobs;
        }
        assert!(Instant::now() < deadline, "jobs did not finish: {jobs:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    for job in &jobs {
        assert_eq!(job["status"], "succeeded", "{job}");
        assert_eq!(job["attempts"], 1, "a job ran more than once: {job}");
    }
    // One bracket version per division, the same from either server.
    for d in 0..divisions {
        let path = format!("/v1/events/shared/divisions/d{d:02}/versions");
        let mut seen = Vec::new();
        for base in [&a, &b] {
            let (status, versions) = call(
                &client,
                reqwest::Method::GET,
                format!("{base}{path}"),
                &director,
                None,
            )
            .await;
            assert_eq!(status, 200, "{versions}");
            seen.push(versions);
        }
        assert_eq!(seen[0], seen[1]);
        let count = seen[0]
            .as_array()
            .or_else(|| seen[0]["versions"].as_array())
            .map(Vec::len);
        assert_eq!(count, Some(1), "division d{d:02}: {}", seen[0]);
    }

    for mut child in [first, second] {
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let stop = Instant::now() + Duration::from_secs(30);
        while child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < stop, "athlos serve did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    postgres.drop_it().await;
}
