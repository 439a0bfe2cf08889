//! `GET /api/tournament/{id}/stream`: the seed's NDJSON event stream of one tournament, for
//! its bots (and its director).
//!
//! A token is required (401 without a valid one, with the seed's `{"error"}` body); its
//! subject must be a registered bot of the tournament or its director
//! ([`athlos_core::service::may_follow_games`]), else 403. Each line is one event of the
//! tournament's log in the seed's names, with the tournament's id and its log `sequence`:
//!
//! | type | from | extra fields |
//! |------|------|--------------|
//! | `tournamentStarted` | `tournament.state_changed` from registration to active | — |
//! | `roundStarted` | `round.started` | `round` |
//! | `gameStart` | `board.game_created`, to the two bots of the game only | `round`, `gameId`, `color` |
//! | `roundFinished` | `round.finished` | `round` |
//! | `tournamentFinished` | `tournament.finished` | `winner` (`{"id", "name"}`) |
//!
//! Resumable as the other streams: the stream replays the log after the client's position
//! (`Last-Event-ID`, else `?after=`, else the start), then follows it live (woken by the
//! server's event fan-out, reading the log itself, so nothing committed is skipped). An idle
//! stream sends an empty line every keep-alive interval; it ends after `tournamentFinished`.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use athlos_core::event::EventData;
use athlos_core::id::TournamentId;
use athlos_core::lifecycle::TournamentState;
use athlos_core::model::ParticipantId;
use athlos_core::service::may_follow_games;
use athlos_core::store::{AggregateRef, EventLog, LoggedEvent};

use super::super::auth::Caller;
use super::super::error::ApiError;
use super::super::streams::{start_position, Shared, StreamQuery};
use super::super::AppState;
use super::client::BotRef;
use super::refusal;

/// Events read from the log per query.
const PAGE: usize = 500;

/// Where the stream starts.
#[derive(Debug, Deserialize)]
pub struct Position {
    /// Replay events with a log sequence greater than this (`Last-Event-ID` wins).
    pub after: Option<u64>,
}

/// One line of the stream.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TournamentEvent {
    /// `tournamentStarted`, `roundStarted`, `gameStart`, `roundFinished` or
    /// `tournamentFinished`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The tournament.
    pub tournament_id: String,
    /// The log sequence (resume after it).
    pub sequence: u64,
    /// The round.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub round: Option<u32>,
    /// The board service's game id (`gameStart`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub game_id: Option<String>,
    /// The reader's colour (`gameStart`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<&'static str>,
    /// The winner (`tournamentFinished`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub winner: Option<BotRef>,
}

/// `GET /api/tournament/{id}/stream`.
pub async fn tournament_stream(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(id): Path<String>,
    Query(position): Query<Position>,
    headers: HeaderMap,
) -> Response {
    let Ok(caller) = caller else {
        return refusal(StatusCode::UNAUTHORIZED, "missing or invalid token");
    };
    let Ok(id) = TournamentId::new(id) else {
        return refusal(StatusCode::NOT_FOUND, "tournament not found");
    };
    let Ok(found) = state.service.tournament(&id).await else {
        return refusal(StatusCode::NOT_FOUND, "tournament not found");
    };
    if !may_follow_games(&found.value, &caller.principal()) {
        return refusal(
            StatusCode::FORBIDDEN,
            "only the tournament's bots and its director may read its stream",
        );
    }
    let query = StreamQuery {
        after: position.after,
        names: None,
        participant: None,
    };
    let start = match start_position(&headers, &query) {
        Ok(start) => start,
        Err(_) => {
            return refusal(
                StatusCode::BAD_REQUEST,
                "after and Last-Event-ID must be log sequences",
            )
        }
    };
    let reader = Reader {
        receiver: state.streams.subscribe(&state),
        closed: state.streams.closed(),
        me: ParticipantId::new(caller.sub()).ok(),
        state,
        id,
        position: start,
        finished: false,
    };
    let body = futures_util::stream::unfold(reader, |mut reader| async move {
        reader
            .next()
            .await
            .map(|bytes| (Ok::<Bytes, Infallible>(bytes), reader))
    });
    (
        StatusCode::OK,
        [
            (CONTENT_TYPE, "application/x-ndjson"),
            (CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

/// A reader of one tournament's stream.
struct Reader {
    state: AppState,
    id: TournamentId,
    /// The reader's subject as a participant (its games' `gameStart`).
    me: Option<ParticipantId>,
    /// The last log sequence looked at.
    position: u64,
    /// Wakes the reader when something is committed.
    receiver: broadcast::Receiver<std::sync::Arc<Shared>>,
    closed: tokio::sync::watch::Receiver<bool>,
    finished: bool,
}

impl Reader {
    /// The next bytes to send, or `None` to end.
    async fn next(&mut self) -> Option<Bytes> {
        loop {
            if self.finished || *self.closed.borrow() {
                return None;
            }
            // Subscribe afresh before reading: anything committed later wakes the reader.
            self.receiver = self.receiver.resubscribe();
            let page = self
                .state
                .store
                .events_after(self.position, PAGE)
                .await
                .ok()?;
            let full = page.len() >= PAGE;
            let mut out = Vec::new();
            for logged in page {
                self.position = logged.sequence;
                if let Some(event) = self.frame(&logged).await {
                    out.extend_from_slice(&serde_json::to_vec(&event).unwrap_or_default());
                    out.push(b'\n');
                    if event.kind == "tournamentFinished" {
                        self.finished = true;
                        break;
                    }
                }
            }
            if !out.is_empty() {
                return Some(Bytes::from(out));
            }
            if full {
                continue;
            }
            let keep_alive = self.state.streams.keep_alive();
            tokio::select! {
                woken = tokio::time::timeout(keep_alive, self.receiver.recv()) => {
                    if woken.is_err() {
                        return Some(Bytes::from_static(b"\n"));
                    }
                }
                _ = self.closed.changed() => return None,
            }
        }
    }

    /// The line of `logged` for this reader, if it has one.
    async fn frame(&self, logged: &LoggedEvent) -> Option<TournamentEvent> {
        if logged.aggregate != AggregateRef::Tournament(self.id.clone()) {
            return None;
        }
        let bare = |kind| TournamentEvent {
            kind,
            tournament_id: self.id.to_string(),
            sequence: logged.sequence,
            round: None,
            game_id: None,
            color: None,
            winner: None,
        };
        Some(match &logged.event.data {
            EventData::TournamentStateChanged { from, to, .. }
                if *from == TournamentState::Registration && *to == TournamentState::Active =>
            {
                bare("tournamentStarted")
            }
            EventData::RoundStarted { round, .. } => TournamentEvent {
                round: Some(*round),
                ..bare("roundStarted")
            },
            EventData::BoardGameCreated {
                round,
                game_id,
                players,
                ..
            } => {
                let me = self.me.as_ref()?;
                let slot = players.iter().position(|p| p == me)?;
                TournamentEvent {
                    round: Some(*round),
                    game_id: Some(game_id.clone()),
                    color: Some(if slot == 0 { "white" } else { "black" }),
                    ..bare("gameStart")
                }
            }
            EventData::RoundFinished { round, .. } => TournamentEvent {
                round: Some(*round),
                ..bare("roundFinished")
            },
            EventData::TournamentFinished { placements, .. } => {
                let first = placements.iter().min_by_key(|p| p.place);
                let winner = match first {
                    Some(first) => Some(self.bot(&first.participant).await),
                    None => None,
                };
                TournamentEvent {
                    winner,
                    ..bare("tournamentFinished")
                }
            }
            _ => return None,
        })
    }

    /// `id` with its display name.
    async fn bot(&self, id: &ParticipantId) -> BotRef {
        let name = self
            .state
            .service
            .tournament(&self.id)
            .await
            .ok()
            .and_then(|t| {
                t.value
                    .entries
                    .iter()
                    .find(|e| &e.id == id)
                    .map(|e| e.name.clone())
            })
            .unwrap_or_else(|| id.to_string());
        BotRef {
            id: id.to_string(),
            name,
        }
    }
}
