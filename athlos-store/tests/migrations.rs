//! A SQLite database made before the tables took their `athlos_` names keeps its data, and its
//! job ids go on from where they were, once migration 0004 has run.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use athlos_core::store::{EventLog, JobId, JobStore, NewJob};
use chrono::{TimeZone, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};

#[tokio::test]
async fn sqlite_tables_are_renamed_with_their_rows() {
    let path =
        std::env::temp_dir().join(format!("athlos_store_migration_{}.db", std::process::id()));
    let url = format!("sqlite://{}", path.display());
    // The schema as migrations 0001-0003 left it, with a job, a keyed job and an event.
    let mut old = sqlx::migrate::Migrator::new(std::path::Path::new("./migrations/sqlite"))
        .await
        .unwrap();
    old.migrations = old
        .migrations
        .iter()
        .filter(|m| m.version < 4)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    let options = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true);
    let pool = SqlitePool::connect_with(options).await.unwrap();
    old.run(&pool).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    for (kind, key) in [("one", None), ("two", Some("key-2")), ("three", None)] {
        sqlx::query(
            "INSERT INTO jobs (kind, payload, idempotency_key, state, run_at, max_attempts) \
             VALUES (?, '{}', ?, 'queued', 0, 3)",
        )
        .bind(kind)
        .bind(key)
        .execute(&mut *conn)
        .await
        .unwrap();
    }
    // The last job is gone (an id the sequence must not hand out again).
    sqlx::query("DELETE FROM jobs WHERE kind = 'three'")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("INSERT INTO events (sequence, aggregate, event) VALUES (1, '{}', '{}')")
        .execute(&mut *conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    pool.close().await;

    let store = athlos_store::connect(&url).await.unwrap();
    store.ready().await.unwrap();
    let kept = store.job(JobId(1)).await.unwrap().unwrap();
    assert_eq!(kept.kind, "one");
    assert_eq!(
        store.job_by_key("key-2").await.unwrap().unwrap().id,
        JobId(2)
    );
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let again = NewJob::new("again", serde_json::json!({}), now).with_key("key-2");
    assert_eq!(store.enqueue(again).await.unwrap().id, JobId(2));
    let next = store
        .enqueue(NewJob::new("next", serde_json::json!({}), now))
        .await
        .unwrap();
    assert_eq!(next.id, JobId(4), "ids go on after the last one handed out");
    assert_eq!(store.last_sequence().await.unwrap(), 1);
    store.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
