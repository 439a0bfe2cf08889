//! Webhooks over real HTTP with receivers on loopback: signed deliveries in log order, a
//! receiver that fails twice then succeeds (one logical delivery, one `webhook-id`), one that
//! never succeeds (a dead letter after 3 retries, replayed on request), redelivery, the
//! target policy, a server killed with SIGKILL mid-delivery that delivers after restart, and
//! the circuit breaker: a failing receiver's circuit opens and its line waits while a healthy
//! one and one that hangs do not hold each other up, then its backlog arrives in order.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use common::{token, Server};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

/// One request a receiver got.
#[derive(Debug, Clone)]
struct Hit {
    path: String,
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

#[derive(Default)]
struct Receiver {
    hits: Mutex<Vec<Hit>>,
    /// `/down` answers 503 while this is set.
    down: Mutex<bool>,
    /// `/slow` waits this long before answering.
    slow: Mutex<Duration>,
    /// `/broken` answers 500 while this is set.
    broken: Mutex<bool>,
    /// `/gated` answers only once this is unset.
    gated: Mutex<bool>,
}

async fn receive(
    State(receiver): State<Arc<Receiver>>,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let hit = Hit {
        path: uri.path().to_owned(),
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body,
    };
    let earlier = {
        let mut hits = receiver.hits.lock().unwrap();
        let earlier = hits
            .iter()
            .filter(|h| h.path == hit.path && h.id == hit.id)
            .count();
        hits.push(hit.clone());
        earlier
    };
    match hit.path.as_str() {
        "/flaky" if earlier < 2 => StatusCode::INTERNAL_SERVER_ERROR,
        "/down" if *receiver.down.lock().unwrap() => StatusCode::SERVICE_UNAVAILABLE,
        "/broken" if *receiver.broken.lock().unwrap() => StatusCode::INTERNAL_SERVER_ERROR,
        "/gated" => {
            while *receiver.gated.lock().unwrap() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            StatusCode::NO_CONTENT
        }
        "/slow" => {
            let wait = *receiver.slow.lock().unwrap();
            tokio::time::sleep(wait).await;
            StatusCode::OK
        }
        _ => StatusCode::NO_CONTENT,
    }
}

/// A receiver on 127.0.0.1 and its base URL.
async fn receiver() -> (Arc<Receiver>, String) {
    let state = Arc::new(Receiver::default());
    let app = axum::Router::new()
        .fallback(receive)
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (state, format!("http://{address}"))
}

fn hits(receiver: &Receiver, path: &str) -> Vec<Hit> {
    receiver
        .hits
        .lock()
        .unwrap()
        .iter()
        .filter(|h| h.path == path)
        .cloned()
        .collect()
}

/// Checks a delivery's signature as a receiver would.
fn verify(secret: &str, hit: &Hit) {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", hit.id, hit.timestamp, hit.body).as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    assert_eq!(hit.signature, expected, "signature of {}", hit.id);
    let sent: i64 = hit.timestamp.parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - sent).abs() < 300);
}

async fn wait_for<F: FnMut() -> bool>(what: &str, mut done: F) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn deliveries(server: &Server, director: &str, hook: u64) -> Vec<Value> {
    let (status, body) = server
        .send(
            "GET",
            &format!("/v1/webhooks/{hook}/deliveries"),
            Some(director),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["deliveries"].as_array().unwrap().clone()
}

async fn wait_deliveries(
    server: &Server,
    director: &str,
    hook: u64,
    what: &str,
    mut done: impl FnMut(&[Value]) -> bool,
) -> Vec<Value> {
    let start = Instant::now();
    loop {
        let list = deliveries(server, director, hook).await;
        if done(&list) {
            return list;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out: {what}: {list:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Publishes the tournament `hooked` and has four players `{prefix}1` … `{prefix}4` join it.
async fn publish_with_players(server: &Server, director: &str, prefix: &str) {
    server
        .post("/v1/tournaments/hooked/publish", director, json!(null), 200)
        .await;
    for n in 1..=4 {
        server
            .post(
                "/v1/tournaments/hooked/join",
                &token(&format!("{prefix}{n}"), "player"),
                json!({"name": format!("Player {n}")}),
                200,
            )
            .await;
    }
}

async fn subscribe(server: &Server, director: &str, url: String, types: Value) -> (u64, String) {
    let created = server
        .post(
            "/v1/tournaments/hooked/webhooks",
            director,
            json!({"url": url, "event_types": types}),
            201,
        )
        .await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    assert_eq!(created["secret_hint"], format!("{}…", &secret[..10]));
    (created["id"].as_u64().unwrap(), secret)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_deliveries_retries_dead_letters_and_replays() {
    let (receiver, base) = receiver().await;
    for database in common::databases().await {
        receiver.hits.lock().unwrap().clear();
        *receiver.down.lock().unwrap() = true;
        let server = Server::start_with(&database.url, |c| {
            c.webhooks.allow_private = true;
        })
        .await;
        let director = token("hooks", "director");
        server
            .post(
                "/v1/tournaments",
                &director,
                json!({"id": "hooked", "name": "Hooked",
                       "rules": {"options": {"format": "round_robin"}, "min_entries": 4, "seed": 1}}),
                201,
            )
            .await;
        let (ok, ok_secret) = subscribe(&server, &director, format!("{base}/ok"), json!([])).await;
        let (flaky, flaky_secret) = subscribe(
            &server,
            &director,
            format!("{base}/flaky"),
            json!(["tournament.state_changed"]),
        )
        .await;
        publish_with_players(&server, &director, "p").await;
        // Subscribed just before the start: it gets only what follows.
        let (down, _) = subscribe(
            &server,
            &director,
            format!("{base}/down"),
            json!(["tournament.state_changed"]),
        )
        .await;
        server
            .post("/v1/tournaments/hooked/start", &director, json!(null), 200)
            .await;

        // Everything reaches /ok, signed, in log order, the envelope as the body.
        wait_for("round 1 reaches /ok", || {
            hits(&receiver, "/ok")
                .iter()
                .any(|h| h.body.contains("\"type\":\"pairing.ready\""))
        })
        .await;
        let list = wait_deliveries(&server, &director, ok, "all delivered to /ok", |l| {
            !l.is_empty() && l.iter().all(|d| d["state"] == "succeeded")
        })
        .await;
        let got = hits(&receiver, "/ok");
        let ids: Vec<&str> = got.iter().map(|h| h.id.as_str()).collect();
        let expected: Vec<&str> = list
            .iter()
            .map(|d| d["webhook_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, expected, "in log order, once each");
        let sequences: Vec<u64> = list
            .iter()
            .map(|d| d["sequence"].as_u64().unwrap())
            .collect();
        assert!(sequences.windows(2).all(|w| w[0] < w[1]));
        let types: Vec<String> = got
            .iter()
            .map(|h| {
                verify(&ok_secret, h);
                let body: Value = serde_json::from_str(&h.body).unwrap();
                assert_eq!(body["id"], h.id.as_str(), "webhook-id is the event id");
                for field in ["type", "timestamp", "version", "data"] {
                    assert!(body.get(field).is_some(), "{field} in {body}");
                }
                body["type"].as_str().unwrap().to_owned()
            })
            .collect();
        assert!(types.iter().any(|t| t == "round.started"));
        assert_eq!(
            types
                .iter()
                .filter(|t| *t == "tournament.state_changed")
                .count(),
            2,
            "published and started: {types:?}"
        );

        // /flaky fails twice, then succeeds: one logical delivery per event, one id.
        let list = wait_deliveries(&server, &director, flaky, "flaky deliveries", |l| {
            l.len() == 2 && l.iter().all(|d| d["state"] == "succeeded")
        })
        .await;
        let got = hits(&receiver, "/flaky");
        assert_eq!(got.len(), 6, "three attempts of each of two events");
        for (i, d) in list.iter().enumerate() {
            assert_eq!(d["attempts"], 3);
            assert_eq!(d["last_status"], 204);
            let attempts = &got[i * 3..i * 3 + 3];
            assert!(attempts
                .iter()
                .all(|h| h.id == d["webhook_id"].as_str().unwrap()));
            assert_eq!(
                attempts[0].body, attempts[2].body,
                "the same body each time"
            );
            for hit in attempts {
                verify(&flaky_secret, hit);
            }
        }

        // /down never answers well: a dead letter after 3 retries, with the last status.
        let list = wait_deliveries(&server, &director, down, "a dead letter", |l| {
            l.len() == 1 && l[0]["state"] == "dead"
        })
        .await;
        assert_eq!(list[0]["attempts"], 4);
        assert_eq!(list[0]["last_status"], 503);
        assert!(list[0]["last_error"].as_str().unwrap().contains("503"));
        assert_eq!(hits(&receiver, "/down").len(), 4);
        let (status, dead) = server
            .send(
                "GET",
                &format!("/v1/webhooks/{down}/deliveries?state=dead"),
                Some(&director),
                None,
            )
            .await;
        assert_eq!(
            (status, dead["deliveries"].as_array().unwrap().len()),
            (200, 1)
        );
        // The receiver is back: replaying the dead letters delivers them, same id.
        *receiver.down.lock().unwrap() = false;
        let replayed = server
            .post(
                &format!("/v1/webhooks/{down}/replay-dead-letters"),
                &director,
                json!(null),
                202,
            )
            .await;
        assert_eq!(replayed["deliveries"].as_array().unwrap().len(), 1);
        let list = wait_deliveries(&server, &director, down, "replayed", |l| {
            l[0]["state"] == "succeeded"
        })
        .await;
        assert_eq!(list[0]["attempts"], 5);
        assert_eq!(list[0]["round"], 1);
        let got = hits(&receiver, "/down");
        assert_eq!(got.len(), 5);
        assert!(got.iter().all(|h| h.id == got[0].id));

        // Redelivering one that succeeded sends it again with the same id; one in flight
        // cannot be.
        let first = deliveries(&server, &director, ok).await[0].clone();
        let before = hits(&receiver, "/ok").len();
        server
            .post(
                &format!("/v1/webhooks/{ok}/deliveries/{}/redeliver", first["id"]),
                &director,
                json!(null),
                202,
            )
            .await;
        wait_for("the redelivery", || {
            hits(&receiver, "/ok").len() == before + 1
        })
        .await;
        assert_eq!(
            hits(&receiver, "/ok")[before].id,
            first["webhook_id"].as_str().unwrap()
        );

        // The secret is never shown again; strangers see nothing.
        let (status, hook) = server
            .send("GET", &format!("/v1/webhooks/{ok}"), Some(&director), None)
            .await;
        assert_eq!(status, 200);
        assert!(hook.get("secret").is_none());
        assert!(!hook.to_string().contains(&ok_secret));
        let stranger = token("stranger", "director");
        let (status, _) = server
            .send("GET", &format!("/v1/webhooks/{ok}"), Some(&stranger), None)
            .await;
        assert_eq!(status, 403);
        let (status, listed) = server
            .send(
                "GET",
                "/v1/tournaments/hooked/webhooks",
                Some(&director),
                None,
            )
            .await;
        assert_eq!(
            (status, listed["webhooks"].as_array().unwrap().len()),
            (200, 3)
        );
        // Disabled, it gets nothing new; deleted, it is gone.
        let (status, patched) = server
            .send(
                "PATCH",
                &format!("/v1/webhooks/{ok}"),
                Some(&director),
                Some(&json!({"enabled": false})),
            )
            .await;
        assert_eq!((status, &patched["enabled"]), (200, &json!(false)));
        let (status, _) = server
            .send(
                "DELETE",
                &format!("/v1/webhooks/{flaky}"),
                Some(&director),
                None,
            )
            .await;
        assert_eq!(status, 204);
        let (status, _) = server
            .send(
                "GET",
                &format!("/v1/webhooks/{flaky}"),
                Some(&director),
                None,
            )
            .await;
        assert_eq!(status, 404);
        server.stop().await;
        database.drop_it().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn targets_must_be_public_http_urls_and_secrets_well_formed() {
    let server = Server::start().await;
    let director = token("policy", "director");
    server
        .post(
            "/v1/tournaments",
            &director,
            json!({"id": "hooked", "name": "Hooked",
                   "rules": {"options": {"format": "round_robin"}, "min_entries": 2, "seed": 1}}),
            201,
        )
        .await;
    for (url, field) in [
        ("http://127.0.0.1:9/hook", "url"),
        ("http://localhost/hook", "url"),
        ("http://10.1.2.3/hook", "url"),
        ("http://[::1]/hook", "url"),
        ("http://169.254.169.254/latest", "url"),
        ("ftp://example.com/hook", "url"),
        ("not a url", "url"),
    ] {
        let (status, body) = server
            .send(
                "POST",
                "/v1/tournaments/hooked/webhooks",
                Some(&director),
                Some(&json!({"url": url})),
            )
            .await;
        assert_eq!(
            (status, body["field"].as_str()),
            (400, Some(field)),
            "{url}: {body}"
        );
    }
    for (body, field) in [
        (
            json!({"url": "https://example.com/h", "secret": "plain"}),
            "secret",
        ),
        (
            json!({"url": "https://example.com/h", "secret": "whsec_c2hvcnQ="}),
            "secret",
        ),
        (
            json!({"url": "https://example.com/h", "event_types": ["match.won"]}),
            "event_types",
        ),
    ] {
        let (status, answer) = server
            .send(
                "POST",
                "/v1/tournaments/hooked/webhooks",
                Some(&director),
                Some(&body),
            )
            .await;
        assert_eq!(
            (status, answer["field"].as_str()),
            (400, Some(field)),
            "{answer}"
        );
    }
    let created = server
        .post(
            "/v1/tournaments/hooked/webhooks",
            &director,
            json!({"url": "https://example.com/h", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}),
            201,
        )
        .await;
    assert_eq!(created["secret"], "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    let (status, _) = server
        .send(
            "POST",
            "/v1/tournaments/hooked/webhooks",
            Some(&token("stranger", "director")),
            Some(&json!({"url": "https://example.com/h"})),
        )
        .await;
    assert_eq!(status, 403);
    server.stop().await;
}

/// `athlos serve` as a child process.
struct Child(std::process::Child);

impl Child {
    fn start(database: &str, port: u16) -> Child {
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_athlos"))
            .args(["serve", "--address", &format!("127.0.0.1:{port}")])
            .args(["--database", database])
            .env("ATHLOS_JWT_SECRET", common::SECRET)
            .env("ATHLOS_JOB_LEASE", "2")
            .env("ATHLOS_WEBHOOK_ALLOW_PRIVATE", "true")
            .env("ATHLOS_WEBHOOK_TIMEOUT", "60")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        Child(child)
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn up(client: &reqwest::Client, base: &str) {
    let start = Instant::now();
    while client.get(format!("{base}/health")).send().await.is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_delivery_delivers_after_restart() {
    let (receiver, hook_base) = receiver().await;
    // The first request to /slow hangs while the server is killed.
    *receiver.slow.lock().unwrap() = Duration::from_secs(120);
    let path = std::env::temp_dir().join(format!("athlos_kill_{}.db", std::process::id()));
    let database = format!("sqlite://{}", path.display());
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let director = token("killer", "director");
    let post = |path: &str, body: Value| {
        client
            .post(format!("{base}{path}"))
            .bearer_auth(&director)
            .json(&body)
            .send()
    };

    let mut server = Child::start(&database, port);
    up(&client, &base).await;
    let created = post(
        "/v1/tournaments",
        json!({"id": "hooked", "name": "Hooked",
               "rules": {"options": {"format": "round_robin"}, "min_entries": 2, "seed": 1}}),
    )
    .await
    .unwrap();
    assert_eq!(created.status(), 201);
    let hook: Value = post(
        "/v1/tournaments/hooked/webhooks",
        json!({"url": format!("{hook_base}/slow")}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let secret = hook["secret"].as_str().unwrap().to_owned();
    assert_eq!(
        post("/v1/tournaments/hooked/publish", json!(null))
            .await
            .unwrap()
            .status(),
        200
    );
    for n in 1..=3 {
        let joined = client
            .post(format!("{base}/v1/tournaments/hooked/join"))
            .bearer_auth(token(&format!("p{n}"), "player"))
            .json(&json!({"name": format!("P{n}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(joined.status(), 200);
    }
    // The first delivery is in flight, hanging: kill -9.
    wait_for("the first attempt", || !hits(&receiver, "/slow").is_empty()).await;
    server.0.kill().unwrap(); // SIGKILL
    server.0.wait().unwrap();
    let in_flight = hits(&receiver, "/slow")[0].id.clone();
    *receiver.slow.lock().unwrap() = Duration::ZERO;

    server = Child::start(&database, port);
    up(&client, &base).await;
    let expected: Vec<String> = {
        // Everything the log holds for the tournament, from a stream replay.
        let mut response = client
            .get(format!("{base}/v1/tournaments/hooked/stream?after=0"))
            .header("accept", "application/x-ndjson")
            .send()
            .await
            .unwrap();
        let mut text = String::new();
        let mut ids = Vec::new();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(2) {
            match tokio::time::timeout(Duration::from_millis(500), response.chunk()).await {
                Ok(Ok(Some(chunk))) => text.push_str(std::str::from_utf8(&chunk).unwrap()),
                _ => break,
            }
        }
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: Value = serde_json::from_str(line).unwrap();
            ids.push(v["id"].as_str().unwrap().to_owned());
        }
        ids
    };
    assert!(!expected.is_empty());
    assert_eq!(expected[0], in_flight);
    wait_for("every delivery after the restart", || {
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for hit in hits(&receiver, "/slow") {
            *seen.entry(hit.id).or_default() += 1;
        }
        expected.iter().all(|id| seen.contains_key(id))
            && seen.get(&in_flight).is_some_and(|n| *n >= 2)
    })
    .await;
    let got = hits(&receiver, "/slow");
    // Nothing lost; the interrupted one came again with the same id; order kept.
    let mut firsts: Vec<String> = Vec::new();
    for hit in &got {
        verify(&secret, hit);
        if !firsts.contains(&hit.id) {
            firsts.push(hit.id.clone());
        }
    }
    assert_eq!(firsts, expected);
    assert!(got.iter().filter(|h| h.id == in_flight).count() >= 2);
    drop(server);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_all_brackets_with_a_webhook_shortcut() {
    let (receiver, base) = receiver().await;
    let server = Server::start_with("memory://", |c| c.webhooks.allow_private = true).await;
    let director = token("shortcut", "director");
    server
        .post(
            "/v1/events",
            &director,
            json!({"id": "open", "name": "Open"}),
            201,
        )
        .await;
    for division in ["u60", "u66"] {
        server
            .post(
                "/v1/events/open/divisions",
                &director,
                json!({"id": division, "name": division, "rules": {"format": "single_elimination"}}),
                201,
            )
            .await;
        let field: Vec<Value> = (1..=6)
            .map(|i| json!({"id": format!("{division}-{i}"), "name": format!("Judoka {i}")}))
            .collect();
        server
            .post(
                &format!("/v1/events/open/divisions/{division}/participants"),
                &director,
                json!(field),
                200,
            )
            .await;
    }
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let body = json!({"webhook": {"url": format!("{base}/generated"), "secret": secret}});
    let answer = server
        .post(
            "/v1/events/open/generate-all-brackets",
            &director,
            body.clone(),
            202,
        )
        .await;
    assert_eq!(answer["jobs"].as_array().unwrap().len(), 2);
    assert_eq!(answer["webhook"]["secret"], secret);
    assert_eq!(
        answer["webhook"]["scope"],
        json!({"type": "event", "id": "open"})
    );
    wait_for("both brackets announced", || {
        hits(&receiver, "/generated")
            .iter()
            .filter(|h| h.body.contains("\"type\":\"bracket.generated\""))
            .count()
            == 2
    })
    .await;
    for hit in hits(&receiver, "/generated") {
        verify(secret, &hit);
    }
    // The same receiver again: the subscription is reused, its secret not shown.
    let again = server
        .post(
            "/v1/events/open/generate-all-brackets",
            &director,
            body,
            202,
        )
        .await;
    assert_eq!(again["webhook"]["id"], answer["webhook"]["id"]);
    assert!(again["webhook"].get("secret").is_none());
    // Without a body it works as before.
    let (status, plain) = server
        .send(
            "POST",
            "/v1/events/open/generate-all-brackets",
            Some(&director),
            None,
        )
        .await;
    assert_eq!(status, 202);
    assert!(plain.get("webhook").is_none());
    server.stop().await;
}

/// The value of the metric line starting with `prefix` (name and labels).
fn metric(text: &str, prefix: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} in:\n{text}"))
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_jobs_webhooks_and_streams() {
    let (receiver, base) = receiver().await;
    let server = Server::start_with("sqlite::memory:", |c| c.webhooks.allow_private = true).await;
    let director = token("metrics", "director");
    server
        .post(
            "/v1/tournaments",
            &director,
            json!({"id": "hooked", "name": "Hooked",
                   "rules": {"options": {"format": "round_robin"}, "min_entries": 2, "seed": 1}}),
            201,
        )
        .await;
    subscribe(&server, &director, format!("{base}/flaky"), json!([])).await;
    server
        .post(
            "/v1/tournaments/hooked/publish",
            &director,
            json!(null),
            200,
        )
        .await;
    wait_for("a delivery after two failures", || {
        hits(&receiver, "/flaky").len() == 3
    })
    .await;
    let stream = server
        .client
        .get(server.url("/v1/tournaments/hooked/stream"))
        .send()
        .await
        .unwrap();
    let scrape = || async {
        let response = server
            .client
            .get(server.url("/metrics"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text"));
        response.text().await.unwrap()
    };
    let start = Instant::now();
    let mut text = scrape().await;
    while metric(
        &text,
        "athlos_jobs{kind=\"deliver_webhook\",state=\"succeeded\"}",
    ) < 1.0
    {
        assert!(start.elapsed() < Duration::from_secs(20), "{text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
        text = scrape().await;
    }
    assert_eq!(
        metric(
            &text,
            "athlos_http_requests_total{route=\"/v1/tournaments\",method=\"POST\",status=\"201\"}"
        ),
        1.0
    );
    assert_eq!(
        metric(
            &text,
            "athlos_http_request_duration_seconds_count{route=\"/v1/tournaments/{tournament_id}/publish\",method=\"POST\"}"
        ),
        1.0
    );
    assert_eq!(metric(&text, "athlos_webhook_attempts_total"), 3.0);
    assert_eq!(metric(&text, "athlos_webhook_failures_total"), 2.0);
    assert_eq!(metric(&text, "athlos_webhook_dead_letters_total"), 0.0);
    assert_eq!(metric(&text, "athlos_stream_subscribers"), 1.0);
    assert_eq!(metric(&text, "athlos_stream_dropped_total"), 0.0);
    assert!(text.contains("# TYPE athlos_deadline_lateness_seconds histogram"));
    assert!(text.contains("# TYPE athlos_queue_depth gauge"));
    assert!(
        !text.contains("director_record"),
        "director records are not jobs"
    );
    assert!(text.trim_end().ends_with("# EOF"));
    drop(stream);
    server.stop().await;
}

/// The ids a receiver got at `path`, each once, in the order they first came.
fn first_seen(receiver: &Receiver, path: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for hit in hits(receiver, path) {
        if !ids.contains(&hit.id) {
            ids.push(hit.id);
        }
    }
    ids
}

async fn webhook_view(server: &Server, director: &str, hook: u64) -> Value {
    let (status, view) = server
        .send("GET", &format!("/v1/webhooks/{hook}"), Some(director), None)
        .await;
    assert_eq!(status, 200, "{view}");
    view
}

async fn scrape(server: &Server) -> String {
    let response = server
        .client
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_opens_its_circuit_and_holds_up_no_other() {
    use athlos_core::store::Backoff;
    use athlos_http::server::webhooks::DeliveryPolicy;
    let (receiver, base) = receiver().await;
    for database in common::databases().await {
        receiver.hits.lock().unwrap().clear();
        *receiver.broken.lock().unwrap() = true;
        *receiver.gated.lock().unwrap() = true;
        let server = Server::start_with(&database.url, |c| {
            c.webhooks.allow_private = true;
            c.webhooks.timeout = Duration::from_secs(120);
            c.webhooks.policy = DeliveryPolicy {
                attempts: 4,
                failure_threshold: 3,
                retry: Backoff {
                    base: chrono::Duration::milliseconds(20),
                    max: chrono::Duration::milliseconds(20),
                },
                probe: Backoff {
                    base: chrono::Duration::milliseconds(100),
                    max: chrono::Duration::milliseconds(400),
                },
            };
        })
        .await;
        let director = token("breaker", "director");
        server
            .post(
                "/v1/tournaments",
                &director,
                json!({"id": "hooked", "name": "Hooked",
                       "rules": {"options": {"format": "round_robin"}, "min_entries": 4, "seed": 1}}),
                201,
            )
            .await;
        let (ok, _) = subscribe(&server, &director, format!("{base}/ok"), json!([])).await;
        let (broken, secret) =
            subscribe(&server, &director, format!("{base}/broken"), json!([])).await;
        let (gated, _) = subscribe(&server, &director, format!("{base}/gated"), json!([])).await;
        let view = webhook_view(&server, &director, broken).await;
        assert_eq!(
            view["circuit"],
            json!({"state": "closed", "consecutive_failures": 0, "next_probe_at": null})
        );
        publish_with_players(&server, &director, "b").await;
        server
            .post("/v1/tournaments/hooked/start", &director, json!(null), 200)
            .await;

        // The healthy receiver gets everything, in order, while the gated one hangs on its
        // first delivery and the broken one fails (the start's events are recorded together:
        // once one reached /ok, all are).
        wait_for("round 1 reaches /ok", || {
            hits(&receiver, "/ok")
                .iter()
                .any(|h| h.body.contains("\"type\":\"pairing.ready\""))
        })
        .await;
        let list = wait_deliveries(&server, &director, ok, "all delivered to /ok", |l| {
            l.len() > 2 && l.iter().all(|d| d["state"] == "succeeded")
        })
        .await;
        let expected: Vec<String> = list
            .iter()
            .map(|d| d["webhook_id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(first_seen(&receiver, "/ok"), expected, "in log order");
        assert_eq!(hits(&receiver, "/ok").len(), expected.len(), "once each");
        assert_eq!(
            hits(&receiver, "/gated").len(),
            1,
            "the gated receiver still holds the first"
        );

        // The broken one's circuit opens: its line waits, nothing dropped.
        let start = Instant::now();
        let view = loop {
            let view = webhook_view(&server, &director, broken).await;
            if view["circuit"]["state"] == "open" {
                break view;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "not opened: {view}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert!(view["circuit"]["consecutive_failures"].as_u64().unwrap() >= 3);
        assert!(view["circuit"]["next_probe_at"].is_string(), "{view}");
        let waiting = deliveries(&server, &director, broken).await;
        assert_eq!(waiting.len(), expected.len());
        assert_eq!(waiting[0]["state"], "sending");
        assert!(
            waiting[1..].iter().all(|d| d["state"] == "pending"),
            "the line waits: {waiting:?}"
        );
        assert_eq!(
            first_seen(&receiver, "/broken"),
            expected[..1].to_vec(),
            "only the first is tried"
        );
        let text = scrape(&server).await;
        assert_eq!(metric(&text, "athlos_webhook_open_circuits"), 1.0);
        assert!(metric(&text, "athlos_webhook_circuit_openings_total") >= 1.0);
        assert_eq!(metric(&text, "athlos_webhook_dead_letters_total"), 0.0);
        let (status, listed) = server
            .send(
                "GET",
                "/v1/tournaments/hooked/webhooks",
                Some(&director),
                None,
            )
            .await;
        assert_eq!(status, 200);
        let shown = listed["webhooks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["id"] == broken)
            .unwrap();
        assert_eq!(shown["circuit"]["state"], "open");

        // The receiver comes back: a probe succeeds, the circuit closes and the backlog
        // arrives in order, each delivery once after its failed attempts.
        *receiver.broken.lock().unwrap() = false;
        let list = wait_deliveries(&server, &director, broken, "the backlog", |l| {
            l.iter().all(|d| d["state"] == "succeeded")
        })
        .await;
        assert_eq!(list.len(), expected.len());
        assert_eq!(first_seen(&receiver, "/broken"), expected, "in log order");
        let got = hits(&receiver, "/broken");
        let first_tries = got.iter().filter(|h| h.id == expected[0]).count();
        assert!(
            first_tries >= 4,
            "failed attempts, then the probe: {first_tries}"
        );
        assert_eq!(list[0]["attempts"], first_tries);
        assert_eq!(
            got.len(),
            first_tries + expected.len() - 1,
            "the rest once each"
        );
        for hit in &got {
            verify(&secret, hit);
        }
        let view = webhook_view(&server, &director, broken).await;
        assert_eq!(
            view["circuit"],
            json!({"state": "closed", "consecutive_failures": 0, "next_probe_at": null})
        );
        let text = scrape(&server).await;
        assert_eq!(metric(&text, "athlos_webhook_open_circuits"), 0.0);

        // The gated receiver answers at last: its line goes on, in order.
        assert_eq!(
            deliveries(&server, &director, gated).await[1]["state"],
            "pending"
        );
        *receiver.gated.lock().unwrap() = false;
        wait_deliveries(&server, &director, gated, "the gated line", |l| {
            l.iter().all(|d| d["state"] == "succeeded")
        })
        .await;
        assert_eq!(first_seen(&receiver, "/gated"), expected);
        assert_eq!(hits(&receiver, "/gated").len(), expected.len());
        server.stop().await;
        database.drop_it().await;
    }
}

/// A benchmark's setting from the environment, or `default`.
fn bench_env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The benchmarks' event `b`: division `b-u60` with eight participants, and `hooks`
/// subscriptions of the event posting to `{base}/ok/{n}`.
async fn bench_event(server: &Server, director: &str, hooks: usize, base: &str) {
    server.event_with_division(director, "b", "b-u60").await;
    let field: Vec<Value> = (1..=8)
        .map(|i| json!({"id": format!("j{i}"), "name": format!("J {i}")}))
        .collect();
    server
        .post(
            "/v1/events/b/divisions/b-u60/participants",
            director,
            json!(field),
            200,
        )
        .await;
    for n in 0..hooks {
        server
            .post(
                "/v1/events/b/webhooks",
                director,
                json!({"url": format!("{base}/ok/{n}")}),
                201,
            )
            .await;
    }
}

/// Delivery figures for BENCHMARKS.md (release build): `BENCH_HOOKS` subscriptions (4) of an
/// event receive `BENCH_GENERATIONS` bracket generations (2 events each) on a receiver on
/// loopback; prints deliveries per second from the first commit to the last delivery, on
/// SQLite and (with `ATHLOS_TEST_DATABASE_URL`) PostgreSQL. `BENCH_WORKERS` (8) sets the
/// server's job slots, `BENCH_CONCURRENCY` (16) its webhook delivery jobs at once.
/// `cargo test --release -p athlos-http --test http_webhooks -- --ignored --nocapture benchmark`
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark: run by hand in release"]
async fn delivery_benchmark() {
    let hooks = bench_env("BENCH_HOOKS", 4);
    let generations = bench_env("BENCH_GENERATIONS", 500);
    let workers = bench_env("BENCH_WORKERS", 8);
    let concurrency = bench_env("BENCH_CONCURRENCY", 16);
    let (receiver, base) = receiver().await;
    for database in common::databases().await {
        if database.url.starts_with("memory") {
            continue;
        }
        receiver.hits.lock().unwrap().clear();
        let server = Server::start_with(&database.url, |c| {
            c.webhooks.allow_private = true;
            c.workers = workers;
            c.webhooks.concurrency = concurrency;
        })
        .await;
        let director = token("bench", "director");
        bench_event(&server, &director, hooks, &base).await;
        let start = Instant::now();
        for _ in 0..generations {
            server
                .post(
                    "/v1/events/b/divisions/b-u60/generate",
                    &director,
                    json!(null),
                    200,
                )
                .await;
        }
        let committed = start.elapsed();
        let total = hooks * generations * 2;
        let until = Instant::now();
        while receiver.hits.lock().unwrap().len() < total {
            assert!(
                until.elapsed() < Duration::from_secs(600),
                "deliveries stalled"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let elapsed = start.elapsed();
        println!(
            "webhooks on {}: {total} deliveries ({hooks} subscriptions x {} events) in {:.2} s \
             = {:.0} deliveries/s ({workers} worker slots, {concurrency} delivery jobs; the events \
             were committed in {:.2} s)",
            database.url.split(':').next().unwrap_or("?"),
            generations * 2,
            elapsed.as_secs_f64(),
            total as f64 / elapsed.as_secs_f64(),
            committed.as_secs_f64(),
        );
        server.stop().await;
        database.drop_it().await;
    }
}

/// What the backlog benchmark's receiver got: per path, the `webhook-id`s in arrival order.
#[derive(Default)]
struct Tally {
    ids: Mutex<BTreeMap<String, Vec<String>>>,
    count: std::sync::atomic::AtomicUsize,
}

/// A receiver that answers 204 at once and keeps only each request's path and id (the
/// general receiver looks every hit up among the earlier ones, which costs the benchmark's
/// CPU quadratically).
async fn tally_receiver() -> (Arc<Tally>, String) {
    async fn tally(State(tally): State<Arc<Tally>>, uri: Uri, headers: HeaderMap) -> StatusCode {
        let id = headers
            .get("webhook-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        tally
            .ids
            .lock()
            .unwrap()
            .entry(uri.path().to_owned())
            .or_default()
            .push(id);
        tally
            .count
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        StatusCode::NO_CONTENT
    }
    let state = Arc::new(Tally::default());
    let app = axum::Router::new()
        .fallback(tally)
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (state, format!("http://{address}"))
}

/// CPU seconds (user + system) a process has used so far, from `/proc/<pid>/stat`.
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which is in parentheses): state is the 3rd field,
    // utime and stime the 14th and 15th, in clock ticks (USER_HZ, 100 on Linux).
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    ticks as f64 / 100.0
}

/// The machine's busy and total CPU time so far (jiffies), from `/proc/stat`.
fn machine_cpu() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap();
    let line = stat.lines().next().unwrap();
    let values: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|v| v.parse().unwrap())
        .collect();
    let total: u64 = values.iter().sum();
    // idle and iowait
    let idle = values[3] + values.get(4).copied().unwrap_or(0);
    (total - idle, total)
}

/// Backlog delivery figures for BENCHMARKS.md (release build): `BENCH_HOOKS` subscriptions
/// (16) of an event, `BENCH_GENERATIONS` bracket generations (500, 2 events each) committed
/// first by a server with no workers (nothing dispatched or delivered); then an `athlos
/// serve` process on the same database (`BENCH_CONCURRENCY` delivery jobs, 16) turns the log
/// into deliveries and sends them to a receiver on loopback. Time runs from its start to
/// the last delivery; it checks that every subscription got every event once, in log order,
/// and prints deliveries/s and the CPU the server, this process (the receiver) and the
/// machine used meanwhile, on SQLite and (with `ATHLOS_TEST_DATABASE_URL`) PostgreSQL.
/// `ATHLOS_BENCH_PAUSE=1` waits for Enter before the server starts (to attach a profiler).
/// `cargo test --release -p athlos-http --test http_webhooks -- --ignored --nocapture backlog`
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark: run by hand in release"]
async fn backlog_benchmark() {
    use athlos_core::store::EventLog;
    let hooks = bench_env("BENCH_HOOKS", 16);
    let generations = bench_env("BENCH_GENERATIONS", 500);
    let concurrency = bench_env("BENCH_CONCURRENCY", 16);
    let window = bench_env("BENCH_WINDOW", athlos_core::store::DELIVERY_WINDOW);
    let (tally, base) = tally_receiver().await;
    for database in common::databases().await {
        if database.url.starts_with("memory") {
            continue;
        }
        tally.ids.lock().unwrap().clear();
        tally.count.store(0, std::sync::atomic::Ordering::SeqCst);
        // No workers: no dispatcher, no delivery; the backlog builds up in the log.
        let server = Server::start_with(&database.url, |c| {
            c.workers = 0;
            c.webhooks.allow_private = true;
        })
        .await;
        let director = token("bench", "director");
        bench_event(&server, &director, hooks, &base).await;
        let log = athlos_http::server::open_store(&database.url)
            .await
            .unwrap()
            .store;
        let mut before = 0;
        while let Some(last) = log.events_after(before, 1000).await.unwrap().last() {
            before = last.sequence;
        }
        for _ in 0..generations {
            server
                .post(
                    "/v1/events/b/divisions/b-u60/generate",
                    &director,
                    json!(null),
                    200,
                )
                .await;
        }
        server.stop().await;
        // Every subscription is owed every event after `before`, in log order.
        let mut expected = Vec::new();
        let mut after = before;
        loop {
            let page = log.events_after(after, 1000).await.unwrap();
            let Some(last) = page.last() else { break };
            after = last.sequence;
            expected.extend(page.iter().map(|e| e.event.id.to_string()));
        }
        drop(log);
        assert_eq!(expected.len(), generations * 2);
        let total = hooks * expected.len();

        if std::env::var("ATHLOS_BENCH_PAUSE").is_ok_and(|v| v == "1") {
            eprintln!("backlog committed; press Enter to start the server");
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).unwrap();
        }
        let concurrency_arg = concurrency.to_string();
        let window_arg = window.to_string();
        let load_before = std::fs::read_to_string("/proc/loadavg").unwrap();
        let own = std::process::id().to_string();
        let (machine_before, own_before) = (machine_cpu(), cpu_seconds(&own));
        let start = Instant::now();
        let (child, _) = common::serve_process(
            &database.url,
            &[
                "--webhook-concurrency",
                &concurrency_arg,
                "--webhook-window",
                &window_arg,
            ],
            &[
                ("ATHLOS_WEBHOOK_ALLOW_PRIVATE", "true"),
                ("ATHLOS_WEBHOOK_TIMEOUT", "60"),
                ("RUST_LOG", "warn"),
            ],
        );
        let child = Child(child);
        let pid = child.0.id().to_string();
        eprintln!("server pid {pid}");
        while tally.count.load(std::sync::atomic::Ordering::SeqCst) < total {
            assert!(
                start.elapsed() < Duration::from_secs(600),
                "deliveries stalled"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let elapsed = start.elapsed();
        let server_cpu = cpu_seconds(&pid);
        let own_cpu = cpu_seconds(&own) - own_before;
        let machine_after = machine_cpu();
        let load_after = std::fs::read_to_string("/proc/loadavg").unwrap();
        // Nothing more comes (no duplicate after the count was reached).
        tokio::time::sleep(Duration::from_millis(500)).await;
        drop(child);
        let got = tally.ids.lock().unwrap().clone();
        assert_eq!(got.len(), hooks, "subscriptions that got deliveries");
        for (path, ids) in &got {
            assert_eq!(ids, &expected, "{path}: every event once, in log order");
        }
        let busy = (machine_after.0 - machine_before.0) as f64
            / (machine_after.1 - machine_before.1).max(1) as f64;
        let seconds = elapsed.as_secs_f64();
        println!(
            "backlog webhooks on {}: {total} deliveries ({hooks} subscriptions x {} events) in \
             {seconds:.2} s = {:.0} deliveries/s ({concurrency} delivery jobs, windows of \
             {window}); server CPU \
             {server_cpu:.2} s ({:.0} % of one core), receiver process {own_cpu:.2} s, machine \
             busy {:.0} %; load average before {}, after {}",
            database.url.split(':').next().unwrap_or("?"),
            expected.len(),
            total as f64 / seconds,
            100.0 * server_cpu / seconds,
            100.0 * busy,
            load_before
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" "),
            load_after
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" "),
        );
        database.drop_it().await;
    }
}

#[tokio::test]
async fn a_delivery_whose_job_died_unrecorded_becomes_a_dead_letter_and_the_line_moves_on() {
    use athlos_core::event::{Event, EventData};
    use athlos_core::id::{EventId, TournamentId};
    use athlos_core::lifecycle::TournamentState;
    use athlos_core::store::{
        AggregateRef, Commit, DeliveryState, JobState, JobStore, NewWebhook, Store, WebhookStore,
    };
    use athlos_http::server::webhooks::{dispatch_once, sweep_stranded};

    for database in common::databases().await {
        let config = athlos_http::server::Config::default();
        let state = athlos_http::server::open_store(&database.url)
            .await
            .unwrap()
            .into_state(config, Arc::new(athlos_core::clock::SystemClock));
        let store = &state.store;
        let id = TournamentId::new("stranded").unwrap();
        let scope = AggregateRef::Tournament(id.clone());
        let now = chrono::Utc::now();
        let hook = store
            .create_webhook(NewWebhook {
                scope: scope.clone(),
                url: "http://127.0.0.1:9/hook".to_owned(),
                secret: "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=".to_owned(),
                event_types: Vec::new(),
                enabled: true,
                created_at: now,
            })
            .await
            .unwrap();
        let event = |version: u64| Event {
            id: EventId::new(format!("tournament:stranded:{version}:0")).unwrap(),
            timestamp: now,
            version,
            data: EventData::TournamentStateChanged {
                tournament: id.clone(),
                from: TournamentState::Draft,
                to: TournamentState::Registration,
            },
        };
        let commit = Commit {
            events: vec![(scope.clone(), event(2)), (scope.clone(), event(3))],
            ..Commit::default()
        };
        store.commit(commit).await.unwrap();
        dispatch_once(&state).await.unwrap();
        let line = store.deliveries(hook.id, None, 0, 10).await.unwrap();
        assert_eq!(line.len(), 2);
        assert_eq!(line[0].state, DeliveryState::Sending);
        let job = line[0].job.unwrap();

        // Nothing is stranded while the job lives.
        assert_eq!(sweep_stranded(&state, now).await.unwrap(), 0);

        // A worker runs every attempt but never records the delivery's outcome (the store
        // failed when it tried): the job dies, the delivery stays `sending`.
        loop {
            let claimed = store
                .claim("ghost", chrono::Utc::now(), chrono::Utc::now(), 10)
                .await
                .unwrap();
            let Some(found) = claimed.iter().find(|j| j.id == job) else {
                panic!("the delivery job was not claimable: {claimed:?}");
            };
            let failed = store
                .fail(
                    found.id,
                    "ghost",
                    "connection reset".to_owned(),
                    chrono::Utc::now(),
                    chrono::Utc::now(),
                )
                .await
                .unwrap();
            if failed.state == JobState::Dead {
                break;
            }
        }
        assert_eq!(
            store.delivery(line[0].id).await.unwrap().unwrap().state,
            DeliveryState::Sending
        );

        assert_eq!(sweep_stranded(&state, chrono::Utc::now()).await.unwrap(), 1);
        let line = store.deliveries(hook.id, None, 0, 10).await.unwrap();
        assert_eq!(line[0].state, DeliveryState::Dead);
        let error = line[0].last_error.clone().unwrap_or_default();
        assert!(
            error.contains("ended without recording its last attempt: connection reset"),
            "{error}"
        );
        assert_eq!(line[1].state, DeliveryState::Sending, "{line:?}");
        assert_ne!(line[1].job, Some(job));
        // A second sweep finds nothing more.
        assert_eq!(sweep_stranded(&state, chrono::Utc::now()).await.unwrap(), 0);
        drop(state);
        database.drop_it().await;
    }
}
