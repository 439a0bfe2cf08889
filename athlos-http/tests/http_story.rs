//! The story of seed 001 over real HTTP, on SQLite and PostgreSQL: players sign up and sign
//! in with browser sessions, form teams and register them, and a third user follows; the
//! director edits the tournament in draft, publishes and starts it; every team member hears
//! that their match is ready; results (one match abandoned) are recorded round after round
//! until it finishes and reach the follower, the announcements and the leaderboard; the chat
//! takes the members' messages and refuses what it must.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{token, Server};
use serde_json::{json, Value};

/// A signed-in browser session: its cookie and CSRF token.
struct Session {
    user: String,
    cookie: String,
    csrf: String,
}

/// Signs `username` up and in; the session.
async fn sign_up_and_in(server: &Server, username: &str) -> Session {
    let password = format!("{username}-password-123");
    let body = json!({"username": username, "password": password, "display_name": username});
    let (status, created) = server.send("POST", "/v1/accounts", None, Some(&body)).await;
    assert_eq!(status, 201, "{created}");
    let response = server
        .client
        .post(server.url("/v1/sessions"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let signed: Value = response.json().await.unwrap();
    Session {
        user: created["id"].as_str().unwrap().to_owned(),
        cookie,
        csrf: signed["csrf_token"].as_str().unwrap().to_owned(),
    }
}

impl Session {
    /// A request made with the session (cookie and CSRF token); status and JSON answer.
    async fn send(&self, server: &Server, method: &str, path: &str, body: Value) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = server
            .client
            .request(method, server.url(path))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert!(status < 500, "{path}: {status} {text}");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

/// `session`'s notifications of `kind`.
async fn notifications(server: &Server, session: &Session, kind: &str) -> Vec<Value> {
    let path = format!("/v1/users/{}/notifications?limit=500", session.user);
    let response = server
        .client
        .get(server.url(&path))
        .header("cookie", &session.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let list: Value = response.json().await.unwrap();
    list["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == kind)
        .cloned()
        .collect()
}

/// The current round's matches that wait for a result.
async fn ready_matches(server: &Server, id: &str) -> Vec<Value> {
    let t = server.get(&format!("/v1/tournaments/{id}")).await;
    let round = t["round"].as_u64().unwrap();
    let pairings = server
        .get(&format!("/v1/tournaments/{id}/rounds/{round}/pairings"))
        .await;
    pairings["pairings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["status"] == "ready")
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_club_cup_of_seed_001() {
    for database in common::databases().await {
        let server = Server::start_with(&database.url, |_| {}).await;
        let td = token("td", "director");

        // Players sign up; each signs in with a browser session.
        let ann = sign_up_and_in(&server, "ann").await;
        let ben = sign_up_and_in(&server, "ben").await;
        let cai = sign_up_and_in(&server, "cai").await;
        let dee = sign_up_and_in(&server, "dee").await;
        let fay = sign_up_and_in(&server, "fay").await;

        // The director drafts the cup, edits it while it is a draft, publishes it; edits are
        // refused after that with the state and what it allows.
        let rules = json!({"options": {"format": "round_robin"}, "min_entries": 3, "seed": 1});
        server
            .post(
                "/v1/tournaments",
                &td,
                json!({"id": "club-cup", "name": "Club cup", "rules": rules}),
                201,
            )
            .await;
        let edit = json!({"name": "Club Cup 2026", "starts_at": "2031-06-01T18:00:00Z"});
        let edited = server
            .send("PATCH", "/v1/tournaments/club-cup", Some(&td), Some(&edit))
            .await;
        assert_eq!(edited.0, 200, "{}", edited.1);
        assert_eq!(edited.1["name"], "Club Cup 2026");
        server
            .post("/v1/tournaments/club-cup/publish", &td, json!(null), 200)
            .await;
        let late = json!({"name": "Renamed"});
        let (status, refused) = server
            .send("PATCH", "/v1/tournaments/club-cup", Some(&td), Some(&late))
            .await;
        assert_eq!(status, 409);
        assert_eq!(refused["state"], "registration");

        // Teams: a member registers each; nobody joins two; the team list shows them.
        let teams = [
            (
                &ann,
                json!({"id": "knights", "name": "Knights", "members": [ann.user, ben.user]}),
            ),
            (
                &cai,
                json!({"id": "rooks", "name": "Rooks", "members": [cai.user, dee.user]}),
            ),
        ];
        for (member, team) in &teams {
            let (status, answer) = member
                .send(
                    &server,
                    "POST",
                    "/v1/tournaments/club-cup/teams",
                    team.clone(),
                )
                .await;
            assert_eq!(status, 200, "{answer}");
        }
        let twice = json!({"id": "again", "name": "Again", "members": [ben.user]});
        let (status, answer) = ben
            .send(&server, "POST", "/v1/tournaments/club-cup/teams", twice)
            .await;
        assert_eq!(status, 409, "{answer}");
        let bishops = json!({"id": "bishops", "name": "Bishops", "members": ["gus"]});
        server
            .post("/v1/tournaments/club-cup/teams", &td, bishops, 200)
            .await;
        // A third user follows the cup.
        let (status, follows) = fay
            .send(
                &server,
                "POST",
                "/v1/tournaments/club-cup/followers",
                json!(null),
            )
            .await;
        assert_eq!(
            (status, &follows["following"]),
            (200, &json!(true)),
            "{follows}"
        );
        let listed = server.get("/v1/tournaments/club-cup/teams").await;
        let names: Vec<&str> = listed["teams"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Knights", "Rooks", "Bishops"]);

        server
            .post("/v1/tournaments/club-cup/start", &td, json!(null), 200)
            .await;

        // Every member of a team with a match in round 1 hears that it is ready, with the
        // opponent; the follower does not (it is not theirs to play).
        let round_1 = ready_matches(&server, "club-cup").await;
        for member in [&ann, &ben, &cai, &dee] {
            let team = if [&ann.user, &ben.user].contains(&&member.user) {
                "knights"
            } else {
                "rooks"
            };
            let playing = round_1
                .iter()
                .any(|m| m["sides"].as_array().unwrap().iter().any(|s| s == team));
            let ready = notifications(&server, member, "match_ready").await;
            assert_eq!(
                ready.len(),
                usize::from(playing),
                "{} {ready:?}",
                member.user
            );
            if let Some(first) = ready.first() {
                assert_eq!(first["data"]["entry"], team);
                assert!(first["data"]["opponent"].is_string());
            }
        }
        assert!(notifications(&server, &fay, "match_ready").await.is_empty());

        // The chat: members post; a non-member, a message too long, and a sixth message
        // within ten seconds are refused.
        let chat = "/v1/tournaments/club-cup/chat";
        let (status, posted) = ann
            .send(&server, "POST", chat, json!({"text": "Good luck <all>!"}))
            .await;
        assert_eq!(status, 201, "{posted}");
        assert_eq!(posted["text"], "Good luck <all>!");
        let (status, refused) = fay.send(&server, "POST", chat, json!({"text": "hi"})).await;
        assert_eq!(status, 403, "{refused}");
        let long = "x".repeat(501);
        let (status, _) = cai.send(&server, "POST", chat, json!({"text": long})).await;
        assert_eq!(status, 422);
        for n in 2..=5 {
            let (status, _) = ann
                .send(
                    &server,
                    "POST",
                    chat,
                    json!({"text": format!("message {n}")}),
                )
                .await;
            assert_eq!(status, 201);
        }
        let (status, refused) = ann
            .send(&server, "POST", chat, json!({"text": "one too many"}))
            .await;
        assert_eq!(status, 429, "{refused}");
        let page = server.get(chat).await;
        assert_eq!(page["messages"].as_array().unwrap().len(), 5);

        // Round after round: the first match is abandoned (both lose), the first side wins
        // every other; the director advances when a round is done.
        let mut abandoned = None;
        for _ in 0..10 {
            let t = server.get("/v1/tournaments/club-cup").await;
            if t["state"] != "active" {
                break;
            }
            for m in ready_matches(&server, "club-cup").await {
                let id = m["match_id"].as_str().unwrap().to_owned();
                let result = if abandoned.is_none() {
                    abandoned = Some(id.clone());
                    json!({"type": "double_forfeit"})
                } else {
                    json!({"type": "win", "winner": m["sides"][0]})
                };
                let path = format!("/v1/tournaments/club-cup/matches/{id}/result");
                server.post(&path, &td, result, 200).await;
            }
            if server.get("/v1/tournaments/club-cup").await["state"] == "active" {
                server
                    .post("/v1/tournaments/club-cup/advance", &td, json!(null), 200)
                    .await;
            }
        }
        let finished = server.get("/v1/tournaments/club-cup").await;
        assert_eq!(finished["state"], "completed", "{finished}");
        assert!(abandoned.is_some());
        let standings = server.get("/v1/tournaments/club-cup/standings").await;

        // The follower heard of every result (the abandoned one too), of the state changes,
        // and of the end; the players of their places.
        let results = notifications(&server, &fay, "result_recorded").await;
        assert_eq!(results.len(), 3, "{results:?}");
        assert!(results
            .iter()
            .any(|n| n["data"]["match"] == json!(abandoned.clone().unwrap())));
        assert!(!notifications(&server, &fay, "state_changed")
            .await
            .is_empty());
        assert_eq!(
            notifications(&server, &fay, "tournament_finished")
                .await
                .len(),
            1
        );
        let finished_for_ann = notifications(&server, &ann, "tournament_finished").await;
        assert_eq!(finished_for_ann.len(), 1);
        assert!(finished_for_ann[0]["data"]["place"].as_u64().unwrap() >= 1);

        // The announcements tell of it, the winners named; the leaderboard counts it.
        let page = server.get("/v1/announcements?limit=100").await;
        let told: Vec<(&str, &str)> = page["announcements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["type"].as_str().unwrap(),
                    a["tournament"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            told,
            [
                ("tournament_published", "club-cup"),
                ("tournament_started", "club-cup"),
                ("tournament_finished", "club-cup")
            ]
        );
        let winners = &page["announcements"][2]["winners"];
        assert!(!winners.as_array().unwrap().is_empty());
        let board = server.get("/v1/leaderboard?format=round_robin").await;
        let rows = board["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 3, "{board}");
        assert_eq!(rows[0]["participant"], winners[0], "{board} {standings}");
        assert_eq!(rows[0]["points"], 3);

        server.stop().await;
        database.drop_it().await;
    }
}
