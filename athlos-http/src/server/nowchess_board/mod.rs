//! NowChess bot tournaments on a board service (seed 004): every game of a tournament with a
//! board ([`athlos_core::tournament::BoardGames`]) is created on the board service, its end
//! comes back as a result, and the bots follow it all on their stream.
//!
//! - Creation: the commit that pairs a round enqueues one `board_create_game` job a game
//!   (keyed by tournament and match, see [`athlos_core::service::board_game_key`]); the job
//!   asks the board service ([`client::create_game`], with the same key as its
//!   `Idempotency-Key`) and records the game id in the core
//!   ([`athlos_core::service::Service::record_board_game`]: `board.game_created`, the job's
//!   completion and the game's deadline job in one commit). A job retried after a crash or a
//!   lost answer meets the recorded id, or the board service's answer for the same key: the
//!   game is created once.
//! - The end of a game: a signed callback, `POST /api/board/callback` (chosen over following
//!   each game's stream: one request a game instead of one open connection a game, and any
//!   instance behind the load balancer can take it). The body is
//!   [`client::GameEnded`] (`{"gameId", "tournamentId", "match", "winner", "moves"}`), signed with
//!   `X-Board-Signature: sha256=<hex HMAC-SHA256 of the body under ATHLOS_BOARD_SECRET>`.
//!   The core decides everything about it
//!   ([`athlos_core::service::Service::board_game_ended`]; a tournament that advances by
//!   itself pairs the next round in the same commit, whose games are created in turn).
//!   Answers: 200 `{"ok": true}` (also for the same result again), 401 for a missing or
//!   wrong signature, 400 for a body that is not the JSON above, 422 for moves the core
//!   refuses (a token that is no UCI move, not a legal game from the initial position, or a
//!   `winner` against a mate or a stalemate on the board; nothing is recorded), 404 for an
//!   unknown tournament or a game id that is not (yet) the match's, 409 when the match
//!   already has another result (forfeited by the arbiter, say). The board service retries a callback until it gets a 2xx or a 4xx other than 404
//!   (a game may end before its creation is recorded; the fake board in the tests does so).
//! - The arbiter's rule: a game the board service still refuses on the last of
//!   [`athlos_core::service::BOARD_CREATE_ATTEMPTS`] attempts, or with no result when its
//!   deadline job runs ([`athlos_core::service::game_deadline`] after its creation), is a
//!   double forfeit (`match.result` `double_forfeit` in the events).
//! - The bot stream: [`stream`].

pub mod client;
pub mod stream;

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use athlos_core::error::{Error, StoreError};
use athlos_core::service::{
    awaits_result, board_game_key, BoardJob, BOARD_GAME_DEADLINE, CREATE_BOARD_GAME,
};
use athlos_core::store::Job;

use super::AppState;
use client::{BoardConfig, CreateGame, GameEnded, BOARD_SIGNATURE};

/// The job kinds this module runs.
pub const KINDS: &[&str] = &[CREATE_BOARD_GAME, BOARD_GAME_DEADLINE];

/// How often a write that lost an optimistic-concurrency race is tried again.
const CONFLICT_RETRIES: u64 = 5;

/// The routes: the board service's callback and the bots' stream (outside `/openapi.json`:
/// they belong to the seed's document).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/board/callback", post(callback))
        .route(
            "/api/tournament/{id}/stream",
            get(stream::tournament_stream),
        )
}

/// An answer with the seed's error body, `{"error": message}`.
pub(crate) fn refusal(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

/// The answer to a core error: the status of its kind (as the rest of the API), the seed's
/// body.
fn core_refusal(error: &Error) -> Response {
    refusal(super::error::status_of(error.kind()), error.to_string())
}

/// The client requests to the board service go out with.
fn http_client() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_else(|_| reqwest::Client::new())
    })
}

/// `POST /api/board/callback`: a game on the board service ended.
async fn callback(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let signed = headers
        .get(BOARD_SIGNATURE)
        .and_then(|v| v.to_str().ok())
        .zip(state.config.board.secret.as_deref())
        .is_some_and(|(signature, secret)| client::verify(secret, &body, signature));
    if !signed {
        return refusal(
            StatusCode::UNAUTHORIZED,
            "missing or invalid X-Board-Signature",
        );
    }
    let ended: GameEnded = match serde_json::from_slice(&body) {
        Ok(ended) => ended,
        Err(e) => return refusal(StatusCode::BAD_REQUEST, format!("invalid body: {e}")),
    };
    let recorded = state
        .service
        .board_game_ended(
            &ended.tournament_id,
            ended.match_id,
            &ended.game_id,
            ended.winner,
            ended.moves.as_deref(),
        )
        .await;
    match recorded {
        Ok(_) => Json(json!({"ok": true})).into_response(),
        Err(error) => core_refusal(&error),
    }
}

/// Runs a job of [`KINDS`].
///
/// # Errors
/// Why the attempt failed (the queue retries it).
pub async fn run(state: &AppState, job: &Job) -> Result<(), String> {
    let target = BoardJob::of(job).ok_or_else(|| format!("job {}: not a board job", job.id))?;
    match job.kind.as_str() {
        CREATE_BOARD_GAME => create(state, job, &target).await,
        _ => forfeit(state, &target).await,
    }
}

/// Creates the game of `target` on the board service and records it; on the last attempt a
/// game the board service refuses is forfeited instead.
async fn create(state: &AppState, job: &Job, target: &BoardJob) -> Result<(), String> {
    let tournament = state
        .service
        .tournament(&target.tournament)
        .await
        .map_err(|e| e.to_string())?
        .value;
    if tournament.board_games.contains_key(&target.match_id)
        || !awaits_result(&tournament, &target.match_id)
    {
        // Created already (a job run again), or decided meanwhile: nothing to create.
        return Ok(());
    }
    let Some(board) = tournament.board else {
        return Ok(());
    };
    let body = CreateGame::of(&tournament, &board, target);
    let key = board_game_key(&target.tournament, &target.match_id);
    let config: &BoardConfig = &state.config.board;
    match client::create_game(http_client(), config, &key, &body).await {
        Ok(game_id) => retrying(|| state.service.record_board_game(job, game_id.clone())).await,
        Err(reason) if job.attempts >= job.max_attempts => {
            tracing::warn!(job = %job.id, %reason, "board game not created: forfeited by the arbiter");
            forfeit(state, target).await
        }
        Err(reason) => Err(reason),
    }
}

/// The arbiter's double forfeit of `target`, if it still waits for its result.
async fn forfeit(state: &AppState, target: &BoardJob) -> Result<(), String> {
    retrying(|| {
        state
            .service
            .forfeit_board_game(&target.tournament, target.match_id)
    })
    .await
}

/// Runs `write`, again after a lost optimistic-concurrency race (a few times).
async fn retrying<T, F: std::future::Future<Output = Result<T, Error>>>(
    mut write: impl FnMut() -> F,
) -> Result<(), String> {
    let mut attempt = 0;
    loop {
        match write().await {
            Ok(_) => return Ok(()),
            Err(Error::Store(StoreError::Conflict { .. })) if attempt < CONFLICT_RETRIES => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(10 * attempt)).await;
            }
            Err(error) => return Err(error.to_string()),
        }
    }
}
