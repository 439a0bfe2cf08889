//! A job worker: claims batches, runs a handler per job, heartbeats, completes or retries.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use athlos_core::error::StoreError;
use athlos_core::store::{Backoff, Job, JobId, JobStore};
use chrono::Utc;
use tokio::task::JoinSet;

use crate::signals::Wakeup;

/// How long completions may wait to share a commit while claimed jobs are queued locally.
const COMPLETION_DELAY: Duration = Duration::from_millis(10);

/// A finished handler task.
type Finished = Result<(tokio::task::Id, Result<(), String>), tokio::task::JoinError>;

/// Runs one job. An `Err` fails the attempt with its message: the job is retried after a
/// backoff while attempts remain, then dead.
#[async_trait]
pub trait JobHandler: Send + Sync + 'static {
    /// Runs `job`.
    async fn run(&self, job: Job) -> Result<(), String>;
}

#[async_trait]
impl<F, Fut> JobHandler for F
where
    F: Fn(Job) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    async fn run(&self, job: Job) -> Result<(), String> {
        self(job).await
    }
}

/// How a [`Worker`] runs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// The worker's name on its leases (unique per process: `host-pid-n`).
    pub id: String,
    /// Jobs run at once.
    pub concurrency: usize,
    /// Jobs claimed per round trip when slots are free (at least the free slots): a larger
    /// batch keeps a local queue of leased jobs, fewer round trips for short jobs, at the
    /// cost of holding jobs other workers could run.
    pub batch: usize,
    /// How long a claim or heartbeat holds a job; a job whose worker died is claimed again
    /// this long after its last heartbeat.
    pub lease: Duration,
    /// How often leases of running jobs are extended (well under `lease`).
    pub heartbeat: Duration,
    /// The longest wait between claims without a wake-up (retries and delayed jobs come due
    /// without one).
    pub poll: Duration,
    /// Delays between attempts.
    pub backoff: Backoff,
    /// On shutdown, how long running jobs may finish before they are abandoned and released.
    pub grace: Duration,
    /// The job kinds this worker's handler runs (`None`: every kind). Workers with
    /// different handlers on one queue each name theirs, so none takes another's jobs.
    pub kinds: Option<Vec<String>>,
}

impl WorkerConfig {
    /// Defaults for a worker named `id`: 4 jobs at once, claims of the free slots, 30 s leases renewed every 10 s,
    /// polling every second, 1 s doubling backoff, 10 s grace, every job kind.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            concurrency: 4,
            batch: 1,
            lease: Duration::from_secs(30),
            heartbeat: Duration::from_secs(10),
            poll: Duration::from_secs(1),
            backoff: Backoff::default(),
            grace: Duration::from_secs(10),
            kinds: None,
        }
    }
}

/// What a worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkerStats {
    /// Jobs claimed.
    pub claimed: u64,
    /// Jobs completed.
    pub succeeded: u64,
    /// Attempts that failed (retried or dead).
    pub failed: u64,
    /// Jobs whose lease was lost before they finished (another worker has them).
    pub lost: u64,
    /// Jobs given back at shutdown.
    pub released: u64,
    /// Store calls that failed (the worker retries after `poll`).
    pub store_errors: u64,
}

/// Claims jobs from a store and runs them with a handler until shut down.
#[derive(Debug)]
pub struct Worker<S, H> {
    store: Arc<S>,
    handler: Arc<H>,
    config: WorkerConfig,
    wakeup: Option<Wakeup>,
}

impl<S: JobStore + 'static, H: JobHandler> Worker<S, H> {
    /// A worker over `store` running `handler`.
    pub fn new(store: Arc<S>, handler: H, config: WorkerConfig) -> Self {
        Self {
            store,
            handler: Arc::new(handler),
            config,
            wakeup: None,
        }
    }

    /// Claims as soon as `wakeup` fires (e.g. [`crate::AnyStore::wakeup`] of
    /// [`crate::Topic::Jobs`]), not only every `poll`.
    #[must_use]
    pub fn with_wakeup(mut self, wakeup: Wakeup) -> Self {
        self.wakeup = Some(wakeup);
        self
    }

    /// Runs until `shutdown` resolves, then lets running jobs finish within the grace period,
    /// releases the leases of those that did not, and returns what it did.
    pub async fn run(mut self, shutdown: impl Future<Output = ()> + Send) -> WorkerStats {
        let mut stats = WorkerStats::default();
        let concurrency = self.config.concurrency.max(1);
        let held: Arc<Mutex<BTreeSet<JobId>>> = Arc::default();
        let mut tasks: JoinSet<Result<(), String>> = JoinSet::new();
        let mut running: BTreeMap<tokio::task::Id, Job> = BTreeMap::new();
        let heartbeats = tokio::spawn(heartbeat_loop(
            self.store.clone(),
            held.clone(),
            self.config.clone(),
        ));
        tokio::pin!(shutdown);
        let mut wakeup = self.wakeup.take();
        // Jobs claimed but not started yet (when `batch` exceeds the free slots).
        let mut queue: VecDeque<Job> = VecDeque::new();
        let mut succeeded: Vec<JobId> = Vec::new();
        let mut first_success: Option<tokio::time::Instant> = None;
        loop {
            let mut full_batch = false;
            let free = concurrency.saturating_sub(tasks.len());
            if queue.is_empty() && free > 0 {
                let want = self.config.batch.max(free);
                let now = Utc::now();
                let lease_until = now + chrono_duration(self.config.lease);
                let claimed = match &self.config.kinds {
                    Some(kinds) => {
                        self.store
                            .claim_kinds(&self.config.id, kinds, now, lease_until, want)
                            .await
                    }
                    None => {
                        self.store
                            .claim(&self.config.id, now, lease_until, want)
                            .await
                    }
                };
                match claimed {
                    Ok(jobs) => {
                        full_batch = jobs.len() == want;
                        stats.claimed += jobs.len() as u64;
                        lock(&held).extend(jobs.iter().map(|j| j.id));
                        queue.extend(jobs);
                    }
                    Err(_) => stats.store_errors += 1,
                }
            }
            while tasks.len() < concurrency {
                let Some(job) = queue.pop_front() else {
                    break;
                };
                let handler = self.handler.clone();
                let run = job.clone();
                let handle = tasks.spawn(async move { handler.run(run).await });
                running.insert(handle.id(), job);
            }
            // Finish whatever is done without waiting, completing successes in one batch.
            let mut finished = Vec::new();
            while let Some(done) = tasks.try_join_next_with_id() {
                finished.push(done);
            }
            let more_now = full_batch && tasks.len() < concurrency;
            if finished.is_empty() && !more_now {
                let idle = queue.is_empty() && tasks.len() < concurrency;
                let poll = tokio::time::sleep(self.config.poll);
                tokio::select! {
                    done = tasks.join_next_with_id(), if !tasks.is_empty() => {
                        if let Some(done) = done {
                            finished.push(done);
                        }
                        while let Some(done) = tasks.try_join_next_with_id() {
                            finished.push(done);
                        }
                    }
                    () = wait(&mut wakeup), if idle => {}
                    () = poll => {}
                    () = &mut shutdown => break,
                }
            }
            self.settle(finished, &mut running, &held, &mut stats, &mut succeeded)
                .await;
            // Completions wait a little while more local work is queued, to share a commit.
            let since = *first_success.get_or_insert_with(tokio::time::Instant::now);
            if queue.is_empty()
                || succeeded.len() >= self.config.batch.max(concurrency)
                || since.elapsed() >= COMPLETION_DELAY
            {
                self.flush(&mut succeeded, &mut stats).await;
            }
            if succeeded.is_empty() {
                first_success = None;
            }
        }
        self.flush(&mut succeeded, &mut stats).await;
        for job in std::mem::take(&mut queue) {
            if self.store.release(job.id, &self.config.id).await.is_ok() {
                stats.released += 1;
            }
        }
        // Shutdown: no more claims; give running jobs the grace period.
        let deadline = tokio::time::Instant::now() + self.config.grace;
        while !tasks.is_empty() {
            match tokio::time::timeout_at(deadline, tasks.join_next_with_id()).await {
                Ok(Some(done)) => {
                    self.settle(vec![done], &mut running, &held, &mut stats, &mut succeeded)
                        .await;
                    self.flush(&mut succeeded, &mut stats).await;
                }
                Ok(None) | Err(_) => break,
            }
        }
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
        heartbeats.abort();
        for (_, job) in std::mem::take(&mut running) {
            if self.store.release(job.id, &self.config.id).await.is_ok() {
                stats.released += 1;
            }
        }
        stats
    }

    async fn settle(
        &self,
        finished: Vec<Finished>,
        running: &mut BTreeMap<tokio::task::Id, Job>,
        held: &Mutex<BTreeSet<JobId>>,
        stats: &mut WorkerStats,
        succeeded: &mut Vec<JobId>,
    ) {
        for done in finished {
            let (task, outcome) = match done {
                Ok((task, outcome)) => (task, outcome),
                Err(error) => (error.id(), Err(format!("job handler panicked: {error}"))),
            };
            let Some(job) = running.remove(&task) else {
                continue;
            };
            lock(held).remove(&job.id);
            match outcome {
                Ok(()) => succeeded.push(job.id),
                Err(error) => {
                    let retry_at = Utc::now() + self.config.backoff.delay(job.id, job.attempts);
                    match self
                        .store
                        .fail(job.id, &self.config.id, error, retry_at)
                        .await
                    {
                        Ok(_) => stats.failed += 1,
                        Err(StoreError::LeaseLost { .. }) => stats.lost += 1,
                        Err(_) => stats.store_errors += 1,
                    }
                }
            }
        }
    }

    /// Completes the jobs that succeeded, in one statement.
    async fn flush(&self, succeeded: &mut Vec<JobId>, stats: &mut WorkerStats) {
        if succeeded.is_empty() {
            return;
        }
        let succeeded = std::mem::take(succeeded);
        match self.store.complete_all(&succeeded, &self.config.id).await {
            Ok(done) => {
                stats.succeeded += done.len() as u64;
                stats.lost += (succeeded.len() - done.len()) as u64;
            }
            // The leases run out and the jobs run again: at least once, never lost.
            Err(_) => stats.store_errors += 1,
        }
    }
}

async fn wait(wakeup: &mut Option<Wakeup>) {
    match wakeup {
        Some(wakeup) => wakeup.wait().await,
        None => std::future::pending().await,
    }
}

async fn heartbeat_loop<S: JobStore + 'static>(
    store: Arc<S>,
    held: Arc<Mutex<BTreeSet<JobId>>>,
    config: WorkerConfig,
) {
    let mut ticks = tokio::time::interval(config.heartbeat.max(Duration::from_millis(10)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let ids: Vec<JobId> = lock(&held).iter().copied().collect();
        for id in ids {
            let lease_until = Utc::now() + chrono_duration(config.lease);
            if let Err(StoreError::LeaseLost { .. } | StoreError::UnknownJob { .. }) =
                store.heartbeat(id, &config.id, lease_until).await
            {
                lock(&held).remove(&id);
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn chrono_duration(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}
