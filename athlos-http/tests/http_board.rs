//! Tournaments played on a board service (seed 004): every pairing becomes exactly one board
//! game, results come back through the signed callback, rounds advance on their own, a game
//! the board refuses is retried then forfeited, and the bots' stream tells each bot its games.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "support/fake_board.rs"]
mod fake_board;

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use athlos_core::bracket::MatchResult;
use athlos_core::event::EventData;
use athlos_core::id::TournamentId;
use athlos_core::model::Participant;
use athlos_core::service::board_game_key;
use athlos_core::store::{EventLog, JobStore};
use athlos_core::tournament::{BoardGames, Tournament, TournamentRules, TournamentSettings};
use athlos_http::server::{self, AppState};
use athlos_runner::JobHandler;

use common::token;
use fake_board::FakeBoard;

const BOARD_SECRET: &str = "a board secret for the tests";

/// A server on a fresh memory store using `board`; its state and base URL.
async fn serve(board: &FakeBoard) -> (AppState, server::Running, String) {
    serve_on(board, Arc::new(athlos_core::clock::SystemClock)).await
}

/// The same, reading the time from `clock`.
async fn serve_on(
    board: &FakeBoard,
    clock: server::SharedClock,
) -> (AppState, server::Running, String) {
    let config = server::Config {
        address: "127.0.0.1:0".parse().unwrap(),
        jwt_secret: common::SECRET.to_owned(),
        job_poll: Duration::from_millis(20),
        stream_keep_alive: Duration::from_millis(500),
        board: server::nowchess_board::client::BoardConfig {
            url: Some(board.url.clone()),
            secret: Some(BOARD_SECRET.to_owned()),
        },
        ..server::Config::default()
    };
    let opened = server::open_store("memory://").await.unwrap();
    let state = opened.into_state(config, clock);
    let running = server::start(state.clone()).await.unwrap();
    let base = format!("http://{}", running.address);
    board.set_callback(format!("{base}/api/board/callback"));
    (state, running, base)
}

/// Creates a board-played Swiss of `rounds` rounds directed by `dir` and enters `bots`
/// bots `b1`, `b2` … (not started).
async fn board_swiss(state: &AppState, id: &str, rounds: u32, bots: u32) -> TournamentId {
    let id = TournamentId::new(id).unwrap();
    let rules: TournamentRules =
        serde_json::from_value(serde_json::json!({"swiss": {"rounds": rounds}})).unwrap();
    let settings = TournamentSettings {
        director: Some("dir".to_owned()),
        self_reporting: false,
        auto_advance: true,
        board: Some(BoardGames {
            clock_limit: 60,
            clock_increment: 1,
            rated: false,
        }),
        withdrawals_close_at_start: true,
    };
    let service = &state.service;
    service
        .create_tournament_with(id.clone(), "Bots", rules, settings)
        .await
        .unwrap();
    service.publish(&id).await.unwrap();
    for n in 1..=bots {
        let bot = Participant::new(format!("b{n}"), format!("Bot {n}")).unwrap();
        service.join(&id, bot).await.unwrap();
    }
    id
}

/// Waits (up to 60 s) until `id` is finished; answers it.
async fn finished(state: &AppState, id: &TournamentId) -> Tournament {
    for _ in 0..600 {
        let t = state.service.tournament(id).await.unwrap().value;
        if t.finished_at.is_some() {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("tournament {id} did not finish");
}

/// Opens `sub`'s stream of `id` and reads it to its end in the background.
fn read_stream(base: &str, id: &TournamentId, sub: &str) -> tokio::task::JoinHandle<Vec<Value>> {
    let url = format!("{base}/api/tournament/{id}/stream");
    let bearer = token(sub, "bot");
    tokio::spawn(async move {
        let response = reqwest::Client::new()
            .get(url)
            .bearer_auth(bearer)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let text = response.text().await.unwrap();
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    })
}

/// The `board.game_created` events of the log.
async fn created_events(state: &AppState) -> Vec<EventData> {
    state
        .store
        .events_after(0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.event.data)
        .filter(|d| matches!(d, EventData::BoardGameCreated { .. }))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_pairing_is_one_board_game_and_the_swiss_plays_itself_to_the_end() {
    let board = FakeBoard::start(BOARD_SECRET).await;
    let (state, running, base) = serve(&board).await;
    let id = board_swiss(&state, "bots", 3, 5).await;
    // The first answer for round 1's first game is lost: the retry must not create another.
    let first: athlos_core::bracket::MatchId = "MAIN-R1-M1".parse().unwrap();
    let first_key = board_game_key(&id, &first);
    board.lose_first_answer(&first_key);
    let streams: Vec<_> = (1..=5)
        .map(|n| (format!("b{n}"), read_stream(&base, &id, &format!("b{n}"))))
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    state.service.start(&id).await.unwrap();
    let done = finished(&state, &id).await;

    // Every pairing with two players is exactly one game, recorded once.
    let play = done.swiss().unwrap();
    let mut paired = 0;
    for round in &play.rounds {
        for game in &round.games {
            if game.black.is_some() {
                paired += 1;
                assert!(done.board_games.contains_key(&game.id), "{}", game.id);
                assert!(matches!(
                    game.result,
                    Some(MatchResult::Win { .. } | MatchResult::Draw { .. })
                ));
            }
        }
    }
    assert_eq!(play.rounds.len(), 3);
    assert_eq!(done.board_games.len(), paired);
    let games = board.games();
    assert_eq!(games.len(), paired, "one board game a pairing");
    assert_eq!(created_events(&state).await.len(), paired);
    let requests = board.requests();
    assert_eq!(
        requests.iter().filter(|k| **k == first_key).count(),
        2,
        "the lost answer was retried"
    );
    assert_eq!(board.accepted() as usize, paired);
    for (key, game) in &games {
        assert_eq!(game.moves.len(), fake_board::SCRIPT.len(), "{key}");
        assert_eq!(game.body["clock"]["limit"], 60);
    }

    // Running a finished creation job again creates nothing and logs nothing.
    let job = state.store.job_by_key(&first_key).await.unwrap().unwrap();
    let handler = server::jobs::Handler::new(state.clone());
    handler.run(job.clone()).await.unwrap();
    handler.run(job).await.unwrap();
    assert_eq!(board.games().len(), paired);
    assert_eq!(created_events(&state).await.len(), paired);

    // Each bot read its own games with their ids and colours, and the winner.
    let standings = state.service.standings(&id).await.unwrap();
    let winner = standings[0].participant.to_string();
    for (bot, stream) in streams {
        let lines = stream.await.unwrap();
        let kinds: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
        assert_eq!(kinds[0], "tournamentStarted", "{bot}: {kinds:?}");
        assert_eq!(kinds.iter().filter(|k| **k == "roundStarted").count(), 3);
        assert_eq!(kinds.iter().filter(|k| **k == "roundFinished").count(), 3);
        let mine: Vec<_> = play
            .rounds
            .iter()
            .flat_map(|r| &r.games)
            .filter(|g| g.black.is_some())
            .filter(|g| g.white.as_str() == bot || g.black.as_ref().unwrap().as_str() == bot)
            .collect();
        let starts: Vec<&Value> = lines.iter().filter(|l| l["type"] == "gameStart").collect();
        assert_eq!(starts.len(), mine.len(), "{bot}: {lines:?}");
        for (start, game) in starts.iter().zip(&mine) {
            assert_eq!(start["gameId"], done.board_games[&game.id].as_str());
            let color = if game.white.as_str() == bot {
                "white"
            } else {
                "black"
            };
            assert_eq!(start["color"], color);
            assert_eq!(start["round"], game.id.round());
            assert_eq!(start["tournamentId"], "bots");
        }
        let last = lines.last().unwrap();
        assert_eq!(last["type"], "tournamentFinished");
        assert_eq!(last["winner"]["id"], winner.as_str());
        assert!(last["winner"]["name"].as_str().unwrap().starts_with("Bot "));
    }
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_game_the_board_refuses_is_retried_then_forfeited() {
    let board = FakeBoard::start(BOARD_SECRET).await;
    board.refuse("b2");
    let (state, running, _base) = serve(&board).await;
    let id = board_swiss(&state, "refused", 1, 2).await;
    state.service.start(&id).await.unwrap();
    let done = finished(&state, &id).await;
    let game = &done.swiss().unwrap().rounds[0].games[0];
    assert_eq!(game.result, Some(MatchResult::DoubleForfeit {}));
    assert!(done.board_games.is_empty());
    let key = board_game_key(&id, &game.id);
    assert_eq!(
        board.requests().iter().filter(|k| **k == key).count(),
        athlos_core::service::BOARD_CREATE_ATTEMPTS as usize
    );
    let forfeited = state
        .store
        .events_after(0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .any(|l| {
            matches!(
                l.event.data,
                EventData::MatchResult {
                    result: MatchResult::DoubleForfeit {},
                    ..
                }
            )
        });
    assert!(forfeited, "the forfeit is in the events");
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_needs_a_bot_of_the_tournament_or_its_director() {
    let board = FakeBoard::start(BOARD_SECRET).await;
    let (state, running, base) = serve(&board).await;
    let id = board_swiss(&state, "guarded", 1, 2).await;
    let client = reqwest::Client::new();
    let url = format!("{base}/api/tournament/{id}/stream");
    let anonymous = client.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let body: Value = anonymous.json().await.unwrap();
    assert!(body["error"].is_string());
    let stranger = client
        .get(&url)
        .bearer_auth(token("b9", "bot"))
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), 403);
    let unknown = client
        .get(format!("{base}/api/tournament/nope/stream"))
        .bearer_auth(token("b1", "bot"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    for sub in ["b1", "dir"] {
        let allowed = client
            .get(&url)
            .bearer_auth(token(sub, "bot"))
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .unwrap();
        assert_eq!(allowed.status(), 200, "{sub}");
        assert_eq!(allowed.headers()["content-type"], "application/x-ndjson");
    }
    // A callback without the right signature is refused.
    let unsigned = client
        .post(format!("{base}/api/board/callback"))
        .header("x-board-signature", "sha256=00")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    // Signed, but with moves that are not UCI: the core refuses them before anything is read
    // (the tournament does not even exist).
    let body = serde_json::json!({"gameId": "g1", "tournamentId": "nobody", "match": "MAIN-R1-M1",
                                  "winner": "white", "moves": "e2e4 Nf3"});
    let (status, answer) = signed_callback(&base, &body).await;
    assert_eq!(status, 422, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("(\"Nf3\", Black's move 1): not a UCI move"),
        "{answer}"
    );
    // Legal moves for a tournament that does not exist: 404.
    let body = serde_json::json!({"gameId": "g1", "tournamentId": "nobody", "match": "MAIN-R1-M1",
                                  "winner": "white", "moves": "e2e4"});
    assert_eq!(signed_callback(&base, &body).await.0, 404);
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_game_that_never_ends_is_forfeited_at_its_deadline() {
    let board = FakeBoard::start(BOARD_SECRET).await;
    board.silence("b1");
    let clock = Arc::new(athlos_core::clock::ManualClock::new(chrono::Utc::now()));
    let (state, running, _base) = serve_on(&board, clock.clone()).await;
    let id = board_swiss(&state, "silent", 1, 2).await;
    state.service.start(&id).await.unwrap();
    // The game is created and recorded, then nothing happens.
    let mut recorded = false;
    for _ in 0..300 {
        let t = state.service.tournament(&id).await.unwrap().value;
        if !t.board_games.is_empty() {
            recorded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(recorded, "the game was created");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let t = state.service.tournament(&id).await.unwrap().value;
    assert!(t.finished_at.is_none(), "no result before the deadline");
    let deadline = athlos_core::service::game_deadline(t.board.as_ref().unwrap());
    clock.advance(deadline + chrono::Duration::seconds(1));
    let done = finished(&state, &id).await;
    let game = &done.swiss().unwrap().rounds[0].games[0];
    assert_eq!(game.result, Some(MatchResult::DoubleForfeit {}));
    running.stop().await.unwrap();
}

/// Posts a signed callback with `body` to `base`; its status and JSON answer.
async fn signed_callback(base: &str, body: &Value) -> (u16, Value) {
    let body = body.to_string();
    let answer = reqwest::Client::new()
        .post(format!("{base}/api/board/callback"))
        .header(
            "x-board-signature",
            server::nowchess_board::client::sign(BOARD_SECRET, body.as_bytes()),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    (answer.status().as_u16(), answer.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn moves_that_are_no_legal_game_or_a_winner_against_the_mate_are_refused() {
    let board = FakeBoard::start(BOARD_SECRET).await;
    // The board creates the game and never reports its end: the test does.
    board.silence("b1");
    let (state, running, base) = serve(&board).await;
    let id = board_swiss(&state, "checked", 1, 2).await;
    state.service.start(&id).await.unwrap();
    let mut created = None;
    for _ in 0..300 {
        let t = state.service.tournament(&id).await.unwrap();
        if let Some((match_id, game_id)) = t.value.board_games.clone().into_iter().next() {
            created = Some((t, match_id, game_id));
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (before, match_id, game_id) = created.expect("the game was created");
    let callback = |winner: &str, moves: &str| {
        serde_json::json!({"gameId": game_id, "tournamentId": id.as_str(),
                           "match": match_id.to_string(), "winner": winner, "moves": moves})
    };
    let scholars_mate = "e2e4 e7e5 f1c4 b8c6 d1h5 g8f6 h5f7";

    // UCI, but White's king cannot go to e3: refused, with the move and why.
    let (status, answer) = signed_callback(&base, &callback("white", "e2e4 e7e5 e1e3")).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(
        answer["error"],
        format!(
            "the moves of match {match_id} are not a legal game: \
             move 3 (\"e1e3\", White's move 2): not a legal move in the position"
        )
    );
    // White mated, but the board says Black won, then a draw: refused.
    for winner in ["black", "draw"] {
        let (status, answer) = signed_callback(&base, &callback(winner, scholars_mate)).await;
        assert_eq!(status, 422, "{answer}");
        assert_eq!(
            answer["error"],
            format!(
                "the moves of match {match_id} end in checkmate by White: \
                 the result must be a win for White"
            )
        );
    }
    // Another game than the match's: 404, whatever it says.
    let mut stranger = callback("white", scholars_mate);
    stranger["gameId"] = serde_json::json!(format!("{game_id}-other"));
    let (status, answer) = signed_callback(&base, &stranger).await;
    assert_eq!(status, 404, "{answer}");
    assert_eq!(
        answer["error"],
        format!(
            "game {game_id}-other is not the board game of match {match_id} of tournament {id}"
        )
    );
    // Nothing was recorded: the same tournament at the same version.
    let after = state.service.tournament(&id).await.unwrap();
    assert_eq!(after.version, before.version);
    assert_eq!(after.value, before.value);
    assert!(after.value.board_moves.is_empty());
    assert_eq!(after.value.swiss().unwrap().rounds[0].games[0].result, None);

    // The board's word agreeing with the mate is recorded, and the PGN gives its SAN.
    let (status, answer) = signed_callback(&base, &callback("white", scholars_mate)).await;
    assert_eq!((status, &answer), (200, &serde_json::json!({"ok": true})));
    let done = finished(&state, &id).await;
    assert_eq!(done.board_moves[&match_id], scholars_mate);
    // PGN is the export's default type.
    let export = reqwest::get(format!("{base}/api/tournament/{id}/export/games"));
    let pgn = export.await.unwrap().text().await.unwrap();
    assert!(
        pgn.contains("\n\n1. e4 e5 2. Bc4 Nc6 3. Qh5 Nf6 4. Qxf7# 1-0\n\n"),
        "{pgn}"
    );
    // Dated the day it started.
    let day = done.started_at.unwrap().format("%Y.%m.%d");
    assert!(pgn.contains(&format!("[Date \"{day}\"]")), "{pgn}");
    running.stop().await.unwrap();
}
