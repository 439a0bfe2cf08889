//! Tournaments over real HTTP: bots join, the director starts, bots report their own results,
//! rounds advance (by hand and by themselves), standings and the NDJSON export.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{token, Server};
use serde_json::{json, Value};

async fn create(server: &Server, director: &str, id: &str, format: &str, extra: Value) {
    let mut body = json!({
        "id": id,
        "name": format!("{id} arena"),
        "rules": {"options": {"format": format}, "min_entries": 4, "seed": 11},
    });
    if let (Value::Object(map), Value::Object(more)) = (&mut body, extra) {
        map.extend(more);
    }
    server.post("/v1/tournaments", director, body, 201).await;
}

/// Plays every round: in each pairing the lower-numbered bot wins and reports it itself.
async fn play(server: &Server, id: &str, auto_advance: bool, director: &str) -> u32 {
    let mut rounds = 0;
    loop {
        let t = server.get(&format!("/v1/tournaments/{id}")).await;
        if t["state"] != "active" {
            return rounds;
        }
        let round = t["round"].as_u64().unwrap();
        let pairings = server
            .get(&format!("/v1/tournaments/{id}/rounds/{round}/pairings"))
            .await;
        for p in pairings["pairings"].as_array().unwrap() {
            if p["status"] != "ready" {
                continue;
            }
            let players: Vec<String> = p["sides"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect();
            let winner = players
                .iter()
                .min_by_key(|b| b[1..].parse::<u32>().unwrap())
                .unwrap();
            let reporter = token(&players[1], "bot");
            server
                .post(
                    &format!(
                        "/v1/tournaments/{id}/matches/{}/result",
                        p["match_id"].as_str().unwrap()
                    ),
                    &reporter,
                    json!({"type": "win", "winner": winner}),
                    200,
                )
                .await;
        }
        rounds += 1;
        if !auto_advance {
            server
                .post(
                    &format!("/v1/tournaments/{id}/advance"),
                    director,
                    json!(null),
                    200,
                )
                .await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bots_play_a_knockout_and_a_round_robin() {
    for database in common::databases().await {
        let server = Server::start_with(&database.url, |_| {}).await;
        let director = token("arena-director", "director");
        create(
            &server,
            &director,
            "ko",
            "single_elimination",
            json!({"self_reporting": true, "auto_advance": true}),
        )
        .await;
        create(
            &server,
            &director,
            "rr",
            "round_robin",
            json!({"self_reporting": true}),
        )
        .await;
        for id in ["ko", "rr"] {
            server
                .post(
                    &format!("/v1/tournaments/{id}/publish"),
                    &director,
                    json!(null),
                    200,
                )
                .await;
        }
        // The list filters by state and pages.
        let registration = server
            .get("/v1/tournaments?status=registration&limit=1&offset=1")
            .await;
        assert_eq!(registration["tournaments"].as_array().unwrap().len(), 1);
        assert_eq!(registration["tournaments"][0]["id"], "rr");
        for n in 1..=8 {
            let bot = format!("b{n}");
            for id in ["ko", "rr"] {
                server
                    .post(
                        &format!("/v1/tournaments/{id}/join"),
                        &token(&bot, "bot"),
                        json!({"name": format!("Bot {n}"), "rating": 2000 - n}),
                        200,
                    )
                    .await;
            }
        }
        // b8 leaves the round robin before the start; the director registers a stand-in.
        server
            .post(
                "/v1/tournaments/rr/withdraw",
                &token("b8", "bot"),
                json!(null),
                200,
            )
            .await;
        server
            .post(
                "/v1/tournaments/rr/register",
                &director,
                json!({"id": "b9", "name": "Stand-in"}),
                200,
            )
            .await;
        server
            .post(
                "/v1/tournaments/rr/unregister",
                &director,
                json!({"participant": "b9"}),
                200,
            )
            .await;
        for id in ["ko", "rr"] {
            let started = server
                .post(
                    &format!("/v1/tournaments/{id}/start"),
                    &director,
                    json!(null),
                    200,
                )
                .await;
            assert_eq!(started["state"], "active");
            assert_eq!(started["round"], 1);
        }
        // A result outside the current round is refused.
        let later = server.get("/v1/tournaments/ko").await;
        assert_eq!(later["rounds"], 3);
        let ko_rounds = play(&server, "ko", true, &director).await;
        assert_eq!(ko_rounds, 3);
        let rr_rounds = play(&server, "rr", false, &director).await;
        assert_eq!(rr_rounds, 7, "7 entries: 7 rounds of the circle method");
        for id in ["ko", "rr"] {
            let t = server.get(&format!("/v1/tournaments/{id}")).await;
            assert_eq!(t["state"], "completed", "{t}");
            let standings = server.get(&format!("/v1/tournaments/{id}/standings")).await;
            assert_eq!(standings["final"], true);
            let first = &standings["standings"][0];
            assert_eq!(first["participant"], "b1", "{standings}");
            assert_eq!(first["rank"], 1);
            assert_eq!(first["losses"], 0);
        }
        let rr = server.get("/v1/tournaments/rr/standings").await;
        let b1 = &rr["standings"][0];
        assert_eq!(
            (b1["wins"].as_u64(), b1["points"].as_f64()),
            (Some(6), Some(6.0))
        );
        // NDJSON export: one line per entry, match and standing.
        let response = server
            .client
            .get(server.url("/v1/tournaments/rr/export?format=ndjson"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["content-type"], "application/x-ndjson");
        let text = response.text().await.unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let count = |kind: &str| lines.iter().filter(|l| l["type"] == kind).count();
        assert_eq!(
            (
                count("tournament"),
                count("entry"),
                count("match"),
                count("standing")
            ),
            (1, 7, 21, 7)
        );
        // Archive; a finished tournament cannot be cancelled.
        server
            .post("/v1/tournaments/rr/archive", &director, json!(null), 200)
            .await;
        let refused = server
            .post("/v1/tournaments/ko/cancel", &director, json!(null), 409)
            .await;
        assert_eq!(refused["state"], "completed");
        assert_eq!(refused["allowed_actions"], json!(["archive"]));
        server.stop().await;
        database.drop_it().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_only_for_pending_matches_of_the_current_round() {
    let server = Server::start().await;
    let director = token("td", "director");
    create(&server, &director, "ko", "single_elimination", json!({})).await;
    server
        .post("/v1/tournaments/ko/publish", &director, json!(null), 200)
        .await;
    for n in 1..=4 {
        server
            .post(
                "/v1/tournaments/ko/join",
                &token(&format!("b{n}"), "bot"),
                json!({}),
                200,
            )
            .await;
    }
    server
        .post("/v1/tournaments/ko/start", &director, json!(null), 200)
        .await;
    let t = server.get("/v1/tournaments/ko").await;
    let (status, body) = server
        .send("GET", "/v1/tournaments/ko/rounds/2/pairings", None, None)
        .await;
    assert_eq!(status, 404, "{body}");
    let pairings = server.get("/v1/tournaments/ko/rounds/1/pairings").await;
    let first = &pairings["pairings"][0];
    let winner = first["sides"][0].as_str().unwrap();
    let path = format!(
        "/v1/tournaments/ko/matches/{}/result",
        first["match_id"].as_str().unwrap()
    );
    server
        .post(
            &path,
            &director,
            json!({"type": "win", "winner": winner}),
            200,
        )
        .await;
    // Twice: the same result is a no-op (200, no event); another one is refused with the
    // recorded result.
    let again = server
        .post(
            &path,
            &director,
            json!({"type": "win", "winner": winner}),
            200,
        )
        .await;
    assert_eq!(again["events"], json!([]));
    let loser = first["sides"][1].as_str().unwrap();
    let other = server
        .post(
            &path,
            &director,
            json!({"type": "win", "winner": loser}),
            409,
        )
        .await;
    assert_eq!(other["code"], "result_exists");
    assert_eq!(other["recorded"], json!({"type": "win", "winner": winner}));
    // The final is not in round 1.
    let export = server
        .client
        .get(server.url("/v1/tournaments/ko/export"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let final_id = export
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|l| l["type"] == "match" && l["round"] == 2)
        .unwrap()["match_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let final_path = format!("/v1/tournaments/ko/matches/{final_id}/result");
    let refused = server
        .post(
            &final_path,
            &director,
            json!({"type": "win", "winner": winner}),
            409,
        )
        .await;
    assert_eq!(refused["code"], "not_in_current_round");
    // Advancing with the round unfinished is refused with the guard.
    let body = server
        .post("/v1/tournaments/ko/advance", &director, json!(null), 409)
        .await;
    assert_eq!(body["code"], "guard_failed");
    assert_eq!(t["round"], 1);

    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tournament_is_deleted_only_by_its_director_before_the_start() {
    for database in common::databases().await {
        let server = Server::start_with(&database.url, |_| {}).await;
        let director = token("td", "director");
        let stranger = token("someone-else", "director");
        for id in ["draft-cup", "open-cup", "live-cup"] {
            create(&server, &director, id, "single_elimination", json!({})).await;
        }
        let draft = server.get("/v1/tournaments/draft-cup").await;
        assert_eq!(
            draft["allowed_actions"],
            json!(["edit", "publish", "cancel", "delete"])
        );
        for id in ["open-cup", "live-cup"] {
            server
                .post(
                    &format!("/v1/tournaments/{id}/publish"),
                    &director,
                    json!(null),
                    200,
                )
                .await;
        }
        for n in 1..=4 {
            server
                .post(
                    "/v1/tournaments/live-cup/join",
                    &token(&format!("b{n}"), "bot"),
                    json!({}),
                    200,
                )
                .await;
        }
        server
            .post(
                "/v1/tournaments/live-cup/start",
                &director,
                json!(null),
                200,
            )
            .await;
        let before = server.get("/v1/tournaments?limit=10").await["tournaments"]
            .as_array()
            .unwrap()
            .len();
        assert_eq!(before, 3);

        // No token, someone else's token: refused, nothing deleted.
        let (status, body) = server
            .send("DELETE", "/v1/tournaments/open-cup", None, None)
            .await;
        assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")));
        let (status, body) = server
            .send("DELETE", "/v1/tournaments/open-cup", Some(&stranger), None)
            .await;
        assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")));

        // In draft and in registration: deleted, with the event that says so.
        for (id, state) in [("draft-cup", "draft"), ("open-cup", "registration")] {
            let path = format!("/v1/tournaments/{id}");
            let (status, body) = server.send("DELETE", &path, Some(&director), None).await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["deleted"], true);
            let event = &body["events"][0];
            assert_eq!(event["type"], "tournament.deleted");
            assert_eq!(event["data"], json!({"tournament": id, "state": state}));
            let (status, body) = server.send("GET", &path, None, None).await;
            assert_eq!(
                (status, body["code"].as_str()),
                (404, Some("unknown_tournament"))
            );
            let (status, _) = server.send("DELETE", &path, Some(&director), None).await;
            assert_eq!(status, 404);
        }
        let left = server.get("/v1/tournaments?limit=10").await;
        let ids: Vec<&str> = left["tournaments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["live-cup"]);

        // Started: 409 with the state and what may be done instead.
        let (status, body) = server
            .send("DELETE", "/v1/tournaments/live-cup", Some(&director), None)
            .await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["code"], "invalid_transition");
        assert_eq!(body["state"], "active");
        assert_eq!(
            body["allowed_actions"],
            json!(["record_result", "abandon_match", "withdraw", "advance"])
        );
        server.get("/v1/tournaments/live-cup").await;

        // The id stays its director's: another creator is refused, the director may reuse it
        // (with settings of their choice).
        let mut again = json!({
            "id": "draft-cup",
            "name": "again",
            "rules": {"options": {"format": "single_elimination"}, "min_entries": 2, "seed": 1},
        });
        let taken = server
            .post("/v1/tournaments", &stranger, again.clone(), 409)
            .await;
        assert_eq!(taken["code"], "id_taken");
        again["self_reporting"] = json!(true);
        let recreated = server.post("/v1/tournaments", &director, again, 201).await;
        assert_eq!(
            (
                recreated["version"].as_u64(),
                recreated["state"].as_str(),
                recreated["self_reporting"].as_bool()
            ),
            (Some(1), Some("draft"), Some(true))
        );
        server.stop().await;
        database.drop_it().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdrawing_someone_not_entered_is_a_conflict_before_and_after_the_start() {
    let server = Server::start().await;
    let director = token("td", "director");
    create(&server, &director, "ko", "single_elimination", json!({})).await;
    server
        .post("/v1/tournaments/ko/publish", &director, json!(null), 200)
        .await;
    let outsider = token("outsider", "bot");
    let refused = server
        .post("/v1/tournaments/ko/withdraw", &outsider, json!(null), 409)
        .await;
    assert_eq!(refused["code"], "not_entered");
    for n in 1..=4 {
        server
            .post(
                "/v1/tournaments/ko/join",
                &token(&format!("b{n}"), "bot"),
                json!({}),
                200,
            )
            .await;
    }
    server
        .post("/v1/tournaments/ko/start", &director, json!(null), 200)
        .await;
    let refused = server
        .post("/v1/tournaments/ko/withdraw", &outsider, json!(null), 409)
        .await;
    assert_eq!(refused["code"], "not_entered");
    // An entrant withdraws once; the second time is a conflict too.
    let b1 = token("b1", "bot");
    server
        .post("/v1/tournaments/ko/withdraw", &b1, json!(null), 200)
        .await;
    let again = server
        .post("/v1/tournaments/ko/withdraw", &b1, json!(null), 409)
        .await;
    assert_eq!(again["code"], "already_withdrawn");
    server.stop().await;
}
