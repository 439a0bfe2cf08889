//! A job worker: claims batches, runs a handler per job, heartbeats, completes or retries.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use athlos_core::clock::{Clock, ClockWatch, SystemClock};
use athlos_core::error::StoreError;
use athlos_core::store::{Backoff, CompletedAndClaimed, Job, JobId, JobStore};
use tokio::task::JoinSet;

use athlos_core::store::Wakeup;

use crate::Result;

/// Claims refilling a local queue under way at once.
const MAX_CLAIMS: usize = 2;
/// Claims of free slots under way at once, at most, when the store takes writes side by side.
const MAX_SLOT_CLAIMS: usize = 8;
/// Completion statements under way at once; jobs that succeed meanwhile go in the next.
const MAX_FLUSHES: usize = 1;

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
    /// Jobs claimed per round trip. Up to `concurrency`, claims are of the free slots only;
    /// a larger batch keeps a local queue of leased jobs, claiming a whole batch whenever the
    /// queue is down to half (up to two batches under way if it runs dry): fewer round trips
    /// for short jobs, at the cost of holding jobs other workers could run.
    pub batch: usize,
    /// How long a claim or heartbeat holds a job; a job whose worker died is claimed again
    /// this long after its last heartbeat.
    pub lease: Duration,
    /// How often leases of running jobs are extended (well under `lease`).
    pub heartbeat: Duration,
    /// The longest wait between claims without a wake-up, in real time (retries and delayed
    /// jobs come due without one; on a clock that moves when told, every move of the clock
    /// is a wake-up too).
    pub poll: Duration,
    /// Delays between attempts.
    pub backoff: Backoff,
    /// On shutdown, how long running jobs may finish before they are abandoned and released.
    pub grace: Duration,
    /// The job kinds this worker's handler runs (`None`: every kind). Workers with
    /// different handlers on one queue each name theirs, so none takes another's jobs.
    pub kinds: Option<Vec<String>>,
    /// Claims of free slots under way at once (when `batch` is at most `concurrency`), each
    /// for the slots free when it is sent; `0` chooses by [`JobStore::parallel_writes`]: one
    /// on a store with a single writer (SQLite), which would only queue them (slots that free
    /// up meanwhile go in the next claim), and one per four slots (at most 8) where they run
    /// side by side (PostgreSQL): more claims under
    /// way each carry fewer slots and completions, and at four slots one claim at a time
    /// moved the most jobs.
    pub slot_claims: usize,
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
            slot_claims: 0,
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
    /// Claim round trips; each also completes the jobs that succeeded since the last round
    /// trip that completed any ([`JobStore::complete_and_claim`]).
    pub claims: u64,
    /// Round trips that only complete jobs that succeeded (several jobs each), when no claim
    /// is going out to take them.
    pub completions: u64,
}

/// Claims jobs from a store and runs them with a handler until shut down.
///
/// Every instant it uses comes from its [`Clock`] (the system's unless
/// [`Worker::with_clock`] sets another): which jobs are due when it claims, the leases it
/// takes and renews, and when a failed job is retried (the backoff counts from the clock's
/// now). On a clock that moves when told ([`Clock::watch`]), a move wakes the worker to claim
/// what came due, without waiting for a poll.
#[derive(Debug)]
pub struct Worker<S, H> {
    store: Arc<S>,
    handler: Arc<H>,
    config: WorkerConfig,
    wakeup: Option<Wakeup>,
    clock: Arc<dyn Clock>,
}

impl<S: JobStore + 'static, H: JobHandler> Worker<S, H> {
    /// A worker over `store` running `handler`, on the system clock.
    pub fn new(store: Arc<S>, handler: H, config: WorkerConfig) -> Self {
        Self {
            store,
            handler: Arc::new(handler),
            config,
            wakeup: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// Reads the time from `clock` (e.g. a server's, or a test's
    /// [`ManualClock`](athlos_core::clock::ManualClock)) instead of the system clock.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
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
    ///
    /// Claims and completions run beside the jobs, not between them: free slots are claimed
    /// for at once (see [`WorkerConfig::slot_claims`]), a local queue (when `batch` exceeds
    /// `concurrency`) is refilled once it is down to half, and the jobs that succeeded are
    /// completed in one statement, those that succeed meanwhile in the next. Claiming free
    /// slots, a claim carries the jobs that succeeded since the last round trip
    /// ([`JobStore::complete_and_claim`]), so that a freed slot costs one round trip, and the
    /// jobs that succeed while a claim is under way wait for the next one.
    pub async fn run(mut self, shutdown: impl Future<Output = ()> + Send) -> WorkerStats {
        let mut stats = WorkerStats::default();
        let concurrency = self.config.concurrency.max(1);
        let held: Arc<Mutex<BTreeSet<JobId>>> = Arc::default();
        let mut tasks: JoinSet<Result<(), String>> = JoinSet::new();
        let mut running: HashMap<tokio::task::Id, Started> = HashMap::new();
        let heartbeats = tokio::spawn(heartbeat_loop(
            self.store.clone(),
            held.clone(),
            self.config.clone(),
            self.clock.clone(),
        ));
        tokio::pin!(shutdown);
        let mut wakeup = self.wakeup.take();
        let mut moves = self.clock.watch();
        let mut polls = tokio::time::interval(self.config.poll.max(Duration::from_millis(1)));
        polls.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        polls.reset();
        // Claims and completions under way, each a task of its own: a transaction must go on
        // while this loop awaits something else (SQLite holds its write lock meanwhile).
        let mut claims: JoinSet<Claimed> = JoinSet::new();
        let mut flushes: JoinSet<Flushed> = JoinSet::new();
        // Jobs claimed but not started yet (when `batch` exceeds the free slots).
        let mut queue: VecDeque<Job> = VecDeque::new();
        let mut succeeded: Vec<JobId> = Vec::new();
        // Slots asked for by the claims under way.
        let mut claiming = 0;
        let free_slots = self.config.batch <= concurrency;
        // A local queue is refilled by up to two claims at once.
        let max_claims = if free_slots {
            match self.config.slot_claims {
                0 if self.store.parallel_writes() => concurrency.div_ceil(4).min(MAX_SLOT_CLAIMS),
                0 => 1,
                chosen => chosen,
            }
        } else {
            MAX_CLAIMS
        };
        // Bumped by every wake-up and poll: a claim that comes back short since the last one
        // has seen every due job, and the next waits for a signal.
        let mut signal: u64 = 0;
        let mut due = true;
        loop {
            if due && claims.len() < max_claims {
                let want = self.claim_size(concurrency, tasks.len(), queue.len(), claiming);
                if want > 0 {
                    claiming += want;
                    stats.claims += 1;
                    // Claiming free slots, the jobs that succeeded go with the claim: one round
                    // trip for both. A local queue's claim of a whole batch goes alone, not
                    // slowed down by completions while the queue runs low.
                    let done = if free_slots {
                        std::mem::take(&mut succeeded)
                    } else {
                        Vec::new()
                    };
                    claims.spawn(self.claim(done, want, signal));
                }
            }
            while tasks.len() < concurrency {
                let Some(job) = queue.pop_front() else {
                    break;
                };
                let started = Started {
                    id: job.id,
                    attempts: job.attempts,
                };
                let handler = self.handler.clone();
                let handle = tasks.spawn(async move { handler.run(job).await });
                running.insert(handle.id(), started);
            }
            // Claiming free slots, the jobs that succeeded wait for the next claim while one is
            // under way (it comes back within a round trip, and their slots are free for the
            // next); with a local queue they go at once.
            let claim_follows = free_slots && due && !claims.is_empty();
            if !succeeded.is_empty() && flushes.len() < MAX_FLUSHES && !claim_follows {
                stats.completions += 1;
                flushes.spawn(self.complete(std::mem::take(&mut succeeded)));
            }
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                done = tasks.join_next_with_id(), if !tasks.is_empty() => {
                    let mut finished: Vec<Finished> = done.into_iter().collect();
                    while let Some(done) = tasks.try_join_next_with_id() {
                        finished.push(done);
                    }
                    if !tasks.is_empty() {
                        // Jobs started together often end together: let those about to end
                        // do so, and claim and complete them in the same round trips.
                        tokio::task::yield_now().await;
                        while let Some(done) = tasks.try_join_next_with_id() {
                            finished.push(done);
                        }
                    }
                    self.settle(finished, &mut running, &held, &mut stats, &mut succeeded)
                        .await;
                }
                claimed = claims.join_next(), if !claims.is_empty() => {
                    if let Some(Ok(claimed)) = claimed {
                        claiming -= claimed.wanted;
                        let seen = claimed.signal == signal;
                        if self.take_claim(claimed, &held, &mut queue, &mut stats) && seen {
                            due = false;
                        }
                    }
                }
                flushed = flushes.join_next(), if !flushes.is_empty() => {
                    if let Some(Ok(flushed)) = flushed {
                        count_completed(flushed.sent, flushed.done, &mut stats);
                    }
                }
                () = wait(&mut wakeup) => {
                    signal += 1;
                    due = true;
                }
                // Retries and delayed jobs may have come due on the clock.
                () = clock_moved(&mut moves) => {
                    signal += 1;
                    due = true;
                }
                _ = polls.tick() => {
                    signal += 1;
                    due = true;
                }
            }
        }
        // Shutdown: no more claims; the jobs of claims under way join the local queue, which
        // is given back.
        while let Some(claimed) = claims.join_next().await {
            if let Ok(claimed) = claimed {
                self.take_claim(claimed, &held, &mut queue, &mut stats);
            }
        }
        for job in std::mem::take(&mut queue) {
            lock(&held).remove(&job.id);
            if self.store.release(job.id, &self.config.id).await.is_ok() {
                stats.released += 1;
            }
        }
        while let Some(flushed) = flushes.join_next().await {
            if let Ok(flushed) = flushed {
                count_completed(flushed.sent, flushed.done, &mut stats);
            }
        }
        self.flush(&mut succeeded, &mut stats).await;
        // Running jobs get the grace period.
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

    /// How many jobs to claim now: the free slots no job or claim covers yet; with a local
    /// queue (`batch` above `concurrency`), a whole batch once the queue is down to half, and
    /// another while that one is under way if the queue has run dry meanwhile (never more
    /// than a batch queued or coming).
    fn claim_size(
        &self,
        concurrency: usize,
        running: usize,
        queued: usize,
        claiming: usize,
    ) -> usize {
        let batch = self.config.batch;
        if batch <= concurrency {
            return concurrency.saturating_sub(running + queued + claiming);
        }
        if queued <= batch / 2 && queued + claiming <= batch {
            batch
        } else {
            0
        }
    }

    /// A claim of `want` jobs that also completes `done`, to run beside the worker's loop.
    fn claim(
        &self,
        done: Vec<JobId>,
        want: usize,
        signal: u64,
    ) -> impl Future<Output = Claimed> + Send + 'static {
        let store = self.store.clone();
        let worker = self.config.id.clone();
        let kinds = self.config.kinds.clone();
        let lease = self.config.lease;
        let clock = self.clock.clone();
        async move {
            let now = clock.now();
            let lease_until = now + chrono_duration(lease);
            let result = store
                .complete_and_claim(&done, &worker, kinds.as_deref(), now, lease_until, want)
                .await;
            Claimed {
                wanted: want,
                completing: done.len(),
                signal,
                result,
            }
        }
    }

    /// Counts a claim's completions and queues its jobs; true when it brought fewer than
    /// wanted (or failed).
    fn take_claim(
        &self,
        claimed: Claimed,
        held: &Mutex<BTreeSet<JobId>>,
        queue: &mut VecDeque<Job>,
        stats: &mut WorkerStats,
    ) -> bool {
        match claimed.result {
            Ok(CompletedAndClaimed {
                completed,
                claimed: jobs,
            }) => {
                count_completed(claimed.completing, Ok(completed), stats);
                let short = jobs.len() < claimed.wanted;
                stats.claimed += jobs.len() as u64;
                lock(held).extend(jobs.iter().map(|j| j.id));
                queue.extend(jobs);
                short
            }
            // The leases of the jobs it was to complete run out and they run again: at least
            // once, never lost.
            Err(_) => {
                stats.store_errors += 1;
                true
            }
        }
    }

    /// Completes `ids`, to run beside the worker's loop.
    fn complete(&self, ids: Vec<JobId>) -> impl Future<Output = Flushed> + Send + 'static {
        let store = self.store.clone();
        let worker = self.config.id.clone();
        async move {
            let done = store.complete_all(&ids, &worker).await;
            Flushed {
                sent: ids.len(),
                done,
            }
        }
    }

    async fn settle(
        &self,
        finished: Vec<Finished>,
        running: &mut HashMap<tokio::task::Id, Started>,
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
                    let retry_at =
                        self.clock.now() + self.config.backoff.delay(job.id, job.attempts);
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
        stats.completions += 1;
        let flushed = self.complete(std::mem::take(succeeded)).await;
        count_completed(flushed.sent, flushed.done, stats);
    }
}

/// A job handed to the handler.
#[derive(Debug, Clone, Copy)]
struct Started {
    id: JobId,
    attempts: u32,
}

/// What a claim brought.
#[derive(Debug)]
struct Claimed {
    wanted: usize,
    /// Jobs it was to complete.
    completing: usize,
    /// The worker's signal count when the claim was sent.
    signal: u64,
    result: Result<CompletedAndClaimed>,
}

/// What a completion of `sent` jobs did.
#[derive(Debug)]
struct Flushed {
    sent: usize,
    done: Result<Vec<JobId>>,
}

/// Counts what a completion of `sent` jobs did.
fn count_completed(sent: usize, done: Result<Vec<JobId>>, stats: &mut WorkerStats) {
    match done {
        Ok(done) => {
            stats.succeeded += done.len() as u64;
            stats.lost += sent.saturating_sub(done.len()) as u64;
        }
        // The leases run out and the jobs run again: at least once, never lost.
        Err(_) => stats.store_errors += 1,
    }
}

async fn wait(wakeup: &mut Option<Wakeup>) {
    match wakeup {
        Some(wakeup) => wakeup.wait().await,
        None => std::future::pending().await,
    }
}

/// Resolves when a clock that moves when told has moved (never for a clock that follows real
/// time, which has no watch).
pub(crate) async fn clock_moved(watch: &mut Option<ClockWatch>) {
    match watch {
        Some(watch) => watch.moved().await,
        None => std::future::pending().await,
    }
}

/// Extends the leases of the jobs in `held` every `config.heartbeat` of real time, each to
/// `config.lease` past the clock's now.
async fn heartbeat_loop<S: JobStore + 'static>(
    store: Arc<S>,
    held: Arc<Mutex<BTreeSet<JobId>>>,
    config: WorkerConfig,
    clock: Arc<dyn Clock>,
) {
    let mut ticks = tokio::time::interval(config.heartbeat.max(Duration::from_millis(10)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let ids: Vec<JobId> = lock(&held).iter().copied().collect();
        for id in ids {
            let lease_until = clock.now() + chrono_duration(config.lease);
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
