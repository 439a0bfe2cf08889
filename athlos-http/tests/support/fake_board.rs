//! A fake board service for the tests: creates games (once an idempotency key), plays a fixed
//! script of UCI moves, and ends each game through Athlos's signed callback.
//!
//! It may listen on several addresses ([`FakeBoard::listen`]), one a server, so a test knows
//! which server sent each creation, and may hold the answers to one of them (a server killed
//! while it waits loses them); its callbacks fail over from one server's address to the next.
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
    /// Every creation request: the listener it came through, its key and its round.
    arrivals: Vec<(String, String, u64)>,
    /// Listeners whose answers wait this long after the game is created.
    hold: BTreeMap<String, Duration>,
    /// How long each move takes.
    move_delay: Option<Duration>,
    /// Results decided by the two players (the same pairing, the same result), not by the
    /// order the games were created in.
    by_players: bool,
    /// Bots whose games the board refuses to create (503).
    refuse: BTreeSet<String>,
    /// Bots whose games never end (no callback).
    silent: BTreeSet<String>,
    /// Keys whose first answer is lost (the game is created, the answer is a 500).
    lose_first_answer: BTreeSet<String>,
    /// Where games' ends are reported: the first that answers, in turn.
    callbacks: Vec<String>,
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
        board.url = board.listen("").await;
        board
    }

    /// Listens on another address of 127.0.0.1 (its requests tagged `via`); answers its URL.
    pub async fn listen(&self, via: &str) -> String {
        let app = Router::new()
            .route("/api/board/game", post(create))
            .with_state(Via {
                board: self.clone(),
                via: via.to_owned(),
            });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        url
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap()
    }

    /// Reports games' ends to `url`.
    pub fn set_callback(&self, url: String) {
        self.set_callbacks(vec![url]);
    }

    /// Reports games' ends to the first of `urls` that answers.
    pub fn set_callbacks(&self, urls: Vec<String>) {
        self.lock().callbacks = urls;
    }

    /// Holds the answers to creations that came through `via` for `hold` (the game is
    /// created and starts at once).
    pub fn hold(&self, via: &str, hold: Duration) {
        self.lock().hold.insert(via.to_owned(), hold);
    }

    /// Plays each move after `delay` (2 ms by default).
    pub fn set_move_delay(&self, delay: Duration) {
        self.lock().move_delay = Some(delay);
    }

    /// Decides each game by its players: the same pairing gets the same result however the
    /// servers raced to create it ([`by_players`]).
    pub fn decide_by_players(&self) {
        self.lock().by_players = true;
    }

    /// Every creation request: the listener it came through, its key and its round.
    pub fn arrivals(&self) -> Vec<(String, String, u64)> {
        self.lock().arrivals.clone()
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

/// One listener of the board.
#[derive(Debug, Clone)]
struct Via {
    board: FakeBoard,
    via: String,
}

/// The result of the game of `white` and `black` when decided by the players: a draw when
/// their ids' byte sums agree modulo 3, else White wins one way and Black the other.
pub fn by_players(white: &str, black: &str) -> &'static str {
    let sum = |id: &str| id.bytes().map(u32::from).sum::<u32>();
    match (sum(white) + 2 * sum(black)) % 3 {
        0 => "white",
        1 => "black",
        _ => "draw",
    }
}

async fn create(
    State(Via { board, via }): State<Via>,
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
    let (id, fresh, lose, hold) = {
        let mut inner = board.lock();
        inner.requests.push(key.clone());
        let round = request["round"].as_u64().unwrap_or_default();
        inner.arrivals.push((via.clone(), key.clone(), round));
        let hold = inner.hold.get(&via).copied();
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
            Some(game) => (game.id.clone(), false, lose, hold),
            None => {
                let id = format!("g{:04}", inner.games.len() + 1);
                let game = FakeGame {
                    id: id.clone(),
                    body: request.clone(),
                    moves: Vec::new(),
                    winner: None,
                };
                inner.games.insert(key.clone(), game);
                (id, true, lose, hold)
            }
        }
    };
    if fresh {
        tokio::spawn(play(board.clone(), key, id.clone(), request));
    }
    if let Some(hold) = hold {
        tokio::time::sleep(hold).await;
    }
    if lose {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": "lost"})),
        );
    }
    (StatusCode::CREATED, Json(json!({"gameId": id})))
}

/// Plays the script, then reports the end (White wins game 1, Black game 2, a draw game 3 …,
/// or as [`by_players`] decides).
async fn play(board: FakeBoard, key: String, id: String, request: Value) {
    let delay = board.lock().move_delay.unwrap_or(Duration::from_millis(2));
    for step in SCRIPT {
        tokio::time::sleep(delay).await;
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
    let winner = if board.lock().by_players {
        by_players(
            request["white"]["id"].as_str().unwrap_or_default(),
            request["black"]["id"].as_str().unwrap_or_default(),
        )
    } else {
        ["white", "black", "draw"][(number - 1) % 3]
    };
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
    // The first address that answers; a failed call moves on to the next (about 20 s in all).
    let mut target = 0;
    for _ in 0..400 {
        let url = {
            let inner = board.lock();
            if inner.callbacks.is_empty() {
                None
            } else {
                Some(inner.callbacks[target % inner.callbacks.len()].clone())
            }
        };
        let Some(url) = url else {
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
        } else {
            target += 1;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
