//! Sending: the HTTP client and its policy, and the `deliver_webhook` job that sends a
//! subscription's deliveries.
//!
//! The job posts the event envelope with `webhook-id` (the event's id: the same on every
//! attempt and redelivery), `webhook-timestamp` and `webhook-signature`. A 2xx answer
//! succeeds; anything else is retried (3 times by default) with exponential backoff and
//! jitter by a new job, then kept as a dead letter with the last status and error. After a
//! final outcome the same job goes straight on to the subscription's next deliveries (the
//! store hands them over, [`DELIVERY_WINDOW`] at a time, in the transaction that records the
//! outcomes of the ones before), up to [`CHAIN`] deliveries. Consecutive failures open the subscription's circuit: its line waits for
//! probes with a capped backoff until one succeeds ([`DeliveryPolicy`]).

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use serde_json::Value;

use athlos_core::store::{
    AttemptRun, Delivery, DeliveryPolicy, DeliveryState, EventLog, Job, LoggedEvent, RunAttempt,
    SendFailure, Webhook, WebhookStore, DELIVERY_WINDOW,
};

use super::signing::sign;
use super::target::{check_target, Resolver};
use crate::server::AppState;

/// Deliveries one job sends in a row before a new job takes its subscription's line over
/// (other jobs get their turn, and a job's lease is not held for ever).
pub const CHAIN: usize = 100;

/// How webhooks are sent.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Allow targets on loopback, private and other internal addresses (tests, local setups).
    pub allow_private: bool,
    /// Longest one delivery attempt may take.
    pub timeout: Duration,
    /// Delivery jobs this process runs at once (one per subscription sending at a time), in a
    /// worker of their own beside the other jobs'.
    pub concurrency: usize,
    /// Deliveries of one subscription a job sends one after the other (each once the one
    /// before succeeded) and records together; at least 1.
    pub window: usize,
    /// Retries, and the circuit breaker.
    pub policy: DeliveryPolicy,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_private: false,
            timeout: Duration::from_secs(10),
            concurrency: 16,
            window: DELIVERY_WINDOW,
            policy: DeliveryPolicy::default(),
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
    /// Circuits that opened.
    pub circuit_openings: Counter,
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

    /// The settings it sends with.
    pub fn settings(&self) -> &WebhookSettings {
        &self.settings
    }
}

/// Sends the delivery a `deliver_webhook` job names, then the subscription's next ones while
/// the store hands them to this job (up to [`CHAIN`]): [`WebhookSettings::window`] at a time, each
/// sent once the one before succeeded, their outcomes recorded together. A failed attempt
/// ends the window (the rest go back in line) and is retried by a new job; this one ends.
///
/// # Errors
/// A store failure (the worker retries the job after a backoff while attempts remain; the
/// deliveries it holds are sent again, marked possibly sent).
pub async fn deliver(state: &AppState, job: &Job) -> Result<(), String> {
    let store = &state.store;
    let id = job
        .payload
        .get("delivery")
        .and_then(Value::as_u64)
        .ok_or("the job names no delivery")?;
    // The attempt of the round this job makes (its own attempts count when it runs again).
    let reruns = job.attempts.saturating_sub(1);
    let first = job
        .payload
        .get("attempt")
        .and_then(Value::as_u64)
        .map_or(1, |n| u32::try_from(n).unwrap_or(u32::MAX));
    // Marked in flight before the send: a retry that finds it still so knows the receiver
    // may have it already, and says so (`webhook-possibly-sent`); it deduplicates by
    // `webhook-id`, the same on every attempt.
    let started = store
        .start_attempt(id, job.id, state.clock.now())
        .await
        .map_err(|e| e.to_string())?;
    let (mut window, mut number) = match started {
        Some(delivery) => (vec![delivery], first.saturating_add(reruns)),
        None => {
            let held = held(state, job, id).await?;
            if held.is_empty() {
                return Ok(()); // a stale job: the line moved on
            }
            (held, reruns.max(1))
        }
    };
    let hook = store
        .webhook(window[0].webhook)
        .await
        .map_err(|e| e.to_string())?;
    let Some(mut hook) = hook else { return Ok(()) };
    let sender = &state.webhooks;
    let mut events = Window::default();
    let mut sent = 0usize;
    loop {
        let mut attempts = Vec::with_capacity(window.len());
        for current in &window {
            let result = attempt(state, &mut events, &hook, current).await?;
            sender.counters.attempts.inc();
            sent += 1;
            let failed = result.is_err();
            if let Err(failure) = &result {
                sender.counters.failures.inc();
                tracing::warn!(
                    webhook = hook.id,
                    delivery = current.id,
                    error = %failure.error,
                    "webhook attempt failed"
                );
            }
            attempts.push(RunAttempt {
                delivery: current.id,
                number,
                sent: result,
            });
            number = 1;
            if failed {
                break;
            }
        }
        let run = AttemptRun {
            webhook: hook.id,
            attempts,
            policy: sender.settings.policy,
            take: sender
                .settings
                .window
                .max(1)
                .min(CHAIN.saturating_sub(sent)),
        };
        let recorded = store
            .record_attempts(job.id, run, state.clock.now())
            .await
            .map_err(|e| e.to_string())?;
        let Some(recorded) = recorded else {
            return Ok(()); // a stale job: the line moved on
        };
        let dead = recorded
            .deliveries
            .iter()
            .filter(|d| d.state == DeliveryState::Dead)
            .count();
        sender.counters.dead_letters.inc_by(dead as u64);
        if recorded.opened {
            sender.counters.circuit_openings.inc();
            tracing::warn!(
                webhook = hook.id,
                failures = recorded.webhook.circuit.failures,
                next_probe = ?recorded.webhook.circuit.next_probe,
                "webhook circuit opened: deliveries wait for the probe"
            );
        }
        if recorded.next.is_empty() {
            return Ok(());
        }
        hook = recorded.webhook;
        window = recorded.next;
    }
}

/// The deliveries this job holds when it was cut while going down its subscription's line
/// (its worker died, another runs it again): the subscription's `sending` ones this job
/// sends, in the line's order, each marked as a new attempt (possibly sent: the job may have
/// sent any of them).
async fn held(state: &AppState, job: &Job, id: u64) -> Result<Vec<Delivery>, String> {
    let store = &state.store;
    let Some(named) = store.delivery(id).await.map_err(|e| e.to_string())? else {
        return Ok(Vec::new()); // its subscription was deleted
    };
    let mut sending = store
        .deliveries(named.webhook, Some(DeliveryState::Sending), 0, HELD_AT_MOST)
        .await
        .map_err(|e| e.to_string())?;
    sending.retain(|d| d.job == Some(job.id));
    sending.sort_by_key(|d| (d.sequence, d.id));
    let mut held = Vec::with_capacity(sending.len());
    for delivery in sending {
        let started = store
            .start_attempt(delivery.id, job.id, state.clock.now())
            .await
            .map_err(|e| e.to_string())?;
        held.extend(started);
    }
    Ok(held)
}

/// More deliveries than a job can hold at once (its window is 64 at most).
const HELD_AT_MOST: usize = 256;

/// Events of the log read ahead for one job's line. A subscription that gets every event
/// of a stretch of the log (one busy event or tournament) has its next deliveries' events
/// read together, [`READ_AHEAD`] at a time; otherwise each is read alone.
#[derive(Default)]
struct Window {
    /// The sequence the events follow: they are the log's from `after + 1` on, without gaps
    /// up to the last.
    after: u64,
    events: Vec<LoggedEvent>,
    /// The sequence of the last event asked for.
    last_asked: Option<u64>,
}

/// Events a [`Window`] reads at once for a subscription that gets consecutive events.
const READ_AHEAD: usize = 64;

impl Window {
    /// The event at `sequence`, if the log holds it.
    async fn event(
        &mut self,
        state: &AppState,
        sequence: u64,
    ) -> Result<Option<&LoggedEvent>, String> {
        let consecutive = self.last_asked == Some(sequence.saturating_sub(1));
        self.last_asked = Some(sequence);
        let covered = sequence > self.after
            && self
                .events
                .last()
                .is_some_and(|last| sequence <= last.sequence);
        if !covered {
            let after = sequence.saturating_sub(1);
            let limit = if consecutive { READ_AHEAD } else { 1 };
            self.events = state
                .store
                .events_after(after, limit)
                .await
                .map_err(|e| e.to_string())?;
            self.after = after;
        }
        Ok(self.events.iter().find(|e| e.sequence == sequence))
    }
}

/// One attempt of `delivery`: its event from the log, signed and posted. The outer error is
/// the store's (the job fails; the attempt is not counted).
async fn attempt(
    state: &AppState,
    events: &mut Window,
    hook: &Webhook,
    delivery: &Delivery,
) -> Result<Result<u16, SendFailure>, String> {
    let Some(event) = events.event(state, delivery.sequence).await? else {
        return Ok(Err(SendFailure::not_sent(format!(
            "event {} is not in the log",
            delivery.sequence
        ))));
    };
    let body = match serde_json::to_string(&event.event) {
        Ok(body) => body,
        Err(e) => {
            return Ok(Err(SendFailure::not_sent(format!(
                "cannot encode the event: {e}"
            ))))
        }
    };
    let timestamp = state.clock.now().timestamp();
    Ok(send(&state.webhooks, hook, delivery, body, timestamp).await)
}

async fn send(
    sender: &Sender,
    hook: &Webhook,
    delivery: &Delivery,
    body: String,
    timestamp: i64,
) -> Result<u16, SendFailure> {
    let message_id = delivery.message_id.as_str();
    let url =
        check_target(&hook.url, sender.settings.allow_private).map_err(SendFailure::not_sent)?;
    let signature =
        sign(&hook.secret, message_id, timestamp, &body).map_err(SendFailure::not_sent)?;
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
        // Only a connection never made keeps the request from the receiver; after a timeout
        // or a connection broken mid-request it may have it.
        if e.is_connect() {
            return SendFailure::not_sent(format!(
                "the request could not connect: {}",
                error_chain(&e)
            ));
        }
        let what = if e.is_timeout() {
            "timed out"
        } else {
            "failed"
        };
        SendFailure::unanswered(format!("the request {what}: {}", error_chain(&e)))
    })?;
    let status = response.status().as_u16();
    if response.status().is_success() {
        Ok(status)
    } else {
        Err(SendFailure::answered(status))
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
