//! A job worker: claims batches, runs a handler per job, heartbeats, completes or retries.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use athlos_core::clock::{Clock, ClockWatch, SystemClock};
use athlos_core::error::StoreError;
use athlos_core::store::{Backoff, CompletedAndClaimed, Job, JobId, JobStore, Wakeup};
use tokio::task::{Id, JoinError, JoinSet};

use crate::Result;

/// Claims refilling a local queue under way at once.
const MAX_CLAIMS: usize = 2;
/// Claims of free slots under way at once, at most, when the store takes writes side by side.
const MAX_SLOT_CLAIMS: usize = 8;
/// Completion statements under way at once; jobs that succeed meanwhile go in the next.
const MAX_FLUSHES: usize = 1;

/// A finished handler task.
type Finished = Result<(Id, Result<(), String>), JoinError>;

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
    /// side by side (PostgreSQL): more claims under way each carry fewer slots and
    /// completions, and at four slots one claim at a time moved the most jobs.
    pub slot_claims: usize,
}

impl WorkerConfig {
    /// Defaults for a worker named `id`: 4 jobs at once, claims of the free slots, 30 s leases
    /// renewed every 10 s, polling every second, 1 s doubling backoff, 10 s grace, every kind.
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

runner! {
    /// Claims jobs from a store and runs them with a handler until shut down, on its [`Clock`]
    /// (see [Time](crate#time)).
    Worker<S: JobStore, H: JobHandler>(WorkerConfig);
    /// Claims as soon as `wakeup` fires (e.g. a store's [`JobStore::wakeup`] of
    /// [`Topic::Jobs`](crate::Topic::Jobs)), not only every `poll`.
}

impl<S: JobStore + 'static, H: JobHandler> Worker<S, H> {
    /// Runs until `shutdown` resolves, then lets running jobs finish within the grace period,
    /// releases the leases of those that did not, and returns what it did.
    ///
    /// Claims and completions run beside the jobs, not between them (see
    /// [`WorkerConfig::batch`] and [`WorkerConfig::slot_claims`]): the jobs that succeeded
    /// are completed in one statement, those that succeed meanwhile in the next, and a claim
    /// of free slots carries those that succeeded since the last round trip
    /// ([`JobStore::complete_and_claim`]), so that a freed slot costs one round trip.
    pub async fn run(mut self, shutdown: impl Future<Output = ()> + Send) -> WorkerStats {
        let concurrency = self.config.concurrency.max(1);
        let mut state = State::default();
        let mut tasks: JoinSet<Result<(), String>> = JoinSet::new();
        let heartbeats = tokio::spawn(heartbeat_loop(
            self.store.clone(),
            state.held.clone(),
            self.config.clone(),
            self.clock.clone(),
        ));
        tokio::pin!(shutdown);
        let mut nudges = Nudges::new(self.wakeup.take(), &*self.clock);
        let mut polls = tokio::time::interval(self.config.poll.max(Duration::from_millis(1)));
        polls.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        polls.reset();
        // Claims and completions under way, each a task of its own: a transaction must go on
        // while this loop awaits something else (SQLite holds its write lock meanwhile).
        let (mut claims, mut flushes) = (JoinSet::new(), JoinSet::new());
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
                let want = self.claim_size(concurrency, tasks.len(), state.queue.len(), claiming);
                if want > 0 {
                    claiming += want;
                    state.stats.claims += 1;
                    // Claiming free slots, the jobs that succeeded go with the claim: one round
                    // trip for both. A local queue's claim of a whole batch goes alone, not
                    // slowed down by completions while the queue runs low.
                    let done = if free_slots {
                        std::mem::take(&mut state.succeeded)
                    } else {
                        Vec::new()
                    };
                    claims.spawn(self.trip(done, want, signal));
                }
            }
            while tasks.len() < concurrency {
                let Some(job) = state.queue.pop_front() else {
                    break;
                };
                let (id, attempts, handler) = (job.id, job.attempts, self.handler.clone());
                let handle = tasks.spawn(async move { handler.run(job).await });
                state.running.insert(handle.id(), (id, attempts));
            }
            // Claiming free slots, the jobs that succeeded wait for the next claim while one is
            // under way (it comes back within a round trip, and their slots are free for the
            // next); with a local queue they go at once.
            let claim_follows = free_slots && due && !claims.is_empty();
            if !state.succeeded.is_empty() && flushes.len() < MAX_FLUSHES && !claim_follows {
                state.stats.completions += 1;
                flushes.spawn(self.trip(std::mem::take(&mut state.succeeded), 0, signal));
            }
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                done = tasks.join_next_with_id(), if !tasks.is_empty() => {
                    let mut finished: Vec<Finished> = done.into_iter().collect();
                    finished.extend(std::iter::from_fn(|| tasks.try_join_next_with_id()));
                    if !tasks.is_empty() {
                        // Jobs started together often end together: let those about to end
                        // do so, and claim and complete them in the same round trips.
                        tokio::task::yield_now().await;
                        finished.extend(std::iter::from_fn(|| tasks.try_join_next_with_id()));
                    }
                    self.settle(&mut state, finished).await;
                }
                trip = claims.join_next(), if !claims.is_empty() => {
                    if let Some(Ok(trip)) = trip {
                        claiming -= trip.wanted;
                        let seen = trip.signal == signal;
                        if state.land(trip) && seen {
                            due = false;
                        }
                    }
                }
                trip = flushes.join_next(), if !flushes.is_empty() => {
                    if let Some(Ok(trip)) = trip {
                        state.land(trip);
                    }
                }
                // A wake-up, a move of the clock (retries and delayed jobs may have come due
                // on it), or a poll.
                () = nudges.next(polls.tick()) => {
                    signal += 1;
                    due = true;
                }
            }
        }
        // Shutdown: no more claims; the jobs of claims under way join the local queue, which
        // is given back.
        for trips in [&mut claims, &mut flushes] {
            while let Some(trip) = trips.join_next().await {
                if let Ok(trip) = trip {
                    state.land(trip);
                }
            }
        }
        let queued: Vec<JobId> = state.queue.drain(..).map(|job| job.id).collect();
        self.release(&mut state, queued).await;
        self.flush(&mut state).await;
        // Running jobs get the grace period.
        let deadline = tokio::time::Instant::now() + self.config.grace;
        while let Ok(Some(done)) =
            tokio::time::timeout_at(deadline, tasks.join_next_with_id()).await
        {
            self.settle(&mut state, vec![done]).await;
            self.flush(&mut state).await;
        }
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
        heartbeats.abort();
        let abandoned: Vec<JobId> = state.running.drain().map(|(_, (id, _))| id).collect();
        self.release(&mut state, abandoned).await;
        state.stats
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

    /// A round trip to run beside the worker's loop: completes `done` and claims `want` jobs
    /// (none: it only completes).
    fn trip(
        &self,
        done: Vec<JobId>,
        want: usize,
        signal: u64,
    ) -> impl Future<Output = Trip> + Send + 'static {
        let (store, worker, clock) = (
            self.store.clone(),
            self.config.id.clone(),
            self.clock.clone(),
        );
        let (kinds, lease) = (self.config.kinds.clone(), self.config.lease);
        async move {
            let result = if want == 0 {
                let completed = store.complete_all(&done, &worker).await;
                completed.map(|completed| CompletedAndClaimed {
                    completed,
                    claimed: Vec::new(),
                })
            } else {
                let now = clock.now();
                let lease_until = now + chrono_duration(lease);
                store
                    .complete_and_claim(&done, &worker, kinds.as_deref(), now, lease_until, want)
                    .await
            };
            Trip {
                wanted: want,
                completing: done.len(),
                signal,
                result,
            }
        }
    }

    /// Records how the handler tasks in `finished` ended: a success is completed in the next
    /// round trip, a failure is failed now (retried after a backoff on the clock).
    async fn settle(&self, state: &mut State, finished: Vec<Finished>) {
        for done in finished {
            let (task, outcome) = match done {
                Ok((task, outcome)) => (task, outcome),
                Err(error) => (error.id(), Err(format!("job handler panicked: {error}"))),
            };
            let Some((id, attempts)) = state.running.remove(&task) else {
                continue;
            };
            lock(&state.held).remove(&id);
            let Err(error) = outcome else {
                state.succeeded.push(id);
                continue;
            };
            let now = self.clock.now();
            let retry_at = now + self.config.backoff.delay(id, attempts);
            match self
                .store
                .fail(id, &self.config.id, error, retry_at, now)
                .await
            {
                Ok(_) => state.stats.failed += 1,
                Err(StoreError::LeaseLost { .. }) => state.stats.lost += 1,
                Err(_) => state.stats.store_errors += 1,
            }
        }
    }

    /// Completes the jobs that succeeded, in one statement.
    async fn flush(&self, state: &mut State) {
        if !state.succeeded.is_empty() {
            state.stats.completions += 1;
            let trip = self.trip(std::mem::take(&mut state.succeeded), 0, 0);
            state.land(trip.await);
        }
    }

    /// Gives `jobs` back (at shutdown).
    async fn release(&self, state: &mut State, jobs: Vec<JobId>) {
        for id in jobs {
            lock(&state.held).remove(&id);
            if self.store.release(id, &self.config.id).await.is_ok() {
                state.stats.released += 1;
            }
        }
    }
}

/// What a running worker keeps track of.
#[derive(Debug, Default)]
struct State {
    stats: WorkerStats,
    /// The jobs it holds leases on (queued or running), renewed by the heartbeats.
    held: Arc<Mutex<BTreeSet<JobId>>>,
    /// Jobs claimed but not started yet (when `batch` exceeds the free slots).
    queue: VecDeque<Job>,
    /// The running jobs (id and attempt) by their handler task.
    running: HashMap<Id, (JobId, u32)>,
    /// Jobs that succeeded, to complete in the next round trip.
    succeeded: Vec<JobId>,
}

impl State {
    /// Counts what a round trip did and queues the jobs it claimed; true when it brought
    /// fewer than it wanted (or failed).
    fn land(&mut self, trip: Trip) -> bool {
        let Ok(CompletedAndClaimed { completed, claimed }) = trip.result else {
            // The leases of the jobs it was to complete run out and they run again: at least
            // once, never lost.
            self.stats.store_errors += 1;
            return true;
        };
        self.stats.succeeded += completed.len() as u64;
        self.stats.lost += trip.completing.saturating_sub(completed.len()) as u64;
        self.stats.claimed += claimed.len() as u64;
        lock(&self.held).extend(claimed.iter().map(|job| job.id));
        let short = claimed.len() < trip.wanted;
        self.queue.extend(claimed);
        short
    }
}

/// What a round trip (a claim, or a completion alone) brought.
#[derive(Debug)]
struct Trip {
    wanted: usize,
    /// Jobs it was to complete.
    completing: usize,
    /// The worker's signal count when it was sent.
    signal: u64,
    result: Result<CompletedAndClaimed>,
}

/// What wakes a worker or a scheduler besides its own work: a store's wake-up, and a move of
/// a clock that moves when told (a clock that follows real time has no watch).
#[derive(Debug)]
pub(crate) struct Nudges {
    wakeup: Option<Wakeup>,
    moves: Option<ClockWatch>,
}

impl Nudges {
    pub(crate) fn new(wakeup: Option<Wakeup>, clock: &dyn Clock) -> Self {
        let moves = clock.watch();
        Self { wakeup, moves }
    }

    /// Whether the clock follows real time (then real time brings what comes due).
    pub(crate) fn real_time(&self) -> bool {
        self.moves.is_none()
    }

    /// Resolves on a wake-up, a move of the clock, or when `otherwise` does.
    pub(crate) async fn next(&mut self, otherwise: impl Future) {
        let woken = async {
            match &mut self.wakeup {
                Some(wakeup) => wakeup.wait().await,
                None => std::future::pending().await,
            }
        };
        let moved = async {
            match &mut self.moves {
                Some(watch) => watch.moved().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = woken => {}
            () = moved => {}
            _ = otherwise => {}
        }
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
    let every = config.heartbeat.max(Duration::from_millis(10));
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    // About once a lease, runs whose cancellation was asked and whose worker died before its
    // next checkpoint end as cancelled (no claim takes them again).
    let sweep_every = (config.lease.as_millis() / every.as_millis()).max(1);
    let mut beats: u128 = 0;
    loop {
        ticks.tick().await;
        if beats % sweep_every == 0 {
            // A failure is retried at the next sweep.
            let _ = store.sweep_cancelled(clock.now()).await;
        }
        beats = beats.wrapping_add(1);
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
