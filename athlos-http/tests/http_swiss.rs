//! A 9-round Swiss for 40 bots over real HTTP: join, start, results, advance, final
//! standings, and the exported TRF-16 giving the same standings through `athlos standings`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;

use common::{token, Server};
use serde_json::{json, Value};

/// A fixed outcome per game: mostly the lower-numbered bot wins, some draws, some upsets.
fn outcome(round: u64, white: &str, black: &str) -> Value {
    let n = |id: &str| id[3..].parse::<u64>().unwrap();
    let (w, b) = (n(white), n(black));
    match (round * 7 + w * 3 + b) % 6 {
        0 => json!({"type": "draw"}),
        1 => json!({"type": "win", "winner": if w > b { white } else { black }}),
        _ => json!({"type": "win", "winner": if w < b { white } else { black }}),
    }
}

async fn swiss(server: &Server) {
    let director = token("arbiter", "director");
    server
        .post(
            "/v1/tournaments",
            &director,
            json!({
                "id": "bot-swiss",
                "name": "Bot Swiss",
                "self_reporting": true,
                "rules": {
                    "options": {"format": "single_elimination"},
                    "min_entries": 2,
                    "seed": 1,
                    "swiss": {"rounds": 9, "tiebreaks": ["BH:C1", "BH", "SB", "DE"]}
                }
            }),
            201,
        )
        .await;
    server
        .post(
            "/v1/tournaments/bot-swiss/publish",
            &director,
            json!(null),
            200,
        )
        .await;
    for n in 1..=40 {
        let bot = format!("bot{n}");
        server
            .post(
                "/v1/tournaments/bot-swiss/join",
                &token(&bot, "bot"),
                json!({"name": format!("Bot {n:02}"), "rating": 2600 - n * 15}),
                200,
            )
            .await;
    }
    let started = server
        .post(
            "/v1/tournaments/bot-swiss/start",
            &director,
            json!(null),
            200,
        )
        .await;
    assert_eq!(started["rounds"], 9);
    for round in 1..=9u64 {
        let pairings = server
            .get(&format!(
                "/v1/tournaments/bot-swiss/rounds/{round}/pairings"
            ))
            .await;
        let games = pairings["pairings"].as_array().unwrap();
        assert_eq!(games.len(), 20, "round {round}: 40 bots make 20 games");
        for game in games {
            let white = game["sides"][0].as_str().unwrap();
            let black = game["sides"][1].as_str().unwrap();
            // The black player reports (self-reporting).
            server
                .post(
                    &format!(
                        "/v1/tournaments/bot-swiss/matches/{}/result",
                        game["match_id"].as_str().unwrap()
                    ),
                    &token(black, "bot"),
                    outcome(round, white, black),
                    200,
                )
                .await;
        }
        let advanced = server
            .post(
                "/v1/tournaments/bot-swiss/advance",
                &director,
                json!(null),
                200,
            )
            .await;
        let expected = if round == 9 { "completed" } else { "active" };
        assert_eq!(advanced["state"], expected, "after round {round}");
    }
    let standings = server.get("/v1/tournaments/bot-swiss/standings").await;
    assert_eq!(standings["final"], true);
    let rows = standings["standings"].as_array().unwrap();
    assert_eq!(rows.len(), 40);
    let total: f64 = rows.iter().map(|r| r["points"].as_f64().unwrap()).sum();
    assert_eq!(total, 180.0, "9 rounds of 20 games hand out 180 points");

    // The TRF export, read back by `athlos standings`, gives the same table.
    let trf = server
        .client
        .get(server.url("/v1/tournaments/bot-swiss/export?format=trf"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let path = std::env::temp_dir().join(format!("athlos_http_swiss_{}.trf", std::process::id()));
    std::fs::write(&path, &trf).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_athlos"))
        .args(["standings", "--json", "--tiebreaks", "BH:C1,BH,SB,DE"])
        .arg(&path)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let cli: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(cli.len(), 40);
    for (ours, theirs) in rows.iter().zip(&cli) {
        assert_eq!(ours["rank"], theirs["rank"], "{ours} vs {theirs}");
        assert_eq!(ours["number"], theirs["number"], "{ours} vs {theirs}");
        // The same decimals, byte for byte: points and every tie-break under its code.
        assert_eq!(ours["points"], theirs["points"], "{ours} vs {theirs}");
        assert_eq!(ours["tiebreaks"], theirs["tiebreaks"], "{ours} vs {theirs}");
        let mut codes: Vec<&String> = ours["tiebreaks"].as_object().unwrap().keys().collect();
        codes.sort();
        assert_eq!(codes, ["BH", "BH:C1", "DE", "SB"], "{ours}");
    }
    // The NDJSON export has every game.
    let ndjson = server
        .client
        .get(server.url("/v1/tournaments/bot-swiss/export"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let games = ndjson
        .lines()
        .filter(|l| l.contains("\"type\":\"match\""))
        .count();
    assert_eq!(games, 180);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_bots_play_nine_rounds_of_swiss() {
    for database in common::databases().await {
        eprintln!("Swiss on {}", database.url);
        let server = Server::start_with(&database.url, |_| {}).await;
        swiss(&server).await;
        server.stop().await;
        database.drop_it().await;
    }
}

/// A newcomer's minimal Swiss: no bracket options, no seed; the edition of the tie-break
/// regulations named in the rules; refusals with a message that says what to write.
async fn minimal_swiss(server: &Server) {
    let director = token("arbiter", "director");
    let created = server
        .post(
            "/v1/tournaments",
            &director,
            json!({"id": "mini", "name": "Mini", "rules": {"swiss": {"rounds": 5}}}),
            201,
        )
        .await;
    assert_eq!(created["rules"]["swiss"]["rounds"], 5, "{created}");
    assert_eq!(created["rules"]["seed"], 0, "{created}");
    assert_eq!(created["rules"]["min_entries"], 2, "{created}");
    let old = server
        .post(
            "/v1/tournaments",
            &director,
            json!({"id": "mini-2024", "name": "Mini 2024",
                   "rules": {"swiss": {"rounds": 3, "edition": "2024", "points": "3-1-0",
                                       "tiebreaks": ["BH:C1", "AOB", "TPR"]}}}),
            201,
        )
        .await;
    assert_eq!(old["rules"]["swiss"]["edition"], "2024", "{old}");
    for (rules, words) in [
        (json!({}), "either `swiss`"),
        (
            json!({"swiss": {"rounds": 5, "edition": "2025"}}),
            "2024 or 2026",
        ),
        (
            json!({"swiss": {"rounds": 5, "points": "1-1-0"}}),
            "win must be worth more",
        ),
        (
            json!({"swiss": {"rounds": 5, "tiebreaks": ["BH:Q1"]}}),
            "unknown tie-break",
        ),
    ] {
        let request = json!({"id": "bad", "name": "Bad", "rules": rules});
        let (status, body) = server
            .send("POST", "/v1/tournaments", Some(&director), Some(&request))
            .await;
        assert!((400..500).contains(&status), "{rules}: {status} {body}");
        assert!(body.to_string().contains(words), "{rules}: {body}");
    }
    // Nothing was created by the refused calls.
    let (status, _) = server.send("GET", "/v1/tournaments/bad", None, None).await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_minimal_swiss_is_accepted_and_bad_rules_are_explained() {
    for database in common::databases().await {
        let server = Server::start_with(&database.url, |_| {}).await;
        minimal_swiss(&server).await;
        server.stop().await;
        database.drop_it().await;
    }
}
