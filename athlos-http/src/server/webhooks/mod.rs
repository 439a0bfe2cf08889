//! Signed webhooks (Standard Webhooks): subscriptions, the dispatcher that turns the event
//! log into deliveries, the job that sends one, and the routes to list and redeliver them.
//!
//! - [`routes()`]: a subscription belongs to one event (with its divisions), one tournament or
//!   one draft and is managed by its director (a draft's commissioner). Its secret
//!   (`whsec_<base64>`) is shown once, at creation; later only a hint. Secrets never reach
//!   the logs. The bodies are typed ([`WebhookView`], [`DeliveryView`] …).
//! - [`dispatch()`]: one task per process (several share the store's cursor) follows the log
//!   and records a delivery per event and subscription whose scope is in the event's audience
//!   (the event's own aggregate, and for a division its event). The store pumps each
//!   subscription's deliveries in log order through the job queue, one job at a time; deliveries
//!   stranded by a dead job are swept into dead letters every [`SWEEP`].
//! - [`deliver()`]: the `deliver_webhook` job posts the event envelope with `webhook-id` (the
//!   event's id: the same on every attempt and redelivery), `webhook-timestamp` and
//!   `webhook-signature` ([`sign`]). A 2xx answer succeeds; anything else is retried 3 times
//!   with exponential backoff and jitter, then kept as a dead letter with the last status and
//!   error. The job goes on with the subscription's next deliveries, taken in the
//!   transaction that records the ones before: a window of
//!   [`DELIVERY_WINDOW`](athlos_core::store::DELIVERY_WINDOW) sent one after another (each
//!   once the one before succeeded) and recorded together, up to [`CHAIN`] in a row; a
//!   failure ends the window and the rest go back in line. Delivery jobs run in a worker of their
//!   own ([`WebhookSettings::concurrency`] at once).
//! - The circuit breaker: after [`DeliveryPolicy::failure_threshold`] consecutive failed
//!   attempts a subscription's circuit opens; its deliveries wait, kept in order, while a
//!   probe is retried with a capped exponential backoff; a success closes it. Only that
//!   subscription waits. The webhook's view shows it ([`CircuitView`]), `/metrics` counts
//!   open circuits and openings.
//! - [`check_target`]: targets must be `http(s)` URLs whose host is not a loopback, private,
//!   link-local or otherwise internal address (checked on the literal and on every resolved
//!   address, and redirects are not followed) unless the operator allows them.

mod bodies;
mod delivery;
mod dispatch;
mod routes;
mod signing;
mod target;

pub use athlos_core::store::DeliveryPolicy;
pub use bodies::{
    CircuitState, CircuitView, CreateWebhook, DeliveryList, DeliveryQuery, DeliveryView,
    GenerateAllBody, ScopeKind, UpdateWebhook, WebhookList, WebhookScope, WebhookView,
};
pub use delivery::{deliver, Sender, WebhookCounters, WebhookSettings, CHAIN};
pub use dispatch::{dispatch, dispatch_once, sweep_stranded, SWEEP};
pub use routes::{routes, shortcut, subscribe, RawBody};
pub use signing::{new_secret, secret_key, sign};
pub use target::{check_target, is_public};
