//! The web pages over real HTTP: HTML with the page headers, content that follows the core
//! (states, filters, the current round), every text escaped, and the 404 page for browsers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{token, Server};
use serde_json::json;

/// The page at `path` as a browser asks for it: status, content type, policy and body.
async fn page(server: &Server, path: &str) -> (u16, String, String, String) {
    let response = server
        .client
        .get(server.url(path))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (content_type, policy) = (header("content-type"), header("content-security-policy"));
    let status = response.status().as_u16();
    (status, content_type, policy, response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_follow_the_core_and_escape_every_text() {
    for database in common::databases().await {
        let server = Server::start_with(&database.url, |_| {}).await;
        let director = token("director", "director");
        let create = json!({"id": "spring", "name": "Spring <b>Open</b> & Co",
            "rules": {"options": {"format": "single_elimination"}}});
        server.started_with_bots(&director, create, 4).await;
        let create = json!({"id": "blitz", "name": "Friday Blitz",
            "rules": {"swiss": {"rounds": 3}}});
        server.post("/v1/tournaments", &director, create, 201).await;

        let (status, content_type, policy, home) = page(&server, "/").await;
        assert_eq!(status, 200, "{}", database.url);
        assert_eq!(content_type, "text/html; charset=utf-8");
        assert!(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"));
        assert!(home.contains("<dt>active</dt><dd><a href=\"/tournaments?state=active\">1</a>"));
        assert!(home.contains("<dt>draft</dt><dd><a href=\"/tournaments?state=draft\">1</a>"));
        // The name is escaped, never markup.
        assert!(
            home.contains("Spring &#60;b&#62;Open&#60;/b&#62; &#38; Co"),
            "{home}"
        );
        assert!(!home.contains("<b>Open</b>"));

        let (status, _, _, list) = page(&server, "/tournaments?format=swiss").await;
        assert_eq!(status, 200);
        assert!(list.contains("Friday Blitz") && !list.contains("Spring"));
        assert!(
            list.contains("<p class=\"meta\">1 tournament</p>"),
            "{list}"
        );
        let (_, _, _, list) = page(&server, "/tournaments?q=OPEN&state=active").await;
        assert!(list.contains("/tournaments/spring") && !list.contains("Blitz"));
        let (_, _, _, list) = page(&server, "/tournaments?state=completed").await;
        assert!(list.contains("No tournament matches these filters."));
        for bad in [
            "/tournaments?state=weird",
            "/tournaments?format=auto",
            "/tournaments?page=x",
        ] {
            let (status, content_type, _, body) = page(&server, bad).await;
            assert_eq!(
                (status, content_type.as_str()),
                (400, "text/html; charset=utf-8"),
                "{bad}"
            );
            assert!(body.contains("<h1>"), "{bad}");
        }

        // Active: the current round's games by name, standings, the bracket, the actions
        // the lifecycle allows in this state.
        let (status, _, _, spring) = page(&server, "/tournaments/spring").await;
        assert_eq!(status, 200);
        assert!(spring.contains("<h2 id=\"round-heading\">Round 1</h2>"));
        assert!(
            spring.contains("<td>Bot 1</td><td>Bot 4</td><td>ready</td>"),
            "{spring}"
        );
        assert!(spring
            .contains("Actions in this state: record_result, abandon_match, withdraw, advance"));
        assert!(spring.contains("src=\"/v1/tournaments/spring/bracket.svg\""));
        // Draft: no round, no standings, nobody entered.
        let (_, _, _, blitz) = page(&server, "/tournaments/blitz").await;
        assert!(!blitz.contains("round-heading") && !blitz.contains("standings-heading"));
        assert!(blitz.contains("Nobody has registered yet."));
        assert!(blitz.contains("Actions in this state: edit, publish, cancel, delete"));

        // Browsers get the 404 page; API clients the JSON error.
        for missing in ["/tournaments/nope", "/no/such/page"] {
            let (status, content_type, _, body) = page(&server, missing).await;
            assert_eq!(
                (status, content_type.as_str()),
                (404, "text/html; charset=utf-8")
            );
            assert!(body.contains("<h1>Not found</h1>"), "{missing}");
        }
        let (status, body) = server.send("GET", "/no/such/page", None, None).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));

        let css = server
            .client
            .get(server.url("/static/app.css"))
            .send()
            .await
            .unwrap();
        assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
        server.stop().await;
        database.drop_it().await;
    }
}
