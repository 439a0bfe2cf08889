//! The deadline scheduler inside `athlos serve`: pick clocks that run out are auto-picked by
//! the server, once each, also with two servers on one database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use athlos_core::draft::{Command, DraftConfig, DraftSettings, Player, Position, RosterPosition};
use athlos_core::event::EventType;
use athlos_core::id::DraftId;
use athlos_core::lifecycle::draft::PickOrder;
use athlos_core::lifecycle::DraftState;
use athlos_core::model::ParticipantId;
use athlos_core::store::{AggregateStore, EventLog};
use athlos_http::server::{self, Config, Running};

fn settings(id: &str, teams: u32, rounds: u32) -> DraftSettings {
    let fw = Position::new("FW").unwrap();
    DraftSettings::new(DraftConfig {
        id: DraftId::new(id).unwrap(),
        teams,
        rounds,
        order: PickOrder::Snake,
        seconds_per_pick: 1,
        roster: vec![RosterPosition {
            position: fw.clone(),
            starters: 1,
            max: None,
        }],
        pool: (0..teams * rounds + 4)
            .map(|i| Player {
                id: ParticipantId::new(format!("p{i:03}")).unwrap(),
                position: fw.clone(),
                rank: i,
            })
            .collect(),
    })
    .unwrap()
}

async fn serve(database: &str) -> (Running, server::AppState) {
    let config = Config {
        address: "127.0.0.1:0".parse().unwrap(),
        jwt_secret: common::SECRET.to_owned(),
        deadline_claim: Duration::from_secs(2),
        ..Config::default()
    };
    let state = server::open_store(database)
        .await
        .unwrap()
        .into_state(config, std::sync::Arc::new(athlos_core::clock::SystemClock));
    let running = server::start(state.clone()).await.unwrap();
    (running, state)
}

/// Waits until every draft in `ids` is completed (or `limit` passes).
async fn wait_completed(state: &server::AppState, ids: &[DraftId], limit: Duration) {
    let started = std::time::Instant::now();
    loop {
        let done = state
            .store
            .drafts(Some(DraftState::Completed), usize::MAX, 0)
            .await
            .unwrap()
            .len();
        if done == ids.len() {
            return;
        }
        assert!(
            started.elapsed() < limit,
            "{done} of {} drafts completed after {limit:?}",
            ids.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Each pick of each draft was made exactly once, by the clock, and the log replays to it.
async fn check_drafts(state: &server::AppState, ids: &[DraftId], teams: u32, rounds: u32) {
    let log = state.store.events_after(0, usize::MAX).await.unwrap();
    for id in ids {
        let stored = state.store.draft(id).await.unwrap().unwrap().value.draft;
        assert_eq!(stored.state(), DraftState::Completed);
        stored.check_invariants().unwrap();
        assert_eq!(stored.picks().len(), (teams * rounds) as usize);
        assert!(
            stored.picks().iter().all(|p| p.auto),
            "{:?}",
            stored.picks()
        );
        let events: Vec<_> = log
            .iter()
            .filter(|e| e.aggregate == athlos_core::store::AggregateRef::Draft(id.clone()))
            .map(|e| e.event.clone())
            .collect();
        let autopicks = events
            .iter()
            .filter(|e| e.event_type() == EventType::DraftAutopicked)
            .count();
        assert_eq!(autopicks, (teams * rounds) as usize, "draft {id}");
        let replayed =
            athlos_core::draft::Draft::replay(stored.settings().clone(), &events).unwrap();
        assert_eq!(replayed, stored);
        // Each auto-pick came after its clock ran out.
        for (pick, previous) in stored.picks().iter().skip(1).zip(stored.picks()) {
            assert!(pick.at >= previous.at + chrono::Duration::seconds(1));
        }
    }
}

#[tokio::test]
async fn the_server_auto_picks_when_a_pick_clock_runs_out() {
    for database in common::databases().await {
        let (running, state) = serve(&database.url).await;
        let mut ids = Vec::new();
        for n in 0..3 {
            let id = DraftId::new(format!("clock-{n}")).unwrap();
            state
                .service
                .create_draft(settings(id.as_str(), 2, 2), "commish", Vec::new())
                .await
                .unwrap();
            state
                .service
                .draft_command(&id, &Command::Start)
                .await
                .unwrap();
            ids.push(id);
        }
        wait_completed(&state, &ids, Duration::from_secs(30)).await;
        check_drafts(&state, &ids, 2, 2).await;
        let metrics = reqwest::get(format!("http://{}/metrics", running.address))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            metrics.contains("athlos_deadline_lateness_seconds_count 12"),
            "{metrics}"
        );
        running.stop().await.unwrap();
        database.drop_it().await;
    }
}

#[tokio::test]
async fn two_servers_on_one_database_fire_each_pick_clock_once() {
    // On PostgreSQL: two processes' schedulers share the deadlines (SKIP LOCKED); SQLite is
    // one process's file and the memory store cannot be shared.
    for database in common::databases().await {
        if !database.url.starts_with("postgres") {
            database.drop_it().await;
            continue;
        }
        let (first, state) = serve(&database.url).await;
        let (second, _) = serve(&database.url).await;
        let ids: Vec<DraftId> = (0..40)
            .map(|n| DraftId::new(format!("shared-{n:02}")).unwrap())
            .collect();
        for id in &ids {
            state
                .service
                .create_draft(settings(id.as_str(), 3, 2), "commish", Vec::new())
                .await
                .unwrap();
            state
                .service
                .draft_command(id, &Command::Start)
                .await
                .unwrap();
        }
        wait_completed(&state, &ids, Duration::from_secs(60)).await;
        check_drafts(&state, &ids, 3, 2).await;
        first.stop().await.unwrap();
        second.stop().await.unwrap();
        database.drop_it().await;
    }
}
