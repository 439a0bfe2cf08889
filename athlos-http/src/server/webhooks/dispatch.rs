//! The dispatcher: one task per process (several share the store's cursor) follows the
//! event log and records a delivery per event and subscription whose scope is in the event's
//! audience. The store pumps each subscription's deliveries one at a time, in log order,
//! through the job queue.
//!
//! A delivery whose job died without recording its last attempt (the store failed at that
//! moment) would hold its subscription's line forever; the dispatcher sweeps such deliveries
//! into dead letters every [`SWEEP`] and the line moves on.

use std::time::Duration;

use tokio::sync::watch;

use athlos_core::error::StoreError;
use athlos_core::store::{
    AttemptOutcome, DeliveryState, JobStore, LogFollower, NewDelivery, Webhook, WebhookStore,
};

use crate::server::AppState;

/// Events the dispatcher reads per step.
const PAGE: usize = 500;

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
    // Keeps the competition of every division met across steps; its position follows the
    // shared cursor.
    let mut follower = LogFollower::new(0, PAGE);
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
        match step(&state, &mut follower).await {
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
    step(state, &mut LogFollower::new(0, PAGE)).await
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

/// Records the deliveries of the next page of the log after the shared cursor; whether
/// there may be more.
async fn step(state: &AppState, follower: &mut LogFollower) -> Result<bool, StoreError> {
    let store = &state.store;
    let from = store.webhook_cursor().await?;
    follower.seek(from);
    let page = follower.next_page(store).await?;
    let Some(to) = page.last().map(|e| e.logged.sequence) else {
        return Ok(false);
    };
    let hooks: Vec<Webhook> = store
        .webhooks(None)
        .await?
        .into_iter()
        .filter(|h| h.enabled)
        .collect();
    let mut deliveries = Vec::new();
    for addressed in &page {
        let logged = &addressed.logged;
        let event_type = logged.event.event_type();
        for hook in &hooks {
            if addressed.audience.includes(&hook.scope)
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
    // `false`: another process moved the cursor first; read again from where it is.
    store
        .record_deliveries(from, to, deliveries, state.clock.now())
        .await?;
    Ok(true)
}
