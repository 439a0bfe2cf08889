//! The board service's side of a game's creation, and the signatures both directions carry.
//!
//! The seed names the call (`POST {board}/api/board/game`) but not its body; this is the
//! minimal one Athlos sends (JSON):
//!
//! ```json
//! {"white": {"id": "bot_a", "name": "Bot A"}, "black": {"id": "bot_b", "name": "Bot B"},
//!  "clock": {"limit": 300, "increment": 2}, "rated": false,
//!  "tournamentId": "t7kXq2", "round": 2, "match": "MAIN-R2-M1"}
//! ```
//!
//! with the headers `Idempotency-Key: board_game:{tournament}:{match}` (the board service
//! answers a repeated key with the game it created for it, so a retry after a lost answer
//! creates nothing new) and, when `ATHLOS_BOARD_SECRET` is set,
//! `X-Athlos-Signature: sha256=<hex HMAC-SHA256 of the body>`. The board service answers
//! 200 or 201 with `{"gameId": "j0nPtcjl"}` (`id` is accepted too); any other answer is a
//! failure the job retries.

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use athlos_core::bracket::MatchId;
use athlos_core::id::TournamentId;
use athlos_core::service::BoardJob;
use athlos_core::tournament::{BoardGames, Tournament};

/// The header that carries the idempotency key of a creation.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The header that carries Athlos's signature of a request to the board service.
pub const ATHLOS_SIGNATURE: &str = "x-athlos-signature";

/// The header that carries the board service's signature of a callback.
pub const BOARD_SIGNATURE: &str = "x-board-signature";

/// Where the board service is and the secret both sides sign with.
#[derive(Debug, Clone, Default)]
pub struct BoardConfig {
    /// Its base URL (`ATHLOS_BOARD_URL`; `None`: no board service, creations fail and the
    /// arbiter forfeits the games).
    pub url: Option<String>,
    /// The shared secret (`ATHLOS_BOARD_SECRET`; `None`: requests go unsigned and every
    /// callback is refused).
    pub secret: Option<String>,
}

/// A player as the board service is told of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotRef {
    /// The bot's id (its participant id).
    pub id: String,
    /// Its display name.
    pub name: String,
}

/// The clock of a game, seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GameClock {
    /// Each side's initial time.
    pub limit: u32,
    /// The increment a move.
    pub increment: u32,
}

/// The body of `POST {board}/api/board/game`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateGame {
    /// White.
    pub white: BotRef,
    /// Black.
    pub black: BotRef,
    /// The clock.
    pub clock: GameClock,
    /// Whether the game is rated.
    pub rated: bool,
    /// The tournament.
    pub tournament_id: String,
    /// The round.
    pub round: u32,
    /// The match (echoed back by the callback).
    #[serde(rename = "match")]
    pub match_id: String,
}

impl CreateGame {
    /// The body for the game of `job` in `tournament`, played with `board`.
    pub fn of(tournament: &Tournament, board: &BoardGames, job: &BoardJob) -> Self {
        let bot = |id: &athlos_core::model::ParticipantId| BotRef {
            id: id.to_string(),
            name: tournament
                .entries
                .iter()
                .find(|e| &e.id == id)
                .map_or_else(|| id.to_string(), |e| e.name.clone()),
        };
        Self {
            white: bot(&job.white),
            black: bot(&job.black),
            clock: GameClock {
                limit: board.clock_limit,
                increment: board.clock_increment,
            },
            rated: board.rated,
            tournament_id: job.tournament.to_string(),
            round: job.round,
            match_id: job.match_id.to_string(),
        }
    }
}

/// What the board service answers a creation.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    #[serde(default)]
    game_id: Option<String>,
    #[serde(default)]
    id: Option<String>,
}

/// The body of `POST /api/board/callback`: a game ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GameEnded {
    /// The board service's game id.
    pub game_id: String,
    /// The tournament, as the creation named it.
    pub tournament_id: TournamentId,
    /// The match, as the creation named it.
    #[serde(rename = "match")]
    pub match_id: MatchId,
    /// `white`, `black` or `draw`.
    pub winner: athlos_core::service::BoardWinner,
    /// The game's moves, space-separated UCI (optional): kept for the games' export.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moves: Option<String>,
}

/// `sha256=` and the hex HMAC-SHA256 of `body` under `secret` (empty in the case HMAC
/// refuses a key, which it never does).
pub fn sign(secret: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// Whether `signature` is the signature of `body` under `secret` (compared in constant time).
pub fn verify(secret: &str, body: &[u8], signature: &str) -> bool {
    use subtle::ConstantTimeEq as _;
    let expected = sign(secret, body);
    !expected.is_empty()
        && expected.len() == signature.trim().len()
        && bool::from(expected.as_bytes().ct_eq(signature.trim().as_bytes()))
}

/// Asks the board service at `config.url` to create the game `body` under `key`; answers its
/// game id.
///
/// # Errors
/// Why it failed (no URL, unreachable, an unexpected status or answer).
pub async fn create_game(
    client: &reqwest::Client,
    config: &BoardConfig,
    key: &str,
    body: &CreateGame,
) -> Result<String, String> {
    let url = config
        .url
        .as_deref()
        .ok_or("no board service configured (ATHLOS_BOARD_URL)")?;
    let text = serde_json::to_vec(body).map_err(|e| e.to_string())?;
    let mut request = client
        .post(format!("{}/api/board/game", url.trim_end_matches('/')))
        .timeout(Duration::from_secs(10))
        .header(IDEMPOTENCY_KEY, key)
        .header(reqwest::header::CONTENT_TYPE, "application/json");
    if let Some(secret) = &config.secret {
        request = request.header(ATHLOS_SIGNATURE, sign(secret, &text));
    }
    let response = request
        .body(text)
        .send()
        .await
        .map_err(|e| format!("board service unreachable: {e}"))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("board service answered {status}"));
    }
    let created: Created = response
        .json()
        .await
        .map_err(|e| format!("board service answer unreadable: {e}"))?;
    created
        .game_id
        .or(created.id)
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| "board service answered no game id".to_owned())
}
