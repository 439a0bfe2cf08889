//! Fantasy drafts over real HTTP, on memory, SQLite and PostgreSQL: the commissioner creates
//! and runs a draft, managers pick for their own teams only, queues stay private, the pick
//! clock pauses and resumes, undo and trades, the live state, the list, the event stream
//! (SSE and NDJSON, resumed with `Last-Event-ID`) and draft-scoped webhooks.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{token, Server};
use serde_json::{json, Value};

/// Three teams, three rounds, snake (0 1 2 | 2 1 0 | 0 1 2): a goalkeeper (at most one) and
/// forwards (at most two) per roster. Teams 0 and 1 have managers, team 2 only the
/// commissioner.
fn league(id: &str, seconds_per_pick: u32) -> Value {
    let mut pool = Vec::new();
    for n in 1..=4 {
        pool.push(json!({"id": format!("g{n}"), "position": "GK", "rank": n}));
    }
    for n in 1..=7 {
        pool.push(json!({"id": format!("f{n}"), "position": "FW", "rank": 10 + n}));
    }
    json!({
        "id": id,
        "teams": 3,
        "rounds": 3,
        "order": "snake",
        "seconds_per_pick": seconds_per_pick,
        "roster": [
            {"position": "GK", "starters": 1, "max": 1},
            {"position": "FW", "starters": 1},
        ],
        "pool": pool,
        "managers": ["m0", "m1", null],
    })
}

/// Requests to one server as one caller (`None`: without a token).
struct As<'a> {
    server: &'a Server,
    token: Option<String>,
}

impl<'a> As<'a> {
    fn new(server: &'a Server, sub: &str, role: &str) -> Self {
        Self {
            server,
            token: Some(token(sub, role)),
        }
    }

    fn anonymous(server: &'a Server) -> Self {
        Self {
            server,
            token: None,
        }
    }

    /// Sends `method path` with `body`, checks the status and answers the body.
    async fn send(&self, method: &str, path: &str, body: Option<Value>, expected: u16) -> Value {
        let token = self.token.as_deref();
        let (status, answer) = self.server.send(method, path, token, body.as_ref()).await;
        assert_eq!(status, expected, "{method} {path} {body:?}: {answer}");
        answer
    }

    async fn get(&self, path: &str, expected: u16) -> Value {
        self.send("GET", path, None, expected).await
    }

    async fn post(&self, path: &str, body: Value, expected: u16) -> Value {
        self.send("POST", path, Some(body), expected).await
    }

    async fn put(&self, path: &str, body: Value, expected: u16) -> Value {
        self.send("PUT", path, Some(body), expected).await
    }

    /// A body-less action of draft `draft` (`start`, `pause` …).
    async fn act(&self, draft: &str, action: &str, expected: u16) -> Value {
        let path = format!("/v1/drafts/{draft}/{action}");
        self.send("POST", &path, None, expected).await
    }

    /// Pick `pick` of draft `draft` for `team`.
    async fn pick(&self, draft: &str, pick: u64, team: u64, player: &str, expected: u16) -> Value {
        let body = json!({"pick": pick, "team": team, "player": player});
        self.post(&format!("/v1/drafts/{draft}/picks"), body, expected)
            .await
    }

    async fn trade(&self, draft: &str, picks: [u32; 2], expected: u16) -> Value {
        let body = json!({ "picks": picks });
        self.post(&format!("/v1/drafts/{draft}/trade"), body, expected)
            .await
    }
}

fn event_types(answer: &Value) -> Vec<String> {
    answer["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

/// The player the team on the clock takes to fill its roster: a goalkeeper until it has
/// one, then the best forward left.
fn choice(view: &Value) -> (u64, u64, String) {
    let on = &view["on_the_clock"];
    let (pick, team) = (on["pick"].as_u64().unwrap(), on["team"].as_u64().unwrap());
    let picks = view["picks"].as_array().unwrap();
    let taken: Vec<&str> = picks
        .iter()
        .map(|p| p["player"].as_str().unwrap())
        .collect();
    let has_keeper = picks
        .iter()
        .any(|p| p["team"] == team && p["player"].as_str().unwrap().starts_with('g'));
    let position = if has_keeper { "FW" } else { "GK" };
    let player = view["settings"]["pool"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["position"] == position)
        .map(|p| p["id"].as_str().unwrap())
        .find(|id| !taken.contains(id))
        .unwrap()
        .to_owned();
    (pick, team, player)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_runs_from_creation_to_completion() {
    for database in common::databases().await {
        let server = Server::start_with(&database.url, |_| {}).await;
        let comm = As::new(&server, "comm", "director");
        let m0 = As::new(&server, "m0", "player");
        let m1 = As::new(&server, "m1", "player");
        let stranger = As::new(&server, "stranger", "player");
        let admin = As::new(&server, "root", "admin");
        let anonymous = As::anonymous(&server);
        let base = "/v1/drafts/lg";

        let created = comm.post("/v1/drafts", league("lg", 3600), 201).await;
        assert_eq!(created["state"], "scheduled");
        assert_eq!(created["version"], 0);
        assert_eq!(created["commissioner"], "comm");
        assert_eq!(created["managers"], json!(["m0", "m1", null]));
        assert_eq!(created["order"], json!([0, 1, 2, 2, 1, 0, 0, 1, 2]));
        assert_eq!(created["settings"]["order"], "snake");
        assert_eq!(created["total_picks"], 9);
        let actions = json!(["start", "trade", "set_queue"]);
        assert_eq!(created["allowed_actions"], actions);
        assert!(created.get("queues").is_none());
        let taken = stranger.post("/v1/drafts", league("lg", 60), 409).await;
        assert_eq!(taken["code"], "id_taken");

        // Queues: private to the team's manager, the commissioner and admins.
        let queue = format!("{base}/teams/1/queue");
        let wanted = json!(["f7", "g4", "f6"]);
        let set = m1.put(&queue, json!({ "players": wanted }), 200).await;
        assert_eq!(set["players"], wanted);
        assert_eq!(set["available"], wanted);
        assert_eq!(event_types(&set), ["draft.queue_set"]);
        assert_eq!(comm.get(&queue, 200).await["players"], wanted);
        assert_eq!(admin.get(&queue, 200).await["manager"], "m1");
        m0.get(&queue, 403).await;
        m0.put(&queue, json!({"players": []}), 403).await;
        anonymous.get(&queue, 401).await;
        let twice = m1.put(&queue, json!({"players": ["f7", "f7"]}), 422).await;
        assert_eq!(twice["code"], "duplicate_in_queue");
        let unknown = m1.put(&queue, json!({"players": ["zz"]}), 422).await;
        assert_eq!(unknown["code"], "unknown_player");
        let no_team = comm.get(&format!("{base}/teams/3/queue"), 404).await;
        assert_eq!(no_team["code"], "unknown_team");
        let public = server.get(base).await;
        assert!(public.get("queues").is_none(), "{public}");
        assert!(!public.to_string().contains("queue_set"));

        // Only the commissioner (or an admin) starts.
        m0.act("lg", "start", 403).await;
        anonymous.act("lg", "start", 401).await;
        let started = comm.act("lg", "start", 200).await;
        assert_eq!(started["state"], "in_progress");
        let first = json!({"pick": 1, "round": 1, "team": 0});
        assert_eq!(started["on_the_clock"], first);
        assert_eq!(started["clock"]["type"], "running");
        assert_eq!(event_types(&started), ["draft.started"]);
        let refused = comm.act("lg", "start", 409).await;
        assert_eq!(refused["code"], "invalid_transition");
        assert_eq!(refused["state"], "in_progress");

        // The live state: the pick on the clock, its manager and the time left.
        let live = server.get(&format!("{base}/state")).await;
        let first = json!({"pick": 1, "round": 1, "team": 0, "manager": "m0"});
        assert_eq!(live["on_the_clock"], first);
        assert_eq!(live["clock"], "running");
        let left = live["time_left_ms"].as_i64().unwrap();
        assert!((3_590_000..=3_600_000).contains(&left), "{live}");
        assert_eq!(live["next_deadline"], started["next_deadline"]);
        assert_eq!(live["recent_picks"], json!([]));

        // Picks: the team's manager, the commissioner or an admin.
        let wrong_manager = m1.pick("lg", 1, 0, "g1", 403).await;
        assert_eq!(wrong_manager["code"], "forbidden");
        let made = m0.pick("lg", 1, 0, "g1", 200).await;
        assert_eq!(event_types(&made), ["draft.pick_made"]);
        assert_eq!(made["picks"][0]["player"], "g1");
        assert_eq!(made["version"], 3);
        // The same pick again (a request that lost the race): refused, nothing changes.
        assert_eq!(m0.pick("lg", 1, 0, "g2", 409).await["code"], "wrong_pick");
        let out_of_turn = m0.pick("lg", 2, 0, "g2", 409).await;
        assert_eq!(out_of_turn["code"], "not_on_the_clock");
        assert_eq!(m1.pick("lg", 2, 1, "g1", 409).await["code"], "player_taken");
        let nobody = m1.pick("lg", 2, 1, "nobody", 422).await;
        assert_eq!(nobody["code"], "unknown_player");
        m1.pick("lg", 2, 1, "g2", 200).await;
        // Team 2 has no manager: the commissioner picks for it.
        stranger.pick("lg", 3, 2, "g3", 403).await;
        comm.pick("lg", 3, 2, "g3", 200).await;
        assert_eq!(
            comm.pick("lg", 4, 2, "g4", 422).await["code"],
            "no_roster_slot"
        );
        // The queue of team 1 no longer offers the keeper it cannot take.
        assert_eq!(m1.get(&queue, 200).await["available"], json!(["f7", "f6"]));
        admin.pick("lg", 4, 2, "f1", 200).await;

        // Pause freezes the clock; nothing is picked while paused.
        m0.act("lg", "pause", 403).await;
        let paused = comm.act("lg", "pause", 200).await;
        assert_eq!(paused["state"], "paused");
        assert_eq!(paused["clock"]["type"], "paused");
        assert_eq!(paused["next_deadline"], Value::Null);
        let frozen = server.get(&format!("{base}/state")).await;
        tokio::time::sleep(Duration::from_millis(30)).await;
        let still = server.get(&format!("{base}/state")).await;
        assert_eq!(frozen["clock"], "paused");
        assert!(frozen["time_left_ms"].as_i64().unwrap() > 3_500_000);
        assert_eq!(frozen["time_left_ms"], still["time_left_ms"]);
        assert_eq!(frozen["next_deadline"], Value::Null);
        let while_paused = m1.pick("lg", 5, 1, "f2", 409).await;
        assert_eq!(while_paused["code"], "invalid_transition");
        assert_eq!(while_paused["state"], "paused");
        m1.act("lg", "resume", 403).await;
        let resumed = comm.act("lg", "resume", 200).await;
        assert_eq!(resumed["state"], "in_progress");
        assert_eq!(event_types(&resumed), ["draft.resumed"]);

        // Undo: the commissioner or an admin takes back the last pick.
        m0.act("lg", "undo", 403).await;
        let undone = admin.act("lg", "undo", 200).await;
        assert_eq!(event_types(&undone), ["draft.pick_undone"]);
        assert_eq!(undone["picks_made"], 3);
        let fourth = json!({"pick": 4, "round": 2, "team": 2});
        assert_eq!(undone["on_the_clock"], fourth);

        // Trades of picks still to come.
        m0.trade("lg", [5, 6], 403).await;
        let traded = comm.trade("lg", [5, 6], 200).await;
        assert_eq!(traded["order"], json!([0, 1, 2, 2, 0, 1, 0, 1, 2]));
        assert_eq!(event_types(&traded), ["draft.picks_traded"]);
        let on_clock = comm.trade("lg", [4, 7], 409).await;
        assert_eq!(on_clock["code"], "pick_not_future");
        assert_eq!(comm.trade("lg", [5, 7], 422).await["code"], "same_team");
        let beyond = comm.trade("lg", [5, 99], 422).await;
        assert_eq!(beyond["code"], "pick_out_of_range");

        // Play to the end: the managers pick for their teams, the commissioner for team 2.
        let mut view = server.get(base).await;
        let mut last = Value::Null;
        while view["state"] == "in_progress" {
            let (pick, team, player) = choice(&view);
            let who = match team {
                0 => &m0,
                1 => &m1,
                _ => &comm,
            };
            last = who.pick("lg", pick, team, &player, 200).await;
            view = server.get(base).await;
        }
        assert_eq!(event_types(&last), ["draft.pick_made", "draft.completed"]);
        assert_eq!(view["state"], "completed");
        assert_eq!(view["picks_made"], 9);
        assert_eq!(view["clock"], Value::Null);
        assert_eq!(view["on_the_clock"], Value::Null);
        let done = server.get(&format!("{base}/state?recent=3")).await;
        assert_eq!(done["on_the_clock"], Value::Null);
        assert_eq!(done["time_left_ms"], Value::Null);
        assert_eq!(done["allowed_actions"], json!([]));
        let recent: Vec<u64> = done["recent_picks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["number"].as_u64().unwrap())
            .collect();
        assert_eq!(recent, [7, 8, 9]);
        let none = server.get(&format!("{base}/state?recent=0")).await;
        assert_eq!(none["recent_picks"], json!([]));
        assert_eq!(comm.act("lg", "pause", 409).await["state"], "completed");
        m1.put(&queue, json!({"players": []}), 409).await;

        // The list, by state.
        stranger.post("/v1/drafts", league("next", 60), 201).await;
        let ids = |list: &Value| -> Vec<String> {
            let drafts = list["drafts"].as_array().unwrap();
            drafts
                .iter()
                .map(|d| d["id"].as_str().unwrap().to_owned())
                .collect()
        };
        let all = server.get("/v1/drafts").await;
        assert_eq!(ids(&all), ["lg", "next"]);
        assert_eq!(all["drafts"][0]["pool_size"], 11);
        assert!(all["drafts"][0].get("picks").is_none());
        assert!(all["drafts"][0]["settings"].get("pool").is_none());
        assert_eq!(all["drafts"][0]["settings"]["order"], "snake");
        for (query, expected) in [
            ("state=completed", vec!["lg"]),
            ("state=scheduled", vec!["next"]),
            ("state=paused", vec![]),
            ("limit=1&offset=1", vec!["next"]),
        ] {
            let list = server.get(&format!("/v1/drafts?{query}")).await;
            assert_eq!(ids(&list), expected, "{query}");
        }
        anonymous.get("/v1/drafts?state=drafting", 400).await;
        anonymous.get("/v1/drafts?limit=0", 400).await;

        // Unknown drafts.
        for path in ["", "/state", "/stream"] {
            let missing = anonymous.get(&format!("/v1/drafts/nope{path}"), 404).await;
            assert_eq!(missing["code"], "unknown_draft", "{path}");
        }
        comm.act("nope", "start", 404).await;
        comm.pick("nope", 1, 0, "g1", 404).await;
        comm.get("/v1/drafts/nope/teams/0/queue", 404).await;

        server.stop().await;
        database.drop_it().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_refused_with_typed_errors() {
    let server = Server::start().await;
    let comm = As::new(&server, "comm", "director");
    let raw = |method: reqwest::Method, path: &str, body: &'static str| {
        server
            .client
            .request(method, server.url(path))
            .bearer_auth(comm.token.as_deref().unwrap())
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let malformed = raw(reqwest::Method::POST, "/v1/drafts", "{\"id\": ");
    let malformed = malformed.await.unwrap();
    assert_eq!(malformed.status(), 400);
    let body: Value = malformed.json().await.unwrap();
    assert_eq!(
        (&body["code"], &body["field"]),
        (&json!("invalid_input"), &json!("body"))
    );

    // Malformed settings: 400 naming the field.
    let mut extra = league("x", 60);
    extra["colour"] = json!("blue");
    let body = comm.post("/v1/drafts", extra, 400).await;
    assert!(body["error"].as_str().unwrap().contains("colour"), "{body}");
    for (path, value, field) in [
        ("/order", json!("spiral"), "order"),
        ("/pool/3/id", json!(""), "pool[3].id"),
        (
            "/roster/0/position",
            json!("goal keeper"),
            "roster[0].position",
        ),
        ("/managers/1", json!(""), "managers[1]"),
        ("/teams", json!(-1), "teams"),
    ] {
        let mut bad = league("x", 60);
        *bad.pointer_mut(path).unwrap() = value;
        let body = comm.post("/v1/drafts", bad, 400).await;
        assert_eq!(body["field"], field, "{body}");
    }

    // Settings that cannot be drafted to the end: 422 saying why.
    let mut short = league("x", 60);
    short["pool"].as_array_mut().unwrap().truncate(6);
    let body = comm.post("/v1/drafts", short, 422).await;
    assert_eq!(body["code"], "short_supply");
    let message = body["error"].as_str().unwrap();
    assert!(
        message.contains("position FW has 2 players; 6 are needed"),
        "{body}"
    );
    let body = comm.post("/v1/drafts", league("x", 0), 422).await;
    assert_eq!(body["code"], "zero_pick_time");
    let mut teams = league("x", 60);
    teams["teams"] = json!(0);
    let body = comm.post("/v1/drafts", teams, 422).await;
    assert_eq!(body["error"], "a draft needs 1 to 1000 teams, got 0");
    let mut managers = league("x", 60);
    managers["managers"] = json!(["a", "b"]);
    assert_eq!(
        comm.post("/v1/drafts", managers, 422).await["code"],
        "managers"
    );
    let mut long_id = league("x", 60);
    long_id["id"] = json!("d".repeat(190));
    assert_eq!(
        comm.post("/v1/drafts", long_id, 422).await["code"],
        "id_too_long"
    );
    As::anonymous(&server)
        .post("/v1/drafts", league("x", 60), 401)
        .await;
    // Nothing was created by the refusals.
    assert_eq!(server.get("/v1/drafts").await["drafts"], json!([]));

    comm.post("/v1/drafts", league("ok", 60), 201).await;
    comm.act("ok", "start", 200).await;
    let (trade, picks, queue) = (
        "/v1/drafts/ok/trade",
        "/v1/drafts/ok/picks",
        "/v1/drafts/ok/teams/0/queue",
    );
    for (method, path, body) in [
        ("POST", trade, json!({"picks": [5, 6, 7]})),
        ("POST", trade, json!({"picks": [5]})),
        ("POST", trade, json!({"picks": [5, -6]})),
        ("POST", picks, json!({"pick": 1, "team": 0})),
        (
            "POST",
            picks,
            json!({"pick": 1, "team": 0, "player": "g1", "auto": true}),
        ),
        (
            "POST",
            picks,
            json!({"pick": "1", "team": 0, "player": "g1"}),
        ),
        ("POST", picks, json!(null)),
        ("PUT", queue, json!({"players": "g1"})),
        ("PUT", queue, json!({"players": [""]})),
        ("PUT", queue, json!(["g1"])),
        ("PUT", queue, json!([["g1"]])),
        ("POST", picks, json!([1, 0, "g1"])),
        ("POST", trade, json!([[3, 4]])),
    ] {
        let answer = comm.send(method, path, Some(body), 400).await;
        assert_eq!(answer["code"], "invalid_input", "{path}: {answer}");
    }
    for team in ["x", "-1", "4294967296"] {
        comm.get(&format!("/v1/drafts/ok/teams/{team}/queue"), 400)
            .await;
    }
    for query in ["recent=101", "recent=-1", "recent=x", "since=3"] {
        let path = format!("/v1/drafts/ok/state?{query}");
        let answer = comm.get(&path, 400).await;
        assert_eq!(answer["code"], "invalid_input", "{query}");
    }
    let longest = server.get("/v1/drafts/ok/state?recent=100").await;
    assert_eq!(longest["state"], "in_progress");
    // Nothing changed the draft.
    assert_eq!(server.get("/v1/drafts/ok").await["version"], 1);
    server.stop().await;
}

/// One SSE event or NDJSON line as received.
#[derive(Debug, Clone)]
struct Received {
    id: Option<u64>,
    name: String,
    data: Value,
}

/// An open stream and what is buffered of it.
struct Stream {
    response: reqwest::Response,
    buffer: String,
    ndjson: bool,
}

impl Stream {
    async fn open(server: &Server, path: &str, ndjson: bool, last_event_id: Option<u64>) -> Stream {
        let mut request = server.client.get(server.url(path));
        if ndjson {
            request = request.header("accept", "application/x-ndjson");
        }
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id.to_string());
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        let expected = if ndjson {
            "application/x-ndjson"
        } else {
            "text/event-stream"
        };
        assert_eq!(content_type, expected);
        Stream {
            response,
            buffer: String::new(),
            ndjson,
        }
    }

    /// The next event; panics after 20 s of silence or at the end of the stream.
    async fn next(&mut self) -> Received {
        loop {
            if let Some(event) = self.parse() {
                return event;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(20), self.response.chunk())
                .await
                .expect("the stream went silent")
                .unwrap()
                .expect("the stream ended");
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    fn parse(&mut self) -> Option<Received> {
        loop {
            if self.ndjson {
                let end = self.buffer.find('\n')?;
                let line: String = self.buffer.drain(..=end).collect();
                if line.trim().is_empty() {
                    continue;
                }
                let data: Value = serde_json::from_str(line.trim()).unwrap();
                return Some(Received {
                    id: data["sequence"].as_u64(),
                    name: data["type"].as_str().unwrap().to_owned(),
                    data,
                });
            }
            let end = self.buffer.find("\n\n")?;
            let frame: String = self.buffer.drain(..end + 2).collect();
            let (mut id, mut name, mut data) = (None, String::new(), None);
            for line in frame.lines() {
                if let Some(v) = line.strip_prefix("id: ") {
                    id = Some(v.parse().unwrap());
                } else if let Some(v) = line.strip_prefix("event: ") {
                    name = v.to_owned();
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data = Some(serde_json::from_str(v).unwrap());
                }
            }
            if let Some(data) = data {
                return Some(Received { id, name, data });
            }
        }
    }
}

/// Two teams, one round: done after two picks.
fn pair(id: &str) -> Value {
    json!({
        "id": id,
        "teams": 2,
        "rounds": 1,
        "order": "linear",
        "seconds_per_pick": 3600,
        "roster": [{"position": "P", "starters": 1}],
        "pool": [
            {"id": "a", "position": "P", "rank": 1},
            {"id": "b", "position": "P", "rank": 2},
            {"id": "c", "position": "P", "rank": 3},
        ],
        "managers": ["m0", "m1"],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_replays_follows_and_resumes_without_queues() {
    for database in common::databases().await {
        let server = Server::start_with(&database.url, |_| {}).await;
        let comm = As::new(&server, "comm", "director");
        let m0 = As::new(&server, "m0", "player");
        let stream = "/v1/drafts/duo/stream";
        // Another draft's events never reach this stream.
        comm.post("/v1/drafts", pair("other"), 201).await;
        comm.act("other", "start", 200).await;
        comm.post("/v1/drafts", pair("duo"), 201).await;
        let queue = json!({"players": ["c"]});
        m0.put("/v1/drafts/duo/teams/0/queue", queue, 200).await;
        comm.act("duo", "start", 200).await;

        let mut sse = Stream::open(&server, stream, false, None).await;
        let mut ndjson = Stream::open(&server, stream, true, None).await;
        let started = sse.next().await;
        assert_eq!(started.name, "draft.started");
        assert_eq!(started.data["data"]["draft"], "duo");
        let line = ndjson.next().await;
        assert_eq!((line.name.as_str(), line.id), ("draft.started", started.id));

        // Live: the pick arrives on both.
        m0.pick("duo", 1, 0, "c", 200).await;
        let made = sse.next().await;
        assert_eq!(made.name, "draft.pick_made");
        let data = json!({"draft": "duo", "pick": 1, "team": 0, "player": "c"});
        assert_eq!(made.data["data"], data);
        assert!(made.id > started.id);
        assert_eq!(ndjson.next().await.id, made.id);

        // A client that reconnects with the last id it saw gets exactly what followed.
        drop(sse);
        comm.pick("duo", 2, 1, "a", 200).await;
        let mut resumed = Stream::open(&server, stream, false, made.id).await;
        let last = resumed.next().await;
        assert_eq!(last.name, "draft.pick_made");
        assert_eq!(last.data["data"]["player"], "a");
        let completed = resumed.next().await;
        assert_eq!(completed.name, "draft.completed");
        assert!(completed.id > last.id);
        for expected in ["draft.pick_made", "draft.completed"] {
            assert_eq!(ndjson.next().await.name, expected);
        }
        let after = format!("{stream}?after={}", last.id.unwrap());
        let mut after = Stream::open(&server, &after, true, None).await;
        assert_eq!(after.next().await.id, completed.id);

        // The history from the start: no queue changes, no other draft.
        let mut replay = Stream::open(&server, stream, true, None).await;
        let mut names = Vec::new();
        loop {
            let event = replay.next().await;
            assert_eq!(event.data["data"]["draft"], "duo");
            names.push(event.name.clone());
            if event.name == "draft.completed" {
                break;
            }
        }
        let made = "draft.pick_made";
        assert_eq!(names, ["draft.started", made, made, "draft.completed"]);
        server.stop().await;
        database.drop_it().await;
    }
}

/// What a receiver got: the paths and bodies.
type Hits = Arc<Mutex<Vec<(String, Value)>>>;

async fn receiver() -> (Hits, String) {
    let hits: Hits = Arc::default();
    let app = axum::Router::new()
        .fallback(
            |axum::extract::State(hits): axum::extract::State<Hits>,
             uri: axum::http::Uri,
             body: String| async move {
                hits.lock()
                    .unwrap()
                    .push((uri.path().to_owned(), serde_json::from_str(&body).unwrap()));
                axum::http::StatusCode::NO_CONTENT
            },
        )
        .with_state(hits.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (hits, format!("http://{address}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn draft_webhooks_belong_to_the_commissioner() {
    let (hits, base) = receiver().await;
    for database in common::databases().await {
        hits.lock().unwrap().clear();
        let server = Server::start_with(&database.url, |c| c.webhooks.allow_private = true).await;
        let comm = As::new(&server, "comm", "director");
        let m0 = As::new(&server, "m0", "player");
        let admin = As::new(&server, "root", "admin");
        comm.post("/v1/drafts", pair("hooked"), 201).await;
        let hooks = "/v1/drafts/hooked/webhooks";
        let body = json!({"url": format!("{base}/draft")});
        m0.post(hooks, body.clone(), 403).await;
        As::anonymous(&server).post(hooks, body.clone(), 401).await;
        comm.post("/v1/drafts/nope/webhooks", body.clone(), 404)
            .await;
        let created = comm.post(hooks, body, 201).await;
        assert_eq!(created["scope"], json!({"type": "draft", "id": "hooked"}));
        assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));
        let id = created["id"].as_u64().unwrap();
        let listed = comm.get(hooks, 200).await;
        assert_eq!(listed["webhooks"][0]["id"], id);
        assert!(listed["webhooks"][0].get("secret").is_none());
        m0.get(hooks, 403).await;
        let hook = format!("/v1/webhooks/{id}");
        assert_eq!(comm.get(&hook, 200).await["scope"]["type"], "draft");
        m0.get(&hook, 403).await;
        admin.get(&hook, 200).await;

        comm.act("hooked", "start", 200).await;
        m0.pick("hooked", 1, 0, "b", 200).await;
        let start = Instant::now();
        loop {
            let types: Vec<String> = hits
                .lock()
                .unwrap()
                .iter()
                .map(|(_, body)| body["type"].as_str().unwrap().to_owned())
                .collect();
            if types.len() >= 2 {
                assert_eq!(types, ["draft.started", "draft.pick_made"]);
                break;
            }
            let waited = start.elapsed();
            assert!(waited < Duration::from_secs(60), "deliveries: {types:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (path, body) = hits.lock().unwrap()[1].clone();
        assert_eq!(path, "/draft");
        let data = json!({"draft": "hooked", "pick": 1, "team": 0, "player": "b"});
        assert_eq!(body["data"], data);
        m0.send("DELETE", &hook, None, 403).await;
        comm.send("DELETE", &hook, None, 204).await;
        server.stop().await;
        database.drop_it().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_describes_every_draft_route() {
    let server = Server::start().await;
    let api = server.get("/openapi.json").await;
    for (path, methods) in [
        ("/v1/drafts", vec!["get", "post"]),
        ("/v1/drafts/{draft_id}", vec!["get"]),
        ("/v1/drafts/{draft_id}/start", vec!["post"]),
        ("/v1/drafts/{draft_id}/pause", vec!["post"]),
        ("/v1/drafts/{draft_id}/resume", vec!["post"]),
        ("/v1/drafts/{draft_id}/undo", vec!["post"]),
        ("/v1/drafts/{draft_id}/trade", vec!["post"]),
        ("/v1/drafts/{draft_id}/picks", vec!["post"]),
        (
            "/v1/drafts/{draft_id}/teams/{team}/queue",
            vec!["get", "put"],
        ),
        ("/v1/drafts/{draft_id}/state", vec!["get"]),
        ("/v1/drafts/{draft_id}/stream", vec!["get"]),
        ("/v1/drafts/{draft_id}/webhooks", vec!["get", "post"]),
    ] {
        for method in methods {
            let op = &api["paths"][path][method];
            let responses = op["responses"]
                .as_object()
                .unwrap_or_else(|| panic!("{method} {path} missing"));
            assert!(responses.contains_key("400"), "{method} {path}: no 400");
            if op.get("requestBody").is_some() {
                assert!(responses.contains_key("413"), "{method} {path}: no 413");
            }
            if path != "/v1/drafts" {
                assert!(responses.contains_key("404"), "{method} {path}: no 404");
            }
            if method != "get" || path.ends_with("/queue") || path.ends_with("/webhooks") {
                assert!(op.get("security").is_some(), "{method} {path}: no security");
                assert!(
                    responses.contains_key("401") && responses.contains_key("403"),
                    "{method} {path}"
                );
            }
        }
    }
    let schemas = api["components"]["schemas"].as_object().unwrap();
    for name in [
        "CreateDraft",
        "RosterSlot",
        "PoolPlayer",
        "DraftOrder",
        "PickRequest",
        "TradeRequest",
        "QueueRequest",
    ] {
        assert!(schemas.contains_key(name), "schema {name} missing");
        if name != "DraftOrder" {
            assert_eq!(schemas[name]["additionalProperties"], false, "{name}");
        }
    }
    assert_eq!(
        schemas["DraftOrder"]["enum"],
        json!(["linear", "snake", "third_round_reversal"])
    );
    for stream in [
        "/v1/drafts/{draft_id}/stream",
        "/v1/tournaments/{tournament_id}/stream",
        "/v1/events/{event_id}/stream",
    ] {
        let parameters = api["paths"][stream]["get"]["parameters"]
            .as_array()
            .unwrap();
        for (name, place) in [
            ("Last-Event-ID", "header"),
            ("after", "query"),
            ("names", "query"),
            ("participant", "query"),
        ] {
            let parameter = parameters.iter().find(|p| p["name"] == name).unwrap();
            assert_eq!(parameter["in"], place, "{stream} {name}");
            assert_ne!(parameter["required"], true, "{stream} {name}");
        }
    }
    let parameters = api["paths"]["/v1/drafts"]["get"]["parameters"]
        .as_array()
        .unwrap();
    for name in ["state", "limit", "offset"] {
        assert!(
            parameters
                .iter()
                .any(|p| p["name"] == name && p["in"] == "query"),
            "{name}"
        );
    }
    server.stop().await;
}
