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
