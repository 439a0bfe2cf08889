//! The pages of a tournament's play beyond its front page: the pairings of any round
//! (`/tournaments/{id}/rounds/{n}`) and a Swiss's crosstable (`/tournaments/{id}/crosstable`),
//! both read from the core (the games of a round as the API shows them, [`crosstable_of`]).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use athlos_core::bracket::{MatchResult, MatchStatus};
use athlos_core::id::TournamentId;
use athlos_core::model::ParticipantId;
use athlos_core::service::crosstable_of;
use athlos_core::tournament::Tournament;

use super::account_pages::{PageViewer, Viewer};
use super::error::ApiError;
use super::pages::{not_found_page, page};
use super::tournaments::{round_games, total_rounds};
use super::AppState;

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/tournaments/{id}/rounds/{round}", get(round_page))
        .route("/tournaments/{id}/crosstable", get(crosstable_page))
}

/// The tournament of an address, or the 404 page.
async fn tournament(state: &AppState, id: &str) -> Result<Result<Tournament, Response>, ApiError> {
    let Ok(id) = TournamentId::new(id) else {
        return Ok(Err(not_found_page(
            "There is no tournament at this address.",
        )));
    };
    match state.service.store().tournament(&id).await? {
        Some(stored) => Ok(Ok(stored.value)),
        None => Ok(Err(not_found_page(format!(
            "There is no tournament \"{}\".",
            id.as_str()
        )))),
    }
}

/// A side of a board: starting number (Swiss) and name.
struct Side {
    number: String,
    name: String,
}

/// A board of a round.
struct Board {
    number: usize,
    id: String,
    sides: (Side, Side),
    result: String,
}

#[derive(Template)]
#[template(path = "round.html")]
struct RoundPage {
    title: String,
    viewer: Option<Viewer>,
    id: String,
    name: String,
    round: u32,
    rounds: Option<u32>,
    paired: Vec<u32>,
    boards: Vec<Board>,
    is_swiss: bool,
}

/// A game's result as a score line, the first side's part first: `1–0`, `½–½`, `+–−` (won
/// by forfeit), `bye`, or where it stands while undecided.
fn score_line(
    first: &Option<ParticipantId>,
    status: MatchStatus,
    result: Option<&MatchResult>,
) -> String {
    let first_won = |winner: &ParticipantId| Some(winner) == first.as_ref();
    match result {
        None if status == MatchStatus::Bye => "bye".to_owned(),
        None => status.to_string(),
        Some(MatchResult::Win { winner, .. }) if first_won(winner) => "1–0".to_owned(),
        Some(MatchResult::Win { .. }) => "0–1".to_owned(),
        Some(MatchResult::Draw { .. }) => "½–½".to_owned(),
        Some(MatchResult::Walkover { winner }) if first_won(winner) => "+ –".to_owned(),
        Some(MatchResult::Walkover { .. }) => "– +".to_owned(),
        Some(_) => "– –".to_owned(),
    }
}

/// The pairings of round `round`, board by board, with their results.
async fn round_page(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    Path((id, round)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let t = match tournament(&state, &id).await? {
        Ok(t) => t,
        Err(response) => return Ok(response),
    };
    let games = round
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=t.round).contains(n))
        .and_then(|n| Some((n, round_games(&t, n)?)));
    let Some((round, games)) = games else {
        return Ok(not_found_page(format!(
            "Round \"{round}\" of {} has not been paired.",
            t.name
        )));
    };
    let swiss = t.swiss();
    let side = |participant: &Option<ParticipantId>| match participant {
        Some(p) => Side {
            number: swiss
                .and_then(|s| s.number(p))
                .map(|n| n.to_string())
                .unwrap_or_default(),
            name: t
                .entries
                .iter()
                .find(|e| e.id == *p)
                .map_or_else(|| p.to_string(), |e| e.name.clone()),
        },
        None => Side {
            number: String::new(),
            name: "—".to_owned(),
        },
    };
    let boards = games
        .iter()
        .enumerate()
        .map(|(i, g)| Board {
            number: i + 1,
            id: g.match_id.to_string(),
            sides: (side(&g.sides[0]), side(&g.sides[1])),
            result: score_line(&g.sides[0], g.status, g.result.as_ref()),
        })
        .collect();
    Ok(page(
        StatusCode::OK,
        &RoundPage {
            title: format!("{} · round {round}", t.name),
            viewer,
            id: t.id.to_string(),
            name: t.name.clone(),
            round,
            rounds: total_rounds(&t),
            paired: (1..=t.round).collect(),
            boards,
            is_swiss: swiss.is_some(),
        },
    ))
}

/// A line of the crosstable as the page shows it.
struct CrossLine {
    rank: u32,
    number: u32,
    name: String,
    points: String,
    cells: Vec<String>,
    tiebreaks: Vec<String>,
}

#[derive(Template)]
#[template(path = "crosstable.html")]
struct CrosstablePage {
    title: String,
    viewer: Option<Viewer>,
    id: String,
    name: String,
    rounds: Vec<u32>,
    tiebreaks: Vec<String>,
    lines: Vec<CrossLine>,
}

/// A Swiss's crosstable after its decided rounds (404 for a bracket or before play).
async fn crosstable_page(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let t = match tournament(&state, &id).await? {
        Ok(t) => t,
        Err(response) => return Ok(response),
    };
    let Some(table) = crosstable_of(&t) else {
        return Ok(not_found_page(format!(
            "{} has no crosstable: only a Swiss that has started has one.",
            t.name
        )));
    };
    let lines = table
        .rows
        .iter()
        .map(|row| CrossLine {
            rank: row.rank,
            number: row.number,
            name: row.name.clone(),
            points: row.points.to_string(),
            cells: row.cells.iter().map(|cell| cell.text()).collect(),
            tiebreaks: row
                .tiebreaks
                .values()
                .map(|value| value.map_or_else(|| "–".to_owned(), |v| v.to_string()))
                .collect(),
        })
        .collect();
    Ok(page(
        StatusCode::OK,
        &CrosstablePage {
            title: format!("{} · crosstable", t.name),
            viewer,
            id: t.id.to_string(),
            name: t.name.clone(),
            rounds: (1..=table.rounds).collect(),
            tiebreaks: table.tiebreaks,
            lines,
        },
    ))
}
