//! "My dashboard", the part of `/me` that follows play: the tournaments the viewer follows,
//! and their notifications, newest first, kept live by `static/me.js` over the
//! notification stream; with the forms to mark them read and to follow or unfollow a
//! tournament from its page.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use std::collections::BTreeMap;

use athlos_core::bracket::MatchResult;
use athlos_core::id::TournamentId;
use athlos_core::model::ParticipantId;
use athlos_core::notify::{self, Notification, NotificationBody};
use athlos_core::tournament::Tournament;

use super::account_pages::{see_other, signed_in_form, PageViewer, TokenOnly, Viewer};
use super::error::ApiError;
use super::pages::{asset, when};
use super::tournament_forms::{refused, tournament_form};
use super::AppState;

/// Notifications shown on the dashboard.
const SHOWN: usize = 20;

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/me/notifications/read", post(mark_read))
        .route("/tournaments/{id}/follow", post(follow))
        .route("/tournaments/{id}/unfollow", post(unfollow))
        .route("/static/me.js", get(script))
}

/// A followed tournament on the dashboard.
pub(super) struct Followed {
    pub id: String,
    pub name: String,
    pub state: String,
}

/// A notification as the dashboard shows it.
pub(super) struct Line {
    pub tournament: String,
    pub tournament_name: String,
    pub text: String,
    pub at: String,
    pub read: bool,
}

/// The dashboard of one viewer.
pub(super) struct Dashboard {
    pub followed: Vec<Followed>,
    pub notifications: Vec<Line>,
    pub unread: usize,
    /// The log position the notifications were read at: the live stream resumes after it,
    /// and "mark read" marks up to it.
    pub position: u64,
}

/// What a notification says, in a sentence; entries are named by `name_of`.
fn sentence(body: &NotificationBody, name_of: &dyn Fn(&ParticipantId) -> String) -> String {
    let result = |result: &MatchResult| match result {
        MatchResult::Draw { .. } => "a draw".to_owned(),
        MatchResult::DoubleForfeit {} => "abandoned (both lose)".to_owned(),
        other => other
            .winner()
            .map_or_else(String::new, |w| format!("won by {}", name_of(w))),
    };
    match body {
        NotificationBody::MatchReady {
            match_id,
            round,
            opponent_name,
            ..
        } => format!("Round {round}: your match {match_id} against {opponent_name} is ready."),
        NotificationBody::TournamentStarting {
            name,
            starts_at,
            starts_in_minutes,
        } => format!(
            "{name} starts at {} (in {starts_in_minutes} minutes).",
            when(*starts_at)
        ),
        NotificationBody::ResultRecorded {
            match_id,
            result: recorded,
            corrected,
            ..
        } => format!(
            "{} {match_id}: {}.",
            if *corrected { "Corrected" } else { "Result of" },
            result(recorded)
        ),
        NotificationBody::TournamentFinished { place, winners, .. } => {
            let winners: Vec<String> = winners.iter().map(name_of).collect();
            match place {
                Some(place) => format!(
                    "Finished: you placed {place}; won by {}.",
                    winners.join(", ")
                ),
                None => format!("Finished: won by {}.", winners.join(", ")),
            }
        }
        NotificationBody::StateChanged { from, to } => format!("Now {to} (was {from})."),
        other => format!("{}.", other.kind().as_str().replace('_', " ")),
    }
}

impl Line {
    /// The line of `notification`, about `tournament` when it still exists.
    fn of(notification: &Notification, tournament: Option<&Tournament>) -> Self {
        let name_of = |id: &ParticipantId| {
            tournament
                .and_then(|t| t.entries.iter().find(|e| e.id == *id))
                .map_or_else(|| id.to_string(), |e| e.name.clone())
        };
        Self {
            tournament: notification.tournament.to_string(),
            tournament_name: tournament
                .map_or_else(|| notification.tournament.to_string(), |t| t.name.clone()),
            text: sentence(&notification.body, &name_of),
            at: when(notification.created_at),
            read: notification.read,
        }
    }
}

/// The dashboard of `viewer`: the tournaments they follow and their latest notifications.
pub(super) async fn dashboard(state: &AppState, viewer: &Viewer) -> Result<Dashboard, ApiError> {
    let user = &viewer.user.value;
    let principal = user.principal();
    let followed = state
        .service
        .followed_by(user.id.as_str())
        .await?
        .into_iter()
        .map(|t| Followed {
            id: t.id.to_string(),
            name: t.name,
            state: t.state.to_string(),
        })
        .collect();
    // Every notification, a page at a time; the last ones are kept.
    let mut latest: Vec<Notification> = Vec::new();
    let mut unread = 0;
    let mut position = 0;
    loop {
        let page = state
            .service
            .notifications(&principal, &user.id, position, notify::MAX_PAGE)
            .await??;
        let full = page.notifications.len() == notify::MAX_PAGE;
        unread += page.notifications.iter().filter(|n| !n.read).count();
        position = page.position;
        latest.extend(page.notifications);
        let surplus = latest.len().saturating_sub(SHOWN);
        latest.drain(..surplus);
        if !full {
            break;
        }
    }
    let mut tournaments: BTreeMap<&TournamentId, Option<Tournament>> = BTreeMap::new();
    for notification in &latest {
        if !tournaments.contains_key(&notification.tournament) {
            let found = state
                .service
                .store()
                .tournament(&notification.tournament)
                .await?;
            tournaments.insert(&notification.tournament, found.map(|s| s.value));
        }
    }
    let notifications = latest
        .iter()
        .rev()
        .map(|n| Line::of(n, tournaments.get(&n.tournament).and_then(Option::as_ref)))
        .collect();
    Ok(Dashboard {
        followed,
        notifications,
        unread,
        position,
    })
}

/// Marks the viewer's notifications read up to the position their dashboard showed.
async fn mark_read(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    body: Bytes,
) -> Response {
    #[derive(serde::Deserialize)]
    struct Fields {
        #[serde(default)]
        up_to: u64,
    }
    let (viewer, fields) = match signed_in_form::<Fields>(viewer, &body) {
        Ok(posted) => posted,
        Err(response) => return *response,
    };
    let user = &viewer.user.value;
    match state
        .service
        .mark_notifications_read(&user.principal(), &user.id, fields.up_to)
        .await
    {
        Ok(Ok(_)) => see_other("/me"),
        Ok(Err(refusal)) => ApiError::from(refusal).into_response(),
        Err(error) => ApiError::from(error).into_response(),
    }
}

/// Follows (`true`) or unfollows a tournament for the viewer, back to its page.
async fn set_following(
    state: AppState,
    viewer: Option<Viewer>,
    id: String,
    body: Bytes,
    on: bool,
) -> Response {
    let (viewer, TokenOnly { .. }, tid) = match tournament_form::<TokenOnly>(viewer, &body, &id) {
        Ok(posted) => posted,
        Err(response) => return *response,
    };
    let principal = viewer.user.value.principal();
    let done = if on {
        state.service.follow(&principal, &tid).await
    } else {
        state.service.unfollow(&principal, &tid).await
    };
    match done {
        Ok(_) => see_other(&format!("/tournaments/{id}")),
        Err(error) => refused(&state, viewer, &id, error.into(), None).await,
    }
}

async fn follow(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    set_following(state, viewer, id, body, true).await
}

async fn unfollow(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    set_following(state, viewer, id, body, false).await
}

/// The dashboard's script: new notifications as they come.
async fn script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../static/me.js"),
    )
}
