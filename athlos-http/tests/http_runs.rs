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

/// Run `run`, whose snapshot index must name the blob of `division`'s first version.
async fn wrote_its_blob(server: &Server, run: u64, division: &str) -> Value {
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
    run
}

/// An event `e` with divisions `d0`, `d1`, `d2` of 4 entries each, directed by `director`.
async fn event(server: &Server, director: &str) {
    server.event_with_divisions(director, "e", 3, 4).await;
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
                let run = wrote_its_blob(&server, run, division).await;
                let wrote = run["snapshot"]["wrote"].as_array().unwrap();
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

/// `POST /v1/runs` with `body` and an `Idempotency-Key`, which must answer 202.
async fn submit(server: &Server, token: &str, body: &Value, key: &str) -> Value {
    let response = server
        .client
        .post(server.url("/v1/runs"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let answer: Value = response.json().await.unwrap();
    assert_eq!(status, 202, "{answer}");
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_run_cancelled_midway_commits_nothing() {
    for database in common::databases().await {
        let director = token("organiser", "director");
        let stranger = token("stranger", "director");
        // While the hold file exists, runs wait at their last checkpoint before committing:
        // they are running, with their draw made, when one of them is cancelled.
        let hold = common::hold_file();
        let held = hold.clone();
        let server = Server::start_with(&database.url, move |c| {
            c.workers = 4;
            c.hold_runs = Some(held);
        })
        .await;
        event(&server, &director).await;

        // Refusals first: none of them queues anything.
        // Each case: the status, the error code, the body.
        for case in [
            r#"422 unknown_run_kind {"kind": "simulate", "target": "event:e"}"#,
            r#"422 run_target {"kind": "generate_all", "target": "division:d0"}"#,
            r#"422 run_target {"kind": "generate_bracket", "target": "d0"}"#,
            r#"422 run_options {"kind": "generate_bracket", "target": "division:d0", "options": {"seed": 1}}"#,
            r#"404 unknown_division {"kind": "generate_bracket", "target": "division:nope"}"#,
            r#"404 unknown_competition {"kind": "generate_all", "target": "event:nope"}"#,
        ] {
            let mut parts = case.splitn(3, ' ');
            let (status, code, body) = (
                parts.next().unwrap(),
                parts.next().unwrap(),
                parts.next().unwrap(),
            );
            let status: u16 = status.parse().unwrap();
            let body: Value = serde_json::from_str(body).unwrap();
            let (got, answer) = server
                .send("POST", "/v1/runs", Some(&director), Some(&body))
                .await;
            assert_eq!(got, status, "{body} → {answer}");
            assert_eq!(answer["code"], code, "{body} → {answer}");
        }
        let body = json!({"kind": "generate_all", "target": "event:e"});
        let (got, _) = server
            .send("POST", "/v1/runs", Some(&stranger), Some(&body))
            .await;
        assert_eq!(got, 403);
        let (got, _) = server.send("POST", "/v1/runs", None, Some(&body)).await;
        assert_eq!(got, 401);
        assert!(ids(&server.get("/v1/runs").await).is_empty());

        // Submit the generate-all as a run; the same key gives the same runs.
        let runs = ids(&submit(&server, &director, &body, "all-1").await);
        assert_eq!(runs.len(), 3);
        let again = submit(&server, &director, &body, "all-1").await;
        assert_eq!(ids(&again), runs, "the same key queues nothing new");
        let (got, bad) = server
            .send(
                "POST",
                "/v1/runs",
                Some(&director),
                Some(&json!({"kind": "generate_all"})),
            )
            .await;
        assert_eq!(got, 400, "{bad}");

        // All three run and wait at their checkpoint.
        let running = server
            .until("/v1/runs?status=running", |list| ids(list).len() == 3)
            .await;
        assert_eq!(ids(&running), runs);
        for run in running["runs"].as_array().unwrap() {
            assert!(run["started_at"].is_string(), "{run}");
            assert_eq!(run["attempts"], 1);
        }

        // Cancel d1's run midway: it is asked to stop, then the hold is lifted.
        let cancelled = server
            .post(
                &format!("/v1/runs/{}/cancel", runs[1]),
                &director,
                Value::Null,
                200,
            )
            .await;
        assert_eq!(cancelled["outcome"], "stop_requested", "{cancelled}");
        assert_eq!(cancelled["run"]["status"], "running");
        assert_eq!(cancelled["run"]["cancel_requested"], true);
        std::fs::remove_file(&hold).unwrap();

        let finished = server
            .until("/v1/runs", |list| {
                list["runs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|r| r["status"] != "running" && r["status"] != "queued")
            })
            .await;
        let status: Vec<&str> = finished["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].as_str().unwrap())
            .collect();
        assert_eq!(
            status,
            ["succeeded", "cancelled", "succeeded"],
            "{finished}"
        );

        // The cancelled run committed nothing: no version, no bracket, no snapshot index.
        let stopped = server.get(&format!("/v1/runs/{}", runs[1])).await;
        assert_eq!(stopped["snapshot"], Value::Null, "{stopped}");
        assert!(stopped["finished_at"].is_string(), "{stopped}");
        assert!(
            stopped["error"].as_str().unwrap().contains("checkpoint"),
            "{stopped}"
        );
        let d1 = server.get("/v1/events/e/divisions/d1").await;
        assert_eq!(d1["state"], "draft", "{d1}");
        let versions = server.get("/v1/events/e/divisions/d1/versions").await;
        assert_eq!(versions["versions"], json!([]));

        // The others succeeded with snapshot indexes naming the blobs they wrote.
        for (run, division) in [(runs[0], "d0"), (runs[2], "d2")] {
            wrote_its_blob(&server, run, division).await;
        }
        server.stop().await;
        database.drop_it().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_run_checks_that_the_log_reproduces_the_tournament() {
    for database in common::databases().await {
        let server = Server::start_with(&database.url, |_| {}).await;
        let director = token("organiser", "director");
        let swiss = json!({"id": "sw", "name": "Swiss", "rules": {"swiss": {"rounds": 3}}});
        server.started_with_bots(&director, swiss, 5).await;
        // Round 1 played: each ready game won by white.
        let pairings = server.get("/v1/tournaments/sw/rounds/1/pairings").await;
        for game in pairings["pairings"].as_array().unwrap() {
            if game["status"] != "ready" {
                continue;
            }
            let path = format!(
                "/v1/tournaments/sw/matches/{}/result",
                game["match_id"].as_str().unwrap()
            );
            let body = json!({"type": "win", "winner": game["sides"][0]});
            server.post(&path, &director, body, 200).await;
        }
        let body = json!({"kind": "replay", "target": "tournament:sw"});
        let stranger = token("stranger", "director");
        let (status, _) = server
            .send("POST", "/v1/runs", Some(&stranger), Some(&body))
            .await;
        assert_eq!(status, 403);
        let (status, bad) = server
            .send(
                "POST",
                "/v1/runs",
                Some(&director),
                Some(&json!({"kind": "replay", "target": "event:sw"})),
            )
            .await;
        assert_eq!(
            (status, bad["code"].as_str()),
            (422, Some("run_target")),
            "{bad}"
        );
        let submitted = server.post("/v1/runs", &director, body, 202).await;
        let run = submitted["runs"][0]["id"].as_u64().unwrap();
        assert_eq!(submitted["runs"][0]["target"], "tournament:sw");
        let path = format!("/v1/runs/{run}");
        let done = server
            .until(&path, |run| {
                run["status"] != "queued" && run["status"] != "running"
            })
            .await;
        assert_eq!(done["status"], "succeeded", "{done}");
        let tournament = server
            .client
            .get(server.url("/v1/tournaments/sw"))
            .send()
            .await
            .unwrap();
        let etag = tournament.headers()["etag"].to_str().unwrap().to_owned();
        let version: u64 = etag
            .trim_matches('"')
            .trim_start_matches('v')
            .parse()
            .unwrap();
        assert_eq!(
            done["snapshot"],
            json!({"read": [{"entry": "aggregate", "aggregate": {"type": "tournament", "id": "sw"}, "version": version}], "wrote": []}),
            "{done}"
        );
        let listed = server
            .get("/v1/runs?kind=replay&target=tournament:sw")
            .await;
        assert_eq!(ids(&listed), [run]);
        server.stop().await;
        database.drop_it().await;
    }
}
