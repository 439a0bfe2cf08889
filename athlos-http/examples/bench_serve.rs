//! Load fixtures into a running `athlos serve` and time `generate-all-brackets`.
//!
//! Creates an event of `--divisions` divisions of `--entries` judoka each (repechage brackets,
//! clubs and nations to separate, ratings to seed by), and a started 64-entry knockout with
//! its first round decided; then queues every division's bracket with
//! `POST /v1/events/{id}/generate-all-brackets` and polls the jobs until the last one has
//! succeeded. Prints one JSON line with the time, and the two read URLs the load generator
//! hits (a division's bracket and the tournament's standings).
//!
//! ```sh
//! ATHLOS_JWT_SECRET=s athlos serve --database sqlite:///tmp/bench.db &
//! ATHLOS_JWT_SECRET=s cargo run --release -p athlos-http --example bench_serve -- \
//!     --base http://127.0.0.1:3001 --divisions 50 --entries 64
//! ```
//!
//! `athlos-http/scripts/bench_serve.sh` runs the whole benchmark (BENCHMARKS.md).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use serde_json::{json, Value};

use athlos_http::server::auth::{mint, Claims};
use athlos_http::server::DEV_SECRET;

/// Fixtures and the generation timing.
#[derive(Debug, Parser)]
struct Args {
    /// The server.
    #[arg(long, default_value = "http://127.0.0.1:3001")]
    base: String,
    /// Divisions of the event.
    #[arg(long, default_value_t = 50)]
    divisions: usize,
    /// Entries per division.
    #[arg(long, default_value_t = 64)]
    entries: usize,
    /// The server's HS256 secret.
    #[arg(long, env = "ATHLOS_JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,
    /// Pause between two looks at the jobs, milliseconds.
    #[arg(long, default_value_t = 5)]
    poll_ms: u64,
}

type Failure = Box<dyn std::error::Error>;

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<(u16, Value), Failure> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)?
        };
        Ok((status, value))
    }

    /// A write that must succeed.
    async fn post(&self, path: &str, body: Value) -> Result<Value, Failure> {
        let (status, answer) = self.send(reqwest::Method::POST, path, Some(body)).await?;
        if !(200..300).contains(&status) {
            return Err(format!("POST {path}: {status} {answer}").into());
        }
        Ok(answer)
    }

    async fn get(&self, path: &str) -> Result<Value, Failure> {
        let (status, answer) = self.send(reqwest::Method::GET, path, None).await?;
        if status != 200 {
            return Err(format!("GET {path}: {status} {answer}").into());
        }
        Ok(answer)
    }
}

fn field(division: usize, entries: usize) -> Vec<Value> {
    const CLUBS: usize = 12;
    const NATIONS: usize = 6;
    (1..=entries)
        .map(|i| {
            json!({
                "id": format!("d{division}-j{i}"),
                "name": format!("Judoka {division}-{i}"),
                "club": format!("club-{}", (i * 7 + division) % CLUBS),
                "nation": format!("N{}", (i * 5 + division) % NATIONS),
                "rating": 2400 - (i * 13 % 700),
            })
        })
        .collect()
}

async fn fixtures(client: &Client, args: &Args) -> Result<(), Failure> {
    client
        .post("/v1/events", json!({"id": "bench", "name": "Bench Open"}))
        .await?;
    for d in 1..=args.divisions {
        let id = format!("d{d:02}");
        client
            .post(
                "/v1/events/bench/divisions",
                json!({"id": id, "name": format!("Division {d}"),
                       "rules": {"format": "repechage", "max_seeds": 8}, "seed": d}),
            )
            .await?;
        client
            .post(
                &format!("/v1/events/bench/divisions/{id}/participants"),
                json!(field(d, args.entries)),
            )
            .await?;
    }
    let rules = json!({"options": {"format": "single_elimination"}, "min_entries": 2, "seed": 1});
    client
        .post(
            "/v1/tournaments",
            json!({"id": "bench-cup", "name": "Bench Cup", "rules": rules}),
        )
        .await?;
    client
        .post("/v1/tournaments/bench-cup/publish", json!(null))
        .await?;
    for i in 1..=64 {
        client
            .post(
                "/v1/tournaments/bench-cup/register",
                json!({"id": format!("p{i}"), "name": format!("Player {i}"), "rating": 2000 + i}),
            )
            .await?;
    }
    client
        .post("/v1/tournaments/bench-cup/start", json!(null))
        .await?;
    let pairings = client
        .get("/v1/tournaments/bench-cup/rounds/1/pairings")
        .await?;
    let games = pairings["pairings"].as_array().cloned().unwrap_or_default();
    for game in games.iter().filter(|g| g["status"] == "ready") {
        let (Some(id), Some(winner)) = (game["match_id"].as_str(), game["sides"][0].as_str())
        else {
            continue;
        };
        client
            .post(
                &format!("/v1/tournaments/bench-cup/matches/{id}/result"),
                json!({"type": "win", "winner": winner}),
            )
            .await?;
    }
    Ok(())
}

/// Queues every bracket and waits for the last; returns the time and the jobs.
async fn generate_all(client: &Client, poll: Duration) -> Result<(Duration, usize), Failure> {
    let started = Instant::now();
    let queued = client
        .post("/v1/events/bench/generate-all-brackets", json!(null))
        .await?;
    let mut pending: Vec<u64> = queued["jobs"]
        .as_array()
        .map(|jobs| jobs.iter().filter_map(|j| j["id"].as_u64()).collect())
        .unwrap_or_default();
    let jobs = pending.len();
    let mut done_at = started.elapsed();
    while !pending.is_empty() {
        let mut still = Vec::with_capacity(pending.len());
        for id in pending {
            let job = client.get(&format!("/v1/jobs/{id}")).await?;
            match job["status"].as_str() {
                Some("succeeded") => done_at = started.elapsed(),
                Some("failed") => return Err(format!("job {id} failed: {}", job["error"]).into()),
                _ => still.push(id),
            }
        }
        pending = still;
        if !pending.is_empty() {
            tokio::time::sleep(poll).await;
        }
    }
    Ok((done_at, jobs))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Failure> {
    let args = Args::parse();
    let secret = args
        .jwt_secret
        .clone()
        .unwrap_or_else(|| DEV_SECRET.to_owned());
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let token = mint(
        &Claims {
            sub: "bench".to_owned(),
            role: "admin".to_owned(),
            exp: now + 3600,
            iat: now,
        },
        secret.as_bytes(),
    )?;
    let client = Client {
        http: reqwest::Client::new(),
        base: args.base.trim_end_matches('/').to_owned(),
        token,
    };
    fixtures(&client, &args).await?;
    let (elapsed, jobs) = generate_all(&client, Duration::from_millis(args.poll_ms)).await?;
    let bracket = client.get("/v1/events/bench/divisions/d01/bracket").await?;
    let matches = bracket["bracket"]["matches"].as_array().map_or(0, Vec::len);
    println!(
        "{}",
        json!({
            "divisions": args.divisions,
            "entries": args.entries,
            "jobs": jobs,
            "generate_all_ms": elapsed.as_secs_f64() * 1000.0,
            "matches_in_d01": matches,
            "bracket_url": format!("{}/v1/events/bench/divisions/d01/bracket", client.base),
            "standings_url": format!("{}/v1/tournaments/bench-cup/standings", client.base),
        })
    );
    Ok(())
}
