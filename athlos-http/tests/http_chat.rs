//! A tournament's chat over real HTTP, on memory, SQLite and PostgreSQL, on a manual clock
//! (the rate limit follows the server's clock, never real time): entrants, team members
//! and the director post, others are refused (403), empty or long texts are 422, a sixth
//! message within 10 s is 429 with `Retry-After`, the director deletes into a tombstone;
//! the tournament's stream carries `chat.posted`/`chat.deleted`, and `?names=platform`
//! gives the platform's event shapes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration as Real;

use athlos_core::clock::ManualClock;
use chrono::{DateTime, Duration, TimeZone, Utc};
use common::Server;
use serde_json::{json, Value};

/// Where the manual clock starts.
fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 12, 29, 19, 0, 0).unwrap()
}

/// A token for `sub` with `role`, issued at [`start`], valid for a day of the server's clock.
fn token(sub: &str, role: &str) -> String {
    let issued = u64::try_from(start().timestamp()).unwrap();
    common::token_from(sub, role, issued, 24 * 3600)
}

const CHAT: &str = "/v1/tournaments/summer/chat";

/// Posts `text` to the chat as `who`: the status, the `Retry-After` header and the answer.
async fn post(server: &Server, who: Option<&str>, text: &str) -> (u16, Option<String>, Value) {
    let mut request = server
        .client
        .post(server.url(CHAT))
        .json(&json!({ "text": text }));
    if let Some(who) = who {
        request = request.bearer_auth(token(who, "player"));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(response.headers()["content-type"], "application/json");
    (status, retry_after, response.json().await.unwrap())
}

/// Deletes chat message `message` (a path segment, as sent) as `who`: the status and the
/// answer.
async fn delete(server: &Server, who: &str, message: &str) -> (u16, Value) {
    let role = if who == "td" { "director" } else { "player" };
    let path = format!("{CHAT}/{message}");
    server
        .send("DELETE", &path, Some(&token(who, role)), None)
        .await
}

/// The NDJSON lines of `path` (a stream from the start of the log) up to the first whose
/// `type` is `last`, included.
async fn lines_until(server: &Server, path: &str, last: &str) -> Vec<Value> {
    let mut response = server
        .client
        .get(server.url(path))
        .header("accept", "application/x-ndjson")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    let mut buffer = String::new();
    let mut out = Vec::new();
    loop {
        while let Some(end) = buffer.find('\n') {
            let line: String = buffer.drain(..=end).collect();
            if line.trim().is_empty() {
                continue;
            }
            let value: Value = serde_json::from_str(line.trim()).unwrap();
            let done = value["type"] == last;
            out.push(value);
            if done {
                return out;
            }
        }
        let chunk = tokio::time::timeout(Real::from_secs(20), response.chunk())
            .await
            .unwrap_or_else(|_| panic!("{path}: no {last} within 20 s: {out:?}"))
            .unwrap()
            .unwrap_or_else(|| panic!("{path}: ended before {last}"));
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

/// `summer`, directed by `td`, in registration with entrants `p1`, `p2`, `p3` and the team
/// `dragons` (members `alice` and `bob`).
async fn tournament(server: &Server) {
    let td = token("td", "director");
    let create = json!({"id": "summer", "name": "Summer Championship",
        "rules": {"options": {"format": "single_elimination"}}});
    server.post("/v1/tournaments", &td, create, 201).await;
    server
        .post("/v1/tournaments/summer/publish", &td, Value::Null, 200)
        .await;
    for p in ["p1", "p2", "p3"] {
        let body = json!({"name": format!("Player {p}")});
        server
            .post(
                "/v1/tournaments/summer/join",
                &token(p, "player"),
                body,
                200,
            )
            .await;
    }
    let team = json!({"id": "dragons", "name": "Fierce Dragons", "members": ["alice", "bob"]});
    server
        .post(
            "/v1/tournaments/summer/teams",
            &token("alice", "player"),
            team,
            200,
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_chat_within_the_limits_and_the_stream_carries_it() {
    for database in common::databases().await {
        let clock = Arc::new(ManualClock::new(start()));
        let server = Server::start_on_clock_with(&database.url, clock.clone(), |_| {}).await;
        tournament(&server).await;

        // Members and the director post; the text comes back as given (trimmed), markup
        // and all: it is plain text, never interpreted.
        let (status, _, posted) = post(&server, Some("p1"), "  <b>gl</b> & hf  ").await;
        assert_eq!(status, 201, "{posted}");
        assert_eq!(posted["id"], 1);
        assert_eq!(posted["author"], "p1");
        assert_eq!(posted["text"], "<b>gl</b> & hf");
        assert_eq!(posted["deleted"], false);
        assert_eq!(posted["posted_at"], "2025-12-29T19:00:00Z");
        assert_eq!(posted["events"][0]["type"], "chat.posted");
        assert_eq!(posted["events"][0]["data"]["text"], "<b>gl</b> & hf");
        for who in ["alice", "td"] {
            let (status, _, body) = post(&server, Some(who), &format!("hi from {who}")).await;
            assert_eq!(status, 201, "{who}: {body}");
        }

        // Refusals that change nothing.
        let (status, _, body) = post(&server, Some("mallory"), "let me in").await;
        assert_eq!(
            (status, body["code"].as_str()),
            (403, Some("not_tournament_member"))
        );
        let (status, _, body) = post(&server, None, "anonymous").await;
        assert_eq!(status, 401, "{body}");
        let (status, _, body) = post(&server, Some("p1"), "   ").await;
        assert_eq!(
            (status, body["code"].as_str()),
            (422, Some("empty_message"))
        );
        let (status, _, body) = post(&server, Some("p1"), &"x".repeat(501)).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (422, Some("message_too_long"))
        );
        let (status, body) = server
            .send(
                "POST",
                CHAT,
                Some(&token("p1", "player")),
                Some(&json!({"text": "hi", "html": true})),
            )
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("invalid_input"))
        );
        let (status, body) = server
            .send(
                "POST",
                "/v1/tournaments/nope/chat",
                Some(&token("td", "director")),
                Some(&json!({"text": "hi"})),
            )
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (404, Some("unknown_tournament"))
        );

        // Five messages within ten seconds of the server's clock, then a wait.
        for i in 0..5 {
            let (status, _, body) = post(&server, Some("p2"), &format!("spam {i}")).await;
            assert_eq!(status, 201, "{body}");
            clock.advance(Duration::seconds(1));
        }
        let (status, retry_after, body) = post(&server, Some("p2"), "one more").await;
        assert_eq!(
            (status, body["code"].as_str()),
            (429, Some("chat_rate_limited"))
        );
        assert_eq!(retry_after.as_deref(), Some("5"));
        assert_eq!(body["retry_after"], 5);
        // Someone else is not held back.
        let (status, _, _) = post(&server, Some("bob"), "not me").await;
        assert_eq!(status, 201);
        clock.advance(Duration::seconds(5));
        let (status, _, body) = post(&server, Some("p2"), "one more").await;
        assert_eq!(status, 201, "{body}");

        // The list pages by message number.
        let page = server.get(&format!("{CHAT}?limit=2")).await;
        assert_eq!(page["messages"].as_array().unwrap().len(), 2);
        assert_eq!(page["next_after"], 2);
        assert_eq!(page["more"], true);
        let rest = server.get(&format!("{CHAT}?after=2&limit=500")).await;
        let ids: Vec<u64> = rest["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_u64().unwrap())
            .collect();
        assert_eq!(ids, (3..=10).collect::<Vec<_>>());
        assert_eq!(rest["more"], false);
        for bad in [
            "?limit=0",
            "?limit=501",
            "?after=-1",
            "?after=9223372036854775808",
            "?colour=red",
        ] {
            let (status, body) = server
                .send("GET", &format!("{CHAT}{bad}"), None, None)
                .await;
            assert_eq!(
                (status, body["code"].as_str()),
                (400, Some("invalid_input")),
                "{bad}"
            );
        }

        // Only the director deletes; a tombstone stays.
        let (status, body) = delete(&server, "alice", "2").await;
        assert_eq!(
            (status, body["code"].as_str()),
            (403, Some("not_chat_moderator"))
        );
        let (status, deleted) = delete(&server, "td", "2").await;
        assert_eq!(status, 200, "{deleted}");
        assert_eq!(deleted["text"], Value::Null);
        assert_eq!(deleted["deleted"], true);
        assert_eq!(deleted["deleted_by"], "td");
        assert_eq!(deleted["author"], "alice");
        assert_eq!(deleted["events"][0]["type"], "chat.deleted");
        let (status, again) = delete(&server, "td", "2").await;
        assert_eq!(status, 200);
        assert_eq!(again["events"], json!([]));
        let (status, body) = delete(&server, "td", "99").await;
        assert_eq!(
            (status, body["code"].as_str()),
            (404, Some("unknown_message"))
        );
        let (status, body) = delete(&server, "td", "two").await;
        assert_eq!(status, 400, "{body}");
        let listed = server.get(&format!("{CHAT}?after=1&limit=1")).await;
        assert_eq!(listed["messages"][0]["text"], Value::Null);
        assert_eq!(listed["messages"][0]["deleted"], true);

        // Play a round: the stream carries the chat with the tournament's events.
        let td = token("td", "director");
        server
            .post("/v1/tournaments/summer/start", &td, Value::Null, 200)
            .await;
        let pairings = server.get("/v1/tournaments/summer/rounds/1/pairings").await;
        let first = &pairings["pairings"][0];
        let winner = first["sides"][0].clone();
        let result = json!({"type": "win", "winner": winner});
        server
            .post(
                &format!(
                    "/v1/tournaments/summer/matches/{}/result",
                    first["match_id"].as_str().unwrap()
                ),
                &td,
                result,
                200,
            )
            .await;

        let dotted = lines_until(
            &server,
            "/v1/tournaments/summer/stream?after=0",
            "match.result",
        )
        .await;
        let chat: Vec<&Value> = dotted
            .iter()
            .filter(|e| e["type"].as_str().unwrap().starts_with("chat."))
            .collect();
        assert_eq!(chat.len(), 11, "ten posts and a deletion");
        assert_eq!(chat[0]["data"]["text"], "<b>gl</b> & hf");
        assert_eq!(chat[10]["type"], "chat.deleted");
        assert_eq!(chat[10]["data"]["message"], 2);
        let recorded = dotted.last().unwrap();
        assert_eq!(recorded["data"]["round"], 1);

        let platform = lines_until(
            &server,
            "/v1/tournaments/summer/stream?after=0&names=platform",
            "match_result",
        )
        .await;
        let types: Vec<&str> = platform
            .iter()
            .map(|e| e["type"].as_str().unwrap())
            .collect();
        assert_eq!(types[0], "state_changed");
        assert_eq!(platform[0]["from_state"], "DRAFT");
        assert_eq!(platform[0]["to_state"], "REGISTRATION");
        assert_eq!(platform[0]["tournament_id"], "summer");
        assert_eq!(platform[0]["timestamp"], "2025-12-29T19:00:00Z");
        assert_eq!(types.iter().filter(|t| **t == "chat_message").count(), 10);
        let deleted = platform
            .iter()
            .find(|e| e["type"] == "chat_message_deleted")
            .unwrap();
        assert_eq!(deleted["message_id"], 2);
        assert_eq!(deleted["deleted_by"], "td");
        let started = platform
            .iter()
            .position(|e| e["type"] == "state_changed" && e["to_state"] == "ACTIVE")
            .unwrap();
        assert_eq!(platform[started]["from_state"], "REGISTRATION");
        let opened = &platform[started + 1];
        assert_eq!(opened["type"], "round_advanced");
        assert_eq!(opened["new_round"], 1);
        assert_eq!(opened["matches_count"], 2);
        let result = platform.last().unwrap();
        assert_eq!(result["winner"], winner);
        assert_eq!(result["round"], 1);
        assert_eq!(result["match_id"], first["match_id"]);
        for e in &platform {
            assert!(e["sequence"].as_u64().unwrap() > 0, "{e}");
        }
        let (status, body) = server
            .send(
                "GET",
                "/v1/tournaments/summer/stream?names=fancy",
                None,
                None,
            )
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("invalid_input"))
        );

        server.stop().await;
        database.drop_it().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chat_routes_are_in_the_document() {
    let server = Server::start().await;
    let api = server.get("/openapi.json").await;
    let chat = &api["paths"]["/v1/tournaments/{tournament_id}/chat"];
    assert!(
        chat["get"].is_object() && chat["post"].is_object(),
        "{chat}"
    );
    for status in ["201", "403", "422", "429"] {
        assert!(
            chat["post"]["responses"][status].is_object(),
            "POST {status}"
        );
    }
    assert!(chat["post"]["responses"]["429"]["headers"]["retry-after"].is_object());
    let delete = &api["paths"]["/v1/tournaments/{tournament_id}/chat/{message_id}"]["delete"];
    assert!(delete["responses"]["403"].is_object());
    let names = api["paths"]["/v1/tournaments/{tournament_id}/stream"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "names")
        .unwrap()
        .clone();
    assert!(names["description"].as_str().unwrap().contains("platform"));
    server.stop().await;
}
