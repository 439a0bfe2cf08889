//! Signed webhooks (Standard Webhooks): subscriptions, the dispatcher that turns the event
//! log into deliveries, the job that sends one, and the routes to list and redeliver them.
//!
//! - A subscription belongs to one event (with its divisions), one tournament or one draft
//!   and is managed by its director (a draft's commissioner). Its secret (`whsec_<base64>`)
//!   is shown once, at creation; later only a hint. Secrets never reach the logs.
//! - The dispatcher (one task per process; several share the store's cursor) reads the log
//!   and records a delivery per matching event and subscription. The store pumps each
//!   subscription's deliveries one at a time, in log order, through the job queue.
//! - The `deliver_webhook` job posts the event envelope with `webhook-id` (the event's id:
//!   the same on every attempt and redelivery), `webhook-timestamp` and
//!   `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`. A 2xx answer
//!   succeeds; anything else is retried 3 times with exponential backoff and jitter, then
//!   kept as a dead letter with the last status and error.
//! - A delivery whose job died without recording its last attempt (the store failed at that
//!   moment) would hold its subscription's line forever; the dispatcher sweeps such
//!   deliveries into dead letters every [`SWEEP`] and the line moves on.
//! - Targets must be `http(s)` URLs whose host is not a loopback, private, link-local or
//!   otherwise internal address (checked on the literal and on every resolved address, and
//!   redirects are not followed) unless the operator allows them.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use prometheus_client::metrics::counter::Counter;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::Sha256;
use tokio::sync::watch;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use athlos_core::error::StoreError;
use athlos_core::event::EventType;
use athlos_core::id::{CompetitionId, DivisionId};
use athlos_core::store::{
    AggregateRef, AggregateStore, AttemptOutcome, Delivery, DeliveryState, EventLog, Job, JobStore,
    NewDelivery, NewWebhook, Webhook, WebhookPatch, WebhookStore,
};

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::AppState;

/// Events the dispatcher reads per step.
const PAGE: usize = 500;

/// How webhooks are sent.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Allow targets on loopback, private and other internal addresses (tests, local setups).
    pub allow_private: bool,
    /// Longest one delivery attempt may take.
    pub timeout: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_private: false,
            timeout: Duration::from_secs(10),
        }
    }
}

/// Counters of delivery attempts, for `/metrics`.
#[derive(Debug, Default)]
pub struct WebhookCounters {
    /// Attempts made.
    pub attempts: Counter,
    /// Attempts that failed.
    pub failures: Counter,
    /// Deliveries that became dead letters.
    pub dead_letters: Counter,
}

/// The HTTP client deliveries go out with, and its policy.
#[derive(Debug, Clone)]
pub struct Sender {
    client: reqwest::Client,
    settings: WebhookSettings,
    /// What it did.
    pub counters: Arc<WebhookCounters>,
}

impl Sender {
    /// A sender with `settings`.
    pub fn new(settings: WebhookSettings) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(Resolver {
                allow_private: settings.allow_private,
            }))
            .user_agent(concat!("athlos-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self {
            client,
            settings,
            counters: Arc::default(),
        }
    }
}

/// Resolves names and refuses internal addresses (unless allowed), so a public name that
/// points inside cannot be used to reach it.
#[derive(Debug)]
struct Resolver {
    allow_private: bool,
}

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| allow_private || is_public(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Whether `ip` is a public, routable address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// Checks a target URL against the policy.
///
/// # Errors
/// The reason it is refused.
pub fn check_target(url: &str, allow_private: bool) -> Result<reqwest::Url, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("not a valid URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("only http and https URLs can receive webhooks".to_owned());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("the URL must not carry credentials".to_owned());
    }
    let host = parsed.host_str().ok_or("the URL has no host")?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let internal = match bare.parse::<IpAddr>() {
        Ok(ip) => !is_public(ip),
        Err(_) => {
            let name = bare.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost") || name.ends_with(".internal")
        }
    };
    if internal && !allow_private {
        return Err(
            "the URL points at a loopback, private or internal address; the operator has not \
             allowed those"
                .to_owned(),
        );
    }
    Ok(parsed)
}

/// A new secret: `whsec_` and 24 random bytes in base64.
///
/// # Errors
/// The system's random source failed.
pub fn new_secret() -> Result<String, String> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for a secret: {e}"))?;
    Ok(format!("whsec_{}", STANDARD.encode(bytes)))
}

/// The key bytes of a `whsec_` secret.
///
/// # Errors
/// Why the secret is malformed.
pub fn secret_key(secret: &str) -> Result<Vec<u8>, String> {
    let encoded = secret
        .strip_prefix("whsec_")
        .ok_or("a secret has the form whsec_<base64>")?;
    let key = STANDARD
        .decode(encoded)
        .map_err(|e| format!("the secret after whsec_ is not base64: {e}"))?;
    if !(24..=64).contains(&key.len()) {
        return Err(format!(
            "the secret must hold 24 to 64 bytes, not {}",
            key.len()
        ));
    }
    Ok(key)
}

/// The `webhook-signature` value for a message.
///
/// # Errors
/// A malformed secret.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String, String> {
    let key = secret_key(secret)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|e| e.to_string())?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

fn secret_hint(secret: &str) -> String {
    let shown: String = secret.chars().skip("whsec_".len()).take(4).collect();
    format!("whsec_{shown}…")
}

/// A subscription as the API shows it: never its secret.
pub fn webhook_view(hook: &Webhook) -> Value {
    let (kind, id) = match &hook.scope {
        AggregateRef::Competition(id) => ("event", id.to_string()),
        AggregateRef::Tournament(id) => ("tournament", id.to_string()),
        AggregateRef::Draft(id) => ("draft", id.to_string()),
        other => ("other", other.to_string()),
    };
    json!({
        "id": hook.id,
        "scope": {"type": kind, "id": id},
        "url": hook.url,
        "event_types": hook.event_types,
        "enabled": hook.enabled,
        "secret_hint": secret_hint(&hook.secret),
        "after_sequence": hook.after,
        "created_at": hook.created_at,
    })
}

fn delivery_view(d: &Delivery) -> Value {
    json!({
        "id": d.id,
        "webhook": d.webhook,
        "sequence": d.sequence,
        "webhook_id": d.message_id,
        "state": d.state,
        "attempts": d.attempts,
        "round": d.round,
        "last_status": d.last_status,
        "last_error": d.last_error,
        "created_at": d.created_at,
        "updated_at": d.updated_at,
        "possibly_sent": d.possibly_sent,
    })
}

// ---------------------------------------------------------------------------------------
// The dispatcher.

/// Turns the event log into deliveries until `stop` is set.
pub async fn dispatch(state: AppState, mut stop: watch::Receiver<bool>) {
    let mut wakeup = state
        .database
        .as_ref()
        .map(|db| db.wakeup(athlos_store::Topic::Events));
    let poll = if wakeup.is_some() {
        Duration::from_millis(500)
    } else {
        Duration::from_millis(20)
    };
    let mut divisions: BTreeMap<DivisionId, Option<CompetitionId>> = BTreeMap::new();
    let mut swept = tokio::time::Instant::now();
    if let Err(error) = sweep_stranded(&state, state.clock.now()).await {
        tracing::warn!(%error, "webhook dispatcher cannot sweep stranded deliveries");
    }
    loop {
        if *stop.borrow() {
            return;
        }
        if swept.elapsed() >= SWEEP {
            swept = tokio::time::Instant::now();
            if let Err(error) = sweep_stranded(&state, state.clock.now()).await {
                tracing::warn!(%error, "webhook dispatcher cannot sweep stranded deliveries");
            }
        }
        match step(&state, &mut divisions).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(error) => tracing::warn!(%error, "webhook dispatcher cannot read the store"),
        }
        let sleep = tokio::time::sleep(poll);
        match &mut wakeup {
            Some(wakeup) => tokio::select! {
                () = wakeup.wait() => {}
                () = sleep => {}
                _ = stop.wait_for(|s| *s) => return,
            },
            None => tokio::select! {
                () = sleep => {}
                _ = stop.wait_for(|s| *s) => return,
            },
        }
    }
}

/// How often the dispatcher sweeps deliveries stranded by a dead job.
pub const SWEEP: Duration = Duration::from_secs(30);

/// Records the deliveries of the next page of the log, as the dispatcher does on each
/// round; whether there may be more.
///
/// # Errors
/// The store's.
pub async fn dispatch_once(state: &AppState) -> Result<bool, StoreError> {
    step(state, &mut BTreeMap::new()).await
}

/// Turns deliveries left `sending` by a job that is dead or gone (its last attempt ran but
/// its result could not be recorded) into dead letters with the reason, so that the
/// subscription's next delivery goes out. Returns how many it swept.
///
/// # Errors
/// The store's.
pub async fn sweep_stranded(
    state: &AppState,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize, StoreError> {
    let store = &state.store;
    let mut swept = 0;
    for hook in store.webhooks(None).await? {
        let sending = store
            .deliveries(hook.id, Some(DeliveryState::Sending), 0, 100)
            .await?;
        for delivery in sending {
            let Some(job_id) = delivery.job else {
                continue;
            };
            let job = store.job(job_id).await?;
            let Some(outcome) = AttemptOutcome::stranded(job_id, job.as_ref()) else {
                continue;
            };
            let reason = outcome.error.clone().unwrap_or_default();
            if store
                .finish_delivery(delivery.id, job_id, outcome, now)
                .await?
                .is_some()
            {
                swept += 1;
                state.webhooks.counters.dead_letters.inc();
                tracing::warn!(webhook = hook.id, delivery = delivery.id, %reason, "stranded delivery became a dead letter");
            }
        }
    }
    Ok(swept)
}

/// Records the deliveries of the next page of the log; whether there may be more.
async fn step(
    state: &AppState,
    divisions: &mut BTreeMap<DivisionId, Option<CompetitionId>>,
) -> Result<bool, StoreError> {
    let store = &state.store;
    let from = store.webhook_cursor().await?;
    let page = store.events_after(from, PAGE).await?;
    let Some(to) = page.last().map(|e| e.sequence) else {
        return Ok(false);
    };
    let hooks: Vec<Webhook> = store
        .webhooks(None)
        .await?
        .into_iter()
        .filter(|h| h.enabled)
        .collect();
    let mut deliveries = Vec::new();
    if !hooks.is_empty() {
        for logged in &page {
            let scope = match &logged.aggregate {
                AggregateRef::Division(d) => {
                    let competition = match divisions.get(d) {
                        Some(known) => known.clone(),
                        None => {
                            let found = store.division(d).await?.map(|s| s.value.competition);
                            divisions.insert(d.clone(), found.clone());
                            found
                        }
                    };
                    match competition {
                        Some(c) => AggregateRef::Competition(c),
                        None => continue,
                    }
                }
                other => other.clone(),
            };
            let event_type = logged.event.event_type();
            for hook in &hooks {
                if hook.scope == scope
                    && logged.sequence > hook.after
                    && hook.wants(event_type.as_str())
                {
                    deliveries.push(NewDelivery {
                        webhook: hook.id,
                        sequence: logged.sequence,
                        message_id: logged.event.id.to_string(),
                    });
                }
            }
        }
    }
    // `false`: another process moved the cursor first; read again from where it is.
    store
        .record_deliveries(from, to, deliveries, state.clock.now())
        .await?;
    Ok(true)
}

// ---------------------------------------------------------------------------------------
// The job.

/// Sends the delivery a `deliver_webhook` job names (one attempt).
///
/// # Errors
/// The attempt's failure (the worker retries it after a backoff while attempts remain).
pub async fn deliver(state: &AppState, job: &Job) -> Result<(), String> {
    let store = &state.store;
    let id = job
        .payload
        .get("delivery")
        .and_then(Value::as_u64)
        .ok_or("the job names no delivery")?;
    let Some(delivery) = store.delivery(id).await.map_err(|e| e.to_string())? else {
        return Ok(()); // its subscription was deleted
    };
    if delivery.state != DeliveryState::Sending || delivery.job != Some(job.id) {
        return Ok(()); // a stale job: the delivery moved on
    }
    let hook = store
        .webhook(delivery.webhook)
        .await
        .map_err(|e| e.to_string())?;
    let Some(hook) = hook else { return Ok(()) };
    let event = store
        .events_after(delivery.sequence.saturating_sub(1), 1)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|e| e.sequence == delivery.sequence);
    // Marked in flight before the send: a retry that finds it still so knows the receiver
    // may have it already, and says so (`webhook-possibly-sent`); it deduplicates by
    // `webhook-id`, the same on every attempt.
    let Some(delivery) = store
        .start_attempt(id, job.id, state.clock.now())
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(()); // a stale job: the delivery moved on
    };
    let sender = &state.webhooks;
    let result = match event {
        Some(event) => match serde_json::to_string(&event.event) {
            Ok(body) => {
                send(
                    sender,
                    &hook,
                    &delivery,
                    body,
                    state.clock.now().timestamp(),
                )
                .await
            }
            Err(e) => Err((None, format!("cannot encode the event: {e}"))),
        },
        None => Err((
            None,
            format!("event {} is not in the log", delivery.sequence),
        )),
    };
    sender.counters.attempts.inc();
    let outcome = AttemptOutcome::of_attempt(result.clone(), job.attempts, job.max_attempts);
    if result.is_err() {
        sender.counters.failures.inc();
    }
    if outcome.state == DeliveryState::Dead {
        sender.counters.dead_letters.inc();
    }
    store
        .finish_delivery(id, job.id, outcome, state.clock.now())
        .await
        .map_err(|e| e.to_string())?;
    match result {
        Ok(_) => Ok(()),
        Err((_, error)) => {
            tracing::warn!(webhook = hook.id, delivery = id, %error, "webhook attempt failed");
            Err(error)
        }
    }
}

async fn send(
    sender: &Sender,
    hook: &Webhook,
    delivery: &Delivery,
    body: String,
    timestamp: i64,
) -> Result<u16, (Option<u16>, String)> {
    let message_id = delivery.message_id.as_str();
    let url = check_target(&hook.url, sender.settings.allow_private).map_err(|e| (None, e))?;
    let signature = sign(&hook.secret, message_id, timestamp, &body).map_err(|e| (None, e))?;
    let mut request = sender
        .client
        .post(url)
        .timeout(sender.settings.timeout)
        .header("content-type", "application/json")
        .header("webhook-id", message_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature);
    if delivery.possibly_sent {
        request = request.header("webhook-possibly-sent", "true");
    }
    let response = request.body(body).send().await.map_err(|e| {
        let what = if e.is_timeout() {
            "timed out"
        } else if e.is_connect() {
            "could not connect"
        } else {
            "failed"
        };
        (None, format!("the request {what}: {}", error_chain(&e)))
    })?;
    let status = response.status().as_u16();
    if response.status().is_success() {
        Ok(status)
    } else {
        Err((Some(status), format!("the receiver answered {status}")))
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

// ---------------------------------------------------------------------------------------
// Routes.

/// The routes of this module.
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

/// A new subscription.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// The receiver (`http(s)://…`).
    pub url: String,
    /// A `whsec_<base64>` secret (24-64 bytes); one is made when absent. Shown only in this
    /// answer.
    #[serde(default)]
    pub secret: Option<String>,
    /// Dotted event types to receive (`match.result` …); all when absent or empty.
    #[serde(default)]
    pub event_types: Vec<String>,
    /// Whether it receives events now (default true).
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// Changes to a subscription.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhook {
    /// A new receiver.
    #[serde(default)]
    pub url: Option<String>,
    /// New event types.
    #[serde(default)]
    pub event_types: Option<Vec<String>>,
    /// Enable or disable.
    #[serde(default)]
    pub enabled: Option<bool>,
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
) -> Result<Value, ApiError> {
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
    let mut view = webhook_view(&hook);
    if let Value::Object(map) = &mut view {
        map.insert("secret".to_owned(), json!(secret));
    }
    Ok(view)
}

/// A raw request body whose refusals (413) use the API's error shape.
#[derive(Debug, Clone)]
pub struct RawBody(pub axum::body::Bytes);

impl<S: Send + Sync> axum::extract::FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        super::extract::body_bytes(req, state).await.map(RawBody)
    }
}

/// The optional body of `generate-all-brackets`: a receiver for the event's events.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateAllBody {
    /// Subscribe this receiver to the event (reused when one with the same URL exists).
    #[serde(default)]
    pub webhook: Option<CreateWebhook>,
}

/// The `webhook {url, secret}` shortcut of `generate-all-brackets`: subscribes the receiver
/// to the event unless a subscription with that URL exists (a repeated request reuses it and
/// shows no secret). `None` for an empty or `null` body, or one without `webhook`.
///
/// # Errors
/// 400 for a malformed body or a refused receiver; the store's errors.
pub async fn shortcut(
    state: &AppState,
    scope: AggregateRef,
    raw: &[u8],
) -> Result<Option<Value>, ApiError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let body: Option<GenerateAllBody> = super::extract::parse_json(raw)?;
    super::extract::refuse_array(raw, "a JSON object or null")?;
    let Some(webhook) = body.and_then(|b| b.webhook) else {
        return Ok(None);
    };
    let existing = state.store.webhooks(Some(&scope)).await?;
    if let Some(found) = existing.iter().find(|h| h.url == webhook.url) {
        return Ok(Some(webhook_view(found)));
    }
    subscribe(state, scope, webhook).await.map(Some)
}

async fn tournament_scope(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<AggregateRef, ApiError> {
    let tournament = super::tournaments::directed(state, caller, id).await?;
    Ok(AggregateRef::Tournament(tournament.value.id))
}

async fn event_scope(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<AggregateRef, ApiError> {
    let event = super::competitions::directed_event(state, caller, id).await?;
    Ok(AggregateRef::Competition(event.value.id))
}

async fn draft_scope(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<AggregateRef, ApiError> {
    let id = super::drafts::draft_id(id)?;
    let draft = state.service.draft(&id).await?;
    super::drafts::require_commissioner(&draft.value, caller)?;
    Ok(AggregateRef::Draft(id))
}

/// 403 unless `caller` directs `scope`: its director, a draft's commissioner, or an admin.
async fn require_director(
    state: &AppState,
    caller: &Caller,
    scope: &AggregateRef,
) -> Result<(), ApiError> {
    match scope {
        AggregateRef::Draft(id) => match state.store.draft(id).await? {
            Some(draft) => super::drafts::require_commissioner(&draft.value, caller),
            // A draft that is gone has no commissioner left: admins only.
            None if caller.is_admin() => Ok(()),
            None => Err(ApiError::forbidden("only an admin may do this")),
        },
        AggregateRef::Tournament(id) => match state.store.tournament(id).await? {
            Some(found) => Ok(found.value.may_direct(&caller.principal())?),
            // Gone: what it left behind names its director.
            None => tombstone_director(state, caller, scope).await,
        },
        AggregateRef::Competition(id) => match state.store.competition(id).await? {
            Some(found) => Ok(found.value.may_direct(&caller.principal())?),
            None => tombstone_director(state, caller, scope).await,
        },
        other => Err(ApiError::forbidden(format!("{other} has no director"))),
    }
}

/// 403 unless `caller` directed the deleted `scope` (admins: always).
async fn tombstone_director(
    state: &AppState,
    caller: &Caller,
    scope: &AggregateRef,
) -> Result<(), ApiError> {
    let last = state.store.tombstone(scope).await?;
    let director = last
        .as_ref()
        .and_then(|l| l.get("director"))
        .and_then(Value::as_str);
    Ok(athlos_core::access::may_direct(
        &caller.principal(),
        director,
    )?)
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

async fn listed(state: &AppState, scope: &AggregateRef) -> Result<Json<Value>, ApiError> {
    let hooks = state.store.webhooks(Some(scope)).await?;
    Ok(Json(json!({
        "webhooks": hooks.iter().map(webhook_view).collect::<Vec<_>>(),
    })))
}

/// Subscribes a receiver to a tournament's events (director). The answer carries the
/// secret; it is never shown again.
#[utoipa::path(post, path = "/v1/tournaments/{tournament_id}/webhooks", tag = "webhooks",
    params(("tournament_id" = String, Path, description = "Tournament id")),
    request_body = CreateWebhook,
    responses((status = 201, body = Value), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn create_tournament_webhook(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<CreateWebhook>,
) -> Result<impl IntoResponse, ApiError> {
    let scope = tournament_scope(&state, &caller, &id).await?;
    Ok((
        StatusCode::CREATED,
        Json(subscribe(&state, scope, body).await?),
    ))
}

/// A tournament's subscriptions (director).
#[utoipa::path(get, path = "/v1/tournaments/{tournament_id}/webhooks", tag = "webhooks",
    params(("tournament_id" = String, Path, description = "Tournament id")),
    responses((status = 200, body = Value), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn list_tournament_webhooks(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let scope = tournament_scope(&state, &caller, &id).await?;
    listed(&state, &scope).await
}

/// Subscribes a receiver to an event's events, its divisions' included (director).
#[utoipa::path(post, path = "/v1/events/{event_id}/webhooks", tag = "webhooks",
    params(("event_id" = String, Path, description = "Event id")),
    request_body = CreateWebhook,
    responses((status = 201, body = Value), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn create_event_webhook(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<CreateWebhook>,
) -> Result<impl IntoResponse, ApiError> {
    let scope = event_scope(&state, &caller, &id).await?;
    Ok((
        StatusCode::CREATED,
        Json(subscribe(&state, scope, body).await?),
    ))
}

/// An event's subscriptions (director).
#[utoipa::path(get, path = "/v1/events/{event_id}/webhooks", tag = "webhooks",
    params(("event_id" = String, Path, description = "Event id")),
    responses((status = 200, body = Value), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn list_event_webhooks(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let scope = event_scope(&state, &caller, &id).await?;
    listed(&state, &scope).await
}

/// Subscribes a receiver to a draft's events (commissioner), its queue changes included. The
/// answer carries the secret; it is never shown again.
#[utoipa::path(post, path = "/v1/drafts/{draft_id}/webhooks", tag = "webhooks",
    params(("draft_id" = String, Path, description = "Draft id")),
    request_body = CreateWebhook,
    responses((status = 201, body = Value), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn create_draft_webhook(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<CreateWebhook>,
) -> Result<impl IntoResponse, ApiError> {
    let scope = draft_scope(&state, &caller, &id).await?;
    Ok((
        StatusCode::CREATED,
        Json(subscribe(&state, scope, body).await?),
    ))
}

/// A draft's subscriptions (commissioner).
#[utoipa::path(get, path = "/v1/drafts/{draft_id}/webhooks", tag = "webhooks",
    params(("draft_id" = String, Path, description = "Draft id")),
    responses((status = 200, body = Value), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn list_draft_webhooks(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let scope = draft_scope(&state, &caller, &id).await?;
    listed(&state, &scope).await
}

/// A subscription (director of its scope); the secret only as a hint.
#[utoipa::path(get, path = "/v1/webhooks/{webhook_id}", tag = "webhooks",
    params(("webhook_id" = u64, Path, description = "Webhook id")),
    responses((status = 200, body = Value), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn get_webhook(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<u64>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(webhook_view(
        &directed_webhook(&state, &caller, id).await?,
    )))
}

/// Changes a subscription's URL, event types or enabled flag (director).
#[utoipa::path(patch, path = "/v1/webhooks/{webhook_id}", tag = "webhooks",
    params(("webhook_id" = u64, Path, description = "Webhook id")),
    request_body = UpdateWebhook,
    responses((status = 200, body = Value), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn update_webhook(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<u64>,
    ApiJson(body): ApiJson<UpdateWebhook>,
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(webhook_view(&hook)))
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

/// Paging and filter of deliveries.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    /// `pending`, `sending`, `succeeded` or `dead` (dead letters).
    pub state: Option<String>,
    /// Only deliveries with a greater id (the last id of the previous page).
    pub after: Option<u64>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<usize>,
}

/// A subscription's deliveries by id: state, attempts, last status and error (director).
#[utoipa::path(get, path = "/v1/webhooks/{webhook_id}/deliveries", tag = "webhooks",
    params(("webhook_id" = u64, Path, description = "Webhook id"), DeliveryQuery),
    responses((status = 200, body = Value), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn list_deliveries(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<u64>,
    ApiQuery(query): ApiQuery<DeliveryQuery>,
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(json!({
        "deliveries": deliveries.iter().map(delivery_view).collect::<Vec<_>>(),
    })))
}

/// Sends one delivery again (succeeded or dead), with the same `webhook-id` (director).
#[utoipa::path(post, path = "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", tag = "webhooks",
    params(("webhook_id" = u64, Path, description = "Webhook id"), ("delivery_id" = u64, Path, description = "Delivery id")),
    responses((status = 202, body = Value), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
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
    Ok((StatusCode::ACCEPTED, Json(delivery_view(again))))
}

/// Sends every dead letter of a subscription again, in log order (director).
#[utoipa::path(post, path = "/v1/webhooks/{webhook_id}/replay-dead-letters", tag = "webhooks",
    params(("webhook_id" = u64, Path, description = "Webhook id")),
    responses((status = 202, body = Value), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn replay_dead_letters(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<u64>,
) -> Result<impl IntoResponse, ApiError> {
    directed_webhook(&state, &caller, id).await?;
    let again = state.store.redeliver(id, None, state.clock.now()).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({
            "deliveries": again.iter().map(delivery_view).collect::<Vec<_>>(),
        })),
    ))
}
