//! The event list over real HTTP: paging, limits and the events' views.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{token, Server};
use serde_json::{json, Value};

fn ids(list: &Value) -> Vec<String> {
    list["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_listed_by_id_and_paged() {
    for database in common::databases().await {
        let server = Server::start_with(&database.url, |_| {}).await;
        let empty = server.get("/v1/events").await;
        assert_eq!(empty, json!({"events": [], "limit": 50, "offset": 0}));

        let alice = token("alice", "director");
        let bob = token("bob", "director");
        for (id, who) in [
            ("open-3", &alice),
            ("open-1", &bob),
            ("open-10", &alice),
            ("open-2", &bob),
        ] {
            server
                .post(
                    "/v1/events",
                    who,
                    json!({"id": id, "name": format!("Open {id}")}),
                    201,
                )
                .await;
        }
        server
            .post(
                "/v1/events/open-1/divisions",
                &bob,
                json!({"id": "u73", "name": "-73 kg", "rules": {"format": "single_elimination"}}),
                201,
            )
            .await;

        let all = server.get("/v1/events").await;
        assert_eq!(
            ids(&all),
            ["open-1", "open-10", "open-2", "open-3"],
            "by id, bytewise"
        );
        let first = &all["events"][0];
        assert_eq!(first["director"], "bob");
        assert_eq!(first["divisions"], json!(["u73"]));
        assert_eq!(first["version"], 2);
        assert_eq!(all["events"][1]["director"], "alice");

        let page = server.get("/v1/events?limit=2&offset=1").await;
        assert_eq!(ids(&page), ["open-10", "open-2"]);
        assert_eq!(
            (page["limit"].as_u64(), page["offset"].as_u64()),
            (Some(2), Some(1))
        );
        assert!(ids(&server.get("/v1/events?offset=4").await).is_empty());

        for (query, field) in [
            ("limit=0", "limit"),
            ("limit=501", "limit"),
            ("offset=1099511627777", "offset"),
        ] {
            let (status, body) = server
                .send("GET", &format!("/v1/events?{query}"), None, None)
                .await;
            assert_eq!(
                (status, body["field"].as_str()),
                (400, Some(field)),
                "{query}: {body}"
            );
        }
        for query in ["limit=ten", "status=draft"] {
            let (status, body) = server
                .send("GET", &format!("/v1/events?{query}"), None, None)
                .await;
            assert_eq!(
                (status, body["code"].as_str()),
                (400, Some("invalid_input")),
                "{query}: {body}"
            );
        }
        server.stop().await;
        database.drop_it().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_ids_beyond_the_databases_range_are_unknown() {
    for database in common::databases().await {
        let server = Server::start_with(&database.url, |_| {}).await;
        for id in [
            "9223372036854775807",
            "9223372036854775808",
            "18446744073709551615",
        ] {
            let (status, body) = server
                .send("GET", &format!("/v1/jobs/{id}"), None, None)
                .await;
            assert_eq!(
                (status, body["code"].as_str()),
                (404, Some("not_found")),
                "{id}: {body}"
            );
        }
        let (status, _) = server
            .send("GET", "/v1/jobs/18446744073709551616", None, None)
            .await;
        assert_eq!(status, 400);
        server.stop().await;
        database.drop_it().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_and_read_options_are_documented_as_optional_query_parameters() {
    let server = Server::start().await;
    let api = server.get("/openapi.json").await;
    for (path, names) in [
        ("/v1/events", vec!["limit", "offset"]),
        ("/v1/tournaments", vec!["status", "limit", "offset"]),
        ("/v1/tournaments/{tournament_id}/export", vec!["format"]),
        (
            "/v1/events/{event_id}/divisions/{division_id}/bracket",
            vec!["version", "tag"],
        ),
    ] {
        let parameters = api["paths"][path]["get"]["parameters"].as_array().unwrap();
        for name in names {
            let parameter = parameters
                .iter()
                .find(|p| p["name"] == name)
                .unwrap_or_else(|| panic!("{path}: no parameter {name}"));
            assert_eq!(parameter["in"], "query", "{path} {name}");
            assert_ne!(parameter["required"], true, "{path} {name}");
        }
    }
    let limit = &api["paths"]["/v1/events"]["get"]["parameters"][0]["schema"];
    assert_eq!(
        (limit["minimum"].as_u64(), limit["maximum"].as_u64()),
        (Some(1), Some(500))
    );
    server.stop().await;
}
