//! Auth refusals and the error shape over real HTTP: 400 with the field, 401, 403, 404,
//! 409 with the state and allowed actions, 413, 422, and no 5xx for bad input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{token, token_at, token_from, Server};
use serde_json::{json, Value};

fn assert_error(body: &Value, code: &str) {
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{body}"
    );
}

async fn raw(
    server: &Server,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
    content_type: &str,
) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = server
        .client
        .request(method, server.url(path))
        .header("content-type", content_type)
        .body(body.to_owned());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert!(status < 500, "{path}: {status} {text}");
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}")),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_need_a_valid_token_and_the_right_person() {
    let server = Server::start().await;
    let event = json!({"id": "e", "name": "E"});
    // No token, a forged one, an expired one, a malformed header: 401.
    let (status, body) = server.send("POST", "/v1/events", None, Some(&event)).await;
    assert_eq!(status, 401);
    assert_error(&body, "unauthorized");
    let forged = {
        let good = token("mallory", "admin");
        let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
        parts[2] = parts[2].chars().rev().collect();
        parts.join(".")
    };
    let (status, body) = server
        .send("POST", "/v1/events", Some(&forged), Some(&event))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("unauthorized")),
        "{body}"
    );
    let expired = token_at("alice", "director", -120);
    let (status, body) = server
        .send("POST", "/v1/events", Some(&expired), Some(&event))
        .await;
    assert_eq!(status, 401);
    assert!(
        body["error"].as_str().unwrap().contains("expired"),
        "{body}"
    );
    let (status, _) = raw(
        &server,
        "POST",
        "/v1/events",
        None,
        &event.to_string(),
        "application/json",
    )
    .await;
    assert_eq!(status, 401);
    // Correctly signed, but not ours to honour: 401 saying which claim.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    for (token, detail) in [
        (token("alice", "superuser"), "unknown_role"),
        (token("", "admin"), "empty_subject"),
        (
            token_from("alice", "admin", now + 86_400, 3600),
            "issued_in_future",
        ),
    ] {
        let (status, body) = server
            .send("POST", "/v1/events", Some(&token), Some(&event))
            .await;
        assert_eq!(
            (status, body["code"].as_str(), body["code_detail"].as_str()),
            (401, Some("unauthorized"), Some(detail)),
            "{body}"
        );
    }
    assert_eq!(server.get("/v1/events").await["events"], json!([]));

    // Reads are public.
    let alice = token("alice", "director");
    server.post("/v1/events", &alice, event.clone(), 201).await;
    let read = server.get("/v1/events/e").await;
    assert_eq!(read["director"], "alice");

    // Someone else may not write to alice's event; an admin may.
    let bob = token("bob", "director");
    let (status, body) = server
        .send(
            "PATCH",
            "/v1/events/e",
            Some(&bob),
            Some(&json!({"name": "Mine"})),
        )
        .await;
    assert_eq!(status, 403);
    assert_error(&body, "forbidden");
    let admin = token("root", "admin");
    let (status, body) = server
        .send(
            "PATCH",
            "/v1/events/e",
            Some(&admin),
            Some(&json!({"name": "Renamed"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(server.get("/v1/events/e").await["name"], "Renamed");

    // Bob cannot take alice's id either.
    let (status, body) = server
        .send("POST", "/v1/events", Some(&bob), Some(&event))
        .await;
    assert_eq!(status, 409);
    assert_error(&body, "id_taken");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tournament_entrants_act_only_for_themselves() {
    let server = Server::start().await;
    let director = token("td", "director");
    for (id, self_reporting) in [("open", false), ("arena", true)] {
        server
            .post(
                "/v1/tournaments",
                &director,
                json!({"id": id, "name": id, "self_reporting": self_reporting,
                       "rules": {"options": {"format": "single_elimination"}, "min_entries": 2, "seed": 1}}),
                201,
            )
            .await;
        server
            .post(
                &format!("/v1/tournaments/{id}/publish"),
                &director,
                json!(null),
                200,
            )
            .await;
        for bot in ["b1", "b2"] {
            server
                .post(
                    &format!("/v1/tournaments/{id}/join"),
                    &token(bot, "bot"),
                    json!({}),
                    200,
                )
                .await;
        }
    }
    // A bot may not start a tournament.
    let (status, body) = server
        .send(
            "POST",
            "/v1/tournaments/open/start",
            Some(&token("b1", "bot")),
            None,
        )
        .await;
    assert_eq!(status, 403, "{body}");
    for id in ["open", "arena"] {
        server
            .post(
                &format!("/v1/tournaments/{id}/start"),
                &director,
                json!(null),
                200,
            )
            .await;
    }
    let pairing = server.get("/v1/tournaments/open/rounds/1/pairings").await;
    let match_id = pairing["pairings"][0]["match_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let result = json!({"type": "win", "winner": "b1"});
    // Without self-reporting, even an entrant of the match is refused.
    let (status, body) = server
        .send(
            "POST",
            &format!("/v1/tournaments/open/matches/{match_id}/result"),
            Some(&token("b1", "bot")),
            Some(&result),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    // With it, an outsider is refused and an entrant may report.
    let (status, _) = server
        .send(
            "POST",
            &format!("/v1/tournaments/arena/matches/{match_id}/result"),
            Some(&token("b9", "bot")),
            Some(&result),
        )
        .await;
    assert_eq!(status, 403);
    server
        .post(
            &format!("/v1/tournaments/arena/matches/{match_id}/result"),
            &token("b2", "bot"),
            result.clone(),
            200,
        )
        .await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_400_with_the_field() {
    let server = Server::start().await;
    let alice = token("alice", "director");
    // Malformed JSON, wrong types, unknown fields, bad ids.
    let (status, body) = raw(
        &server,
        "POST",
        "/v1/events",
        Some(&alice),
        "{\"id\": ",
        "application/json",
    )
    .await;
    assert_eq!(status, 400);
    assert_error(&body, "invalid_input");
    assert_eq!(body["field"], "body");
    let (status, body) = server
        .send(
            "POST",
            "/v1/events",
            Some(&alice),
            Some(&json!({"id": "e", "name": 5})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["field"], "name", "{body}");
    let (status, body) = server
        .send(
            "POST",
            "/v1/events",
            Some(&alice),
            Some(&json!({"id": "", "name": "E"})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["field"], "id", "{body}");
    server
        .post("/v1/events", &alice, json!({"id": "e", "name": "E"}), 201)
        .await;
    let (status, body) = server
        .send(
            "POST",
            "/v1/events/e/divisions",
            Some(&alice),
            Some(&json!({"id": "d", "name": "D", "rules": {"format": "knockout-ish"}})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["field"], "rules.format", "{body}");
    let (status, body) = server
        .send("GET", "/v1/tournaments?limit=abc", None, None)
        .await;
    assert_eq!(status, 400, "{body}");
    assert_error(&body, "invalid_input");
    let (status, body) = server
        .send("GET", "/v1/jobs/not-a-number", None, None)
        .await;
    assert_eq!(status, 400, "{body}");
    // A CSV with a bad rating names the line.
    server
        .post(
            "/v1/events/e/divisions",
            &alice,
            json!({"id": "d", "name": "D", "rules": {"format": "single_elimination"}}),
            201,
        )
        .await;
    let (status, body) = raw(
        &server,
        "POST",
        "/v1/events/e/divisions/d/participants",
        Some(&alice),
        "id,name,rating\na,A,high\n",
        "text/csv",
    )
    .await;
    assert_eq!(status, 400, "{body}");
    server.stop().await;
}

/// serde reads a struct from an array of its fields too: a body that must be an object is
/// refused as an array, and the refused request changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arrays_are_refused_where_an_object_is_expected() {
    let server = Server::start().await;
    let alice = token("alice", "director");
    let (status, body) = server
        .send("POST", "/v1/events", Some(&alice), Some(&json!(["e", "E"])))
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("body")),
        "{body}"
    );
    assert!(
        body["error"].as_str().unwrap().contains("found an array"),
        "{body}"
    );
    assert_eq!(server.get("/v1/events").await["events"], json!([]));
    server
        .post("/v1/events", &alice, json!({"id": "e", "name": "E"}), 201)
        .await;
    for body in ["[]", " [null]"] {
        let (status, answer) = raw(
            &server,
            "POST",
            "/v1/events/e/generate-all-brackets",
            Some(&alice),
            body,
            "application/json",
        )
        .await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_error(&answer, "invalid_input");
    }
    // Beyond the log's range, a stream position is refused rather than read.
    let beyond = "9223372036854775808";
    let (status, _) = server
        .send(
            "GET",
            &format!("/v1/events/e/stream?after={beyond}"),
            None,
            None,
        )
        .await;
    assert_eq!(status, 400);
    for (header, query) in [(beyond, "0"), ("0", beyond)] {
        let response = server
            .client
            .get(server.url(&format!("/v1/events/e/stream?after={query}")))
            .header("last-event-id", header)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{header} {query}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_things_are_404_and_conflicts_409() {
    let server = Server::start().await;
    let alice = token("alice", "director");
    for path in [
        "/v1/events/nope",
        "/v1/events/nope/divisions/d/bracket",
        "/v1/tournaments/nope",
        "/v1/jobs/999",
        "/v1/no-such-route",
    ] {
        let (status, body) = server.send("GET", path, None, None).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert!(body["code"].is_string());
    }
    let (status, body) = server.send("DELETE", "/health", None, None).await;
    assert_eq!(status, 405);
    assert_error(&body, "method_not_allowed");

    // Lifecycle refusals carry the state and the allowed actions.
    server
        .post("/v1/events", &alice, json!({"id": "e", "name": "E"}), 201)
        .await;
    server
        .post(
            "/v1/events/e/divisions",
            &alice,
            json!({"id": "d", "name": "D", "rules": {"format": "single_elimination"}}),
            201,
        )
        .await;
    let body = server
        .post(
            "/v1/events/e/divisions/d/lock-bracket",
            &alice,
            json!(null),
            409,
        )
        .await;
    assert_error(&body, "invalid_transition");
    assert_eq!(body["state"], "draft");
    assert_eq!(body["allowed_actions"], json!(["generate", "fail"]));
    // A division of another event is not found under this one.
    server
        .post(
            "/v1/events",
            &alice,
            json!({"id": "other", "name": "O"}),
            201,
        )
        .await;
    let (status, _) = server
        .send("GET", "/v1/events/other/divisions/d", None, None)
        .await;
    assert_eq!(status, 404);

    server
        .post(
            "/v1/tournaments",
            &alice,
            json!({"id": "t", "name": "T", "rules": {"options": {"format": "single_elimination"}, "min_entries": 4, "seed": 1}}),
            201,
        )
        .await;
    let body = server
        .post("/v1/tournaments/t/start", &alice, json!(null), 409)
        .await;
    assert_eq!(body["state"], "draft");
    assert_eq!(
        body["allowed_actions"],
        json!(["edit", "publish", "cancel", "delete"])
    );
    server
        .post("/v1/tournaments/t/publish", &alice, json!(null), 200)
        .await;
    server
        .post(
            "/v1/tournaments/t/join",
            &token("b1", "bot"),
            json!({}),
            200,
        )
        .await;
    let body = server
        .post("/v1/tournaments/t/start", &alice, json!(null), 409)
        .await;
    assert_error(&body, "guard_failed");
    assert_eq!(body["guard"], "minimum_entries");
    let body = server
        .post(
            "/v1/tournaments/t/join",
            &token("b1", "bot"),
            json!({}),
            409,
        )
        .await;
    assert_error(&body, "already_entered");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rule_violations_are_422_and_large_bodies_413() {
    let server = Server::start_with("memory://", |c| c.body_limit = 4096).await;
    let alice = token("alice", "director");
    server
        .post("/v1/events", &alice, json!({"id": "e", "name": "E"}), 201)
        .await;
    server
        .post(
            "/v1/events/e/divisions",
            &alice,
            json!({"id": "d", "name": "D", "rules": {"format": "single_elimination", "max_seeds": 9}}),
            201,
        )
        .await;
    let people: Vec<Value> = (1..=4)
        .map(|i| json!({"id": format!("p{i}"), "name": "P"}))
        .collect();
    server
        .post(
            "/v1/events/e/divisions/d/participants",
            &alice,
            json!(people),
            200,
        )
        .await;
    let body = server
        .post(
            "/v1/events/e/divisions/d/generate",
            &alice,
            json!(null),
            422,
        )
        .await;
    assert_error(&body, "too_many_seeds");
    let body = server
        .post(
            "/v1/events/e/divisions/d/participants",
            &alice,
            json!([{"id": "p1", "name": "again"}]),
            422,
        )
        .await;
    assert_error(&body, "duplicate_id");
    let big = "x".repeat(8192);
    let (status, body) = server
        .send(
            "POST",
            "/v1/events",
            Some(&alice),
            Some(&json!({"id": "big", "name": big})),
        )
        .await;
    assert_eq!(status, 413);
    assert_error(&body, "payload_too_large");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_ready_and_openapi() {
    let server = Server::start().await;
    assert_eq!(server.get("/health").await["status"], "ok");
    assert_eq!(server.get("/ready").await["status"], "ready");
    let api = server.get("/openapi.json").await;
    let paths = api["paths"].as_object().unwrap();
    for path in [
        "/v1/events",
        "/v1/events/{event_id}/generate-all-brackets",
        "/v1/events/{event_id}/divisions/{division_id}/preview-bracket",
        "/v1/jobs/{job_id}",
        "/v1/tournaments/{tournament_id}/matches/{match_id}/result",
        "/v1/tournaments/{tournament_id}/standings",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from the OpenAPI document"
        );
    }
    // Every write declares the bearer scheme and every operation its error body (signing up
    // and signing in are how a caller gets credentials: they need none).
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(!responses.is_empty(), "{method} {path}");
            let public = ["/v1/accounts", "/v1/sessions"].contains(&path.as_str());
            if method != "get" && !path.ends_with("/preview-bracket") && !public {
                assert!(
                    op.get("security").is_some(),
                    "{method} {path} has no security"
                );
            }
        }
    }
    assert!(api["components"]["securitySchemes"]["bearer"].is_object());
    server.stop().await;
}
