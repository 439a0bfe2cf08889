//! The request and response bodies of the webhook routes, as the OpenAPI document names them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use athlos_core::store::{AggregateRef, Circuit, Delivery, DeliveryState, Webhook};

use super::signing::secret_hint;

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

/// The optional body of `generate-all-brackets`: a receiver for the event's events.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateAllBody {
    /// Subscribe this receiver to the event (reused when one with the same URL exists).
    #[serde(default)]
    pub webhook: Option<CreateWebhook>,
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

/// What a subscription follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScopeKind {
    /// An event (a competition), with its divisions.
    Event,
    /// A tournament.
    Tournament,
    /// A fantasy draft.
    Draft,
    /// Anything else (not made by this API).
    Other,
}

/// The event, tournament or draft a subscription follows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookScope {
    /// Its kind.
    #[serde(rename = "type")]
    pub kind: ScopeKind,
    /// Its id.
    pub id: String,
}

impl WebhookScope {
    /// The scope of a subscription to `scope`.
    pub fn of(scope: &AggregateRef) -> Self {
        let (kind, id) = match scope {
            AggregateRef::Competition(id) => (ScopeKind::Event, id.to_string()),
            AggregateRef::Tournament(id) => (ScopeKind::Tournament, id.to_string()),
            AggregateRef::Draft(id) => (ScopeKind::Draft, id.to_string()),
            other => (ScopeKind::Other, other.to_string()),
        };
        Self { kind, id }
    }
}

/// A subscription as the API shows it: its secret only as a hint, except in the answer that
/// creates it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookView {
    /// Id.
    pub id: u64,
    /// What it follows.
    pub scope: WebhookScope,
    /// The receiver.
    pub url: String,
    /// Dotted event types it receives; empty: all.
    pub event_types: Vec<String>,
    /// Whether new events are delivered.
    pub enabled: bool,
    /// The start of the secret (`whsec_abcd…`).
    pub secret_hint: String,
    /// The log sequence when it was created: only later events are delivered.
    pub after_sequence: u64,
    /// When it was created (RFC 3339).
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    /// The circuit breaker: open after consecutive failed attempts, while deliveries wait
    /// for a probe.
    pub circuit: CircuitView,
    /// The signing secret: only in the answer that creates the subscription, never again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// Whether a subscription's deliveries flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CircuitState {
    /// Deliveries flow.
    Closed,
    /// Consecutive attempts failed: deliveries wait (kept, in order) while a probe is retried
    /// with a growing delay; a success closes it.
    Open,
}

/// A subscription's circuit breaker.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CircuitView {
    /// `closed` or `open`.
    pub state: CircuitState,
    /// Failed attempts in a row (0 after a success).
    pub consecutive_failures: u32,
    /// While open: when the next probe goes (RFC 3339); `null` while closed.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_probe_at: Option<DateTime<Utc>>,
}

impl CircuitView {
    /// `circuit` as the API shows it.
    pub fn of(circuit: &Circuit) -> Self {
        Self {
            state: if circuit.is_open() {
                CircuitState::Open
            } else {
                CircuitState::Closed
            },
            consecutive_failures: circuit.failures,
            next_probe_at: circuit.next_probe,
        }
    }
}

impl WebhookView {
    /// `hook` without its secret.
    pub fn of(hook: &Webhook) -> Self {
        Self {
            id: hook.id,
            scope: WebhookScope::of(&hook.scope),
            url: hook.url.clone(),
            event_types: hook.event_types.clone(),
            enabled: hook.enabled,
            secret_hint: secret_hint(&hook.secret),
            after_sequence: hook.after,
            created_at: hook.created_at,
            circuit: CircuitView::of(&hook.circuit),
            secret: None,
        }
    }
}

/// The subscriptions of an event, tournament or draft.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookList {
    /// By id.
    pub webhooks: Vec<WebhookView>,
}

/// One event to deliver to one subscription, and how its sending went.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryView {
    /// Id.
    pub id: u64,
    /// The subscription.
    pub webhook: u64,
    /// The event's log sequence.
    pub sequence: u64,
    /// The `webhook-id` header: the same on every attempt and redelivery.
    pub webhook_id: String,
    /// `pending`, `sending`, `succeeded` or `dead` (a dead letter).
    #[schema(value_type = String)]
    pub state: DeliveryState,
    /// Attempts made, over every round.
    pub attempts: u32,
    /// 0 for the first round, +1 per redelivery.
    pub round: u32,
    /// The receiver's last HTTP status (`null` before any answer).
    pub last_status: Option<u16>,
    /// The last failure (`null` without one).
    pub last_error: Option<String>,
    /// When it was recorded (RFC 3339).
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    /// When it last changed (RFC 3339).
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: DateTime<Utc>,
    /// The receiver may have it already: an attempt's worker stopped before recording its
    /// outcome, or an attempt failed after its request may have arrived (an error answer, a
    /// timeout). Later attempts carry `webhook-possibly-sent: true`; the receiver
    /// deduplicates by `webhook-id`.
    pub possibly_sent: bool,
}

impl DeliveryView {
    /// `delivery` as the API shows it.
    pub fn of(delivery: &Delivery) -> Self {
        Self {
            id: delivery.id,
            webhook: delivery.webhook,
            sequence: delivery.sequence,
            webhook_id: delivery.message_id.clone(),
            state: delivery.state,
            attempts: delivery.attempts,
            round: delivery.round,
            last_status: delivery.last_status,
            last_error: delivery.last_error.clone(),
            created_at: delivery.created_at,
            updated_at: delivery.updated_at,
            possibly_sent: delivery.possibly_sent,
        }
    }
}

/// Deliveries of a subscription, by id.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryList {
    /// By id.
    pub deliveries: Vec<DeliveryView>,
}

impl DeliveryList {
    /// The list of `deliveries`.
    pub fn of(deliveries: &[Delivery]) -> Self {
        Self {
            deliveries: deliveries.iter().map(DeliveryView::of).collect(),
        }
    }
}
