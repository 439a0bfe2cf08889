//! A webhook delivery job run again, as after a crash, on every store: once the delivery is
//! recorded as sent, a re-run (its completion lost, or its lease run out and the job claimed
//! by another worker) sends nothing; a send whose outcome was never recorded (the worker
//! died in flight) is sent again with the same `webhook-id`, marked `webhook-possibly-sent`
//! (and the delivery `possibly_sent`); so is the retry of an attempt that failed after its
//! request may have arrived (an error answer, a timeout), but not of one that never connected.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use athlos_core::bracket::{BracketOptions, Format};
use athlos_core::competition::DivisionRules;
use athlos_core::id::{CompetitionId, DivisionId};
use athlos_core::model::Participant;
use athlos_core::store::{
    AggregateRef, DeliveryState, EventLog, Job, JobStore, NewDelivery, NewWebhook, WebhookStore,
    DELIVER_WEBHOOK,
};
use athlos_http::server::jobs::Handler;
use athlos_http::server::{open_store, AppState, Config};
use athlos_runner::JobHandler;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::Utc;

/// The `webhook-id` of every request received (with ` possibly-sent` appended when the
/// request says so); requests wait `slow` before the answer, `status` (204 when unset).
#[derive(Default)]
struct Receiver {
    ids: Mutex<Vec<String>>,
    slow: Mutex<Duration>,
    status: Mutex<Option<StatusCode>>,
    /// The request (counted from 1) that hangs for a minute.
    hang_at: Mutex<Option<usize>>,
}

async fn receive(State(receiver): State<Arc<Receiver>>, headers: HeaderMap) -> StatusCode {
    let mut id = headers
        .get("webhook-id")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    if let Some(flag) = headers.get("webhook-possibly-sent") {
        assert_eq!(flag, "true");
        id.push_str(" possibly-sent");
    }
    let count = {
        let mut ids = receiver.ids.lock().unwrap();
        ids.push(id);
        ids.len()
    };
    if *receiver.hang_at.lock().unwrap() == Some(count) {
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
    let wait = *receiver.slow.lock().unwrap();
    tokio::time::sleep(wait).await;
    receiver
        .status
        .lock()
        .unwrap()
        .unwrap_or(StatusCode::NO_CONTENT)
}

async fn receiver() -> (Arc<Receiver>, String) {
    let state = Arc::new(Receiver::default());
    let app = axum::Router::new()
        .fallback(receive)
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (state, format!("http://{address}/hook"))
}

fn received(receiver: &Receiver) -> Vec<String> {
    receiver.ids.lock().unwrap().clone()
}

/// A state on `database` (no workers: the test runs the jobs) with an event in the log, a
/// webhook to `url` and one delivery recorded for it; returns the delivery's id.
async fn one_delivery(database: &str, url: &str) -> (AppState, u64) {
    one_delivery_within(database, url, Duration::from_secs(30)).await
}

/// Division `id` of `competition`, four players, its bracket generated.
async fn generated_division(state: &AppState, competition: &CompetitionId, id: &str) {
    let division = DivisionId::new(id).unwrap();
    let rules = DivisionRules {
        options: BracketOptions::new(Format::SingleElimination),
        seed: 1,
    };
    let service = &state.service;
    service
        .create_division(competition, division.clone(), id, rules)
        .await
        .unwrap();
    let field = (1..=4)
        .map(|i| Participant::new(format!("p{i}"), format!("P{i}")).unwrap())
        .collect();
    service.add_participants(&division, field).await.unwrap();
    service.generate(&division).await.unwrap();
}

/// [`one_delivery`], its requests timed out after `timeout`.
async fn one_delivery_within(database: &str, url: &str, timeout: Duration) -> (AppState, u64) {
    let config = Config {
        workers: 0,
        webhooks: athlos_http::server::webhooks::WebhookSettings {
            allow_private: true,
            timeout,
            ..Default::default()
        },
        ..Config::default()
    };
    let state = open_store(database)
        .await
        .unwrap()
        .into_state(config, Arc::new(athlos_core::clock::SystemClock));
    let competition = CompetitionId::new("open").unwrap();
    state
        .service
        .create_competition(competition.clone(), "Open")
        .await
        .unwrap();
    generated_division(&state, &competition, "u73").await;
    let store = &state.store;
    let hook = store
        .create_webhook(NewWebhook {
            scope: AggregateRef::Competition(competition),
            url: url.to_owned(),
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned(),
            event_types: Vec::new(),
            enabled: true,
            created_at: Utc::now(),
        })
        .await
        .unwrap();
    let last = store.last_sequence().await.unwrap();
    let cursor = store.webhook_cursor().await.unwrap();
    let recorded = store
        .record_deliveries(
            cursor,
            last,
            vec![NewDelivery {
                webhook: hook.id,
                sequence: last,
                message_id: "msg_rerun".to_owned(),
            }],
            Utc::now(),
        )
        .await
        .unwrap();
    assert!(recorded);
    let delivery = store.deliveries(hook.id, None, 0, 10).await.unwrap();
    assert_eq!(delivery.len(), 1);
    (state, delivery[0].id)
}

/// Claims the delivery job as `worker` at `now`, with a lease of a second.
async fn claim(state: &AppState, worker: &str, now: chrono::DateTime<Utc>) -> Job {
    let kinds = [DELIVER_WEBHOOK.to_owned()];
    let mut jobs = state
        .store
        .claim_kinds(worker, &kinds, now, now + chrono::Duration::seconds(1), 10)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    jobs.remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_recorded_as_sent_is_not_sent_again_by_a_rerun() {
    for database in common::databases().await {
        let (receiver, url) = receiver().await;
        let (state, delivery) = one_delivery(&database.url, &url).await;
        let handler = Handler::new(state.clone());
        let job = claim(&state, "w1", Utc::now()).await;
        handler.run(job.clone()).await.unwrap();
        assert_eq!(received(&receiver), ["msg_rerun"], "{}", database.url);
        let recorded = state.store.delivery(delivery).await.unwrap().unwrap();
        assert_eq!(recorded.state, DeliveryState::Succeeded);

        // The worker died before completing the job: the same run again, then another
        // worker's once the lease ran out. Neither sends.
        handler.run(job.clone()).await.unwrap();
        let later = Utc::now() + chrono::Duration::seconds(5);
        let again = claim(&state, "w2", later).await;
        assert_eq!(again.id, job.id);
        handler.run(again).await.unwrap();
        assert_eq!(received(&receiver), ["msg_rerun"], "{}", database.url);
        let recorded = state.store.delivery(delivery).await.unwrap().unwrap();
        assert_eq!(recorded.attempts, 1, "{}: {recorded:?}", database.url);
        assert!(
            !recorded.in_flight && !recorded.possibly_sent,
            "{recorded:?}"
        );
        database.drop_it().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_cut_in_flight_is_sent_again_with_the_same_webhook_id() {
    for database in common::databases().await {
        let (receiver, url) = receiver().await;
        *receiver.slow.lock().unwrap() = Duration::from_secs(60);
        let (state, delivery) = one_delivery(&database.url, &url).await;
        let handler = Arc::new(Handler::new(state.clone()));
        let job = claim(&state, "w1", Utc::now()).await;
        // The request is at the receiver: the worker dies (its task is cut) before the answer.
        run_until_received(&handler, &job, &receiver, 1).await;
        let recorded = state.store.delivery(delivery).await.unwrap().unwrap();
        assert_eq!(recorded.state, DeliveryState::Sending);
        assert!(
            recorded.in_flight && !recorded.possibly_sent,
            "{recorded:?}"
        );

        *receiver.slow.lock().unwrap() = Duration::ZERO;
        let later = Utc::now() + chrono::Duration::seconds(5);
        let again = claim(&state, "w2", later).await;
        assert_eq!(again.id, job.id);
        handler.run(again).await.unwrap();
        assert_eq!(
            received(&receiver),
            ["msg_rerun", "msg_rerun possibly-sent"],
            "{}",
            database.url
        );
        let recorded = state.store.delivery(delivery).await.unwrap().unwrap();
        assert_eq!(recorded.state, DeliveryState::Succeeded);
        assert!(
            !recorded.in_flight && recorded.possibly_sent,
            "{recorded:?}"
        );
        database.drop_it().await;
    }
}

/// Runs `job` until the receiver has `requests` requests, then cuts it (as a worker dying).
async fn run_until_received(
    handler: &Arc<Handler>,
    job: &Job,
    receiver: &Receiver,
    requests: usize,
) {
    let running = tokio::spawn({
        let handler = handler.clone();
        let job = job.clone();
        async move { handler.run(job).await }
    });
    let start = Instant::now();
    while received(receiver).len() < requests {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{:?}",
            received(receiver)
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    running.abort();
    let _ = running.await;
}

/// One delivery to `url` on `database`, its first attempt made (claimed by worker `w1`, run
/// and completed as the worker does); the state, the handler, the delivery's id and the
/// delivery after the attempt.
async fn first_attempt(
    database: &str,
    url: &str,
    timeout: Duration,
) -> (AppState, Handler, u64, athlos_core::store::Delivery) {
    let (state, delivery) = one_delivery_within(database, url, timeout).await;
    let handler = Handler::new(state.clone());
    let job = claim(&state, "w1", Utc::now()).await;
    handler.run(job.clone()).await.unwrap();
    state.store.complete(job.id, "w1").await.unwrap();
    let after = state.store.delivery(delivery).await.unwrap().unwrap();
    (state, handler, delivery, after)
}

/// Runs the retry of a failed attempt: claims the job that holds the delivery now (due after
/// the backoff) as `worker` an hour ahead, and runs it.
async fn run_the_retry(state: &AppState, handler: &Handler, delivery: u64, worker: &str) {
    let held = state.store.delivery(delivery).await.unwrap().unwrap();
    assert_eq!(held.state, DeliveryState::Sending, "{held:?}");
    let retry = claim(state, worker, Utc::now() + chrono::Duration::hours(1)).await;
    assert_eq!(Some(retry.id), held.job);
    handler.run(retry).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_says_possibly_sent_after_an_answer_or_a_timeout_not_after_no_connection() {
    for database in common::databases().await {
        // Timed out: the receiver got the request, the sender no answer in time.
        let (receiver, url) = receiver().await;
        *receiver.slow.lock().unwrap() = Duration::from_secs(3);
        let (state, handler, delivery, failed) =
            first_attempt(&database.url, &url, Duration::from_millis(300)).await;
        assert!(
            failed.possibly_sent && !failed.in_flight && failed.attempts == 1,
            "{}: {failed:?}",
            database.url
        );
        assert!(
            failed
                .last_error
                .as_deref()
                .unwrap_or_default()
                .contains("timed out"),
            "{failed:?}"
        );
        *receiver.slow.lock().unwrap() = Duration::ZERO;
        run_the_retry(&state, &handler, delivery, "w2").await;
        assert_eq!(
            received(&receiver),
            ["msg_rerun", "msg_rerun possibly-sent"]
        );
        database.drop_it().await;
    }
    for database in common::databases().await {
        // An error answer: the receiver has it.
        let (receiver, url) = receiver().await;
        *receiver.status.lock().unwrap() = Some(StatusCode::SERVICE_UNAVAILABLE);
        let (state, handler, delivery, failed) =
            first_attempt(&database.url, &url, Duration::from_secs(30)).await;
        assert_eq!(failed.last_status, Some(503), "{failed:?}");
        assert!(failed.possibly_sent, "{}: {failed:?}", database.url);
        *receiver.status.lock().unwrap() = None;
        run_the_retry(&state, &handler, delivery, "w2").await;
        assert_eq!(
            received(&receiver),
            ["msg_rerun", "msg_rerun possibly-sent"]
        );
        database.drop_it().await;
    }
    for database in common::databases().await {
        // No connection: nothing listens on the first address; the retry goes to the
        // receiver, unmarked.
        let (receiver, url) = receiver().await;
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let nowhere = format!("http://{}/hook", closed.local_addr().unwrap());
        drop(closed);
        let (state, handler, delivery, failed) =
            first_attempt(&database.url, &nowhere, Duration::from_secs(30)).await;
        assert!(
            failed.attempts == 1 && !failed.possibly_sent && failed.last_status.is_none(),
            "{}: {failed:?}",
            database.url
        );
        assert!(
            failed
                .last_error
                .as_deref()
                .unwrap_or_default()
                .contains("could not connect"),
            "{failed:?}"
        );
        let hook = failed.webhook;
        state
            .store
            .update_webhook(
                hook,
                athlos_core::store::WebhookPatch {
                    url: Some(url),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .unwrap();
        run_the_retry(&state, &handler, delivery, "w2").await;
        assert_eq!(received(&receiver), ["msg_rerun"], "{}", database.url);
        let done = state.store.delivery(delivery).await.unwrap().unwrap();
        assert!(
            done.state == DeliveryState::Succeeded && !done.possibly_sent,
            "{done:?}"
        );
        database.drop_it().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_cut_in_flight_is_sent_again_in_order_and_marked() {
    for database in common::databases().await {
        let (receiver, url) = receiver().await;
        let (state, first) = one_delivery(&database.url, &url).await;
        // Three more deliveries after the first, of three new events.
        let store = &state.store;
        let hook = store.delivery(first).await.unwrap().unwrap().webhook;
        let last = store.last_sequence().await.unwrap();
        // Three more events: brackets of three more divisions.
        let competition = CompetitionId::new("open").unwrap();
        for n in 1..=3 {
            generated_division(&state, &competition, &format!("d{n}")).await;
        }
        let now_last = store.last_sequence().await.unwrap();
        assert!(now_last >= last + 3, "{last} {now_last}");
        let more = (1..=3)
            .map(|n| NewDelivery {
                webhook: hook,
                sequence: last + n,
                message_id: format!("msg_{n}"),
            })
            .collect::<Vec<_>>();
        let cursor = store.webhook_cursor().await.unwrap();
        assert!(store
            .record_deliveries(cursor, now_last, more, Utc::now())
            .await
            .unwrap());
        // The third request hangs: the worker dies there, its window in flight.
        *receiver.hang_at.lock().unwrap() = Some(3);
        let handler = Arc::new(Handler::new(state.clone()));
        let job = claim(&state, "w1", Utc::now()).await;
        run_until_received(&handler, &job, &receiver, 3).await;
        assert_eq!(received(&receiver), ["msg_rerun", "msg_1", "msg_2"]);
        let held = store
            .deliveries(hook, Some(DeliveryState::Sending), 0, 10)
            .await
            .unwrap();
        assert_eq!(held.len(), 3, "{held:?}");
        assert!(
            held.iter().all(|d| d.in_flight && d.job == Some(job.id)),
            "{held:?}"
        );

        let later = Utc::now() + chrono::Duration::seconds(5);
        let again = claim(&state, "w2", later).await;
        assert_eq!(again.id, job.id);
        handler.run(again).await.unwrap();
        assert_eq!(
            received(&receiver),
            [
                "msg_rerun",
                "msg_1",
                "msg_2",
                "msg_1 possibly-sent",
                "msg_2 possibly-sent",
                "msg_3 possibly-sent",
            ],
            "{}",
            database.url
        );
        let all = store.deliveries(hook, None, 0, 10).await.unwrap();
        assert_eq!(all.len(), 4);
        assert!(
            all.iter()
                .all(|d| d.state == DeliveryState::Succeeded && !d.in_flight),
            "{all:?}"
        );
        database.drop_it().await;
    }
}
