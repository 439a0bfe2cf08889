//! The webhook routes: subscriptions of an event (with its divisions), a tournament or a
//! draft, managed by its director (a draft's commissioner), and their deliveries.
//!
//! A subscription's secret (`whsec_<base64>`) is shown once, at creation; later only a hint.
//! Secrets never reach the logs.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use athlos_core::event::EventType;
use athlos_core::store::{
    AggregateRef, DeliveryState, NewWebhook, Webhook, WebhookPatch, WebhookStore,
};

use super::bodies::{
    CreateWebhook, DeliveryList, DeliveryQuery, DeliveryView, GenerateAllBody, UpdateWebhook,
    WebhookList, WebhookView,
};
use super::signing::{new_secret, secret_key};
use super::target::check_target;
use crate::server::auth::Caller;
use crate::server::error::{ApiError, ErrorBody};
use crate::server::extract::{ApiJson, ApiPath, ApiQuery};
use crate::server::{drafts, AppState};

/// The webhook routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_tournament_webhook, list_tournament_webhooks))
        .routes(routes!(create_event_webhook, list_event_webhooks))
        .routes(routes!(create_draft_webhook, list_draft_webhooks))
        .routes(routes!(get_webhook, update_webhook, delete_webhook))
        .routes(routes!(list_deliveries))
        .routes(routes!(redeliver))
        .routes(routes!(replay_dead_letters))
}

fn check_types(types: &[String]) -> Result<Vec<String>, ApiError> {
    let mut out: Vec<String> = Vec::with_capacity(types.len());
    for t in types {
        if EventType::parse(t).is_none() {
            return Err(ApiError::bad_input(
                "event_types",
                format!("unknown event type {t:?}"),
            ));
        }
        if !out.contains(t) {
            out.push(t.clone());
        }
    }
    out.sort();
    Ok(out)
}

/// Creates a subscription for `scope` (the caller must direct it) and answers with the
/// secret, the only time it is shown.
///
/// # Errors
/// 400 for a refused URL, secret or event type; the store's errors.
pub async fn subscribe(
    state: &AppState,
    scope: AggregateRef,
    body: CreateWebhook,
) -> Result<WebhookView, ApiError> {
    check_target(&body.url, state.webhooks.settings.allow_private)
        .map_err(|e| ApiError::bad_input("url", e))?;
    let secret = match body.secret {
        Some(secret) => {
            secret_key(&secret).map_err(|e| ApiError::bad_input("secret", e))?;
            secret
        }
        None => new_secret()
            .map_err(|e| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "no_randomness", e))?,
    };
    let hook = state
        .store
        .create_webhook(NewWebhook {
            scope,
            url: body.url,
            secret: secret.clone(),
            event_types: check_types(&body.event_types)?,
            enabled: body.enabled.unwrap_or(true),
            created_at: state.clock.now(),
        })
        .await?;
    let mut view = WebhookView::of(&hook);
    view.secret = Some(secret);
    Ok(view)
}

/// A raw request body whose refusals (413) use the API's error shape.
#[derive(Debug, Clone)]
pub struct RawBody(pub axum::body::Bytes);

impl<S: Send + Sync> axum::extract::FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        crate::server::extract::body_bytes(req, state)
            .await
            .map(RawBody)
    }
}

/// The `webhook {url, secret}` shortcut of `generate-all-brackets`: subscribes the receiver
/// to the event unless a subscription with that URL exists (a repeated request reuses it and
/// shows no secret), answering the subscription as JSON for the answer of that route. `None`
/// for an empty or `null` body, or one without `webhook`.
///
/// # Errors
/// 400 for a malformed body or a refused receiver; the store's errors.
pub async fn shortcut(
    state: &AppState,
    scope: AggregateRef,
    raw: &[u8],
) -> Result<Option<WebhookView>, ApiError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let body: Option<GenerateAllBody> = crate::server::extract::parse_json(raw)?;
    crate::server::extract::refuse_array(raw, "a JSON object or null")?;
    let Some(webhook) = body.and_then(|b| b.webhook) else {
        return Ok(None);
    };
    let existing = state.store.webhooks(Some(&scope)).await?;
    let view = match existing.iter().find(|h| h.url == webhook.url) {
        Some(found) => WebhookView::of(found),
        None => subscribe(state, scope, webhook).await?,
    };
    Ok(Some(view))
}

async fn tournament_scope(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<AggregateRef, ApiError> {
    let tournament = crate::server::tournaments::directed(state, caller, id).await?;
    Ok(AggregateRef::Tournament(tournament.value.id))
}

async fn event_scope(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<AggregateRef, ApiError> {
    let event = crate::server::competitions::directed_event(state, caller, id).await?;
    Ok(AggregateRef::Competition(event.value.id))
}

async fn draft_scope(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<AggregateRef, ApiError> {
    let id = drafts::draft_id(id)?;
    let draft = state.service.draft(&id).await?;
    draft.value.may_direct(&caller.principal())?;
    Ok(AggregateRef::Draft(id))
}

/// 403 unless `caller` directs `scope` (the core decides: its director, a draft's
/// commissioner, an admin; for a deleted aggregate, what it left behind).
async fn require_director(
    state: &AppState,
    caller: &Caller,
    scope: &AggregateRef,
) -> Result<(), ApiError> {
    Ok(state
        .service
        .may_direct(&caller.principal(), scope)
        .await??)
}

/// A subscription the caller directs the scope of.
async fn directed_webhook(state: &AppState, caller: &Caller, id: u64) -> Result<Webhook, ApiError> {
    let hook = state
        .store
        .webhook(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("unknown webhook {id}")))?;
    require_director(state, caller, &hook.scope).await?;
    Ok(hook)
}

async fn listed(state: &AppState, scope: &AggregateRef) -> Result<Json<WebhookList>, ApiError> {
    let hooks = state.store.webhooks(Some(scope)).await?;
    Ok(Json(WebhookList {
        webhooks: hooks.iter().map(WebhookView::of).collect(),
    }))
}

/// The two routes of the subscriptions of one kind of scope at `$path`: `$create` subscribes
/// a receiver (201 with the secret, never shown again) and `$list` lists them; `$scope` reads
/// the id named `$param` and checks that the caller directs it.
macro_rules! scoped_webhooks {
    (
        $create:ident, $list:ident, $path:literal, $param:literal, $description:literal,
        $scope:ident, $create_doc:literal, $list_doc:literal
    ) => {
        #[doc = $create_doc]
        #[utoipa::path(post, path = $path, tag = "webhooks",
            params(($param = String, Path, description = $description)),
            request_body = CreateWebhook,
            responses((status = 201, body = WebhookView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
                (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
            security(("bearer" = [])))]
        async fn $create(
            State(state): State<AppState>,
            caller: Caller,
            ApiPath(id): ApiPath<String>,
            ApiJson(body): ApiJson<CreateWebhook>,
        ) -> Result<impl IntoResponse, ApiError> {
            let scope = $scope(&state, &caller, &id).await?;
            Ok((
                StatusCode::CREATED,
                Json(subscribe(&state, scope, body).await?),
            ))
        }

        #[doc = $list_doc]
        #[utoipa::path(get, path = $path, tag = "webhooks",
            params(($param = String, Path, description = $description)),
            responses((status = 200, body = WebhookList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
                (status = 404, body = ErrorBody)),
            security(("bearer" = [])))]
        async fn $list(
            State(state): State<AppState>,
            caller: Caller,
            ApiPath(id): ApiPath<String>,
        ) -> Result<Json<WebhookList>, ApiError> {
            let scope = $scope(&state, &caller, &id).await?;
            listed(&state, &scope).await
        }
    };
}

scoped_webhooks!(
    create_tournament_webhook,
    list_tournament_webhooks,
    "/v1/tournaments/{tournament_id}/webhooks",
    "tournament_id",
    "Tournament id",
    tournament_scope,
    "Subscribes a receiver to a tournament's events (director). The answer carries the secret; it is never shown again.",
    "A tournament's subscriptions (director)."
);
scoped_webhooks!(
    create_event_webhook,
    list_event_webhooks,
    "/v1/events/{event_id}/webhooks",
    "event_id",
    "Event id",
    event_scope,
    "Subscribes a receiver to an event's events, its divisions' included (director). The answer carries the secret; it is never shown again.",
    "An event's subscriptions (director)."
);
scoped_webhooks!(
    create_draft_webhook,
    list_draft_webhooks,
    "/v1/drafts/{draft_id}/webhooks",
    "draft_id",
    "Draft id",
    draft_scope,
    "Subscribes a receiver to a draft's events (commissioner), its queue changes included. The answer carries the secret; it is never shown again.",
    "A draft's subscriptions (commissioner)."
);

/// A subscription (director of its scope); the secret only as a hint.
#[utoipa::path(get, path = "/v1/webhooks/{webhook_id}", tag = "webhooks",
    params(("webhook_id" = u64, Path, description = "Webhook id")),
    responses((status = 200, body = WebhookView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn get_webhook(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<u64>,
) -> Result<Json<WebhookView>, ApiError> {
    Ok(Json(WebhookView::of(
        &directed_webhook(&state, &caller, id).await?,
    )))
}

/// Changes a subscription's URL, event types or enabled flag (director).
#[utoipa::path(patch, path = "/v1/webhooks/{webhook_id}", tag = "webhooks",
    params(("webhook_id" = u64, Path, description = "Webhook id")),
    request_body = UpdateWebhook,
    responses((status = 200, body = WebhookView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn update_webhook(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<u64>,
    ApiJson(body): ApiJson<UpdateWebhook>,
) -> Result<Json<WebhookView>, ApiError> {
    directed_webhook(&state, &caller, id).await?;
    if let Some(url) = &body.url {
        check_target(url, state.webhooks.settings.allow_private)
            .map_err(|e| ApiError::bad_input("url", e))?;
    }
    let event_types = body.event_types.as_deref().map(check_types).transpose()?;
    let hook = state
        .store
        .update_webhook(
            id,
            WebhookPatch {
                url: body.url,
                event_types,
                enabled: body.enabled,
            },
        )
        .await?
        .ok_or_else(|| ApiError::not_found(format!("unknown webhook {id}")))?;
    Ok(Json(WebhookView::of(&hook)))
}

/// Deletes a subscription and its deliveries (director).
#[utoipa::path(delete, path = "/v1/webhooks/{webhook_id}", tag = "webhooks",
    params(("webhook_id" = u64, Path, description = "Webhook id")),
    responses((status = 204, description = "Deleted"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn delete_webhook(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<u64>,
) -> Result<StatusCode, ApiError> {
    directed_webhook(&state, &caller, id).await?;
    state.store.delete_webhook(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A subscription's deliveries by id: state, attempts, last status and error (director).
#[utoipa::path(get, path = "/v1/webhooks/{webhook_id}/deliveries", tag = "webhooks",
    params(("webhook_id" = u64, Path, description = "Webhook id"), DeliveryQuery),
    responses((status = 200, body = DeliveryList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn list_deliveries(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<u64>,
    ApiQuery(query): ApiQuery<DeliveryQuery>,
) -> Result<Json<DeliveryList>, ApiError> {
    directed_webhook(&state, &caller, id).await?;
    let filter = query
        .state
        .as_deref()
        .map(|s| {
            DeliveryState::parse(s).ok_or_else(|| {
                ApiError::bad_input("state", "state must be pending, sending, succeeded or dead")
            })
        })
        .transpose()?;
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let deliveries = state
        .store
        .deliveries(id, filter, query.after.unwrap_or(0), limit)
        .await?;
    Ok(Json(DeliveryList::of(&deliveries)))
}

/// Sends one delivery again (succeeded or dead), with the same `webhook-id` (director).
#[utoipa::path(post, path = "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", tag = "webhooks",
    params(("webhook_id" = u64, Path, description = "Webhook id"), ("delivery_id" = u64, Path, description = "Delivery id")),
    responses((status = 202, body = DeliveryView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
async fn redeliver(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, delivery)): ApiPath<(u64, u64)>,
) -> Result<impl IntoResponse, ApiError> {
    directed_webhook(&state, &caller, id).await?;
    let found = state
        .store
        .delivery(delivery)
        .await?
        .filter(|d| d.webhook == id)
        .ok_or_else(|| ApiError::not_found(format!("unknown delivery {delivery}")))?;
    let again = state
        .store
        .redeliver(id, Some(delivery), state.clock.now())
        .await?;
    let Some(again) = again.first() else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "delivery_in_progress",
            format!(
                "delivery {delivery} is {}: only a succeeded or dead delivery is sent again",
                found.state
            ),
        )
        .with("state", found.state.to_string()));
    };
    Ok((StatusCode::ACCEPTED, Json(DeliveryView::of(again))))
}

/// Sends every dead letter of a subscription again, in log order (director).
#[utoipa::path(post, path = "/v1/webhooks/{webhook_id}/replay-dead-letters", tag = "webhooks",
    params(("webhook_id" = u64, Path, description = "Webhook id")),
    responses((status = 202, body = DeliveryList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn replay_dead_letters(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<u64>,
) -> Result<impl IntoResponse, ApiError> {
    directed_webhook(&state, &caller, id).await?;
    let again = state.store.redeliver(id, None, state.clock.now()).await?;
    Ok((StatusCode::ACCEPTED, Json(DeliveryList::of(&again))))
}
