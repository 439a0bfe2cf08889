//! Results that cannot be lost, over real HTTP on every backend: two clients racing
//! different winners (one 200, one 409 `result_exists` carrying the accepted result), racing
//! the same result (both 200, one `match.result`), corrections before and after a dependent
//! match is played, and `If-Match` against the `ETag` (412 `precondition_failed`), for
//! division brackets and tournaments alike.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use athlos_core::store::EventLog;
use athlos_http::server::store::SharedStore;
use athlos_http::server::{self, Config};
use common::{sides, token, Server};
use serde_json::{json, Value};

/// How many races of each kind every test runs on every backend.
const RACES: usize = 20;

/// A server over `url`, and its store for reading the event log.
async fn start(url: &str) -> (Server, SharedStore) {
    let config = Config {
        address: "127.0.0.1:0".parse().unwrap(),
        jwt_secret: common::SECRET.to_owned(),
        job_poll: Duration::from_millis(20),
        ..Config::default()
    };
    let opened = server::open_store(url).await.unwrap();
    let store = opened.store.clone();
    let running = server::start(
        opened.into_state(config, std::sync::Arc::new(athlos_core::clock::SystemClock)),
    )
    .await
    .unwrap();
    let base = format!("http://{}", running.address);
    let server = Server {
        running: Some(running),
        base,
        client: reqwest::Client::new(),
    };
    (server, store)
}

/// A request with optional `If-Match`; the status, the `ETag` and the JSON body.
async fn send(
    server: &Server,
    method: &str,
    path: &str,
    token: &str,
    if_match: Option<&str>,
    body: Option<&Value>,
) -> (u16, Option<String>, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = server
        .client
        .request(method, server.url(path))
        .bearer_auth(token);
    if let Some(tag) = if_match {
        request = request.header("If-Match", tag);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let etag = response
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = response.text().await.unwrap();
    assert!(status < 500, "{path}: server error {status}: {text}");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    (status, etag, body)
}

async fn post_result(
    server: &Server,
    path: &str,
    token: &str,
    if_match: Option<&str>,
    body: Value,
) -> (u16, Option<String>, Value) {
    send(server, "POST", path, token, if_match, Some(&body)).await
}

/// The `match.result` and `match.corrected` events logged for `match_id`.
async fn logged(store: &SharedStore, match_id: &str) -> (usize, usize) {
    let events = store.events_after(0, 1_000_000).await.unwrap();
    let of = |kind: &str| {
        events
            .iter()
            .filter(|e| {
                let value = serde_json::to_value(&e.event).unwrap();
                value["type"] == kind && value["data"]["match"] == match_id
            })
            .count()
    };
    (of("match.result"), of("match.corrected"))
}

/// A locked single-elimination division of `n`; returns the result path prefix.
async fn locked_division(server: &Server, director: &str, n: usize) -> String {
    server.event_with_division(director, "open", "d").await;
    let field: Vec<Value> = (1..=n)
        .map(|i| json!({"id": format!("p{i}"), "name": format!("Player {i}")}))
        .collect();
    server
        .post(
            "/v1/events/open/divisions/d/participants",
            director,
            json!(field),
            200,
        )
        .await;
    server
        .post(
            "/v1/events/open/divisions/d/generate",
            director,
            json!(null),
            200,
        )
        .await;
    server
        .post(
            "/v1/events/open/divisions/d/lock-bracket",
            director,
            json!(null),
            200,
        )
        .await;
    "/v1/events/open/divisions/d".to_owned()
}

/// The ready matches of a division's live bracket in round `round`: id and the two sides.
async fn division_ready(server: &Server, round: u64) -> Vec<(String, String, String)> {
    let bracket = server.get("/v1/events/open/divisions/d/bracket").await;
    bracket["bracket"]["matches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["status"] == "ready" && m["round"] == round)
        .map(|m| {
            let s = sides(m);
            (
                m["id"].as_str().unwrap().to_owned(),
                s[0].clone(),
                s[1].clone(),
            )
        })
        .collect()
}

async fn division_winner(server: &Server, match_id: &str) -> Option<String> {
    let bracket = server.get("/v1/events/open/divisions/d/bracket").await;
    bracket["bracket"]["matches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == match_id)
        .and_then(|m| m["winner"].as_str().map(str::to_owned))
}

/// Races `a` and `b` as winners of `path`'s match from two clients: exactly one 200, one
/// 409 `result_exists` carrying the accepted result. Returns the accepted winner.
async fn race_different(server: &Server, path: &str, director: &str, a: &str, b: &str) -> String {
    let (first, second) = tokio::join!(
        post_result(
            server,
            path,
            director,
            None,
            json!({"type": "win", "winner": a})
        ),
        post_result(
            server,
            path,
            director,
            None,
            json!({"type": "win", "winner": b})
        ),
    );
    let (accepted, refused) = match (first.0, second.0) {
        (200, 409) => (a, second.2),
        (409, 200) => (b, first.2),
        other => {
            panic!("{path}: expected one 200 and one 409, got {other:?}: {first:?} {second:?}")
        }
    };
    assert_eq!(refused["code"], "result_exists", "{refused}");
    assert_eq!(
        refused["recorded"],
        json!({"type": "win", "winner": accepted}),
        "the 409 carries the accepted result: {refused}"
    );
    accepted.to_owned()
}

/// Races the same result from two clients: both 200.
async fn race_same(server: &Server, path: &str, director: &str, a: &str) {
    let body = json!({"type": "win", "winner": a});
    let (first, second) = tokio::join!(
        post_result(server, path, director, None, body.clone()),
        post_result(server, path, director, None, body.clone()),
    );
    assert_eq!((first.0, second.0), (200, 200), "{first:?} {second:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn division_races_leave_exactly_one_result() {
    for database in common::databases().await {
        let (server, store) = start(&database.url).await;
        let director = token("dora", "director");
        let base = locked_division(&server, &director, 128).await;
        let ready = division_ready(&server, 1).await;
        assert!(ready.len() >= 2 * RACES, "{} ready matches", ready.len());
        for (m, a, b) in &ready[..RACES] {
            let path = format!("{base}/matches/{m}/result");
            let accepted = race_different(&server, &path, &director, a, b).await;
            assert_eq!(
                division_winner(&server, m).await.as_deref(),
                Some(accepted.as_str()),
                "{}: the recorded result is the accepted one",
                database.url
            );
            assert_eq!(logged(&store, m).await, (1, 0), "{m}: one match.result");
        }
        for (m, a, _) in &ready[RACES..2 * RACES] {
            let path = format!("{base}/matches/{m}/result");
            race_same(&server, &path, &director, a).await;
            assert_eq!(
                division_winner(&server, m).await.as_deref(),
                Some(a.as_str())
            );
            assert_eq!(
                logged(&store, m).await,
                (1, 0),
                "{}: {m}: racing the same result logs it once",
                database.url
            );
        }
        server.stop().await;
        database.drop_it().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn division_corrections_before_and_after_a_dependent_match_is_played() {
    for database in common::databases().await {
        let (server, store) = start(&database.url).await;
        let director = token("dora", "director");
        let base = locked_division(&server, &director, 8).await;
        let quarters = division_ready(&server, 1).await;
        for (m, a, _) in &quarters {
            server
                .post(
                    &format!("{base}/matches/{m}/result"),
                    &director,
                    json!({"type": "win", "winner": a}),
                    200,
                )
                .await;
        }
        let (m, a, b) = quarters[0].clone();
        let path = format!("{base}/matches/{m}/result");

        // The same result again: 200, the division as it stands, no event.
        let before = server.get(&base).await;
        let (status, _, same) = post_result(
            &server,
            &path,
            &director,
            None,
            json!({"type": "win", "winner": a}),
        )
        .await;
        assert_eq!(status, 200, "{same}");
        assert_eq!(same["version"], before["version"]);
        assert_eq!(same["events"], json!([]));

        // Another result without a correction: 409 with the recorded one; nothing changed.
        let (status, _, refused) = post_result(
            &server,
            &path,
            &director,
            None,
            json!({"type": "win", "winner": b}),
        )
        .await;
        assert_eq!(status, 409, "{refused}");
        assert_eq!(refused["code"], "result_exists");
        assert_eq!(refused["recorded"], json!({"type": "win", "winner": a}));
        assert_eq!(server.get(&base).await, before);

        // A malformed flag is refused, naming it.
        let (status, _, bad) = post_result(
            &server,
            &path,
            &director,
            None,
            json!({"type": "win", "winner": b, "correction": "yes"}),
        )
        .await;
        assert_eq!((status, bad["field"].as_str()), (400, Some("correction")));

        // Before the semi-final is played: the correction is accepted and logged.
        let (status, _, corrected) = post_result(
            &server,
            &path,
            &director,
            None,
            json!({"type": "win", "winner": b, "correction": true}),
        )
        .await;
        assert_eq!(status, 200, "{corrected}");
        let events = corrected["events"].as_array().unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0]["type"], "match.corrected");
        assert_eq!(
            events[0]["data"]["previous"],
            json!({"type": "win", "winner": a})
        );
        assert_eq!(
            events[0]["data"]["result"],
            json!({"type": "win", "winner": b})
        );
        assert_eq!(
            division_winner(&server, &m).await.as_deref(),
            Some(b.as_str())
        );

        // The semi-final fed by it played: a correction is refused, nothing changed.
        let semis = division_ready(&server, 2).await;
        let (semi, x, _) = semis
            .iter()
            .find(|(_, x, y)| *x == b || *y == b)
            .cloned()
            .unwrap();
        server
            .post(
                &format!("{base}/matches/{semi}/result"),
                &director,
                json!({"type": "win", "winner": x}),
                200,
            )
            .await;
        let before = server.get(&base).await;
        let (status, _, refused) = post_result(
            &server,
            &path,
            &director,
            None,
            json!({"type": "win", "winner": a, "correction": true}),
        )
        .await;
        assert_eq!(
            (status, refused["code"].as_str()),
            (409, Some("dependent_played")),
            "{refused}"
        );
        assert_eq!(server.get(&base).await, before);
        assert_eq!(logged(&store, &m).await, (1, 1));
        server.stop().await;
        database.drop_it().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn if_match_guards_division_and_tournament_writes() {
    for database in common::databases().await {
        let (server, _) = start(&database.url).await;
        let director = token("dora", "director");
        let base = locked_division(&server, &director, 8).await;

        // Reads carry the version as a strong ETag.
        let (status, etag, division) = send(&server, "GET", &base, &director, None, None).await;
        assert_eq!(status, 200);
        let version = division["version"].as_u64().unwrap();
        assert_eq!(etag.as_deref(), Some(format!("\"v{version}\"").as_str()));

        let ready = division_ready(&server, 1).await;
        let (m, a, _) = &ready[0];
        let path = format!("{base}/matches/{m}/result");
        let body = json!({"type": "win", "winner": a});
        for stale in [
            format!("\"v{}\"", version - 1),
            format!("W/\"v{version}\""),
            "\"something\"".to_owned(),
        ] {
            let (status, _, refused) =
                post_result(&server, &path, &director, Some(&stale), body.clone()).await;
            assert_eq!(status, 412, "{stale}: {refused}");
            assert_eq!(refused["code"], "precondition_failed");
            assert_eq!(refused["current_version"], version);
            assert_eq!(
                server.get(&base).await["version"],
                version,
                "nothing written"
            );
        }
        // The current tag: written; the answer carries the next one.
        let current = format!("\"v{version}\"");
        let (status, etag, written) =
            post_result(&server, &path, &director, Some(&current), body.clone()).await;
        assert_eq!(status, 200, "{written}");
        assert_eq!(etag, Some(format!("\"v{}\"", version + 1)));
        // `*` is no precondition.
        let (status, _, _) = post_result(&server, &path, &director, Some("*"), body).await;
        assert_eq!(status, 200);

        // Two clients racing with the same tag on different matches: one wins, one is 412.
        let tag = format!("\"v{}\"", version + 1);
        let (m2, a2, _) = &ready[1];
        let (m3, a3, _) = &ready[2];
        let (p2, p3) = (
            format!("{base}/matches/{m2}/result"),
            format!("{base}/matches/{m3}/result"),
        );
        let (first, second) = tokio::join!(
            post_result(
                &server,
                &p2,
                &director,
                Some(&tag),
                json!({"type": "win", "winner": a2})
            ),
            post_result(
                &server,
                &p3,
                &director,
                Some(&tag),
                json!({"type": "win", "winner": a3})
            ),
        );
        let mut statuses = [first.0, second.0];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 412], "{first:?} {second:?}");

        // A division update honours If-Match too.
        let (status, _, refused) = send(
            &server,
            "PATCH",
            &base,
            &director,
            Some(&tag),
            Some(&json!({"name": "Renamed"})),
        )
        .await;
        assert_eq!(
            (status, refused["code"].as_str()),
            (412, Some("precondition_failed"))
        );

        // A tournament: the same ETag and If-Match.
        let id = start_tournament(&server, &director, 4).await;
        let (status, etag, t) = send(
            &server,
            "GET",
            &format!("/v1/tournaments/{id}"),
            &director,
            None,
            None,
        )
        .await;
        assert_eq!(status, 200);
        let version = t["version"].as_u64().unwrap();
        assert_eq!(etag, Some(format!("\"v{version}\"")));
        let (m, a, _) = tournament_ready(&server, &id).await[0].clone();
        let path = format!("/v1/tournaments/{id}/matches/{m}/result");
        let body = json!({"type": "win", "winner": a});
        let (status, _, refused) = post_result(
            &server,
            &path,
            &director,
            Some(&format!("\"v{}\"", version - 1)),
            body.clone(),
        )
        .await;
        assert_eq!(
            (status, refused["code"].as_str()),
            (412, Some("precondition_failed"))
        );
        assert_eq!(refused["current_version"], version);
        let (status, etag, _) = post_result(
            &server,
            &path,
            &director,
            Some(&format!("\"v{version}\"")),
            body,
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(etag, Some(format!("\"v{}\"", version + 1)));
        server.stop().await;
        database.drop_it().await;
    }
}

/// A started single-elimination tournament of `n` bots; returns its id.
async fn start_tournament(server: &Server, director: &str, n: u32) -> String {
    let id = "ko";
    let create = json!({
        "id": id,
        "name": "KO",
        "rules": {"options": {"format": "single_elimination"}, "min_entries": 2, "seed": 11},
    });
    server.started_with_bots(director, create, n).await;
    id.to_owned()
}

/// The ready games of the tournament's current round: id and the two sides.
async fn tournament_ready(server: &Server, id: &str) -> Vec<(String, String, String)> {
    let t = server.get(&format!("/v1/tournaments/{id}")).await;
    let round = t["round"].as_u64().unwrap();
    let pairings = server
        .get(&format!("/v1/tournaments/{id}/rounds/{round}/pairings"))
        .await;
    pairings["pairings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["status"] == "ready")
        .map(|p| {
            let s: Vec<String> = p["sides"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_owned())
                .collect();
            (
                p["match_id"].as_str().unwrap().to_owned(),
                s[0].clone(),
                s[1].clone(),
            )
        })
        .collect()
}

async fn tournament_result(server: &Server, id: &str, match_id: &str) -> Value {
    let t = server.get(&format!("/v1/tournaments/{id}")).await;
    let round = t["round"].as_u64().unwrap();
    let pairings = server
        .get(&format!("/v1/tournaments/{id}/rounds/{round}/pairings"))
        .await;
    pairings["pairings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["match_id"] == match_id)
        .map(|p| p["result"].clone())
        .unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tournament_races_leave_exactly_one_result() {
    for database in common::databases().await {
        let (server, store) = start(&database.url).await;
        let director = token("tara", "director");
        let id = start_tournament(&server, &director, 128).await;
        let ready = tournament_ready(&server, &id).await;
        assert!(ready.len() >= 2 * RACES, "{} ready matches", ready.len());
        for (m, a, b) in &ready[..RACES] {
            let path = format!("/v1/tournaments/{id}/matches/{m}/result");
            let accepted = race_different(&server, &path, &director, a, b).await;
            assert_eq!(
                tournament_result(&server, &id, m).await,
                json!({"type": "win", "winner": accepted}),
                "{}: the recorded result is the accepted one",
                database.url
            );
            assert_eq!(logged(&store, m).await, (1, 0), "{m}: one match.result");
        }
        for (m, a, _) in &ready[RACES..2 * RACES] {
            let path = format!("/v1/tournaments/{id}/matches/{m}/result");
            race_same(&server, &path, &director, a).await;
            assert_eq!(
                logged(&store, m).await,
                (1, 0),
                "{}: {m}: racing the same result logs it once",
                database.url
            );
        }
        server.stop().await;
        database.drop_it().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tournament_corrections_before_and_after_a_dependent_match_is_played() {
    for database in common::databases().await {
        let (server, store) = start(&database.url).await;
        let director = token("tara", "director");
        let id = start_tournament(&server, &director, 4).await;
        let semis = tournament_ready(&server, &id).await;
        let (m, a, b) = semis[0].clone();
        let path = format!("/v1/tournaments/{id}/matches/{m}/result");
        server
            .post(&path, &director, json!({"type": "win", "winner": a}), 200)
            .await;
        // Same again: 200, no event. Another: 409 with the recorded one.
        let same = server
            .post(&path, &director, json!({"type": "win", "winner": a}), 200)
            .await;
        assert_eq!(same["events"], json!([]));
        let refused = server
            .post(&path, &director, json!({"type": "win", "winner": b}), 409)
            .await;
        assert_eq!(refused["code"], "result_exists");
        assert_eq!(refused["recorded"], json!({"type": "win", "winner": a}));
        // A correction while the final is not played.
        let corrected = server
            .post(
                &path,
                &director,
                json!({"type": "win", "winner": b, "correction": true}),
                200,
            )
            .await;
        assert_eq!(corrected["events"][0]["type"], "match.corrected");
        assert_eq!(
            corrected["events"][0]["data"]["previous"],
            json!({"type": "win", "winner": a})
        );
        let (m2, c, _) = semis[1].clone();
        server
            .post(
                &format!("/v1/tournaments/{id}/matches/{m2}/result"),
                &director,
                json!({"type": "win", "winner": c}),
                200,
            )
            .await;
        server
            .post(
                &format!("/v1/tournaments/{id}/advance"),
                &director,
                json!(null),
                200,
            )
            .await;
        let (final_id, x, _) = tournament_ready(&server, &id).await[0].clone();
        server
            .post(
                &format!("/v1/tournaments/{id}/matches/{final_id}/result"),
                &director,
                json!({"type": "win", "winner": x}),
                200,
            )
            .await;
        // The final played: the semi-final can no longer be corrected.
        let before = server.get(&format!("/v1/tournaments/{id}")).await;
        let refused = server
            .post(
                &path,
                &director,
                json!({"type": "win", "winner": a, "correction": true}),
                409,
            )
            .await;
        assert_eq!(refused["code"], "dependent_played", "{refused}");
        assert_eq!(server.get(&format!("/v1/tournaments/{id}")).await, before);
        assert_eq!(logged(&store, &m).await, (1, 1));
        server.stop().await;
        database.drop_it().await;
    }
}

/// Every other write to a division or a tournament honours `If-Match` the same way: a stale
/// tag is 412 `precondition_failed` (before the action's own rules) and writes nothing; the
/// current tag applies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn if_match_guards_every_division_and_tournament_write() {
    for database in common::databases().await {
        let (server, store) = start(&database.url).await;
        let director = token("dora", "director");
        let base = locked_division(&server, &director, 8).await;
        let version_of = |v: &Value| v["version"].as_u64().unwrap();
        let division = server.get(&base).await;
        let version = version_of(&division);
        let stale = format!("\"v{}\"", version - 1);
        let log = store.last_sequence().await.unwrap();
        for (method, path, body) in [
            ("POST", format!("{base}/lock-bracket"), json!(null)),
            ("POST", format!("{base}/generate"), json!(null)),
            ("POST", format!("{base}/tags/undo"), json!(null)),
            (
                "POST",
                format!("{base}/participants"),
                json!([{"id": "late", "name": "Late"}]),
            ),
        ] {
            let (status, _, refused) =
                send(&server, method, &path, &director, Some(&stale), Some(&body)).await;
            assert_eq!(
                (status, refused["code"].as_str()),
                (412, Some("precondition_failed")),
                "{path}: {refused}"
            );
            assert_eq!(refused["current_version"], version, "{path}");
        }
        assert_eq!(server.get(&base).await, division, "nothing written");
        assert_eq!(store.last_sequence().await.unwrap(), log, "nothing logged");

        // A tournament: publish, register and start under the current tag each move it on;
        // a stale tag is refused at every step.
        server
            .post(
                "/v1/tournaments",
                &director,
                json!({"id": "t", "name": "T",
                    "rules": {"options": {"format": "single_elimination"}}}),
                201,
            )
            .await;
        let mut tag = format!(
            "\"v{}\"",
            version_of(&server.get("/v1/tournaments/t").await)
        );
        let steps = [
            ("/v1/tournaments/t/publish", json!(null)),
            (
                "/v1/tournaments/t/register",
                json!({"id": "a", "name": "A"}),
            ),
            (
                "/v1/tournaments/t/register",
                json!({"id": "b", "name": "B"}),
            ),
            ("/v1/tournaments/t/start", json!(null)),
        ];
        for (path, body) in steps {
            let old = "\"v1000\"";
            let (status, _, refused) =
                send(&server, "POST", path, &director, Some(old), Some(&body)).await;
            assert_eq!(status, 412, "{path}: {refused}");
            let (status, etag, written) =
                send(&server, "POST", path, &director, Some(&tag), Some(&body)).await;
            assert_eq!(status, 200, "{path}: {written}");
            let next = format!("\"v{}\"", version_of(&written));
            assert_ne!(next, tag, "{path}: the version moves on");
            assert_eq!(etag.as_deref(), Some(next.as_str()), "{path}");
            tag = next;
        }
        assert_eq!(
            server.get("/v1/tournaments/t").await["state"],
            "active",
            "{}",
            database.url
        );
        server.stop().await;
        database.drop_it().await;
    }
}
