//! The whole server on a manual clock, on memory, SQLite and PostgreSQL: a pick clock runs
//! out, and a failing webhook is retried, when the server's clock is moved past their due
//! times, never because real time passed; the instants the server records are the clock's.
//! No test here sleeps for time to pass: the clock is moved instead, and the short real-time
//! waits only let the background tasks catch up (or show that they do nothing).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration as Real, Instant};

use athlos_core::clock::{Clock, ManualClock};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Duration, TimeZone, Utc};
use common::Server;
use serde_json::{json, Value};

/// Where the manual clocks start: years away from the real time.
fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2031, 5, 1, 12, 0, 0).unwrap()
}

/// A server over `database` on a manual clock standing at [`start`], sending webhooks to
/// loopback receivers.
async fn on_clock(database: &str) -> (Server, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(start()));
    let server = Server::start_on_clock_with(database, clock.clone(), |config| {
        config.webhooks.allow_private = true;
    })
    .await;
    (server, clock)
}

/// A token for `sub` with `role`, issued at [`start`] on the server's clock, valid for a
/// month of it.
fn token(sub: &str, role: &str) -> String {
    let issued = u64::try_from(start().timestamp()).unwrap();
    common::token_from(sub, role, issued, 30 * 24 * 3600)
}

/// An instant the API answered.
fn instant(value: &Value) -> DateTime<Utc> {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not an instant: {value}"));
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// Real time long enough for every background task to have acted on what is due, when
/// nothing should be.
async fn quiet(duration: Real) {
    tokio::time::sleep(duration).await;
}

/// Calls `check` every 20 ms until it answers `Ok`, for 20 s of real time at most (an
/// `Err` says what it saw, for the timeout's message); answers what `Ok` carries.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let started = Instant::now();
    loop {
        match check().await {
            Ok(done) => return done,
            Err(seen) => assert!(
                started.elapsed() < Real::from_secs(20),
                "timed out: {what}: {seen}"
            ),
        }
        tokio::time::sleep(Real::from_millis(20)).await;
    }
}

/// GETs `path` until `done` holds of the body, and answers it.
async fn poll_until(
    server: &Server,
    path: &str,
    token: &str,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let done = &done;
    eventually(what, || async move {
        let (status, body) = server.send("GET", path, Some(token), None).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        if done(&body) {
            Ok(body)
        } else {
            Err(body.to_string())
        }
    })
    .await
}

/// Two teams, two rounds, one position, a 1 s pick clock; nobody picks, so the clock
/// decides every pick: the best-ranked player left.
fn league(id: &str) -> Value {
    let pool: Vec<Value> = (1..=6)
        .map(|n| json!({"id": format!("f{n}"), "position": "FW", "rank": n}))
        .collect();
    json!({
        "id": id,
        "teams": 2,
        "rounds": 2,
        "order": "snake",
        "seconds_per_pick": 1,
        "roster": [{"position": "FW", "starters": 1}],
        "pool": pool,
        "managers": [null, null],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pick_clock_runs_out_when_the_server_clock_passes_it() {
    for database in common::databases().await {
        let (server, clock) = on_clock(&database.url).await;
        let comm = token("comm", "director");
        let base = "/v1/drafts/clocked";
        server
            .post("/v1/drafts", &comm, league("clocked"), 201)
            .await;
        let started = server
            .post(&format!("{base}/start"), &comm, Value::Null, 200)
            .await;
        let first_due = start() + Duration::seconds(1);
        assert_eq!(instant(&started["next_deadline"]), first_due);

        // Real time runs past the 1 s pick clock: the server's clock stands still, so
        // nothing is picked.
        quiet(Real::from_millis(1500)).await;
        let live = server.get(&format!("{base}/state")).await;
        assert_eq!(instant(&live["server_time"]), start());
        assert_eq!(live["picks_made"], 0, "{live}");
        assert_eq!(live["time_left_ms"], 1000);
        // A millisecond short of the deadline: still nothing.
        clock.advance(Duration::milliseconds(999));
        quiet(Real::from_millis(300)).await;
        let live = server.get(&format!("{base}/state")).await;
        assert_eq!(
            (&live["picks_made"], &live["time_left_ms"]),
            (&json!(0), &json!(1)),
            "{live}"
        );

        // The clock reaches the deadline: the scheduler auto-picks, at the clock's time.
        clock.advance(Duration::milliseconds(1));
        let view = poll_until(&server, base, &comm, "the first auto-pick", |v| {
            v["picks_made"] == 1
        })
        .await;
        let pick = &view["picks"][0];
        assert_eq!(
            (
                &pick["number"],
                &pick["team"],
                &pick["player"],
                &pick["auto"]
            ),
            (&json!(1), &json!(0), &json!("f1"), &json!(true)),
            "{view}"
        );
        assert_eq!(instant(&pick["at"]), first_due);
        let second_due = first_due + Duration::seconds(1);
        assert_eq!(instant(&view["next_deadline"]), second_due);

        // An hour's jump: the next clock ran out, and the pick after it gets a full second
        // from the moment of the auto-pick, so exactly one more pick is made.
        clock.advance(Duration::hours(1));
        let jumped = clock.now();
        let view = poll_until(&server, base, &comm, "the second auto-pick", |v| {
            v["picks_made"] == 2
        })
        .await;
        assert_eq!(instant(&view["picks"][1]["at"]), jumped);
        assert_eq!(view["picks"][1]["player"], "f2");
        assert_eq!(
            instant(&view["next_deadline"]),
            jumped + Duration::seconds(1)
        );
        quiet(Real::from_millis(300)).await;
        assert_eq!(server.get(base).await["picks_made"], 2);

        // Two more seconds, one at a time: the draft completes, every pick by the clock.
        for picks in [3, 4] {
            clock.advance(Duration::seconds(1));
            poll_until(&server, base, &comm, "the next auto-pick", |v| {
                v["picks_made"] == picks
            })
            .await;
        }
        let done = server.get(base).await;
        assert_eq!(done["state"], "completed", "{done}");
        let picks = done["picks"].as_array().unwrap();
        let at: Vec<DateTime<Utc>> = picks.iter().map(|p| instant(&p["at"])).collect();
        assert_eq!(
            at,
            [
                first_due,
                jumped,
                jumped + Duration::seconds(1),
                jumped + Duration::seconds(2)
            ]
        );
        assert!(picks.iter().all(|p| p["auto"] == true), "{done}");
        let players: Vec<&str> = picks
            .iter()
            .map(|p| p["player"].as_str().unwrap())
            .collect();
        assert_eq!(players, ["f1", "f2", "f3", "f4"]);
        server.stop().await;
        database.drop_it().await;
    }
}

/// A webhook receiver that answers every request 500, recording its `webhook-timestamp`.
#[derive(Default)]
struct Failing {
    stamps: Mutex<Vec<i64>>,
}

async fn fail(State(receiver): State<Arc<Failing>>, headers: HeaderMap) -> StatusCode {
    let stamp = headers
        .get("webhook-timestamp")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(i64::MIN);
    receiver.stamps.lock().unwrap().push(stamp);
    StatusCode::INTERNAL_SERVER_ERROR
}

/// A failing receiver on 127.0.0.1 and its URL.
async fn failing_receiver() -> (Arc<Failing>, String) {
    let state = Arc::new(Failing::default());
    let app = axum::Router::new().fallback(fail).with_state(state.clone());
    let address = common::serve_on_loopback(app).await;
    (state, format!("http://{address}/hook"))
}

/// The instants (whole seconds) the receiver's requests were sent at.
fn stamps(receiver: &Failing) -> Vec<i64> {
    receiver.stamps.lock().unwrap().clone()
}

/// The value of the metric `series` (0 when absent).
async fn metric(server: &Server, series: &str) -> f64 {
    let response = server.client.get(server.url("/metrics")).send().await;
    let text = response.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |value| value.trim().parse().unwrap())
}

/// The delivery jobs waiting: after a failed attempt, the job of its retry (a new one, due at
/// the retry time on the clock).
const RETRYING: &str = "athlos_jobs{kind=\"deliver_webhook\",state=\"queued\"}";
/// The delivery jobs due on the server's clock.
const DUE: &str = "athlos_queue_depth{kind=\"deliver_webhook\"}";

/// Waits until the worker has recorded a failed attempt: the job of the delivery's retry
/// waits.
async fn wait_retrying(server: &Server) {
    eventually("the failure recorded", || async move {
        match metric(server, RETRYING).await {
            retrying if retrying >= 1.0 => Ok(()),
            retrying => Err(format!("{RETRYING} {retrying}")),
        }
    })
    .await;
}

/// Waits until the receiver got `count` requests.
async fn wait_attempts(receiver: &Failing, count: usize) {
    eventually(&format!("attempt {count}"), || async move {
        let stamps = stamps(receiver);
        if stamps.len() >= count {
            Ok(())
        } else {
            Err(format!("{stamps:?}"))
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_webhook_is_retried_on_the_server_clock() {
    let (receiver, url) = failing_receiver().await;
    for database in common::databases().await {
        receiver.stamps.lock().unwrap().clear();
        let (server, clock) = on_clock(&database.url).await;
        let director = token("hooks", "director");
        let tournament = json!({"id": "hooked", "name": "Hooked",
            "rules": {"options": {"format": "round_robin"}, "min_entries": 4, "seed": 1}});
        server
            .post("/v1/tournaments", &director, tournament, 201)
            .await;
        let subscription = json!({"url": url, "event_types": ["tournament.state_changed"]});
        let created = server
            .post(
                "/v1/tournaments/hooked/webhooks",
                &director,
                subscription,
                201,
            )
            .await;
        let deliveries = format!("/v1/webhooks/{}/deliveries", created["id"]);
        // One event to deliver: the tournament is published.
        server
            .post(
                "/v1/tournaments/hooked/publish",
                &director,
                Value::Null,
                200,
            )
            .await;

        // The first attempt goes out at once, stamped with the server's clock, and fails.
        wait_attempts(&receiver, 1).await;
        let list = poll_until(&server, &deliveries, &director, "the first failure", |l| {
            l["deliveries"][0]["last_status"] == 500
        })
        .await;
        let delivery = &list["deliveries"][0];
        assert_eq!(delivery["attempts"], 1, "{list}");
        assert_eq!(instant(&delivery["created_at"]), start());
        assert_eq!(instant(&delivery["updated_at"]), start());

        // Attempt `n` failed at `last`: the next waits `full / 2 ..< full` on the clock
        // (1 s doubling, with jitter). Real time longer than any of those passes first,
        // then the clock stops just short of the earliest retry, and nothing is sent; at
        // `last + full` the retry goes out, stamped with the clock's time.
        let mut last = start();
        let mut expected = vec![start().timestamp()];
        for attempt in 1..=3 {
            // The worker recorded the failure, with the retry time on the clock.
            wait_retrying(&server).await;
            let full = Duration::seconds(1 << (attempt - 1));
            if attempt == 1 {
                quiet(Real::from_millis(1500)).await;
            }
            clock.set(last + full / 2 - Duration::milliseconds(1));
            quiet(Real::from_millis(300)).await;
            assert_eq!(
                stamps(&receiver),
                expected,
                "retried before the clock said so"
            );
            assert_eq!(metric(&server, DUE).await, 0.0, "not due on the clock yet");
            last += full;
            clock.set(last);
            wait_attempts(&receiver, attempt + 1).await;
            expected.push(last.timestamp());
            assert_eq!(stamps(&receiver), expected);
        }

        // The fourth attempt was the last: a dead letter, recorded at the clock's time.
        let list = poll_until(&server, &deliveries, &director, "the dead letter", |l| {
            l["deliveries"][0]["state"] == "dead"
        })
        .await;
        let delivery = &list["deliveries"][0];
        assert_eq!(
            (&delivery["attempts"], &delivery["last_status"]),
            (&json!(4), &json!(500)),
            "{list}"
        );
        assert_eq!(
            instant(&delivery["updated_at"]),
            start() + Duration::seconds(7)
        );
        assert_eq!(
            expected,
            [0, 1, 3, 7].map(|s| (start() + Duration::seconds(s)).timestamp())
        );
        // Nothing more is sent, however far the clock moves.
        clock.advance(Duration::days(1));
        quiet(Real::from_millis(300)).await;
        assert_eq!(stamps(&receiver).len(), 4);
        server.stop().await;
        database.drop_it().await;
    }
}
