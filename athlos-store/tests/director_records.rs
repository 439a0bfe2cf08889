//! A database an earlier server wrote, with who directs what kept as never-due
//! `director_record` jobs: opening it moves each record into its aggregate (a deleted one's
//! into its tombstone) and the records leave the queue, on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use athlos_core::access::Principal;
use athlos_core::bracket::{BracketOptions, Format};
use athlos_core::clock::ManualClock;
use athlos_core::id::{CompetitionId, TournamentId};
use athlos_core::service::Service;
use athlos_core::store::{AggregateRef, AggregateStore, JobStore, NewJob};
use athlos_core::tournament::TournamentRules;
use athlos_store::AnyStore;
use chrono::{TimeZone, Utc};
use serde_json::json;
use support::Cleanup;

/// Writes what an earlier server left: a tournament and a competition with records, a
/// record of a deleted tournament, and an ordinary job.
async fn write_old_records(store: &AnyStore) {
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();
    let never = Utc.with_ymd_and_hms(9999, 12, 31, 0, 0, 0).unwrap();
    let service = Service::new(store.clone(), ManualClock::new(now));
    let rules = TournamentRules {
        options: BracketOptions::new(Format::SingleElimination),
        min_entries: 2,
        max_entries: None,
        seed: 1,
        swiss: None,
    };
    service
        .create_tournament(TournamentId::new("kept").unwrap(), "Kept", rules)
        .await
        .unwrap();
    service
        .create_competition(CompetitionId::new("worlds").unwrap(), "Worlds")
        .await
        .unwrap();
    let records = [
        (
            "tournament:kept",
            json!({"director": "td", "self_reporting": true, "auto_advance": true}),
        ),
        ("competition:worlds", json!({"director": "ed"})),
        ("tournament:gone", json!({"director": "gd"})),
    ];
    for (aggregate, payload) in records {
        store
            .enqueue(
                NewJob::new("director_record", payload, never)
                    .with_key(format!("athlos.director:{aggregate}"))
                    .with_max_attempts(1),
            )
            .await
            .unwrap();
    }
    store
        .enqueue(NewJob::new("generate_bracket", json!({}), now).with_key("ordinary"))
        .await
        .unwrap();
}

async fn check_adopted(store: &AnyStore) {
    let kept = store
        .tournament(&TournamentId::new("kept").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        kept.version, 1,
        "adopting a record is not a change of the tournament"
    );
    assert_eq!(kept.value.director.as_deref(), Some("td"));
    assert!(kept.value.self_reporting && kept.value.auto_advance);
    let worlds = store
        .competition(&CompetitionId::new("worlds").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(worlds.value.director.as_deref(), Some("ed"));
    assert_eq!(
        worlds.value.may_direct(&Principal::new("ed", false)),
        Ok(())
    );
    let gone = AggregateRef::Tournament(TournamentId::new("gone").unwrap());
    let tombstone = store.tombstone(&gone).await.unwrap().unwrap();
    assert_eq!(tombstone["director"], "gd");
    assert!(store
        .tournament(&TournamentId::new("gone").unwrap())
        .await
        .unwrap()
        .is_none());
    // The records are gone from the queue; the ordinary job stays.
    for aggregate in ["tournament:kept", "competition:worlds", "tournament:gone"] {
        let key = format!("athlos.director:{aggregate}");
        assert!(store.job_by_key(&key).await.unwrap().is_none(), "{key}");
    }
    assert!(store.job_by_key("ordinary").await.unwrap().is_some());
    let kinds: Vec<String> = store
        .queue_stats(Utc::now())
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.kind)
        .collect();
    assert_eq!(kinds, ["generate_bracket"]);
}

/// Opens the database at `url` twice, checking each time: adopting twice is adopting once.
async fn reopen_twice(url: &str) {
    for _ in 0..2 {
        let store = athlos_store::connect(url).await.unwrap();
        check_adopted(&store).await;
        store.close().await;
    }
}

#[tokio::test]
async fn sqlite_director_records_move_into_their_aggregates() {
    let path =
        std::env::temp_dir().join(format!("athlos_director_records_{}.db", std::process::id()));
    let url = format!("sqlite://{}", path.display());
    let store = athlos_store::connect(&url).await.unwrap();
    write_old_records(&store).await;
    store.close().await;
    reopen_twice(&url).await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

#[tokio::test]
async fn postgres_director_records_move_into_their_aggregates() {
    let Some((store, cleanup)) = support::postgres().await else {
        return;
    };
    let Cleanup::Database { admin_url, name } = &cleanup else {
        panic!("a PostgreSQL fixture cleans up a database");
    };
    let url = support::with_database(admin_url, name);
    write_old_records(&store).await;
    store.close().await;
    reopen_twice(&url).await;
    cleanup.finish().await;
}
