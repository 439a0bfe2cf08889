//! `GET /v1/leaderboard`: placements and points summed across finished tournaments.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use athlos_core::bracket::Format;
use athlos_core::leaderboard::{LeaderboardFilter, LeaderboardRow, PlayFormat};

use super::error::{ApiError, ErrorBody};
use super::extract::ApiQuery;
use super::AppState;

/// The routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(leaderboard_page))
}

/// Which tournaments count, and which rows to show.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LeaderboardQuery {
    /// Only tournaments of this format.
    #[param(inline)]
    pub format: Option<FormatParam>,
    /// Only tournaments finished at or after this instant (RFC 3339, e.g.
    /// `2026-12-01T00:00:00Z`).
    #[param(value_type = Option<String>, format = DateTime)]
    pub since: Option<String>,
    /// Rows to show, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
    /// Rows to skip (default 0).
    pub offset: Option<usize>,
}

/// A format a leaderboard filters by: `swiss` or a bracket format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FormatParam {
    /// A Swiss.
    Swiss,
    /// Single elimination.
    SingleElimination,
    /// Double elimination.
    DoubleElimination,
    /// Judo repechage.
    Repechage,
    /// Round robin.
    RoundRobin,
    /// Pools then a knockout.
    Groups,
}

impl FormatParam {
    /// The core's format.
    fn play_format(self) -> PlayFormat {
        match self {
            Self::Swiss => PlayFormat::Swiss,
            Self::SingleElimination => PlayFormat::Bracket(Format::SingleElimination),
            Self::DoubleElimination => PlayFormat::Bracket(Format::DoubleElimination),
            Self::Repechage => PlayFormat::Bracket(Format::Repechage),
            Self::RoundRobin => PlayFormat::Bracket(Format::RoundRobin),
            Self::Groups => PlayFormat::Bracket(Format::Groups),
        }
    }
}

/// One entrant's line.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeaderboardRowView {
    /// Rank from 1, shared by entrants equal on points, first places, podiums and
    /// tournaments played.
    pub rank: u32,
    /// The entrant (a player, a bot or a team).
    pub participant: String,
    /// Its name in the last tournament it finished.
    pub name: String,
    /// Points: `entries - place + 1` per tournament, summed.
    pub points: u64,
    /// Tournaments counted.
    pub tournaments: u32,
    /// First places.
    pub wins: u32,
    /// Places 1 to 3.
    pub podiums: u32,
    /// Its best place.
    pub best: u32,
}

impl From<LeaderboardRow> for LeaderboardRowView {
    fn from(row: LeaderboardRow) -> Self {
        Self {
            rank: row.rank,
            participant: row.participant.as_str().to_owned(),
            name: row.name,
            points: row.points,
            tournaments: row.tournaments,
            wins: row.wins,
            podiums: row.podiums,
            best: row.best,
        }
    }
}

/// A page of the leaderboard.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeaderboardPage {
    /// Best first.
    pub rows: Vec<LeaderboardRowView>,
    /// Entrants on the whole leaderboard.
    pub total: usize,
}

/// The leaderboard across finished (completed or archived) tournaments: every entrant's
/// points (`entries - place + 1` per tournament), tournaments, first places, podiums and
/// best place, ranked by points, then first places, then podiums, then fewer tournaments.
/// `format` and `since` choose the tournaments counted; a tournament finished before finish
/// times were recorded counts only without `since`.
#[utoipa::path(get, path = "/v1/leaderboard", tag = "play",
    params(LeaderboardQuery),
    responses((status = 200, body = LeaderboardPage), (status = 400, body = ErrorBody)))]
async fn leaderboard_page(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<LeaderboardQuery>,
) -> Result<Json<LeaderboardPage>, ApiError> {
    let format = query.format.map(FormatParam::play_format);
    let since = query
        .since
        .as_deref()
        .map(|text| {
            DateTime::parse_from_rfc3339(text)
                .map(|at| at.with_timezone(&Utc))
                .map_err(|error| {
                    ApiError::bad_input(
                        "since",
                        format!(
                            "since must be an RFC 3339 time such as 2026-12-01T00:00:00Z: {error}"
                        ),
                    )
                })
        })
        .transpose()?;
    let limit = match query.limit {
        None => 100,
        Some(limit @ 1..=1000) => limit,
        Some(_) => return Err(ApiError::bad_input("limit", "limit must be 1 to 1000")),
    };
    let rows = state
        .service
        .leaderboard(&LeaderboardFilter { format, since })
        .await?;
    let total = rows.len();
    Ok(Json(LeaderboardPage {
        rows: rows
            .into_iter()
            .skip(query.offset.unwrap_or(0))
            .take(limit)
            .map(LeaderboardRowView::from)
            .collect(),
        total,
    }))
}
