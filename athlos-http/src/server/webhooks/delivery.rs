//! Sending: the HTTP client and its policy, and the `deliver_webhook` job that makes one
//! attempt of a delivery.
//!
//! The job posts the event envelope with `webhook-id` (the event's id: the same on every
//! attempt and redelivery), `webhook-timestamp` and `webhook-signature`. A 2xx answer
//! succeeds; anything else is retried 3 times with exponential backoff and jitter, then kept
//! as a dead letter with the last status and error.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use serde_json::Value;

use athlos_core::store::{
    AttemptOutcome, Delivery, DeliveryState, EventLog, Job, Webhook, WebhookStore,
};

use super::signing::sign;
use super::target::{check_target, Resolver};
use crate::server::AppState;

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
    pub(super) client: reqwest::Client,
    pub(super) settings: WebhookSettings,
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
