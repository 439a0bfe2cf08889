//! Brackets as SVG pictures over real HTTP: `GET …/divisions/{division_id}/bracket.svg` and
//! `GET /v1/tournaments/{tournament_id}/bracket.svg` answer `image/svg+xml`, the same bytes as
//! the core's `Bracket::to_svg` of the bracket the JSON routes answer; 404 `no_bracket` (a JSON
//! error) when there is nothing to draw; listed in `/openapi.json`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use athlos_core::bracket::Bracket;
use common::{sides, token, Server};
use serde_json::{json, Value};

/// Status, content type and body of a GET without a token (reads need none).
async fn fetch(server: &Server, path: &str) -> (u16, String, String) {
    let response = server.client.get(server.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

/// A picture: 200 with `image/svg+xml`.
async fn picture(server: &Server, path: &str) -> String {
    let (status, content_type, body) = fetch(server, path).await;
    assert_eq!(status, 200, "GET {path}: {body}");
    assert_eq!(content_type, "image/svg+xml", "GET {path}");
    assert!(
        body.starts_with("<?xml") && body.ends_with("</svg>\n"),
        "{body}"
    );
    body
}

/// A JSON error with `status` and `code`; returns its message.
async fn refused(server: &Server, path: &str, status: u16, code: &str) -> String {
    let (got, content_type, body) = fetch(server, path).await;
    assert_eq!(got, status, "GET {path}: {body}");
    assert!(content_type.starts_with("application/json"), "GET {path}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["code"], code, "GET {path}: {body}");
    body["error"].as_str().unwrap().to_owned()
}

/// The bracket of a division's JSON route.
async fn division_bracket(server: &Server, path: &str) -> Bracket {
    let view = server.get(path).await;
    serde_json::from_value(view["bracket"].clone()).unwrap()
}

async fn divisions(server: &Server) {
    let director = token("svg-director", "director");
    server.event_with_division(&director, "ev", "d").await;
    let base = "/v1/events/ev/divisions/d";
    let message = refused(server, &format!("{base}/bracket.svg"), 404, "no_bracket").await;
    assert!(message.contains("no bracket yet"), "{message}");
    refused(
        server,
        "/v1/events/ev/divisions/nope/bracket.svg",
        404,
        "unknown_division",
    )
    .await;

    let field: Vec<Value> = ["Ann <A&B>", "Bea \"B\"", "Cid", "Dan", "Eve"]
        .iter()
        .enumerate()
        .map(|(i, name)| json!({"id": format!("p{i}"), "name": name, "seed": i + 1}))
        .collect();
    server
        .post(
            &format!("{base}/participants"),
            &director,
            json!(field),
            200,
        )
        .await;
    server
        .post(&format!("{base}/generate"), &director, json!({}), 200)
        .await;
    let fresh = picture(server, &format!("{base}/bracket.svg")).await;
    let bracket = division_bracket(server, &format!("{base}/bracket")).await;
    assert_eq!(fresh, bracket.to_svg());
    assert!(fresh.contains("Ann &lt;A&amp;B&gt;") && fresh.contains("Bea &quot;B&quot;"));
    assert!(!fresh.contains("<A&B>"));

    // Versions and tags read as on the JSON route.
    assert_eq!(
        picture(server, &format!("{base}/bracket.svg?version=1")).await,
        fresh
    );
    assert_eq!(
        picture(server, &format!("{base}/bracket.svg?tag=current")).await,
        fresh
    );
    refused(
        server,
        &format!("{base}/bracket.svg?version=9"),
        404,
        "unknown_version",
    )
    .await;
    refused(
        server,
        &format!("{base}/bracket.svg?version=1&tag=current"),
        400,
        "invalid_input",
    )
    .await;

    // A result shows at once.
    server
        .post(&format!("{base}/lock-bracket"), &director, json!({}), 200)
        .await;
    let view = server.get(&format!("{base}/bracket")).await;
    let ready = view["bracket"]["matches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["status"] == "ready")
        .unwrap()
        .clone();
    let winner = sides(&ready)[1].clone();
    server
        .post(
            &format!("{base}/matches/{}/result", ready["id"].as_str().unwrap()),
            &director,
            json!({"type": "win", "winner": winner, "score": [1, 7]}),
            200,
        )
        .await;
    let played = picture(server, &format!("{base}/bracket.svg")).await;
    assert_ne!(played, fresh);
    assert_eq!(
        played,
        division_bracket(server, &format!("{base}/bracket"))
            .await
            .to_svg()
    );
    assert!(played.contains("class=\"e win\">7</text>"), "{played}");
}

async fn tournaments(server: &Server) {
    let director = token("svg-arena", "director");
    let knockout = json!({
        "id": "ko",
        "name": "Knockout",
        "rules": {"options": {"format": "single_elimination"}, "min_entries": 4, "seed": 3},
    });
    server
        .post("/v1/tournaments", &director, knockout.clone(), 201)
        .await;
    let message = refused(server, "/v1/tournaments/ko/bracket.svg", 404, "no_bracket").await;
    assert!(
        message.contains("drawn when the tournament starts"),
        "{message}"
    );
    let mut knockout = knockout;
    knockout["id"] = json!("ko2");
    server.started_with_bots(&director, knockout, 6).await;
    let fresh = picture(server, "/v1/tournaments/ko2/bracket.svg").await;
    for n in 1..=6 {
        assert!(
            fresh.contains(&format!(">Bot {n}</text>")),
            "Bot {n}: {fresh}"
        );
    }
    assert!(fresh.contains(">MAIN-R1-M1"), "{fresh}");
    let pairings = server.get("/v1/tournaments/ko2/rounds/1/pairings").await;
    let game = pairings["pairings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["status"] == "ready")
        .unwrap()
        .clone();
    let winner = game["sides"][0].as_str().unwrap().to_owned();
    server
        .post(
            &format!(
                "/v1/tournaments/ko2/matches/{}/result",
                game["match_id"].as_str().unwrap()
            ),
            &director,
            json!({"type": "win", "winner": winner}),
            200,
        )
        .await;
    let played = picture(server, "/v1/tournaments/ko2/bracket.svg").await;
    let marks = |svg: &str| svg.matches("class=\"mark\"").count();
    assert_eq!(marks(&played), marks(&fresh) + 1, "the winner is marked");

    let swiss = json!({"id": "sw", "name": "Swiss", "rules": {"swiss": {"rounds": 3}}});
    server.started_with_bots(&director, swiss, 4).await;
    let message = refused(server, "/v1/tournaments/sw/bracket.svg", 404, "no_bracket").await;
    assert!(message.contains("Swiss"), "{message}");
    refused(
        server,
        "/v1/tournaments/nope/bracket.svg",
        404,
        "unknown_tournament",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brackets_as_pictures_on_every_store() {
    for database in common::databases().await {
        let server = Server::start_with(&database.url, |_| {}).await;
        divisions(&server).await;
        tournaments(&server).await;
        server.stop().await;
        database.drop_it().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pictures_are_in_the_openapi_document() {
    let server = Server::start().await;
    let api = server.get("/openapi.json").await;
    for path in [
        "/v1/events/{event_id}/divisions/{division_id}/bracket.svg",
        "/v1/tournaments/{tournament_id}/bracket.svg",
    ] {
        let responses = &api["paths"][path]["get"]["responses"];
        assert_eq!(
            responses["200"]["content"]["image/svg+xml"]["schema"]["type"], "string",
            "{path}: {responses}"
        );
        assert_eq!(
            responses["404"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ErrorBody",
            "{path}"
        );
    }
    let division = &api["paths"]["/v1/events/{event_id}/divisions/{division_id}/bracket.svg"];
    let names: Vec<&str> = division["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["event_id", "division_id", "version", "tag", "If-None-Match"]
    );
    server.stop().await;
}
