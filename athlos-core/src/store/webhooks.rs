//! Webhook subscriptions and their deliveries, as every store keeps them.
//!
//! A [`Webhook`] subscribes a URL to the events of one event (competition, with its
//! divisions) or one tournament. A dispatcher reads the event log (the outbox) from a shared
//! cursor and records one [`Delivery`] per matching event and subscription with
//! [`super::WebhookStore::record_deliveries`]. Deliveries of one subscription go out one at a time,
//! in log order: the store keeps at most one of them `sending` and enqueues the job that
//! sends it, in the same transaction that makes it `sending` (the *pump*). When that job
//! finishes the delivery ([`super::WebhookStore::finish_delivery`]) with success or a dead letter,
//! the same transaction makes the next one `sending`. A redelivery puts deliveries back in
//! line ([`super::WebhookStore::redeliver`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{AggregateRef, Job, JobId, JobState, NewJob};

/// The job kind that sends a webhook delivery; its payload is `{"delivery": id}`.
pub const DELIVER_WEBHOOK: &str = "deliver_webhook";

/// Attempts of one delivery round: the first and 3 retries.
pub const DELIVERY_ATTEMPTS: u32 = 4;

/// A webhook subscription.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    /// Id, assigned by the store, increasing.
    pub id: u64,
    /// The event (competition) or tournament whose events it receives.
    pub scope: AggregateRef,
    /// Where deliveries are posted.
    pub url: String,
    /// The signing secret, `whsec_<base64>` (never shown after creation).
    pub secret: String,
    /// Dotted event types it receives; empty: all.
    pub event_types: Vec<String>,
    /// Whether new events are delivered.
    pub enabled: bool,
    /// The log sequence when it was created: only later events are delivered.
    pub after: u64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for Webhook {
    // The secret never appears in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("id", &self.id)
            .field("scope", &self.scope)
            .field("url", &self.url)
            .field("secret", &"<redacted>")
            .field("event_types", &self.event_types)
            .field("enabled", &self.enabled)
            .field("after", &self.after)
            .field("created_at", &self.created_at)
            .finish()
    }
}

impl Webhook {
    /// Whether it wants events of type `event_type` (dotted name).
    pub fn wants(&self, event_type: &str) -> bool {
        self.event_types.is_empty() || self.event_types.iter().any(|t| t == event_type)
    }
}

/// A subscription to create.
#[derive(Clone, PartialEq, Eq)]
pub struct NewWebhook {
    /// The scope.
    pub scope: AggregateRef,
    /// The URL.
    pub url: String,
    /// The secret.
    pub secret: String,
    /// Event types (empty: all).
    pub event_types: Vec<String>,
    /// Enabled.
    pub enabled: bool,
    /// Now.
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for NewWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewWebhook")
            .field("scope", &self.scope)
            .field("url", &self.url)
            .field("secret", &"<redacted>")
            .field("event_types", &self.event_types)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

/// Changes to a subscription (`None`: unchanged).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookPatch {
    /// A new URL.
    pub url: Option<String>,
    /// New event types.
    pub event_types: Option<Vec<String>>,
    /// Enable or disable.
    pub enabled: Option<bool>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeliveryState {
    /// Waiting for the subscription's earlier deliveries.
    Pending,
    /// Its job is sending it (attempting or waiting to retry).
    Sending,
    /// The receiver accepted it.
    Succeeded,
    /// Every attempt failed: a dead letter.
    Dead,
}

impl DeliveryState {
    /// Every state.
    pub const ALL: [DeliveryState; 4] = [
        DeliveryState::Pending,
        DeliveryState::Sending,
        DeliveryState::Succeeded,
        DeliveryState::Dead,
    ];

    /// The snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Sending => "sending",
            DeliveryState::Succeeded => "succeeded",
            DeliveryState::Dead => "dead",
        }
    }

    /// The state named `name`.
    pub fn parse(name: &str) -> Option<DeliveryState> {
        DeliveryState::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl std::fmt::Display for DeliveryState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event to deliver to one subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    /// Id, assigned by the store, increasing.
    pub id: u64,
    /// The subscription.
    pub webhook: u64,
    /// The event's log sequence.
    pub sequence: u64,
    /// The `webhook-id` header: the same on every attempt and redelivery.
    pub message_id: String,
    /// State.
    pub state: DeliveryState,
    /// Attempts made, over every round.
    pub attempts: u32,
    /// 0 for the first round, +1 per redelivery.
    pub round: u32,
    /// The job sending it (while `sending`, and the last one after).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<JobId>,
    /// The receiver's last HTTP status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status: Option<u16>,
    /// The last failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// An attempt is sending it and its outcome is not recorded yet
    /// ([`super::WebhookStore::start_attempt`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub in_flight: bool,
    /// An attempt started sending it and its worker stopped before recording the outcome:
    /// the receiver may have it already (it deduplicates by `webhook-id`). Set when the
    /// next attempt starts, and kept.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub possibly_sent: bool,
}

/// A delivery to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    /// The subscription.
    pub webhook: u64,
    /// The event's sequence.
    pub sequence: u64,
    /// The `webhook-id`.
    pub message_id: String,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptOutcome {
    /// The state after it: `Succeeded`, `Sending` (a retry follows) or `Dead`.
    pub state: DeliveryState,
    /// The receiver's status, if it answered.
    pub status: Option<u16>,
    /// What failed.
    pub error: Option<String>,
}

impl AttemptOutcome {
    /// How an attempt ended, from what the send gave: `Ok(status)`, a 2xx answer, succeeds;
    /// a failure (`Err((the status if the receiver answered, the reason))`) is retried while
    /// the job has attempts left (the delivery stays `Sending`) and is a dead letter after its
    /// last (`attempt` counts from 1, up to `max_attempts`).
    pub fn of_attempt(
        sent: Result<u16, (Option<u16>, String)>,
        attempt: u32,
        max_attempts: u32,
    ) -> Self {
        match sent {
            Ok(status) => Self {
                state: DeliveryState::Succeeded,
                status: Some(status),
                error: None,
            },
            Err((status, error)) => Self {
                state: if attempt >= max_attempts {
                    DeliveryState::Dead
                } else {
                    DeliveryState::Sending
                },
                status,
                error: Some(error),
            },
        }
    }

    /// The dead letter a delivery left `Sending` becomes when the job that sends it, `job`
    /// (`None`: gone), can no longer record its attempt: it is gone, or dead (its last attempt
    /// ran but its outcome was not recorded). `None` while the job may still record it.
    pub fn stranded(job_id: JobId, job: Option<&Job>) -> Option<Self> {
        let reason = match job {
            None => format!("its delivery job {} is gone", job_id.0),
            Some(job) if matches!(job.state, JobState::Dead | JobState::Cancelled) => format!(
                "its delivery job {} ended without recording its last attempt: {}",
                job_id.0,
                job.last_error.as_deref().unwrap_or("no error recorded")
            ),
            Some(_) => return None,
        };
        Some(Self {
            state: DeliveryState::Dead,
            status: None,
            error: Some(reason),
        })
    }
}

/// The job that sends delivery `id` in round `round`, due at `now`.
pub fn delivery_job(id: u64, round: u32, now: DateTime<Utc>) -> NewJob {
    NewJob::new(DELIVER_WEBHOOK, serde_json::json!({ "delivery": id }), now)
        .with_key(format!("webhook_delivery:{id}:{round}"))
        .with_max_attempts(DELIVERY_ATTEMPTS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attempt_succeeds_is_retried_or_dies_on_its_last_try() {
        let ok = AttemptOutcome::of_attempt(Ok(204), 1, 3);
        assert_eq!(ok.state, DeliveryState::Succeeded);
        assert_eq!((ok.status, ok.error), (Some(204), None));
        for (attempt, state) in [
            (1, DeliveryState::Sending),
            (2, DeliveryState::Sending),
            (3, DeliveryState::Dead),
            (4, DeliveryState::Dead),
        ] {
            let failed = AttemptOutcome::of_attempt(Err((Some(500), "500".to_owned())), attempt, 3);
            assert_eq!(failed.state, state, "attempt {attempt} of 3");
            assert_eq!(failed.status, Some(500));
            assert_eq!(failed.error.as_deref(), Some("500"));
        }
        let unanswered = AttemptOutcome::of_attempt(Err((None, "timeout".to_owned())), 1, 1);
        assert_eq!(
            (unanswered.state, unanswered.status),
            (DeliveryState::Dead, None)
        );
    }

    #[test]
    fn a_delivery_is_stranded_only_when_its_job_cannot_record_it() {
        let id = JobId(7);
        let gone = AttemptOutcome::stranded(id, None).unwrap();
        assert_eq!(gone.state, DeliveryState::Dead);
        assert_eq!(gone.error.as_deref(), Some("its delivery job 7 is gone"));
        let now = DateTime::<Utc>::default();
        let mut job = Job {
            id,
            kind: DELIVER_WEBHOOK.to_owned(),
            payload: serde_json::json!({"delivery": 1}),
            idempotency_key: None,
            state: JobState::Running,
            run_at: now,
            attempts: 3,
            max_attempts: 3,
            worker: Some("w".to_owned()),
            lease_until: Some(now),
            last_error: Some("lease lost".to_owned()),
            priority: 0,
            target: None,
            cancel_requested: false,
            created_at: None,
            started_at: None,
            finished_at: None,
            snapshot: None,
        };
        assert_eq!(AttemptOutcome::stranded(id, Some(&job)), None);
        job.state = JobState::Queued;
        assert_eq!(AttemptOutcome::stranded(id, Some(&job)), None);
        job.state = JobState::Dead;
        let dead = AttemptOutcome::stranded(id, Some(&job)).unwrap();
        assert_eq!(dead.state, DeliveryState::Dead);
        assert_eq!(
            dead.error.as_deref(),
            Some("its delivery job 7 ended without recording its last attempt: lease lost")
        );
    }
}
