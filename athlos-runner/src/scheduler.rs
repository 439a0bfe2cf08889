//! A deadline scheduler: one loop per process that claims due deadlines in batches and sleeps
//! until the earliest next one (or a wake-up), never a task per timer.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use athlos_core::clock::{Clock, SystemClock};
use athlos_core::error::StoreError;
use athlos_core::store::{Commit, Deadline, Store, Wakeup};
use chrono::{DateTime, Utc};
use tokio::task::{JoinError, JoinSet};

use crate::worker::{chrono_duration, Nudges};
use crate::Result;

/// Decides what a due deadline does.
///
/// The handler returns the [`Commit`] of its effect (aggregate writes, events, jobs, the next
/// deadline with a new sequence in [`Commit::deadlines`]); the scheduler adds the deadline to
/// [`Commit::fired_deadlines`] and commits, so the effect lands exactly once: a scheduler
/// whose claim went stale fails with [`StoreError::DeadlineMoved`] and changes nothing. An
/// empty commit just consumes the deadline. After an `Err`, or a conflict on every try, the
/// deadline is claimed again when the claim expires.
#[async_trait]
pub trait DeadlineHandler: Send + Sync + 'static {
    /// The effect of `deadline`.
    async fn fire(&self, deadline: Deadline) -> Result<Commit, String>;

    /// Called once the effect of `deadline` committed, at `at` (after the commit returned):
    /// `at - deadline.due` is how late it fired. Does nothing unless overridden.
    fn committed(&self, deadline: &Deadline, at: DateTime<Utc>) {
        let _ = (deadline, at);
    }
}

#[async_trait]
impl<F, Fut> DeadlineHandler for F
where
    F: Fn(Deadline) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Commit, String>> + Send + 'static,
{
    async fn fire(&self, deadline: Deadline) -> Result<Commit, String> {
        self(deadline).await
    }
}

/// How a [`Scheduler`] runs.
#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    /// The scheduler's name on its claims.
    pub id: String,
    /// Deadlines claimed per round trip.
    pub batch: usize,
    /// Handlers run at once.
    pub concurrency: usize,
    /// How long a claim keeps other schedulers off a deadline (on the scheduler's clock).
    pub claim: Duration,
    /// The longest sleep without a wake-up, in real time (deadlines set by other processes
    /// without a wake-up are seen by then).
    pub poll: Duration,
}

impl SchedulerConfig {
    /// Defaults for a scheduler named `id`: batches of 500, 16 handlers at once, 30 s claims,
    /// 1 s polls.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            batch: 500,
            concurrency: 16,
            claim: Duration::from_secs(30),
            poll: Duration::from_secs(1),
        }
    }
}

/// What a scheduler did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SchedulerStats {
    /// Deadlines claimed.
    pub claimed: u64,
    /// Deadlines whose handler succeeded.
    pub fired: u64,
    /// Handler failures, and commits that conflicted on every try (claimed again after the
    /// claim expires).
    pub failed: u64,
    /// Deadlines another scheduler fired or someone re-armed first (nothing was applied).
    pub stale: u64,
    /// Store calls that failed.
    pub store_errors: u64,
}

runner! {
    /// Fires due deadlines of a store with a handler until shut down, on its [`Clock`] (see
    /// [Time](crate#time)).
    Scheduler<S: Store, H: DeadlineHandler>(SchedulerConfig);
    /// Wakes on `wakeup` (e.g. a store's
    /// [`JobStore::wakeup`](athlos_core::store::JobStore::wakeup) of
    /// [`Topic::Deadlines`](crate::Topic::Deadlines)), so a deadline set sooner than the one
    /// it sleeps for is not missed.
}

/// Rounds (a claimed batch being decided and committed) in flight at once: the next batch is
/// claimed while earlier ones commit, so a slow commit does not hold up deadlines that fall
/// due meanwhile.
const ROUNDS_IN_FLIGHT: usize = 4;

impl<S: Store + 'static, H: DeadlineHandler> Scheduler<S, H> {
    /// Runs until `shutdown` resolves (the rounds in progress finish first).
    pub async fn run(mut self, shutdown: impl Future<Output = ()> + Send) -> SchedulerStats {
        let mut stats = SchedulerStats::default();
        let batch = self.config.batch.max(1);
        let mut nudges = Nudges::new(self.wakeup.take(), &*self.clock);
        let round = Round {
            store: self.store.clone(),
            handler: self.handler.clone(),
            clock: self.clock.clone(),
            concurrency: self.config.concurrency.max(1),
        };
        let mut rounds: JoinSet<SchedulerStats> = JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            while let Some(done) = rounds.try_join_next() {
                add(&mut stats, done);
            }
            if rounds.len() >= ROUNDS_IN_FLIGHT {
                tokio::select! {
                    Some(done) = rounds.join_next() => add(&mut stats, done),
                    () = &mut shutdown => break,
                }
                continue;
            }
            let now = self.clock.now();
            let claim_until = now + chrono_duration(self.config.claim);
            let claim = self
                .store
                .claim_deadlines(&self.config.id, now, claim_until, batch);
            let claimed = counted(claim.await, &mut stats);
            let full = claimed.len() == batch;
            stats.claimed += claimed.len() as u64;
            if !claimed.is_empty() {
                let round = round.clone();
                rounds.spawn(async move {
                    let mut stats = SchedulerStats::default();
                    round.fire_all(claimed, &mut stats).await;
                    stats
                });
            }
            if full {
                continue;
            }
            let next = counted(self.store.next_deadline().await, &mut stats);
            let left =
                next.map(|next| (next - self.clock.now()).to_std().unwrap_or(Duration::ZERO));
            if left.is_some_and(|left| left.is_zero()) {
                continue;
            }
            // Real time brings the next deadline only on a clock that follows it; on one that
            // moves when told, a move does.
            let sleep = match left {
                Some(left) if nudges.real_time() => left.min(self.config.poll),
                _ => self.config.poll,
            };
            tokio::select! {
                () = nudges.next(tokio::time::sleep(sleep)) => {}
                // A round's end may release deadlines it could not fire (claimed again after
                // their claim): look again.
                Some(done) = rounds.join_next() => add(&mut stats, done),
                () = &mut shutdown => break,
            }
        }
        while let Some(done) = rounds.join_next().await {
            add(&mut stats, done);
        }
        stats
    }
}

/// Adds a finished round's figures to `stats` (a round that panicked counts as failed).
fn add(stats: &mut SchedulerStats, done: Result<SchedulerStats, JoinError>) {
    match done {
        Ok(round) => {
            stats.claimed += round.claimed;
            stats.fired += round.fired;
            stats.failed += round.failed;
            stats.stale += round.stale;
            stats.store_errors += round.store_errors;
        }
        Err(_) => stats.failed += 1,
    }
}

/// What one round needs: the store, the handler, the clock.
struct Round<S, H> {
    store: Arc<S>,
    handler: Arc<H>,
    clock: Arc<dyn Clock>,
    concurrency: usize,
}

impl<S, H> Clone for Round<S, H> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            handler: self.handler.clone(),
            clock: self.clock.clone(),
            concurrency: self.concurrency,
        }
    }
}

impl<S: Store + 'static, H: DeadlineHandler> Round<S, H> {
    /// Decides every claimed deadline, then applies all their effects in one transaction (one
    /// durable commit per batch instead of one per deadline); if that commit fails (a conflict
    /// or a stale fence in any of them), each is committed on its own.
    async fn fire_all(&self, claimed: Vec<Deadline>, stats: &mut SchedulerStats) {
        if claimed.len() <= 1 {
            return self.fire_each(claimed, stats).await;
        }
        let decide = |deadline: Deadline| {
            let handler = self.handler.clone();
            async move { (handler.fire(deadline.clone()).await, deadline) }
        };
        let mut merged = Commit::default();
        let mut fired = Vec::new();
        for decided in self.each(claimed, decide).await {
            match decided {
                Ok((Ok(commit), deadline)) => {
                    merge(&mut merged, commit);
                    merged.fired_deadlines.push(deadline.clone());
                    fired.push(deadline);
                }
                Ok((Err(_), _)) | Err(_) => stats.failed += 1,
            }
        }
        if fired.is_empty() {
            return;
        }
        match self.store.commit(merged).await {
            Ok(_) => {
                let at = self.clock.now();
                for deadline in &fired {
                    self.handler.committed(deadline, at);
                }
                stats.fired += fired.len() as u64;
            }
            Err(_) => self.fire_each(fired, stats).await,
        }
    }

    async fn fire_each(&self, claimed: Vec<Deadline>, stats: &mut SchedulerStats) {
        let fire = |deadline| {
            let (store, clock) = (self.store.clone(), self.clock.clone());
            fire_one(store, self.handler.clone(), clock, deadline)
        };
        for outcome in self.each(claimed, fire).await {
            match outcome {
                Ok(Outcome::Fired) => stats.fired += 1,
                Ok(Outcome::Stale) => stats.stale += 1,
                Ok(Outcome::Failed) | Err(_) => stats.failed += 1,
                Ok(Outcome::StoreError) => stats.store_errors += 1,
            }
        }
    }

    /// Runs `work` for each deadline, `concurrency` at once; their results in claim order.
    async fn each<F>(
        &self,
        deadlines: Vec<Deadline>,
        work: impl Fn(Deadline) -> F,
    ) -> Vec<Result<F::Output, JoinError>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let mut tasks = JoinSet::new();
        let mut pending = deadlines.into_iter().enumerate();
        let mut done = Vec::new();
        loop {
            while tasks.len() < self.concurrency {
                let Some((index, deadline)) = pending.next() else {
                    break;
                };
                let work = work(deadline);
                tasks.spawn(async move { (index, work.await) });
            }
            match tasks.join_next().await {
                Some(result) => done.push(result),
                None => break,
            }
        }
        done.sort_by_key(|result| result.as_ref().map_or(usize::MAX, |(index, _)| *index));
        done.into_iter()
            .map(|result| result.map(|(_, output)| output))
            .collect()
    }
}

/// The value of `result`, or the default after counting a store error.
fn counted<T: Default>(result: Result<T>, stats: &mut SchedulerStats) -> T {
    result.unwrap_or_else(|_| {
        stats.store_errors += 1;
        T::default()
    })
}

/// Appends `commit` to `merged`.
fn merge(merged: &mut Commit, commit: Commit) {
    let Commit {
        writes,
        blobs,
        events,
        jobs,
        deadlines,
        cleared_deadlines,
        fired_deadlines,
        completed_jobs,
        completed_runs,
    } = commit;
    merged.writes.extend(writes);
    merged.blobs.extend(blobs);
    merged.events.extend(events);
    merged.jobs.extend(jobs);
    merged.deadlines.extend(deadlines);
    merged.cleared_deadlines.extend(cleared_deadlines);
    merged.fired_deadlines.extend(fired_deadlines);
    merged.completed_jobs.extend(completed_jobs);
    merged.completed_runs.extend(completed_runs);
}

enum Outcome {
    Fired,
    Stale,
    Failed,
    StoreError,
}

/// Conflicting commits are decided again this many times (the handler reloads).
const TRIES: usize = 3;

async fn fire_one<S: Store, H: DeadlineHandler>(
    store: Arc<S>,
    handler: Arc<H>,
    clock: Arc<dyn Clock>,
    deadline: Deadline,
) -> Outcome {
    for _ in 0..TRIES {
        let Ok(mut commit) = handler.fire(deadline.clone()).await else {
            return Outcome::Failed;
        };
        commit.fired_deadlines.push(deadline.clone());
        match store.commit(commit).await {
            Ok(_) => {
                handler.committed(&deadline, clock.now());
                return Outcome::Fired;
            }
            Err(StoreError::DeadlineMoved { .. }) => return Outcome::Stale,
            Err(StoreError::Conflict { .. }) => continue,
            Err(_) => return Outcome::StoreError,
        }
    }
    Outcome::Failed
}
