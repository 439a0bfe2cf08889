//! The NowChess tournament API (`/api/tournament`, seed 004's document) over real HTTP:
//! create, join, withdraw, start, results, rounds and the export, the refusals with their
//! documented statuses, and a whole 3-round Swiss whose results are recorded through /v1.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{token, Server};
use serde_json::{json, Value};

/// A request's status, content type and body text.
async fn call(
    server: &Server,
    method: &str,
    path: &str,
    token: Option<&str>,
    form: Option<&str>,
) -> (u16, String, String) {
    let client = reqwest::Client::new();
    let mut request = client.request(
        reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
        server.url(path),
    );
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(form) = form {
        request = request
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_owned());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, response.text().await.unwrap())
}

/// A JSON answer that must have `expected` status.
async fn json_call(
    server: &Server,
    method: &str,
    path: &str,
    token: Option<&str>,
    form: Option<&str>,
    expected: u16,
) -> Value {
    let (status, _, text) = call(server, method, path, token, form).await;
    assert_eq!(status, expected, "{method} {path}: {text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    }
}

/// Creates a tournament as `director`; answers it.
async fn create(server: &Server, director: &str, rounds: u32) -> Value {
    let form = format!("name=Friday+Night+Bots&nbRounds={rounds}&clockLimit=300&clockIncrement=3");
    json_call(
        server,
        "POST",
        "/api/tournament",
        Some(director),
        Some(&form),
        201,
    )
    .await
}

/// The NDJSON lines of an answer.
fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn a_whole_swiss_from_creation_to_the_winner() {
    let server = Server::start().await;
    let td = token("td", "director");
    let t = create(&server, &td, 3).await;
    let id = t["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 8);
    assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(t["status"], "created");
    assert_eq!(t["createdBy"], "td");
    assert_eq!(t["fullName"], "Friday Night Bots");
    assert_eq!(t["clock"], json!({"limit": 300, "increment": 3}));
    assert_eq!(t["rated"], true);
    assert_eq!(t["nbRounds"], 3);
    assert_eq!(t["round"], 0);
    assert_eq!(t["standing"], json!({"page": 1, "players": []}));
    assert!(t.get("winner").is_none());
    let base = format!("/api/tournament/{id}");

    // Four bots join; one leaves and comes back; the fifth leaves for good.
    for n in 1..=5 {
        let bot = token(&format!("bot{n}"), "bot");
        let ok = json_call(
            &server,
            "POST",
            &format!("{base}/join"),
            Some(&bot),
            None,
            200,
        )
        .await;
        assert_eq!(ok, json!({"ok": true}));
    }
    let bot1 = token("bot1", "bot");
    let again = json_call(
        &server,
        "POST",
        &format!("{base}/join"),
        Some(&bot1),
        None,
        409,
    )
    .await;
    assert!(again["error"].is_string());
    let bot5 = token("bot5", "bot");
    json_call(
        &server,
        "POST",
        &format!("{base}/withdraw"),
        Some(&bot5),
        None,
        200,
    )
    .await;
    let twice = json_call(
        &server,
        "POST",
        &format!("{base}/withdraw"),
        Some(&bot5),
        None,
        409,
    )
    .await;
    assert!(twice["error"].is_string());
    let shown = json_call(&server, "GET", &base, None, None, 200).await;
    assert_eq!(shown["nbPlayers"], 4);
    assert_eq!(shown["standing"]["players"].as_array().unwrap().len(), 4);

    // Only the director starts it.
    json_call(
        &server,
        "POST",
        &format!("{base}/start"),
        Some(&bot1),
        None,
        403,
    )
    .await;
    let started = json_call(
        &server,
        "POST",
        &format!("{base}/start"),
        Some(&td),
        None,
        200,
    )
    .await;
    assert_eq!(started["status"], "started");
    assert_eq!(started["round"], 1);
    json_call(
        &server,
        "POST",
        &format!("{base}/start"),
        Some(&td),
        None,
        409,
    )
    .await;
    json_call(
        &server,
        "POST",
        &format!("{base}/join"),
        Some(&bot5),
        None,
        409,
    )
    .await;
    // Withdrawals close at the start in this profile: the core refuses, nothing changes.
    let refused = json_call(
        &server,
        "POST",
        &format!("{base}/withdraw"),
        Some(&bot1),
        None,
        409,
    )
    .await;
    assert!(
        refused["error"]
            .as_str()
            .is_some_and(|e| e.contains("withdraw")),
        "{refused}"
    );
    let still = json_call(&server, "GET", &base, None, None, 200).await;
    assert_eq!(still["nbPlayers"], started["nbPlayers"]);
    // Started: `startsAt` is when.
    assert!(
        started["startsAt"]
            .as_str()
            .is_some_and(|at| chrono::DateTime::parse_from_rfc3339(at).is_ok()),
        "{started}"
    );
    json_call(&server, "DELETE", &base, Some(&td), None, 409).await;
    let listed = json_call(&server, "GET", "/api/tournament", None, None, 200).await;
    assert!(listed["started"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["id"] == id.as_str()));

    // Three rounds: white wins every game, recorded by the director through /v1.
    for round in 1..=3u32 {
        let view = json_call(
            &server,
            "GET",
            &format!("{base}/round/{round}"),
            None,
            None,
            200,
        )
        .await;
        assert_eq!(view["round"], round);
        let pairings = view["pairings"].as_array().unwrap();
        assert_eq!(pairings.len(), 2, "round {round}: {view}");
        for pairing in pairings {
            assert_eq!(pairing["round"], round);
            assert!(pairing["winner"].is_null());
            assert!(pairing["white"]["id"].is_string() && pairing["black"]["id"].is_string());
            let game = pairing["gameId"].as_str().unwrap();
            server
                .post(
                    &format!("/v1/tournaments/{id}/matches/{game}/result"),
                    &td,
                    json!({"type": "win", "winner": pairing["white"]["id"]}),
                    200,
                )
                .await;
        }
        let view = json_call(
            &server,
            "GET",
            &format!("{base}/round/{round}"),
            None,
            None,
            200,
        )
        .await;
        assert!(view["pairings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["winner"] == "white"));
        let now = json_call(&server, "GET", &base, None, None, 200).await;
        let expected = if round == 3 { "finished" } else { "started" };
        assert_eq!(now["status"], expected, "after round {round}: {now}");
    }
    let finished = json_call(&server, "GET", &base, None, None, 200).await;
    assert_eq!(finished["round"], 3);

    // The results agree with the core's standings and name the winner.
    let (status, kind, text) = call(&server, "GET", &format!("{base}/results"), None, None).await;
    assert_eq!((status, kind.as_str()), (200, "application/x-ndjson"));
    let results = lines(&text);
    assert_eq!(results.len(), 4);
    let standings = server.get(&format!("/v1/tournaments/{id}/standings")).await;
    let rows = standings["standings"].as_array().unwrap();
    for (result, row) in results.iter().zip(rows) {
        assert_eq!(result["bot"]["id"], row["participant"], "{result} vs {row}");
        assert_eq!(result["rank"], row["rank"]);
        assert_eq!(result["nbGames"], 3);
    }
    assert!(results
        .windows(2)
        .all(|w| w[0]["rank"].as_u64() <= w[1]["rank"].as_u64()));
    assert_eq!(finished["winner"], results[0]["bot"]);
    assert!(results[0]["tieBreak"].is_number() && results[0]["points"].is_number());
    let (_, _, two) = call(&server, "GET", &format!("{base}/results?nb=2"), None, None).await;
    assert_eq!(lines(&two), results[..2].to_vec());

    // The export: PGN by default, NDJSON on request; no moves yet.
    let (status, kind, pgn) =
        call(&server, "GET", &format!("{base}/export/games"), None, None).await;
    assert_eq!((status, kind.as_str()), (200, "application/x-chess-pgn"));
    assert_eq!(pgn.matches("[Event \"Friday Night Bots\"]").count(), 6);
    assert_eq!(pgn.matches("[Result \"1-0\"]").count(), 6);
    assert!(pgn.contains("[Round \"3\"]"));
    let response = reqwest::Client::new()
        .get(server.url(&format!("{base}/export/games")))
        .header("accept", "application/x-ndjson")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    let games = lines(&response.text().await.unwrap());
    assert_eq!(games.len(), 6);
    assert!(games
        .iter()
        .all(|g| g["winner"] == "white" && g["moves"] == ""));
    let listed = json_call(&server, "GET", "/api/tournament", None, None, 200).await;
    assert!(listed["finished"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["id"] == id.as_str()));
    server.stop().await;
}

#[tokio::test]
async fn refusals_have_the_documented_statuses_and_error_bodies() {
    let server = Server::start().await;
    let td = token("td", "director");
    // Bad forms: 400 with `error`.
    for form in [
        "nbRounds=3&clockLimit=300&clockIncrement=3",
        "name=&nbRounds=3&clockLimit=300&clockIncrement=3",
        "name=x&nbRounds=0&clockLimit=300&clockIncrement=3",
        "name=x&nbRounds=three&clockLimit=300&clockIncrement=3",
        "name=x&nbRounds=3&clockLimit=-1&clockIncrement=3",
        "name=x&nbRounds=3&clockLimit=300",
        "name=x&nbRounds=3&clockLimit=300&clockIncrement=3&rated=maybe",
        "%zz",
    ] {
        let refused = json_call(
            &server,
            "POST",
            "/api/tournament",
            Some(&td),
            Some(form),
            400,
        )
        .await;
        assert!(refused["error"].is_string(), "{form}: {refused}");
    }
    let (status, _, _) = call(&server, "POST", "/api/tournament", Some(&td), None).await;
    assert_eq!(status, 400, "no form");
    let refused = json_call(
        &server,
        "POST",
        "/api/tournament",
        None,
        Some("name=x&nbRounds=3&clockLimit=300&clockIncrement=3"),
        401,
    )
    .await;
    assert!(refused["error"].is_string());
    let unrated = json_call(
        &server,
        "POST",
        "/api/tournament",
        Some(&td),
        Some("name=x&nbRounds=3&clockLimit=60&clockIncrement=0&rated=false"),
        201,
    )
    .await;
    assert_eq!(unrated["rated"], false);

    // Short, distinct ids.
    let mut ids = std::collections::HashSet::new();
    for _ in 0..20 {
        let t = create(&server, &td, 2).await;
        let id = t["id"].as_str().unwrap().to_owned();
        assert_eq!(id.len(), 8);
        assert!(ids.insert(id));
    }

    // Unknown ids: 404 everywhere.
    for (method, path) in [
        ("GET", "/api/tournament/nope1234"),
        ("DELETE", "/api/tournament/nope1234"),
        ("POST", "/api/tournament/nope1234/start"),
        ("POST", "/api/tournament/nope1234/join"),
        ("POST", "/api/tournament/nope1234/withdraw"),
        ("GET", "/api/tournament/nope1234/results"),
        ("GET", "/api/tournament/nope1234/round/1"),
        ("GET", "/api/tournament/nope1234/export/games"),
    ] {
        let bot = token("bot1", "bot");
        let refused = json_call(&server, method, path, Some(&bot), None, 404).await;
        assert!(refused["error"].is_string(), "{method} {path}");
    }

    // Roles and auth.
    let t = create(&server, &td, 2).await;
    let base = format!("/api/tournament/{}", t["id"].as_str().unwrap());
    let player = token("alice", "player");
    let refused = json_call(
        &server,
        "POST",
        &format!("{base}/join"),
        Some(&player),
        None,
        403,
    )
    .await;
    assert!(refused["error"].is_string());
    json_call(
        &server,
        "POST",
        &format!("{base}/withdraw"),
        Some(&player),
        None,
        403,
    )
    .await;
    json_call(&server, "POST", &format!("{base}/join"), None, None, 401).await;
    json_call(&server, "POST", &format!("{base}/start"), None, None, 401).await;
    json_call(
        &server,
        "POST",
        &format!("{base}/join"),
        Some("garbage"),
        None,
        401,
    )
    .await;
    let bot = token("bot1", "bot");
    json_call(
        &server,
        "POST",
        &format!("{base}/join"),
        Some(&bot),
        None,
        200,
    )
    .await;
    // One bot is not enough to start.
    let refused = json_call(
        &server,
        "POST",
        &format!("{base}/start"),
        Some(&td),
        None,
        409,
    )
    .await;
    assert!(refused["error"].is_string());
    // Rounds: bad numbers and rounds beyond the last are 404 (the document's only refusal
    // of its reads), a round not paired yet is empty.
    json_call(&server, "GET", &format!("{base}/round/0"), None, None, 404).await;
    json_call(&server, "GET", &format!("{base}/round/x"), None, None, 404).await;
    json_call(&server, "GET", &format!("{base}/round/3"), None, None, 404).await;
    let empty = json_call(&server, "GET", &format!("{base}/round/2"), None, None, 200).await;
    assert_eq!(empty, json!({"round": 2, "pairings": []}));
    for nb in ["0", "x", "-1"] {
        let path = format!("{base}/results?nb={nb}");
        json_call(&server, "GET", &path, None, None, 404).await;
    }
    // An export nobody could read is refused; `*/*` gets PGN.
    for (accept, expected) in [
        ("text/html", 404),
        ("*/*", 200),
        ("application/x-chess-pgn;q=0.9", 200),
    ] {
        let response = reqwest::Client::new()
            .get(server.url(&format!("{base}/export/games")))
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), expected, "{accept}");
    }
    let (status, _, text) = call(&server, "GET", &format!("{base}/results"), None, None).await;
    assert_eq!(status, 200);
    assert_eq!(lines(&text).len(), 1);
    // Only the director terminates; then it is gone.
    json_call(&server, "DELETE", &base, Some(&bot), None, 403).await;
    json_call(&server, "DELETE", &base, None, None, 401).await;
    json_call(&server, "DELETE", &base, Some(&td), None, 204).await;
    json_call(&server, "GET", &base, None, None, 404).await;
    server.stop().await;
}

#[tokio::test]
async fn the_seed_document_is_served_and_ours_does_not_list_it() {
    let server = Server::start().await;
    let (status, _, text) = call(&server, "GET", "/api/tournament/openapi.yaml", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(text, include_str!("../nowchess-openapi.yaml"));
    let ours = server.get("/openapi.json").await;
    let paths = ours["paths"].as_object().unwrap();
    assert!(paths.keys().all(|p| !p.starts_with("/api/tournament")));
    let listed = json_call(&server, "GET", "/api/tournament", None, None, 200).await;
    assert_eq!(
        listed,
        json!({"created": [], "started": [], "finished": []})
    );
    server.stop().await;
}
