//! Follows and notifications over real HTTP, in memory, on SQLite and on PostgreSQL: follow
//! and unfollow, the list with its read cursor, the live stream resumed with
//! `Last-Event-ID` (SSE and NDJSON), and 403 for another user.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{databases, token, Server};
use serde_json::{json, Value};

/// One frame of a stream: the SSE `id` and `event` (none in NDJSON) and the data.
#[derive(Debug, Clone, PartialEq)]
struct Frame {
    id: Option<u64>,
    name: Option<String>,
    data: Value,
}

struct Stream {
    response: reqwest::Response,
    buffer: String,
    ndjson: bool,
}

impl Stream {
    async fn open(server: &Server, path: &str, who: &str, ndjson: bool, last: Option<u64>) -> Self {
        let mut request = server.client.get(server.url(path)).bearer_auth(who);
        if ndjson {
            request = request.header("accept", "application/x-ndjson");
        }
        if let Some(last) = last {
            request = request.header("last-event-id", last.to_string());
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let expected = if ndjson {
            "application/x-ndjson"
        } else {
            "text/event-stream"
        };
        assert_eq!(response.headers()["content-type"], expected);
        Stream {
            response,
            buffer: String::new(),
            ndjson,
        }
    }

    fn parse(&mut self) -> Option<Frame> {
        loop {
            let separator = if self.ndjson { "\n" } else { "\n\n" };
            let end = self.buffer.find(separator)?;
            let block: String = self.buffer[..end].to_owned();
            self.buffer.drain(..end + separator.len());
            if self.ndjson {
                if block.trim().is_empty() {
                    continue;
                }
                return Some(Frame {
                    id: None,
                    name: None,
                    data: serde_json::from_str(&block).unwrap(),
                });
            }
            let (mut id, mut name, mut data) = (None, None, None);
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id: ") {
                    id = Some(v.parse().unwrap());
                } else if let Some(v) = line.strip_prefix("event: ") {
                    name = Some(v.to_owned());
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data = Some(serde_json::from_str(v).unwrap());
                }
            }
            if let Some(data) = data {
                return Some(Frame { id, name, data });
            }
        }
    }

    /// The next frame; panics after 20 s of silence.
    async fn next(&mut self) -> Frame {
        loop {
            if let Some(frame) = self.parse() {
                return frame;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(20), self.response.chunk())
                .await
                .expect("the stream went silent")
                .unwrap()
                .expect("the stream ended");
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }
}

async fn list(server: &Server, user: &str, who: &str) -> Value {
    let (status, body) = server
        .send(
            "GET",
            &format!("/v1/users/{user}/notifications"),
            Some(who),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn kinds(list: &Value) -> Vec<String> {
    list["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn follows_notifications_and_their_stream_on_every_database() {
    for database in databases().await {
        let server = Server::start_with(&database.url, |_| {}).await;
        play(&server).await;
        server.stop().await;
        database.drop_it().await;
    }
}

async fn play(server: &Server) {
    let td = token("td", "director");
    // fred signs up: his token's subject is his account's id.
    let (status, fred) = server
        .send(
            "POST",
            "/v1/accounts",
            None,
            Some(
                &json!({"username": "Fred", "password": "fred-password-1", "display_name": "Fred"}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{fred}");
    let fred_id = fred["id"].as_str().unwrap().to_owned();
    let fred = token(&fred_id, "user");
    let create = json!({"id": "cup", "name": "Cup",
        "rules": {"options": {"format": "single_elimination"}}});
    server.post("/v1/tournaments", &td, create, 201).await;

    // Follow, idempotently; an unknown tournament is 404; without a token, 401.
    let followers = "/v1/tournaments/cup/followers";
    for _ in 0..2 {
        let answer = server.post(followers, &fred, Value::Null, 200).await;
        assert_eq!(
            answer,
            json!({"tournament": "cup", "user": fred_id, "following": true})
        );
    }
    server
        .post("/v1/tournaments/nope/followers", &fred, Value::Null, 404)
        .await;
    let (status, _) = server.send("POST", followers, None, None).await;
    assert_eq!(status, 401);
    // A follower who leaves again.
    let gina = token("gina", "user");
    server.post(followers, &gina, Value::Null, 200).await;
    let (status, left) = server.send("DELETE", followers, Some(&gina), None).await;
    assert_eq!(status, 200);
    assert_eq!(left["following"], false);
    // The followers are the director's to see.
    let (status, seen) = server.send("GET", followers, Some(&td), None).await;
    assert_eq!((status, seen), (200, json!({"followers": [fred_id]})));
    let (status, refused) = server.send("GET", followers, Some(&fred), None).await;
    assert_eq!(status, 403, "{refused}");

    // Publish, four bots join, start: each bot gets its match, fred the state changes.
    server
        .post("/v1/tournaments/cup/publish", &td, Value::Null, 200)
        .await;
    for n in 1..=4 {
        let bot = token(&format!("b{n}"), "bot");
        server
            .post(
                "/v1/tournaments/cup/join",
                &bot,
                json!({"name": format!("Bot {n}")}),
                200,
            )
            .await;
    }
    server
        .post("/v1/tournaments/cup/start", &td, Value::Null, 200)
        .await;
    let b1 = token("b1", "bot");
    let mine = list(server, "b1", &b1).await;
    assert_eq!(kinds(&mine), ["match_ready"], "{mine}");
    let ready = &mine["notifications"][0];
    assert_eq!(ready["tournament"], "cup");
    assert_eq!(ready["read"], false);
    assert_eq!(ready["data"]["entry"], "b1");
    let opponent = ready["data"]["opponent"].as_str().unwrap().to_owned();
    let match_id = ready["data"]["match"].as_str().unwrap().to_owned();
    assert_eq!(
        ready["data"]["opponent_name"],
        format!("Bot {}", &opponent[1..])
    );
    assert_eq!(
        kinds(&list(server, &fred_id, &fred).await),
        ["state_changed", "state_changed"]
    );
    assert!(kinds(&list(server, "gina", &gina).await).is_empty());

    // Only that user (or an administrator) reads them.
    for path in [
        "/v1/users/b1/notifications".to_owned(),
        "/v1/users/b1/notifications/stream".to_owned(),
    ] {
        let (status, body) = server
            .send("GET", &path, Some(&token("b2", "bot")), None)
            .await;
        assert_eq!(status, 403, "{path}: {body}");
        assert_eq!(body["code"], "forbidden");
    }
    let (status, _) = server
        .send("GET", "/v1/users/b1/notifications", None, None)
        .await;
    assert_eq!(status, 401);
    let admin = list(server, "b1", &token("root", "admin")).await;
    assert_eq!(admin, mine);

    // The stream resumes after the last id seen: the result comes next, SSE and NDJSON.
    let first = ready["id"].as_u64().unwrap();
    let path = "/v1/users/b1/notifications/stream";
    let mut sse = Stream::open(server, path, &b1, false, Some(first)).await;
    let mut ndjson = Stream::open(server, path, &b1, true, Some(first)).await;
    let mut replay = Stream::open(server, path, &b1, false, None).await;
    let replayed = replay.next().await;
    assert_eq!(replayed.id, Some(first));
    assert_eq!(replayed.name.as_deref(), Some("match_ready"));
    assert_eq!(replayed.data, *ready);
    server
        .post(
            &format!("/v1/tournaments/cup/matches/{match_id}/result"),
            &td,
            json!({"type": "win", "winner": "b1"}),
            200,
        )
        .await;
    let live = sse.next().await;
    assert_eq!(live.name.as_deref(), Some("result_recorded"));
    assert!(live.id.unwrap() > first);
    assert_eq!(live.data["data"]["entry"], "b1");
    assert_eq!(live.data["data"]["match"], match_id.as_str());
    let line = ndjson.next().await;
    assert_eq!(line.data, live.data);
    assert_eq!(replay.next().await.data, live.data);
    // fred hears of it as a follower; the opponent as an entrant; b3 and b4 not at all.
    let fred_list = list(server, &fred_id, &fred).await;
    assert_eq!(
        kinds(&fred_list),
        ["state_changed", "state_changed", "result_recorded"]
    );
    assert_eq!(fred_list["notifications"][2]["data"]["entry"], Value::Null);
    let theirs = list(server, &opponent, &token(&opponent, "bot")).await;
    assert_eq!(kinds(&theirs), ["match_ready", "result_recorded"]);
    for other in ["b1", "b2", "b3", "b4"] {
        if other == "b1" || other == opponent {
            continue;
        }
        let got = list(server, other, &token(other, "bot")).await;
        assert_eq!(kinds(&got), ["match_ready"], "{other}");
    }

    // Mark read up to the first: the cursor moves forward only; JWT-only subjects have no
    // account to keep it (404); another user is refused.
    let read = format!("/v1/users/{fred_id}/notifications/read");
    let first_of_fred = fred_list["notifications"][0]["id"].as_u64().unwrap();
    let cursor = server
        .post(&read, &fred, json!({"up_to": first_of_fred}), 200)
        .await;
    assert_eq!(cursor, json!({"read_up_to": first_of_fred}));
    let cursor = server.post(&read, &fred, json!({"up_to": 0}), 200).await;
    assert_eq!(cursor, json!({"read_up_to": first_of_fred}));
    let fred_list = list(server, &fred_id, &fred).await;
    let flags: Vec<bool> = fred_list["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["read"].as_bool().unwrap())
        .collect();
    assert_eq!(flags, [true, false, false]);
    assert_eq!(fred_list["read_up_to"], first_of_fred);
    server.post(&read, &gina, json!({"up_to": 5}), 403).await;
    server
        .post(
            "/v1/users/b1/notifications/read",
            &b1,
            json!({"up_to": 5}),
            404,
        )
        .await;
    server
        .post(&read, &fred, json!({"up_to": "five"}), 400)
        .await;

    // Paging: after and limit.
    let (status, page) = server
        .send(
            "GET",
            &format!("/v1/users/{fred_id}/notifications?after={first_of_fred}&limit=1"),
            Some(&fred),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["notifications"].as_array().unwrap().len(), 1);
    assert_eq!(page["notifications"][0], fred_list["notifications"][1]);
    let (status, _) = server
        .send(
            "GET",
            &format!("/v1/users/{fred_id}/notifications?limit=0"),
            Some(&fred),
            None,
        )
        .await;
    assert_eq!(status, 400);
}

/// The start reminder fires through the server's deadline scheduler, once, to the followers
/// (a reminder of a minute before a start a minute and two seconds away).
#[tokio::test]
async fn the_start_reminder_reaches_a_follower_through_the_scheduler() {
    for database in databases().await {
        let server = Server::start_with(&database.url, |config| {
            config.start_reminder = Duration::from_secs(60);
            config.deadline_claim = Duration::from_secs(2);
        })
        .await;
        let td = token("td", "director");
        let fred = token("fred", "user");
        let create = json!({"id": "soon", "name": "Soon Cup",
            "rules": {"options": {"format": "single_elimination"}}});
        server.post("/v1/tournaments", &td, create, 201).await;
        server
            .post("/v1/tournaments/soon/followers", &fred, Value::Null, 200)
            .await;
        let starts_at = chrono::Utc::now() + chrono::Duration::seconds(62);
        let (status, body) = server
            .send(
                "PATCH",
                "/v1/tournaments/soon",
                Some(&td),
                Some(&json!({"starts_at": starts_at.to_rfc3339()})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let mut stream = Stream::open(
            &server,
            "/v1/users/fred/notifications/stream",
            &fred,
            false,
            None,
        )
        .await;
        let frame = stream.next().await;
        assert_eq!(frame.name.as_deref(), Some("tournament_starting"));
        assert_eq!(frame.data["data"]["name"], "Soon Cup");
        let minutes = frame.data["data"]["starts_in_minutes"].as_i64().unwrap();
        assert!((1..=2).contains(&minutes), "{frame:?}");
        // Once: the list holds exactly one, and the tournament is marked reminded.
        let got = list(&server, "fred", &fred).await;
        assert_eq!(kinds(&got), ["tournament_starting"]);
        server.stop().await;
        database.drop_it().await;
    }
}
