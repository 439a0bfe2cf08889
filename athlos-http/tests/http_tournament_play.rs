//! Tournaments over real HTTP, on SQLite and PostgreSQL: edits in draft
//! (`PATCH /v1/tournaments/{id}`), abandoned matches (`{"type": "double_forfeit"}` on the
//! result route) and teams (`/v1/tournaments/{id}/teams`), with every refusal.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{token, Server};
use serde_json::{json, Value};

/// A request with an optional token, JSON body and `If-Match`; the status, the `ETag` and the
/// JSON answer.
async fn request(
    server: &Server,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
    if_match: Option<&str>,
) -> (u16, Option<String>, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = server.client.request(method, server.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    if let Some(tag) = if_match {
        request = request.header("If-Match", tag);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let etag = response
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = response.text().await.unwrap();
    assert!(status < 500, "{path}: server error {status}: {text}");
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    (status, etag, value)
}

async fn patch(server: &Server, token: &str, body: Value, if_match: Option<&str>) -> (u16, Value) {
    let (status, _, answer) = request(
        server,
        "PATCH",
        "/v1/tournaments/cup",
        Some(token),
        Some(&body),
        if_match,
    )
    .await;
    (status, answer)
}

/// Sends raw bytes as a JSON body.
async fn raw(server: &Server, method: &str, path: &str, token: &str, body: &str) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let response = server
        .client
        .request(method, server.url(path))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_is_edited_by_its_director_and_not_after_publishing() {
    for database in common::databases().await {
        let server = Server::start_with(&database.url, |_| {}).await;
        let td = token("td", "director");
        let admin = token("root", "admin");
        let stranger = token("someone", "director");
        server
            .post(
                "/v1/tournaments",
                &td,
                json!({"id": "cup", "name": "Cup", "rules": {"options": {"format": "single_elimination"}}}),
                201,
            )
            .await;
        let created = server.get("/v1/tournaments/cup").await;
        assert_eq!(created["starts_at"], Value::Null);
        assert_eq!(created["teams"], json!([]));
        assert_eq!(
            created["allowed_actions"],
            json!(["edit", "publish", "cancel", "delete"])
        );

        // Refusals that change nothing.
        let (status, _, body) = request(
            &server,
            "PATCH",
            "/v1/tournaments/cup",
            None,
            Some(&json!({"name": "X"})),
            None,
        )
        .await;
        assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")));
        let (status, body) = patch(&server, &stranger, json!({"name": "X"}), None).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")));
        let (status, _, body) = request(
            &server,
            "PATCH",
            "/v1/tournaments/nope",
            Some(&td),
            Some(&json!({"name": "X"})),
            None,
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (404, Some("unknown_tournament"))
        );
        let (status, body) = patch(&server, &td, json!({"colour": "red"}), None).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("invalid_input"))
        );
        let (status, body) = patch(&server, &td, json!({"starts_at": "tomorrow"}), None).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("invalid_input"))
        );
        assert_eq!(body["field"], "starts_at");
        let (status, body) = raw(&server, "PATCH", "/v1/tournaments/cup", &td, "{\"name\": ").await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("invalid_input"))
        );
        let (status, body) = patch(
            &server,
            &td,
            json!({"min_entries": 8, "max_entries": 4}),
            None,
        )
        .await;
        assert_eq!((status, body["code"].as_str()), (422, Some("entry_limits")));
        assert_eq!(body["error"], "max_entries 4 is below min_entries 8");
        let (status, body) = patch(
            &server,
            &td,
            json!({"rules": {"swiss": {"rounds": 0}}}),
            None,
        )
        .await;
        assert_eq!((status, body["code"].as_str()), (422, Some("no_rounds")));
        let (status, body) = patch(&server, &td, json!({"name": "X"}), Some("\"v7\"")).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (412, Some("precondition_failed"))
        );
        assert_eq!(body["current_version"], 1);
        assert_eq!(server.get("/v1/tournaments/cup").await, created);

        // The director edits at the version read.
        let (status, etag, edited) = request(
            &server,
            "PATCH",
            "/v1/tournaments/cup",
            Some(&td),
            Some(&json!({
                "name": "Winter Cup",
                "rules": {"swiss": {"rounds": 3}},
                "min_entries": 4,
                "max_entries": 8,
                "starts_at": "2026-12-24T19:00:00+01:00",
            })),
            Some("\"v1\""),
        )
        .await;
        assert_eq!(status, 200, "{edited}");
        assert_eq!(etag.as_deref(), Some("\"v2\""));
        assert_eq!(edited["version"], 2);
        assert_eq!(edited["name"], "Winter Cup");
        assert_eq!(edited["state"], "draft");
        assert_eq!(edited["starts_at"], "2026-12-24T18:00:00Z");
        assert_eq!(edited["rules"]["swiss"]["rounds"], 3);
        assert_eq!(edited["rules"]["min_entries"], 4);
        assert_eq!(edited["rules"]["max_entries"], 8);
        let events = edited["events"].as_array().unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0]["type"], "tournament.edited");
        assert_eq!(events[0]["version"], 2);
        assert_eq!(events[0]["data"]["tournament"], "cup");
        assert_eq!(events[0]["data"]["name"], "Winter Cup");
        assert_eq!(events[0]["data"]["starts_at"], "2026-12-24T18:00:00Z");
        assert_eq!(events[0]["data"]["rules"], edited["rules"]);

        // The same edit again: no event, the same version.
        let (status, same) = patch(&server, &td, json!({"name": "Winter Cup"}), None).await;
        assert_eq!(status, 200);
        assert_eq!(
            (same["version"].as_u64(), same["events"].clone()),
            (Some(2), json!([]))
        );

        // An admin edits too; `null` clears the limit and the start time.
        let (status, cleared) = patch(
            &server,
            &admin,
            json!({"max_entries": null, "starts_at": null}),
            None,
        )
        .await;
        assert_eq!(status, 200, "{cleared}");
        assert_eq!(cleared["version"], 3);
        assert_eq!(cleared["starts_at"], Value::Null);
        assert!(cleared["rules"].get("max_entries").is_none(), "{cleared}");

        // The log has the edits.
        let log = server.get("/v1/tournaments/cup").await;
        assert_eq!(log["name"], "Winter Cup");

        // Published: 409 with the state and what it allows.
        server
            .post("/v1/tournaments/cup/publish", &td, json!(null), 200)
            .await;
        let (status, body) = patch(&server, &td, json!({"name": "Late"}), None).await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["code"], "invalid_transition");
        assert_eq!(body["state"], "registration");
        assert_eq!(
            body["allowed_actions"],
            json!([
                "join",
                "withdraw",
                "register_team",
                "unregister_team",
                "start",
                "cancel",
                "delete"
            ])
        );
        assert_eq!(
            server.get("/v1/tournaments/cup").await["name"],
            "Winter Cup"
        );
        server.stop().await;
        database.drop_it().await;
    }
}

/// The pairings of round `round` of `id`.
async fn pairings(server: &Server, id: &str, round: u32) -> Vec<Value> {
    server
        .get(&format!("/v1/tournaments/{id}/rounds/{round}/pairings"))
        .await["pairings"]
        .as_array()
        .unwrap()
        .clone()
}

fn side(game: &Value, slot: usize) -> String {
    game["sides"][slot].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_match_is_a_double_forfeit_the_director_records() {
    for database in common::databases().await {
        let server = Server::start_with(&database.url, |_| {}).await;
        let td = token("td", "director");
        let abandon = json!({"type": "double_forfeit"});

        // Before the start: 409 from the lifecycle.
        server
            .post(
                "/v1/tournaments",
                &td,
                json!({"id": "early", "name": "Early", "rules": {"options": {"format": "single_elimination"}}}),
                201,
            )
            .await;
        let refused = server
            .post(
                "/v1/tournaments/early/matches/MAIN-R1-M1/result",
                &td,
                abandon.clone(),
                409,
            )
            .await;
        assert_eq!(refused["code"], "invalid_transition");
        assert_eq!(refused["state"], "draft");

        // A knockout of four with self-reporting.
        server
            .started_with_bots(
                &td,
                json!({"id": "ko", "name": "KO", "self_reporting": true,
                       "rules": {"options": {"format": "single_elimination"}}}),
                4,
            )
            .await;
        let round = pairings(&server, "ko", 1).await;
        let (first, second) = (&round[0], &round[1]);
        let first_path = format!(
            "/v1/tournaments/ko/matches/{}/result",
            first["match_id"].as_str().unwrap()
        );
        // An entrant may report a win but not abandon.
        let entrant = token(&side(first, 0), "bot");
        let refused = server
            .post(&first_path, &entrant, abandon.clone(), 403)
            .await;
        assert_eq!(refused["code"], "forbidden");
        // A double forfeit names no winner.
        let refused = server
            .post(
                &first_path,
                &td,
                json!({"type": "double_forfeit", "winner": side(first, 0)}),
                400,
            )
            .await;
        assert_eq!(refused["code"], "invalid_input");
        let stale = server
            .client
            .post(server.url(&first_path))
            .bearer_auth(&td)
            .header("If-Match", "\"v1\"")
            .json(&abandon)
            .send()
            .await
            .unwrap();
        assert_eq!(stale.status().as_u16(), 412);

        let done = server.post(&first_path, &td, abandon.clone(), 200).await;
        let events = done["events"].as_array().unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0]["type"], "match.result");
        assert_eq!(events[0]["data"]["result"], abandon);
        assert_eq!(events[0]["data"]["match"], first["match_id"]);
        // Again: nothing changes.
        let again = server.post(&first_path, &td, abandon.clone(), 200).await;
        assert_eq!(again["events"], json!([]));
        assert_eq!(again["version"], done["version"]);
        let round = pairings(&server, "ko", 1).await;
        assert_eq!(round[0]["status"], "walkover");
        assert_eq!(round[0]["result"], abandon);

        let winner = side(second, 0);
        let second_path = format!(
            "/v1/tournaments/ko/matches/{}/result",
            second["match_id"].as_str().unwrap()
        );
        server
            .post(
                &second_path,
                &td,
                json!({"type": "win", "winner": winner}),
                200,
            )
            .await;
        server
            .post("/v1/tournaments/ko/advance", &td, json!(null), 200)
            .await;
        // Nobody came out of the abandoned semi-final: the final is a bye for the winner.
        let final_round = pairings(&server, "ko", 2).await;
        assert_eq!(final_round.len(), 1);
        assert_eq!(final_round[0]["status"], "bye");
        let finished = server
            .post("/v1/tournaments/ko/advance", &td, json!(null), 200)
            .await;
        assert_eq!(finished["state"], "completed");
        let standings = server.get("/v1/tournaments/ko/standings").await;
        let table: Vec<(u64, String)> = standings["standings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["rank"].as_u64().unwrap(),
                    r["participant"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(table[0], (1, winner.clone()));
        assert_eq!(
            table.iter().filter(|(rank, _)| *rank == 2).count(),
            3,
            "{standings}"
        );
        // Completed: the same abandonment again changes nothing; another is 409 with what
        // the state allows.
        let again = server.post(&first_path, &td, abandon.clone(), 200).await;
        assert_eq!(again["events"], json!([]));
        let refused = server
            .post(
                &second_path,
                &td,
                json!({"type": "double_forfeit", "correction": true}),
                409,
            )
            .await;
        assert_eq!(refused["state"], "completed");
        assert_eq!(refused["allowed_actions"], json!(["archive"]));

        // A Swiss: both sides score nothing.
        server
            .started_with_bots(
                &td,
                json!({"id": "sw", "name": "SW", "rules": {"swiss": {"rounds": 2}}}),
                4,
            )
            .await;
        let round = pairings(&server, "sw", 1).await;
        let path = |game: &Value| {
            format!(
                "/v1/tournaments/sw/matches/{}/result",
                game["match_id"].as_str().unwrap()
            )
        };
        server
            .post(&path(&round[0]), &td, abandon.clone(), 200)
            .await;
        server
            .post(
                &path(&round[1]),
                &td,
                json!({"type": "win", "winner": side(&round[1], 0)}),
                200,
            )
            .await;
        let standings = server.get("/v1/tournaments/sw/standings").await;
        for slot in 0..2 {
            let who = side(&round[0], slot);
            let row = standings["standings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["participant"] == who.as_str())
                .unwrap()
                .clone();
            assert_eq!(
                (
                    row["points"].as_f64(),
                    row["wins"].as_u64(),
                    row["losses"].as_u64()
                ),
                (Some(0.0), Some(0), Some(1)),
                "{row}"
            );
        }
        server.stop().await;
        database.drop_it().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn teams_register_and_leave_during_registration() {
    for database in common::databases().await {
        let server = Server::start_with(&database.url, |_| {}).await;
        let td = token("td", "director");
        let ann = token("ann", "player");
        let bob = token("bob", "player");
        let eve = token("eve", "player");
        server
            .post(
                "/v1/tournaments",
                &td,
                json!({"id": "cup", "name": "Cup", "rules": {"options": {"format": "single_elimination"}, "max_entries": 3}}),
                201,
            )
            .await;
        let dragons = json!({"id": "dragons", "name": "Fierce Dragons", "members": ["ann", "bob"]});
        // Not in draft.
        let refused = server
            .post("/v1/tournaments/cup/teams", &ann, dragons.clone(), 409)
            .await;
        assert_eq!(refused["code"], "invalid_transition");
        assert_eq!(refused["state"], "draft");
        server
            .post("/v1/tournaments/cup/publish", &td, json!(null), 200)
            .await;
        let listed = server.get("/v1/tournaments/cup/teams").await;
        assert_eq!(listed, json!({"tournament": "cup", "teams": []}));

        // Who registers must be on the team, or direct the tournament.
        let refused = server
            .post("/v1/tournaments/cup/teams", &eve, dragons.clone(), 403)
            .await;
        assert_eq!(refused["code"], "forbidden");
        let (status, _, _) = request(
            &server,
            "POST",
            "/v1/tournaments/cup/teams",
            None,
            Some(&dragons),
            None,
        )
        .await;
        assert_eq!(status, 401);
        // Malformed bodies.
        for bad in [
            json!({"id": "x", "name": "X"}),
            json!({"id": "x", "name": "X", "members": "ann"}),
            json!({"id": "", "name": "X", "members": ["ann"]}),
            json!({"id": "x", "name": "X", "members": ["ann"], "captain": "ann"}),
        ] {
            let refused = server
                .post("/v1/tournaments/cup/teams", &ann, bad.clone(), 400)
                .await;
            assert_eq!(refused["code"], "invalid_input", "{bad}");
        }
        let refused = server
            .post(
                "/v1/tournaments/cup/teams",
                &ann,
                json!({"id": "x", "name": "X", "members": ["ann", "ann"]}),
                422,
            )
            .await;
        assert_eq!(refused["code"], "invalid_team");
        assert_eq!(refused["error"], "invalid team: \"ann\" is listed twice");
        let refused = server
            .post(
                "/v1/tournaments/cup/teams",
                &td,
                json!({"id": "x", "name": " ", "members": ["zed"]}),
                422,
            )
            .await;
        assert_eq!(refused["code"], "invalid_team");
        let (status, _, body) = request(
            &server,
            "POST",
            "/v1/tournaments/cup/teams",
            Some(&ann),
            Some(&dragons),
            Some("\"v1\""),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (412, Some("precondition_failed"))
        );

        // A member registers the team: it is an entry.
        let registered = server
            .post("/v1/tournaments/cup/teams", &ann, dragons.clone(), 200)
            .await;
        assert_eq!(
            registered["entries"],
            json!([{"id": "dragons", "name": "Fierce Dragons"}])
        );
        assert_eq!(registered["teams"], json!([dragons.clone()]));
        assert_eq!(registered["events"], json!([]));
        // One team per member; an entry id is taken.
        let refused = server
            .post(
                "/v1/tournaments/cup/teams",
                &bob,
                json!({"id": "tigers", "name": "Tigers", "members": ["bob", "cat"]}),
                409,
            )
            .await;
        assert_eq!(refused["code"], "on_another_team");
        assert_eq!(
            refused["error"],
            "\"bob\" is already on team \"dragons\" of \"cup\": one team per tournament"
        );
        let refused = server
            .post(
                "/v1/tournaments/cup/teams",
                &eve,
                json!({"id": "dragons", "name": "Copycats", "members": ["eve"]}),
                409,
            )
            .await;
        assert_eq!(refused["code"], "already_entered");
        // The director registers a team on its behalf.
        let tigers = json!({"id": "tigers", "name": "Tigers", "members": ["cat"]});
        server
            .post("/v1/tournaments/cup/teams", &td, tigers.clone(), 200)
            .await;
        server
            .post(
                "/v1/tournaments/cup/teams",
                &eve,
                json!({"id": "eagles", "name": "Eagles", "members": ["eve"]}),
                200,
            )
            .await;
        // Full (max_entries 3): the guard refuses.
        let refused = server
            .post(
                "/v1/tournaments/cup/teams",
                &token("dan", "player"),
                json!({"id": "owls", "name": "Owls", "members": ["dan"]}),
                409,
            )
            .await;
        assert_eq!(refused["code"], "guard_failed");
        let listed = server.get("/v1/tournaments/cup/teams").await;
        assert_eq!(
            listed["teams"],
            json!([dragons.clone(), tigers.clone(), {"id": "eagles", "name": "Eagles", "members": ["eve"]}])
        );

        // Leaving: a member or the director.
        let (status, _, body) = request(
            &server,
            "DELETE",
            "/v1/tournaments/cup/teams/tigers",
            Some(&ann),
            None,
            None,
        )
        .await;
        assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")));
        let (status, _, body) = request(
            &server,
            "DELETE",
            "/v1/tournaments/cup/teams/ghosts",
            Some(&td),
            None,
            None,
        )
        .await;
        assert_eq!((status, body["code"].as_str()), (404, Some("unknown_team")));
        let (status, _, body) = request(
            &server,
            "DELETE",
            "/v1/tournaments/cup/teams/eagles",
            Some(&eve),
            None,
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["teams"], json!([dragons.clone(), tigers.clone()]));
        assert_eq!(body["entries"].as_array().unwrap().len(), 2);
        let (status, _, _) = request(
            &server,
            "DELETE",
            "/v1/tournaments/cup/teams/tigers",
            Some(&td),
            None,
            None,
        )
        .await;
        assert_eq!(status, 200);
        server
            .post("/v1/tournaments/cup/teams", &td, tigers.clone(), 200)
            .await;

        // Started: teams play as entries and no longer register or leave.
        let started = server
            .post("/v1/tournaments/cup/start", &td, json!(null), 200)
            .await;
        assert_eq!(started["state"], "active");
        let round = pairings(&server, "cup", 1).await;
        assert_eq!(round[0]["sides"], json!(["dragons", "tigers"]));
        let (status, _, body) = request(
            &server,
            "DELETE",
            "/v1/tournaments/cup/teams/tigers",
            Some(&td),
            None,
            None,
        )
        .await;
        assert_eq!((status, body["state"].as_str()), (409, Some("active")));
        let refused = server
            .post(
                "/v1/tournaments/cup/teams",
                &token("dan", "player"),
                json!({"id": "owls", "name": "Owls", "members": ["dan"]}),
                409,
            )
            .await;
        assert_eq!(refused["code"], "invalid_transition");
        let (status, _, _) = request(
            &server,
            "GET",
            "/v1/tournaments/nope/teams",
            None,
            None,
            None,
        )
        .await;
        assert_eq!(status, 404);
        server.stop().await;
        database.drop_it().await;
    }
}
