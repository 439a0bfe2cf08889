//! One conformance suite for every store, `athlos_store::store_conformance!`: the in-memory
//! store, SQLite (a temporary file) and PostgreSQL (a fresh database per test, from
//! `ATHLOS_TEST_DATABASE_URL`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

// Each store through the published entry point, as a store of another crate would be.
mod memory {
    athlos_store::store_conformance!(crate::support::open_memory);
}

mod sqlite {
    athlos_store::store_conformance!(crate::support::open_sqlite);
}

mod postgres {
    athlos_store::store_conformance!(crate::support::open_postgres);
}

/// The trait's default `complete_and_claim` (over the memory store's other methods) keeps the
/// promises the stores' own versions keep.
#[tokio::test]
async fn default_complete_and_claim() {
    athlos_store::testing::cases::jobs_are_completed_and_claimed_together(
        support::DefaultJobStore(athlos_core::store::MemoryStore::new()),
    )
    .await;
}

/// Behind `Arc<dyn Store>` (as `athlos serve` holds it) a store keeps its own claim behaviour
/// and wake-ups: side by side on PostgreSQL, one writer on SQLite, and an enqueue wakes the
/// queue's waiters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_stores_keep_their_claims_and_wakeups() {
    use std::sync::Arc;
    use std::time::Duration;

    use athlos_core::store::{JobStore, NewJob, Store, Topic};

    let memory: Arc<dyn Store> = Arc::new(athlos_core::store::MemoryStore::new());
    assert!(!memory.parallel_writes());
    assert!(memory.wakeup(Topic::Jobs).is_none());
    let (sqlite, sqlite_files) = support::sqlite().await;
    let mut opened = vec![(sqlite, sqlite_files, false)];
    if let Some((postgres, database)) = support::postgres().await {
        opened.push((postgres, database, true));
    }
    for (store, cleanup, parallel) in opened {
        let shared: Arc<dyn Store> = Arc::new(store.clone());
        assert_eq!(
            shared.parallel_writes(),
            parallel,
            "{}",
            store.backend_name()
        );
        let mut wakeup = shared
            .wakeup(Topic::Jobs)
            .expect("a SQL store wakes its waiters");
        let now = chrono::Utc::now();
        shared
            .enqueue(NewJob::new("noop", serde_json::json!({}), now))
            .await
            .unwrap();
        tokio::time::timeout(Duration::from_secs(5), wakeup.wait())
            .await
            .expect("the enqueue woke the queue's waiter");
        store.close().await;
        cleanup.finish().await;
    }
}
