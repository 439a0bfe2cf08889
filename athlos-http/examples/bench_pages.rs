//! Time the web pages of a running `athlos serve` on 1,000-entry tournaments.
//!
//! Loads, over the API, a Swiss of `--entries` players with `--played` rounds decided and the
//! next one paired, and a started knockout of as many entries, both directed by an account
//! signed in with a session; an event division of as many judoka with its bracket; and a
//! running 12-team draft. Then asks each page `--requests` times, one request at a time, and
//! prints one JSON line a page with its size and the latency p50 / p99 / max in
//! milliseconds. The Swiss's page is asked twice: as a visitor sees it, and as its director
//! does (signed in: the results form of the round's 500 games).
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
    /// Entries of each tournament (and judoka of the division).
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
    /// A request: its status and body.
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<(reqwest::StatusCode, String), Failure> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await?;
        Ok((response.status(), response.text().await?))
    }

    /// A request that must succeed: its JSON answer.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, Failure> {
        let (status, text) = self.send(method.clone(), path, body).await?;
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

    async fn get(&self, path: &str) -> Result<Value, Failure> {
        self.call(reqwest::Method::GET, path, None).await
    }
}

/// Signs up a director and signs it in: its session cookie, and a client acting with an API
/// token of its own.
async fn director(client: &Client) -> Result<(String, Client), Failure> {
    let password = "bench pages password";
    let user = client
        .post(
            "/v1/accounts",
            json!({"username": "director", "password": password, "display_name": "Bench Director"}),
        )
        .await?;
    let id = user["id"].as_str().ok_or("no account id")?.to_owned();
    let response = client
        .http
        .post(format!("{}/v1/sessions", client.base))
        .json(&json!({"username": "director", "password": password}))
        .send()
        .await?;
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .ok_or("no session cookie")?
        .to_owned();
    let session: Value = response.json().await?;
    let csrf = session["csrf_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let made: Value = client
        .http
        .post(format!("{}/v1/users/{id}/tokens", client.base))
        .header("cookie", &cookie)
        .header("x-csrf-token", csrf)
        .json(&json!({"name": "bench"}))
        .send()
        .await?
        .json()
        .await?;
    let token = made["token"].as_str().ok_or("no token made")?.to_owned();
    Ok((
        cookie,
        Client {
            http: client.http.clone(),
            base: client.base.clone(),
            token,
        },
    ))
}

/// A tournament of `entries` entries, registered and started.
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

/// Decides every game of the Swiss's round (white wins, every fifth board drawn) and pairs
/// the next.
async fn play_round(client: &Client, id: &str, round: u32) -> Result<(), Failure> {
    let pairings = client
        .get(&format!("/v1/tournaments/{id}/rounds/{round}/pairings"))
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
        let match_id = game["match_id"].as_str().unwrap_or_default();
        client
            .post(
                &format!("/v1/tournaments/{id}/matches/{match_id}/result"),
                result,
            )
            .await?;
    }
    client
        .post(&format!("/v1/tournaments/{id}/advance"), json!({}))
        .await?;
    Ok(())
}

/// An event with one division of `entries` judoka, its bracket generated.
async fn event(client: &Client, entries: usize) -> Result<(), Failure> {
    client
        .post("/v1/events", json!({"id": "bench", "name": "Bench Open"}))
        .await?;
    client
        .post(
            "/v1/events/bench/divisions",
            json!({"id": "open", "name": "Open",
                   "rules": {"format": "repechage", "max_seeds": 8}, "seed": 1}),
        )
        .await?;
    let field: Vec<Value> = (1..=entries)
        .map(|i| {
            json!({"id": format!("j{i:04}"), "name": format!("Judoka {i:04}"),
                   "club": format!("club-{}", i % 40), "rating": 2400 - (i * 13 % 700)})
        })
        .collect();
    client
        .post("/v1/events/bench/divisions/open/participants", json!(field))
        .await?;
    client
        .post("/v1/events/bench/divisions/open/generate", json!({}))
        .await?;
    Ok(())
}

/// A running draft of 12 teams and 15 rounds from a pool of 400, 40 picks made.
async fn draft(client: &Client) -> Result<(), Failure> {
    let pool: Vec<Value> = (1..=400)
        .map(|i| {
            let position = ["GK", "DF", "MF", "FW"][i % 4];
            json!({"id": format!("pl{i:03}"), "position": position, "rank": i})
        })
        .collect();
    client
        .post(
            "/v1/drafts",
            json!({"id": "bench-draft", "teams": 12, "rounds": 15, "order": "snake",
                   "seconds_per_pick": 3600,
                   "roster": [{"position": "GK", "starters": 1, "max": 2},
                              {"position": "DF", "starters": 4, "max": 5},
                              {"position": "MF", "starters": 4, "max": 5},
                              {"position": "FW", "starters": 2, "max": 4}],
                   "pool": pool}),
        )
        .await?;
    client
        .post("/v1/drafts/bench-draft/start", json!({}))
        .await?;
    let mut next = 1;
    for _ in 0..40 {
        let live = client.get("/v1/drafts/bench-draft/state").await?;
        let on = &live["on_the_clock"];
        loop {
            let player = format!("pl{next:03}");
            next += 1;
            let body = json!({"pick": on["pick"], "team": on["team"], "player": player});
            let (status, text) = client
                .send(
                    reqwest::Method::POST,
                    "/v1/drafts/bench-draft/picks",
                    Some(body),
                )
                .await?;
            if status.is_success() {
                break;
            }
            if next > 400 {
                return Err(format!("no player fits: {text}").into());
            }
        }
    }
    Ok(())
}

/// The p-th percentile (0–100) of sorted `samples`.
fn percentile(samples: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * samples.len() as f64).ceil() as usize;
    samples[rank.clamp(1, samples.len()) - 1]
}

fn rounded(ms: f64) -> f64 {
    (ms * 100.0).round() / 100.0
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
    let (cookie, director) = director(&client).await?;
    let swiss = json!({"swiss": {"rounds": 9}});
    tournament(&director, "swiss", swiss, args.entries).await?;
    for round in 1..=args.played {
        play_round(&director, "swiss", round).await?;
    }
    let knockout = json!({"options": {"format": "single_elimination"}});
    tournament(&director, "knockout", knockout, args.entries).await?;
    event(&client, args.entries).await?;
    draft(&client).await?;
    eprintln!(
        "fixtures loaded in {:.1} s",
        loading.elapsed().as_secs_f64()
    );
    let pages = [
        ("/", None),
        ("/tournaments", None),
        ("/tournaments/swiss", None),
        ("/tournaments/swiss", Some(&cookie)),
        ("/tournaments/swiss/rounds/1", None),
        ("/tournaments/swiss/crosstable", None),
        ("/tournaments/knockout", None),
        ("/v1/tournaments/knockout/bracket.svg", None),
        ("/events/bench", None),
        ("/events/bench/divisions/open", None),
        ("/drafts/bench-draft", None),
        ("/me", Some(&cookie)),
    ];
    let browser = reqwest::Client::new();
    for (path, signed_in) in pages {
        let mut samples = Vec::with_capacity(args.requests);
        let mut bytes = 0;
        for _ in 0..args.requests {
            let started = Instant::now();
            let mut request = browser
                .get(format!("{}{path}", client.base))
                .header("accept", "text/html");
            if let Some(cookie) = signed_in {
                request = request.header("cookie", cookie.as_str());
            }
            let response = request.send().await?;
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
                "viewer": if signed_in.is_some() { "director" } else { "visitor" },
                "entries": args.entries,
                "bytes": bytes,
                "requests": args.requests,
                "p50_ms": rounded(percentile(&samples, 50.0)),
                "p99_ms": rounded(percentile(&samples, 99.0)),
                "max_ms": rounded(samples[samples.len() - 1]),
            })
        );
    }
    Ok(())
}
