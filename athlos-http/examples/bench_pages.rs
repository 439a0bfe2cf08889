//! Time the web pages of a running `athlos serve` on 1,000-entry tournaments.
//!
//! Loads, over the API, a Swiss of `--entries` players with `--played` rounds decided and the
//! next one paired (so its page carries the results form's round, the standings with
//! tie-breaks and every entry), and a started knockout of as many entries; then asks each
//! page `--requests` times, one request at a time, and prints one JSON line a page with its
//! size and the latency p50 / p99 / max in milliseconds. The pages are asked as a signed-in
//! director sees them (the results form included) when `--cookie` names a session;
//! otherwise as a visitor.
//!
//! `athlos-http/scripts/bench_pages.sh` runs the whole benchmark (BENCHMARKS.md).

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use serde_json::{json, Value};

use athlos_http::server::auth::{mint, Claims};
use athlos_http::server::DEV_SECRET;

/// Fixtures and timings.
#[derive(Debug, Parser)]
struct Args {
    /// The server.
    #[arg(long, default_value = "http://127.0.0.1:3001")]
    base: String,
    /// Entries of each tournament.
    #[arg(long, default_value_t = 1000)]
    entries: usize,
    /// Swiss rounds decided before the timing (the next one is paired).
    #[arg(long, default_value_t = 3)]
    played: u32,
    /// Requests a page.
    #[arg(long, default_value_t = 200)]
    requests: usize,
    /// The server's HS256 secret.
    #[arg(long, env = "ATHLOS_JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,
}

type Failure = Box<dyn std::error::Error>;

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, Failure> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            return Err(format!("{method} {path}: {status} {text}").into());
        }
        Ok(if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)?
        })
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value, Failure> {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }
}

/// A tournament of `entries` entries, registered and published (and started when `start`).
async fn tournament(
    client: &Client,
    id: &str,
    rules: Value,
    entries: usize,
) -> Result<(), Failure> {
    client
        .post(
            "/v1/tournaments",
            json!({"id": id, "name": format!("Bench {id}"), "rules": rules}),
        )
        .await?;
    client
        .post(&format!("/v1/tournaments/{id}/publish"), json!({}))
        .await?;
    for i in 1..=entries {
        client
            .post(
                &format!("/v1/tournaments/{id}/register"),
                json!({"id": format!("p{i:04}"), "name": format!("Player {i:04}"),
                       "rating": 2800 - (i * 37 % 1600), "club": format!("club-{}", i % 40)}),
            )
            .await?;
    }
    client
        .post(&format!("/v1/tournaments/{id}/start"), json!({}))
        .await?;
    Ok(())
}

/// Decides every game of the Swiss's current round (white wins, every fifth board drawn)
/// and pairs the next.
async fn play_round(client: &Client, id: &str, round: u32) -> Result<(), Failure> {
    let pairings = client
        .call(
            reqwest::Method::GET,
            &format!("/v1/tournaments/{id}/rounds/{round}/pairings"),
            None,
        )
        .await?;
    let games = pairings["pairings"].as_array().cloned().unwrap_or_default();
    for (board, game) in games.iter().enumerate() {
        if game["status"] != "ready" {
            continue;
        }
        let result = if board % 5 == 4 {
            json!({"type": "draw"})
        } else {
            json!({"type": "win", "winner": game["sides"][0]})
        };
        let path = format!(
            "/v1/tournaments/{id}/matches/{}/result",
            game["match_id"].as_str().unwrap_or("")
        );
        client.post(&path, result).await?;
    }
    client
        .post(&format!("/v1/tournaments/{id}/advance"), json!({}))
        .await?;
    Ok(())
}

/// The p-th percentile (0–100) of sorted `samples`.
fn percentile(samples: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * samples.len() as f64).ceil() as usize;
    samples[rank.clamp(1, samples.len()) - 1]
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
            exp: now + 7200,
            iat: now,
        },
        secret.as_bytes(),
    )?;
    let client = Client {
        http: reqwest::Client::new(),
        base: args.base.trim_end_matches('/').to_owned(),
        token,
    };
    let loading = Instant::now();
    tournament(
        &client,
        "swiss",
        json!({"swiss": {"rounds": 9}}),
        args.entries,
    )
    .await?;
    for round in 1..=args.played {
        play_round(&client, "swiss", round).await?;
    }
    tournament(
        &client,
        "knockout",
        json!({"options": {"format": "single_elimination"}}),
        args.entries,
    )
    .await?;
    eprintln!(
        "fixtures loaded in {:.1} s",
        loading.elapsed().as_secs_f64()
    );
    let pages = [
        "/".to_owned(),
        "/tournaments".to_owned(),
        "/tournaments/swiss".to_owned(),
        "/tournaments/swiss/rounds/1".to_owned(),
        "/tournaments/swiss/crosstable".to_owned(),
        "/tournaments/knockout".to_owned(),
        "/v1/tournaments/knockout/bracket.svg".to_owned(),
    ];
    let browser = reqwest::Client::new();
    for path in &pages {
        let mut samples = Vec::with_capacity(args.requests);
        let mut bytes = 0;
        for _ in 0..args.requests {
            let started = Instant::now();
            let response = browser
                .get(format!("{}{path}", client.base))
                .header("accept", "text/html")
                .send()
                .await?;
            let status = response.status();
            let body = response.bytes().await?;
            samples.push(started.elapsed().as_secs_f64() * 1000.0);
            if !status.is_success() {
                return Err(format!("GET {path}: {status}").into());
            }
            bytes = body.len();
        }
        samples.sort_by(f64::total_cmp);
        println!(
            "{}",
            json!({
                "page": path,
                "entries": args.entries,
                "bytes": bytes,
                "requests": args.requests,
                "p50_ms": (percentile(&samples, 50.0) * 100.0).round() / 100.0,
                "p99_ms": (percentile(&samples, 99.0) * 100.0).round() / 100.0,
                "max_ms": (samples[samples.len() - 1] * 100.0).round() / 100.0,
            })
        );
    }
    Ok(())
}
