//! A fake board service for the tests: creates games (once an idempotency key), plays a fixed
//! script of UCI moves, and ends each game through Athlos's signed callback.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use athlos_http::server::nowchess_board::client;

/// The moves every fake game plays before it ends.
pub const SCRIPT: &[&str] = &["e2e4", "e7e5", "g1f3", "b8c6", "f1c4", "g8f6"];

/// A game the fake board created.
#[derive(Debug, Clone)]
pub struct FakeGame {
    /// Its id.
    pub id: String,
    /// The creation request's body.
    pub body: Value,
    /// The moves played.
    pub moves: Vec<String>,
    /// `white`, `black` or `draw` once over.
    pub winner: Option<String>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Games by idempotency key.
    games: BTreeMap<String, FakeGame>,
    /// Every creation request's key, in arrival order.
    requests: Vec<String>,
    /// Bots whose games the board refuses to create (503).
    refuse: BTreeSet<String>,
    /// Bots whose games never end (no callback).
    silent: BTreeSet<String>,
    /// Keys whose first answer is lost (the game is created, the answer is a 500).
    lose_first_answer: BTreeSet<String>,
    /// Where games' ends are reported.
    callback: Option<String>,
    /// Callbacks Athlos accepted.
    accepted: u32,
}

/// A running fake board service.
#[derive(Debug, Clone)]
pub struct FakeBoard {
    inner: Arc<Mutex<Inner>>,
    secret: String,
    /// Its base URL.
    pub url: String,
}

impl FakeBoard {
    /// Starts one on 127.0.0.1 signing with `secret`.
    pub async fn start(secret: &str) -> FakeBoard {
        let mut board = FakeBoard {
            inner: Arc::default(),
            secret: secret.to_owned(),
            url: String::new(),
        };
        let app = Router::new()
            .route("/api/board/game", post(create))
            .with_state(board.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        board.url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        board
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap()
    }

    /// Reports games' ends to `url`.
    pub fn set_callback(&self, url: String) {
        self.lock().callback = Some(url);
    }

    /// Refuses every game of `bot`.
    pub fn refuse(&self, bot: &str) {
        self.lock().refuse.insert(bot.to_owned());
    }

    /// Creates the games of `bot` but never ends them.
    pub fn silence(&self, bot: &str) {
        self.lock().silent.insert(bot.to_owned());
    }

    /// Creates the game of `key` but loses the first answer.
    pub fn lose_first_answer(&self, key: &str) {
        self.lock().lose_first_answer.insert(key.to_owned());
    }

    /// The games, by idempotency key.
    pub fn games(&self) -> BTreeMap<String, FakeGame> {
        self.lock().games.clone()
    }

    /// Every creation request's key.
    pub fn requests(&self) -> Vec<String> {
        self.lock().requests.clone()
    }

    /// Callbacks Athlos accepted.
    pub fn accepted(&self) -> u32 {
        self.lock().accepted
    }
}

async fn create(
    State(board): State<FakeBoard>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, Json<Value>) {
    let signature = headers
        .get(client::ATHLOS_SIGNATURE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !client::verify(&board.secret, &body, signature) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "bad signature"})),
        );
    }
    let key = headers
        .get(client::IDEMPOTENCY_KEY)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let request: Value = serde_json::from_slice(&body).unwrap();
    let (id, fresh, lose) = {
        let mut inner = board.lock();
        inner.requests.push(key.clone());
        let players = [&request["white"]["id"], &request["black"]["id"]];
        if players
            .iter()
            .any(|p| inner.refuse.contains(p.as_str().unwrap_or_default()))
        {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"error": "no capacity"})),
            );
        }
        let lose = inner.lose_first_answer.remove(&key);
        match inner.games.get(&key) {
            Some(game) => (game.id.clone(), false, lose),
            None => {
                let id = format!("g{:04}", inner.games.len() + 1);
                let game = FakeGame {
                    id: id.clone(),
                    body: request.clone(),
                    moves: Vec::new(),
                    winner: None,
                };
                inner.games.insert(key.clone(), game);
                (id, true, lose)
            }
        }
    };
    if fresh {
        tokio::spawn(play(board.clone(), key, id.clone(), request));
    }
    if lose {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": "lost"})),
        );
    }
    (StatusCode::CREATED, Json(json!({"gameId": id})))
}

/// Plays the script, then reports the end (White wins game 1, Black game 2, a draw game 3 …).
async fn play(board: FakeBoard, key: String, id: String, request: Value) {
    for step in SCRIPT {
        tokio::time::sleep(Duration::from_millis(2)).await;
        if let Some(game) = board.lock().games.get_mut(&key) {
            game.moves.push((*step).to_owned());
        }
    }
    let players = [&request["white"]["id"], &request["black"]["id"]];
    if players
        .iter()
        .any(|p| board.lock().silent.contains(p.as_str().unwrap_or_default()))
    {
        return;
    }
    let number: usize = id[1..].parse().unwrap();
    let winner = ["white", "black", "draw"][(number - 1) % 3];
    let body = json!({
        "gameId": id,
        "tournamentId": request["tournamentId"],
        "match": request["match"],
        "winner": winner,
        "moves": board
            .lock()
            .games
            .get(&key)
            .map(|g| g.moves.join(" "))
            .unwrap_or_default(),
    })
    .to_string();
    let signature = client::sign(&board.secret, body.as_bytes());
    let http = reqwest::Client::new();
    for _ in 0..100 {
        let Some(url) = board.lock().callback.clone() else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let sent = http
            .post(url)
            .header(client::BOARD_SIGNATURE, &signature)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await;
        if let Ok(response) = sent {
            if response.status().is_success() {
                let mut inner = board.lock();
                inner.accepted += 1;
                if let Some(game) = inner.games.get_mut(&key) {
                    game.winner = Some(winner.to_owned());
                }
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
