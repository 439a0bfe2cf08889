//! Exactly-once job effects across `kill -9`: `athlos serve` (the real binary, a child
//! process) is killed with SIGKILL at a random moment after `generate-all-brackets` answers
//! 202, restarted on the same database with a short job lease, and left to finish every job;
//! then every division holds exactly one generated version, the log exactly one
//! `bracket.generated` per division, and every job has succeeded. On SQLite and PostgreSQL.
//! Every other kill falls before the 202 instead, while the jobs are being enqueued; the
//! client then retries with the same idempotency key.
//!
//! `ATHLOS_FAULT_ITERATIONS` sets the kills per backend (3 by default), `ATHLOS_FAULT_SEED`
//! the seed of the random delays (printed, so a failing run can be replayed).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use athlos_core::event::EventData;
use athlos_core::id::DivisionId;
use athlos_core::store::{AggregateStore, EventLog, JobId, JobState, JobStore};
use common::{token, SECRET};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use serde_json::{json, Value};

/// Divisions per event and judoka per division, as in the report that found the bug.
const DIVISIONS: usize = 40;
const JUDOKA: usize = 64;
/// The longest delay before a kill at first, milliseconds (see [`Delays`]).
const FIRST_MAX_DELAY_MS: u64 = 100;

/// `athlos serve` on a free port; killed with SIGKILL when dropped.
struct Serve {
    child: Child,
    base: String,
}

impl Serve {
    fn start(database: &str) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_athlos"))
            .args(["serve", "--address", "127.0.0.1:0"])
            .args(["--job-lease", "1", "--workers", "4"])
            .env("ATHLOS_DATABASE_URL", database)
            .env("ATHLOS_JWT_SECRET", SECRET)
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let base = line
            .trim()
            .strip_prefix("athlos listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_owned();
        Serve { child, base }
    }

    /// SIGKILL, and wait for the process to be gone.
    fn kill_9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the kills of one backend saw.
#[derive(Debug, Default)]
struct Figures {
    kills: usize,
    divisions: usize,
    /// Divisions whose count of generated versions (or `bracket.generated` events) is not 1.
    duplicates: usize,
    /// Jobs already succeeded when the process was killed.
    done_before_kill: usize,
    /// Jobs leased to the killed process and not completed: they ran again after the restart.
    in_flight_at_kill: usize,
    /// Jobs not yet claimed when the process was killed.
    queued_at_kill: usize,
    /// Jobs not yet enqueued when the process was killed (a kill before the 202).
    not_enqueued_at_kill: usize,
    /// Kills that fell while at least one job was in flight.
    kills_mid_run: usize,
    /// Kills that fell before the client had its 202.
    kills_before_answer: usize,
    /// Jobs that ran more than once (their first run was killed).
    jobs_run_again: usize,
}

async fn call(
    client: &reqwest::Client,
    method: &str,
    url: String,
    body: Option<Value>,
) -> (u16, Value) {
    let director = token("fault", "director");
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = client.request(method, url).bearer_auth(director);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Creates event `event` with its divisions and fields through `server`.
async fn build_event(client: &reqwest::Client, server: &Serve, event: &str) {
    let base = &server.base;
    let (status, body) = call(
        client,
        "POST",
        format!("{base}/v1/events"),
        Some(json!({"id": event, "name": event})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    for d in 0..DIVISIONS {
        let id = format!("{event}-d{d:02}");
        let (status, body) = call(
            client,
            "POST",
            format!("{base}/v1/events/{event}/divisions"),
            Some(json!({"id": id, "name": format!("Division {d}"),
                        "rules": {"format": "single_elimination"}, "seed": d})),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        let field: Vec<Value> = (1..=JUDOKA)
            .map(|i| json!({"id": format!("{id}-{i}"), "name": format!("Judoka {i}"), "seed": i}))
            .collect();
        let (status, body) = call(
            client,
            "POST",
            format!("{base}/v1/events/{event}/divisions/{id}/participants"),
            Some(json!(field)),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
}

/// Posts generate-all for `event` with an idempotency key (a client that retries sends the
/// same one); the status and body, or `None` when the connection failed.
async fn generate_all(client: &reqwest::Client, base: &str, event: &str) -> Option<(u16, Value)> {
    let response = client
        .post(format!("{base}/v1/events/{event}/generate-all-brackets"))
        .bearer_auth(token("fault", "director"))
        .header("idempotency-key", format!("fault-{event}"))
        .send()
        .await
        .ok()?;
    let status = response.status().as_u16();
    let text = response.text().await.ok()?;
    Some((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// The jobs of a generate-all answer: id and division.
fn jobs_of(answer: &Value) -> Vec<(JobId, DivisionId)> {
    answer["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            let id = JobId(j["id"].as_u64().unwrap());
            let division = DivisionId::new(j["payload"]["division"].as_str().unwrap()).unwrap();
            (id, division)
        })
        .collect()
}

/// A random delay up to `max`, milliseconds; `max` then follows the machine's speed: shorter
/// after a kill that found every job done, longer after one that found none started.
struct Delays {
    max: u64,
}

impl Delays {
    fn next(&self, rng: &mut rand_chacha::ChaCha8Rng) -> u64 {
        rng.next_u64() % (self.max + 1)
    }

    fn learn(&mut self, done: usize, started: usize, all: usize) {
        if done == all {
            self.max = (self.max * 2 / 3).max(5);
        } else if started == 0 {
            self.max = (self.max * 3 / 2).min(5_000);
        }
    }
}

/// Kills a server `iterations` times during generate-all on `database`, restarting it each
/// time, and checks every division of every event. Even kills fall a random delay after the
/// 202; odd ones a random delay after the request is sent, so that some fall before the
/// answer, while the jobs are being enqueued (the client then retries with the same
/// idempotency key, as a client that saw no answer does).
async fn fault_loop(database: &str, iterations: usize, seed: u64) -> Figures {
    let label = if database.starts_with("sqlite") {
        "sqlite"
    } else {
        "postgres"
    };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let client = reqwest::Client::new();
    let mut figures = Figures::default();
    let mut after_answer = Delays {
        max: FIRST_MAX_DELAY_MS,
    };
    let mut after_request = Delays {
        max: FIRST_MAX_DELAY_MS,
    };
    let mut server = Serve::start(database);
    // The test's own view of the database, for what the API does not show (the event log,
    // job states at the moment of the kill).
    let store = athlos_store::connect(database).await.unwrap();
    for iteration in 0..iterations {
        let event = format!("k{iteration}");
        build_event(&client, &server, &event).await;
        let from = store.last_sequence().await.unwrap();
        let before_answer = iteration % 2 == 1;
        let (delay, first) = if before_answer {
            let delay = after_request.next(&mut rng);
            let request = tokio::spawn({
                let client = client.clone();
                let base = server.base.clone();
                let event = event.clone();
                async move { generate_all(&client, &base, &event).await }
            });
            tokio::time::sleep(Duration::from_millis(delay)).await;
            server.kill_9();
            (delay, request.await.unwrap())
        } else {
            let answer = generate_all(&client, &server.base, &event).await;
            let delay = after_answer.next(&mut rng);
            tokio::time::sleep(Duration::from_millis(delay)).await;
            server.kill_9();
            (delay, answer)
        };
        figures.kills += 1;
        let answered = matches!(first, Some((202, _)));
        if before_answer && !answered {
            figures.kills_before_answer += 1;
        }
        if !before_answer {
            let (status, body) = first.clone().unwrap();
            assert_eq!(status, 202, "{body}");
        }

        // What the kill left: the generate jobs of this event by state.
        let mut enqueued = Vec::new();
        let mut after = None;
        loop {
            let page = store.jobs(None, after, 500).await.unwrap();
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            enqueued.extend(
                page.into_iter()
                    .filter(|j| j.payload["event"].as_str() == Some(event.as_str())),
            );
        }
        let (mut done, mut running, mut waiting) = (0, 0, 0);
        for job in &enqueued {
            match job.state {
                JobState::Succeeded => done += 1,
                JobState::Running => running += 1,
                _ => waiting += 1,
            }
        }
        figures.done_before_kill += done;
        figures.in_flight_at_kill += running;
        figures.queued_at_kill += waiting;
        figures.not_enqueued_at_kill += DIVISIONS - enqueued.len();
        if running > 0 {
            figures.kills_mid_run += 1;
        }
        let delays = if before_answer {
            &mut after_request
        } else {
            &mut after_answer
        };
        delays.learn(done, done + running, DIVISIONS);

        // Restart on the same database (the dead process's leases run out after a second)
        // and send generate-all again with the same key: the jobs already enqueued come back,
        // the missing ones are enqueued, nothing runs twice.
        server = Serve::start(database);
        let (status, answer) = generate_all(&client, &server.base, &event).await.unwrap();
        assert_eq!(status, 202, "{answer}");
        let jobs = jobs_of(&answer);
        assert_eq!(jobs.len(), DIVISIONS);
        if let Some((202, body)) = &first {
            assert_eq!(
                jobs_of(body),
                jobs,
                "{label}: the retry enqueued other jobs"
            );
        }
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let mut finished = 0;
            for (id, _) in &jobs {
                let job = store.job(*id).await.unwrap().unwrap();
                if matches!(job.state, JobState::Succeeded | JobState::Dead) {
                    finished += 1;
                }
            }
            if finished == jobs.len() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{label}: jobs of {event} did not finish ({finished} of {})",
                jobs.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        // Every job succeeded, and left exactly one effect.
        let mut generated: BTreeMap<DivisionId, usize> = BTreeMap::new();
        let mut after = from;
        loop {
            let page = store.events_after(after, 1000).await.unwrap();
            let Some(last) = page.last() else { break };
            after = last.sequence;
            for logged in &page {
                if let EventData::BracketGenerated { division, .. } = &logged.event.data {
                    *generated.entry(division.clone()).or_default() += 1;
                }
            }
        }
        for (id, division) in &jobs {
            let job = store.job(*id).await.unwrap().unwrap();
            assert_eq!(job.state, JobState::Succeeded, "{label}: {job:?}");
            if job.attempts > 1 {
                figures.jobs_run_again += 1;
            }
            let stored = store.division(division).await.unwrap().unwrap();
            let versions = stored.value.history.versions().len();
            let events = generated.get(division).copied().unwrap_or(0);
            let (status, listed) = call(
                &client,
                "GET",
                format!(
                    "{}/v1/events/{event}/divisions/{division}/versions",
                    server.base
                ),
                None,
            )
            .await;
            assert_eq!(status, 200, "{listed}");
            let listed = listed["versions"].as_array().map_or(0, Vec::len);
            figures.divisions += 1;
            if versions != 1 || events != 1 || listed != 1 {
                figures.duplicates += 1;
                eprintln!(
                    "{label}: kill {iteration} ({delay} ms): division {division} has {versions} versions, \
                     {events} bracket.generated events, {listed} versions listed (job {job:?})"
                );
            }
        }
        let when = if before_answer {
            if answered {
                "after the request (answered)"
            } else {
                "after the request (no answer)"
            }
        } else {
            "after the 202"
        };
        eprintln!(
            "{label}: kill {iteration} at {delay} ms {when}: {done} jobs done, {running} in flight, \
             {waiting} queued, {} not enqueued; after the restart all {} succeeded",
            DIVISIONS - enqueued.len(),
            jobs.len()
        );
    }
    server.kill_9();
    store.close().await;
    figures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_generate_all_generates_every_bracket_exactly_once() {
    let iterations = std::env::var("ATHLOS_FAULT_ITERATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3);
    let seed = std::env::var("ATHLOS_FAULT_SEED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs()
        });
    eprintln!("fault loop: {iterations} kills per backend, ATHLOS_FAULT_SEED={seed}");
    let mut failures = Vec::new();
    for database in common::databases().await {
        // An in-memory store does not outlive its process: nothing to restart on.
        if database.url.starts_with("memory") {
            database.drop_it().await;
            continue;
        }
        let figures = fault_loop(&database.url, iterations, seed).await;
        let label = database
            .url
            .split(':')
            .next()
            .unwrap_or_default()
            .to_owned();
        eprintln!("fault loop {label}: {figures:?}");
        if figures.duplicates != 0 {
            failures.push(format!("{label}: {figures:?}"));
        }
        assert_eq!(figures.divisions, iterations * DIVISIONS);
        database.drop_it().await;
    }
    assert!(failures.is_empty(), "effects applied twice: {failures:?}");
}
