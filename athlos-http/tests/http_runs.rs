//! Runs over real HTTP (`/v1/runs`): a generate-all queues one run per division, each with
//! its target; runs are listed by status, kind and target and paged; a queued run cancelled
//! never starts (its division stays without a bracket) while the others succeed with snapshot
//! indexes naming the blobs they wrote. On every database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{token, Server};
use serde_json::{json, Value};

fn ids(list: &Value) -> Vec<u64> {
    list["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect()
}

/// An event `e` with divisions `d0`, `d1`, `d2` of 4 entries each, directed by `director`.
async fn event(server: &Server, director: &str) {
    server
        .post("/v1/events", director, json!({"id": "e", "name": "E"}), 201)
        .await;
    for d in 0..3 {
        let id = format!("d{d}");
        let body = json!({"id": id, "name": id, "rules": {"format": "single_elimination"}});
        server
            .post("/v1/events/e/divisions", director, body, 201)
            .await;
        let field: Vec<Value> = (1..=4)
            .map(|i| json!({"id": format!("{id}-{i}"), "name": format!("Entry {i}")}))
            .collect();
        server
            .post(
                &format!("/v1/events/e/divisions/{id}/participants"),
                director,
                json!(field),
                200,
            )
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_are_listed_cancelled_and_indexed() {
    for database in common::databases().await {
        let director = token("organiser", "director");
        let stranger = token("stranger", "director");
        // No workers: the runs stay queued until a second server runs them.
        let server = Server::start_with(&database.url, |c| c.workers = 0).await;
        event(&server, &director).await;
        let queued = server
            .post(
                "/v1/events/e/generate-all-brackets",
                &director,
                Value::Null,
                202,
            )
            .await;
        let runs: Vec<u64> = queued["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["id"].as_u64().unwrap())
            .collect();
        assert_eq!(runs.len(), 3);

        let run = server.get(&format!("/v1/runs/{}", runs[1])).await;
        assert_eq!(run["status"], "queued", "{run}");
        assert_eq!(run["kind"], "generate_bracket");
        assert_eq!(run["target"], "division:d1");
        assert_eq!(run["options"]["division"], "d1");
        assert_eq!(run["cancel_requested"], false);
        assert_eq!(run["snapshot"], Value::Null);
        assert!(run["created_at"].is_string(), "{run}");

        // Listed by status, kind and target, paged by id.
        let all = server
            .get("/v1/runs?status=queued&kind=generate_bracket")
            .await;
        assert_eq!(ids(&all), runs);
        assert_eq!(all["next_after"], Value::Null);
        let first = server.get("/v1/runs?kind=generate_bracket&limit=2").await;
        assert_eq!(ids(&first), runs[..2]);
        assert_eq!(first["next_after"], runs[1]);
        let rest = server
            .get(&format!(
                "/v1/runs?kind=generate_bracket&limit=2&after={}",
                runs[1]
            ))
            .await;
        assert_eq!(ids(&rest), runs[2..]);
        let d2 = server.get("/v1/runs?target=division:d2").await;
        assert_eq!(ids(&d2), [runs[2]]);
        assert!(ids(&server.get("/v1/runs?status=running").await).is_empty());
        let (status, bad) = server
            .send("GET", "/v1/runs?status=paused", None, None)
            .await;
        assert_eq!(status, 400, "{bad}");
        let (status, bad) = server
            .send("GET", "/v1/runs?after=9223372036854775808", None, None)
            .await;
        assert_eq!(status, 400, "{bad}");
        let (status, _) = server.send("GET", "/v1/runs/999999", None, None).await;
        assert_eq!(status, 404);

        // Only the event's director (or an administrator) cancels its runs.
        let path = format!("/v1/runs/{}/cancel", runs[1]);
        let (status, refused) = server.send("POST", &path, Some(&stranger), None).await;
        assert_eq!(status, 403, "{refused}");
        let (status, _) = server.send("POST", &path, None, None).await;
        assert_eq!(status, 401);
        let cancelled = server.post(&path, &director, Value::Null, 200).await;
        assert_eq!(cancelled["outcome"], "cancelled", "{cancelled}");
        assert_eq!(cancelled["run"]["status"], "cancelled");
        assert!(cancelled["run"]["finished_at"].is_string());
        let again = server.post(&path, &director, Value::Null, 200).await;
        assert_eq!(again["outcome"], "already_finished");
        let listed = server.get("/v1/runs?status=cancelled").await;
        assert_eq!(ids(&listed), [runs[1]]);
        let job = server.get(&format!("/v1/jobs/{}", runs[1])).await;
        assert_eq!(job["status"], "cancelled");
        server.stop().await;

        // A server with workers runs the others; the cancelled one never starts. (A memory
        // store lives and dies with its server: there the check ends here.)
        if database.url != "memory://" {
            let server = Server::start_with(&database.url, |_| {}).await;
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                let done = server.get("/v1/runs?status=succeeded").await;
                if ids(&done).len() == 2 {
                    assert_eq!(ids(&done), [runs[0], runs[2]]);
                    break;
                }
                assert!(Instant::now() < deadline, "runs did not finish: {done}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            for (run, division) in [(runs[0], "d0"), (runs[2], "d2")] {
                let run = server.get(&format!("/v1/runs/{run}")).await;
                let versions = server
                    .get(&format!("/v1/events/e/divisions/{division}/versions"))
                    .await;
                let hash = versions["versions"][0]["hash"].clone();
                assert!(hash.is_string(), "{versions}");
                let wrote = run["snapshot"]["wrote"].as_array().unwrap();
                assert!(
                    wrote.contains(&json!({"entry": "blob", "hash": hash})),
                    "{run}"
                );
                assert!(wrote.contains(&json!({
                    "entry": "aggregate",
                    "aggregate": {"type": "division", "id": division},
                    "version": run["snapshot"]["read"][0]["version"].as_u64().unwrap() + 1,
                })));
                assert!(run["finished_at"].is_string(), "{run}");
                assert!(run["started_at"].is_string(), "{run}");
            }
            let cancelled = server.get(&format!("/v1/runs/{}", runs[1])).await;
            assert_eq!(cancelled["status"], "cancelled");
            assert_eq!(cancelled["attempts"], 0);
            let versions = server.get("/v1/events/e/divisions/d1/versions").await;
            assert_eq!(
                versions["versions"],
                json!([]),
                "the cancelled run generated nothing"
            );
            server.stop().await;
        }
        database.drop_it().await;
    }
}
