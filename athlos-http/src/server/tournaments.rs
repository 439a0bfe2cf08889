//! Tournaments: create, list, edit, publish, entries and teams, start, pairings, results
//! and abandoned matches, advance, standings, export, archive, cancel.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use athlos_core::bracket::{Bracket, MatchId, MatchResult, MatchStatus};
use athlos_core::event::Event;
use athlos_core::id::TournamentId;
use athlos_core::lifecycle::{Lifecycle, TournamentLifecycle, TournamentState};
use athlos_core::model::{Participant, ParticipantId};
use athlos_core::service::{
    playing_round, table_of, TableRow, TournamentChange, TournamentChanges,
};
use athlos_core::store::{AggregateRef, AggregateStore, Stored};
use athlos_core::tournament::{Team, Tournament, TournamentRules, TournamentSettings};
use chrono::{DateTime, Utc};

use super::auth::Caller;
use super::concurrency::{IfMatch, ResultBody, Tagged, WithEvents};
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::reads::{self, Freshness, ReadKey, Rendered};
use super::svg::no_bracket;
use super::AppState;

/// The routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_tournament, list_tournaments))
        .routes(routes!(get_tournament, delete_tournament, edit_tournament))
        .routes(routes!(publish))
        .routes(routes!(join))
        .routes(routes!(withdraw))
        .routes(routes!(register))
        .routes(routes!(unregister))
        .routes(routes!(list_teams, register_team))
        .routes(routes!(unregister_team))
        .routes(routes!(start))
        .routes(routes!(pairings))
        .routes(routes!(record_result))
        .routes(routes!(advance))
        .routes(routes!(standings))
        .routes(routes!(bracket_svg))
        .routes(routes!(export))
        .routes(routes!(archive))
        .routes(routes!(cancel))
}

fn tournament_id(text: &str) -> Result<TournamentId, ApiError> {
    TournamentId::new(text).map_err(|e| ApiError::bad_input("tournament_id", e.to_string()))
}

fn participant_id(text: &str, field: &str) -> Result<ParticipantId, ApiError> {
    ParticipantId::new(text).map_err(|e| ApiError::bad_input(field, e.to_string()))
}

/// A tournament.
async fn read(state: &AppState, id: &str) -> Result<Stored<Tournament>, ApiError> {
    Ok(state.service.tournament(&tournament_id(id)?).await?)
}

/// A tournament the caller directs (403 otherwise).
pub(crate) async fn directed(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<Stored<Tournament>, ApiError> {
    let tournament = read(state, id).await?;
    tournament.value.may_direct(&caller.principal())?;
    Ok(tournament)
}

/// A tournament as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TournamentView {
    /// Id.
    #[schema(value_type = String)]
    pub id: TournamentId,
    /// Display name.
    pub name: String,
    /// Changes with every write to the tournament; its `ETag` is `"v{version}"`.
    pub version: u64,
    /// `draft`, `registration`, `active`, `completed`, `archived` or `cancelled`.
    #[schema(value_type = String)]
    pub state: TournamentState,
    /// The actions the state allows (`publish`, `join`, `start`, `advance` …).
    pub allowed_actions: Vec<String>,
    /// The current round, from 1 (0 before the start).
    pub round: u32,
    /// How many rounds it has (`null` for a bracket before the start).
    pub rounds: Option<u32>,
    /// How it is played: `swiss` or bracket `options`, `min_entries`, `max_entries`, `seed`.
    #[schema(value_type = Object)]
    pub rules: TournamentRules,
    /// The entries (`id`, `name` and, when set, `rating`, `club`, `nation` …), in joining
    /// order.
    #[schema(value_type = Vec<Object>)]
    pub entries: Vec<Participant>,
    /// The token subject that directs it (`null`: administrators only).
    pub director: Option<String>,
    /// Entrants may report the results of their own matches.
    pub self_reporting: bool,
    /// A round closes by itself when its last result arrives.
    pub auto_advance: bool,
    /// When its last round completed (absent until then).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<DateTime<Utc>>,
    /// When play is announced to begin (`null`: not announced).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub starts_at: Option<DateTime<Utc>>,
    /// The teams registered, in registration order (each is also an entry).
    pub teams: Vec<TeamView>,
}

/// A team: its id (also its entry's id), name and members.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamView {
    /// Id, also the id of its entry.
    #[schema(value_type = String)]
    pub id: ParticipantId,
    /// Display name.
    pub name: String,
    /// The members' subjects.
    pub members: Vec<String>,
}

impl TeamView {
    fn of(team: &Team) -> Self {
        Self {
            id: team.id.clone(),
            name: team.name.clone(),
            members: team.members.clone(),
        }
    }
}

/// A tournament's teams.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamList {
    /// The tournament.
    #[schema(value_type = String)]
    pub tournament: TournamentId,
    /// In registration order.
    pub teams: Vec<TeamView>,
}

impl TournamentView {
    /// `tournament` as the API shows it.
    fn of(tournament: &Stored<Tournament>) -> Self {
        let t = &tournament.value;
        Self {
            id: t.id.clone(),
            name: t.name.clone(),
            version: tournament.version,
            state: t.state,
            allowed_actions: TournamentLifecycle::allowed(t.state)
                .iter()
                .map(ToString::to_string)
                .collect(),
            round: t.round,
            rounds: total_rounds(t),
            rules: t.rules.clone(),
            entries: t.entries.clone(),
            director: t.director.clone(),
            self_reporting: t.self_reporting,
            auto_advance: t.auto_advance,
            finished_at: t.finished_at,
            starts_at: t.starts_at,
            teams: t.teams.iter().map(TeamView::of).collect(),
        }
    }
}

/// A page of tournaments.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TournamentList {
    /// By id.
    pub tournaments: Vec<TournamentView>,
    /// The page size used.
    pub limit: usize,
    /// Tournaments skipped.
    pub offset: usize,
}

/// A deleted tournament.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TournamentDeleted {
    /// Its id (reserved to its director).
    #[schema(value_type = String)]
    pub id: TournamentId,
    /// Always true.
    pub deleted: bool,
    /// The events the deletion logged (`tournament.deleted`).
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<Event>,
}

/// A game of a round, bracket or Swiss.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GameView {
    /// Match id (`MAIN-R1-M1` …).
    #[schema(value_type = String)]
    pub match_id: MatchId,
    /// The tournament round it is played in.
    pub round: u32,
    /// The two sides' entry ids (white first in a Swiss); `null` for a side not known yet or
    /// a bye.
    #[schema(value_type = Vec<Option<String>>, min_items = 2, max_items = 2)]
    pub sides: [Option<ParticipantId>; 2],
    /// `pending`, `ready`, `completed`, `walkover` or `bye`.
    #[schema(value_type = String)]
    pub status: MatchStatus,
    /// The result once recorded (`{"type": "win", "winner"}` …), `null` before.
    #[schema(value_type = Option<Object>)]
    pub result: Option<MatchResult>,
}

/// The pairings of a round.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Pairings {
    /// The tournament.
    #[schema(value_type = String)]
    pub tournament: TournamentId,
    /// The round.
    pub round: u32,
    /// Whether every game of the round is decided.
    pub complete: bool,
    /// The games, in board order.
    pub pairings: Vec<GameView>,
}

/// A tournament's standings.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StandingsView {
    /// The tournament.
    #[schema(value_type = String)]
    pub tournament: TournamentId,
    /// Its state.
    #[schema(value_type = String)]
    pub state: TournamentState,
    /// Its current round.
    pub round: u32,
    /// Whether the standings are final.
    #[serde(rename = "final")]
    pub is_final: bool,
    /// Best first: `rank`, `participant`, `name`, `number` (Swiss), `points`, `wins`,
    /// `draws`, `losses` and `tiebreaks` by code.
    #[schema(value_type = Vec<Object>)]
    pub standings: Vec<TableRow>,
}

/// A line of the NDJSON export, named by its `type`.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ExportLine<'a> {
    /// The tournament.
    Tournament {
        id: &'a TournamentId,
        name: &'a str,
        state: TournamentState,
        round: u32,
        rules: &'a TournamentRules,
    },
    /// An entry.
    Entry { participant: &'a Participant },
    /// A game.
    Match(GameView),
    /// A standings row.
    Standing(&'a TableRow),
}

pub(crate) fn total_rounds(t: &Tournament) -> Option<u32> {
    match (&t.rules.swiss, t.bracket()) {
        (Some(swiss), _) => Some(swiss.rounds),
        (None, Some(bracket)) => Some(bracket.rounds()),
        (None, None) => None,
    }
}

/// The games of round `round`, bracket or Swiss, as the API shows them.
pub(crate) fn round_games(t: &Tournament, round: u32) -> Option<Vec<GameView>> {
    if let Some(play) = t.swiss() {
        return play.round(round).map(|r| {
            r.games
                .iter()
                .map(|g| GameView {
                    match_id: g.id,
                    round,
                    sides: g.sides(),
                    status: g.status(),
                    result: g.result.clone(),
                })
                .collect()
        });
    }
    let bracket = t.bracket()?;
    if round == 0 || round > bracket.rounds() {
        return None;
    }
    Some(
        bracket
            .matches()
            .iter()
            .filter(|m| playing_round(bracket, m) == round)
            .map(|m| match_view(bracket, m))
            .collect(),
    )
}

/// A change's view with its events, tagged with the tournament's version.
fn tagged(change: TournamentChange) -> Tagged<WithEvents<TournamentView>> {
    let view = TournamentView::of(&change.tournament);
    let events = change.events;
    Tagged(change.tournament.version, WithEvents { view, events })
}

/// A new tournament.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTournament {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// How it is played: a Swiss, `{"swiss": {"rounds": 5}}` (with optional `tiebreaks`,
    /// `edition` "2024"/"2026" of the FIDE tie-break regulations, `points` such as "3-1-0",
    /// `initial_colour`, `acceleration`, `auto_advance`, `first_round_seed`), or a bracket,
    /// `{"options": {"format": "single_elimination"}}`; `min_entries` (default 2),
    /// `max_entries`, `seed` (default 0).
    #[schema(value_type = Object)]
    pub rules: TournamentRules,
    /// Entrants may report the results of their own matches.
    #[serde(default)]
    pub self_reporting: bool,
    /// Close a round by itself when its last result arrives.
    #[serde(default)]
    pub auto_advance: bool,
}

/// Creates a tournament in `draft`; the caller becomes its director.
#[utoipa::path(post, path = "/v1/tournaments", tag = "tournaments",
    request_body = CreateTournament,
    responses((status = 201, body = TournamentView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn create_tournament(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateTournament>,
) -> Result<impl IntoResponse, ApiError> {
    let id = tournament_id(&body.id).map_err(|e| e.with("field", "id"))?;
    let settings = TournamentSettings {
        director: Some(caller.sub().to_owned()),
        self_reporting: body.self_reporting,
        auto_advance: body.auto_advance,
        board: None,
        withdrawals_close_at_start: false,
    };
    let tournament = state
        .service
        .create_tournament_with(id, body.name, body.rules, settings)
        .await?;
    Ok((StatusCode::CREATED, Json(TournamentView::of(&tournament))))
}

/// The largest `offset` of a list (databases page with signed 64-bit numbers).
pub(crate) const MAX_OFFSET: usize = 1 << 40;

/// The largest `limit` of a list.
pub(crate) const MAX_LIMIT: usize = 500;

/// A list's `limit` (default 50) and `offset` (default 0), checked: 400 naming the one out
/// of range.
pub(crate) fn page(
    limit: Option<usize>,
    offset: Option<usize>,
) -> Result<(usize, usize), ApiError> {
    let limit = limit.unwrap_or(50);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_input(
            "limit",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let offset = offset.unwrap_or(0);
    if offset > MAX_OFFSET {
        return Err(ApiError::bad_input(
            "offset",
            format!("offset must be at most {MAX_OFFSET}"),
        ));
    }
    Ok((limit, offset))
}

/// Paging and filter of the tournament list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only tournaments in this state: `draft`, `registration`, `active`, `completed`,
    /// `archived` or `cancelled`.
    #[param(value_type = Option<String>)]
    pub status: Option<TournamentState>,
    /// At most this many (1-500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
    /// Skip this many (at most 2^40).
    #[param(maximum = 1099511627776_u64)]
    pub offset: Option<usize>,
}

/// Tournaments by id, optionally in one state, paged.
#[utoipa::path(get, path = "/v1/tournaments", tag = "tournaments",
    params(ListQuery),
    responses((status = 200, body = TournamentList), (status = 400, body = ErrorBody)))]
async fn list_tournaments(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<TournamentList>, ApiError> {
    let (limit, offset) = page(query.limit, query.offset)?;
    let found = state.store.tournaments(query.status, limit, offset).await?;
    Ok(Json(TournamentList {
        tournaments: found.iter().map(TournamentView::of).collect(),
        limit,
        offset,
    }))
}

/// A tournament.
#[utoipa::path(get, path = "/v1/tournaments/{tournament_id}", tag = "tournaments",
    params(("tournament_id" = String, Path, description = "Tournament id")),
    responses((status = 200, body = TournamentView, headers(("ETag" = String, description = "The tournament's version, e.g. \"v12\""))),
        (status = 404, body = ErrorBody)))]
async fn get_tournament(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Tagged<TournamentView>, ApiError> {
    let tournament = read(&state, &id).await?;
    Ok(Tagged(tournament.version, TournamentView::of(&tournament)))
}

/// Deletes a tournament that has not started, in `draft` or `registration` (director):
/// `tournament.deleted` is logged with the deletion. Once started it is refused with 409, the
/// state and the allowed actions (cancel or archive it instead). The id stays reserved to its
/// director, who may create a tournament under it again (with any settings).
#[utoipa::path(delete, path = "/v1/tournaments/{tournament_id}", tag = "tournaments",
    params(("If-Match" = Option<String>, Header, description = "The ETag as read, e.g. \"v12\": the write applies only at that version"), ("tournament_id" = String, Path, description = "Tournament id")),
    responses((status = 412, body = ErrorBody, description = "`precondition_failed`: no longer at the `If-Match` version"), (status = 200, body = TournamentDeleted), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
async fn delete_tournament(
    State(state): State<AppState>,
    if_match: IfMatch,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<TournamentDeleted>, ApiError> {
    let tournament = directed(&state, &caller, &id).await?;
    let id = tournament.value.id;
    let events = if_match.guard(state.service.delete_tournament(&id)).await?;
    Ok(Json(TournamentDeleted {
        id,
        deleted: true,
        events,
    }))
}

/// Changes to a tournament in `draft`: each field left out stays as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditTournament {
    /// New display name.
    #[serde(default)]
    pub name: Option<String>,
    /// New rules, replacing the rules whole (as `rules` when creating).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub rules: Option<TournamentRules>,
    /// New minimum of entries to start.
    #[serde(default)]
    #[schema(minimum = 0)]
    pub min_entries: Option<usize>,
    /// New maximum of entries; `null` removes the limit.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u64>, minimum = 0)]
    pub max_entries: Option<Option<usize>>,
    /// When play is announced to begin (RFC 3339); `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub starts_at: Option<Option<DateTime<Utc>>>,
}

/// A field that is present, as `Some` of its value (`Some(None)` for `null`); an absent one
/// stays `None` by its default.
fn present<'de, T: Deserialize<'de>, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Edits a tournament in `draft` (director): `name`, `rules`, `min_entries`, `max_entries`
/// and `starts_at`, logged as `tournament.edited`; an edit that changes nothing logs nothing
/// and keeps the version. After `draft` it is refused with 409, the state and the allowed
/// actions. With `If-Match: "v{version}"` it applies only at that version.
#[utoipa::path(patch, path = "/v1/tournaments/{tournament_id}", tag = "tournaments",
    params(("If-Match" = Option<String>, Header, description = "The ETag as read, e.g. \"v12\": the write applies only at that version"), ("tournament_id" = String, Path, description = "Tournament id")),
    request_body = EditTournament,
    responses((status = 200, body = WithEvents<TournamentView>, headers(("ETag" = String, description = "The tournament's version, e.g. \"v12\""))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "Not in `draft`: the state and `allowed_actions`"),
        (status = 412, body = ErrorBody, description = "`precondition_failed`: no longer at the `If-Match` version"),
        (status = 422, body = ErrorBody, description = "`unsupported_format`, `no_rounds` or `entry_limits`")),
    security(("bearer" = [])))]
async fn edit_tournament(
    State(state): State<AppState>,
    if_match: IfMatch,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<EditTournament>,
) -> Result<Tagged<WithEvents<TournamentView>>, ApiError> {
    let tournament = directed(&state, &caller, &id).await?;
    let changes = TournamentChanges {
        name: body.name,
        rules: body.rules,
        min_entries: body.min_entries,
        max_entries: body.max_entries,
        starts_at: body.starts_at,
    };
    let change = if_match
        .guard(state.service.edit_tournament(&tournament.value.id, changes))
        .await?;
    Ok(tagged(change))
}

macro_rules! director_action {
    ($name:ident, $path:literal, $method:ident, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "tournaments",
            params(("If-Match" = Option<String>, Header, description = "The ETag as read, e.g. \"v12\": the write applies only at that version"), ("tournament_id" = String, Path, description = "Tournament id")),
            responses((status = 412, body = ErrorBody, description = "`precondition_failed`: no longer at the `If-Match` version"), (status = 200, body = WithEvents<TournamentView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
                (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
            security(("bearer" = [])))]
        async fn $name(
            State(state): State<AppState>,
    if_match: IfMatch,
            caller: Caller,
            ApiPath(id): ApiPath<String>,
        ) -> Result<Tagged<WithEvents<TournamentView>>, ApiError> {
            let tournament = directed(&state, &caller, &id).await?;
            let change = if_match.guard(state.service.$method(&tournament.value.id)).await?;
            Ok(tagged(change))
        }
    };
}

director_action!(
    publish,
    "/v1/tournaments/{tournament_id}/publish",
    publish,
    "Opens registration (director)."
);
director_action!(start, "/v1/tournaments/{tournament_id}/start", start,
    "Starts the tournament: draws and opens round 1 (director; needs the minimum entries, at least 2).");
director_action!(
    advance,
    "/v1/tournaments/{tournament_id}/advance",
    advance,
    "Closes the current round once every match is decided: opens the next or finishes (director)."
);
director_action!(
    archive,
    "/v1/tournaments/{tournament_id}/archive",
    archive,
    "Archives a completed or cancelled tournament (director)."
);
director_action!(
    cancel,
    "/v1/tournaments/{tournament_id}/cancel",
    cancel,
    "Cancels a tournament that has not started (director)."
);

/// What an entrant tells about itself when joining.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    /// Display name (default: the token's subject).
    #[serde(default)]
    pub name: Option<String>,
    /// Rating.
    #[serde(default)]
    pub rating: Option<u32>,
    /// Club.
    #[serde(default)]
    pub club: Option<String>,
    /// Nation.
    #[serde(default)]
    pub nation: Option<String>,
}

/// Joins as the token's subject (the entry id is the subject).
#[utoipa::path(post, path = "/v1/tournaments/{tournament_id}/join", tag = "entries",
    params(("If-Match" = Option<String>, Header, description = "The ETag as read, e.g. \"v12\": the write applies only at that version"), ("tournament_id" = String, Path, description = "Tournament id")),
    request_body = JoinRequest,
    responses((status = 412, body = ErrorBody, description = "`precondition_failed`: no longer at the `If-Match` version"), (status = 200, body = WithEvents<TournamentView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
async fn join(
    State(state): State<AppState>,
    if_match: IfMatch,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<JoinRequest>,
) -> Result<Tagged<WithEvents<TournamentView>>, ApiError> {
    let tournament = read(&state, &id).await?;
    let name = body.name.unwrap_or_else(|| caller.sub().to_owned());
    let mut entry = Participant::new(caller.sub(), name)
        .map_err(|e| ApiError::bad_input("sub", e.to_string()))?;
    entry.rating = body.rating;
    entry.club = body.club;
    entry.nation = body.nation;
    let change = if_match
        .guard(state.service.join(&tournament.value.id, entry))
        .await?;
    Ok(tagged(change))
}

/// Withdraws the token's subject: removed during registration, walkovers once active.
#[utoipa::path(post, path = "/v1/tournaments/{tournament_id}/withdraw", tag = "entries",
    params(("If-Match" = Option<String>, Header, description = "The ETag as read, e.g. \"v12\": the write applies only at that version"), ("tournament_id" = String, Path, description = "Tournament id")),
    responses((status = 412, body = ErrorBody, description = "`precondition_failed`: no longer at the `If-Match` version"), (status = 200, body = WithEvents<TournamentView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
async fn withdraw(
    State(state): State<AppState>,
    if_match: IfMatch,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Tagged<WithEvents<TournamentView>>, ApiError> {
    let tournament = read(&state, &id).await?;
    let entry = participant_id(caller.sub(), "sub")?;
    let change = if_match
        .guard(state.service.withdraw(&tournament.value.id, &entry))
        .await?;
    Ok(tagged(change))
}

/// Registers an entry on its behalf (director): a participant `{"id", "name", …}`.
#[utoipa::path(post, path = "/v1/tournaments/{tournament_id}/register", tag = "entries",
    params(("If-Match" = Option<String>, Header, description = "The ETag as read, e.g. \"v12\": the write applies only at that version"), ("tournament_id" = String, Path, description = "Tournament id")),
    request_body = NewEntry,
    responses((status = 412, body = ErrorBody, description = "`precondition_failed`: no longer at the `If-Match` version"), (status = 200, body = WithEvents<TournamentView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
async fn register(
    State(state): State<AppState>,
    if_match: IfMatch,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(NewEntry(entry)): ApiJson<NewEntry>,
) -> Result<Tagged<WithEvents<TournamentView>>, ApiError> {
    let tournament = directed(&state, &caller, &id).await?;
    let change = if_match
        .guard(state.service.join(&tournament.value.id, entry))
        .await?;
    Ok(tagged(change))
}

/// An entry to register: a participant, `{"id", "name"}` with optional `rating`, `rank`,
/// `seed`, `club`, `nation` and `metadata`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = Object)]
pub struct NewEntry(pub Participant);

/// Names an entry.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryRef {
    /// The entry's id.
    pub participant: String,
}

/// Withdraws an entry on its behalf (director).
#[utoipa::path(post, path = "/v1/tournaments/{tournament_id}/unregister", tag = "entries",
    params(("If-Match" = Option<String>, Header, description = "The ETag as read, e.g. \"v12\": the write applies only at that version"), ("tournament_id" = String, Path, description = "Tournament id")),
    request_body = EntryRef,
    responses((status = 412, body = ErrorBody, description = "`precondition_failed`: no longer at the `If-Match` version"), (status = 200, body = WithEvents<TournamentView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
async fn unregister(
    State(state): State<AppState>,
    if_match: IfMatch,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<EntryRef>,
) -> Result<Tagged<WithEvents<TournamentView>>, ApiError> {
    let entry = participant_id(&body.participant, "participant")?;
    let tournament = directed(&state, &caller, &id).await?;
    let change = if_match
        .guard(state.service.withdraw(&tournament.value.id, &entry))
        .await?;
    Ok(tagged(change))
}

/// A team to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTeam {
    /// The team's id, also its entry's id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The members' subjects (1 to 64, distinct); the caller must be among them unless they
    /// direct the tournament.
    pub members: Vec<String>,
}

/// The teams of a tournament, in registration order.
#[utoipa::path(get, path = "/v1/tournaments/{tournament_id}/teams", tag = "entries",
    params(("tournament_id" = String, Path, description = "Tournament id")),
    responses((status = 200, body = TeamList), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_teams(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<TeamList>, ApiError> {
    let tournament = read(&state, &id).await?;
    let t = tournament.value;
    Ok(Json(TeamList {
        teams: t.teams.iter().map(TeamView::of).collect(),
        tournament: t.id,
    }))
}

/// Registers a team during registration (a member of it, or the director): the team becomes
/// an entry whose id is the team's id. 403 when the caller is neither among the members nor
/// the director; 409 outside registration or when full (the state and the allowed actions),
/// `already_entered` for an id in use, `on_another_team` for a member already on a team of
/// this tournament; 422 `invalid_team` for a blank name or members missing, blank or
/// repeated.
#[utoipa::path(post, path = "/v1/tournaments/{tournament_id}/teams", tag = "entries",
    params(("If-Match" = Option<String>, Header, description = "The ETag as read, e.g. \"v12\": the write applies only at that version"), ("tournament_id" = String, Path, description = "Tournament id")),
    request_body = NewTeam,
    responses((status = 412, body = ErrorBody, description = "`precondition_failed`: no longer at the `If-Match` version"), (status = 200, body = WithEvents<TournamentView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn register_team(
    State(state): State<AppState>,
    if_match: IfMatch,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<NewTeam>,
) -> Result<Tagged<WithEvents<TournamentView>>, ApiError> {
    let team = Team {
        id: participant_id(&body.id, "id")?,
        name: body.name,
        members: body.members,
    };
    let tournament = read(&state, &id).await?;
    tournament
        .value
        .may_register_team(&caller.principal(), &team)?;
    let change = if_match
        .guard(state.service.register_team(&tournament.value.id, team))
        .await?;
    Ok(tagged(change))
}

/// Unregisters a team during registration (a member of it, or the director): its entry
/// leaves the field. 403 for anyone else; 404 `unknown_team`; 409 outside registration.
#[utoipa::path(delete, path = "/v1/tournaments/{tournament_id}/teams/{team_id}", tag = "entries",
    params(("If-Match" = Option<String>, Header, description = "The ETag as read, e.g. \"v12\": the write applies only at that version"), ("tournament_id" = String, Path, description = "Tournament id"), ("team_id" = String, Path, description = "Team id")),
    responses((status = 412, body = ErrorBody, description = "`precondition_failed`: no longer at the `If-Match` version"), (status = 200, body = WithEvents<TournamentView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
async fn unregister_team(
    State(state): State<AppState>,
    if_match: IfMatch,
    caller: Caller,
    ApiPath((id, team)): ApiPath<(String, String)>,
) -> Result<Tagged<WithEvents<TournamentView>>, ApiError> {
    let team = participant_id(&team, "team_id")?;
    let tournament = read(&state, &id).await?;
    tournament
        .value
        .may_unregister_team(&caller.principal(), &team)?;
    let change = if_match
        .guard(state.service.unregister_team(&tournament.value.id, &team))
        .await?;
    Ok(tagged(change))
}

fn match_view(bracket: &Bracket, m: &athlos_core::bracket::Match) -> GameView {
    GameView {
        match_id: m.id,
        round: playing_round(bracket, m),
        sides: [m.participant(0).cloned(), m.participant(1).cloned()],
        status: m.status,
        result: m.result.clone(),
    }
}

/// The read cache's key of `view` of a tournament (400 for a malformed id).
fn tournament_read(id: &str, view: String) -> Result<ReadKey, ApiError> {
    Ok(ReadKey::new(
        AggregateRef::Tournament(tournament_id(id)?),
        view,
    ))
}

/// The pairings of round `n`. Rendered once per tournament version; `If-None-Match` with the
/// `ETag` answers 304.
#[utoipa::path(get, path = "/v1/tournaments/{tournament_id}/rounds/{round}/pairings", tag = "play",
    params(("tournament_id" = String, Path, description = "Tournament id"), ("round" = u32, Path, description = "Round, from 1"),
        ("If-None-Match" = Option<String>, Header, description = "An `ETag` read before, e.g. \"v12\": 304 while the tournament is still at that version")),
    responses((status = 200, body = Pairings, headers(("ETag" = String, description = "The tournament's version, e.g. \"v12\""), ("Cache-Control" = String, description = "`no-cache`: revalidate with the ETag"))),
        (status = 304, description = "Not modified: the tournament is still at the `If-None-Match` version"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn pairings(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath((id, round)): ApiPath<(String, u32)>,
) -> Result<Response, ApiError> {
    let key = tournament_read(&id, format!("pairings {round}"))?;
    reads::serve(&state, &headers, key, Freshness::Live, || async {
        let tournament = read(&state, &id).await?;
        let t = &tournament.value;
        let unpaired = || {
            ApiError::not_found(format!(
                "round {round} has not been paired (current round {})",
                t.round
            ))
        };
        if round == 0 || round > t.round {
            return Err(unpaired());
        }
        let games = round_games(t, round).ok_or_else(unpaired)?;
        let complete = games
            .iter()
            .all(|g| !matches!(g.status, MatchStatus::Ready | MatchStatus::Pending));
        let view = Pairings {
            tournament: t.id.clone(),
            round,
            complete,
            pairings: games,
        };
        Rendered::json(tournament.version, &view)
    })
    .await
}

/// Records the result of a pending match of the current round: the director, or an entrant
/// of the match where self-reporting is allowed. With auto-advance, the round closes when
/// its last result arrives.
///
/// `{"type": "double_forfeit"}` abandons the match (the lifecycle's `abandon_match`, the
/// director only): both sides lose. In a knockout neither advances and the opponent waiting
/// in the next match goes through by bye; in a round robin both take a loss and no points; in
/// a Swiss both lose by forfeit, 0 points each (`0F-0F`). Its status is `walkover` with no
/// winner, and it is logged as `match.result` with that result.
///
/// A match that already has a result keeps it: the same result again answers 200 with the
/// tournament as it stands and no new event; another result is 409 `result_exists` with the
/// `recorded` one, unless the body says `"correction": true` — accepted while no match that
/// depends on this one has been played (in a Swiss: for a game of the current round) and
/// logged as `match.corrected` with the previous and the new result. With
/// `If-Match: "v{version}"` the write applies only while the tournament is at that version
/// (412 `precondition_failed` with `current_version` otherwise).
#[utoipa::path(post, path = "/v1/tournaments/{tournament_id}/matches/{match_id}/result", tag = "play",
    params(("tournament_id" = String, Path, description = "Tournament id"), ("match_id" = String, Path, description = "Match id"),
        ("If-Match" = Option<String>, Header, description = "The tournament's ETag as read, e.g. \"v12\"")),
    request_body(content = ResultBody, description = "A match result, with `\"correction\": true` to replace a recorded one"),
    responses((status = 200, body = WithEvents<TournamentView>, headers(("ETag" = String, description = "The tournament's version, e.g. \"v12\""))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "`result_exists` (with the recorded result), `dependent_played`, `not_in_current_round`, or a lifecycle refusal"),
        (status = 412, body = ErrorBody, description = "`precondition_failed`: the tournament is no longer at the `If-Match` version"),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn record_result(
    State(state): State<AppState>,
    caller: Caller,
    if_match: IfMatch,
    ApiPath((id, match_text)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<Tagged<WithEvents<TournamentView>>, ApiError> {
    let match_id: MatchId = match_text
        .parse()
        .map_err(|e: athlos_core::error::BracketError| {
            ApiError::bad_input("match_id", e.to_string())
        })?;
    let written = ResultBody::from_object(body)?;
    let tournament = read(&state, &id).await?;
    tournament
        .value
        .may_record(&caller.principal(), &match_id, &written.result)?;
    let change = state
        .service
        .write_result(
            &tournament.value.id,
            match_id,
            written.result,
            if_match.write(written.correction),
        )
        .await?;
    Ok(tagged(change))
}

/// Standings: rank, name, points, wins, draws, losses and tie-breaks; final once complete.
/// Computed once per tournament version; `If-None-Match` with the `ETag` answers 304.
#[utoipa::path(get, path = "/v1/tournaments/{tournament_id}/standings", tag = "play",
    params(("tournament_id" = String, Path, description = "Tournament id"),
        ("If-None-Match" = Option<String>, Header, description = "An `ETag` read before, e.g. \"v12\": 304 while the tournament is still at that version")),
    responses((status = 200, body = StandingsView, headers(("ETag" = String, description = "The tournament's version, e.g. \"v12\""), ("Cache-Control" = String, description = "`no-cache`: revalidate with the ETag"))),
        (status = 304, description = "Not modified: the tournament is still at the `If-None-Match` version"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn standings(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let key = tournament_read(&id, "standings".to_owned())?;
    reads::serve(&state, &headers, key, Freshness::Live, || async {
        let tournament = read(&state, &id).await?;
        let t = tournament.value;
        let table = table_of(&t);
        let view = StandingsView {
            tournament: t.id,
            state: t.state,
            round: t.round,
            is_final: table.is_final,
            standings: table.rows,
        };
        Rendered::json(tournament.version, &view)
    })
    .await
}

/// The bracket as an SVG picture (`Bracket::to_svg`: rounds joined by lines, pools as cross
/// tables, winners marked), as it stands. 404 `no_bracket` before the start (the bracket is
/// drawn then) and for a Swiss, which has pairings and standings instead.
#[utoipa::path(get, path = "/v1/tournaments/{tournament_id}/bracket.svg", tag = "play",
    params(("tournament_id" = String, Path, description = "Tournament id"),
        ("If-None-Match" = Option<String>, Header, description = "An `ETag` read before: 304 while the tournament is still at that version")),
    responses((status = 200, description = "A self-contained SVG document", content((String = "image/svg+xml"))),
        (status = 304, description = "Not modified: the tournament is still at the `If-None-Match` version"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody, description = "No such tournament, or `no_bracket`: not started, or a Swiss")))]
async fn bracket_svg(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let key = tournament_read(&id, "bracket.svg".to_owned())?;
    reads::serve(&state, &headers, key, Freshness::Live, || async {
        let tournament = read(&state, &id).await?;
        let t = &tournament.value;
        if let Some(bracket) = t.bracket() {
            return Ok(Rendered::svg(tournament.version, bracket.to_svg()));
        }
        let reason = if t.rules.swiss.is_some() {
            "is a Swiss: it has pairings and standings, not a bracket"
        } else {
            "has no bracket yet: it is drawn when the tournament starts"
        };
        Err(no_bracket(format!("tournament \"{}\" {reason}", t.id)))
    })
    .await
}

/// Export format.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// `ndjson` (default) or `trf` (TRF-16, Swiss tournaments).
    pub format: Option<String>,
}

/// The tournament as NDJSON (`?format=ndjson`, the default): a `tournament` line, one `entry`
/// line per entry, one `match` line per match in round order, and one `standing` line per
/// entry; or as TRF-16 (`?format=trf`, Swiss tournaments).
#[utoipa::path(get, path = "/v1/tournaments/{tournament_id}/export", tag = "play",
    params(("tournament_id" = String, Path, description = "Tournament id"), ExportQuery),
    responses((status = 200, description = "NDJSON lines, or a TRF-16 file",
            content((String = "application/x-ndjson"), (String = "text/plain"))),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn export(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let format = query.format.as_deref().unwrap_or("ndjson");
    if format != "ndjson" && format != "trf" {
        return Err(ApiError::bad_input(
            "format",
            "format must be ndjson or trf",
        ));
    }
    let tournament = read(&state, &id).await?;
    let t = &tournament.value;
    if format == "trf" {
        if t.swiss().is_none() {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "not_swiss",
                format!(
                    "tournament \"{}\" is not a started Swiss: TRF export needs one",
                    t.id
                ),
            ));
        }
        let text = state.service.export_trf(&t.id).await?;
        return Ok(([(CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response());
    }
    let mut lines = vec![ExportLine::Tournament {
        id: &t.id,
        name: &t.name,
        state: t.state,
        round: t.round,
        rules: &t.rules,
    }];
    lines.extend(
        t.entries
            .iter()
            .map(|participant| ExportLine::Entry { participant }),
    );
    let played = if t.swiss().is_some() {
        t.round
    } else {
        total_rounds(t).unwrap_or(0)
    };
    for round in 1..=played {
        let games = round_games(t, round).unwrap_or_default();
        lines.extend(games.into_iter().map(ExportLine::Match));
    }
    let table = table_of(t);
    lines.extend(table.rows.iter().map(ExportLine::Standing));
    let mut body = String::new();
    for line in lines {
        let text = serde_json::to_string(&line).map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                format!("cannot encode the export: {e}"),
            )
        })?;
        body.push_str(&text);
        body.push('\n');
    }
    Ok(([(CONTENT_TYPE, "application/x-ndjson")], body).into_response())
}
