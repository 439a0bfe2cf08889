//! Streams over real HTTP: SSE and NDJSON replay then follow the log; a client that
//! disconnects mid-tournament resumes with `Last-Event-ID` and misses nothing; a slow client
//! is dropped with a final event; bot-arena names; the final results as NDJSON.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{token, Server};
use serde_json::{json, Value};

/// One SSE event or NDJSON line as received.
#[derive(Debug, Clone, PartialEq)]
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
    /// SSE comments and NDJSON blank lines seen.
    keep_alives: usize,
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
        assert_eq!(
            content_type,
            if ndjson {
                "application/x-ndjson"
            } else {
                "text/event-stream"
            }
        );
        Stream {
            response,
            buffer: String::new(),
            ndjson,
            keep_alives: 0,
        }
    }

    /// The next event, `None` when the stream ended; panics after 20 s of silence.
    async fn next(&mut self) -> Option<Received> {
        loop {
            if let Some(event) = self.parse() {
                return Some(event);
            }
            let chunk = tokio::time::timeout(Duration::from_secs(20), self.response.chunk())
                .await
                .expect("the stream went silent")
                .unwrap();
            match chunk {
                Some(bytes) => self.buffer.push_str(std::str::from_utf8(&bytes).unwrap()),
                None => return None,
            }
        }
    }

    fn parse(&mut self) -> Option<Received> {
        loop {
            if self.ndjson {
                let end = self.buffer.find('\n')?;
                let line: String = self.buffer.drain(..=end).collect();
                let line = line.trim();
                if line.is_empty() {
                    self.keep_alives += 1;
                    continue;
                }
                let data: Value = serde_json::from_str(line).unwrap();
                return Some(Received {
                    id: data["sequence"].as_u64(),
                    name: data["type"].as_str().unwrap().to_owned(),
                    data,
                });
            }
            let end = self.buffer.find("\n\n")?;
            let frame: String = self.buffer.drain(..end + 2).collect();
            let mut id = None;
            let mut name = String::from("message");
            let mut data = None;
            for line in frame.lines() {
                if line.starts_with(':') {
                    self.keep_alives += 1;
                } else if let Some(v) = line.strip_prefix("id: ") {
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

    /// Events until one named `name` (included).
    async fn until(&mut self, name: &str) -> Vec<Received> {
        let mut out = Vec::new();
        loop {
            let event = self.next().await.expect("the stream ended early");
            let done = event.name == name;
            out.push(event);
            if done {
                return out;
            }
        }
    }
}

async fn tournament(server: &Server, director: &str, id: &str, entries: u32) {
    let create = json!({
        "id": id,
        "name": id,
        "rules": {"options": {"format": "round_robin"}, "min_entries": 4, "seed": 3},
        "self_reporting": true,
    });
    server.started_with_bots(director, create, entries).await;
}

/// Plays the current round (the lower-numbered bot wins) and advances; whether one was played.
async fn play_round(server: &Server, director: &str, id: &str) -> bool {
    let t = server.get(&format!("/v1/tournaments/{id}")).await;
    if t["state"] != "active" {
        return false;
    }
    let round = t["round"].as_u64().unwrap();
    let pairings = server
        .get(&format!("/v1/tournaments/{id}/rounds/{round}/pairings"))
        .await;
    for p in pairings["pairings"].as_array().unwrap() {
        if p["status"] != "ready" {
            continue;
        }
        let players: Vec<String> = p["sides"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect();
        let winner = players
            .iter()
            .min_by_key(|b| b[1..].parse::<u32>().unwrap())
            .unwrap();
        server
            .post(
                &format!(
                    "/v1/tournaments/{id}/matches/{}/result",
                    p["match_id"].as_str().unwrap()
                ),
                &token(&players[1], "bot"),
                json!({"type": "win", "winner": winner}),
                200,
            )
            .await;
    }
    server
        .post(
            &format!("/v1/tournaments/{id}/advance"),
            director,
            json!(null),
            200,
        )
        .await;
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_disconnects_mid_tournament_resumes_without_loss_or_duplicates() {
    for database in common::databases().await {
        let server = Server::start_with(&database.url, |c| {
            c.stream_keep_alive = Duration::from_millis(200);
        })
        .await;
        let director = token("streamer", "director");
        // Another tournament's events interleave in the log and must never show up.
        tournament(&server, &director, "other", 4).await;
        tournament(&server, &director, "rr", 6).await;

        // Phase 1: from the start, live through round 1, then the client goes away.
        let mut first = Stream::open(&server, "/v1/tournaments/rr/stream", false, None).await;
        let mut seen = first.until("pairing.ready").await;
        assert!(play_round(&server, &director, "rr").await);
        assert!(play_round(&server, &director, "other").await);
        seen.extend(first.until("round.finished").await);
        drop(first);
        let last = seen.last().unwrap().id.unwrap();

        // Phase 2: the tournament goes on without the client.
        while play_round(&server, &director, "rr").await {}
        while play_round(&server, &director, "other").await {}

        // Phase 3: it reconnects with Last-Event-ID, gets what it missed, then live events.
        let mut again = Stream::open(&server, "/v1/tournaments/rr/stream", false, Some(last)).await;
        let missed = again.until("tournament.finished").await;
        assert!(missed[0].id.unwrap() > last);
        server
            .post("/v1/tournaments/rr/archive", &director, json!(null), 200)
            .await;
        let mut live = Vec::new();
        while live
            .last()
            .is_none_or(|e: &Received| e.data["data"]["to"] != "archived")
        {
            live.push(again.next().await.unwrap());
        }
        // Idle: keep-alive comments.
        let mut ticks = 0;
        while again.keep_alives == 0 {
            let chunk = tokio::time::timeout(Duration::from_secs(5), again.response.chunk())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            again.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
            assert!(
                again.parse().is_none(),
                "nothing but keep-alives while idle"
            );
            ticks += 1;
            assert!(ticks < 10);
        }
        let union: Vec<Received> = seen.into_iter().chain(missed).chain(live).collect();

        // The whole log of the tournament, read afresh as NDJSON with ?after=0.
        let mut full = Stream::open(&server, "/v1/tournaments/rr/stream?after=0", true, None).await;
        let end = union.last().unwrap().id.unwrap();
        let mut log = Vec::new();
        while log.last().is_none_or(|e: &Received| e.id.unwrap() < end) {
            log.push(full.next().await.unwrap());
        }
        let ids = |events: &[Received]| events.iter().map(|e| e.id.unwrap()).collect::<Vec<_>>();
        assert!(
            ids(&union).windows(2).all(|w| w[0] < w[1]),
            "in order, without duplicates: {:?}",
            ids(&union)
        );
        assert_eq!(ids(&union), ids(&log), "{}", database.url);
        for (sse, line) in union.iter().zip(&log) {
            assert_eq!(sse.name, line.name);
            assert_eq!(sse.data, line.data, "the same envelope both ways");
            assert_eq!(sse.data["type"], json!(sse.name));
            assert_eq!(sse.data["sequence"], json!(sse.id.unwrap()));
        }
        assert!(union.iter().all(|e| {
            let data = &e.data["data"];
            data["tournament"] == "rr" || data["owner"]["id"] == "rr"
        }));
        assert_eq!(
            union.iter().filter(|e| e.name == "round.finished").count(),
            5,
            "six entries play five rounds"
        );
        // `?after=` alone resumes the same way, and Last-Event-ID wins over it.
        let mut resumed = Stream::open(
            &server,
            &format!("/v1/tournaments/rr/stream?after={last}"),
            true,
            None,
        )
        .await;
        assert_eq!(resumed.next().await.unwrap().id, missed_first(&union, last));
        let mut both = Stream::open(
            &server,
            "/v1/tournaments/rr/stream?after=0",
            true,
            Some(last),
        )
        .await;
        assert_eq!(both.next().await.unwrap().id, missed_first(&union, last));
        drop((full, resumed, both, again));
        server.stop().await;
        database.drop_it().await;
    }
}

fn missed_first(union: &[Received], last: u64) -> Option<u64> {
    union.iter().filter_map(|e| e.id).find(|&id| id > last)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bot_arena_names_and_final_results() {
    let server = Server::start().await;
    let director = token("arena", "director");
    tournament(&server, &director, "arena", 4).await;
    let (status, refused) = server
        .send("GET", "/v1/tournaments/arena/results", None, None)
        .await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["code"], "not_final");
    let mut bot = Stream::open(
        &server,
        "/v1/tournaments/arena/stream?names=arena&participant=b2",
        true,
        None,
    )
    .await;
    let start = bot.until("pairingReady").await;
    let names: Vec<&str> = start.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["tournamentStarted", "roundStarted", "pairingReady"]);
    let pairing = &start[2].data;
    assert_eq!(pairing["round"], 1);
    assert!(pairing["color"] == "white" || pairing["color"] == "black");
    assert!(pairing["opponent"].as_str().unwrap().starts_with('b'));
    assert!(pairing["match"].is_string());
    while play_round(&server, &director, "arena").await {}
    let rest = bot.until("tournamentFinished").await;
    let names: Vec<&str> = rest.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "roundFinished",
            "roundStarted",
            "pairingReady",
            "roundFinished",
            "roundStarted",
            "pairingReady",
            "roundFinished",
            "tournamentFinished"
        ]
    );
    assert!(rest.windows(2).all(|w| w[0].id < w[1].id));

    let response = server
        .client
        .get(server.url("/v1/tournaments/arena/results"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    let text = response.text().await.unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["participant"], "b1", "b1 wins every game");
    assert_eq!(lines[0]["points"], 3.0);
    assert_eq!(lines[0]["rank"], 1);
    drop(bot);
    // Unknown tournaments and bad positions are refused before any stream opens.
    let (status, _) = server
        .send("GET", "/v1/tournaments/nope/stream", None, None)
        .await;
    assert_eq!(status, 404);
    let (status, _) = server
        .send("GET", "/v1/events/nope/stream", None, None)
        .await;
    assert_eq!(status, 404);
    let (status, body) = server
        .send(
            "GET",
            "/v1/tournaments/arena/stream?names=fancy",
            None,
            None,
        )
        .await;
    assert_eq!((status, body["field"].as_str()), (400, Some("names")));
    let bad = server
        .client
        .get(server.url("/v1/tournaments/arena/stream"))
        .header("last-event-id", "yesterday")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_stream_carries_its_divisions() {
    let server = Server::start().await;
    let director = token("events", "director");
    for event in ["cup", "shield"] {
        server
            .post(
                "/v1/events",
                &director,
                json!({"id": event, "name": event}),
                201,
            )
            .await;
        let division = format!("{event}-u60");
        server
            .post(
                &format!("/v1/events/{event}/divisions"),
                &director,
                json!({"id": division, "name": "-60 kg", "rules": {"format": "single_elimination"}}),
                201,
            )
            .await;
        let field: Vec<Value> = (1..=5)
            .map(|i| json!({"id": format!("{event}{i}"), "name": format!("Judoka {i}")}))
            .collect();
        server
            .post(
                &format!("/v1/events/{event}/divisions/{division}/participants"),
                &director,
                json!(field),
                200,
            )
            .await;
    }
    let mut stream = Stream::open(&server, "/v1/events/cup/stream", false, None).await;
    server
        .post(
            "/v1/events/shield/divisions/shield-u60/generate",
            &director,
            json!(null),
            200,
        )
        .await;
    server
        .post(
            "/v1/events/cup/divisions/cup-u60/generate",
            &director,
            json!(null),
            200,
        )
        .await;
    let events = stream.until("bracket.generated").await;
    let generated = events.last().unwrap();
    assert_eq!(generated.data["data"]["division"], "cup-u60");
    assert!(events
        .iter()
        .all(|e| e.data["data"]["division"] != "shield-u60"));
    drop(stream);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_client_is_dropped_with_a_final_event_and_others_keep_up() {
    use athlos_core::event::{Event, EventData};
    use athlos_core::id::{EventId, TournamentId};
    use athlos_core::store::{AggregateRef, Commit, EventLog, Store};
    use athlos_http::server;

    let opened = server::open_store("memory://").await.unwrap();
    let store = opened.store.clone();
    let config = server::Config {
        address: "127.0.0.1:0".parse().unwrap(),
        stream_buffer: 8192,
        ..server::Config::default()
    };
    let running =
        server::start(opened.into_state(config, Arc::new(athlos_core::clock::SystemClock)))
            .await
            .unwrap();
    let base = format!("http://{}", running.address);
    let client = reqwest::Client::new();
    let id = TournamentId::new("flood").unwrap();
    let event = |n: u64| Event {
        id: EventId::new(format!("tournament:flood:{n}:0")).unwrap(),
        timestamp: chrono::Utc::now(),
        version: n,
        data: EventData::RoundStarted {
            tournament: id.clone(),
            round: u32::try_from(n).unwrap(),
        },
    };
    // The stream routes need the tournament to exist: any write of it will do.
    let created =
        athlos_core::service::Service::new(store.clone(), athlos_core::clock::SystemClock)
            .create_tournament(
                id.clone(),
                "Flood",
                serde_json::from_value(
                    json!({"options": {"format": "round_robin"}, "min_entries": 2, "seed": 1}),
                )
                .unwrap(),
            )
            .await;
    assert!(created.is_ok());
    let start = store.last_sequence().await.unwrap();
    // The slow client opens its stream and then does not read.
    let mut slow = client
        .get(format!("{base}/v1/tournaments/flood/stream?after={start}"))
        .send()
        .await
        .unwrap();
    // Wait until the replay is done (the stream is live) before flooding.
    let _ = slow.chunk().await;
    let mut fast = client
        .get(format!("{base}/v1/tournaments/flood/stream?after={start}"))
        .header("accept", "application/x-ndjson")
        .send()
        .await
        .unwrap();
    let total = 50_000u64;
    // The producer never runs more than 2,000 events ahead of the fast client (its buffer
    // holds 8,192), however loaded the machine: only the client that does not read lags.
    let received = Arc::new(AtomicU64::new(0));
    let progress = received.clone();
    let reader = tokio::spawn(async move {
        let mut rest = String::new();
        let mut lines = 0u64;
        while lines < total {
            let chunk = fast.chunk().await.unwrap().unwrap();
            rest.push_str(std::str::from_utf8(&chunk).unwrap());
            let complete = rest.rfind('\n').map_or(0, |i| i + 1);
            for line in rest[..complete].lines().filter(|l| !l.trim().is_empty()) {
                assert!(
                    line.contains("\"type\":\"round.started\""),
                    "the fast client is not dropped: {line}"
                );
                lines += 1;
            }
            progress.store(lines, Ordering::SeqCst);
            rest.drain(..complete);
        }
        lines
    });
    for batch in 0..(total / 500) {
        let events = (0..500)
            .map(|i| {
                (
                    AggregateRef::Tournament(id.clone()),
                    event(batch * 500 + i + 2),
                )
            })
            .collect();
        store
            .commit(Commit {
                events,
                ..Commit::default()
            })
            .await
            .unwrap();
        let committed = (batch + 1) * 500;
        let paced = std::time::Instant::now();
        while committed.saturating_sub(received.load(Ordering::SeqCst)) > 2_000 {
            assert!(
                paced.elapsed() < Duration::from_secs(60),
                "the fast client stalled"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    assert_eq!(
        tokio::time::timeout(Duration::from_secs(60), reader)
            .await
            .unwrap()
            .unwrap(),
        total
    );
    // Now the slow client reads: some events, then the final one, then the end.
    let mut text = String::new();
    // (A client that was never dropped would get keep-alives, not the end: time out.)
    while let Some(chunk) = tokio::time::timeout(Duration::from_secs(10), slow.chunk())
        .await
        .expect("the slow client was not dropped")
        .unwrap()
    {
        text.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    let frames: Vec<&str> = text
        .split("\n\n")
        .filter(|f| f.contains("data: "))
        .collect();
    let last = frames.last().unwrap();
    assert!(last.contains("event: stream.dropped"), "{last}");
    assert!(last.contains("slow_consumer"));
    let before = frames[frames.len() - 2];
    let last_id: u64 = before
        .lines()
        .find_map(|l| l.strip_prefix("id: "))
        .unwrap()
        .parse()
        .unwrap();
    let dropped: Value =
        serde_json::from_str(last.lines().find_map(|l| l.strip_prefix("data: ")).unwrap()).unwrap();
    assert_eq!(dropped["resume_after"], last_id, "where to resume from");
    assert!(frames.len() < total as usize);
    running.stop().await.unwrap();
}

/// Fan-out figures for BENCHMARKS.md (release build, a separate `athlos serve` process on
/// SQLite): `BENCH_SUBSCRIBERS` streams (10,000) of one event follow `BENCH_GENERATIONS`
/// bracket generations (2 events each, every 100 ms); prints events delivered per second
/// and the delay from the event's commit timestamp to its receipt.
/// `cargo test --release -p athlos-http --test http_streams -- --ignored --nocapture fan_out`
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark: run by hand in release"]
async fn fan_out_benchmark() {
    let env = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let subscribers = env("BENCH_SUBSCRIBERS", 10_000);
    let generations = env("BENCH_GENERATIONS", 50);
    // Milliseconds between generations (2 events each): 100 is 20 events/s per subscriber,
    // 1,000 is 2 events/s.
    let interval = env("BENCH_INTERVAL_MS", 100) as u64;
    let path = std::env::temp_dir().join(format!("athlos_fanout_{}.db", std::process::id()));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_athlos"))
        .args(["serve", "--address", &format!("127.0.0.1:{port}")])
        .args(["--database", &format!("sqlite://{}", path.display())])
        .env("ATHLOS_JWT_SECRET", common::SECRET)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    while client.get(format!("{base}/health")).send().await.is_err() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let director = token("bench", "director");
    let post = |path: String, body: Value| {
        let request = client
            .post(format!("{base}{path}"))
            .bearer_auth(&director)
            .json(&body);
        async move {
            let response = request.send().await.unwrap();
            assert!(
                response.status().is_success(),
                "{path}: {}",
                response.status()
            );
        }
    };
    post("/v1/events".into(), json!({"id": "fan", "name": "Fan"})).await;
    post(
        "/v1/events/fan/divisions".into(),
        json!({"id": "fan-u60", "name": "-60", "rules": {"format": "single_elimination"}}),
    )
    .await;
    let field: Vec<Value> = (1..=8)
        .map(|i| json!({"id": format!("j{i}"), "name": format!("J {i}")}))
        .collect();
    post(
        "/v1/events/fan/divisions/fan-u60/participants".into(),
        json!(field),
    )
    .await;
    let after: u64 = {
        // The log's end now: streams start there.
        let mut s = client
            .get(format!("{base}/v1/events/fan/stream?after=0"))
            .header("accept", "application/x-ndjson")
            .send()
            .await
            .unwrap();
        let mut last = 0;
        while let Ok(Ok(Some(chunk))) =
            tokio::time::timeout(Duration::from_millis(300), s.chunk()).await
        {
            for line in std::str::from_utf8(&chunk).unwrap().lines() {
                if let Ok(v) = serde_json::from_str::<Value>(line) {
                    last = v["sequence"].as_u64().unwrap_or(last);
                }
            }
        }
        last
    };
    let expected = generations * 2;
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(subscribers);
    let mut tasks = Vec::with_capacity(subscribers);
    // Each subscriber is a bare HTTP/1.1 connection read as bytes: the load client does no
    // more than a browser's socket would (an HTTP client library's per-chunk tasks and
    // channels would spend the cores the server needs on the client).
    let request = format!(
        "GET /v1/events/fan/stream?after={after} HTTP/1.1\r\nhost: 127.0.0.1\r\n\
         accept: application/x-ndjson\r\n\r\n"
    );
    // A warm-up generation first: every subscriber has caught up from the log and is live
    // (reading the log costs the server a query per stream) before the measured ones.
    let (warm_tx, mut warm_rx) = tokio::sync::mpsc::channel::<()>(subscribers);
    for i in 0..subscribers {
        let (ready, warm, request) = (ready_tx.clone(), warm_tx.clone(), request.clone());
        let address = format!("127.0.0.1:{port}");
        tasks.push(tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
            socket.set_nodelay(true).unwrap();
            socket.write_all(request.as_bytes()).await.unwrap();
            ready.send(()).await.unwrap();
            let mut delays = Vec::with_capacity(expected);
            let mut buffer = Vec::with_capacity(16 * 1024);
            let mut start = 0;
            let mut warming = 2;
            while delays.len() < expected {
                if buffer.len() == buffer.capacity() {
                    buffer.drain(..start);
                    start = 0;
                    buffer.reserve(16 * 1024);
                }
                let read = socket.read_buf(&mut buffer).await.unwrap();
                assert!(read > 0, "the server closed a stream");
                let now = chrono::Utc::now();
                // Whole lines only (the chunked framing's size lines carry no timestamp).
                while let Some(end) = buffer[start..].iter().position(|&b| b == b'\n') {
                    let line = &buffer[start..start + end];
                    start += end + 1;
                    let Some(at) = timestamp_of(line) else {
                        continue;
                    };
                    if warming > 0 {
                        warming -= 1;
                        if warming == 0 {
                            warm.send(()).await.unwrap();
                        }
                        continue;
                    }
                    delays.push((now - at).num_microseconds().unwrap() as f64 / 1000.0);
                }
                if start == buffer.len() {
                    buffer.clear();
                    start = 0;
                }
            }
            (delays, now_ms())
        }));
        if i % 500 == 499 {
            // Let the listener's backlog drain.
            for _ in 0..500 {
                ready_rx.recv().await.unwrap();
            }
        }
    }
    for _ in 0..(subscribers % 500) {
        ready_rx.recv().await.unwrap();
    }
    post(
        "/v1/events/fan/divisions/fan-u60/generate".into(),
        json!(null),
    )
    .await;
    for _ in 0..subscribers {
        warm_rx.recv().await.unwrap();
    }
    let started = now_ms();
    let cpu_before = (cpu_seconds("self"), cpu_seconds(&child.id().to_string()));
    let mut tick = tokio::time::interval(Duration::from_millis(interval));
    for _ in 0..generations {
        tick.tick().await;
        post(
            "/v1/events/fan/divisions/fan-u60/generate".into(),
            json!(null),
        )
        .await;
    }
    let mut delays = Vec::with_capacity(subscribers * expected);
    let mut finished = started;
    for task in tasks {
        let (d, end) = task.await.unwrap();
        delays.extend(d);
        finished = finished.max(end);
    }
    let client_cpu = cpu_seconds("self") - cpu_before.0;
    let server_cpu = cpu_seconds(&child.id().to_string()) - cpu_before.1;
    delays.sort_by(f64::total_cmp);
    let pct = |p: f64| delays[((delays.len() as f64 * p) as usize).min(delays.len() - 1)];
    let seconds = (finished - started) / 1000.0;
    println!(
        "fan-out: {subscribers} subscribers, {expected} events each ({:.1} events/s each), {} \
         deliveries in {seconds:.2} s ({:.0} events/s delivered); commit-to-receipt delay p1 \
         {:.1} ms, p10 {:.1} ms, p50 {:.1} ms, p99 {:.1} ms, p99.9 {:.1} ms, max {:.1} ms; CPU: server {server_cpu:.2} s \
         ({:.0} % of a core), load client {client_cpu:.2} s ({:.0} % of a core)",
        2000.0 / interval as f64,
        delays.len(),
        delays.len() as f64 / seconds,
        pct(0.01),
        pct(0.1),
        pct(0.5),
        pct(0.99),
        pct(0.999),
        delays[delays.len() - 1],
        100.0 * server_cpu / seconds,
        100.0 * client_cpu / seconds,
    );
    child.kill().unwrap();
    child.wait().unwrap();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// The `timestamp` of an NDJSON event line (the load client reads nothing else of it).
fn timestamp_of(line: &[u8]) -> Option<chrono::DateTime<chrono::Utc>> {
    const KEY: &[u8] = b"\"timestamp\":\"";
    let at = line.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let length = line[at..].iter().position(|&b| b == b'"')?;
    std::str::from_utf8(&line[at..at + length])
        .ok()?
        .parse()
        .ok()
}

/// User and system CPU seconds of process `pid` (`self`: this one) so far, from `/proc`.
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces): utime and stime are the 12th
    // and 13th of them.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // The kernel's USER_HZ is 100 on Linux.
    (ticks(11) + ticks(12)) / 100.0
}

fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        * 1000.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renames_and_rule_changes_reach_the_event_stream() {
    let server = Server::start().await;
    let director = token("director", "director");
    server.event_with_division(&director, "open", "u73").await;
    let patch = |path: &'static str, body: Value| {
        let server = &server;
        let director = &director;
        async move {
            let (status, answer) = server
                .send("PATCH", path, Some(director), Some(&body))
                .await;
            assert_eq!(status, 200, "PATCH {path} {body}: {answer}");
            answer
        }
    };
    let renamed = patch("/v1/events/open", json!({"name": "Open 2026"})).await;
    assert_eq!(renamed["name"], "Open 2026");
    assert_eq!(renamed["version"], 3);
    // The same name again changes nothing.
    let same = patch("/v1/events/open", json!({"name": "Open 2026"})).await;
    assert_eq!(same["version"], 3);
    let division = patch(
        "/v1/events/open/divisions/u73",
        json!({"name": "Men -73 kg", "seed": 42}),
    )
    .await;
    assert_eq!(division["name"], "Men -73 kg");

    let mut stream = Stream::open(&server, "/v1/events/open/stream?after=0", true, None).await;
    let mut updates = Vec::new();
    while updates.len() < 2 {
        let event = stream.next().await.expect("the stream ended");
        if event.name.ends_with(".updated") {
            updates.push((event.name, event.data["data"].clone()));
        }
    }
    assert_eq!(
        updates[0],
        (
            "event.updated".to_owned(),
            json!({"event": "open", "name": "Open 2026"})
        )
    );
    assert_eq!(updates[1].0, "division.updated");
    assert_eq!(updates[1].1["division"], "u73");
    assert_eq!(updates[1].1["name"], "Men -73 kg");
    assert_eq!(updates[1].1["seed"], 42);
    assert_eq!(updates[1].1["rules"]["format"], "single_elimination");
    drop(stream);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_reads_the_time_from_its_clock() {
    use athlos_core::clock::{Clock, ManualClock};
    use chrono::{Duration as Days, TimeZone, Utc};

    // Years after the real time: tokens minted against the real clock have expired there.
    let start = Utc.with_ymd_and_hms(2031, 3, 1, 9, 0, 0).unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let server = Server::start_on_clock(clock.clone()).await;
    let real = token("director", "director");
    let (status, refused) = server
        .send(
            "POST",
            "/v1/events",
            Some(&real),
            Some(&json!({"id": "open", "name": "Open"})),
        )
        .await;
    assert_eq!(
        (status, refused["code_detail"].as_str()),
        (401, Some("expired")),
        "{refused}"
    );
    let issued = u64::try_from(start.timestamp()).unwrap();
    let director = common::token_from("director", "director", issued, 3 * 24 * 3600);
    server.event_with_division(&director, "open", "u73").await;
    let rename = |name: &'static str| {
        let server = &server;
        let director = &director;
        async move {
            let body = json!({ "name": name });
            let (status, answer) = server
                .send("PATCH", "/v1/events/open", Some(director), Some(&body))
                .await;
            assert_eq!(status, 200, "{answer}");
        }
    };
    rename("Open 2031").await;
    clock.advance(Days::days(1));
    rename("Open 2031, day 2").await;
    let mut stream = Stream::open(&server, "/v1/events/open/stream?after=0", true, None).await;
    let mut stamps = Vec::new();
    while stamps.len() < 2 {
        let event = stream.next().await.expect("the stream ended");
        if event.name == "event.updated" {
            stamps.push(event.data["timestamp"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(stamps, ["2031-03-01T09:00:00Z", "2031-03-02T09:00:00Z"]);
    drop(stream);
    // Three days on, the token it issued has expired too.
    clock.advance(Days::days(2) + Days::seconds(1));
    assert!(clock.now() > start + Days::days(3));
    let (status, _) = server
        .send(
            "PATCH",
            "/v1/events/open",
            Some(&director),
            Some(&json!({"name": "Late"})),
        )
        .await;
    assert_eq!(status, 401);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn announcements_tell_of_tournaments_published_started_and_finished() {
    for database in common::databases().await {
        let server = Server::start_with(&database.url, |_| {}).await;
        let director = token("herald", "director");
        let mut live = Stream::open(&server, "/v1/announcements/stream", false, None).await;
        let mut lines = Stream::open(&server, "/v1/announcements/stream", true, None).await;
        tournament(&server, &director, "spring", 4).await;
        // A second tournament only published: announced once, never started.
        let create = json!({"id": "autumn", "name": "Autumn",
            "rules": {"options": {"format": "single_elimination"}}});
        server.post("/v1/tournaments", &director, create, 201).await;
        server
            .post(
                "/v1/tournaments/autumn/publish",
                &director,
                json!(null),
                200,
            )
            .await;
        while play_round(&server, &director, "spring").await {}

        let wanted = [
            ("tournament_published", "spring"),
            ("tournament_started", "spring"),
            ("tournament_published", "autumn"),
            ("tournament_finished", "spring"),
        ];
        for stream in [&mut live, &mut lines] {
            let mut got = Vec::new();
            for _ in 0..wanted.len() {
                got.push(stream.next().await.expect("the stream ended early"));
            }
            let kinds: Vec<(&str, &str)> = got
                .iter()
                .map(|e| (e.name.as_str(), e.data["tournament"].as_str().unwrap()))
                .collect();
            assert_eq!(kinds, wanted, "{}", database.url);
            assert!(got.windows(2).all(|w| w[0].id < w[1].id));
            assert_eq!(got[3].data["winners"], json!(["b1"]), "b1 wins every game");
            assert_eq!(got[0].data["winners"], json!([]));
            assert!(got[0].data["timestamp"].is_string());
        }

        // The same, a page at a time, resuming after the last one read.
        let page = server.get("/v1/announcements?limit=2").await;
        let listed: Vec<&str> = page["announcements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["type"].as_str().unwrap())
            .collect();
        assert_eq!(listed, ["tournament_published", "tournament_started"]);
        assert_eq!(page["more"], true);
        let second = page["announcements"][1]["sequence"].as_u64().unwrap();
        assert_eq!(page["next_after"], second);
        let rest = server
            .get(&format!("/v1/announcements?after={second}&limit=10"))
            .await;
        let listed: Vec<(&str, &str)> = rest["announcements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["type"].as_str().unwrap(),
                    a["tournament"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(listed, wanted[2..]);
        assert_eq!(rest["more"], false);
        let finished = &rest["announcements"][1];
        assert_eq!(finished["winners"], json!(["b1"]));

        // A stream resumed after the start announcement replays only what followed it.
        let start = page["announcements"][1]["sequence"].as_u64().unwrap();
        let mut resumed =
            Stream::open(&server, "/v1/announcements/stream", true, Some(start)).await;
        let next = resumed.next().await.unwrap();
        assert_eq!(
            (next.name.as_str(), next.data["tournament"].as_str()),
            ("tournament_published", Some("autumn"))
        );

        for bad in [
            "/v1/announcements?limit=0",
            "/v1/announcements?limit=501",
            "/v1/announcements?after=-1",
            "/v1/announcements?after=9223372036854775808",
            "/v1/announcements?colour=red",
            "/v1/announcements/stream?after=x",
            "/v1/announcements/stream?names=arena",
        ] {
            let (status, body) = server.send("GET", bad, None, None).await;
            assert_eq!(status, 400, "{bad}: {body}");
            assert!(body["code"].is_string(), "{bad}: {body}");
        }
        drop((live, lines, resumed));
        server.stop().await;
        database.drop_it().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leaderboard_sums_finished_tournaments() {
    for database in common::databases().await {
        let server = Server::start_with(&database.url, |_| {}).await;
        let director = token("keeper", "director");
        // Round robins where the lower-numbered bot wins every game: b1 first, b2 second …
        tournament(&server, &director, "first", 4).await;
        while play_round(&server, &director, "first").await {}
        let first = server.get("/v1/tournaments/first").await;
        let finished_at = first["finished_at"].as_str().unwrap().to_owned();
        tournament(&server, &director, "second", 5).await;
        while play_round(&server, &director, "second").await {}
        // Started, not finished: not counted.
        tournament(&server, &director, "third", 4).await;

        let board = server.get("/v1/leaderboard").await;
        let rows: Vec<(u64, &str, u64, u64)> = board["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["rank"].as_u64().unwrap(),
                    r["participant"].as_str().unwrap(),
                    r["points"].as_u64().unwrap(),
                    r["tournaments"].as_u64().unwrap(),
                )
            })
            .collect();
        // b1: 4 + 5, b2: 3 + 4, b3: 2 + 3, b4: 1 + 2, b5: 1.
        assert_eq!(
            rows,
            [
                (1, "b1", 9, 2),
                (2, "b2", 7, 2),
                (3, "b3", 5, 2),
                (4, "b4", 3, 2),
                (5, "b5", 1, 1),
            ],
            "{}",
            database.url
        );
        assert_eq!(board["total"], 5);
        assert_eq!(board["rows"][0]["wins"], 2);
        assert_eq!(board["rows"][0]["podiums"], 2);
        assert_eq!(board["rows"][0]["best"], 1);
        assert_eq!(board["rows"][0]["name"], "Bot 1");

        let page = server.get("/v1/leaderboard?limit=2&offset=1").await;
        let ids: Vec<&str> = page["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["participant"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["b2", "b3"]);
        assert_eq!(page["total"], 5);
        let knockouts = server
            .get("/v1/leaderboard?format=single_elimination")
            .await;
        assert_eq!(knockouts["total"], 0);
        let round_robins = server.get("/v1/leaderboard?format=round_robin").await;
        assert_eq!(round_robins["total"], 5);
        // Since the first finished: both count; a moment after: only the second.
        let since = |at: &str| format!("/v1/leaderboard?since={}", at.replace('+', "%2B"));
        assert_eq!(server.get(&since(&finished_at)).await["total"], 5);
        let later = chrono::DateTime::parse_from_rfc3339(&finished_at).unwrap()
            + chrono::Duration::microseconds(1);
        let recent = server.get(&since(&later.to_rfc3339())).await;
        let second: Vec<(&str, u64)> = recent["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["participant"].as_str().unwrap(),
                    r["points"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            second,
            [("b1", 5), ("b2", 4), ("b3", 3), ("b4", 2), ("b5", 1)]
        );

        for bad in [
            "/v1/leaderboard?format=auto",
            "/v1/leaderboard?format=chess",
            "/v1/leaderboard?since=yesterday",
            "/v1/leaderboard?limit=0",
            "/v1/leaderboard?limit=1001",
            "/v1/leaderboard?offset=-1",
            "/v1/leaderboard?sort=name",
        ] {
            let (status, body) = server.send("GET", bad, None, None).await;
            assert_eq!(status, 400, "{bad}: {body}");
            assert!(body["code"].is_string(), "{bad}: {body}");
        }
        server.stop().await;
        database.drop_it().await;
    }
}
