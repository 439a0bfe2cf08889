//! Wake-ups for consumers of the event log, the job queue and the deadlines (as the README
//! says): a `watch` channel per topic in process; on PostgreSQL, a debounced `NOTIFY` task and
//! a `LISTEN` task between processes.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use athlos_core::store::{Topic, WakeSource, Wakeup};
use sqlx::postgres::{PgListener, PgPool};
use tokio::sync::{watch, Notify};

/// The PostgreSQL channel of each topic's slot.
const CHANNELS: [&str; 3] = ["athlos_events", "athlos_jobs", "athlos_deadlines"];

const DEBOUNCE: Duration = Duration::from_millis(5);

/// The topic's slot.
fn slot(topic: Topic) -> usize {
    match topic {
        Topic::Events => 0,
        Topic::Jobs => 1,
        // A topic added later shares the deadlines' slot until it has one of its own.
        _ => 2,
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

type Senders = [watch::Sender<u64>; 3];

/// The slots whose topics changed since the last `NOTIFY`, and the notifier's bell.
type Pending = Arc<(Mutex<[bool; 3]>, Notify)>;

#[derive(Debug)]
pub(crate) struct Signals {
    senders: Senders,
    /// On PostgreSQL, what the notifier task is to send.
    remote: Option<Pending>,
    stop: watch::Sender<bool>,
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
        let remote = Pending::default();
        tokio::spawn(notify_task(
            pool.clone(),
            remote.clone(),
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
        Wakeup::new(Watch(self.senders[slot(topic)].subscribe()))
    }

    pub(crate) fn wake(&self, topic: Topic) {
        bump(&self.senders[slot(topic)]);
        if let Some(remote) = &self.remote {
            remote.0.lock().unwrap_or_else(PoisonError::into_inner)[slot(topic)] = true;
            remote.1.notify_one();
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

fn bump(sender: &watch::Sender<u64>) {
    sender.send_modify(|n| *n = n.wrapping_add(1));
}

async fn notify_task(pool: PgPool, remote: Pending, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            () = remote.1.notified() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        let due = std::mem::take(&mut *remote.0.lock().unwrap_or_else(PoisonError::into_inner));
        let channels: Vec<&str> = CHANNELS
            .into_iter()
            .zip(due)
            .filter_map(|(channel, due)| due.then_some(channel))
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

async fn listen_task(pool: PgPool, senders: Senders, mut stop: watch::Receiver<bool>) {
    loop {
        let listener = async {
            let mut listener = PgListener::connect_with(&pool).await?;
            listener.listen_all(CHANNELS).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        let mut listener = tokio::select! {
            result = listener => result,
            _ = stop.wait_for(|s| *s) => return,
        };
        if let Ok(listener) = &mut listener {
            // Whatever happened while we were not listening counts as a change.
            senders.iter().for_each(bump);
            loop {
                let received = tokio::select! {
                    received = listener.try_recv() => received,
                    _ = stop.wait_for(|s| *s) => return,
                };
                match received {
                    Ok(Some(notification)) => {
                        let channel = notification.channel();
                        if let Some(slot) = CHANNELS.iter().position(|c| *c == channel) {
                            bump(&senders[slot]);
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
