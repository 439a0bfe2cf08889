//! A tournament's chat: `POST|GET /v1/tournaments/{id}/chat` and
//! `DELETE /v1/tournaments/{id}/chat/{message_id}`.
//!
//! Every rule (who may post or delete, the length and rate limits, tombstones) is the core's
//! ([`athlos_core::chat`], [`athlos_core::service::Service::post_chat`]); these handlers
//! read the request, ask the service and write its answer. Messages are plain text: the JSON
//! carries the text as posted (trimmed), and nothing here or in the pages interprets it as
//! markup (a page that shows one escapes it).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use athlos_core::chat::{ChatMessage, ChatPage};
use athlos_core::id::TournamentId;
use athlos_core::service::ChatChange;

use super::auth::Caller;
use super::concurrency::WithEvents;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::AppState;

/// The routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_chat, post_chat))
        .routes(routes!(delete_chat_message))
}

fn tournament_id(text: &str) -> Result<TournamentId, ApiError> {
    TournamentId::new(text).map_err(|e| ApiError::bad_input("tournament_id", e.to_string()))
}

/// A message to post.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostChat {
    /// Plain text (never interpreted as markup), 1 to 500 characters once trimmed.
    pub text: String,
}

/// A chat message as the API shows it; a deleted one is a tombstone: `text` is `null` and
/// `deleted_by`/`deleted_at` say who deleted it and when.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChatMessageView {
    /// Its number in the chat, from 1, in posting order.
    pub id: u64,
    /// Who posted it (a token subject).
    pub author: String,
    /// When it was posted.
    #[schema(value_type = String, format = DateTime)]
    pub posted_at: DateTime<Utc>,
    /// The text as posted (trimmed), plain text: escape it to show it in a page. `null` once
    /// deleted.
    pub text: Option<String>,
    /// Whether it was deleted.
    pub deleted: bool,
    /// Who deleted it (`null` unless deleted).
    pub deleted_by: Option<String>,
    /// When it was deleted (`null` unless deleted).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub deleted_at: Option<DateTime<Utc>>,
}

impl ChatMessageView {
    fn of(message: &ChatMessage) -> Self {
        Self {
            id: message.id,
            author: message.author.clone(),
            posted_at: message.posted_at,
            text: message.text.clone(),
            deleted: message.deleted.is_some(),
            deleted_by: message.deleted.as_ref().map(|d| d.by.clone()),
            deleted_at: message.deleted.as_ref().map(|d| d.at),
        }
    }

    fn with_events(change: ChatChange) -> WithEvents<Self> {
        WithEvents {
            view: Self::of(&change.message),
            events: change.events,
        }
    }
}

/// Where a page of the chat starts and how long it is.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ChatQuery {
    /// Messages numbered after this one (default 0: from the first).
    #[param(maximum = 9223372036854775807_u64)]
    pub after: Option<u64>,
    /// Messages per page, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
}

/// A page of a tournament's chat.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatPageView {
    /// In posting order; deleted messages are tombstones.
    pub messages: Vec<ChatMessageView>,
    /// The number of the last message of the page: ask for the next page `after` it.
    pub next_after: u64,
    /// Whether messages follow this page.
    pub more: bool,
}

impl ChatPageView {
    fn of(page: &ChatPage) -> Self {
        Self {
            messages: page.messages.iter().map(ChatMessageView::of).collect(),
            next_after: page.next_after,
            more: page.more,
        }
    }
}

/// A tournament's chat, a page at a time, in posting order (as `GET /v1/announcements`
/// pages: `after`, `limit`, `next_after`, `more`). Anyone may read it, as anyone may follow
/// the tournament's stream, which carries the chat live (`chat.posted`, `chat.deleted`).
/// Deleted messages are tombstones without their text.
#[utoipa::path(get, path = "/v1/tournaments/{tournament_id}/chat", tag = "chat",
    params(("tournament_id" = String, Path, description = "Tournament id"), ChatQuery),
    responses((status = 200, body = ChatPageView), (status = 400, body = ErrorBody),
        (status = 404, description = "`unknown_tournament`", body = ErrorBody)))]
async fn list_chat(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<ChatQuery>,
) -> Result<Json<ChatPageView>, ApiError> {
    let id = tournament_id(&id)?;
    let limit = super::streams::page_limit(query.limit)?;
    let after = super::streams::within_bound("after", "message number", query.after.unwrap_or(0))?;
    let page = state.service.chat_page(&id, after, limit).await?;
    Ok(Json(ChatPageView::of(&page)))
}

/// Posts a message to a tournament's chat, logged as `chat.posted` (the tournament's stream
/// carries it). Who may: the tournament's entrants (the caller's subject is an entry's id),
/// the members of its registered teams, its director and admins — anyone else is 403
/// `not_tournament_member`. The text is trimmed: empty is 422 `empty_message`, over 500
/// characters 422 `message_too_long`. At most 5 messages per 10 seconds per author: the next
/// is 429 `chat_rate_limited` with `Retry-After` (and `retry_after`) in seconds. An archived
/// or cancelled tournament's chat is closed (409 `chat_closed`).
#[utoipa::path(post, path = "/v1/tournaments/{tournament_id}/chat", tag = "chat",
    params(("tournament_id" = String, Path, description = "Tournament id")),
    request_body = PostChat,
    responses((status = 201, body = WithEvents<ChatMessageView>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "`not_tournament_member`", body = ErrorBody),
        (status = 404, description = "`unknown_tournament`", body = ErrorBody),
        (status = 409, description = "`chat_closed`, `chat_full`", body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 422, description = "`empty_message`, `message_too_long`", body = ErrorBody),
        (status = 429, description = "`chat_rate_limited`", body = ErrorBody,
            headers(("retry-after" = u64, description = "Seconds until a message is accepted again")))),
    security(("bearer" = [])))]
async fn post_chat(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<PostChat>,
) -> Result<(StatusCode, Json<WithEvents<ChatMessageView>>), ApiError> {
    let id = tournament_id(&id)?;
    let change = state
        .service
        .post_chat(&id, &caller.principal(), &body.text)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ChatMessageView::with_events(change)),
    ))
}

/// Deletes a chat message (the tournament's director or an admin; anyone else is 403
/// `not_chat_moderator`): the chat keeps a tombstone — its number, author and time, without
/// its text — and `chat.deleted` is logged. Deleting it again answers the tombstone and logs
/// nothing; an unknown number is 404 `unknown_message`. The log keeps the `chat.posted` of
/// the message (it is append-only): a stream replayed from before the deletion shows it,
/// then its `chat.deleted`.
#[utoipa::path(delete, path = "/v1/tournaments/{tournament_id}/chat/{message_id}", tag = "chat",
    params(("tournament_id" = String, Path, description = "Tournament id"),
        ("message_id" = u64, Path, description = "The message's number")),
    responses((status = 200, body = WithEvents<ChatMessageView>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "`not_chat_moderator`", body = ErrorBody),
        (status = 404, description = "`unknown_tournament`, `unknown_message`", body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
async fn delete_chat_message(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, message)): ApiPath<(String, u64)>,
) -> Result<Json<WithEvents<ChatMessageView>>, ApiError> {
    let id = tournament_id(&id)?;
    let change = state
        .service
        .delete_chat_message(&id, &caller.principal(), message)
        .await?;
    Ok(Json(ChatMessageView::with_events(change)))
}
