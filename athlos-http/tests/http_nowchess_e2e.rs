//! The NowChess bot flow end to end over HTTP (issue 26, seed 004), on every database (memory,
//! SQLite, PostgreSQL): a director creates a tournament through `/api/tournament`, nine bots
//! join and open their streams, the director starts it, the fake board service plays every
//! game and calls back, the rounds advance on their own, each bot reads its `gameStart`s and
//! the `tournamentFinished` naming the winner, and `/results`, the core's standings and the
//! PGN export agree.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "support/fake_board.rs"]
mod fake_board;

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use common::{databases, post_form, token, Server};
use fake_board::FakeBoard;

const BOARD_SECRET: &str = "the e2e board secret";
const BOTS: usize = 9;
const ROUNDS: usize = 4;

/// Reads `bot`'s stream of tournament `id` to its end in the background.
fn stream(base: &str, id: &str, bot: &str) -> tokio::task::JoinHandle<Vec<Value>> {
    let url = format!("{base}/api/tournament/{id}/stream");
    let bearer = token(bot, "bot");
    tokio::spawn(async move {
        let response = reqwest::Client::new()
            .get(url)
            .bearer_auth(bearer)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let text = tokio::time::timeout(Duration::from_secs(90), response.text())
            .await
            .expect("the stream ends with the tournament")
            .unwrap();
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    })
}

/// Runs the example bot for `bot` in the background; answers what it printed once it ends.
fn example(base: &str, id: &str, bot: &str) -> tokio::task::JoinHandle<String> {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/python/nowchess_bot.py");
    let args = [
        script.display().to_string(),
        "--server".to_owned(),
        base.to_owned(),
        "--token".to_owned(),
        token(bot, "bot"),
        "--tournament".to_owned(),
        id.to_owned(),
    ];
    tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new("python3")
            .args(args)
            .output()
            .expect("python3 runs the example bot");
        let printed = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "the example bot failed: {printed}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        printed
    })
}

async fn text(server: &Server, path: &str, accept: &str) -> String {
    common::get_text(&server.base, path, accept).await
}

/// The objects of an NDJSON answer.
async fn ndjson(server: &Server, path: &str) -> Vec<Value> {
    text(server, path, "application/x-ndjson")
        .await
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nine_bots_play_a_board_swiss_from_join_to_the_winner() {
    for database in databases().await {
        let board = FakeBoard::start(BOARD_SECRET).await;
        let board_url = board.url.clone();
        let server = Server::start_with(&database.url, |config| {
            config.board = athlos_http::server::nowchess_board::client::BoardConfig {
                url: Some(board_url),
                secret: Some(BOARD_SECRET.to_owned()),
            };
            config.stream_keep_alive = Duration::from_millis(500);
        })
        .await;
        board.set_callback(server.url("/api/board/callback"));
        played(&server, &board, &database.url).await;
        server.stop().await;
        database.drop_it().await;
    }
}

async fn played(server: &Server, board: &FakeBoard, database: &str) {
    let director = token("e2e-director", "director");
    let (status, created) = post_form(
        &server.base,
        "/api/tournament",
        &director,
        &format!("name=Friday+Night+Bots&nbRounds={ROUNDS}&clockLimit=60&clockIncrement=1"),
    )
    .await;
    assert_eq!(status, 201, "{database}: {created}");
    assert_eq!(created["status"], "created");
    let id = created["id"].as_str().unwrap().to_owned();
    let bots: Vec<String> = (1..=BOTS).map(|n| format!("e2e-bot{n}")).collect();
    // The last bot is the example bot (`examples/python/nowchess_bot.py`): it joins and
    // follows the tournament by itself.
    let (example_bot, bots) = bots.split_last().unwrap();
    let example = example(&server.base, &id, example_bot);
    for bot in bots {
        let (status, ok) = post_form(
            &server.base,
            &format!("/api/tournament/{id}/join"),
            &token(bot, "bot"),
            "",
        )
        .await;
        assert_eq!((status, &ok), (200, &serde_json::json!({"ok": true})));
    }
    let streams: Vec<_> = bots
        .iter()
        .map(|bot| (bot.clone(), stream(&server.base, &id, bot)))
        .collect();
    for _ in 0..200 {
        let t = server.get(&format!("/api/tournament/{id}")).await;
        if t["nbPlayers"] == BOTS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, started) = post_form(
        &server.base,
        &format!("/api/tournament/{id}/start"),
        &director,
        "",
    )
    .await;
    assert_eq!(status, 200, "{started}");

    // Every bot reads its games and the end.
    let mut read = Vec::new();
    for (bot, handle) in streams {
        read.push((bot, handle.await.unwrap()));
    }
    let games = board.games();
    let mut winners = Vec::new();
    let mut seen = 0;
    for (bot, lines) in read {
        let kinds: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
        assert_eq!(
            kinds.first(),
            Some(&"tournamentStarted"),
            "{bot}: {kinds:?}"
        );
        assert_eq!(
            kinds.last(),
            Some(&"tournamentFinished"),
            "{bot}: {kinds:?}"
        );
        assert_eq!(
            kinds.iter().filter(|k| **k == "roundStarted").count(),
            ROUNDS
        );
        for start in lines.iter().filter(|l| l["type"] == "gameStart") {
            seen += 1;
            let game_id = start["gameId"].as_str().unwrap();
            let color = start["color"].as_str().unwrap();
            let game = games
                .values()
                .find(|g| g.id == game_id)
                .unwrap_or_else(|| panic!("{bot}: game {game_id} is on the board"));
            assert_eq!(game.body[color]["id"], bot.as_str(), "{bot} plays {color}");
        }
        winners.push(lines.last().unwrap()["winner"]["id"].clone());
    }
    // The example bot read its games, the winner and the results.
    let printed = example.await.unwrap();
    let its_games = games
        .values()
        .filter(|g| {
            g.body["white"]["id"] == example_bot.as_str()
                || g.body["black"]["id"] == example_bot.as_str()
        })
        .count();
    seen += printed.lines().filter(|l| l.starts_with("round ")).count();
    assert_eq!(
        printed.lines().filter(|l| l.starts_with("round ")).count(),
        its_games,
        "{printed}"
    );
    assert!(
        printed.contains(&format!("finished; winner: {{\"id\": {}", winners[0])),
        "{printed}"
    );
    assert_eq!(
        printed
            .lines()
            .filter(|l| l.starts_with("result: "))
            .count(),
        BOTS
    );
    // Nine bots: four games a round, each read by both of its bots.
    assert_eq!(seen, 2 * (BOTS / 2) * ROUNDS);
    assert_eq!(games.len(), (BOTS / 2) * ROUNDS, "one board game a pairing");
    assert!(winners.windows(2).all(|w| w[0] == w[1]), "{winners:?}");

    // The results, the core's standings and the export agree.
    let finished: Value = server.get(&format!("/api/tournament/{id}")).await;
    assert_eq!(finished["status"], "finished");
    assert_eq!(finished["winner"]["id"], winners[0]);
    let results = ndjson(server, &format!("/api/tournament/{id}/results")).await;
    assert_eq!(results.len(), BOTS);
    assert_eq!(results[0]["bot"]["id"], winners[0]);
    let standings = server.get(&format!("/v1/tournaments/{id}/standings")).await;
    let core: BTreeMap<String, (u64, f64)> = standings["standings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["participant"].as_str().unwrap().to_owned(),
                (
                    row["rank"].as_u64().unwrap(),
                    row["points"].as_f64().unwrap(),
                ),
            )
        })
        .collect();
    for result in &results {
        let bot = result["bot"]["id"].as_str().unwrap();
        assert_eq!(
            (
                result["rank"].as_u64().unwrap(),
                result["points"].as_f64().unwrap()
            ),
            core[bot],
            "{bot}"
        );
    }
    let pgn = text(
        server,
        &format!("/api/tournament/{id}/export/games"),
        "application/x-chess-pgn",
    )
    .await;
    assert_eq!(pgn.matches("[Event ").count(), games.len());
    for game in games.values() {
        assert!(
            pgn.contains(&format!("[GameId \"{}\"]", game.id)),
            "{}",
            game.id
        );
    }
    let decided = pgn.matches("[Result \"1-0\"]").count()
        + pgn.matches("[Result \"0-1\"]").count()
        + pgn.matches("[Result \"1/2-1/2\"]").count();
    assert_eq!(decided, games.len(), "every game has its result");
    // Each game's movetext is the fake board's script in SAN, numbered, then its result.
    let blocks: Vec<&str> = pgn.split("[Event ").skip(1).collect();
    assert_eq!(blocks.len(), games.len());
    for block in blocks {
        let result = block
            .split("[Result \"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("a result tag: {block}"));
        let movetext = format!("\n\n1. e4 e5 2. Nf3 Nc6 3. Bc4 Nf6 {result}\n\n");
        assert!(block.ends_with(&movetext), "{block}");
    }
    // The NDJSON export carries each game's moves as the board reported them.
    let exported = ndjson(server, &format!("/api/tournament/{id}/export/games")).await;
    assert_eq!(exported.len(), games.len());
    for game in games.values() {
        let line = exported
            .iter()
            .find(|e| e["id"] == game.id.as_str())
            .unwrap_or_else(|| panic!("{} is exported", game.id));
        assert_eq!(line["moves"], game.moves.join(" "), "{}", game.id);
        assert!(!game.moves.is_empty());
    }
}
