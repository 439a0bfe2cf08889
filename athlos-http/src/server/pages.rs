//! The web pages: server-rendered HTML over the same core service as the API.
//!
//! Every page reads through [`Service`](athlos_core::service::Service) and shows what the core
//! decides (a tournament's allowed actions come from its lifecycle, its standings from the
//! core's table, which tournaments a filter passes from [`TournamentFilter`]); the templates
//! (`templates/`, checked at compile time) only lay them out, escaping every text. Pages carry
//! a Content-Security-Policy that allows no inline script or style and nothing from another
//! origin.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use athlos_core::bracket::{MatchResult, MatchStatus};
use athlos_core::browse::TournamentFilter;
use athlos_core::id::TournamentId;
use athlos_core::leaderboard::PlayFormat;
use athlos_core::lifecycle::{TournamentAction, TournamentState};
use athlos_core::service::{actions_for, table_of, TableRow};
use athlos_core::tournament::Tournament;

use super::account_pages::{PageViewer, Viewer};
use super::error::ApiError;
use super::tournament_forms::{format_choices, RulesFields};
use super::tournaments::{round_games, total_rounds};
use super::AppState;

/// The policy of every page: scripts, styles and images from this origin only, no inline
/// script or style, no framing, forms posting here only.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                      connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
                      base-uri 'none'";

/// Tournaments per page of the list.
const PAGE: usize = 20;

/// The page routes (not in the OpenAPI document: they answer HTML).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/tournaments", get(tournament_list))
        .route("/tournaments/{id}", get(tournament_page))
        .route("/static/app.css", get(stylesheet))
        .route("/static/icon.svg", get(icon))
        .route("/static/live.js", get(live_script))
}

/// A rendered page with its status and the page headers.
pub(super) fn page(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => {
            let mut response = (status, html).into_response();
            let headers = response.headers_mut();
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => ApiError::internal(format!("cannot render a page: {error}")).into_response(),
    }
}

/// The "not found" page.
#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFound {
    title: &'static str,
    viewer: Option<Viewer>,
    message: String,
}

/// The 404 page saying `message`.
pub fn not_found_page(message: impl Into<String>) -> Response {
    page(
        StatusCode::NOT_FOUND,
        &NotFound {
            title: "Not found",
            viewer: None,
            message: message.into(),
        },
    )
}

/// Whether the client asked for HTML (a browser), so that an unknown address answers the 404
/// page rather than the API's JSON error.
pub fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

async fn stylesheet() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_str!("../../static/app.css"),
    )
}

/// The site's icon, named by every page (so that browsers do not ask for `/favicon.ico`).
async fn icon() -> Response {
    asset("image/svg+xml", include_str!("../../static/icon.svg"))
}

/// The script of live pages (tournament pages: results saved as chosen, updates streamed).
async fn live_script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../static/live.js"),
    )
}

/// A file of `static/`, cacheable for an hour.
pub(super) fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (CONTENT_TYPE, content_type),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// A tournament as a line of a list.
struct Card {
    id: String,
    name: String,
    state: TournamentState,
    format: String,
    entries: usize,
    round: u32,
}

impl Card {
    fn of(t: &Tournament) -> Self {
        Self {
            id: t.id.to_string(),
            name: t.name.clone(),
            state: t.state,
            format: PlayFormat::of(t).name().to_owned(),
            entries: t.entries.len(),
            round: t.round,
        }
    }
}

/// A finished tournament on the home page.
struct Finished {
    id: String,
    name: String,
    winners: String,
    finished: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    title: &'static str,
    viewer: Option<Viewer>,
    counts: Vec<(TournamentState, usize)>,
    live: Vec<Card>,
    upcoming: Vec<Card>,
    recent: Vec<Finished>,
}

/// The home dashboard: counts by state, live and upcoming tournaments, recent results.
async fn home(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
) -> Result<Response, ApiError> {
    let mut counts = Vec::new();
    let cards = |wanted: TournamentState| TournamentFilter {
        state: Some(wanted),
        ..TournamentFilter::default()
    };
    let mut live = Vec::new();
    let mut upcoming = Vec::new();
    let mut finished = Vec::new();
    for &wanted in TournamentState::ALL {
        let (found, total) = state
            .service
            .browse_tournaments(&cards(wanted), usize::MAX, 0)
            .await?;
        counts.push((wanted, total));
        match wanted {
            TournamentState::Active => {
                live.extend(found.iter().take(10).map(|s| Card::of(&s.value)))
            }
            TournamentState::Registration => {
                upcoming.extend(found.iter().take(10).map(|s| Card::of(&s.value)));
            }
            TournamentState::Completed | TournamentState::Archived => {
                finished.extend(found.into_iter().map(|s| s.value));
            }
            _ => {}
        }
    }
    // The latest finished first.
    finished.sort_by(|a, b| (b.finished_at, &b.id).cmp(&(a.finished_at, &a.id)));
    let recent = finished
        .iter()
        .take(5)
        .map(|t| {
            let table = table_of(t);
            let winners: Vec<&str> = table
                .rows
                .iter()
                .filter(|row| row.rank == 1)
                .map(|row| row.name.as_str())
                .collect();
            Finished {
                id: t.id.to_string(),
                name: t.name.clone(),
                winners: winners.join(", "),
                finished: t.finished_at.map(when).unwrap_or_default(),
            }
        })
        .collect();
    Ok(page(
        StatusCode::OK,
        &Home {
            title: "Home",
            viewer,
            counts,
            live,
            upcoming,
            recent,
        },
    ))
}

/// The list's filters as the address carries them.
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    format: String,
    #[serde(default)]
    page: Option<usize>,
}

#[derive(Template)]
#[template(path = "tournaments.html")]
struct List {
    title: &'static str,
    viewer: Option<Viewer>,
    q: String,
    states: Vec<(&'static str, bool)>,
    formats: Vec<(&'static str, bool)>,
    rows: Vec<Card>,
    total: usize,
    page: usize,
    pages: usize,
    previous: Option<String>,
    next: Option<String>,
}

/// The tournament list: filters by state, format and text, a page at a time. A filter value
/// it does not know answers 400 with the page naming it.
async fn tournament_list(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    RawQuery(raw): RawQuery,
) -> Result<Response, Response> {
    let bad = |message: String| {
        let mut response = not_found_page(message);
        *response.status_mut() = StatusCode::BAD_REQUEST;
        response
    };
    let query: ListQuery = serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
        .map_err(|error| bad(format!("This list address is not valid: {error}.")))?;
    let wanted_state = match query.state.as_str() {
        "" => None,
        name => Some(
            TournamentState::ALL
                .iter()
                .copied()
                .find(|s| s.name() == name)
                .ok_or_else(|| bad(format!("There is no tournament state \"{name}\".")))?,
        ),
    };
    let format = match query.format.as_str() {
        "" => None,
        name => Some(PlayFormat::parse(name).map_err(|message| bad(format!("{message}.")))?),
    };
    let filter = TournamentFilter {
        state: wanted_state,
        format,
        text: Some(query.q.clone()).filter(|q| !q.trim().is_empty()),
    };
    let page_number = query.page.unwrap_or(1).max(1);
    let offset = (page_number - 1).saturating_mul(PAGE);
    let (found, total) = state
        .service
        .browse_tournaments(&filter, PAGE, offset)
        .await
        .map_err(|error| ApiError::from(error).into_response())?;
    let pages = total.div_ceil(PAGE).max(1);
    let link = |number: usize| {
        let mut pairs = vec![];
        if !query.q.is_empty() {
            pairs.push(("q", query.q.clone()));
        }
        if !query.state.is_empty() {
            pairs.push(("state", query.state.clone()));
        }
        if !query.format.is_empty() {
            pairs.push(("format", query.format.clone()));
        }
        pairs.push(("page", number.to_string()));
        format!(
            "/tournaments?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    };
    let list = List {
        title: "Tournaments",
        viewer,
        q: query.q.clone(),
        states: TournamentState::ALL
            .iter()
            .map(|s| (s.name(), Some(*s) == wanted_state))
            .collect(),
        formats: PlayFormat::ALL
            .iter()
            .map(|f| (f.name(), f.name() == query.format.as_str()))
            .collect(),
        rows: found.iter().map(|s| Card::of(&s.value)).collect(),
        total,
        page: page_number,
        pages,
        previous: (page_number > 1).then(|| link(page_number - 1)),
        next: (page_number < pages).then(|| link(page_number + 1)),
    };
    Ok(page(StatusCode::OK, &list))
}

/// A game on a tournament page.
struct Game {
    id: String,
    sides: (String, String),
    /// The sides' entry ids (empty: not known yet), for the live updates.
    side_ids: (String, String),
    result: String,
}

/// A pending match in the results form: its id, its sides (id, name), whether this viewer may
/// abandon it and whether it may be drawn.
struct ResultControl {
    id: String,
    sides: Vec<(String, String)>,
    may_abandon: bool,
    /// Whether the match may be drawn (the core says: a Swiss game or a pool match).
    may_draw: bool,
}

/// The actions a tournament page has buttons for, in the order shown, with their labels
/// (editing, teams and results have forms of their own).
pub(super) const BUTTONS: [(TournamentAction, &str); 8] = [
    (TournamentAction::Publish, "Publish"),
    (TournamentAction::Start, "Start"),
    (TournamentAction::Advance, "Advance"),
    (TournamentAction::Archive, "Archive"),
    (TournamentAction::Cancel, "Cancel"),
    (TournamentAction::Delete, "Delete"),
    (TournamentAction::Join, "Join"),
    (TournamentAction::Withdraw, "Withdraw"),
];

/// A standings row on a tournament page.
pub(super) struct Row {
    pub rank: u32,
    pub name: String,
    pub points: String,
    pub wins: u32,
    pub draws: u32,
    pub losses: u32,
    /// Tie-break values in the rules' order (empty for a bracket).
    pub tiebreaks: Vec<String>,
}

impl Row {
    /// A row of the core's table.
    pub(super) fn of(row: &TableRow) -> Self {
        Self {
            rank: row.rank,
            name: row.name.clone(),
            points: row.points.to_string(),
            wins: row.wins,
            draws: row.draws,
            losses: row.losses,
            tiebreaks: row
                .tiebreaks
                .values()
                .map(|value| value.map_or_else(|| "–".to_owned(), |v| v.to_string()))
                .collect(),
        }
    }
}

/// A registered team on a tournament page.
struct TeamLine {
    id: String,
    name: String,
    members: String,
    /// Whether this viewer may unregister it now (the core says).
    may_unregister: bool,
}

/// The page of a tournament that has not opened (in draft), for everyone but its director.
#[derive(Template)]
#[template(path = "not_started.html")]
struct NotStarted {
    title: String,
    viewer: Option<Viewer>,
    name: String,
    starts_at: Option<String>,
}

/// The username of account `id` (a subject without an account, such as a bot's token, as
/// it is).
async fn username_of(state: &AppState, id: &str) -> Result<String, ApiError> {
    let Ok(user) = athlos_core::id::UserId::new(id) else {
        return Ok(id.to_owned());
    };
    Ok(state
        .service
        .store()
        .user(&user)
        .await?
        .map_or_else(|| id.to_owned(), |stored| stored.value.username.to_string()))
}

/// A time as pages show it.
pub(super) fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

#[derive(Template)]
#[template(path = "tournament.html")]
struct TournamentPage {
    title: String,
    viewer: Option<Viewer>,
    /// The log sequence the page shows the tournament at: its live stream resumes after it.
    after: u64,
    csrf_token: String,
    /// Refusals of the form just posted.
    errors: Vec<String>,
    /// The action buttons this viewer has now: the action's name and its label.
    buttons: Vec<(String, &'static str)>,
    /// The results form's controls (empty: no form).
    results: Vec<ResultControl>,
    id: String,
    name: String,
    state: TournamentState,
    format: String,
    round: u32,
    rounds: Option<u32>,
    entries: Vec<String>,
    pairings: Vec<Game>,
    standings: Vec<Row>,
    standings_final: bool,
    /// The tie-break codes heading the standings' last columns.
    tiebreak_codes: Vec<String>,
    /// The rounds paired so far, each with a page of its games (the history once finished).
    played_rounds: Vec<u32>,
    /// Whether it is a Swiss (which has a crosstable).
    is_swiss: bool,
    has_bracket: bool,
    starts_at: Option<String>,
    /// The configuration form's fields (in draft, for the director).
    configuration: Option<RulesFields>,
    formats: Vec<(&'static str, String)>,
    creating: bool,
    /// Whether the team sign-up form is shown, and the viewer's account (its first member).
    sign_up: bool,
    me: String,
    teams: Vec<TeamLine>,
    /// Whether the viewer follows the tournament (`None`: signed out).
    following: Option<bool>,
}

/// A tournament's page: what it shows follows its state (the current round's games while
/// active, standings once started, the bracket, the entries).
async fn tournament_page(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    render_tournament(&state, viewer, &id, StatusCode::OK, Vec::new(), None).await
}

/// A tournament's page for `viewer` with `status`, showing `errors` (the refusals of a form
/// just posted) above its content, and the configuration form with `typed` (what was just
/// posted) rather than the tournament's own settings.
pub(super) async fn render_tournament(
    state: &AppState,
    viewer: Option<Viewer>,
    id: &str,
    status: StatusCode,
    errors: Vec<String>,
    typed: Option<RulesFields>,
) -> Result<Response, ApiError> {
    let Ok(id) = TournamentId::new(id) else {
        return Ok(not_found_page("There is no tournament at this address."));
    };
    // Read before the tournament, so that the page's live stream, which resumes after it,
    // misses nothing that the page does not show.
    let after = state.service.store().last_sequence().await?;
    let Some(stored) = state.service.store().tournament(&id).await? else {
        return Ok(not_found_page(format!(
            "There is no tournament \"{}\".",
            id.as_str()
        )));
    };
    let t = stored.value;
    let name_of = |side: &Option<athlos_core::model::ParticipantId>| match side {
        Some(id) => t
            .entries
            .iter()
            .find(|e| e.id == *id)
            .map_or_else(|| id.to_string(), |e| e.name.clone()),
        None => "—".to_owned(),
    };
    let principal = viewer.as_ref().map(|v| v.user.value.principal());
    let allowed = actions_for(&t, principal.as_ref());
    if t.state == TournamentState::Draft && !allowed.contains(&TournamentAction::Edit) {
        return Ok(page(
            status,
            &NotStarted {
                title: t.name.clone(),
                viewer,
                name: t.name.clone(),
                starts_at: t.starts_at.map(when),
            },
        ));
    }
    let games = if t.state == TournamentState::Active {
        round_games(&t, t.round).unwrap_or_default()
    } else {
        Vec::new()
    };
    // The results form: the current round's pending matches this viewer may report.
    let results = match &principal {
        Some(principal) if allowed.contains(&TournamentAction::RecordResult) => games
            .iter()
            .filter(|g| g.status == MatchStatus::Ready)
            .filter(|g| t.may_report(principal, &g.match_id).is_ok())
            .map(|g| ResultControl {
                id: g.match_id.to_string(),
                sides: g
                    .sides
                    .iter()
                    .flatten()
                    .map(|side| (side.to_string(), name_of(&Some(side.clone()))))
                    .collect(),
                may_abandon: allowed.contains(&TournamentAction::AbandonMatch),
                may_draw: t.may_be_drawn(&g.match_id),
            })
            .collect(),
        _ => Vec::new(),
    };
    let buttons = BUTTONS
        .iter()
        .filter(|(action, _)| allowed.contains(action))
        .map(|(action, label)| (action.to_string(), *label))
        .collect();
    let pairings = if t.state == TournamentState::Active {
        games
            .iter()
            .map(|g| Game {
                id: g.match_id.to_string(),
                sides: (name_of(&g.sides[0]), name_of(&g.sides[1])),
                side_ids: (
                    g.sides[0]
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                    g.sides[1]
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                ),
                result: match &g.result {
                    None => g.status.to_string(),
                    Some(MatchResult::Draw { .. }) => "draw".to_owned(),
                    Some(result) => result.winner().map_or_else(String::new, |w| {
                        format!("{} won", name_of(&Some(w.clone())))
                    }),
                },
            })
            .collect()
    } else {
        Vec::new()
    };
    let table = table_of(&t);
    let started = t.play.is_some();
    let standings = if started {
        table.rows.iter().map(Row::of).collect()
    } else {
        Vec::new()
    };
    let tiebreak_codes = t
        .rules
        .swiss
        .as_ref()
        .map(|s| s.tiebreaks.iter().map(ToString::to_string).collect())
        .unwrap_or_default();
    let played_rounds = if started {
        (1..=t.round).collect()
    } else {
        Vec::new()
    };
    let configuration = (t.state == TournamentState::Draft
        && allowed.contains(&TournamentAction::Edit))
    .then(|| typed.unwrap_or_else(|| RulesFields::of(&t)));
    let mut teams = Vec::with_capacity(t.teams.len());
    for team in &t.teams {
        let mut members = Vec::with_capacity(team.members.len());
        for member in &team.members {
            members.push(username_of(state, member).await?);
        }
        teams.push(TeamLine {
            id: team.id.to_string(),
            name: team.name.clone(),
            members: members.join(", "),
            may_unregister: allowed.contains(&TournamentAction::UnregisterTeam)
                && principal
                    .as_ref()
                    .is_some_and(|p| t.may_unregister_team(p, &team.id).is_ok()),
        });
    }
    let rounds = total_rounds(&t);
    let me = viewer
        .as_ref()
        .map(|v| v.user.value.username.to_string())
        .unwrap_or_default();
    let view = TournamentPage {
        title: t.name.clone(),
        after,
        csrf_token: viewer
            .as_ref()
            .map(|v| v.csrf_token.clone())
            .unwrap_or_default(),
        viewer,
        errors,
        buttons,
        results,
        id: t.id.to_string(),
        name: t.name.clone(),
        state: t.state,
        format: PlayFormat::of(&t).name().to_owned(),
        round: t.round,
        rounds,
        entries: t.entries.iter().map(|e| e.name.clone()).collect(),
        pairings,
        standings,
        standings_final: table.is_final,
        tiebreak_codes,
        played_rounds,
        is_swiss: t.swiss().is_some(),
        has_bracket: t.bracket().is_some(),
        starts_at: t.starts_at.map(when),
        configuration,
        formats: format_choices(),
        creating: false,
        sign_up: allowed.contains(&TournamentAction::RegisterTeam),
        me,
        teams,
        following: principal.as_ref().map(|p| {
            t.followers
                .binary_search_by(|f| f.as_str().cmp(p.subject()))
                .is_ok()
        }),
    };
    Ok(page(status, &view))
}
