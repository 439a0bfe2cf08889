//! A database an earlier server wrote, with who directs what kept as never-due
//! `director_record` jobs: opening it (migration 0005) moves each record into its aggregate (a
//! deleted one's into its tombstone) and the records leave the queue, on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use athlos_core::access::Principal;
use athlos_core::bracket::{BracketOptions, Format};
use athlos_core::clock::ManualClock;
use athlos_core::id::{CompetitionId, DraftId, TournamentId};
use athlos_core::service::Service;
use athlos_core::store::{AggregateRef, AggregateStore, JobStore, NewJob};
use athlos_core::tournament::TournamentRules;
use athlos_store::AnyStore;
use chrono::{TimeZone, Utc};
use serde_json::json;
use sqlx::Connection;
use support::Cleanup;

/// Records of aggregates that are not there (deleted), and what each leaves as the tombstone.
fn deleted() -> [(
    &'static str,
    serde_json::Value,
    AggregateRef,
    serde_json::Value,
); 4] {
    let tournament = |id: &str| AggregateRef::Tournament(TournamentId::new(id).unwrap());
    let flags = |director: Option<&str>| match director {
        Some(director) => {
            json!({"director": director, "self_reporting": false, "auto_advance": false})
        }
        None => json!({"self_reporting": false, "auto_advance": false}),
    };
    [
        (
            "tournament:gone",
            json!({"director": "gd"}),
            tournament("gone"),
            flags(Some("gd")),
        ),
        // The id is what follows the kind, colons and all; only a string is a director, and
        // only `true` sets a flag.
        (
            "tournament:spring:open",
            json!({"director": 5, "auto_advance": "yes"}),
            tournament("spring:open"),
            flags(None),
        ),
        (
            "tournament:flags",
            json!({"director": "fd", "self_reporting": true}),
            tournament("flags"),
            json!({"director": "fd", "self_reporting": true, "auto_advance": false}),
        ),
        // A competition has no settings.
        (
            "competition:closed",
            json!({"director": "cd", "self_reporting": true}),
            AggregateRef::Competition(CompetitionId::new("closed").unwrap()),
            json!({"director": "cd"}),
        ),
    ]
}

/// Records under keys of no competition or tournament: they go, and name nothing.
const STRAY: [&str; 3] = [
    "athlos.director:draft:d1",
    "ATHLOS.director:tournament:t",
    "athlos.director:tournament",
];

/// Writes what an earlier server left: a tournament and a competition with records, records
/// of deleted aggregates, stray records, and an ordinary job.
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
    let mut records = vec![
        (
            "athlos.director:tournament:kept".to_owned(),
            json!({"director": "td", "self_reporting": true, "auto_advance": true}),
        ),
        (
            "athlos.director:competition:worlds".to_owned(),
            json!({"director": "ed"}),
        ),
    ];
    for (aggregate, payload, _, _) in deleted() {
        records.push((format!("athlos.director:{aggregate}"), payload));
    }
    for key in STRAY {
        records.push((key.to_owned(), json!({"director": "x"})));
    }
    for (key, payload) in records {
        store
            .enqueue(
                NewJob::new("director_record", payload, never)
                    .with_key(key)
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
    let mut keys = vec![
        "athlos.director:tournament:kept".to_owned(),
        "athlos.director:competition:worlds".to_owned(),
    ];
    for (key, _, aggregate, tombstone) in deleted() {
        let found = store.tombstone(&aggregate).await.unwrap();
        assert_eq!(found, Some(tombstone), "{aggregate}");
        keys.push(format!("athlos.director:{key}"));
    }
    assert!(store
        .tournament(&TournamentId::new("gone").unwrap())
        .await
        .unwrap()
        .is_none());
    let draft = AggregateRef::Draft(DraftId::new("d1").unwrap());
    let t = AggregateRef::Tournament(TournamentId::new("t").unwrap());
    for stray in [draft, t] {
        assert_eq!(store.tombstone(&stray).await.unwrap(), None, "{stray}");
    }
    // The records are gone from the queue; the ordinary job stays.
    keys.extend(STRAY.map(str::to_owned));
    for key in keys {
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

/// Makes the database at `url` one an earlier server left: migration 0005 moves data and
/// changes no table, so a database that has not run it differs from this one in its record of
/// applied migrations alone.
async fn unmigrate_0005(url: &str) {
    let forget = "DELETE FROM _sqlx_migrations WHERE version = 5";
    let forgotten = if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        let done = sqlx::query(forget).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
        done.rows_affected()
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        let done = sqlx::query(forget).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
        done.rows_affected()
    };
    assert_eq!(forgotten, 1, "migration 0005 was applied");
}

/// Opens the database at `url` twice, checking each time: the records moved on the first
/// open, and nothing changes on the next.
async fn reopen_twice(url: &str) {
    for _ in 0..2 {
        let store = athlos_store::connect(url).await.unwrap();
        store.ready().await.unwrap();
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
    unmigrate_0005(&url).await;
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
    unmigrate_0005(&url).await;
    reopen_twice(&url).await;
    cleanup.finish().await;
}
