//! Events (competitions), their divisions, participants and brackets, and generation jobs.

use std::collections::BTreeMap;

use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use athlos_core::bracket::{Bracket, BracketOptions, MatchId};
use athlos_core::competition::{Competition, Division, DivisionRules};
use athlos_core::diff::{BracketDiff, Overrides, Preview};
use athlos_core::error::ServiceError;
use athlos_core::event::Event;
use athlos_core::id::{CompetitionId, DivisionId, TagName};
use athlos_core::lifecycle::{BracketLifecycle, BracketState, Lifecycle};
use athlos_core::model::{ModelError, Participant};
use athlos_core::report::DrawReport;
use athlos_core::service::{DivisionChanges, Generated};
use athlos_core::store::{AggregateRef, AggregateStore, JobId, JobStore, Stored};
use athlos_core::version::{
    ContentHash, Patch, PatchChain, PatchId, PatchRecord, Protection, TagMove, TagStatus,
    VersionRecord,
};

use super::auth::Caller;
use super::concurrency::{IfMatch, ResultBody, Tagged, WithEvents};
use super::error::{ApiError, ErrorBody};
use super::extract::{body_bytes, refuse_nul, ApiJson, ApiPath, ApiQuery};
use super::jobs::JobView;
use super::reads::{self, Freshness, ReadKey, Rendered};
use super::svg::no_bracket;
use super::webhooks::WebhookView;
use super::AppState;

/// The routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_event, list_events))
        .routes(routes!(get_event, update_event))
        .routes(routes!(create_division, list_divisions))
        .routes(routes!(get_division, update_division))
        .routes(routes!(add_participants, list_participants))
        .routes(routes!(generate_bracket))
        .routes(routes!(get_bracket))
        .routes(routes!(get_bracket_svg))
        .routes(routes!(get_bracket_by_hash))
        .routes(routes!(preview_bracket))
        .routes(routes!(lock_bracket))
        .routes(routes!(record_division_result))
        .routes(routes!(edit_bracket))
        .routes(routes!(list_versions))
        .routes(routes!(list_tags))
        .routes(routes!(get_tag, move_tag, delete_tag))
        .routes(routes!(undo_tag))
        .routes(routes!(redo_tag))
        .routes(routes!(tag_history))
        .routes(routes!(undo_tag_of))
        .routes(routes!(redo_tag_of))
        .routes(routes!(tag_history_of))
        .routes(routes!(get_patch))
        .routes(routes!(version_patches))
        .routes(routes!(generate_all))
        .routes(routes!(get_job))
}

pub(crate) fn competition_id(text: &str, field: &str) -> Result<CompetitionId, ApiError> {
    CompetitionId::new(text).map_err(|e| ApiError::bad_input(field, e.to_string()))
}

pub(crate) fn division_id(text: &str, field: &str) -> Result<DivisionId, ApiError> {
    DivisionId::new(text).map_err(|e| ApiError::bad_input(field, e.to_string()))
}

async fn load_event(state: &AppState, id: &str) -> Result<Stored<Competition>, ApiError> {
    let id = competition_id(id, "event_id")?;
    state
        .store
        .competition(&id)
        .await?
        .ok_or_else(|| ServiceError::UnknownCompetition { id: id.to_string() }.into())
}

/// Loads a division and checks it belongs to the event.
async fn load_division(
    state: &AppState,
    event: &str,
    division: &str,
) -> Result<Stored<Division>, ApiError> {
    let event = competition_id(event, "event_id")?;
    let id = division_id(division, "division_id")?;
    let stored = state.service.division(&id).await?;
    if stored.value.competition != event {
        return Err(ServiceError::UnknownDivision { id: id.to_string() }.into());
    }
    Ok(stored)
}

/// Loads a division the caller directs.
async fn directed_division(
    state: &AppState,
    caller: &Caller,
    event: &str,
    division: &str,
) -> Result<Stored<Division>, ApiError> {
    let stored = load_division(state, event, division).await?;
    directed_event(state, caller, stored.value.competition.as_str()).await?;
    Ok(stored)
}

/// An event the caller directs (403 otherwise).
pub(crate) async fn directed_event(
    state: &AppState,
    caller: &Caller,
    event: &str,
) -> Result<Stored<Competition>, ApiError> {
    let stored = load_event(state, event).await?;
    stored.value.may_direct(&caller.principal())?;
    Ok(stored)
}

/// An event as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventView {
    /// Id.
    #[schema(value_type = String)]
    pub id: CompetitionId,
    /// Display name.
    pub name: String,
    /// Changes with every write to the event.
    pub version: u64,
    /// The token subject that directs it and its divisions (`null`: administrators only).
    pub director: Option<String>,
    /// Its division ids, in creation order.
    #[schema(value_type = Vec<String>)]
    pub divisions: Vec<DivisionId>,
}

impl EventView {
    /// `event` as the API shows it.
    fn of(event: &Stored<Competition>) -> Self {
        let e = &event.value;
        Self {
            id: e.id.clone(),
            name: e.name.clone(),
            version: event.version,
            director: e.director.clone(),
            divisions: e.divisions.clone(),
        }
    }
}

/// A page of events.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventList {
    /// By id.
    pub events: Vec<EventView>,
    /// The page size used.
    pub limit: usize,
    /// Events skipped.
    pub offset: usize,
}

/// A division as the API shows it: its state and the actions it allows, its rules, the size
/// of its field, and its versions and tags (not the bracket itself).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DivisionView {
    /// Id.
    #[schema(value_type = String)]
    pub id: DivisionId,
    /// The event it belongs to.
    #[schema(value_type = String)]
    pub event_id: CompetitionId,
    /// Display name.
    pub name: String,
    /// Changes with every write to the division; its `ETag` is `"v{version}"`.
    pub version: u64,
    /// Where the bracket stands: `draft`, `ready`, `locked` or `completed`.
    #[schema(value_type = String)]
    pub state: BracketState,
    /// The bracket actions the state allows (`generate`, `edit`, `lock` …).
    pub allowed_actions: Vec<String>,
    /// Bracket rules: `format`, `max_seeds`, `ordering`, `separate_clubs` …
    #[schema(value_type = Object)]
    pub rules: BracketOptions,
    /// The draw seed.
    pub seed: u64,
    /// How many participants the field has.
    pub participants: usize,
    /// The version tagged `current` (`null` before the first generation).
    pub current_version: Option<u32>,
    /// How many versions the history holds.
    pub versions: usize,
    /// The tags and the versions they point at.
    #[schema(value_type = BTreeMap<String, u32>)]
    pub tags: BTreeMap<TagName, u32>,
}

impl DivisionView {
    /// `division` as the API shows it.
    fn of(division: &Stored<Division>) -> Self {
        let d = &division.value;
        Self {
            id: d.id.clone(),
            event_id: d.competition.clone(),
            name: d.name.clone(),
            version: division.version,
            state: d.state,
            allowed_actions: BracketLifecycle::allowed(d.state)
                .iter()
                .map(ToString::to_string)
                .collect(),
            rules: d.rules.options.clone(),
            seed: d.rules.seed,
            participants: d.participants.len(),
            current_version: d.history.tag(&TagName::current()),
            versions: d.history.versions().len(),
            tags: d.history.tags().clone(),
        }
    }
}

/// The divisions of an event.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DivisionList {
    /// In creation order.
    pub divisions: Vec<DivisionView>,
}

/// A division after participants were added.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ParticipantsAdded {
    /// The division as the write left it.
    #[serde(flatten)]
    pub division: DivisionView,
    /// How many participants were added.
    pub added: usize,
}

/// A division after its bracket was generated.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GeneratedView {
    /// The division as the generation left it.
    #[serde(flatten)]
    pub division: DivisionView,
    /// The events the generation logged.
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<Event>,
    /// The manual edits of the previous version that no longer apply to the new draw (the
    /// others were replayed over it).
    pub dropped_edits: Vec<DroppedEdit>,
}

impl GeneratedView {
    /// The answer of `generated`.
    fn of(generated: Generated) -> Self {
        Self {
            division: DivisionView::of(&generated.division),
            events: generated.events,
            dropped_edits: generated
                .dropped
                .into_iter()
                .map(|d| DroppedEdit {
                    reason: d.error.to_string(),
                    patch: d.patch,
                })
                .collect(),
        }
    }
}

/// A manual edit a regeneration dropped.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DroppedEdit {
    /// The edit, as it was posted (`{"type": "swap", "a", "b"}` …).
    #[schema(value_type = Object)]
    pub patch: Patch,
    /// Why it no longer applies.
    pub reason: String,
}

/// A division's field.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ParticipantList {
    /// The participants (`id`, `name` and, when set, `rating`, `rank`, `seed`, `club`,
    /// `nation`, `metadata`), in the order they were added.
    #[schema(value_type = Vec<Object>)]
    pub participants: Vec<Participant>,
}

/// A division's bracket, live or from its history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BracketView {
    /// The division.
    #[schema(value_type = String)]
    pub division: DivisionId,
    /// Where the division's bracket stands: `draft`, `ready`, `locked` or `completed`.
    #[schema(value_type = String)]
    pub state: BracketState,
    /// The version shown (`null` for a live bracket no tag points at).
    pub version: Option<u32>,
    /// The bracket: `format`, `options`, `matches` (with their slots, status and results) …
    #[schema(value_type = Object)]
    pub bracket: Bracket,
}

/// What a regeneration with overrides would give; nothing is saved.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BracketPreview {
    /// The regenerated bracket.
    #[schema(value_type = Object)]
    pub bracket: Bracket,
    /// Its draw quality report.
    #[schema(value_type = Object)]
    pub report: DrawReport,
    /// The structural difference from the current bracket.
    #[schema(value_type = Object)]
    pub diff: BracketDiff,
    /// The unified text diff from the current bracket.
    pub text: String,
}

impl From<Preview> for BracketPreview {
    fn from(preview: Preview) -> Self {
        let Preview {
            bracket,
            report,
            diff,
            text,
        } = preview;
        Self {
            bracket,
            report,
            diff,
            text,
        }
    }
}

/// A division's version history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionList {
    /// Oldest first: `number`, `hash`, `origin`, `base`, `patches` and `created_at`.
    #[schema(value_type = Vec<Object>)]
    pub versions: Vec<VersionRecord>,
}

/// A division's tags.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TagList {
    /// The tags and the versions they point at.
    #[schema(value_type = BTreeMap<String, u32>)]
    pub tags: BTreeMap<TagName, u32>,
    /// Whether a division-wide undo (`POST …/tags/undo`) has a step of some tag to undo.
    pub can_undo: bool,
    /// Whether a division-wide redo (`POST …/tags/redo`) has an undone step to redo.
    pub can_redo: bool,
}

/// Tag moves (the reflog): a division's, or one tag's.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TagHistory {
    /// Oldest first: `tag`, `from`, `to` (`null`: deleted or its creation undone), `kind`
    /// (`move`, `delete`, `undo` or `redo`) and `at`.
    #[schema(value_type = Vec<Object>)]
    pub history: Vec<TagMove>,
}

/// One tag: where it points, its own undo and redo, and whether it may be deleted.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TagView {
    /// The tag.
    #[schema(value_type = String)]
    pub tag: TagName,
    /// The version it points at (`null`: deleted, or its creation undone).
    pub version: Option<u32>,
    /// That version's content hash.
    #[schema(value_type = Option<String>)]
    pub hash: Option<ContentHash>,
    /// Whether this tag has a step to undo (`POST …/tags/{tag}/undo`).
    pub can_undo: bool,
    /// Whether this tag has an undone step to redo (`POST …/tags/{tag}/redo`).
    pub can_redo: bool,
    /// Why it may not be deleted (`null`: it may): `{"reason": "current"}` or
    /// `{"reason": "locked_version", "version": N}`.
    #[schema(value_type = Option<Object>)]
    pub protection: Option<Protection>,
}

impl From<TagStatus> for TagView {
    fn from(status: TagStatus) -> Self {
        Self {
            tag: status.tag,
            version: status.version,
            hash: status.hash,
            can_undo: status.can_undo,
            can_redo: status.can_redo,
            protection: status.protection,
        }
    }
}

/// A patch found by its id.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PatchView {
    /// The id: the sha256 of `{"base": <base_hash>, "patch": <patch>}` as compact JSON.
    #[schema(value_type = String)]
    pub id: PatchId,
    /// The patch (`swap`, `replace` or `move`).
    #[schema(value_type = Object)]
    pub patch: Patch,
    /// The version it was first applied to.
    pub parent: u32,
    /// The content hash of the bracket it applies to.
    #[schema(value_type = String)]
    pub base_hash: ContentHash,
    /// The version it first produced.
    pub version: u32,
    /// The content hash of the bracket it produces.
    #[schema(value_type = String)]
    pub result_hash: ContentHash,
    /// Every version it produced, oldest first (a regeneration replays an edit under the same
    /// id).
    pub versions: Vec<u32>,
}

/// The chain of edits from a version's generated base to it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PatchChainView {
    /// The version the chain ends at.
    pub version: u32,
    /// The generated version it starts from.
    pub base: u32,
    /// The generated version's content hash.
    #[schema(value_type = String)]
    pub base_hash: ContentHash,
    /// Oldest first: `id`, `patch`, `parent`, `base_hash`, `version` and `result_hash`; each
    /// one's `base_hash` is the previous one's `result_hash`.
    #[schema(value_type = Vec<Object>)]
    pub patches: Vec<PatchRecord>,
}

impl From<PatchChain> for PatchChainView {
    fn from(chain: PatchChain) -> Self {
        Self {
            version: chain.version,
            base: chain.base,
            base_hash: chain.base_hash,
            patches: chain.patches,
        }
    }
}

/// The generation jobs queued for an event's divisions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BracketJobs {
    /// One per division, in the event's order (the runs below, as `/v1/jobs` shows them).
    pub jobs: Vec<JobView>,
    /// The same, as runs (`/v1/runs/{id}`).
    pub runs: Vec<super::runs::RunView>,
    /// The subscription the body asked for (absent without one); its `secret` only when
    /// this request created it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook: Option<WebhookView>,
}

/// A division after a write, with the events the write logged, tagged with its version.
fn changed((division, events): (Stored<Division>, Vec<Event>)) -> Tagged<WithEvents<DivisionView>> {
    let view = DivisionView::of(&division);
    Tagged(division.version, WithEvents { view, events })
}

/// A new event.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEvent {
    /// Id (1-200 bytes, no control characters).
    pub id: String,
    /// Display name.
    pub name: String,
}

/// Creates an event; the caller becomes its director.
#[utoipa::path(post, path = "/v1/events", tag = "events",
    request_body = CreateEvent,
    responses((status = 201, description = "Created", body = EventView),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
async fn create_event(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateEvent>,
) -> Result<impl IntoResponse, ApiError> {
    let id = competition_id(&body.id, "id")?;
    let event = state
        .service
        .create_competition_with(id, body.name, Some(caller.sub().to_owned()))
        .await?;
    Ok((StatusCode::CREATED, Json(EventView::of(&event))))
}

/// Paging of the event list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventListQuery {
    /// At most this many (1-500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
    /// Skip this many (at most 2^40).
    #[param(maximum = 1099511627776_u64)]
    pub offset: Option<usize>,
}

/// Events by id, paged, each with its director and divisions.
#[utoipa::path(get, path = "/v1/events", tag = "events",
    params(EventListQuery),
    responses((status = 200, body = EventList), (status = 400, body = ErrorBody)))]
async fn list_events(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<EventListQuery>,
) -> Result<Json<EventList>, ApiError> {
    let (limit, offset) = super::tournaments::page(query.limit, query.offset)?;
    let found = state.store.competitions(limit, offset).await?;
    Ok(Json(EventList {
        events: found.iter().map(EventView::of).collect(),
        limit,
        offset,
    }))
}

/// An event and its divisions.
#[utoipa::path(get, path = "/v1/events/{event_id}", tag = "events",
    params(("event_id" = String, Path, description = "Event id")),
    responses((status = 200, body = EventView), (status = 404, body = ErrorBody)))]
async fn get_event(
    State(state): State<AppState>,
    ApiPath(event_id): ApiPath<String>,
) -> Result<Json<EventView>, ApiError> {
    let event = load_event(&state, &event_id).await?;
    Ok(Json(EventView::of(&event)))
}

/// Changes to an event.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEvent {
    /// New display name.
    pub name: String,
}

/// Renames an event (director).
#[utoipa::path(patch, path = "/v1/events/{event_id}", tag = "events",
    params(("event_id" = String, Path, description = "Event id")),
    request_body = UpdateEvent,
    responses((status = 200, body = EventView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
async fn update_event(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(event_id): ApiPath<String>,
    ApiJson(body): ApiJson<UpdateEvent>,
) -> Result<Json<EventView>, ApiError> {
    let event = directed_event(&state, &caller, &event_id).await?;
    let (event, _) = state
        .service
        .rename_competition(&event.value.id, body.name)
        .await?;
    Ok(Json(EventView::of(&event)))
}

/// A new division.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDivision {
    /// Id, unique across events.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Bracket rules: `format` (required), `max_seeds`, `ordering`, `separate_clubs` …
    #[schema(value_type = Object)]
    pub rules: BracketOptions,
    /// The draw seed.
    #[serde(default)]
    pub seed: u64,
}

/// Adds a division to an event (director).
#[utoipa::path(post, path = "/v1/events/{event_id}/divisions", tag = "divisions",
    params(("event_id" = String, Path, description = "Event id")),
    request_body = CreateDivision,
    responses((status = 201, body = DivisionView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
async fn create_division(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(event_id): ApiPath<String>,
    ApiJson(body): ApiJson<CreateDivision>,
) -> Result<impl IntoResponse, ApiError> {
    let event = directed_event(&state, &caller, &event_id).await?;
    let id = division_id(&body.id, "id")?;
    let rules = DivisionRules {
        options: body.rules,
        seed: body.seed,
    };
    let division = state
        .service
        .create_division(&event.value.id, id, body.name, rules)
        .await?;
    Ok((StatusCode::CREATED, Json(DivisionView::of(&division))))
}

/// The divisions of an event.
#[utoipa::path(get, path = "/v1/events/{event_id}/divisions", tag = "divisions",
    params(("event_id" = String, Path, description = "Event id")),
    responses((status = 200, body = DivisionList), (status = 404, body = ErrorBody)))]
async fn list_divisions(
    State(state): State<AppState>,
    ApiPath(event_id): ApiPath<String>,
) -> Result<Json<DivisionList>, ApiError> {
    let event = load_event(&state, &event_id).await?;
    let mut divisions = Vec::with_capacity(event.value.divisions.len());
    for id in &event.value.divisions {
        divisions.push(DivisionView::of(&state.service.division(id).await?));
    }
    Ok(Json(DivisionList { divisions }))
}

/// A division: state, allowed actions, rules, versions and tags.
#[utoipa::path(get, path = "/v1/events/{event_id}/divisions/{division_id}", tag = "divisions",
    params(("event_id" = String, Path, description = "Event id"), ("division_id" = String, Path, description = "Division id")),
    responses((status = 200, body = DivisionView, headers(("ETag" = String, description = "The division's version, e.g. \"v12\""))),
        (status = 404, body = ErrorBody)))]
async fn get_division(
    State(state): State<AppState>,
    ApiPath((event_id, division_id)): ApiPath<(String, String)>,
) -> Result<Tagged<DivisionView>, ApiError> {
    let division = load_division(&state, &event_id, &division_id).await?;
    Ok(Tagged(division.version, DivisionView::of(&division)))
}

/// Changes to a division (before its bracket is locked).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDivision {
    /// New display name.
    #[serde(default)]
    pub name: Option<String>,
    /// New bracket rules (used by the next generation).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub rules: Option<BracketOptions>,
    /// New draw seed.
    #[serde(default)]
    pub seed: Option<u64>,
}

/// Renames a division or changes its rules (director; not once locked). With
/// `If-Match: "v{version}"` it applies only while the division is at that version.
#[utoipa::path(patch, path = "/v1/events/{event_id}/divisions/{division_id}", tag = "divisions",
    params(("event_id" = String, Path, description = "Event id"), ("division_id" = String, Path, description = "Division id"),
        ("If-Match" = Option<String>, Header, description = "The division's ETag as read, e.g. \"v12\"")),
    request_body = UpdateDivision,
    responses((status = 200, body = DivisionView, headers(("ETag" = String, description = "The division's version, e.g. \"v12\""))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 412, body = ErrorBody, description = "`precondition_failed`: the division is no longer at the `If-Match` version")),
    security(("bearer" = [])))]
async fn update_division(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((event_id, division_id)): ApiPath<(String, String)>,
    if_match: IfMatch,
    ApiJson(body): ApiJson<UpdateDivision>,
) -> Result<Tagged<DivisionView>, ApiError> {
    let division = directed_division(&state, &caller, &event_id, &division_id).await?;
    let changes = DivisionChanges {
        name: body.name,
        rules: body.rules,
        seed: body.seed,
    };
    let (division, _) = if_match
        .guard(state.service.update_division(&division.value.id, changes))
        .await?;
    Ok(Tagged(division.version, DivisionView::of(&division)))
}

/// Adds participants (director): a JSON array (or `{"participants": [...]}`), or CSV with a
/// header row when the content type is `text/csv`.
#[utoipa::path(post, path = "/v1/events/{event_id}/divisions/{division_id}/participants", tag = "divisions",
    params(("If-Match" = Option<String>, Header, description = "The ETag as read, e.g. \"v12\": the write applies only at that version"), ("event_id" = String, Path, description = "Event id"), ("division_id" = String, Path, description = "Division id")),
    request_body(description = "Participants as JSON, or CSV with a header row (text/csv)",
        content((NewParticipants = "application/json"), (String = "text/csv"))),
    responses((status = 412, body = ErrorBody, description = "`precondition_failed`: no longer at the `If-Match` version"), (status = 200, body = ParticipantsAdded), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn add_participants(
    State(state): State<AppState>,
    if_match: IfMatch,
    caller: Caller,
    ApiPath((event_id, division_id)): ApiPath<(String, String)>,
    request: Request,
) -> Result<Tagged<ParticipantsAdded>, ApiError> {
    let csv = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv"));
    let bytes = body_bytes(request, &()).await?;
    let division = directed_division(&state, &caller, &event_id, &division_id).await?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| ApiError::bad_input("body", "the body is not UTF-8"))?;
    refuse_nul(&bytes, !csv)?;
    let field = if csv {
        athlos_core::import::participants_from_csv(text)
    } else {
        athlos_core::import::participants_from_json(text)
    }
    .map_err(|e| ApiError::bad_input("body", e.to_string()))?;
    let added = field.len();
    let division = state.service.add_participants(&division.value.id, field);
    let division = if_match.guard(division).await?;
    let view = ParticipantsAdded {
        division: DivisionView::of(&division),
        added,
    };
    Ok(Tagged(division.version, view))
}

/// Participants to add, as JSON: an array of participants (`id`, `name` and optional
/// `rating`, `rank`, `seed`, `club`, `nation`, `metadata`), or an object with such an array
/// under `participants`.
#[derive(Debug, ToSchema)]
#[serde(untagged)]
pub enum NewParticipants {
    /// An array of participants.
    #[schema(value_type = Vec<Object>)]
    List(Vec<Participant>),
    /// `{"participants": [...]}`.
    Wrapped {
        /// The participants.
        #[schema(value_type = Vec<Object>)]
        participants: Vec<Participant>,
    },
}

/// A division's participants.
#[utoipa::path(get, path = "/v1/events/{event_id}/divisions/{division_id}/participants", tag = "divisions",
    params(("event_id" = String, Path, description = "Event id"), ("division_id" = String, Path, description = "Division id")),
    responses((status = 200, body = ParticipantList), (status = 404, body = ErrorBody)))]
async fn list_participants(
    State(state): State<AppState>,
    ApiPath((event_id, division_id)): ApiPath<(String, String)>,
) -> Result<Json<ParticipantList>, ApiError> {
    let division = load_division(&state, &event_id, &division_id).await?;
    Ok(Json(ParticipantList {
        participants: division.value.participants,
    }))
}

/// Generates (or regenerates) one division's bracket now (director).
#[utoipa::path(post, path = "/v1/events/{event_id}/divisions/{division_id}/generate", tag = "brackets",
    params(("If-Match" = Option<String>, Header, description = "The ETag as read, e.g. \"v12\": the write applies only at that version"), ("event_id" = String, Path, description = "Event id"), ("division_id" = String, Path, description = "Division id")),
    responses((status = 412, body = ErrorBody, description = "`precondition_failed`: no longer at the `If-Match` version"), (status = 200, body = GeneratedView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn generate_bracket(
    State(state): State<AppState>,
    if_match: IfMatch,
    caller: Caller,
    ApiPath((event_id, division_id)): ApiPath<(String, String)>,
) -> Result<Tagged<GeneratedView>, ApiError> {
    let division = directed_division(&state, &caller, &event_id, &division_id).await?;
    let generated = if_match
        .guard(state.service.generate(&division.value.id))
        .await?;
    Ok(Tagged(
        generated.division.version,
        GeneratedView::of(generated),
    ))
}

/// Which bracket version to read.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BracketQuery {
    /// A version number.
    pub version: Option<u32>,
    /// A tag name (`current`, `published` …).
    pub tag: Option<String>,
}

impl BracketQuery {
    /// The read cache's name of `route` of the division of event `event` read this way.
    fn view(&self, route: &str, event: &str) -> String {
        format!(
            "{route} {event} version={:?} tag={:?}",
            self.version, self.tag
        )
    }
}

/// The read cache's key of `route` of a division (400 for a malformed id).
fn division_read(
    division: &str,
    route: &str,
    event: &str,
    query: &BracketQuery,
) -> Result<ReadKey, ApiError> {
    Ok(ReadKey::new(
        AggregateRef::Division(division_id(division, "division_id")?),
        query.view(route, event),
    ))
}

/// The bracket: the live one (with results), or `?version=` / `?tag=` from the history.
/// Rendered once per division version; `If-None-Match` with the `ETag` answers 304.
#[utoipa::path(get, path = "/v1/events/{event_id}/divisions/{division_id}/bracket", tag = "brackets",
    params(("event_id" = String, Path, description = "Event id"), ("division_id" = String, Path, description = "Division id"), BracketQuery,
        ("If-None-Match" = Option<String>, Header, description = "An `ETag` read before, e.g. \"v12\": 304 while the division is still at that version")),
    responses((status = 200, body = BracketView, headers(("ETag" = String, description = "The division's version, e.g. \"v12\""), ("Cache-Control" = String, description = "`no-cache`: revalidate with the ETag"))),
        (status = 304, description = "Not modified: the division is still at the `If-None-Match` version"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn get_bracket(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath((event_id, division_id)): ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<BracketQuery>,
) -> Result<Response, ApiError> {
    let key = division_read(&division_id, "bracket", &event_id, &query)?;
    reads::serve(&state, &headers, key, Freshness::Live, || async {
        let division = load_division(&state, &event_id, &division_id).await?;
        let d = &division.value;
        let (number, bracket) = chosen_bracket(&state, d, query).await?;
        let view = BracketView {
            division: d.id.clone(),
            state: d.state,
            version: number,
            bracket: bracket.ok_or_else(|| ServiceError::NoBracket {
                division: d.id.to_string(),
            })?,
        };
        Rendered::json(division.version, &view)
    })
    .await
}

/// The bracket as an SVG picture (`Bracket::to_svg`: rounds joined by lines, pools as cross
/// tables, winners marked): the live one, or `?version=` / `?tag=` from the history. 404
/// `no_bracket` before the first generation.
#[utoipa::path(get, path = "/v1/events/{event_id}/divisions/{division_id}/bracket.svg", tag = "brackets",
    params(("event_id" = String, Path, description = "Event id"), ("division_id" = String, Path, description = "Division id"), BracketQuery,
        ("If-None-Match" = Option<String>, Header, description = "An `ETag` read before: 304 while the division is still at that version")),
    responses((status = 200, description = "A self-contained SVG document", content((String = "image/svg+xml"))),
        (status = 304, description = "Not modified: the division is still at the `If-None-Match` version"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody, description = "No such event, division or version, or `no_bracket`: none generated yet")))]
async fn get_bracket_svg(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath((event_id, division_id)): ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<BracketQuery>,
) -> Result<Response, ApiError> {
    let key = division_read(&division_id, "bracket.svg", &event_id, &query)?;
    reads::serve(&state, &headers, key, Freshness::Live, || async {
        let division = load_division(&state, &event_id, &division_id).await?;
        let d = &division.value;
        match chosen_bracket(&state, d, query).await? {
            (_, Some(bracket)) => Ok(Rendered::svg(division.version, bracket.to_svg())),
            (_, None) => Err(no_bracket(format!(
                "division \"{}\" has no bracket yet: generate it first",
                d.id
            ))),
        }
    })
    .await
}

/// A bracket of the division's history by its content address (the `hash` of a version in
/// `GET …/versions`): the stored canonical JSON of the bracket, whose sha256 is the hash. It
/// never changes, so it is sent with `Cache-Control: public, max-age=31536000, immutable` and
/// the hash as its `ETag`. 404 `unknown_bracket` when no version of the division has it.
#[utoipa::path(get, path = "/v1/events/{event_id}/divisions/{division_id}/brackets/{hash}", tag = "versions",
    params(("event_id" = String, Path, description = "Event id"), ("division_id" = String, Path, description = "Division id"),
        ("hash" = String, Path, description = "Content hash: 64 lower-case hex digits"),
        ("If-None-Match" = Option<String>, Header, description = "The hash in quotes: 304")),
    responses((status = 200, description = "The bracket's canonical JSON (`format`, `options`, `matches` …)", content((Object = "application/json")),
            headers(("ETag" = String, description = "The hash, in quotes"), ("Cache-Control" = String, description = "`public, max-age=31536000, immutable`"))),
        (status = 304, description = "Not modified"),
        (status = 400, body = ErrorBody, description = "A malformed id"),
        (status = 422, body = ErrorBody, description = "`invalid_hash`: not 64 lower-case hex digits"),
        (status = 404, body = ErrorBody, description = "No such event or division, or `unknown_bracket`")))]
async fn get_bracket_by_hash(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath((event_id, division_id, hash)): ApiPath<(String, String, String)>,
) -> Result<Response, ApiError> {
    let hash = ContentHash::parse(&hash).map_err(athlos_core::error::Error::from)?;
    let key = ReadKey::new(
        AggregateRef::Division(self::division_id(&division_id, "division_id")?),
        format!("brackets/{hash} {event_id}"),
    );
    let freshness = Freshness::Immutable(hash.to_string());
    reads::serve(&state, &headers, key, freshness, || async {
        let division = load_division(&state, &event_id, &division_id).await?;
        let (_, bytes) = state
            .service
            .bracket_by_hash(&division.value, &hash)
            .await?;
        Ok(Rendered {
            version: division.version,
            content_type: "application/json",
            body: bytes.into(),
        })
    })
    .await
}

/// The bracket a read asks for and its version: `?version=N`, `?tag=NAME`, or the live one
/// (`None` before the first generation) with the version `current` names.
async fn chosen_bracket(
    state: &AppState,
    d: &Division,
    query: BracketQuery,
) -> Result<(Option<u32>, Option<Bracket>), ApiError> {
    let number = match (query.version, query.tag) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_input(
                "version",
                "give either version or tag, not both",
            ))
        }
        (Some(number), None) => number,
        (None, Some(tag)) => {
            let name = TagName::new(tag.as_str())
                .map_err(|e| ApiError::bad_input("tag", e.to_string()))?;
            d.history.tag(&name).ok_or_else(|| {
                athlos_core::error::Error::from(athlos_core::error::VersionError::UnknownTag {
                    tag: tag.clone(),
                })
            })?
        }
        (None, None) => return Ok((d.history.tag(&TagName::current()), d.bracket.clone())),
    };
    let bracket = state.service.version_bracket(&d.id, number).await?;
    Ok((Some(number), Some(bracket)))
}

/// What regenerating with overrides would give: the bracket, its quality report and the diff
/// from the current one. Saves nothing.
#[utoipa::path(post, path = "/v1/events/{event_id}/divisions/{division_id}/preview-bracket", tag = "brackets",
    params(("event_id" = String, Path, description = "Event id"), ("division_id" = String, Path, description = "Division id")),
    request_body = PreviewRequest,
    responses((status = 200, body = BracketPreview), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn preview_bracket(
    State(state): State<AppState>,
    ApiPath((event_id, division_id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<PreviewRequest>,
) -> Result<Json<BracketPreview>, ApiError> {
    let division = load_division(&state, &event_id, &division_id).await?;
    let preview = state
        .service
        .preview(&division.value.id, &body.overrides)
        .await?;
    Ok(Json(preview.into()))
}

/// The body of a preview: `{"overrides": {"rules": {"max_seeds": 8}, "seed": 7}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// The option fields to replace (`rules`, by their JSON names) and a new draw `seed`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub overrides: Overrides,
}

/// Locks the current bracket for play (director).
#[utoipa::path(post, path = "/v1/events/{event_id}/divisions/{division_id}/lock-bracket", tag = "brackets",
    params(("If-Match" = Option<String>, Header, description = "The ETag as read, e.g. \"v12\": the write applies only at that version"), ("event_id" = String, Path, description = "Event id"), ("division_id" = String, Path, description = "Division id")),
    responses((status = 412, body = ErrorBody, description = "`precondition_failed`: no longer at the `If-Match` version"), (status = 200, body = WithEvents<DivisionView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
async fn lock_bracket(
    State(state): State<AppState>,
    if_match: IfMatch,
    caller: Caller,
    ApiPath((event_id, division_id)): ApiPath<(String, String)>,
) -> Result<Tagged<WithEvents<DivisionView>>, ApiError> {
    let division = directed_division(&state, &caller, &event_id, &division_id).await?;
    let written = if_match
        .guard(state.service.lock(&division.value.id))
        .await?;
    Ok(changed(written))
}

fn match_id(text: &str) -> Result<MatchId, ApiError> {
    text.parse().map_err(|e: athlos_core::error::BracketError| {
        ApiError::bad_input("match_id", e.to_string())
    })
}

/// Records a match result in a locked bracket (director): `{"type": "win", "winner": "p1"}`,
/// `{"type": "draw"}` (pools) or `{"type": "walkover", "winner": "p1"}`.
///
/// A match that already has a result keeps it: the same result again answers 200 with the
/// division as it stands and no new event; another result is 409 `result_exists` with the
/// `recorded` one, unless the body says `"correction": true` — accepted while no match that
/// depends on this one has been played (409 `dependent_played` otherwise) and logged as
/// `match.corrected` with the previous and the new result. With `If-Match: "v{version}"`
/// the write applies only while the division is at that version (412
/// `precondition_failed` with `current_version` otherwise).
#[utoipa::path(post, path = "/v1/events/{event_id}/divisions/{division_id}/matches/{match_id}/result", tag = "brackets",
    params(("event_id" = String, Path, description = "Event id"), ("division_id" = String, Path, description = "Division id"),
        ("match_id" = String, Path, description = "Match id, e.g. KO-R1-M1"),
        ("If-Match" = Option<String>, Header, description = "The division's ETag as read, e.g. \"v12\"")),
    request_body(content = ResultBody, description = "A match result, with `\"correction\": true` to replace a recorded one"),
    responses((status = 200, body = WithEvents<DivisionView>, headers(("ETag" = String, description = "The division's version, e.g. \"v12\""))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "`result_exists` (with the recorded result), `dependent_played`, or a lifecycle refusal"),
        (status = 412, body = ErrorBody, description = "`precondition_failed`: the division is no longer at the `If-Match` version"),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn record_division_result(
    State(state): State<AppState>,
    caller: Caller,
    if_match: IfMatch,
    ApiPath((event_id, division_id, match_text)): ApiPath<(String, String, String)>,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<Tagged<WithEvents<DivisionView>>, ApiError> {
    let id = match_id(&match_text)?;
    let body = ResultBody::from_object(body)?;
    let division = directed_division(&state, &caller, &event_id, &division_id).await?;
    let written = state
        .service
        .write_division_result(
            &division.value.id,
            id,
            body.result,
            if_match.write(body.correction),
        )
        .await?;
    Ok(changed(written))
}

/// Applies a manual edit to the ready bracket (director): `{"type": "swap", "a", "b"}`,
/// `{"type": "replace", "out", "with": {participant}}`, `{"type": "move", "participant", "slot"}`.
#[utoipa::path(post, path = "/v1/events/{event_id}/divisions/{division_id}/edits", tag = "brackets",
    params(("If-Match" = Option<String>, Header, description = "The ETag as read, e.g. \"v12\": the write applies only at that version"), ("event_id" = String, Path, description = "Event id"), ("division_id" = String, Path, description = "Division id")),
    request_body = BracketEdit,
    responses((status = 412, body = ErrorBody, description = "`precondition_failed`: no longer at the `If-Match` version"), (status = 200, body = WithEvents<DivisionView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn edit_bracket(
    State(state): State<AppState>,
    if_match: IfMatch,
    caller: Caller,
    ApiPath((event_id, division_id)): ApiPath<(String, String)>,
    ApiJson(BracketEdit(patch)): ApiJson<BracketEdit>,
) -> Result<Tagged<WithEvents<DivisionView>>, ApiError> {
    let division = directed_division(&state, &caller, &event_id, &division_id).await?;
    let written = if_match
        .guard(state.service.edit(&division.value.id, patch))
        .await?;
    Ok(changed(written))
}

/// A manual edit of a ready bracket's first round: `{"type": "swap", "a", "b"}`,
/// `{"type": "replace", "out", "with": {participant}}` or
/// `{"type": "move", "participant", "slot"}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = Object)]
pub struct BracketEdit(pub Patch);

/// The version history.
#[utoipa::path(get, path = "/v1/events/{event_id}/divisions/{division_id}/versions", tag = "versions",
    params(("event_id" = String, Path, description = "Event id"), ("division_id" = String, Path, description = "Division id")),
    responses((status = 200, body = VersionList), (status = 404, body = ErrorBody)))]
async fn list_versions(
    State(state): State<AppState>,
    ApiPath((event_id, division_id)): ApiPath<(String, String)>,
) -> Result<Json<VersionList>, ApiError> {
    let division = load_division(&state, &event_id, &division_id).await?;
    Ok(Json(VersionList {
        versions: division.value.history.versions().to_vec(),
    }))
}

/// The tags and the versions they point at.
#[utoipa::path(get, path = "/v1/events/{event_id}/divisions/{division_id}/tags", tag = "versions",
    params(("event_id" = String, Path, description = "Event id"), ("division_id" = String, Path, description = "Division id")),
    responses((status = 200, body = TagList), (status = 404, body = ErrorBody)))]
async fn list_tags(
    State(state): State<AppState>,
    ApiPath((event_id, division_id)): ApiPath<(String, String)>,
) -> Result<Json<TagList>, ApiError> {
    let division = load_division(&state, &event_id, &division_id).await?;
    let h = &division.value.history;
    Ok(Json(TagList {
        tags: h.tags().clone(),
        can_undo: h.can_undo(),
        can_redo: h.can_redo(),
    }))
}

/// Where to point a tag.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveTag {
    /// The version number.
    pub version: u32,
}

/// A tag name from the path: 400 `invalid_input` when malformed, 422 `reserved_id` for
/// `undo`, `redo` and `history` (no tag may be named so: `tags/undo`, `tags/redo` and
/// `tags/history` are the division-wide routes).
fn tag_name(text: &str) -> Result<TagName, ApiError> {
    TagName::new(text).map_err(|error| match error {
        ModelError::ReservedId { .. } => {
            ApiError::from(athlos_core::error::Error::from(error)).with("field", "tag")
        }
        _ => ApiError::bad_input("tag", error.to_string()),
    })
}

/// Points a tag at a version (director); `current` moves only before the lock. The move
/// goes on the tag's own undo stack and clears the tag's redo.
#[utoipa::path(put, path = "/v1/events/{event_id}/divisions/{division_id}/tags/{tag}", tag = "versions",
    params(("If-Match" = Option<String>, Header, description = "The ETag as read, e.g. \"v12\": the write applies only at that version"), ("event_id" = String, Path, description = "Event id"), ("division_id" = String, Path, description = "Division id"),
        ("tag" = String, Path, description = "Tag name; never `undo`, `redo` or `history` (reserved: those paths are the division-wide routes)")),
    request_body = MoveTag,
    responses((status = 412, body = ErrorBody, description = "`precondition_failed`: no longer at the `If-Match` version"), (status = 200, body = WithEvents<DivisionView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody, description = "`reserved_id`: a reserved tag name")),
    security(("bearer" = [])))]
async fn move_tag(
    State(state): State<AppState>,
    if_match: IfMatch,
    caller: Caller,
    ApiPath((event_id, division_id, tag)): ApiPath<(String, String, String)>,
    ApiJson(body): ApiJson<MoveTag>,
) -> Result<Tagged<WithEvents<DivisionView>>, ApiError> {
    let tag = tag_name(&tag)?;
    let division = directed_division(&state, &caller, &event_id, &division_id).await?;
    let write = state
        .service
        .move_tag(&division.value.id, tag, body.version);
    let written = if_match.guard(write).await?;
    Ok(changed(written))
}

/// Undoes the division's newest tag step (move, deletion or redo) of any tag (director):
/// the undo of that tag's last step, as `POST …/tags/{tag}/undo` would do it.
#[utoipa::path(post, path = "/v1/events/{event_id}/divisions/{division_id}/tags/undo", tag = "versions",
    params(("If-Match" = Option<String>, Header, description = "The ETag as read, e.g. \"v12\": the write applies only at that version"), ("event_id" = String, Path, description = "Event id"), ("division_id" = String, Path, description = "Division id")),
    responses((status = 412, body = ErrorBody, description = "`precondition_failed`: no longer at the `If-Match` version"), (status = 200, body = WithEvents<DivisionView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
async fn undo_tag(
    State(state): State<AppState>,
    if_match: IfMatch,
    caller: Caller,
    ApiPath((event_id, division_id)): ApiPath<(String, String)>,
) -> Result<Tagged<WithEvents<DivisionView>>, ApiError> {
    let division = directed_division(&state, &caller, &event_id, &division_id).await?;
    let written = if_match
        .guard(state.service.undo_tag(&division.value.id))
        .await?;
    Ok(changed(written))
}

/// Redoes the division's most recently undone tag step of any tag still redoable
/// (director), as `POST …/tags/{tag}/redo` would do it.
#[utoipa::path(post, path = "/v1/events/{event_id}/divisions/{division_id}/tags/redo", tag = "versions",
    params(("If-Match" = Option<String>, Header, description = "The ETag as read, e.g. \"v12\": the write applies only at that version"), ("event_id" = String, Path, description = "Event id"), ("division_id" = String, Path, description = "Division id")),
    responses((status = 412, body = ErrorBody, description = "`precondition_failed`: no longer at the `If-Match` version"), (status = 200, body = WithEvents<DivisionView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
async fn redo_tag(
    State(state): State<AppState>,
    if_match: IfMatch,
    caller: Caller,
    ApiPath((event_id, division_id)): ApiPath<(String, String)>,
) -> Result<Tagged<WithEvents<DivisionView>>, ApiError> {
    let division = directed_division(&state, &caller, &event_id, &division_id).await?;
    let written = if_match
        .guard(state.service.redo_tag(&division.value.id))
        .await?;
    Ok(changed(written))
}

/// The tag moves of every tag, oldest first (the division's reflog).
#[utoipa::path(get, path = "/v1/events/{event_id}/divisions/{division_id}/tags/history", tag = "versions",
    params(("event_id" = String, Path, description = "Event id"), ("division_id" = String, Path, description = "Division id")),
    responses((status = 200, body = TagHistory), (status = 404, body = ErrorBody)))]
async fn tag_history(
    State(state): State<AppState>,
    ApiPath((event_id, division_id)): ApiPath<(String, String)>,
) -> Result<Json<TagHistory>, ApiError> {
    let division = load_division(&state, &event_id, &division_id).await?;
    Ok(Json(TagHistory {
        history: division.value.history.reflog().to_vec(),
    }))
}

/// One tag: the version it points at and its hash, whether it has a step to undo or redo,
/// and whether (and why) it is protected from deletion. 404 `unknown_tag` for a tag that
/// never existed; a deleted tag is still found (`version: null`).
#[utoipa::path(get, path = "/v1/events/{event_id}/divisions/{division_id}/tags/{tag}", tag = "versions",
    params(("event_id" = String, Path, description = "Event id"), ("division_id" = String, Path, description = "Division id"),
        ("tag" = String, Path, description = "Tag name; never `undo`, `redo` or `history` (reserved: those paths are the division-wide routes)")),
    responses((status = 200, body = TagView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "`reserved_id`: a reserved tag name")))]
async fn get_tag(
    State(state): State<AppState>,
    ApiPath((event_id, division_id, tag)): ApiPath<(String, String, String)>,
) -> Result<Json<TagView>, ApiError> {
    let tag = tag_name(&tag)?;
    let division = load_division(&state, &event_id, &division_id).await?;
    let status = athlos_core::service::tag_status(&division.value, &tag)
        .map_err(athlos_core::error::Error::from)?;
    Ok(Json(status.into()))
}

/// Deletes a tag (director), logged as `tag.moved` with `to: null`; the deletion is in the
/// tag's reflog and undone by `POST …/tags/{tag}/undo`. 409 `protected_tag` for `current` and
/// for any tag of the locked version (the message says which); nothing changes.
#[utoipa::path(delete, path = "/v1/events/{event_id}/divisions/{division_id}/tags/{tag}", tag = "versions",
    params(("If-Match" = Option<String>, Header, description = "The ETag as read, e.g. \"v12\": the write applies only at that version"), ("event_id" = String, Path, description = "Event id"), ("division_id" = String, Path, description = "Division id"),
        ("tag" = String, Path, description = "Tag name; never `undo`, `redo` or `history` (reserved: those paths are the division-wide routes)")),
    responses((status = 412, body = ErrorBody, description = "`precondition_failed`: no longer at the `If-Match` version"), (status = 200, body = WithEvents<DivisionView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such event or division, or `unknown_tag`: the tag points nowhere"),
        (status = 409, body = ErrorBody, description = "`protected_tag`: `current`, or a tag of the locked version"),
        (status = 422, body = ErrorBody, description = "`reserved_id`: a reserved tag name")),
    security(("bearer" = [])))]
async fn delete_tag(
    State(state): State<AppState>,
    if_match: IfMatch,
    caller: Caller,
    ApiPath((event_id, division_id, tag)): ApiPath<(String, String, String)>,
) -> Result<Tagged<WithEvents<DivisionView>>, ApiError> {
    let tag = tag_name(&tag)?;
    let division = directed_division(&state, &caller, &event_id, &division_id).await?;
    let written = if_match
        .guard(state.service.delete_tag(&division.value.id, &tag))
        .await?;
    Ok(changed(written))
}

/// Undoes this tag's last move, deletion or redo (director); other tags keep their undo and
/// redo. `current` moves only before the lock (409 `current_frozen`).
#[utoipa::path(post, path = "/v1/events/{event_id}/divisions/{division_id}/tags/{tag}/undo", tag = "versions",
    params(("If-Match" = Option<String>, Header, description = "The ETag as read, e.g. \"v12\": the write applies only at that version"), ("event_id" = String, Path, description = "Event id"), ("division_id" = String, Path, description = "Division id"),
        ("tag" = String, Path, description = "Tag name; never `undo`, `redo` or `history` (reserved: those paths are the division-wide routes)")),
    responses((status = 412, body = ErrorBody, description = "`precondition_failed`: no longer at the `If-Match` version"), (status = 200, body = WithEvents<DivisionView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such event or division, or `unknown_tag`: the tag never existed"),
        (status = 409, body = ErrorBody, description = "`nothing_to_undo`, or `current_frozen`"),
        (status = 422, body = ErrorBody, description = "`reserved_id`: a reserved tag name")),
    security(("bearer" = [])))]
async fn undo_tag_of(
    State(state): State<AppState>,
    if_match: IfMatch,
    caller: Caller,
    ApiPath((event_id, division_id, tag)): ApiPath<(String, String, String)>,
) -> Result<Tagged<WithEvents<DivisionView>>, ApiError> {
    let tag = tag_name(&tag)?;
    let division = directed_division(&state, &caller, &event_id, &division_id).await?;
    let written = if_match
        .guard(state.service.undo_tag_of(&division.value.id, &tag))
        .await?;
    Ok(changed(written))
}

/// Redoes this tag's last undone step (director); other tags keep their undo and redo. A
/// redone deletion of a tag protected meanwhile is refused (409 `protected_tag`).
#[utoipa::path(post, path = "/v1/events/{event_id}/divisions/{division_id}/tags/{tag}/redo", tag = "versions",
    params(("If-Match" = Option<String>, Header, description = "The ETag as read, e.g. \"v12\": the write applies only at that version"), ("event_id" = String, Path, description = "Event id"), ("division_id" = String, Path, description = "Division id"),
        ("tag" = String, Path, description = "Tag name; never `undo`, `redo` or `history` (reserved: those paths are the division-wide routes)")),
    responses((status = 412, body = ErrorBody, description = "`precondition_failed`: no longer at the `If-Match` version"), (status = 200, body = WithEvents<DivisionView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such event or division, or `unknown_tag`: the tag never existed"),
        (status = 409, body = ErrorBody, description = "`nothing_to_redo`, `current_frozen` or `protected_tag`"),
        (status = 422, body = ErrorBody, description = "`reserved_id`: a reserved tag name")),
    security(("bearer" = [])))]
async fn redo_tag_of(
    State(state): State<AppState>,
    if_match: IfMatch,
    caller: Caller,
    ApiPath((event_id, division_id, tag)): ApiPath<(String, String, String)>,
) -> Result<Tagged<WithEvents<DivisionView>>, ApiError> {
    let tag = tag_name(&tag)?;
    let division = directed_division(&state, &caller, &event_id, &division_id).await?;
    let written = if_match
        .guard(state.service.redo_tag_of(&division.value.id, &tag))
        .await?;
    Ok(changed(written))
}

/// This tag's moves, deletions, undos and redos, oldest first (its reflog).
#[utoipa::path(get, path = "/v1/events/{event_id}/divisions/{division_id}/tags/{tag}/history", tag = "versions",
    params(("event_id" = String, Path, description = "Event id"), ("division_id" = String, Path, description = "Division id"),
        ("tag" = String, Path, description = "Tag name; never `undo`, `redo` or `history` (reserved: those paths are the division-wide routes)")),
    responses((status = 200, body = TagHistory), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such event or division, or `unknown_tag`: the tag never existed"),
        (status = 422, body = ErrorBody, description = "`reserved_id`: a reserved tag name")))]
async fn tag_history_of(
    State(state): State<AppState>,
    ApiPath((event_id, division_id, tag)): ApiPath<(String, String, String)>,
) -> Result<Json<TagHistory>, ApiError> {
    let tag = tag_name(&tag)?;
    let division = load_division(&state, &event_id, &division_id).await?;
    let history = division
        .value
        .history
        .tag_reflog(&tag)
        .map_err(athlos_core::error::Error::from)?;
    Ok(Json(TagHistory { history }))
}

/// A patch by its content address: the patch, the hashes of the bracket it applies to and of
/// the one it produces, and the versions it produced. 404 `unknown_patch` for an id no edit
/// of the division has.
#[utoipa::path(get, path = "/v1/events/{event_id}/divisions/{division_id}/patches/{patch_id}", tag = "versions",
    params(("event_id" = String, Path, description = "Event id"), ("division_id" = String, Path, description = "Division id"),
        ("patch_id" = String, Path, description = "Patch id: 64 lower-case hex digits")),
    responses((status = 200, body = PatchView), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such event or division, or `unknown_patch`")))]
async fn get_patch(
    State(state): State<AppState>,
    ApiPath((event_id, division_id, patch_id)): ApiPath<(String, String, String)>,
) -> Result<Json<PatchView>, ApiError> {
    let id =
        PatchId::parse(&patch_id).map_err(|e| ApiError::bad_input("patch_id", e.to_string()))?;
    let division = load_division(&state, &event_id, &division_id).await?;
    let (record, versions) = division
        .value
        .history
        .patch(&id)
        .map_err(athlos_core::error::Error::from)?;
    Ok(Json(PatchView {
        id: record.id,
        patch: record.patch,
        parent: record.parent,
        base_hash: record.base_hash,
        version: record.version,
        result_hash: record.result_hash,
        versions,
    }))
}

/// The chain of edits from version `version`'s generated base to it, each with its id and
/// the hashes it goes from and to (empty for a generated version).
#[utoipa::path(get, path = "/v1/events/{event_id}/divisions/{division_id}/versions/{version}/patches", tag = "versions",
    params(("event_id" = String, Path, description = "Event id"), ("division_id" = String, Path, description = "Division id"),
        ("version" = u32, Path, description = "Version number")),
    responses((status = 200, body = PatchChainView), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such event or division, or `unknown_version`")))]
async fn version_patches(
    State(state): State<AppState>,
    ApiPath((event_id, division_id, version)): ApiPath<(String, String, u32)>,
) -> Result<Json<PatchChainView>, ApiError> {
    let division = load_division(&state, &event_id, &division_id).await?;
    let chain = division
        .value
        .history
        .chain(version)
        .map_err(athlos_core::error::Error::from)?;
    Ok(Json(chain.into()))
}

/// Queues one generation run per division of the event (director) and answers 202 with the
/// runs (also as jobs); the same `Idempotency-Key` returns the same runs. `POST /v1/runs`
/// with `{"kind": "generate_all", "target": "event:<id>"}` does the same.
#[utoipa::path(post, path = "/v1/events/{event_id}/generate-all-brackets", tag = "brackets",
    params(("event_id" = String, Path, description = "Event id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    request_body(content = Option<super::webhooks::GenerateAllBody>, description = "Optional: `{\"webhook\": {\"url\", \"secret\"}}` subscribes a receiver to the event's events"),
    responses((status = 202, body = BracketJobs), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn generate_all(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(event_id): ApiPath<String>,
    headers: HeaderMap,
    super::webhooks::RawBody(body): super::webhooks::RawBody,
) -> Result<impl IntoResponse, ApiError> {
    let key = super::runs::idempotency_key(&headers)?;
    let event = directed_event(&state, &caller, &event_id).await?;
    let webhook = super::webhooks::shortcut(
        &state,
        AggregateRef::Competition(event.value.id.clone()),
        &body,
    )
    .await?;
    let queued = state
        .service
        .queue_generation(&event.value.id, key.as_deref())
        .await?;
    let mut jobs = Vec::with_capacity(queued.len());
    for job in &queued {
        jobs.push(JobView::of(&state, job).await);
    }
    let runs = queued.into_iter().map(super::runs::RunView::of).collect();
    Ok((
        StatusCode::ACCEPTED,
        Json(BracketJobs {
            jobs,
            runs,
            webhook,
        }),
    ))
}

/// A background job: `queued`, `running`, `succeeded` or `failed` (with the reason).
#[utoipa::path(get, path = "/v1/jobs/{job_id}", tag = "jobs",
    params(("job_id" = u64, Path, description = "Job id")),
    responses((status = 200, body = JobView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_job(
    State(state): State<AppState>,
    ApiPath(job_id): ApiPath<u64>,
) -> Result<Json<JobView>, ApiError> {
    let unknown = || ApiError::not_found(format!("unknown job {job_id}"));
    let job = state.store.job(JobId(job_id)).await?.ok_or_else(unknown)?;
    Ok(Json(JobView::of(&state, &job).await))
}
