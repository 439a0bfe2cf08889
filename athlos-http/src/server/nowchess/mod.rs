//! The NowChess tournament API (seed 004): `/api/tournament`, exactly as the seed's OpenAPI
//! document (served at `/api/tournament/openapi.yaml`), over the core's Swiss.
//!
//! This module only translates: the tournament is an ordinary Swiss of the core, created with
//! a board clock ([`athlos_core::tournament::BoardGames`]), Buchholz as its tie-break, a random
//! first round and automatic advance, and published at once. The document's statuses are our
//! lifecycle states renamed (see [`views::status`]). The bot event stream of the document
//! (`GET /api/tournament/{id}/stream`) is served elsewhere.

pub mod api;
pub mod views;

use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;

use athlos_core::access::Role;

use super::auth::Caller;
use super::error::ApiError;
use super::AppState;

/// The seed's OpenAPI document, byte for byte.
pub const DOCUMENT: &str = include_str!("../../../nowchess-openapi.yaml");

/// The routes of `/api/tournament` (all but the event stream).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/tournament", get(api::list).post(api::create))
        .route("/api/tournament/openapi.yaml", get(api::document))
        .route(
            "/api/tournament/{id}",
            get(api::show).delete(api::terminate),
        )
        .route("/api/tournament/{id}/start", post(api::start))
        .route("/api/tournament/{id}/join", post(api::join))
        .route("/api/tournament/{id}/withdraw", post(api::withdraw))
        .route("/api/tournament/{id}/results", get(api::results))
        .route("/api/tournament/{id}/round/{round}", get(api::round))
        .route("/api/tournament/{id}/export/games", get(api::export_games))
}

/// A caller that must be a bot (the document's `join` and `withdraw`): its JWT names the
/// `bot` role (an API token or a browser session acts as its account, never a bot).
///
/// # Errors
/// 403 when the token's role is not `bot`.
pub fn bot(caller: &Caller) -> Result<(), ApiError> {
    if caller.role() == Some(Role::Bot) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "{} is not a bot account: only a token with the `bot` role may join or withdraw",
            caller.sub()
        )))
    }
}

/// `error` with a status the document lists for the operation (`allowed`): a status it
/// lists is kept, and so is a server error. Another refusal becomes the first the operation
/// lists of: 400 then 409 for bad input, 409 then 400 for a state or a conflict, and last
/// 404 (the only refusal of the document's reads: a read's bad parameter names nothing
/// there is).
pub fn conform(mut error: ApiError, allowed: &[u16]) -> ApiError {
    let status = error.status.as_u16();
    if allowed.contains(&status) || error.status.is_server_error() {
        return error;
    }
    let input = status == 400 || status == 422;
    let candidates: &[u16] = if input {
        &[400, 409, 404]
    } else {
        &[409, 400, 404]
    };
    if let Some(code) = candidates.iter().find(|c| allowed.contains(c)) {
        error.status = StatusCode::from_u16(*code).unwrap_or(StatusCode::BAD_REQUEST);
    }
    error
}

/// A new short tournament id: 8 base-62 characters from `value` (mixed, so that
/// neighbouring values give unrelated ids).
pub fn short_id(value: u64) -> String {
    const DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut n = mix(value);
    (0..8)
        .map(|_| {
            let digit = DIGITS[usize::try_from(n % 62).unwrap_or(0)];
            n /= 62;
            char::from(digit)
        })
        .collect()
}

/// SplitMix64's finaliser: a bijective mix of 64 bits.
pub fn mix(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_ids_are_eight_base62_characters_and_distinct() {
        let ids: std::collections::HashSet<String> = (0..10_000).map(short_id).collect();
        assert_eq!(ids.len(), 10_000);
        assert!(ids
            .iter()
            .all(|id| id.len() == 8 && id.chars().all(|c| c.is_ascii_alphanumeric())));
    }

    #[test]
    fn refusals_get_a_documented_status() {
        let unprocessable = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "x", "y");
        assert_eq!(conform(unprocessable.clone(), &[400, 401]).status, 400);
        assert_eq!(conform(unprocessable, &[401, 404, 409]).status, 409);
        let not_found = ApiError::not_found("gone");
        assert_eq!(conform(not_found.clone(), &[404]).status, 404);
        assert_eq!(conform(not_found, &[401, 409]).status, 409);
        let bad = ApiError::bad_input("nb", "nb must be at least 1");
        assert_eq!(conform(bad, &[404]).status, 404);
    }
}
