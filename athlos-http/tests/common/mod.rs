//! A live server on 127.0.0.1:0 and a small JSON client for the HTTP tests.
#![allow(dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use athlos_http::server::auth::{mint, Claims};
use athlos_http::server::{self, AppState, Config, Running};
use serde_json::Value;

/// The secret the test servers sign with.
pub const SECRET: &str = "test-secret";

/// A running server and a client for it.
pub struct Server {
    pub running: Option<Running>,
    pub base: String,
    pub client: reqwest::Client,
}

/// The databases the end-to-end tests run against: in memory always, and each URL the
/// environment names.
pub fn databases() -> Vec<String> {
    vec!["memory://".to_owned()]
}

impl Server {
    /// Starts a server over `database` with `config` tweaks.
    pub async fn start_with(database: &str, tweak: impl FnOnce(&mut Config)) -> Server {
        let mut config = Config {
            address: "127.0.0.1:0".parse().unwrap(),
            jwt_secret: SECRET.to_owned(),
            job_poll: Duration::from_millis(20),
            ..Config::default()
        };
        tweak(&mut config);
        let (store, ready) = server::open_store(database).await.unwrap();
        let running = server::start(AppState::new(store, config, ready))
            .await
            .unwrap();
        let base = format!("http://{}", running.address);
        Server {
            running: Some(running),
            base,
            client: reqwest::Client::new(),
        }
    }

    /// Starts a server in memory.
    pub async fn start() -> Server {
        Self::start_with("memory://", |_| {}).await
    }

    /// Stops the server gracefully.
    pub async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await.unwrap();
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends a request and returns the status and the JSON body (Null when empty).
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert!(status < 500, "{path}: server error {status}: {text}");
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {text}"))
        };
        (status, value)
    }

    pub async fn get(&self, path: &str) -> Value {
        let (status, body) = self.send("GET", path, None, None).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// POST that must answer `expected`.
    pub async fn post(&self, path: &str, token: &str, body: Value, expected: u16) -> Value {
        let (status, answer) = self.send("POST", path, Some(token), Some(&body)).await;
        assert_eq!(status, expected, "POST {path} {body}: {answer}");
        answer
    }
}

/// A token for `sub` with `role`, valid for an hour (or already expired).
pub fn token(sub: &str, role: &str) -> String {
    token_at(sub, role, 3600)
}

pub fn token_at(sub: &str, role: &str, ttl: i64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let exp = if ttl >= 0 {
        now + ttl as u64
    } else {
        now - (-ttl) as u64
    };
    mint(
        &Claims {
            sub: sub.to_owned(),
            role: role.to_owned(),
            exp,
            iat: now,
        },
        SECRET.as_bytes(),
    )
    .unwrap()
}

/// The ids in a match's two slots (JSON of a bracket match).
pub fn sides(m: &Value) -> Vec<String> {
    m["slots"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["occupant"]["id"].as_str().map(str::to_owned))
        .collect()
}
