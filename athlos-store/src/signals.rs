//! Wake-ups for consumers of the event log, the job queue and the deadlines.
//!
//! In process, a commit bumps a `watch` channel per topic. On PostgreSQL a notifier task also
//! sends a payload-free `NOTIFY` per topic, at most once per debounce interval however many
//! commits there were (`NOTIFY` serialises the transactions that send it, so it stays out of
//! the commits themselves), and a `LISTEN` task turns other processes' notifications into
//! local wake-ups, reconnecting after a lost connection and waking everyone then, since
//! notifications may have been missed.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use athlos_core::store::{Topic, WakeSource, Wakeup};
use sqlx::postgres::{PgListener, PgPool};
use tokio::sync::{watch, Notify};

const TOPICS: [Topic; 3] = [Topic::Events, Topic::Jobs, Topic::Deadlines];

/// The topic's slot and its PostgreSQL channel.
fn slot(topic: Topic) -> (usize, &'static str) {
    match topic {
        Topic::Events => (0, "athlos_events"),
        Topic::Jobs => (1, "athlos_jobs"),
        // A topic added later shares the deadlines' slot until it has one of its own.
        _ => (2, "athlos_deadlines"),
    }
}

/// A `watch` channel's receiver as a wake-up source.
#[derive(Debug)]
struct Watch(watch::Receiver<u64>);

#[async_trait]
impl WakeSource for Watch {
    async fn wait(&mut self) {
        // Never resolves once the store is closed.
        if self.0.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

const DEBOUNCE: Duration = Duration::from_millis(5);

#[derive(Debug)]
pub(crate) struct Signals {
    senders: [watch::Sender<u64>; 3],
    remote: Option<Remote>,
    stop: watch::Sender<bool>,
}

#[derive(Debug)]
struct Remote {
    requested: Arc<Notify>,
    pending: Arc<Mutex<[bool; 3]>>,
}

impl Signals {
    pub(crate) fn local() -> Self {
        Self {
            senders: [(); 3].map(|()| watch::channel(0).0),
            remote: None,
            stop: watch::channel(false).0,
        }
    }

    pub(crate) fn postgres(pool: PgPool) -> Self {
        let mut signals = Self::local();
        let remote = Remote {
            requested: Arc::new(Notify::new()),
            pending: Arc::new(Mutex::new([false; 3])),
        };
        tokio::spawn(notify_task(
            pool.clone(),
            remote.requested.clone(),
            remote.pending.clone(),
            signals.stop.subscribe(),
        ));
        tokio::spawn(listen_task(
            pool,
            signals.senders.clone(),
            signals.stop.subscribe(),
        ));
        signals.remote = Some(remote);
        signals
    }

    pub(crate) fn subscribe(&self, topic: Topic) -> Wakeup {
        Wakeup::new(Watch(self.senders[slot(topic).0].subscribe()))
    }

    pub(crate) fn wake(&self, topic: Topic) {
        self.senders[slot(topic).0].send_modify(|n| *n = n.wrapping_add(1));
        if let Some(remote) = &self.remote {
            remote
                .pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner)[slot(topic).0] = true;
            remote.requested.notify_one();
        }
    }

    pub(crate) fn stop(&self) {
        self.stop.send_replace(true);
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn notify_task(
    pool: PgPool,
    requested: Arc<Notify>,
    pending: Arc<Mutex<[bool; 3]>>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            () = requested.notified() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        let due = std::mem::take(&mut *pending.lock().unwrap_or_else(PoisonError::into_inner));
        let channels: Vec<&str> = TOPICS
            .into_iter()
            .filter(|t| due[slot(*t).0])
            .map(|t| slot(t).1)
            .collect();
        if !channels.is_empty() {
            // A lost notification only delays remote consumers until their next poll.
            let _ = sqlx::query("SELECT pg_notify(c, '') FROM unnest($1::text[]) AS c")
                .bind(&channels)
                .execute(&pool)
                .await;
        }
        tokio::time::sleep(DEBOUNCE).await;
    }
}

async fn listen_task(
    pool: PgPool,
    senders: [watch::Sender<u64>; 3],
    mut stop: watch::Receiver<bool>,
) {
    let wake_all = |senders: &[watch::Sender<u64>; 3]| {
        for sender in senders {
            sender.send_modify(|n| *n = n.wrapping_add(1));
        }
    };
    loop {
        let listener = async {
            let mut listener = PgListener::connect_with(&pool).await?;
            listener
                .listen_all(TOPICS.into_iter().map(|t| slot(t).1))
                .await?;
            Ok::<_, sqlx::Error>(listener)
        };
        let mut listener = tokio::select! {
            result = listener => result,
            _ = stop.wait_for(|s| *s) => return,
        };
        if let Ok(listener) = &mut listener {
            // Whatever happened while we were not listening counts as a change.
            wake_all(&senders);
            loop {
                let received = tokio::select! {
                    received = listener.try_recv() => received,
                    _ = stop.wait_for(|s| *s) => return,
                };
                match received {
                    Ok(Some(notification)) => {
                        if let Some(topic) = TOPICS
                            .into_iter()
                            .find(|t| slot(*t).1 == notification.channel())
                        {
                            senders[slot(topic).0].send_modify(|n| *n = n.wrapping_add(1));
                        }
                    }
                    // The connection was lost: reconnect, and wake everyone, as
                    // notifications may have been missed.
                    Ok(None) | Err(_) => break,
                }
            }
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(500)) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}
