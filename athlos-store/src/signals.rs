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

use sqlx::postgres::{PgListener, PgPool};
use tokio::sync::{watch, Notify};

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Topic {
    /// Events were appended to the log.
    Events,
    /// Jobs were enqueued, released or requeued.
    Jobs,
    /// Deadlines were set or re-armed.
    Deadlines,
}

impl Topic {
    const ALL: [Topic; 3] = [Topic::Events, Topic::Jobs, Topic::Deadlines];

    fn index(self) -> usize {
        match self {
            Topic::Events => 0,
            Topic::Jobs => 1,
            Topic::Deadlines => 2,
        }
    }

    /// The PostgreSQL channel.
    fn channel(self) -> &'static str {
        match self {
            Topic::Events => "athlos_events",
            Topic::Jobs => "athlos_jobs",
            Topic::Deadlines => "athlos_deadlines",
        }
    }
}

/// Waits for changes of one topic. A change that happens while nobody waits is not lost: the
/// next [`Wakeup::wait`] returns at once.
#[derive(Debug, Clone)]
pub struct Wakeup {
    receiver: watch::Receiver<u64>,
}

impl Wakeup {
    /// Resolves after the next change (or at once if one happened since the last wait).
    /// Never resolves once the store is closed.
    pub async fn wait(&mut self) {
        if self.receiver.changed().await.is_err() {
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
        Wakeup {
            receiver: self.senders[topic.index()].subscribe(),
        }
    }

    pub(crate) fn wake(&self, topic: Topic) {
        self.senders[topic.index()].send_modify(|n| *n = n.wrapping_add(1));
        if let Some(remote) = &self.remote {
            remote
                .pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner)[topic.index()] = true;
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
        let channels: Vec<&str> = Topic::ALL
            .into_iter()
            .filter(|t| due[t.index()])
            .map(Topic::channel)
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
                .listen_all(Topic::ALL.into_iter().map(Topic::channel))
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
                        if let Some(topic) = Topic::ALL
                            .into_iter()
                            .find(|t| t.channel() == notification.channel())
                        {
                            senders[topic.index()].send_modify(|n| *n = n.wrapping_add(1));
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
