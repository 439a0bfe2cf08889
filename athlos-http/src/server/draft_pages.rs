//! The live draft board (`/drafts/{id}`): the pick on the clock with its time left, the
//! recent picks, the order round by round and the players still available; for a signed-in
//! manager the pick form ("Pick") when their team is on the clock, and their queue
//! ("Queue").
//!
//! What a viewer may do comes from the core ([`DraftRecord::rights`]); a pick and a queue
//! change go through the same authorisation ([`DraftRecord::may_manage`]) and the same
//! service command as `POST /v1/drafts/{id}/picks` and `PUT /v1/drafts/{id}/teams/{team}/queue`.
//! A refusal shows the board again with the reason and its status (403, 409, 422 …);
//! success goes back to the board (303). `static/draft.js` counts the clock down and
//! refreshes the board when the draft's event stream says it changed.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use athlos_core::clock::Clock;
use athlos_core::draft::{Command, DraftRecord, DraftRights, Player};
use athlos_core::id::DraftId;
use athlos_core::lifecycle::draft::ClockState;
use athlos_core::lifecycle::DraftState;
use athlos_core::model::ParticipantId;

use super::account_pages::{see_other, signed_in_form, PageViewer, Viewer};
use super::drafts::{time_left_ms, DEFAULT_RECENT};
use super::error::ApiError;
use super::pages::{asset, not_found_page, page};
use super::AppState;

/// The routes of the draft board.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/drafts/{id}", get(board))
        .route("/drafts/{id}/pick", post(make_pick))
        .route("/drafts/{id}/teams/{team}/queue", post(change_queue))
        .route("/static/draft.js", get(script))
}

/// The board's script: the countdown and the live refresh.
async fn script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../static/draft.js"),
    )
}

/// A team as the board names it (teams are numbered from 0 in the API, from 1 here).
fn team_name(team: u32) -> String {
    format!("Team {}", u64::from(team) + 1)
}

/// `ms` milliseconds as the clock shows them: `m:ss`, or `h:mm:ss` from an hour.
fn clock_text(ms: i64) -> String {
    let seconds = ms.max(0).saturating_add(999) / 1000;
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if hours > 0 {
        format!("{hours}:{minutes:02}:{seconds:02}")
    } else {
        format!("{minutes}:{seconds:02}")
    }
}

/// The pick on the clock as the board shows it.
struct OnClock {
    pick: u32,
    round: u32,
    team: String,
    /// When the clock runs out (RFC 3339), empty while paused.
    deadline: String,
    /// Milliseconds left at render time.
    left_ms: i64,
    /// The same as text (`m:ss`).
    left: String,
}

/// A pick made.
struct PickRow {
    number: u32,
    round: u32,
    team: String,
    player: String,
    auto: bool,
}

/// A pick of the order: who owns it and, once made, who was taken.
struct Slot {
    number: u32,
    team: String,
    player: Option<String>,
    current: bool,
}

/// A player of the pool still available.
struct PoolRow {
    id: String,
    position: String,
    rank: u32,
}

/// The pick form: the pick on the clock and the players it may take.
struct PickForm {
    pick: u32,
    team: u32,
    team_name: String,
    players: Vec<(String, String)>,
}

/// One team's queue as its keeper sees it.
struct QueueBox {
    team: u32,
    team_name: String,
    /// The queue, most wanted first: the player, its label, and whether the team may still
    /// take them.
    players: Vec<(String, String, bool)>,
    /// Players that may be added (available, not queued yet).
    addable: Vec<(String, String)>,
    editable: bool,
}

#[derive(Template)]
#[template(path = "draft.html")]
struct Board {
    title: String,
    viewer: Option<Viewer>,
    csrf_token: String,
    error: Option<String>,
    id: String,
    /// The log sequence the board shows the draft at: its live stream resumes after it.
    after: u64,
    state: String,
    picks_made: usize,
    total_picks: u32,
    teams: u32,
    rounds_total: u32,
    on_clock: Option<OnClock>,
    recent: Vec<PickRow>,
    rounds: Vec<(u32, Vec<Slot>)>,
    pool: Vec<PoolRow>,
    pick_form: Option<PickForm>,
    queues: Vec<QueueBox>,
}

/// A player of the draft's pool as the board labels them: `id (POSITION)`.
fn label(record: &DraftRecord, player: &ParticipantId) -> String {
    match record.draft.settings().player(player) {
        Some(found) => format!("{} ({})", found.id, found.position),
        None => player.to_string(),
    }
}

/// The board of `record` for a viewer with `rights`, at `now`.
fn board_of(
    record: &DraftRecord,
    viewer: Option<Viewer>,
    rights: &DraftRights,
    after: u64,
    now: DateTime<Utc>,
    error: Option<String>,
) -> Board {
    let d = &record.draft;
    let settings = d.settings();
    let on_clock = d.on_the_clock().map(|on| {
        let left_ms = time_left_ms(d.clock(), now).unwrap_or(0);
        OnClock {
            pick: on.pick,
            round: on.round,
            team: team_name(on.team),
            deadline: match d.clock() {
                Some(ClockState::Running { deadline }) if d.state() == DraftState::InProgress => {
                    deadline.to_rfc3339()
                }
                _ => String::new(),
            },
            left_ms,
            left: clock_text(left_ms),
        }
    });
    let picks = d.picks();
    let recent = picks
        .iter()
        .rev()
        .take(DEFAULT_RECENT)
        .map(|p| PickRow {
            number: p.number,
            round: p.round,
            team: team_name(p.team),
            player: label(record, &p.player),
            auto: p.auto,
        })
        .collect();
    let teams = settings.teams().max(1) as usize;
    let current = d.on_the_clock().map(|on| on.pick);
    let mut rounds: Vec<(u32, Vec<Slot>)> = Vec::new();
    for (index, (&team, round)) in d
        .order()
        .iter()
        .zip((0..).map(|i: usize| i / teams + 1))
        .enumerate()
    {
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let slot = Slot {
            number,
            team: team_name(team),
            player: picks.get(index).map(|p| label(record, &p.player)),
            current: current == Some(number),
        };
        match rounds.last_mut() {
            Some((r, slots)) if *r as usize == round => slots.push(slot),
            _ => rounds.push((u32::try_from(round).unwrap_or(u32::MAX), vec![slot])),
        }
    }
    let mut available: Vec<&Player> = settings
        .pool()
        .iter()
        .filter(|p| d.taken_by(&p.id).is_none())
        .collect();
    available.sort_by(|a, b| (a.rank, &a.id).cmp(&(b.rank, &b.id)));
    let pool = available
        .iter()
        .map(|p| PoolRow {
            id: p.id.to_string(),
            position: p.position.to_string(),
            rank: p.rank,
        })
        .collect();
    let pick_form = rights.pick.map(|on| PickForm {
        pick: on.pick,
        team: on.team,
        team_name: team_name(on.team),
        players: rights
            .pickable
            .iter()
            .map(|p| (p.to_string(), label(record, p)))
            .collect(),
    });
    let queues = rights
        .queues
        .iter()
        .map(|&team| {
            let queue = d.queue(team);
            QueueBox {
                team,
                team_name: team_name(team),
                players: queue
                    .iter()
                    .map(|p| (p.to_string(), label(record, p), d.fits(team, p)))
                    .collect(),
                addable: available
                    .iter()
                    .filter(|p| !queue.contains(&p.id))
                    .map(|p| (p.id.to_string(), label(record, &p.id)))
                    .collect(),
                editable: rights.may_set_queue,
            }
        })
        .collect();
    Board {
        title: format!("Draft {}", record.id()),
        csrf_token: viewer
            .as_ref()
            .map(|v| v.csrf_token.clone())
            .unwrap_or_default(),
        viewer,
        error,
        id: record.id().to_string(),
        after,
        state: d.state().to_string().replace('_', " "),
        picks_made: picks.len(),
        total_picks: settings.total_picks(),
        teams: settings.teams(),
        rounds_total: settings.rounds(),
        on_clock,
        recent,
        rounds,
        pool,
        pick_form,
        queues,
    }
}

/// The board of draft `id` for `viewer`, with `status` and the refusal `error` shown above
/// it; the 404 page for a draft that does not exist.
async fn render(
    state: &AppState,
    viewer: Option<Viewer>,
    id: &str,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    // Read before the draft, so that the board's live stream, which resumes after it,
    // misses nothing that the board does not show.
    let after = match state.service.store().last_sequence().await {
        Ok(after) => after,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let record = match load(state, id).await {
        Ok(record) => record,
        Err(response) => return response,
    };
    let principal = viewer.as_ref().map(|v| v.user.value.principal());
    let rights = record.rights(principal.as_ref());
    let now = state.service.clock().now();
    page(
        status,
        &board_of(&record, viewer, &rights, after, now, error),
    )
}

/// The board.
async fn board(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    Path(id): Path<String>,
) -> Response {
    render(&state, viewer, &id, StatusCode::OK, None).await
}

/// The board again after a refused form, with the refusal's message and status.
async fn refused(state: &AppState, viewer: Viewer, id: &str, error: ApiError) -> Response {
    render(state, Some(viewer), id, error.status, Some(error.message)).await
}

/// The stored draft of a form's address, or the 404 page.
async fn load(state: &AppState, id: &str) -> Result<DraftRecord, Response> {
    let Ok(id) = DraftId::new(id) else {
        return Err(not_found_page("There is no draft at this address."));
    };
    match state.service.store().draft(&id).await {
        Ok(Some(stored)) => Ok(stored.value),
        Ok(None) => Err(not_found_page(format!(
            "There is no draft \"{}\".",
            id.as_str()
        ))),
        Err(error) => Err(ApiError::from(error).into_response()),
    }
}

/// A form posted to draft `id`: the viewer, the form's fields and the draft; otherwise the
/// answer to send (see [`signed_in_form`]; the 404 page for an unknown draft).
async fn posted<T: DeserializeOwned>(
    state: &AppState,
    viewer: Option<Viewer>,
    id: &str,
    body: &Bytes,
) -> Result<(Viewer, T, DraftRecord), Response> {
    let (viewer, fields) = signed_in_form::<T>(viewer, body).map_err(|response| *response)?;
    let record = load(state, id).await?;
    Ok((viewer, fields, record))
}

/// The pick form's fields.
#[derive(Deserialize)]
struct PickFields {
    #[serde(default)]
    pick: String,
    #[serde(default)]
    team: String,
    #[serde(default)]
    player: String,
}

/// A number of a form, or a 400 refusal naming the field.
fn number(field: &str, text: &str) -> Result<u32, ApiError> {
    text.trim()
        .parse()
        .map_err(|_| ApiError::bad_input(field, format!("\"{text}\" is not a {field} number")))
}

/// A player of a form, or a 400 refusal.
fn player(text: &str) -> Result<ParticipantId, ApiError> {
    if text.is_empty() {
        return Err(ApiError::bad_input("player", "Choose a player."));
    }
    ParticipantId::new(text).map_err(|e| ApiError::bad_input("player", e.to_string()))
}

/// Makes the pick on the clock, as `POST /v1/drafts/{id}/picks` does.
async fn make_pick(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (viewer, fields, record) = match posted::<PickFields>(&state, viewer, &id, &body).await {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let principal = viewer.user.value.principal();
    let outcome = async {
        let command = Command::Pick {
            pick: number("pick", &fields.pick)?,
            team: number("team", &fields.team)?,
            player: player(&fields.player)?,
        };
        if let Command::Pick { team, .. } = &command {
            record.may_manage(&principal, *team)?;
        }
        state.service.draft_command(record.id(), &command).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match outcome {
        Ok(()) => see_other(&format!("/drafts/{id}")),
        Err(mut error) => {
            error.message = format!("Your pick was refused: {}.", error.message);
            refused(&state, viewer, &id, error).await
        }
    }
}

/// The queue form's fields: what to do (`add`, `remove`, `up`, `down`) with which player.
#[derive(Deserialize)]
struct QueueFields {
    #[serde(default)]
    op: String,
    #[serde(default)]
    player: String,
}

/// `queue` after the form's change.
fn changed(
    mut queue: Vec<ParticipantId>,
    op: &str,
    who: ParticipantId,
) -> Result<Vec<ParticipantId>, ApiError> {
    let at = queue.iter().position(|p| *p == who);
    match (op, at) {
        ("add", None) => queue.push(who),
        ("add", Some(_)) => {}
        ("remove", Some(i)) => {
            queue.remove(i);
        }
        ("up", Some(i)) if i > 0 => queue.swap(i, i - 1),
        ("down", Some(i)) if i + 1 < queue.len() => queue.swap(i, i + 1),
        ("up" | "down", Some(_)) => {}
        ("remove" | "up" | "down", None) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "not_queued",
                format!("{who} is not in the queue (any more)."),
            ))
        }
        _ => {
            return Err(ApiError::bad_input(
                "op",
                format!("\"{op}\" is not a queue change"),
            ))
        }
    }
    Ok(queue)
}

/// Changes a team's queue, as `PUT /v1/drafts/{id}/teams/{team}/queue` does.
async fn change_queue(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    Path((id, team)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let (viewer, fields, record) = match posted::<QueueFields>(&state, viewer, &id, &body).await {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let Ok(team) = team.parse::<u32>() else {
        return not_found_page("There is no such team in this draft.");
    };
    if team >= record.draft.settings().teams() {
        return not_found_page("There is no such team in this draft.");
    }
    let principal = viewer.user.value.principal();
    let outcome = async {
        record.may_manage(&principal, team)?;
        let players = changed(
            record.draft.queue(team).to_vec(),
            &fields.op,
            player(&fields.player)?,
        )?;
        let command = Command::SetQueue { team, players };
        state.service.draft_command(record.id(), &command).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match outcome {
        Ok(()) => see_other(&format!("/drafts/{id}#queue-{team}")),
        Err(error) => refused(&state, viewer, &id, error).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> ParticipantId {
        ParticipantId::new(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_clock_reads_minutes_and_seconds_rounded_up() {
        assert_eq!(clock_text(0), "0:00");
        assert_eq!(clock_text(-5), "0:00");
        assert_eq!(clock_text(1), "0:01");
        assert_eq!(clock_text(59_001), "1:00");
        assert_eq!(clock_text(90_000), "1:30");
        assert_eq!(clock_text(3_600_000), "1:00:00");
        assert!(!clock_text(i64::MAX).is_empty());
    }

    #[test]
    fn queue_changes_add_remove_and_move() {
        let q = vec![p("a"), p("b"), p("c")];
        let ids = |q: Vec<ParticipantId>| q.iter().map(ToString::to_string).collect::<Vec<_>>();
        let ok = |q: Result<Vec<ParticipantId>, ApiError>| {
            ids(q.unwrap_or_else(|e| panic!("{}", e.message)))
        };
        assert_eq!(ok(changed(q.clone(), "add", p("d"))), ["a", "b", "c", "d"]);
        assert_eq!(ok(changed(q.clone(), "add", p("a"))), ["a", "b", "c"]);
        assert_eq!(ok(changed(q.clone(), "remove", p("b"))), ["a", "c"]);
        assert_eq!(ok(changed(q.clone(), "up", p("b"))), ["b", "a", "c"]);
        assert_eq!(ok(changed(q.clone(), "up", p("a"))), ["a", "b", "c"]);
        assert_eq!(ok(changed(q.clone(), "down", p("b"))), ["a", "c", "b"]);
        assert_eq!(ok(changed(q.clone(), "down", p("c"))), ["a", "b", "c"]);
        assert!(
            changed(q.clone(), "remove", p("z")).is_err_and(|e| e.status == StatusCode::CONFLICT)
        );
        assert!(changed(q, "shuffle", p("a")).is_err_and(|e| e.status == StatusCode::BAD_REQUEST));
    }
}
