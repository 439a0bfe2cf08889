//! The pages of events (competitions) and their divisions, with their forms.
//!
//! - `/events/{id}`: the divisions with their bracket states; for the director, "Generate all
//!   brackets", which queues the same jobs as `POST /v1/events/{id}/generate-all-brackets`
//!   and comes back to the page with `?jobs=…`, whose progress `static/event.js` follows
//!   live (`GET /v1/jobs/{id}`) until every job is done.
//! - `/events/{id}/divisions/{division}`: the field, the bracket (its SVG), the versions; for
//!   the director, the "Preview" form (the overrides the core's preview accepts), which
//!   answers the quality report and the diff from the current bracket before anything is
//!   saved, a "Save this bracket" button that saves exactly that draw (the division's rules
//!   and seed set to the previewed ones, then generated, as `PATCH` and `generate` do, only
//!   while the division is still at the previewed version; manual edits of the current
//!   version are replayed over it, as `generate` does, and the preview says so), "Lock", and
//!   "Generate bracket" for a division that has none yet.
//!
//! Which buttons and forms a viewer gets, and whether a posted one is taken, comes from the
//! core ([`division_actions_for`], [`may_generate_all`]); every write is the service call the
//! API makes. Refusals show the page again with the reason and its status.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{Map, Value};

use athlos_core::bracket::Format;
use athlos_core::competition::{Competition, Division};
use athlos_core::diff::{BracketDiff, Overrides, Preview};
use athlos_core::error::{Error, ServiceError};
use athlos_core::id::{CompetitionId, DivisionId, TagName};
use athlos_core::lifecycle::BracketState;
use athlos_core::model::ParticipantId;
use athlos_core::report::DrawReport;
use athlos_core::service::{
    division_actions_for, expecting, may_generate_all, DivisionAction, DivisionChanges,
};
use athlos_core::store::{AggregateStore, JobId, JobStore};
use athlos_core::version::Origin;

use super::account_pages::{see_other, signed_in_form, PageViewer, TokenOnly, Viewer};
use super::error::ApiError;
use super::jobs::{JobStatus, JobView};
use super::pages::{asset, not_found_page, page};
use super::AppState;

/// The most jobs an event page follows (`?jobs=`).
const MAX_JOBS: usize = 200;

/// The event and division pages and their forms.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/events/{id}", get(event_page))
        .route("/events/{id}/generate-all", post(generate_all))
        .route("/events/{id}/divisions/{division}", get(division_page))
        .route(
            "/events/{id}/divisions/{division}/{step}",
            post(division_posted),
        )
        .route("/static/event.js", get(script))
}

/// The script of event pages (the live progress of "Generate all brackets").
async fn script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../static/event.js"),
    )
}

/// How a page names a bracket state: `none` before the first draw, then `generated`,
/// `locked`, `completed`.
fn state_label(state: BracketState) -> &'static str {
    match state {
        BracketState::Draft => "none",
        BracketState::Ready => "generated",
        BracketState::Locked => "locked",
        _ => "completed",
    }
}

/// The CSRF token of a viewer's forms (empty when signed out: there are no forms).
fn token_of(viewer: Option<&Viewer>) -> String {
    viewer.map(|v| v.csrf_token.clone()).unwrap_or_default()
}

/// An event, or the answer for an address that names none (404).
async fn load_event(state: &AppState, id: &str) -> Result<Competition, Response> {
    let unknown = || not_found_page(format!("There is no event \"{id}\"."));
    let Ok(id) = CompetitionId::new(id) else {
        return Err(unknown());
    };
    match state.store.competition(&id).await {
        Ok(Some(stored)) => Ok(stored.value),
        Ok(None) => Err(unknown()),
        Err(error) => Err(ApiError::from(error).into_response()),
    }
}

/// An event and one of its divisions with the division's stored version, or the answer for
/// an address that names none (404).
async fn load_division(
    state: &AppState,
    event: &str,
    division: &str,
) -> Result<(Competition, Division, u64), Response> {
    let competition = load_event(state, event).await?;
    let unknown = || not_found_page(format!("Event \"{event}\" has no division \"{division}\"."));
    let Ok(id) = DivisionId::new(division) else {
        return Err(unknown());
    };
    match state.store.division(&id).await {
        Ok(Some(stored)) if stored.value.competition == competition.id => {
            Ok((competition, stored.value, stored.version))
        }
        Ok(_) => Err(unknown()),
        Err(error) => Err(ApiError::from(error).into_response()),
    }
}

/// The divisions of `competition`, in its order.
async fn divisions_of(
    state: &AppState,
    competition: &Competition,
) -> Result<Vec<Division>, ApiError> {
    let mut divisions = Vec::new();
    for division in &competition.divisions {
        if let Some(stored) = state.store.division(division).await? {
            divisions.push(stored.value);
        }
    }
    Ok(divisions)
}

/// A division as a row of the event page.
struct DivisionRow {
    id: String,
    name: String,
    participants: usize,
    state: &'static str,
}

/// A generation job the event page follows.
struct JobRow {
    id: u64,
    division: String,
    status: String,
    error: String,
    /// Succeeded or failed for good.
    done: bool,
}

#[derive(Template)]
#[template(path = "event.html")]
struct EventPage {
    title: String,
    viewer: Option<Viewer>,
    csrf_token: String,
    errors: Vec<String>,
    id: String,
    name: String,
    divisions: Vec<DivisionRow>,
    may_generate_all: bool,
    jobs: Vec<JobRow>,
    /// The job ids, comma separated, for the script.
    job_ids: String,
    done: usize,
    finished: bool,
}

/// The `?jobs=1,2,3` an event page follows (unknown parameters are ignored).
#[derive(Debug, Default, Deserialize)]
struct EventQuery {
    #[serde(default)]
    jobs: String,
}

/// An event's page.
async fn event_page(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let bad = |message: String| {
        let mut response = not_found_page(message);
        *response.status_mut() = StatusCode::BAD_REQUEST;
        response
    };
    let query: EventQuery = match serde_urlencoded::from_str(raw.as_deref().unwrap_or("")) {
        Ok(query) => query,
        Err(error) => return bad(format!("This event address is not valid: {error}.")),
    };
    let mut jobs = Vec::new();
    for part in query.jobs.split(',').filter(|p| !p.is_empty()) {
        match part.parse::<u64>() {
            Ok(job) if jobs.len() < MAX_JOBS => jobs.push(JobId(job)),
            Ok(_) => return bad(format!("An event page follows at most {MAX_JOBS} jobs.")),
            Err(_) => return bad(format!("\"{part}\" is not a job number.")),
        }
    }
    render_event(&state, viewer, &id, &jobs, StatusCode::OK, Vec::new()).await
}

/// An event's page for `viewer` with `status`, following `jobs` and showing `errors`.
async fn render_event(
    state: &AppState,
    viewer: Option<Viewer>,
    id: &str,
    jobs: &[JobId],
    status: StatusCode,
    errors: Vec<String>,
) -> Response {
    let competition = match load_event(state, id).await {
        Ok(competition) => competition,
        Err(response) => return response,
    };
    // The jobs before the divisions: a job seen done has its bracket in the divisions read
    // after it (a generation commits with its job's completion).
    let mut rows = Vec::new();
    for job in jobs {
        let found = match state.store.job(*job).await {
            Ok(found) => found,
            Err(error) => return ApiError::from(error).into_response(),
        };
        // Only this event's generation jobs.
        let Some(job) = found.filter(|j| {
            j.payload.get("event").and_then(Value::as_str) == Some(competition.id.as_str())
        }) else {
            continue;
        };
        let view = JobView::of(state, &job).await;
        rows.push(JobRow {
            id: job.id.0,
            division: view.division.map(|d| d.to_string()).unwrap_or_default(),
            status: serde_json::to_value(view.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            error: view.error.unwrap_or_default(),
            done: matches!(
                view.status,
                JobStatus::Succeeded | JobStatus::Failed | JobStatus::Cancelled
            ),
        });
    }
    let divisions = match divisions_of(state, &competition).await {
        Ok(divisions) => divisions,
        Err(error) => return error.into_response(),
    };
    let done = rows.iter().filter(|r| r.done).count();
    let principal = viewer.as_ref().map(|v| v.user.value.principal());
    let view = EventPage {
        title: competition.name.clone(),
        csrf_token: token_of(viewer.as_ref()),
        viewer,
        errors,
        id: competition.id.to_string(),
        name: competition.name.clone(),
        may_generate_all: may_generate_all(&competition, &divisions, principal.as_ref()),
        divisions: divisions
            .iter()
            .map(|d| DivisionRow {
                id: d.id.to_string(),
                name: d.name.clone(),
                participants: d.participants.len(),
                state: state_label(d.state),
            })
            .collect(),
        job_ids: rows
            .iter()
            .map(|r| r.id.to_string())
            .collect::<Vec<_>>()
            .join(","),
        finished: done == rows.len(),
        done,
        jobs: rows,
    };
    page(status, &view)
}

/// Queues one generation job per division, as `generate-all-brackets` does, and goes back
/// to the event page following them.
async fn generate_all(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (viewer, TokenOnly { .. }) = match signed_in_form::<TokenOnly>(viewer, &body) {
        Ok(posted) => posted,
        Err(response) => return *response,
    };
    let competition = match load_event(&state, &id).await {
        Ok(competition) => competition,
        Err(response) => return response,
    };
    let divisions = match divisions_of(&state, &competition).await {
        Ok(divisions) => divisions,
        Err(error) => return error.into_response(),
    };
    let principal = viewer.user.value.principal();
    if !may_generate_all(&competition, &divisions, Some(&principal)) {
        let message = "You cannot generate this event's brackets now.".to_owned();
        return render_event(
            &state,
            Some(viewer),
            &id,
            &[],
            StatusCode::FORBIDDEN,
            vec![message],
        )
        .await;
    }
    match state.service.queue_generation(&competition.id, None).await {
        Ok(jobs) => {
            let ids: Vec<String> = jobs.iter().map(|j| j.id.0.to_string()).collect();
            see_other(&format!(
                "/events/{}?jobs={}",
                urlencoding(competition.id.as_str()),
                ids.join(",")
            ))
        }
        Err(error) => {
            let error = ApiError::from(error);
            render_event(
                &state,
                Some(viewer),
                &id,
                &[],
                error.status,
                vec![error.message],
            )
            .await
        }
    }
}

/// `text` as a path segment.
fn urlencoding(text: &str) -> String {
    serde_urlencoded::to_string([("", text)])
        .map(|pair| pair.trim_start_matches('=').replace('+', "%20"))
        .unwrap_or_default()
}

/// A participant on a division page.
struct Entry {
    name: String,
    seed: String,
    rating: String,
    club: String,
}

/// A version of a division's bracket.
struct VersionRow {
    number: u32,
    origin: String,
    created: String,
    current: bool,
}

/// A line of a quality report or a diff summary: what, and its value.
struct Line {
    label: &'static str,
    value: String,
}

/// A preview shown before saving.
struct PreviewView {
    /// The manual edits of the current version that saving replays over the new draw.
    replayed: usize,
    report: Vec<Line>,
    changes: Vec<Line>,
    unchanged: bool,
    text: String,
}

/// The overrides as the Preview form posts them (every field may be left empty: keep).
#[derive(Debug, Clone, Default, Deserialize)]
struct OverrideFields {
    #[serde(default)]
    format: String,
    #[serde(default)]
    max_seeds: String,
    #[serde(default)]
    third_place: String,
    #[serde(default)]
    separate_clubs: String,
    #[serde(default)]
    seed: String,
    /// The division's version when the preview was made (the save form).
    #[serde(default)]
    version: Option<u64>,
}

impl OverrideFields {
    /// The core's overrides for these fields: the form only carries the values over
    /// (numbers as numbers, yes/no as booleans), the core's [`Overrides`] and its
    /// preview decide what is valid.
    fn overrides(&self) -> Result<Overrides, ApiError> {
        let scalar = |text: &str| match text {
            "yes" => Value::Bool(true),
            "no" => Value::Bool(false),
            _ => text
                .trim()
                .parse::<u64>()
                .map_or_else(|_| Value::String(text.to_owned()), Value::from),
        };
        let mut rules = Map::new();
        for (name, text) in [
            ("format", &self.format),
            ("max_seeds", &self.max_seeds),
            ("third_place", &self.third_place),
            ("separate_clubs", &self.separate_clubs),
        ] {
            if !text.is_empty() {
                rules.insert(name.to_owned(), scalar(text));
            }
        }
        let mut object = Map::new();
        object.insert("rules".to_owned(), Value::Object(rules));
        if !self.seed.is_empty() {
            object.insert("seed".to_owned(), scalar(&self.seed));
        }
        serde_json::from_value(Value::Object(object)).map_err(|error| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_overrides",
                format!("These overrides are not valid: {error}."),
            )
        })
    }
}

#[derive(Template)]
#[template(path = "division.html")]
struct DivisionPage {
    title: String,
    viewer: Option<Viewer>,
    csrf_token: String,
    errors: Vec<String>,
    event_id: String,
    event_name: String,
    id: String,
    name: String,
    state: &'static str,
    version: u64,
    rules: String,
    has_bracket: bool,
    entries: Vec<Entry>,
    versions: Vec<VersionRow>,
    may_preview: bool,
    may_lock: bool,
    /// A first bracket may be generated (later ones go through the preview).
    may_generate: bool,
    formats: Vec<&'static str>,
    /// The yes/no overrides: field name, label, the choice posted.
    switches: Vec<(&'static str, &'static str, String)>,
    fields: OverrideFields,
    preview: Option<PreviewView>,
}

/// The formats the Preview form offers (the core decides whether one suits the field).
const FORMATS: [Format; 6] = [
    Format::SingleElimination,
    Format::DoubleElimination,
    Format::Repechage,
    Format::RoundRobin,
    Format::Groups,
    Format::Auto,
];

/// The quality report as lines.
fn report_lines(report: &DrawReport) -> Vec<Line> {
    let yes_no = |b: bool| if b { "yes" } else { "no" }.to_owned();
    vec![
        Line {
            label: "Quality score",
            value: report.score.to_string(),
        },
        Line {
            label: "Entries",
            value: report.entries.to_string(),
        },
        Line {
            label: "Bracket size",
            value: report.bracket_size.to_string(),
        },
        Line {
            label: "Rounds",
            value: report.rounds.to_string(),
        },
        Line {
            label: "Seeded",
            value: report.seeded.to_string(),
        },
        Line {
            label: "Seeds kept apart",
            value: format!(
                "{} ({} of {} levels)",
                yes_no(report.seed_integrity.intact),
                report.seed_integrity.levels_intact,
                report.seed_integrity.levels_checked
            ),
        },
        Line {
            label: "Byes",
            value: format!(
                "{}{}",
                report.byes.count,
                if report.byes.to_top_seeds && report.byes.count > 0 {
                    " (to the top seeds)"
                } else {
                    ""
                }
            ),
        },
        Line {
            label: "Club-mates meeting early",
            value: report
                .clubs
                .iter()
                .filter(|c| c.earliest_round < c.best_possible_round)
                .count()
                .to_string(),
        },
        Line {
            label: "Rating gap between halves",
            value: report.balance.halves_gap.to_string(),
        },
    ]
}

/// The structural diff as lines (only what changed).
fn change_lines(diff: &BracketDiff, name_of: &dyn Fn(&ParticipantId) -> String) -> Vec<Line> {
    let names = |ids: &[ParticipantId]| ids.iter().map(name_of).collect::<Vec<_>>().join(", ");
    let slot = |s: Option<usize>| s.map_or_else(|| "out".to_owned(), |s| format!("slot {s}"));
    let mut lines = Vec::new();
    if diff.options.is_some() {
        lines.push(Line {
            label: "Rules",
            value: "changed".to_owned(),
        });
    }
    if let Some(size) = &diff.slot_count {
        lines.push(Line {
            label: "Bracket size",
            value: format!("{} → {}", size.before, size.after),
        });
    }
    for moved in &diff.moved {
        lines.push(Line {
            label: "Moved",
            value: format!(
                "{}: {} → {}",
                name_of(&moved.participant),
                slot(moved.from),
                slot(moved.to)
            ),
        });
    }
    if !diff.pairings.is_empty() {
        lines.push(Line {
            label: "Pairings changed",
            value: diff.pairings.len().to_string(),
        });
    }
    if !diff.byes_gained.is_empty() {
        lines.push(Line {
            label: "Byes gained",
            value: names(&diff.byes_gained),
        });
    }
    if !diff.byes_lost.is_empty() {
        lines.push(Line {
            label: "Byes lost",
            value: names(&diff.byes_lost),
        });
    }
    for seed in &diff.seeds {
        let number = |n: Option<u32>| n.map_or_else(|| "unseeded".to_owned(), |n| n.to_string());
        lines.push(Line {
            label: "Seed",
            value: format!(
                "{}: {} → {}",
                name_of(&seed.participant),
                number(seed.before),
                number(seed.after)
            ),
        });
    }
    lines
}

/// A division's page for `viewer` with `status`, showing `errors` above it and `preview`
/// (with the `fields` that made it) when one was asked for.
async fn render_division(
    state: &AppState,
    viewer: Option<Viewer>,
    (event, division): (&str, &str),
    status: StatusCode,
    errors: Vec<String>,
    shown: Option<(OverrideFields, Option<Preview>)>,
) -> Response {
    let (competition, d, version) = match load_division(state, event, division).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let principal = viewer.as_ref().map(|v| v.user.value.principal());
    let actions = division_actions_for(&competition, &d, principal.as_ref());
    let current = d.history.tag(&TagName::current());
    let name_of = |id: &ParticipantId| {
        d.participants
            .iter()
            .find(|p| p.id == *id)
            .map_or_else(|| id.to_string(), |p| p.name.clone())
    };
    let (fields, preview) = shown.unwrap_or_default();
    let replayed = current
        .and_then(|n| d.history.version(n))
        .map_or(0, |record| record.patches.len());
    let preview = preview.map(|p| PreviewView {
        replayed,
        report: report_lines(&p.report),
        changes: change_lines(&p.diff, &name_of),
        unchanged: p.diff.is_empty(),
        text: p.text,
    });
    let optional = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
    let view = DivisionPage {
        title: format!("{} · {}", d.name, competition.name),
        csrf_token: token_of(viewer.as_ref()),
        viewer,
        errors,
        event_id: competition.id.to_string(),
        event_name: competition.name.clone(),
        id: d.id.to_string(),
        name: d.name.clone(),
        state: state_label(d.state),
        version,
        rules: format!(
            "{} · draw seed {}",
            d.rules.options.format.name(),
            d.rules.seed
        ),
        has_bracket: d.bracket.is_some(),
        entries: d
            .participants
            .iter()
            .map(|p| Entry {
                name: p.name.clone(),
                seed: optional(p.seed),
                rating: optional(p.rating),
                club: p.club.clone().unwrap_or_default(),
            })
            .collect(),
        versions: d
            .history
            .versions()
            .iter()
            .map(|v| VersionRow {
                number: v.number,
                origin: match &v.origin {
                    Origin::Generated { seed, .. } => format!("generated (draw seed {seed})"),
                    Origin::Edited { parent, .. } => format!("edited from version {parent}"),
                    _ => "recorded".to_owned(),
                },
                created: v.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                current: Some(v.number) == current,
            })
            .collect(),
        may_preview: actions.contains(&DivisionAction::Preview),
        may_lock: actions.contains(&DivisionAction::Lock),
        may_generate: actions.contains(&DivisionAction::Generate) && d.bracket.is_none(),
        formats: FORMATS.iter().map(|f| f.name()).collect(),
        switches: vec![
            (
                "third_place",
                "Third-place match",
                fields.third_place.clone(),
            ),
            (
                "separate_clubs",
                "Keep club-mates apart",
                fields.separate_clubs.clone(),
            ),
        ],
        fields,
        preview,
    };
    page(status, &view)
}

/// A division's page.
async fn division_page(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    Path((event, division)): Path<(String, String)>,
) -> Response {
    render_division(
        &state,
        viewer,
        (&event, &division),
        StatusCode::OK,
        Vec::new(),
        None,
    )
    .await
}

/// A division form posted by a viewer who may take `action` there now: the viewer, the
/// fields, the division and its version; otherwise the answer (sign-in, 403 without the
/// token or the right, 404).
async fn division_form<T: serde::de::DeserializeOwned>(
    state: &AppState,
    viewer: Option<Viewer>,
    (event, division): (&str, &str),
    action: DivisionAction,
    body: &Bytes,
) -> Result<(Viewer, T, Division, u64), Response> {
    let (viewer, fields) = signed_in_form::<T>(viewer, body).map_err(|r| *r)?;
    let (competition, d, version) = load_division(state, event, division).await?;
    let principal = viewer.user.value.principal();
    if !division_actions_for(&competition, &d, Some(&principal)).contains(&action) {
        let message = format!("You cannot {action} this division's bracket now.");
        return Err(render_division(
            state,
            Some(viewer),
            (event, division),
            StatusCode::FORBIDDEN,
            vec![message],
            None,
        )
        .await);
    }
    Ok((viewer, fields, d, version))
}

/// The division page again with `error`, its status, and the posted `fields`.
async fn refused(
    state: &AppState,
    viewer: Viewer,
    place: (&str, &str),
    error: ApiError,
    fields: OverrideFields,
) -> Response {
    render_division(
        state,
        Some(viewer),
        place,
        error.status,
        vec![error.message],
        Some((fields, None)),
    )
    .await
}

/// A division's forms (`step`): `preview` (the Preview form), `save` ("Save this
/// bracket"), `generate` and `lock`, posted by a viewer who may take that action now.
async fn division_posted(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    Path((event, division, step)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let place = (event.as_str(), division.as_str());
    let action = match step.as_str() {
        "preview" | "save" => DivisionAction::Preview,
        "generate" => DivisionAction::Generate,
        "lock" => DivisionAction::Lock,
        _ => return not_found_page("There is no such division form."),
    };
    let posted = division_form::<OverrideFields>(&state, viewer, place, action, &body).await;
    let (viewer, fields, d, version) = match posted {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let written = match step.as_str() {
        "save" => return save(&state, viewer, place, fields, d, version).await,
        "generate" => expecting(Some(version), state.service.generate(&d.id))
            .await
            .map(drop),
        "lock" => expecting(Some(version), state.service.lock(&d.id))
            .await
            .map(drop),
        _ => return show_preview(&state, viewer, place, fields, &d).await,
    };
    match written {
        Ok(()) => see_other(&division_address(place.0, place.1)),
        Err(error) => refused(&state, viewer, place, error.into(), fields).await,
    }
}

/// The Preview form's answer: the division page with the quality report and the diff of a
/// regeneration with the posted overrides, from the core's preview; nothing is saved.
async fn show_preview(
    state: &AppState,
    viewer: Viewer,
    place: (&str, &str),
    fields: OverrideFields,
    d: &Division,
) -> Response {
    let previewed = match fields.overrides() {
        Ok(overrides) => state
            .service
            .preview(&d.id, &overrides)
            .await
            .map_err(ApiError::from),
        Err(error) => Err(error),
    };
    match previewed {
        Ok(preview) => {
            render_division(
                state,
                Some(viewer),
                place,
                StatusCode::OK,
                Vec::new(),
                Some((fields, Some(preview))),
            )
            .await
        }
        Err(error) => refused(state, viewer, place, error, fields).await,
    }
}

/// "Save this bracket": sets the division's rules and seed to the previewed ones and
/// generates, so that the bracket saved is the draw previewed — only while the division is
/// still at the version the preview was made at (`version`: the one it is at now).
async fn save(
    state: &AppState,
    viewer: Viewer,
    place: (&str, &str),
    fields: OverrideFields,
    d: Division,
    version: u64,
) -> Response {
    let saved = async {
        let overrides = fields.overrides()?;
        let previewed_at = fields.version.unwrap_or(version);
        let current = d.bracket.as_ref().ok_or_else(|| {
            Error::from(ServiceError::NoBracket {
                division: d.id.to_string(),
            })
        })?;
        // The options and seed the core's preview drew with.
        let options = overrides
            .apply_to(current.options())
            .map_err(|e| ApiError::from(Error::from(e)))?;
        let changes = DivisionChanges {
            name: None,
            rules: Some(options),
            seed: Some(overrides.seed.unwrap_or(d.rules.seed)),
        };
        let (updated, _) = expecting(
            Some(previewed_at),
            state.service.update_division(&d.id, changes),
        )
        .await
        .map_err(|error| stale(error.into()))?;
        expecting(Some(updated.version), state.service.generate(&d.id))
            .await
            .map_err(|error| stale(error.into()))?;
        Ok::<(), ApiError>(())
    }
    .await;
    match saved {
        Ok(()) => see_other(&division_address(place.0, place.1)),
        Err(error) => refused(state, viewer, place, error, fields).await,
    }
}

/// A failed precondition explained: the division changed since the preview.
fn stale(mut error: ApiError) -> ApiError {
    if error.code == "precondition_failed" {
        error.status = StatusCode::CONFLICT;
        error.message = format!(
            "This division changed since the preview ({}): preview again.",
            error.message
        );
    }
    error
}

/// The address of a division's page.
fn division_address(event: &str, division: &str) -> String {
    format!(
        "/events/{}/divisions/{}",
        urlencoding(event),
        urlencoding(division)
    )
}
