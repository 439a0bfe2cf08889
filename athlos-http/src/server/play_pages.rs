//! The forms of a tournament's page: its action buttons (Publish, Start, Advance, Archive,
//! Cancel, Delete, Join, Withdraw) and the results form.
//!
//! Both are posted by a signed-in viewer with the session's CSRF token. An action is taken
//! only when the core lists it for this viewer now ([`actions_for`]) and then by the same
//! service call as the API's route; a result is written by the same authorisation
//! ([`Tournament::may_record`](athlos_core::tournament::Tournament::may_record)) and the
//! same service write. A refusal shows the page again with the reason, with its status
//! (403, 409 …); success goes back to the page (303).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Map, Value};

use athlos_core::bracket::MatchId;
use athlos_core::lifecycle::TournamentAction;
use athlos_core::model::{Participant, ParticipantId};
use athlos_core::service::{actions_for, ResultWrite};

use super::account_pages::{see_other, PageViewer, TokenOnly, Viewer};
use super::concurrency::ResultBody;
use super::error::ApiError;
use super::pages::{not_found_page, render_tournament, BUTTONS};
use super::tournament_forms::tournament_form;
use super::AppState;

/// The form routes of tournament pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/tournaments/{id}/actions/{action}", post(take_action))
        .route("/tournaments/{id}/results", post(record_results))
}

/// The tournament page again, with `errors` and the status of the first.
async fn refused(state: &AppState, viewer: Viewer, id: &str, errors: Vec<ApiError>) -> Response {
    let status = errors
        .first()
        .map_or(StatusCode::BAD_REQUEST, |error| error.status);
    let messages = errors.into_iter().map(|error| error.message).collect();
    render_tournament(state, Some(viewer), id, status, messages, None)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// Takes a button's action for the viewer.
async fn take_action(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    Path((id, action)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let (viewer, TokenOnly { .. }, tid) = match tournament_form::<TokenOnly>(viewer, &body, &id) {
        Ok(posted) => posted,
        Err(response) => return *response,
    };
    let Some((action, _)) = BUTTONS.iter().find(|(a, _)| a.to_string() == action) else {
        return not_found_page("There is no such action.");
    };
    let tournament = match state.service.tournament(&tid).await {
        Ok(stored) => stored.value,
        Err(error) => return refused(&state, viewer, &id, vec![error.into()]).await,
    };
    let principal = viewer.user.value.principal();
    if !actions_for(&tournament, Some(&principal)).contains(action) {
        let error = ApiError::new(
            StatusCode::FORBIDDEN,
            "not_allowed_now",
            format!("You cannot {action} this tournament now."),
        );
        return refused(&state, viewer, &id, vec![error]).await;
    }
    let me = viewer.user.value.id.as_str();
    let service = &state.service;
    let outcome = match action {
        TournamentAction::Publish => service.publish(&tid).await.map(drop),
        TournamentAction::Start => service.start(&tid).await.map(drop),
        TournamentAction::Advance => service.advance(&tid).await.map(drop),
        TournamentAction::Archive => service.archive(&tid).await.map(drop),
        TournamentAction::Cancel => service.cancel(&tid).await.map(drop),
        TournamentAction::Delete => service.delete_tournament(&tid).await.map(drop),
        TournamentAction::Join => match Participant::new(me, viewer.name()) {
            Ok(entry) => service.join(&tid, entry).await.map(drop),
            Err(error) => Err(error.into()),
        },
        TournamentAction::Withdraw => match ParticipantId::new(me) {
            Ok(entry) => service.withdraw(&tid, &entry).await.map(drop),
            Err(error) => Err(error.into()),
        },
        _ => return not_found_page("There is no such action."),
    };
    match outcome {
        Ok(()) if *action == TournamentAction::Delete => see_other("/tournaments"),
        Ok(()) => see_other(&format!("/tournaments/{id}")),
        Err(error) => refused(&state, viewer, &id, vec![error.into()]).await,
    }
}

/// The result a results-form control chose: `win:<participant>`, `draw` or `double_forfeit`.
fn chosen(value: &str) -> Result<ResultBody, ApiError> {
    let mut object = Map::new();
    match value.split_once(':') {
        Some(("win", winner)) => {
            object.insert("type".to_owned(), json!("win"));
            object.insert("winner".to_owned(), Value::String(winner.to_owned()));
        }
        None if value == "double_forfeit" || value == "draw" => {
            object.insert("type".to_owned(), json!(value));
        }
        _ => {
            return Err(ApiError::bad_input(
                "result",
                format!("\"{value}\" is not a result"),
            ))
        }
    }
    ResultBody::from_object(object)
}

/// Records every result the results form chose (controls left at "pending" are skipped),
/// each as the API would; the refusals are listed with their matches.
async fn record_results(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (viewer, fields, tid) = match tournament_form::<Vec<(String, String)>>(viewer, &body, &id) {
        Ok(posted) => posted,
        Err(response) => return *response,
    };
    let principal = viewer.user.value.principal();
    let mut errors = Vec::new();
    for (name, value) in fields {
        if name == "csrf_token" || value.is_empty() {
            continue;
        }
        let written = async {
            let match_id: MatchId =
                name.parse()
                    .map_err(|e: athlos_core::error::BracketError| {
                        ApiError::bad_input("match", e.to_string())
                    })?;
            let body = chosen(&value)?;
            let tournament = state.service.tournament(&tid).await?.value;
            tournament.may_record(&principal, &match_id, &body.result)?;
            state
                .service
                .write_result(&tid, match_id, body.result, ResultWrite::record())
                .await?;
            Ok::<(), ApiError>(())
        }
        .await;
        if let Err(mut error) = written {
            error.message = format!("{name}: {}", error.message);
            errors.push(error);
        }
    }
    if errors.is_empty() {
        see_other(&format!("/tournaments/{id}"))
    } else {
        refused(&state, viewer, &id, errors).await
    }
}
