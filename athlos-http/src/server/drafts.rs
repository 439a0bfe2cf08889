//! Fantasy drafts: create, list, read, the commissioner's actions (start, pause, resume,
//! undo, trade), picks, queues and the live state of the clock.
//!
//! The caller that creates a draft is its commissioner; each team may have a manager (a token
//! subject) who makes its picks and keeps its queue. The commissioner and admins may act for
//! every team. Queues are private: the draft views never show them, and only a team's
//! manager, the commissioner or an admin may read one.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use athlos_core::clock::Clock;
use athlos_core::draft::DraftRecord;
use athlos_core::draft::{
    Command, Draft, DraftConfig, DraftSettings, OnTheClock, Pick, Player, Position, RosterPosition,
};
use athlos_core::error::{DraftError, Error, ServiceError};
use athlos_core::event::Event;
use athlos_core::id::DraftId;
use athlos_core::lifecycle::draft::{ClockState, PickOrder};
use athlos_core::lifecycle::DraftState;
use athlos_core::model::ParticipantId;
use athlos_core::service::DraftChange;
use athlos_core::store::{AggregateRef, AggregateStore, Stored};

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::tournaments::page;
use super::AppState;

/// The routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_draft, list_drafts))
        .routes(routes!(get_draft))
        .routes(routes!(start))
        .routes(routes!(pause))
        .routes(routes!(resume))
        .routes(routes!(undo))
        .routes(routes!(trade))
        .routes(routes!(pick))
        .routes(routes!(get_queue, set_queue))
        .routes(routes!(live))
}

/// Recent picks the live view shows by default.
pub const DEFAULT_RECENT: usize = 10;

/// The most recent picks the live view shows.
pub const MAX_RECENT: usize = 100;

/// Parses a draft id from the path.
///
/// # Errors
/// 400 naming `draft_id`.
pub(crate) fn draft_id(text: &str) -> Result<DraftId, ApiError> {
    DraftId::new(text).map_err(|e| ApiError::bad_input("draft_id", e.to_string()))
}

async fn load(state: &AppState, id: &str) -> Result<Stored<DraftRecord>, ApiError> {
    Ok(state.service.draft(&draft_id(id)?).await?)
}

/// 404 unless the draft has team `team`.
fn known_team(draft: &Draft, team: u32) -> Result<(), ApiError> {
    let teams = draft.settings().teams();
    if team < teams {
        return Ok(());
    }
    let error: Error = DraftError::UnknownTeam { team, teams }.into();
    Err(error.into())
}

fn actions(draft: &Draft) -> Vec<String> {
    draft
        .available_actions()
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// What every view of a draft shows: its id, state and version, the actions the state
/// allows, who runs it, and how far it is.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DraftOverview {
    /// Id.
    #[schema(value_type = String)]
    pub id: DraftId,
    /// `scheduled`, `in_progress`, `paused` or `completed`.
    #[schema(value_type = String)]
    pub state: DraftState,
    /// Changes with every command.
    pub version: u64,
    /// The commissioner's actions the state allows (`start`, `pause` …).
    pub allowed_actions: Vec<String>,
    /// The token subject that created the draft.
    pub commissioner: String,
    /// One entry per team: its manager's token subject, or `null`.
    pub managers: Vec<Option<String>>,
    /// How many picks were made.
    pub picks_made: usize,
    /// How many picks the draft has.
    pub total_picks: u32,
    /// The pick on the clock (`pick`, `round`, `team`), `null` when none is.
    #[schema(value_type = Option<Object>)]
    pub on_the_clock: Option<OnTheClock>,
    /// When the clock runs out (RFC 3339), `null` unless it runs.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_deadline: Option<DateTime<Utc>>,
}

impl DraftOverview {
    /// The overview of `record`.
    fn of(record: &DraftRecord) -> Self {
        let d = &record.draft;
        Self {
            id: record.id().clone(),
            state: d.state(),
            version: d.version(),
            allowed_actions: actions(d),
            commissioner: record.commissioner.clone(),
            managers: record.managers.clone(),
            picks_made: d.picks().len(),
            total_picks: d.settings().total_picks(),
            on_the_clock: d.on_the_clock(),
            next_deadline: d.next_deadline().map(|deadline| deadline.at),
        }
    }
}

/// A draft as anyone may see it: everything but the queues.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DraftView {
    /// Id, state, progress and who runs it.
    #[serde(flatten)]
    pub overview: DraftOverview,
    /// The settings as created: `id`, `teams`, `rounds`, `order`, `seconds_per_pick`,
    /// `roster` and `pool`.
    #[schema(value_type = Object)]
    pub settings: DraftConfig,
    /// The team that owns each pick, in pick order, after trades.
    pub order: Vec<u32>,
    /// The picks made, in order: `number`, `round`, `team`, `player`, `auto` and `at`.
    #[schema(value_type = Vec<Object>)]
    pub picks: Vec<Pick>,
    /// The clock of the pick on the clock: `{"type": "running", "deadline"}` or
    /// `{"type": "paused", "remaining_ms"}`, `null` when no pick is on the clock.
    #[schema(value_type = Option<Object>)]
    pub clock: Option<ClockState>,
    /// The events a command committed (in the answers of commands only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub events: Option<Vec<Event>>,
}

impl DraftView {
    /// `record` as anyone may see it.
    fn of(record: &DraftRecord) -> Self {
        let d = &record.draft;
        Self {
            overview: DraftOverview::of(record),
            settings: d.settings().config().clone(),
            order: d.order().to_vec(),
            picks: d.picks().to_vec(),
            clock: d.clock(),
            events: None,
        }
    }

    /// The draft a command left, with the events it committed.
    fn of_change(change: &DraftChange) -> Self {
        Self {
            events: Some(change.events.clone()),
            ..Self::of(&change.draft.value)
        }
    }
}

/// A draft in a list: its settings without the pool (its size instead), and its progress
/// without the picks.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DraftSummary {
    /// Id, state, progress and who runs it.
    #[serde(flatten)]
    pub overview: DraftOverview,
    /// The settings without the pool.
    pub settings: SummarySettings,
    /// How many players the pool holds.
    pub pool_size: usize,
}

/// A draft's settings without its pool.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SummarySettings {
    /// The draft.
    #[schema(value_type = String)]
    pub id: DraftId,
    /// Number of teams.
    pub teams: u32,
    /// Number of rounds.
    pub rounds: u32,
    /// `linear`, `snake` or `third_round_reversal`.
    #[schema(value_type = String)]
    pub order: PickOrder,
    /// Seconds per pick.
    pub seconds_per_pick: u32,
    /// The roster by position: `position`, `starters` and `max` when set.
    #[schema(value_type = Vec<Object>)]
    pub roster: Vec<RosterPosition>,
}

impl DraftSummary {
    /// `record` in a list.
    fn of(record: &DraftRecord) -> Self {
        let config = record.draft.settings().config();
        Self {
            overview: DraftOverview::of(record),
            settings: SummarySettings {
                id: config.id.clone(),
                teams: config.teams,
                rounds: config.rounds,
                order: config.order,
                seconds_per_pick: config.seconds_per_pick,
                roster: config.roster.clone(),
            },
            pool_size: config.pool.len(),
        }
    }
}

/// A page of drafts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DraftList {
    /// By id.
    pub drafts: Vec<DraftSummary>,
    /// The page size used.
    pub limit: usize,
    /// Drafts skipped.
    pub offset: usize,
}

/// The order teams pick in, round after round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DraftOrder {
    /// The same order every round.
    Linear,
    /// The order reverses every round.
    Snake,
    /// Snake, except that round 3 repeats round 2's order; from round 4 the snake resumes.
    ThirdRoundReversal,
}

impl From<DraftOrder> for PickOrder {
    fn from(value: DraftOrder) -> Self {
        match value {
            DraftOrder::Linear => PickOrder::Linear,
            DraftOrder::Snake => PickOrder::Snake,
            DraftOrder::ThirdRoundReversal => PickOrder::ThirdRoundReversal,
        }
    }
}

/// What a roster holds of one position.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RosterSlot {
    /// The position (`QB`, `GK` …): 1-32 bytes without whitespace or control characters.
    #[schema(value_type = String)]
    pub position: Position,
    /// Starting slots: every final roster holds at least this many.
    pub starters: u32,
    /// The most players of the position a roster may hold (default: its starters plus every
    /// bench slot).
    #[serde(default)]
    pub max: Option<u32>,
}

/// A player of the pool.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolPlayer {
    /// Unique in the pool (1-200 bytes, no control characters).
    #[schema(value_type = String)]
    pub id: ParticipantId,
    /// A position the roster names.
    #[schema(value_type = String)]
    pub position: Position,
    /// Pre-draft rank: lower is better (auto-pick takes the best available; ties by id).
    pub rank: u32,
}

/// A new draft: its settings, and who manages each team.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDraft {
    /// Id (1-170 bytes, no control characters).
    #[schema(value_type = String)]
    pub id: DraftId,
    /// Number of teams (1-1000), numbered from 0 in the pick order of round 1.
    pub teams: u32,
    /// Number of rounds (1-100): each team's roster size.
    pub rounds: u32,
    /// The pick order.
    pub order: DraftOrder,
    /// The pick clock: seconds per pick (at least 1).
    pub seconds_per_pick: u32,
    /// The roster, by position (each position once).
    pub roster: Vec<RosterSlot>,
    /// The players that may be drafted: each position needs at least teams × its maximum.
    pub pool: Vec<PoolPlayer>,
    /// One entry per team (or none): the token subject that picks for the team and keeps
    /// its queue, or `null` for the commissioner alone.
    #[serde(default)]
    pub managers: Vec<Option<String>>,
}

impl CreateDraft {
    /// The core's settings as given, and the managers.
    fn into_parts(self) -> (DraftConfig, Vec<Option<String>>) {
        let config = DraftConfig {
            id: self.id,
            teams: self.teams,
            rounds: self.rounds,
            order: self.order.into(),
            seconds_per_pick: self.seconds_per_pick,
            roster: self
                .roster
                .into_iter()
                .map(|slot| RosterPosition {
                    position: slot.position,
                    starters: slot.starters,
                    max: slot.max,
                })
                .collect(),
            pool: self
                .pool
                .into_iter()
                .map(|player| Player {
                    id: player.id,
                    position: player.position,
                    rank: player.rank,
                })
                .collect(),
        };
        (config, self.managers)
    }
}

/// Creates a scheduled draft; the caller becomes its commissioner. 409 when the id is taken;
/// 422 with the reason when the settings cannot be drafted to the end (too few players of a
/// position, more starters than rounds …) or the managers do not match the teams.
#[utoipa::path(post, path = "/v1/drafts", tag = "drafts",
    request_body = CreateDraft,
    responses((status = 201, body = DraftView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn create_draft(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateDraft>,
) -> Result<impl IntoResponse, ApiError> {
    let (config, managers) = body.into_parts();
    if let Some(index) = managers
        .iter()
        .position(|m| m.as_deref().is_some_and(str::is_empty))
    {
        return Err(ApiError::bad_input(
            format!("managers[{index}]"),
            "a manager is a token subject (not empty), or null",
        ));
    }
    if state.store.draft(&config.id).await?.is_some() {
        return Err(ServiceError::IdTaken {
            aggregate: AggregateRef::Draft(config.id).to_string(),
        }
        .into());
    }
    let settings = DraftSettings::new(config).map_err(Error::from)?;
    let record = state
        .service
        .create_draft(settings, caller.sub(), managers)
        .await?;
    Ok((StatusCode::CREATED, Json(DraftView::of(&record.value))))
}

/// Paging and filter of the draft list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DraftListQuery {
    /// Only drafts in this state: `scheduled`, `in_progress`, `paused` or `completed`.
    #[param(value_type = Option<String>)]
    pub state: Option<DraftState>,
    /// At most this many (1-500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
    /// Skip this many (at most 2^40).
    #[param(maximum = 1099511627776_u64)]
    pub offset: Option<usize>,
}

/// Drafts by id, optionally in one state, paged; each as a summary (settings without the
/// pool, progress without the picks).
#[utoipa::path(get, path = "/v1/drafts", tag = "drafts",
    params(DraftListQuery),
    responses((status = 200, body = DraftList), (status = 400, body = ErrorBody)))]
async fn list_drafts(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<DraftListQuery>,
) -> Result<Json<DraftList>, ApiError> {
    let (limit, offset) = page(query.limit, query.offset)?;
    let found = state.service.drafts(query.state, limit, offset).await?;
    Ok(Json(DraftList {
        drafts: found.iter().map(|d| DraftSummary::of(&d.value)).collect(),
        limit,
        offset,
    }))
}

/// A draft: settings, state, version, the pick order after trades, the picks made, the pick
/// on the clock and its clock, the commissioner and the managers. Never the queues.
#[utoipa::path(get, path = "/v1/drafts/{draft_id}", tag = "drafts",
    params(("draft_id" = String, Path, description = "Draft id")),
    responses((status = 200, body = DraftView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_draft(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<DraftView>, ApiError> {
    Ok(Json(DraftView::of(&load(&state, &id).await?.value)))
}

/// Applies `command` to the draft (the caller was checked) and answers the draft with the
/// events of the change.
async fn apply(
    state: &AppState,
    record: &Stored<DraftRecord>,
    command: &Command,
) -> Result<Json<DraftView>, ApiError> {
    let change = state
        .service
        .draft_command(record.value.id(), command)
        .await?;
    Ok(Json(DraftView::of_change(&change)))
}

macro_rules! commissioner_action {
    ($name:ident, $path:literal, $command:expr, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "drafts",
            params(("draft_id" = String, Path, description = "Draft id")),
            responses((status = 200, body = DraftView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
                (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
            security(("bearer" = [])))]
        async fn $name(
            State(state): State<AppState>,
            caller: Caller,
            ApiPath(id): ApiPath<String>,
        ) -> Result<Json<DraftView>, ApiError> {
            let record = load(&state, &id).await?;
            record.value.may_direct(&caller.principal())?;
            apply(&state, &record, &$command).await
        }
    };
}

commissioner_action!(
    start,
    "/v1/drafts/{draft_id}/start",
    Command::Start,
    "Starts a scheduled draft: pick 1 comes on the clock (commissioner)."
);
commissioner_action!(
    pause,
    "/v1/drafts/{draft_id}/pause",
    Command::Pause,
    "Pauses the draft: the clock freezes with the time it has left (commissioner)."
);
commissioner_action!(
    resume,
    "/v1/drafts/{draft_id}/resume",
    Command::Resume,
    "Resumes a paused draft: the clock runs again with the time it had left (commissioner)."
);
commissioner_action!(
    undo,
    "/v1/drafts/{draft_id}/undo",
    Command::Undo,
    "Takes back the last pick, manual or automatic: its team is on the clock again with a full clock (commissioner)."
);

/// Two picks to swap.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TradeRequest {
    /// Two overall pick numbers (from 1) still to come, owned by two different teams.
    #[schema(min_items = 2, max_items = 2)]
    pub picks: [u32; 2],
}

/// Swaps the owners of two picks still to come (commissioner): 409 when a pick was already
/// made or is on the clock, 422 for a pick outside the draft or two picks of one team.
#[utoipa::path(post, path = "/v1/drafts/{draft_id}/trade", tag = "drafts",
    params(("draft_id" = String, Path, description = "Draft id")),
    request_body = TradeRequest,
    responses((status = 200, body = DraftView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn trade(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<TradeRequest>,
) -> Result<Json<DraftView>, ApiError> {
    let record = load(&state, &id).await?;
    record.value.may_direct(&caller.principal())?;
    apply(&state, &record, &Command::Trade { picks: body.picks }).await
}

/// A pick.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PickRequest {
    /// The overall pick number on the clock, from 1. Naming it makes a pick that arrives
    /// after the clock (or anyone) took that pick fail with 409 instead of taking the team's
    /// next one.
    pub pick: u32,
    /// The picking team, from 0.
    pub team: u32,
    /// The player taken.
    #[schema(value_type = String)]
    pub player: ParticipantId,
}

/// Makes the pick on the clock: the team's manager, the commissioner or an admin. 409 when
/// the pick named is not on the clock (made already, by hand or by the clock), the team does
/// not own it, or the player is taken; 422 for a player outside the pool or one the team's
/// roster has no room for.
#[utoipa::path(post, path = "/v1/drafts/{draft_id}/picks", tag = "drafts",
    params(("draft_id" = String, Path, description = "Draft id")),
    request_body = PickRequest,
    responses((status = 200, body = DraftView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn pick(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<PickRequest>,
) -> Result<Json<DraftView>, ApiError> {
    let record = load(&state, &id).await?;
    record.value.may_manage(&caller.principal(), body.team)?;
    let command = Command::Pick {
        pick: body.pick,
        team: body.team,
        player: body.player,
    };
    apply(&state, &record, &command).await
}

/// A team's queue.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueRequest {
    /// Players of the pool, most wanted first, each once: auto-pick takes the first that
    /// is available and fits the roster when the team's clock runs out.
    #[schema(value_type = Vec<String>)]
    pub players: Vec<ParticipantId>,
}

/// A team's queue, as its manager, the commissioner or an admin sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueView {
    /// The draft.
    #[schema(value_type = String)]
    pub draft: DraftId,
    /// The team, from 0.
    pub team: u32,
    /// The team's manager (token subject), `null` for the commissioner alone.
    pub manager: Option<String>,
    /// The draft's version.
    pub version: u64,
    /// The queue as set, most wanted first.
    #[schema(value_type = Vec<String>)]
    pub players: Vec<ParticipantId>,
    /// Those of them the team may still take, in queue order (auto-pick takes the first).
    #[schema(value_type = Vec<String>)]
    pub available: Vec<ParticipantId>,
    /// The events the change committed (in the answer of a change only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub events: Option<Vec<Event>>,
}

impl QueueView {
    /// The queue of `team` in `record`.
    fn of(record: &DraftRecord, team: u32) -> Self {
        let d = &record.draft;
        let queue = d.queue(team);
        Self {
            draft: record.id().clone(),
            team,
            manager: record.managers.get(team as usize).cloned().flatten(),
            version: d.version(),
            players: queue.to_vec(),
            available: queue.iter().filter(|p| d.fits(team, p)).cloned().collect(),
            events: None,
        }
    }
}

/// A team's queue (its manager, the commissioner or an admin): `players` as set, and
/// `available`, those of them the team may still take (auto-pick takes the first).
#[utoipa::path(get, path = "/v1/drafts/{draft_id}/teams/{team}/queue", tag = "drafts",
    params(("draft_id" = String, Path, description = "Draft id"), ("team" = u32, Path, description = "Team, from 0")),
    responses((status = 200, body = QueueView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn get_queue(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, team)): ApiPath<(String, u32)>,
) -> Result<Json<QueueView>, ApiError> {
    let record = load(&state, &id).await?;
    known_team(&record.value.draft, team)?;
    record.value.may_manage(&caller.principal(), team)?;
    Ok(Json(QueueView::of(&record.value, team)))
}

/// Replaces a team's queue (its manager, the commissioner or an admin), until the draft is
/// completed. 422 for a player outside the pool or named twice.
#[utoipa::path(put, path = "/v1/drafts/{draft_id}/teams/{team}/queue", tag = "drafts",
    params(("draft_id" = String, Path, description = "Draft id"), ("team" = u32, Path, description = "Team, from 0")),
    request_body = QueueRequest,
    responses((status = 200, body = QueueView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn set_queue(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, team)): ApiPath<(String, u32)>,
    ApiJson(body): ApiJson<QueueRequest>,
) -> Result<Json<QueueView>, ApiError> {
    let record = load(&state, &id).await?;
    known_team(&record.value.draft, team)?;
    record.value.may_manage(&caller.principal(), team)?;
    let command = Command::SetQueue {
        team,
        players: body.players,
    };
    let change = state
        .service
        .draft_command(record.value.id(), &command)
        .await?;
    Ok(Json(QueueView {
        events: Some(change.events),
        ..QueueView::of(&change.draft.value, team)
    }))
}

/// How many recent picks the live view shows.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LiveQuery {
    /// The last this many picks (0-100, default 10).
    #[param(minimum = 0, maximum = 100)]
    pub recent: Option<usize>,
}

/// Milliseconds left on `clock` at `now`: the time to the deadline (0 once past) while it
/// runs, the frozen remainder while it is paused.
pub(super) fn time_left_ms(clock: Option<ClockState>, now: DateTime<Utc>) -> Option<i64> {
    match clock? {
        ClockState::Running { deadline } => Some((deadline - now).num_milliseconds().max(0)),
        ClockState::Paused { remaining_ms } => Some(remaining_ms.max(0)),
    }
}

/// The pick on the clock, with the team's manager.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LivePick {
    /// Overall pick number, from 1.
    pub pick: u32,
    /// Round, from 1.
    pub round: u32,
    /// The team that owns it, from 0.
    pub team: u32,
    /// The team's manager (token subject), `null` for the commissioner alone.
    pub manager: Option<String>,
}

/// Whether the clock of the pick on the clock runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockRunning {
    /// The time runs out at `next_deadline`.
    Running,
    /// The draft is paused: the time left is frozen.
    Paused,
}

/// The live state of a draft at the server's time.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LiveDraft {
    /// The draft.
    #[schema(value_type = String)]
    pub draft: DraftId,
    /// `scheduled`, `in_progress`, `paused` or `completed`.
    #[schema(value_type = String)]
    pub state: DraftState,
    /// Changes with every command.
    pub version: u64,
    /// The server's time (RFC 3339).
    #[schema(value_type = String, format = DateTime)]
    pub server_time: DateTime<Utc>,
    /// The pick on the clock, `null` when none is.
    pub on_the_clock: Option<LivePick>,
    /// Its clock, `null` when no pick is on the clock.
    pub clock: Option<ClockRunning>,
    /// Milliseconds left on the clock (frozen while paused), `null` without one.
    pub time_left_ms: Option<i64>,
    /// When the clock runs out (RFC 3339), `null` unless it runs.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_deadline: Option<DateTime<Utc>>,
    /// How many picks were made.
    pub picks_made: usize,
    /// How many picks the draft has.
    pub total_picks: u32,
    /// The last picks, in pick order: `number`, `round`, `team`, `player`, `auto` and `at`.
    #[schema(value_type = Vec<Object>)]
    pub recent_picks: Vec<Pick>,
    /// The commissioner's actions the state allows.
    pub allowed_actions: Vec<String>,
}

/// The live state of a draft: its state and version, the pick on the clock (with its
/// round, team and manager), the time left on the clock in milliseconds at the server's
/// time (frozen while paused), the next deadline, the last `recent` picks in pick order, and
/// the actions the state allows.
#[utoipa::path(get, path = "/v1/drafts/{draft_id}/state", tag = "drafts",
    params(("draft_id" = String, Path, description = "Draft id"), LiveQuery),
    responses((status = 200, body = LiveDraft), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn live(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<LiveQuery>,
) -> Result<Json<LiveDraft>, ApiError> {
    let recent = query.recent.unwrap_or(DEFAULT_RECENT);
    if recent > MAX_RECENT {
        return Err(ApiError::bad_input(
            "recent",
            format!("recent must be between 0 and {MAX_RECENT}"),
        ));
    }
    let record = load(&state, &id).await?;
    let now = state.service.clock().now();
    let r = &record.value;
    let d = &r.draft;
    let on_the_clock = d.on_the_clock().map(|on| LivePick {
        pick: on.pick,
        round: on.round,
        team: on.team,
        manager: r.managers.get(on.team as usize).cloned().flatten(),
    });
    let picks = d.picks();
    let recent_picks = &picks[picks.len().saturating_sub(recent)..];
    Ok(Json(LiveDraft {
        draft: r.id().clone(),
        state: d.state(),
        version: d.version(),
        server_time: now,
        on_the_clock,
        clock: d.clock().map(|clock| match clock {
            ClockState::Running { .. } => ClockRunning::Running,
            ClockState::Paused { .. } => ClockRunning::Paused,
        }),
        time_left_ms: time_left_ms(d.clock(), now),
        next_deadline: d.next_deadline().map(|deadline| deadline.at),
        picks_made: picks.len(),
        total_picks: d.settings().total_picks(),
        recent_picks: recent_picks.to_vec(),
        allowed_actions: actions(d),
    }))
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    #[test]
    fn time_left_counts_down_to_zero_and_freezes_while_paused() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 29, 20, 0, 0).unwrap();
        let running = Some(ClockState::Running {
            deadline: t0 + Duration::seconds(30),
        });
        assert_eq!(time_left_ms(running, t0), Some(30_000));
        assert_eq!(
            time_left_ms(running, t0 + Duration::milliseconds(29_750)),
            Some(250)
        );
        assert_eq!(time_left_ms(running, t0 + Duration::seconds(31)), Some(0));
        let paused = Some(ClockState::Paused {
            remaining_ms: 12_345,
        });
        assert_eq!(time_left_ms(paused, t0), Some(12_345));
        assert_eq!(time_left_ms(paused, t0 + Duration::hours(5)), Some(12_345));
        assert_eq!(time_left_ms(None, t0), None);
    }

    #[test]
    fn extreme_clocks_do_not_overflow() {
        let end = DateTime::<Utc>::MAX_UTC;
        let start = DateTime::<Utc>::MIN_UTC;
        let far = Some(ClockState::Running { deadline: end });
        assert!(time_left_ms(far, start).is_some_and(|ms| ms > 0));
        assert_eq!(
            time_left_ms(Some(ClockState::Running { deadline: start }), end),
            Some(0)
        );
    }
}
