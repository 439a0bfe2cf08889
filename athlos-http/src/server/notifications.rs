//! Follows and notifications over HTTP: follow and unfollow a tournament, a user's
//! notifications (list, mark read) and their live stream.
//!
//! The rules (who gets which notification, who may read them, the read cursor, the start
//! reminder) are the core's ([`athlos_core::notify`], the service's follow and notification
//! use cases); this module translates. A notification's id is the log sequence of the event
//! it comes from, so the stream resumes with `Last-Event-ID` as the event streams do.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use athlos_core::access::Principal;
use athlos_core::id::{TournamentId, UserId};
use athlos_core::notify::{Notification, NotificationKind, NotificationPage, MAX_PAGE};

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::streams::{start_position, StreamDropped, StreamDroppedType, StreamQuery, Wire};
use super::AppState;

/// The routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(follow, unfollow, followers))
        .routes(routes!(list))
        .routes(routes!(mark_read))
        .routes(routes!(stream))
}

fn tournament_id(text: &str) -> Result<TournamentId, ApiError> {
    TournamentId::new(text).map_err(|e| ApiError::bad_input("tournament_id", e.to_string()))
}

fn user_id(text: &str) -> Result<UserId, ApiError> {
    UserId::new(text).map_err(|e| ApiError::bad_input("id", e.to_string()))
}

/// Whether the caller follows a tournament.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Following {
    /// The tournament.
    #[schema(value_type = String)]
    pub tournament: TournamentId,
    /// The caller's subject.
    pub user: String,
    /// Whether they follow it now.
    pub following: bool,
}

async fn set_following(
    state: &AppState,
    caller: &Caller,
    id: &str,
    follow: bool,
) -> Result<Json<Following>, ApiError> {
    let id = tournament_id(id)?;
    let principal = caller.principal();
    let change = if follow {
        state.service.follow(&principal, &id).await?
    } else {
        state.service.unfollow(&principal, &id).await?
    };
    Ok(Json(Following {
        following: change.tournament.value.is_followed_by(principal.subject()),
        tournament: id,
        user: principal.subject().to_owned(),
    }))
}

/// Follows a tournament (the caller): its state changes, results, start reminder and end
/// reach the caller as notifications from now on. Following it again changes nothing.
#[utoipa::path(post, path = "/v1/tournaments/{tournament_id}/followers", tag = "notifications",
    params(("tournament_id" = String, Path, description = "Tournament id")),
    responses((status = 200, body = Following),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, description = "`unknown_tournament`", body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
async fn follow(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Following>, ApiError> {
    set_following(&state, &caller, &id, true).await
}

/// Stops following a tournament (the caller). Not following it changes nothing.
#[utoipa::path(delete, path = "/v1/tournaments/{tournament_id}/followers", tag = "notifications",
    params(("tournament_id" = String, Path, description = "Tournament id")),
    responses((status = 200, body = Following),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, description = "`unknown_tournament`", body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
async fn unfollow(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Following>, ApiError> {
    set_following(&state, &caller, &id, false).await
}

/// The followers of a tournament.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FollowerList {
    /// Their subjects, sorted.
    pub followers: Vec<String>,
}

/// Who follows a tournament (its director or an administrator).
#[utoipa::path(get, path = "/v1/tournaments/{tournament_id}/followers", tag = "notifications",
    params(("tournament_id" = String, Path, description = "Tournament id")),
    responses((status = 200, body = FollowerList),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "`forbidden`: not the director nor an administrator", body = ErrorBody),
        (status = 404, description = "`unknown_tournament`", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
async fn followers(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<FollowerList>, ApiError> {
    let id = tournament_id(&id)?;
    let followers = state.service.followers(&caller.principal(), &id).await??;
    Ok(Json(FollowerList { followers }))
}

/// The kind of a notification.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KindView {
    /// A match of the user's entry can be played.
    MatchReady,
    /// A tournament's announced start is near.
    TournamentStarting,
    /// A result was recorded (or corrected).
    ResultRecorded,
    /// A tournament finished.
    TournamentFinished,
    /// A followed tournament changed lifecycle state.
    StateChanged,
}

impl KindView {
    fn of(kind: NotificationKind) -> Self {
        match kind {
            NotificationKind::MatchReady => KindView::MatchReady,
            NotificationKind::TournamentStarting => KindView::TournamentStarting,
            NotificationKind::ResultRecorded => KindView::ResultRecorded,
            NotificationKind::TournamentFinished => KindView::TournamentFinished,
            NotificationKind::StateChanged => KindView::StateChanged,
        }
    }
}

/// One notification.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationView {
    /// Its id: the log sequence of the event it comes from (ids only grow).
    pub id: u64,
    /// What it says.
    pub kind: KindView,
    /// The tournament it is about.
    #[schema(value_type = String)]
    pub tournament: TournamentId,
    /// When.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    /// Whether the user marked it read.
    pub read: bool,
    /// The kind's payload: `match_ready` {`match`, `round`, `entry`, `opponent`,
    /// `opponent_name`}; `tournament_starting` {`name`, `starts_at`, `starts_in_minutes`};
    /// `result_recorded` {`match`, `result`, `entry` (`null` for a follower), `corrected`};
    /// `tournament_finished` {`entry`, `place` (`null` for a follower), `winners`};
    /// `state_changed` {`from`, `to`}.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl NotificationView {
    fn of(notification: &Notification) -> Self {
        Self {
            id: notification.id,
            kind: KindView::of(notification.body.kind()),
            tournament: notification.tournament.clone(),
            created_at: notification.created_at,
            read: notification.read,
            data: notification.body.data(),
        }
    }
}

/// A page of notifications.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationList {
    /// Oldest first.
    pub notifications: Vec<NotificationView>,
    /// The read cursor: every notification with an id up to it is read.
    pub read_up_to: u64,
    /// Where the page ends in the log: pass it as `after` for the next page.
    pub next_after: u64,
}

impl NotificationList {
    fn of(page: &NotificationPage) -> Self {
        Self {
            notifications: page
                .notifications
                .iter()
                .map(NotificationView::of)
                .collect(),
            read_up_to: page.read_up_to,
            next_after: page.position,
        }
    }
}

/// Paging of the notification list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only notifications with an id greater than this (default 0: from the first).
    #[param(maximum = 9223372036854775807_u64)]
    pub after: Option<u64>,
    /// At most this many (1-500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
}

/// `value` of `field` if it can be a notification id (a log sequence), else 400.
fn checked_id(field: &str, value: u64) -> Result<u64, ApiError> {
    super::streams::within_bound(field, "notification id", value)
}

/// A user's notifications, oldest first (that user or an administrator).
#[utoipa::path(get, path = "/v1/users/{id}/notifications", tag = "notifications",
    params(("id" = String, Path, description = "The user's id (a token's subject)"), ListQuery),
    responses((status = 200, body = NotificationList),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "`forbidden`: not that user nor an administrator", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<NotificationList>, ApiError> {
    let id = user_id(&id)?;
    let after = checked_id("after", query.after.unwrap_or(0))?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::bad_input(
            "limit",
            format!("limit must be between 1 and {MAX_PAGE}"),
        ));
    }
    let page = state
        .service
        .notifications(&caller.principal(), &id, after, limit)
        .await??;
    Ok(Json(NotificationList::of(&page)))
}

/// Marks notifications read.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkRead {
    /// Every notification with an id up to this one is read.
    #[schema(maximum = 9223372036854775807_u64)]
    pub up_to: u64,
}

/// The read cursor after a change.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReadCursor {
    /// Every notification with an id up to this one is read.
    pub read_up_to: u64,
}

/// Marks a user's notifications read up to an id (that user or an administrator; the user
/// needs an account). The cursor only moves forward: an older id changes nothing.
#[utoipa::path(post, path = "/v1/users/{id}/notifications/read", tag = "notifications",
    params(("id" = String, Path, description = "The account's id")),
    request_body = MarkRead,
    responses((status = 200, body = ReadCursor),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "`forbidden`: not that user nor an administrator", body = ErrorBody),
        (status = 404, description = "`unknown_user`", body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
async fn mark_read(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<MarkRead>,
) -> Result<Json<ReadCursor>, ApiError> {
    let id = user_id(&id)?;
    let up_to = checked_id("up_to", body.up_to)?;
    let read_up_to = state
        .service
        .mark_notifications_read(&caller.principal(), &id, up_to)
        .await??;
    Ok(Json(ReadCursor { read_up_to }))
}

/// Where a notification stream starts.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NotificationStreamQuery {
    /// Send notifications with an id greater than this (the `Last-Event-ID` header wins
    /// when both are given); without either, every notification is sent first.
    #[param(maximum = 9223372036854775807_u64)]
    pub after: Option<u64>,
}

/// A user's notification stream: where it is and what it waits on.
struct Feed {
    state: AppState,
    principal: Principal,
    user: UserId,
    wire: Wire,
    /// The log position reached: notifications after it are still to send.
    position: u64,
    receiver: tokio::sync::broadcast::Receiver<std::sync::Arc<super::streams::Shared>>,
    closed: tokio::sync::watch::Receiver<bool>,
    /// Read the log now (a commit happened, or the stream just opened).
    due: bool,
    finished: bool,
}

impl Feed {
    /// The next bytes to send, or `None` to end the stream.
    async fn next(&mut self) -> Option<Bytes> {
        loop {
            if self.finished || *self.closed.borrow() {
                return None;
            }
            if self.due {
                self.due = false;
                let page = self
                    .state
                    .service
                    .notifications(&self.principal, &self.user, self.position, MAX_PAGE)
                    .await;
                let page = match page {
                    Ok(Ok(page)) => page,
                    Ok(Err(refusal)) => return Some(self.finish("refused", refusal.code())),
                    Err(error) => {
                        return Some(self.finish("notifications_unavailable", &error.to_string()))
                    }
                };
                self.position = self.position.max(page.position);
                if page.notifications.len() == MAX_PAGE {
                    self.due = true;
                }
                if !page.notifications.is_empty() {
                    let mut out = Vec::new();
                    for notification in &page.notifications {
                        let view = NotificationView::of(notification);
                        let line = serde_json::to_string(&view).unwrap_or_default();
                        let name = notification.body.kind().as_str();
                        out.extend(self.wire.encode(Some(notification.id), name, &line));
                    }
                    return Some(Bytes::from(out));
                }
            }
            let keep_alive = self.state.streams.keep_alive();
            match tokio::time::timeout(keep_alive, self.receiver.recv()).await {
                // Idle: look at the log anyway (a commit another process made), then keep
                // the connection alive.
                Err(_) => {
                    self.due = true;
                    let last = self.state.store.last_sequence().await.unwrap_or(0);
                    if last <= self.position {
                        self.due = false;
                        return Some(self.wire.keep_alive());
                    }
                }
                Ok(Ok(_)) | Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {
                    // Something was committed: read on (what arrived meanwhile with it).
                    while self.receiver.try_recv().is_ok() {}
                    self.due = true;
                }
                Ok(Err(tokio::sync::broadcast::error::RecvError::Closed)) => return None,
            }
        }
    }

    /// The final `stream.dropped` frame; the stream ends after it.
    fn finish(&mut self, reason: &str, message: &str) -> Bytes {
        self.finished = true;
        let body = StreamDropped {
            kind: StreamDroppedType::StreamDropped,
            reason: reason.to_owned(),
            message: message.to_owned(),
            resume_after: self.position,
        };
        let line = serde_json::to_string(&body).unwrap_or_default();
        Bytes::from(self.wire.encode(None, "stream.dropped", &line))
    }
}

/// A user's notifications, live (that user or an administrator): Server-Sent Events, or
/// NDJSON when the client accepts `application/x-ndjson`. Each SSE event is named by the
/// notification's kind, its `id` is the notification's id and its data the notification
/// as the list shows it: reconnect with `Last-Event-ID` (or `?after=`) to get exactly what
/// was missed. Keep-alives are SSE comments (empty lines in NDJSON).
#[utoipa::path(get, path = "/v1/users/{id}/notifications/stream", tag = "notifications",
    params(("id" = String, Path, description = "The user's id (a token's subject)"),
        ("Last-Event-ID" = Option<u64>, Header, maximum = 9223372036854775807_u64,
            description = "Resume after this notification id"),
        NotificationStreamQuery),
    responses((status = 200, description = "An endless stream of notifications",
            content((super::streams::SseEvent = "text/event-stream"), (NotificationView = "application/x-ndjson"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "`forbidden`: not that user nor an administrator", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
async fn stream(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<NotificationStreamQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let user = user_id(&id)?;
    let principal = caller.principal();
    athlos_core::account::may_act_for(&principal, &user)?;
    let position = start_position(
        &headers,
        &StreamQuery {
            after: query.after,
            names: None,
            participant: None,
        },
    )?;
    let wire = Wire::of(&headers);
    let receiver = state.streams.subscribe(&state);
    let closed = state.streams.closed();
    let feed = Feed {
        state,
        principal,
        user,
        wire,
        position,
        receiver,
        closed,
        due: true,
        finished: false,
    };
    let body = futures_util::stream::unfold(feed, |mut feed| async move {
        feed.next()
            .await
            .map(|bytes| (Ok::<Bytes, Infallible>(bytes), feed))
    });
    Ok(wire.respond(Body::from_stream(body)))
}
