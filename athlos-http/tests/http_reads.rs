//! Public reads answered from rendered bytes, over real HTTP on every database: the bracket,
//! its SVG, standings and pairings carry their aggregate's version as `ETag` with
//! `Cache-Control: no-cache`, answer 304 to `If-None-Match` while it holds, and show a write
//! to the very next read (the cache never serves an older version than a plain read would,
//! also under concurrent reads and writes); a bracket by its content hash is the stored
//! canonical JSON, immutable; `/metrics` counts hits, misses and 304s.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{token, Server};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const BASE: &str = "/v1/events/e/divisions/d";

/// `GET path` with optional `If-None-Match`: status, `ETag`, `Cache-Control` and body bytes.
async fn read(server: &Server, path: &str, if_none_match: Option<&str>) -> Read {
    let mut request = server.client.get(server.url(path));
    if let Some(tag) = if_none_match {
        request = request.header("if-none-match", tag);
    }
    let response = request.send().await.unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (etag, cache) = (header("etag"), header("cache-control"));
    let status = response.status().as_u16();
    let body = response.bytes().await.unwrap().to_vec();
    Read {
        status,
        etag,
        cache,
        body,
    }
}

#[derive(Debug)]
struct Read {
    status: u16,
    etag: Option<String>,
    cache: Option<String>,
    body: Vec<u8>,
}

impl Read {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
    fn tag(&self) -> &str {
        self.etag.as_deref().unwrap()
    }
}

/// The version an `ETag` like `"v12"` names.
fn version(tag: &str) -> u64 {
    tag.trim_matches('"')
        .trim_start_matches('v')
        .parse()
        .unwrap()
}

/// The read cache's counter `name` in `/metrics`.
async fn counter(server: &Server, name: &str) -> u64 {
    let text = common::get_text(&server.base, "/metrics", "text/plain").await;
    let line = format!("athlos_read_cache_{name}_total ");
    text.lines()
        .find_map(|l| l.strip_prefix(&line))
        .unwrap_or_else(|| panic!("no {line} in /metrics"))
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brackets_are_rendered_once_per_version_and_revalidated_with_their_etag() {
    for database in common::databases().await {
        let server = Server::start_with(&database.url, |_| {}).await;
        let director = token("organiser", "director");
        server.generated_division(&director, "e", "d", 4).await;
        server
            .post(&format!("{BASE}/lock-bracket"), &director, Value::Null, 200)
            .await;

        let path = format!("{BASE}/bracket");
        let first = read(&server, &path, None).await;
        assert_eq!(first.status, 200);
        assert_eq!(first.cache.as_deref(), Some("no-cache"));
        let tag = first.tag().to_owned();
        let hits = counter(&server, "hits").await;
        let again = read(&server, &path, None).await;
        assert_eq!((again.status, again.tag()), (200, tag.as_str()));
        assert_eq!(again.body, first.body, "the same version, the same bytes");
        assert_eq!(counter(&server, "hits").await, hits + 1);

        // Revalidation: 304 with no body while the division stays at that version; a weak
        // tag or a list naming it counts too.
        for header in [tag.clone(), format!("W/{tag}"), format!("\"v0\", {tag}")] {
            let unchanged = read(&server, &path, Some(&header)).await;
            assert_eq!(unchanged.status, 304, "{header}");
            assert!(unchanged.body.is_empty());
            assert_eq!(unchanged.tag(), tag);
        }
        assert!(counter(&server, "not_modified").await >= 3);
        let other = read(&server, &path, Some("\"v999\"")).await;
        assert_eq!(other.status, 200);

        // A write shows on the very next read: a new ETag, new bytes, and the old tag no
        // longer answers 304.
        let bracket = first.json();
        let m = bracket["bracket"]["matches"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["status"] == "ready")
            .cloned()
            .unwrap_or_else(|| panic!("a ready match in {bracket}"));
        let winner = common::sides(&m)[0].clone();
        let result = format!("{BASE}/matches/{}/result", m["id"].as_str().unwrap());
        server
            .post(
                &result,
                &director,
                json!({"type": "win", "winner": winner}),
                200,
            )
            .await;
        let after = read(&server, &path, Some(&tag)).await;
        assert_eq!(after.status, 200, "the old ETag is stale after the write");
        assert!(version(after.tag()) > version(&tag));
        assert_ne!(after.body, first.body);
        let played = after.json()["bracket"]["matches"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == m["id"])
            .cloned()
            .unwrap();
        assert_eq!(played["winner"].as_str(), Some(winner.as_str()), "{played}");

        // The SVG is cached the same way, under the same version.
        let svg = read(&server, &format!("{BASE}/bracket.svg"), None).await;
        assert_eq!(svg.status, 200);
        assert_eq!(svg.tag(), after.tag());
        let svg_again = read(&server, &format!("{BASE}/bracket.svg"), Some(after.tag())).await;
        assert_eq!(svg_again.status, 304);

        // A read of a version from the history is keyed apart from the live one: version 1
        // is the bracket as generated, without the result.
        let v1 = read(&server, &format!("{path}?version=1"), None).await;
        assert_eq!(v1.status, 200);
        assert_eq!(v1.json()["version"], 1);
        assert_ne!(v1.body, after.body);
        let live = read(&server, &path, None).await;
        assert_eq!(live.body, after.body);

        // Errors are never cached: a division that does not exist, then does.
        let missing = read(&server, "/v1/events/e/divisions/later/bracket", None).await;
        assert_eq!(missing.status, 404);
        server
            .single_elimination_division(&director, "e", "later")
            .await;
        let none_yet = read(&server, "/v1/events/e/divisions/later/bracket", None).await;
        assert_eq!(none_yet.status, 409);
        assert_eq!(none_yet.json()["code"], "no_bracket");
        // The wrong event for the division: 404, whatever was rendered for the right one.
        let wrong = read(&server, "/v1/events/other/divisions/d/bracket", None).await;
        assert_eq!(wrong.status, 404);
        server.stop().await;
        database.drop_it().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bracket_by_its_hash_is_immutable_content() {
    for database in common::databases().await {
        let server = Server::start_with(&database.url, |_| {}).await;
        let director = token("organiser", "director");
        server.generated_division(&director, "e", "d", 4).await;
        let swap = json!({"type": "swap", "a": "p1", "b": "p2"});
        server
            .post(&format!("{BASE}/edits"), &director, swap, 200)
            .await;
        let versions = server.get(&format!("{BASE}/versions")).await;
        for record in versions["versions"].as_array().unwrap() {
            let hash = record["hash"].as_str().unwrap();
            let path = format!("{BASE}/brackets/{hash}");
            let got = read(&server, &path, None).await;
            assert_eq!(got.status, 200);
            let digest: String = Sha256::digest(&got.body)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(digest, hash, "the body is the content the hash addresses");
            assert_eq!(
                got.cache.as_deref(),
                Some("public, max-age=31536000, immutable")
            );
            assert_eq!(got.tag(), format!("\"{hash}\""));
            let version = server
                .get(&format!("{BASE}/bracket?version={}", record["number"]))
                .await;
            assert_eq!(got.json(), version["bracket"]);
            let unchanged = read(&server, &path, Some(got.tag())).await;
            assert_eq!(unchanged.status, 304);
        }
        let unknown = read(
            &server,
            &format!("{BASE}/brackets/{}", "0".repeat(64)),
            None,
        )
        .await;
        assert_eq!(unknown.status, 404);
        assert_eq!(unknown.json()["code"], "unknown_bracket");
        let malformed = read(&server, &format!("{BASE}/brackets/xyz"), None).await;
        assert_eq!(malformed.status, 422);
        assert_eq!(malformed.json()["code"], "invalid_hash");
        server.stop().await;
        database.drop_it().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standings_and_pairings_follow_every_result_even_under_concurrent_reads() {
    for database in common::databases().await {
        let server = Server::start_with(&database.url, |_| {}).await;
        let td = token("td", "director");
        server
            .started_with_bots(
                &td,
                json!({"id": "sw", "name": "SW", "rules": {"swiss": {"rounds": 3}}}),
                16,
            )
            .await;
        let pairings = server.get("/v1/tournaments/sw/rounds/1/pairings").await;
        let games = pairings["pairings"].as_array().unwrap().clone();
        // Readers hammer the standings and pairings while the results go in.
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let readers: Vec<_> = (0..4)
            .map(|i| {
                let client = server.client.clone();
                let base = server.base.clone();
                let stop = stop.clone();
                tokio::spawn(async move {
                    let path = if i % 2 == 0 {
                        "/v1/tournaments/sw/standings"
                    } else {
                        "/v1/tournaments/sw/rounds/1/pairings"
                    };
                    let mut reads = 0;
                    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                        let r = client.get(format!("{base}{path}")).send().await.unwrap();
                        assert_eq!(r.status(), 200);
                        reads += 1;
                    }
                    reads
                })
            })
            .collect();
        for game in &games {
            let winner = game["sides"][0].as_str().unwrap();
            let path = format!(
                "/v1/tournaments/sw/matches/{}/result",
                game["match_id"].as_str().unwrap()
            );
            let written = server
                .post(&path, &td, json!({"type": "win", "winner": winner}), 200)
                .await;
            // The read right after the write's answer shows it.
            let standings = read(&server, "/v1/tournaments/sw/standings", None).await;
            assert!(
                version(standings.tag()) >= written["version"].as_u64().unwrap(),
                "standings at {} after a write answered version {}",
                standings.tag(),
                written["version"]
            );
            assert_eq!(standings.status, 200);
            let round = read(&server, "/v1/tournaments/sw/rounds/1/pairings", None).await;
            let game_now = round.json()["pairings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|g| g["match_id"] == game["match_id"])
                .cloned()
                .unwrap();
            assert!(game_now["result"].is_object(), "{game_now}");
        }
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let mut total = 0;
        for reader in readers {
            total += reader.await.unwrap();
        }
        assert!(total > 0);
        server.stop().await;
        database.drop_it().await;
    }
}
