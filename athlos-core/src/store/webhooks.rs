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
//!
//! The sending job records each attempt with [`super::WebhookStore::record_attempt`], which
//! decides with a [`DeliveryPolicy`] in one transaction: a failed attempt is retried by a new
//! job due after a backoff (the sending job ends); a final one (succeeded, or a dead letter)
//! hands the subscription's next delivery to the *same* job, which sends it at once (no
//! claim, no new job per delivery), until the job's budget is spent and a new job takes the
//! line over.
//!
//! # The circuit breaker
//!
//! Each subscription keeps a [`Circuit`]: its consecutive failed attempts, and while open,
//! when the next probe goes. [`DeliveryPolicy::failure_threshold`] consecutive failures open
//! it: the delivery being sent is then retried only at the probe times, with a backoff that
//! doubles per failed probe up to [`DeliveryPolicy::probe`]'s longest delay, and it never
//! becomes a dead letter while the circuit is open; the deliveries behind it wait in line,
//! kept. The first success closes the circuit and the line flows again. Only that
//! subscription waits: the others have their own lines and jobs.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{AggregateRef, Backoff, Job, JobId, JobState, NewJob};

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
    /// Its circuit breaker.
    #[serde(default)]
    pub circuit: Circuit,
}

/// A subscription's circuit breaker (see the module notes): closed while `next_probe` is
/// `None`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Circuit {
    /// Consecutive failed attempts (0 after a success).
    pub failures: u32,
    /// While the circuit is open: when the next probe (an attempt of the delivery at the head
    /// of the line) goes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_probe: Option<DateTime<Utc>>,
}

impl Circuit {
    /// Whether the circuit is open (deliveries wait for the probe).
    pub fn is_open(&self) -> bool {
        self.next_probe.is_some()
    }

    /// The earliest time a job of the subscription may send: `now`, or the next probe when
    /// the circuit is open and it is later.
    pub fn due(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.next_probe.map_or(now, |probe| probe.max(now))
    }
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
            .field("circuit", &self.circuit)
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
    /// The receiver may have it already (it deduplicates by `webhook-id`), and the next
    /// attempt says so (`webhook-possibly-sent`): an attempt started sending it and its worker
    /// stopped before recording the outcome (set when the next attempt starts), or an attempt
    /// failed after its request may have arrived ([`SendFailure::may_have_arrived`]: an
    /// error answer, a timeout; set when it is recorded). Kept once set.
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
    /// The attempt failed after its request may have reached the receiver (it answered with
    /// an error, or the answer never came): the delivery is marked
    /// [`Delivery::possibly_sent`] and the next attempt says so.
    pub possibly_sent: bool,
}

/// Why a send failed ([`Attempt::sent`]), and whether the receiver may have the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendFailure {
    /// The receiver's status, if it answered.
    pub status: Option<u16>,
    /// What failed, for the delivery's `last_error`.
    pub error: String,
    /// The request may have reached the receiver: it answered (with a status other than
    /// 2xx), or the answer did not come (a timeout, a connection broken after the request
    /// went out). False only when it certainly did not: no connection was made, or the
    /// request was never built (a refused target, an event that cannot be encoded).
    pub may_have_arrived: bool,
}

impl SendFailure {
    /// The receiver answered `status`, not a 2xx: it has the request.
    pub fn answered(status: u16) -> Self {
        Self {
            status: Some(status),
            error: format!("the receiver answered {status}"),
            may_have_arrived: true,
        }
    }

    /// The request went out (or may have) and no answer came.
    pub fn unanswered(error: impl Into<String>) -> Self {
        Self {
            status: None,
            error: error.into(),
            may_have_arrived: true,
        }
    }

    /// The request never reached the receiver.
    pub fn not_sent(error: impl Into<String>) -> Self {
        Self {
            status: None,
            error: error.into(),
            may_have_arrived: false,
        }
    }
}

impl AttemptOutcome {
    /// How an attempt ended, from what the send gave: `Ok(status)`, a 2xx answer, succeeds;
    /// a failure is retried while the job has attempts left (the delivery stays `Sending`)
    /// and is a dead letter after its last (`attempt` counts from 1, up to `max_attempts`).
    pub fn of_attempt(sent: Result<u16, SendFailure>, attempt: u32, max_attempts: u32) -> Self {
        match sent {
            Ok(status) => Self {
                state: DeliveryState::Succeeded,
                status: Some(status),
                error: None,
                possibly_sent: false,
            },
            Err(failure) => Self {
                state: if attempt >= max_attempts {
                    DeliveryState::Dead
                } else {
                    DeliveryState::Sending
                },
                status: failure.status,
                error: Some(failure.error),
                possibly_sent: failure.may_have_arrived,
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
            possibly_sent: false,
        })
    }
}

/// How deliveries are retried and when a subscription's circuit opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryPolicy {
    /// Attempts of one delivery round while the circuit is closed; then a dead letter.
    pub attempts: u32,
    /// Consecutive failed attempts that open the circuit (0: it never opens).
    pub failure_threshold: u32,
    /// The delay before retrying a failed attempt while the circuit is closed (doubling per
    /// attempt of the round, with jitter).
    pub retry: Backoff,
    /// The delay before each probe while the circuit is open (doubling per failed probe up
    /// to its longest delay, with jitter).
    pub probe: Backoff,
}

impl Default for DeliveryPolicy {
    /// 4 attempts (1 s, 2 s, 4 s apart, halved by jitter at most), the circuit open after 5
    /// consecutive failures, probes 5 s doubling up to 10 minutes.
    fn default() -> Self {
        Self {
            attempts: DELIVERY_ATTEMPTS,
            failure_threshold: 5,
            retry: Backoff::default(),
            probe: Backoff {
                base: chrono::Duration::seconds(5),
                max: chrono::Duration::minutes(10),
            },
        }
    }
}

/// What an attempt leads to, as [`DeliveryPolicy::decide`] rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptDecision {
    /// The delivery's state after it, with the status and error.
    pub outcome: AttemptOutcome,
    /// When the delivery is tried again (`outcome.state` is `Sending`).
    pub retry_at: Option<DateTime<Utc>>,
    /// The subscription's circuit after it.
    pub circuit: Circuit,
    /// This attempt opened the circuit.
    pub opened: bool,
}

impl DeliveryPolicy {
    /// Rules on attempt number `attempt` (of its round, from 1) of delivery `delivery`, which
    /// gave `sent` (as [`AttemptOutcome::of_attempt`] takes it), when the subscription's
    /// circuit was `circuit`: a success closes the circuit; a failure counts, and opens the
    /// circuit at the threshold (the delivery waits for the probe, never a dead letter while
    /// open); below it, the delivery is retried after the backoff while attempts remain, else
    /// dead. The jitter is drawn from the delivery's id and the attempt: the same inputs give
    /// the same decision.
    pub fn decide(
        &self,
        sent: Result<u16, SendFailure>,
        attempt: u32,
        circuit: Circuit,
        delivery: u64,
        now: DateTime<Utc>,
    ) -> AttemptDecision {
        let failed = sent.is_err();
        let mut outcome = AttemptOutcome::of_attempt(sent, attempt, self.attempts.max(1));
        if !failed {
            return AttemptDecision {
                outcome,
                retry_at: None,
                circuit: Circuit::default(),
                opened: false,
            };
        }
        let failures = circuit.failures.saturating_add(1);
        if self.failure_threshold > 0 && failures >= self.failure_threshold {
            let probes = failures - self.failure_threshold + 1;
            let at = now + self.probe.delay(JobId(delivery), probes);
            outcome.state = DeliveryState::Sending;
            return AttemptDecision {
                outcome,
                retry_at: Some(at),
                circuit: Circuit {
                    failures,
                    next_probe: Some(at),
                },
                opened: !circuit.is_open(),
            };
        }
        let retry_at = (outcome.state == DeliveryState::Sending)
            .then(|| now + self.retry.delay(JobId(delivery), attempt));
        AttemptDecision {
            outcome,
            retry_at,
            circuit: Circuit {
                failures,
                next_probe: None,
            },
            opened: false,
        }
    }
}

/// An attempt to record ([`super::WebhookStore::record_attempt`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The delivery's subscription.
    pub webhook: u64,
    /// Its number in the delivery's round, from 1.
    pub number: u32,
    /// What the send gave: a 2xx status, or why it failed.
    pub sent: Result<u16, SendFailure>,
    /// The rules.
    pub policy: DeliveryPolicy,
    /// Whether the job goes on with the subscription's next delivery (else a new job takes
    /// it).
    pub chain: bool,
}

/// Deliveries a job takes from its subscription's line at once: it sends them in a row, each
/// after the one before succeeded, and records their outcomes together (one transaction for
/// the lot, [`super::WebhookStore::record_attempts`]).
pub const DELIVERY_WINDOW: usize = 8;

/// One attempt of an [`AttemptRun`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunAttempt {
    /// The delivery.
    pub delivery: u64,
    /// The attempt's number in the delivery's round, from 1.
    pub number: u32,
    /// What the send gave: a 2xx status, or why it failed.
    pub sent: Result<u16, SendFailure>,
}

/// Attempts one job made of consecutive deliveries of its subscription's line, in the line's
/// order, recorded together ([`super::WebhookStore::record_attempts`]). The job sends nothing
/// after a failure: the run ends with its first failed attempt (later ones are not recorded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRun {
    /// The subscription.
    pub webhook: u64,
    /// The attempts, in the line's order.
    pub attempts: Vec<RunAttempt>,
    /// The rules.
    pub policy: DeliveryPolicy,
    /// How many of the line's next deliveries the same job takes to send next (0: the next
    /// delivery gets a job of its own).
    pub take: usize,
}

/// What recording an [`AttemptRun`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRun {
    /// The deliveries recorded, in the run's order, after it.
    pub deliveries: Vec<Delivery>,
    /// The subscription after it (its circuit).
    pub webhook: Webhook,
    /// The run opened the circuit.
    pub opened: bool,
    /// The deliveries the same job sends next, in the line's order: `sending` by it and in
    /// flight.
    pub next: Vec<Delivery>,
}

/// What an [`AttemptRun`] leads to, as [`DeliveryPolicy::decide_run`] rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunDecision {
    /// Each recorded attempt's delivery and outcome, in order: the attempts up to and with
    /// the first failure.
    pub outcomes: Vec<(u64, AttemptOutcome)>,
    /// The failed delivery tried again: its id, the next attempt's number and when.
    pub retry: Option<(u64, u32, DateTime<Utc>)>,
    /// The subscription's circuit after the run.
    pub circuit: Circuit,
    /// The run opened the circuit.
    pub opened: bool,
}

impl DeliveryPolicy {
    /// Rules on a run of attempts ([`AttemptRun`]) from the subscription's `circuit`: each
    /// attempt as [`DeliveryPolicy::decide`] rules on it with the circuit the one before left,
    /// up to the first failure; the attempts after it are not recorded.
    pub fn decide_run(
        &self,
        attempts: &[RunAttempt],
        circuit: Circuit,
        now: DateTime<Utc>,
    ) -> RunDecision {
        let mut decided = RunDecision {
            outcomes: Vec::with_capacity(attempts.len()),
            retry: None,
            circuit,
            opened: false,
        };
        for attempt in attempts {
            let failed = attempt.sent.is_err();
            let decision = self.decide(
                attempt.sent.clone(),
                attempt.number,
                decided.circuit,
                attempt.delivery,
                now,
            );
            decided.circuit = decision.circuit;
            decided.opened |= decision.opened;
            if decision.outcome.state == DeliveryState::Sending {
                decided.retry = decision
                    .retry_at
                    .map(|at| (attempt.delivery, attempt.number.saturating_add(1), at));
            }
            decided.outcomes.push((attempt.delivery, decision.outcome));
            if failed {
                break;
            }
        }
        decided
    }
}

/// What recording an attempt did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The delivery after it.
    pub delivery: Delivery,
    /// The subscription after it (its circuit).
    pub webhook: Webhook,
    /// The attempt opened the circuit.
    pub opened: bool,
    /// The subscription's next delivery, now `sending` and in flight by the same job, which
    /// sends it next (attempt 1 of its round).
    pub next: Option<Delivery>,
}

/// The job that sends delivery `id` in round `round`, due at `now`.
pub fn delivery_job(id: u64, round: u32, now: DateTime<Utc>) -> NewJob {
    retry_job(id, round, 1, now)
}

/// The job that makes attempt `attempt` (of its round, from 1) of delivery `id` in round
/// `round`, due at `at`. The first attempt's job has the key `webhook_delivery:{id}:{round}`;
/// a retry's has none (the transaction that records the failed attempt enqueues it, once) and
/// its payload names the attempt.
pub fn retry_job(id: u64, round: u32, attempt: u32, at: DateTime<Utc>) -> NewJob {
    if attempt <= 1 {
        return NewJob::new(DELIVER_WEBHOOK, serde_json::json!({ "delivery": id }), at)
            .with_key(format!("webhook_delivery:{id}:{round}"))
            .with_max_attempts(DELIVERY_ATTEMPTS);
    }
    let payload = serde_json::json!({ "delivery": id, "attempt": attempt });
    NewJob::new(DELIVER_WEBHOOK, payload, at).with_max_attempts(DELIVERY_ATTEMPTS)
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
            let failed = AttemptOutcome::of_attempt(Err(SendFailure::answered(500)), attempt, 3);
            assert_eq!(failed.state, state, "attempt {attempt} of 3");
            assert_eq!(failed.status, Some(500));
            assert_eq!(failed.error.as_deref(), Some("the receiver answered 500"));
            assert!(failed.possibly_sent, "the receiver has it");
        }
        let unanswered = AttemptOutcome::of_attempt(Err(SendFailure::unanswered("timeout")), 1, 1);
        assert_eq!(
            (
                unanswered.state,
                unanswered.status,
                unanswered.possibly_sent
            ),
            (DeliveryState::Dead, None, true)
        );
        let refused = AttemptOutcome::of_attempt(Err(SendFailure::not_sent("refused")), 1, 2);
        assert_eq!(
            (refused.state, refused.status, refused.error.as_deref()),
            (DeliveryState::Sending, None, Some("refused"))
        );
        assert!(
            !refused.possibly_sent,
            "no connection: the receiver has nothing"
        );
        assert!(!ok.possibly_sent);
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

    #[test]
    fn the_circuit_opens_after_the_threshold_probes_with_backoff_and_closes_on_success() {
        let now = DateTime::<Utc>::default();
        let policy = DeliveryPolicy {
            attempts: 4,
            failure_threshold: 3,
            retry: Backoff {
                base: chrono::Duration::seconds(1),
                max: chrono::Duration::seconds(8),
            },
            probe: Backoff {
                base: chrono::Duration::seconds(10),
                max: chrono::Duration::seconds(40),
            },
        };
        let fail = || Err(SendFailure::answered(500));
        // Below the threshold: retried after the backoff, the failures counted.
        let first = policy.decide(fail(), 1, Circuit::default(), 9, now);
        assert_eq!(first.outcome.state, DeliveryState::Sending);
        assert_eq!(first.circuit.failures, 1);
        assert!(!first.circuit.is_open() && !first.opened);
        let wait = first.retry_at.unwrap() - now;
        assert!(
            wait >= chrono::Duration::milliseconds(500) && wait <= chrono::Duration::seconds(1)
        );
        let second = policy.decide(fail(), 2, first.circuit, 9, now);
        assert_eq!(second.circuit.failures, 2);
        // The third consecutive failure opens it: the delivery waits for the probe.
        let third = policy.decide(fail(), 3, second.circuit, 9, now);
        assert!(third.opened && third.circuit.is_open());
        assert_eq!(third.outcome.state, DeliveryState::Sending);
        assert_eq!(third.retry_at, third.circuit.next_probe);
        let wait = third.retry_at.unwrap() - now;
        assert!(wait >= chrono::Duration::seconds(5) && wait <= chrono::Duration::seconds(10));
        // Open, a delivery past its attempts is never a dead letter; probes back off, capped.
        let mut circuit = third.circuit;
        let mut waits = Vec::new();
        for attempt in 4..12 {
            let probe = policy.decide(fail(), attempt, circuit, 9, now);
            assert_eq!(
                probe.outcome.state,
                DeliveryState::Sending,
                "attempt {attempt}"
            );
            assert!(!probe.opened, "it was open already");
            circuit = probe.circuit;
            waits.push(probe.retry_at.unwrap() - now);
        }
        assert_eq!(circuit.failures, 11);
        assert!(waits.iter().all(|w| *w <= chrono::Duration::seconds(40)));
        assert!(waits[0] >= chrono::Duration::seconds(10), "{waits:?}");
        assert!(waits[7] >= chrono::Duration::seconds(20), "{waits:?}");
        assert_eq!(
            policy.decide(fail(), 5, third.circuit, 9, now),
            policy.decide(fail(), 5, third.circuit, 9, now),
            "deterministic"
        );
        // A success closes it.
        let ok = policy.decide(Ok(204), 12, circuit, 9, now);
        assert_eq!(ok.outcome.state, DeliveryState::Succeeded);
        assert_eq!(ok.circuit, Circuit::default());
        assert_eq!(ok.retry_at, None);
        // Closed, the last attempt of a round is a dead letter; with no threshold it never
        // opens.
        let never = DeliveryPolicy {
            failure_threshold: 0,
            ..policy
        };
        let dead = never.decide(fail(), 4, Circuit::default(), 9, now);
        assert_eq!(dead.outcome.state, DeliveryState::Dead);
        assert_eq!(dead.retry_at, None);
        let many = Circuit {
            failures: 1000,
            next_probe: None,
        };
        assert!(!never.decide(fail(), 1, many, 9, now).circuit.is_open());
    }
}
