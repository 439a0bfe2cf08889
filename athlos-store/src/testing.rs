//! The store conformance suite, for stores of other crates (feature `testing`).
//!
//! Every implementation of the core's store traits promises the same behaviour: versions and
//! conflicts, a gapless event log, blobs, the job queue (leases, retries, dead letters,
//! idempotency keys, claims by kind, completions in a commit and with a claim), deadlines
//! claimed and fenced, webhook deliveries in order, accounts (usernames claimed once, sessions), tournament chats, and an [`athlos_runner::Worker`] and
//! [`athlos_runner::Scheduler`] running on top. [`store_conformance!`](crate::store_conformance)
//! writes one test per case, each on a fresh store from a function you give; the memory,
//! SQLite and PostgreSQL stores of this workspace are tested with it just so.
//!
//! ```
//! use athlos_core::store::MemoryStore;
//! use athlos_store::testing::Fixture;
//!
//! /// A fresh store per case (`None` skips the case, e.g. when a server is not configured).
//! async fn open() -> Option<Fixture<MemoryStore>> {
//!     Some(Fixture::new(MemoryStore::new()))
//! }
//!
//! // In a test file (`tests/conformance.rs`): one `#[test]` per case. For several stores,
//! // call it once in a module of each.
//! athlos_store::store_conformance!(open);
//! # fn main() {}
//! ```
//!
//! Add `athlos-store = { version = "…", features = ["testing"] }` to the dev-dependencies;
//! each case runs on a multi-thread tokio runtime of its own.

#[doc(hidden)]
pub mod cases;

use std::fmt;
use std::future::Future;
use std::pin::Pin;

/// A store opened for one case, with what removes what it leaves behind (a database, files).
pub struct Fixture<S> {
    store: S,
    cleanup: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

impl<S> Fixture<S> {
    /// A store that leaves nothing behind.
    pub fn new(store: S) -> Self {
        Self {
            store,
            cleanup: None,
        }
    }

    /// Runs `cleanup` after the case, once the case has dropped the store.
    #[must_use]
    pub fn with_cleanup(mut self, cleanup: impl Future<Output = ()> + Send + 'static) -> Self {
        self.cleanup = Some(Box::pin(cleanup));
        self
    }
}

impl<S> fmt::Debug for Fixture<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fixture")
            .field("cleanup", &self.cleanup.is_some())
            .finish_non_exhaustive()
    }
}

/// Runs `case` on the store `open` gives (nothing when it gives none), then its cleanup, on
/// a multi-thread tokio runtime of its own. [`store_conformance!`](crate::store_conformance)
/// calls it once per case.
///
/// # Panics
/// When the case fails (that is the test failing), or no tokio runtime can be built.
pub fn run<S, O, C>(open: impl FnOnce() -> O, case: impl FnOnce(S) -> C)
where
    O: Future<Output = Option<Fixture<S>>>,
    C: Future<Output = ()>,
{
    #[allow(clippy::expect_used, reason = "a test harness: no runtime, no test")]
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime for the conformance case");
    runtime.block_on(async {
        let Some(fixture) = open().await else {
            return;
        };
        case(fixture.store).await;
        if let Some(cleanup) = fixture.cleanup {
            cleanup.await;
        }
    });
}

/// Writes one `#[test]` per conformance case, each running on a fresh store from `$open`, an
/// async function (or closure) returning `Option<`[`Fixture`]`<S>>` for a store type `S`
/// implementing [`athlos_core::store::Store`] (see the [module](crate::testing)
/// docs). The cases are those this workspace's own stores pass.
#[macro_export]
macro_rules! store_conformance {
    ($open:expr) => {
        $crate::store_conformance!(@cases $open;
            aggregates_versions_and_conflicts,
            tournaments_are_listed_by_state,
            event_log_is_gapless_and_replays,
            event_text_comes_back_as_written,
            blobs_are_stored_once,
            tag_history_undo_redo,
            job_queue,
            job_completion_commits_with_its_effect,
            deadlines_are_claimed_and_fenced,
            concurrent_deadline_claims_never_overlap,
            two_schedulers_fire_each_deadline_once,
            stale_scheduler_applies_nothing,
            worker_runs_retries_and_releases,
            worker_rescues_expired_leases,
            competitions_are_listed_by_id,
            aggregates_are_deleted_with_their_event,
            jobs_are_claimed_by_kind,
            webhook_deliveries_in_order_with_dead_letters,
            webhook_circuit_breaker_and_chained_deliveries,
            webhook_runs_are_recorded_together,
            queue_stats_count_jobs_by_kind_and_state,
            jobs_are_completed_and_claimed_together,
            accounts_claim_usernames_and_keep_sessions,
            chats_are_kept_per_tournament,
            cancelled_queued_runs_are_never_claimed,
            cancel_requested_runs_commit_nothing,
            cancel_requested_runs_complete_as_cancelled_in_batches,
            cancel_requested_runs_of_dead_workers_are_swept,
            runs_are_listed_by_status_kind_and_target,
        );
    };
    (@cases $open:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::testing::run($open, $crate::testing::cases::$case);
            }
        )*
    };
}
