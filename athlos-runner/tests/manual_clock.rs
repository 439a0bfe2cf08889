//! The worker and the scheduler on a clock that moves when told (a `ManualClock`): a retry
//! and a deadline come due when the clock reaches them, never because real time passed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use athlos_core::clock::{Clock, ManualClock};
use athlos_core::id::TournamentId;
use athlos_core::store::{
    AggregateRef, Backoff, Commit, Deadline, DeadlineKey, DeadlineStore, Job, JobState, JobStore,
    MemoryStore, NewJob,
};
use athlos_runner::{DeadlineHandler, Scheduler, SchedulerConfig, Worker, WorkerConfig};
use chrono::{DateTime, TimeZone, Utc};

/// An instant for the manual clocks, years away from the real time.
fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2031, 5, 1, 12, 0, 0).unwrap()
}

/// Lets the background tasks run for a while of real time, to show that real time alone
/// changes nothing.
async fn idle() {
    tokio::time::sleep(Duration::from_millis(200)).await;
}

/// Waits until `done` answers true, for 10 s of real time at most.
async fn eventually<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let waited = tokio::time::timeout(Duration::from_secs(10), async {
        while !done().await {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "timed out: {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_job_is_retried_when_the_clock_passes_its_backoff() {
    let clock = Arc::new(ManualClock::new(start()));
    let store = Arc::new(MemoryStore::new());
    let job = store
        .enqueue(NewJob::new("flaky", serde_json::json!(null), start()))
        .await
        .unwrap();
    // When each attempt ran, on the clock.
    let runs: Arc<Mutex<Vec<DateTime<Utc>>>> = Arc::default();
    let handler = {
        let (runs, clock) = (runs.clone(), clock.clone());
        move |job: Job| {
            let (runs, clock) = (runs.clone(), clock.clone());
            async move {
                runs.lock().unwrap().push(clock.now());
                match job.attempts {
                    1 => Err("fails once".to_owned()),
                    _ => Ok(()),
                }
            }
        }
    };
    let mut config = WorkerConfig::new("w1");
    // Polls so rare that only the clock's moves can wake the worker within the test.
    config.poll = Duration::from_secs(3600);
    config.backoff = Backoff {
        base: chrono::Duration::seconds(10),
        max: chrono::Duration::hours(1),
    };
    let retry_at = start() + config.backoff.delay(job.id, 1);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = Worker::new(store.clone(), handler, config).with_clock(clock.clone());
    let running = tokio::spawn(worker.run(async move {
        let _ = stopped.await;
    }));
    let state = |store: &Arc<MemoryStore>| {
        let store = store.clone();
        async move { store.job(job.id).await.unwrap().unwrap() }
    };
    eventually("the first attempt fails", || async {
        state(&store).await.state == JobState::Failed
    })
    .await;
    // The backoff counts from the clock's now.
    let failed = state(&store).await;
    assert_eq!((failed.run_at, failed.attempts), (retry_at, 1));
    assert!(retry_at > start() + chrono::Duration::seconds(4));
    idle().await;
    clock.set(retry_at - chrono::Duration::milliseconds(1));
    idle().await;
    assert_eq!(runs.lock().unwrap().len(), 1, "retried before its time");
    clock.set(retry_at);
    eventually("the retry succeeds", || async {
        state(&store).await.state == JobState::Succeeded
    })
    .await;
    assert_eq!(*runs.lock().unwrap(), [start(), retry_at]);
    let _ = stop.send(());
    let stats = running.await.unwrap();
    assert_eq!((stats.claimed, stats.failed, stats.succeeded), (2, 1, 1));
}

/// The deadlines committed: (sequence, at).
type Committed = Vec<(u64, DateTime<Utc>)>;

/// Consumes every deadline and records when each committed.
#[derive(Debug, Clone, Default)]
struct Recorder(Arc<Mutex<Committed>>);

#[async_trait]
impl DeadlineHandler for Recorder {
    async fn fire(&self, _deadline: Deadline) -> Result<Commit, String> {
        Ok(Commit::default())
    }

    fn committed(&self, deadline: &Deadline, at: DateTime<Utc>) {
        self.0.lock().unwrap().push((deadline.sequence, at));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadline_fires_when_the_clock_reaches_it_not_when_real_time_passes() {
    let clock = Arc::new(ManualClock::new(start()));
    let store = Arc::new(MemoryStore::new());
    let due = start() + chrono::Duration::seconds(60);
    let deadline = Deadline {
        key: DeadlineKey {
            aggregate: AggregateRef::Tournament(TournamentId::new("t1").unwrap()),
            purpose: "clock".to_owned(),
        },
        due,
        sequence: 1,
    };
    store.set_deadline(deadline.clone()).await.unwrap();
    let recorder = Recorder::default();
    let mut config = SchedulerConfig::new("s1");
    // Polls so rare that only the clock's moves can wake the scheduler within the test.
    config.poll = Duration::from_secs(3600);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let scheduler =
        Scheduler::new(store.clone(), recorder.clone(), config).with_clock(clock.clone());
    let running = tokio::spawn(scheduler.run(async move {
        let _ = stopped.await;
    }));
    // Real time passes, and the clock moves to a second before the deadline: nothing.
    idle().await;
    clock.advance(chrono::Duration::seconds(59));
    idle().await;
    assert!(recorder.0.lock().unwrap().is_empty(), "fired early");
    let armed = store.deadline(&deadline.key).await.unwrap();
    assert_eq!(armed, Some(deadline.clone()));
    clock.advance(chrono::Duration::seconds(1));
    eventually("the deadline fires", || async {
        !recorder.0.lock().unwrap().is_empty()
    })
    .await;
    assert_eq!(*recorder.0.lock().unwrap(), [(1, due)], "committed on time");
    assert_eq!(store.deadline(&deadline.key).await.unwrap(), None);
    let _ = stop.send(());
    let stats = running.await.unwrap();
    assert_eq!((stats.claimed, stats.fired), (1, 1));
}
