//! A webhook delivery job run again, as after a crash, on every store: once the delivery is
//! recorded as sent, a re-run (its completion lost, or its lease run out and the job claimed
//! by another worker) sends nothing; a send whose outcome was never recorded (the worker
//! died in flight) is sent again with the same `webhook-id`, marked `webhook-possibly-sent`
//! (and the delivery `possibly_sent`).

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
/// request says so); requests wait `slow` before the answer.
#[derive(Default)]
struct Receiver {
    ids: Mutex<Vec<String>>,
    slow: Mutex<Duration>,
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
    receiver.ids.lock().unwrap().push(id);
    let wait = *receiver.slow.lock().unwrap();
    tokio::time::sleep(wait).await;
    StatusCode::NO_CONTENT
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
    let config = Config {
        workers: 0,
        webhooks: athlos_http::server::webhooks::WebhookSettings {
            allow_private: true,
            timeout: Duration::from_secs(30),
            ..Default::default()
        },
        ..Config::default()
    };
    let state = open_store(database)
        .await
        .unwrap()
        .into_state(config, Arc::new(athlos_core::clock::SystemClock));
    let competition = CompetitionId::new("open").unwrap();
    let division = DivisionId::new("u73").unwrap();
    let service = &state.service;
    service
        .create_competition(competition.clone(), "Open")
        .await
        .unwrap();
    let rules = DivisionRules {
        options: BracketOptions::new(Format::SingleElimination),
        seed: 1,
    };
    service
        .create_division(&competition, division.clone(), "-73 kg", rules)
        .await
        .unwrap();
    let field = (1..=4)
        .map(|i| Participant::new(format!("p{i}"), format!("P{i}")).unwrap())
        .collect();
    service.add_participants(&division, field).await.unwrap();
    service.generate(&division).await.unwrap();
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
        let running = tokio::spawn({
            let handler = handler.clone();
            let job = job.clone();
            async move { handler.run(job).await }
        });
        // The request is at the receiver: the worker dies (its task is cut) before the answer.
        let start = Instant::now();
        while received(&receiver).is_empty() {
            assert!(start.elapsed() < Duration::from_secs(30), "nothing sent");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        running.abort();
        let _ = running.await;
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
