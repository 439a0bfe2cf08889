//! One conformance suite for every store: the in-memory store, SQLite (a temporary file) and
//! PostgreSQL (a fresh database per test, from `ATHLOS_TEST_DATABASE_URL`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

macro_rules! suite {
    ($backend:ident, $open:path; $($case:ident),* $(,)?) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let Some((store, cleanup)) = $open().await else {
                        return;
                    };
                    super::support::cases::$case(store).await;
                    cleanup.finish().await;
                }
            )*
        }
    };
}

macro_rules! all_cases {
    ($backend:ident, $open:path) => {
        suite!($backend, $open;
            aggregates_versions_and_conflicts,
            tournaments_are_listed_by_state,
            event_log_is_gapless_and_replays,
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
            queue_stats_count_jobs_by_kind_and_state,
            jobs_are_completed_and_claimed_together,
        );
    };
}

all_cases!(memory, crate::support::open_memory);
all_cases!(sqlite, crate::support::open_sqlite);
all_cases!(postgres, crate::support::open_postgres);

/// The trait's default `complete_and_claim` (over the memory store's other methods) keeps the
/// promises the stores' own versions keep.
#[tokio::test]
async fn default_complete_and_claim() {
    support::cases::jobs_are_completed_and_claimed_together(support::DefaultJobStore(
        athlos_core::store::MemoryStore::new(),
    ))
    .await;
}
