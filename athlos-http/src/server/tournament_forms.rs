//! The forms that shape a tournament before play: the create-tournament page
//! (`/tournaments/new`), the configuration form of a tournament in draft (director) and the
//! team sign-up form during registration, with team unregistration.
//!
//! The forms only translate: typed text becomes the core's [`TournamentRules`] (read by the
//! core's own reader, which checks them), and every write goes through the same service call
//! and authorisation as the API's route. A refused form is shown again with what was typed
//! and the reason, with the refusal's status; nothing is written then.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use athlos_core::id::TournamentId;
use athlos_core::leaderboard::PlayFormat;
use athlos_core::model::ParticipantId;
use athlos_core::service::TournamentChanges;
use athlos_core::tournament::{Team, Tournament, TournamentRules, TournamentSettings};

use super::account_pages::{see_other, signed_in_form, PageViewer, Viewer};
use super::error::ApiError;
use super::pages::{not_found_page, page, render_tournament};
use super::AppState;

/// The form routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/tournaments/new", get(new_form).post(create))
        .route("/tournaments/{id}/configuration", post(configure))
        .route("/tournaments/{id}/teams", post(sign_up_team))
        .route("/tournaments/{id}/teams/unregister", post(unregister_team))
}

/// The fields of the rules, as typed (kept as text, so that a refused form shows them
/// again unchanged).
#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct RulesFields {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub format: String,
    #[serde(default)]
    pub rounds: String,
    #[serde(default)]
    pub tiebreaks: String,
    #[serde(default)]
    pub min_entries: String,
    #[serde(default)]
    pub max_entries: String,
    #[serde(default)]
    pub seed: String,
    #[serde(default)]
    pub starts_at: String,
    #[serde(default)]
    pub self_reporting: Option<String>,
    #[serde(default)]
    pub auto_advance: Option<String>,
}

/// The formats a form offers: name and label.
pub(super) fn format_choices() -> Vec<(&'static str, String)> {
    PlayFormat::ALL
        .iter()
        .map(|format| {
            let name = format.name();
            let label = match format {
                PlayFormat::Swiss => "Swiss (FIDE Dutch)".to_owned(),
                PlayFormat::Bracket(_) => {
                    let words = name.replace('_', " ");
                    let mut chars = words.chars();
                    chars
                        .next()
                        .map(|first| first.to_uppercase().chain(chars).collect())
                        .unwrap_or_default()
                }
            };
            (name, label)
        })
        .collect()
}

impl RulesFields {
    /// The fields of a new tournament: a five-round Swiss, two entries at least.
    fn fresh() -> Self {
        Self {
            format: "swiss".to_owned(),
            rounds: "5".to_owned(),
            min_entries: "2".to_owned(),
            seed: "0".to_owned(),
            ..Self::default()
        }
    }

    /// The fields showing `t` as it is configured.
    pub(super) fn of(t: &Tournament) -> Self {
        let swiss = t.rules.swiss.as_ref();
        Self {
            id: t.id.to_string(),
            name: t.name.clone(),
            format: PlayFormat::of(t).name().to_owned(),
            rounds: swiss.map(|s| s.rounds.to_string()).unwrap_or_default(),
            tiebreaks: swiss
                .map(|s| {
                    s.tiebreaks
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default(),
            min_entries: t.rules.min_entries.to_string(),
            max_entries: t
                .rules
                .max_entries
                .map(|m| m.to_string())
                .unwrap_or_default(),
            seed: t.rules.seed.to_string(),
            starts_at: t
                .starts_at
                .map(|at| at.format("%Y-%m-%dT%H:%M").to_string())
                .unwrap_or_default(),
            self_reporting: t.self_reporting.then(|| "on".to_owned()),
            auto_advance: t.auto_advance.then(|| "on".to_owned()),
        }
    }

    /// The rules the fields describe, read by the core (which checks them).
    fn rules(&self) -> Result<TournamentRules, ApiError> {
        let format = PlayFormat::parse(self.format.trim())
            .map_err(|message| ApiError::bad_input("format", format!("{message}.")))?;
        let mut rules = Map::new();
        match format {
            PlayFormat::Swiss => {
                let mut swiss = Map::new();
                let rounds =
                    number(&self.rounds, "rounds", "The number of rounds")?.ok_or_else(|| {
                        ApiError::bad_input("rounds", "A Swiss needs a number of rounds.")
                    })?;
                swiss.insert("rounds".to_owned(), json!(rounds));
                let codes: Vec<&str> = self
                    .tiebreaks
                    .split([',', ' '])
                    .map(str::trim)
                    .filter(|code| !code.is_empty())
                    .collect();
                if !codes.is_empty() {
                    swiss.insert("tiebreaks".to_owned(), json!(codes));
                }
                rules.insert("swiss".to_owned(), Value::Object(swiss));
            }
            PlayFormat::Bracket(_) => {
                rules.insert("options".to_owned(), json!({ "format": format.name() }));
            }
        }
        let fields = [
            (
                "min_entries",
                &self.min_entries,
                "The entries needed to start",
            ),
            ("max_entries", &self.max_entries, "The most entries"),
            ("seed", &self.seed, "The draw seed"),
        ];
        for (field, text, what) in fields {
            if let Some(value) = number(text, field, what)? {
                rules.insert(field.to_owned(), json!(value));
            }
        }
        serde_json::from_value(Value::Object(rules)).map_err(|error| {
            ApiError::bad_input("rules", format!("These rules cannot be used: {error}."))
        })
    }

    /// The start time typed (UTC), if any.
    fn starts_at(&self) -> Result<Option<DateTime<Utc>>, ApiError> {
        let text = self.starts_at.trim();
        if text.is_empty() {
            return Ok(None);
        }
        ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
            .iter()
            .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
            .map(|at| Some(at.and_utc()))
            .ok_or_else(|| {
                ApiError::bad_input(
                    "starts_at",
                    format!("\"{text}\" is not a date and time such as 2027-03-14T18:30."),
                )
            })
    }
}

/// A whole number typed into `field` (`None` when left empty).
fn number(text: &str, field: &str, what: &str) -> Result<Option<u64>, ApiError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| {
        ApiError::bad_input(
            field,
            format!("{what} must be a whole number, not \"{text}\"."),
        )
    })
}

#[derive(Template)]
#[template(path = "tournament_new.html")]
struct NewTournament {
    title: &'static str,
    viewer: Option<Viewer>,
    csrf_token: String,
    errors: Vec<String>,
    form: RulesFields,
    formats: Vec<(&'static str, String)>,
    creating: bool,
}

fn new_page(
    viewer: Viewer,
    status: StatusCode,
    form: RulesFields,
    errors: Vec<String>,
) -> Response {
    page(
        status,
        &NewTournament {
            title: "New tournament",
            csrf_token: viewer.csrf_token.clone(),
            viewer: Some(viewer),
            errors,
            form,
            formats: format_choices(),
            creating: true,
        },
    )
}

/// The create-tournament page (signed in; otherwise the sign-in page).
async fn new_form(PageViewer(viewer): PageViewer) -> Response {
    match viewer {
        Some(viewer) => new_page(viewer, StatusCode::OK, RulesFields::fresh(), Vec::new()),
        None => see_other("/sign-in"),
    }
}

/// Creates the tournament in draft with the viewer as its director, then shows it.
async fn create(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    body: Bytes,
) -> Response {
    let (viewer, form) = match signed_in_form::<RulesFields>(viewer, &body) {
        Ok(posted) => posted,
        Err(response) => return *response,
    };
    let created = async {
        let id = TournamentId::new(form.id.trim())
            .map_err(|error| ApiError::bad_input("id", error.to_string()))?;
        let rules = form.rules()?;
        let settings = TournamentSettings {
            director: Some(viewer.user.value.id.to_string()),
            self_reporting: form.self_reporting.is_some(),
            auto_advance: form.auto_advance.is_some(),
            board: None,
            withdrawals_close_at_start: false,
        };
        let name = form.name.trim().to_owned();
        Ok::<_, ApiError>(
            state
                .service
                .create_tournament_with(id, name, rules, settings)
                .await?,
        )
    }
    .await;
    match created {
        Ok(tournament) => see_other(&format!("/tournaments/{}", tournament.value.id)),
        Err(error) => new_page(viewer, error.status, form, vec![error.message]),
    }
}

/// A form posted to a tournament's address while signed in: the viewer, the fields and the
/// tournament's id; otherwise the answer to send (see [`signed_in_form`]; 404 for an id that
/// cannot be one).
pub(super) fn tournament_form<T: serde::de::DeserializeOwned>(
    viewer: Option<Viewer>,
    body: &Bytes,
    id: &str,
) -> Result<(Viewer, T, TournamentId), Box<Response>> {
    let (viewer, fields) = signed_in_form::<T>(viewer, body)?;
    let tid = TournamentId::new(id)
        .map_err(|_| Box::new(not_found_page("There is no tournament at this address.")))?;
    Ok((viewer, fields, tid))
}

/// The tournament page again with the refusal, keeping what was typed into the
/// configuration form.
pub(super) async fn refused(
    state: &AppState,
    viewer: Viewer,
    id: &str,
    error: ApiError,
    typed: Option<RulesFields>,
) -> Response {
    render_tournament(
        state,
        Some(viewer),
        id,
        error.status,
        vec![error.message],
        typed,
    )
    .await
    .unwrap_or_else(IntoResponse::into_response)
}

/// Saves the configuration form of a tournament in draft (director; the same edit as
/// `PATCH /v1/tournaments/{id}`).
async fn configure(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (viewer, form, tid) = match tournament_form::<RulesFields>(viewer, &body, &id) {
        Ok(posted) => posted,
        Err(response) => return *response,
    };
    let saved = async {
        let tournament = state.service.tournament(&tid).await?.value;
        tournament.may_direct(&viewer.user.value.principal())?;
        let changes = TournamentChanges {
            name: Some(form.name.trim().to_owned()),
            rules: Some(form.rules()?),
            min_entries: None,
            max_entries: None,
            starts_at: Some(form.starts_at()?),
        };
        state.service.edit_tournament(&tid, changes).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match saved {
        Ok(()) => see_other(&format!("/tournaments/{id}")),
        Err(error) => refused(&state, viewer, &id, error, Some(form)).await,
    }
}

/// The team sign-up form's fields.
#[derive(Debug, Deserialize)]
struct TeamFields {
    #[serde(default)]
    name: String,
    /// Usernames, one a line (or separated by commas).
    #[serde(default)]
    members: String,
}

/// The id a team gets from its name: `team-` and the name in lower case, words joined by
/// hyphens.
fn team_id(name: &str) -> String {
    let words: Vec<String> = name.split_whitespace().map(str::to_lowercase).collect();
    format!("team-{}", words.join("-"))
}

/// Signs a team up during registration (a member of it, or the director: the core decides,
/// as for `POST /v1/tournaments/{id}/teams`).
async fn sign_up_team(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (viewer, form, tid) = match tournament_form::<TeamFields>(viewer, &body, &id) {
        Ok(posted) => posted,
        Err(response) => return *response,
    };
    let signed = async {
        let mut members = Vec::new();
        for username in form
            .members
            .split(['\n', ','])
            .map(str::trim)
            .filter(|member| !member.is_empty())
        {
            let user = state.service.user_by_username(username).await?;
            let user = user.ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "unknown_user",
                    format!("There is no account named \"{username}\"."),
                )
            })?;
            members.push(user.value.id.to_string());
        }
        let team = Team {
            id: ParticipantId::new(team_id(&form.name))
                .map_err(|error| ApiError::bad_input("name", error.to_string()))?,
            name: form.name.trim().to_owned(),
            members,
        };
        let tournament = state.service.tournament(&tid).await?.value;
        tournament.may_register_team(&viewer.user.value.principal(), &team)?;
        state.service.register_team(&tid, team).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match signed {
        Ok(()) => see_other(&format!("/tournaments/{id}")),
        Err(error) => refused(&state, viewer, &id, error, None).await,
    }
}

/// Names the team to unregister.
#[derive(Debug, Deserialize)]
struct TeamRef {
    #[serde(default)]
    team: String,
}

/// Unregisters a team during registration (a member of it, or the director).
async fn unregister_team(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (viewer, form, tid) = match tournament_form::<TeamRef>(viewer, &body, &id) {
        Ok(posted) => posted,
        Err(response) => return *response,
    };
    let done = async {
        let team = ParticipantId::new(form.team)
            .map_err(|error| ApiError::bad_input("team", error.to_string()))?;
        let tournament = state.service.tournament(&tid).await?.value;
        tournament.may_unregister_team(&viewer.user.value.principal(), &team)?;
        state.service.unregister_team(&tid, &team).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match done {
        Ok(()) => see_other(&format!("/tournaments/{id}")),
        Err(error) => refused(&state, viewer, &id, error, None).await,
    }
}
