//! The quick start over real HTTP: an event with three divisions, generate-all, jobs,
//! preview with max_seeds 8, lock, and every division played to completion.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{sides, token, Server};
use serde_json::{json, Value};

fn field(prefix: &str, n: usize) -> Value {
    let clubs = ["Kodokan", "Paris JC", "Tokai", "Budokwai"];
    json!((1..=n)
        .map(|i| json!({
            "id": format!("{prefix}{i}"),
            "name": format!("{prefix} {i}"),
            "club": clubs[i % clubs.len()],
            "rating": 2400 - i as u32 * 10,
            "seed": if i <= 4 { Some(i) } else { None },
        }))
        .collect::<Vec<_>>())
}

async fn wait_for_jobs(server: &Server, ids: &[u64]) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut jobs = Vec::new();
        for id in ids {
            jobs.push(server.get(&format!("/v1/jobs/{id}")).await);
        }
        if jobs
            .iter()
            .all(|j| j["status"] == "succeeded" || j["status"] == "failed")
        {
            return jobs;
        }
        assert!(Instant::now() < deadline, "jobs did not finish: {jobs:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Plays a locked division to the end: the first listed entrant wins every ready match
/// (draws are not allowed in elimination; pools take wins too).
async fn play_division(server: &Server, director: &str, base: &str) -> usize {
    let mut played = 0;
    loop {
        let bracket = server.get(&format!("{base}/bracket")).await;
        if bracket["state"] == "completed" {
            return played;
        }
        let ready: Vec<Value> = bracket["bracket"]["matches"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["status"] == "ready")
            .cloned()
            .collect();
        assert!(
            !ready.is_empty(),
            "locked bracket with nothing to play: {bracket}"
        );
        for m in ready {
            let winner = sides(&m)[0].clone();
            server
                .post(
                    &format!("{base}/matches/{}/result", m["id"].as_str().unwrap()),
                    director,
                    json!({"type": "win", "winner": winner, "score": [10, 0]}),
                    200,
                )
                .await;
            played += 1;
        }
    }
}

async fn quick_start(server: &Server) {
    let director = token("organiser", "director");
    server
        .post(
            "/v1/events",
            &director,
            json!({"id": "open-2026", "name": "Open 2026"}),
            201,
        )
        .await;
    let divisions = [
        (
            "u73",
            "-73 kg",
            json!({"format": "single_elimination", "third_place": true}),
            24,
        ),
        ("u81", "-81 kg", json!({"format": "repechage"}), 12),
        ("u90", "-90 kg", json!({"format": "round_robin"}), 5),
    ];
    for (id, name, rules, n) in &divisions {
        let created = server
            .post(
                "/v1/events/open-2026/divisions",
                &director,
                json!({"id": id, "name": name, "rules": rules, "seed": 7}),
                201,
            )
            .await;
        assert_eq!(created["state"], "draft");
        let added = server
            .post(
                &format!("/v1/events/open-2026/divisions/{id}/participants"),
                &director,
                field(id, *n),
                200,
            )
            .await;
        assert_eq!(added["participants"], *n);
    }

    // Generate all, twice with the same key: the same jobs.
    let generate = |key: &'static str| {
        let request = server
            .client
            .post(server.url("/v1/events/open-2026/generate-all-brackets"))
            .bearer_auth(&director)
            .header("Idempotency-Key", key);
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status().as_u16(), 202);
            response.json::<Value>().await.unwrap()
        }
    };
    let first = generate("quick-start-1").await;
    let again = generate("quick-start-1").await;
    let ids: Vec<u64> = first["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_u64().unwrap())
        .collect();
    let ids_again: Vec<u64> = again["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(
        ids, ids_again,
        "the Idempotency-Key must return the same jobs"
    );
    let jobs = wait_for_jobs(server, &ids).await;
    for job in &jobs {
        assert_eq!(job["status"], "succeeded", "{job}");
        assert_eq!(job["bracket_state"], "ready", "{job}");
    }

    // Preview u73 with max_seeds 8: a report and a diff, nothing saved.
    let base = "/v1/events/open-2026/divisions/u73";
    let before = server.get(&format!("{base}/versions")).await;
    let preview = server
        .post(
            &format!("{base}/preview-bracket"),
            &director,
            json!({"overrides": {"rules": {"max_seeds": 8}}}),
            200,
        )
        .await;
    assert_eq!(preview["bracket"]["options"]["max_seeds"], 8);
    assert!(preview["report"].is_object());
    assert!(preview["diff"].is_object());
    let after = server.get(&format!("{base}/versions")).await;
    assert_eq!(before, after, "a preview must save nothing");
    let current = server.get(&format!("{base}/bracket")).await;
    assert_eq!(current["version"], 1);
    assert!(current["bracket"]["options"]["max_seeds"].is_null());

    // Lock every division and play each to the end.
    for (id, _, _, n) in &divisions {
        let base = format!("/v1/events/open-2026/divisions/{id}");
        let locked = server
            .post(&format!("{base}/lock-bracket"), &director, json!({}), 200)
            .await;
        assert_eq!(locked["state"], "locked");
        let played = play_division(server, &director, &base).await;
        assert!(played >= n - 1, "{id}: only {played} matches played");
        let division = server.get(&base).await;
        assert_eq!(division["state"], "completed");
        assert_eq!(division["allowed_actions"], json!([]));
    }
    let divisions = server.get("/v1/events/open-2026/divisions").await;
    assert!(divisions["divisions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["state"] == "completed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quick_start_on_every_store() {
    for database in common::databases().await {
        eprintln!("quick start on {}", database.url);
        let server = Server::start_with(&database.url, |_| {}).await;
        quick_start(&server).await;
        server.stop().await;
        database.drop_it().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_division_that_cannot_be_drawn_fails_alone() {
    let server = Server::start().await;
    let director = token("organiser", "director");
    server
        .post(
            "/v1/events",
            &director,
            json!({"id": "cup", "name": "Cup"}),
            201,
        )
        .await;
    for (id, n) in [("ok", 8), ("lonely", 1)] {
        server
            .post(
                "/v1/events/cup/divisions",
                &director,
                json!({"id": id, "name": id, "rules": {"format": "single_elimination"}}),
                201,
            )
            .await;
        server
            .post(
                &format!("/v1/events/cup/divisions/{id}/participants"),
                &director,
                field(id, n),
                200,
            )
            .await;
    }
    let queued = server
        .post(
            "/v1/events/cup/generate-all-brackets",
            &director,
            json!(null),
            202,
        )
        .await;
    let ids: Vec<u64> = queued["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_u64().unwrap())
        .collect();
    let jobs = wait_for_jobs(&server, &ids).await;
    let ok = jobs.iter().find(|j| j["division"] == "ok").unwrap();
    let lonely = jobs.iter().find(|j| j["division"] == "lonely").unwrap();
    assert_eq!(ok["status"], "succeeded");
    assert_eq!(lonely["status"], "failed");
    assert!(
        lonely["error"].as_str().unwrap().contains("at least 2"),
        "{lonely}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_tags_edits_undo_and_redo() {
    let server = Server::start().await;
    let director = token("organiser", "director");
    server
        .post(
            "/v1/events",
            &director,
            json!({"id": "ev", "name": "Ev"}),
            201,
        )
        .await;
    server
        .post(
            "/v1/events/ev/divisions",
            &director,
            json!({"id": "d", "name": "D", "rules": {"format": "single_elimination"}, "seed": 3}),
            201,
        )
        .await;
    let base = "/v1/events/ev/divisions/d";
    server
        .post(
            &format!("{base}/participants"),
            &director,
            field("p", 6),
            200,
        )
        .await;
    server
        .post(&format!("{base}/generate"), &director, json!(null), 200)
        .await;
    // A swap makes version 2 and moves current.
    let edited = server
        .post(
            &format!("{base}/edits"),
            &director,
            json!({"type": "swap", "a": "p1", "b": "p2"}),
            200,
        )
        .await;
    assert_eq!(edited["current_version"], 2);
    let v1 = server.get(&format!("{base}/bracket?version=1")).await;
    let v2 = server.get(&format!("{base}/bracket?tag=current")).await;
    assert_eq!(v2["version"], 2);
    assert_ne!(v1["bracket"], v2["bracket"]);
    // Tag, undo, redo.
    let (status, _) = server
        .send(
            "PUT",
            &format!("{base}/tags/published"),
            Some(&director),
            Some(&json!({"version": 1})),
        )
        .await;
    assert_eq!(status, 200);
    let tags = server.get(&format!("{base}/tags")).await;
    assert_eq!(tags["tags"]["published"], 1);
    server
        .post(&format!("{base}/tags/undo"), &director, json!(null), 200)
        .await;
    let tags = server.get(&format!("{base}/tags")).await;
    assert!(tags["tags"].get("published").is_none(), "{tags}");
    server
        .post(&format!("{base}/tags/redo"), &director, json!(null), 200)
        .await;
    let tags = server.get(&format!("{base}/tags")).await;
    assert_eq!(tags["tags"]["published"], 1);
    let history = server.get(&format!("{base}/tags/history")).await;
    assert!(history["history"].as_array().unwrap().len() >= 3);
    // CSV upload goes into the field (before the lock).
    let response = server
        .client
        .post(server.url(&format!("{base}/participants")))
        .bearer_auth(&director)
        .header("content-type", "text/csv")
        .body("id,name,club\nc1,Carla,Tokai\nc2,Chen,Kodokan\n")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let participants = server.get(&format!("{base}/participants")).await;
    assert_eq!(participants["participants"].as_array().unwrap().len(), 8);
    server.stop().await;
}
