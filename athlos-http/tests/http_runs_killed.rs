//! A server killed during runs (SIGKILL, `athlos serve` as a child process): three
//! generation runs wait at their last checkpoint, their draws made, and one of them is asked
//! to stop; the server dies there. A second server on the same database resumes the two
//! others after their lease (each generates its bracket exactly once: one version, its blob
//! in the run's snapshot index) and ends the stopped one as cancelled (no claim takes it
//! again; nothing of it was committed). Never half-applied. On SQLite and PostgreSQL.
//!
//! Needs the `test-hooks` feature (`serve --hold-runs`), which `cargo test --all-features`
//! turns on.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{serve_process, token, Server};
use serde_json::{json, Value};

fn client(base: String) -> Server {
    Server {
        running: None,
        base,
        client: reqwest::Client::new(),
    }
}

fn statuses(list: &Value) -> Vec<String> {
    list["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|run| run["status"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_of_a_killed_server_resume_or_end_cancelled_never_half_applied() {
    for database in common::databases().await {
        // A memory store dies with its server.
        if database.url == "memory://" {
            continue;
        }
        let director = token("organiser", "director");
        let hold = common::hold_file();
        let hold_arg = hold.display().to_string();
        let args = ["--job-lease", "2", "--workers", "4"];
        let (mut first, base) = serve_process(
            &database.url,
            &[&args[..], &["--hold-runs", &hold_arg]].concat(),
            &[],
        );
        let server = client(base);
        server.event_with_divisions(&director, "e", 3, 8).await;
        let submitted = server
            .post(
                "/v1/runs",
                &director,
                json!({"kind": "generate_all", "target": "event:e"}),
                202,
            )
            .await;
        let runs: Vec<u64> = submitted["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|run| run["id"].as_u64().unwrap())
            .collect();
        server
            .until("/v1/runs?status=running", |list| {
                list["runs"].as_array().unwrap().len() == 3
            })
            .await;
        let asked = server
            .post(
                &format!("/v1/runs/{}/cancel", runs[1]),
                &director,
                Value::Null,
                200,
            )
            .await;
        assert_eq!(asked["outcome"], "stop_requested", "{asked}");

        // Killed at the checkpoint: every draw made, none committed.
        first.kill().unwrap();
        first.wait().unwrap();
        std::fs::remove_file(&hold).unwrap();

        let (mut second, base) = serve_process(&database.url, &args, &[]);
        let server = client(base);
        let done = server
            .until("/v1/runs", |list| {
                statuses(list)
                    .iter()
                    .all(|s| s != "running" && s != "queued")
            })
            .await;
        assert_eq!(
            statuses(&done),
            ["succeeded", "cancelled", "succeeded"],
            "{done}"
        );
        for (run, division) in [(runs[0], "d0"), (runs[2], "d2")] {
            let run = server.get(&format!("/v1/runs/{run}")).await;
            assert_eq!(run["attempts"], 2, "resumed after the kill: {run}");
            let versions = server
                .get(&format!("/v1/events/e/divisions/{division}/versions"))
                .await;
            let versions = versions["versions"].as_array().unwrap();
            assert_eq!(versions.len(), 1, "generated exactly once: {versions:?}");
            let blob = json!({"entry": "blob", "hash": versions[0]["hash"]});
            assert!(
                run["snapshot"]["wrote"].as_array().unwrap().contains(&blob),
                "{run}"
            );
        }
        let stopped = server.get(&format!("/v1/runs/{}", runs[1])).await;
        assert_eq!(stopped["attempts"], 1, "never claimed again: {stopped}");
        assert!(stopped["finished_at"].is_string(), "{stopped}");
        assert_eq!(stopped["snapshot"], Value::Null);
        let d1 = server.get("/v1/events/e/divisions/d1").await;
        assert_eq!(d1["state"], "draft", "{d1}");
        assert_eq!(
            server.get("/v1/events/e/divisions/d1/versions").await["versions"],
            json!([])
        );
        second.kill().unwrap();
        second.wait().unwrap();
        database.drop_it().await;
    }
}
