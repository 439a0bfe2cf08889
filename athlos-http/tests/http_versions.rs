//! Versions, tags and patches over real HTTP, on every database: a division's bracket is
//! generated and edited twice; tags move, each with its own undo and redo (and the
//! division-wide undo/redo acting on the newest step of any tag); a tag is deleted (logged as
//! `tag.moved` with `to: null`) and the deletion undone; `current` and the tags of the
//! locked version are refused deletion and nothing changes; patches are found by their
//! content address and a version's chain lists them with their hashes; unknown patches and
//! tags answer 404, reserved tag names 422.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{token, Server};
use serde_json::{json, Value};

const BASE: &str = "/v1/events/e/divisions/d";

/// The kinds of a reflog answer, in order.
fn kinds(history: &Value) -> Vec<&str> {
    history["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| step["kind"].as_str().unwrap())
        .collect()
}

/// Sends `method path` as `who` with no body and checks the status; answers the body.
async fn call(server: &Server, method: &str, path: &str, who: &str, expected: u16) -> Value {
    let (status, body) = server
        .send(method, &format!("{BASE}{path}"), Some(who), None)
        .await;
    assert_eq!(status, expected, "{method} {path}: {body}");
    body
}

/// Points `tag` at `version` as `who`.
async fn move_tag(server: &Server, who: &str, tag: &str, version: u32) -> Value {
    let body = json!({ "version": version });
    let (status, answer) = server
        .send("PUT", &format!("{BASE}/tags/{tag}"), Some(who), Some(&body))
        .await;
    assert_eq!(status, 200, "PUT tags/{tag}: {answer}");
    answer
}

/// The one `tag.moved` event of a write's answer: (tag, from, to).
fn tag_moved(answer: &Value) -> (String, Value, Value) {
    let events = answer["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{answer}");
    assert_eq!(events[0]["type"], "tag.moved");
    let data = &events[0]["data"];
    (
        data["tag"].as_str().unwrap().to_owned(),
        data["from"].clone(),
        data["to"].clone(),
    )
}

async fn tag(server: &Server, name: &str) -> Value {
    server.get(&format!("{BASE}/tags/{name}")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_and_patches_are_addressable_on_their_own() {
    for database in common::databases().await {
        let server = Server::start_with(&database.url, |_| {}).await;
        let director = token("organiser", "director");
        let stranger = token("stranger", "director");
        server.generated_division(&director, "e", "d", 4).await;
        // Two edits: versions 2 and 3.
        for (a, b) in [("p1", "p2"), ("p3", "p4")] {
            let swap = json!({"type": "swap", "a": a, "b": b});
            server
                .post(&format!("{BASE}/edits"), &director, swap, 200)
                .await;
        }
        let versions = server.get(&format!("{BASE}/versions")).await;
        let hash = |n: usize| versions["versions"][n - 1]["hash"].clone();
        assert_eq!(versions["versions"].as_array().unwrap().len(), 3);

        // One tag, as it stands.
        let current = tag(&server, "current").await;
        assert_eq!(current["version"], 3);
        assert_eq!(current["hash"], hash(3));
        assert_eq!(current["protection"], json!({"reason": "current"}));

        // `published` moves twice, `review` once.
        move_tag(&server, &director, "published", 2).await;
        let moved = move_tag(&server, &director, "published", 3).await;
        assert_eq!(
            tag_moved(&moved),
            ("published".to_owned(), json!(2), json!(3))
        );
        move_tag(&server, &director, "review", 1).await;
        let published = tag(&server, "published").await;
        assert_eq!(
            (
                &published["version"],
                &published["hash"],
                &published["can_undo"],
                &published["can_redo"],
                &published["protection"]
            ),
            (
                &json!(3),
                &hash(3),
                &json!(true),
                &json!(false),
                &Value::Null
            )
        );

        // Per-tag undo and redo: `review`, moved last, stays where it is.
        let undone = call(&server, "POST", "/tags/published/undo", &director, 200).await;
        assert_eq!(
            tag_moved(&undone),
            ("published".to_owned(), json!(3), json!(2))
        );
        assert_eq!(
            undone["tags"],
            json!({"current": 3, "published": 2, "review": 1})
        );
        let published = tag(&server, "published").await;
        assert_eq!(
            (&published["can_undo"], &published["can_redo"]),
            (&json!(true), &json!(true))
        );
        assert_eq!(tag(&server, "review").await["can_redo"], false);
        let redone = call(&server, "POST", "/tags/published/redo", &director, 200).await;
        assert_eq!(redone["tags"]["published"], 3);
        call(&server, "POST", "/tags/published/redo", &director, 409).await;
        let nothing = call(&server, "POST", "/tags/review/redo", &director, 409).await;
        assert_eq!(nothing["code"], "nothing_to_redo");
        let history = server.get(&format!("{BASE}/tags/published/history")).await;
        assert_eq!(kinds(&history), ["move", "move", "undo", "redo"]);
        assert!(history["history"]
            .as_array()
            .unwrap()
            .iter()
            .all(|step| step["tag"] == "published"));

        // Division-wide undo takes the newest step of any tag (the redo of `published`),
        // and redo replays it.
        let undone = call(&server, "POST", "/tags/undo", &director, 200).await;
        assert_eq!(
            tag_moved(&undone),
            ("published".to_owned(), json!(3), json!(2))
        );
        let redone = call(&server, "POST", "/tags/redo", &director, 200).await;
        assert_eq!(redone["tags"]["published"], 3);
        let all = server.get(&format!("{BASE}/tags/history")).await;
        assert_eq!(
            all["history"].as_array().unwrap().len(),
            3 + 2 + 1 + 2 + 2,
            "generate and two edits move current, then the tag steps: {all}"
        );

        // Deleting `review`: logged with `to: null`, in its reflog, undoable.
        call(&server, "DELETE", "/tags/review", &stranger, 403).await;
        let deleted = call(&server, "DELETE", "/tags/review", &director, 200).await;
        assert_eq!(
            tag_moved(&deleted),
            ("review".to_owned(), json!(1), Value::Null)
        );
        assert!(deleted["tags"].get("review").is_none(), "{deleted}");
        let review = tag(&server, "review").await;
        assert_eq!(
            (&review["version"], &review["hash"]),
            (&Value::Null, &Value::Null)
        );
        assert_eq!(review["can_undo"], true);
        let gone = call(&server, "DELETE", "/tags/review", &director, 404).await;
        assert_eq!(gone["code"], "unknown_tag");
        let restored = call(&server, "POST", "/tags/review/undo", &director, 200).await;
        assert_eq!(restored["tags"]["review"], 1);
        let history = server.get(&format!("{BASE}/tags/review/history")).await;
        assert_eq!(kinds(&history), ["move", "delete", "undo"]);

        // Protected: `current` always; the tags of the locked version once locked. Nothing
        // changes.
        let before = server.get(BASE).await;
        let refused = call(&server, "DELETE", "/tags/current", &director, 409).await;
        assert_eq!(refused["code"], "protected_tag");
        assert!(
            refused["error"]
                .as_str()
                .unwrap()
                .contains("version in use"),
            "{refused}"
        );
        assert_eq!(server.get(BASE).await, before);
        server
            .post(&format!("{BASE}/lock-bracket"), &director, Value::Null, 200)
            .await;
        let locked = server.get(BASE).await;
        let refused = call(&server, "DELETE", "/tags/published", &director, 409).await;
        assert_eq!(refused["code"], "protected_tag");
        assert!(
            refused["error"]
                .as_str()
                .unwrap()
                .contains("version 3, which is locked"),
            "{refused}"
        );
        assert_eq!(server.get(BASE).await, locked);
        assert_eq!(
            tag(&server, "published").await["protection"],
            json!({"reason": "locked_version", "version": 3})
        );
        // A tag of another version may still go.
        call(&server, "DELETE", "/tags/review", &director, 200).await;

        // The chain of version 3: two edits from the generated base, hash to hash.
        let chain = server.get(&format!("{BASE}/versions/3/patches")).await;
        assert_eq!((&chain["version"], &chain["base"]), (&json!(3), &json!(1)));
        assert_eq!(chain["base_hash"], hash(1));
        let patches = chain["patches"].as_array().unwrap();
        assert_eq!(patches.len(), 2);
        assert_eq!(
            (&patches[0]["base_hash"], &patches[0]["result_hash"]),
            (&hash(1), &hash(2))
        );
        assert_eq!(
            (&patches[1]["base_hash"], &patches[1]["result_hash"]),
            (&hash(2), &hash(3))
        );
        assert_eq!(
            patches[1]["patch"],
            json!({"type": "swap", "a": "p3", "b": "p4"})
        );
        let empty = server.get(&format!("{BASE}/versions/1/patches")).await;
        assert_eq!(empty["patches"], json!([]));
        let unknown = call(&server, "GET", "/versions/9/patches", &director, 404).await;
        assert_eq!(unknown["code"], "unknown_version");

        // A patch by its id.
        let id = patches[1]["id"].as_str().unwrap();
        assert_eq!(id.len(), 64);
        assert_ne!(id, patches[0]["id"].as_str().unwrap());
        let patch = server.get(&format!("{BASE}/patches/{id}")).await;
        assert_eq!(patch["id"], id);
        assert_eq!(
            (&patch["parent"], &patch["version"]),
            (&json!(2), &json!(3))
        );
        assert_eq!(
            (&patch["base_hash"], &patch["result_hash"]),
            (&hash(2), &hash(3))
        );
        assert_eq!(patch["versions"], json!([3]));
        assert_eq!(patch["patch"], patches[1]["patch"]);
        let missing = call(
            &server,
            "GET",
            &format!("/patches/{}", "0".repeat(64)),
            &director,
            404,
        )
        .await;
        assert_eq!(missing["code"], "unknown_patch");
        call(&server, "GET", "/patches/not-a-hash", &director, 400).await;

        // Reserved names: no tag is named like a division-wide route.
        let reserved = call(&server, "POST", "/tags/undo/undo", &director, 422).await;
        assert_eq!(reserved["code"], "reserved_id");
        let reserved = call(&server, "GET", "/tags/history/history", &director, 422).await;
        assert_eq!(reserved["code"], "reserved_id");
        let refused = server
            .send(
                "PUT",
                &format!("{BASE}/tags/redo"),
                Some(&director),
                Some(&json!({"version": 1})),
            )
            .await;
        assert_eq!(refused.0, 405, "{}", refused.1);
        assert!(server.get(&format!("{BASE}/tags/history")).await["history"].is_array());
        let unknown = call(&server, "GET", "/tags/never", &director, 404).await;
        assert_eq!(unknown["code"], "unknown_tag");
        call(&server, "GET", "/tags/never/history", &director, 404).await;

        server.stop().await;
        database.drop_it().await;
    }
}
